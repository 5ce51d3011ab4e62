// The fast CPU backend: the exact reference backend (same TypedArray buffers, same IR kernels) with
// matmul handed to a BLAS GEMM (OpenBLAS, Accelerate or a generic CBLAS) for float32/float64.
//
// Numerics: BLAS sums each dot product in its own blocked, FMA-using order, so float results are
// not the reference's sequential-k sums: they differ by rounding, bounded by the usual GEMM bound
// |Δ| ≤ γ_K·Σ_k|a_ik·b_kj| with γ_K ≈ K·eps (tests check a relative bound of 2·K·eps on it). Small
// integers (|products| and partial sums below 2^24 / 2^53) are exact in any order, so there both
// agree bit for bit.
//
// Determinism: GEMM has no atomics; at a fixed thread count the same inputs give the same bits run
// after run (tested). Across thread counts they need not: measured with OpenBLAS 0.3.21 (Cooperlake
// kernels), 1 vs 2 threads differ for K ∈ {784, 1000, 1100} and agree for K ∈ {64 … 640, 1024, 1536,
// 2048, 3136} (M×N from 64×256 to 1000×1000; 64×K×10 always agreed) — apparently the single- and
// multi-threaded drivers cut K into different blocks when it lies between one and two K-blocks.
// Results may also differ between CPU models: OpenBLAS (DYNAMIC_ARCH) picks kernels per CPU. For
// bits that are the same everywhere, use the "reference" device.
import {
  DeviceUnavailableError,
  type DType,
  getNumThreads,
  ir,
  onNumThreadsChange,
  type ReduceKernel,
  ReferenceBackend,
  type TypedArray,
  type View,
} from "@lockstep/core";
import {
  type BlasLibrary,
  CblasNoTrans,
  CblasRowMajor,
  CblasTrans,
  defaultThreads,
  ENV_VAR,
  findBlas,
  installHint,
} from "./blas.js";
import { collapse, numelOf, runPiece, shiftCoord, split } from "./parallel.js";
import {
  existingPool,
  getPool,
  type Job,
  MAX_PIECES,
  type OperandSpec,
  type Pool,
  registerHeapBuffer,
  type Slot,
  sharedBuffer,
  sharedId,
  track,
  unregisterShared,
} from "./pool.js";
import { defaultHeap, dtypeBytes, type WasmHeap, wasmElementwise, wasmReduce } from "./wasm/index.js";

/** Storage dtypes kept on the wasm heap: those the wasm kernels compute on. */
const HEAP_DTYPES: ReadonlySet<DType> = new Set<DType>(["float32", "int32", "bool", "uint8"]);

// Multi-threading (pool.ts, parallel.ts): storages of at least SHARED_MIN elements live on
// SharedArrayBuffers; elementwise, reduce and scan kernels at least as large as the thresholds below
// are split over the output between the main thread and threads − 1 workers, each running the
// reference kernel on its piece. Results are bitwise the reference's for every thread count.
//
// Thresholds, from 1 vs 2 threads on the shared 2-core dev machine (AMD EPYC, load average 2.5–5
// from other jobs, best of 5 rounds; ms per op, float32):
//   add 64K 0.218 → 0.239 (0.91×), 256K 0.831 → 0.689 (1.21×), 1M 3.39 → 2.64 (1.28×)
//   exp 64K 0.988 → 0.650 (1.52×), 256K 4.05 → 2.31 (1.75×), 1M 16.3 → 9.27 (1.76×)
//   sum 64K 0.059 → 0.078 (0.75×), 256K 0.211 → 0.189 (1.12×), 1M 0.839 → 0.560 (1.50×), 16M 13.0 → 6.9 (1.87×)
// A worker starts its first piece ~50–130 µs after the op is posted on this loaded machine (a bare
// Atomics ping-pong takes 6–20 µs), so an op must be worth a few hundred µs to gain. Streaming
// kernels scale poorly here (memset of a reused 6 MB buffer: ~1.6 ms on one thread and no faster on
// two — memory bandwidth), compute-heavy ones (exp, full sums) nearly 2×.
/** Storages this large are SharedArrayBuffer-backed (allocating one costs no more than a plain one from 256 elements up). */
export const SHARED_MIN = 1024;
/** Elementwise kernels with fewer output elements stay on the main thread (without looking at the kernel)… */
export const ELEMENTWISE_MIN = 16384;
/**
 * …and so do those with fewer than this many elements × cost (IR nodes, libm calls 10): add from
 * ~175K elements, exp from ~48K. At 256K (add from ~90K) the MLP benchmark step, whose only large
 * kernels are its first layer's optimizer updates (200K elements, right after BLAS calls), was ~10%
 * slower than without threads in 4 of 5 paired runs (noisy); add 256K alone still gained 1.2×.
 */
