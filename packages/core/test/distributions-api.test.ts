// torch.distributions: the API around the golden values (distributions.test.ts) — generators,
// sample shapes and options, gradients of sample vs rsample, validation switches, constraints,
// expand, the typed errors, and float64 gradchecks of the linear algebra MultivariateNormal uses.

import type { Tensor } from "@lockstep/core";
import * as torch from "@lockstep/core";
import { afterEach, describe, expect, it } from "vitest";
import * as D from "../src/distributions/index.js";
import { cholesky, choleskyInverse, solveTriangular } from "../src/distributions/linalg.js";

const f64 = { dtype: "float64" as const };
const vals = (t: Tensor): number[] => Array.from(t.dataSync() as Float32Array);

afterEach(() => D.Distribution.setDefaultValidateArgs(true));

describe("distributions: namespace", () => {
  it("exports the distributions, the base class, constraints and the errors", () => {
    for (const name of [
      "Normal",
      "Uniform",
      "Bernoulli",
      "Categorical",
      "Exponential",
      "Laplace",
      "MultivariateNormal",
      "Distribution",
      "NotImplementedError",
      "LinAlgError",
    ])
      expect(typeof (D as Record<string, unknown>)[name]).toBe("function");
    expect(String(D.constraints.positive)).toBe("GreaterThan(lower_bound=0.0)");
    expect(String(D.constraints.unitInterval)).toBe("Interval(lower_bound=0.0, upper_bound=1.0)");
    expect(String(D.constraints.realVector)).toBe("IndependentConstraint(Real(), 1)");
    expect(String(D.constraints.integerInterval(0, 4))).toBe("IntegerInterval(lower_bound=0, upper_bound=4)");
    expect(String(D.constraints.simplex)).toBe("Simplex()");
    expect(String(D.constraints.lowerCholesky)).toBe("LowerCholesky()");
    expect(String(D.constraints.positiveDefinite)).toBe("PositiveDefinite()");
  });
});

describe("distributions: sampling", () => {
  it("draws from the global generator or a given one, identically for the same seed", () => {
    const m = new D.Normal(torch.tensor([0, 1, 2], { dtype: "float32" }), torch.tensor([1, 2, 3], { dtype: "float32" }));
    torch.manualSeed(7);
    const a = m.sample([5]);
    const b = m.sample([5, 2], { generator: new torch.Generator().manualSeed(7) });
    const c = m.sample({ generator: new torch.Generator().manualSeed(7) });
    expect(a.shape).toEqual([5, 3]);
    expect(b.shape).toEqual([5, 2, 3]);
    expect(c.shape).toEqual([3]);
    // 15 and 30 elements: the scalar and the 16-wide paths start from the same stream
    torch.manualSeed(7);
    expect(vals(m.sample())).toEqual(vals(c));
    const g = new torch.Generator().manualSeed(3);
    const x1 = m.rsample([4], { generator: g });
    const x2 = m.rsample([4], { generator: g });
    expect(vals(x1)).not.toEqual(vals(x2)); // the generator advances
    const h = new torch.Generator().manualSeed(3);
    expect(vals(m.rsample([4], { generator: h }))).toEqual(vals(x1));
  });

  it("sample() is outside autograd, rsample() is differentiable", () => {
    const loc = torch.tensor([0.5, -1], { dtype: "float32", requiresGrad: true });
    const scale = torch.tensor([1, 2], { dtype: "float32", requiresGrad: true });
    const m = new D.Normal(loc, scale);
    expect(m.sample([3]).requiresGrad).toBe(false);
    const r = m.rsample([3]);
    expect(r.requiresGrad).toBe(true);
    r.sum().backward();
    expect(vals(loc.grad as Tensor)).toEqual([3, 3]);
    for (const d of [
      new D.Uniform(0, 1),
      new D.Exponential(2),
      new D.Laplace(0, 1),
      new D.MultivariateNormal(torch.zeros(2), torch.eye(2)),
    ])
      expect(d.hasRsample).toBe(true);
    expect(new D.Bernoulli(0.5).hasRsample).toBe(false);
    expect(() => new D.Bernoulli(0.5).rsample()).toThrow(D.NotImplementedError);
    expect(() => new D.Categorical(torch.tensor([0.5, 0.5])).rsample()).toThrow(D.NotImplementedError);
    expect(() => new D.Bernoulli(0.5).cdf(torch.tensor(1, { dtype: "float32" }))).toThrow(D.NotImplementedError);
  });

  it("samples have sampleShape + batchShape + eventShape and the parameters' dtype", () => {
    const mvn = new D.MultivariateNormal(torch.zeros([4, 3], f64), { covarianceMatrix: torch.eye(3, f64) });
    expect(mvn.batchShape).toEqual([4]);
    expect(mvn.eventShape).toEqual([3]);
    const s = mvn.sample([2, 5]);
    expect(s.shape).toEqual([2, 5, 4, 3]);
    expect(s.dtype).toBe("float64");
    const cat = new D.Categorical(torch.ones([2, 6]));
    const k = cat.sample([7]);
    expect(k.shape).toEqual([7, 2]);
    expect(k.dtype).toBe("int64");
    expect(new D.Bernoulli(0.3).sample([4]).shape).toEqual([4]);
    expect(new D.Bernoulli(0.3).batchShape).toEqual([]);
    expect(new D.Uniform(torch.zeros(3), 1).batchShape).toEqual([3]);
  });

  it("expand() broadcasts the parameters without copying and keeps sampling the same stream", () => {
    const m = new D.Normal(torch.tensor([0, 10, 20], { dtype: "float32" }), 1);
    const e = m.expand([2, 3]);
    expect(e.batchShape).toEqual([2, 3]);
    expect(e.loc.shape).toEqual([2, 3]);
    torch.manualSeed(1);
    const a = vals(e.sample());
    torch.manualSeed(1);
    const b = vals(m.sample([2]));
    expect(a).toEqual(b);
    const c = new D.Categorical(torch.tensor([0.2, 0.8])).expand([3]);
    expect(c.sample([2]).shape).toEqual([2, 3]);
    const mvn = new D.MultivariateNormal(torch.zeros(2), { scaleTril: torch.eye(2) }).expand([5]);
    expect(mvn.sample().shape).toEqual([5, 2]);
  });
});

