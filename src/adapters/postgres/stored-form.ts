/**
 * The stored form of records (schema version 6; events compacted further by version 7 in `event-form.ts`): what a
 * row's `record` JSON keeps, and the SQL that puts the whole record back on read. Every writer (the statements of
 * `plans.ts`, the function of `write-function.ts`, migration 6) compacts with the builders here, and every reader
 * rebuilds with them, so the two never drift.
 *
 * Why: a card lifecycle stored ~24 KB per run (events aside) and 740 B per event (bench/storage-size.ts). The JSON
 * repeated what the columns already hold (ids, run ids, versions; an event's run, project, sequence and time), every
 * run row carried its project's policy snapshot (the same ~2.8 KB for every run of the project), and every
 * idempotency key kept a whole copy of what its write stored, snapshots and events included.
 *
 * The rules, all faithful (a read answers the very record that was written):
 * - **Columns are not repeated.** A record's `id`, its parent's id and `version` live in their columns only.
 * - **Snapshots are kept once** in `snapshots`, under the hash the record names (a run's `system_policy_hash` and
 *   `run_input_hash` columns, a card's `assignment_input_hash`). A record leaves a snapshot out only when that
 *   table holds exactly the same JSON under its hash; otherwise (a snapshot that does not match its hash, a
 *   legacy record without one) it stays inline. So what is read back is always what was written, and a snapshot
 *   edited in `snapshots` fails the hash check of every run that shares it.
 * - **Events keep their own fields only**: `id` (a `uuid` column), the run (`run_seq`, the run row's `seq`),
 *   `sequence` and `created_at` (a `timestamptz`) are columns; the event's `project_id` is its run's. Each is left
 *   out of the JSON only when the column gives back exactly the same text (a lowercase id, a time written as
 *   `Date#toISOString` writes it, the run's project); otherwise the JSON keeps its own. (Version 7 stores these
 *   own fields in fewer bytes still: `event-form.ts`.)
 * - **A key's result** (the answer a replay repeats) keeps its runs and cards without the snapshots `snapshots`
 *   holds, and its events as their ids: events are never changed, so a replay reads them back as stored.
 * - **On read, the JSON wins** over what the columns rebuild (the readers then take `version` and `sequence`
 *   from their columns, as before). A row written whole (an older release's format, an operator's UPDATE)
 *   reads as it is.
 */

/** The tables whose records are stored as JSON beside their columns (events have their own rules). */
export type RecordTable =
  | "runs"
  | "assignments"
  | "approvals"
  | "pull_requests"
  | "checks"
  | "executions"
  | "commits";

/** The record fields each table's columns hold: left out of the stored JSON, put back on read. */
export const COLUMN_FIELDS: { readonly [T in RecordTable]: readonly string[] } = {
  runs: ["id", "version"],
  assignments: ["id", "run_id", "version"],
  approvals: ["id", "run_id", "version"],
  pull_requests: ["id", "run_id", "version"],
  checks: ["id", "run_id"],
  executions: ["id", "run_id"],
  commits: ["id", "assignment_id"],
};

/** A snapshot field of a record and the SQL of the hash it is kept under. */
export interface SnapshotField {
  readonly field: string;
  /** The hash, read from the stored row `t` (its alias). */
  readonly stored: (t: string) => string;
  /** The hash a write item of `rungate_write` names for it (`item`, the item's SQL). */
  readonly named: (item: string) => string;
}

/** The snapshot fields kept once in `snapshots`, per table. */
const SNAPSHOT_FIELDS: { readonly [T in RecordTable]?: readonly SnapshotField[] } = {
  runs: [
    {
      field: "system_policy_snapshot",
      stored: (t) => `${t}.system_policy_hash`,
      named: (item) => `${item}->>'system_policy_hash'`,
    },
    {
      field: "run_input_snapshot",
      stored: (t) => `${t}.run_input_hash`,
      named: (item) => `${item}->>'run_input_hash'`,
    },
  ],
  assignments: [
    {
      field: "assignment_input_snapshot",
      stored: (t) => `${t}.record->>'assignment_input_hash'`,
      named: (item) => `${item}->'record'->>'assignment_input_hash'`,
    },
  ],
};

