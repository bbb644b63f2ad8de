import { describe, expect, it } from "vitest";
import type { ImportRule } from "../../src/core/policy/import-rules.js";
import type { OrchestratorDeps } from "../../src/orchestrator/deps.js";
import { scanImports } from "../../src/orchestrator/scan-imports.js";
import { CARD, cardRequest, setup } from "./helpers.js";

const REPO = "https://example.invalid/acme/shop.git";
const CORE_NO_ADAPTERS: ImportRule = { from: "src/core/**", to: "src/adapters/**" };

/** In the base: one core file already breaking the rule (not this card's doing) and one the agent deletes. */
const remotes = {
  [REPO]: {
    "src/core/legacy.ts": 'import { x } from "../adapters/x.js";\n',
    "src/core/gone.ts": 'import { x } from "../adapters/x.js";\n',
    "src/adapters/x.ts": "export const x = 1;\n",
  },
};

type Files = Readonly<Record<string, string | null>>;

/**
 * Runs a card whose agent commits `files` (the policy has no import rules yet, so nothing judges them on
 * the way), then scans the card's head with `rules`, as the `policy` check will.
 */
async function scanAfterAgent(files: Files, rules: readonly ImportRule[]) {
  const { ports, orchestrator } = setup({ remotes, agent: { [CARD]: [{ commits: [{ files }] }] } });
  const built = (
    await orchestrator.triggerBuild(
      cardRequest({ cards: [{ card_id: CARD, title: "Imports", allowed_paths: ["src/**"] }] }),
    )
  )._unsafeUnwrap();
  const assignment = built.assignments[0];
  if (assignment?.head_sha == null) throw new Error("the agent's commit was not collected");
  const readsBefore = ports.git.operations.length;
  // scanImports reads through deps.git only; the rest of OrchestratorDeps is the orchestrator's plumbing.
  const deps = ports as unknown as OrchestratorDeps;
  const policy = { architecture_policy: { forbidden_imports: [...rules], notes: null } };
  const scan = await scanImports(deps, built.run, assignment, policy, assignment.head_sha, undefined);
  const calls = ports.git.operations.slice(readsBefore);
  const read = calls
    .filter((c) => c.op === "fileContent")
    .map((c) => (c.args as { path: string }).path)
    .sort();
  return { scan, calls, read };
}

