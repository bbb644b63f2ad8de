import type { ResultAsync } from "neverthrow";
import type { AgentOutcome } from "../core/schemas/agent-execution.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { PortCallOptions, PortError } from "./port-error.js";

/** What an agent is asked to do: one assignment, in its worktree, on its branch. */
export interface AgentDispatchRequest {
  readonly run_id: string;
  readonly execution_id: string;
  /** The assignment, with `worktree_path` set; its globs are the path rules the agent must keep. */
  readonly assignment: CardAssignment;
  /** The task text handed to the agent, built from the card and the path rules. */
  readonly task: string;
}

/** A line of progress an agent reported while working. */
export interface AgentProgress {
  readonly execution_id: string;
  readonly message: string;
}

/**
 * How the agent process ended. What it committed is read back from git by the orchestrator, never taken
 * from here: an agent's own claims are not evidence.
 */
export interface AgentDispatchOutcome {
  /** `committed` only tells that the agent says it is done; the orchestrator re-derives the real outcome. */
  readonly outcome: AgentOutcome;
  readonly exit_code: number | null;
  readonly summary: string | null;
}

/** Options of a dispatch. */
export interface AgentDispatchOptions extends PortCallOptions {
  readonly timeout_ms?: number;
  readonly onProgress?: (progress: AgentProgress) => void;
}

/**
 * Runs a coding agent on an assignment. **Idempotent per `execution_id`:** a second call with an execution
 * id that already started returns that run's outcome (waiting for it if still running) and never starts the
 * agent again. This is what lets a crashed orchestrator resume without repeating a recorded dispatch. Implementations: `rungate/dispatch` (agentic-flow or any command)
 * and the scripted fake. Fails with `cancelled` (signal), `timeout`, or `port_failure` (the agent could not
 * start); an agent that ran and failed is an ok outcome with `agent_error`.
 */
export interface AgentDispatcher {
  readonly name: string;
  /**
   * Secret values this adapter was given (tokens, passwords, environment values marked secret), so that the
   * orchestrator's one redaction boundary keeps them out of every stored record, event and error. Optional:
   * an adapter given no secret leaves it out.
   */
  readonly secret_values?: readonly string[];
  /**
   * Runs the agent for `request` in its worktree and reports how it ended. Fails with `cancelled`, `timeout` or
   * `port_failure` (could not start); idempotent per `execution_id`.
   */
  dispatch(
    request: AgentDispatchRequest,
    options?: AgentDispatchOptions,
  ): ResultAsync<AgentDispatchOutcome, PortError>;
}
