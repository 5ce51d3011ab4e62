// The conformance suite's ops on one backend in one mode, reduced to what the report plots: per op
// the max ULP against the reference (in the same mode) and the fraction of bitwise-equal cases.
// The suite's parts are run one by one (not runConformance) so that one part raising does not lose
// the others: the error is recorded as a failed row instead.
import {
  ALL_SPECS,
  type OpStats,
  runDeterminismChecks,
  runDtypeChecks,
  runGoldenOnBackend,
  runSpec,
} from "@lockstep/conformance";
import * as torch from "@lockstep/core";
import type { Started } from "./backends.js";
import { type ConformanceRun, type Mode, num, type OpResult } from "./schema.js";

export interface ConformanceOptions {
  runs: number;
  seed: number;
  ops?: string;
  golden: boolean;
  onOp?: (op: string, r: OpResult) => void;
}

const toResult = (s: OpStats): OpResult => ({
  cases: s.cases,
  maxUlp: s.maxUlp,
  bitwiseFraction: s.bitwiseFraction,
  failed: s.failures.length > 0,
  ...(s.knownIssue ? { knownIssue: s.knownIssue } : {}),
});

export async function runConformanceOps(
  backend: string,
  status: Started | null,
  mode: Mode,
  opts: ConformanceOptions,
  skipReason?: string,
): Promise<ConformanceRun> {
  const t0 = performance.now();
  const ops: Record<string, OpResult> = {};
  const done = (extra: Partial<ConformanceRun> = {}): ConformanceRun => {
    const all = Object.entries(ops).filter(([, r]) => r.cases > 0);
    let worst: ConformanceRun["summary"]["worst"] = null;
    for (const [op, r] of all) {
      const u = typeof r.maxUlp === "number" ? r.maxUlp : Number.POSITIVE_INFINITY;
      const w = worst === null ? -1 : typeof worst.maxUlp === "number" ? worst.maxUlp : Number.POSITIVE_INFINITY;
      if (u > w && u > 0) worst = { op, maxUlp: num(u) };
    }
    return {
      backend,
      mode,
      status: "ok",
      durationMs: Math.round(performance.now() - t0),
      ops,
      summary: {
        ops: all.length,
        cases: all.reduce((n, [, r]) => n + r.cases, 0),
        bitwiseOps: all.filter(([, r]) => r.bitwiseFraction === 1).length,
        failedOps: Object.entries(ops)
          .filter(([, r]) => r.failed)
          .map(([k]) => k),
        worst,
      },
      ...extra,
    };
  };
  if (!status) return done({ status: "skipped", reason: skipReason ?? "backend did not start" });
  const filter = opts.ops ? new RegExp(opts.ops) : null;
  const want = (k: string) => !filter || filter.test(k);
  const put = (k: string, s: OpStats) => {
    if (!want(k)) return;
    ops[k] = toResult(s);
    opts.onOp?.(k, ops[k] as OpResult);
  };
  /** A part that raises is a failed row named after it (its error in the console). */
  const part = async (name: string, f: () => Promise<void>) => {
    try {
      await f();
    } catch (e) {
      console.error(`conformance ${backend} (${mode}): ${name} raised ${(e as Error).name}: ${(e as Error).message}`);
      ops[name] = { cases: 1, maxUlp: "Infinity", bitwiseFraction: 0, failed: true };
    }
  };
  torch.usePortableNumerics(mode === "portable");
  try {
    for (const spec of ALL_SPECS) {
      if (!want(spec.name)) continue;
      await part(spec.name, async () =>
        put(
          spec.name,
          await runSpec(spec, status, { numRuns: spec.kind === "program" ? opts.runs * 4 : opts.runs, seed: opts.seed }),
        ),
      );
    }
    await part("determinism checks", async () => {
      for (const [k, s] of Object.entries(await runDeterminismChecks(status))) put(k, s);
    });
    await part("dtype checks", async () => {
      for (const [k, s] of Object.entries(await runDtypeChecks(status, opts.seed))) put(k, s);
    });
    if (opts.golden)
      await part("golden", async () => {
        for (const [k, s] of Object.entries(await runGoldenOnBackend(status, filter ? { ops: filter } : {}))) put(k, s);
      });
  } finally {
    torch.usePortableNumerics(false);
  }
  return done();
}
