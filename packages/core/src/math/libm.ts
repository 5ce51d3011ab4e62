// Correctly rounded double-precision elementary functions: pow, exp, expm1, log, log1p, sin, cos,
// tan, and an exact fma. lockstep's own implementation (no code from any libm).
//
// Why: Python floats (LR schedulers, optimizer bias corrections) and PyTorch's float64 random draws
// go through the platform libm (glibc on the reference machine). Modern glibc is accurate to about
// half an ulp and returns the correctly rounded double for the overwhelming majority of arguments,
// so a correctly rounded implementation reproduces it almost everywhere — and, unlike a port of one
// libm, it has a precise platform-independent specification: every result here is the IEEE double
// nearest to the exact mathematical value (ties to even), for every finite argument.
//
// Method (per function):
// 1. Special values (NaN, ±Inf, ±0, overflow/underflow thresholds, tiny arguments where the answer
//    is known in closed form) are handled directly.
// 2. Fast path: the value is computed in double-double arithmetic (error-free transformations
//    TwoSum/TwoProd; about 100 bits) after a table or Cody–Waite argument reduction, with a
//    conservative bound on its error (relative 2^-75, several orders of magnitude above the error
//    actually observed). If the whole interval value ± bound rounds to one double, that double is
//    the correctly rounded result (rounding is monotone).
// 3. Otherwise (probability about 2^-21 per call), Ziv's strategy: the value is recomputed with
//    BigInt fixed-point arithmetic at 128, 256, 512, ... bits with a rigorous error bound, until the
//    enclosing interval rounds to a single double. Exact cases that would never be decided (pow
//    results that are exactly a rounding boundary, e.g. 3^34 = a 54-bit odd integer) are detected
//    and rounded exactly.
// Constants (ln 2, π, 2/π) come from Machin-type series evaluated once in BigInt; the
// double-double tables (2^(j/256), log(256/i)) are built from the BigInt routines on first use.

// ------------------------------------------------------------------------------------------------
// bit access

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer); // little-endian: U32[0] low word, U32[1] high word
const U64 = new BigUint64Array(F64.buffer);

/** x = m · 2^e exactly, m a signed integer with |m| < 2^53 (x finite, nonzero). */
function decompose(x: number): [bigint, number] {
  F64[0] = x;
  const bits = U64[0] as bigint;
  const ex = Number((bits >> 52n) & 0x7ffn);
  let m = bits & 0xfffffffffffffn;
  let e: number;
  if (ex === 0) e = -1074;
  else {
    m |= 1n << 52n;
    e = ex - 1075;
  }
  return [x < 0 ? -m : m, e];
}

/** x = m · 2^e with m odd (x finite, nonzero). */
function oddDecompose(x: number): [bigint, number] {
  if (x === 0) return [0n, 0];
  let [m, e] = decompose(x);
  while ((m & 1n) === 0n) {
    m >>= 1n;
    e++;
  }
  return [m, e];
}

/** Number of bits of a > 0. */
function bitLength(a: bigint): number {
  const s = a.toString(16);
  return (s.length - 1) * 4 + (32 - Math.clz32(Number.parseInt(s[0] as string, 16)));
}

/** 2^k as a double, exact for -1074 ≤ k ≤ 1023. */
function pow2(k: number): number {
  if (k > 1023) return Number.POSITIVE_INFINITY;
  if (k >= -1022) {
    U32[0] = 0;
    U32[1] = (k + 1023) << 20;
    return F64[0] as number;
  }
  if (k < -1074) return 0;
  return 2 ** -1000 * 2 ** (k + 1000);
}

/** m · 2^e rounded to the nearest double, ties to even (subnormals, overflow to ±Inf, signed zero). */
function roundToDouble(m: bigint, e: number): number {
  if (m === 0n) return 0;
  const neg = m < 0n;
  let a = neg ? -m : m;
  const len = bitLength(a);
  const top = len - 1 + e; // 2^top ≤ |value| < 2^(top+1)
  if (top > 1023) return neg ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  const keep = top >= -1022 ? 53 : top + 1075; // significant bits the result can hold
  if (keep < 0) return neg ? -0 : 0;
  const shift = len - keep;
  if (shift > 0) {
    const s = BigInt(shift);
    const q = a >> s;
    const rem = a - (q << s);
    const half = 1n << (s - 1n);
    a = rem > half || (rem === half && (q & 1n) === 1n) ? q + 1n : q;
    e += shift;
  }
  // a ≤ 2^53 and a · 2^e is representable (or overflows to Inf): scale in exact steps
  let v = Number(a);
  if (e < -1000) {
    v *= 2 ** -1000;
    e += 1000;
  } else if (e > 1000) {
    v *= 2 ** 1000;
    e -= 1000;
  }
  v *= pow2(e);
  return neg ? -v : v;
}

/** floor(x · 2^w) for a finite double x (exact when x · 2^w is an integer). */
function toFixed(x: number, w: number): bigint {
  if (x === 0) return 0n;
  const [m, e] = decompose(x);
  const s = e + w;
  return s >= 0 ? m << BigInt(s) : m >> BigInt(-s);
}

/** The double-double (hi, lo) nearest to v · 2^-w. */
function ddFromFixed(v: bigint, w: number): [number, number] {
  const hi = roundToDouble(v, -w);
  const rest = v - toFixed(hi, w);
  return [hi, roundToDouble(rest, -w)];
}

// ------------------------------------------------------------------------------------------------
// double-double arithmetic (results in the module-level H, L)

let H = 0;
let L = 0;
const SPLITTER = 134217729; // 2^27 + 1

/** H + L = a · b exactly (|a|, |b| < 2^995, no underflow of the error term). */
function twoProd(a: number, b: number): void {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  H = p;
  L = ah * bh - p + ah * bl + al * bh + al * bl;
}

