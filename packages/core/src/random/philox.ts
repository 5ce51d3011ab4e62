/**
 * lockstep's portable counter-based generator: Philox4x32-10.
 *
 * Every element of every random draw is a pure function of (seed, offset, i), so any backend (the
 * reference in TypeScript, WGSL, CUDA) computes the same bits in any order and in parallel. This
 * comment is the specification; `philox4x32_10`, `philoxUniform*`, `philoxNormal*` below are its
 * reference implementation, and test/random-philox.test.ts pins it with known-answer vectors.
 *
 * 1. Block function — Philox4x32 with 10 rounds (Salmon, Moraes, Dror & Shaw, "Parallel random
 *    numbers: as easy as 1, 2, 3", SC'11; Random123). Counter c = (c0, c1, c2, c3), key k = (k0, k1),
 *    all uint32. One round:
 *        (hi0, lo0) = 0xD2511F53 * c0   (full 64-bit product: high and low 32 bits)
 *        (hi1, lo1) = 0xCD9E8D57 * c2
 *        c = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
 *    Ten rounds; between consecutive rounds the key is bumped: k0 += 0x9E3779B9, k1 += 0xBB67AE85
 *    (mod 2^32). Output: the four words (w0, w1, w2, w3) of the final counter.
 *    Known answers (Random123 kat_vectors), counter / key → output:
 *        0 0 0 0 / 0 0                                   → 6627e8d5 e169c58d bc57ac4c 9b00dbd8
 *        ffffffff ×4 / ffffffff ffffffff                 → 408f276d 41c83b0e a20bc7c6 6d5451fd
 *        243f6a88 85a308d3 13198a2e 03707344 / a4093822 299f31d0 → d16cfe09 94fdcceb 5001e420 24126ea1
 *
 * 2. Generator state: `seed` (uint64) and `offset` (uint64). manualSeed(s) sets seed = s mod 2^64
 *    (a negative s is taken as two's complement, as PyTorch does) and offset = 0. The key is
 *    k0 = seed mod 2^32, k1 = floor(seed / 2^32). getState() is 16 bytes: seed then offset, each
 *    uint64 little-endian.
 *
 * 3. Draws. Each sampling call (rand, randn, randint, randperm, uniform_, normal_, bernoulli,
 *    dropout, multinomial, exponential_, ... — one call, whatever its size) is one draw: it reads
 *    the current offset o and then sets offset = o + 1. Element i of the draw (0 <= i < 2^64) uses
 *    the counter
 *        c = (i mod 2^32, floor(i / 2^32), o mod 2^32, floor(o / 2^32))
 *    and only the words of its own block. i is the element's row-major index in the result's
 *    logical shape (for in-place methods: in the tensor's shape, whatever its strides); for randperm
 *    it is the swap step, for multinomial row * numSamples + sample.
 *
 * 4. Uniforms. With d the significand digits of the dtype (float32 24, float64 53, float16 11,
 *    bfloat16 8): for d <= 24, u = (w0 mod 2^d) * 2^-d; for float64, u = ((w0 mod 2^21) * 2^32 + w1)
 *    * 2^-53. u is in [0, 1) and exact. uniform_(from, to) = u * (to - from) + from, computed in the
 *    dtype's arithmetic (float32 for the 16-bit types) with each operation rounded (no FMA), then
 *    rounded to the dtype.
 *
 * 5. Normals (Box–Muller, one normal per element, cosine branch only):
 *    float32 (and float16/bfloat16, rounded from the float32 result), every step rounded to float32:
 *        u1 = (w0 mod 2^24) * 2^-24,  u2 = (w1 mod 2^24) * 2^-24
 *        r  = sqrt(-2 * logc(1 - u1)),  θ = fround(2π) * u2,  n = r * cosc(θ)
 *        out = n * std + mean
 *    where logc and cosc are avx_mathfun's cephes float32 log and cos (avx_math.ts `log256`,
 *    `sincos256` with fused = false: the same operation sequence as PyTorch's AVX2 kernel, every
 *    product and sum rounded separately) and sqrt is correctly rounded.
 *    float64: u1 = 53-bit uniform from (w0, w1), u2 = 53-bit uniform from (w2, w3);
 *        r = sqrt(-2 * log(1 - u1)),  θ = 6.283185307179586 * u2,  n = r * cos(θ),  out = n * std + mean
 *    with glibc 2.36's log and cos as ported bit-exactly in glibc_math.ts, each operation rounded.
 *
 * 6. Integers. randint / random_(from, to) over range R = to - from: v = w0 mod R if R < 2^32, else
 *    v = (w0 * 2^32 + w1) mod R (64-bit); result from + v. random_() without bounds and
 *    random_(from=-2^63) follow PyTorch's CPU rules (see sampling.ts) with w0 for a 32-bit draw and
 *    (w0, w1) for a 64-bit draw (w0 the high half). randperm(n): step i swaps positions i and
 *    i + (w0 mod (n - i)), for i = 0 .. n-2, starting from the identity.
 *
 * 7. Other distributions use the uniforms of 4. in PyTorch's formulas: bernoulli(p scalar) and dropout
 *    keep when the 53-bit u < p (resp. 1 - p); bernoulli(p tensor) compares a u of p's precision
 *    (24 bits for float32, 53 for float64); exponential_(λ) = -1/λ · log(1 - u53) (glibc log);
 *    multinomial with replacement: one u53 per sample, binary search of the normalised cumulative
 *    sum (as PyTorch's CPU kernel); without replacement: keys p / exponential(1) as PyTorch, top-k.
 *
 * 8. Known answers of the draws (seed 0, a fresh generator, float bits in hex; tested in
 *    test/random-api.test.ts): rand([4]) float32 → 3e1fa354 3f64cca4 3f7aa329 3f10ef29 (offset 0);
 *    then randn([4]) float32 → bf401b39 3e58b067 bf47a927 3f828889 (offset 1); rand([2]) float64 →
 *    3fad677b68267590 3fe30eff2299a390; randn([2]) float64 → 3fe992416699a035 3ffd3368ab9bdfde;
 *    randint(0, 1000, [4]) → 553 490 775 853; randperm(8) → 4 0 1 6 7 3 2 5; the state is then
 *    seed 0, offset 6.
 */

