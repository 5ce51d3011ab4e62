// The exact CPU reference backend: storage is a TypedArray, kernels are IR rendered to JS source,
// compiled once with `new Function` and cached by structure.
import type { Backend, ReduceKernel, View } from "../backend.js";
import { type DType, storageArray, type TypedArray } from "../dtype.js";
import { type Exp, expKey, usesCoords } from "../ir.js";
import { isContiguous, numel } from "../shape.js";
import { fromStorage, type RenderContext, renderExp, toStorage } from "./render.js";
import * as scalar from "./scalar.js";

// SEL: the scratch slots of branch-free selects (render.ts); kernels never interleave on a thread.
const R: Record<string, unknown> = { ...scalar, id: (x: number) => x, SEL: new Float64Array(2) };
type Kernel = (...args: unknown[]) => void;
const cache = new Map<string, Kernel>();

/** Kernels whose source bakes in constants (gather offsets) vary with layouts: bound the cache. */
const CACHE_LIMIT = 4096;

function compile(key: string, build: () => string): Kernel {
  let k = cache.get(key);
  if (!k) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    const src = build();
    // R's helpers become locals of the factory (no property load per element). The key is part of
    // the source so that two kernels never share V8's compiled code and type feedback (identical
    // source texts do): feedback polluted by another kernel's array types stops inlining.
    const helpers = new Set<string>();
    for (const m of src.matchAll(/\bR\.(\w+)/g)) helpers.add(m[1] as string);
    const prelude = [...helpers].map((h) => `const R_${h} = R.${h};`).join(" ");
    const body = src.replace(/\bR\.(\w+)/g, "R_$1");
    const comment = key.replace(/[\r\n]/g, " ").replaceAll("*/", "* /");
    k = new Function("R", "fr", `"use strict"; /* ${comment} */\n${prelude}\nreturn ${body}`)(R, Math.fround) as Kernel;
    cache.set(key, k);
  }
  return k;
}

/** Drop size-1 dims and merge dims that are contiguous for every operand (fewer, longer loops). */
function collapse(shape: readonly number[], stridesList: readonly (readonly number[])[]): [number[], number[][]] {
  const n = stridesList.length;
  const sh: number[] = [];
  const st: number[][] = new Array(n);
  for (let i = 0; i < n; i++) st[i] = [];
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d] as number;
    if (size === 1) continue;
    const last = sh.length - 1;
    let merge = last >= 0;
    for (let i = 0; merge && i < n; i++)
      merge = (st[i] as number[])[last] === ((stridesList[i] as readonly number[])[d] as number) * size;
    if (merge) {
      sh[last] = (sh[last] as number) * size;
      for (let i = 0; i < n; i++) (st[i] as number[])[last] = (stridesList[i] as readonly number[])[d] as number;
    } else {
      sh.push(size);
      for (let i = 0; i < n; i++) (st[i] as number[]).push((stridesList[i] as readonly number[])[d] as number);
    }
  }
  return [sh, st];
}

// Scratch arguments for kernel calls (kernels read what they need on entry and never call back,
// so one set serves every call; they only grow, and input buffers are dropped after each call).
const ewBufs: unknown[] = [];
const ewOffs: number[] = [];
/** Strides for flat (dense) kernels, which never read them. */
const noStrides: number[][] = Array.from({ length: 64 }, () => []);
const redOuterStrides: number[] = [];
const redOffs: number[] = [0, 0];
const stackF = new Float64Array(64);
const stackB = new Array<bigint>(64);
const stackL = new Int32Array(64);

/** Whether every stride is 0 (a value broadcast to the whole shape). */
function zeroStrides(strides: readonly number[]): boolean {
  for (let d = 0; d < strides.length; d++) if (strides[d] !== 0) return false;
  return true;
}

/**
 * Nested loops over `rank` dims with sizes and strides hoisted into locals and one running pointer
 * per operand, stepped by its stride; the body sees the element pointers as p0, p1, ...
 */