/** H + L = a + b exactly, H = fl(a + b). */
function twoSum(a: number, b: number): void {
  const s = a + b;
  const bb = s - a;
  H = s;
  L = a - (s - bb) + (b - bb);
}

/** (H, L) ≈ (ah + al) · (bh + bl), relative error ≤ 2^-102. */
function mulDD(ah: number, al: number, bh: number, bl: number): void {
  twoProd(ah, bh);
  const p = H;
  const e = L + (ah * bl + al * bh);
  const s = p + e;
  L = e - (s - p);
  H = s;
}

/** (H, L) ≈ (ah + al) · b. */
function mulDD1(ah: number, al: number, b: number): void {
  twoProd(ah, b);
  const p = H;
  const e = L + al * b;
  const s = p + e;
  L = e - (s - p);
  H = s;
}

/** (H, L) ≈ (ah + al) + (bh + bl), relative error ≤ 2^-103 (no cancellation assumptions). */
function addDD(ah: number, al: number, bh: number, bl: number): void {
  twoSum(ah, bh);
  const s = H;
  const e = L;
  twoSum(al, bl);
  const t = H;
  const f = L;
  let e2 = e + t;
  const s2 = s + e2;
  e2 = e2 - (s2 - s);
  e2 += f;
  const s3 = s2 + e2;
  L = e2 - (s3 - s2);
  H = s3;
}

/** (H, L) ≈ (ah + al) / (bh + bl), relative error ≤ 2^-100. */
function divDD(ah: number, al: number, bh: number, bl: number): void {
  const q1 = ah / bh;
  mulDD1(bh, bl, q1);
  addDD(ah, al, -H, -L); // remainder a − q1·b
  const rh = H;
  const rl = L;
  const q2 = rh / bh;
  mulDD1(bh, bl, q2);
  addDD(rh, rl, -H, -L);
  const q3 = H / bh;
  twoSum(q1, q2);
  const s = H;
  const e = L + q3;
  H = s + e;
  L = e - (H - s);
}

/**
 * The double nearest to every point of [h + l − eps, h + l + eps] if they all round to one double,
 * else NaN. (eps ≥ twice the true error bound: fl(l ± eps) may lose a few units of l's last place.)
 */
function decide(h: number, l: number, eps: number): number {
  const a = h + (l + eps);
  const b = h + (l - eps);
  return a === b ? a : Number.NaN;
}

const FAST_REL = 2 ** -75;

// ------------------------------------------------------------------------------------------------
// BigInt fixed point: constants

/** atanh(1/n) · 2^w, error ≤ (number of terms) units. */
function atanhInv(n: bigint, w: number): bigint {
  const n2 = n * n;
  let t = (1n << BigInt(w)) / n;
  let s = t;
  for (let k = 3n; t !== 0n; k += 2n) {
    t /= n2;
    s += t / k;
  }
  return s;
}

/** atan(1/n) · 2^w, error ≤ (number of terms) units. */
function atanInv(n: bigint, w: number): bigint {
  const n2 = n * n;
  let t = (1n << BigInt(w)) / n;
  let s = t;
  let neg = true;
  for (let k = 3n; t !== 0n; k += 2n) {
    t /= n2;
    s += neg ? -(t / k) : t / k;
    neg = !neg;
  }
  return s;
}

let ln2Scale = 0;
let ln2Value = 0n;
/** ln 2 · 2^w, |error| ≤ 1 unit. ln 2 = 18 atanh(1/26) − 2 atanh(1/4801) + 8 atanh(1/8749). */
function ln2Fixed(w: number): bigint {
  if (w > ln2Scale) {
    const g = Math.max(w + 64, 2 * ln2Scale);
    const gg = g + 24;
    ln2Value = (18n * atanhInv(26n, gg) - 2n * atanhInv(4801n, gg) + 8n * atanhInv(8749n, gg)) >> 24n;
    ln2Scale = g;
  }
  return ln2Value >> BigInt(ln2Scale - w);
}

let piScale = 0;
let piValue = 0n;
/** π · 2^w, |error| ≤ 1 unit (Machin: π = 16 atan(1/5) − 4 atan(1/239)). */
function piFixed(w: number): bigint {
  if (w > piScale) {
    const g = Math.max(w + 64, 2 * piScale);
    const gg = g + 24;
    piValue = (16n * atanInv(5n, gg) - 4n * atanInv(239n, gg)) >> 24n;
    piScale = g;
  }
  return piValue >> BigInt(piScale - w);
}

let twoOverPiScale = 0;
let twoOverPiValue = 0n;
/** (2/π) · 2^w, |error| ≤ 2 units. */
function twoOverPiFixed(w: number): bigint {
  if (w > twoOverPiScale) {
    const g = Math.max(w + 64, 2 * twoOverPiScale, 1400);
    const p = g + 16;
    twoOverPiValue = (1n << BigInt(g + p + 1)) / piFixed(p);
    twoOverPiScale = g;
  }
  return twoOverPiValue >> BigInt(twoOverPiScale - w);
}

// ------------------------------------------------------------------------------------------------
// BigInt fixed point: kernels with rigorous error bounds

/** Result of an accurate evaluation: the exact value lies in [lo, hi] · 2^e. */
type Enclosure = [lo: bigint, hi: bigint, e: number];

/** Ziv's loop: evaluate at growing precision until the enclosure rounds to one double. */
function ziv(f: (p: number) => Enclosure | null): number {
  let last: Enclosure | null = null;
  for (let p = 128; p <= 8192; p *= 2) {
    const r = f(p);
    if (r === null) continue;
    last = r;
    const a = roundToDouble(r[0], r[2]);
    const b = roundToDouble(r[1], r[2]);
    if (Object.is(a, b)) return a;
  }
  // not reached for any double argument (the hardest cases need a few hundred bits)
  if (last === null) return Number.NaN;
  return roundToDouble((last[0] + last[1]) >> 1n, last[2]);
}

