// dtypes, their storage, and PyTorch's type-promotion rules.
import { DTypeError } from "./errors.js";

export type DType = "float32" | "float64" | "float16" | "bfloat16" | "int32" | "int64" | "uint8" | "bool";

export const DTYPES: readonly DType[] = ["float32", "float64", "float16", "bfloat16", "int32", "int64", "uint8", "bool"];

/** Storage arrays. float16/bfloat16 are stored as their 16-bit patterns; int64 as BigInt64Array (exact). */
export type TypedArray = Float32Array | Float64Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array;

export const ITEMSIZE: Record<DType, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int32: 4,
  int64: 8,
  uint8: 1,
  bool: 1,
};

export function storageArray(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(n);
    case "float64":
      return new Float64Array(n);
    case "float16":
    case "bfloat16":
      return new Uint16Array(n);
    case "int32":
      return new Int32Array(n);
    case "int64":
      return new BigInt64Array(n);
    case "uint8":
    case "bool":
      return new Uint8Array(n);
  }
}

export const isFloating = (d: DType): boolean => d === "float32" || d === "float64" || d === "float16" || d === "bfloat16";
export const isIntegral = (d: DType, includeBool = false): boolean =>
  d === "int32" || d === "int64" || d === "uint8" || (includeBool && d === "bool");

/** PyTorch's name for printing: torch.float32 etc. */
export const torchName = (d: DType): string => `torch.${d}`;

// Rank within a category for the promotion lattice (excluding the float16/bfloat16 special case).
const INT_RANK: Partial<Record<DType, number>> = { uint8: 1, int32: 3, int64: 4 };
const FLOAT_RANK: Partial<Record<DType, number>> = { float16: 1, bfloat16: 1, float32: 2, float64: 3 };

/** torch.promote_types for the dtypes lockstep supports. */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === "bool") return b;
  if (b === "bool") return a;
  const fa = isFloating(a);
  const fb = isFloating(b);
  if (fa && fb) {
    if ((a === "float16" && b === "bfloat16") || (a === "bfloat16" && b === "float16")) return "float32";
    return (FLOAT_RANK[a] ?? 0) >= (FLOAT_RANK[b] ?? 0) ? a : b;
  }
  if (fa) return a;
  if (fb) return b;
  return (INT_RANK[a] ?? 0) >= (INT_RANK[b] ?? 0) ? a : b;
}

/** One operand of a type-promotion decision: a dimensioned tensor, a 0-dim tensor, or a JS scalar. */
export type PromotionOperand = { dtype: DType; kind: "dim" | "zero" | "scalar" };

export let defaultFloat: DType = "float32";
export function setDefaultDtype(d: DType): void {
  if (d !== "float32" && d !== "float64")
    throw new DTypeError("set_default_dtype", `only float32 or float64 can be the default dtype, got ${d}`);
  defaultFloat = d;
}

/** The dtype a JS scalar takes part in promotion with: number → int64 if an integer literal was meant. */
export function scalarDtype(v: number | boolean | bigint, asFloat = false): DType {
  if (typeof v === "boolean") return "bool";
  if (typeof v === "bigint") return "int64";
  return asFloat || !Number.isInteger(v) || Object.is(v, -0) ? defaultFloat : "int64";
}

function combineCategories(higher: DType | undefined, lower: DType | undefined): DType | undefined {
  if (higher === undefined) return lower;
  if (lower === undefined) return higher;
  if (isFloating(higher)) return higher;
  if (higher === "bool" || isFloating(lower)) return promoteTypes(higher, lower);
  return higher;
}

/** torch.result_type over several operands (c10's three priority classes). */
export function resultType(ops: readonly PromotionOperand[]): DType {
  let dim: DType | undefined;
  let zero: DType | undefined;
  let scalar: DType | undefined;
  for (const o of ops) {
    if (o.kind === "dim") dim = dim === undefined ? o.dtype : promoteTypes(dim, o.dtype);
    else if (o.kind === "zero") zero = zero === undefined ? o.dtype : promoteTypes(zero, o.dtype);
    else {
      // A float scalar takes part as the default float dtype.
      const d = isFloating(o.dtype) ? defaultFloat : o.dtype;
      scalar = scalar === undefined ? d : promoteTypes(scalar, d);
    }
  }
  const r = combineCategories(dim, combineCategories(zero, scalar));
  if (r === undefined) throw new TypeError("resultType: no operands");
  return r;
}

// ---- 16-bit float conversions (round to nearest even, as c10::Half / c10::BFloat16) ----

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

export function f32Bits(x: number): number {
  f32buf[0] = x;
  return u32buf[0] as number;
}
export function bitsToF32(b: number): number {
  u32buf[0] = b >>> 0;
  return f32buf[0] as number;
}

/** float → float16 bits, rounding the float32 value of x to nearest even (doubles go through float32 first, as c10 does). */
export function toHalfBits(x: number): number {
  const b = f32Bits(x);
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const man = b & 0x7fffff;
  if (exp === 0xff) return sign | (man ? 0x7e00 : 0x7c00);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // rounds to zero (the halfway case 2^-25 is handled below for e === -10)
    const m = man | 0x800000;
    const shift = 14 - e;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h += 1;
    return sign | h;
  }
  let h = (e << 10) | (man >>> 13);
  const rem = man & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h += 1; // may carry into the exponent: correct (to inf at most)
  return sign | h;
}

export function halfBitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const man = h & 0x3ff;
  if (exp === 0) return sign * man * 2 ** -24;
  if (exp === 0x1f) return man ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + man / 1024) * 2 ** (exp - 15);
}

export function toBF16Bits(x: number): number {
  const b = f32Bits(x);
  if ((b & 0x7fffffff) > 0x7f800000) return 0x7fc0 | ((b >>> 16) & 0x8000);
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bf16BitsToNumber(h: number): number {
  return bitsToF32(h << 16);
}

/** C's float → int64 conversion on x86 (cvttsd2si): truncation; NaN and out-of-range give INT64_MIN. */
export const floatToInt64 = (x: number): bigint =>
  x > -9223372036854775809 && x < 9223372036854775808 ? BigInt(Math.trunc(x)) : -9223372036854775808n;

/** Round a JS number to the value the dtype would store (floats and bools; ints wrap like C casts from int64). */
export function roundToDtype(x: number, dtype: DType): number {
  switch (dtype) {
    case "float32":
      return Math.fround(x);
    case "float64":
      return x;
    case "float16":
      return halfBitsToNumber(toHalfBits(x));
    case "bfloat16":
      return bf16BitsToNumber(toBF16Bits(x));
    case "bool":
      return x !== 0 ? 1 : 0;
    case "int32":
      return Number.isFinite(x) ? Number(BigInt.asIntN(32, BigInt(Math.trunc(x)))) : -2147483648;
    case "uint8":
      return Number.isFinite(x) ? Number(BigInt.asUintN(8, BigInt(Math.trunc(x)))) : 0;
    case "int64":
      return Number.isFinite(x) ? Math.trunc(x) : Number.NaN;
  }
}
