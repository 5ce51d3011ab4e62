// First end-to-end checks of the WebGPU backend against the reference: exact for the contract's
// fixed-order primitives, ULP-bounded for the driver's transcendentals. The conformance package
// runs the full op suite; these keep the backend's own package honest on its own.
import * as torch from "@lockstep/core";
import { describe, expect, it } from "vitest";
import { initWebGPU } from "../src/index.js";

const start = await initWebGPU().then(
  (r) => r,
  (e: Error) => e,
);
const why = start instanceof Error ? `skipped: ${start.message}` : start.description;

const f32 = new Float32Array(1);
const u32 = new Int32Array(f32.buffer);
/** Distance in units in the last place between two float32 values (monotone integer mapping). */
function ulp(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Number.POSITIVE_INFINITY;
  const key = (x: number) => {
    f32[0] = x;
    const i = u32[0] as number;
    return i < 0 ? -2147483648 - i : i;
  };
  return Math.abs(key(a) - key(b));
}

async function maxUlp(cpu: torch.Tensor, gpu: torch.Tensor): Promise<number> {
  expect(gpu.device).toBe("webgpu");
  const x = cpu.dataSync() as Float32Array;
  const y = (await gpu.data()) as Float32Array;
  expect(y.length).toBe(x.length);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, ulp(x[i] as number, y[i] as number));
  return m;
}

async function same(cpu: torch.Tensor, gpu: torch.Tensor): Promise<void> {
  expect(gpu.device).toBe("webgpu");
  expect(gpu.dtype).toBe(cpu.dtype);
  expect(Array.from((await gpu.data()) as ArrayLike<unknown>)).toEqual(Array.from(cpu.dataSync() as ArrayLike<unknown>));
}

describe.skipIf(start instanceof Error)(`webgpu backend (${why})`, () => {
  torch.manualSeed(0);
  const a = torch.randn([33, 17]);
  const b = torch.randn([17, 9]);
  const ga = a.to("webgpu");
  const gb = b.to("webgpu");

  it("elementwise arithmetic, views and casts equal the reference bit for bit", async () => {
    await same(a.add(a).mul(2).sub(b.sum()).div(3), ga.add(ga).mul(2).sub(gb.sum()).div(3));
    await same(a.t().contiguous(), ga.t().contiguous());
    await same(a.relu(), ga.relu());
    await same(a.sqrt(), ga.sqrt());
    await same(a.mul(100).to("int32"), ga.mul(100).to("int32"));
    await same(a.mul(1e6).to("int64").add(3), ga.mul(1e6).to("int64").add(3));
    await same(a.to("float16").mul(3), ga.to("float16").mul(3));
    await same(a.to("bfloat16").add(1), ga.to("bfloat16").add(1));
    await same(a.gt(0), ga.gt(0));
    await same(torch.fmod(a.mul(7), 0.75), torch.fmod(ga.mul(7), 0.75));
    await same(torch.remainder(a.mul(7), -0.75), torch.remainder(ga.mul(7), -0.75));
  });

  it("reductions, matmul, scans and sorts keep the contract's order", async () => {
    await same(a.sum(1), ga.sum(1));
    await same(a.sum(), ga.sum());
    await same(a.amax(0), ga.amax(0));
    await same(a.argmax(1), ga.argmax(1));
    await same(a.gt(0).sum(1), ga.gt(0).sum(1));
    await same(torch.matmul(a, b), torch.matmul(ga, gb));
    await same(torch.matmul(b.t(), a.t()), torch.matmul(gb.t(), ga.t()));
    await same(a.cumsum(1), ga.cumsum(1));
    await same(a.sort(1)[0], ga.sort(1)[0]);
    await same(a.sort(1, true)[1], ga.sort(1, true)[1]);
  });

  it("the driver's transcendentals stay within a few ulp of the reference", async () => {
    // lavapipe's exp/tanh are not correctly rounded; portable numerics (issue 6) will remove this
    expect(await maxUlp(a.exp(), ga.exp())).toBeLessThanOrEqual(4);
    expect(await maxUlp(a.tanh(), ga.tanh())).toBeLessThanOrEqual(8);
    expect(await maxUlp(a.sigmoid(), ga.sigmoid())).toBeLessThanOrEqual(8);
  });

  it("float64 is refused with a DTypeError", () => {
    expect(() => torch.zeros([2], { dtype: "float64", device: "webgpu" })).toThrow(torch.DTypeError);
  });

  it("trains an MLP step by step within float32 rounding of the reference", async () => {
    const run = async (dev: string) => {
      torch.manualSeed(1);
      const model = new torch.nn.Sequential(new torch.nn.Linear(20, 16), new torch.nn.ReLU(), new torch.nn.Linear(16, 4));
      model.to(dev);
      const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
      const x = torch.randn([8, 20]).to(dev);
      const y = torch.randint(0, 4, [8]).to(dev);
      const losses: number[] = [];
      for (let i = 0; i < 5; i++) {
        opt.zeroGrad();
        const loss = torch.nn.functional.crossEntropy(model.forward(x) as torch.Tensor, y);
        loss.backward();
        opt.step();
        losses.push(Number(await loss.item()));
      }
      return losses;
    };
    const ref = await run("cpu");
    const gpu = await run("webgpu");
    expect(ref[4]).toBeLessThan(ref[0] as number);
    for (let i = 0; i < 5; i++) expect(Math.abs((gpu[i] as number) - (ref[i] as number))).toBeLessThan(1e-5);
  });
});
