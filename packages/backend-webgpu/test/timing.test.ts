// GpuTimer (device time for torch.profiler): timestamp queries around compute passes, resolved per
// submit and read back at stop, summed per profiler event. Driven here by hand-made passes (the
// runtime's per-dispatch hook is separate); lavapipe has "timestamp-query".
import * as torch from "@lockstep/core";
import { describe, expect, it } from "vitest";
import { GpuTimer } from "../src/timing.js";
import { adapterName, unavailable } from "./helpers.js";

const device = (): GPUDevice =>
  (torch.zeros([1], { device: "webgpu" })._storage.backend as unknown as { rt: { device: GPUDevice } }).rt.device;

/** A kernel that spins `iters` times per invocation (its result is stored, so it cannot be dropped). */
function spin(dev: GPUDevice, iters: number): GPUComputePipeline {
  const code = `@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  var x = f32(g.x);
  for (var i = 0u; i < ${iters}u; i++) { x = x * 1.0001 + 0.5; }
  out[g.x] = x;
}`;
  return dev.createComputePipeline({ layout: "auto", compute: { module: dev.createShaderModule({ code }), entryPoint: "main" } });
}

describe.skipIf(unavailable !== null)(`webgpu device timer (${adapterName})`, () => {
  it("times each pass and sums the passes of one event; untimed passes and null events are left out", async () => {
    const dev = device();
    expect(dev.features.has("timestamp-query")).toBe(true);
    const light = spin(dev, 4);
    const heavy = spin(dev, 20_000);
    const out = dev.createBuffer({ size: 64 * 64 * 4, usage: 0x80 /* STORAGE */ });
    const timer = new GpuTimer(dev, () => {});
    const run = (p: GPUComputePipeline, groups: number, id: number | null, submit: boolean, enc: GPUCommandEncoder) => {
      timer.attribute(id);
      const pass = enc.beginComputePass({ timestampWrites: timer.passTimestamps() });
      pass.setPipeline(p);
      pass.setBindGroup(
        0,
        dev.createBindGroup({ layout: p.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: out } }] }),
      );
      pass.dispatchWorkgroups(groups);
      pass.end();
      if (submit) {
        timer.beforeSubmit(enc);
        dev.queue.submit([enc.finish()]);
      }
    };
    // lavapipe compiles a pipeline on its first dispatch, inside the timed pass: warm both up first
    let enc = dev.createCommandEncoder();
    run(light, 1, null, false, enc);
    run(heavy, 1, null, true, enc);
    await dev.queue.onSubmittedWorkDone();
    expect(timer.start()).toBe(true);
    enc = dev.createCommandEncoder();
    run(light, 1, 1, false, enc);
    run(heavy, 64, 2, false, enc);
    run(heavy, 64, null, true, enc); // attributed to no event
    enc = dev.createCommandEncoder(); // a second submit: a second resolve batch
    for (let i = 0; i < 3; i++) run(heavy, 64, 3, false, enc);
    run(heavy, 64, 3, true, enc);
    const times = await timer.stop();
    expect([...times.keys()].sort()).toEqual([1, 2, 3]);
    const [t1, t2, t3] = [times.get(1), times.get(2), times.get(3)] as number[];
    // lavapipe's clock ticks in 65.536 µs steps, and the first pass of a submit carries ~2 ms of set-up
    expect(t1).toBeGreaterThanOrEqual(0);
    expect(t2).toBeGreaterThan(10_000); // µs: 64 groups × 64 invocations × 20,000 iterations
    expect(t2).toBeGreaterThan(t1 as number);
    expect(t3).toBeGreaterThan(2 * (t2 as number)); // four such passes (wall-clock noise on a busy CPU stays well inside 2×)
    expect(timer.untimed).toBe(0);
    expect(timer.passTimestamps()).toBeUndefined(); // stopped
    out.destroy();
  });
});
