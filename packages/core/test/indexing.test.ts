// Indexing beyond the PyTorch goldens: setitem-style writes, error reporting, gradient checks
// (float64 finite differences) and double backward.
import * as torch from "@lockstep/core";
import { AutogradError, DTypeError, IndexError, type IndexItem, type Tensor } from "@lockstep/core";
import { describe, expect, it } from "vitest";

const f64 = (data: unknown, requiresGrad = false): Tensor => torch.tensor(data as number[], { dtype: "float64", requiresGrad });
const long = (data: unknown): Tensor => torch.tensor(data as number[], { dtype: "int64" });
const all = (): { start?: number | null } => ({});
const list = (t: Tensor): Promise<unknown> => t.tolist();

/** A [rows, cols] float64 tensor whose values differ by at least 0.25 along each dim (stable under gradcheck's steps). */
const grid = (rows: number, cols: number, requiresGrad = false): Tensor =>
  f64(
    Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => ((r * 7 + c * 3) % 11) + r * 0.25)),
    requiresGrad,
  );

describe("index (Python-style x[...])", () => {
  it("basic items give views of the same storage", async () => {
    const x = torch.arange(24).reshape([2, 3, 4]);
    const y = torch.index(x, [1, { start: null, stop: null, step: 2 }, -1]);
    expect(y._storage).toBe(x._storage);
    expect(await list(y)).toEqual([15, 23]);
    expect(torch.index(x, [null, "...", 0]).shape).toEqual([1, 2, 3]);
  });

  it("places adjacent advanced indices in place and separated ones first", () => {
    const x = torch.zeros([2, 3, 4, 5]);
    const i = long([0, 1]);
    expect(torch.index(x, [all(), i, i]).shape).toEqual([2, 2, 5]);
    expect(torch.index(x, [all(), i, all(), i]).shape).toEqual([2, 2, 4]);
    expect(torch.index(x, [long([[0], [1]]), long([0, 2, 1])]).shape).toEqual([2, 3, 4, 5]);
    // An int between two tensor indices is a select, so the tensors become adjacent (PyTorch, unlike NumPy).
    expect(torch.index(x, [i, 0, i]).shape).toEqual([2, 5]);
  });

  it("reads broadcast index tensors, wraps negative indices, and applies masks", async () => {
    const x = torch.arange(12).reshape([3, 4]);
    expect(await list(torch.index(x, [long([[0], [2]]), long([-1, 1])]))).toEqual([
      [3, 1],
      [11, 9],
    ]);
    expect(await list(torch.index(x, [x.gt(6)]))).toEqual([7, 8, 9, 10, 11]);
    expect(await list(torch.index(x, [all(), torch.tensor([true, false, false, true])]))).toEqual([
      [0, 3],
      [4, 7],
      [8, 11],
    ]);
    expect(torch.index(x, [torch.tensor(true)]).shape).toEqual([1, 3, 4]);
    expect(torch.index(x, [torch.tensor(false)]).shape).toEqual([0, 3, 4]);
  });
});

