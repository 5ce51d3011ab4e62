// Every op spec, the op-program fuzzer, Philox draws, deterministic mode and dtype support, on every
// registered backend against the reference. Skipped backends show as skipped with the reason.
import * as torch from "@lockstep/core";
import { beforeAll, expect, it } from "vitest";
import { runDeterminismChecks, runDtypeChecks } from "../src/checks.js";
import { knownIssue, runSpec } from "../src/runner.js";
import { ALL_SPECS, DEFAULT_SEED } from "../src/suite.js";
import { describeBackends, VITEST_RUNS } from "../src/vitest.js";

const failures = (ops: Record<string, { failures: { detail: string; reproducer: unknown }[] }>) =>
  Object.entries(ops).flatMap(([k, s]) => s.failures.map((f) => `${k}: ${f.detail} ${JSON.stringify(f.reproducer)}`));

// portable numerics: the mode in which every backend promises bitwise results (DESIGN §4)
beforeAll(() => torch.usePortableNumerics(true));

await describeBackends("conformance", (b) => {
  for (const spec of ALL_SPECS) {
    const issue = knownIssue(spec, b.name);
    // a known open bug must still fail: when it is fixed this test reports it, and the entry goes
    const test = issue ? it.fails : it;
    test(issue ? `${spec.name} (known issue: ${issue})` : spec.name, async () => {
      const numRuns = spec.kind === "program" ? VITEST_RUNS * 4 : VITEST_RUNS;
      const r = await runSpec(spec, b, { numRuns, seed: DEFAULT_SEED });
      expect(r.cases + (r.unsupported ?? 0)).toBe(numRuns);
      expect(failures({ [spec.name]: r })).toEqual([]);
    });
  }
  it("deterministic mode: each primitive is bitwise and repeatable, or raises NondeterministicError", async () => {
    const r = await runDeterminismChecks(b);
    expect(Object.keys(r)).toEqual([
      "determinism.reduce",
      "determinism.scan",
      "determinism.matmul",
      "determinism.sort",
      "determinism.scatter",
    ]);
    expect(failures(r)).toEqual([]);
  });
  it("dtypes: unsupported ones raise DTypeError, the others round-trip special values bitwise", async () => {
    const r = await runDtypeChecks(b, DEFAULT_SEED);
    expect(Object.values(r).every((s) => s.cases === 1)).toBe(true);
    expect(failures(r)).toEqual([]);
  });
});
