// Convolution, pooling and einsum beyond the PyTorch goldens: gradient checks (float64 finite
// differences), double backward, PyTorch's max-pool tie/NaN rules, algebraic identities and errors.
import * as torch from "@lockstep/core";
import { DTypeError, ShapeError, type Tensor, ValueError } from "@lockstep/core";
import { describe, expect, it } from "vitest";
import { adaptiveAvgPool2d, avgPool2d, type ConvOptions, conv1d, conv2d, maxPool2d } from "../src/ops/conv.js";
import { einsum } from "../src/ops/einsum.js";

/** Deterministic float64 values in [-1, 1) of a given shape (an LCG: the tests need no generator). */
function values(shape: number[], seed: number, requiresGrad = false): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  const t = torch.tensor(data).reshape(shape);
  return requiresGrad ? t.requiresGrad_(true) : t;
}
const f32 = (t: Tensor): Tensor => t.to("float32");
const gradcheck = (fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]) => torch.autograd.gradcheck(fn, inputs);
/** d/d(inputs) of Σ fn(...)·v, kept differentiable: the function gradcheck checks for double backward. */
const gradOf =
  (fn: (...xs: Tensor[]) => Tensor, wrt: number, v: Tensor) =>
  (...xs: Tensor[]): Tensor =>
    torch.enableGrad(
      () => torch.autograd.grad(fn(...xs), [xs[wrt] as Tensor], { gradOutputs: [v], createGraph: true })[0] as Tensor,
    );
/** The input gradient of `pool` at x as a function of the upstream gradient (for double backward). */
const inputGradOf = (pool: (x: Tensor) => Tensor, x: Tensor) => (g: Tensor) =>
  torch.enableGrad(() => torch.autograd.grad(pool(x), [x], { gradOutputs: [g], createGraph: true })[0] as Tensor);
const bits = (t: Tensor): number[] =>
  Array.from(new Uint32Array(new Float32Array(t.contiguous().dataSync() as Float32Array).buffer));

describe("conv1d / conv2d gradients (float64 gradcheck)", () => {
  const conv1dCases: [string, number[], number[], ConvOptions][] = [
    ["plain", [2, 3, 7], [4, 3, 3], {}],
    ["stride + padding", [1, 2, 9], [3, 2, 3], { stride: 2, padding: 1 }],
    ["dilation", [1, 2, 9], [2, 2, 3], { dilation: 2 }],
    ["groups", [2, 4, 6], [6, 2, 2], { groups: 2 }],
    ["same, even kernel", [1, 2, 6], [2, 2, 4], { padding: "same" }],
  ];
  for (const [name, xs, ws, opts] of conv1dCases)
    it(`conv1d ${name}`, () => {
      const x = values(xs, 1, true);
      const w = values(ws, 2, true);
      const b = values([ws[0] as number], 3, true);
      expect(gradcheck((a, c, d) => conv1d(a, c, d, opts), [x, w, b])).toBe(true);
    });

  const conv2dCases: [string, number[], number[], ConvOptions][] = [
    ["plain", [2, 2, 5, 4], [3, 2, 3, 2], {}],
    ["stride, padding, dilation per dim", [1, 2, 7, 6], [2, 2, 3, 2], { stride: [2, 1], padding: [1, 2], dilation: [1, 2] }],
    ["groups", [1, 4, 5, 5], [4, 2, 2, 2], { groups: 2, padding: 1 }],
    ["depthwise, strided", [2, 3, 5, 5], [3, 1, 3, 3], { groups: 3, stride: 2, padding: 1 }],
    ["same", [1, 2, 5, 4], [2, 2, 2, 3], { padding: "same", dilation: [2, 1] }],
  ];
  for (const [name, xs, ws, opts] of conv2dCases)
    it(`conv2d ${name}`, () => {
      const x = values(xs, 4, true);
      const w = values(ws, 5, true);
      const b = values([ws[0] as number], 6, true);
      expect(gradcheck((a, c, d) => conv2d(a, c, d, opts), [x, w, b])).toBe(true);
    });

  it("unbatched inputs, and non-contiguous input and weight", () => {
    const x = values([4, 2, 5], 7).permute([1, 2, 0]).requiresGrad_(true); // [2, 5, 4], strided
    const w = values([3, 2, 2, 2], 8, true);
    expect(gradcheck((a, c) => conv2d(a, c, null, { padding: 1 }), [x, w])).toBe(true);
    expect(conv2d(x, w).shape).toEqual([3, 4, 3]);
    expect(conv1d(values([2, 6], 9), values([3, 2, 2], 10)).shape).toEqual([3, 5]);
  });

  it("double backward: the input gradient is differentiable in the weight, the weight gradient in the input", () => {
    const opts: ConvOptions = { stride: 2, padding: 1, dilation: [1, 2], groups: 2 };
    const x = values([2, 4, 6, 5], 11, true);
    const w = values([4, 2, 2, 2], 12, true);
    const conv = (a: Tensor, c: Tensor) => conv2d(a, c, null, opts);
    const v = values([...conv(x, w).shape], 13);
    expect(gradcheck(gradOf(conv, 0, v), [x, w])).toBe(true);
    expect(gradcheck(gradOf(conv, 1, v), [x, w])).toBe(true);
  });

  it("records PyTorch's node name", () => {
    const y = conv2d(values([1, 1, 3, 3], 1, true), values([1, 1, 2, 2], 2));
    expect(y.gradFn?.name).toBe("ConvolutionBackward0");
  });
});

