// Tensor-level random sampling: torch.rand/randn/randint/randperm/normal/bernoulli/multinomial,
// the *Like variants, the in-place methods uniform_/normal_/random_/bernoulli_/exponential_/cauchy_/
// logNormal_/geometric_, and dropout's mask.
//
// Values are generated on the host and uploaded (or copied into the target for in-place methods).
// With a "mt19937" generator (the CPU default) every function reproduces PyTorch 1.13's CPU kernels
// bit for bit: the same draws from the stream in the same order (TensorIterator's order for
// in-place methods on non-contiguous tensors), the same arithmetic (the FMAs of PyTorch's x86 build,
// glibc's log/sin/cos/exp, the AVX2 float32 normal kernel). With a "philox" generator (every other
// device's default) element i depends only on (seed, offset, i); philox.ts specifies the formulas.

import { noGrad } from "../autograd/graph.js";
import {
  bf16BitsToNumber,
  type DType,
  defaultFloat,
  halfBitsToNumber,
  isFloating,
  storageArray,
  type TypedArray,
  toBF16Bits,
  toHalfBits,
} from "../dtype.js";
import { DeviceError, DTypeError, fmtShape, ShapeError, ValueError } from "../errors.js";
import { empty, fromStorageArray } from "../ops/core.js";
import { add_, copyInto, div_, mul, mul_ } from "../ops/elementwise.js";
import { fmaf, i64ToF32, toI32, toI64, toU8 } from "../reference/scalar.js";
import { broadcastShapes, numel, sizeArgs } from "../shape.js";
import { Tensor } from "../tensor.js";
import { normalFill16Avx2 } from "./avx_math.js";
import { defaultGeneratorFor, type Generator } from "./generator.js";
import { fma, exp as glibcExp, log as glibcLog, tan as glibcTan, logf, sincosfTo, sincosTo } from "./glibc_math.js";
import type { MT19937 } from "./mt19937.js";
import { PhiloxStream, philoxNormal32, philoxNormal64 } from "./philox.js";

const fr = Math.fround;

export interface GeneratorOption {
  /** The generator to draw from (default: the default generator of the result's device). */
  generator?: Generator | null;
}
export interface RandomCreateOptions extends GeneratorOption {
  dtype?: DType;
  device?: string;
  requiresGrad?: boolean;
}

const isCpu = (d: string): boolean => d === "cpu" || d === "reference";

/** The generator for a draw on `device`: the given one (checked) or the device's default. */
function generatorFor(op: string, device: string, g: Generator | null | undefined): Generator {
  if (!g) return defaultGeneratorFor(device);
  const ok = isCpu(device) ? isCpu(g.device) : g.device === device;
  if (!ok)
    throw new DeviceError(
      op,
      `Expected a '${isCpu(device) ? "cpu" : device}' device type for generator but found '${g.device}' (use a generator created with { device: '${device}' })`,
    );
  return g;
}

// ---------------------------------------------------------------------------------------------
// the bits of one draw

/**
 * The random words of one draw. mt19937: the engine's sequential stream (the element index is
 * ignored: elements must be visited in PyTorch's order). philox: the block of element i.
 */
class Bits {
  readonly mt: MT19937 | null;
  private readonly ph: PhiloxStream | null;
  hi = 0;
  lo = 0;
  constructor(readonly gen: Generator) {
    this.mt = gen._mt;
    this.ph = this.mt ? null : new PhiloxStream(gen._seed, gen._beginDraw());
  }
  /** A 32-bit word (PyTorch's generator->random()). */
  u32(i: number): number {
    return this.mt ? this.mt.nextU32() : ((this.ph as PhiloxStream).block(i)[0] as number);
  }
  /** A 64-bit word (PyTorch's random64(): first draw in the high half) into this.hi / this.lo. */
  u64(i: number): void {
    if (this.mt) {
      this.hi = this.mt.nextU32();
      this.lo = this.mt.nextU32();
    } else {
      const w = (this.ph as PhiloxStream).block(i);
      this.hi = w[0] as number;
      this.lo = w[1] as number;
    }
  }
  /** u64 as a BigInt. */
  u64Big(i: number): bigint {
    this.u64(i);
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }
  /** uniform_real_distribution<double>(0, 1): 53 bits of a 64-bit draw. */
  u53(i: number): number {
    this.u64(i);
    return ((this.hi & 0x1fffff) * 4294967296 + this.lo) * 2 ** -53;
  }
  /** uniform_real_distribution<T>(0, 1) for T with `digits` <= 24 significand bits: the low bits of a 32-bit draw. */
  ubits(i: number, digits: number): number {
    return (this.u32(i) % 2 ** digits) * 2 ** -digits;
  }
  get philox(): PhiloxStream | null {
    return this.ph;
  }
}

/** Significand digits of a floating dtype (std::numeric_limits<T>::digits). */
const DIGITS: Partial<Record<DType, number>> = { float32: 24, float64: 53, float16: 11, bfloat16: 8 };

// ---------------------------------------------------------------------------------------------
// storing values, element order, writing results

/** Store a double into a storage array as PyTorch's static_cast<T>(double) does (16-bit floats via float). */
function store(a: TypedArray, dtype: DType, i: number, v: number): void {
  switch (dtype) {
    case "float32":
    case "float64":
      (a as Float64Array)[i] = v;
      return;
    case "float16":
      (a as Uint16Array)[i] = toHalfBits(v);
      return;
    case "bfloat16":
      (a as Uint16Array)[i] = toBF16Bits(v);
      return;
    case "int64":
      (a as BigInt64Array)[i] = toI64(v);
      return;
    case "int32":
      (a as Int32Array)[i] = toI32(v);
      return;
    case "uint8":
      (a as Uint8Array)[i] = toU8(v);
      return;
    case "bool":
      (a as Uint8Array)[i] = v !== 0 ? 1 : 0;
      return;
  }
}

/** Store an int64 value (as PyTorch's static_cast<T>(int64_t)). */
function storeInt(a: TypedArray, dtype: DType, i: number, v: bigint): void {
  switch (dtype) {
    case "int64":
      (a as BigInt64Array)[i] = BigInt.asIntN(64, v);
      return;
    case "int32":
      (a as Int32Array)[i] = Number(BigInt.asIntN(32, v));
      return;
    case "uint8":
      (a as Uint8Array)[i] = Number(BigInt.asUintN(8, v));
      return;
    case "bool":
      (a as Uint8Array)[i] = v !== 0n ? 1 : 0;
      return;
    case "float64":
      (a as Float64Array)[i] = Number(v);
      return;
    default:
      store(a, dtype, i, i64ToF32(v));
  }
}

/**
 * The logical (row-major) indices of a tensor's elements in the order PyTorch's TensorIterator
 * visits them for a nullary op: dims sorted by stride, the smallest stride innermost. null when that
 * is row-major order. Throws for outputs with overlapping elements, as PyTorch does.
 */
