import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import { errOf, okOf, tracePortCalls, untraced } from "../../../src/testing/contracts/port-calls.js";

interface NotFound {
  readonly kind: "not_found";
  readonly code: string;
  readonly message: string;
}

/** An adapter as a class with a private field: the traced view must still reach it. */
class CountingStore {
  #reads = 0;
  readonly leases = {
    heartbeat: (): ResultAsync<number, NotFound> =>
      errAsync({ kind: "not_found", code: "lease_missing", message: "no lease" }),
  };
  /** Ignores its signal, as the broken adapter in the issue did. */
  listRuns(_query: unknown, _options?: { signal?: AbortSignal }): ResultAsync<number, NotFound> {
    this.#reads += 1;
    return okAsync(this.#reads);
  }
}

describe("contract failures name the port method", () => {
  it("says which method answered Ok where an Err was due, on the first line", async () => {
    const port = tracePortCalls(new CountingStore(), "storage");
    const failure = await errOf(port.listRuns({}, { signal: AbortSignal.abort() })).catch((e: Error) => e);
    expect(failure).toBeInstanceOf(Error);
    expect(String((failure as Error).message).split("\n")[0]).toBe(
      "storage.listRuns answered Ok where the contract expects an Err: 1",
    );
  });

  it("names nested methods and gives the error's kind, code and message on the first line", async () => {
    const port = tracePortCalls(new CountingStore(), "storage");
    const failure = (await okOf(port.leases.heartbeat()).catch((e: Error) => e)) as Error;
    expect(failure.message.split("\n")[0]).toBe(
      "storage.leases.heartbeat answered Err not_found/lease_missing where the contract expects Ok: no lease",
    );
    expect(failure.message).toContain('"code": "lease_missing"');
  });

  it("runs methods on the adapter itself, so private fields work, and hands the adapter back untraced", async () => {
    const store = new CountingStore();
    const port = tracePortCalls(store, "storage");
    expect(await okOf(port.listRuns({}))).toBe(1);
    expect(await okOf(port.listRuns({}))).toBe(2);
    expect(untraced(port)).toBe(store);
    expect(untraced(store)).toBe(store);
  });

  it("traces a frozen adapter (a plain object of methods, as createGitHubPullRequestHost returns)", async () => {
    const store = new CountingStore();
    const frozen = Object.freeze({
      name: "frozen",
      listRuns: (query: unknown) => store.listRuns(query),
      leases: Object.freeze({ heartbeat: () => store.leases.heartbeat() }),
    });
    const port = tracePortCalls(frozen, "storage");
    expect(port.name).toBe("frozen");
    expect(await okOf(port.listRuns({}))).toBe(1);
    const failure = (await errOf(port.listRuns({})).catch((e: Error) => e)) as Error;
    expect(failure.message.split("\n")[0]).toBe(
      "storage.listRuns answered Ok where the contract expects an Err: 2",
    );
    const nested = (await okOf(port.leases.heartbeat()).catch((e: Error) => e)) as Error;
    expect(nested.message.split("\n")[0]).toMatch(
      /^storage\.leases\.heartbeat answered Err not_found\/lease_missing/,
    );
    expect(untraced(port)).toBe(frozen);
  });

  it("falls back to a neutral name for an answer no traced port produced", async () => {
    const failure = (await errOf(okAsync(7)).catch((e: Error) => e)) as Error;
    expect(failure.message.split("\n")[0]).toBe("the call answered Ok where the contract expects an Err: 7");
  });
});
