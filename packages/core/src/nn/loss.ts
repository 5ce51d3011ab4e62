// torch.nn.functional losses, computed the way PyTorch 1.13's CPU implementation computes them:
// the same composition of ops where PyTorch composes (l1, kl_div, cross_entropy's label smoothing
// and probability targets, triplet/cosine/margin-ranking), and the ATen kernels' own formulas,
// evaluation order and explicit backward where PyTorch has a dedicated kernel (mse, smooth_l1,
// huber, nll, binary_cross_entropy, binary_cross_entropy_with_logits).
//
// What still differs from PyTorch: reductions (`mean`/`sum`, and the class/feature sums inside
// cross_entropy, cosine_embedding and triplet) use the reference's pairwise-tree order instead of
// PyTorch's vectorised cascade (nll_loss: its 8-level cascade), so reduced values agree within a
// few ulp of the summed magnitudes; everything elementwise (loss terms with reduction "none", and
// the gradients of the kernel-backed losses) is computed operation for operation.

import { autocastActive, autocastOp } from "../amp/autocast.js";
import { attachGrad, noGrad } from "../autograd/graph.js";
import { type DType, isFloating } from "../dtype.js";
import { DTypeError, fmtShape, IndexError, ShapeError, ValueError } from "../errors.js";
import { resultDtype } from "../ops/core.js";
import { arange, zerosLike } from "../ops/creation.js";
import {
  abs,
  add,
  clamp,
  div,
  eq,
  exp,
  ge,
  gt,
  isnan,
  log,
  logicalNot,
  logicalOr,
  minimum,
  mul,
  ne,
  neg,
  pow,
  remainder,
  sigmoid,
  sign,
  sqrt,
  sub,
  where,
} from "../ops/elementwise.js";
import { gather, indexSelect, scatter } from "../ops/indexing.js";
import { amax, logSoftmax, mean, sum } from "../ops/reduce.js";
import { broadcastTensors, expand, reshape, squeeze, unsqueeze } from "../ops/views.js";
import { Tensor } from "../tensor.js";

export type Reduction = "none" | "mean" | "sum";

// ---------------------------------------------------------------- helpers

/** PyTorch's scalar type names, for messages that quote PyTorch's. */
const TORCH_NAME: Record<DType, string> = {
  float32: "Float",
  float64: "Double",
  float16: "Half",
  bfloat16: "BFloat16",
  int32: "Int",
  int64: "Long",
  uint8: "Byte",
  bool: "Bool",
};
const torchSize = (s: readonly number[]): string => `torch.Size([${s.join(", ")}])`;
const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

function checkTensor(op: string, x: unknown, name: string): asserts x is Tensor {
  if (!(x instanceof Tensor))
    throw new DTypeError(op, `argument '${name}' must be a Tensor, got ${x === null ? "null" : typeof x}`);
}

function reductionOf(op: string, r: unknown, allowed: readonly string[] = ["none", "mean", "sum"]): string {
  if (r === undefined) return "mean";
  if (typeof r !== "string" || !allowed.includes(r))
    throw new ValueError(op, `${String(r)} is not a valid value for reduction (expected one of ${allowed.join(", ")})`);
  return r;
}

/** apply_loss_reduction: mean (a sum, then a division by the element count, as PyTorch's CPU mean), sum, or none. */
function reduce(t: Tensor, reduction: string): Tensor {
  if (reduction === "mean") return mean(t);
  if (reduction === "sum") return sum(t);
  return t;
}

function requireFloat(op: string, t: Tensor, what = "input"): void {
  if (!isFloating(t.dtype))
    throw new DTypeError(
      op,
      `expected a floating point ${what}, got ${t.dtype} (shape ${fmtShape(t.shape)}); "${op}_cpu" is not implemented for '${TORCH_NAME[t.dtype]}'`,
    );
}

/** The two operands of a pointwise loss: promoted to their common floating dtype and broadcast (as F.*_loss's broadcast_tensors). */
function pointwisePair(op: string, input: Tensor, target: Tensor): [Tensor, Tensor] {
  checkTensor(op, input, "input");
  checkTensor(op, target, "target");
  const d = resultDtype([input, target]);
  if (!isFloating(d))
    throw new DTypeError(
      op,
      `expected floating point input and target, got ${input.dtype} and ${target.dtype}; "${op}_cpu" is not implemented for '${TORCH_NAME[d]}'`,
    );
  const a = input.dtype === d ? input : input.to(d);
  const b = target.dtype === d ? target : target.to(d);
  if (sameShape(a.shape, b.shape)) return [a, b];
  const [ea, eb] = broadcastTensors(a, b);
  return [ea as Tensor, eb as Tensor];
}

