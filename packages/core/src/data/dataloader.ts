// torch.utils.data.DataLoader, with PyTorch 1.13's order of random draws and its worker protocol.
//
// Reproducibility (what makes the batches equal PyTorch's):
// - every new iterator first draws a base seed: one int64 `random_()` from `generator` (or the
//   global generator) — before the sampler draws anything; persistent workers draw it once;
// - `shuffle: true` is `RandomSampler(dataset, { generator })`, batched by `BatchSampler`;
// - worker w (a worker_thread) runs `torch.manualSeed(baseSeed + w)` and then `workerInitFn(w)`;
//   batch k of an epoch goes to worker k % numWorkers (the rotation restarts every epoch), the main
//   thread keeps `prefetchFactor · numWorkers` batches in flight, pulling the sampler exactly where
//   PyTorch does, and batches come back in order.
//
// Worker threads rebuild the dataset, collateFn and workerInitFn from module references (see
// portable.ts); a plain in-memory object without one is refused with a ValueError that says how to
// give it one. Batches come back with their tensors' buffers transferred, not copied.
//
// Exact resume (`loader.stateDict()` / `loader.loadStateDict(state)`): the state of the epoch in
// progress is its base seed, how many batches were handed out and how many index batches were taken
// from the sampler (workers prefetch), and the states of the generators the sampler can draw from,
// taken just before its first draw of the epoch. A resumed iterator adopts the base seed (it draws
// none) and replays the sampler's pulls with those generators set to their epoch-start states, then
// puts the generators back as they were: the sampler's own iterator is where it was, no batch is
// loaded twice, and every generator is left where an uninterrupted run has it — provided the caller
// restored the global generator (`torch.setRngState`), which other code (dropout) shares; the
// loader's own generators (`generator`, samplers' `generator`s) are in the state and restored by
// loadStateDict.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import * as errors from "../errors.js";
import { LockstepError, ValueError } from "../errors.js";
import { fromStorageArray } from "../ops/core.js";
import { defaultGenerator } from "../random/index.js";
import type { Tensor } from "../tensor.js";
import { defaultCollate, defaultConvert } from "./collate.js";
import { type DatasetLike, IterableDataset, isIterableStyle, isMapStyle, lengthOf, type MapDatasetLike } from "./dataset.js";
import { type CollateFn, createFetcher, type Fetcher, type FetchIndex, StopFetch } from "./fetch.js";
import { decodePayload, encodeSpec, isModuleRef, type ModuleRef, resolveRef, workerSpecOf } from "./portable.js";
import { type GeneratorLike, rng } from "./random.js";
import { BatchSampler, RandomSampler, SequentialSampler } from "./sampler.js";

/** A DataLoader worker died, timed out, or could not start. */
export class DataLoaderError extends LockstepError {}

export interface DataLoaderOptions<B = any> {
  /** Samples per batch (default 1); `null` turns auto-batching off (each item goes through collateFn alone). */
  batchSize?: number | null;
  /** Reshuffle every epoch (a RandomSampler over the dataset with `generator`). */
  shuffle?: boolean;
  /** The order of indices (exclusive with shuffle). */
  sampler?: Iterable<number>;
  /** Batches of indices (exclusive with batchSize, shuffle, sampler, dropLast). */
  batchSampler?: Iterable<number[]>;
  /**
   * Worker threads loading batches in parallel (0: load in the calling thread). Each worker
   * rebuilds the dataset (and collateFn, workerInitFn) from a module reference: built-in datasets
   * and transforms carry one; for your own use `await fromModule({ module: import.meta.url, export, args })`.
   */
  numWorkers?: number;
  /** Merges a list of samples into a batch (default: defaultCollate, or defaultConvert when batchSize is null). */
  collateFn?: ((batch: any) => B) | ModuleRef;
  /** Accepted for PyTorch compatibility; a no-op (there is no pinned host memory here). */
  pinMemory?: boolean;
  /** Drop the last, incomplete batch. */
  dropLast?: boolean;
  /** Seconds to wait for a batch from the workers (0: forever); then a DataLoaderError. */
  timeout?: number;
  /** Run in each worker after seeding, with the worker id: a function with a module reference, or a ModuleRef. */
  workerInitFn?: ((workerId: number) => unknown) | ModuleRef;
  /** Draws the base seed and, with shuffle, the order. Default: the global generator. */
  generator?: GeneratorLike;
  /** Batches loaded in advance by each worker (default 2; only with numWorkers > 0). */
  prefetchFactor?: number;
  /** Keep the workers (and their random streams) alive between epochs. */
  persistentWorkers?: boolean;
}

const WORKER_MARK = "lockstep:data-worker";

/**
 * Where a DataLoader stands (`loader.stateDict()`), for exact resume with `loader.loadStateDict()`.
 * Plain values and uint8 tensors: `torch.save` stores it as it is.
 */