describe("convolution identities (bitwise)", () => {
  it("a 1×1 kernel is a matmul over channels", () => {
    const x = f32(values([2, 3, 4, 5], 21));
    const w = f32(values([6, 3, 1, 1], 22));
    const viaMatmul = torch.matmul(w.reshape([6, 3]), x.reshape([2, 3, 20])).reshape([2, 6, 4, 5]);
    expect(bits(conv2d(x, w))).toEqual(bits(viaMatmul));
  });

  it("conv1d is conv2d over a height-1 image", () => {
    const x = f32(values([2, 3, 9], 23));
    const w = f32(values([4, 3, 3], 24));
    const b = f32(values([4], 25));
    const opts = { stride: 2, padding: 1, dilation: 2 };
    const as2d = conv2d(x.unsqueeze(2), w.unsqueeze(2), b, { stride: [1, 2], padding: [0, 1], dilation: [1, 2] }).squeeze(2);
    expect(bits(conv1d(x, w, b, opts))).toEqual(bits(as2d));
  });

  it("groups are independent convolutions, concatenated", () => {
    const x = f32(values([1, 4, 5, 5], 26));
    const w = f32(values([6, 2, 3, 3], 27));
    const whole = conv2d(x, w, null, { groups: 2 });
    const parts = torch.cat([conv2d(x.narrow(1, 0, 2), w.narrow(0, 0, 3)), conv2d(x.narrow(1, 2, 2), w.narrow(0, 3, 3))], 1);
    expect(bits(whole)).toEqual(bits(parts));
  });
});

