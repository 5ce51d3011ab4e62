// Plumbing every op uses: allocation, host upload, and running an IR kernel over broadcast operands.
import type { View } from "../backend.js";
import { type DType, type PromotionOperand, resultType, scalarDtype, type TypedArray } from "../dtype.js";
import { DeviceError, DTypeError, fmtShape, ShapeError } from "../errors.js";
import { cast, type Exp, konst, load } from "../ir.js";
import { noteOp } from "../profiler.js";
import { broadcastShapes, broadcastStrides, numel } from "../shape.js";
import { Storage } from "../storage.js";
import { setContiguousCopy, Tensor } from "../tensor.js";

export type Scalar = number | boolean;
export type TensorOrScalar = Tensor | Scalar;

export function empty(shape: readonly number[], dtype: DType, device: string): Tensor {
  return new Tensor(new Storage(device, dtype, numel(shape)), shape);
}

/** Upload host data (already in the storage type) as a new contiguous tensor. */
export function fromStorageArray(data: TypedArray, shape: readonly number[], dtype: DType, device: string): Tensor {
  const t = empty(shape, dtype, device);
  t._storage.backend.write(t._storage.buf, dtype, data);
  return t;
}

/** Wrap a TypedArray on the reference backend without copying. */
export function wrapStorageArray(data: TypedArray, shape: readonly number[], dtype: DType): Tensor {
  return new Tensor(new Storage("cpu", dtype, data.length, data), shape);
}

export const isTensor = (x: unknown): x is Tensor => x instanceof Tensor;

/** A 0-dim tensor on a host device: PyTorch lets it combine with tensors on any device, as a scalar. */
export const isHostScalar = (t: Tensor): boolean => t.ndim === 0 && t._storage.backend.readSync !== undefined;

/** The device tensors `ts` (and `extra`, e.g. an out= tensor) share; host 0-dim tensors go with any. */
export function sameDevice(op: string, ts: readonly (Tensor | Scalar | null | undefined)[], extra?: Tensor | null): string {
  let dev: string | undefined;
  let host: string | undefined;
  const n = ts.length;
  for (let i = 0; i <= n; i++) {
    const t = i < n ? ts[i] : extra;
    if (!(t instanceof Tensor)) continue;
    t._check(op);
    if (isHostScalar(t)) {
      host ??= t.device;
      continue;
    }
    if (dev === undefined) dev = t.device;
    else if (t.device !== dev)
      throw new DeviceError(
        op,
        `expected all tensors on the same device, found ${dev} and ${t.device} (move one with .to(device))`,
      );
  }
  return dev ?? host ?? "cpu";
}

export function promotionOf(x: TensorOrScalar): PromotionOperand {
  if (x instanceof Tensor) return { dtype: x.dtype, kind: x.ndim === 0 ? "zero" : "dim" };
  return { dtype: scalarDtype(x), kind: "scalar" };
}

/** PyTorch's result dtype for a list of operands. */
export const resultDtype = (xs: readonly TensorOrScalar[]): DType => resultType(xs.map(promotionOf));

/** The dtype arithmetic happens in: float16/bfloat16 compute in float32 (PyTorch's CPU opmath). */
export const opmath = (d: DType): DType => (d === "float16" || d === "bfloat16" ? "float32" : d);

/** A view of `t` read as if broadcast to `shape`. */
export function broadcastView(t: Tensor, shape: readonly number[]): View {
  t._check("access");
  const ts = t.shape;
  let strides = t.strides;
  let same = ts === shape || ts.length === shape.length;
  for (let i = 0; same && ts !== shape && i < ts.length; i++) same = ts[i] === shape[i];
  if (!same) strides = broadcastStrides(ts, strides, shape);
  return { buf: t._storage.buf, dtype: t.dtype, shape, strides, offset: t.offset };
}

/**
 * Run an IR kernel over operands. `build` receives one Exp per operand (a load for tensors, a
 * constant for scalars, already cast to `computeDtype`) and returns the value to store.
 * With `out`, the result is written into that tensor (in-place ops); its shape must be the broadcast shape.
 */
