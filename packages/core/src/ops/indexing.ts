// Indexing, gather/scatter and sorting.
//
// Reads are IR kernels that load their source through computed storage offsets (`gload`).
// Writes compute the target storage offsets with a kernel and hand them, with the values, to the
// backend's `scatter` primitive, which applies them sequentially in row-major order of the index.
// That order is PyTorch's CPU order for every target (duplicates combine in index order), so
// accumulating writes are bitwise equal to PyTorch's on every backend. Sorting is the backend's
// stable sort along the last dim.
import { attachGrad, needsGrad, noGrad } from "../autograd/graph.js";
import type { View } from "../backend.js";
import { kernelFor } from "../determinism.js";
import { type DType, isFloating } from "../dtype.js";
import { AutogradError, DeviceError, DTypeError, fmtShape, IndexError, ShapeError, ValueError } from "../errors.js";
import { bin, cast, coord, type Exp, fma, gload, konst, load, select as pick } from "../ir.js";
import { broadcastShapes, broadcastStrides, contiguousStrides, normDim, numel } from "../shape.js";
import { Tensor } from "../tensor.js";
import { copyAs, empty, opmath, sameDevice } from "./core.js";
import { zeros } from "./creation.js";
import { copyInto, mul, ne } from "./elementwise.js";
import { cumsum, sum, sumToShape } from "./reduce.js";
import { makeView, narrow, reshape, select, slice, unsqueeze, viewScatter } from "./views.js";

/** One item of a Python-style index: integer, slice, null (newaxis), "..." (ellipsis), integer/bool tensor. */
export type IndexItem = number | { start?: number | null; stop?: number | null; step?: number | null } | null | "..." | Tensor;

type Slice = { start?: number | null; stop?: number | null; step?: number | null };

// ---------------------------------------------------------------- kernel plumbing

const i32 = (v: number): Exp => konst(v, "int32");

/** base + Σ index·stride in int32 (storage offsets); zero strides drop out. */
function affine(base: number, terms: readonly (readonly [Exp, number])[]): Exp {
  let e = i32(base);
  for (const [ix, stride] of terms) if (stride !== 0) e = bin("add", e, stride === 1 ? ix : bin("mul", ix, i32(stride)));
  return e;
}

/** An index value read from an integer tensor, as int32; negative values wrap by `size` when `wrap`. */
function indexValue(e: Exp, size: number, wrap: boolean): Exp {
  const i = cast(e, "int32");
  return wrap ? pick(bin("lt", i, i32(0)), bin("add", i, i32(size)), i) : i;
}

/** Shape and strides with a 0-dim tensor read as one element (PyTorch's ensure_nonempty). */
const sizesOf = (t: Tensor): readonly number[] => (t.ndim ? t.shape : [1]);
const stridesOf = (t: Tensor): readonly number[] => (t.ndim ? t.strides : [1]);

/**
 * Offset into `t`'s storage of the element whose coordinate along `d` is `idx` and whose other
 * coordinates are the kernel's output coordinates.
 */
function offsetAlong(t: Tensor, d: number, idx: Exp): Exp {
  const st = stridesOf(t);
  return affine(
    t.offset,
    st.map((s, k) => [k === d ? idx : coord(k), s] as const),
  );
}

/** A tensor read by a kernel over `shape` only through gload: its loop strides are zero. */
const gatherSource = (t: Tensor, shape: readonly number[]): View => ({
  ...t._view(),
  shape,
  strides: shape.map(() => 0),
});

/** `t` broadcast to `bshape` and placed at dims [at, at + bshape.length) of a kernel over `shape`. */
function placedView(t: Tensor, bshape: readonly number[], shape: readonly number[], at: number): View {
  const bs = broadcastStrides(t.shape, t.strides, bshape);
  return { ...t._view(), shape, strides: shape.map((_, k) => (k >= at && k < at + bshape.length ? (bs[k - at] as number) : 0)) };
}

/** The leading `shape` region of `t` (same rank, or 0-dim read as one element), not broadcast. */
const regionView = (t: Tensor, shape: readonly number[]): View => ({
  ...t._view(),
  shape,
  strides: shape.map((_, k) => t.strides[k] ?? 0),
});

/** Run kernel `e` into a fresh contiguous tensor. */
function runKernel(shape: readonly number[], dtype: DType, device: string, inputs: readonly View[], e: Exp): Tensor {
  const out = empty(shape, dtype, device);
  if (numel(shape) > 0) out._storage.backend.elementwise(cast(e, dtype), out._view(), inputs);
  return out;
}

/** A contiguous copy of a temporary view; the view's handle is released. */
function copyOfView(view: Tensor): Tensor {
  const c = copyAs(view);
  view.dispose();
  return c;
}

function scalarExp(v: number | boolean): Exp {
  if (typeof v === "boolean") return konst(v, "bool");
  return Number.isInteger(v) && !Object.is(v, -0) ? konst(v, "int64") : konst(v, "float64");
}

