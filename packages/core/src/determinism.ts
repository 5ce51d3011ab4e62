// torch.useDeterministicAlgorithms: every backend primitive declares whether it is deterministic;
// ops reach primitives through `kernelFor`, which refuses (or warns about) nondeterministic ones.
import type { Backend } from "./backend.js";
import { NondeterministicError } from "./errors.js";
import { noteOp } from "./profiler.js";
import type { Tensor } from "./tensor.js";

type Primitive = Parameters<Backend["isDeterministic"]>[0];

let enabled = false;
let warnOnly = false;
const warned = new Set<string>();

export function useDeterministicAlgorithms(mode: boolean, opts: { warnOnly?: boolean } = {}): void {
  enabled = mode;
  warnOnly = opts.warnOnly ?? false;
}
export const areDeterministicAlgorithmsEnabled = (): boolean => enabled;
export const isDeterministicAlgorithmsWarnOnlyEnabled = (): boolean => warnOnly;

/** The backend of `t`, after checking that `primitive` may run under the determinism setting. */
export function kernelFor(op: string, t: Tensor, primitive: Primitive): Backend {
  const b = t._storage.backend;
  noteOp(op); // names the primitive call that follows for torch.profiler
  if (!enabled || b.isDeterministic(primitive)) return b;
  const msg = `${op} on device '${t.device}' (backend '${b.name}') uses the ${primitive} kernel, which does not have a deterministic implementation, but you set torch.useDeterministicAlgorithms(true). Turn determinism off for this operation, run it on a deterministic device (e.g. "cpu"), or pass { warnOnly: true } if that is acceptable.`;
  if (!warnOnly) throw new NondeterministicError(op, msg);
  const key = `${op}|${b.name}`;
  if (!warned.has(key)) {
    warned.add(key);
    // Node's warning channel where there is one; browsers have no `process`
    const proc = (globalThis as { process?: { emitWarning?: (m: string, o: { code: string }) => void } }).process;
    if (proc?.emitWarning) proc.emitWarning(`${op}: ${msg}`, { code: "LOCKSTEP_NONDETERMINISTIC" });
    else console.warn(`${op}: ${msg}`);
  }
  return b;
}
