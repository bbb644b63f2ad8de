import { describe, expect, it } from "vitest";
import { policyFixture } from "../../src/testing/index.js";
import { CARD, cardRequest, setup } from "./helpers.js";

const WORK = { commits: [{ files: { "src/cart/total.ts": "1\n" }, message: "total" }] };
const FIX = { commits: [{ files: { "src/cart/total.ts": "2\n" }, message: "fix" }] };

describe("retryChecks", () => {
  it("turns a flaky check green on the same head without a new agent run", async () => {
    const { ports, orchestrator } = setup({ agent: { [CARD]: [WORK] } });
    ports.checks.queue("unit", { status: "failed", output: "flaky: socket hang up", duration_ms: 3 });
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    const card = built.assignments[0];
    expect(card?.phase).toBe("checks_failed");
    expect(built.run.phase).toBe("checks_failed");
    const runsBefore = ports.checks.runs.length;

    const retried = (
      await orchestrator.retryChecks({ assignment_id: card?.id ?? "", requested_by: "user:ops" })
    )._unsafeUnwrap();
    expect(retried.result).toBe("awaiting_approval");
    // Only the failed check ran again, on the same head; the agent did not.
    expect(
      ports.checks.runs.slice(runsBefore).map((r) => [r.request.check_type, r.request.head_sha]),
    ).toEqual([["unit", card?.head_sha]]);
    expect(ports.dispatcher.dispatches).toHaveLength(1);
    const state = (await orchestrator.getRun(built.run.id))._unsafeUnwrap();
    expect(state.run.phase).toBe("awaiting_approval");
    expect(state.assignments[0]?.head_sha).toBe(card?.head_sha);
    const events = (await ports.storage.listEvents(built.run.id))._unsafeUnwrap();
    expect(events.find((e) => e.event_type === "checks.retried")).toMatchObject({
      actor: "user:ops",
      payload: { check_types: ["unit"] },
    });
  });

  it("refuses a card that is not checks_failed, and changes nothing", async () => {
    const { orchestrator } = setup({ agent: { [CARD]: [WORK] } });
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    const refused = await orchestrator.retryChecks({ assignment_id: built.assignments[0]?.id ?? "" });
    expect(refused._unsafeUnwrapErr()).toMatchObject({ kind: "invalid_transition" });
    expect((await orchestrator.getRun(built.run.id))._unsafeUnwrap().run.version).toBe(built.run.version);
  });
});

describe("redispatch", () => {
  it("gives the agent a new attempt with the failing check's output, and reaches approval", async () => {
    const { ports, orchestrator } = setup({ agent: { [CARD]: [WORK, FIX] } });
    ports.checks.queue("unit", { status: "failed", output: "expected 2, got 1", duration_ms: 3 });
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    const card = built.assignments[0];
    expect(card?.phase).toBe("checks_failed");
    const again = (
      await orchestrator.redispatch({ assignment_id: card?.id ?? "", feedback: "keep totals integer" })
    )._unsafeUnwrap();
    expect(again.assignment.phase).toBe("awaiting_approval");
    expect(again.assignment.head_sha).not.toBe(card?.head_sha);
    const task = ports.dispatcher.dispatches[1]?.task ?? "";
    expect(task).toContain("expected 2, got 1");
    expect(task).toContain("keep totals integer");
    const state = (await orchestrator.getRun(built.run.id))._unsafeUnwrap();
    expect(state.run.phase).toBe("awaiting_approval");
    expect(state.executions.map((e) => e.attempt)).toEqual([1, 2]);
  });

  it("answers attempts_exhausted once the policy's attempts are used, and starts nothing", async () => {
    const policy = policyFixture({ agent_policy: { max_attempts: 1 } });
    const { ports, orchestrator } = setup({ agent: { [CARD]: [WORK, FIX] } });
    ports.checks.queue("unit", "failed");
    const built = (await orchestrator.triggerBuild(cardRequest({}, policy)))._unsafeUnwrap();
    const refused = await orchestrator.redispatch({ assignment_id: built.assignments[0]?.id ?? "" });
    expect(refused._unsafeUnwrapErr()).toMatchObject({ kind: "conflict", code: "attempts_exhausted" });
    expect(ports.dispatcher.dispatches).toHaveLength(1);
    expect((await orchestrator.getRun(built.run.id))._unsafeUnwrap().assignments[0]?.phase).toBe(
      "checks_failed",
    );
  });
});
