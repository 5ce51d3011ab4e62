// Every PyTorch golden case in test-vectors/ops: the reference against PyTorch (the proof of issue 2,
// moved here from core), then every other registered backend against the reference on the same
// cases. An op without a lockstep entry, and a backend that cannot start, are reported as skipped.
import { describe, expect, it } from "vitest";
import { backendNames, startBackend } from "../src/backends.js";
import { runGoldenOnBackend } from "../src/golden/cross.js";
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

for (const name of backendNames().filter((n) => n !== "reference")) {
  const status = await startBackend(name);
  if (!status.ok) {
    describe.skip(`golden cases on ${name} — skipped: ${status.reason}`, () => {
      it("golden cases vs reference", () => {});
    });
    continue;
  }
  describe(`golden cases on ${name} (${status.description}) vs reference`, () => {
    for (const file of GOLDEN_FILES)
      it(file, async () => {
        const r = await runGoldenOnBackend(status, { files: [file] });
        const failures = Object.entries(r).flatMap(([op, s]) => s.failures.map((f) => `${op} ${f.detail}`));
        expect(failures).toEqual([]);
      });
  });
}
