// torch.nn.functional ops that the layers need and core does not have: linear, bilinear, the
// normalisations, embedding, dropout, leaky_relu/elu/hardtanh/logsigmoid, pad, conv_transpose,
// scaled-dot-product and multi-head attention. Everything is written with core ops (IR kernels,
// matmul, index ops), so it runs on every backend and its gradients come from composition or
// from a backward written in differentiable ops.
//
// Numerics against PyTorch 1.13 (Debian, reference BLAS, AVX2), where the structure allows it:
// - linear: Debian's PyTorch multiplies with the reference BLAS, whose sgemm sums each output
//   element sequentially over k from 0, products and sums rounded, no FMA — the same order as
//   lockstep's matmul — and adds the bias after the sum (addmm with a transposed weight takes the
//   "C := alpha·Aᵀ·B + beta·C" loop). The bias gradient is a column sum, sequential over the rows
//   as PyTorch's outer-dimension sum for small batches.
// - batch_norm: the statistics are PyTorch's batch_norm_cpu_collect_stats — per channel a
//   sequential float64 sum of x, mean rounded to float32, then a sequential float64 sum of the
//   float32 squares (x − mean)² — done here as float64 matmuls by a ones vector (sequential from 0,
//   like the C loop), and the running-stat update in PyTorch's mix of float32 and float64.
// - the pointwise activations are PyTorch's kernels' formulas (leaky_relu, elu, hardtanh and their
//   backward formulas), elementwise IR.

import { autocastActive, autocastOp } from "../amp/autocast.js";
import { attachGrad, noGrad } from "../autograd/graph.js";
import { type DType, isFloating } from "../dtype.js";
import { DTypeError, fmtShape, ShapeError, ValueError } from "../errors.js";
import { bin, type Exp, konst, select, un } from "../ir.js";
import { tidy } from "../memory.js";
import { conv1d, conv2d, type SpatialSize } from "../ops/conv.js";
import { to } from "../ops/convert.js";
import { elementwise, opmath } from "../ops/core.js";
import { full, ones, tensor, zeros, zerosLike } from "../ops/creation.js";
import {
  abs,
  add,
  clampMin,
  div,
  exp,
  fusedMulAdd,
  log1p,
  logicalOr,
  maskedFill,
  minimum,
  mul,
  ne,
  neg,
  sqrt,
  sub,
  where,
} from "../ops/elementwise.js";
import { indexAdd, indexSelect } from "../ops/indexing.js";
import { matmul } from "../ops/linalg.js";
import { softmax, sum } from "../ops/reduce.js";
import { cat, flip, triu } from "../ops/shapecopy.js";
import { contiguous, expand, narrow, reshape, squeeze, transpose, unsqueeze } from "../ops/views.js";
import type { Generator } from "../random/generator.js";
import { bernoulli_ } from "../random/sampling.js";
import { Tensor } from "../tensor.js";

const c = (v: number, like: Exp): Exp => konst(v, like.dtype);
const shapeEq = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
const numelOf = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
}

function requireFloat(op: string, x: Tensor): void {
  if (!(x instanceof Tensor)) throw new DTypeError(op, `expected a Tensor, got ${x === null ? "null" : typeof x}`);
  if (!isFloating(x.dtype))
    throw new DTypeError(op, `expected a floating point tensor, got ${x.dtype} (shape ${fmtShape(x.shape)})`);
}

/**
 * Row vectors of ones for the matmuls below: one fill serves every length up to the longest asked
 * for so far (a narrow of it), instead of a fill per sum.
 */
class OnesRows {
  private t: Tensor | null = null;
  constructor(private readonly like: Tensor) {}
  get(k: number): Tensor {
    if (!this.t || (this.t.shape[1] as number) < k)
      this.t = ones([1, Math.max(k, 16)], { dtype: this.like.dtype, device: this.like.device });
    return (this.t.shape[1] as number) === k ? this.t : narrow(this.t, 1, 0, k);
  }
}

/** Σ over the rows of [k, m] → [m], sequential in row order from 0 (a matmul by ones: sequential over k). */
function seqSum(rows: Tensor, ones1?: OnesRows): Tensor {
  const [k, m] = rows.shape as [number, number];
  if (k === 0) return zeros([m], { dtype: rows.dtype, device: rows.device });
  const o = ones1 ? ones1.get(k) : ones([1, k], { dtype: rows.dtype, device: rows.device });
  return reshape(matmul(o, rows), [m]);
}
/**
 * seqSum of rows that are themselves sums from 0 (matmul results: never −0), or null for no rows
 * (a sum of none adds +0, which changes no such value). One row is its own sum: 0 + 1·x = x.
 */
function seqSumOfSums(rows: Tensor, ones1: OnesRows): Tensor | null {
  const k = rows.shape[0] as number;
  if (k === 0) return null;
  if (k === 1) return reshape(rows, [rows.shape[1] as number]);
  return seqSum(rows, ones1);
}
/** Sequential sums of consecutive groups of `size` rows of [g·size, m] → [g, m]. */
function groupSums(rows: Tensor, size: number, ones1: OnesRows): Tensor {
  const [n, m] = rows.shape as [number, number];
  const g = n / size;
  if (g === 0) return zeros([0, m], { dtype: rows.dtype, device: rows.device });
  return reshape(matmul(ones1.get(size), reshape(rows, [g, size, m])), [g, m]);
}
/** PyTorch's utils::CeilLog2. */
const ceilLog2 = (x: number): number => (x <= 2 ? 1 : 32 - Math.clz32(x - 1));

/**
 * PyTorch's multi_row_sum (aten/src/ATen/native/cpu/SumKernel.cpp) down the rows of [n, m]: rows
 * are summed sequentially in chunks of S = 2^max(4, ⌊ceil_log2(n)/4⌋); chunk sums accumulate in a
 * level-1 accumulator that is flushed into level 2 every S chunks, level 2 into level 3 every S²;
 * the leftover rows, then levels 1, 2, 3 are added at the end (n ≥ 1).
 *
 * Every partial result is a matmul's sum from +0, so never −0: accumulators that received nothing
 * (+0) are left out of the final additions (x + 0 = x for every such x), and a level holding one
 * row is that row.
 */
function cascadeRows(a: Tensor, ones1 = new OnesRows(a)): Tensor {
  const n = a.shape[0] as number;
  const s = 1 << Math.max(4, Math.floor(ceilLog2(n) / 4));
  const full = Math.floor(n / s);
  const chunks = groupSums(narrow(a, 0, 0, full * s), s, ones1);
  const g1 = Math.floor(full / s);
  const level1 = groupSums(narrow(chunks, 0, 0, g1 * s), s, ones1);
  const acc1 = seqSumOfSums(narrow(chunks, 0, g1 * s, full - g1 * s), ones1);
  const g2 = Math.floor(g1 / s);
  const level2 = groupSums(narrow(level1, 0, 0, g2 * s), s, ones1);
  const acc2 = seqSumOfSums(narrow(level1, 0, g2 * s, g1 - g2 * s), ones1);
  const acc3 = seqSumOfSums(level2, ones1);
  const acc0 = n - full * s > 0 ? seqSum(narrow(a, 0, full * s, n - full * s), ones1) : null;
  let total: Tensor | null = null;
  for (const part of [acc0, acc1, acc2, acc3]) if (part) total = total ? add(total, part) : part;
  return total ?? zeros([a.shape[1] as number], { dtype: a.dtype, device: a.device });
}
/**
 * PyTorch's row_sum: four interleaved cascades (rows ≡ k mod 4), the leftover rows added to the
 * first, then summed in order. The four cascades run as one, over [n/4, 4·m] (lane k's columns are
 * k·m … k·m + m − 1): each column's cascade is independent of the others.
 */
function cascadeRowsIlp4(a: Tensor, ones1 = new OnesRows(a)): Tensor {
  const [n, m] = a.shape as [number, number];
  const q = Math.floor(n / 4);
  const partial =
    q > 0
      ? reshape(cascadeRows(reshape(narrow(a, 0, 0, q * 4), [q, 4 * m]), ones1), [4, m])
      : zeros([4, m], { dtype: a.dtype, device: a.device });
  const rest = narrow(a, 0, q * 4, n - q * 4);
  // (((p0 + p1) + p2) + p3) is seqSum's order once p0 is a sum from 0 (0 + p0 = p0), where the
  // matmul accumulates in the dtype itself (16-bit floats accumulate in float32, rounding once)
  const wide = a.dtype === "float32" || a.dtype === "float64";
  if (rest.shape[0] === 0 && wide) return seqSum(partial, ones1);
  const p0 = rest.shape[0] ? seqSum(cat([narrow(partial, 0, 0, 1), rest], 0), ones1) : partial.select(0, 0);
  return add(add(add(p0, partial.select(0, 1)), partial.select(0, 2)), partial.select(0, 3));
}

/**
 * Σ along the last dim of [R, S] (each row contiguous) in PyTorch's order (cascade_sum's contiguous
 * inner reduction): with S ≥ V (8 float32, 4 float64) lane L of V sums x[V·i + L] with the 4-way
 * interleaved cascade, then the S mod V tail elements and the V lane sums are added in order to 0;
 * shorter rows take the scalar 4-way interleaved cascade.
 */
