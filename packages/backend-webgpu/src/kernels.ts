// WGSL sources for the backend contract's primitives, generated per (structure, rank, dtypes).
// Shapes, strides, offsets and constants are parameter words, not source text, so one pipeline
// serves every size. Orders are the contract's (core/src/backend.ts): reductions are the pairwise
// tree over adjacent elements (a stack of aligned blocks), matmul sums k sequentially, scan and
// scatter are sequential.
import * as core from "@lockstep/core";
import { type DType, ir, type ReduceKernel, type View } from "@lockstep/core";
import { ENTRY, PRELUDE } from "./runtime.js";
import { computeType, isFloat, newContext, renderExp, storageType, toStorage, type WgslContext } from "./wgsl.js";
import { libSource } from "./wgsl_lib.js";

type Exp = ir.Exp;

/** The distinct buffers of a kernel: slot 0 is the output's (read_write); inputs on it share the slot. */
export interface Slots {
  /** slot of each view, in the order [out, ...inputs] */
  readonly of: number[];
  /** buffers per slot, with their dtypes */
  readonly bufs: { buf: unknown; dtype: DType; writable: boolean }[];
}

export function slotsFor(views: readonly View[], writable: readonly boolean[]): Slots {
  const of: number[] = [];
  const bufs: Slots["bufs"] = [];
  views.forEach((v, i) => {
    let s = bufs.findIndex((b) => b.buf === v.buf);
    if (s >= 0) {
      const b = bufs[s] as Slots["bufs"][number];
      if (b.dtype !== v.dtype) throw new Error(`webgpu: one buffer viewed as ${b.dtype} and ${v.dtype} in one kernel`);
      b.writable ||= writable[i] ?? false;
    } else {
      s = bufs.length;
      bufs.push({ buf: v.buf, dtype: v.dtype, writable: writable[i] ?? false });
    }
    of.push(s);
  });
  return { of, bufs };
}

export function declareBuffers(slots: Slots): string {
  return slots.bufs
    .map(
      (b, s) =>
        `@group(0) @binding(${s + 1}) var<storage, ${b.writable ? "read_write" : "read"}> B${s}: array<${storageType(b.dtype)}>;`,
    )
    .join("\n");
}

/** WGSL reading element `off` (an u32/i32 expression) of slot `s` holding `dtype` (raw storage value). */
export function rawLoad(s: number, dtype: DType, off: string): string {
  if (dtype === "int64") return `vec2<u32>(B${s}[2u * u32(${off})], B${s}[2u * u32(${off}) + 1u])`;
  return `B${s}[${off}]`;
}

/** WGSL statement storing compute value `v` of `dtype` at element `off` of slot `s`. */
export function rawStore(s: number, dtype: DType, off: string, v: string, ctx: WgslContext): string {
  if (dtype === "int64") return `{ let w = ${v}; B${s}[2u * (${off})] = w.x; B${s}[2u * (${off}) + 1u] = w.y; }`;
  return `B${s}[${off}] = ${toStorage(dtype, v, ctx)};`;
}

/** Parameter words for views over a shape: [n, shape..., per view: offset, strides...]. */
export function viewParams(shape: readonly number[], views: readonly { offset: number; strides: readonly number[] }[]): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  const p = [n, ...shape];
  for (const v of views) p.push(v.offset, ...v.strides);
  return p;
}

/** Statements computing coordinates c0.. of flat index `idx` and offsets o0.. of each view (see viewParams). */
/**
 * `inner`: per view, its innermost stride when that is 0 or 1 ("0"/"1"), else "s". Those strides
 * are built into the source: the driver then sees consecutive (or equal) addresses across
 * invocations and can load and store them as vectors instead of gathers and scatters.
 */
function indexCode(rank: number, nViews: number, idx: string, inner = "", invBase = -1): string {
  const lines = [`var rem = ${idx};`];
  // idx < n, so what is left for dim 0 needs no modulo (integer division is slow on GPUs)
  for (let d = rank - 1; d >= 1; d--) {
    if (invBase >= 0)
      lines.push(
        `let q${d} = div_small(rem, P[${1 + d}], P[${invBase + d}]); let c${d} = rem - q${d} * P[${1 + d}]; rem = q${d};`,
      );
    else lines.push(`let c${d} = rem % P[${1 + d}]; rem = rem / P[${1 + d}];`);
  }
  if (rank > 0) lines.push("let c0 = rem;");
  for (let v = 0; v < nViews; v++) {
    const base = 1 + rank + v * (1 + rank);
    const terms = [`P[${base}]`];
    for (let d = 0; d < rank; d++) {
      const known = d === rank - 1 ? inner[v] : undefined;
      if (known === "0") continue;
      terms.push(known === "1" ? `c${d}` : `c${d} * P[${base + 1 + d}]`);
    }
    lines.push(`let o${v} = ${terms.join(" + ")};`);
  }
  return lines.join("\n  ");
}

