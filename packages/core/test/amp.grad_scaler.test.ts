// torch.amp.GradScaler against PyTorch 1.13's GradScaler algorithm (test-vectors/amp/grad_scaler.json,
// tools/golden/gen_amp.py): the two AMP kernels on edge inputs, and training loops with float16
// overflow, injected NaN, explicit unscale_, two optimizers and state-dict resume, bit for bit.
import { readFileSync } from "node:fs";
import * as torch from "@lockstep/core";
import { type Tensor, ValueError } from "@lockstep/core";
import { describe, expect, it } from "vitest";
import {
  _ampForeachNonFiniteCheckAndUnscale_,
  _ampUpdateScale_,
  GradScaler,
  type GradScalerState,
  type ScalableOptimizer,
} from "../src/amp/index.js";
import { compareTensor, decodeTensor, type T } from "./golden/harness.js";

const file = JSON.parse(readFileSync(new URL("../../../test-vectors/amp/grad_scaler.json", import.meta.url), "utf8"));

const same = (what: string, got: Tensor | null | undefined, want: T) =>
  expect(compareTensor(what, got as Tensor, want, 0), what).toBeNull();

/** PyTorch's SGD without momentum: p.add_(p.grad, alpha=-lr). Counts its steps. */
class SGD implements ScalableOptimizer {
  paramGroups: { params: Tensor[] }[];
  steps = 0;
  constructor(
    params: Tensor[],
    readonly lr: number,
  ) {
    this.paramGroups = [{ params }];
  }
  step(): string {
    torch.noGrad(() => {
      for (const p of this.paramGroups[0]?.params ?? []) if (p.grad) p.add_(p.grad, { alpha: -this.lr });
    });
    this.steps++;
    return "stepped";
  }
  zeroGrad(): void {
    for (const p of this.paramGroups[0]?.params ?? []) p.grad = null;
  }
}

const leaf = (t: T) => decodeTensor(t).clone().requiresGrad_(true);

describe("AMP kernels", () => {
  for (const k of file.kernels.filter((k: { id: string }) => k.id.startsWith("unscale/"))) {
    it(`_ampForeachNonFiniteCheckAndUnscale_ ${k.id}`, () => {
      const grads = (k.grads as T[]).map((g) => decodeTensor(g).clone());
      const found = torch.zeros([1]);
      _ampForeachNonFiniteCheckAndUnscale_(grads, found, decodeTensor(k.inv_scale));
      grads.forEach((g, i) => {
        same(`grad ${i}`, g, k.out_grads[i]);
      });
      same("found_inf", found, k.found_inf);
    });
  }
  for (const k of file.kernels.filter((k: { id: string }) => k.id.startsWith("update/"))) {
    it(`_ampUpdateScale_ ${k.id}`, () => {
      const scale = decodeTensor(k.scale).clone();
      const tracker = decodeTensor(k.growth_tracker).clone();
      const r = _ampUpdateScale_(scale, tracker, decodeTensor(k.found_inf), k.growth_factor, k.backoff_factor, k.growth_interval);
      expect(r).toBe(scale);
      same("scale", scale, k.out_scale);
      same("growth_tracker", tracker, k.out_growth_tracker);
    });
  }
  it("validates its arguments", () => {
    expect(() => _ampForeachNonFiniteCheckAndUnscale_([], torch.zeros([2]), torch.ones([1]))).toThrow(ValueError);
    expect(() => _ampUpdateScale_(torch.ones([1]), torch.zeros([1]), torch.zeros([1]), 2, 0.5, 10)).toThrow(ValueError);
  });
});

interface Fp16Step {
  x: T;
  t: T;
  loss: T;
  scaled_loss: T;
  scaled_grads: { w: T; b: T };
  unscaled_grads: { w: T; b: T };
  found_inf: number;
  skipped: boolean;
  w: T;
  b: T;
  scale: T;
  growth_tracker: T;
  state_dict: GradScalerState;
}

