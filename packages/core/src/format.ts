/**
 * Tensor printing with PyTorch 1.13's `repr(tensor)` layout (torch/_tensor_str.py):
 * element formatting (fixed / integer-valued / scientific), line wrapping, summarization
 * with `...`, and the trailing `key=value` suffixes.
 *
 * Pure and synchronous: the caller reads the tensor back and passes its elements here.
 */

export type FormatDType = "float32" | "float64" | "float16" | "bfloat16" | "int32" | "int64" | "uint8" | "bool";

export interface FormatOptions {
  /** Digits after the decimal point for floating-point elements (default 4). */
  precision?: number;
  /** Tensors with more elements than this are summarized with `...` (default 1000). */
  threshold?: number;
  /** Elements kept at each end of a summarized dimension (default 3). */
  edgeitems?: number;
  /** Characters per line used to wrap elements and suffixes (default 80). */
  linewidth?: number;
  /** Force (true) or forbid (false) scientific notation; null/undefined chooses automatically. */
  sciMode?: boolean | null;
}

type ResolvedOptions = Required<Omit<FormatOptions, "sciMode">> & { sciMode: boolean | null };

type Element = number | bigint | boolean;

const PREFIX = "tensor(";

/** Dtypes PyTorch leaves unnamed for non-empty tensors (default float dtype, int64, bool). */
const UNNAMED_DTYPES: ReadonlySet<FormatDType> = new Set<FormatDType>(["float32", "int64", "bool"]);

/**
 * Render a tensor as PyTorch prints it.
 *
 * @param values   elements in row-major order (floats as their exact values; int64 may be bigint)
 * @param shape    sizes of the tensor; `[]` for a 0-dim tensor
 * @param dtype    element type, which selects the formatter and the `dtype=` suffix
 * @param suffixes extra `key=value` parts already rendered by the caller. PyTorch prints
 *                 `device=` before `size=`/`dtype=` and everything else (grad_fn,
 *                 requires_grad, ...) after them; this function keeps that order.
 */
export function formatTensor(
  values: ArrayLike<Element>,
  shape: readonly number[],
  dtype: FormatDType,
  suffixes: string[],
  opts: FormatOptions = {},
): string {
  const options: ResolvedOptions = {
    precision: opts.precision ?? 4,
    threshold: opts.threshold ?? 1000,
    edgeitems: opts.edgeitems ?? 3,
    linewidth: opts.linewidth ?? 80,
    sciMode: opts.sciMode ?? null,
  };
  const numel = shape.reduce((n, size) => n * size, 1);
  if (values.length !== numel) {
    throw new RangeError(`formatTensor: shape [${shape.join(", ")}] needs ${numel} values, got ${values.length}`);
  }

  const all = suffixes.filter((s) => s.startsWith("device="));
  let body: string;
  if (numel === 0) {
    // An empty tensor shows its shape unless it is 1-D, and any dtype but the default
    // float dtype, since there are no elements to hint at it.
    if (shape.length !== 1) all.push(`size=${pythonTuple(shape)}`);
    if (dtype !== "float32") all.push(`dtype=torch.${dtype}`);
    body = "[]";
  } else {
    if (!UNNAMED_DTYPES.has(dtype)) all.push(`dtype=torch.${dtype}`);
    body = formatElements(values, shape, dtype, PREFIX.length, options);
  }
  all.push(...suffixes.filter((s) => !s.startsWith("device=")));
  return appendSuffixes(PREFIX + body, all, PREFIX.length, options.linewidth);
}

// ---------------------------------------------------------------------------
// Layout: nesting, summarization and line wrapping

/** Indices printed along a dimension; `null` marks where the `...` goes. */
function printedIndices(size: number, summarize: boolean, edgeitems: number): (number | null)[] {
  const all = Array.from({ length: size }, (_, i) => i);
  if (!summarize || size <= 2 * edgeitems) return all;
  return [...all.slice(0, edgeitems), null, ...all.slice(size - edgeitems)];
}

