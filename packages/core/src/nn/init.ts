// torch.nn.init: the initialisers, with PyTorch 1.13's arithmetic (bounds computed in float64 as
// Python does) and its draws (Tensor.uniform_ / normal_ from the random module), so that after the
// same manualSeed a layer's default initialisation equals PyTorch's bit for bit.
//
// orthogonal_: PyTorch takes a QR factorisation of a normal_(0, 1) matrix with LAPACK (float32
// sgeqrf/sorgqr here) and multiplies Q's columns by sign(diag(R)). lockstep factors the same draws
// with a Householder QR in float64 and rounds Q once to the dtype: with the signs normalised Q is
// unique, so the two agree to LAPACK's float32 rounding error — not bitwise (see the test's bound).
import { noGrad } from "../autograd/graph.js";
import { ValueError } from "../errors.js";
import { bin, type Exp, fma, konst, select, un } from "../ir.js";
import { elementwise } from "../ops/core.js";
import { empty_, tensor as makeTensor } from "../ops/creation.js";
import type { Generator } from "../random/generator.js";
import { normal_ as drawNormal_, uniform_ as drawUniform_ } from "../random/sampling.js";
import { erf as erf64 } from "../reference/scalar.js";
import type { Tensor } from "../tensor.js";

export interface InitOptions {
  /** lockstep extension (PyTorch ≥ 2.1 has it too): draw from this torch.Generator instead of the global one. */
  generator?: Generator | null;
}

let skipping = 0;

/**
 * torch.nn.utils.skip_init: construct a module without drawing random numbers — randomly
 * initialised parameters keep torch.empty's contents (constant initialisers still run):
 * `skipInit(() => new nn.Linear(4, 3))`.
 */
export function skipInit<T>(construct: () => T): T {
  skipping++;
  try {
    return construct();
  } finally {
    skipping--;
  }
}

const gen = (o?: InitOptions) => ({ generator: o?.generator ?? null });

/** PyTorch's calculate_gain. */
export function calculateGain(nonlinearity: string, param?: number | null): number {
  const linear = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"];
  if (linear.includes(nonlinearity) || nonlinearity === "sigmoid") return 1;
  if (nonlinearity === "tanh") return 5.0 / 3;
  if (nonlinearity === "relu") return Math.sqrt(2.0);
  if (nonlinearity === "leaky_relu") {
    if (param !== undefined && param !== null && typeof param !== "number")
      throw new ValueError("calculate_gain", `negative_slope ${String(param)} not a valid number`);
    const slope = param ?? 0.01;
    return Math.sqrt(2.0 / (1 + slope ** 2));
  }
  if (nonlinearity === "selu") return 3.0 / 4;
  throw new ValueError("calculate_gain", `Unsupported nonlinearity ${nonlinearity}`);
}

/** PyTorch's _calculate_fan_in_and_fan_out: dim 1 × receptive field, dim 0 × receptive field. */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  if (t.ndim < 2) throw new ValueError("init", "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions");
  let receptive = 1;
  for (const s of t.shape.slice(2)) receptive *= s;
  return [(t.shape[1] as number) * receptive, (t.shape[0] as number) * receptive];
}

function correctFan(t: Tensor, mode: "fan_in" | "fan_out"): number {
  if (mode !== "fan_in" && mode !== "fan_out")
    throw new ValueError("init", `Mode ${String(mode)} not supported, please use one of fan_in, fan_out`);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return mode === "fan_in" ? fanIn : fanOut;
}

const skipped = (t: Tensor): boolean => skipping > 0 || t.shape.includes(0);

export function uniform_(t: Tensor, a = 0, b = 1, opts?: InitOptions): Tensor {
  if (skipped(t)) return t;
  return noGrad(() => drawUniform_(t, a, b, gen(opts)));
}

export function normal_(t: Tensor, mean = 0, std = 1, opts?: InitOptions): Tensor {
  if (skipped(t)) return t;
  return noGrad(() => drawNormal_(t, mean, std, gen(opts)));
}