const ELEMENTWISE_WORK = 524288;
/** Reductions over at least this many input elements run in parallel. */
export const REDUCE_MIN = 262144;
/** Scans over at least this many elements (with at least two rows) run in parallel. */
export const SCAN_MIN = 65536;
/** Inputs in plain (non-shared) buffers of at most this many elements are copied to the workers. */
const INLINE_MAX = SHARED_MIN;
/** A full reduction is cut into aligned power-of-two blocks of at least this many elements. */
const BLOCK_MIN = 16384;
/** Pieces per thread (a late or busy thread's share is picked up by the others)… */
const PIECES_PER_THREAD = 4;
/** …each at least this many elements of work. */
const PIECE_WORK = 32768;
const NO_TAIL: readonly number[] = [];
const NO_VIEWS: readonly View[] = [];
/** The main thread's share runs the reference's kernels directly (not this backend's overrides). */
const reference = new ReferenceBackend();

interface Workers {
  readonly pool: Pool;
  readonly ready: Slot[];
}

type SharedCtor = new (b: SharedArrayBuffer) => TypedArray;

/** Unary/binary ops that call a libm-style function (roughly 10× an add per element). */
const COSTLY = new Set<string>(["exp", "expm1", "log", "log1p", "log2", "sin", "cos", "tan", "tanh", "erf", "pow", "atan2"]);

/**
 * What an elementwise expression reads (output coordinates, inputs by absolute offset) and a rough
 * cost per element: its nodes, libm calls counting 10.
 */
function expUses(e: ir.Exp): { coords: boolean; gloads: Set<number>; cost: number } {
  const seen = new Set<ir.Exp>();
  const gloads = new Set<number>();
  let coords = false;
  let cost = 0;
  const walk = (x: ir.Exp): void => {
    if (seen.has(x)) return;
    seen.add(x);
    cost++;
    switch (x.k) {
      case "coord":
        coords = true;
        return;
      case "gload":
        gloads.add(x.i);
        walk(x.off);
        return;
      case "un":
      case "cast":
      case "bitcast":
        if (x.k === "un" && COSTLY.has(x.op)) cost += 9;
        walk(x.a);
        return;
      case "bin":
        if (COSTLY.has(x.op)) cost += 9;
        walk(x.a);
        walk(x.b);
        return;
      case "fma":
      case "select":
        walk(x.a);
        walk(x.b);
        walk(x.c);
        return;
      default:
        return;
    }
  };
  walk(e);
  return { coords, gloads, cost };
}

const contiguousStrides = (shape: readonly number[]): number[] => {
  const st = new Array<number>(shape.length);
  for (let d = shape.length - 1, s = 1; d >= 0; d--) {
    st[d] = s;
    s *= shape[d] as number;
  }
  return st;
};

/**
 * Lazy zero-fill. A storage from `alloc` reads as zeros (core relies on it: scatter into a fresh
 * buffer, partial writes, reading a fresh buffer back), but most fresh buffers are first touched by a
 * kernel that overwrites every element (the output of an add). A heap block reused from the free list
 * holds old bytes, so instead of clearing it in `alloc` the storage is put here, and every backend
 * method zero-fills the pending storages it is handed (`#fill`) — except an output the kernel covers
 * whole (`covers`), which only leaves the set once the kernel has run. Blocks carved from never-used
 * heap memory are zeros already and are never pending. One set for every FastCpuBackend instance:
 * they share the heap, and initCpu may replace the backend while its tensors live on. (A pending
 * storage read by a *reference* backend's kernel — a "cpu" tensor made before initCpu() used as the
 * out of an op on a never-touched fresh tensor, e.g. torch.empty's — would see the old bytes.)
 */
const pendingZero = new Set<object>();
/**
 * Reused blocks smaller than this are cleared in `alloc` instead (memory.fill of 4 KiB: ~45 ns, about
 * what adding a storage to `pendingZero` and taking it out again costs; a 16-byte block: ~10 ns).
 */
const LAZY_MIN_BYTES = 4096;
/**
 * Elementwise kernels with fewer output elements run as JavaScript (the reference's kernel): a wasm
 * call costs ~1 µs however small (most of it finding the compiled kernel: wasm/compile.ts builds and
 * hashes a string key per call), the JavaScript kernel ~0.6 µs + ~2 ns per element for an add
 * (measured: equal near 256 elements; wasm is ahead from there on).
 */
const WASM_EW_MIN = 256;

/**
 * Whether a view reaches every element of its buffer exactly once (offset 0, as many elements as the
 * buffer, dense in some dim order — row-major, or permuted such as a transpose).
 */
