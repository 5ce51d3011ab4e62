// Loss modules, typed errors with PyTorch's messages, autograd (gradcheck, double backward,
// custom losses), and the PyTorch kernel details the goldens rely on. Values against PyTorch:
// losses.golden.test.ts.
import type { Tensor } from "@lockstep/core";
import * as torch from "@lockstep/core";
import { describe, expect, it } from "vitest";
import { _scalarTailMask } from "../src/nn/loss.js";

const { nn } = torch;
const F = nn.functional;

const seeded = (seed: number) => new torch.Generator().manualSeed(seed);
const randn = (shape: number[], seed: number, dtype: "float32" | "float64" = "float32") =>
  torch.randn(shape, { generator: seeded(seed), dtype });
const rand = (shape: number[], seed: number, dtype: "float32" | "float64" = "float32") =>
  torch.rand(shape, { generator: seeded(seed), dtype });
const bits = (t: Tensor) => Array.from(t.contiguous().dataSync() as Float32Array);
const i64 = (v: number[]) => torch.tensor(v, { dtype: "int64" });

describe("loss modules", () => {
  const x = randn([4, 5], 1);
  const y = randn([4, 5], 2);
  const cls = i64([0, 4, 2, 1]);
  const w = rand([5], 3).add(0.5);
  const p = rand([4, 5], 4).mul(0.9).add(0.05);
  const t = rand([4, 5], 5);
  const sgn = torch.tensor([1, -1, -1, 1], { dtype: "float32" });
  const cases: [string, InstanceType<typeof nn.Module>, Tensor[], () => Tensor][] = [
    ["MSELoss()", new nn.MSELoss(), [x, y], () => F.mseLoss(x, y)],
    ["L1Loss()", new nn.L1Loss({ reduction: "sum" }), [x, y], () => F.l1Loss(x, y, { reduction: "sum" })],
    ["HuberLoss()", new nn.HuberLoss({ delta: 0.5 }), [x, y], () => F.huberLoss(x, y, { delta: 0.5 })],
    [
      "SmoothL1Loss()",
      new nn.SmoothL1Loss({ beta: 0.5, reduction: "none" }),
      [x, y],
      () => F.smoothL1Loss(x, y, { beta: 0.5, reduction: "none" }),
    ],
    [
      "CrossEntropyLoss()",
      new nn.CrossEntropyLoss(w, { labelSmoothing: 0.1, ignoreIndex: 2 }),
      [x, cls],
      () => F.crossEntropy(x, cls, { weight: w, labelSmoothing: 0.1, ignoreIndex: 2 }),
    ],
    [
      "NLLLoss()",
      new nn.NLLLoss({ weight: w, reduction: "sum" }),
      [x, cls],
      () => F.nllLoss(x, cls, { weight: w, reduction: "sum" }),
    ],
    ["BCELoss()", new nn.BCELoss(w), [p, t], () => F.binaryCrossEntropy(p, t, { weight: w })],
    [
      "BCEWithLogitsLoss()",
      new nn.BCEWithLogitsLoss({ posWeight: w, reduction: "none" }),
      [x, t],
      () => F.binaryCrossEntropyWithLogits(x, t, { posWeight: w, reduction: "none" }),
    ],
    [
      "KLDivLoss()",
      new nn.KLDivLoss({ reduction: "batchmean", logTarget: true }),
      [x.logSoftmax(1), y.logSoftmax(1)],
      () => F.klDiv(x.logSoftmax(1), y.logSoftmax(1), { reduction: "batchmean", logTarget: true }),
    ],
    [
      "TripletMarginLoss()",
      new nn.TripletMarginLoss({ margin: 0.5, p: 1, swap: true }),
      [x, y, p],
      () => F.tripletMarginLoss(x, y, p, { margin: 0.5, p: 1, swap: true }),
    ],
    [
      "CosineEmbeddingLoss()",
      new nn.CosineEmbeddingLoss({ margin: 0.2 }),
      [x, y, sgn],
      () => F.cosineEmbeddingLoss(x, y, sgn, { margin: 0.2 }),
    ],
    [
      "MarginRankingLoss()",
      new nn.MarginRankingLoss({ margin: 0.1 }),
      [x.select(1, 0), y.select(1, 0), sgn],
      () => F.marginRankingLoss(x.select(1, 0), y.select(1, 0), sgn, { margin: 0.1 }),
    ],
  ];
  for (const [repr, m, args, fn] of cases) {
    it(`${repr} equals its functional form and prints as PyTorch`, () => {
      expect(bits(m.forward(...args) as Tensor)).toEqual(bits(fn()));
      expect(String(m)).toBe(repr);
    });
  }

  it("class weights and pos_weight are buffers under PyTorch's names", () => {
    expect(Object.keys(new nn.CrossEntropyLoss().stateDict())).toEqual([]);
    const ce = new nn.CrossEntropyLoss({ weight: w });
    expect(Object.keys(ce.stateDict())).toEqual(["weight"]);
    expect(ce.weight).toBe(w);
    const b = new nn.BCEWithLogitsLoss(null, { posWeight: w });
    expect(Object.keys(b.stateDict())).toEqual(["pos_weight"]);
    expect(b.posWeight).toBe(w);
    expect(new nn.BCEWithLogitsLoss(w).namedBuffers().map(([n]) => n)).toEqual(["weight"]);
    expect(new nn.NLLLoss().weight).toBeNull();
  });

  it("keeps its options as fields with PyTorch's defaults", () => {
    const ce = new nn.CrossEntropyLoss();
    expect([ce.reduction, ce.ignoreIndex, ce.labelSmoothing]).toEqual(["mean", -100, 0]);
    const tm = new nn.TripletMarginLoss();
    expect([tm.margin, tm.p, tm.eps, tm.swap]).toEqual([1, 2, 1e-6, false]);
    expect(new nn.HuberLoss().delta).toBe(1);
    expect(new nn.SmoothL1Loss().beta).toBe(1);
    expect(new nn.KLDivLoss().reduction).toBe("mean");
  });

  it("rejects an unknown reduction", () => {
    expect(() => new nn.MSELoss({ reduction: "avg" as never })).toThrow(torch.ValueError);
    expect(() => new nn.MSELoss({ reduction: "batchmean" as never })).toThrow(/batchmean is not a valid value for reduction/);
    expect(() => F.mseLoss(x, y, { reduction: "foo" as never })).toThrow(/foo is not a valid value for reduction/);
  });

  it("module forward hooks see the loss", () => {
    const m = new nn.MSELoss();
    let seen: unknown = null;
    m.registerForwardHook((_m, _i, out) => {
      seen = out;
    });
    const l = m.forward(x, y) as Tensor;
    expect(seen).toBe(l);
  });
});