/**
 * Which elements PyTorch's x86 (AVX2) CPU kernels compute with their scalar lambda instead of the
 * vectorised one, for kernels whose two lambdas round differently. TensorIterator coalesces the
 * operands' dims into an inner loop; it is vectorised when every operand is contiguous along it
 * (or one input is a broadcast scalar), in steps of two 32-byte vectors, and the last
 * `n mod step` elements of each inner loop run the scalar lambda. Returns null when no element
 * does. (Single-threaded PyTorch; above 32768 elements a multi-threaded PyTorch splits the loop at
 * thread boundaries, which moves the tails.)
 */
function scalarTailMask(shape: readonly number[], strides: (readonly number[])[], dtype: DType, device: string): Tensor | null {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n === 0) return null;
  const step = dtype === "float64" ? 8 : 16;
  // TensorIterator order: innermost first. The output is contiguous, so dims keep their order.
  const dims = shape.map((_, i) => shape.length - 1 - i);
  const out = contiguousStrides(shape);
  const all = [out, ...strides];
  let inner = 1;
  let innerStrides: number[] | null = null;
  for (const d of dims) {
    const size = shape[d] as number;
    if (innerStrides === null) {
      inner = size;
      innerStrides = all.map((s) => s[d] as number);
      continue;
    }
    if (size === 1) continue;
    if (inner === 1) {
      inner = size;
      innerStrides = all.map((s) => s[d] as number);
      continue;
    }
    const ok = all.every((s, k) => (innerStrides as number[])[k as number] * inner === s[d]);
    if (!ok) break;
    inner *= size;
  }
  const st = innerStrides ?? all.map(() => 1);
  const contiguous = st.every((s) => s === 1);
  const zeroInputs = st.slice(1).filter((s) => s === 0).length;
  const oneScalar = st[0] === 1 && zeroInputs === 1 && st.slice(1).every((s) => s === 1 || s === 0);
  const vecEnd = contiguous || oneScalar ? inner - (inner % step) : 0;
  if (vecEnd === inner) return null;
  const index = arange(n, { dtype: n < 2 ** 31 ? "int32" : "int64", device });
  return noGrad(() => reshape(ge(remainder(index, inner), vecEnd), [...shape]));
}
function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= Math.max(shape[i] as number, 1);
  }
  return s;
}

/** The strides an operand presents to a kernel over `shape` (stride 0 on broadcast dims). */
const stridesOf = (t: Tensor, shape: readonly number[]): number[] => {
  const lead = shape.length - t.ndim;
  return shape.map((n, i) => (i < lead || (t.shape[i - lead] === 1 && n !== 1) ? 0 : (t.strides[i - lead] as number)));
};

// ---------------------------------------------------------------- regression losses

export interface ReductionOptions {
  reduction?: Reduction;
}

/** F.mse_loss: mean/sum/none of (input − target)², with PyTorch's mse_loss_backward. */
export function mseLoss(input: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  if (autocastActive()) return autocastOp("mse_loss", mseLoss, input, target, opts);
  const op = "mse_loss";
  const red = reductionOf(op, opts.reduction);
  const [a, b] = pointwisePair(op, input, target);
  const y = noGrad(() => {
    const d = sub(a, b);
    return reduce(mul(d, d), red);
  });
  const n = a.numel();
  const needA = a.requiresGrad;
  const needB = b.requiresGrad;
  attachGrad("MseLossBackward0", [a, b], [y], [a, b], ([g], [sa, sb]) => {
    // mse_backward kernel: norm · (x − y) · grad, norm = 2/numel (mean) or 2, in the input dtype.
    const norm = red === "mean" ? 2 / n : 2;
    const gg = g as Tensor;
    return [
      needA ? mul(mul(sub(sa as Tensor, sb as Tensor), norm), gg) : null,
      needB ? mul(mul(sub(sb as Tensor, sa as Tensor), norm), gg) : null,
    ];
  });
  return y;
}

/** F.l1_loss: mean/sum/none of |input − target| (PyTorch 1.13 composes it, and so does this). */
export function l1Loss(input: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  if (autocastActive()) return autocastOp("l1_loss", l1Loss, input, target, opts);
  const op = "l1_loss";
  const red = reductionOf(op, opts.reduction);
  const [a, b] = pointwisePair(op, input, target);
  return reduce(abs(sub(a, b)), red);
}

