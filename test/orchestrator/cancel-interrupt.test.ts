import { describe, expect, it } from "vitest";
import { createOrchestrator, type OrchestratorOptionsInput, type RungatePorts } from "../../src/index.js";
import { createInMemoryStorage, policyFixture, type ScriptedAgent } from "../../src/testing/index.js";
import { CARD, cardRequest, setup } from "./helpers.js";

const WORK = { commits: [{ files: { "src/cart/total.ts": "1\n" }, message: "total" }] };
const SLOW = { delay_ms: 30_000, ...WORK };

/** Resolves once `check` holds, polling every few ms (fails the test after 5 s). */
async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached within 5 s");
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Builds the card on one orchestrator (with `runner` options) and cancels the run from another on the same
 * ports once the agent started; answers the run and how long the build took to end after the cancel.
 */
async function cancelFromAnother(
  ports: RungatePorts & { readonly dispatcher: ScriptedAgent },
  runner: OrchestratorOptionsInput,
): Promise<{ run_id: string; took: number }> {
  const build = createOrchestrator(ports, runner).triggerBuild(cardRequest());
  await until(() => ports.dispatcher.dispatches.length === 1);
  const run_id = ports.dispatcher.dispatches[0]?.run_id ?? "";
  const asked = Date.now();
  (await createOrchestrator(ports).cancelRun({ run_id, cancelled_by: "user:bob" }))._unsafeUnwrap();
  expect((await build)._unsafeUnwrapErr().kind).toBe("cancelled");
  return { run_id, took: Date.now() - asked };
}

describe("cancel stops work", () => {
  it("stops an agent running in this process at once; its execution ends cancelled", async () => {
    const { ports, orchestrator } = setup({ agent: { [CARD]: [SLOW] } });
    const started = Date.now();
    const build = orchestrator.triggerBuild(cardRequest());
    await until(() => ports.dispatcher.dispatches.length === 1);
    const run_id = ports.dispatcher.dispatches[0]?.run_id ?? "";
    const cancelled = (await orchestrator.cancelRun({ run_id, cancelled_by: "user:bob" }))._unsafeUnwrap();
    expect(cancelled.run.phase).toBe("cancelled");
    expect((await build)._unsafeUnwrapErr().kind).toBe("cancelled");
    expect(Date.now() - started).toBeLessThan(5_000);
    const state = (await orchestrator.getRun(run_id))._unsafeUnwrap();
    expect(state.assignments[0]?.phase).toBe("cancelled");
    expect(state.executions.map((e) => [e.status, e.outcome])).toEqual([["cancelled", "cancelled"]]);
    expect(ports.dispatcher.dispatches).toHaveLength(1);
  });

  it("reaches an agent driven by another orchestrator on the same store within its poll interval", async () => {
    // A store without change notifications: only the poll can bring the cancel.
    const { ports } = setup({ agent: { [CARD]: [SLOW] } });
    const storage = createInMemoryStorage({ changes: false });
    const { run_id, took } = await cancelFromAnother({ ...ports, storage }, { cancel_poll_ms: 20 });
    expect(took).toBeLessThan(2_000);
    const state = (await storage.listExecutions(run_id))._unsafeUnwrap();
    expect(state.map((e) => e.status)).toEqual(["cancelled"]);
  });
});

