// Every PyTorch golden case in test-vectors/ops against the reference (the proof of issue 2, moved
// here from core). An op without a lockstep entry is reported as skipped, never as passed. This file
// starts no other backend, so "cpu" is the reference here (a fast CPU backend may take "cpu" over);
// golden-backends.test.ts runs the same cases on every other backend.
import { describe, expect, it } from "vitest";
import { compareWithGolden, evaluateCase, GOLDEN_FILES, loadCases } from "../src/golden/harness.js";
import { GOLDEN_TABLE } from "../src/golden/table.js";

describe("reference vs PyTorch goldens", () => {
  for (const file of GOLDEN_FILES) {
    const { cases } = loadCases(file);
    describe(file, () => {
      for (const c of cases) {
        const entry = GOLDEN_TABLE[c.op];
        if (!entry) {
          it.skip(`${c.id} (no lockstep op '${c.op}' yet)`, () => {});
          continue;
        }
        const known = entry.known?.[c.id];
        if (known) {
          it.skip(`${c.id} (known difference: ${known})`, () => {});
          continue;
        }
        // On "cpu", as users run it: the numerics proof. Running the reference under another device
        // name exercises device plumbing, which the per-backend runs below and the spec suite cover.
        it(c.id, async () => {
          const bad = compareWithGolden(c, entry, await evaluateCase(c, entry, "cpu"));
          expect(bad.map((m) => `${m.what}: ${m.detail}`)).toEqual([]);
        });
      }
    });
  }
});