export function iterationOrder(op: string, shape: readonly number[], strides: readonly number[]): Int32Array | null {
  const dims = shape.map((_, d) => d).filter((d) => (shape[d] as number) > 1);
  for (const d of dims)
    if (strides[d] === 0)
      throw new ValueError(
        op,
        "unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation.",
      );
  // insertion sort, innermost first (TensorIterator's reorder_dimensions for one operand)
  const perm = [...dims].reverse();
  for (let i = 1; i < perm.length; i++) {
    let d1 = i;
    for (let d0 = i - 1; d0 >= 0; d0--) {
      const s0 = strides[perm[d0] as number] as number;
      const s1 = strides[perm[d1] as number] as number;
      if (s0 > s1) {
        [perm[d0], perm[d1]] = [perm[d1] as number, perm[d0] as number];
        d1 = d0;
      } else if (s0 < s1) break;
    }
  }
  const outer = perm.reverse(); // outermost first
  if (outer.every((d, k) => k === 0 || d > (outer[k - 1] as number))) return null;
  const n = numel(shape);
  const rowStride = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    rowStride[d] = acc;
    acc *= shape[d] as number;
  }
  const order = new Int32Array(n);
  const idx = new Array<number>(outer.length).fill(0);
  let L = 0;
  for (let k = 0; k < n; k++) {
    order[k] = L;
    for (let j = outer.length - 1; j >= 0; j--) {
      const d = outer[j] as number;
      idx[j] = (idx[j] as number) + 1;
      L += rowStride[d] as number;
      if ((idx[j] as number) < (shape[d] as number)) break;
      L -= (rowStride[d] as number) * (shape[d] as number);
      idx[j] = 0;
    }
  }
  return order;
}

/** Write host values (row-major, in t's dtype) into t in place and bump its version. */
function writeInto(t: Tensor, values: TypedArray): Tensor {
  if (values.length === 0) return t;
  const src = fromStorageArray(values, t.shape, t.dtype, t.device);
  copyInto(t, src);
  src.dispose();
  return t;
}

/** Run `fill(order)` to produce t's new values (row-major) and write them into t. */
function fillInPlace(op: string, t: Tensor, fill: (out: TypedArray, order: Int32Array | null) => void): Tensor {
  t._check(op);
  const out = storageArray(t.dtype, t.numel());
  if (out.length > 0) fill(out, iterationOrder(op, t.shape, t.strides));
  return writeInto(t, out);
}

/** Visit k = 0..n-1 in draw order; L is the element's row-major index. */
function visit(n: number, order: Int32Array | null, f: (L: number) => void): void {
  if (order) for (let k = 0; k < n; k++) f(order[k] as number);
  else for (let L = 0; L < n; L++) f(L);
}

function requireFloat(op: string, dtype: DType): void {
  if (!isFloating(dtype)) throw new DTypeError(op, `"${op}" not implemented for '${dtype}' (expected a floating dtype)`);
}

/** Split `f(2, 3, opts)` / `f([2, 3], opts)`. */
function sizeAndOpts<O extends object>(op: string, args: unknown[]): [number[], O] {
  const last = args[args.length - 1];
  const hasOpts = last !== undefined && last !== null && typeof last === "object" && !Array.isArray(last);
  const opts = (hasOpts ? last : {}) as O;
  return [sizeArgs(op, hasOpts ? args.slice(0, -1) : args), opts];
}

function created(t: Tensor, opts: { requiresGrad?: boolean }): Tensor {
  if (opts.requiresGrad) {
    if (!isFloating(t.dtype)) throw new DTypeError("random", `only floating point tensors can require gradients, got ${t.dtype}`);
    t.requiresGrad = true;
  }
  return t;
}

/** A fresh tensor whose values `fill` produces (row-major), drawn from `gen`. */
function createWith(
  shape: number[],
  dtype: DType,
  device: string,
  fill: (out: TypedArray) => void,
  opts: { requiresGrad?: boolean },
): Tensor {
  const out = storageArray(dtype, numel(shape));
  if (out.length > 0) fill(out);
  return created(fromStorageArray(out, shape, dtype, device), opts);
}

/**
 * PyTorch's keyword-only `generator` goes into a trailing options object; methods with optional
 * positional parameters also take it in place of the first omitted one (`x.exponential_({ generator })`).
 */
function trailingOpts(args: unknown[]): [unknown[], GeneratorOption] {
  const a = [...args];
  while (a.length > 0 && a[a.length - 1] === undefined) a.pop();
  const last = a[a.length - 1];
  if (last !== null && typeof last === "object" && !(last instanceof Tensor)) {
    a.pop();
    return [a, last as GeneratorOption];
  }
  return [a, {}];
}
type Opt<T> = T | GeneratorOption;

// ---------------------------------------------------------------------------------------------
// uniform

/** uniform_real_distribution<T>(from, to) for the tensor's dtype, as PyTorch's uniform_ kernel (fused on x86). */
function uniformFill(out: TypedArray, dtype: DType, from: number, to: number, bits: Bits, order: Int32Array | null): void {
  const n = out.length;
  const philox = bits.mt === null;
  switch (dtype) {
    case "float64": {
      const d = to - from;
      const o = out as Float64Array;
      visit(n, order, (L) => {
        const u = bits.u53(L);
        o[L] = philox ? u * d + from : fma(u, d, from);
      });
      return;
    }
    case "float32": {
      const f = fr(from);
      const d = fr(fr(to) - f);
      const o = out as Float32Array;
      visit(n, order, (L) => {
        const u = bits.ubits(L, 24);
        o[L] = philox ? fr(fr(u * d) + f) : fmaf(u, d, f);
      });
      return;
    }
    case "float16":
    case "bfloat16": {
      const round = (x: number): number => (dtype === "float16" ? halfValue(x) : bf16Value(x));
      const toBits = dtype === "float16" ? toHalfBits : toBF16Bits;
      const f = round(from);
      const d = round(round(to) - f);
      const digits = DIGITS[dtype] as number;
      const o = out as Uint16Array;
      visit(n, order, (L) => {
        const u = bits.ubits(L, digits);
        o[L] = toBits(philox ? fr(fr(u * d) + f) : fmaf(u, d, f));
      });
      return;
    }
    default:
      requireFloat("uniform_", dtype);
  }
}

/** Round to float16 / bfloat16 (via float32, as c10::Half(float(x))) and return the value. */
const halfValue = (x: number): number => halfBitsToNumber(toHalfBits(x));
const bf16Value = (x: number): number => bf16BitsToNumber(toBF16Bits(x));

