// The PyTorch golden cases on every registered backend except the reference, against the reference
// (with each op's promise for that backend). A backend that cannot start is reported as skipped with
// the reason, never as passed.
import { describe, expect, it } from "vitest";
import { backendNames, startBackend } from "../src/backends.js";
import { runGoldenOnBackend } from "../src/golden/cross.js";
import { GOLDEN_FILES } from "../src/golden/harness.js";

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
