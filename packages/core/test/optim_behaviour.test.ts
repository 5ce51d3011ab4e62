// torch.optim API behaviour: parameter groups, zeroGrad, closures, state layout, validation,
// memory, and a small end-to-end training loop.

import * as torch from "@lockstep/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as optim from "../src/optim/index.js";

const param = (values: number[]) => torch.tensor(values, { dtype: "float32" }).requiresGrad_(true);
const vals = (t: torch.Tensor) => Array.from(t.dataSync() as Float32Array);

let warnings: string[] = [];
const original = process.emitWarning;
beforeEach(() => {
  warnings = [];
  process.emitWarning = ((msg: string) => {
    warnings.push(msg);
  }) as typeof process.emitWarning;
});
afterEach(() => {
  process.emitWarning = original;
});

describe("Optimizer basics", () => {
  it("SGD takes one step: p -= lr * grad (fused as PyTorch: fma(grad, -lr, p))", () => {
    const p = param([1, 2, 3]);
    const opt = new optim.SGD([p], { lr: 0.1 });
    p.grad = torch.tensor([0.5, -1, 2], { dtype: "float32" });
    opt.step();
    const want = [1, 2, 3].map((x, i) => Math.fround(x + Math.fround(-0.1) * ([0.5, -1, 2][i] as number)));
    expect(vals(p)).toEqual(want);
  });

  it("zeroGrad zeroes in place by default (PyTorch 1.13) and sets null with setToNone", () => {
    const p = param([1, 2]);
    const opt = new optim.SGD([p], { lr: 0.1 });
    torch.sum(torch.mul(p, p)).backward();
    const g = p.grad as torch.Tensor;
    opt.zeroGrad();
    expect(p.grad).toBe(g);
    expect(vals(g)).toEqual([0, 0]);
    opt.zeroGrad({ setToNone: true });
    expect(p.grad).toBeNull();
  });

  it("gradients accumulate across backward calls until zeroGrad", () => {
    const p = param([1, 2]);
    const opt = new optim.SGD([p], { lr: 1 });
    torch.sum(torch.mul(p, torch.tensor([1, 1], { dtype: "float32" }))).backward();
    torch.sum(torch.mul(p, torch.tensor([2, 3], { dtype: "float32" }))).backward();
    expect(vals(p.grad as torch.Tensor)).toEqual([3, 4]);
    opt.step();
    expect(vals(p)).toEqual([-2, -2]);
    opt.zeroGrad();
    torch.sum(torch.mul(p, torch.tensor([1, 1], { dtype: "float32" }))).backward();
    expect(vals(p.grad as torch.Tensor)).toEqual([1, 1]);
  });

  it("parameters without a gradient are skipped (no state is made for them)", () => {
    const a = param([1]);
    const b = param([2]);
    const opt = new optim.Adam([a, b], { lr: 0.1 });
    a.grad = torch.tensor([1], { dtype: "float32" });
    opt.step();
    expect(vals(b)).toEqual([2]);
    expect(opt.state.has(a)).toBe(true);
    expect(opt.state.has(b)).toBe(false);
  });

  it("step(closure) evaluates the closure with grad enabled and returns its loss", () => {
    const p = param([3]);
    const opt = new optim.SGD([p], { lr: 0.5 });
    const loss = torch.noGrad(() =>
      opt.step(() => {
        opt.zeroGrad();
        const l = torch.sum(torch.mul(p, p));
        l.backward();
        return l;
      }),
    );
    expect(loss?.itemSync()).toBe(9);
    expect(vals(p)).toEqual([0]);
  });

  it("parameter groups carry their own options; defaults fill the rest; lr can be changed", () => {
    const a = param([1]);
    const b = param([1]);
    const opt = new optim.SGD([{ params: [a] }, { params: b, lr: 0.5, momentum: 0.9 }], { lr: 0.1 });
    expect(opt.paramGroups[0]?.lr).toBe(0.1);
    expect(opt.paramGroups[1]?.momentum).toBe(0.9);
    expect(opt.paramGroups[0]?.momentum).toBe(0);
    (opt.paramGroups[0] as optim.ParamGroup).lr = 1;
    a.grad = torch.tensor([1], { dtype: "float32" });
    b.grad = torch.tensor([1], { dtype: "float32" });
    opt.step();
    expect(vals(a)).toEqual([0]);
    expect(vals(b)).toEqual([0.5]);
    const c = param([1]);
    opt.addParamGroup({ params: [c], lr: 0.25 });
    expect(opt.paramGroups).toHaveLength(3);
    expect(opt.paramGroups[2]?.dampening).toBe(0);
  });

  it("state dicts have PyTorch's layout and snake_case keys", () => {
    const p = param([1, 2]);
    const q = param([3]);
    const adam = new optim.Adam([p, q], { lr: 0.01, weightDecay: 0.1 });
    expect(adam.stateDict().state).toEqual({});
    p.grad = torch.tensor([1, 1], { dtype: "float32" });
    q.grad = torch.tensor([1], { dtype: "float32" });
    adam.step();
    const sd = adam.stateDict();
    expect(Object.keys(sd.state)).toEqual(["0", "1"]);
    const s0 = sd.state[0] as Record<string, torch.Tensor>;
    expect(Object.keys(s0).sort()).toEqual(["exp_avg", "exp_avg_sq", "step"]);
    expect(s0.step?.dtype).toBe("float32");
    expect(s0.step?.shape).toEqual([]);
    expect(s0.step?.itemSync()).toBe(1);
    expect(sd.param_groups).toEqual([
      {
        lr: 0.01,
        betas: [0.9, 0.999],
        eps: 1e-8,
        weight_decay: 0.1,
        amsgrad: false,
        maximize: false,
        foreach: null,
        capturable: false,
        differentiable: false,
        fused: false,
        params: [0, 1],
      },
    ]);
    const ada = new optim.Adagrad([p], { initialAccumulatorValue: 0.5 });
    expect(Object.keys(ada.stateDict().state[0] as object).sort()).toEqual(["step", "sum"]);
    const sgd = new optim.SGD([p], { lr: 0.1 });
    sgd.step();
    expect(sgd.stateDict().state[0]).toEqual({ momentum_buffer: null });
  });

  it("loadStateDict accepts an older integer `step` for Adam (converted to a float32 tensor)", () => {
    const p = param([1, 2]);
    const opt = new optim.Adam([p]);
    p.grad = torch.tensor([1, 1], { dtype: "float32" });
    opt.step();
    const sd = opt.stateDict();
    (sd.state[0] as Record<string, unknown>).step = 1;
    const opt2 = new optim.Adam([p]);
    opt2.loadStateDict(sd);
    const st = opt2.state.get(p)?.step as torch.Tensor;
    expect(st.dtype).toBe("float32");
    expect(st.itemSync()).toBe(1);
  });

  it("rejects what PyTorch rejects", () => {
    const p = param([1]);
    expect(() => new optim.SGD([p], { lr: -1 })).toThrow(/Invalid learning rate: -1/);
    expect(() => new optim.SGD([p], { lr: 0.1, nesterov: true })).toThrow(/Nesterov momentum requires/);
    expect(() => new optim.SGD([{ params: [p] }])).toThrow(/required optimization parameter lr/);
    expect(() => new optim.Adam([p], { betas: [1, 0.9] })).toThrow(/Invalid beta parameter at index 0/);
    expect(() => new optim.Adam([])).toThrow(/empty parameter list/);
    expect(() => new optim.Adam(p as never)).toThrow(/iterable of Tensors/);
    expect(() => new optim.SGD([{ params: [p] }, { params: [p] }], { lr: 0.1 })).toThrow(/more than one parameter group/);
    expect(() => new optim.SGD([torch.mul(p, 2)], { lr: 0.1 })).toThrow(/non-leaf/);
    expect(() => new optim.Adadelta([p], { rho: 1.5 })).toThrow(/Invalid rho value/);
    const ada = new optim.Adagrad([p]);
    const q = param([2]);
    ada.addParamGroup({ params: [q] });
    q.grad = torch.tensor([1], { dtype: "float32" });
    expect(() => ada.step()).toThrow(/KeyError: 'sum'/);
  });

  it("warns on duplicate parameters in a group, as PyTorch", () => {
    const p = param([1]);
    new optim.SGD([p, p], { lr: 0.1 });
    expect(warnings[0]).toMatch(/duplicate parameters/);
  });

  it("prints like PyTorch", () => {
    const opt = new optim.SGD([param([1])], { lr: 0.1, momentum: 0.9 });
    expect(String(opt)).toBe(
      "SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n    foreach: None\n    lr: 0.1\n    maximize: False\n    momentum: 0.9\n    nesterov: False\n    weight_decay: 0\n)",
    );
  });
});