function covers(v: View): boolean {
  if (v.offset !== 0) return false;
  const shape = v.shape;
  const strides = v.strides;
  let n = 1;
  let rowMajor = true;
  for (let d = shape.length - 1; d >= 0; d--) {
    const s = shape[d] as number;
    if (s !== 1 && strides[d] !== n) rowMajor = false;
    n *= s;
  }
  if (n !== (v.buf as TypedArray).length) return false;
  if (rowMajor || n === 0) return true;
  // dense in another order: the dims longer than 1, by stride, each stride the product of the sizes below it
  const dims: number[] = [];
  for (let d = 0; d < shape.length; d++) if ((shape[d] as number) > 1) dims.push(d);
  dims.sort((x, y) => (strides[x] as number) - (strides[y] as number));
  let expect = 1;
  for (const d of dims) {
    if (strides[d] !== expect) return false;
    expect *= shape[d] as number;
  }
  return true;
}

const sameLayout = (a: View, b: View): boolean =>
  a.offset === b.offset && a.strides.length === b.strides.length && a.strides.every((s, i) => s === b.strides[i]);

type Floats = Float32Array | Float64Array;

export interface FastCpuOptions {
  /** false: do not look for BLAS at all (matmul is the reference's). Default true. */
  readonly blas?: boolean;
  /** Libraries to try instead of the platform defaults ($LOCKSTEP_BLAS still comes first). */
  readonly libraries?: readonly string[];
  /** Throw DeviceUnavailableError instead of falling back when no BLAS library loads. */
  readonly requireBlas?: boolean;
  /** Where the one-time "no BLAS" notice goes (default: process.emitWarning, once per process). */
  readonly warn?: (message: string) => void;
  /**
   * true: large elementwise/reduce/scan kernels that run as JavaScript are split over worker threads
   * (torch.setNumThreads). Default false: they stay on the main thread (BLAS still follows
   * torch.setNumThreads). Off by default because the Fashion-MNIST job hung at its first steps in
   * 2 of ~12 runs started with a cold tsx cache (workers still loading; the process idle, not
   * spinning) — not yet diagnosed — and on the 2-core development machine the pool did not make the
   * training steps faster.
   */
  readonly parallel?: boolean;
  /**
   * false: keep storage in plain/shared typed arrays and run every kernel in JavaScript. Default
   * true: float32/int32/bool/uint8 storage lives on a WebAssembly heap, and the kernels the wasm
   * compiler supports (contiguous elementwise, float32 sums along the last dim) run as SIMD code,
   * bitwise equal to the JavaScript kernels.
   */
  readonly wasm?: boolean;
}

export interface CpuBackendInfo {
  /** The backend's name, as in error messages. */
  readonly backend: string;
  /** The BLAS that runs float32/float64 matmul, or null when matmul is the exact reference's. */
  readonly blas: {
    readonly vendor: BlasLibrary["vendor"];
    readonly library: string;
    readonly path: string | null;
    readonly config: string | null;
    readonly parallel: BlasLibrary["parallel"];
  } | null;
  /** The BLAS's thread count; null where the library gives no control over it (or there is none). */
  readonly threads: number | null;
  /** Why there is no BLAS (null when there is one). */
  readonly fallbackReason: string | null;
}

let warnedNoBlas = false;

/** Can a [rows, cols] view with these strides be handed to BLAS as is, and how. */
function blasLayout(rows: number, cols: number, sr: number, sc: number): { trans: boolean; ld: number } | null {
  // Row-major: unit column stride, rows at least a row apart (ld ≥ max(1, cols), as BLAS requires).
  if ((cols === 1 || sc === 1) && (rows === 1 || sr >= Math.max(1, cols)))
    return { trans: false, ld: rows === 1 ? Math.max(1, cols) : sr };
  // The transpose of a row-major [cols, rows] matrix (e.g. x.mT): BLAS reads it with Trans and ld.
  if ((rows === 1 || sr === 1) && (cols === 1 || sc >= Math.max(1, rows)))
    return { trans: true, ld: cols === 1 ? Math.max(1, rows) : sc };
  return null;
}

/** Copy a strided [rows, cols] window into `dst` (row-major). */
function pack(src: Floats, off: number, rows: number, cols: number, sr: number, sc: number, dst: Floats): void {
  for (let i = 0, p = 0; i < rows; i++) {
    let q = off + i * sr;
    for (let j = 0; j < cols; j++, q += sc) dst[p++] = src[q] as number;
  }
}

const at = (buf: Floats, off: number): Floats => (off === 0 ? buf : buf.subarray(off));