import { log256, sincos256 } from "./avx_math.js";
import { cos as glibcCos, log as glibcLog } from "./glibc_math.js";

/** High 32 bits of the 64-bit product of two uint32. */
function mulhi(a: number, b: number): number {
  const ah = a >>> 16;
  const al = a & 0xffff;
  const bh = b >>> 16;
  const bl = b & 0xffff;
  const mid = ah * bl + al * bh; // < 2^33, exact
  const low = al * bl + (mid % 65536) * 65536; // < 2^33, exact
  return (ah * bh + Math.floor(mid / 65536) + Math.floor(low / 4294967296)) >>> 0;
}

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** Philox4x32 with `rounds` rounds (10 for lockstep) of counter (c0..c3) under key (k0, k1); writes out[0..4). */
export function philox4x32(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  out: Uint32Array | number[],
  rounds = 10,
): void {
  for (let r = 0; r < rounds; r++) {
    if (r > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulhi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/** The draw's words for element i: Philox4x32-10 of counter (i, offset) under key seed. Caches the last block. */
export class PhiloxStream {
  private readonly k0: number;
  private readonly k1: number;
  private readonly o0: number;
  private readonly o1: number;
  private last = -1;
  readonly w = new Uint32Array(4);

  constructor(seed: bigint, offset: bigint) {
    this.k0 = Number(seed & 0xffffffffn);
    this.k1 = Number((seed >> 32n) & 0xffffffffn);
    this.o0 = Number(offset & 0xffffffffn);
    this.o1 = Number((offset >> 32n) & 0xffffffffn);
  }

  /** The 4 words of element i (i < 2^53). */
  block(i: number): Uint32Array {
    if (i !== this.last) {
      philox4x32(i >>> 0, Math.floor(i / 4294967296) >>> 0, this.o0, this.o1, this.k0, this.k1, this.w);
      this.last = i;
    }
    return this.w;
  }
}

/** Uniform in [0, 1) with d <= 24 significand bits from element i. */
export const philoxUniformBits = (s: PhiloxStream, i: number, digits: number): number =>
  ((s.block(i)[0] as number) % 2 ** digits) * 2 ** -digits;

/** 53-bit uniform in [0, 1) from words (hi, lo) = (w[a], w[a+1]) of element i. */
export function philoxUniform53(s: PhiloxStream, i: number, a = 0): number {
  const w = s.block(i);
  return (((w[a] as number) & 0x1fffff) * 4294967296 + (w[a + 1] as number)) * 2 ** -53;
}

const fr = Math.fround;
const TWO_PI_F = fr(2 * Math.PI);

/** Spec 5, float32: one standard-normal-based value n*std + mean for element i (rounded to float32). */
export function philoxNormal32(s: PhiloxStream, i: number, mean: number, std: number): number {
  const w = s.block(i);
  const u1 = ((w[0] as number) & 0xffffff) * 2 ** -24;
  const u2 = ((w[1] as number) & 0xffffff) * 2 ** -24;
  const r = fr(Math.sqrt(fr(-2 * log256(fr(1 - u1), false))));
  const theta = fr(TWO_PI_F * u2);
  const n = fr(r * (sincos256(theta, false)[1] as number));
  return fr(fr(n * fr(std)) + fr(mean));
}

/** Spec 5, float64. */
export function philoxNormal64(s: PhiloxStream, i: number, mean: number, std: number): number {
  const u1 = philoxUniform53(s, i, 0);
  const u2 = philoxUniform53(s, i, 2);
  const r = Math.sqrt(-2 * glibcLog(1 - u1));
  const n = r * glibcCos(6.283185307179586 * u2);
  return n * std + mean;
}
