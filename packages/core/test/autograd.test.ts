// Autograd engine: backward/grad, accumulation, retainGrad/retainGraph, grad modes, detach,
// requiresGrad_, hooks, double backward against closed forms, and the in-place/version-counter rules.
// Expected values come from algebraic identities (derivatives in closed form, computed in float64 in JS).
import * as torch from "@lockstep/core";
import { AutogradError, LockstepError, type Tensor } from "@lockstep/core";
import { afterEach, describe, expect, it } from "vitest";

const f64 = (data: unknown, requiresGrad = false): Tensor => torch.tensor(data as number[], { dtype: "float64", requiresGrad });
/** Elements in row-major order as JS numbers. */
const vals = (t: Tensor | null | undefined): number[] => {
  if (!t) throw new Error("expected a tensor, got null");
  return Array.from(t.dataSync() as Float64Array, Number);
};
/** Element-wise comparison with a relative tolerance (closed forms vs float64 kernels). */
const expectClose = (got: number[], want: number[], tol = 1e-12): void => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    const w = want[i] as number;
    if (!(Math.abs(g - w) <= tol * Math.max(1, Math.abs(w))))
      expect.fail(`element ${i}: got ${g}, want ${w} (got ${got}, want ${want})`);
  });
};
const grad1 = (out: Tensor, x: Tensor, opts: Parameters<typeof torch.autograd.grad>[2] = {}): Tensor =>
  torch.autograd.grad(out, x, opts)[0] as Tensor;

afterEach(() => torch.setGradEnabled(true));

describe("backward()", () => {
  it("computes the gradient of a scalar (d/dx Σ x² = 2x) and records grad_fn names", () => {
    const x = f64([1, -2, 3.5], true);
    const y = x.mul(x).sum();
    expect(y.requiresGrad).toBe(true);
    expect(y.isLeaf).toBe(false);
    expect(y.gradFn?.name).toBe("SumBackward1");
    expect(x.grad).toBeNull();
    y.backward();
    expectClose(vals(x.grad), [2, -4, 7]);
    expect(x.grad?.requiresGrad).toBe(false);
    expect(x.grad?.shape).toEqual([3]);
  });

  it("takes an explicit gradient for non-scalar outputs (vector-Jacobian product)", () => {
    const x = f64([1, 2, 3], true);
    const y = x.mul(x).mul(3); // dy_i/dx_i = 6 x_i
    y.backward(f64([1, 0.5, -2]));
    expectClose(vals(x.grad), [6, 6, -36]);
  });

  it("refuses an implicit gradient for a non-scalar output, and a gradient of the wrong shape", () => {
    const x = f64([1, 2, 3], true);
    const y = x.mul(2);
    expect(() => y.backward()).toThrow(AutogradError);
    expect(() => y.backward()).toThrow(/scalar outputs/);
    expect(() => y.backward(f64([1, 2]))).toThrow(AutogradError);
    // A 1-element non-0-dim output can be backwarded without a gradient, as in PyTorch.
    const z = x.sum(0, true);
    z.backward();
    expectClose(vals(x.grad), [1, 1, 1]);
  });

  it("refuses tensors that do not require grad", () => {
    const x = f64([1, 2]);
    expect(() => x.sum().backward()).toThrow(AutogradError);
    expect(() => x.sum().backward()).toThrow(/does not require grad/);
  });

  it("a leaf's backward sets its .grad to a copy of the given gradient", () => {
    const x = f64([1, 2], true);
    const g = f64([3, 4]);
    x.backward(g);
    expectClose(vals(x.grad), [3, 4]);
    g.add_(100); // the leaf's .grad must not alias the caller's tensor
    expectClose(vals(x.grad), [3, 4]);
  });

  // f = x·sin(x) + exp(x) + x  →  f' = sin x + x cos x + exp x + 1
  const fanOut = (x: Tensor): Tensor => x.mul(x.sin()).add(x.exp()).add(x).sum();
  const fanOutGrad = [0.5, 2].map((v) => Math.sin(v) + v * Math.cos(v) + Math.exp(v) + 1);

  it("sums the gradients of a tensor used several times (fan-out), through autograd.grad", () => {
    const x = f64([0.5, 2], true);
    expectClose(vals(grad1(fanOut(x), x)), fanOutGrad);
  });

  it("sums fan-out gradients into .grad when the first one to arrive is a plain tensor", () => {
    const x = f64([0.5, 2], true);
    x.mul(x.sin()).add(x.exp()).add(x.mul(1)).sum().backward();
    expectClose(vals(x.grad), fanOutGrad);
  });

  it("sums fan-out gradients into .grad when the first one to arrive is an expanded view", () => {
    const x = f64([0.5, 2], true);
    fanOut(x).backward();
    expectClose(vals(x.grad), fanOutGrad);
  });

  it("a leaf's .grad does not alias a gradient still pending for another node", () => {
    const x = f64([1, 2], true);
    const u = x.mul(3);
    const s = x.mul(f64([5, 7]));
    const t = x.add(u);
    t.mul(2).add(s).sum().backward();
    expectClose(vals(x.grad), [13, 15]);
  });

  it("handles broadcasting: the gradient of a broadcast operand is summed back to its shape", () => {
    const a = f64([[1], [2], [3]], true); // [3, 1]
    const b = f64([10, 20, 30, 40], true); // [4]
    a.mul(b).sum().backward();
    expectClose(vals(a.grad), [100, 100, 100]);
    expectClose(vals(b.grad), [6, 6, 6, 6]);
    expect(a.grad?.shape).toEqual([3, 1]);
    expect(b.grad?.shape).toEqual([4]);
  });
});