export interface DataLoaderState {
  /** Format version (1). */
  version: number;
  /**
   * The base seed of the epoch in progress (workers are seeded baseSeed + id); also between epochs
   * with persistent workers, which draw no new one. null: the next epoch draws one.
   */
  baseSeed: bigint | null;
  /** The epoch in progress, or null between epochs (no iterator yet, or the last one ran to its end). */
  epoch: {
    /** Batches handed out. */
    numYielded: number;
    /** Items taken from the index sampler (more than numYielded when workers prefetch). */
    numPulled: number;
    /** Whether the index sampler had reported its end. */
    samplerExhausted: boolean;
    /** States of the generators the sampler may draw from, just before its first draw ([] before it). */
    samplerStart: Tensor[];
  } | null;
  /** States, now, of the loader's own generators (`generator`, samplers' `generator`s), in a fixed order. */
  generators: Tensor[];
}

/** @internal An epoch position with generator states as bytes (holds no tensors). */
interface Position {
  baseSeed: bigint | null;
  epoch: { numYielded: number; numPulled: number; samplerExhausted: boolean; samplerStart: Uint8Array[] } | null;
}

type StatefulGenerator = Omit<GeneratorLike, "getState" | "setState"> & {
  getState(): Tensor;
  setState(state: Tensor): unknown;
};

const isStateful = (g: unknown): g is StatefulGenerator =>
  g !== null &&
  typeof g === "object" &&
  typeof (g as GeneratorLike).getState === "function" &&
  typeof (g as GeneratorLike).setState === "function";

function stateBytes(g: StatefulGenerator): Uint8Array {
  const t = g.getState();
  const b = (t.dataSync() as Uint8Array).slice();
  t.dispose();
  return b;
}

const stateTensor = (b: Uint8Array): Tensor => fromStorageArray(b, [b.length], "uint8", "cpu");

function setStateBytes(g: StatefulGenerator, b: Uint8Array): void {
  const t = stateTensor(b);
  try {
    g.setState(t);
  } finally {
    t.dispose();
  }
}

function tensorBytes(op: string, what: string, t: unknown): Uint8Array {
  const x = t as Tensor;
  if (x === null || typeof x !== "object" || typeof x.dataSync !== "function" || x.dtype !== "uint8")
    throw new ValueError(op, `${what} must be a uint8 generator-state tensor (from generator.getState())`);
  return (x.dataSync() as Uint8Array).slice();
}

/** Worker threads started by DataLoaders in this thread that have not exited. */
const liveWorkers = new Set<Worker>();
/** How many DataLoader worker threads are alive (diagnostics; 0 after every loop that has ended or broken off). */
export const liveWorkerCount = (): number => liveWorkers.size;

/**
 * `torch.utils.data.DataLoader`. Iterate with `for await (const batch of loader)`; `loader.length`
 * is `len(loader)`. Batches belong to the caller (dispose them, or let the GC).
 */
export class DataLoader<B = any> implements AsyncIterable<B> {
  readonly dataset: DatasetLike<unknown>;
  readonly batchSize: number | null;
  readonly dropLast: boolean;
  readonly sampler: Iterable<number> | null;
  readonly batchSampler: Iterable<number[]> | null;
  readonly numWorkers: number;
  readonly collateFn: ((batch: any) => B) | ModuleRef;
  readonly pinMemory: boolean;
  readonly timeout: number;
  readonly workerInitFn: ((workerId: number) => unknown) | ModuleRef | null;
  readonly generator: GeneratorLike | undefined;
  readonly prefetchFactor: number;
  readonly persistentWorkers: boolean;
  /** @internal */ readonly _kind: "map" | "iterable";
  private _iterator: MultiWorkerIterator<B> | null = null;
  /** The iterator of the latest epoch (what stateDict describes). */
  private _current: BaseIterator<B> | null = null;
  /** A position from loadStateDict, taken by the next iterator. */
  private _resume: Position | null = null;