function checkUniformBounds(op: string, dtype: DType, from: number, to: number): void {
  const max =
    dtype === "float64"
      ? Number.MAX_VALUE
      : dtype === "float16"
        ? 65504
        : dtype === "bfloat16"
          ? 3.3895313892515355e38
          : 3.4028234663852886e38;
  if (!(from >= -max && from <= max)) throw new ValueError(op, `from is out of bounds for ${dtype}`);
  if (!(to >= -max && to <= max)) throw new ValueError(op, `to is out of bounds for ${dtype}`);
  if (!(from <= to)) throw new ValueError(op, `uniform_ expects to return a [from, to) range, but found from=${from} > to=${to}`);
  if (!(to - from <= max))
    throw new ValueError(
      op,
      `uniform_ expects to-from <= std::numeric_limits<${dtype}>::max(), but found to=${to} and from=${from}`,
    );
}

/** Tensor.uniform_(from=0, to=1, { generator }). */
export function uniform_(self: Tensor, fromArg?: Opt<number>, toArg?: Opt<number>, options?: GeneratorOption): Tensor {
  const op = "uniform_";
  const [[from = 0, to = 1], opts] = trailingOpts([fromArg, toArg, options]) as [number[], GeneratorOption];
  requireFloat(op, self.dtype);
  checkUniformBounds(op, self.dtype, from, to);
  const bits = new Bits(generatorFor(op, self.device, opts.generator));
  return fillInPlace(op, self, (out, order) => uniformFill(out, self.dtype, from, to, bits, order));
}

/** torch.rand(*size, { dtype, device, generator, requiresGrad }): uniform on [0, 1). */
export function rand(...args: (number | number[] | RandomCreateOptions)[]): Tensor {
  const [shape, opts] = sizeAndOpts<RandomCreateOptions>("rand", args);
  const dtype = opts.dtype ?? defaultFloat;
  const device = opts.device ?? "cpu";
  requireFloat("rand", dtype);
  const bits = new Bits(generatorFor("rand", device, opts.generator));
  return createWith(shape, dtype, device, (out) => uniformFill(out, dtype, 0, 1, bits, null), opts);
}

// ---------------------------------------------------------------------------------------------
// normal

const TWO_PI = 6.283185307179586; // 2.0 * c10::pi<double>
const SC = new Float64Array(2); // sincos results

/** at::normal_distribution<double>(mean, std) on PyTorch's CPU generator: Box–Muller with the cached second value. */
function normalDouble(g: Generator, mt: MT19937, mean: number, std: number): number {
  const cached = g._nextDoubleNormal;
  if (cached !== null) {
    g._nextDoubleNormal = null;
    return fma(cached, std, mean);
  }
  const hi1 = mt.nextU32();
  const u1 = ((hi1 & 0x1fffff) * 4294967296 + mt.nextU32()) * 2 ** -53;
  const hi2 = mt.nextU32();
  const u2 = ((hi2 & 0x1fffff) * 4294967296 + mt.nextU32()) * 2 ** -53;
  const r = Math.sqrt(-2.0 * glibcLog(1.0 - u2));
  sincosTo(TWO_PI * u1, SC);
  g._nextDoubleNormal = r * (SC[0] as number);
  return fma(r * (SC[1] as number), std, mean);
}

/** normal_fill_16<double>: 16 uniforms at d[off..off+16) → 16 normals. */
function normalFill16Double(d: Float64Array, off: number, mean: number, std: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = 1 - (d[off + j] as number);
    const u2 = d[off + j + 8] as number;
    const radius = Math.sqrt(-2 * glibcLog(u1));
    sincosTo(TWO_PI * u2, SC);
    d[off + j] = fma(radius * (SC[1] as number), std, mean);
    d[off + j + 8] = fma(radius * (SC[0] as number), std, mean);
  }
}

/**
 * normal_fill_16<Half> / <BFloat16>: the same in the 16-bit type's C++ arithmetic. Half: each
 * operator works in float and rounds back to Half when stored; std::log/cos/sin resolve to glibc's
 * float logf and sincosf, and the last multiply-add is fused. BFloat16: c10's BFloat16-math.h
 * overloads std::log/cos/sin to return BFloat16 (the float result rounded), and BFloat16 * BFloat16
 * rounds each product, so nothing is fused.
 */
function normalFill16Half(d: Float64Array, off: number, mean: number, std: number, bf16: boolean): void {
  const round = bf16 ? bf16Value : halfValue;
  for (let j = 0; j < 8; j++) {
    const u1 = round(1 - (d[off + j] as number));
    const u2 = d[off + j + 8] as number;
    const lg = logf(u1);
    const radius = round(fr(Math.sqrt(bf16 ? round(-2 * round(lg)) : fr(-2 * lg))));
    const theta = round(fr(TWO_PI * u2));
    sincosfTo(theta, SC);
    const s = SC[0] as number;
    const c = SC[1] as number;
    if (bf16) {
      d[off + j] = round(round(round(radius * round(c)) * std) + mean);
      d[off + j + 8] = round(round(round(radius * round(s)) * std) + mean);
    } else {
      d[off + j] = round(fmaf(fr(radius * c), std, mean));
      d[off + j + 8] = round(fmaf(fr(radius * s), std, mean));
    }
  }
}

/** Fill `out` (row-major, t's dtype) with normal(mean, std) values as PyTorch's normal_kernel. */
function normalFill(
  out: TypedArray,
  dtype: DType,
  mean: number,
  std: number,
  bits: Bits,
  order: Int32Array | null,
  contiguous: boolean,
): void {
  const n = out.length;
  const g = bits.gen;
  const ph = bits.philox;
  if (ph) {
    if (dtype === "float64") for (let i = 0; i < n; i++) (out as Float64Array)[i] = philoxNormal64(ph, i, mean, std);
    else for (let i = 0; i < n; i++) store(out, dtype, i, philoxNormal32(ph, i, mean, std));
    return;
  }
  const mt = bits.mt as MT19937;
  if (n >= 16 && contiguous) {
    if (dtype === "float32") {
      const d = out as Float32Array;
      for (let i = 0; i < n; i++) d[i] = (mt.nextU32() & 0xffffff) * 2 ** -24;
      const m = fr(mean);
      const s = fr(std);
      for (let i = 0; i + 16 <= n; i += 16) normalFill16Avx2(d, i, m, s);
      if (n % 16 !== 0) {
        for (let i = n - 16; i < n; i++) d[i] = (mt.nextU32() & 0xffffff) * 2 ** -24;
        normalFill16Avx2(d, n - 16, m, s);
      }
      return;
    }
    if (dtype === "float64") {
      const d = out as Float64Array;
      const u53 = (): number => {
        const hi = mt.nextU32();
        return ((hi & 0x1fffff) * 4294967296 + mt.nextU32()) * 2 ** -53;
      };
      for (let i = 0; i < n; i++) d[i] = u53();
      for (let i = 0; i + 16 <= n; i += 16) normalFill16Double(d, i, mean, std);
      if (n % 16 !== 0) {
        for (let i = n - 16; i < n; i++) d[i] = u53();
        normalFill16Double(d, n - 16, mean, std);
      }
      return;
    }
    // float16 / bfloat16: normal_fill<scalar_t> in the 16-bit type
    const round = dtype === "float16" ? halfValue : bf16Value;
    const digits = DIGITS[dtype] as number;
    const d = new Float64Array(n);
    const draw = (): number => (mt.nextU32() % 2 ** digits) * 2 ** -digits;
    const m = round(mean);
    const s = round(std);
    for (let i = 0; i < n; i++) d[i] = draw();
    const isBf16 = dtype === "bfloat16";
    for (let i = 0; i + 16 <= n; i += 16) normalFill16Half(d, i, m, s, isBf16);
    if (n % 16 !== 0) {
      for (let i = n - 16; i < n; i++) d[i] = draw();
      normalFill16Half(d, n - 16, m, s, isBf16);
    }
    for (let i = 0; i < n; i++) store(out, dtype, i, d[i] as number);
    return;
  }
  // scalar path: at::normal_distribution<double> per element, in TensorIterator order
  visit(n, order, (L) => store(out, dtype, L, normalDouble(g, mt, mean, std)));
}

