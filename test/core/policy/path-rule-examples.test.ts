import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compilePathRules } from "../../../src/core/policy/path-rules.js";

interface Example {
  readonly rule: string;
  readonly path: string;
  readonly covered: boolean;
}

/** The rows of the example table in docs/path-rules.md, between its two markers. */
function examples(): Example[] {
  const doc = readFileSync(join(import.meta.dirname, "..", "..", "..", "docs", "path-rules.md"), "utf8");
  const table = doc.split("<!-- path-rule-examples -->")[1]?.split("<!-- /path-rule-examples -->")[0] ?? "";
  return table
    .split("\n")
    .map((line) => /^\| `([^`]+)` \| `([^`]+)` \| (yes|no) \|/.exec(line))
    .filter((m) => m !== null)
    .map((m) => ({ rule: m[1] as string, path: m[2] as string, covered: m[3] === "yes" }));
}

describe("the path rule examples in docs/path-rules.md", () => {
  const rows = examples();

  it("has a table to check", () => {
    expect(rows.length).toBeGreaterThanOrEqual(20);
  });

  it.each(rows)("$rule covers $path: $covered, as an allowed glob", ({ rule, path, covered }) => {
    const rules = compilePathRules({ allowed: [rule], forbidden: [], protected: [] })._unsafeUnwrap();
    expect(rules.judge(path).verdict).toBe(covered ? "allowed" : "outside_allowed");
  });

  it.each(rows)("$rule covers $path: $covered, as a forbidden glob", ({ rule, path, covered }) => {
    const rules = compilePathRules({ allowed: ["**"], forbidden: [rule], protected: [] })._unsafeUnwrap();
    expect(rules.judge(path).verdict).toBe(covered ? "forbidden" : "allowed");
    // Forbidden globs match whatever the case: the upper-case spelling is covered exactly as often.
    expect(rules.judge(path.toUpperCase()).verdict).toBe(covered ? "forbidden" : "allowed");
  });
});
