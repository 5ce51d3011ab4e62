// The heap WebAssembly kernels run on: one shared WebAssembly.Memory (its buffer is a
// SharedArrayBuffer, so worker threads can map the same memory later) and a size-class allocator
// of 16-byte aligned blocks.
//
// Ownership: whoever calls `alloc` must call `free` exactly once when the block's last view is
// dropped (the backend's `free(buf)`); there is no FinalizationRegistry. Freed blocks go to a
// free list of their size class and are reused without being cleared (`alloc(bytes, true)` zeroes;
// `reused` says whether the last block came from a free list — a block carved from never-used
// memory is all zeros, as freshly grown WebAssembly memory is).
// Memory grows on demand and never shrinks; views made before a grow stay valid (shared memory
// never detaches), but views must be made from `memory.buffer` after a grow to reach new pages.
// Kernels may read up to 15 bytes past the end of an input (their vector tail), so the top
// `SLACK` bytes of the memory are never handed out.
import type { DType } from "@lockstep/core";
import { Wasm, type WasmMemory } from "./api.js";

const PAGE = 65536;
const SLACK = 16;
/** Size classes: 16-byte multiples up to 256 bytes, then 8 steps per power of two (≤ 12.5% waste). */
const STEPS = 8;

function classOf(bytes: number): number {
  if (bytes <= 256) return Math.max(1, Math.ceil(bytes / 16)) - 1; // 0..15
  const e = Math.ceil(Math.log2(bytes)) - 1; // 2^e < bytes ≤ 2^(e+1)
  const step = 2 ** e / STEPS;
  const k = Math.ceil((bytes - 2 ** e) / step); // 1..STEPS
  return 16 + (e - 8) * STEPS + (k - 1);
}

function classSize(c: number): number {
  if (c < 16) return (c + 1) * 16;
  const e = 8 + Math.floor((c - 16) / STEPS);
  const k = ((c - 16) % STEPS) + 1;
  return 2 ** e + k * (2 ** e / STEPS);
}

/**
 * (module (import "m" "m" (memory 0 65536 shared))
 *   (func (export "fill") (param i32 i32) local.get 0 i32.const 0 local.get 1 memory.fill))
 * — zeroing through memory.fill: 4 MiB in ~0.04 ms, where a typed array's fill on shared memory
 * takes ~0.3 ms (Float32Array) to ~1.1 ms (Uint8Array) on the dev machine (V8 stores element by element).
 */
// biome-ignore format: the module's bytes, section by section
const FILL_WASM = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0,
  1, 6, 1, 96, 2, 127, 127, 0, // type: (i32, i32) -> ()
  2, 11, 1, 1, 109, 1, 109, 2, 3, 0, 128, 128, 4, // import m.m: memory 0..65536 pages, shared
  3, 2, 1, 0, // one function of type 0
  7, 8, 1, 4, 102, 105, 108, 108, 0, 0, // export "fill"
  10, 13, 1, 11, 0, 32, 0, 65, 0, 32, 1, 252, 11, 0, 11, // memory.fill(p0, 0, p1)
]);
let fillModule: object | undefined;

export type HeapArray = Float32Array | Float64Array | Int32Array | Uint8Array | Uint16Array | BigInt64Array;

const BYTES: Partial<Record<DType, number>> = {
  float32: 4,
  float64: 8,
  int32: 4,
  int64: 8,
  uint8: 1,
  bool: 1,
  float16: 2,
  bfloat16: 2,
};

export const dtypeBytes = (dtype: DType): number => {
  const b = BYTES[dtype];
  if (b === undefined) throw new Error(`wasm heap: no storage for ${dtype}`);
  return b;
};

export interface HeapOptions {
  /** Initial size in 64 KiB pages (default 256 = 16 MiB). */
  initialPages?: number;
  /** Maximum size in pages (default 65536 = 4 GiB). Kernels are compiled against this value. */
  maxPages?: number;
}

export class WasmHeap {
  readonly memory: WasmMemory;
  readonly maxPages: number;
  /** Next never-used byte; blocks come from [16, top). */
  private top = 16;
  private readonly freeLists: number[][] = [];
  /** Live block offset → size class. */
  private readonly live = new Map<number, number>();
  private usedBytes = 0;
  /**
   * Whether the last `alloc` reused a freed block (its bytes are whatever was written there before,
   * unless `zero` was passed) rather than never-used memory, which is all zeros.
   */
  reused = false;

