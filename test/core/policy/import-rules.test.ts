import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compileImportRules,
  describeImportFindings,
  type ImportRule,
  type ImportStatement,
  importCandidates,
  isScriptPath,
  judgeImports,
  resolveSpecifier,
  unparsableFinding,
} from "../../../src/core/policy/import-rules.js";

const CORE_NO_ADAPTERS: ImportRule = { from: "src/core/**", to: "src/adapters/**" };

const rulesOf = (...rules: ImportRule[]) => compileImportRules(rules)._unsafeUnwrap();
const imp = (specifier: string | null, line = 1, type_only = false): ImportStatement => ({
  specifier,
  line,
  type_only,
});
/** The findings of one file with the given imports. */
const judge = (rules: ImportRule[], path: string, ...imports: ImportStatement[]) =>
  judgeImports(rulesOf(...rules), [{ path, imports }]);

describe("resolving a specifier from the importing file", () => {
  it("joins a relative specifier to the importer's folder, POSIX style", () => {
    expect(resolveSpecifier("src/core/a.ts", "./b.ts")).toEqual({
      kind: "relative",
      paths: ["src/core/b.ts"],
    });
    const up = resolveSpecifier("src/core/policy/a.ts", "../../adapters/./x.js");
    expect(up.kind === "relative" && up.paths[0]).toBe("src/adapters/x.js");
    const dotted = resolveSpecifier("src/core/a.ts", ".//b//../c.mjs");
    expect(dotted.kind === "relative" && dotted.paths[0]).toBe("src/core/c.mjs");
  });

  it("reads `.js` as TypeScript does: the .ts, .tsx and .d.ts it may stand for", () => {
    expect(importCandidates("src/adapters/x.js")).toEqual([
      "src/adapters/x.js",
      "src/adapters/x.ts",
      "src/adapters/x.tsx",
      "src/adapters/x.d.ts",
    ]);
    expect(importCandidates("a/x.mjs")).toEqual(["a/x.mjs", "a/x.mts", "a/x.d.mts"]);
    expect(importCandidates("a/x.cjs")).toEqual(["a/x.cjs", "a/x.cts", "a/x.d.cts"]);
    expect(importCandidates("a/x.jsx")).toEqual(["a/x.jsx", "a/x.tsx"]);
    expect(importCandidates("a/x.ts")).toEqual(["a/x.ts"]);
  });

  it("tries every extension and the folder's index for a specifier without one", () => {
    const candidates = importCandidates("src/adapters");
    expect(candidates.slice(0, 3)).toEqual(["src/adapters", "src/adapters.ts", "src/adapters.tsx"]);
    expect(candidates).toContain("src/adapters/index.ts");
    expect(candidates).toContain("src/adapters/index.js");
    expect(importCandidates("a/x.service")).toContain("a/x.service.ts");
    // `..` from a root-level file is the root itself: only its index files.
    expect(importCandidates("")).toEqual(expect.arrayContaining(["index.ts", "index.js"]));
    expect(importCandidates("")).not.toContain("");
  });

  it("drops a query or fragment and also judges the percent-decoded spelling, as Node's loader reads URLs", () => {
    const encoded = resolveSpecifier("src/core/a.ts", "../%61dapters/x.js?raw#top");
    expect(encoded.kind === "relative" && encoded.paths).toEqual(
      expect.arrayContaining(["src/%61dapters/x.js", "src/adapters/x.js", "src/adapters/x.ts"]),
    );
    // A malformed escape is judged as written.
    const broken = resolveSpecifier("src/core/a.ts", "./%E0%A4%A.js");
    expect(broken.kind === "relative" && broken.paths[0]).toBe("src/core/%E0%A4%A.js");
  });

  it("keeps a bare specifier as written", () => {
    for (const s of ["zod", "node:fs", "@scope/pkg/sub", "#internal/x", "@/core/x", "src/adapters/x.js"]) {
      expect(resolveSpecifier("src/core/a.ts", s)).toEqual({ kind: "bare", specifier: s });
    }
  });

  it("says when a specifier leaves the repository: climbing above the root, or absolute", () => {
    for (const s of [
      "../../../x.js",
      "../../..",
      "/etc/passwd",
      "file:///repo/src/adapters/x.js",
      "FILE:/x",
    ]) {
      expect(resolveSpecifier("src/core/a.ts", s)).toEqual({ kind: "outside_repository" });
    }
    // Exactly up to the root stays inside.
    expect(resolveSpecifier("src/core/a.ts", "../../x.js").kind).toBe("relative");
  });
});

