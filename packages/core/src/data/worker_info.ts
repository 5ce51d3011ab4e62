// torch.utils.data.get_worker_info: which DataLoader worker thread this code runs in (null outside one).

/** What a DataLoader worker thread knows about itself (PyTorch's `WorkerInfo`). */
export interface WorkerInfo {
  /** This worker's id, 0 ≤ id < numWorkers. Batch k of an epoch goes to worker k % numWorkers. */
  readonly id: number;
  readonly numWorkers: number;
  /** `baseSeed + id`, the full 64-bit value this worker's global generator was seeded with. */
  readonly seed: bigint;
  /** This worker's own copy of the dataset (rebuilt in the worker; see DataLoader's `numWorkers`). */
  readonly dataset: unknown;
}

let current: WorkerInfo | null = null;

/**
 * `torch.utils.data.get_worker_info()`: in a DataLoader worker thread, its id, the number of
 * workers, its seed and its dataset copy; `null` in the main thread (and with `numWorkers: 0`).
 */
export function getWorkerInfo(): WorkerInfo | null {
  return current;
}

/** @internal set once by the worker entry. */
export function _setWorkerInfo(info: WorkerInfo): void {
  current = Object.freeze({ ...info });
}
