import { describe, expect, it } from "vitest";
import type { DraftPullRequestInput, PullRequestHost } from "../../ports/pull-request-host.js";
import { errOf, okOf, tracePortCalls } from "./port-calls.js";

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

    /**
     * A fresh harness and its `host` traced, so a failure names the method (`pullRequests.getPullRequest`).
     * Only the port is traced: the harness stays the user's object, and its own methods are called on it.
     */
    async function make(): Promise<{ harness: PullRequestHostContractHarness; host: PullRequestHost }> {
      const harness = await options.make();
      return { harness, host: tracePortCalls(harness.host, "pullRequests") };
    }

    it("has a name", async () => {
      const { host } = await options.make();
      expect(typeof host.name).toBe("string");
      expect(host.name.length).toBeGreaterThan(0);
    });

    it("creates a draft pull request, open as a draft, with a url", async () => {
      const { harness, host } = await make();
      const created = await okOf(host.createDraftPullRequest(draftOf(harness, 1)));
      expect(created.status).toBe("draft_open");
      expect(typeof created.url).toBe("string");
      expect(created.url.length).toBeGreaterThan(0);
      expect(created.decided_by).toBeNull();
    });

    it("returns the existing pull request for the same head branch (idempotent)", async () => {
      const { harness, host } = await make();
      const first = await okOf(host.createDraftPullRequest(draftOf(harness, 1)));
      const again = await okOf(host.createDraftPullRequest(draftOf(harness, 1)));
      const other = await okOf(host.createDraftPullRequest(draftOf(harness, 2)));
      expect(again.url).toBe(first.url);
      expect(other.url).not.toBe(first.url);
    });

    it("reads back what it created", async () => {
      const { harness, host } = await make();
      const created = await okOf(host.createDraftPullRequest(draftOf(harness, 1)));
      const read = await okOf(host.getPullRequest(created.url));
      expect(read).toEqual(created);
    });

    it("answers not_found for a pull request it does not have", async () => {
      const { harness, host } = await make();
      const error = await errOf(
        host.getPullRequest(harness.unknownUrl ?? "https://pull-requests.invalid/none/999999"),
      );
      expect(error.kind).toBe("not_found");
    });

    it("offers no merge, approve or ready-for-review method", async () => {
      const { host } = await options.make();
      expect(functionPropertyNames(host).filter((n) => FORBIDDEN_HOST_METHOD.test(n))).toEqual([]);
    });

    it("publishes commit statuses on a pushed head, the newest per context winning", async (ctx) => {
      const { harness, host } = await make();
      const publish = host.publishCommitStatus?.bind(host);
      const statuses = harness.statuses;
      if (!publish || !statuses) return ctx.skip();
      const draft = draftOf(harness, 1);
      await okOf(host.createDraftPullRequest(draft));
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
        await okOf(publish(s));
      }
      expect(await statuses.call(harness, draft.head_sha)).toEqual({
        "rungate/unit": "failure",
        "rungate/lint": "success",
      });
    });

    it("observes a merge done by a person, with who decided", async (ctx) => {
      const { harness, host } = await make();
      const observeMerge = harness.observeMerge;
      if (!observeMerge) return ctx.skip();
      const created = await okOf(host.createDraftPullRequest(draftOf(harness, 1)));
      await observeMerge.call(harness, created.url, "alice");
      const read = await okOf(host.getPullRequest(created.url));
      expect(read.status).toBe("merged");
      expect(read.decided_by).toBe("alice");
    });
  });
}