/**
 * x / d for x < 2^24 without an integer division: the f32 quotient x · (1/d) is within one of the
 * truth (x and d are exact in f32, 1/d is within 2^-24 relative), so one correction step makes it
 * exact. `inv` holds the f32 bits of 1/d (computed on the host).
 */
const DIV_SMALL = `fn div_small(x: u32, d: u32, inv: u32) -> u32 {
  var q = u32(i32(f32(i32(x)) * bitcast<f32>(inv))); // via i32: the conversions CPUs have vector instructions for
  let r = i32(x) - i32(q * d);
  if (r < 0) { q = q - 1u; } else if (r >= i32(d)) { q = q + 1u; }
  return q;
}`;
/** Elementwise kernels over fewer elements than this divide indices with div_small. */
const DIV_SMALL_LIMIT = 1 << 24;

function invWords(shape: readonly number[]): number[] {
  const f = new Float32Array(shape.map((d) => 1 / Math.max(1, d)));
  return Array.from(new Uint32Array(f.buffer));
}

/** The `inner` code of indexCode for views over a shape of this rank. */
function innerStrides(rank: number, views: readonly View[]): string {
  if (rank === 0) return "";
  return views.map((v) => (v.strides[rank - 1] === 0 ? "0" : v.strides[rank - 1] === 1 ? "1" : "s")).join("");
}

export interface Kernel {
  source: string;
  params: number[];
  /** Invocations to run when not one per output element (the vec4 elementwise path: a quarter). */
  threads?: number;
}

/** The structure of a kernel's buffers (which view reads which slot, of which dtype): part of cache keys. */
export function slotsKey(slots: Slots): string {
  return `${slots.of.join(",")}|${slots.bufs.map((b) => `${b.dtype}${b.writable ? "w" : "r"}`).join(",")}`;
}

/**
 * Global switches that change how the same IR renders (portable numerics): part of every cached
 * source's key. Looked up on the module so that a core without the switch still loads.
 */
export function renderModeKey(): string {
  const portable = (core as { isPortableNumericsEnabled?: () => boolean }).isPortableNumericsEnabled;
  return portable?.() ? "portable" : "native";
}

/** Generated sources and their constant words, by structural key: rendering WGSL per call costs more than the dispatch. */
const elementwiseCache = new Map<string, { source: string; consts: number[] }>();
const CACHE_LIMIT = 2048;

/** out[pos] = e(inputs at pos). Views are already broadcast to `shape`. */
export function elementwiseKernel(e: Exp, shape: readonly number[], out: View, inputs: readonly View[], slots: Slots): Kernel {
  const rank = shape.length;
  // the key holds every constant's value (expKey), so the cached words are this call's
  const inner = innerStrides(rank, [out, ...inputs]);
  const n = shape.reduce((a, b) => a * b, 1);
  if (vec4Eligible(e, shape, out, inputs, slots)) return vec4Kernel(e, n, inner, out, inputs, slots);
  const small = rank > 1 && n < DIV_SMALL_LIMIT;
  const key = `${renderModeKey()}|${rank}|${inner}|${small}|${out.dtype}|${slotsKey(slots)}|${ir.expKey(e)}`;
  let hit = elementwiseCache.get(key);
  if (!hit) {
    hit = renderElementwise(e, rank, inner, small, out, inputs, slots);
    if (elementwiseCache.size >= CACHE_LIMIT) elementwiseCache.clear();
    elementwiseCache.set(key, hit);
  }
  // the reciprocals of the dims go after the constants (div_small)
  const params = [...viewParams(shape, [out, ...inputs]), ...hit.consts];
  if (small) params.push(...invWords(shape));
  return { source: hit.source, params };
}

/** Whether an expression reads inputs at computed offsets (gload): those need scalar buffers. */
function hasGload(e: Exp, seen = new Set<Exp>()): boolean {
  if (seen.has(e)) return false;
  seen.add(e);
  switch (e.k) {
    case "gload":
      return true;
    case "un":
    case "cast":
      return hasGload(e.a, seen);
    case "bin":
      return hasGload(e.a, seen) || hasGload(e.b, seen);
    case "fma":
    case "select":
      return hasGload(e.a, seen) || hasGload(e.b, seen) || hasGload(e.c, seen);
    default:
      return false;
  }
}