/** A contiguous `dtype` tensor of `shape`: values read from a view laid over `shape`, or a scalar. */
function materialize(shape: readonly number[], dtype: DType, device: string, src: View | number | boolean): Tensor {
  return typeof src === "object"
    ? runKernel(shape, dtype, device, [src], load(0, src.dtype))
    : runKernel(shape, dtype, device, [], scalarExp(src));
}

/** target's storage at offsets[i] is set to / incremented by values[i], for i in order. */
function scatterInto(target: Tensor, offsets: Tensor, values: Tensor, mode: "set" | "add"): void {
  if (offsets.numel() > 0) kernelFor("scatter", target, "scatter").scatter(target._view(), offsets._view(), values._view(), mode);
  target._bumpVersion();
  offsets.dispose();
  values.dispose();
}

/**
 * Read-modify-write in steps along `dim` of offsets/values: step r updates target[o] =
 * combine(target[o], v) for the slice r. Within a step the offsets are distinct, and steps run in
 * order, which is PyTorch's sequential order for ops without a backend primitive (multiply, fma).
 */
function combineInSteps(target: Tensor, offsets: Tensor, values: Tensor, dim: number, combine: (cur: Exp, v: Exp) => Exp): void {
  const cd = opmath(target.dtype);
  const steps = offsets.ndim ? (offsets.shape[dim] as number) : 1;
  for (let r = 0; r < steps; r++) {
    const o = offsets.ndim ? copyOfView(select(offsets, dim, r)) : copyAs(offsets);
    const v = values.ndim ? select(values, dim, r) : values;
    const e = combine(cast(gload(2, target.dtype, load(0, "int32")), cd), cast(load(1, v.dtype), cd));
    const updated = runKernel(o.shape, target.dtype, target.device, [o._view(), v._view(), gatherSource(target, o.shape)], e);
    scatterInto(target, o, updated, "set");
    if (v !== values) v.dispose();
  }
  offsets.dispose();
  values.dispose();
}

// ---------------------------------------------------------------- validation

function requireIndexDtype(op: string, index: Tensor, allowed: readonly DType[]): void {
  if (!allowed.includes(index.dtype))
    throw new DTypeError(
      op,
      `expected dtype ${allowed.join(" or ")} for index, got ${index.dtype} (shape ${fmtShape(index.shape)})`,
    );
}

/**
 * On devices with synchronous readback (the reference), reject index values outside [0, size), or
 * [-size, size) where negative indices wrap. Other devices read whatever the wrapped offset holds.
 */
function checkRange(op: string, index: Tensor, dim: number, size: number, allowNegative: boolean): void {
  if (!index._storage.backend.readSync || index.numel() === 0) return;
  const lo = allowNegative ? -size : 0;
  for (const raw of index.dataSync()) {
    const v = Number(raw);
    if (v < lo || v >= size) throw new IndexError(op, `index ${v} is out of bounds for dimension ${dim} with size ${size}`);
  }
}

/** gather/scatter shape rules: same rank; index no larger than self (except along dim) and than src. */
function checkAlongShapes(op: string, self: Tensor, d: number, index: Tensor, src?: Tensor): void {
  const rank = sizesOf(self).length;
  if (sizesOf(index).length !== rank)
    throw new ShapeError(
      op,
      `index tensor must have the same number of dimensions as input tensor (index ${fmtShape(index.shape)}, input ${fmtShape(self.shape)})`,
    );
  if (src && sizesOf(src).length !== rank)
    throw new ShapeError(
      op,
      `index tensor must have the same number of dimensions as src tensor (index ${fmtShape(index.shape)}, src ${fmtShape(src.shape)})`,
    );
  if (index.numel() === 0) return;
  for (let k = 0; k < rank; k++) {
    const n = sizesOf(index)[k] as number;
    if (k !== d && n > (sizesOf(self)[k] as number))
      throw new ShapeError(
        op,
        `size does not match at dimension ${k}: expected index ${fmtShape(index.shape)} to be no larger than self ${fmtShape(self.shape)} apart from dimension ${d}`,
      );
    if (src && n > (sizesOf(src)[k] as number))
      throw new ShapeError(
        op,
        `size does not match at dimension ${k}: expected index ${fmtShape(index.shape)} to be no larger than src ${fmtShape(src.shape)}`,
      );
  }
}

function requireSameDtype(op: string, self: Tensor, src: Tensor, what: string): void {
  if (src.dtype !== self.dtype)
    throw new DTypeError(op, `expected self and ${what} to have the same dtype, got ${self.dtype} and ${src.dtype}`);
}

/** Zero-pad `t` up to `shape` (a grad for a src larger than the index region). Differentiable. */
function padTo(t: Tensor, shape: readonly number[]): Tensor {
  if (t.ndim === shape.length && t.shape.every((n, k) => n === shape[k])) return t;
  return viewScatter(t, shape, (z) => t.shape.reduce((v, n, k) => narrow(v, k, 0, n), z));
}

