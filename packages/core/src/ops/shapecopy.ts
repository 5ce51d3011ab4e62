// Shape ops that copy: cat, stack, flip, roll, repeat, tril/triu, diag, diagEmbed.
import { attachGrad } from "../autograd/graph.js";
import { fmtShape, ShapeError, ValueError } from "../errors.js";
import type { Exp } from "../ir.js";
import { bin, coord, konst, select as sel } from "../ir.js";
import { normDim, normDims } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { copyAs, elementwise, empty, opmath, resultDtype } from "./core.js";
import { copyInto } from "./elementwise.js";
import { contiguous, diagonal, expand, makeView, narrow, reshape, unsqueeze, viewScatter } from "./views.js";

export function cat(tensors: Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ValueError("cat", "expected a non-empty list of Tensors");
  for (const t of tensors) t._check("cat");
  // PyTorch skips legacy empty 1-D tensors of shape [0].
  const parts = tensors.filter((t) => !(t.ndim === 1 && t.shape[0] === 0));
  const ref = parts[0] ?? (tensors[0] as Tensor);
  const d = normDim("cat", dim, ref.ndim);
  for (const t of parts)
    if (t.ndim !== ref.ndim || t.shape.some((s, i) => i !== d && s !== ref.shape[i]))
      throw new ShapeError(
        "cat",
        `sizes of tensors must match except in dimension ${d}: got ${tensors.map((x) => fmtShape(x.shape)).join(", ")}`,
      );
  const dtype = resultDtype(tensors);
  const shape = [...ref.shape];
  shape[d] = parts.reduce((a, t) => a + (t.shape[d] as number), 0);
  const out = empty(parts.length ? shape : ref.shape, dtype, ref.device);
  let at = 0;
  const starts: number[] = [];
  for (const t of parts) {
    starts.push(at);
    const len = t.shape[d] as number;
    copyInto(narrow(out, d, at, len), t);
    at += len;
  }
  attachGrad("CatBackward0", tensors, [out], [], ([g]) =>
    tensors.map((t) => {
      const i = parts.indexOf(t);
      if (i < 0) return (g as Tensor).narrow(0, 0, 0).reshape([0]).to(t.dtype); // skipped legacy empty input
      return narrow(g as Tensor, d, starts[i] as number, t.shape[d] as number).to(t.dtype);
    }),
  );
  return out;
}
export const concat = cat;
export const concatenate = cat;

export function stack(tensors: Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ValueError("stack", "expected a non-empty list of Tensors");
  const ref = tensors[0] as Tensor;
  for (const t of tensors)
    if (t.ndim !== ref.ndim || t.shape.some((s, i) => s !== ref.shape[i]))
      throw new ShapeError(
        "stack",
        `stack expects each tensor to be equal size, but got ${tensors.map((x) => fmtShape(x.shape)).join(", ")}`,
      );
  const d = normDim("stack", dim, ref.ndim + 1);
  return cat(
    tensors.map((t) => unsqueeze(t, d)),
    d,
  );
}
export const hstack = (ts: Tensor[]): Tensor => cat(ts, (ts[0] as Tensor).ndim === 1 ? 0 : 1);
export const vstack = (ts: Tensor[]): Tensor =>
  cat(
    ts.map((t) => (t.ndim === 1 ? unsqueeze(t, 0) : t)),
    0,
  );

export function flip(x: Tensor, dims: number | number[]): Tensor {
  const ds = Array.isArray(dims) && dims.length === 0 ? [] : normDims("flip", dims, x.ndim);
  const strides = [...x.strides];
  let off = x.offset;
  for (const d of ds) {
    const n = x.shape[d] as number;
    if (n > 0) off += (n - 1) * (x.strides[d] as number);
    strides[d] = -(x.strides[d] as number);
  }
  const v = makeView(x, x.shape, strides, off);
  const y = copyAs(v);
  v.dispose();
  attachGrad("FlipBackward0", [x], [y], [], ([g]) => [flip(g as Tensor, ds)]);
  return y;
}
export const fliplr = (x: Tensor): Tensor => flip(x, 1);
export const flipud = (x: Tensor): Tensor => flip(x, 0);

