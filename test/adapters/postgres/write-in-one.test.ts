/**
 * Writes that leave out the snapshots `snapshots` holds (schema version 8): a store leaves out only what one of
 * its reads verified, and only a snapshot that is what its hash names; the rows stored are the same as when the
 * snapshots are sent; a snapshot row gone missing makes the function refuse, and the write goes whole.
 */
import { describe, expect, it } from "vitest";
import { createPgliteStorage, type PGliteLike } from "../../../src/adapters/postgres/index.js";
import { WRITE_FUNCTION } from "../../../src/adapters/postgres/write-function.js";
import type { StorageWrite } from "../../../src/index.js";
import { assignmentFixture, errOf, okOf, runFixture, schemaNamer, sharedPglite } from "./helpers.js";

const db = sharedPglite();
const nextSchema = schemaNamer("test/adapters/postgres/write-in-one.test.ts");

type Item = { record: Record<string, unknown> };
type Payload = { runs: Item[]; assignments: Item[] };

/** A PGlite that keeps the payload of each call of the write function. */
function recording(): { pglite: PGliteLike; payloads: Payload[] } {
  const payloads: Payload[] = [];
  const pglite: PGliteLike = {
    query: (text, params) => {
      if (text.includes(WRITE_FUNCTION)) payloads.push(JSON.parse(String(params?.[0])) as Payload);
      return db().query(text, params);
    },
    transaction: (callback) => db().transaction(callback),
    close: async () => undefined,
  };
  return { pglite, payloads };
}

const run = runFixture(1);
const assignment = assignmentFixture(run, 2);
const created: StorageWrite = {
  runs: [{ record: run, expected_version: null }],
  assignments: [{ record: assignment, expected_version: null }],
};
const updated: StorageWrite = {
  runs: [{ record: { ...run, phase: "preparing", status: "running" }, expected_version: 0 }],
  assignments: [{ record: { ...assignment, phase: "ready" }, expected_version: 0 }],
};

/** Every row of the record tables and `snapshots` in `schema`, as text. */
async function rowsOf(schema: string): Promise<string[]> {
  const rows: string[] = [];
  for (const table of ["runs", "assignments", "snapshots"]) {
    const { rows: found } = await db().query<{ row: string }>(
      `SELECT to_jsonb(t)::text AS row FROM "${schema}".${table} AS t ORDER BY 1`,
    );
    rows.push(...found.map((r) => r.row));
  }
  return rows;
}

/** A store (recording its payloads) that wrote the run and its card, then read the run's state once. */
async function storeThatRead() {
  const { pglite, payloads } = recording();
  const storage = await okOf(createPgliteStorage({ pglite, schema: nextSchema() }));
  await okOf(storage.write(created));
  await okOf(storage.readRunState?.(run.id) ?? Promise.reject());
  return { storage, payloads };
}

describe("writes leave out the snapshots a read verified", () => {
  it("sends a run and its card without them after a read, and stores the same rows as a whole write", async () => {
    const { pglite, payloads } = recording();
    const lean = await okOf(createPgliteStorage({ pglite, schema: nextSchema() }));
    await okOf(lean.write(created));
    expect(payloads[0]?.runs[0]?.record).toHaveProperty("system_policy_snapshot");
    await okOf(lean.readRunState?.(run.id) ?? Promise.reject());
    await okOf(lean.write(updated));
    const sent = payloads[1];
    expect(sent?.runs[0]?.record).not.toHaveProperty("system_policy_snapshot");
    expect(sent?.runs[0]?.record).not.toHaveProperty("run_input_snapshot");
    expect(sent?.assignments[0]?.record).not.toHaveProperty("assignment_input_snapshot");

    const whole = await okOf(createPgliteStorage({ pglite: db(), schema: nextSchema() }));
    await okOf(whole.write(created));
    await okOf(whole.write(updated));
    const [leanRows, wholeRows] = [await rowsOf(lean.schema), await rowsOf(whole.schema)];
    expect(leanRows).toEqual(wholeRows);
    expect(leanRows.length).toBe(5);
    const fresh = await okOf(createPgliteStorage({ pglite: db(), schema: lean.schema }));
    expect((await okOf(fresh.getRun(run.id))).system_policy_snapshot).toEqual(run.system_policy_snapshot);
  });

  it("sends a snapshot that is not what its hash names, whatever it knows of that hash", async () => {
    const { storage, payloads } = await storeThatRead();
    const forged = {
      ...runFixture(3),
      system_policy_snapshot: { ...run.system_policy_snapshot, forbidden_paths: [] },
    };
    await okOf(storage.write({ runs: [{ record: forged, expected_version: null }] }));
    expect(payloads.at(-1)?.runs[0]?.record.system_policy_snapshot).toEqual(forged.system_policy_snapshot);
    expect(await errOf(storage.getRun(forged.id))).toMatchObject({ code: "snapshot_hash_mismatch" });
    expect((await okOf(storage.getRun(run.id))).system_policy_snapshot).toEqual(run.system_policy_snapshot);
  });

  it("writes whole when a snapshot it left out is no longer in the store", async () => {
    const { storage, payloads } = await storeThatRead();
    await db().query(`DELETE FROM "${storage.schema}".snapshots WHERE hash = $1`, [
      run.snapshot_hashes?.run_input,
    ]);
    await okOf(storage.write(updated));
    expect(payloads.at(-1)?.runs[0]?.record).not.toHaveProperty("run_input_snapshot");
    // The function refused it; the statement-by-statement write stored the snapshot again.
    const fresh = await okOf(createPgliteStorage({ pglite: db(), schema: storage.schema }));
    const read = await okOf(fresh.getRun(run.id));
    expect(read.run_input_snapshot).toEqual(run.run_input_snapshot);
    expect(read.version).toBe(1);
  });
});
