import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type FormatDType, type FormatOptions, formatTensor } from "../src/format.js";

/** One golden from tools/golden/gen_print.py; see that script for the value encoding. */
interface PrintCase {
  values: (number | string | boolean)[];
  shape: number[];
  dtype: FormatDType;
  suffixes: string[];
  opts: FormatOptions;
  expected: string;
}

const golden = JSON.parse(readFileSync(new URL("../../../test-vectors/print.json", import.meta.url), "utf8")) as {
  torch: string;
  cases: PrintCase[];
};

const SPECIAL_FLOATS: Record<string, number> = { nan: Number.NaN, inf: Infinity, "-inf": -Infinity, "-0": -0 };

function decode(value: number | string | boolean, dtype: FormatDType): number | bigint | boolean {
  if (typeof value !== "string") return value;
  // Strings are non-finite or negative-zero floats, or int64 values beyond 2^53.
  return dtype === "int64" ? BigInt(value) : (SPECIAL_FLOATS[value] as number);
}

describe(`formatTensor matches repr(tensor) of PyTorch ${golden.torch}`, () => {
  it.each(golden.cases.map((c, i) => [i, c.expected.split("\n")[0], c] as const))("case %i: %s", (_i, _title, c) => {
    const values = c.values.map((v) => decode(v, c.dtype));
    expect(formatTensor(values, c.shape, c.dtype, c.suffixes, c.opts)).toBe(c.expected);
  });
});