const abs = (a: bigint): bigint => (a < 0n ? -a : a);

/**
 * exp(X · 2^-w) for X known to within ±xErr units: returns [m, e, err] with exp = (m ± err) · 2^e.
 * exp(x) = 2^k · (e^ρ)^(2^10), ρ = (x − k ln2)/2^10, e^ρ by its Taylor series. |X · 2^-w| ≲ 800.
 */
function expFixed(X: bigint, w: number, xErr: bigint): [bigint, number, bigint] {
  const lnScale = w + 48;
  const l2 = ln2Fixed(lnScale);
  const num = X << 48n;
  let k = num / l2; // round to nearest
  const rem = num - k * l2;
  if (2n * rem > l2) k += 1n;
  else if (2n * rem < -l2) k -= 1n;
  const g = w + 10;
  const r = (X << 10n) - ((k * l2) >> 38n); // (x − k ln2) · 2^g, error ≤ 2 units
  const S = g + 10; // r read at scale S is ρ = (x − k ln2) / 2^10, |ρ| < 2^-10.5
  const one = 1n << BigInt(S);
  const sS = BigInt(S);
  let sum = one + r;
  let term = r;
  let terms = 1;
  for (let n = 2n; ; n++) {
    term = ((term * r) >> sS) / n;
    if (term === 0n) break;
    sum += term;
    terms++;
  }
  for (let i = 0; i < 10; i++) sum = (sum * sum) >> sS;
  // relative error before squaring ≤ (2·terms + 4)·2^-S (truncations, ρ's 2 units); each squaring
  // at most doubles it and adds 1.5·2^-S; the input error xErr·2^-w = xErr·2^(20−S) adds after.
  const e0 = BigInt(2 * terms + 8);
  const err = ((e0 << 11n) + 4096n + (xErr << 21n)) * 2n;
  return [sum, Number(k) - S, err];
}

/** log(M · 2^E) · 2^w for M > 0, |error| ≤ 4 units. log y = 2 atanh((y−1)/(y+1)), y ∈ [1/√2, √2). */
function logFixed(M: bigint, E: number, w: number): bigint {
  const len = bitLength(M);
  let k = len - 1 + E; // M · 2^E = y · 2^k with y ∈ [1, 2)
  if (M * M > 1n << BigInt(2 * len - 1)) k++; // y > √2: use y/2
  const g = w + 16;
  const sh = E - k + g;
  const Y = sh >= 0 ? M << BigInt(sh) : M >> BigInt(-sh); // y · 2^g, error ≤ 1
  const one = 1n << BigInt(g);
  const sG = BigInt(g);
  const z = ((Y - one) << sG) / (Y + one); // |z| ≤ 0.1716, error ≤ 2 units
  const z2 = (z * z) >> sG;
  let sum = z;
  let t = z;
  for (let n = 3n; ; n += 2n) {
    t = (t * z2) >> sG;
    const term = t / n;
    if (term === 0n) break;
    sum += term;
  }
  // series error ≤ 2 + 2·terms < 2^13 units at scale g (terms < 2^11 for w ≤ 8200)
  const l2 = ln2Fixed(g + 16);
  const res = 2n * sum + ((BigInt(k) * l2) >> 16n);
  return res >> 16n;
}

/** sin and cos of R · 2^-g (|R · 2^-g| ≤ 0.8): [sin, cos, err] at scale g, |errors| ≤ err units. */
function sinCosFixed(R: bigint, g: number): [bigint, bigint, bigint] {
  const sG = BigInt(g);
  const s = (R * R) >> sG;
  let sn = R;
  let t = R;
  let terms = 0;
  for (let n = 2n; ; n += 2n) {
    t = -((t * s) >> sG) / (n * (n + 1n));
    if (t === 0n) break;
    sn += t;
    terms++;
  }
  let cs = 1n << sG;
  t = cs;
  for (let n = 1n; ; n += 2n) {
    t = -((t * s) >> sG) / (n * (n + 1n));
    if (t === 0n) break;
    cs += t;
    terms++;
  }
  return [sn, cs, BigInt(4 * terms + 16)];
}

/**
 * x = j·π/2 + r exactly reduced (Payne–Hanek with 2/π to as many bits as x's exponent needs):
 * returns [j mod 4, r · 2^g] with |error| ≤ 2 units, |r| ≤ π/4 (slightly more near the boundary).
 */
function reduceFixed(x: number, g: number): [number, bigint] {
  const [m, e] = decompose(x);
  const T = g + 12 + Math.max(0, e + 53);
  const V = m * twoOverPiFixed(T); // x · 2/π · 2^(T − e), error ≤ 2^(53+e−T) ≤ 2^-(g+12) absolute
  const s = BigInt(T - e);
  const j = (V + (1n << (s - 1n))) >> s;
  const F = V - (j << s); // fraction in [−1/2, 1/2) at scale T − e
  const P = g + 8;
  const R = (F * (piFixed(P) >> 1n)) >> BigInt(T - e + P - g);
  return [Number(j & 3n), R];
}

// ------------------------------------------------------------------------------------------------
// log

const LOG_I0 = 181; // table index range i = round(y · 256) for y ∈ [1/√2, √2)
const LOG_I1 = 363;
let logR: Float64Array | null = null; // r_i = fl(256 / i)
let logTH: Float64Array; // −log(r_i) as double-double
let logTL: Float64Array;
let LN2H = 0;
let LN2L = 0;
const SQRT2 = Math.SQRT2;
// coefficients (−1)^(n+1)/n of log(1+z)/z
const LC: number[] = [];
let LC3H = 0;
let LC3L = 0; // 1/3
let LC5H = 0;
let LC5L = 0; // 1/5

