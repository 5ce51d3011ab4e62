// Running the wasm kernels on backend Views whose buffers are typed arrays on a WasmHeap's memory
// (what FastCpuBackend.alloc would return: `heap.view(dtype, heap.alloc(bytes), numel)`, so the
// reference's JS kernels keep working on the same buffers). Each function returns false where the
// kernel, dtypes or layout are not supported; the caller then runs the JS kernel.
//
// Contract: every buf is a view made by `heap.view` (its byteOffset is its heap address); an
// output may be the same memory as an input, element for element (in-place ops); an input viewing
// the output's buffer any other way falls back to the JS kernel.
import type { ReduceKernel, View } from "@lockstep/core";
import { collapse, numelOf } from "../parallel.js";
import { compileElementwise, type InputLayout } from "./compile.js";
import { defaultHeap, dtypeBytes, type WasmHeap } from "./heap.js";
import { compileSumLastDim } from "./reduce.js";

/** Whether strides are row-major contiguous for shape (size-1 dims may have any stride). */
function dense(shape: readonly number[], strides: readonly number[]): boolean {
  let expect = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const s = shape[d] as number;
    if (s !== 1 && strides[d] !== expect) return false;
    expect *= s;
  }
  return true;
}

function broadcastScalar(shape: readonly number[], strides: readonly number[]): boolean {
  for (let d = 0; d < shape.length; d++) if (shape[d] !== 1 && strides[d] !== 0) return false;
  return true;
}

/** Whether two views of one buffer address the same element at every position. */
export const sameLayout = (a: View, b: View): boolean =>
  a.offset === b.offset &&
  a.strides.length === b.strides.length &&
  a.strides.every((s, i) => s === b.strides[i] || a.shape[i] === 1);

/** The byte address of a view's first element. */
const address = (v: View): number => (v.buf as ArrayBufferView).byteOffset + v.offset * dtypeBytes(v.dtype);

const layouts: InputLayout[] = [];
const args: number[] = [];

/** Each heap's descriptor block (DESC_WORDS i32 words) for the kernels' row strides and outer dims. */
const DESC_WORDS = 1024;
const descriptors = new WeakMap<WasmHeap, { address: number; words: Int32Array }>();
function descriptor(heap: WasmHeap): { address: number; words: Int32Array } {
  let d = descriptors.get(heap);
  if (!d) {
    const address = heap.alloc(4 * DESC_WORDS);
    d = { address, words: heap.view("int32", address, DESC_WORDS) as Int32Array };
    descriptors.set(heap, d);
  }
  return d;
}

/**
 * out[pos] = e(inputs at pos) with a wasm kernel, if after merging dims the output's last dim is
 * contiguous (every input may be contiguous, strided or broadcast along it, with any outer strides).
 */
export function wasmElementwise(
  e: Parameters<typeof compileElementwise>[0],
  out: View,
  inputs: readonly View[],
  heap: WasmHeap = defaultHeap(),
): boolean {
  // an input in the output's buffer must be read at the output's own positions (the kernel reads
  // 4 elements before writing them; the reference reads each just before writing it)
  for (const v of inputs) if (v.buf === out.buf && !sameLayout(v, out)) return false;
  layouts.length = 0;
  args.length = 0;
  let flat = dense(out.shape, out.strides);
  for (let i = 0; flat && i < inputs.length; i++) {
    const v = inputs[i] as View;
    if (dense(v.shape, v.strides)) layouts.push("contig");
    else if (broadcastScalar(v.shape, v.strides)) layouts.push("scalar");
    else flat = false;
  }
  let n: number;
  let rows = 1;
  let desc = 0;
  if (flat) n = numelOf(out.shape);
  else {
    layouts.length = 0;
    const views = [out, ...inputs];
    const c = collapse(
      out.shape,
      views.map((v) => v.strides),
    );
    const D = c.shape.length;
    if (D === 0) return false; // every dim has size 1: dense, handled above
    const inner = D - 1;
    if ((c.strides[0] as number[])[inner] !== 1) return false;
    const d = descriptor(heap);
    const w = d.words;
    const nOps = views.length;
    if (nOps + (D - 1) * (nOps + 2) > DESC_WORDS) return false;
    for (let k = 0; k < nOps; k++) {
      const s = (c.strides[k] as number[])[inner] as number;
      const bytes = dtypeBytes((views[k] as View).dtype);
      if (k > 0) layouts.push(s === 1 ? "contig" : s === 0 ? "scalar" : "strided");
      w[k] = s * bytes;
    }
    // outer dims, innermost first: [count, index, per operand the step when it advances (its
    // stride, less what the inner outer dims covered before wrapping to 0)]
    let at = nOps;
    for (let dim = inner - 1; dim >= 0; dim--) {
      const count = c.shape[dim] as number;
      rows *= count;
      w[at] = count;
      w[at + 1] = 0;
      for (let k = 0; k < nOps; k++) {
        const st = c.strides[k] as number[];
        let step = st[dim] as number;
        for (let j = dim + 1; j < inner; j++) step -= ((c.shape[j] as number) - 1) * (st[j] as number);
        w[at + 2 + k] = step * dtypeBytes((views[k] as View).dtype);
      }
      at += nOps + 2;
    }
    n = c.shape[inner] as number;
    desc = d.address;
  }
  const k = compileElementwise(
    e,
    out.dtype,
    inputs.map((v) => v.dtype),
    layouts,
    heap,
  );
  if (!k) return false;
  if (n === 0 || rows === 0) return true;
  args.push(address(out));
  for (const v of inputs) args.push(address(v));
  args.push(n, rows, desc);
  k(...args);
  return true;
}

/** The reduction with a wasm kernel, if it is a float32 sum over the last dim of a contiguous input into a contiguous out. */
export function wasmReduce(
  kernel: ReduceKernel,
  out: View,
  input: View,
  nReduced: number,
  heap: WasmHeap = defaultHeap(),
): boolean {
  if (nReduced !== 1 || !dense(out.shape, out.strides) || !dense(input.shape, input.strides)) return false;
  const k = compileSumLastDim(kernel.op, kernel.map, kernel.post, input.dtype, out.dtype, heap);
  if (!k) return false;
  const rows = numelOf(out.shape);
  if (rows === 0) return true;
  k(address(out), address(input), rows, input.shape[input.shape.length - 1] as number);
  return true;
}