/** One iteration of the float16 model: y = (x.half() * w.half()).float().sum(-1) + b; loss = mean((y - t)²). */
function fp16Iteration(scaler: GradScaler, opt: SGD, w: Tensor, b: Tensor, s: Fp16Step, explicitUnscale: boolean) {
  opt.zeroGrad();
  const x = decodeTensor(s.x);
  const y = x.half().mul(w.half()).float().sum(-1).add(b);
  const d = y.sub(decodeTensor(s.t));
  const loss = d.mul(d).mean();
  const scaled = scaler.scale(loss);
  scaled.backward();
  const scaledGrads = { w: w.grad?.clone(), b: b.grad?.clone() };
  if (explicitUnscale) scaler.unscale_(opt);
  const before = opt.steps;
  const ret = scaler.step(opt);
  const stepped = opt.steps > before;
  const unscaled = { w: w.grad?.clone(), b: b.grad?.clone() };
  scaler.update();
  return { loss, scaled, scaledGrads, unscaled, ret, stepped };
}

describe("training loops equal PyTorch's GradScaler", () => {
  for (const c of file.cases.filter((c: { kind: string }) => c.kind === "fp16_model")) {
    const cfg = c.config;
    const make = () => {
      const w = leaf(c.init.w);
      const b = leaf(c.init.b);
      const opt = new SGD([w, b], cfg.lr);
      const scaler = new GradScaler({
        initScale: cfg.init_scale,
        growthFactor: cfg.growth_factor,
        backoffFactor: cfg.backoff_factor,
        growthInterval: cfg.growth_interval,
      });
      return { w, b, opt, scaler };
    };

    it(`${c.id}: ${c.steps.length} steps, ${c.steps.filter((s: Fp16Step) => s.skipped).length} skipped`, () => {
      const { w, b, opt, scaler } = make();
      expect(scaler.getScale()).toBe(cfg.init_scale);
      c.steps.forEach((s: Fp16Step, i: number) => {
        const r = fp16Iteration(scaler, opt, w, b, s, cfg.explicit_unscale);
        const at = `step ${i}`;
        same(`${at} loss`, r.loss, s.loss);
        same(`${at} scaled loss`, r.scaled, s.scaled_loss);
        same(`${at} scaled grad w`, r.scaledGrads.w, s.scaled_grads.w);
        same(`${at} scaled grad b`, r.scaledGrads.b, s.scaled_grads.b);
        same(`${at} unscaled grad w`, r.unscaled.w, s.unscaled_grads.w);
        same(`${at} unscaled grad b`, r.unscaled.b, s.unscaled_grads.b);
        expect(r.stepped, at).toBe(!s.skipped);
        expect(r.ret, at).toBe(s.skipped ? undefined : "stepped");
        same(`${at} w`, w, s.w);
        same(`${at} b`, b, s.b);
        same(`${at} scale`, scaler._getScaleAsync(), s.scale);
        expect(scaler.stateDict(), at).toEqual(s.state_dict);
      });
    });

    it(`${c.id}: resuming from stateDict() after step 9 gives the same run`, () => {
      const { w, b, opt, scaler } = make();
      const steps = c.steps as Fp16Step[];
      for (const s of steps.slice(0, 10)) fp16Iteration(scaler, opt, w, b, s, cfg.explicit_unscale);
      const sd = scaler.stateDict() as GradScalerState;
      expect(Object.keys(sd)).toEqual(["scale", "growth_factor", "backoff_factor", "growth_interval", "_growth_tracker"]);
      const resumed = new GradScaler();
      resumed.loadStateDict(JSON.parse(JSON.stringify(sd)));
      expect(resumed.getScale()).toBe(sd.scale);
      expect(resumed._getGrowthTracker()).toBe(sd._growth_tracker);
      steps.slice(10).forEach((s, i) => {
        fp16Iteration(resumed, opt, w, b, s, cfg.explicit_unscale);
        same(`step ${10 + i} w`, w, s.w);
        expect(resumed.stateDict()).toEqual(s.state_dict);
      });
    });
  }

  const two = file.cases.find((c: { kind: string }) => c.kind === "two_optimizers");
  it(`${two.id}: an inf in one optimizer's gradients skips only its step; the scale backs off`, () => {
    const w1 = leaf(two.init.w1);
    const w2 = leaf(two.init.w2);
    const o1 = new SGD([w1], 0.0625);
    const o2 = new SGD([w2], 0.125);
    const scaler = new GradScaler({ initScale: 1024, growthInterval: 2 });
    two.steps.forEach((s: { x: T; found_inf: number[]; w1: T; w2: T; scale: T; growth_tracker: T }, i: number) => {
      o1.zeroGrad();
      o2.zeroGrad();
      const x = decodeTensor(s.x);
      const l1 = w1.mul(x).sum();
      const l2 = w2.mul(w2).sum();
      const [s1, s2] = scaler.scale([l1, l2]);
      (s1 as Tensor).backward();
      (s2 as Tensor).backward();
      const n1 = o1.steps;
      const n2 = o2.steps;
      scaler.step(o1);
      scaler.step(o2);
      expect([o1.steps - n1, o2.steps - n2], `step ${i}`).toEqual(s.found_inf.map((f) => (f ? 0 : 1)));
      scaler.update();
      same(`step ${i} w1`, w1, s.w1);
      same(`step ${i} w2`, w2, s.w2);
      same(`step ${i} scale`, scaler._getScaleAsync(), s.scale);
      same(`step ${i} tracker`, (scaler as unknown as { _growthTracker: Tensor })._growthTracker, s.growth_tracker);
    });
  });
});

