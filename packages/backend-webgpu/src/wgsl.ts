// Renders core's scalar IR to WGSL. Values: float32/float16/bfloat16 are f32 (16-bit floats are
// rounded after each op, as the reference does), int32 is i32, uint8 is u32 (0..255), bool is
// bool, int64 is vec2<u32>. float64 has no WGSL type: rendering it raises a DTypeError.
// Constants are not baked into the source: each becomes a read of the kernel's parameter words,
// so a kernel whose only change is a number (a learning rate, a step count) reuses its pipeline.
import { type DType, DTypeError, floatToInt64, type ir, isPortableNumericsEnabled, roundToDtype } from "@lockstep/core";

type Exp = ir.Exp;

export interface WgslContext {
  lines: string[];
  next: number;
  memo: Map<Exp, string>;
  /** Helper functions used (see wgsl_lib.ts). */
  lib: Set<string>;
  /** Constant words (u32 bit patterns) the kernel reads; rendered as reads of `param(index)`. */
  consts: number[];
  /** WGSL expression reading parameter word `i` (an u32). */
  param(i: number): string;
  /** WGSL expression for input i's raw storage value at the current position. */
  load(i: number, dtype: DType): string;
  /** WGSL expression for input i's raw storage value at element offset `off` (an i32 expression). */
  gload(i: number, dtype: DType, off: string): string;
  coord(d: number): string;
  acc: string;
}

export const isFloat = (d: DType): boolean => d === "float32" || d === "float16" || d === "bfloat16" || d === "float64";

/** The WGSL type a value of this dtype is computed in. */
export function computeType(d: DType, op = "webgpu"): string {
  switch (d) {
    case "float32":
    case "float16":
    case "bfloat16":
      return "f32";
    case "int32":
      return "i32";
    case "uint8":
      return "u32";
    case "bool":
      return "bool";
    case "int64":
      return "vec2<u32>";
    case "float64":
      throw new DTypeError(op, "float64 is not supported on webgpu (WGSL has no f64); use float32, or run on 'cpu'");
  }
}

/** The WGSL element type of a storage array of this dtype. */
export function storageType(d: DType): string {
  if (d === "float32") return "f32";
  if (d === "int32") return "i32";
  computeType(d);
  return "u32";
}

/** Words per element in storage (int64 takes two). */
export const wordsPer = (d: DType): number => (d === "int64" ? 2 : 1);

/** Convert a raw storage value (see load/gload) to its compute value. */
export function fromStorage(d: DType, raw: string, ctx: WgslContext): string {
  switch (d) {
    case "float16":
      ctx.lib.add("half_to_f32");
      return `half_to_f32(${raw})`;
    case "bfloat16":
      ctx.lib.add("bf16_to_f32");
      return `bf16_to_f32(${raw})`;
    case "bool":
      return `(${raw} != 0u)`;
    default:
      return raw;
  }
}

/** Convert a compute value to what is stored (int64: a vec2<u32>, stored as two words by the caller). */
export function toStorage(d: DType, v: string, ctx: WgslContext): string {
  switch (d) {
    case "float16":
      ctx.lib.add("f32_to_half");
      return `f32_to_half(${v})`;
    case "bfloat16":
      ctx.lib.add("f32_to_bf16");
      return `f32_to_bf16(${v})`;
    case "bool":
      return `select(0u, 1u, ${v})`;
    default:
      return v;
  }
}

/** Round an f32 result to the dtype's value set. */
function round(d: DType, v: string, ctx: WgslContext): string {
  if (d === "float16") {
    ctx.lib.add("round_half");
    return `round_half(${v})`;
  }
  if (d === "bfloat16") {
    ctx.lib.add("round_bf16");
    return `round_bf16(${v})`;
  }
  return v;
}

const use = (ctx: WgslContext, f: string): string => {
  ctx.lib.add(f);
  return f;
};

