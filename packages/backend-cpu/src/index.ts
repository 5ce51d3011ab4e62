// @lockstep/backend-cpu: the fast CPU backend. Importing it changes nothing; `initCpu()` makes the
// device "cpu" use it (core registers "cpu" and "reference" to the exact reference at start;
// "reference" keeps the exact backend). Explicit rather than an import side effect, like the GPU
// backends' one-line initialisation, so that a program (or a test) decides when "cpu" changes.
//
//   import * as torch from "@lockstep/core";
//   import { initCpu } from "@lockstep/backend-cpu";
//   const info = initCpu();        // { backend: "cpu (openblas)", blas: { path, ... }, threads: 2, ... }
//   torch.randn([512, 512]).matmul(torch.randn([512, 512]));   // OpenBLAS sgemm
//
// Tensors created on "cpu" before initCpu() keep the reference backend for their own storage; both
// backends use the same TypedArray buffers, so they mix freely.
import { registerDevice } from "@lockstep/core";
import { type CpuBackendInfo, FastCpuBackend, type FastCpuOptions } from "./backend.js";

export {
  type CpuBackendInfo,
  ELEMENTWISE_MIN,
  FastCpuBackend,
  type FastCpuOptions,
  REDUCE_MIN,
  SCAN_MIN,
  SHARED_MIN,
} from "./backend.js";
export { type BlasLibrary, type BlasSearchResult, defaultLibraries, findBlas, installHint } from "./blas.js";

let current: FastCpuBackend | null = null;

/**
 * Register the fast backend as device "cpu" (and return what it found). Calling it again with no
 * options returns the backend already registered; with options it replaces it.
 */
export function initCpu(opts?: FastCpuOptions): CpuBackendInfo {
  if (current && opts === undefined) return current.info();
  const next = new FastCpuBackend(opts);
  current?.dispose();
  current = next;
  registerDevice("cpu", next);
  return next.info();
}

/** The fast backend registered as "cpu" by initCpu(), or null before. */
export const cpuBackend = (): FastCpuBackend | null => current;

/** The registered fast backend's BLAS library, path and thread count; null before initCpu(). */
export function cpuBackendInfo(): CpuBackendInfo | null {
  return current?.info() ?? null;
}
