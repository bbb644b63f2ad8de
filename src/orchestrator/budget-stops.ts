import { errAsync, ok, type ResultAsync, safeTry } from "neverthrow";
import { type RungateError, rungateError } from "../core/errors.js";
import type { AgentLimits, BudgetExhausted } from "../core/policy/agent-budget.js";
import type { AgentExecution } from "../core/schemas/agent-execution.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { AgentDispatchOutcome } from "../ports/agent-dispatcher.js";
import type { ReportedSpend } from "./budget-guard.js";
import { type AssignmentChanges, emptyEvaluation } from "./collect-changes.js";
import type { OrchestratorDeps } from "./deps.js";
import { eventDraft, systemActor } from "./persist.js";
import { advanceRun, applyAssignmentEvent } from "./transitions.js";

type Run = Pick<OrchestrationRun, "id" | "project_id">;

/** A sentence for a spent budget. */
function describeExhausted(e: BudgetExhausted): string {
  const unit = e.budget.startsWith("max_cost_usd") ? "USD" : "tokens";
  return `the agent budget ${e.budget} is spent (${e.spent} of ${e.cap} ${unit})`;
}

/**
 * A card whose budget is spent gets no new attempt. Its first attempt (a `ready` card: a run's budget spent
 * by other cards) fails the card with `budget_exhausted`, since nothing else could move it on; a further
 * attempt a person asks for is refused with `conflict` `budget_exhausted`, leaving the card as it was (like
 * `attempts_exhausted`).
 */
export function refuseForBudget(
  deps: OrchestratorDeps,
  run: Run,
  assignment: CardAssignment,
  exhausted: BudgetExhausted,
): ResultAsync<AssignmentChanges, RungateError> {
  if (assignment.phase !== "ready") {
    return errAsync(
      rungateError("conflict", "budget_exhausted", {
        entity: "card assignment",
        id: assignment.id,
        way_on: `${describeExhausted(exhausted)}; a person may raise the policy's cap in a new run`,
      }),
    );
  }
  return safeTry<AssignmentChanges, RungateError>(async function* () {
    const next = yield* applyAssignmentEvent(
      deps,
      run,
      assignment,
      { type: "fail", kind: "budget_exhausted", reason: describeExhausted(exhausted) },
      systemActor(deps),
      {
        events: [
          eventDraft(deps, run, "agent.budget_exhausted", systemActor(deps), {
            assignment_id: assignment.id,
            execution_id: null,
            budget: exhausted.budget,
            spent: exhausted.spent,
            cap: exhausted.cap,
          }),
        ],
      },
    );
    yield* advanceRun(deps, run.id, systemActor(deps));
    return ok({ assignment: next, head_sha: null, evaluation: emptyEvaluation() });
  });
}

/**
 * An attempt the orchestrator stopped because the usage it reported passed its limits: the execution ends
 * with what it reported (terminal reason `budget`, or `max_turns`), and the card fails: `budget_exhausted`
 * when it passed its share of the cost or token budget, `agent_failed` when it passed its turns. What it
 * committed is not judged: it did not finish.
 */
export function stopForBudget(
  deps: OrchestratorDeps,
  run: Run,
  assignment: CardAssignment,
  execution: AgentExecution,
  passed: "max_cost_usd" | "max_tokens" | "max_turns",
  spend: ReportedSpend,
  limits: AgentLimits,
  reported: AgentDispatchOutcome | null,
): ResultAsync<AssignmentChanges, RungateError> {
  const turns = passed === "max_turns";
  const cap = limits[passed] ?? 0;
  const used =
    passed === "max_cost_usd"
      ? (spend.cost_usd ?? 0)
      : passed === "max_tokens"
        ? (spend.usage?.input_tokens ?? 0) + (spend.usage?.output_tokens ?? 0)
        : (spend.num_turns ?? 0);
  const reason = `rungate stopped the agent: it passed this attempt's ${passed} limit (${used} of ${cap})`;
  const ended: AgentExecution = {
    ...execution,
    status: "failed",
    outcome: "agent_error",
    ended_at: deps.clock.now(),
    error: reason,
    summary: reported?.summary ?? execution.summary,
    exit_code: reported?.exit_code ?? null,
    session_id: reported?.session_id ?? execution.session_id,
    usage: spend.usage ?? reported?.usage ?? null,
    cost_usd: spend.cost_usd ?? reported?.cost_usd ?? null,
    num_turns: spend.num_turns ?? reported?.num_turns ?? null,
    terminal_reason: turns ? "max_turns" : "budget",
    permission_denials: [...(reported?.permission_denials ?? [])],
    final_message: reported?.final_message ?? null,
  };
  return safeTry<AssignmentChanges, RungateError>(async function* () {
    const next = yield* applyAssignmentEvent(
      deps,
      run,
      assignment,
      { type: "agent_failed", kind: turns ? "agent_failed" : "budget_exhausted", reason },
      systemActor(deps),
      {
        executions: [ended],
        events: [
          eventDraft(deps, run, "agent.budget_exhausted", systemActor(deps), {
            assignment_id: assignment.id,
            execution_id: execution.id,
            budget: passed,
            spent: used,
            cap,
          }),
        ],
      },
    );
    yield* advanceRun(deps, run.id, systemActor(deps));
    return ok({ assignment: next, head_sha: null, evaluation: emptyEvaluation() });
  });
}
