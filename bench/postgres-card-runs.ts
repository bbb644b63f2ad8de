/**
 * How long a card's earlier runs take to find as a Postgres store grows (issue 17):
 * `DATABASE_URL=postgres://… npx tsx bench/postgres-card-runs.ts`. Every build of a card asks the store for its
 * earlier runs (`listRuns({ card_id })`), so without an index each build reads every run. The script stores one
 * real run through the orchestrator (in-memory git, agent and checks; Postgres storage), copies its rows in SQL
 * to reach each size (a card per copied run, one card's runs among them), and times the query through the
 * adapter, the median of 21 calls, and prints the adapter's query plan (`EXPLAIN`). Its own schema, dropped at the end.
 */
import pg from "pg";
import { createPostgresStorage } from "../src/adapters/postgres/index.js";
import { listRuns as listRunsPlan } from "../src/adapters/postgres/plans.js";
import { createOrchestrator } from "../src/index.js";
import { createInMemoryPorts, policyFixture, runInputFixture } from "../src/testing/index.js";

const url = process.env.DATABASE_URL ?? process.env.RUNGATE_TEST_DATABASE_URL;
if (!url) throw new Error("set DATABASE_URL to a Postgres server");
const schema = `bench_card_runs_${process.pid}`;
const pool = new pg.Pool({ connectionString: url, max: 2 });
const opened = await createPostgresStorage({ pool, schema });
if (opened.isErr()) throw new Error(opened.error.message);
const storage = opened.value;
const ports = { ...createInMemoryPorts(), storage };
const built = await createOrchestrator(ports).triggerBuild({
  ...runInputFixture(),
  policy: policyFixture({ required_checks: ["policy"] }),
});
if (built.isErr()) throw new Error(built.error.message);
const cardId = built.value.assignments[0]?.card_id ?? "";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const rows: string[] = [];
let stored = 1;
for (const size of [1_000, 10_000, 50_000]) {
  // Copies of the first run and its assignment under new ids, each for a card of its own.
  await pool.query(
    `WITH n AS (SELECT g, gen_random_uuid()::text AS run_id, gen_random_uuid()::text AS card
                FROM generate_series(1, $1::integer) g),
          runs AS (INSERT INTO "${schema}".runs (id, version, phase, system_policy_hash, run_input_hash, record)
                   SELECT n.run_id, r.version, r.phase, r.system_policy_hash, r.run_input_hash,
                          jsonb_set(jsonb_set(r.record, '{id}', to_jsonb(n.run_id)), '{card_id}', to_jsonb(n.card))
                   FROM n, (SELECT * FROM "${schema}".runs ORDER BY seq LIMIT 1) r RETURNING id)
     INSERT INTO "${schema}".assignments (id, version, run_id, phase, record)
     SELECT gen_random_uuid()::text, a.version, n.run_id, a.phase,
            jsonb_set(jsonb_set(a.record, '{run_id}', to_jsonb(n.run_id)), '{card_id}', to_jsonb(n.card))
     FROM n, (SELECT * FROM "${schema}".assignments ORDER BY seq LIMIT 1) a`,
    [size - stored],
  );
  stored = size;
  await pool.query(`ANALYZE "${schema}".runs; ANALYZE "${schema}".assignments`);
  const times: number[] = [];
  for (let i = 0; i < 21; i += 1) {
    const start = performance.now();
    const listed = await storage.listRuns({ card_id: cardId });
    times.push(performance.now() - start);
    if (listed.isErr() || listed.value.runs.length !== 1) throw new Error("the card's run was not found");
  }
  rows.push(`| ${size.toLocaleString("en")} | ${median(times).toFixed(2)} ms |`);
}
const query = listRunsPlan(schema, {
  project_id: null,
  phases: null,
  card_id: cardId,
  created_after: null,
  created_before: null,
  after: null,
  limit: 51,
});
const plan = await pool.query(`EXPLAIN ${query.text}`, [...query.values]);
console.log(["| runs stored | listRuns({ card_id }) |", "|---:|---:|", ...rows].join("\n"));
console.log(plan.rows.map((r) => r["QUERY PLAN"]).join("\n"));
await storage.close();
await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
await pool.end();
