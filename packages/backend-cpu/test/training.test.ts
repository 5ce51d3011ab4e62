// Layers and training on "cpu" (BLAS matmul) against "reference" (exact sequential sums).

import type { Tensor } from "@lockstep/core";
import * as torch from "@lockstep/core";
import { beforeAll, describe, expect, it } from "vitest";
import { cpuBackend, initCpu } from "../src/index.js";
import { unitRoundoff, values, worstRatio } from "./helpers.js";

const { nn } = torch;
const F = nn.functional;

beforeAll(() => {
  initCpu();
});

describe("conv2d on cpu vs reference", () => {
  // conv = im2col + matmul; col2im = scatter-add (the reference's, in both). Bounds, u = 2^-24,
  // each from linearity with absolute values in float64 on the reference:
  // - output: 2.01·(K + 1)·u·(conv(|x|, |w|) + |b|), K = C_in·kh·kw (+1: the bias add);
  // - grad x: 2.01·(C_out/g + taps)·u·(the same gradient with |w|, |g|): a matmul over C_out/g, then col2im adds ≤ taps terms;
  // - grad w: 2.01·(B·OH·OW)·u·(the same gradient with |x|, |g|);
  // - grad bias: the same reduction on both backends: equal bits.
  const cases: [string, number[], number[], torch.ConvOptions][] = [
    ["3×3 pad 1", [4, 3, 12, 12], [8, 3, 3, 3], { padding: 1 }],
    ["stride 2, 5×5", [2, 4, 13, 11], [6, 4, 5, 5], { stride: 2 }],
    ["groups 2, dilation 2", [3, 4, 10, 10], [6, 2, 3, 3], { groups: 2, dilation: 2, padding: 2 }],
    ["the CNN's second layer", [8, 32, 14, 14], [64, 32, 3, 3], { padding: 1 }],
  ];
  for (const [name, xs, ws, opts] of cases)
    it(name, () => {
      torch.manualSeed(11);
      const x = torch.randn(xs);
      const w = torch.randn(ws);
      const b = torch.randn([ws[0] as number]);
      const outShape = F.conv2d(x, w, b, opts).shape;
      const g = torch.randn([...outShape]);
      const run = (dev: string, xv: Tensor, wv: Tensor, bv: Tensor, gv: Tensor, dtype: "float32" | "float64" = "float32") => {
        const [xd, wd, bd] = [xv, wv, bv].map((t) => t.to(dev).to(dtype).detach().requiresGrad_(true)) as [
          Tensor,
          Tensor,
          Tensor,
        ];
        const y = F.conv2d(xd, wd, bd, opts);
        y.mul(gv.to(dev).to(dtype)).sum().backward();
        return { y: values(y), gx: values(xd.grad as Tensor), gw: values(wd.grad as Tensor), gb: values(bd.grad as Tensor) };
      };
      const fast = run("cpu", x, w, b, g);
      const ref = run("reference", x, w, b, g);
      const abs = run("reference", x.abs(), w.abs(), b.abs(), g.abs(), "float64");
      const u = unitRoundoff("float32");
      const groups = opts.groups ?? 1;
      const taps = (ws[2] as number) * (ws[3] as number);
      const K = (ws[1] as number) * taps;
      const positions = (outShape[0] as number) * (outShape[2] as number) * (outShape[3] as number);
      expect(worstRatio(fast.y, ref.y, abs.y, 2.01 * (K + 1) * u), "output").toBeLessThanOrEqual(1);
      expect(worstRatio(fast.gx, ref.gx, abs.gx, 2.01 * ((ws[0] as number) / groups + taps) * u), "grad x").toBeLessThanOrEqual(
        1,
      );
      expect(worstRatio(fast.gw, ref.gw, abs.gw, 2.01 * positions * u), "grad w").toBeLessThanOrEqual(1);
      expect(fast.gb).toEqual(ref.gb);
    });

  it("runs its matmuls on BLAS", () => {
    const c = cpuBackend()?.counters as { gemm: number; reference: number };
    const before = { ...c };
    const x = torch.randn([2, 3, 8, 8]).requiresGrad_(true);
    F.conv2d(x, torch.randn([4, 3, 3, 3]))
      .sum()
      .backward();
    expect(c.gemm - before.gemm).toBeGreaterThanOrEqual(2); // forward, grad of the input
    expect(c.reference - before.reference).toBe(0);
  });
});

describe("a short MLP training run", () => {
  it("SGD with momentum: cpu follows reference's losses and weights closely", () => {
    const train = (device: string) => {
      torch.manualSeed(0);
      const model = new nn.Sequential(
        new nn.Linear(40, 64),
        new nn.ReLU(),
        new nn.Linear(64, 64),
        new nn.ReLU(),
        new nn.Linear(64, 5),
      ).to(device);
      const x = torch.randn([128, 40]).to(device);
      const y = torch.randint(0, 5, [128]).to(device);
      const opt = new torch.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
      const losses: number[] = [];
      for (let step = 0; step < 40; step++) {
        opt.zeroGrad();
        const loss = F.crossEntropy(model.forward(x) as Tensor, y);
        loss.backward();
        opt.step();
        losses.push(loss.itemSync() as number);
      }
      return { losses, weights: model.parameters().map((p) => values(p)) };
    };
    const fast = train("cpu");
    const ref = train("reference");
    // it learns (memorises 128 random labels)...
    expect(fast.losses[39]).toBeLessThan(0.65 * (fast.losses[0] as number));
    // ...the first loss is the same forward pass up to GEMM rounding...
    expect(Math.abs((fast.losses[0] as number) - (ref.losses[0] as number))).toBeLessThan(1e-6);
    // ...and 40 steps later the runs are still close: rounding differences, not a different computation
    // (measured: losses within 1.6e-7 relative, weights within 6e-8).
    for (let i = 0; i < 40; i++)
      expect(Math.abs((fast.losses[i] as number) - (ref.losses[i] as number)), `step ${i}`).toBeLessThan(
        1e-5 * (ref.losses[i] as number),
      );
    let worst = 0;
    fast.weights.forEach((w, j) => {
      const r = ref.weights[j] as Float64Array;
      for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs((w[i] as number) - (r[i] as number)));
    });
    expect(worst).toBeLessThan(1e-5); // measured 6e-8
    expect(worst).toBeGreaterThan(0); // different summation orders really were used
  });
});
