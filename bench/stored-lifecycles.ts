/**
 * The card lifecycles the stored-size figures are measured on (issue 17, goal 4), written once: used by
 * bench/storage-size.ts, which reports them, and test/adapters/postgres/stored-size.test.ts, which guards them,
 * so the test's figure stays the bench's. Deterministic: ids are UUIDs from a seeded hash (random-looking, as
 * production's are, so compression is not flattered by sequential ids) and times come from the simulated clock.
 */
import { createHash } from "node:crypto";
import { createOrchestrator, type IdGenerator, type StoragePort } from "../src/index.js";
import { createInMemoryPorts, policyFixture, runInputFixture } from "../src/testing/index.js";
import { runCardLifecycle } from "./card-lifecycle.js";

/** A UUID (version-4 layout) derived from `seed`: random-looking and the same on every run. */
export function seededUuid(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The ids of lifecycle `lifecycle`: seeded UUIDs, the same on every run. */
function seededIds(lifecycle: number): IdGenerator {
  let n = 0;
  return { next: () => seededUuid(`rungate-bench:${lifecycle}:${n++}`) };
}

/**
 * Stores `count` card lifecycles (bench/card-lifecycle.ts) in `storage`, each on a card of its own, through the
 * orchestrator with the in-memory ports for everything but storage.
 */
export async function storeLifecycles(storage: StoragePort, count: number): Promise<void> {
  const policy = policyFixture();
  for (let n = 1; n <= count; n += 1) {
    const card_id = seededUuid(`rungate-bench:card:${n}`);
    const ports = createInMemoryPorts();
    const orchestrator = createOrchestrator({ ...ports, storage, ids: seededIds(n) });
    const request = {
      ...runInputFixture({
        card_id,
        cards: [{ card_id, title: `Card ${n}`, allowed_paths: ["src/**", "test/**"] }],
      }),
      policy,
    };
    await runCardLifecycle(orchestrator, ports.pullRequests, request);
  }
}