  constructor(dataset: DatasetLike<unknown>, opts: DataLoaderOptions<B> = {}) {
    const op = "DataLoader";
    const numWorkers = opts.numWorkers ?? 0;
    if (!Number.isInteger(numWorkers) || numWorkers < 0)
      throw new ValueError(op, "num_workers option should be non-negative; use numWorkers: 0 to disable worker threads");
    const timeout = opts.timeout ?? 0;
    if (!(timeout >= 0)) throw new ValueError(op, "timeout option should be non-negative");
    if (numWorkers === 0 && opts.prefetchFactor !== undefined && opts.prefetchFactor !== 2)
      throw new ValueError(
        op,
        "prefetch_factor option could only be specified in multiprocessing. Let numWorkers > 0 to enable multiprocessing.",
      );
    const prefetchFactor = opts.prefetchFactor ?? 2;
    if (!Number.isInteger(prefetchFactor) || prefetchFactor <= 0)
      throw new ValueError(op, `prefetchFactor should be a positive integer, got ${prefetchFactor}`);
    const persistentWorkers = opts.persistentWorkers ?? false;
    if (persistentWorkers && numWorkers === 0) throw new ValueError(op, "persistent_workers option needs numWorkers > 0");

    let kind: "map" | "iterable";
    if (dataset instanceof IterableDataset || isIterableStyle(dataset)) kind = "iterable";
    else if (isMapStyle(dataset)) kind = "map";
    else
      throw new ValueError(
        op,
        "dataset must be map-style (getItem(i) and length, or an array) or iterable-style (Symbol.iterator / Symbol.asyncIterator)",
      );

    let sampler = opts.sampler ?? null;
    let batchSampler = opts.batchSampler ?? null;
    let batchSize = opts.batchSize === undefined ? 1 : opts.batchSize;
    let dropLast = opts.dropLast ?? false;
    const shuffle = opts.shuffle;
    if (kind === "iterable") {
      if (shuffle !== undefined && shuffle !== false)
        throw new ValueError(
          op,
          `DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle=${shuffle}`,
        );
      if (sampler !== null)
        throw new ValueError(op, "DataLoader with IterableDataset: expected unspecified sampler option, but got a sampler");
      if (batchSampler !== null)
        throw new ValueError(
          op,
          "DataLoader with IterableDataset: expected unspecified batch_sampler option, but got a batch sampler",
        );
    }
    if (sampler !== null && shuffle) throw new ValueError(op, "sampler option is mutually exclusive with shuffle");
    if (batchSampler !== null) {
      if (batchSize !== 1 || shuffle || sampler !== null || dropLast)
        throw new ValueError(op, "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last");
      batchSize = null;
      dropLast = false;
    } else if (batchSize === null) {
      if (dropLast)
        throw new ValueError(op, "batch_size=None option disables auto-batching and is mutually exclusive with drop_last");
    }
    if (sampler === null && kind === "map") {
      const ds = dataset as MapDatasetLike<unknown>;
      sampler = shuffle ? new RandomSampler(ds, { generator: opts.generator }) : new SequentialSampler(ds);
    }
    if (batchSize !== null && batchSampler === null && kind === "map")
      batchSampler = new BatchSampler(sampler as Iterable<number>, batchSize, dropLast);

    this.dataset = dataset;
    this._kind = kind;
    this.numWorkers = numWorkers;
    this.prefetchFactor = prefetchFactor;
    this.pinMemory = opts.pinMemory ?? false;
    this.timeout = timeout;
    this.workerInitFn = opts.workerInitFn ?? null;
    this.batchSize = batchSize;
    this.dropLast = dropLast;
    this.sampler = sampler;
    this.batchSampler = batchSampler;
    this.generator = opts.generator;
    const auto = batchSize !== null || batchSampler !== null;
    this.collateFn = opts.collateFn ?? ((auto ? defaultCollate : defaultConvert) as (b: any) => B);
    this.persistentWorkers = persistentWorkers;
    if (numWorkers > 0) this._workerSetup(); // fail now, not in the first epoch, when something cannot reach workers
  }

  /** Whether samples are batched (PyTorch's `_auto_collation`). */
  get autoCollation(): boolean {
    return this.batchSampler !== null || (this._kind === "iterable" && this.batchSize !== null);
  }

  /** @internal the iterable of fetch indices (PyTorch's `_index_sampler`). */
  _indexSampler(): Iterable<FetchIndex> {
    if (this._kind === "iterable") {
      const count = this.batchSize;
      return {
        *[Symbol.iterator]() {
          for (;;) yield { count };
        },
      };
    }
    return (this.autoCollation ? this.batchSampler : this.sampler) as Iterable<FetchIndex>;
  }

  /** `len(loader)`: batches per epoch (for an iterable dataset, from the dataset's length). */
  get length(): number {
    if (this._kind === "iterable") {
      const n = lengthOf(this.dataset, "DataLoader");
      if (this.batchSize === null) return n;
      return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
    }
    return lengthOf(this._indexSampler(), "DataLoader");
  }

  /**
   * A new epoch: `for await (const batch of loader)`. With persistent workers the same iterator
   * (and the same workers, continuing their random streams) is reset and returned.
   */
  [Symbol.asyncIterator](): DataLoaderIterator<B> {
    const resume = this._resume;
    this._resume = null;
    let it: BaseIterator<B>;
    if (this.numWorkers === 0) it = new SingleThreadIterator<B>(this, resume);
    else if (this.persistentWorkers) {
      if (this._iterator === null || this._iterator.closed) this._iterator = new MultiWorkerIterator<B>(this, resume);
      else this._iterator._reset(false);
      it = this._iterator;
    } else it = new MultiWorkerIterator<B>(this, resume);
    this._current = it;
    return it;
  }

  /**
   * @internal The generators the index sampler may draw from, in a fixed order: the global CPU
   * generator, `generator`, then the samplers' own `generator`s (batch sampler first), each once.
   */
  _generators(): StatefulGenerator[] {
    const out: StatefulGenerator[] = [];
    const add = (g: unknown): void => {
      if (isStateful(g) && !out.includes(g)) out.push(g);
    };
    add(defaultGenerator);
    add(this.generator);
    const seen = new Set<unknown>();
    for (let s: unknown = this._kind === "map" ? this._indexSampler() : null; s !== null && typeof s === "object"; ) {
      if (seen.has(s)) break;
      seen.add(s);
      add((s as { generator?: unknown }).generator);
      s = (s as { sampler?: unknown }).sampler ?? null;
    }
    return out;
  }

