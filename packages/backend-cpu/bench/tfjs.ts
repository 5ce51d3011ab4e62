// The tfjs anchors of bench/cpu.ts: @tensorflow/tfjs-backend-cpu (plain JS kernels) and
// @tensorflow/tfjs-backend-wasm (XNNPACK compiled to WebAssembly) running the same workloads as
// lockstep and PyTorch, in the same process. Every workload is caught on its own: a backend or a
// kernel that cannot run is recorded with its reason, never a crash of the whole benchmark.
//
// Loading: CommonJS builds through createRequire (tfjs's ES modules use extensionless imports that
// Node's resolver rejects). The @tensorflow/tfjs bundle, not tfjs-core's Node build alone, because
// only the bundle registers the gradients that training needs (tf-core.node.js registers none); it
// shares the one tfjs-core instance with tfjs-backend-cpu and tfjs-backend-wasm (checked below).
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import {
  ELEMENTWISE,
  emptySide,
  log,
  MATMUL,
  OVERHEAD,
  type SideResult,
  SLOW_TRAIN,
  SUM,
  TRAIN,
  type TrainName,
  type TrainSpec,
  timeIt,
  uniform,
} from "./common.js";

type Tf = typeof import("@tensorflow/tfjs");
type TfWasm = typeof import("@tensorflow/tfjs-backend-wasm");
type T = import("@tensorflow/tfjs").Tensor;
type T4 = import("@tensorflow/tfjs").Tensor4D;
type T2 = import("@tensorflow/tfjs").Tensor2D;
type Scalar = import("@tensorflow/tfjs").Scalar;

export interface TfjsInfo {
  version: string;
  cpu: { backend: string; kernels: string };
  wasm: {
    backend: string;
    simd: boolean;
    binary: string;
    threads: number;
    threads_note: string;
  } | null;
}

export type TfjsBackend = "cpu" | "wasm";

const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).split("\n")[0] as string;

