// A WebAssembly SIMD kernel for float32 sums along a contiguous last dim, in the reference's exact
// pairwise order (DESIGN §4: adjacent pairs level by level, an odd last carried up; equivalently
// the reference's stack of aligned power-of-two blocks, folded right to left at the end).
//
// Each row is cut into aligned 32-element blocks, each summed as a full pairwise tree with f32x4
// adds on even/odd lane shuffles (levels 1–3 across 8 vectors, levels 4–5 in lanes); block sums go
// through a binary counter (level l holds a pending block of 2^l·32 elements while bit l of the
// block count is set), so pushing them merges exactly as the reference's stack does. The remainder
// (n mod 32 elements: aligned blocks of 16, 8, 4, 2, 1 by the bits of n) is summed in scalar code,
// then everything is folded right to left starting from −0 (x + −0 = x for every x, so the first
// fold is exact); an empty row gives +0, the reference's identity.
import { type DType, type ir, ir as irNs } from "@lockstep/core";
import { Wasm, type WasmMemory } from "./api.js";
import { Code, encodeModule, F32, I32, Op, Simd, V128 } from "./encode.js";
import { defaultHeap } from "./heap.js";

/** (outPtr, inPtr, rows, n): out[r] = Σ in[r·n .. r·n + n) in the pairwise order; byte offsets. */
export type WasmSumKernel = (out: number, input: number, rows: number, n: number) => void;

/** Block-count levels: enough for 2^LEVELS blocks of 32 (rows of up to 2^31 elements). */
const LEVELS = 26;
const EVEN = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
const ODD = [4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31];

