// Tensor creation: tensor, fromBuffer, zeros/ones/full/empty, arange, linspace, eye, *Like.
import {
  type DType,
  defaultFloat,
  floatToInt64,
  ITEMSIZE,
  isFloating,
  scalarDtype,
  storageArray,
  type TypedArray,
  toBF16Bits,
  toHalfBits,
} from "../dtype.js";
import { DTypeError, ShapeError, ValueError } from "../errors.js";
import { bin, cast, coord, type Exp, fma, konst, select, un } from "../ir.js";
import { numel, sizeArgs } from "../shape.js";
import { backendFor } from "../storage.js";
import { Tensor } from "../tensor.js";
import { empty, fromStorageArray, wrapStorageArray } from "./core.js";

export interface CreateOptions {
  dtype?: DType;
  device?: string;
  requiresGrad?: boolean;
}

type Nested = number | boolean | bigint | Nested[];

function finish(t: Tensor, opts: CreateOptions): Tensor {
  if (opts.requiresGrad) {
    if (!isFloating(t.dtype)) throw new DTypeError("tensor", `only floating point tensors can require gradients, got ${t.dtype}`);
    t.requiresGrad = true;
  }
  return t;
}

/** Store JS values into a storage array of `dtype` (rounding floats, wrapping ints like PyTorch's casts). */
export function encodeValues(dtype: DType, values: ArrayLike<number | boolean | bigint>): TypedArray {
  const a = storageArray(dtype, values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number | boolean | bigint;
    switch (dtype) {
      case "int64":
        (a as BigInt64Array)[i] = typeof v === "bigint" ? BigInt.asIntN(64, v) : floatToInt64(Number(v));
        break;
      case "float16":
        (a as Uint16Array)[i] = toHalfBits(Number(v));
        break;
      case "bfloat16":
        (a as Uint16Array)[i] = toBF16Bits(Number(v));
        break;
      case "bool":
        (a as Uint8Array)[i] = v ? 1 : 0;
        break;
      default:
        (a as Float64Array)[i] = Number(v);
    }
  }
  return a;
}

function flattenNested(op: string, data: Nested): { shape: number[]; flat: (number | boolean | bigint)[] } {
  const shape: number[] = [];
  let probe: Nested = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0] as Nested;
    if (probe === undefined) break;
  }
  const flat: (number | boolean | bigint)[] = [];
  const walk = (x: Nested, depth: number): void => {
    if (depth === shape.length) {
      if (Array.isArray(x))
        throw new ShapeError(op, `expected a scalar at depth ${depth}, got a list (ragged nested arrays are not allowed)`);
      if (typeof x !== "number" && typeof x !== "boolean" && typeof x !== "bigint")
        throw new DTypeError(op, `could not infer dtype of ${typeof x}`);
      flat.push(x);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[depth])
      throw new ShapeError(
        op,
        `expected sequence of length ${shape[depth]} at dim ${depth} (got ${Array.isArray(x) ? x.length : typeof x})`,
      );
    for (const y of x) walk(y, depth + 1);
  };
  walk(data, 0);
  return { shape, flat };
}

const TYPED_DTYPE: [new (...a: never[]) => TypedArray, DType][] = [
  [Float32Array, "float32"],
  [Float64Array, "float64"],
  [Int32Array, "int32"],
  [BigInt64Array, "int64"],
  [Uint8Array, "uint8"],
];

function typedDtype(a: TypedArray): DType | undefined {
  for (const [C, d] of TYPED_DTYPE) if (a instanceof C) return d;
  return undefined;
}

