// View ops: new shape/strides/offset over the same storage (no copy), each with its gradient.
import { attachGrad } from "../autograd/graph.js";
import { kernelFor } from "../determinism.js";
import { fmtShape, IndexError, ShapeError, ValueError } from "../errors.js";
import { broadcastShapes, contiguousStrides, normDim, numel, sizeArgs } from "../shape.js";
import { Tensor } from "../tensor.js";
import { copyAs, empty, fromStorageArray } from "./core.js";
import { copyInto, div } from "./elementwise.js";
import { sum, sumToShape } from "./reduce.js";

/** A view of x with the given geometry, sharing its storage. */
export function makeView(x: Tensor, shape: readonly number[], strides: readonly number[], offset: number): Tensor {
  x._check("view");
  const v = new Tensor(x._storage.retain(), shape, strides, offset);
  v._base = x._base ?? x;
  return v;
}

/**
 * The gradient of a view that selects part of its input: zeros of the input's shape with g written
 * through the same view. Itself differentiable (its gradient is the view of the incoming grad).
 */
export function viewScatter(g: Tensor, shape: readonly number[], select: (t: Tensor) => Tensor): Tensor {
  const z = empty(shape, g.dtype, g.device);
  copyInto(z, 0);
  copyInto(select(z), g);
  attachGrad("ViewScatterBackward0", [g], [z], [], ([gg]) => [select(gg as Tensor)]);
  return z;
}

// ---- shape inference ----

function inferSize(op: string, shape: readonly number[], n: number): number[] {
  let infer = -1;
  let known = 1;
  shape.forEach((d, i) => {
    if (d === -1) {
      if (infer >= 0) throw new ShapeError(op, `only one dimension can be inferred, got shape ${fmtShape(shape)}`);
      infer = i;
    } else if (!Number.isInteger(d) || d < 0) throw new ShapeError(op, `invalid shape dimension ${d} in ${fmtShape(shape)}`);
    else known *= d;
  });
  const out = [...shape];
  if (infer >= 0) {
    if (known === 0 || n % known !== 0) throw new ShapeError(op, `shape '${fmtShape(shape)}' is invalid for input of size ${n}`);
    out[infer] = n / known;
  } else if (known !== n) throw new ShapeError(op, `shape '${fmtShape(shape)}' is invalid for input of size ${n}`);
  return out;
}

