/**
 * Every SQL statement of the adapter, as pure functions of `(schema, input)` returning `{ text, values }`
 * (pg-boss's `plans.ts`). No I/O here: a plan can be printed, reviewed by a DBA or unit-tested. The schema name
 * is always a parameter, validated as an identifier and quoted; every value travels as a bind parameter.
 */
import { FROZEN_FIELDS } from "../../core/snapshot/frozen-fields.js";
import { compactEvent, fullEvent, kindWhileWriting } from "./event-form.js";
import { SCHEMA_NAME_PATTERN, type SqlQuery } from "./postgres-config.js";
import { RUN_STATE_FUNCTION } from "./run-state-function.js";
import {
  eventOwnFields,
  fullRecord,
  fullResult,
  insertSnapshots,
  isoInstant,
  recordField,
  type SnapshotHashes,
  storedRecord,
  storedResult,
} from "./stored-form.js";

/** The four tables of versioned records (optimistic concurrency on `version`). */
export type VersionedTable = "runs" | "assignments" | "approvals" | "pull_requests";

/** Tables of records that are only inserted (checks, commits) or upserted (executions). */
export type ChildTable = "checks" | "executions" | "commits";

/**
 * One versioned row: the whole record as JSON (the statements store its compact form, `stored-form.ts`) plus the
 * columns queries need. `run_id` is `null` for runs (a run is its own run); `phase` is set for runs and
 * assignments; `hashes` only for runs.
 */
export interface VersionedRow {
  readonly id: string;
  readonly run_id: string | null;
  readonly phase: string | null;
  readonly hashes: { readonly system_policy: string; readonly run_input: string } | null;
  /** The record, JSON-encoded. */
  readonly record: string;
  /** Approvals only: the status the record moves to (for the one-time-decision rule). */
  readonly status: string | null;
}

/** A row of a child table: the record as JSON and the id of the row it belongs to. */
export interface ChildRow {
  readonly id: string;
  /** `run_id` for checks and executions, `assignment_id` for commits. */
  readonly parent_id: string;
  readonly record: string;
}

/** Approval statuses that are decisions: recorded once, never changed. */
export const DECIDED_APPROVAL_STATUSES = ["approved", "rejected"] as const;

/** `"schema"`, after checking it is a plain identifier (a programmer error otherwise: options are parsed first). */
export function quoteSchema(schema: string): string {
  if (!SCHEMA_NAME_PATTERN.test(schema)) {
    throw new Error(
      `rungate/postgres: invalid schema name ${JSON.stringify(schema)} (expected ${SCHEMA_NAME_PATTERN})`,
    );
  }
  return `"${schema}"`;
}

function q(text: string, values: readonly unknown[] = []): SqlQuery {
  return { text, values };
}

/** The parent table and column of each child table. */
const PARENT: { readonly [T in ChildTable]: { readonly table: string; readonly column: string } } = {
  checks: { table: "runs", column: "run_id" },
  executions: { table: "runs", column: "run_id" },
  commits: { table: "assignments", column: "assignment_id" },
};

// ---------------------------------------------------------------------------------------------- migrations

/** A transaction-scoped advisory lock keyed on the schema: concurrent openers of one schema take turns. */
export function migrationLock(schema: string): SqlQuery {
  quoteSchema(schema);
  return q("SELECT pg_advisory_xact_lock(hashtext($1::text)) AS locked", [`rungate.migrations:${schema}`]);
}

/** Creates the schema and the migrations ledger when absent. */
export function ensureLedger(schema: string): SqlQuery[] {
  const s = quoteSchema(schema);
  return [
    q(`CREATE SCHEMA IF NOT EXISTS ${s}`),
    q(
      `CREATE TABLE IF NOT EXISTS ${s}.rungate_migrations (
        version integer PRIMARY KEY,
        description text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`,
    ),
  ];
}

/** The recorded schema version (0 when nothing was applied). */
export function currentVersion(schema: string): SqlQuery {
  return q(
    `SELECT coalesce(max(version), 0)::integer AS version FROM ${quoteSchema(schema)}.rungate_migrations`,
  );
}

