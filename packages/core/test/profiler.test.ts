// torch.profiler: per-op counts, nested total/self time, memory, device time through a backend's
// timer, and PyTorch's table layout.
import * as torch from "@lockstep/core";
import { describe, expect, it } from "vitest";
import {
  type DeviceTimer,
  type FunctionEvent,
  formatMemory,
  formatTime,
  Profile,
  recordFunction,
  withProfiler,
} from "../src/profiler.js";

/** The reference with a fake device timer: every kernel attributed to an event takes 7 µs per output row. */
class TimedBackend extends torch.ReferenceBackend {
  override readonly name = "timed";
  attributed: (number | null)[] = [];
  deviceTimer(): DeviceTimer {
    const seen = new Map<number, number>();
    return {
      start: () => true,
      attribute: (id) => {
        this.attributed.push(id);
        if (id !== null) seen.set(id, (seen.get(id) ?? 0) + 7);
      },
      stop: async () => seen,
    };
  }
}
const timed = new TimedBackend();
torch.registerDevice("timed", withProfiler(timed));
// the reference, wrapped as storage.ts wraps every registered backend
const dev = "prof";
torch.registerDevice(dev, withProfiler(new torch.ReferenceBackend()));
const D = { device: dev } as const;

const byName = (prof: Profile, name: string) => prof.keyAverages().find((r) => r.key === name);

describe("torch.profiler", () => {
  it("counts calls per op, and nothing before start or after stop", async () => {
    const x = torch.ones([4, 3], D);
    const y = torch.ones([4, 3], D);
    x.add(y);
    const prof = new Profile().start();
    for (let i = 0; i < 3; i++) x.add(y);
    x.mul(2);
    x.mul(3);
    x.matmul(y.t());
    await prof.stop();
    expect(byName(prof, "add")?.count).toBe(3);
    expect(byName(prof, "mul")?.count).toBe(2);
    expect(byName(prof, "matmul")?.count).toBe(1);
    x.add(y);
    expect(byName(prof, "add")?.count).toBe(3);
  });

  it("ranges nest: total = self + children, and ops inside are their children", async () => {
    const x = torch.rand([64, 64], D);
    const prof = new Profile().start();
    recordFunction("outer", () => {
      recordFunction("inner", () => x.matmul(x).relu());
      x.exp();
    });
    await prof.stop();
    const ev = prof.events();
    const outer = ev.find((e) => e.name === "outer") as FunctionEvent;
    const inner = ev.find((e) => e.name === "inner") as FunctionEvent;
    expect(inner.parent).toBe(outer);
    expect(outer.children.map((c) => c.name)).toEqual(["inner", "exp"]);
    expect(inner.children.map((c) => c.name)).toEqual(["matmul", "relu"]);
    for (const e of [outer, inner]) {
      const kids = e.children.reduce((s, c) => s + c.cpuTimeTotal, 0);
      expect(e.selfCpuTimeTotal).toBeCloseTo(e.cpuTimeTotal - kids, 6);
      expect(e.cpuTimeTotal).toBeGreaterThanOrEqual(kids);
    }
    const avg = byName(prof, "outer");
    expect(avg?.cpuTimeTotal).toBe(outer.cpuTimeTotal);
    expect(avg?.cpuTime).toBe(outer.cpuTimeTotal);
  });

  it("async ranges end when their promise settles; a disposable range ends at scope exit", async () => {
    const prof = new Profile().start();
    const r = await recordFunction("load", async () => {
      await new Promise((res) => setTimeout(res, 20));
      return torch.ones([2], D).add(1);
    });
    {
      using _ = recordFunction("block");
      r.mul(2);
    }
    await prof.stop();
    const load = prof.events().find((e) => e.name === "load") as FunctionEvent;
    expect(load.cpuTimeTotal).toBeGreaterThanOrEqual(15_000); // µs: it spans the 20 ms wait
    expect(load.children.map((c) => c.name)).toContain("add");
    expect(
      prof
        .events()
        .find((e) => e.name === "block")
        ?.children.map((c) => c.name),
    ).toEqual(["mul"]);
    expect(recordFunction("no profile", () => 5)).toBe(5); // without a profile it just runs fn
  });

  it("charges an op's output allocation to it and frees to the event they happen in", async () => {
    const x = torch.ones([250], D);
    const prof = new Profile().start();
    const y = x.add(1); // 1000 bytes
    const z = recordFunction("cleanup", () => {
      y.dispose(); // -1000 inside the range
      return x.mul(torch.ones([4, 250], D)); // 4000 bytes for the output (+ the ones it is given, unnamed)
    });
    z.dispose(); // outside any event: [memory]
    await prof.stop();
    expect(byName(prof, "add")?.selfCpuMemoryUsage).toBe(1000);
    expect(byName(prof, "mul")?.selfCpuMemoryUsage).toBe(4000);
    const cleanup = byName(prof, "cleanup");
    expect(cleanup?.selfCpuMemoryUsage).toBe(-1000);
    expect(cleanup?.cpuMemoryUsage).toBe(-1000 + 4000 + 4000);
    expect(byName(prof, "[memory]")?.selfCpuMemoryUsage).toBe(-4000);
    expect(byName(prof, "add")?.selfDeviceMemoryUsage).toBe(0);
  });

  it("takes device time from a backend's timer and shows it in the table", async () => {
    const a = torch.ones([3, 3], { device: "timed" });
    const prof = new Profile({ recordShapes: true }).start();
    recordFunction("step", () => {
      a.add(a);
      a.add(a);
      a.matmul(a);
    });
    await prof.stop();
    const add = byName(prof, "add");
    expect(add?.selfDeviceTimeTotal).toBe(14);
    expect(add?.deviceTime).toBe(7);
    expect(byName(prof, "step")?.deviceTimeTotal).toBe(21);
    expect(byName(prof, "step")?.selfDeviceTimeTotal).toBe(0);
    expect(timed.attributed.at(-1)).toBeNull(); // nothing attributed after stop
    const table = prof.keyAverages().table({ sortBy: "self_cuda_time_total" });
    expect(table).toMatch(/Self TIMED %/);
    expect(table).toMatch(/Self TIMED time total: 21\.000us/);
    const shapes = prof.keyAverages({ groupByInputShape: true }).find((r) => r.key === "add");
    expect(shapes?.inputShapes).toEqual([
      [3, 3],
      [3, 3],
      [3, 3],
    ]);
  });

  it("prints PyTorch's table: columns, sorting, row limit, totals", async () => {
    const x = torch.rand([32, 32], D);
    const prof = new Profile().start();
    recordFunction("model_inference", () => {
      for (let i = 0; i < 4; i++) x.matmul(x).tanh();
    });
    await prof.stop();
    const t = prof.keyAverages().table({ sortBy: "cpu_time_total", rowLimit: 2 });
    const lines = t.trimEnd().split("\n");
    expect(lines[1]).toMatch(
      /^\s+Name\s+Self CPU %\s+Self CPU\s+CPU total %\s+CPU total\s+CPU time avg\s+CPU Mem\s+Self CPU Mem\s+# of Calls$/,
    );
    expect(lines[0]).toMatch(/^-+( +-+)+$/);
    const rows = lines.slice(3, -2);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^\s*model_inference\s+\S+%\s+\S+\s+100\.00%/); // the outermost range: all the time
    expect(rows[0]?.trim().endsWith(" 1")).toBe(true);
    expect(lines.at(-1)).toMatch(/^Self CPU time total: \d+\.\d{3}(us|ms|s)$/);
    expect(() => prof.keyAverages().table({ sortBy: "nonsense" })).toThrow(torch.ValueError);
  });

  it("formats times and memory as PyTorch does", () => {
    expect(formatTime(12.3456)).toBe("12.346us");
    expect(formatTime(1234.5)).toBe("1.234ms"); // toFixed rounds half to even in binary: 1.2345 → 1.234
    expect(formatTime(2_500_000)).toBe("2.500s");
    expect(formatMemory(512)).toBe("512 b");
    expect(formatMemory(-4096)).toBe("-4.00 Kb");
    expect(formatMemory(3 * 1024 * 1024)).toBe("3.00 Mb");
  });

  it("records every registered device, with ops named through kernelFor", async () => {
    const x = torch.rand([8, 8]);
    const prof = new torch.profiler.Profile().start();
    x.sum(1);
    x.amax(0);
    x.cumsum(1);
    x.sort(1);
    await prof.stop();
    const keys = prof.keyAverages().map((r) => r.key);
    for (const k of ["sum", "amax", "cumsum", "sort"]) expect(keys).toContain(k);
    expect(keys).not.toContain("reduce");
  });

  it("allows one active profile at a time", async () => {
    const p = new Profile().start();
    expect(() => new Profile().start()).toThrow(torch.ValueError);
    await p.stop();
    expect(() => p.start()).toThrow(/records once/);
  });
});

