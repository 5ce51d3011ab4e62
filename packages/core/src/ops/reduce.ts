// Reductions, scans and softmax. Kernels reduce in the backend's fixed pairwise-tree order
// (backend.ts); composite ops (mean, var, norm, logsumexp, softmax) are written with other ops.

import { autocastActive, autocastOp } from "../amp/autocast.js";
import { attachGrad, noGrad } from "../autograd/graph.js";
import type { ReduceOp } from "../backend.js";
import { kernelFor } from "../determinism.js";
import { type DType, defaultFloat, isFloating } from "../dtype.js";
import { DTypeError, fmtShape, IndexError } from "../errors.js";
import { acc, cast, type Exp, load } from "../ir.js";
import { normDim, normDims, numel } from "../shape.js";
import { Tensor } from "../tensor.js";
import { empty, opmath } from "./core.js";
import {
  abs,
  add,
  div,
  eq,
  exp,
  fusedMulAdd,
  gt,
  isinf,
  isnan,
  log,
  logicalAnd,
  logicalOr,
  maximum,
  minimum,
  mul,
  neg,
  pow,
  sqrt,
  sub,
  where,
} from "./elementwise.js";
import { cat, flip } from "./shapecopy.js";
import { expand, reshape, unsqueeze } from "./views.js";

export type DimArg = number | number[] | null | undefined;

interface ReduceSpec {
  op: ReduceOp;
  accDtype: DType;
  outDtype: DType;
  map?: (x: Exp) => Exp;
}

/** Run one backend reduction of x over `dims` (sorted, unique). Returns the keepdim=false shape. */
function runReduce(name: string, x: Tensor, dims: number[], spec: ReduceSpec): Tensor {
  x._check(name);
  const kept = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const order = [...kept, ...dims];
  const outShape = kept.map((i) => x.shape[i] as number);
  const out = empty(outShape, spec.outDtype, x.device);
  const v = x._view();
  const inView = { ...v, shape: order.map((i) => x.shape[i] as number), strides: order.map((i) => x.strides[i] as number) };
  const m = cast((spec.map ?? ((e: Exp) => e))(cast(load(0, x.dtype), opmath(x.dtype))), spec.accDtype);
  const argLike = spec.op === "argmax" || spec.op === "argmin";
  const post = cast(acc(argLike ? "int64" : spec.accDtype), spec.outDtype);
  kernelFor(name, x, "reduce").reduce({ op: spec.op, map: m, post }, out._view(), inView, dims.length);
  return out;
}

const restoreDims = (t: Tensor, dims: number[], keepdim: boolean): Tensor => {
  if (!keepdim) return t;
  let r = t;
  for (const d of dims) r = unsqueeze(r, d);
  return r;
};

/** Expand a reduced grad back to the input's shape. */
function expandBack(g: Tensor, dims: number[], keepdim: boolean, shape: readonly number[]): Tensor {
  let r = g;
  if (!keepdim) for (const d of dims) r = unsqueeze(r, d);
  return expand(r, [...shape]);
}

/** Sum g down to `shape` (undoing broadcasting). */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  let r = dims.length ? sum(g, dims, true) : g;
  if (lead > 0) r = reshape(r, [...shape]);
  return r;
}

const sumDtype = (d: DType): DType => (isFloating(d) ? d : "int64");

export function sum(x: Tensor, dim?: DimArg, keepdim = false, opts: { dtype?: DType } = {}): Tensor {
  const dims = normDims("sum", dim, x.ndim);
  const outD = opts.dtype ?? sumDtype(x.dtype);
  // the reduce kernel casts each element to the accumulator dtype (= casting first, as PyTorch)
  const y = restoreDims(runReduce("sum", x, dims, { op: "sum", accDtype: opmath(outD), outDtype: outD }), dims, keepdim);
  attachGrad("SumBackward1", [x], [y], [], ([g]) => [expandBack(g as Tensor, dims, keepdim, x.shape).to(x.dtype)]);
  return y;
}