/** F.smooth_l1_loss: ½z²/β below β, z − ½β above (z = |input − target|); β = 0 is l1_loss. */
export function smoothL1Loss(input: Tensor, target: Tensor, opts: ReductionOptions & { beta?: number } = {}): Tensor {
  if (autocastActive()) return autocastOp("smooth_l1_loss", smoothL1Loss, input, target, opts);
  const op = "smooth_l1_loss";
  const red = reductionOf(op, opts.reduction);
  const beta = opts.beta ?? 1;
  if (!(beta >= 0)) throw new ValueError(op, `smooth_l1_loss does not support negative values for beta (got ${beta}).`);
  const [a, b] = pointwisePair(op, input, target);
  if (beta === 0) return smoothL1BetaZero(a, b, red);
  const d = a.dtype;
  const betaD = d === "float32" ? Math.fround(beta) : beta; // scalar_t(beta)
  const y = noGrad(() => {
    const z = abs(sub(a, b));
    // z < β ? 0.5·z·z/β : z − 0.5·β  (left to right, each operation rounded)
    return reduce(where(gt(betaD, z), div(mul(mul(z, 0.5), z), betaD), sub(z, 0.5 * betaD)), red);
  });
  const n = a.numel();
  const needA = a.requiresGrad;
  const needB = b.requiresGrad;
  attachGrad("SmoothL1LossBackward0", [a, b], [y], [a, b], ([g], [sa, sb]) => {
    const norm = red === "mean" ? 1 / n : 1;
    const gg = g as Tensor;
    const shape = a.shape;
    const gradOf = (x: Tensor): Tensor => {
      // vectorised lambda: norm · (|x| ≥ β ? ±1 : x/β) · grad; scalar lambda (tails): norm·x·grad/β
      const pm = where(gt(x, 0), 1, -1).to(d);
      const inner = where(ge(abs(x), betaD), pm, div(x, betaD));
      const vec = mul(mul(inner, norm), gg);
      if (betaD === 1) return vec; // both lambdas agree
      const tail = scalarTailMask(
        shape,
        [stridesOf(sa as Tensor, shape), stridesOf(sb as Tensor, shape), stridesOf(gg, shape)],
        d,
        a.device,
      );
      if (!tail) return vec;
      const sca = where(ge(abs(x), betaD), mul(mul(pm, norm), gg), div(mul(mul(x, norm), gg), betaD));
      return where(tail, sca, vec);
    };
    return [needA ? gradOf(sub(sa as Tensor, sb as Tensor)) : null, needB ? gradOf(sub(sb as Tensor, sa as Tensor)) : null];
  });
  return y;
}

/**
 * smooth_l1_loss with β = 0: l1_loss's value, and PyTorch's l1 backward kernel, which gives
 * x > 0 ? norm·grad : −norm·grad (so −norm·grad where input == target, unlike l1_loss's 0).
 */
function smoothL1BetaZero(a: Tensor, b: Tensor, red: string): Tensor {
  const y = noGrad(() => reduce(abs(sub(a, b)), red));
  const n = a.numel();
  const needA = a.requiresGrad;
  const needB = b.requiresGrad;
  attachGrad("SmoothL1LossBackward0", [a, b], [y], [a, b], ([g], [sa, sb]) => {
    const yv = mul(g as Tensor, red === "mean" ? 1 / n : 1);
    const gradOf = (x: Tensor): Tensor => where(gt(x, 0), yv, neg(yv));
    return [needA ? gradOf(sub(sa as Tensor, sb as Tensor)) : null, needB ? gradOf(sub(sb as Tensor, sa as Tensor)) : null];
  });
  return y;
}

/** F.huber_loss: ½z² below δ, δ·(z − ½δ) above (z = |input − target|). */
export function huberLoss(input: Tensor, target: Tensor, opts: ReductionOptions & { delta?: number } = {}): Tensor {
  if (autocastActive()) return autocastOp("huber_loss", huberLoss, input, target, opts);
  const op = "huber_loss";
  const red = reductionOf(op, opts.reduction);
  const delta = opts.delta ?? 1;
  if (!(delta > 0)) throw new ValueError(op, `huber_loss does not support non-positive values for delta (got ${delta}).`);
  const [a, b] = pointwisePair(op, input, target);
  const d = a.dtype;
  const dl = d === "float32" ? Math.fround(delta) : delta;
  const y = noGrad(() => {
    const z = abs(sub(a, b));
    return reduce(where(gt(dl, z), mul(mul(z, 0.5), z), mul(sub(z, 0.5 * dl), dl)), red);
  });
  const n = a.numel();
  const needA = a.requiresGrad;
  const needB = b.requiresGrad;
  attachGrad("HuberLossBackward0", [a, b], [y], [a, b], ([g], [sa, sb]) => {
    const norm = red === "mean" ? 1 / n : 1;
    const gg = g as Tensor;
    const shape = a.shape;
    const gradOf = (x: Tensor): Tensor => {
      // vectorised lambda: norm · (|x| ≥ δ ? ±δ : x) · grad; scalar lambda (tails): norm·grad·δ (±), norm·x·grad
      const pm = where(gt(x, 0), 1, -1).to(d);
      const big = ge(abs(x), dl);
      const vec = mul(mul(where(big, mul(pm, dl), x), norm), gg);
      if (norm === 1) return vec; // both lambdas agree
      const tail = scalarTailMask(
        shape,
        [stridesOf(sa as Tensor, shape), stridesOf(sb as Tensor, shape), stridesOf(gg, shape)],
        d,
        a.device,
      );
      if (!tail) return vec;
      const sca = where(big, mul(mul(mul(pm, norm), gg), dl), mul(mul(x, norm), gg));
      return where(tail, sca, vec);
    };
    return [needA ? gradOf(sub(sa as Tensor, sb as Tensor)) : null, needB ? gradOf(sub(sb as Tensor, sa as Tensor)) : null];
  });
  return y;
}

