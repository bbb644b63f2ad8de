import type { ResultAsync } from "neverthrow";
import type { AgentLimits } from "../core/policy/agent-budget.js";
import type {
  AgentOutcome,
  AgentPermissionDenial,
  AgentTerminalReason,
  AgentUsage,
} from "../core/schemas/agent-execution.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { PortCallOptions, PortError } from "./port-error.js";

export type { AgentLimits } from "../core/policy/agent-budget.js";

/**
 * What the agent's sandbox must allow, from the policy (`agent_policy.network`). The dispatcher adds what
 * committing needs: the worktree and the clone's common git dir (a linked worktree keeps its git data there).
 */
export interface AgentSandboxPolicy {
  /** Whether the agent may reach the network (beyond what its own model API needs). */
  readonly network: boolean;
}

/** What an agent is asked to do: one assignment, in its worktree, on its branch. */
export interface AgentDispatchRequest {
  readonly run_id: string;
  readonly execution_id: string;
  /** The assignment, with `worktree_path` set; its globs are the path rules the agent must keep. */
  readonly assignment: CardAssignment;
  /** The task text handed to the agent, built from the card and the path rules. */
  readonly task: string;
  /** Bounds on this attempt; absent: no bound (`NO_AGENT_LIMITS`). */
  readonly limits?: AgentLimits;
  /**
   * The session of an earlier attempt of this card to continue (a redispatch after failed checks, whose
   * output is then in `task`), when the agent can resume sessions; absent or `null`: a fresh session.
   */
  readonly resume_session_id?: string | null;
  /** What the sandbox must allow; absent: no network. */
  readonly sandbox?: AgentSandboxPolicy;
  /**
   * `true` when this execution was recorded under a card lease that has since passed to the caller (its
   * `AgentExecution.dispatch_claim` names another lease token): whatever process ran it is judged gone by
   * the store, however alive its pid looks (frozen, or a twin reusing its id). A dispatcher then never waits
   * for that owner: it answers a recorded end, or stops what the owner left running and answers as for a
   * dead owner, without starting the agent a second time. Absent or `false`: the dispatcher judges the
   * owner itself (its markers).
   */
  readonly takeover?: boolean;
}

/**
 * What an agent did, as a typed item: a message it wrote, a tool it called, a file it edited, a command it
 * ran, or its usage so far. Agents that only print lines report none (their progress has just `message`).
 */
export type AgentProgressItem =
  | { readonly kind: "message"; readonly text: string }
  | { readonly kind: "tool_call"; readonly tool: string; readonly input: string }
  | { readonly kind: "file_edit"; readonly path: string; readonly change: "add" | "update" | "delete" }
  | { readonly kind: "command"; readonly command: string; readonly exit_code: number | null }
  | {
      readonly kind: "usage";
      readonly usage: AgentUsage;
      readonly cost_usd: number | null;
      readonly num_turns: number | null;
    };

/** A line of progress an agent reported while working. */
export interface AgentProgress {
  readonly execution_id: string;
  /** One human-readable line. */
  readonly message: string;
  /** The same, typed, when the agent reports structured events. */
  readonly item?: AgentProgressItem;
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
  /** The agent's session id (to resume it later); absent or `null` when it has none. */
  readonly session_id?: string | null;
  /** Tokens used, summed over the attempt. */
  readonly usage?: AgentUsage | null;
  /** Dollars spent; `null` when the agent cannot say. */
  readonly cost_usd?: number | null;
  /** Model turns taken. */
  readonly num_turns?: number | null;
  /** Why the session ended; an agent stopped by a limit is `max_turns`, `budget` or `timeout`. */
  readonly terminal_reason?: AgentTerminalReason | null;
  /** Tool uses refused (writes outside the path rules, tools not allowed). */
  readonly permission_denials?: readonly AgentPermissionDenial[];
  /** The agent's last message. */
  readonly final_message?: string | null;
}

/** Options of a dispatch. */
export interface AgentDispatchOptions extends PortCallOptions {
  /** Wall time; the request's `limits.timeout_ms`, when both are set, is the smaller one to keep. */
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
