import { existsSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Backends run when they are installed as this package's dependencies (node_modules/@lockstep/...):
// point them at their sources, as core is. Absent ones are reported as skipped by the suite.
const backends = Object.fromEntries(
  ["backend-webgpu", "backend-cpu"]
    .filter((p) => existsSync(here(`./node_modules/@lockstep/${p}/src/index.ts`)))
    .map((p) => [`@lockstep/${p}`, `${realpathSync(here(`./node_modules/@lockstep/${p}`))}/src/index.ts`]),
);

export default defineConfig({
  resolve: {
    conditions: ["source"],
    // Import core by its public name, from its sources (as core's own tests do).
    alias: { "@lockstep/core": here("../core/src/index.ts"), ...backends },
  },
  test: { include: ["test/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 120_000 },
});