/** Strides for viewing (shape, strides) as newShape without a copy, or null (PyTorch's computeStride). */
function viewStrides(shape: readonly number[], strides: readonly number[], newShape: readonly number[]): number[] | null {
  if (numel(shape) === 0 || shape.length === 0) return contiguousStrides(newShape);
  const out = new Array<number>(newShape.length);
  let viewD = newShape.length - 1;
  let chunkBase = strides[strides.length - 1] ?? 1;
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    tensorNumel *= shape[d] as number;
    if (d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        out[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD] as number;
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = strides[d - 1] as number;
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return out;
}

export function view(x: Tensor, ...size: (number | number[])[]): Tensor {
  const shape = inferSize("view", sizeArgsLoose(size), x.numel());
  const st = viewStrides(x.shape, x.strides, shape);
  if (!st)
    throw new ShapeError(
      "view",
      `view size ${fmtShape(shape)} is not compatible with input tensor's size ${fmtShape(x.shape)} and stride ${fmtShape(x.strides)} (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.`,
    );
  const y = makeView(x, shape, st, x.offset);
  attachGrad("ViewBackward0", [x], [y], [], ([g]) => [reshape(g as Tensor, [...x.shape])]);
  return y;
}

export function reshape(x: Tensor, ...size: (number | number[])[]): Tensor {
  const shape = inferSize("reshape", sizeArgsLoose(size), x.numel());
  const st = viewStrides(x.shape, x.strides, shape);
  if (st) {
    const y = makeView(x, shape, st, x.offset);
    attachGrad("ViewBackward0", [x], [y], [], ([g]) => [reshape(g as Tensor, [...x.shape])]);
    return y;
  }
  return view(contiguous(x), shape);
}

/** Accept size lists with -1 (PyTorch's view/reshape allow one inferred dim). */
function sizeArgsLoose(size: (number | number[])[]): number[] {
  const s = size.length === 1 && Array.isArray(size[0]) ? (size[0] as number[]) : (size as number[]);
  return s.map((d) => {
    if (typeof d !== "number" || !Number.isInteger(d) || d < -1)
      throw new ShapeError("view", `invalid size ${JSON.stringify(s)}`);
    return d;
  });
}

export function contiguous(x: Tensor): Tensor {
  if (x.isContiguous()) return x;
  const y = copyAs(x);
  attachGrad("CloneBackward0", [x], [y], [], ([g]) => [g as Tensor]);
  return y;
}

export function permute(x: Tensor, ...dims: (number | number[])[]): Tensor {
  const d = (dims.length === 1 && Array.isArray(dims[0]) ? dims[0] : dims) as number[];
  if (d.length !== x.ndim)
    throw new ShapeError("permute", `number of dims don't match: input has ${x.ndim} dims, got permutation ${JSON.stringify(d)}`);
  const perm = d.map((k) => normDim("permute", k, x.ndim));
  if (new Set(perm).size !== perm.length) throw new IndexError("permute", `repeated dim in permutation ${JSON.stringify(d)}`);
  const y = makeView(
    x,
    perm.map((k) => x.shape[k] as number),
    perm.map((k) => x.strides[k] as number),
    x.offset,
  );
  const inv = new Array<number>(perm.length);
  perm.forEach((k, i) => {
    inv[k] = i;
  });
  attachGrad("PermuteBackward0", [x], [y], [], ([g]) => [permute(g as Tensor, inv)]);
  return y;
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const r = Math.max(x.ndim, 1);
  const a = normDim("transpose", dim0, r);
  const b = normDim("transpose", dim1, r);
  if (x.ndim === 0) return alias(x);
  const perm = Array.from({ length: x.ndim }, (_, i) => (i === a ? b : i === b ? a : i));
  const y = makeView(
    x,
    perm.map((k) => x.shape[k] as number),
    perm.map((k) => x.strides[k] as number),
    x.offset,
  );
  attachGrad("TransposeBackward0", [x], [y], [], ([g]) => [transpose(g as Tensor, a, b)]);
  return y;
}
export const swapaxes = transpose;
export const swapdims = transpose;

export function t(x: Tensor): Tensor {
  if (x.ndim > 2) throw new ShapeError("t", `expects a tensor with <= 2 dimensions, but self is ${x.ndim}D`);
  return x.ndim < 2 ? alias(x) : transpose(x, 0, 1);
}

function alias(x: Tensor): Tensor {
  const y = makeView(x, x.shape, x.strides, x.offset);
  attachGrad("AliasBackward0", [x], [y], [], ([g]) => [g as Tensor]);
  return y;
}

export function squeeze(x: Tensor, dim?: number | number[]): Tensor {
  const dims =
    dim === undefined ? x.shape.map((_, i) => i) : (Array.isArray(dim) ? dim : [dim]).map((d) => normDim("squeeze", d, x.ndim));
  const keep = x.shape.map((s, i) => !(dims.includes(i) && s === 1));
  const y = makeView(
    x,
    x.shape.filter((_, i) => keep[i]),
    x.strides.filter((_, i) => keep[i]),
    x.offset,
  );
  attachGrad("SqueezeBackward0", [x], [y], [], ([g]) => [reshape(g as Tensor, [...x.shape])]);
  return y;
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normDim("unsqueeze", dim, x.ndim + 1);
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape.splice(d, 0, 1);
  strides.splice(d, 0, d < x.ndim ? (x.strides[d] as number) * (x.shape[d] as number) : 1);
  const y = makeView(x, shape, strides, x.offset);
  attachGrad("UnsqueezeBackward0", [x], [y], [], ([g]) => [squeeze(g as Tensor, d)]);
  return y;
}

export function expand(x: Tensor, ...size: (number | number[])[]): Tensor {
  const s = sizeArgsLoose(size);
  if (s.length < x.ndim)
    throw new ShapeError(
      "expand",
      `the number of sizes provided (${s.length}) must be greater or equal to the number of dimensions in the tensor (${x.ndim})`,
    );
  const off = s.length - x.ndim;
  const shape: number[] = [];
  const strides: number[] = [];
  s.forEach((want, i) => {
    const j = i - off;
    const have = j >= 0 ? (x.shape[j] as number) : 1;
    if (want === -1) {
      if (j < 0) throw new ShapeError("expand", `the expanded size -1 is not allowed in a leading, non-existing dimension ${i}`);
      want = have;
    }
    if (have !== want && have !== 1)
      throw new ShapeError(
        "expand",
        `the expanded size of the tensor (${want}) must match the existing size (${have}) at non-singleton dimension ${i}. Target sizes: ${fmtShape(s)}. Tensor sizes: ${fmtShape(x.shape)}`,
      );
    shape.push(want);
    strides.push(j < 0 || (have === 1 && want !== 1) ? 0 : (x.strides[j] as number));
  });
  const y = makeView(x, shape, strides, x.offset);
  attachGrad("ExpandBackward0", [x], [y], [], ([g]) => [sumToShape(g as Tensor, x.shape)]);
  return y;
}
export const expandAs = (x: Tensor, other: Tensor): Tensor => expand(x, [...other.shape]);
export const broadcastTo = (x: Tensor, shape: number[]): Tensor => expand(x, shape);
export function broadcastTensors(...ts: Tensor[]): Tensor[] {
  const shape = broadcastShapes("broadcast_tensors", ...ts.map((t) => t.shape));
  return ts.map((t) => expand(t, shape));
}

/** x.narrow / slicing along one dim with a step; the building block of indexing. */
/** Reject non-integer positions and views of 0-dim tensors, as PyTorch does. */
function checkPositional(op: string, x: Tensor, args: Record<string, number | null | undefined>): void {
  if (x.ndim === 0) throw new IndexError(op, `${op}() cannot be applied to a 0-dim tensor`);
  for (const [name, v] of Object.entries(args))
    if (v !== null && v !== undefined && !Number.isInteger(v))
      throw new ValueError(op, `argument '${name}' must be an integer, got ${v}`);
}

export function slice(x: Tensor, dim: number, start = 0, end: number | null = null, step = 1): Tensor {
  checkPositional("slice", x, { dim, start, end, step });
  const d = normDim("slice", dim, x.ndim);
  if (step <= 0) throw new ValueError("slice", `slice step must be positive, got ${step}`);
  const n = x.shape[d] as number;
  const clampIdx = (i: number) => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
  const s = clampIdx(start);
  const e = Math.max(clampIdx(end ?? n), s);
  const len = Math.ceil((e - s) / step);
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape[d] = len;
  strides[d] = (x.strides[d] as number) * step;
  const y = makeView(x, shape, strides, x.offset + s * (x.strides[d] as number));
  attachGrad("SliceBackward0", [x], [y], [], ([g]) => [viewScatter(g as Tensor, x.shape, (z) => slice(z, d, s, e, step))]);
  return y;
}

export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  checkPositional("narrow", x, { dim, start, length });
  const d = normDim("narrow", dim, x.ndim);
  const n = x.shape[d] as number;
  const s = start < 0 ? start + n : start;
  if (s < 0 || length < 0 || s + length > n)
    throw new IndexError("narrow", `start (${start}) + length (${length}) exceeds dimension size (${n}) of dim ${d}`);
  return slice(x, d, s, s + length, 1);
}

