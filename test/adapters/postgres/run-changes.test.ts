import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type {
  PGliteLike,
  PgPoolClientLike,
  PgPoolLike,
} from "../../../src/adapters/postgres/postgres-config.js";
import {
  parseRunChange,
  pgliteRunChanges,
  poolRunChanges,
  runChangeEntry,
} from "../../../src/adapters/postgres/run-changes.js";
import { okOf } from "./helpers.js";

/** A PGlite stand-in that counts its `LISTEN`s and stops, and hands a payload to whoever listens. */
function countingPglite() {
  const state = { listens: 0, stops: 0, callback: null as ((payload: string) => void) | null };
  const pglite: PGliteLike = {
    query: async () => ({ rows: [] }),
    transaction: async () => {
      throw new Error("not used");
    },
    close: async () => {},
    listen: async (_channel, callback) => {
      state.listens++;
      state.callback = callback;
      return async () => {
        state.stops++;
        state.callback = null;
      };
    },
  };
  return { pglite, state };
}

/** A pool stand-in: one connection at a time, counting check-outs, statements and releases. */
function countingPool() {
  const state = { connects: 0, releases: 0, statements: [] as string[] };
  const connection: PgPoolClientLike = {
    query: async (text) => {
      state.statements.push(text);
      return { rows: [] };
    },
    release: () => {
      state.releases++;
    },
    on: () => connection,
    removeListener: () => connection,
  };
  const pool: PgPoolLike = {
    connect: async () => {
      state.connects++;
      return connection;
    },
    query: async () => ({ rows: [] }),
  };
  return { pool, state };
}

/** Lets the feed's promise chains (listen, stop) settle. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe("run change feed: lingering after the last subscriber", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("keeps listening for the linger, so a subscriber arriving within it costs no new LISTEN", async () => {
    const { pglite, state } = countingPglite();
    const feed = pgliteRunChanges(pglite, "rg", "pglite-storage", 1_000);
    if (feed === null) throw new Error("a PGlite with listen offers changes");
    const first = await okOf(feed.changes.subscribe(() => {}));
    first.close();
    await vi.advanceTimersByTimeAsync(999);
    expect(state).toMatchObject({ listens: 1, stops: 0 });
    const heard: string[] = [];
    const second = await okOf(feed.changes.subscribe((run_id) => heard.push(run_id)));
    expect(state.listens).toBe(1);
    // The lingering LISTEN is the one the new subscriber hears through.
    state.callback?.("rg:run-1");
    await settle();
    expect(heard).toEqual(["run-1"]);
    second.close();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(state).toMatchObject({ listens: 1, stops: 1 });
  });

  it("stops after the linger has passed with nobody subscribed, and listens again for the next one", async () => {
    const { pglite, state } = countingPglite();
    const feed = pgliteRunChanges(pglite, "rg", "pglite-storage", 500);
    if (feed === null) throw new Error("a PGlite with listen offers changes");
    (await okOf(feed.changes.subscribe(() => {}))).close();
    await vi.advanceTimersByTimeAsync(500);
    expect(state).toMatchObject({ listens: 1, stops: 1 });
    const again = await okOf(feed.changes.subscribe(() => {}));
    expect(state.listens).toBe(2);
    again.close();
    await feed.shutdown();
  });

  it("with a linger of 0 gives the pool's connection back as soon as the last subscriber leaves", async () => {
    const { pool, state } = countingPool();
    const feed = poolRunChanges(pool, "rg", "postgres-storage", 0);
    (await okOf(feed.changes.subscribe(() => {}))).close();
    await settle();
    expect(state.releases).toBe(1);
    expect(state.statements).toEqual(["LISTEN rungate_run_changes", "UNLISTEN rungate_run_changes"]);
  });

  it("holds the pool's connection through the linger and gives it back at once when the store closes", async () => {
    const { pool, state } = countingPool();
    const feed = poolRunChanges(pool, "rg", "postgres-storage", 60_000);
    for (let i = 0; i < 3; i++) (await okOf(feed.changes.subscribe(() => {}))).close();
    expect(state).toMatchObject({ connects: 1, releases: 0 });
    await feed.shutdown();
    expect(state.releases).toBe(1);
    expect(state.statements).toEqual(["LISTEN rungate_run_changes", "UNLISTEN rungate_run_changes"]);
    // No timer is left to stop it twice, and a closed feed takes no subscriber.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(state.releases).toBe(1);
    expect((await feed.changes.subscribe(() => {})).isErr()).toBe(true);
  });
});

describe("run change payloads", () => {
  it("round-trip the run and whether its own record was written", () => {
    for (const run_record of [true, false]) {
      expect(parseRunChange("rg", `rg:${runChangeEntry("run-1", run_record)}`)).toEqual({
        run_id: "run-1",
        hint: { run_record },
      });
    }
    expect(parseRunChange("rg", "other:run-1")).toBeNull();
  });
});