function checkStd(op: string, std: number): void {
  if (!(std >= 0)) throw new ValueError(op, `normal expects std >= 0.0, but found std ${std}`);
}

/** Tensor.normal_(mean=0, std=1, { generator }). */
export function normal_(self: Tensor, meanArg?: Opt<number>, stdArg?: Opt<number>, options?: GeneratorOption): Tensor {
  const op = "normal_";
  const [[mean = 0, std = 1], opts] = trailingOpts([meanArg, stdArg, options]) as [number[], GeneratorOption];
  requireFloat(op, self.dtype);
  checkStd(op, std);
  const bits = new Bits(generatorFor(op, self.device, opts.generator));
  const contiguous = self.isContiguous();
  return fillInPlace(op, self, (out, order) => normalFill(out, self.dtype, mean, std, bits, order, contiguous));
}

/** torch.randn(*size, { dtype, device, generator, requiresGrad }): standard normal. */
export function randn(...args: (number | number[] | RandomCreateOptions)[]): Tensor {
  const [shape, opts] = sizeAndOpts<RandomCreateOptions>("randn", args);
  const dtype = opts.dtype ?? defaultFloat;
  const device = opts.device ?? "cpu";
  requireFloat("randn", dtype);
  const bits = new Bits(generatorFor("randn", device, opts.generator));
  return createWith(shape, dtype, device, (out) => normalFill(out, dtype, 0, 1, bits, null, true), opts);
}

/**
 * torch.normal, all of PyTorch's overloads:
 *   normal(mean: Tensor, std: Tensor | number = 1, { generator })      — shape of the broadcast / of mean
 *   normal(mean: number, std: Tensor, { generator })                   — shape of std
 *   normal(mean: number, std: number, size: number[], { generator, dtype, device, requiresGrad })
 * As PyTorch: the tensor forms draw standard normals n (normal_(0, std) for a float std) and return
 * n * std + mean (n + mean); the result does not take part in autograd (PyTorch's gradient is zero).
 */
export function normal(mean: Tensor, std?: Tensor | number, opts?: GeneratorOption): Tensor;
export function normal(mean: number, std: Tensor, opts?: GeneratorOption): Tensor;
export function normal(mean: number, std: number, size: number[], opts?: RandomCreateOptions): Tensor;
export function normal(
  mean: Tensor | number,
  std: Tensor | number = 1,
  sizeOrOpts?: number[] | GeneratorOption,
  maybeOpts?: RandomCreateOptions,
): Tensor {
  const op = "normal";
  if (typeof mean === "number" && typeof std === "number") {
    if (!Array.isArray(sizeOrOpts))
      throw new ValueError(op, "normal(mean: number, std: number) needs a size: normal(mean, std, size)");
    const opts = maybeOpts ?? {};
    const dtype = opts.dtype ?? defaultFloat;
    const device = opts.device ?? "cpu";
    requireFloat(op, dtype);
    checkStd(op, std);
    const shape = sizeArgs(op, [sizeOrOpts]);
    const bits = new Bits(generatorFor(op, device, opts.generator));
    return createWith(shape, dtype, device, (out) => normalFill(out, dtype, mean, std, bits, null, true), opts);
  }
  const opts = (Array.isArray(sizeOrOpts) ? maybeOpts : sizeOrOpts) ?? {};
  return noGrad(() => {
    if (mean instanceof Tensor && typeof std === "number") {
      checkStd(op, std);
      const out = empty(mean.shape, mean.dtype, mean.device);
      normal_(out, 0, std, opts);
      add_(out, mean);
      return out;
    }
    const stdT = std as Tensor;
    if (stdT.numel() > 0 && stdT._storage.backend.readSync) {
      const sv = stdT.dataSync();
      for (let i = 0; i < sv.length; i++)
        if (!(Number(sv[i]) >= 0)) throw new ValueError(op, "normal expects all elements of std >= 0.0");
    }
    if (typeof mean === "number") {
      const out = empty(stdT.shape, stdT.dtype, stdT.device);
      normal_(out, 0, 1, opts);
      mul_(out, stdT);
      add_(out, mean);
      return out;
    }
    const shape = broadcastShapes(op, mean.shape, stdT.shape);
    const out = empty(shape, mean.dtype, mean.device);
    normal_(out, 0, 1, opts);
    mul_(out, stdT);
    add_(out, mean);
    return out;
  });
}

// ---------------------------------------------------------------------------------------------
// integers: random_, randint, randperm

const INT_MAX: Partial<Record<DType, bigint>> = { int64: 2n ** 63n - 1n, int32: 2n ** 31n - 1n, uint8: 255n, bool: 1n };
const INT_MIN: Partial<Record<DType, bigint>> = { int64: -(2n ** 63n), int32: -(2n ** 31n), uint8: 0n, bool: 0n };
const FLOAT_MAX: Partial<Record<DType, number>> = {
  float64: Number.MAX_VALUE,
  float32: 3.4028234663852886e38,
  float16: 65504,
  bfloat16: 3.3895313892515355e38,
};