describe("typed errors with PyTorch's messages", () => {
  const x = randn([4, 5], 6);
  const ex = (fn: () => unknown, type: new (...a: never[]) => Error, msg: RegExp) => {
    expect(fn).toThrow(type);
    expect(fn).toThrow(msg);
  };
  it("cross_entropy / nll_loss", () => {
    ex(() => F.crossEntropy(x, i64([0, 1, 2, 7])), torch.IndexError, /Target 7 is out of bounds\./);
    ex(() => F.crossEntropy(x, i64([0, 1, 2, -1])), torch.IndexError, /Target -1 is out of bounds\./);
    ex(() => F.nllLoss(x, i64([0, 1, 5, 3])), torch.IndexError, /Target 5 is out of bounds\./);
    ex(
      () => F.crossEntropy(x, i64([0, 1, 2])),
      torch.ShapeError,
      /Expected input batch_size \(4\) to match target batch_size \(3\)\./,
    );
    ex(
      () => F.crossEntropy(x, torch.tensor([0, 1, 2, 3], { dtype: "int32" })),
      torch.DTypeError,
      /expected scalar type Long but found Int/,
    );
    ex(
      () => F.crossEntropy(x, torch.tensor([0, 1, 2, 3], { dtype: "float32" })),
      torch.DTypeError,
      /expected scalar type Long but found Float/,
    );
    ex(
      () => F.crossEntropy(x, torch.zeros([4, 5], { dtype: "int64" })),
      torch.DTypeError,
      /Expected floating point type for target with class probabilities, got Long/,
    );
    ex(
      () => F.crossEntropy(x, rand([4, 5], 1), { ignoreIndex: 2 }),
      torch.ValueError,
      /ignore_index is not supported for floating point target/,
    );
    ex(
      () => F.crossEntropy(randn([2, 3, 4], 1), torch.zeros([2, 5], { dtype: "int64" })),
      torch.ShapeError,
      /Expected target size \[2, 4\], got \[2, 5\]/,
    );
    ex(
      () => F.crossEntropy(x, i64([0, 1, 2, 3]), { weight: torch.ones([3]) }),
      torch.ShapeError,
      /weight tensor should be defined either for all 5 classes or no classes but got weight tensor of shape: \[3\]/,
    );
    ex(
      () => F.crossEntropy(x, i64([0, 1, 2, 3]), { labelSmoothing: 1.5 }),
      torch.ValueError,
      /label_smoothing must be between 0.0 and 1.0. Got: 1.5/,
    );
    ex(() => F.nllLoss(randn([5], 1), i64([1])), torch.ShapeError, /size mismatch \(got input: \[5\], target: \[1\]\)/);
    ex(() => F.crossEntropy(i64([1, 2]), i64(1 as never)), torch.DTypeError, /floating point/);
  });
  it("ignored targets are never range-checked", () => {
    expect(() => F.crossEntropy(x, i64([0, -100, 2, 3]))).not.toThrow();
    expect(() => F.crossEntropy(x, i64([0, 9, 2, 3]), { ignoreIndex: 9 })).not.toThrow();
  });
  it("binary_cross_entropy(_with_logits)", () => {
    const p = rand([4, 5], 2);
    ex(() => F.binaryCrossEntropy(p.mul(3), p), torch.ValueError, /all elements of input should be between 0 and 1/);
    ex(
      () => F.binaryCrossEntropy(p, p.narrow(1, 0, 1)),
      torch.ShapeError,
      /Using a target size \(torch.Size\(\[4, 1\]\)\) that is different to the input size \(torch.Size\(\[4, 5\]\)\) is deprecated/,
    );
    ex(
      () => F.binaryCrossEntropyWithLogits(p, p.narrow(1, 0, 1)),
      torch.ShapeError,
      /Target size \(torch.Size\(\[4, 1\]\)\) must be the same as input size \(torch.Size\(\[4, 5\]\)\)/,
    );
  });
  it("embedding losses", () => {
    const a = randn([3, 2], 3);
    ex(
      () => F.marginRankingLoss(randn([3], 1), randn([3], 2), randn([3, 1], 3)),
      torch.ShapeError,
      /margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: torch.Size\(\[3\]\), input2: torch.Size\(\[3\]\), target: torch.Size\(\[3, 1\]\)/,
    );
    ex(
      () => F.cosineEmbeddingLoss(a, a, randn([3, 1], 4)),
      torch.ShapeError,
      /0D or 1D target tensor expected, multi-target not supported/,
    );
    ex(
      () => F.cosineEmbeddingLoss(randn([3], 1), randn([3], 2), randn([3], 3)),
      torch.ShapeError,
      /1D target tensor expects 2D input tensors, but found inputs with sizes \[3\] and \[3\]\./,
    );
    ex(
      () => F.cosineEmbeddingLoss(a, a, torch.tensor(1)),
      torch.ShapeError,
      /0D target tensor expects 1D input tensors, but found inputs with sizes \[3, 2\] and \[3, 2\]\./,
    );
    ex(
      () => F.tripletMarginLoss(a, a, randn([2], 5)),
      torch.ShapeError,
      /All inputs should have same dimension but got 2D, 2D and 1D inputs\./,
    );
  });
  it("pointwise losses", () => {
    ex(() => F.huberLoss(x, x, { delta: -1 }), torch.ValueError, /huber_loss does not support non-positive values for delta/);
    ex(() => F.smoothL1Loss(x, x, { beta: -1 }), torch.ValueError, /smooth_l1_loss does not support negative values for beta/);
    ex(() => F.mseLoss(x, randn([4, 6], 1)), torch.ShapeError, /broadcast|size/i);
    ex(() => F.mseLoss(i64([1, 2]), i64([1, 3])), torch.DTypeError, /not implemented for 'Long'/);
    ex(() => F.klDiv(x, x, { reduction: "avg" as never }), torch.ValueError, /avg is not a valid value for reduction/);
  });
});

