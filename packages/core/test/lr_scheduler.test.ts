// optim.lrScheduler against PyTorch 1.13 (test-vectors/optim/schedulers.json, tools/golden/gen_optim.py):
// every learning rate (and cycled momentum) over 100 steps equal as doubles, the warnings PyTorch
// gives, and the state dicts.

import { readFileSync } from "node:fs";
import * as torch from "@lockstep/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as optim from "../src/optim/index.js";
import { pyPow } from "../src/optim/libm.js";
import { decodeArg } from "./golden/harness.js";

const { lrScheduler } = optim;

interface Spec {
  type: string;
  kwargs: Record<string, unknown>;
}
interface SchedCase {
  id: string;
  optimizer: "SGD" | "Adam";
  opt_kwargs: Record<string, unknown>;
  groups: { lr: number }[];
  scheduler: Spec;
  steps: number;
  metrics: number[] | null;
  epochs: number[] | null;
  opt_step_first: boolean;
  initial: { lr: number[]; momentum: (number | null)[] };
  lrs: number[][];
  momentum: (number | null)[][] | null;
  warnings: string[];
  state_dict: Record<string, unknown>;
}

const golden = JSON.parse(readFileSync(new URL("../../../test-vectors/optim/schedulers.json", import.meta.url), "utf8")) as {
  torch_version: string;
  cases: SchedCase[];
};

/** The generator's lambdas, written as Python evaluates them (`**` is Python's float pow). */
const LAMBDAS: Record<string, (e: number) => number> = {
  pow095: (e) => pyPow(0.95, e),
  inv1: (e) => 1 / (e + 1),
  const097: () => 0.97,
  every10: (e) => (e % 10 === 0 ? 0.9 : 1.0),
  scale_inv: (x) => 1.0 / (1.0 + x),
  scale_pow: (x) => pyPow(0.99, x),
};

const camelKey = (k: string): string => k.replace(/_([a-zA-Z0-9])/g, (_m, c: string) => c.toUpperCase());

type AnyScheduler = { step(x?: unknown): void; getLastLr(): number[]; stateDict(): Record<string, unknown> };

const SCHEDULERS: Record<string, unknown> = {
  StepLR: lrScheduler.StepLR,
  MultiStepLR: lrScheduler.MultiStepLR,
  ExponentialLR: lrScheduler.ExponentialLR,
  CosineAnnealingLR: lrScheduler.CosineAnnealingLR,
  CosineAnnealingWarmRestarts: lrScheduler.CosineAnnealingWarmRestarts,
  ReduceLROnPlateau: lrScheduler.ReduceLROnPlateau,
  CyclicLR: lrScheduler.CyclicLR,
  OneCycleLR: lrScheduler.OneCycleLR,
  LinearLR: lrScheduler.LinearLR,
  ConstantLR: lrScheduler.ConstantLR,
  LambdaLR: lrScheduler.LambdaLR,
  MultiplicativeLR: lrScheduler.MultiplicativeLR,
  PolynomialLR: lrScheduler.PolynomialLR,
  SequentialLR: lrScheduler.SequentialLR,
};

function build(opt: optim.Optimizer, spec: Spec): AnyScheduler {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec.kwargs)) {
    let val: unknown = v;
    if (k === "lr_lambda" || k === "scale_fn") val = Array.isArray(v) ? v.map((x) => LAMBDAS[x as string]) : LAMBDAS[v as string];
    else if (k === "schedulers") val = (v as Spec[]).map((s) => build(opt, s));
    o[camelKey(k)] = val;
  }
  if (spec.type === "ChainedScheduler")
    return new lrScheduler.ChainedScheduler(o.schedulers as optim.lrScheduler.LRScheduler[]) as AnyScheduler;
  const Cls = SCHEDULERS[spec.type] as new (opt: optim.Optimizer, o: Record<string, unknown>) => AnyScheduler;
  return new Cls(opt, o);
}