function loops(rank: number, nPtr: number, body: string): string {
  const ptr = Array.from({ length: nPtr }, (_, i) => i);
  let head = "";
  for (let d = 0; d < rank; d++)
    head += `const n${d} = SH[${d}]; ${ptr.map((i) => `const s${i}_${d} = S${i}[${d}];`).join(" ")}\n`;
  if (rank === 0) return `${head}${ptr.map((i) => `const p${i} = p${i}_0;`).join(" ")}\n${body}`;
  let open = "";
  let close = "";
  for (let d = 0; d < rank; d++) {
    const from = (i: number) => (d === 0 ? `p${i}_0` : `q${i}_${d - 1}`);
    open += `${ptr.map((i) => `let q${i}_${d} = ${from(i)};`).join(" ")}\nfor (let c${d} = 0; c${d} < n${d}; c${d}++) {\n`;
    close = `${ptr.map((i) => `q${i}_${d} += s${i}_${d};`).join(" ")}\n}\n${close}`;
  }
  const at = ptr.map((i) => `const p${i} = q${i}_${rank - 1};`).join(" ");
  return `${head}${open}${at}\n${body}\n${close}`;
}

/**
 * `dense`: every operand is contiguous over the (collapsed, rank-1) shape or a broadcast scalar
 * (flags[i] = 1 for a contiguous operand, 0 for a scalar; out is always contiguous): one shared
 * loop index, no per-operand pointer bookkeeping.
 */
function elementwiseSource(e: Exp, rank: number, nIn: number, outDtype: DType, dense: string | null): string {
  const ctx: RenderContext = {
    lines: [],
    next: 0,
    memo: new Map(),
    load: (i) => (dense !== null ? (dense[i] === "1" ? `I${i}[j + p${i + 1}_0]` : `I${i}[p${i + 1}_0]`) : `I${i}[p${i + 1}]`),
    gload: (i, off) => `I${i}[${off}]`,
    coord: (d) => `c${d}`,
    acc: "acc",
  };
  const v = renderExp(e, ctx);
  const ins = Array.from(
    { length: nIn },
    (_, i) => `const I${i} = ins[${i}]; const S${i + 1} = sts[${i + 1}]; const p${i + 1}_0 = offs[${i + 1}];`,
  );
  const head = `function(O, ins, SH, sts, offs) {\nconst S0 = sts[0]; const p0_0 = offs[0];\n${ins.join("\n")}\n`;
  if (dense !== null)
    return `${head}const n = SH[0];\nfor (let j = 0; j < n; j++) {\n${ctx.lines.join("\n")}\nO[j + p0_0] = ${toStorage(outDtype, v)};\n}\n}`;
  const body = `${ctx.lines.join("\n")}\nO[p0] = ${toStorage(outDtype, v)};`;
  return `${head}${loops(rank, nIn + 1, body)}\n}`;
}

const IDENTITY: Record<string, string> = { sum: "0", prod: "1" };

function combine(op: string, d: DType, a: string, b: string): string {
  const big = d === "int64";
  const wrap = (v: string) =>
    d === "float32"
      ? `fr(${v})`
      : d === "int32"
        ? `((${v}) | 0)`
        : big
          ? `BigInt.asIntN(64, ${v})`
          : d === "bool"
            ? `((${v}) ? 1 : 0)`
            : v;
  switch (op) {
    case "sum":
      return wrap(`${a} + ${b}`);
    case "prod":
      return d === "int32" ? `Math.imul(${a}, ${b})` : wrap(`${a} * ${b}`);
    case "max":
      return `(${a} > ${b} || ${a} !== ${a} ? ${a} : ${b})`;
    case "min":
      return `(${a} < ${b} || ${a} !== ${a} ? ${a} : ${b})`;
  }
  throw new Error(`reference: unknown reduction ${op}`);
}

/**
 * Reduction kernel. The fixed order (pairwise tree over adjacent elements, odd last carried up) is
 * the same as combining aligned power-of-two blocks, so it is computed in one streaming pass: full
 * blocks of 8 leaves are summed inline, and a stack of (value, level) pairs merges equal levels;
 * the stack is folded right to left at the end.
 */
