// The WebGPU backend: core's backend contract over WGSL kernels (see kernels*.ts) on a Runtime.
import { type Backend, type DType, DTypeError, ir, type ReduceKernel, type TypedArray, type View } from "@lockstep/core";
import { elementwiseKernel, type Kernel, reduceKernel, type Slots, slotsFor } from "./kernels.js";
import { matmulKernel, scanKernel, scatterKernel, sortKernel } from "./kernels_more.js";
import { tiledMatmulKernel, tiledMatmulSupports } from "./matmul.js";
import { canReduceInParallel, reduceParallel } from "./reduce.js";
import type { Runtime } from "./runtime.js";
import { canScatterInParallel, scatterParallel } from "./scatter.js";
import { canSortBitonic, sortBitonic } from "./sort.js";
import { computeType, wordsPer } from "./wgsl.js";

/** A tensor storage on the GPU. */
export interface GpuStorage {
  readonly buffer: GPUBuffer;
  readonly dtype: DType;
  readonly numel: number;
}

const BYTES_PER_WORD = 4;

/** Host array → the GPU's storage words (uint8/bool/16-bit floats widen to one u32 per element). */
function toWords(dtype: DType, data: TypedArray): ArrayBufferView {
  switch (dtype) {
    case "float32":
    case "int32":
    case "int64":
      return data;
    case "uint8":
    case "bool":
    case "float16":
    case "bfloat16":
      return Uint32Array.from(data as Uint8Array | Uint16Array);
    case "float64":
      throw new DTypeError("webgpu write", "float64 is not supported on webgpu (WGSL has no f64)");
  }
}

function fromWords(dtype: DType, words: ArrayBuffer): TypedArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(words);
    case "int32":
      return new Int32Array(words);
    case "int64":
      return new BigInt64Array(words);
    case "uint8":
    case "bool":
      return Uint8Array.from(new Uint32Array(words));
    case "float16":
    case "bfloat16":
      return Uint16Array.from(new Uint32Array(words));
    case "float64":
      throw new DTypeError("webgpu read", "float64 is not supported on webgpu (WGSL has no f64)");
  }
}

/** Merge adjacent dims that are contiguous with each other in every view (fewer index operations). */
function collapse(shape: readonly number[], strides: (readonly number[])[]): [number[], number[][]] {
  const sh: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d] as number;
    if (n === 1) continue;
    const last = sh.length - 1;
    if (last >= 0 && strides.every((s, v) => (st[v] as number[])[last] === (s[d] as number) * n)) {
      sh[last] = (sh[last] as number) * n;
      strides.forEach((s, v) => {
        (st[v] as number[])[last] = s[d] as number;
      });
    } else {
      sh.push(n);
      strides.forEach((s, v) => (st[v] as number[]).push(s[d] as number));
    }
  }
  return [sh, st];
}

/**
 * Whether a kernel that stores every element of `v` writes all of its storage: offset 0, and the
 * view a dense (non-overlapping, gap-free) layout of exactly the storage's elements.
 */
function coversStorage(v: View): boolean {
  if (v.offset !== 0) return false;
  const dims: [number, number][] = [];
  for (let d = 0; d < v.shape.length; d++) {
    const n = v.shape[d] as number;
    if (n === 0) return false;
    if (n !== 1) dims.push([n, v.strides[d] as number]);
  }
  dims.sort((a, b) => a[1] - b[1]);
  let expect = 1;
  for (const [n, st] of dims) {
    if (st !== expect) return false;
    expect *= n;
  }
  return expect === (v.buf as GpuStorage).numel;
}

/**
 * The buffers of `outs` (views a kernel stores every element of) that it writes in full and reads
 * through no other view: their pending zero fill (Runtime.alloc) can be skipped.
 */
function overwrittenBuffers(outs: readonly View[], ins: readonly View[]): GPUBuffer[] | undefined {
  let list: GPUBuffer[] | undefined;
  for (const o of outs) {
    if (ins.some((v) => v.buf === o.buf) || !coversStorage(o)) continue;
    (list ??= []).push((o.buf as GpuStorage).buffer);
  }
  return list;
}

export class WebGPUBackend implements Backend {
  readonly name = "webgpu";

  constructor(readonly rt: Runtime) {}

  alloc(dtype: DType, numel: number): GpuStorage {
    computeType(dtype, "webgpu alloc");
    return { buffer: this.rt.alloc(numel * wordsPer(dtype) * BYTES_PER_WORD), dtype, numel };
  }

  free(buf: unknown): void {
    this.rt.release((buf as GpuStorage).buffer);
  }

