/**
 * The compact stored form of schema version 6 (src/adapters/postgres/stored-form.ts; issue 17, goal 4): what a
 * row keeps, in bytes where they are deterministic (the stored JSON of fixed records; `pg_total_relation_size`
 * is page-granular and reported by bench/storage-size.ts instead), snapshots kept once, idempotency keys
 * forgotten after their window, the two write paths storing the same rows, and migration 6 both ways. Events,
 * compacted further by version 7: compact-events.test.ts.
 */
import { describe, expect, it } from "vitest";
import {
  createPgliteStorage,
  fromPglite,
  LATEST_SCHEMA_VERSION,
  migrateSchema,
} from "../../../src/adapters/postgres/index.js";
import { fixtureId } from "../../../src/testing/fixtures.js";
import {
  assignmentFixture,
  createdEvent,
  errOf,
  okOf,
  runFixture,
  schemaNamer,
  sharedPglite,
  writeRunAndCard,
} from "./helpers.js";
import { storedRows } from "./stored-rows.js";

/** One in-memory PGlite for the whole file; every test gets its own schema. */
const db = sharedPglite();

const nextSchema = schemaNamer("test/adapters/postgres/compact-storage.test.ts");
const {
  openStorage,
  openStatementsOnly,
  dropSchema,
  rowsOf,
  lifecycleWrites,
  everyRow,
  everyRead,
  writtenAt,
} = storedRows(() => db(), nextSchema);

describe("compact storage: what a row keeps", () => {
  it("stores a run without its snapshots, id and version, and reads it back whole", async () => {
    const storage = await openStorage();
    const run = runFixture(1);
    await okOf(storage.write({ runs: [{ record: run, expected_version: null }] }));

    const [row] = await rowsOf<{ length: number; keys: string[] }>(
      `SELECT octet_length(record::text) AS length, ARRAY(SELECT jsonb_object_keys(record) ORDER BY 1) AS keys
       FROM "${storage.schema}".runs`,
    );
    for (const gone of ["id", "version", "system_policy_snapshot", "run_input_snapshot"]) {
      expect(row?.keys).not.toContain(gone);
    }
    // Version 5: 4,205 characters (2,391 bytes compressed), the policy and the run's input inside every run.
    expect(row?.length).toBeLessThanOrEqual(742);
    expect(await okOf(storage.getRun(run.id))).toEqual(run);
    await dropSchema(storage.schema);
  });

  it("stores a card without its snapshot, id, run and version, and reads it back whole", async () => {
    const storage = await openStorage();
    const { assignment } = await writeRunAndCard(storage);
    const [row] = await rowsOf<{ keys: string[] }>(
      `SELECT ARRAY(SELECT jsonb_object_keys(record) ORDER BY 1) AS keys FROM "${storage.schema}".assignments`,
    );
    for (const gone of ["id", "run_id", "version", "assignment_input_snapshot"]) {
      expect(row?.keys).not.toContain(gone);
    }
    expect(await okOf(storage.getAssignment(assignment.id))).toEqual(assignment);
    await dropSchema(storage.schema);
  });

  it("keeps a snapshot shared by several runs once, under its hash", async () => {
    const storage = await openStorage();
    const runs = [runFixture(1), runFixture(2), runFixture(3)];
    await okOf(storage.write({ runs: runs.map((record) => ({ record, expected_version: null })) }));
    const policy = runs[0]?.snapshot_hashes?.system_policy;
    const counted = await rowsOf<{ copies: number; all: number }>(
      `SELECT count(*) FILTER (WHERE hash = $1)::int AS copies, count(*)::int AS all
       FROM "${storage.schema}".snapshots`,
      [policy],
    );
    // The three runs share their policy and, built from one input, their input too.
    expect(counted).toEqual([{ copies: 1, all: 2 }]);
    for (const run of runs) expect(await okOf(storage.getRun(run.id))).toEqual(run);
    await dropSchema(storage.schema);
  });

  it("fails every run that shares a snapshot edited in place (snapshot_hash_mismatch)", async () => {
    const storage = await openStorage();
    const runs = [runFixture(1), runFixture(2)];
    await okOf(storage.write({ runs: runs.map((record) => ({ record, expected_version: null })) }));
    await db().query(
      `UPDATE "${storage.schema}".snapshots SET snapshot = jsonb_set(snapshot, '{forbidden_paths}', '[]')
       WHERE hash = $1`,
      [runs[0]?.snapshot_hashes?.system_policy],
    );
    for (const run of runs) {
      expect(await errOf(storage.getRun(run.id))).toMatchObject({ code: "snapshot_hash_mismatch" });
    }
    await dropSchema(storage.schema);
  });

  it("keeps inline a snapshot that does not match its hash, leaving the stored one untouched", async () => {
    const storage = await openStorage();
    const good = runFixture(1);
    const bad = {
      ...runFixture(2),
      system_policy_snapshot: { ...good.system_policy_snapshot, forbidden_paths: [] },
    };
    await okOf(storage.write({ runs: [good, bad].map((record) => ({ record, expected_version: null })) }));
    const inline = await rowsOf<{ id: string; inline: boolean }>(
      `SELECT id, record ? 'system_policy_snapshot' AS inline FROM "${storage.schema}".runs ORDER BY seq`,
    );
    expect(inline).toEqual([
      { id: good.id, inline: false },
      { id: bad.id, inline: true },
    ]);
    expect(await okOf(storage.getRun(good.id))).toEqual(good);
    expect(await errOf(storage.getRun(bad.id))).toMatchObject({ code: "snapshot_hash_mismatch" });
    await dropSchema(storage.schema);
  });
});