describe("semantics", () => {
  it("nll_loss weighted mean divides by the sum of the targets' weights", () => {
    const logp = torch.tensor(
      [
        [-1, -2, -3],
        [-0.5, -1.5, -2.5],
      ],
      { dtype: "float32" },
    );
    const w = torch.tensor([1, 2, 4], { dtype: "float32" });
    const l = F.nllLoss(logp, i64([2, 1]), { weight: w });
    expect(l.itemSync()).toBe(Math.fround((3 * 4 + 1.5 * 2) / 6));
  });
  it("an all-ignored batch gives NaN for mean, 0 for sum, zeros for none, and zero gradients", () => {
    const x = randn([3, 4], 7).requiresGrad_(true);
    const t = i64([-100, -100, -100]);
    const mean = F.crossEntropy(x, t);
    expect(Number.isNaN(mean.itemSync() as number)).toBe(true);
    expect(F.crossEntropy(x, t, { reduction: "sum" }).itemSync()).toBe(0);
    expect(bits(F.crossEntropy(x, t, { reduction: "none" }))).toEqual([0, 0, 0]);
    F.crossEntropy(x, t, { reduction: "sum" }).backward();
    expect(bits(x.grad as Tensor).every((v) => v === 0)).toBe(true);
  });
  it("cross_entropy with probability targets averages over N (and the K dims)", () => {
    const x = randn([2, 3, 4], 8);
    const target = randn([2, 3, 4], 9).softmax(1);
    const sum = F.crossEntropy(x, target, { reduction: "sum" }).itemSync() as number;
    const mean = F.crossEntropy(x, target).itemSync() as number;
    expect(mean).toBe(Math.fround(sum / 8));
  });
  it("kl_div: mean divides by the element count, batchmean by the batch size", () => {
    const x = randn([2, 5], 10).logSoftmax(1);
    const t = randn([2, 5], 11).softmax(1);
    const s = F.klDiv(x, t, { reduction: "sum" }).itemSync() as number;
    expect(F.klDiv(x, t).itemSync()).toBe(Math.fround(s / 10));
    expect(F.klDiv(x, t, { reduction: "batchmean" }).itemSync()).toBe(Math.fround(s / 2));
    // zero targets contribute 0 (xlogy), not NaN
    const z = torch.tensor([0, 1], { dtype: "float32" });
    expect(F.klDiv(torch.tensor([-1, -2], { dtype: "float32" }), z, { reduction: "sum" }).itemSync()).toBe(2);
  });
  it("binary_cross_entropy clamps the log at -100 and its gradient at 1e-12 (±1e12·…)", async () => {
    const x = torch.tensor([0, 1], { dtype: "float32", requiresGrad: true });
    const y = torch.tensor([1, 0], { dtype: "float32" });
    const l = F.binaryCrossEntropy(x, y, { reduction: "none" });
    expect(bits(l)).toEqual([100, 100]);
    l.sum().backward();
    const eps = Math.fround(1e-12);
    expect(bits(x.grad as Tensor)).toEqual([Math.fround(-1 / eps), Math.fround(1 / eps)]);
  });
  it("binary_cross_entropy_with_logits is stable for large logits", () => {
    const x = torch.tensor([100, -100, 50.5], { dtype: "float32" });
    const y = torch.tensor([0, 1, 1], { dtype: "float32" });
    expect(bits(F.binaryCrossEntropyWithLogits(x, y, { reduction: "none" }))).toEqual([100, 100, 0]);
  });
  it("triplet_margin_loss adds eps to the difference before the norm", () => {
    const a = torch.tensor([[0, 0]], { dtype: "float64" });
    const l = F.tripletMarginLoss(a, a, a, { margin: 0, eps: 0.5, reduction: "none" });
    expect(l.itemSync()).toBe(0);
    const d = F.tripletMarginLoss(a, a, a.add(3), { margin: 10, eps: 0.5, reduction: "none" });
    // ‖(0,0)+0.5‖ + 10 − ‖(−3,−3)+0.5‖
    expect(d.itemSync()).toBe(Math.sqrt(0.5) + 10 - Math.sqrt(2 * 2.5 * 2.5));
  });
  it("smooth_l1 with beta = 0 is l1 with PyTorch's l1 backward kernel (−grad where input == target)", () => {
    const x = torch.tensor([1, 2, 3], { dtype: "float32", requiresGrad: true });
    const y = torch.tensor([1, 1, 4], { dtype: "float32" });
    F.smoothL1Loss(x, y, { beta: 0, reduction: "sum" }).backward();
    expect(bits(x.grad as Tensor)).toEqual([-1, 1, -1]);
    const x2 = torch.tensor([1, 2, 3], { dtype: "float32", requiresGrad: true });
    F.l1Loss(x2, y, { reduction: "sum" }).backward();
    expect(bits(x2.grad as Tensor)).toEqual([0, 1, -1]);
  });
});