/** static_cast<int64_t>(static_cast<scalar_t>(v)) for a floating dtype. */
function castThrough(dtype: DType, v: bigint): bigint {
  const x =
    dtype === "float64"
      ? Number(v)
      : dtype === "float32"
        ? i64ToF32(v)
        : dtype === "float16"
          ? halfValue(i64ToF32(v))
          : bf16Value(i64ToF32(v));
  return Number.isFinite(x) ? BigInt(x) : v;
}
function updateFrom(dtype: DType, from: bigint): bigint {
  const fp1 = castThrough(dtype, from + 1n);
  if (fp1 < from) {
    let f = from + 1n < 0n ? -(from + 1n) : from + 1n;
    let n = 0;
    while ((f >>= 1n) > 0n) n++;
    from = fp1 + (1n << BigInt(n - (DIGITS[dtype] as number) + 1));
  }
  return from;
}
function updateTo(dtype: DType, to: bigint): bigint {
  const tm1 = castThrough(dtype, to - 1n);
  if (tm1 >= to) {
    let t = to - 1n < 0n ? -(to - 1n) : to - 1n;
    let n = 0;
    while ((t >>= 1n) > 0n) n++;
    to = tm1 - (1n << BigInt(n - (DIGITS[dtype] as number) + 1));
  }
  return to;
}

function checkFromTo(op: string, dtype: DType, from: bigint, toInc: bigint): void {
  if (isFloating(dtype)) {
    const max = FLOAT_MAX[dtype] as number;
    const ok = (v: bigint) => Number(v) >= -max && Number(v) <= max;
    if (!ok(from)) throw new ValueError(op, `from is out of bounds for ${dtype}`);
    if (!ok(toInc)) throw new ValueError(op, `to - 1 is out of bounds for ${dtype}`);
  } else {
    const lo = INT_MIN[dtype] as bigint;
    const hi = INT_MAX[dtype] as bigint;
    if (from < lo || from > hi) throw new ValueError(op, `from is out of bounds for ${dtype}`);
    if (toInc < lo || toInc > hi) throw new ValueError(op, `to - 1 is out of bounds for ${dtype}`);
  }
}

const WIDE: ReadonlySet<DType> = new Set(["int64", "float64", "float32", "bfloat16"]);

/** random_from_to: (draw % range) + base, a 64-bit draw when range >= 2^32 for the 64-bit-capable dtypes. */
function randomFromToFill(
  out: TypedArray,
  dtype: DType,
  range: bigint,
  base: bigint,
  bits: Bits,
  order: Int32Array | null,
): void {
  const wide = WIDE.has(dtype) && range >= 2n ** 32n;
  if (!wide && range <= 2n ** 32n && base >= -(2n ** 52n) && base <= 2n ** 52n) {
    const r = Number(range);
    const b = Number(base);
    if (dtype === "int64") {
      const o = out as BigInt64Array;
      visit(out.length, order, (L) => {
        o[L] = BigInt((bits.u32(L) % r) + b);
      });
    } else visit(out.length, order, (L) => storeInt(out, dtype, L, BigInt((bits.u32(L) % r) + b)));
    return;
  }
  visit(out.length, order, (L) => {
    const v = wide ? bits.u64Big(L) : BigInt(bits.u32(L));
    storeInt(out, dtype, L, BigInt.asIntN(64, (v % range) + base));
  });
}

/** random_() without bounds: uniform_int_distribution<T>. */
function randomFill(out: TypedArray, dtype: DType, bits: Bits, order: Int32Array | null): void {
  visit(out.length, order, (L) => {
    switch (dtype) {
      case "bool":
        (out as Uint8Array)[L] = bits.u32(L) & 1;
        return;
      case "int64":
        (out as BigInt64Array)[L] = bits.u64Big(L) % 2n ** 63n;
        return;
      case "float64":
        (out as Float64Array)[L] = Number(bits.u64Big(L) % (2n ** 53n + 1n));
        return;
      case "int32":
        (out as Int32Array)[L] = bits.u32(L) % 2 ** 31;
        return;
      case "uint8":
        (out as Uint8Array)[L] = bits.u32(L) % 256;
        return;
      default: {
        const digits = DIGITS[dtype] as number;
        store(out, dtype, L, bits.u32(L) % (2 ** digits + 1));
      }
    }
  });
}

const toBig = (op: string, v: number | bigint): bigint => {
  if (typeof v === "bigint") return v;
  if (!Number.isInteger(v)) throw new ValueError(op, `expected an integer, got ${v}`);
  return BigInt(v);
};

/**
 * Tensor.random_(): PyTorch's three forms —
 *   random_()                     uniform over [0, 2^mantissa] (floats) or [0, max] (integers)
 *   random_(to)                   uniform over [0, to)
 *   random_(from, to | null)      uniform over [from, to), or [from, max] when to is null;
 *                                 random_(-2n ** 63n, null) draws the full int64 range
 * `from`/`to` may be bigints (int64 bounds beyond 2^53). Options { generator } last.
 */
export function random_(self: Tensor, ...args: (number | bigint | null | GeneratorOption | undefined)[]): Tensor {
  const op = "random_";
  const last = args[args.length - 1];
  const opts = (last !== null && typeof last === "object" ? args.pop() : {}) as GeneratorOption;
  const dtype = self.dtype;
  const bits = (): Bits => new Bits(generatorFor(op, self.device, opts.generator));
  if (args.length === 0 || (args.length === 1 && args[0] === undefined))
    return ((b) => fillInPlace(op, self, (out, order) => randomFill(out, dtype, b, order)))(bits());
  let from: bigint;
  let to: bigint | null;
  if (args.length === 1) {
    from = 0n;
    to = toBig(op, args[0] as number | bigint);
  } else {
    from = toBig(op, args[0] as number | bigint);
    to = args[1] === null || args[1] === undefined ? null : toBig(op, args[1] as number | bigint);
  }
  let range: bigint;
  if (to !== null) {
    if (!(from < to)) throw new ValueError(op, `random_ expects 'from' to be less than 'to', but got from=${from} >= to=${to}`);
    if (isFloating(dtype)) {
      from = updateFrom(dtype, from);
      to = updateTo(dtype, to);
      if (!(from < to))
        throw new ValueError(
          op,
          `random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, but got from=${from} >= to=${to}`,
        );
    }
    checkFromTo(op, dtype, from, to - 1n);
    range = to - from;
  } else if (from !== -(2n ** 63n)) {
    let toInc: bigint;
    if (isFloating(dtype)) {
      toInc = 2n ** BigInt(DIGITS[dtype] as number);
      from = updateFrom(dtype, from);
      if (!(from < toInc))
        throw new ValueError(
          op,
          `random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' casted to dtype, but got from=${from} > to_inc=${toInc}`,
        );
    } else toInc = INT_MAX[dtype] as bigint;
    checkFromTo(op, dtype, from, toInc);
    range = toInc - from + 1n;
  } else {
    // the full int64 range [-2^63, 2^63): random64() as int64
    if (!(dtype === "int64" || dtype === "float64" || dtype === "float32" || dtype === "bfloat16"))
      throw new DTypeError(op, "random_ from=-2^63 without `to` handles only int64, float64, float32 and bfloat16");
    const b = bits();
    return fillInPlace(op, self, (out, order) =>
      visit(out.length, order, (L) => storeInt(out, dtype, L, BigInt.asIntN(64, b.u64Big(L)))),
    );
  }
  const b = bits();
  const r = range;
  const base = from;
  return fillInPlace(op, self, (out, order) => randomFromToFill(out, dtype, r, base, b, order));
}

