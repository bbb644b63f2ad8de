/**
 * `StoragePort.write` in SQL. A write whose records all parse goes to the database as one statement
 * (`write-in-one.ts`, `write-function.ts`). A write that does not parse, or that the database function refuses,
 * runs here statement by statement in one transaction, which validates and applies every part of it in the
 * in-memory fake's order (runs, assignments, approvals, PR candidates, checks, executions, commits, events), stops
 * at the first error and rolls everything back: a write is applied whole or not at all, and fails with the same
 * error the fake gives.
 */
import { err, errAsync, ok, okAsync, type Result, type ResultAsync } from "neverthrow";
import { z } from "zod";
import { verifyAssignmentSnapshot } from "../../core/run/new-run.js";
import { AgentCommit, AgentExecution } from "../../core/schemas/agent-execution.js";
import type { CardAssignment } from "../../core/schemas/card-assignment.js";
import { WriteFence } from "../../core/schemas/lease-input.js";
import { RunCheck } from "../../core/schemas/run-check.js";
import { RunEvent } from "../../core/schemas/run-event.js";
import { snapshotImmutable } from "../../core/snapshot/frozen-fields.js";
import type { PortCallOptions, PortError } from "../../ports/port-error.js";
import type { StorageWrite, StorageWriteResult } from "../../ports/storage-port.js";
import { inOrder, inTransaction, retryLostRaces, runPlan, type Scope } from "./execute.js";
import { portFailure } from "./map-postgres-errors.js";
import {
  checkFence,
  claimIdempotencyKey,
  DECIDED_APPROVAL_STATUSES,
  diagnoseChild,
  diagnoseVersioned,
  idempotencyResult,
  insertChild,
  insertEvent,
  insertVersioned,
  lockRuns,
  notifyRunChanges,
  pruneIdempotencyKeys,
  type SnapshotRow,
  saveIdempotencyResult,
  storeSnapshots,
  updateVersioned,
  type VersionedRow,
  type VersionedTable,
} from "./plans.js";
import type { SqlClient, SqlQueryable } from "./postgres-config.js";
import {
  cancelled,
  conflict,
  notFound,
  parseAt,
  type Raw,
  type RawWriteResult,
  RawWriteResultSchema,
  readResult,
  VERSIONED,
} from "./records.js";
import { createSnapshotCache, type SnapshotCache } from "./snapshot-cache.js";
import { canonicalInstant } from "./stored-form.js";
import { prepareWrite, REFUSED, touchedRunEntries, writeInOne } from "./write-in-one.js";

const VersionedWrites = z.array(z.object({ record: z.unknown(), expected_version: z.number().nullable() }));

/** The envelope of a write; the records inside are parsed one by one, in order, like the fake does. */
const WriteEnvelope = z.object({
  fence: WriteFence.optional(),
  idempotency_key: z.string().optional(),
  runs: VersionedWrites.optional(),
  assignments: VersionedWrites.optional(),
  approvals: VersionedWrites.optional(),
  pull_requests: VersionedWrites.optional(),
  checks: z.array(z.unknown()).optional(),
  executions: z.array(z.unknown()).optional(),
  commits: z.array(z.unknown()).optional(),
  events: z.array(z.unknown()).optional(),
});
type WriteEnvelope = z.infer<typeof WriteEnvelope>;
type VersionedWriteInput = z.infer<typeof VersionedWrites>[number];

const VersionRow = z.object({ version: z.number().int() });
const IdRow = z.object({ id: z.string() });
const KeyRow = z.object({ key: z.string() });
const ResultRow = z.object({ result: z.string().nullable() });
const SequenceRow = z.object({ sequence: z.number().int() });
const FenceRow = z.object({ held: z.boolean() });
const VersionedDiagnosis = z.object({
  version: z.number().int().nullable(),
  status: z.string().nullable(),
  run_exists: z.boolean(),
  frozen_changed: z.string().nullable(),
});
const ChildDiagnosis = z.object({ exists: z.boolean(), parent_exists: z.boolean() });