function initLog(): void {
  const r = new Float64Array(LOG_I1);
  const th = new Float64Array(LOG_I1);
  const tl = new Float64Array(LOG_I1);
  const w = 160;
  for (let i = LOG_I0; i < LOG_I1; i++) {
    r[i] = 256 / i;
    const [m, e] = decompose(r[i] as number);
    [th[i], tl[i]] = ddFromFixed(-logFixed(m, e, w), w) as [number, number];
  }
  [LN2H, LN2L] = ddFromFixed(ln2Fixed(200), 200);
  [LC3H, LC3L] = ddFromFixed((1n << 200n) / 3n, 200);
  [LC5H, LC5L] = ddFromFixed((1n << 200n) / 5n, 200);
  for (let n = 0; n <= 13; n++) LC[n] = n === 0 ? 0 : (n % 2 === 1 ? 1 : -1) / n;
  logTH = th;
  logTL = tl;
  logR = r;
}

/**
 * (H, L) ≈ log(xh + xl) with relative error ≤ 2^-95 (xh > 0 finite, |xl| ≤ ulp(xh)/2, xh ≥ 2^-53
 * when xl ≠ 0). x = 2^k · y, y ∈ [1/√2, √2); y·r_i = 1 + z exactly (double-double) with
 * r_i = 256/i, |z| < 2^-8.4; log x = k ln2 − log r_i + log(1+z), the last by its series.
 */
function logKernel(xh: number, xl: number): void {
  if (logR === null) initLog();
  let k = 0;
  if (xh < 2 ** -1022) {
    xh *= 2 ** 54;
    k = -54;
  }
  F64[0] = xh;
  const hw = U32[1] as number;
  const ex = (hw >>> 20) - 1023;
  k += ex;
  U32[1] = (hw & 0xfffff) | 0x3ff00000;
  let y = F64[0] as number;
  let yl = xl === 0 ? 0 : xl * pow2(-ex);
  if (y > SQRT2) {
    y *= 0.5;
    yl *= 0.5;
    k++;
  }
  const i = Math.round(y * 256);
  const r = (logR as Float64Array)[i] as number;
  twoProd(y, r);
  twoSum(H - 1, L); // H − 1 is exact (Sterbenz)
  let zh = H;
  let zl = L;
  if (yl !== 0) {
    twoSum(zh, zl + yl * r);
    zh = H;
    zl = L;
  }
  // Q(z) = log(1+z)/z = 1 − z/2 + z²/3 − z³/4 + z⁴/5 + z⁵·D(z)
  let d = LC[13] as number;
  for (let n = 12; n >= 6; n--) d = d * zh + (LC[n] as number);
  mulDD1(zh, zl, d);
  addDD(H, L, LC5H, LC5L);
  mulDD(H, L, zh, zl);
  addDD(H, L, -0.25, 0);
  mulDD(H, L, zh, zl);
  addDD(H, L, LC3H, LC3L);
  mulDD(H, L, zh, zl);
  addDD(H, L, -0.5, 0);
  mulDD(H, L, zh, zl);
  addDD(H, L, 1, 0);
  mulDD(H, L, zh, zl); // log(1+z)
  const ph = H;
  const pl = L;
  addDD(ph, pl, logTH[i] as number, logTL[i] as number);
  if (k !== 0) {
    const qh = H;
    const ql = L;
    twoProd(k, LN2H);
    const kh = H;
    const kl = L + k * LN2L;
    addDD(kh, kl, qh, ql);
  }
}

function logSlow(x: number): number {
  const [m, e] = decompose(x);
  let extra = 0;
  if (x > 0.5 && x < 2) extra = -Math.floor(Math.log2(Math.abs(x - 1))) + 2;
  return ziv((p) => {
    const w = p + 16 + extra;
    const v = logFixed(m, e, w);
    return [v - 4n, v + 4n, -w];
  });
}

/**
 * Natural logarithm, correctly rounded (the double nearest to ln x; ties to even). log(±0) = −Inf,
 * log(x < 0) = NaN, log(+Inf) = +Inf, log(1) = +0.
 */
export function log(x: number): number {
  if (!(x > 0) || x === Number.POSITIVE_INFINITY) {
    if (x === 0) return Number.NEGATIVE_INFINITY;
    if (x === Number.POSITIVE_INFINITY) return x;
    return Number.NaN;
  }
  if (x === 1) return 0;
  logKernel(x, 0);
  const r = decide(H, L, Math.abs(H) * FAST_REL);
  return r === r ? r : logSlow(x);
}

/**
 * log(1 + x), correctly rounded for every x (no cancellation: 1 + x is formed exactly as a
 * double-double). log1p(−1) = −Inf, log1p(x < −1) = NaN, log1p(±0) = ±0.
 */
export function log1p(x: number): number {
  if (!(x > -1) || x === Number.POSITIVE_INFINITY) {
    if (x === -1) return Number.NEGATIVE_INFINITY;
    if (x === Number.POSITIVE_INFINITY) return x;
    return Number.NaN;
  }
  // |x| < 2^-54: log1p(x) = x − x²/2 + … is within a quarter ulp of x, on the side away from the
  // next boundary (including x a power of two, where the gap below is half as wide)
  if (Math.abs(x) < 2 ** -54) return x;
  twoSum(1, x);
  logKernel(H, L);
  const r = decide(H, L, Math.abs(H) * FAST_REL);
  return r === r ? r : log1pSlow(x);
}

function log1pSlow(x: number): number {
  const [mx, ex] = decompose(x);
  let M: bigint;
  let E: number;
  if (ex >= 0) {
    M = (mx << BigInt(ex)) + 1n;
    E = 0;
  } else {
    M = mx + (1n << BigInt(-ex));
    E = ex;
  }
  const extra = Math.max(0, -Math.floor(Math.log2(Math.abs(x)))) + 2;
  return ziv((p) => {
    const w = p + 16 + extra;
    const v = logFixed(M, E, w);
    return [v - 4n, v + 4n, -w];
  });
}

