import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Without a GPU, tests use the software adapter that tools/install-webgpu-adapter.sh provides.
const manifest = fileURLToPath(new URL("../../.cache/webgpu-adapter/lvp_icd.json", import.meta.url));
if (!process.env.VK_ICD_FILENAMES && existsSync(manifest)) process.env.VK_ICD_FILENAMES = manifest;

export default defineConfig({
  resolve: {
    conditions: ["source"],
    alias: { "@lockstep/core": fileURLToPath(new URL("../core/src/index.ts", import.meta.url)) },
  },
  test: { include: ["test/**/*.test.ts"], testTimeout: 120_000 },
});
