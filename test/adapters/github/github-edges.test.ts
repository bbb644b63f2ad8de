import { inspect } from "node:util";
import { Octokit } from "@octokit/rest";
import type { ResultAsync } from "neverthrow";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { createGitHubPullRequestHost, type OctokitLike } from "../../../src/adapters/github/index.js";
import type { PortError } from "../../../src/ports/port-error.js";
import type { DraftPullRequestInput, PullRequestHost } from "../../../src/ports/pull-request-host.js";
import { contractDraft } from "../../../src/testing/contracts/pull-request-host.js";
import { githubHostOn } from "./host-on-local-github.js";
import {
  GITHUB_LENGTH_LIMITS,
  type LocalGitHub,
  type LocalGitHubOptions,
  type RecordedRequest,
  startLocalGitHub,
} from "./local-github-server.js";

// The sharper edges of the GitHub host (issue 18, item 4), each against the local server playing GitHub on
// 127.0.0.1; no request leaves the machine.

const TOKEN = "ghp_RungateEdgesTokenNeverPrinted012345";
const MAIN_SHA = "1".repeat(40);
const POST_PULLS = "POST /repos/{owner}/{repo}/pulls";

// Creating pull requests with one token is spaced by the throttling plugin, and a few cases sit out a
// `retry-after: 1`: the timeout allows it.
vi.setConfig({ testTimeout: 30_000 });

const live: LocalGitHub[] = [];
/** Every request any local GitHub received in this file, for the audit at the end. */
const everyRequest: RecordedRequest[] = [];
/** Every error returned in this file, for the "token never leaks" audit at the end. */
const everyError: PortError[] = [];