export class FastCpuBackend extends ReferenceBackend {
  override readonly name: string;
  readonly #blas: BlasLibrary | null;
  readonly #fallbackReason: string | null;
  readonly #parallel: boolean;
  readonly #heap: WasmHeap | null;
  /** The heap buffer last given to the pool's registry (a new one after each grow). */
  #registered: object | null = null;
  #unsubscribe: (() => void) | null = null;
  /** What matmul did, for tests and profiling: BLAS calls, operands packed into scratch, reference fallbacks. */
  readonly counters = { gemm: 0, packed: 0, reference: 0, wasm: 0, zeroFills: 0, zeroSkips: 0 };

  constructor(opts: FastCpuOptions = {}) {
    super();
    this.#parallel = opts.parallel === true;
    this.#heap = opts.wasm === false ? null : defaultHeap();
    let reason: string | null = null;
    let lib: BlasLibrary | null = null;
    if (opts.blas === false) reason = "BLAS disabled by the option { blas: false }";
    else {
      const found = findBlas({ libraries: opts.libraries });
      lib = found.lib;
      if (!lib)
        reason = `no BLAS library found (tried ${found.tried.map((t) => `${t.name}: ${t.error}`).join("; ")}); install one: ${installHint()}, or set $${ENV_VAR} to a CBLAS library's path`;
    }
    if (!lib && opts.requireBlas) throw new DeviceUnavailableError("initCpu", `${reason}`);
    this.#blas = lib;
    this.#fallbackReason = reason;
    this.name = lib ? `cpu (${lib.vendor})` : "cpu (reference matmul)";
    if (!lib) {
      const msg = `lockstep cpu backend: ${reason}. float matmul runs on the exact reference (correct, but one to two orders of magnitude slower).`;
      if (opts.warn) opts.warn(msg);
      else if (!warnedNoBlas) {
        warnedNoBlas = true;
        process.emitWarning(msg, { code: "LOCKSTEP_NO_BLAS" });
      }
    }
    if (lib?.setNumThreads) {
      // torch.setNumThreads applies to the BLAS pool; until it is called, use all usable cores (PyTorch's default).
      const set = lib.setNumThreads;
      set(getNumThreads(defaultThreads()));
      this.#unsubscribe = onNumThreadsChange((n) => set(n));
    }
  }

  /** Which BLAS runs matmul (and its thread count), for benchmarks and banners. */
  info(): CpuBackendInfo {
    const b = this.#blas;
    return {
      backend: this.name,
      blas: b ? { vendor: b.vendor, library: b.name, path: b.path, config: b.config, parallel: b.parallel } : null,
      threads: b?.getNumThreads ? b.getNumThreads() : null,
      fallbackReason: this.#fallbackReason,
    };
  }

  /** Stop following torch.setNumThreads (the backend keeps working). */
  dispose(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
  }

  /** The thread count parallel kernels use (torch.setNumThreads, default: all usable cores). */
  threads(): number {
    return getNumThreads(defaultThreads());
  }

  /** Resolves once the worker threads have started (ops run on the main thread until they have). */
  async threadsReady(): Promise<void> {
    const n = this.threads();
    if (n > 1 && this.#parallel) await getPool(n - 1).whenReady();
    else existingPool()?.resize(0);
  }

  /** Counts of kernels run split over threads, for tests and profiling. */
  readonly parallelCounters = { elementwise: 0, reduce: 0, reduceBlocks: 0, scan: 0 };

  override alloc(dtype: DType, numel: number): unknown {
    const heap = this.#heap;
    if (heap && HEAP_DTYPES.has(dtype)) {
      // a large reused block is not cleared here but becomes pending (see pendingZero)
      const bytes = Math.max(1, numel) * dtypeBytes(dtype);
      const arr = heap.view(dtype, heap.alloc(bytes, bytes < LAZY_MIN_BYTES), numel);
      if (heap.buffer !== this.#registered) {
        registerHeapBuffer(heap.buffer as SharedArrayBuffer);
        this.#registered = heap.buffer;
      }
      if (heap.reused && numel > 0) pendingZero.add(arr);
      return arr;
    }
    if (numel < SHARED_MIN || !this.#parallel) return super.alloc(dtype, numel);
    const C = (super.alloc(dtype, 0) as TypedArray).constructor as unknown as SharedCtor & { BYTES_PER_ELEMENT: number };
    const arr = new C(sharedBuffer(numel * C.BYTES_PER_ELEMENT));
    track(arr);
    return arr;
  }

  override free(buf: unknown): void {
    if (typeof buf !== "object" || buf === null) return;
    if (this.#onHeap(buf)) {
      if (pendingZero.size !== 0) pendingZero.delete(buf);
      (this.#heap as WasmHeap).free((buf as ArrayBufferView).byteOffset);
    } else unregisterShared(buf);
  }

  /**
   * Whether a storage is on the wasm heap (its byteOffset is then its block's address): any view of
   * the heap's memory is one of its storages (alloc hands out no other views of it, and core never
   * makes views of a storage's array), whichever FastCpuBackend instance allocated it.
   */
  #onHeap(buf: unknown): boolean {
    const heap = this.#heap;
    return heap !== null && ArrayBuffer.isView(buf) && heap.owns(buf);
  }

  /** Zero a pending storage now: it is about to be read, or written only in part. */
  #fill(buf: unknown): void {
    if (pendingZero.delete(buf as object)) {
      const b = buf as ArrayBufferView;
      (this.#heap as WasmHeap).zero(b.byteOffset, b.byteLength);
      this.counters.zeroFills++;
    }
  }

  /**
   * Before a kernel writing `out` (every element of the view) and reading `inputs`: fill the pending
   * inputs, then say whether `out` is pending and covered whole — the caller then drops its mark
   * (`#wrote`) once the kernel has run — or fill it too.
   */
  #prepare(out: View, inputs: readonly View[]): boolean {
    for (let i = 0; i < inputs.length; i++) this.#fill((inputs[i] as View).buf);
    if (!pendingZero.has(out.buf as object)) return false;
    if (covers(out)) return true;
    this.#fill(out.buf);
    return false;
  }

  /** The kernel has overwritten the whole of a pending `buf`: it no longer needs zeros. */
  #wrote(buf: unknown): void {
    pendingZero.delete(buf as object);
    this.counters.zeroSkips++;
  }

