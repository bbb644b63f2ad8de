import { afterEach, describe, expect, it, vi } from "vitest";
import type { CommitStatusInput, PullRequestHost } from "../../../src/ports/pull-request-host.js";
import { githubHostOn } from "./host-on-local-github.js";
import { type LocalGitHub, startLocalGitHub } from "./local-github-server.js";

// Commit statuses (issue 18.1) against the local server playing GitHub; no request leaves the machine.

const TOKEN = "ghp_RungateStatusTokenNeverPrinted01234";
const HEAD = "c".repeat(40);
vi.setConfig({ testTimeout: 30_000 });

const live: LocalGitHub[] = [];
afterEach(async () => {
  for (const server of live.splice(0)) await server.close();
});

async function hostWithServer(): Promise<{ server: LocalGitHub; host: PullRequestHost }> {
  const server = await startLocalGitHub({
    token: TOKEN,
    branches: { main: "1".repeat(40), "rungate/card": HEAD },
  });
  live.push(server);
  const host = githubHostOn(server, TOKEN);
  return { server, host };
}

const status = (overrides: Partial<CommitStatusInput> = {}): CommitStatusInput => ({
  head_sha: HEAD,
  context: "rungate/unit",
  state: "success",
  description: "unit passed on cccccccccccc (rungate)",
  target_url: "https://app.example/runs/1",
  ...overrides,
});

describe("GitHub commit statuses", () => {
  it("POSTs /repos/{owner}/{repo}/statuses/{sha} with state, context, description and target_url", async () => {
    const { server, host } = await hostWithServer();
    (await host.publishCommitStatus?.(status()))?._unsafeUnwrap();
    expect(server.statuses).toEqual([
      {
        sha: HEAD,
        state: "success",
        context: "rungate/unit",
        description: "unit passed on cccccccccccc (rungate)",
        target_url: "https://app.example/runs/1",
      },
    ]);
  });

  it("cuts a description to GitHub's 140 characters with an ellipsis instead of being refused", async () => {
    const { server, host } = await hostWithServer();
    (
      await host.publishCommitStatus?.(status({ description: "x".repeat(300), target_url: null }))
    )?._unsafeUnwrap();
    expect([...(server.statuses[0]?.description ?? "")]).toHaveLength(140);
    expect(server.statuses[0]?.description?.endsWith("…")).toBe(true);
    expect(server.statuses[0]?.target_url).toBeNull();
  });

  it("fails with a typed error for a commit GitHub does not know (not pushed), carrying GitHub's message", async () => {
    const { host } = await hostWithServer();
    const refused = await host.publishCommitStatus?.(status({ head_sha: "d".repeat(40) }));
    expect(refused?.isErr()).toBe(true);
    expect(refused?._unsafeUnwrapErr().message).toContain("No commit found for SHA");
  });

  it("refuses a head that is not a full sha before sending anything", async () => {
    const { server, host } = await hostWithServer();
    const refused = await host.publishCommitStatus?.(status({ head_sha: "main" }));
    expect(refused?._unsafeUnwrapErr()).toMatchObject({ kind: "validation", code: "invalid_commit_status" });
    expect(server.requests).toEqual([]);
  });
});