export function select(x: Tensor, dim: number, index: number): Tensor {
  checkPositional("select", x, { dim, index });
  const d = normDim("select", dim, x.ndim);
  const n = x.shape[d] as number;
  if (index < -n || index >= n)
    throw new IndexError("select", `index ${index} is out of bounds for dimension ${d} with size ${n}`);
  const i = index < 0 ? index + n : index;
  const shape = x.shape.filter((_, k) => k !== d);
  const strides = x.strides.filter((_, k) => k !== d);
  const y = makeView(x, shape, strides, x.offset + i * (x.strides[d] as number));
  attachGrad("SelectBackward0", [x], [y], [], ([g]) => [viewScatter(g as Tensor, x.shape, (z) => select(z, d, i))]);
  return y;
}

export function asStrided(x: Tensor, size: number[], stride: number[], storageOffset?: number): Tensor {
  for (const v of [...size, ...stride, storageOffset ?? 0])
    if (!Number.isInteger(v) || v < 0)
      throw new ValueError(
        "as_strided",
        `sizes, strides and the storage offset must be non-negative integers, got size ${fmtShape(size)}, stride ${fmtShape(stride)}, offset ${storageOffset}`,
      );
  if (size.length !== stride.length)
    throw new ShapeError("as_strided", `size ${fmtShape(size)} and stride ${fmtShape(stride)} differ in length`);
  const off = storageOffset ?? x.offset;
  let maxOff = off;
  size.forEach((s, i) => {
    if (s > 0) maxOff += (s - 1) * (stride[i] as number);
  });
  if (numel(size) > 0 && (off < 0 || maxOff >= x._storage.numel))
    throw new IndexError(
      "as_strided",
      `setStorage: sizes ${fmtShape(size)}, strides ${fmtShape(stride)}, storage offset ${off} require a storage of at least ${maxOff + 1} elements, but the storage has ${x._storage.numel}`,
    );
  const y = makeView(x, size, stride, off);
  const inp: Geometry = { shape: [...x.shape], strides: [...x.strides], offset: x.offset };
  const out: Geometry = { shape: [...size], strides: [...stride], offset: off };
  attachGrad("AsStridedBackward0", [x], [y], [], ([g]) => [asStridedBackward(g as Tensor, inp, out)]);
  return y;
}