function reduceSource(k: ReduceKernel, outRank: number, redRank: number, outDtype: DType): string {
  const accDtype = k.map.dtype;
  const mapCtx: RenderContext = {
    lines: [],
    next: 0,
    memo: new Map(),
    load: () => "I0[p1]",
    gload: (_i, off) => `I0[${off}]`,
    coord: (d) => `c${d}`,
    acc: "acc",
  };
  if (usesCoords(k.map)) throw new Error("reference: reduction map expressions cannot read output coordinates");
  const mv = renderExp(k.map, mapCtx);
  const postCtx: RenderContext = { ...mapCtx, lines: [], memo: new Map(), next: 1000 };
  const pv = renderExp(k.post, postCtx);
  const arg = k.op === "argmax" || k.op === "argmin";
  const better = k.op === "argmax" ? ">" : "<";
  // Feeding one leaf `v` into the reduction state.
  const pushLeaf = arg
    ? `if (bv === bv && (cnt === 0 || v !== v || v ${better} bv)) { bv = v; bi = cnt; } cnt++;`
    : "let lv = 0; let a = v; while (top > 0 && SL[top - 1] === lv) { a = C(ST[--top], a); lv++; } ST[top] = a; SL[top++] = lv;";
  let leaves: string;
  if (redRank >= 1 && !arg) {
    // Aligned blocks of 2^k leaves (by their index among all of the output's leaves, `cnt`) are
    // summed inline as the pairwise tree does: at an index divisible by 2^k the stack holds no
    // node below level k, so pushing the block's sum equals pushing its leaves one by one.
    const tree = (lo: number, len: number): string =>
      len === 1 ? `M(p + ${lo} * s)` : `C(${tree(lo, len / 2)}, ${tree(lo + len / 2, len / 2)})`;
    const push = (lv: number) =>
      `let lv = ${lv}; while (top > 0 && SL[top - 1] === lv) { a = C(ST[--top], a); lv++; } ST[top] = a; SL[top++] = lv;`;
    const inner = redRank - 1;
    let open = "";
    let close = "";
    for (let d = 0; d < inner; d++) {
      const from = d === 0 ? "base" : `r${d - 1}p`;
      open += `for (let r${d} = 0, r${d}p = ${from}; r${d} < RS[${d}]; r${d}++, r${d}p += RT[${d}]) {\n`;
      close += "}";
    }
    const leaf = `{ const v = M(p); ${pushLeaf} }`;
    leaves = `${open}const n = RS[${inner}]; const s = RT[${inner}]; let p = ${inner === 0 ? "base" : `r${inner - 1}p`}; let t = 0;
for (; t < n && (cnt & 7) !== 0; t++, p += s, cnt++) ${leaf}
for (; t + 8 <= n && (cnt & 31) !== 0; t += 8, p += 8 * s, cnt += 8) { let a = ${tree(0, 8)}; ${push(3)} }
for (; t + 32 <= n; t += 32, p += 32 * s, cnt += 32) { let a = ${tree(0, 32)}; ${push(5)} }
for (; t + 8 <= n; t += 8, p += 8 * s, cnt += 8) { let a = ${tree(0, 8)}; ${push(3)} }
for (; t < n; t++, p += s, cnt++) ${leaf}
${close}`;
  } else {
    let open = "";
    let close = "";
    for (let d = 0; d < redRank; d++) {
      const from = d === 0 ? "base" : `r${d - 1}p`;
      open += `for (let r${d} = 0, r${d}p = ${from}; r${d} < RS[${d}]; r${d}++, r${d}p += RT[${d}]) {\n`;
      close += "}";
    }
    leaves = `${open}{ const v = M(${redRank === 0 ? "base" : `r${redRank - 1}p`}); ${pushLeaf} }\n${close}`;
  }
  const ident = IDENTITY[k.op] ?? (k.op === "min" ? "1" : "0"); // empty: sum 0, prod 1, all → true, any → false
  const zero = accDtype === "int64" ? `${ident}n` : ident;
  const finish = arg
    ? "const acc = BigInt(bi);"
    : `let acc = ${zero}; if (top > 0) { acc = ST[top - 1]; for (let q = top - 2; q >= 0; q--) acc = C(ST[q], acc); }`;
  let open = "";
  let close = "";
  for (let d = 0; d < outRank; d++) {
    open += `for (let c${d} = 0; c${d} < SH[${d}]; c${d}++) { const p0_${d + 1} = p0_${d} + c${d} * S0[${d}]; const p1_${d + 1} = p1_${d} + c${d} * S1[${d}];\n`;
    close += "}";
  }
  return `function(O, I0, SH, S0, S1, RS, RT, offs, ST, SL) {
const p0_0 = offs[0]; const p1_0 = offs[1];
const C = (a, b) => ${combine(k.op === "argmax" ? "max" : k.op === "argmin" ? "min" : k.op, accDtype, "a", "b")};
const M = (p1) => { ${mapCtx.lines.join(" ")} return ${mv}; };
${open}const base = p1_${outRank};
let top = 0; let cnt = 0; let bi = 0; let bv = 0;
${leaves}
${finish}
${postCtx.lines.join("\n")}
O[p0_${outRank}] = ${toStorage(outDtype, pv)};
${close}
}`;
}

