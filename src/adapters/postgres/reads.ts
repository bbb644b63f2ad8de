/** The read side of the port: one statement each, rows validated, records parsed, run snapshots verified. */
import { err, errAsync, ok, Result, type ResultAsync } from "neverthrow";
import { z } from "zod";
import { rungateError } from "../../core/errors.js";
import { toFieldIssues } from "../../core/parse.js";
import { verifyRunSnapshots } from "../../core/run/new-run.js";
import { AgentCommit, AgentExecution } from "../../core/schemas/agent-execution.js";
import { ApprovalRequest } from "../../core/schemas/approval-request.js";
import { CardAssignment } from "../../core/schemas/card-assignment.js";
import type { JsonObject } from "../../core/schemas/json.js";
import { OrchestrationRun } from "../../core/schemas/orchestration-run.js";
import { PullRequestCandidate } from "../../core/schemas/pull-request-candidate.js";
import { RunCheck } from "../../core/schemas/run-check.js";
import { RunEvent } from "../../core/schemas/run-event.js";
import { RunListQuery, runListCursor } from "../../core/schemas/run-list.js";
import { deepFreeze } from "../../core/snapshot/deep-freeze.js";
import type { PortCallOptions, PortError } from "../../ports/port-error.js";
import type { StoragePort } from "../../ports/storage-port.js";
import { runPlan } from "./execute.js";
import { createParsedRowCache, type ParsedRowCache, type RunRowsRead } from "./parsed-row-cache.js";
import {
  type ChildTable,
  listCardAssignments,
  listChildren,
  listEvents,
  listRuns,
  listVersioned,
  selectAssignment,
  selectRun,
  selectRunState,
  type VersionedTable,
} from "./plans.js";
import type { SqlClient, SqlQuery } from "./postgres-config.js";
import { cancelled, decodeRecord, notFound, type Raw, readStored } from "./records.js";
import { createSnapshotCache, namedSnapshots, type SnapshotCache } from "./snapshot-cache.js";

const RunRow = z.object({
  record: z.string(),
  version: z.number().int(),
  system_policy_hash: z.string().nullable(),
  run_input_hash: z.string().nullable(),
});
const VersionedRecordRow = z.object({ record: z.string(), version: z.number().int() });
const RecordRow = z.object({ record: z.string() });
const EventRow = z.object({ record: z.string(), sequence: z.number().int() });

const NO_SNAPSHOTS: ReadonlyMap<string, JsonObject> = new Map();

/** A column holding a JSON array as text, each element of shape `element` (drivers differ on parsing `json`). */
function jsonArrayText<S extends z.ZodType>(element: S) {
  return z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "a list column is not JSON" });
        return z.NEVER;
      }
    })
    .pipe(z.array(element));
}

/** The row of `selectRunState`: the run row plus each list's rows, as the list statements return them. */
const RunStateRow = RunRow.extend({
  assignments: jsonArrayText(VersionedRecordRow),
  checks: jsonArrayText(RecordRow),
  approvals: jsonArrayText(VersionedRecordRow),
  pull_requests: jsonArrayText(VersionedRecordRow),
  executions: jsonArrayText(RecordRow),
});

/** Where reads go. */
export interface ReadContext {
  readonly client: SqlClient;
  readonly schema: string;
  readonly adapter: string;
  /** The store's verified snapshots, shared with its writes (a fresh cache when not given). */
  readonly snapshots?: SnapshotCache;
}

/** The read methods of {@link StoragePort}, the optional `readRunState` and `listCardAssignments` included. */
export type StorageReads = Required<
  Omit<StoragePort, "name" | "write" | "leases" | "changes" | "secret_values">
>;

/** `cancelled` when the signal is already aborted, else the read. */
function guarded<T>(
  operation: string,
  options: PortCallOptions | undefined,
  read: () => ResultAsync<T, PortError>,
): ResultAsync<T, PortError> {
  return options?.signal?.aborted ? errAsync(cancelled(operation)) : read();
}

/**
 * Parses rows whose record JSON is completed by one authoritative column (`version` or `sequence`), and, for a
 * run state read, by the snapshots the reader held (`complete`). Records come out deep-frozen. In a run state read
 * (`cached`), a row whose text the run's last read parsed (with the same `also`: what else `complete` reads of the
 * row) is answered with that record, parsed and checked then: the text is the whole record, so the same text is the
 * same record (`parsed-row-cache.ts`).
 */
function parseRowsWith<S extends z.ZodType, R extends { readonly record: string }>(
  cached: RunRowsRead | undefined,
  schema: S,
  rows: readonly R[],
  table: string,
  column: (row: R) => Record<string, unknown>,
  complete: (raw: Raw, row: R) => Raw = (raw) => raw,
  also?: (row: R) => string,
): Result<z.infer<S>[], PortError> {
  // A loop that pushes, not a reduce that copies the list at each row: a workflow run has 1,000 cards.
  const list: z.infer<S>[] = [];
  for (const row of rows) {
    const extra = also?.(row);
    const known = cached?.get(table, row.record, extra);
    if (known !== undefined) {
      list.push(known as z.infer<S>);
      continue;
    }
    const value = decodeRecord(row.record, table).andThen((raw) =>
      readStored(schema, { ...complete(raw, row), ...column(row) }, table, String(raw.id)),
    );
    if (value.isErr()) return err(value.error);
    list.push(cached ? cached.keep(table, row.record, value.value, extra) : deepFreeze(value.value));
  }
  return ok(list);
}

