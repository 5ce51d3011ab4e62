// Exact scalar emulation of the AVX2 float32 math that PyTorch 1.13's CPU `normal_` uses for float32
// tensors of 16 or more contiguous elements: `normal_fill_16_AVX2` with `log256_ps` and
// `sincos256_ps` from ATen/native/cpu/avx_mathfun.h (Giovanni Garberoglio's AVX port of Julien
// Pommier's sse_mathfun, cephes polynomials; zlib licence).
//
// PyTorch's x86 build compiles that header with GCC 12 -O2 -mavx2 -mfma, and GCC contracts the
// intrinsics' multiply/add pairs into FMAs (`_mm256_mul_ps` is plain vector `*` in GCC's headers).
// Which pairs were fused was read from the compiled code (the same header and GCC, checked bit for
// bit against torch.randn on 204,800 draws before reading the disassembly) and is confirmed by the
// goldens: every `fmaf(a, b, c)` below is one of those contractions; every other operation is one
// IEEE float32 operation (Math.fround). Each lane of the 8-wide vectors is independent, so the
// functions here work on one lane.
//
// `fused = false` evaluates the same algorithm with every product and sum rounded separately (no FMA).
// That variant is not PyTorch's; it is the portable float32 log/cos that lockstep's Philox normal
// sampler is specified with (see philox.ts), because WGSL's fma() is not guaranteed to be fused.

import { fmaf } from "../reference/scalar.js";

const fr = Math.fround;
const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

const bitsOf = (x: number): number => {
  f32[0] = x;
  return i32[0] as number;
};
const fromBits = (b: number): number => {
  i32[0] = b | 0;
  return f32[0] as number;
};

const fma = (a: number, b: number, c: number, fused: boolean): number => (fused ? fmaf(a, b, c) : fr(fr(a * b) + c));

// constants exactly as the header declares them (float literals rounded to float32)
const MIN_NORM_POS = fromBits(0x00800000);
const SQRTHF = fr(0.707106781186547524);
const LOG_P = [
  7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1,
  -2.4999993993e-1, 3.3333331174e-1,
].map(fr) as [number, number, number, number, number, number, number, number, number];
const LOG_Q1 = fr(-2.1219444e-4);
const LOG_Q2 = fr(0.693359375);

/** One lane of avx_mathfun's log256_ps(x) as compiled into PyTorch (fused) or unfused. */
export function log256(x: number, fused = true): number {
  x = fr(x);
  const invalid = x <= 0; // _CMP_LE_OS: false for NaN
  x = x > MIN_NORM_POS ? x : MIN_NORM_POS; // maxps returns the second operand for NaN
  const bx = bitsOf(x);
  const imm0 = (bx >>> 23) - 0x7f;
  x = fromBits((bx & ~0x7f800000) | 0x3f000000); // keep the mantissa, exponent of 0.5
  let e = fr(fr(imm0) + 1);
  const mask = x < SQRTHF;
  const tmp = mask ? x : 0;
  x = fr(x - 1);
  e = fr(e - (mask ? 1 : 0));
  x = fr(x + tmp);
  const z = fr(x * x);
  let y = LOG_P[0];
  for (let k = 1; k < 9; k++) y = fma(y, x, LOG_P[k] as number, fused);
  y = fr(y * x);
  y = fma(y, z, fr(e * LOG_Q1), fused); // y*z + e*q1: the first product is the fused one
  y = fused ? fmaf(-z, 0.5, y) : fr(y - fr(z * 0.5));
  x = fr(x + y);
  x = fma(e, LOG_Q2, x, fused);
  return invalid ? Number.NaN : x;
}

