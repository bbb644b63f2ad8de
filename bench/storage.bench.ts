/**
 * Durable storage against the in-memory fake (issue 8), in one run: runs stored per second and whole card
 * lifecycles per second on PGlite in memory, PGlite with a data directory on disk, and — when
 * RUNGATE_TEST_DATABASE_URL is set — a Postgres server, each compared with `createInMemoryStorage`.
 *
 * - "run stored": one `storage.write` creating a run, its assignment and 2 events (records built with
 *   `newOrchestrationRun` + `newCardAssignment` from the validated fixtures, fresh ids every iteration; building
 *   them alone is measured too, so it can be subtracted).
 * - "lifecycle": `createOrchestrator({ ...createInMemoryPorts(), storage })`, then trigger → approve → draft PR →
 *   merge observed (the sequence of bench/lifecycle.bench.ts), on one storage reused across iterations.
 *
 * Every store is opened (and migrated) before measuring: PGlite takes seconds to start. Everything is local:
 * PGlite in this process, data directories in a temporary directory, Postgres on 127.0.0.1 in a schema of its
 * own, dropped afterwards. Run with `npm run bench`; figures go to docs/benchmarks.md.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, bench, describe } from "vitest";
import {
  createPgliteStorage,
  createPostgresStorage,
  type PostgresStorage,
} from "../src/adapters/postgres/index.js";
import {
  createOrchestrator,
  newCardAssignment,
  newOrchestrationRun,
  type StoragePort,
  validateRunInputAgainstPolicy,
} from "../src/index.js";
import type { RunEventDraft, StorageWrite } from "../src/ports/storage-port.js";
import {
  createInMemoryPorts,
  createInMemoryStorage,
  createSequentialIds,
  FIXTURE_TIME,
  fixtureId,
  policyFixture,
  runInputFixture,
} from "../src/testing/index.js";
import { runCardLifecycle } from "./card-lifecycle.js";

const BENCH_TIME_MS = 3_000;

/** Unwraps a port result; a failure stops the benchmark with the port error. */
function must<T>(result: { isOk(): boolean; _unsafeUnwrap(): T; _unsafeUnwrapErr(): unknown }): T {
  if (result.isOk()) return result._unsafeUnwrap();
  throw new Error(`storage failed: ${JSON.stringify(result._unsafeUnwrapErr())}`);
}

// ---- the stores, opened before anything is measured ----

const dataDir = await mkdtemp(join(tmpdir(), "rungate-bench-pglite-"));
const pgliteMemory = must(await createPgliteStorage());
const pgliteDisk = must(await createPgliteStorage({ dataDir }));
const url = process.env.RUNGATE_TEST_DATABASE_URL;
const pool = url === undefined ? undefined : new pg.Pool({ connectionString: url, max: 10 });
const schema = `rg_bench_${process.pid}_${Date.now().toString(36)}`;
const postgres: PostgresStorage | undefined =
  pool === undefined ? undefined : must(await createPostgresStorage({ pool, schema }));

afterAll(async () => {
  await pgliteMemory.close();
  await pgliteDisk.close();
  await rm(dataDir, { recursive: true, force: true });
  if (postgres !== undefined) await postgres.close();
  if (pool !== undefined) {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  }
});

const reusedFake = createInMemoryStorage();

/**
 * The stores compared, each as "the storage for this iteration". The baseline of each group is a fresh fake per
 * iteration: the fake scans every row for list reads and new sequences, so one reused across thousands of
 * iterations slows down as it grows (its row says how much), and its figure would depend on the time budget.
 */
function stores(): [string, () => StoragePort][] {
  const list: [string, () => StoragePort][] = [
    ["in-memory fake, a fresh one per iteration (baseline)", () => createInMemoryStorage()],
    ["in-memory fake, one reused across iterations", () => reusedFake],
    ["PGlite in memory", () => pgliteMemory],
    ["PGlite, dataDir on disk", () => pgliteDisk],
  ];
  if (postgres !== undefined) list.push(["Postgres on 127.0.0.1 (pg.Pool)", () => postgres]);
  return list;
}

// ---- run stored ----

const validated = validateRunInputAgainstPolicy(runInputFixture(), policyFixture())._unsafeUnwrap();
const [card] = validated.cards;
if (card === undefined) throw new Error("the fixture run input has a card");
let nextId = 1_000_000;
const id = () => fixtureId(nextId++);

/** A run, its assignment and 2 events, with fresh ids, as one atomic write. */
function runWrite(): StorageWrite {
  const run = newOrchestrationRun(validated, { run_id: id(), now: FIXTURE_TIME })._unsafeUnwrap();
  const assignment = newCardAssignment(run, card as NonNullable<typeof card>, {
    assignment_id: id(),
    now: FIXTURE_TIME,
  })._unsafeUnwrap();
  const event = (event_type: string, payload: RunEventDraft["payload"]): RunEventDraft => ({
    id: id(),
    run_id: run.id,
    project_id: run.project_id,
    event_type,
    actor: "system:rungate",
    payload,
    created_at: FIXTURE_TIME,
  });
  return {
    runs: [{ record: run, expected_version: null }],
    assignments: [{ record: assignment, expected_version: null }],
    events: [event("run.created", {}), event("assignment.created", { assignment_id: assignment.id })],
  };
}

describe("run stored: one write of a run + its assignment + 2 events", () => {
  bench("building the records alone (no storage)", () => void runWrite(), { time: 1_500 });
  for (const [name, storage] of stores()) {
    bench(
      name,
      async () => {
        must(await storage().write(runWrite()));
      },
      { time: BENCH_TIME_MS },
    );
  }
});

// ---- whole lifecycle ----

let lifecycles = 0;

/**
 * A card of its own for lifecycle `n`: a store reused across lifecycles would otherwise hold ever more earlier
 * runs of one card, and every build reads each of them (one `listAssignments` per earlier run).
 */
function requestFor(n: number) {
  const input = runInputFixture();
  const card_id = fixtureId(800_000 + n);
  return { ...input, card_id, cards: input.cards.map((c) => ({ ...c, card_id })), policy: policyFixture() };
}

/** trigger → approve → draft PR → merge observed, for a card of its own, on `storage` (fresh ids every lifecycle). */
async function lifecycleOn(storage: StoragePort): Promise<void> {
  lifecycles += 1;
  const ports = createInMemoryPorts();
  const o = createOrchestrator({
    ...ports,
    storage,
    ids: createSequentialIds(lifecycles * 1_000, { prefix: 1 }),
  });
  await runCardLifecycle(o, ports.pullRequests, requestFor(lifecycles));
}

describe("whole lifecycle: trigger → approve → draft PR → merge observed", () => {
  for (const [name, storage] of stores()) {
    bench(name, () => lifecycleOn(storage()), { time: BENCH_TIME_MS });
  }
});