describe("accumulation into leaf .grad", () => {
  it("adds the gradients of two backward calls over separate graphs", () => {
    const x = f64([1, 2, 3], true);
    x.mul(x).sum().backward(); // 2x
    x.mul(x).mul(x).sum().backward(); // + 3x²
    expectClose(vals(x.grad), [2 + 3, 4 + 12, 6 + 27]);
  });

  it("keeps the grads of two leaves that received the same gradient tensor independent", () => {
    const a = f64([1, 2], true);
    const b = f64([5, 6], true);
    a.add(b).mul(2).sum().backward(); // AddBackward hands the same tensor to both leaves
    expectClose(vals(a.grad), [2, 2]);
    expectClose(vals(b.grad), [2, 2]);
    a.mul(1).sum().backward(); // accumulating into a.grad must not change b.grad
    expectClose(vals(a.grad), [3, 3]);
    expectClose(vals(b.grad), [2, 2]);
  });

  it("zeroing .grad (or setting it to null) restarts the accumulation", () => {
    const x = f64([1, 2], true);
    x.mul(3).sum().backward();
    torch.noGrad(() => (x.grad as Tensor).zero_());
    x.mul(x).sum().backward();
    expectClose(vals(x.grad), [2, 4]);
    x.grad = null;
    x.mul(5).sum().backward();
    expectClose(vals(x.grad), [5, 5]);
  });

  it("accumulates correctly after a first gradient that came from sum() (an expanded view)", () => {
    const x = f64([1, 2, 3], true);
    x.sum().backward();
    expectClose(vals(x.grad), [1, 1, 1]);
    x.mul(x).sum().backward();
    expectClose(vals(x.grad), [3, 5, 7]);
  });

  it("a backward with createGraph accumulates out of place, keeping the graph of .grad", () => {
    const x = f64([1, 2], true);
    x.pow(3).sum().backward(undefined, { createGraph: true });
    expect(x.grad?.requiresGrad).toBe(true);
    expectClose(vals(x.grad), [3, 12]);
    const [h] = torch.autograd.grad((x.grad as Tensor).sum(), x);
    expectClose(vals(h), [6, 12]);
  });
});

describe("retainGrad", () => {
  it("keeps the gradient of a non-leaf only when asked", () => {
    const x = f64([1, 2], true);
    const a = x.mul(3);
    const b = x.mul(4);
    a.retainGrad();
    a.mul(a).add(b).sum().backward(); // d/da = 2a
    expectClose(vals(a.grad), [6, 12]);
    expect(b.grad).toBeNull();
    expectClose(vals(x.grad), [2 * 3 * 3 + 4, 2 * 6 * 3 + 4]); // 18x + 4
  });

  it("accumulates the retained gradient over two backward calls (retainGraph)", () => {
    const x = f64([1, 2], true);
    const a = x.exp();
    a.retainGrad();
    const y = a.mul(f64([2, 3])).sum();
    y.backward(undefined, { retainGraph: true });
    expectClose(vals(a.grad), [2, 3]);
    y.backward();
    expectClose(vals(a.grad), [4, 6]);
    expectClose(vals(x.grad), [4 * Math.exp(1), 6 * Math.exp(2)]);
  });

  it("is a no-op on leaves and an error on tensors that do not require grad", () => {
    const x = f64([1, 2], true);
    x.retainGrad();
    x.mul(2).sum().backward();
    expectClose(vals(x.grad), [2, 2]);
    expect(() => f64([1]).retainGrad()).toThrow(AutogradError);
  });
});