export function mean(x: Tensor, dim?: DimArg, keepdim = false, opts: { dtype?: DType } = {}): Tensor {
  const d = opts.dtype ?? x.dtype;
  if (!isFloating(d))
    throw new DTypeError(
      "mean",
      `could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ${x.dtype}`,
    );
  const dims = normDims("mean", dim, x.ndim);
  const n = numel(dims.map((i) => x.shape[i] as number));
  return div(sum(x, dims, keepdim, { dtype: d }), n);
}

export function prod(x: Tensor, dim?: number | null, keepdim = false, opts: { dtype?: DType } = {}): Tensor {
  if (autocastActive()) return autocastOp("prod", prod, x, dim, keepdim, opts);
  const dims = normDims("prod", dim, x.ndim);
  const outD = opts.dtype ?? sumDtype(x.dtype);
  const y = restoreDims(runReduce("prod", x, dims, { op: "prod", accDtype: opmath(outD), outDtype: outD }), dims, keepdim);
  attachGrad(dim === undefined || dim === null ? "ProdBackward0" : "ProdBackward1", [x], [y], [x, y], ([g], [sx, sy]) => {
    const xx = sx as Tensor;
    const flat = dim === undefined || dim === null;
    const gk = flat ? (g as Tensor) : keepdim ? (g as Tensor) : unsqueeze(g as Tensor, dims[0] as number);
    const yk = flat ? (sy as Tensor) : keepdim ? (sy as Tensor) : unsqueeze(sy as Tensor, dims[0] as number);
    if (x.ndim === 0) return [g as Tensor];
    // PyTorch: grad * (result / input) when there is no zero; otherwise products of the others.
    const productsOfOthers = (): Tensor => {
      const t = flat ? reshape(xx, [-1]) : xx;
      const d = flat ? 0 : (dims[0] as number);
      const others = mul(exclusiveCumprod(t, d, false), exclusiveCumprod(t, d, true));
      return mul(gk, flat ? reshape(others, [...xx.shape]) : others);
    };
    if (!xx._storage.backend.readSync) {
      // no synchronous readback (GPU devices): every form, chosen on the device
      const zerosT = noGrad(() => sum(eq(xx, 0)));
      const withZeros = flat ? where(gt(zerosT, 1), mul(xx, 0).abs(), productsOfOthers()) : productsOfOthers();
      return [where(eq(zerosT, 0), mul(gk, div(yk, xx)), withZeros)];
    }
    const zeros = noGrad(() => sum(eq(xx, 0)).itemSync() as number);
    if (zeros === 0) return [mul(gk, div(yk, xx))];
    if (flat && zeros > 1) return [mul(xx, 0).abs()]; // every product of the others contains a zero
    return [productsOfOthers()];
  });
  return y;
}

function exclusiveCumprod(t: Tensor, dim: number, reverse: boolean): Tensor {
  const src = reverse ? flip(t, [dim]) : t;
  const n = src.shape[dim] as number;
  const ones = expand(reshape(onesLikeScalar(t), Array(t.ndim).fill(1)), [...src.shape.map((s, i) => (i === dim ? 1 : s))]);
  const shifted = n > 1 ? cat([ones, src.narrow(dim, 0, n - 1)], dim) : ones.narrow(dim, 0, n);
  const r = cumprod(shifted, dim);
  return reverse ? flip(r, [dim]) : r;
}

const onesLikeScalar = (t: Tensor): Tensor => {
  const o = empty([], t.dtype, t.device);
  o._storage.backend.elementwise(cast({ k: "const", dtype: opmath(t.dtype), v: 1 }, t.dtype), o._view(), []);
  return o;
};

function extremum(name: "amax" | "amin", x: Tensor, dim: DimArg, keepdim: boolean): Tensor {
  const dims = normDims(name, dim, x.ndim);
  for (const d of dims)
    if (x.shape[d] === 0)
      throw new IndexError(name, `Expected reduction dim ${d} to have non-zero size (input shape ${fmtShape(x.shape)})`);
  if (x.numel() === 0 && dims.length === 0) throw new IndexError(name, "cannot reduce an empty tensor without a dim");
  const y = restoreDims(
    runReduce(name, x, dims, { op: name === "amax" ? "max" : "min", accDtype: opmath(x.dtype), outDtype: x.dtype }),
    dims,
    keepdim,
  );
  attachGrad(name === "amax" ? "AmaxBackward0" : "AminBackward0", [x], [y], [x, y], ([g], [sx, sy]) => {
    // Ties share the gradient evenly: (grad / count) * mask, as PyTorch's scale_grad_by_count.
    const yb = expandBack(sy as Tensor, dims, keepdim, x.shape);
    const mask = eq(sx as Tensor, yb).to(x.dtype);
    const count = sum(mask, dims, true);
    return [mul(div(expandBack(g as Tensor, dims, keepdim, x.shape), count), mask)];
  });
  return y;
}

