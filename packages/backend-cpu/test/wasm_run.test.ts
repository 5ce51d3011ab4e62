// wasmElementwise / wasmReduce on backend Views over heap typed arrays, against the reference.
import { type DType, ir, ReferenceBackend, type TypedArray, type View } from "@lockstep/core";
import { describe, expect, it } from "vitest";
import { dtypeBytes, WasmHeap } from "../src/wasm/heap.js";
import { wasmElementwise, wasmReduce } from "../src/wasm/run.js";

const heap = new WasmHeap({ initialPages: 16, maxPages: 4096 });
const ref = new ReferenceBackend();
const { load, bin, konst } = ir;
const x = load(0, "float32");
const y = load(1, "float32");

/** A heap buffer holding `data`, as FastCpuBackend.alloc + write would make it. */
function buf(dtype: DType, data: ArrayLike<number>): TypedArray {
  const a = heap.view(dtype, heap.alloc(Math.max(1, data.length) * dtypeBytes(dtype)), data.length) as Float32Array;
  a.set(data);
  return a as TypedArray;
}
const v = (b: unknown, shape: number[], strides: number[], offset = 0, dtype: DType = "float32"): View => ({
  buf: b,
  dtype,
  shape,
  strides,
  offset,
});
const seq = (n: number, k = 1) => Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * k) * 100));
const plain = (view: View): View => ({ ...view, buf: (view.buf as Float32Array).slice() });
const bits = (a: unknown) => Array.from(new Uint32Array(Float32Array.from(a as Float32Array).buffer));