// ------------------------------------------------------------------------------------------------
// exp, expm1

let expTH: Float64Array | null = null; // 2^(j/256) as double-double
let expTL: Float64Array;
let EC1 = 0; // ln2/256 = EC1 + EC2 + EC3, EC1 with 34 significant bits (k·EC1 exact for |k| < 2^19)
let EC2 = 0;
let EC3 = 0;
const EXP_INV = 256 / Math.LN2;
const EXPC: number[] = []; // 1/n!
let E6H = 0;
let E6L = 0; // 1/6
let EXP_M = 0;

function initExp(): void {
  const w = 200;
  const sw = BigInt(w);
  // 2^(1/256) = exp(ln2/256), then its powers
  const [m0, e0] = expFixed(ln2Fixed(w) / 256n, w, 1n);
  const step = e0 >= -w ? m0 << BigInt(e0 + w) : m0 >> BigInt(-e0 - w);
  const th = new Float64Array(256);
  const tl = new Float64Array(256);
  let t = 1n << sw;
  for (let j = 0; j < 256; j++) {
    [th[j], tl[j]] = ddFromFixed(t, w) as [number, number];
    t = (t * step) >> sw;
  }
  const c = ln2Fixed(w) / 256n; // ln2/256 · 2^w
  EC1 = Number(c >> BigInt(w - 8 - 34 + 1)) * 2 ** (-8 - 34 + 1); // ln2/256 ∈ [2^-9, 2^-8)
  const c1 = toFixed(EC1, w);
  [EC2] = ddFromFixed(c - c1, w);
  const c2 = toFixed(EC2, w);
  [EC3] = ddFromFixed(c - c1 - c2, w);
  let f = 1;
  for (let n = 0; n <= 12; n++) {
    if (n > 0) f *= n;
    EXPC[n] = 1 / f;
  }
  [E6H, E6L] = ddFromFixed((1n << 200n) / 6n, 200);
  expTL = tl;
  expTH = th;
}

/**
 * (H, L) · 2^EXP_M ≈ exp(xh + xl) with relative error ≤ 2^-95 (|xh| ≤ 746, |xl| ≤ 2^-40).
 * x = k·ln2/256 + r, k = 256·m + j, |r| ≤ 2^-9.4; exp x = 2^m · 2^(j/256) · (1 + expm1(r)).
 * With `minus1` (and m small) the value of expm1(x) is left in (H, L) instead (unscaled when
 * k = 0: expm1(r) directly, so that small arguments keep full relative accuracy).
 */
function expKernel(xh: number, xl: number): void {
  if (expTH === null) initExp();
  const k = Math.round(xh * EXP_INV);
  const j = k & 255;
  EXP_M = (k - j) / 256;
  const r1 = xh - k * EC1; // exact
  twoProd(k, EC2);
  const pl = L;
  twoSum(r1, -H);
  const rl0 = L - pl - k * EC3 + xl;
  twoSum(H, rl0);
  const rh = H;
  const rl = L;
  // expm1(r) = r·P(r), P = 1 + r/2 + r²/6 + r³·D(r)
  let d = EXPC[11] as number;
  for (let n = 10; n >= 4; n--) d = d * rh + (EXPC[n] as number);
  mulDD1(rh, rl, d);
  addDD(H, L, E6H, E6L);
  mulDD(H, L, rh, rl);
  addDD(H, L, 0.5, 0);
  mulDD(H, L, rh, rl);
  addDD(H, L, 1, 0);
  mulDD(H, L, rh, rl); // expm1(r)
  if (j === 0) {
    addDD(H, L, 1, 0);
    return;
  }
  const tH = (expTH as Float64Array)[j] as number;
  const tL = expTL[j] as number;
  mulDD(H, L, tH, tL);
  addDD(H, L, tH, tL);
}

function expSlow(x: number): number {
  return ziv((p) => {
    const w = p + 24;
    const X = toFixed(x, w);
    const [m, e, err] = expFixed(X, w, 1n);
    return [m - err, m + err, e];
  });
}

/**
 * e^x, correctly rounded (including the subnormal range and the overflow threshold).
 * exp(−Inf) = +0, exp(+Inf) = +Inf, exp(NaN) = NaN.
 */
export function exp(x: number): number {
  if (!(Math.abs(x) <= 708)) {
    if (x !== x) return x;
    if (x > 710) return Number.POSITIVE_INFINITY;
    if (x < -746) return 0;
    return expSlow(x); // near overflow / in the subnormal range
  }
  // |x| < 2^-54: 1 + x lies within a quarter ulp of 1 on the side away from the rounding boundary
  if (Math.abs(x) < 2 ** -54) return 1;
  expKernel(x, 0);
  const r = decide(H, L, Math.abs(H) * FAST_REL);
  if (r === r) return r * pow2(EXP_M);
  return expSlow(x);
}

function expm1Slow(x: number): number {
  const extra = Math.max(0, -Math.floor(Math.log2(Math.abs(x)))) + 2;
  return ziv((p) => {
    const w = p + 24 + extra;
    const [m, e, err] = expFixed(toFixed(x, w), w, 1n);
    if (e >= 0) {
      const v = (m << BigInt(e)) - 1n;
      const er = err << BigInt(e);
      return [v - er, v + er, 0];
    }
    const v = m - (1n << BigInt(-e));
    return [v - err, v + err, e];
  });
}

/**
 * e^x − 1, correctly rounded, with full relative accuracy for small |x|.
 * expm1(−Inf) = −1, expm1(+Inf) = +Inf, expm1(±0) = ±0.
 */