export function torchRowSums(x: Tensor): Tensor {
  return tidy(() => rowSumsImpl(x));
}
function rowSumsImpl(x: Tensor): Tensor {
  const [r, n] = x.shape as [number, number];
  const c = x.isContiguous() ? x : contiguous(x);
  const v = x.dtype === "float64" ? 4 : 8;
  if (n < v) return add(cascadeRowsIlp4(transpose(c, 0, 1)), 0);
  const vs = Math.floor(n / v);
  // [R, vs, V] → [vs, R·V]: every (row, lane) a column of the cascade
  const lanes = reshape(cascadeRowsIlp4(reshape(transpose(reshape(narrow(c, 1, 0, vs * v), [r, vs, v]), 0, 1), [vs, r * v])), [
    r,
    v,
  ]);
  const tail = narrow(c, 1, vs * v, n - vs * v);
  const terms = cat([tail, lanes], 1);
  return reshape(matmul(terms, ones([terms.shape[1] as number, 1], { dtype: x.dtype, device: x.device })), [r]);
}

/** Σ of a contiguous 1-D float tensor in PyTorch's order (torchRowSums of one row). */
export function torchVectorSum(x: Tensor): Tensor {
  return reshape(torchRowSums(reshape(x, [1, -1])), []);
}

/**
 * Σ over the rows of a 2-D tensor [n, m] → [m] in PyTorch's order for a contiguous outer-dim
 * float sum (cascade_sum): columns in blocks of 4 vectors (4·8 float32, 4·4 float64; 4 columns when
 * m is below one vector) take the plain cascade, the remaining columns the 4-way interleaved one.
 * (PyTorch runs single-threaded here; more threads split the rows differently.)
 */
export function torchColumnSums(g: Tensor): Tensor {
  return tidy(() => columnSumsImpl(g));
}
function columnSumsImpl(g: Tensor): Tensor {
  const [n, m] = g.shape as [number, number];
  const x = g.isContiguous() ? g : contiguous(g);
  if (n === 0) return zeros([m], { dtype: g.dtype, device: g.device });
  if (m === 1) return reshape(torchVectorSum(reshape(x, [n])), [1]);
  const v = g.dtype === "float64" ? 4 : 8;
  const plain = m >= v ? 4 * v * Math.floor(m / (4 * v)) : 4 * Math.floor(m / 4);
  const ones1 = new OnesRows(x);
  const parts: Tensor[] = [];
  if (plain > 0) parts.push(cascadeRows(narrow(x, 1, 0, plain), ones1));
  if (plain < m) parts.push(cascadeRowsIlp4(narrow(x, 1, plain, m - plain), ones1));
  // PyTorch's output starts at 0 and the sum is added to it: 0 + s = s here, as the cascades'
  // sums start from +0 themselves (never −0)
  return parts.length === 1 ? (parts[0] as Tensor) : cat(parts, 0);
}

// ---------------------------------------------------------------- linear

/** torch.nn.functional.linear: y = x·Wᵀ + b, x [..., in], W [out, in], b [out]. */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (autocastActive()) return autocastOp("linear", linear, input, weight, bias);
  const op = "linear";
  requireFloat(op, input);
  if (weight.dtype !== input.dtype || (bias && bias.dtype !== input.dtype))
    throw new DTypeError(
      op,
      `expected input, weight and bias of the same dtype, got ${input.dtype}, ${weight.dtype}${bias ? `, ${bias.dtype}` : ""}`,
    );
  if (weight.ndim !== 2 && weight.ndim !== 1)
    throw new ShapeError(op, `weight must be 1-D or 2-D, got shape ${fmtShape(weight.shape)}`);
  const k = input.shape[input.ndim - 1];
  if (input.ndim === 0 || k !== weight.shape[weight.ndim - 1]) {
    const rows = input.ndim <= 1 ? 1 : numelOf(input.shape.slice(0, -1));
    throw new ShapeError(
      op,
      `mat1 and mat2 shapes cannot be multiplied (${rows}x${k ?? 1} and ${weight.shape[weight.ndim - 1]}x${weight.ndim === 2 ? weight.shape[0] : 1})`,
    );
  }
  if (weight.ndim === 1 || input.ndim < 2) {
    const y = matmul(input, weight.ndim === 2 ? transpose(weight, 0, 1) : weight);
    return bias ? add(y, bias) : y;
  }
  const outF = weight.shape[0] as number;
  if (bias && (bias.ndim > 1 || (bias.ndim === 1 && bias.shape[0] !== outF && bias.shape[0] !== 1)))
    throw new ShapeError(op, `bias of shape ${fmtShape(bias.shape)} does not match out_features ${outF}`);
  const lead = input.shape.slice(0, -1);
  const x2 = reshape(input, [-1, k as number]);
  // One node (PyTorch's AddmmBackward0 / MmBackward0): forward x·Wᵀ then + b, in that order.
  // 16-bit floats: the product is accumulated in float32, the bias added in float32 and the sum
  // rounded once, as PyTorch's addmm (products of two 16-bit floats are exact in float32).
  const low = input.dtype === "bfloat16" || input.dtype === "float16";
  const y2 = noGrad(() =>
    tidy(() => {
      const p = low ? matmul(to(x2, "float32"), to(transpose(weight, 0, 1), "float32")) : matmul(x2, transpose(weight, 0, 1));
      const s = bias ? add(p, low ? to(bias, "float32") : bias) : p;
      return low ? to(s, input.dtype) : s;
    }),
  );
  attachGrad(bias ? "AddmmBackward0" : "MmBackward0", [x2, weight, bias], [y2], [x2, weight], ([g], [sx, sw]) => {
    const gg = g as Tensor;
    return [
      x2.requiresGrad ? matmul(gg, sw as Tensor) : null,
      weight.requiresGrad ? matmul(transpose(gg, 0, 1), sx as Tensor) : null,
      bias?.requiresGrad
        ? reshape(low ? to(torchColumnSums(to(gg, "float32")), gg.dtype) : torchColumnSums(gg), [...bias.shape])
        : null,
    ];
  });
  return reshape(y2, [...lead, outF]);
}

/** torch.nn.functional.bilinear: y[n, o] = Σ_ij x1[n, i]·W[o, i, j]·x2[n, j] + b[o]. */
export function bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const op = "bilinear";
  requireFloat(op, input1);
  if (weight.ndim !== 3) throw new ShapeError(op, `weight must be 3-D [out, in1, in2], got ${fmtShape(weight.shape)}`);
  const [outF, in1, in2] = weight.shape as [number, number, number];
  if (input1.shape[input1.ndim - 1] !== in1 || input2.shape[input2.ndim - 1] !== in2)
    throw new ShapeError(
      op,
      `input1 ${fmtShape(input1.shape)} and input2 ${fmtShape(input2.shape)} do not match weight ${fmtShape(weight.shape)}`,
    );
  if (!shapeEq(input1.shape.slice(0, -1), input2.shape.slice(0, -1)))
    throw new ShapeError(
      op,
      `input1 ${fmtShape(input1.shape)} and input2 ${fmtShape(input2.shape)} must have the same batch dims`,
    );
  const lead = input1.shape.slice(0, -1);
  const a = reshape(input1, [-1, in1]);
  const b = reshape(input2, [-1, in2]);
  // t[o, n, j] = Σ_i a[n, i]·W[o, i, j]; y[n, o] = Σ_j t[o, n, j]·b[n, j]
  const t = matmul(unsqueeze(a, 0), weight);
  let y = transpose(sum(mul(t, unsqueeze(b, 0)), -1), 0, 1);
  if (bias) y = addRowBias(y, bias);
  return reshape(y, [...lead, outF]);
}

/** y [R, O] + bias [O]; the bias gradient is the column sum in PyTorch's cascade order (as autograd's sum_to_size). */
function addRowBias(y: Tensor, bias: Tensor): Tensor {
  const out = noGrad(() => add(y, bias));
  attachGrad("AddBackward0", [y, bias], [out], [], ([g]) => {
    const gg = g as Tensor;
    return [gg, reshape(torchColumnSums(contiguous(gg)), [...bias.shape])];
  });
  return out;
}

// ---------------------------------------------------------------- normalisation

/**
 * torch.nn.functional.layer_norm over the trailing `normalizedShape` dims (biased variance), as
 * PyTorch 1.13's CPU kernel (layer_norm_kernel.cpp): the row statistics by RowwiseMoments
 * (rowwiseMoments below), rstd = 1 / sqrt(var + eps), y = fma(fma(x, rstd, −rstd·mean), γ, β);
 * the backward is its LayerNormBackwardKernel (layerNormBackward).
 */
export function layerNorm(
  input: Tensor,
  normalizedShape: number | readonly number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  const op = "layer_norm";
  requireFloat(op, input);
  const ns = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
  const tail = input.shape.slice(input.ndim - ns.length);
  if (ns.length === 0 || input.ndim < ns.length || !shapeEq(tail, ns))
    throw new ShapeError(
      op,
      `Given normalized_shape=${fmtShape(ns)}, expected input with shape [*, ${ns.join(", ")}], but got input of size ${fmtShape(input.shape)}`,
    );
  for (const [name, p] of [
    ["weight", weight],
    ["bias", bias],
  ] as const)
    if (p && !shapeEq(p.shape, ns))
      throw new ShapeError(op, `expected ${name} of shape ${fmtShape(ns)}, got ${fmtShape(p.shape)}`);
  const dtype = input.dtype;
  const cd = opmath(dtype);
  const n = numelOf(ns);
  const m = input.numel() / Math.max(n, 1);
  const epsT = cd === "float64" ? eps : Math.fround(eps);
  const x = noGrad(() => reshape(contiguous(to(input, cd)), [m, n]));
  const g = weight ? noGrad(() => reshape(to(weight, cd), [n])) : null;
  const b = bias ? noGrad(() => reshape(to(bias, cd), [n])) : null;
  const { meanR, rstdR, y } = noGrad(() =>
    tidy(() => {
      const { mean: mu, variance } = rowwiseMoments(x);
      const rstd = div(1, sqrt(add(variance, epsT)));
      const shift = mul(neg(rstd), mu);
      let out = fusedMulAdd(x, unsqueeze(rstd, 1), unsqueeze(shift, 1));
      if (g || b) out = fusedMulAdd(out, g ?? 1, b ?? 0);
      return { meanR: mu, rstdR: rstd, y: to(reshape(out, [...input.shape]), dtype) };
    }),
  );
  attachGrad("NativeLayerNormBackward0", [input, weight, bias], [y], [x, meanR, rstdR], ([gy], [sx, sm, sr]) => {
    const dy = reshape(contiguous(to(gy as Tensor, cd)), [m, n]);
    const [dx, dg, db] = tidy(() =>
      layerNormBackward(dy, sx as Tensor, sm as Tensor, sr as Tensor, g, [
        input.requiresGrad,
        weight?.requiresGrad === true,
        bias?.requiresGrad === true,
      ]),
    );
    return [
      dx && to(reshape(dx, [...input.shape]), dtype),
      dg && weight && to(reshape(dg, [...weight.shape]), weight.dtype),
      db && bias && to(reshape(db, [...bias.shape]), bias.dtype),
    ];
  });
  return y;
}

