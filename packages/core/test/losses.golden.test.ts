// Every loss golden case in test-vectors/losses (tools/golden/gen_losses.py, PyTorch 1.13.1 on CPU):
// forward value and the gradient of every argument PyTorch differentiates, float32 and float64.
//
// Bounds (each with its reason):
// - Elementwise results (reduction "none" of the kernel-backed and composed losses, and the
//   gradients of mse / smooth_l1 / huber / l1 / nll / binary_cross_entropy(_with_logits) /
//   margin_ranking / kl_div) are compared bit for bit, except where a transcendental enters
//   (exp/log/sigmoid from V8 vs PyTorch's SLEEF/glibc: a few ulp, stated per op).
// - Reduced results (mean/sum/batchmean) are sums in another order: the reference sums in a
//   pairwise tree, PyTorch in its vectorised cascade (nll_loss: an 8-level cascade of 16-element
//   runs). Both are within γ·Σ|terms| of the exact sum, so they are held to
//   |got − want| ≤ SUM_TOL · eps · Σ|terms| (terms: the unreduced loss, from reduction "none"),
//   the standard error bound of a reordered sum (ULP distance overstates it under cancellation).
// - Losses whose per-sample value is itself a sum (cross_entropy's log_softmax over classes,
//   cosine_embedding's dot products, triplet's p-norms) inherit a few ulp per element, and their
//   gradients a few ulp more (the same sums appear in the backward), stated per op below.
import { readFileSync } from "node:fs";
import type { DType, Tensor } from "@lockstep/core";
import * as torch from "@lockstep/core";
import { describe, expect, it } from "vitest";
import { camel, decodeArg, decodeStorage, type T } from "./golden/harness.js";

const F = torch.nn.functional;

interface LossCase {
  id: string;
  op: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  out: T;
  grad_out: T | null;
  grads: (T | null)[];
}

interface Entry {
  run: (a: unknown[], k: Record<string, unknown>) => Tensor;
  /** ulp bound for unreduced outputs (0 = bitwise) */
  ulp: number;
  /** ulp bound for the gradients, one per tensor argument (or one for all) */
  gradUlp: number | number[];
  /** reduced outputs: |got − want| ≤ sumTol · eps · Σ|terms| (terms: the loss with reduction "none") */
  sumTol: number;
  /** values that are differences of rounded sums or transcendentals: also |got − want| ≤ relTol · eps · max|want| */
  relTol?: number;
  reason: string;
}

const Tn = (x: unknown) => x as Tensor;
const ORDER = "mean/sum reduce in the reference's pairwise-tree order, PyTorch in its vectorised cascade";
const LIBM = "log/exp/sigmoid from V8 vs PyTorch's SLEEF/glibc (each within 1 ulp)";
const EXACT = `elementwise terms and gradients bitwise; ${ORDER}`;

