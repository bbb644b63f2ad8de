import { describe, expect, it } from "vitest";
import type { DraftPullRequestInput, PullRequestHost } from "../../ports/pull-request-host.js";

/** What {@link describePullRequestHostContract} needs from the adapter under test, fresh for every case. */
export interface PullRequestHostContractHarness {
  /** The adapter under test. */
  readonly host: PullRequestHost;
  /**
   * Optional: a person merges the PR at `url` on the host, as user `by` (through the host's own API or UI
   * model, never through `host`). Without it the "observes a person's merge" case is skipped.
   */
  observeMerge?(url: string, by: string): Promise<void>;
  /** Optional: the draft to open for the n-th (1-based) head branch of a case. Default {@link contractDraft}. */
  draft?(n: number): DraftPullRequestInput;
  /** Optional: a url this host has no PR for (default `"https://pull-requests.invalid/none/999999"`). */
  readonly unknownUrl?: string;
  /**
   * Optional, for hosts with `publishCommitStatus`: the current state per context on `sha`, read from the
   * host's own side (its API or store). Without it the commit-status case is skipped.
   */
  statuses?(sha: string): Promise<Record<string, string>>;
}

/** Options of {@link describePullRequestHostContract}. */
export interface PullRequestHostContractOptions {
  /** The adapter's name, shown in the suite title. */
  readonly name: string;
  /** Builds a fresh harness; called once per case. */
  readonly make: () => PullRequestHostContractHarness | Promise<PullRequestHostContractHarness>;
}

/** The default draft of the contract: base `main`, head `rungate/contract-<n>`, a fixed 40-hex head sha. */
export function contractDraft(n: number): DraftPullRequestInput {
  return {
    base_branch: "main",
    head_branch: `rungate/contract-${n}`,
    head_sha: n.toString(16).padStart(40, "a"),
    title: `Contract draft ${n}`,
    body: "Opened by the PullRequestHost contract suite.",
  };
}

/** Names of every function reachable on `value`: own properties and the whole prototype chain. */
export function functionPropertyNames(value: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = value; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const key of Reflect.ownKeys(o)) {
      const descriptor = Object.getOwnPropertyDescriptor(o, key);
      if (typeof key === "string" && typeof descriptor?.value === "function") names.add(key);
    }
  }
  return [...names].sort();
}

/** Method names a pull-request host must never offer: those are a person's acts. */
export const FORBIDDEN_HOST_METHOD = /merge|approve|ready/i;

/**
 * The behaviour every {@link PullRequestHost} must show, as a vitest suite titled
 * `PullRequestHost contract: <name>`: a draft is created as `draft_open` with a url; creating again for the
 * same head branch returns the same PR; `getPullRequest` round-trips; an unknown url is `not_found`; the host
 * offers no function whose name matches {@link FORBIDDEN_HOST_METHOD}; and, when the harness can play a
 * person, a merge is observed as `merged` with `decided_by`.
 */
export function describePullRequestHostContract(options: PullRequestHostContractOptions): void {
  describe(`PullRequestHost contract: ${options.name}`, () => {
    const draftOf = (harness: PullRequestHostContractHarness, n: number) =>
      harness.draft ? harness.draft(n) : contractDraft(n);

    it("has a name", async () => {
      const { host } = await options.make();
      expect(typeof host.name).toBe("string");
      expect(host.name.length).toBeGreaterThan(0);
    });

    it("creates a draft pull request, open as a draft, with a url", async () => {
      const harness = await options.make();
      const created = await harness.host.createDraftPullRequest(draftOf(harness, 1));
      expect(created.isOk(), created.isErr() ? created.error.message : "").toBe(true);
      if (created.isErr()) return;
      expect(created.value.status).toBe("draft_open");
      expect(typeof created.value.url).toBe("string");
      expect(created.value.url.length).toBeGreaterThan(0);
      expect(created.value.decided_by).toBeNull();
    });

    it("returns the existing pull request for the same head branch (idempotent)", async () => {
      const harness = await options.make();
      const first = await harness.host.createDraftPullRequest(draftOf(harness, 1));
      const again = await harness.host.createDraftPullRequest(draftOf(harness, 1));
      const other = await harness.host.createDraftPullRequest(draftOf(harness, 2));
      expect(first.isOk() && again.isOk() && other.isOk()).toBe(true);
      if (first.isErr() || again.isErr() || other.isErr()) return;
      expect(again.value.url).toBe(first.value.url);
      expect(other.value.url).not.toBe(first.value.url);
    });

    it("reads back what it created", async () => {
      const harness = await options.make();
      const created = await harness.host.createDraftPullRequest(draftOf(harness, 1));
      if (created.isErr()) throw new Error(created.error.message);
      const read = await harness.host.getPullRequest(created.value.url);
      expect(read.isOk(), read.isErr() ? read.error.message : "").toBe(true);
      if (read.isErr()) return;
      expect(read.value).toEqual(created.value);
    });

    it("answers not_found for a pull request it does not have", async () => {
      const harness = await options.make();
      const read = await harness.host.getPullRequest(
        harness.unknownUrl ?? "https://pull-requests.invalid/none/999999",
      );
      expect(read.isErr()).toBe(true);
      if (read.isOk()) return;
      expect(read.error.kind).toBe("not_found");
    });

    it("offers no merge, approve or ready-for-review method", async () => {
      const { host } = await options.make();
      expect(functionPropertyNames(host).filter((n) => FORBIDDEN_HOST_METHOD.test(n))).toEqual([]);
    });

    it("publishes commit statuses on a pushed head, the newest per context winning", async (ctx) => {
      const harness = await options.make();
      const publish = harness.host.publishCommitStatus?.bind(harness.host);
      const statuses = harness.statuses;
      if (!publish || !statuses) return ctx.skip();
      const draft = draftOf(harness, 1);
      const created = await harness.host.createDraftPullRequest(draft);
      if (created.isErr()) throw new Error(created.error.message);
      const status = (context: string, state: "pending" | "success" | "failure") => ({
        head_sha: draft.head_sha,
        context,
        state,
        description: `${context} ${state}`,
        target_url: null,
      });
      for (const s of [
        status("rungate/unit", "pending"),
        status("rungate/unit", "failure"),
        status("rungate/lint", "success"),
      ]) {
        const published = await publish(s);
        expect(published.isOk(), published.isErr() ? published.error.message : "").toBe(true);
      }
      expect(await statuses.call(harness, draft.head_sha)).toEqual({
        "rungate/unit": "failure",
        "rungate/lint": "success",
      });
    });

    it("observes a merge done by a person, with who decided", async (ctx) => {
      const harness = await options.make();
      const observeMerge = harness.observeMerge;
      if (!observeMerge) return ctx.skip();
      const created = await harness.host.createDraftPullRequest(draftOf(harness, 1));
      if (created.isErr()) throw new Error(created.error.message);
      await observeMerge.call(harness, created.value.url, "alice");
      const read = await harness.host.getPullRequest(created.value.url);
      expect(read.isOk(), read.isErr() ? read.error.message : "").toBe(true);
      if (read.isErr()) return;
      expect(read.value.status).toBe("merged");
      expect(read.value.decided_by).toBe("alice");
    });
  });
}
