import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createPgliteStorage,
  createPostgresStorage,
  fromPglite,
  LATEST_SCHEMA_VERSION,
  migrateSchema,
  type PostgresStorage,
} from "../../../src/adapters/postgres/index.js";
import {
  listCardAssignments as listCardAssignmentsPlan,
  listRuns as listRunsPlan,
  RUN_CHANGES_CHANNEL,
} from "../../../src/adapters/postgres/plans.js";
import type { SqlQuery } from "../../../src/adapters/postgres/postgres-config.js";
import type { OrchestrationRun } from "../../../src/core/schemas/orchestration-run.js";
import type { RunCheck } from "../../../src/core/schemas/run-check.js";
import { captureSnapshot } from "../../../src/core/snapshot/snapshot.js";
import { describeStoragePortContract } from "../../../src/testing/contracts/storage-port.js";
import { FIXTURE_TIME, fixtureId } from "../../../src/testing/fixtures.js";
import {
  assignmentFixture,
  columnsOf,
  createdEvent,
  errOf,
  ledger,
  okOf,
  runFixture,
  schemaNamer,
  sharedPglite,
  tablesOf,
  tamperRunRow,
  writeRunAndCard,
} from "./helpers.js";
import { storedRows } from "./stored-rows.js";

/** One in-memory PGlite for the whole file; every test gets its own schema. */
const db = sharedPglite();

const nextSchema = schemaNamer("test/adapters/postgres/pglite-storage.test.ts");
const { openStatementsOnly } = storedRows(() => db(), nextSchema);

async function openStorage(schema = nextSchema()): Promise<PostgresStorage> {
  return okOf(createPgliteStorage({ pglite: db(), schema }));
}

/** A run's state in one read, which the SQL storage offers. */
function readState(storage: PostgresStorage, runId: string) {
  if (!storage.readRunState) throw new Error("the SQL storage offers readRunState");
  return storage.readRunState(runId);
}

/** The names of the indexes in `schema`. */
async function indexesOf(schema: string): Promise<string[]> {
  const { rows } = await db().query<{ indexname: string }>(
    "SELECT indexname FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname",
    [schema],
  );
  return rows.map((r) => r.indexname);
}

async function functionsOf(schema: string): Promise<string[]> {
  const { rows } = await db().query<{ name: string }>(
    "SELECT p.proname AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 ORDER BY 1",
    [schema],
  );
  return rows.map((r) => r.name);
}

