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
});
/** Parsed {@link AgentExecution}. */
export type AgentExecution = z.infer<typeof AgentExecution>;

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