export function expm1(x: number): number {
  if (!(x <= 708 && x >= -40)) {
    if (x !== x) return x;
    if (x > 710) return Number.POSITIVE_INFINITY;
    if (x < -40) return -1; // e^x < 2^-57: −1 + e^x rounds to −1
    return expm1Slow(x);
  }
  // |x| < 2^-54: x + x²/2 + … is within a quarter ulp of x, away from the rounding boundary
  if (Math.abs(x) < 2 ** -54) return x;
  if (Math.round(x * EXP_INV) !== 0) {
    // e^x = (H + L)·2^m (exact scaling), then subtract 1: |e^x − 1| ≥ 2^-9.5, little cancellation
    expKernel(x, 0);
    const s = pow2(EXP_M);
    addDD(H * s, L * s, -1, 0);
  } else {
    // |x| ≤ ln2/512: the series of expm1(x) itself, keeping full relative accuracy for tiny x
    if (expTH === null) initExp();
    expm1Small(x);
  }
  const r = decide(H, L, Math.abs(H) * FAST_REL);
  return r === r ? r : expm1Slow(x);
}

/** (H, L) ≈ expm1(x) for |x| ≤ ln2/512 (x itself is r). */
function expm1Small(x: number): void {
  let d = EXPC[11] as number;
  for (let n = 10; n >= 4; n--) d = d * x + (EXPC[n] as number);
  mulDD1(x, 0, d);
  addDD(H, L, E6H, E6L);
  mulDD1(H, L, x);
  addDD(H, L, 0.5, 0);
  mulDD1(H, L, x);
  addDD(H, L, 1, 0);
  mulDD1(H, L, x);
}

// ------------------------------------------------------------------------------------------------
// pow

/**
 * x^y as an exact m · 2^e when it is a dyadic rational whose odd part has at most ~2000 bits (the
 * only way a power can sit exactly on a rounding boundary), else null. x > 0 finite, y finite ≠ 0.
 */
function exactPow(x: number, y: number): [bigint, number] | null {
  const [mx, ex] = oddDecompose(x);
  const [ny, ky] = oddDecompose(y);
  let base = mx;
  let bexp = ex;
  let n: number; // integer exponent applied to base · 2^bexp
  if (ky >= 0) {
    if (ky > 60) return null; // |y| ≥ 2^61: x^y over/underflows (x ≠ 1)
    n = Number(ny) * 2 ** ky;
  } else {
    const K = 2 ** -ky;
    if (-ky > 11) return null; // x would be 2^(multiple of 2^12): overflow
    if (ex % K !== 0) return null;
    if (mx !== 1n) {
      if (K > 64) return null; // an odd b ≥ 3 has b^K > 2^53
      let b = BigInt(Math.round(Number(mx) ** (1 / K)));
      let found = false;
      for (const c of [b - 1n, b, b + 1n]) {
        if (c > 0n && c ** BigInt(K) === mx) {
          b = c;
          found = true;
        }
      }
      if (!found) return null;
      base = b;
    }
    bexp = ex / K;
    n = Number(ny);
  }
  if (base === 1n) {
    const e = bexp * n;
    return Math.abs(e) < 2000 ? [1n, e] : null;
  }
  if (n < 0) return null; // 1/odd is not dyadic
  if (n * Math.log2(Number(base)) > 2000) return null;
  return [base ** BigInt(n), bexp * n];
}

function powSlow(x: number, y: number): number {
  const ex = exactPow(x, y);
  if (ex !== null) return roundToDouble(ex[0], ex[1]);
  const [mx, e] = decompose(x);
  const [my, ey] = decompose(y);
  const ybits = Math.max(0, ey + 53);
  const amy = abs(my);
  return ziv((p) => {
    const w = p + 24;
    const wl = w + 24 + ybits;
    const Lx = logFixed(mx, e, wl); // ± 4 units
    const T = Lx * my; // y·log x at scale wl − ey, error ≤ 4|my| units
    const shift = ey - wl + w;
    let Tw: bigint;
    let tErr: bigint;
    if (shift >= 0) {
      Tw = T << BigInt(shift);
      tErr = (4n * amy) << BigInt(shift);
    } else {
      Tw = T >> BigInt(-shift);
      tErr = ((4n * amy) >> BigInt(-shift)) + 2n;
    }
    const [m, ee, err] = expFixed(Tw, w, tErr);
    return [m - err, m + err, ee];
  });
}

const isOddInteger = (y: number): boolean => Math.abs(y) < 2 ** 53 && Number.isInteger(y) && Math.abs(y % 2) === 1;

/**
 * x^y, correctly rounded, with the special cases of C99/IEEE 754 pow: pow(x, ±0) = 1 and
 * pow(1, y) = 1 for every x, y (NaN included); pow(−1, ±Inf) = 1; a negative base needs an integer
 * exponent (else NaN), and the sign is negative for odd integers; pow(±0, y) and pow(±Inf, y) by the
 * sign and parity of y; pow(x, ±Inf) by |x| against 1. Results that are exact (2^-3, 3^34, 9^1.5)
 * are exact, including those that fall exactly halfway between two doubles.
 */
export function pow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (x !== x || y !== y) return Number.NaN;
  if (y === Number.POSITIVE_INFINITY || y === Number.NEGATIVE_INFINITY) {
    const ax = Math.abs(x);
    if (ax === 1) return 1;
    return ax > 1 === y > 0 ? Number.POSITIVE_INFINITY : 0;
  }
  if (x === 0) {
    const odd = isOddInteger(y);
    if (y < 0) return odd ? 1 / x : Number.POSITIVE_INFINITY;
    return odd ? x : 0;
  }
  if (x === Number.POSITIVE_INFINITY) return y < 0 ? 0 : x;
  if (x === Number.NEGATIVE_INFINITY) {
    const odd = isOddInteger(y);
    if (y < 0) return odd ? -0 : 0;
    return odd ? x : Number.POSITIVE_INFINITY;
  }
  let negate = false;
  if (x < 0) {
    if (!Number.isInteger(y)) return Number.NaN;
    negate = isOddInteger(y);
    x = -x;
    if (x === 1) return negate ? -1 : 1;
  }
  const r = powPositive(x, y);
  return negate ? -r : r;
}

