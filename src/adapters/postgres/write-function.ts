/**
 * The server side of a write in one statement: a PL/pgSQL function per schema, `rungate_write(w jsonb)`, that
 * applies a whole {@link StorageWrite} (already parsed by the adapter) as `write.ts` does statement by statement:
 * fence, idempotency key (forgetting keys past their window first), snapshots, versioned records, checks,
 * executions, commits, events, notifications, the key's result. Records are stored in the compact form of
 * `stored-form.ts`, events in that of `event-form.ts`. Since schema version 8 a run or card may leave out a
 * snapshot its writer knows `snapshots` holds (a run's policy is then not sent with every write of the run).
 * Migration 8 installs this text with `CREATE OR REPLACE`; the texts of migrations 5, 6 and 7 live on in
 * `write-function-v5.ts`, `-v6.ts` and `-v7.ts`.
 *
 * Why a function: a write used to cost `BEGIN`, the fence, one statement per record, the run locks, one per
 * event, `pg_notify`, the key twice and `COMMIT`, each a round trip (about 8 a write, 116 SQL statements a card,
 * bench/worker-sql.ts). One statement is one transaction on its own, so the function needs no `BEGIN`.
 *
 * It only knows the happy path: whatever the statement-by-statement write would refuse (a stale version, a
 * missing run, a lost lease, …) makes it raise {@link WRITE_REFUSED_SQLSTATE}, which rolls everything back; the
 * adapter then runs the statement-by-statement write, which names the refusal exactly as the in-memory fake does.
 * So the error semantics live in one place (`write.ts`), and this function can be no more permissive than it:
 * every guard below is one of `plans.ts`'s.
 */
import { FROZEN_FIELDS } from "../../core/snapshot/frozen-fields.js";
import { compactEvent, fullEvent, kindWhileWriting } from "./event-form.js";
import { DECIDED_APPROVAL_STATUSES, RUN_CHANGES_CHANNEL, type VersionedTable } from "./plans.js";
import {
  eventOwnFields,
  fullResult,
  insertSnapshots,
  recordField,
  snapshotFieldsOf,
  storedRecord,
  storedResult,
} from "./stored-form.js";

/** The SQLSTATE the function raises when the write must be refused (class `RG`: not one Postgres uses). */
export const WRITE_REFUSED_SQLSTATE = "RGW01";

/** The function's name inside its schema. */
export const WRITE_FUNCTION = "rungate_write";

const REFUSE = `RAISE EXCEPTION USING ERRCODE = '${WRITE_REFUSED_SQLSTATE}', MESSAGE = 'rungate: write refused'`;

/** One versioned table's loop: insert at version 0 (`expected` null) or update at exactly `expected`. */
function versionedLoop(s: string, table: VersionedTable): string {
  const runExists = `EXISTS (SELECT 1 FROM ${s}.runs WHERE id = item->>'run_id')`;
  const columns: Record<VersionedTable, readonly [string, string][]> = {
    runs: [
      ["phase", "item->>'phase'"],
      ["system_policy_hash", "item->>'system_policy_hash'"],
      ["run_input_hash", "item->>'run_input_hash'"],
    ],
    assignments: [
      ["run_id", "item->>'run_id'"],
      ["phase", "item->>'phase'"],
    ],
    approvals: [["run_id", "item->>'run_id'"]],
    pull_requests: [["run_id", "item->>'run_id'"]],
  };
  const names = columns[table].map(([name]) => name).join(", ");
  const values = columns[table].map(([, value]) => value).join(", ");
  const sets = columns[table].map(([name, value]) => `${name} = ${value}`).join(", ");
  const stored = storedRecord(s, table, "item->'record'", {
    system_policy: "item->>'system_policy_hash'",
    run_input: "item->>'run_input_hash'",
  });
  // A snapshot the record leaves out (its writer read it, verified) must be in `snapshots` under the hash named.
  const leftOutStored = snapshotFieldsOf(table).map(
    ({ field, named }) =>
      `(item->'record' ? '${field}' OR EXISTS (SELECT 1 FROM ${s}.snapshots AS sn WHERE sn.hash = ${named("item")}))`,
  );
  const insertGuards = [...(table === "runs" ? [] : [runExists]), ...leftOutStored];
  const guards = [
    "t.id = item->>'id'",
    "t.version::numeric = (item->>'expected')::numeric",
    ...leftOutStored,
  ];
  if (table !== "runs") guards.push(runExists);
  // Frozen fields are compared on the whole stored record, its snapshots put back. A snapshot the write left
  // out (it is in `snapshots`, checked first) is the same when the row keeps none of its own under the same hash.
  if (table === "runs" || table === "assignments") {
    const snapshots = snapshotFieldsOf(table);
    guards.push(
      ...FROZEN_FIELDS[table].map((f) => {
        const whole = `coalesce(${recordField(s, table, "t", f)}, 'null'::jsonb) = coalesce(item->'record'->'${f}', 'null'::jsonb)`;
        const snapshot = snapshots.find((x) => x.field === f);
        if (!snapshot) return whole;
        return `(CASE WHEN item->'record' ? '${f}' THEN ${whole}
            ELSE NOT (t.record ? '${f}') AND ${snapshot.stored("t")} = ${snapshot.named("item")} END)`;
      }),
    );
  }
  if (table === "approvals") {
    guards.push(
      `NOT (t.record->>'status' IN ('${DECIDED_APPROVAL_STATUSES.join("', '")}') AND t.record->>'status' IS DISTINCT FROM item->'record'->>'status')`,
    );
  }
  return `
  FOR item IN SELECT value FROM jsonb_array_elements(w->'${table}') LOOP
    IF jsonb_typeof(item->'expected') = 'null' THEN
      INSERT INTO ${s}.${table} AS t (id, version, record, ${names})
        SELECT item->>'id', 0, ${stored}, ${values}
        ${insertGuards.length === 0 ? "" : `WHERE ${insertGuards.join(" AND ")}`}
        ON CONFLICT (id) DO NOTHING;
    ELSE
      UPDATE ${s}.${table} AS t SET version = t.version + 1, record = ${stored}, ${sets}
        WHERE ${guards.join("\n          AND ")};
    END IF;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN ${REFUSE}; END IF;
  END LOOP;`;
}