function build(maxPages: number): Uint8Array {
  const [OUT, IN, ROWS, N] = [0, 1, 2, 3];
  const P = 4; // i32: the block pointer
  const J = 5; // i32: blocks pushed so far
  const NB = 6; // i32: full blocks in a row
  const A = 7; // f32: the value being pushed
  const ACC = 8; // f32: the right fold
  const S = 9; // f32 × LEVELS: the counter's pending sums
  const V = S + LEVELS; // v128 × 15: the block tree
  const locals = [I32, I32, I32, F32, F32, ...new Array(LEVELS).fill(F32), ...new Array(15).fill(V128)];
  const c = new Code();
  const get = (l: number) => c.local(Op.localGet, l);
  /** Push (x[2i] + x[2i+1]) over the 8 lanes of locals x, y. */
  const pairs = (x: number, y: number) => {
    get(x).local(Op.localGet, y).shuffle(EVEN);
    get(x).local(Op.localGet, y).shuffle(ODD);
    c.simd(Simd.f32x4Add);
  };
  /** The pairwise sum of `len` (a power of two ≤ 16) scalars at ptr + off, pushed as f32. */
  const tree = (ptr: () => void, off: number, len: number): void => {
    if (len === 1) {
      ptr();
      c.scalarMem(Op.f32Load, 2, off);
      return;
    }
    tree(ptr, off, len / 2);
    tree(ptr, off + 2 * len, len / 2);
    c.op(Op.f32Add);
  };

  c.open(Op.block).open(Op.loop);
  get(ROWS).op(Op.i32Eqz).br(Op.brIf, 1);
  get(IN).local(Op.localSet, P);
  c.i32(0).local(Op.localSet, J);
  get(N).i32(5).op(Op.i32ShrU).local(Op.localSet, NB);
  // full blocks
  c.open(Op.block).open(Op.loop);
  get(J).local(Op.localGet, NB).op(Op.i32GeU).br(Op.brIf, 1);
  for (let k = 0; k < 8; k++)
    get(P)
      .mem(Simd.load, 2, 16 * k)
      .local(Op.localSet, V + k);
  for (let k = 0; k < 4; k++) {
    pairs(V + 2 * k, V + 2 * k + 1);
    c.local(Op.localSet, V + 8 + k);
  }
  for (let k = 0; k < 2; k++) {
    pairs(V + 8 + 2 * k, V + 9 + 2 * k);
    c.local(Op.localSet, V + 12 + k);
  }
  pairs(V + 12, V + 13); // sums of 8: [b0, b1, b2, b3]
  c.local(Op.localSet, V + 14);
  pairs(V + 14, V + 14); // [b0+b1, b2+b3, ...]
  c.local(Op.localTee, V + 14).lane(Simd.f32x4ExtractLane, 0);
  get(V + 14)
    .lane(Simd.f32x4ExtractLane, 1)
    .op(Op.f32Add)
    .local(Op.localSet, A);
  // push: while bit l of J is set, A = S[l] + A; then S[l] = A
  for (let l = 0; l < LEVELS; l++) {
    get(J)
      .i32(1 << l)
      .op(Op.i32And)
      .open(Op.if);
    get(S + l)
      .local(Op.localGet, A)
      .op(Op.f32Add)
      .local(Op.localSet, A);
  }
  for (let l = LEVELS - 1; l >= 0; l--) {
    if (l < LEVELS - 1) c.op(Op.end);
    c.op(Op.else);
    get(A).local(Op.localSet, S + l);
  }
  c.op(Op.end);
  get(P).i32(128).op(Op.i32Add).local(Op.localSet, P);
  get(J).i32(1).op(Op.i32Add).local(Op.localSet, J);
  c.br(Op.br, 0);
  c.op(Op.end).op(Op.end);
  // remainder blocks, smallest (last) first, then the counter's levels, folded right to left
  c.f32(-0).local(Op.localSet, ACC);
  for (let b = 0; b < 5; b++) {
    get(N)
      .i32(1 << b)
      .op(Op.i32And)
      .open(Op.if);
    // the 2^b block starts after the larger remainder blocks: (n mod 32) >> (b+1) << (b+1) elements in
    const at = () =>
      get(P)
        .local(Op.localGet, N)
        .i32(31 & ~((2 << b) - 1))
        .op(Op.i32And)
        .i32(4)
        .op(Op.i32Mul)
        .op(Op.i32Add);
    tree(at, 0, 1 << b);
    get(ACC).op(Op.f32Add).local(Op.localSet, ACC);
    c.op(Op.end);
  }
  for (let l = 0; l < LEVELS; l++) {
    get(NB)
      .i32(1 << l)
      .op(Op.i32And)
      .open(Op.if);
    get(S + l)
      .local(Op.localGet, ACC)
      .op(Op.f32Add)
      .local(Op.localSet, ACC);
    c.op(Op.end);
  }
  // out[r] = n ? acc : +0
  get(OUT).local(Op.localGet, ACC).f32(0).local(Op.localGet, N).op(Op.select);
  c.scalarMem(Op.f32Store, 2, 0);
  get(OUT).i32(4).op(Op.i32Add).local(Op.localSet, OUT);
  get(IN).local(Op.localGet, N).i32(4).op(Op.i32Mul).op(Op.i32Add).local(Op.localSet, IN);
  get(ROWS).i32(1).op(Op.i32Sub).local(Op.localSet, ROWS);
  c.br(Op.br, 0);
  c.op(Op.end).op(Op.end);
  return encodeModule(4, locals, c, maxPages);
}

const caches = new WeakMap<WasmMemory, WasmSumKernel>();

/**
 * The sum kernel for a reduction `{ op, map, post }` over a contiguous last dim, or null unless it
 * is a plain float32 sum (map = load(0) of float32, post = the accumulator, float32 in and out).
 */
export function compileSumLastDim(
  op: string,
  map: ir.Exp,
  post: ir.Exp,
  inDtype: DType,
  outDtype: DType,
  heap: { memory: WasmMemory; maxPages: number } = defaultHeap(),
): WasmSumKernel | null {
  if (op !== "sum" || inDtype !== "float32" || outDtype !== "float32") return null;
  if (irNs.expKey(map) !== "l:float32:0" || irNs.expKey(post) !== "a:float32") return null;
  let k = caches.get(heap.memory);
  if (!k) {
    const inst = new Wasm.Instance(new Wasm.Module(build(heap.maxPages)), { env: { memory: heap.memory } });
    k = inst.exports.fn as WasmSumKernel;
    caches.set(heap.memory, k);
  }
  return k;
}
