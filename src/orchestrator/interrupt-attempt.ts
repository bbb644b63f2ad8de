import type { ResultAsync } from "neverthrow";
import type { RungateError } from "../core/errors.js";
import type { AgentExecution } from "../core/schemas/agent-execution.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { SystemPolicyProfile } from "../core/schemas/system-policy-profile.js";
import type { OrchestratorDeps } from "./deps.js";
import { eventDraft, systemActor } from "./persist.js";
import { applyAssignmentEvent } from "./transitions.js";

/** The execution ended as `outcome`, now. */
export function endedExecution(
  deps: OrchestratorDeps,
  execution: AgentExecution,
  outcome: "cancelled" | "timed_out" | "interrupted",
  error: string,
  summary: string | null = null,
): AgentExecution {
  const status = outcome === "timed_out" ? "failed" : outcome;
  return {
    ...execution,
    status,
    outcome,
    ended_at: deps.clock.now(),
    error,
    summary: summary ?? execution.summary,
  };
}

/**
 * Records an interrupted attempt and sends the card back to `ready` for the next one, or fails it when the
 * policy's attempts are used up.
 */
export function interruptAttempt(
  deps: OrchestratorDeps,
  run: OrchestrationRun,
  policy: SystemPolicyProfile,
  assignment: CardAssignment,
  execution: AgentExecution,
  summary: string | null,
  reason: string,
): ResultAsync<CardAssignment, RungateError> {
  const ended = endedExecution(deps, execution, "interrupted", reason, summary ?? execution.summary);
  const max = policy.agent_policy.max_attempts;
  const event =
    execution.attempt >= max
      ? {
          type: "agent_failed" as const,
          kind: "attempts_exhausted" as const,
          reason: `attempt ${execution.attempt} of ${max} was interrupted (${reason}); no attempt is left`,
        }
      : { type: "agent_interrupted" as const };
  return applyAssignmentEvent(deps, run, assignment, event, systemActor(deps), {
    executions: [ended],
    events: [
      eventDraft(deps, run, "agent.interrupted", systemActor(deps), {
        assignment_id: assignment.id,
        execution_id: execution.id,
        attempt: execution.attempt,
        max_attempts: max,
        reason,
      }),
    ],
  });
}