const zerosFor = (shape: readonly number[], like: Tensor): Tensor =>
  zeros([...shape], { dtype: like.dtype, device: like.device });

// ---------------------------------------------------------------- gather / scatter

/** out[i][j][k] = x[i][index[i][j][k]][k] (for dim 1), as torch.gather. */
export function gather(x: Tensor, dim: number, index: Tensor, opts: { sparseGrad?: boolean } = {}): Tensor {
  const op = "gather";
  const device = sameDevice(op, [x, index]);
  requireIndexDtype(op, index, ["int64"]);
  if (opts.sparseGrad) throw new ValueError(op, "sparseGrad=true is not supported (lockstep has no sparse tensors)");
  const d = normDim(op, dim, x.ndim);
  checkAlongShapes(op, x, d, index);
  checkRange(op, index, d, sizesOf(x)[d] as number, false);
  const e = gload(1, x.dtype, offsetAlong(x, d, indexValue(load(0, "int64"), 0, false)));
  const y = runKernel(index.shape, x.dtype, device, [index._view(), gatherSource(x, index.shape)], e);
  attachGrad("GatherBackward0", [x], [y], [index], ([g], [idx]) => [
    scatterAdd(zerosFor(x.shape, g as Tensor), d, idx as Tensor, g as Tensor),
  ]);
  return y;
}

/** Write src (or a scalar) into a copy of x along dim: y[i][index[i][j]] = src[i][j] (dim 1). */
export function scatter(
  x: Tensor,
  dim: number,
  index: Tensor,
  src: Tensor | number,
  opts: { reduce?: "add" | "multiply" } = {},
): Tensor {
  const op = "scatter";
  const reduce = opts.reduce;
  if (reduce !== undefined && reduce !== "add" && reduce !== "multiply")
    throw new ValueError(op, `reduce argument must be either 'add' or 'multiply', got '${String(reduce)}'`);
  const srcT = src instanceof Tensor ? src : null;
  sameDevice(op, [x, index, srcT]);
  requireIndexDtype(op, index, ["int64"]);
  if (srcT) requireSameDtype(op, x, srcT, "src");
  else if (typeof src !== "number" && typeof src !== "boolean")
    throw new DTypeError(op, `src must be a Tensor or a number, got ${src === null ? "null" : typeof src}`);
  const d = normDim(op, dim, x.ndim);
  checkAlongShapes(op, x, d, index, srcT ?? undefined);
  checkRange(op, index, d, sizesOf(x)[d] as number, false);
  const y = noGrad(() => {
    const out = copyAs(x);
    const offsets = runKernel(
      index.shape,
      "int32",
      out.device,
      [index._view()],
      offsetAlong(out, d, indexValue(load(0, "int64"), 0, false)),
    );
    const values = materialize(index.shape, out.dtype, out.device, srcT ? regionView(srcT, index.shape) : (src as number));
    if (reduce === "multiply") combineInSteps(out, offsets, values, index.ndim ? d : 0, (a, b) => bin("mul", a, b));
    else scatterInto(out, offsets, values, reduce === "add" ? "add" : "set");
    return out;
  });
  if (reduce) {
    attachGrad("ScatterReduceBackward0", [x, srcT], [y], [], () => {
      throw new AutogradError("scatter", "the derivative of scatter with reduce= is not implemented (as in PyTorch 1.13)");
    });
    return y;
  }
  const xNeeds = x.requiresGrad;
  const srcNeeds = srcT?.requiresGrad === true;
  attachGrad(srcT ? "ScatterBackward0" : "ScatterBackward1", [x, srcT], [y], [index], ([g], [idx]) => [
    xNeeds ? scatter(g as Tensor, d, idx as Tensor, 0) : null,
    srcNeeds && srcT ? padTo(gather(g as Tensor, d, idx as Tensor), srcT.shape) : null,
  ]);
  return y;
}

/** A copy of x with src added along dim at index: y[i][index[i][j]] += src[i][j] (dim 1), duplicates in index order. */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const op = "scatter_add";
  sameDevice(op, [x, index, src]);
  requireIndexDtype(op, index, ["int64"]);
  requireSameDtype(op, x, src, "src");
  const d = normDim(op, dim, x.ndim);
  checkAlongShapes(op, x, d, index, src);
  checkRange(op, index, d, sizesOf(x)[d] as number, false);
  const y = noGrad(() => {
    const out = copyAs(x);
    const offsets = runKernel(
      index.shape,
      "int32",
      out.device,
      [index._view()],
      offsetAlong(out, d, indexValue(load(0, "int64"), 0, false)),
    );
    scatterInto(out, offsets, materialize(index.shape, out.dtype, out.device, regionView(src, index.shape)), "add");
    return out;
  });
  const srcNeeds = src.requiresGrad;
  attachGrad("ScatterAddBackward0", [x, src], [y], [index], ([g], [idx]) => [
    g as Tensor,
    srcNeeds ? padTo(gather(g as Tensor, d, idx as Tensor), src.shape) : null,
  ]);
  return y;
}

