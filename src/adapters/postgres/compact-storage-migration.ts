/**
 * Migration 6, compact storage (`stored-form.ts`): each snapshot kept once in `snapshots`, records without the
 * fields their columns hold, events keyed by a `uuid` and their run's `seq` with their time in a `timestamptz`,
 * idempotency keys indexed by age (and forgotten after their window), and the write function that writes all
 * of it. `up` converts every stored row and `down` converts every row back to the whole records version 5 reads.
 *
 * Measured on 200 card lifecycles (bench/storage-size.ts, after VACUUM FULL): see docs/benchmarks.md.
 *
 * Both directions rewrite every row of every record table once, inside the migration's transaction: on a large
 * store, writes wait while it runs, and the tables take the space of both versions of their rows until a
 * `VACUUM` lets it be reused (docs/adapters/postgres.md).
 */
import type { Migration } from "./migrations.js";
import {
  canonicalInstantFunction,
  eventOwnFields,
  fullEventV6,
  fullRecord,
  fullResult,
  insertSnapshots,
  type RecordTable,
  storedRecord,
  storedResult,
} from "./stored-form.js";
import { writeFunctionV5Ddl } from "./write-function-v5.js";
import { writeFunctionV6Ddl } from "./write-function-v6.js";

/** The record tables, each with the column that holds its parent's id (null for runs). */
const RECORD_TABLES: readonly (readonly [RecordTable, string | null])[] = [
  ["runs", null],
  ["assignments", "run_id"],
  ["approvals", "run_id"],
  ["pull_requests", "run_id"],
  ["checks", "run_id"],
  ["executions", "run_id"],
  ["commits", "assignment_id"],
];

/** The helper that recognises a canonical time, created and dropped by `up`. */
const INSTANT = "rungate_v6_instant";

/**
 * A whole record stored before (`t.record`) in its compact form. Unlike a write, which takes its columns from the
 * record, a stored row could disagree with its columns (an operator's UPDATE): the JSON then keeps its own id or
 * parent id, so a read answers exactly what it answered before (version 5 read both from the JSON).
 */
function compacted(s: string, table: RecordTable, parent: string | null): string {
  const columns: [string, string][] = [["id", "to_jsonb(t.id)"]];
  if (parent !== null) columns.push([parent, `to_jsonb(t.${parent})`]);
  const stored = storedRecord(s, table, "t.record", {
    system_policy: "t.system_policy_hash",
    run_input: "t.run_input_hash",
  });
  return `${stored} || ${ownValues("t.record", columns)}`;
}

/**
 * The fields of `record` (SQL `jsonb`) whose value differs from what a read would rebuild for them (`[field,
 * rebuilt value as SQL jsonb]`), as an object to put back into the compact form: a read answers them as before.
 */
function ownValues(record: string, rebuilt: readonly (readonly [string, string])[]): string {
  const values = rebuilt.map(([field, value]) => `('${field}', ${value})`).join(", ");
  return `(SELECT coalesce(jsonb_object_agg(x.field, ${record}->x.field), '{}'::jsonb)
      FROM (VALUES ${values}) AS x(field, value)
      WHERE ${record} ? x.field AND ${record}->x.field IS DISTINCT FROM x.value)`;
}

/** The constraints of `events` (and so its indexes) in versions 6 and 7, by the suffix of their names. */
export const EVENTS_CONSTRAINTS = ["pkey", "run_seq_fkey", "sequence_check", "run_seq_sequence_key"] as const;

/**
 * Version 6's `events` table, created as `name` (renamed to `events` once filled, see {@link renameConstraints}):
 * migration 6 creates it going up, migration 7 going down, with exactly this text.
 */
export function eventsTableV6(s: string, name: string): string {
  return `CREATE TABLE ${s}.${name} (
      id uuid CONSTRAINT ${name}_pkey PRIMARY KEY,
      run_seq bigint NOT NULL CONSTRAINT ${name}_run_seq_fkey REFERENCES ${s}.runs (seq),
      sequence integer NOT NULL CONSTRAINT ${name}_sequence_check CHECK (sequence >= 1),
      created_at timestamptz,
      record jsonb NOT NULL,
      CONSTRAINT ${name}_run_seq_sequence_key UNIQUE (run_seq, sequence)
    )`;
}

/** Renames the constraints (and so the indexes) of `events` after it was created under the name `from`. */
export function renameConstraints(s: string, from: string, names: readonly string[]): string[] {
  return names.map((name) => `ALTER TABLE ${s}.events RENAME CONSTRAINT ${from}_${name} TO events_${name}`);
}