/**
 * PyTorch's RowwiseMoments (aten/src/ATen/native/cpu/moments_utils.h) for each row of x [M, N]:
 * Welford over V-lane vectors (8 float32, 4 float64) in chunks of 16 vectors, the chunk moments
 * merged in a binary cascade (AddMomentsVec), then the N mod V tail elements by scalar Welford and
 * the V lane moments merged in lane order (AddMoments); var = m2 / N. On Debian's build none of
 * these multiply-adds is contracted (measured), so every operation rounds.
 */
export function rowwiseMoments(x: Tensor): { mean: Tensor; variance: Tensor } {
  const dt = x.dtype;
  const [rows, len] = x.shape as [number, number];
  const r = (v: number): number => (dt === "float64" ? v : Math.fround(v));
  const v = VEC(dt);
  const nv = Math.floor(len / v);
  const chunks = Math.ceil(nv / 16);
  const depth = ceilLog2(chunks);
  const zerosV = (): Tensor => zeros([rows, v], { dtype: dt, device: x.device });
  const m0s: number[] = Array(depth).fill(0);
  const m1s: Tensor[] = Array.from({ length: depth }, zerosV);
  const m2s: Tensor[] = Array.from({ length: depth }, zerosV);
  // AddMoments(m0_add, m1_add, m2_add, m0, m1, m2): c = m0_add / n, delta = m1_add − m1,
  // m1 += c·delta, m2 += m2_add + delta·delta·c·m0
  const merge = (m0a: number, m1a: Tensor, m2a: Tensor, m0: number, m1: Tensor, m2: Tensor): [number, Tensor, Tensor] => {
    const total = m0 + m0a;
    const c = total === 0 ? 0 : r(r(m0a) / r(total));
    const delta = sub(m1a, m1);
    const m1n = add(m1, mul(delta, c));
    const m2n = add(m2, add(m2a, mul(mul(mul(delta, delta), c), r(m0))));
    return [total, m1n, m2n];
  };
  const mergeInto = (m0a: number, m1a: Tensor, m2a: Tensor, k: number): void => {
    [m0s[k], m1s[k], m2s[k]] = merge(m0a, m1a, m2a, m0s[k] as number, m1s[k] as Tensor, m2s[k] as Tensor);
  };
  for (let i = 0; i < chunks; i++) {
    const count = Math.min(16, nv - i * 16);
    let m1 = zerosV();
    let m2 = zerosV();
    for (let j = 0; j < count; j++) {
      const xv = narrow(x, 1, (i * 16 + j) * v, v);
      const delta = sub(xv, m1);
      m1 = add(m1, mul(delta, r(1 / (j + 1))));
      m2 = add(m2, mul(delta, sub(xv, m1)));
    }
    mergeInto(count, m1, m2, 0);
    let mask = i + 1;
    for (let j = 1; j < depth && (mask & 1) === 0; j++) {
      mergeInto(m0s[j - 1] as number, m1s[j - 1] as Tensor, m2s[j - 1] as Tensor, j);
      m0s[j - 1] = 0;
      m1s[j - 1] = zerosV();
      m2s[j - 1] = zerosV();
      mask >>= 1;
    }
  }
  for (let i = 1; i < depth; i++) mergeInto(m0s[i] as number, m1s[i] as Tensor, m2s[i] as Tensor, 0);
  let m0 = 0;
  let m1 = zeros([rows], { dtype: dt, device: x.device });
  let m2 = zeros([rows], { dtype: dt, device: x.device });
  for (let i = nv * v; i < len; i++) {
    const xi = x.select(1, i);
    const delta = sub(xi, m1);
    m0++;
    m1 = add(m1, div(delta, m0));
    m2 = add(m2, mul(delta, sub(xi, m1)));
  }
  for (let lane = 0; lane < v; lane++)
    [m0, m1, m2] = merge(nv, (m1s[0] as Tensor).select(1, lane), (m2s[0] as Tensor).select(1, lane), m0, m1, m2);
  return { mean: m1, variance: div(m2, len) };
}

/** LayerNormBackwardKernel (one thread): [dx, dgamma, dbeta] for dy, x [M, N], mean/rstd [M], gamma [N]. */
function layerNormBackward(
  dy: Tensor,
  x: Tensor,
  mean: Tensor,
  rstd: Tensor,
  gamma: Tensor | null,
  [needX, needG, needB]: boolean[],
): (Tensor | null)[] {
  const dt = x.dtype;
  const [rows, len] = x.shape as [number, number];
  const r = (v: number): number => (dt === "float64" ? v : Math.fround(v));
  let dg: Tensor | null = null;
  if (needG) {
    // dgamma[j] = fma(dy[i, j], fma(a_i, x[i, j], b_i), dgamma[j]) over the rows in order; a = rstd, b = −a·mean
    const bRow = mul(neg(rstd), mean);
    dg = zeros([len], { dtype: dt, device: x.device });
    for (let i = 0; i < rows; i++)
      dg = fusedMulAdd(dy.select(0, i), fusedMulAdd(x.select(0, i), rstd.select(0, i), bRow.select(0, i)), dg);
  }
  const db = needB ? seqSum(dy) : null;
  let dx: Tensor | null = null;
  if (needX) {
    const gx = gamma ? expand(unsqueeze(gamma, 0), [rows, len]) : null;
    // ds = Σ dy·x·γ, db = Σ dy·γ per row (vectorised reductions, accumulation fused)
    const ds = gx ? rowReduceAll(mul(dy, x), gx) : rowReduceAll(dy, x);
    const dbs = gx ? rowReduceAll(dy, gx) : rowReduceAll(dy);
    const scale = r(1 / len);
    const a = rstd;
    // b = (db·mean − ds)·a·a·a·scale (first multiply-subtract fused); c = −b·mean − db·a·scale (fused)
    const bq = mul(mul(mul(mul(fusedMulAdd(dbs, mean, neg(ds)), a), a), a), scale);
    const cq = fusedMulAdd(neg(bq), mean, neg(mul(mul(dbs, a), scale)));
    // dx = a·dy·γ + b·x + c, as fma(b, x, a·dy·γ) + c
    let ady = mul(unsqueeze(a, 1), dy);
    if (gx) ady = mul(ady, gx);
    dx = add(fusedMulAdd(unsqueeze(bq, 1), x, ady), unsqueeze(cq, 1));
  }
  return [dx, dg, db];
}

/**
 * torch.nn.functional.group_norm: input [N, C, *], statistics over each of numGroups channel groups.
 * Forward as PyTorch 1.13's CPU kernel: RowwiseMoments per (sample, group), rstd = 1 / sqrt(max(var, 0)
 * + eps); with an affine: scale = rstd·γ, bias = −scale·mean + β, y = fma(x, scale, bias); without:
 * y = (x − mean)·rstd. The backward is PyTorch's formula (per-channel Σdy·x, Σdy; per group their
 * γ-weighted sums; dx = c1·dy + c2·x + c3) with lockstep's reduction order.
 */
