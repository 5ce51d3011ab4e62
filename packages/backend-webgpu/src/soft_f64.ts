// A float64 accumulator for products, in WGSL's integer arithmetic (WGSL has no f64). The reference
// (as PyTorch's CPU) takes cumprod of floating inputs in float64: acc = fl64(acc · x), and stores
// each prefix rounded to the output dtype. An f32 or f32-pair accumulator rounds differently, so the
// scan keeps the exact float64 value here instead.
//
// A value is sign · M · 2^e with M an integer of at most 53 bits (not necessarily normalized) and
// e ≥ −1074 (float64's subnormal quantum), or infinity/NaN. A product M·X (X ≤ 24 bits) has at most
// 77 bits, held in three u32 words, and is rounded to 53 bits (ties to even) with float64's
// exponent range, exactly as the FPU would. Conversion to f32 rounds to nearest even, or to odd for
// 16-bit outputs: rounding to odd at 24 bits and then to nearest at 11 or 8 bits (the store) gives
// the correctly rounded 16-bit value, as the reference's direct float64 → float16/bfloat16 does.
export const SOFT_F64_WGSL = /* wgsl */ `
struct Sf64 { lo: u32, hi: u32, e: i32, neg: bool, cls: u32 } // cls: 0 finite (M = 0: zero), 1 inf, 2 NaN
struct SfFit { w: vec3<u32>, e: i32 }

fn sf_mul32(a: u32, b: u32) -> vec2<u32> {
  let a0 = a & 0xffffu; let a1 = a >> 16u; let b0 = b & 0xffffu; let b1 = b >> 16u;
  let p00 = a0 * b0; let p01 = a0 * b1; let p10 = a1 * b0; let p11 = a1 * b1;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  return vec2<u32>((p00 & 0xffffu) | (mid << 16u), p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u));
}

fn sf_bitlen(w: vec3<u32>) -> u32 {
  if (w.z != 0u) { return 96u - countLeadingZeros(w.z); }
  if (w.y != 0u) { return 64u - countLeadingZeros(w.y); }
  return 32u - countLeadingZeros(w.x);
}

fn sf_shr(w: vec3<u32>, s: u32) -> vec3<u32> {
  if (s >= 96u) { return vec3<u32>(0u); }
  var v = w;
  var k = s;
  if (k >= 64u) { v = vec3<u32>(v.z, 0u, 0u); k = k - 64u; } else if (k >= 32u) { v = vec3<u32>(v.y, v.z, 0u); k = k - 32u; }
  if (k == 0u) { return v; }
  return vec3<u32>((v.x >> k) | (v.y << (32u - k)), (v.y >> k) | (v.z << (32u - k)), v.z >> k);
}

fn sf_shl(w: vec3<u32>, s: u32) -> vec3<u32> {
  if (s >= 96u) { return vec3<u32>(0u); }
  var v = w;
  var k = s;
  if (k >= 64u) { v = vec3<u32>(0u, 0u, v.x); k = k - 64u; } else if (k >= 32u) { v = vec3<u32>(0u, v.x, v.y); k = k - 32u; }
  if (k == 0u) { return v; }
  return vec3<u32>(v.x << k, (v.y << k) | (v.x >> (32u - k)), (v.z << k) | (v.y >> (32u - k)));
}

/** Whether any of the low s bits of w are set. */
fn sf_low_nonzero(w: vec3<u32>, s: u32) -> bool {
  var r = false;
  for (var i = 0u; i < 3u; i = i + 1u) {
    let base = i * 32u;
    if (s >= base + 32u) { r = r || w[i] != 0u; } else if (s > base) { r = r || (w[i] & ((1u << (s - base)) - 1u)) != 0u; }
  }
  return r;
}

/** w · 2^e rounded to p significant bits with a quantum of at least 2^emin (nearest even, or odd). */
fn sf_fit(w0: vec3<u32>, e0: i32, p: u32, emin: i32, odd: bool) -> SfFit {
  var w = w0;
  var e = e0;
  var len = sf_bitlen(w);
  if (len == 0u) { return SfFit(w, emin); }
  if (len < p && e > emin) {
    let k = min(p - len, u32(e - emin));
    w = sf_shl(w, k); e = e - i32(k); len = len + k;
  }
  let s = u32(max(max(i32(len) - i32(p), emin - e), 0));
  if (s == 0u) { return SfFit(w, e); }
  var q = sf_shr(w, s);
  if (odd) {
    if (sf_low_nonzero(w, s)) { q.x = q.x | 1u; }
  } else if ((sf_shr(w, s - 1u).x & 1u) != 0u && (sf_low_nonzero(w, s - 1u) || (q.x & 1u) != 0u)) {
    q.x = q.x + 1u;
    if (q.x == 0u) { q.y = q.y + 1u; if (q.y == 0u) { q.z = q.z + 1u; } }
  }
  var e2 = e + i32(s);
  if (sf_bitlen(q) > p) { q = sf_shr(q, 1u); e2 = e2 + 1; } // rounded up to 2^p: exact
  return SfFit(q, e2);
}

fn sf_one() -> Sf64 { return Sf64(1u, 0u, 0, false, 0u); }

/** fl64(a · x) for an f32 x. */
fn sf_mul_f32(a: Sf64, x: f32) -> Sf64 {
  let b = bitcast<u32>(x);
  let xe = (b >> 23u) & 255u;
  let xm = b & 0x7fffffu;
  let neg = a.neg != ((b >> 31u) != 0u);
  let xzero = xe == 0u && xm == 0u;
  let xinf = xe == 255u && xm == 0u;
  let azero = a.cls == 0u && a.lo == 0u && a.hi == 0u;
  if (a.cls == 2u || (xe == 255u && xm != 0u) || (a.cls == 1u && xzero) || (xinf && azero)) { return Sf64(0u, 0u, 0, neg, 2u); }
  if (a.cls == 1u || xinf) { return Sf64(0u, 0u, 0, neg, 1u); }
  if (azero || xzero) { return Sf64(0u, 0u, 0, neg, 0u); }
  var X = xm;
  var ex = -149;
  if (xe != 0u) { X = xm | 0x800000u; ex = i32(xe) - 150; }
  let pl = sf_mul32(a.lo, X);
  let ph = sf_mul32(a.hi, X);
  let w1 = pl.y + ph.x;
  let f = sf_fit(vec3<u32>(pl.x, w1, ph.y + select(0u, 1u, w1 < pl.y)), a.e + ex, 53u, -1074, false);
  let len = sf_bitlen(f.w);
  if (len != 0u && f.e + i32(len) - 1 > 1023) { return Sf64(0u, 0u, 0, neg, 1u); }
  return Sf64(f.w.x, f.w.y, f.e, neg, 0u);
}

/** a rounded to f32 (to nearest even; to odd when a 16-bit store rounds again). */
fn sf_to_f32(a: Sf64, odd: bool) -> f32 {
  let sign = select(0u, 0x80000000u, a.neg);
  if (a.cls == 2u) { return bitcast<f32>((sign & 0u) | 0x7fc00000u); } // not a constant: WGSL rejects NaN constants
  if (a.cls == 1u) { return bitcast<f32>(sign | 0x7f800000u); }
  let f = sf_fit(vec3<u32>(a.lo, a.hi, 0u), a.e, 24u, -149, odd);
  let len = sf_bitlen(f.w);
  if (len == 0u) { return bitcast<f32>(sign); }
  if (f.e + i32(len) - 1 > 127) { return bitcast<f32>(sign | 0x7f800000u); }
  if (len < 24u) { return bitcast<f32>(sign | f.w.x); } // subnormal (sf_fit normalized as far as 2^-149 allows)
  return bitcast<f32>(sign | (u32(f.e + 150) << 23u) | (f.w.x & 0x7fffffu));
}
`;