/** Checks (inserted once) and executions (upserted by id): refused when their run is missing. */
function runChildLoop(s: string, table: "checks" | "executions", onConflict: string): string {
  return `  FOR item IN SELECT value FROM jsonb_array_elements(w->'${table}') LOOP
    INSERT INTO ${s}.${table} (id, run_id, record)
      SELECT item->>'id', item->>'run_id', ${storedRecord(s, table, "item->'record'")}
      WHERE EXISTS (SELECT 1 FROM ${s}.runs WHERE id = item->>'run_id')
      ON CONFLICT (id) ${onConflict};
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN ${REFUSE}; END IF;
  END LOOP;`;
}

/**
 * The statement that creates (or replaces) `rungate_write` in schema `s` (already quoted). The payload `w`:
 * `fence` (`{ assignment_id, token }`, optional), `key` and `key_window_ms` (optional), the four versioned lists
 * (`{ id, record, expected, … }`: the record as stored, with its new `version`, whole but for snapshots it may
 * leave out when `snapshots` holds them under the hashes the item names), `checks` / `executions`
 * (`{ id, run_id, record }`), `commits` (`{ id, assignment_id, record }`), `events` (`{ id, run_id, created_at,
 * record }`: `created_at` is the event's time when it is canonical, else null), `notify` (run entries,
 * `run-changes.ts`), and `result`
 * (the write's result without its events, stored with the key). It answers `{ replayed: true, result }` for a key
 * already used within its window, else `{ replayed: false, sequences }` (one per event).
 */
