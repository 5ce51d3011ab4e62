// lockstep's own float32 transcendental functions, written once as scalar IR built from basic
// operations (add, sub, mul, div, round, casts, bit reinterpretation, select). Every backend renders
// the same operations in the same order, so results are bitwise equal everywhere by construction:
// this is what portable numerics mode (DESIGN §4) runs instead of each platform's libm.
// Accuracy (measured by test/portable.test.ts against correctly rounded float64 results): about
// 1–3 ulp; pow loses more for large |y·log x| (it is exp(y·log|x|) in float32: ≤ 16 ulp for |y·log x| ≤ 10).
// Algorithms: Cody–Waite range reduction with polynomial kernels (exp, sin, cos), the atanh-series
// logarithm of fdlibm's logf (constants from FreeBSD's e_logf.c), and the Numerical Recipes erfc
// approximation for |x| ≥ 0.92 with a Taylor series below.
import { bin, bitcast, cast, type Exp, konst, select, un } from "../ir.js";

const F = "float32";
const I = "int32";
const f = (v: number): Exp => konst(v, F);
const n = (v: number): Exp => konst(v, I);
const add = (a: Exp, b: Exp): Exp => bin("add", a, b);
const sub = (a: Exp, b: Exp): Exp => bin("sub", a, b);
const mul = (a: Exp, b: Exp): Exp => bin("mul", a, b);
const div = (a: Exp, b: Exp): Exp => bin("div", a, b);
const lt = (a: Exp, b: Exp): Exp => bin("lt", a, b);
const gt = (a: Exp, b: Exp): Exp => bin("gt", a, b);
const eq = (a: Exp, b: Exp): Exp => bin("eq", a, b);
const and = (a: Exp, b: Exp): Exp => bin("and", a, b);
const or = (a: Exp, b: Exp): Exp => bin("or", a, b);
const abs = (a: Exp): Exp => un("abs", a);
const neg = (a: Exp): Exp => un("neg", a);
const isnan = (a: Exp): Exp => un("isnan", a);

/** Horner's rule: coefficients from the highest power down to the constant term. */
function poly(x: Exp, cs: readonly number[]): Exp {
  let r = f(cs[0] as number);
  for (let i = 1; i < cs.length; i++) r = add(mul(r, x), f(cs[i] as number));
  return r;
}

/** 2^k as a float32 for an int32 k in [-126, 127], built from its bits. */
const pow2 = (k: Exp): Exp => bitcast(mul(add(k, n(127)), n(1 << 23)), F);

const LOG2E = Math.LOG2E;
const LN2_HI = 0.693359375; // 9 significant bits: k·LN2_HI is exact
const LN2_LO = -2.1219444e-4;
const EXP_POLY = [1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];

export function expf(x: Exp): Exp {
  const xc = bin("minimum", bin("maximum", x, f(-104)), f(89));
  const k = un("round", mul(xc, f(LOG2E)));
  const r = sub(sub(xc, mul(k, f(LN2_HI))), mul(k, f(LN2_LO)));
  const p = add(add(mul(poly(r, EXP_POLY), mul(r, r)), r), f(1));
  // scale by 2^k in two exact halves so that 2^k itself never leaves the normal range
  const ki = cast(k, I);
  const h = bin("floordiv", ki, n(2));
  const y = mul(mul(p, pow2(h)), pow2(sub(ki, h)));
  return select(isnan(x), x, y);
}

// fdlibm logf: log(1+f) = f - hfsq + s·(hfsq + R), s = f/(2+f), R a polynomial in s².
const LG = [0.66666662693, 0.40000972152, 0.28498786688, 0.24279078841];
const LOG_LN2_HI = 6.9313812256e-1;
const LOG_LN2_LO = 9.0580006145e-6;

/** log(1 + fm) for fm in [√½ − 1, √2 − 1], plus k·ln 2 when dk is given. */
function logKernel(fm: Exp, dk: Exp | null): Exp {
  const s = div(fm, add(f(2), fm));
  const z = mul(s, s);
  const w = mul(z, z);
  const t1 = mul(w, add(f(LG[1] as number), mul(w, f(LG[3] as number))));
  const t2 = mul(z, add(f(LG[0] as number), mul(w, f(LG[2] as number))));
  const R = add(t2, t1);
  const hfsq = mul(mul(f(0.5), fm), fm);
  if (!dk) return sub(fm, sub(hfsq, mul(s, add(hfsq, R))));
  return sub(mul(dk, f(LOG_LN2_HI)), sub(sub(hfsq, add(mul(s, add(hfsq, R)), mul(dk, f(LOG_LN2_LO)))), fm));
}