describe("retainGraph", () => {
  it("a second backward through a freed graph raises PyTorch's error", () => {
    const x = f64([1, 2], true);
    const y = x.exp().sum();
    y.backward();
    let err: unknown;
    try {
      y.backward();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AutogradError);
    expect((err as Error).message).toMatch(/Trying to backward through the graph a second time/);
    expect((err as Error).message).toMatch(/retainGraph/);
    // The first backward's gradient is intact.
    expectClose(vals(x.grad), [Math.exp(1), Math.exp(2)]);
  });

  it("autograd.grad frees the graph too, unless retainGraph is set", () => {
    const x = f64([1, 2], true);
    const y = x.sin().sum();
    grad1(y, x);
    expect(() => grad1(y, x)).toThrow(AutogradError);
    const z = x.sin().sum();
    const g1 = grad1(z, x, { retainGraph: true });
    const g2 = grad1(z, x);
    expectClose(vals(g1), vals(g2));
    expectClose(vals(g2), [Math.cos(1), Math.cos(2)]);
  });

  it("with retainGraph a second backward works and accumulates", () => {
    const x = f64([1, 2, 3], true);
    const y = x.mul(x).mul(x).sum(); // 3x²
    y.backward(undefined, { retainGraph: true });
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expectClose(vals(x.grad), [9, 36, 81]);
    expect(() => y.backward()).toThrow(AutogradError);
  });

  it("a shared subgraph survives a retained backward of one branch", () => {
    const x = f64([0.3, 0.7], true);
    const h = x.tanh();
    const a = h.mul(2).sum();
    const b = h.mul(h).sum();
    a.backward(undefined, { retainGraph: true });
    b.backward();
    const t = [0.3, 0.7].map(Math.tanh);
    expectClose(
      vals(x.grad),
      t.map((v) => (2 + 2 * v) * (1 - v * v)),
    );
  });
});