const TABLE: Record<string, Entry> = {
  "nn.functional.mse_loss": { run: (a, k) => F.mseLoss(Tn(a[0]), Tn(a[1]), k), ulp: 0, gradUlp: 0, sumTol: 8, reason: EXACT },
  "nn.functional.l1_loss": { run: (a, k) => F.l1Loss(Tn(a[0]), Tn(a[1]), k), ulp: 0, gradUlp: 0, sumTol: 8, reason: EXACT },
  "nn.functional.smooth_l1_loss": {
    run: (a, k) => F.smoothL1Loss(Tn(a[0]), Tn(a[1]), k),
    ulp: 0,
    gradUlp: 0,
    sumTol: 8,
    reason: `${EXACT}; gradients follow PyTorch's vectorised lambda and, in each inner loop's tail, its scalar one`,
  },
  "nn.functional.huber_loss": {
    run: (a, k) => F.huberLoss(Tn(a[0]), Tn(a[1]), k),
    ulp: 0,
    gradUlp: 0,
    sumTol: 8,
    reason: `${EXACT}; gradients follow PyTorch's vectorised lambda and, in each inner loop's tail, its scalar one`,
  },
  "nn.functional.margin_ranking_loss": {
    run: (a, k) => F.marginRankingLoss(Tn(a[0]), Tn(a[1]), Tn(a[2]), k),
    ulp: 0,
    gradUlp: 0,
    sumTol: 8,
    reason: EXACT,
  },
  "nn.functional.nll_loss": {
    run: (a, k) => F.nllLoss(Tn(a[0]), Tn(a[1]), k),
    ulp: 0,
    gradUlp: 2,
    sumTol: 8,
    reason: `${EXACT} (nll_loss: PyTorch's 8-level cascade); the weighted mean's gradient divides by Σ w[target], summed in another order (≤ 2 ulp)`,
  },
  "nn.functional.binary_cross_entropy": {
    run: (a, k) => F.binaryCrossEntropy(Tn(a[0]), Tn(a[1]), k),
    ulp: 1,
    gradUlp: [0, 4],
    relTol: 4,
    sumTol: 8,
    reason: `${LIBM}; the input gradient (no transcendental) is bitwise; the target gradient log(1 − x) − log(x) cancels; ${ORDER}`,
  },
  "nn.functional.binary_cross_entropy_with_logits": {
    run: (a, k) => F.binaryCrossEntropyWithLogits(Tn(a[0]), Tn(a[1]), k),
    ulp: 4,
    gradUlp: 4,
    relTol: 8,
    sumTol: 8,
    reason: `${LIBM} (exp, log, sigmoid, log_sigmoid); σ(x) − y and the log-sigmoid difference cancel; ${ORDER}`,
  },
  "nn.functional.kl_div": {
    run: (a, k) => F.klDiv(Tn(a[0]), Tn(a[1]), k),
    ulp: 2,
    gradUlp: [2, 4],
    relTol: 8,
    sumTol: 8,
    reason: `${LIBM} (xlogy's log, log_target's exp); the target gradient adds log(t), t/t and −x, which cancel; ${ORDER}`,
  },
  "nn.functional.cross_entropy": {
    run: (a, k) => F.crossEntropy(Tn(a[0]), Tn(a[1]), k),
    ulp: 4,
    gradUlp: 4,
    relTol: 12,
    sumTol: 8,
    reason: `log_softmax (max, Σ exp, log over the classes) in the reference's order and libm: x − max − log Σ cancels, so bounds are relative to the largest value; ${ORDER}`,
  },
  "nn.functional.cosine_embedding_loss": {
    run: (a, k) => F.cosineEmbeddingLoss(Tn(a[0]), Tn(a[1]), Tn(a[2]), k),
    ulp: 4,
    gradUlp: 4,
    relTol: 16,
    sumTol: 8,
    reason: `dot products and squared norms are sums over the features in another order; the gradient subtracts nearly equal terms; ${ORDER}`,
  },
  "nn.functional.triplet_margin_loss": {
    run: (a, k) => F.tripletMarginLoss(Tn(a[0]), Tn(a[1]), Tn(a[2]), k),
    ulp: 4,
    gradUlp: 4,
    relTol: 32,
    sumTol: 16,
    reason: `p-norms are sums over the features in another order (and pow for p ∉ {1, 2}); the loss d(a,p) + margin − d(a,n) cancels, so its error is relative to the distances, not to the result; ${ORDER}`,
  },
};

const FILES = ["regression.json", "classification.json", "binary.json", "divergence.json", "embedding.json"];
const load = (f: string): { cases: LossCase[]; torch_version: string } =>
  JSON.parse(readFileSync(new URL(`../../../test-vectors/losses/${f}`, import.meta.url), "utf8"));

const epsOf = (d: DType): number => (d === "float64" ? 2 ** -53 : 2 ** -24);
const absSum = (t: Tensor): number => {
  let s = 0;
  for (const v of t.detach().contiguous().dataSync() as Float64Array) if (Number.isFinite(v)) s += Math.abs(v);
  return s;
};
const maxAbs = (t: T): number => {
  let m = 0;
  for (const v of decodeStorage(t) as Float64Array) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  return m;
};

const f32 = new Float32Array(1);
const u32 = new Int32Array(f32.buffer);
const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);
/** Ordinal of a float in its dtype's ordering (exact for float64 too: BigInt, not Number). */
function ordinal(dtype: DType, x: number): bigint {
  if (dtype === "float64") {
    f64[0] = x;
    const v = i64[0] as bigint;
    return v < 0n ? -(v & 0x7fffffffffffffffn) : v;
  }
  f32[0] = x;
  const v = u32[0] as number;
  return BigInt(v < 0 ? -(v & 0x7fffffff) : v);
}
/** Units in the last place between two values of a dtype; NaN equals NaN; +0 vs −0 is 1. */
export function ulps(dtype: DType, a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Number.POSITIVE_INFINITY;
  if (a === b) return Object.is(a, b) ? 0 : 1;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Number.POSITIVE_INFINITY;
  const d = ordinal(dtype, a) - ordinal(dtype, b);
  return Number(d < 0n ? -d : d);
}