  /**
   * Where the loader stands, for exact resume: the epoch in progress (its base seed, how many batches
   * were handed out, the sampler's generators as they were before its first draw) or "between
   * epochs", and the states of the loader's own generators. Save it with the model
   * (`torch.save({ ..., loader: loader.stateDict() }, path)`); in a fresh process build the same
   * loader, restore the global generator (`torch.setRngState`) and call `loadStateDict`: the next
   * `for await` yields exactly the remaining batches of that epoch (none is loaded to skip it), and
   * the epochs after it are those of an uninterrupted run. A loop left with `break` is an epoch in
   * progress too (one left right after its last batch is still in that epoch: resumed, it yields no
   * batch and ends it as the uninterrupted loop's final `next()` would). What it cannot capture: the
   * random streams inside worker threads (a dataset that draws random numbers in workers restarts
   * them from baseSeed + id) and an iterable-style dataset's position (refused mid-epoch).
   */
  stateDict(): DataLoaderState {
    const own = this._generators().slice(1);
    const pos = this._current ? this._current._position() : (this._resume ?? { baseSeed: null, epoch: null });
    return {
      version: 1,
      baseSeed: pos.baseSeed,
      epoch: pos.epoch && { ...pos.epoch, samplerStart: pos.epoch.samplerStart.map(stateTensor) },
      generators: own.map((g) => g.getState()),
    };
  }

  /**
   * Restore a position from `stateDict()` (possibly saved by another process): the loader's own
   * generators are set now, the position is taken by the next iterator. Restore the global generator
   * yourself (`torch.setRngState`) — it is shared with everything else that draws.
   */
  loadStateDict(state: DataLoaderState): void {
    const op = "DataLoader.loadStateDict";
    if (state === null || typeof state !== "object" || state.version !== 1)
      throw new ValueError(
        op,
        `expected a DataLoader state dict of version 1 (from loader.stateDict()), got ${String(state?.version)}`,
      );
    const own = this._generators().slice(1);
    const gens = Array.isArray(state.generators) ? state.generators : [];
    if (gens.length !== own.length)
      throw new ValueError(
        op,
        `the state holds ${gens.length} generator state(s) but this loader has ${own.length} generator(s) of its own (generator option, samplers' generators): build the loader as the one that was saved`,
      );
    const ownBytes = gens.map((t, i) => tensorBytes(op, `generators[${i}]`, t));
    let epoch: Position["epoch"] = null;
    if (state.epoch) {
      const e = state.epoch;
      for (const k of ["numYielded", "numPulled"] as const)
        if (!Number.isInteger(e[k]) || e[k] < 0)
          throw new ValueError(op, `epoch.${k} must be a non-negative integer, got ${e[k]}`);
      if (e.numPulled < e.numYielded) throw new ValueError(op, "epoch.numPulled is smaller than epoch.numYielded");
      if (this._kind === "iterable" && e.numYielded > 0)
        throw new ValueError(
          op,
          "an iterable-style dataset's position within an epoch cannot be restored (its iterator has no state to save): checkpoint between epochs, or use a map-style dataset",
        );
      const start = (e.samplerStart ?? []).map((t, i) => tensorBytes(op, `epoch.samplerStart[${i}]`, t));
      if (start.length !== 0 && start.length !== this._generators().length)
        throw new ValueError(
          op,
          `the state holds ${start.length} sampler generator state(s) but this loader's sampler draws from ${this._generators().length}: build the loader as the one that was saved`,
        );
      if (start.length === 0 && e.numPulled > 0 && this._kind === "map")
        throw new ValueError(op, "epoch.samplerStart is empty but the sampler had been pulled");
      epoch = { numYielded: e.numYielded, numPulled: e.numPulled, samplerExhausted: !!e.samplerExhausted, samplerStart: start };
    }
    const baseSeed = state.baseSeed === null || state.baseSeed === undefined ? null : BigInt(state.baseSeed);
    own.forEach((g, i) => setStateBytes(g, ownBytes[i] as Uint8Array));
    const it = this._iterator;
    if (it) {
      this._iterator = null;
      void it._shutdown();
    }
    this._current = null;
    this._resume = { baseSeed, epoch };
  }

  /** `iter(loader)`. */
  iter(): DataLoaderIterator<B> {
    return this[Symbol.asyncIterator]();
  }

