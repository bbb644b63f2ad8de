import type { AgentExecution } from "../core/schemas/agent-execution.js";
import type { AssignmentPhase, RunPhase } from "../core/schemas/phases.js";
import type { LifecycleStatus } from "../core/schemas/primitives.js";

/** How one reference status is read in rungate; `loses` says what meaning is lost, `null` when none is. */
export interface StatusMapping<P extends string> {
  readonly to: P;
  readonly loses: string | null;
}

/**
 * The reference's run statuses (the six rungate stores too) read as rungate run phases. The status itself is
 * kept; the phase is the finer reading rungate adds, and two of them are guesses.
 */
export const RUN_STATUS_PHASE: { readonly [S in LifecycleStatus]: StatusMapping<RunPhase> } = {
  queued: { to: "queued", loses: null },
  running: {
    to: "agents_running",
    loses:
      "the reference's `running` spans agents working and checks running; rungate reads it as `agents_running`",
  },
  blocked: {
    to: "checks_failed",
    loses:
      "the reference's `blocked` means a card waits on a person (questions to answer); rungate has no such phase and reads it as `checks_failed`, also waiting on a person",
  },
  failed: { to: "failed", loses: null },
  completed: { to: "completed", loses: null },
  cancelled: { to: "cancelled", loses: null },
};

/** The reference's assignment statuses read as rungate card phases (the status is kept). */
export const ASSIGNMENT_STATUS_PHASE: { readonly [S in LifecycleStatus]: StatusMapping<AssignmentPhase> } = {
  queued: { to: "queued", loses: null },
  running: { to: "agent_running", loses: null },
  blocked: {
    to: "checks_failed",
    loses:
      "the reference's `blocked` means the agent asked questions and waits on a person; rungate has no such phase and reads it as `checks_failed`, also waiting on a person",
  },
  failed: { to: "failed", loses: null },
  completed: {
    to: "merged",
    loses:
      "the reference marks a card `completed` when its agent finished, before checks, approval or PR; rungate's only completed card phase is `merged`",
  },
  cancelled: { to: "cancelled", loses: null },
};

/**
 * The reference's agent execution statuses (it reused the run statuses) read as rungate execution statuses.
 * `blocked` has no counterpart: an attempt stopped to wait on a person is read as `interrupted` (stopped
 * without a person deciding so; another attempt follows, as the reference's resume does).
 */
export const EXECUTION_STATUS: {
  readonly [S in LifecycleStatus]: StatusMapping<AgentExecution["status"]>;
} = {
  queued: { to: "queued", loses: null },
  running: { to: "running", loses: null },
  blocked: {
    to: "interrupted",
    loses:
      "the reference's `blocked` attempt waits on a person's answer; rungate has no such status and reads it as `interrupted` (another attempt follows)",
  },
  failed: { to: "failed", loses: null },
  completed: { to: "completed", loses: null },
  cancelled: { to: "cancelled", loses: null },
};
