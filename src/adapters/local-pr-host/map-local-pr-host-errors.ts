import { rungateError } from "../../core/errors.js";
import type { PortError } from "../../ports/port-error.js";

/** The port every error of this adapter names. */
export const PORT = "PullRequestHost";

/** Who failed doing what, for the error detail. */
export interface LocalCallContext {
  /** The host's name (`detail.adapter`). */
  readonly adapter: string;
  /** E.g. `"createDraftPullRequest"`, `"recordLocalMerge"` (`detail.operation`). */
  readonly operation: string;
}

/** File-system error codes that may pass when the same call is made again. */
const RETRYABLE_FS_CODES = new Set(["EAGAIN", "EBUSY", "EMFILE", "ENFILE", "EINTR", "ETIMEDOUT"]);

function fsCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** True when a file-system call failed because the file is not there. */
export function isMissingFile(error: unknown): boolean {
  return fsCode(error) === "ENOENT";
}

/** True when a no-clobber create met an existing file. */
export function isExistingFile(error: unknown): boolean {
  return fsCode(error) === "EEXIST";
}

/** True when the file system cannot make hard links (the no-clobber publish then falls back to rename). */
export function isLinkUnsupported(error: unknown): boolean {
  const code = fsCode(error);
  return code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "ENOSYS";
}

/**
 * A failed file-system call as the port's error, converted once at the edge: `port_failure` with the fs code
 * (`local_pr_host_EACCES`, …), the path and the system's message; retryable for transient codes (EBUSY,
 * EMFILE, …).
 */
export function toLocalPortError(error: unknown, ctx: LocalCallContext, path: string): PortError {
  const code = fsCode(error) ?? "unknown";
  const message = error instanceof Error ? error.message : String(error);
  return rungateError("port_failure", `local_pr_host_${code}`, {
    port: PORT,
    adapter: ctx.adapter,
    operation: ctx.operation,
    retryable: RETRYABLE_FS_CODES.has(code),
    cause: `${path}: ${message}`,
  });
}

/** A record file that is not valid JSON or not a valid record: never repaired silently. */
export function invalidRecord(ctx: LocalCallContext, path: string, problem: string): PortError {
  return rungateError("port_failure", "local_pr_record_invalid", {
    port: PORT,
    adapter: ctx.adapter,
    operation: ctx.operation,
    retryable: false,
    cause: `${path} is not a valid pull request record (${problem}); fix or remove the file`,
  });
}

/** No pull request of this host at `url`. */
export function pullRequestNotFound(url: string): PortError {
  return rungateError("not_found", "pull_request_not_found", { entity: "local pull request", id: url });
}

/** The caller aborted. */
export function cancelled(operation: string): PortError {
  return rungateError("cancelled", "aborted", { operation });
}
