// The few random draws torch.utils.data makes, in one place: the DataLoader's base seed (one int64
// `random_()`), `randperm`, `randint`, `multinomial`, a float32 `rand`, and the global generator's
// `manualSeed`/`initialSeed` (worker seeding). They go to lockstep's generators (src/random:
// `torch.Generator`, MT19937, bit-exact to PyTorch's CPU streams). The data modules import the
// random module directly, never the `torch` namespace (which imports them: a cycle).
//
// A test (or an embedder) can install another implementation with `_setRandomSource`.
import { empty } from "../ops/core.js";
import { tensor } from "../ops/creation.js";
import {
  Generator,
  initialSeed as globalInitialSeed,
  manualSeed as globalManualSeed,
  multinomial,
  rand,
  randint,
  random_,
  randperm,
} from "../random/index.js";

/** What the data utilities need from a generator (`torch.Generator` has all of it). */
export interface GeneratorLike {
  manualSeed(seed: number | bigint): unknown;
  initialSeed(): number | bigint;
  getState?(): unknown;
  setState?(state: never): unknown;
}

/** The draws, each exactly as PyTorch 1.13 makes it on CPU. `gen` undefined = the global generator. */
export interface RandomSource {
  /** `torch.empty((), dtype=torch.int64).random_(generator=gen).item()`: in [0, 2^63). */
  int64(gen?: GeneratorLike): bigint;
  /** `torch.randperm(n, generator=gen).tolist()`. */
  randperm(n: number, gen?: GeneratorLike): number[];
  /** `torch.randint(low, high, (count,), dtype=torch.int64, generator=gen).tolist()`. */
  randint(low: number, high: number, count: number, gen?: GeneratorLike): number[];
  /** `torch.multinomial(torch.as_tensor(weights, dtype=torch.double), count, replacement, generator=gen).tolist()`. */
  multinomial(weights: readonly number[], count: number, replacement: boolean, gen?: GeneratorLike): number[];
  /** `torch.rand(1, generator=gen).item()` (a float32 uniform). */
  rand(gen?: GeneratorLike): number;
  /** `torch.manual_seed(seed)` on the global generator. */
  manualSeed(seed: bigint): void;
  /** `torch.initial_seed()` of the global generator. */
  initialSeed(): bigint;
  /** `torch.Generator()`. */
  newGenerator(): GeneratorLike;
}

const genOpt = (gen?: GeneratorLike) => (gen === undefined ? {} : { generator: gen as Generator });

const int64s = (t: { dataSync(): unknown; dispose(): void }): number[] => {
  const out = Array.from(t.dataSync() as BigInt64Array, Number);
  t.dispose();
  return out;
};

/** The default source: lockstep's own generators. */
export const torchRandom: RandomSource = {
  int64(gen) {
    const t = empty([], "int64", "cpu");
    random_(t, genOpt(gen));
    const v = (t.dataSync() as BigInt64Array)[0] as bigint;
    t.dispose();
    return v;
  },
  randperm: (n, gen) => int64s(randperm(n, genOpt(gen))),
  randint: (low, high, count, gen) => int64s(randint(low, high, [count], { dtype: "int64", ...genOpt(gen) })),
  multinomial(weights, count, replacement, gen) {
    const w = tensor([...weights], { dtype: "float64" });
    const out = int64s(multinomial(w, count, replacement, genOpt(gen)));
    w.dispose();
    return out;
  },
  rand(gen) {
    const t = rand([1], genOpt(gen));
    const v = (t.dataSync() as Float32Array)[0] as number;
    t.dispose();
    return v;
  },
  manualSeed(seed) {
    globalManualSeed(seed);
  },
  initialSeed: () => BigInt(globalInitialSeed()),
  newGenerator: () => new Generator(),
};

let source: RandomSource = torchRandom;

/** The random source the data utilities draw from. */
export const rng = (): RandomSource => source;

/**
 * @internal Replace the random source (tests; embedders with their own generator). Returns the
 * previous one. Worker threads always use lockstep's generators.
 */
export function _setRandomSource(s: RandomSource): RandomSource {
  const prev = source;
  source = s;
  return prev;
}
