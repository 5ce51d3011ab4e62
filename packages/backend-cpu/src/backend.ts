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
  onNumThreadsChange,
  ReferenceBackend,
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
  #unsubscribe: (() => void) | null = null;
  /** What matmul did, for tests and profiling: BLAS calls, operands packed into scratch, reference fallbacks. */
  readonly counters = { gemm: 0, packed: 0, reference: 0 };

  constructor(opts: FastCpuOptions = {}) {
    super();
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

  override matmul(out: View, a: View, b: View): void {
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
