// `pnpm bench` (packages/backend-cpu): the fast CPU backend against the exact reference and Debian's
// PyTorch, measured in the same run with the same thread count on both sides. Prints one JSON
// object on stdout; progress goes to stderr. A benchmark is a program, never a test: nothing fails
// on a slow figure, and a missing PyTorch is reported as null with the reason.
// tfjs (tfjs-node) is not compared yet.
//
//   pnpm bench                         # everything
//   pnpm --filter @lockstep/backend-cpu bench -- --threads 1 matmul cnn
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Tensor } from "@lockstep/core";
import * as torch from "@lockstep/core";
import { cpuBackendInfo, initCpu } from "../src/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const log = (msg: string) => process.stderr.write(`[bench cpu] ${msg}\n`);
const round = (x: number, digits = 4) => Number(x.toPrecision(digits));
const DEBIAN_PYTHON = process.env.LOCKSTEP_BENCH_PYTHON || "/usr/bin/python3";

// ---- arguments: [--threads N] [matmul] [mlp] [cnn]
const argv = process.argv.slice(2).filter((a) => a !== "--");
const ti = argv.indexOf("--threads");
const threads = ti >= 0 ? Number(argv[ti + 1]) : (os.availableParallelism?.() ?? os.cpus().length);
const picked = argv.filter((a, i) => !a.startsWith("--") && (ti < 0 || i !== ti + 1));
const want = (name: string) => picked.length === 0 || picked.includes(name);

interface MatmulSpec {
  n: number;
  warmup: number;
  reps: number;
  /** The reference at 2048 takes ~30 s a call on this machine: skipped there. */
  reference: boolean;
}
const MATMUL: MatmulSpec[] = [
  { n: 256, warmup: 3, reps: 15, reference: true },
  { n: 512, warmup: 2, reps: 9, reference: true },
  { n: 1024, warmup: 1, reps: 5, reference: true },
  { n: 2048, warmup: 1, reps: 3, reference: false },
].filter(() => want("matmul"));
interface TrainSpec {
  name: "mlp" | "cnn";
  warmup: number;
  /** Consecutive steps per timed repetition. */
  steps: number;
  reps: number;
}
const TRAIN: TrainSpec[] = [
  { name: "mlp" as const, warmup: 1, steps: 20, reps: 5 },
  { name: "cnn" as const, warmup: 1, steps: 5, reps: 3 },
].filter((t) => want(t.name));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function timeIt(run: () => void, warmup: number, reps: number): number {
  for (let i = 0; i < warmup; i++) run();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    run();
    times.push((performance.now() - t0) / 1e3);
  }
  return median(times);
}

function matmulGflops(device: string, n: number, warmup: number, reps: number): number {
  torch.manualSeed(0);
  const a = torch.rand([n, n]).mul(2).sub(1).to(device);
  const b = torch.rand([n, n]).mul(2).sub(1).to(device);
  const t = timeIt(
    () => {
      const y = torch.matmul(a, b);
      y.dataSync();
      y.dispose();
    },
    warmup,
    reps,
  );
  torch.dispose([a, b]);
  return (2 * n ** 3) / t / 1e9;
}

const { nn } = torch;

/** The models of packages/backend-cpu/bench/torch_cpu.py, built on `device`. */
function trainStep(name: "mlp" | "cnn", device: string): () => void {
  torch.manualSeed(0);
  const model =
    name === "mlp"
      ? new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 256), new nn.ReLU(), new nn.Linear(256, 10))
      : new nn.Sequential(
          new nn.Conv2d(1, 32, 3, { padding: 1 }),
          new nn.ReLU(),
          new nn.MaxPool2d(2),
          new nn.Conv2d(32, 64, 3, { padding: 1 }),
          new nn.ReLU(),
          new nn.MaxPool2d(2),
          new nn.Flatten(),
          new nn.Linear(64 * 7 * 7, 128),
          new nn.ReLU(),
          new nn.Linear(128, 10),
        );
  model.to(device);
  const x = (name === "mlp" ? torch.randn([64, 784]) : torch.randn([64, 1, 28, 28])).to(device);
  const y = torch.randint(0, 10, [64]).to(device);
  const opt =
    name === "mlp"
      ? new torch.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 })
      : new torch.optim.Adam(model.parameters(), { lr: 1e-3 });
  return () =>
    torch.tidy(() => {
      opt.zeroGrad();
      const loss = nn.functional.crossEntropy(model.forward(x) as Tensor, y);
      loss.backward();
      opt.step();
      loss.itemSync();
    });
}

function stepsPerSecond(name: "mlp" | "cnn", device: string, spec: TrainSpec): number {
  const step = trainStep(name, device);
  const run = () => {
    for (let i = 0; i < spec.steps; i++) step();
  };
  return spec.steps / timeIt(run, spec.warmup, spec.reps);
}

interface TorchResult {
  version: string;
  executable: string;
  threads: number;
  blas: string[];
  matmul: Record<string, { gflops: number; median_s: number }>;
  train: Record<string, { steps_per_s: number; median_s: number }>;
}

