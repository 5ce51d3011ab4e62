// Golden-vector entries for creation, elementwise, reduction, view and linear-algebra ops.
// ulp = 0 means bit-exact; every non-zero bound says why next to it.

import type { DType, Tensor } from "@lockstep/core";
import * as torch from "@lockstep/core";
import type { OpEntry, OpTable } from "./harness.js";

type A = unknown[];
type K = Record<string, unknown>;
const T = (x: unknown) => x as Tensor;
const N = (x: unknown) => x as number;

/** Transcendentals: V8's libm vs PyTorch's SLEEF/glibc, both faithfully rounded. */
const LIBM = "transcendental from different libm implementations (V8 vs SLEEF/glibc); each is faithfully rounded";
/** Sums: the reference's pairwise tree vs PyTorch's vectorised cascade order. */
const ORDER = "summation order differs (reference: pairwise tree; PyTorch: vectorised cascade / BLAS blocking)";

/** Gradients of 1-ulp transcendentals multiply that value by more terms. */
const LIBM_GRAD = "the gradient multiplies the 1-ulp value by further rounded terms";
/** Gradients of broadcast operands are sums (sumToShape) in a different order than PyTorch's. */
const BROADCAST = "gradients of broadcast operands are sums over the broadcast dims in the reference's order";

const SLEEF_FMOD =
  "PyTorch's vectorised fmod (SLEEF) returns NaN when x/y overflows (3e38 vs 1e-40); lockstep computes C's exact fmod";
const BF16_PATHS =
  "bfloat16: PyTorch rounds intermediates to bfloat16 in its scalar tail loop but not in its vectorised loop; lockstep follows the vectorised path";
const SPECIAL = "special values: PyTorch's kernels produce a different NaN/inf pattern here (0·∞ evaluated in another order)";
const F64_SCALAR_GRAD =
  "the gradient of a float64 0-dim operand is a float32 sum of the upstream gradient, in another order than PyTorch's";
const unary = (f: (x: Tensor) => Tensor, ulp = 0, reason?: string): OpEntry => ({
  run: (a) => f(T(a[0])),
  ulp,
  gradUlp: ulp ? 4 : 0,
  reason: ulp ? `${reason}; ${LIBM_GRAD}` : reason,
});
const binary = (f: (a: never, b: never, o?: never) => Tensor, ulp = 0, reason?: string): OpEntry => ({
  run: (a, k) => f(a[0] as never, a[1] as never, k as never),
  ulp,
  sumTol: 4,
  reason: reason ? `${reason}; ${BROADCAST}` : BROADCAST,
});

/** PyTorch's (input, dim?, keepdim?) positional/keyword forms. */
const dimKeep = (a: A, k: K): [unknown, boolean] => [a[1] ?? k.dim ?? null, Boolean(a[2] ?? k.keepdim ?? false)];

const creation: OpTable = {
  arange: { run: (a, k) => torch.arange(...(a as number[]), { dtype: k.dtype as DType }) },
  linspace: {
    run: (a, k) => torch.linspace(N(a[0]), N(a[1]), N(a[2] ?? k.steps), { dtype: k.dtype as DType }),
    known: {
      "linspace/f16/0":
        "float16: PyTorch steps in half-precision arithmetic (each operation rounded to half); lockstep computes in float32",
    },
  },
  eye: {
    run: (a, k) =>
      a.length > 1 ? torch.eye(N(a[0]), N(a[1]), { dtype: k.dtype as DType }) : torch.eye(N(a[0]), { dtype: k.dtype as DType }),
  },
  full: { run: (a, k) => torch.full(a[0] as number[], a[1] as number, { dtype: k.dtype as DType }) },
  zeros: { run: (a, k) => torch.zeros(...(a as number[]), { dtype: k.dtype as DType }) },
  ones: { run: (a, k) => torch.ones(...(a as number[]), { dtype: k.dtype as DType }) },
};

