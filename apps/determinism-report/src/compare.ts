// Weight snapshots, their hashes, and how far two snapshots are apart (ULP, |Δ|, relative).
import { createHash } from "node:crypto";

/** One parameter's values at a step (a float32 copy read back from its device). */
export interface TensorSnapshot {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** SHA-256 of the tensor's bytes, first 16 hex digits (64 bits: collisions are not a concern here). */
export function hashTensor(t: Float32Array): string {
  return createHash("sha256")
    .update(new Uint8Array(t.buffer, t.byteOffset, t.byteLength))
    .digest("hex")
    .slice(0, 16);
}

/** One hash over every parameter in order (names and shapes included, so a reordering shows too). */
export function hashAll(snap: TensorSnapshot[], tensorHashes: string[]): string {
  const h = createHash("sha256");
  snap.forEach((t, i) => h.update(`${t.name}[${t.shape.join(",")}]=${tensorHashes[i]};`));
  return h.digest("hex").slice(0, 16);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** float32 bits mapped to a line where adjacent floats are adjacent integers (−0 and +0 both 0). */
function ordered(x: number): number {
  f32[0] = x;
  const b = u32[0] as number;
  return b & 0x80000000 ? -(b & 0x7fffffff) : b;
}

/** ULP distance of two float32 values; Infinity when exactly one is NaN, 0 when both are. */
export function ulpDistance(a: number, b: number): number {
  const na = Number.isNaN(a);
  const nb = Number.isNaN(b);
  if (na || nb) return na && nb ? 0 : Number.POSITIVE_INFINITY;
  return Math.abs(ordered(a) - ordered(b));
}

export interface TensorDiff {
  maxAbsDiff: number;
  maxUlp: number;
  /** max |Δ| / max |baseline| (the ∞-norm relative difference; 0 when bitwise equal). */
  relDiff: number;
  /** Elements whose bits differ. */
  differing: number;
  /** The element with the largest ULP distance (flat index), and both values there. */
  worst: { index: number; baseline: number; value: number } | null;
}

export function diffTensors(baseline: Float32Array, other: Float32Array): TensorDiff {
  const bb = new Uint32Array(baseline.buffer, baseline.byteOffset, baseline.length);
  const ob = new Uint32Array(other.buffer, other.byteOffset, other.length);
  let maxAbs = 0;
  let maxRef = 0;
  let maxUlp = 0;
  let differing = 0;
  let worst: TensorDiff["worst"] = null;
  for (let i = 0; i < baseline.length; i++) {
    const a = baseline[i] as number;
    const m = Math.abs(a);
    if (m > maxRef) maxRef = m;
    if (bb[i] === ob[i]) continue;
    const b = other[i] as number;
    differing++;
    const d = Math.abs(a - b);
    if (d > maxAbs || Number.isNaN(d)) maxAbs = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
    const u = ulpDistance(a, b);
    if (u > maxUlp || worst === null) {
      if (u > maxUlp) maxUlp = u;
      worst = { index: i, baseline: a, value: b };
    }
  }
  const relDiff = maxAbs === 0 ? 0 : maxRef === 0 ? Number.POSITIVE_INFINITY : maxAbs / maxRef;
  return { maxAbsDiff: maxAbs, maxUlp, relDiff, differing, worst };
}

/** |a − b| / |b| for losses (0 when equal, including both NaN). */
export function relativeDiff(value: number, baseline: number): number {
  if (Object.is(value, baseline) || (Number.isNaN(value) && Number.isNaN(baseline))) return 0;
  if (!Number.isFinite(value) || !Number.isFinite(baseline)) return Number.POSITIVE_INFINITY;
  return baseline === 0 ? Number.POSITIVE_INFINITY : Math.abs(value - baseline) / Math.abs(baseline);
}

/** A flat index as a multi-index, e.g. 1234 in [256, 784] → [1, 450]. */
export function unflatten(index: number, shape: number[]): number[] {
  const out: number[] = [];
  let r = index;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d] as number;
    out.unshift(r % n);
    r = Math.floor(r / n);
  }
  return out;
}