describe("indexPut_ (setitem)", () => {
  it("writes scalars and tensors through slices, ellipsis and newaxis", async () => {
    const x = torch.zeros([3, 4]);
    torch.indexPut_(x, [{ start: 1, stop: 3 }, { step: 2 }], 7);
    torch.indexPut_(x, ["...", -1], torch.tensor([1, 2, 3], { dtype: "float32" }));
    torch.indexPut_(x, [0, null], torch.tensor([5], { dtype: "float32" }));
    expect(await list(x)).toEqual([
      [5, 5, 5, 5],
      [7, 0, 7, 2],
      [7, 0, 7, 3],
    ]);
  });

  it("writes through masks and integer tensors, mixed with slices", async () => {
    const x = f64([
      [1, -2, 3],
      [-4, 5, -6],
    ]);
    torch.indexPut_(x, [x.lt(0)], 0);
    expect(await list(x)).toEqual([
      [1, 0, 3],
      [0, 5, 0],
    ]);
    torch.indexPut_(x, [{ start: 1 }, long([2, 0])], f64([9, 8]));
    expect(await list(x)).toEqual([
      [1, 0, 3],
      [8, 5, 9],
    ]);
    const version = x.version;
    x.indexPut_([long([0, 1]), long([1, 1])], f64([-1, -2]));
    expect(x.version).toBeGreaterThan(version);
    expect(await list(x)).toEqual([
      [1, -1, 3],
      [8, -2, 9],
    ]);
  });

  it("accumulates duplicates in index order", async () => {
    // float32: 0 + 1 + 1e8 - 1e8 = 0 in this order (1 is lost against 1e8); the reverse order gives 1.
    const x = torch.zeros([2]);
    torch.indexPut_(x, [long([0, 0, 0, 1])], torch.tensor([1, 1e8, -1e8, 2], { dtype: "float32" }), true);
    expect(await list(x)).toEqual([0, 2]);
  });

  it("takes part in autograd on non-leaf tensors", async () => {
    const x = f64([1, 2, 3, 4], true);
    const v = f64([10, 20], true);
    const y = torch.mul(x, 2);
    y.indexPut_([long([3, 0])], v);
    expect(y.gradFn?.name).toBe("IndexPutBackward0");
    torch
      .mul(y, f64([1, 2, 3, 4]))
      .sum()
      .backward();
    expect(await list(x.grad as Tensor)).toEqual([0, 4, 6, 0]);
    expect(await list(v.grad as Tensor)).toEqual([4, 1]);
  });

  it("refuses an in-place write into a leaf that requires grad", () => {
    const x = f64([1, 2, 3], true);
    expect(() => torch.indexPut_(x, [long([0])], 5)).toThrow(AutogradError);
    torch.noGrad(() => torch.indexPut_(x, [long([0])], 5));
    expect(x.dataSync()[0]).toBe(5);
  });
});

describe("gather/scatter family", () => {
  it("scatter with reduce combines duplicates in index order", async () => {
    const x = torch.ones([2, 3], { dtype: "float64" });
    const idx = long([
      [0, 0, 2],
      [1, 1, 1],
    ]);
    const src = f64([
      [2, 3, 4],
      [5, 6, 7],
    ]);
    expect(await list(torch.scatter(x, 1, idx, src, { reduce: "multiply" }))).toEqual([
      [6, 1, 4],
      [1, 210, 1],
    ]);
    expect(await list(torch.scatter(x, 1, idx, src, { reduce: "add" }))).toEqual([
      [6, 1, 5],
      [1, 19, 1],
    ]);
    expect(await list(torch.scatter(x, 1, idx, 0))).toEqual([
      [0, 1, 0],
      [1, 0, 1],
    ]);
  });

  it("indexAdd with alpha adds fma(source, alpha, self) one slice at a time", async () => {
    // float32, alpha = 0.1: 1 + s·alpha is exact in float64 here, so rounding it once is the fused
    // result; rounding s·alpha first (unfused) gives a different float32.
    const s = Math.fround(1.000002);
    const alpha = Math.fround(0.1);
    const fused = Math.fround(1 + s * alpha);
    expect(Math.fround(1 + Math.fround(s * alpha))).not.toBe(fused);
    const self = torch.tensor([[1], [0]], { dtype: "float32" });
    const got = torch.indexAdd(self, 0, long([0]), torch.tensor([[s]], { dtype: "float32" }), { alpha: 0.1 });
    expect((await got.values())[0]).toBe(fused);
    // 1-D self: PyTorch's scalar loop rounds source·alpha first.
    const got1d = torch.indexAdd(torch.tensor([1], { dtype: "float32" }), 0, long([0]), torch.tensor([s], { dtype: "float32" }), {
      alpha: 0.1,
    });
    expect((await got1d.values())[0]).toBe(Math.fround(1 + Math.fround(s * alpha)));
  });

  it("nonzero lists coordinates in row-major order, also as a tuple of columns", async () => {
    const x = f64([
      [0, 1.5, Number.NaN],
      [-0, 0, 2],
    ]);
    expect(await list(torch.nonzero(x) as Tensor)).toEqual([
      [0, 1],
      [0, 2],
      [1, 2],
    ]);
    const cols = torch.nonzero(x, { asTuple: true }) as Tensor[];
    expect(await Promise.all(cols.map(list))).toEqual([
      [0, 0, 1],
      [1, 2, 2],
    ]);
  });
});