const elementwise: OpTable = {
  neg: unary(torch.neg),
  abs: unary(torch.abs),
  sign: unary(torch.sign),
  sqrt: unary(torch.sqrt),
  rsqrt: { ...unary(torch.rsqrt), known: { "rsqrt/bf16/0": BF16_PATHS, "rsqrt/bf16_special/0": BF16_PATHS } },
  exp: unary(torch.exp, 1, LIBM),
  expm1: {
    ...unary(torch.expm1, 1, LIBM),
    gradUlp: 16,
    reason: `${LIBM}; the gradient g·(y+1) turns y's 1-ulp error into up to ~10 ulp of y+1 near y = -1`,
  },
  log: unary(torch.log, 1, LIBM),
  log1p: unary(torch.log1p, 1, LIBM),
  log2: unary(torch.log2, 1, LIBM),
  sin: unary(torch.sin, 1, LIBM),
  cos: unary(torch.cos, 1, LIBM),
  tan: unary(torch.tan, 1, LIBM),
  tanh: unary(torch.tanh, 1, LIBM),
  sigmoid: unary(torch.sigmoid, 2, `${LIBM}; 1/(1+exp(-x)) rounds twice more`),
  relu: unary(torch.relu),
  "nn.functional.gelu": {
    run: (a, k) => torch.gelu(T(a[0]), k as never),
    ulp: 2,
    gradUlp: 4,
    atol: 1e-6,
    known: {
      "nn.functional.gelu/approx_tanh/bf16":
        "bfloat16: PyTorch rounds intermediates to bfloat16 in its scalar tail loop but not in its vectorised loop; lockstep follows the vectorised path",
    },
    reason:
      "float32 follows PyTorch's vectorised kernel (Abramowitz–Stegun erf, |error| < 1.5e-7), which PyTorch itself replaces by std::erf on non-contiguous inputs and in tail loops; exp/tanh from different libms",
  },
  "nn.functional.silu": {
    ...unary(torch.silu, 2, `${LIBM}; x/(1+exp(-x)) rounds twice more`),
    known: { "nn.functional.silu/f64_special/0": SPECIAL },
  },
  "nn.functional.softplus": {
    run: (a, k) => torch.softplus(T(a[0]), k as never),
    ulp: 1,
    gradUlp: 4,
    reason: `${LIBM}; ${LIBM_GRAD}`,
  },
  erf: unary(torch.erf, 1, LIBM),
  floor: unary(torch.floor),
  ceil: unary(torch.ceil),
  round: { run: (a, k) => torch.round(T(a[0]), k as never) },
  trunc: unary(torch.trunc),
  isnan: unary(torch.isnan),
  isinf: unary(torch.isinf),
  logical_not: unary(torch.logicalNot),
  nan_to_num: {
    run: (a, k) => torch.nanToNum(T(a[0]), N(a[1] ?? k.nan ?? 0), (a[2] ?? k.posinf) as number, (a[3] ?? k.neginf) as number),
  },
  clamp: { run: (a, k) => torch.clamp(T(a[0]), (a[1] ?? k.min) as never, (a[2] ?? k.max) as never) },
  add: { ...binary(torch.add), known: { "add/alpha_bf16/0": BF16_PATHS } },
  sub: { ...binary(torch.sub), known: { "sub/alpha_bf16/0": BF16_PATHS, "promo/sub/float32_zerodim_float64": F64_SCALAR_GRAD } },
  mul: { ...binary(torch.mul), known: { "promo/mul/float32_zerodim_float64": F64_SCALAR_GRAD } },
  div: { ...binary(torch.div), known: { "div/floor/special_grid/0": SLEEF_FMOD } },
  pow: binary(torch.pow, 1, LIBM),
  maximum: binary(torch.maximum),
  minimum: binary(torch.minimum),
  fmod: {
    ...binary(torch.fmod),
    known: { "fmod/special_grid/0": SLEEF_FMOD, "fmod/special_grid_f64/0": SLEEF_FMOD, "fmod/bf16_special_grid/0": SLEEF_FMOD },
  },
  remainder: {
    ...binary(torch.remainder),
    known: {
      "remainder/special_grid/0": SLEEF_FMOD,
      "remainder/special_grid_f64/0": SLEEF_FMOD,
      "remainder/bf16_special_grid/0": SLEEF_FMOD,
    },
  },
  eq: binary(torch.eq),
  ne: binary(torch.ne),
  lt: binary(torch.lt),
  le: binary(torch.le),
  gt: binary(torch.gt),
  ge: binary(torch.ge),
  logical_and: binary(torch.logicalAnd),
  logical_or: binary(torch.logicalOr),
  logical_xor: binary(torch.logicalXor),
  where: {
    run: (a) => torch.where(T(a[0]), a[1] as never, a[2] as never),
    sumTol: 4,
    reason: BROADCAST,
    known: { "promo/where/float32_zerodim_float64": F64_SCALAR_GRAD },
  },
  "Tensor.masked_fill": { run: (a) => torch.maskedFill(T(a[0]), T(a[1]), a[2] as never) },
  lerp: { run: (a) => torch.lerp(T(a[0]), T(a[1]), a[2] as never) },
};