/**
 * `raw` with each snapshot field it lacks taken from `held` under the hash the row names: the function left out
 * exactly those (`rungate_run_state`). A field the JSON keeps (its own copy wins) or a hash not held stays as it is.
 */
function withHeldSnapshots(
  raw: Raw,
  held: ReadonlyMap<string, JsonObject>,
  fields: readonly (readonly [string, unknown])[],
): Raw {
  let filled: Raw | undefined;
  for (const [field, hash] of fields) {
    if (field in raw || typeof hash !== "string") continue;
    const value = held.get(hash);
    if (value === undefined) continue;
    filled ??= { ...raw };
    filled[field] = value;
  }
  return filled ?? raw;
}

/**
 * The row keeps both snapshot hashes in their own columns as written; a record whose `snapshot_hashes` were
 * edited behind the port's back no longer agrees with them.
 */
function verifyHashColumns(run: OrchestrationRun, row: z.infer<typeof RunRow>): Result<true, PortError> {
  const hashes = run.snapshot_hashes;
  if (hashes && hashes.system_policy === row.system_policy_hash && hashes.run_input === row.run_input_hash) {
    return ok(true);
  }
  return err(
    rungateError("validation", "snapshot_hash_mismatch", {
      issues: [
        {
          path: ["snapshot_hashes"],
          code: "snapshot_hash_mismatch",
          message: `run ${run.id}: the snapshot hashes in the record disagree with those stored beside it`,
        },
      ],
    }),
  );
}

/** A host's run listing query, parsed (`validation`, `invalid_run_list_query`, on a bad filter or cursor). */
function parseQuery(input: unknown): Result<RunListQuery, PortError> {
  const parsed = RunListQuery.safeParse(input);
  return parsed.success
    ? ok(parsed.data)
    : err(rungateError("validation", "invalid_run_list_query", { issues: toFieldIssues(parsed.error) }));
}

