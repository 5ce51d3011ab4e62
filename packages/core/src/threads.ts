// torch.setNumThreads / torch.getNumThreads: the intra-op thread count that multi-threaded
// backends (the fast CPU backend's BLAS and worker pool) read. The reference is single-threaded and
// ignores it. Backends subscribe to be told when it changes.
import { ValueError } from "./errors.js";

let numThreads = 0; // 0 = not set yet: the backend's default (the machine's core count)
const listeners = new Set<(n: number) => void>();

export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new ValueError("setNumThreads", `expected a positive integer, got ${n}`);
  numThreads = n;
  for (const f of listeners) f(n);
}

const cores = (): number => (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;

/** The thread count set by setNumThreads, else `fallback` (by default the machine's core count, as PyTorch). */
export function getNumThreads(fallback = cores()): number {
  return numThreads || fallback;
}

/** Called with the new count whenever setNumThreads changes it; returns an unsubscribe function. */
export function onNumThreadsChange(f: (n: number) => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}