describe("wasmElementwise on Views", () => {
  it("dense inputs, a broadcast scalar at an offset, an unaligned output offset", () => {
    const a = buf("float32", seq(24));
    const s = buf("float32", seq(5, 3));
    const o = buf("float32", new Float32Array(25));
    const e = bin("mul", bin("add", x, y), konst(0.1, "float32"));
    const out = v(o, [2, 3, 4], [12, 4, 1], 1);
    const ins = [v(a, [2, 3, 4], [12, 4, 1]), v(s, [2, 3, 4], [0, 0, 0], 2)];
    const refOut = plain(out);
    ref.elementwise(e, refOut, ins.map(plain));
    expect(wasmElementwise(e, out, ins, heap)).toBe(true);
    expect(bits(o)).toEqual(bits(refOut.buf));
  });
  it("in place (out is input 0), size-1 dims with any stride", () => {
    const a = buf("float32", seq(7));
    const b = buf("float32", seq(7, 2));
    const e = bin("maximum", x, y);
    const want = (a as Float32Array).slice();
    ref.elementwise(e, v(want, [7], [1]), [v(want, [7], [1]), v((b as Float32Array).slice(), [7], [1])]);
    expect(wasmElementwise(e, v(a, [1, 7], [99, 1]), [v(a, [1, 7], [5, 1]), v(b, [1, 7], [0, 1])], heap)).toBe(true);
    expect(bits(a)).toEqual(bits(want));
  });
  it("bool outputs of comparisons", () => {
    const a = buf("float32", seq(9));
    const o = buf("bool", new Uint8Array(9));
    const e = bin("gt", x, konst(0, "float32"));
    expect(wasmElementwise(e, v(o, [9], [1], 0, "bool"), [v(a, [9], [1])], heap)).toBe(true);
    expect(Array.from(o as Uint8Array)).toEqual(Array.from(seq(9), (t) => (t > 0 ? 1 : 0)));
  });
  it("strided, transposed and broadcast rows (any outer strides) equal the reference; partial overlap falls back", () => {
    const a = buf("float32", seq(64));
    const b = buf(
      "bool",
      Uint8Array.from({ length: 64 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0)),
    );
    const s = buf("float32", seq(8, 5));
    const e = ir.select(load(2, "bool"), bin("add", x, y), bin("mul", x, konst(2, "float32")));
    const cases: [number[], number[][], number[]][] = [
      [
        [2, 3, 5],
        [
          [1, 2, 12],
          [0, 1, 0],
          [3, 1, 7],
        ],
        [0, 1, 2],
      ], // strided rows, scalar-row broadcast
      [
        [4, 7],
        [
          [7, 1],
          [1, 0],
          [1, 9],
        ],
        [3, 0, 1],
      ], // transposed inputs, odd rows
      [
        [3, 2, 2, 5],
        [
          [20, 10, 5, 1],
          [0, 1, 0, 0],
          [2, 1, 32, 4],
        ],
        [0, 2, 0],
      ],
      [[9], [[2], [0], [5]], [1, 3, 2]],
    ];
    for (const [shape, [sa, ss, sb], [oa, os, ob]] of cases) {
      const n = shape.reduce((p, q) => p * q, 1);
      const dense = shape.map((_, d) => shape.slice(d + 1).reduce((p, q) => p * q, 1));
      const o = buf("float32", new Float32Array(n + 3).fill(7));
      const out = v(o, shape, dense, 3);
      const ins = [v(a, shape, sa as number[], oa), v(s, shape, ss as number[], os), v(b, shape, sb as number[], ob, "bool")];
      const refOut = plain(out);
      ref.elementwise(
        e,
        refOut,
        ins.map((q) => ({ ...q, buf: (q.buf as Float32Array).slice() })),
      );
      expect(wasmElementwise(e, out, ins, heap)).toBe(true);
      expect(bits(o)).toEqual(bits(refOut.buf));
    }
    const o = buf("float32", new Float32Array(6));
    const add = bin("add", x, y);
    // an output row that is not contiguous, an input overlapping the output at other positions
    expect(wasmElementwise(add, v(o, [2, 3], [1, 2]), [v(a, [2, 3], [3, 1]), v(a, [2, 3], [3, 1])], heap)).toBe(false);
    expect(wasmElementwise(add, v(o, [2, 3], [3, 1]), [v(o, [2, 3], [0, 1]), v(a, [2, 3], [3, 1])], heap)).toBe(false);
    expect(wasmElementwise(ir.un("exp", x), v(o, [6], [1]), [v(a, [6], [1])], heap)).toBe(false);
    expect(wasmElementwise(add, v(o, [0, 3], [3, 1]), [v(a, [0, 3], [3, 1]), v(a, [0, 3], [3, 1])], heap)).toBe(true);
  });
});

describe("wasmReduce on Views", () => {
  const sum = { op: "sum" as const, map: x, post: ir.acc("float32") };
  it("float32 sum over the last dim, bitwise the reference's", () => {
    const a = buf("float32", seq(3 * 5 * 37, 0.7));
    const o = buf("float32", new Float32Array(15));
    const out = v(o, [3, 5], [5, 1]);
    const input = v(a, [3, 5, 37], [185, 37, 1]);
    const refOut = plain(out);
    ref.reduce(sum, refOut, plain(input), 1);
    expect(wasmReduce(sum, out, input, 1, heap)).toBe(true);
    expect(bits(o)).toEqual(bits(refOut.buf));
  });
  it("returns false for other reductions and layouts", () => {
    const a = buf("float32", seq(12));
    const o = buf("float32", new Float32Array(4));
    expect(wasmReduce(sum, v(o, [1], [1]), v(a, [3, 4], [4, 1]), 2, heap)).toBe(false);
    expect(wasmReduce(sum, v(o, [4], [1]), v(a, [4, 3], [1, 4]), 1, heap)).toBe(false);
    expect(wasmReduce({ ...sum, op: "max" }, v(o, [3], [1]), v(a, [3, 4], [4, 1]), 1, heap)).toBe(false);
    expect(wasmReduce({ ...sum, map: ir.un("abs", x) }, v(o, [3], [1]), v(a, [3, 4], [4, 1]), 1, heap)).toBe(false);
  });
});