// ---------------------------------------------------------------- index_select / index_add

function checkVectorIndex(op: string, index: Tensor): void {
  requireIndexDtype(op, index, ["int64", "int32"]);
  if (index.ndim > 1) throw new IndexError(op, `index is supposed to be a vector, got shape ${fmtShape(index.shape)}`);
}

/** The entries of x at `index` along dim (index is a vector). */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  const op = "index_select";
  const device = sameDevice(op, [x, index]);
  checkVectorIndex(op, index);
  const d = normDim(op, dim, x.ndim);
  checkRange(op, index, d, sizesOf(x)[d] as number, false);
  if (x.ndim === 0) {
    // PyTorch reads a 0-dim source as one element and returns it 0-dim, whatever the index length.
    const y = copyAs(x);
    attachGrad("IndexSelectBackward0", [x], [y], [], ([g]) => [g as Tensor]);
    return y;
  }
  const shape = [...x.shape];
  shape[d] = index.numel();
  const idx = indexValue(load(0, index.dtype), 0, false);
  const y = runKernel(
    shape,
    x.dtype,
    device,
    [placedView(index, [shape[d] as number], shape, d), gatherSource(x, shape)],
    gload(1, x.dtype, offsetAlong(x, d, idx)),
  );
  attachGrad("IndexSelectBackward0", [x], [y], [index], ([g], [ix]) => [
    indexAdd(zerosFor(x.shape, g as Tensor), d, ix as Tensor, g as Tensor),
  ]);
  return y;
}

/** A copy of x with alpha·source added at `index` along dim, in index order. */
export function indexAdd(x: Tensor, dim: number, index: Tensor, source: Tensor, opts: { alpha?: number } = {}): Tensor {
  const op = "index_add";
  const alpha = opts.alpha ?? 1;
  sameDevice(op, [x, index, source]);
  checkVectorIndex(op, index);
  requireSameDtype(op, x, source, "source");
  if (!isFloating(x.dtype) && !Number.isInteger(alpha))
    throw new DTypeError(op, `for integral input tensors, argument alpha must not be a floating point number (got ${alpha})`);
  const d = normDim(op, dim, x.ndim);
  const n = index.numel();
  const srcSizes = sizesOf(source);
  if (srcSizes.length !== sizesOf(x).length)
    throw new ShapeError(
      op,
      `source ${fmtShape(source.shape)} and self ${fmtShape(x.shape)} must have the same number of dimensions`,
    );
  if (srcSizes[d] !== n)
    throw new ShapeError(op, `number of indices (${n}) should be equal to source.size(${d}) (${srcSizes[d]})`);
  sizesOf(x).forEach((s, k) => {
    if (k !== d && srcSizes[k] !== s)
      throw new ShapeError(
        op,
        `self ${fmtShape(x.shape)} and source ${fmtShape(source.shape)} must have the same size at dimension ${k}`,
      );
  });
  checkRange(op, index, d, sizesOf(x)[d] as number, false);
  const y = noGrad(() => {
    const out = copyAs(x);
    const idx = indexValue(load(0, index.dtype), 0, false);
    const offsets = runKernel(srcSizes, "int32", out.device, [placedView(index, [n], srcSizes, d)], offsetAlong(out, d, idx));
    const values = materialize(srcSizes, out.dtype, out.device, regionView(source, srcSizes));
    const cd = opmath(out.dtype);
    const alphaExp = cast(konst(alpha, "float64"), cd);
    if (alpha === 1) scatterInto(out, offsets, values, "add");
    else if (out.ndim <= 1) {
      // PyTorch's 1-D loop: self[i] += source[i] * alpha, the product rounded first.
      const scaled = runKernel(
        srcSizes,
        out.dtype,
        out.device,
        [values._view()],
        bin("mul", cast(load(0, out.dtype), cd), alphaExp),
      );
      values.dispose();
      scatterInto(out, offsets, scaled, "add");
    } else {
      // PyTorch adds one slice at a time with add_(slice, alpha), which is fused: fma(source, alpha, self).
      combineInSteps(out, offsets, values, d, (cur, v) =>
        cd === "float32" || cd === "float64" ? fma(v, alphaExp, cur) : bin("add", cur, bin("mul", v, alphaExp)),
      );
    }
    return out;
  });
  const srcNeeds = source.requiresGrad;
  attachGrad("IndexAddBackward0", [x, source], [y], [index], ([g], [ix]) => {
    if (!srcNeeds) return [g as Tensor, null];
    let gs = indexSelect(g as Tensor, d, ix as Tensor);
    if (gs.ndim !== source.ndim) gs = reshape(gs, [...source.shape]);
    if (alpha !== 1) gs = mul(gs, alpha);
    return [g as Tensor, gs];
  });
  return y;
}

// ---------------------------------------------------------------- Python-style indexing