/** torch.tensor: copies data (nested arrays, a number, or a TypedArray) into a new tensor. */
export function tensor(data: Nested | TypedArray | Tensor, opts: CreateOptions = {}): Tensor {
  const device = opts.device ?? "cpu";
  if (data instanceof Tensor)
    return finish(
      data
        .detach()
        .clone()
        .to(opts.dtype ?? data.dtype),
      opts,
    );
  if (ArrayBuffer.isView(data)) {
    const ta = data as TypedArray;
    const d = opts.dtype ?? typedDtype(ta);
    if (!d) throw new DTypeError("tensor", "a Uint16Array needs { dtype: 'float16' | 'bfloat16' }");
    const src =
      typedDtype(ta) === d || ((d === "float16" || d === "bfloat16") && ta instanceof Uint16Array)
        ? ta.slice()
        : encodeValues(d, Array.from(ta as ArrayLike<number>));
    return finish(fromStorageArray(src, [ta.length], d, device), opts);
  }
  const { shape, flat } = flattenNested("tensor", data as Nested);
  let dtype = opts.dtype;
  if (!dtype) {
    dtype = "bool";
    for (const v of flat) {
      const sd = scalarDtype(v);
      if (sd !== "bool" && dtype === "bool") dtype = sd;
      if (isFloating(sd)) dtype = sd;
    }
    if (flat.length === 0) dtype = defaultFloat;
  }
  return finish(fromStorageArray(encodeValues(dtype, flat), shape, dtype, device), opts);
}

/** Wrap a TypedArray without copying (like torch.from_numpy); `data()` is the way back. */
export function fromBuffer(data: TypedArray, opts: { shape?: number[]; dtype?: DType } = {}): Tensor {
  const d = opts.dtype ?? typedDtype(data);
  if (!d) throw new DTypeError("fromBuffer", "a Uint16Array needs { dtype: 'float16' | 'bfloat16' }");
  const expected = storageArray(d, 0).constructor;
  if (data.constructor !== expected)
    throw new DTypeError("fromBuffer", `dtype ${d} is stored as ${expected.name}, got a ${data.constructor.name}`);
  const shape = opts.shape ?? [data.length];
  if (numel(shape) !== data.length)
    throw new ShapeError("fromBuffer", `shape [${shape.join(", ")}] does not hold ${data.length} elements`);
  return wrapStorageArray(data, shape, d);
}

/** Split PyTorch's `f(2, 3, opts)` / `f([2, 3], opts)` argument forms. */
function sizeAndOpts<O extends object>(op: string, args: unknown[]): [number[], O] {
  const last = args[args.length - 1];
  const hasOpts = last !== undefined && typeof last === "object" && !Array.isArray(last);
  const opts = (hasOpts ? last : {}) as O;
  return [sizeArgs(op, hasOpts ? args.slice(0, -1) : args), opts];
}

function filled(_op: string, shape: number[], value: number | boolean, opts: CreateOptions, dtype: DType): Tensor {
  const t = empty(shape, dtype, opts.device ?? "cpu");
  if (t.numel() > 0)
    t._storage.backend.elementwise(
      cast(
        konst(value, isFloating(dtype) ? "float64" : dtype === "int64" ? "int64" : dtype === "bool" ? "bool" : "int32"),
        dtype,
      ),
      t._view(),
      [],
    );
  return finish(t, opts);
}

export function zeros(...args: (number | number[] | CreateOptions)[]): Tensor {
  const [shape, opts] = sizeAndOpts<CreateOptions>("zeros", args);
  return filled("zeros", shape, 0, opts, opts.dtype ?? defaultFloat);
}
export function ones(...args: (number | number[] | CreateOptions)[]): Tensor {
  const [shape, opts] = sizeAndOpts<CreateOptions>("ones", args);
  return filled("ones", shape, 1, opts, opts.dtype ?? defaultFloat);
}
export function empty_(...args: (number | number[] | CreateOptions)[]): Tensor {
  const [shape, opts] = sizeAndOpts<CreateOptions>("empty", args);
  return finish(empty(shape, opts.dtype ?? defaultFloat, opts.device ?? "cpu"), opts);
}
export function full(size: number[], fillValue: number | boolean, opts: CreateOptions = {}): Tensor {
  const dtype = opts.dtype ?? scalarDtype(fillValue);
  return filled("full", sizeArgs("full", [size]), fillValue, opts, dtype);
}

