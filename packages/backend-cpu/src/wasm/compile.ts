// Compiles core's scalar IR for elementwise kernels to WebAssembly SIMD (4 lanes of 32 bits).
// A kernel walks `rows` rows of n elements (the outer dims' odometer lives in a small descriptor);
// along a row the output is contiguous and every input contiguous, strided (gathered lane by lane)
// or a 0-stride scalar. Supported:
// - float32: load, const, cast, neg/abs/sqrt, add/sub/mul/div, maximum/minimum with the
//   reference's NaN and signed-zero rules, fma with the reference's fmaf rounding (in f64x2),
//   isnan/isinf/isfinite/not, comparisons;
// - int32: load, const, neg/abs/not, add/sub/mul/maximum/minimum (wrapping), comparisons, casts
//   to and from float32 (x86 cvtt semantics) and bool;
// - bool: load, const, and/or/xor/not, add/mul/maximum/minimum, comparisons; select on any kind.
// Outputs: float32/int32 of their expressions, bool or uint8 of bool ones. Anything else: null
// (the caller uses the JS kernel).
//
// Every lane computes exactly what the reference's JS computes for that element, in the same
// IEEE operations (wasm float arithmetic rounds to nearest, no flush-to-zero), so results are
// bitwise the reference's except NaN payloads. Values live in v128 registers: float32 as f32x4,
// int32 as i32x4, bool as an i32x4 mask (all ones = true). A row's last n mod 4 elements are
// computed one at a time with every input splatted, so nothing outside the views is read.
import { type DType, type ir, ir as irNs } from "@lockstep/core";
import { Wasm, type WasmMemory } from "./api.js";
import { Code, encodeModule, I32, Op, Simd, V128 } from "./encode.js";
import { defaultHeap } from "./heap.js";

type Exp = ir.Exp;

/**
 * Where input i's elements are along a row: "contig" (element k at ptr + k·size), "scalar" (one
 * element, broadcast) or "strided" (element k at ptr + k·stride, the stride from the descriptor).
 */
export type InputLayout = "contig" | "scalar" | "strided";

/**
 * (outPtr, ...inPtrs, n, rows, desc): byte offsets into the heap's memory; `rows` rows of n
 * elements. With rows = 1 and no strided input, desc is not read. Otherwise desc (i32 words) holds
 * the row strides in bytes of every operand (out first; read for strided inputs), then one record
 * per outer dim, innermost first: [count, index (0 on entry), per operand the byte step taken when
 * this dim advances and every inner outer dim wraps to 0].
 */
export type WasmKernel = (...ptrsAndN: number[]) => void;

class Unsupported extends Error {}
const no = (): never => {
  throw new Unsupported();
};

const f32Bytes = (v: number): Uint8Array => {
  const b = new Uint8Array(16);
  const f = new Float32Array(b.buffer);
  f.fill(v);
  return b;
};
const i32Bytes = (v: number): Uint8Array => {
  const b = new Uint8Array(16);
  new Int32Array(b.buffer).fill(v);
  return b;
};
const f64Bytes = (v: number): Uint8Array => {
  const b = new Uint8Array(16);
  new Float64Array(b.buffer).fill(v);
  return b;
};
const CANONICAL_NAN = (() => {
  const b = new Uint8Array(16);
  new Uint32Array(b.buffer).fill(0x7fc00000);
  return b;
})();
const ZERO = new Uint8Array(16);
const ONES = i32Bytes(-1);

type Kind = "f32" | "i32" | "bool";
const kindOf = (d: DType): Kind => (d === "float32" ? "f32" : d === "int32" ? "i32" : d === "bool" ? "bool" : no());

const F32_CMP: Record<string, number> = {
  eq: Simd.f32x4Eq,
  ne: Simd.f32x4Ne,
  lt: Simd.f32x4Lt,
  le: Simd.f32x4Le,
  gt: Simd.f32x4Gt,
  ge: Simd.f32x4Ge,
};
const I32_OPS: Record<string, number> = {
  add: Simd.i32x4Add, // wraps, as (a + b) | 0
  sub: Simd.i32x4Sub,
  mul: Simd.i32x4Mul, // Math.imul
  maximum: Simd.i32x4MaxS,
  minimum: Simd.i32x4MinS,
  eq: Simd.i32x4Eq,
  ne: Simd.i32x4Ne,
  lt: Simd.i32x4LtS,
  le: Simd.i32x4LeS,
  gt: Simd.i32x4GtS,
  ge: Simd.i32x4GeS,
};
const F32_ARITH: Record<string, number> = {
  add: Simd.f32x4Add,
  sub: Simd.f32x4Sub,
  mul: Simd.f32x4Mul,
  div: Simd.f32x4Div,
};