// ---------------------------------------------------------------- classification losses

export interface NLLOptions extends ReductionOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
}
export interface CrossEntropyOptions extends NLLOptions {
  labelSmoothing?: number;
}

/** Validate nll_loss's operands (PyTorch's checks and messages) and read its class layout. */
function nllChecks(op: string, input: Tensor, target: Tensor, weight: Tensor | null | undefined): void {
  checkTensor(op, input, "input");
  checkTensor(op, target, "target");
  requireFloat(op, input);
  if (target.dtype !== "int64" && target.dtype !== "uint8")
    throw new DTypeError(op, `expected scalar type Long but found ${TORCH_NAME[target.dtype]} (target dtype ${target.dtype})`);
  if (input.ndim < 1) throw new ShapeError(op, `Expected 1 or more dimensions (got ${input.ndim})`);
  if (input.ndim === 1) {
    if (target.ndim !== 0)
      throw new ShapeError(op, `size mismatch (got input: ${fmtShape(input.shape)}, target: ${fmtShape(target.shape)})`);
  } else {
    if (target.ndim === 0 || target.shape[0] !== input.shape[0])
      throw new ShapeError(
        op,
        `Expected input batch_size (${input.shape[0]}) to match target batch_size (${target.ndim === 0 ? 1 : target.shape[0]}).`,
      );
    if (input.ndim === 2 && target.ndim !== 1)
      throw new ShapeError(op, "0D or 1D target tensor expected, multi-target not supported");
    if (input.ndim > 2) {
      const want = [input.shape[0] as number, ...input.shape.slice(2)];
      if (!sameShape(want, target.shape))
        throw new ShapeError(op, `Expected target size ${fmtShape(want)}, got ${fmtShape(target.shape)}`);
    }
  }
  const C = input.shape[input.ndim === 1 ? 0 : 1] as number;
  if (weight !== undefined && weight !== null) {
    checkTensor(op, weight, "weight");
    if (weight.ndim !== 1 || weight.numel() !== C)
      throw new ShapeError(
        op,
        `weight tensor should be defined either for all ${C} classes or no classes but got weight tensor of shape: ${fmtShape(weight.shape)}`,
      );
  }
}

/** Class indices must lie in [0, C) unless ignored (checked where values can be read at once: the reference). */
function checkTargets(op: string, target: Tensor, C: number, ignoreIndex: number): void {
  if (!target._storage.backend.readSync || target.numel() === 0) return;
  for (const raw of target.contiguous().dataSync()) {
    const v = Number(raw);
    if (v === ignoreIndex) continue;
    if (v < 0 || v >= C) throw new IndexError(op, `Target ${v} is out of bounds. (classes: ${C}, ignore_index: ${ignoreIndex})`);
  }
}

/** F.nll_loss: the negated (weighted) input at each target class; PyTorch's nll_loss(_2d) forward and backward. */
export function nllLoss(input: Tensor, target: Tensor, opts: NLLOptions = {}): Tensor {
  if (autocastActive()) return autocastOp("nll_loss", nllLoss, input, target, opts);
  const op = "nll_loss";
  const red = reductionOf(op, opts.reduction);
  const weight = opts.weight ?? null;
  const ignoreIndex = opts.ignoreIndex ?? -100;
  nllChecks(op, input, target, weight);
  const classDim = input.ndim === 1 ? 0 : 1;
  const C = input.shape[classDim] as number;
  checkTargets(op, target, C, ignoreIndex);
  const dt = input.dtype;
  // Everything about the targets is constant: valid mask, safe indices, per-element class weights.
  const { valid, index, w, picked } = noGrad(() => {
    const tgt = target.dtype === "int64" ? target : target.to("int64");
    const valid = ne(tgt, ignoreIndex);
    const safe = where(valid, tgt, 0);
    const index = input.ndim === 1 ? reshape(safe, [1]) : unsqueeze(safe, 1);
    const w = weight ? reshape(indexSelect(weight.to(dt), 0, reshape(safe, [-1])), [...safe.shape]) : null;
    const picked = input.ndim === 1 ? reshape(gather(input, 0, index), []) : squeeze(gather(input, 1, index), 1);
    return { valid, index, w, picked };
  });
  const totalWeight = red === "mean" ? noGrad(() => (w ? sum(where(valid, w, 0)) : sum(valid.to(dt)))) : null;
  const y = noGrad(() => {
    // none: −x[t]·w[t] (0 where ignored); sum/mean: Σ −(x[t]·w[t]), mean divided by Σ w[t] over the non-ignored.
    const terms = where(valid, w ? mul(neg(picked), w) : neg(picked), 0);
    if (red === "none") return terms;
    const total = sum(terms);
    return totalWeight ? div(total, totalWeight) : total;
  });
  attachGrad("NllLossBackward0", [input], [y], totalWeight ? [totalWeight] : [], ([g], saved) => {
    const gg = g as Tensor;
    let vals: Tensor;
    if (red === "none" && input.ndim > 1) {
      vals = w ? mul(neg(w), gg) : neg(gg); // −w·grad_output[i]
    } else {
      const grad = red === "mean" ? neg(div(gg, saved[0] as Tensor)) : neg(gg); // −(grad / total_weight)
      vals = w ? mul(w, grad) : expand(grad, [...valid.shape]);
    }
    vals = where(valid, vals, 0);
    const zeros = zerosLike(input, { dtype: gg.dtype });
    return [input.ndim === 1 ? scatter(zeros, 0, index, reshape(vals, [1])) : scatter(zeros, 1, index, unsqueeze(vals, 1))];
  });
  return y;
}

