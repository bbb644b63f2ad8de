/**
 * The stored form of events at schema version 7 (src/adapters/postgres/event-form.ts; issue 17, goal 4): what a
 * row keeps, that every read of an event answers byte for byte the text version 6 answered (key order included:
 * `listEvents` and a replayed key, written either way or migrated), the rows kept whole (an event whose own
 * fields are not just a type, an actor and a payload, a kind past the limit or too long), and migration 7 both
 * ways. The size itself: stored-size.test.ts.
 */
import { describe, expect, it } from "vitest";
import { EVENT_KINDS_LIMIT } from "../../../src/adapters/postgres/event-form.js";
import { fromPglite, LATEST_SCHEMA_VERSION, migrateSchema } from "../../../src/adapters/postgres/index.js";
import { idempotencyResult, listEvents } from "../../../src/adapters/postgres/plans.js";
import { fullEventV6, fullResult } from "../../../src/adapters/postgres/stored-form.js";
import type { RunEventDraft, StorageWrite } from "../../../src/index.js";
import { FIXTURE_TIME, fixtureId } from "../../../src/testing/fixtures.js";
import { createdEvent, okOf, runFixture, schemaNamer, sharedPglite } from "./helpers.js";
import { storedRows } from "./stored-rows.js";

/** One in-memory PGlite for the whole file; every test gets its own schema. */
const db = sharedPglite();

const nextSchema = schemaNamer("test/adapters/postgres/compact-events.test.ts");
const {
  openStorage,
  openStatementsOnly,
  dropSchema,
  rowsOf,
  lifecycleWrites,
  everyRow,
  writeThroughFunction,
  writtenAt,
} = storedRows(() => db(), nextSchema);

const run = runFixture(1);
const card = fixtureId(0xcad);
const sha = "5b89bc52fbcd2f50c212c72203a2ccd4bf1cfdb2";

/** An event of `run` with id `fixtureId(0x5000 + n)` (none of a lifecycle's): a `run.created` draft, `changes` over it. */
function event(n: number, changes: Partial<RunEventDraft> = {}): RunEventDraft {
  return { ...createdEvent(run, 0x5000 + n), ...changes };
}

/**
 * Events of every shape the compact form has a rule for, and the odd ones around each rule: a card's id and a
 * head SHA as columns (or not: uppercase, a number, null, too short, too long), kinds new and repeated, an event
 * type no release knows, payloads empty or nested, numbers, escapes, keys of equal length, and own fields the
 * columns cannot give back (the row is then kept whole).
 */
const ODD_EVENTS: readonly RunEventDraft[] = [
  event(10, {
    event_type: "assignment.transitioned",
    payload: { to: "ready", from: "preparing", event: "workspace_ready", assignment_id: card },
  }),
  event(11, {
    event_type: "assignment.transitioned",
    payload: { assignment_id: card, event: "dispatch", from: "ready", to: "agent_running" },
  }),
  event(12, {
    event_type: "check.completed",
    payload: { status: "passed", head_sha: sha, check_type: "lint", duration_ms: 1, assignment_id: card },
  }),
  event(13, { event_type: "check.completed", payload: { head_sha: sha.toUpperCase(), assignment_id: 7 } }),
  event(14, { payload: { assignment_id: card.toUpperCase(), head_sha: sha.slice(1) } }),
  event(15, { payload: { assignment_id: null, head_sha: null } }),
  event(16, { payload: { head_sha: `${sha}${sha.slice(0, 24)}`, assignment_id: `${card} ` } }),
  event(17, { payload: { assignment_id: { id: card }, head_sha: [sha] } }),
  event(18, {
    event_type: "host.something_new",
    actor: "user:zoë",
    payload: {
      b: 1,
      a: 2,
      ab: [1.5, 0.1, 1e21, 2 ** 60, { z: null, y: "" }],
      ünï: 'line\nbreak "quoted" \\ tab\t \u2028 😀',
      nested: { assignment_id: card, head_sha: sha, deeper: { x: [true, false, null] } },
    },
  }),
  event(19, { payload: {} }),
  event(20, { event_type: "host.something_new", actor: "user:zoë", payload: { a: 1, b: 2, ab: 3 } }),
  event(21, { actor: `agent:${"x".repeat(1_200)}`, payload: { assignment_id: card } }),
  event(22, { payload: { ["k".repeat(600)]: 1, ["l".repeat(600)]: 2 } }),
  // Own fields the columns cannot give back: the row keeps them, and is kept whole.
  event(23, { id: fixtureId(0x5abc).toUpperCase(), payload: { assignment_id: card, head_sha: sha } }),
  event(24, { created_at: "2026-01-01T01:00:00+01:00", payload: { assignment_id: card } }),
  event(25, { project_id: fixtureId(99), created_at: FIXTURE_TIME, payload: { head_sha: sha } }),
];

