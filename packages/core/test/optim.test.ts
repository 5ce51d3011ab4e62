// torch.optim against PyTorch 1.13 (test-vectors/optim/optimizers.json, tools/golden/gen_optim.py):
// 50-step trajectories compared bit for bit, state dicts compared entry by entry, and resuming from
// lockstep's own and from PyTorch's state dicts.

import { readFileSync } from "node:fs";
import type { Tensor } from "@lockstep/core";
import * as torch from "@lockstep/core";
import { describe, expect, it } from "vitest";
import * as optim from "../src/optim/index.js";
import { decodeArg, decodeStorage, decodeTensor, type T, ulpDistance } from "./golden/harness.js";

interface Group {
  params: number[];
  [k: string]: unknown;
}
interface SD {
  state: Record<string, Record<string, unknown>>;
  param_groups: Record<string, unknown>[];
}
interface OptCase {
  id: string;
  optimizer: "SGD" | "Adam" | "AdamW" | "RMSprop" | "Adagrad" | "Adadelta";
  kwargs: Record<string, unknown>;
  groups: Group[] | null;
  add_group: { at: number; group: Group } | null;
  grad_mode: "set" | "backward" | "accumulate";
  micro: number;
  skip: boolean;
  steps: number;
  params0: T[];
  A: T[];
  B: T[];
  record: { step: number; params: T[] }[];
  state_at: number;
  state_dict_mid: SD;
  state_dict: SD;
}

const golden = JSON.parse(readFileSync(new URL("../../../test-vectors/optim/optimizers.json", import.meta.url), "utf8")) as {
  torch_version: string;
  cases: OptCase[];
};

const camelKey = (k: string): string => k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
const camelOpts = (kw: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(kw).map(([k, v]) => [camelKey(k), decodeArg(v)]));

const coeff = (t: number, m: number): number => (((7 * t + 3 * m) % 11) - 5) * 0.25;
/** grad = p * A + B * c(t, m), three float32 ops as in the generator. */
const gradOf = (p: Tensor, a: Tensor, b: Tensor, t: number, m: number): Tensor =>
  torch.add(torch.mul(p.detach(), a), torch.mul(b, coeff(t, m)));

const OPTIMIZERS = {
  SGD: optim.SGD,
  Adam: optim.Adam,
  AdamW: optim.AdamW,
  RMSprop: optim.RMSprop,
  Adagrad: optim.Adagrad,
  Adadelta: optim.Adadelta,
};

function makeOptimizer(c: OptCase, params: Tensor[], upTo: number): optim.Optimizer {
  const Cls = OPTIMIZERS[c.optimizer] as unknown as new (p: unknown, o: Record<string, unknown>) => optim.Optimizer;
  const kw = camelOpts(c.kwargs);
  let opt: optim.Optimizer;
  if (c.groups) {
    opt = new Cls(
      c.groups.map((g) => ({ ...camelOpts(g), params: g.params.map((i) => params[i] as Tensor) })),
      kw,
    );
  } else if (c.add_group) {
    const later = new Set(c.add_group.group.params);
    opt = new Cls(
      params.filter((_p, i) => !later.has(i)),
      kw,
    );
  } else opt = new Cls(params, kw);
  if (c.add_group && c.add_group.at <= upTo) addGroup(c, opt, params);
  return opt;
}

function addGroup(c: OptCase, opt: optim.Optimizer, params: Tensor[]): void {
  const g = c.add_group?.group as Group;
  opt.addParamGroup({ ...camelOpts(g), params: g.params.map((i) => params[i] as Tensor) });
}

function setGrads(c: OptCase, opt: optim.Optimizer, params: Tensor[], A: Tensor[], B: Tensor[], t: number): void {
  if (c.grad_mode === "set") {
    params.forEach((p, i) => {
      p.grad = c.skip && (t + i) % 7 === 0 ? null : gradOf(p, A[i] as Tensor, B[i] as Tensor, t, 0);
    });
    return;
  }
  opt.zeroGrad();
  for (let m = 0; m < c.micro; m++) {
    let loss: Tensor | null = null;
    params.forEach((p, i) => {
      const l = torch.sum(torch.mul(p, gradOf(p, A[i] as Tensor, B[i] as Tensor, t, m)));
      loss = loss ? torch.add(loss, l) : l;
    });
    (loss as unknown as Tensor).backward();
  }
}

/** Worst ULP distance between a tensor and a golden T (0: identical bits). */
function ulps(got: Tensor, want: T): number {
  expect(got.shape).toEqual(want.shape);
  expect(got.dtype).toBe(want.dtype);
  const g = got.contiguous().dataSync() as Float32Array | Float64Array;
  const w = decodeStorage(want) as Float32Array | Float64Array;
  let worst = 0;
  for (let i = 0; i < w.length; i++) worst = Math.max(worst, ulpDistance(want.dtype, g[i] as number, w[i] as number));
  return worst;
}

function sameValue(got: unknown, want: unknown, where: string): string[] {
  const w = decodeArgDeep(want);
  if (w instanceof torch.Tensor) {
    if (!(got instanceof torch.Tensor)) return [`${where}: expected a tensor, got ${String(got)}`];
    if (got.dtype !== w.dtype || got.shape.join() !== w.shape.join())
      return [`${where}: ${got.dtype}[${got.shape}] vs ${w.dtype}[${w.shape}]`];
    const d = ulps(got, want as T);
    return d === 0 ? [] : [`${where}: ${d} ulp`];
  }
  if (Array.isArray(w)) {
    if (!Array.isArray(got) || got.length !== w.length) return [`${where}: ${JSON.stringify(got)} vs ${JSON.stringify(w)}`];
    return w.flatMap((_x, i) => sameValue(got[i], (want as unknown[])[i], `${where}[${i}]`));
  }
  return Object.is(got, w) ? [] : [`${where}: ${String(got)} vs ${String(w)}`];
}
const decodeArgDeep = (x: unknown): unknown => (Array.isArray(x) ? x : decodeArg(x));

