// torch.utils.data without random draws: datasets, samplers' bookkeeping, default collate, and the
// DataLoader's options, lengths and errors (numWorkers: 0). Random orders are in data-golden.test.ts.
import * as torch from "@lockstep/core";
import { IndexError, ShapeError, type Tensor, ValueError } from "@lockstep/core";
import { describe, expect, it } from "vitest";
import {
  BatchSampler,
  ChainDataset,
  ConcatDataset,
  DataLoader,
  Dataset,
  defaultCollate,
  defaultConvert,
  getWorkerInfo,
  IterableDataset,
  NotPortableError,
  RandomSampler,
  randomSplit,
  SequentialSampler,
  Subset,
  TensorDataset,
  WeightedRandomSampler,
  WORKER_SPEC,
  withWorkerSpec,
  workerSpecOf,
} from "../src/data/index.js";
import { decodePayload, encodePayload } from "../src/data/portable.js";

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

async function collect<B>(loader: AsyncIterable<B>): Promise<B[]> {
  const out: B[] = [];
  for await (const b of loader) out.push(b);
  return out;
}

class Squares extends Dataset<number> {
  constructor(readonly n: number) {
    super();
  }
  getItem(i: number): number | Promise<number> {
    return i * i;
  }
  get length(): number {
    return this.n;
  }
}

class AsyncSquares extends Squares {
  override getItem(i: number): Promise<number> {
    return new Promise((r) => setTimeout(() => r(i * i), (7 - (i % 7)) * 2));
  }
}

class Count extends IterableDataset<number> {
  constructor(readonly n: number) {
    super();
  }
  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.n; i++) yield i;
  }
  get length(): number {
    return this.n;
  }
}

describe("the torch namespace", () => {
  it("exposes torch.utils.data, torch.datasets and torch.transforms", () => {
    const t = torch as unknown as {
      utils: { data: Record<string, unknown> };
      datasets: Record<string, unknown>;
      transforms: Record<string, unknown>;
    };
    expect(t.utils.data.DataLoader).toBe(DataLoader);
    expect(t.utils.data.TensorDataset).toBe(TensorDataset);
    expect(t.utils.data.getWorkerInfo).toBe(getWorkerInfo);
    expect(typeof t.datasets.FashionMNIST).toBe("function");
    expect(typeof t.transforms.toTensor).toBe("function");
  });
});

describe("datasets", () => {
  it("TensorDataset gives rows of every tensor and checks the first dims", async () => {
    const x = torch.arange(12).reshape([4, 3]);
    const y = torch.tensor([10, 11, 12, 13]);
    const ds = new TensorDataset(x, y);
    expect(ds.length).toBe(4);
    const [a, b] = ds.getItem(2) as [Tensor, Tensor];
    expect(await a.tolist()).toEqual([6, 7, 8]);
    expect(await b.item()).toBe(12);
    expect(await (ds.getItem(-1)[1] as Tensor).item()).toBe(13);
    expect(() => ds.getItem(4)).toThrow(IndexError);
    expect(() => new TensorDataset(x, torch.tensor([1, 2]))).toThrow(ShapeError);
    expect(() => new TensorDataset()).toThrow(ValueError);
  });

  it("Subset, ConcatDataset (bisect, negative indices) and add", async () => {
    const a = new Squares(3);
    const b = [100, 101];
    const c = new ConcatDataset<number>([a, b]);
    expect(c.length).toBe(5);
    expect(c.cumulativeSizes).toEqual([3, 5]);
    expect(range(5).map((i) => c.getItem(i))).toEqual([0, 1, 4, 100, 101]);
    expect(c.getItem(-1)).toBe(101);
    expect(() => c.getItem(-6)).toThrow(ValueError);
    expect(() => c.getItem(5)).toThrow(IndexError);
    const s = new Subset(c, [4, 0, 2]);
    expect(s.length).toBe(3);
    expect(range(3).map((i) => s.getItem(i))).toEqual([101, 0, 4]);
    expect(s.getItems([2, 0])).toEqual([4, 101]);
    expect(a.add(new Squares(2)).length).toBe(5);
    expect(() => new ConcatDataset([])).toThrow(ValueError);
    expect(() => new ConcatDataset([new Count(3) as never])).toThrow(/IterableDataset/);
  });

  it("ChainDataset chains iterables", async () => {
    const ch = new ChainDataset<number>([new Count(2), [7, 8]]);
    const out: number[] = [];
    for await (const x of ch) out.push(x);
    expect(out).toEqual([0, 1, 7, 8]);
    expect(ch.length).toBe(4);
  });

  it("randomSplit validates lengths and fractions before drawing", () => {
    expect(() => randomSplit(range(10), [3, 3])).toThrow(/Sum of input lengths/);
    expect(() => randomSplit(range(10), [0.5, -0.5, 1])).toThrow(/Fraction at index 1/);
    expect(() => randomSplit(range(10), [2.5, 7.5])).toThrow(ValueError);
  });
});

