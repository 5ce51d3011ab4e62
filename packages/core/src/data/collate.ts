// torch.utils.data default_collate / default_convert.
import { isGradEnabled } from "../autograd/graph.js";
import { ShapeError, ValueError } from "../errors.js";
import { empty } from "../ops/core.js";
import { tensor } from "../ops/creation.js";
import { copyInto } from "../ops/elementwise.js";
import { stack } from "../ops/shapecopy.js";
import { Tensor } from "../tensor.js";
import { freshTensors } from "./portable.js";

const isPlainObject = (x: object): boolean => {
  const p = Object.getPrototypeOf(x);
  return p === Object.prototype || p === null;
};

/** A TypedArray (PyTorch's numpy array case), not a DataView. */
const isTypedArray = (x: unknown): x is ArrayLike<number | bigint> => ArrayBuffer.isView(x) && !(x instanceof DataView);

function fresh(t: Tensor): Tensor {
  freshTensors.add(t);
  return t;
}

/**
 * `torch.stack(batch, 0)` into a new buffer that nothing else references (no view of it is left
 * behind), so a worker can move it to the main thread instead of copying it. Mixed dtypes or
 * devices, or inputs that need a gradient, go through torch.stack itself.
 */
function stackBatch(ts: readonly Tensor[]): Tensor {
  const ref = ts[0] as Tensor;
  const plain = ts.every(
    (t) =>
      t instanceof Tensor &&
      t.dtype === ref.dtype &&
      t.device === ref.device &&
      !(t.requiresGrad && isGradEnabled()) &&
      t.ndim === ref.ndim &&
      t.shape.every((d, i) => d === ref.shape[i]),
  );
  if (!plain) return stack(ts as Tensor[], 0);
  const out = empty([ts.length, ...ref.shape], ref.dtype, ref.device);
  ts.forEach((t, i) => {
    const row = out.select(0, i);
    copyInto(row, t);
    row.dispose();
  });
  return out;
}

/**
 * `torch.utils.data.default_collate`: puts each field of the samples into a tensor with a new
 * leading batch dimension, following the structure of the first sample:
 *
 * - Tensor → `torch.stack(batch, 0)`; TypedArray (PyTorch's numpy array) → tensors, then stacked;
 * - numbers → an int64 tensor when every number is integral, else float64 (PyTorch: Python int →
 *   int64, float → float64; JavaScript cannot tell `1.0` from `1`, see the README's dtype notes);
 *   booleans → bool; bigints → int64;
 * - strings → the array of strings, unchanged;
 * - Map / plain object → the same keys, each collated; array (tuple or list) → an array of the
 *   collated positions (all samples must have the same length).
 */
export function defaultCollate(batch: readonly unknown[]): any {
  if (batch.length === 0) throw new ValueError("defaultCollate", "batch is empty");
  const elem = batch[0];
  if (elem instanceof Tensor) return fresh(stackBatch(batch as Tensor[]));
  if (isTypedArray(elem)) return fresh(stackBatch(batch.map((b) => tensor(b as never))));
  if (typeof elem === "number") {
    const allInt = batch.every((v) => typeof v === "number" && Number.isInteger(v));
    return fresh(tensor(batch as number[], { dtype: allInt ? "int64" : "float64" }));
  }
  if (typeof elem === "boolean") return fresh(tensor(batch as boolean[], { dtype: "bool" }));
  if (typeof elem === "bigint") return fresh(tensor(batch as bigint[], { dtype: "int64" }));
  if (typeof elem === "string") return [...batch];
  if (elem instanceof Map) {
    const out = new Map();
    for (const k of elem.keys()) out.set(k, defaultCollate(batch.map((d) => (d as Map<unknown, unknown>).get(k))));
    return out;
  }
  if (Array.isArray(elem)) {
    const size = elem.length;
    if (!batch.every((b) => Array.isArray(b) && b.length === size))
      throw new ShapeError("defaultCollate", "each element in list of batch should be of equal size");
    return Array.from({ length: size }, (_, i) => defaultCollate(batch.map((b) => (b as unknown[])[i])));
  }
  if (elem !== null && typeof elem === "object" && isPlainObject(elem)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(elem)) out[k] = defaultCollate(batch.map((d) => (d as Record<string, unknown>)[k]));
    return out;
  }
  throw new ValueError(
    "defaultCollate",
    "batch must contain tensors, TypedArrays, numbers, booleans, bigints, strings, Maps, plain objects or arrays; " +
      `found ${elem === null ? "null" : elem === undefined ? "undefined" : ((elem as object).constructor?.name ?? typeof elem)}`,
  );
}

/**
 * `torch.utils.data.default_convert` (used when `batchSize: null` turns auto-batching off):
 * TypedArrays become tensors, arrays/Maps/plain objects are converted element-wise, the rest is unchanged.
 */
export function defaultConvert(data: unknown): any {
  if (data instanceof Tensor) return data;
  if (isTypedArray(data)) return fresh(tensor(data as never));
  if (Array.isArray(data)) return data.map(defaultConvert);
  if (data instanceof Map) return new Map([...data].map(([k, v]) => [k, defaultConvert(v)]));
  if (data !== null && typeof data === "object" && isPlainObject(data)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(data)) out[k] = defaultConvert(v);
    return out;
  }
  return data;
}