/** Builds one kernel's function body. Parameters: 0 = out, 1..nIn = inputs, nIn+1 = n, nIn+2 = rows, nIn+3 = desc. */
class Builder {
  readonly code = new Code();
  readonly locals: number[] = [];
  private memo = new Map<Exp, number>();
  private uses = new Map<Exp, number>();
  private free: number[] = [];

  constructor(
    readonly nIn: number,
    readonly inputDtypes: readonly DType[],
    readonly layout: readonly InputLayout[],
  ) {}

  /** When set, every input is loaded as one element splatted to all lanes (the row tail). */
  splat = false;
  /** Per strided input: locals holding its stride ×1, ×2, ×3 in bytes. */
  readonly strideLocals: (readonly [number, number, number] | undefined)[] = [];

  get nParams(): number {
    return this.nIn + 4;
  }

  private newLocal(type: number): number {
    this.locals.push(type);
    return this.nParams + this.locals.length - 1;
  }
  temp(): number {
    return this.free.pop() ?? this.newLocal(V128);
  }
  release(l: number): void {
    this.free.push(l);
  }
  i32Local(): number {
    return this.newLocal(I32);
  }

  countUses(e: Exp): void {
    const n = (this.uses.get(e) ?? 0) + 1;
    this.uses.set(e, n);
    if (n > 1) return;
    switch (e.k) {
      case "un":
      case "cast":
        this.countUses(e.a);
        break;
      case "bin":
        this.countUses(e.a);
        this.countUses(e.b);
        break;
      case "fma":
      case "select":
        this.countUses(e.a);
        this.countUses(e.b);
        this.countUses(e.c);
        break;
    }
  }

  resetMemo(): void {
    this.memo = new Map();
  }

  /** Push e's vector value. Shared subexpressions are kept in locals (kept for the whole body). */
  emit(e: Exp): void {
    const c = this.code;
    const m = this.memo.get(e);
    if (m !== undefined) {
      c.local(Op.localGet, m);
      return;
    }
    this.emitNode(e);
    if ((this.uses.get(e) ?? 0) > 1 && e.k !== "const") {
      const l = this.newLocal(V128);
      c.local(Op.localTee, l);
      this.memo.set(e, l);
    }
  }

