import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "examples/**/*.test.ts"],
    environment: "node",
    // Memory claims (e.g. 100 MiB of check output held within a 64 KiB tail) measure after a forced GC, so
    // garbage not yet collected on a loaded machine does not count as held.
    execArgv: ["--expose-gc"],
    benchmark: { include: ["bench/**/*.bench.ts"] },
  },
});
