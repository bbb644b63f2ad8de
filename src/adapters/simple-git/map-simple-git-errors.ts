import { rungateError } from "../../core/errors.js";
import type { PortError } from "../../ports/port-error.js";

/** The port every error of this adapter names. */
export const PORT = "GitPort";

/** The longest stderr excerpt an error carries, in UTF-8 bytes. */
export const MAX_CAUSE_BYTES = 2048;

/** What replaces a secret in anything the adapter reports. */
export const REDACTED = "[redacted]";

/**
 * How one git command failed, as data (converted once from simple-git's throws in `run-git.ts`). A non-zero
 * exit is not here: `run-git.ts` returns it as an outcome, because for some commands (`rev-parse --verify`,
 * `merge-base --is-ancestor`) exit 1 is an answer, not a failure.
 */
export type GitFailure =
  /** The git process exited non-zero where the caller expected success. */
  | {
      readonly type: "exit";
      readonly operation: string;
      readonly exit_code: number;
      readonly stderr: string;
      readonly stdout: string;
    }
  /** The caller's signal aborted the command (before or while it ran). */
  | { readonly type: "aborted"; readonly operation: string }
  /** The command printed nothing for `timeout_ms` and was killed. */
  | { readonly type: "timeout"; readonly operation: string; readonly timeout_ms: number }
  /** simple-git refused the command line or environment (its unsafe-operation checks). */
  | { readonly type: "blocked"; readonly operation: string; readonly message: string }
  /** git could not be started (missing binary, missing working directory, …). */
  | { readonly type: "spawn"; readonly operation: string; readonly message: string };

/** What a failed git command's output says about the failure. */
export type GitFailureClass = "network" | "server" | "auth" | "locked" | "missing_binary" | "other";

/** Patterns of git's (C-locale) stderr, checked in order; the first match classifies. */
const STDERR_CLASSES: readonly (readonly [GitFailureClass, RegExp])[] = [
  ["missing_binary", /\bspawn\b.*\bENOENT\b/],
  [
    "auth",
    /authentication failed|could not read (username|password)|terminal prompts disabled|permission denied \(publickey|returned error: 40[13]\b|invalid username or password/i,
  ],
  ["server", /returned error: (5\d\d|429)\b|\bHTTP (5\d\d|429)\b|\bremote: internal server error/i],
  [
    "network",
    /could not resolve (host|proxy)|temporary failure in name resolution|name or service not known|failed to connect|couldn't connect to server|connection (refused|reset|timed out)|operation timed out|operation too slow|timed out after|network is unreachable|no route to host|the remote end hung up unexpectedly|early eof|rpc failed|ssl_error_syscall|gnutls_handshake|unexpected disconnect|broken pipe/i,
  ],
  [
    "locked",
    /unable to create '[^']*\.lock': file exists|cannot lock ref|is at [0-9a-f]+ but expected|another git process seems to be running/i,
  ],
];

/** Classifies a failed command by its stderr (small total function; `other` when nothing matches). */
export function classifyGitStderr(stderr: string): GitFailureClass {
  for (const [kind, pattern] of STDERR_CLASSES) if (pattern.test(stderr)) return kind;
  return "other";
}

/** True when the same call may pass if made again: network trouble, a 5xx/429 server, a held lock. */
export function isRetryableClass(kind: GitFailureClass): boolean {
  switch (kind) {
    case "network":
    case "server":
    case "locked":
      return true;
    case "auth":
    case "missing_binary":
    case "other":
      return false;
  }
}

/** The `port_failure` code for a class of failure. */
export function failureCode(kind: GitFailureClass): string {
  switch (kind) {
    case "network":
      return "git_network_error";
    case "server":
      return "git_server_error";
    case "auth":
      return "git_auth_failed";
    case "locked":
      return "git_repository_locked";
    case "missing_binary":
      return "git_not_installed";
    case "other":
      return "git_command_failed";
  }
}

/** Replaces secrets in text: each literal secret, and the `user:password@` part of any URL. */
export type Redact = (text: string) => string;