/** An advanced (tensor) index at `dim` of the basic-indexed view. */
interface Advanced {
  dim: number;
  /** The dim of the original tensor it indexes, for messages. */
  realDim: number;
  index: Tensor;
  /** Made here from a mask (so in range by construction), released with the resolution. */
  owned: boolean;
}

interface Resolved {
  /** x after the basic items (ints, slices, newaxis, ellipsis). */
  view: Tensor;
  adv: Advanced[];
  /** Release the temporaries: the view (unless it is x) and the index tensors made from masks. */
  release(): void;
}

const isSliceItem = (it: unknown): it is Slice =>
  typeof it === "object" &&
  it !== null &&
  !(it instanceof Tensor) &&
  Object.keys(it).every((k) => k === "start" || k === "stop" || k === "step");

const isMaskDtype = (d: DType): boolean => d === "bool" || d === "uint8";

/**
 * Apply the basic items (ints, slices, newaxis, ellipsis) as views of x, with autograd, and collect
 * the tensor items as advanced indices on that view. Masks become their nonzero coordinates.
 */
function resolve(op: string, x: Tensor, items: readonly IndexItem[]): Resolved {
  let consumed = 0;
  let ellipses = 0;
  for (const it of items) {
    if (it === "...") ellipses++;
    else if (it instanceof Tensor) {
      if (it.dtype !== "int64" && !isMaskDtype(it.dtype))
        throw new DTypeError(op, `tensors used as indices must be int64, uint8 or bool tensors, got ${it.dtype}`);
      consumed += isMaskDtype(it.dtype) ? it.ndim : 1;
    } else if (it !== null) consumed++;
  }
  if (ellipses > 1) throw new IndexError(op, "an index can only have a single ellipsis ('...')");
  if (consumed > x.ndim) throw new IndexError(op, `too many indices for tensor of dimension ${x.ndim} (got ${consumed})`);
  let v = x;
  // Intermediate views are released as the next one replaces them (it holds the storage).
  const advance = (next: Tensor): void => {
    if (v !== x) v.dispose();
    v = next;
  };
  let d = 0; // dim of v the next item applies to
  let real = 0; // dim of x the next item applies to
  const adv: Advanced[] = [];
  for (const it of items) {
    if (it === "...") {
      d += x.ndim - consumed;
      real += x.ndim - consumed;
    } else if (it === null) {
      advance(unsqueeze(v, d++));
    } else if (typeof it === "number") {
      const n = v.shape[d] as number;
      if (!Number.isInteger(it)) throw new IndexError(op, `integer indices must be integers, got ${it}`);
      if (it < -n || it >= n) throw new IndexError(op, `index ${it} is out of bounds for dimension ${real} with size ${n}`);
      advance(select(v, d, it));
      real++;
    } else if (it instanceof Tensor) {
      sameDevice(op, [x, it]);
      if (it.dtype === "int64") {
        adv.push({ dim: d++, realDim: real++, index: it, owned: false });
      } else if (it.ndim === 0) {
        // x[True] adds a dim of size 1, x[False] one of size 0.
        advance(unsqueeze(v, d));
        const on = Boolean(it.itemSync());
        adv.push({ dim: d++, realDim: real, index: zeros([on ? 1 : 0], { dtype: "int64", device: it.device }), owned: true });
      } else {
        it.shape.forEach((n, j) => {
          if (n !== v.shape[d + j])
            throw new IndexError(
              op,
              `the shape of the mask ${fmtShape(it.shape)} at index ${j} does not match the shape of the indexed tensor ${fmtShape(v.shape)} at index ${d + j}`,
            );
        });
        const coords = nonzero(it) as Tensor;
        for (let j = 0; j < it.ndim; j++) adv.push({ dim: d++, realDim: real++, index: select(coords, 1, j), owned: true });
        coords.dispose();
      }
    } else if (isSliceItem(it)) {
      const step = it.step ?? 1;
      for (const b of [it.start, it.stop, step])
        if (b !== null && b !== undefined && !Number.isInteger(b))
          throw new IndexError(op, `slice indices must be integers or null, got ${b}`);
      if (step <= 0) throw new ValueError(op, `slice step must be greater than zero, got ${step}`);
      advance(slice(v, d++, it.start ?? 0, it.stop ?? null, step));
      real++;
    } else {
      throw new IndexError(
        op,
        `only integers, slices, null (newaxis), '...' and int64/bool tensors are valid indices, got ${String(it)}`,
      );
    }
  }
  const release = (): void => {
    for (const a of adv) if (a.owned) a.index.dispose();
    if (v !== x) v.dispose();
  };
  return { view: v, adv, release };
}

/** Where the advanced-index result lives: its shape, the index loads, and the source offset of each element. */
interface AdvancedPlan {
  shape: number[];
  loads: View[];
  offset: Exp;
}

/**
 * NumPy/PyTorch placement: the broadcast index shape replaces the indexed dims where they are
 * adjacent, and goes first when they are separated by other dims.
 */
