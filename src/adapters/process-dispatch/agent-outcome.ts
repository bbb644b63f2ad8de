import type { AgentOutcome } from "../../core/schemas/agent-execution.js";

/** What the dispatcher saw in the worktree before and after the agent ran. */
export interface WorktreeObservation {
  /** The branch checked out, or `null` on a detached HEAD. */
  readonly branch: string | null;
  /** HEAD's commit, or `null` before the first commit. */
  readonly head: string | null;
  /** Paths with uncommitted changes (untracked files included). */
  readonly dirty_paths: number;
}

/** How the agent's process ended. */
export interface AgentExit {
  readonly exit_code: number | null;
  readonly signal: string | null;
}

/**
 * The outcome of a finished agent, judged in this order: a non-zero exit (or death by a signal) is
 * `agent_error`; then HEAD on another branch than the assignment's is `wrong_branch`; then a dirty worktree is
 * `uncommitted_changes`; then a moved HEAD is `committed`; else `no_changes` (exit 0 without a commit is not a
 * success). Pure.
 */
export function judgeOutcome(
  exit: AgentExit,
  feature_branch: string,
  head_before: string | null,
  after: WorktreeObservation,
): AgentOutcome {
  if (exit.exit_code !== 0) return "agent_error";
  if (after.branch !== feature_branch) return "wrong_branch";
  if (after.dirty_paths > 0) return "uncommitted_changes";
  if (after.head !== head_before) return "committed";
  return "no_changes";
}

function short(sha: string | null): string {
  return sha === null ? "(no commit)" : sha.slice(0, 12);
}

/** The sentence that opens an outcome's summary. */
export function describeOutcome(
  outcome: AgentOutcome,
  exit: AgentExit,
  feature_branch: string,
  head_before: string | null,
  after: WorktreeObservation | null,
): string {
  switch (outcome) {
    case "agent_error":
      return exit.exit_code !== null
        ? `the agent exited with code ${exit.exit_code}`
        : `the agent was killed by signal ${exit.signal ?? "(unknown)"}`;
    case "wrong_branch":
      return `the agent left the worktree on ${after?.branch === null ? "a detached HEAD" : `branch ${after?.branch}`} instead of ${feature_branch}`;
    case "uncommitted_changes":
      return `the agent left ${after?.dirty_paths ?? 0} uncommitted path(s) in the worktree`;
    case "committed":
      return `the agent committed: ${feature_branch} moved from ${short(head_before)} to ${short(after?.head ?? null)}`;
    case "no_changes":
      return `the agent exited 0 without committing anything (${feature_branch} still at ${short(head_before)}, worktree clean); an agent without provider credentials ends this way`;
    case "timed_out":
      return "the agent ran out of time";
    case "cancelled":
      return "the agent was cancelled";
  }
}
