// The torch.cuda-style device utilities for WebGPU, against what the tests allocate and free.
import * as torch from "@lockstep/core";
import { describe, expect, it } from "vitest";
import {
  currentDevice,
  deviceCount,
  emptyCache,
  getDeviceName,
  initWebGPU,
  isAvailable,
  memoryAllocated,
  memoryReserved,
  synchronize,
  webgpu,
} from "../src/index.js";
import { adapterName, unavailable } from "./helpers.js";

describe.skipIf(unavailable !== null)(`webgpu device utilities (${adapterName})`, () => {
  it("report one started adapter by its description", async () => {
    expect(await isAvailable()).toBe(true);
    expect(deviceCount()).toBe(1);
    expect(currentDevice()).toBe(0);
    const { description } = await initWebGPU(); // a second call returns the same device
    expect(getDeviceName()).toBe(description);
    expect(getDeviceName().length).toBeGreaterThan(0);
  });

  it("memoryAllocated counts live buffers (16-byte granules), memoryReserved adds the pool, emptyCache empties it", async () => {
    await synchronize();
    emptyCache();
    const base = memoryAllocated();
    expect(memoryReserved()).toBe(base); // nothing pooled after emptyCache
    const a = torch.ones([1000], { device: "webgpu" }); // 4000 bytes
    const b = torch.ones([3], { dtype: "int32", device: "webgpu" }); // 12 → 16 bytes
    expect(memoryAllocated() - base).toBe(4000 + 16);
    a.dispose();
    expect(memoryAllocated() - base).toBe(16);
    expect(memoryReserved() - base).toBe(4016); // a's buffer waits in the pool
    const d = torch.zeros([1000], { device: "webgpu" }); // same size: reuses it
    expect(memoryReserved() - base).toBe(4016);
    expect(Array.from((await d.data()) as Float32Array).every((v) => v === 0)).toBe(true); // zeroed on reuse
    torch.dispose([b, d]);
    expect(memoryAllocated()).toBe(base);
    expect(memoryReserved() - base).toBe(4016);
    emptyCache();
    expect(memoryReserved()).toBe(base);
  });

  it("synchronize submits queued work and resolves", async () => {
    const x = torch.rand([256, 256], { device: "webgpu" });
    const y = x.matmul(x).sum();
    await synchronize();
    expect(Number.isFinite(Number(await y.item()))).toBe(true);
    torch.dispose([x, y]);
  });

  it("the same utilities as one object with torch.cuda's members", async () => {
    expect(webgpu.type).toBe("webgpu");
    expect(torch.getDeviceModule("webgpu")).toBe(webgpu); // registered by initWebGPU
    expect(torch.getDeviceModule().type).toBe("webgpu"); // the started accelerator
    expect(webgpu.memoryAllocated).toBe(memoryAllocated);
    expect(webgpu.getDeviceName()).toBe(getDeviceName());
    expect(Object.keys(webgpu).sort()).toEqual(
      [
        "type",
        "isAvailable",
        "deviceCount",
        "currentDevice",
        "getDeviceName",
        "synchronize",
        "emptyCache",
        "memoryAllocated",
        "memoryReserved",
      ].sort(),
    );
  });
});
