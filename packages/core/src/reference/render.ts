// Renders IR expressions to JavaScript source for the reference backend.
// Values: floats are JS numbers holding the exact value of their dtype (float32 results are
// rounded with Math.fround after every operation, so each f32 operation is rounded once);
// int32/uint8/bool are numbers; int64 is bigint.
import type { DType } from "../dtype.js";
import type { Exp } from "../ir.js";

export interface RenderContext {
  lines: string[];
  next: number;
  memo: Map<Exp, string>;
  /** JS expression reading input i at the current position. */
  load(i: number): string;
  /** JS expression reading input i's storage at element offset `off`. */
  gload(i: number, off: string): string;
  coord(d: number): string;
  acc: string;
}

/** Convert a raw storage element to its compute value. */
export function fromStorage(dtype: DType, raw: string): string {
  if (dtype === "float16") return `R.halfBitsToNumber(${raw})`;
  if (dtype === "bfloat16") return `R.bf16BitsToNumber(${raw})`;
  return raw;
}

/** Convert a compute value to its storage element. */
export function toStorage(dtype: DType, v: string): string {
  if (dtype === "float16") return `R.toHalfBits(${v})`;
  if (dtype === "bfloat16") return `R.toBF16Bits(${v})`;
  return v;
}

const isF = (d: DType) => d === "float32" || d === "float64" || d === "float16" || d === "bfloat16";

/** Round a float64 JS result to the dtype's value set. */
function round(d: DType, v: string): string {
  switch (d) {
    case "float32":
      return `fr(${v})`;
    case "float16":
      return `R.toHalf(${v})`;
    case "bfloat16":
      return `R.toBF16(${v})`;
    default:
      return v;
  }
}

function renderCast(from: DType, to: DType, a: string): string {
  if (from === to) return a;
  if (to === "bool") return from === "int64" ? `(+(${a} !== 0n))` : `(+(${a} !== 0))`;
  if (from === "int64") {
    if (to === "float32") return `R.i64ToF32(${a})`;
    if (isF(to)) return round(to, `Number(${a})`);
    if (to === "int32") return `Number(BigInt.asIntN(32, ${a}))`;
    return `Number(BigInt.asUintN(8, ${a}))`;
  }
  if (to === "int64") return isF(from) ? `R.toI64(${a})` : `BigInt(${a})`;
  if (isF(to)) return isF(from) ? round(to, a) : round(to, a); // ints are exact in float64
  if (isF(from)) return to === "int32" ? `R.toI32(${a})` : `R.toU8(${a})`;
  // int ↔ int (int32, uint8, bool sources)
  return to === "int32" ? `(${a} | 0)` : `(${a} & 255)`;
}

const UNARY_F: Record<string, string> = {
  sqrt: "Math.sqrt",
  exp: "Math.exp",
  expm1: "Math.expm1",
  log: "Math.log",
  log2: "Math.log2",
  sin: "Math.sin",
  cos: "Math.cos",
  tan: "Math.tan",
  tanh: "Math.tanh",
  erf: "R.erf",
};

function renderUnary(op: string, d: DType, from: DType, a: string): string {
  if (op === "not") return from === "int64" ? `(+(${a} === 0n))` : `(+(${a} === 0))`;
  if (op === "isnan") return isF(from) ? `(+(${a} !== ${a}))` : "0";
  if (op === "isinf") return isF(from) ? `(+(Math.abs(${a}) === Infinity))` : "0";
  if (op === "isfinite") return isF(from) ? `(+Number.isFinite(${a}))` : "1";
  if (d === "int64") {
    if (op === "neg") return `BigInt.asIntN(64, -${a})`;
    if (op === "abs") return `BigInt.asIntN(64, ${a} < 0n ? -${a} : ${a})`;
    if (op === "sign") return `(${a} > 0n ? 1n : ${a} < 0n ? -1n : 0n)`;
    if (["floor", "ceil", "round", "trunc"].includes(op)) return a;
  } else if (d === "int32" || d === "uint8" || d === "bool") {
    const wrap = d === "int32" ? "| 0" : "& 255";
    if (op === "neg") return `((-${a}) ${wrap})`;
    if (op === "abs") return `(Math.abs(${a}) ${wrap})`;
    if (op === "sign") return `Math.sign(${a})`;
    if (["floor", "ceil", "round", "trunc"].includes(op)) return a;
  } else {
    if (op === "neg") return `(-${a})`;
    if (op === "abs") return `Math.abs(${a})`;
    if (op === "sign") return `R.sign(${a})`;
    if (op === "floor") return `Math.floor(${a})`;
    if (op === "ceil") return `Math.ceil(${a})`;
    if (op === "trunc") return `Math.trunc(${a})`;
    if (op === "round") return `R.rint(${a})`;
    if (op === "log1p") return round(d, `${d === "float64" ? "R.log1p64" : "R.log1pf"}(${a})`);
    const f = UNARY_F[op];
    if (f) return round(d, `${f}(${a})`);
  }
  throw new Error(`reference: no rendering of unary ${op} for ${d}`);
}

const CMP: Record<string, string> = { eq: "===", ne: "!==", lt: "<", le: "<=", gt: ">", ge: ">=" };