export interface RandintOptions extends RandomCreateOptions {}

/**
 * torch.randint(low = 0, high, size, { dtype = int64, device, generator, requiresGrad }):
 * `randint(high, size)` or `randint(low, high, size)`.
 */
export function randint(high: number | bigint, size: number[], opts?: RandintOptions): Tensor;
export function randint(low: number | bigint, high: number | bigint, size: number[], opts?: RandintOptions): Tensor;
export function randint(
  a: number | bigint,
  b: number | bigint | number[],
  c?: number[] | RandintOptions,
  d?: RandintOptions,
): Tensor {
  const op = "randint";
  let low: number | bigint;
  let high: number | bigint;
  let size: number[];
  let opts: RandintOptions;
  if (Array.isArray(b)) {
    low = 0;
    high = a;
    size = b;
    opts = (c as RandintOptions | undefined) ?? {};
  } else {
    low = a;
    high = b;
    size = c as number[];
    opts = d ?? {};
  }
  const shape = sizeArgs(op, [size]);
  const dtype = opts.dtype ?? "int64";
  const t = empty(shape, dtype, opts.device ?? "cpu");
  random_(t, low, high, { generator: opts.generator });
  return created(t, opts);
}

/** torch.randperm(n, { dtype = int64, device, generator, requiresGrad }): PyTorch's swap shuffle. */
export function randperm(n: number, opts: RandomCreateOptions = {}): Tensor {
  const op = "randperm";
  if (!Number.isInteger(n) || n < 0) throw new ValueError(op, `n must be non-negative, got ${n}`);
  const dtype = opts.dtype ?? "int64";
  const device = opts.device ?? "cpu";
  if (dtype === "float16" && n > 2049) throw new ValueError(op, `n cannot be greater than 2049 for Half type, got ${n}`);
  if (dtype === "bfloat16" && n > 257) throw new ValueError(op, `n cannot be greater than 257 for BFloat16 type, got ${n}`);
  if (dtype === "uint8" && n > 256) throw new ValueError(op, `n cannot be greater than 256 for uint8, got ${n}`);
  if (dtype === "bool" && n > 2) throw new DTypeError(op, `"randperm" not implemented for 'bool' with n > 2`);
  const bits = new Bits(generatorFor(op, device, opts.generator));
  const perm = new Float64Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = 0; i < n - 1; i++) {
    const z = bits.u32(i) % (n - i);
    const sav = perm[i] as number;
    perm[i] = perm[z + i] as number;
    perm[z + i] = sav;
  }
  return createWith(
    [n],
    dtype,
    device,
    (out) => {
      for (let i = 0; i < n; i++) store(out, dtype, i, perm[i] as number);
    },
    opts,
  );
}

// ---------------------------------------------------------------------------------------------
// bernoulli, dropout

/** The probability tensor's values (broadcast to `shape`, row-major) on the host. */
function hostValues(op: string, t: Tensor, shape: readonly number[]): Float64Array {
  if (!t._storage.backend.readSync)
    throw new DeviceError(op, `needs the values of a tensor on '${t.device}' on the host; move it with .cpu() first`);
  const b = broadcastShapes(op, t.shape, shape);
  if (b.length !== shape.length || b.some((d, i) => d !== shape[i]))
    throw new ShapeError(op, `probability tensor of shape ${fmtShape(t.shape)} cannot be expanded to ${fmtShape(shape)}`);
  const e = noGrad(() => t.detach().expand([...shape]));
  const raw = e.dataSync();
  const out = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i] as number | bigint;
    out[i] =
      t.dtype === "float16" ? halfBitsToNumber(v as number) : t.dtype === "bfloat16" ? bf16BitsToNumber(v as number) : Number(v);
  }
  return out;
}

/** Tensor.bernoulli_(p = 0.5, { generator }): p a number or a tensor of probabilities (broadcast to self). */
export function bernoulli_(self: Tensor, p?: Opt<number | Tensor>, options?: GeneratorOption): Tensor {
  const op = "bernoulli_";
  const [[pp = 0.5], opts] = trailingOpts([p, options]) as [(number | Tensor)[], GeneratorOption];
  p = pp;
  if (typeof p === "number") {
    if (!(p >= 0 && p <= 1)) throw new ValueError(op, `bernoulli_ expects p to be in [0, 1], but got p=${p}`);
    const bits = new Bits(generatorFor(op, self.device, opts.generator));
    return fillInPlace(op, self, (out, order) =>
      visit(out.length, order, (L) => store(out, self.dtype, L, bits.u53(L) < p ? 1 : 0)),
    );
  }
  if (p.dtype === "float16") throw new DTypeError(op, `"bernoulli_tensor_cpu_p_" not implemented for 'Half'`);
  if (!isFloating(p.dtype)) throw new DTypeError(op, `probabilities must be a floating tensor, got ${p.dtype}`);
  const probs = hostValues(op, p, self.shape);
  for (let i = 0; i < probs.length; i++)
    if (!((probs[i] as number) >= 0 && (probs[i] as number) <= 1))
      throw new ValueError(op, "Expected p_in >= 0 && p_in <= 1 to be true");
  const isDouble = p.dtype === "float64";
  const bits = new Bits(generatorFor(op, self.device, opts.generator));
  return fillInPlace(op, self, (out, order) =>
    visit(out.length, order, (L) => {
      const u = isDouble ? bits.u53(L) : bits.ubits(L, 24);
      store(out, self.dtype, L, u < (probs[L] as number) ? 1 : 0);
    }),
  );
}

/**
 * torch.bernoulli(input, { generator }): input holds the probabilities; or bernoulli(input, p) with a
 * scalar p (PyTorch's bernoulli.p overload): a tensor like input filled with bernoulli(p) draws.
 */
export function bernoulli(input: Tensor, p?: number | GeneratorOption, opts: GeneratorOption = {}): Tensor {
  if (typeof p === "object" && p !== null) {
    opts = p;
    p = undefined;
  }
  const out = empty(input.shape, input.dtype, input.device);
  return bernoulli_(out, p === undefined ? input : p, opts);
}

/**
 * The dropout of torch.nn.functional.dropout as PyTorch's CPU kernel computes it: a mask of
 * bernoulli(1 - p) draws (one 53-bit double uniform per element, keep if u < 1 - p), scaled by
 * 1 / (1 - p) in the input's dtype, multiplied into the input (with autograd through the multiply).
 * p = 0, training = false or an empty input return the input itself; p = 1 gives input * 0.
 */
