// torch.utils.data samplers. Each draws exactly what PyTorch 1.13 draws, lazily, at the same point
// of the iteration (a draw made when the iterator is first advanced in PyTorch is made then here
// too), so a generator shared with other code stays in step with PyTorch.
import { ValueError } from "../errors.js";
import { lengthOf, type Sized } from "./dataset.js";
import { type GeneratorLike, rng } from "./random.js";

/** `torch.utils.data.Sampler`: an iterable of indices (or of batches of indices), usually with a length. */
export abstract class Sampler<T = number> implements Iterable<T> {
  abstract [Symbol.iterator](): Iterator<T>;
}

/** `SequentialSampler(data_source)`: 0, 1, ..., len-1. */
export class SequentialSampler extends Sampler<number> {
  constructor(readonly dataSource: Sized) {
    super();
  }
  *[Symbol.iterator](): Iterator<number> {
    const n = this.dataSource.length;
    for (let i = 0; i < n; i++) yield i;
  }
  get length(): number {
    return this.dataSource.length;
  }
}

export interface RandomSamplerOptions {
  replacement?: boolean;
  numSamples?: number | null;
  generator?: GeneratorLike | null;
}

/**
 * `RandomSampler(data_source, replacement=False, num_samples=None, generator=None)` — positional as
 * in PyTorch, or `new RandomSampler(ds, { replacement, numSamples, generator })`.
 *
 * Without a generator, each pass seeds a fresh generator from one int64 draw of the global one.
 * Without replacement: `numSamples / n` whole `randperm(n)`, then one more `randperm(n)` of which
 * the first `numSamples % n` are used (a whole permutation drawn and thrown away when the remainder
 * is 0). With replacement: `randint(0, n, [32])` chunks, then one of `numSamples % 32`.
 */
export class RandomSampler extends Sampler<number> {
  readonly dataSource: Sized;
  readonly replacement: boolean;
  readonly generator: GeneratorLike | undefined;
  private readonly _numSamples: number | null;

  constructor(
    dataSource: Sized,
    replacement?: boolean | RandomSamplerOptions,
    numSamples?: number | null,
    generator?: GeneratorLike | null,
  ) {
    super();
    const o: RandomSamplerOptions =
      typeof replacement === "object" && replacement !== null ? replacement : { replacement, numSamples, generator };
    this.dataSource = dataSource;
    this.replacement = o.replacement ?? false;
    this._numSamples = o.numSamples ?? null;
    this.generator = o.generator ?? undefined;
    if (typeof this.replacement !== "boolean")
      throw new ValueError(
        "RandomSampler",
        `replacement should be a boolean value, but got replacement=${String(this.replacement)}`,
      );
    const k = this.numSamples;
    if (!Number.isInteger(k) || k <= 0)
      throw new ValueError("RandomSampler", `num_samples should be a positive integer value, but got num_samples=${k}`);
  }

  /** `num_samples`: the dataset's length unless given (the dataset size may change at run time). */
  get numSamples(): number {
    return this._numSamples ?? lengthOf(this.dataSource, "RandomSampler");
  }

  *[Symbol.iterator](): Iterator<number> {
    const n = lengthOf(this.dataSource, "RandomSampler");
    let g = this.generator;
    if (g === undefined) {
      const seed = rng().int64();
      g = rng().newGenerator();
      g.manualSeed(seed);
    }
    const k = this.numSamples;
    if (this.replacement) {
      for (let c = 0; c < Math.floor(k / 32); c++) yield* rng().randint(0, n, 32, g);
      yield* rng().randint(0, n, k % 32, g);
    } else {
      for (let c = 0; c < Math.floor(k / n); c++) yield* rng().randperm(n, g);
      yield* rng()
        .randperm(n, g)
        .slice(0, k % n);
    }
  }

  get length(): number {
    return this.numSamples;
  }
}

