// The whole suite on one backend: op specs, op programs, Philox draws, determinism and dtype checks,
// and the PyTorch golden cases; the result is the JSON report (README "Report schema").
import * as torch from "@lockstep/core";
import { type BackendStatus, startBackend } from "./backends.js";
import { PHILOX_SPECS, runDeterminismChecks, runDtypeChecks } from "./checks.js";
import { runGoldenOnBackend } from "./golden/cross.js";
import { PROGRAM_SPEC } from "./program.js";
import { type OpStats, type Report, StatsBuilder, summarize } from "./report.js";
import { type OpSpec, runSpec, type StartedStatus } from "./runner.js";
import { SPECS } from "./specs.js";

/** Every spec the suite runs, in report order. */
export const ALL_SPECS: OpSpec[] = [...SPECS, PROGRAM_SPEC, ...PHILOX_SPECS];

export interface SuiteOptions {
  /** Cases per spec (the op-program fuzzer runs 4× as many). */
  numRuns?: number;
  seed?: number;
  /** Only ops (report keys) matching this pattern. */
  ops?: string;
  /** Include the PyTorch golden cases (default true). */
  golden?: boolean;
  /**
   * Run under torch.usePortableNumerics(true) (default), where every backend promises bitwise
   * results; false compares the backends' native numerics (promises "<backend>:native").
   */
  portable?: boolean;
  /** Called after each op with its stats (progress output). */
  onOp?: (op: string, s: OpStats) => void;
}

export const DEFAULT_RUNS = 25;
export const DEFAULT_SEED = 20_260_101;

export async function runConformance(backend: string, opts: SuiteOptions = {}): Promise<Report> {
  const startedAt = new Date();
  const status: BackendStatus = await startBackend(backend);
  const numRuns = opts.numRuns ?? DEFAULT_RUNS;
  const seed = opts.seed ?? DEFAULT_SEED;
  const portable = opts.portable ?? true;
  const options = { numRuns, seed, golden: opts.golden ?? true, portable, ...(opts.ops ? { ops: opts.ops } : {}) };
  const base = { backend, startedAt: startedAt.toISOString(), options };
  const finish = (ops: Record<string, OpStats>, extra: Partial<Report> = {}): Report => {
    const end = new Date();
    return {
      ...base,
      ...extra,
      finishedAt: end.toISOString(),
      durationMs: end.getTime() - startedAt.getTime(),
      ops,
      summary: summarize(ops),
    };
  };
  if (!status.ok) return finish({}, { skipped: status.reason });
  const wasPortable = torch.isPortableNumericsEnabled();
  torch.usePortableNumerics(portable);
  try {
    return await runAll(status, opts, options, finish);
  } finally {
    torch.usePortableNumerics(wasPortable);
  }
}

async function runAll(
  status: StartedStatus,
  opts: SuiteOptions,
  options: Report["options"],
  finish: (ops: Record<string, OpStats>, extra?: Partial<Report>) => Report,
): Promise<Report> {
  const { numRuns, seed } = options;
  const ops: Record<string, OpStats> = {};
  const filter = opts.ops ? new RegExp(opts.ops) : null;
  const want = (k: string) => !filter || filter.test(k);
  const put = (k: string, s: OpStats) => {
    ops[k] = s;
    opts.onOp?.(k, s);
  };
  // A part that raises (a runner bug, a backend that crashes the process's device) becomes a failed
  // row; the other parts still run.
  const guarded = async (name: string, f: () => Promise<Record<string, OpStats>>) => {
    try {
      for (const [k, st] of Object.entries(await f())) if (want(k)) put(k, st);
    } catch (e) {
      const err = `${(e as Error)?.name}: ${(e as Error)?.message}`;
      put(name, {
        ...new StatsBuilder("check", "runs").build(),
        failures: [{ reproducer: { part: name }, expected: "no error", got: err, detail: `raised ${err}` }],
      });
    }
  };
  for (const spec of ALL_SPECS)
    if (want(spec.name))
      await guarded(spec.name, async () => ({
        [spec.name]: await runSpec(spec, status, { numRuns: spec.kind === "program" ? numRuns * 4 : numRuns, seed }),
      }));
  await guarded("determinism", () => runDeterminismChecks(status));
  await guarded("dtypes", () => runDtypeChecks(status, seed));
  if (options.golden) await guarded("golden", () => runGoldenOnBackend(status, filter ? { ops: filter } : {}));
  return finish(ops, { device: status.device, description: status.description });
}

export type { StartedStatus };
