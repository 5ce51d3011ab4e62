// report.json's schema (documented field by field in README.md). Numbers that JSON cannot hold
// (Infinity, NaN) are written as the strings "Infinity" / "NaN".

export const SCHEMA = "lockstep-determinism-report/1";

export type Mode = "fast" | "portable";
export type Num = number | "Infinity" | "-Infinity" | "NaN";

export interface BackendEntry {
  /** The name on the command line: reference | webgpu | cpu. */
  name: string;
  /** The torch device its tensors live on (absent when skipped). */
  device?: string;
  status: "ok" | "skipped";
  description?: string;
  /** Why it could not start (status "skipped"). */
  reason?: string;
}

/** One op of the conformance suite on one backend in one mode (compared with the reference in that mode). */
export interface OpResult {
  cases: number;
  maxUlp: Num;
  bitwiseFraction: number;
  /** The backend broke its declared promise on some case (see the conformance report for the reproducer). */
  failed: boolean;
  /** The suite lists this op as a known open bug on this backend (the reason). */
  knownIssue?: string;
}

export interface ConformanceRun {
  backend: string;
  mode: Mode;
  status: "ok" | "skipped";
  reason?: string;
  durationMs: number;
  ops: Record<string, OpResult>;
  summary: { ops: number; cases: number; bitwiseOps: number; failedOps: string[]; worst: { op: string; maxUlp: Num } | null };
}

/** One model trained from the same bits on one backend ("webgpu#2": a repeated run on the same backend). */
export interface Lane {
  id: string;
  backend: string;
  device: string;
  /** losses[i]: the loss of step i + 1 (float32 value as a JSON number). */
  losses: Num[];
  /** hashes[i]: hash of all weights after step i (hashes[0]: the initial weights, after the copy to the device). */
  hashes: string[];
  /** Per-parameter hashes after the last step. */
  finalTensorHashes: Record<string, string>;
  /** Time in this lane's steps and weight readback. */
  seconds: number;
}

/** Where `lane` first differs from `baseline`, and how far apart they are at every step. */
export interface Comparison {
  lane: string;
  baseline: string;
  /** Same bits as the baseline at every recorded step (weights and losses). */
  bitwise: boolean;
  /** Steps (0 = the initial weights) whose weights hash equal before the first difference. */
  bitwiseSteps: number;
  /** The first step whose weights differ (null: never), with the first differing parameter. */
  firstDivergence: {
    step: number;
    tensor: string;
    shape: number[];
    maxAbsDiff: Num;
    maxUlp: Num;
    /** Elements of that tensor whose bits differ. */
    differing: number;
    /** The element furthest apart in ULP, with the baseline's and the lane's values. */
    worst: { index: number[]; baseline: Num; value: Num } | null;
    /** Every parameter that differs at that step. */
    tensors: string[];
  } | null;
  /** The first step whose loss differs (null: never). The loss of step k is computed before step k's update. */
  firstLossDivergence: { step: number; baseline: Num; value: Num } | null;
  /** Per step (index i = step i + 1): |loss − baseline| / |baseline|. */
  lossRelDiff: Num[];
  /** Per step (index i = after step i + 1): max over parameters of max|Δ| / max|baseline|. */
  weightRelDiff: Num[];
  /** Per step: max ULP distance over all weights. */
  weightMaxUlp: Num[];
}

export interface TrainingRun {
  workload: string;
  mode: Mode;
  data: string;
  model: string;
  parameters: number;
  optimizer: string;
  batchSize: number;
  steps: number;
  seed: number;
  lanes: Lane[];
  /** Every lane against the first (the baseline); repeats also against their first run. */
  comparisons: Comparison[];
  durationMs: number;
}

/** The same workload trained in two separate processes (reports merged with --from): run-to-run across processes. */
export interface Rerun {
  workload: string;
  mode: Mode;
  backend: string;
  /** Indices into `training` of the two runs, and the lanes compared. */
  runs: [number, number];
  lanes: [string, string];
  /** Weight hashes compared: the initial weights and every step both runs made. */
  compared: number;
  equal: boolean;
  /** The first step whose hashes differ (null: none). */
  firstDifferentStep: number | null;
}

export interface DeterminismReport {
  schema: typeof SCHEMA;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  environment: {
    node: string;
    platform: string;
    arch: string;
    cpus: number;
    cpuModel: string;
    /** The checkout's commit, and whether tracked files had uncommitted changes (null: not a git checkout). */
    git: { commit: string; dirty: boolean } | null;
  };
  options: {
    backends: string[];
    workloads: string[];
    modes: Mode[];
    /** null: the workloads' defaults; an object: per workload (others at their default). */
    steps: number | null | Record<string, number>;
    batchSize: number;
    seed: number;
    repeat: string[];
    data: "fashion-mnist" | "synthetic";
    conformance: { runs: number; seed: number; ops: string | null; golden: boolean } | null;
  };
  backends: BackendEntry[];
  conformance: ConformanceRun[];
  training: TrainingRun[];
  /** Present in merged reports: the same training repeated in separate runs. */
  reruns?: Rerun[];
  /** Plain sentences, most important first (also at the top of report.html). */
  summary: string[];
}

/** A number for JSON: non-finite values as strings. */
export function num(x: number): Num {
  if (Number.isNaN(x)) return "NaN";
  if (x === Number.POSITIVE_INFINITY) return "Infinity";
  if (x === Number.NEGATIVE_INFINITY) return "-Infinity";
  return x;
}
/** Back from JSON. */
export function unnum(x: Num): number {
  return typeof x === "number" ? x : Number(x);
}