  /** Stop persistent workers now (they are also unref'd, so they never keep the process alive). */
  async shutdown(): Promise<void> {
    const it = this._iterator;
    this._iterator = null;
    if (it) await it._shutdown();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  /** @internal what each worker is started with (everything encoded; throws when something is not portable). */
  _workerSetup(): WorkerSetup {
    const op = "DataLoader";
    const gens = new Map<object, number>(); // a generator shared by dataset, collateFn, workerInitFn stays shared
    const portableFn = (f: unknown, name: string): unknown => {
      if (isModuleRef(f)) return encodeSpec(f, op, name, gens);
      const s = workerSpecOf(f);
      if (!s)
        throw new ValueError(
          op,
          `numWorkers=${this.numWorkers}: ${name} is a plain function, which worker threads cannot receive. Export it from ` +
            `a module and pass { module: import.meta.url, export: "${(f as { name?: string }).name || "name"}" } ` +
            "(or attach one with withWorkerSpec(fn, { module, export })).",
        );
      return encodeSpec(s, op, name, gens);
    };
    if (!workerSpecOf(this.dataset) && !Array.isArray(this.dataset))
      throw new ValueError(
        op,
        `numWorkers=${this.numWorkers}: this ${(this.dataset as object)?.constructor?.name ?? "dataset"} lives in this thread ` +
          "only, and worker threads cannot receive class instances or closures, so they cannot rebuild it. Export the " +
          "dataset's class (or a factory) from a module and create it with " +
          '`await fromModule({ module: import.meta.url, export: "MyDataset", args: [...] })` (or attach a reference with ' +
          "`withWorkerSpec(dataset, { module, export, args })`); TensorDataset, Subset, ConcatDataset and FashionMNIST " +
          "(with transforms from `transforms`) carry one already.",
      );
    const dataset = encodeSpec(this.dataset, op, "dataset", gens);
    const collate =
      this.collateFn === defaultCollate
        ? "default"
        : this.collateFn === defaultConvert
          ? "convert"
          : portableFn(this.collateFn, "collateFn");
    const initFn = this.workerInitFn === null ? null : portableFn(this.workerInitFn, "workerInitFn");
    const needsTs = referencedModules([dataset, collate, initFn]).some((m) => /\.[cm]?tsx?$/.test(m));
    return {
      kind: this._kind,
      dataset,
      collate,
      initFn,
      autoCollation: this.autoCollation,
      dropLast: this.dropLast,
      needsTs,
    };
  }
}

/** Module URLs named anywhere in encoded worker arguments. */
function referencedModules(x: unknown, out: string[] = []): string[] {
  if (x === null || typeof x !== "object" || ArrayBuffer.isView(x)) return out;
  if (Array.isArray(x)) {
    for (const v of x) referencedModules(v, out);
    return out;
  }
  const o = x as Record<string, unknown>;
  if (typeof o.module === "string" && typeof o.export === "string") out.push(o.module);
  for (const v of Object.values(o)) referencedModules(v, out);
  return out;
}

/** @internal */
export interface WorkerSetup {
  kind: "map" | "iterable";
  dataset: unknown;
  collate: unknown;
  initFn: unknown;
  autoCollation: boolean;
  dropLast: boolean;
  needsTs: boolean;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** An epoch's iterator (PyTorch's `_BaseDataLoaderIter`): `next()`, `return()`, `length`. */
export interface DataLoaderIterator<B> extends AsyncIterableIterator<B> {
  readonly length: number;
  /** The base seed this iterator drew (workers are seeded baseSeed + id). */
  readonly baseSeed: bigint;
  return(): Promise<IteratorResult<B>>;
}

abstract class BaseIterator<B> implements DataLoaderIterator<B> {
  protected samplerIter!: Iterator<FetchIndex>;
  baseSeed: bigint;
  protected numYielded = 0;
  /** Items taken from the index sampler this epoch. */
  protected numPulled = 0;
  protected samplerExhausted = false;
  /** The sampler's generators' states before its first draw of this epoch (null: not drawn yet). */
  protected samplerStart: Uint8Array[] | null = null;
  /** Indices replayed on resume that were pulled but not yet handed out (workers' prefetch). */
  private pending: FetchIndex[] = [];
  /** The epoch ran to its end (not broken off). */
  protected ended = false;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    protected readonly loader: DataLoader<B>,
    resume: Position | null = null,
  ) {
    this.samplerIter = loader._indexSampler()[Symbol.iterator]();
    this.baseSeed = resume?.baseSeed ?? rng().int64(loader.generator);
    if (resume?.epoch) this.fastForward(resume.epoch);
  }

  get length(): number {
    return this.loader.length;
  }

  /** A new epoch on the same iterator (persistent workers). */
  protected resetPosition(): void {
    this.samplerIter = this.loader._indexSampler()[Symbol.iterator]();
    this.numYielded = 0;
    this.numPulled = 0;
    this.samplerExhausted = false;
    this.samplerStart = null;
    this.pending = [];
    this.ended = false;
  }

  /** @internal See DataLoader.stateDict. */
  _position(): Position {
    if (this.ended) return { baseSeed: this.loader.persistentWorkers ? this.baseSeed : null, epoch: null };
    return {
      baseSeed: this.baseSeed,
      epoch: {
        numYielded: this.numYielded,
        numPulled: this.numPulled,
        samplerExhausted: this.samplerExhausted,
        samplerStart: this.samplerStart ? this.samplerStart.map((b) => b.slice()) : [],
      },
    };
  }

