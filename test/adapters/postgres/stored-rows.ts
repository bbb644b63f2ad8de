/**
 * Stores on one PGlite for the tests of the stored form (compact-storage.test.ts, compact-events.test.ts): stores
 * of this release written either way, schemas at an older version written through that version's own function,
 * the writes of a real card lifecycle, and every row and every read of a store, to compare them.
 */
import type { PGlite } from "@electric-sql/pglite";
import { runCardLifecycle } from "../../../bench/card-lifecycle.js";
import {
  createPgliteStorage,
  createSqlStorage,
  fromPglite,
  migrateSchema,
  type PostgresStorage,
  type SqlClient,
} from "../../../src/adapters/postgres/index.js";
import { WRITE_FUNCTION } from "../../../src/adapters/postgres/write-function.js";
import { prepareWrite } from "../../../src/adapters/postgres/write-in-one.js";
import { createOrchestrator, type StoragePort, type StorageWrite } from "../../../src/index.js";
import { FIXTURE_TIME, fixtureId, policyFixture, runInputFixture } from "../../../src/testing/fixtures.js";
import { createInMemoryPorts, createSequentialIds } from "../../../src/testing/index.js";
import { createdEvent, okOf, runFixture } from "./helpers.js";

/** Every storage write an orchestrator makes, recorded on the way to `storage`. */
function recording(storage: PostgresStorage): { port: StoragePort; writes: StorageWrite[] } {
  const writes: StorageWrite[] = [];
  const port: StoragePort = {
    ...storage,
    write: (write, options) => {
      writes.push(structuredClone(write));
      return storage.write(write, options);
    },
  };
  return { port, writes };
}

/**
 * The stores and comparisons of the stored-form tests, on the PGlite `pglite()` answers (a test file's, created
 * in its `beforeAll`), each schema named by `nextSchema`.
 */
export function storedRows(pglite: () => PGlite, nextSchema: () => string) {
  const openStorage = (options: { schema?: string; idempotencyWindowMs?: number } = {}) =>
    okOf(createPgliteStorage({ pglite: pglite(), schema: nextSchema(), ...options }));

  /**
   * A store whose every write goes statement by statement (`write.ts`): the client answers the one-statement
   * call with the function's refusal, as the database does for a write it refuses.
   */
  const openStatementsOnly = (schema = nextSchema()): Promise<PostgresStorage> => {
    const inner = fromPglite(pglite());
    const client: SqlClient = {
      query: (text, values) =>
        text.includes(`.${WRITE_FUNCTION}($1::jsonb)`)
          ? Promise.reject(Object.assign(new Error("rungate: write refused"), { code: "RGW01" }))
          : inner.query(text, values),
      transaction: (fn) => inner.transaction(fn),
    };
    return okOf(createSqlStorage({ client, schema }));
  };

  const dropSchema = async (schema: string): Promise<void> => {
    await pglite().query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  };

  const rowsOf = async <T>(text: string, values: unknown[] = []): Promise<T[]> =>
    (await pglite().query<T>(text, values)).rows;

  /** The writes of one card lifecycle (bench/card-lifecycle.ts), then events and a run the compact form keeps whole. */
  const lifecycleWrites = async (): Promise<StorageWrite[]> => {
    const scratch = await openStorage();
    const { port, writes } = recording(scratch);
    const ports = createInMemoryPorts();
    const orchestrator = createOrchestrator({ ...ports, storage: port, ids: createSequentialIds(1_000) });
    await runCardLifecycle(orchestrator, ports.pullRequests, {
      ...runInputFixture(),
      policy: policyFixture(),
    });
    await dropSchema(scratch.schema);
    const run = writes[0]?.runs?.[0]?.record;
    if (!run) throw new Error("the lifecycle's first write creates its run");
    const odd = runFixture(2);
    return [
      ...writes,
      {
        events: [
          { ...createdEvent(run, 2), id: fixtureId(0xabc).toUpperCase() },
          { ...createdEvent(run, 3), created_at: "2026-01-01T01:00:00+01:00" },
          { ...createdEvent(run, 4), project_id: fixtureId(99), created_at: FIXTURE_TIME },
        ],
      },
      // A run whose policy does not match its hash: kept inline, read back as it was (and refused by getRun).
      {
        runs: [
          {
            record: {
              ...odd,
              system_policy_snapshot: { ...odd.system_policy_snapshot, forbidden_paths: [] },
            },
            expected_version: null,
          },
        ],
      },
    ];
  };

  /** Every row of every table of `schema`, as text (idempotency keys without their time of creation). */
  const everyRow = async (schema: string): Promise<Record<string, string[]>> => {
    const tables = (
      await rowsOf<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables
         WHERE table_schema = $1 AND table_name <> 'rungate_migrations' ORDER BY 1`,
        [schema],
      )
    ).map((r) => r.table_name);
    const rows: Record<string, string[]> = {};
    for (const table of tables) {
      const found = await rowsOf<{ row: string }>(
        `SELECT (to_jsonb(t)${table === "idempotency_keys" ? " - 'created_at'" : ""})::text AS row
         FROM "${schema}".${table} AS t ORDER BY 1`,
      );
      rows[table] = found.map((r) => r.row);
    }
    return rows;
  };

  /** What the port answers for every run of `writes`: the run's state, its events and each card's commits. */
  const everyRead = async (storage: PostgresStorage, writes: readonly StorageWrite[]) => {
    const runIds = [...new Set(writes.flatMap((w) => (w.runs ?? []).map((r) => r.record.id)))];
    const reads: unknown[] = [];
    for (const id of runIds) {
      const state = await storage.readRunState(id);
      reads.push(state.isOk() ? state.value : state.error.code, await okOf(storage.listEvents(id)));
      for (const a of state.isOk() ? state.value.assignments : [])
        reads.push(await okOf(storage.listCommits(a.id)));
    }
    return reads;
  };

  /**
   * Applies `write` to `schema` through the write function its version installed, and answers what the
   * function answered (JSON text). Keys are remembered for a day, as the port does by default.
   */
  const writeThroughFunction = async (schema: string, write: StorageWrite): Promise<string> => {
    const prepared = prepareWrite(write, 86_400_000);
    if (!prepared) throw new Error("the write parses");
    const [row] = await rowsOf<{ answer: string }>(
      `SELECT "${schema}".${WRITE_FUNCTION}($1::jsonb)::text AS answer`,
      [prepared.payload],
    );
    return row?.answer ?? "";
  };

  /** A schema at `version` holding `writes`, each applied through that version's own write function. */
  const writtenAt = async (version: number, writes: readonly StorageWrite[]): Promise<string> => {
    const schema = nextSchema();
    await okOf(migrateSchema(fromPglite(pglite()), { schema, target: version }));
    for (const write of writes) await writeThroughFunction(schema, write);
    return schema;
  };

  return {
    openStorage,
    openStatementsOnly,
    dropSchema,
    rowsOf,
    lifecycleWrites,
    everyRow,
    everyRead,
    writeThroughFunction,
    writtenAt,
  };
}