/** Records that migration `version` was applied. */
export function recordMigration(schema: string, version: number, description: string): SqlQuery {
  return q(`INSERT INTO ${quoteSchema(schema)}.rungate_migrations (version, description) VALUES ($1, $2)`, [
    version,
    description,
  ]);
}

/** Forgets migration `version` (after its `down` ran). */
export function forgetMigration(schema: string, version: number): SqlQuery {
  return q(`DELETE FROM ${quoteSchema(schema)}.rungate_migrations WHERE version = $1`, [version]);
}

// ---------------------------------------------------------------------------------------------- idempotency

/**
 * Claims an idempotency key for this transaction: one row back when the key is new. A concurrent writer with the
 * same key waits here on the unique index until this transaction ends, then gets no row (and replays).
 */
export function claimIdempotencyKey(schema: string, key: string): SqlQuery {
  return q(
    `INSERT INTO ${quoteSchema(schema)}.idempotency_keys (key) VALUES ($1::text)
     ON CONFLICT (key) DO NOTHING RETURNING key`,
    [key],
  );
}

/**
 * Forgets the keys older than `window_ms` (by the database's clock), before a write claims its own: a key is
 * remembered for its window and no longer. Rows another writer is deleting are skipped (`SKIP LOCKED`), so two
 * writers never wait on each other here.
 */
export function pruneIdempotencyKeys(schema: string, window_ms: number): SqlQuery {
  const s = quoteSchema(schema);
  return q(
    `DELETE FROM ${s}.idempotency_keys WHERE key IN (
       SELECT k.key FROM ${s}.idempotency_keys AS k
       WHERE k.created_at < statement_timestamp() - make_interval(secs => $1::float8 / 1000)
       FOR UPDATE SKIP LOCKED)`,
    [window_ms],
  );
}

/** The stored result of a key's first write, JSON as text. */
export function idempotencyResult(schema: string, key: string): SqlQuery {
  const s = quoteSchema(schema);
  return q(
    `SELECT (${fullResult(s, "k.result", (e, r) => fullEvent(s, e, r))})::text AS result
     FROM ${s}.idempotency_keys AS k WHERE k.key = $1::text`,
    [key],
  );
}

/**
 * Stores the result of the write that claimed `key` (the whole result, JSON; stored compact, `stored-form.ts`),
 * in the same transaction, after its records and events.
 */
export function saveIdempotencyResult(schema: string, key: string, result: string): SqlQuery {
  const s = quoteSchema(schema);
  return q(`UPDATE ${s}.idempotency_keys SET result = ${storedResult(s, "$2::jsonb")} WHERE key = $1::text`, [
    key,
    result,
  ]);
}

// ---------------------------------------------------------------------------------------------- snapshots

/** One snapshot of a record, and the hash it is kept under. */
export interface SnapshotRow {
  readonly hash: string;
  /** The snapshot, JSON-encoded. */
  readonly snapshot: string;
}

/**
 * Stores each snapshot once under its hash (`stored-form.ts`), before the records that name them: a hash already
 * stored keeps its JSON.
 */
export function storeSnapshots(schema: string, snapshots: readonly SnapshotRow[]): SqlQuery {
  return q(
    insertSnapshots(quoteSchema(schema), `SELECT h, v::jsonb FROM unnest($1::text[], $2::text[]) AS u(h, v)`),
    [snapshots.map((x) => x.hash), snapshots.map((x) => x.snapshot)],
  );
}

// ---------------------------------------------------------------------------------------------- versioned records

function runExists(s: string, param: string): string {
  return `EXISTS (SELECT 1 FROM ${s}.runs WHERE id = ${param})`;
}

/** Extra columns of a versioned table, their values taken from the row. */
function versionedColumns(table: VersionedTable, row: VersionedRow): readonly [string, unknown][] {
  switch (table) {
    case "runs":
      return [
        ["phase", row.phase],
        ["system_policy_hash", row.hashes?.system_policy ?? null],
        ["run_input_hash", row.hashes?.run_input ?? null],
      ];
    case "assignments":
      return [
        ["run_id", row.run_id],
        ["phase", row.phase],
      ];
    case "approvals":
    case "pull_requests":
      return [["run_id", row.run_id]];
  }
}