/** F.cross_entropy: log_softmax over the class dim, then nll_loss; label smoothing and probability targets as PyTorch 1.13. */
export function crossEntropy(input: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  if (autocastActive()) return autocastOp("cross_entropy_loss", crossEntropy, input, target, opts);
  const op = "cross_entropy";
  checkTensor(op, input, "input");
  checkTensor(op, target, "target");
  const red = reductionOf(op, opts.reduction);
  const weight = opts.weight ?? null;
  const ignoreIndex = opts.ignoreIndex ?? -100;
  const ls = opts.labelSmoothing ?? 0;
  requireFloat(op, input);
  if (input.ndim < 1) throw new ShapeError(op, `Expected 1 or more dimensions (got ${input.ndim})`);
  const classDim = input.ndim === 1 ? 0 : 1;
  const C = input.shape[classDim] as number;
  if (ls > 1) throw new ValueError(op, `label_smoothing must be between 0.0 and 1.0. Got: ${ls}`);
  if (sameShape(input.shape, target.shape)) {
    // Probability targets.
    if (!isFloating(target.dtype))
      throw new DTypeError(
        op,
        `Expected floating point type for target with class probabilities, got ${TORCH_NAME[target.dtype]}`,
      );
    if (ignoreIndex >= 0) throw new ValueError(op, "ignore_index is not supported for floating point target");
    if (weight && (weight.ndim !== 1 || weight.numel() !== C))
      throw new ShapeError(
        op,
        `cross_entropy: weight tensor should be defined either for all ${C} classes or no classes but got weight tensor of shape: ${fmtShape(weight.shape)}`,
      );
    const logp = logSoftmax(input, classDim);
    const t = ls > 0 ? add(mul(target, 1 - ls), ls / C) : target;
    let prod = mul(logp, t);
    if (weight) prod = mul(prod, classView(weight, input.ndim, classDim));
    if (red === "none") return neg(sum(prod, classDim));
    if (red === "sum") return neg(sum(prod));
    return div(neg(sum(prod)), input.numel() / C);
  }
  if (ls > 0) {
    nllChecks(op, input, target, weight);
    const logp = logSoftmax(input, classDim);
    const nll = nllLoss(logp, target, { weight, ignoreIndex, reduction: red as Reduction });
    let smooth = weight ? neg(sum(mul(logp, classView(weight, input.ndim, classDim)), classDim)) : neg(sum(logp, classDim));
    const { ignored, denom } = noGrad(() => {
      const tgt = target.dtype === "int64" ? target : target.to("int64");
      const ignored = eq(tgt, ignoreIndex);
      const kept = logicalNot(ignored);
      let denom: Tensor | null = null;
      if (red === "mean") {
        if (weight) {
          const safe = where(kept, tgt, 0);
          const tw = reshape(indexSelect(weight.to(input.dtype), 0, reshape(safe, [-1])), [...safe.shape]);
          denom = sum(where(kept, tw, 0));
        } else denom = sum(kept.to(input.dtype));
      }
      return { ignored, denom };
    });
    smooth = where(ignored, 0, smooth);
    const ret = red === "mean" ? div(sum(smooth), denom as Tensor) : red === "sum" ? sum(smooth) : smooth;
    return add(mul(nll, 1 - ls), mul(ret, ls / C));
  }
  return nllLoss(logSoftmax(input, classDim), target, { weight, ignoreIndex, reduction: red as Reduction });
}

/** A class-weight vector viewed to broadcast along the class dim ([1, C, 1, ...]). */
function classView(weight: Tensor, ndim: number, classDim: number): Tensor {
  if (ndim <= 1) return weight;
  const shape = new Array<number>(ndim).fill(1);
  shape[classDim] = weight.numel();
  return reshape(weight, shape);
}

// ---------------------------------------------------------------- binary losses

/** ATen's Loss.cpp EPSILON is a C++ float (1e-12f), also when used with doubles. */
const EPS12 = Math.fround(1e-12);

