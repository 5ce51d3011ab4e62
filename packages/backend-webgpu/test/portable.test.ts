// Portable numerics (torch.usePortableNumerics): lockstep's own transcendental functions and the
// fixed-order primitives make WebGPU results bitwise equal to the reference, op by op and over
// whole training runs.
import * as torch from "@lockstep/core";
import { afterAll, describe, expect, it } from "vitest";
import { initWebGPU } from "../src/index.js";

const start = await initWebGPU().then(
  (r) => r,
  (e: Error) => e,
);
const why = start instanceof Error ? `skipped: ${start.message}` : start.description;

/** float32 inputs: wide random magnitudes of both signs, plus the special values. */
function inputs(n: number, seed: number): torch.Tensor {
  const g = new torch.Generator().manualSeed(seed);
  const mag = torch.pow(2, torch.rand([n], { generator: g }).mul(60).sub(30));
  const sign = torch.rand([n], { generator: g }).lt(0.5).to("float32").mul(2).sub(1);
  const specials = [0, -0, 1, -1, 0.5, 2, 3, -3, 88.7, 89, -104, 1e-40, -1e-40, 1e38, -1e38, Infinity, -Infinity, NaN];
  return torch.cat([mag.mul(sign), torch.tensor(specials)]);
}

/** The float32 bit patterns; every NaN as 0x7fc00000 (a NaN's sign and payload are not part of the promise). */
async function bits(t: torch.Tensor): Promise<number[]> {
  const d = (await t.data()) as Float32Array;
  return Array.from(new Uint32Array(d.buffer, d.byteOffset, d.length), (b, i) => (Number.isNaN(d[i]) ? 0x7fc00000 : b));
}

describe.skipIf(start instanceof Error)(`portable numerics on webgpu (${why})`, () => {
  torch.usePortableNumerics(true);
  afterAll(() => torch.usePortableNumerics(false));
  const x = inputs(4000, 7);
  const y = inputs(4000, 8);
  const gx = x.to("webgpu");
  const gy = y.to("webgpu");
  const unary: [string, (t: torch.Tensor) => torch.Tensor][] = [
    ["exp", (t) => t.exp()],
    ["log", (t) => t.abs().log()],
    ["log of negatives", (t) => t.log()],
    ["log1p", (t) => t.log1p()],
    ["expm1", (t) => t.expm1()],
    ["log2", (t) => t.abs().log2()],
    ["sin", (t) => t.sin()],
    ["cos", (t) => t.cos()],
    ["tan", (t) => t.tan()],
    ["tanh", (t) => t.tanh()],
    ["sigmoid", (t) => t.sigmoid()],
    ["erf", (t) => t.erf()],
    ["gelu", (t) => torch.nn.functional.gelu(t)],
    ["gelu tanh", (t) => torch.nn.functional.gelu(t, { approximate: "tanh" })],
    ["softplus", (t) => torch.nn.functional.softplus(t)],
    ["log_softmax", (t) => t.reshape([-1, 2]).logSoftmax(1)],
  ];
  for (const [name, fn] of unary)
    it(`${name} is bitwise equal to the reference`, async () => {
      expect(await bits(fn(gx))).toEqual(await bits(fn(x)));
    });
  it("atan2 is bitwise equal to the reference (incl. signed zeros and infinities)", async () => {
    expect(await bits(torch.atan2(gx, gy))).toEqual(await bits(torch.atan2(x, y)));
  });
  it("pow is bitwise equal to the reference (incl. negative bases and integer exponents)", async () => {
    const e = torch.round(y.clamp(-8, 8).mul(2)).div(2); // halves and integers
    expect(await bits(torch.pow(gx.clamp(-1e4, 1e4), e.to("webgpu")))).toEqual(await bits(torch.pow(x.clamp(-1e4, 1e4), e)));
    expect(await bits(torch.pow(gx.abs(), gy.clamp(-3, 3)))).toEqual(await bits(torch.pow(x.abs(), y.clamp(-3, 3))));
  });

  it("an MLP trains 30 Adam steps with bitwise identical losses and weights", async () => {
    const run = async (dev: string) => {
      torch.manualSeed(3);
      const model = new torch.nn.Sequential(
        new torch.nn.Linear(32, 24),
        new torch.nn.GELU(),
        new torch.nn.Linear(24, 16),
        new torch.nn.Tanh(),
        new torch.nn.Linear(16, 5),
      );
      model.to(dev);
      const opt = new torch.optim.Adam(model.parameters(), { lr: 0.01 });
      const xb = torch.randn([16, 32]).to(dev);
      const yb = torch.randint(0, 5, [16]).to(dev);
      const losses: number[] = [];
      for (let i = 0; i < 30; i++) {
        opt.zeroGrad();
        const loss = torch.nn.functional.crossEntropy(model.forward(xb) as torch.Tensor, yb);
        loss.backward();
        opt.step();
        losses.push(Number(await loss.item()));
      }
      const weights = await Promise.all(model.parameters().map((p) => bits(p)));
      return { losses, weights };
    };
    const ref = await run("cpu");
    const gpu = await run("webgpu");
    expect((ref.losses[29] as number) < (ref.losses[0] as number)).toBe(true);
    expect(gpu.losses).toEqual(ref.losses);
    expect(gpu.weights).toEqual(ref.weights);
  });
});