const MINUS_DP1 = fr(-0.78515625);
const MINUS_DP2 = fr(-2.4187564849853515625e-4);
const MINUS_DP3 = fr(-3.77489497744594108e-8);
const SINCOF_P0 = fr(-1.9515295891e-4);
const SINCOF_P1 = fr(8.3321608736e-3);
const SINCOF_P2 = fr(-1.6666654611e-1);
const COSCOF_P0 = fr(2.443315711809948e-5);
const COSCOF_P1 = fr(-1.388731625493765e-3);
const COSCOF_P2 = fr(4.166664568298827e-2);
const FOPI = fr(1.27323954473516);

/** cvttps2dq: truncate to int32; out of range or NaN gives INT_MIN. */
const cvtt = (v: number): number => (v > -2147483649 && v < 2147483648 ? Math.trunc(v) | 0 : -2147483648);

/** One lane of avx_mathfun's sincos256_ps(x) → [sin, cos], as compiled into PyTorch (fused) or unfused. */
export function sincos256(x: number, fused = true): [number, number] {
  sincos256To(x, fused);
  return [SIN_COS[0] as number, SIN_COS[1] as number];
}

/** Results of sincos256To: [sin, cos]. */
export const SIN_COS = new Float32Array(2);

/** sincos256 writing into SIN_COS (no allocation). */
export function sincos256To(x: number, fused: boolean): void {
  x = fr(x);
  let signSin = x < 0 || Object.is(x, -0);
  const ax = Math.abs(x);
  let j = cvtt(fr(ax * FOPI));
  j = ((j + 1) & ~1) | 0;
  const y = fr(j);
  if (j & 4) signSin = !signSin;
  const polyMask = (j & 2) === 0;
  const signCos = (~(j - 2) & 4) !== 0;
  // extended-precision reduction x - y*(DP1 + DP2 + DP3)
  let xr = fma(y, MINUS_DP1, ax, fused);
  xr = fma(y, MINUS_DP2, xr, fused);
  xr = fma(y, MINUS_DP3, xr, fused);
  const z = fr(xr * xr);
  // cosine polynomial (0 <= x <= pi/4)
  let yc = fma(COSCOF_P0, z, COSCOF_P1, fused);
  yc = fma(yc, z, COSCOF_P2, fused);
  yc = fr(yc * z);
  const half = fr(z * 0.5);
  yc = fused ? fmaf(yc, z, -half) : fr(fr(yc * z) - half);
  yc = fr(yc + 1);
  // sine polynomial
  let ys = fma(SINCOF_P0, z, SINCOF_P1, fused);
  ys = fma(ys, z, SINCOF_P2, fused);
  ys = fr(ys * z);
  ys = fused ? fmaf(ys, xr, xr) : fr(fr(ys * xr) + xr);
  // select with the header's and/andnot/sub/add sequence (signed zeros as the vector code gives them)
  const ysin2 = polyMask ? ys : 0;
  const ysin1 = polyMask ? 0 : yc;
  const y2 = fr(ys - ysin2);
  const y1 = fr(yc - ysin1);
  const s = fr(ysin1 + ysin2);
  const c = fr(y1 + y2);
  SIN_COS[0] = signSin ? -s : s;
  SIN_COS[1] = signCos ? -c : c;
}

const TWO_PI_F = fr(2 * Math.PI);

/**
 * normal_fill_16_AVX2: turns 16 uniforms at data[off..off+16) into 16 normals in place (Box–Muller,
 * lanes j and j+8 share one radius/angle pair), as PyTorch's AVX2 kernel computes them.
 */
export function normalFill16Avx2(data: Float32Array, off: number, mean: number, std: number): void {
  const m = fr(mean);
  const sd = fr(std);
  for (let j = 0; j < 8; j++) {
    const u1 = fr(1 - (data[off + j] as number));
    const u2 = data[off + j + 8] as number;
    const radius = fr(Math.sqrt(fr(-2 * log256(u1))));
    const theta = fr(TWO_PI_F * u2);
    sincos256To(theta, true);
    data[off + j] = fmaf(fr(radius * (SIN_COS[1] as number)), sd, m);
    data[off + j + 8] = fmaf(fr(radius * (SIN_COS[0] as number)), sd, m);
  }
}