describe("chrome trace", () => {
  it("writes one complete event per op and range, nested in time as recorded", async () => {
    const x = torch.rand([16, 16], D);
    const prof = new Profile({ recordShapes: true }).start();
    recordFunction("outer", () => x.matmul(x).relu());
    await prof.stop();
    const { traceEvents } = prof.chromeTrace();
    expect(traceEvents.map((e) => e.name)).toEqual(["outer", "matmul", "relu"]);
    const [outer, mm, relu] = traceEvents as {
      ts: number;
      dur: number;
      ph: string;
      cat: string;
      args: Record<string, unknown>;
    }[];
    expect(outer?.ph).toBe("X");
    expect(outer?.cat).toBe("user_annotation");
    expect(mm?.cat).toBe("cpu_op");
    expect(outer?.ts).toBe(0);
    for (const c of [mm, relu]) {
      expect(c?.ts as number).toBeGreaterThanOrEqual(outer?.ts as number);
      expect((c?.ts as number) + (c?.dur as number)).toBeLessThanOrEqual((outer?.ts as number) + (outer?.dur as number) + 1e-6);
    }
    expect(mm?.args["Input Dims"]).toEqual([
      [1, 16, 16],
      [1, 16, 16],
      [1, 16, 16],
    ]);
    const path = `${await import("node:os").then((o) => o.tmpdir())}/lockstep-trace-${process.pid}.json`;
    await prof.exportChromeTrace(path);
    const fs = await import("node:fs/promises");
    expect(JSON.parse(await fs.readFile(path, "utf8"))).toEqual(JSON.parse(JSON.stringify(prof.chromeTrace())));
    await fs.rm(path);
  });
});
