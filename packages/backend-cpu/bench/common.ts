// Shared by bench/cpu.ts (lockstep, PyTorch) and bench/tfjs.ts: the workload specs, so that every
// side runs the same sizes and repetitions, and the timing helpers.

export const log = (msg: string) => process.stderr.write(`[bench cpu] ${msg}\n`);
export const round = (x: number, digits = 4) => Number(x.toPrecision(digits));

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Warm-up calls, then the median of timed calls, in seconds. */
export function timeIt(run: () => void, warmup: number, reps: number): number {
  for (let i = 0; i < warmup; i++) run();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    run();
    times.push((performance.now() - t0) / 1e3);
  }
  return median(times);
}

/** Deterministic uniform [-scale, scale) float32 data (xorshift32), so every side sees the same inputs. */
export function uniform(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

export interface MatmulSpec {
  n: number;
  warmup: number;
  reps: number;
  /** The reference at 2048 takes ~30 s a call on this machine: skipped there. */
  reference: boolean;
  /** tfjs-backend-cpu's plain-JS matmul runs ~1 GFLOP/s: 2048³ would take ~15 s a call. */
  tfjsCpu: boolean;
}
export const MATMUL: MatmulSpec[] = [
  { n: 256, warmup: 3, reps: 15, reference: true, tfjsCpu: true },
  { n: 512, warmup: 2, reps: 9, reference: true, tfjsCpu: true },
  { n: 1024, warmup: 1, reps: 5, reference: true, tfjsCpu: true },
  { n: 2048, warmup: 1, reps: 3, reference: false, tfjsCpu: false },
];

export type TrainName = "mlp" | "cnn";
export interface TrainSpec {
  name: TrainName;
  warmup: number;
  /** Consecutive steps per timed repetition. */
  steps: number;
  reps: number;
}
export const TRAIN: TrainSpec[] = [
  { name: "mlp", warmup: 1, steps: 20, reps: 5 },
  { name: "cnn", warmup: 1, steps: 5, reps: 3 },
];
/** The slow sides (lockstep's reference, tfjs-backend-cpu) train for fewer steps. */
export const SLOW_TRAIN: Record<TrainName, TrainSpec> = {
  mlp: { name: "mlp", warmup: 1, steps: 5, reps: 1 },
  cnn: { name: "cnn", warmup: 1, steps: 2, reps: 1 },
};
export const TRAIN_WHAT: Record<TrainName, string> = {
  mlp: "784-256-256-10 MLP, SGD momentum 0.9, batch 64, cross-entropy",
  cnn: "2 conv (32, 64) + max-pool + 128 hidden (apps/fashion-mnist's cnn), Adam, batch 64",
};

export type UnaryName = "add" | "exp";
export interface ElementwiseSpec {
  op: UnaryName;
  n: number;
  warmup: number;
  reps: number;
}
/** Elementwise over 1M float32 (a fresh output each call, as the functional op allocates one). */
export const ELEMENTWISE: ElementwiseSpec[] = [
  { op: "add", n: 1 << 20, warmup: 5, reps: 25 },
  { op: "exp", n: 1 << 20, warmup: 3, reps: 15 },
];
/** A full reduction to a scalar over 16M float32, read back. */
export const SUM = { n: 1 << 24, warmup: 2, reps: 7 };
/** Per-op dispatch overhead: `ops` adds of two 4-element tensors per repetition, each result freed. */
export const OVERHEAD = { size: 4, ops: 20000, warmup: 1, reps: 5 };

/** Results of one side (one library on one backend), filled per workload; null where it did not run. */
export interface SideResult {
  /** GFLOP/s by n. */
  matmul: Record<string, number | null>;
  /** steps/s by model. */
  train: Record<string, number | null>;
  /** ns/element by op. */
  elementwise: Record<string, number | null>;
  /** ns/element. */
  sum: number | null;
  /** µs per op. */
  overhead_us: number | null;
  /** Why a workload did not run, by workload key (e.g. "cnn", "matmul_2048"). */
  skipped: Record<string, string>;
}

export const emptySide = (): SideResult => ({
  matmul: {},
  train: {},
  elementwise: {},
  sum: null,
  overhead_us: null,
  skipped: {},
});
