// `pnpm bench` (in this package, or `pnpm bench --backend webgpu` at the root): lockstep's WebGPU
// backend against @tensorflow/tfjs-backend-webgpu on the same adapter, measured in the same run.
// Prints one JSON object on stdout; progress goes to stderr. A benchmark is a program, never a
// test: nothing here fails on a slow figure. When tfjs cannot start, its side records why.
//
// Both sides are timed the same way: warm-up calls (pipeline compilation), then `reps` calls
// recorded back to back and one readback of the last result at the end (the GPU queue is in
// order, so that waits for all of them); the figure is the mean over the reps. The best of
// `rounds` such measurements is kept (the machine is shared and noisy).
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import { fileURLToPath } from "node:url";
import * as torch from "@lockstep/core";
import { initWebGPU } from "../src/index.js";

// Without a GPU, use the software adapter that tools/install-webgpu-adapter.sh provides.
const manifest = fileURLToPath(new URL("../../../.cache/webgpu-adapter/lvp_icd.json", import.meta.url));
if (!process.env.VK_ICD_FILENAMES && existsSync(manifest)) process.env.VK_ICD_FILENAMES = manifest;

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const args = process.argv.slice(2).filter((a) => a !== "--");
// `--backend X` (from the root's `pnpm bench --backend webgpu`): this program only benches webgpu
const bi = args.indexOf("--backend");
if (bi >= 0) {
  const want = args[bi + 1];
  args.splice(bi, 2);
  if (want && want !== "webgpu") {
    log(`--backend ${want}: nothing to do here`);
    process.exit(0);
  }
}
const only = args;
const quick = process.env.LOCKSTEP_BENCH_QUICK === "1";

/** Deterministic uniform [-1, 1) float32 data (xorshift32), so runs see the same inputs. */
function uniform(n: number, seed: number, scale = 1): Float32Array {
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

/** Seconds per call: best over rounds of (reps back-to-back calls + one final readback) / reps. */
async function timeIt(
  call: () => unknown,
  finish: (last: unknown) => Promise<void>,
  warmup: number,
  reps: number,
): Promise<number> {
  for (let i = 0; i < warmup; i++) await finish(call());
  const rounds = quick ? 1 : 3;
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    let last: unknown;
    for (let i = 0; i < reps; i++) last = call();
    await finish(last);
    best = Math.min(best, (performance.now() - t0) / 1e3 / reps);
  }
  return best;
}

interface Side {
  matmul(n: number): Promise<number>;
  conv2d(): Promise<number>;
  mlpStep(): Promise<number>;
  cnnStep(): Promise<number>;
  add(n: number): Promise<number>;
}

// Workloads (the same on both sides)
const MATMUL_SIZES = [256, 512, 1024];
const CONV = { B: 8, C: 16, H: 32, W: 32, O: 32, K: 3 }; // padding 1, stride 1
const convFlops = 2 * CONV.B * CONV.O * CONV.H * CONV.W * CONV.C * CONV.K * CONV.K;
const MLP = { batch: 64, sizes: [784, 256, 128, 10] };
const CNN = { batch: 32 }; // 1×28×28 → conv 8@5×5, relu, pool 2 → conv 16@5×5, relu, pool 2 → linear 256→10
const ADD_N = 1 << 20;
const reps = (n: number) => (quick ? Math.max(1, n >> 2) : n);

// ---------------------------------------------------------------- lockstep

