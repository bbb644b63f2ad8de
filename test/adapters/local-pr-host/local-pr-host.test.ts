import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createLocalPullRequestHost, recordLocalMerge } from "../../../src/adapters/local-pr-host/index.js";
import { createOrchestrator } from "../../../src/index.js";
import type { DraftPullRequestInput } from "../../../src/ports/pull-request-host.js";
import {
  contractDraft,
  describePullRequestHostContract,
  functionPropertyNames,
} from "../../../src/testing/contracts/pull-request-host.js";
import { createInMemoryPorts, createSimulatedClock } from "../../../src/testing/index.js";
import { cardRequest } from "../../orchestrator/helpers.js";

// Everything here runs in fresh temp folders, removed after each case; no network.

const dirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "rungate-local-pr-"));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const draft = (n: number, overrides: Partial<DraftPullRequestInput> = {}): DraftPullRequestInput => ({
  ...contractDraft(n),
  ...overrides,
});

const T0 = "2026-03-01T12:00:00.000Z";

describePullRequestHostContract({
  name: "local pull request host (records in a temp folder)",
  make: async () => {
    const dir = await tempDir();
    return {
      host: createLocalPullRequestHost({ dir }),
      observeMerge: async (url, by) => {
        const merged = await recordLocalMerge(dir, url, by);
        if (merged.isErr()) throw new Error(merged.error.message);
      },
    };
  },
});

