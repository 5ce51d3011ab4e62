// Helpers shared by the distributions: torch.distributions.utils (broadcast_all, probs/logits
// conversions), torch.finfo, Python-style formatting for PyTorch's error messages, and a few ops
// whose numerics must follow PyTorch's kernels more closely than the generic core ops do:
//
// - `expandTo` / `sumTo`: broadcasting whose gradient is reduced in PyTorch's order (sum_to_size:
//   one `sum` over the broadcast dims, which PyTorch runs as its cascade sum; core's generic
//   reduction is a pairwise tree). Every binary op between a parameter and a sample-shaped tensor
//   expands the parameter first, so the reduction happens here.
// - `sumLast`: a sum over the last dim in PyTorch's order (cascade_sum), forward and backward.
// - `log1pExact` / `erfinvExact`: torch.log1p (SLEEF's vectorised log1p) and torch.erfinv
//   (calc_erfinv over glibc's erff/expf) bit for bit, with PyTorch's derivative formulas.
import { attachGrad, noGrad } from "../autograd/graph.js";
import { type DType, defaultFloat } from "../dtype.js";
import { DTypeError, ShapeError, ValueError } from "../errors.js";
import { torchColumnSums, torchRowSums, torchVectorSum } from "../nn/functional_extra.js";
import { fromStorageArray } from "../ops/core.js";
import { full, tensor } from "../ops/creation.js";
import { add, clamp, div, eq, exp, isinf, log, log1p, maskedFill, mul, neg, pow, sigmoid, sub } from "../ops/elementwise.js";
import { amax, softmax, sum } from "../ops/reduce.js";
import { stack } from "../ops/shapecopy.js";
import { expand, reshape, select, squeeze, unsqueeze } from "../ops/views.js";
import { broadcastShapes, numel } from "../shape.js";
import { Tensor } from "../tensor.js";
import { erfinv, erfinvf, sleefLog1p, sleefLog1pf } from "./libm.js";

export type TensorLike = Tensor | number;

// ---------------------------------------------------------------------------------------------
// torch.finfo

export interface FInfo {
  bits: number;
  eps: number;
  max: number;
  min: number;
  tiny: number;
}
const FINFO: Record<string, FInfo> = {
  float32: { bits: 32, eps: 2 ** -23, max: 3.4028234663852886e38, min: -3.4028234663852886e38, tiny: 2 ** -126 },
  float64: { bits: 64, eps: 2 ** -52, max: Number.MAX_VALUE, min: -Number.MAX_VALUE, tiny: 2 ** -1022 },
  float16: { bits: 16, eps: 2 ** -10, max: 65504, min: -65504, tiny: 2 ** -14 },
  bfloat16: { bits: 16, eps: 2 ** -7, max: 3.3895313892515355e38, min: -3.3895313892515355e38, tiny: 2 ** -126 },
};
/** torch.finfo(dtype) for the floating dtypes. */
export function finfo(dtype: DType): FInfo {
  const f = FINFO[dtype];
  if (!f) throw new DTypeError("finfo", `torch.finfo() requires a floating point input type, got ${dtype}`);
  return f;
}

// ---------------------------------------------------------------------------------------------
// Python formatting (PyTorch's messages are Python f-strings)

/** repr(float) as Python writes it: shortest round-trip digits, "1.0", "1e-05", "inf", "nan". */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Number.POSITIVE_INFINITY) return "inf";
  if (x === Number.NEGATIVE_INFINITY) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mant, expS] = x.toExponential().split("e") as [string, string];
  const e = Number(expS);
  const neg = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  if (e >= -4 && e < 16) {
    let s: string;
    if (e >= 0) {
      const intPart = digits.slice(0, e + 1).padEnd(e + 1, "0");
      const frac = digits.slice(e + 1);
      s = `${intPart}.${frac || "0"}`;
    } else s = `0.${"0".repeat(-e - 1)}${digits}`;
    return neg ? `-${s}` : s;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const ee = Math.abs(e) < 10 ? `0${Math.abs(e)}` : `${Math.abs(e)}`;
  return `${neg ? "-" : ""}${m}e${e < 0 ? "-" : "+"}${ee}`;
}

