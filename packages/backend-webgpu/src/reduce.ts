// Parallel reductions for long rows. The contract's tree (pairwise over adjacent elements, an odd
// last element carried up) is the same as: reduce aligned blocks of 2^k leaves (a perfect tree per
// block, the last partial block by the same pairwise rule), then reduce the block results by that
// rule again. So a pass gives each workgroup one block of BLOCK = 256·8 leaves of one output: each
// invocation reduces 8 adjacent leaves in registers, then the workgroup combines the 256 partial
// results level by level in workgroup memory (node t with node t + h for t a multiple of 2h; a
// node without a partner is carried). Pass 1 applies the map to the leaves; each later pass treats
// the previous block results as leaves; the post expression runs once, in the last pass.
// argmax/argmin reduce (value, index) pairs: a NaN on the left wins, then a NaN on the right, then
// the right wins only when strictly better — the reference's sequential rule (first NaN, else the
// first of equal values), which these pairwise merges reproduce because indices stay in order.
import { type DType, ir, type ReduceKernel, type View } from "@lockstep/core";
import type { GpuStorage } from "./backend.js";
import { combineFn, rawLoad, rawStore, renderModeKey } from "./kernels.js";
import { PRELUDE, type Runtime } from "./runtime.js";
import { computeType, isFloat, newContext, renderExp, storageType, type WgslContext } from "./wgsl.js";
import { libSource } from "./wgsl_lib.js";

type Exp = ir.Exp;

const THREADS = 256;
const PER_THREAD = 8;
const BLOCK = THREADS * PER_THREAD;
const MAX_GRID = 65535;
/** Outputs per grid z slice (outputs beyond the y limit continue in z). */
const OUTS_Y = MAX_GRID;
/** Rows at least this long use the parallel passes; shorter ones one invocation per output. */
export const PARALLEL_MIN = 1024;

/** Words of scratch per accumulator value (int64 takes two); argmax/argmin add an index word. */
const valueWords = (d: DType): number => (d === "int64" ? 2 : 1);

function pack(d: DType, v: string, at: string): string {
  switch (computeType(d)) {
    case "f32":
    case "i32":
      return `S0[${at}] = bitcast<u32>(${v});`;
    case "bool":
      return `S0[${at}] = select(0u, 1u, ${v});`;
    case "vec2<u32>":
      return `S0[${at}] = ${v}.x; S0[${at} + 1u] = ${v}.y;`;
    default:
      return `S0[${at}] = ${v};`;
  }
}

function unpack(d: DType, at: string): string {
  switch (computeType(d)) {
    case "f32":
      return `bitcast<f32>(S1[${at}])`;
    case "i32":
      return `bitcast<i32>(S1[${at}])`;
    case "bool":
      return `(S1[${at}] != 0u)`;
    case "vec2<u32>":
      return `vec2<u32>(S1[${at}], S1[${at} + 1u])`;
    default:
      return `S1[${at}]`;
  }
}

export function canReduceInParallel(out: View, input: View, nReduced: number): boolean {
  const outRank = input.shape.length - nReduced;
  const L = input.shape.slice(outRank).reduce((a, b) => a * b, 1);
  const n = out.shape.reduce((a, b) => a * b, 1);
  return L >= PARALLEL_MIN && out.buf !== input.buf && n <= OUTS_Y * MAX_GRID && Math.ceil(L / BLOCK) <= MAX_GRID;
}

const cache = new Map<string, string>();

/**
 * Params (every pass): [n, out shape..., out off, out strides..., in off, in outer strides...,
 * reduced shape..., reduced strides..., L, nb, constants...]. L is the number of leaves per output
 * in this pass, nb its number of blocks.
 */