/** max()/min() over all elements: the gradient is spread evenly over the elements equal to the result (NaN matches NaN). */
function fullExtremum(name: "max" | "min", x: Tensor): Tensor {
  const y = noGrad(() => extremum(name === "max" ? "amax" : "amin", x, null, false));
  attachGrad(name === "max" ? "MaxBackward1" : "MinBackward1", [x], [y], [x, y], ([g], [sx, sy]) => {
    const xx = sx as Tensor;
    const v = sy as Tensor;
    // NaN result: the NaN elements share it. Branchless (no readback), so async devices run it too.
    const mask = noGrad(() => logicalOr(eq(xx, v), logicalAnd(isnan(v), isnan(xx))));
    const share = div(g as Tensor, sum(mask.to(x.dtype)));
    return [where(mask, share, 0)];
  });
  return y;
}
export const amax = (x: Tensor, dim?: DimArg, keepdim = false): Tensor => extremum("amax", x, dim, keepdim);
export const amin = (x: Tensor, dim?: DimArg, keepdim = false): Tensor => extremum("amin", x, dim, keepdim);

function argExtremum(name: "argmax" | "argmin", x: Tensor, dim: number | null | undefined, keepdim: boolean): Tensor {
  if (dim === null || dim === undefined) {
    if (x.numel() === 0) throw new IndexError(name, "Expected reduction dim to be specified for input.numel() == 0.");
    const r = runReduce(name, reshape(x, [-1]), [0], { op: name, accDtype: opmath(x.dtype), outDtype: "int64" });
    return keepdim ? reshape(r, Array(x.ndim).fill(1)) : r;
  }
  const d = normDim(name, dim, x.ndim);
  if (x.ndim > 0 && x.shape[d] === 0) throw new IndexError(name, `Expected reduction dim ${d} to have non-zero size.`);
  return restoreDims(
    runReduce(name, x, x.ndim === 0 ? [] : [d], { op: name, accDtype: opmath(x.dtype), outDtype: "int64" }),
    x.ndim === 0 ? [] : [d],
    keepdim,
  );
}
export const argmax = (x: Tensor, dim?: number | null, keepdim = false): Tensor => argExtremum("argmax", x, dim, keepdim);
export const argmin = (x: Tensor, dim?: number | null, keepdim = false): Tensor => argExtremum("argmin", x, dim, keepdim);

/** torch.max: full reduction (a tensor) or along a dim ([values, indices]). */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepdim?: boolean): [Tensor, Tensor];
export function max(x: Tensor, other: Tensor): Tensor;
export function max(x: Tensor, dim?: number | Tensor, keepdim = false): Tensor | [Tensor, Tensor] {
  return maxmin("max", x, dim, keepdim);
}
export function min(x: Tensor): Tensor;
export function min(x: Tensor, dim: number, keepdim?: boolean): [Tensor, Tensor];
export function min(x: Tensor, other: Tensor): Tensor;
export function min(x: Tensor, dim?: number | Tensor, keepdim = false): Tensor | [Tensor, Tensor] {
  return maxmin("min", x, dim, keepdim);
}

