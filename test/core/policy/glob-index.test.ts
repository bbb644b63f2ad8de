import fc from "fast-check";
import picomatch from "picomatch";
import { describe, expect, it } from "vitest";
import { firstMatchPosition, type IndexedGlob } from "../../../src/core/policy/glob-index.js";
import { normaliseGlob, normaliseRepoPath } from "../../../src/core/policy/path-normalise.js";
import {
  compileGlobMatcher,
  compilePathRules,
  globCoveredBy,
  type PathVerdict,
} from "../../../src/core/policy/path-rules.js";

const globSegment = fc.constantFrom(
  "src",
  "SRC",
  "lib",
  "*",
  "**",
  "?",
  "*.ts",
  "*.{ts,tsx}",
  "[ab]",
  "@(x|y)",
  ".env",
  ".env*",
  "secrets",
  "a.b",
  "+(q)",
  "!(z)",
  "x?y",
  "file.ts",
  "deep",
  // Shapes the index groups by: extensions, static starts and ends, brace sets, literal names.
  "*.pem",
  "*.PEM",
  "x-*",
  "*-x",
  "*.d.ts",
  "{a,b}",
  "{src,lib}",
  "*.{pem,ts}",
  "a{,.b}",
  "{x-*,*.pem}",
  // Characters picomatch reads literally, or not: `|` outside parentheses splits the whole expression.
  "@scope",
  "a+b",
  "a|b",
  "x{a|b}",
  "{a}",
  "x[",
  "]y",
  // Case folding beyond ASCII: σ/ς/Σ match case-insensitively, the Kelvin sign does not match k.
  "σ",
  "\u212a",
  "ſ*",
);
const pathSegment = fc.constantFrom(
  "src",
  "SRC",
  "lib",
  "a",
  "b",
  "x",
  "y",
  "q",
  "z",
  ".env",
  ".env.local",
  "secrets",
  "a.b",
  "file.ts",
  "file.tsx",
  "x1y",
  "deep",
  ".hidden",
  "index.ts",
  "a.pem",
  "KEY.PEM",
  "x-1",
  "1-x",
  "x-",
  "file.d.ts",
  "a|b",
  "b}",
  "{a}",
  "x{a|b}",
  "@scope",
  "a+b",
  "ς",
  "Σ",
  "k",
  "K",
  "s",
  "S",
  "\u212a",
);
const segments = fc.array(globSegment, { minLength: 1, maxLength: 4 }).map((s) => s.join("/"));
/** Globs anchored at the root, and deny-anywhere globs (`**\/…`), which have no static base. */
const glob = fc.oneof(
  segments,
  segments.map((s) => `**/${s}`),
);
const path = fc.array(pathSegment, { minLength: 1, maxLength: 5 }).map((s) => s.join("/"));

/** The naive judge: every glob tested one by one with picomatch's own matcher, in the documented order. */
function naive(lists: { allowed: string[]; forbidden: string[]; protected: string[] }) {
  const compile = (globs: string[], nocase: boolean) =>
    globs.flatMap((g) => {
      const c = compileGlobMatcher(g, { nocase });
      return c.isOk() ? [c.value] : [];
    });
  const forbidden = compile(lists.forbidden, true);
  const allowed = compile(lists.allowed, false);
  const guarded = compile(lists.protected, true);
  return (p: string): Pick<PathVerdict, "verdict" | "rule"> => {
    const n = normaliseRepoPath(p);
    if (n.isErr()) return { verdict: "invalid_path", rule: n.error.code };
    const denied = forbidden.find((c) => c.test(n.value));
    if (denied) return { verdict: "forbidden", rule: denied.glob };
    const ok = allowed.find((c) => c.test(n.value));
    if (!ok) return { verdict: "outside_allowed", rule: "(no allowed glob matched)" };
    const g = guarded.find((c) => c.test(n.value));
    return g ? { verdict: "protected", rule: g.glob } : { verdict: "allowed", rule: ok.glob };
  };
}

/** Property runs compile hundreds of fresh globs; the machine may be busy with other work. */
const PROPERTY_TIMEOUT = 60_000;

