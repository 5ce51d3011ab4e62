// The WebAssembly SIMD kernels against the exact reference: every supported op bitwise equal to
// ReferenceBackend.elementwise (NaN payloads aside), on random data and specials, at lengths
// around the 4-lane vector width; unsupported expressions give null; the heap's alloc/free/growth.
import { type DType, ir, ReferenceBackend, type TypedArray, type View } from "@lockstep/core";
import { describe, expect, it } from "vitest";
import { compileElementwise, type InputLayout } from "../src/wasm/compile.js";
import { WasmHeap } from "../src/wasm/heap.js";

const { load, konst, un, bin, fma, select, cast } = ir;
type Exp = ir.Exp;

const ref = new ReferenceBackend();
const heap = new WasmHeap({ initialPages: 16, maxPages: 4096 });
const LENGTHS = [0, 1, 3, 4, 5, 1023, 4099];

const f32 = (x: number) => Math.fround(x);
const SPECIALS = [
  0,
  -0,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.NaN,
  1.4e-45,
  -1.4e-45,
  1e-40,
  -3e-39,
  1.1754942e-38,
  1.17549435e-38,
  3.4028235e38,
  -3.4028235e38,
  1e30,
  -1e-30,
  1,
  -1,
  0.5,
  2,
  3,
  -2.5,
  2 ** 31,
  -(2 ** 31),
  2147483520,
  -2147483904,
].map(f32);

/** Seeded values: a third specials, a third ordinary numbers, a third random bit patterns. */
function floats(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
  const out = new Float32Array(n);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) {
    const r = next() % 3;
    if (r === 0) out[i] = SPECIALS[next() % SPECIALS.length] as number;
    else if (r === 1) out[i] = ((next() / 2 ** 32) * 8 - 4) * (next() % 2 ? 1 : 1e-3);
    else bits[i] = next();
  }
  return out;
}

function ints(n: number, seed: number): Int32Array {
  const f = floats(n, seed);
  const sp = [0, 1, -1, 2147483647, -2147483648, 65536, -46341];
  return Int32Array.from(f, (x, i) =>
    i % 4 === 0
      ? (sp[(i >> 2) % sp.length] as number)
      : i % 4 === 1
        ? Math.trunc(x * 10) | 0
        : (new Int32Array(Float32Array.of(x).buffer)[0] as number),
  );
}

function bools(n: number, seed: number): Uint8Array {
  const f = floats(n, seed);
  return Uint8Array.from(f, (x) => (x > 0 ? 1 : 0));
}

interface Input {
  dtype: DType;
  data: TypedArray;
  layout: InputLayout;
}

const bitsEqual = (dtype: DType, got: TypedArray, want: TypedArray): boolean => {
  if (dtype !== "float32") return got.length === want.length && got.every((v, i) => v === want[i]);
  const g = got as Float32Array;
  const w = want as Float32Array;
  const gb = new Uint32Array(g.buffer, g.byteOffset, g.length);
  const wb = new Uint32Array(w.buffer, w.byteOffset, w.length);
  for (let i = 0; i < g.length; i++) {
    if (Number.isNaN(g[i]) && Number.isNaN(w[i])) continue;
    if (gb[i] !== wb[i]) return false;
  }
  return true;
};

function runRef(e: Exp, outDtype: DType, inputs: Input[], n: number): TypedArray {
  const out = ref.alloc(outDtype, n) as TypedArray;
  const view = (buf: unknown, dtype: DType, scalar: boolean): View => ({
    buf,
    dtype,
    shape: [n],
    strides: [scalar ? 0 : 1],
    offset: 0,
  });
  ref.elementwise(
    e,
    view(out, outDtype, false),
    inputs.map((x) => view(x.data, x.dtype, x.layout === "scalar")),
  );
  return out;
}