  private emitNode(e: Exp): void {
    const c = this.code;
    switch (e.k) {
      case "const": {
        const v = Number(e.v);
        if (e.dtype === "float32") c.v128(Number.isNaN(v) ? CANONICAL_NAN : f32Bytes(v));
        else if (e.dtype === "bool") c.v128(v !== 0 ? ONES : ZERO);
        else if (e.dtype === "int32") c.v128(i32Bytes(v));
        else no();
        return;
      }
      case "load": {
        const d = this.inputDtypes[e.i];
        if (d === undefined || d !== e.dtype || (d !== "float32" && d !== "int32" && d !== "bool")) no();
        const p = 1 + e.i;
        const scalar = this.splat || this.layout[e.i] === "scalar";
        const strides = scalar ? undefined : this.strideLocals[e.i];
        if (strides) {
          // gather: push the addresses of lanes 3, 2, 1, load lane 0, then insert lanes 1..3
          for (let lane = 3; lane >= 1; lane--)
            c.local(Op.localGet, p)
              .local(Op.localGet, strides[lane - 1] as number)
              .op(Op.i32Add);
          c.local(Op.localGet, p);
          if (d !== "bool") {
            c.mem(Simd.load32Zero, 2);
            for (let lane = 1; lane <= 3; lane++) c.laneMem(Simd.load32Lane, 2, 0, lane);
          } else {
            c.mem(Simd.load8Splat, 0);
            for (let lane = 1; lane <= 3; lane++) c.laneMem(Simd.load8Lane, 0, 0, lane);
          }
        } else {
          c.local(Op.localGet, p);
          if (d !== "bool") c.mem(scalar ? Simd.load32Splat : Simd.load, 2);
          else if (scalar) c.mem(Simd.load8Splat, 0);
          else c.mem(Simd.load32Zero, 0);
        }
        if (d === "bool") {
          // bytes → lane masks: nonzero byte → 0xff, widened to 32 bits with sign extension
          c.v128(ZERO).simd(Simd.i8x16Ne);
          if (!scalar) c.simd(Simd.i16x8ExtendLowI8x16S).simd(Simd.i32x4ExtendLowI16x8S);
        }
        return;
      }
      case "cast": {
        const from = kindOf(e.a.dtype);
        const to = kindOf(e.dtype);
        this.emit(e.a);
        if (from === to) return;
        if (from === "bool")
          c.v128(to === "f32" ? f32Bytes(1) : i32Bytes(1)).simd(Simd.and); // true → 1, false → +0
        else if (to === "bool")
          c.v128(ZERO).simd(from === "f32" ? Simd.f32x4Ne : Simd.i32x4Ne); // +(a !== 0): NaN → true
        else if (to === "f32")
          c.simd(Simd.f32x4ConvertI32x4S); // fr(a): round to nearest even
        else {
          // R.toI32: trunc inside (-2^31 - 1, 2^31), else (and NaN) INT_MIN
          const t = this.temp();
          c.local(Op.localTee, t).simd(Simd.i32x4TruncSatF32x4S).v128(i32Bytes(-2147483648));
          c.local(Op.localGet, t).v128(f32Bytes(-2147483648)).simd(Simd.f32x4Ge);
          c.local(Op.localGet, t).v128(f32Bytes(2147483648)).simd(Simd.f32x4Lt).simd(Simd.and);
          c.simd(Simd.bitselect);
          this.release(t);
        }
        return;
      }
      case "un":
        this.unary(e.op, kindOf(e.a.dtype), e.a);
        return;
      case "bin":
        this.binary(e.op, kindOf(e.a.dtype), kindOf(e.b.dtype), e.a, e.b);
        return;
      case "select": {
        if (kindOf(e.a.dtype) !== kindOf(e.b.dtype)) no();
        this.emit(e.a);
        this.emit(e.b);
        this.emitMask(e.c);
        c.simd(Simd.bitselect);
        return;
      }
      case "fma":
        if (e.dtype !== "float32" || e.a.dtype !== "float32" || e.b.dtype !== "float32" || e.c.dtype !== "float32") no();
        this.fma(e.a, e.b, e.c);
        return;
      default:
        no();
    }
  }

  /** A condition as a lane mask: bool as is; numbers by JS truthiness (nonzero and not NaN). */
  private emitMask(e: Exp): void {
    const k = kindOf(e.dtype);
    this.emit(e);
    if (k === "bool") return;
    if (k === "i32") {
      this.code.v128(ZERO).simd(Simd.i32x4Ne);
      return;
    }
    const t = this.temp();
    const c = this.code;
    c.local(Op.localTee, t).v128(ZERO).simd(Simd.f32x4Lt);
    c.local(Op.localGet, t).v128(ZERO).simd(Simd.f32x4Gt).simd(Simd.or);
    this.release(t);
  }

  private unary(op: ir.UnaryOp, k: Kind, a: Exp): void {
    const c = this.code;
    if (k === "bool") {
      if (op !== "not") no();
      this.emit(a);
      c.simd(Simd.not);
      return;
    }
    if (k === "i32") {
      // ((-a) | 0), (Math.abs(a) | 0) wrap like the SIMD ops; predicates of ints are constants
      if (op === "isnan" || op === "isinf" || op === "isfinite") {
        c.v128(op === "isfinite" ? ONES : ZERO);
        return;
      }
      const o = op === "neg" ? Simd.i32x4Neg : op === "abs" ? Simd.i32x4Abs : op === "not" ? Simd.i32x4Eq : no();
      this.emit(a);
      if (op === "not") c.v128(ZERO);
      c.simd(o);
      return;
    }
    switch (op) {
      case "neg":
        this.emit(a);
        c.simd(Simd.f32x4Neg);
        return;
      case "abs":
        this.emit(a);
        c.simd(Simd.f32x4Abs);
        return;
      case "sqrt":
        this.emit(a);
        c.simd(Simd.f32x4Sqrt);
        return;
      case "not": // +(a === 0)
        this.emit(a);
        c.v128(ZERO).simd(Simd.f32x4Eq);
        return;
      case "isnan": {
        const t = this.temp();
        this.emit(a);
        c.local(Op.localTee, t).local(Op.localGet, t).simd(Simd.f32x4Ne);
        this.release(t);
        return;
      }
      case "isinf":
        this.emit(a);
        c.simd(Simd.f32x4Abs).v128(f32Bytes(Number.POSITIVE_INFINITY)).simd(Simd.f32x4Eq);
        return;
      case "isfinite":
        this.emit(a);
        c.simd(Simd.f32x4Abs).v128(f32Bytes(Number.POSITIVE_INFINITY)).simd(Simd.f32x4Lt);
        return;
      default:
        no();
    }
  }

