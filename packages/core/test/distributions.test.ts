// torch.distributions against PyTorch 1.13.1 (test-vectors/distributions, written by
// tools/golden/gen_distributions.py): every case rebuilds the distribution from the stored
// parameters (with their memory layout), runs the method (samples after manualSeed, or from a
// generator object seeded the same way) and compares the result and the gradients bit for bit.
//
// Samples (sample and rsample values, every distribution) must be bitwise equal: no bound. The
// other values are compared bitwise too; the groups listed in BOUNDS may differ by the stated
// number of ulps, for the stated reason, and the summary counts how many are exact anyway.
import { readFileSync } from "node:fs";
import type { DType, Tensor } from "@lockstep/core";
import * as torch from "@lockstep/core";
import { afterAll, describe, expect, it } from "vitest";
import * as D from "../src/distributions/index.js";
import { decodeStorage, decodeTensor, type T, ulpDistance } from "./golden/harness.js";

interface Param {
  number?: number | { float: string };
}
interface DCase {
  id: string;
  dist: string;
  params: Record<string, T | Param>;
  validate: boolean | null;
  method: string;
  arg: unknown;
  seed: number | null;
  out: T | null;
  batch_shape?: number[];
  event_shape?: number[];
  grad_out?: T | null;
  grads?: Record<string, T>;
  error?: { type: string; message: string };
}

const FILES = ["normal", "uniform", "bernoulli", "categorical", "exponential", "laplace", "multivariate_normal"];
const load = (f: string): { torch_version: string; cases: DCase[] } =>
  JSON.parse(readFileSync(new URL(`../../../test-vectors/distributions/${f}.json`, import.meta.url), "utf8"));

// ---- bounds: groups of values that are not (always) bit-exact, with the reason ----
const LIBM =
  "exp/log/erf/expm1 are V8's (correctly rounded in practice) where PyTorch's x86 kernels call SLEEF's vectorised u10 functions (≤ 1 ulp); a 1-ulp difference is carried through the following operations";
const LIBM_GRAD = `${LIBM}; the gradient multiplies it by further rounded terms`;
const SOFTMAX = `${LIBM}; softmax/logsumexp also sum the exponentials in PyTorch's vectorised order only approximately (core's softmax)`;
const SUM_ORDER =
  "the gradient of a parameter broadcast over several non-adjacent dims (batched factor and batched loc) is reduced by core's pairwise sum, PyTorch sums it in its own cascade order";