export class ReferenceBackend implements Backend {
  readonly name: string = "reference";

  alloc(dtype: DType, numel: number): unknown {
    return storageArray(dtype, numel);
  }
  free(_buf: unknown): void {}
  write(buf: unknown, _dtype: DType, data: TypedArray): void {
    (buf as TypedArray).set(data as never);
  }
  async read(buf: unknown, dtype: DType, offset: number, numel: number): Promise<TypedArray> {
    return this.readSync(buf, dtype, offset, numel);
  }
  readSync(buf: unknown, _dtype: DType, offset: number, numel: number): TypedArray {
    return (buf as TypedArray).slice(offset, offset + numel);
  }

  elementwise(e: Exp, out: View, inputs: readonly View[]): void {
    const nIn = inputs.length;
    let shape: readonly number[] = out.shape;
    let strides: (readonly number[])[];
    let dense: string | null = null;
    if (!usesCoords(e)) {
      // contiguous out and inputs that are contiguous or broadcast scalars: one flat loop
      if (isContiguous(out.shape, out.strides)) {
        dense = "";
        for (let i = 0; i < nIn; i++) {
          const st = (inputs[i] as View).strides;
          if (isContiguous(out.shape, st)) dense += "1";
          else if (zeroStrides(st)) dense += "0";
          else {
            dense = null;
            break;
          }
        }
      }
      if (dense !== null) {
        shape = [numel(out.shape)];
        strides = noStrides;
      } else {
        const all: (readonly number[])[] = [out.strides];
        for (let i = 0; i < nIn; i++) all.push((inputs[i] as View).strides);
        [shape, strides] = collapse(out.shape, all);
      }
    } else {
      strides = [out.strides];
      for (let i = 0; i < nIn; i++) strides.push((inputs[i] as View).strides);
    }
    const rank = dense !== null ? 1 : shape.length;
    const key = `ew|${rank}|${nIn}|${out.dtype}|${dense ?? "-"}|${expKey(e)}`;
    const k = compile(key, () => elementwiseSource(e, rank, nIn, out.dtype, dense));
    for (let d = 0; d < shape.length; d++) if (shape[d] === 0) return;
    ewOffs[0] = out.offset;
    for (let i = 0; i < nIn; i++) {
      const v = inputs[i] as View;
      ewBufs[i] = v.buf;
      ewOffs[i + 1] = v.offset;
    }
    try {
      k(out.buf, ewBufs, shape, strides, ewOffs);
    } finally {
      for (let i = 0; i < nIn; i++) ewBufs[i] = undefined;
    }
  }

  reduce(k: ReduceKernel, out: View, input: View, nReduced: number): void {
    const rank = input.shape.length;
    const outRank = rank - nReduced;
    const tail: number[] = [];
    const tailStrides: number[] = [];
    for (let d = outRank; d < rank; d++) {
      tail.push(input.shape[d] as number);
      tailStrides.push(input.strides[d] as number);
    }
    const [rs, rst] = collapse(tail, [tailStrides]);
    const rt = rst[0] as number[];
    const key = `red|${k.op}|${outRank}|${rs.length}|${out.dtype}|${expKey(k.map)}|${expKey(k.post)}`;
    const fn = compile(key, () => reduceSource(k, outRank, rs.length, out.dtype));
    for (let d = 0; d < out.shape.length; d++) if (out.shape[d] === 0) return;
    for (let d = 0; d < outRank; d++) redOuterStrides[d] = input.strides[d] as number;
    redOffs[0] = out.offset;
    redOffs[1] = input.offset;
    const stack = k.map.dtype === "int64" ? stackB : stackF;
    fn(out.buf, input.buf, out.shape, out.strides, redOuterStrides, rs, rt, redOffs, stack, stackL);
  }

