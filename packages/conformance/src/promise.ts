// What a backend promises for an op, relative to the reference (DESIGN §4: portable numerics).
// The default is bitwise equality; a looser promise must carry its reason.

export interface OpPromise {
  /** Forward bound in ULP; 0 = bitwise equal (NaN payloads aside, −0 ≠ +0). */
  ulp: number;
  /** Gradient bound in ULP (default: ulp). */
  gradUlp?: number;
  /** Why the backend cannot be bitwise here (required when ulp or gradUlp > 0). */
  reason?: string;
}

/** Per-backend promises of one op: backend name → promise; "*" applies to every backend not named. */
export type Promises = Record<string, OpPromise>;

export const BITWISE: OpPromise = { ulp: 0 };

export function promiseFor(promises: Promises | undefined, backend: string): OpPromise {
  return promises?.[backend] ?? promises?.["*"] ?? BITWISE;
}

export function describePromise(p: OpPromise): string {
  const g = p.gradUlp ?? p.ulp;
  if (p.ulp === 0 && g === 0) return "bitwise";
  const fwd = p.ulp === 0 ? "forward bitwise" : `forward ≤ ${p.ulp} ulp`;
  return `${fwd}, gradient ${g === 0 ? "bitwise" : `≤ ${g} ulp`}: ${p.reason ?? "(no reason given)"}`;
}