/** x^y for finite x > 0, x ≠ 1, finite y ≠ 0. */
function powPositive(x: number, y: number): number {
  // |y| ≥ 2^64 (or y·log x clearly out of range): |y·ln x| ≥ 2^64·2^-53 → over/underflow
  if (Math.abs(y) >= 2 ** 64) return x > 1 === y > 0 ? Number.POSITIVE_INFINITY : 0;
  logKernel(x, 0);
  const lh = H;
  const ll = L;
  twoProd(y, lh);
  const ph = H;
  twoSum(ph, L + y * ll);
  const th = H;
  const tl = L;
  if (!(th <= 708 && th >= -708)) {
    if (th > 710) return Number.POSITIVE_INFINITY;
    if (th < -746) return 0;
    return powSlow(x, y);
  }
  expKernel(th, tl);
  const r = decide(H, L, Math.abs(H) * FAST_REL);
  if (r === r) return r * pow2(EXP_M);
  return powSlow(x, y);
}

// ------------------------------------------------------------------------------------------------
// sin, cos, tan

let PIO2_1 = 0; // π/2 = PIO2_1 + PIO2_2 + PIO2_3 + O(2^-138), PIO2_1 with 33 significant bits
let PIO2_2 = 0;
let PIO2_3 = 0;
const TWO_OVER_PI = 2 / Math.PI;
let trigInit = false;
// tail coefficients (−1)^k/(2k+1)! and (−1)^k/(2k)! for k = 7..14, double-double for k = 1..6
const SINC: number[] = [];
const COSC: number[] = [];
const SINH: number[] = [];
const SINL: number[] = [];
const COSH: number[] = [];
const COSL: number[] = [];

function initTrig(): void {
  const w = 200;
  const pio2 = piFixed(w) >> 1n;
  PIO2_1 = Number(pio2 >> BigInt(w - 32)) * 2 ** -32;
  const r1 = pio2 - toFixed(PIO2_1, w);
  [PIO2_2] = ddFromFixed(r1, w);
  [PIO2_3] = ddFromFixed(r1 - toFixed(PIO2_2, w), w);
  let fact = 1n;
  for (let n = 1; n <= 29; n++) {
    fact *= BigInt(n);
    const sign = (n >> 1) % 2 === 1 ? -1n : 1n;
    const k = n >> 1;
    const v = (sign << 220n) / fact;
    const [h, l] = ddFromFixed(v, 220);
    if (n % 2 === 1) {
      if (k >= 7) SINC[k] = h;
      else {
        SINH[k] = h;
        SINL[k] = l;
      }
    } else if (k >= 7) COSC[k] = h;
    else {
      COSH[k] = h;
      COSL[k] = l;
    }
  }
  trigInit = true;
}

let SH = 0;
let SL = 0;
let CH = 0;
let CL = 0;
let QUAD = 0;
let RH = 0;

/** sin and cos of r = rh + rl (|r| ≲ π/4) in double-double: (SH, SL), (CH, CL). */
function sinCosKernel(rh: number, rl: number): void {
  mulDD(rh, rl, rh, rl);
  const sh = H;
  const sl = L;
  let d = SINC[14] as number;
  for (let k = 13; k >= 7; k--) d = d * sh + (SINC[k] as number);
  mulDD1(sh, sl, d);
  for (let k = 6; k >= 1; k--) {
    addDD(H, L, SINH[k] as number, SINL[k] as number);
    mulDD(H, L, sh, sl);
  }
  addDD(H, L, 1, 0);
  mulDD(H, L, rh, rl);
  SH = H;
  SL = L;
  d = COSC[14] as number;
  for (let k = 13; k >= 7; k--) d = d * sh + (COSC[k] as number);
  mulDD1(sh, sl, d);
  for (let k = 6; k >= 1; k--) {
    addDD(H, L, COSH[k] as number, COSL[k] as number);
    mulDD(H, L, sh, sl);
  }
  addDD(H, L, 1, 0);
  CH = H;
  CL = L;
}

/** Reduce x (|x| ≥ 2^-27, finite) to r = x − j·π/2 in double-double (RH + L) and QUAD = j mod 4. */
function reduce(x: number): void {
  if (!trigInit) initTrig();
  if (Math.abs(x) < 2 ** 19) {
    const j = Math.round(x * TWO_OVER_PI);
    const a = x - j * PIO2_1; // exact: j·PIO2_1 has ≤ 52 bits and is within a factor 2 of x
    twoProd(j, PIO2_2);
    const pl = L;
    twoSum(a, -H);
    const e = L - pl - j * PIO2_3;
    twoSum(H, e);
    RH = H;
    QUAD = j & 3;
    return;
  }
  const g = 200;
  const [q, R] = reduceFixed(x, g);
  const [h, l] = ddFromFixed(R, g);
  RH = h;
  L = l;
  QUAD = q;
}

/** which: 0 sin, 1 cos, 2 tan. */
function trigSlow(x: number, which: number): number {
  return ziv((p) => {
    const g = p + 16 + 72;
    const [q, R] = reduceFixed(x, g);
    const [s, c, e0] = sinCosFixed(R, g);
    const err = e0 + 2n;
    if (which === 2) {
      let N: bigint;
      let D: bigint;
      if ((q & 1) === 0) {
        N = s;
        D = c;
      } else {
        N = -c;
        D = s;
      }
      const aN = abs(N);
      const aD = abs(D);
      if (aD <= 2n * err || aN <= 2n * err) return null;
      const Q = (N << BigInt(g)) / D;
      const qErr = (abs(Q) * (err * aD + err * aN)) / (aN * (aD - err)) + 3n;
      return [Q - qErr, Q + qErr, -g];
    }
    let v: bigint;
    const qq = (q + which) & 3;
    if (qq === 0) v = s;
    else if (qq === 1) v = c;
    else if (qq === 2) v = -s;
    else v = -c;
    return [v - err, v + err, -g];
  });
}

