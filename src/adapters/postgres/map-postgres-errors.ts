import { rungateError } from "../../core/errors.js";
import type { PortError } from "../../ports/port-error.js";

/** What went wrong talking to Postgres, in rungate's words; `other` when nothing more specific fits. */
export type PostgresFailure =
  | "serialization_failure"
  | "deadlock"
  | "connection"
  | "unavailable"
  | "insufficient_resources"
  | "unstorable_value"
  | "closed"
  | "missing_driver"
  | "other";

/** A foreign error, classified: the unified failure, the raw SQLSTATE (or Node error code) kept beside it. */
export interface ClassifiedPostgresError {
  readonly failure: PostgresFailure;
  readonly retryable: boolean;
  /** SQLSTATE (`40001`, …) or Node system error code (`ECONNREFUSED`, …), as raised. */
  readonly raw_code: string | undefined;
  readonly message: string;
}

/** Node system error codes that mean the connection to the server failed or dropped. */
const CONNECTION_CODES: readonly string[] = [
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
];

/** Maps one SQLSTATE (or Node error code) onto a {@link PostgresFailure}: a total function. */
export function mapPostgresCode(code: string | undefined): PostgresFailure {
  if (code === undefined) return "other";
  switch (code) {
    case "40001":
      return "serialization_failure";
    case "40P01":
      return "deadlock";
    case "57P01": // admin_shutdown
    case "57P02": // crash_shutdown
    case "57P03": // cannot_connect_now
    case "53300": // too_many_connections
    case "55P03": // lock_not_available
      return "unavailable";
    case "22P05": // untranslatable_character: jsonb refuses \u0000 and lone surrogates
      return "unstorable_value";
    default:
      if (code.startsWith("08") || CONNECTION_CODES.includes(code)) return "connection";
      // Class 53: disk full (53100), out of memory (53200), configuration limit (53400): the server is
      // short of something that may come back (space freed, load gone), so the write may succeed later.
      if (code.startsWith("53")) return "insufficient_resources";
      return "other";
  }
}

/** Failures worth retrying as they are: a lost race, a dropped or busy server. */
const RETRYABLE: ReadonlySet<PostgresFailure> = new Set([
  "serialization_failure",
  "deadlock",
  "connection",
  "unavailable",
  "insufficient_resources",
]);

/** Classifies anything a driver threw (pg's `DatabaseError`, PGlite's errors, Node socket errors). */
export function classifyPostgresError(cause: unknown): ClassifiedPostgresError {
  const message = cause instanceof Error ? cause.message : String(cause);
  const code = (cause as { code?: unknown } | null)?.code;
  const raw_code = typeof code === "string" ? code : undefined;
  let failure = mapPostgresCode(raw_code);
  if (failure === "other" && /connection terminated|terminating connection/i.test(message)) {
    failure = "connection";
  }
  if (failure === "other" && /\bis closed\b|\bclosed\b.*pglite|pglite.*\bclosed\b/i.test(message)) {
    failure = "closed";
  }
  return { failure, retryable: RETRYABLE.has(failure), raw_code, message };
}

/**
 * The converter for `ResultAsync.fromPromise(p, toPortError(adapter, operation))`: every foreign throw becomes a
 * {@link PortError} exactly once. Text jsonb cannot hold (`\u0000`, lone surrogates) is the caller's data, so
 * it is `validation` (`unstorable_value`); everything else is `port_failure` with the classified failure as
 * `code`, `retryable` from it, and the raw SQLSTATE in `cause`.
 */
export function toPortError(adapter: string, operation: string): (cause: unknown) => PortError {
  return (cause) => {
    const classified = classifyPostgresError(cause);
    if (classified.failure === "unstorable_value") {
      return rungateError("validation", "unstorable_value", {
        issues: [
          {
            path: [],
            code: "unstorable_value",
            message: `Postgres jsonb cannot store this text (NUL characters or lone surrogates): ${classified.message}`,
          },
        ],
      });
    }
    return portFailure(adapter, operation, classified.failure, classified.retryable, describe(classified));
  };
}

/** A `port_failure` of the StoragePort built by this adapter. */
export function portFailure(
  adapter: string,
  operation: string,
  code: string,
  retryable: boolean,
  cause: string,
): PortError {
  return rungateError("port_failure", code, { port: "StoragePort", adapter, operation, retryable, cause });
}

function describe(classified: ClassifiedPostgresError): string {
  return classified.raw_code ? `[${classified.raw_code}] ${classified.message}` : classified.message;
}
