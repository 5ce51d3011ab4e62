// Scalar helpers the rendered JS kernels call. Each returns exactly what the C/C++ code behind
// PyTorch's CPU kernels returns for the same inputs (float32 callers round with Math.fround).
import { bf16BitsToNumber, bitsToF32, f32Bits, floatToInt64, halfBitsToNumber, toBF16Bits, toHalfBits } from "../dtype.js";

const fr = Math.fround;

/** Round a float32 value to float16 / bfloat16 (value semantics). */
export const toHalf = (x: number): number => halfBitsToNumber(toHalfBits(x));
export const toBF16 = (x: number): number => bf16BitsToNumber(toBF16Bits(x));
export { bf16BitsToNumber, halfBitsToNumber, toBF16Bits, toHalfBits };

/** Round half to even (std::nearbyint in the default rounding mode). */
export function rint(x: number): number {
  if (!Number.isFinite(x)) return x;
  const r = Math.round(x); // rounds half up
  if (r - x === 0.5 && r % 2 !== 0) return r - 1;
  return r === 0 ? (x < 0 || Object.is(x, -0) ? -0 : 0) : r;
}

/** (0 < x) - (x < 0), as PyTorch: sign(NaN) = 0 and sign(-0) = +0. */
/** C pow: pow(x, ±0) = 1 and pow(1, y) = 1 even for NaN, pow(-1, ±inf) = 1 (JS's Math.pow gives NaN). */
export function pow(a: number, b: number): number {
  if (b === 0 || a === 1) return 1;
  if (a === -1 && (b === Number.POSITIVE_INFINITY || b === Number.NEGATIVE_INFINITY)) return 1;
  return a ** b;
}

/** SLEEF's vectorised log1p (PyTorch's float kernel) returns +inf above 1e38 (float) / 1e307 (double). */
export const log1pf = (x: number): number => (x > 1e38 ? Number.POSITIVE_INFINITY : Math.log1p(x));
export const log1p64 = (x: number): number => (x > 1e307 ? Number.POSITIVE_INFINITY : Math.log1p(x));

export const sign = (x: number): number => (x > 0 ? 1 : x < 0 ? -1 : 0);

// NaN-propagating; on ties (-0 vs +0) the second operand wins, as in the AVX2 max/min PyTorch uses.
export const fmax = (a: number, b: number): number => (a !== a || b !== b ? Number.NaN : a > b ? a : b);
export const fmin = (a: number, b: number): number => (a !== a || b !== b ? Number.NaN : a < b ? a : b);

/** Python-style remainder for floats (sign of the divisor). `round` rounds the final add. */
export function remainder(a: number, b: number, round: (x: number) => number): number {
  const mod = a % b;
  return mod !== 0 && b < 0 !== mod < 0 ? round(mod + b) : mod;
}

/** c10's div_floor_floating, with every intermediate rounded by `round`. */
export function floordiv(a: number, b: number, round: (x: number) => number): number {
  if (b === 0) return round(a / b);
  const mod = a % b;
  let div = round(round(a - mod) / b);
  if (mod !== 0 && b < 0 !== mod < 0) div = round(div - 1);
  if (div === 0) return Math.sign(round(a / b)) < 0 || Object.is(round(a / b), -0) ? -0 : 0;
  let fd = Math.floor(div);
  if (round(div - fd) > 0.5) fd = round(fd + 1);
  return fd;
}

export function ifloordiv(a: number, b: number): number {
  return Math.floor(a / b);
}
export function iremainder(a: number, b: number): number {
  const m = a % b;
  return m !== 0 && b < 0 !== m < 0 ? m + b : m;
}
export function bfloordiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}
export function bremainder(a: bigint, b: bigint): bigint {
  const m = a % b;
  return m !== 0n && b < 0n !== m < 0n ? m + b : m;
}

/** Integer power by squaring with wrap-around, as PyTorch's integral pow. */
export function ipow(a: bigint, b: bigint, bits: 32 | 64): bigint {
  if (b < 0n) return a === 1n ? 1n : a === -1n ? (b % 2n === 0n ? 1n : -1n) : 0n;
  let r = 1n;
  let base = a;
  let e = b;
  while (e > 0n) {
    if (e & 1n) r = BigInt.asIntN(bits, r * base);
    base = BigInt.asIntN(bits, base * base);
    e >>= 1n;
  }
  return r;
}

// ---- casts from floating values to integers (x86 cvtt* semantics: out of range or NaN gives INT_MIN) ----
export const toI32 = (x: number): number => (x > -2147483649 && x < 2147483648 ? Math.trunc(x) | 0 : -2147483648);
export const toI64 = floatToInt64;
export const toU8 = (x: number): number => toI32(x) & 255;

/** int64 → float32 with a single rounding (Number(bigint) alone would round twice above 2^53). */
export function i64ToF32(x: bigint): number {
  const n = Number(x);
  if (Math.abs(n) <= 2 ** 53) return fr(n);
  const neg = x < 0n;
  let m = neg ? -x : x;
  const bitsLen = m.toString(2).length;
  const shift = BigInt(bitsLen - 25); // keep 25 bits: 24 + a round bit
  const sticky = (m & ((1n << shift) - 1n)) !== 0n ? 1n : 0n;
  m = ((m >> shift) << 1n) | sticky; // 26 bits, exactly representable in a double
  const v = fr(Number(m) * 2 ** (Number(shift) - 1));
  return neg ? -v : v;
}