function maxmin(op: "max" | "min", x: Tensor, dim: number | Tensor | undefined, keepdim: boolean): Tensor | [Tensor, Tensor] {
  if (dim instanceof Tensor) return op === "max" ? maximum(x, dim) : minimum(x, dim);
  if (dim === undefined) {
    if (x.numel() === 0)
      throw new IndexError(
        op,
        "Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.",
      );
    return fullExtremum(op, x);
  }
  const d = normDim(op, dim, x.ndim);
  const values = noGrad(() => extremum(op === "max" ? "amax" : "amin", x, x.ndim === 0 ? [] : [d], keepdim));
  const indices = argExtremum(op === "max" ? "argmax" : "argmin", x, x.ndim === 0 ? null : d, keepdim);
  attachGrad(op === "max" ? "MaxBackward0" : "MinBackward0", [x], [values], [indices], ([g], [idx]) => {
    // Only the selected element gets the gradient.
    const gi = keepdim || x.ndim === 0 ? (g as Tensor) : unsqueeze(g as Tensor, d);
    const ii = keepdim || x.ndim === 0 ? (idx as Tensor) : unsqueeze(idx as Tensor, d);
    const z = mul(expand(reshape(onesLikeScalar(x), Array(x.ndim).fill(1)), [...x.shape]), 0);
    return [x.ndim === 0 ? (g as Tensor) : scatterAddFn(z, d, ii, gi)];
  });
  return [values, indices];
}
let scatterAddFn: (x: Tensor, dim: number, idx: Tensor, src: Tensor) => Tensor = () => {
  throw new Error("scatterAdd not loaded");
};
/** Wired by ops/index.ts (indexing depends on this module). */
export function setScatterAdd(f: typeof scatterAddFn): void {
  scatterAddFn = f;
}

/** all/any: bool results, except uint8 inputs give uint8 (as PyTorch). Empty: all → true, any → false. */
function logicalReduce(name: "all" | "any", x: Tensor, dim: number | null | undefined, keepdim: boolean): Tensor {
  const dims = normDims(name, dim, x.ndim);
  const outDtype = x.dtype === "uint8" ? "uint8" : "bool";
  const r = runReduce(name, x, dims, {
    op: name === "all" ? "min" : "max",
    accDtype: "bool",
    outDtype,
    map: (e) => cast(e, "bool"),
  });
  return restoreDims(r, dims, keepdim);
}
export const all = (x: Tensor, dim?: number | null, keepdim = false): Tensor => logicalReduce("all", x, dim, keepdim);
export const any = (x: Tensor, dim?: number | null, keepdim = false): Tensor => logicalReduce("any", x, dim, keepdim);

/** Whether x's device has `dtype` (WebGPU has no float64). */
export const hasDtype = (x: Tensor, dtype: DType): boolean => x._storage.backend.supportsDtype?.(dtype) ?? true;

/** var/std accumulate in float64 and round once, as PyTorch's CPU kernels (Welford in double). */
export function varImpl(
  name: "var" | "std",
  x: Tensor,
  dim: DimArg,
  opts: { correction?: number; unbiased?: boolean; keepdim?: boolean },
): Tensor {
  if (!isFloating(x.dtype))
    throw new DTypeError(name, `std and var only support floating point and complex dtypes, got ${x.dtype}`);
  const correction = opts.correction ?? (opts.unbiased === false ? 0 : 1);
  const keepdim = opts.keepdim ?? false;
  const dims = normDims(name, dim, x.ndim);
  const n = numel(dims.map((i) => x.shape[i] as number));
  const y = noGrad(() => {
    // devices without float64 (WebGPU) accumulate in float32: not the reference's bits there
    const x64 = x.to(hasDtype(x, "float64") ? "float64" : opmath(x.dtype));
    const dev = sub(x64, mean(x64, dims, true));
    const v = div(sum(mul(dev, dev), dims, keepdim), Math.max(0, n - correction));
    return (name === "std" ? sqrt(v) : v).to(x.dtype);
  });
  // PyTorch's var_backward (in the input dtype): (2 / (n - correction)) * grad * (x - mean(x));
  // std_backward first maps grad to grad / (2 * std), with 0 where std == 0.
  attachGrad(name === "var" ? "VarBackward0" : "StdBackward0", [x], [y], [x, y], ([g], [sx, sy]) => {
    let gv = g as Tensor;
    if (name === "std") gv = where(eq(sy as Tensor, 0), 0, div(gv, mul(sy as Tensor, 2)));
    const gk = keepdim ? gv : restoreDims(gv, dims, true);
    const xx = sx as Tensor;
    return [mul(mul(gk, 2 / (n - correction)), sub(xx, mean(xx, dims, true)))];
  });
  return y;
}
export const var_ = (
  x: Tensor,
  dim?: DimArg,
  opts: { correction?: number; unbiased?: boolean; keepdim?: boolean } = {},
): Tensor => varImpl("var", x, dim, opts);
export const std = (x: Tensor, dim?: DimArg, opts: { correction?: number; unbiased?: boolean; keepdim?: boolean } = {}): Tensor =>
  varImpl("std", x, dim, opts);