function formatElements(
  values: ArrayLike<Element>,
  shape: readonly number[],
  dtype: FormatDType,
  indent: number,
  options: ResolvedOptions,
): string {
  const summarize = values.length > options.threshold;
  const strides = contiguousStrides(shape);

  // Only the elements that will be printed decide widths and notation.
  const printed: Element[] = [];
  const collect = (dim: number, offset: number): void => {
    if (dim === shape.length) {
      printed.push(values[offset] as Element);
      return;
    }
    for (const i of printedIndices(shape[dim] as number, summarize, options.edgeitems)) {
      if (i !== null) collect(dim + 1, offset + i * (strides[dim] as number));
    }
  };
  collect(0, 0);
  const formatter = isFloating(dtype)
    ? new FloatFormatter(printed.map(Number), options)
    : new IntegralFormatter(printed, dtype === "bool");

  const render = (dim: number, offset: number, indent: number): string => {
    const remaining = shape.length - dim;
    if (remaining === 0) return formatter.format(values[offset] as Element);
    const indices = printedIndices(shape[dim] as number, summarize, options.edgeitems);
    const stride = strides[dim] as number;
    if (remaining === 1) {
      const items = indices.map((i) => (i === null ? " ..." : formatter.format(values[offset + i * stride] as Element)));
      const perLine = Math.max(1, Math.floor((options.linewidth - indent) / (formatter.width + 2)));
      const lines: string[] = [];
      for (let start = 0; start < items.length; start += perLine) {
        lines.push(items.slice(start, start + perLine).join(", "));
      }
      return `[${lines.join(`,\n${" ".repeat(indent + 1)}`)}]`;
    }
    const slices = indices.map((i) => (i === null ? "..." : render(dim + 1, offset + i * stride, indent + 1)));
    // Sub-tensors are separated by one blank line per dimension below the innermost two.
    return `[${slices.join(`,${"\n".repeat(remaining - 1)}${" ".repeat(indent + 1)}`)}]`;
  };
  return render(0, 0, indent);
}

/** Joins suffixes with ", ", moving one to a new line when it would pass the line width. */
function appendSuffixes(text: string, suffixes: readonly string[], indent: number, linewidth: number): string {
  let out = text;
  // PyTorch's measure of the last line counts two characters more than it holds.
  let lastLineLength = text.length - text.lastIndexOf("\n") + 1;
  for (const suffix of suffixes) {
    if (lastLineLength + suffix.length + 2 > linewidth) {
      out += `,\n${" ".repeat(indent)}${suffix}`;
      lastLineLength = indent + suffix.length;
    } else {
      out += `, ${suffix}`;
      lastLineLength += suffix.length + 2;
    }
  }
  return `${out})`;
}

function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d] as number;
  }
  return strides;
}

function pythonTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

function isFloating(dtype: FormatDType): boolean {
  return dtype === "float32" || dtype === "float64" || dtype === "float16" || dtype === "bfloat16";
}

// ---------------------------------------------------------------------------
// Element formatters: each fixes a common width so that columns line up.

interface ElementFormatter {
  readonly width: number;
  format(value: Element): string;
}

class IntegralFormatter implements ElementFormatter {
  readonly width: number;

  constructor(
    printed: readonly Element[],
    private readonly isBool: boolean,
  ) {
    this.width = printed.reduce<number>((w, v) => Math.max(w, this.text(v).length), 1);
  }

  format(value: Element): string {
    return this.text(value).padStart(this.width);
  }

  private text(value: Element): string {
    if (this.isBool) return value ? "True" : "False";
    return typeof value === "bigint" ? value.toString() : BigInt(Math.trunc(Number(value))).toString();
  }
}

/**
 * Chooses between integer-valued (`3.`), fixed (`3.1416`) and scientific (`3.1416e+00`)
 * notation from the nonzero finite elements, as PyTorch's `_Formatter` does.
 */
class FloatFormatter implements ElementFormatter {
  readonly width: number;
  private readonly intMode: boolean;
  private readonly sciMode: boolean;
  private readonly precision: number;

  constructor(printed: readonly number[], options: ResolvedOptions) {
    this.precision = options.precision;
    const nonzeroFinite = printed.filter((v) => Number.isFinite(v) && v !== 0);
    if (nonzeroFinite.length === 0) {
      // Nothing to measure. PyTorch stops here, before applying a forced sciMode.
      this.width = 1;
      this.intMode = true;
      this.sciMode = false;
      return;
    }
    let min = Infinity;
    let max = 0;
    for (const v of nonzeroFinite) {
      min = Math.min(min, Math.abs(v));
      max = Math.max(max, Math.abs(v));
    }
    const wideRange = max / min > 1000 || max > 1e8;

    let intMode: boolean;
    let sciMode: boolean;
    let widthOf: (v: number) => number;
    if (nonzeroFinite.every(Number.isInteger)) {
      intMode = true;
      sciMode = wideRange;
      // The trailing "." of integer-valued floats counts towards the width.
      widthOf = sciMode ? (v) => formatExponential(v, this.precision).length : (v) => formatFixed(v, 0).length + 1;
    } else {
      intMode = false;
      sciMode = wideRange || min < 1e-4;
      widthOf = sciMode ? (v) => formatExponential(v, this.precision).length : (v) => formatFixed(v, this.precision).length;
    }
    this.width = nonzeroFinite.reduce((w, v) => Math.max(w, widthOf(v)), 1);
    this.intMode = intMode;
    this.sciMode = options.sciMode ?? sciMode;
  }

