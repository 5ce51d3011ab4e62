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

  /** The runtime under the webgpu device (tests switch its adapter-dependent kernel choices). */
  const runtime = () =>
    (
      torch.zeros([1], { device: "webgpu" })._storage.backend as unknown as {
        rt: { cpuAdapter: boolean; parallelScatter: boolean };
      }
    ).rt;

  it("matmul: the workgroup-tiled (GPU) variant equals the reference too", async () => {
    const rt = runtime();
    const was = rt.cpuAdapter;
    rt.cpuAdapter = !was; // the variant this adapter does not use by default
    try {
      torch.manualSeed(7);
      for (const [m, k, n] of [
        [1, 1, 1],
        [65, 17, 63],
        [130, 333, 70],
      ] as [number, number, number][]) {
        const a = cancelling([m, k]);
        const b = cancelling([k, n]);
        await same(torch.matmul(a, b), torch.matmul(g(a), g(b)));
        await same(torch.matmul(b.t(), a.t()), torch.matmul(g(b).t(), g(a).t()));
      }
      const x = torch.randn([2, 37, 129]).to("float16");
      const y = torch.randn([2, 129, 41]).to("float16");
      await same(torch.matmul(x, y), torch.matmul(g(x), g(y)));
      const i = torch.randint(-1000, 1000, [19, 300]).to("int32");
      const j = torch.randint(-1000, 1000, [300, 23]).to("int32");
      await same(torch.matmul(i, j), torch.matmul(g(i), g(j)));
    } finally {
      rt.cpuAdapter = was;
    }
  });

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

  it("reductions over long rows: every op and dtype, odd lengths, several passes", async () => {
    torch.manualSeed(3);
    // lengths around the block size (2048) and past one pass (2048² leaves need a third pass)
    for (const n of [1024, 2047, 2048, 2049, 5000, 100_003]) {
      const x = cancelling([n]);
      await same(x.sum(), g(x).sum());
      await same(x.amax(), g(x).amax());
      await same(x.amin(), g(x).amin());
      await same(x.argmax(), g(x).argmax());
      await same(x.argmin(), g(x).argmin());
      await same(x.mean(), g(x).mean());
    }
    const big = torch.randn([(1 << 22) + 12345]); // > 2048² leaves: three passes
    await same(big.sum(), g(big).sum());
    await same(big.argmax(), g(big).argmax());
    const prod = torch.rand([3001]).add(0.5);
    await same(prod.prod(), g(prod).prod());
  });

  it("reductions: rows of a matrix, strided and multi-dim reduced views, ints, 16-bit floats, NaN and ties", async () => {
    torch.manualSeed(4);
    const m = torch.randn([5, 3000]);
    await same(m.sum(1), g(m).sum(1));
    await same(m.t().sum(0), g(m).t().sum(0)); // reduced dim strided
    const cube = torch.randn([3, 40, 50]);
    await same(cube.sum([1, 2]), g(cube).sum([1, 2]));
    await same(cube.permute([2, 0, 1]).sum([1, 2]), g(cube).permute([2, 0, 1]).sum([1, 2]));
    await same(cube.slice(2, 0, 50, 3).amax([1, 2]), g(cube).slice(2, 0, 50, 3).amax([1, 2]));
    const ints = torch.randint(-50, 50, [7, 4099]).to("int32");
    await same(ints.sum(1), g(ints).sum(1));
    await same(ints.amax(1), g(ints).amax(1));
    await same(ints.argmin(1), g(ints).argmin(1)); // many ties: the first index wins
    const longs = torch.randint(-(2 ** 40), 2 ** 40, [3, 3000]);
    await same(longs.sum(1), g(longs).sum(1));
    await same(longs.argmax(1), g(longs).argmax(1));
    const flags = torch.rand([4, 5000]).gt(0.999);
    await same(flags.any(1), g(flags).any(1));
    await same(flags.all(1), g(flags).all(1));
    await same(flags.sum(1), g(flags).sum(1));
    const bytes = torch.randint(0, 255, [2, 3000]).to("uint8");
    await same(bytes.sum(1), g(bytes).sum(1));
    for (const dt of ["float16", "bfloat16"] as const) {
      const h = torch.randn([3, 4000]).to(dt);
      await same(h.sum(1), g(h).sum(1));
      await same(h.argmax(1), g(h).argmax(1));
    }
    // NaN: the first NaN wins argmax/argmin; max propagates it
    const data = torch.randn([3, 6000]).dataSync() as Float32Array;
    for (const [r, c] of [
      [0, 4097],
      [1, 100],
      [1, 5999],
    ] as [number, number][])
      data[r * 6000 + c] = Number.NaN;
    const nanX = torch.fromBuffer(data, { shape: [3, 6000] });
    await same(nanX.argmax(1), g(nanX).argmax(1));
    await same(nanX.argmin(1), g(nanX).argmin(1));
    await same(nanX.amax(1), g(nanX).amax(1));
    await same(nanX.sum(1), g(nanX).sum(1));
    const tied = torch.ones([2, 5000]);
    await same(tied.argmax(1), g(tied).argmax(1));
    await same(torch.zeros([0, 3000]).sum(1), g(torch.zeros([0, 3000])).sum(1));
  });

  it("sort: long rows with ties and NaN, both directions, strided rows, ints and 16-bit floats", async () => {
    torch.manualSeed(5);
    for (const n of [512, 1000, 2048, 3001, 100_000]) {
      // few distinct values: many ties, which must keep their order (stable)
      const x = torch.randint(0, 50, [n]).to("float32");
      const data = x.dataSync() as Float32Array;
      for (let i = 7; i < n; i += 97) data[i] = Number.NaN;
      data[3] = -0;
      const y = torch.fromBuffer(data, { shape: [n] });
      for (const desc of [false, true]) {
        const [v, i] = y.sort(0, desc);
        const [gv, gi] = g(y).sort(0, desc);
        await same(v, gv);
        await same(i, gi);
      }
    }
    const m = torch.randn([3, 1500]);
    await same(m.t().contiguous().t().sort(1)[1], g(m).t().contiguous().t().sort(1)[1]);
    await same(m.t().sort(0, true)[0], g(m).t().sort(0, true)[0]); // rows strided in memory
    const ints = torch.randint(-5, 5, [2, 2500]).to("int32");
    await same(ints.sort(1)[1], g(ints).sort(1)[1]);
    const longs = torch.randint(-(2 ** 40), 2 ** 40, [1, 700]);
    await same(longs.sort(1, true)[0], g(longs).sort(1, true)[0]);
    const h = torch.randn([2, 900]).to("float16");
    await same(h.sort(1)[1], g(h).sort(1)[1]);
  });

  it("scatter: long scatters with duplicates apply in index order (add) and keep the last (set)", async () => {
    torch.manualSeed(6);
    const rt = runtime();
    const was = rt.parallelScatter;
    try {
      for (const parallel of [true, false]) {
        rt.parallelScatter = parallel; // both paths (a CPU adapter defaults to the sequential one)
        for (const n of [5000, 70_001]) {
          // few targets: long runs of duplicates, whose sums depend on the order
          const index = torch.randint(0, 37, [n]);
          const src = cancelling([n]);
          const base = torch.randn([37]);
          await same(base.indexAdd(0, index, src), g(base).indexAdd(0, g(index), g(src)));
          const wide = torch.randint(0, 3000, [n]);
          const t2 = torch.zeros([3000]);
          await same(t2.indexAdd(0, wide, src), g(t2).indexAdd(0, g(wide), g(src)));
          const h = src.to("bfloat16");
          await same(base.to("bfloat16").indexAdd(0, index, h), g(base.to("bfloat16")).indexAdd(0, g(index), g(h)));
          const ints = torch.randint(-9, 9, [n]).to("int32");
          await same(
            torch.zeros([37], { dtype: "int32" }).indexAdd(0, index, ints),
            g(torch.zeros([37], { dtype: "int32" })).indexAdd(0, g(index), g(ints)),
          );
        }
        // "set" with duplicates: the last update of each target wins
        const n = 6000;
        const idx = torch.randint(0, 100, [n]);
        const vals = torch.randn([n]);
        const target = torch.zeros([100]);
        await same(target.scatter(0, idx, vals), g(target).scatter(0, g(idx), g(vals)));
        // conv backward: col2im is a scatter-add with kh·kw duplicates per pixel
        const x = torch.randn([2, 3, 20, 20]).requiresGrad_();
        const w = torch.randn([4, 3, 5, 5]);
        torch.nn.functional.conv2d(x, w).sum().backward();
        const gx = g(x.detach()).requiresGrad_();
        torch.nn.functional.conv2d(gx, g(w)).sum().backward();
        await same(x.grad as torch.Tensor, gx.grad as torch.Tensor);
      }
    } finally {
      rt.parallelScatter = was;
    }
  });

  it("elementwise: innermost strides 1, 0 (broadcast) and other, specialised per view", async () => {
    torch.manualSeed(8);
    const m = torch.randn([37, 53]);
    const row = torch.randn([53]);
    const col = torch.randn([37, 1]);
    const s = torch.randn([]);
    await same(m.add(row).mul(col).sub(s), g(m).add(g(row)).mul(g(col)).sub(g(s)));
    await same(m.t().add(col.t()), g(m).t().add(g(col).t()));
    await same(
      m
        .slice(1, 0, 52, 2)
        .mul(m.slice(1, 1, 53, 2).slice(1, 0, 26))
        .add(1),
      g(m)
        .slice(1, 0, 52, 2)
        .mul(g(m).slice(1, 1, 53, 2).slice(1, 0, 26))
        .add(1),
    );
    const big = torch.randn([1 << 20]);
    await same(big.mul(big).add(big), g(big).mul(g(big)).add(g(big)));
    // the vec4 path (flat, 4-aligned): every storage kind, broadcast scalars, in-place, offsets
    const v = torch.randn([4096]);
    const w = torch.randn([4096]);
    const sc = torch.randn([]);
    await same(v.mul(w).add(sc), g(v).mul(g(w)).add(g(sc)));
    await same(v.to("float16").mul(3), g(v).to("float16").mul(3));
    await same(v.to("bfloat16").add(w.to("bfloat16")), g(v).to("bfloat16").add(g(w).to("bfloat16")));
    await same(v.gt(w), g(v).gt(g(w)));
    await same(v.mul(100).to("int32").add(7), g(v).mul(100).to("int32").add(7));
    await same(v.mul(100).to("uint8"), g(v).mul(100).to("uint8"));
    await same(
      v.slice(0, 4, 4004).add(w.slice(0, 8, 4008)),
      g(v)
        .slice(0, 4, 4004)
        .add(g(w).slice(0, 8, 4008)),
    );
    await same(
      v.slice(0, 1, 4001).add(w.slice(0, 3, 4003)),
      g(v)
        .slice(0, 1, 4001)
        .add(g(w).slice(0, 3, 4003)),
    );
    const gv = g(v).clone();
    gv.add_(g(w));
    await same(v.add(w), gv);
    // index math by reciprocal (div_small): every quotient near the 2^24 limit must be exact
    const cube = torch.arange(3 * 1001 * 4001, { dtype: "int32" }).reshape([3, 1001, 4001]);
    await same(cube.permute([2, 0, 1]).contiguous(), g(cube).permute([2, 0, 1]).contiguous());
    const odd = torch.randn([7, 13, 17, 19]);
    await same(odd.permute([3, 1, 0, 2]).contiguous(), g(odd).permute([3, 1, 0, 2]).contiguous());
  });

  it("runtime: host writes and parameters batched with kernels keep program order, across arena overflows", async () => {
    // each step writes a fresh host tensor (through the upload arena) and uses it at once; 300
    // steps of 16 KiB overflow the 256 KiB arena and the parameter arena several times
    let acc = torch.zeros([4096]);
    let gacc = g(acc);
    for (let i = 0; i < 300; i++) {
      const h = torch.full([4096], i % 7);
      acc = acc.mul(0.5).add(h);
      gacc = gacc.mul(0.5).add(g(h));
    }
    await same(acc, gacc);
    // a large write (submitted before) after queued work on a recycled buffer
    const big = torch.randn([70_000]);
    const before = g(torch.ones([70_000])).mul(3);
    const gb = g(big);
    await same(big.add(3), gb.add(before));
  });
});
