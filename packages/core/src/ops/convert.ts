// dtype/device conversion and detaching.
import { attachGrad } from "../autograd/graph.js";
import { DTYPES, type DType, isFloating } from "../dtype.js";
import { DeviceError, DTypeError, ValueError } from "../errors.js";
import { backendFor } from "../storage.js";
import type { Tensor } from "../tensor.js";
import { copyAs, fromStorageArray } from "./core.js";
import { makeView, permute } from "./views.js";

export type ToTarget = DType | string | { dtype?: DType; device?: string };

function parseTarget(x: Tensor, target: ToTarget): { dtype: DType; device: string } {
  if (typeof target === "string") {
    if ((DTYPES as readonly string[]).includes(target)) return { dtype: target as DType, device: x.device };
    backendFor(target, "to");
    return { dtype: x.dtype, device: target };
  }
  return { dtype: target.dtype ?? x.dtype, device: target.device ?? x.device };
}

/**
 * A dtype copy that keeps x's memory layout when x is dense but permuted (a transposed matrix stays
 * transposed), as PyTorch's `to` (memory_format=preserve) does; other layouts become contiguous.
 * Layout matters: kernels choose their algorithm by it (see linalg's bfloat16 products).
 */
function castPreservingLayout(x: Tensor, dtype: DType): Tensor {
  if (x.isContiguous() || x.ndim < 2) return copyAs(x, dtype);
  const order = x.shape.map((_, d) => d).sort((a, b) => (x.strides[b] as number) - (x.strides[a] as number));
  const permuted = permute(x, order);
  if (!permuted.isContiguous()) return copyAs(x, dtype);
  const inverse = order.map((_, d) => order.indexOf(d));
  return permute(copyAs(permuted, dtype), inverse);
}

/** tensor.to(dtype | device | { dtype, device }): returns `x` itself when nothing changes. */
export function to(x: Tensor, target: ToTarget): Tensor {
  x._check("to");
  const { dtype, device } = parseTarget(x, target);
  if (dtype === x.dtype && device === x.device) return x;
  let y = dtype === x.dtype ? x : castPreservingLayout(x, dtype);
  if (device !== x.device) {
    const src = x._storage.backend;
    if (!src.readSync)
      throw new DeviceError(
        "to",
        `copying from '${x.device}' to '${device}' needs a readback; use await tensor.toAsync('${device}')`,
      );
    const c = y.isContiguous() ? y : copyAs(y);
    const host = src.readSync(c._storage.buf, c.dtype, c.offset, c.numel());
    y = fromStorageArray(host, c.shape, c.dtype, device);
  }
  if (!isFloating(dtype)) return y;
  attachGrad("ToCopyBackward0", [x], [y], [], ([g]) => [to(g as Tensor, { dtype: x.dtype, device: x.device })]);
  return y;
}

/** Device copy for devices whose readback is asynchronous. */
export async function toAsync(x: Tensor, target: ToTarget): Promise<Tensor> {
  const { dtype, device } = parseTarget(x, target);
  const c = copyAs(x, dtype);
  const host = await c.data();
  c.dispose();
  return fromStorageArray(host, x.shape, dtype, device);
}

export const float = (x: Tensor): Tensor => to(x, "float32");
export const double = (x: Tensor): Tensor => to(x, "float64");
export const half = (x: Tensor): Tensor => to(x, "float16");
export const bfloat16 = (x: Tensor): Tensor => to(x, "bfloat16");
export const int = (x: Tensor): Tensor => to(x, "int32");
export const long = (x: Tensor): Tensor => to(x, "int64");
export const bool = (x: Tensor): Tensor => to(x, "bool");
export const cpu = (x: Tensor): Tensor => to(x, "cpu");
export function type(x: Tensor, dtype?: DType): Tensor | string {
  if (dtype === undefined) return `torch.${x.dtype}`;
  return to(x, dtype);
}

/** A new handle on the same storage, cut from the graph. */
export function detach(x: Tensor): Tensor {
  return makeView(x, x.shape, x.strides, x.offset);
}
export function detach_(x: Tensor): Tensor {
  if (x._base?.requiresGrad) throw new ValueError("detach_", "can't detach views in-place; use detach() instead");
  x.gradFn = null;
  x.requiresGrad = false;
  return x;
}
export function requiresGrad_(x: Tensor, requiresGrad = true): Tensor {
  if (!x.isLeaf)
    throw new ValueError("requires_grad_", "you can only change requires_grad flags of leaf variables; use detach() first");
  if (requiresGrad && !isFloating(x.dtype))
    throw new DTypeError("requires_grad_", `only Tensors of floating point dtype can require gradients, got ${x.dtype}`);
  x.requiresGrad = requiresGrad;
  return x;
}