function makeOptimizer(c: SchedCase): optim.Optimizer {
  const groups = c.groups.map((g) => ({ ...g, params: [torch.zeros([2]).requiresGrad_(true)] }));
  const kw = Object.fromEntries(Object.entries(c.opt_kwargs).map(([k, v]) => [camelKey(k), v]));
  return c.optimizer === "SGD" ? new optim.SGD(groups, kw) : new optim.Adam(groups, kw);
}

const momenta = (opt: optim.Optimizer): (number | null)[] =>
  opt.paramGroups.map((g) => (g.betas ? (g.betas as number[])[0] : ((g.momentum as number | undefined) ?? null)) as number);

let warnings: string[] = [];
const original = process.emitWarning;
beforeEach(() => {
  warnings = [];
  process.emitWarning = ((msg: string, type?: string) => {
    warnings.push(`${type ?? "Warning"}: ${msg}`);
  }) as typeof process.emitWarning;
});
afterEach(() => {
  process.emitWarning = original;
});

const decodeDeep = (x: unknown): unknown => {
  if (Array.isArray(x)) return x.map(decodeDeep);
  if (x !== null && typeof x === "object" && !("float" in (x as object)))
    return Object.fromEntries(Object.entries(x as Record<string, unknown>).map(([k, v]) => [k, decodeDeep(v)]));
  return decodeArg(x);
};

/** lockstep keeps these where PyTorch keeps a callable (left out of the goldens). */
const EXTRA_KEYS = new Set(["anneal_strategy", "_scale_fn_custom"]);

function diffState(got: Record<string, unknown>, want: Record<string, unknown>, where = "state_dict"): string[] {
  const out: string[] = [];
  for (const k of Object.keys(got)) if (!(k in want) && !EXTRA_KEYS.has(k)) out.push(`${where}: extra key ${k}`);
  for (const [k, v] of Object.entries(want)) {
    if (!(k in got)) {
      out.push(`${where}: missing key ${k}`);
      continue;
    }
    if (k === "_schedulers")
      (v as Record<string, unknown>[]).forEach((s, i) =>
        out.push(...diffState((got[k] as Record<string, unknown>[])[i] ?? {}, s, `${where}._schedulers[${i}]`)),
      );
    else {
      const a = JSON.stringify(got[k], (_k, x) => (typeof x === "number" && !Number.isFinite(x) ? String(x) : x));
      const b = JSON.stringify(decodeDeep(v), (_k, x) => (typeof x === "number" && !Number.isFinite(x) ? String(x) : x));
      if (a !== b) out.push(`${where}.${k}: ${a} vs ${b}`);
    }
  }
  return out;
}

describe("lr schedulers: 100 steps equal PyTorch 1.13's learning rates exactly", () => {
  expect(golden.torch_version).toBe("1.13.0a0");
  for (const c of golden.cases) {
    it(c.id, () => {
      const opt = makeOptimizer(c);
      const sched = build(opt, c.scheduler);
      expect(
        opt.paramGroups.map((g) => g.lr),
        "lr after construction",
      ).toEqual(c.initial.lr);
      expect(momenta(opt), "momentum after construction").toEqual(c.initial.momentum);
      const badLr: string[] = [];
      const badMom: string[] = [];
      for (let t = 0; t < c.steps; t++) {
        if (c.opt_step_first) opt.step();
        if (c.metrics) sched.step(c.metrics[t]);
        else if (c.epochs) sched.step(c.epochs[t]);
        else sched.step();
        if (!c.opt_step_first) opt.step();
        const lrs = opt.paramGroups.map((g) => g.lr);
        const want = c.lrs[t] as number[];
        if (lrs.some((x, i) => !Object.is(x, want[i]))) badLr.push(`step ${t}: ${lrs} vs ${want}`);
        if (c.momentum) {
          const m = momenta(opt);
          const wm = c.momentum[t] as number[];
          if (m.some((x, i) => !Object.is(x, wm[i]))) badMom.push(`step ${t}: ${m} vs ${wm}`);
        }
      }
      expect(badLr).toEqual([]);
      expect(badMom).toEqual([]);
      expect(sched.getLastLr()).toEqual(c.lrs[c.steps - 1]);
      expect(warnings).toEqual(c.warnings);
      expect(diffState(sched.stateDict(), c.state_dict)).toEqual([]);
    });
  }
});