/**
 * fma for float32 inputs, rounded once to float32: a*b is exact in float64, so only the add can
 * round twice. fr(s) is wrong only when s = fl64(p + c) sits exactly halfway between two float32s
 * (r + 2d is a float32) and the add was inexact on the side away from r (err·d > 0; |err| ≥ 2^-298
 * and |d| ≥ 2^-150 there, so the product cannot underflow). Both tests are evaluated and combined
 * with `&` (no short-circuit): each alone is unpredictable on some data (d = 0 is common when the
 * sum is exact, err·d > 0 when it is not), their conjunction almost never holds, so the one branch
 * left predicts well. NaN/±inf: d is NaN, so err·d > 0 is false and fr(s) is returned.
 */
export function fmaf(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = fr(s);
  const d = s - r;
  const other = r + 2 * d;
  const bb = s - p;
  const err = p - (s - bb) + (c - bb);
  return (+(fr(other) === other) & +(err * d > 0)) !== 0 ? other : r;
}

/** fma for float64 (Dekker product + two-sum; exact except in rare double-rounding cases). */
export function fma64(a: number, b: number, c: number): number {
  const p = a * b;
  if (!Number.isFinite(p) || p === 0) return p + c;
  const split = (x: number): [number, number] => {
    const t = 134217729 * x;
    const hi = t - (t - x);
    return [hi, x - hi];
  };
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  const pe = ah * bh - p + ah * bl + al * bh + al * bl;
  const s = p + c;
  const bb = s - p;
  const se = p - (s - bb) + (c - bb);
  return s + (pe + se);
}

// ---- erf (float64), after the classic rational approximations of fdlibm's s_erf.c ----
const ERX = 8.45062911510467529297e-1;
const EFX8 = 1.02703333676410069053;
const PP = [
  1.28379167095512558561e-1, -3.2504210724700149937e-1, -2.84817495755985104766e-2, -5.77027029648944159157e-3,
  -2.37630166566501626084e-5,
];
const QQ = [
  3.97917223959155352819e-1, 6.50222499887672944485e-2, 5.08130628187576562776e-3, 1.32494738004321644526e-4,
  -3.9602282787753681232e-6,
];
const PA = [
  -2.36211856075265944077e-3, 4.14856118683748331666e-1, -3.72207876035701323847e-1, 3.18346619901161753674e-1,
  -1.10894694282396677476e-1, 3.54783043256182359371e-2, -2.166375594868790843e-3,
];
const QA = [
  1.06420880400844228286e-1, 5.40397917702171048937e-1, 7.18286544141962662868e-2, 1.26171219808761642112e-1,
  1.36370839120290507362e-2, 1.1984499846799107417e-2,
];
const RA = [
  -9.86494403484714822705e-3, -6.93858572707181764372e-1, -1.05586262253232909814e1, -6.23753324503260060396e1,
  -1.62396669462573470355e2, -1.84605092906711035994e2, -8.12874355063065934246e1, -9.81432934416914548592,
];
const SA = [
  1.96512716674392571292e1, 1.376577541435190426e2, 4.34565877475229228821e2, 6.45387271733267880336e2, 4.29008140027567833386e2,
  1.08635005541779435134e2, 6.57024977031928170135, -6.04244152148580987438e-2,
];
const RB = [
  -9.86494292470009928597e-3, -7.99283237680523006574e-1, -1.77579549177547519889e1, -1.60636384855821916062e2,
  -6.37566443368389627722e2, -1.02509513161107724954e3, -4.83519191608651397019e2,
];
const SB = [
  3.03380607434824582924e1, 3.25792512996573918826e2, 1.53672958608443695994e3, 3.19985821950859553908e3,
  2.55305040643316442583e3, 4.74528541206955367215e2, -2.24409524465858183362e1,
];

const poly = (c: number[], x: number): number => {
  let r = 0;
  for (let i = c.length - 1; i >= 0; i--) r = r * x + (c[i] as number);
  return r;
};

export function erf(x: number): number {
  if (x !== x) return x;
  if (x === Number.POSITIVE_INFINITY) return 1;
  if (x === Number.NEGATIVE_INFINITY) return -1;
  const ax = Math.abs(x);
  if (ax < 0.84375) {
    if (ax < 2 ** -28) return ax < 2 ** -1022 ? 0.125 * (8 * x + EFX8 * x) : x + (EFX8 / 8) * x;
    const z = x * x;
    return x + x * (poly(PP, z) / (1 + z * poly(QQ, z)));
  }
  if (ax < 1.25) {
    const s = ax - 1;
    const v = ERX + poly(PA, s) / (1 + s * poly(QA, s));
    return x >= 0 ? v : -v;
  }
  if (ax >= 6) return x >= 0 ? 1 - 1e-300 : 1e-300 - 1;
  const s = 1 / (ax * ax);
  const rs = ax < 1 / 0.35 ? poly(RA, s) / (1 + s * poly(SA, s)) : poly(RB, s) / (1 + s * poly(SB, s));
  const z = bitsToF64Trunc(ax);
  const r = Math.exp(-z * z - 0.5625) * Math.exp((z - ax) * (z + ax) + rs);
  return x >= 0 ? 1 - r / ax : r / ax - 1;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** Clear the low 32 bits of a double (fdlibm's SET_LOW_WORD(z, 0)). */
function bitsToF64Trunc(x: number): number {
  f64[0] = x;
  u32[0] = 0;
  return f64[0] as number;
}

export { bitsToF32, f32Bits };