export function constant_(t: Tensor, val: number): Tensor {
  return noGrad(() => t.fill_(val));
}
export const zeros_ = (t: Tensor): Tensor => noGrad(() => t.zero_());
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

/** torch.nn.init.eye_: the identity in a 2-D tensor. */
export function eye_(t: Tensor): Tensor {
  if (t.ndim !== 2) throw new ValueError("eye_", "Only tensors with 2 dimensions are supported");
  const [r, c] = t.shape as [number, number];
  const v: number[] = [];
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) v.push(i === j ? 1 : 0);
  return noGrad(() => t.copy_(makeTensor(v, { dtype: t.dtype }).reshape([r, c])));
}

/** torch.nn.init.dirac_: identity-preserving convolution weights [out, in, k...]. */
export function dirac_(t: Tensor, groups = 1): Tensor {
  const dims = t.ndim;
  if (dims < 3 || dims > 5) throw new ValueError("dirac_", "Only tensors with 3, 4, or 5 dimensions are supported");
  const outPerGroup = Math.floor((t.shape[0] as number) / groups);
  if ((t.shape[0] as number) % groups !== 0) throw new ValueError("dirac_", "dim 0 must be divisible by groups");
  const minDim = Math.min(outPerGroup, t.shape[1] as number);
  const shape = t.shape as number[];
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const v = new Array<number>(t.numel()).fill(0);
  for (let g = 0; g < groups; g++)
    for (let d = 0; d < minDim; d++) {
      let off = (g * outPerGroup + d) * (strides[0] as number) + d * (strides[1] as number);
      for (let k = 2; k < dims; k++) off += Math.floor((shape[k] as number) / 2) * (strides[k] as number);
      v[off] = 1;
    }
  return noGrad(() => t.copy_(makeTensor(v, { dtype: t.dtype }).reshape(shape)));
}

export function xavierUniform_(t: Tensor, gain = 1, opts?: InitOptions): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const std = gain * Math.sqrt(2.0 / (fanIn + fanOut));
  const a = Math.sqrt(3.0) * std;
  return uniform_(t, -a, a, opts);
}

export function xavierNormal_(t: Tensor, gain = 1, opts?: InitOptions): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const std = gain * Math.sqrt(2.0 / (fanIn + fanOut));
  return normal_(t, 0, std, opts);
}

export interface KaimingOptions extends InitOptions {
  mode?: "fan_in" | "fan_out";
  nonlinearity?: string;
}

/** kaiming_uniform_(tensor, a = 0, mode = 'fan_in', nonlinearity = 'leaky_relu'); mode/nonlinearity also as options. */
export function kaimingUniform_(
  t: Tensor,
  a = 0,
  mode: "fan_in" | "fan_out" | KaimingOptions = "fan_in",
  nonlinearity = "leaky_relu",
  opts?: InitOptions,
): Tensor {
  const o = typeof mode === "object" ? mode : { mode, nonlinearity, ...opts };
  if (t.shape.includes(0)) return t;
  const fan = correctFan(t, o.mode ?? "fan_in");
  const gain = calculateGain(o.nonlinearity ?? "leaky_relu", a);
  const std = gain / Math.sqrt(fan);
  const bound = Math.sqrt(3.0) * std;
  return uniform_(t, -bound, bound, o);
}

export function kaimingNormal_(
  t: Tensor,
  a = 0,
  mode: "fan_in" | "fan_out" | KaimingOptions = "fan_in",
  nonlinearity = "leaky_relu",
  opts?: InitOptions,
): Tensor {
  const o = typeof mode === "object" ? mode : { mode, nonlinearity, ...opts };
  if (t.shape.includes(0)) return t;
  const fan = correctFan(t, o.mode ?? "fan_in");
  const gain = calculateGain(o.nonlinearity ?? "leaky_relu", a);
  const std = gain / Math.sqrt(fan);
  return normal_(t, 0, std, o);
}

