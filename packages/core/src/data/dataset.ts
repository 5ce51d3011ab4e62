// torch.utils.data datasets: Dataset, IterableDataset, TensorDataset, Subset, ConcatDataset,
// ChainDataset, randomSplit.
//
// A map-style dataset has `getItem(index)` (PyTorch's `__getitem__`, may return a Promise) and
// `length` (`__len__`); it may add `getItems(indices)` (`__getitems__`) to fetch a batch at once.
// Plain arrays are map-style datasets too. An iterable-style dataset is anything with
// `[Symbol.iterator]` or `[Symbol.asyncIterator]` that is not map-style (subclass IterableDataset).
import { IndexError, ShapeError, ValueError } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { encodeSpec, type ModuleRef, type Portable, WORKER_SPEC, workerSpecOf } from "./portable.js";
import { type GeneratorLike, rng } from "./random.js";

/** A map-style dataset: PyTorch's `__getitem__` and `__len__`. */
export interface MapDatasetLike<T> {
  getItem(index: number): T | Promise<T>;
  readonly length: number;
  /** Optional batch fetch (PyTorch's `__getitems__`), used instead of one getItem per index. */
  getItems?(indices: number[]): T[] | Promise<T[]>;
}

/** An iterable-style dataset. */
export type IterableDatasetLike<T> = Iterable<T> | AsyncIterable<T>;

/** Anything a DataLoader accepts: a map-style dataset, an array, or an iterable-style dataset. */
export type DatasetLike<T> = MapDatasetLike<T> | readonly T[] | IterableDatasetLike<T>;

/** Anything with a length (what SequentialSampler/RandomSampler need). */
export interface Sized {
  readonly length: number;
}

const MODULE_URL = import.meta.url;

/** `torch.utils.data.Dataset`: subclass and implement `getItem` and `length`. */
export abstract class Dataset<T> implements MapDatasetLike<T> {
  abstract getItem(index: number): T | Promise<T>;
  abstract get length(): number;
  /** `dataset + other` in PyTorch: a ConcatDataset of the two. */
  add(other: MapDatasetLike<T>): ConcatDataset<T> {
    return new ConcatDataset<T>([this, other]);
  }
}

/**
 * `torch.utils.data.IterableDataset`: subclass and implement `[Symbol.iterator]()` (or
 * `[Symbol.asyncIterator]()`). With `numWorkers > 0`, each worker iterates its own copy; use
 * `getWorkerInfo()` to split the stream, as in PyTorch.
 */
export abstract class IterableDataset<T> {
  /** `dataset + other` in PyTorch: a ChainDataset of the two. */
  add(other: IterableDatasetLike<T>): ChainDataset<T> {
    return new ChainDataset<T>([this as unknown as IterableDatasetLike<T>, other]);
  }
}

/** Whether a DataLoader treats `ds` as map-style (getItem/length, or an array). */
export function isMapStyle<T>(ds: unknown): ds is MapDatasetLike<T> | readonly T[] {
  if (ds === null || typeof ds !== "object") return false;
  if (Array.isArray(ds) || ArrayBuffer.isView(ds)) return true;
  return typeof (ds as MapDatasetLike<T>).getItem === "function";
}

export function isIterableStyle<T>(ds: unknown): ds is IterableDatasetLike<T> {
  if (ds === null || typeof ds !== "object" || isMapStyle(ds)) return false;
  return Symbol.iterator in ds || Symbol.asyncIterator in ds;
}

/** `len(ds)`. */
export function lengthOf(ds: unknown, op = "len"): number {
  const n = (ds as Sized | null)?.length;
  if (typeof n !== "number")
    throw new ValueError(op, `object of type ${(ds as object)?.constructor?.name ?? typeof ds} has no length`);
  return n;
}

/** `ds[i]` for any map-style dataset. */
export function getItemOf<T>(ds: MapDatasetLike<T> | readonly T[], index: number): T | Promise<T> {
  if (typeof (ds as MapDatasetLike<T>).getItem === "function") return (ds as MapDatasetLike<T>).getItem(index);
  const a = ds as readonly T[];
  const i = index < 0 ? a.length + index : index;
  if (!Number.isInteger(i) || i < 0 || i >= a.length)
    throw new IndexError("getItem", `index ${index} is out of range for a dataset of length ${a.length}`);
  return a[i] as T;
}

