// Matmul, scan, sort and scatter kernels (straightforward versions that keep the contract's orders).
import type { DType, View } from "@lockstep/core";
import { declareBuffers, type Kernel, rawLoad, rawStore, type Slots } from "./kernels.js";
import { ENTRY, PRELUDE } from "./runtime.js";
import { SOFT_F64_WGSL } from "./soft_f64.js";
import { computeType, fromStorage, isFloat, newContext, type WgslContext } from "./wgsl.js";
import { libSource } from "./wgsl_lib.js";

const noParams = () => {
  throw new Error("webgpu: kernel has no constants");
};
const ctxFor = (): WgslContext => newContext({ param: noParams, load: noParams, gload: noParams, coord: noParams, acc: "acc" });

function kernel(slots: Slots, ctx: WgslContext, body: string, extra = ""): string {
  return `${PRELUDE}\n${declareBuffers(slots)}\n${libSource(ctx.lib)}\n${extra}\n${ENTRY} {\n  let idx = invocation(gid, nwg);\n${body}\n}`;
}

/** Sum and product of the accumulator type, rounded as the reference rounds them. */
function accOps(
  d: DType,
  ctx: WgslContext,
): { add: (a: string, b: string) => string; mul: (a: string, b: string) => string; zero: string } {
  if (d === "int64") {
    ctx.lib.add("i64_add");
    ctx.lib.add("i64_mul");
    return { add: (a, b) => `i64_add(${a}, ${b})`, mul: (a, b) => `i64_mul(${a}, ${b})`, zero: "vec2<u32>(0u, 0u)" };
  }
  if (d === "bool") return { add: (a, b) => `(${a} || ${b})`, mul: (a, b) => `(${a} && ${b})`, zero: "false" };
  if (d === "uint8") return { add: (a, b) => `((${a} + ${b}) & 255u)`, mul: (a, b) => `((${a} * ${b}) & 255u)`, zero: "0u" };
  const t = computeType(d);
  return { add: (a, b) => `(${a} + ${b})`, mul: (a, b) => `(${a} * ${b})`, zero: `${t}(0)` };
}

/**
 * out[b,i,j] = sequential sum over k of a[b,i,k]*b[b,k,j]: one invocation per output element.
 * float16/bfloat16 accumulate in f32 and round once at the end (as the reference).
 * Params: [n, B, M, N, K, a off, a strides(3), b off, b strides(3), out off, out strides(3)].
 */
export function matmulKernel(out: View, a: View, b: View, slots: Slots): Kernel {
  const ctx = ctxFor();
  const d = out.dtype;
  const ops = accOps(d, ctx);
  const la = fromStorage(d, rawLoad(slots.of[1] as number, d, "pa"), ctx);
  const lb = fromStorage(d, rawLoad(slots.of[2] as number, d, "pb"), ctx);
  const accT = computeType(d);
  const body = `  if (idx >= P[0]) { return; }
  let j = idx % P[3]; let i = (idx / P[3]) % P[2]; let bt = idx / (P[3] * P[2]);
  var acc: ${accT} = ${ops.zero};
  var pa = P[5] + bt * P[6] + i * P[7];
  var pb = P[9] + bt * P[10] + j * P[12];
  for (var k = 0u; k < P[4]; k = k + 1u) {
    acc = ${ops.add("acc", ops.mul(la, lb))};
    pa = pa + P[8];
    pb = pb + P[11];
  }
  let po = P[13] + bt * P[14] + i * P[15] + j * P[16];
  ${rawStore(0, d, "po", "acc", ctx)}`;
  const [B, M, K] = a.shape as [number, number, number];
  const N = b.shape[2] as number;
  const params = [B * M * N, B, M, N, K, a.offset, ...a.strides, b.offset, ...b.strides, out.offset, ...out.strides];
  return { source: kernel(slots, ctx, body), params };
}

/** Outer-index params for a kernel over all but the last dim: [rows, outer shape..., per view: off, outer strides..., last stride]. */
function rowParams(shape: readonly number[], views: readonly View[]): number[] {
  const outer = shape.slice(0, -1);
  const p = [outer.reduce((x, y) => x * y, 1), shape[shape.length - 1] ?? 1, ...outer];
  for (const v of views) p.push(v.offset, ...v.strides.slice(0, -1), v.strides[v.strides.length - 1] ?? 0);
  return p;
}