/** Makes the keys named older than their default window (a day and a minute, by the database's clock). */
async function age(schema: string, keys: readonly string[], by = "1 day 1 minute"): Promise<void> {
  await db().query(
    `UPDATE "${schema}".idempotency_keys SET created_at = now() - $2::interval WHERE key = ANY($1)`,
    [keys, by],
  );
}

async function keysOf(schema: string): Promise<string[]> {
  const rows = await rowsOf<{ key: string }>(`SELECT key FROM "${schema}".idempotency_keys ORDER BY key`);
  return rows.map((r) => r.key);
}

describe("compact storage: idempotency keys are forgotten after their window", () => {
  for (const path of ["in one statement", "statement by statement"] as const) {
    it(`prunes keys past the window at the next keyed write, and replays a key within it (${path})`, async () => {
      const storage = path === "in one statement" ? await openStorage() : await openStatementsOnly();
      const [old, fresh] = [runFixture(1), runFixture(2)];
      const create = (run: typeof old) => ({
        runs: [{ record: run, expected_version: null }],
        events: [createdEvent(run, 10 + Number.parseInt(run.id.slice(-4), 16))],
      });
      await okOf(storage.write({ ...create(old), idempotency_key: "old" }));
      const first = await okOf(storage.write({ ...create(fresh), idempotency_key: "fresh" }));
      await age(storage.schema, ["old"]);

      await okOf(storage.write({ idempotency_key: "next" }));
      expect(await keysOf(storage.schema)).toEqual(["fresh", "next"]);
      expect(await okOf(storage.write({ ...create(fresh), idempotency_key: "fresh" }))).toEqual({
        ...first,
        replayed: true,
      });
      // Forgotten: the write applies again, and meets the run it created a day ago.
      expect(await errOf(storage.write({ ...create(old), idempotency_key: "old" }))).toMatchObject({
        kind: "conflict",
        code: "already_exists",
      });
      await dropSchema(storage.schema);
    });
  }

  it("keeps a key's result without its snapshots, its events as ids, and replays it whole", async () => {
    const storage = await openStorage();
    const run = runFixture(1);
    const assignment = assignmentFixture(run, 2);
    const write = {
      idempotency_key: "create",
      runs: [{ record: run, expected_version: null }],
      assignments: [{ record: assignment, expected_version: null }],
      events: [createdEvent(run, 3), { ...createdEvent(run, 4), event_type: "assignment.created" }],
    };
    const first = await okOf(storage.write(write));

    const [stored] = await rowsOf<{ result: Record<string, Record<string, unknown>[]>; length: number }>(
      `SELECT result, octet_length(result::text) AS length FROM "${storage.schema}".idempotency_keys`,
    );
    expect(Object.keys(stored?.result.runs?.[0] ?? {})).not.toContain("system_policy_snapshot");
    expect(Object.keys(stored?.result.runs?.[0] ?? {})).not.toContain("run_input_snapshot");
    expect(Object.keys(stored?.result.assignments?.[0] ?? {})).not.toContain("assignment_input_snapshot");
    expect(stored?.result.events).toEqual([fixtureId(3), fixtureId(4)]);
    // Version 5 kept the whole answer: 5,919 characters for this write (3,010 bytes compressed).
    expect(stored?.length).toBeLessThanOrEqual(1_633);
    expect(await okOf(storage.write(write))).toEqual({ ...first, replayed: true });
    await dropSchema(storage.schema);
  });

  it("takes its window from idempotencyWindowMs, and refuses a window that is not a positive duration", async () => {
    const storage = await openStorage({ idempotencyWindowMs: 60_000 });
    await okOf(storage.write({ idempotency_key: "a" }));
    await okOf(storage.write({ idempotency_key: "b" }));
    await age(storage.schema, ["a"], "61 seconds");
    await age(storage.schema, ["b"], "59 seconds");
    await okOf(storage.write({ idempotency_key: "c" }));
    expect(await keysOf(storage.schema)).toEqual(["b", "c"]);
    await dropSchema(storage.schema);

    for (const idempotencyWindowMs of [0, -1, 1.5, 1e15]) {
      expect(() => createPgliteStorage({ pglite: db(), idempotencyWindowMs })).toThrow(
        /idempotencyWindowMs.*Usage: createPgliteStorage/s,
      );
    }
  });
});