async function lockstepSide(): Promise<Side> {
  await initWebGPU();
  const dev = "webgpu";
  const onDev = (data: Float32Array, shape: number[]) => torch.fromBuffer(data, { shape }).to(dev);
  const finish = async (t: unknown) => {
    await (t as torch.Tensor).data();
  };
  const mlpData = () => {
    const x = onDev(uniform(MLP.batch * 784, 11), [MLP.batch, 784]);
    const y = torch
      .fromBuffer(
        Int32Array.from({ length: MLP.batch }, (_, i) => (i * 7) % 10),
        { shape: [MLP.batch] },
      )
      .to("int64")
      .to(dev);
    return { x, y };
  };
  const trainStep = (model: torch.nn.Module, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor) => {
    let kept: torch.Tensor | null = null;
    torch.tidy(() => {
      opt.zeroGrad();
      const loss = torch.nn.functional.crossEntropy(model.forward(x) as torch.Tensor, y);
      loss.backward();
      opt.step();
      kept = torch.keep(loss.detach());
    });
    return kept as unknown as torch.Tensor;
  };
  return {
    async matmul(n) {
      const a = onDev(uniform(n * n, 1), [n, n]);
      const b = onDev(uniform(n * n, 2), [n, n]);
      let prev: torch.Tensor | null = null;
      const s = await timeIt(
        () => {
          prev?.dispose();
          prev = torch.matmul(a, b);
          return prev;
        },
        finish,
        1,
        reps(n >= 1024 ? 3 : n >= 512 ? 6 : 15),
      );
      a.dispose();
      b.dispose();
      return (2 * n ** 3) / s / 1e9;
    },
    async conv2d() {
      const x = onDev(uniform(CONV.B * CONV.C * CONV.H * CONV.W, 3), [CONV.B, CONV.C, CONV.H, CONV.W]);
      const w = onDev(uniform(CONV.O * CONV.C * CONV.K * CONV.K, 4, 0.1), [CONV.O, CONV.C, CONV.K, CONV.K]);
      let prev: torch.Tensor | null = null;
      const s = await timeIt(
        () => {
          prev?.dispose();
          prev = torch.nn.functional.conv2d(x, w, null, { padding: 1 });
          return prev;
        },
        finish,
        1,
        reps(8),
      );
      return convFlops / s / 1e9;
    },
    async mlpStep() {
      torch.manualSeed(0);
      const [i0, h1, h2, o] = MLP.sizes as [number, number, number, number];
      const model = new torch.nn.Sequential(
        new torch.nn.Linear(i0, h1),
        new torch.nn.ReLU(),
        new torch.nn.Linear(h1, h2),
        new torch.nn.ReLU(),
        new torch.nn.Linear(h2, o),
      );
      model.to(dev);
      const opt = new torch.optim.Adam(model.parameters(), { lr: 1e-3 });
      const { x, y } = mlpData();
      let prev: torch.Tensor | null = null;
      const s = await timeIt(
        () => {
          prev?.dispose();
          prev = trainStep(model, opt, x, y);
          return prev;
        },
        finish,
        2,
        reps(20),
      );
      return 1 / s;
    },
    async cnnStep() {
      torch.manualSeed(0);
      const model = new torch.nn.Sequential(
        new torch.nn.Conv2d(1, 8, 5),
        new torch.nn.ReLU(),
        new torch.nn.MaxPool2d(2),
        new torch.nn.Conv2d(8, 16, 5),
        new torch.nn.ReLU(),
        new torch.nn.MaxPool2d(2),
        new torch.nn.Flatten(),
        new torch.nn.Linear(256, 10),
      );
      model.to(dev);
      const opt = new torch.optim.Adam(model.parameters(), { lr: 1e-3 });
      const x = onDev(uniform(CNN.batch * 784, 12), [CNN.batch, 1, 28, 28]);
      const y = torch
        .fromBuffer(
          Int32Array.from({ length: CNN.batch }, (_, i) => (i * 3) % 10),
          { shape: [CNN.batch] },
        )
        .to("int64")
        .to(dev);
      let prev: torch.Tensor | null = null;
      const s = await timeIt(
        () => {
          prev?.dispose();
          prev = trainStep(model, opt, x, y);
          return prev;
        },
        finish,
        2,
        reps(8),
      );
      return 1 / s;
    },
    async add(n) {
      const a = onDev(uniform(n, 5), [n]);
      const b = onDev(uniform(n, 6), [n]);
      let prev: torch.Tensor | null = null;
      const s = await timeIt(
        () => {
          prev?.dispose();
          prev = torch.add(a, b);
          return prev;
        },
        finish,
        3,
        reps(30),
      );
      return (s / n) * 1e9;
    },
  };
}

// ---------------------------------------------------------------- tfjs-backend-webgpu

type Tf = typeof import("@tensorflow/tfjs");

