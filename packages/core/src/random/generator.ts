// torch.Generator and the global random state (torch.manualSeed, torch.seed, torch.initialSeed,
// torch.getRngState/setRngState, torch.random.forkRng, torch.defaultGenerator).
//
// Two algorithms:
// - "mt19937" (CPU default): PyTorch's CPUGeneratorImpl bit for bit — the MT19937 engine, the cached
//   second Box–Muller value of randn's scalar path, and get_state()/set_state() in PyTorch's 5056-byte
//   CPUGeneratorImplState layout (states saved by PyTorch load here and vice versa).
// - "philox" (every other device's default; selectable on the CPU): the counter-based Philox4x32-10
//   generator specified in philox.ts, whose draws are identical on every backend.

import { DeviceError, DTypeError, ValueError } from "../errors.js";
import { fromStorageArray } from "../ops/core.js";
import type { Tensor } from "../tensor.js";
import { sin as glibcSin } from "./glibc_math.js";
import { MERSENNE_STATE_N, MT19937 } from "./mt19937.js";

export type GeneratorAlgorithm = "mt19937" | "philox";

export interface GeneratorOptions {
  /** "cpu" (default) or "reference" (the same generator), or another device (Philox only). */
  device?: string;
  /** "mt19937" (the default on the CPU, PyTorch's streams) or "philox" (the portable generator). */
  algorithm?: GeneratorAlgorithm;
}

/** c10's default_rng_seed_val: the seed of a freshly constructed torch.Generator(). */
export const DEFAULT_RNG_SEED = 67280421310721n;

/** Size of PyTorch's CPUGeneratorImplState (get_state() of a CPU generator). */
export const CPU_STATE_SIZE = 5056;
/** Size of PyTorch's legacy CPUGeneratorImplStateLegacy (also accepted by set_state()). */
export const CPU_LEGACY_STATE_SIZE = 5048;
/** Size of a Philox generator's state: seed and offset, uint64 little-endian each. */
export const PHILOX_STATE_SIZE = 16;

const isCpuDevice = (d: string): boolean => d === "cpu" || d === "reference";

/** PyTorch's seed unpacking: an integer in [-2^63, 2^64); negative seeds are taken as two's complement. */
export function normalizeSeed(op: string, seed: number | bigint): bigint {
  let s: bigint;
  if (typeof seed === "bigint") s = seed;
  else {
    if (!Number.isInteger(seed)) throw new ValueError(op, `seed must be an integer, got ${seed}`);
    s = BigInt(seed);
  }
  if (s < -(2n ** 63n) || s >= 2n ** 64n)
    throw new ValueError(op, `seed ${s} is out of range: expected an integer in [-2^63, 2^64) (PyTorch's uint64 seed)`);
  return BigInt.asUintN(64, s);
}

/** A seed as JavaScript gives it back: a number when exactly representable, else a bigint. */
export const seedValue = (s: bigint): number | bigint => (s <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(s) : s);

/** A nondeterministic 53-bit seed (PyTorch reads /dev/urandom; we stay within exact JS numbers). */
function nondeterministicSeed(): bigint {
  const c = (globalThis as { crypto?: { getRandomValues(a: Uint32Array): Uint32Array } }).crypto;
  const w = new Uint32Array(2);
  if (c) c.getRandomValues(w);
  else {
    w[0] = Math.floor(Math.random() * 2 ** 32);
    w[1] = Math.floor(Math.random() * 2 ** 32);
  }
  return (BigInt((w[0] as number) & 0x1fffff) << 32n) | BigInt(w[1] as number);
}

export class Generator {
  readonly device: string;
  readonly algorithm: GeneratorAlgorithm;
  /** @internal MT19937 engine (algorithm "mt19937"). */
  _mt: MT19937 | null = null;
  /** @internal randn's cached second Box–Muller value (double path), PyTorch's next_double_normal_sample. */
  _nextDoubleNormal: number | null = null;
  /** @internal PyTorch's next_float_normal_sample (never set by 1.13's CPU kernels; kept for the state layout). */
  _nextFloatNormal: number | null = null;
  /** @internal Philox seed (algorithm "philox"). */
  _seed = DEFAULT_RNG_SEED;
  /** @internal Philox offset: number of draws made since seeding. */
  _offset = 0n;

  constructor(opts: GeneratorOptions = {}) {
    const device = opts.device ?? "cpu";
    const algorithm = opts.algorithm ?? (isCpuDevice(device) ? "mt19937" : "philox");
    if (algorithm !== "mt19937" && algorithm !== "philox")
      throw new ValueError("Generator", `unknown algorithm '${algorithm}' (expected 'mt19937' or 'philox')`);
    if (algorithm === "mt19937" && !isCpuDevice(device))
      throw new DeviceError(
        "Generator",
        `the mt19937 generator runs on the CPU only; a generator for device '${device}' uses algorithm 'philox'`,
      );
    this.device = device;
    this.algorithm = algorithm;
    if (algorithm === "mt19937") this._mt = new MT19937(DEFAULT_RNG_SEED);
  }