export function groupNorm(input: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const op = "group_norm";
  requireFloat(op, input);
  if (input.ndim < 2) throw new ShapeError(op, `expected an input with at least 2 dims [N, C, *], got ${fmtShape(input.shape)}`);
  const [n, ch] = input.shape as [number, number];
  if (!Number.isInteger(numGroups) || numGroups < 1 || ch % numGroups !== 0)
    throw new ShapeError(
      op,
      `Expected number of channels in input to be divisible by num_groups, but got input of shape ${fmtShape(input.shape)} and num_groups=${numGroups}`,
    );
  for (const [name, p] of [
    ["weight", weight],
    ["bias", bias],
  ] as const)
    if (p && (p.ndim !== 1 || p.shape[0] !== ch))
      throw new ShapeError(op, `expected ${name} of shape [${ch}], got ${fmtShape(p.shape)}`);
  const dtype = input.dtype;
  const cd = opmath(dtype);
  const g = numGroups;
  const d = ch / g;
  const hw = input.numel() / Math.max(n * ch, 1);
  const x4 = noGrad(() => reshape(contiguous(to(input, cd)), [n, g, d, hw]));
  const gam = weight ? noGrad(() => reshape(to(weight, cd), [1, g, d, 1])) : null;
  const bet = bias ? noGrad(() => reshape(to(bias, cd), [1, g, d, 1])) : null;
  const { mu, rstd, y } = noGrad(() =>
    tidy(() => {
      const { mean: m, variance } = rowwiseMoments(reshape(x4, [n * g, d * hw]));
      const r = div(1, sqrt(add(clampMin(variance, 0), cd === "float64" ? eps : Math.fround(eps))));
      const m4 = reshape(m, [n, g, 1, 1]);
      const r4 = reshape(r, [n, g, 1, 1]);
      let out: Tensor;
      if (!gam && !bet) out = mul(sub(x4, m4), r4);
      else {
        const scale = gam ? mul(r4, gam) : expand(r4, [n, g, d, 1]);
        const shift = add(mul(neg(scale), m4), bet ?? 0);
        out = fusedMulAdd(x4, scale, shift);
      }
      return { mu: m4, rstd: r4, y: to(reshape(out, [...input.shape]), dtype) };
    }),
  );
  attachGrad("NativeGroupNormBackward0", [input, weight, bias], [y], [x4, mu, rstd], ([gy], [sx, sm, sr]) => {
    const dy = reshape(contiguous(to(gy as Tensor, cd)), [n, g, d, hw]);
    const xx = sx as Tensor;
    const m4 = sm as Tensor;
    const r4 = sr as Tensor;
    // per (sample, channel): ds = Σ dy·x, db = Σ dy
    const ds = sum(mul(dy, xx), [3], true);
    const db = sum(dy, [3], true);
    const gw = gam ?? 1;
    let dx: Tensor | null = null;
    if (input.requiresGrad) {
      const dsG = sum(mul(ds, gw), [2], true);
      const dbG = sum(mul(db, gw), [2], true);
      const s = 1 / (d * hw);
      const c2 = mul(mul(mul(mul(sub(mul(dbG, m4), dsG), r4), r4), r4), s);
      const c3 = sub(mul(neg(c2), m4), mul(mul(dbG, r4), s));
      const c1 = mul(r4, gw);
      dx = to(reshape(add(add(mul(c1, dy), mul(c2, xx)), c3), [...input.shape]), dtype);
    }
    const dgamma = weight?.requiresGrad ? to(reshape(sum(mul(sub(ds, mul(db, m4)), r4), [0]), [ch]), weight.dtype) : null;
    const dbeta = bias?.requiresGrad ? to(reshape(sum(db, [0]), [ch]), bias.dtype) : null;
    return [dx, dgamma, dbeta];
  });
  return y;
}

/**
 * torch.nn.functional.batch_norm over dim 1 of [N, C, *]. In training the batch statistics are used
 * and runningMean/runningVar (when given) are updated in place with `momentum`; otherwise the
 * running statistics normalise.
 *
 * Forward and backward are PyTorch 1.13's CPU kernels (aten/src/ATen/native/cpu/batch_norm_kernel.cpp,
 * AVX2 build, one thread) operation for operation; see batchNormStats / batchNormBackward. The
 * input is taken in its logical (contiguous) layout.
 */
export function batchNorm(
  input: Tensor,
  runningMean: Tensor | null | undefined,
  runningVar: Tensor | null | undefined,
  weight?: Tensor | null,
  bias?: Tensor | null,
  training = false,
  momentum = 0.1,
  eps = 1e-5,
): Tensor {
  const op = "batch_norm";
  requireFloat(op, input);
  if (input.ndim < 2) throw new ShapeError(op, `expected an input with at least 2 dims [N, C, *], got ${fmtShape(input.shape)}`);
  const ch = input.shape[1] as number;
  for (const [name, p] of [
    ["running_mean", runningMean],
    ["running_var", runningVar],
    ["weight", weight],
    ["bias", bias],
  ] as const)
    if (p && (p.ndim !== 1 || p.shape[0] !== ch))
      throw new ShapeError(op, `expected ${name} of shape [${ch}], got ${fmtShape(p.shape)}`);
  const count = input.numel() / ch;
  if (training && count <= 1)
    throw new ValueError(op, `Expected more than 1 value per channel when training, got input size ${fmtShape(input.shape)}`);
  if (!training && (!runningMean || !runningVar))
    throw new ValueError(op, "running_mean and running_var must be defined in evaluation mode");
  const dtype = input.dtype;
  const cd = opmath(dtype);
  const chShape = [1, ch, ...input.shape.slice(2).map(() => 1)];
  const x = noGrad(() => contiguous(to(input, cd)));
  const w = weight ? noGrad(() => to(weight, cd)) : null;
  const b = bias ? noGrad(() => to(bias, cd)) : null;
  let meanC: Tensor;
  let invstdC: Tensor;
  if (training) {
    const stats = noGrad(() => tidy(() => batchNormStats(x, eps)));
    meanC = stats.mean;
    invstdC = stats.invstd;
    if (runningMean || runningVar)
      noGrad(() =>
        tidy(() => {
          // momentum in the parameter dtype (float for float32), 1 − momentum in it too
          const f64 = cd === "float64";
          const m = f64 ? momentum : Math.fround(momentum);
          const keep = f64 ? 1 - m : Math.fround(1 - m);
          if (runningMean) {
            // running_mean = m·mean + (1 − m)·running_mean, in the parameter dtype
            runningMean.copy_(add(mul(stats.mean, m), mul(to(runningMean, cd), keep)));
          }
          if (runningVar) {
            // running_var = m·(var_sum / (n − 1)) + (1 − m)·running_var: var_sum / (n − 1) in the
            // dtype, then (float32) m·unbiased in float64 plus the float32 product, rounded once more
            const unbiased = to(div(stats.varSum, count - 1), "float64");
            runningVar.copy_(add(mul(unbiased, m), to(mul(to(runningVar, cd), keep), "float64")));
          }
        }),
      );
  } else {
    meanC = noGrad(() => to(runningMean as Tensor, cd));
    // invstd = 1 / sqrt(running_var + eps), in the dtype
    invstdC = noGrad(() => div(1, sqrt(add(to(runningVar as Tensor, cd), cd === "float64" ? eps : Math.fround(eps)))));
  }
  // y = x·alpha + beta with alpha = invstd·w, beta = b − mean·alpha, both multiply-adds fused (FMA)
  const y = noGrad(() =>
    tidy(() => {
      const alpha = w ? mul(invstdC, w) : invstdC;
      const beta = fusedMulAdd(neg(meanC), alpha, b ?? 0);
      return to(fusedMulAdd(x, reshape(alpha, chShape), reshape(beta, chShape)), dtype);
    }),
  );
  const saved = training ? [x, meanC, invstdC] : [x, meanC, to(runningVar as Tensor, cd)];
  attachGrad("NativeBatchNormBackward0", [input, weight, bias], [y], saved, ([g], [sx, sm, sv]) => {
    const [gx, gw, gb] = tidy(() =>
      batchNormBackward(to(g as Tensor, cd), sx as Tensor, w, sm as Tensor, sv as Tensor, training, eps, [
        input.requiresGrad,
        weight?.requiresGrad === true,
        bias?.requiresGrad === true,
      ]),
    );
    return [gx && to(gx, dtype), gw && weight && to(gw, weight.dtype), gb && bias && to(gb, bias.dtype)];
  });
  return y;
}

const VEC = (dt: DType): number => (dt === "float64" ? 4 : 8);

/**
 * PyTorch's batch_norm_cpu_collect_stats for x [N, C, *] (contiguous): mean, var_sum and invstd per channel.
 * - image size > 1 (contiguous kernel): per channel a sequential float64 sum of x; mean = sum / N
 *   rounded; var_sum = sequential float64 sum of the squares (x − mean)² (each rounded in the dtype);
 * - image size 1 ([N, C], the channels-last kernel): a sequential sum in the dtype over the rows,
 *   mean = float64(sum) / N rounded; var_sum = the chain buf = fma(x − mean, x − mean, buf) over the rows.
 * invstd = 1 / sqrt(float64(var_sum / N) + eps), var_sum / N in the dtype.
 */
function batchNormStats(x: Tensor, eps: number): { mean: Tensor; varSum: Tensor; invstd: Tensor } {
  const dt = x.dtype;
  const [n, ch] = x.shape as [number, number];
  const count = x.numel() / ch;
  let meanC: Tensor;
  let varSum: Tensor;
  if (count === n) {
    const x2 = reshape(x, [n, ch]);
    meanC = to(div(to(seqSum(x2), "float64"), count), dt);
    let buf = zeros([ch], { dtype: dt, device: x.device });
    for (let i = 0; i < n; i++) {
      const d = sub(x2.select(0, i), meanC);
      buf = fusedMulAdd(d, d, buf);
    }
    varSum = buf;
  } else {
    const xc = reshape(transpose(reshape(x, [n, ch, -1]), 0, 1), [ch, -1]);
    const ones64 = ones([count, 1], { dtype: "float64", device: x.device });
    meanC = reshape(to(div(matmul(to(xc, "float64"), ones64), count), dt), [ch]);
    const d = sub(xc, unsqueeze(meanC, 1));
    varSum = reshape(to(matmul(to(mul(d, d), "float64"), ones64), dt), [ch]);
  }
  const invstd = to(div(1, sqrt(add(to(div(varSum, count), "float64"), eps))), dt);
  return { mean: meanC, varSum, invstd };
}

/** vec_reduce_all over the lanes of acc [R, V]: float32 the AVX2 shuffle tree ((0+4)+(2+6)) + ((1+5)+(3+7)); float64 the lanes in order. */
function reduceLanes(acc: Tensor): Tensor {
  const v = acc.shape[1] as number;
  if (v === 8) {
    const perm = (p: number[]): Tensor => indexSelect(acc, 1, tensor(p, { dtype: "int64", device: acc.device }));
    let w = add(acc, perm([4, 5, 6, 7, 0, 1, 2, 3]));
    w = add(w, indexSelect(w, 1, tensor([2, 3, 0, 1, 6, 7, 4, 5], { dtype: "int64", device: acc.device })));
    w = add(w, indexSelect(w, 1, tensor([1, 0, 3, 2, 5, 4, 7, 6], { dtype: "int64", device: acc.device })));
    return w.select(1, 0);
  }
  let s = acc.select(1, 0);
  for (let i = 1; i < v; i++) s = add(s, acc.select(1, i));
  return s;
}