function passSource(k: ReduceKernel, out: View, input: View, outRank: number, r: number, first: boolean, final: boolean) {
  const accD = k.map.dtype;
  const accT = computeType(accD);
  const arg = k.op === "argmax" || k.op === "argmin";
  const redBase = 1 + outRank + 2 * (1 + outRank);
  const lBase = redBase + 2 * r;
  const constBase = lBase + 2;
  const ctx: WgslContext = newContext({
    param: (i) => `P[${constBase + i}]`,
    load: (_i, d) => rawLoad(1, d, "p"),
    gload: (_i, d, off) => rawLoad(1, d, off),
    coord: () => {
      throw new Error("webgpu: reduction map expressions cannot read output coordinates");
    },
    acc: "acc",
  });
  // map and post are rendered in every pass so that constants keep their parameter slots
  const mv = renderExp(k.map, ctx);
  const mapLines = ctx.lines.join("\n  ");
  const postCtx = { ...ctx, lines: [] as string[], memo: new Map<Exp, string>(), next: 1000 };
  const pv = renderExp(k.post, postCtx);
  const comb = combineFn(arg ? (k.op === "argmax" ? "max" : "min") : k.op, accD, ctx);
  const W = valueWords(accD) + (arg ? 1 : 0);
  if (isFloat(accD)) ctx.lib.add("is_nan");
  let better: string;
  if (accD === "int64") {
    ctx.lib.add("i64_lt");
    better = k.op === "argmax" ? "i64_lt(a.v, b.v)" : "i64_lt(b.v, a.v)";
  } else if (accD === "bool") better = k.op === "argmax" ? "(b.v && !a.v)" : "(!b.v && a.v)";
  else better = k.op === "argmax" ? "b.v > a.v" : "b.v < a.v";
  const nan = (x: string) => (isFloat(accD) ? `is_nan(${x})` : "false");
  // a node: value and (argmax/argmin) leaf index; merge(a, b) with a before b
  const node = arg
    ? `struct Node { v: ${accT}, i: u32 }
fn merge(a: Node, b: Node) -> Node {
  if (${nan("a.v")}) { return a; }
  if (${nan("b.v")} || ${better}) { return b; }
  return a;
}`
    : `struct Node { v: ${accT} }
fn merge(a: Node, b: Node) -> Node { return Node(combine(a.v, b.v)); }`;
  // leaf l of output `row`: pass 1 maps the input element, later passes read the scratch words
  let leaf: string;
  if (first) {
    const dims: string[] = [];
    let rem = "l";
    for (let d = r - 1; d >= 0; d--) {
      if (d === 0) dims.push(`p = p + ${rem} * P[${redBase + r + d}];`);
      else {
        dims.push(`p = p + (${rem} % P[${redBase + d}]) * P[${redBase + r + d}];`);
        dims.push(`let q${d} = ${rem} / P[${redBase + d}];`);
        rem = `q${d}`;
      }
    }
    leaf = `fn leaf(base: u32, l: u32) -> Node {
  var p = base;
  ${dims.join("\n  ")}
  ${mapLines}
  return Node(${mv}${arg ? ", l" : ""});
}`;
  } else {
    leaf = `fn leaf(base: u32, l: u32) -> Node {
  let at = (base + l) * ${W}u;
  return Node(${unpack(accD, "at")}${arg ? `, S1[at + ${valueWords(accD)}u]` : ""});
}`;
  }
  const outDecl = final
    ? `@group(0) @binding(1) var<storage, read_write> B0: array<${storageType(out.dtype)}>;`
    : "@group(0) @binding(1) var<storage, read_write> S0: array<u32>;";
  const inDecl = first
    ? `@group(0) @binding(2) var<storage, read> B1: array<${storageType(input.dtype)}>;`
    : "@group(0) @binding(2) var<storage, read> S1: array<u32>;";
  // output index o → out offset o0 and the input's base offset o1 (first pass)
  const idx: string[] = ["var rem = o;"];
  for (let d = outRank - 1; d >= 1; d--) idx.push(`let c${d} = rem % P[${1 + d}]; rem = rem / P[${1 + d}];`);
  if (outRank > 0) idx.push("let c0 = rem;");
  for (let v = 0; v < 2; v++) {
    const base = 1 + outRank + v * (1 + outRank);
    const terms = [`P[${base}]`, ...Array.from({ length: outRank }, (_, d) => `c${d} * P[${base + 1 + d}]`)];
    idx.push(`let o${v} = ${terms.join(" + ")};`);
  }
  const finish = final
    ? `let acc = ${arg ? "vec2<u32>(res.i, 0u)" : "res.v"};
    ${postCtx.lines.join("\n    ")}
    ${rawStore(0, out.dtype, "o0", pv, ctx)}`
    : `let at = (o * P[${lBase + 1}] + wid.x) * ${W}u;
    ${pack(accD, "res.v", "at")}${arg ? ` S0[at + ${valueWords(accD)}u] = res.i;` : ""}`;
  return `${PRELUDE}
${outDecl}
${inDecl}
${libSource(ctx.lib)}
${comb}
${node}
${leaf}
var<workgroup> SH: array<Node, ${THREADS}>;
@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let o = wid.y + wid.z * ${OUTS_Y}u;
  let live = o < P[0];
  let oc = select(0u, o, live);
  let t = lid.x;
  let L = P[${lBase}];
  let start = wid.x * ${BLOCK}u;
  let inBlock = min(${BLOCK}u, L - start);
  let m = (inBlock + ${PER_THREAD - 1}u) / ${PER_THREAD}u; // invocations holding leaves
  { let o = oc; ${idx.join(" ")}
    let base = ${first ? "o1" : `o * L`};
    // this invocation's leaves, adjacent and aligned to ${PER_THREAD}: a tree in registers
    let l0 = start + t * ${PER_THREAD}u;
    var c = min(${PER_THREAD}u, select(0u, L - l0, l0 < L));
    var v: array<Node, ${PER_THREAD}>;
    for (var i = 0u; i < c; i++) { v[i] = leaf(base, l0 + i); }
    loop {
      if (c <= 1u) { break; }
      let h = c / 2u;
      for (var i = 0u; i < h; i++) { v[i] = merge(v[2u * i], v[2u * i + 1u]); }
      if ((c & 1u) == 1u) { v[h] = v[c - 1u]; }
      c = c - h;
    }
    if (t < m) { SH[t] = v[0]; }
  }
  for (var h = 1u; h < ${THREADS}u; h = h * 2u) {
    workgroupBarrier();
    if (t % (2u * h) == 0u && t + h < m) { SH[t] = merge(SH[t], SH[t + h]); }
  }
  workgroupBarrier();
  if (t == 0u && live) {
    let o = oc; ${idx.join(" ")}
    let res = SH[0];
    ${finish}
  }
}`;
}