/** `SubsetRandomSampler(indices, generator=None)`: the indices in `randperm(len)` order (drawn on the first step). */
export class SubsetRandomSampler extends Sampler<number> {
  readonly generator: GeneratorLike | undefined;
  constructor(
    readonly indices: readonly number[],
    generator?: GeneratorLike | null | { generator?: GeneratorLike | null },
  ) {
    super();
    this.generator = pickGenerator(generator);
  }
  *[Symbol.iterator](): Iterator<number> {
    for (const i of rng().randperm(this.indices.length, this.generator)) yield this.indices[i] as number;
  }
  get length(): number {
    return this.indices.length;
  }
}

function pickGenerator(g: unknown): GeneratorLike | undefined {
  if (g === undefined || g === null) return undefined;
  if (typeof (g as GeneratorLike).manualSeed === "function") return g as GeneratorLike;
  return ((g as { generator?: GeneratorLike | null }).generator ?? undefined) as GeneratorLike | undefined;
}

/**
 * `WeightedRandomSampler(weights, num_samples, replacement=True, generator=None)`: one
 * `multinomial(weights (float64), numSamples, replacement)` per pass, drawn on the first step.
 */
export class WeightedRandomSampler extends Sampler<number> {
  readonly weights: number[];
  readonly generator: GeneratorLike | undefined;
  readonly replacement: boolean;
  constructor(
    weights: readonly number[] | ArrayLike<number>,
    readonly numSamples: number,
    replacement: boolean | { replacement?: boolean; generator?: GeneratorLike | null } = true,
    generator?: GeneratorLike | null,
  ) {
    super();
    const o = typeof replacement === "object" ? replacement : { replacement, generator };
    this.replacement = o.replacement ?? true;
    this.generator = o.generator ?? undefined;
    if (!Number.isInteger(numSamples) || typeof numSamples === "boolean" || numSamples <= 0)
      throw new ValueError(
        "WeightedRandomSampler",
        `num_samples should be a positive integer value, but got num_samples=${numSamples}`,
      );
    if (typeof this.replacement !== "boolean")
      throw new ValueError(
        "WeightedRandomSampler",
        `replacement should be a boolean value, but got replacement=${String(this.replacement)}`,
      );
    if (Array.from(weights as ArrayLike<unknown>).some((w) => Array.isArray(w)))
      throw new ValueError("WeightedRandomSampler", "weights should be a 1d sequence");
    this.weights = Array.from(weights as ArrayLike<number>, Number);
  }
  *[Symbol.iterator](): Iterator<number> {
    yield* rng().multinomial(this.weights, this.numSamples, this.replacement, this.generator);
  }
  get length(): number {
    return this.numSamples;
  }
}

/**
 * `BatchSampler(sampler, batch_size, drop_last)`: lists of `batchSize` indices (the last one shorter
 * unless dropLast). Pulls from the sampler exactly as PyTorch does, so lazy draws happen at the same step.
 */
export class BatchSampler extends Sampler<number[]> {
  constructor(
    readonly sampler: Iterable<number>,
    readonly batchSize: number,
    readonly dropLast: boolean,
  ) {
    super();
    if (!Number.isInteger(batchSize) || typeof batchSize === "boolean" || batchSize <= 0)
      throw new ValueError("BatchSampler", `batch_size should be a positive integer value, but got batch_size=${batchSize}`);
    if (typeof dropLast !== "boolean")
      throw new ValueError("BatchSampler", `drop_last should be a boolean value, but got drop_last=${String(dropLast)}`);
  }
  *[Symbol.iterator](): Iterator<number[]> {
    if (this.dropLast) {
      const it = this.sampler[Symbol.iterator]();
      for (;;) {
        const batch: number[] = [];
        for (let i = 0; i < this.batchSize; i++) {
          const r = it.next();
          if (r.done) return;
          batch.push(r.value);
        }
        yield batch;
      }
    } else {
      let batch: number[] = [];
      for (const idx of this.sampler) {
        batch.push(idx);
        if (batch.length === this.batchSize) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    }
  }
  get length(): number {
    const n = lengthOf(this.sampler, "BatchSampler");
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }
}
