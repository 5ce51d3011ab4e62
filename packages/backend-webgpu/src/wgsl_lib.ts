// WGSL helper functions the rendered kernels call, each defined once and included only when used.
// Storage formats on the GPU: float32 → f32, int32 → i32; uint8, bool, float16 and bfloat16 → one u32
// word per element (the 8/16-bit pattern); int64 → two u32 words (low, high) computed as vec2<u32>.
// The float16/bfloat16 conversions and NaN tests are done on bits so that no driver's shortcut
// (flushing, NaN assumptions) changes a result. Drivers' shader compilers simplify float algebra
// (lavapipe turns (a + b) - a into b) and contract products into later sums even through a
// multiplication by an opaque 1.0 ((a*b)*one() - c became fma), so error-free transformations pass
// intermediates through `opq` — an xor with a zero the compiler cannot see — which no float rewrite crosses.

export const LIB: Record<string, { deps?: string[]; code: string }> = {
  opq: {
    code: "fn opq(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) ^ (bitcast<u32>(one()) ^ 0x3f800000u)); }",
  },
  is_nan: { code: "fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }" },
  is_inf: { code: "fn is_inf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }" },
  // NaN and inf must be built at run time: WGSL rejects them in constant expressions.
  nan_f32: { code: "fn nan_f32() -> f32 { return bitcast<f32>(0x7fc00000u | (P[0] & 0u)); }" },
  inf_f32: { code: "fn inf_f32() -> f32 { return bitcast<f32>(0x7f800000u | (P[0] & 0u)); }" },
  half_to_f32: {
    code: `fn half_to_f32(h: u32) -> f32 {
  let s = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  if (e == 0x1fu) { return bitcast<f32>(s | 0x7f800000u | (m << 13u)); }
  if (e == 0u) {
    // subnormal half: m * 2^-24, exact in f32 (computed on bits: no flushing)
    if (m == 0u) { return bitcast<f32>(s); }
    // top bit of m at position p = 10 - lz: value 2^(p - 24) · 1.f, biased f32 exponent p + 103
    let lz = countLeadingZeros(m) - 21u; // shifts that bring the top bit to bit 10
    let mm = (m << lz) & 0x3ffu; // the implicit bit (now bit 10) dropped
    return bitcast<f32>(s | ((113u - lz) << 23u) | (mm << 13u));
  }
  return bitcast<f32>(s | ((e + 112u) << 23u) | (m << 13u));
}`,
  },
  f32_to_half: {
    code: `fn f32_to_half(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  let s = (b >> 16u) & 0x8000u;
  let ex = (b >> 23u) & 0xffu;
  let man = b & 0x7fffffu;
  if (ex == 0xffu) { return s | select(0x7c00u, 0x7e00u, man != 0u); }
  let e = i32(ex) - 112;
  if (e >= 0x1f) { return s | 0x7c00u; }
  if (e <= 0) {
    if (e < -10) { return s; }
    let m = man | 0x800000u;
    let shift = u32(14 - e);
    var h = m >> shift;
    let rem = m & ((1u << shift) - 1u);
    let half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (h & 1u) != 0u)) { h = h + 1u; }
    return s | h;
  }
  var h = (u32(e) << 10u) | (man >> 13u);
  let rem = man & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u) != 0u)) { h = h + 1u; }
  return s | h;
}`,
  },
  bf16_to_f32: { code: "fn bf16_to_f32(h: u32) -> f32 { return bitcast<f32>(h << 16u); }" },
  f32_to_bf16: {
    code: `fn f32_to_bf16(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  if ((b & 0x7fffffffu) > 0x7f800000u) { return 0x7fc0u | ((b >> 16u) & 0x8000u); }
  return ((b + 0x7fffu + ((b >> 16u) & 1u)) >> 16u) & 0xffffu;
}`,
  },
  round_half: {
    deps: ["half_to_f32", "f32_to_half"],
    code: "fn round_half(x: f32) -> f32 { return half_to_f32(f32_to_half(x)); }",
  },
  round_bf16: {
    deps: ["bf16_to_f32", "f32_to_bf16"],
    code: "fn round_bf16(x: f32) -> f32 { return bf16_to_f32(f32_to_bf16(x)); }",
  },
  fmax_nan: {
    deps: ["is_nan", "nan_f32"],
    code: "fn fmax_nan(a: f32, b: f32) -> f32 { if (is_nan(a) || is_nan(b)) { return nan_f32(); } return select(b, a, a > b); }",
  },
  fmin_nan: {
    deps: ["is_nan", "nan_f32"],
    code: "fn fmin_nan(a: f32, b: f32) -> f32 { if (is_nan(a) || is_nan(b)) { return nan_f32(); } return select(b, a, a < b); }",
  },
  // (x > 0) - (x < 0) as the reference: +0 for ±0 and NaN. On bits: lavapipe turned the float
  // selects into a sign() that keeps -0 and gave -0 for NaN.
  sign_f32: {
    code: `fn sign_f32(x: f32) -> f32 {
  let b = bitcast<u32>(x);
  let mag = b & 0x7fffffffu;
  if (mag == 0u || mag > 0x7f800000u) { return bitcast<f32>(0u); }
  return bitcast<f32>(0x3f800000u | (b & 0x80000000u));
}`,
  },
  // x86 cvttss2si: truncation; NaN and out of range give INT_MIN.
  f32_to_i32: {
    code: "fn f32_to_i32(x: f32) -> i32 { if (x > -2147483904.0 && x < 2147483648.0) { return i32(trunc(x)); } return i32(-2147483647 - 1); }",
  },
  // Exact fmod on f32 bits (C fmod: sign of the dividend), by shift-and-subtract on the significands.
  fmod_f32: {
    deps: ["is_nan", "is_inf", "nan_f32"],
    code: `fn fmod_f32(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b) || is_inf(a) || b == 0.0) { return nan_f32(); }
  if (is_inf(b) || a == 0.0) { return a; }
  let ua = bitcast<u32>(a) & 0x7fffffffu;
  let ub = bitcast<u32>(b) & 0x7fffffffu;
  let s = bitcast<u32>(a) & 0x80000000u;
  if (ua < ub) { return a; }
  var ea = i32(ua >> 23u);
  var eb = i32(ub >> 23u);
  var ma = ua & 0x7fffffu;
  var mb = ub & 0x7fffffu;
  if (ea == 0) { let z = countLeadingZeros(ma) - 8u; ma = ma << z; ea = 1 - i32(z); } else { ma = ma | 0x800000u; }
  if (eb == 0) { let z = countLeadingZeros(mb) - 8u; mb = mb << z; eb = 1 - i32(z); } else { mb = mb | 0x800000u; }
  for (var i = ea - eb; i > 0; i = i - 1) {
    if (ma >= mb) { ma = ma - mb; }
    ma = ma << 1u;
  }
  if (ma >= mb) { ma = ma - mb; }
  if (ma == 0u) { return bitcast<f32>(s); }
  // normalise: the result has exponent eb, significand ma < mb
  let z = countLeadingZeros(ma) - 8u;
  ma = ma << z;
  var e = eb - i32(z);
  if (e <= 0) { ma = ma >> u32(1 - e); e = 0; }
  return bitcast<f32>(s | (u32(e) << 23u) | (ma & 0x7fffffu));
}`,
  },
  remainder_f32: {
    deps: ["fmod_f32"],
    code: "fn remainder_f32(a: f32, b: f32) -> f32 { let m = fmod_f32(a, b); if (m != 0.0 && ((b < 0.0) != (m < 0.0))) { return m + b; } return m; }",
  },
  floordiv_f32: {
    deps: ["fmod_f32"],
    code: `fn floordiv_f32(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return a / b; }
  let m = fmod_f32(a, b);
  var d = (a - m) / b;
  if (m != 0.0 && ((b < 0.0) != (m < 0.0))) { d = d - 1.0; }
  // a zero quotient takes the sign of a / b (the xor of the signs; a and b are not NaN here): on
  // bits, as the compiler folded select(0.0, -0.0, c) to +0
  if (d == 0.0) { return bitcast<f32>((bitcast<u32>(a) ^ bitcast<u32>(b)) & 0x80000000u); }
  var fd = floor(d);
  if (d - fd > 0.5) { fd = fd + 1.0; }
  return fd;
}`,
  },
  // C pow's special cases on top of WGSL's pow (which is only defined for x > 0).
  pow_f32: {
    deps: ["is_nan", "nan_f32", "is_inf", "inf_f32"],
    code: `fn pow_f32(x: f32, y: f32) -> f32 {
  if (y == 0.0 || x == 1.0) { return 1.0; }
  if (is_nan(x) || is_nan(y)) { return nan_f32(); }
  if (y == 1.0) { return x; }
  if (y == 2.0) { return x * x; }
  let ax = abs(x);
  if (is_inf(y)) {
    if (ax == 1.0) { return 1.0; }
    return select(0.0, inf_f32(), (ax > 1.0) == (y > 0.0));
  }
  let yint = trunc(y) == y;
  let yodd = yint && abs(y) < 16777216.0 && (i32(abs(y)) & 1) == 1;
  var r: f32;
  if (ax == 0.0) { r = select(0.0, inf_f32(), y < 0.0); }
  else if (is_inf(x)) { r = select(0.0, inf_f32(), y > 0.0); }
  else { r = exp2(y * log2(ax)); }
  if (x < 0.0 || bitcast<u32>(x) == 0x80000000u) {
    if (!yint) { return nan_f32(); }
    if (yodd) { return -r; }
  }
  return r;
}`,
  },
  // C atan2's special cases (Math.atan2 in the reference) around the platform's atan2, which gave
  // 3π/4 for atan2(0, 0) on lavapipe. Constants are f32(π), f32(π/2), f32(π/4), f32(3π/4) as bits.
  atan2_f32: {
    deps: ["is_nan", "is_inf", "nan_f32"],
    code: `fn atan2_f32(y: f32, x: f32) -> f32 {
  if (is_nan(y) || is_nan(x)) { return nan_f32(); }
  let sy = bitcast<u32>(y) & 0x80000000u;
  let xneg = (bitcast<u32>(x) & 0x80000000u) != 0u;
  var r: u32; // the magnitude's bits; the result takes y's sign
  if ((bitcast<u32>(y) & 0x7fffffffu) == 0u) { r = select(0u, 0x40490fdbu, xneg); }
  else if ((bitcast<u32>(x) & 0x7fffffffu) == 0u) { r = 0x3fc90fdbu; }
  else if (is_inf(y)) { r = select(0x3fc90fdbu, select(0x3f490fdbu, 0x4016cbe4u, xneg), is_inf(x)); }
  else if (is_inf(x)) { r = select(0u, 0x40490fdbu, xneg); }
  else { return atan2(y, x); }
  return bitcast<f32>(r | sy);
}`,
  },
  expm1_f32: {
    deps: ["opq"],
    code: `fn expm1_f32(x: f32) -> f32 {
  if (abs(x) < 1e-5) { return x + 0.5 * x * x; }
  let u = opq(exp(x));
  if (u == 1.0) { return x; }
  let um1 = opq(u - 1.0);
  if (um1 == -1.0) { return -1.0; }
  return um1 * x / log(u);
}`,
  },
  log1p_f32: {
    deps: ["is_inf", "inf_f32", "opq"],
    code: `fn log1p_f32(x: f32) -> f32 {
  if (x > 1e38) { return inf_f32(); }
  let u = opq(1.0 + x);
  if (u == 1.0) { return x; }
  if (is_inf(u)) { return log(u); }
  return log(u) * x / opq(u - 1.0);
}`,
  },
  // Abramowitz–Stegun style rational approximation refined for f32 (|err| < 2 ulp).
  erf_f32: {
    code: `fn erf_f32(x: f32) -> f32 {
  let ax = abs(x);
  if (ax < 0.5) {
    let z = x * x;
    return x * (1.1283791671 + z * (-0.3761263890 + z * (0.1128379167 + z * (-0.0268661706 + z * (0.0052239776 - z * 0.0008548174)))));
  }
  if (ax >= 4.0) { return select(-1.0, 1.0, x > 0.0); }
  let t = 1.0 / (1.0 + 0.5 * ax);
  let y = t * exp(-ax * ax - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return select(y - 1.0, 1.0 - y, x > 0.0);
}`,
  },
  // tanh = expm1(2x) / (expm1(2x) + 2): no cancellation near 0 (the driver's tanh loses digits there)
  tanh_f32: {
    deps: ["is_nan", "expm1_f32"],
    code: `fn tanh_f32(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let ax = abs(x);
  if (ax > 9.0) { return select(-1.0, 1.0, x > 0.0); }
  if (ax < 1e-4) { return x; }
  let t = expm1_f32(2.0 * ax);
  let r = t / (t + 2.0);
  return select(-r, r, x > 0.0);
}`,
  },
  // Exact fused multiply-add a*b+c for f32 (one rounding), without relying on the driver's fma():
  // the product is split exactly (Dekker), the three-term sum is added with round-to-odd on the
  // low part (Boldo–Melquiond), which makes the final rounding exact. Products below 1e-25 (whose
  // error would underflow) are added rounded: not exact there.
  fma_f32: {
    deps: ["is_inf", "is_nan", "opq"],
    code: `fn two_prod_err(a: f32, b: f32, p: f32) -> f32 {
  let ca = opq(4097.0 * a); let ah = opq(ca - opq(ca - a)); let al = opq(a - ah);
  let cb = opq(4097.0 * b); let bh = opq(cb - opq(cb - b)); let bl = opq(b - bh);
  return opq(opq(opq(opq(ah * bh) - p) + opq(ah * bl)) + opq(al * bh)) + opq(al * bl);
}
fn two_sum_err(x: f32, y: f32, s: f32) -> f32 {
  let bb = opq(s - x);
  return opq(opq(x - opq(s - bb)) + opq(y - bb));
}
fn round_odd_sum(x: f32, y: f32) -> f32 {
  let s = opq(x + y);
  let err = two_sum_err(x, y, s);
  let bits = bitcast<u32>(s);
  if (err == 0.0 || (bits & 1u) == 1u || is_inf(s)) { return s; }
  // s is even and inexact: move one ulp toward the exact sum (makes the last bit odd)
  let toward_zero = (err < 0.0) == (s > 0.0);
  return bitcast<f32>(select(bits + 1u, bits - 1u, toward_zero));
}
fn fma_pow2(k: i32) -> f32 { return bitcast<f32>(u32(k + 127) << 23u); }
// x · 2^k in two exact steps (each factor a normal power of two for k in [-252, 254])
fn fma_ldexp(x: f32, k: i32) -> f32 { return opq(opq(x * fma_pow2(k / 2)) * fma_pow2(k - k / 2)); }
// the exponent e with |x| · 2^-e in [1, 2), subnormals included
fn fma_ilogb(x: f32) -> i32 {
  let e = i32((bitcast<u32>(x) >> 23u) & 0xffu);
  if (e != 0) { return e - 127; }
  return -118 - i32(countLeadingZeros(bitcast<u32>(x) & 0x7fffffu)); // m · 2^-149, top bit at 31 - clz
}
// a·b + c for |a·b| >= 1e-25 (its rounding error then stays normal), both finite
fn fma_normal(a: f32, b: f32, c: f32) -> f32 {
  let p = opq(a * b);
  // the product's rounding error from operands scaled to [1, 2) (the splitting overflows or loses
  // bits at extreme magnitudes), scaled back exactly
  let ea = fma_ilogb(a);
  let eb = fma_ilogb(b);
  let sa = fma_ldexp(a, -ea);
  let sb = fma_ldexp(b, -eb);
  let pe = fma_ldexp(two_prod_err(sa, sb, opq(sa * sb)), ea + eb);
  let s = opq(p + c);
  if (is_inf(s)) { return s; } // overflow: the error terms would be NaN
  let se = two_sum_err(p, c, s);
  return s + round_odd_sum(se, pe);
}
fn fma_f32(a: f32, b: f32, c: f32) -> f32 {
  let p = opq(a * b);
  // a product that underflowed to zero: the exact a·b + ±0 rounds to a zero with a·b's sign (p + c gave +0)
  if (p == 0.0 && c == 0.0 && a != 0.0 && b != 0.0) { return bitcast<f32>((bitcast<u32>(a) ^ bitcast<u32>(b)) & 0x80000000u); }
  if (is_inf(p) || is_nan(p) || is_inf(c) || is_nan(c) || a == 0.0 || b == 0.0) { return p + c; }
  if (abs(p) >= 1e-25) { return fma_normal(a, b, c); }
  // |a·b| < 2^-83: below a quarter ulp of any |c| >= 2^-58, so the sum rounds to c
  if (abs(c) >= bitcast<f32>(0x22800000u)) { return c; } // 2^-58
  // tiny: the smaller operand and c scaled by 2^100 (exact), the sum scaled back exactly when it is
  // normal; a subnormal result keeps the rounded product's sum (not exact there)
  let sw = abs(a) > abs(b);
  let x = fma_ldexp(select(a, b, sw), 100);
  let y = select(b, a, sw);
  let c2 = fma_ldexp(c, 100);
  if (abs(opq(x * y)) >= 1e-25) {
    let r2 = fma_normal(x, y, c2);
    if (abs(r2) >= bitcast<f32>(0x32800000u)) { return fma_ldexp(r2, -100); } // >= 2^-26: a normal result
  }
  return p + c;
}`,
  },
  // Correctly rounded division and square root for portable numerics: WGSL only promises 2.5 ulp
  // (some GPUs deliver exactly that). The platform's result is corrected by testing it against the
  // midpoints to its neighbours with exact remainders from the emulated fma (their signs are exact).
  // Operands outside about [1e-18, 1e18] (where the emulated fma stops being exact), special values
  // and results near the subnormal range keep the platform's answer.
  div_cr: {
    deps: ["fma_f32", "is_inf", "is_nan"],
    code: `fn div_fix(a: f32, b: f32, q0: f32) -> f32 {
  let aq = abs(q0);
  // where the emulated fma is exact and half an ulp times b stays normal
  if (!(aq > 1e-18 && aq < 1e18 && abs(b) > 1e-18 && abs(b) < 1e18 && abs(a) > 1e-24)) { return q0; }
  let sgn = select(1.0, -1.0, (a < 0.0) != (b < 0.0));
  let x = abs(a); let y = abs(b);
  var q = aq;
  for (var i = 0; i < 3; i = i + 1) {
    let r = fma_f32(-q, y, x); // x - q*y, exact
    let h = bitcast<f32>((bitcast<u32>(q) & 0x7f800000u) - (24u << 23u)); // half an ulp of q
    let hy = h * y; // exact: a power of two times y
    let bits = bitcast<u32>(q);
    if (r > hy || (r == hy && (bits & 1u) == 1u)) { q = bitcast<f32>(bits + 1u); }
    else if (r < -hy || (r == -hy && (bits & 1u) == 1u)) { q = bitcast<f32>(bits - 1u); }
    else { break; }
  }
  return sgn * q;
}
fn div_cr(a: f32, b: f32) -> f32 { return div_fix(a, b, a / b); }`,
  },
  sqrt_cr: {
    deps: ["fma_f32", "is_inf", "is_nan"],
    code: `fn sqrt_fix(x: f32, s0: f32) -> f32 {
  if (!(x > 1e-24 && x < 1e35)) { return s0; }
  var s = s0;
  for (var i = 0; i < 3; i = i + 1) {
    let bits = bitcast<u32>(s);
    let up = bitcast<f32>(bits + 1u);
    let down = bitcast<f32>(bits - 1u);
    // s is right iff s·down < x <= s·up (Tuckerman); the fma's sign of x - s·t is exact
    if (fma_f32(-s, up, x) > 0.0) { s = up; }
    else if (fma_f32(-s, down, x) <= 0.0) { s = down; }
    else { break; }
  }
  return s;
}
fn sqrt_cr(x: f32) -> f32 { return sqrt_fix(x, sqrt(x)); }`,
  },
  // ---- int64 as vec2<u32>(low, high), two's complement ----
  i64_from_i32: { code: "fn i64_from_i32(x: i32) -> vec2<u32> { return vec2<u32>(u32(x), select(0u, 0xffffffffu, x < 0)); }" },
  i64_add: {
    code: "fn i64_add(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { let lo = a.x + b.x; return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x)); }",
  },
  i64_neg: { deps: ["i64_add"], code: "fn i64_neg(a: vec2<u32>) -> vec2<u32> { return i64_add(~a, vec2<u32>(1u, 0u)); }" },
  i64_sub: {
    deps: ["i64_add", "i64_neg"],
    code: "fn i64_sub(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return i64_add(a, i64_neg(b)); }",
  },
  i64_mul: {
    code: `fn mul32_wide(a: u32, b: u32) -> vec2<u32> {
  let a0 = a & 0xffffu; let a1 = a >> 16u; let b0 = b & 0xffffu; let b1 = b >> 16u;
  let p00 = a0 * b0; let p01 = a0 * b1; let p10 = a1 * b0; let p11 = a1 * b1;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  return vec2<u32>((p00 & 0xffffu) | (mid << 16u), p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u));
}
fn i64_mul(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let w = mul32_wide(a.x, b.x);
  return vec2<u32>(w.x, w.y + a.x * b.y + a.y * b.x);
}`,
  },
  i64_lt: {
    code: "fn i64_lt(a: vec2<u32>, b: vec2<u32>) -> bool { if (a.y != b.y) { return bitcast<i32>(a.y) < bitcast<i32>(b.y); } return a.x < b.x; }",
  },
  // Integer pow by squaring with wrap-around (the reference's ipow); a negative exponent gives
  // 1 / a^-b truncated: 1 for a = 1, ±1 for a = -1, else 0.
  ipow_i32: {
    code: `fn ipow_i32(a: i32, b: i32) -> i32 {
  if (b < 0) { if (a == 1) { return 1; } if (a == -1) { return select(-1, 1, (b & 1) == 0); } return 0; }
  var r = 1;
  var base = a;
  var e = b;
  while (e > 0) {
    if ((e & 1) == 1) { r = r * base; }
    base = base * base;
    e = e >> 1u;
  }
  return r;
}`,
  },
  ipow_i64: {
    deps: ["i64_mul", "i64_is_neg"],
    code: `fn ipow_i64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let one = vec2<u32>(1u, 0u);
  if (i64_is_neg(b)) {
    if (all(a == one)) { return one; }
    if (all(a == vec2<u32>(0xffffffffu, 0xffffffffu))) { return select(a, one, (b.x & 1u) == 0u); }
    return vec2<u32>(0u, 0u);
  }
  var r = one;
  var base = a;
  var e = b;
  while (any(e != vec2<u32>(0u, 0u))) {
    if ((e.x & 1u) == 1u) { r = i64_mul(r, base); }
    base = i64_mul(base, base);
    e = vec2<u32>((e.x >> 1u) | (e.y << 31u), e.y >> 1u);
  }
  return r;
}`,
  },
  // Unsigned 64-bit long division (shift and subtract, one quotient bit per step); returns
  // (quotient, remainder) as vec4(q.lo, q.hi, r.lo, r.hi). A zero divisor gives an all-ones
  // quotient (core raises before a kernel divides integers by zero).
  u64_divmod: {
    deps: ["i64_sub"],
    code: `fn u64_divmod(n: vec2<u32>, d: vec2<u32>) -> vec4<u32> {
  if (n.y == 0u && d.y == 0u && d.x != 0u) { return vec4<u32>(n.x / d.x, 0u, n.x % d.x, 0u); }
  var q = vec2<u32>(0u, 0u);
  var r = vec2<u32>(0u, 0u);
  for (var i = 63u; i < 64u; i = i - 1u) {
    let bit = (select(n.x, n.y, i >= 32u) >> (i & 31u)) & 1u;
    r = vec2<u32>((r.x << 1u) | bit, (r.y << 1u) | (r.x >> 31u));
    q = vec2<u32>(q.x << 1u, (q.y << 1u) | (q.x >> 31u));
    if (r.y > d.y || (r.y == d.y && r.x >= d.x)) { r = i64_sub(r, d); q.x = q.x | 1u; }
  }
  return vec4<u32>(q, r);
}`,
  },
  // C's truncating division and remainder (BigInt / and %): magnitudes divided unsigned, the
  // quotient negative when the signs differ, the remainder with the dividend's sign;
  // INT64_MIN / -1 wraps to INT64_MIN as BigInt.asIntN does.
  i64_divmod: {
    deps: ["u64_divmod", "i64_neg", "i64_is_neg"],
    code: `fn i64_divmod(a: vec2<u32>, b: vec2<u32>) -> vec4<u32> {
  let na = i64_is_neg(a);
  let nb = i64_is_neg(b);
  let qr = u64_divmod(select(a, i64_neg(a), na), select(b, i64_neg(b), nb));
  return vec4<u32>(select(qr.xy, i64_neg(qr.xy), na != nb), select(qr.zw, i64_neg(qr.zw), na));
}`,
  },
  i64_div: { deps: ["i64_divmod"], code: "fn i64_div(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return i64_divmod(a, b).xy; }" },
  i64_fmod: {
    deps: ["i64_divmod"],
    code: "fn i64_fmod(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return i64_divmod(a, b).zw; }",
  },
  // Python's % (sign of the divisor) and // (floor), from the truncating pair
  i64_remainder: {
    deps: ["i64_divmod", "i64_add", "i64_is_neg"],
    code: `fn i64_remainder(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let m = i64_divmod(a, b).zw;
  if (any(m != vec2<u32>(0u, 0u)) && i64_is_neg(b) != i64_is_neg(m)) { return i64_add(m, b); }
  return m;
}`,
  },
  i64_floordiv: {
    deps: ["i64_divmod", "i64_sub", "i64_is_neg"],
    code: `fn i64_floordiv(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let qr = i64_divmod(a, b);
  if (any(qr.zw != vec2<u32>(0u, 0u)) && i64_is_neg(a) != i64_is_neg(b)) { return i64_sub(qr.xy, vec2<u32>(1u, 0u)); }
  return qr.xy;
}`,
  },
  i64_is_neg: { code: "fn i64_is_neg(a: vec2<u32>) -> bool { return (a.y & 0x80000000u) != 0u; }" },
  // int64 → f32 with a single rounding (to nearest even), on bits.
  i64_to_f32: {
    deps: ["i64_neg", "i64_is_neg"],
    code: `fn i64_to_f32(x: vec2<u32>) -> f32 {
  let neg = i64_is_neg(x);
  let m = select(x, i64_neg(x), neg);
  var r: f32;
  if (m.y == 0u) {
    if (m.x < 16777216u) { r = f32(m.x); }
    else {
      let lz = countLeadingZeros(m.x);
      let shift = 8u - lz; // bits below the 24 kept
      var q = m.x >> shift;
      let rem = m.x & ((1u << shift) - 1u);
      let half = 1u << (shift - 1u);
      if (rem > half || (rem == half && (q & 1u) == 1u)) { q = q + 1u; }
      r = f32(q) * exp2(f32(shift));
    }
  } else {
    let lz = countLeadingZeros(m.y);
    let shift = 40u - lz; // total bits 64 - lz, keep 24
    // q = m >> shift (shift in 9..40), rem = low shift bits
    var q: u32; var remhi: bool; var remeq: bool;
    if (shift < 32u) {
      q = (m.x >> shift) | (m.y << (32u - shift));
      let rem = m.x & ((1u << shift) - 1u);
      let half = 1u << (shift - 1u);
      remhi = rem > half; remeq = rem == half;
    } else {
      let s2 = shift - 32u;
      q = m.y >> s2;
      let remh = select(m.y & ((1u << s2) - 1u), 0u, s2 == 0u);
      // half = 2^(shift-1): in the high word when s2 >= 1, else it is bit 31 of the low word
      if (s2 == 0u) { remhi = m.x > 0x80000000u; remeq = m.x == 0x80000000u; }
      else {
        let halfh = 1u << (s2 - 1u);
        remhi = remh > halfh || (remh == halfh && m.x != 0u);
        remeq = remh == halfh && m.x == 0u;
      }
    }
    if (remhi || (remeq && (q & 1u) == 1u)) { q = q + 1u; }
    r = f32(q) * exp2(f32(shift));
  }
  return select(r, -r, neg);
}`,
  },
  // f32 → int64 (x86 cvttss2si: truncation; NaN / out of range give INT64_MIN).
  f32_to_i64: {
    deps: ["i64_neg", "i64_from_i32"],
    code: `fn f32_to_i64(x: f32) -> vec2<u32> {
  if (!(x > -9223373136366403584.0 && x < 9223372036854775808.0)) { return vec2<u32>(0u, 0x80000000u); }
  let t = trunc(x);
  if (abs(t) < 2147483648.0) { return i64_from_i32(i32(t)); }
  let b = bitcast<u32>(t);
  let e = ((b >> 23u) & 0xffu) - 150u; // value = m * 2^e, e >= 8
  let m = (b & 0x7fffffu) | 0x800000u;
  var r: vec2<u32>;
  if (e >= 32u) { r = vec2<u32>(0u, m << (e - 32u)); } else { r = vec2<u32>(m << e, m >> (32u - e)); }
  return select(r, i64_neg(r), t < 0.0);
}`,
  },
};

/** The helper functions' source for a set of names, with their dependencies, each once. */
export function libSource(names: Iterable<string>): string {
  const done = new Set<string>();
  const out: string[] = [];
  const add = (n: string) => {
    if (done.has(n)) return;
    done.add(n);
    const f = LIB[n];
    if (!f) throw new Error(`webgpu: no WGSL helper '${n}'`);
    for (const d of f.deps ?? []) add(d);
    out.push(f.code);
  };
  for (const n of names) add(n);
  return out.join("\n");
}
