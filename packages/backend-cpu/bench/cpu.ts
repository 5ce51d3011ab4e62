// `pnpm bench --backend cpu` (= `pnpm --filter @lockstep/backend-cpu bench`): lockstep's fast CPU
// backend ("cpu") and the exact reference ("reference") against Debian's PyTorch (bench/torch_cpu.py,
// run by /usr/bin/python3 with the same thread count) and tfjs's cpu and wasm backends
// (bench/tfjs.ts, in this process), all measured in the same run, one workload at a time on every
// side (lockstep cpu, PyTorch, tfjs-wasm, tfjs-cpu, lockstep reference) so that the figures a ratio
// compares are taken close together on a shared machine. Prints one JSON object on stdout
// (progress goes to stderr): every figure, the ratios, and a `targets` section saying which of the
// issue's targets are met. A benchmark is a program, never a test: nothing fails on a slow figure,
// and a side that cannot run (no PyTorch, a tfjs backend or kernel that does not start) is recorded
// as null with the reason.
//
// Workloads (all by default; name some to run only those):
//   matmul        n×n·n×n float32, n = 256 … 2048, GFLOP/s (result read back)
//   mlp           784-256-256-10 MLP, SGD momentum 0.9, batch 64: training steps/s (loss read back)
//   cnn           conv 1→32, conv 32→64 (3×3, pad 1, ReLU, max-pool 2), 3136→128→10, Adam, batch 64: steps/s
//   elementwise   add and exp over 1M float32, ns/element (a fresh output each call)
//   sum           full sum of 16M float32 to a scalar (read back), ns/element
//   overhead      per-op dispatch: µs per add of two 4-element tensors, result disposed
// Options: --threads N (default: all cores; lockstep's BLAS and PyTorch both get N; tfjs-wasm is
// single-threaded under Node, see its threads_note), --no-torch, --no-tfjs, --slow (also train the CNN
// on tfjs-cpu: one step, ~70 s on 2 cores).
//
//   pnpm -s bench --backend cpu                            # everything, ~1.5 min on 2 cores (-s: no pnpm banner on stdout)
//   pnpm bench --backend cpu elementwise sum overhead      # only those
//   pnpm --filter @lockstep/backend-cpu bench -- --threads 1 matmul cnn
//   LOCKSTEP_BENCH_PYTHON=/path/to/python3 pnpm bench --backend cpu
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as os from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { Tensor } from "@lockstep/core";
import * as torch from "@lockstep/core";
import { cpuBackendInfo, initCpu } from "../src/index.js";
import {
  ELEMENTWISE,
  emptySide,
  log,
  MATMUL,
  OVERHEAD,
  round,
  type SideResult,
  SLOW_TRAIN,
  SUM,
  TRAIN,
  TRAIN_WHAT,
  type TrainName,
  type TrainSpec,
  timeIt,
  uniform,
} from "./common.js";
import { startTfjs } from "./tfjs.js";

const here = dirname(fileURLToPath(import.meta.url));
const DEBIAN_PYTHON = process.env.LOCKSTEP_BENCH_PYTHON || "/usr/bin/python3";
const WORKLOADS = ["matmul", "mlp", "cnn", "elementwise", "sum", "overhead"];

// ---- arguments: [--threads N] [--no-torch] [--no-tfjs] [workload ...]
const argv = process.argv.slice(2).filter((a) => a !== "--");
const ti = argv.indexOf("--threads");
const threads = ti >= 0 ? Number(argv[ti + 1]) : (os.availableParallelism?.() ?? os.cpus().length);
const picked = argv.filter((a, i) => !a.startsWith("--") && (ti < 0 || i !== ti + 1));
const FLAGS = ["--threads", "--no-torch", "--no-tfjs", "--slow"];
for (const p of [...picked, ...argv.filter((a) => a.startsWith("--"))])
  if (!WORKLOADS.includes(p) && !FLAGS.includes(p)) {
    process.stderr.write(
      `bench cpu: unknown argument '${p}' (workloads: ${WORKLOADS.join(", ")}; options: ${FLAGS.join(", ")})\n`,
    );
    process.exit(64);
  }
if (!(threads >= 1 && Number.isInteger(threads))) {
  process.stderr.write("bench cpu: --threads needs a positive integer\n");
  process.exit(64);
}
const want = (name: string) => picked.length === 0 || picked.includes(name);
const noTorch = argv.includes("--no-torch");
const noTfjs = argv.includes("--no-tfjs");
const runVerySlow = argv.includes("--slow");

