// Golden-vector entries for the indexing ops (see harness.ts for OpEntry).
// Every entry is bitwise (ulp 0): these ops move data, and the accumulating ones (scatter_add,
// index_add, index_put with accumulate, and the gradients of gather/index/index_select) add in
// index order, sequentially, which is PyTorch's CPU order.

import type { IndexItem, Tensor } from "@lockstep/core";
import * as torch from "@lockstep/core";
import type { OpTable } from "./harness.js";

type A = unknown[];
type K = Record<string, unknown>;
const T = (x: unknown) => x as Tensor;
const N = (x: unknown) => x as number;
const opt = <V>(positional: unknown, keyword: unknown, dflt: V): V => (positional ?? keyword ?? dflt) as V;

export const TABLE: OpTable = {
  getitem: { run: (a) => torch.index(T(a[0]), a[1] as IndexItem[]) },
  gather: { run: (a, k) => torch.gather(T(a[0]), N(a[1]), T(a[2]), { sparseGrad: k.sparseGrad as boolean | undefined }) },
  scatter: {
    run: (a, k) =>
      torch.scatter(T(a[0]), N(a[1]), T(a[2]), (a[3] ?? k.value ?? k.src) as Tensor | number, {
        reduce: k.reduce as "add" | "multiply" | undefined,
      }),
  },
  scatter_add: { run: (a) => torch.scatterAdd(T(a[0]), N(a[1]), T(a[2]), T(a[3])) },
  index_select: { run: (a) => torch.indexSelect(T(a[0]), N(a[1]), T(a[2])) },
  index_add: { run: (a, k) => torch.indexAdd(T(a[0]), N(a[1]), T(a[2]), T(a[3]), { alpha: k.alpha as number | undefined }) },
  "Tensor.index_put": {
    run: (a, k) => torch.indexPut(T(a[0]), a[1] as Tensor[], a[2] as Tensor, opt(a[3], k.accumulate, false)),
  },
  nonzero: { run: (a, k) => torch.nonzero(T(a[0]), { asTuple: k.asTuple as boolean | undefined }) },
  sort: {
    run: (a: A, k: K) =>
      torch.sort(T(a[0]), opt(a[1], k.dim, -1), opt(a[2], k.descending, false), { stable: k.stable as boolean | undefined }),
  },
  argsort: {
    run: (a: A, k: K) =>
      torch.argsort(T(a[0]), opt(a[1], k.dim, -1), opt(a[2], k.descending, false), { stable: k.stable as boolean | undefined }),
  },
  topk: {
    run: (a: A, k: K) =>
      torch.topk(T(a[0]), N(a[1] ?? k.k), opt(a[2], k.dim, -1), opt(a[3], k.largest, true), opt(a[4], k.sorted, true)),
  },
};
