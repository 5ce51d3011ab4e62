// Tiled matmul: a workgroup of 16×16 invocations computes a 64×64 block of one batch's output,
// each invocation a 4×4 register block, with TK-deep slices of A and B staged in workgroup memory.
// The contract's order is kept per output element: one accumulator, starting from 0, adds the
// products for k = 0, 1, …, K-1 in turn (tiles are visited in k order and k runs in order within
// a tile), each product and each sum rounded to f32 (or wrapped, for int32). Positions past M, N
// or K are staged as 0: a padded k adds 0·0 = +0, which leaves any accumulator unchanged (it
// starts at +0 and a sum with +0 is never -0). Products are xored with opq's hidden zero (wgsl_lib.ts:
// a zero the compiler cannot see, read once per invocation) before the add, so no driver can
// contract them into an FMA (a multiplication by an opaque 1.0 is not enough: lavapipe's compiler
// contracts through it).
import type { DType, View } from "@lockstep/core";
import { declareBuffers, type Kernel, rawLoad, rawStore, type Slots, slotsKey } from "./kernels.js";
import { PRELUDE } from "./runtime.js";
import { computeType, fromStorage, newContext, type WgslContext } from "./wgsl.js";
import { libSource } from "./wgsl_lib.js";

const TK = 16;
const MAX_GRID = 65535;

/** Whether the tiled kernel handles this matmul (other dtypes use the one-invocation-per-output kernel). */
export function tiledMatmulSupports(d: DType, B: number, M: number, N: number): boolean {
  const dtypeOk = d === "float32" || d === "float16" || d === "bfloat16" || d === "int32";
  return dtypeOk && B <= MAX_GRID && Math.ceil(M / 4) <= MAX_GRID && Math.ceil(N / 4) <= MAX_GRID;
}

const noCtx = () => {
  throw new Error("webgpu: matmul kernel has no IR inputs");
};

/** Register block (RM×RN per invocation) and workgroup (WX×WY): a workgroup covers (WY·RM)×(WX·RN). */
interface Shape {
  RM: number;
  RN: number;
  WX: number;
  WY: number;
}
const SHARED: Shape = { RM: 4, RN: 4, WX: 16, WY: 16 };
const CPU: Shape = { RM: 8, RN: 8, WX: 8, WY: 8 };

/** Register block per invocation on CPU adapters: up to 8×8, smaller when M or N is small (less padding). */
function shapeFor(shared: boolean, M: number, N: number): Shape {
  const env = typeof process !== "undefined" ? process.env?.LOCKSTEP_WEBGPU_MM : undefined;
  if (env) {
    const [RM, RN, WX, WY] = env.split(",").map(Number) as [number, number, number, number];
    return { RM, RN, WX, WY };
  }
  if (shared) return SHARED;
  const fit = (n: number) => Math.min(CPU.RM, 2 ** Math.ceil(Math.log2(Math.max(1, Math.ceil(n / 8)))));
  return { ...CPU, RM: fit(M), RN: fit(N) };
}

const sources = new Map<string, string>();

/**
 * How products are kept out of FMAs: "xz" (default: opq's xor with the hidden zero, read once per
 * invocation), "opq" (the wgsl_lib helper per product), or "one" (× an opaque 1.0, which does not
 * stop lavapipe; for comparisons only).
 */
function guard(): "xz" | "opq" | "one" {
  const env = typeof process !== "undefined" ? process.env?.LOCKSTEP_WEBGPU_MM_GUARD : undefined;
  return env === "one" || env === "opq" ? env : "xz";
}

/**
 * Params: [B, M, N, K, a off, a strides(3), b off, b strides(3), out off, out strides(3)].
 * Grid: (ceil(N/TN), ceil(M/TM), B).
 */
export function tiledMatmulKernel(
  out: View,
  a: View,
  b: View,
  slots: Slots,
  opts: { shared: boolean },
): Kernel & { groups: [number, number, number] } {
  const [B, M, K] = a.shape as [number, number, number];
  const N = b.shape[2] as number;
  const shape = shapeFor(opts.shared, M, N);
  const { RM, RN, WX, WY } = shape;
  // unit j-strides of B and out are built into the source (consecutive addresses across invocations)
  const unit = b.strides[2] === 1 && out.strides[2] === 1;
  const key = `${guard()}|${opts.shared}|${unit}|${RM},${RN},${WX},${WY}|${out.dtype}|${slotsKey(slots)}`;
  let source = sources.get(key);
  if (!source) {
    source = matmulSource(out.dtype, slots, shape, opts.shared, unit);
    sources.set(key, source);
  }
  const TM = RM * WY;
  const TN = RN * WX;
  const params = [B, M, N, K, a.offset, ...a.strides, b.offset, ...b.strides, out.offset, ...out.strides];
  const gx = Math.ceil(N / TN);
  const gy = Math.ceil(M / TM);
  return { source, params, groups: [gx, gy, B] };
}