/** A run's hash columns as the parameters that carry them (`param` names a column's); none for other tables. */
function runHashes(table: VersionedTable, param: (column: string) => string): SnapshotHashes {
  return table === "runs"
    ? { system_policy: param("system_policy_hash"), run_input: param("run_input_hash") }
    : {};
}

/**
 * Creates a versioned record at version 0: one row back, or none when the id exists or (for all but runs) its
 * run is missing; {@link diagnoseVersioned} then says which.
 */
export function insertVersioned(schema: string, table: VersionedTable, row: VersionedRow): SqlQuery {
  const s = quoteSchema(schema);
  const columns = versionedColumns(table, row);
  const names = columns.map(([name]) => name);
  const params = columns.map((_, i) => `$${i + 3}::text`);
  const values = [row.id, row.record, ...columns.map(([, value]) => value)];
  const guard = table === "runs" ? "" : `WHERE ${runExists(s, `$${names.indexOf("run_id") + 3}::text`)}`;
  const param = (name: string) => `$${names.indexOf(name) + 3}::text`;
  const stored = storedRecord(s, table, "$2::jsonb", runHashes(table, param));
  return q(
    `INSERT INTO ${s}.${table} (id, version, record, ${names.join(", ")})
     SELECT $1::text, 0, ${stored}, ${params.join(", ")}
     ${guard}
     ON CONFLICT (id) DO NOTHING
     RETURNING version`,
    values,
  );
}

/**
 * The optimistic update: `version = version + 1` only where the stored version is exactly `expected`, the run
 * exists, and (approvals) a decided status is not being changed. One row back on success; none otherwise, and
 * {@link diagnoseVersioned} says why. Concurrent updaters of one row queue on its row lock; after the winner
 * commits, the others re-check `version = expected`, fail it and get no row.
 */
export function updateVersioned(
  schema: string,
  table: VersionedTable,
  row: VersionedRow,
  expected: number,
): SqlQuery {
  const s = quoteSchema(schema);
  const columns = versionedColumns(table, row);
  const sets = columns.map(([name], i) => `${name} = $${i + 4}::text`);
  const values: unknown[] = [row.id, row.record, expected, ...columns.map(([, value]) => value)];
  const param = (name: string) => `$${columns.findIndex(([n]) => n === name) + 4}::text`;
  // The row is named by its table (no alias), so the statement reads as it did: UPDATE … SET version = …
  const t = `${s}.${table}`;
  const guards = [`id = $1::text`, `version = $3::float8`];
  if (table !== "runs") guards.push(runExists(s, param("run_id")));
  // Snapshots and what a record belongs to never change once stored (an absent field counts as null); they are
  // compared on the whole stored record, its snapshots put back.
  if (table === "runs" || table === "assignments") {
    guards.push(
      ...FROZEN_FIELDS[table].map(
        (field) =>
          `coalesce(${recordField(s, table, t, field)}, 'null'::jsonb) = coalesce($2::jsonb->'${field}', 'null'::jsonb)`,
      ),
    );
  }
  if (table === "approvals") {
    values.push(row.status);
    guards.push(
      `NOT (record->>'status' IN ('${DECIDED_APPROVAL_STATUSES.join("', '")}') AND record->>'status' IS DISTINCT FROM $${values.length}::text)`,
    );
  }
  const stored = storedRecord(s, table, "$2::jsonb", runHashes(table, param));
  return q(
    `UPDATE ${t} SET version = version + 1, record = ${stored}, ${sets.join(", ")}
     WHERE ${guards.join(" AND ")}
     RETURNING version`,
    values,
  );
}

/**
 * Why a versioned write matched no row: the stored version and status (null when absent), whether the run
 * exists, and the first frozen field (see `FROZEN_FIELDS`) the new `record` would change (null when none).
 */