/** F.binary_cross_entropy: −w·(y·max(log x, −100) + (1 − y)·max(log(1 − x), −100)), with PyTorch's own gradient. */
export function binaryCrossEntropy(
  input: Tensor,
  target: Tensor,
  opts: ReductionOptions & { weight?: Tensor | null } = {},
): Tensor {
  if (autocastActive()) return autocastOp("binary_cross_entropy", binaryCrossEntropy, input, target, opts);
  const op = "binary_cross_entropy";
  checkTensor(op, input, "input");
  checkTensor(op, target, "target");
  const red = reductionOf(op, opts.reduction);
  if (!sameShape(input.shape, target.shape))
    throw new ShapeError(
      op,
      `Using a target size (${torchSize(target.shape)}) that is different to the input size (${torchSize(input.shape)}) is deprecated. Please ensure they have the same size.`,
    );
  requireFloat(op, input);
  if (target.dtype !== input.dtype)
    throw new DTypeError(op, `expected target of dtype ${input.dtype} (the input's), got ${target.dtype}`);
  let weight = opts.weight ?? null;
  if (weight) {
    checkTensor(op, weight, "weight");
    weight = expand(weight, [...target.shape]);
  }
  // PyTorch's CPU kernel checks the range of every input element.
  if (input._storage.backend.readSync && input.numel() > 0) {
    for (const v of input.contiguous().dataSync() as Float32Array)
      if (!(v >= 0 && v <= 1)) throw new ValueError(op, `all elements of input should be between 0 and 1 (found ${v})`);
  }
  const w = weight;
  const y = noGrad(() => {
    // (y − 1)·max(log(1 − x), −100) − y·max(log(x), −100)
    const l = sub(mul(sub(target, 1), clamp(log(sub(1, input)), -100)), mul(target, clamp(log(input), -100)));
    return reduce(w ? mul(l, w) : l, red);
  });
  const n = input.numel();
  const needX = input.requiresGrad;
  const needY = target.requiresGrad;
  attachGrad("BinaryCrossEntropyBackward0", [input, target], [y], w ? [input, target, w] : [input, target], ([g], s) => {
    const gg = g as Tensor;
    const x = s[0] as Tensor;
    const t = s[1] as Tensor;
    const ws = w ? (s[2] as Tensor) : null;
    const finish = (r: Tensor): Tensor => {
      const rw = ws ? mul(r, ws) : r;
      return red === "mean" ? div(rw, n) : rw;
    };
    return [
      // grad·(x − y) / max((1 − x)·x, 1e-12f), then ·w, then /numel
      needX ? finish(div(mul(gg, sub(x, t)), clamp(mul(sub(1, x), x), EPS12))) : null,
      // binary_cross_entropy_target_backward: (log(1 − x) − log(x))·grad, then ·w, then /numel
      needY ? finish(mul(sub(log(sub(1, x)), log(x)), gg)) : null,
    ];
  });
  return y;
}

/**
 * F.binary_cross_entropy_with_logits, with PyTorch 1.13's numerically stable formula:
 * m = max(−x, 0); ℓ = (1 − y)·x + m + log(e^−m + e^(−x−m)), the log term scaled by
 * 1 + (pos_weight − 1)·y when pos_weight is given.
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  opts: ReductionOptions & { weight?: Tensor | null; posWeight?: Tensor | null } = {},
): Tensor {
  if (autocastActive()) return autocastOp("binary_cross_entropy_with_logits", binaryCrossEntropyWithLogits, input, target, opts);
  const op = "binary_cross_entropy_with_logits";
  checkTensor(op, input, "input");
  checkTensor(op, target, "target");
  const red = reductionOf(op, opts.reduction);
  if (!sameShape(input.shape, target.shape))
    throw new ShapeError(
      op,
      `Target size (${torchSize(target.shape)}) must be the same as input size (${torchSize(input.shape)})`,
    );
  requireFloat(op, input);
  const w = opts.weight ?? null;
  const pw = opts.posWeight ?? null;
  const y = noGrad(() => {
    const maxVal = clamp(neg(input), 0);
    const logTerm = log(add(exp(neg(maxVal)), exp(sub(neg(input), maxVal))));
    let l: Tensor;
    if (pw) {
      const logWeight = add(mul(sub(pw, 1), target), 1);
      l = add(mul(sub(1, target), input), mul(logWeight, add(logTerm, maxVal)));
    } else {
      l = add(add(mul(sub(1, target), input), maxVal), logTerm);
    }
    if (w) l = mul(l, w);
    return reduce(l, red);
  });
  const n = input.numel();
  const needX = input.requiresGrad;
  const needY = target.requiresGrad;
  const saved = [input, target, ...(w ? [w] : []), ...(pw ? [pw] : [])];
  attachGrad("BinaryCrossEntropyWithLogitsBackward0", [input, target], [y], saved, ([g], s) => {
    const gg = g as Tensor;
    const x = s[0] as Tensor;
    const t = s[1] as Tensor;
    const ws = w ? (s[2] as Tensor) : null;
    const pws = pw ? (s[w ? 3 : 2] as Tensor) : null;
    const finish = (r: Tensor): Tensor => {
      const rw = ws ? mul(r, ws) : r;
      return red === "mean" ? div(rw, n) : rw;
    };
    let gx: Tensor | null = null;
    let gt: Tensor | null = null;
    if (needX) {
      if (pws) {
        const tp = mul(pws, t);
        gx = mul(sub(mul(sub(add(tp, 1), t), sigmoid(x)), tp), gg); // ((pw·y + 1 − y)·σ(x) − pw·y)·grad
      } else gx = mul(sub(sigmoid(x), t), gg);
      gx = finish(gx);
    }
    if (needY) {
      // log_sigmoid(−x) − log_sigmoid(x)·pos_weight; without pos_weight: −x
      gt = pws ? mul(sub(logSigmoid(neg(x)), mul(logSigmoid(x), pws)), gg) : mul(neg(x), gg);
      gt = finish(gt);
    }
    return [gx, gt];
  });
  return y;
}

/** log σ(x) = min(x, 0) − log1p(e^−|x|), written with ops (used by a gradient). */
function logSigmoid(x: Tensor): Tensor {
  const m = clamp(neg(x), 0);
  return neg(add(m, log(add(exp(neg(m)), exp(sub(neg(x), m))))));
}

