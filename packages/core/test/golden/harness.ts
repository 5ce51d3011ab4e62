// Decoding of PyTorch golden tensors (exact float bits as hex, see tools/golden/README.md) and
// their comparison, for core's golden tests. The op golden suite (test-vectors/ops, on every backend)
// lives in packages/conformance.
import type { DType, Tensor, TypedArray } from "@lockstep/core";
import * as torch from "@lockstep/core";

export interface T {
  dtype: DType;
  shape: number[];
  stride: number[];
  offset: number;
  storage: string;
}
export interface Case {
  id: string;
  op: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  out: unknown;
  grad_out: unknown;
  grads: (T | null)[];
}

export const isT = (x: unknown): x is T => typeof x === "object" && x !== null && "storage" in x && "dtype" in x;

const WIDTH: Record<DType, number> = { float32: 8, float64: 16, float16: 4, bfloat16: 4, int32: 8, int64: 16, uint8: 2, bool: 2 };

export function decodeStorage(t: T): TypedArray {
  const w = WIDTH[t.dtype];
  const n = t.storage.length / w;
  const hex = (i: number) => t.storage.slice(i * w, (i + 1) * w);
  switch (t.dtype) {
    case "float32": {
      const u = new Uint32Array(n);
      for (let i = 0; i < n; i++) u[i] = Number.parseInt(hex(i), 16);
      return new Float32Array(u.buffer);
    }
    case "float64": {
      const u = new BigUint64Array(n);
      for (let i = 0; i < n; i++) u[i] = BigInt(`0x${hex(i)}`);
      return new Float64Array(u.buffer);
    }
    case "int64": {
      const u = new BigUint64Array(n);
      for (let i = 0; i < n; i++) u[i] = BigInt(`0x${hex(i)}`);
      return new BigInt64Array(u.buffer);
    }
    case "int32": {
      const u = new Uint32Array(n);
      for (let i = 0; i < n; i++) u[i] = Number.parseInt(hex(i), 16);
      return new Int32Array(u.buffer);
    }
    case "float16":
    case "bfloat16": {
      const u = new Uint16Array(n);
      for (let i = 0; i < n; i++) u[i] = Number.parseInt(hex(i), 16);
      return u;
    }
    case "uint8":
    case "bool": {
      const u = new Uint8Array(n);
      for (let i = 0; i < n; i++) u[i] = Number.parseInt(hex(i), 16);
      return u;
    }
  }
}

/** A tensor with exactly PyTorch's layout (as_strided over the stored storage), as a leaf. */
export function decodeTensor(t: T): Tensor {
  const base = torch.fromBuffer(decodeStorage(t), { dtype: t.dtype });
  return torch.asStrided(base, t.shape, t.stride, t.offset).detach();
}

export function decodeArg(a: unknown): unknown {
  if (isT(a)) return decodeTensor(a);
  if (Array.isArray(a)) return a.map(decodeArg);
  if (a && typeof a === "object") {
    const o = a as Record<string, unknown>;
    if ("float" in o)
      return o.float === "nan" ? Number.NaN : o.float === "inf" ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    if ("slice" in o) {
      const [start, stop, step] = o.slice as (number | null)[];
      return { start, stop, step };
    }
    if ("none" in o) return null;
    if ("ellipsis" in o) return "...";
  }
  return a;
}

/** snake_case kwargs → lockstep's camelCase options. */
export const camel = (kw: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(kw).map(([k, v]) => [k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()), decodeArg(v)]),
  );

// ---- comparison ----

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

/** Distance in units in the last place between two floats of a dtype (0 for identical bits; NaN==NaN). */
export function ulpDistance(dtype: DType, a: number, b: number): number {
  if (Number.isNaN(a) && Number.isNaN(b)) return 0;
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.POSITIVE_INFINITY;
  if (a === b) return Object.is(a, b) ? 0 : 1; // +0 vs -0 counts as 1 ulp
  const ord = (x: number): number => {
    if (dtype === "float64") return Number.NaN; // handled exactly below
    f32[0] = x;
    const bits = u32[0] as number;
    let v = bits & 0x7fffffff;
    if (dtype === "float16" || dtype === "bfloat16") v = Math.round(v / (dtype === "bfloat16" ? 65536 : 8192)); // coarse
    return bits >>> 31 ? -v : v;
  };
  if (dtype === "float64") {
    // exact: the difference of the two ordered 64-bit patterns, in BigInt (a Number would round)
    const ord64 = (x: number): bigint => {
      f64[0] = x;
      const v = i64[0] as bigint;
      return v < 0n ? -(v & 0x7fffffffffffffffn) : v;
    };
    const d = ord64(a) - ord64(b);
    const abs = d < 0n ? -d : d;
    return abs > 2n ** 52n ? Number.POSITIVE_INFINITY : Number(abs);
  }
  return Math.abs(ord(a) - ord(b));
}

export interface Mismatch {
  what: string;
  detail: string;
}

/** Compare a lockstep tensor with a golden T. ulp = 0 means bitwise (NaN payloads aside). */
export function compareTensor(what: string, got: Tensor, want: T, ulp: number, absTol = 0): Mismatch | null {
  if (got.dtype !== want.dtype) return { what, detail: `dtype ${got.dtype}, expected ${want.dtype}` };
  if (got.shape.length !== want.shape.length || got.shape.some((d, i) => d !== want.shape[i]))
    return { what, detail: `shape [${got.shape}], expected [${want.shape}]` };
  const g = got.dataSync();
  const w = decodeStorage(want);
  const isFloat = want.dtype.startsWith("float") || want.dtype === "bfloat16";
  const vals = (arr: TypedArray) => torch.tensor(arr as never, { dtype: want.dtype }).tolist();
  void vals;
  let worst = 0;
  let at = -1;
  for (let i = 0; i < w.length; i++) {
    const a = g[i] as number | bigint;
    const b = w[i] as number | bigint;
    if (!isFloat) {
      if (a !== b) return { what, detail: `element ${i}: ${a}, expected ${b}` };
      continue;
    }
    const av = toNumber(want.dtype, a as number);
    const bv = toNumber(want.dtype, b as number);
    let d =
      want.dtype === "float16" || want.dtype === "bfloat16"
        ? a === b || (av !== av && bv !== bv)
          ? 0
          : Math.abs((a as number) - (b as number)) || 1
        : ulpDistance(want.dtype, av, bv);
    if (d > ulp && Math.abs(av - bv) <= absTol) d = 0;
    if (d > worst) {
      worst = d;
      at = i;
    }
  }
  if (worst > ulp) {
    const a = toNumber(want.dtype, g[at] as number);
    const b = toNumber(want.dtype, w[at] as number);
    return {
      what,
      detail: `element ${at}: ${Object.is(a, -0) ? "-0" : a}, expected ${Object.is(b, -0) ? "-0" : b} (${worst} ulp > ${ulp} allowed)`,
    };
  }
  return null;
}

function toNumber(dtype: DType, raw: number): number {
  if (dtype === "float16") return halfToNumber(raw);
  if (dtype === "bfloat16") {
    u32[0] = raw << 16;
    return f32[0] as number;
  }
  return raw;
}
function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 31;
  const m = h & 1023;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