export function diagnoseVersioned(
  schema: string,
  table: VersionedTable,
  id: string,
  run_id: string,
  record: string,
): SqlQuery {
  const s = quoteSchema(schema);
  const frozen: readonly string[] = table === "runs" || table === "assignments" ? FROZEN_FIELDS[table] : [];
  return q(
    `SELECT (SELECT version FROM ${s}.${table} WHERE id = $1::text) AS version,
            (SELECT record->>'status' FROM ${s}.${table} WHERE id = $1::text) AS status,
            ${runExists(s, "$2::text")} AS run_exists,
            (SELECT f.name FROM ${s}.${table} AS t CROSS JOIN LATERAL (SELECT ${fullRecord(s, table, "t")} AS whole) AS w,
                    unnest($3::text[]) WITH ORDINALITY AS f(name, n)
             WHERE t.id = $1::text
               AND coalesce(w.whole->f.name, 'null'::jsonb) <> coalesce($4::jsonb->f.name, 'null'::jsonb)
             ORDER BY f.n LIMIT 1) AS frozen_changed`,
    [id, run_id, [...frozen], record],
  );
}

// ---------------------------------------------------------------------------------------------- checks, executions, commits

/**
 * Inserts a child record when its parent exists: checks and commits `ON CONFLICT DO NOTHING` (no row back when
 * the id exists), executions upsert by id. No row back when the parent is missing.
 */
export function insertChild(schema: string, table: ChildTable, row: ChildRow): SqlQuery {
  const s = quoteSchema(schema);
  const { table: parent, column } = PARENT[table];
  const onConflict =
    table === "executions"
      ? `DO UPDATE SET ${column} = EXCLUDED.${column}, record = EXCLUDED.record`
      : "DO NOTHING";
  return q(
    `INSERT INTO ${s}.${table} (id, ${column}, record)
     SELECT $1::text, $2::text, ${storedRecord(s, table, "$3::jsonb")}
     WHERE EXISTS (SELECT 1 FROM ${s}.${parent} WHERE id = $2::text)
     ON CONFLICT (id) ${onConflict}
     RETURNING id`,
    [row.id, row.parent_id, row.record],
  );
}

/** Whether a child row with `id` exists, and whether `parent_id` exists in its parent table. */
export function diagnoseChild(
  schema: string,
  table: ChildTable | "events",
  id: string,
  parent_id: string,
): SqlQuery {
  const s = quoteSchema(schema);
  const parent = table === "events" ? "runs" : PARENT[table].table;
  // Event ids are a uuid column (stored-form.ts); the id was parsed as one.
  const idParam = table === "events" ? "$1::text::uuid" : "$1::text";
  return q(
    `SELECT EXISTS (SELECT 1 FROM ${s}.${table} WHERE id = ${idParam}) AS exists,
            EXISTS (SELECT 1 FROM ${s}.${parent} WHERE id = $2::text) AS parent_exists`,
    [id, parent_id],
  );
}

// ---------------------------------------------------------------------------------------------- events

/**
 * Locks the runs that events are about to be appended to, in id order (so two writers never lock two runs in
 * opposite orders). `FOR NO KEY UPDATE`, the lock an UPDATE of the run takes, so it queues behind a concurrent
 * run update and does not conflict with foreign-key checks.
 */
export function lockRuns(schema: string, run_ids: readonly string[]): SqlQuery {
  return q(
    `SELECT id FROM ${quoteSchema(schema)}.runs WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE`,
    [[...run_ids]],
  );
}

/** An event to append: its whole record as JSON, and its time when canonical (`canonicalInstant`), else null. */
export interface EventRow {
  readonly id: string;
  readonly run_id: string;
  readonly created_at: string | null;
  readonly record: string;
}

/**
 * Appends one event with the next sequence of its run (`max + 1`, gap-free while the run row is locked by
 * {@link lockRuns}), in its compact form (`event-form.ts`; its kind added in the same statement when new). No row
 * back when the event id exists or the run is missing.
 */
