import type { z } from "zod";
import { formatPath, type RungateError } from "../index.js";

/**
 * Why a command could not do what it was asked, as data; {@link exitCodeOf} and {@link describeCliError} turn
 * it into an exit code and lines for a person.
 *
 * - `usage`: the person asked for something malformed or impossible (bad option, unreadable policy file, an
 *   agent SDK that is not installed, no state directory yet). Exit code 2.
 * - `rungate`: the SDK answered with a {@link RungateError} (a gate refused, a record is missing, a port failed).
 *   Exit code 1.
 * - `failed`: something around the SDK failed (the state directory is locked by another process, a file could
 *   not be written). Exit code 1.
 */
export type CliError =
  | { readonly kind: "usage"; readonly message: string; readonly lines: readonly string[] }
  | { readonly kind: "rungate"; readonly error: RungateError }
  | { readonly kind: "failed"; readonly message: string };

/** A usage error: `message`, then one indented line per entry of `lines`. */
export function usageError(message: string, lines: readonly string[] = []): CliError {
  return { kind: "usage", message, lines };
}

/** A usage error listing each zod issue on its own line (`path: message`). */
export function zodUsageError(what: string, error: z.ZodError): CliError {
  return usageError(
    what,
    error.issues.map((issue) => {
      const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
      return path.length === 0 ? issue.message : `${formatPath(path)}: ${issue.message}`;
    }),
  );
}

/** Wraps an SDK error. */
export function rungateFailure(error: RungateError): CliError {
  return { kind: "rungate", error };
}

/** A failure around the SDK (file system, lock). */
export function failure(message: string): CliError {
  return { kind: "failed", message };
}

/** The process exit code of an error: 2 for usage errors, 1 for everything else. */
export function exitCodeOf(error: CliError): 1 | 2 {
  return error.kind === "usage" ? 2 : 1;
}

/**
 * What a person reads about an error: its sentence and, for an SDK error, its `kind`/`code` and one line per
 * violation or gate reason. Never a stack trace.
 */
export function describeCliError(error: CliError): string[] {
  switch (error.kind) {
    case "usage":
      return [`error: ${error.message}`, ...error.lines.map((l) => `  ${l}`)];
    case "failed":
      return [`error: ${error.message}`];
    case "rungate":
      return [
        `error: ${error.error.message}`,
        `  code: ${error.error.kind}/${error.error.code}`,
        ...detailLines(error.error),
      ];
  }
}

/** The structured detail of an SDK error worth a line each. */
function detailLines(error: RungateError): string[] {
  switch (error.kind) {
    case "policy_violation":
      return error.detail.violations.map((v) => `  - ${formatPath(v.path)}: ${v.message}`);
    case "gate_closed":
      return error.detail.reasons.map((r) => `  - ${r.subject}: ${r.message}`);
    case "validation":
      return error.detail.issues.map((i) => `  - ${formatPath(i.path)}: ${i.message}`);
    default:
      return [];
  }
}
