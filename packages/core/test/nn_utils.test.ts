// nn.utils: clipGradNorm_ / clipGradValue_ against PyTorch 1.13 goldens (test-vectors/losses/clip_grad.json),
// parametersToVector / vectorToParameters.
//
// Bounds: the total norm is a sum over every gradient element (per-parameter norms, then the norm of
// those), which the reference adds in its pairwise-tree order and PyTorch in its vectorised one:
// |got − want| ≤ 8 · eps · (the norm's own magnitude) (p = 2, 1, inf: the inf-norm is a max, bitwise).
// The clipped gradients are g · min(maxNorm · 1/(total + 1e-6), 1): when the coefficient is 1 they
// are bitwise (multiplied by exactly 1.0, as PyTorch), otherwise they inherit the coefficient's
// rounding from the total (≤ 2 ulp plus the total's relative error).
import { readFileSync } from "node:fs";
import type { DType, Tensor } from "@lockstep/core";
import * as torch from "@lockstep/core";
import { describe, expect, it } from "vitest";
import { decodeArg, decodeStorage, decodeTensor, type T } from "./golden/harness.js";

const { nn } = torch;

interface ClipCase {
  id: string;
  op: string;
  grads: (T | null)[];
  kwargs: Record<string, unknown>;
  out: T | null;
  grads_after: (T | null)[];
  error: string | null;
}

const file = JSON.parse(readFileSync(new URL("../../../test-vectors/losses/clip_grad.json", import.meta.url), "utf8")) as {
  cases: ClipCase[];
  torch_version: string;
};

const epsOf = (d: DType): number => (d === "float64" ? 2 ** -53 : 2 ** -24);

/** Every element within `rel` · eps · |want| (+ the same of the largest |want| for cancellation-free products), NaN == NaN, ±inf exact. */
function close(got: Tensor, want: T, rel: number): string | null {
  if (got.dtype !== want.dtype) return `dtype ${got.dtype}, expected ${want.dtype}`;
  const g = got.contiguous().dataSync() as Float64Array;
  const w = decodeStorage(want) as Float64Array;
  if (g.length !== w.length) return `${g.length} elements, expected ${w.length}`;
  for (let i = 0; i < w.length; i++) {
    const a = g[i] as number;
    const b = w[i] as number;
    if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))) continue;
    if (Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= rel * epsOf(want.dtype) * Math.abs(b)) continue;
    return `element ${i}: ${a}, expected ${b}`;
  }
  return null;
}
const bitwise = (got: Tensor, want: T): string | null => close(got, want, 0);

describe(`clip_grad goldens (PyTorch ${file.torch_version})`, () => {
  for (const c of file.cases) {
    it(c.id, () => {
      const params = c.grads.map((g) => {
        const p = torch.zeros(g ? [...g.shape] : [2], { dtype: g ? g.dtype : "float32" }).requiresGrad_(true);
        if (g) p.grad = decodeTensor(g).contiguous();
        return p;
      });
      const kw = c.kwargs;
      if (c.op === "nn.utils.clip_grad_value_") {
        nn.utils.clipGradValue_(params, kw.clip_value as number);
        params.forEach((p, i) => {
          const want = c.grads_after[i];
          if (!want) return expect(p.grad).toBeNull();
          expect(bitwise(p.grad as Tensor, want)).toBeNull();
        });
        return;
      }
      const normType = decodeArg(kw.norm_type ?? 2) as number;
      const run = () =>
        nn.utils.clipGradNorm_(params, kw.max_norm as number, normType, {
          errorIfNonfinite: Boolean(kw.error_if_nonfinite),
        });
      if (c.error) {
        expect(run).toThrow(/non-finite, so it cannot be clipped/);
        return;
      }
      const total = run();
      const want = c.out as T;
      // inf-norm: a max (bitwise); otherwise sums in another order
      const exactTotal = normType === Number.POSITIVE_INFINITY;
      expect(close(total, want, exactTotal ? 0 : 8)).toBeNull();
      const wantTotal = decodeStorage(want)[0] as number;
      const clipped = (kw.max_norm as number) / (wantTotal + 1e-6) < 1;
      params.forEach((p, i) => {
        const w = c.grads_after[i];
        if (!w) return expect(p.grad).toBeNull();
        expect(close(p.grad as Tensor, w, clipped && !exactTotal ? 12 : 0), `grad ${i}`).toBeNull();
      });
    });
  }
});