function planAdvanced(op: string, v: Tensor, adv: readonly Advanced[]): AdvancedPlan {
  let bshape: number[];
  try {
    bshape = broadcastShapes(op, ...adv.map((a) => a.index.shape));
  } catch {
    throw new IndexError(
      op,
      `shape mismatch: indexing tensors could not be broadcast together with shapes ${adv.map((a) => fmtShape(a.index.shape)).join(", ")}`,
    );
  }
  const dims = adv.map((a) => a.dim);
  const adjacent = dims.every((dd, j) => j === 0 || dd === (dims[j - 1] as number) + 1);
  const rest = v.shape.map((_, k) => k).filter((k) => !dims.includes(k));
  const at = adjacent ? (dims[0] as number) : 0;
  const outDim = (k: number): number =>
    adjacent ? (k < at ? k : k - dims.length + bshape.length) : bshape.length + rest.indexOf(k);
  const shape = new Array<number>(v.ndim - dims.length + bshape.length);
  bshape.forEach((n, i) => {
    shape[at + i] = n;
  });
  for (const k of rest) shape[outDim(k)] = v.shape[k] as number;
  for (const a of adv) if (!a.owned) checkRange(op, a.index, a.realDim, v.shape[a.dim] as number, true);
  const terms: (readonly [Exp, number])[] = rest.map((k) => [coord(outDim(k)), v.strides[k] as number] as const);
  adv.forEach((a, j) => {
    terms.push([indexValue(load(j, "int64"), v.shape[a.dim] as number, true), v.strides[a.dim] as number]);
  });
  return { shape, loads: adv.map((a) => placedView(a.index, bshape, shape, at)), offset: affine(v.offset, terms) };
}

/** Items that re-apply resolved advanced indices to a tensor shaped like the view: full slices elsewhere. */
function advancedItems(dims: readonly number[], indices: readonly Tensor[]): IndexItem[] {
  const items: IndexItem[] = [];
  const last = Math.max(...dims);
  for (let k = 0; k <= last; k++) {
    const j = dims.indexOf(k);
    items.push(j >= 0 ? (indices[j] as Tensor) : {});
  }
  return items;
}

function alias(x: Tensor): Tensor {
  const y = makeView(x, x.shape, x.strides, x.offset);
  attachGrad("AliasBackward0", [x], [y], [], ([g]) => [g as Tensor]);
  return y;
}

/** x[indices] with Python/PyTorch semantics: basic items give a view, tensor items a gathered copy. */
export function index(x: Tensor, indices: IndexItem[]): Tensor {
  const op = "index";
  x._check(op);
  const { view: v, adv, release } = resolve(op, x, Array.isArray(indices) ? indices : [indices]);
  if (adv.length === 0) return v === x ? alias(x) : v;
  const plan = planAdvanced(op, v, adv);
  const y = runKernel(
    plan.shape,
    v.dtype,
    v.device,
    [...plan.loads, gatherSource(v, plan.shape)],
    gload(adv.length, v.dtype, plan.offset),
  );
  const dims = adv.map((a) => a.dim);
  attachGrad(
    "IndexBackward0",
    [v],
    [y],
    adv.map((a) => a.index),
    ([g], saved) => [indexPut(zerosFor(v.shape, g as Tensor), advancedItems(dims, saved), g as Tensor, true)],
  );
  release();
  return y;
}

function checkValues(op: string, x: Tensor, values: Tensor | number | boolean): void {
  if (values instanceof Tensor) {
    sameDevice(op, [x, values]);
    if (values.dtype !== x.dtype)
      throw new DTypeError(
        op,
        `index put requires the source and destination dtypes match, got ${x.dtype} for the destination and ${values.dtype} for the source`,
      );
  } else if (typeof values !== "number" && typeof values !== "boolean") {
    throw new DTypeError(op, `values must be a Tensor or a number, got ${values === null ? "null" : typeof values}`);
  }
}

/** values broadcast to `shape` (leading size-1 dims beyond it dropped, as PyTorch's setitem). */
function valuesOver(
  op: string,
  values: Tensor | number | boolean,
  shape: readonly number[],
  dtype: DType,
  device: string,
): Tensor {
  if (!(values instanceof Tensor)) return materialize(shape, dtype, device, values);
  let lead = 0;
  while (values.ndim - lead > shape.length && values.shape[lead] === 1) lead++;
  const vs = values.shape.slice(lead);
  const ok = vs.length <= shape.length && vs.every((n, i) => n === 1 || n === shape[shape.length - vs.length + i]);
  if (!ok)
    throw new ShapeError(
      op,
      `shape mismatch: value tensor of shape ${fmtShape(values.shape)} cannot be broadcast to indexing result of shape ${fmtShape(shape)}`,
    );
  const view = { ...values._view(), shape, strides: broadcastStrides(vs, values.strides.slice(lead), shape) };
  return materialize(shape, dtype, device, view);
}