function matmulSource(d: DType, slots: Slots, shape: Shape, shared: boolean, unit: boolean): string {
  const js = unit ? "" : " * P[15]";
  const jb = unit ? "" : " * P[11]";
  const { RM, RN, WX, WY } = shape;
  const TM = RM * WY;
  const TN = RN * WX;
  const NT = WX * WY;
  const ctx: WgslContext = newContext({ param: noCtx, load: noCtx, gload: noCtx, coord: noCtx, acc: "acc" });
  const t = computeType(d);
  const sa = slots.of[1] as number;
  const sb = slots.of[2] as number;
  const la = fromStorage(d, rawLoad(sa, d, "pa"), ctx);
  const lb = fromStorage(d, rawLoad(sb, d, "pb"), ctx);
  const isF = t === "f32";
  const zero = isF ? "0.0" : "0";
  const rows = Array.from({ length: RM }, (_, i) => i);
  const cols = Array.from({ length: RN }, (_, i) => i);
  const each = (f: (r: number, c: number) => string) => rows.flatMap((r) => cols.map((c) => f(r, c))).join(" ");
  // every accumulator and operand is a named scalar (no arrays): drivers keep them in registers.
  // f32: the product is xored with the hidden zero (see the header); i32 wraps and has no contraction
  const g = guard();
  if (isF && g === "opq") ctx.lib.add("opq");
  const guarded = (p: string) => (g === "one" ? `${p} * o` : g === "opq" ? `opq(${p})` : `bitcast<f32>(bitcast<u32>(${p}) ^ z)`);
  const macs = each((r, c) =>
    isF ? `acc${r}_${c} = acc${r}_${c} + ${guarded(`(a${r} * b${c})`)};` : `acc${r}_${c} = acc${r}_${c} + a${r} * b${c};`,
  );
  const stores = each(
    (r, c) =>
      `if (i${r} < M && j${c} < N) { let po = obase + i${r} * P[14] + j${c}${js}; ${rawStore(0, d, "po", `acc${r}_${c}`, ctx)} }`,
  );
  const decl = `${each((r, c) => `var acc${r}_${c}: ${t} = ${zero};`)}
  ${rows.map((r) => `let i${r} = ti + lid.y + ${WY * r}u;`).join(" ")}
  ${cols.map((c) => `let j${c} = tj + lid.x + ${WX * c}u;`).join(" ")}`;
  let body: string;
  if (shared) {
    body = `for (var k0 = 0u; k0 < K; k0 = k0 + ${TK}u) {
    for (var q = 0u; q < ${Math.ceil((TK * TM) / NT)}u; q++) {
      let e = tid + q * ${NT}u;
      let kk = e % ${TK}u; let mm = e / ${TK}u;
      let i = ti + mm; let k = k0 + kk;
      var v: ${t} = ${zero};
      if (i < M && k < K) { let pa = abase + i * P[6] + k * P[7]; v = ${la}; }
      if (mm < ${TM}u) { As[kk * ${TM}u + mm] = v; }
    }
    for (var q = 0u; q < ${Math.ceil((TK * TN) / NT)}u; q++) {
      let e = tid + q * ${NT}u;
      let nn = e % ${TN}u; let kk = e / ${TN}u;
      let j = tj + nn; let k = k0 + kk;
      var v: ${t} = ${zero};
      if (j < N && k < K) { let pb = bbase + k * P[10] + j${jb}; v = ${lb}; }
      if (kk < ${TK}u) { Bs[kk * ${TN}u + nn] = v; }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${TK}u; kk++) {
      ${rows.map((r) => `let a${r} = As[kk * ${TM}u + lid.y + ${WY * r}u];`).join(" ")}
      ${cols.map((c) => `let b${c} = Bs[kk * ${TN}u + lid.x + ${WX * c}u];`).join(" ")}
      ${macs}
    }
    workgroupBarrier();
  }`;
  } else {
    // straight from global memory (CPU adapters: caches do the staging, and barriers are costly);
    // rows/columns past M/N read row/column 0 instead (their results are never stored)
    const la2 = (r: number) => fromStorage(d, rawLoad(sa, d, `pa${r}`), ctx);
    const lb2 = (c: number) => fromStorage(d, rawLoad(sb, d, `pb${c}`), ctx);
    body = `${rows.map((r) => `var pa${r} = abase + select(0u, i${r}, i${r} < M) * P[6];`).join(" ")}
  ${cols.map((c) => `var pb${c} = bbase + select(0u, j${c}, j${c} < N)${jb};`).join(" ")}
  for (var k = 0u; k < K; k = k + 1u) {
    ${rows.map((r) => `let a${r} = ${la2(r)};`).join(" ")}
    ${cols.map((c) => `let b${c} = ${lb2(c)};`).join(" ")}
    ${macs}
    ${rows.map((r) => `pa${r} = pa${r} + P[7];`).join(" ")}
    ${cols.map((c) => `pb${c} = pb${c} + P[10];`).join(" ")}
  }`;
  }
  return `${PRELUDE}
${declareBuffers(slots)}
${libSource(ctx.lib)}
${shared ? `var<workgroup> As: array<${t}, ${TK * TM}>;\nvar<workgroup> Bs: array<${t}, ${TK * TN}>;` : ""}
@compute @workgroup_size(${WX}, ${WY})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = P[1]; let N = P[2]; let K = P[3];
  let bt = wid.z;
  let ti = wid.y * ${TM}u; let tj = wid.x * ${TN}u;
  let tid = lid.y * ${WX}u + lid.x;
  let abase = P[4] + bt * P[5];
  let bbase = P[8] + bt * P[9];
  let obase = P[12] + bt * P[13];
  ${isF && g === "one" ? "let o = one();" : ""}${isF && g === "xz" ? "let z = bitcast<u32>(one()) ^ 0x3f800000u; // 0, unknown to the compiler (opq's zero)" : ""}
  ${decl}
  ${body}
  ${stores}
}`;
}
