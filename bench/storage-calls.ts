/**
 * Where a lifecycle's storage time goes (issue 8), as a plain script: `npx tsx bench/storage-calls.ts`.
 * Counts, for one card lifecycle (the sequence of bench/storage.bench.ts), the storage port calls the
 * orchestrator makes and the SQL statements and transactions the Postgres adapter runs for them on PGlite in
 * memory, and times the statements. Everything is in this process (PGlite in memory).
 */
import { performance } from "node:perf_hooks";
import { PGlite } from "@electric-sql/pglite";
import { createSqlStorage, fromPglite, type SqlClient } from "../src/adapters/postgres/index.js";
import { createOrchestrator, type StoragePort } from "../src/index.js";
import {
  createInMemoryPorts,
  createSequentialIds,
  fixtureId,
  policyFixture,
  runInputFixture,
} from "../src/testing/index.js";
import { runCardLifecycle } from "./card-lifecycle.js";

const pglite = await PGlite.create();
const inner = fromPglite(pglite);
const sql = { statements: 0, transactions: 0, ms: 0, counting: false };
const timed = async <T>(work: () => Promise<T>): Promise<T> => {
  const start = performance.now();
  try {
    return await work();
  } finally {
    if (sql.counting) sql.ms += performance.now() - start;
  }
};
const counting: SqlClient = {
  query: (text, values) => {
    if (sql.counting) sql.statements += 1;
    return timed(() => inner.query(text, values));
  },
  transaction: (fn) => {
    if (sql.counting) sql.transactions += 1;
    return inner.transaction((tx) =>
      fn({
        query: (text, values) => {
          if (sql.counting) sql.statements += 1;
          return timed(() => tx.query(text, values));
        },
      }),
    );
  },
};
const opened = await createSqlStorage({ client: counting });
if (opened.isErr()) throw new Error(JSON.stringify(opened.error));
const storage = opened.value;

/** The storage port, counting calls per method. */
const calls = new Map<string, number>();
const countingPort = new Proxy(storage as StoragePort, {
  get(target, key, receiver) {
    const value = Reflect.get(target, key, receiver);
    if (typeof value !== "function" || typeof key !== "string") return value;
    return (...args: unknown[]) => {
      calls.set(key, (calls.get(key) ?? 0) + 1);
      return value.apply(target, args);
    };
  },
});

/**
 * A card of its own per lifecycle by default; `BENCH_SAME_CARD=1` builds the fixture's one card every time, as
 * this script did before 2026-12-06 (each build then reads the assignments of every earlier run of the card:
 * one `listAssignments` per earlier run).
 */
const SAME_CARD = process.env.BENCH_SAME_CARD === "1";
function requestFor(n: number) {
  const input = runInputFixture();
  const cards = SAME_CARD
    ? input.cards
    : input.cards.map((card) => ({ ...card, card_id: fixtureId(900_000 + n) }));
  return {
    ...input,
    ...(SAME_CARD ? {} : { card_id: fixtureId(900_000 + n) }),
    cards,
    policy: policyFixture(),
  };
}
async function lifecycle(n: number): Promise<number> {
  const ports = createInMemoryPorts();
  const o = createOrchestrator({
    ...ports,
    storage: countingPort,
    ids: createSequentialIds(n * 1_000, { prefix: 1 }),
  });
  const start = performance.now();
  await runCardLifecycle(o, ports.pullRequests, requestFor(n));
  return performance.now() - start;
}

for (let n = 1; n <= 5; n += 1) await lifecycle(n); // warm-up
calls.clear();
const LIFECYCLES = 20;
sql.counting = true;
let total = 0;
for (let n = 6; n < 6 + LIFECYCLES; n += 1) total += await lifecycle(n);
sql.counting = false;

const perLifecycle = (x: number) => (x / LIFECYCLES).toFixed(1);
const portCalls = [...calls.values()].reduce((a, b) => a + b, 0);
console.log(
  `\n## per lifecycle on PGlite in memory (mean of ${LIFECYCLES}; ${SAME_CARD ? "the same card each time" : "a card of its own each"})`,
);
console.log(`wall time: ${perLifecycle(total)} ms`);
console.log(`storage port calls: ${perLifecycle(portCalls)}`);
for (const [method, count] of [...calls].sort((a, b) => b[1] - a[1])) {
  console.log(`    ${method}: ${perLifecycle(count)}`);
}
console.log(
  `SQL statements: ${perLifecycle(sql.statements)} (transactions: ${perLifecycle(sql.transactions)})`,
);
console.log(`time inside statements: ${perLifecycle(sql.ms)} ms`);
await storage.close();
await pglite.close();
