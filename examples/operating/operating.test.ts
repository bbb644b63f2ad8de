/**
 * Runs every function of `operate.ts` (the operating guide's example) on the in-memory ports, so the guide
 * cannot drift from the API: a stuck run listed, a run followed to its end, a shutdown resumed, a flaky check
 * retried, a failure redispatched with feedback, a cancel by a person, and the nightly clean-up.
 */

import { createOrchestrator } from "rungate";
import { createInMemoryPorts, fixtureId, policyFixture, runInputFixture } from "rungate/testing";
import { describe, expect, it } from "vitest";
import { followRun, nightlyCleanup, resumeAfterRestart, retryCard, stuckRuns } from "./operate.js";

const card = fixtureId(700);
const request = (overrides: { card_id?: string } = {}) => {
  const card_id = overrides.card_id ?? card;
  return {
    ...runInputFixture({
      card_id,
      cards: [{ card_id, title: "Add a cart total", allowed_paths: ["src/cart/**"] }],
    }),
    policy: policyFixture({ required_checks: ["policy", "unit"] }),
  };
};
const work = (text: string) => ({ commits: [{ files: { "src/cart/total.ts": `${text}\n` } }] });

describe("operating runs (docs/operating.md)", () => {
  it("lists a run left in agents_running by a shutdown, and resumes it after the restart", async () => {
    const ports = createInMemoryPorts({ agent: { [card]: [{ ...work("1"), delay_ms: 5_000 }, work("1")] } });
    const orchestrator = createOrchestrator(ports);
    const shutdown = new AbortController();
    const building = orchestrator.triggerBuild(request(), { signal: shutdown.signal });
    await new Promise((r) => setTimeout(r, 50));
    shutdown.abort(new Error("SIGTERM"));
    const stopped = (await building)._unsafeUnwrapErr();
    expect(stopped.kind).toBe("cancelled");

    const stuck = await stuckRuns(
      orchestrator,
      request().project_id,
      "agents_running",
      "2100-01-01T00:00:00.000Z",
    );
    expect(stuck).toHaveLength(1);
    const run_id = stuck[0]?.id ?? "";

    const resumed = (await resumeAfterRestart(orchestrator, run_id))._unsafeUnwrap();
    expect(resumed.run.phase).toBe("awaiting_approval");
    expect(resumed.executions.map((e) => [e.attempt, e.status])).toEqual([
      [1, "interrupted"],
      [2, "completed"],
    ]);

    // Following ends when the run is finished: here a person cancels it while a reader follows.
    const lines: string[] = [];
    const following = followRun(orchestrator, run_id, 0, (l) => lines.push(l));
    (await orchestrator.cancelRun({ run_id, cancelled_by: "user:ana" }))._unsafeUnwrap();
    const last = await following;
    expect(lines.at(-1)).toBe(`#${last} run awaiting_approval → cancelled`);
    expect(lines.some((l) => l.endsWith(" run checking → awaiting_approval"))).toBe(true);
    expect(lines.some((l) => l.endsWith("agent.interrupted"))).toBe(true);
    // Another process would print the same: the log is read from storage, from any saved sequence.
    const later: string[] = [];
    await followRun(orchestrator, run_id, last - 1, (l) => later.push(l));
    expect(later).toEqual(lines.slice(-1));
  });

  it("retries a flaky check on the same head, and redispatches a real failure with feedback", async () => {
    const ports = createInMemoryPorts({ agent: { [card]: [work("1"), work("2")] } });
    const orchestrator = createOrchestrator(ports);
    ports.checks.queue("unit", "failed");
    const flaky = (await orchestrator.triggerBuild(request()))._unsafeUnwrap();
    const assignment_id = flaky.assignments[0]?.id ?? "";
    expect(await retryCard(orchestrator, assignment_id, "user:ops", { flaky: true })).toBe(
      "awaiting_approval",
    );
    expect(ports.dispatcher.dispatches).toHaveLength(1);

    const other = fixtureId(701);
    ports.dispatcher.setScript(other, [
      { commits: [{ files: { "src/cart/total.ts": "1\n" } }] },
      { commits: [{ files: { "src/cart/total.ts": "2\n" } }] },
    ]);
    ports.checks.queue("unit", { status: "failed", output: "expected 2, got 1", duration_ms: 1 });
    const failing = (await orchestrator.triggerBuild(request({ card_id: other })))._unsafeUnwrap();
    const again = await retryCard(orchestrator, failing.assignments[0]?.id ?? "", "user:ops", {
      flaky: false,
      feedback: "totals are integers",
    });
    expect(again).toBe("awaiting_approval");
    expect(ports.dispatcher.dispatches.at(-1)?.task).toContain("expected 2, got 1");
    expect(ports.dispatcher.dispatches.at(-1)?.task).toContain("totals are integers");
  });

  it("cleans up a cancelled run's worktree and branch at night", async () => {
    const ports = createInMemoryPorts({ agent: { [card]: [work("1")] } });
    const orchestrator = createOrchestrator(ports);
    const built = (await orchestrator.triggerBuild(request()))._unsafeUnwrap();
    const cancelled = await orchestrator.cancelRun({ run_id: built.run.id, cancelled_by: "user:ana" });
    expect(cancelled._unsafeUnwrap().run.phase).toBe("cancelled");
    // An agent's word is not a person's decision.
    const byAgent = await orchestrator.cancelRun({ run_id: built.run.id, cancelled_by: "agent:coder" });
    expect(byAgent._unsafeUnwrapErr().kind).toBe("validation");

    const report = (await nightlyCleanup(orchestrator, request().project_id))._unsafeUnwrap();
    expect(report.cleaned_runs).toEqual([built.run.id]);
    expect(report.removed_worktrees).toEqual([built.assignments[0]?.worktree_path]);
    expect(report.deleted_branches.map((b) => b.branch)).toEqual([built.assignments[0]?.feature_branch]);
  });
});