describe("samplers", () => {
  it("SequentialSampler and BatchSampler (dropLast, lengths, validation)", () => {
    expect([...new SequentialSampler({ length: 4 })]).toEqual([0, 1, 2, 3]);
    const s = new SequentialSampler(range(10));
    expect([...new BatchSampler(s, 3, false)]).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
    expect([...new BatchSampler(s, 3, true)]).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7, 8],
    ]);
    expect(new BatchSampler(s, 3, false).length).toBe(4);
    expect(new BatchSampler(s, 3, true).length).toBe(3);
    expect(() => new BatchSampler(s, 0, false)).toThrow(/batch_size should be a positive integer/);
    expect(() => new BatchSampler(s, 2, 1 as never)).toThrow(/drop_last should be a boolean/);
  });

  it("RandomSampler and WeightedRandomSampler check their arguments like PyTorch", () => {
    expect(() => new RandomSampler([])).toThrow(/num_samples should be a positive integer/);
    expect(() => new RandomSampler(range(3), { numSamples: 0 })).toThrow(/num_samples/);
    expect(() => new RandomSampler(range(3), 1 as never)).toThrow(/replacement should be a boolean/);
    expect(new RandomSampler(range(3)).length).toBe(3);
    expect(new RandomSampler(range(3), true, 7).length).toBe(7);
    expect(new RandomSampler(range(3), { replacement: true, numSamples: 5 }).numSamples).toBe(5);
    expect(() => new WeightedRandomSampler([1, 2], 0)).toThrow(/num_samples/);
    expect(() => new WeightedRandomSampler([[1], [2]] as never, 1)).toThrow(/1d sequence/);
    expect(new WeightedRandomSampler([1, 2], 5).length).toBe(5);
  });
});

