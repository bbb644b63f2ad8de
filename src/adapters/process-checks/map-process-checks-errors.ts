import { rungateError } from "../../core/errors.js";
import type { PortError } from "../../ports/port-error.js";

/** The caller aborted the check. */
export function checkCancelled(checkType: string): PortError {
  return rungateError("cancelled", "aborted", { operation: `check ${checkType}` });
}

/** The runner itself broke (a bug or an unexpected throw), converted once at the edge. */
export function toCheckRunnerFailure(adapter: string, operation: string, cause: unknown): PortError {
  return rungateError("port_failure", "process_check_runner_failed", {
    port: "CheckRunner",
    adapter,
    operation,
    retryable: false,
    cause: cause instanceof Error ? cause.message : String(cause),
  });
}