/** The run, then the odd events, then the same kinds again (found, not added), each write keyed. */
const ODD_WRITES: readonly StorageWrite[] = [
  { idempotency_key: "run", runs: [{ record: run, expected_version: null }], events: [event(2)] },
  { idempotency_key: "odd", events: [...ODD_EVENTS] },
  {
    idempotency_key: "again",
    events: [
      event(30, { event_type: "assignment.transitioned", payload: { to: "a", from: "b", event: "c" } }),
      event(31, { event_type: "host.something_new", actor: "user:zoë", payload: { ab: 0, a: 0, b: 0 } }),
    ],
  },
];

/** The text of every event of `run` as a version 6 store reads it (plans.ts `listEvents` of version 6). */
async function eventTextsAt6(schema: string): Promise<string[]> {
  const rows = await rowsOf<{ record: string }>(
    `SELECT ${fullEventV6("e", "r")}::text AS record FROM "${schema}".runs AS r
     JOIN "${schema}".events AS e ON e.run_seq = r.seq WHERE r.id = $1 ORDER BY e.sequence`,
    [run.id],
  );
  return rows.map((row) => row.record);
}

/** The text of every event of `run` as this release reads it: the very statement `listEvents` sends. */
async function eventTexts(schema: string): Promise<string[]> {
  const plan = listEvents(schema, run.id, null);
  const rows = await rowsOf<{ record: string }>(plan.text, [...plan.values]);
  return rows.map((row) => row.record);
}

/** The text of a key's stored result, read back whole: by version 6's reader, or by this release's statement. */
async function keyText(schema: string, key: string, at6 = false): Promise<string> {
  const plan = idempotencyResult(schema, key);
  const text = at6
    ? `SELECT (${fullResult(`"${schema}"`, "k.result", fullEventV6)})::text AS result
       FROM "${schema}".idempotency_keys AS k WHERE k.key = $1::text`
    : plan.text;
  const [row] = await rowsOf<{ result: string }>(text, [key]);
  return row?.result ?? "";
}

