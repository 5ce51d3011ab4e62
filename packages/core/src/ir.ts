// The scalar IR that elementwise and reduction kernels are written in, once, for every backend.
// A backend renders an expression to its own language (JS source, WGSL, CUDA C) and runs it over
// strided, broadcast inputs. Every node carries the dtype of its result; float16/bfloat16 values
// are computed in float32 ("opmath", as PyTorch's CPU kernels do) and rounded by an explicit cast.
import { type DType, floatToInt64, roundToDtype } from "./dtype.js";

export type UnaryOp =
  | "neg"
  | "abs"
  | "sign"
  | "sqrt"
  | "exp"
  | "expm1"
  | "log"
  | "log1p"
  | "log2"
  | "sin"
  | "cos"
  | "tan"
  | "tanh"
  | "erf"
  | "floor"
  | "ceil"
  | "round" // half to even
  | "trunc"
  | "not" // logical not: result bool
  | "isnan"
  | "isinf"
  | "isfinite";

export type BinaryOp =
  | "add"
  | "sub"
  | "mul"
  | "div" // true division for floats; C truncating division for ints
  | "pow"
  | "maximum" // NaN-propagating
  | "minimum"
  | "fmod" // C fmod: sign of the dividend
  | "remainder" // Python %: sign of the divisor
  | "floordiv"
  | "atan2"
  | "eq"
  | "ne"
  | "lt"
  | "le"
  | "gt"
  | "ge"
  | "and" // logical, result bool
  | "or"
  | "xor"
  | "fma"; // never produced directly; see ternary fma

export type Exp =
  | { readonly k: "const"; readonly dtype: DType; readonly v: number | bigint }
  /** Input `i` at the current output position (the kernel applies its strides). */
  | { readonly k: "load"; readonly dtype: DType; readonly i: number }
  /** Input `i` at an absolute element offset into its storage, computed by `off` (an int32 expression). */
  | { readonly k: "gload"; readonly dtype: DType; readonly i: number; readonly off: Exp }
  /** The current output coordinate along dim `d` (int32). */
  | { readonly k: "coord"; readonly dtype: "int32"; readonly d: number }
  /** Reduction kernels only: the reduced value. */
  | { readonly k: "acc"; readonly dtype: DType }
  | { readonly k: "un"; readonly op: UnaryOp; readonly dtype: DType; readonly a: Exp }
  | { readonly k: "bin"; readonly op: Exclude<BinaryOp, "fma">; readonly dtype: DType; readonly a: Exp; readonly b: Exp }
  /** Fused multiply-add a*b+c with one rounding (PyTorch's CPU semantics for add(alpha), addcmul, ...). */
  | { readonly k: "fma"; readonly dtype: DType; readonly a: Exp; readonly b: Exp; readonly c: Exp }
  | { readonly k: "select"; readonly dtype: DType; readonly c: Exp; readonly a: Exp; readonly b: Exp }
  | { readonly k: "cast"; readonly dtype: DType; readonly a: Exp }
  /** Reinterpret the 32 bits of a float32 as an int32 or back (lockstep's own math functions use it). */
  | { readonly k: "bitcast"; readonly dtype: "float32" | "int32"; readonly a: Exp };

const COMPARE = new Set<BinaryOp>(["eq", "ne", "lt", "le", "gt", "ge", "and", "or", "xor"]);
const PREDICATE = new Set<UnaryOp>(["not", "isnan", "isinf", "isfinite"]);

const toInt64 = (v: number | bigint): bigint => (typeof v === "bigint" ? BigInt.asIntN(64, v) : floatToInt64(v));

/** A constant, rounded to its dtype's value set (a float32 constant is a float32 value). */
export const konst = (v: number | bigint | boolean, dtype: DType): Exp => ({
  k: "const",
  dtype,
  v: typeof v === "boolean" ? (v ? 1 : 0) : dtype === "int64" ? toInt64(v) : roundToDtype(Number(v), dtype),
});
export const load = (i: number, dtype: DType): Exp => ({ k: "load", i, dtype });
export const gload = (i: number, dtype: DType, off: Exp): Exp => ({ k: "gload", i, dtype, off });
export const coord = (d: number): Exp => ({ k: "coord", d, dtype: "int32" });
export const acc = (dtype: DType): Exp => ({ k: "acc", dtype });
export const un = (op: UnaryOp, a: Exp): Exp => ({ k: "un", op, a, dtype: PREDICATE.has(op) ? "bool" : a.dtype });
export const bin = (op: Exclude<BinaryOp, "fma">, a: Exp, b: Exp): Exp => ({
  k: "bin",
  op,
  a,
  b,
  dtype: COMPARE.has(op) ? "bool" : a.dtype,
});
export const fma = (a: Exp, b: Exp, c: Exp): Exp => ({ k: "fma", a, b, c, dtype: a.dtype });
export const select = (c: Exp, a: Exp, b: Exp): Exp => ({ k: "select", c, a, b, dtype: a.dtype });
export const cast = (a: Exp, dtype: DType): Exp => (a.dtype === dtype ? a : { k: "cast", a, dtype });
export const bitcast = (a: Exp, dtype: "float32" | "int32"): Exp => (a.dtype === dtype ? a : { k: "bitcast", a, dtype });

