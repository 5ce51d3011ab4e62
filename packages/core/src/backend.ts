// The backend contract: the few primitives every device implements. Everything else in lockstep
// (hundreds of PyTorch functions) is written on top of these in `ops/`.
//
// Fixed orders (what makes results portable, DESIGN §4):
// - reduce: the reduced elements, taken in row-major order over the reduced dims, are combined by a
//   pairwise tree over adjacent elements — level by level, element i of the next level is
//   op(x[2i], x[2i+1]), an odd last element is carried up unchanged — each combine rounded to the
//   accumulator dtype.
// - matmul: out[b,i,j] = sequential sum over k = 0..K-1 of a[b,i,k]*b[b,k,j], product and sum each
//   rounded to the accumulator dtype (no FMA); float16/bfloat16 accumulate in float32.
// - scan: sequential along the last dim. scatter: in index order, sequentially.
import type { DType, TypedArray } from "./dtype.js";
import type { Exp } from "./ir.js";

/** A strided window onto a buffer. Strides and offset are in elements. */
export interface View {
  readonly buf: unknown;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

export type ReduceOp = "sum" | "prod" | "max" | "min" | "argmax" | "argmin";

export interface ReduceKernel {
  readonly op: ReduceOp;
  /** Applied to each input element (`load(0)`) before reducing; its dtype is the accumulator dtype. */
  readonly map: Exp;
  /** Applied to the reduced value (`acc(accDtype)`; for argmax/argmin an int64 index); its dtype is the output's. */
  readonly post: Exp;
}

export interface Backend {
  readonly name: string;
  alloc(dtype: DType, numel: number): unknown;
  free(buf: unknown): void;
  /** Copy host data into the whole buffer (data.length elements from element 0). */
  write(buf: unknown, dtype: DType, data: TypedArray): void;
  /** Copy `numel` elements starting at `offset` to the host. */
  read(buf: unknown, dtype: DType, offset: number, numel: number): Promise<TypedArray>;
  /** Synchronous read, only where the device can answer without waiting (the reference). */
  readSync?(buf: unknown, dtype: DType, offset: number, numel: number): TypedArray;

  /** out[pos] = e(inputs at pos), for every pos of out.shape; input strides are already broadcast to it. */
  elementwise(e: Exp, out: View, inputs: readonly View[]): void;
  /** input.shape = [...out.shape, ...reduced]; the last `nReduced` dims are reduced in the fixed tree order. */
  reduce(k: ReduceKernel, out: View, input: View, nReduced: number): void;
  /** Inclusive scan along the last dim. */
  scan(op: "sum" | "prod", out: View, input: View): void;
  /** out[b] = a[b] @ b[b] for 3-D views [B,M,K] @ [B,K,N] → [B,M,N]. */
  matmul(out: View, a: View, b: View): void;
  /** Stable sort along the last dim; NaN sorts above everything. indices are int64. */
  sort(values: View, indices: View, input: View, descending: boolean): void;
  /** For each i in order: target[offsets[i]] = src[i] ("set") or += src[i] ("add"). Offsets are absolute element offsets. */
  scatter(target: View, offsets: View, src: View, mode: "set" | "add"): void;
  /** Whether the device stores and computes `dtype` (absent: every dtype). WebGPU has no float64. */
  supportsDtype?(dtype: DType): boolean;
  /** Whether a primitive is deterministic on this backend (the reference: always). */
  isDeterministic(primitive: "reduce" | "scan" | "matmul" | "sort" | "scatter"): boolean;
}
