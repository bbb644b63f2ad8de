/**
 * Issue 17, goal 4: at most 250 bytes a stored event on average (and bytes per run kept from growing), measured as bench/storage-size.ts measures it
 * (`pg_total_relation_size` of `events`, heap and indexes, after `VACUUM FULL`, divided by its rows) on the same
 * 200 lifecycles: the same ids (UUIDs from a seeded hash, random-looking as production's) and the simulated clock,
 * so the figure is the bench's, the same on every run (about 12 s on PGlite). Fewer lifecycles would be quicker
 * but not the bench's figure: a table's fixed pages (each index's metapage and root, the last partly filled
 * pages) weigh more on fewer rows (246 bytes at 100 lifecycles).
 */
import { describe, expect, it } from "vitest";
import { storeLifecycles } from "../../../bench/stored-lifecycles.js";
import { createPgliteStorage } from "../../../src/adapters/postgres/index.js";
import { okOf, sharedPglite } from "./helpers.js";

const LIFECYCLES = 200;

/** One in-memory PGlite for the whole file; every test gets its own schema. */
const db = sharedPglite();

describe("stored size of an event and of a run", () => {
  it(`is at most 250 bytes an event on average over ${LIFECYCLES} card lifecycles (after VACUUM FULL), and a run no more than today`, async () => {
    const storage = await okOf(createPgliteStorage({ pglite: db(), schema: "event_size" }));
    await storeLifecycles(storage, LIFECYCLES);
    await db().query("VACUUM FULL event_size.events");
    const [row] = (
      await db().query<{ rows: number; bytes: number }>(
        `SELECT count(*)::int AS rows, pg_total_relation_size('event_size.events')::float8 AS bytes
         FROM event_size.events`,
      )
    ).rows;
    expect(row?.rows).toBe(29 * LIFECYCLES);
    // Version 6: 411 bytes; version 7: 236 (235.87).
    expect((row?.bytes ?? 0) / (row?.rows ?? 1)).toBeLessThanOrEqual(250);

    // Bytes per run, excluding events (the bench's other figure). Goal 4's 5 KB is not met: these bounds only
    // keep today's figures (17,285 within the keys' window, 12,042 past it) from growing unnoticed.
    const perRun = async () => {
      const tables = [
        "runs",
        "snapshots",
        "assignments",
        "approvals",
        "pull_requests",
        "checks",
        "executions",
      ];
      let bytes = 0;
      for (const table of [...tables, "commits", "idempotency_keys"]) {
        await db().query(`VACUUM FULL event_size.${table}`);
        const [size] = (
          await db().query<{ bytes: number }>(
            `SELECT pg_total_relation_size('event_size.${table}')::float8 AS bytes`,
          )
        ).rows;
        bytes += size?.bytes ?? 0;
      }
      return bytes / LIFECYCLES;
    };
    expect(await perRun()).toBeLessThanOrEqual(17_500);
    // Past their window the keys are gone (the next keyed write deletes them).
    await db().query("DELETE FROM event_size.idempotency_keys");
    expect(await perRun()).toBeLessThanOrEqual(12_500);
    await storage.close();
  }, 60_000);
});
