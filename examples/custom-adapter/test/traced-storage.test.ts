/**
 * The tracing decorator held to rungate's `StoragePort` contract around the in-memory store (and, on request,
 * an embedded PGlite), whose leases and change notifications must survive the wrapping. Then what the decorator
 * itself adds: a report per call, and nothing else.
 */
import { PGlite } from "@electric-sql/pglite";
import { createOrchestrator, type StoragePort } from "rungate";
import { createPgliteStorage, type PostgresStorage } from "rungate/postgres";
import {
  createInMemoryPorts,
  createInMemoryStorage,
  expectErr,
  expectOk,
  type InMemoryStorage,
  policyFixture,
  runInputFixture,
} from "rungate/testing";
import { describeStoragePortContract } from "rungate/testing/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStorageCallStats, type StorageCall, traceStorage } from "../src/traced-storage.js";

/** The store each wrapped port decorates, to reach it for tampering and cleanup. */
const inners = new WeakMap<StoragePort, StoragePort>();
function traced<S extends StoragePort>(
  inner: S,
  onCall: (call: StorageCall) => void = () => {},
): StoragePort {
  const port = traceStorage(inner, { onCall });
  inners.set(port, inner);
  return port;
}

describeStoragePortContract({
  name: "traced in-memory storage",
  make: () => traced(createInMemoryStorage()),
  // The fake has leases, change notifications and the card read: `true` makes the contract fail if the
  // decorator lost one.
  capabilities: {
    leases: true,
    changes: true,
    listCardAssignments: true,
    // The fake lets a test edit a stored run behind the port's back; the contract checks getRun refuses it.
    tamper: async (port, run_id, mutate) => (inners.get(port) as InMemoryStorage).tamperRun(run_id, mutate),
  },
});

/** One in-memory PGlite for the file, opened on first use (starting one takes a second or more). */
let db: PGlite | undefined;
async function pglite(): Promise<PGlite> {
  db ??= await PGlite.create();
  return db;
}
afterAll(async () => {
  await db?.close();
});

/**
 * Around PGlite too, with `CONTRACT_PGLITE=1`: about 40 s more, most of it the case where 100 writers race on
 * PGlite's single connection. The in-memory store above already has leases and change notifications, so the
 * decorator's forwarding is held to the contract either way.
 */
let schemas = 0;
describe.runIf(process.env.CONTRACT_PGLITE === "1")("around PGlite", () => {
  beforeAll(() => pglite(), 60_000);
  describeStoragePortContract({
    name: "traced PGlite storage",
    make: async () =>
      traced(expectOk(await createPgliteStorage({ pglite: await pglite(), schema: `traced_${++schemas}` }))),
    cleanup: async (port) => {
      const inner = inners.get(port) as PostgresStorage;
      await inner.close(); // leaves our PGlite open: we passed it in
      await (await pglite()).query(`DROP SCHEMA IF EXISTS "${inner.schema}" CASCADE`);
    },
    // The decorator must pass these on: `true` makes the contract fail if one went missing.
    capabilities: { leases: true, changes: true, readRunState: true, listCardAssignments: true },
    concurrency_timeout_ms: 180_000,
  });
});

describe("traced storage: what it adds", () => {
  it("reports each call with its method, run, duration and outcome", async () => {
    const calls: StorageCall[] = [];
    let clock = 0;
    const inner = createInMemoryStorage();
    const port = traceStorage(inner, { onCall: (c) => calls.push(c), now: () => (clock += 5) });
    expectErr(await port.getRun("00000000-0000-4000-8000-000000000001"), { kind: "not_found" });
    expect(calls).toEqual([
      {
        method: "getRun",
        run_id: "00000000-0000-4000-8000-000000000001",
        duration_ms: 5,
        outcome: "not_found",
      },
    ]);
  });

  it("offers exactly the optional capabilities of the store it wraps", async () => {
    // A single-process store: the in-memory one with its leases and notifications hidden.
    const full = createInMemoryStorage();
    const hidden = new Set<PropertyKey>(["leases", "changes"]);
    const single = new Proxy(full, { get: (t, p) => (hidden.has(p) ? undefined : Reflect.get(t, p)) });
    const wrapped = traceStorage(single, { onCall: () => {} });
    expect([wrapped.leases, wrapped.changes]).toEqual([undefined, undefined]);
    expect("leases" in wrapped).toBe(false);
    // rungate's PGlite store offers all four.
    const sql = expectOk(
      await createPgliteStorage({ pglite: await pglite(), schema: "traced_capabilities" }),
    );
    const wrappedSql = traceStorage(sql, { onCall: () => {} });
    expect(
      [wrappedSql.leases, wrappedSql.changes, wrappedSql.readRunState, wrappedSql.listCardAssignments].every(
        (c) => c !== undefined,
      ),
    ).toBe(true);
    await sql.close();
  }, 60_000);

  it("traces a whole run on PGlite, reading the run back in one call", async () => {
    const calls: StorageCall[] = [];
    const sql = expectOk(await createPgliteStorage({ pglite: await pglite(), schema: "traced_run" }));
    const orchestrator = createOrchestrator({
      ...createInMemoryPorts(),
      storage: traceStorage(sql, { onCall: (c) => calls.push(c) }),
    });
    const built = expectOk(
      await orchestrator.triggerBuild({ ...runInputFixture(), policy: policyFixture() }),
    );
    expect(built.run.phase).toBe("awaiting_approval");
    expect(calls.some((c) => c.method === "readRunState" && c.run_id === built.run.id)).toBe(true);
    await sql.close();
  }, 60_000);

  it("keeps passing the store's secrets to rungate's redaction", () => {
    const inner: StoragePort = { ...createInMemoryStorage(), secret_values: ["db-password-1234"] };
    expect(traceStorage(inner, { onCall: () => {} }).secret_values).toEqual(["db-password-1234"]);
  });

  it("never lets a failing metrics callback fail a call", async () => {
    const port = traceStorage(createInMemoryStorage(), {
      onCall: () => {
        throw new Error("metrics backend down");
      },
    });
    expect(expectOk(await port.listRuns({})).runs).toEqual([]);
  });

  it("traces a whole run of the orchestrator, every write among the calls", async () => {
    const stats = createStorageCallStats();
    const ports = createInMemoryPorts();
    const orchestrator = createOrchestrator({ ...ports, storage: traceStorage(ports.storage, stats) });
    const built = expectOk(
      await orchestrator.triggerBuild({ ...runInputFixture(), policy: policyFixture() }),
    );
    expect(built.run.phase).toBe("awaiting_approval");
    const summary = stats.summary();
    expect(summary.write?.calls).toBeGreaterThan(5);
    expect(Object.values(summary).every((m) => m.errors === 0)).toBe(true);
  });
});
