// fast-check arbitraries for conformance cases: shapes (0-sized, broadcast, rank up to 6), strided
// layouts (contiguous, transposed, sliced with steps and an offset, expanded with stride 0), and
// element values rich in special values (NaN, ±Inf, −0, subnormals, huge and tiny magnitudes).
import type { DType } from "@lockstep/core";
import fc from "fast-check";

/** One input tensor: a 1-D storage viewed with as_strided (exactly how it is built on every device). */
export interface TensorDesc {
  dtype: DType;
  shape: number[];
  strides: number[];
  offset: number;
  /** Storage elements as JS numbers (bool: 0/1; int64: exact integers below 2^53). */
  storage: number[];
  /** How the view was made, for reading reproducers. */
  layout: "contiguous" | "transposed" | "sliced" | "expanded";
}

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const rowMajor = (shape: readonly number[]): number[] => {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= Math.max(1, shape[i] as number);
  }
  return s;
};

export interface ShapeOptions {
  minRank?: number;
  maxRank?: number;
  /** Largest size of one dim. */
  maxDim?: number;
  /** Cap on the element count (dims are trimmed to fit, keeping zeros). */
  maxNumel?: number;
  /** Allow 0-sized dims (default true). */
  empty?: boolean;
}

/** Sizes: mostly 1–4, sometimes 0 (empty tensors) or larger; trimmed to maxNumel. */
export function shapeArb(o: ShapeOptions = {}): fc.Arbitrary<number[]> {
  const maxDim = o.maxDim ?? 5;
  const dim = fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 1, max: Math.min(4, maxDim) }) },
    { weight: o.empty === false ? 0 : 1, arbitrary: fc.constant(0) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: maxDim }) },
  );
  const maxNumel = o.maxNumel ?? 96;
  return fc.array(dim, { minLength: o.minRank ?? 0, maxLength: o.maxRank ?? 4 }).map((dims) => {
    const s = [...dims];
    while (numel(s) > maxNumel) {
      const i = s.indexOf(Math.max(...s));
      s[i] = Math.max(1, Math.floor((s[i] as number) / 2));
    }
    return s;
  });
}

/** Two shapes that broadcast together: the second drops leading dims and turns some dims into 1. */
export function broadcastPairArb(o: ShapeOptions = {}): fc.Arbitrary<[number[], number[]]> {
  return shapeArb(o).chain((a) =>
    fc
      .tuple(
        fc.integer({ min: 0, max: a.length }),
        fc.array(fc.boolean(), { minLength: a.length, maxLength: a.length }),
        fc.boolean(),
      )
      .map(([drop, ones, swap]) => {
        const b = a.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d));
        return (swap ? [b, a] : [a, b]) as [number[], number[]];
      }),
  );
}

/** A layout for a logical shape: strides, offset and storage size. */
export type Layout = Omit<TensorDesc, "dtype" | "storage"> & { size: number };

export function layoutArb(shape: number[], kinds: TensorDesc["layout"][] = ["contiguous", "transposed", "sliced", "expanded"]) {
  const n = shape.length;
  const contiguous = (): Layout => ({
    shape,
    strides: rowMajor(shape),
    offset: 0,
    size: numel(shape),
    layout: "contiguous",
  });
  const options: fc.Arbitrary<Layout>[] = [];
  if (kinds.includes("contiguous") || n === 0) options.push(fc.constant(null).map(contiguous));
  if (kinds.includes("transposed") && n >= 2)
    options.push(
      fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }).map((perm) => {
        // storage holds the permuted shape contiguously; the view permutes it back
        const base = perm.map((p) => shape[p] as number);
        const bs = rowMajor(base);
        const strides = new Array<number>(n).fill(0);
        perm.forEach((p, i) => {
          strides[p] = bs[i] as number;
        });
        return { shape, strides, offset: 0, size: numel(shape), layout: "transposed" as const };
      }),
    );
  if (kinds.includes("sliced") && n >= 1)
    options.push(
      fc
        .tuple(
          fc.array(fc.integer({ min: 1, max: 3 }), { minLength: n, maxLength: n }),
          fc.integer({ min: 0, max: 3 }),
          fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }),
        )
        .map(([steps, offset, pads]) => {
          // every dim is taken with a step out of a larger base, which also has padding at the end
          const base = shape.map((d, i) => Math.max(1, d * (steps[i] as number) + (pads[i] as number)));
          const bs = rowMajor(base);
          const strides = bs.map((s, i) => s * (steps[i] as number));
          const size = numel(shape) === 0 ? offset : offset + numel(base);
          return { shape, strides, offset, size, layout: "sliced" as const };
        }),
    );
  if (kinds.includes("expanded") && shape.some((d) => d > 1))
    options.push(
      fc.array(fc.boolean(), { minLength: n, maxLength: n }).map((mask) => {
        // masked dims of size > 1 are broadcast from a single element (stride 0)
        const base = shape.map((d, i) => (mask[i] && d > 1 ? 1 : d));
        const bs = rowMajor(base);
        const strides = bs.map((s, i) => (mask[i] && (shape[i] as number) > 1 ? 0 : s));
        return { shape, strides, offset: 0, size: numel(base), layout: "expanded" as const };
      }),
    );
  return fc.oneof(...options);
}

// ---- values ----