  /** Seed the generator (an integer in [-2^63, 2^64), as PyTorch); returns the generator. */
  manualSeed(seed: number | bigint): this {
    this._setSeed(normalizeSeed("Generator.manualSeed", seed));
    return this;
  }

  /** @internal */
  _setSeed(s: bigint): void {
    this._nextDoubleNormal = null;
    this._nextFloatNormal = null;
    if (this._mt) this._mt.reseed(s);
    else {
      this._seed = s;
      this._offset = 0n;
    }
  }

  /** Seed from a nondeterministic source and return that seed. */
  seed(): number {
    const s = nondeterministicSeed();
    this._setSeed(s);
    return Number(s);
  }

  /** The seed last given (in full: a stream seeded with 2^32+5 runs like 5 but reports 4294967301). */
  initialSeed(): number | bigint {
    return seedValue(this._mt ? this._mt.seed : this._seed);
  }

  /** The generator's state as a uint8 tensor (PyTorch's 5056-byte layout for mt19937; 16 bytes for philox). */
  getState(): Tensor {
    const bytes = this._mt ? this._mtState(this._mt) : this._philoxState();
    return fromStorageArray(bytes, [bytes.length], "uint8", "cpu");
  }

  private _mtState(mt: MT19937): Uint8Array {
    const bytes = new Uint8Array(CPU_STATE_SIZE);
    const v = new DataView(bytes.buffer);
    v.setBigUint64(0, mt.seed, true); // the_initial_seed
    v.setInt32(8, mt.left, true); // left
    v.setInt32(12, mt.seeded ? 1 : 0, true); // seeded
    v.setBigUint64(16, BigInt(mt.next), true); // next
    for (let i = 0; i < MERSENNE_STATE_N; i++) v.setBigUint64(24 + 8 * i, BigInt(mt.state[i] as number), true);
    // normal_x (5016) and normal_rho (5032) stay 0.0: PyTorch writes them as dummies
    if (this._nextDoubleNormal !== null) {
      v.setFloat64(5024, this._nextDoubleNormal, true); // normal_y
      v.setInt32(5040, 1, true); // normal_is_valid
    }
    if (this._nextFloatNormal !== null) {
      v.setFloat32(5048, this._nextFloatNormal, true);
      v.setUint8(5052, 1);
    }
    return bytes;
  }

  private _philoxState(): Uint8Array {
    const bytes = new Uint8Array(PHILOX_STATE_SIZE);
    const v = new DataView(bytes.buffer);
    v.setBigUint64(0, this._seed, true);
    v.setBigUint64(8, this._offset, true);
    return bytes;
  }

  /** Restore a state from getState() — for mt19937 also a state saved by PyTorch (torch.get_rng_state()). */
  setState(state: Tensor): this {
    if (state.dtype !== "uint8")
      throw new DTypeError("Generator.setState", `RNG state must be a uint8 tensor (torch.ByteTensor), got ${state.dtype}`);
    if (!isCpuDevice(state.device))
      throw new DeviceError("Generator.setState", `RNG state must be a CPU tensor, got one on '${state.device}'`);
    const bytes = state.dataSync() as Uint8Array;
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (!this._mt) {
      if (bytes.length !== PHILOX_STATE_SIZE)
        throw new ValueError(
          "Generator.setState",
          `expected a Philox state of ${PHILOX_STATE_SIZE} bytes, got ${bytes.length} (an mt19937 state cannot be loaded into a philox generator)`,
        );
      this._seed = v.getBigUint64(0, true);
      this._offset = v.getBigUint64(8, true);
      return this;
    }
    if (bytes.length !== CPU_STATE_SIZE && bytes.length !== CPU_LEGACY_STATE_SIZE)
      throw new ValueError(
        "Generator.setState",
        `Expected either a CPUGeneratorImplStateLegacy of size ${CPU_LEGACY_STATE_SIZE} or a CPUGeneratorImplState of size ${CPU_STATE_SIZE} but found the input RNG state size to be ${bytes.length}`,
      );
    const mt = new MT19937(0n);
    mt.seed = v.getBigUint64(0, true);
    mt.left = v.getInt32(8, true);
    mt.seeded = v.getInt32(12, true) !== 0;
    mt.next = Number(v.getBigUint64(16, true) & 0xffffffffn);
    for (let i = 0; i < MERSENNE_STATE_N; i++) mt.state[i] = Number(v.getBigUint64(24 + 8 * i, true) & 0xffffffffn);
    if (!mt.isValid()) throw new ValueError("Generator.setState", "Invalid mt19937 state");
    let nextFloat: number | null = null;
    let nextDouble: number | null = null;
    const normalValid = v.getInt32(5040, true) !== 0;
    if (bytes.length === CPU_STATE_SIZE) {
      if (v.getUint8(5052) !== 0) nextFloat = v.getFloat32(5048, true);
      if (normalValid) nextDouble = v.getFloat64(5024, true);
    } else if (normalValid) {
      // legacy layout stored the Box–Muller intermediates: the cached sample is rho * sin(2π x)
      const x = v.getFloat64(5016, true);
      const rho = v.getFloat64(5032, true);
      nextDouble = rho * glibcSin(2.0 * Math.PI * x);
    }
    this._mt = mt;
    this._nextFloatNormal = nextFloat;
    this._nextDoubleNormal = nextDouble;
    return this;
  }

