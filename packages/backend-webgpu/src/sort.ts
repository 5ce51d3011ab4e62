// Bitonic sort of long rows. Each row's positions 0..n-1 are padded to a power of two P and sorted
// as indices, compared by (value, index): x goes before y when its value sorts first (NaN above
// everything; descending reverses the values only) or, for equal values, when its index is
// smaller — a total order, so the network's result is the stable order the contract asks for.
// Padding positions (index ≥ n) go after every real one. Stages whose compare distance is below
// CHUNK run inside one workgroup on its CHUNK indices in workgroup memory; longer distances are one
// dispatch per step over the whole row. A last kernel gathers values and writes int64 indices.
import type { DType, View } from "@lockstep/core";
import type { GpuStorage } from "./backend.js";
import { PRELUDE, type Runtime } from "./runtime.js";
import { computeType, fromStorage, isFloat, newContext, storageType, type WgslContext } from "./wgsl.js";
import { libSource } from "./wgsl_lib.js";

const THREADS = 256;
const CHUNK = 2048;
const MAX_GRID = 65535;
/** Rows per grid z slice (rows beyond the y limit continue in z). */
const ROWS_Y = MAX_GRID;
/** Rows at least this long use the bitonic network (shorter ones: one invocation per element). */
export const BITONIC_MIN = 512;

export function canSortBitonic(values: View, indices: View, input: View): boolean {
  const n = input.shape[input.shape.length - 1] ?? 1;
  const rows = input.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const P = 2 ** Math.ceil(Math.log2(Math.max(n, 2)));
  const bufs = [values.buf, indices.buf, input.buf];
  return (
    n >= BITONIC_MIN &&
    rows <= ROWS_Y * MAX_GRID &&
    P / CHUNK <= MAX_GRID &&
    P / 2 / THREADS <= MAX_GRID &&
    new Set(bufs).size === 3
  );
}

const noCtx = () => {
  throw new Error("webgpu: sort kernel has no IR inputs");
};

/**
 * Params: [rows, n, P, k, j, outer shape..., per view (values, indices, input): offset, outer
 * strides..., last-dim stride]. Bindings: 1 values (w), 2 indices (w), 3 input (r), 4 scratch (w).
 */
function header(d: DType, descending: boolean, outer: number, ctx: WgslContext): string {
  const t = computeType(d);
  let less: string;
  if (isFloat(d)) {
    ctx.lib.add("is_nan");
    less = `fn less(a: f32, b: f32) -> bool { if (is_nan(a)) { return false; } if (is_nan(b)) { return true; } return a < b; }`;
  } else if (d === "int64") {
    ctx.lib.add("i64_lt");
    less = "fn less(a: vec2<u32>, b: vec2<u32>) -> bool { return i64_lt(a, b); }";
  } else if (d === "bool") less = "fn less(a: bool, b: bool) -> bool { return !a && b; }";
  else less = `fn less(a: ${t}, b: ${t}) -> bool { return a < b; }`;
  const load = (pos: string) => {
    const raw = d === "int64" ? `vec2<u32>(IN[2u * (${pos})], IN[2u * (${pos}) + 1u])` : `IN[${pos}]`;
    return fromStorage(d, raw, ctx);
  };
  // row → base offsets of the three views (values, indices, input) and their last-dim strides
  const idx: string[] = ["var rem = row;"];
  for (let d2 = outer - 1; d2 >= 0; d2--) idx.push(`let c${d2} = rem % P[${5 + d2}]; rem = rem / P[${5 + d2}];`);
  const views: string[] = [];
  for (let v = 0; v < 3; v++) {
    const base = 5 + outer + v * (outer + 2);
    const terms = [`P[${base}]`, ...Array.from({ length: outer }, (_, d2) => `c${d2} * P[${base + 1 + d2}]`)];
    views.push(`r.o${v} = ${terms.join(" + ")}; r.s${v} = P[${base + 1 + outer}];`);
  }
  const body = `${less}
struct Row { o0: u32, s0: u32, o1: u32, s1: u32, o2: u32, s2: u32 }
fn row_of(row: u32) -> Row {
  var r: Row;
  ${idx.join("\n  ")}
  ${views.join("\n  ")}
  return r;
}
fn value(r: Row, i: u32) -> ${t} { return ${load("r.o2 + i * r.s2")}; }
// whether index x sorts before index y (both distinct); padding (>= n) goes last
fn before(r: Row, x: u32, y: u32) -> bool {
  let n = P[1];
  if (x >= n) { return false; }
  if (y >= n) { return true; }
  let vx = value(r, x);
  let vy = value(r, y);
  if (${descending ? "less(vy, vx)" : "less(vx, vy)"}) { return true; }
  if (${descending ? "less(vx, vy)" : "less(vy, vx)"}) { return false; }
  return x < y;
}`;
  return body;
}

