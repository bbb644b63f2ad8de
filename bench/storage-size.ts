/**
 * What a stored run costs on disk in the Postgres adapter (issue 17, goal 4: ≤ 5 KB per run excluding events,
 * ≤ 250 B per event), as a plain script: `npx tsx bench/storage-size.ts [lifecycles]` (default 200).
 *
 * Stores that many card lifecycles (bench/card-lifecycle.ts: trigger → approve → draft PR → merge observed), each
 * on a card of its own, through the orchestrator with the in-memory ports for everything but storage, on PGlite
 * in memory, and on Postgres when `RUNGATE_TEST_DATABASE_URL` or `DATABASE_URL` is set (a schema of its own,
 * dropped at the end). Then it reports, from `pg_total_relation_size` (heap, TOAST and indexes):
 *
 * - bytes per run excluding events: every table of the schema but `events`, `event_kinds` and the migration
 *   ledger, divided by the runs; bytes per event: the `events` table divided by its rows (the goal's measure),
 *   and with `event_kinds` too (schema version 7: each kind of event once, a few pages whatever the store's size,
 *   so it weighs on the figure of a small store only);
 * - a per-table breakdown, with the mean stored size of a row's JSON columns (`pg_column_size`, after any
 *   compression) and their length as text.
 *
 * Three measurements: after `VACUUM` (dead row versions freed for reuse, files not shrunk: what updates left
 * behind), after `VACUUM FULL` (every table rewritten: the live data alone, the figure the goal is judged on),
 * and after `VACUUM FULL` once the idempotency keys are older than the store's window (default 24 h; aged here
 * with an UPDATE, then one keyed write prunes them) — the steady state of a store used for longer than a day.
 *
 * Deterministic: ids are UUIDs drawn from a seeded hash (random-looking, as production's `gen_random_uuid`-style
 * ids are, so compression is not flattered by sequential ids), times come from the simulated clock, and
 * autovacuum is switched off for the schema's tables so no background pass changes the first figure.
 */
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import {
  createPgliteStorage,
  createPostgresStorage,
  type PostgresStorage,
} from "../src/adapters/postgres/index.js";
import { storeLifecycles } from "./stored-lifecycles.js";

const LIFECYCLES = Number(process.argv[2] ?? 200);

/** Runs one statement (PGlite or a pg pool) and answers its rows. */
type Query = (text: string) => Promise<readonly Record<string, unknown>[]>;

/** One table's figures. */
interface TableSize {
  readonly table: string;
  readonly rows: number;
  /** `pg_total_relation_size`: heap, TOAST and indexes. */
  readonly bytes: number;
  /** Mean stored size of the row's JSON columns (`pg_column_size`), null for a table without any. */
  readonly json_stored: number | null;
  /** Mean length of the row's JSON columns as text. */
  readonly json_text: number | null;
}