/**
 * vec::reduce_all (sum) over each row of [R, S] (dot: vec::map2_reduce_all of d·dy, whose vector
 * accumulation contracts to acc = fma(d, dy, acc)): rows shorter than a vector are summed in
 * order; otherwise per lane over the full vectors, the tail added to the first lanes, then the lanes.
 */
function rowReduceAll(v: Tensor, dy?: Tensor): Tensor {
  const [r, s] = v.shape as [number, number];
  const lanes = VEC(v.dtype);
  if (s < lanes) {
    const terms = dy ? mul(v, dy) : v;
    return reshape(matmul(terms, ones([s, 1], { dtype: v.dtype, device: v.device })), [r]);
  }
  const nb = Math.floor(s / lanes);
  const t = s - nb * lanes;
  const blocks = (z: Tensor): Tensor => reshape(narrow(z, 1, 0, nb * lanes), [r, nb, lanes]);
  let acc: Tensor;
  if (!dy) acc = reshape(matmul(ones([1, nb], { dtype: v.dtype, device: v.device }), blocks(v)), [r, lanes]);
  else {
    const bv = blocks(v);
    const bd = blocks(dy);
    acc = mul(bv.select(1, 0), bd.select(1, 0));
    for (let i = 1; i < nb; i++) acc = fusedMulAdd(bv.select(1, i), bd.select(1, i), acc);
  }
  if (t > 0) {
    const head = narrow(acc, 1, 0, t);
    const tv = narrow(v, 1, nb * lanes, t);
    const added = dy ? fusedMulAdd(tv, narrow(dy, 1, nb * lanes, t), head) : add(head, tv);
    acc = cat([added, narrow(acc, 1, t, lanes - t)], 1);
  }
  return reduceLanes(acc);
}

/** PyTorch's batch_norm backward (contiguous and channels-last kernels): [grad_input, grad_weight, grad_bias]. */
function batchNormBackward(
  g: Tensor,
  x: Tensor,
  w: Tensor | null,
  mean: Tensor,
  invstdOrVar: Tensor,
  train: boolean,
  eps: number,
  [needX, needW, needB]: boolean[],
): (Tensor | null)[] {
  const dt = x.dtype;
  const [n, ch] = x.shape as [number, number];
  const count = x.numel() / ch;
  const channelsLast = count === n;
  const chShape = [1, ch, ...x.shape.slice(2).map(() => 1)];
  const per = (t: Tensor): Tensor => reshape(t, chShape);
  // invstd: the saved one in training; in evaluation 1 / sqrt(running_var + eps) in float64
  const invstd = train ? invstdOrVar : to(div(1, sqrt(add(to(invstdOrVar, "float64"), eps))), dt);
  let sumD: Tensor; // Σ dy per channel, float64
  let dotD: Tensor; // Σ (x − mean)·dy per channel, float64
  let sumF: Tensor | null = null;
  if (channelsLast) {
    const x2 = reshape(x, [n, ch]);
    const g2 = reshape(g, [n, ch]);
    sumF = seqSum(g2);
    let dot = zeros([ch], { dtype: dt, device: x.device });
    for (let i = 0; i < n; i++) dot = fusedMulAdd(sub(x2.select(0, i), mean), g2.select(0, i), dot);
    sumD = to(sumF, "float64");
    dotD = to(dot, "float64");
  } else {
    const rows = (t: Tensor): Tensor => reshape(t, [n * ch, -1]);
    const xm = sub(reshape(x, [n, ch, -1]), reshape(mean, [1, ch, 1]));
    const sNC = reshape(rowReduceAll(rows(g)), [n, ch]);
    const dNC = reshape(rowReduceAll(rows(xm), rows(g)), [n, ch]);
    // per channel, the per-sample partial sums added in float64 in sample order
    sumD = seqSum(to(sNC, "float64"));
    dotD = seqSum(to(dNC, "float64"));
  }
  let gx: Tensor | null = null;
  if (needX) {
    const wv = w ?? ones([ch], { dtype: dt, device: x.device });
    if (train) {
      // k = dotp·invstd·invstd / N and grad_mean = sum / N in the dtype (sum / N in float64 for the contiguous kernel)
      const k = div(mul(mul(to(dotD, dt), invstd), invstd), count);
      const gradMean = channelsLast ? div(sumF as Tensor, count) : to(div(sumD, count), dt);
      // dx = (dy − grad_mean − (x − mean)·k)·invstd·w, the multiply-subtract fused
      const inner = fusedMulAdd(neg(sub(x, per(mean))), per(k), sub(g, per(gradMean)));
      gx = mul(mul(inner, per(invstd)), per(wv));
    } else gx = mul(mul(g, per(invstd)), per(wv));
  }
  const gw = needW ? to(mul(dotD, to(invstd, "float64")), dt) : null;
  const gb = needB ? to(sumD, dt) : null;
  return [gx, gw, gb];
}

// ---------------------------------------------------------------- embedding

export interface EmbeddingOptions {
  paddingIdx?: number | null;
  maxNorm?: number | null;
  normType?: number;
  scaleGradByFreq?: boolean;
  sparse?: boolean;
}

/** torch.nn.functional.embedding: rows of `weight` at integer `input`; paddingIdx rows get no gradient. */
export function embedding(input: Tensor, weight: Tensor, opts: EmbeddingOptions = {}): Tensor {
  const op = "embedding";
  if (input.dtype !== "int64" && input.dtype !== "int32")
    throw new DTypeError(
      op,
      `Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got ${input.dtype} instead`,
    );
  if (weight.ndim !== 2) throw new ShapeError(op, `'weight' must be 2-D, got ${fmtShape(weight.shape)}`);
  if (opts.sparse) throw new ValueError(op, "sparse gradients are not supported; use sparse: false");
  const [num, dim] = weight.shape as [number, number];
  let pad = opts.paddingIdx ?? null;
  if (pad !== null) {
    if (pad >= num || pad < -num) throw new ValueError(op, `Padding_idx must be within num_embeddings (got ${pad} for ${num})`);
    if (pad < 0) pad += num;
  }
  const idx = reshape(input, [-1]);
  if (opts.maxNorm !== undefined && opts.maxNorm !== null) embeddingRenorm_(weight, idx, opts.maxNorm, opts.normType ?? 2);
  const rows = noGrad(() => indexSelect(weight, 0, idx));
  attachGrad("EmbeddingBackward0", [weight], [rows], [idx], ([g], [si]) => {
    let gg = g as Tensor;
    const ix = si as Tensor;
    if (pad !== null) gg = where(unsqueeze(ne(ix, pad), 1), gg, 0);
    if (opts.scaleGradByFreq) return [embeddingBackwardByFreq(gg, ix, num, pad)];
    return [indexAdd(zeros([num, dim], { dtype: gg.dtype, device: gg.device }), 0, ix, gg)];
  });
  return reshape(rows, [...input.shape, dim]);
}

/**
 * embedding_dense_backward with scale_grad_by_freq: in index order, grad_weight[k] = fma(grad[i],
 * float(1 / count[k]), grad_weight[k]) (PyTorch's add_(grad[i], alpha = scale)). Not differentiable further.
 */
function embeddingBackwardByFreq(g: Tensor, ix: Tensor, num: number, pad: number | null): Tensor {
  return noGrad(() => {
    const idx = Array.from(ix.dataSync() as ArrayLike<number | bigint>, Number);
    const counts = new Map<number, number>();
    for (const k of idx) counts.set(k, (counts.get(k) ?? 0) + 1);
    const gw = zeros([num, g.shape[1] as number], { dtype: g.dtype, device: g.device });
    idx.forEach((k, i) => {
      if (k === pad) return;
      const row = narrow(gw, 0, k, 1);
      row.copy_(fusedMulAdd(narrow(g, 0, i, 1), Math.fround(1 / (counts.get(k) as number)), row));
    });
    return gw;
  });
}

/** torch.embedding_renorm_: rows referenced by idx with norm > maxNorm are scaled to maxNorm (in place, no grad). */
function embeddingRenorm_(weight: Tensor, idx: Tensor, maxNorm: number, normType: number): void {
  noGrad(() => {
    const seen = new Set<number>();
    const list: number[] = [];
    for (const v of Array.from(idx.dataSync() as ArrayLike<number | bigint>, Number))
      if (!seen.has(v)) {
        seen.add(v);
        list.push(v);
      }
    list.sort((a, b) => a - b);
    for (const r of list) {
      const row = narrow(weight, 0, r, 1);
      const norm = Number(row.norm(normType).itemSync());
      if (norm > maxNorm) row.mul_(maxNorm / (norm + 1e-7));
    }
  });
}

// ---------------------------------------------------------------- dropout

/** A fresh tensor of `shape` filled by bernoulli_(keep) from the random module (one 53-bit draw per element). */
function bernoulliMask(shape: number[], keep: number, like: Tensor, generator?: Generator | null): Tensor {
  return bernoulli_(zeros(shape, { dtype: like.dtype, device: like.device }), keep, { generator: generator ?? null });
}

export interface DropoutOptions {
  p?: number;
  training?: boolean;
  inplace?: boolean;
  /** lockstep extension: draw the mask from this torch.Generator instead of the global one. */
  generator?: Generator | null;
}

function dropoutArgs(op: string, p: number | DropoutOptions | undefined, training?: boolean, inplace?: boolean) {
  const o: DropoutOptions = typeof p === "object" && p !== null ? p : { p: p as number | undefined, training, inplace };
  const prob = o.p ?? 0.5;
  if (!(prob >= 0 && prob <= 1)) throw new ValueError(op, `dropout probability has to be between 0 and 1, but got ${prob}`);
  return { p: prob, training: o.training ?? true, inplace: o.inplace ?? false, generator: o.generator };
}