/** A {@link Redact} for these literal secrets (empty ones ignored, longest replaced first). */
export function createRedact(secrets: readonly string[]): Redact {
  const live = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  return (text) =>
    live
      .reduce((acc, secret) => acc.split(secret).join(REDACTED), text)
      .replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, `$1${REDACTED}@`);
}

/**
 * What a person needs from git's output: progress lines (`\r`-rewritten) reduced to their last state, secrets
 * redacted, then the tail of at most {@link MAX_CAUSE_BYTES} UTF-8 bytes (git says what went wrong last).
 */
export function excerpt(text: string, redact: Redact, maxBytes = MAX_CAUSE_BYTES): string {
  const settled = text
    .split("\n")
    .map(
      (line) =>
        line
          .split("\r")
          .filter((part) => part.length > 0)
          .at(-1) ?? "",
    )
    .join("\n")
    .trim();
  const clean = redact(settled);
  const bytes = Buffer.from(clean, "utf8");
  if (bytes.length <= maxBytes) return clean;
  const tail = bytes
    .subarray(bytes.length - (maxBytes - 4))
    .toString("utf8")
    .replace(/^\uFFFD+/, "");
  return `…${tail}`;
}

/**
 * A failed git command as the port's error: `cancelled` when aborted, `timeout` when silent for too long,
 * otherwise `port_failure` with `operation` = the git subcommand, `cause` = a redacted stderr excerpt and
 * `retryable` from {@link classifyGitStderr}.
 */
export function toGitPortError(adapter: string, failure: GitFailure, redact: Redact): PortError {
  switch (failure.type) {
    case "aborted":
      return cancelled(failure.operation);
    case "timeout":
      return rungateError("timeout", "git_timeout", {
        operation: failure.operation,
        timeout_ms: failure.timeout_ms,
      });
    case "blocked":
      return portFailure(adapter, failure.operation, "git_blocked", false, excerpt(failure.message, redact));
    case "spawn": {
      const kind = classifyGitStderr(failure.message);
      return portFailure(
        adapter,
        failure.operation,
        kind === "missing_binary" ? failureCode(kind) : "git_spawn_failed",
        false,
        excerpt(failure.message, redact),
      );
    }
    case "exit": {
      const output = failure.stderr.trim().length > 0 ? failure.stderr : failure.stdout;
      const kind = classifyGitStderr(output);
      const text = excerpt(output, redact);
      return portFailure(
        adapter,
        failure.operation,
        failureCode(kind),
        isRetryableClass(kind),
        text.length > 0 ? text : `git ${failure.operation} exited with code ${failure.exit_code}`,
      );
    }
  }
}

/**
 * A failed file-system call around git (creating the clone root, moving a fresh clone into place, …):
 * `port_failure` with the fs code; retryable for transient codes.
 */
export function toFsPortError(adapter: string, operation: string, error: unknown, redact: Redact): PortError {
  const code = (error as { code?: unknown } | null)?.code;
  const fsCode = typeof code === "string" ? code : "unknown";
  const message = error instanceof Error ? error.message : String(error);
  return portFailure(
    adapter,
    operation,
    `fs_${fsCode}`,
    ["EAGAIN", "EBUSY", "EMFILE", "ENFILE", "EINTR"].includes(fsCode),
    excerpt(message, redact),
  );
}

/** A `port_failure` of this adapter. */
export function portFailure(
  adapter: string,
  operation: string,
  code: string,
  retryable: boolean,
  cause: string,
): PortError {
  return rungateError("port_failure", code, { port: PORT, adapter, operation, retryable, cause });
}

/** The caller aborted. */
export function cancelled(operation: string): PortError {
  return rungateError("cancelled", "aborted", { operation });
}

/** Something asked for does not exist (`clone_not_found`, `ref_not_found`, `branch_not_found`). */
export function notFound(code: string, entity: string, id: string): PortError {
  return rungateError("not_found", code, { entity, id });
}

/** A clone, branch or worktree exists with other content than asked for. */
export function conflict(code: string, entity: string, id: string): PortError {
  return rungateError("conflict", code, { entity, id });
}
