/**
 * Storage calls per card lifecycle (issue 17): deterministic, so asserted; a change that adds reads or writes
 * to a step fails here and says which method grew. Times are in docs/benchmarks.md.
 */
import { describe, expect, it } from "vitest";
import { runCardLifecycle } from "../../bench/card-lifecycle.js";
import { createOrchestrator, type StoragePort } from "../../src/index.js";
import { createInMemoryPorts, policyFixture, runInputFixture } from "../../src/testing/index.js";

/** The store, counting calls per method; the methods named in `hidden` are absent, as on a store without them. */
function countingStorage(storage: StoragePort, hidden: readonly (keyof StoragePort)[] = []) {
  const calls = new Map<string, number>();
  const port: StoragePort = new Proxy(storage, {
    get(target, key, receiver) {
      if ((hidden as readonly PropertyKey[]).includes(key)) return undefined;
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== "function" || typeof key !== "string") return value;
      return (...args: unknown[]) => {
        calls.set(key, (calls.get(key) ?? 0) + 1);
        return value.apply(target, args);
      };
    },
  });
  return { port, calls };
}

describe("storage calls per card lifecycle", () => {
  it("trigger, approval, draft PR and merge observed cost at most 24 storage calls, 15 of them writes", async () => {
    const ports = createInMemoryPorts();
    const { port, calls } = countingStorage(ports.storage);
    const orchestrator = createOrchestrator({ ...ports, storage: port });
    await runCardLifecycle(orchestrator, ports.pullRequests, {
      ...runInputFixture(),
      policy: policyFixture(),
    });
    const total = [...calls.values()].reduce((a, b) => a + b, 0);
    // 62 before the steps read their run's state at once and moved the run in their own writes (a run and its
    // cards also start preparing in one write, and a run just created is not read back).
    expect(Object.fromEntries(calls)).toMatchObject({ write: 15 });
    expect(total).toBeLessThanOrEqual(24);
    // Each step reads its card's run in one read: no list read is left in a single-card lifecycle. And the
    // cancel watch reads the run (getRun) only when a write wrote the run's record, never for its cards' own
    // writes (2 reads a lifecycle before the change notifications said which).
    for (const list of [
      "getRun",
      "listChecks",
      "listApprovals",
      "listPullRequests",
      "listExecutions",
      "getAssignment",
    ]) {
      expect(calls.get(list) ?? 0, list).toBe(0);
    }
  });

  /**
   * The storage calls of the last of `earlier + 1` lifecycles of the fixture's one card, each merged before
   * the next is built (so the card can be built again on its branch), on one store.
   */
  async function lastBuildCalls(earlier: number, hidden: readonly (keyof StoragePort)[] = []) {
    const ports = createInMemoryPorts();
    const { port, calls } = countingStorage(ports.storage, hidden);
    const orchestrator = createOrchestrator({ ...ports, storage: port });
    const request = { ...runInputFixture(), policy: policyFixture() };
    for (let i = 0; i < earlier; i++) await runCardLifecycle(orchestrator, ports.pullRequests, request);
    calls.clear();
    await runCardLifecycle(orchestrator, ports.pullRequests, request);
    expect(ports.pullRequests.pullRequests.map((p) => p.status)).toEqual(Array(earlier + 1).fill("merged"));
    return Object.fromEntries(calls);
  }

  it("a card built again costs the same storage calls after 2 earlier builds as after 8: one read of its cards", async () => {
    const afterTwo = await lastBuildCalls(2);
    const afterEight = await lastBuildCalls(8);
    expect(afterEight).toEqual(afterTwo);
    // Twice a build asks which earlier runs hold the card's branch (preparing the card, then the PR step for
    // the decided PR it replaces): each time one listRuns and ONE listCardAssignments, not one
    // listAssignments per earlier run (a card built the 25th time cost 24 more reads a question).
    expect(afterEight).toMatchObject({ listRuns: 2, listCardAssignments: 2, listPullRequests: 1 });
    for (const absent of ["listAssignments", "getRun"]) expect(afterEight[absent] ?? 0, absent).toBe(0);
  });

  it("on a store without listCardAssignments, still reads each earlier run's cards (the fallback)", async () => {
    const hidden = ["listCardAssignments"] as const;
    const afterTwo = await lastBuildCalls(2, hidden);
    const afterEight = await lastBuildCalls(8, hidden);
    // Each of the two questions reads every earlier run's cards: what the one-call read saves.
    expect(afterTwo.listAssignments).toBe(2 * 2);
    expect(afterEight.listAssignments).toBe(2 * 8);
    expect(afterEight.listCardAssignments).toBeUndefined();
    const { listAssignments: _two, ...restTwo } = afterTwo;
    const { listAssignments: _eight, ...restEight } = afterEight;
    expect(restEight).toEqual(restTwo);
  });
});