/** Write values into x[indices] in place (no autograd): ordered scatter for tensor indices, a copy otherwise. */
function writeIndexed(
  op: string,
  x: Tensor,
  indices: readonly IndexItem[],
  values: Tensor | number | boolean,
  accumulate: boolean,
): void {
  const { view: v, adv, release } = resolve(op, x, indices);
  if (adv.length === 0) {
    const src = valuesOver(op, values, v.shape, v.dtype, v.device);
    const e = accumulate
      ? bin("add", cast(load(0, v.dtype), opmath(v.dtype)), cast(load(1, v.dtype), opmath(v.dtype)))
      : load(1, v.dtype);
    v._storage.backend.elementwise(cast(e, v.dtype), v._view(), [v._view(), src._view()]);
    v._bumpVersion();
    src.dispose();
  } else {
    const plan = planAdvanced(op, v, adv);
    const offsets = runKernel(plan.shape, "int32", v.device, plan.loads, plan.offset);
    scatterInto(v, offsets, valuesOver(op, values, plan.shape, v.dtype, v.device), accumulate ? "add" : "set");
  }
  release();
}

/**
 * A copy of x with x[indices] = values (or += values with accumulate, duplicates summed in index
 * order). `indices` are the items of `index` (setitem semantics): null is a newaxis, not
 * Tensor.index_put's "whole dim" (use a full slice `{}` for that).
 */
export function indexPut(x: Tensor, indices: IndexItem[], values: Tensor | number | boolean, accumulate = false): Tensor {
  const op = "index_put";
  x._check(op);
  checkValues(op, x, values);
  const items = Array.isArray(indices) ? indices : [indices];
  const y = noGrad(() => {
    const out = copyAs(x);
    writeIndexed(op, out, items, values, accumulate);
    return out;
  });
  const valuesT = values instanceof Tensor ? values : null;
  const xNeeds = x.requiresGrad;
  const valuesNeed = valuesT?.requiresGrad === true;
  const itemTensors = items.filter((it): it is Tensor => it instanceof Tensor);
  attachGrad("IndexPutBackward0", [x, valuesT], [y], itemTensors, ([g], saved) => {
    let k = 0;
    const sitems = items.map((it) => (it instanceof Tensor ? (saved[k++] as Tensor) : it));
    const gg = g as Tensor;
    let gv: Tensor | null = null;
    if (valuesNeed && valuesT) {
      const region = index(gg, sitems);
      gv = region.ndim < valuesT.ndim ? reshape(region, [...valuesT.shape]) : sumToShape(region, valuesT.shape);
    }
    return [xNeeds ? (accumulate ? gg : indexPut(gg, sitems, 0)) : null, gv];
  });
  return y;
}

/** x[indices] = values in place (setitem); with accumulate, x[indices] += values, duplicates summed in index order. */
export function indexPut_(x: Tensor, indices: IndexItem[], values: Tensor | number | boolean, accumulate = false): Tensor {
  const op = "index_put_";
  x._check(op);
  checkValues(op, x, values);
  const items = Array.isArray(indices) ? indices : [indices];
  if (!needsGrad([x, values instanceof Tensor ? values : null])) {
    noGrad(() => writeIndexed(op, x, items, values, accumulate));
    return x;
  }
  if (x.isLeaf && x.requiresGrad)
    throw new AutogradError(
      op,
      "a leaf Variable that requires grad is being used in an in-place operation (wrap it in torch.noGrad)",
    );
  if (x._base?.requiresGrad)
    throw new AutogradError(
      op,
      "in-place modification of a view of a tensor that requires grad is not supported yet; use indexPut",
    );
  // Out of place on the graph, then written back: x takes over the result's history.
  const r = indexPut(x, items, values, accumulate);
  copyInto(x, r);
  x.requiresGrad = true;
  x.gradFn = r.gradFn;
  x._outIndex = r._outIndex;
  return x;
}

// ---------------------------------------------------------------- nonzero

/**
 * Coordinates of the nonzero elements in row-major order, [n, ndim] int64. The count is read back
 * (the output shape depends on it); the coordinates are scattered on the device: element p goes to
 * row cumsum(p) - 1, zeros to a spare last row that is dropped.
 */
export function nonzero(x: Tensor, opts: { asTuple?: boolean } = {}): Tensor | Tensor[] {
  const op = "nonzero";
  x._check(op);
  if (!x._storage.backend.readSync)
    throw new DeviceError(op, `the output size must be read back, and device '${x.device}' has no synchronous readback`);
  const coords = noGrad(() => nonzeroCoords(x));
  if (!opts.asTuple) return coords;
  if (x.ndim === 0) return [zeros([coords.shape[0] as number], { dtype: "int64", device: x.device })];
  const cols = Array.from({ length: x.ndim }, (_, k) => copyOfView(select(coords, 1, k)));
  coords.dispose();
  return cols;
}

