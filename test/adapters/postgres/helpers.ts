import { createHash } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, expect } from "vitest";
import type { SqlQueryable } from "../../../src/adapters/postgres/index.js";
import { selectRun } from "../../../src/adapters/postgres/plans.js";
import { validateRunInputAgainstPolicy } from "../../../src/core/policy/validate-run-input.js";
import { newCardAssignment, newOrchestrationRun } from "../../../src/core/run/new-run.js";
import type { CardAssignment } from "../../../src/core/schemas/card-assignment.js";
import type { OrchestrationRun } from "../../../src/core/schemas/orchestration-run.js";
import type { RunEventDraft, StoragePort } from "../../../src/ports/storage-port.js";
import { okOf } from "../../../src/testing/contracts/port-calls.js";
import { FIXTURE_TIME, fixtureId, policyFixture, runInputFixture } from "../../../src/testing/fixtures.js";

/**
 * Schema names for one test file: a hash of the file, the current test's name and a counter, so every test (and
 * every port a test makes) gets its own schema, and files can share one database while running in parallel.
 */
export function schemaNamer(file: string): () => string {
  let counter = 0;
  return () => {
    counter += 1;
    const test = expect.getState().currentTestName ?? "(no test)";
    const hash = createHash("sha256").update(`${file}\0${test}\0${counter}`).digest("hex");
    return `rg_${hash.slice(0, 24)}`;
  };
}

// The contract suites' own: a failure names the adapter method that answered (when the port was traced) and
// prints the whole error or value.
export { errOf, okOf } from "../../../src/testing/contracts/port-calls.js";

const validated = validateRunInputAgainstPolicy(runInputFixture(), policyFixture())._unsafeUnwrap();

/** A realistic queued run with id `fixtureId(n)`. */
export function runFixture(n: number): OrchestrationRun {
  return newOrchestrationRun(validated, { run_id: fixtureId(n), now: FIXTURE_TIME })._unsafeUnwrap();
}

/** The queued assignment of `run`'s card, with id `fixtureId(n)`. */
export function assignmentFixture(run: OrchestrationRun, n: number): CardAssignment {
  const [card] = validated.cards;
  if (!card) throw new Error("the fixture run input has a card");
  return newCardAssignment(run, card, { assignment_id: fixtureId(n), now: FIXTURE_TIME })._unsafeUnwrap();
}

/** Writes a realistic run (`fixtureId(1)`) and its queued card (`fixtureId(2)`) in one write; answers both. */
export async function writeRunAndCard(
  storage: StoragePort,
): Promise<{ run: OrchestrationRun; assignment: CardAssignment }> {
  const run = runFixture(1);
  const assignment = assignmentFixture(run, 2);
  await okOf(
    storage.write({
      runs: [{ record: run, expected_version: null }],
      assignments: [{ record: assignment, expected_version: null }],
    }),
  );
  return { run, assignment };
}

/** A `run.created` event draft for `run`, with id `fixtureId(n)`. */
export function createdEvent(run: OrchestrationRun, n: number): RunEventDraft {
  return {
    id: fixtureId(n),
    run_id: run.id,
    project_id: run.project_id,
    event_type: "run.created",
    actor: "system:rungate",
    payload: {},
    created_at: FIXTURE_TIME,
  };
}

/**
 * Edits a stored run's JSON record behind the port's back, as an attacker would: reads the whole record (its
 * snapshots put back from `snapshots`), lets `mutate` change it, and writes it whole into the row's `record`
 * (an UPDATE), where its fields win over what the columns and `snapshots` hold.
 */
export async function tamperRunRow(
  db: SqlQueryable,
  schema: string,
  run_id: string,
  mutate: (raw: Record<string, unknown>) => void,
): Promise<void> {
  const whole = selectRun(schema, run_id);
  const { rows } = await db.query(whole.text, [...whole.values]);
  const row = rows[0] as { record: string } | undefined;
  if (!row) throw new Error(`tamperRunRow: no run ${run_id} in schema ${schema}`);
  const raw = JSON.parse(row.record) as Record<string, unknown>;
  mutate(raw);
  await db.query(`UPDATE "${schema}".runs SET record = $2::jsonb WHERE id = $1`, [
    run_id,
    JSON.stringify(raw),
  ]);
}

/** The versions recorded in a schema's migration ledger, ascending. */
export async function ledger(db: SqlQueryable, schema: string): Promise<number[]> {
  const { rows } = await db.query(`SELECT version FROM "${schema}".rungate_migrations ORDER BY version`);
  return rows.map((row) => (row as { version: number }).version);
}

/** The tables a schema holds, sorted. */
export async function tablesOf(db: SqlQueryable, schema: string): Promise<string[]> {
  const { rows } = await db.query(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name",
    [schema],
  );
  return rows.map((row) => (row as { table_name: string }).table_name);
}

/** The columns of one table, sorted. */
export async function columnsOf(db: SqlQueryable, schema: string, table: string): Promise<string[]> {
  const { rows } = await db.query(
    "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY column_name",
    [schema, table],
  );
  return rows.map((row) => (row as { column_name: string }).column_name);
}

/**
 * One in-memory PGlite for a test file (starting one costs seconds), opened before its tests and closed after
 * them; every test uses a schema of its own. Call at the top level of the file; the answer gives the instance.
 */
export function sharedPglite(): () => PGlite {
  let db: PGlite | undefined;
  beforeAll(async () => {
    db = await PGlite.create();
  }, 60_000);
  afterAll(async () => {
    await db?.close();
  });
  return () => {
    if (db === undefined) throw new Error("the shared PGlite is opened in beforeAll: use it inside a test");
    return db;
  };
}
