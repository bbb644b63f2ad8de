import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normaliseRepoPath } from "../../src/core/policy/path-normalise.js";
import { compilePathRules } from "../../src/core/policy/path-rules.js";
import { convertSubstringRule, escapeGlobLiteral } from "../../src/dossier/index.js";
import { literalAllowedGlobs } from "../../src/dossier/substring-rule.js";

/** Whether rungate forbids `path` with the globs `s` was converted to. */
function forbids(s: string, path: string): boolean {
  const rules = compilePathRules({
    allowed: ["**"],
    forbidden: [...convertSubstringRule(s).globs],
    protected: [],
  });
  if (rules.isErr())
    throw new Error(`the globs of ${JSON.stringify(s)} do not compile: ${rules.error.message}`);
  return rules.value.judge(path).verdict === "forbidden";
}

// Every ASCII punctuation character, so every glob metacharacter meets the escaping; letters of both cases.
const PUNCTUATION = [..."!\"#$%&'()*+,-.:;<=>?@[]^_`{|}~ "];
const segmentChar = fc.constantFrom(..."abcAB01".split(""), ...PUNCTUATION);
const segment = fc
  .array(segmentChar, { minLength: 1, maxLength: 5 })
  .map((chars) => chars.join(""))
  .filter((s) => s !== "." && s !== "..");
/** A repository path as git reports it and rungate accepts it (already normalised). */
const repoPath = fc
  .array(segment, { minLength: 1, maxLength: 4 })
  .map((segments) => segments.join("/"))
  .filter((p) => normaliseRepoPath(p).isOk() && normaliseRepoPath(p).unwrapOr("") === p);
const anySubstring = fc
  .array(fc.oneof(segmentChar, fc.constant("/")), { maxLength: 7 })
  .map((c) => c.join(""));
/** A path and a substring of it (so that matches are common), or an unrelated substring. */
const pathAndRule = repoPath.chain((path) =>
  fc.oneof(
    fc
      .tuple(fc.nat(path.length), fc.nat(path.length))
      .map(([a, b]) => ({ path, s: path.slice(Math.min(a, b), Math.max(a, b)) })),
    anySubstring.map((s) => ({ path, s })),
  ),
);

describe("substring rule conversion", () => {
  it("forbids exactly the paths that contain the substring, ignoring case as rungate's deny rules do", () => {
    fc.assert(
      fc.property(pathAndRule, ({ path, s }) => {
        expect(forbids(s, path)).toBe(path.toLowerCase().includes(s.toLowerCase()));
      }),
      { numRuns: 3000 },
    );
  });

  it("is exact (case included) for substrings without letters of two cases", () => {
    const caseless = pathAndRule.filter(({ s }) => s.toLowerCase() === s.toUpperCase());
    fc.assert(
      fc.property(caseless, ({ path, s }) => {
        expect(forbids(s, path)).toBe(path.includes(s));
        expect(convertSubstringRule(s).meaning).not.toBe("case_insensitive");
      }),
      { numRuns: 2000 },
    );
  });

  it("never forbids less than the reference did", () => {
    fc.assert(
      fc.property(pathAndRule, ({ path, s }) => {
        if (path.includes(s)) expect(forbids(s, path)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    [".env", [".env", "config/.env", ".envrc", "a/.env.local/key"], ["env", "src/a.ts"]],
    ["migrations/", ["db/migrations/001.sql", "old-migrations/x"], ["migrations", "db/migrations"]],
    ["/secrets", ["config/secrets.yml", "a/secrets/b"], ["secrets/key", "mysecrets"]],
    ["app/[id]", ["src/app/[id]/page.tsx", "myapp/[id]x"], ["src/app/i/page.tsx", "src/app/d"]],
    ["*.pem", ["keys/a*.pem", "x*.pem.bak"], ["keys/a.pem"]],
  ])("converts %j: %j contain it, %j do not", (s, covered, free) => {
    for (const path of covered) expect(forbids(s, path), path).toBe(true);
    for (const path of free) expect(forbids(s, path), path).toBe(false);
  });

  it("says a rule with letters now ignores case, and one without letters keeps its meaning", () => {
    expect(convertSubstringRule(".env")).toMatchObject({ meaning: "case_insensitive" });
    expect(forbids(".env", "config/.ENV")).toBe(true);
    expect(convertSubstringRule("2024-01/")).toMatchObject({ meaning: "same" });
  });

  it("drops a rule no repository path can contain, saying why", () => {
    for (const s of ["a//b", "x/./y", "x/../y", "C:\\Users", "a\u0007b"]) {
      expect(convertSubstringRule(s)).toMatchObject({ globs: [], meaning: "never_matches" });
    }
  });

  it("turns the empty substring (in every path) into `**`", () => {
    expect(convertSubstringRule("").globs).toEqual(["**"]);
  });

  it("escapes glob characters with one-character classes, never backslashes", () => {
    expect(escapeGlobLiteral("a*b?[c]{d}(e|f)")).toBe("a[*]b[?][[]c][{]d[}][(]e[|]f[)]");
  });
});

describe("allowed path conversion", () => {
  it("turns a reference file name into globs that allow that name (and what is under it), nothing else", () => {
    fc.assert(
      fc.property(repoPath, repoPath, (path, other) => {
        const globs = literalAllowedGlobs(path);
        expect(globs).not.toBeNull();
        const rules = compilePathRules({ allowed: [...(globs ?? [])], forbidden: [], protected: [] });
        expect(rules.isOk()).toBe(true);
        if (rules.isErr()) return;
        expect(rules.value.judge(path).verdict).toBe("allowed");
        expect(rules.value.judge(`${path}/inner.ts`).verdict).toBe("allowed");
        const related = other === path || other.startsWith(`${path}/`);
        expect(rules.value.judge(other).verdict).toBe(related ? "allowed" : "outside_allowed");
      }),
      { numRuns: 2000 },
    );
  });
});
