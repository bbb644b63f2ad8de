import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPostgresStorage,
  fromPgPool,
  type PgPoolLike,
  type PostgresStorage,
} from "../../../src/adapters/postgres/index.js";
import { describeStoragePortContract } from "../../../src/testing/contracts/storage-port.js";
import { fixtureId } from "../../../src/testing/fixtures.js";
import { createdEvent, errOf, ledger, okOf, runFixture, schemaNamer, tamperRunRow } from "./helpers.js";

/**
 * Runs against a real Postgres server when RUNGATE_TEST_DATABASE_URL is set (e.g.
 * postgres://postgres@127.0.0.1:54329/postgres; docs/adapters/postgres.md shows how to start a throwaway one).
 * Every test works in its own schema, named from a hash of this file and the test's name, dropped afterwards.
 */
const url = process.env.RUNGATE_TEST_DATABASE_URL;
const title = url
  ? "postgres storage (RUNGATE_TEST_DATABASE_URL)"
  : "postgres storage: skipped because RUNGATE_TEST_DATABASE_URL is not set (see docs/adapters/postgres.md)";

const nextSchema = schemaNamer("test/adapters/postgres/postgres-storage.test.ts");

describe.skipIf(!url)(title, () => {
  let pool: pg.Pool;
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: url, max: 20 });
  });
  afterAll(async () => {
    await pool?.end();
  });

  const open = (schema = nextSchema()): Promise<PostgresStorage> =>
    okOf(createPostgresStorage({ pool, schema }));
  const drop = async (schema: string): Promise<void> => {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  };

  describeStoragePortContract({
    name: "postgres (pg.Pool, a schema per test)",
    make: () => open(),
    cleanup: (port) => drop((port as PostgresStorage).schema),
    capabilities: {
      leases: true,
      changes: true,
      listCardAssignments: true,
      tamper: (port, run_id, mutate) =>
        tamperRunRow(fromPgPool(pool), (port as PostgresStorage).schema, run_id, mutate),
    },
    concurrency_timeout_ms: 120_000,
  });

  describe("postgres storage: opening", () => {
    it("applies each migration once when five processes (five pools) open the same schema at once", async () => {
      const schema = nextSchema();
      const pools = Array.from({ length: 5 }, () => new pg.Pool({ connectionString: url, max: 2 }));
      try {
        const opened = await Promise.all(pools.map((p) => okOf(createPostgresStorage({ pool: p, schema }))));
        expect(opened.map((s) => s.schema)).toEqual(Array(5).fill(schema));
        expect(await ledger(fromPgPool(pool), schema)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        const [first, , , , last] = opened;
        if (!first || !last) throw new Error("five storages were opened");
        const run = runFixture(1);
        await okOf(first.write({ runs: [{ record: run, expected_version: null }] }));
        expect(await okOf(last.getRun(run.id))).toEqual(run);
      } finally {
        await Promise.all(pools.map((p) => p.end()));
        await drop(schema);
      }
    }, 60_000);

    it("opens from a connection string with a pool of its own, which close() ends", async () => {
      const schema = nextSchema();
      const storage = await okOf(createPostgresStorage({ connectionString: url ?? "", schema, max: 2 }));
      const run = runFixture(1);
      await okOf(
        storage.write({ runs: [{ record: run, expected_version: null }], events: [createdEvent(run, 2)] }),
      );
      expect(await okOf(storage.getRun(run.id))).toEqual(run);
      await okOf(storage.close());
      expect(await errOf(storage.getRun(run.id))).toMatchObject({ kind: "port_failure" });
      await drop(schema);
    }, 60_000);

    it("serialises events of one run written by many connections at once: sequences 1..n, no gaps", async () => {
      const storage = await open();
      const run = runFixture(1);
      await okOf(storage.write({ runs: [{ record: run, expected_version: null }] }));
      await Promise.all(
        Array.from({ length: 40 }, (_, i) => okOf(storage.write({ events: [createdEvent(run, 100 + i)] }))),
      );
      const events = await okOf(storage.listEvents(run.id));
      expect(events.map((e) => e.sequence)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(new Set(events.map((e) => e.id)).size).toBe(40);
      await drop(storage.schema);
    }, 60_000);

    it("resolves writes updating two runs in opposite orders (a deadlock, retried): one applies, the other is stale", async () => {
      const storage = await open();
      const [a, b] = [runFixture(1), runFixture(2)];
      await okOf(storage.write({ runs: [a, b].map((record) => ({ record, expected_version: null })) }));
      for (let round = 0; round < 3; round++) {
        const outcomes = await Promise.all([
          storage.write({ runs: [a, b].map((record) => ({ record, expected_version: round })) }),
          storage.write({ runs: [b, a].map((record) => ({ record, expected_version: round })) }),
        ]);
        expect(outcomes.filter((o) => o.isOk())).toHaveLength(1);
        const loser = outcomes.find((o) => o.isErr());
        expect(loser?.isErr() && loser.error).toMatchObject({ kind: "conflict", code: "stale_version" });
      }
      expect((await okOf(storage.getRun(a.id))).version).toBe(3);
      expect((await okOf(storage.getRun(b.id))).version).toBe(3);
      await drop(storage.schema);
    }, 60_000);

    it("replays one of several concurrent writes with the same idempotency key, applying it once", async () => {
      const storage = await open();
      const run = runFixture(1);
      await okOf(storage.write({ runs: [{ record: run, expected_version: null }] }));
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          okOf(storage.write({ idempotency_key: "same", events: [createdEvent(run, 200 + i)] })),
        ),
      );
      expect(results.filter((r) => !r.replayed)).toHaveLength(1);
      expect(new Set(results.map((r) => r.events[0]?.id))).toEqual(new Set([results[0]?.events[0]?.id]));
      expect(await okOf(storage.listEvents(run.id))).toHaveLength(1);
      await drop(storage.schema);
    }, 60_000);

    it("never waits for a kind of event another open transaction is adding: that event is kept whole", async () => {
      const storage = await open();
      const { schema } = storage;
      const run = runFixture(1);
      const novel = {
        ...createdEvent(run, 2),
        event_type: "host.novel",
        actor: "user:eve",
        payload: { k: 1 },
      };
      const kind = `SELECT "${schema}".rungate_event_kind('host.novel', 'user:eve', '{k}') AS code`;
      const holder = await pool.connect();
      try {
        await holder.query("BEGIN");
        expect((await holder.query(kind)).rows).toEqual([{ code: 1 }]);
        // Another connection, while that transaction is open: no kind, and no wait (the write would hang).
        expect((await pool.query(kind)).rows).toEqual([{ code: null }]);
        await okOf(storage.write({ runs: [{ record: run, expected_version: null }], events: [novel] }));
        await holder.query("COMMIT");
        expect((await pool.query(kind)).rows).toEqual([{ code: 1 }]);
        await okOf(storage.write({ events: [{ ...novel, id: fixtureId(3) }] }));
        const rows = await pool.query(`SELECT kind FROM "${schema}".events ORDER BY sequence`);
        expect(rows.rows).toEqual([{ kind: null }, { kind: 1 }]);
        expect(await okOf(storage.listEvents(run.id))).toEqual([
          { ...novel, sequence: 1 },
          { ...novel, id: fixtureId(3), sequence: 2 },
        ]);
      } finally {
        await holder.query("ROLLBACK").catch(() => undefined);
        holder.release();
        await drop(schema);
      }
    }, 60_000);
  });

  describe("postgres storage: run changes between processes", () => {
    /** Resolves once `check` holds (fails after `ms`). */
    const until = async (check: () => boolean, ms = 10_000) => {
      const deadline = Date.now() + ms;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`not reached within ${ms} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };

    /**
     * Runs `body` in a fresh schema with a writer store on `pool` and a reader store on another pool (another
     * process), subscribed: `heard` is every change it heard, in order, with its hint.
     */
    const withReader = async (
      body: (test: {
        readonly schema: string;
        readonly writer: PostgresStorage;
        readonly heard: readonly { run_id: string; run_record: boolean | undefined }[];
      }) => Promise<void>,
    ) => {
      const schema = nextSchema();
      const other = new pg.Pool({ connectionString: url, max: 2 });
      try {
        const writer = await open(schema);
        const reader = await okOf(createPostgresStorage({ pool: other, schema }));
        const heard: { run_id: string; run_record: boolean | undefined }[] = [];
        const subscription = await okOf(
          // biome-ignore lint/style/noNonNullAssertion: a pool-backed store offers changes
          reader.changes!.subscribe((run_id, hint) => heard.push({ run_id, run_record: hint?.run_record })),
        );
        await body({ schema, writer, heard });
        subscription.close();
        await okOf(reader.close());
      } finally {
        await other.end();
        await drop(schema);
      }
    };

    it("leaves no listener on a connection it hands back to the pool, however often it listens", async () => {
      const schema = nextSchema();
      const single = new pg.Pool({ connectionString: url, max: 1 });
      try {
        await open(schema);
        // No linger: each round listens and gives the connection back.
        const store = await okOf(createPostgresStorage({ pool: single, schema, listenLingerMs: 0 }));
        for (let round = 0; round < 3; round++) {
          // biome-ignore lint/style/noNonNullAssertion: a pool-backed store offers changes
          const subscription = await okOf(store.changes!.subscribe(() => {}));
          subscription.close();
          // The feed stops listening (UNLISTEN, then the release) after the last subscriber leaves.
          await new Promise((r) => setTimeout(r, 200));
        }
        const connection = await single.connect();
        try {
          expect(connection.listenerCount("notification")).toBe(0);
          // pg-pool's own idle-error listener may be there; none of rungate's.
          expect(connection.listenerCount("error")).toBeLessThanOrEqual(1);
        } finally {
          connection.release();
        }
        await okOf(store.close());
      } finally {
        await single.end();
        await drop(schema);
      }
    }, 30_000);

    it("hints another process whether a write stored the run's record or only its check or event", async () => {
      await withReader(async ({ schema, writer, heard }) => {
        const run = runFixture(1);
        await okOf(writer.write({ runs: [{ record: run, expected_version: null }] }));
        await until(() => heard.length === 1);
        await okOf(
          writer.write({
            checks: [
              {
                id: fixtureId(2),
                run_id: run.id,
                assignment_id: null,
                check_type: "unit",
                status: "passed",
                output: null,
                executed_at: run.created_at,
                head_sha: null,
                duration_ms: 1,
              },
            ],
          }),
        );
        await until(() => heard.length === 2);
        await okOf(writer.write({ events: [createdEvent(run, 3)] }));
        await until(() => heard.length === 3);
        // A payload of an older package version (no mark) reads as the record written; another schema's is ignored.
        await pool.query("SELECT pg_notify('rungate_run_changes', $1)", [`${schema}_2:${fixtureId(4)}:-`]);
        await pool.query("SELECT pg_notify('rungate_run_changes', $1)", [`${schema}:${fixtureId(5)}`]);
        await until(() => heard.length === 4);
        expect(heard).toEqual([
          { run_id: run.id, run_record: true },
          { run_id: run.id, run_record: false },
          { run_id: run.id, run_record: false },
          { run_id: fixtureId(5), run_record: true },
        ]);
      });
    }, 30_000);

    it("tells a store on another pool (another process) of a write, and listens again after its connection is killed", async () => {
      await withReader(async ({ writer, heard }) => {
        const heardOf = (run_id: string) => heard.some((h) => h.run_id === run_id);
        const first = runFixture(1);
        await okOf(writer.write({ runs: [{ record: first, expected_version: null }] }));
        await until(() => heardOf(first.id));

        // The listening connection dies (a restart, a proxy); the store listens again on a new one.
        const killed = await pool.query(
          "SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE query = 'LISTEN rungate_run_changes' AND pid <> pg_backend_pid()",
        );
        expect(killed.rows.length).toBeGreaterThanOrEqual(1);
        // Events go on being written until one is heard: those written before the new LISTEN are lost (callers
        // poll as a fallback), none after it.
        const heardBefore = heard.length;
        for (let n = 0; heard.length === heardBefore; n++) {
          if (n > 100) throw new Error("no change heard within 10 s of the kill");
          await okOf(writer.write({ events: [createdEvent(first, 1_000 + n)] }));
          await new Promise((r) => setTimeout(r, 100));
        }
        const second = runFixture(2);
        await okOf(writer.write({ runs: [{ record: second, expected_version: null }] }));
        await until(() => heardOf(second.id));
      });
    }, 30_000);
  });
});

describe("postgres storage: an unreachable server", () => {
  it("answers a retryable port_failure (connection), never a throw", async () => {
    const error = await errOf(
      createPostgresStorage({ connectionString: "postgres://nobody@127.0.0.1:1/none", schema: nextSchema() }),
    );
    expect(error).toMatchObject({
      kind: "port_failure",
      code: "connection",
      detail: { retryable: true, adapter: "postgres-storage", operation: "migrate" },
    });
  });

  it("accepts a pg.Pool as it is (the structural PgPoolLike)", () => {
    const p: PgPoolLike = new pg.Pool({ connectionString: "postgres://nobody@127.0.0.1:1/none" });
    expect(typeof p.connect).toBe("function");
  });
});
