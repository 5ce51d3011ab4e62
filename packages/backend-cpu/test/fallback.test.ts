// No BLAS library: the backend still works (matmul is the exact reference's) and says why, once.
import * as torch from "@lockstep/core";
import { DeviceUnavailableError, registerDevice } from "@lockstep/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FastCpuBackend, findBlas } from "../src/index.js";
import { values } from "./helpers.js";

const MISSING = ["/nonexistent/libopenblas.so.0", "/nonexistent/libblas.so.3"];
const savedEnv = process.env.LOCKSTEP_BLAS;
afterEach(() => {
  if (savedEnv === undefined) delete process.env.LOCKSTEP_BLAS;
  else process.env.LOCKSTEP_BLAS = savedEnv;
  vi.restoreAllMocks();
});

describe("no BLAS library", () => {
  it("falls back to the reference matmul, reports it, and computes the reference's bits", () => {
    delete process.env.LOCKSTEP_BLAS;
    const messages: string[] = [];
    const b = new FastCpuBackend({ libraries: MISSING, warn: (m) => messages.push(m) });
    const info = b.info();
    expect(info.blas).toBeNull();
    expect(info.threads).toBeNull();
    expect(info.backend).toBe("cpu (reference matmul)");
    // names every library tried and what to install
    expect(info.fallbackReason).toContain("/nonexistent/libopenblas.so.0");
    expect(info.fallbackReason).toContain("/nonexistent/libblas.so.3");
    expect(info.fallbackReason).toMatch(/apt-get install libopenblas0-pthread/);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(info.fallbackReason as string);

    registerDevice("cpu-no-blas", b);
    torch.manualSeed(0);
    const x = torch.randn([33, 70]);
    const w = torch.randn([70, 20]);
    const y = torch.matmul(x.to("cpu-no-blas"), w.to("cpu-no-blas"));
    expect(y.device).toBe("cpu-no-blas");
    expect(values(y)).toEqual(values(torch.matmul(x.to("reference"), w.to("reference"))));
    expect(b.counters).toMatchObject({ gemm: 0, packed: 0, reference: 1 });
  });

  it("the default notice is a process warning, emitted once per process", () => {
    delete process.env.LOCKSTEP_BLAS;
    const emit = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    new FastCpuBackend({ libraries: MISSING });
    new FastCpuBackend({ libraries: MISSING });
    expect(emit).toHaveBeenCalledTimes(1);
    expect(String(emit.mock.calls[0]?.[0])).toMatch(/no BLAS library found.*libopenblas0-pthread/);
    expect(emit.mock.calls[0]?.[1]).toEqual({ code: "LOCKSTEP_NO_BLAS" });
  });

  it("{ requireBlas: true } throws DeviceUnavailableError naming what to install", () => {
    delete process.env.LOCKSTEP_BLAS;
    expect(() => new FastCpuBackend({ libraries: MISSING, requireBlas: true })).toThrow(DeviceUnavailableError);
    expect(() => new FastCpuBackend({ libraries: MISSING, requireBlas: true })).toThrow(
      /initCpu: no BLAS library found.*apt-get install/,
    );
  });

  it("{ blas: false } and LOCKSTEP_BLAS=none turn BLAS off", () => {
    const off = new FastCpuBackend({ blas: false, warn: () => {} });
    expect(off.info().blas).toBeNull();
    expect(off.info().fallbackReason).toMatch(/blas: false/);
    process.env.LOCKSTEP_BLAS = "none";
    expect(findBlas().lib).toBeNull();
    expect(new FastCpuBackend({ warn: () => {} }).info().fallbackReason).toMatch(/LOCKSTEP_BLAS=none/);
  });

  it("a library without CBLAS GEMMs is skipped with the reason", () => {
    delete process.env.LOCKSTEP_BLAS;
    const r = findBlas({ libraries: ["libc.so.6"] });
    expect(r.lib).toBeNull();
    expect(r.tried[0]?.error).toMatch(/no CBLAS GEMM in libc\.so\.6/);
  });

  it("LOCKSTEP_BLAS names the library to use first", () => {
    const found = findBlas();
    if (!found.lib?.path) return; // nothing installed: covered by the tests above
    process.env.LOCKSTEP_BLAS = found.lib.path;
    const r = findBlas({ libraries: MISSING });
    expect(r.lib?.name).toBe(found.lib.path);
    expect(r.tried).toEqual([]);
  });
});