/** Statements computing base offsets o<v> and last-dim strides s<v> of row `idx` (see rowParams). */
function rowIndex(rank: number, nViews: number): string {
  const outer = rank - 1;
  const lines = ["var rem = row;"];
  for (let d = outer - 1; d >= 0; d--) lines.push(`let c${d} = rem % P[${2 + d}]; rem = rem / P[${2 + d}];`);
  for (let v = 0; v < nViews; v++) {
    const base = 2 + outer + v * (outer + 2);
    const terms = [`P[${base}]`, ...Array.from({ length: outer }, (_, d) => `c${d} * P[${base + 1 + d}]`)];
    lines.push(`let o${v} = ${terms.join(" + ")}; let s${v} = P[${base + 1 + outer}];`);
  }
  return lines.join("\n  ");
}

/**
 * Inclusive scan along the last dim, one invocation per row. Floating products accumulate in an
 * exact soft float64 (the reference's accumulator); sums in an unevaluated f32 pair (two-sum).
 */
export function scanKernel(op: "sum" | "prod", out: View, input: View, slots: Slots): Kernel {
  const ctx = ctxFor();
  const d = input.dtype;
  const rank = Math.max(1, input.shape.length);
  const shape = input.shape.length ? input.shape : [1];
  const x = fromStorage(d, rawLoad(slots.of[1] as number, d, "o1 + t * s1"), ctx);
  let step: string;
  let init: string;
  let result: string;
  let extra = "";
  if (isFloat(d)) {
    ctx.lib.add("fma_f32"); // brings two_sum_err
    // opmath f32; 16-bit outputs are rounded by the store
    if (op === "sum") {
      ctx.lib.add("is_inf");
      ctx.lib.add("is_nan");
      init = "var hi = 0.0; var lo = 0.0;";
      // once the sum is infinite (or NaN) it stays so, as in float64: the pair's error term would be inf − inf
      step = `let s = opq(hi + x); if (is_inf(s) || is_nan(s)) { hi = s; lo = 0.0; } else { let e = two_sum_err(hi, x, s); let lo2 = opq(lo + e); hi = opq(s + lo2); lo = opq(lo2 - opq(hi - s)); }`;
      result = "hi";
    } else {
      // the exact float64 product of soft_f64.ts; 16-bit stores round again, so round to odd first
      extra = SOFT_F64_WGSL;
      init = "var acc = sf_one();";
      step = "acc = sf_mul_f32(acc, x);";
      result = `sf_to_f32(acc, ${out.dtype === "float16" || out.dtype === "bfloat16"})`;
    }
  } else {
    const ops = accOps(d, ctx);
    init = `var acc: ${computeType(d)} = ${op === "sum" ? ops.zero : d === "int64" ? "vec2<u32>(1u, 0u)" : d === "bool" ? "true" : `${computeType(d)}(1)`};`;
    step = `acc = ${op === "sum" ? ops.add("acc", "x") : ops.mul("acc", "x")};`;
    result = "acc";
  }
  const body = `  let row = idx;
  if (row >= P[0]) { return; }
  ${rowIndex(rank, 2)}
  ${init}
  for (var t = 0u; t < P[1]; t = t + 1u) {
    let x = ${x};
    ${step}
    ${rawStore(0, out.dtype, "o0 + t * s0", result, ctx)}
  }`;
  const views = input.shape.length
    ? [out, input]
    : [
        { ...out, strides: [0] },
        { ...input, strides: [0] },
      ];
  return { source: kernel(slots, ctx, body, extra), params: rowParams(shape, views as View[]) };
}

/**
 * Stable sort along the last dim by ranking: each invocation places one element at the number of
 * elements that sort before it (NaN above everything; ties keep their order). O(n) per element.
 */