/** Where writes go: the schema, the adapter's name, and how long an idempotency key is remembered. */
export interface WriteTarget {
  readonly schema: string;
  readonly adapter: string;
  /** A key older than this (ms, by the database's clock) is forgotten; see `idempotencyWindowMs`. */
  readonly key_window_ms: number;
}

/** One write in progress: its transaction and the versioned ids it already wrote. */
interface WriteContext {
  readonly tx: SqlQueryable;
  readonly schema: string;
  readonly scope: Scope;
  readonly seen: Set<string>;
}

function unexpected(ctx: WriteContext, what: string): PortError {
  return portFailure(ctx.scope.adapter, ctx.scope.operation, "unexpected", false, what);
}

function versionedRow(table: VersionedTable, raw: Raw): VersionedRow {
  const hashes = table === "runs" ? (raw.snapshot_hashes as VersionedRow["hashes"]) : null;
  return {
    id: String(raw.id),
    run_id: table === "runs" ? null : String(raw.run_id),
    phase: table === "runs" || table === "assignments" ? String(raw.phase) : null,
    hashes: hashes ?? null,
    record: JSON.stringify(raw),
    status: table === "approvals" ? String(raw.status) : null,
  };
}

/**
 * The snapshots a run or a card names, to store once under their hashes before the record (`stored-form.ts`);
 * a snapshot without a hash stays inside its record.
 */
function snapshotsOf(table: VersionedTable, raw: Raw): SnapshotRow[] {
  const pairs: [unknown, unknown][] = [];
  if (table === "runs") {
    const hashes = raw.snapshot_hashes as { system_policy?: unknown; run_input?: unknown } | null | undefined;
    pairs.push(
      [hashes?.system_policy, raw.system_policy_snapshot],
      [hashes?.run_input, raw.run_input_snapshot],
    );
  }
  if (table === "assignments") pairs.push([raw.assignment_input_hash, raw.assignment_input_snapshot]);
  return pairs.flatMap(([hash, snapshot]) =>
    typeof hash === "string" && snapshot !== undefined ? [{ hash, snapshot: JSON.stringify(snapshot) }] : [],
  );
}

/** Why a versioned insert or update matched no row, in the fake's order of checks. */
function explainVersioned(
  ctx: WriteContext,
  table: VersionedTable,
  row: VersionedRow,
  expected: number | null,
): ResultAsync<never, PortError> {
  const { entity } = VERSIONED[table];
  const run_id = row.run_id ?? row.id;
  return runPlan(
    ctx.tx,
    diagnoseVersioned(ctx.schema, table, row.id, run_id, row.record),
    VersionedDiagnosis,
    ctx.scope,
  ).andThen(([stored]): Result<never, PortError> => {
    if (!stored) return err(unexpected(ctx, "the diagnosis query returned no row"));
    if (expected === null) {
      return err(
        stored.version !== null ? conflict("already_exists", entity, row.id) : notFound("run", run_id),
      );
    }
    if (stored.version === null) return err(notFound(entity, row.id));
    const decided: readonly (string | null)[] = DECIDED_APPROVAL_STATUSES;
    if (table === "approvals" && decided.includes(stored.status) && stored.status !== row.status) {
      return err(conflict("already_decided", entity, row.id));
    }
    if (stored.version !== expected) {
      return err(
        conflict("stale_version", entity, row.id, {
          expected_version: expected,
          actual_version: stored.version,
        }),
      );
    }
    if (stored.frozen_changed !== null) return err(snapshotImmutable(entity, row.id, stored.frozen_changed));
    if (!stored.run_exists) return err(notFound("run", run_id));
    return err(unexpected(ctx, `the ${entity} ${row.id} matched no row for no known reason`));
  });
}