export function norm(x: Tensor, p: number | "fro" = 2, dim?: DimArg, keepdim = false): Tensor {
  if (!isFloating(x.dtype)) throw new DTypeError("norm", `expected a floating point tensor, got ${x.dtype}`);
  const pp = p === "fro" ? 2 : p;
  if (pp === Number.POSITIVE_INFINITY) return amax(abs(x), dim, keepdim);
  if (pp === Number.NEGATIVE_INFINITY) return amin(abs(x), dim, keepdim);
  if (pp === 0) return sum(where(eq(x, 0), 0, 1).to(x.dtype), dim, keepdim);
  if (pp === 1) return sum(abs(x), dim, keepdim);
  if (pp === 2) return sqrtSafe(sum(mul(x, x), dim, keepdim));
  return pow(sum(pow(abs(x), pp), dim, keepdim), 1 / pp);
}
/** sqrt whose gradient at 0 is 0 (as PyTorch's norm backward), not inf. */
function sqrtSafe(s: Tensor): Tensor {
  const y = noGrad(() => sqrt(s));
  attachGrad("NormBackward1", [s], [y], [y], ([g], [sy]) => [
    where(eq(sy as Tensor, 0), 0, div(g as Tensor, mul(sy as Tensor, 2))),
  ]);
  return y;
}

export function logsumexp(x: Tensor, dim: number | number[], keepdim = false): Tensor {
  const xf = isFloating(x.dtype) ? x : x.to(defaultFloat);
  const dims = normDims("logsumexp", dim, xf.ndim);
  // Empty reduced dims: log(0) = -inf with no max to subtract.
  if (dims.some((d) => xf.shape[d] === 0)) return log(sum(exp(xf), dims, keepdim));
  const m = noGrad(() => {
    const mm = amax(xf, dims, true);
    return where(isinf(mm), 0, mm);
  });
  const s = sum(exp(sub(xf, m)), dims, keepdim);
  const mk = keepdim ? m : reshape(m, [...s.shape]);
  return add(log(s), mk);
}

export function cumsum(x: Tensor, dim: number, opts: { dtype?: DType } = {}): Tensor {
  return scan("cumsum", x, dim, opts.dtype);
}
export function cumprod(x: Tensor, dim: number, opts: { dtype?: DType } = {}): Tensor {
  return scan("cumprod", x, dim, opts.dtype);
}

function scan(name: "cumsum" | "cumprod", x: Tensor, dim: number, dtype?: DType): Tensor {
  x._check(name);
  const d = normDim(name, dim, x.ndim);
  const outD = dtype ?? sumDtype(x.dtype);
  const src = outD !== x.dtype ? noGrad(() => x.to(outD)) : x;
  const out = empty(x.shape, outD, x.device);
  if (x.ndim === 0) {
    out._storage.backend.elementwise(load(0, outD), out._view(), [src._view()]);
  } else {
    const perm = x.shape.map((_, i) => i).filter((i) => i !== d);
    perm.push(d);
    const sv = src._view();
    const ov = out._view();
    const pick = (v: typeof sv) => ({
      ...v,
      shape: perm.map((i) => v.shape[i] as number),
      strides: perm.map((i) => v.strides[i] as number),
    });
    kernelFor(name, x, "scan").scan(name === "cumsum" ? "sum" : "prod", pick(ov), pick(sv));
  }
  if (src !== x) src.dispose();
  if (name === "cumsum") {
    // PyTorch casts the grad to the input dtype first, then takes the reversed cumsum.
    attachGrad("CumsumBackward0", [x], [out], [], ([g]) => {
      const gx = (g as Tensor).to(x.dtype);
      return [x.ndim === 0 ? gx : flip(cumsum(flip(gx, [d]), d), [d])];
    });
  } else {
    attachGrad("CumprodBackward0", [x], [out], [x, out], ([g], [sx, so]) => {
      if (x.ndim === 0) return [g as Tensor];
      // sum_{k>=i} g_k * out_k / x_i, computed without dividing by zero: out_k / x_i = prod of x_j, j<=k, j!=i.
      const xx = sx as Tensor;
      const gx = (g as Tensor).to(x.dtype);
      // (PyTorch multiplies the cast grad by the output in the output's dtype, then casts back.)
      const noZeroForm = () => div(flip(cumsum(flip(mul(gx, so as Tensor), [d]), d), [d]), xx).to(x.dtype);
      if (!xx._storage.backend.readSync) {
        const hasZeroT = noGrad(() => any(eq(xx, 0)));
        return [where(hasZeroT, cumprodGradWithZeros(gx, xx, d), noZeroForm())];
      }
      const hasZero = noGrad(() => any(eq(xx, 0)).itemSync());
      if (!hasZero) return [noZeroForm()];
      return [cumprodGradWithZeros(gx, xx, d)];
    });
  }
  return out;
}