function checkIndex(op: string, index: number, n: number): number {
  if (!Number.isInteger(index)) throw new IndexError(op, `index must be an integer, got ${index}`);
  const i = index < 0 ? index + n : index;
  if (i < 0 || i >= n) throw new IndexError(op, `index ${index} is out of range for a dataset of length ${n}`);
  return i;
}

/** `torch.utils.data.TensorDataset(*tensors)`: item i is `[t0[i], t1[i], ...]` (views). */
export class TensorDataset extends Dataset<Tensor[]> implements Portable {
  readonly tensors: Tensor[];
  constructor(...tensors: Tensor[]) {
    super();
    if (tensors.length === 0) throw new ValueError("TensorDataset", "expected at least one tensor");
    const n = tensors[0]?.shape[0];
    if (tensors.some((t) => t.ndim === 0 || t.shape[0] !== n))
      throw new ShapeError(
        "TensorDataset",
        `Size mismatch between tensors: first dims are ${tensors.map((t) => (t.ndim ? t.shape[0] : "0-dim")).join(", ")}`,
      );
    this.tensors = tensors;
  }
  getItem(index: number): Tensor[] {
    const i = checkIndex("TensorDataset.getItem", index, this.length);
    return this.tensors.map((t) => t.select(0, i));
  }
  get length(): number {
    return this.tensors[0]?.shape[0] as number;
  }
  /** Workers get a copy of the tensors. */
  get [WORKER_SPEC](): ModuleRef {
    return { module: MODULE_URL, export: "TensorDataset", args: this.tensors };
  }
}

/** `torch.utils.data.Subset(dataset, indices)`. */
export class Subset<T> extends Dataset<T> implements Portable {
  constructor(
    readonly dataset: MapDatasetLike<T> | readonly T[],
    readonly indices: readonly number[],
  ) {
    super();
  }
  getItem(index: number): T | Promise<T> {
    const i = checkIndex("Subset.getItem", index, this.indices.length);
    return getItemOf(this.dataset, this.indices[i] as number);
  }
  getItems(indices: number[]): T[] | Promise<T[]> {
    const inner = indices.map((i) => this.indices[checkIndex("Subset.getItems", i, this.indices.length)] as number);
    const d = this.dataset as MapDatasetLike<T>;
    if (typeof d.getItems === "function") return d.getItems(inner);
    const items = inner.map((i) => getItemOf(this.dataset, i));
    return items.some(isThenable) ? sequential(items) : (items as T[]);
  }
  get length(): number {
    return this.indices.length;
  }
  get [WORKER_SPEC](): ModuleRef | undefined {
    if (!Array.isArray(this.dataset) && !workerSpecOf(this.dataset)) return undefined;
    return { module: MODULE_URL, export: "Subset", args: [this.dataset, this.indices] };
  }
}

const isThenable = (x: unknown): x is PromiseLike<unknown> =>
  x !== null && (typeof x === "object" || typeof x === "function") && typeof (x as PromiseLike<unknown>).then === "function";

async function sequential<T>(items: (T | Promise<T>)[]): Promise<T[]> {
  const out: T[] = [];
  for (const x of items) out.push(await x);
  return out;
}