  /** `memory.buffer` as of the last grow (the getter costs more than a field; only `ensure` grows the memory). */
  buffer: ArrayBuffer | SharedArrayBuffer;
  /** Every buffer `memory.buffer` has been (one per grow): views made before a grow keep theirs. */
  private readonly buffers = new WeakSet<object>();
  /** Zero `bytes` bytes at byte `offset` (memory.fill). */
  readonly zero: (offset: number, bytes: number) => void;

  constructor(opts: HeapOptions = {}) {
    this.maxPages = opts.maxPages ?? 65536;
    this.memory = new Wasm.Memory({ initial: opts.initialPages ?? 256, maximum: this.maxPages, shared: true });
    this.buffer = this.memory.buffer;
    this.buffers.add(this.buffer);
    fillModule ??= new Wasm.Module(FILL_WASM);
    this.zero = new Wasm.Instance(fillModule, { m: { m: this.memory } }).exports.fill as (offset: number, bytes: number) => void;
  }

  /** A 16-byte aligned block of at least `bytes` bytes; returns its byte offset. */
  alloc(bytes: number, zero = false): number {
    const c = classOf(bytes);
    const size = classSize(c);
    const list = this.freeLists[c];
    let off = list?.pop();
    if (off === undefined) {
      off = this.top;
      this.ensure(off + size + SLACK);
      this.top = off + size;
      this.reused = false;
    } else {
      if (zero) this.zero(off, size);
      this.reused = !zero;
    }
    this.live.set(off, c);
    this.usedBytes += size;
    return off;
  }

  /** Return a block from `alloc` (exactly once). */
  free(offset: number): void {
    const c = this.live.get(offset);
    if (c === undefined) throw new Error(`wasm heap: free of ${offset}, which is not a live block`);
    this.live.delete(offset);
    this.usedBytes -= classSize(c);
    let list = this.freeLists[c];
    if (!list) {
      list = [];
      this.freeLists[c] = list;
    }
    list.push(offset);
  }

  /** A typed view of `numel` elements of `dtype` at byte `offset` (on the current buffer). */
  view(dtype: DType, offset: number, numel: number): HeapArray {
    const buf = this.buffer;
    switch (dtype) {
      case "float32":
        return new Float32Array(buf, offset, numel);
      case "float64":
        return new Float64Array(buf, offset, numel);
      case "int32":
        return new Int32Array(buf, offset, numel);
      case "int64":
        return new BigInt64Array(buf, offset, numel);
      case "uint8":
      case "bool":
        return new Uint8Array(buf, offset, numel);
      case "float16":
      case "bfloat16":
        return new Uint16Array(buf, offset, numel);
      default:
        throw new Error(`wasm heap: no storage for ${dtype}`);
    }
  }

  /**
   * Whether a typed array views this heap's memory. Blocks start at byte 16 or later, so a view at
   * byte 0 is never one (and a plain typed array's `buffer`, which V8 may have to materialise, is
   * not touched).
   */
  owns(a: ArrayBufferView): boolean {
    if (a.byteOffset === 0) return false;
    const b = a.buffer;
    return b === this.buffer || this.buffers.has(b);
  }

  /** alloc + view: a fresh array of `numel` elements and its byte offset. */
  allocArray(dtype: DType, numel: number, zero = false): { offset: number; array: HeapArray } {
    const offset = this.alloc(numel * dtypeBytes(dtype), zero);
    return { offset, array: this.view(dtype, offset, numel) };
  }

  /** Bytes in live blocks (size-class rounded) and bytes ever handed out (the high-water mark). */
  stats(): { live: number; liveBytes: number; reserved: number; memoryBytes: number } {
    return { live: this.live.size, liveBytes: this.usedBytes, reserved: this.top, memoryBytes: this.buffer.byteLength };
  }

  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    // grow by at least half the current size, so repeated growth stays amortised
    const need = Math.ceil((end - have) / PAGE);
    const pages = Math.min(Math.max(need, Math.ceil(have / PAGE / 2)), this.maxPages - have / PAGE);
    if (pages < need) throw new RangeError(`wasm heap: out of memory (${end} bytes > ${this.maxPages} pages)`);
    this.memory.grow(pages);
    this.buffer = this.memory.buffer;
    this.buffers.add(this.buffer);
  }
}

let shared: WasmHeap | undefined;
/** The process-wide heap (created on first use). */
export function defaultHeap(): WasmHeap {
  shared ??= new WasmHeap();
  return shared;
}