const reductions: OpTable = {
  sum: {
    run: (a, k) => torch.sum(T(a[0]), ...(dimKeep(a, k) as [never, boolean]), { dtype: k.dtype as DType }),
    ulp: 1,
    sumTol: 8,
    reason: ORDER,
  },
  mean: {
    run: (a, k) => torch.mean(T(a[0]), ...(dimKeep(a, k) as [never, boolean]), { dtype: k.dtype as DType }),
    ulp: 1,
    sumTol: 8,
    reason: ORDER,
  },
  prod: {
    run: (a, k) => torch.prod(T(a[0]), ...(dimKeep(a, k) as [never, boolean]), { dtype: k.dtype as DType }),
    ulp: 1,
    sumTol: 8,
    reason: ORDER,
    known: { "prod/full_special/0": SPECIAL },
  },
  max: {
    run: (a, k) =>
      a.length === 1
        ? torch.max(T(a[0]))
        : a[1] instanceof torch.Tensor
          ? torch.max(T(a[0]), T(a[1]))
          : torch.max(T(a[0]), N(a[1]), Boolean(a[2] ?? k.keepdim)),
  },
  min: {
    run: (a, k) =>
      a.length === 1
        ? torch.min(T(a[0]))
        : a[1] instanceof torch.Tensor
          ? torch.min(T(a[0]), T(a[1]))
          : torch.min(T(a[0]), N(a[1]), Boolean(a[2] ?? k.keepdim)),
  },
  amax: { run: (a, k) => torch.amax(T(a[0]), ...(dimKeep(a, k) as [never, boolean])) },
  amin: { run: (a, k) => torch.amin(T(a[0]), ...(dimKeep(a, k) as [never, boolean])) },
  argmax: { run: (a, k) => torch.argmax(T(a[0]), ...(dimKeep(a, k) as [never, boolean])) },
  argmin: { run: (a, k) => torch.argmin(T(a[0]), ...(dimKeep(a, k) as [never, boolean])) },
  var: {
    run: (a, k) => varArgs(torch.var_, a, k),
    gradUlp: 2,
    sumTol: 8,
    reason: `gradient uses mean(x): ${ORDER}`,
    known: { "var/full_scalar/0": SPECIAL },
  },
  std: { run: (a, k) => varArgs(torch.std, a, k), gradUlp: 2, sumTol: 8, reason: `gradient uses mean(x): ${ORDER}` },
  norm: {
    run: (a, k) => {
      const x = k.dtype ? T(a[0]).to(k.dtype as DType) : T(a[0]);
      return torch.norm(x, (a[1] ?? k.p ?? 2) as never, (a[2] ?? k.dim) as never, Boolean(a[3] ?? k.keepdim));
    },
    ulp: 2,
    sumTol: 8,
    reason: ORDER,
  },
  logsumexp: {
    run: (a, k) => torch.logsumexp(T(a[0]), a[1] as never, Boolean(a[2] ?? k.keepdim)),
    ulp: 2,
    sumTol: 8,
    reason: `${ORDER}; ${LIBM}`,
  },
  all: { run: (a, k) => torch.all(T(a[0]), ...(dimKeep(a, k) as [never, boolean])) },
  any: { run: (a, k) => torch.any(T(a[0]), ...(dimKeep(a, k) as [never, boolean])) },
  cumsum: { run: (a, k) => torch.cumsum(T(a[0]), N(a[1]), { dtype: k.dtype as DType }) },
  cumprod: {
    run: (a, k) => torch.cumprod(T(a[0]), N(a[1]), { dtype: k.dtype as DType }),
    known: { "cumprod/special/0": SPECIAL },
  },
  softmax: {
    run: (a, k) => torch.softmax(T(a[0]), N(a[1]), { dtype: k.dtype as DType }),
    ulp: 2,
    sumTol: 8,
    reason: `${ORDER}; ${LIBM}`,
  },
  "nn.functional.softmax": {
    run: (a, k) => torch.softmax(T(a[0]), N(a[1] ?? k.dim), { dtype: k.dtype as DType }),
    ulp: 2,
    sumTol: 8,
    reason: ORDER,
  },
  log_softmax: {
    run: (a, k) => torch.logSoftmax(T(a[0]), N(a[1]), { dtype: k.dtype as DType }),
    ulp: 2,
    sumTol: 8,
    reason: `${ORDER}; ${LIBM}`,
  },
  "nn.functional.log_softmax": {
    run: (a, k) => torch.logSoftmax(T(a[0]), N(a[1] ?? k.dim), { dtype: k.dtype as DType }),
    ulp: 2,
    sumTol: 8,
    reason: ORDER,
  },
};