describe("clipGradNorm_", () => {
  it("returns 0 for no gradients and accepts a single tensor", () => {
    const p = torch.ones([3]).requiresGrad_(true);
    expect(nn.utils.clipGradNorm_([p], 1).itemSync()).toBe(0);
    p.grad = torch.tensor([3, 4], { dtype: "float32" });
    const total = nn.utils.clipGradNorm_(p, 1);
    expect(total.itemSync()).toBe(5);
    // coefficient = float32(1 / (5 + 1e-6)) · 1, applied to every gradient
    const coef = Math.fround(Math.fround(1 / Math.fround(5 + Math.fround(1e-6))) * 1);
    expect(Array.from(p.grad.dataSync() as Float32Array)).toEqual([Math.fround(3 * coef), Math.fround(4 * coef)]);
  });
  it("always multiplies, by exactly 1.0 when under the limit (NaN stays NaN, -0 stays -0)", () => {
    const p = torch.ones([3]).requiresGrad_(true);
    p.grad = torch.tensor([-0.0, 0.5, -0.25], { dtype: "float32" });
    nn.utils.clipGradNorm_([p], 100);
    expect(Object.is((p.grad.dataSync() as Float32Array)[0], -0)).toBe(true);
    expect(Array.from(p.grad.dataSync() as Float32Array).slice(1)).toEqual([0.5, -0.25]);
  });
  it("an infinite gradient gives total inf, coefficient 0 and NaN where it was infinite", () => {
    const a = torch.ones([2]).requiresGrad_(true);
    const b = torch.ones([2]).requiresGrad_(true);
    a.grad = torch.tensor([Number.POSITIVE_INFINITY, 1], { dtype: "float32" });
    b.grad = torch.tensor([2, -3], { dtype: "float32" });
    const total = nn.utils.clipGradNorm_([a, b], 1);
    expect(total.itemSync()).toBe(Number.POSITIVE_INFINITY);
    const ga = Array.from(a.grad.dataSync() as Float32Array);
    expect(Number.isNaN(ga[0])).toBe(true);
    expect(ga[1]).toBe(0);
    expect(Array.from(b.grad.dataSync() as Float32Array)).toEqual([0, -0]);
  });
  it("errorIfNonfinite raises PyTorch's error and leaves the gradients alone", () => {
    const a = torch.ones([2]).requiresGrad_(true);
    a.grad = torch.tensor([Number.NaN, 1], { dtype: "float32" });
    expect(() => nn.utils.clipGradNorm_([a], 1, 2, { errorIfNonfinite: true })).toThrow(torch.ValueError);
    expect((a.grad.dataSync() as Float32Array)[1]).toBe(1);
  });
  it("accepts 'inf' as the norm type and rejects nonsense", () => {
    const a = torch.ones([2]).requiresGrad_(true);
    a.grad = torch.tensor([-7, 2], { dtype: "float32" });
    expect(nn.utils.clipGradNorm_([a], 100, "inf").itemSync()).toBe(7);
    expect(() => nn.utils.clipGradNorm_([a], 1, "two" as never)).toThrow(torch.ValueError);
  });
  it("is not recorded by autograd", () => {
    const w = torch.tensor([1, 2], { dtype: "float32", requiresGrad: true });
    w.mul(3).sum().backward();
    const total = nn.utils.clipGradNorm_([w], 1);
    expect(total.requiresGrad).toBe(false);
    expect(w.grad?.requiresGrad).toBe(false);
  });
});

describe("clipGradValue_", () => {
  it("clamps in place to [-v, v], skipping parameters without gradients", () => {
    const a = torch.ones([3]).requiresGrad_(true);
    const b = torch.ones([1]).requiresGrad_(true);
    a.grad = torch.tensor([-2, 0.25, 3], { dtype: "float32" });
    const g = a.grad;
    nn.utils.clipGradValue_([a, b], 0.5);
    expect(a.grad).toBe(g);
    expect(Array.from(a.grad.dataSync() as Float32Array)).toEqual([-0.5, 0.25, 0.5]);
    expect(b.grad).toBeNull();
  });
});

describe("parametersToVector / vectorToParameters", () => {
  it("flattens and concatenates in order, with autograd", async () => {
    const a = torch.tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: "float32", requiresGrad: true },
    );
    const b = torch.tensor([5, 6], { dtype: "float32", requiresGrad: true });
    const v = nn.utils.parametersToVector([a, b]);
    expect(v.shape).toEqual([6]);
    await expect(v.tolist()).resolves.toEqual([1, 2, 3, 4, 5, 6]);
    v.mul(torch.arange(6, { dtype: "float32" }))
      .sum()
      .backward();
    expect(a.grad?.dataSync()).toEqual(new Float32Array([0, 1, 2, 3]));
    expect(b.grad?.dataSync()).toEqual(new Float32Array([4, 5]));
  });
  it("works with a module's parameters", async () => {
    class Two extends nn.Module {
      w = new nn.Parameter(torch.zeros([2, 3]));
      b = new nn.Parameter(torch.zeros([3]));
    }
    const m = new Two();
    const vec = torch.arange(9, { dtype: "float32" });
    nn.utils.vectorToParameters(vec, m.parameters());
    await expect(m.w.tolist()).resolves.toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    await expect(m.b.tolist()).resolves.toEqual([6, 7, 8]);
    expect(nn.utils.parametersToVector(m.parameters()).dataSync()).toEqual(vec.dataSync());
    // values are copied (PyTorch would alias vec's storage)
    vec.add_(1);
    expect((m.w.dataSync() as Float32Array)[0]).toBe(0);
  });
  it("rejects a non-tensor vector and a vector too short", () => {
    const p = torch.zeros([4]).requiresGrad_(true);
    expect(() => nn.utils.vectorToParameters([1, 2] as never, [p])).toThrow(torch.DTypeError);
    expect(() => nn.utils.vectorToParameters(torch.zeros([3]), [p])).toThrow(torch.ShapeError);
  });
});