  /** @internal Philox: the offset of the next draw, advancing the generator past it. */
  _beginDraw(): bigint {
    const o = this._offset;
    this._offset = BigInt.asUintN(64, o + 1n);
    return o;
  }

  toString(): string {
    return `<torch.Generator device='${this.device}' algorithm='${this.algorithm}'>`;
  }
}

// ---- the global state ----

/** The default CPU generator (torch.default_generator), seeded nondeterministically at start-up, as PyTorch. */
export const defaultGenerator = new Generator();
defaultGenerator._setSeed(nondeterministicSeed());

const deviceDefaults = new Map<string, Generator>();
let lastGlobalSeed: bigint | null = null;

/** The default generator of a device: torch.defaultGenerator for "cpu"/"reference", a Philox generator otherwise. */
export function defaultGeneratorFor(device: string): Generator {
  if (isCpuDevice(device)) return defaultGenerator;
  let g = deviceDefaults.get(device);
  if (!g) {
    g = new Generator({ device });
    g._setSeed(lastGlobalSeed ?? DEFAULT_RNG_SEED);
    deviceDefaults.set(device, g);
  }
  return g;
}

/** torch.manual_seed: seeds the CPU generator and every device's default generator; returns torch.defaultGenerator. */
export function manualSeed(seed: number | bigint): Generator {
  const s = normalizeSeed("manualSeed", seed);
  lastGlobalSeed = s;
  defaultGenerator._setSeed(s);
  for (const g of deviceDefaults.values()) g._setSeed(s);
  return defaultGenerator;
}

/** torch.seed: seeds every default generator nondeterministically; returns the seed. */
export function seed(): number {
  const s = nondeterministicSeed();
  lastGlobalSeed = s;
  defaultGenerator._setSeed(s);
  for (const g of deviceDefaults.values()) g._setSeed(s);
  return Number(s);
}

/** torch.initial_seed: the CPU default generator's seed, in full. */
export const initialSeed = (): number | bigint => defaultGenerator.initialSeed();

/** torch.get_rng_state: the CPU default generator's state (5056 bytes, PyTorch's layout). */
export const getRngState = (): Tensor => defaultGenerator.getState();

/** torch.set_rng_state. */
export function setRngState(state: Tensor): void {
  defaultGenerator.setState(state);
}

export interface ForkRngOptions {
  /** Devices whose default generators are also saved and restored (the CPU one always is). */
  devices?: string[];
  /** false: run fn without saving/restoring anything. */
  enabled?: boolean;
}

/**
 * torch.random.fork_rng: run `fn`, then restore the CPU default generator (and those of `devices`)
 * to their state before it, whether fn returns or throws. An async fn is awaited before restoring.
 */
export function forkRng<T>(fn: () => T, opts: ForkRngOptions = {}): T {
  if (opts.enabled === false) return fn();
  const gens = [defaultGenerator, ...(opts.devices ?? []).filter((d) => !isCpuDevice(d)).map(defaultGeneratorFor)];
  const saved = gens.map((g) => g.getState());
  let async = false;
  const restore = (): void => {
    gens.forEach((g, i) => {
      g.setState(saved[i] as Tensor);
      (saved[i] as Tensor).dispose();
    });
  };
  try {
    const r = fn();
    if (r && typeof (r as { then?: unknown }).then === "function") {
      async = true;
      return (r as unknown as Promise<unknown>).finally(restore) as T;
    }
    return r;
  } finally {
    if (!async) restore();
  }
}

/** The namespace `torch.random`. */
export const random = {
  forkRng,
  manualSeed,
  seed,
  initialSeed,
  getRngState,
  setRngState,
  get defaultGenerator(): Generator {
    return defaultGenerator;
  },
};
