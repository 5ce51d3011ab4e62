// torch.profiler on WebGPU: per-op counts and device memory of a training step. Runs once core
// exports torch.profiler and wraps registered backends with withProfiler (storage.ts); until then
// it is reported as skipped with that reason.
import * as torch from "@lockstep/core";
import { describe, expect, it } from "vitest";
import { adapterName, unavailable } from "./helpers.js";

/** The part of core's profiler module this test uses. */
interface ProfilerApi {
  Profile: new () => {
    start(): unknown;
    stop(): Promise<void>;
    keyAverages(): {
      key: string;
      count: number;
      selfDeviceMemoryUsage: number;
      selfCpuMemoryUsage: number;
      selfDeviceTimeTotal: number | null;
    }[] & {
      table(o?: { sortBy?: string }): string;
    };
  };
  recordFunction<T>(name: string, fn: () => T): T;
}
const profiler = (torch as unknown as { profiler?: ProfilerApi }).profiler;
const why = unavailable ?? (profiler ? adapterName : "skipped: @lockstep/core does not export torch.profiler yet");

describe.skipIf(unavailable !== null || !profiler)(`torch.profiler on webgpu (${why})`, () => {
  it("counts each op of a training step and charges its output's device memory to it", async () => {
    const p = profiler as ProfilerApi;
    torch.manualSeed(0);
    const model = new torch.nn.Sequential(new torch.nn.Linear(16, 128), new torch.nn.ReLU(), new torch.nn.Linear(128, 4));
    model.to("webgpu");
    const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1 });
    const x = torch.randn([32, 16]).to("webgpu");
    const y = torch.randint(0, 4, [32]).to("webgpu");
    const STEPS = 3;
    const prof = new p.Profile();
    prof.start();
    for (let i = 0; i < STEPS; i++) {
      const loss = p.recordFunction("train_step", () =>
        torch.tidy(() => {
          opt.zeroGrad();
          const l = torch.nn.functional.crossEntropy(model.forward(x) as torch.Tensor, y);
          l.backward();
          opt.step();
          return l;
        }),
      );
      await loss.item();
      loss.dispose();
    }
    await prof.stop();
    const rows = prof.keyAverages();
    const row = (k: string) => rows.find((r) => r.key === k);
    expect(row("train_step")?.count).toBe(STEPS);
    expect(row("relu")?.count).toBe(STEPS);
    expect(row("relu")?.selfDeviceMemoryUsage).toBe(STEPS * 32 * 128 * 4); // its float32 output, on the device
    expect(row("relu")?.selfCpuMemoryUsage).toBe(0);
    expect(row("matmul")?.count).toBeGreaterThanOrEqual(STEPS * 2); // at least the two forward products
    expect((row("matmul")?.count as number) % STEPS).toBe(0);
    expect(row("read")?.count).toBe(STEPS); // one loss.item() per step
    expect(prof.keyAverages().table({ sortBy: "cpu_time_total" })).toMatch(/train_step/);
    // device time from timestamp queries, where the adapter has them (lavapipe does)
    const dev = (torch.zeros([1], { device: "webgpu" })._storage.backend as unknown as { rt: { device: GPUDevice } }).rt.device;
    if (dev.features.has("timestamp-query")) {
      expect(row("matmul")?.selfDeviceTimeTotal).toBeGreaterThan(0);
      expect(row("read")?.selfDeviceTimeTotal).toBe(0); // a copy, no compute pass
      expect(prof.keyAverages().table()).toMatch(/Self WEBGPU time total: /);
    }
  });
});
