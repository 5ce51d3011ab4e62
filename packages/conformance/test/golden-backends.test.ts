// The PyTorch golden cases on every registered backend except the reference, against the reference
// (with each op's promise for that backend), in portable numerics as the CLI runs them: the mode in
// which every backend promises bitwise results (DESIGN §4). A backend that cannot start is reported
// as skipped with the reason, never as passed. An op with a known issue on the backend
// (src/golden/known.ts) gets its own `it.fails`: when the bug is fixed, that test reports it.
import * as torch from "@lockstep/core";
import { beforeAll, describe, expect, it } from "vitest";
import { backendNames, startBackend } from "../src/backends.js";
import { runGoldenOnBackend } from "../src/golden/cross.js";
import { GOLDEN_FILES, loadCases } from "../src/golden/harness.js";
import { goldenKnownIssue } from "../src/golden/known.js";
import type { OpStats } from "../src/report.js";

beforeAll(() => torch.usePortableNumerics(true));

const failures = (ops: [string, OpStats][]) => ops.flatMap(([op, s]) => s.failures.map((f) => `${op} ${f.detail}`));

for (const name of backendNames().filter((n) => n !== "reference")) {
  const status = await startBackend(name);
  if (!status.ok) {
    describe.skip(`golden cases on ${name} — skipped: ${status.reason}`, () => {
      it("golden cases vs reference", () => {});
    });
    continue;
  }
  describe(`golden cases on ${name} (${status.description}) vs reference`, () => {
    for (const file of GOLDEN_FILES) {
      // each file runs once; its tests read the per-op results
      let run: Promise<[string, OpStats][]> | undefined;
      const results = () => (run ??= runGoldenOnBackend(status, { files: [file] }).then((r) => Object.entries(r)));
      it(file, async () => {
        expect(failures((await results()).filter(([, s]) => !s.knownIssue))).toEqual([]);
      });
      const ops = [...new Set(loadCases(file).cases.map((c) => c.op))];
      for (const op of ops) {
        const issue = goldenKnownIssue(name, op, file);
        if (issue)
          it.fails(`${file} ${op} (known issue: ${issue})`, async () => {
            expect(failures((await results()).filter(([k]) => k === `golden:${op}`))).toEqual([]);
          });
      }
    }
  });
}