  scan(op: "sum" | "prod", out: View, input: View): void {
    const rank = input.shape.length;
    const n = input.shape[rank - 1] ?? 1;
    const so = out.strides[rank - 1] ?? 0;
    const si = input.strides[rank - 1] ?? 0;
    const O = out.buf as TypedArray;
    const I = input.buf as TypedArray;
    const big = input.dtype === "int64";
    const get = compileConv(input.dtype, true);
    const put = compileConv(out.dtype, false);
    forEachOuter(input.shape.slice(0, -1), [out.strides, input.strides], [out.offset, input.offset], (po, pi) => {
      // float32 accumulates in float64 with each output rounded, as PyTorch's CPU cumsum/cumprod.
      let acc: number | bigint = big ? (op === "sum" ? 0n : 1n) : op === "sum" ? 0 : 1;
      for (let t = 0; t < n; t++) {
        const x = get(I[pi + t * si] as number);
        if (big) acc = BigInt.asIntN(64, op === "sum" ? (acc as bigint) + (x as bigint) : (acc as bigint) * (x as bigint));
        else acc = op === "sum" ? (acc as number) + (x as number) : (acc as number) * (x as number);
        (O as unknown as unknown[])[po + t * so] = put(acc);
      }
    });
  }

  matmul(out: View, a: View, b: View): void {
    const [B, M, K] = a.shape as [number, number, number];
    const N = b.shape[2] as number;
    const A = a.buf as TypedArray;
    const Bm = b.buf as TypedArray;
    const O = out.buf as TypedArray;
    const dt = out.dtype;
    const [sab, sam, sak] = a.strides as [number, number, number];
    const [sbb, sbk, sbn] = b.strides as [number, number, number];
    const [sob, som, son] = out.strides as [number, number, number];
    if (dt === "int64") {
      for (let bt = 0; bt < B; bt++)
        for (let i = 0; i < M; i++)
          for (let j = 0; j < N; j++) {
            let acc = 0n;
            for (let k = 0; k < K; k++)
              acc = BigInt.asIntN(
                64,
                acc +
                  (A[a.offset + bt * sab + i * sam + k * sak] as bigint) *
                    (Bm[b.offset + bt * sbb + k * sbk + j * sbn] as bigint),
              );
            (O as BigInt64Array)[out.offset + bt * sob + i * som + j * son] = acc;
          }
      return;
    }
    const get = compileConv(dt, true) as (x: number) => number;
    const put = compileConv(dt, false) as (x: number) => number;
    const round: (x: number) => number =
      dt === "float64"
        ? (x) => x
        : dt === "int32"
          ? (x) => x | 0
          : dt === "uint8"
            ? (x) => x & 255
            : dt === "bool"
              ? (x) => (x ? 1 : 0)
              : Math.fround;
    if (dt === "float32") {
      matmulF32(out, a, b);
      return;
    }
    const row = new Float64Array(N);
    for (let bt = 0; bt < B; bt++) {
      for (let i = 0; i < M; i++) {
        row.fill(0);
        const abase = a.offset + bt * sab + i * sam;
        for (let k = 0; k < K; k++) {
          const aik = get(A[abase + k * sak] as number);
          let pb = b.offset + bt * sbb + k * sbk;
          if (dt === "int32") {
            for (let j = 0; j < N; j++, pb += sbn) row[j] = ((row[j] as number) + Math.imul(aik, Bm[pb] as number)) | 0;
          } else {
            for (let j = 0; j < N; j++, pb += sbn) row[j] = round((row[j] as number) + round(aik * get(Bm[pb] as number)));
          }
        }
        const obase = out.offset + bt * sob + i * som;
        for (let j = 0; j < N; j++) (O as Float64Array)[obase + j * son] = put(row[j] as number);
      }
    }
  }