  write(buf: unknown, dtype: DType, data: TypedArray): void {
    this.rt.write((buf as GpuStorage).buffer, 0, toWords(dtype, data));
  }

  async read(buf: unknown, dtype: DType, offset: number, numel: number): Promise<TypedArray> {
    const w = wordsPer(dtype) * BYTES_PER_WORD;
    return fromWords(dtype, await this.rt.read((buf as GpuStorage).buffer, offset * w, numel * w));
  }

  /** Dispatch a kernel over `threads` invocations, or over its own grid of workgroups (`k.groups`). */
  /** `overwritten`: see overwrittenBuffers. */
  private run(k: Kernel & { groups?: [number, number, number] }, slots: Slots, threads: number, overwritten?: GPUBuffer[]): void {
    const buffers = slots.bufs.map((b) => ({ buffer: (b.buf as GpuStorage).buffer, writable: b.writable }));
    const params = Uint32Array.from(k.params, (x) => x >>> 0);
    if (k.groups) this.rt.dispatchGroups(k.source, buffers, params, k.groups, overwritten);
    else this.rt.dispatch(k.source, buffers, params, k.threads ?? threads, overwritten);
  }

  elementwise(e: ir.Exp, out: View, inputs: readonly View[]): void {
    let shape: readonly number[] = out.shape;
    let strides: (readonly number[])[] = [out.strides, ...inputs.map((v) => v.strides)];
    if (!ir.usesCoords(e)) [shape, strides] = collapse(shape, strides);
    const n = shape.reduce((a, b) => a * b, 1);
    if (n === 0) return;
    const reshaped = (v: View, i: number): View => ({ ...v, shape, strides: strides[i] as number[] });
    const o = reshaped(out, 0);
    const ins = inputs.map((v, i) => reshaped(v, i + 1));
    const slots = slotsFor([o, ...ins], [true, ...ins.map(() => false)]);
    this.run(elementwiseKernel(e, shape, o, ins, slots), slots, n, overwrittenBuffers([out], inputs));
  }

  reduce(k: ReduceKernel, out: View, input: View, nReduced: number): void {
    const n = out.shape.reduce((a, b) => a * b, 1);
    if (n === 0) return;
    if (canReduceInParallel(out, input, nReduced)) {
      reduceParallel(this.rt, k, out, input, nReduced);
      return;
    }
    const slots = slotsFor([out, input], [true, false]);
    this.run(reduceKernel(k, out, input, nReduced, slots), slots, n, overwrittenBuffers([out], [input]));
  }

  scan(op: "sum" | "prod", out: View, input: View): void {
    if (input.shape.some((d) => d === 0)) return;
    const slots = slotsFor([out, input], [true, false]);
    const rows = input.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    this.run(scanKernel(op, out, input, slots), slots, rows);
  }

  matmul(out: View, a: View, b: View): void {
    const n = out.shape.reduce((x, y) => x * y, 1);
    if (n === 0) return;
    const slots = slotsFor([out, a, b], [true, false, false]);
    const [B, M] = a.shape as [number, number];
    if (tiledMatmulSupports(out.dtype, B, M, b.shape[2] as number))
      this.run(tiledMatmulKernel(out, a, b, slots, { shared: !this.rt.cpuAdapter }), slots, n, overwrittenBuffers([out], [a, b]));
    else this.run(matmulKernel(out, a, b, slots), slots, n, overwrittenBuffers([out], [a, b]));
  }

  sort(values: View, indices: View, input: View, descending: boolean): void {
    const n = input.shape.reduce((x, y) => x * y, 1);
    if (n === 0) return;
    if (canSortBitonic(values, indices, input)) {
      sortBitonic(this.rt, values, indices, input, descending);
      return;
    }
    const slots = slotsFor([values, indices, input], [true, true, false]);
    this.run(sortKernel(values, indices, input, descending, slots), slots, n);
  }

  scatter(target: View, offsets: View, src: View, mode: "set" | "add"): void {
    const n = offsets.shape.reduce((x, y) => x * y, 1);
    if (n === 0) return;
    if (canScatterInParallel(target, offsets, src) && this.rt.parallelScatter) {
      scatterParallel(this.rt, target, offsets, src, mode);
      return;
    }
    const slots = slotsFor([target, offsets, src], [true, false, false]);
    this.run(scatterKernel(target, offsets, src, mode, slots), slots, 1);
  }

  supportsDtype(dtype: DType): boolean {
    return dtype !== "float64"; // WGSL has no f64
  }

  isDeterministic(_primitive: "reduce" | "scan" | "matmul" | "sort" | "scatter"): boolean {
    return true; // no kernel uses atomics: every primitive has one fixed order
  }
}
