import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");

describe("README", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");

  it("gives the two set-up commands", () => {
    expect(readme).toContain("npm ci && npm run demo");
    expect(readme).toContain("npm ci && npm test");
  });

  it("shows exactly examples/readme-usage.ts (which the typecheck compiles and this suite runs)", async () => {
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
    // The example imports rungate by its public names (tsconfig.json's paths resolve them to the source).
    const example = readFileSync(join(root, "examples", "readme-usage.ts"), "utf8");
    expect(block).toBe(example);
    const lines: unknown[][] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => void lines.push(args);
    try {
      await import("../../examples/readme-usage.js");
    } finally {
      console.log = log;
    }
    expect(lines[0]?.[0]).toBe("awaiting_approval");
    expect([...((lines[0]?.[1] as string[]) ?? [])].sort()).toEqual([
      "lint:passed",
      "policy:passed",
      "unit:passed",
    ]);
    expect(lines[1]).toEqual(["merged"]);
  });
});