export function sortKernel(values: View, indices: View, input: View, descending: boolean, slots: Slots): Kernel {
  const ctx = ctxFor();
  const d = input.dtype;
  const rank = Math.max(1, input.shape.length);
  const shape = input.shape.length ? input.shape : [1];
  const vi = fromStorage(d, rawLoad(slots.of[2] as number, d, "o2 + i * s2"), ctx);
  const vj = fromStorage(d, rawLoad(slots.of[2] as number, d, "o2 + j * s2"), ctx);
  let less: string;
  if (isFloat(d)) {
    ctx.lib.add("is_nan");
    less = "fn less(a: f32, b: f32) -> bool { if (is_nan(a)) { return false; } if (is_nan(b)) { return true; } return a < b; }";
  } else if (d === "int64") {
    ctx.lib.add("i64_lt");
    less = "fn less(a: vec2<u32>, b: vec2<u32>) -> bool { return i64_lt(a, b); }";
  } else if (d === "bool") less = "fn less(a: bool, b: bool) -> bool { return !a && b; }";
  else less = `fn less(a: ${computeType(d)}, b: ${computeType(d)}) -> bool { return a < b; }`;
  const before = descending ? "less(x, y)" : "less(y, x)"; // y (element j) sorts before x (element i)
  const body = `  let n = P[1];
  if (idx >= P[0] * n) { return; }
  let row = idx / n; let i = idx % n;
  ${rowIndex(rank, 3)}
  let x = ${vi};
  var r = 0u;
  for (var j = 0u; j < n; j = j + 1u) {
    let y = ${vj};
    if (${before} || (j < i && !less(x, y) && !less(y, x))) { r = r + 1u; }
  }
  ${d === "int64" ? `B${slots.of[0]}[2u * (o0 + r * s0)] = B${slots.of[2]}[2u * (o2 + i * s2)]; B${slots.of[0]}[2u * (o0 + r * s0) + 1u] = B${slots.of[2]}[2u * (o2 + i * s2) + 1u];` : `B${slots.of[0]}[o0 + r * s0] = B${slots.of[2]}[o2 + i * s2];`}
  B${slots.of[1]}[2u * (o1 + r * s1)] = i;
  B${slots.of[1]}[2u * (o1 + r * s1) + 1u] = 0u;`;
  const views = input.shape.length ? [values, indices, input] : [values, indices, input].map((v) => ({ ...v, strides: [0] }));
  return { source: kernel(slots, ctx, body, less), params: rowParams(shape, views as View[]) };
}

/**
 * target[offsets[i]] = src[i] or += src[i], for i in order: one invocation does them all, which is
 * what keeps duplicate offsets in the contract's sequential order. Params: [n, offsets off, src off, target off].
 */
export function scatterKernel(target: View, offsets: View, src: View, mode: "set" | "add", slots: Slots): Kernel {
  const ctx = ctxFor();
  const d = target.dtype;
  const off = offsets.dtype === "int64" ? `B${slots.of[1]}[2u * (P[1] + i)]` : `u32(B${slots.of[1]}[P[1] + i])`;
  let v = "";
  if (mode === "add") {
    const s = fromStorage(d, rawLoad(slots.of[2] as number, d, "P[2] + i"), ctx);
    const t = fromStorage(d, rawLoad(slots.of[0] as number, d, "o"), ctx);
    v = isFloat(d) ? `(${t} + ${s})` : accOps(d, ctx).add(t, s); // 16-bit floats: rounded once by the store
  }
  const t0 = slots.of[0] as number;
  const s0 = slots.of[2] as number;
  // "set" moves the stored words unchanged (NaN payloads included), as the reference does
  const store =
    mode === "set"
      ? d === "int64"
        ? `B${t0}[2u * o] = B${s0}[2u * (P[2] + i)]; B${t0}[2u * o + 1u] = B${s0}[2u * (P[2] + i) + 1u];`
        : `B${t0}[o] = B${s0}[P[2] + i];`
      : rawStore(t0, d, "o", v, ctx);
  const body = `  if (idx != 0u) { return; }
  for (var i = 0u; i < P[0]; i = i + 1u) {
    let o = ${off};
    ${store}
  }`;
  const n = offsets.shape.reduce((x, y) => x * y, 1);
  return { source: kernel(slots, ctx, body), params: [n, offsets.offset, src.offset, target.offset] };
}