/**
 * The vec4 path: a flat kernel (rank 1, n a multiple of 4) whose views are contiguous and 4-aligned
 * or broadcast scalars (stride 0, in buffers no contiguous view uses), over 4-byte storage words.
 * Each invocation then moves vec4s: 16-byte loads and stores, which CPU adapters vectorise and GPUs
 * coalesce (3× faster than scalars on lavapipe). The expression itself stays scalar: it is one
 * function applied to each of the 4 lanes, so results are those of the scalar kernel.
 */
function vec4Eligible(e: Exp, shape: readonly number[], out: View, inputs: readonly View[], slots: Slots): boolean {
  if (shape.length !== 1 || (shape[0] as number) % 4 !== 0) return false;
  const views = [out, ...inputs];
  if (views.some((v) => v.dtype === "int64")) return false;
  const vecSlot = new Set<number>();
  for (let v = 0; v < views.length; v++) {
    const view = views[v] as View;
    const st = view.strides[0];
    if (st === 1) {
      if (view.offset % 4 !== 0) return false;
      vecSlot.add(slots.of[v] as number);
    } else if (st !== 0 || v === 0) return false;
  }
  // a broadcast scalar must live in a buffer declared as scalars
  for (let v = 1; v < views.length; v++)
    if ((views[v] as View).strides[0] === 0 && vecSlot.has(slots.of[v] as number)) return false;
  return !hasGload(e);
}

const vec4Cache = new Map<string, { source: string; consts: number[] }>();

function vec4Kernel(e: Exp, n: number, inner: string, out: View, inputs: readonly View[], slots: Slots): Kernel {
  const key = `${renderModeKey()}|${inner}|${out.dtype}|${slotsKey(slots)}|${ir.expKey(e)}`;
  let hit = vec4Cache.get(key);
  if (!hit) {
    hit = renderVec4(e, inner, out, inputs, slots);
    if (vec4Cache.size >= CACHE_LIMIT) vec4Cache.clear();
    vec4Cache.set(key, hit);
  }
  return { source: hit.source, params: [...viewParams([n], [out, ...inputs]), ...hit.consts], threads: n / 4 };
}

/** Params as the scalar kernel's (viewParams for rank 1, then constants). */
function renderVec4(
  e: Exp,
  inner: string,
  out: View,
  inputs: readonly View[],
  slots: Slots,
): { source: string; consts: number[] } {
  const nViews = inputs.length + 1;
  const constBase = 2 + nViews * 2;
  const ctx = newContext({
    param: (i) => `P[${constBase + i}]`,
    load: (i) => `v${i}`,
    gload: () => {
      throw new Error("webgpu: the vec4 path has no gathers");
    },
    coord: () => {
      throw new Error("webgpu: the vec4 path has no coordinates");
    },
    acc: "acc",
  });
  const v = renderExp(e, ctx);
  const store = toStorage(out.dtype, v, ctx);
  const args = inputs.map((x, i) => `v${i}: ${storageType(x.dtype)}`).join(", ");
  // slot declarations: vec4 for slots with contiguous views, scalars for broadcast-only slots
  const vecSlots = new Set<number>([slots.of[0] as number]);
  inputs.forEach((_, i) => {
    if (inner[i + 1] === "1") vecSlots.add(slots.of[i + 1] as number);
  });
  const decl = slots.bufs
    .map((b, sl) => {
      const t = storageType(b.dtype);
      return `@group(0) @binding(${sl + 1}) var<storage, ${b.writable ? "read_write" : "read"}> B${sl}: array<${vecSlots.has(sl) ? `vec4<${t}>` : t}>;`;
    })
    .join("\n");
  const loads = inputs.map((_, i) => {
    const sl = slots.of[i + 1] as number;
    const off = `P[${2 + (i + 1) * 2}]`;
    return inner[i + 1] === "1" ? `let x${i} = B${sl}[${off} / 4u + q];` : `let x${i} = B${sl}[${off}];`;
  });
  const lane = (c: string) => `f(${inputs.map((_, i) => (inner[i + 1] === "1" ? `x${i}.${c}` : `x${i}`)).join(", ")})`;
  const source = `${PRELUDE}
${decl}
${libSource(ctx.lib)}
fn f(${args}) -> ${storageType(out.dtype)} {
  ${ctx.lines.join("\n  ")}
  return ${store};
}
${ENTRY} {
  let q = invocation(gid, nwg);
  if (q >= P[0] / 4u) { return; }
  ${loads.join("\n  ")}
  B${slots.of[0]}[P[2] / 4u + q] = vec4<${storageType(out.dtype)}>(${["x", "y", "z", "w"].map(lane).join(", ")});
}`;
  return { source, consts: ctx.consts };
}