function runWasm(e: Exp, outDtype: DType, inputs: Input[], n: number): TypedArray {
  const k = compileElementwise(
    e,
    outDtype,
    inputs.map((x) => x.dtype),
    inputs.map((x) => x.layout),
    heap,
  );
  if (!k) throw new Error("expected a kernel");
  const out = heap.allocArray(outDtype, n);
  const ins = inputs.map((x) => {
    const a = heap.allocArray(x.dtype, x.data.length);
    a.array.set(x.data as never);
    return a;
  });
  // poison the output so unwritten elements show
  (out.array as Uint8Array | Float32Array).fill(7 as never);
  k(out.offset, ...ins.map((a) => a.offset), n);
  const result = out.array.slice();
  heap.free(out.offset);
  for (const a of ins) heap.free(a.offset);
  return result;
}

function check(e: Exp, outDtype: DType, make: (n: number, seed: number) => Input[]): void {
  for (const n of LENGTHS) {
    const inputs = make(n, n * 7 + 1);
    const want = runRef(e, outDtype, inputs, n);
    const got = runWasm(e, outDtype, inputs, n);
    expect(got.length).toBe(n);
    if (!bitsEqual(outDtype, got, want)) {
      const i = [...Array(n).keys()].find((j) => !bitsEqual(outDtype, got.subarray(j, j + 1), want.subarray(j, j + 1)));
      const at = inputs.map((x) => x.data[x.layout === "scalar" ? 0 : (i as number)]);
      throw new Error(`n=${n} at ${i}: got ${got[i as number]}, want ${want[i as number]} (inputs ${at.join(", ")})`);
    }
  }
}

const F = (i: number) => load(i, "float32");
const Bo = (i: number) => load(i, "bool");
const I = (i: number) => load(i, "int32");
/** Inputs: one per dtype in `dtypes`; "s" marks scalars. */
const mk =
  (dtypes: ("f" | "b" | "i" | "fs" | "bs" | "is")[]) =>
  (n: number, seed: number): Input[] =>
    dtypes.map((t, i) => {
      const scalar = t.endsWith("s");
      const len = scalar ? 1 : n;
      const layout = scalar ? "scalar" : "contig";
      if (t.startsWith("i")) return { dtype: "int32", data: ints(len, seed * 13 + i * 71 + 1), layout };
      return t.startsWith("f")
        ? { dtype: "float32", data: floats(len, seed * 31 + i * 977 + 5), layout }
        : { dtype: "bool", data: bools(len, seed * 17 + i * 131 + 3), layout };
    });