/** Worst element of got vs want: its ulp distance and |diff| / (eps · max|want|). */
function worst(got: Tensor, want: T): { ulp: number; rel: number; at: number; g: number; w: number } {
  const g = got.contiguous().dataSync() as Float64Array;
  const w = decodeStorage(want) as Float64Array;
  const scale = maxAbs(want) * epsOf(want.dtype);
  const r = { ulp: 0, rel: 0, at: -1, g: 0, w: 0 };
  for (let i = 0; i < w.length; i++) {
    const u = ulps(want.dtype, g[i] as number, w[i] as number);
    const d = Math.abs((g[i] as number) - (w[i] as number));
    const rel = Number.isFinite(d) ? (scale > 0 ? d / scale : d === 0 ? 0 : Number.POSITIVE_INFINITY) : u === 0 ? 0 : Infinity;
    if (u > r.ulp) Object.assign(r, { ulp: u, at: i, g: g[i], w: w[i] });
    r.rel = Math.max(r.rel, rel);
  }
  return r;
}

/** got matches want when every element is within `ulp`, or within `absTol`, or within relTol · eps · max|want|. */
function check(what: string, got: Tensor, want: T, ulp: number, absTol: number, relTol: number): string | null {
  if (got.dtype !== want.dtype) return `${what}: dtype ${got.dtype}, expected ${want.dtype}`;
  if (got.shape.length !== want.shape.length || got.shape.some((d, i) => d !== want.shape[i]))
    return `${what}: shape [${got.shape}], expected [${want.shape}]`;
  const g = got.contiguous().dataSync() as Float64Array;
  const w = decodeStorage(want) as Float64Array;
  const tol = Math.max(absTol, relTol * epsOf(want.dtype) * maxAbs(want));
  for (let i = 0; i < w.length; i++) {
    const a = g[i] as number;
    const b = w[i] as number;
    const u = ulps(want.dtype, a, b);
    if (u <= ulp || Math.abs(a - b) <= tol) continue;
    return `${what}: element ${i}: ${a}, expected ${b} (${u} ulp > ${ulp}; |diff| ${Math.abs(a - b)} > ${tol})`;
  }
  return null;
}

/** Run one case; returns the mismatches (empty = pass). */
function runLossCase(c: LossCase, e: Entry): string[] {
  const args = c.args.map(decodeArg);
  const kw = camel(c.kwargs);
  const tensorArgs = args.filter((x): x is Tensor => x instanceof torch.Tensor);
  tensorArgs.forEach((t, i) => {
    if (c.grads[i]) t.requiresGrad_(true);
  });
  const out = e.run(args, kw);
  const bad: string[] = [];
  const reduced = kw.reduction !== "none";
  const report = process.env.LOSS_REPORT;
  let tol = 0;
  if (reduced) {
    const terms = torch.noGrad(() => e.run(args, { ...kw, reduction: "none" }));
    tol = e.sumTol * epsOf(c.out.dtype) * absSum(terms);
    if (report) {
      const d = Math.abs((out.itemSync() as number) - (decodeStorage(c.out)[0] as number));
      console.log(`STAT ${c.id} out reduced ulp=${worst(out, c.out).ulp} sumrel=${tol ? (d / (tol / e.sumTol)).toFixed(2) : 0}`);
    }
  } else if (report) {
    const r = worst(out, c.out);
    console.log(`STAT ${c.id} out none ulp=${r.ulp} rel=${r.rel.toFixed(2)}`);
  }
  const m = reduced ? check("out", out, c.out, e.ulp, tol, 0) : check("out", out, c.out, e.ulp, 0, e.relTol ?? 0);
  if (m) bad.push(m);
  if (!c.grad_out) return bad;
  const need = tensorArgs.filter((_, i) => c.grads[i]);
  const gs = torch.autograd.grad([out], need, { gradOutputs: [decodeArg(c.grad_out) as Tensor], allowUnused: true });
  let k = 0;
  tensorArgs.forEach((_, i) => {
    const want = c.grads[i];
    if (!want) return;
    const g = gs[k++];
    if (!g) {
      bad.push(`grad[${i}]: no gradient`);
      return;
    }
    if (report) {
      const r = worst(g, want);
      console.log(`STAT ${c.id} grad${i} ulp=${r.ulp} rel=${r.rel.toFixed(2)}`);
    }
    const ulp = typeof e.gradUlp === "number" ? e.gradUlp : (e.gradUlp[i] ?? 0);
    const gm = check(`grad[${i}]`, g, want, ulp, 0, e.relTol ?? 0);
    if (gm) bad.push(gm);
  });
  return bad;
}

for (const file of FILES) {
  const { cases, torch_version } = load(file);
  describe(`losses/${file} (PyTorch ${torch_version})`, () => {
    for (const c of cases) {
      const e = TABLE[c.op];
      if (!e) {
        it.skip(`${c.id} (no lockstep loss '${c.op}')`, () => {});
        continue;
      }
      it(c.id, () => {
        const bad = runLossCase(c, e).join(" | ");
        if (bad && process.env.LOSS_REPORT) console.log(`MISMATCH ${c.id}: ${bad}`);
        expect(bad).toBe("");
      });
    }
  });
}
