import { describe, expect, it } from "vitest";
import { createPgliteStorage } from "../../../src/adapters/postgres/index.js";
import { createParsedRowCache } from "../../../src/adapters/postgres/parsed-row-cache.js";
import { isDeeplyFrozen } from "../../../src/core/snapshot/deep-freeze.js";
import { errOf, okOf, schemaNamer, sharedPglite, writeRunAndCard } from "./helpers.js";

describe("parsed row cache", () => {
  it("answers what exactly the same text of the same table parsed to, deep-frozen", () => {
    const cache = createParsedRowCache();
    const kept = cache.keep("runs", '{"id":"a"}', { id: "a", nested: { n: 1 } });
    expect(isDeeplyFrozen(kept)).toBe(true);
    expect(cache.get("runs", '{"id":"a"}')).toBe(kept);
    expect(cache.get("assignments", '{"id":"a"}')).toBeUndefined();
    expect(cache.get("runs", '{"id":"a" }')).toBeUndefined();
  });

  it("tells apart the same text read beside different columns (`also`)", () => {
    const cache = createParsedRowCache();
    cache.keep("runs", "{}", { n: 1 }, "hash-1");
    expect(cache.get("runs", "{}", "hash-1")).toEqual({ n: 1 });
    expect(cache.get("runs", "{}", "hash-2")).toBeUndefined();
    expect(cache.get("runs", "{}")).toBeUndefined();
  });

  it("keeps at most its limit", () => {
    const cache = createParsedRowCache(1);
    cache.keep("runs", "a", { n: 1 });
    cache.keep("runs", "b", { n: 2 });
    expect(cache.get("runs", "a")).toBeUndefined();
    expect(cache.get("runs", "b")).toEqual({ n: 2 });
  });
});

describe("parsed rows in a store's reads", () => {
  const db = sharedPglite();
  const nextSchema = schemaNamer("test/adapters/postgres/parsed-row-cache.test.ts");

  it("answers a row read again unchanged with the record it parsed, deep-frozen, and parses an edited row anew", async () => {
    const storage = await okOf(createPgliteStorage({ pglite: db(), schema: nextSchema() }));
    const { run, assignment } = await writeRunAndCard(storage);
    // The first read names no snapshot as known, so its text is not the next reads' (without the snapshot).
    await okOf(storage.readRunState(run.id));
    const first = await okOf(storage.readRunState(run.id));
    const second = await okOf(storage.readRunState(run.id));
    expect(second.assignments[0]).toBe(first.assignments[0]);
    expect(second.run).toBe(first.run);
    expect(isDeeplyFrozen(second.assignments[0])).toBe(true);
    expect(second.run).toEqual({ ...run, version: 0 });

    // An edit behind the port's back, the version left as it was: new text, parsed and checked again.
    await db().query(
      `UPDATE "${storage.schema}".assignments SET record = record || '{"worktree_path": "/elsewhere"}'::jsonb WHERE id = $1`,
      [assignment.id],
    );
    const edited = await okOf(storage.readRunState(run.id));
    expect(edited.assignments[0]?.worktree_path).toBe("/elsewhere");
    expect(edited.assignments[0]).not.toBe(first.assignments[0]);
    await db().query(
      `UPDATE "${storage.schema}".assignments SET record = record || '{"assignment_input_hash": "sha256:${"0".repeat(64)}"}'::jsonb WHERE id = $1`,
      [assignment.id],
    );
    expect(await errOf(storage.readRunState(run.id))).toMatchObject({ kind: "validation" });
  });
});