describe("PyTorch's vectorised loop and its scalar tail (x86 AVX2)", () => {
  const contiguous = (shape: number[]) => {
    const s: number[] = [];
    let acc = 1;
    for (let i = shape.length - 1; i >= 0; i--) {
      s.unshift(acc);
      acc *= shape[i] as number;
    }
    return s;
  };
  const tailOf = (m: Tensor | null): number[] =>
    m ? Array.from(m.reshape([-1]).dataSync() as Uint8Array).flatMap((v, i) => (v ? [i] : [])) : [];
  it("contiguous operands: the last n mod 16 (float32) / n mod 8 (float64) elements", () => {
    const s = [45];
    const m = _scalarTailMask(s, [contiguous(s), contiguous(s), [0]], "float32", "cpu");
    expect(tailOf(m)).toEqual(Array.from({ length: 13 }, (_, i) => 32 + i));
    const m64 = _scalarTailMask(s, [contiguous(s), contiguous(s), [0]], "float64", "cpu");
    expect(tailOf(m64)).toEqual([40, 41, 42, 43, 44]);
    expect(_scalarTailMask([32], [[1], [1], [0]], "float32", "cpu")).toBeNull();
  });
  it("dims coalesce into one loop; a broadcast operand splits it into rows", () => {
    const s = [3, 20];
    expect(tailOf(_scalarTailMask(s, [contiguous(s), contiguous(s), [0, 0]], "float32", "cpu"))).toEqual(
      Array.from({ length: 12 }, (_, i) => 48 + i),
    );
    const rows = tailOf(_scalarTailMask(s, [contiguous(s), [0, 1], [0, 0]], "float32", "cpu"));
    expect(rows).toEqual([16, 17, 18, 19, 36, 37, 38, 39, 56, 57, 58, 59]);
  });
  it("a non-contiguous operand runs everything through the scalar lambda", () => {
    const m = _scalarTailMask(
      [5, 3],
      [
        [3, 1],
        [1, 5],
        [0, 0],
      ],
      "float32",
      "cpu",
    );
    expect(tailOf(m)).toEqual(Array.from({ length: 15 }, (_, i) => i));
  });
});