  sort(values: View, indices: View, input: View, descending: boolean): void {
    const rank = input.shape.length;
    const n = input.shape[rank - 1] ?? 1;
    const si = input.strides[rank - 1] ?? 0;
    const sv = values.strides[rank - 1] ?? 0;
    const sx = indices.strides[rank - 1] ?? 0;
    const I = input.buf as TypedArray;
    const V = values.buf as TypedArray;
    const X = indices.buf as BigInt64Array;
    const get = compileConv(input.dtype, true);
    const idx = Array.from({ length: n }, (_, i) => i);
    forEachOuter(
      input.shape.slice(0, -1),
      [input.strides, values.strides, indices.strides],
      [input.offset, values.offset, indices.offset],
      (pi, pv, px) => {
        const vals = idx.map((t) => get(I[pi + t * si] as number) as number);
        const order = idx.slice();
        // NaN is larger than everything; Array.prototype.sort is stable.
        const cmp = (x: number, y: number): number => {
          const a = vals[x] as number;
          const b = vals[y] as number;
          const an = a !== a;
          const bn = b !== b;
          if (an || bn) return an === bn ? 0 : an ? 1 : -1;
          return a < b ? -1 : a > b ? 1 : 0;
        };
        order.sort(descending ? (x, y) => cmp(y, x) : cmp);
        for (let t = 0; t < n; t++) {
          const src = order[t] as number;
          (V as unknown as unknown[])[pv + t * sv] = I[pi + src * si];
          X[px + t * sx] = BigInt(src);
        }
      },
    );
  }

  scatter(target: View, offsets: View, src: View, mode: "set" | "add"): void {
    const T = target.buf as TypedArray;
    const off = offsets.buf as TypedArray;
    const S = src.buf as TypedArray;
    const n = offsets.shape.reduce((x, y) => x * y, 1);
    const dt = target.dtype;
    const get = compileConv(dt, true);
    const put = compileConv(dt, false);
    const round: (x: number) => number =
      dt === "float32"
        ? Math.fround
        : dt === "int32"
          ? (x) => x | 0
          : dt === "uint8"
            ? (x) => x & 255
            : dt === "bool"
              ? (x) => (x ? 1 : 0)
              : (x) => x;
    for (let i = 0; i < n; i++) {
      const o = Number(off[offsets.offset + i]);
      const s = S[src.offset + i] as number;
      if (mode === "set") (T as unknown as unknown[])[o] = s;
      else if (dt === "int64") (T as BigInt64Array)[o] = BigInt.asIntN(64, (T[o] as bigint) + (s as unknown as bigint));
      else (T as unknown as unknown[])[o] = put(round((get(T[o] as number) as number) + (get(s) as number)));
    }
  }

  isDeterministic(_primitive: "reduce" | "scan" | "matmul" | "sort" | "scatter"): boolean {
    return true;
  }
}

/**
 * float32 matmul with a 4×4 register-blocked micro-kernel over packed panels of A (4 rows) and B
 * (4 columns). Each output is still summed over k = 0..K-1 in order, product and sum each rounded
 * (the fixed order of backend.ts); blocking only changes which outputs are computed together.
 * Panels are zero-padded to multiples of 4; padded outputs are never stored.
 */