describe("the grouped index of the path rules", () => {
  it(
    "gives the verdict and the deciding rule a glob-by-glob picomatch loop gives (property)",
    () => {
      fc.assert(
        fc.property(
          fc.array(glob, { maxLength: 6 }),
          fc.array(glob, { maxLength: 10 }),
          fc.array(glob, { maxLength: 6 }),
          fc.array(fc.oneof(path, glob), { minLength: 1, maxLength: 10 }),
          (allowed, forbidden, guarded, paths) => {
            // Unusable globs (an unclosed `[`) would refuse the whole policy; drop them and judge the rest.
            const usable = (globs: string[]) =>
              globs.filter((g) => compileGlobMatcher(g, { nocase: true }).isOk());
            const lists = {
              allowed: usable(allowed),
              forbidden: usable(forbidden),
              protected: usable(guarded),
            };
            const rules = compilePathRules(lists);
            if (rules.isErr()) return;
            const slow = naive(lists);
            for (const p of paths) {
              const fast = rules.value.judge(p);
              expect({ verdict: fast.verdict, rule: fast.rule }).toEqual(slow(p));
            }
          },
        ),
        { numRuns: 3_000 },
      );
    },
    PROPERTY_TIMEOUT,
  );

  it(
    "answers the first matching pattern in list order, for clean and unclean paths alike (property)",
    () => {
      const options = { dot: true, windows: false, nonegate: true, debug: true };
      // Paths with empty segments are never handed over by the judge, but the index must not trip on them.
      const anyPath = fc.oneof(
        path,
        path.map((p) => `${p}/`),
        path.map((p) => `/${p}`),
        path.map((p) => p.replace("/", "//")),
        // picomatch's matcher takes a path equal to the pattern text, whatever its expression says.
        glob,
      );
      fc.assert(
        fc.property(
          fc.array(glob, { maxLength: 12 }),
          fc.boolean(),
          fc.array(anyPath, { maxLength: 10 }),
          (raw, nocase, paths) => {
            const compiled = raw.flatMap((r) => {
              const g = normaliseGlob(r);
              if (g.isErr()) return [];
              try {
                const source = picomatch.makeRe(g.value, { ...options, nocase }).source;
                const test = picomatch(g.value, { ...options, nocase });
                return [{ test, indexed: { sources: [source], patterns: [g.value] } }];
              } catch {
                return [];
              }
            });
            const indexed: IndexedGlob[] = compiled.map((c) => c.indexed);
            const first = firstMatchPosition(indexed, nocase);
            for (const p of paths) expect(first(p), p).toBe(compiled.findIndex((c) => c.test(p)));
          },
        ),
        { numRuns: 2_000 },
      );
    },
    PROPERTY_TIMEOUT,
  );

  it("takes the earliest glob when a path matches globs of several groups", () => {
    const forbidden = ["**/*.pem", "keys/**", "keys/a.pem", "**/keys/**", "**/a.*"];
    const rules = compilePathRules({ allowed: ["**"], forbidden, protected: [] })._unsafeUnwrap();
    expect(rules.judge("keys/a.pem")).toMatchObject({ verdict: "forbidden", rule: "**/*.pem" });
    expect(rules.judge("keys/a.txt")).toMatchObject({ verdict: "forbidden", rule: "keys/**" });
    expect(rules.judge("x/keys/a.txt")).toMatchObject({ verdict: "forbidden", rule: "**/keys/**" });
    expect(rules.judge("x/a.txt")).toMatchObject({ verdict: "forbidden", rule: "**/a.*" });
    const reversed = compilePathRules({
      allowed: ["**"],
      forbidden: [...forbidden].reverse(),
      protected: [],
    });
    expect(reversed._unsafeUnwrap().judge("keys/a.pem")).toMatchObject({ rule: "**/a.*" });
  });

  it("keeps list order across chunks: with 1,000 globs the first matching one decides", () => {
    const forbidden = Array.from({ length: 1_000 }, (_, i) => `dir${i}/**`);
    forbidden.push("**/*.pem");
    const rules = compilePathRules({ allowed: ["**"], forbidden, protected: [] })._unsafeUnwrap();
    expect(rules.judge("dir999/a.pem")).toMatchObject({ verdict: "forbidden", rule: "dir999/**" });
    expect(rules.judge("other/a.pem")).toMatchObject({ verdict: "forbidden", rule: "**/*.pem" });
    expect(rules.judge("dir1000/a.ts")).toMatchObject({ verdict: "allowed", rule: "**" });
  });

  it(
    "finds the same covering glob as asking glob by glob, in list order (property)",
    () => {
      fc.assert(
        fc.property(glob, fc.array(glob, { maxLength: 8 }), (allowed, forbidden) => {
          const oneByOne = forbidden.find((f) => globCoveredBy(allowed, [f]) !== null) ?? null;
          expect(globCoveredBy(allowed, forbidden)).toBe(oneByOne);
        }),
        { numRuns: 2_000 },
      );
    },
    PROPERTY_TIMEOUT,
  );
});