function renderElementwise(
  e: Exp,
  rank: number,
  inner: string,
  small: boolean,
  out: View,
  inputs: readonly View[],
  slots: Slots,
): { source: string; consts: number[] } {
  const nViews = inputs.length + 1;
  const constBase = 1 + rank + nViews * (1 + rank);
  const ctx = newContext({
    param: (i) => `P[${constBase + i}]`,
    load: (i, d) => rawLoad(slots.of[i + 1] as number, d, `o${i + 1}`),
    gload: (i, d, off) => rawLoad(slots.of[i + 1] as number, d, off),
    coord: (d) => `i32(c${d})`,
    acc: "acc",
  });
  const v = renderExp(e, ctx);
  const store = rawStore(0, out.dtype, "o0", v, ctx);
  const source = `${PRELUDE}
${declareBuffers(slots)}
${libSource(ctx.lib)}
${small ? DIV_SMALL : ""}
${ENTRY} {
  let idx = invocation(gid, nwg);
  if (idx >= P[0]) { return; }
  ${indexCode(rank, nViews, "idx", inner, small ? constBase + ctx.consts.length : -1)}
  ${ctx.lines.join("\n  ")}
  ${store}
}`;
  return { source, consts: ctx.consts };
}

function identity(op: string, d: DType): string {
  const one = op === "prod" || op === "min";
  if (d === "int64") return `vec2<u32>(${one ? 1 : 0}u, 0u)`;
  if (d === "bool") return one ? "true" : "false";
  return `${computeType(d)}(${one ? 1 : 0})`;
}

export function combineFn(op: string, d: DType, ctx: WgslContext): string {
  const t = computeType(d);
  let body: string;
  const f = isFloat(d);
  const rnd = (v: string) => (d === "float16" ? `round_half(${v})` : d === "bfloat16" ? `round_bf16(${v})` : v);
  if (d === "float16") ctx.lib.add("round_half");
  if (d === "bfloat16") ctx.lib.add("round_bf16");
  switch (op) {
    case "sum":
      body =
        d === "int64" ? "i64_add(a, b)" : d === "bool" ? "a || b" : d === "uint8" ? "(a + b) & 255u" : f ? rnd("a + b") : "a + b";
      if (d === "int64") ctx.lib.add("i64_add");
      break;
    case "prod":
      body =
        d === "int64" ? "i64_mul(a, b)" : d === "bool" ? "a && b" : d === "uint8" ? "(a * b) & 255u" : f ? rnd("a * b") : "a * b";
      if (d === "int64") ctx.lib.add("i64_mul");
      break;
    case "max":
    case "min": {
      const gt = op === "max";
      if (f) {
        ctx.lib.add("is_nan");
        body = `select(b, a, ${gt ? "a > b" : "a < b"} || is_nan(a))`;
      } else if (d === "int64") {
        ctx.lib.add("i64_lt");
        body = `select(b, a, ${gt ? "i64_lt(b, a)" : "i64_lt(a, b)"})`;
      } else if (d === "bool") body = gt ? "a || b" : "a && b";
      else body = `${gt ? "max" : "min"}(a, b)`;
      break;
    }
    default:
      throw new Error(`webgpu: unknown reduction ${op}`);
  }
  return `fn combine(a: ${t}, b: ${t}) -> ${t} { return ${body}; }`;
}

/**
 * One invocation per output element walks its reduced elements in row-major order, merging aligned
 * blocks of equal size on a stack (the pairwise tree), and folds the stack right to left.
 * Params: viewParams(outShape, [out, input]) then reduced sizes and input strides, then constants.
 */
const reduceCache = new Map<string, { source: string; consts: number[] }>();

export function reduceKernel(k: ReduceKernel, out: View, input: View, _nReduced: number, slots: Slots): Kernel {
  const outRank = out.shape.length;
  const r = input.shape.length - outRank;
  const key = `${renderModeKey()}|${k.op}|${outRank}|${r}|${out.dtype}|${slotsKey(slots)}|${ir.expKey(k.map)}|${ir.expKey(k.post)}`;
  let hit = reduceCache.get(key);
  if (!hit) {
    const rendered = renderReduce(k, out, input, slots);
    hit = { source: rendered.source, consts: rendered.params.slice(rendered.params.length - rendered.nConsts) };
    if (reduceCache.size >= CACHE_LIMIT) reduceCache.clear();
    reduceCache.set(key, hit);
  }
  const params = [
    ...viewParams(out.shape, [out, { offset: input.offset, strides: input.strides.slice(0, outRank) }]),
    ...input.shape.slice(outRank),
    ...input.strides.slice(outRank),
    ...hit.consts,
  ];
  return { source: hit.source, params };
}