/** Creates (`expected_version: null`) or updates one versioned record; the stored version is `expected + 1` or 0. */
function writeVersioned(
  ctx: WriteContext,
  table: VersionedTable,
  write: VersionedWriteInput,
  index: number,
): ResultAsync<Raw, PortError> {
  const { entity, schema } = VERSIONED[table];
  return parseAt(schema, { ...(write.record as Raw), version: 0 }, [table, index, "record"], "invalid_record")
    .andThen((parsed) =>
      // A card arrives with its snapshot's hash; one that does not match is refused before anything is stored.
      table === "assignments"
        ? verifyAssignmentSnapshot(parsed as CardAssignment).map(() => parsed)
        : ok(parsed),
    )
    .asyncAndThen((parsed) => {
      const id = String((parsed as Raw).id);
      if (ctx.seen.has(`${table}/${id}`)) return errAsync(conflict("duplicate_in_write", entity, id));
      ctx.seen.add(`${table}/${id}`);
      const expected = write.expected_version;
      const raw: Raw = { ...(parsed as Raw), version: expected === null ? 0 : expected + 1 };
      const row = versionedRow(table, raw);
      const plan =
        expected === null
          ? insertVersioned(ctx.schema, table, row)
          : updateVersioned(ctx.schema, table, row, expected);
      const snapshots = snapshotsOf(table, raw);
      const stored =
        snapshots.length === 0
          ? okAsync([])
          : runPlan(ctx.tx, storeSnapshots(ctx.schema, snapshots), z.unknown(), ctx.scope);
      return stored
        .andThen(() => runPlan(ctx.tx, plan, VersionRow, ctx.scope))
        .andThen((rows) => (rows.length > 0 ? okAsync(raw) : explainVersioned(ctx, table, row, expected)));
    });
}

/** Check results are immutable: an id already stored (or earlier in this write) is `already_exists`. */
function writeCheck(ctx: WriteContext, check: unknown, index: number): ResultAsync<void, PortError> {
  return parseAt(RunCheck, check, ["checks", index], "invalid_record").asyncAndThen((parsed) =>
    runPlan(
      ctx.tx,
      insertChild(ctx.schema, "checks", {
        id: parsed.id,
        parent_id: parsed.run_id,
        record: JSON.stringify(parsed),
      }),
      IdRow,
      ctx.scope,
    ).andThen((rows) =>
      rows.length > 0
        ? okAsync(undefined)
        : runPlan(
            ctx.tx,
            diagnoseChild(ctx.schema, "checks", parsed.id, parsed.run_id),
            ChildDiagnosis,
            ctx.scope,
          ).andThen(([found]) =>
            errAsync(
              found?.exists ? conflict("already_exists", "check", parsed.id) : notFound("run", parsed.run_id),
            ),
          ),
    ),
  );
}

/** Agent executions are upserted by id (a later row of the same id wins, its first position kept). */
function writeExecution(ctx: WriteContext, execution: unknown, index: number): ResultAsync<void, PortError> {
  return parseAt(AgentExecution, execution, ["executions", index], "invalid_record").asyncAndThen((parsed) =>
    runPlan(
      ctx.tx,
      insertChild(ctx.schema, "executions", {
        id: parsed.id,
        parent_id: parsed.run_id,
        record: JSON.stringify(parsed),
      }),
      IdRow,
      ctx.scope,
    ).andThen((rows) => (rows.length > 0 ? okAsync(undefined) : errAsync(notFound("run", parsed.run_id)))),
  );
}

/** Agent commits are inserted once (an id seen before is skipped); their assignment must exist. */
function writeCommit(ctx: WriteContext, commit: unknown, index: number): ResultAsync<void, PortError> {
  return parseAt(AgentCommit, commit, ["commits", index], "invalid_record").asyncAndThen((parsed) =>
    runPlan(
      ctx.tx,
      insertChild(ctx.schema, "commits", {
        id: parsed.id,
        parent_id: parsed.assignment_id,
        record: JSON.stringify(parsed),
      }),
      IdRow,
      ctx.scope,
    ).andThen((rows) =>
      rows.length > 0
        ? okAsync(undefined)
        : runPlan(
            ctx.tx,
            diagnoseChild(ctx.schema, "commits", parsed.id, parsed.assignment_id),
            ChildDiagnosis,
            ctx.scope,
          ).andThen(([found]) =>
            found?.exists ? okAsync(undefined) : errAsync(notFound("assignment", parsed.assignment_id)),
          ),
    ),
  );
}

