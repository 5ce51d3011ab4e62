// Running the wasm kernels on backend Views whose buffers are typed arrays on a WasmHeap's memory
// (what FastCpuBackend.alloc would return: `heap.view(dtype, heap.alloc(bytes), numel)`, so the
// reference's JS kernels keep working on the same buffers). Each function returns false where the
// kernel, dtypes or layout are not supported; the caller then runs the JS kernel.
//
// Contract: every buf is a view made by `heap.view` (its byteOffset is its heap address); an
// output may be the same memory as an input, element for element (in-place ops), but must not
// partially overlap one (the kernels read 4 elements before writing them).
import type { ReduceKernel, View } from "@lockstep/core";
import { numelOf } from "../parallel.js";
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

/** The byte address of a view's first element. */
const address = (v: View): number => (v.buf as ArrayBufferView).byteOffset + v.offset * dtypeBytes(v.dtype);

const layouts: InputLayout[] = [];
const args: number[] = [];

/** out[pos] = e(inputs at pos) with a wasm kernel, if out is contiguous and every input contiguous or a broadcast scalar. */
export function wasmElementwise(
  e: Parameters<typeof compileElementwise>[0],
  out: View,
  inputs: readonly View[],
  heap: WasmHeap = defaultHeap(),
): boolean {
  if (!dense(out.shape, out.strides)) return false;
  layouts.length = 0;
  for (const v of inputs) {
    if (dense(v.shape, v.strides)) layouts.push("contig");
    else if (broadcastScalar(v.shape, v.strides)) layouts.push("scalar");
    else return false;
  }
  const k = compileElementwise(
    e,
    out.dtype,
    inputs.map((v) => v.dtype),
    layouts,
    heap,
  );
  if (!k) return false;
  const n = numelOf(out.shape);
  if (n === 0) return true;
  args.length = 0;
  args.push(address(out));
  for (const v of inputs) args.push(address(v));
  args.push(n);
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
