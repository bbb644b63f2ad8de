/**
 * GitHub agrees with rungate (issue 18), end to end: the orchestrator on the in-memory ports, its PR host the
 * real GitHub adapter against the local server playing GitHub. A card's statuses follow it through a person's
 * push, a failed check and a re-check; the evidence verifies; the stand-in's log shows no merge, no review
 * approval and no ready-for-review call.
 */
import { afterAll, describe, expect, it, vi } from "vitest";
import { createOrchestrator } from "../../src/orchestrator/index.js";
import { createInMemoryPorts, policyFixture } from "../../src/testing/index.js";
import { githubHostOn } from "../adapters/github/host-on-local-github.js";
import { type LocalGitHub, startLocalGitHub } from "../adapters/github/local-github-server.js";
import { approveAsPerson, cardRequest } from "./helpers.js";

const TOKEN = "ghp_RungateAgreesTokenNeverPrinted01234";
vi.setConfig({ testTimeout: 60_000 });

const live: LocalGitHub[] = [];
afterAll(async () => {
  for (const server of live) await server.close();
});

/** The current state per context on `sha`, read through GitHub's combined-status endpoint of the stand-in. */
async function statusesOn(server: LocalGitHub, sha: string): Promise<Record<string, string>> {
  const answer = await fetch(`${server.baseUrl}/repos/${server.owner}/${server.repo}/commits/${sha}/status`, {
    headers: { authorization: `token ${TOKEN}` },
  });
  const combined = (await answer.json()) as { statuses: { context: string; state: string }[] };
  return Object.fromEntries(combined.statuses.map((s) => [s.context, s.state]));
}

describe("GitHub's gate agrees with rungate's (local GitHub stand-in)", () => {
  it("mirrors statuses through failed → passed on a re-check, requests a review, and never merges", async () => {
    const server = await startLocalGitHub({ token: TOKEN, branches: { main: "1".repeat(40) } });
    live.push(server);
    const ports = createInMemoryPorts();
    const pullRequests = githubHostOn(server, TOKEN);
    const orchestrator = createOrchestrator({ ...ports, pullRequests });
    const policy = policyFixture({ approval_policy: { pr_labels: ["agent-made"] } });
    const built = (await orchestrator.triggerBuild(cardRequest({}, policy)))._unsafeUnwrap();
    const a = built.assignments[0];
    const approval = built.approvals[0];
    if (!a?.worktree_path || !a.head_sha || !approval) throw new Error("missing records");
    await approveAsPerson(orchestrator, built.run.id, approval.id, "alice");
    // rungate's push goes to the in-memory remote; the stand-in learns the branch the same moment.
    server.push(a.feature_branch, a.head_sha);
    const pr = (await orchestrator.createPullRequestCandidate({ assignment_id: a.id }))._unsafeUnwrap();
    expect(await statusesOn(server, a.head_sha)).toEqual({
      "rungate/lint": "success",
      "rungate/policy": "success",
      "rungate/unit": "success",
    });
    expect(server.reviewRequests).toEqual([{ number: 1, reviewers: ["alice"], team_reviewers: [] }]);
    expect(server.labels).toEqual([{ number: 1, labels: ["agent-made"] }]);
    expect(
      (await orchestrator.verifyEvidence({ body: server.pulls[0]?.body ?? "" }))._unsafeUnwrap().verified,
    ).toBe(true);
    expect(pr.pr_url).toBe(`https://github.com/${server.owner}/${server.repo}/pull/1`);

    // A person pushes to the PR's branch; rungate checks the new head: unit fails, then passes on a retry.
    const pushed = ports.git
      .commit({ worktree_path: a.worktree_path, files: { "src/fix.ts": "fix\n" }, message: "a person's fix" })
      ._unsafeUnwrap();
    server.push(a.feature_branch, pushed);
    ports.checks.queue("unit", "failed");
    (await orchestrator.executeChecks({ assignment_id: a.id }))._unsafeUnwrap();
    expect((await statusesOn(server, pushed))["rungate/unit"]).toBe("failure");
    (await orchestrator.retryChecks({ assignment_id: a.id }))._unsafeUnwrap();
    expect(await statusesOn(server, pushed)).toEqual({
      "rungate/lint": "success",
      "rungate/policy": "success",
      "rungate/unit": "success",
    });

    // The whole conversation: drafts, reads, statuses, one review request and labels; nothing a person does.
    const calls = server.requests.map((r) => `${r.method} ${r.pathname.replace(/[0-9a-f]{40}/, "<sha>")}`);
    expect(calls.filter((c) => /merge|\/reviews|ready|graphql/i.test(c))).toEqual([]);
    expect(server.requests.every((r) => r.method === "GET" || r.method === "POST")).toBe(true);
    expect(new Set(calls)).toEqual(
      new Set([
        "POST /repos/acme/widgets/pulls",
        "POST /repos/acme/widgets/statuses/<sha>",
        "POST /repos/acme/widgets/pulls/1/requested_reviewers",
        "POST /repos/acme/widgets/issues/1/labels",
        "GET /repos/acme/widgets/commits/<sha>/status",
      ]),
    );
    expect(server.pulls.every((p) => p.draft && !p.merged)).toBe(true);
  });
});