  override write(buf: unknown, dtype: DType, data: TypedArray): void {
    if (pendingZero.size !== 0 && pendingZero.has(buf as object)) {
      if (data.length === (buf as TypedArray).length) {
        super.write(buf, dtype, data);
        this.#wrote(buf);
        return;
      }
      this.#fill(buf);
    }
    super.write(buf, dtype, data);
  }

  override read(buf: unknown, dtype: DType, offset: number, numel: number): Promise<TypedArray> {
    if (pendingZero.size !== 0) this.#fill(buf);
    return super.read(buf, dtype, offset, numel);
  }

  override readSync(buf: unknown, dtype: DType, offset: number, numel: number): TypedArray {
    if (pendingZero.size !== 0) this.#fill(buf);
    return super.readSync(buf, dtype, offset, numel);
  }

  override sort(values: View, indices: View, input: View, descending: boolean): void {
    let skipV = false;
    let skipI = false;
    if (pendingZero.size !== 0) {
      this.#fill(input.buf);
      skipV = this.#prepare(values, NO_VIEWS);
      skipI = values.buf !== indices.buf && this.#prepare(indices, NO_VIEWS);
    }
    super.sort(values, indices, input, descending);
    if (skipV) this.#wrote(values.buf);
    if (skipI) this.#wrote(indices.buf);
  }

  override scatter(target: View, offsets: View, src: View, mode: "set" | "add"): void {
    if (pendingZero.size !== 0) {
      this.#fill(target.buf);
      this.#fill(offsets.buf);
      this.#fill(src.buf);
    }
    super.scatter(target, offsets, src, mode);
  }

  /** Whether every view's storage is on the wasm heap (where the wasm kernels can address it). */
  #heapViews(out: View, inputs: readonly View[]): boolean {
    if (!this.#onHeap(out.buf)) return false;
    for (let i = 0; i < inputs.length; i++) if (!this.#onHeap((inputs[i] as View).buf)) return false;
    return true;
  }

  /** The pool and its started workers, when this op should go parallel. */
  #workers(): Workers | null {
    const n = this.threads();
    if (n < 2 || !this.#parallel) return null;
    const pool = getPool(n - 1);
    const ready = pool.ready();
    return ready.length ? { pool, ready } : null;
  }

  /** An operand for the workers; null when its buffer cannot be shared. */
  #operand(v: View, strides: readonly number[], tail: readonly number[]): OperandSpec | null {
    const id = sharedId(v.buf);
    const b = v.buf as TypedArray;
    if (id !== 0)
      return b.byteOffset === 0
        ? { id, array: b.constructor.name, dtype: v.dtype, strides, tail }
        : { id, array: b.constructor.name, byteOffset: b.byteOffset, length: b.length, dtype: v.dtype, strides, tail };
    if (ArrayBuffer.isView(b) && b.length <= INLINE_MAX) return { id: 0, data: b, array: "", dtype: v.dtype, strides, tail };
    return null;
  }