// ---------------------------------------------------------------- divergences

/** xlogy(x, y) = 0 where x == 0 (unless y is NaN), else x·log(y); PyTorch's gradients. */
function xlogy(x: Tensor, y: Tensor): Tensor {
  const out = noGrad(() => where(isnan(y), Number.NaN, where(eq(x, 0), 0, mul(x, log(y)))));
  const needX = x.requiresGrad;
  const needY = y.requiresGrad;
  attachGrad("XlogyBackward0", [x, y], [out], [x, y], ([g], [sx, sy]) => [
    needX ? mul(g as Tensor, xlogy(ne(sx as Tensor, 0).to((sx as Tensor).dtype), sy as Tensor)) : null,
    needY ? div(mul(g as Tensor, sx as Tensor), sy as Tensor) : null,
  ]);
  return out;
}

/** F.kl_div(input, target): input holds log-probabilities; reduction "mean" divides by the element count, "batchmean" by the batch size. */
export function klDiv(
  input: Tensor,
  target: Tensor,
  opts: { reduction?: Reduction | "batchmean"; logTarget?: boolean } = {},
): Tensor {
  if (autocastActive()) return autocastOp("kl_div", klDiv, input, target, opts);
  const op = "kl_div";
  checkTensor(op, input, "input");
  checkTensor(op, target, "target");
  const red = reductionOf(op, opts.reduction, ["none", "mean", "sum", "batchmean"]);
  requireFloat(op, input);
  const out = opts.logTarget ? mul(exp(target), sub(target, input)) : sub(xlogy(target, target), mul(target, input));
  if (red === "batchmean") {
    const s = sum(out);
    return input.ndim !== 0 ? div(s, input.shape[0] as number) : s;
  }
  return reduce(out, red);
}

// ---------------------------------------------------------------- embedding losses

/**
 * ‖x‖_p over `dim` with PyTorch 1.13's norm_backward (self·(grad/norm), 0 where the norm is 0, for
 * p = 2; sgn(self)·grad for p = 1; the general-p formula otherwise).
 */
function vectorNorm(x: Tensor, p: number, dim: number): Tensor {
  const y = noGrad(() => {
    if (p === 2) return sqrt(sum(mul(x, x), dim));
    if (p === 1) return sum(abs(x), dim);
    if (p === Number.POSITIVE_INFINITY) return amax(abs(x), dim);
    if (p === 0) return sum(ne(x, 0).to(x.dtype), dim);
    return pow(sum(pow(abs(x), p), dim), 1 / p);
  });
  attachGrad("NormBackward1", [x], [y], [x, y], ([g], [sx, sy]) => {
    const self = sx as Tensor;
    const grad = unsqueeze(g as Tensor, dim);
    const norm = unsqueeze(sy as Tensor, dim);
    if (p === 0) return [zerosLike(self)];
    if (p === 1) return [mul(sign(self), grad)];
    if (p === 2) return [mul(self, where(eq(norm, 0), 0, div(grad, norm)))];
    if (p === Number.POSITIVE_INFINITY) {
      const sa = abs(self);
      const mask = logicalOr(eq(sa, norm), isnan(sa)).to(self.dtype);
      return [mul(sign(self), mul(div(grad, sum(mask, dim, true)), mask))];
    }
    if (p < 1) {
      const scaled = mul(sign(self), where(eq(self, 0), 0, pow(abs(self), p - 1)));
      return [mul(mul(scaled, grad), pow(norm, 1 - p))];
    }
    const scaled = p < 2 ? mul(sign(self), pow(abs(self), p - 1)) : mul(self, pow(abs(self), p - 2));
    const scale = where(eq(norm, 0), 0, div(grad, pow(norm, p - 1)));
    return [mul(scaled, scale)];
  });
  return y;
}