  format(element: Element): string {
    const value = Number(element);
    let text: string;
    if (this.sciMode) {
      text = formatExponential(value, this.precision);
    } else if (this.intMode) {
      text = formatFixed(value, 0);
      if (Number.isFinite(value)) text += ".";
    } else {
      text = formatFixed(value, this.precision);
    }
    return text.padStart(this.width);
  }
}

// ---------------------------------------------------------------------------
// Exact decimal rendering of doubles, matching Python's "{:.Nf}" and "{:.Ne}": correctly
// rounded from the exact binary value with ties to even (JS toFixed/toExponential round
// ties away from zero and switch notation above 1e21), and the sign of -0 kept.

interface ExactDouble {
  negative: boolean;
  /** |value| = mantissa * 2^exponent */
  mantissa: bigint;
  exponent: number;
}

const scratch = new DataView(new ArrayBuffer(8));

function decompose(value: number): ExactDouble {
  scratch.setFloat64(0, value);
  const hi = scratch.getUint32(0);
  const lo = scratch.getUint32(4);
  const negative = hi >>> 31 === 1;
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased !== 0) mantissa |= 1n << 52n; // implicit leading bit of normal numbers
  const exponent = (biased === 0 ? 1 : biased) - 1075;
  return { negative, mantissa, exponent };
}

function nonFiniteText(value: number): string | null {
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  return null;
}

/** round(num / den) with ties to even, for non-negative num and positive den. */
function divideRoundHalfEven(num: bigint, den: bigint): bigint {
  const quotient = num / den;
  const twiceRemainder = (num % den) * 2n;
  if (twiceRemainder > den || (twiceRemainder === den && quotient % 2n === 1n)) return quotient + 1n;
  return quotient;
}

/** round(|x| * 10^scale) for x = mantissa * 2^exponent; scale may be negative. */
function scaledRound({ mantissa, exponent }: ExactDouble, scale: number): bigint {
  let num = mantissa;
  let den = 1n;
  if (exponent >= 0) num <<= BigInt(exponent);
  else den <<= BigInt(-exponent);
  if (scale >= 0) num *= 10n ** BigInt(scale);
  else den *= 10n ** BigInt(-scale);
  return divideRoundHalfEven(num, den);
}

/** Python's `"{:.<digits>f}".format(value)`. */
function formatFixed(value: number, digits: number): string {
  const special = nonFiniteText(value);
  if (special !== null) return special;
  const exact = decompose(value);
  const scaled = scaledRound(exact, digits)
    .toString()
    .padStart(digits + 1, "0");
  const whole = scaled.slice(0, scaled.length - digits);
  const text = digits > 0 ? `${whole}.${scaled.slice(scaled.length - digits)}` : whole;
  return exact.negative ? `-${text}` : text;
}

/** Python's `"{:.<digits>e}".format(value)`. */
function formatExponential(value: number, digits: number): string {
  const special = nonFiniteText(value);
  if (special !== null) return special;
  const exact = decompose(value);
  let power = 0;
  let significand = 0n;
  if (value !== 0) {
    // Start from an estimate of the decimal exponent and correct it, rounding each
    // attempt from the exact value so that no double rounding happens.
    const low = 10n ** BigInt(digits);
    const high = low * 10n;
    power = Math.floor(Math.log10(Math.abs(value)));
    for (;;) {
      significand = scaledRound(exact, digits - power);
      if (significand >= high) power += 1;
      else if (significand < low) power -= 1;
      else break;
    }
  }
  const text = significand.toString().padStart(digits + 1, "0");
  const mantissa = digits > 0 ? `${text[0]}.${text.slice(1)}` : text;
  const exponent = `${power < 0 ? "-" : "+"}${String(Math.abs(power)).padStart(2, "0")}`;
  return `${exact.negative ? "-" : ""}${mantissa}e${exponent}`;
}