// ---------------------------------------------------------------- lockstep

const { nn } = torch;

function matmulGflops(device: string, n: number, warmup: number, reps: number): number {
  const a = torch
    .fromBuffer(uniform(n * n, 1), { shape: [n, n] })
    .to(device)
    .clone();
  const b = torch
    .fromBuffer(uniform(n * n, 2), { shape: [n, n] })
    .to(device)
    .clone();
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

/** The models of bench/torch_cpu.py, built on `device`. */
function trainStep(name: TrainName, device: string): () => void {
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

function stepsPerSecond(name: TrainName, device: string, spec: TrainSpec): number {
  const step = trainStep(name, device);
  const run = () => {
    for (let i = 0; i < spec.steps; i++) step();
  };
  return spec.steps / timeIt(run, spec.warmup, spec.reps);
}

/** Run the workloads `want` selects on lockstep's `device`, filling `r`. */
function lockstepSide(device: "cpu" | "reference", want: (name: string) => boolean, r: SideResult): void {
  const ref = device === "reference";
  if (want("matmul"))
    for (const m of MATMUL) {
      if (ref && !m.reference) {
        r.matmul[m.n] = null;
        r.skipped[`matmul_${m.n}`] = "the reference takes ~30 s per 2048³ call";
        continue;
      }
      log(`matmul ${m.n}: lockstep ${device}`);
      r.matmul[m.n] = ref
        ? matmulGflops(device, m.n, m.n >= 1024 ? 0 : 1, m.n >= 1024 ? 1 : 3)
        : matmulGflops(device, m.n, m.warmup, m.reps);
    }
  for (const t of TRAIN) {
    if (!want(t.name)) continue;
    log(`${t.name} training: lockstep ${device}`);
    r.train[t.name] = stepsPerSecond(t.name, device, ref ? SLOW_TRAIN[t.name] : t);
  }
  if (want("elementwise"))
    for (const e of ELEMENTWISE) {
      log(`${e.op} ${e.n}: lockstep ${device}`);
      const a = torch.fromBuffer(uniform(e.n, 1)).to(device).clone(); // clone: storage the device allocated (fromBuffer wraps the host array as is)
      const b = torch.fromBuffer(uniform(e.n, 2)).to(device).clone(); // clone: storage the device allocated (fromBuffer wraps the host array as is)
      const op = e.op === "add" ? () => torch.add(a, b) : () => torch.exp(a);
      // ops run synchronously: the result is complete when the call returns (no readback timed)
      const t = timeIt(() => op().dispose(), e.warmup, e.reps);
      r.elementwise[e.op] = (t / e.n) * 1e9;
      torch.dispose([a, b]);
    }
  if (want("sum")) {
    log(`sum ${SUM.n}: lockstep ${device}`);
    const a = torch.fromBuffer(uniform(SUM.n, 3)).to(device).clone(); // clone: storage the device allocated (fromBuffer wraps the host array as is)
    const t = timeIt(
      () => {
        const s = torch.sum(a);
        s.itemSync();
        s.dispose();
      },
      SUM.warmup,
      SUM.reps,
    );
    r.sum = (t / SUM.n) * 1e9;
    a.dispose();
  }
  if (want("overhead")) {
    log(`per-op overhead: lockstep ${device}`);
    const a = torch
      .fromBuffer(new Float32Array([1, 2, 3, 4]))
      .to(device)
      .clone();
    const b = torch
      .fromBuffer(new Float32Array([5, 6, 7, 8]))
      .to(device)
      .clone();
    const t = timeIt(
      () => {
        for (let i = 0; i < OVERHEAD.ops; i++) torch.add(a, b).dispose();
      },
      OVERHEAD.warmup,
      OVERHEAD.reps,
    );
    r.overhead_us = (t / OVERHEAD.ops) * 1e6;
    torch.dispose([a, b]);
  }
}

// ---------------------------------------------------------------- PyTorch

interface TorchInfo {
  version: string;
  executable: string;
  threads: number;
  blas: string[];
}
interface TorchResult {
  matmul: Record<string, { gflops: number; median_s: number }>;
  train: Record<string, { steps_per_s: number; median_s: number }>;
  elementwise: Record<string, { ns_per_element: number; median_s: number }>;
  sum: { ns_per_element: number; median_s: number } | null;
  overhead: { us_per_op: number; median_s: number } | null;
}
interface TorchServer {
  info: TorchInfo;
  /** Time one workload's spec in the Python process; rejects if the process died. */
  request(spec: object): Promise<Partial<TorchResult>>;
  close(): void;
}

/** One /usr/bin/python3 process running bench/torch_cpu.py --serve, so each workload is timed next to lockstep's. */
async function startTorch(): Promise<TorchServer | { error: string }> {
  if (noTorch) return { error: "--no-torch" };
  if (!existsSync(DEBIAN_PYTHON)) return { error: `${DEBIAN_PYTHON} not found` };
  const probe = spawnSync(DEBIAN_PYTHON, ["-c", "import torch"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0)
    return { error: `PyTorch not importable with ${DEBIAN_PYTHON}; apt-get install python3-torch` };
  const child = spawn(DEBIAN_PYTHON, [join(here, "torch_cpu.py"), "--serve", String(threads)], {
    stdio: ["pipe", "pipe", "pipe"],
    // the same thread count for PyTorch's intra-op pool and its BLAS/OpenMP pools
    env: { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) },
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  const waiting: { resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  let dead: Error | null = null;
  const die = (why: string) => {
    dead ??= new Error(`torch_cpu.py ${why}: ${stderr.trim().split("\n").pop() ?? ""}`);
    for (const w of waiting.splice(0)) w.reject(dead);
  };
  child.on("error", (e) => die(`could not run (${e.message})`));
  child.on("exit", (code, sig) => die(`exited (${sig ?? code})`));
  child.stdin.on("error", () => {}); // a dead child is reported by "exit"
  createInterface({ input: child.stdout }).on("line", (line) => waiting.shift()?.resolve(line));
  const next = () => new Promise<string>((resolve, reject) => (dead ? reject(dead) : waiting.push({ resolve, reject })));
  try {
    const info = JSON.parse(await next()) as TorchInfo;
    return {
      info,
      async request(spec) {
        const line = next();
        child.stdin.write(`${JSON.stringify(spec)}\n`);
        return JSON.parse(await line) as Partial<TorchResult>;
      },
      close() {
        child.stdin.end();
      },
    };
  } catch (e) {
    child.kill();
    return { error: (e as Error).message };
  }
}

// ---------------------------------------------------------------- report

type Num = number | null | undefined;
const r4 = (x: Num) => (x == null ? null : round(x));
/** How many times faster lockstep is: a/b for throughputs (higher is better), b/a for times. */
const speedup = (mine: Num, other: Num, higherIsBetter: boolean) =>
  mine != null && other != null && mine > 0 && other > 0 ? round(higherIsBetter ? mine / other : other / mine, 3) : null;

async function main(): Promise<string> {
  const started = performance.now();
  const loadAtStart = os.loadavg();
  // tfjs and emscripten print notices with console.log/warn: keep stdout for the JSON alone
  console.log = (...args: unknown[]) => console.error(...args);
  torch.setNumThreads(threads);
  initCpu();
  const info = cpuBackendInfo();
  if (!info?.blas) log(`no BLAS: ${info?.fallbackReason}`);

  const cpu = emptySide();
  const reference = emptySide();
  log(`PyTorch via ${DEBIAN_PYTHON} (${threads} threads)`);
  const torchServer = await startTorch();
  if ("error" in torchServer) log(`no PyTorch: ${torchServer.error}`);
  const tfjs = noTfjs ? { error: "--no-tfjs" } : await startTfjs(threads, runVerySlow);
  if ("error" in tfjs) log(`no tfjs: ${tfjs.error}`);
  const pt: TorchResult = { matmul: {}, train: {}, elementwise: {}, sum: null, overhead: null };
  let ptReason = "error" in torchServer ? torchServer.error : undefined;
  // One workload at a time on every side, so that its figures are taken close together in time on
  // a machine shared with other work. OpenBLAS's idle threads spin for a while after a call: a short
  // pause between sides keeps one side's spinning pool off the next side's timing.
  const settle = () => sleep(150);
  for (const w of WORKLOADS.filter(want)) {
    const only = (name: string) => name === w;
    lockstepSide("cpu", only, cpu);
    await settle();
    if (!("error" in torchServer) && ptReason === undefined) {
      log(`${w}: PyTorch`);
      const spec =
        w === "matmul"
          ? { matmul: MATMUL }
          : w === "mlp" || w === "cnn"
            ? { train: TRAIN.filter((t) => t.name === w) }
            : w === "elementwise"
              ? { elementwise: ELEMENTWISE }
              : w === "sum"
                ? { sum: SUM }
                : { overhead: OVERHEAD };
      try {
        const got = await torchServer.request(spec);
        Object.assign(pt.matmul, got.matmul);
        Object.assign(pt.train, got.train);
        Object.assign(pt.elementwise, got.elementwise);
        pt.sum = got.sum ?? pt.sum;
        pt.overhead = got.overhead ?? pt.overhead;
      } catch (e) {
        ptReason = (e as Error).message;
        log(`PyTorch failed: ${ptReason}`);
      }
      await settle();
    }
    if (!("error" in tfjs)) {
      await tfjs.run(w);
      await settle();
    }
    lockstepSide("reference", only, reference);
  }
  if (!("error" in torchServer)) torchServer.close();

  const tfSide = (b: "cpu" | "wasm"): SideResult | null => {
    if ("error" in tfjs) return null;
    const s = tfjs.sides[b];
    return "error" in s ? null : s;
  };
  const tcpu = tfSide("cpu");
  const twasm = tfSide("wasm");
  const why = (s: SideResult | null, key: string) => s?.skipped[key];

  /** One workload's figures on every side, the ratios, and the reasons for missing figures. */
  const row = (unit: string, higherIsBetter: boolean, get: (s: SideResult) => Num, ptValue: Num, key: string) => {
    const c = get(cpu);
    const f = {
      lockstep_cpu: r4(c),
      lockstep_reference: r4(get(reference)),
      pytorch: r4(ptValue),
      tfjs_cpu: r4(tcpu ? get(tcpu) : null),
      tfjs_wasm: r4(twasm ? get(twasm) : null),
    };
    const skipped = Object.fromEntries(
      [
        ["lockstep_reference", why(reference, key)],
        ["tfjs_cpu", why(tcpu, key)],
        ["tfjs_wasm", why(twasm, key)],
      ].filter(([, v]) => v !== undefined),
    );
    return {
      unit,
      ...f,
      cpu_vs_pytorch: speedup(c, ptValue, higherIsBetter),
      cpu_vs_reference: speedup(c, f.lockstep_reference, higherIsBetter),
      cpu_vs_tfjs_cpu: speedup(c, f.tfjs_cpu, higherIsBetter),
      cpu_vs_tfjs_wasm: speedup(c, f.tfjs_wasm, higherIsBetter),
      ...(Object.keys(skipped).length ? { skipped } : {}),
    };
  };

  const matmul: Record<string, ReturnType<typeof row>> = {};
  if (want("matmul"))
    for (const m of MATMUL)
      matmul[m.n] = row("GFLOP/s", true, (s) => s.matmul[m.n], pt.matmul[String(m.n)]?.gflops, `matmul_${m.n}`);
  const training: Record<string, ReturnType<typeof row> & { what: string }> = {};
  for (const t of TRAIN)
    if (want(t.name))
      training[t.name] = {
        what: TRAIN_WHAT[t.name],
        ...row("steps/s", true, (s) => s.train[t.name], pt.train[t.name]?.steps_per_s, t.name),
      };
  const elementwise: Record<string, ReturnType<typeof row>> = {};
  if (want("elementwise"))
    for (const e of ELEMENTWISE)
      elementwise[`${e.op}_1M`] = row(
        "ns/element",
        false,
        (s) => s.elementwise[e.op],
        pt.elementwise[e.op]?.ns_per_element,
        e.op,
      );
  const reductions: Record<string, ReturnType<typeof row>> = {};
  if (want("sum")) reductions.sum_16M = row("ns/element", false, (s) => s.sum, pt.sum?.ns_per_element, "sum");
  const overhead = want("overhead")
    ? {
        what: `add of two ${OVERHEAD.size}-element float32 tensors, result disposed; ${OVERHEAD.ops} ops per timed repetition`,
        ...row("µs/op", false, (s) => s.overhead_us, pt.overhead?.us_per_op, "overhead"),
      }
    : undefined;

  // ---- the targets on this machine (each: the ratio, the bound, whether it is met)
  const targets: Record<string, { ratio: number | null; target: string; met: boolean | null; note?: string }> = {};
  const atLeast = (name: string, ratio: number | null, bound: number, note?: string) => {
    targets[name] = { ratio, target: `>= ${bound}`, met: ratio === null ? null : ratio >= bound, ...(note ? { note } : {}) };
  };
  for (const t of Object.keys(training)) atLeast(`${t}_steps_vs_pytorch`, training[t]?.cpu_vs_pytorch ?? null, 1.0);
  for (const n of Object.keys(matmul)) atLeast(`matmul_${n}_vs_pytorch`, matmul[n]?.cpu_vs_pytorch ?? null, 0.9);
  for (const n of Object.keys(matmul)) atLeast(`matmul_${n}_vs_tfjs_wasm`, matmul[n]?.cpu_vs_tfjs_wasm ?? null, 5);
  for (const t of Object.keys(training)) {
    const r = training[t];
    atLeast(`${t}_steps_vs_tfjs_wasm`, r?.cpu_vs_tfjs_wasm ?? null, 5, r?.skipped?.tfjs_wasm);
  }
  for (const k of Object.keys(elementwise)) atLeast(`${k}_vs_tfjs_wasm`, elementwise[k]?.cpu_vs_tfjs_wasm ?? null, 2);
  for (const k of Object.keys(reductions)) atLeast(`${k}_vs_tfjs_wasm`, reductions[k]?.cpu_vs_tfjs_wasm ?? null, 2);
  if (overhead) {
    const us = overhead.lockstep_cpu;
    targets.overhead_us_per_op = { ratio: us, target: "<= 2 (µs/op, lockstep cpu)", met: us === null ? null : us <= 2 };
  }
  const measured = Object.values(targets).filter((t) => t.met !== null);

  const cpus = os.cpus();
  const out = {
    benchmark: "lockstep fast CPU backend vs the reference, PyTorch (OpenBLAS) and tfjs (cpu, wasm)",
    machine: {
      cpu: cpus[0]?.model ?? "unknown",
      cores: cpus.length,
      node: process.version,
      // the machine may be shared: a load average near the core count or above means noisy figures
      loadavg_at_start: loadAtStart.map((x) => round(x, 3)),
      loadavg_at_end: os.loadavg().map((x) => round(x, 3)),
      loadavg_note: "1, 5 and 15 minute load averages",
      ...(loadAtStart[0] !== undefined && loadAtStart[0] > cpus.length / 2
        ? {
            busy_warning: `the machine was busy before the run (1-minute load ${round(loadAtStart[0], 3)} on ${cpus.length} cores): figures, and ratios between sides, are noisy`,
          }
        : {}),
    },
    threads,
    workloads: WORKLOADS.filter(want),
    timing:
      "each figure: warm-up calls, then the median of timed repetitions (performance.now / time.perf_counter_ns), " +
      "all sides in this run on this machine, interleaved: each workload runs on every side in turn (lockstep cpu, PyTorch, " +
      "tfjs-wasm, tfjs-cpu, lockstep reference; 150 ms pause between sides) before the next workload. matmul includes the result's readback (dataSync) in lockstep and tfjs " +
      "(PyTorch writes into a preallocated out=); training: consecutive steps on a fixed batch (forward, cross-entropy, " +
      "backward, optimizer step, loss read back), data loading excluded; elementwise: the op with a fresh output, then " +
      "freeing it (every side computes synchronously, no readback); sum: the reduction and reading the scalar back; " +
      "overhead: a loop of tiny adds, each result freed (dispose() / refcount). The slow sides (lockstep reference, " +
      "tfjs-cpu) run fewer repetitions.",
    ratios:
      "cpu_vs_X = how many times faster lockstep cpu is than X (throughput / throughput, or X's time / lockstep's time): " +
      "above 1 means lockstep is faster",
    lockstep: { backend: info?.backend ?? null, blas: info?.blas ?? null, blas_threads: info?.threads ?? null },
    pytorch:
      "error" in torchServer
        ? null
        : {
            version: torchServer.info.version,
            python: torchServer.info.executable,
            threads: torchServer.info.threads,
            blas: torchServer.info.blas,
          },
    pytorch_unavailable_reason: ptReason,
    tfjs:
      "error" in tfjs
        ? { error: tfjs.error }
        : {
            ...tfjs.info,
            errors: Object.fromEntries(Object.entries(tfjs.sides).flatMap(([k, v]) => ("error" in v ? [[k, v.error]] : []))),
          },
    matmul,
    training,
    elementwise,
    reductions,
    overhead,
    targets: {
      summary: `${measured.filter((t) => t.met).length} of ${measured.length} measured targets met (${Object.keys(targets).length - measured.length} not measurable in this run)`,
      ...targets,
    },
    total_seconds: round((performance.now() - started) / 1e3, 3),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

main().then(
  // tfjs-wasm's emscripten runtime keeps handlers alive: leave explicitly, once the JSON is out
  (json) => process.stdout.write(json, () => process.exit(0)),
  (e) => {
    process.stderr.write(`bench cpu: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
