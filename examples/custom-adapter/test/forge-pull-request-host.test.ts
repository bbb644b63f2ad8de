/**
 * The forge host held to rungate's `PullRequestHost` contract over real HTTP (a stand-in forge on loopback),
 * then its own edges through a scripted transport, then a whole run of rungate proposing its draft on the forge.
 */
import { createOrchestrator } from "rungate";
import { createInMemoryPorts, expectErr, expectOk, policyFixture, runInputFixture } from "rungate/testing";
import { describePullRequestHostContract } from "rungate/testing/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createForgePullRequestHost } from "../src/forge-pull-request-host.js";
import { type StandInForge, startStandInForge } from "./stand-in-forge.js";

let forge: StandInForge;
beforeAll(async () => {
  forge = await startStandInForge();
});
afterAll(async () => {
  await forge.close();
});

/** A person merges on the forge, with their own token: nothing rungate holds can do this. */
async function mergeAsPerson(url: string, login: string): Promise<void> {
  const path = new URL(url).pathname.replace(
    /^\/([^/]+)\/([^/]+)\/pulls\/(\d+)$/,
    "/api/v1/repos/$1/$2/pulls/$3/merge",
  );
  const response = await fetch(`${forge.url}${path}`, {
    method: "POST",
    headers: { authorization: `token ${forge.tokenOf(login)}` },
  });
  if (!response.ok)
    throw new Error(`the forge refused the merge: ${response.status} ${await response.text()}`);
}

let repos = 0;
describePullRequestHostContract({
  name: "forge (stand-in over HTTP)",
  make: () => {
    // A fresh repository per case, so that no case sees another's pull requests.
    const repo = `shop-${++repos}`;
    forge.createRepo("acme", repo);
    return {
      host: createForgePullRequestHost({ base_url: forge.url, owner: "acme", repo, token: forge.botToken }),
      observeMerge: mergeAsPerson,
      statuses: async (sha) => forge.statuses("acme", repo, sha),
    };
  },
});

/** A host whose transport answers `status` with `body` to every call, recording the calls. */
function scripted(status: number, body: unknown, token = "bot-secret-token-1234") {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const host = createForgePullRequestHost({
    base_url: "https://forge.example.invalid",
    owner: "acme",
    repo: "shop",
    token,
    fetch: async (input, init) => {
      calls.push({ url: String(input), init });
      return new Response(typeof body === "string" ? body : JSON.stringify(body), { status });
    },
  });
  return { host, calls };
}

const someUrl = "https://forge.example.invalid/acme/shop/pulls/7";

