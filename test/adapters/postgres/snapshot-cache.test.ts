import { describe, expect, it } from "vitest";
import { createSnapshotCache } from "../../../src/adapters/postgres/snapshot-cache.js";

const value = (n: number) => Object.freeze({ n });

describe("snapshot cache", () => {
  it("names for a run the hashes its last state named, while their snapshots are held", () => {
    const cache = createSnapshotCache();
    expect([...cache.heldFor("run-1")]).toEqual([]);
    cache.remember("run-1", [
      ["h1", value(1)],
      ["h2", value(2)],
    ]);
    expect([...cache.heldFor("run-1")]).toEqual([
      ["h1", value(1)],
      ["h2", value(2)],
    ]);
    expect([...cache.heldFor("run-2")]).toEqual([]);
  });

  it("forgets the least recently used snapshot and run past its limits", () => {
    const cache = createSnapshotCache({ snapshots: 2, runs: 2 });
    cache.remember("a", [["h1", value(1)]]);
    cache.remember("b", [["h2", value(2)]]);
    cache.heldFor("a"); // a and h1 are now the most recent
    cache.remember("c", [["h3", value(3)]]);
    expect([...cache.heldFor("b").keys()]).toEqual([]); // b's run was evicted, and h2 with it
    expect([...cache.heldFor("a").keys()]).toEqual(["h1"]);
    expect([...cache.heldFor("c").keys()]).toEqual(["h3"]);
  });

  it("answers each reader its own map, unchanged by later evictions", () => {
    const cache = createSnapshotCache({ snapshots: 1 });
    cache.remember("a", [["h1", value(1)]]);
    const held = cache.heldFor("a");
    cache.remember("b", [["h2", value(2)]]);
    expect(held.get("h1")).toEqual(value(1));
    expect([...cache.heldFor("a").keys()]).toEqual([]);
  });
});
