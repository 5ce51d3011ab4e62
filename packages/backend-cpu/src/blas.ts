// Finding a CBLAS library at run time and binding the few functions the backend calls, through
// koffi (no build step; TypedArrays are passed to C as pointers to their memory, without a copy).
//
// Search order (first that loads and has cblas_sgemm and cblas_dgemm wins):
// - $LOCKSTEP_BLAS: a library path or name; "none" (or "0", "off") disables BLAS;
// - OpenBLAS: libopenblas.so.0 (Debian's libopenblas0-pthread / -openmp), libopenblas.so,
//   Homebrew's libopenblas.dylib; thread count control comes only with these (openblas_set_num_threads
//   is exported by libopenblas.so.0, not by the generic libblas.so.3 alternative that points at it);
// - macOS: Accelerate (its cblas_* take the same enum values);
// - generic CBLAS: libcblas.so.3, libblas.so.3 (Debian's libblas3 reference BLAS includes CBLAS: correct
//   but slow; no thread control).
import { realpathSync } from "node:fs";
import os from "node:os";
import koffi, { type LibraryHandle } from "koffi";

/** The CBLAS enums (cblas.h): row-major order, no transpose, transpose. */
export const CblasRowMajor = 101;
export const CblasNoTrans = 111;
export const CblasTrans = 112;

type Gemm = (
  order: number,
  transA: number,
  transB: number,
  M: number,
  N: number,
  K: number,
  alpha: number,
  A: Float32Array | Float64Array,
  lda: number,
  B: Float32Array | Float64Array,
  ldb: number,
  beta: number,
  C: Float32Array | Float64Array,
  ldc: number,
) => void;

export type BlasVendor = "openblas" | "accelerate" | "cblas";

export interface BlasLibrary {
  /** The name or path it was loaded by. */
  readonly name: string;
  /** The file the symbols come from (dladdr), or null where that cannot be asked. */
  readonly path: string | null;
  readonly vendor: BlasVendor;
  /** OpenBLAS: openblas_get_config(), e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64". */
  readonly config: string | null;
  /** OpenBLAS: its threading model. */
  readonly parallel: "sequential" | "pthreads" | "openmp" | null;
  readonly sgemm: Gemm;
  readonly dgemm: Gemm;
  /** Present only where the library lets the thread count be set (OpenBLAS). */
  readonly setNumThreads: ((n: number) => void) | null;
  readonly getNumThreads: (() => number) | null;
}

export interface BlasSearch {
  /** Libraries to try, in order, instead of the default list (names for the dynamic loader, or paths). */
  readonly libraries?: readonly string[];
}

export const ENV_VAR = "LOCKSTEP_BLAS";

/** The default candidates for this platform, after $LOCKSTEP_BLAS. */
export function defaultLibraries(platform: NodeJS.Platform = process.platform): string[] {
  if (platform === "darwin")
    return [
      "/System/Library/Frameworks/Accelerate.framework/Accelerate",
      "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
      "/usr/local/opt/openblas/lib/libopenblas.dylib",
      "libopenblas.dylib",
    ];
  if (platform === "win32") return ["libopenblas.dll", "openblas.dll"];
  return ["libopenblas.so.0", "libopenblas.so", "libcblas.so.3", "libblas.so.3"];
}

/** What to install, per platform, for the message shown when no library is found. */
export function installHint(platform: NodeJS.Platform = process.platform): string {
  if (platform === "darwin") return "Accelerate ships with macOS; or `brew install openblas`";
  if (platform === "win32") return "put OpenBLAS's libopenblas.dll on PATH";
  return "on Debian/Ubuntu: `apt-get install libopenblas0-pthread` (or libopenblas0-openmp)";
}

const GEMM_ARGS =
  "(int order, int transA, int transB, int M, int N, int K, {T} alpha, const {T} *A, int lda, const {T} *B, int ldb, {T} beta, {T} *C, int ldc)";

let dladdr: ((addr: unknown, info: Record<string, unknown>) => number) | null | undefined;

