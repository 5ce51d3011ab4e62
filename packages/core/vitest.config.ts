import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    conditions: ["source"],
    // Tests import the package by its public name; point it at the sources.
    alias: { "@lockstep/core": fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
  },
  test: { include: ["test/**/*.test.ts"], testTimeout: 60_000 },
});
