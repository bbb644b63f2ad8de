/**
 * Storage calls per card lifecycle (issue 17): deterministic, so asserted; a change that adds reads or writes
 * to a step fails here and says which method grew. Times are in docs/benchmarks.md.
 */
import { describe, expect, it } from "vitest";
import { runCardLifecycle } from "../../bench/card-lifecycle.js";
import { createOrchestrator, type StoragePort } from "../../src/index.js";
import { createInMemoryPorts, policyFixture, runInputFixture } from "../../src/testing/index.js";

/** The store, counting calls per method. */
function countingStorage(storage: StoragePort) {
  const calls = new Map<string, number>();
  const port: StoragePort = new Proxy(storage, {
    get(target, key, receiver) {
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
});
