import { rungateError } from "../../core/errors.js";
import type { PortError } from "../../ports/port-error.js";
import { describeStartFailure } from "../child-process/start-failure.js";

/** System error codes of a failed start that may go away on their own (retry later). */
const TRANSIENT_START_CODES = new Set(["EAGAIN", "EMFILE", "ENFILE", "ENOMEM"]);

/** The caller aborted the dispatch. */
export function dispatchCancelled(output_tail = ""): PortError {
  return rungateError("cancelled", "aborted", {
    operation: "dispatch",
    ...(output_tail === "" ? {} : { output_tail }),
  });
}

/** The agent ran out of time (its process group was killed). */
export function dispatchTimedOut(timeout_ms: number, output_tail = ""): PortError {
  return rungateError("timeout", "agent_timeout", {
    operation: "dispatch",
    timeout_ms,
    ...(output_tail === "" ? {} : { output_tail }),
  });
}

/** The dispatcher could not do its part (start the agent, read git, keep its markers). */
export function dispatcherFailure(
  adapter: string,
  operation: string,
  cause: unknown,
  retryable = false,
): PortError {
  return rungateError("port_failure", "agent_dispatch_failed", {
    port: "AgentDispatcher",
    adapter,
    operation,
    retryable,
    cause: cause instanceof Error ? cause.message : String(cause),
  });
}

/** The agent's program could not start; retryable only when the system was out of resources. */
export function agentStartFailure(adapter: string, program: string, code: string, reason: string): PortError {
  return dispatcherFailure(
    adapter,
    "start agent",
    `could not start \`${program}\`: ${describeStartFailure(code)} (${code}): ${reason}`,
    TRANSIENT_START_CODES.has(code),
  );
}
