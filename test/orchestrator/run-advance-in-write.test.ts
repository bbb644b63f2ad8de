/**
 * A step's write carries its run's moves (transitions.ts `commitAdvancing`) only when that is sure to be right;
 * these tests change the run or add a card between a step's read and its write, as another process would.
 */
import { ResultAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import { createOrchestrator, type StoragePort, type StorageWrite } from "../../src/index.js";
import { createInMemoryPorts } from "../../src/testing/index.js";
import { CARD, cardRequest, workflowRequest } from "./helpers.js";

/** The in-memory store, with a hook that runs before each write and every write recorded. */
function hookedStorage(storage: StoragePort) {
  const writes: StorageWrite[] = [];
  let before: ((write: StorageWrite) => Promise<void>) | undefined;
  const port: StoragePort = new Proxy(storage, {
    get(target, key, receiver) {
      if (key !== "write") return Reflect.get(target, key, receiver);
      return (write: StorageWrite, options?: Parameters<StoragePort["write"]>[1]) => {
        writes.push(write);
        const hook = before;
        if (hook === undefined) return target.write(write, options);
        before = undefined;
        return ResultAsync.fromSafePromise(hook(write)).andThen(() => target.write(write, options));
      };
    },
  });
  return {
    port,
    writes,
    beforeNextWrite: (hook: (write: StorageWrite) => Promise<void>) => (before = hook),
  };
}

const agent = {
  [CARD]: [
    { commits: [{ files: { "src/cart/total.ts": "export const total = 1;\n" }, message: "cart total" }] },
  ],
};

async function awaitingApproval() {
  const ports = createInMemoryPorts({ agent });
  const hooked = hookedStorage(ports.storage);
  const orchestrator = createOrchestrator({ ...ports, storage: hooked.port });
  const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
  const approval = built.approvals[0];
  if (approval === undefined) throw new Error("the card did not reach approval");
  return { ports, hooked, orchestrator, built, approval };
}

describe("the run's moves in a step's own write", () => {
  it("stores a decision, the card's move and the run's move as ONE write on a single-card run", async () => {
    const { hooked, orchestrator, built, approval } = await awaitingApproval();
    hooked.writes.length = 0;
    const decided = await orchestrator.recordApprovalDecision({
      run_id: built.run.id,
      approval_id: approval.id,
      decision: "approve",
      decided_by: "alice",
    });
    expect(decided._unsafeUnwrap().assignment.phase).toBe("approved");
    expect(hooked.writes).toHaveLength(1);
    expect(hooked.writes[0]?.runs?.map((r) => r.record.phase)).toEqual(["approved"]);
    expect((await orchestrator.getRun(built.run.id))._unsafeUnwrap().run.phase).toBe("approved");
  });

  it("when the run changed after the step read it, stores the card's move without it and then moves the run", async () => {
    const { ports, hooked, orchestrator, built, approval } = await awaitingApproval();
    hooked.writes.length = 0;
    // Another process rewrites the run (its version moves on) just before the decision's write lands.
    hooked.beforeNextWrite(async () => {
      const run = (await ports.storage.getRun(built.run.id))._unsafeUnwrap();
      (await ports.storage.write({ runs: [{ record: run, expected_version: run.version }] }))._unsafeUnwrap();
    });
    const decided = await orchestrator.recordApprovalDecision({
      run_id: built.run.id,
      approval_id: approval.id,
      decision: "approve",
      decided_by: "alice",
    });
    expect(decided._unsafeUnwrap().assignment.phase).toBe("approved");
    // The merged write was refused whole; the decision went again alone, then the run was moved by itself.
    expect(hooked.writes.map((w) => [Boolean(w.approvals), Boolean(w.runs)])).toEqual([
      [true, true],
      [true, false],
      [false, true],
    ]);
    const state = (await orchestrator.getRun(built.run.id))._unsafeUnwrap();
    expect(state.run.phase).toBe("approved");
    expect(state.approvals.filter((a) => a.status === "approved")).toHaveLength(1);
  });

  it("never moves a run that was cancelled after the step read it", async () => {
    const { hooked, orchestrator, built, approval } = await awaitingApproval();
    hooked.beforeNextWrite(async () => {
      (await orchestrator.cancelRun({ run_id: built.run.id, cancelled_by: "user:bob" }))._unsafeUnwrap();
    });
    await orchestrator.recordApprovalDecision({
      run_id: built.run.id,
      approval_id: approval.id,
      decision: "approve",
      decided_by: "alice",
    });
    const state = (await orchestrator.getRun(built.run.id))._unsafeUnwrap();
    expect(state.run.phase).toBe("cancelled");
    expect(state.assignments.map((a) => a.phase)).toEqual(["cancelled"]);
    const pr = await orchestrator.createPullRequestCandidate({ assignment_id: approval.assignment_id ?? "" });
    expect(pr.isErr()).toBe(true);
  });

  it("keeps a separate advance for a run of several cards, whose other cards the step did not write", async () => {
    const ports = createInMemoryPorts();
    const hooked = hookedStorage(ports.storage);
    const orchestrator = createOrchestrator({ ...ports, storage: hooked.port });
    const built = (await orchestrator.triggerBuild(workflowRequest(2)))._unsafeUnwrap();
    expect(built.assignments).toHaveLength(2);
    // No step's write moves a card and the run together: each card's step is followed by advanceRun's own
    // write. The writes with both are createRun's and the start (the run and its cards start preparing).
    const both = hooked.writes.filter((w) => w.assignments !== undefined && w.runs !== undefined);
    expect(
      both.map((w) => [w.runs?.[0]?.record.phase, ...(w.assignments ?? []).map((a) => a.record.phase)]),
    ).toEqual([
      ["queued", "queued", "queued"],
      ["preparing", "preparing", "preparing"],
    ]);
  });
});