function runTorch(): { result: TorchResult | null; reason?: string } {
  if (!existsSync(DEBIAN_PYTHON)) return { result: null, reason: `${DEBIAN_PYTHON} not found` };
  const probe = spawnSync(DEBIAN_PYTHON, ["-c", "import torch"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0)
    return { result: null, reason: `PyTorch not importable with ${DEBIAN_PYTHON}; apt-get install python3-torch` };
  const spec = { threads, matmul: MATMUL, train: TRAIN };
  const r = spawnSync(DEBIAN_PYTHON, [join(here, "torch_cpu.py"), JSON.stringify(spec)], {
    encoding: "utf8",
    maxBuffer: 16 << 20,
    // the same thread count for PyTorch's intra-op pool and its BLAS/OpenMP pools
    env: { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) },
  });
  if (r.error || r.status !== 0)
    return {
      result: null,
      reason: `torch_cpu.py failed: ${r.error?.message ?? (r.stderr.trim().split("\n").pop() || `exit ${r.status}`)}`,
    };
  try {
    return { result: JSON.parse(r.stdout) as TorchResult };
  } catch (e) {
    return { result: null, reason: `torch_cpu.py printed no JSON: ${(e as Error).message}` };
  }
}

const ratio = (a: number | null | undefined, b: number | null | undefined) => (a != null && b ? round(a / b, 3) : null);

function main(): void {
  const started = performance.now();
  const loadAtStart = os.loadavg()[0] ?? 0;
  torch.setNumThreads(threads);
  initCpu();
  const info = cpuBackendInfo();
  if (!info?.blas) log(`no BLAS: ${info?.fallbackReason}`);

  const matmul: Record<string, unknown> = {};
  const mine: Record<string, { cpu: number; reference: number | null }> = {};
  for (const m of MATMUL) {
    log(`matmul ${m.n}: cpu`);
    const cpu = matmulGflops("cpu", m.n, m.warmup, m.reps);
    let reference: number | null = null;
    if (m.reference) {
      log(`matmul ${m.n}: reference`);
      reference = matmulGflops("reference", m.n, m.n >= 1024 ? 0 : 1, m.n >= 1024 ? 1 : 3);
    }
    mine[m.n] = { cpu, reference };
  }
  const trained: Record<string, { cpu: number; reference: number }> = {};
  for (const t of TRAIN) {
    log(`${t.name} training: cpu`);
    const cpu = stepsPerSecond(t.name, "cpu", t);
    log(`${t.name} training: reference`);
    const reference = stepsPerSecond(t.name, "reference", { ...t, steps: t.name === "cnn" ? 2 : 5, reps: 1, warmup: 1 });
    trained[t.name] = { cpu, reference };
  }
  log(`PyTorch via ${DEBIAN_PYTHON} (${threads} threads)`);
  const { result: pt, reason } = runTorch();
  if (!pt) log(`no PyTorch: ${reason}`);

  for (const m of MATMUL) {
    const r = mine[m.n] as { cpu: number; reference: number | null };
    const p = pt?.matmul[String(m.n)]?.gflops ?? null;
    matmul[`${m.n}`] = {
      unit: "GFLOP/s",
      lockstep_cpu: round(r.cpu),
      lockstep_reference: r.reference === null ? null : round(r.reference),
      pytorch: p === null ? null : round(p),
      cpu_vs_pytorch: ratio(r.cpu, p),
      cpu_vs_reference: ratio(r.cpu, r.reference),
      ...(r.reference === null ? { reference_skipped: "the reference takes ~30 s per 2048³ call" } : {}),
    };
  }
  const training: Record<string, unknown> = {};
  for (const t of TRAIN) {
    const r = trained[t.name] as { cpu: number; reference: number };
    const p = pt?.train[t.name]?.steps_per_s ?? null;
    training[t.name] = {
      what:
        t.name === "mlp"
          ? "784-256-256-10 MLP, SGD momentum 0.9, batch 64, cross-entropy"
          : "2 conv (32, 64) + max-pool + 128 hidden (apps/fashion-mnist's cnn), Adam, batch 64",
      unit: "steps/s",
      lockstep_cpu: round(r.cpu),
      lockstep_reference: round(r.reference),
      pytorch: p === null ? null : round(p),
      cpu_vs_pytorch: ratio(r.cpu, p),
      cpu_vs_reference: ratio(r.cpu, r.reference),
    };
  }
  const cpus = os.cpus();
  const out = {
    benchmark: "lockstep fast CPU backend (BLAS matmul)",
    machine: {
      cpu: cpus[0]?.model ?? "unknown",
      cores: cpus.length,
      node: process.version,
      // the machine may be shared: a load average near the core count or above means noisy figures
      loadavg_1m_at_start: round(loadAtStart, 3),
      loadavg_1m_at_end: round(os.loadavg()[0] ?? 0, 3),
    },
    threads,
    timing:
      "warm-up, then the median of timed repetitions; matmul includes dataSync(); training: consecutive steps of a fixed batch " +
      "(forward, cross-entropy, backward, optimizer step, loss readback), data loading excluded on both sides; the reference is timed with fewer reps",
    lockstep: { backend: info?.backend ?? null, blas: info?.blas ?? null, blas_threads: info?.threads ?? null },
    pytorch: pt ? { version: pt.version, python: pt.executable, threads: pt.threads, blas: pt.blas } : null,
    pytorch_unavailable_reason: pt ? undefined : reason,
    matmul,
    training,
    not_compared_yet: "tfjs (tfjs-node)",
    total_seconds: round((performance.now() - started) / 1e3, 3),
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

main();