  private binary(op: string, ka: Kind, kb: Kind, a: Exp, b: Exp): void {
    const c = this.code;
    if (ka !== kb) no();
    if (ka === "bool") {
      // masks: a op b on 0/1 values
      const ops: Record<string, () => void> = {
        and: () => c.simd(Simd.and),
        mul: () => c.simd(Simd.and),
        minimum: () => c.simd(Simd.and),
        or: () => c.simd(Simd.or),
        add: () => c.simd(Simd.or),
        maximum: () => c.simd(Simd.or),
        xor: () => c.simd(Simd.xor),
        ne: () => c.simd(Simd.xor),
        eq: () => c.simd(Simd.xor).simd(Simd.not),
        gt: () => c.simd(Simd.andnot), // a & ~b
        le: () => c.simd(Simd.andnot).simd(Simd.not),
      };
      const swapped: Record<string, () => void> = {
        lt: () => c.simd(Simd.andnot), // b & ~a
        ge: () => c.simd(Simd.andnot).simd(Simd.not),
      };
      const f = ops[op];
      const g = swapped[op];
      if (f) {
        this.emit(a);
        this.emit(b);
        f();
      } else if (g) {
        this.emit(b);
        this.emit(a);
        g();
      } else no();
      return;
    }
    if (ka === "i32") {
      const o = I32_OPS[op] ?? no();
      this.emit(a);
      this.emit(b);
      c.simd(o);
      return;
    }
    const arith = F32_ARITH[op] ?? F32_CMP[op];
    if (arith !== undefined) {
      this.emit(a);
      this.emit(b);
      c.simd(arith);
      return;
    }
    if (op === "maximum" || op === "minimum") {
      // NaN if either is NaN, else a > b ? a : b (a < b for minimum): ties go to b
      const ta = this.temp();
      const tb = this.temp();
      this.emit(a);
      c.local(Op.localSet, ta);
      this.emit(b);
      c.local(Op.localSet, tb);
      c.v128(CANONICAL_NAN);
      c.local(Op.localGet, ta).local(Op.localGet, tb);
      c.local(Op.localGet, ta)
        .local(Op.localGet, tb)
        .simd(op === "maximum" ? Simd.f32x4Gt : Simd.f32x4Lt);
      c.simd(Simd.bitselect);
      c.local(Op.localGet, ta).local(Op.localGet, ta).simd(Simd.f32x4Ne);
      c.local(Op.localGet, tb).local(Op.localGet, tb).simd(Simd.f32x4Ne).simd(Simd.or);
      c.simd(Simd.bitselect);
      this.release(ta);
      this.release(tb);
      return;
    }
    no();
  }

  /** The reference's fmaf, lane by lane in float64 (two f64x2 halves). */
  private fma(a: Exp, b: Exp, cc: Exp): void {
    const c = this.code;
    const ins = [a, b, cc].map((x) => {
      const t = this.temp();
      this.emit(x);
      c.local(Op.localSet, t);
      return t;
    });
    const halves: number[] = [];
    for (const hi of [false, true]) {
      const [pa, pb, pc] = ins.map(() => this.temp()) as [number, number, number];
      ins.forEach((t, i) => {
        c.local(Op.localGet, t);
        if (hi) c.local(Op.localGet, t).shuffle([8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]);
        c.simd(Simd.f64x2PromoteLowF32x4).local(Op.localSet, [pa, pb, pc][i] as number);
      });
      const [p, s, r, d, other, bb] = [0, 0, 0, 0, 0, 0].map(() => this.temp()) as number[] as [
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      const get = (l: number) => c.local(Op.localGet, l);
      // p = a*b; s = p + c; r = fr(s); d = s - r; other = r + 2d
      get(pa).local(Op.localGet, pb).simd(Simd.f64x2Mul).local(Op.localTee, p);
      get(pc).simd(Simd.f64x2Add).local(Op.localTee, s);
      c.simd(Simd.f32x4DemoteF64x2Zero).simd(Simd.f64x2PromoteLowF32x4).local(Op.localSet, r);
      get(s).local(Op.localGet, r).simd(Simd.f64x2Sub).local(Op.localSet, d);
      get(r).v128(f64Bytes(2)).local(Op.localGet, d).simd(Simd.f64x2Mul).simd(Simd.f64x2Add).local(Op.localSet, other);
      // bb = s - p; err = p - (s - bb) + (c - bb)
      get(s).local(Op.localGet, p).simd(Simd.f64x2Sub).local(Op.localSet, bb);
      // bitselect(other, r, fr(other) === other & err·d > 0)
      get(other).local(Op.localGet, r);
      get(other).simd(Simd.f32x4DemoteF64x2Zero).simd(Simd.f64x2PromoteLowF32x4).local(Op.localGet, other).simd(Simd.f64x2Eq);
      get(p).local(Op.localGet, s).local(Op.localGet, bb).simd(Simd.f64x2Sub).simd(Simd.f64x2Sub);
      get(pc).local(Op.localGet, bb).simd(Simd.f64x2Sub).simd(Simd.f64x2Add);
      get(d).simd(Simd.f64x2Mul).v128(ZERO).simd(Simd.f64x2Gt);
      c.simd(Simd.and).simd(Simd.bitselect);
      c.simd(Simd.f32x4DemoteF64x2Zero); // exact: r and a chosen other are float32 values
      const h = this.temp();
      c.local(Op.localSet, h);
      halves.push(h);
      for (const t of [pa, pb, pc, p, s, r, d, other, bb]) this.release(t);
    }
    const [lo, hi] = halves as [number, number];
    c.local(Op.localGet, lo).local(Op.localGet, hi);
    c.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]);
    for (const t of [...ins, lo, hi]) this.release(t);
  }
}

