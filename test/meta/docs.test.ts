import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lifecycleDoc } from "../../scripts/lifecycle-doc.js";

describe("docs", () => {
  it("docs/lifecycle.md matches the transition tables (regenerate: npx tsx scripts/lifecycle-doc.ts --write)", () => {
    const onDisk = readFileSync(join(import.meta.dirname, "..", "..", "docs", "lifecycle.md"), "utf8");
    expect(onDisk).toBe(lifecycleDoc());
  });
});