// expKey's working state, reused across calls (expKey does not re-enter itself): the nodes seen
// so far in visiting order (a node's index is its id; small kernels are scanned linearly, larger
// ones also go through a Map), and the key so far.
const keyNodes: Exp[] = [];
let keyCount = 0;
const keyMemo = new Map<Exp, number>();
let keyText = "";
/** String forms of recently seen constant values (number → string conversion is slow). */
const constText = new Map<number, string>();

function constString(v: number | bigint): string {
  if (typeof v === "bigint") return `${v}n`;
  if (Object.is(v, -0)) return "-0";
  let t = constText.get(v);
  if (t === undefined) {
    if (constText.size >= 4096) constText.clear();
    t = String(v);
    constText.set(v, t);
  }
  return t;
}

function keyWalk(x: Exp): number {
  if (keyCount <= 32) {
    for (let i = 0; i < keyCount; i++) if (keyNodes[i] === x) return i;
  } else {
    const seen = keyMemo.get(x);
    if (seen !== undefined) return seen;
  }
  let s: string;
  switch (x.k) {
    case "const":
      s = `c:${x.dtype}:${constString(x.v)}`;
      break;
    case "load":
      s = `l:${x.dtype}:${x.i}`;
      break;
    case "gload":
      s = `g:${x.dtype}:${x.i}:${keyWalk(x.off)}`;
      break;
    case "coord":
      s = `d:${x.d}`;
      break;
    case "acc":
      s = `a:${x.dtype}`;
      break;
    case "un":
      s = `u:${x.op}:${x.dtype}:${keyWalk(x.a)}`;
      break;
    case "bin":
      s = `b:${x.op}:${x.dtype}:${keyWalk(x.a)}:${keyWalk(x.b)}`;
      break;
    case "fma":
      s = `f:${x.dtype}:${keyWalk(x.a)}:${keyWalk(x.b)}:${keyWalk(x.c)}`;
      break;
    case "select":
      s = `s:${x.dtype}:${keyWalk(x.c)}:${keyWalk(x.a)}:${keyWalk(x.b)}`;
      break;
    case "cast":
      s = `t:${x.dtype}:${keyWalk(x.a)}`;
      break;
    case "bitcast":
      s = `r:${x.dtype}:${keyWalk(x.a)}`;
      break;
  }
  const id = keyCount++;
  keyText = id === 0 ? s : `${keyText};${s}`;
  if (id < 32) keyNodes[id] = x;
  else {
    if (id === 32) for (let i = 0; i < 32; i++) keyMemo.set(keyNodes[i] as Exp, i);
    keyMemo.set(x, id);
  }
  return id;
}

/** A stable string for a kernel's structure, used as a cache key by renderers. */
export function expKey(e: Exp): string {
  keyCount = 0;
  keyText = "";
  try {
    keyWalk(e);
    return keyText;
  } finally {
    if (keyCount > 32) keyMemo.clear();
    for (let i = 0; i < keyNodes.length; i++) keyNodes[i] = undefined as unknown as Exp;
    keyCount = 0;
    keyText = "";
  }
}

/** Whether the expression reads output coordinates (then the kernel may not merge dims). */
export function usesCoords(e: Exp): boolean {
  switch (e.k) {
    case "coord":
      return true;
    case "const":
    case "load":
    case "acc":
      return false;
    case "gload":
      return usesCoords(e.off);
    case "un":
    case "cast":
    case "bitcast":
      return usesCoords(e.a);
    case "bin":
      return usesCoords(e.a) || usesCoords(e.b);
    case "fma":
    case "select":
      return usesCoords(e.a) || usesCoords(e.b) || usesCoords(e.c);
  }
}