/** Python's tuple(shape): "()", "(2,)", "(2, 3)". */
export const pyTuple = (s: readonly number[]): string => (s.length === 1 ? `(${s[0]},)` : `(${s.join(", ")})`);
/** torch.Size's repr: "torch.Size([2, 3])". */
export const pySize = (s: readonly number[]): string => `torch.Size([${s.join(", ")}])`;

/** `'{}'.format(x)` of a tensor as PyTorch writes it: a 0-dim tensor formats as its Python value. */
export function pyFormat(x: Tensor | number): string {
  if (typeof x === "number") return Number.isInteger(x) && Math.abs(x) < 2 ** 53 ? String(x) : pyFloat(x);
  if (x.ndim === 0) {
    const v = noGrad(() => x.detach()).itemSync();
    if (typeof v === "boolean") return v ? "True" : "False";
    return x.dtype.startsWith("float") || x.dtype === "bfloat16" ? pyFloat(v) : String(v);
  }
  return String(noGrad(() => x.detach()));
}

// ---------------------------------------------------------------------------------------------
// broadcasting

/**
 * torch.distributions.utils.broadcast_all: numbers become tensors of the first tensor's dtype and
 * device (the default dtype when all are numbers), then everything is broadcast to one shape.
 */
export function broadcastAll(op: string, values: readonly TensorLike[]): Tensor[] {
  let like: Tensor | null = null;
  for (const v of values) {
    if (v instanceof Tensor) {
      like = v;
      break;
    }
    if (typeof v !== "number")
      throw new ValueError(
        op,
        "Input arguments must all be instances of numbers.Number, torch.Tensor or objects implementing __torch_function__.",
      );
  }
  const ts = values.map((v) =>
    v instanceof Tensor ? v : tensor(v, { dtype: like ? like.dtype : defaultFloat, device: like ? like.device : "cpu" }),
  );
  let shape: readonly number[] = ts[0]?.shape ?? [];
  for (const t of ts.slice(1)) shape = inferSize(op, shape, t.shape);
  return ts.map((t) => expandTo(t, shape));
}

/** at::infer_size (torch.broadcast_tensors), with its error message. */
export function inferSize(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    const off = n - 1 - i;
    const sa = a[a.length - 1 - off] ?? 1;
    const sb = b[b.length - 1 - off] ?? 1;
    if (sa !== sb && sa !== 1 && sb !== 1)
      throw new ShapeError(
        op,
        `The size of tensor a (${sa}) must match the size of tensor b (${sb}) at non-singleton dimension ${i}`,
      );
    out[i] = sa === 1 ? sb : sa;
  }
  return out;
}

/** torch.broadcast_shapes, with its error message. */
export function broadcastShapesPy(op: string, ...shapes: (readonly number[])[]): number[] {
  try {
    return broadcastShapes(op, ...shapes);
  } catch {
    throw new ShapeError(op, "Shape mismatch: objects cannot be broadcast to a single shape");
  }
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * x.expand(shape) whose gradient is reduced as PyTorch's sum_to_size (see sumTo). Returns x itself
 * when the shape already matches.
 */
export function expandTo(x: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(x.shape, shape)) return x;
  const y = noGrad(() => expand(x, [...shape]));
  attachGrad("ExpandBackward0", [x], [y], [], ([g]) => [sumTo(g as Tensor, x.shape)]);
  return y;
}

/** Expand tensors to their common broadcast shape (numbers pass through). */
export function bcast<T extends TensorLike[]>(op: string, ...xs: T): T {
  const shapes = xs.filter((x): x is Tensor => x instanceof Tensor).map((x) => x.shape);
  if (shapes.length < 2) return xs;
  const shape = broadcastShapes(op, ...shapes);
  return xs.map((x) => (x instanceof Tensor ? expandTo(x, shape) : x)) as T;
}

type Bin = (a: TensorLike, b: TensorLike) => Tensor;
/**
 * A binary op whose broadcasting happens here: both tensor operands are expanded to the common
 * shape first (expandTo), so each operand's gradient is reduced in PyTorch's order, at the same
 * point of the graph as PyTorch's own broadcasting op reduces it.
 */
const broadcasting =
  (name: string, f: Bin): Bin =>
  (a, b) => {
    if (a instanceof Tensor && b instanceof Tensor) {
      const [x, y] = bcast(name, a, b);
      return f(x, y);
    }
    return f(a, b);
  };