describe("compact events: what a row keeps", () => {
  it("keeps a kind once, the payload's values as a json array, the card's id and the head SHA as columns", async () => {
    const storage = await openStorage();
    const transition = (n: number, to: string) =>
      event(n, {
        event_type: "assignment.transitioned",
        payload: { to, from: "queued", event: "start", assignment_id: card },
      });
    const check = event(5, {
      event_type: "check.completed",
      payload: { status: "passed", head_sha: sha, assignment_id: card },
    });
    await okOf(
      storage.write({
        runs: [{ record: run, expected_version: null }],
        events: [transition(3, "preparing"), transition(4, "ready"), check],
      }),
    );

    const rows = await rowsOf<{
      kind: number;
      card: string | null;
      sha: string | null;
      body: string;
      size: number;
    }>(
      `SELECT kind, assignment_id::text AS card, encode(head_sha, 'hex') AS sha, body::text AS body,
              pg_column_size(e.*) AS size
       FROM "${storage.schema}".events AS e ORDER BY sequence`,
    );
    expect(rows.map(({ size: _, ...row }) => row)).toEqual([
      { kind: 1, card, sha: null, body: '["preparing","queued","start"]' },
      { kind: 1, card, sha: null, body: '["ready","queued","start"]' },
      { kind: 2, card, sha, body: '["passed"]' },
    ]);
    // Version 6: 207 bytes of jsonb in a row of 271 for the first, 284 for the check. Now 31 bytes of json in a
    // row of 111 (the card's uuid and a kind beside the columns), 112 for the check (its SHA in 21 bytes).
    expect(rows.map((row) => row.size)).toEqual([111, 107, 112]);
    expect(
      await rowsOf(
        `SELECT code, event_type, actor, payload_keys FROM "${storage.schema}".event_kinds ORDER BY code`,
      ),
    ).toEqual([
      {
        code: 1,
        event_type: "assignment.transitioned",
        actor: "system:rungate",
        payload_keys: ["to", "from", "event"],
      },
      { code: 2, event_type: "check.completed", actor: "system:rungate", payload_keys: ["status"] },
    ]);
    expect(await okOf(storage.listEvents(run.id))).toEqual(
      [transition(3, "preparing"), transition(4, "ready"), check].map((e, i) => ({ ...e, sequence: i + 1 })),
    );
    await dropSchema(storage.schema);
  });

  it("keeps an event whole where its own fields are more than a type, an actor and a payload", async () => {
    const storage = await openStorage();
    await okOf(
      storage.write({ runs: [{ record: run, expected_version: null }], events: ODD_EVENTS.slice(-3) }),
    );
    const rows = await rowsOf<{ kind: number | null; card: string | null; keys: string[] }>(
      `SELECT kind, assignment_id::text AS card, ARRAY(SELECT json_object_keys(body) ORDER BY 1) AS keys
       FROM "${storage.schema}".events ORDER BY sequence`,
    );
    const own = ["actor", "event_type", "payload"];
    expect(rows).toEqual([
      { kind: null, card: null, keys: [...own, "id"].sort() },
      { kind: null, card: null, keys: [...own, "created_at"].sort() },
      { kind: null, card: null, keys: [...own, "project_id"].sort() },
    ]);
    expect(await okOf(storage.listEvents(run.id))).toEqual(
      ODD_EVENTS.slice(-3).map((e, i) => ({ ...e, sequence: i + 1 })),
    );
    await dropSchema(storage.schema);
  });

  it("adds no kind past the limit, nor one too long for its index: those events are kept whole", async () => {
    const storage = await openStorage();
    await okOf(storage.write({ runs: [{ record: run, expected_version: null }], events: [event(2)] }));
    await db().query(
      `INSERT INTO "${storage.schema}".event_kinds (code, event_type, actor, payload_keys)
       VALUES ($1, 'filler', 'filler', '{}')`,
      [EVENT_KINDS_LIMIT],
    );
    const events = [event(3), event(4, { event_type: "after.the_limit" }), ODD_EVENTS[11], ODD_EVENTS[12]];
    await okOf(storage.write({ events: events.filter((e) => e !== undefined) }));
    const rows = await rowsOf<{ kind: number | null }>(
      `SELECT kind FROM "${storage.schema}".events ORDER BY sequence`,
    );
    // The first kind, stored before the limit was reached, is still found.
    expect(rows).toEqual([{ kind: 1 }, { kind: 1 }, { kind: null }, { kind: null }, { kind: null }]);
    expect(await okOf(storage.listEvents(run.id))).toEqual(
      [event(2), ...events].map((e, i) => ({ ...e, sequence: i + 1 })),
    );
    await dropSchema(storage.schema);
  });
});