/**
 * Householder QR of a row-major [m, n] float64 matrix (m ≥ n): returns Q [m, n] (thin) with the
 * columns multiplied by sign(diag(R)), i.e. the Q of the factorisation with R's diagonal ≥ 0.
 */
export function householderQ(a: Float64Array, m: number, n: number): Float64Array {
  const r = Float64Array.from(a);
  const vs: Float64Array[] = [];
  const betas: number[] = [];
  const signs: number[] = [];
  for (let k = 0; k < n; k++) {
    // v = x + sign(x0)·‖x‖·e1 on column k below the diagonal (LAPACK's dlarfg convention: R[k,k] = −sign(x0)·‖x‖)
    let norm = 0;
    for (let i = k; i < m; i++) norm = Math.hypot(norm, r[i * n + k] as number);
    const x0 = r[k * n + k] as number;
    const v = new Float64Array(m - k);
    if (norm === 0) {
      vs.push(v);
      betas.push(0);
      signs.push(1);
      continue;
    }
    const alpha = x0 >= 0 ? -norm : norm; // the new diagonal entry
    for (let i = k; i < m; i++) v[i - k] = r[i * n + k] as number;
    v[0] = x0 - alpha;
    let vv = 0;
    for (let i = 0; i < v.length; i++) vv += (v[i] as number) * (v[i] as number);
    const beta = vv === 0 ? 0 : 2 / vv;
    // apply H = I − beta·v·vᵀ to the remaining columns
    for (let j = k; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += (v[i - k] as number) * (r[i * n + j] as number);
      const s = beta * dot;
      for (let i = k; i < m; i++) r[i * n + j] = (r[i * n + j] as number) - s * (v[i - k] as number);
    }
    vs.push(v);
    betas.push(beta);
    signs.push(Math.sign(r[k * n + k] as number) || 0);
  }
  // Q = H0·H1·…·H(n−1) applied to the first n columns of the identity
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * n + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k] as Float64Array;
    const beta = betas[k] as number;
    if (beta === 0) continue;
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += (v[i - k] as number) * (q[i * n + j] as number);
      const s = beta * dot;
      for (let i = k; i < m; i++) q[i * n + j] = (q[i * n + j] as number) - s * (v[i - k] as number);
    }
  }
  // q *= sign(diag(r)) column-wise (torch.sign: 0 stays 0)
  for (let j = 0; j < n; j++) {
    const s = signs[j] as number;
    for (let i = 0; i < m; i++) q[i * n + j] = (q[i * n + j] as number) * s;
  }
  return q;
}

/** torch.nn.init.orthogonal_: Q of the QR of a normal_(0, 1) [rows, cols] draw (transposed when rows < cols), times gain. */
export function orthogonal_(t: Tensor, gain = 1, opts?: InitOptions): Tensor {
  if (t.ndim < 2) throw new ValueError("orthogonal_", "Only tensors with 2 or more dimensions are supported");
  if (t.numel() === 0 || skipping > 0) return t;
  const rows = t.shape[0] as number;
  const cols = t.numel() / rows;
  return noGrad(() => {
    const flat = empty_([rows, cols], { dtype: t.dtype, device: t.device });
    normal_(flat, 0, 1, opts);
    const data = Float64Array.from(flat.to("float64").dataSync() as Float64Array);
    // rows < cols: factor the transpose
    const m = Math.max(rows, cols);
    const n = Math.min(rows, cols);
    let a = data;
    if (rows < cols) {
      a = new Float64Array(rows * cols);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) a[j * rows + i] = data[i * cols + j] as number;
    }
    const q = householderQ(a, m, n);
    let out = q;
    if (rows < cols) {
      out = new Float64Array(rows * cols);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[j * m + i] = q[i * n + j] as number;
    }
    const qt = makeTensor(out, { dtype: "float64" }).reshape([rows, cols]).to(t.dtype);
    t.view(t.shape as number[]).copy_(qt.reshape([...t.shape]));
    if (gain !== 1) t.mul_(gain);
    return t;
  });
}