/** The snapshot fields of `table` (none for most tables): what a writer may leave out (`write-function.ts`). */
export function snapshotFieldsOf(table: RecordTable): readonly SnapshotField[] {
  return SNAPSHOT_FIELDS[table] ?? [];
}

/** The tables with a `version` column. */
const VERSIONED_TABLES: ReadonlySet<RecordTable> = new Set([
  "runs",
  "assignments",
  "approvals",
  "pull_requests",
]);

/** `'{a,b}'::text[]`: a text array literal of plain identifiers (field names only, never user data). */
function textArray(items: readonly string[]): string {
  return `'{${items.join(",")}}'::text[]`;
}

/** An instant as an ISO date-time in UTC with milliseconds, as `Date#toISOString` writes it. */
export function isoInstant(expression: string): string {
  return `to_char((${expression}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/**
 * The hashes a new run's snapshots are kept under, as SQL: the values written to its hash columns. (A card's
 * snapshot is kept under its record's own `assignment_input_hash`.)
 */
export interface SnapshotHashes {
  readonly system_policy?: string;
  readonly run_input?: string;
}

/**
 * The stored form of the whole record `next` (an SQL `jsonb` expression) for `table` in schema `s` (quoted):
 * without the fields its columns hold, and without each snapshot that `snapshots` holds, equal, under its hash.
 * Runs name their hash columns' values in `hashes`; a snapshot must be in `snapshots` before this runs.
 */
export function storedRecord(
  s: string,
  table: RecordTable,
  next: string,
  hashes: SnapshotHashes = {},
): string {
  const base = `((${next}) - ${textArray(COLUMN_FIELDS[table])})`;
  const snapshots = SNAPSHOT_FIELDS[table];
  if (!snapshots) return base;
  const hashOf: Record<string, string> = {
    system_policy_snapshot: hashes.system_policy ?? "NULL::text",
    run_input_snapshot: hashes.run_input ?? "NULL::text",
    assignment_input_snapshot: `(${next})->>'assignment_input_hash'`,
  };
  const candidates = snapshots.map(({ field }) => `('${field}', (${hashOf[field]})::text)`).join(", ");
  return `(${base} - ARRAY(SELECT x.field FROM (VALUES ${candidates}) AS x(field, hash)
      JOIN ${s}.snapshots AS sn ON sn.hash = x.hash WHERE sn.snapshot = (${next})->x.field))`;
}

/**
 * The whole record of row `t` of `table` (an SQL `jsonb` expression): one object of what the columns hold (the
 * version included) and of each snapshot under the row's hash, then the JSON over it, which wins.
 *
 * One concatenation: every `||` copies the whole record, and rebuilding is on every read. So a snapshot whose
 * row is missing comes back as `null` (the record then fails to parse, as an absent one would), and a `version`
 * the JSON carries would win here: the readers take `version` from the column again, and the stored form has
 * none.
 *
 * `known` (SQL, a `text[]` of hashes; `rungate_run_state`'s) leaves out each snapshot kept under one of them: a
 * reader that verified those snapshots before puts its own copy back (`snapshot-cache.ts`). A record whose JSON
 * keeps its own snapshot still answers it. Without `known` the text is the one migration 6 was written with.
 */
export function fullRecord(s: string, table: RecordTable, t: string, known?: string): string {
  const columns = COLUMN_FIELDS[table].map((field) => `'${field}', ${t}.${field}`);
  const lookup = (stored: (t: string) => string) =>
    `(SELECT sn.snapshot FROM ${s}.snapshots AS sn WHERE sn.hash = ${stored(t)})`;
  if (known !== undefined) {
    // A snapshot whose hash the reader already holds is left out (not even `null`): it fills it in itself.
    // `IN (SELECT unnest(…))`, a hashed lookup: `= ANY(…)` compares with every hash, and a workflow run of 1,000
    // cards names 1,002 of them for each of its 1,000 cards (11 ms a read against 0.9 on Postgres).
    const snapshots = (SNAPSHOT_FIELDS[table] ?? []).map(
      ({ field, stored }) =>
        ` || CASE WHEN ${stored(t)} IN (SELECT unnest(${known})) THEN '{}'::jsonb
          ELSE jsonb_build_object('${field}', ${lookup(stored)}) END`,
    );
    return `(jsonb_build_object(${columns.join(", ")})${snapshots.join("")} || ${t}.record)`;
  }
  const snapshots = (SNAPSHOT_FIELDS[table] ?? []).map(
    ({ field, stored }) => `'${field}', ${lookup(stored)}`,
  );
  return `(jsonb_build_object(${[...columns, ...snapshots].join(", ")}) || ${t}.record)`;
}

/**
 * One field of the whole record of row `t` (an SQL `jsonb` expression, NULL when absent), without rebuilding
 * the rest: what the frozen-field guards compare. The JSON's own value wins, as in {@link fullRecord}.
 */
export function recordField(s: string, table: RecordTable, t: string, field: string): string {
  const own = `${t}.record->'${field}'`;
  if (field === "version" && VERSIONED_TABLES.has(table)) return `to_jsonb(${t}.version)`;
  if (COLUMN_FIELDS[table].includes(field)) return `coalesce(${own}, to_jsonb(${t}.${field}))`;
  const snapshot = SNAPSHOT_FIELDS[table]?.find((f) => f.field === field);
  if (snapshot) {
    return `coalesce(${own}, (SELECT sn.snapshot FROM ${s}.snapshots AS sn WHERE sn.hash = ${snapshot.stored(t)}))`;
  }
  return own;
}

/**
 * Stores each snapshot of `rows` (an SQL query of two columns: the hash, then the snapshot) once: a hash
 * already stored keeps its first JSON, which is why {@link storedRecord} compares before leaving one out.
 */
export function insertSnapshots(s: string, rows: string): string {
  return `INSERT INTO ${s}.snapshots (hash, snapshot)
    SELECT x.hash, x.snapshot FROM (${rows}) AS x(hash, snapshot)
    WHERE x.hash IS NOT NULL AND x.snapshot IS NOT NULL
    ON CONFLICT (hash) DO NOTHING`;
}

/**
 * The own fields of the whole event `next` (an SQL `jsonb` expression) appended to the run row `run`, whose
 * `created_at` column is set to `createdAt` (SQL; NULL when the time is not in its canonical form): without
 * `run_id` and `sequence`, and without `id`, `project_id` and `created_at` where the columns give them back.
 * Version 6 stores them as the row's `record`; version 7 compacts them further (`event-form.ts`).
 */
export function eventOwnFields(next: string, createdAt: string, run: string): string {
  return `((${next}) - '{run_id,sequence}'::text[] - ARRAY(SELECT x.field FROM (VALUES
      ('id', (${next})->>'id' = ((${next})->>'id')::uuid::text),
      ('project_id', (${next})->'project_id' = ${run}.record->'project_id'),
      ('created_at', (${createdAt}) IS NOT NULL)) AS x(field, leave_out) WHERE x.leave_out))`;
}

/**
 * The whole event of a version 6 row `e` appended to run row `r` (an SQL `jsonb` expression): one object of what
 * the columns give (a time the column does not hold is `null` there, and the JSON, which has it, wins), then the
 * JSON. Migration 6 and the write function it installs (`write-function-v6.ts`) read events with it; version 7
 * reads them with `event-form.ts`'s `fullEvent`.
 */
export function fullEventV6(e: string, r: string): string {
  return `(jsonb_build_object('id', ${e}.id::text, 'run_id', ${r}.id, 'project_id', ${r}.record->'project_id',
      'created_at', ${isoInstant(`${e}.created_at`)}, 'sequence', ${e}.sequence) || ${e}.record)`;
}

/** The snapshot fields of records inside a key's result, and where the record's own JSON names their hash. */
const RESULT_SNAPSHOTS: readonly (readonly [string, readonly (readonly [string, string])[]])[] = [
  [
    "runs",
    [
      ["system_policy_snapshot", "x->'snapshot_hashes'->>'system_policy'"],
      ["run_input_snapshot", "x->'snapshot_hashes'->>'run_input'"],
    ],
  ],
  ["assignments", [["assignment_input_snapshot", "x->>'assignment_input_hash'"]]],
];

/** `jsonb_agg` of `element` (SQL over `x`) for each element `x` of the array `list`, in order; `[]` when empty. */
function mapArray(list: string, element: string): string {
  return `(SELECT coalesce(jsonb_agg(${element} ORDER BY a.o), '[]'::jsonb)
      FROM jsonb_array_elements(${list}) WITH ORDINALITY AS a(x, o))`;
}

/**
 * The stored form of a write's result (`r`, an SQL `jsonb` expression of the whole result, kept with its
 * idempotency key): each run and card without the snapshots `snapshots` holds, equal, under the hash the record
 * names, and each event as its id (events are never changed, so a replay reads them back from `events`).
 */
export function storedResult(s: string, r: string): string {
  const lists = RESULT_SNAPSHOTS.map(([list, fields]) => {
    const candidates = fields.map(([field, hash]) => `('${field}', ${hash})`).join(", ");
    const compact = `(x - ARRAY(SELECT f.field FROM (VALUES ${candidates}) AS f(field, hash)
        JOIN ${s}.snapshots AS sn ON sn.hash = f.hash WHERE sn.snapshot = x->f.field))`;
    return `'${list}', ${mapArray(`(${r})->'${list}'`, compact)}`;
  });
  return `jsonb_build_object(${lists.join(", ")},
    'approvals', (${r})->'approvals', 'pull_requests', (${r})->'pull_requests',
    'events', ${mapArray(`(${r})->'events'`, "x->'id'")})`;
}

/** How a schema version rebuilds a whole event from its row `e` and its run's row `r` (SQL `jsonb`). */
export type EventReader = (e: string, r: string) => string;

/**
 * A result stored by {@link storedResult} (`r`, SQL), whole again: the snapshots put back (the record's own JSON
 * wins), and each event id replaced by the event as stored, rebuilt by `event` (the schema version's reader). A
 * result stored whole (version 5) reads as it is.
 */
export function fullResult(s: string, r: string, event: EventReader): string {
  const lists = RESULT_SNAPSHOTS.map(([list, fields]) => {
    const defaults = fields.map(
      ([field, hash]) => `CASE WHEN x ? '${field}' THEN '{}'::jsonb ELSE coalesce(
          (SELECT jsonb_build_object('${field}', sn.snapshot) FROM ${s}.snapshots AS sn WHERE sn.hash = ${hash}),
          '{}'::jsonb) END`,
    );
    return `'${list}', ${mapArray(`(${r})->'${list}'`, `${defaults.join(" || ")} || x`)}`;
  });
  const whole = `CASE WHEN jsonb_typeof(x) = 'string' THEN (SELECT ${event("e", "er")}
      FROM ${s}.events AS e JOIN ${s}.runs AS er ON er.seq = e.run_seq WHERE e.id = (x #>> '{}')::uuid) ELSE x END`;
  return `CASE WHEN (${r}) IS NULL THEN NULL ELSE jsonb_build_object(${lists.join(", ")},
    'approvals', (${r})->'approvals', 'pull_requests', (${r})->'pull_requests',
    'events', ${mapArray(`(${r})->'events'`, whole)}) END`;
}

const CANONICAL_INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * `text` when it is an instant exactly as `Date#toISOString` writes it (UTC, milliseconds), which Postgres
 * reads as a `timestamptz` and {@link isoInstant} writes back identically; `null` otherwise (an offset, more or
 * fewer digits, year 0000, which Postgres does not know): the event's JSON then keeps its own text.
 */
export function canonicalInstant(text: string): string | null {
  if (!CANONICAL_INSTANT.test(text) || text.startsWith("0000")) return null;
  const time = Date.parse(text);
  return Number.isNaN(time) || new Date(time).toISOString() !== text ? null : text;
}

/** {@link canonicalInstant} in SQL, for rows already stored (migration 6): a function of schema `s`. */
export function canonicalInstantFunction(s: string, name: string): string {
  return `CREATE FUNCTION ${s}.${name}(t text) RETURNS timestamptz LANGUAGE plpgsql STABLE AS $instant$
DECLARE
  v timestamptz;
BEGIN
  IF t IS NULL OR t !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{3}Z$' OR left(t, 4) = '0000' THEN
    RETURN NULL;
  END IF;
  v := t::timestamptz;
  RETURN CASE WHEN ${isoInstant("v")} = t THEN v END;
EXCEPTION WHEN others THEN
  -- Text a writer that skipped validation left (a 31st of February): the JSON keeps it.
  RETURN NULL;
END
$instant$`;
}
