/** Parsing at the adapter's two boundaries: records written by callers, rows read back from the database. */
import { err, ok, type Result } from "neverthrow";
import { z } from "zod";
import { rungateError } from "../../core/errors.js";
import { toFieldIssues } from "../../core/parse.js";
import { verifyAssignmentSnapshot } from "../../core/run/new-run.js";
import { ApprovalRequest } from "../../core/schemas/approval-request.js";
import { CardAssignment } from "../../core/schemas/card-assignment.js";
import { OrchestrationRun } from "../../core/schemas/orchestration-run.js";
import { PullRequestCandidate } from "../../core/schemas/pull-request-candidate.js";
import { RunEvent } from "../../core/schemas/run-event.js";
import type { PortError } from "../../ports/port-error.js";
import type { StorageWriteResult } from "../../ports/storage-port.js";
import { portFailure } from "./map-postgres-errors.js";
import type { VersionedTable } from "./plans.js";

/** A record in its stored form: plain JSON data, as parsed from what a caller wrote. */
export type Raw = Record<string, unknown>;

/** The schema and entity name of each versioned table: data, not an `if` ladder. */
export const VERSIONED: {
  readonly [T in VersionedTable]: { readonly entity: string; readonly schema: z.ZodType };
} = {
  runs: { entity: "run", schema: OrchestrationRun },
  assignments: { entity: "assignment", schema: CardAssignment },
  approvals: { entity: "approval request", schema: ApprovalRequest },
  pull_requests: { entity: "pull request candidate", schema: PullRequestCandidate },
};

/** What a write stored, in raw form; stored with its idempotency key so a replay answers the same. */
export interface RawWriteResult {
  readonly runs: readonly Raw[];
  readonly assignments: readonly Raw[];
  readonly approvals: readonly Raw[];
  readonly pull_requests: readonly Raw[];
  readonly events: readonly Raw[];
}

/** The caller's signal was aborted before `operation` ran (or, for a write, before it committed). */
export function cancelled(operation: string): PortError {
  return rungateError("cancelled", "aborted", { operation });
}

/** No `entity` with `id` (code `<entity>_not_found`, as the in-memory fake names it). */
export function notFound(entity: string, id: string): PortError {
  return rungateError("not_found", `${entity.replaceAll(" ", "_")}_not_found`, { entity, id });
}

/** A write met a stored record: `already_exists`, `stale_version`, `already_decided`, `lease_lost`, … */
export function conflict(
  code: string,
  entity: string,
  id: string,
  versions: { readonly expected_version?: number; readonly actual_version?: number } = {},
): PortError {
  return rungateError("conflict", code, { entity, id, ...versions });
}

/** Parses `value` with `schema`; issues are reported under `path` (e.g. `["runs", 0, "record"]`). */
export function parseAt<S extends z.ZodType>(
  schema: S,
  value: unknown,
  path: readonly (string | number)[],
  code: string,
): Result<z.infer<S>, PortError> {
  const parsed = schema.safeParse(value);
  return parsed.success
    ? ok(parsed.data)
    : err(
        rungateError("validation", code, {
          issues: toFieldIssues(parsed.error).map((issue) => ({ ...issue, path: [...path, ...issue.path] })),
        }),
      );
}

/** A stored record read back: parsed with its schema (a fresh object; snapshot fields deep-frozen). */
export function readStored<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  table: string,
  id: string,
): Result<z.infer<S>, PortError> {
  const parsed = parseAt(schema, raw, [table, id], "invalid_stored_record");
  // A card's snapshot is verified against its hash on every read, as a run's is by getRun.
  return table === "assignments"
    ? parsed.andThen((a) => verifyAssignmentSnapshot(a as CardAssignment).map(() => a))
    : parsed;
}

/** Decodes a `record::text` column; malformed JSON is a stored record that does not parse. */
export function decodeRecord(text: string, table: string): Result<Raw, PortError> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return ok(value as Raw);
  } catch {
    // reported below
  }
  return err(
    rungateError("validation", "invalid_stored_record", {
      issues: [{ path: [table], code: "invalid_json", message: "the stored record is not a JSON object" }],
    }),
  );
}

/** Validates the rows a statement returned against the shape the plan selects (a foreign response). */
export function rowsAs<S extends z.ZodType>(
  schema: S,
  rows: readonly unknown[],
  adapter: string,
  operation: string,
): Result<z.infer<S>[], PortError> {
  const parsed = z.array(schema).safeParse(rows);
  return parsed.success
    ? ok(parsed.data)
    : err(
        portFailure(
          adapter,
          operation,
          "unexpected_response",
          false,
          `rows of an unexpected shape: ${parsed.error.issues[0]?.message ?? "unknown"}`,
        ),
      );
}

/** Parses every raw record of a list, stopping at the first failure. */
export function readAll<S extends z.ZodType>(
  schema: S,
  raws: readonly Raw[],
  table: string,
): Result<z.infer<S>[], PortError> {
  return raws.reduce<Result<z.infer<S>[], PortError>>(
    (acc, raw) =>
      acc.andThen((list) => readStored(schema, raw, table, String(raw.id)).map((v) => [...list, v])),
    ok([]),
  );
}

/** The port's answer to a write, parsed from its raw form (also how a replay is answered). */
export function readResult(raw: RawWriteResult, replayed: boolean): Result<StorageWriteResult, PortError> {
  return readAll(OrchestrationRun, raw.runs, "runs").andThen((runs) =>
    readAll(CardAssignment, raw.assignments, "assignments").andThen((assignments) =>
      readAll(ApprovalRequest, raw.approvals, "approvals").andThen((approvals) =>
        readAll(PullRequestCandidate, raw.pull_requests, "pull_requests").andThen((pull_requests) =>
          readAll(RunEvent, raw.events, "events").map(
            (events): StorageWriteResult => ({
              replayed,
              runs,
              assignments,
              approvals,
              pull_requests,
              events,
            }),
          ),
        ),
      ),
    ),
  );
}

/** The shape of a stored {@link RawWriteResult} (arrays of JSON objects). */
export const RawWriteResultSchema = z.object({
  runs: z.array(z.record(z.string(), z.unknown())),
  assignments: z.array(z.record(z.string(), z.unknown())),
  approvals: z.array(z.record(z.string(), z.unknown())),
  pull_requests: z.array(z.record(z.string(), z.unknown())),
  events: z.array(z.record(z.string(), z.unknown())),
});
