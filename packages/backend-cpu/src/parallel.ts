import type { DType, ir, ReduceKernel, ReferenceBackend, View } from "@lockstep/core";
import type { Job, OperandSpec, PieceSpec } from "./pool.js";

// Splitting a kernel's output into contiguous pieces for the worker pool (pool.ts).
//
// A piece is a sub-view of every operand: the same strides, one dim narrowed to a range, offsets
// moved to its start. Each thread runs the ordinary reference kernel on its piece, so:
// - elementwise: every output element is computed by the same expression from the same inputs,
//   whichever thread computes it: identical bits for any split;
// - reduce: only output elements are split; each output's pairwise tree over its reduced elements is
//   computed whole by one thread: identical bits for any split;
// - scan: only the outer (non-scanned) rows are split.

/**
 * Drop size-1 dims and merge dims that are contiguous for every operand (as the reference does),
 * so that e.g. a contiguous [64, 256, 64] op becomes one flat range that splits evenly.
 */
export function collapse(
  shape: readonly number[],
  stridesList: readonly (readonly number[])[],
): { shape: number[]; strides: number[][] } {
  const sh: number[] = [];
  const st: number[][] = stridesList.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d] as number;
    if (size === 1) continue;
    const last = sh.length - 1;
    let merge = last >= 0;
    for (let i = 0; merge && i < st.length; i++)
      merge = (st[i] as number[])[last] === ((stridesList[i] as readonly number[])[d] as number) * size;
    if (merge) {
      sh[last] = (sh[last] as number) * size;
      for (let i = 0; i < st.length; i++) (st[i] as number[])[last] = (stridesList[i] as readonly number[])[d] as number;
    } else {
      sh.push(size);
      for (let i = 0; i < st.length; i++) (st[i] as number[]).push((stridesList[i] as readonly number[])[d] as number);
    }
  }
  return { shape: sh, strides: st };
}

export interface Piece {
  readonly shape: number[];
  /** One offset per operand. */
  readonly offsets: number[];
  /** The dim split, and where along it this piece starts. */
  readonly dim: number;
  readonly start: number;
}

/**
 * Split `shape` (already collapsed) into at most `parts` pieces along one dim: the outermost dim
 * with at least 4 rows per part (balanced within 25%), else the largest. Offsets are per operand.
 */
export function split(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
  offsets: readonly number[],
  parts: number,
): Piece[] {
  if (shape.length === 0 || parts < 2) return [{ shape: shape.slice(), offsets: offsets.slice(), dim: 0, start: 0 }];
  let d = shape.findIndex((n) => n >= 4 * parts);
  if (d < 0) {
    d = 0;
    for (let i = 1; i < shape.length; i++) if ((shape[i] as number) > (shape[d] as number)) d = i;
  }
  const size = shape[d] as number;
  const p = Math.min(parts, size);
  const pieces: Piece[] = [];
  for (let j = 0; j < p; j++) {
    const start = Math.floor((j * size) / p);
    const end = Math.floor(((j + 1) * size) / p);
    const sh = shape.slice();
    sh[d] = end - start;
    pieces.push({
      shape: sh,
      offsets: offsets.map((o, i) => o + start * ((strides[i] as readonly number[])[d] as number)),
      dim: d,
      start,
    });
  }
  return pieces;
}

export const numelOf = (shape: readonly number[]): number => {
  let n = 1;
  for (let d = 0; d < shape.length; d++) n *= shape[d] as number;
  return n;
};

/** Run piece `j` of `job` with `backend` (the reference's kernels); `bufs[i]` is operand i's buffer. */
export function runPiece(backend: ReferenceBackend, job: Job, bufs: readonly unknown[], j: number): void {
  const p = job.pieces[j] as PieceSpec;
  const view = (i: number): View => {
    const o = job.operands[i] as OperandSpec;
    return {
      buf: bufs[i],
      dtype: o.dtype as DType,
      shape: o.tail.length ? [...p.shape, ...o.tail] : p.shape,
      strides: o.strides,
      offset: p.offsets[i] as number,
    };
  };
  switch (job.kind) {
    case "ew": {
      const ins: View[] = [];
      for (let i = 1; i < job.operands.length; i++) ins.push(view(i));
      backend.elementwise((job.es?.[j] ?? job.e) as ir.Exp, view(0), ins);
      return;
    }
    case "red":
      backend.reduce(job.k as ReduceKernel, view(0), view(1), job.nReduced as number);
      return;
    case "scan":
      backend.scan(job.op as "sum" | "prod", view(0), view(1));
      return;
  }
}

/**
 * `e` for a piece that starts at `start` along output dim `dim`: the kernel sees its piece's own
 * coordinates (from 0), so coord(dim) becomes coord(dim) + start. Shared subexpressions stay shared.
 */
export function shiftCoord(e: ir.Exp, dim: number, start: number, irNs: typeof ir): ir.Exp {
  if (start === 0) return e;
  const memo = new Map<ir.Exp, ir.Exp>();
  const shifted = irNs.bin("add", irNs.coord(dim), irNs.konst(start, "int32"));
  const walk = (x: ir.Exp): ir.Exp => {
    let y = memo.get(x);
    if (y) return y;
    switch (x.k) {
      case "coord":
        y = x.d === dim ? shifted : x;
        break;
      case "gload":
        y = { ...x, off: walk(x.off) };
        break;
      case "un":
      case "cast":
      case "bitcast":
        y = { ...x, a: walk(x.a) } as ir.Exp;
        break;
      case "bin":
        y = { ...x, a: walk(x.a), b: walk(x.b) };
        break;
      case "fma":
      case "select":
        y = { ...x, a: walk(x.a), b: walk(x.b), c: walk(x.c) } as ir.Exp;
        break;
      default:
        y = x;
    }
    memo.set(x, y);
    return y;
  };
  return walk(e);
}