describe("compiling the rules", () => {
  it("reports every unusable glob with its place in the policy", () => {
    const error = compileImportRules([
      { from: "src/core/**", to: "src/adapters/**" },
      { from: "../outside/**", to: "src/[x" },
      { from: "/abs", to: "ok/**" },
    ])._unsafeUnwrapErr();
    expect(error.kind).toBe("validation");
    expect(error.code).toBe("invalid_glob");
    if (error.kind !== "validation") throw new Error("unreachable");
    expect(error.detail.issues.map((i) => [i.path, i.code])).toEqual([
      [["architecture_policy", "forbidden_imports", 1, "from"], "traversal"],
      [["architecture_policy", "forbidden_imports", 1, "to"], "unbalanced"],
      [["architecture_policy", "forbidden_imports", 2, "from"], "absolute"],
    ]);
    expect(error.message).toContain("architecture_policy.forbidden_imports[1].from");
  });

  it("refuses what is not a glob instead of throwing", () => {
    const error = compileImportRules([{ from: 3, to: null } as unknown as ImportRule])._unsafeUnwrapErr();
    expect(error.kind === "validation" && error.detail.issues.map((i) => i.code)).toEqual([
      "invalid_type",
      "invalid_type",
    ]);
    expect(compileImportRules("nope" as unknown as ImportRule[]).isErr()).toBe(true);
  });

  it("applies to files under some `from` glob only; no rules apply to nothing", () => {
    const rules = rulesOf(CORE_NO_ADAPTERS, { from: "src/ports/**", to: "src/adapters/**" });
    expect(rules.appliesTo("src/core/a.ts")).toBe(true);
    expect(rules.appliesTo("src/ports/git.ts")).toBe(true);
    expect(rules.appliesTo("src/adapters/x.ts")).toBe(false);
    expect(rulesOf().appliesTo("src/core/a.ts")).toBe(false);
  });

  it("knows which files are scripts", () => {
    for (const p of ["a.js", "a.mjs", "a.cjs", "a.jsx", "a.ts", "a.mts", "a.cts", "a.tsx", "a.d.ts"]) {
      expect(isScriptPath(p)).toBe(true);
    }
    for (const p of ["a.json", "a.md", "a.ts.orig", "a.JS", "Makefile"]) expect(isScriptPath(p)).toBe(false);
  });
});