const unsupported = (what: string, d: DType): never => {
  throw new DTypeError("webgpu", `${what} is not implemented for ${d} on webgpu; run it on 'cpu'`);
};

function renderCast(from: DType, to: DType, a: string, ctx: WgslContext): string {
  if (from === to) return a;
  const fromF = isFloat(from);
  if (to === "bool") {
    if (from === "int64") return `any(${a} != vec2<u32>(0u, 0u))`;
    // floats on bits: NaN is nonzero (true), and the compiler may assume no NaN in `x != 0.0`
    return fromF ? `((bitcast<u32>(${a}) & 0x7fffffffu) != 0u)` : from === "int32" ? `(${a} != 0)` : `(${a} != 0u)`;
  }
  if (from === "bool") {
    if (to === "int64") return `vec2<u32>(select(0u, 1u, ${a}), 0u)`;
    return `select(${computeType(to)}(0), ${computeType(to)}(1), ${a})`;
  }
  if (to === "int64") {
    if (fromF) return `${use(ctx, "f32_to_i64")}(${a})`;
    if (from === "int32") return `${use(ctx, "i64_from_i32")}(${a})`;
    return `vec2<u32>(${a}, 0u)`; // uint8
  }
  if (from === "int64") {
    if (isFloat(to)) return round(to, `${use(ctx, "i64_to_f32")}(${a})`, ctx);
    if (to === "int32") return `bitcast<i32>(${a}.x)`;
    return `(${a}.x & 255u)`;
  }
  if (isFloat(to)) {
    if (fromF) return round(to, a, ctx);
    // int32 → f32: WGSL's conversion rounds to nearest even on the probed drivers; |x| < 2^24 is exact
    return round(to, `f32(${a})`, ctx);
  }
  if (fromF) {
    const i = `${use(ctx, "f32_to_i32")}(${a})`;
    return to === "int32" ? i : `(bitcast<u32>(${i}) & 255u)`;
  }
  return to === "int32" ? `bitcast<i32>(${a})` : `(bitcast<u32>(${a}) & 255u)`;
}

const UNARY_F: Record<string, string> = {
  exp: "exp",
  log: "log",
  log2: "log2",
  sin: "sin",
  cos: "cos",
  tan: "tan",
};

function renderUnary(op: string, d: DType, from: DType, a: string, ctx: WgslContext): string {
  if (op === "not") return renderCast(from, "bool", a, ctx).replace(/^/, "!");
  if (op === "isnan") return isFloat(from) ? `${use(ctx, "is_nan")}(${a})` : "false";
  if (op === "isinf") return isFloat(from) ? `${use(ctx, "is_inf")}(${a})` : "false";
  if (op === "isfinite") return isFloat(from) ? `!(${use(ctx, "is_nan")}(${a}) || ${use(ctx, "is_inf")}(${a}))` : "true";
  if (["floor", "ceil", "round", "trunc"].includes(op) && !isFloat(d)) return a;
  if (d === "int64") {
    if (op === "neg") return `${use(ctx, "i64_neg")}(${a})`;
    if (op === "abs") return `select(${a}, ${use(ctx, "i64_neg")}(${a}), ${use(ctx, "i64_is_neg")}(${a}))`;
    if (op === "sign") {
      use(ctx, "i64_is_neg");
      return `select(select(vec2<u32>(0u, 0u), vec2<u32>(1u, 0u), any(${a} != vec2<u32>(0u, 0u))), vec2<u32>(0xffffffffu, 0xffffffffu), i64_is_neg(${a}))`;
    }
    return unsupported(`unary ${op}`, d);
  }
  if (d === "int32") {
    if (op === "neg") return `(-${a})`;
    if (op === "abs") return `abs(${a})`;
    if (op === "sign") return `sign(${a})`;
    return unsupported(`unary ${op}`, d);
  }
  if (d === "uint8" || d === "bool") {
    if (op === "neg") return d === "bool" ? a : `((0u - ${a}) & 255u)`;
    if (op === "abs") return a;
    if (op === "sign") return d === "bool" ? a : `min(${a}, 1u)`;
    return unsupported(`unary ${op}`, d);
  }
  switch (op) {
    case "sqrt":
      return round(d, isPortableNumericsEnabled() ? `${use(ctx, "sqrt_cr")}(${a})` : `sqrt(${a})`, ctx);
    case "neg":
      return `(-${a})`;
    case "abs":
      return `abs(${a})`;
    case "sign":
      return `${use(ctx, "sign_f32")}(${a})`;
    case "floor":
      return `floor(${a})`;
    case "ceil":
      return `ceil(${a})`;
    case "trunc":
      return `trunc(${a})`;
    case "round":
      return `round(${a})`;
    case "expm1":
      return round(d, `${use(ctx, "expm1_f32")}(${a})`, ctx);
    case "log1p":
      return round(d, `${use(ctx, "log1p_f32")}(${a})`, ctx);
    case "erf":
      return round(d, `${use(ctx, "erf_f32")}(${a})`, ctx);
    case "tanh":
      return round(d, `${use(ctx, "tanh_f32")}(${a})`, ctx);
  }
  const f = UNARY_F[op];
  if (!f) return unsupported(`unary ${op}`, d);
  return round(d, `${f}(${a})`, ctx);
}

