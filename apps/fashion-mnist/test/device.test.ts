// The trainer's device set-up: "cpu" is the fast backend (BLAS matmul), "reference" the exact one.

import { cpuBackend, cpuBackendInfo } from "@lockstep/backend-cpu";
import * as torch from "@lockstep/core";
import { afterAll, describe, expect, it } from "vitest";
import { setupDevice } from "../src/device.js";
import { parseOptions } from "../src/options.js";

afterAll(() => torch.setNumThreads(2));

describe("setupDevice", () => {
  it('"cpu" registers the fast backend and names its BLAS (or why there is none)', () => {
    const line = setupDevice("cpu");
    const info = cpuBackendInfo();
    expect(info).not.toBeNull();
    if (info?.blas) expect(line).toContain(info.blas.path ?? info.blas.vendor);
    else expect(line).toContain(info?.fallbackReason as string);
    const before = cpuBackend()?.counters.gemm ?? 0;
    torch.matmul(torch.ones([4, 3]), torch.ones([3, 2]));
    expect(cpuBackend()?.counters.gemm).toBe(before + (info?.blas ? 1 : 0));
  });

  it("--threads sets the BLAS thread count", () => {
    const o = parseOptions(["--threads", "1"]);
    expect(o !== "help" && o.threads).toBe(1);
    setupDevice("cpu", 1);
    if (cpuBackendInfo()?.blas?.vendor === "openblas") expect(cpuBackendInfo()?.threads).toBe(1);
    expect(torch.getNumThreads()).toBe(1);
  });

  it('"reference" leaves the exact backend in charge', () => {
    expect(setupDevice("reference")).toMatch(/^reference \(exact/);
    const y = torch.matmul(torch.ones([2, 3], { device: "reference" }), torch.ones([3, 2], { device: "reference" }));
    expect(y.device).toBe("reference");
    expect(y.dataSync()).toEqual(new Float32Array([3, 3, 3, 3]));
  });
});