interface Geometry {
  shape: number[];
  strides: number[];
  offset: number;
}

/**
 * PyTorch's _maybe_overlapping_memory: with the dims sorted by stride, each stride must step past
 * the extent of the smaller ones, else two indices may share a storage element.
 */
function maybeOverlapping(sizes: readonly number[], strides: readonly number[]): boolean {
  const order = sizes.map((_, i) => i).sort((a, b) => (strides[a] as number) - (strides[b] as number));
  let extent = 0;
  for (const i of order) {
    const st = strides[i] as number;
    if (st <= extent) return true;
    extent += st * ((sizes[i] as number) - 1);
  }
  return false;
}

/** PyTorch's _min_storage_size: elements a geometry needs, counting from storage element 0. */
function minStorageSize(sizes: readonly number[], strides: readonly number[], offset: number): number {
  let n = offset + 1;
  for (let i = 0; i < sizes.length; i++) {
    if (sizes[i] === 0) return offset;
    n += ((sizes[i] as number) - 1) * (strides[i] as number);
  }
  return n;
}

/** The storage offset of each element of a geometry, in row-major order. */
function storageOffsets(sizes: readonly number[], strides: readonly number[], offset: number): Int32Array {
  const offs = new Int32Array(numel(sizes));
  const idx = sizes.map(() => 0);
  let o = offset;
  for (let e = 0; e < offs.length; e++) {
    offs[e] = o;
    for (let d = sizes.length - 1; d >= 0; d--) {
      o += strides[d] as number;
      if (++(idx[d] as number) < (sizes[d] as number)) break;
      o -= (strides[d] as number) * (sizes[d] as number);
      idx[d] = 0;
    }
  }
  return offs;
}

/**
 * A [size] tensor of zeros with g's elements (row-major) written ("set") or added in element
 * order ("add") at storage offsets offset + Σ i_k·strides_k. Its gradient reads those elements
 * back: the as_strided view of the incoming gradient.
 */