const CMP: Record<string, string> = { eq: "==", ne: "!=", lt: "<", le: "<=", gt: ">", ge: ">=" };

function renderBinary(op: string, d: DType, from: DType, a: string, b: string, ctx: WgslContext): string {
  const cmp = CMP[op];
  if (cmp) {
    if (from === "int64") {
      if (op === "eq") return `all(${a} == ${b})`;
      if (op === "ne") return `any(${a} != ${b})`;
      use(ctx, "i64_lt");
      if (op === "lt") return `i64_lt(${a}, ${b})`;
      if (op === "gt") return `i64_lt(${b}, ${a})`;
      if (op === "le") return `!i64_lt(${b}, ${a})`;
      return `!i64_lt(${a}, ${b})`;
    }
    // WGSL orders no bools: compare them as 0/1
    if (from === "bool" && op !== "eq" && op !== "ne") return `(select(0u, 1u, ${a}) ${cmp} select(0u, 1u, ${b}))`;
    if (isFloat(from)) {
      // IEEE: a NaN operand makes every comparison false but `ne`; tested on bits, since the
      // compiler may assume no NaN reaches a float comparison
      const nan = `(${use(ctx, "is_nan")}(${a}) || is_nan(${b}))`;
      return op === "ne" ? `(${nan} || ${a} != ${b})` : `(!${nan} && ${a} ${cmp} ${b})`;
    }
    return `(${a} ${cmp} ${b})`;
  }
  if (op === "and" || op === "or" || op === "xor") {
    const ba = renderCast(from, "bool", a, ctx);
    const bb = renderCast(from, "bool", b, ctx);
    return op === "and" ? `(${ba} && ${bb})` : op === "or" ? `(${ba} || ${bb})` : `(${ba} != ${bb})`;
  }
  if (isFloat(d)) {
    const r = (v: string) => round(d, v, ctx);
    // Portable numerics: the shader compiler must evaluate each operation as written; `opq`
    // (wgsl_lib.ts) stops algebraic rewriting ((a + b) - a → b) and contraction into fma.
    const g = (v: string) => (isPortableNumericsEnabled() ? `${use(ctx, "opq")}(${v})` : v);
    switch (op) {
      case "add":
        return r(g(`(${a} + ${b})`));
      case "sub":
        return r(g(`(${a} - ${b})`));
      case "mul":
        return r(g(`(${a} * ${b})`));
      case "div":
        return r(isPortableNumericsEnabled() ? `${use(ctx, "div_cr")}(${a}, ${b})` : `(${a} / ${b})`);
      case "pow":
        return r(`${use(ctx, "pow_f32")}(${a}, ${b})`);
      case "atan2":
        return r(`${use(ctx, "atan2_f32")}(${a}, ${b})`);
      case "maximum":
        return `${use(ctx, "fmax_nan")}(${a}, ${b})`;
      case "minimum":
        return `${use(ctx, "fmin_nan")}(${a}, ${b})`;
      case "fmod":
        return `${use(ctx, "fmod_f32")}(${a}, ${b})`;
      case "remainder":
        return r(`${use(ctx, "remainder_f32")}(${a}, ${b})`);
      case "floordiv":
        return r(`${use(ctx, "floordiv_f32")}(${a}, ${b})`);
    }
  } else if (d === "int64") {
    switch (op) {
      case "add":
        return `${use(ctx, "i64_add")}(${a}, ${b})`;
      case "sub":
        return `${use(ctx, "i64_sub")}(${a}, ${b})`;
      case "mul":
        return `${use(ctx, "i64_mul")}(${a}, ${b})`;
      case "div":
        return `${use(ctx, "i64_div")}(${a}, ${b})`;
      case "fmod":
        return `${use(ctx, "i64_fmod")}(${a}, ${b})`;
      case "remainder":
        return `${use(ctx, "i64_remainder")}(${a}, ${b})`;
      case "floordiv":
        return `${use(ctx, "i64_floordiv")}(${a}, ${b})`;
      case "pow":
        return `${use(ctx, "ipow_i64")}(${a}, ${b})`;
      case "maximum":
        return `select(${a}, ${b}, ${use(ctx, "i64_lt")}(${a}, ${b}))`;
      case "minimum":
        return `select(${a}, ${b}, ${use(ctx, "i64_lt")}(${b}, ${a}))`;
    }
  } else if (d === "bool") {
    if (op === "add" || op === "maximum") return `(${a} || ${b})`;
    if (op === "mul" || op === "minimum") return `(${a} && ${b})`;
  } else if (d === "int32") {
    switch (op) {
      case "add":
        return `(${a} + ${b})`;
      case "sub":
        return `(${a} - ${b})`;
      case "mul":
        return `(${a} * ${b})`;
      case "div":
        return `(${a} / ${b})`; // WGSL: truncating; x/0 = x (PyTorch raises before reaching a kernel)
      case "maximum":
        return `max(${a}, ${b})`;
      case "minimum":
        return `min(${a}, ${b})`;
      case "pow":
        return `${use(ctx, "ipow_i32")}(${a}, ${b})`;
      case "fmod":
        return `(${a} % ${b})`;
      case "remainder":
        return `(${a} % ${b} + select(0, ${b}, ${a} % ${b} != 0 && ((${b} < 0) != (${a} % ${b} < 0))))`;
      case "floordiv":
        return `(${a} / ${b} - select(0, 1, ${a} % ${b} != 0 && ((${a} < 0) != (${b} < 0))))`;
    }
  } else {
    // uint8 (values 0..255 in u32, wrapping)
    switch (op) {
      case "add":
        return `((${a} + ${b}) & 255u)`;
      case "sub":
        return `((${a} - ${b}) & 255u)`;
      case "mul":
        return `((${a} * ${b}) & 255u)`;
      case "div":
      case "floordiv":
        return `(${a} / ${b})`;
      case "maximum":
        return `max(${a}, ${b})`;
      case "minimum":
        return `min(${a}, ${b})`;
      case "fmod":
      case "remainder":
        return `(${a} % ${b})`;
      case "pow":
        return `(bitcast<u32>(${use(ctx, "ipow_i32")}(bitcast<i32>(${a}), bitcast<i32>(${b}))) & 255u)`;
    }
  }
  return unsupported(`binary ${op}`, d);
}