describe("judging a file's imports", () => {
  it("finds `../adapters/x.js` from src/core, naming file, line, specifier, resolved path and rule", () => {
    const findings = judge([CORE_NO_ADAPTERS], "src/core/a.ts", imp("zod", 1), imp("../adapters/x.js", 3));
    expect(findings).toEqual([
      {
        kind: "forbidden_import",
        path: "src/core/a.ts",
        line: 3,
        specifier: "../adapters/x.js",
        resolved: "src/adapters/x.js",
        rule: CORE_NO_ADAPTERS,
        type_only: false,
        message:
          'src/core/a.ts:3: imports "../adapters/x.js" (src/adapters/x.js), which src/core/** may not import (src/adapters/**)',
      },
    ]);
  });

  it("hits a `to` glob through the .ts a .js specifier stands for, and through a folder's index", () => {
    const tsOnly = { from: "src/core/**", to: "src/adapters/**/*.ts" };
    expect(judge([tsOnly], "src/core/a.ts", imp("../adapters/x.js"))[0]?.resolved).toBe("src/adapters/x.ts");
    const index = { from: "src/core/**", to: "src/adapters/*/index.ts" };
    expect(judge([index], "src/core/a.ts", imp("../adapters/git"))[0]?.resolved).toBe(
      "src/adapters/git/index.ts",
    );
    expect(judge([CORE_NO_ADAPTERS], "src/core/a.ts", imp("../adapters"))[0]?.resolved).toBe("src/adapters");
  });

  it("lets an allowed import through: same layer, other layers, packages", () => {
    const findings = judge(
      [CORE_NO_ADAPTERS],
      "src/core/policy/a.ts",
      imp("./b.js"),
      imp("../errors.js"),
      imp("../../ports/git.js"),
      imp("neverthrow"),
      imp("./adapters.js"), // src/core/policy/adapters.js, not src/adapters
    );
    expect(findings).toEqual([]);
  });

  it("ignores files no rule covers", () => {
    expect(judge([CORE_NO_ADAPTERS], "src/orchestrator/a.ts", imp("../adapters/x.js"), imp(null))).toEqual(
      [],
    );
  });

  it("matches bare specifiers as written, so a rule can forbid Node built-ins or a package", () => {
    const rules = [
      { from: "src/core/**", to: "{node:*,fs,fs/**}" },
      { from: "src/core/**", to: "simple-git" },
    ];
    const findings = judge(
      rules,
      "src/core/a.ts",
      imp("node:fs"),
      imp("fs/promises"),
      imp("simple-git/promise"),
      imp("zod"),
    );
    expect(findings.map((f) => [f.specifier, f.resolved, f.rule.to])).toEqual([
      ["node:fs", "node:fs", "{node:*,fs,fs/**}"],
      ["fs/promises", "fs/promises", "{node:*,fs,fs/**}"],
      ["simple-git/promise", "simple-git/promise", "simple-git"],
    ]);
  });

  it("counts type-only imports, and says they are type-only", () => {
    const [finding] = judge([CORE_NO_ADAPTERS], "src/core/a.ts", imp("../adapters/x.js", 2, true));
    expect(finding?.type_only).toBe(true);
    expect(finding?.message).toBe(
      'src/core/a.ts:2: imports type "../adapters/x.js" (src/adapters/x.js), which src/core/** may not import (src/adapters/**)',
    );
  });

  it("reports an import leaving the repository, and a computed specifier, once each, as unjudgeable", () => {
    const second = { from: "src/**", to: "vendor/**" };
    const findings = judge(
      [CORE_NO_ADAPTERS, second],
      "src/core/a.ts",
      imp("../../../x.js", 4),
      imp(null, 5),
    );
    expect(findings.map((f) => [f.kind, f.line, f.rule])).toEqual([
      ["outside_repository", 4, CORE_NO_ADAPTERS],
      ["computed_specifier", 5, CORE_NO_ADAPTERS],
    ]);
    expect(describeImportFindings(findings)).toBe(
      [
        'src/core/a.ts:4: imports "../../../x.js", which leads outside the repository, so the import rules for src/core/** cannot be checked',
        "src/core/a.ts:5: imports a computed specifier, so the import rules for src/core/** cannot be checked (import a string literal)",
      ].join("\n"),
    );
  });

  it("reports one finding per rule an import breaks", () => {
    const rules = [CORE_NO_ADAPTERS, { from: "src/**", to: "src/adapters/git/**" }];
    const findings = judge(rules, "src/core/a.ts", imp("../adapters/git/x.js"));
    expect(findings.map((f) => f.rule)).toEqual(rules);
  });

  it("matches case-insensitively: `../Adapters/x.js` loads src/adapters on macOS and Windows", () => {
    expect(judge([CORE_NO_ADAPTERS], "src/core/a.ts", imp("../Adapters/x.js"))).toHaveLength(1);
    expect(judge([CORE_NO_ADAPTERS], "SRC/Core/a.ts", imp("../adapters/x.js"))).toHaveLength(1);
  });

  it("makes an unreadable file a finding under the first rule covering it, and none outside the rules", () => {
    const rules = rulesOf(CORE_NO_ADAPTERS);
    const finding = unparsableFinding(rules, "src/core/a.tsx", "Parse error @:2:55", 2);
    expect(finding).toMatchObject({ kind: "unparsable", line: 2, specifier: null, rule: CORE_NO_ADAPTERS });
    expect(describeImportFindings(finding === null ? [] : [finding])).toBe(
      "src/core/a.tsx:2: cannot be lexed as JavaScript or TypeScript (Parse error @:2:55), so the import rules for src/core/** cannot be checked",
    );
    expect(unparsableFinding(rules, "src/core/b.ts", "no content at head")?.message).toMatch(
      /^src\/core\/b\.ts: /,
    );
    expect(unparsableFinding(rules, "src/ui/a.tsx", "x")).toBeNull();
    expect(describeImportFindings([])).toBe("");
  });
});

describe("import rules, for any layout", () => {
  const segment = fc.stringMatching(/^[a-z][a-z0-9_-]{0,7}$/).filter((s) => s !== "adapters");
  const folder = fc.array(segment, { maxLength: 4 });

  it("find `<up to src>/adapters/<file>.js` from any depth under src/core, and nothing for a sibling in core", () => {
    const rules = rulesOf(CORE_NO_ADAPTERS);
    fc.assert(
      fc.property(folder, segment, segment, (dirs, name, target) => {
        const importer = ["src", "core", ...dirs, `${name}.ts`].join("/");
        const up = "../".repeat(dirs.length + 1);
        const bad = judgeImports(rules, [{ path: importer, imports: [imp(`${up}adapters/${target}.js`)] }]);
        expect(bad.map((f) => f.resolved)).toEqual([`src/adapters/${target}.js`]);
        const fine = judgeImports(rules, [
          { path: importer, imports: [imp(`./${target}.js`), imp(`${up}${target}`)] },
        ]);
        expect(fine).toEqual([]);
      }),
    );
  });

  it("resolve a relative specifier inside the repository exactly when it climbs no higher than the root", () => {
    fc.assert(
      fc.property(folder, fc.nat({ max: 6 }), segment, (dirs, climbs, name) => {
        const importer = [...dirs, "a.ts"].join("/");
        const resolved = resolveSpecifier(importer, `./${"../".repeat(climbs)}${name}.ts`);
        if (climbs > dirs.length) expect(resolved.kind).toBe("outside_repository");
        else
          expect(resolved).toEqual({
            kind: "relative",
            paths: [[...dirs.slice(0, dirs.length - climbs), `${name}.ts`].join("/")],
          });
      }),
    );
  });
});