describe("memory", () => {
  const makers: [string, (ps: torch.Tensor[]) => optim.Optimizer][] = [
    ["SGD", (ps) => new optim.SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.1, maximize: true })],
    ["Adam", (ps) => new optim.Adam(ps, { amsgrad: true, weightDecay: 0.1 })],
    ["AdamW", (ps) => new optim.AdamW(ps, { amsgrad: true })],
    ["RMSprop", (ps) => new optim.RMSprop(ps, { centered: true, momentum: 0.9, weightDecay: 0.1 })],
    ["Adagrad", (ps) => new optim.Adagrad(ps, { weightDecay: 0.1 })],
    ["Adadelta", (ps) => new optim.Adadelta(ps, { weightDecay: 0.1 })],
  ];
  for (const [name, make] of makers)
    it(`${name}.step() leaves no temporaries behind, and its state survives an enclosing tidy`, () => {
      const ps = [param([1, 2, 3]), param([4])];
      const opt = torch.tidy(() => make(ps));
      for (const p of ps) p.grad = torch.onesLike(p);
      torch.tidy(() => opt.step());
      const live = torch.memoryStats().cpu?.tensors;
      for (let i = 0; i < 5; i++) opt.step();
      expect(torch.memoryStats().cpu?.tensors).toBe(live);
      for (const s of opt.state.values())
        for (const v of Object.values(s)) if (v instanceof torch.Tensor) expect(v.isDisposed).toBe(false);
    });
});