function nonzeroCoords(x: Tensor): Tensor {
  const nd = x.ndim;
  const flags = x.dtype === "bool" ? x : ne(x, 0);
  const total = sum(flags);
  const count = Number(total.itemSync());
  total.dispose();
  if (nd === 0 || count === 0) return empty([count, nd], "int64", x.device);
  const rows = empty([count + 1, nd], "int64", x.device);
  const counts = copyAs(flags, "int64");
  const flat = reshape(counts, [-1]);
  const slots = cumsum(flat, 0);
  flat.dispose();
  counts.dispose();
  const shape = [...x.shape, nd];
  const flagView = { ...flags._view(), shape, strides: [...flags.strides, 0] };
  const slotView = { ...slots._view(), shape, strides: [...contiguousStrides(x.shape), 0] };
  const col = coord(nd);
  const row = pick(load(0, "bool"), bin("sub", cast(load(1, "int64"), "int32"), i32(1)), i32(count));
  const offsets = runKernel(shape, "int32", x.device, [flagView, slotView], bin("add", bin("mul", row, i32(nd)), col));
  let value: Exp = coord(nd - 1);
  for (let k = nd - 2; k >= 0; k--) value = pick(bin("eq", col, i32(k)), coord(k), value);
  scatterInto(rows, offsets, runKernel(shape, "int64", x.device, [], value), "set");
  const out = copyOfView(narrow(rows, 0, 0, count));
  rows.dispose();
  slots.dispose();
  if (flags !== x) flags.dispose();
  return out;
}

// ---------------------------------------------------------------- sort / topk

/** Sorted values and their int64 indices along d, from the backend's stable sort (NaN largest). */
function sortAlong(x: Tensor, d: number, descending: boolean): [Tensor, Tensor] {
  const values = empty(x.shape, x.dtype, x.device);
  const indices = empty(x.shape, "int64", x.device);
  if (x.ndim === 0) {
    copyInto(values, x);
    copyInto(indices, 0);
    return [values, indices];
  }
  const perm = x.shape.map((_, k) => k).filter((k) => k !== d);
  perm.push(d);
  const lastDim = (v: View): View => ({
    ...v,
    shape: perm.map((k) => v.shape[k] as number),
    strides: perm.map((k) => v.strides[k] as number),
  });
  kernelFor("sort", x, "sort").sort(lastDim(values._view()), lastDim(indices._view()), lastDim(x._view()), descending);
  return [values, indices];
}

/** The gradient of a value-selecting op (sort, topk): g written into zeros at the selected indices. */
function selectedGrad(g: Tensor, shape: readonly number[], d: number, indices: Tensor): Tensor {
  return shape.length === 0 ? g : scatter(zerosFor(shape, g), d, indices, g);
}

/**
 * torch.sort. The sort is always stable (equal elements keep their order, `stable` only documents
 * that), NaN sorts as the largest value, -0 and 0 are equal.
 */
export function sort(x: Tensor, dim = -1, descending = false, opts: { stable?: boolean } = {}): [Tensor, Tensor] {
  const op = "sort";
  x._check(op);
  void opts.stable;
  const d = normDim(op, dim, x.ndim);
  const [values, indices] = sortAlong(x, d, descending);
  attachGrad("SortBackward0", [x], [values], [indices], ([g], [idx]) => [selectedGrad(g as Tensor, x.shape, d, idx as Tensor)]);
  return [values, indices];
}

export function argsort(x: Tensor, dim = -1, descending = false, opts: { stable?: boolean } = {}): Tensor {
  const op = "argsort";
  x._check(op);
  void opts.stable;
  const [values, indices] = sortAlong(x, normDim(op, dim, x.ndim), descending);
  values.dispose();
  return indices;
}

/**
 * The k largest (or smallest) entries along dim, in sorted order, with their indices. NaN counts
 * as the largest value. Ties go to the lower index (the stable sort's order); PyTorch leaves the
 * order of ties unspecified. `sorted=false` returns them sorted as well (any order is allowed).
 */
export function topk(x: Tensor, k: number, dim = -1, largest = true, sorted = true): [Tensor, Tensor] {
  const op = "topk";
  x._check(op);
  void sorted;
  const d = normDim(op, dim, x.ndim);
  const n = sizesOf(x)[d] as number;
  if (!Number.isInteger(k) || k < 0 || k > n)
    throw new IndexError(op, `selected index k out of range: k = ${k} for dimension ${d} with size ${n}`);
  let [values, indices] = sortAlong(x, d, largest);
  if (x.ndim > 0 && k < n) {
    const [sv, si] = [values, indices];
    values = copyOfView(narrow(sv, d, 0, k));
    indices = copyOfView(narrow(si, d, 0, k));
    sv.dispose();
    si.dispose();
  }
  attachGrad("TopkBackward0", [x], [values], [indices], ([g], [idx]) => [selectedGrad(g as Tensor, x.shape, d, idx as Tensor)]);
  return [values, indices];
}