function stridedScatter(
  g: Tensor,
  size: number,
  sizes: readonly number[],
  strides: readonly number[],
  offset: number,
  mode: "set" | "add",
): Tensor {
  const z = empty([size], g.dtype, g.device);
  copyInto(z, 0);
  if (numel(sizes) > 0) {
    const offs = storageOffsets(sizes, strides, offset);
    const at = fromStorageArray(offs, [offs.length], "int32", g.device);
    const src = g.isContiguous() ? g : copyAs(g);
    kernelFor("as_strided_backward", z, "scatter").scatter(z._view(), at._view(), src._view(), mode);
    at.dispose();
    if (src !== g) src.dispose();
  }
  attachGrad("AsStridedScatterBackward0", [g], [z], [], ([gg]) => {
    const c = (gg as Tensor).isContiguous() ? (gg as Tensor) : contiguous(gg as Tensor);
    return [asStrided(c, [...sizes], [...strides], c.offset + offset)];
  });
  return z;
}

/**
 * as_strided's gradient, as PyTorch's as_strided_backward: the incoming gradient of every view
 * element is accumulated into the storage element it maps to (overlapping windows add up, in
 * element order), and the input's elements are read back through the input's own geometry. If
 * the input itself overlaps (an expanded tensor), each storage element's gradient is divided by
 * the number of input elements that share it. Written with differentiable ops (double backward).
 */
function asStridedBackward(g: Tensor, inp: Geometry, out: Geometry): Tensor {
  const zeros = (): Tensor => {
    const z = empty(inp.shape, g.dtype, g.device);
    copyInto(z, 0);
    return z;
  };
  // Output geometry: size-1 dims drop out, stride-0 dims (broadcast) are summed first.
  let grad = g;
  const outSizes: number[] = [];
  const outStrides: number[] = [];
  for (let i = out.shape.length - 1; i >= 0; i--) {
    const s = out.shape[i] as number;
    const st = out.strides[i] as number;
    if (s === 0) return zeros();
    if (s === 1) grad = squeeze(grad, i);
    else if (st === 0) grad = sum(grad, i);
    else {
      outSizes.unshift(s);
      outStrides.unshift(st);
    }
  }
  const inSizes: number[] = [];
  const inStrides: number[] = [];
  for (let i = inp.shape.length - 1; i >= 0; i--) {
    const s = inp.shape[i] as number;
    if (s === 0) return zeros();
    if (s !== 1) {
      inSizes.unshift(s);
      inStrides.unshift(inp.strides[i] as number);
    }
  }
  // A storage-sized buffer covering both geometries, from the smaller of the two offsets.
  const shared = Math.min(inp.offset, out.offset);
  const inOff = inp.offset - shared;
  const outOff = out.offset - shared;
  const size = Math.max(minStorageSize(inSizes, inStrides, inOff), minStorageSize(outSizes, outStrides, outOff));
  let storage = stridedScatter(grad, size, outSizes, outStrides, outOff, maybeOverlapping(outSizes, outStrides) ? "add" : "set");
  if (maybeOverlapping(inSizes, inStrides)) {
    const count = new Float64Array(size);
    for (const o of storageOffsets(inSizes, inStrides, inOff)) count[o] = (count[o] as number) + 1;
    const c64 = fromStorageArray(count, [size], "float64", g.device);
    const c = copyAs(c64, g.dtype);
    c64.dispose();
    storage = div(storage, c); // 0/0 outside the input's elements, never read
  }
  return asStrided(storage, inp.shape, inp.strides, inOff);
}

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normDim("flatten", startDim, x.ndim);
  const e = normDim("flatten", endDim, x.ndim);
  if (s > e) throw new IndexError("flatten", `start_dim (${startDim}) cannot come after end_dim (${endDim})`);
  const shape = [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

export function unflatten(x: Tensor, dim: number, sizes: number[]): Tensor {
  const d = normDim("unflatten", dim, x.ndim);
  const inner = inferSize("unflatten", sizes, x.shape[d] as number);
  return view(x, [...x.shape.slice(0, d), ...inner, ...x.shape.slice(d + 1)]);
}

export function split(x: Tensor, splitSizeOrSections: number | number[], dim = 0): Tensor[] {
  const d = normDim("split", dim, x.ndim);
  const n = x.shape[d] as number;
  if (typeof splitSizeOrSections === "number") {
    const s = splitSizeOrSections;
    if (!Number.isInteger(s) || s < 0 || (s === 0 && n !== 0))
      throw new ValueError("split", `split_size must be a positive integer, got ${s}`);
    const out: Tensor[] = [];
    if (n === 0) return [narrow(x, d, 0, 0)];
    for (let i = 0; i < n; i += s) out.push(narrow(x, d, i, Math.min(s, n - i)));
    return out;
  }
  const total = splitSizeOrSections.reduce((a, b) => a + b, 0);
  if (total !== n)
    throw new ShapeError(
      "split",
      `split sizes ${JSON.stringify(splitSizeOrSections)} must sum to the dimension size ${n} of dim ${d} (they sum to ${total})`,
    );
  let at = 0;
  return splitSizeOrSections.map((len) => {
    const v = narrow(x, d, at, len);
    at += len;
    return v;
  });
}

export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) throw new ValueError("chunk", `chunks must be a positive integer, got ${chunks}`);
  const d = normDim("chunk", dim, x.ndim);
  const n = x.shape[d] as number;
  return split(x, Math.max(Math.ceil(n / chunks), n === 0 ? 0 : 1), d);
}