export function insertEvent(schema: string, event: EventRow): SqlQuery {
  const s = quoteSchema(schema);
  const own = eventOwnFields("$3::jsonb", "$4::timestamptz", "r");
  return q(
    `INSERT INTO ${s}.events (run_seq, created_at, id, assignment_id, sequence, kind, head_sha, body)
     SELECT r.seq, $4::timestamptz, $1::text::uuid, c.assignment_id, n.next, c.kind, c.head_sha, c.body
     FROM ${s}.runs AS r,
          LATERAL (SELECT coalesce(max(e.sequence), 0) + 1 AS next FROM ${s}.events AS e WHERE e.run_seq = r.seq) AS n,
          ${compactEvent(own, "c", kindWhileWriting(s))}
     WHERE r.id = $2::text
     ON CONFLICT (id) DO NOTHING
     RETURNING sequence`,
    [event.id, event.run_id, event.record, event.created_at],
  );
}

/**
 * The channel every rungate store notifies run changes on; the payload is `<schema>:<entry>` (the entry is
 * `<run_id>` or `<run_id>:-`, `run-changes.ts`), so several schemas in one database share it and each listener
 * keeps its own.
 */
export const RUN_CHANGES_CHANNEL = "rungate_run_changes";

/**
 * Queues one notification per run entry (`runChangeEntry`, `pg_notify`): Postgres delivers them when the
 * transaction commits.
 */
export function notifyRunChanges(schema: string, entries: readonly string[]): SqlQuery {
  return q(`SELECT pg_notify($1::text, $2::text || ':' || id) FROM unnest($3::text[]) AS id`, [
    RUN_CHANGES_CHANNEL,
    schema,
    [...entries],
  ]);
}

// ---------------------------------------------------------------------------------------------- reads

/**
 * One run with its version and the snapshot hashes recorded in their own columns. Every read answers the whole
 * record, rebuilt from its compact stored form (`fullRecord`, `stored-form.ts`).
 */
export function selectRun(schema: string, run_id: string): SqlQuery {
  const s = quoteSchema(schema);
  return q(
    `SELECT ${fullRecord(s, "runs", `${s}.runs`)}::text AS record, version, system_policy_hash, run_input_hash
     FROM ${s}.runs WHERE id = $1::text`,
    [run_id],
  );
}

/** The filters of {@link listRuns}, `null` where a filter is not set. */
export interface RunListFilter {
  readonly project_id: string | null;
  readonly phases: readonly string[] | null;
  readonly card_id: string | null;
  readonly created_after: string | null;
  readonly created_before: string | null;
  readonly after: { readonly created_at: string; readonly id: string } | null;
  readonly limit: number;
}

/**
 * One page of runs, newest first: `created_at` as an instant, then `id` in byte order (`COLLATE "C"`, the order
 * the in-memory store uses). A card matches a card run or any run with an assignment for it; that filter goes
 * through the `runs_by_card` and `assignments_by_card` indexes (every build asks for its card's earlier runs),
 * so it is written only when set: `$3 IS NULL OR …` would keep a generic plan off the indexes. The other
 * filters read the record's JSON: listing a project's runs is an operator's query, not a hot path.
 */
export function listRuns(schema: string, filter: RunListFilter): SqlQuery {
  const s = quoteSchema(schema);
  const at = `(r.record->>'created_at')::timestamptz`;
  // Unset, `$3 IS NULL` only keeps the parameter typed.
  const card =
    filter.card_id === null
      ? "$3::text IS NULL"
      : `r.id IN (SELECT c.id FROM ${s}.runs c WHERE c.record->>'card_id' = $3::text
                  UNION SELECT a.run_id FROM ${s}.assignments a WHERE a.record->>'card_id' = $3::text)`;
  return q(
    `SELECT ${fullRecord(s, "runs", "r")}::text AS record, r.version, r.system_policy_hash, r.run_input_hash
     FROM ${s}.runs r
     WHERE ${card}
       AND ($1::text IS NULL OR r.record->>'project_id' = $1::text)
       AND ($2::text[] IS NULL OR r.phase = ANY($2::text[]))
       AND ($4::timestamptz IS NULL OR ${at} >= $4::timestamptz)
       AND ($5::timestamptz IS NULL OR ${at} < $5::timestamptz)
       AND ($6::timestamptz IS NULL OR ${at} < $6::timestamptz
            OR (${at} = $6::timestamptz AND r.id COLLATE "C" < $7::text COLLATE "C"))
     ORDER BY ${at} DESC, r.id COLLATE "C" DESC
     LIMIT $8::integer`,
    [
      filter.project_id,
      filter.phases === null ? null : [...filter.phases],
      filter.card_id,
      filter.created_after,
      filter.created_before,
      filter.after?.created_at ?? null,
      filter.after?.id ?? null,
      filter.limit,
    ],
  );
}