function renderReduce(k: ReduceKernel, out: View, input: View, slots: Slots): Kernel & { nConsts: number } {
  const outRank = out.shape.length;
  const redShape = input.shape.slice(outRank);
  const redStrides = input.strides.slice(outRank);
  const r = redShape.length;
  const nViews = 2;
  const redBase = 1 + outRank + nViews * (1 + outRank);
  const constBase = redBase + 2 * r;
  const accT = computeType(k.map.dtype);
  const mapCtx = newContext({
    param: (i) => `P[${constBase + i}]`,
    load: (_i, d) => rawLoad(slots.of[1] as number, d, "p"),
    gload: (_i, d, off) => rawLoad(slots.of[1] as number, d, off),
    coord: () => {
      throw new Error("webgpu: reduction map expressions cannot read output coordinates");
    },
    acc: "acc",
  });
  const mv = renderExp(k.map, mapCtx);
  const postCtx = { ...mapCtx, lines: [] as string[], memo: new Map<Exp, string>(), next: 1000 };
  const pv = renderExp(k.post, postCtx);
  const arg = k.op === "argmax" || k.op === "argmin";
  const comb = combineFn(arg ? (k.op === "argmax" ? "max" : "min") : k.op, k.map.dtype, mapCtx);
  // reduced-element loop: nested dims, leaf offset p
  let open = "";
  let close = "";
  for (let d = 0; d < r; d++) {
    const from = d === 0 ? "o1" : `q${d - 1}`;
    open += `for (var r${d} = 0u; r${d} < P[${redBase + d}]; r${d} = r${d} + 1u) { let q${d} = ${from} + r${d} * P[${redBase + r + d}];\n`;
    close += "}";
  }
  const leafOff = r === 0 ? "o1" : `q${r - 1}`;
  const better = k.op === "argmax" ? ">" : "<";
  const isF = isFloat(k.map.dtype);
  const nan = (x: string) => (isF ? `is_nan(${x})` : "false");
  if (isF) mapCtx.lib.add("is_nan");
  let cmpBetter: string;
  if (k.map.dtype === "int64") {
    mapCtx.lib.add("i64_lt");
    cmpBetter = k.op === "argmax" ? "i64_lt(bv, v)" : "i64_lt(v, bv)";
  } else if (k.map.dtype === "bool") cmpBetter = k.op === "argmax" ? "(v && !bv)" : "(!v && bv)";
  else cmpBetter = `v ${better} bv`;
  const leaf = arg
    ? `if (!${nan("bv")} && (cnt == 0u || ${nan("v")} || ${cmpBetter})) { bv = v; bi = cnt; } cnt = cnt + 1u;`
    : `var lv = 0u; var a = v; loop { if (top == 0u || SL[top - 1u] != lv) { break; } top = top - 1u; a = combine(ST[top], a); lv = lv + 1u; } ST[top] = a; SL[top] = lv; top = top + 1u;`;
  const finish = arg
    ? "let acc = vec2<u32>(bi, 0u);"
    : `var acc: ${accT} = ${identity(k.op, k.map.dtype)}; if (top > 0u) { acc = ST[top - 1u]; var q = i32(top) - 2; loop { if (q < 0) { break; } acc = combine(ST[q], acc); q = q - 1; } }`;
  const store = rawStore(0, out.dtype, "o0", pv, mapCtx);
  const source = `${PRELUDE}
${declareBuffers(slots)}
${libSource(mapCtx.lib)}
${comb}
fn leaf_value(p: u32) -> ${accT} {
  ${mapCtx.lines.join("\n  ")}
  return ${mv};
}
${ENTRY} {
  let idx = invocation(gid, nwg);
  if (idx >= P[0]) { return; }
  ${indexCode(outRank, nViews, "idx")}
  var ST: array<${accT}, 48>;
  var SL: array<u32, 48>;
  var top = 0u;
  var cnt = 0u;
  var bi = 0u;
  var bv: ${accT} = ${identity("sum", k.map.dtype)};
  ${open}{ let v = leaf_value(${leafOff}); ${leaf} }
  ${close}
  ${finish}
  ${postCtx.lines.join("\n  ")}
  ${store}
}`;
  const params = [
    ...viewParams(out.shape, [out, { offset: input.offset, strides: input.strides.slice(0, outRank) }]),
    ...redShape,
    ...redStrides,
    ...mapCtx.consts,
  ];
  return { source, params, nConsts: mapCtx.consts.length };
}
