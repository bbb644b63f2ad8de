import { defineConfig } from "tsup";
// @ts-expect-error: a plain .mjs list shared with scripts/entries.mjs (which writes package.json exports).
import { ENTRIES } from "./scripts/entries.mjs";

/** One entry per public subpath (scripts/entries.mjs); ESM + CJS + types. */
export default defineConfig({
  entry: Object.fromEntries(
    Object.values(ENTRIES as Record<string, [string, string]>).map(([name, src]) => [name, src]),
  ),
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  splitting: false,
  // Peers and runtime dependencies stay imports: the host's own copies are used.
  external: [
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
  ],
});