describe("sort and topk", () => {
  it("sort is stable, NaN largest, -0 equal to 0", async () => {
    const x = torch.tensor([2, Number.NaN, 1, -0, 2, 0, Number.NaN], { dtype: "float32" });
    const [, asc] = torch.sort(x);
    expect(await list(asc)).toEqual([3, 5, 2, 0, 4, 1, 6]);
    const [, desc] = torch.sort(x, 0, true);
    expect(await list(desc)).toEqual([1, 6, 0, 4, 2, 3, 5]);
  });

  it("topk takes ties in index order and NaN as the largest value", async () => {
    const x = torch.tensor([1, 3, 3, Number.NaN, 0, 0], { dtype: "float32" });
    const [v, i] = torch.topk(x, 3);
    expect(await list(i)).toEqual([3, 1, 2]);
    expect((await v.values()).slice(1)).toEqual([3, 3]);
    const [, small] = torch.topk(x, 2, 0, false);
    expect(await list(small)).toEqual([4, 5]);
    expect(() => torch.topk(x, 7)).toThrow(IndexError);
  });
});

describe("errors", () => {
  const x = torch.zeros([3, 4]);
  const bad = (f: () => unknown, type: unknown, message: RegExp) => {
    expect(f).toThrow(type as never);
    expect(f).toThrow(message);
  };

  it("out-of-range indices raise IndexError naming op, dim and size", () => {
    bad(() => torch.index(x, [long([0, 3])]), IndexError, /^index: index 3 is out of bounds for dimension 0 with size 3$/);
    bad(() => torch.index(x, [all(), long([-5])]), IndexError, /^index: index -5 is out of bounds for dimension 1 with size 4$/);
    bad(() => torch.index(x, [1, 4]), IndexError, /^index: index 4 is out of bounds for dimension 1 with size 4$/);
    bad(() => torch.gather(x, 1, long([[4]])), IndexError, /^gather: index 4 is out of bounds for dimension 1 with size 4$/);
    bad(() => torch.gather(x, 0, long([[-1]])), IndexError, /^gather: index -1 is out of bounds for dimension 0 with size 3$/);
    bad(() => torch.scatter(x, 0, long([[3]]), 1.5), IndexError, /^scatter: index 3 .* dimension 0 with size 3$/);
    bad(
      () => torch.scatterAdd(x, 1, long([[9]]), torch.ones([1, 1])),
      IndexError,
      /^scatter_add: index 9 .* dimension 1 with size 4$/,
    );
    bad(() => torch.indexSelect(x, 1, long([1, 4])), IndexError, /^index_select: index 4 .* dimension 1 with size 4$/);
    bad(() => torch.indexAdd(x, 0, long([3]), torch.ones([1, 4])), IndexError, /^index_add: index 3 .* dimension 0 with size 3$/);
    bad(() => torch.indexPut_(x.clone(), [all(), long([7])], 1), IndexError, /^index_put_: index 7 .* dimension 1 with size 4$/);
    bad(() => torch.index(x, [0, 0, 0]), IndexError, /too many indices for tensor of dimension 2/);
    bad(() => torch.index(x, [torch.tensor([true, false])]), IndexError, /shape of the mask \[2\] at index 0 does not match/);
  });

  it("index tensors of the wrong dtype raise DTypeError", () => {
    bad(() => torch.index(x, [torch.tensor([0, 1], { dtype: "int32" })]), DTypeError, /^index: tensors used as indices must be/);
    bad(() => torch.index(x, [torch.tensor([0.5])] as IndexItem[]), DTypeError, /got float32/);
    bad(() => torch.gather(x, 0, torch.tensor([[0]], { dtype: "int32" })), DTypeError, /^gather: expected dtype int64 for index/);
    bad(
      () => torch.indexSelect(x, 0, torch.tensor([0], { dtype: "float32" })),
      DTypeError,
      /^index_select: expected dtype int64 or int32/,
    );
    bad(() => torch.scatter(x, 0, long([[0]]), f64([[1]])), DTypeError, /same dtype, got float32 and float64/);
    bad(() => torch.indexPut_(x.clone(), [long([0])], f64([1, 2, 3, 4])), DTypeError, /dtypes match/);
  });
});

