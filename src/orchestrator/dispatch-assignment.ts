import { errAsync, type ResultAsync, safeTry } from "neverthrow";
import { type RungateError, rungateError } from "../core/errors.js";
import { agentAttemptLimits, agentSpend } from "../core/policy/agent-budget.js";
import { buildAgentTask } from "../core/policy/agent-task.js";
import {
  type AgentExecution,
  type DispatchClaim,
  EMPTY_AGENT_REPORT,
} from "../core/schemas/agent-execution.js";
import type { AgentDispatchRequest } from "../ports/agent-dispatcher.js";
import { budgetGuard } from "./budget-guard.js";
import { refuseForBudget, stopForBudget } from "./budget-stops.js";
import { type AssignmentChanges, collectChanges } from "./collect-changes.js";
import type { OrchestratorDeps } from "./deps.js";
import { endedExecution, interruptAttempt } from "./interrupt-attempt.js";
import { type CardRecords, loadCard } from "./load.js";
import { eventDraft, systemActor } from "./persist.js";
import { progressEvents } from "./progress-events.js";
import { applyAssignmentEvent } from "./transitions.js";

/** Options of {@link dispatchAssignment}. */
export interface DispatchOptions {
  /** Text added to the agent's task: what a person or the failing checks said about the last attempt. */
  readonly feedback?: string;
  /** The card and its run's records as the caller just read them (saves reading them again). */
  readonly known?: CardRecords;
}

/**
 * Hands a prepared assignment to its coding agent and collects what it changed. The dispatch is recorded
 * (an `AgentExecution`, the move to `agent_running`) *before* the agent starts, and a recorded dispatch is
 * never repeated: after a crash the same execution id is handed back to the dispatcher, which by contract
 * runs each execution once. A `ready` assignment starts an attempt; one whose checks failed or whose
 * approval was rejected starts a new attempt (`redispatch`). Attempts are bounded by the policy's
 * `agent_policy.max_attempts`.
 *
 * How an attempt stops matters:
 * - the run was **cancelled** by a person (here or in another process): the execution ends `cancelled`;
 * - the call's signal aborted (a host shutting down) or the process that ran the agent died: the execution
 *   ends `interrupted` and the card goes back to `ready`, for `resumeRun` or another worker to start a new
 *   attempt; with no attempt left the card fails (`attempts_exhausted`);
 * - a timeout fails the card (`agent_timed_out`).
 */