describe("local pull request host", () => {
  it("writes each draft as <dir>/<n>.json, served at its file:// url", async () => {
    const dir = await tempDir();
    const host = createLocalPullRequestHost({ dir, clock: createSimulatedClock(T0) });
    const first = (await host.createDraftPullRequest(draft(1)))._unsafeUnwrap();
    const second = (await host.createDraftPullRequest(draft(2)))._unsafeUnwrap();

    expect(first).toEqual({
      url: pathToFileURL(join(dir, "1.json")).href,
      status: "draft_open",
      head_sha: draft(1).head_sha,
      decided_by: null,
    });
    expect(second.url).toBe(pathToFileURL(join(dir, "2.json")).href);
    expect((await readdir(dir)).sort()).toEqual(["1.json", "2.json"]);
    expect(JSON.parse(await readFile(join(dir, "1.json"), "utf8"))).toEqual({
      number: 1,
      url: first.url,
      base_branch: "main",
      head_branch: "rungate/contract-1",
      head_sha: draft(1).head_sha,
      title: "Contract draft 1",
      body: draft(1).body,
      status: "draft_open",
      decided_by: null,
      decided_at: null,
      created_at: T0,
    });
  });

  it("creates the folder on the first draft", async () => {
    const dir = join(await tempDir(), "nested", "prs");
    const host = createLocalPullRequestHost({ dir });
    expect((await host.createDraftPullRequest(draft(1))).isOk()).toBe(true);
    expect(await readdir(dir)).toEqual(["1.json"]);
  });

  it("returns the open record of a head branch as it is, even for a newer head sha", async () => {
    const dir = await tempDir();
    const host = createLocalPullRequestHost({ dir });
    const first = (await host.createDraftPullRequest(draft(1)))._unsafeUnwrap();
    const again = (await host.createDraftPullRequest(draft(1, { head_sha: "c".repeat(40) })))._unsafeUnwrap();
    expect(again).toEqual(first);
    expect(await readdir(dir)).toEqual(["1.json"]);
  });

  it("opens one record, not several, when the same branch is proposed many times at once", async () => {
    const dir = await tempDir();
    const hosts = [createLocalPullRequestHost({ dir }), createLocalPullRequestHost({ dir })];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => hosts[i % 2]?.createDraftPullRequest(draft(1 + (i % 3)))),
    );
    const urls = results.map((r) => r?._unsafeUnwrap().url);
    expect(new Set(urls).size).toBe(3);
    expect((await readdir(dir)).sort()).toEqual(["1.json", "2.json", "3.json"]);
  });

  it("opens a new record for a head branch whose PR was merged", async () => {
    const dir = await tempDir();
    const host = createLocalPullRequestHost({ dir });
    const first = (await host.createDraftPullRequest(draft(1)))._unsafeUnwrap();
    (await recordLocalMerge(dir, first.url, "alice"))._unsafeUnwrap();
    const second = (await host.createDraftPullRequest(draft(1)))._unsafeUnwrap();
    expect(second.url).toBe(pathToFileURL(join(dir, "2.json")).href);
    expect(second.status).toBe("draft_open");
  });

  it("leaves no temp files behind", async () => {
    const dir = await tempDir();
    const host = createLocalPullRequestHost({ dir });
    for (let n = 1; n <= 3; n += 1) await host.createDraftPullRequest(draft(n));
    const { url } = (await host.createDraftPullRequest(draft(1)))._unsafeUnwrap();
    await recordLocalMerge(dir, url, "alice");
    expect((await readdir(dir)).sort()).toEqual(["1.json", "2.json", "3.json"]);
  });

  describe("reading", () => {
    it("answers not_found for a url outside its folder, a missing record, or no file url", async () => {
      const dir = await tempDir();
      const other = await tempDir();
      const host = createLocalPullRequestHost({ dir });
      await host.createDraftPullRequest(draft(1));
      for (const url of [
        pathToFileURL(join(other, "1.json")).href,
        pathToFileURL(join(dir, "7.json")).href,
        pathToFileURL(join(dir, "notes.json")).href,
        "https://github.com/acme/widgets/pull/1",
        "local://1",
        "",
      ]) {
        expect((await host.getPullRequest(url))._unsafeUnwrapErr().kind, url).toBe("not_found");
      }
    });

    it("reports a corrupt record as a port_failure naming the file, never repairing it", async () => {
      const dir = await tempDir();
      const host = createLocalPullRequestHost({ dir });
      const { url } = (await host.createDraftPullRequest(draft(1)))._unsafeUnwrap();
      await writeFile(join(dir, "1.json"), "{ not json");
      const error = (await host.getPullRequest(url))._unsafeUnwrapErr();
      expect(error).toMatchObject({
        kind: "port_failure",
        code: "local_pr_record_invalid",
        detail: {
          port: "PullRequestHost",
          adapter: "local-pr-host",
          operation: "getPullRequest",
          retryable: false,
        },
      });
      expect(error.message).toContain(join(dir, "1.json"));
      expect(error.message).toContain("not JSON");
      // Creating a draft reads every record: it refuses too, rather than skipping the broken one.
      expect((await host.createDraftPullRequest(draft(2)))._unsafeUnwrapErr().code).toBe(
        "local_pr_record_invalid",
      );
      expect(await readFile(join(dir, "1.json"), "utf8")).toBe("{ not json");
    });

    it("refuses a record whose fields are invalid or which claims another number", async () => {
      const dir = await tempDir();
      const host = createLocalPullRequestHost({ dir });
      const { url } = (await host.createDraftPullRequest(draft(1)))._unsafeUnwrap();
      const record = JSON.parse(await readFile(join(dir, "1.json"), "utf8"));
      await writeFile(join(dir, "1.json"), JSON.stringify({ ...record, status: "approved" }));
      expect((await host.getPullRequest(url))._unsafeUnwrapErr().message).toMatch(/status/);
      await writeFile(join(dir, "1.json"), JSON.stringify({ ...record, number: 2 }));
      expect((await host.getPullRequest(url))._unsafeUnwrapErr().message).toMatch(
        /does not match the file 1\.json/,
      );
    });

    it("sees what a person wrote into the record by hand: ready, closed", async () => {
      const dir = await tempDir();
      const host = createLocalPullRequestHost({ dir });
      const { url } = (await host.createDraftPullRequest(draft(1)))._unsafeUnwrap();
      const path = join(dir, "1.json");
      const record = JSON.parse(await readFile(path, "utf8"));
      await writeFile(path, JSON.stringify({ ...record, status: "open" }));
      expect((await host.getPullRequest(url))._unsafeUnwrap().status).toBe("open");
      await writeFile(path, JSON.stringify({ ...record, status: "closed", decided_by: "bob" }));
      expect((await host.getPullRequest(url))._unsafeUnwrap()).toMatchObject({
        status: "closed",
        decided_by: "bob",
      });
    });
  });

  describe("recordLocalMerge, what a person runs", () => {
    it("marks the record merged by that person, with the time", async () => {
      const dir = await tempDir();
      const host = createLocalPullRequestHost({ dir });
      const { url } = (await host.createDraftPullRequest(draft(1)))._unsafeUnwrap();
      const merged = (
        await recordLocalMerge(dir, url, "alice", { clock: createSimulatedClock(T0) })
      )._unsafeUnwrap();
      expect(merged).toMatchObject({ url, status: "merged", decided_by: "alice" });
      expect(JSON.parse(await readFile(join(dir, "1.json"), "utf8"))).toMatchObject({
        status: "merged",
        decided_by: "alice",
        decided_at: T0,
      });
      expect((await host.getPullRequest(url))._unsafeUnwrap()).toEqual(merged);
    });

    it("refuses to decide a decided record, an unknown url, or an empty name", async () => {
      const dir = await tempDir();
      const host = createLocalPullRequestHost({ dir });
      const { url } = (await host.createDraftPullRequest(draft(1)))._unsafeUnwrap();
      (await recordLocalMerge(dir, url, "alice"))._unsafeUnwrap();
      expect((await recordLocalMerge(dir, url, "bob"))._unsafeUnwrapErr()).toMatchObject({
        kind: "conflict",
        code: "pull_request_merged",
      });
      expect(
        (await recordLocalMerge(dir, pathToFileURL(join(dir, "9.json")).href, "bob"))._unsafeUnwrapErr().kind,
      ).toBe("not_found");
      expect((await recordLocalMerge(dir, url, "  "))._unsafeUnwrapErr().kind).toBe("validation");
      expect((await host.getPullRequest(url))._unsafeUnwrap().decided_by).toBe("alice");
    });

    it("is not on the host: the host offers exactly the two port methods", async () => {
      const host = createLocalPullRequestHost({ dir: await tempDir() });
      expect(functionPropertyNames(host)).toEqual(["createDraftPullRequest", "getPullRequest"]);
      expect(Object.isFrozen(host)).toBe(true);
    });
  });

  it("answers cancelled to an aborted call and writes nothing", async () => {
    const dir = await tempDir();
    const host = createLocalPullRequestHost({ dir });
    const controller = new AbortController();
    controller.abort();
    const { signal } = controller;
    expect((await host.createDraftPullRequest(draft(1), { signal }))._unsafeUnwrapErr().kind).toBe(
      "cancelled",
    );
    expect(
      (await host.getPullRequest(pathToFileURL(join(dir, "1.json")).href, { signal }))._unsafeUnwrapErr()
        .kind,
    ).toBe("cancelled");
    expect(await readdir(dir)).toEqual([]);
  });

  it("refuses a draft with a missing title before writing", async () => {
    const dir = await tempDir();
    const host = createLocalPullRequestHost({ dir });
    expect((await host.createDraftPullRequest(draft(1, { title: "" })))._unsafeUnwrapErr().kind).toBe(
      "validation",
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it("refuses bad options with the correct usage", () => {
    expect(() => createLocalPullRequestHost({ dir: "" })).toThrow(
      /Usage: createLocalPullRequestHost\(\{ dir/,
    );
    expect(() => createLocalPullRequestHost({ dir: "x", clock: {} } as never)).toThrow(/clock/);
  });

  it("carries a card run from draft to a merge a person recorded, through the orchestrator", async () => {
    const dir = await tempDir();
    const ports = createInMemoryPorts();
    const orchestrator = createOrchestrator({ ...ports, pullRequests: createLocalPullRequestHost({ dir }) });
    const built = (
      await orchestrator.triggerBuild(cardRequest({ idempotency_key: "local-1" }))
    )._unsafeUnwrap();
    const [assignment] = built.assignments;
    const [approval] = built.approvals;
    if (!assignment || !approval) throw new Error("the run did not reach the approval");
    (
      await orchestrator.recordApprovalDecision({
        run_id: built.run.id,
        approval_id: approval.id,
        decision: "approve",
        decided_by: "alice",
      })
    )._unsafeUnwrap();
    const pr = (
      await orchestrator.createPullRequestCandidate({ assignment_id: assignment.id })
    )._unsafeUnwrap();
    expect(pr).toMatchObject({ status: "draft_open", pr_url: pathToFileURL(join(dir, "1.json")).href });
    expect(JSON.parse(await readFile(join(dir, "1.json"), "utf8"))).toMatchObject({
      body: pr.description,
      head_branch: assignment.feature_branch,
      head_sha: assignment.head_sha,
    });

    (await recordLocalMerge(dir, pr.pr_url ?? "", "bob"))._unsafeUnwrap();
    const merged = (await orchestrator.observePullRequest({ assignment_id: assignment.id }))._unsafeUnwrap();
    expect(merged.status).toBe("merged");
    expect((await orchestrator.getRun(built.run.id))._unsafeUnwrap().run.phase).toBe("completed");
  });
});
