import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normaliseRepoPath } from "../../../src/core/policy/path-normalise.js";
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
);
const glob = fc.array(globSegment, { minLength: 1, maxLength: 4 }).map((s) => s.join("/"));
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

describe("the combined-expression index of the path rules", () => {
  it("gives the verdict and the deciding rule a glob-by-glob picomatch loop gives (property)", () => {
    fc.assert(
      fc.property(
        fc.array(glob, { maxLength: 6 }),
        fc.array(glob, { maxLength: 6 }),
        fc.array(glob, { maxLength: 4 }),
        fc.array(path, { minLength: 1, maxLength: 10 }),
        (allowed, forbidden, guarded, paths) => {
          const lists = { allowed, forbidden, protected: guarded };
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
  });

  it("keeps list order across chunks: with 1,000 globs the first matching one decides", () => {
    const forbidden = Array.from({ length: 1_000 }, (_, i) => `dir${i}/**`);
    forbidden.push("**/*.pem");
    const rules = compilePathRules({ allowed: ["**"], forbidden, protected: [] })._unsafeUnwrap();
    expect(rules.judge("dir999/a.pem")).toMatchObject({ verdict: "forbidden", rule: "dir999/**" });
    expect(rules.judge("other/a.pem")).toMatchObject({ verdict: "forbidden", rule: "**/*.pem" });
    expect(rules.judge("dir1000/a.ts")).toMatchObject({ verdict: "allowed", rule: "**" });
  });

  it("finds the same covering glob as asking glob by glob, in list order (property)", () => {
    fc.assert(
      fc.property(glob, fc.array(glob, { maxLength: 8 }), (allowed, forbidden) => {
        const oneByOne = forbidden.find((f) => globCoveredBy(allowed, [f]) !== null) ?? null;
        expect(globCoveredBy(allowed, forbidden)).toBe(oneByOne);
      }),
      { numRuns: 2_000 },
    );
  });
});
