import { inspect } from "node:util";
import { Octokit } from "@octokit/rest";
import type { ResultAsync } from "neverthrow";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { createGitHubPullRequestHost, type OctokitLike } from "../../../src/adapters/github/index.js";
import { renderPullRequestBody } from "../../../src/core/pull-request/pull-request-body.js";
import { createOrchestrator } from "../../../src/index.js";
import type { PortError } from "../../../src/ports/port-error.js";
import type { DraftPullRequestInput, PullRequestHost } from "../../../src/ports/pull-request-host.js";
import {
  contractDraft,
  describePullRequestHostContract,
  functionPropertyNames,
} from "../../../src/testing/contracts/pull-request-host.js";
import { createInMemoryPorts } from "../../../src/testing/index.js";
import { cardRequest } from "../../orchestrator/helpers.js";
import { githubHostOn } from "./host-on-local-github.js";
import {
  type LocalGitHub,
  type LocalGitHubOptions,
  pullNumberOf,
  type RecordedRequest,
  startLocalGitHub,
} from "./local-github-server.js";

// Everything here runs against a local HTTP server on 127.0.0.1 that plays GitHub; no request leaves the machine.

const TOKEN = "ghp_RungateTestTokenNeverPrinted0123456789";
const MAIN_SHA = "1".repeat(40);
const SLOW = 30_000;

// Creating pull requests with one token is spaced by the throttling plugin (GitHub asks content-creating
// requests not to come in bursts), so a case that opens several waits a few seconds: the timeout allows it.
vi.setConfig({ testTimeout: SLOW });

const live: LocalGitHub[] = [];
/** Every request any local GitHub received during this file, for the "never merges" audit at the end. */
const everyRequest: RecordedRequest[] = [];
/** Every error any adapter returned during this file, for the "token never leaks" audit at the end. */
const everyError: unknown[] = [];

async function github(options: LocalGitHubOptions = {}): Promise<LocalGitHub> {
  const server = await startLocalGitHub({
    token: TOKEN,
    ...options,
    branches: { main: MAIN_SHA, ...options.branches },
  });
  live.push(server);
  return server;
}

afterEach(async () => {
  for (const server of live.splice(0)) {
    everyRequest.push(...server.requests);
    await server.close();
  }
});

/** The host under test on `server`, with the token config (Octokit + retry + throttling built by rungate). */
function rawHostOn(server: LocalGitHub, extra: Record<string, unknown> = {}): PullRequestHost {
  return githubHostOn(server, TOKEN, extra);
}

/** {@link rawHostOn}, with every error it returns kept for the audit. */
function hostOn(server: LocalGitHub, extra: Record<string, unknown> = {}): PullRequestHost {
  return auditing(rawHostOn(server, extra));
}

/** Wraps a host so every error it returns lands in {@link everyError}. */
function auditing(host: PullRequestHost): PullRequestHost {
  return {
    name: host.name,
    createDraftPullRequest: (input, options) =>
      host.createDraftPullRequest(input, options).mapErr((e) => {
        everyError.push(e);
        return e;
      }),
    getPullRequest: (url, options) =>
      host.getPullRequest(url, options).mapErr((e) => {
        everyError.push(e);
        return e;
      }),
  };
}

function draft(n: number, overrides: Partial<DraftPullRequestInput> = {}): DraftPullRequestInput {
  return { ...contractDraft(n), ...overrides };
}

/** The branches of `contractDraft(1..n)`, as if pushed. */
function contractBranches(n: number): Record<string, string> {
  return Object.fromEntries(
    Array.from({ length: n }, (_, i) => [contractDraft(i + 1).head_branch, contractDraft(i + 1).head_sha]),
  );
}

/** The error of a call that must fail. */
async function failure(call: ResultAsync<unknown, PortError>): Promise<PortError> {
  const result = await call;
  if (result.isOk()) throw new Error(`expected a failure, got ${JSON.stringify(result.value)}`);
  return result.error;
}

