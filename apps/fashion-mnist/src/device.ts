// Which backend runs the trainer. "cpu" (the default) is @lockstep/backend-cpu: the reference with
// matmul on OpenBLAS (or Accelerate) when one is installed; "reference" is the exact backend, whose
// sums are sequential (slow, bitwise portable). Any other registered device is used as is.

import { initCpu } from "@lockstep/backend-cpu";
import * as torch from "@lockstep/core";

/** Prepare `device` (before any tensor is made on it) and say in one line what will run. */
export function setupDevice(device: string, threads?: number): string {
  if (threads !== undefined) torch.setNumThreads(threads);
  if (device === "reference") return "reference (exact sequential sums, single-threaded)";
  if (device !== "cpu") return device;
  const info = initCpu();
  if (!info.blas) return `cpu: ${info.backend}: ${info.fallbackReason}`;
  const what = info.blas.config ?? info.blas.vendor;
  return `cpu: ${info.backend}, ${what}${info.blas.path ? ` (${info.blas.path})` : ""}, ${info.threads ?? "library-managed"} thread(s)`;
}
