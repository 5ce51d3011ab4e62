// Indexing, gather/scatter, sort. (Being implemented: see the signatures; each throws until then.)
import { ValueError } from "../errors.js";
import type { Tensor } from "../tensor.js";

/** One item of a Python-style index: integer, slice, null (newaxis), "..." (ellipsis), integer/bool tensor. */
export type IndexItem = number | { start?: number | null; stop?: number | null; step?: number | null } | null | "..." | Tensor;

const todo = (op: string): never => {
  throw new ValueError(op, "not implemented yet");
};

export function index(x: Tensor, indices: IndexItem[]): Tensor {
  return todo(`index ${x.ndim} ${indices.length}`);
}
export function indexPut_(x: Tensor, indices: IndexItem[], values: Tensor | number | boolean, accumulate = false): Tensor {
  return todo(`indexPut_ ${x.ndim} ${indices.length} ${typeof values} ${accumulate}`);
}
export function indexPut(x: Tensor, indices: IndexItem[], values: Tensor | number | boolean, accumulate = false): Tensor {
  return todo(`indexPut ${x.ndim} ${indices.length} ${typeof values} ${accumulate}`);
}
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  return todo(`gather ${x.ndim} ${dim} ${index.ndim}`);
}
export function scatter(
  x: Tensor,
  dim: number,
  index: Tensor,
  src: Tensor | number,
  opts: { reduce?: "add" | "multiply" } = {},
): Tensor {
  return todo(`scatter ${x.ndim} ${dim} ${index.ndim} ${typeof src} ${opts.reduce}`);
}
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  return todo(`scatterAdd ${x.ndim} ${dim} ${index.ndim} ${src.ndim}`);
}
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  return todo(`indexSelect ${x.ndim} ${dim} ${index.ndim}`);
}
export function indexAdd(x: Tensor, dim: number, index: Tensor, source: Tensor, opts: { alpha?: number } = {}): Tensor {
  return todo(`indexAdd ${x.ndim} ${dim} ${index.ndim} ${source.ndim} ${opts.alpha}`);
}
export function nonzero(x: Tensor, opts: { asTuple?: boolean } = {}): Tensor | Tensor[] {
  return todo(`nonzero ${x.ndim} ${opts.asTuple}`);
}
export function sort(x: Tensor, dim = -1, descending = false, opts: { stable?: boolean } = {}): [Tensor, Tensor] {
  return todo(`sort ${x.ndim} ${dim} ${descending} ${opts.stable}`);
}
export function argsort(x: Tensor, dim = -1, descending = false, opts: { stable?: boolean } = {}): Tensor {
  return todo(`argsort ${x.ndim} ${dim} ${descending} ${opts.stable}`);
}
export function topk(x: Tensor, k: number, dim = -1, largest = true, sorted = true): [Tensor, Tensor] {
  return todo(`topk ${x.ndim} ${k} ${dim} ${largest} ${sorted}`);
}
