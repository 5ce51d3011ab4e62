// `pnpm bench`: lockstep's reference backend against Debian's PyTorch, measured in the same run.
// Prints one JSON object on stdout. Progress goes to stderr. A benchmark is a program, never a test:
// nothing here fails on a slow figure, and a missing PyTorch is reported as `"pytorch": null`.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as torch from "@lockstep/core";

type Kind = "matmul" | "add" | "sum";
interface Workload {
  name: string;
  kind: Kind;
  /** matmul: n×n·n×n; add / sum: element count. */
  n: number;
  warmup: number;
  reps: number;
}

// Reps are chosen so the whole program stays well under two minutes on a 2-core machine: a 1024³
// matmul in the JS reference takes seconds, so it gets the fewest.
const ALL_WORKLOADS: Workload[] = [
  { name: "matmul_256", kind: "matmul", n: 256, warmup: 2, reps: 7 },
  { name: "matmul_512", kind: "matmul", n: 512, warmup: 1, reps: 5 },
  { name: "matmul_1024", kind: "matmul", n: 1024, warmup: 1, reps: 3 },
  { name: "add_1M", kind: "add", n: 1 << 20, warmup: 10, reps: 30 },
  { name: "sum_16M", kind: "sum", n: 1 << 24, warmup: 2, reps: 7 },
];
// `pnpm bench -- matmul_256 sum_16M` runs only the named workloads.
const only = process.argv.slice(2).filter((a) => a !== "--");
const WORKLOADS = only.length ? ALL_WORKLOADS.filter((w) => only.includes(w.name)) : ALL_WORKLOADS;
const UNITS: Record<Kind, { unit: string; higherIsBetter: boolean }> = {
  matmul: { unit: "GFLOP/s", higherIsBetter: true },
  add: { unit: "ns/element", higherIsBetter: false },
  sum: { unit: "GB/s", higherIsBetter: true },
};
const TORCH_THREADS = 1; // lockstep's reference backend is single-threaded
// Debian's python3 has python3-torch; the pyenv python3 on PATH has no torch. Overridable for other setups.
const DEBIAN_PYTHON = process.env.LOCKSTEP_BENCH_PYTHON || "/usr/bin/python3";

const here = dirname(fileURLToPath(import.meta.url));
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Deterministic uniform [-1, 1) float32 data (xorshift32), so runs see the same inputs. */
function uniform(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 4294967296) * 2 - 1;
  }
  return out;
}

/** Warm-up calls, then the median of timed calls (seconds). `run` includes the dataSync() readback. */
function timeIt(run: () => void, warmup: number, reps: number): { median: number; times: number[] } {
  for (let i = 0; i < warmup; i++) run();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    run();
    times.push((performance.now() - t0) / 1e3);
  }
  return { median: median(times), times };
}

function figure(kind: Kind, n: number, seconds: number): number {
  switch (kind) {
    case "matmul":
      return (2 * n ** 3) / seconds / 1e9;
    case "add":
      return (seconds / n) * 1e9;
    case "sum":
      return (n * 4) / seconds / 1e9;
  }
}

function benchLockstep(w: Workload): { median: number; times: number[] } {
  let inputs: torch.Tensor[];
  let op: () => torch.Tensor;
  if (w.kind === "matmul") {
    const a = torch.fromBuffer(uniform(w.n * w.n, 1), { shape: [w.n, w.n] });
    const b = torch.fromBuffer(uniform(w.n * w.n, 2), { shape: [w.n, w.n] });
    inputs = [a, b];
    op = () => torch.matmul(a, b);
  } else if (w.kind === "add") {
    const a = torch.fromBuffer(uniform(w.n, 1));
    const b = torch.fromBuffer(uniform(w.n, 2));
    inputs = [a, b];
    op = () => torch.add(a, b);
  } else {
    const a = torch.fromBuffer(uniform(w.n, 3));
    inputs = [a];
    op = () => torch.sum(a);
  }
  const r = timeIt(
    () => {
      const y = op();
      y.dataSync();
      y.dispose();
    },
    w.warmup,
    w.reps,
  );
  for (const t of inputs) t.dispose();
  return r;
}

/** Plain JS loops, for judging whether a kernel is pathologically slow: what "fast" looks like here. */
function plainJsAdd(n: number): number {
  const a = uniform(n, 1);
  const b = uniform(n, 2);
  const r = timeIt(
    () => {
      const out = new Float32Array(n); // a fresh output, as the functional add allocates one
      for (let i = 0; i < n; i++) out[i] = (a[i] as number) + (b[i] as number);
    },
    10,
    30,
  );
  return figure("add", n, r.median);
}
function plainJsSum(n: number): number {
  const x = uniform(n, 3);
  const loop = () => {
    let acc = 0;
    for (let i = 0; i < x.length; i++) acc += x[i] as number;
    return acc;
  };
  const r = timeIt(() => void loop(), 2, 7);
  return figure("sum", n, r.median);
}

