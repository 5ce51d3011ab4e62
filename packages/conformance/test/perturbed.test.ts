// The runner must catch differences: backends that differ from the reference in one known place are
// registered like any other, and their reports must flag only the ops that reach that place, each
// with a shrunk reproducer.
import type { Backend, DType, ReduceKernel, TypedArray, View } from "@lockstep/core";
import * as torch from "@lockstep/core";
import { beforeAll, describe, expect, it } from "vitest";
import { registerBackend, startBackend } from "../src/backends.js";
import { runDeterminismChecks } from "../src/checks.js";
import { flushSubnormals } from "../src/compare.js";
import type { OpStats } from "../src/report.js";
import { knownIssue, runSpec, type StartedStatus } from "../src/runner.js";
import { SPECS } from "../src/specs.js";

type Exp = Parameters<Backend["elementwise"]>[0];

/** Every element position of a view (row-major), as offsets into its buffer. */
function* positions(v: View): Generator<number> {
  const n = v.shape.reduce((a, b) => a * b, 1);
  for (let i = 0; i < n; i++) {
    let rest = i;
    let off = v.offset;
    for (let d = v.shape.length - 1; d >= 0; d--) {
      const size = v.shape[d] as number;
      off += (rest % size) * (v.strides[d] as number);
      rest = Math.floor(rest / size);
    }
    yield off;
  }
}

/** The reference, but float32 kernels whose expression is exp(...) get their last bit flipped. */
class ExpBitFlip extends torch.ReferenceBackend {
  override readonly name = "exp-bit-flip";
  triggered = false;
  override elementwise(e: Exp, out: View, inputs: readonly View[]): void {
    super.elementwise(e, out, inputs);
    if (e.k !== "un" || e.op !== "exp" || out.dtype !== "float32") return;
    this.triggered = true;
    const u = new Uint32Array((out.buf as Float32Array).buffer);
    for (const p of positions(out)) u[p] = (u[p] as number) ^ 1;
  }
}

/** The reference, but plain float32/float64 sums are sequential left to right instead of the pairwise tree. */
class SequentialSum extends torch.ReferenceBackend {
  override readonly name = "sequential-sum";
  triggered = false;
  override reduce(k: ReduceKernel, out: View, input: View, nReduced: number): void {
    super.reduce(k, out, input, nReduced);
    const f32 = out.dtype === "float32";
    const plain =
      k.op === "sum" && k.map.k === "load" && k.post.k === "acc" && (f32 || out.dtype === "float64") && input.dtype === out.dtype;
    const outer = input.shape.length - nReduced;
    const m = input.shape.slice(outer).reduce((a, b) => a * b, 1);
    if (!plain || m < 3) return;
    this.triggered = true;
    const src = input.buf as Float32Array | Float64Array;
    const dst = out.buf as Float32Array | Float64Array;
    const outPos = [...positions(out)];
    const inPos = [...positions(input)];
    outPos.forEach((o, i) => {
      let acc = src[inPos[i * m] as number] as number;
      for (let j = 1; j < m; j++) {
        acc += src[inPos[i * m + j] as number] as number;
        if (f32) acc = Math.fround(acc);
      }
      dst[o] = acc;
    });
  }
}

/** The reference, but float16 subnormals are flushed to zero when written to the device and in elementwise results. */
class Fp16FlushToZero extends torch.ReferenceBackend {
  override readonly name = "fp16-ftz";
  override write(buf: unknown, dtype: DType, data: TypedArray): void {
    super.write(buf, dtype, dtype === "float16" ? flushSubnormals(dtype, data) : data);
  }
  override elementwise(e: Exp, out: View, inputs: readonly View[]): void {
    super.elementwise(e, out, inputs);
    if (out.dtype !== "float16") return;
    const h = out.buf as Uint16Array;
    for (const p of positions(out)) if (((h[p] as number) & 0x7c00) === 0) h[p] = (h[p] as number) & 0x8000;
  }
}

/** The reference, but its scatter primitive declares itself nondeterministic (atomics on a GPU). */
class AtomicScatter extends torch.ReferenceBackend {
  override readonly name = "atomic-scatter";
  override isDeterministic(p: "reduce" | "scan" | "matmul" | "sort" | "scatter"): boolean {
    return p !== "scatter";
  }
}

const expFlip = new ExpBitFlip();
const seqSum = new SequentialSum();
torch.registerDevice("exp-bit-flip", expFlip);
torch.registerDevice("sequential-sum", seqSum);
torch.registerDevice("atomic-scatter", new AtomicScatter());
torch.registerDevice("fp16-ftz", new Fp16FlushToZero());
registerBackend({
  name: "fp16-ftz",
  init: async () => ({ device: "fp16-ftz", description: "flushes float16 subnormals (test)" }),
});
registerBackend({
  name: "fp16-ftz-declared",
  init: async () => ({
    device: "fp16-ftz",
    description: "flushes float16 subnormals, declared (test)",
    flushesSubnormals: ["float16"],
  }),
});
for (const device of ["exp-bit-flip", "sequential-sum", "atomic-scatter"])
  registerBackend({ name: device, init: async () => ({ device, description: "deliberately perturbed reference (test)" }) });

const RUNS = 25;
const SEED = 7;

/** Run every spec; record which failed and which reached the perturbation. */
async function sweep(b: StartedStatus, spy: { triggered: boolean }) {
  const flagged: Record<string, OpStats> = {};
  const reached = new Set<string>();
  for (const spec of SPECS) {
    if (knownIssue(spec, "*")) continue; // open core bugs fail on every non-cpu device anyway
    spy.triggered = false;
    const r = await runSpec(spec, b, { numRuns: RUNS, seed: SEED });
    if (spy.triggered) reached.add(spec.name);
    if (r.failures.length) flagged[spec.name] = r;
  }
  return { flagged, reached };
}

