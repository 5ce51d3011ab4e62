// Matrix products on the backend's matmul primitive (sequential-k accumulation, backend.ts).
import { autocastActive, autocastOp } from "../amp/autocast.js";
import { attachGrad, noGrad } from "../autograd/graph.js";
import { kernelFor } from "../determinism.js";
import { DTypeError, fmtShape, ShapeError, ValueError } from "../errors.js";
import { broadcastShapes, numel } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { empty, sameDevice } from "./core.js";
import { eye, zeros } from "./creation.js";
import { add, copy_, mul } from "./elementwise.js";
import { inv } from "./linalg_inv.js";
import { hasDtype, sum, sumToShape } from "./reduce.js";
import { diagonal, expand, narrow, reshape, squeeze, transpose, unsqueeze } from "./views.js";

/** a [..., M, K] @ b [..., K, N] with broadcast batch dims; both at least 2-D. */
function batchedMatmul(op: string, a: Tensor, b: Tensor): Tensor {
  sameDevice(op, [a, b]);
  if (a.dtype !== b.dtype)
    throw new DTypeError(op, `expected both operands to have the same dtype, but got ${a.dtype} and ${b.dtype}`);
  const M = a.shape[a.ndim - 2] as number;
  const K = a.shape[a.ndim - 1] as number;
  const K2 = b.shape[b.ndim - 2] as number;
  const N = b.shape[b.ndim - 1] as number;
  if (K !== K2)
    throw new ShapeError(
      op,
      `mat1 and mat2 shapes cannot be multiplied (${M}x${K} and ${K2}x${N}); inputs ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`,
    );
  const batch = broadcastShapes(op, a.shape.slice(0, -2), b.shape.slice(0, -2));
  const B = numel(batch);
  const a3 = reshape(expand(a, [...batch, M, K]), [B, M, K]);
  const b3 = reshape(expand(b, [...batch, K, N]), [B, K, N]);
  let out: Tensor;
  if (bf16Stepwise(a.dtype, B * M * K * N, b)) out = noGrad(() => stepwiseProduct(a3, b3));
  else {
    out = empty([B, M, N], a.dtype, a.device);
    if (B * M * N > 0) kernelFor(op, a, "matmul").matmul(out._view(), a3._view(), b3._view());
  }
  const y = reshape(out, [...batch, M, N]);
  attachGrad("MmBackward0", [a, b], [y], [a, b], ([g], [sa, sb]) => [
    a.requiresGrad ? sumToShape(batchedMatmul(op, g as Tensor, mT(sb as Tensor)), a.shape) : null,
    b.requiresGrad ? sumToShape(batchedMatmul(op, mT(sa as Tensor), g as Tensor), b.shape) : null,
  ]);
  return y;
}

const mT = (x: Tensor): Tensor => transpose(x, -2, -1);

/**
 * PyTorch 1.13's CPU bfloat16 products below oneDNN's size threshold (B·M·K·N ≤ 4096, measured on
 * this build for mm, bmm, matmul, mv and dot) run a plain loop that rounds every product and every
 * partial sum to bfloat16 — except when the right operand is a transposed contiguous matrix
 * (x @ Wᵀ), which its own gemm accumulates in float32 like the larger sizes.
 */
function bf16Stepwise(dtype: string, work: number, b: Tensor): boolean {
  if (dtype !== "bfloat16" || work === 0 || work > 4096) return false;
  const K = b.shape[b.ndim - 2] as number;
  const N = b.shape[b.ndim - 1] as number;
  const transposedContiguous = b.strides[b.ndim - 2] === 1 && b.strides[b.ndim - 1] === K && K > 1 && N > 1;
  return !transposedContiguous;
}

/** out[b,i,j] = (((0 + a·b)₁ + a·b)₂ ...) with each product and sum rounded to bfloat16, k in order. */
function stepwiseProduct(a3: Tensor, b3: Tensor): Tensor {
  const K = a3.shape[2] as number;
  const [B, M] = a3.shape as [number, number];
  const N = b3.shape[2] as number;
  let acc = zeros([B, M, N], { dtype: a3.dtype, device: a3.device });
  for (let k = 0; k < K; k++) {
    const next = add(acc, mul(narrow(a3, 2, k, 1), narrow(b3, 1, k, 1)));
    acc.dispose();
    acc = next;
  }
  return acc;
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  if (autocastActive()) return autocastOp("matmul", matmul, a, b);
  if (a.ndim === 0 || b.ndim === 0)
    throw new ShapeError("matmul", `both arguments to matmul need to be at least 1D, but they are ${a.ndim}D and ${b.ndim}D`);
  const a2 = a.ndim === 1 ? unsqueeze(a, 0) : a;
  const b2 = b.ndim === 1 ? unsqueeze(b, 1) : b;
  let y = batchedMatmul("matmul", a2, b2);
  if (b.ndim === 1) y = squeeze(y, -1);
  if (a.ndim === 1) y = squeeze(y, a.ndim === 1 && b.ndim === 1 ? -1 : -2);
  return y;
}

