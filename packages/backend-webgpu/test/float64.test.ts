// WGSL has no f64: everything that would put a float64 tensor on WebGPU raises DTypeError — at
// creation, on .to(), through an op's dtype option, and via the default dtype — while the same
// calls on "cpu" produce float64. Nothing is left allocated by a refused call.
import * as torch from "@lockstep/core";
import { describe, expect, it } from "vitest";
import { adapterName, unavailable } from "./helpers.js";

const F64 = { dtype: "float64" } as const;
/** Calls that ask for a float64 result on `dev`; each returns the tensor it made. */
const cases: [string, (dev: string) => torch.Tensor][] = [
  ["zeros", (dev) => torch.zeros([2, 3], { ...F64, device: dev })],
  ["ones", (dev) => torch.ones([2], { ...F64, device: dev })],
  ["full", (dev) => torch.full([2], 1.5, { ...F64, device: dev })],
  ["empty", (dev) => torch.empty([2], { ...F64, device: dev })],
  ["tensor", (dev) => torch.tensor([1, 2], { ...F64, device: dev })],
  ["arange", (dev) => torch.arange(0, 4, 1, { ...F64, device: dev })],
  ["linspace", (dev) => torch.linspace(0, 1, 5, { ...F64, device: dev })],
  ["eye", (dev) => torch.eye(2, { ...F64, device: dev })],
  ["rand", (dev) => torch.rand([2], { ...F64, device: dev })],
  ["randn", (dev) => torch.randn([2], { ...F64, device: dev })],
  ["zerosLike", (dev) => torch.zerosLike(torch.ones([2], { device: dev }), F64)],
  ["float64 cpu tensor .to(device)", (dev) => torch.zeros([2], F64).to(dev)],
  [".to('float64')", (dev) => torch.ones([2], { device: dev }).to("float64")],
  [".to({ device, dtype })", (dev) => torch.ones([2]).to({ device: dev, dtype: "float64" })],
  [".double()", (dev) => torch.ones([2], { device: dev }).double()],
  ["sum(..., { dtype })", (dev) => torch.ones([2, 2], { device: dev }).sum(1, false, F64)],
  ["cumsum(..., { dtype })", (dev) => torch.ones([2, 2], { device: dev }).cumsum(1, F64)],
  ["softmax(..., { dtype })", (dev) => torch.ones([2, 2], { device: dev }).softmax(1, F64)],
  [
    "setDefaultDtype('float64') then a float factory",
    (dev) => {
      torch.setDefaultDtype("float64");
      try {
        return torch.rand([2], { device: dev });
      } finally {
        torch.setDefaultDtype("float32");
      }
    },
  ],
];

const webgpuStats = () => torch.memoryStats().webgpu ?? { tensors: 0, storages: 0, bytes: 0 };

describe.skipIf(unavailable !== null)(`float64 on webgpu (${adapterName})`, () => {
  it.each(cases)("%s gives float64 on cpu", (_name, make) => {
    const t = make("cpu");
    expect(t.dtype).toBe("float64");
    expect(t.device).toBe("cpu");
    t.dispose();
  });

  it.each(cases)("%s raises DTypeError on webgpu and allocates nothing", (_name, make) => {
    const before = webgpuStats();
    let err: unknown = null;
    try {
      torch.tidy(() => make("webgpu")); // tidy frees the float32 inputs some cases make first
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(torch.DTypeError);
    expect((err as Error).message).toMatch(/float64 is not supported on webgpu \(WGSL has no f64\)/);
    expect((err as Error).message).toMatch(/use float32/);
    expect(webgpuStats()).toEqual(before);
  });

  it("a model moved to webgpu cannot be made float64, and stays usable in float32", async () => {
    torch.manualSeed(0);
    const m = new torch.nn.Linear(3, 2);
    m.to("webgpu");
    expect(() => m.to("float64")).toThrow(torch.DTypeError);
    for (const p of m.parameters()) expect([p.dtype, p.device]).toEqual(["float32", "webgpu"]);
    const y = m.forward(torch.ones([1, 3], { device: "webgpu" })) as torch.Tensor;
    expect(((await y.data()) as Float32Array).length).toBe(2);
  });
});