/**
 * Events: the runs they belong to are locked first (in id order), then each event gets its run's next sequence.
 * A run locked by this transaction cannot get events from another one, so sequences stay gap-free and unique.
 */
function writeEvents(
  ctx: WriteContext,
  drafts: readonly unknown[] | undefined,
): ResultAsync<Raw[], PortError> {
  const parsed = (drafts ?? []).map((draft, index) =>
    parseAt(RunEvent, { ...(draft as Raw), sequence: 0 }, ["events", index], "invalid_record"),
  );
  const run_ids = [...new Set(parsed.flatMap((event) => (event.isOk() ? [event.value.run_id] : [])))];
  const locked =
    run_ids.length > 0
      ? runPlan(ctx.tx, lockRuns(ctx.schema, run_ids), IdRow, ctx.scope).map(() => undefined)
      : okAsync(undefined);
  return locked.andThen(() =>
    inOrder(parsed, (result) =>
      result.asyncAndThen((event) =>
        runPlan(
          ctx.tx,
          insertEvent(ctx.schema, {
            id: event.id,
            run_id: event.run_id,
            created_at: canonicalInstant(event.created_at),
            record: JSON.stringify(event),
          }),
          SequenceRow,
          ctx.scope,
        ).andThen(([inserted]) =>
          inserted
            ? okAsync<Raw, PortError>({ ...event, sequence: inserted.sequence })
            : runPlan(
                ctx.tx,
                diagnoseChild(ctx.schema, "events", event.id, event.run_id),
                ChildDiagnosis,
                ctx.scope,
              ).andThen(([found]) =>
                errAsync(
                  found?.exists
                    ? conflict("already_exists", "event", event.id)
                    : notFound("run", event.run_id),
                ),
              ),
        ),
      ),
    ),
  );
}

/** Every part of a write, in the fake's order; the raw result of what was stored. */
function applyParts(ctx: WriteContext, write: WriteEnvelope): ResultAsync<RawWriteResult, PortError> {
  const versioned = (table: VersionedTable) =>
    inOrder(write[table], (item, index) => writeVersioned(ctx, table, item, index));
  return versioned("runs").andThen((runs) =>
    versioned("assignments").andThen((assignments) =>
      versioned("approvals").andThen((approvals) =>
        versioned("pull_requests").andThen((pull_requests) =>
          inOrder(write.checks, (c, i) => writeCheck(ctx, c, i))
            .andThen(() => inOrder(write.executions, (e, i) => writeExecution(ctx, e, i)))
            .andThen(() => inOrder(write.commits, (c, i) => writeCommit(ctx, c, i)))
            .andThen(() => writeEvents(ctx, write.events))
            .map((events): RawWriteResult => ({ runs, assignments, approvals, pull_requests, events })),
        ),
      ),
    ),
  );
}

