import type { AgentOutcome } from "../../core/schemas/agent-execution.js";

/** How the agent's process ended. */
export interface AgentExit {
  readonly exit_code: number | null;
  readonly signal: string | null;
}

/**
 * The outcome of a finished agent as far as its process tells: a non-zero exit (or death by a signal) is
 * `agent_error`; exit 0 is `committed`, which only means "the agent says it is done". What it actually did
 * (commits, branch, uncommitted files, other refs) is read back from git by the orchestrator, through
 * rungate's own git and never inside the agent's repository: a git process run in a repository the agent
 * owns would obey the config the agent wrote there (an fsmonitor, a filter), so this dispatcher runs none.
 * Pure.
 */
export function judgeOutcome(exit: AgentExit): AgentOutcome {
  return exit.exit_code === 0 ? "committed" : "agent_error";
}

/** The sentence that opens an outcome's summary. */
export function describeOutcome(outcome: AgentOutcome, exit: AgentExit): string {
  if (outcome === "agent_error") {
    return exit.exit_code !== null
      ? `the agent exited with code ${exit.exit_code}`
      : `the agent was killed by signal ${exit.signal ?? "(unknown)"}`;
  }
  if (outcome === "timed_out") return "the agent ran out of time";
  if (outcome === "cancelled") return "the agent was cancelled";
  return "the agent exited 0; rungate reads what it committed from git";
}
