import { type AgentDispatcher, type CheckRunner, errAsync, rungateError } from "../index.js";

/** Why an idle port refuses: the command that opened the store runs no agents and no checks. */
function refused(port: string, what: string) {
  return errAsync(
    rungateError("port_failure", "not_available_here", {
      port,
      adapter: "rungate-cli",
      operation: what,
      retryable: false,
      cause: "only `rungate run` starts agents and checks",
    }),
  );
}

/**
 * The agent dispatcher of commands that only read or decide (`approve`, `cancel`, `show`, `runs`): the
 * orchestrator needs one, and these commands must never start an agent, so it refuses every dispatch.
 */
export const idleDispatcher: AgentDispatcher = {
  name: "rungate-cli-idle",
  dispatch: () => refused("agent_dispatcher", "dispatch an agent"),
};

/** The check runner of commands that run no checks (see {@link idleDispatcher}). */
export const idleCheckRunner: CheckRunner = {
  name: "rungate-cli-idle",
  run: () => refused("check_runner", "run a check"),
};