async function github(options: LocalGitHubOptions = {}): Promise<LocalGitHub> {
  const server = await startLocalGitHub({
    token: TOKEN,
    ...options,
    branches: {
      main: MAIN_SHA,
      [contractDraft(1).head_branch]: contractDraft(1).head_sha,
      ...options.branches,
    },
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

afterAll(async () => {
  for (const server of live.splice(0)) await server.close();
});

/** The token-config host on `server` (rungate's Octokit with retry and throttling). */
function hostOn(server: LocalGitHub, extra: Record<string, unknown> = {}): PullRequestHost {
  return githubHostOn(server, TOKEN, extra);
}

function draft(overrides: Partial<DraftPullRequestInput> = {}): DraftPullRequestInput {
  return { ...contractDraft(1), ...overrides };
}

/** The error of a call that must fail, kept for the audit. */
async function failure(call: ResultAsync<unknown, PortError>): Promise<PortError> {
  const result = await call;
  if (result.isOk()) throw new Error(`expected a failure, got ${JSON.stringify(result.value)}`);
  everyError.push(result.error);
  return result.error;
}

/** A `fetch` that sends what Octokit addresses to `apiRoot` to the local server instead. */
function forwardingFetch(apiRoot: string, server: LocalGitHub, seen: string[] = []): typeof fetch {
  return (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    seen.push(url);
    if (!url.startsWith(apiRoot)) return Promise.reject(new TypeError(`unexpected host: ${url}`));
    return fetch(`${server.baseUrl}${url.slice(apiRoot.length)}`, init);
  };
}

describe("lengths GitHub refuses are refused before sending, never truncated", () => {
  it("refuses a 300 KB body with a validation error naming the body and GitHub's limit; nothing is sent", async () => {
    const server = await github();
    const body = "x".repeat(300 * 1024);
    const error = await failure(hostOn(server).createDraftPullRequest(draft({ body })));
    expect(error).toMatchObject({
      kind: "validation",
      code: "github_limit_exceeded",
      detail: { issues: [{ path: ["body"], code: "too_long" }] },
    });
    expect(error.message).toContain("body");
    expect(error.message).toContain("longer than 65536 characters");
    expect(error.message).toContain(`this one has ${body.length}`);
    expect(error.message).toMatch(/does not shorten what a person approved/);
    expect(server.requests).toEqual([]);
    expect(server.pulls).toEqual([]);
  });

  it("refuses a 257-character title, and names both fields when both are too long", async () => {
    const server = await github();
    const host = hostOn(server);
    const title = await failure(host.createDraftPullRequest(draft({ title: "t".repeat(257) })));
    expect(title).toMatchObject({ kind: "validation", code: "github_limit_exceeded" });
    expect(title.message).toContain("title");
    expect(title.message).toContain("longer than 256 characters");

    const both = await failure(
      host.createDraftPullRequest(draft({ title: "t".repeat(300), body: "b".repeat(70_000) })),
    );
    expect(both.kind === "validation" && both.detail.issues.map((i) => i.path)).toEqual([
      ["title"],
      ["body"],
    ]);
    expect(server.requests).toEqual([]);
  });

  it("sends a title and a body exactly at the limits, counted as GitHub counts them (code points: an emoji is one)", async () => {
    const server = await github();
    // 65,536 emoji are 131,072 UTF-16 units, but 65,536 characters for GitHub.
    const body = "🚀".repeat(GITHUB_LENGTH_LIMITS.body);
    const title = "é".repeat(GITHUB_LENGTH_LIMITS.title);
    expect(body.length).toBe(2 * GITHUB_LENGTH_LIMITS.body);
    const created = await hostOn(server).createDraftPullRequest(draft({ title, body }));
    expect(created.isOk(), created.isErr() ? created.error.message : "").toBe(true);
    expect(server.pulls[0]).toMatchObject({ title, body, draft: true });
  });
});

describe("GitHub's 422s carry GitHub's own field errors, and the push hint only when they are about the head", () => {
  it("a body GitHub finds too long: its field error (resource, field, code, message), no hint about pushing", async () => {
    const server = await github();
    server.script({
      method: "POST",
      pathname: /\/pulls$/,
      status: 422,
      body: {
        message: "Validation Failed",
        errors: [
          {
            resource: "Issue",
            code: "custom",
            field: "body",
            message: "body is too long (maximum is 65536 characters)",
          },
        ],
      },
    });
    const error = await failure(hostOn(server).createDraftPullRequest(draft()));
    expect(error).toMatchObject({
      kind: "port_failure",
      code: "github_validation_failed",
      detail: { operation: POST_PULLS, retryable: false },
    });
    expect(error.message).toContain(
      "GitHub's field errors: Issue.body custom: body is too long (maximum is 65536 characters)",
    );
    expect(error.message).not.toMatch(/push|head branch/i);
  });

  it("a head branch never pushed (field: head): GitHub's field error and the hint to push it", async () => {
    const server = await github();
    const error = await failure(
      hostOn(server).createDraftPullRequest(draft({ head_branch: "rungate/never-pushed" })),
    );
    expect(error.code).toBe("github_validation_failed");
    expect(error.message).toContain("GitHub's field errors: PullRequest.head invalid");
    expect(error.message).toContain('head branch "rungate/never-pushed" is pushed to acme/widgets');
    expect(error.message).not.toContain("base branch");
  });

  it("'No commits between' gets the push hint; a missing base branch gets the base hint instead", async () => {
    const server = await github();
    server.script({
      method: "POST",
      pathname: /\/pulls$/,
      status: 422,
      body: {
        message: "Validation Failed",
        errors: [
          {
            resource: "PullRequest",
            code: "custom",
            message: "No commits between main and rungate/contract-1",
          },
        ],
      },
    });
    const host = hostOn(server);
    const noCommits = await failure(host.createDraftPullRequest(draft()));
    expect(noCommits.message).toContain("PullRequest custom: No commits between main and rungate/contract-1");
    expect(noCommits.message).toContain('head branch "rungate/contract-1" is pushed');

    const noBase = await failure(host.createDraftPullRequest(draft({ base_branch: "release" })));
    expect(noBase.message).toContain("GitHub's field errors: PullRequest.base invalid");
    expect(noBase.message).toContain('base branch "release" exists in acme/widgets');
    expect(noBase.message).not.toMatch(/is pushed/);
  });
});

describe("getPullRequest reads only pull requests of the configured host and repository", () => {
  it("refuses a url on another host, or of another owner or repository, with a typed error; nothing is sent", async () => {
    const server = await github();
    const host = hostOn(server);
    for (const url of [
      "https://github.example.net/acme/widgets/pull/1",
      "http://127.0.0.1:1/acme/widgets/pull/1",
      "https://github.com/other/widgets/pull/1",
      "https://github.com/acme/gadgets/pull/1",
    ]) {
      const error = await failure(host.getPullRequest(url));
      expect(error).toMatchObject({
        kind: "validation",
        code: "foreign_pull_request_url",
        detail: { issues: [{ path: ["url"], code: "foreign_pull_request_url" }] },
      });
      expect(error.message).toContain("github.com/acme/widgets");
    }
    expect(server.requests).toEqual([]);
    // Case does not make a url foreign: GitHub's hosts and names are case-insensitive.
    server.seed({
      title: "t",
      body: "",
      head: "a",
      head_sha: "a".repeat(40),
      base: "main",
      state: "open",
      draft: true,
      merged: false,
      merged_by: null,
    });
    expect((await host.getPullRequest("https://GitHub.com/ACME/Widgets/pull/1")).isOk()).toBe(true);
  });

  it("derives the web host from the API root: api.github.com → github.com, a GHES /api/v3 root → its host", async () => {
    const server = await github();
    server.seed({
      title: "t",
      body: "",
      head: "a",
      head_sha: "a".repeat(40),
      base: "main",
      state: "open",
      draft: true,
      merged: false,
      merged_by: null,
    });
    const dotcom = createGitHubPullRequestHost({
      owner: "acme",
      repo: "widgets",
      token: TOKEN,
      fetch: forwardingFetch("https://api.github.com", server),
    });
    expect((await dotcom.getPullRequest("https://github.com/acme/widgets/pull/1")).isOk()).toBe(true);

    const seen: string[] = [];
    const ghes = createGitHubPullRequestHost({
      owner: "acme",
      repo: "widgets",
      token: TOKEN,
      baseUrl: "https://ghe.example.com/api/v3",
      fetch: forwardingFetch("https://ghe.example.com/api/v3", server, seen),
    });
    expect((await ghes.getPullRequest("https://ghe.example.com/acme/widgets/pull/1")).isOk()).toBe(true);
    expect(await failure(ghes.getPullRequest("https://github.com/acme/widgets/pull/1"))).toMatchObject({
      code: "foreign_pull_request_url",
    });
    expect(seen).toEqual(["https://ghe.example.com/api/v3/repos/acme/widgets/pulls/1"]);

    // Your own Octokit: its baseUrl says the host.
    const octokit = new Octokit({
      auth: TOKEN,
      baseUrl: "https://ghe.example.com/api/v3",
      request: { fetch: forwardingFetch("https://ghe.example.com/api/v3", server) },
    });
    const own = createGitHubPullRequestHost({ owner: "acme", repo: "widgets", octokit });
    expect((await own.getPullRequest("https://ghe.example.com/acme/widgets/pull/1")).isOk()).toBe(true);
    expect(await failure(own.getPullRequest("https://github.com/acme/widgets/pull/1"))).toMatchObject({
      code: "foreign_pull_request_url",
    });
  });

  it("a url that is no pull-request url at all is still not_found (the port's contract)", async () => {
    const server = await github();
    const error = await failure(hostOn(server).getPullRequest("https://pull-requests.invalid/none/999999"));
    expect(error.kind).toBe("not_found");
    expect(server.requests).toEqual([]);
  });
});

describe("a head of the form owner:branch", () => {
  it("is refused before sending: rungate proposes branches of the configured repository only", async () => {
    const server = await github({ branches: { "evil:rungate/x": "e".repeat(40) } });
    const error = await failure(
      hostOn(server).createDraftPullRequest(draft({ head_branch: "evil:rungate/x" })),
    );
    expect(error).toMatchObject({
      kind: "validation",
      code: "cross_repository_head",
      detail: { issues: [{ path: ["head_branch"], code: "cross_repository_head" }] },
    });
    expect(error.message).toContain("acme/widgets");
    expect(server.requests).toEqual([]);
  });
});

describe("with your own Octokit, the token it sends is redacted too", () => {
  // A newline inside the token: fetch refuses the Authorization header and Octokit's error quotes it verbatim.
  const MALFORMED = "ghp_Malformed\nTokenEchoedBack0123456789";

  it("Octokit itself echoes the malformed token in its error (what the adapter must redact)", async () => {
    const server = await github();
    const octokit = new Octokit({ auth: MALFORMED, baseUrl: server.baseUrl, log: silentLog });
    const thrown = await octokit.rest.pulls.get({ owner: "acme", repo: "widgets", pull_number: 1 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(String((thrown as { message?: unknown } | null)?.message)).toContain(MALFORMED);
  });

  it("redacts the token octokit.auth() names from every error, and declares it in secret_values", async () => {
    const server = await github();
    const octokit = new Octokit({ auth: MALFORMED, baseUrl: server.baseUrl, log: silentLog });
    const host = createGitHubPullRequestHost({
      owner: "acme",
      repo: "widgets",
      octokit,
      webHost: "github.com",
    });

    const created = await failure(host.createDraftPullRequest(draft()));
    const read = await failure(host.getPullRequest("https://github.com/acme/widgets/pull/1"));
    for (const error of [created, read]) {
      expect(error.kind).toBe("port_failure");
      expect(error.message).toContain("[REDACTED]");
      expect(error.message).not.toContain(MALFORMED);
      expect(inspect(error, { depth: 10 })).not.toContain(JSON.stringify(MALFORMED).slice(1, -1));
    }
    expect(host.secret_values).toEqual([MALFORMED]);
  });

  it("never fails construction or a call when auth() throws, or when there is no auth() at all", async () => {
    const server = await github();
    const octokit = new Octokit({ auth: TOKEN, baseUrl: server.baseUrl, log: silentLog });
    const throwingAuth = Object.assign(Object.create(octokit) as Octokit, {
      auth: () => Promise.reject(new Error("no token for you")),
    });
    const host = createGitHubPullRequestHost({
      owner: "acme",
      repo: "widgets",
      octokit: throwingAuth,
      webHost: "github.com",
    });
    expect((await host.createDraftPullRequest(draft())).isOk()).toBe(true);
    expect(host.secret_values).toEqual([]);

    const bare: OctokitLike = { rest: octokit.rest };
    const plain = createGitHubPullRequestHost({
      owner: "acme",
      repo: "widgets",
      octokit: bare,
      webHost: "github.com",
    });
    expect((await plain.getPullRequest("https://github.com/acme/widgets/pull/1")).isOk()).toBe(true);
    expect(plain.secret_values).toEqual([]);
  });
});

describe("rate-limit and server-error messages say how many retries were made", () => {
  it("a wait longer than maxRetryAfterSeconds: 'no retry was made', never 'retries are used up'", async () => {
    const server = await github();
    server.script({
      method: "POST",
      pathname: /\/pulls$/,
      status: 429,
      headers: { "retry-after": "600" },
      body: { message: "You have exceeded a secondary rate limit." },
    });
    const error = await failure(hostOn(server).createDraftPullRequest(draft()));
    expect(error).toMatchObject({ code: "github_secondary_rate_limited", detail: { retryable: true } });
    expect(error.message).toContain(
      "No retry was made: GitHub asks to wait 600 s, longer than the 60 s this host sits out (maxRetryAfterSeconds)",
    );
    expect(error.message).not.toMatch(/used up/);
    expect(server.requests).toHaveLength(1);
  });

  it("retries: 0 says no retry was made; retries: 1 used up says one retry was made", async () => {
    const server = await github();
    const secondary = {
      method: "POST",
      pathname: /\/pulls$/,
      status: 403,
      headers: { "retry-after": "1" },
      body: { message: "You have exceeded a secondary rate limit." },
    } as const;
    server.script(secondary);
    const none = await failure(hostOn(server, { retries: 0 }).createDraftPullRequest(draft()));
    expect(none.message).toContain("No retry was made (retries: 0)");
    expect(server.requests).toHaveLength(1);

    server.script(secondary);
    server.script(secondary);
    const one = await failure(hostOn(server, { retries: 1 }).createDraftPullRequest(draft()));
    expect(one.message).toContain("1 retry was made; the 1 allowed (retries) are used up");
    expect(server.requests).toHaveLength(3);
  });

  it("a 502 after plugin-retry's bounded retries says how many were made", async () => {
    const server = await github();
    for (let i = 0; i < 2; i += 1) {
      server.script({
        method: "GET",
        pathname: /\/pulls\/1$/,
        status: 502,
        body: { message: "Server Error" },
      });
    }
    const error = await failure(
      hostOn(server, { retries: 1 }).getPullRequest("https://github.com/acme/widgets/pull/1"),
    );
    expect(error).toMatchObject({ code: "github_server_error", detail: { retryable: true } });
    expect(error.message).toContain("1 retry was made");
    expect(server.requests).toHaveLength(2);
  });

  it("with your own Octokit, whose retries rungate cannot see, the message claims none", async () => {
    const throwing: OctokitLike = {
      rest: {
        pulls: {
          create: async () => {
            throw Object.assign(new Error("You have exceeded a secondary rate limit."), {
              status: 403,
              response: {
                headers: { "retry-after": "30" },
                data: { message: "You have exceeded a secondary rate limit." },
              },
            });
          },
          get: async () => ({ status: 200, data: {} }),
          list: async () => ({ status: 200, data: [] }),
        },
      },
    };
    const host = createGitHubPullRequestHost({ owner: "acme", repo: "widgets", octokit: throwing });
    const error = await failure(host.createDraftPullRequest(draft()));
    expect(error.code).toBe("github_secondary_rate_limited");
    expect(error.message).toContain("GitHub asks to wait 30 s");
    expect(error.message).not.toMatch(/retr(y|ies) (was|were) made|used up/);
  });
});

describe("GitHub edges, audited over this whole file", () => {
  it("never sent anything but POST …/pulls with draft: true and GETs", () => {
    const seen = [...everyRequest, ...live.flatMap((s) => s.requests)];
    expect(seen.length).toBeGreaterThan(5);
    const offending = seen.filter((r) =>
      r.method === "GET"
        ? !/^\/repos\/[^/]+\/[^/]+\/pulls(\/\d+)?$/.test(r.pathname)
        : r.method !== "POST" || (r.body as { draft?: unknown } | undefined)?.draft !== true,
    );
    expect(offending.map((r) => `${r.method} ${r.url}`)).toEqual([]);
  });

  it("never put a token into an error", () => {
    expect(everyError.length).toBeGreaterThan(10);
    for (const error of everyError) {
      const text = `${JSON.stringify(error)}\n${inspect(error, { depth: 10 })}`;
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain("TokenEchoedBack");
    }
  });
});

const silentLog = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