type LikeOptions = CreateOptions;
const likeOpts = (t: Tensor, o: LikeOptions): CreateOptions => ({
  dtype: o.dtype ?? t.dtype,
  device: o.device ?? t.device,
  requiresGrad: o.requiresGrad,
});
export const zerosLike = (t: Tensor, o: LikeOptions = {}): Tensor => zeros([...t.shape], likeOpts(t, o));
export const onesLike = (t: Tensor, o: LikeOptions = {}): Tensor => ones([...t.shape], likeOpts(t, o));
export const emptyLike = (t: Tensor, o: LikeOptions = {}): Tensor => empty_([...t.shape], likeOpts(t, o));
export const fullLike = (t: Tensor, v: number | boolean, o: LikeOptions = {}): Tensor => full([...t.shape], v, likeOpts(t, o));

/**
 * PyTorch fills ranges with a vectorised loop: blocks of V = 32 bytes / itemsize elements, two
 * blocks per iteration, each block computing its first value then adding j·step; the elements past
 * the last full pair of blocks take the scalar formula. Multiply-adds are FMAs where GCC contracts
 * them. Reproducing that layout makes arange/linspace bit-identical to PyTorch's CPU results.
 */
function vectorBlocks(n: number, dtype: DType): { inVector: Exp; i0: Exp; j: Exp; i: Exp } {
  const V = 32 / ITEMSIZE[dtype];
  const nv = Math.floor(n / (2 * V)) * 2 * V;
  const i = coord(0);
  const i0 = bin("mul", bin("floordiv", i, konst(V, "int32")), konst(V, "int32"));
  return { inVector: bin("lt", i, konst(nv, "int32")), i0, j: bin("sub", i, i0), i };
}

/**
 * arange/linspace accumulate in float64; on a device without it (WebGPU) they run on the host and
 * the values are copied over, so every device gets the reference's bits.
 */
function viaHost(opts: CreateOptions, onCpu: () => Tensor): Tensor | null {
  const device = opts.device ?? "cpu";
  if (backendFor(device).supportsDtype?.("float64") !== false) return null;
  const host = onCpu();
  const t = host.to(device);
  host.dispose();
  return finish(t, opts);
}

/** torch.arange(end) / arange(start, end, step?), bit-identical to PyTorch's CPU kernel. */
export function arange(...args: (number | CreateOptions)[]): Tensor {
  const last = args[args.length - 1];
  const opts = (typeof last === "object" ? last : {}) as CreateOptions;
  const nums = args.filter((a): a is number => typeof a === "number");
  if (nums.length < 1 || nums.length > 3)
    throw new ValueError("arange", "expected arange(end), arange(start, end) or arange(start, end, step)");
  const onHost = viaHost(opts, () => arange(...nums, { ...opts, device: "cpu", requiresGrad: false }));
  if (onHost) return onHost;
  let [start, end, step] =
    nums.length === 1 ? [0, nums[0] as number, 1] : [nums[0] as number, nums[1] as number, (nums[2] ?? 1) as number];
  if (step === 0 || Number.isNaN(step) || !Number.isFinite(step))
    throw new ValueError("arange", `step must be a finite nonzero number, got ${step}`);
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new ValueError("arange", `unsupported range: ${start} -> ${end}`);
  if ((step > 0 && end < start) || (step < 0 && end > start))
    throw new ValueError(
      "arange",
      `upper bound and larger bound inconsistent with step sign (start ${start}, end ${end}, step ${step})`,
    );
  const dtype = opts.dtype ?? (nums.every(Number.isInteger) ? "int64" : defaultFloat);
  // The size comes from the arguments as doubles, except for int64, where they are truncated first.
  if (dtype === "int64") [start, end, step] = [Math.trunc(start), Math.trunc(end), Math.trunc(step)];
  if (step === 0) throw new ValueError("arange", "step must be nonzero (it truncates to 0 for int64)");
  const n = Math.max(0, Math.ceil((end - start) / step)) + 0; // + 0 turns -0 into 0
  const t = empty([n], dtype, opts.device ?? "cpu");
  if (n > 0) {
    let e: Exp;
    if (!isFloating(dtype)) {
      // integer accumulation (int64) of truncated arguments
      e = bin(
        "add",
        konst(Math.trunc(start), "float64"),
        bin("mul", konst(Math.trunc(step), "float64"), cast(coord(0), "float64")),
      );
    } else {
      // accumulate in acc_type: double for float32/float64, float for float16/bfloat16
      const acc: DType = dtype === "float16" || dtype === "bfloat16" ? "float32" : "float64";
      const st = konst(step, acc);
      const s0 = konst(start, acc);
      const { inVector, i0, j, i } = vectorBlocks(n, dtype);
      const base = cast(cast(fma(st, cast(i0, acc), s0), dtype), acc);
      const vec = fma(cast(j, acc), st, base);
      const scalar = fma(st, cast(i, acc), s0);
      e = select(inVector, vec, scalar);
    }
    backendFor(t.device).elementwise(cast(e, dtype), t._view(), []);
  }
  return finish(t, opts);
}