/** One assignment, whole, with its version. */
export function selectAssignment(schema: string, assignment_id: string): SqlQuery {
  const s = quoteSchema(schema);
  return q(
    `SELECT ${fullRecord(s, "assignments", `${s}.assignments`)}::text AS record, version
     FROM ${s}.assignments WHERE id = $1::text`,
    [assignment_id],
  );
}

/** The whole records of `table`'s rows passing `where` (of `$1`, `value`), with their versions, by `seq`. */
function versionedWhere(
  schema: string,
  table: Exclude<VersionedTable, "runs">,
  where: string,
  value: string,
): SqlQuery {
  const s = quoteSchema(schema);
  return q(
    `SELECT ${fullRecord(s, table, `${s}.${table}`)}::text AS record, version
     FROM ${s}.${table} WHERE ${where} ORDER BY seq`,
    [value],
  );
}

/** A run's versioned records of one table, in creation order. */
export function listVersioned(
  schema: string,
  table: Exclude<VersionedTable, "runs">,
  run_id: string,
): SqlQuery {
  return versionedWhere(schema, table, "run_id = $1::text", run_id);
}

/**
 * Every assignment of card `card_id`, across all runs, in creation order (`seq`: the order rows were first
 * inserted, which an update keeps), in one statement. The condition repeats the expression of the
 * `assignments_by_card` index (migration 4), so the index serves it however many cards the table holds.
 */
export function listCardAssignments(schema: string, card_id: string): SqlQuery {
  return versionedWhere(schema, "assignments", "record->>'card_id' = $1::text", card_id);
}

/** A parent's child records, in write (creation) order; an upserted execution keeps its first position. */
export function listChildren(schema: string, table: ChildTable, parent_id: string): SqlQuery {
  const { column } = PARENT[table];
  const s = quoteSchema(schema);
  return q(
    `SELECT ${fullRecord(s, table, `${s}.${table}`)}::text AS record
     FROM ${s}.${table} WHERE ${column} = $1::text ORDER BY seq`,
    [parent_id],
  );
}

/**
 * One run and its five lists in ONE statement, through the schema's `rungate_run_state` function
 * (`run-state-function.ts`, which says what it answers); snapshots under a hash in `known` are left out. No row
 * back: the run does not exist.
 */
export function selectRunState(schema: string, run_id: string, known: readonly string[]): SqlQuery {
  return q(`SELECT * FROM ${quoteSchema(schema)}.${RUN_STATE_FUNCTION}($1::text, $2::text[])`, [
    run_id,
    [...known],
  ]);
}

/** A run's events, whole, with `sequence > after` (all when `after` is null), in sequence order. */
export function listEvents(schema: string, run_id: string, after: number | null): SqlQuery {
  const s = quoteSchema(schema);
  return q(
    `SELECT ${fullEvent(s, "e", "r")}::text AS record, e.sequence
     FROM ${s}.runs AS r JOIN ${s}.events AS e ON e.run_seq = r.seq
     WHERE r.id = $1::text AND ($2::float8 IS NULL OR e.sequence > $2::float8)
     ORDER BY e.sequence`,
    [run_id, after],
  );
}

// ---------------------------------------------------------------------------------------------- leases