describe("compact storage: both write paths store the same rows", () => {
  it("in one statement and statement by statement, a lifecycle leaves identical rows", async () => {
    const writes = await lifecycleWrites();
    const [one, statements] = [await openStorage(), await openStatementsOnly()];
    for (const write of writes) {
      await okOf(one.write(write));
      await okOf(statements.write(write));
    }
    expect(await everyRow(statements.schema)).toEqual(await everyRow(one.schema));
    expect(await everyRead(statements, writes)).toEqual(await everyRead(one, writes));
    await dropSchema(one.schema);
    await dropSchema(statements.schema);
  });
});

describe("compact storage: migration 6", () => {
  it("converts rows down to exactly what version 5 wrote, and up to exactly what version 6 writes", async () => {
    const writes = await lifecycleWrites();
    const client = fromPglite(db());
    // Each version's rows, written through its own function; and this release's, through the port.
    const v5 = await writtenAt(5, writes);
    const v6 = await writtenAt(6, writes);
    const rows6 = await everyRow(v6);
    const latest = await openStorage();
    for (const write of writes) await okOf(latest.write(write));
    const reads = await everyRead(latest, writes);
    const rows = await everyRow(latest.schema);

    expect(await okOf(migrateSchema(client, { schema: v6, target: 5 }))).toEqual({ from: 6, to: 5 });
    expect(await everyRow(v6)).toEqual(await everyRow(v5));

    expect(await okOf(migrateSchema(client, { schema: v5, target: 6 }))).toEqual({ from: 5, to: 6 });
    expect(await everyRow(v5)).toEqual(rows6);
    // And on to this release: the rows and the reads of a store written by it.
    expect(await okOf(migrateSchema(client, { schema: v5 }))).toEqual({ from: 6, to: LATEST_SCHEMA_VERSION });
    expect(await everyRow(v5)).toEqual(rows);
    const upgraded = await okOf(createPgliteStorage({ pglite: db(), schema: v5 }));
    expect(await everyRead(upgraded, writes)).toEqual(reads);
    // And the migrated store keeps working: a new event follows the lifecycle's.
    const runId = writes[0]?.runs?.[0]?.record.id ?? "";
    const more = await okOf(
      upgraded.write({ events: [{ ...createdEvent(runFixture(1), 7), run_id: runId }] }),
    );
    expect(more.events[0]?.sequence).toBe(
      (writes.flatMap((w) => w.events ?? []).filter((e) => e.run_id === runId).length ?? 0) + 1,
    );
    for (const schema of [v5, v6, latest.schema]) await dropSchema(schema);
  });

  it("keeps inline what the compact form cannot rebuild: an id or run that disagrees with its column", async () => {
    const schema = nextSchema();
    const client = fromPglite(db());
    const storage = await openStorage({ schema });
    const run = runFixture(1);
    const assignment = assignmentFixture(run, 2);
    await okOf(
      storage.write({
        runs: [{ record: run, expected_version: null }],
        assignments: [{ record: assignment, expected_version: null }],
        events: [createdEvent(run, 3)],
      }),
    );
    await okOf(migrateSchema(client, { schema, target: 5 }));
    // An operator's edits at version 5, which read the ids from the JSON.
    await db().query(
      `UPDATE "${schema}".assignments SET record = jsonb_set(record, '{id}', to_jsonb($1::text))`,
      [fixtureId(77)],
    );
    await db().query(`UPDATE "${schema}".events SET record = jsonb_set(record, '{id}', to_jsonb($1::text))`, [
      fixtureId(78),
    ]);
    await okOf(migrateSchema(client, { schema }));
    expect(await okOf(storage.getAssignment(assignment.id))).toEqual({ ...assignment, id: fixtureId(77) });
    expect((await okOf(storage.listEvents(run.id)))[0]?.id).toBe(fixtureId(78));
    await dropSchema(schema);
  });
});
