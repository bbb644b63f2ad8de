import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
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
});