export function mm(a: Tensor, b: Tensor): Tensor {
  if (autocastActive()) return autocastOp("mm", mm, a, b);
  if (a.ndim !== 2 || b.ndim !== 2) throw new ShapeError("mm", `expected 2-D tensors, got ${a.ndim}-D and ${b.ndim}-D`);
  return batchedMatmul("mm", a, b);
}
export function bmm(a: Tensor, b: Tensor): Tensor {
  if (autocastActive()) return autocastOp("bmm", bmm, a, b);
  if (a.ndim !== 3 || b.ndim !== 3) throw new ShapeError("bmm", `expected 3-D tensors, got ${a.ndim}-D and ${b.ndim}-D`);
  if (a.shape[0] !== b.shape[0]) throw new ShapeError("bmm", `batch sizes differ: ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  return batchedMatmul("bmm", a, b);
}
export function mv(a: Tensor, v: Tensor): Tensor {
  if (autocastActive()) return autocastOp("mv", mv, a, v);
  if (a.ndim !== 2 || v.ndim !== 1)
    throw new ShapeError("mv", `expected a 2-D matrix and a 1-D vector, got ${fmtShape(a.shape)} and ${fmtShape(v.shape)}`);
  return matmul(a, v);
}
export function dot(a: Tensor, b: Tensor): Tensor {
  if (autocastActive()) return autocastOp("dot", dot, a, b);
  if (a.ndim !== 1 || b.ndim !== 1) throw new ShapeError("dot", `1D tensors expected, but got ${a.ndim}D and ${b.ndim}D tensors`);
  if (a.shape[0] !== b.shape[0])
    throw new ShapeError(
      "dot",
      `inconsistent tensor size, expected tensor [${a.shape[0]}] and src [${b.shape[0]}] to have the same number of elements`,
    );
  return matmul(a, b);
}
/** inner of two vectors is PyTorch's tensordot → mm, a [1, K] @ [K, 1] product (autocast casts it as mm). */
export const inner = (a: Tensor, b: Tensor): Tensor =>
  a.ndim === 1 && b.ndim === 1 ? reshape(mm(reshape(a, [1, -1]), reshape(b, [-1, 1])), []) : matmul(a, mT(b));

export function outer(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 1 || b.ndim !== 1) throw new ShapeError("outer", `expected 1-D tensors, got ${a.ndim}-D and ${b.ndim}-D`);
  return mul(reshape(a, [-1, 1]), b);
}
export const ger = outer;

/** trace accumulates in float64 and rounds once, as PyTorch's CPU trace (acc_type double). */
export function trace(x: Tensor): Tensor {
  if (autocastActive()) return autocastOp("trace", trace, x);
  if (x.ndim !== 2) throw new ShapeError("trace", `expected a matrix, but got tensor with dim ${x.ndim}`);
  const d = diagonal(x);
  if ((x.dtype === "float32" || x.dtype === "float16" || x.dtype === "bfloat16") && hasDtype(x, "float64"))
    return sum(d.to("float64")).to(x.dtype);
  return sum(d);
}

/** linalg.matrix_power by binary exponentiation, in PyTorch's order of products. */
export function matrixPower(x: Tensor, n: number): Tensor {
  if (x.ndim < 2 || x.shape[x.ndim - 1] !== x.shape[x.ndim - 2])
    throw new ShapeError("matrix_power", `expected a batch of square matrices, got ${fmtShape(x.shape)}`);
  if (!Number.isInteger(n)) throw new ValueError("matrix_power", `n must be an integer, got ${n}`);
  // n < 0: PyTorch's matrix_power(inv(x), -n), the same products on the inverse.
  if (n < 0) return matrixPower(inv(x), -n);
  // n = 0: PyTorch returns x.clone().copy_(eye) so the result stays in the graph (zero gradient).
  if (n === 0)
    return copy_(x.clone(), expand(eye(x.shape[x.ndim - 1] as number, { dtype: x.dtype, device: x.device }), [...x.shape]));
  if (n === 1) return x.clone();
  if (n === 2) return matmul(x, x);
  if (n === 3) return matmul(matmul(x, x), x);
  let z: Tensor | null = null;
  let result: Tensor | null = null;
  let k = n;
  while (k > 0) {
    const bit = k % 2;
    k = Math.floor(k / 2);
    z = z ? matmul(z, z) : x;
    if (bit === 1) result = result ? matmul(result, z) : z;
  }
  return result as Tensor;
}
