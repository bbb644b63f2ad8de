/**
 * `readRunState` through `rungate_run_state` (migration 8): the snapshots a store verified before are named as
 * known, left out by the function and put back from the store's own verified copies; an edited snapshot is
 * still refused by any reader that did not verify it, and a record that keeps its own snapshot is always checked.
 */
import { describe, expect, it } from "vitest";
import {
  createPgliteStorage,
  type PGliteLike,
  type PostgresStorage,
} from "../../../src/adapters/postgres/index.js";
import { RUN_STATE_FUNCTION } from "../../../src/adapters/postgres/run-state-function.js";
import { errOf, okOf, schemaNamer, sharedPglite, tamperRunRow, writeRunAndCard } from "./helpers.js";

const db = sharedPglite();
const nextSchema = schemaNamer("test/adapters/postgres/run-state-function.test.ts");

/** A PGlite that records the parameters of each call of the run state function. */
function recording(): { pglite: PGliteLike; knownSent: unknown[] } {
  const knownSent: unknown[] = [];
  const pglite: PGliteLike = {
    query: (text, params) => {
      if (text.includes(RUN_STATE_FUNCTION)) knownSent.push(params?.[1]);
      return db().query(text, params);
    },
    transaction: (callback) => db().transaction(callback),
    close: async () => undefined,
  };
  return { pglite, knownSent };
}

/** A schema holding one run and its card; `storage` is the store that wrote them. */
async function storedRunAndCard(pglite: PGliteLike = db()) {
  const schema = nextSchema();
  const storage = await okOf(createPgliteStorage({ pglite, schema }));
  const { run, assignment } = await writeRunAndCard(storage);
  return { schema, storage, run, assignment };
}

function readState(storage: PostgresStorage, run_id: string) {
  if (!storage.readRunState) throw new Error("the SQL storage offers readRunState");
  return storage.readRunState(run_id);
}

describe("run state through rungate_run_state", () => {
  it("names the snapshots it verified before, and answers the same without receiving them again", async () => {
    const { pglite, knownSent } = recording();
    const { schema, storage, run, assignment } = await storedRunAndCard(pglite);
    const hashes = run.snapshot_hashes;
    if (!hashes || !assignment.assignment_input_hash) throw new Error("fixtures carry their hashes");

    const first = await okOf(readState(storage, run.id));
    const second = await okOf(readState(storage, run.id));
    expect(second).toEqual(first);
    expect(first.run).toEqual({ ...run, version: 0 });
    expect(knownSent[0]).toEqual([]);
    expect([...(knownSent[1] as string[])].sort()).toEqual(
      [hashes.system_policy, hashes.run_input, assignment.assignment_input_hash].sort(),
    );
    // The second answer carries the very values the first verified, not new copies.
    expect(second.run.system_policy_snapshot).toBe(first.run.system_policy_snapshot);
    expect(second.assignments[0]?.assignment_input_snapshot).toBe(
      first.assignments[0]?.assignment_input_snapshot,
    );

    // What the function sends: the record without the snapshots named as known, and with the others.
    const call = `SELECT record, assignments FROM "${schema}".${RUN_STATE_FUNCTION}($1, $2)`;
    const sent = async (known: string[]) => {
      const { rows } = await db().query<{ record: string; assignments: string }>(call, [run.id, known]);
      const row = rows[0];
      if (!row) throw new Error("the function answers a row for a stored run");
      const [card] = JSON.parse(row.assignments) as { record: string }[];
      return { run: JSON.parse(row.record), card: JSON.parse(card?.record ?? "{}") };
    };
    const without = await sent([hashes.system_policy, assignment.assignment_input_hash]);
    expect(without.run).not.toHaveProperty("system_policy_snapshot");
    expect(without.run.run_input_snapshot).toEqual(run.run_input_snapshot);
    expect(without.card).not.toHaveProperty("assignment_input_snapshot");
    const whole = await sent([]);
    expect(whole.run.system_policy_snapshot).toEqual(run.system_policy_snapshot);
    expect(whole.card.assignment_input_snapshot).toEqual(assignment.assignment_input_snapshot);
  });

  it("refuses an edited snapshot row unless it verified that hash before, then answers what the hash names", async () => {
    const { schema, storage, run } = await storedRunAndCard();
    const hashes = run.snapshot_hashes;
    if (!hashes) throw new Error("fixtures carry their hashes");
    await okOf(readState(storage, run.id));
    await db().query(
      `UPDATE "${schema}".snapshots SET snapshot = snapshot || '{"edited": true}'::jsonb WHERE hash = $1`,
      [hashes.system_policy],
    );

    const fresh = await okOf(createPgliteStorage({ pglite: db(), schema }));
    expect(await errOf(readState(fresh, run.id))).toMatchObject({
      kind: "validation",
      code: "snapshot_hash_mismatch",
    });
    expect(await errOf(storage.getRun(run.id))).toMatchObject({ code: "snapshot_hash_mismatch" });
    const again = await okOf(readState(storage, run.id));
    expect(again.run.system_policy_snapshot).toEqual(run.system_policy_snapshot);
    expect(again.run.system_policy_snapshot).not.toHaveProperty("edited");
  });

  it("checks a run record that keeps its own snapshot, even under a hash it knows", async () => {
    const { storage, schema, run } = await storedRunAndCard();
    await okOf(readState(storage, run.id));
    await tamperRunRow(db(), schema, run.id, (raw) => {
      raw.system_policy_snapshot = { ...(raw.system_policy_snapshot as object), edited: true };
    });
    expect(await errOf(readState(storage, run.id))).toMatchObject({
      kind: "validation",
      code: "snapshot_hash_mismatch",
    });
  });

  it("checks a card record that keeps its own snapshot, even under a hash it knows", async () => {
    const { storage, schema, run, assignment } = await storedRunAndCard();
    await okOf(readState(storage, run.id));
    await db().query(
      `UPDATE "${schema}".assignments SET record = record || '{"assignment_input_snapshot": {"edited": true}}'::jsonb
       WHERE id = $1`,
      [assignment.id],
    );
    expect(await errOf(readState(storage, run.id))).toMatchObject({
      kind: "validation",
      code: "snapshot_hash_mismatch",
    });
  });
});