  /**
   * Resume: take the sampler's first `numPulled` items again with its generators set to their
   * epoch-start states, then put every generator back as it was. Items pulled but not handed out
   * (prefetched by workers) are kept to be sent first.
   */
  private fastForward(pos: NonNullable<Position["epoch"]>): void {
    if (this.loader._kind === "iterable") return; // nothing handed out yet (loadStateDict checked)
    if (pos.numPulled > 0 || pos.samplerExhausted) {
      const gens = this.loader._generators();
      const now = gens.map(stateBytes);
      try {
        gens.forEach((g, i) => setStateBytes(g, pos.samplerStart[i] as Uint8Array));
        for (let k = 0; k < pos.numPulled; k++) {
          const r = this.samplerIter.next();
          if (r.done)
            throw new ValueError(
              "DataLoader",
              `cannot resume: the sampler ended after ${k} item(s) but ${pos.numPulled} had been taken when the state was saved (is the dataset the same?)`,
            );
          if (k >= pos.numYielded) this.pending.push(r.value);
        }
        if (pos.samplerExhausted) this.samplerIter.next();
      } finally {
        gens.forEach((g, i) => setStateBytes(g, now[i] as Uint8Array));
      }
      this.samplerStart = pos.samplerStart.map((b) => b.slice());
    }
    this.numYielded = pos.numYielded;
    this.numPulled = pos.numPulled;
    this.samplerExhausted = pos.samplerExhausted;
  }

  protected nextIndex(): IteratorResult<FetchIndex> {
    const p = this.pending.shift();
    if (p !== undefined) return { done: false, value: p };
    if (this.samplerExhausted) return { done: true, value: undefined };
    if (this.samplerStart === null && this.loader._kind === "map") this.samplerStart = this.loader._generators().map(stateBytes);
    const r = this.samplerIter.next();
    if (r.done) this.samplerExhausted = true;
    else this.numPulled++;
    return r;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * Calls are serialised, so an un-awaited next() cannot reorder batches. Each batch first yields
   * to the event loop: a training loop over `for await` otherwise runs on microtasks only, and the
   * FinalizationRegistry that frees tensors nobody disposed (per-sample transform outputs, ...)
   * would never get to run, so memory would grow for the whole run.
   */
  next(): Promise<IteratorResult<B>> {
    const p = this.chain.then(yieldToEventLoop).then(() => this._next());
    this.chain = p.catch(() => undefined);
    return p;
  }

  return(): Promise<IteratorResult<B>> {
    const p = this.chain.then(() => this._return());
    this.chain = p.catch(() => undefined);
    return p;
  }

  protected abstract _next(): Promise<IteratorResult<B>>;
  protected abstract _return(): Promise<IteratorResult<B>>;
}

async function resolveFn(f: unknown, name: string): Promise<(...a: any[]) => any> {
  if (typeof f === "function") return f as (...a: any[]) => any;
  const v = await resolveRef(f as ModuleRef, "function");
  if (typeof v !== "function") throw new ValueError("DataLoader", `${name} reference did not give a function`);
  return v as (...a: any[]) => any;
}

class SingleThreadIterator<B> extends BaseIterator<B> {
  private fetcher: Fetcher | null = null;
  private finished = false;

  protected async _next(): Promise<IteratorResult<B>> {
    if (this.finished) return { done: true, value: undefined };
    const r = this.nextIndex();
    if (r.done) {
      this.finished = true;
      this.ended = true;
      return { done: true, value: undefined };
    }
    if (this.fetcher === null) {
      const collate = (await resolveFn(this.loader.collateFn, "collateFn")) as CollateFn;
      this.fetcher = createFetcher(
        this.loader._kind,
        this.loader.dataset,
        this.loader.autoCollation,
        collate,
        this.loader.dropLast,
      );
    }
    try {
      const value = (await this.fetcher.fetch(r.value)) as B;
      this.numYielded++;
      return { done: false, value };
    } catch (e) {
      if (e instanceof StopFetch) {
        this.finished = true;
        this.ended = true;
        return { done: true, value: undefined };
      }
      throw e;
    }
  }