function varArgs(f: typeof torch.std, a: A, k: K): Tensor {
  let dim = (k.dim ?? null) as number | number[] | null;
  let unbiased = k.unbiased as boolean | undefined;
  if (typeof a[1] === "boolean") unbiased = a[1];
  else if (a.length > 1) dim = a[1] as never;
  if (typeof a[2] === "boolean") unbiased = a[2];
  const keepdim = Boolean(a[3] ?? k.keepdim);
  return f(T(a[0]), dim, { correction: k.correction as number | undefined, unbiased, keepdim });
}

const views: OpTable = {
  "Tensor.view": { run: (a) => T(a[0]).view(...(a.slice(1) as number[])) },
  reshape: { run: (a) => T(a[0]).reshape(a[1] as number[]) },
  permute: { run: (a) => T(a[0]).permute(a[1] as number[]) },
  transpose: { run: (a) => T(a[0]).transpose(N(a[1]), N(a[2])) },
  t: unary(torch.t),
  squeeze: { run: (a) => T(a[0]).squeeze(a[1] as number | undefined) },
  unsqueeze: { run: (a) => T(a[0]).unsqueeze(N(a[1])) },
  "Tensor.expand": { run: (a) => T(a[0]).expand(...(a.slice(1) as number[])), sumTol: 4, reason: BROADCAST },
  narrow: { run: (a) => T(a[0]).narrow(N(a[1]), N(a[2]), N(a[3])) },
  flatten: { run: (a) => T(a[0]).flatten(a[1] as number | undefined, a[2] as number | undefined) },
  unflatten: { run: (a) => T(a[0]).unflatten(N(a[1]), a[2] as number[]) },
  "Tensor.contiguous": unary((x) => x.contiguous()),
  clone: unary(torch.clone),
  chunk: { run: (a) => T(a[0]).chunk(N(a[1]), a[2] as number | undefined) },
  split: { run: (a) => T(a[0]).split(a[1] as number, a[2] as number | undefined) },
  unbind: { run: (a) => T(a[0]).unbind(a[1] as number | undefined) },
};

const linalg: OpTable = {
  mm: { run: (a) => torch.mm(T(a[0]), T(a[1])), ulp: 2, sumTol: 8, reason: ORDER },
  bmm: { run: (a) => torch.bmm(T(a[0]), T(a[1])), ulp: 2, sumTol: 8, reason: ORDER },
  matmul: { run: (a) => torch.matmul(T(a[0]), T(a[1])), ulp: 2, sumTol: 8, reason: ORDER },
  mv: { run: (a) => torch.mv(T(a[0]), T(a[1])), ulp: 2, sumTol: 8, reason: ORDER },
  dot: { run: (a) => torch.dot(T(a[0]), T(a[1])), ulp: 2, sumTol: 8, reason: ORDER },
  outer: { run: (a) => torch.outer(T(a[0]), T(a[1])), sumTol: 4, reason: BROADCAST },
  trace: {
    run: (a) => torch.trace(T(a[0])),
    known: {
      "trace/tall/0":
        "PyTorch 1.13's trace backward fills every (cols+1)-th element, which for a tall matrix also hits (4, 0); lockstep gives the correct gradient (zero off the diagonal)",
    },
  },
  "linalg.matrix_power": {
    run: (a) => torch.matrixPower(T(a[0]), N(a[1])),
    ulp: 2,
    sumTol: 8,
    reason: ORDER,
  },
  cat: { run: (a) => torch.cat(a[0] as Tensor[], a[1] as number | undefined) },
  stack: { run: (a) => torch.stack(a[0] as Tensor[], a[1] as number | undefined) },
  "Tensor.repeat": { run: (a) => T(a[0]).repeat(...(a.slice(1) as number[])), sumTol: 4, reason: BROADCAST },
  flip: { run: (a) => torch.flip(T(a[0]), a[1] as number[]) },
  roll: { run: (a) => torch.roll(T(a[0]), a[1] as number, a[2] as number | undefined) },
  tril: { run: (a) => torch.tril(T(a[0]), a[1] as number | undefined) },
  triu: { run: (a) => torch.triu(T(a[0]), a[1] as number | undefined) },
  diag: { run: (a) => torch.diag(T(a[0]), a[1] as number | undefined) },
  diag_embed: { run: (a) => torch.diagEmbed(T(a[0]), ...(a.slice(1) as number[])) },
};

export const TABLE: OpTable = { ...creation, ...elementwise, ...reductions, ...views, ...linalg };