function decls(values: View, input: View): string {
  return `@group(0) @binding(1) var<storage, read_write> VALS: array<${storageType(values.dtype)}>;
@group(0) @binding(2) var<storage, read_write> IDXS: array<u32>;
@group(0) @binding(3) var<storage, read> IN: array<${storageType(input.dtype)}>;
@group(0) @binding(4) var<storage, read_write> S: array<u32>;`;
}

function localSource(values: View, input: View, descending: boolean, full: boolean): string {
  const ctx = newContext({ param: noCtx, load: noCtx, gload: noCtx, coord: noCtx, acc: "acc" });
  const outer = Math.max(0, input.shape.length - 1);
  const h = header(input.dtype, descending, outer, ctx);
  // full: every stage up to the chunk size; otherwise the steps of stage P[3] below the chunk
  const stages = full
    ? "for (var kk = 2u; kk <= C; kk = kk * 2u) { for (var jj = kk / 2u; jj > 0u; jj = jj / 2u) { step(kk, jj, base, t, C, rw); } }"
    : "let kk = P[3]; for (var jj = C / 2u; jj > 0u; jj = jj / 2u) { step(kk, jj, base, t, C, rw); }";
  return `${PRELUDE}
${decls(values, input)}
${libSource(ctx.lib)}
${h}
var<workgroup> K: array<u32, ${CHUNK}>;
fn step(kk: u32, jj: u32, base: u32, t: u32, C: u32, rw: Row) {
  workgroupBarrier();
  for (var q = t; q < C / 2u; q = q + ${THREADS}u) {
    let i = 2u * jj * (q / jj) + q % jj;
    let l = i + jj;
    let a = K[i];
    let b = K[l];
    let up = ((base + i) & kk) == 0u;
    if (select(before(rw, a, b), before(rw, b, a), up)) { K[i] = b; K[l] = a; }
  }
}
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row = wid.y + wid.z * ${ROWS_Y}u; // rows past 65535 continue in z
  if (row >= P[0]) { return; }
  let t = lid.x;
  let Pn = P[2];
  let C = min(Pn, ${CHUNK}u);
  let base = wid.x * C;
  let rw = row_of(row);
  let sb = row * Pn + base;
  for (var e = t; e < C; e = e + ${THREADS}u) { K[e] = ${full ? "base + e" : "S[sb + e]"}; }
  ${stages}
  workgroupBarrier();
  for (var e = t; e < C; e = e + ${THREADS}u) { S[sb + e] = K[e]; }
}`;
}

function globalSource(values: View, input: View, descending: boolean): string {
  const ctx = newContext({ param: noCtx, load: noCtx, gload: noCtx, coord: noCtx, acc: "acc" });
  const outer = Math.max(0, input.shape.length - 1);
  const h = header(input.dtype, descending, outer, ctx);
  return `${PRELUDE}
${decls(values, input)}
${libSource(ctx.lib)}
${h}
@compute @workgroup_size(${THREADS})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.y + gid.z * ${ROWS_Y}u;
  if (row >= P[0]) { return; }
  let q = gid.x;
  let Pn = P[2];
  if (q >= Pn / 2u) { return; }
  let kk = P[3]; let jj = P[4];
  let i = 2u * jj * (q / jj) + q % jj;
  let l = i + jj;
  let rw = row_of(row);
  let sb = row * Pn;
  let a = S[sb + i];
  let b = S[sb + l];
  let up = (i & kk) == 0u;
  if (select(before(rw, a, b), before(rw, b, a), up)) { S[sb + i] = b; S[sb + l] = a; }
}`;
}

