// The optimised kernels (tiled matmul, two-pass reductions, bitonic sort, parallel scatter) against
// the reference, bit for bit, on shapes chosen to hit their edges: sizes that are not multiples of
// the tiles/blocks, 0-sized, K = 1, strided and transposed views, long rows, ties and NaN.
import * as torch from "@lockstep/core";
import { describe, expect, it } from "vitest";
import { initWebGPU } from "../src/index.js";

const start = await initWebGPU().then(
  (r) => r,
  (e: Error) => e,
);
const why = start instanceof Error ? `skipped: ${start.message}` : start.description;

/** The stored bits of a host array (floats compared as bit patterns: -0, NaN payloads count). */
function bits(a: ArrayLike<unknown>): unknown[] {
  if (a instanceof Float32Array) return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
  return Array.from(a);
}

async function same(cpu: torch.Tensor, gpu: torch.Tensor): Promise<void> {
  expect(gpu.device).toBe("webgpu");
  expect(gpu.dtype).toBe(cpu.dtype);
  expect(gpu.shape).toEqual(cpu.shape);
  const want = bits(cpu.dataSync() as ArrayLike<unknown>);
  const got = bits((await gpu.data()) as ArrayLike<unknown>);
  expect(got.length).toBe(want.length);
  // compare in one go, but report the first mismatch readably
  const bad = got.findIndex((v, i) => v !== want[i]);
  expect(bad === -1 ? null : { at: bad, got: got[bad], want: want[bad] }).toBeNull();
}

/** Values with heavy cancellation: large terms of both signs plus small ones (FMA or reordering shows). */
function cancelling(shape: number[]): torch.Tensor {
  const big = torch.randn(shape).mul(1e4).round();
  return big.add(torch.randn(shape).mul(1e-3));
}

describe.skipIf(start instanceof Error)(`optimised webgpu kernels (${why})`, () => {
  const g = (t: torch.Tensor) => t.to("webgpu");

  it("matmul: odd sizes, K = 1, 0-sized, large K with cancellation", async () => {
    torch.manualSeed(1);
    for (const [m, k, n] of [
      [1, 1, 1],
      [3, 1, 5],
      [65, 17, 63],
      [64, 64, 64],
      [130, 33, 70],
      [7, 2000, 9],
      [0, 4, 3],
      [4, 0, 3],
    ] as [number, number, number][]) {
      const a = torch.randn([m, k]);
      const b = torch.randn([k, n]);
      await same(torch.matmul(a, b), torch.matmul(g(a), g(b)));
    }
    const a = cancelling([33, 3001]);
    const b = cancelling([3001, 35]);
    await same(torch.matmul(a, b), torch.matmul(g(a), g(b)));
  });

  it("matmul: batched, transposed and strided views, f16/bf16/int32/int64", async () => {
    torch.manualSeed(2);
    const a = torch.randn([3, 70, 45]);
    const b = torch.randn([3, 45, 66]);
    await same(torch.matmul(a, b), torch.matmul(g(a), g(b)));
    const at = torch.randn([45, 70]);
    const bt = torch.randn([66, 45]);
    await same(torch.matmul(at.t(), bt.t()), torch.matmul(g(at).t(), g(bt).t()));
    const big = torch.randn([80, 90]);
    const sa = big.slice(0, 1, 80, 2).slice(1, 3, 90, 3); // [40, 29], both strides > 1
    const sb = big.t().slice(0, 0, 29); // [29, 80], transposed
    await same(torch.matmul(sa, sb), torch.matmul(g(big).slice(0, 1, 80, 2).slice(1, 3, 90, 3), g(big).t().slice(0, 0, 29)));
    for (const dt of ["float16", "bfloat16"] as const) {
      const x = torch.randn([37, 129]).to(dt);
      const y = torch.randn([129, 41]).to(dt);
      await same(torch.matmul(x, y), torch.matmul(g(x), g(y)));
    }
    const i = torch.randint(-1000, 1000, [19, 300]).to("int32");
    const j = torch.randint(-1000, 1000, [300, 23]).to("int32");
    await same(torch.matmul(i, j), torch.matmul(g(i), g(j)));
    const l = torch.randint(-1000, 1000, [5, 30]);
    const r = torch.randint(-1000, 1000, [30, 6]);
    await same(torch.matmul(l, r), torch.matmul(g(l), g(r)));
  });
});