describe("GradScaler API", () => {
  const setup = (scaler = new GradScaler({ initScale: 8 })) => {
    const w = torch.tensor([1.5, -2], { dtype: "float32", requiresGrad: true });
    const opt = new SGD([w], 0.5);
    return { w, opt, scaler };
  };

  it("scale: tensors, nested arrays and iterables; state tensors on the output's device", async () => {
    const scaler = new GradScaler({ initScale: 4 });
    expect(scaler._getScaleAsync()).toBeNull();
    const a = torch.tensor(1.5, { dtype: "float32" });
    const [x, [y]] = scaler.scale([a, [torch.tensor([2, 3], { dtype: "float32" })]]) as [Tensor, [Tensor]];
    expect(await x.tolist()).toEqual([6]); // 0-dim * [1] → [1], as in PyTorch
    expect(await y.tolist()).toEqual([8, 12]);
    const lazy = scaler.scale(new Set([a]));
    expect([...(lazy as Iterable<Tensor>)].map((t) => t.shape)).toEqual([[1]]);
    expect(scaler._getScaleAsync()?.dtype).toBe("float32");
    expect(() => scaler.scale(42 as never)).toThrow(ValueError);
  });

  it("unscale_ then step: clip-friendly, and misuse is refused as in PyTorch", () => {
    const { w, opt, scaler } = setup();
    expect(() => scaler.unscale_(opt)).toThrow(/_scale is None/);
    scaler.scale(w.sum()).backward();
    scaler.unscale_(opt);
    expect(w.grad?.dataSync()).toEqual(new Float32Array([1, 1]));
    expect(() => scaler.unscale_(opt)).toThrow(/already been called/);
    expect(scaler.step(opt)).toBe("stepped");
    expect(() => scaler.step(opt)).toThrow(/already been called since the last update/);
    expect(() => scaler.unscale_(opt)).toThrow(/after step/);
    scaler.update();
    expect(w.dataSync()).toEqual(new Float32Array([1, -2.5]));
    expect(() => scaler.update()).toThrow(/No inf checks/);
  });

  it("update(newScale) sets the scale (a number or a one-element tensor)", () => {
    const { w, opt, scaler } = setup();
    scaler.scale(w.sum()).backward();
    scaler.step(opt);
    scaler.update(3.3);
    expect(scaler.getScale()).toBe(Math.fround(3.3));
    scaler.update(torch.tensor([5], { dtype: "float32" }));
    expect(scaler.getScale()).toBe(5);
    expect(() => scaler.update(torch.tensor([5, 6], { dtype: "float32" }))).toThrow(ValueError);
  });

  it("refuses to unscale float16 gradients", () => {
    const w = torch.tensor([1, 2], { dtype: "float16", requiresGrad: true });
    const scaler = new GradScaler();
    scaler.scale(w.float().sum()).backward();
    expect(w.grad?.dtype).toBe("float16");
    expect(() => scaler.step(new SGD([w], 0.1))).toThrow(/Attempting to unscale FP16 gradients/);
  });

  it("getters, setters and factor checks", () => {
    const s = new GradScaler({ initScale: 2 ** 10, growthFactor: 3, backoffFactor: 0.25, growthInterval: 7 });
    expect([s.getScale(), s.getGrowthFactor(), s.getBackoffFactor(), s.getGrowthInterval(), s._getGrowthTracker()]).toEqual([
      1024, 3, 0.25, 7, 0,
    ]);
    s.setGrowthFactor(4);
    s.setBackoffFactor(0.125);
    s.setGrowthInterval(9);
    expect(s.stateDict()).toEqual({
      scale: 1024,
      growth_factor: 4,
      backoff_factor: 0.125,
      growth_interval: 9,
      _growth_tracker: 0,
    });
    expect(s.isEnabled()).toBe(true);
    expect(() => new GradScaler({ growthFactor: 1 })).toThrow(/growth factor must be > 1.0/);
    expect(() => new GradScaler({ backoffFactor: 1 })).toThrow(/backoff factor must be < 1.0/);
  });

  it("loadStateDict before and after the state tensors exist", () => {
    const { w, opt, scaler } = setup();
    scaler.loadStateDict({ scale: 16, growth_factor: 2, backoff_factor: 0.5, growth_interval: 3, _growth_tracker: 2 });
    scaler.scale(w.sum()).backward();
    scaler.step(opt);
    scaler.update(); // tracker 2 + 1 == 3 → grow
    expect(scaler.getScale()).toBe(32);
    expect(scaler._getGrowthTracker()).toBe(0);
    scaler.loadStateDict({ scale: 64, growth_factor: 2, backoff_factor: 0.5, growth_interval: 3, _growth_tracker: 1 });
    expect([scaler.getScale(), scaler._getGrowthTracker()]).toEqual([64, 1]);
    expect(() => scaler.loadStateDict({})).toThrow(/source state dict is empty/);
  });

  it("disabled: scale is the identity, step just steps, state is empty", () => {
    const { w, opt } = setup();
    const scaler = new GradScaler({ enabled: false });
    const loss = w.sum();
    expect(scaler.scale(loss)).toBe(loss);
    loss.backward();
    scaler.unscale_(opt);
    expect(scaler.step(opt)).toBe("stepped");
    scaler.update();
    expect(scaler.getScale()).toBe(1);
    expect(scaler.stateDict()).toEqual({});
    scaler.loadStateDict({});
    expect(scaler.isEnabled()).toBe(false);
  });

  it("stepAsync gives the same decision as step", async () => {
    const { w, opt, scaler } = setup(new GradScaler({ initScale: 2 }));
    scaler.scale(w.mul(Number.POSITIVE_INFINITY).sum()).backward();
    expect(await scaler.stepAsync(opt)).toBeUndefined();
    expect(opt.steps).toBe(0);
    scaler.update();
    expect(scaler.getScale()).toBe(1);
  });

  it("_checkInfPerDevice looks for inf/NaN without unscaling (float16 allowed)", () => {
    const { w, opt, scaler } = setup();
    scaler.scale(w.sum()).backward();
    const found = scaler._checkInfPerDevice(opt);
    expect([...found.keys()]).toEqual(["cpu"]);
    expect(found.get("cpu")?.itemSync()).toBe(0);
    expect(w.grad?.dataSync()).toEqual(new Float32Array([8, 8]));
  });
});