async function dropSchema(schema: string): Promise<void> {
  await db().query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

describeStoragePortContract({
  name: "pglite (in-memory, a schema per test)",
  make: () => openStorage(),
  cleanup: (port) => dropSchema((port as PostgresStorage).schema),
  capabilities: {
    leases: true,
    changes: true,
    listCardAssignments: true,
    tamper: (port, run_id, mutate) => tamperRunRow(db(), (port as PostgresStorage).schema, run_id, mutate),
  },
  // PGlite runs every statement on this one thread: 100 workers retrying against it took past 60 s on a
  // machine loaded by other suites.
  concurrency_timeout_ms: 180_000,
});

describe("pglite storage: migrations", () => {
  it("applies each migration once when two openers race for the same schema", async () => {
    const schema = nextSchema();
    const [a, b] = await Promise.all([openStorage(schema), openStorage(schema)]);
    expect(a.schema).toBe(schema);
    expect(b.schema).toBe(schema);
    const again = await openStorage(schema);
    expect(await ledger(db(), schema)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    await okOf(again.write({ runs: [{ record: runFixture(1), expected_version: null }] }));
    expect((await okOf(a.getRun(fixtureId(1)))).version).toBe(0);
    await dropSchema(schema);
  });

  it("refuses a database whose recorded version is newer than this code knows, and leaves it as it was", async () => {
    const schema = nextSchema();
    const storage = await openStorage(schema);
    await okOf(storage.write({ runs: [{ record: runFixture(1), expected_version: null }] }));
    await db().query(
      `INSERT INTO "${schema}".rungate_migrations (version, description) VALUES ($1, 'from the future')`,
      [LATEST_SCHEMA_VERSION + 1],
    );

    const error = await errOf(createPgliteStorage({ pglite: db(), schema }));
    expect(error).toMatchObject({
      kind: "port_failure",
      code: "schema_too_new",
      detail: { retryable: false, operation: "migrate" },
    });
    expect(error.message).toContain(`version ${LATEST_SCHEMA_VERSION + 1}`);
    expect(await errOf(migrateSchema(fromPglite(db()), { schema, target: 0 }))).toMatchObject({
      code: "schema_too_new",
    });
    expect(await ledger(db(), schema)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, LATEST_SCHEMA_VERSION + 1]);
    expect((await okOf(storage.getRun(fixtureId(1)))).id).toBe(fixtureId(1));
    await dropSchema(schema);
  });

  it("migrates down step by step to an empty schema and back up again", async () => {
    const schema = nextSchema();
    const client = fromPglite(db());
    await openStorage(schema);
    expect(await tablesOf(db(), schema)).toEqual([
      "approvals",
      "assignments",
      "checks",
      "commits",
      "event_kinds",
      "events",
      "executions",
      "idempotency_keys",
      "pull_requests",
      "rungate_migrations",
      "runs",
      "snapshots",
    ]);
    expect(await columnsOf(db(), schema, "assignments")).toContain("lease_token");
    expect(await columnsOf(db(), schema, "events")).toEqual([
      "assignment_id",
      "body",
      "created_at",
      "head_sha",
      "id",
      "kind",
      "run_seq",
      "sequence",
    ]);
    expect(await functionsOf(schema)).toEqual(["rungate_event_kind", "rungate_run_state", "rungate_write"]);

    expect(await okOf(migrateSchema(client, { schema, target: 7 }))).toEqual({ from: 8, to: 7 });
    expect(await functionsOf(schema)).toEqual(["rungate_event_kind", "rungate_write"]);
    expect(await okOf(migrateSchema(client, { schema, target: 6 }))).toEqual({ from: 7, to: 6 });
    expect(await tablesOf(db(), schema)).not.toContain("event_kinds");
    expect(await columnsOf(db(), schema, "events")).toEqual([
      "created_at",
      "id",
      "record",
      "run_seq",
      "sequence",
    ]);
    expect(await functionsOf(schema)).toEqual(["rungate_write"]);
    expect(await okOf(migrateSchema(client, { schema, target: 5 }))).toEqual({ from: 6, to: 5 });
    expect(await tablesOf(db(), schema)).not.toContain("snapshots");
    expect(await columnsOf(db(), schema, "events")).toEqual(["id", "record", "run_id", "sequence"]);
    expect(await indexesOf(schema)).not.toContain("idempotency_keys_by_age");
    expect(await functionsOf(schema)).toEqual(["rungate_write"]);
    expect(await okOf(migrateSchema(client, { schema, target: 4 }))).toEqual({ from: 5, to: 4 });
    expect(await functionsOf(schema)).toEqual([]);
    expect(await indexesOf(schema)).toEqual(expect.arrayContaining(["assignments_by_card", "runs_by_card"]));
    expect(await okOf(migrateSchema(client, { schema, target: 3 }))).toEqual({ from: 4, to: 3 });
    expect(await indexesOf(schema)).not.toContain("runs_by_card");
    expect(await indexesOf(schema)).not.toContain("assignments_by_card");
    expect(await okOf(migrateSchema(client, { schema, target: 2 }))).toEqual({ from: 3, to: 2 });
    expect(await columnsOf(db(), schema, "assignments")).not.toContain("lease_token");
    expect(await columnsOf(db(), schema, "assignments")).toContain("lease_owner");
    expect(await okOf(migrateSchema(client, { schema, target: 1 }))).toEqual({ from: 2, to: 1 });
    expect(await columnsOf(db(), schema, "assignments")).not.toContain("lease_owner");
    expect(await ledger(db(), schema)).toEqual([1]);
    expect(await okOf(migrateSchema(client, { schema, target: 0 }))).toEqual({ from: 1, to: 0 });
    expect(await tablesOf(db(), schema)).toEqual(["rungate_migrations"]);
    expect(await ledger(db(), schema)).toEqual([]);

    expect(await okOf(migrateSchema(client, { schema }))).toEqual({ from: 0, to: LATEST_SCHEMA_VERSION });
    expect(await ledger(db(), schema)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const storage = await openStorage(schema);
    const run = runFixture(1);
    await okOf(
      storage.write({ runs: [{ record: run, expected_version: null }], events: [createdEvent(run, 2)] }),
    );
    expect(await okOf(storage.getRun(run.id))).toEqual(run);
    await dropSchema(schema);
  });

  it("answers validation to a target version it does not know", async () => {
    const error = await errOf(migrateSchema(fromPglite(db()), { schema: nextSchema(), target: 99 }));
    expect(error).toMatchObject({ kind: "validation" });
  });
});

describe("pglite storage: stored data is verified on read", () => {
  it("refuses a run whose snapshot and hash were both rewritten (the hash columns disagree)", async () => {
    const storage = await openStorage();
    const run = runFixture(1);
    await okOf(storage.write({ runs: [{ record: run, expected_version: null }] }));

    const forged = { ...run.run_input_snapshot, initiated_by: "user:mallory" };
    const hash = captureSnapshot(forged)._unsafeUnwrap().hash;
    await tamperRunRow(db(), storage.schema, run.id, (raw) => {
      raw.run_input_snapshot = forged;
      raw.snapshot_hashes = { ...(raw.snapshot_hashes as object), run_input: hash };
    });
    for (const read of [
      storage.getRun(run.id).map(() => "read"),
      readState(storage, run.id).map(() => "read"),
    ]) {
      expect(await errOf(read)).toMatchObject({ kind: "validation", code: "snapshot_hash_mismatch" });
    }
    await dropSchema(storage.schema);
  });

  it("refuses a legacy run with no snapshot hashes (snapshot_unhashed) and a record that no longer parses", async () => {
    const storage = await openStorage();
    const [a, b] = [runFixture(1), runFixture(2)];
    await okOf(storage.write({ runs: [a, b].map((record) => ({ record, expected_version: null })) }));
    await tamperRunRow(db(), storage.schema, a.id, (raw) => {
      raw.snapshot_hashes = null;
    });
    await tamperRunRow(db(), storage.schema, b.id, (raw) => {
      raw.status = "exploded";
    });
    // getRun and the one-call readRunState verify alike.
    for (const read of [storage.getRun(a.id).map(() => "read"), readState(storage, a.id).map(() => "read")]) {
      expect(await errOf(read)).toMatchObject({ kind: "validation", code: "snapshot_unhashed" });
    }
    for (const read of [storage.getRun(b.id).map(() => "read"), readState(storage, b.id).map(() => "read")]) {
      expect(await errOf(read)).toMatchObject({ kind: "validation", code: "invalid_stored_record" });
    }
    await dropSchema(storage.schema);
  });

  /** A fresh schema holding one run and its card, ready to be claimed. */
  async function storedReadyCard() {
    const storage = await openStorage();
    const run = runFixture(1);
    const assignment = { ...assignmentFixture(run, 2), phase: "ready" as const };
    await okOf(
      storage.write({
        runs: [{ record: run, expected_version: null }],
        assignments: [{ record: assignment, expected_version: null }],
      }),
    );
    return { storage, run, assignment };
  }

  it("keeps the version in its column alone through writes and claims, and reads it from there", async () => {
    const { storage, run, assignment } = await storedReadyCard();
    await okOf(storage.write({ runs: [{ record: run, expected_version: 0 }] }));
    await okOf(storage.write({ assignments: [{ record: assignment, expected_version: 0 }] }));
    const claimed = await okOf(storage.leases.claimNextAssignment({ worker_id: "w", lease_ms: 1_000 }));
    expect(claimed?.assignment.version).toBe(2);
    const versions = (table: string) =>
      db().query<{ version: number; in_record: boolean }>(
        `SELECT version, record ? 'version' AS in_record FROM "${storage.schema}".${table}`,
      );
    expect((await versions("runs")).rows).toEqual([{ version: 1, in_record: false }]);
    expect((await versions("assignments")).rows).toEqual([{ version: 2, in_record: false }]);
    expect((await okOf(storage.getRun(run.id))).version).toBe(1);
    expect((await okOf(storage.getAssignment(assignment.id))).version).toBe(2);
    await dropSchema(storage.schema);
  });

  it("gives a lease held while migrating to fencing tokens a token no worker knows: its holder is fenced out", async () => {
    const { storage, assignment } = await storedReadyCard();
    const client = fromPglite(db());
    await okOf(migrateSchema(client, { schema: storage.schema, target: 2 }));
    // A worker of the previous version holds the card for an hour.
    await db().query(
      `UPDATE "${storage.schema}".assignments SET lease_owner = 'old', lease_expires_at = now() + interval '1 hour'`,
    );
    await okOf(migrateSchema(client, { schema: storage.schema }));
    const { rows } = await db().query<{ lease_token: string | null }>(
      `SELECT lease_token FROM "${storage.schema}".assignments`,
    );
    expect(rows[0]?.lease_token).toMatch(/^[0-9a-f-]{36}$/);
    // Still held (nobody takes it before it runs out), and no write names its token but by guessing a uuid.
    expect(await okOf(storage.leases.claimNextAssignment({ worker_id: "new", lease_ms: 1_000 }))).toBeNull();
    expect(
      await errOf(storage.write({ fence: { assignment_id: assignment.id, token: "old" }, events: [] })),
    ).toMatchObject({ kind: "conflict", code: "lease_lost" });
    await dropSchema(storage.schema);
  });

  it("loads an execution stored before agents reported usage, with the report's fields empty", async () => {
    const storage = await openStorage();
    const { run, assignment } = await writeRunAndCard(storage);
    // A row as the schema held it before session, usage, cost, turns, reason, denials and final message.
    const legacy = {
      id: fixtureId(3),
      run_id: run.id,
      assignment_id: assignment.id,
      attempt: 1,
      status: "completed",
      outcome: "committed",
      started_at: FIXTURE_TIME,
      ended_at: FIXTURE_TIME,
      summary: "done",
      error: null,
      exit_code: 0,
    };
    await db().query(
      `INSERT INTO "${storage.schema}".executions (id, run_id, record) VALUES ($1, $2, $3::jsonb)`,
      [legacy.id, run.id, JSON.stringify(legacy)],
    );
    expect(await okOf(storage.listExecutions(run.id))).toEqual([
      {
        ...legacy,
        session_id: null,
        usage: null,
        cost_usd: null,
        num_turns: null,
        terminal_reason: null,
        permission_denials: [],
        final_message: null,
        dispatched_on: null,
        dispatch_claim: null,
      },
    ]);
    await dropSchema(storage.schema);
  });

  it("answers validation (unstorable_value) to text jsonb cannot hold, and stores nothing of the write", async () => {
    const storage = await openStorage();
    const run = runFixture(1);
    await okOf(storage.write({ runs: [{ record: run, expected_version: null }] }));
    const error = await errOf(
      storage.write({
        events: [createdEvent(run, 2)],
        checks: [
          {
            id: fixtureId(3),
            run_id: run.id,
            assignment_id: null,
            check_type: "unit",
            status: "failed",
            output: "binary\u0000garbage",
            executed_at: FIXTURE_TIME,
            head_sha: null,
            duration_ms: 1,
          },
        ],
      }),
    );
    expect(error).toMatchObject({ kind: "validation", code: "unstorable_value" });
    expect(await okOf(storage.listEvents(run.id))).toEqual([]);
    await dropSchema(storage.schema);
  });
});

describe("pglite storage: options", () => {
  it("throws at construction, showing the usage, for a schema name that is not a plain identifier", () => {
    expect(() => createPgliteStorage({ schema: 'rungate"; DROP TABLE x; --' })).toThrow(
      /schema.*Usage: createPgliteStorage/s,
    );
    expect(() => createPgliteStorage({ schema: "Rungate" })).toThrow(TypeError);
  });

  it("throws at construction for a listen linger that is not a whole number of ms from 0 to 10 minutes", () => {
    for (const listenLingerMs of [-1, 1.5, 600_001, Number.NaN]) {
      expect(() => createPgliteStorage({ listenLingerMs })).toThrow(
        /listenLingerMs.*Usage: createPgliteStorage/s,
      );
    }
    expect(() => createPostgresStorage({ connectionString: "postgres://x", listenLingerMs: -1 })).toThrow(
      /listenLingerMs/,
    );
  });

  it("throws when given both a data directory and an instance", () => {
    expect(() => createPgliteStorage({ dataDir: "/tmp/x", pglite: db() })).toThrow(/not both/);
  });

  it("leaves an instance it was given open on close(), and fails calls on a closed one", async () => {
    const storage = await openStorage();
    await okOf(storage.close());
    await okOf(storage.close());
    expect((await db().query<{ one: number }>("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    await dropSchema(storage.schema);

    const own = await okOf(createPgliteStorage());
    await okOf(own.close());
    expect(await errOf(own.getRun(fixtureId(1)))).toMatchObject({
      kind: "port_failure",
      detail: { adapter: "pglite-storage", operation: "getRun" },
    });
  }, 60_000);
});

describe("pglite storage: durability on disk", () => {
  it("opens a dataDir whose parent directories do not exist yet, as ./.rungate/db in a fresh checkout", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rungate-pglite-nested-"));
    const dataDir = join(dir, ".rungate", "state", "db");
    try {
      const storage = await okOf(createPgliteStorage({ dataDir }));
      const run = runFixture(1);
      await okOf(storage.write({ runs: [{ record: run, expected_version: null }] }));
      await okOf(storage.close());
      const reopened = await okOf(createPgliteStorage({ dataDir }));
      expect((await okOf(reopened.getRun(run.id))).id).toBe(run.id);
      await okOf(reopened.close());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("keeps every write a process acknowledged before it was killed with SIGKILL, and opens again", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rungate-pglite-kill-"));
    const dataDir = join(dir, "db");
    try {
      const committed = await runChildUntilKilled(dataDir, 25);
      expect(committed.length).toBeGreaterThanOrEqual(25);

      const reopened = await okOf(createPgliteStorage({ dataDir }));
      try {
        for (const id of committed) {
          const run = await okOf(reopened.getRun(id));
          expect(run.id).toBe(id);
          expect(await okOf(reopened.listEvents(id))).toEqual([
            expect.objectContaining({ event_type: "run.created", sequence: 1 }),
          ]);
        }
        const after = runFixture(1);
        await okOf(reopened.write({ runs: [{ record: after, expected_version: null }] }));
        expect((await okOf(reopened.getRun(after.id))).id).toBe(after.id);
      } finally {
        await okOf(reopened.close());
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

/**
 * Starts the writer child on `dataDir`, SIGKILLs it as soon as it has acknowledged `atLeast` writes (it keeps
 * writing meanwhile, so the kill lands mid-write), and returns every run id it reported as committed.
 */
function runChildUntilKilled(dataDir: string, atLeast: number): Promise<string[]> {
  const script = join(import.meta.dirname, "fixtures", "write-runs-until-killed.ts");
  const child = spawn(process.execPath, ["--import", "tsx", script, dataDir], {
    cwd: join(import.meta.dirname, "..", "..", ".."),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const committed: string[] = [];
  let buffered = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      if (line.startsWith("committed ")) committed.push(line.slice("committed ".length));
    }
    if (committed.length >= atLeast && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
    }
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (signal === "SIGKILL") resolve(committed);
      else reject(new Error(`the writer exited with ${code ?? signal} before it was killed: ${stderr}`));
    });
  });
}

describe("pglite storage: a card's runs and assignments are found through indexes", () => {
  /** `query`'s plan with sequential scans priced out (a tiny table would otherwise be scanned whatever the indexes). */
  const planOf = async (query: SqlQuery): Promise<string> => {
    // A plan that still scans a table then is one the query's shape forces (such as `$3 IS NULL OR …`).
    await db().exec("SET enable_seqscan = off");
    try {
      return (await db().query<{ "QUERY PLAN": string }>(`EXPLAIN ${query.text}`, [...query.values])).rows
        .map((r) => r["QUERY PLAN"])
        .join("\n");
    } finally {
      await db().exec("RESET enable_seqscan");
    }
  };

  /** A store in a schema of its own for `use`, dropped afterwards. */
  const inSchema = async (use: (storage: PostgresStorage) => Promise<void>): Promise<void> => {
    const storage = await openStorage();
    try {
      await use(storage);
    } finally {
      await dropSchema(storage.schema);
    }
  };

  it("plans listRuns({ card_id }) on runs_by_card and assignments_by_card, never a scan of every run", () =>
    inSchema(async (storage) => {
      const plan = await planOf(
        listRunsPlan(storage.schema, {
          project_id: null,
          phases: null,
          card_id: fixtureId(7),
          created_after: null,
          created_before: null,
          after: null,
          limit: 51,
        }),
      );
      expect(plan).toContain("runs_by_card");
      expect(plan).toContain("assignments_by_card");
      expect(plan).not.toMatch(/Seq Scan/);
    }));

  it("plans listCardAssignments on assignments_by_card, never a scan of every assignment", () =>
    inSchema(async (storage) => {
      const plan = await planOf(listCardAssignmentsPlan(storage.schema, fixtureId(7)));
      expect(plan).toContain("assignments_by_card");
      expect(plan).not.toMatch(/Seq Scan/);
    }));

  it("verifies each card's snapshot in listCardAssignments, as every read of a card does", () =>
    inSchema(async (storage) => {
      const { assignment } = await writeRunAndCard(storage);
      expect(await okOf(storage.listCardAssignments(assignment.card_id))).toEqual([assignment]);
      await db().query(
        `UPDATE "${storage.schema}".assignments
         SET record = record || '{"assignment_input_snapshot": {"edited": true}}'::jsonb WHERE id = $1`,
        [assignment.id],
      );
      expect(await errOf(storage.listCardAssignments(assignment.card_id))).toMatchObject({
        kind: "validation",
        code: "snapshot_hash_mismatch",
      });
    }));
});

describe("pglite storage: run changes hint whether the run's own record was written", () => {
  /** What `storage`'s subscriber heard, in order, and a wait until it heard `count` changes (5 s at most). */
  const listen = async (storage: PostgresStorage) => {
    if (!storage.changes) throw new Error("a PGlite store offers changes");
    const heard: { run_id: string; run_record: boolean | undefined }[] = [];
    const subscription = await okOf(
      storage.changes.subscribe((run_id, hint) => heard.push({ run_id, run_record: hint?.run_record })),
    );
    const until = async (count: number) => {
      const deadline = Date.now() + 5_000;
      while (heard.length < count) {
        if (Date.now() > deadline)
          throw new Error(`only ${heard.length} of ${count} changes heard within 5 s`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    return { heard, until, close: () => subscription.close() };
  };

  const check = (run: OrchestrationRun, n: number): RunCheck => ({
    id: fixtureId(n),
    run_id: run.id,
    assignment_id: null,
    check_type: "unit",
    status: "passed",
    output: null,
    executed_at: FIXTURE_TIME,
    head_sha: null,
    duration_ms: 1,
  });

  for (const path of ["in one statement", "statement by statement"] as const) {
    it(`hints run_record true only for the runs whose record a write stored (${path})`, async () => {
      const listener = await openStorage();
      const { schema } = listener;
      const writer = path === "in one statement" ? listener : await openStatementsOnly(schema);
      const me = await listen(listener);
      const [a, b] = [runFixture(1), runFixture(2)];
      try {
        await okOf(
          writer.write({
            runs: [
              { record: a, expected_version: null },
              { record: b, expected_version: null },
            ],
          }),
        );
        await me.until(2);
        await okOf(writer.write({ checks: [check(a, 10)] }));
        await me.until(3);
        await okOf(writer.write({ events: [createdEvent(a, 11)] }));
        await me.until(4);
        await okOf(
          writer.write({ assignments: [{ record: assignmentFixture(a, 12), expected_version: null }] }),
        );
        await me.until(5);
        // One write: b's record (and an event of b) stored, a touched through a check alone.
        await okOf(
          writer.write({
            runs: [{ record: { ...b, worktree_root: "/tmp/cancelled" }, expected_version: 0 }],
            events: [createdEvent(b, 13)],
            checks: [check(a, 14)],
          }),
        );
        await me.until(7);
        expect(me.heard).toEqual([
          { run_id: a.id, run_record: true },
          { run_id: b.id, run_record: true },
          { run_id: a.id, run_record: false },
          { run_id: a.id, run_record: false },
          { run_id: a.id, run_record: false },
          { run_id: b.id, run_record: true },
          { run_id: a.id, run_record: false },
        ]);
      } finally {
        me.close();
        await dropSchema(schema);
      }
    });
  }

  it("reads an unmarked payload (what older versions send) as the run's record written, and ignores another schema's", async () => {
    const storage = await openStorage();
    const me = await listen(storage);
    const send = (payload: string) => db().query("SELECT pg_notify($1, $2)", [RUN_CHANGES_CHANNEL, payload]);
    try {
      // Another schema's first, the nearest names included: heard by then, they would come before the others.
      await send(`${storage.schema}_2:${fixtureId(1)}`);
      await send(`${storage.schema}_2:${fixtureId(1)}:-`);
      await send(`${storage.schema.slice(0, -1)}:${fixtureId(1)}`);
      await send(`${storage.schema}:${fixtureId(2)}`);
      await send(`${storage.schema}:${fixtureId(3)}:-`);
      // A mark this version does not know (a later version's) is the safe side too.
      await send(`${storage.schema}:${fixtureId(4)}:x`);
      await me.until(3);
      await new Promise((r) => setTimeout(r, 50));
      expect(me.heard).toEqual([
        { run_id: fixtureId(2), run_record: true },
        { run_id: fixtureId(3), run_record: false },
        { run_id: fixtureId(4), run_record: true },
      ]);
    } finally {
      me.close();
      await dropSchema(storage.schema);
    }
  });
});
