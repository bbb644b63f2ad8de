// One source of truth for the public subpaths: tsup builds these entries and package.json exports them.
// `node scripts/entries.mjs --write` rewrites package.json "exports" from this list.
import { readFileSync, writeFileSync } from "node:fs";

/** subpath → [dist file base name, source entry]; ESM_ONLY entries get no CJS condition (vitest is ESM-only). */
export const ESM_ONLY = new Set(["./testing/contracts"]);

export const ENTRIES = {
  ".": ["index", "src/index.ts"],
  "./testing": ["testing", "src/testing/index.ts"],
  "./testing/contracts": ["testing-contracts", "src/testing/contracts/index.ts"],
  "./worker": ["worker", "src/worker/index.ts"],
  "./git": ["git", "src/adapters/simple-git/index.ts"],
  "./github": ["github", "src/adapters/github/index.ts"],
  "./local": ["local", "src/adapters/local-pr-host/index.ts"],
  "./postgres": ["postgres", "src/adapters/postgres/index.ts"],
  "./checks": ["checks", "src/adapters/process-checks/index.ts"],
  "./dispatch": ["dispatch", "src/adapters/process-dispatch/index.ts"],
  "./sandbox": ["sandbox", "src/adapters/sandbox/index.ts"],
  "./dossier": ["dossier", "src/dossier/index.ts"],
  "./claude": ["claude", "src/adapters/claude-agent/index.ts"],
  "./codex": ["codex", "src/adapters/codex/index.ts"],
};

if (process.argv.includes("--write")) {
  const url = new URL("../package.json", import.meta.url);
  const pkg = JSON.parse(readFileSync(url, "utf8"));
  const exportsMap = {};
  for (const [subpath, [name]] of Object.entries(ENTRIES)) {
    const esm = { types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` };
    exportsMap[subpath] = ESM_ONLY.has(subpath)
      ? { import: esm }
      : { import: esm, require: { types: `./dist/${name}.d.cts`, default: `./dist/${name}.cjs` } };
  }
  exportsMap["./package.json"] = "./package.json";
  pkg.exports = exportsMap;
  writeFileSync(url, `${JSON.stringify(pkg, null, 2)}\n`);
}
