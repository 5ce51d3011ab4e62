// torch.useDeterministicAlgorithms(true) on WebGPU: no kernel uses atomics (each primitive has one
// fixed order), so training runs raise nothing and repeat bit for bit; a backend that declared a
// primitive nondeterministic would be refused by name.
import * as torch from "@lockstep/core";
import { afterEach, describe, expect, it } from "vitest";
import { adapterName, unavailable } from "./helpers.js";

afterEach(() => torch.useDeterministicAlgorithms(false));

/** Float32 bits of every parameter and of each step's loss. */
async function train(steps: number): Promise<{ losses: number[]; params: number[][] }> {
  torch.manualSeed(7);
  const emb = new torch.nn.Embedding(10, 8);
  const head = new torch.nn.Sequential(new torch.nn.Linear(8, 16), new torch.nn.Tanh(), new torch.nn.Linear(16, 4));
  emb.to("webgpu");
  head.to("webgpu");
  const params = [...emb.parameters(), ...head.parameters()];
  const opt = new torch.optim.Adam(params, { lr: 0.01 });
  // repeated token ids: the embedding's backward accumulates many rows into one (atomics' classic use)
  const tokens = torch.randint(0, 10, [16, 6]).to("webgpu");
  const target = torch.randint(0, 4, [16]).to("webgpu");
  const bits = new Uint32Array(1);
  const f = new Float32Array(bits.buffer);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = torch.tidy(() => {
      opt.zeroGrad();
      const h = (emb.forward(tokens) as torch.Tensor).cumsum(1).mean(1); // scan, reduce
      const sorted = h.sort(1)[0]; // sort; its backward scatters
      const l = torch.nn.functional.crossEntropy(head.forward(sorted) as torch.Tensor, target); // matmul
      l.backward();
      opt.step();
      return l;
    });
    f[0] = Number(await loss.item());
    losses.push(bits[0] as number);
    loss.dispose();
  }
  const out = {
    losses,
    params: await Promise.all(params.map(async (p) => Array.from(new Uint32Array(((await p.data()) as Float32Array).buffer)))),
  };
  torch.dispose([params, tokens, target]);
  return out;
}

describe.skipIf(unavailable !== null)(`webgpu deterministic mode (${adapterName})`, () => {
  it("training with useDeterministicAlgorithms(true) raises nothing and repeats bit for bit", async () => {
    torch.useDeterministicAlgorithms(true);
    const a = await train(15);
    const b = await train(15);
    expect(b.losses).toEqual(a.losses);
    expect(b.params).toEqual(a.params);
    // it trained (the comparison is not between two untouched initialisations)
    const f = (u: number) => new Float32Array(new Uint32Array([u]).buffer)[0] as number;
    expect(f(a.losses[14] as number)).toBeLessThan(f(a.losses[0] as number));
  });

  it("a WebGPU kernel declared nondeterministic is refused by name, and allowed when the mode is off", async () => {
    // the real backend, but declaring its scatter nondeterministic (as an atomics-based kernel would)
    const real = torch.zeros([1], { device: "webgpu" })._storage.backend;
    // (writable and configurable: registerDevice may wrap the backend in a Proxy, whose get must be free to return a bound copy)
    const own = { writable: true, configurable: true };
    const atomic = Object.create(real, {
      name: { value: "webgpu-atomic", ...own },
      isDeterministic: { value: (p: string) => p !== "scatter", ...own },
    }) as torch.Backend;
    torch.registerDevice("webgpu-atomic", atomic);
    const x = torch.zeros([4], { device: "webgpu-atomic" });
    const index = torch.tensor([0, 2, 2], { device: "webgpu-atomic" });
    const src = torch.tensor([1, 2, 3], { dtype: "float32", device: "webgpu-atomic" });
    expect(Array.from((await x.indexAdd(0, index, src).data()) as Float32Array)).toEqual([1, 0, 5, 0]);
    torch.useDeterministicAlgorithms(true);
    expect(() => x.indexAdd(0, index, src)).toThrow(torch.NondeterministicError);
    expect(() => x.indexAdd(0, index, src)).toThrow(/webgpu-atomic.*scatter/);
    // the same op on the real backend passes: its scatter is sequential
    const ok = torch
      .zeros([4], { device: "webgpu" })
      .indexAdd(
        0,
        torch.tensor([0, 2, 2], { device: "webgpu" }),
        torch.tensor([1, 2, 3], { dtype: "float32", device: "webgpu" }),
      );
    expect(Array.from((await ok.data()) as Float32Array)).toEqual([1, 0, 5, 0]);
  });
});
