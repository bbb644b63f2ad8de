import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "examples/**/*.test.ts"],
    environment: "node",
    benchmark: { include: ["bench/**/*.bench.ts"] },
  },
});
