// The report's backends, started through the conformance suite's registry (one start per process,
// a timeout, and a skip with the reason when one cannot start).
import { type BackendStatus, startBackend } from "@lockstep/conformance";
import type { DType } from "@lockstep/core";
import * as torch from "@lockstep/core";
import type { BackendEntry } from "./schema.js";

/** Command-line name → the conformance registry's name. */
const CONFORMANCE_NAME: Record<string, string> = { reference: "reference", webgpu: "webgpu", cpu: "cpu-fast" };
export const BACKENDS = Object.keys(CONFORMANCE_NAME);

export type Started = Extract<BackendStatus, { ok: true }>;

export class UnknownBackendError extends RangeError {
  override name = "UnknownBackendError";
  constructor(name: string) {
    super(`unknown backend '${name}' (known: ${BACKENDS.join(", ")})`);
  }
}

const ALL_DTYPES: DType[] = ["float32", "float64", "float16", "bfloat16", "int32", "int64", "uint8", "bool"];

/**
 * Dtypes the device refuses with DTypeError. Probed, because a backend's init need not declare them
 * (initWebGPU does not name float64), and the suite would otherwise run float64 cases into a crash.
 */
function refusedDtypes(device: string): DType[] {
  return ALL_DTYPES.filter((dtype) => {
    try {
      torch.zeros([1], { dtype, device }).dispose();
      return false;
    } catch (e) {
      if (e instanceof torch.DTypeError) return true;
      throw e;
    }
  });
}

export interface StartResult {
  entry: BackendEntry;
  /** The conformance suite's view of it (null when skipped). */
  status: Started | null;
}

export async function startReportBackend(name: string): Promise<StartResult> {
  const conf = CONFORMANCE_NAME[name];
  if (!conf) throw new UnknownBackendError(name);
  const s = await startBackend(conf);
  if (!s.ok) return { entry: { name, status: "skipped", reason: s.reason }, status: null };
  const unsupported = [...new Set([...s.unsupportedDtypes, ...refusedDtypes(s.device)])];
  return {
    entry: { name, device: s.device, status: "ok", description: s.description },
    status: { ...s, unsupportedDtypes: unsupported },
  };
}
