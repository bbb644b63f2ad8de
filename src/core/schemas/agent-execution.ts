import { z } from "zod";
import { GitSha, IsoDateTime, Uuid } from "./primitives.js";

/**
 * How an agent attempt ended, beyond exit status: "exited 0 but committed nothing" is not a success, and
 * neither is anything but clean commits on the card's own branch, read back from git: `wrong_branch` and
 * `detached_head` (HEAD elsewhere), `uncommitted_changes`, `foreign_refs` (other branches, tags, a stash),
 * `diverged_from_base` (the base commit no longer in the branch), `repository_replaced` (the agent's
 * repository unreadable, or its commits refused by git's object checks). `interrupted`: the attempt was
 * stopped without a person deciding so (its host shut down, or the process running it died before recording
 * its end); rungate starts another attempt, within the policy's `agent_policy.max_attempts`.
 */
export const AGENT_OUTCOMES = [
  "committed",
  "no_changes",
  "uncommitted_changes",
  "wrong_branch",
  "detached_head",
  "foreign_refs",
  "diverged_from_base",
  "repository_replaced",
  "agent_error",
  "timed_out",
  "cancelled",
  "interrupted",
] as const;
/** One of {@link AGENT_OUTCOMES}. */
export const AgentOutcome = z.enum(AGENT_OUTCOMES);
/** One of {@link AGENT_OUTCOMES}. */
export type AgentOutcome = z.infer<typeof AgentOutcome>;

/**
 * Why an agent's own session ended, as the agent (or its dispatcher) reports it: `completed` (it said it was
 * done), `max_turns` and `budget` (a limit of the request stopped it), `timeout` (wall time or inactivity),
 * `no_credential` (it could not authenticate: no key, or a key refused), `error` (anything else that ended it
 * early), `cancelled` (stopped from outside). What the attempt *achieved* is still read back from git: a
 * `completed` session that committed nothing is `no_changes`.
 */
export const AGENT_TERMINAL_REASONS = [
  "completed",
  "max_turns",
  "budget",
  "timeout",
  "no_credential",
  "error",
  "cancelled",
] as const;
/** One of {@link AGENT_TERMINAL_REASONS}. */
export const AgentTerminalReason = z.enum(AGENT_TERMINAL_REASONS);
/** One of {@link AGENT_TERMINAL_REASONS}. */
export type AgentTerminalReason = z.infer<typeof AgentTerminalReason>;

/** Tokens an agent used, summed over its turns (cache reads counted apart where the agent says so). */
export const AgentUsage = z.object({
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  cached_input_tokens: z.number().int().nonnegative().default(0),
});
/** Parsed {@link AgentUsage}. */
export type AgentUsage = z.infer<typeof AgentUsage>;

/** The most permission denials an execution keeps (an agent in a loop can be denied thousands of times). */
export const MAX_PERMISSION_DENIALS = 50;

/** A tool use the agent asked for and was refused, with the path it aimed at when it named one. */
export const AgentPermissionDenial = z.object({
  tool: z.string().max(200),
  path: z.string().max(4_096).nullable().default(null),
  reason: z.string().max(2_000),
});
/** Parsed {@link AgentPermissionDenial}. */
export type AgentPermissionDenial = z.infer<typeof AgentPermissionDenial>;

/**
 * The store's record of who dispatched an execution: the card's lease (its fencing token) under which it was
 * recorded, and the process that recorded it (pid, host, boot, start time in clock ticks: evidence that
 * cannot name another process, where the platform tells). When a later holder of the card finds the
 * execution still open under another lease token, the lease has passed: its owner is judged gone, however
 * its pid looks, and the dispatcher is told so (`AgentDispatchRequest.takeover`).
 */
export const DispatchClaim = z.object({
  lease_token: z.string().min(1).max(200),
  pid: z.number().int().nonnegative().nullable(),
  host: z.string().max(255).nullable(),
  boot_id: z.string().max(200).nullable(),
  start_ticks: z.string().max(40).nullable(),
});
/** Parsed {@link DispatchClaim}. */
export type DispatchClaim = z.infer<typeof DispatchClaim>;

/**
 * One attempt of an agent on an assignment. `status` `interrupted` is an attempt stopped by a host shutdown
 * or a crash (another attempt follows); `cancelled` one stopped because a person cancelled the run.
 */
export const AgentExecution = z.object({
  id: Uuid,
  run_id: Uuid,
  assignment_id: Uuid,
  attempt: z.number().int().positive().default(1),
  status: z.enum(["queued", "running", "completed", "failed", "cancelled", "interrupted"]),
  outcome: AgentOutcome.nullable().default(null),
  started_at: IsoDateTime.nullable(),
  ended_at: IsoDateTime.nullable(),
  summary: z.string().nullable().default(null),
  error: z.string().nullable().default(null),
  /** The agent process's exit code, when it exited (not when it was killed or never reported). */
  exit_code: z.number().int().nullable().default(null),
  /**
   * The agent's own session id, when it has one (Claude Code: the execution id; Codex: its thread id), so a
   * later attempt can resume the conversation.
   */
  session_id: z.string().max(200).nullable().default(null),
  /** Tokens used, when the agent reports them. */
  usage: AgentUsage.nullable().default(null),
  /** What the attempt cost in US dollars, when the agent can say (Codex cannot: `null`). */
  cost_usd: z.number().nonnegative().nullable().default(null),
  /** Model turns taken, when the agent counts them. */
  num_turns: z.number().int().nonnegative().nullable().default(null),
  /** Why the agent's session ended, when the dispatcher could tell: see {@link AGENT_TERMINAL_REASONS}. */
  terminal_reason: AgentTerminalReason.nullable().default(null),
  /** Tool uses refused (at most {@link MAX_PERMISSION_DENIALS}; the first ones kept). */
  permission_denials: z.array(AgentPermissionDenial).max(MAX_PERMISSION_DENIALS).default([]),
  /** The agent's last message, bounded like the summary. */
  final_message: z.string().nullable().default(null),
  /**
   * The machine whose dispatcher ran this execution (its `machine_id`: where its execution markers live), or
   * `null` when unknown (one process, or recorded before this field). A worker on another machine cannot
   * see that machine's markers, so it never hands this execution to its own dispatcher (that would start the
   * agent a second time): it records the attempt interrupted and starts a new one.
   */
  dispatched_on: z.string().max(200).nullable().default(null),
  /**
   * Who claimed this execution when it was recorded, kept with the assignment in the store: see
   * {@link DispatchClaim}. `null` when no worker lease covered the dispatch (one process, or recorded before
   * this field).
   */
  dispatch_claim: DispatchClaim.nullable().default(null),
});
/** Parsed {@link AgentExecution}. */
export type AgentExecution = z.infer<typeof AgentExecution>;

/** What an execution records of the agent's own report, before the agent has said anything. */
export const EMPTY_AGENT_REPORT = {
  session_id: null,
  usage: null,
  cost_usd: null,
  num_turns: null,
  terminal_reason: null,
  permission_denials: [],
  final_message: null,
} as const satisfies Pick<
  AgentExecution,
  | "session_id"
  | "usage"
  | "cost_usd"
  | "num_turns"
  | "terminal_reason"
  | "permission_denials"
  | "final_message"
>;

/** A commit an agent made on its feature branch, as read back from git (never as claimed by the agent). */
export const AgentCommit = z.object({
  id: Uuid,
  assignment_id: Uuid,
  sha: GitSha,
  branch: z.string().min(1),
  message: z.string(),
  committed_at: IsoDateTime,
});
/** Parsed {@link AgentCommit}. */
export type AgentCommit = z.infer<typeof AgentCommit>;
