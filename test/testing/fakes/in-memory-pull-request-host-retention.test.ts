import { describe, expect, it } from "vitest";
import { contractDraft } from "../../../src/testing/contracts/pull-request-host.js";
import {
  closeAsPerson,
  createInMemoryPullRequestHost,
  type InMemoryPullRequestHost,
  mergeAsPerson,
} from "../../../src/testing/fakes/in-memory-pull-request-host.js";
import { DEFAULT_RETAIN_ENDED_RUNS } from "../../../src/testing/fakes/run-retention.js";
import { expectOk } from "../../../src/testing/result-expectations.js";

/** Opens draft `n`, a person merges it, and rungate reads the merge (as observePullRequest does). */
async function settled(host: InMemoryPullRequestHost, n: number): Promise<string> {
  const { url } = expectOk(await host.createDraftPullRequest(contractDraft(n)));
  expectOk(mergeAsPerson(host, url, "bob"));
  expect(expectOk(await host.getPullRequest(url)).status).toBe("merged");
  return url;
}

describe("a long-lived in-memory pull request host keeps the newest decided PRs whose decision was read", () => {
  it("after 3×N settled PRs with a bound N it holds N of them; the others read as unknown urls", async () => {
    const N = 3;
    const host = createInMemoryPullRequestHost({ retain_decided_pull_requests: N });
    const urls: string[] = [];
    for (let n = 1; n <= 3 * N; n++) urls.push(await settled(host, n));

    expect(host.pullRequests.map((pr) => pr.url)).toEqual(urls.slice(-N));
    for (const url of urls.slice(0, -N)) {
      expect((await host.getPullRequest(url))._unsafeUnwrapErr()).toMatchObject({
        kind: "not_found",
        code: "pull_request_not_found",
      });
      expect(mergeAsPerson(host, url, "bob")._unsafeUnwrapErr().kind).toBe("not_found");
    }
    // Numbers are never reused.
    const next = expectOk(await host.createDraftPullRequest(contractDraft(100)));
    expect(next.url).toBe(`https://prs.fake/${3 * N + 1}`);
  });

  it("never forgets an open PR, nor a decided one whose decision nobody read, whatever its age", async () => {
    const host = createInMemoryPullRequestHost({ retain_decided_pull_requests: 2 });
    const open = expectOk(await host.createDraftPullRequest(contractDraft(1)));
    const unread = expectOk(await host.createDraftPullRequest(contractDraft(2)));
    expectOk(closeAsPerson(host, unread.url, "carol"));
    for (let n = 3; n < 1_003; n++) await settled(host, n);

    expect(host.pullRequests).toHaveLength(4);
    expect(expectOk(await host.getPullRequest(open.url)).status).toBe("draft_open");
    expect(expectOk(await host.getPullRequest(unread.url))).toMatchObject({
      status: "closed",
      decided_by: "carol",
    });
    // The open one is still the PR of its head branch; it can still be merged.
    expect(expectOk(await host.createDraftPullRequest(contractDraft(1))).url).toBe(open.url);
    expectOk(mergeAsPerson(host, open.url, "bob"));
  });

  it("opens a new draft for the head branch of a forgotten PR", async () => {
    const host = createInMemoryPullRequestHost({ retain_decided_pull_requests: 1 });
    const first = await settled(host, 1);
    await settled(host, 2);
    const again = expectOk(await host.createDraftPullRequest(contractDraft(1)));
    expect(again.url).not.toBe(first);
    expect(again.status).toBe("draft_open");
  });

  it("is bounded by default and keeps everything with Infinity", async () => {
    expect(Number.isFinite(DEFAULT_RETAIN_ENDED_RUNS)).toBe(true);
    const bounded = createInMemoryPullRequestHost();
    const unbounded = createInMemoryPullRequestHost({
      retain_decided_pull_requests: Number.POSITIVE_INFINITY,
    });
    for (let n = 1; n <= DEFAULT_RETAIN_ENDED_RUNS + 5; n++) {
      await settled(bounded, n);
      await settled(unbounded, n);
    }
    expect(bounded.pullRequests).toHaveLength(DEFAULT_RETAIN_ENDED_RUNS);
    expect(bounded.pullRequests[0]?.number).toBe(6);
    expect(unbounded.pullRequests).toHaveLength(DEFAULT_RETAIN_ENDED_RUNS + 5);
  });

  it("refuses a bound below 1", () => {
    expect(() => createInMemoryPullRequestHost({ retain_decided_pull_requests: 0 })).toThrow(RangeError);
  });
});