describe("pooling", () => {
  it("max_pool2d gradients, with padding, dilation and ceil mode", () => {
    const x = values([2, 2, 7, 6], 31, true);
    const cases = [
      { k: 3, o: { stride: 2, padding: 1 } },
      { k: [2, 3], o: { stride: 1, dilation: [2, 1] } },
      { k: 2, o: { ceilMode: true } },
    ];
    for (const { k, o } of cases) expect(gradcheck((a) => maxPool2d(a, k, o), [x])).toBe(true);
  });

  it("max_pool2d keeps the first maximum, the last NaN, and the first real element of an all -inf window", async () => {
    const nan = Number.NaN;
    const inf = Number.POSITIVE_INFINITY;
    const x = torch.tensor([
      [
        [
          [1, 3, nan, 0],
          [3, 2, 5, nan],
        ],
      ],
    ]);
    const [y, idx] = maxPool2d(x, 2, { returnIndices: true });
    expect(await idx.tolist()).toEqual([[[[1, 7]]]]);
    expect((await y.tolist()) as number[][][][]).toEqual([[[[3, nan]]]]);
    const negInf = torch.full([1, 1, 2, 2], -inf);
    const [, first] = maxPool2d(negInf, 2, { padding: 1, returnIndices: true });
    expect(await first.tolist()).toEqual([
      [
        [
          [0, 1],
          [2, 3],
        ],
      ],
    ]);
  });

  it("max_pool2d double backward: the input gradient is differentiable in the upstream gradient", () => {
    const x = values([1, 2, 5, 5], 32);
    const pool = (a: Tensor) => maxPool2d(a, 3, { stride: 1 });
    const v = values([1, 2, 3, 3], 33, true);
    expect(gradcheck(inputGradOf(pool, x.requiresGrad_(true)), [v])).toBe(true);
  });

  it("avg_pool2d gradients: padding, exclude pad, ceil mode, divisor override", () => {
    const x = values([1, 2, 6, 7], 34, true);
    const cases = [
      { k: 3, o: { stride: 2, padding: 1 } },
      { k: 3, o: { stride: 2, padding: 1, countIncludePad: false, ceilMode: true } },
      { k: [2, 3], o: { stride: [1, 2], divisorOverride: 5 } },
    ];
    for (const { k, o } of cases) expect(gradcheck((a) => avgPool2d(a, k, o), [x])).toBe(true);
  });

  it("avg_pool2d and adaptive_avg_pool2d double backward", () => {
    const x = values([1, 2, 5, 5], 35, true);
    const v = values([1, 2, 3, 3], 36, true);
    const avg = (a: Tensor) => avgPool2d(a, 3, { stride: 2, padding: 1 });
    const adaptive = (a: Tensor) => adaptiveAvgPool2d(a, 3);
    for (const pool of [avg, adaptive]) expect(gradcheck(inputGradOf(pool, x), [v])).toBe(true);
  });

  it("adaptive_avg_pool2d gradients: shrinking, growing, null sizes, 1×1", () => {
    const x = values([2, 2, 7, 5], 37, true);
    for (const size of [3, [4, 2], [9, 6], [null, 3], 1] as const)
      expect(gradcheck((a) => adaptiveAvgPool2d(a, size as number | (number | null)[]), [x])).toBe(true);
  });

  it("integer avg_pool2d truncates toward zero, as C++ integer division", async () => {
    const x = torch.tensor(
      [
        [
          [
            [-3, -4],
            [1, 1],
          ],
        ],
      ],
      { dtype: "int64" },
    );
    expect(await avgPool2d(x, 2).tolist()).toEqual([[[[-1]]]]);
  });

  it("unbatched inputs and PyTorch's node names", () => {
    const x = values([2, 6, 6], 38, true);
    expect(maxPool2d(x, 2).shape).toEqual([2, 3, 3]);
    expect(maxPool2d(x, 2).gradFn?.name).toBe("MaxPool2DWithIndicesBackward0");
    expect(avgPool2d(x, 2).gradFn?.name).toBe("AvgPool2DBackward0");
    expect(adaptiveAvgPool2d(x, [2, 3]).gradFn?.name).toBe("AdaptiveAvgPool2DBackward0");
    expect(adaptiveAvgPool2d(x, [2, 3]).shape).toEqual([2, 2, 3]);
    expect(gradcheck((a) => maxPool2d(a, 3, { stride: 2, padding: 1 }), [x])).toBe(true);
    expect(gradcheck((a) => avgPool2d(a, 2), [x])).toBe(true);
    const [, idx] = maxPool2d(x, 2, { returnIndices: true });
    expect(idx.shape).toEqual([2, 3, 3]);
  });
});