export const badd = broadcasting("add", add as Bin);
export const bsub = broadcasting("sub", sub as Bin);
export const bmul = broadcasting("mul", mul as Bin);
export const bdiv = broadcasting("div", div as Bin);

/**
 * PyTorch's sum_to(g, shape): one sum over the leading dims and the dims where shape has 1, kept,
 * then viewed as shape. Reduced in PyTorch's cascade order when the reduced dims are a prefix
 * (an outer reduction), a suffix (inner) or everything; other patterns use core's sum.
 */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const red: boolean[] = g.shape.map((d, i) => i < lead || (shape[i - lead] === 1 && d !== 1));
  const nonTrivial = g.shape.map((d, i) => (red[i] as boolean) && d !== 1);
  // size-1 dims can be treated as reduced or not: what matters is where the real reductions are
  const isRed = (i: number): boolean => nonTrivial[i] as boolean;
  const isKept = (i: number): boolean => !(red[i] as boolean) && g.shape[i] !== 1;
  const dims = g.shape.map((_, i) => i);
  const firstKept = dims.find(isKept);
  const lastKept = [...dims].reverse().find(isKept);
  const total = numel(g.shape);
  if (total === 0)
    return reshape(
      sum(
        g,
        dims.filter((i) => red[i]),
        true,
      ),
      [...shape],
    );
  const gc = g.isContiguous() ? g : g.contiguous();
  if (firstKept === undefined) return reshape(torchVectorSum(reshape(gc, [-1])), [...shape]);
  const outerRed = dims.filter((i) => i < firstKept).some(isRed);
  const innerRed = dims.filter((i) => i > (lastKept as number)).some(isRed);
  const middleRed = dims.filter((i) => i > firstKept && i < (lastKept as number)).some(isRed);
  if (!middleRed && outerRed !== innerRed) {
    const keptN = dims.filter((i) => i >= firstKept && i <= (lastKept as number)).reduce((a, i) => a * (g.shape[i] as number), 1);
    const r = total / keptN;
    const s = outerRed ? torchColumnSums(reshape(gc, [r, keptN])) : torchRowSums(reshape(gc, [keptN, r]));
    return reshape(s, [...shape]);
  }
  if (!outerRed && !innerRed && !middleRed) return reshape(gc, [...shape]);
  // [kept outer][reduced][kept inner]: for each outer index, the column sums of [reduced, inner]
  const redIdx = dims.filter(isRed);
  const r0 = redIdx[0] as number;
  const r1 = redIdx[redIdx.length - 1] as number;
  if (!outerRed && !innerRed && dims.filter((i) => i > r0 && i < r1).every((i) => !isKept(i))) {
    const o = dims.filter((i) => i < r0).reduce((a, i) => a * (g.shape[i] as number), 1);
    const r = dims.filter((i) => i >= r0 && i <= r1).reduce((a, i) => a * (g.shape[i] as number), 1);
    const inner = total / (o * r);
    const g3 = reshape(gc, [o, r, inner]);
    const parts = Array.from({ length: o }, (_, k) => torchColumnSums(select(g3, 0, k)));
    return reshape(stack(parts, 0), [...shape]);
  }
  const rd = dims.filter((i) => red[i]);
  return reshape(sum(g, rd, true), [...shape]);
}

/** x.sum(-1, keepdim) in PyTorch's order for a contiguous inner reduction (cascade_sum). */
export function sumLast(x: Tensor, keepdim = false): Tensor {
  const n = x.shape[x.ndim - 1] as number;
  const lead = x.shape.slice(0, -1);
  const rows = numel(lead);
  if (n === 0 || rows === 0) return sum(x, -1, keepdim);
  const c = x.isContiguous() ? x : x.contiguous();
  const s = torchRowSums(reshape(c, [rows, n]));
  return reshape(s, keepdim ? [...lead, 1] : [...lead]);
}

/**
 * x.logsumexp(-1, keepdim) as PyTorch's logsumexp_out_impl: maxes (±inf replaced by 0) subtracted,
 * exp, the cascade sum, log, maxes added; backward grad · exp(x − result) (logsumexp_backward).
 */
