import { describe, expect, it } from "vitest";
import { createPgliteStorage } from "../../../src/adapters/postgres/index.js";
import { createParsedRowCache } from "../../../src/adapters/postgres/parsed-row-cache.js";
import { isDeeplyFrozen } from "../../../src/core/snapshot/deep-freeze.js";
import { errOf, okOf, schemaNamer, sharedPglite, writeRunAndCard } from "./helpers.js";

describe("parsed row cache", () => {
  it("answers in a run's read what exactly the same text of the same table parsed to in its last read", () => {
    const cache = createParsedRowCache();
    const first = cache.begin("run-1");
    expect(first.get("runs", '{"id":"a"}')).toBeUndefined();
    const kept = first.keep("runs", '{"id":"a"}', { id: "a", nested: { n: 1 } });
    expect(isDeeplyFrozen(kept)).toBe(true);
    first.end();
    const second = cache.begin("run-1");
    expect(second.get("runs", '{"id":"a"}')).toBe(kept);
    expect(second.get("assignments", '{"id":"a"}')).toBeUndefined();
    expect(second.get("runs", '{"id":"a" }')).toBeUndefined();
    expect(cache.begin("run-2").get("runs", '{"id":"a"}')).toBeUndefined();
  });

  it("tells apart the same text read beside different columns (`also`)", () => {
    const cache = createParsedRowCache();
    const read = cache.begin("run-1");
    read.keep("runs", "{}", { n: 1 }, "hash-1");
    read.end();
    const again = cache.begin("run-1");
    expect(again.get("runs", "{}", "hash-1")).toEqual({ n: 1 });
    expect(again.get("runs", "{}", "hash-2")).toBeUndefined();
    expect(again.get("runs", "{}")).toBeUndefined();
  });

  it("keeps only the rows of a run's last read that ended, and nothing of a read that failed", () => {
    const cache = createParsedRowCache();
    const first = cache.begin("run-1");
    first.keep("checks", "a", { n: 1 });
    first.keep("checks", "b", { n: 2 });
    first.end();
    const second = cache.begin("run-1");
    expect(second.get("checks", "b")).toEqual({ n: 2 });
    second.end();
    const failed = cache.begin("run-1");
    failed.keep("checks", "c", { n: 3 });
    const third = cache.begin("run-1");
    expect([third.get("checks", "a"), third.get("checks", "b"), third.get("checks", "c")]).toEqual([
      undefined,
      { n: 2 },
      undefined,
    ]);
  });

  it("forgets the least recently read runs past its limits, never the run just read, however large", () => {
    const cache = createParsedRowCache({ rows: 3, runs: 2 });
    const readOf = (run: string, texts: string[]) => {
      const read = cache.begin(run);
      for (const text of texts) read.keep("checks", text, { text });
      read.end();
    };
    readOf("a", ["1"]);
    readOf("b", ["2"]);
    readOf("c", ["3"]); // three runs: "a" goes
    expect(cache.begin("a").get("checks", "1")).toBeUndefined();
    expect(cache.begin("b").get("checks", "2")).toEqual({ text: "2" });
    readOf("d", ["4", "5", "6", "7"]); // more rows than the limit: every other run goes, "d" stays whole
    expect(cache.begin("c").get("checks", "3")).toBeUndefined();
    expect(cache.begin("d").get("checks", "7")).toEqual({ text: "7" });
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