describe("lr schedulers: behaviour", () => {
  const opt = () => new optim.SGD([torch.zeros([2]).requiresGrad_(true)], { lr: 0.1, momentum: 0.9 });

  it("takes PyTorch's positional arguments as well as an options object", () => {
    const a = opt();
    const b = opt();
    const s1 = new lrScheduler.StepLR(a, 3, 0.5);
    const s2 = new lrScheduler.StepLR(b, { stepSize: 3, gamma: 0.5 });
    for (let i = 0; i < 10; i++) {
      a.step();
      b.step();
      s1.step();
      s2.step();
    }
    expect(s1.getLastLr()).toEqual(s2.getLastLr());
    expect(s1.getLastLr()).toEqual([0.1 * 0.5 * 0.5 * 0.5]);
  });

  it("getLr() outside step() warns like PyTorch", () => {
    const s = new lrScheduler.ExponentialLR(opt(), 0.9);
    s.getLr();
    expect(warnings).toEqual([
      "UserWarning: To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
    ]);
  });

  it("state dicts round-trip: a restored scheduler continues identically", () => {
    const o1 = opt();
    const s1 = new lrScheduler.CosineAnnealingLR(o1, { TMax: 13, etaMin: 0.001 });
    for (let i = 0; i < 20; i++) {
      o1.step();
      s1.step();
    }
    const o2 = opt();
    o2.loadStateDict(o1.stateDict());
    const s2 = new lrScheduler.CosineAnnealingLR(o2, { TMax: 13, etaMin: 0.001 });
    s2.loadStateDict(JSON.parse(JSON.stringify(s1.stateDict())));
    for (let i = 0; i < 30; i++) {
      o1.step();
      o2.step();
      s1.step();
      s2.step();
      expect(s2.getLastLr()).toEqual(s1.getLastLr());
    }
  });

  it("ReduceLROnPlateau takes tensor metrics and has getLastLr", () => {
    const o = opt();
    const s = new lrScheduler.ReduceLROnPlateau(o, { patience: 0, factor: 0.5 });
    expect(s.getLastLr()).toEqual([0.1]);
    s.step(torch.tensor(1.5));
    s.step(torch.tensor(1.5));
    expect(s.getLastLr()).toEqual([0.05]);
  });

  it("rejects what PyTorch rejects", () => {
    expect(() => new lrScheduler.ConstantLR(opt(), { factor: 2 })).toThrow(/between 0 and 1/);
    expect(() => new lrScheduler.CosineAnnealingWarmRestarts(opt(), { T0: 0 })).toThrow(/positive integer T_0/);
    expect(() => new lrScheduler.ReduceLROnPlateau(opt(), { factor: 1 })).toThrow(/Factor should be < 1.0/);
    const adam = new optim.Adam([torch.zeros([2]).requiresGrad_(true)]);
    expect(() => new lrScheduler.CyclicLR(adam, { baseLr: 0.01, maxLr: 0.1 })).toThrow(/must support momentum/);
    const o = opt();
    const s = new lrScheduler.OneCycleLR(o, { maxLr: 0.1, totalSteps: 3 });
    for (let i = 0; i < 3; i++) s.step();
    expect(() => s.step()).toThrow(/Tried to step 5 times. The specified number of total steps is 3/);
    expect(() => new lrScheduler.StepLR(opt(), { stepSize: 2, lastEpoch: 5 })).toThrow(/initial_lr/);
  });
});