function gatherSource(values: View, input: View): string {
  const ctx = newContext({ param: noCtx, load: noCtx, gload: noCtx, coord: noCtx, acc: "acc" });
  const outer = Math.max(0, input.shape.length - 1);
  const h = header(input.dtype, false, outer, ctx);
  // values move as stored words (NaN payloads unchanged), as the reference copies them
  const move =
    input.dtype === "int64" ? "VALS[2u * po] = IN[2u * pi]; VALS[2u * po + 1u] = IN[2u * pi + 1u];" : "VALS[po] = IN[pi];";
  return `${PRELUDE}
${decls(values, input)}
${libSource(ctx.lib)}
${h}
@compute @workgroup_size(${THREADS})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.y + gid.z * ${ROWS_Y}u;
  if (row >= P[0]) { return; }
  let r = gid.x;
  if (r >= P[1]) { return; }
  let rw = row_of(row);
  let i = S[row * P[2] + r];
  let po = rw.o0 + r * rw.s0;
  let pi = rw.o2 + i * rw.s2;
  ${move}
  let px = rw.o1 + r * rw.s1;
  IDXS[2u * px] = i;
  IDXS[2u * px + 1u] = 0u;
}`;
}

const cache = new Map<string, string>();
function cached(key: string, make: () => string): string {
  let s = cache.get(key);
  if (!s) {
    s = make();
    if (cache.size > 512) cache.clear();
    cache.set(key, s);
  }
  return s;
}

export function sortBitonic(rt: Runtime, values: View, indices: View, input: View, descending: boolean): void {
  const rank = input.shape.length;
  const n = input.shape[rank - 1] ?? 1;
  const outerShape = input.shape.slice(0, -1);
  const rows = outerShape.reduce((a, b) => a * b, 1);
  const P = 2 ** Math.ceil(Math.log2(Math.max(n, 2)));
  const C = Math.min(P, CHUNK);
  const ry = Math.min(rows, ROWS_Y);
  const rz = Math.ceil(rows / ROWS_Y);
  const viewWords = (v: View) => [v.offset, ...v.strides.slice(0, -1), v.strides[rank - 1] ?? 0];
  const tail = [...outerShape, ...viewWords(values), ...viewWords(indices), ...viewWords(input)];
  const params = (k: number, j: number) => Uint32Array.from([rows, n, P, k, j, ...tail], (x) => x >>> 0);
  const scratch = rt.scratch(rows * P * 4);
  const bindings = [
    { buffer: (values.buf as GpuStorage).buffer, writable: true },
    { buffer: (indices.buf as GpuStorage).buffer, writable: true },
    { buffer: (input.buf as GpuStorage).buffer, writable: false },
    { buffer: scratch, writable: true },
  ];
  const key = `${rank}|${values.dtype}|${input.dtype}|${descending}`;
  const full = cached(`full|${key}`, () => localSource(values, input, descending, true));
  const merge = cached(`merge|${key}`, () => localSource(values, input, descending, false));
  const step = cached(`global|${key}`, () => globalSource(values, input, descending));
  rt.dispatchGroups(full, bindings, params(0, 0), [P / C, ry, rz]);
  for (let k = 2 * C; k <= P; k *= 2) {
    for (let j = k / 2; j >= C; j /= 2) rt.dispatchGroups(step, bindings, params(k, j), [Math.ceil(P / 2 / THREADS), ry, rz]);
    rt.dispatchGroups(merge, bindings, params(k, 0), [P / C, ry, rz]);
  }
  const gather = cached(`gather|${key}`, () => gatherSource(values, input));
  rt.dispatchGroups(gather, bindings, params(0, 0), [Math.ceil(n / THREADS), ry, rz]);
  rt.release(scratch);
}
