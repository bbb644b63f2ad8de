import { defineConfig } from "tsup";
// @ts-expect-error: a plain .mjs list shared with scripts/entries.mjs (which writes package.json exports).
import { ENTRIES } from "./scripts/entries.mjs";

// Peers and runtime dependencies stay imports: the host's own copies are used.
const external = [
  "vitest",
  "pg",
  "@electric-sql/pglite",
  "@octokit/rest",
  "@octokit/plugin-retry",
  "@octokit/plugin-throttling",
  "simple-git",
  "execa",
  "@anthropic-ai/claude-agent-sdk",
  "@openai/codex-sdk",
];

/** The `rungate` executable (docs/cli.md): what `bin` points at. */
const CLI_FILES = ["cli.js", "cli.js.map"];

export default defineConfig([
  /** One entry per public subpath (scripts/entries.mjs); ESM + CJS + types. */
  {
    entry: Object.fromEntries(
      Object.values(ENTRIES as Record<string, [string, string]>).map(([name, src]) => [name, src]),
    ),
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    // Both builds run at once into dist/: this one cleans it, sparing the CLI's files, which the other writes.
    clean: CLI_FILES.map((file) => `!${file}`),
    target: "node20",
    splitting: false,
    external,
  },
  {
    entry: { cli: "src/cli/main.ts" },
    format: ["esm"],
    banner: { js: "#!/usr/bin/env node" },
    dts: false,
    sourcemap: true,
    clean: false,
    target: "node20",
    splitting: false,
    external,
  },
]);