describe("defaultCollate / defaultConvert", () => {
  it("stacks tensors and TypedArrays; numbers become int64 or float64, booleans bool", async () => {
    const t = defaultCollate([torch.tensor([1, 2]), torch.tensor([3, 4])]) as Tensor;
    expect(t.shape).toEqual([2, 2]);
    expect(t.dtype).toBe("int64");
    const f = defaultCollate([new Float32Array([1, 2]), new Float32Array([3, 4])]) as Tensor;
    expect(f.dtype).toBe("float32");
    expect(await f.tolist()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    const ints = defaultCollate([1, 2, 3]) as Tensor;
    expect([ints.dtype, await ints.tolist()]).toEqual(["int64", [1, 2, 3]]);
    const floats = defaultCollate([1, 2.5]) as Tensor;
    expect([floats.dtype, await floats.tolist()]).toEqual(["float64", [1, 2.5]]);
    expect((defaultCollate([true, false]) as Tensor).dtype).toBe("bool");
    expect((defaultCollate([1n, 2n]) as Tensor).dtype).toBe("int64");
    expect(defaultCollate(["a", "b"])).toEqual(["a", "b"]);
  });

  it("follows nested arrays, plain objects and Maps", async () => {
    const batch = defaultCollate([
      { x: torch.tensor([1.5, 2.5]), y: 1, tags: ["a", 3] },
      { x: torch.tensor([3.5, 4.5]), y: 0, tags: ["b", 4] },
    ]) as { x: Tensor; y: Tensor; tags: [string[], Tensor] };
    expect(batch.x.shape).toEqual([2, 2]);
    expect(await batch.y.tolist()).toEqual([1, 0]);
    expect(batch.tags[0]).toEqual(["a", "b"]);
    expect(await batch.tags[1].tolist()).toEqual([3, 4]);
    const m = defaultCollate([new Map([["k", 1]]), new Map([["k", 2]])]) as Map<string, Tensor>;
    expect(await (m.get("k") as Tensor).tolist()).toEqual([1, 2]);
    expect(() =>
      defaultCollate([
        [1, 2],
        [1, 2, 3],
      ]),
    ).toThrow(/equal size/);
    expect(() => defaultCollate([null])).toThrow(/found null/);
    expect(() => defaultCollate([new (class Foo {})()])).toThrow(/found Foo/);
  });

  it("defaultConvert turns TypedArrays into tensors and leaves the rest", () => {
    const out = defaultConvert({ a: new Int32Array([1, 2]), b: 3, c: ["s", new Uint8Array([1])] }) as {
      a: Tensor;
      b: number;
      c: [string, Tensor];
    };
    expect(out.a.dtype).toBe("int32");
    expect(out.b).toBe(3);
    expect(out.c[1].dtype).toBe("uint8");
  });
});

describe("DataLoader (numWorkers: 0)", () => {
  it("batches a map-style dataset in order, with dropLast and lengths", async () => {
    const ds = new Squares(7);
    const ld = new DataLoader(ds, { batchSize: 3, generator: undefined });
    expect(ld.length).toBe(3);
    const batches = await collect(ld);
    expect(await Promise.all(batches.map((b) => (b as Tensor).tolist()))).toEqual([[0, 1, 4], [9, 16, 25], [36]]);
    const dl = new DataLoader(ds, { batchSize: 3, dropLast: true });
    expect(dl.length).toBe(2);
    expect((await collect(dl)).length).toBe(2);
    // batchSize null: no auto-batching, collateFn sees single items
    const raw = new DataLoader(ds, { batchSize: null });
    expect(await collect(raw)).toEqual([0, 1, 4, 9, 16, 25, 36]);
    // a custom collateFn and an array dataset
    const sums = new DataLoader([1, 2, 3, 4, 5], { batchSize: 2, collateFn: (b: number[]) => b.reduce((x, y) => x + y, 0) });
    expect(await collect(sums)).toEqual([3, 7, 5]);
  });

  it("awaits async getItem in index order", async () => {
    const ld = new DataLoader(new AsyncSquares(9), { batchSize: 4 });
    const out = await collect(ld);
    expect(await Promise.all(out.map((b) => (b as Tensor).tolist()))).toEqual([[0, 1, 4, 9], [16, 25, 36, 49], [64]]);
  });

  it("uses a sampler or a batchSampler", async () => {
    const ld = new DataLoader(new Squares(5), { sampler: [4, 3, 2], batchSize: 2 });
    expect(await Promise.all((await collect(ld)).map((b) => (b as Tensor).tolist()))).toEqual([[16, 9], [4]]);
    const bs = new DataLoader(new Squares(5), { batchSampler: [[0, 4], [1]] });
    expect(await Promise.all((await collect(bs)).map((b) => (b as Tensor).tolist()))).toEqual([[0, 16], [1]]);
    expect(bs.length).toBe(2);
  });

  it("iterates an IterableDataset in batches (dropLast, length) and rejects shuffle/sampler", async () => {
    const ld = new DataLoader(new Count(7), { batchSize: 3 });
    expect(ld.length).toBe(3);
    expect(await Promise.all((await collect(ld)).map((b) => (b as Tensor).tolist()))).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    const dl = new DataLoader(new Count(7), { batchSize: 3, dropLast: true });
    expect(dl.length).toBe(2);
    expect((await collect(dl)).length).toBe(2);
    expect(await collect(new DataLoader(new Count(3), { batchSize: null }))).toEqual([0, 1, 2]);
    expect(() => new DataLoader(new Count(3), { shuffle: true })).toThrow(/expected unspecified shuffle/);
    expect(() => new DataLoader(new Count(3), { sampler: [0] })).toThrow(/unspecified sampler/);
    // a plain generator object is an iterable dataset too
    const gen = (function* () {
      yield 5;
      yield 6;
    })();
    expect(await Promise.all((await collect(new DataLoader(gen, { batchSize: 2 }))).map((b) => (b as Tensor).tolist()))).toEqual([
      [5, 6],
    ]);
  });

  it("validates options like PyTorch", () => {
    const ds = new Squares(4);
    expect(() => new DataLoader(ds, { numWorkers: -1 })).toThrow(/non-negative/);
    expect(() => new DataLoader(ds, { prefetchFactor: 3 })).toThrow(/prefetch_factor option could only be specified/);
    expect(() => new DataLoader(ds, { persistentWorkers: true })).toThrow(/persistent_workers option needs numWorkers > 0/);
    expect(() => new DataLoader(ds, { sampler: [0], shuffle: true })).toThrow(/mutually exclusive with shuffle/);
    expect(() => new DataLoader(ds, { batchSampler: [[0]], batchSize: 2 })).toThrow(/batch_sampler option is mutually exclusive/);
    expect(() => new DataLoader(ds, { batchSampler: [[0]], dropLast: true })).toThrow(
      /batch_sampler option is mutually exclusive/,
    );
    expect(() => new DataLoader(ds, { batchSize: null, dropLast: true })).toThrow(/batch_size=None/);
    expect(() => new DataLoader(42 as never)).toThrow(/map-style/);
    expect(new DataLoader(ds, { pinMemory: true }).pinMemory).toBe(true); // accepted, a no-op
  });

  it("early return from the iterator ends it; getWorkerInfo is null in the main thread", async () => {
    const it = new DataLoader(new Squares(10), { batchSize: 2 })[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    await it.return();
    expect((await it.next()).done).toBe(true);
    expect(getWorkerInfo()).toBeNull();
  });
});

describe("worker portability (checked when the DataLoader is made)", () => {
  it("refuses an in-memory dataset or a plain collateFn with numWorkers > 0, saying how to fix it", () => {
    expect(() => new DataLoader(new Squares(4), { numWorkers: 2 })).toThrow(ValueError);
    expect(() => new DataLoader(new Squares(4), { numWorkers: 2 })).toThrow(/fromModule\(\{ module: import\.meta\.url/);
    const ok = new TensorDataset(torch.arange(4));
    expect(() => new DataLoader(ok, { numWorkers: 2, collateFn: (b: unknown) => b })).toThrow(/collateFn is a plain function/);
    expect(() => new DataLoader(ok, { numWorkers: 2, workerInitFn: () => undefined })).toThrow(
      /workerInitFn is a plain function/,
    );
    // a Subset of a non-portable dataset is not portable either
    expect(() => new DataLoader(new Subset(new Squares(4), [0, 1]), { numWorkers: 1 })).toThrow(ValueError);
  });

  it("built-in datasets describe themselves; nested non-portable parts are named", () => {
    const ds = new TensorDataset(torch.arange(4));
    expect(workerSpecOf(ds)?.export).toBe("TensorDataset");
    expect(workerSpecOf(new Subset(ds, [1]))?.export).toBe("Subset");
    expect(workerSpecOf(new ConcatDataset<unknown>([ds, [1, 2]]))?.export).toBe("ConcatDataset");
    const sq = withWorkerSpec(new Squares(3), { module: "/nowhere/squares.js", export: "Squares", args: [3] });
    expect(sq[WORKER_SPEC as never]).toEqual({ module: "file:///nowhere/squares.js", export: "Squares", args: [3] });
    const bad = withWorkerSpec(new Squares(3), { module: "/x.js", export: "S", args: [() => 1] });
    let err: unknown;
    try {
      new DataLoader(bad, { numWorkers: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotPortableError);
    expect((err as Error).message).toMatch(/the function \(anonymous\) at dataset \(S argument 0\)/);
  });
});

describe("batches across threads", () => {
  it("a collated tensor's own buffer is transferred (no copy); other tensors are copied once", async () => {
    const item = torch.tensor([1.5, 2.5]);
    const batch = defaultCollate([
      [item, 1],
      [item, 2],
    ]) as [Tensor, Tensor];
    const own = batch[0]._storage.buf as Float32Array;
    const transfer: ArrayBuffer[] = [];
    const enc = encodePayload({ x: batch[0], again: batch[0], kept: item, y: batch[1] }, transfer) as Record<string, never>;
    expect(batch[0].isDisposed).toBe(true); // moved out
    expect(transfer).toContain(own.buffer);
    expect(item.isDisposed).toBe(false); // the dataset's tensor is only copied
    expect(transfer.length).toBe(3);
    const dec = decodePayload(structuredClone(enc, { transfer })) as Record<string, Tensor>;
    expect(own.byteLength).toBe(0); // detached: the memory now belongs to the receiver
    expect(await dec.x?.tolist()).toEqual([
      [1.5, 2.5],
      [1.5, 2.5],
    ]);
    expect(dec.again).toBe(dec.x); // one tensor met twice stays one tensor
    expect(await dec.kept?.tolist()).toEqual([1.5, 2.5]);
    expect(await dec.y?.tolist()).toEqual([1, 2]);
    expect(dec.y?.dtype).toBe("int64");
  });
});
