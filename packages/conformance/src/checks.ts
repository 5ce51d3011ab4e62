// Checks beyond op-by-op comparison: Philox draws (as specs: bitwise equal on every backend),
// deterministic-mode behaviour per primitive, and dtype support (declared-unsupported dtypes must
// raise DTypeError; supported ones round-trip special values bitwise).
import type { DType, Tensor } from "@lockstep/core";
import * as torch from "@lockstep/core";
import fc from "fast-check";
import { ALL, shapeArb, tensorArb, valueArb } from "./arbitraries.js";
import { REFERENCE_DEVICE } from "./backends.js";
import { diffArrays } from "./compare.js";
import { type OpStats, StatsBuilder } from "./report.js";
import { dtypeRefusal, materialize, type OpSpec, type StartedStatus } from "./runner.js";

// ---- Philox: every draw is a function of (seed, offset, i), so every backend produces the same bits ----

const gen = (device: string, seed: number) => new torch.Generator({ device, algorithm: "philox" }).manualSeed(seed);
const philoxArb = (extra: fc.Arbitrary<Record<string, unknown>>) =>
  fc
    .record({ seed: fc.oneof(fc.nat(1000), fc.constant(2 ** 40 + 7)), shape: shapeArb({ maxRank: 3, maxNumel: 64 }), extra })
    .map((params) => ({ inputs: [], params }));
const philox = (name: string, extra: fc.Arbitrary<Record<string, unknown>>, run: OpSpec["run"]): OpSpec => ({
  name: `philox.${name}`,
  arb: philoxArb(extra),
  run,
  grad: false,
});
type PP = { seed: number; shape: number[]; extra: Record<string, unknown> };
const pp = (p: Record<string, unknown>) => p as unknown as PP;

export const PHILOX_SPECS: OpSpec[] = [
  philox(
    "rand",
    fc.record({ dtype: fc.constantFrom<DType>("float32", "float64", "float16", "bfloat16") }),
    (_, p, { device }) => {
      const { seed, shape, extra } = pp(p);
      const g = gen(device, seed);
      // two draws: the second starts at the next offset
      const o = { generator: g, device, dtype: extra.dtype as DType };
      return [torch.rand(shape, o), torch.rand(shape, o)];
    },
  ),
  philox("randn", fc.record({ dtype: fc.constantFrom<DType>("float32", "float64") }), (_, p, { device }) => {
    const { seed, shape, extra } = pp(p);
    return torch.randn(shape, { generator: gen(device, seed), device, dtype: extra.dtype as DType });
  }),
  philox(
    "randint",
    fc.record({ lo: fc.integer({ min: -5, max: 5 }), n: fc.constantFrom(1, 7, 1000, 2 ** 33) }),
    (_, p, { device }) => {
      const { seed, shape, extra } = pp(p);
      const lo = extra.lo as number;
      return torch.randint(lo, lo + (extra.n as number), shape, { generator: gen(device, seed), device });
    },
  ),
  philox("randperm", fc.record({ n: fc.integer({ min: 0, max: 40 }) }), (_, p, { device }) => {
    const { seed, extra } = pp(p);
    return torch.randperm(extra.n as number, { generator: gen(device, seed), device });
  }),
  {
    ...philox("normal_/uniform_/bernoulli", fc.record({ p: fc.constantFrom(0, 0.3, 1) }), (_, p, { device }) => {
      const { seed, shape, extra } = pp(p);
      const g = gen(device, seed);
      const a = torch.zeros(shape, { device }).normal_(1, 2, { generator: g });
      const b = torch.zeros(shape, { device }).uniform_(-1, 3, { generator: g });
      const c = torch.bernoulli(torch.full(shape, extra.p as number, { device }), { generator: g });
      return [a, b, c];
    }),
    known: { webgpu: "core: bernoulli with a tensor p reads p on the host (DeviceError on webgpu)" },
  },
  {
    name: "philox.dropout",
    arb: fc
      .record({ seed: fc.nat(1000), shape: shapeArb({ maxRank: 3, maxNumel: 64 }), p: fc.constantFrom(0.1, 0.5, 0.9) })
      .chain(({ seed, shape, p }) =>
        fc.record({
          inputs: tensorArb(shape, "float32").map((x) => [x]),
          params: fc.constant({ seed, p }),
          gradSeed: fc.nat(64),
        }),
      ),
    run: ([x], p, { device }) => torch.dropout(x as Tensor, p.p as number, true, { generator: gen(device, p.seed as number) }),
    grad: true,
  },
];

// ---- determinism ----

/** One op per backend primitive whose determinism a backend declares, with its host inputs. */
const f32 = (n: number, f: (i: number) => number) =>
  torch.tensor(
    Array.from({ length: n }, (_, i) => f(i)),
    { dtype: "float32", device: REFERENCE_DEVICE },
  );
const PRIMITIVE_OPS: Record<string, { inputs: () => Tensor[]; run: (x: Tensor[]) => Tensor }> = {
  reduce: { inputs: () => [f32(1000, (i) => Math.sin(i * 0.001))], run: ([x]) => torch.sum(x as Tensor, 0) },
  scan: { inputs: () => [f32(100, (i) => Math.exp(i * 0.01))], run: ([x]) => torch.cumsum(x as Tensor, 0) },
  matmul: {
    inputs: () => [f32(64, (i) => Math.cos(i * 0.1)).reshape([8, 8])],
    run: ([a]) => torch.mm(a as Tensor, a as Tensor),
  },
  sort: {
    inputs: () => [f32(50, (i) => Math.sin(i * 0.37))],
    run: ([x]) => torch.sort(x as Tensor, 0, false, { stable: true })[1],
  },
  scatter: {
    inputs: () => [
      torch.zeros([3], { device: REFERENCE_DEVICE }),
      torch.tensor([0, 2, 2, 1, 0, 2], { device: REFERENCE_DEVICE }),
      f32(6, (i) => (i + 1) / 10),
    ],
    run: ([x, idx, src]) => (x as Tensor).indexAdd(0, idx as Tensor, src as Tensor),
  },
};