describe("distributions: validation", () => {
  it("validates by default, per instance and through setDefaultValidateArgs", () => {
    expect(() => new D.Normal(0, -1)).toThrow(torch.ValueError);
    expect(() => new D.Normal(0, -1, { validateArgs: false })).not.toThrow();
    D.Distribution.setDefaultValidateArgs(false);
    expect(D.Distribution.defaultValidateArgs).toBe(false);
    const m = new D.Normal(0, -1);
    expect(m.validateArgs).toBe(false);
    expect(() => new D.Normal(0, -1, { validateArgs: true })).toThrow(/GreaterThan\(lower_bound=0.0\)/);
    D.Distribution.setDefaultValidateArgs(true);
    const n = new D.Normal(torch.zeros(2), torch.ones(2));
    expect(() => n.logProb(torch.zeros(3))).toThrow(/Value is not broadcastable/);
    expect(() => n.logProb(torch.tensor([0, Number.NaN], { dtype: "float32" }))).toThrow(/within the support \(Real\(\)\)/);
    expect(() => new D.Exponential(1).logProb(torch.tensor([-1], { dtype: "float32" }))).toThrow(/GreaterThanEq/);
  });

  it("reports the distribution as PyTorch's repr does", () => {
    expect(String(new D.Normal(torch.zeros(2), torch.ones(2)))).toBe("Normal(loc: torch.Size([2]), scale: torch.Size([2]))");
    expect(String(new D.Normal(0, 1))).toBe("Normal(loc: 0.0, scale: 1.0)");
    expect(String(new D.Bernoulli(null, torch.tensor([0.25], { dtype: "float32" })))).toBe("Bernoulli(logits: tensor([0.2500]))");
    const b = new D.Bernoulli(0.25);
    void b.logits; // computing the lazy parameter adds it
    expect(String(b)).toBe("Bernoulli(probs: 0.25, logits: -1.0986123085021973)");
  });

  it("raises PyTorch's errors for bad constructor arguments", () => {
    expect(() => new D.Bernoulli()).toThrow("Either `probs` or `logits` must be specified, but not both.");
    expect(() => new D.Categorical(torch.tensor(1, { dtype: "float32" }))).toThrow(
      "`probs` parameter must be at least one-dimensional.",
    );
    expect(() => new D.Uniform(1, 1)).toThrow("Uniform is not defined when low>= high");
    expect(() => new D.MultivariateNormal(torch.zeros(2))).toThrow(/Exactly one of/);
    const notPd = torch.tensor(
      [
        [1, 2],
        [2, 1],
      ],
      { dtype: "float32" },
    );
    expect(() => new D.MultivariateNormal(torch.zeros(2), notPd)).toThrow(/PositiveDefinite/);
    expect(() => new D.MultivariateNormal(torch.zeros(2), notPd, null, null, { validateArgs: false })).toThrow(D.LinAlgError);
  });
});

