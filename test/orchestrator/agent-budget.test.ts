import { describe, expect, it } from "vitest";
import { fixtureId, policyFixture } from "../../src/testing/index.js";
import { CARD, cardRequest, setup, workflowRequest } from "./helpers.js";

const WORK = { commits: [{ files: { "src/cart/total.ts": "1\n" }, message: "total" }] };
const FIX = { commits: [{ files: { "src/cart/total.ts": "2\n" }, message: "fix" }] };
const usage = (input: number, output: number) => ({
  input_tokens: input,
  output_tokens: output,
  cached_input_tokens: 0,
});

describe("agent budgets in policy", () => {
  it("hands each attempt its limits and the network setting, and stores what the agent reported", async () => {
    const policy = policyFixture({
      agent_policy: {
        max_turns_per_attempt: 12,
        max_wall_time_ms_per_attempt: 60_000,
        inactivity_timeout_ms: 5_000,
        max_cost_usd_per_card: 2,
        max_tokens_per_run: 100_000,
        network: true,
        model: "sonnet",
      },
    });
    const report = {
      session_id: "session-1",
      usage: usage(1_000, 200),
      cost_usd: 0.25,
      num_turns: 4,
      terminal_reason: "completed" as const,
      permission_denials: [{ tool: "Write", path: ".env", reason: "forbidden by **/.env" }],
      final_message: "done",
    };
    const { ports, orchestrator } = setup({ agent: { [CARD]: [{ ...WORK, report }] } });
    const built = (await orchestrator.triggerBuild(cardRequest({}, policy)))._unsafeUnwrap();
    expect(built.assignments[0]?.phase).toBe("awaiting_approval");
    expect(ports.dispatcher.dispatches[0]).toMatchObject({
      limits: {
        max_turns: 12,
        max_cost_usd: 2,
        max_tokens: 100_000,
        timeout_ms: 60_000,
        inactivity_timeout_ms: 5_000,
        model: "sonnet",
      },
      resume_session_id: null,
      sandbox: { network: true },
    });
    const state = (await orchestrator.getRun(built.run.id))._unsafeUnwrap();
    expect(state.executions[0]).toMatchObject({
      ...report,
      usage: { ...report.usage, cached_input_tokens: 0 },
    });
    expect(state.agent_spend).toEqual({
      cost_usd: 0.25,
      tokens: 1_200,
      turns: 4,
      attempts: 1,
      attempts_without_cost: 0,
    });
    const events = (await ports.storage.listEvents(built.run.id))._unsafeUnwrap();
    expect(events.find((e) => e.event_type === "assignment.changes_collected")?.payload).toMatchObject({
      agent: { terminal_reason: "completed", cost_usd: 0.25, session_id: "session-1", permission_denials: 1 },
    });
  });

  it("gives a redispatch what is left of the card's budget and the session to resume", async () => {
    const policy = policyFixture({ agent_policy: { max_cost_usd_per_card: 1, max_tokens_per_card: 10_000 } });
    const first = { ...WORK, report: { session_id: "s-1", cost_usd: 0.75, usage: usage(3_000, 1_000) } };
    const { ports, orchestrator } = setup({ agent: { [CARD]: [first, FIX] } });
    ports.checks.queue("unit", "failed");
    const built = (await orchestrator.triggerBuild(cardRequest({}, policy)))._unsafeUnwrap();
    (await orchestrator.redispatch({ assignment_id: built.assignments[0]?.id ?? "" }))._unsafeUnwrap();
    const second = ports.dispatcher.dispatches[1];
    expect(second?.resume_session_id).toBe("s-1");
    expect(second?.limits?.max_cost_usd).toBeCloseTo(0.25);
    expect(second?.limits?.max_tokens).toBe(6_000);
  });

  it("refuses a redispatch once the card's budget is spent, and starts nothing", async () => {
    const policy = policyFixture({ agent_policy: { max_cost_usd_per_card: 1 } });
    const spent = { ...WORK, report: { cost_usd: 1.2 } };
    const { ports, orchestrator } = setup({ agent: { [CARD]: [spent, FIX] } });
    ports.checks.queue("unit", "failed");
    const built = (await orchestrator.triggerBuild(cardRequest({}, policy)))._unsafeUnwrap();
    const refused = await orchestrator.redispatch({ assignment_id: built.assignments[0]?.id ?? "" });
    expect(refused._unsafeUnwrapErr()).toMatchObject({ kind: "conflict", code: "budget_exhausted" });
    expect(ports.dispatcher.dispatches).toHaveLength(1);
    const state = (await orchestrator.getRun(built.run.id))._unsafeUnwrap();
    expect(state.assignments[0]?.phase).toBe("checks_failed");
  });

  it("stops an agent whose reported usage passes its share, before it commits, and fails the card", async () => {
    // A misbehaving agent: its dispatcher enforces nothing, it just keeps spending.
    const policy = policyFixture({ agent_policy: { max_tokens_per_card: 5_000 } });
    const runaway = {
      ...WORK,
      usage_updates: [
        { usage: usage(1_000, 500), num_turns: 1 },
        { usage: usage(4_000, 2_000), num_turns: 2 },
        { usage: usage(90_000, 9_000), num_turns: 3 },
      ],
    };
    const { ports, orchestrator } = setup({ agent: { [CARD]: [runaway] } });
    const built = (await orchestrator.triggerBuild(cardRequest({}, policy)))._unsafeUnwrap();
    const card = built.assignments[0];
    expect(card?.phase).toBe("failed");
    expect(card?.failure).toMatchObject({ kind: "budget_exhausted" });
    expect(card?.head_sha ?? null).toBeNull();
    const state = (await orchestrator.getRun(built.run.id))._unsafeUnwrap();
    expect(state.executions[0]).toMatchObject({
      status: "failed",
      outcome: "agent_error",
      terminal_reason: "budget",
      usage: { input_tokens: 4_000, output_tokens: 2_000 },
      num_turns: 2,
    });
    expect(state.run.phase).toBe("failed");
    // Nothing the runaway meant to commit reached the branch.
    const commits = (await ports.storage.listCommits(card?.id ?? ""))._unsafeUnwrap();
    expect(commits).toEqual([]);
    expect(ports.dispatcher.dispatches).toHaveLength(1);
    const clone = built.run.worktree_root ?? "";
    expect(card?.base_sha).toMatch(/^[0-9a-f]{40}$/);
    expect(ports.git.branchTip(clone, card?.feature_branch ?? "")).toBe(card?.base_sha);
    const events = (await ports.storage.listEvents(built.run.id))._unsafeUnwrap();
    expect(events.find((e) => e.event_type === "agent.budget_exhausted")?.payload).toMatchObject({
      budget: "max_tokens",
      spent: 6_000,
      cap: 5_000,
    });
  });

  it("fails a card whose run budget other cards spent before it started", async () => {
    const policy = policyFixture({
      required_checks: ["policy", "lint", "unit", "integration"],
      agent_policy: { max_cost_usd_per_run: 1 },
    });
    const expensive = (i: number) => ({
      commits: [{ files: { [`src/card${i}/a.ts`]: "1\n" }, message: "a" }],
      report: { cost_usd: 0.6 },
    });
    const { ports, orchestrator } = setup(
      {
        agent: {
          [fixtureId(100)]: [expensive(0)],
          [fixtureId(101)]: [expensive(1)],
          [fixtureId(102)]: [expensive(2)],
        },
      },
      { concurrency: 1 },
    );
    const built = (await orchestrator.triggerBuild(workflowRequest(3, policy)))._unsafeUnwrap();
    const phases = built.assignments.map((a) => a.phase);
    // Two cards ran (0.6 + 0.6 passes the 1 USD cap only after the second): the third never starts.
    expect(ports.dispatcher.dispatches).toHaveLength(2);
    expect(phases.filter((p) => p === "failed")).toHaveLength(1);
    const failed = built.assignments.find((a) => a.phase === "failed");
    expect(failed?.failure).toMatchObject({ kind: "budget_exhausted" });
    expect(failed?.failure?.message).toContain("max_cost_usd_per_run");
  });

  it("fails an attempt whose agent says a limit stopped it, whatever it committed", async () => {
    const stopped = { ...WORK, report: { terminal_reason: "max_turns" as const, num_turns: 30 } };
    const { orchestrator } = setup({ agent: { [CARD]: [stopped] } });
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    expect(built.assignments[0]?.phase).toBe("failed");
    expect(built.assignments[0]?.failure).toMatchObject({ kind: "agent_failed" });
    const state = (await orchestrator.getRun(built.run.id))._unsafeUnwrap();
    expect(state.executions[0]).toMatchObject({ outcome: "agent_error", terminal_reason: "max_turns" });
  });
});
