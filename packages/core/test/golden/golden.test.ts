// Every PyTorch golden case in test-vectors/ops, run against the reference backend.
// An op without a lockstep entry is reported as skipped, never as passed.
import { describe, expect, it } from "vitest";
import { loadCases, type OpTable, runCase } from "./harness.js";
import { TABLE as CONV } from "./table-conv.js";
import { TABLE as CORE } from "./table-core.js";
import { TABLE as INDEXING } from "./table-indexing.js";

const TABLE: OpTable = { ...CORE, ...INDEXING, ...CONV };
const FILES = [
  "creation.json",
  "elementwise_unary.json",
  "elementwise_binary.json",
  "reductions.json",
  "views.json",
  "linalg.json",
  "indexing.json",
  "sort.json",
  "conv_pool.json",
];

for (const file of FILES) {
  const { cases } = loadCases(file);
  describe(file, () => {
    for (const c of cases) {
      const entry = TABLE[c.op];
      if (!entry) {
        it.skip(`${c.id} (no lockstep op '${c.op}' yet)`, () => {});
        continue;
      }
      const known = entry.known?.[c.id];
      if (known) {
        it.skip(`${c.id} (known difference: ${known})`, () => {});
        continue;
      }
      it(c.id, () => {
        const bad = runCase(c, entry);
        expect(bad.map((m) => `${m.what}: ${m.detail}`)).toEqual([]);
      });
    }
  });
}