describe("gradcheck (float64)", () => {
  const idx = long([
    [0, 2, 2],
    [1, 1, 0],
  ]);
  const check = (fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]) => expect(torch.autograd.gradcheck(fn, inputs)).toBe(true);

  it("index (basic + advanced, duplicates)", () => {
    check((a) => torch.index(a, [long([2, 0, 2]), { start: 1 }]), [grid(3, 4, true)]);
    check((a) => torch.index(a, [a.detach().gt(4), null]), [grid(3, 4, true)]);
    check(
      (a) => torch.index(a, [long([[0], [2]]), 1, long([1, 1, 3])]),
      [torch.reshape(grid(3, 8, true).detach(), [3, 2, 4]).requiresGrad_()],
    );
  });
  it("indexPut (set and accumulate)", () => {
    const v = f64([1, 2, 3], true);
    check((a, b) => torch.indexPut(a, [long([2, 0, 2])], b as Tensor, true), [f64([5, 6, 7], true), v]);
    check((a, b) => torch.indexPut(a, [long([1]), long([0, 2, 3])], b as Tensor), [grid(2, 4, true), v]);
  });
  it("gather", () => check((a) => torch.gather(a, 1, idx), [grid(2, 4, true)]));
  it("scatter and scatterAdd", () => {
    check((a, b) => torch.scatterAdd(a, 1, idx, b as Tensor), [grid(2, 4, true), grid(2, 3, true)]);
    check((a, b) => torch.scatter(a, 1, long([[3, 0]]), b as Tensor), [grid(2, 4, true), grid(1, 3, true)]);
  });
  it("indexSelect and indexAdd", () => {
    check((a) => torch.indexSelect(a, 1, long([3, 0, 3])), [grid(2, 4, true)]);
    check((a, b) => torch.indexAdd(a, 0, long([1, 1, 0]), b as Tensor, { alpha: 0.5 }), [grid(2, 4, true), grid(3, 4, true)]);
  });
  it("sort and topk", () => {
    check((a) => torch.sort(a, 0, true)[0], [grid(3, 4, true)]);
    check((a) => torch.topk(a, 2, 1)[0], [grid(3, 4, true)]);
  });
});

describe("double backward through gather", () => {
  it("d²/dx² of Σ gather(x)³ sums 6·x over the duplicates", async () => {
    const x = f64([1, 2, 3], true);
    const idx = long([0, 0, 2, 0]);
    const y = torch.gather(x, 0, idx);
    const [g] = torch.autograd.grad(torch.mul(torch.mul(y, y), y).sum(), x, { createGraph: true });
    expect(await list(g as Tensor)).toEqual([9, 0, 27]);
    const [gg] = torch.autograd.grad((g as Tensor).sum(), x);
    expect(await list(gg as Tensor)).toEqual([18, 0, 18]);
    // gradcheck evaluates under noGrad; the first derivative needs a graph of its own.
    const first = (a: Tensor) =>
      torch.enableGrad(() => torch.autograd.grad(torch.gather(a, 0, idx).pow(3).sum(), a, { createGraph: true })[0] as Tensor);
    expect(torch.autograd.gradcheck(first, [f64([0.5, -1, 2], true)])).toBe(true);
  });
});

describe("memory", () => {
  it("indexing ops release their temporaries", () => {
    const x = grid(3, 4);
    const [mask, i, rows, j, src] = [x.gt(3), long([1, 1]), long([[0, 1]]), long([0, 0]), grid(3, 2)];
    const run = () => [
      torch.index(x, [mask, null]),
      torch.index(x, [1, { start: 1 }, null]),
      torch.indexPut(x, [{ start: 1 }, i], 2, true),
      torch.nonzero(x, { asTuple: true }),
      torch.topk(x, 2),
      torch.scatter(x, 1, rows, 1, { reduce: "multiply" }),
      torch.indexAdd(x, 1, j, src, { alpha: 3 }),
    ];
    const before = torch.memoryStats().cpu;
    torch.tidy(() => {
      run();
    });
    expect(torch.memoryStats().cpu).toEqual(before);
    // Outside a scope, only the results stay alive.
    const results = run();
    expect((torch.memoryStats().cpu?.tensors ?? 0) - (before?.tensors ?? 0)).toBe(results.flat().length);
    torch.dispose(results);
  });
});