async function read(t: Tensor): Promise<Float32Array | BigInt64Array> {
  return (await t.data()).slice() as Float32Array;
}

/**
 * Under useDeterministicAlgorithms(true) each primitive either runs, bitwise equal to the reference
 * and to itself on a second run, or raises NondeterministicError naming the op and the device; with
 * { warnOnly: true } it then runs.
 */
export async function runDeterminismChecks(b: StartedStatus): Promise<Record<string, OpStats>> {
  const out: Record<string, OpStats> = {};
  for (const [prim, spec] of Object.entries(PRIMITIVE_OPS)) {
    const host = spec.inputs();
    const placed = b.device === REFERENCE_DEVICE ? host : await Promise.all(host.map((t) => torch.toAsync(t, b.device)));
    const op = (device: string) => spec.run(device === REFERENCE_DEVICE ? host : placed);
    const s = new StatsBuilder(
      "check",
      "deterministic mode: repeatable bit for bit, or NondeterministicError naming op and device",
    );
    const fail = (detail: string, expected: unknown, got: unknown) =>
      s.failures.push({ reproducer: { check: `determinism.${prim}`, device: b.device }, expected, got, detail });
    const want = await read(op(REFERENCE_DEVICE));
    try {
      torch.useDeterministicAlgorithms(true);
      let first: Tensor | null = null;
      try {
        first = op(b.device);
      } catch (e) {
        if (!(e instanceof torch.NondeterministicError)) {
          s.add(Number.POSITIVE_INFINITY, false);
          fail(`raised ${(e as Error).name}: ${(e as Error).message}`, "a result or NondeterministicError", (e as Error).name);
        } else if (!(e as Error).message.includes(b.device)) {
          s.add(Number.POSITIVE_INFINITY, false);
          fail(
            `NondeterministicError does not name the device: ${(e as Error).message}`,
            `a message naming '${b.device}'`,
            (e as Error).message,
          );
        } else {
          // declared nondeterministic: warnOnly must let it run
          torch.useDeterministicAlgorithms(true, { warnOnly: true });
          const warn = process.emitWarning;
          process.emitWarning = () => {};
          try {
            const t = op(b.device);
            const got = await read(t);
            s.add(0, got.length === want.length);
            s.promise = "declared nondeterministic: raises NondeterministicError; warnOnly runs it";
          } catch (e2) {
            s.add(Number.POSITIVE_INFINITY, false);
            fail(`warnOnly still raised ${(e2 as Error).name}`, "a result", (e2 as Error).name);
          } finally {
            process.emitWarning = warn;
          }
        }
      }
      if (first) {
        const a = await read(first);
        const again = await read(op(b.device));
        const d1 = diffArrays(first.dtype, want, a);
        const d2 = diffArrays(first.dtype, a, again);
        // maxUlp and bitwise record the distance to the reference
        s.add(Math.max(d1.maxUlp, d2.maxUlp), d1.differing === 0 && d2.differing === 0);
        // only repeatability fails here: agreement with the reference is the specs' job, under each op's promise
        if (d2.differing)
          fail(
            `a second run differs (${d2.maxUlp} ulp at ${d2.at}) without declaring the primitive nondeterministic`,
            Array.from(a as Float32Array).slice(0, 8),
            Array.from(again as Float32Array).slice(0, 8),
          );
      }
    } finally {
      torch.useDeterministicAlgorithms(false);
    }
    out[`determinism.${prim}`] = s.build();
  }
  return out;
}

// ---- dtypes ----

/** Declared-unsupported dtypes raise DTypeError; every other dtype round-trips special values bitwise. */
export async function runDtypeChecks(b: StartedStatus, seed: number): Promise<Record<string, OpStats>> {
  const out: Record<string, OpStats> = {};
  for (const dtype of ALL) {
    const unsupported = b.unsupportedDtypes.includes(dtype);
    const s = new StatsBuilder("check", unsupported ? "declared unsupported: raises DTypeError" : "round trip bitwise");
    if (unsupported) {
      const m = await dtypeRefusal(dtype, b.device);
      s.add(m ? Number.POSITIVE_INFINITY : 0, !m);
      if (m) s.failures.push({ reproducer: { check: `dtype.${dtype}` }, expected: m.expected, got: m.got, detail: m.detail });
    } else {
      const storage = fc.sample(valueArb(dtype), { numRuns: 64, seed });
      const desc = { dtype, shape: [64], strides: [1], offset: 0, storage, layout: "contiguous" as const };
      try {
        const ref = await (await materialize(desc, REFERENCE_DEVICE)).data();
        const got = await (await materialize(desc, b.device)).data();
        const d = diffArrays(dtype, ref, got);
        s.add(d.maxUlp, d.differing === 0);
        if (d.differing)
          s.failures.push({
            reproducer: { check: `dtype.${dtype}`, storage: storage.map(String) },
            expected: String(ref[d.at]),
            got: String(got[d.at]),
            detail: `round trip changed element ${d.at}`,
          });
      } catch (e) {
        s.add(Number.POSITIVE_INFINITY, false);
        const err = `${(e as Error).name}: ${(e as Error).message}`;
        const hint = e instanceof torch.DTypeError ? " (declare it in unsupportedDtypes)" : "";
        s.failures.push({ reproducer: { check: `dtype.${dtype}` }, expected: "a round trip", got: err, detail: `${err}${hint}` });
      }
    }
    out[`dtype.${dtype}`] = s.build();
  }
  return out;
}