function up(s: string, schema: string): string[] {
  return [
    `CREATE TABLE ${s}.snapshots (
      hash text PRIMARY KEY,
      snapshot jsonb NOT NULL
    )`,
    insertSnapshots(
      s,
      `SELECT system_policy_hash, record->'system_policy_snapshot' FROM ${s}.runs
       UNION ALL SELECT run_input_hash, record->'run_input_snapshot' FROM ${s}.runs
       UNION ALL SELECT record->>'assignment_input_hash', record->'assignment_input_snapshot' FROM ${s}.assignments`,
    ),
    ...RECORD_TABLES.map(
      ([table, parent]) => `UPDATE ${s}.${table} AS t SET record = ${compacted(s, table, parent)}`,
    ),
    // Events name their run by its seq (8 bytes, not a 36-character id, in the row and in its index).
    `ALTER TABLE ${s}.runs ADD CONSTRAINT runs_seq_key UNIQUE (seq)`,
    canonicalInstantFunction(s, INSTANT),
    eventsTableV6(s, "events_compact"),
    `INSERT INTO ${s}.events_compact (id, run_seq, sequence, created_at, record)
     SELECT e.id::uuid, r.seq, e.sequence, i.at, ${eventOwnFields("e.record", "i.at", "r")}
       || ${ownValues("e.record", [
         ["id", "to_jsonb(e.id::uuid::text)"],
         ["run_id", "to_jsonb(r.id)"],
       ])}
     FROM ${s}.events AS e JOIN ${s}.runs AS r ON r.id = e.run_id,
          LATERAL (SELECT ${s}.${INSTANT}(e.record->>'created_at') AS at) AS i
     ORDER BY r.seq, e.sequence`,
    `DROP TABLE ${s}.events`,
    `ALTER TABLE ${s}.events_compact RENAME TO events`,
    ...renameConstraints(s, "events_compact", EVENTS_CONSTRAINTS),
    `DROP FUNCTION ${s}.${INSTANT}(text)`,
    `CREATE INDEX idempotency_keys_by_age ON ${s}.idempotency_keys (created_at)`,
    // A result is kept compact only where it reads back exactly as stored (an event id whose event is gone,
    // say, keeps the result whole).
    `UPDATE ${s}.idempotency_keys AS k SET result = c.compact
     FROM (SELECT key, ${storedResult(s, "result")} AS compact FROM ${s}.idempotency_keys WHERE result IS NOT NULL) AS c
     WHERE c.key = k.key AND ${fullResult(s, "c.compact", fullEventV6)} = k.result`,
    writeFunctionV6Ddl(s, schema),
  ];
}

function down(s: string, schema: string): string[] {
  return [
    writeFunctionV5Ddl(s, schema),
    `DROP INDEX ${s}.idempotency_keys_by_age`,
    `UPDATE ${s}.idempotency_keys SET result = ${fullResult(s, "result", fullEventV6)} WHERE result IS NOT NULL`,
    `CREATE TABLE ${s}.events_whole (
      id text CONSTRAINT events_whole_pkey PRIMARY KEY,
      run_id text NOT NULL CONSTRAINT events_whole_run_id_fkey REFERENCES ${s}.runs (id),
      sequence integer NOT NULL CONSTRAINT events_whole_sequence_check CHECK (sequence >= 1),
      record jsonb NOT NULL,
      CONSTRAINT events_whole_run_id_sequence_key UNIQUE (run_id, sequence)
    )`,
    `INSERT INTO ${s}.events_whole (id, run_id, sequence, record)
     SELECT w.whole->>'id', r.id, e.sequence, w.whole
     FROM ${s}.events AS e JOIN ${s}.runs AS r ON r.seq = e.run_seq,
          LATERAL (SELECT ${fullEventV6("e", "r")} AS whole) AS w
     ORDER BY r.seq, e.sequence`,
    `DROP TABLE ${s}.events`,
    `ALTER TABLE ${s}.events_whole RENAME TO events`,
    ...renameConstraints(s, "events_whole", ["pkey", "run_id_fkey", "sequence_check", "run_id_sequence_key"]),
    `ALTER TABLE ${s}.runs DROP CONSTRAINT runs_seq_key`,
    ...RECORD_TABLES.map(([table]) => `UPDATE ${s}.${table} AS t SET record = ${fullRecord(s, table, "t")}`),
    `DROP TABLE ${s}.snapshots`,
  ];
}

/** Migration 6 for schema `schema` (`s`: the same, quoted). */
export function compactStorage(s: string, schema: string): Migration {
  return {
    version: 6,
    previous: 5,
    description:
      "compact storage: snapshots kept once, records without their columns' fields, compact events, keys pruned by age",
    up: up(s, schema),
    down: down(s, schema),
  };
}