export function roll(x: Tensor, shifts: number | number[], dims?: number | number[]): Tensor {
  const sh = Array.isArray(shifts) ? shifts : [shifts];
  if (dims === undefined || (Array.isArray(dims) && dims.length === 0)) {
    if (sh.length !== 1) throw new ValueError("roll", "shifts must have one element when dims is not given");
    return reshape(roll(reshape(x, [-1]), sh[0] as number, 0), [...x.shape]);
  }
  const ds = Array.isArray(dims) ? dims : [dims];
  if (!sh.every(Number.isInteger)) throw new ValueError("roll", `shifts must be integers, got ${JSON.stringify(shifts)}`);
  if (ds.length !== sh.length)
    throw new ValueError("roll", `shifts (${sh.length}) and dims (${ds.length}) must have the same length`);
  let r = x;
  ds.forEach((dd, i) => {
    const d = normDim("roll", dd, x.ndim);
    const n = x.shape[d] as number;
    if (n === 0) return;
    const s = (((sh[i] as number) % n) + n) % n;
    if (s === 0) return;
    r = cat([narrow(r, d, n - s, s), narrow(r, d, 0, n - s)], d);
  });
  return r === x ? contiguous(x).clone() : r;
}

export function repeat(x: Tensor, ...sizes: (number | number[])[]): Tensor {
  const reps = (sizes.length === 1 && Array.isArray(sizes[0]) ? sizes[0] : sizes) as number[];
  if (!reps.every((r) => Number.isInteger(r) && r >= 0))
    throw new ValueError(
      "repeat",
      `repeats must be non-negative integers (Trying to create tensor with negative dimension), got ${JSON.stringify(reps)}`,
    );
  if (reps.length < x.ndim)
    throw new ShapeError(
      "repeat",
      `number of dimensions of repeat dims (${reps.length}) can not be smaller than number of dimensions of tensor (${x.ndim})`,
    );
  const lead = reps.length - x.ndim;
  const base = reshape(x, [...Array(lead).fill(1), ...x.shape]);
  const inter: number[] = [];
  const exp: number[] = [];
  const fin: number[] = [];
  base.shape.forEach((s, i) => {
    inter.push(1, s);
    exp.push(reps[i] as number, s);
    fin.push((reps[i] as number) * s);
  });
  return reshape(contiguous(expand(reshape(base, inter), exp)), fin);
}

function triangle(name: "tril" | "triu", x: Tensor, diagonal: number): Tensor {
  if (x.ndim < 2) throw new ShapeError(name, `input tensor must have at least 2 dimensions, got ${x.ndim}`);
  const r = x.ndim - 2;
  const y = elementwise(name, [x, 0], x.dtype, opmath(x.dtype), ([v, z]) => {
    const diff = bin("sub", coord(r + 1), coord(r)); // col - row
    const k = konst(diagonal, "int32");
    const keep: Exp = name === "tril" ? bin("le", diff, k) : bin("ge", diff, k);
    return sel(keep, v as Exp, z as Exp);
  });
  attachGrad(name === "tril" ? "TrilBackward0" : "TriuBackward0", [x], [y], [], ([g]) => [triangle(name, g as Tensor, diagonal)]);
  return y;
}
export const tril = (x: Tensor, diagonal = 0): Tensor => triangle("tril", x, diagonal);
export const triu = (x: Tensor, diagonal = 0): Tensor => triangle("triu", x, diagonal);

export function diag(x: Tensor, diagonal_ = 0): Tensor {
  if (x.ndim === 1) {
    const n = (x.shape[0] as number) + Math.abs(diagonal_);
    return viewScatter(x, [n, n], (z) => diagonal(z, diagonal_));
  }
  if (x.ndim === 2) return contiguous(diagonal(x, diagonal_)).clone();
  throw new ShapeError("diag", `expected a 1-D or 2-D tensor, got ${x.ndim}-D`);
}

export function diagEmbed(x: Tensor, offset = 0, dim1 = -2, dim2 = -1): Tensor {
  const rank = x.ndim + 1;
  const a = normDim("diag_embed", dim1, rank);
  const b = normDim("diag_embed", dim2, rank);
  const n = (x.shape[x.ndim - 1] as number) + Math.abs(offset);
  const batch = x.shape.slice(0, -1);
  const shape: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) shape.push(i === a || i === b ? n : (batch[k++] as number));
  return viewScatter(x, shape, (z) => diagonal(z, offset, a, b));
}