describe("wasm elementwise kernels match the reference bitwise", () => {
  for (const op of ["neg", "abs", "sqrt"] as const) {
    it(`unary ${op}`, () => check(un(op, F(0)), "float32", mk(["f"])));
  }
  for (const op of ["isnan", "isinf", "isfinite", "not"] as const) {
    it(`predicate ${op} → bool and uint8`, () => {
      check(un(op, F(0)), "bool", mk(["f"]));
      check(un(op, F(0)), "uint8", mk(["f"]));
    });
  }
  for (const op of ["add", "sub", "mul", "div", "maximum", "minimum"] as const) {
    it(`binary ${op} (contiguous, scalar operands, constants)`, () => {
      check(bin(op, F(0), F(1)), "float32", mk(["f", "f"]));
      check(bin(op, F(0), F(1)), "float32", mk(["f", "fs"]));
      check(bin(op, F(0), F(1)), "float32", mk(["fs", "f"]));
      check(bin(op, F(0), konst(-0, "float32")), "float32", mk(["f"]));
      check(bin(op, konst(0, "float32"), F(0)), "float32", mk(["f"]));
      check(bin(op, F(0), konst(Number.NaN, "float32")), "float32", mk(["f"]));
      check(bin(op, F(0), F(0)), "float32", mk(["f"]));
    });
  }
  it("maximum/minimum on signed zeros: the second operand wins ties", () => {
    const z = (a: number, b: number): Input[] => [
      { dtype: "float32", data: Float32Array.of(a, b, a, b, a), layout: "contig" },
      { dtype: "float32", data: Float32Array.of(b, a, b, a, b), layout: "contig" },
    ];
    for (const op of ["maximum", "minimum"] as const) {
      const e = bin(op, F(0), F(1));
      const got = runWasm(e, "float32", z(0, -0), 5);
      expect(Array.from(got as Float32Array).map((v) => Object.is(v, -0))).toEqual([true, false, true, false, true]);
      expect(bitsEqual("float32", got, runRef(e, "float32", z(0, -0), 5))).toBe(true);
    }
  });
  for (const op of ["eq", "ne", "lt", "le", "gt", "ge"] as const) {
    it(`compare ${op}: float32 and bool operands, bool/uint8 outputs`, () => {
      check(bin(op, F(0), F(1)), "bool", mk(["f", "f"]));
      check(bin(op, F(0), F(1)), "uint8", mk(["f", "fs"]));
      check(bin(op, F(0), konst(0, "float32")), "bool", mk(["f"]));
      check(bin(op, Bo(0), Bo(1)), "bool", mk(["b", "b"]));
      check(bin(op, Bo(0), Bo(1)), "bool", mk(["bs", "b"]));
    });
  }
  for (const op of ["and", "or", "xor", "add", "mul", "maximum", "minimum"] as const) {
    it(`bool ${op}`, () => {
      check(bin(op, Bo(0), Bo(1)), "bool", mk(["b", "b"]));
      check(bin(op, Bo(0), Bo(1)), "uint8", mk(["b", "bs"]));
      check(bin(op, bin("gt", F(0), F(1)), Bo(2)), "bool", mk(["f", "f", "b"]));
      check(bin(op, Bo(0), konst(true, "bool")), "bool", mk(["b"]));
    });
  }
  it("bool not and casts", () => {
    check(un("not", Bo(0)), "bool", mk(["b"]));
    check(un("not", bin("lt", F(0), F(1))), "bool", mk(["f", "f"]));
    check(cast(Bo(0), "float32"), "float32", mk(["b"]));
    check(cast(F(0), "bool"), "bool", mk(["f"]));
    check(cast(cast(bin("ge", F(0), F(1)), "float32"), "float32"), "float32", mk(["f", "fs"]));
  });
  it("select: relu, bool input condition, float32 condition, scalar branches", () => {
    const x = F(0);
    check(select(bin("gt", x, konst(0, "float32")), x, konst(0, "float32")), "float32", mk(["f"]));
    check(select(Bo(0), F(1), F(2)), "float32", mk(["b", "f", "f"]));
    check(select(Bo(0), F(1), F(2)), "float32", mk(["bs", "f", "fs"]));
    check(select(F(0), F(1), F(2)), "float32", mk(["f", "f", "f"]));
    check(select(bin("lt", F(0), F(1)), Bo(2), un("not", Bo(2))), "bool", mk(["f", "f", "b"]));
  });
  it("fma: random, scalar operands, and the double-rounding correction", () => {
    check(fma(F(0), F(1), F(2)), "float32", mk(["f", "f", "f"]));
    check(fma(F(0), F(1), F(2)), "float32", mk(["f", "fs", "fs"]));
    check(fma(F(0), konst(-0.5, "float32"), F(1)), "float32", mk(["f", "f"]));
    // a·b + c whose float64 sum lands exactly halfway between two float32s (the fmaf correction)
    const hard = (n: number): Input[] => {
      const a = new Float32Array(n);
      const b = new Float32Array(n);
      const c = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const sgn = i % 2 ? -1 : 1;
        const sc = 2 ** ((i % 40) - 20);
        a[i] = f32(1 + 2 ** -23) * sgn;
        b[i] = f32((1 - 2 ** -23) * 2 ** -24) * sc;
        c[i] = f32((1 + 2 ** -23 * ((i % 5) + 1)) * sc) * sgn;
      }
      return [
        { dtype: "float32", data: a, layout: "contig" },
        { dtype: "float32", data: b, layout: "contig" },
        { dtype: "float32", data: c, layout: "contig" },
      ];
    };
    const e = fma(F(0), F(1), F(2));
    check(e, "float32", hard);
    const ins = hard(64);
    const want = runRef(e, "float32", ins, 64) as Float32Array;
    const [a, b, c] = ins.map((x) => x.data as Float32Array) as [Float32Array, Float32Array, Float32Array];
    const corrected = [...want.keys()].filter((i) => want[i] !== f32((a[i] as number) * (b[i] as number) + (c[i] as number)));
    expect(corrected.length).toBeGreaterThan(0); // the test does exercise the correction
  });
  it("int32: wrapping arithmetic, comparisons, predicates, select", () => {
    for (const op of ["add", "sub", "mul", "maximum", "minimum"] as const) {
      check(bin(op, I(0), I(1)), "int32", mk(["i", "i"]));
      check(bin(op, I(0), I(1)), "int32", mk(["i", "is"]));
      check(bin(op, I(0), konst(-7, "int32")), "int32", mk(["i"]));
    }
    for (const op of ["eq", "ne", "lt", "le", "gt", "ge"] as const) check(bin(op, I(0), I(1)), "bool", mk(["i", "i"]));
    for (const op of ["neg", "abs"] as const) check(un(op, I(0)), "int32", mk(["i"]));
    for (const op of ["not", "isnan", "isinf", "isfinite"] as const) check(un(op, I(0)), "bool", mk(["i"]));
    check(select(bin("lt", I(0), I(1)), I(1), I(0)), "int32", mk(["i", "i"]));
    check(select(I(0), F(1), F(2)), "float32", mk(["i", "f", "fs"]));
  });
  it("int32 casts: to/from float32 (x86 cvtt: out of range and NaN give INT_MIN) and bool", () => {
    check(cast(F(0), "int32"), "int32", mk(["f"]));
    check(cast(bin("mul", F(0), konst(1e9, "float32")), "int32"), "int32", mk(["f"]));
    check(cast(I(0), "float32"), "float32", mk(["i"]));
    check(cast(I(0), "bool"), "bool", mk(["i"]));
    check(cast(Bo(0), "int32"), "int32", mk(["b"]));
    check(cast(cast(I(0), "float32"), "int32"), "int32", mk(["i"]));
  });
  it("shared subexpressions and deeper trees", () => {
    const s = bin("add", F(0), F(1));
    check(bin("mul", s, s), "float32", mk(["f", "f"]));
    const m = bin("maximum", fma(s, F(2), konst(1.5, "float32")), un("neg", s));
    check(select(bin("le", m, s), un("sqrt", un("abs", m)), bin("div", s, m)), "float32", mk(["f", "f", "fs"]));
  });
});