/** PyTorch's _dropout: noise = bernoulli_(1 − p) / (1 − p), output = input · noise. */
function applyDropout(op: string, input: Tensor, noiseShape: number[], o: ReturnType<typeof dropoutArgs>): Tensor {
  requireFloat(op, input);
  if (o.p === 0 || !o.training || input.numel() === 0) return input;
  let result: Tensor;
  if (o.p === 1) result = mul(input, zeros([], { dtype: input.dtype, device: input.device }));
  else {
    const noise = noGrad(() => bernoulliMask(noiseShape, 1 - o.p, input, o.generator).div_(1 - o.p));
    result = mul(input, noise);
  }
  return o.inplace ? input.copy_(result) : result;
}

/** torch.nn.functional.dropout(input, p = 0.5, training = true, inplace = false), or an options object. */
export function dropout(input: Tensor, p?: number | DropoutOptions, training?: boolean, inplace?: boolean): Tensor {
  const o = dropoutArgs("dropout", p, training, inplace);
  return applyDropout("dropout", input, [...input.shape], o);
}

/** torch.nn.functional.dropout2d: whole channels zeroed; [N, C, H, W] (a 3-D input is [N, C, L], as PyTorch 1.13). */
export function dropout2d(input: Tensor, p?: number | DropoutOptions, training?: boolean, inplace?: boolean): Tensor {
  const o = dropoutArgs("dropout2d", p, training, inplace);
  if (input.ndim < 2)
    throw new ShapeError(
      "dropout2d",
      `Feature dropout requires at least 2 dimensions in the input, got ${fmtShape(input.shape)}`,
    );
  const noiseShape = [input.shape[0] as number, input.shape[1] as number, ...input.shape.slice(2).map(() => 1)];
  return applyDropout("dropout2d", input, noiseShape, o);
}

/** torch.nn.functional.dropout1d: whole channels of [N, C, L] (or [C, L]) zeroed. */
export function dropout1d(input: Tensor, p?: number | DropoutOptions, training?: boolean, inplace?: boolean): Tensor {
  const o = dropoutArgs("dropout1d", p, training, inplace);
  if (input.ndim !== 2 && input.ndim !== 3)
    throw new ShapeError("dropout1d", `Expected 2D or 3D input, but received a ${input.ndim}D input`);
  const x = input.ndim === 2 ? unsqueeze(input, 0) : input;
  const y = applyDropout("dropout1d", x, [x.shape[0] as number, x.shape[1] as number, 1], { ...o, inplace: false });
  const out = input.ndim === 2 ? squeeze(y, 0) : y;
  return o.inplace && out !== input ? input.copy_(out) : out;
}

// ---------------------------------------------------------------- activations

function pointwise(
  op: string,
  input: Tensor,
  forward: (x: Exp) => Exp,
  node: string,
  backward: (g: Tensor, x: Tensor) => Tensor,
): Tensor {
  requireFloat(op, input);
  const y = elementwise(op, [input], input.dtype, opmath(input.dtype), ([v]) => forward(v as Exp));
  attachGrad(node, [input], [y], [input], ([g], [sx]) => [backward(g as Tensor, sx as Tensor)]);
  return y;
}

function binaryPointwise(op: string, g: Tensor, x: Tensor, f: (g: Exp, x: Exp) => Exp): Tensor {
  return elementwise(op, [g, x], g.dtype, opmath(g.dtype), ([a, b]) => f(a as Exp, b as Exp));
}

function inplaceResult(input: Tensor, y: Tensor, inplace: boolean): Tensor {
  return inplace ? input.copy_(y) : y;
}

/** torch.nn.functional.leaky_relu: x > 0 ? x : x·slope (slope rounded to the dtype). */
export function leakyRelu(input: Tensor, negativeSlope = 0.01, inplace = false): Tensor {
  const leaky = (x: Tensor): Tensor =>
    pointwise(
      "leaky_relu",
      x,
      (v) => select(bin("gt", v, c(0, v)), v, bin("mul", v, c(negativeSlope, v))),
      "LeakyReluBackward0",
      (g, sx) => leakyReluBackward(g, sx, negativeSlope),
    );
  return inplaceResult(input, leaky(input), inplace);
}
function leakyReluBackward(g: Tensor, x: Tensor, slope: number): Tensor {
  const y = binaryPointwise("leaky_relu_backward", g, x, (a, b) => select(bin("gt", b, c(0, b)), a, bin("mul", a, c(slope, a))));
  attachGrad("LeakyReluBackwardBackward0", [g], [y], [x], ([gg], [sx]) => [leakyReluBackward(gg as Tensor, sx as Tensor, slope)]);
  return y;
}

/** torch.nn.functional.elu: x > 0 ? x : (exp(x) − 1)·alpha (PyTorch 1.13's kernel). */
export function elu(input: Tensor, alpha = 1, inplace = false): Tensor {
  const y = pointwise(
    "elu",
    input,
    (v) => select(bin("gt", v, c(0, v)), v, bin("mul", bin("sub", un("exp", v), c(1, v)), c(alpha, v))),
    "EluBackward0",
    (g, sx) => eluBackward(g, sx, alpha),
  );
  return inplaceResult(input, y, inplace);
}
/** elu_backward (is_result = false): x > 0 ? g : g·alpha·exp(x), multiplied left to right. */
function eluBackward(g: Tensor, x: Tensor, alpha: number): Tensor {
  const y = binaryPointwise("elu_backward", g, x, (a, b) =>
    select(bin("gt", b, c(0, b)), a, bin("mul", bin("mul", a, c(alpha, a)), un("exp", b))),
  );
  attachGrad("EluBackwardBackward0", [g, x], [y], [g, x], ([gg], [sg, sx]) => {
    const gy = gg as Tensor;
    const neg = le0(sx as Tensor);
    return [
      where(neg, mul(mul(gy, alpha), exp(sx as Tensor)), gy),
      where(neg, mul(mul(mul(gy, sg as Tensor), alpha), exp(sx as Tensor)), 0),
    ];
  });
  return y;
}
const le0 = (x: Tensor): Tensor => elementwise("le", [x], "bool", x.dtype, ([v]) => bin("le", v as Exp, c(0, v as Exp)));

/** torch.nn.functional.hardtanh: clamp to [minVal, maxVal]; the gradient is 0 at and beyond the bounds (as PyTorch). */
export function hardtanh(input: Tensor, minVal = -1, maxVal = 1, inplace = false): Tensor {
  if (minVal > maxVal) throw new ValueError("hardtanh", `min_val cannot be greater than max_val (got ${minVal} > ${maxVal})`);
  const y = pointwise(
    "hardtanh",
    input,
    // clamp: NaN stays NaN
    (v) => select(bin("lt", v, c(minVal, v)), c(minVal, v), select(bin("gt", v, c(maxVal, v)), c(maxVal, v), v)),
    "HardtanhBackward0",
    (g, sx) => hardtanhBackward(g, sx, minVal, maxVal),
  );
  return inplaceResult(input, y, inplace);
}
/**
 * hardtanh_backward as PyTorch's vectorised loop: g where min < x < max, else 0 (so NaN inputs get
 * 0; PyTorch's scalar tail loop — the last n mod 8 elements of a contiguous run — passes g for NaN).
 */
function hardtanhBackward(g: Tensor, x: Tensor, lo: number, hi: number): Tensor {
  const y = binaryPointwise("hardtanh_backward", g, x, (a, b) =>
    select(bin("and", bin("gt", b, c(lo, b)), bin("lt", b, c(hi, b))), a, c(0, a)),
  );
  attachGrad("HardtanhBackwardBackward0", [g], [y], [x], ([gg], [sx]) => [hardtanhBackward(gg as Tensor, sx as Tensor, lo, hi)]);
  return y;
}

/** torch.nn.functional.relu6 = hardtanh(x, 0, 6). */
export const relu6 = (input: Tensor, inplace = false): Tensor => hardtanh(input, 0, 6, inplace);

/** torch.nn.functional.logsigmoid: min(x, 0) − log1p(exp(−|x|)). */
export function logsigmoid(input: Tensor): Tensor {
  requireFloat("log_sigmoid", input);
  return sub(minimum(input, zerosLike(input)), log1p(exp(neg(abs(input)))));
}

// ---------------------------------------------------------------- padding

export type PadMode = "constant" | "reflect" | "replicate" | "circular";

/**
 * torch.nn.functional.pad: `pad` lists (before, after) pairs from the last dim backwards; negative
 * values crop. constant mode fills with `value`; reflect/replicate/circular gather (their gradient
 * adds back in index order).
 */
