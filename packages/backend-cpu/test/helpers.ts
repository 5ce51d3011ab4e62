// Shared by the tests: the exact reference as the oracle and the GEMM error bound.

import type { Tensor } from "@lockstep/core";
import * as torch from "@lockstep/core";

/** Unit roundoff of a float dtype. */
export const unitRoundoff = (dtype: string): number => (dtype === "float64" ? 2 ** -53 : 2 ** -24);

/** A tensor's logical values (row-major) as float64. */
export function values(t: Tensor): Float64Array {
  const d = t.contiguous().to("reference").dataSync();
  return Float64Array.from(d as ArrayLike<number>);
}

/** Small seeded PRNG for shapes (mulberry32). */
export function rng(seed: number): (lo: number, hi: number) => number {
  let s = seed >>> 0;
  return (lo, hi) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return lo + Math.floor(u * (hi - lo + 1));
  };
}

/**
 * Largest violation of |got − want| ≤ factor·u·bound + tiny, element by element (≤ 0 means within).
 * Returns the worst excess ratio: max |Δ| / allowed (so ≤ 1 passes).
 */
export function worstRatio(got: Float64Array, want: Float64Array, bound: Float64Array, allowedPerUnitBound: number): number {
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const diff = Math.abs((got[i] as number) - (want[i] as number));
    if (Number.isNaN(diff)) return Number.POSITIVE_INFINITY;
    const allowed = allowedPerUnitBound * (bound[i] as number) + 1e-300;
    worst = Math.max(worst, diff / allowed);
  }
  return worst;
}

/** Σ_k |a_ik|·|b_kj| in float64 on the reference (the scale of a GEMM's rounding error). */
export function absProduct(a: Tensor, b: Tensor): Float64Array {
  return values(torch.matmul(a.abs().double().to("reference"), b.abs().double().to("reference")));
}