describe("compact events: every read answers what version 6 answered", () => {
  it("reads each event and each replayed key byte for byte as version 6 did, whichever way it was written", async () => {
    const v6 = await writtenAt(6, ODD_WRITES);
    const [one, statements] = [await openStorage(), await openStatementsOnly()];
    for (const write of ODD_WRITES) {
      await okOf(one.write(write));
      await okOf(statements.write(write));
    }

    const expected = await eventTextsAt6(v6);
    expect(expected).toHaveLength(1 + ODD_EVENTS.length + 2);
    expect(await eventTexts(one.schema)).toEqual(expected);
    expect(await eventTexts(statements.schema)).toEqual(expected);
    for (const key of ["run", "odd", "again"]) {
      const answer = await keyText(v6, key, true);
      expect(await keyText(one.schema, key)).toEqual(answer);
      expect(await keyText(statements.schema, key)).toEqual(answer);
    }
    // What the port answers: the events as written, key order included (a payload's, as `jsonb` orders it).
    const listed = await okOf(one.listEvents(run.id));
    expect(JSON.stringify(listed)).toBe(JSON.stringify(await okOf(statements.listEvents(run.id))));
    expect(listed).toEqual(
      ODD_WRITES.flatMap((w) => w.events ?? []).map((e, i) => ({ ...e, sequence: i + 1 })),
    );
    expect(await everyRow(statements.schema)).toEqual(await everyRow(one.schema));
    for (const schema of [v6, one.schema, statements.schema]) await dropSchema(schema);
  });

  it("reads a store written at version 6 the same once migrated to 7, replays through the function included", async () => {
    const v6 = await writtenAt(6, ODD_WRITES);
    const events = await eventTextsAt6(v6);
    const keys = [await keyText(v6, "run", true), await keyText(v6, "odd", true)];
    const replay = await writeThroughFunction(v6, ODD_WRITES[1] ?? {});
    expect(JSON.parse(replay)).toMatchObject({ replayed: true });

    expect(await okOf(migrateSchema(fromPglite(db()), { schema: v6, target: 7 }))).toEqual({
      from: 6,
      to: 7,
    });
    expect(await eventTexts(v6)).toEqual(events);
    expect([await keyText(v6, "run"), await keyText(v6, "odd")]).toEqual(keys);
    expect(await writeThroughFunction(v6, ODD_WRITES[1] ?? {})).toBe(replay);
    const kinds = await rowsOf<{ code: number; event_type: string; payload_keys: string[] }>(
      `SELECT code, event_type, payload_keys FROM "${v6}".event_kinds ORDER BY code`,
    );
    // In order of first appearance; the kinds too long to index are not there.
    expect(kinds.map((k) => [k.event_type, k.payload_keys])).toEqual([
      ["run.created", []],
      ["assignment.transitioned", ["to", "from", "event"]],
      ["check.completed", ["status", "check_type", "duration_ms"]],
      ["check.completed", ["head_sha", "assignment_id"]],
      ["run.created", ["head_sha", "assignment_id"]],
      ["host.something_new", ["a", "b", "ab", "ünï", "nested"]],
      ["host.something_new", ["a", "b", "ab"]],
    ]);
    await dropSchema(v6);
  });
});

describe("compact events: migration 7", () => {
  it("goes 6 → 7 → 6 back to exactly the rows version 6 wrote, and 7 → 6 → 7 to those 7 wrote", async () => {
    const writes = [...(await lifecycleWrites()), ...ODD_WRITES];
    const client = fromPglite(db());
    const v6 = await writtenAt(6, writes);
    const rows6 = await everyRow(v6);
    const latest = await openStorage();
    for (const write of writes) await okOf(latest.write(write));
    const rows7 = await everyRow(latest.schema);

    expect(await okOf(migrateSchema(client, { schema: v6, target: 7 }))).toEqual({ from: 6, to: 7 });
    expect(await everyRow(v6)).toEqual(rows7);
    expect(await okOf(migrateSchema(client, { schema: v6, target: 6 }))).toEqual({ from: 7, to: 6 });
    expect(await everyRow(v6)).toEqual(rows6);

    expect(await okOf(migrateSchema(client, { schema: latest.schema, target: 6 }))).toEqual({
      from: LATEST_SCHEMA_VERSION,
      to: 6,
    });
    expect(await everyRow(latest.schema)).toEqual(rows6);
    expect(await okOf(migrateSchema(client, { schema: latest.schema }))).toEqual({
      from: 6,
      to: LATEST_SCHEMA_VERSION,
    });
    expect(await everyRow(latest.schema)).toEqual(rows7);
    await dropSchema(v6);
    await dropSchema(latest.schema);
  });
});