export function writeFunctionDdl(s: string, schema: string): string {
  const snapshotRows = `SELECT i->>'system_policy_hash', i->'record'->'system_policy_snapshot'
        FROM jsonb_array_elements(w->'runs') AS i
      UNION ALL SELECT i->>'run_input_hash', i->'record'->'run_input_snapshot' FROM jsonb_array_elements(w->'runs') AS i
      UNION ALL SELECT i->'record'->>'assignment_input_hash', i->'record'->'assignment_input_snapshot'
        FROM jsonb_array_elements(w->'assignments') AS i`;
  return `CREATE OR REPLACE FUNCTION ${s}.${WRITE_FUNCTION}(w jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $rungate$
DECLARE
  item jsonb;
  n integer;
  claimed text;
  stored jsonb;
  seq integer;
  events jsonb := '[]'::jsonb;
  sequences jsonb := '[]'::jsonb;
BEGIN
  -- The fence first, its row locked until the end (plans.ts checkFence).
  IF w ? 'fence' THEN
    PERFORM 1 FROM ${s}.assignments
      WHERE id = w->'fence'->>'assignment_id' AND lease_token IS NOT DISTINCT FROM w->'fence'->>'token'
      FOR NO KEY UPDATE;
    IF NOT FOUND THEN ${REFUSE}; END IF;
  END IF;
  IF w ? 'key' THEN
    -- Keys past their window are forgotten first (plans.ts pruneIdempotencyKeys).
    DELETE FROM ${s}.idempotency_keys WHERE key IN (
      SELECT k.key FROM ${s}.idempotency_keys AS k
      WHERE k.created_at < statement_timestamp() - make_interval(secs => (w->>'key_window_ms')::float8 / 1000)
      FOR UPDATE SKIP LOCKED);
    -- A concurrent writer with the same key waits here until this one ends, then replays it.
    INSERT INTO ${s}.idempotency_keys (key) VALUES (w->>'key') ON CONFLICT (key) DO NOTHING RETURNING key INTO claimed;
    IF claimed IS NULL THEN
      SELECT ${fullResult(s, "k.result", (e, r) => fullEvent(s, e, r))} INTO stored FROM ${s}.idempotency_keys AS k WHERE k.key = w->>'key';
      RETURN jsonb_build_object('replayed', true, 'result', stored);
    END IF;
  END IF;
  -- Each snapshot of the write's runs and cards, kept once under its hash (stored-form.ts).
  IF jsonb_array_length(w->'runs') + jsonb_array_length(w->'assignments') > 0 THEN
    ${insertSnapshots(s, snapshotRows)};
  END IF;
${versionedLoop(s, "runs")}
${versionedLoop(s, "assignments")}
${versionedLoop(s, "approvals")}
${versionedLoop(s, "pull_requests")}
${runChildLoop(s, "checks", "DO NOTHING")}
${runChildLoop(s, "executions", "DO UPDATE SET run_id = EXCLUDED.run_id, record = EXCLUDED.record")}
  FOR item IN SELECT value FROM jsonb_array_elements(w->'commits') LOOP
    INSERT INTO ${s}.commits (id, assignment_id, record)
      SELECT item->>'id', item->>'assignment_id', ${storedRecord(s, "commits", "item->'record'")}
      WHERE EXISTS (SELECT 1 FROM ${s}.assignments WHERE id = item->>'assignment_id')
      ON CONFLICT (id) DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    -- A commit stored before is skipped; one whose assignment is missing is refused.
    IF n = 0 AND NOT EXISTS (SELECT 1 FROM ${s}.commits WHERE id = item->>'id') THEN ${REFUSE}; END IF;
  END LOOP;
  -- The runs events go to, locked in id order, so each run's sequence stays gap-free (plans.ts lockRuns).
  PERFORM 1 FROM ${s}.runs
    WHERE id IN (SELECT e->>'run_id' FROM jsonb_array_elements(w->'events') AS e)
    ORDER BY id FOR NO KEY UPDATE;
  FOR item IN SELECT value FROM jsonb_array_elements(w->'events') LOOP
    seq := NULL;
    -- In its compact form (event-form.ts): a kind seen for the first time is added on the way, never waited for.
    INSERT INTO ${s}.events (run_seq, created_at, id, assignment_id, sequence, kind, head_sha, body)
      SELECT r.seq, (item->>'created_at')::timestamptz, (item->>'id')::uuid, c.assignment_id, nx.next, c.kind,
             c.head_sha, c.body
      FROM ${s}.runs AS r,
           LATERAL (SELECT coalesce(max(e.sequence), 0) + 1 AS next FROM ${s}.events AS e WHERE e.run_seq = r.seq) AS nx,
           ${compactEvent(eventOwnFields("item->'record'", "item->>'created_at'", "r"), "c", kindWhileWriting(s))}
      WHERE r.id = item->>'run_id'
      ON CONFLICT (id) DO NOTHING
      RETURNING sequence INTO seq;
    IF seq IS NULL THEN ${REFUSE}; END IF;
    IF claimed IS NOT NULL THEN
      events := events || jsonb_build_array((item->'record') || jsonb_build_object('sequence', seq));
    END IF;
    sequences := sequences || jsonb_build_array(seq);
  END LOOP;
  -- Delivered when the statement commits, never for a write that rolled back.
  PERFORM pg_notify('${RUN_CHANGES_CHANNEL}', '${schema}:' || id)
    FROM jsonb_array_elements_text(w->'notify') AS id;
  IF claimed IS NOT NULL THEN
    UPDATE ${s}.idempotency_keys
      SET result = ${storedResult(s, "(w->'result') || jsonb_build_object('events', events)")}
      WHERE key = claimed;
  END IF;
  RETURN jsonb_build_object('replayed', false, 'sequences', sequences);
END
$rungate$`;
}