  /**
   * Split (collapsed) `shape` for `views` (out first) and run the pieces on the pool; false (nothing
   * done) when it cannot be split or a buffer cannot be shared.
   */
  #run(
    w: Workers,
    kind: Job["kind"],
    extra: Pick<Job, "e" | "k" | "nReduced" | "op">,
    views: readonly View[],
    c: { shape: number[]; strides: number[][] },
    tails: readonly (readonly number[])[],
    work: number,
    coords = false,
  ): boolean {
    const parts = w.ready.length + 1;
    // A kernel reading coordinates compiles once per distinct piece start (each copy with its own
    // JIT warm-up): one piece per thread there.
    const perThread = coords ? 1 : PIECES_PER_THREAD;
    const want = Math.min(MAX_PIECES, perThread * parts, Math.max(parts, Math.floor(work / PIECE_WORK)));
    const pieces = split(
      c.shape,
      c.strides,
      views.map((v) => v.offset),
      want,
    );
    if (pieces.length < 2) return false;
    const operands: OperandSpec[] = [];
    for (let i = 0; i < views.length; i++) {
      const tail = tails[i] as readonly number[];
      const v = views[i] as View;
      const o = this.#operand(v, [...(c.strides[i] as number[]), ...v.strides.slice(v.strides.length - tail.length)], tail);
      if (!o) return false;
      operands.push(o);
    }
    const es = coords ? pieces.map((p) => shiftCoord(extra.e as ir.Exp, p.dim, p.start, ir)) : undefined;
    const job: Job = { kind, ...extra, es, operands, pieces };
    const bufs = views.map((v) => v.buf);
    w.pool.run(w.ready, job, bufs, (j) => runPiece(reference, job, bufs, j));
    return true;
  }

  override elementwise(e: ir.Exp, out: View, inputs: readonly View[]): void {
    const skip = pendingZero.size !== 0 && this.#prepare(out, inputs);
    const n = numelOf(out.shape);
    if (n >= WASM_EW_MIN && this.#heapViews(out, inputs) && wasmElementwise(e, out, inputs, this.#heap as WasmHeap))
      this.counters.wasm++;
    else if (n < ELEMENTWISE_MIN || !this.#elementwise(e, out, inputs)) super.elementwise(e, out, inputs);
    if (skip) this.#wrote(out.buf);
  }

  #elementwise(e: ir.Exp, out: View, inputs: readonly View[]): boolean {
    if (sharedId(out.buf) === 0) return false;
    const w = this.#workers();
    if (!w) return false;
    const uses = expUses(e);
    const n = numelOf(out.shape);
    if (n * uses.cost < ELEMENTWISE_WORK) return false;
    // An input in the output's buffer is safe only at the output's own positions (read, then written).
    for (let i = 0; i < inputs.length; i++) {
      const v = inputs[i] as View;
      if (v.buf === out.buf && (uses.gloads.has(i) || !sameLayout(v, out))) return false;
    }
    const views = [out, ...inputs];
    // A kernel reading output coordinates keeps its dims (no merging) and each piece gets its own
    // copy of the expression with the split dim's coordinate shifted by the piece's start.
    const c = uses.coords
      ? { shape: out.shape.slice(), strides: views.map((v) => v.strides.slice()) }
      : collapse(
          out.shape,
          views.map((v) => v.strides),
        );
    const tails = views.map(() => NO_TAIL);
    if (!this.#run(w, "ew", { e }, views, c, tails, n, uses.coords)) return false;
    this.parallelCounters.elementwise++;
    return true;
  }

  override reduce(k: ReduceKernel, out: View, input: View, nReduced: number): void {
    let skip = false;
    if (pendingZero.size !== 0) {
      this.#fill(input.buf);
      skip = this.#prepare(out, NO_VIEWS);
    }
    if (this.#heapViews(out, [input]) && wasmReduce(k, out, input, nReduced, this.#heap as WasmHeap)) this.counters.wasm++;
    else if (numelOf(input.shape) < REDUCE_MIN || !this.#reduce(k, out, input, nReduced)) super.reduce(k, out, input, nReduced);
    if (skip) this.#wrote(out.buf);
  }

  #reduce(k: ReduceKernel, out: View, input: View, nReduced: number): boolean {
    if (sharedId(input.buf) === 0 || ir.usesCoords(k.post) || input.buf === out.buf) return false;
    const w = this.#workers();
    if (!w) return false;
    const parts = w.ready.length + 1;
    const outN = numelOf(out.shape);
    if (outN >= 4 * parts) return this.#reduceRows(k, out, input, nReduced, w);
    if (this.#reduceBlocks(k, out, input, w)) return true;
    return outN >= 2 && this.#reduceRows(k, out, input, nReduced, w);
  }

  /** Split over output elements; an output in a plain buffer gets its values through a shared scratch. */
  #reduceRows(k: ReduceKernel, out: View, input: View, nReduced: number, w: Workers): boolean {
    const outRank = out.shape.length;
    const outN = numelOf(out.shape);
    const scratch = sharedId(out.buf) !== 0 ? null : (this.alloc(out.dtype, Math.max(SHARED_MIN, outN)) as TypedArray);
    const target: View = scratch
      ? { buf: scratch, dtype: out.dtype, shape: out.shape, strides: contiguousStrides(out.shape), offset: 0 }
      : out;
    try {
      const c = collapse(out.shape, [target.strides, input.strides.slice(0, outRank)]);
      const tails = [NO_TAIL, input.shape.slice(outRank)];
      if (!this.#run(w, "red", { k, nReduced }, [target, input], c, tails, numelOf(input.shape))) return false;
      // the output, from the scratch
      if (scratch) super.elementwise(ir.load(0, out.dtype), out, [target]);
    } finally {
      if (scratch) this.free(scratch);
    }
    this.parallelCounters.reduce++;
    return true;
  }

  /**
   * Few outputs, long reductions: the fixed pairwise tree over n elements equals the same tree over
   * the values of its aligned blocks of B = 2^j elements (each block's own complete tree) followed by
   * the tree of the last n mod B elements — so the block trees are computed in parallel (split over
   * blocks) into a scratch of accumulator values, and the tree over them finishes on the main thread.
   * Bitwise the reference's result for any B. Not for argmax/argmin (their combine is not the tree).
   */
  #reduceBlocks(k: ReduceKernel, out: View, input: View, w: Workers): boolean {
    if (k.op === "argmax" || k.op === "argmin") return false;
    const outRank = out.shape.length;
    const red = collapse(input.shape.slice(outRank), [input.strides.slice(outRank)]);
    if (red.shape.length !== 1) return false;
    const n = red.shape[0] as number;
    const s = (red.strides[0] as number[])[0] as number;
    const parts = w.ready.length + 1;
    let B = BLOCK_MIN;
    while (B * 2 * PIECES_PER_THREAD * parts <= n) B *= 2; // about 4–8 blocks per thread
    const q = Math.floor(n / B);
    if (q < 2) return false;
    const r = n - q * B;
    const A = k.map.dtype;
    const outN = numelOf(out.shape);
    const m = q + (r > 0 ? 1 : 0);
    const partials = this.alloc(A, Math.max(SHARED_MIN, outN * m)) as TypedArray;
    try {
      const pst = contiguousStrides([...out.shape, m]);
      const inOuter = input.strides.slice(0, outRank);
      const k1: ReduceKernel = { op: k.op, map: k.map, post: ir.acc(A) };
      const p1: View = { buf: partials, dtype: A, shape: [...out.shape, q], strides: pst, offset: 0 };
      const in1: View = {
        buf: input.buf,
        dtype: input.dtype,
        shape: [...out.shape, q, B],
        strides: [...inOuter, B * s, s],
        offset: input.offset,
      };
      if (!this.#reduceRows(k1, p1, in1, 1, w)) return false;
      if (r > 0)
        super.reduce(
          k1,
          { buf: partials, dtype: A, shape: out.shape, strides: pst.slice(0, outRank), offset: q },
          {
            buf: input.buf,
            dtype: input.dtype,
            shape: [...out.shape, r],
            strides: [...inOuter, s],
            offset: input.offset + q * B * s,
          },
          1,
        );
      const k2: ReduceKernel = { op: k.op, map: ir.load(0, A), post: k.post };
      super.reduce(k2, out, { buf: partials, dtype: A, shape: [...out.shape, m], strides: pst, offset: 0 }, 1);
    } finally {
      this.free(partials);
    }
    this.parallelCounters.reduceBlocks++;
    return true;
  }

  override scan(op: "sum" | "prod", out: View, input: View): void {
    let skip = false;
    if (pendingZero.size !== 0) {
      this.#fill(input.buf);
      skip = this.#prepare(out, NO_VIEWS);
    }
    if (numelOf(input.shape) < SCAN_MIN || !this.#scan(op, out, input)) super.scan(op, out, input);
    if (skip) this.#wrote(out.buf);
  }

  #scan(op: "sum" | "prod", out: View, input: View): boolean {
    const rank = input.shape.length;
    if (rank < 2 || sharedId(out.buf) === 0 || out.buf === input.buf) return false;
    const w = this.#workers();
    if (!w) return false;
    const c = collapse(input.shape.slice(0, -1), [out.strides.slice(0, -1), input.strides.slice(0, -1)]);
    const tail = input.shape.slice(-1);
    if (!this.#run(w, "scan", { op }, [out, input], c, [tail, tail], numelOf(input.shape))) return false;
    this.parallelCounters.scan++;
    return true;
  }

  override matmul(out: View, a: View, b: View): void {
    let skip = false;
    if (pendingZero.size !== 0) {
      this.#fill(a.buf);
      this.#fill(b.buf);
      skip = this.#prepare(out, NO_VIEWS);
    }
    this.#matmul(out, a, b);
    if (skip) this.#wrote(out.buf);
  }

  #matmul(out: View, a: View, b: View): void {
    const blas = this.#blas;
    const dt: DType = out.dtype;
    if (!blas || (dt !== "float32" && dt !== "float64") || a.dtype !== dt || b.dtype !== dt) {
      this.counters.reference++;
      super.matmul(out, a, b);
      return;
    }
    const gemm = dt === "float32" ? blas.sgemm : blas.dgemm;
    const make = (n: number): Floats => (dt === "float32" ? new Float32Array(n) : new Float64Array(n));
    const [B, M, K] = a.shape as [number, number, number];
    const N = b.shape[2] as number;
    const A = a.buf as Floats;
    const Bm = b.buf as Floats;
    const O = out.buf as Floats;
    const [sab, sam, sak] = a.strides as [number, number, number];
    const [sbb, sbk, sbn] = b.strides as [number, number, number];
    const [sob, som, son] = out.strides as [number, number, number];
    if (B * M * N === 0) return;
    if (K === 0) {
      // An empty sum is 0 (BLAS would need lda ≥ 1 tricks for this; plain zeros are clearer).
      for (let bt = 0; bt < B; bt++)
        for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) O[out.offset + bt * sob + i * som + j * son] = 0;
      return;
    }

    // b shared by the whole batch (stride 0, e.g. a Linear on [B, T, F]) and a's and out's batches
    // stacked row after row: one GEMM with B·M rows instead of B calls.
    if (B > 1 && sbb === 0 && (M === 1 || (sab === M * sam && sob === M * som))) {
      const ra = M === 1 ? sab : sam;
      const ro = M === 1 ? sob : som;
      const la = blasLayout(B * M, K, ra, sak);
      const lo = blasLayout(B * M, N, ro, son);
      const lb = blasLayout(K, N, sbk, sbn);
      if (la && !la.trans && lo && !lo.trans && lb) {
        this.counters.gemm++;
        gemm(
          CblasRowMajor,
          CblasNoTrans,
          lb.trans ? CblasTrans : CblasNoTrans,
          B * M,
          N,
          K,
          1,
          at(A, a.offset),
          la.ld,
          at(Bm, b.offset),
          lb.ld,
          0,
          at(O, out.offset),
          lo.ld,
        );
        return;
      }
    }

    // Per batch element; views BLAS cannot read directly are packed into scratch first.
    const la = blasLayout(M, K, sam, sak);
    const lb = blasLayout(K, N, sbk, sbn);
    const lo = blasLayout(M, N, som, son);
    const scratchA = la ? null : make(M * K);
    const scratchB = lb ? null : make(K * N);
    const scratchO = lo && !lo.trans ? null : make(M * N);
    this.counters.gemm += B;
    this.counters.packed += B * ((scratchA ? 1 : 0) + (scratchB ? 1 : 0) + (scratchO ? 1 : 0));
    for (let bt = 0; bt < B; bt++) {
      let pa: Floats;
      let pb: Floats;
      if (scratchA) pack(A, a.offset + bt * sab, M, K, sam, sak, (pa = scratchA));
      else pa = at(A, a.offset + bt * sab);
      if (scratchB) pack(Bm, b.offset + bt * sbb, K, N, sbk, sbn, (pb = scratchB));
      else pb = at(Bm, b.offset + bt * sbb);
      const ta = la?.trans ? CblasTrans : CblasNoTrans;
      const tb = lb?.trans ? CblasTrans : CblasNoTrans;
      const lda = la ? la.ld : K;
      const ldb = lb ? lb.ld : N;
      if (scratchO) {
        gemm(CblasRowMajor, ta, tb, M, N, K, 1, pa, lda, pb, ldb, 0, scratchO, N);
        const ob = out.offset + bt * sob;
        for (let i = 0, p = 0; i < M; i++) for (let j = 0; j < N; j++) O[ob + i * som + j * son] = scratchO[p++] as number;
      } else
        gemm(CblasRowMajor, ta, tb, M, N, K, 1, pa, lda, pb, ldb, 0, at(O, out.offset + bt * sob), (lo as { ld: number }).ld);
    }
  }

  override isDeterministic(primitive: "reduce" | "scan" | "matmul" | "sort" | "scatter"): boolean {
    // GEMM has no atomics: at a fixed thread count the same inputs give the same bits (the
    // determinism of torch.useDeterministicAlgorithms; across thread counts, see the header).
    return primitive === "matmul" ? true : super.isDeterministic(primitive);
  }
}