export function logf(x: Exp): Exp {
  const tiny = lt(x, f(2 ** -126)); // subnormal: scale into the normal range first
  const xs = select(tiny, mul(x, f(2 ** 23)), x);
  // the exponent k and a significand m in [√½, √2): shift by √½'s bits so m never leaves that range
  const ix = add(bitcast(xs, I), n(0x3f800000 - 0x3f3504f3));
  const e = bin("floordiv", ix, n(1 << 23));
  const k = add(sub(e, n(127)), select(tiny, n(-23), n(0)));
  const m = bitcast(add(sub(ix, mul(e, n(1 << 23))), n(0x3f3504f3)), F);
  const y = logKernel(sub(m, f(1)), cast(k, F));
  const special = select(eq(x, f(0)), f(Number.NEGATIVE_INFINITY), select(eq(x, f(Number.POSITIVE_INFINITY)), x, f(Number.NaN)));
  return select(and(gt(x, f(0)), lt(x, f(Number.POSITIVE_INFINITY))), y, select(isnan(x), x, special));
}

export function log1pf(x: Exp): Exp {
  const near = and(gt(x, f(-0.2928932)), lt(x, f(0.41421356)));
  return select(near, select(eq(x, f(0)), x, logKernel(x, null)), logf(add(f(1), x)));
}

export const log2f = (x: Exp): Exp => mul(logf(x), f(LOG2E));

const EXPM1_POLY = [1 / 362880, 1 / 40320, 1 / 5040, 1 / 720, 1 / 120, 1 / 24, 1 / 6, 1 / 2];

export function expm1f(x: Exp): Exp {
  const small = lt(abs(x), f(0.34657359));
  const p = add(x, mul(mul(x, x), poly(x, EXPM1_POLY)));
  return select(eq(x, f(0)), x, select(small, p, sub(expf(x), f(1))));
}

export function tanhf(x: Exp): Exp {
  const ax = abs(x);
  const t = expm1f(mul(f(2), ax));
  const r = select(gt(ax, f(9)), f(1), div(t, add(t, f(2))));
  return select(lt(ax, f(2 ** -12)), x, select(lt(x, f(0)), neg(r), r));
}

// π/2 in four parts of 11 significant bits each: q·part is exact for |q| < 2^13.
const HALF_PI_PARTS = (() => {
  const parts: number[] = [];
  let rest = Math.PI / 2;
  for (let i = 0; i < 3; i++) {
    const e = Math.floor(Math.log2(Math.abs(rest)));
    const unit = 2 ** (e - 10);
    const p = Math.round(rest / unit) * unit;
    parts.push(p);
    rest -= p;
  }
  parts.push(Math.fround(rest));
  return parts;
})();
const SIN_POLY = [1 / 362880, -1 / 5040, 1 / 120, -1 / 6];
const COS_POLY = [-1 / 3628800, 1 / 40320, -1 / 720, 1 / 24];

/** Quadrant index (0..3), sin and cos of the reduced argument. */
function sincosParts(x: Exp): { q: Exp; s: Exp; c: Exp } {
  const k = un("round", mul(x, f(2 / Math.PI)));
  let r = x;
  for (const p of HALF_PI_PARTS) r = sub(r, mul(k, f(p)));
  const z = mul(r, r);
  const s = add(r, mul(mul(r, z), poly(z, SIN_POLY)));
  const c = add(sub(f(1), mul(f(0.5), z)), mul(mul(z, z), poly(z, COS_POLY)));
  return { q: bin("remainder", cast(k, I), n(4)), s, c };
}

const quadrant = (q: Exp, v0: Exp, v1: Exp, v2: Exp, v3: Exp): Exp =>
  select(eq(q, n(0)), v0, select(eq(q, n(1)), v1, select(eq(q, n(2)), v2, v3)));

export function sinf(x: Exp): Exp {
  const { q, s, c } = sincosParts(x);
  return select(eq(x, f(0)), x, quadrant(q, s, c, neg(s), neg(c)));
}
export function cosf(x: Exp): Exp {
  const { q, s, c } = sincosParts(x);
  return quadrant(q, c, neg(s), neg(c), s);
}
export function tanf(x: Exp): Exp {
  const { q, s, c } = sincosParts(x);
  const odd = or(eq(q, n(1)), eq(q, n(3)));
  return select(eq(x, f(0)), x, select(odd, neg(div(c, s)), div(s, c)));
}

// erf: Taylor series 2/√π·Σ (−1)ⁿ x^(2n+1) / (n!(2n+1)) below 0.921875 (11 terms), else
// 1 − erfc with Numerical Recipes' erfc(x) ≈ t·exp(−x² + P(t)), t = 1/(1 + x/2) (|rel err| < 1.2e-7).
const ERF_SERIES = (() => {
  const cs: number[] = [];
  let fact = 1;
  for (let k = 0; k <= 10; k++) {
    if (k > 0) fact *= k;
    cs.push(((k % 2 ? -1 : 1) * 2) / Math.sqrt(Math.PI) / (fact * (2 * k + 1)));
  }
  return cs.reverse();
})();
const ERFC_NR = [
  0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368, -1.26551223,
];

export function erff(x: Exp): Exp {
  const ax = abs(x);
  const series = mul(x, poly(mul(x, x), ERF_SERIES));
  const t = div(f(1), add(f(1), mul(f(0.5), ax)));
  const erfc = mul(t, expf(add(neg(mul(ax, ax)), poly(t, ERFC_NR))));
  const big = select(gt(ax, f(10)), f(1), sub(f(1), erfc));
  return select(lt(ax, f(0.921875)), series, select(lt(x, f(0)), neg(big), big));
}

