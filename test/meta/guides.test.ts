import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script (scripts/guide-code.mjs), shared with its --write mode.
import { guideBlocks, guideFile } from "../../scripts/guide-code.mjs";

interface GuideBlock {
  readonly guide: string;
  readonly name: string | null;
  readonly code: string;
  readonly line: number;
}

// The typecheck compiles examples/guides/*.ts and the suite runs its tests, so a guide whose code is those
// files exactly cannot drift from the API unnoticed.
describe("the guides' code", () => {
  const blocks = guideBlocks() as GuideBlock[];

  it("has blocks to check", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(9);
  });

  for (const block of blocks) {
    it(`docs/guides/${block.guide}.md:${block.line} is examples/guides/${block.name} (regenerate: node scripts/guide-code.mjs --write)`, () => {
      expect(block.name, "every ts block starts with a // <name>.ts line").not.toBeNull();
      expect(block.code).toBe(readFileSync(guideFile(block), "utf8"));
    });
  }

  it("names each file once", () => {
    const names = blocks.map((b) => b.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