/**
 * PyTorch's calc_erfinv (c10/util/math_compat / ATen Math.h) as an IR kernel in the tensor's dtype:
 * a rational first guess (|y| ≤ 0.7: y·P(y²)/Q(y²); beyond: from sqrt(−log((1 − |y|)/2))), the
 * Horner steps fused (FMA, as the AVX2 build contracts them), then two Newton steps
 * x −= (erf(x) − y) / (2/√π · exp(−x²)). erf/exp/log are the backend's (1 ulp of glibc's).
 */
function erfinvInPlace(t: Tensor): Tensor {
  const y = elementwise("erfinv", [t], t.dtype, t.dtype === "float64" ? "float64" : "float32", ([v]) => {
    const x = v as Exp;
    const k = (c: number): Exp => konst(c, x.dtype);
    const horner = (cs: number[], z: Exp): Exp =>
      cs.slice(0, -1).reduceRight((acc, c) => fma(acc, z, k(c)), k(cs[cs.length - 1] as number));
    const ay = un("abs", x);
    const z1 = bin("mul", x, x);
    const num1 = horner([0.886226899, -1.645349621, 0.914624893, -0.140543331], z1);
    const dem1 = fma(horner([-2.118377725, 1.442710462, -0.329097515, 0.012229801], z1), z1, k(1));
    const central = bin("div", bin("mul", x, num1), dem1);
    const z2 = un("sqrt", un("neg", un("log", bin("div", bin("sub", k(1), ay), k(2)))));
    const num2 = horner([-1.970840454, -1.624906493, 3.429567803, 1.641345311], z2);
    const dem2 = fma(fma(k(1.6370678), z2, k(3.5438892)), z2, k(1));
    const signedNum = select(bin("lt", x, k(0)), un("neg", un("abs", num2)), un("abs", num2));
    const tail = bin("div", signedNum, dem2);
    let r = select(bin("le", ay, k(0.7)), central, tail);
    const two = x.dtype === "float64" ? 2 / Math.sqrt(Math.PI) : Math.fround(2 / Math.fround(Math.sqrt(Math.PI)));
    for (let i = 0; i < 2; i++) {
      const step = bin("div", bin("sub", un("erf", r), x), bin("mul", k(two), un("exp", bin("mul", un("neg", r), r))));
      r = bin("sub", r, step);
    }
    const inf = select(bin("lt", x, k(0)), k(Number.NEGATIVE_INFINITY), k(Number.POSITIVE_INFINITY));
    return select(bin("gt", ay, k(1)), k(Number.NaN), select(bin("eq", ay, k(1)), inf, r));
  });
  return t.copy_(y);
}

/**
 * torch.nn.init.trunc_normal_(tensor, mean = 0, std = 1, a = −2, b = 2): uniform_(2l − 1, 2u − 1)
 * with l, u the normal CDF at the bounds (float64, erf), then erfinv, ·std·√2, +mean, clamp to
 * [a, b] — PyTorch's steps and draws. The draws are identical; erfinv uses the backend's erf/exp/log
 * (within an ulp of glibc's), so values can differ from PyTorch's by a few ulp.
 */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2, opts?: InitOptions): Tensor {
  const normCdf = (x: number): number => (1 + erf64(x / Math.sqrt(2))) / 2;
  const l = normCdf((a - mean) / std);
  const u = normCdf((b - mean) / std);
  if (skipped(t)) return t;
  return noGrad(() => {
    drawUniform_(t, 2 * l - 1, 2 * u - 1, gen(opts));
    erfinvInPlace(t);
    t.mul_(std * Math.sqrt(2));
    t.add_(mean);
    return t.clamp_(a, b);
  });
}
