import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

export default defineConfig({
  resolve: {
    conditions: ["source"],
    // the workspace packages from their sources, as their own tests run them
    alias: {
      "@lockstep/core": src("packages/core/src/index.ts"),
      "@lockstep/backend-cpu": src("packages/backend-cpu/src/index.ts"),
      "@lockstep/backend-webgpu": src("packages/backend-webgpu/src/index.ts"),
      "@lockstep/conformance": src("packages/conformance/src/index.ts"),
      "@lockstep/fashion-mnist/models": src("apps/fashion-mnist/src/models.ts"),
    },
  },
  test: { include: ["test/**/*.test.ts"], testTimeout: 300_000, hookTimeout: 120_000 },
});
