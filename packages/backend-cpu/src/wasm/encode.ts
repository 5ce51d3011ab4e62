// A minimal WebAssembly binary encoder: just enough to emit one module that imports a shared
// memory and exports one function of i32 parameters (the kernels compile.ts builds). Hand-written
// instead of assembling WAT with `wabt` (≈1.5 MB, async init): the subset is small, the encoder is
// synchronous, and opcodes are numbers the compiler can emit directly.

/** Opcodes used by the kernels (core and the 0xfd SIMD prefix). */
export const Op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GtU: 0x4b,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  i32Load: 0x28,
  f32Load: 0x2a,
  i32Store: 0x36,
  f32Store: 0x38,
  f32Add: 0x92,
  select: 0x1b,
  else: 0x05,
} as const;

/** SIMD opcodes (after the 0xfd prefix, LEB128-encoded). */
export const Simd = {
  load: 0x00,
  load8Splat: 0x07,
  load32Splat: 0x09,
  store: 0x0b,
  const: 0x0c,
  shuffle: 0x0d,
  f32x4ExtractLane: 0x1f,
  i8x16Ne: 0x24,
  i32x4Eq: 0x37,
  i32x4Ne: 0x38,
  i32x4LtS: 0x39,
  i32x4GtS: 0x3b,
  i32x4LeS: 0x3d,
  i32x4GeS: 0x3f,
  f32x4Eq: 0x41,
  f32x4Ne: 0x42,
  f32x4Lt: 0x43,
  f32x4Gt: 0x44,
  f32x4Le: 0x45,
  f32x4Ge: 0x46,
  f64x2Eq: 0x47,
  f64x2Gt: 0x4a,
  not: 0x4d,
  and: 0x4e,
  andnot: 0x4f,
  or: 0x50,
  xor: 0x51,
  bitselect: 0x52,
  load8Lane: 0x54,
  load32Lane: 0x56,
  store8Lane: 0x58,
  store32Lane: 0x5a,
  load32Zero: 0x5c,
  f32x4DemoteF64x2Zero: 0x5e,
  f64x2PromoteLowF32x4: 0x5f,
  i16x8ExtendLowI8x16S: 0x87,
  i32x4ExtendLowI16x8S: 0xa7,
  i32x4Abs: 0xa0,
  i32x4Neg: 0xa1,
  i32x4Add: 0xae,
  i32x4Sub: 0xb1,
  i32x4Mul: 0xb5,
  i32x4MinS: 0xb6,
  i32x4MaxS: 0xb8,
  f32x4Abs: 0xe0,
  f32x4Neg: 0xe1,
  f32x4Sqrt: 0xe3,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
  f64x2Add: 0xf0,
  f64x2Sub: 0xf1,
  f64x2Mul: 0xf2,
  i32x4TruncSatF32x4S: 0xf8,
  f32x4ConvertI32x4S: 0xfa,
} as const;

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
const VOID = 0x40;

function uleb(out: number[], v: number): void {
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
}

function sleb(out: number[], v: number): void {
  v |= 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

/** A function body under construction: typed emitters over a byte array. */
export class Code {
  readonly bytes: number[] = [];
  op(o: number): this {
    this.bytes.push(o);
    return this;
  }
  /** block / loop / if with no result. */
  open(o: number): this {
    this.bytes.push(o, VOID);
    return this;
  }
  br(o: number, depth: number): this {
    this.bytes.push(o);
    uleb(this.bytes, depth);
    return this;
  }
  local(o: number, index: number): this {
    this.bytes.push(o);
    uleb(this.bytes, index);
    return this;
  }
  i32(v: number): this {
    this.bytes.push(Op.i32Const);
    sleb(this.bytes, v);
    return this;
  }
  f32(v: number): this {
    this.bytes.push(0x43);
    for (const b of new Uint8Array(Float32Array.of(v).buffer)) this.bytes.push(b);
    return this;
  }
  /** A scalar memory access (f32.load / f32.store): alignment exponent and constant byte offset. */
  scalarMem(o: number, alignLog2: number, offset = 0): this {
    this.bytes.push(o);
    uleb(this.bytes, alignLog2);
    uleb(this.bytes, offset);
    return this;
  }
  lane(o: number, lane: number): this {
    this.simd(o);
    this.bytes.push(lane);
    return this;
  }
  simd(o: number): this {
    this.bytes.push(0xfd);
    uleb(this.bytes, o);
    return this;
  }
  /** A SIMD memory access: alignment exponent and constant byte offset. */
  mem(o: number, alignLog2: number, offset = 0): this {
    this.simd(o);
    uleb(this.bytes, alignLog2);
    uleb(this.bytes, offset);
    return this;
  }
  /** A SIMD lane access (load8_lane / load32_lane / store8_lane / store32_lane). */
  laneMem(o: number, alignLog2: number, offset: number, lane: number): this {
    this.mem(o, alignLog2, offset);
    this.bytes.push(lane);
    return this;
  }
  v128(bytes: Uint8Array): this {
    this.simd(Simd.const);
    for (const b of bytes) this.bytes.push(b);
    return this;
  }
  shuffle(lanes: readonly number[]): this {
    this.simd(Simd.shuffle);
    for (const l of lanes) this.bytes.push(l);
    return this;
  }
}

function section(out: number[], id: number, body: number[]): void {
  out.push(id);
  uleb(out, body.length);
  for (const b of body) out.push(b);
}

function name(out: number[], s: string): void {
  uleb(out, s.length);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
}

/**
 * A module importing `env.memory` (shared, `maxPages` maximum) and exporting `fn`: `nParams` i32
 * parameters, no result, locals as listed (each one value type), body `code` (without the final end).
 */
export function encodeModule(nParams: number, locals: readonly number[], code: Code, maxPages: number): Uint8Array {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const type: number[] = [1, 0x60];
  uleb(type, nParams);
  for (let i = 0; i < nParams; i++) type.push(I32);
  type.push(0);
  section(out, 1, type);
  const imp: number[] = [1];
  name(imp, "env");
  name(imp, "memory");
  imp.push(0x02, 0x03); // memory, limits: shared with maximum
  uleb(imp, 0);
  uleb(imp, maxPages);
  section(out, 2, imp);
  section(out, 3, [1, 0]);
  const exp: number[] = [1];
  name(exp, "fn");
  exp.push(0x00, 0);
  section(out, 7, exp);
  const body: number[] = [];
  uleb(body, locals.length);
  for (const t of locals) body.push(1, t);
  for (const b of code.bytes) body.push(b);
  body.push(Op.end);
  const fn: number[] = [];
  uleb(fn, body.length);
  for (const b of body) fn.push(b);
  const codeSec: number[] = [1];
  for (const b of fn) codeSec.push(b);
  section(out, 10, codeSec);
  return Uint8Array.from(out);
}
