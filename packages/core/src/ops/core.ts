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

export function sameDevice(op: string, ts: readonly (Tensor | Scalar | null | undefined)[]): string {
  let dev: string | undefined;
  let host: string | undefined;
  for (const t of ts) {
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
  const v = t._view();
  return { ...v, shape, strides: broadcastStrides(t.shape, t.strides, shape) };
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
  const device = sameDevice(op, [...operands, out]);
  const tensors = operands.filter(isTensor);
  const inShape = broadcastShapes(op, ...tensors.map((t) => t.shape));
  const shape = out ? [...out.shape] : inShape;
  if (out) {
    const joint = broadcastShapes(op, inShape, out.shape);
    if (joint.length !== shape.length || joint.some((d, i) => d !== shape[i]))
      throw new ShapeError(op, `output with shape ${fmtShape(out.shape)} doesn't match the broadcast shape ${fmtShape(joint)}`);
  }
  const views: View[] = [];
  const vals = operands.map((x, i) => {
    const cd = typeof computeDtype === "string" ? computeDtype : (computeDtype[i] as DType);
    if (x instanceof Tensor && x.device !== device) {
      // a host 0-dim tensor beside tensors on another device (sameDevice allows it): its value
      const v = konst(x.dtype === "int64" ? ((x.dataSync() as BigInt64Array)[0] as bigint) : x.itemSync(), x.dtype);
      return cast(commonDtype ? cast(v, commonDtype) : v, cd);
    }
    if (x instanceof Tensor) {
      views.push(broadcastView(x, shape));
      const v = load(views.length - 1, x.dtype);
      return cast(commonDtype ? cast(v, commonDtype) : v, cd);
    }
    const sd = commonDtype ?? cd;
    return cast(konst(typeof x === "boolean" ? x : sd === "bool" ? x !== 0 : x, sd), cd);
  });
  const e = cast(build(vals), outDtype);
  const target = out ?? empty(shape, outDtype, device);
  noteOp(op); // names the kernel below for torch.profiler
  target._storage.backend.elementwise(e, target._view(), views);
  if (out) out._bumpVersion();
  return target;
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