export function unbind(x: Tensor, dim = 0): Tensor[] {
  const d = normDim("unbind", dim, x.ndim);
  return Array.from({ length: x.shape[d] as number }, (_, i) => select(x, d, i));
}

export function movedim(x: Tensor, source: number | number[], destination: number | number[]): Tensor {
  const src = (Array.isArray(source) ? source : [source]).map((d) => normDim("movedim", d, x.ndim));
  const dst = (Array.isArray(destination) ? destination : [destination]).map((d) => normDim("movedim", d, x.ndim));
  if (src.length !== dst.length) throw new ShapeError("movedim", "source and destination must have the same number of dims");
  const perm = new Array<number>(x.ndim).fill(-1);
  dst.forEach((d, i) => {
    perm[d] = src[i] as number;
  });
  const rest = x.shape.map((_, i) => i).filter((i) => !src.includes(i));
  let k = 0;
  for (let i = 0; i < perm.length; i++) if (perm[i] === -1) perm[i] = rest[k++] as number;
  return permute(x, perm);
}

/** A view of the diagonal elements (offset > 0: above the main diagonal) of dims dim1, dim2. */
export function diagonal(x: Tensor, offset = 0, dim1 = 0, dim2 = 1): Tensor {
  const a = normDim("diagonal", dim1, x.ndim);
  const b = normDim("diagonal", dim2, x.ndim);
  if (a === b) throw new IndexError("diagonal", `diagonal dimensions cannot be identical ${dim1}, ${dim2}`);
  const na = x.shape[a] as number;
  const nb = x.shape[b] as number;
  const len = Math.max(0, offset >= 0 ? Math.min(na, nb - offset) : Math.min(na + offset, nb));
  let off = x.offset;
  if (len > 0) off += offset >= 0 ? offset * (x.strides[b] as number) : -offset * (x.strides[a] as number);
  const shape = x.shape.filter((_, i) => i !== a && i !== b);
  const strides = x.strides.filter((_, i) => i !== a && i !== b);
  shape.push(len);
  strides.push((x.strides[a] as number) + (x.strides[b] as number));
  const y = makeView(x, shape, strides, off);
  attachGrad("DiagonalBackward0", [x], [y], [], ([g]) => [viewScatter(g as Tensor, x.shape, (z) => diagonal(z, offset, a, b))]);
  return y;
}

export { sizeArgs };
