// No leaks: 1,000 training steps of a small MLP on WebGPU leave torch.memoryStats() and the
// device's allocated/reserved bytes exactly where they were after the first steps (buffers are
// pooled and reused, every intermediate is freed by torch.tidy).
import * as torch from "@lockstep/core";
import { describe, expect, it } from "vitest";
import { memoryAllocated, memoryReserved } from "../src/index.js";
import { adapterName, unavailable } from "./helpers.js";

const STEPS = 1000;
const WARMUP = 5; // the pool grows to its working set during the first steps

describe.skipIf(unavailable !== null)(`webgpu memory (${adapterName})`, () => {
  it(`${STEPS} training steps keep memoryStats(), memoryAllocated() and memoryReserved() flat`, async () => {
    torch.manualSeed(0);
    const model = new torch.nn.Sequential(new torch.nn.Linear(16, 32), new torch.nn.ReLU(), new torch.nn.Linear(32, 4));
    model.to("webgpu");
    const opt = new torch.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    const x = torch.randn([32, 16]).to("webgpu");
    const y = torch.randint(0, 4, [32]).to("webgpu");
    const snapshot = () => ({ stats: torch.memoryStats().webgpu, allocated: memoryAllocated(), reserved: memoryReserved() });
    let baseline: ReturnType<typeof snapshot> | null = null;
    const losses: number[] = [];
    const drift: string[] = [];
    for (let step = 0; step < STEPS; step++) {
      const loss = torch.tidy(() => {
        opt.zeroGrad();
        const l = torch.nn.functional.crossEntropy(model.forward(x) as torch.Tensor, y);
        l.backward();
        opt.step();
        return l;
      });
      losses.push(Number(await loss.item()));
      loss.dispose();
      const now = snapshot();
      if (step === WARMUP) baseline = now;
      // collect the first few differences rather than stopping at the first, to show a trend
      else if (baseline && drift.length < 5 && JSON.stringify(now) !== JSON.stringify(baseline))
        drift.push(`step ${step}: ${JSON.stringify(now)} vs ${JSON.stringify(baseline)}`);
    }
    expect(drift).toEqual([]);
    // what stays alive: each parameter, its grad and its momentum buffer, plus x and y
    expect(baseline?.stats?.storages).toBe(model.parameters().length * 3 + 2);
    expect(baseline?.allocated).toBeGreaterThan(0);
    expect(baseline?.reserved).toBeGreaterThanOrEqual(baseline?.allocated as number);
    // and it trained
    expect(losses[STEPS - 1]).toBeLessThan((losses[0] as number) / 10);
  });
});
