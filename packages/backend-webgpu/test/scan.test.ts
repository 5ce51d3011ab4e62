// cumprod/cumsum on WebGPU against the reference, on inputs chosen for the float64 accumulator:
// prefixes beyond float32's range that come back into it, float64 subnormals, exact ties when a
// prefix is rounded to float32 or (through round-to-odd) to float16/bfloat16, infinities and NaN.
import * as torch from "@lockstep/core";
import { describe, expect, it } from "vitest";
import { adapterName, unavailable } from "./helpers.js";

/** The values (toEqual tells −0 from 0 and takes NaN as equal to NaN). */
async function stored(t: torch.Tensor): Promise<number[]> {
  return Array.from((await t.data()) as ArrayLike<number>);
}

async function sameOnBoth(op: "cumprod" | "cumsum", rows: number[][], dtype: torch.DType): Promise<void> {
  const x = torch.tensor(rows, { dtype: "float32" }).to(dtype);
  const f = op === "cumprod" ? torch.cumprod : torch.cumsum;
  const ref = await stored(f(x, 1));
  const gpu = await stored(f(x.to("webgpu"), 1));
  expect(gpu).toEqual(ref);
}

const big = 2 ** 100;
const PRODUCT_ROWS = [
  // leaves float32's range and comes back: float64 keeps the value, an f32 accumulator would be inf
  [big, big, 2 ** -100, 2 ** -100, 3, 3],
  // tiny prefixes: float32 subnormals, then float64 subnormals (below 2^-1022), then back up
  [2 ** -120, 2 ** -120, 2 ** -120, 2 ** 100, 2 ** 100, 2 ** 100],
  [1e-38, 1e-38, 1e-38, 1e-38, 1e-38, 1e-38, 1e-38, 1e-38, 1e-38],
  [1e-45, 1e-45, 2 ** 100, 2 ** 100, 2 ** 100, 2 ** 100],
  // products of 24-bit mantissas that land near and on float32 rounding ties
  [1 + 2 ** -23, 1 + 2 ** -23, 1 + 2 ** -23, 1 + 2 ** -12, 1 - 2 ** -24, 3, 5, 7],
  [16777215, 16777213, 1 / 3, 16777215, 0.1, 0.7, 1.3],
  // signs, zeros, infinities, NaN
  [-2, -0.5, 0, -3, Number.POSITIVE_INFINITY, 5],
  [-1, Number.NEGATIVE_INFINITY, -1, 2 ** -149, 0, 1],
  [2, Number.NaN, 3, 4, 5, 6],
  [3.4e38, 3.4e38, 1e-38, 1e-38, 1e-3, 7],
];

describe.skipIf(unavailable !== null)(`scan on webgpu equals the reference (${adapterName})`, () => {
  it("cumprod of float32 keeps the exact float64 prefix (range, subnormals, ties, specials)", async () => {
    for (const row of PRODUCT_ROWS) await sameOnBoth("cumprod", [row], "float32");
  });

  it("cumprod of float16/bfloat16 rounds each float64 prefix once to the 16-bit format", async () => {
    const rows: number[][] = [
      // 1 + 2^-11 repeatedly: products sit on and near float16 ties
      Array(12).fill(1 + 2 ** -11),
      Array(12).fill(1 + 2 ** -8),
      [1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5],
      [0.1, 0.3, 0.7, 1.1, 1.9, 2.3, 3.7, 0.01, 200, 300],
    ];
    for (const dtype of ["float16", "bfloat16"] as const) for (const row of rows) await sameOnBoth("cumprod", [row], dtype);
  });

  it("cumprod of random rows of many lengths", async () => {
    const g = new torch.Generator().manualSeed(7);
    for (const n of [1, 2, 7, 31, 100]) {
      const mag = torch.pow(2, torch.rand([4, n], { generator: g }).mul(8).sub(4));
      const sign = torch.rand([4, n], { generator: g }).lt(0.3).to("float32").mul(-2).add(1);
      const x = mag.mul(sign);
      expect(await stored(torch.cumprod(x.to("webgpu"), 1))).toEqual(await stored(torch.cumprod(x, 1)));
    }
  });

  it("cumsum stays infinite once a prefix is (inf − inf in the pair's error term gave NaN)", async () => {
    await sameOnBoth(
      "cumsum",
      [
        [1, Number.POSITIVE_INFINITY, 2, 3],
        [Number.NEGATIVE_INFINITY, -1, 5, 6],
        [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1, 2],
      ],
      "float32",
    );
  });
});