function build(e: Exp, outDtype: DType, inputDtypes: readonly DType[], layout: readonly InputLayout[], maxPages: number) {
  const outKind = kindOf(e.dtype);
  if (outKind === "bool" ? outDtype !== "bool" && outDtype !== "uint8" : outDtype !== e.dtype) no();
  const nIn = inputDtypes.length;
  if (layout.length !== nIn) no();
  const B = new Builder(nIn, inputDtypes, layout);
  B.countUses(e);
  const c = B.code;
  const [N, ROWS, DESC] = [nIn + 1, nIn + 2, nIn + 3];
  const get = (l: number) => c.local(Op.localGet, l);
  const outSize = outKind === "bool" ? 1 : 4;
  const inSize = inputDtypes.map((d) => (d === "bool" ? 1 : 4));
  const v = B.temp();
  // strided inputs: stride ×1..×4 in bytes, from the descriptor
  const step4: (number | undefined)[] = [];
  for (let i = 0; i < nIn; i++) {
    if (layout[i] !== "strided") continue;
    const [s1, s2, s3, s4] = [B.i32Local(), B.i32Local(), B.i32Local(), B.i32Local()];
    get(DESC)
      .scalarMem(Op.i32Load, 2, 4 * (1 + i))
      .local(Op.localTee, s1)
      .local(Op.localGet, s1)
      .op(Op.i32Add)
      .local(Op.localTee, s2)
      .local(Op.localGet, s1)
      .op(Op.i32Add)
      .local(Op.localSet, s3);
    get(s2).local(Op.localGet, s2).op(Op.i32Add).local(Op.localSet, s4);
    B.strideLocals[i] = [s1, s2, s3];
    step4[i] = s4;
  }
  /** Advance every pointer by one vector (4 elements) or, in the tail, by one element. */
  const advance = (vector: boolean) => {
    get(0)
      .i32((vector ? 4 : 1) * outSize)
      .op(Op.i32Add)
      .local(Op.localSet, 0);
    for (let i = 0; i < nIn; i++) {
      if (layout[i] === "scalar") continue;
      get(1 + i);
      const s4 = step4[i];
      if (s4 === undefined) c.i32((vector ? 4 : 1) * (inSize[i] as number));
      else if (vector) get(s4);
      else get((B.strideLocals[i] as readonly number[])[0] as number);
      c.op(Op.i32Add).local(Op.localSet, 1 + i);
    }
  };
  /** Computes e, as stored: float32 lanes, or bool lanes as 0/1 bytes in lanes 0..3 of a byte vector. */
  const compute = () => {
    B.resetMemo();
    B.emit(e);
    if (outKind === "bool") {
      c.v128(new Uint8Array(new Int32Array([1, 1, 1, 1]).buffer)).simd(Simd.and);
      c.local(Op.localTee, v).local(Op.localGet, v);
      c.shuffle([0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12, 0, 4, 8, 12]);
    }
  };
  // each row starts from its operands' base pointers, which the descriptor's steps move
  const base = Array.from({ length: nIn + 1 }, (_, k) => {
    const l = B.i32Local();
    get(k).local(Op.localSet, l);
    return l;
  });
  const rowN = B.i32Local();
  get(N).local(Op.localSet, rowN);
  const [q, idx] = [B.i32Local(), B.i32Local()];
  c.open(Op.block).open(Op.loop);
  base.forEach((l, k) => get(l).local(Op.localSet, k));
  get(rowN).local(Op.localSet, N);
  // while (n >= 4) { out[0..4) = e(...); advance; n -= 4 }
  c.open(Op.block).open(Op.loop);
  get(N).i32(4).op(Op.i32LtU).br(Op.brIf, 1);
  get(0);
  compute();
  if (outKind !== "bool") c.mem(Simd.store, 2);
  else c.laneMem(Simd.store32Lane, 0, 0, 0);
  advance(true);
  get(N).i32(4).op(Op.i32Sub).local(Op.localSet, N);
  c.br(Op.br, 0);
  c.op(Op.end).op(Op.end);
  // tail: one element at a time, every input splatted (nothing read past a row's last element)
  c.open(Op.block).open(Op.loop);
  get(N).op(Op.i32Eqz).br(Op.brIf, 1);
  B.splat = true;
  get(0);
  compute();
  B.splat = false;
  c.laneMem(outKind !== "bool" ? Simd.store32Lane : Simd.store8Lane, outKind !== "bool" ? 2 : 0, 0, 0);
  advance(false);
  get(N).i32(1).op(Op.i32Sub).local(Op.localSet, N);
  c.br(Op.br, 0);
  c.op(Op.end).op(Op.end);
  // next row: if (rows < 2) done (a missing rows argument reads as 0: one row); else rows -= 1 and
  // advance the first outer dim that does not wrap
  get(ROWS).i32(2).op(Op.i32LtS).br(Op.brIf, 1);
  get(ROWS).i32(1).op(Op.i32Sub).local(Op.localSet, ROWS);
  get(DESC)
    .i32(4 * (nIn + 1))
    .op(Op.i32Add)
    .local(Op.localSet, q);
  c.open(Op.block).open(Op.loop);
  get(q).scalarMem(Op.i32Load, 2, 4).i32(1).op(Op.i32Add).local(Op.localTee, idx);
  get(q).scalarMem(Op.i32Load, 2, 0).op(Op.i32LtU).open(Op.if);
  get(q).local(Op.localGet, idx).scalarMem(Op.i32Store, 2, 4);
  base.forEach((l, k) => {
    get(l)
      .local(Op.localGet, q)
      .scalarMem(Op.i32Load, 2, 8 + 4 * k)
      .op(Op.i32Add)
      .local(Op.localSet, l);
  });
  c.br(Op.br, 2);
  c.op(Op.end);
  get(q).i32(0).scalarMem(Op.i32Store, 2, 4);
  get(q)
    .i32(4 * (nIn + 3))
    .op(Op.i32Add)
    .local(Op.localSet, q);
  c.br(Op.br, 0);
  c.op(Op.end).op(Op.end);
  c.br(Op.br, 0);
  c.op(Op.end).op(Op.end);
  return encodeModule(B.nParams, B.locals, c, maxPages);
}