/** Differences between lockstep's state dict and PyTorch's (bits for tensors, exact values otherwise). */
function diffStateDict(got: optim.OptimizerStateDict, want: SD): string[] {
  const out: string[] = [];
  const gs = got.state as Record<string, Record<string, unknown>>;
  if (Object.keys(gs).sort().join() !== Object.keys(want.state).sort().join())
    out.push(`state keys ${Object.keys(gs)} vs ${Object.keys(want.state)}`);
  for (const [k, entry] of Object.entries(want.state)) {
    const mine = gs[k] ?? {};
    if (Object.keys(mine).sort().join() !== Object.keys(entry).sort().join())
      out.push(`state[${k}] keys ${Object.keys(mine)} vs ${Object.keys(entry)}`);
    for (const [kk, v] of Object.entries(entry)) out.push(...sameValue(mine[kk], v, `state[${k}].${kk}`));
  }
  if (got.param_groups.length !== want.param_groups.length) out.push("param_groups length");
  want.param_groups.forEach((g, i) => {
    const mine = got.param_groups[i] ?? {};
    if (Object.keys(mine).sort().join() !== Object.keys(g).sort().join())
      out.push(`param_groups[${i}] keys ${Object.keys(mine).sort()} vs ${Object.keys(g).sort()}`);
    for (const [k, v] of Object.entries(g)) out.push(...sameValue(mine[k], v, `param_groups[${i}].${k}`));
  });
  return out;
}

/** Run a case from step `from` (params given) to `to`; returns per-recorded-step worst ULPs. */
function run(
  c: OptCase,
  opt: optim.Optimizer,
  params: Tensor[],
  from: number,
  to: number,
  onStep?: (t: number) => void,
): { step: number; ulp: number }[] {
  const A = c.A.map(decodeTensor);
  const B = c.B.map(decodeTensor);
  const res: { step: number; ulp: number }[] = [];
  for (let t = from; t <= to; t++) {
    if (c.add_group && c.add_group.at === t) addGroup(c, opt, params);
    setGrads(c, opt, params, A, B, t);
    opt.step();
    const rec = c.record.find((r) => r.step === t);
    if (rec) res.push({ step: t, ulp: Math.max(...params.map((p, i) => ulps(p, rec.params[i] as T))) });
    onStep?.(t);
  }
  return res;
}

const freshParams = (ts: T[]): Tensor[] => ts.map((t) => decodeTensor(t).clone().requiresGrad_(true));

describe("optimizers: 50-step trajectories equal PyTorch 1.13 bit for bit", () => {
  expect(golden.torch_version).toBe("1.13.0a0");
  for (const c of golden.cases) {
    it(c.id, () => {
      const params = freshParams(c.params0);
      const opt = makeOptimizer(c, params, 0);
      let mid: optim.OptimizerStateDict | null = null;
      const res = run(c, opt, params, 1, c.steps, (t) => {
        if (t === c.state_at) {
          const diffs = diffStateDict(opt.stateDict(), c.state_dict_mid);
          expect(diffs, `state dict after step ${t}`).toEqual([]);
          mid = opt.stateDict();
        }
      });
      const bad = res.filter((r) => r.ulp !== 0);
      expect(bad, `steps whose params differ from PyTorch (worst ulp per step)`).toEqual([]);
      expect(diffStateDict(opt.stateDict(), c.state_dict)).toEqual([]);
      expect(mid).not.toBeNull();
    });
  }
});

describe("optimizers: resuming from a state dict continues bit for bit", () => {
  const picked = golden.cases.filter((c) => /\/(0|1|2|skip|groups|add_group|accumulate)$/.test(c.id));
  for (const c of picked) {
    it(`${c.id}: lockstep's own stateDict`, () => {
      const params = freshParams(c.params0);
      const opt = makeOptimizer(c, params, 0);
      run(c, opt, params, 1, c.state_at);
      const sd = opt.stateDict();
      const params2 = params.map((p) => p.detach().clone().requiresGrad_(true));
      const opt2 = makeOptimizer(c, params2, c.state_at);
      opt2.loadStateDict(sd);
      const res = run(c, opt2, params2, c.state_at + 1, c.steps);
      expect(res.filter((r) => r.ulp !== 0)).toEqual([]);
      expect(diffStateDict(opt2.stateDict(), c.state_dict)).toEqual([]);
    });
    it(`${c.id}: PyTorch's state_dict (interchange)`, () => {
      const rec = c.record.find((r) => r.step === c.state_at) as { params: T[] };
      const params = freshParams(rec.params);
      const opt = makeOptimizer(c, params, c.state_at);
      const sd = decodeStateDict(c.state_dict_mid);
      opt.loadStateDict(sd);
      const res = run(c, opt, params, c.state_at + 1, c.steps);
      expect(res.filter((r) => r.ulp !== 0)).toEqual([]);
    });
  }
});

function decodeStateDict(sd: SD): optim.OptimizerStateDict {
  const state: Record<number, Record<string, unknown>> = {};
  for (const [k, v] of Object.entries(sd.state))
    state[Number(k)] = Object.fromEntries(Object.entries(v).map(([kk, vv]) => [kk, decodeArg(vv)]));
  return {
    state,
    param_groups: sd.param_groups.map((g) => Object.fromEntries(Object.entries(g).map(([k, v]) => [k, decodeArg(v)]))),
  };
}