export function elementwise(
  op: string,
  operands: readonly TensorOrScalar[],
  outDtype: DType,
  computeDtype: DType | readonly DType[],
  build: (vals: Exp[]) => Exp,
  out?: Tensor,
  /** Operands are first converted to this dtype (PyTorch's common dtype), then to the compute dtype. */
  commonDtype?: DType,
): Tensor {
  const n = operands.length;
  const device = sameDevice(op, operands, out);
  // the broadcast shape, without intermediate arrays where one or two same-shaped tensors take part
  let nT = 0;
  for (let i = 0; i < n; i++) if (operands[i] instanceof Tensor) nT++;
  let inShape: readonly number[];
  if (nT === 1 || (nT === 2 && sameTensorShapes(operands))) {
    let first: Tensor | undefined;
    for (let i = 0; i < n && !first; i++) if (operands[i] instanceof Tensor) first = operands[i] as Tensor;
    inShape = (first as Tensor).shape;
  } else {
    const shapes: (readonly number[])[] = [];
    for (let i = 0; i < n; i++) {
      const x = operands[i];
      if (x instanceof Tensor) shapes.push(x.shape);
    }
    inShape = broadcastShapes(op, ...shapes);
  }
  const shape = out ? out.shape : inShape;
  if (out) {
    const joint = broadcastShapes(op, inShape, out.shape);
    if (joint.length !== shape.length || joint.some((d, i) => d !== shape[i]))
      throw new ShapeError(op, `output with shape ${fmtShape(out.shape)} doesn't match the broadcast shape ${fmtShape(joint)}`);
  }
  const views: View[] = [];
  const vals: Exp[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const x = operands[i] as TensorOrScalar;
    const cd = typeof computeDtype === "string" ? computeDtype : (computeDtype[i] as DType);
    let v: Exp;
    if (x instanceof Tensor && x.device !== device) {
      // a host 0-dim tensor beside tensors on another device (sameDevice allows it): its value
      const k = konst(x.dtype === "int64" ? ((x.dataSync() as BigInt64Array)[0] as bigint) : x.itemSync(), x.dtype);
      v = cast(commonDtype ? cast(k, commonDtype) : k, cd);
    } else if (x instanceof Tensor) {
      views.push(broadcastView(x, shape));
      const l = load(views.length - 1, x.dtype);
      v = cast(commonDtype ? cast(l, commonDtype) : l, cd);
    } else {
      const sd = commonDtype ?? cd;
      v = cast(konst(typeof x === "boolean" ? x : sd === "bool" ? x !== 0 : x, sd), cd);
    }
    vals[i] = v;
  }
  const e = cast(build(vals), outDtype);
  const target = out ?? empty(shape, outDtype, device);
  noteOp(op); // names the kernel below for torch.profiler
  target._storage.backend.elementwise(e, target._view(), views);
  if (out) out._bumpVersion();
  return target;
}

/** Whether the tensors among `xs` (exactly two here) have equal shapes. */
function sameTensorShapes(xs: readonly TensorOrScalar[]): boolean {
  let a: readonly number[] | undefined;
  for (const x of xs) {
    if (!(x instanceof Tensor)) continue;
    if (!a) {
      a = x.shape;
      continue;
    }
    const b = x.shape;
    if (a === b) return true;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  }
  return true;
}

/** A contiguous copy of `t` (optionally cast to another dtype). */
export function copyAs(t: Tensor, dtype: DType = t.dtype): Tensor {
  return elementwise("contiguous", [t], dtype, t.dtype, ([x]) => x as Exp);
}
setContiguousCopy((t) => copyAs(t));

/** Reject dtypes an op does not take. */
export function requireDtype(op: string, t: Tensor, ok: (d: DType) => boolean, what: string): void {
  if (!ok(t.dtype)) throw new DTypeError(op, `expected ${what} tensor, got ${t.dtype} (shape ${fmtShape(t.shape)})`);
}