/** F.pairwise_distance: ‖x1 − x2 + eps‖_p over the last dim. */
function pairwiseDistance(x1: Tensor, x2: Tensor, p: number, eps: number): Tensor {
  const dim = Math.max(x1.ndim, x2.ndim) - 1;
  return vectorNorm(add(sub(x1, x2), eps), p, Math.max(dim, 0));
}

export interface TripletMarginOptions extends ReductionOptions {
  margin?: number;
  p?: number;
  eps?: number;
  swap?: boolean;
}

/** F.triplet_margin_loss: max(d(a, p) − d(a, n) + margin, 0), d = pairwise_distance (eps added to the difference before the norm). */
export function tripletMarginLoss(anchor: Tensor, positive: Tensor, negative: Tensor, opts: TripletMarginOptions = {}): Tensor {
  if (autocastActive()) return autocastOp("triplet_margin_loss", tripletMarginLoss, anchor, positive, negative, opts);
  const op = "triplet_margin_loss";
  checkTensor(op, anchor, "anchor");
  checkTensor(op, positive, "positive");
  checkTensor(op, negative, "negative");
  const red = reductionOf(op, opts.reduction);
  const margin = opts.margin ?? 1;
  const p = opts.p ?? 2;
  const eps = opts.eps ?? 1e-6;
  if (anchor.ndim !== positive.ndim || positive.ndim !== negative.ndim)
    throw new ShapeError(
      op,
      `All inputs should have same dimension but got ${anchor.ndim}D, ${positive.ndim}D and ${negative.ndim}D inputs.`,
    );
  requireFloat(op, anchor, "anchor");
  const dPos = pairwiseDistance(anchor, positive, p, eps);
  let dNeg = pairwiseDistance(anchor, negative, p, eps);
  if (opts.swap) dNeg = minimum(dNeg, pairwiseDistance(positive, negative, p, eps));
  return reduce(clamp(sub(add(dPos, margin), dNeg), 0), red);
}

/** F.cosine_embedding_loss: 1 − cos(x1, x2) for target 1, max(0, cos − margin) for target −1. */
export function cosineEmbeddingLoss(
  input1: Tensor,
  input2: Tensor,
  target: Tensor,
  opts: ReductionOptions & { margin?: number } = {},
): Tensor {
  if (autocastActive()) return autocastOp("cosine_embedding_loss", cosineEmbeddingLoss, input1, input2, target, opts);
  const op = "cosine_embedding_loss";
  checkTensor(op, input1, "input1");
  checkTensor(op, input2, "input2");
  checkTensor(op, target, "target");
  const red = reductionOf(op, opts.reduction);
  const margin = opts.margin ?? 0;
  const td = target.ndim;
  if (td !== 0 && td !== 1) throw new ShapeError(op, "0D or 1D target tensor expected, multi-target not supported");
  if (td === 1 && input1.ndim !== 2)
    throw new ShapeError(
      op,
      `1D target tensor expects 2D input tensors, but found inputs with sizes ${fmtShape(input1.shape)} and ${fmtShape(input2.shape)}.`,
    );
  if (td === 0 && input1.ndim !== 1)
    throw new ShapeError(
      op,
      `0D target tensor expects 1D input tensors, but found inputs with sizes ${fmtShape(input1.shape)} and ${fmtShape(input2.shape)}.`,
    );
  requireFloat(op, input1, "input1");
  const prodSum = sum(mul(input1, input2), td);
  const mag1 = add(sum(mul(input1, input1), td), EPS12);
  const mag2 = add(sum(mul(input2, input2), td), EPS12);
  const cos = div(prodSum, sqrt(mul(mag1, mag2)));
  const pos = sub(1, cos);
  const negPart = clamp(sub(cos, margin), 0);
  const outPos = where(eq(target, 1), pos, 0);
  const outNeg = where(eq(target, -1), negPart, 0);
  return reduce(add(outPos, outNeg), red);
}

/** F.margin_ranking_loss: max(0, −target·(input1 − input2) + margin). */
export function marginRankingLoss(
  input1: Tensor,
  input2: Tensor,
  target: Tensor,
  opts: ReductionOptions & { margin?: number } = {},
): Tensor {
  if (autocastActive()) return autocastOp("margin_ranking_loss", marginRankingLoss, input1, input2, target, opts);
  const op = "margin_ranking_loss";
  checkTensor(op, input1, "input1");
  checkTensor(op, input2, "input2");
  checkTensor(op, target, "target");
  const red = reductionOf(op, opts.reduction);
  if (input1.ndim !== input2.ndim || input1.ndim !== target.ndim)
    throw new ShapeError(
      op,
      `margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: ${torchSize(input1.shape)}, input2: ${torchSize(input2.shape)}, target: ${torchSize(target.shape)}`,
    );
  return reduce(clamp(add(mul(neg(target), sub(input1, input2)), opts.margin ?? 0), 0), red);
}

/** @internal exported for tests of PyTorch's vector/tail split. */
export const _scalarTailMask = scalarTailMask;