describe("distributions: moments and supports", () => {
  it("Categorical and Bernoulli enumerate their supports", () => {
    const c = new D.Categorical(torch.ones([2, 3]));
    expect(c.enumerateSupport().shape).toEqual([3, 2]);
    expect(c.enumerateSupport(false).shape).toEqual([3, 1]);
    expect(c.hasEnumerateSupport).toBe(true);
    expect(vals(new D.Bernoulli(torch.tensor([0.2, 0.7], { dtype: "float32" })).enumerateSupport(false))).toEqual([0, 1]);
    expect(vals(c.mean).every(Number.isNaN)).toBe(true);
    expect(c.mode.dtype).toBe("int64");
  });

  it("MultivariateNormal's three parameterisations describe the same distribution", () => {
    const cov = torch.tensor(
      [
        [4, 1, 0.5],
        [1, 3, 0.25],
        [0.5, 0.25, 2],
      ],
      f64,
    );
    const a = new D.MultivariateNormal(torch.zeros(3, f64), cov);
    const b = new D.MultivariateNormal(torch.zeros(3, f64), null, a.precisionMatrix);
    const c = new D.MultivariateNormal(torch.zeros(3, f64), { scaleTril: a.scaleTril });
    const x = torch.tensor([0.3, -1, 2], f64);
    const la = a.logProb(x).itemSync() as number;
    expect(b.logProb(x).itemSync()).toBeCloseTo(la, 12);
    expect(c.logProb(x).itemSync()).toBe(la);
    const cv = vals(c.covarianceMatrix);
    vals(cov).forEach((v, i) => expect(cv[i]).toBeCloseTo(v, 12));
    const diag = vals(torch.diagonal(a.covarianceMatrix, 0, -2, -1));
    vals(a.variance).forEach((v, i) => expect(v).toBeCloseTo(diag[i] as number, 12));
  });
});

describe("distributions: linear algebra gradients (float64 gradcheck)", () => {
  const rnd = (shape: number[], seed: number): Tensor =>
    torch.randn(shape, { dtype: "float64", generator: new torch.Generator().manualSeed(seed) });
  const spd = (x: Tensor): Tensor => torch.add(torch.matmul(x, x.transpose(-2, -1)), torch.mul(torch.eye(3, f64), 3));

  it("cholesky", () => {
    const x = rnd([3, 3], 1).requiresGrad_(true);
    expect(torch.autograd.gradcheck((t) => cholesky(spd(t)), [x])).toBe(true);
  });
  it("solve_triangular: left/right, upper/lower, row- and column-major factors", () => {
    for (const [upper, left] of [
      [false, true],
      [true, true],
      [false, false],
      [true, false],
    ] as const) {
      const a = torch.add(rnd([3, 3], 2), torch.mul(torch.eye(3, f64), 4));
      const A = (upper ? torch.triu(a) : torch.tril(a)).requiresGrad_(true);
      const B = rnd(left ? [2, 3, 4] : [2, 4, 3], 3).requiresGrad_(true);
      expect(torch.autograd.gradcheck((x, y) => solveTriangular(x, y, upper, left), [A, B])).toBe(true);
      const AF = torch.contiguous(A.detach().transpose(0, 1)).transpose(0, 1).requiresGrad_(true);
      expect(torch.autograd.gradcheck((x, y) => solveTriangular(x, y, upper, left), [AF, B])).toBe(true);
    }
  });
  it("cholesky_inverse", () => {
    const x = rnd([3, 3], 4).requiresGrad_(true);
    expect(torch.autograd.gradcheck((t) => choleskyInverse(torch.tril(t)), [x], { atol: 1e-6 })).toBe(true);
  });
  it("MultivariateNormal log_prob and rsample through a covariance matrix", () => {
    const x = rnd([3, 3], 5).requiresGrad_(true);
    const loc = rnd([3], 6).requiresGrad_(true);
    const v = rnd([4, 3], 7);
    expect(
      torch.autograd.gradcheck(
        (t, l) => new D.MultivariateNormal(l, spd(t), null, null, { validateArgs: false }).logProb(v),
        [x, loc],
      ),
    ).toBe(true);
    expect(
      torch.autograd.gradcheck(
        (t, l) =>
          new D.MultivariateNormal(l, spd(t), null, null, { validateArgs: false }).rsample([2], {
            generator: new torch.Generator().manualSeed(0),
          }),
        [x, loc],
      ),
    ).toBe(true);
  });
});
