// The MT19937 engine exactly as PyTorch's at::mt19937 (ATen/core/MT19937RNGEngine.h): Matsumoto &
// Nishimura's 2002 init_genrand seeding with the low 32 bits of the seed, Cokus-style lazy refill
// (`left` counts down to the next twist, `next` indexes the state), standard tempering.

export const MERSENNE_STATE_N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UMASK = 0x80000000;
const LMASK = 0x7fffffff;

const twist = (u: number, v: number): number => (((u & UMASK) | (v & LMASK)) >>> 1) ^ (v & 1 ? MATRIX_A : 0);

export class MT19937 {
  /** The full 64-bit seed as given (PyTorch's `seed_`; only its low 32 bits seed the state). */
  seed = 0n;
  seeded = true;
  /** Draws left before the next twist (1..624). */
  left = 1;
  /** Index of the next state word to temper (0..624). */
  next = 0;
  readonly state = new Uint32Array(MERSENNE_STATE_N);

  constructor(seed: bigint = 5489n) {
    this.reseed(seed);
  }

  /** at::mt19937(seed): init_genrand with seed mod 2^32; `seed` is kept whole (an unsigned 64-bit value). */
  reseed(seed: bigint): void {
    this.seed = BigInt.asUintN(64, seed);
    this.seeded = true;
    const s = this.state;
    s[0] = Number(this.seed & 0xffffffffn);
    for (let j = 1; j < MERSENNE_STATE_N; j++) {
      const p = s[j - 1] as number;
      s[j] = (Math.imul(1812433253, (p ^ (p >>> 30)) >>> 0) + j) >>> 0;
    }
    this.left = 1;
    this.next = 0;
  }

  private nextState(): void {
    const s = this.state;
    this.left = MERSENNE_STATE_N;
    this.next = 0;
    let p = 0;
    for (; p < MERSENNE_STATE_N - M; p++) s[p] = (s[p + M] as number) ^ twist(s[p] as number, s[p + 1] as number);
    for (; p < MERSENNE_STATE_N - 1; p++)
      s[p] = (s[p + M - MERSENNE_STATE_N] as number) ^ twist(s[p] as number, s[p + 1] as number);
    s[p] = (s[p + M - MERSENNE_STATE_N] as number) ^ twist(s[p] as number, s[0] as number);
  }

  /** The next tempered 32-bit output (as an unsigned number). */
  nextU32(): number {
    if (--this.left === 0) this.nextState();
    let y = this.state[this.next++] as number;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** PyTorch's engine validity check (used by setState). */
  isValid(): boolean {
    return this.seeded && this.left > 0 && this.left <= MERSENNE_STATE_N && this.next <= MERSENNE_STATE_N;
  }

  clone(): MT19937 {
    const c = new MT19937(0n);
    c.seed = this.seed;
    c.seeded = this.seeded;
    c.left = this.left;
    c.next = this.next;
    c.state.set(this.state);
    return c;
  }
}