/** tfjs-webgpu in Node: it looks for `navigator.gpu`, which Dawn's `create()` provides. */
async function tfjsSide(): Promise<{ side: Side; version: string } | { error: string }> {
  let tf: Tf;
  try {
    const dawn = (await import("webgpu")) as { create(o: string[]): GPU; globals: object };
    Object.assign(globalThis, dawn.globals); // GPUBufferUsage etc., which tfjs reads as globals
    const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
    if (!nav?.gpu) {
      const gpu = dawn.create([]);
      Object.defineProperty(globalThis, "navigator", { value: { ...(nav ?? {}), gpu, userAgent: "node" }, configurable: true });
    }
    // the tfjs bundle, not tfjs-core alone: only the bundle registers the gradients training needs
    // (CommonJS builds: tfjs's ES modules use extensionless imports that Node's resolver rejects)
    const require = createRequire(import.meta.url);
    tf = require("@tensorflow/tfjs") as Tf;
    require("@tensorflow/tfjs-backend-webgpu");
    if (!(await tf.setBackend("webgpu"))) return { error: "tf.setBackend('webgpu') returned false" };
    await tf.ready();
  } catch (e) {
    return { error: `tfjs-backend-webgpu could not start in Node: ${(e as Error).message}` };
  }
  const finish = async (t: unknown) => {
    await (t as import("@tensorflow/tfjs").Tensor).data();
  };
  const dense = (inp: number, out: number, seed: number) => ({
    w: tf.variable(tf.tensor2d(uniform(inp * out, seed, 1 / Math.sqrt(inp)), [inp, out])),
    b: tf.variable(tf.zeros([out])),
  });
  const oneHot = (n: number, f: (i: number) => number) =>
    tf.oneHot(
      tf.tensor1d(
        Int32Array.from({ length: n }, (_, i) => f(i)),
        "int32",
      ),
      10,
    );
  const side: Side = {
    async matmul(n) {
      const a = tf.tensor2d(uniform(n * n, 1), [n, n]);
      const b = tf.tensor2d(uniform(n * n, 2), [n, n]);
      let prev: import("@tensorflow/tfjs").Tensor | null = null;
      const s = await timeIt(
        () => {
          prev?.dispose();
          prev = tf.matMul(a, b);
          return prev;
        },
        finish,
        1,
        reps(n >= 1024 ? 3 : n >= 512 ? 6 : 15),
      );
      a.dispose();
      b.dispose();
      return (2 * n ** 3) / s / 1e9;
    },
    async conv2d() {
      // tfjs is NHWC: the same sizes in its layout
      const x = tf.tensor4d(uniform(CONV.B * CONV.C * CONV.H * CONV.W, 3), [CONV.B, CONV.H, CONV.W, CONV.C]);
      const w = tf.tensor4d(uniform(CONV.O * CONV.C * CONV.K * CONV.K, 4, 0.1), [CONV.K, CONV.K, CONV.C, CONV.O]);
      let prev: import("@tensorflow/tfjs").Tensor | null = null;
      const s = await timeIt(
        () => {
          prev?.dispose();
          prev = tf.conv2d(x, w, 1, "same");
          return prev;
        },
        finish,
        1,
        reps(8),
      );
      return convFlops / s / 1e9;
    },
    async mlpStep() {
      const [i0, h1, h2, o] = MLP.sizes as [number, number, number, number];
      const l1 = dense(i0, h1, 21);
      const l2 = dense(h1, h2, 22);
      const l3 = dense(h2, o, 23);
      const x = tf.tensor2d(uniform(MLP.batch * 784, 11), [MLP.batch, 784]);
      const y = oneHot(MLP.batch, (i) => (i * 7) % 10);
      const opt = tf.train.adam(1e-3);
      const f = () => {
        const a1 = tf.relu(tf.add(tf.matMul(x, l1.w), l1.b));
        const a2 = tf.relu(tf.add(tf.matMul(a1, l2.w), l2.b));
        const z = tf.add(tf.matMul(a2, l3.w), l3.b);
        return tf.losses.softmaxCrossEntropy(y, z) as import("@tensorflow/tfjs").Scalar;
      };
      let prev: import("@tensorflow/tfjs").Tensor | null = null;
      const s = await timeIt(
        () => {
          prev?.dispose();
          prev = opt.minimize(f, true);
          return prev;
        },
        finish,
        2,
        reps(20),
      );
      return 1 / s;
    },
    async cnnStep() {
      const k1 = tf.variable(tf.tensor4d(uniform(5 * 5 * 8, 31, 0.2), [5, 5, 1, 8]));
      const b1 = tf.variable(tf.zeros([8]));
      const k2 = tf.variable(tf.tensor4d(uniform(5 * 5 * 8 * 16, 32, 0.07), [5, 5, 8, 16]));
      const b2 = tf.variable(tf.zeros([16]));
      const l3 = dense(256, 10, 33);
      const x = tf.tensor4d(uniform(CNN.batch * 784, 12), [CNN.batch, 28, 28, 1]);
      const y = oneHot(CNN.batch, (i) => (i * 3) % 10);
      const opt = tf.train.adam(1e-3);
      const f = () => {
        const c1 = tf.maxPool(
          tf.relu(tf.add(tf.conv2d(x, k1, 1, "valid"), b1)) as import("@tensorflow/tfjs").Tensor4D,
          2,
          2,
          "valid",
        );
        const c2 = tf.maxPool(
          tf.relu(tf.add(tf.conv2d(c1, k2, 1, "valid"), b2)) as import("@tensorflow/tfjs").Tensor4D,
          2,
          2,
          "valid",
        );
        const z = tf.add(tf.matMul(tf.reshape(c2, [CNN.batch, 256]), l3.w), l3.b);
        return tf.losses.softmaxCrossEntropy(y, z) as import("@tensorflow/tfjs").Scalar;
      };
      let prev: import("@tensorflow/tfjs").Tensor | null = null;
      const s = await timeIt(
        () => {
          prev?.dispose();
          prev = opt.minimize(f, true);
          return prev;
        },
        finish,
        2,
        reps(8),
      );
      return 1 / s;
    },
    async add(n) {
      const a = tf.tensor1d(uniform(n, 5));
      const b = tf.tensor1d(uniform(n, 6));
      let prev: import("@tensorflow/tfjs").Tensor | null = null;
      const s = await timeIt(
        () => {
          prev?.dispose();
          prev = tf.add(a, b);
          return prev;
        },
        finish,
        3,
        reps(30),
      );
      return (s / n) * 1e9;
    },
  };
  return { side, version: tf.version.tfjs };
}