/** The file a loaded symbol lives in (dladdr, symlinks resolved); null where that cannot be asked. */
function symbolPath(lib: LibraryHandle, symbol: string): string | null {
  if (process.platform === "win32") return null;
  try {
    if (dladdr === undefined) {
      const libc = koffi.load(process.platform === "darwin" ? "libSystem.B.dylib" : "libc.so.6");
      koffi.struct("lockstep_Dl_info", {
        dli_fname: "const char *",
        dli_fbase: "void *",
        dli_sname: "const char *",
        dli_saddr: "void *",
      });
      dladdr = libc.func("int dladdr(void *addr, _Out_ lockstep_Dl_info *info)") as unknown as typeof dladdr;
    }
    const info: Record<string, unknown> = {};
    if (!dladdr || dladdr(lib.symbol(symbol), info) === 0 || typeof info.dli_fname !== "string") return null;
    try {
      return realpathSync(info.dli_fname);
    } catch {
      return info.dli_fname;
    }
  } catch {
    dladdr = null;
    return null;
  }
}

/** Try one candidate; null (and why) when it does not load or lacks the CBLAS GEMMs. */
export function tryLoad(name: string): { lib: BlasLibrary | null; error?: string } {
  let handle: LibraryHandle;
  try {
    handle = koffi.load(name);
  } catch (e) {
    return { lib: null, error: (e as Error).message.split("\n")[0] };
  }
  let sgemm: Gemm;
  let dgemm: Gemm;
  try {
    sgemm = handle.func(`void cblas_sgemm${GEMM_ARGS.replaceAll("{T}", "float")}`) as unknown as Gemm;
    dgemm = handle.func(`void cblas_dgemm${GEMM_ARGS.replaceAll("{T}", "double")}`) as unknown as Gemm;
  } catch (e) {
    return { lib: null, error: `no CBLAS GEMM in ${name} (${(e as Error).message.split("\n")[0]})` };
  }
  const optional = <T>(decl: string): T | null => {
    try {
      return handle.func(decl) as unknown as T;
    } catch {
      return null;
    }
  };
  const setN = optional<(n: number) => void>("void openblas_set_num_threads(int n)");
  const getN = optional<() => number>("int openblas_get_num_threads()");
  const getConfig = optional<() => string>("const char *openblas_get_config()");
  const getParallel = optional<() => number>("int openblas_get_parallel()");
  const isOpenBlas = getConfig !== null;
  const vendor: BlasVendor = isOpenBlas ? "openblas" : name.includes("Accelerate") ? "accelerate" : "cblas";
  const par = getParallel?.();
  return {
    lib: {
      name,
      path: symbolPath(handle, "cblas_sgemm"),
      vendor,
      config: getConfig?.() ?? null,
      parallel: par === undefined ? null : par === 0 ? "sequential" : par === 2 ? "openmp" : "pthreads",
      sgemm,
      dgemm,
      setNumThreads: setN,
      getNumThreads: getN,
    },
  };
}

export interface BlasSearchResult {
  readonly lib: BlasLibrary | null;
  /** Each candidate tried and why it was not taken (empty when the first one loaded). */
  readonly tried: readonly { name: string; error: string }[];
}

/** The first usable library: $LOCKSTEP_BLAS, then `search.libraries` or the platform's defaults. */
export function findBlas(search: BlasSearch = {}): BlasSearchResult {
  const env = process.env[ENV_VAR]?.trim();
  if (env && ["none", "0", "off", "false"].includes(env.toLowerCase()))
    return { lib: null, tried: [{ name: `$${ENV_VAR}=${env}`, error: "BLAS disabled by the environment" }] };
  const candidates = [...(env ? [env] : []), ...(search.libraries ?? defaultLibraries())];
  const tried: { name: string; error: string }[] = [];
  for (const name of candidates) {
    const r = tryLoad(name);
    if (r.lib) return { lib: r.lib, tried };
    tried.push({ name, error: r.error ?? "unusable" });
  }
  return { lib: null, tried };
}

/** The default thread count when torch.setNumThreads was never called: the usable cores, as PyTorch. */
export const defaultThreads = (): number =>
  (typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length) || 1;