export function dropout(
  input: Tensor,
  p = 0.5,
  training = true,
  inplace: boolean | GeneratorOption = false,
  opts: GeneratorOption = {},
): Tensor {
  const op = "dropout";
  if (typeof inplace === "object") {
    opts = inplace;
    inplace = false;
  }
  if (!(p >= 0 && p <= 1)) throw new ValueError(op, `dropout probability has to be between 0 and 1, but got ${p}`);
  if (p === 0 || !training || input.numel() === 0) return input;
  if (p === 1) {
    const zero = empty([], input.dtype, input.device);
    copyInto(zero, 0);
    return inplace ? mul_(input, zero) : mul(input, zero);
  }
  const noise = dropoutMask(input, p, opts);
  return inplace ? mul_(input, noise) : mul(input, noise);
}

/** dropout's scaled mask alone: 1/(1-p) where kept, 0 where dropped (input's shape, dtype, device). */
export function dropoutMask(input: Tensor, p: number, opts: GeneratorOption = {}): Tensor {
  const noise = empty(input.shape, input.dtype, input.device);
  bernoulli_(noise, 1 - p, opts);
  noGrad(() => div_(noise, 1 - p));
  return noise;
}

// ---------------------------------------------------------------------------------------------
// exponential, cauchy, logNormal, geometric

/** Tensor.exponential_(lambd = 1, { generator }): -1/λ · log(1 - u), u a 53-bit uniform. */
export function exponential_(self: Tensor, lambd?: Opt<number>, options?: GeneratorOption): Tensor {
  const op = "exponential_";
  const [[l = 1], opts] = trailingOpts([lambd, options]) as [number[], GeneratorOption];
  lambd = l;
  requireFloat(op, self.dtype);
  if (!(lambd >= 0)) throw new ValueError(op, `exponential_ expects lambda >= 0.0, but found lambda=${lambd}`);
  const bits = new Bits(generatorFor(op, self.device, opts.generator));
  const c = -1.0 / lambd;
  return fillInPlace(op, self, (out, order) =>
    visit(out.length, order, (L) => store(out, self.dtype, L, c * glibcLog(1.0 - bits.u53(L)))),
  );
}

/** Tensor.cauchy_(median = 0, sigma = 1, { generator }): median + sigma · tan(π(u - 1/2)) (fused; glibc's tan). */
export function cauchy_(self: Tensor, median?: Opt<number>, sigma?: Opt<number>, options?: GeneratorOption): Tensor {
  const op = "cauchy_";
  const [[m = 0, sg = 1], opts] = trailingOpts([median, sigma, options]) as [number[], GeneratorOption];
  median = m;
  sigma = sg;
  requireFloat(op, self.dtype);
  const bits = new Bits(generatorFor(op, self.device, opts.generator));
  return fillInPlace(op, self, (out, order) =>
    visit(out.length, order, (L) => store(out, self.dtype, L, fma(sigma, glibcTan(Math.PI * (bits.u53(L) - 0.5)), median))),
  );
}

/** Tensor.logNormal_(mean = 1, std = 2, { generator }): exp of normal(mean, std) draws (scalar Box–Muller path). */
export function logNormal_(self: Tensor, mean?: Opt<number>, std?: Opt<number>, options?: GeneratorOption): Tensor {
  const op = "logNormal_";
  const [[m = 1, sd = 2], opts] = trailingOpts([mean, std, options]) as [number[], GeneratorOption];
  mean = m;
  std = sd;
  requireFloat(op, self.dtype);
  if (!(std > 0)) throw new ValueError(op, `log_normal_ expects std > 0.0, but found std=${std}`);
  const g = generatorFor(op, self.device, opts.generator);
  const bits = new Bits(g);
  const ph = bits.philox;
  return fillInPlace(op, self, (out, order) =>
    visit(out.length, order, (L) => {
      const n = ph ? philoxNormal64(ph, L, mean, std) : normalDouble(g, bits.mt as MT19937, mean, std);
      store(out, self.dtype, L, glibcExp(n));
    }),
  );
}

/** Tensor.geometric_(p, { generator }): ceil(log(u) / log(1 - p)), u a 53-bit uniform. */
export function geometric_(self: Tensor, p: number, opts: GeneratorOption = {}): Tensor {
  const op = "geometric_";
  if (!(p > 0 && p < 1)) throw new ValueError(op, `geometric_ expects p to be in (0, 1), but got p=${p}`);
  const bits = new Bits(generatorFor(op, self.device, opts.generator));
  const denom = glibcLog(1.0 - p);
  return fillInPlace(op, self, (out, order) =>
    visit(out.length, order, (L) => store(out, self.dtype, L, Math.ceil(glibcLog(bits.u53(L)) / denom))),
  );
}

// ---------------------------------------------------------------------------------------------
// multinomial

/**
 * torch.multinomial(input, numSamples, replacement = false, { generator }) → int64 indices.
 * With replacement: PyTorch's CPU kernel (cumulative sum in the input's dtype, normalised, one 53-bit
 * uniform per sample, binary search). Without: the exponential-race fast path (q = exponential_(1)
 * in the input's dtype, input / q, argmax or top-k; ties between equal keys, which only zero
 * probabilities produce, go to the lower index).
 */