describe("einsum", () => {
  const a = values([2, 3, 4], 41, true);
  const b = values([2, 4, 5], 42, true);

  it("gradients of contractions, diagonals, broadcasts and chains", () => {
    const cases: [string, Tensor[]][] = [
      ["bij,bjk->bik", [a, b]],
      ["ii->i", [values([3, 3], 43, true)]],
      ["iji->j", [values([3, 2, 3], 44, true)]],
      ["...ij,jk->...ki", [a, values([4, 2], 45, true)]],
      ["ij,jk,kl->il", [values([2, 3], 46, true), values([3, 4], 47, true), values([4, 2], 48, true)]],
      ["i,i->", [values([5], 49, true), values([5], 50, true)]],
      ["bij,bkj", [a, values([2, 5, 4], 51, true)]],
      ["b...,b...->b", [values([2, 3], 52, true), values([2, 1], 53, true)]],
    ];
    for (const [eq, ops] of cases)
      expect(
        gradcheck((...xs) => einsum(eq, ...xs), ops),
        eq,
      ).toBe(true);
  });

  it("matches matmul bitwise and takes operands as a list", () => {
    const x = f32(values([3, 4], 54));
    const y = f32(values([4, 2], 55));
    expect(bits(einsum("ij,jk->ik", [x, y]))).toEqual(bits(torch.matmul(x, y)));
  });

  it("implicit output: labels used once, in alphabetical order, after the ellipsis dims", () => {
    expect(einsum("ba", values([2, 3], 56)).shape).toEqual([3, 2]);
    expect(einsum("...ij,jk", values([5, 2, 3], 57), values([3, 4], 58)).shape).toEqual([5, 2, 4]);
    expect(einsum("Ab,ba", values([2, 3], 59), values([3, 4], 60)).shape).toEqual([2, 4]);
  });

  it("rejects malformed equations with typed errors", () => {
    const m = values([2, 3], 61);
    expect(() => einsum("ij,jk->ik", m)).toThrow(ValueError);
    expect(() => einsum("ijk->i", m)).toThrow(/number of subscripts/);
    expect(() => einsum("ij,ij->ij", m, values([3, 2], 62))).toThrow(ShapeError);
    expect(() => einsum("ii->i", m)).toThrow(/sizes don't match/);
    expect(() => einsum("ij->ii", m)).toThrow(/more than once/);
    expect(() => einsum("ij->k", m)).toThrow(/does not appear/);
    expect(() => einsum("i1->i", m)).toThrow(/invalid subscript/);
  });
});

describe("conv and pool errors", () => {
  const x = f32(values([1, 3, 5, 5], 71));
  it("shape errors name the op and what is valid", () => {
    expect(() => conv2d(x, f32(values([4, 2, 3, 3], 72)))).toThrow(/expected input \[1, 3, 5, 5\] to have 2 channels, but got 3/);
    expect(() => conv2d(x, f32(values([3, 3, 3, 3], 73)), null, { groups: 2 })).toThrow(/divisible by 2/);
    expect(() => conv2d(x, f32(values([4, 3, 3], 74)))).toThrow(ShapeError);
    expect(() => conv2d(x, f32(values([4, 3, 7, 7], 75)))).toThrow(/Kernel size can't be greater than actual input size/);
    expect(() => conv2d(x, f32(values([4, 3, 3, 3], 76)), f32(values([3], 77)))).toThrow(
      /bias to be 1-dimensional with 4 elements/,
    );
    expect(() => conv2d(f32(values([5, 5], 78)), f32(values([1, 1, 3, 3], 79)))).toThrow(/3-D \(unbatched\) or 4-D \(batched\)/);
    expect(() => maxPool2d(x, 3, { dilation: 3 })).toThrow(/output size .* is too small/);
  });

  it("option and dtype errors", () => {
    const w = f32(values([4, 3, 3, 3], 80));
    expect(() => conv2d(x, w, null, { padding: "same", stride: 2 })).toThrow(ValueError);
    expect(() => conv2d(x, w, null, { stride: 0 })).toThrow(ValueError);
    expect(() => conv2d(x, w.to("float64"))).toThrow(DTypeError);
    expect(() => conv2d(x.to("int64"), w.to("int64"))).toThrow(DTypeError);
    expect(() => maxPool2d(x, 3, { padding: 2 })).toThrow(/at most half of kernel size/);
    expect(() => avgPool2d(x, 2, { divisorOverride: 0 })).toThrow(ValueError);
    expect(() => maxPool2d(x.to("int64"), 2)).toThrow(DTypeError);
  });
});
