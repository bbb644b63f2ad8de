import { errAsync, type ResultAsync, safeTry } from "neverthrow";
import { type RungateError, rungateError } from "../core/errors.js";
import { buildAgentTask } from "../core/policy/agent-task.js";
import { type AgentExecution, EMPTY_AGENT_REPORT } from "../core/schemas/agent-execution.js";
import { type AssignmentChanges, collectChanges } from "./collect-changes.js";
import type { OrchestratorDeps } from "./deps.js";
import { endedExecution, interruptAttempt } from "./interrupt-attempt.js";
import { loadAssignment } from "./load.js";
import { eventDraft, systemActor } from "./persist.js";
import { progressEvents } from "./progress-events.js";
import { applyAssignmentEvent } from "./transitions.js";

/** Options of {@link dispatchAssignment}. */
export interface DispatchOptions {
  /** Text added to the agent's task: what a person or the failing checks said about the last attempt. */
  readonly feedback?: string;
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
    const loaded = yield* loadAssignment(deps, input.assignment_id);
    const { run, policy } = loaded;
    let assignment = loaded.assignment;
    const executions = (yield* deps.storage.listExecutions(run.id)).filter(
      (e) => e.assignment_id === assignment.id,
    );
    let execution: AgentExecution | undefined = executions.findLast((e) => e.status === "running");

    if (assignment.phase !== "agent_running") {
      const max = policy.agent_policy.max_attempts;
      if (executions.length >= max) {
        return errAsync(
          rungateError("conflict", "attempts_exhausted", { entity: "card assignment", id: assignment.id }),
        );
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

    const task = buildAgentTask(assignment, { architecture_notes: policy.architecture_policy.notes });
    const work = deps.work.begin(run.id, signal);
    const request = {
      run_id: run.id,
      execution_id: execution.id,
      assignment,
      task: options.feedback === undefined ? task : `${task}\n\n${options.feedback}`,
    };
    const timeout =
      deps.options.dispatch_timeout_ms === undefined ? {} : { timeout_ms: deps.options.dispatch_timeout_ms };
    const progress = progressEvents(
      deps,
      run,
      { assignment_id: assignment.id, execution_id: execution.id },
      deps.options.progress_interval_ms,
    );
    let outcome: Awaited<ReturnType<typeof deps.dispatcher.dispatch>>;
    try {
      outcome = await deps.dispatcher.dispatch(request, {
        signal: work.signal,
        onProgress: progress.onProgress,
        ...timeout,
      });
    } finally {
      work.end();
      await progress.flush();
    }
    const stoppedBy = work.stoppedBy();
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

/** The output tail a stopped agent's error carries, if any. */
function tailOf(error: RungateError): string | null {
  return (error.kind === "cancelled" || error.kind === "timeout") && error.detail.output_tail !== undefined
    ? error.detail.output_tail
    : null;
}