function matmulF32(out: View, a: View, b: View): void {
  const [B, M, K] = a.shape as [number, number, number];
  const N = b.shape[2] as number;
  const A = a.buf as Float32Array;
  const Bm = b.buf as Float32Array;
  const O = out.buf as Float32Array;
  const [sab, sam, sak] = a.strides as [number, number, number];
  const [sbb, sbk, sbn] = b.strides as [number, number, number];
  const [sob, som, son] = out.strides as [number, number, number];
  const fr = Math.fround;
  const nb = Math.ceil(N / 4);
  const bp = new Float32Array(nb * K * 4);
  const ap = new Float32Array(K * 4);
  for (let bt = 0; bt < B; bt++) {
    // pack B: for each block of 4 columns, k-major rows of 4
    bp.fill(0);
    for (let jb = 0; jb < nb; jb++)
      for (let k = 0; k < K; k++) {
        const src = b.offset + bt * sbb + k * sbk;
        for (let jj = 0; jj < 4; jj++) {
          const j = jb * 4 + jj;
          if (j < N) bp[(jb * K + k) * 4 + jj] = Bm[src + j * sbn] as number;
        }
      }
    for (let i0 = 0; i0 < M; i0 += 4) {
      ap.fill(0);
      for (let ii = 0; ii < 4 && i0 + ii < M; ii++) {
        const src = a.offset + bt * sab + (i0 + ii) * sam;
        for (let k = 0; k < K; k++) ap[k * 4 + ii] = A[src + k * sak] as number;
      }
      for (let jb = 0; jb < nb; jb++) {
        let c00 = 0,
          c01 = 0,
          c02 = 0,
          c03 = 0,
          c10 = 0,
          c11 = 0,
          c12 = 0,
          c13 = 0;
        let c20 = 0,
          c21 = 0,
          c22 = 0,
          c23 = 0,
          c30 = 0,
          c31 = 0,
          c32 = 0,
          c33 = 0;
        let pb = jb * K * 4;
        for (let k = 0, pa = 0; k < K; k++, pa += 4, pb += 4) {
          const a0 = ap[pa] as number,
            a1 = ap[pa + 1] as number,
            a2 = ap[pa + 2] as number,
            a3 = ap[pa + 3] as number;
          const b0 = bp[pb] as number,
            b1 = bp[pb + 1] as number,
            b2 = bp[pb + 2] as number,
            b3 = bp[pb + 3] as number;
          c00 = fr(c00 + fr(a0 * b0));
          c01 = fr(c01 + fr(a0 * b1));
          c02 = fr(c02 + fr(a0 * b2));
          c03 = fr(c03 + fr(a0 * b3));
          c10 = fr(c10 + fr(a1 * b0));
          c11 = fr(c11 + fr(a1 * b1));
          c12 = fr(c12 + fr(a1 * b2));
          c13 = fr(c13 + fr(a1 * b3));
          c20 = fr(c20 + fr(a2 * b0));
          c21 = fr(c21 + fr(a2 * b1));
          c22 = fr(c22 + fr(a2 * b2));
          c23 = fr(c23 + fr(a2 * b3));
          c30 = fr(c30 + fr(a3 * b0));
          c31 = fr(c31 + fr(a3 * b1));
          c32 = fr(c32 + fr(a3 * b2));
          c33 = fr(c33 + fr(a3 * b3));
        }
        const rows = [
          [c00, c01, c02, c03],
          [c10, c11, c12, c13],
          [c20, c21, c22, c23],
          [c30, c31, c32, c33],
        ];
        for (let ii = 0; ii < 4 && i0 + ii < M; ii++) {
          const ob = out.offset + bt * sob + (i0 + ii) * som;
          const row = rows[ii] as number[];
          for (let jj = 0; jj < 4; jj++) {
            const j = jb * 4 + jj;
            if (j < N) O[ob + j * son] = row[jj] as number;
          }
        }
      }
    }
  }
}

/** Storage element ↔ compute value for a dtype (identity except float16/bfloat16 bits). */
function compileConv(dtype: DType, load: boolean): (x: number | bigint) => number | bigint {
  const src = load ? fromStorage(dtype, "x") : toStorage(dtype, "x");
  return compile(`conv|${dtype}|${load}`, () => `function(x) { return ${src}; }`) as (x: number | bigint) => number | bigint;
}

/** Visit every position of `shape` with one pointer per strided operand. */
function forEachOuter(
  shape: readonly number[],
  strides: (readonly number[])[],
  offsets: number[],
  f: (...ptrs: number[]) => void,
): void {
  const rank = shape.length;
  for (const d of shape) if (d === 0) return;
  const ix = new Array<number>(rank).fill(0);
  const p = offsets.slice();
  for (;;) {
    f(...p);
    let d = rank - 1;
    for (; d >= 0; d--) {
      ix[d] = (ix[d] as number) + 1;
      for (let o = 0; o < p.length; o++) p[o] = (p[o] as number) + ((strides[o] as number[])[d] as number);
      if ((ix[d] as number) < (shape[d] as number)) break;
      for (let o = 0; o < p.length; o++) p[o] = (p[o] as number) - ((strides[o] as number[])[d] as number) * (shape[d] as number);
      ix[d] = 0;
    }
    if (d < 0) return;
  }
}