/**
 * Reduce with the parallel passes (see canReduceInParallel). Params as in passSource; the dispatch
 * grid is (blocks, outputs) with outputs past 65535 spilling into z.
 */
export function reduceParallel(rt: Runtime, k: ReduceKernel, out: View, input: View, nReduced: number): void {
  const outRank = input.shape.length - nReduced;
  const redShape = input.shape.slice(outRank);
  const redStrides = input.strides.slice(outRank);
  const r = redShape.length;
  const n = out.shape.reduce((a, b) => a * b, 1);
  const arg = k.op === "argmax" || k.op === "argmin";
  const W = valueWords(k.map.dtype) + (arg ? 1 : 0);
  const grid = (nb: number): [number, number, number] => [nb, Math.min(n, OUTS_Y), Math.ceil(n / OUTS_Y)];
  const prefix = [
    n,
    ...out.shape,
    out.offset,
    ...out.strides,
    input.offset,
    ...input.strides.slice(0, outRank),
    ...redShape,
    ...redStrides,
  ];
  let consts: number[] | null = null;
  const source = (first: boolean, final: boolean) => {
    const key = `${renderModeKey()}|${k.op}|${outRank}|${r}|${out.dtype}|${input.dtype}|${first}|${final}|${ir.expKey(k.map)}|${ir.expKey(k.post)}`;
    let s = cache.get(key);
    if (!s) {
      s = passSource(k, out, input, outRank, r, first, final);
      if (cache.size > 1024) cache.clear();
      cache.set(key, s);
    }
    return s;
  };
  // the constants' words, in the order the renderer assigns them (map, then post)
  {
    const ctx = newContext({ param: () => "0u", load: () => "0u", gload: () => "0u", coord: () => "0", acc: "acc" });
    renderExp(k.map, ctx);
    renderExp(k.post, { ...ctx, lines: [], memo: new Map<Exp, string>(), next: 1000 });
    consts = ctx.consts;
  }
  const params = (L: number, nb: number) => Uint32Array.from([...prefix, L, nb, ...(consts as number[])], (x) => x >>> 0);
  const outBuf = (out.buf as GpuStorage).buffer;
  let L = redShape.reduce((a, b) => a * b, 1);
  let src: { buffer: GPUBuffer; owned: boolean } = { buffer: (input.buf as GpuStorage).buffer, owned: false };
  let first = true;
  for (;;) {
    const nb = Math.ceil(L / BLOCK);
    const final = nb === 1;
    const dst = final ? outBuf : rt.scratch(n * nb * W * 4);
    rt.dispatchGroups(
      source(first, final),
      [
        { buffer: dst, writable: true },
        { buffer: src.buffer, writable: false },
      ],
      params(L, nb),
      grid(nb),
    );
    if (src.owned) rt.release(src.buffer);
    if (final) return;
    src = { buffer: dst, owned: true };
    L = nb;
    first = false;
  }
}
