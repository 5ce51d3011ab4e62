// PyTorch's _MapDatasetFetcher / _IterableDatasetFetcher: turn one step of the index sampler into
// a (collated) batch. Shared by the main thread (numWorkers: 0) and the worker threads.
import { getItemOf, type IterableDatasetLike, type MapDatasetLike } from "./dataset.js";

/** What the main thread sends per step: a batch of indices, one index, or (iterable datasets) a count. */
export type FetchIndex = number[] | number | { count: number | null };

/** Raised by an iterable fetcher when its dataset is exhausted (PyTorch's StopIteration). */
export class StopFetch extends Error {
  constructor() {
    super("iterable dataset exhausted");
  }
}

export interface Fetcher {
  fetch(index: FetchIndex): Promise<unknown>;
}

const isThenable = (x: unknown): x is PromiseLike<unknown> =>
  x !== null && (typeof x === "object" || typeof x === "function") && typeof (x as PromiseLike<unknown>).then === "function";

export type CollateFn = (batch: any) => any;

export function createFetcher(
  kind: "map" | "iterable",
  dataset: unknown,
  autoCollation: boolean,
  collate: CollateFn,
  dropLast: boolean,
): Fetcher {
  return kind === "map"
    ? new MapFetcher(dataset as MapDatasetLike<unknown>, autoCollation, collate)
    : new IterableFetcher(dataset as IterableDatasetLike<unknown>, autoCollation, collate, dropLast);
}

class MapFetcher implements Fetcher {
  constructor(
    readonly dataset: MapDatasetLike<unknown> | readonly unknown[],
    readonly autoCollation: boolean,
    readonly collate: CollateFn,
  ) {}
  async fetch(index: FetchIndex): Promise<unknown> {
    if (this.autoCollation) {
      const indices = index as number[];
      const d = this.dataset as MapDatasetLike<unknown>;
      let data: unknown[];
      if (typeof d.getItems === "function") {
        const r = d.getItems(indices);
        data = isThenable(r) ? await r : r;
      } else {
        // One at a time, in order: a getItem that draws random numbers draws them in PyTorch's order.
        data = [];
        for (const i of indices) {
          const r = getItemOf(this.dataset, i);
          data.push(isThenable(r) ? await r : r);
        }
      }
      return this.collate(data);
    }
    const r = getItemOf(this.dataset, index as number);
    return this.collate(isThenable(r) ? await r : r);
  }
}

class IterableFetcher implements Fetcher {
  private readonly it: Iterator<unknown> | AsyncIterator<unknown>;
  private ended = false;
  constructor(
    dataset: IterableDatasetLike<unknown>,
    readonly autoCollation: boolean,
    readonly collate: CollateFn,
    readonly dropLast: boolean,
  ) {
    this.it =
      Symbol.asyncIterator in dataset
        ? (dataset as AsyncIterable<unknown>)[Symbol.asyncIterator]()
        : (dataset as Iterable<unknown>)[Symbol.iterator]();
  }
  private async nextItem(): Promise<IteratorResult<unknown>> {
    const r = this.it.next();
    return isThenable(r) ? await r : r;
  }
  async fetch(index: FetchIndex): Promise<unknown> {
    if (this.ended) throw new StopFetch();
    if (this.autoCollation) {
      const count = (index as { count: number }).count;
      const data: unknown[] = [];
      for (let i = 0; i < count; i++) {
        const r = await this.nextItem();
        if (r.done) {
          this.ended = true;
          break;
        }
        data.push(r.value);
      }
      if (data.length === 0 || (this.dropLast && data.length < count)) throw new StopFetch();
      return this.collate(data);
    }
    const r = await this.nextItem();
    if (r.done) {
      this.ended = true;
      throw new StopFetch();
    }
    return this.collate(r.value);
  }
}
