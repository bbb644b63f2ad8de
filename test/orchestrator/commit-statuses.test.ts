import { describe, expect, it } from "vitest";
import { policyFixture } from "../../src/testing/index.js";
import { approveAsPerson, cardRequest, setup } from "./helpers.js";

describe("checks mirrored as commit statuses on the PR host", () => {
  it("publishes each check of the head once the PR is drafted, and follows a re-check: failed, then passed", async () => {
    const { ports, orchestrator } = setup(
      {},
      { status_target_url: "https://app.example/runs/{run_id}/{check_type}" },
    );
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    const a = built.assignments[0];
    const approval = built.approvals[0];
    if (!a?.worktree_path || !approval) throw new Error("missing records");
    // Before the PR nothing is on the host, so nothing is published.
    expect(ports.pullRequests.statuses).toEqual([]);
    await approveAsPerson(orchestrator, built.run.id, approval.id);
    (await orchestrator.createPullRequestCandidate({ assignment_id: a.id }))._unsafeUnwrap();
    const head = a.head_sha ?? "";
    expect(ports.pullRequests.currentStatuses(head)).toEqual({
      "rungate/lint": "success",
      "rungate/policy": "success",
      "rungate/unit": "success",
    });
    expect(ports.pullRequests.statuses[0]).toMatchObject({
      target_url: `https://app.example/runs/${built.run.id}/${ports.pullRequests.statuses[0]?.context.slice(8)}`,
    });
    expect(ports.pullRequests.statuses.every((s) => s.description.length <= 140)).toBe(true);

    // A person pushes to the PR branch; rungate checks the new head: unit fails, then passes on a retry.
    const pushed = ports.git
      .commit({ worktree_path: a.worktree_path, files: { "src/fix.ts": "fix\n" }, message: "a person's fix" })
      ._unsafeUnwrap();
    ports.checks.queue("unit", "failed");
    (await orchestrator.executeChecks({ assignment_id: a.id }))._unsafeUnwrap();
    expect(ports.pullRequests.currentStatuses(pushed)["rungate/unit"]).toBe("failure");
    (await orchestrator.retryChecks({ assignment_id: a.id }))._unsafeUnwrap();
    expect(ports.pullRequests.currentStatuses(pushed)).toEqual({
      "rungate/lint": "success",
      "rungate/policy": "success",
      "rungate/unit": "success",
    });
    // The old head keeps what it had; rungate never asked the host for a merge or a ready.
    expect(ports.pullRequests.currentStatuses(head)["rungate/unit"]).toBe("success");
    expect(ports.pullRequests.requests.map((r) => r.operation)).not.toContain("merge");
  });
});

describe("a review is requested for every drafted PR", () => {
  it("asks the approvers and the policy's teams, with the policy's labels, and records it", async () => {
    const { ports, orchestrator } = setup();
    const policy = policyFixture({
      approval_policy: { pr_reviewers: { teams: ["platform"] }, pr_labels: ["agent-made"] },
    });
    const built = (await orchestrator.triggerBuild(cardRequest({}, policy)))._unsafeUnwrap();
    const a = built.assignments[0];
    const approval = built.approvals[0];
    if (!a || !approval) throw new Error("missing records");
    await approveAsPerson(orchestrator, built.run.id, approval.id, "alice");
    const pr = (await orchestrator.createPullRequestCandidate({ assignment_id: a.id }))._unsafeUnwrap();
    const asked = ports.pullRequests.requests.filter((r) => r.operation === "requestReview");
    expect(asked.map((r) => r.input)).toEqual([
      { url: pr.pr_url, reviewers: ["alice"], team_reviewers: ["platform"], labels: ["agent-made"] },
    ]);
    const events = (await ports.storage.listEvents(built.run.id))._unsafeUnwrap();
    expect(events.filter((e) => e.event_type === "pull_request.review_requested")).toHaveLength(1);
  });
});