interface Bound {
  re: RegExp;
  out?: number;
  grad?: number;
  reason: string;
}
const BOUNDS: Bound[] = [
  { re: /^normal\/cdf\//, out: 4, grad: 32, reason: `${LIBM_GRAD} (erf, and exp(−x²) in erf's derivative)` },
  { re: /^normal\/icdf\//, grad: 2, reason: `${LIBM_GRAD} (exp(erfinv(x)²) in erfinv's derivative)` },
  { re: /^normal\/perplexity\//, out: 1, grad: 1, reason: `${LIBM} (exp)` },
  { re: /^uniform\/entropy\//, out: 1, reason: `${LIBM} (log)` },
  { re: /^bernoulli\/(log_prob|entropy)\//, out: 1, grad: 1, reason: `${LIBM} (log/exp in binary_cross_entropy_with_logits)` },
  { re: /^bernoulli\/perplexity\//, out: 1, grad: 3, reason: `${LIBM_GRAD} (exp of the entropy)` },
  { re: /^categorical\/log_prob/, out: 1, grad: 4, reason: `${SOFTMAX} (logsumexp of the logits, log of the probs)` },
  { re: /^categorical\/(entropy|perplexity)\//, out: 2, grad: 32, reason: SOFTMAX },
  { re: /^categorical\/(probs|logits)\//, out: 16, grad: 32, reason: SOFTMAX },
  { re: /^exponential\/(cdf|icdf)\//, out: 4, grad: 4, reason: `${LIBM_GRAD} (exp, log)` },
  { re: /^exponential\/entropy\//, out: 8, reason: `${LIBM} (1 − log(rate) cancels near rate = e)` },
  { re: /^laplace\/(log_prob|cdf)\//, out: 1, grad: 1, reason: `${LIBM} (log, expm1)` },
  { re: /^mvn\/rsample\/f32\/cov_b2x1_n3_locb4\//, grad: 16, reason: SUM_ORDER },
  { re: /^mvn\/log_prob\//, out: 1, grad: 32, reason: `${LIBM} (log of L's diagonal); ${SUM_ORDER}` },
];
const boundFor = (id: string): Bound | undefined => BOUNDS.find((b) => b.re.test(id));

const PROP: Record<string, string> = {
  covariance_matrix: "covarianceMatrix",
  precision_matrix: "precisionMatrix",
  scale_tril: "scaleTril",
};

function buildParams(c: DCase): { p: Record<string, Tensor | number>; leaves: Record<string, Tensor> } {
  const p: Record<string, Tensor | number> = {};
  const leaves: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(c.params)) {
    if ("number" in v) {
      const n = (v as Param).number;
      p[k] = typeof n === "object" ? Number.NaN : (n as number);
    } else {
      const t = decodeTensor(v as T);
      if (c.grads && k in c.grads) {
        t.requiresGrad_(true);
        leaves[k] = t;
      }
      p[k] = t;
    }
  }
  return { p, leaves };
}

function build(dist: string, p: Record<string, Tensor | number>, validate: boolean | null): D.Distribution {
  const o = validate === null ? {} : { validateArgs: validate };
  const t = (k: string) => p[k] as Tensor;
  switch (dist) {
    case "Normal":
      return new D.Normal(p.loc as Tensor, p.scale as Tensor, o);
    case "Uniform":
      return new D.Uniform(p.low as Tensor, p.high as Tensor, o);
    case "Laplace":
      return new D.Laplace(p.loc as Tensor, p.scale as Tensor, o);
    case "Exponential":
      return new D.Exponential(p.rate as Tensor, o);
    case "Bernoulli":
      return new D.Bernoulli({ probs: p.probs, logits: p.logits, ...o });
    case "Categorical":
      return new D.Categorical({ probs: t("probs"), logits: t("logits"), ...o });
    case "MultivariateNormal":
      return new D.MultivariateNormal(t("loc"), {
        covarianceMatrix: t("covariance_matrix"),
        precisionMatrix: t("precision_matrix"),
        scaleTril: t("scale_tril"),
        ...o,
      });
  }
  throw new Error(`unknown distribution ${dist}`);
}

const isT = (x: unknown): x is T => typeof x === "object" && x !== null && "storage" in x;

function run(d: D.Distribution, c: DCase, value: Tensor | undefined, gen?: torch.Generator): Tensor {
  const opts = gen ? { generator: gen } : {};
  switch (c.method) {
    case "sample":
      return d.sample(c.arg as number[], opts);
    case "rsample":
      return d.rsample(c.arg as number[], opts);
    case "log_prob":
      return d.logProb(value as Tensor);
    case "cdf":
      return d.cdf(value as Tensor);
    case "icdf":
      return d.icdf(value as Tensor);
    case "entropy":
      return d.entropy();
    case "perplexity":
      return d.perplexity();
    case "enumerate_support":
      return d.enumerateSupport(c.arg as boolean);
    default:
      return (d as unknown as Record<string, Tensor>)[PROP[c.method] ?? c.method] as Tensor;
  }
}

/** Largest ulp distance (0 = identical bits; integers and bools must be equal). */
function distance(got: Tensor, want: T): number {
  if (got.dtype !== want.dtype) throw new Error(`dtype ${got.dtype}, expected ${want.dtype}`);
  if (got.shape.join(",") !== want.shape.join(",")) throw new Error(`shape [${got.shape}], expected [${want.shape}]`);
  const g = got.contiguous().dataSync();
  const w = decodeStorage(want);
  const isFloat = want.dtype === "float32" || want.dtype === "float64";
  let worst = 0;
  for (let i = 0; i < w.length; i++) {
    const d = isFloat
      ? ulpDistance(want.dtype as DType, g[i] as number, w[i] as number)
      : (g[i] as number | bigint) === (w[i] as number | bigint)
        ? 0
        : Number.POSITIVE_INFINITY;
    if (d > worst) worst = d;
  }
  return worst;
}

interface Tally {
  outs: number;
  outsExact: number;
  grads: number;
  gradsExact: number;
  samples: number;
  errors: number;
}
const tally: Record<string, Tally> = {};
const seen: Record<string, { out: number; grad: number }> = {};

for (const file of FILES) {
  const data = load(file);
  const t: Tally = (tally[file] = { outs: 0, outsExact: 0, grads: 0, gradsExact: 0, samples: 0, errors: 0 });
  describe(`distributions golden: ${file} (torch ${data.torch_version})`, () => {
    for (const c of data.cases) {
      if (c.error) {
        const err = c.error;
        it(`${c.id} raises ${err.type}`, () => {
          const { p } = buildParams(c);
          const value = isT(c.arg) ? decodeTensor(c.arg) : undefined;
          let thrown: unknown = null;
          try {
            const d = build(c.dist, p, c.validate);
            if (c.method !== "init") run(d, c, value);
          } catch (e) {
            thrown = e;
          }
          expect(thrown, "no error").toBeInstanceOf(Error);
          const e = thrown as Error;
          if (err.type === "ValueError") expect(e).toBeInstanceOf(torch.ValueError);
          else if (err.type === "LinAlgError") expect(e).toBeInstanceOf(D.LinAlgError);
          else expect(e).toBeInstanceOf(torch.ShapeError); // RuntimeError (broadcasting): lockstep's ShapeError
          expect(e.message.endsWith(err.message), e.message).toBe(true);
          t.errors++;
        });
        continue;
      }
      it(c.id, () => {
        const bound = boundFor(c.id);
        const isSample = c.method === "sample" || c.method === "rsample";
        const runOnce = (gen?: torch.Generator) => {
          const { p, leaves } = buildParams(c);
          const d = build(c.dist, p, c.validate);
          expect(d.batchShape).toEqual(c.batch_shape);
          expect(d.eventShape).toEqual(c.event_shape);
          let value: Tensor | undefined;
          if (isT(c.arg)) {
            value = decodeTensor(c.arg);
            if (c.grads?.value) {
              value.requiresGrad_(true);
              leaves.value = value;
            }
          }
          if (c.seed !== null && !gen) torch.manualSeed(c.seed);
          return { out: run(d, c, value, gen), leaves };
        };
        const { out, leaves } = runOnce();
        const dOut = distance(out, c.out as T);
        const allowed = isSample ? 0 : (bound?.out ?? 0);
        expect(dOut, `out differs by ${dOut} ulp (allowed ${allowed}${bound ? `: ${bound.reason}` : ""})`).toBeLessThanOrEqual(
          allowed,
        );
        t.outs++;
        if (dOut === 0) t.outsExact++;
        if (isSample) {
          t.samples++;
          // the same draw from a generator object seeded the same way
          if (c.seed !== null) {
            const { out: o2 } = runOnce(new torch.Generator().manualSeed(c.seed));
            expect(distance(o2, c.out as T)).toBe(0);
          }
        }
        const s = (seen[bound ? bound.re.source : ""] ??= { out: 0, grad: 0 });
        s.out = Math.max(s.out, dOut);
        const names = Object.keys(c.grads ?? {});
        if (!c.grad_out || names.length === 0) return;
        const gs = torch.autograd.grad(
          [out],
          names.map((n) => leaves[n] as Tensor),
          { gradOutputs: [decodeTensor(c.grad_out)], allowUnused: true },
        );
        names.forEach((n, i) => {
          const g = gs[i];
          expect(g, `no gradient for ${n}`).toBeTruthy();
          const dg = distance(g as Tensor, (c.grads as Record<string, T>)[n] as T);
          const gAllowed = bound?.grad ?? 0;
          expect(
            dg,
            `grad ${n} differs by ${dg} ulp (allowed ${gAllowed}${bound ? `: ${bound.reason}` : ""})`,
          ).toBeLessThanOrEqual(gAllowed);
          t.grads++;
          if (dg === 0) t.gradsExact++;
          s.grad = Math.max(s.grad, dg);
        });
      });
    }
  });
}

afterAll(() => {
  const rows = Object.entries(tally).map(
    ([f, t]) =>
      `${f}: samples ${t.samples} (all bit-exact), values ${t.outsExact}/${t.outs} bit-exact, gradients ${t.gradsExact}/${t.grads} bit-exact, errors ${t.errors}`,
  );
  console.log(`distributions vs PyTorch 1.13:\n  ${rows.join("\n  ")}`);
});