describe("training loop", () => {
  it("Adam with StepLR fits a linear model (a smoke test of the whole recipe)", () => {
    const w = param([0, 0]);
    const x = torch.tensor(
      [
        [1, 2],
        [3, 1],
        [-1, 0.5],
      ],
      { dtype: "float32" },
    );
    const y = torch.tensor([5, 5, -0], { dtype: "float32" });
    const opt = new optim.Adam([w], { lr: 0.1 });
    const sched = new optim.lrScheduler.StepLR(opt, { stepSize: 100, gamma: 0.5 });
    let last = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 300; i++) {
      opt.zeroGrad();
      const err = torch.sub(torch.mv(x, w), y);
      const loss = torch.mean(torch.mul(err, err));
      loss.backward();
      opt.step();
      sched.step();
      last = loss.itemSync() as number;
    }
    expect(last).toBeLessThan(1e-3);
    expect(sched.getLastLr()).toEqual([0.1 * 0.5 * 0.5 * 0.5]);
    expect(warnings).toEqual([]);
  });
});

describe("foreach: true", () => {
  it("adds weight decay into .grad in place, as PyTorch 1.13's multi-tensor implementations do", () => {
    for (const make of [
      (ps: torch.Tensor[]) => new optim.Adam(ps, { weightDecay: 0.1, foreach: true }),
      (ps: torch.Tensor[]) => new optim.RMSprop(ps, { weightDecay: 0.1, foreach: true }),
      (ps: torch.Tensor[]) => new optim.Adadelta(ps, { weightDecay: 0.1, foreach: true }),
      (ps: torch.Tensor[]) => new optim.Adagrad(ps, { weightDecay: 0.1, foreach: true }),
    ]) {
      const p = param([1.5, -2]);
      const g = torch.tensor([0.25, 3], { dtype: "float32" });
      const want = vals(torch.add(g, p, { alpha: 0.1 }));
      p.grad = g;
      make([p]).step();
      expect(p.grad).toBe(g);
      expect(vals(g)).toEqual(want);
    }
    const q = param([1, 2]);
    const h = torch.tensor([0.5, 0.25], { dtype: "float32" });
    q.grad = h;
    new optim.Adam([q], { weightDecay: 0.1 }).step();
    expect(vals(h)).toEqual([0.5, 0.25]);
  });
});

describe("kernel reuse", () => {
  it("a scheduled lr, Adam's step size and bias corrections do not compile a kernel per step", () => {
    const F = globalThis.Function;
    let compiles = 0;
    globalThis.Function = new Proxy(F, {
      construct(t, a) {
        compiles++;
        return Reflect.construct(t, a);
      },
    });
    try {
      const ps = [param([1, 2, 3]), param([4, 5])];
      for (const p of ps) p.grad = torch.onesLike(p);
      for (const opt of [
        new optim.SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true }),
        new optim.Adam(ps, { amsgrad: true }),
        new optim.AdamW(ps),
        new optim.RMSprop(ps, { momentum: 0.9, centered: true }),
        new optim.Adagrad(ps, { lrDecay: 0.1 }),
        new optim.Adadelta(ps),
      ]) {
        const sched = new optim.lrScheduler.CyclicLR(opt, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 3, cycleMomentum: false });
        for (let i = 0; i < 3; i++) {
          opt.step();
          sched.step();
        }
        const before = compiles;
        for (let i = 0; i < 10; i++) {
          opt.step();
          sched.step();
        }
        expect(compiles - before, opt.constructor.name).toBe(0);
      }
      // the counter does see compilations: a new constant makes a new kernel
      const before = compiles;
      torch.noGrad(() => torch.mul(ps[0] as torch.Tensor, 1 + Math.random()));
      expect(compiles - before).toBe(1);
    } finally {
      globalThis.Function = F;
    }
  });
});