export function dispatchAssignment(
  deps: OrchestratorDeps,
  input: { readonly assignment_id: string },
  signal?: AbortSignal,
  options: DispatchOptions = {},
): ResultAsync<AssignmentChanges, RungateError> {
  return safeTry<AssignmentChanges, RungateError>(async function* () {
    const loaded = options.known ?? (yield* loadCard(deps, input.assignment_id));
    const { run, policy } = loaded;
    let assignment = loaded.assignment;
    const runExecutions = yield* loaded.executions();
    const executions = runExecutions.filter((e) => e.assignment_id === assignment.id);
    let execution: AgentExecution | undefined = executions.findLast((e) => e.status === "running");
    // What is left of the card's and the run's budgets, from every attempt that ended (the open one, when a
    // crashed dispatch is handed back, has reported nothing yet).
    const ended = (e: AgentExecution) => e.id !== execution?.id;
    const budget = agentAttemptLimits(policy.agent_policy, {
      card: agentSpend(executions.filter(ended)),
      run: agentSpend(runExecutions.filter(ended)),
    });

    if (assignment.phase !== "agent_running") {
      const max = policy.agent_policy.max_attempts;
      if (executions.length >= max) {
        return errAsync(
          rungateError("conflict", "attempts_exhausted", { entity: "card assignment", id: assignment.id }),
        );
      }
      if (budget.exhausted !== null) {
        return refuseForBudget(deps, run, assignment, budget.exhausted);
      }
      const type = assignment.phase === "ready" ? ("dispatch" as const) : ("redispatch" as const);
      const fresh: AgentExecution = {
        id: deps.ids.next(),
        run_id: run.id,
        assignment_id: assignment.id,
        attempt: executions.length + 1,
        status: "running",
        outcome: null,
        started_at: deps.clock.now(),
        ended_at: null,
        summary: null,
        error: null,
        exit_code: null,
        ...EMPTY_AGENT_REPORT,
        dispatched_on: deps.options.machine_id ?? null,
        dispatch_claim: deps.options.dispatch_claim ?? null,
      };
      assignment = yield* applyAssignmentEvent(deps, run, assignment, { type }, systemActor(deps), {
        executions: [fresh],
        events: [
          eventDraft(deps, run, "agent.dispatched", systemActor(deps), {
            assignment_id: assignment.id,
            execution_id: fresh.id,
            attempt: fresh.attempt,
            dispatcher: deps.dispatcher.name,
            ...(options.feedback === undefined ? {} : { feedback: options.feedback }),
          }),
        ],
      });
      execution = fresh;
    }
    if (execution === undefined) {
      // agent_running with no open execution: the outcome was recorded already; just read the changes.
      return collectChanges(deps, { assignment_id: assignment.id }, signal);
    }
    const here = deps.options.machine_id;
    if (execution.dispatched_on !== null && here !== undefined && execution.dispatched_on !== here) {
      // Dispatched on another machine whose worker lost the card: its markers (and its agent, if it still
      // runs) are out of this dispatcher's sight, and handing it the same execution would start the agent a
      // second time. The attempt ends interrupted; the next one (if any is left) starts here, afresh.
      const reason = `dispatched on ${execution.dispatched_on}, whose worker lost the card; not started again on ${here}`;
      const interrupted = yield* interruptAttempt(deps, run, policy, assignment, execution, null, reason);
      if (interrupted.phase !== "ready") {
        return errAsync(
          rungateError("conflict", "attempts_exhausted", { entity: "card assignment", id: assignment.id }),
        );
      }
      return dispatchAssignment(deps, input, signal, options);
    }

    const task = buildAgentTask(assignment, { architecture_notes: policy.architecture_policy.notes });
    const limits = budget.limits;
    const work = deps.work.begin(run.id, signal);
    const request: AgentDispatchRequest = {
      run_id: run.id,
      execution_id: execution.id,
      assignment,
      task: options.feedback === undefined ? task : `${task}\n\n${options.feedback}`,
      limits,
      // A redispatch continues the card's last session (its feedback is in the task), when the agent had one.
      resume_session_id: executions.findLast((e) => ended(e) && e.session_id !== null)?.session_id ?? null,
      sandbox: { network: policy.agent_policy.network },
      ...(leasePassed(execution, deps.options.dispatch_claim) ? { takeover: true } : {}),
    };
    const timeout_ms = smallerTimeout(deps.options.dispatch_timeout_ms, limits.timeout_ms);
    const progress = progressEvents(
      deps,
      run,
      { assignment_id: assignment.id, execution_id: execution.id },
      deps.options.progress_interval_ms,
    );
    // The orchestrator holds the attempt to its share of the budget itself, from the usage the agent
    // reports, whether or not its dispatcher enforces the limits it was handed.
    const guard = budgetGuard(limits, work.signal, progress.onProgress);
    let outcome: Awaited<ReturnType<typeof deps.dispatcher.dispatch>>;
    try {
      outcome = await deps.dispatcher.dispatch(request, {
        signal: guard.signal,
        onProgress: guard.onProgress,
        ...(timeout_ms === undefined ? {} : { timeout_ms }),
      });
    } finally {
      guard.dispose();
      work.end();
      await progress.flush();
    }
    const stoppedBy = work.stoppedBy();
    const passed = guard.passed();
    // A dispatcher that stopped its agent at the limit itself (Claude Code overshoots its dollar budget by the
    // turn it was in) reports so: its own account, with its summary and exit code, is judged as usual.
    const stoppedItself =
      outcome.isOk() &&
      (outcome.value.terminal_reason === "budget" || outcome.value.terminal_reason === "max_turns");
    if (passed !== null && !stoppedItself) {
      const reported = outcome.isOk() ? outcome.value : null;
      return stopForBudget(deps, run, assignment, execution, passed, guard.report(), limits, reported);
    }
    if (outcome.isOk()) {
      return collectChanges(
        deps,
        { assignment_id: assignment.id, execution, reported: outcome.value },
        signal,
      );
    }
    const error = outcome.error;
    if (error.kind === "cancelled" && stoppedBy !== "cancel") {
      // Interrupted by the caller (a host shutting down): the card waits for its next attempt.
      yield* interruptAttempt(deps, run, policy, assignment, execution, tailOf(error), error.message);
      return errAsync(error);
    }
    if (error.kind === "cancelled") {
      // A person cancelled the run: cancelRun moves the card; only the attempt's end is recorded here.
      const ended = endedExecution(deps, execution, "cancelled", error.message, tailOf(error));
      yield* deps.storage.write({ executions: [ended] });
      return errAsync(error);
    }
    if (error.kind === "timeout") {
      const ended = endedExecution(deps, execution, "timed_out", error.message, tailOf(error));
      yield* applyAssignmentEvent(
        deps,
        run,
        assignment,
        { type: "agent_failed", kind: "agent_timed_out", reason: error.message },
        systemActor(deps),
        { executions: [ended] },
      );
      return errAsync(error);
    }
    // The dispatcher itself failed (could not start the agent): leave the dispatch recorded and open, so
    // that a resume hands the same execution back once the dispatcher works again.
    return errAsync(error);
  });
}

/**
 * Whether `execution` was recorded under a card lease other than the one this dispatch holds: its owner's
 * lease passed (to this caller), so the store judges that owner gone, however alive its process looks.
 */
function leasePassed(execution: AgentExecution, holder: DispatchClaim | undefined): boolean {
  const claim = execution.dispatch_claim;
  return claim !== null && holder !== undefined && claim.lease_token !== holder.lease_token;
}

/** The smaller of the orchestrator's dispatch timeout and the policy's wall time per attempt. */
function smallerTimeout(option: number | undefined, policy: number | null): number | undefined {
  if (policy === null) return option;
  return option === undefined ? policy : Math.min(option, policy);
}

/** The output tail a stopped agent's error carries, if any. */
function tailOf(error: RungateError): string | null {
  return (error.kind === "cancelled" || error.kind === "timeout") && error.detail.output_tail !== undefined
    ? error.detail.output_tail
    : null;
}
