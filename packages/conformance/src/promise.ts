// What a backend promises for an op, relative to the reference (DESIGN §4: portable numerics).
// The default is bitwise equality; a looser promise must carry its reason.

export interface OpPromise {
  /** Forward bound in ULP; 0 = bitwise equal (NaN payloads aside, −0 ≠ +0). */
  ulp: number;
  /** Gradient bound in ULP (default: ulp). */
  gradUlp?: number;
  /**
   * For ops that are sums of products (matmul, conv, linear): also accept an element when
   * |got − ref| ≤ reorderedSum · eps(dtype) · m, where m is that element of the same op evaluated on
   * the reference with |inputs| (and |upstream gradient|) — the classical error bound of a sum taken
   * in another order, which a ULP bound cannot express under cancellation.
   */
  reorderedSum?: number;
  /**
   * For compositions where no error bound follows from the inputs (a network whose matmuls are
   * reordered, then passed through nonlinearities): accept |got − ref| ≤ atol + rtol·|ref|, as
   * torch.testing.assert_close does. The loosest promise; it needs the strongest reason.
   */
  atol?: number;
  rtol?: number;
  /** Why the backend cannot be bitwise here (required when anything is looser than bitwise). */
  reason?: string;
}

/**
 * Per-backend promises of one op: backend name → promise; "*" applies to every backend not named;
 * "<backend>:native" applies outside portable numerics.
 */
export type Promises = Record<string, OpPromise>;

export const BITWISE: OpPromise = { ulp: 0 };

/**
 * The promise of `backend`. Outside portable numerics (torch.usePortableNumerics(false), where a
 * backend may use its platform's transcendental functions) an entry "<backend>:native" comes first.
 */
export function promiseFor(promises: Promises | undefined, backend: string, portable = true): OpPromise {
  return (!portable ? promises?.[`${backend}:native`] : undefined) ?? promises?.[backend] ?? promises?.["*"] ?? BITWISE;
}

export function describePromise(p: OpPromise): string {
  const g = p.gradUlp ?? p.ulp;
  if (p.ulp === 0 && g === 0 && !p.reorderedSum && p.atol === undefined && p.rtol === undefined) return "bitwise";
  const fwd = p.ulp === 0 ? "forward bitwise" : `forward ≤ ${p.ulp} ulp`;
  const sum =
    (p.reorderedSum ? ` or |Δ| ≤ ${p.reorderedSum}·eps·(op on |inputs|)` : "") +
    (p.atol !== undefined || p.rtol !== undefined ? ` or |Δ| ≤ ${p.atol ?? 0} + ${p.rtol ?? 0}·|ref|` : "");
  return `${fwd}, gradient ${g === 0 ? "bitwise" : `≤ ${g} ulp`}${sum}: ${p.reason ?? "(no reason given)"}`;
}

/**
 * Ops that are sums of products, on backends that hand them to a tuned GEMM: the reference adds the
 * K products sequentially without FMA (backend.ts); OpenBLAS's sgemm blocks K and uses FMA, so the
 * result is another rounding of the same sum. Each is within K·eps·Σ|a·b| of the exact value; K ≤ 32
 * in the generated and golden cases, hence 64 for the difference of two such results.
 */
export const GEMM_ORDER: Promises = {
  "cpu-fast": {
    ulp: 0,
    reorderedSum: 64,
    reason: "OpenBLAS sgemm/dgemm: blocked, FMA-contracted summation order (the reference: sequential over K, no FMA)",
  },
};

/** A network built on GEMM_ORDER ops: reordered sums passed through nonlinearities. */
export const GEMM_COMPOSED: Promises = {
  "cpu-fast": {
    ulp: 0,
    atol: 1e-5,
    rtol: 1e-5,
    reason:
      "its linear layers are OpenBLAS sums in another order (GEMM_ORDER); softmax and the backward amplify those roundings, so only assert_close-style closeness holds",
  },
};