describe("the runner catches a backend that flips the last bit of exp", () => {
  let res: Awaited<ReturnType<typeof sweep>>;
  beforeAll(async () => {
    res = await sweep((await startBackend("exp-bit-flip")) as StartedStatus, expFlip);
  }, 300_000);

  it("flags exp, with a shrunk reproducer one ulp off", () => {
    const f = res.flagged.exp?.failures[0];
    expect(f).toBeDefined();
    const rep = f?.reproducer as { shrunk: boolean; inputs: { shape: number[]; storage: unknown[] }[] };
    expect(rep.shrunk).toBe(true);
    // minimal: one input of at most one element
    expect(rep.inputs.length).toBe(1);
    expect(rep.inputs[0]?.storage.length).toBeLessThanOrEqual(1);
    expect(f?.detail).toMatch(/\b1 ulp > 0 promised/);
  });

  it("flags only ops that reach an exp kernel", () => {
    const flagged = Object.keys(res.flagged);
    expect(flagged.length).toBeGreaterThan(0);
    expect(flagged.filter((k) => !res.reached.has(k))).toEqual([]);
    // and ops that never run exp are clean
    for (const k of ["add", "mul", "sum", "mm", "sort", "relu", "log", "tanh", "cumsum", "gather"])
      expect(flagged).not.toContain(k);
    // the ops built on exp's kernel are caught too
    for (const k of ["softmax", "logsumexp"]) expect(flagged).toContain(k);
  });
});

describe("the runner catches a backend that sums in another order", () => {
  let res: Awaited<ReturnType<typeof sweep>>;
  beforeAll(async () => {
    res = await sweep((await startBackend("sequential-sum")) as StartedStatus, seqSum);
  }, 300_000);

  it("flags sum with a shrunk reproducer", async () => {
    // a reordered sum differs only on some inputs (the sweep's 25 cases may all agree): more cases
    const b = (await startBackend("sequential-sum")) as StartedStatus;
    const r = await runSpec(SPECS.find((s) => s.name === "sum") as (typeof SPECS)[number], b, { numRuns: 100, seed: SEED });
    const f = r.failures[0];
    expect(f).toBeDefined();
    const rep = f?.reproducer as { shrunk: boolean; inputs: { dtype: string; shape: number[] }[] };
    expect(rep.shrunk).toBe(true);
    // minimal: one float tensor of at least 3 elements (fewer cannot be reordered)
    expect(rep.inputs.length).toBe(1);
    expect(["float32", "float64"]).toContain(rep.inputs[0]?.dtype);
    expect(f?.detail).toMatch(/ulp > 0 promised/);
  }, 60_000);

  it("flags only ops that reach a plain float sum", () => {
    const flagged = Object.keys(res.flagged);
    expect(flagged.filter((k) => !res.reached.has(k))).toEqual([]);
    for (const k of ["exp", "relu", "sort", "neg", "cumsum", "gather", "to(dtype)"]) expect(flagged).not.toContain(k);
  });
});

describe("a backend that flushes float16 subnormals", () => {
  const spec = (name: string) => SPECS.find((s) => s.name === name) as (typeof SPECS)[number];
  it("is flagged when it does not declare it, with a float16 reproducer", async () => {
    const r = await runSpec(spec("abs"), (await startBackend("fp16-ftz")) as StartedStatus, { numRuns: 100, seed: SEED });
    const rep = r.failures[0]?.reproducer as { inputs: { dtype: string }[] } | undefined;
    expect(rep?.inputs[0]?.dtype).toBe("float16");
  });
  it("keeps its promises when it declares flushesSubnormals", async () => {
    const b = (await startBackend("fp16-ftz-declared")) as StartedStatus;
    expect(b.flushesSubnormals).toEqual(["float16"]);
    for (const name of ["abs", "neg", "sqrt", "exp", "add", "mul", "sum", "mm", "relu", "to(dtype)"]) {
      const r = await runSpec(spec(name), b, { numRuns: 100, seed: SEED });
      expect([name, r.failures.map((f) => f.detail)]).toEqual([name, []]);
    }
  });
});

describe("deterministic mode on a backend with a nondeterministic scatter", () => {
  it("reports scatter as raising NondeterministicError (warnOnly runs it) and the other primitives as bitwise", async () => {
    const r = await runDeterminismChecks((await startBackend("atomic-scatter")) as StartedStatus);
    expect(r["determinism.scatter"]?.promise).toMatch(/declared nondeterministic/);
    expect(r["determinism.scatter"]?.failures).toEqual([]);
    for (const p of ["reduce", "scan", "matmul", "sort"]) {
      expect(r[`determinism.${p}`]?.promise).toMatch(/repeatable bit for bit/);
      expect(r[`determinism.${p}`]?.bitwiseFraction).toBe(1);
    }
  });
});

describe("a backend that cannot start", () => {
  it("is reported as skipped with the reason, and runs nothing", async () => {
    registerBackend({
      name: "broken",
      init: async () => {
        throw new torch.DeviceUnavailableError("broken", "no adapter here");
      },
    });
    const s = await startBackend("broken");
    expect(s).toEqual({ name: "broken", ok: false, reason: "DeviceUnavailableError: broken: no adapter here" });
    const { runConformance } = await import("../src/suite.js");
    const r = await runConformance("broken");
    expect(r.skipped).toBe("DeviceUnavailableError: broken: no adapter here");
    expect(r.ops).toEqual({});
  });
});