/** Load tfjs and start both backends; the wasm backend may fail on its own (recorded as an error). */
async function load(
  threads: number,
): Promise<{ tf: Tf; info: TfjsInfo; errors: Partial<Record<TfjsBackend, string>> } | { error: string }> {
  const require = createRequire(import.meta.url);
  let tf: Tf;
  let wasm: TfWasm;
  try {
    tf = require("@tensorflow/tfjs") as Tf;
    const core = require("@tensorflow/tfjs-core") as typeof import("@tensorflow/tfjs-core");
    require("@tensorflow/tfjs-backend-cpu");
    wasm = require("@tensorflow/tfjs-backend-wasm") as TfWasm;
    if (core.engine() !== (tf.engine() as unknown))
      return { error: "@tensorflow/tfjs and @tensorflow/tfjs-core resolved to two different tfjs-core instances" };
  } catch (e) {
    return { error: `tfjs could not be loaded: ${message(e)}` };
  }
  const errors: Partial<Record<TfjsBackend, string>> = {};
  if (!(await tf.setBackend("cpu"))) errors.cpu = "tf.setBackend('cpu') returned false";
  // The .wasm binaries sit next to the package's Node entry point (dist/tf-backend-wasm.node.js).
  const dist = dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
  wasm.setWasmPaths(`${dist}/`);
  wasm.setThreadsCount(threads); // used only by the threaded binary, which Node never gets (below)
  const simd = (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) as boolean;
  const mt = (await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT")) as boolean;
  let wasmInfo: TfjsInfo["wasm"] = null;
  try {
    if (!(await tf.setBackend("wasm"))) errors.wasm = "tf.setBackend('wasm') returned false";
    else
      wasmInfo = {
        backend: "@tensorflow/tfjs-backend-wasm",
        simd,
        binary: join(
          dist,
          mt && simd ? "tfjs-backend-wasm-threaded-simd.wasm" : simd ? "tfjs-backend-wasm-simd.wasm" : "tfjs-backend-wasm.wasm",
        ),
        threads: wasm.getThreadsCount(),
        threads_note: mt
          ? "threaded SIMD binary"
          : "single-threaded: tfjs-backend-wasm 4.22.0 hard-codes WASM_HAS_MULTITHREAD_SUPPORT=false under Node " +
            "(tensorflow/tfjs#3830); forcing the flag makes the threaded-SIMD loader start its pthread workers from blob: URLs, " +
            "which Node's worker_threads rejects (ERR_WORKER_PATH), and its emscripten glue then rethrows from process-wide handlers",
      };
  } catch (e) {
    errors.wasm = `tfjs-backend-wasm could not start: ${message(e)}`;
  }
  return {
    tf,
    errors,
    info: {
      version: tf.version.tfjs,
      cpu: { backend: "@tensorflow/tfjs-backend-cpu", kernels: "plain JavaScript, single-threaded" },
      wasm: wasmInfo,
    },
  };
}

/** One training step of the bench's MLP or CNN (NHWC, tfjs's layout), returning a dispose function too. */
function trainStep(tf: Tf, name: TrainName): { step: () => void; dispose: () => void } {
  const vars: T[] = [];
  const v = (t: T) => {
    const x = tf.variable(t);
    vars.push(x);
    return x;
  };
  // PyTorch-like init: uniform ±1/√fan_in (the figures do not depend on the values)
  const dense = (inp: number, out: number, seed: number) => ({
    w: v(tf.tensor2d(uniform(inp * out, seed, 1 / Math.sqrt(inp)), [inp, out])) as T2,
    b: v(tf.tensor1d(uniform(out, seed + 1, 1 / Math.sqrt(inp)))),
  });
  const y = tf.oneHot(
    tf.tensor1d(
      Int32Array.from({ length: 64 }, (_, i) => (i * 7) % 10),
      "int32",
    ),
    10,
  );
  let loss: () => Scalar;
  let opt: import("@tensorflow/tfjs").Optimizer;
  let x: T;
  if (name === "mlp") {
    const l1 = dense(784, 256, 1);
    const l2 = dense(256, 256, 3);
    const l3 = dense(256, 10, 5);
    x = tf.tensor2d(uniform(64 * 784, 11), [64, 784]);
    opt = tf.train.momentum(0.01, 0.9);
    loss = () => {
      const a1 = tf.relu(tf.add(tf.matMul(x as T2, l1.w), l1.b)) as T2;
      const a2 = tf.relu(tf.add(tf.matMul(a1, l2.w), l2.b)) as T2;
      return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(a2, l3.w), l3.b)) as Scalar;
    };
  } else {
    const k1 = v(tf.tensor4d(uniform(3 * 3 * 1 * 32, 21, 1 / 3), [3, 3, 1, 32])) as T4;
    const b1 = v(tf.tensor1d(uniform(32, 22, 1 / 3)));
    const k2 = v(tf.tensor4d(uniform(3 * 3 * 32 * 64, 23, 1 / Math.sqrt(288)), [3, 3, 32, 64])) as T4;
    const b2 = v(tf.tensor1d(uniform(64, 24, 1 / Math.sqrt(288))));
    const l3 = dense(64 * 7 * 7, 128, 25);
    const l4 = dense(128, 10, 27);
    x = tf.tensor4d(uniform(64 * 28 * 28, 12), [64, 28, 28, 1]);
    opt = tf.train.adam(1e-3);
    loss = () => {
      const c1 = tf.maxPool(tf.relu(tf.add(tf.conv2d(x as T4, k1, 1, "same"), b1)) as T4, 2, 2, "valid");
      const c2 = tf.maxPool(tf.relu(tf.add(tf.conv2d(c1, k2, 1, "same"), b2)) as T4, 2, 2, "valid");
      const h = tf.relu(tf.add(tf.matMul(tf.reshape(c2, [64, 64 * 7 * 7]) as T2, l3.w), l3.b)) as T2;
      return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(h, l4.w), l4.b)) as Scalar;
    };
  }
  return {
    // forward, loss, backward and the optimizer's update, then the loss read back
    step: () =>
      tf.tidy(() => {
        (opt.minimize(loss, true) as Scalar).dataSync();
      }),
    dispose: () => {
      opt.dispose();
      tf.dispose([...vars, x, y]);
    },
  };
}