describe("forge host: translating the forge's answers", () => {
  it("reads a pull request from the API route of its number, with the bot's token", async () => {
    const { host, calls } = scripted(404, { message: "no such pull request" });
    expectErr(await host.getPullRequest(someUrl), { kind: "not_found" });
    expect(calls[0]?.url).toBe("https://forge.example.invalid/api/v1/repos/acme/shop/pulls/7");
    expect(new Headers(calls[0]?.init?.headers).get("authorization")).toBe("token bot-secret-token-1234");
  });

  it("does not call the forge for a url of another repository", async () => {
    const { host, calls } = scripted(200, {});
    expectErr(await host.getPullRequest("https://forge.example.invalid/acme/other/pulls/7"), {
      kind: "not_found",
    });
    expect(calls).toEqual([]);
  });

  it.each([500, 502, 503, 429])("HTTP %i is a retryable port_failure naming the route", async (status) => {
    const { host } = scripted(status, { message: "try later" });
    const error = expectErr(await host.getPullRequest(someUrl), { kind: "port_failure" });
    expect(error.kind === "port_failure" && error.detail).toMatchObject({
      retryable: true,
      operation: "GET /pulls/{number}",
      adapter: "forge",
    });
  });

  it("a refused token is not retryable, and the error never carries the token", async () => {
    const { host } = scripted(
      401,
      { message: "token bot-secret-token-1234 was revoked" },
      "bot-secret-token-1234",
    );
    const error = expectErr(await host.getPullRequest(someUrl), {
      kind: "port_failure",
      code: "forge_unauthorized",
    });
    expect(error.kind === "port_failure" && error.detail.retryable).toBe(false);
    expect(JSON.stringify(error)).not.toContain("bot-secret-token-1234");
    expect(host.secret_values).toEqual(["bot-secret-token-1234"]); // rungate redacts these from what it stores
  });

  it("an answer that is not a pull request is refused, not trusted", async () => {
    const { host } = scripted(200, "<html>proxy login</html>");
    expectErr(await host.getPullRequest(someUrl), {
      kind: "port_failure",
      code: "forge_unexpected_response",
    });
  });

  it("maps the forge's states onto rungate's", async () => {
    const pull = (over: object) => ({
      number: 7,
      html_url: someUrl,
      state: "open",
      draft: true,
      merged: false,
      decided_by: null,
      head: { ref: "rungate/x", sha: "a".repeat(40) },
      base: { ref: "main" },
      ...over,
    });
    const statusOf = async (over: object) =>
      expectOk(await scripted(200, pull(over)).host.getPullRequest(someUrl));
    expect((await statusOf({})).status).toBe("draft_open");
    expect((await statusOf({ draft: false })).status).toBe("open");
    expect(await statusOf({ state: "closed", merged: true, decided_by: { login: "alice" } })).toMatchObject({
      status: "merged",
      decided_by: "alice",
    });
    expect((await statusOf({ state: "closed", decided_by: { login: "bob" } })).status).toBe("closed");
  });

  it("a call aborted by the caller is cancelled", async () => {
    const { host, calls } = scripted(200, {});
    const abort = new AbortController();
    abort.abort();
    expectErr(await host.getPullRequest(someUrl, { signal: abort.signal }), { kind: "cancelled" });
    expect(calls).toEqual([]);
  });

  it("bad options throw at construction, with the correct usage", () => {
    expect(() =>
      createForgePullRequestHost({ base_url: "forge", owner: "acme", repo: "shop", token: "" }),
    ).toThrow(/usage: createForgePullRequestHost/);
  });
});

describe("forge host: a whole run of rungate proposing on the forge", () => {
  it("drafts the PR on the forge after a person's approval, and observes a person's merge there", async () => {
    forge.createRepo("acme", "shop-e2e");
    const ports = {
      ...createInMemoryPorts(),
      pullRequests: createForgePullRequestHost({
        base_url: forge.url,
        owner: "acme",
        repo: "shop-e2e",
        token: forge.botToken,
      }),
    };
    const orchestrator = createOrchestrator(ports);
    const built = expectOk(
      await orchestrator.triggerBuild({ ...runInputFixture(), policy: policyFixture() }),
    );
    const [approval] = built.approvals;
    const assignment_id = built.assignments[0]?.id ?? "";
    expectOk(
      await orchestrator.recordApprovalDecision({
        run_id: built.run.id,
        approval_id: approval?.id ?? "",
        decision: "approve",
        decided_by: "user:alice",
      }),
    );
    const pr = expectOk(await orchestrator.createPullRequestCandidate({ assignment_id }));
    expect(pr).toMatchObject({ status: "draft_open", head_sha: built.assignments[0]?.head_sha });
    expect(pr.pr_url).toMatch(`${forge.url}/acme/shop-e2e/pulls/1`);
    // rungate published each check as a commit status, so the forge's branch protection can require them.
    expect(forge.statuses("acme", "shop-e2e", pr.head_sha ?? "")).toMatchObject({
      "rungate/unit": "success",
    });

    await mergeAsPerson(pr.pr_url ?? "", "alice");
    const observed = expectOk(await orchestrator.observePullRequest({ assignment_id }));
    expect(observed.status).toBe("merged");
  });
});