const SPECIAL32 = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, 1, -1, 0.5];
const EXTREME: Record<string, number[]> = {
  // subnormals, the smallest normal, huge values near the top of the range, tiny normals
  float32: [1e-45, -1.4e-45, 1e-40, -3e-39, 1.1754943508222875e-38, 3.4028234663852886e38, -3e38, 1e30, 1e-30, -1e-20, 65504],
  float64: [5e-324, -1e-310, 2.2250738585072014e-308, 1.7976931348623157e308, -1e300, 1e-300, 1e30, 3.5e38],
  float16: [6e-8, -6e-8, 3e-5, 6.1e-5, 65504, -65504, 1e-3],
  bfloat16: [1e-40, -9e-41, 1.1754943508222875e-38, 3e38, -3e38, 1e30, 1e-30],
};
const INT_EXTREME: Record<string, number[]> = {
  int32: [2147483647, -2147483648, 65536, -65537],
  int64: [9007199254740991, -9007199254740991, 4294967296, -4294967297],
  uint8: [255, 128, 0],
};

/** How values should be drawn for an input. */
export type Domain =
  | "any" // per tensor: plain values, a few special values, or many
  | "finite" // no NaN/±Inf (e.g. losses over logits)
  | "small" // small exact values (for integer-heavy or overflow-sensitive checks)
  | "plain"; // values in [-8, 8) with full significands only (realistic activations and weights)

/**
 * How often special values appear in one tensor. Specials in every tensor would make most sums and
 * products Inf or NaN and hide rounding differences, so most tensors are plain.
 */
export type Profile = "plain" | "mixed" | "special";
const profileArb: fc.Arbitrary<Profile> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Profile>("plain") },
  { weight: 2, arbitrary: fc.constant<Profile>("mixed") },
  { weight: 1, arbitrary: fc.constant<Profile>("special") },
);

export function valueArb(dtype: DType, domain: Domain = "any", profile: Profile = "special"): fc.Arbitrary<number> {
  if (dtype === "bool") return fc.integer({ min: 0, max: 1 });
  if (dtype === "int32" || dtype === "int64" || dtype === "uint8") {
    const lo = dtype === "uint8" ? 0 : -20;
    const small = fc.integer({ min: lo, max: 20 });
    if (domain === "small" || domain === "plain" || profile === "plain") return small;
    return fc.oneof({ weight: 8, arbitrary: small }, { weight: 1, arbitrary: fc.constantFrom(...(INT_EXTREME[dtype] ?? [])) });
  }
  const ext = EXTREME[dtype] ?? [];
  // uniform in [-8, 8) with a full 24-bit significand, so sums and products round (fc.double alone
  // favours small and integral values, whose sums are often exact in any order)
  const dense = fc.noBias(fc.integer({ min: -(2 ** 24), max: 2 ** 24 - 1 })).map((i) => i / 2 ** 21);
  const normal = fc.oneof({ weight: 3, arbitrary: dense }, { weight: 1, arbitrary: fc.double({ min: -8, max: 8, noNaN: true }) });
  const wide = fc.double({ min: -1e6, max: 1e6, noNaN: true });
  const ints = fc.integer({ min: -6, max: 6 });
  if (domain === "plain") return dense;
  if (domain === "small")
    return fc.oneof(
      ints,
      normal.map((v) => Math.round(v * 8) / 8),
    );
  if (profile === "plain")
    return fc.oneof({ weight: 6, arbitrary: normal }, { weight: 1, arbitrary: ints }, { weight: 1, arbitrary: wide });
  const specials = domain === "finite" ? SPECIAL32.filter(Number.isFinite) : SPECIAL32;
  const rare = profile === "mixed" ? 1 : 4;
  return fc.oneof(
    { weight: 20, arbitrary: normal },
    { weight: 6, arbitrary: ints },
    { weight: 4, arbitrary: wide },
    { weight: rare, arbitrary: fc.constantFrom(...specials) },
    { weight: rare, arbitrary: fc.constantFrom(...ext) },
  );
}

export interface TensorOptions {
  layouts?: TensorDesc["layout"][];
  domain?: Domain;
}

/** A tensor of a given shape and dtype with an arbitrary layout and values. */
export function tensorArb(shape: number[], dtype: DType, o: TensorOptions = {}): fc.Arbitrary<TensorDesc> {
  return fc
    .tuple(layoutArb(shape, o.layouts), profileArb)
    .chain(([l, profile]) =>
      fc
        .array(valueArb(dtype, o.domain, profile), { minLength: l.size, maxLength: l.size })
        .map(
          (storage): TensorDesc => ({ dtype, shape: l.shape, strides: l.strides, offset: l.offset, storage, layout: l.layout }),
        ),
    );
}

/** Integer index tensor (int64) with values in [lo, hi], contiguous or strided. */
export function indexArb(shape: number[], lo: number, hi: number): fc.Arbitrary<TensorDesc> {
  return layoutArb(shape, ["contiguous", "sliced", "transposed"]).chain((l) =>
    fc.array(fc.integer({ min: lo, max: Math.max(lo, hi) }), { minLength: l.size, maxLength: l.size }).map(
      (storage): TensorDesc => ({
        dtype: "int64",
        shape: l.shape,
        strides: l.strides,
        offset: l.offset,
        storage,
        layout: l.layout,
      }),
    ),
  );
}

/** A dim index of a tensor of rank n (n ≥ 1), sometimes negative as PyTorch allows. */
export const dimArb = (n: number): fc.Arbitrary<number> =>
  fc.integer({ min: 0, max: Math.max(0, n - 1) }).chain((d) => fc.constantFrom(d, d - n));

export const FLOATS: DType[] = ["float32", "float64", "float16", "bfloat16"];
export const NUMERIC: DType[] = [...FLOATS, "int32", "int64"];
export const ALL: DType[] = [...NUMERIC, "uint8", "bool"];
