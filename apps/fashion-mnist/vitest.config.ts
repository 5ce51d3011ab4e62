import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: {
      "@lockstep/core": fileURLToPath(new URL("../../packages/core/src/index.ts", import.meta.url)),
      "@lockstep/backend-cpu": fileURLToPath(new URL("../../packages/backend-cpu/src/index.ts", import.meta.url)),
    },
  },
  test: { include: ["test/**/*.test.ts"], testTimeout: 600_000 },
});