  protected async _return(): Promise<IteratorResult<B>> {
    this.finished = true;
    return { done: true, value: undefined };
  }
}

// ---------------------------------------------------------------- worker threads

type FromWorker =
  | { type: "data"; epoch: number; idx: number; payload: unknown }
  | { type: "error"; epoch: number; idx: number; error: SerializedError }
  | { type: "end"; epoch: number; idx: number; workerId: number }
  | { type: "resumed"; epoch: number }
  | { type: "died"; workerId: number; message: string; error?: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  op?: string;
}

interface TaskInfo {
  worker: number;
  msg?: FromWorker;
}

let tsxApi: string | null = null;
function tsxApiUrl(): string {
  if (tsxApi) return tsxApi;
  try {
    const req = createRequire(import.meta.url);
    // require.resolve picks the CommonJS build; the ES module build sits beside it.
    const cjs = req.resolve("tsx/esm/api");
    const mjs = cjs.replace(/\.cjs$/, ".mjs");
    tsxApi = pathToFileURL(existsSync(mjs) ? mjs : cjs).href;
  } catch {
    throw new DataLoaderError(
      "DataLoader",
      "worker threads need to load TypeScript modules (lockstep's sources or your dataset's .ts module), which needs " +
        "the `tsx` package: install it (npm i -D tsx) or use compiled JavaScript.",
    );
  }
  return tsxApi;
}

function spawnWorker(workerData: Record<string, unknown>, needsTs: boolean): Worker {
  const here = import.meta.url;
  const fromTs = /\.[cm]?ts$/.test(new URL(here).pathname);
  const entry = new URL(fromTs ? "./worker.ts" : "./worker.js", here);
  if (!fromTs && !needsTs) return new Worker(entry, { workerData });
  // Node 20 does not apply `--import` loaders to worker threads: register tsx's hooks first, then
  // load the entry. From sources, resolve @lockstep/core to its sources too (one copy of the modules).
  const code = `import(${JSON.stringify(tsxApiUrl())}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  const execArgv = fromTs ? ["--conditions=source"] : [];
  return new Worker(code, { eval: true, workerData, execArgv });
}

const ERROR_CLASSES: Record<string, new (...a: any[]) => Error> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
  ...Object.fromEntries(
    Object.entries(errors).filter(
      ([, v]) => typeof v === "function" && (v as { prototype?: unknown }).prototype instanceof Error,
    ),
  ),
  DataLoaderError,
};

/** The worker's exception, rethrown here: same class where known, the worker's stack kept. */
function rebuildError(e: SerializedError, workerId: number): Error {
  const Cls = ERROR_CLASSES[e.name] ?? Error;
  const err = Object.create(Cls.prototype) as Error & { op?: string; workerId?: number };
  const where = `in DataLoader worker ${workerId}`;
  Object.defineProperty(err, "message", {
    value: `Caught ${e.name} ${where}.\nOriginal ${e.stack ?? `${e.name}: ${e.message}`}`,
    writable: true,
    configurable: true,
  });
  Object.defineProperty(err, "name", { value: e.name, writable: true, configurable: true });
  if (e.op !== undefined) err.op = e.op;
  err.workerId = workerId;
  const here = new Error().stack?.split("\n").slice(1).join("\n") ?? "";
  Object.defineProperty(err, "stack", {
    value: `${e.name}: ${err.message}\n${here}`,
    writable: true,
    configurable: true,
  });
  return err;
}

let loaderSeq = 0;

class MultiWorkerIterator<B> extends BaseIterator<B> {
  private readonly workers: Worker[] = [];
  private readonly queue: FromWorker[] = [];
  private waiter: ((m: FromWorker) => void) | null = null;
  private epoch = 0;
  private sendIdx = 0;
  private rcvdIdx = 0;
  private taskInfo = new Map<number, TaskInfo>();
  private workersStatus: boolean[] = [];
  private cycle = 0;
  private finished = false;
  private shuttingDown = false;
  /** Workers told to stop (their exit is expected). */
  private readonly stopped = new Set<number>();
  /** Workers were shut down (the iterator cannot be reused). */
  closed = false;
  private readonly id = ++loaderSeq;

  constructor(loader: DataLoader<B>, resume: Position | null = null) {
    super(loader, resume);
    const setup = loader._workerSetup();
    const n = loader.numWorkers;
    for (let w = 0; w < n; w++) {
      const worker = spawnWorker(
        {
          [WORKER_MARK]: true,
          workerId: w,
          numWorkers: n,
          baseSeed: this.baseSeed,
          kind: setup.kind,
          dataset: setup.dataset,
          collate: setup.collate,
          initFn: setup.initFn,
          autoCollation: setup.autoCollation,
          dropLast: setup.dropLast,
          loaderId: this.id,
        },
        setup.needsTs,
      );
      worker.unref();
      liveWorkers.add(worker);
      worker.on("message", (m: FromWorker) => this.deliver(m));
      worker.on("error", (e: Error) => {
        if (this.shuttingDown || this.stopped.has(w)) return;
        this.deliver({
          type: "died",
          workerId: w,
          message: `DataLoader worker ${w} failed: ${e?.message ?? e}`,
          error: { name: e?.name ?? "Error", message: e?.message ?? String(e), stack: e?.stack },
        });
      });
      worker.on("exit", (code) => {
        liveWorkers.delete(worker);
        if (this.shuttingDown || this.stopped.has(w)) return;
        this.deliver({ type: "died", workerId: w, message: `DataLoader worker ${w} exited unexpectedly (exit code ${code})` });
      });
      this.workers.push(worker);
    }
    this._reset(true);
  }

  private deliver(m: FromWorker): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w(m);
    } else this.queue.push(m);
  }

  /** Next message of the current epoch (stale ones from an abandoned epoch are dropped). */
  private async getData(): Promise<FromWorker> {
    for (;;) {
      let m = this.queue.shift();
      if (m === undefined) {
        for (const w of this.workers) w.ref();
        let timer: NodeJS.Timeout | undefined;
        try {
          m = await new Promise<FromWorker>((resolve, reject) => {
            this.waiter = resolve;
            if (this.loader.timeout > 0)
              timer = setTimeout(() => {
                this.waiter = null;
                reject(new DataLoaderError("DataLoader", `DataLoader timed out after ${this.loader.timeout} seconds`));
              }, this.loader.timeout * 1000);
          });
        } finally {
          if (timer) clearTimeout(timer);
          for (const w of this.workers) w.unref();
        }
      }
      if (m.type === "died") return m;
      if (m.epoch !== this.epoch || m.type === "resumed") continue;
      return m;
    }
  }

  /** @internal A new epoch on the same workers (persistent) or the first one. */
  _reset(first: boolean): void {
    if (!first) this.resetPosition();
    this.epoch++;
    this.sendIdx = 0;
    this.rcvdIdx = 0;
    this.taskInfo = new Map();
    this.workersStatus = this.workers.map(() => true);
    // batch k of an epoch goes to worker k % numWorkers, also when resuming at batch numYielded
    this.cycle = this.workers.length > 0 ? this.numYielded % this.workers.length : 0;
    this.finished = false;
    if (!first) for (const w of this.workers) w.postMessage({ type: "resume", epoch: this.epoch });
    for (let i = 0; i < this.loader.prefetchFactor * this.loader.numWorkers; i++) this.tryPutIndex();
  }

  private tryPutIndex(): void {
    const r = this.nextIndex();
    if (r.done) return;
    const n = this.workers.length;
    let w = -1;
    for (let k = 0; k < n; k++) {
      const c = this.cycle;
      this.cycle = (this.cycle + 1) % n;
      if (this.workersStatus[c]) {
        w = c;
        break;
      }
    }
    if (w < 0) return;
    (this.workers[w] as Worker).postMessage({ type: "task", epoch: this.epoch, idx: this.sendIdx, index: r.value });
    this.taskInfo.set(this.sendIdx, { worker: w });
    this.sendIdx++;
  }

  private markWorkerUnavailable(w: number): void {
    this.workersStatus[w] = false;
    this.stopped.add(w);
    (this.workers[w] as Worker).postMessage({ type: "stop" });
  }

  protected async _next(): Promise<IteratorResult<B>> {
    if (this.finished || this.closed) return { done: true, value: undefined };
    for (;;) {
      let found = false;
      while (this.rcvdIdx < this.sendIdx) {
        const info = this.taskInfo.get(this.rcvdIdx) as TaskInfo;
        if (info.msg !== undefined || this.workersStatus[info.worker]) {
          found = true;
          break;
        }
        this.taskInfo.delete(this.rcvdIdx);
        this.rcvdIdx++;
      }
      if (!found) {
        this.finished = true;
        this.ended = true;
        if (!this.loader.persistentWorkers) await this._shutdown();
        return { done: true, value: undefined };
      }
      const info = this.taskInfo.get(this.rcvdIdx) as TaskInfo;
      if (info.msg !== undefined) {
        this.taskInfo.delete(this.rcvdIdx);
        return this.processData(info.msg, info.worker);
      }
      let m: FromWorker;
      try {
        m = await this.getData();
      } catch (e) {
        await this._shutdown();
        throw e;
      }
      if (m.type === "died") {
        await this._shutdown();
        const err = new DataLoaderError("DataLoader", m.message);
        if (m.error) (err as Error & { cause?: unknown }).cause = rebuildError(m.error, m.workerId);
        throw err;
      }
      if (m.type === "end") {
        if (this.loader.persistentWorkers) this.workersStatus[m.workerId] = false;
        else this.markWorkerUnavailable(m.workerId);
        this.tryPutIndex();
        continue;
      }
      const idx = (m as { idx: number }).idx;
      if (idx !== this.rcvdIdx) {
        (this.taskInfo.get(idx) as TaskInfo).msg = m;
        continue;
      }
      const worker = (this.taskInfo.get(idx) as TaskInfo).worker;
      this.taskInfo.delete(idx);
      return this.processData(m, worker);
    }
  }

  private async processData(m: FromWorker, worker: number): Promise<IteratorResult<B>> {
    this.rcvdIdx++;
    this.tryPutIndex();
    if (m.type === "error") {
      if (!this.loader.persistentWorkers) await this._shutdown();
      throw rebuildError(m.error, worker);
    }
    this.numYielded++;
    return { done: false, value: decodePayload((m as { payload: unknown }).payload) as B };
  }

  protected async _return(): Promise<IteratorResult<B>> {
    this.finished = true;
    if (!this.loader.persistentWorkers) await this._shutdown();
    return { done: true, value: undefined };
  }

  /** @internal Stop every worker and wait until they have exited. Idempotent. */
  async _shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.finished = true;
    this.shuttingDown = true;
    await Promise.all(
      this.workers.map(async (w) => {
        try {
          w.postMessage({ type: "stop" });
        } catch {
          // already gone
        }
        await w.terminate();
        liveWorkers.delete(w);
      }),
    );
  }
}
