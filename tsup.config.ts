import { defineConfig } from "tsup";

/** One entry per public subpath; adapters add theirs as they land. */
export default defineConfig({
  entry: {
    index: "src/index.ts",
    testing: "src/testing/index.ts",
    "testing-contracts": "src/testing/contracts/index.ts",
  },
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  splitting: false,
  // Peers and runtime dependencies stay imports; rungate/testing/contracts needs the host's own vitest.
  external: [
    "vitest",
    "pg",
    "@electric-sql/pglite",
    "@octokit/rest",
    "@octokit/plugin-retry",
    "@octokit/plugin-throttling",
  ],
});