describe("wake-ups from the store's change notifications", () => {
  it("bring a cancel made by another orchestrator with polling off", async () => {
    const { ports } = setup({ agent: { [CARD]: [SLOW] } });
    expect(ports.storage.changes).toBeDefined();
    const { took } = await cancelFromAnother(ports, { cancel_poll_ms: 0 });
    expect(took).toBeLessThan(2_000);
  });

  it("without them and with polling off, a cancel made elsewhere does not reach the agent (the control)", async () => {
    const { ports } = setup({ agent: { [CARD]: [{ ...WORK, delay_ms: 600 }] } });
    const storage = createInMemoryStorage({ changes: false });
    const runner = createOrchestrator({ ...ports, storage }, { cancel_poll_ms: 0 });
    const operator = createOrchestrator({ ...ports, storage });
    const build = runner.triggerBuild(cardRequest());
    await until(() => ports.dispatcher.dispatches.length === 1);
    const run_id = ports.dispatcher.dispatches[0]?.run_id ?? "";
    (await operator.cancelRun({ run_id, cancelled_by: "user:bob" }))._unsafeUnwrap();
    // The agent ran its whole 600 ms and committed; only its next write found the run cancelled.
    await build;
    expect(ports.dispatcher.replays).toEqual([]);
    const executions = (await storage.listExecutions(run_id))._unsafeUnwrap();
    expect(executions.map((e) => e.outcome)).not.toContain("cancelled");
  });

  it("let a follower with a long poll see another orchestrator's events at once", async () => {
    const { ports } = setup({ agent: { [CARD]: [WORK] } });
    const runner = createOrchestrator(ports);
    const reader = createOrchestrator(ports);
    const created = (await runner.createRun(cardRequest()))._unsafeUnwrap();
    const seen: string[] = [];
    const started = Date.now();
    const following = (async () => {
      for await (const e of reader.events({ run_id: created.run.id, poll_ms: 60_000 }))
        seen.push(e.event_type);
    })();
    const built = (await runner.resumeRun(created.run.id))._unsafeUnwrap();
    expect(built.run.phase).toBe("awaiting_approval");
    (await runner.cancelRun({ run_id: created.run.id, cancelled_by: "user:bob" }))._unsafeUnwrap();
    await following;
    expect(Date.now() - started).toBeLessThan(10_000);
    const stored = (await ports.storage.listEvents(created.run.id))._unsafeUnwrap();
    expect(seen).toEqual(stored.map((e) => e.event_type));
  });
});

describe("interrupt is not cancel", () => {
  it("leaves a run whose caller aborted resumable: attempt interrupted, card ready, then a new attempt", async () => {
    const { ports, orchestrator } = setup({ agent: { [CARD]: [SLOW, WORK] } });
    const host = new AbortController();
    const build = orchestrator.triggerBuild(cardRequest(), { signal: host.signal });
    await until(() => ports.dispatcher.dispatches.length === 1);
    host.abort(new Error("SIGTERM"));
    expect((await build)._unsafeUnwrapErr().kind).toBe("cancelled");
    const run_id = ports.dispatcher.dispatches[0]?.run_id ?? "";
    const stopped = (await orchestrator.getRun(run_id))._unsafeUnwrap();
    expect(stopped.run.phase).toBe("agents_running");
    expect(stopped.assignments[0]?.phase).toBe("ready");
    expect(stopped.executions.map((e) => [e.status, e.outcome, e.attempt])).toEqual([
      ["interrupted", "interrupted", 1],
    ]);
    const events = (await ports.storage.listEvents(run_id))._unsafeUnwrap();
    expect(events.some((e) => e.event_type === "agent.interrupted")).toBe(true);

    const resumed = (await orchestrator.resumeRun(run_id))._unsafeUnwrap();
    expect(resumed.run.phase).toBe("awaiting_approval");
    expect(resumed.executions.map((e) => [e.status, e.attempt])).toEqual([
      ["interrupted", 1],
      ["completed", 2],
    ]);
  });
});

describe("a crash before the agent's first commit", () => {
  it("starts a new attempt instead of failing the card with a made-up reason", async () => {
    // What the process dispatcher answers for an execution whose process died before recording its end.
    const { orchestrator } = setup({ agent: { [CARD]: [{ outcome: "interrupted" }, WORK] } });
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    expect(built.run.phase).toBe("awaiting_approval");
    expect(built.assignments[0]?.failure).toBeNull();
    expect(built.executions.map((e) => [e.status, e.outcome])).toEqual([
      ["interrupted", "interrupted"],
      ["completed", "committed"],
    ]);
  });

  it("fails the card as attempts_exhausted once the policy's max_attempts are used", async () => {
    const policy = policyFixture({ agent_policy: { max_attempts: 2 } });
    const { ports, orchestrator } = setup({ agent: { [CARD]: [{ outcome: "interrupted" }] } });
    const built = (await orchestrator.triggerBuild(cardRequest({}, policy)))._unsafeUnwrap();
    expect(ports.dispatcher.dispatches).toHaveLength(2);
    expect(built.assignments[0]?.phase).toBe("failed");
    expect(built.assignments[0]?.failure?.kind).toBe("attempts_exhausted");
    expect(built.run.failure?.kind).toBe("card_failed");
  });
});
