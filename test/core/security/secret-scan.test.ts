import { describe, expect, it } from "vitest";
import { diffAddedLines } from "../../../src/core/security/diff-added-lines.js";
import {
  describeSecretFindings,
  scanAddedLines,
  secretRules,
} from "../../../src/core/security/secret-scan.js";

// Shapes only: none of these is a live credential.
const AWS_KEY = ["AKIA", "Q3EXAMPLE7PLAINFAKE"].join("").slice(0, 20);
const PEM = ["-----BEGIN", "RSA PRIVATE KEY-----"].join(" ");

describe("diffAddedLines", () => {
  it("numbers added lines as in the new file and skips headers, context and removals", () => {
    const diff = [
      "diff --git a/src/a.ts b/src/a.ts",
      "--- a/src/a.ts",
      "+++ b/src/a.ts",
      "@@ -1,3 +1,4 @@",
      " keep",
      "-gone",
      "+first",
      "+second",
      " tail",
      "\\ No newline at end of file",
      "@@ -10,2 +11,2 @@",
      " ctx",
      "+later",
    ].join("\n");
    expect(diffAddedLines(diff)).toEqual([
      { line: 2, text: "first" },
      { line: 3, text: "second" },
      { line: 12, text: "later" },
    ]);
  });

  it("adds nothing for a binary file or an empty diff", () => {
    expect(diffAddedLines("diff --git a/x.png b/x.png\nBinary files a/x.png and b/x.png differ\n")).toEqual(
      [],
    );
    expect(diffAddedLines("")).toEqual([]);
  });
});

describe("scanAddedLines", () => {
  const rules = secretRules(["ACME-[0-9a-f]{32}"]);

  it("finds built-in shapes and the policy's own, naming file, line and rule, never the secret", () => {
    const findings = scanAddedLines(
      "src/config.ts",
      [
        { line: 4, text: `const key = "${AWS_KEY}";` },
        { line: 9, text: PEM },
        { line: 12, text: `token: ACME-${"0123456789abcdef".repeat(2)}` },
        { line: 13, text: "const total = items.reduce((a, b) => a + b, 0);" },
      ],
      rules,
    );
    expect(findings).toEqual([
      { path: "src/config.ts", line: 4, rule: "aws-access-key-id" },
      { path: "src/config.ts", line: 9, rule: "private-key" },
      { path: "src/config.ts", line: 12, rule: "policy:0" },
    ]);
    const text = describeSecretFindings(findings);
    expect(text).toContain("src/config.ts:4: looks like a secret (aws-access-key-id)");
    expect(text).not.toContain(AWS_KEY);
    expect(text).not.toContain("ACME-0123");
  });

  it("finds a secret at the end of a line of a megabyte (scanned in windows)", () => {
    const long = `${"x".repeat(1_000_000)} ${AWS_KEY}`;
    expect(scanAddedLines("dist/app.min.js", [{ line: 1, text: long }], rules)).toEqual([
      { path: "dist/app.min.js", line: 1, rule: "aws-access-key-id" },
    ]);
  });
});