const POST_PULLS = "POST /repos/{owner}/{repo}/pulls";

describePullRequestHostContract({
  name: "github (token config, local HTTP server playing GitHub)",
  make: async () => {
    const server = await github({ branches: contractBranches(3) });
    return {
      host: rawHostOn(server),
      observeMerge: async (url, by) => server.mergeAsPerson(pullNumberOf(url), by),
      // Read back through GitHub's own combined-status endpoint of the stand-in, not through the adapter.
      statuses: async (sha) => {
        const answer = await fetch(
          `${server.baseUrl}/repos/${server.owner}/${server.repo}/commits/${sha}/status`,
          {
            headers: { authorization: `token ${TOKEN}` },
          },
        );
        const combined = (await answer.json()) as { statuses: { context: string; state: string }[] };
        return Object.fromEntries(combined.statuses.map((s) => [s.context, s.state]));
      },
    };
  },
});

describe("GitHub pull request host, against a local HTTP server playing GitHub", () => {
  it("offers exactly the port methods (no merge, approve or ready), on a frozen object", async () => {
    const host = rawHostOn(await github());
    expect(functionPropertyNames(host)).toEqual([
      "createDraftPullRequest",
      "getPullRequest",
      "publishCommitStatus",
      "requestReview",
    ]);
    expect(Object.isFrozen(host)).toBe(true);
  });

  describe("opening a draft", () => {
    it("POSTs /repos/{owner}/{repo}/pulls with draft: true, head, base, title and the generated body", async () => {
      const server = await github({ branches: { "rungate/card-7": "a".repeat(40) } });
      const host = hostOn(server);
      const body = renderPullRequestBody({
        run: { id: "00000000-0000-4000-8000-000000000001" },
        assignment: {
          id: "00000000-0000-4000-8000-000000000002",
          card_id: "card-7",
          feature_branch: "rungate/card-7",
          head_sha: "a".repeat(40),
          assignment_input_snapshot: { title: "Cart total", description: "Sum the cart." },
        },
        checks: [],
        approvals: [],
        files: [
          {
            path: "src/cart/total.ts",
            status: "added",
            previous_path: null,
            mode: "100644",
            previous_mode: null,
            path_bytes: null,
            previous_path_bytes: null,
            symlink_target: null,
          },
        ],
      });
      const created = await host.createDraftPullRequest({
        base_branch: "main",
        head_branch: "rungate/card-7",
        head_sha: "a".repeat(40),
        title: "Cart total",
        body,
      });

      expect(created._unsafeUnwrap()).toEqual({
        url: "https://github.com/acme/widgets/pull/1",
        status: "draft_open",
        head_sha: "a".repeat(40),
        decided_by: null,
      });
      expect(server.requests.map((r) => `${r.method} ${r.pathname}`)).toEqual([
        "POST /repos/acme/widgets/pulls",
      ]);
      const [sent] = server.requests;
      expect(sent?.body).toEqual({
        title: "Cart total",
        head: "rungate/card-7",
        base: "main",
        body,
        draft: true,
      });
      expect(sent?.headers.authorization).toBe(`token ${TOKEN}`);
      expect(sent?.headers["user-agent"]).toMatch(/^rungate /);
      expect(server.pulls[0]).toMatchObject({ draft: true, body, state: "open" });
    });

    it(
      "returns the open PR of the branch when GitHub answers 422 'A pull request already exists' (idempotent)",
      async () => {
        const server = await github({ branches: contractBranches(1) });
        const host = hostOn(server);
        const first = (await host.createDraftPullRequest(draft(1)))._unsafeUnwrap();
        const again = (await host.createDraftPullRequest(draft(1)))._unsafeUnwrap();

        expect(again).toEqual(first);
        expect(server.pulls).toHaveLength(1);
        expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
          "POST /repos/acme/widgets/pulls",
          "POST /repos/acme/widgets/pulls",
          "GET /repos/acme/widgets/pulls?head=acme%3Arungate%2Fcontract-1&state=open&per_page=100",
        ]);
      },
      SLOW,
    );

    it(
      "returns a PR a person already marked ready as it is: open, not turned back into a draft",
      async () => {
        const server = await github({ branches: contractBranches(1) });
        const host = hostOn(server);
        const first = (await host.createDraftPullRequest(draft(1)))._unsafeUnwrap();
        server.markReadyAsPerson(pullNumberOf(first.url));
        const again = (await host.createDraftPullRequest(draft(1)))._unsafeUnwrap();
        expect(again).toEqual({ ...first, status: "open" });
        expect(server.pulls[0]?.draft).toBe(false);
      },
      SLOW,
    );

    it("refuses a draft without a title before sending anything", async () => {
      const server = await github({ branches: contractBranches(1) });
      const error = await failure(hostOn(server).createDraftPullRequest(draft(1, { title: "" })));
      expect(error.kind).toBe("validation");
      expect(server.requests).toEqual([]);
    });
  });

  describe("reading a pull request", () => {
    it("observes a person's merge on GitHub: merged, decided by the merger's login", async () => {
      const server = await github({ branches: contractBranches(1) });
      const host = hostOn(server);
      const { url } = (await host.createDraftPullRequest(draft(1)))._unsafeUnwrap();
      expect((await host.getPullRequest(url))._unsafeUnwrap().status).toBe("draft_open");

      server.mergeAsPerson(pullNumberOf(url), "alice");
      expect((await host.getPullRequest(url))._unsafeUnwrap()).toEqual({
        url,
        status: "merged",
        head_sha: contractDraft(1).head_sha,
        decided_by: "alice",
      });
      expect(server.requests.at(-1)).toMatchObject({
        method: "GET",
        pathname: "/repos/acme/widgets/pulls/1",
      });
    });

    it("reads a PR marked ready as open, and a closed one as closed with no decider (GitHub does not say)", async () => {
      const server = await github();
      const pr = { title: "t", body: "", base: "main", merged: false, merged_by: null } as const;
      const ready = server.seed({ ...pr, head: "a", head_sha: "a".repeat(40), state: "open", draft: false });
      const closed = server.seed({
        ...pr,
        head: "b",
        head_sha: "b".repeat(40),
        state: "closed",
        draft: true,
      });
      const host = hostOn(server);
      expect(
        (await host.getPullRequest(`https://github.com/acme/widgets/pull/${ready}`))._unsafeUnwrap(),
      ).toEqual({
        url: `https://github.com/acme/widgets/pull/${ready}`,
        status: "open",
        head_sha: "a".repeat(40),
        decided_by: null,
      });
      expect(
        (await host.getPullRequest(`https://github.com/acme/widgets/pull/${closed}`))._unsafeUnwrap(),
      ).toEqual({
        url: `https://github.com/acme/widgets/pull/${closed}`,
        status: "closed",
        head_sha: "b".repeat(40),
        decided_by: null,
      });
    });

    it("answers not_found for a PR GitHub answers 404 for", async () => {
      const server = await github();
      const error = await failure(hostOn(server).getPullRequest("https://github.com/acme/widgets/pull/4242"));
      expect(error).toMatchObject({
        kind: "not_found",
        detail: { id: "https://github.com/acme/widgets/pull/4242" },
      });
      expect(server.requests.map((r) => `${r.method} ${r.pathname}`)).toEqual([
        "GET /repos/acme/widgets/pulls/4242",
      ]);
    });

    it("answers not_found for no PR url at all, and refuses a url of another repository, without asking GitHub", async () => {
      const server = await github();
      const host = hostOn(server);
      for (const url of ["https://github.com/acme/widgets/issues/1", "nope"]) {
        expect((await failure(host.getPullRequest(url))).kind).toBe("not_found");
      }
      expect(await failure(host.getPullRequest("https://github.com/other/widgets/pull/1"))).toMatchObject({
        kind: "validation",
        code: "foreign_pull_request_url",
      });
      expect(server.requests).toEqual([]);
    });

    it("reports an answer of the wrong shape as a port_failure naming the route", async () => {
      const server = await github();
      server.script({ method: "GET", pathname: /\/pulls\/1$/, status: 200, body: { number: "one" } });
      const error = await failure(hostOn(server).getPullRequest("https://github.com/acme/widgets/pull/1"));
      expect(error).toMatchObject({
        kind: "port_failure",
        code: "github_unexpected_response",
        detail: { operation: "GET /repos/{owner}/{repo}/pulls/{pull_number}", retryable: false },
      });
    });
  });

  describe("failures, each with what to do", () => {
    it("401: the token is invalid or expired", async () => {
      const server = await github();
      const host = createGitHubPullRequestHost({
        owner: "acme",
        repo: "widgets",
        token: "ghp_expired",
        baseUrl: server.baseUrl,
      });
      const error = await failure(auditing(host).createDraftPullRequest(draft(1)));
      expect(error).toMatchObject({
        kind: "port_failure",
        code: "github_unauthorized",
        detail: { port: "PullRequestHost", adapter: "github", operation: POST_PULLS, retryable: false },
      });
      expect(error.message).toMatch(/401 Bad credentials/);
      expect(error.message).toMatch(/invalid, expired or revoked/);
      expect(error.message).not.toContain("ghp_expired");
      expect(server.requests).toHaveLength(1);
    });

    it("403: names the missing scope or permission, and what GitHub says the call needs", async () => {
      const server = await github({ branches: contractBranches(1) });
      server.script({
        method: "POST",
        pathname: /\/pulls$/,
        status: 403,
        headers: { "x-accepted-github-permissions": "pull_requests=write", "x-ratelimit-remaining": "4999" },
        body: { message: "Resource not accessible by personal access token", status: "403" },
      });
      const error = await failure(hostOn(server).createDraftPullRequest(draft(1)));
      expect(error).toMatchObject({
        kind: "port_failure",
        code: "github_forbidden",
        detail: { operation: POST_PULLS, retryable: false },
      });
      expect(error.message).toContain("Resource not accessible by personal access token");
      expect(error.message).toContain('classic token needs the "repo" scope');
      expect(error.message).toContain('"Pull requests: read and write" and "Contents: read"');
      expect(error.message).toContain("this call needs: pull_requests=write");
      expect(server.requests).toHaveLength(1);
    });

    it("403 with x-ratelimit-remaining 0: the rate limit, retryable, without sitting out a reset an hour away", async () => {
      const server = await github({ branches: contractBranches(1) });
      const reset = Math.floor(Date.now() / 1000) + 3600;
      server.script({
        method: "POST",
        pathname: /\/pulls$/,
        status: 403,
        headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
        body: { message: "API rate limit exceeded for user ID 1." },
      });
      const error = await failure(hostOn(server).createDraftPullRequest(draft(1)));
      expect(error).toMatchObject({ code: "github_rate_limited", detail: { retryable: true } });
      expect(error.message).toContain(`resets at ${new Date(reset * 1000).toISOString()}`);
      expect(server.requests).toHaveLength(1);
    });

    it("404: the repository does not exist or the token cannot see it", async () => {
      const server = await github({ branches: contractBranches(1) });
      const host = auditing(
        createGitHubPullRequestHost({ owner: "acme", repo: "secret", token: TOKEN, baseUrl: server.baseUrl }),
      );
      const error = await failure(host.createDraftPullRequest(draft(1)));
      expect(error).toMatchObject({
        code: "github_repo_not_found",
        detail: { operation: POST_PULLS, retryable: false },
      });
      expect(error.message).toContain("acme/secret");
      expect(error.message).toMatch(/does not exist, or the token cannot see it/);
    });

    it("422 other than 'already exists': GitHub's validation message, e.g. a head branch that was never pushed", async () => {
      const server = await github();
      const error = await failure(hostOn(server).createDraftPullRequest(draft(1)));
      expect(error).toMatchObject({ code: "github_validation_failed", detail: { retryable: false } });
      expect(error.message).toContain("422 Validation Failed; head invalid");
      expect(error.message).toContain('head branch "rungate/contract-1" is pushed to acme/widgets');
      expect(server.pulls).toEqual([]);
    });

    it(
      "waits out a secondary rate limit (403, retry-after: 1) and then succeeds",
      async () => {
        const server = await github({ branches: contractBranches(1) });
        server.script({
          method: "POST",
          pathname: /\/pulls$/,
          status: 403,
          headers: { "retry-after": "1" },
          body: {
            message:
              "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
          },
        });
        const created = await hostOn(server).createDraftPullRequest(draft(1));
        expect(created._unsafeUnwrap().status).toBe("draft_open");
        expect(server.requests.map((r) => r.method)).toEqual(["POST", "POST"]);
        expect(server.pulls).toHaveLength(1);
      },
      SLOW,
    );

    it(
      "gives up on a secondary rate limit after the bounded retries, with a retryable failure",
      async () => {
        const server = await github({ branches: contractBranches(1) });
        for (let i = 0; i < 5; i += 1) {
          server.script({
            method: "POST",
            pathname: /\/pulls$/,
            status: 403,
            headers: { "retry-after": "1" },
            body: { message: "You have exceeded a secondary rate limit." },
          });
        }
        const error = await failure(hostOn(server, { retries: 1 }).createDraftPullRequest(draft(1)));
        expect(error).toMatchObject({ code: "github_secondary_rate_limited", detail: { retryable: true } });
        expect(error.message).toContain("GitHub asks to wait 1 s");
        expect(server.requests).toHaveLength(2);
        expect(server.pulls).toEqual([]);
      },
      SLOW,
    );

    it("does not wait out a rate limit longer than maxRetryAfterSeconds (429, retry-after: 600), nor back off blindly", async () => {
      const server = await github({ branches: contractBranches(1) });
      server.script({
        method: "POST",
        pathname: /\/pulls$/,
        status: 429,
        headers: { "retry-after": "600" },
        body: { message: "You have exceeded a secondary rate limit." },
      });
      const error = await failure(hostOn(server).createDraftPullRequest(draft(1)));
      expect(error).toMatchObject({ code: "github_secondary_rate_limited", detail: { retryable: true } });
      expect(error.message).toContain("GitHub asks to wait 600 s");
      expect(server.requests).toHaveLength(1);
    });

    it(
      "retries a 502 (bounded) and succeeds; with retries: 0 the 502 is a retryable failure",
      async () => {
        const server = await github({ branches: contractBranches(1) });
        server.script({
          method: "POST",
          pathname: /\/pulls$/,
          status: 502,
          body: { message: "Server Error" },
        });
        const created = await hostOn(server, { retries: 1 }).createDraftPullRequest(draft(1));
        expect(created.isOk()).toBe(true);
        expect(server.requests.map((r) => r.method)).toEqual(["POST", "POST"]);

        server.script({
          method: "GET",
          pathname: /\/pulls\/1$/,
          status: 502,
          body: { message: "Server Error" },
        });
        const error = await failure(
          hostOn(server, { retries: 0 }).getPullRequest(created._unsafeUnwrap().url),
        );
        expect(error).toMatchObject({
          code: "github_server_error",
          detail: { operation: "GET /repos/{owner}/{repo}/pulls/{pull_number}", retryable: true },
        });
        expect(server.requests).toHaveLength(3);
      },
      SLOW,
    );

    it("a server that is gone is a retryable failure", async () => {
      const server = await github();
      const { baseUrl } = server;
      await server.close();
      live.splice(live.indexOf(server), 1);
      const host = auditing(
        createGitHubPullRequestHost({
          owner: "acme",
          repo: "widgets",
          token: TOKEN,
          baseUrl,
          webHost: "github.com",
          retries: 0,
        }),
      );
      const error = await failure(host.getPullRequest("https://github.com/acme/widgets/pull/1"));
      expect(error).toMatchObject({ kind: "port_failure", detail: { retryable: true } });
    });

    it("a call aborted while GitHub is answering is cancelled", async () => {
      const server = await github();
      server.script({ method: "GET", pathname: /\/pulls\/1$/, status: 200, body: {}, delayMs: 60_000 });
      const controller = new AbortController();
      const pending = hostOn(server).getPullRequest("https://github.com/acme/widgets/pull/1", {
        signal: controller.signal,
      });
      await vi.waitUntil(() => server.requests.length === 1, { timeout: 10_000 });
      controller.abort();
      expect(await failure(pending)).toMatchObject({
        kind: "cancelled",
        detail: { operation: "GET /repos/{owner}/{repo}/pulls/{pull_number}" },
      });
    });

    it("an aborted signal is cancelled, and nothing is sent", async () => {
      const server = await github({ branches: contractBranches(1) });
      const host = hostOn(server);
      const controller = new AbortController();
      controller.abort();
      const { signal } = controller;
      expect((await failure(host.createDraftPullRequest(draft(1), { signal }))).kind).toBe("cancelled");
      expect(
        (await failure(host.getPullRequest("https://github.com/acme/widgets/pull/1", { signal }))).kind,
      ).toBe("cancelled");
      expect(server.requests).toEqual([]);
    });
  });

  describe("the token", () => {
    it("is redacted even when GitHub echoes it back in an error", async () => {
      const server = await github({ branches: contractBranches(1) });
      server.script({
        method: "POST",
        pathname: /\/pulls$/,
        status: 422,
        body: { message: `Validation Failed for ${TOKEN}`, errors: [{ message: `token ${TOKEN} is odd` }] },
      });
      const error = await failure(hostOn(server).createDraftPullRequest(draft(1)));
      expect(error.message).toContain("[REDACTED]");
      expect(JSON.stringify(error)).not.toContain(TOKEN);
    });

    it("never appears in a construction error", () => {
      let thrown: unknown;
      try {
        createGitHubPullRequestHost({ owner: "acme", repo: "widgets", token: TOKEN, baseUrl: "not a url" });
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      expect(String(thrown)).toMatch(/baseUrl/);
      expect(inspect(thrown)).not.toContain(TOKEN);
    });

    it(
      "never appears in the events or records of a run whose draft PR went to GitHub, nor in its errors",
      async () => {
        const server = await github();
        const ports = createInMemoryPorts();
        const orchestrator = createOrchestrator({ ...ports, pullRequests: hostOn(server) });
        const built = (
          await orchestrator.triggerBuild(cardRequest({ idempotency_key: "gh-1" }))
        )._unsafeUnwrap();
        const [assignment] = built.assignments;
        const [approval] = built.approvals;
        if (!assignment?.head_sha || !approval) throw new Error("the run did not reach the approval");
        (
          await orchestrator.recordApprovalDecision({
            run_id: built.run.id,
            approval_id: approval.id,
            decision: "approve",
            decided_by: "alice",
          })
        )._unsafeUnwrap();

        // Not pushed to "GitHub" yet: GitHub's 422 comes back as the orchestrator's error.
        const refused = await orchestrator.createPullRequestCandidate({ assignment_id: assignment.id });
        expect(refused.isErr()).toBe(true);
        everyError.push(refused.isErr() ? refused.error : null);

        server.push(assignment.feature_branch, assignment.head_sha);
        const pr = (
          await orchestrator.createPullRequestCandidate({ assignment_id: assignment.id })
        )._unsafeUnwrap();
        expect(pr).toMatchObject({ status: "draft_open", pr_url: "https://github.com/acme/widgets/pull/1" });
        const posted = server.requests.filter((r) => r.method === "POST").at(-1);
        expect(posted?.body).toEqual({
          title: pr.title,
          head: assignment.feature_branch,
          base: built.run.base_branch,
          body: pr.description,
          draft: true,
        });

        server.mergeAsPerson(1, "bob");
        const merged = (
          await orchestrator.observePullRequest({ assignment_id: assignment.id })
        )._unsafeUnwrap();
        expect(merged.status).toBe("merged");
        const events = (await ports.storage.listEvents(built.run.id))._unsafeUnwrap();
        expect(events.find((e) => e.event_type === "pull_request.observed")?.payload).toMatchObject({
          decided_by: "bob",
          to: "merged",
        });

        const stored = JSON.stringify(ports.storage.snapshot());
        expect(stored).toContain("pull_request.drafted");
        expect(stored).not.toContain(TOKEN);
        expect(JSON.stringify(events)).not.toContain(TOKEN);
      },
      SLOW,
    );
  });

  describe("your own Octokit", () => {
    function fakeOctokit() {
      const calls: { method: string; params: Record<string, unknown> }[] = [];
      const pull = {
        number: 9,
        html_url: "https://ghe.example/acme/widgets/pull/9",
        state: "open",
        draft: true,
        merged: false,
        merged_by: null,
        head: { ref: "rungate/contract-1", sha: contractDraft(1).head_sha },
        base: { ref: "main" },
      };
      const octokit: OctokitLike = {
        rest: {
          pulls: {
            create: async (params) => {
              calls.push({ method: "create", params: { ...params } });
              return { status: 201, data: pull };
            },
            get: async (params) => {
              calls.push({ method: "get", params: { ...params } });
              if (params.pull_number !== 9) {
                throw Object.assign(new Error("Not Found"), {
                  status: 404,
                  response: { headers: {}, data: { message: "Not Found" } },
                });
              }
              return {
                status: 200,
                data: { ...pull, state: "closed", merged: true, merged_by: { login: "carol" } },
              };
            },
            list: async (params) => {
              calls.push({ method: "list", params: { ...params } });
              return { status: 200, data: [pull] };
            },
          },
        },
      };
      return { octokit, calls };
    }

    it("works with a user-made object implementing OctokitLike (e.g. GitHub App auth, Enterprise)", async () => {
      const { octokit, calls } = fakeOctokit();
      const host = auditing(
        createGitHubPullRequestHost({
          owner: "acme",
          repo: "widgets",
          octokit,
          name: "ghe",
          webHost: "ghe.example",
        }),
      );
      expect(host.name).toBe("ghe");
      const created = (await host.createDraftPullRequest(draft(1)))._unsafeUnwrap();
      expect(created).toEqual({
        url: "https://ghe.example/acme/widgets/pull/9",
        status: "draft_open",
        head_sha: contractDraft(1).head_sha,
        decided_by: null,
      });
      expect((await host.getPullRequest(created.url))._unsafeUnwrap()).toMatchObject({
        status: "merged",
        decided_by: "carol",
      });
      expect((await failure(host.getPullRequest("https://ghe.example/acme/widgets/pull/10"))).kind).toBe(
        "not_found",
      );
      expect(calls).toEqual([
        {
          method: "create",
          params: {
            owner: "acme",
            repo: "widgets",
            title: "Contract draft 1",
            head: "rungate/contract-1",
            base: "main",
            body: contractDraft(1).body,
            draft: true,
          },
        },
        { method: "get", params: { owner: "acme", repo: "widgets", pull_number: 9 } },
        { method: "get", params: { owner: "acme", repo: "widgets", pull_number: 10 } },
      ]);
    });

    it("maps what your Octokit throws like any GitHub failure", async () => {
      const { octokit } = fakeOctokit();
      const throwing: OctokitLike = {
        rest: {
          pulls: {
            ...octokit.rest.pulls,
            create: async () => {
              throw Object.assign(new Error("Resource not accessible by integration"), {
                status: 403,
                response: { headers: {}, data: { message: "Resource not accessible by integration" } },
              });
            },
          },
        },
      };
      const host = auditing(
        createGitHubPullRequestHost({ owner: "acme", repo: "widgets", octokit: throwing }),
      );
      const error = await failure(host.createDraftPullRequest(draft(1)));
      expect(error).toMatchObject({ code: "github_forbidden", detail: { operation: POST_PULLS } });
    });

    it("accepts a real @octokit/rest instance as OctokitLike (checked by the compiler)", () => {
      const real: OctokitLike = new Octokit({ baseUrl: "http://127.0.0.1:9" });
      expect(() =>
        createGitHubPullRequestHost({ owner: "acme", repo: "widgets", octokit: real }),
      ).not.toThrow();
    });
  });

  describe("construction", () => {
    it.each([
      [{ owner: "acme", repo: "widgets" }, /pass "token"/],
      [{ owner: "acme", repo: "widgets", token: TOKEN, octokit: {} }, /either "octokit" or "token"/],
      [{ owner: "acme/x", repo: "widgets", token: TOKEN }, /owner/],
      [{ owner: "acme", repo: "widgets", token: TOKEN, retries: 99 }, /retries/],
      [{ owner: "acme", repo: "widgets", octokit: { rest: {} } }, /rest\.pulls\.create/],
      [{ owner: "acme", repo: "widgets", token: TOKEN, tokne: "x" }, /Unrecognized key: "tokne"/],
    ])("refuses bad options with the correct usage: %o", (options, problem) => {
      expect(() => createGitHubPullRequestHost(options as never)).toThrow(problem);
      expect(() => createGitHubPullRequestHost(options as never)).toThrow(
        /Usage: createGitHubPullRequestHost/,
      );
    });
  });
});