function trig(x: number, which: number): number {
  reduce(x);
  const rh = RH;
  sinCosKernel(rh, L);
  let h: number;
  let l: number;
  if (which === 2) {
    if ((QUAD & 1) === 0) divDD(SH, SL, CH, CL);
    else divDD(-CH, -CL, SH, SL);
    h = H;
    l = L;
  } else {
    const qq = (QUAD + which) & 3;
    if (qq === 0) {
      h = SH;
      l = SL;
    } else if (qq === 1) {
      h = CH;
      l = CL;
    } else if (qq === 2) {
      h = -SH;
      l = -SL;
    } else {
      h = -CH;
      l = -CL;
    }
  }
  // relative error 2^-95 from the kernels, plus the reduction's absolute error (< 2^-115) seen
  // relative to r
  const r = decide(h, l, Math.abs(h) * (FAST_REL + 2 ** -98 / Math.abs(rh)));
  return r === r ? r : trigSlow(x, which);
}

/**
 * sin x, correctly rounded for every finite x (exact argument reduction by π/2 for any
 * magnitude). sin(±0) = ±0, sin(±Inf) = NaN.
 */
export function sin(x: number): number {
  // |x| < 2^-26: sin x = x − x³/6 + … rounds to x
  const ax = Math.abs(x);
  if (ax < 2 ** -26 || x !== x) return x;
  if (ax === Number.POSITIVE_INFINITY) return Number.NaN;
  return trig(x, 0);
}

/** cos x, correctly rounded for every finite x. cos(±Inf) = NaN. */
export function cos(x: number): number {
  // |x| < 2^-27: cos x = 1 − x²/2 + … rounds to 1
  const ax = Math.abs(x);
  if (x !== x) return x;
  if (ax < 2 ** -27) return 1;
  if (ax === Number.POSITIVE_INFINITY) return Number.NaN;
  return trig(x, 1);
}

/** tan x, correctly rounded for every finite x. tan(±0) = ±0, tan(±Inf) = NaN. */
export function tan(x: number): number {
  // |x| < 2^-27: tan x = x + x³/3 + … rounds to x
  const ax = Math.abs(x);
  if (ax < 2 ** -27 || x !== x) return x;
  if (ax === Number.POSITIVE_INFINITY) return Number.NaN;
  return trig(x, 2);
}

// ------------------------------------------------------------------------------------------------
// fma

/** a·b + c exactly, rounded once (BigInt), for finite nonzero a, b and finite c. */
function fmaExact(a: number, b: number, c: number): number {
  const [ma, ea] = decompose(a);
  const [mb, eb] = decompose(b);
  const mp = ma * mb;
  const ep = ea + eb;
  if (c === 0) return roundToDouble(mp, ep);
  const [mc, ec] = decompose(c);
  const e = Math.min(ep, ec);
  const sum = (mp << BigInt(ep - e)) + (mc << BigInt(ec - e));
  if (sum === 0n) return 0; // exact cancellation: +0 in round-to-nearest
  return roundToDouble(sum, e);
}

/**
 * Fused multiply-add: a·b + c with a single rounding (IEEE 754 fusedMultiplyAdd, round to nearest
 * even), exact for all doubles. Fast path: a·b = p + pe (TwoProd), c + p = s + se (TwoSum), then
 * s + RO(se + pe) where RO rounds to odd (Boldo–Melquiond's emulation, valid without underflow);
 * operands near the ends of the exponent range go through exact BigInt arithmetic.
 */
export function fma(a: number, b: number, c: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(c)) {
    if (Number.isFinite(a) && Number.isFinite(b)) return c; // c is ±Inf or NaN; a·b is finite
    return a * b + c; // Inf·0 = NaN, Inf + (−Inf) = NaN, NaN propagates
  }
  if (a === 0 || b === 0) return a * b + c; // exact ±0 product: IEEE signed-zero rules
  if (c === 0) return a * b; // one rounding of the product; c = ±0 cannot change a nonzero result
  const p = a * b;
  const ap = Math.abs(p);
  const ac = Math.abs(c);
  const aa = Math.abs(a);
  const ab = Math.abs(b);
  if (!(aa <= 2 ** 500 && ab <= 2 ** 500 && ap >= 2 ** -900 && ap <= 2 ** 1000 && ac >= 2 ** -900 && ac <= 2 ** 1000))
    return fmaExact(a, b, c);
  twoProd(a, b);
  const pe = L;
  twoSum(c, p);
  const s = H;
  const se = L;
  twoSum(se, pe);
  let v = H;
  if (L !== 0) {
    F64[0] = v;
    if (((U32[0] as number) & 1) === 0) {
      // round to odd: step to the odd neighbour on the side of the discarded part
      if (L > 0 === v > 0) U64[0] = (U64[0] as bigint) + 1n;
      else U64[0] = (U64[0] as bigint) - 1n;
      v = F64[0] as number;
    }
  }
  return s + v;
}

/** The accurate (Ziv/BigInt) evaluations behind the fast paths, exposed for tests. */
export const accurate = {
  log: (x: number): number => logSlow(x),
  log1p: (x: number): number => log1pSlow(x),
  exp: (x: number): number => expSlow(x),
  expm1: (x: number): number => expm1Slow(x),
  pow: (x: number, y: number): number => powSlow(x, y),
  sin: (x: number): number => trigSlow(x, 0),
  cos: (x: number): number => trigSlow(x, 1),
  tan: (x: number): number => trigSlow(x, 2),
  fma: (a: number, b: number, c: number): number => fmaExact(a, b, c),
};