interface TorchAnchor {
  version: string;
  python: string;
  executable: string;
  threads: number;
  blas: string[];
  results: Record<string, { value: number; unit: string; median_s: number; reps: number; warmup: number; times_s: number[] }>;
}

function runTorch(): { anchor: TorchAnchor | null; reason?: string } {
  if (!existsSync(DEBIAN_PYTHON)) return { anchor: null, reason: `${DEBIAN_PYTHON} not found` };
  const probe = spawnSync(DEBIAN_PYTHON, ["-c", "import torch"], { encoding: "utf8" });
  if (probe.error) return { anchor: null, reason: `cannot run ${DEBIAN_PYTHON}: ${probe.error.message}` };
  if (probe.status !== 0) {
    const last = probe.stderr.trim().split("\n").pop() ?? "";
    return { anchor: null, reason: `PyTorch not importable with ${DEBIAN_PYTHON} (${last}); apt-get install python3-torch` };
  }
  const spec = { threads: TORCH_THREADS, workloads: WORKLOADS };
  const r = spawnSync(DEBIAN_PYTHON, [join(here, "torch_anchor.py"), JSON.stringify(spec)], {
    encoding: "utf8",
    maxBuffer: 16 << 20,
    // Pin the BLAS/OpenMP pools too, in case a threaded BLAS is installed.
    env: { ...process.env, OMP_NUM_THREADS: String(TORCH_THREADS), OPENBLAS_NUM_THREADS: String(TORCH_THREADS) },
  });
  if (r.error || r.status !== 0) {
    const why = r.error?.message ?? (r.stderr.trim().split("\n").pop() || `exit status ${r.status}`);
    return { anchor: null, reason: `torch_anchor.py failed: ${why}` };
  }
  try {
    return { anchor: JSON.parse(r.stdout) as TorchAnchor };
  } catch (e) {
    return { anchor: null, reason: `torch_anchor.py printed no JSON: ${(e as Error).message}` };
  }
}

const round = (x: number, digits = 4) => Number(x.toPrecision(digits));

function main(): void {
  const started = performance.now();
  const loadAtStart = os.loadavg()[0] ?? 0;
  const lockstep: Record<string, { median_s: number; value: number; times_s: number[] }> = {};
  for (const w of WORKLOADS) {
    log(`lockstep ${w.name} (${w.warmup} warm-up, ${w.reps} reps)`);
    const r = benchLockstep(w);
    lockstep[w.name] = { median_s: r.median, value: figure(w.kind, w.n, r.median), times_s: r.times };
  }
  log("plain JS loops (diagnostics)");
  const jsAdd = plainJsAdd(1 << 20);
  const jsSum = plainJsSum(1 << 24);

  log(`PyTorch via ${DEBIAN_PYTHON} (${TORCH_THREADS} thread)`);
  const { anchor, reason } = runTorch();
  if (!anchor) log(`no PyTorch anchor: ${reason}`);

  const workloads: Record<string, unknown> = {};
  for (const w of WORKLOADS) {
    const { unit, higherIsBetter } = UNITS[w.kind];
    const ls = lockstep[w.name] as { median_s: number; value: number; times_s: number[] };
    const pt = anchor?.results[w.name];
    workloads[w.name] = {
      unit,
      higher_is_better: higherIsBetter,
      lockstep: round(ls.value),
      pytorch: pt ? round(pt.value) : null,
      // lockstep/pytorch in the workload's own unit; for ns/element above 1 means lockstep is slower.
      ratio: pt ? round(ls.value / pt.value) : null,
      lockstep_median_s: round(ls.median_s),
      pytorch_median_s: pt ? round(pt.median_s) : null,
      reps: w.reps,
      warmup: w.warmup,
    };
  }

  const cpus = os.cpus();
  const out = {
    benchmark: "lockstep reference backend",
    machine: {
      cpu: cpus[0]?.model ?? "unknown",
      cores: cpus.length,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      // The machine may be shared: a load average near the core count means noisy figures.
      loadavg_1m_at_start: round(loadAtStart, 3),
    },
    timing:
      "warm-up runs, then the median of timed reps; lockstep: performance.now() around op + dataSync(); " +
      "pytorch: time.perf_counter_ns() around the op (sum: .item())",
    lockstep: { backend: "reference", threads: 1, dtype: "float32" },
    pytorch: anchor
      ? {
          version: anchor.version,
          python: anchor.executable,
          threads: anchor.threads,
          blas: anchor.blas,
        }
      : null,
    pytorch_unavailable_reason: anchor ? undefined : reason,
    workloads,
    diagnostics: {
      plain_js_add_1M_ns_per_element: round(jsAdd),
      add_1M_lockstep_vs_plain_js: lockstep.add_1M ? round(lockstep.add_1M.value / jsAdd) : null,
      plain_js_sum_16M_GBps: round(jsSum),
      sum_16M_lockstep_vs_plain_js: lockstep.sum_16M ? round(lockstep.sum_16M.value / jsSum) : null,
    },
    total_seconds: round((performance.now() - started) / 1e3, 3),
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

main();