export function pad(input: Tensor, padding: readonly number[], mode: PadMode = "constant", value = 0): Tensor {
  const op = "pad";
  if (padding.length % 2 !== 0) throw new ValueError(op, `Padding length must be divisible by 2, got ${padding.length}`);
  if (padding.length / 2 > input.ndim)
    throw new ValueError(op, `Padding length too large: ${padding.length} entries for a ${input.ndim}-D input`);
  let x = input;
  for (let i = 0; i < padding.length / 2; i++) {
    const d = input.ndim - 1 - i;
    const before = padding[2 * i] as number;
    const after = padding[2 * i + 1] as number;
    if (before === 0 && after === 0) continue;
    const n = x.shape[d] as number;
    if (mode === "constant") {
      // crop first (negative pads), then fill
      const lo = Math.max(0, -before);
      const hi = Math.max(0, -after);
      if (lo + hi > n)
        throw new ShapeError(op, `negative padding ${before}, ${after} removes more than the ${n} elements of dim ${d}`);
      if (lo || hi) x = narrow(x, d, lo, n - lo - hi);
      const parts: Tensor[] = [];
      const side = (k: number): Tensor => {
        const s = [...x.shape];
        s[d] = k;
        return full(s, value, { dtype: x.dtype, device: x.device });
      };
      if (before > 0) parts.push(side(before));
      parts.push(x);
      if (after > 0) parts.push(side(after));
      if (parts.length > 1) x = cat(parts, d);
      continue;
    }
    if (mode === "reflect" && (before >= n || after >= n))
      throw new ValueError(
        op,
        `Padding size should be less than the corresponding input dimension, but got: padding (${before}, ${after}) at dimension ${d} of input ${fmtShape(input.shape)}`,
      );
    if (mode === "circular" && (before > n || after > n))
      throw new ValueError(op, `Padding value causes wrapping around more than once (padding (${before}, ${after}), size ${n})`);
    const idx: number[] = [];
    for (let j = -before; j < n + after; j++) {
      let k: number;
      if (mode === "reflect") k = j < 0 ? -j : j >= n ? 2 * (n - 1) - j : j;
      else if (mode === "replicate") k = Math.min(Math.max(j, 0), n - 1);
      else if (mode === "circular") k = ((j % n) + n) % n;
      else throw new ValueError(op, `unsupported padding mode '${mode}' (constant, reflect, replicate, circular)`);
      idx.push(k);
    }
    x = indexSelect(x, d, tensor(idx, { dtype: "int64", device: x.device }));
  }
  return x === input ? input.clone() : x;
}

// ---------------------------------------------------------------- transposed convolution

export interface ConvTransposeOptions {
  stride?: SpatialSize;
  padding?: SpatialSize;
  outputPadding?: SpatialSize;
  groups?: number;
  dilation?: SpatialSize;
}

function perDim(op: string, name: string, v: SpatialSize | undefined, dims: number, dflt: number, min: number): number[] {
  const val = v ?? dflt;
  const list = typeof val === "number" ? Array(dims).fill(val) : val.length === 1 ? Array(dims).fill(val[0]) : [...val];
  if (list.length !== dims || list.some((d) => !Number.isInteger(d) || d < min))
    throw new ValueError(
      op,
      `${name} must be ${min > 0 ? "a positive" : "a non-negative"} integer or a list of ${dims} of them, got ${JSON.stringify(v)}`,
    );
  return list;
}

/**
 * The transposed convolution as a convolution: zeros inserted between input elements (stride),
 * padded by dilation·(k − 1) − padding on each side (+ outputPadding after), then a stride-1
 * convolution with the weight flipped and its in/out channels swapped per group.
 */
function convTransposeNd(
  op: string,
  spatial: 1 | 2,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  opts: ConvTransposeOptions,
): Tensor {
  requireFloat(op, input);
  const batched = input.ndim === spatial + 2;
  if (!batched && input.ndim !== spatial + 1)
    throw new ShapeError(
      op,
      `expected a ${spatial + 1}-D (unbatched) or ${spatial + 2}-D (batched) input, got ${fmtShape(input.shape)}`,
    );
  if (weight.ndim !== spatial + 2)
    throw new ShapeError(
      op,
      `expected ${spatial + 2}-D weight [in_channels, out_channels / groups, k...], got ${fmtShape(weight.shape)}`,
    );
  const x = batched ? input : unsqueeze(input, 0);
  const groups = opts.groups ?? 1;
  const stride = perDim(op, "stride", opts.stride, spatial, 1, 1);
  const padding = perDim(op, "padding", opts.padding, spatial, 0, 0);
  const outPad = perDim(op, "output_padding", opts.outputPadding, spatial, 0, 0);
  const dilation = perDim(op, "dilation", opts.dilation, spatial, 1, 1);
  outPad.forEach((p, i) => {
    if (p >= (stride[i] as number) && p >= (dilation[i] as number))
      throw new ValueError(
        op,
        `output padding must be smaller than either stride or dilation, got output_padding=${fmtShape(outPad)}, stride=${fmtShape(stride)}, dilation=${fmtShape(dilation)}`,
      );
  });
  const [inC, outCg] = weight.shape as [number, number];
  if (x.shape[1] !== inC)
    throw new ShapeError(
      op,
      `given transposed weight of size ${fmtShape(weight.shape)}, expected input ${fmtShape(input.shape)} to have ${inC} channels, but got ${x.shape[1]} channels instead`,
    );
  if (inC % groups !== 0) throw new ShapeError(op, `in_channels (${inC}) must be divisible by groups (${groups})`);
  const kernel = weight.shape.slice(2);
  // 1. zero insertion: [B, C, L] → [B, C, (L − 1)·s + 1] per spatial dim
  let z = x;
  for (let i = 0; i < spatial; i++) {
    const s = stride[i] as number;
    if (s === 1) continue;
    const d = 2 + i;
    const len = z.shape[d] as number;
    const u = unsqueeze(z, d + 1); // [..., L, 1, ...]
    const padList: number[] = Array(2 * (z.ndim - d - 1)).fill(0);
    padList.push(0, s - 1); // pads the new unit dim (counted from the end)
    const spread = pad(u, padList); // [..., L, s, ...]
    const merged = reshape(spread, [...z.shape.slice(0, d), len * s, ...z.shape.slice(d + 1)]);
    z = narrow(merged, d, 0, (len - 1) * s + 1);
  }
  // 2. padding (negative = crop)
  const padList: number[] = [];
  for (let i = spatial - 1; i >= 0; i--) {
    const p = (dilation[i] as number) * ((kernel[i] as number) - 1) - (padding[i] as number);
    padList.push(p, p + (outPad[i] as number));
  }
  z = pad(z, padList);
  // 3. weight [in, out/g, k...] → [out, in/g, k...], flipped
  const inG = inC / groups;
  const w5 = reshape(weight, [groups, inG, outCg, ...kernel]);
  const wT = reshape(transpose(w5, 1, 2), [groups * outCg, inG, ...kernel]);
  const wF = flip(wT, spatial === 1 ? [2] : [2, 3]);
  const conv = spatial === 1 ? conv1d : conv2d;
  const y = conv(z, wF, bias, { stride: 1, padding: 0, dilation, groups });
  return batched ? y : squeeze(y, 0);
}

/** torch.nn.functional.conv_transpose2d: input [B, C_in, H, W], weight [C_in, C_out / groups, kH, kW]. */
export function convTranspose2d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvTransposeOptions = {}): Tensor {
  return convTransposeNd("conv_transpose2d", 2, input, weight, bias ?? null, opts);
}
/** torch.nn.functional.conv_transpose1d: input [B, C_in, L], weight [C_in, C_out / groups, kL]. */
export function convTranspose1d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvTransposeOptions = {}): Tensor {
  return convTransposeNd("conv_transpose1d", 1, input, weight, bias ?? null, opts);
}

// ---------------------------------------------------------------- attention

/** A [L, L] float mask with −inf above the diagonal (PyTorch's Transformer.generate_square_subsequent_mask). */
export function generateSquareSubsequentMask(size: number, opts: { dtype?: DType; device?: string } = {}): Tensor {
  return triu(full([size, size], Number.NEGATIVE_INFINITY, { dtype: opts.dtype ?? "float32", device: opts.device }), 1);
}

/** A bool mask becomes a float one with −inf where true (MHA's conversion). */
function floatMask(mask: Tensor, dtype: DType): Tensor {
  if (mask.dtype === "bool")
    return maskedFill(zeros([...mask.shape], { dtype, device: mask.device }), mask, Number.NEGATIVE_INFINITY);
  if (mask.dtype === "uint8") return floatMask(mask.to("bool"), dtype);
  if (!isFloating(mask.dtype))
    throw new DTypeError("attention", `Only float, byte, and bool types are supported for attn_mask, not ${mask.dtype}`);
  return mask;
}

/**
 * PyTorch 1.13's attention core: softmax(q/√E · kᵀ + mask)·v with optional dropout on the weights.
 * q [B, L, E], k [B, S, E], v [B, S, Ev], mask float/bool broadcastable to [B, L, S]. Returns [out, weights].
 */
export function scaledDotProductAttentionWeights(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  attnMask?: Tensor | null,
  dropoutP = 0,
  generator?: Generator | null,
): [Tensor, Tensor] {
  const e = q.shape[q.ndim - 1] as number;
  const qs = div(q, Math.sqrt(e));
  let scores = matmul(qs, transpose(k, -2, -1));
  if (attnMask) scores = add(floatMask(attnMask, q.dtype), scores);
  let w = softmax(scores, -1);
  if (dropoutP > 0) w = dropout(w, { p: dropoutP, training: true, generator });
  return [matmul(w, v), w];
}

export interface SdpaOptions {
  attnMask?: Tensor | null;
  dropoutP?: number;
  isCausal?: boolean;
  /** Defaults to 1/√E. */
  scale?: number | null;
  generator?: Generator | null;
}

/**
 * torch.nn.functional.scaled_dot_product_attention (PyTorch 2.x's API, math path): softmax(q·kᵀ·scale + mask)·v.
 * A bool mask marks positions that take part (true = attend), as PyTorch 2.x.
 */
export function scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, opts: SdpaOptions = {}): Tensor {
  const l = query.shape[query.ndim - 2] as number;
  const s = key.shape[key.ndim - 2] as number;
  const e = query.shape[query.ndim - 1] as number;
  let mask: Tensor | null = null;
  if (opts.isCausal) {
    if (opts.attnMask) throw new ValueError("scaled_dot_product_attention", "attn_mask must be None when is_causal is true");
    mask = triu(full([l, s], Number.NEGATIVE_INFINITY, { dtype: query.dtype, device: query.device }), 1);
  } else if (opts.attnMask)
    mask = opts.attnMask.dtype === "bool" ? floatMask(opts.attnMask.logicalNot(), query.dtype) : opts.attnMask;
  const scale = opts.scale ?? 1 / Math.sqrt(e);
  let scores = mul(matmul(query, transpose(key, -2, -1)), scale);
  if (mask) scores = add(scores, mask);
  let w = softmax(scores, -1);
  if ((opts.dropoutP ?? 0) > 0) w = dropout(w, { p: opts.dropoutP, training: true, generator: opts.generator });
  return matmul(w, value);
}

