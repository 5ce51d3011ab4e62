// Element comparison of two readbacks (storage arrays as `Tensor.data()` returns them).
//
// Policy (README "Comparison rules"):
// - NaN equals NaN whatever its payload and sign: IEEE 754 leaves payload propagation open, and V8,
//   WGSL and CUDA canonicalise NaNs differently; a NaN against a non-NaN is an infinite distance.
// - −0 and +0 differ: bitwise mode fails on them, and in ULP mode they are 1 ULP apart.
// - Floats are compared as ordered integers (the sign-magnitude bit pattern mapped onto a line), so
//   the distance is the number of representable values between them, exact for every dtype.
// - Integers and bool must be equal.
import type { DType, TypedArray } from "@lockstep/core";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

export const isFloatDtype = (d: DType): boolean => d === "float32" || d === "float64" || d === "float16" || d === "bfloat16";

/** A 16-bit float pattern (float16 or bfloat16) as a JS number. */
export function half16ToNumber(dtype: "float16" | "bfloat16", h: number): number {
  if (dtype === "bfloat16") {
    u32[0] = h << 16;
    return f32[0] as number;
  }
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 31;
  const m = h & 1023;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** The element as a JS number (16-bit floats decoded from their bit patterns; int64 via Number). */
export function elementValue(dtype: DType, arr: TypedArray, i: number): number {
  const v = arr[i] as number | bigint;
  if (dtype === "float16" || dtype === "bfloat16") return half16ToNumber(dtype, v as number);
  return Number(v);
}

const isNaN16 = (dtype: DType, h: number): boolean =>
  dtype === "float16" ? (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0 : (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;

/** ULP distance between elements i of a and b (0 = identical bits or both NaN; Infinity = NaN vs number). */
export function ulpAt(dtype: DType, a: TypedArray, b: TypedArray, i: number): number {
  switch (dtype) {
    case "float32": {
      const x = a[i] as number;
      const y = b[i] as number;
      if (x !== x || y !== y) return x !== x && y !== y ? 0 : Number.POSITIVE_INFINITY;
      return Math.abs(ord32(x) - ord32(y));
    }
    case "float64": {
      const x = a[i] as number;
      const y = b[i] as number;
      if (x !== x || y !== y) return x !== x && y !== y ? 0 : Number.POSITIVE_INFINITY;
      if (Object.is(x, y)) return 0;
      const d = ord64(x) - ord64(y);
      return Number(d < 0n ? -d : d);
    }
    case "float16":
    case "bfloat16": {
      const x = a[i] as number;
      const y = b[i] as number;
      const nx = isNaN16(dtype, x);
      const ny = isNaN16(dtype, y);
      if (nx || ny) return nx && ny ? 0 : Number.POSITIVE_INFINITY;
      const o = (h: number) => (h & 0x8000 ? -(h & 0x7fff) - 1 : h);
      return Math.abs(o(x) - o(y));
    }
    default:
      return a[i] === b[i] ? 0 : Number.POSITIVE_INFINITY;
  }
}

// Ordered integer of a float: +0 → 0, −0 → −1, so the zeros are 1 apart and neighbours across zero
// are as far apart as the values between them.
function ord32(x: number): number {
  f32[0] = x;
  const bits = u32[0] as number;
  return bits >>> 31 ? -(bits & 0x7fffffff) - 1 : bits;
}
function ord64(x: number): bigint {
  f64[0] = x;
  const v = i64[0] as bigint;
  return v < 0n ? -(v & 0x7fffffffffffffffn) - 1n : v;
}

export interface ArrayDiff {
  /** Largest ULP distance over the elements (0 when bitwise equal). */
  maxUlp: number;
  /** Index of the first element at maxUlp (-1 when equal). */
  at: number;
  /** Number of elements that are not bitwise equal (NaN payloads aside). */
  differing: number;
}

/** Compare two readbacks of the same dtype and length. */
export function diffArrays(dtype: DType, a: TypedArray, b: TypedArray): ArrayDiff {
  let maxUlp = 0;
  let at = -1;
  let differing = 0;
  if (a.length !== b.length) return { maxUlp: Number.POSITIVE_INFINITY, at: 0, differing: Math.max(a.length, b.length) };
  for (let i = 0; i < a.length; i++) {
    const d = ulpAt(dtype, a, b, i);
    if (d === 0) continue;
    differing++;
    if (d > maxUlp) {
      maxUlp = d;
      at = i;
    }
  }
  return { maxUlp, at, differing };
}

/** A JSON-safe rendering of a number: NaN, ±Infinity and −0 as strings. */
export function jsonNumber(v: number): number | string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "Infinity";
  if (v === Number.NEGATIVE_INFINITY) return "-Infinity";
  if (Object.is(v, -0)) return "-0";
  return v;
}

/** The inverse of jsonNumber. */
export function fromJsonNumber(v: number | string): number {
  if (typeof v === "number") return v;
  if (v === "-0") return -0;
  return Number(v);
}

/** Smallest normal magnitude per float dtype. */
const MIN_NORMAL: Partial<Record<DType, number>> = {
  float32: 2 ** -126,
  float64: 2 ** -1022,
  float16: 2 ** -14,
  bfloat16: 2 ** -126,
};

/**
 * A storage array with its subnormal values replaced by zero of the same sign (flush to zero), as a
 * backend that flushes subnormals computes with them. float16/bfloat16 are bit patterns.
 */
export function flushSubnormals(dtype: DType, a: TypedArray): TypedArray {
  if (dtype === "float16" || dtype === "bfloat16") {
    const expMask = dtype === "float16" ? 0x7c00 : 0x7f80;
    return (a as Uint16Array).map((h) => ((h & expMask) === 0 ? h & 0x8000 : h));
  }
  const min = MIN_NORMAL[dtype];
  if (min === undefined) return a;
  return (a as Float32Array).map((v) => (v !== 0 && Math.abs(v) < min ? (v < 0 ? -0 : 0) : v));
}

/** |x| of a storage array (floats only; float16/bfloat16 bit patterns lose their sign bit). */
export function absStorage(dtype: DType, a: TypedArray): TypedArray {
  if (dtype === "float32" || dtype === "float64") return (a as Float32Array).map(Math.abs);
  if (dtype === "float16" || dtype === "bfloat16") return (a as Uint16Array).map((h) => h & 0x7fff);
  return a;
}

/** How inputs are altered before a reference evaluation: magnitudes (|x|) and/or flushed subnormals. */
export interface InputTransform {
  abs?: boolean;
  flush?: readonly DType[];
}

export function transformStorage(dtype: DType, a: TypedArray, t: InputTransform | undefined): TypedArray {
  if (!t) return a;
  let out = a;
  if (t.flush?.includes(dtype)) out = flushSubnormals(dtype, out);
  if (t.abs) out = absStorage(dtype, out);
  return out;
}