describe("autograd", () => {
  const x64 = (shape: number[], seed: number) => randn(shape, seed, "float64").requiresGrad_(true);
  const checks: [string, (...a: Tensor[]) => Tensor, () => Tensor[]][] = [
    ["mse", (a, b) => F.mseLoss(a, b), () => [x64([3, 4], 1), x64([3, 4], 2)]],
    ["smooth_l1 (β=0.7)", (a, b) => F.smoothL1Loss(a, b, { beta: 0.7, reduction: "sum" }), () => [x64([20], 3), x64([20], 4)]],
    ["huber (δ=0.6)", (a, b) => F.huberLoss(a, b, { delta: 0.6, reduction: "none" }), () => [x64([19], 5), x64([19], 6)]],
    [
      "nll (weights, ignore)",
      (a) => F.nllLoss(a, i64([0, 2, -100, 1]), { weight: rand([3], 1, "float64").add(0.5) }),
      () => [x64([4, 3], 7)],
    ],
    [
      "cross_entropy (label smoothing, K-dim)",
      (a) =>
        F.crossEntropy(
          a,
          torch.tensor(
            [
              [0, 2],
              [1, 1],
            ],
            { dtype: "int64" },
          ),
          { labelSmoothing: 0.2 },
        ),
      () => [x64([2, 3, 2], 8)],
    ],
    ["cross_entropy (probabilities)", (a, b) => F.crossEntropy(a, b.softmax(1)), () => [x64([3, 4], 9), x64([3, 4], 10)]],
    [
      "binary_cross_entropy",
      (a, b) => F.binaryCrossEntropy(a, b, { weight: rand([4], 2, "float64") }),
      () => [rand([3, 4], 11, "float64").mul(0.8).add(0.1).requiresGrad_(true), rand([3, 4], 12, "float64").requiresGrad_(true)],
    ],
    [
      "binary_cross_entropy_with_logits (pos_weight)",
      (a, b) => F.binaryCrossEntropyWithLogits(a, b, { posWeight: rand([4], 3, "float64").add(0.5), reduction: "sum" }),
      () => [x64([3, 4], 13), rand([3, 4], 14, "float64").requiresGrad_(true)],
    ],
    [
      "kl_div",
      (a, b) => F.klDiv(a.logSoftmax(1), b.softmax(1), { reduction: "batchmean" }),
      () => [x64([2, 5], 15), x64([2, 5], 16)],
    ],
    [
      "triplet (p=3, swap)",
      (a, b, c) => F.tripletMarginLoss(a, b, c, { p: 3, swap: true, margin: 2 }),
      () => [x64([3, 4], 17), x64([3, 4], 18), x64([3, 4], 19)],
    ],
    [
      "cosine_embedding",
      (a, b) => F.cosineEmbeddingLoss(a, b, torch.tensor([1, -1, 1], { dtype: "float64" }), { margin: -0.5 }),
      () => [x64([3, 4], 20), x64([3, 4], 21)],
    ],
    [
      "margin_ranking",
      (a, b, c) => F.marginRankingLoss(a, b, c, { margin: 0.3 }),
      () => [x64([5], 22), x64([5], 23), x64([5], 24)],
    ],
  ];
  for (const [name, fn, inputs] of checks) {
    it(`gradcheck: ${name}`, () => {
      expect(torch.autograd.gradcheck(fn, inputs())).toBe(true);
    });
  }

  it("double backward through an explicit backward (mse, bce_with_logits)", () => {
    const x = torch.tensor([0.5, -1, 2], { dtype: "float64", requiresGrad: true });
    const y = torch.tensor([0, 1, 1], { dtype: "float64" });
    const [g] = torch.autograd.grad([F.mseLoss(x, y, { reduction: "sum" })], [x], { createGraph: true });
    const [gg] = torch.autograd.grad([(g as Tensor).sum()], [x]);
    expect(Array.from((gg as Tensor).dataSync() as Float64Array)).toEqual([2, 2, 2]);
    const [h] = torch.autograd.grad([F.binaryCrossEntropyWithLogits(x, y, { reduction: "sum" })], [x], { createGraph: true });
    const [hh] = torch.autograd.grad([(h as Tensor).sum()], [x]);
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    (hh as Tensor).dataSync().forEach((v, i) => {
      const xi = [0.5, -1, 2][i] as number;
      expect(v as number).toBeCloseTo(s(xi) * (1 - s(xi)), 12);
    });
  });

  it("custom losses: a function of ops and a Module subclass train with autograd", () => {
    // focal loss, written with lockstep ops
    const focal = (logits: Tensor, target: Tensor, gamma = 2): Tensor => {
      const logp = logits.logSoftmax(1).gather(1, target.unsqueeze(1)).squeeze(1);
      return logp.exp().neg().add(1).pow(gamma).mul(logp).neg().mean();
    };
    class Focal extends nn.Module {
      constructor(readonly gamma: number) {
        super();
      }
      override forward(logits: Tensor, target: Tensor): Tensor {
        return focal(logits, target, this.gamma);
      }
    }
    const model = new nn.Linear(3, 4);
    const xb = randn([5, 3], 25);
    const yb = i64([0, 3, 1, 2, 3]);
    const crit = new Focal(2);
    const loss = crit.forward(model.forward(xb) as Tensor, yb);
    loss.backward();
    expect(model.weight.grad?.shape).toEqual([4, 3]);
    expect(model.bias?.grad?.shape).toEqual([4]);
    // gamma = 0 is cross-entropy
    const l0 = focal(model.forward(xb) as Tensor, yb, 0);
    const ce = F.crossEntropy(model.forward(xb) as Tensor, yb);
    expect(l0.itemSync()).toBeCloseTo(ce.itemSync() as number, 6);
  });

  it("a training step with CrossEntropyLoss lowers the loss", () => {
    const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 3));
    const crit = new nn.CrossEntropyLoss();
    const xb = randn([16, 4], 26);
    const yb = torch.randint(0, 3, [16], { generator: seeded(27) });
    const first = crit.forward(model.forward(xb) as Tensor, yb) as Tensor;
    first.backward();
    torch.noGrad(() => {
      for (const p of model.parameters()) p.sub_((p.grad as Tensor).mul(0.5));
    });
    const second = crit.forward(model.forward(xb) as Tensor, yb) as Tensor;
    expect(second.itemSync() as number).toBeLessThan(first.itemSync() as number);
  });

  it("targets and class weights never receive gradients", () => {
    const w = torch.ones([3]).requiresGrad_(true);
    const x = randn([2, 3], 28).requiresGrad_(true);
    F.crossEntropy(x, i64([0, 2]), { weight: w }).backward();
    expect(w.grad).toBeNull();
    expect(x.grad).not.toBeNull();
  });

  it("leaves no tensors behind inside tidy", () => {
    const x = randn([6, 5], 29).requiresGrad_(true);
    const t = i64([0, 1, 2, 3, 4, 0]);
    const before = torch.memoryStats().cpu?.tensors ?? 0;
    torch.tidy(() => {
      F.crossEntropy(x, t, { labelSmoothing: 0.1 }).backward();
      F.smoothL1Loss(x, x.detach().mul(2), { beta: 0.3 }).backward();
      F.binaryCrossEntropyWithLogits(x, x.detach().sigmoid()).backward();
    });
    x.grad?.dispose();
    x.grad = null;
    expect(torch.memoryStats().cpu?.tensors ?? 0).toBe(before);
  });
});