describe("wasm elementwise: unsupported cases return null", () => {
  const f = (e: Exp, out: DType, dt: DType[], lay?: InputLayout[]) =>
    compileElementwise(e, out, dt, lay ?? dt.map(() => "contig" as const), heap);
  it("ops, dtypes, layouts", () => {
    expect(f(un("exp", F(0)), "float32", ["float32"])).toBeNull();
    expect(f(bin("pow", F(0), F(1)), "float32", ["float32", "float32"])).toBeNull();
    expect(f(bin("add", load(0, "float64"), load(1, "float64")), "float64", ["float64", "float64"])).toBeNull();
    expect(f(bin("div", I(0), I(1)), "int32", ["int32", "int32"])).toBeNull();
    expect(f(bin("and", I(0), I(1)), "bool", ["int32", "int32"])).toBeNull();
    expect(f(un("sign", I(0)), "int32", ["int32"])).toBeNull();
    expect(f(bin("add", load(0, "uint8"), load(1, "uint8")), "uint8", ["uint8", "uint8"])).toBeNull();
    expect(f(cast(F(0), "float16"), "float16", ["float32"])).toBeNull();
    expect(f(bin("add", F(0), ir.coord(0)), "float32", ["float32"])).toBeNull();
    expect(f(ir.gload(0, "float32", konst(0, "int32")), "float32", ["float32"])).toBeNull();
    expect(f(bin("and", F(0), F(1)), "bool", ["float32", "float32"])).toBeNull();
    expect(f(bin("add", F(0), F(1)), "bool", ["float32", "float32"])).toBeNull(); // output dtype mismatch
    expect(f(bin("add", F(0), F(1)), "float32", ["float32", "bool"])).toBeNull(); // input dtype mismatch
    expect(f(bin("add", F(0), F(1)), "float32", ["float32", "float32"], ["contig"])).toBeNull();
  });
  it("caches kernels (and nulls) by key", () => {
    const a = f(bin("add", F(0), F(1)), "float32", ["float32", "float32"]);
    expect(a).not.toBeNull();
    expect(f(bin("add", F(0), F(1)), "float32", ["float32", "float32"])).toBe(a);
    expect(f(bin("add", F(0), F(1)), "float32", ["float32", "float32"], ["contig", "scalar"])).not.toBe(a);
  });
});

