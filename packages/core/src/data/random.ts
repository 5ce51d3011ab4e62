// The few random draws torch.utils.data makes, in one place: the DataLoader's base seed (one int64
// `random_()`), `randperm`, `randint`, `multinomial`, a float32 `rand`, and the global generator's
// `manualSeed`/`initialSeed` (worker seeding). They go to lockstep's generators (`torch.Generator`,
// MT19937, bit-exact to PyTorch's CPU streams), looked up on the `torch` namespace at call time
// (the namespace import is a cycle that is only read at call time, never while modules evaluate).
//
// A test (or an embedder) can install another implementation with `_setRandomSource`.
import { ValueError } from "../errors.js";
import * as torchModule from "../index.js";

/** What the data utilities need from a `torch.Generator`. */
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
  /** `torch.randint(high=high, size=(count,), dtype=torch.int64, generator=gen).tolist()`. */
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

type Fn = (...a: any[]) => any;
interface TorchLike {
  Generator?: new () => GeneratorLike;
  randperm?: Fn;
  randint?: Fn;
  multinomial?: Fn;
  rand?: Fn;
  empty?: Fn;
  tensor?: Fn;
  manualSeed?: Fn;
  initialSeed?: Fn;
}

const torchNs = (): TorchLike => torchModule as unknown as TorchLike;

function missing(what: string): never {
  throw new ValueError(
    "torch.utils.data",
    `${what} is not available: lockstep's random generators (torch.Generator, torch.randperm, ...) are not part of this build`,
  );
}

function need<K extends keyof TorchLike>(k: K): NonNullable<TorchLike[K]> {
  const f = torchNs()[k];
  if (f === undefined) missing(`torch.${k}`);
  return f as NonNullable<TorchLike[K]>;
}

const genOpt = (gen?: GeneratorLike) => (gen === undefined ? {} : { generator: gen });

/** The default source: lockstep's own generators. */
export const torchRandom: RandomSource = {
  int64(gen) {
    const t = need("empty")([], { dtype: "int64" });
    const r = t.random_(genOpt(gen));
    const v = (r.dataSync() as BigInt64Array)[0] as bigint;
    t.dispose();
    return v;
  },
  randperm(n, gen) {
    const t = need("randperm")(n, genOpt(gen));
    const out = Array.from(t.dataSync() as BigInt64Array, Number);
    t.dispose();
    return out;
  },
  randint(low, high, count, gen) {
    const t = need("randint")(low, high, [count], { dtype: "int64", ...genOpt(gen) });
    const out = Array.from(t.dataSync() as BigInt64Array, Number);
    t.dispose();
    return out;
  },
  multinomial(weights, count, replacement, gen) {
    const w = need("tensor")([...weights], { dtype: "float64" });
    const t = need("multinomial")(w, count, replacement, genOpt(gen));
    const out = Array.from(t.dataSync() as BigInt64Array, Number);
    t.dispose();
    w.dispose();
    return out;
  },
  rand(gen) {
    const t = need("rand")([1], genOpt(gen));
    const v = (t.dataSync() as Float32Array)[0] as number;
    t.dispose();
    return v;
  },
  manualSeed(seed) {
    need("manualSeed")(seed);
  },
  initialSeed() {
    return BigInt(need("initialSeed")());
  },
  newGenerator() {
    const G = need("Generator");
    return new G();
  },
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

/** Whether lockstep's generators are present in this build (tests skip goldens that need them). */
export function generatorsAvailable(): boolean {
  const t = torchNs();
  return (
    typeof t.Generator === "function" &&
    typeof t.randperm === "function" &&
    typeof t.manualSeed === "function" &&
    typeof t.initialSeed === "function"
  );
}