describe("GitHub pull request host, audited over this whole file", () => {
  it("never sent a request that could merge, approve or mark ready: only POST …/pulls with draft: true, and GETs", () => {
    const seen = [...everyRequest, ...live.flatMap((s) => s.requests)];
    expect(seen.length).toBeGreaterThan(20);
    const offending = seen.filter((r) => {
      const body = (r.body ?? {}) as Record<string, unknown>;
      if (r.method === "GET")
        return !/^\/repos\/[^/]+\/[^/]+\/(pulls(\/\d+)?|commits\/[0-9a-f]+\/status)$/.test(r.pathname);
      // Commit statuses are rungate's check results on the head: they merge nothing and approve nothing.
      if (r.method === "POST" && /^\/repos\/[^/]+\/[^/]+\/statuses\/[0-9a-f]{40}$/.test(r.pathname))
        return false;
      if (r.method === "POST")
        return !/^\/repos\/[^/]+\/[^/]+\/pulls$/.test(r.pathname) || body.draft !== true;
      return true; // PUT …/merge, PATCH (draft: false), DELETE, anything else
    });
    expect(offending.map((r) => `${r.method} ${r.url} ${JSON.stringify(r.body)}`)).toEqual([]);
    expect(seen.filter((r) => /merge|reviews|graphql|ready/i.test(r.pathname))).toEqual([]);
    expect(JSON.stringify(seen.map((r) => r.body))).not.toMatch(
      /markPullRequestReadyForReview|"draft":false/,
    );
  });

  it("never put the token into an error, its message, cause or detail", () => {
    expect(everyError.length).toBeGreaterThan(10);
    for (const error of everyError) {
      expect(JSON.stringify(error)).not.toContain(TOKEN);
      expect(inspect(error, { depth: 10 })).not.toContain(TOKEN);
    }
  });
});

afterAll(async () => {
  for (const server of live.splice(0)) await server.close();
});