function renderConst(d: DType, v: number | bigint, ctx: WgslContext): string {
  const word = (u: number): string => {
    const i = ctx.consts.length;
    ctx.consts.push(u >>> 0);
    return ctx.param(i);
  };
  switch (d) {
    case "float32":
    case "float16":
    case "bfloat16": {
      const f = new Float32Array([Number(v)]);
      return `bitcast<f32>(${word(new Uint32Array(f.buffer)[0] as number)})`;
    }
    case "int32":
      return `bitcast<i32>(${word(Number(v) | 0)})`;
    case "uint8":
      return word(Number(v) & 255);
    case "bool":
      return `(${word(Number(v) ? 1 : 0)} != 0u)`;
    case "int64": {
      const b = BigInt.asUintN(64, BigInt(v));
      return `vec2<u32>(${word(Number(b & 0xffffffffn))}, ${word(Number(b >> 32n))})`;
    }
    case "float64":
      return computeType(d);
  }
}

/** A float64 number converted as the reference's cast would (x86 truncation for integers). */
function castConst(x: number, to: DType): number | bigint {
  switch (to) {
    case "bool":
      return x !== 0 ? 1 : 0;
    case "int64":
      return floatToInt64(x);
    case "int32":
      return x > -2147483649 && x < 2147483648 ? Math.trunc(x) | 0 : -2147483648;
    case "uint8":
      return (x > -2147483649 && x < 2147483648 ? Math.trunc(x) | 0 : 0) & 255;
    default:
      return roundToDtype(x, to);
  }
}

