import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    conditions: ["source"],
    // Tests import the packages by their public names; point them at the sources.
    alias: { "@lockstep/core": fileURLToPath(new URL("../core/src/index.ts", import.meta.url)) },
  },
  test: { include: ["test/**/*.test.ts"], testTimeout: 120_000 },
});