describe("wasm heap", () => {
  it("16-byte aligned blocks in shared memory, reused after free", () => {
    const h = new WasmHeap({ initialPages: 1, maxPages: 64 });
    expect(h.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    const offs = [1, 3, 17, 100, 1000, 5000].map((n) => h.alloc(n));
    for (const o of offs) expect(o % 16).toBe(0);
    expect(new Set(offs).size).toBe(offs.length);
    const a = h.allocArray("float32", 10) as { offset: number; array: Float32Array };
    a.array.fill(3);
    h.free(a.offset);
    const b = h.allocArray("float32", 9); // same size class
    expect(b.offset).toBe(a.offset);
    expect(() => h.free(12345)).toThrow();
    h.free(b.offset);
    expect(() => h.free(b.offset)).toThrow();
    const z = h.allocArray("float32", 10, true) as { offset: number; array: Float32Array };
    expect(z.offset).toBe(a.offset);
    expect(Array.from(z.array)).toEqual(new Array(10).fill(0));
    for (const o of offs) h.free(o);
    h.free(z.offset);
    expect(h.stats().live).toBe(0);
  });
  it("blocks do not overlap (distinct sizes written and read back)", () => {
    const h = new WasmHeap({ initialPages: 1, maxPages: 256 });
    const blocks = Array.from({ length: 200 }, (_, i) => h.allocArray("float32", 1 + ((i * 37) % 900)).array as Float32Array);
    blocks.forEach((b, i) => b.fill(i));
    blocks.forEach((b, i) => expect(b.every((v) => v === i)).toBe(true));
  });
  it("grows on demand; views made before a grow stay valid; kernels see new pages", () => {
    const h = new WasmHeap({ initialPages: 1, maxPages: 1024 });
    const before = h.allocArray("float32", 1000) as { offset: number; array: Float32Array };
    before.array.fill(1.5);
    const pages0 = h.memory.buffer.byteLength;
    const big = h.allocArray("float32", 3_000_000) as { offset: number; array: Float32Array }; // 12 MB: grows
    expect(h.memory.buffer.byteLength).toBeGreaterThan(pages0);
    expect(before.array.length).toBe(1000);
    expect(before.array.every((v) => v === 1.5)).toBe(true);
    before.array[3] = 2.5;
    expect((h.view("float32", before.offset, 1000) as Float32Array)[3]).toBe(2.5);
    big.array.fill(2);
    const k = compileElementwise(bin("add", F(0), F(1)), "float32", ["float32", "float32"], ["contig", "scalar"], h);
    k?.(big.offset, big.offset, before.offset, 3_000_000);
    expect(big.array[0]).toBe(3.5);
    expect(big.array[2_999_999]).toBe(3.5);
    expect(() => h.alloc(2 ** 32)).toThrow(RangeError);
  });
});