/** Emit statements computing `e` into ctx.lines; returns the WGSL name or expression holding its value. */
export function renderExp(e: Exp, ctx: WgslContext): string {
  const seen = ctx.memo.get(e);
  if (seen !== undefined) return seen;
  let v: string;
  switch (e.k) {
    case "const":
      v = renderConst(e.dtype, e.v, ctx);
      break;
    case "load":
      v = fromStorage(e.dtype, ctx.load(e.i, e.dtype), ctx);
      break;
    case "gload":
      v = fromStorage(e.dtype, ctx.gload(e.i, e.dtype, renderExp(e.off, ctx)), ctx);
      break;
    case "coord":
      v = ctx.coord(e.d);
      ctx.memo.set(e, v);
      return v;
    case "acc":
      return ctx.acc;
    case "un":
      v = renderUnary(e.op, e.dtype, e.a.dtype, renderExp(e.a, ctx), ctx);
      break;
    case "bin":
      v = renderBinary(e.op, e.dtype, e.a.dtype, renderExp(e.a, ctx), renderExp(e.b, ctx), ctx);
      break;
    case "fma":
      if (e.dtype !== "float32") unsupported("fma", e.dtype);
      v = `${use(ctx, "fma_f32")}(${renderExp(e.a, ctx)}, ${renderExp(e.b, ctx)}, ${renderExp(e.c, ctx)})`;
      break;
    case "select":
      v = `select(${renderExp(e.b, ctx)}, ${renderExp(e.a, ctx)}, ${renderExp(e.c, ctx)})`;
      break;
    case "bitcast":
      v = `bitcast<${e.dtype === "int32" ? "i32" : "f32"}>(${renderExp(e.a, ctx)})`;
      break;
    case "cast":
      // core writes numbers as float64 constants cast to the target dtype: fold those here
      if (e.a.k === "const" && e.a.dtype === "float64") v = renderConst(e.dtype, castConst(Number(e.a.v), e.dtype), ctx);
      else v = renderCast(e.a.dtype, e.dtype, renderExp(e.a, ctx), ctx);
      break;
  }
  const name = `t${ctx.next++}`;
  ctx.lines.push(`let ${name}: ${computeType(e.dtype)} = ${v};`);
  ctx.memo.set(e, name);
  return name;
}

export function newContext(parts: Omit<WgslContext, "lines" | "next" | "memo" | "lib" | "consts">): WgslContext {
  return { lines: [], next: 0, memo: new Map(), lib: new Set(), consts: [], ...parts };
}