/** torch.linspace, bit-identical to PyTorch's CPU kernel for float32/float64 (step in the output dtype, both ends). */
export function linspace(start: number, end: number, steps: number, opts: CreateOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0)
    throw new ValueError("linspace", `number of steps must be non-negative, got ${steps}`);
  const onHost = viaHost(opts, () => linspace(start, end, steps, { ...opts, device: "cpu", requiresGrad: false }));
  if (onHost) return onHost;
  const dtype = opts.dtype ?? defaultFloat;
  const t = empty([steps], dtype, opts.device ?? "cpu");
  if (steps === 1) return filled("linspace", [1], start, opts, dtype);
  if (steps > 1) {
    // step_t: the output dtype for floats (float32 arithmetic for 16-bit floats), double for integers
    const cd: DType = isFloating(dtype) ? opmathOf(dtype) : "float64";
    const s = cast(konst(start, isFloating(dtype) ? dtype : "float64"), cd);
    const en = cast(konst(end, isFloating(dtype) ? dtype : "float64"), cd);
    const st = bin("div", bin("sub", en, s), konst(steps - 1, cd));
    const half = Math.floor(steps / 2);
    const { inVector, i0, j, i } = vectorBlocks(steps, dtype);
    // start + step*k below halfway, end - step*(steps-1-k) above, each an FMA
    const at = (k: Exp): Exp =>
      select(
        bin("lt", k, konst(half, "int32")),
        fma(st, cast(k, cd), s),
        fma(un("neg", st), bin("sub", konst(steps - 1, cd), cast(k, cd)), en),
      );
    const vec = bin("add", at(i0), bin("mul", cast(j, cd), st));
    const e = select(inVector, vec, at(i));
    backendFor(t.device).elementwise(cast(e, dtype), t._view(), []);
  }
  return finish(t, opts);
}

const opmathOf = (d: DType): DType => (d === "float16" || d === "bfloat16" ? "float32" : d);

export function eye(n: number, m?: number | CreateOptions, opts: CreateOptions = {}): Tensor {
  const cols = typeof m === "number" ? m : n;
  for (const v of [n, cols])
    if (!Number.isInteger(v) || v < 0) throw new ValueError("eye", `n and m must be non-negative integers, got ${n}, ${cols}`);
  const o = typeof m === "object" ? m : opts;
  const dtype = o.dtype ?? defaultFloat;
  const t = empty([n, cols], dtype, o.device ?? "cpu");
  if (n * cols > 0) backendFor(t.device).elementwise(cast(bin("eq", coord(0), coord(1)), dtype), t._view(), []);
  return finish(t, o);
}

/** A 0-dim tensor holding a scalar. */
export const scalarTensor = (v: number | boolean, opts: CreateOptions = {}): Tensor => full([], v, opts);