export function logsumexpLast(x: Tensor, keepdim = false): Tensor {
  const y = noGrad(() => {
    const m = amax(x, -1, true);
    const mz = maskedFill(m, isinf(m), 0);
    const s = sumLast(exp(sub(x, mz)), true);
    const r = add(log(s), mz);
    return keepdim ? r : squeeze(r, -1);
  });
  attachGrad("LogsumexpBackward0", [x], [y], [x, y], ([g], [sx, sy]) => {
    const gg = keepdim ? (g as Tensor) : unsqueeze(g as Tensor, -1);
    const r = keepdim ? (sy as Tensor) : unsqueeze(sy as Tensor, -1);
    return [mul(gg, exp(sub(sx as Tensor, r)))];
  });
  return y;
}

// ---------------------------------------------------------------------------------------------
// bit-exact unary ops

/** Apply a host function elementwise (float32/float64 values) into a new tensor of x's shape. */
function mapHost(x: Tensor, f32: (v: number) => number, f64: (v: number) => number): Tensor {
  const data = noGrad(() => x.detach()).dataSync() as Float32Array | Float64Array;
  const out = x.dtype === "float32" ? new Float32Array(data.length) : new Float64Array(data.length);
  const f = x.dtype === "float32" ? f32 : f64;
  for (let i = 0; i < data.length; i++) out[i] = f(data[i] as number);
  return fromStorageArray(out, x.shape, x.dtype, x.device);
}
const hostable = (x: Tensor): boolean => (x.dtype === "float32" || x.dtype === "float64") && Boolean(x._storage.backend.readSync);

/** torch.log1p with PyTorch's vectorised (SLEEF) values on float32/float64; grad / (x + 1). */
export function log1pExact(x: Tensor): Tensor {
  if (!hostable(x)) return log1p(x);
  const y = mapHost(x, sleefLog1pf, sleefLog1p);
  attachGrad("Log1PBackward0", [x], [y], [x], ([g], [sx]) => [div(g as Tensor, add(sx as Tensor, 1))]);
  return y;
}

/** torch.erfinv (PyTorch's calc_erfinv); grad 0.5·√π·exp(erfinv(x)²)·grad, as PyTorch's formula. */
export function erfinvExact(x: Tensor): Tensor {
  // float16/bfloat16: calc_erfinv(float(x)) rounded back, as PyTorch's reduced-precision overloads
  if (x.dtype === "float16" || x.dtype === "bfloat16") return erfinvExact(x.to("float32")).to(x.dtype);
  if (!hostable(x)) throw new DTypeError("erfinv", `erfinv needs a floating tensor on the host, got ${x.dtype} on '${x.device}'`);
  const y = mapHost(x, erfinvf, erfinv);
  attachGrad("ErfinvBackward0", [x], [y], [x], ([g], [sx]) => [
    mul(mul(exp(pow(erfinvExact(sx as Tensor), 2)), 0.5 * Math.sqrt(Math.PI)), g as Tensor),
  ]);
  return y;
}

// ---------------------------------------------------------------------------------------------
// probs / logits

/** clamp_probs: probs.clamp(eps, 1 − eps). */
export function clampProbs(probs: Tensor): Tensor {
  const eps = finfo(probs.dtype).eps;
  return clamp(probs, eps, 1 - eps);
}

/** probs_to_logits: log(p) (categorical) or log(p) − log1p(−p) (binary), p clamped. */
export function probsToLogits(probs: Tensor, isBinary = false): Tensor {
  const ps = clampProbs(probs);
  if (isBinary) return sub(log(ps), log1pExact(neg(ps)));
  return log(ps);
}

/** logits_to_probs: sigmoid (binary) or softmax over the last dim. */
export function logitsToProbs(logits: Tensor, isBinary = false): Tensor {
  return isBinary ? sigmoid(logits) : softmax(logits, -1);
}

/** A tensor of `shape` filled with `v` in dtype/device. */
export const filled = (shape: readonly number[], v: number, like: Tensor): Tensor =>
  full([...shape], v, { dtype: like.dtype, device: like.device });

export function checkShape(op: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0))
    throw new ShapeError(op, `sample_shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  return shape as number[];
}

export { eq };
