// ns/element of the WebAssembly SIMD elementwise kernels (src/wasm) against the reference's JS
// kernels (what FastCpuBackend runs today), over 1M float32, on one thread. Prints JSON.
// Run: npx tsx --conditions=source bench/wasm_kernels.ts [numel]
import { type DType, ir, ReferenceBackend, type View } from "@lockstep/core";
import { compileElementwise } from "../src/wasm/compile.js";
import { WasmHeap } from "../src/wasm/heap.js";
import { compileSumLastDim } from "../src/wasm/reduce.js";
import { log, round, timeIt, uniform } from "./common.js";

const { load, konst, bin, fma, select } = ir;
const n = Number(process.argv[2] ?? 1 << 20);
const x = load(0, "float32");
const y = load(1, "float32");
const z = load(2, "float32");
const zero = konst(0, "float32");
const cases: { name: string; e: ir.Exp; nIn: number }[] = [
  { name: "add", e: bin("add", x, y), nIn: 2 },
  { name: "mul", e: bin("mul", x, y), nIn: 2 },
  { name: "fma", e: fma(x, y, z), nIn: 3 },
  { name: "relu", e: select(bin("gt", x, zero), x, zero), nIn: 1 },
  { name: "maximum", e: bin("maximum", x, y), nIn: 2 },
];

const ref = new ReferenceBackend();
const heap = new WasmHeap();
const data = [uniform(n, 1), uniform(n, 2), uniform(n, 3)];
const view = (buf: unknown, dtype: DType = "float32"): View => ({ buf, dtype, shape: [n], strides: [1], offset: 0 });
const reps = Math.max(5, Math.min(50, Math.round(2e8 / n / 4)));

const results = cases.map(({ name, e, nIn }) => {
  const ins = data.slice(0, nIn);
  const jsOut = new Float32Array(n);
  const jsIn = ins.map((d) => view(d));
  const js = timeIt(() => ref.elementwise(e, view(jsOut), jsIn), 3, reps);

  const k = compileElementwise(
    e,
    "float32",
    ins.map(() => "float32" as const),
    ins.map(() => "contig" as const),
    heap,
  );
  if (!k) throw new Error(`${name}: no wasm kernel`);
  const out = heap.allocArray("float32", n);
  const hin = ins.map((d) => {
    const a = heap.allocArray("float32", n);
    (a.array as Float32Array).set(d);
    return a.offset;
  });
  const wasm = timeIt(() => k(out.offset, ...hin, n), 3, reps);
  const same = Buffer.compare(Buffer.from(jsOut.buffer), Buffer.from(out.array.buffer, out.offset, n * 4)) === 0;
  log(`${name}: js ${((js / n) * 1e9).toFixed(2)} ns/el, wasm ${((wasm / n) * 1e9).toFixed(2)} ns/el, bitwise equal: ${same}`);
  heap.free(out.offset);
  for (const o of hin) heap.free(o);
  return {
    op: name,
    numel: n,
    js_ns_per_el: round((js / n) * 1e9),
    wasm_ns_per_el: round((wasm / n) * 1e9),
    speedup: round(js / wasm, 3),
    bitwise_equal: same,
  };
});
// sum along the last dim (pairwise order), as [rows, n / rows]
const sums = [1, 1024].map((rows) => {
  const cols = Math.floor(n / rows);
  const map = load(0, "float32");
  const post = ir.acc("float32");
  const jsOut = new Float32Array(rows);
  const jsIn: View = { buf: data[0], dtype: "float32", shape: [rows, cols], strides: [cols, 1], offset: 0 };
  const jsOutV: View = { buf: jsOut, dtype: "float32", shape: [rows], strides: [1], offset: 0 };
  const js = timeIt(() => ref.reduce({ op: "sum", map, post }, jsOutV, jsIn, 1), 3, reps);
  const k = compileSumLastDim("sum", map, post, "float32", "float32", heap);
  if (!k) throw new Error("sum: no wasm kernel");
  const inp = heap.allocArray("float32", rows * cols);
  (inp.array as Float32Array).set((data[0] as Float32Array).subarray(0, rows * cols));
  const out = heap.allocArray("float32", rows);
  const wasm = timeIt(() => k(out.offset, inp.offset, rows, cols), 3, reps);
  const same = Buffer.compare(Buffer.from(jsOut.buffer), Buffer.from(out.array.buffer, out.offset, rows * 4)) === 0;
  const el = rows * cols;
  log(
    `sum [${rows}, ${cols}]: js ${((js / el) * 1e9).toFixed(2)} ns/el, wasm ${((wasm / el) * 1e9).toFixed(2)} ns/el, bitwise equal: ${same}`,
  );
  heap.free(inp.offset);
  heap.free(out.offset);
  return {
    op: `sum_last_dim[${rows},${cols}]`,
    numel: el,
    js_ns_per_el: round((js / el) * 1e9),
    wasm_ns_per_el: round((wasm / el) * 1e9),
    speedup: round(js / wasm, 3),
    bitwise_equal: same,
  };
});
console.log(JSON.stringify({ bench: "wasm_kernels", threads: 1, reps, results: [...results, ...sums] }, null, 2));