// ---------------------------------------------------------------- run

interface Figure {
  unit: string;
  higherIsBetter: boolean;
  lockstep: number | null;
  tfjs: number | null;
  /** lockstep's advantage: > 1 means lockstep is faster. */
  ratio: number | null;
}

const WORKLOADS: { name: string; unit: string; higherIsBetter: boolean; run: (s: Side) => Promise<number> }[] = [
  ...MATMUL_SIZES.map((n) => ({ name: `matmul_${n}`, unit: "GFLOP/s", higherIsBetter: true, run: (s: Side) => s.matmul(n) })),
  { name: "conv2d_8x16x32x32_k3_o32", unit: "GFLOP/s", higherIsBetter: true, run: (s) => s.conv2d() },
  { name: "mlp_train_784_256_128_10_b64_adam", unit: "steps/s", higherIsBetter: true, run: (s) => s.mlpStep() },
  { name: "cnn_train_b32_adam", unit: "steps/s", higherIsBetter: true, run: (s) => s.cnnStep() },
  { name: "add_1M", unit: "ns/element", higherIsBetter: false, run: (s) => s.add(ADD_N) },
];

async function main(): Promise<void> {
  const selected = only.length ? WORKLOADS.filter((w) => only.some((o) => w.name.startsWith(o))) : WORKLOADS;
  let ls: Side;
  let adapter: string;
  try {
    ls = await lockstepSide();
    adapter = (await initWebGPU()).description;
  } catch (e) {
    // no adapter here: a benchmark reports that instead of failing
    process.stdout.write(`${JSON.stringify({ error: `webgpu unavailable: ${(e as Error).message}` }, null, 2)}\n`);
    process.exit(0);
  }
  const tfs = process.env.LOCKSTEP_BENCH_NO_TFJS === "1" ? { error: "disabled by LOCKSTEP_BENCH_NO_TFJS=1" } : await tfjsSide();
  const figures: Record<string, Figure> = {};
  for (const w of selected) {
    log(`${w.name}: lockstep`);
    let a: number | null = null;
    try {
      a = await w.run(ls);
    } catch (e) {
      log(`  lockstep failed: ${(e as Error).message}`);
    }
    let b: number | null = null;
    if ("side" in tfs) {
      log(`${w.name}: tfjs`);
      try {
        b = await w.run(tfs.side);
      } catch (e) {
        log(`  tfjs failed: ${(e as Error).message}`);
      }
    }
    const ratio = a !== null && b !== null ? (w.higherIsBetter ? a / b : b / a) : null;
    figures[w.name] = { unit: w.unit, higherIsBetter: w.higherIsBetter, lockstep: a, tfjs: b, ratio };
    log(`  lockstep ${a?.toPrecision(4)} tfjs ${b?.toPrecision(4)} ${w.unit}; ratio ${ratio?.toFixed(2)}`);
  }
  const out = {
    adapter,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? "unknown", node: process.version },
    tfjs: "side" in tfs ? { backend: "@tensorflow/tfjs-backend-webgpu", version: tfs.version } : { error: tfs.error },
    note: "ratio = lockstep's advantage over tfjs-webgpu on the same adapter in this run (> 1: lockstep faster)",
    figures,
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  process.exit(0); // Dawn keeps the event loop alive
}

await main();