export interface MhaForwardOptions {
  training?: boolean;
  keyPaddingMask?: Tensor | null;
  needWeights?: boolean;
  attnMask?: Tensor | null;
  useSeparateProjWeight?: boolean;
  qProjWeight?: Tensor | null;
  kProjWeight?: Tensor | null;
  vProjWeight?: Tensor | null;
  staticK?: Tensor | null;
  staticV?: Tensor | null;
  averageAttnWeights?: boolean;
  generator?: Generator | null;
}

/** torch.nn.functional.multi_head_attention_forward (PyTorch 1.13's math path); inputs [L, N, E] or unbatched [L, E]. */
export function multiHeadAttentionForward(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  embedDimToCheck: number,
  numHeads: number,
  inProjWeight: Tensor | null,
  inProjBias: Tensor | null,
  biasK: Tensor | null,
  biasV: Tensor | null,
  addZeroAttn: boolean,
  dropoutP: number,
  outProjWeight: Tensor,
  outProjBias: Tensor | null,
  opts: MhaForwardOptions = {},
): [Tensor, Tensor | null] {
  const op = "multi_head_attention_forward";
  const training = opts.training ?? true;
  const needWeights = opts.needWeights ?? true;
  const average = opts.averageAttnWeights ?? true;
  let keyPaddingMask = opts.keyPaddingMask ?? null;
  let attnMask = opts.attnMask ?? null;
  const batched = query.ndim === 3;
  if (!batched && query.ndim !== 2)
    throw new ShapeError(op, `query should be unbatched 2D or batched 3D tensor but received ${query.ndim}-D query tensor`);
  if (key.ndim !== query.ndim || value.ndim !== query.ndim)
    throw new ShapeError(
      op,
      `For ${batched ? "batched (3-D)" : "unbatched (2-D)"} \`query\`, expected \`key\` and \`value\` to be ${query.ndim}-D but found ${key.ndim}-D and ${value.ndim}-D tensors respectively`,
    );
  if (!batched) {
    query = unsqueeze(query, 1);
    key = unsqueeze(key, 1);
    value = unsqueeze(value, 1);
    if (keyPaddingMask) keyPaddingMask = unsqueeze(keyPaddingMask, 0);
  }
  const [tgtLen, bsz, embedDim] = query.shape as [number, number, number];
  if (embedDim !== embedDimToCheck)
    throw new ShapeError(op, `was expecting embedding dimension of ${embedDimToCheck}, but got ${embedDim}`);
  const headDim = Math.floor(embedDim / numHeads);
  if (headDim * numHeads !== embedDim) throw new ValueError(op, `embed_dim ${embedDim} not divisible by num_heads ${numHeads}`);
  // in-projection
  let q: Tensor;
  let k: Tensor;
  let v: Tensor;
  if (!opts.useSeparateProjWeight) {
    if (!inProjWeight) throw new ValueError(op, "use_separate_proj_weight is False but in_proj_weight is None");
    const [wq, wk, wv] = inProjWeight.chunk(3);
    const [bq, bk, bv] = inProjBias ? inProjBias.chunk(3) : [null, null, null];
    if (key === value && query === key) {
      [q, k, v] = linear(query, inProjWeight, inProjBias).chunk(3, -1) as [Tensor, Tensor, Tensor];
    } else if (key === value) {
      q = linear(query, wq as Tensor, bq);
      const wkv = cat([wk as Tensor, wv as Tensor], 0);
      const bkv = bk && bv ? cat([bk, bv], 0) : null;
      [k, v] = linear(key, wkv, bkv).chunk(2, -1) as [Tensor, Tensor];
    } else {
      q = linear(query, wq as Tensor, bq);
      k = linear(key, wk as Tensor, bk);
      v = linear(value, wv as Tensor, bv);
    }
  } else {
    if (!opts.qProjWeight || !opts.kProjWeight || !opts.vProjWeight)
      throw new ValueError(op, "use_separate_proj_weight is True but q_proj_weight, k_proj_weight or v_proj_weight is None");
    const [bq, bk, bv] = inProjBias ? inProjBias.chunk(3) : [null, null, null];
    q = linear(query, opts.qProjWeight, bq);
    k = linear(key, opts.kProjWeight, bk);
    v = linear(value, opts.vProjWeight, bv);
  }
  // masks
  if (attnMask) {
    if (attnMask.dtype === "uint8") attnMask = attnMask.to("bool");
    else if (!isFloating(attnMask.dtype) && attnMask.dtype !== "bool")
      throw new DTypeError(op, `Only float, byte, and bool types are supported for attn_mask, not ${attnMask.dtype}`);
    const srcLen0 = key.shape[0] as number;
    if (attnMask.ndim === 2) {
      if (!shapeEq(attnMask.shape, [tgtLen, srcLen0]))
        throw new ShapeError(
          op,
          `The shape of the 2D attn_mask is ${fmtShape(attnMask.shape)}, but should be ${fmtShape([tgtLen, srcLen0])}.`,
        );
      attnMask = unsqueeze(attnMask, 0);
    } else if (attnMask.ndim === 3) {
      if (!shapeEq(attnMask.shape, [bsz * numHeads, tgtLen, srcLen0]))
        throw new ShapeError(
          op,
          `The shape of the 3D attn_mask is ${fmtShape(attnMask.shape)}, but should be ${fmtShape([bsz * numHeads, tgtLen, srcLen0])}.`,
        );
    } else throw new ShapeError(op, `attn_mask's dimension ${attnMask.ndim} is not supported`);
  }
  if (biasK && biasV) {
    if (opts.staticK || opts.staticV) throw new ValueError(op, "bias cannot be added to static key/value.");
    k = cat([k, biasK.repeat(1, bsz, 1)]);
    v = cat([v, biasV.repeat(1, bsz, 1)]);
    if (attnMask) attnMask = pad(attnMask, [0, 1]);
    if (keyPaddingMask) keyPaddingMask = pad(keyPaddingMask, [0, 1]);
  }
  // [L, N, E] → [N·H, L, Dh]
  const heads = (t: Tensor): Tensor => transpose(reshape(contiguous(t), [t.shape[0] as number, bsz * numHeads, headDim]), 0, 1);
  q = heads(q);
  k = opts.staticK ?? heads(k);
  v = opts.staticV ?? heads(v);
  if (addZeroAttn) {
    const zshape = [bsz * numHeads, 1, headDim];
    k = cat([k, zeros(zshape, { dtype: k.dtype, device: k.device })], 1);
    v = cat([v, zeros(zshape, { dtype: v.dtype, device: v.device })], 1);
    if (attnMask) attnMask = pad(attnMask, [0, 1]);
    if (keyPaddingMask) keyPaddingMask = pad(keyPaddingMask, [0, 1]);
  }
  const srcLen = k.shape[1] as number;
  if (keyPaddingMask) {
    if (!shapeEq(keyPaddingMask.shape, [bsz, srcLen]))
      throw new ShapeError(
        op,
        `expecting key_padding_mask shape of ${fmtShape([bsz, srcLen])}, but got ${fmtShape(keyPaddingMask.shape)}`,
      );
    if (keyPaddingMask.dtype !== "bool" && !isFloating(keyPaddingMask.dtype))
      throw new DTypeError(op, "only bool and floating types of key_padding_mask are supported");
    const kpm = reshape(expand(reshape(keyPaddingMask, [bsz, 1, 1, srcLen]), [bsz, numHeads, 1, srcLen]), [
      bsz * numHeads,
      1,
      srcLen,
    ]);
    if (!attnMask) attnMask = kpm;
    else if (attnMask.dtype === "bool") attnMask = logicalOr(attnMask, kpm.dtype === "bool" ? kpm : ne(kpm, 0));
    else {
      // PyTorch's out-of-place masked_fill broadcasts self and mask together (core's does not: expand first)
      const m = kpm.dtype === "bool" ? kpm : ne(kpm, 0);
      const shape = broadcastShape(attnMask.shape, m.shape);
      attnMask = maskedFill(contiguous(expand(attnMask, shape)), m, Number.NEGATIVE_INFINITY);
    }
  }
  if (attnMask && attnMask.dtype === "bool") attnMask = floatMask(attnMask, q.dtype);
  const p = training ? dropoutP : 0;
  const [out, weights] = scaledDotProductAttentionWeights(q, k, v, attnMask, p, opts.generator);
  let attnOutput = reshape(contiguous(transpose(out, 0, 1)), [tgtLen * bsz, embedDim]);
  attnOutput = linear(attnOutput, outProjWeight, outProjBias);
  attnOutput = reshape(attnOutput, [tgtLen, bsz, attnOutput.shape[1] as number]);
  if (!needWeights) return [batched ? attnOutput : squeeze(attnOutput, 1), null];
  let w = reshape(weights, [bsz, numHeads, tgtLen, srcLen]);
  if (average) w = div(sum(w, 1), numHeads);
  if (!batched) return [squeeze(attnOutput, 1), squeeze(w, 0)];
  return [attnOutput, w];
}

// ---------------------------------------------------------------- misc

/** torch.nn.functional.normalize: x / max(‖x‖_p, eps) along dim. */
export function normalize(input: Tensor, p = 2, dim = 1, eps = 1e-12): Tensor {
  const n = input.norm(p, dim, true).clampMin(eps);
  return div(input, n.expandAs(input));
}