describe("grad modes", () => {
  it("noGrad records nothing and returns the callback's value", () => {
    const x = f64([1, 2], true);
    const y = torch.noGrad(() => x.mul(2).exp());
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(y.isLeaf).toBe(true);
    expect(torch.isGradEnabled()).toBe(true);
    expectClose(vals(y), [Math.exp(2), Math.exp(4)]);
  });

  it("enableGrad re-enables recording inside noGrad; modes nest and restore", () => {
    const x = f64([1, 2], true);
    const [inner, outer] = torch.noGrad(() => {
      expect(torch.isGradEnabled()).toBe(false);
      const i = torch.enableGrad(() => {
        expect(torch.isGradEnabled()).toBe(true);
        return x.mul(x);
      });
      expect(torch.isGradEnabled()).toBe(false);
      return [i, x.mul(x)];
    });
    expect(inner.requiresGrad).toBe(true);
    expect(outer.requiresGrad).toBe(false);
    inner.sum().backward();
    expectClose(vals(x.grad), [2, 4]);
  });

  it("restores the mode when the callback throws", () => {
    expect(() =>
      torch.noGrad(() => {
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(torch.isGradEnabled()).toBe(true);
  });

  it("setGradEnabled switches recording globally", () => {
    const x = f64([1, 2], true);
    torch.setGradEnabled(false);
    expect(torch.isGradEnabled()).toBe(false);
    const y = x.mul(3);
    expect(y.requiresGrad).toBe(false);
    torch.setGradEnabled(true);
    const z = x.mul(3);
    expect(z.requiresGrad).toBe(true);
    z.sum().backward();
    expectClose(vals(x.grad), [3, 3]);
  });

  it("in-place updates of a leaf that requires grad are allowed under noGrad (an SGD step)", () => {
    const w = f64([1, 2], true);
    w.mul(w).sum().backward();
    torch.noGrad(() => w.sub_(w.grad as Tensor, { alpha: 0.25 }));
    expectClose(vals(w), [0.5, 1]);
    expect(w.requiresGrad).toBe(true);
    expect(w.isLeaf).toBe(true);
  });
});

describe("detach / detach_ / requiresGrad_", () => {
  it("detach shares storage, is cut from the graph, and leaves the original in it", () => {
    const x = f64([1, 2], true);
    const y = x.mul(3);
    const d = y.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.gradFn).toBeNull();
    expect(d._storage).toBe(y._storage);
    // A function of the detached tensor contributes no gradient: d/dx (y + d·y) = 3 + 3·d.
    y.add(d.mul(y)).sum().backward();
    expectClose(vals(x.grad), [3 + 9, 3 + 18]);
  });

  it("in-place writes through a detached alias bump the shared version counter", () => {
    const x = f64([1, 2], true);
    const y = x.exp(); // ExpBackward saves its output
    const d = y.detach();
    const v = y.version;
    d.zero_();
    expect(y.version).toBe(v + 1);
    expectClose(vals(y), [0, 0]);
    expect(() => y.sum().backward()).toThrow(AutogradError);
  });

  it("detach_ turns a non-leaf into a leaf in place", () => {
    const x = f64([1, 2], true);
    const y = x.mul(2);
    const r = y.detach_();
    expect(r).toBe(y);
    expect(y.requiresGrad).toBe(false);
    expect(y.isLeaf).toBe(true);
    expect(() => y.sum().backward()).toThrow(AutogradError);
  });

  it("detach_ refuses views of tensors that require grad", () => {
    const x = f64([1, 2, 3, 4], true);
    const v = x.view([2, 2]);
    expect(() => v.detach_()).toThrow(LockstepError);
  });

  it("requiresGrad_ turns tracking on and off on leaves", () => {
    const x = f64([1, 2]);
    expect(x.requiresGrad_()).toBe(x);
    expect(x.requiresGrad).toBe(true);
    x.mul(4).sum().backward();
    expectClose(vals(x.grad), [4, 4]);
    x.requiresGrad_(false);
    expect(x.mul(4).requiresGrad).toBe(false);
  });

  it("requiresGrad_ refuses integer/bool tensors and non-leaves", () => {
    for (const t of [torch.tensor([1, 2]), torch.tensor([1, 2], { dtype: "int32" }), torch.tensor([true])]) {
      expect(() => t.requiresGrad_()).toThrow(LockstepError);
      expect(() => t.requiresGrad_()).toThrow(/floating point/);
      expect(t.requiresGrad).toBe(false);
    }
    // requires_grad=False on an int tensor is allowed (a no-op), as in PyTorch.
    expect(torch.tensor([1]).requiresGrad_(false).requiresGrad).toBe(false);
    const y = f64([1], true).mul(2);
    expect(() => y.requiresGrad_(false)).toThrow(LockstepError);
    expect(() => y.requiresGrad_(false)).toThrow(/leaf/);
    expect(() => torch.tensor([1, 2], { requiresGrad: true })).toThrow(LockstepError);
  });
});

describe("registerHook", () => {
  it("a hook on a leaf can replace the gradient, and remove() detaches it", () => {
    const x = f64([1, 2], true);
    const seen: number[][] = [];
    const h1 = x.registerHook((g) => {
      seen.push(vals(g));
    });
    const h2 = x.registerHook((g) => g.mul(10));
    x.mul(3).sum().backward();
    expect(seen).toEqual([[3, 3]]);
    expectClose(vals(x.grad), [30, 30]);
    h2.remove();
    x.mul(3).sum().backward();
    expectClose(vals(x.grad), [33, 33]);
    h1.remove();
    x.mul(3).sum().backward();
    expect(seen.length).toBe(2);
    expectClose(vals(x.grad), [36, 36]);
  });

  it("a hook on a non-leaf changes the gradient flowing to its inputs", () => {
    const x = f64([1, 2], true);
    const a = x.mul(x); // da/dx = 2x
    const seen: number[][] = [];
    const h = a.registerHook((g) => {
      seen.push(vals(g));
      return g.mul(f64([1, -1]));
    });
    a.mul(5).sum().backward();
    expect(seen).toEqual([[5, 5]]);
    expectClose(vals(x.grad), [10, -20]);
    h.remove();
    x.grad = null;
    const b = x.mul(x);
    b.registerHook((g) => g.mul(0.5));
    b.sum().backward();
    expectClose(vals(x.grad), [1, 2]);
    // the removed hook no longer runs on the old graph's node either
    expect(seen.length).toBe(1);
  });

  it("hooks run on the gradient seen by autograd.grad and by retained grads", () => {
    const x = f64([2, 3], true);
    const a = x.exp();
    a.registerHook((g) => g.mul(2));
    a.retainGrad();
    a.sum().backward();
    expectClose(vals(a.grad), [2, 2]);
    expectClose(vals(x.grad), [2 * Math.exp(2), 2 * Math.exp(3)]);
  });

  it("refuses tensors that do not require grad", () => {
    expect(() => f64([1]).registerHook((g) => g)).toThrow(AutogradError);
  });
});

describe("torch.autograd.grad", () => {
  it("returns gradients without touching .grad", () => {
    const x = f64([1, 2], true);
    const [g] = torch.autograd.grad(x.pow(3).sum(), x);
    expectClose(vals(g), [3, 12]);
    expect(x.grad).toBeNull();
    expect(g?.requiresGrad).toBe(false);
  });

  it("takes gradOutputs (a vector-Jacobian product) and several inputs", () => {
    const x = f64([1, 2], true);
    const y = f64([3, 4], true);
    const z = x.mul(y); // dz/dx = y, dz/dy = x
    const [gx, gy] = torch.autograd.grad(z, [x, y], { gradOutputs: f64([1, -1]) });
    expectClose(vals(gx), [3, -4]);
    expectClose(vals(gy), [1, -2]);
  });

  it("sums over several outputs", () => {
    const x = f64([1, 2], true);
    const [g] = torch.autograd.grad([x.mul(2).sum(), x.mul(x).sum()], [x]);
    expectClose(vals(g), [4, 6]);
    const [h] = torch.autograd.grad([x.mul(2), x.mul(x)], [x], { gradOutputs: [f64([1, 0]), f64([0, 1])] });
    expectClose(vals(h), [2, 4]);
  });

  it("differentiates with respect to a non-leaf", () => {
    const x = f64([1, 2], true);
    const a = x.mul(3);
    const [ga, gx] = torch.autograd.grad(a.mul(a).sum(), [a, x]);
    expectClose(vals(ga), [6, 12]);
    expectClose(vals(gx), [18, 36]);
  });

  it("raises for an unused input unless allowUnused is set (then null)", () => {
    const x = f64([1, 2], true);
    const unused = f64([5], true);
    let err: unknown;
    try {
      torch.autograd.grad(x.sum(), [x, unused]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AutogradError);
    expect((err as Error).message).toMatch(/appears to not have been used in the graph/);
    const [gx, gu] = torch.autograd.grad(x.mul(2).sum(), [x, unused], { allowUnused: true });
    expectClose(vals(gx), [2, 2]);
    expect(gu).toBeNull();
  });

  it("raises for inputs and outputs that do not require grad", () => {
    const x = f64([1, 2], true);
    expect(() => torch.autograd.grad(x.sum(), f64([1, 2]))).toThrow(AutogradError);
    expect(() => torch.autograd.grad(f64([1, 2]).sum(), x)).toThrow(AutogradError);
  });
});

describe("double backward (second derivatives against closed forms)", () => {
  const xs = [-1.3, -0.4, 0.2, 0.9, 1.7];
  /** First derivative with a graph, then the second via autograd.grad of its sum (elementwise ops: the diagonal). */
  const second = (f: (t: Tensor) => Tensor, at: number[]): { d1: number[]; d2: number[] } => {
    const x = f64(at, true);
    const [g] = torch.autograd.grad(f(x).sum(), x, { createGraph: true });
    expect(g?.requiresGrad).toBe(true);
    const [h] = torch.autograd.grad((g as Tensor).sum(), x);
    return { d1: vals(g), d2: vals(h) };
  };
  const cases: [string, (t: Tensor) => Tensor, (v: number) => number, (v: number) => number][] = [
    ["x^3", (t) => t.pow(3), (v) => 3 * v * v, (v) => 6 * v],
    ["x*x*x", (t) => t.mul(t).mul(t), (v) => 3 * v * v, (v) => 6 * v],
    ["sin", (t) => t.sin(), Math.cos, (v) => -Math.sin(v)],
    ["cos", (t) => t.cos(), (v) => -Math.sin(v), (v) => -Math.cos(v)],
    ["exp", (t) => t.exp(), Math.exp, Math.exp],
    ["log(x+2)", (t) => t.add(2).log(), (v) => 1 / (v + 2), (v) => -1 / (v + 2) ** 2],
    ["sqrt(x+2)", (t) => t.add(2).sqrt(), (v) => 0.5 / Math.sqrt(v + 2), (v) => -0.25 * (v + 2) ** -1.5],
    ["tanh", (t) => t.tanh(), (v) => 1 - Math.tanh(v) ** 2, (v) => -2 * Math.tanh(v) * (1 - Math.tanh(v) ** 2)],
    [
      "sigmoid",
      (t) => t.sigmoid(),
      (v) => {
        const s = 1 / (1 + Math.exp(-v));
        return s * (1 - s);
      },
      (v) => {
        const s = 1 / (1 + Math.exp(-v));
        return s * (1 - s) * (1 - 2 * s);
      },
    ],
    ["reciprocal(x+2)", (t) => t.add(2).reciprocal(), (v) => -1 / (v + 2) ** 2, (v) => 2 / (v + 2) ** 3],
    ["1/(x+2) via div", (t) => torch.div(1, t.add(2)), (v) => -1 / (v + 2) ** 2, (v) => 2 / (v + 2) ** 3],
  ];
  for (const [name, f, d1, d2] of cases)
    it(`${name}: f' and f''`, () => {
      const r = second(f, xs);
      expectClose(r.d1, xs.map(d1), 1e-12);
      expectClose(r.d2, xs.map(d2), 1e-12);
    });

  it("third derivative of x^3 is 6", () => {
    const x = f64([0.5, -2], true);
    const [g] = torch.autograd.grad(x.pow(3).sum(), x, { createGraph: true });
    const [h] = torch.autograd.grad((g as Tensor).sum(), x, { createGraph: true });
    const [k] = torch.autograd.grad((h as Tensor).sum(), x);
    expectClose(vals(h), [3, -12]);
    expectClose(vals(k), [6, 6]);
  });

  it("softmax: the full Hessian of Σ w·softmax(x)", () => {
    const at = [0.1, -0.7, 1.2, 0.4];
    const w = [1.5, -0.5, 0.25, 2];
    const x = f64(at, true);
    const [g] = torch.autograd.grad(x.softmax(0).mul(f64(w)).sum(), x, { createGraph: true });
    const e = at.map(Math.exp);
    const z = e.reduce((a, b) => a + b, 0);
    const s = e.map((v) => v / z);
    const wbar = s.reduce((a, si, i) => a + si * (w[i] as number), 0);
    expectClose(
      vals(g),
      s.map((si, i) => si * ((w[i] as number) - wbar)),
    );
    for (let i = 0; i < at.length; i++) {
      const [row] = torch.autograd.grad((g as Tensor).select(0, i), x, { retainGraph: true });
      const si = s[i] as number;
      const wi = w[i] as number;
      // H_ij = s_i (δ_ij − s_j)(w_i − w̄) − s_i s_j (w_j − w̄)
      const want = s.map((sj, j) => si * ((i === j ? 1 : 0) - sj) * (wi - wbar) - si * sj * ((w[j] as number) - wbar));
      expectClose(vals(row), want);
    }
  });

  it("logSoftmax: d²/dx² of Σ w·logSoftmax(x) = −(Σw)·(diag(s) − s sᵀ)", () => {
    const at = [0.3, -1.1, 0.8];
    const w = [2, -1, 0.5];
    const sw = 1.5;
    const x = f64(at, true);
    const [g] = torch.autograd.grad(x.logSoftmax(0).mul(f64(w)).sum(), x, { createGraph: true });
    const e = at.map(Math.exp);
    const z = e.reduce((a, b) => a + b, 0);
    const s = e.map((v) => v / z);
    expectClose(
      vals(g),
      w.map((wi, i) => wi - sw * (s[i] as number)),
    );
    const [h] = torch.autograd.grad((g as Tensor).sum(), x);
    // Σ_i H_ij = −Σw · (s_j − s_j Σ_i s_i) = 0 … use a weighted sum instead to avoid a trivial zero.
    expectClose(vals(h), [0, 0, 0], 1e-12);
    const x2 = f64(at, true);
    const [g2] = torch.autograd.grad(x2.logSoftmax(0).mul(f64(w)).sum(), x2, { createGraph: true });
    const v = [1, 2, -3];
    const [hv] = torch.autograd.grad((g2 as Tensor).mul(f64(v)).sum(), x2);
    const sv = s.reduce((a, si, i) => a + si * (v[i] as number), 0);
    expectClose(
      vals(hv),
      s.map((sj, j) => -sw * sj * ((v[j] as number) - sv)),
    );
  });

  it("matmul: second derivatives of Σ (A B)² and the mixed derivative of Σ A B", () => {
    const A0 = [
      [1, 2, -1],
      [0.5, -3, 2],
    ];
    const B0 = [
      [2, -1],
      [0, 1.5],
      [1, 1],
    ];
    const A = f64(A0, true);
    const B = f64(B0, true);
    // f = Σ (AB)²: ∂f/∂A = 2 (AB) Bᵀ; ∂/∂A_kl Σ_ij (∂f/∂A)_ij = 2 Σ_j (B Bᵀ)_lj
    const [gA] = torch.autograd.grad(A.matmul(B).pow(2).sum(), A, { createGraph: true });
    const M = B0.map((bl) => B0.map((bj) => bl.reduce((a, v, t) => a + v * (bj[t] as number), 0)));
    const C = A0.map((ai) => [0, 1].map((j) => ai.reduce((a, v, t) => a + v * (B0[t]?.[j] as number), 0)));
    expectClose(
      vals(gA),
      C.flatMap((ci) => B0.map((bl) => 2 * ci.reduce((a, v, j) => a + v * (bl[j] as number), 0))),
    );
    const [hA] = torch.autograd.grad((gA as Tensor).sum(), A);
    const rowSums = M.map((r) => 2 * r.reduce((a, b) => a + b, 0));
    expectClose(vals(hA), [...rowSums, ...rowSums]);
    // f = Σ A B: ∂f/∂A_kl = Σ_j B_lj (independent of A), so ∂/∂B_lj Σ_kl W_kl ∂f/∂A_kl = Σ_k W_kl.
    const A2 = f64(A0, true);
    const B2 = f64(B0, true);
    const W = [
      [1, -2, 3],
      [4, 0.5, -1],
    ];
    const [gA2] = torch.autograd.grad(A2.matmul(B2).sum(), A2, { createGraph: true });
    expectClose(
      vals(gA2),
      A0.flatMap(() => B0.map((bl) => bl.reduce((a, b) => a + b, 0))),
    );
    const [hA2, hB2] = torch.autograd.grad((gA2 as Tensor).mul(f64(W)).sum(), [A2, B2], { allowUnused: true });
    expect(hA2 === null || vals(hA2).every((v) => v === 0)).toBe(true);
    expectClose(
      vals(hB2),
      [0, 1, 2].flatMap((l) => [0, 1].map(() => (W[0]?.[l] as number) + (W[1]?.[l] as number))),
    );
  });

  it("mul/div chain: the Hessian column of f = x·y/z with respect to z", () => {
    const [x0, y0, z0] = [1.5, -2, 0.8];
    const [x, y, z] = [f64(x0, true), f64(y0, true), f64(z0, true)];
    const f = x.mul(y).div(z);
    const [gx, gy, gz] = torch.autograd.grad(f, [x, y, z], { createGraph: true }) as Tensor[];
    expectClose(vals(gx), [y0 / z0]);
    expectClose(vals(gy), [x0 / z0]);
    expectClose(vals(gz), [(-x0 * y0) / z0 ** 2]);
    const h = torch.autograd.grad(gz as Tensor, [x, y, z]);
    expectClose(vals(h[0]), [-y0 / z0 ** 2]);
    expectClose(vals(h[1]), [-x0 / z0 ** 2]);
    expectClose(vals(h[2]), [(2 * x0 * y0) / z0 ** 3]);
    const hx = torch.autograd.grad(gx as Tensor, [x, y, z], { allowUnused: true });
    expect(hx[0] === null || vals(hx[0])[0] === 0).toBe(true);
    expectClose(vals(hx[1]), [1 / z0]);
    expectClose(vals(hx[2]), [-y0 / z0 ** 2]);
  });

  it("createGraph=false gives first-order gradients without a graph", () => {
    const x = f64([1, 2], true);
    const [g] = torch.autograd.grad(x.pow(3).sum(), x);
    expect(g?.requiresGrad).toBe(false);
    expect(() => torch.autograd.grad((g as Tensor).sum(), x)).toThrow(AutogradError);
  });
});

describe("in-place operations and the version counter", () => {
  it("every in-place op bumps the version", () => {
    const t = f64([1, 2]);
    expect(t.version).toBe(0);
    t.add_(1);
    t.mul_(2);
    t.zero_();
    expect(t.version).toBe(3);
    expect(t.view([2, 1]).version).toBe(3); // shared by views
  });

  it("modifying an input saved for backward (add_) makes backward raise, naming the version", () => {
    const x = f64([1, 2], true);
    const a = x.mul(2);
    const b = a.sin(); // SinBackward saves its input a
    a.add_(1);
    let err: unknown;
    try {
      b.sum().backward();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AutogradError);
    expect((err as Error).message).toMatch(/modified by an inplace operation/);
    expect((err as Error).message).toMatch(/is at version 1; expected version 0/);
    expect((err as Error).message).toMatch(/SinBackward0/);
  });

  it("modifying an output saved for backward (mul_ after exp) makes backward raise", () => {
    const x = f64([1, 2], true);
    const y = x.exp(); // ExpBackward saves its output
    y.mul_(2);
    expect(() => y.sum().backward()).toThrow(AutogradError);
    expect(() => {
      const x2 = f64([1, 2], true);
      const y2 = x2.exp();
      y2.mul_(2);
      y2.sum().backward();
    }).toThrow(/version/);
  });

  it("modifying a saved tensor that does not require grad makes backward raise", () => {
    const x = f64([1, 2], true);
    const w = f64([3, 4]);
    const y = x.mul(w); // MulBackward saves w
    torch.noGrad(() => w.add_(1));
    expect(() => y.sum().backward()).toThrow(AutogradError);
  });

  it("in-place changes to tensors that were not saved are fine", () => {
    const x = f64([1, 2], true);
    const a = x.add(1); // AddBackward saves nothing
    a.mul_(3);
    a.sum().backward();
    expectClose(vals(x.grad), [3, 3]);
  });

  it("an in-place op on a leaf that requires grad raises AutogradError", () => {
    const x = f64([1, 2], true);
    for (const f of [
      () => x.add_(1),
      () => x.mul_(2),
      () => x.zero_(),
      () => x.exp_(),
      () => x.copy_(f64([0, 0])),
      () => x.clamp_(0, 1),
    ]) {
      expect(f).toThrow(AutogradError);
      expect(f).toThrow(/leaf Variable that requires grad/);
    }
    expectClose(vals(x), [1, 2]);
    expect(x.version).toBe(0);
  });

  it("in-place ops on non-leaves take part in the graph with correct gradients", () => {
    const at = [0.5, -1.5, 2];
    const cases: [string, (y: Tensor) => void, (v: number) => number][] = [
      ["add_", (y) => y.add_(f64([1, 2, 3])), () => 2],
      ["add_ alpha", (y) => y.add_(y.detach(), { alpha: 3 }), () => 2],
      ["mul_", (y) => y.mul_(f64([1, 2, 3])), () => NaN],
      ["exp_", (y) => y.exp_(), (v) => 2 * Math.exp(2 * v)],
      ["sigmoid_", (y) => y.sigmoid_(), (v) => 2 * (1 / (1 + Math.exp(-2 * v))) * (1 - 1 / (1 + Math.exp(-2 * v)))],
      ["tanh_", (y) => y.tanh_(), (v) => 2 * (1 - Math.tanh(2 * v) ** 2)],
      ["relu_", (y) => y.relu_(), (v) => (v > 0 ? 2 : 0)],
      ["neg_", (y) => y.neg_(), () => -2],
      ["pow_", (y) => y.pow_(2), (v) => 8 * v],
      ["div_", (y) => y.div_(4), () => 0.5],
      ["clamp_", (y) => y.clamp_(-2, 2), (v) => (Math.abs(2 * v) <= 2 ? 2 : 0)],
      ["zero_", (y) => y.zero_(), () => 0],
      ["fill_", (y) => y.fill_(7), () => 0],
    ];
    for (const [name, op, d] of cases) {
      const x = f64(at, true);
      const y = x.mul(2);
      op(y);
      expect(y.requiresGrad, name).toBe(true);
      y.sum().backward();
      const want = name === "mul_" ? [2, 4, 6] : at.map(d);
      expectClose(vals(x.grad), want, 1e-12);
    }
  });

  it("copy_ and maskedFill_ on a non-leaf route gradients to the right source", () => {
    const x = f64([1, 2, 3], true);
    const s = f64([4, 5, 6], true);
    const y = x.mul(2);
    y.copy_(s.mul(s));
    y.sum().backward();
    expectClose(vals(x.grad), [0, 0, 0]);
    expectClose(vals(s.grad), [8, 10, 12]);
    const x2 = f64([1, 2, 3], true);
    const y2 = x2.mul(x2);
    y2.maskedFill_(torch.tensor([true, false, true]), 0);
    y2.sum().backward();
    expectClose(vals(x2.grad), [0, 4, 0]);
  });

  it("a chain of in-place ops on one non-leaf composes (y = ((2x + 1)·3)²)", () => {
    const x = f64([0.5, -1], true);
    const y = x.mul(2);
    y.add_(1).mul_(3).pow_(2);
    y.sum().backward();
    // d/dx (3(2x+1))² = 2·9(2x+1)·2 = 36(2x+1)
    expectClose(vals(x.grad), [72, -36]);
    expectClose(vals(y), [36, 9]);
  });

  // LIMITATION (src/ops/elementwise.ts, inPlace): an in-place op on a view of a non-leaf throws
  // "not supported yet"; PyTorch rebases the view's grad_fn (CopySlices) and gives x.grad = [2, 6].
  it.fails("in-place ops on a view of a non-leaf update the base's gradient (PyTorch's CopySlices)", () => {
    const x = f64([1, 2], true);
    const y = x.mul(2);
    y.select(0, 1).mul_(3);
    y.sum().backward();
    expectClose(vals(x.grad), [2, 6]);
  });
});
