// Core ops whose CPU path reads values on the host (a zero count, float64 accumulation, a 0-dim CPU
// operand) must work on a device without synchronous readback or float64: checked against the reference.
import * as torch from "@lockstep/core";
import { describe, expect, it } from "vitest";
import { initWebGPU } from "../src/index.js";

const start = await initWebGPU().then(
  (r) => r,
  (e: Error) => e,
);

async function closeTo(gpu: torch.Tensor, cpu: torch.Tensor, rel = 1e-6): Promise<void> {
  expect(gpu.device).toBe("webgpu");
  const a = Array.from((await gpu.data()) as Float32Array);
  const b = Array.from(cpu.dataSync() as Float32Array);
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - (b[i] as number))).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(b[i] as number))));
}

async function gradOn(dev: string, src: torch.Tensor, f: (a: torch.Tensor) => torch.Tensor): Promise<torch.Tensor> {
  const a = src.to(dev).detach().requiresGrad_(true);
  f(a).sum().backward();
  return a.grad as torch.Tensor;
}

describe.skipIf(start instanceof Error)("ops with host-side paths on webgpu", () => {
  const x = torch.tensor([
    [1.5, 2, 3],
    [4, 0.5, 6],
  ]);
  const xz = torch.tensor([
    [1.5, 0, 3],
    [4, 0.5, 6],
  ]);
  const cases: [string, torch.Tensor, (a: torch.Tensor) => torch.Tensor][] = [
    ["prod(dim) backward", x, (a) => a.prod(1)],
    ["prod(dim) backward with a zero", xz, (a) => a.prod(1)],
    ["prod() backward with a zero", xz, (a) => a.prod()],
    ["cumprod backward", x, (a) => a.cumprod(1)],
    ["cumprod backward with a zero", xz, (a) => a.cumprod(1)],
    ["var backward", x, (a) => a.var(1)],
    ["pow(tensor, 2.5) backward", x, (a) => torch.pow(a, 2.5)],
    ["norm(p=3) backward", x, (a) => torch.norm(a, 3)],
  ];
  for (const [name, src, f] of cases)
    it(name, async () => {
      // pow's gradient goes through the driver's pow (a few ulp in fast mode)
      await closeTo(await gradOn("webgpu", src, f), await gradOn("cpu", src, f), 1e-6);
    });

  it("var/std/trace accumulate in float32 where float64 is missing (within float32 rounding)", async () => {
    const g = x.to("webgpu");
    await closeTo(g.var(), x.var(), 1e-6);
    await closeTo(g.std(1), x.std(1), 1e-6);
    await closeTo(torch.trace(g), torch.trace(x), 0);
  });

  it("arange/linspace on webgpu are the reference's bits (computed on the host)", async () => {
    await closeTo(torch.arange(0, 1, 0.1, { device: "webgpu" }), torch.arange(0, 1, 0.1), 0);
    await closeTo(torch.linspace(-3, 7, 13, { device: "webgpu" }), torch.linspace(-3, 7, 13), 0);
    expect(torch.arange(5, { device: "webgpu", dtype: "float32", requiresGrad: true }).requiresGrad).toBe(true);
  });

  it("a 0-dim CPU tensor combines with webgpu tensors as a scalar (PyTorch's rule)", async () => {
    await closeTo(x.to("webgpu").mul(torch.tensor(3)), x.mul(3), 0);
    await closeTo(torch.add(torch.tensor(2.5), x.to("webgpu")), x.add(2.5), 0);
    expect(() => x.to("webgpu").mul(torch.tensor([3]))).toThrow(torch.DeviceError);
  });

  it("ops whose output size depends on values say they need a readback", () => {
    const g = x.to("webgpu");
    expect(() => g.nonzero()).toThrow(/read back/);
  });
});
