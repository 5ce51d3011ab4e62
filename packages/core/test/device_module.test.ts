// torch.getDeviceModule: the same device utilities for every device.
import * as torch from "@lockstep/core";
import { describe, expect, it } from "vitest";
import { cpuModule as cpu, type DeviceModule, getDeviceModule, registerDeviceModule } from "../src/device_module.js";

describe("device modules", () => {
  it("cpu reports the host: available, one device, named after its backend", async () => {
    expect(getDeviceModule("cpu")).toBe(cpu);
    expect(await cpu.isAvailable()).toBe(true);
    expect(cpu.deviceCount()).toBe(1);
    expect(cpu.currentDevice()).toBe(0);
    expect(cpu.getDeviceName()).toContain(torch.zeros([1])._storage.backend.name);
    await expect(cpu.synchronize()).resolves.toBeUndefined();
  });

  it("memoryAllocated follows live storages on the device", () => {
    const before = cpu.memoryAllocated();
    const t = torch.zeros([100], { dtype: "float32" });
    const v = t.view([10, 10]); // a view shares the storage: no new bytes
    expect(cpu.memoryAllocated() - before).toBe(400);
    expect(cpu.memoryReserved()).toBe(cpu.memoryAllocated());
    t.dispose();
    v.dispose();
    expect(cpu.memoryAllocated()).toBe(before);
    const r = getDeviceModule("reference");
    const before2 = r.memoryAllocated();
    const u = torch.ones([3], { dtype: "float64", device: "reference" });
    expect(r.memoryAllocated() - before2).toBe(24);
    expect(cpu.memoryAllocated()).toBe(before); // per device
    u.dispose();
  });

  it("an unknown device raises DeviceError saying how to start it", () => {
    expect(() => getDeviceModule("nonesuch")).toThrow(torch.DeviceError);
    expect(() => getDeviceModule("nonesuch")).toThrow(/await its initialisation/);
  });

  it("without a device: the latest accelerator registered, else cpu", async () => {
    expect(getDeviceModule().type).toBe("cpu");
    const fake: DeviceModule = { ...cpu, type: "fake-accel", getDeviceName: () => "Fake 1" };
    registerDeviceModule(fake);
    expect(getDeviceModule()).toBe(fake);
    expect(getDeviceModule("fake-accel").getDeviceName()).toBe("Fake 1");
  });
});