function bisectRight(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < (a[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** `torch.utils.data.ConcatDataset(datasets)`. */
export class ConcatDataset<T> extends Dataset<T> implements Portable {
  readonly datasets: (MapDatasetLike<T> | readonly T[])[];
  readonly cumulativeSizes: number[];
  constructor(datasets: Iterable<MapDatasetLike<T> | readonly T[]>) {
    super();
    this.datasets = [...datasets];
    if (this.datasets.length === 0) throw new ValueError("ConcatDataset", "datasets should not be an empty iterable");
    for (const d of this.datasets)
      if (d instanceof IterableDataset || !isMapStyle(d))
        throw new ValueError("ConcatDataset", "ConcatDataset does not support IterableDataset");
    let s = 0;
    this.cumulativeSizes = this.datasets.map((d) => (s += lengthOf(d, "ConcatDataset")));
  }
  get length(): number {
    return this.cumulativeSizes[this.cumulativeSizes.length - 1] as number;
  }
  getItem(index: number): T | Promise<T> {
    let idx = index;
    if (idx < 0) {
      if (-idx > this.length)
        throw new ValueError("ConcatDataset.getItem", "absolute value of index should not exceed dataset length");
      idx = this.length + idx;
    }
    if (idx >= this.length)
      throw new IndexError("ConcatDataset.getItem", `index ${index} is out of range for a dataset of length ${this.length}`);
    const di = bisectRight(this.cumulativeSizes, idx);
    const si = di === 0 ? idx : idx - (this.cumulativeSizes[di - 1] as number);
    return getItemOf(this.datasets[di] as MapDatasetLike<T>, si);
  }
  get [WORKER_SPEC](): ModuleRef | undefined {
    if (this.datasets.some((d) => !Array.isArray(d) && !workerSpecOf(d))) return undefined;
    return { module: MODULE_URL, export: "ConcatDataset", args: [this.datasets] };
  }
}

/** `torch.utils.data.ChainDataset(datasets)`: iterable datasets one after the other. */
export class ChainDataset<T> extends IterableDataset<T> implements AsyncIterable<T> {
  readonly datasets: IterableDatasetLike<T>[];
  constructor(datasets: Iterable<IterableDatasetLike<T>>) {
    super();
    this.datasets = [...datasets];
  }
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (const d of this.datasets) {
      if (Symbol.asyncIterator in d) for await (const x of d as AsyncIterable<T>) yield x;
      else for (const x of d as Iterable<T>) yield x;
    }
  }
  get length(): number {
    return this.datasets.reduce((a, d) => a + lengthOf(d, "ChainDataset"), 0);
  }
  get [WORKER_SPEC](): ModuleRef | undefined {
    if (this.datasets.some((d) => !Array.isArray(d) && !workerSpecOf(d))) return undefined;
    return { module: MODULE_URL, export: "ChainDataset", args: [this.datasets] };
  }
}

const isGenerator = (x: unknown): x is GeneratorLike =>
  typeof x === "object" && x !== null && typeof (x as GeneratorLike).manualSeed === "function";

/**
 * `torch.utils.data.random_split(dataset, lengths, generator=default_generator)`. `lengths` are
 * counts or fractions summing to 1 (floor(n·f) each, the remainder handed out round-robin). The
 * generator is positional as in PyTorch, or `{ generator }`.
 */
export function randomSplit<T>(
  dataset: MapDatasetLike<T> | readonly T[],
  lengths: readonly number[],
  generator?: GeneratorLike | { generator?: GeneratorLike },
): Subset<T>[] {
  const gen = generator === undefined ? undefined : isGenerator(generator) ? generator : generator.generator;
  const n = lengthOf(dataset, "randomSplit");
  let lens = [...lengths];
  const total = lens.reduce((a, b) => a + b, 0);
  // math.isclose(sum, 1) (rel_tol 1e-9) and sum <= 1
  if (Math.abs(total - 1) <= 1e-9 * Math.max(Math.abs(total), 1) && total <= 1) {
    const sub = lens.map((f, i) => {
      if (f < 0 || f > 1) throw new ValueError("randomSplit", `Fraction at index ${i} is not between 0 and 1`);
      return Math.floor(n * f);
    });
    const remainder = n - sub.reduce((a, b) => a + b, 0);
    for (let i = 0; i < remainder; i++) sub[i % sub.length] = (sub[i % sub.length] as number) + 1;
    lens = sub;
  }
  if (lens.some((l) => !Number.isInteger(l) || l < 0))
    throw new ValueError(
      "randomSplit",
      `lengths must be non-negative integers or fractions summing to 1, got [${lengths.join(", ")}]`,
    );
  if (lens.reduce((a, b) => a + b, 0) !== n)
    throw new ValueError("randomSplit", "Sum of input lengths does not equal the length of the input dataset!");
  const perm = rng().randperm(n, gen);
  const out: Subset<T>[] = [];
  let offset = 0;
  for (const l of lens) {
    out.push(new Subset(dataset, perm.slice(offset, offset + l)));
    offset += l;
  }
  return out;
}

/** @internal encode a dataset for a worker (TensorDataset's tensors are copied). */
export const encodeDataset = (ds: unknown, op: string): unknown => encodeSpec(ds, op, "dataset");
