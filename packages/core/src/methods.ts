// Tensor methods: every op that PyTorch also offers as `x.op(...)` is listed here once and bound
// to Tensor.prototype; its type is derived from the function, so nothing is declared twice.
import * as autograd from "./autograd/api.js";
import type { DType } from "./dtype.js";
import * as convert from "./ops/convert.js";
import * as ew from "./ops/elementwise.js";
import * as idx from "./ops/indexing.js";
import * as linalg from "./ops/linalg.js";
import * as red from "./ops/reduce.js";
import * as sc from "./ops/shapecopy.js";
import * as views from "./ops/views.js";
// random sampling methods (src/random)
import * as rnd from "./random/sampling.js";
import { Tensor } from "./tensor.js";

const METHODS = {
  // elementwise
  add: ew.add,
  sub: ew.sub,
  subtract: ew.sub,
  mul: ew.mul,
  multiply: ew.mul,
  div: ew.div,
  divide: ew.div,
  trueDivide: ew.trueDivide,
  floorDivide: ew.floorDivide,
  pow: ew.pow,
  neg: ew.neg,
  negative: ew.neg,
  abs: ew.abs,
  sign: ew.sign,
  sqrt: ew.sqrt,
  rsqrt: ew.rsqrt,
  square: ew.square,
  reciprocal: ew.reciprocal,
  exp: ew.exp,
  expm1: ew.expm1,
  log: ew.log,
  log1p: ew.log1p,
  log2: ew.log2,
  sin: ew.sin,
  cos: ew.cos,
  tan: ew.tan,
  tanh: ew.tanh,
  sigmoid: ew.sigmoid,
  relu: ew.relu,
  erf: ew.erf,
  floor: ew.floor,
  ceil: ew.ceil,
  round: ew.round,
  trunc: ew.trunc,
  clamp: ew.clamp,
  clip: ew.clamp,
  clampMin: ew.clampMin,
  clampMax: ew.clampMax,
  maximum: ew.maximum,
  minimum: ew.minimum,
  fmod: ew.fmod,
  remainder: ew.remainder,
  atan2: ew.atan2,
  eq: ew.eq,
  ne: ew.ne,
  lt: ew.lt,
  le: ew.le,
  gt: ew.gt,
  ge: ew.ge,
  greater: ew.gt,
  less: ew.lt,
  logicalAnd: ew.logicalAnd,
  logicalOr: ew.logicalOr,
  logicalXor: ew.logicalXor,
  logicalNot: ew.logicalNot,
  isnan: ew.isnan,
  isinf: ew.isinf,
  isfinite: ew.isfinite,
  nanToNum: ew.nanToNum,
  where: (self: Tensor, condition: Tensor, other: Tensor | number | boolean): Tensor => ew.where(condition, self, other),
  maskedFill: ew.maskedFill,
  lerp: ew.lerp,
  clone: ew.clone,
  // in place
  add_: ew.add_,
  sub_: ew.sub_,
  mul_: ew.mul_,
  div_: ew.div_,
  pow_: ew.pow_,
  clamp_: ew.clamp_,
  maskedFill_: ew.maskedFill_,
  fill_: ew.fill_,
  zero_: ew.zero_,
  copy_: ew.copy_,
  neg_: ew.neg_,
  abs_: ew.abs_,
  exp_: ew.exp_,
  log_: ew.log_,
  sqrt_: ew.sqrt_,
  relu_: ew.relu_,
  sigmoid_: ew.sigmoid_,
  tanh_: ew.tanh_,
  floor_: ew.floor_,
  round_: ew.round_,
  // reductions
  sum: red.sum,
  mean: red.mean,
  prod: red.prod,
  amax: red.amax,
  amin: red.amin,
  argmax: red.argmax,
  argmin: red.argmin,
  var: red.var_,
  std: red.std,
  norm: red.norm,
  logsumexp: red.logsumexp,
  all: red.all,
  any: red.any,
  cumsum: red.cumsum,
  cumprod: red.cumprod,
  softmax: red.softmax,
  logSoftmax: red.logSoftmax,
  countNonzero: red.countNonzero,
  // linear algebra and copies
  mm: linalg.mm,
  bmm: linalg.bmm,
  matmul: linalg.matmul,
  mv: linalg.mv,
  dot: linalg.dot,
  inner: linalg.inner,
  outer: linalg.outer,
  ger: linalg.outer,
  trace: linalg.trace,
  matrixPower: linalg.matrixPower,
  repeat: sc.repeat,
  flip: sc.flip,
  fliplr: sc.fliplr,
  flipud: sc.flipud,
  roll: sc.roll,
  tril: sc.tril,
  triu: sc.triu,
  diag: sc.diag,
  diagEmbed: sc.diagEmbed,
  // views
  view: views.view,
  reshape: views.reshape,
  viewAs: (self: Tensor, other: Tensor): Tensor => views.view(self, [...other.shape]),
  reshapeAs: (self: Tensor, other: Tensor): Tensor => views.reshape(self, [...other.shape]),
  contiguous: views.contiguous,
  permute: views.permute,
  transpose: views.transpose,
  swapaxes: views.transpose,
  swapdims: views.transpose,
  t: views.t,
  squeeze: views.squeeze,
  unsqueeze: views.unsqueeze,
  expand: views.expand,
  expandAs: views.expandAs,
  broadcastTo: views.broadcastTo,
  narrow: views.narrow,
  select: views.select,
  slice: views.slice,
  asStrided: views.asStrided,
  flatten: views.flatten,
  unflatten: views.unflatten,
  split: views.split,
  chunk: views.chunk,
  unbind: views.unbind,
  movedim: views.movedim,
  diagonal: views.diagonal,
  // indexing
  index: idx.index,
  indexPut_: idx.indexPut_,
  indexPut: idx.indexPut,
  gather: idx.gather,
  scatter: idx.scatter,
  scatterAdd: idx.scatterAdd,
  indexSelect: idx.indexSelect,
  indexAdd: idx.indexAdd,
  nonzero: idx.nonzero,
  sort: idx.sort,
  argsort: idx.argsort,
  topk: idx.topk,
  // conversion and autograd
  to: convert.to,
  toAsync: convert.toAsync,
  float: convert.float,
  double: convert.double,
  half: convert.half,
  bfloat16: convert.bfloat16,
  int: convert.int,
  long: convert.long,
  bool: convert.bool,
  cpu: convert.cpu,
  detach: convert.detach,
  detach_: convert.detach_,
  requiresGrad_: convert.requiresGrad_,
  backward: autograd.backward,
  retainGrad: autograd.retainGrad,
  registerHook: autograd.registerHook,
  // ---- random sampling (src/random/sampling.ts): in-place draws and the sampling methods ----
  uniform_: rnd.uniform_,
  normal_: rnd.normal_,
  random_: rnd.random_,
  bernoulli_: rnd.bernoulli_,
  exponential_: rnd.exponential_,
  cauchy_: rnd.cauchy_,
  logNormal_: rnd.logNormal_,
  geometric_: rnd.geometric_,
  bernoulli: rnd.bernoulli,
  multinomial: rnd.multinomial,
  // ---- end random sampling ----
};

type Bound<F> = F extends (self: Tensor, ...args: infer A) => infer R ? (...args: A) => R : never;
type Overloaded = "max" | "min" | "type";
export type TensorMethods = { [K in Exclude<keyof typeof METHODS, Overloaded>]: Bound<(typeof METHODS)[K]> };

declare module "./tensor.js" {
  interface Tensor extends TensorMethods {
    max(): Tensor;
    max(dim: number, keepdim?: boolean): [Tensor, Tensor];
    max(other: Tensor): Tensor;
    min(): Tensor;
    min(dim: number, keepdim?: boolean): [Tensor, Tensor];
    min(other: Tensor): Tensor;
    type(): string;
    type(dtype: DType): Tensor;
  }
}

const proto = Tensor.prototype as unknown as Record<string, unknown>;
const all: Record<string, (self: Tensor, ...a: never[]) => unknown> = {
  ...METHODS,
  max: red.max,
  min: red.min,
  type: convert.type,
};
for (const [name, fn] of Object.entries(all)) {
  proto[name] = function (this: Tensor, ...args: never[]) {
    return fn(this, ...args);
  };
}
