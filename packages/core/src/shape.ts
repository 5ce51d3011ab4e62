// Shape arithmetic shared by every op: broadcasting, strides, dim normalisation.
import { fmtShape, IndexError, ShapeError } from "./errors.js";

export type Shape = readonly number[];

export const numel = (s: Shape): number => {
  let n = 1;
  for (const d of s) n *= d;
  return n;
};

export function contiguousStrides(shape: Shape): number[] {
  const st = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= Math.max(shape[i] as number, 1);
  }
  return st;
}

export function isContiguous(shape: Shape, strides: Shape): boolean {
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i] as number;
    if (d === 0) return true;
    if (d !== 1 && strides[i] !== acc) return false;
    acc *= d;
  }
  return true;
}

export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i] as number;
      const cur = out[o] as number;
      if (d === cur || d === 1) continue;
      if (cur === 1) out[o] = d;
      else
        throw new ShapeError(
          op,
          `shapes ${shapes.map(fmtShape).join(", ")} cannot be broadcast together: size ${cur} vs ${d} at dim ${o} (sizes must match or be 1)`,
        );
    }
  }
  return out;
}

/** Strides that read a tensor of `shape`/`strides` as if it had the broadcast shape `to` (0 on broadcast dims). */
export function broadcastStrides(shape: Shape, strides: Shape, to: Shape): number[] {
  const out = new Array<number>(to.length).fill(0);
  const off = to.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[off + i] = shape[i] === 1 && to[off + i] !== 1 ? 0 : (strides[i] as number);
  return out;
}

export function normDim(op: string, dim: number, rank: number): number {
  const r = Math.max(rank, 1);
  if (!Number.isInteger(dim) || dim < -r || dim >= r)
    throw new IndexError(op, `dim ${dim} out of range for a tensor of rank ${rank} (expected in [${-r}, ${r - 1}])`);
  return dim < 0 ? dim + r : dim;
}

/** Normalise a dim argument (number, list, or null/undefined = all dims) to a sorted unique list. */
export function normDims(op: string, dim: number | readonly number[] | null | undefined, rank: number): number[] {
  if (dim === undefined || dim === null) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof dim === "number" ? [dim] : [...dim];
  if (list.length === 0) return Array.from({ length: rank }, (_, i) => i);
  const seen = new Set<number>();
  for (const d of list) {
    const n = normDim(op, d, rank);
    if (rank === 0) continue; // a 0-dim tensor accepts dim 0 / -1 and reduces nothing
    if (seen.has(n)) throw new IndexError(op, `dim ${n} appears multiple times in the list of dims ${JSON.stringify(list)}`);
    seen.add(n);
  }
  return [...seen].sort((a, b) => a - b);
}

/** Accept PyTorch's two size forms: f([2, 3]) and f(2, 3). */
export function sizeArgs(op: string, args: readonly unknown[]): number[] {
  const s = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  for (const d of s)
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0)
      throw new ShapeError(op, `sizes must be non-negative integers, got ${JSON.stringify(s)}`);
  return s as number[];
}