function renderBinary(op: string, d: DType, from: DType, a: string, b: string): string {
  const cmp = CMP[op];
  // `+(a < b)` compiles to a flag set, not a branch (random signs mispredict ~50%: 4x slower)
  if (cmp) return `(+(${a} ${cmp} ${b}))`;
  if (op === "and") return `(${a} & ${b})`;
  if (op === "or") return `(${a} | ${b})`;
  if (op === "xor") return `(${a} ^ ${b})`;
  if (isF(d)) {
    const r = (v: string) => round(d, v);
    const rf = d === "float64" ? "R.id" : d === "float32" ? "fr" : d === "float16" ? "R.toHalf" : "R.toBF16";
    switch (op) {
      case "add":
        return r(`${a} + ${b}`);
      case "sub":
        return r(`${a} - ${b}`);
      case "mul":
        return r(`${a} * ${b}`);
      case "div":
        return r(`${a} / ${b}`);
      case "pow":
        return r(`R.pow(${a}, ${b})`);
      case "atan2":
        return r(`Math.atan2(${a}, ${b})`);
      case "maximum":
        return `R.fmax(${a}, ${b})`;
      case "minimum":
        return `R.fmin(${a}, ${b})`;
      case "fmod":
        return `(${a} % ${b})`;
      case "remainder":
        return `R.remainder(${a}, ${b}, ${rf})`;
      case "floordiv":
        return `R.floordiv(${a}, ${b}, ${rf})`;
    }
  } else if (d === "int64") {
    const w = (v: string) => `BigInt.asIntN(64, ${v})`;
    switch (op) {
      case "add":
        return w(`${a} + ${b}`);
      case "sub":
        return w(`${a} - ${b}`);
      case "mul":
        return w(`${a} * ${b}`);
      case "div":
        return w(`${a} / ${b}`);
      case "maximum":
        return `(${a} > ${b} ? ${a} : ${b})`;
      case "minimum":
        return `(${a} < ${b} ? ${a} : ${b})`;
      case "fmod":
        return `(${a} % ${b})`;
      case "remainder":
        return `R.bremainder(${a}, ${b})`;
      case "floordiv":
        return w(`R.bfloordiv(${a}, ${b})`);
      case "pow":
        return `R.ipow(${a}, ${b}, 64)`;
    }
  } else if (d === "bool") {
    if (op === "add" || op === "maximum") return `(${a} | ${b})`;
    if (op === "mul" || op === "minimum") return `(${a} & ${b})`;
  } else {
    const w = (v: string) => (d === "int32" ? `((${v}) | 0)` : `((${v}) & 255)`);
    switch (op) {
      case "add":
        return w(`${a} + ${b}`);
      case "sub":
        return w(`${a} - ${b}`);
      case "mul":
        return d === "int32" ? `Math.imul(${a}, ${b})` : w(`${a} * ${b}`);
      case "div":
        return w(`Math.trunc(${a} / ${b})`);
      case "maximum":
        return `Math.max(${a}, ${b})`;
      case "minimum":
        return `Math.min(${a}, ${b})`;
      case "fmod":
        return `(${a} % ${b})`;
      case "remainder":
        return `R.iremainder(${a}, ${b})`;
      case "floordiv":
        return w(`R.ifloordiv(${a}, ${b})`);
      case "pow":
        return w(`Number(R.ipow(BigInt(${a}), BigInt(${b}), 32))`);
    }
  }
  throw new Error(`reference: no rendering of binary ${op} for ${d} (operands ${from})`);
}

function renderConst(d: DType, v: number | bigint): string {
  if (typeof v === "bigint") return `${v}n`;
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "Infinity";
  if (v === Number.NEGATIVE_INFINITY) return "-Infinity";
  if (Object.is(v, -0)) return "-0";
  return d === "int64" ? `${BigInt(v)}n` : `(${v})`;
}

/** Emit statements computing `e` into ctx.lines; returns the JS name or literal holding its value. */
export function renderExp(e: Exp, ctx: RenderContext): string {
  const seen = ctx.memo.get(e);
  if (seen !== undefined) return seen;
  let v: string;
  switch (e.k) {
    case "const":
      v = renderConst(e.dtype, e.v);
      ctx.memo.set(e, v);
      return v;
    case "load":
      v = fromStorage(e.dtype, ctx.load(e.i));
      break;
    case "gload":
      v = fromStorage(e.dtype, ctx.gload(e.i, renderExp(e.off, ctx)));
      break;
    case "coord":
      v = ctx.coord(e.d);
      ctx.memo.set(e, v);
      return v;
    case "acc":
      return ctx.acc;
    case "un":
      v = renderUnary(e.op, e.dtype, e.a.dtype, renderExp(e.a, ctx));
      break;
    case "bin":
      v = renderBinary(e.op, e.dtype, e.a.dtype, renderExp(e.a, ctx), renderExp(e.b, ctx));
      break;
    case "fma": {
      const f = e.dtype === "float64" ? "R.fma64" : e.dtype === "float32" ? "R.fmaf" : null;
      if (!f) throw new Error(`reference: fma is only defined for float32/float64, got ${e.dtype}`);
      v = `${f}(${renderExp(e.a, ctx)}, ${renderExp(e.b, ctx)}, ${renderExp(e.c, ctx)})`;
      break;
    }
    case "select": {
      const [c, a, b] = [renderExp(e.c, ctx), renderExp(e.a, ctx), renderExp(e.b, ctx)];
      // Branch-free for number values with a 0/1 (bool) condition: both operands are computed
      // already, so pick one through a two-slot scratch array (a ternary mispredicts on random data).
      v =
        e.dtype !== "int64" && e.c.dtype === "bool" ? `(R.SEL[0] = ${b}, R.SEL[1] = ${a}, R.SEL[${c}])` : `(${c} ? ${a} : ${b})`;
      break;
    }
    case "cast":
      v = renderCast(e.a.dtype, e.dtype, renderExp(e.a, ctx));
      break;
    case "bitcast":
      v = e.dtype === "int32" ? `(R.f32Bits(${renderExp(e.a, ctx)}) | 0)` : `R.bitsToF32(${renderExp(e.a, ctx)})`;
      break;
  }
  const name = `t${ctx.next++}`;
  ctx.lines.push(`const ${name} = ${v};`);
  ctx.memo.set(e, name);
  return name;
}
