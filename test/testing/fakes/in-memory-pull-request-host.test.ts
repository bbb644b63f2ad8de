import { describe, expect, it } from "vitest";
import type { DraftPullRequestInput } from "../../../src/ports/pull-request-host.js";
import {
  contractDraft,
  describePullRequestHostContract,
  functionPropertyNames,
} from "../../../src/testing/contracts/pull-request-host.js";
import {
  closeAsPerson,
  createInMemoryPullRequestHost,
  markReadyAsPerson,
  mergeAsPerson,
} from "../../../src/testing/fakes/in-memory-pull-request-host.js";

describePullRequestHostContract({
  name: "in-memory pull request host",
  make: () => {
    const host = createInMemoryPullRequestHost();
    return {
      host,
      observeMerge: async (url, by) => {
        const merged = mergeAsPerson(host, url, by);
        if (merged.isErr()) throw new Error(merged.error.message);
      },
      statuses: async (sha) => host.currentStatuses(sha),
    };
  },
});

const draft = (n: number, overrides: Partial<DraftPullRequestInput> = {}) => ({
  ...contractDraft(n),
  ...overrides,
});

describe("in-memory pull request host", () => {
  it("numbers pull requests and serves them at https://prs.fake/<n>", async () => {
    const host = createInMemoryPullRequestHost();
    const first = (await host.createDraftPullRequest(draft(1)))._unsafeUnwrap();
    const second = (await host.createDraftPullRequest(draft(2)))._unsafeUnwrap();
    expect([first.url, second.url]).toEqual(["https://prs.fake/1", "https://prs.fake/2"]);
    expect(first).toEqual({
      url: "https://prs.fake/1",
      status: "draft_open",
      head_sha: draft(1).head_sha,
      decided_by: null,
    });
    expect(host.pullRequests.map((pr) => [pr.number, pr.head_branch, pr.title])).toEqual([
      [1, "rungate/contract-1", "Contract draft 1"],
      [2, "rungate/contract-2", "Contract draft 2"],
    ]);
  });

  it("returns the open PR of a head branch as it is, even for a newer head sha", async () => {
    const host = createInMemoryPullRequestHost();
    const first = (await host.createDraftPullRequest(draft(1)))._unsafeUnwrap();
    const again = (await host.createDraftPullRequest(draft(1, { head_sha: "c".repeat(40) })))._unsafeUnwrap();
    expect(again).toEqual(first);
    expect(host.pullRequests).toHaveLength(1);
  });

  it("opens a new draft for a head branch whose PR was closed or merged", async () => {
    const host = createInMemoryPullRequestHost();
    const first = (await host.createDraftPullRequest(draft(1)))._unsafeUnwrap();
    closeAsPerson(host, first.url, "bob")._unsafeUnwrap();
    const second = (await host.createDraftPullRequest(draft(1)))._unsafeUnwrap();
    expect(second.url).toBe("https://prs.fake/2");
    expect(second.status).toBe("draft_open");
  });

  it("logs every port call in order", async () => {
    const host = createInMemoryPullRequestHost();
    await host.createDraftPullRequest(draft(1));
    await host.getPullRequest("https://prs.fake/1");
    await host.getPullRequest("https://prs.fake/9");
    expect(host.requests).toEqual([
      { operation: "createDraftPullRequest", input: draft(1) },
      { operation: "getPullRequest", url: "https://prs.fake/1" },
      { operation: "getPullRequest", url: "https://prs.fake/9" },
    ]);
  });

  it("answers cancelled to an aborted call and creates nothing", async () => {
    const host = createInMemoryPullRequestHost();
    const controller = new AbortController();
    controller.abort();
    const signal = controller.signal;
    expect((await host.createDraftPullRequest(draft(1), { signal }))._unsafeUnwrapErr().kind).toBe(
      "cancelled",
    );
    expect((await host.getPullRequest("https://prs.fake/1", { signal }))._unsafeUnwrapErr().kind).toBe(
      "cancelled",
    );
    expect(host.pullRequests).toEqual([]);
  });

  it("keeps person acts off the host object", () => {
    const host = createInMemoryPullRequestHost();
    expect(functionPropertyNames(host)).toEqual([
      "createDraftPullRequest",
      "currentStatuses",
      "getPullRequest",
      "publishCommitStatus",
      "requestReview",
    ]);
  });

  describe("what a person does", () => {
    it("merges: the PR reads merged, decided by that person", async () => {
      const host = createInMemoryPullRequestHost();
      const { url } = (await host.createDraftPullRequest(draft(1)))._unsafeUnwrap();
      expect(mergeAsPerson(host, url, "alice")._unsafeUnwrap()).toMatchObject({
        status: "merged",
        decided_by: "alice",
      });
      expect((await host.getPullRequest(url))._unsafeUnwrap()).toMatchObject({
        status: "merged",
        decided_by: "alice",
      });
    });

    it("closes without merging", async () => {
      const host = createInMemoryPullRequestHost();
      const { url } = (await host.createDraftPullRequest(draft(1)))._unsafeUnwrap();
      closeAsPerson(host, url, "bob")._unsafeUnwrap();
      expect((await host.getPullRequest(url))._unsafeUnwrap()).toMatchObject({
        status: "closed",
        decided_by: "bob",
      });
    });

    it("marks a draft ready for review: open, still undecided, and still the PR of its head branch", async () => {
      const host = createInMemoryPullRequestHost();
      const { url } = (await host.createDraftPullRequest(draft(1)))._unsafeUnwrap();
      expect(markReadyAsPerson(host, url, "carol")._unsafeUnwrap()).toMatchObject({
        status: "open",
        decided_by: null,
      });
      expect(markReadyAsPerson(host, url, "carol")._unsafeUnwrap().status).toBe("open");
      expect((await host.createDraftPullRequest(draft(1)))._unsafeUnwrap()).toMatchObject({
        url,
        status: "open",
      });
    });

    it("cannot act on an unknown PR, nor decide a decided one", async () => {
      const host = createInMemoryPullRequestHost();
      expect(mergeAsPerson(host, "https://prs.fake/1", "alice")._unsafeUnwrapErr().kind).toBe("not_found");
      const { url } = (await host.createDraftPullRequest(draft(1)))._unsafeUnwrap();
      mergeAsPerson(host, url, "alice")._unsafeUnwrap();
      for (const act of [mergeAsPerson, closeAsPerson, markReadyAsPerson]) {
        expect(act(host, url, "bob")._unsafeUnwrapErr()).toMatchObject({
          kind: "conflict",
          code: "pull_request_merged",
        });
      }
      expect((await host.getPullRequest(url))._unsafeUnwrap().decided_by).toBe("alice");
    });

    it("refuses a host it did not create", () => {
      const impostor = { ...createInMemoryPullRequestHost() };
      expect(() => mergeAsPerson(impostor, "https://prs.fake/1", "alice")).toThrow(
        /createInMemoryPullRequestHost/,
      );
    });
  });
});