async function tablesOf(query: Query, schema: string): Promise<string[]> {
  const rows = await query(
    `SELECT table_name FROM information_schema.tables
     WHERE table_schema = '${schema}' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  return rows.map((r) => String(r.table_name));
}

/** The JSON columns of a table (every `json`/`jsonb` column), to measure the rows' JSON. */
async function jsonColumns(query: Query, schema: string, table: string): Promise<string[]> {
  const rows = await query(
    `SELECT column_name FROM information_schema.columns
     WHERE table_schema = '${schema}' AND table_name = '${table}' AND data_type IN ('json', 'jsonb')
     ORDER BY ordinal_position`,
  );
  return rows.map((r) => String(r.column_name));
}

async function measure(query: Query, schema: string): Promise<TableSize[]> {
  const sizes: TableSize[] = [];
  for (const table of await tablesOf(query, schema)) {
    const json = await jsonColumns(query, schema, table);
    const sum = (f: (c: string) => string) => (json.length ? json.map(f).join(" + ") : "0");
    const [row] = await query(
      `SELECT count(*)::int AS rows, pg_total_relation_size('"${schema}".${table}')::bigint AS bytes,
              coalesce(avg(${sum((c) => `coalesce(pg_column_size(${c}), 0)`)}), 0)::float8 AS json_stored,
              coalesce(avg(${sum((c) => `coalesce(octet_length(${c}::text), 0)`)}), 0)::float8 AS json_text
       FROM "${schema}".${table}`,
    );
    sizes.push({
      table,
      rows: Number(row?.rows ?? 0),
      bytes: Number(row?.bytes ?? 0),
      json_stored: json.length ? Number(row?.json_stored ?? 0) : null,
      json_text: json.length ? Number(row?.json_text ?? 0) : null,
    });
  }
  return sizes;
}

const fmt = (x: number | null) => (x === null ? "–" : Math.round(x).toLocaleString("en"));

/** Tables outside the per-run figure: the events, their kinds (a few pages in all) and the migration ledger. */
const NOT_PER_RUN: ReadonlySet<string> = new Set(["events", "event_kinds", "rungate_migrations"]);

function report(label: string, sizes: readonly TableSize[]): void {
  const runs = sizes.find((s) => s.table === "runs")?.rows ?? 0;
  const events = sizes.find((s) => s.table === "events");
  const kinds = sizes.find((s) => s.table === "event_kinds")?.bytes ?? 0;
  const perRun = sizes.filter((s) => !NOT_PER_RUN.has(s.table)).reduce((sum, s) => sum + s.bytes, 0);
  const eventRows = Math.max(1, events?.rows ?? 0);
  console.log(`\n### ${label}`);
  console.log(
    `bytes per run excluding events: ${fmt(perRun / runs)}; bytes per event: ${fmt(
      (events?.bytes ?? 0) / eventRows,
    )}, with event_kinds: ${fmt(((events?.bytes ?? 0) + kinds) / eventRows)} (${runs} runs, ${events?.rows ?? 0} events)`,
  );
  console.log("| table | rows | total bytes | bytes per run | JSON stored per row | JSON text per row |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const s of sizes) {
    console.log(
      `| ${s.table} | ${s.rows} | ${fmt(s.bytes)} | ${fmt(s.bytes / runs)} | ${fmt(s.json_stored)} | ${fmt(s.json_text)} |`,
    );
  }
}

async function measureEngine(name: string, storage: PostgresStorage, query: Query): Promise<void> {
  const tables = async () => (await tablesOf(query, storage.schema)).map((t) => `"${storage.schema}".${t}`);
  for (const table of await tables()) await query(`ALTER TABLE ${table} SET (autovacuum_enabled = off)`);
  const start = performance.now();
  await storeLifecycles(storage, LIFECYCLES);
  console.log(
    `\n## ${name}: ${LIFECYCLES} lifecycles in ${((performance.now() - start) / 1000).toFixed(1)} s`,
  );
  for (const table of await tables()) await query(`VACUUM ${table}`);
  report(`${name}, after VACUUM`, await measure(query, storage.schema));
  for (const table of await tables()) await query(`VACUUM FULL ${table}`);
  report(`${name}, after VACUUM FULL`, await measure(query, storage.schema));
  // Every key a day and a minute old: the next keyed write forgets them (a store without pruning keeps them).
  await query(
    `UPDATE "${storage.schema}".idempotency_keys SET created_at = created_at - interval '1 day 1 minute'`,
  );
  const pruning = await storage.write({ idempotency_key: "bench:storage-size:prune" });
  if (pruning.isErr()) throw new Error(pruning.error.message);
  for (const table of await tables()) await query(`VACUUM FULL ${table}`);
  report(`${name}, after VACUUM FULL, keys past their window`, await measure(query, storage.schema));
}

{
  const pglite = await PGlite.create();
  const storage = (await createPgliteStorage({ pglite, schema: "rungate" }))._unsafeUnwrap();
  await measureEngine("PGlite in memory", storage, async (text) => (await pglite.query(text)).rows as never);
  await storage.close();
  await pglite.close();
}

const url = process.env.RUNGATE_TEST_DATABASE_URL ?? process.env.DATABASE_URL;
if (url) {
  const schema = `bench_storage_size_${process.pid}`;
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const storage = (await createPostgresStorage({ pool, schema }))._unsafeUnwrap();
  try {
    await measureEngine("Postgres", storage, async (text) => (await pool.query(text)).rows);
  } finally {
    await storage.close();
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  }
} else {
  console.log("\n(Postgres skipped: set RUNGATE_TEST_DATABASE_URL or DATABASE_URL)");
}