/** A record of this write that names its run (checks and executions are parsed by then). */
function hasRunId(record: unknown): record is { run_id: string } {
  return typeof (record as { run_id?: unknown } | null)?.run_id === "string";
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Answers a repeated key with the first write's stored result. */
function replay(ctx: WriteContext, key: string): ResultAsync<StorageWriteResult, PortError> {
  return runPlan(ctx.tx, idempotencyResult(ctx.schema, key), ResultRow, ctx.scope).andThen(([row]) => {
    if (!row?.result)
      return err(unexpected(ctx, `idempotency key ${JSON.stringify(key)} has no stored result`));
    const stored = RawWriteResultSchema.safeParse(parseJson(row.result));
    if (!stored.success)
      return err(unexpected(ctx, `idempotency key ${JSON.stringify(key)} has a malformed result`));
    return readResult(stored.data, true);
  });
}

/**
 * Applies one {@link StorageWrite} atomically (see the module comment). A repeated `idempotency_key` answers the
 * first result with `replayed: true`: the key is claimed first thing in the transaction, so a concurrent writer
 * with the same key waits for this one and then replays it; a failed write leaves no key behind. Keys older than
 * `target.key_window_ms` are forgotten just before (so a key repeated after its window writes again).
 *
 * A write whose records all parse goes to the database as ONE statement (`write-in-one.ts`); one it refuses,
 * or that does not parse, runs statement by statement in a transaction (`inStatements`), which names the error
 * as the in-memory fake does. An aborted `signal` is honoured before the write is sent; a write in one
 * statement then commits with it, so an abort after that point no longer undoes it.
 */
export function applyWrite(
  client: SqlClient,
  target: WriteTarget,
  input: StorageWrite,
  options: PortCallOptions | undefined,
  snapshots: SnapshotCache = createSnapshotCache(),
): ResultAsync<StorageWriteResult, PortError> {
  const { schema } = target;
  const scope: Scope = { adapter: target.adapter, operation: "write" };
  if (options?.signal?.aborted) return errAsync(cancelled("write"));
  const envelope = parseAt(WriteEnvelope, input, [], "invalid_write");
  if (envelope.isErr()) return errAsync(envelope.error);
  const write = envelope.value;
  const prepared = prepareWrite(write, target.key_window_ms, (hash) => snapshots.isStored(hash));
  if (prepared === undefined) return inStatements(client, target, scope, write, options);
  return retryLostRaces(() => writeInOne(client, schema, prepared, scope)).andThen((answer) =>
    answer === REFUSED ? inStatements(client, target, scope, write, options) : okAsync(answer),
  );
}

/** The write statement by statement, in one transaction: the path that names every refusal. */
function inStatements(
  client: SqlClient,
  target: WriteTarget,
  scope: Scope,
  write: WriteEnvelope,
  options: PortCallOptions | undefined,
): ResultAsync<StorageWriteResult, PortError> {
  const { schema } = target;
  const key = write.idempotency_key;
  return inTransaction(client, scope, (tx) => {
    const ctx: WriteContext = { tx, schema, scope, seen: new Set() };
    const { fence } = write;
    // First thing in the transaction, and the row stays locked until it ends: see `checkFence`.
    const fenced =
      fence === undefined
        ? okAsync(undefined)
        : runPlan(tx, checkFence(schema, fence), FenceRow, scope).andThen(([row]) =>
            row?.held === true
              ? okAsync(undefined)
              : errAsync(conflict("lease_lost", "assignment", fence.assignment_id)),
          );
    const fresh = (): ResultAsync<StorageWriteResult, PortError> =>
      applyParts(ctx, write)
        // Listeners in other processes hear of it on commit, never of a write that rolled back.
        .andThen((raw) => {
          // Entries (`<run_id>` or `<run_id>:-`), so listeners learn whether the run's own record was written.
          const entries = touchedRunEntries(raw, [
            ...[...(write.checks ?? []), ...(write.executions ?? [])].filter(hasRunId),
          ]);
          return entries.length === 0
            ? okAsync(raw)
            : runPlan(tx, notifyRunChanges(schema, entries), z.unknown(), scope).map(() => raw);
        })
        .andThen((raw) =>
          key === undefined
            ? okAsync(raw)
            : runPlan(tx, saveIdempotencyResult(schema, key, JSON.stringify(raw)), z.unknown(), scope).map(
                () => raw,
              ),
        )
        .andThen((raw) => (options?.signal?.aborted ? err(cancelled("write")) : readResult(raw, false)));
    if (key === undefined) return fenced.andThen(fresh);
    return fenced
      .andThen(() => runPlan(tx, pruneIdempotencyKeys(schema, target.key_window_ms), z.unknown(), scope))
      .andThen(() => runPlan(tx, claimIdempotencyKey(schema, key), KeyRow, scope))
      .andThen((claimed) => (claimed.length > 0 ? fresh() : replay(ctx, key)));
  });
}