export function multinomial(input: Tensor, numSamples: number, replacement = false, opts: GeneratorOption = {}): Tensor {
  const op = "multinomial";
  input._check(op);
  if (!isFloating(input.dtype))
    throw new DTypeError(op, `multinomial only supports floating-point dtypes for input, got ${input.dtype}`);
  if (input.ndim !== 1 && input.ndim !== 2)
    throw new ShapeError(op, `prob_dist must be 1 or 2 dim, got shape ${fmtShape(input.shape)}`);
  if (!Number.isInteger(numSamples) || numSamples <= 0)
    throw new ValueError(op, `cannot sample n_sample <= 0 samples (got ${numSamples})`);
  const nCat = input.shape[input.ndim - 1] as number;
  if (!replacement && numSamples > nCat)
    throw new ValueError(op, `cannot sample n_sample > prob_dist.size(-1) samples without replacement (${numSamples} > ${nCat})`);
  if (nCat > 2 ** 24) throw new ValueError(op, "number of categories cannot exceed 2^24");
  if (input.dtype === "float16") throw new DTypeError(op, "multinomial is not implemented for half on CPU");
  const nDist = input.ndim === 2 ? (input.shape[0] as number) : 1;
  const outShape = input.ndim === 2 ? [nDist, numSamples] : [numSamples];
  const device = input.device;
  const g = generatorFor(op, device, opts.generator);
  const probs = hostValues(op, input, input.shape);
  const result = new BigInt64Array(nDist * numSamples);
  if (result.length === 0) return fromStorageArray(result, outShape, "int64", device);
  // values rounded as in the input's dtype (the exponential keys); the with-replacement cumulative sum
  // is accumulated in float for bfloat16 (PyTorch 1.13's opmath), in the dtype otherwise
  const round = input.dtype === "float64" ? (x: number) => x : input.dtype === "float32" ? fr : bf16Value;
  const roundAcc = input.dtype === "float64" ? (x: number) => x : fr;
  if (!replacement) {
    let bad = false;
    let zeroRow = false;
    for (let i = 0; i < nDist; i++) {
      let s = 0;
      for (let j = 0; j < nCat; j++) {
        const v = probs[i * nCat + j] as number;
        if (!(v >= 0 && v < Number.POSITIVE_INFINITY)) bad = true;
        s += v;
      }
      if (s === 0) zeroRow = true;
    }
    if (bad) throw new ValueError(op, "probability tensor contains either `inf`, `nan` or element < 0");
    if (zeroRow) throw new ValueError(op, "invalid multinomial distribution (sum of probabilities <= 0)");
    // q = empty_like(input).exponential_(1) in input's dtype and layout, then q = input / q
    const bits = new Bits(g);
    const order = iterationOrder(op, input.shape, preservedStrides(input.shape, input.strides));
    const q = new Float64Array(probs.length);
    visit(q.length, order, (L) => {
      q[L] = round(-1.0 * glibcLog(1.0 - bits.u53(L)));
    });
    for (let k = 0; k < q.length; k++) q[k] = round((probs[k] as number) / (q[k] as number));
    for (let i = 0; i < nDist; i++) {
      const row = Array.from({ length: nCat }, (_, j) => j);
      const key = (j: number): number => q[i * nCat + j] as number;
      row.sort((x, y) => (key(x) === key(y) ? x - y : key(y) > key(x) || Number.isNaN(key(y)) ? 1 : -1));
      for (let j = 0; j < numSamples; j++) result[i * numSamples + j] = BigInt(row[j] as number);
    }
    return fromStorageArray(result, outShape, "int64", device);
  }
  const bits = new Bits(g);
  const cum = new Float64Array(nCat);
  for (let i = 0; i < nDist; i++) {
    let sum = 0;
    for (let j = 0; j < nCat; j++) {
      const v = probs[i * nCat + j] as number;
      if (!(v >= 0)) throw new ValueError(op, "invalid multinomial distribution (encountering probability entry < 0)");
      if (!Number.isFinite(v))
        throw new ValueError(op, "invalid multinomial distribution (encountering probability entry = infinity or NaN)");
      sum = roundAcc(sum + v);
      cum[j] = sum;
    }
    if (!(sum > 0)) throw new ValueError(op, "invalid multinomial distribution (sum of probabilities <= 0)");
    for (let j = 0; j < nCat; j++) cum[j] = roundAcc((cum[j] as number) / sum);
    for (let j = 0; j < numSamples; j++) {
      const u = bits.u53(i * numSamples + j);
      cum[nCat - 1] = 1;
      let left = 0;
      let right = nCat;
      while (right - left > 0) {
        const mid = left + Math.floor((right - left) / 2);
        if ((cum[mid] as number) < u) left = mid + 1;
        else right = mid;
      }
      result[i * numSamples + j] = BigInt(left);
    }
  }
  return fromStorageArray(result, outShape, "int64", device);
}

/**
 * The strides of PyTorch's empty_like(t) (memory_format=preserve): t's own strides when t is
 * non-overlapping and dense (a permutation of a contiguous layout), contiguous strides otherwise.
 */
function preservedStrides(shape: readonly number[], strides: readonly number[]): number[] {
  const dims = shape.map((_, d) => d).filter((d) => (shape[d] as number) !== 1);
  const sorted = [...dims].sort((a, b) => (strides[a] as number) - (strides[b] as number));
  let expect = 1;
  for (const d of sorted) {
    if (strides[d] !== expect) return contiguousOf(shape);
    expect *= shape[d] as number;
  }
  return [...strides];
}

/** A new tensor laid out as empty_like(t) would be (see preservedStrides). */
function emptyLike(t: Tensor, dtype: DType, device: string): Tensor {
  const st = preservedStrides(t.shape, t.strides);
  const contiguous = contiguousOf(t.shape);
  if (st.every((s, i) => s === contiguous[i] || (t.shape[i] as number) <= 1)) return empty(t.shape, dtype, device);
  // allocate the permutation of t's dims from the largest stride to the smallest, then permute back
  const perm = t.shape.map((_, d) => d).sort((a, b) => (st[b] as number) - (st[a] as number) || a - b);
  const base = empty(
    perm.map((d) => t.shape[d] as number),
    dtype,
    device,
  );
  const inverse = new Array<number>(perm.length);
  perm.forEach((d, i) => {
    inverse[d] = i;
  });
  return base.permute(inverse);
}

function contiguousOf(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= Math.max(shape[i] as number, 1);
  }
  return st;
}

// ---------------------------------------------------------------------------------------------
// *Like

type LikeOptions = RandomCreateOptions;
const likeArgs = (t: Tensor, o: LikeOptions): RandomCreateOptions => ({
  dtype: o.dtype ?? t.dtype,
  device: o.device ?? t.device,
  generator: o.generator,
  requiresGrad: o.requiresGrad,
});

/** torch.rand_like: laid out like t (empty_like's preserve format), drawn in that layout's order. */
export function randLike(t: Tensor, opts: LikeOptions = {}): Tensor {
  const o = likeArgs(t, opts);
  requireFloat("rand_like", o.dtype as DType);
  const out = emptyLike(t, o.dtype as DType, o.device as string);
  uniform_(out, 0, 1, { generator: o.generator });
  return created(out, o);
}
/** torch.randn_like (a non-contiguous layout takes PyTorch's element-by-element normal path). */
export function randnLike(t: Tensor, opts: LikeOptions = {}): Tensor {
  const o = likeArgs(t, opts);
  requireFloat("randn_like", o.dtype as DType);
  const out = emptyLike(t, o.dtype as DType, o.device as string);
  normal_(out, 0, 1, { generator: o.generator });
  return created(out, o);
}

/** torch.randint_like(input, low = 0, high, { dtype, device, generator }): `randintLike(t, high)` or `randintLike(t, low, high)`. */
export function randintLike(t: Tensor, a: number | bigint, b?: number | bigint | LikeOptions, c?: LikeOptions): Tensor {
  let low: number | bigint = 0;
  let high: number | bigint;
  let opts: LikeOptions;
  if (b === undefined || (typeof b === "object" && b !== null)) {
    high = a;
    opts = (b as LikeOptions | undefined) ?? {};
  } else {
    low = a;
    high = b;
    opts = c ?? {};
  }
  const o = likeArgs(t, opts);
  const out = emptyLike(t, o.dtype as DType, o.device as string);
  random_(out, low, high, { generator: o.generator });
  return created(out, o);
}