/**
 * What every lease statement returns: the whole record of the assignment (alias `t`), its version, the lease
 * (holder, token, expiry), the store's now.
 */
function leaseReturning(s: string): string {
  return `RETURNING ${fullRecord(s, "assignments", "t")}::text AS record, t.version, t.lease_owner AS worker_id,
  t.lease_token AS token, ${isoInstant("t.lease_expires_at")} AS expires_at,
  ${isoInstant("statement_timestamp()")} AS store_now`;
}

/**
 * The multi-worker claim, one statement: the oldest assignment (by `seq`) in one of `phases` whose lease is
 * free or expired by the database's clock, locked with `FOR UPDATE SKIP LOCKED` so concurrent claimers each
 * skip the rows the others hold (and the rows a fenced write holds), gets the lease under a new random token
 * and `version + 1` (the column alone holds the version: the stored JSON has none, `stored-form.ts`).
 * `statement_timestamp()`, not a worker's clock: a worker whose clock runs ahead must not see a live lease as
 * expired.
 */
export function claimNextAssignment(
  schema: string,
  input: { readonly worker_id: string; readonly lease_ms: number; readonly phases: readonly string[] },
): SqlQuery {
  const s = quoteSchema(schema);
  return q(
    `UPDATE ${s}.assignments AS t
     SET lease_owner = $1::text,
         lease_token = gen_random_uuid()::text,
         lease_expires_at = statement_timestamp() + make_interval(secs => $2::float8 / 1000),
         version = t.version + 1
     WHERE t.id = (
       SELECT id FROM ${s}.assignments
       WHERE phase = ANY($3::text[]) AND (lease_owner IS NULL OR lease_expires_at < statement_timestamp())
       ORDER BY seq
       LIMIT 1
       FOR UPDATE SKIP LOCKED
     )
     ${leaseReturning(s)}`,
    [input.worker_id, input.lease_ms, [...input.phases]],
  );
}

/**
 * Extends the lease of claim `token` to the database's now + `lease_ms` (expired or not, as long as nobody
 * claimed the assignment since).
 */
export function extendLease(
  schema: string,
  input: { readonly assignment_id: string; readonly token: string; readonly lease_ms: number },
): SqlQuery {
  const s = quoteSchema(schema);
  return q(
    `UPDATE ${s}.assignments AS t
     SET lease_expires_at = statement_timestamp() + make_interval(secs => $3::float8 / 1000)
     WHERE t.id = $1::text AND t.lease_token = $2::text
     ${leaseReturning(s)}`,
    [input.assignment_id, input.token, input.lease_ms],
  );
}

/** Whether the assignment exists (a row back) and who holds its lease. */
export function leaseHolder(schema: string, assignment_id: string): SqlQuery {
  return q(`SELECT lease_owner FROM ${quoteSchema(schema)}.assignments WHERE id = $1::text`, [assignment_id]);
}

/**
 * The fence of a write, its first statement: a row back (`held`) for an existing assignment, `held` true only
 * while `token` is its current claim. The row stays locked (`FOR NO KEY UPDATE`) until the write commits, so
 * no claim (`FOR UPDATE SKIP LOCKED` skips it) can replace the token between this check and the commit; two
 * fenced writes of one card queue here rather than deadlock on a later upgrade of a shared lock.
 */
export function checkFence(
  schema: string,
  fence: { readonly assignment_id: string; readonly token: string },
): SqlQuery {
  return q(
    `SELECT lease_token IS NOT DISTINCT FROM $2::text AS held FROM ${quoteSchema(schema)}.assignments
     WHERE id = $1::text FOR NO KEY UPDATE`,
    [fence.assignment_id, fence.token],
  );
}

/** Frees the lease of claim `token`; touches nothing when another claim holds it. */
export function releaseLease(
  schema: string,
  input: { readonly assignment_id: string; readonly token: string },
): SqlQuery {
  return q(
    `UPDATE ${quoteSchema(schema)}.assignments
     SET lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
     WHERE id = $1::text AND lease_token = $2::text`,
    [input.assignment_id, input.token],
  );
}
