// The WebAssembly pairwise float32 sum along the last dim against ReferenceBackend.reduce, bitwise.
import { ir, ReferenceBackend } from "@lockstep/core";
import { describe, expect, it } from "vitest";
import { WasmHeap } from "../src/wasm/heap.js";
import { compileSumLastDim } from "../src/wasm/reduce.js";

const ref = new ReferenceBackend();
const heap = new WasmHeap({ initialPages: 16, maxPages: 4096 });
const map = ir.load(0, "float32");
const post = ir.acc("float32");

function data(n: number, seed: number, specials: boolean): Float32Array {
  let s = seed >>> 0 || 1;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const sp = [0, -0, 1e-40, -1e-45, 3e38, -3e38, 1e30];
  return Float32Array.from({ length: n }, () => {
    const r = next();
    if (specials && r < 0.2) return sp[Math.floor(next() * sp.length)] as number;
    return (next() * 2 - 1) * 2 ** Math.floor(next() * 40 - 20);
  });
}

function compare(rows: number, n: number, input: Float32Array): void {
  const want = new Float32Array(rows);
  ref.reduce(
    { op: "sum", map, post },
    { buf: want, dtype: "float32", shape: [rows], strides: [1], offset: 0 },
    { buf: input, dtype: "float32", shape: [rows, n], strides: [n, 1], offset: 0 },
    1,
  );
  const k = compileSumLastDim("sum", map, post, "float32", "float32", heap);
  if (!k) throw new Error("expected a kernel");
  const inp = heap.allocArray("float32", rows * n);
  (inp.array as Float32Array).set(input);
  const out = heap.allocArray("float32", rows);
  (out.array as Float32Array).fill(7);
  k(out.offset, inp.offset, rows, n);
  const got = new Uint32Array((out.array as Float32Array).slice().buffer);
  const w = new Uint32Array(want.buffer);
  for (let r = 0; r < rows; r++) {
    if (Number.isNaN(want[r]) && Number.isNaN((out.array as Float32Array)[r])) continue;
    if (got[r] !== w[r]) throw new Error(`rows=${rows} n=${n} row ${r}: got ${(out.array as Float32Array)[r]}, want ${want[r]}`);
  }
  heap.free(inp.offset);
  heap.free(out.offset);
}

describe("wasm pairwise sum along the last dim", () => {
  const NS = [0, 1, 2, 3, 5, 7, 16, 31, 32, 33, 48, 63, 64, 65, 95, 96, 100, 127, 128, 129, 1000, 1061, 4099, 70_001];
  it("bitwise the reference's, random magnitudes and specials, many row lengths", () => {
    for (const n of NS) {
      const rows = n > 10_000 ? 2 : 5;
      compare(rows, n, data(rows * n, n + 1, false));
      compare(rows, n, data(rows * n, n + 2, true));
    }
  });
  it("the order matters on these inputs (a sequential sum differs somewhere)", () => {
    const x = data(4099, 9, false);
    let seq = 0;
    for (const v of x) seq = Math.fround(seq + v);
    const want = new Float32Array(1);
    ref.reduce(
      { op: "sum", map, post },
      { buf: want, dtype: "float32", shape: [1], strides: [1], offset: 0 },
      { buf: x, dtype: "float32", shape: [1, 4099], strides: [4099, 1], offset: 0 },
      1,
    );
    expect(want[0]).not.toBe(seq);
  });
  it("empty rows give +0; -0 rows give -0", () => {
    compare(3, 0, new Float32Array(0));
    compare(2, 37, new Float32Array(74).fill(-0));
  });
  it("only plain float32 sums", () => {
    expect(compileSumLastDim("prod", map, post, "float32", "float32", heap)).toBeNull();
    expect(compileSumLastDim("sum", ir.un("abs", map), post, "float32", "float32", heap)).toBeNull();
    expect(compileSumLastDim("sum", map, post, "float64", "float32", heap)).toBeNull();
    expect(compileSumLastDim("sum", ir.load(0, "float64"), ir.acc("float64"), "float64", "float64", heap)).toBeNull();
  });
});
