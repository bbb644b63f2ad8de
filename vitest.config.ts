import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";
// @ts-expect-error: a plain .mjs list shared with tsup.config.ts (see scripts/entries.mjs).
import { ENTRIES } from "./scripts/entries.mjs";

/** `rungate`, `rungate/git`, … → their source entry, as tsconfig.json's `paths` map them for tsc and tsx. */
const publicNames = Object.entries(ENTRIES as Record<string, [string, string]>).map(
  ([subpath, [, source]]) => ({
    find: new RegExp(`^rungate${subpath === "." ? "" : `/${subpath.slice(2)}`}$`),
    replacement: fileURLToPath(new URL(source, import.meta.url)),
  }),
);

// A secret in the environment the test workers start with, as a host's token is in its process's: the
// hostile-agent suite proves an agent reading its parent's /proc/<pid>/environ cannot get it stored.
process.env.RUNGATE_TEST_HOST_DEPLOY_TOKEN ??= "host-deploy-token-5e7d1c9b2a";

export default defineConfig({
  resolve: { alias: publicNames },
  test: {
    include: ["test/**/*.test.ts", "examples/**/*.test.ts"],
    // The example packages import "rungate" as users do (the built package): scripts/check-examples.sh runs them.
    exclude: [
      ...configDefaults.exclude,
      "examples/host-app/**",
      "examples/custom-adapter/**",
      "examples/policy-tests/**",
    ],
    environment: "node",
    // Memory claims (e.g. 100 MiB of check output held within a 64 KiB tail) measure after a forced GC, so
    // garbage not yet collected on a loaded machine does not count as held.
    execArgv: ["--expose-gc"],
    // Vitest runs `cpus - 1` files at once by default: ONE on a 2-core machine, where much of the suite waits
    // on child processes, git, Postgres and leases rather than computing. Two at least, so that the waiting
    // overlaps (the suite is proven to pass beside CPU hogs on both cores, so the extra load is safe).
    maxWorkers: Math.max(2, availableParallelism()),
    benchmark: { include: ["bench/**/*.bench.ts"] },
  },
});
