import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs list shared with tsup.config.ts and package.json.
import { ENTRIES } from "../../scripts/entries.mjs";
import { eventsDoc } from "../../scripts/events-doc.js";
import { lifecycleDoc } from "../../scripts/lifecycle-doc.js";

describe("docs", () => {
  it("docs/lifecycle.md matches the transition tables (regenerate: npx tsx scripts/lifecycle-doc.ts --write)", () => {
    const onDisk = readFileSync(join(import.meta.dirname, "..", "..", "docs", "lifecycle.md"), "utf8");
    expect(onDisk).toBe(lifecycleDoc());
  });

  it("docs/events.md matches the event catalogue (regenerate: npx tsx scripts/events-doc.ts --write)", () => {
    const onDisk = readFileSync(join(import.meta.dirname, "..", "..", "docs", "events.md"), "utf8");
    expect(onDisk).toBe(eventsDoc());
  });

  it("typedoc.json documents every public subpath, each module named by its import path (`@module rungate/git`)", () => {
    const root = join(import.meta.dirname, "..", "..");
    const config = JSON.parse(readFileSync(join(root, "typedoc.json"), "utf8")) as { entryPoints: string[] };
    const entries = Object.entries(ENTRIES as Record<string, [string, string]>);
    expect([...config.entryPoints].sort()).toEqual(entries.map(([, [, source]]) => source).sort());
    for (const [subpath, [, source]] of entries) {
      const name = subpath === "." ? "rungate" : `rungate/${subpath.slice(2)}`;
      const firstComment = /^\/\*\*[\s\S]*?\*\//.exec(readFileSync(join(root, source), "utf8"))?.[0] ?? "";
      expect(firstComment, source).toMatch(new RegExp(`^ \\* @module ${name}$`, "m"));
    }
  });
});
