import { rungateError } from "../../core/errors.js";
import type { PortError } from "../../ports/port-error.js";

/** Why a command could not start, from the system error code (the raw code is kept next to it). */
export function describeStartFailure(code: string): string {
  switch (code) {
    case "ENOENT":
      return "command not found";
    case "EACCES":
    case "EPERM":
      return "permission denied (is it executable?)";
    case "ENOTDIR":
      return "a path component is not a directory";
    case "E2BIG":
      return "argument list too long";
    case "EAGAIN":
    case "EMFILE":
    case "ENFILE":
    case "ENOMEM":
      return "the system is out of processes, files or memory";
    default:
      return "could not start";
  }
}

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