/** The read methods over `ctx`. */
export function createReads(ctx: ReadContext): StorageReads {
  const { client, schema, adapter } = ctx;
  const scope = (operation: string) => ({ adapter, operation });
  const withVersion = (row: { readonly version: number }) => ({ version: row.version });
  const recordOnly = () => ({});

  const snapshots: SnapshotCache = ctx.snapshots ?? createSnapshotCache();
  const parsedRows: ParsedRowCache = createParsedRowCache();
  /** Rows parsed outside a run state read: nothing kept. */
  const parseRows = <S extends z.ZodType, R extends { readonly record: string }>(
    schema: S,
    rows: readonly R[],
    table: string,
    column: (row: R) => Record<string, unknown>,
  ) => parseRowsWith(undefined, schema, rows, table, column);

  /** The run of a run row, parsed and verified (snapshot hashes, and the hash columns beside the record). */
  const runOf = (
    row: z.infer<typeof RunRow>,
    run_id: string,
    held: ReadonlyMap<string, JsonObject> = NO_SNAPSHOTS,
    read?: RunRowsRead,
  ): Result<OrchestrationRun, PortError> =>
    parseRowsWith(
      read,
      OrchestrationRun,
      [row],
      "runs",
      withVersion,
      (raw, r) =>
        withHeldSnapshots(raw, held, [
          ["system_policy_snapshot", r.system_policy_hash],
          ["run_input_snapshot", r.run_input_hash],
        ]),
      // The snapshots put back come from the hash columns, which are not part of the text.
      (r) => `${r.system_policy_hash}\u0000${r.run_input_hash}`,
    ).andThen(([run]) => {
      if (!run) return err(notFound("run", run_id));
      return verifyRunSnapshots(run)
        .andThen(() => verifyHashColumns(run, row))
        .map(() => run);
    });

  /** The versioned records `plan` selects (a run's, a card's), parsed and, for cards, verified. */
  const listVersionedRows = <S extends z.ZodType>(
    operation: string,
    table: Exclude<VersionedTable, "runs">,
    recordSchema: S,
    plan: SqlQuery,
    options: PortCallOptions | undefined,
  ): ResultAsync<z.infer<S>[], PortError> =>
    guarded(operation, options, () =>
      runPlan(client, plan, VersionedRecordRow, scope(operation)).andThen((rows) =>
        parseRows(recordSchema, rows, table, withVersion),
      ),
    );

  /** The read of a run's versioned records of `table` (`listVersioned`). */
  const listByRun =
    <S extends z.ZodType>(operation: string, table: Exclude<VersionedTable, "runs">, recordSchema: S) =>
    (run_id: string, options?: PortCallOptions): ResultAsync<z.infer<S>[], PortError> =>
      listVersionedRows(operation, table, recordSchema, listVersioned(schema, table, run_id), options);

  const listOf = <S extends z.ZodType>(
    operation: string,
    table: ChildTable,
    recordSchema: S,
    parent_id: string,
    options: PortCallOptions | undefined,
  ): ResultAsync<z.infer<S>[], PortError> =>
    guarded(operation, options, () =>
      runPlan(client, listChildren(schema, table, parent_id), RecordRow, scope(operation)).andThen((rows) =>
        parseRows(recordSchema, rows, table, recordOnly),
      ),
    );

  return {
    getRun: (run_id, options) =>
      guarded("getRun", options, () =>
        runPlan(client, selectRun(schema, run_id), RunRow, scope("getRun")).andThen(([row]) =>
          row ? runOf(row, run_id) : err(notFound("run", run_id)),
        ),
      ),
    listRuns: (input, options) =>
      guarded("listRuns", options, () =>
        parseQuery(input).asyncAndThen((query) =>
          runPlan(
            client,
            listRuns(schema, {
              project_id: query.project_id ?? null,
              phases: query.phases ?? null,
              card_id: query.card_id ?? null,
              created_after: query.created_after ?? null,
              created_before: query.created_before ?? null,
              after: query.cursor ?? null,
              // One more than asked: whether it comes back says if there is a next page.
              limit: query.limit + 1,
            }),
            RunRow,
            scope("listRuns"),
          ).andThen((rows) =>
            Result.combine(rows.slice(0, query.limit).map((row) => runOf(row, "listed"))).map((runs) => {
              const last = rows.length > query.limit ? runs[runs.length - 1] : undefined;
              return { runs, next_cursor: last ? runListCursor(last) : null };
            }),
          ),
        ),
      ),
    // One statement, so one snapshot; each part parsed by the code its own read uses. Snapshots this store
    // verified before are named as known and not sent again (snapshot-cache.ts).
    readRunState: (run_id, options) =>
      guarded("readRunState", options, () => {
        const held = snapshots.heldFor(run_id);
        return runPlan(
          client,
          selectRunState(schema, run_id, [...held.keys()]),
          RunStateRow,
          scope("readRunState"),
        ).andThen(([row]) => {
          if (!row) return err(notFound("run", run_id));
          // Rows this run's last state read parsed are answered as parsed then (parsed-row-cache.ts).
          const read = parsedRows.begin(run_id);
          return runOf(row, run_id, held, read)
            .andThen((run) =>
              Result.combine([
                parseRowsWith(read, CardAssignment, row.assignments, "assignments", withVersion, (raw) =>
                  withHeldSnapshots(raw, held, [["assignment_input_snapshot", raw.assignment_input_hash]]),
                ),
                parseRowsWith(read, RunCheck, row.checks, "checks", recordOnly),
                parseRowsWith(read, ApprovalRequest, row.approvals, "approvals", withVersion),
                parseRowsWith(read, PullRequestCandidate, row.pull_requests, "pull_requests", withVersion),
                parseRowsWith(read, AgentExecution, row.executions, "executions", recordOnly),
              ]).map(([assignments, checks, approvals, pull_requests, executions]) => ({
                run,
                assignments,
                checks,
                approvals,
                pull_requests,
                executions,
              })),
            )
            .map((state) => {
              read.end();
              // Everything named here was parsed deep-frozen and verified against its hash just now.
              snapshots.remember(run_id, [
                ...namedSnapshots("runs", state.run),
                ...state.assignments.flatMap((a) => namedSnapshots("assignments", a)),
              ]);
              return state;
            });
        });
      }),
    getAssignment: (assignment_id, options) =>
      guarded("getAssignment", options, () =>
        runPlan(
          client,
          selectAssignment(schema, assignment_id),
          VersionedRecordRow,
          scope("getAssignment"),
        ).andThen((rows) =>
          parseRows(CardAssignment, rows, "assignments", withVersion).andThen(([assignment]) =>
            assignment ? ok(assignment) : err(notFound("assignment", assignment_id)),
          ),
        ),
      ),
    listAssignments: listByRun("listAssignments", "assignments", CardAssignment),
    // One statement through the card index, instead of one listAssignments per earlier run of the card.
    listCardAssignments: (card_id, options) =>
      listVersionedRows(
        "listCardAssignments",
        "assignments",
        CardAssignment,
        listCardAssignments(schema, card_id),
        options,
      ),
    listApprovals: listByRun("listApprovals", "approvals", ApprovalRequest),
    listPullRequests: listByRun("listPullRequests", "pull_requests", PullRequestCandidate),
    listChecks: (run_id, options) => listOf("listChecks", "checks", RunCheck, run_id, options),
    listExecutions: (run_id, options) =>
      listOf("listExecutions", "executions", AgentExecution, run_id, options),
    listCommits: (assignment_id, options) =>
      listOf("listCommits", "commits", AgentCommit, assignment_id, options),
    listEvents: (run_id, after, options) =>
      guarded("listEvents", options, () =>
        runPlan(client, listEvents(schema, run_id, after ?? null), EventRow, scope("listEvents")).andThen(
          (rows) => parseRows(RunEvent, rows, "events", (row) => ({ sequence: row.sequence })),
        ),
      ),
  };
}