/** Exact cumprod gradient when inputs contain zeros (O(n^2) along the dim). */
function cumprodGradWithZeros(g: Tensor, x: Tensor, d: number): Tensor {
  const n = x.shape[d] as number;
  if (n === 0) return g; // nothing to differentiate (and cat of no parts would raise)
  const parts: Tensor[] = [];
  for (let i = 0; i < n; i++) {
    // d out_k / d x_i for k >= i = prod_{j<=k, j != i} x_j
    const before = i > 0 ? prod(x.narrow(d, 0, i), d, true) : null;
    const after = x.narrow(d, i, n - i);
    const ones = mul(after.narrow(d, 0, 1), 0).add(1);
    const restAfter = n - i - 1 > 0 ? cumprod(after.narrow(d, 1, n - i - 1), d) : null;
    const terms = restAfter ? cat([ones, restAfter], d) : ones;
    const scaled = before ? mul(terms, before) : terms;
    parts.push(sum(mul(g.narrow(d, i, n - i), scaled), d, true));
  }
  return cat(parts, d);
}

export function softmax(x: Tensor, dim: number, opts: { dtype?: DType } = {}): Tensor {
  const src = opts.dtype ? x.to(opts.dtype) : isFloating(x.dtype) ? x : x.to(defaultFloat);
  const d = normDim("softmax", dim, src.ndim);
  const y = noGrad(() => {
    const m = amax(src, d, true);
    const e = exp(sub(src, m));
    const s = sum(e, d, true);
    // PyTorch's last-dim kernel multiplies by the reciprocal; the strided kernel divides.
    return d === src.ndim - 1 || src.ndim === 0 ? mul(e, div(1, s)) : div(e, s);
  });
  attachGrad("SoftmaxBackward0", [src], [y], [y], ([g], [sy]) => {
    const yy = sy as Tensor;
    const gg = g as Tensor;
    return [mul(yy, sub(gg, sum(mul(gg, yy), d, true)))];
  });
  return y;
}

export function logSoftmax(x: Tensor, dim: number, opts: { dtype?: DType } = {}): Tensor {
  const src = opts.dtype ? x.to(opts.dtype) : isFloating(x.dtype) ? x : x.to(defaultFloat);
  const d = normDim("log_softmax", dim, src.ndim);
  const y = noGrad(() => {
    const m = amax(src, d, true);
    const shifted = sub(src, m);
    return sub(shifted, log(sum(exp(shifted), d, true)));
  });
  attachGrad("LogSoftmaxBackward0", [src], [y], [y], ([g], [sy]) => {
    const gg = g as Tensor;
    // PyTorch's vectorised kernel: grad - exp(out) * sum(grad), contracted to an fma.
    return [fusedMulAdd(neg(exp(sy as Tensor)), sum(gg, d, true), gg)];
  });
  return y;
}

export function countNonzero(x: Tensor, dim?: DimArg): Tensor {
  return sum(neg(eq(x, 0).to("int64")).add(1), dim);
}