describe("the import rules judge what a misbehaving agent's commit imports (architecture_policy)", () => {
  it("finds a forbidden import, re-export and literal dynamic import under src/core, and lets allowed ones go", async () => {
    const { scan } = await scanAfterAgent(
      {
        "src/core/total.ts": [
          'import { ok } from "neverthrow";',
          'import { rungateError } from "./errors.js";',
          'import { x } from "../adapters/x.js";',
          "export const total = ok(x);",
        ].join("\n"),
        "src/core/barrel.ts": [
          'export * from "./total.js";',
          'export { y } from "../adapters/y.js";',
          'export * from "../adapters/z.js";',
        ].join("\n"),
        "src/core/lazy.ts":
          'export async function load() {\n  return await import("../adapters/lazy.js");\n}\n',
        "src/core/kinds.ts": 'import type { Git } from "../adapters/git/index.js";\nexport type G = Git;\n',
        // Outside every `from` glob: adapters may import core.
        "src/adapters/y.ts": 'import { total } from "../core/total.js";\nexport const y = total;\n',
      },
      [CORE_NO_ADAPTERS],
    );
    const { files, findings } = scan._unsafeUnwrap();
    expect(files.sort()).toEqual([
      "src/core/barrel.ts",
      "src/core/kinds.ts",
      "src/core/lazy.ts",
      "src/core/total.ts",
    ]);
    expect(findings.map((f) => f.message).sort()).toEqual([
      'src/core/barrel.ts:2: imports "../adapters/y.js" (src/adapters/y.js), which src/core/** may not import (src/adapters/**)',
      'src/core/barrel.ts:3: imports "../adapters/z.js" (src/adapters/z.js), which src/core/** may not import (src/adapters/**)',
      'src/core/kinds.ts:1: imports type "../adapters/git/index.js" (src/adapters/git/index.js), which src/core/** may not import (src/adapters/**)',
      'src/core/lazy.ts:2: imports "../adapters/lazy.js" (src/adapters/lazy.js), which src/core/** may not import (src/adapters/**)',
      'src/core/total.ts:3: imports "../adapters/x.js" (src/adapters/x.js), which src/core/** may not import (src/adapters/**)',
    ]);
    expect(new Set(findings.map((f) => JSON.stringify([f.kind, f.rule])))).toEqual(
      new Set([JSON.stringify(["forbidden_import", CORE_NO_ADAPTERS])]),
    );
  });

  it("reads only changed scripts under a `from` glob at head: not deleted, unchanged, non-script or other files", async () => {
    const { scan, read } = await scanAfterAgent(
      {
        "src/core/gone.ts": null,
        "src/core/notes.md": 'import x from "../adapters/x.js"\n',
        "src/core/fine.ts": 'import { z } from "zod";\n',
        "src/ui/app.ts": 'import { x } from "../adapters/x.js";\n',
      },
      [CORE_NO_ADAPTERS],
    );
    expect(scan._unsafeUnwrap()).toEqual({ files: ["src/core/fine.ts"], findings: [] });
    expect(read).toEqual(["src/core/fine.ts"]);
  });

  it("fails a computed dynamic import and a specifier climbing out of the repository", async () => {
    const { scan } = await scanAfterAgent(
      {
        "src/core/sneaky.ts": [
          'const where = "../adapters/x.js";',
          "export const a = import(where);",
          // import(`../${where}`): a template literal with a substitution (spelled in pieces for the linter).
          ["export const b = import(`../", "$", "{where}`);"].join(""),
          'import "../../../outside.js";',
        ].join("\n"),
      },
      [CORE_NO_ADAPTERS],
    );
    expect(scan._unsafeUnwrap().findings.map((f) => [f.kind, f.line])).toEqual([
      ["computed_specifier", 2],
      ["computed_specifier", 3],
      ["outside_repository", 4],
    ]);
  });

  it("sees imports hidden behind Unicode whitespace or a byte-order mark (which es-module-lexer would skip)", async () => {
    const { scan } = await scanAfterAgent(
      {
        "src/core/bom.ts": '\uFEFFimport { x } from "../adapters/x.js";\n',
        "src/core/spaced.ts":
          'export const a = 1;\u3000import "../adapters/a.js";\u2028export * from "../adapters/b.js";\n',
      },
      [CORE_NO_ADAPTERS],
    );
    expect(scan._unsafeUnwrap().findings.map((f) => `${f.path}:${f.line} ${f.resolved}`)).toEqual([
      "src/core/bom.ts:1 src/adapters/x.js",
      "src/core/spaced.ts:1 src/adapters/a.js",
      "src/core/spaced.ts:2 src/adapters/b.js",
    ]);
  });

  it("fails closed on JSX with a closing tag, which es-module-lexer cannot lex", async () => {
    const { scan } = await scanAfterAgent(
      { "src/core/view.tsx": 'import "../adapters/x.js";\nexport const V = () => <p>hi</p>;\n' },
      [CORE_NO_ADAPTERS],
    );
    expect(scan._unsafeUnwrap().findings.map((f) => [f.kind, f.path, f.line])).toEqual([
      ["unparsable", "src/core/view.tsx", 2],
    ]);
  });

  it("makes a file es-module-lexer cannot lex a finding, with the lexer's message and no source text", async () => {
    const { scan } = await scanAfterAgent(
      {
        "src/core/broken.ts":
          'export const x = "tell-no-one";\nexport const y = {;\nimport "../adapters/x.js";\n',
      },
      [CORE_NO_ADAPTERS],
    );
    const [finding, ...rest] = scan._unsafeUnwrap().findings;
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ kind: "unparsable", path: "src/core/broken.ts", rule: CORE_NO_ADAPTERS });
    expect(finding?.message).toMatch(
      /^src\/core\/broken\.ts(:\d+)?: cannot be lexed as JavaScript or TypeScript \(.+\)/,
    );
    expect(finding?.message).not.toContain("tell-no-one");
  });

  it("does no work at all without rules", async () => {
    const { scan, calls } = await scanAfterAgent({ "src/core/a.ts": 'import "../adapters/x.js";\n' }, []);
    expect(scan._unsafeUnwrap()).toEqual({ files: [], findings: [] });
    expect(calls).toEqual([]);
  });

  it("refuses a rule whose glob cannot be used, naming where it is, before reading anything", async () => {
    const { scan, calls } = await scanAfterAgent({ "src/core/a.ts": "export {};\n" }, [
      { from: "src/core/**", to: "../adapters/**" },
    ]);
    const error = scan._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: "validation", code: "invalid_glob" });
    expect(error.message).toContain("architecture_policy.forbidden_imports[0].to");
    expect(calls).toEqual([]);
  });
});