const caches = new WeakMap<WasmMemory, Map<string, WasmKernel | null>>();

/**
 * A WebAssembly kernel computing `e` over rows of elements (see WasmKernel), or null where the
 * expression, dtypes or layout are not supported. Kernels are cached per memory by the
 * expression's key, dtypes and layout. Pointers are byte offsets into `memory` (default: the
 * process heap).
 */
export function compileElementwise(
  e: Exp,
  outDtype: DType,
  inputDtypes: readonly DType[],
  layout: readonly InputLayout[],
  heap: { memory: WasmMemory; maxPages: number } = defaultHeap(),
): WasmKernel | null {
  let cache = caches.get(heap.memory);
  if (!cache) {
    cache = new Map();
    caches.set(heap.memory, cache);
  }
  const key = `${outDtype}|${inputDtypes.join(",")}|${layout.join(",")}|${irNs.expKey(e)}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  let kernel: WasmKernel | null = null;
  try {
    const bytes = build(e, outDtype, inputDtypes, layout, heap.maxPages);
    const mod = new Wasm.Module(bytes);
    const inst = new Wasm.Instance(mod, { env: { memory: heap.memory } });
    kernel = inst.exports.fn as WasmKernel;
  } catch (err) {
    if (!(err instanceof Unsupported)) throw err;
  }
  cache.set(key, kernel);
  return kernel;
}