/** Run the workloads `want` selects on tfjs's current backend, filling `r`. */
function runSide(tf: Tf, want: (name: string) => boolean, runVerySlow: boolean, r: SideResult): void {
  const slow = tf.getBackend() === "cpu";
  const attempt = (key: string, f: () => void) => {
    try {
      tf.engine().startScope();
      f();
    } catch (e) {
      r.skipped[key] = message(e);
      log(`  tfjs-${tf.getBackend()} ${key} failed: ${r.skipped[key]}`);
    } finally {
      tf.engine().endScope();
    }
  };
  if (want("matmul"))
    for (const m of MATMUL) {
      if (slow && !m.tfjsCpu) {
        r.matmul[m.n] = null;
        r.skipped[`matmul_${m.n}`] = "tfjs-backend-cpu's JS matmul (~1 GFLOP/s) would take ~15 s per 2048³ call";
        continue;
      }
      log(`matmul ${m.n}: tfjs-${tf.getBackend()}`);
      r.matmul[m.n] = null;
      attempt(`matmul_${m.n}`, () => {
        const a = tf.tensor2d(uniform(m.n * m.n, 1), [m.n, m.n]);
        const b = tf.tensor2d(uniform(m.n * m.n, 2), [m.n, m.n]);
        const [warmup, reps] = slow && m.n >= 1024 ? [0, 1] : slow ? [1, 3] : [m.warmup, m.reps];
        const t = timeIt(
          () => {
            const c = tf.matMul(a, b);
            c.dataSync();
            c.dispose();
          },
          warmup,
          reps,
        );
        r.matmul[m.n] = (2 * m.n ** 3) / t / 1e9;
      });
    }
  for (const spec of TRAIN) {
    if (!want(spec.name)) continue;
    r.train[spec.name] = null;
    if (slow && spec.name === "cnn" && !runVerySlow) {
      r.skipped.cnn =
        "tfjs-backend-cpu takes ~70 s per CNN step here (measured 0.0139 steps/s on 2 cores); run with --slow to include it";
      continue;
    }
    log(`${spec.name} training: tfjs-${tf.getBackend()}`);
    const s: TrainSpec = slow ? (spec.name === "cnn" ? { ...SLOW_TRAIN.cnn, warmup: 0, steps: 1 } : SLOW_TRAIN[spec.name]) : spec;
    attempt(spec.name, () => {
      const { step, dispose } = trainStep(tf, spec.name);
      try {
        const t = timeIt(
          () => {
            for (let i = 0; i < s.steps; i++) step();
          },
          s.warmup,
          s.reps,
        );
        r.train[spec.name] = s.steps / t;
      } finally {
        dispose();
      }
    });
  }
  if (want("elementwise"))
    for (const e of ELEMENTWISE) {
      log(`${e.op} ${e.n}: tfjs-${tf.getBackend()}`);
      r.elementwise[e.op] = null;
      attempt(e.op, () => {
        const a = tf.tensor1d(uniform(e.n, 1));
        const b = tf.tensor1d(uniform(e.n, 2));
        const op = e.op === "add" ? () => tf.add(a, b) : () => tf.exp(a);
        const t = timeIt(() => op().dispose(), e.warmup, e.reps);
        r.elementwise[e.op] = (t / e.n) * 1e9;
      });
    }
  if (want("sum")) {
    log(`sum ${SUM.n}: tfjs-${tf.getBackend()}`);
    attempt("sum", () => {
      const a = tf.tensor1d(uniform(SUM.n, 3));
      const t = timeIt(
        () => {
          const s = tf.sum(a);
          s.dataSync();
          s.dispose();
        },
        SUM.warmup,
        SUM.reps,
      );
      r.sum = (t / SUM.n) * 1e9;
    });
  }
  if (want("overhead")) {
    log(`per-op overhead: tfjs-${tf.getBackend()}`);
    attempt("overhead", () => {
      const a = tf.tensor1d([1, 2, 3, 4]);
      const b = tf.tensor1d([5, 6, 7, 8]);
      const t = timeIt(
        () => {
          for (let i = 0; i < OVERHEAD.ops; i++) tf.add(a, b).dispose();
        },
        OVERHEAD.warmup,
        OVERHEAD.reps,
      );
      r.overhead_us = (t / OVERHEAD.ops) * 1e6;
    });
  }
}

export interface Tfjs {
  info: TfjsInfo;
  /** Each backend's figures so far, or why it cannot run. */
  sides: Record<TfjsBackend, SideResult | { error: string }>;
  /** Run one workload (bench/cpu.ts's names) on both backends. */
  run(workload: string): Promise<void>;
}

/** Load tfjs and start both backends; `{ error }` when tfjs itself cannot load (a backend that cannot start is a side's error). */
export async function startTfjs(threads: number, runVerySlow = false): Promise<Tfjs | { error: string }> {
  const loaded = await load(threads);
  if ("error" in loaded) return loaded;
  const { tf, info, errors } = loaded;
  const sides = {} as Tfjs["sides"];
  for (const backend of ["cpu", "wasm"] as const) {
    const err = errors[backend];
    if (err) log(`no tfjs-${backend}: ${err}`);
    sides[backend] = err ? { error: err } : emptySide();
  }
  // wasm first: it is the anchor the targets use, timed closest to lockstep's figures
  const order = ["wasm", "cpu"] as const;
  return {
    info,
    sides,
    async run(workload) {
      for (const backend of order) {
        const side = sides[backend];
        if ("error" in side) continue;
        try {
          if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') returned false`);
          runSide(tf, (name) => name === workload, runVerySlow, side);
        } catch (e) {
          side.skipped[workload] = message(e);
        }
      }
    },
  };
}
