import fc from "fast-check";
import picomatch from "picomatch";
import { describe, expect, it } from "vitest";
import { foldCase, type GlobKey, patternKeys } from "../../../src/core/policy/glob-keys.js";

const OPTIONS = { dot: true, windows: false, nonegate: true, debug: true };
const unit = (code: number): string => String.fromCharCode(code);
const exactly = (u: string): RegExp =>
  new RegExp(`^\\u${u.charCodeAt(0).toString(16).padStart(4, "0")}$`, "i");

/** Whether `path` has `key` (see GlobKey). */
function has(path: string, { kind, text }: GlobKey): boolean {
  const segments = path.split("/");
  const name = segments[segments.length - 1] ?? "";
  if (kind === "base") return path === text || path.startsWith(`${text}/`);
  if (kind === "segment") return segments.includes(text);
  return kind === "prefix" ? name.startsWith(text) : name.endsWith(text);
}

/** Property runs compile hundreds of fresh globs; the machine may be busy with other work. */
const PROPERTY_TIMEOUT = 60_000;

describe("foldCase", () => {
  it(
    "folds two code units alike exactly when a case-insensitive expression matches one with the other",
    () => {
      // Every code unit against its own fold, its upper and lower case: the classes the regular expression
      // joins. Disagreements are collected and compared once (an expect per pair costs seconds).
      const disagreements: string[] = [];
      for (let code = 0; code <= 0xffff; code++) {
        const u = unit(code);
        for (const other of [foldCase(u), u.toUpperCase(), u.toLowerCase()]) {
          if (other.length !== 1) continue;
          if (exactly(u).test(other) !== (foldCase(u) === foldCase(other))) {
            disagreements.push(`${code.toString(16)} vs ${other}`);
          }
        }
      }
      expect(disagreements).toEqual([]);
    },
    PROPERTY_TIMEOUT,
  );

  it(
    "agrees with the expression on the known traps, and on random pairs (property)",
    () => {
      const traps = [
        "σ",
        "ς",
        "Σ",
        "\u212a",
        "k",
        "K",
        "ſ",
        "s",
        "S",
        "ß",
        "ẞ",
        "İ",
        "ı",
        "i",
        "I",
        "µ",
        "μ",
        "Μ",
      ];
      for (const a of traps)
        for (const b of traps) expect(exactly(a).test(b)).toBe(foldCase(a) === foldCase(b));
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), (a, b) => {
          expect(exactly(unit(a)).test(unit(b))).toBe(foldCase(unit(a)) === foldCase(unit(b)));
        }),
        { numRuns: 20_000 },
      );
    },
    PROPERTY_TIMEOUT,
  );

  it("keeps the length and folds ASCII to upper case", () => {
    expect(foldCase("src/.Env")).toBe("SRC/.ENV");
    expect(foldCase("straße/ς")).toHaveLength("straße/ς".length);
  });
});

describe("patternKeys", () => {
  it.each<[string, GlobKey[] | undefined]>([
    ["services/a/config.json", [{ kind: "base", text: "services/a/config.json" }]],
    ["packages/a/**", [{ kind: "base", text: "packages/a" }]],
    ["apps/a/src/**/*.ts", [{ kind: "base", text: "apps/a/src" }]],
    ["@scope/ui/{src,test}/**", [{ kind: "base", text: "@scope/ui" }]],
    ["**/*.pem", [{ kind: "suffix", text: ".pem" }]],
    ["**/x-secret*", [{ kind: "prefix", text: "x-secret" }]],
    ["**/secrets/**", [{ kind: "segment", text: "secrets" }]],
    ["**/config/*.json", [{ kind: "segment", text: "config" }]],
    [
      "**/*.{ts,tsx}",
      [
        { kind: "suffix", text: ".ts" },
        { kind: "suffix", text: ".tsx" },
      ],
    ],
    ["**/*", undefined],
    ["**", undefined],
    ["**/[ab].pem", undefined],
    ["**/@(a|b).pem", undefined],
    ["**/x**.pem", undefined],
    ["**/{a}.pem", undefined],
    ["a/{x|y}", undefined],
    ["a|b/c", undefined],
  ])("%s", (pattern, keys) => {
    expect(patternKeys(pattern)).toEqual(keys);
  });

  it(
    "names a key every clean matching path has (property)",
    () => {
      const part = fc.constantFrom(
        "a",
        "B",
        "*",
        "**",
        "?",
        "*.pem",
        "x-*",
        "{a,b}",
        "a{,.b}",
        "[ab]",
        "@(a|b)",
        "a|b",
      );
      const name = fc.constantFrom("a", "b", "B", "a.b", "a.pem", "x-1", "x-", "a|b", "ab", "{a}");
      fc.assert(
        fc.property(
          fc.array(part, { minLength: 1, maxLength: 4 }),
          fc.array(name, { minLength: 1, maxLength: 5 }),
          fc.boolean(),
          (parts, names, nocase) => {
            const pattern = parts.join("/");
            const path = names.join("/");
            const keys = patternKeys(pattern);
            if (keys === undefined || !picomatch(pattern, { ...OPTIONS, nocase })(path)) return;
            const fold = nocase ? foldCase : (t: string) => t;
            const folded = keys.map((k) => ({ kind: k.kind, text: fold(k.text) }));
            expect(folded.some((k) => has(fold(path), k))).toBe(true);
          },
        ),
        { numRuns: 5_000 },
      );
    },
    PROPERTY_TIMEOUT,
  );
});
