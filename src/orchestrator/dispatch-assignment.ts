import { errAsync, type ResultAsync, safeTry } from "neverthrow";
import type { RungateError } from "../core/errors.js";
import { buildAgentTask } from "../core/policy/agent-task.js";
import type { AgentExecution } from "../core/schemas/agent-execution.js";
import { type AssignmentChanges, collectChanges } from "./collect-changes.js";
import type { OrchestratorDeps } from "./deps.js";
import { loadAssignment } from "./load.js";
import { eventDraft, systemActor } from "./persist.js";
import { applyAssignmentEvent } from "./transitions.js";

/**
 * Hands a prepared assignment to its coding agent and collects what it changed. The dispatch is recorded
 * (an `AgentExecution`, the move to `agent_running`) *before* the agent starts, and a recorded dispatch is
 * never repeated: after a crash the same execution id is handed back to the dispatcher, which by contract
 * runs each execution once. A `ready` assignment starts its first attempt; one whose checks failed or
 * whose approval was rejected starts a new attempt (`redispatch`).
 *
 * The abort signal cancels the agent (the assignment is then `cancelled`); a timeout or an agent that
 * could not start fails the assignment.
 */
export function dispatchAssignment(
  deps: OrchestratorDeps,
  input: { readonly assignment_id: string },
  signal?: AbortSignal,
): ResultAsync<AssignmentChanges, RungateError> {
  return safeTry<AssignmentChanges, RungateError>(async function* () {
    const loaded = yield* loadAssignment(deps, input.assignment_id);
    const { run } = loaded;
    let assignment = loaded.assignment;
    const executions = (yield* deps.storage.listExecutions(run.id)).filter(
      (e) => e.assignment_id === assignment.id,
    );
    let execution: AgentExecution | undefined = executions.findLast((e) => e.status === "running");

    if (assignment.phase !== "agent_running") {
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
      };
      assignment = yield* applyAssignmentEvent(deps, run, assignment, { type }, systemActor(deps), {
        executions: [fresh],
        events: [
          eventDraft(deps, run, "agent.dispatched", systemActor(deps), {
            assignment_id: assignment.id,
            execution_id: fresh.id,
            attempt: fresh.attempt,
            dispatcher: deps.dispatcher.name,
          }),
        ],
      });
      execution = fresh;
    }
    if (execution === undefined) {
      // agent_running with no open execution: the outcome was recorded already; just read the changes.
      return collectChanges(deps, { assignment_id: assignment.id }, signal);
    }

    const outcome = await deps.dispatcher.dispatch(
      { run_id: run.id, execution_id: execution.id, assignment, task: buildAgentTask(assignment) },
      {
        ...(signal === undefined ? {} : { signal }),
        ...(deps.options.dispatch_timeout_ms === undefined
          ? {}
          : { timeout_ms: deps.options.dispatch_timeout_ms }),
      },
    );
    if (outcome.isOk()) {
      return collectChanges(
        deps,
        { assignment_id: assignment.id, execution, reported: outcome.value },
        signal,
      );
    }
    const error = outcome.error;
    if (error.kind === "cancelled" || error.kind === "timeout") {
      const ended = {
        ...execution,
        status: error.kind === "cancelled" ? ("cancelled" as const) : ("failed" as const),
        outcome: error.kind === "cancelled" ? ("cancelled" as const) : ("timed_out" as const),
        ended_at: deps.clock.now(),
        error: error.message,
      };
      const event =
        error.kind === "cancelled"
          ? { type: "cancel" as const, actor: systemActor(deps) }
          : { type: "agent_failed" as const, reason: error.message };
      yield* applyAssignmentEvent(deps, run, assignment, event, systemActor(deps), { executions: [ended] });
      return errAsync(error);
    }
    // The dispatcher itself failed (could not start the agent): leave the dispatch recorded and open, so
    // that a resume hands the same execution back once the dispatcher works again.
    return errAsync(error);
  });
}