/** exp(y·log|x|) with C pow's special cases. */
export function powf(x: Exp, y: Exp): Exp {
  const r = expf(mul(y, logf(abs(x))));
  const yInt = eq(un("trunc", y), y);
  const yOdd = and(and(yInt, lt(abs(y), f(2 ** 24))), bin("ne", bin("fmod", y, f(2)), f(0)));
  const signBit = lt(bitcast(x, I), n(0)); // true for −0 and −inf too
  const negFinite = and(lt(x, f(0)), un("isfinite", x));
  const main = select(and(signBit, yOdd), neg(r), select(and(negFinite, un("not", yInt)), f(Number.NaN), r));
  const unitInf = and(eq(abs(x), f(1)), eq(abs(y), f(Number.POSITIVE_INFINITY)));
  // exponents whose correctly rounded result is one operation
  const exact = select(eq(y, f(1)), x, select(eq(y, f(2)), mul(x, x), select(eq(y, f(-1)), div(f(1), x), main)));
  return select(or(or(eq(y, f(0)), eq(x, f(1))), unitInf), f(1), exact);
}

// atan on [0, 1]: above tan(π/8), atan(t) = π/4 + atan((t − 1)/(t + 1)); then u + u³·P(u²)
// (Cephes atanf's coefficients) on |u| ≤ tan(π/8).
const ATAN_POLY = [8.05374449538e-2, -1.38776856032e-1, 1.99777106478e-1, -3.33329491539e-1];

function atanUnit(t: Exp): Exp {
  const big = gt(t, f(0.41421356237309503));
  const u = select(big, div(sub(t, f(1)), add(t, f(1))), t);
  const z = mul(u, u);
  const r = add(mul(mul(poly(z, ATAN_POLY), z), u), u);
  return select(big, add(f(Math.PI / 4), r), r);
}

/** atan2 with C's special cases (signed zeros, infinities, NaN). */
export function atan2f(y: Exp, x: Exp): Exp {
  const ay = abs(y);
  const ax = abs(x);
  const steep = gt(ay, ax);
  const a = select(steep, sub(f(Math.PI / 2), atanUnit(div(ax, ay))), atanUnit(div(ay, ax)));
  const bothInf = and(eq(ax, f(Number.POSITIVE_INFINITY)), eq(ay, f(Number.POSITIVE_INFINITY)));
  const base = select(bothInf, f(Math.PI / 4), select(eq(ay, f(0)), f(0), a));
  const xNeg = lt(bitcast(x, I), n(0)); // −0 and negative x: the left half-plane
  const r = select(xNeg, sub(f(Math.PI), base), base);
  const signed = select(lt(bitcast(y, I), n(0)), neg(r), r);
  return select(or(isnan(x), isnan(y)), add(x, y), signed);
}

type Unary = (x: Exp) => Exp;
const UNARY: Record<string, Unary> = {
  exp: expf,
  expm1: expm1f,
  log: logf,
  log1p: log1pf,
  log2: log2f,
  sin: sinf,
  cos: cosf,
  tan: tanf,
  tanh: tanhf,
  erf: erff,
};

const BINARY: Record<string, (a: Exp, b: Exp) => Exp> = { pow: powf, atan2: atan2f };

/** The names of the functions portable mode replaces (the rest keep their platform implementation). */
export const PORTABLE_FUNCTIONS: readonly string[] = [...Object.keys(UNARY), ...Object.keys(BINARY)];

/** Replace every float32 transcendental in `e` by lockstep's own implementation. */
export function expandPortable(e: Exp): Exp {
  const memo = new Map<Exp, Exp>();
  const walk = (x: Exp): Exp => {
    const seen = memo.get(x);
    if (seen) return seen;
    let r: Exp;
    switch (x.k) {
      case "const":
      case "load":
      case "coord":
      case "acc":
        r = x;
        break;
      case "gload":
        r = { ...x, off: walk(x.off) };
        break;
      case "un": {
        const a = walk(x.a);
        const fn = x.dtype === F ? UNARY[x.op] : undefined;
        r = fn ? fn(a) : a === x.a ? x : { ...x, a };
        break;
      }
      case "bin": {
        const a = walk(x.a);
        const b = walk(x.b);
        const fn = x.dtype === F ? BINARY[x.op] : undefined;
        r = fn ? fn(a, b) : a === x.a && b === x.b ? x : { ...x, a, b };
        break;
      }
      case "fma":
      case "select": {
        const a = walk(x.a);
        const b = walk(x.b);
        const c = walk(x.c);
        r = a === x.a && b === x.b && c === x.c ? x : { ...x, a, b, c };
        break;
      }
      case "cast":
      case "bitcast": {
        const a = walk(x.a);
        r = a === x.a ? x : { ...x, a };
        break;
      }
    }
    memo.set(x, r);
    return r;
  };
  return walk(e);
}
