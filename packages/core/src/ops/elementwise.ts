// Elementwise ops: each declared once as an IR expression plus its gradient (written with ops).
import { attachGrad, needsGrad } from "../autograd/graph.js";
import { type DType, defaultFloat, isFloating, resultType, scalarDtype } from "../dtype.js";
import { AutogradError, DTypeError, fmtShape, ValueError } from "../errors.js";
import { type BinaryOp, bin, cast, type Exp, fma, konst, select, type UnaryOp, un } from "../ir.js";
import { Tensor } from "../tensor.js";
import { elementwise, empty, opmath, promotionOf, resultDtype, type Scalar, type TensorOrScalar } from "./core.js";
import { sumToShape } from "./reduce.js";

const c = (v: number, like: Exp): Exp => konst(v, like.dtype);
const pascal = (s: string): string => s.replace(/(^|_)([a-z0-9])/g, (_m, _u, ch: string) => ch.toUpperCase());

// ---------------------------------------------------------------- unary

interface UnarySpec {
  /** "float": integer inputs become the default float dtype; "same": keep dtype; "bool": result is bool. */
  kind: "float" | "same" | "bool";
  ir: (x: Exp) => Exp;
  /** Gradient given the output grad, the input and the output. */
  grad?: (g: Tensor, x: Tensor, y: Tensor) => Tensor;
  /** Which of input/output the gradient needs (saved for backward). */
  save?: "x" | "y" | "xy";
  node?: string;
}

function unary(name: string, spec: UnarySpec): (x: Tensor) => Tensor {
  const node = spec.node ?? `${pascal(name)}Backward0`;
  return (x: Tensor): Tensor => {
    if (!(x instanceof Tensor)) throw new DTypeError(name, `expected a Tensor, got ${typeof x}`);
    if (spec.kind === "bool" && x.dtype === "bool" && name !== "logical_not" && name !== "logicalNot") {
      // isnan/isinf of bool: all false, handled by the IR rendering.
    }
    const outD = spec.kind === "bool" ? "bool" : spec.kind === "float" && !isFloating(x.dtype) ? defaultFloat : x.dtype;
    const cd = spec.kind === "bool" ? x.dtype : opmath(outD);
    const y = elementwise(name, [x], outD, cd, ([v]) => spec.ir(v as Exp));
    const grad = spec.grad;
    if (grad && isFloating(outD)) {
      const save = spec.save ?? "x";
      const saved = save === "x" ? [x] : save === "y" ? [y] : [x, y];
      attachGrad(node, [x], [y], saved, ([g], s) => {
        const sx = save === "y" ? (null as unknown as Tensor) : (s[0] as Tensor);
        const sy = save === "x" ? (null as unknown as Tensor) : (s[save === "y" ? 0 : 1] as Tensor);
        return [grad(g as Tensor, sx, sy)];
      });
    }
    return y;
  };
}

const u = (op: UnaryOp) => (x: Exp) => un(op, x);
/** The gradient of piecewise-constant ops: zeros (never -0, which g * 0 would give). */
const zeroGrad = (g: Tensor): Tensor => elementwise("zeros_like", [g], g.dtype, g.dtype, ([v]) => konst(0, (v as Exp).dtype));

const negate = unary("neg", { kind: "same", ir: u("neg"), grad: (g) => mul(g, -1) });
export function neg(x: Tensor): Tensor {
  if (x instanceof Tensor && x.dtype === "bool")
    throw new DTypeError(
      "neg",
      "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use logicalNot() instead.",
    );
  return negate(x);
}
export const abs = unary("abs", { kind: "same", ir: u("abs"), grad: (g, x) => mul(g, sign(x)) });
export const sign = unary("sign", { kind: "same", ir: u("sign"), grad: zeroGrad });
export const floor = unary("floor", { kind: "same", ir: u("floor"), grad: zeroGrad });
export const ceil = unary("ceil", { kind: "same", ir: u("ceil"), grad: zeroGrad });
export const trunc = unary("trunc", { kind: "same", ir: u("trunc"), grad: zeroGrad });
const roundHalfEven = unary("round", { kind: "same", ir: u("round"), grad: zeroGrad });
/** round(x, { decimals }): PyTorch scales by 10^|decimals| in the tensor's dtype, rounds half to even, scales back. */
export function round(x: Tensor, opts: { decimals?: number } = {}): Tensor {
  const decimals = opts.decimals ?? 0;
  if (decimals === 0) return roundHalfEven(x);
  if (!isFloating(x.dtype))
    throw new DTypeError("round", `decimals is only supported for floating point tensors, got ${x.dtype}`);
  const scale = 10 ** Math.abs(decimals);
  const y = elementwise("round", [x], x.dtype, opmath(x.dtype), ([v]) => {
    const e = v as Exp;
    const p = konst(x.dtype === "float64" ? scale : Math.fround(scale), e.dtype);
    return decimals < 0 ? bin("mul", un("round", bin("div", e, p)), p) : bin("div", un("round", bin("mul", e, p)), p);
  });
  attachGrad("RoundBackward1", [x], [y], [], ([g]) => [zeroGrad(g as Tensor)]);
  return y;
}
export const sqrt = unary("sqrt", { kind: "float", ir: u("sqrt"), save: "y", grad: (g, _x, y) => div(g, mul(y, 2)) });
export const rsqrt = unary("rsqrt", {
  kind: "float",
  ir: (x) => bin("div", c(1, x), un("sqrt", x)),
  save: "y",
  grad: (g, _x, y) => mul(mul(y, y).mul(y), g).mul(-0.5),
});
export const exp = unary("exp", { kind: "float", ir: u("exp"), save: "y", grad: (g, _x, y) => mul(g, y) });
export const expm1 = unary("expm1", { kind: "float", ir: u("expm1"), save: "y", grad: (g, _x, y) => mul(g, add(y, 1)) });
export const log = unary("log", { kind: "float", ir: u("log"), grad: (g, x) => div(g, x) });
export const log1p = unary("log1p", { kind: "float", ir: u("log1p"), grad: (g, x) => div(g, add(x, 1)) });
export const log2 = unary("log2", { kind: "float", ir: u("log2"), grad: (g, x) => div(g, mul(x, Math.LN2)) });
export const sin = unary("sin", { kind: "float", ir: u("sin"), grad: (g, x) => mul(g, cos(x)) });
export const cos = unary("cos", { kind: "float", ir: u("cos"), grad: (g, x) => mul(g, neg(sin(x))) });
export const tan = unary("tan", {
  kind: "float",
  ir: u("tan"),
  save: "y",
  grad: (g, _x, y) => mul(g, add(mul(y, y), 1)),
});
export const tanh = unary("tanh", {
  kind: "float",
  ir: u("tanh"),
  save: "y",
  // PyTorch's vectorised tanh_backward: g * (1 - y*y), with 1 - y*y contracted to fma(-y, y, 1).
  grad: (g, _x, y) => mul(g, fusedMulAdd(neg(y), y, 1)),
});
export const sigmoid = unary("sigmoid", {
  kind: "float",
  ir: (x) => bin("div", c(1, x), bin("add", c(1, x), un("exp", un("neg", x)))),
  save: "y",
  grad: (g, _x, y) => mul(mul(g, rsub(y, 1)), y),
});
export const erf = unary("erf", {
  kind: "float",
  ir: u("erf"),
  grad: (g, x) => mul(g, exp(neg(mul(x, x))).mul(2 / Math.sqrt(Math.PI))),
});
export const relu = unary("relu", {
  kind: "same",
  // x < 0 ? 0 : x keeps relu(-0) = -0 and relu(NaN) = NaN, as PyTorch.
  ir: (x) => select(bin("lt", x, c(0, x)), c(0, x), x),
  save: "y",
  grad: (g, _x, y) => where(le(y, 0), 0, g),
});
export const silu = unary("silu", {
  kind: "float",
  ir: (x) => bin("div", x, bin("add", c(1, x), un("exp", un("neg", x)))),
  grad: (g, x) => {
    // PyTorch: g * s * (1 + x * (1 - s)), the inner multiply-add contracted to an fma.
    const s = sigmoid(x);
    return mul(mul(g, s), fusedMulAdd(x, rsub(s, 1), 1));
  },
});
export const isnan = unary("isnan", { kind: "bool", ir: u("isnan") });
export const isinf = unary("isinf", { kind: "bool", ir: u("isinf") });
export const isfinite = unary("isfinite", { kind: "bool", ir: u("isfinite") });
export const logicalNot = unary("logical_not", { kind: "bool", ir: (x) => un("not", x) });
export const reciprocal = unary("reciprocal", {
  kind: "float",
  ir: (x) => bin("div", c(1, x), x),
  save: "y",
  grad: (g, _x, y) => mul(g, neg(mul(y, y))),
});
export const square = (x: Tensor): Tensor => mul(x, x);

export function softplus(x: Tensor, opts: { beta?: number; threshold?: number } = {}): Tensor {
  const beta = opts.beta ?? 1;
  const threshold = opts.threshold ?? 20;
  if (!isFloating(x.dtype)) throw new DTypeError("softplus", `expected a floating point tensor, got ${x.dtype}`);
  const y = elementwise("softplus", [x], x.dtype, opmath(x.dtype), ([v]) => {
    const e = v as Exp;
    const bx = bin("mul", e, c(beta, e));
    return select(bin("gt", bx, c(threshold, e)), e, bin("div", un("log1p", un("exp", bx)), c(beta, e)));
  });
  attachGrad("SoftplusBackward0", [x], [y], [x], ([g], [sx]) => {
    const bx = mul(sx as Tensor, beta);
    const z = exp(bx);
    return [where(gt(bx, threshold), g as Tensor, mul(g as Tensor, div(z, add(z, 1))))];
  });
  return y;
}

// ---------------------------------------------------------------- binary

type BinaryBuild = (a: Exp, b: Exp, common: DType) => Exp;
/** Arithmetic PyTorch defines on two bools (as logical or/and). */
const BOOL_ARITHMETIC = new Set(["add", "add_", "mul", "mul_", "maximum", "minimum", "copy_"]);

/** Validate an in-place result dtype: PyTorch refuses e.g. float results into an int tensor. */
function checkInPlace(op: string, self: Tensor, result: DType): void {
  const ok =
    result === self.dtype ||
    isFloating(self.dtype) ||
    (self.dtype !== "bool" && !isFloating(result)) ||
    (self.dtype === "bool" && result === "bool");
  if (!ok) throw new DTypeError(op, `result type ${result} can't be cast to the desired output type ${self.dtype}`);
}

function asTensorOperand(op: string, x: unknown, name: string): TensorOrScalar {
  if (x instanceof Tensor || typeof x === "number" || typeof x === "boolean") return x;
  throw new DTypeError(op, `argument '${name}' must be a Tensor or a number, got ${x === null ? "null" : typeof x}`);
}

/** Run a binary kernel with PyTorch promotion, optionally in place into `out`. */
function binaryKernel(
  op: string,
  a: TensorOrScalar,
  b: TensorOrScalar,
  build: BinaryBuild,
  resultKind: "promote" | "float" | "bool",
  out?: Tensor,
): Tensor {
  a = asTensorOperand(op, a, "input");
  b = asTensorOperand(op, b, "other");
  let common = resultDtype([a, b]);
  if (resultKind === "float" && !isFloating(common)) common = defaultFloat;
  if (common === "bool" && resultKind === "promote" && !BOOL_ARITHMETIC.has(op))
    throw new DTypeError(op, `"${op}" is not implemented for 'Bool' tensors (convert them with .to("int64") or .float())`);
  const outD: DType = resultKind === "bool" ? "bool" : out ? out.dtype : common;
  const cd = resultKind === "bool" ? common : opmath(common);
  if (out) checkInPlace(op, out, common);
  return elementwise(op, [a, b], outD, cd, ([x, y]) => build(x as Exp, y as Exp, common), out, common);
}

const isT = (x: unknown): x is Tensor => x instanceof Tensor;
const tensorsOf = (...xs: unknown[]): Tensor[] => xs.filter(isT);

/** Apply an op in place with autograd: compute out of place on a clone, then write back and take the graph. */
function inPlace(op: string, self: Tensor, compute: (s: Tensor) => Tensor, others: unknown[]): Tensor {
  self._check(op);
  if (needsGrad([self, ...tensorsOf(...others)])) {
    if (self.isLeaf && self.requiresGrad)
      throw new AutogradError(
        op,
        "a leaf Variable that requires grad is being used in an in-place operation (wrap it in torch.noGrad)",
      );
    if (self._base?.requiresGrad)
      throw new AutogradError(
        op,
        "in-place modification of a view of a tensor that requires grad is not supported yet; use an out-of-place op",
      );
    const r = compute(clone(self));
    copyInto(self, r);
    self.requiresGrad = r.requiresGrad;
    self.gradFn = r.gradFn;
    self._outIndex = r._outIndex;
    return self;
  }
  return compute(self);
}

/** Write `src` (broadcast) into `dst` in place, casting to dst's dtype (no autograd). */
export function copyInto(dst: Tensor, src: TensorOrScalar): Tensor {
  const s = src instanceof Tensor && src._storage === dst._storage ? clone(src) : src;
  elementwise("copy_", [s], dst.dtype, s instanceof Tensor ? s.dtype : dst.dtype, ([v]) => v as Exp, dst);
  return dst;
}

/** Copy `src` into `dst` (broadcast, cast), with autograd, as PyTorch's Tensor.copy_. */
export function copy_(dst: Tensor, src: TensorOrScalar): Tensor {
  return inPlace("copy_", dst, (d) => (d === dst ? copyInto(dst, src) : copied(d, src)), [src]);
}

/** The out-of-place value of d.copy_(src): src broadcast to d's shape in d's dtype. */
function copied(d: Tensor, src: TensorOrScalar): Tensor {
  const y = elementwise(
    "copy_",
    [src],
    d.dtype,
    src instanceof Tensor ? src.dtype : d.dtype,
    ([v]) => v as Exp,
    empty(d.shape, d.dtype, d.device),
  );
  attachGrad("CopyBackwards", [d, ...tensorsOf(src)], [y], [], ([g]) => [
    zeroGrad(g as Tensor),
    ...(src instanceof Tensor ? [sumToShape(g as Tensor, src.shape).to(src.dtype)] : []),
  ]);
  return y;
}

function withAlpha(op: "add" | "sub", alpha: number): BinaryBuild {
  return (x, y, common) => {
    if (alpha === 1) return bin(op, x, y);
    // alpha is first converted to the operands' dtype (alpha.to<scalar_t>()), then to opmath.
    const al = cast(konst(op === "sub" ? -alpha : alpha, common), x.dtype);
    // float16 has no vectorised CPU kernel: c10::Half rounds the product to half before the add.
    if (common === "float16") return bin("add", x, cast(cast(bin("mul", y, al), "float16"), x.dtype));
    // PyTorch's x86 build computes add(a, b, alpha) as fma(b, alpha, a) for floating types.
    if (x.dtype === "float32" || x.dtype === "float64") return fma(y, al, x);
    return bin("add", x, bin("mul", y, al));
  };
}

function checkAlpha(op: string, a: TensorOrScalar, b: TensorOrScalar, alpha: number): void {
  const d = resultType([promotionOf(a), promotionOf(b)]);
  if (!isFloating(d) && !Number.isInteger(alpha))
    throw new DTypeError(op, `for integral input tensors, argument alpha must not be a floating point number (got ${alpha})`);
  if (d === "bool" && op === "sub")
    throw new DTypeError(
      op,
      "subtraction, the `-` operator, with two bool tensors is not supported; use logicalXor or bitwise ops",
    );
}

export function add(input: TensorOrScalar, other: TensorOrScalar, opts: { alpha?: number } = {}): Tensor {
  const alpha = opts.alpha ?? 1;
  checkAlpha("add", input, other, alpha);
  const y = binaryKernel("add", input, other, withAlpha("add", alpha), "promote");
  attachGrad("AddBackward0", tensorsOf(input, other), [y], [], ([g]) =>
    gradsFor2(
      input,
      other,
      g as Tensor,
      (gg) => gg,
      (gg) => (alpha === 1 ? gg : mul(gg, alpha)),
    ),
  );
  return y;
}
export function sub(input: TensorOrScalar, other: TensorOrScalar, opts: { alpha?: number } = {}): Tensor {
  const alpha = opts.alpha ?? 1;
  checkAlpha("sub", input, other, alpha);
  const y = binaryKernel("sub", input, other, withAlpha("sub", alpha), "promote");
  attachGrad("SubBackward0", tensorsOf(input, other), [y], [], ([g]) =>
    gradsFor2(
      input,
      other,
      g as Tensor,
      (gg) => gg,
      (gg) => mul(gg, -alpha),
    ),
  );
  return y;
}
/** other - input (PyTorch's rsub), used by gradients. */
export const rsub = (input: TensorOrScalar, other: TensorOrScalar): Tensor => sub(other, input);

/**
 * Declare a binary op once: its IR, its result-dtype rule, and its gradient as a pair of functions
 * of the upstream grad and the saved operands (tensor or scalar). Returns `op(input, other)`.
 */
function binaryOp(
  name: string,
  spec: {
    node: string;
    kind?: "promote" | "float";
    ir: (a: Exp, b: Exp) => Exp;
    check?: (a: TensorOrScalar, b: TensorOrScalar) => void;
    gradA: (g: Tensor, a: TensorOrScalar, b: TensorOrScalar) => Tensor;
    gradB: (g: Tensor, a: TensorOrScalar, b: TensorOrScalar) => Tensor;
  },
): (input: TensorOrScalar, other: TensorOrScalar) => Tensor {
  return (input, other) => {
    spec.check?.(input, other);
    const y = binaryKernel(name, input, other, spec.ir, spec.kind ?? "promote");
    attachGrad(spec.node, tensorsOf(input, other), [y], tensorsOf(input, other), ([g], saved) => {
      const [sa, sb] = unpack2(input, other, saved);
      return gradsFor2(
        input,
        other,
        g as Tensor,
        (gg) => spec.gradA(gg, sa, sb),
        (gg) => spec.gradB(gg, sa, sb),
      );
    });
    return y;
  };
}

export const mul = binaryOp("mul", {
  node: "MulBackward0",
  ir: (x, z) => bin("mul", x, z),
  gradA: (g, _a, b) => mul(g, b),
  gradB: (g, a) => mul(g, a),
});

export function div(
  input: TensorOrScalar,
  other: TensorOrScalar,
  opts: { roundingMode?: "trunc" | "floor" | null } = {},
): Tensor {
  const mode = opts.roundingMode ?? null;
  if (mode !== null && mode !== "trunc" && mode !== "floor")
    throw new ValueError("div", `rounding_mode must be null, 'trunc' or 'floor', got '${String(mode)}'`);
  if (mode === null) {
    const y = binaryKernel("div", input, divisorAsF32(input, other), (x, z) => bin("div", x, z), "float");
    attachGrad("DivBackward0", tensorsOf(input, other), [y], tensorsOf(input, other), ([g], saved) => {
      const [sa, sb] = unpack2(input, other, saved);
      return gradsFor2(
        input,
        other,
        g as Tensor,
        (gg) => div(gg, sb),
        // PyTorch: -grad * ((self / other) / other)
        (gg) => mul(neg(gg), div(div(sa, sb), sb)),
      );
    });
    return y;
  }
  checkIntZeroDivision("div", input, other);
  const y = binaryKernel(
    "div",
    input,
    other,
    (x, z) =>
      mode === "trunc" ? (isFloating(x.dtype) ? un("trunc", bin("div", x, z)) : bin("div", x, z)) : bin("floordiv", x, z),
    "promote",
  );
  attachGrad("DivBackward1", tensorsOf(input, other), [y], [], ([g]) => gradsFor2(input, other, g as Tensor, zeroGrad, zeroGrad));
  return y;
}
export const floorDivide = (a: TensorOrScalar, b: TensorOrScalar): Tensor => div(a, b, { roundingMode: "floor" });
export const trueDivide = (a: TensorOrScalar, b: TensorOrScalar): Tensor => div(a, b);

/** PyTorch divides a float tensor by a Python float through that float's float32 value. */
function divisorAsF32(input: TensorOrScalar, other: TensorOrScalar): TensorOrScalar {
  return typeof other === "number" && input instanceof Tensor && input.dtype === "float32" ? Math.fround(other) : other;
}

/** Whether an integer tensor holds a negative value (checked where values can be read at once). */
function hasNegative(t: Tensor): boolean {
  if (t._storage.backend.readSync === undefined || t.dtype === "bool" || t.dtype === "uint8") return false;
  return Array.from(t.dataSync() as ArrayLike<number | bigint>).some((v) => v < 0);
}

function checkIntZeroDivision(op: string, a: TensorOrScalar, b: TensorOrScalar): void {
  const d = resultDtype([a, b]);
  if (isFloating(d)) return;
  // Only checkable where values can be read at once (the reference); GPU backends follow C semantics.
  const zero =
    b instanceof Tensor
      ? b._storage.backend.readSync !== undefined &&
        Array.from(b.dataSync() as ArrayLike<number | bigint>).some((v) => Number(v) === 0)
      : Number(b) === 0;
  if (zero) throw new ValueError(op, "ZeroDivisionError: integer division by zero");
}

export function pow(input: TensorOrScalar, exponent: TensorOrScalar): Tensor {
  if (!(input instanceof Tensor) && !(exponent instanceof Tensor))
    throw new DTypeError("pow", "expected at least one Tensor argument");
  const scalarExp = typeof exponent === "number" ? exponent : null;
  const build: BinaryBuild = (x, e) => {
    if (scalarExp !== null && isFloating(x.dtype)) {
      // PyTorch's pow(tensor, scalar) specialisations.
      if (scalarExp === 2) return bin("mul", x, x);
      if (scalarExp === 3) return bin("mul", bin("mul", x, x), x);
      if (scalarExp === 0.5) return un("sqrt", x);
      if (scalarExp === -0.5) return bin("div", c(1, x), un("sqrt", x));
      if (scalarExp === -1) return bin("div", c(1, x), x);
      if (scalarExp === -2) return bin("div", c(1, x), bin("mul", x, x));
    }
    return bin("pow", x, e);
  };
  if (scalarExp !== null && input instanceof Tensor && !isFloating(input.dtype) && scalarExp < 0 && Number.isInteger(scalarExp))
    throw new ValueError("pow", "Integers to negative integer powers are not allowed.");
  if (exponent instanceof Tensor && !isFloating(resultDtype([input, exponent])) && hasNegative(exponent))
    throw new ValueError("pow", "Integers to negative integer powers are not allowed.");
  const y = binaryKernel("pow", input, exponent, build, "promote");
  attachGrad(
    exponent instanceof Tensor ? (input instanceof Tensor ? "PowBackward1" : "PowBackward2") : "PowBackward0",
    tensorsOf(input, exponent),
    [y],
    [...tensorsOf(input, exponent), y],
    ([g], saved) => {
      const [sa, sb] = unpack2(input, exponent, saved);
      const sy = saved[saved.length - 1] as Tensor;
      return gradsFor2(
        input,
        exponent,
        g as Tensor,
        (gg) => {
          if (typeof sb === "number" && sb === 0) return mul(gg, 0);
          const d = mul(pow(sa, sub(sb, 1)), sb);
          return mul(gg, sb instanceof Tensor ? where(eq(sb, 0), 0, d) : d);
        },
        (gg) => {
          const l = mul(sy, sa instanceof Tensor ? log(sa) : Math.log(Number(sa)));
          const safe = where(logicalAnd(eq(sa, 0), ge(sb, 0)), 0, l);
          return mul(gg, safe);
        },
      );
    },
  );
  return y;
}

function minmax(op: "maximum" | "minimum", input: Tensor, other: Tensor): Tensor {
  const y = binaryKernel(op, input, other, (x, z) => bin(op, x, z), "promote");
  attachGrad(op === "maximum" ? "MaximumBackward0" : "MinimumBackward0", [input, other], [y], [input, other], ([g], [a, b]) => {
    // PyTorch: where(a == b, g / 2, g).masked_fill_(a < b, 0) for maximum (mirrored for minimum);
    // with a NaN operand both sides get the full gradient.
    const gg = g as Tensor;
    const A = a as Tensor;
    const B = b as Tensor;
    const shared = where(eq(A, B), div(gg, 2), gg);
    const ga = where(op === "maximum" ? lt(A, B) : gt(A, B), 0, shared);
    const gb = where(op === "maximum" ? gt(A, B) : lt(A, B), 0, shared);
    return [sumToShape(ga, input.shape).to(input.dtype), sumToShape(gb, other.shape).to(other.dtype)];
  });
  return y;
}
export const maximum = (a: Tensor, b: Tensor): Tensor => minmax("maximum", a, b);
export const minimum = (a: Tensor, b: Tensor): Tensor => minmax("minimum", a, b);

export const fmod = binaryOp("fmod", {
  node: "FmodBackward0",
  ir: (x, z) => bin("fmod", x, z),
  check: (a, b) => checkIntZeroDivision("fmod", a, b),
  gradA: (g) => g,
  gradB: (g, a, b) => mul(neg(g), div(a, b, { roundingMode: "trunc" })),
});
export const remainder = binaryOp("remainder", {
  node: "RemainderBackward0",
  ir: (x, z) => bin("remainder", x, z),
  check: (a, b) => checkIntZeroDivision("remainder", a, b),
  gradA: (g) => g,
  gradB: (g, a, b) => mul(neg(g), div(a, b, { roundingMode: "floor" })),
});
export const atan2 = binaryOp("atan2", {
  node: "Atan2Backward0",
  kind: "float",
  ir: (x, z) => bin("atan2", x, z),
  gradA: (g, a, b) => mul(g, div(b, add(mul(a, a), mul(b, b)))),
  gradB: (g, a, b) => mul(g, div(neg(a as Tensor), add(mul(a, a), mul(b, b)))),
});

const compare =
  (op: BinaryOp & ("eq" | "ne" | "lt" | "le" | "gt" | "ge")) =>
  (input: TensorOrScalar, other: TensorOrScalar): Tensor =>
    binaryKernel(op, input, other, (x, z) => bin(op as "eq", x, z), "bool");
export const eq = compare("eq");
export const ne = compare("ne");
export const lt = compare("lt");
export const le = compare("le");
export const gt = compare("gt");
export const ge = compare("ge");
export const greater = gt;
export const less = lt;

const logical =
  (op: "and" | "or" | "xor") =>
  (input: TensorOrScalar, other: TensorOrScalar): Tensor => {
    const toBool = (x: Exp): Exp => cast(x, "bool");
    return elementwise(`logical_${op}`, [input, other], "bool", [opOf(input), opOf(other)], ([x, z]) =>
      bin(op, toBool(x as Exp), toBool(z as Exp)),
    );
  };
const opOf = (x: TensorOrScalar): DType => (x instanceof Tensor ? x.dtype : scalarDtype(x));
export const logicalAnd = logical("and");
export const logicalOr = logical("or");
export const logicalXor = logical("xor");

// ---------------------------------------------------------------- ternary and friends

export function where(condition: Tensor, input: TensorOrScalar, other: TensorOrScalar): Tensor {
  if (!(condition instanceof Tensor) || (condition.dtype !== "bool" && condition.dtype !== "uint8"))
    throw new DTypeError(
      "where",
      `condition must be a bool tensor, got ${condition instanceof Tensor ? condition.dtype : typeof condition}`,
    );
  const d = resultDtype([input, other]);
  const y = elementwise("where", [condition, input, other], d, ["bool", d, d], ([cnd, x, z]) =>
    select(cnd as Exp, x as Exp, z as Exp),
  );
  attachGrad("WhereBackward0", [condition, ...tensorsOf(input, other)], [y], [condition], ([g], [cnd]) => {
    const gg = g as Tensor;
    const out: (Tensor | null)[] = [null];
    if (input instanceof Tensor) out.push(sumToShape(where(cnd as Tensor, gg, 0), input.shape).to(input.dtype));
    if (other instanceof Tensor) out.push(sumToShape(where(cnd as Tensor, 0, gg), other.shape).to(other.dtype));
    return out;
  });
  return y;
}

export function clamp(input: Tensor, min?: TensorOrScalar | null, max?: TensorOrScalar | null): Tensor {
  if ((min === undefined || min === null) && (max === undefined || max === null))
    throw new ValueError("clamp", "at least one of 'min' or 'max' must not be None");
  const operands: TensorOrScalar[] = [input];
  if (min !== undefined && min !== null) operands.push(min);
  if (max !== undefined && max !== null) operands.push(max);
  const d = resultDtype(operands);
  const cd = opmath(d);
  const hasMin = min !== undefined && min !== null;
  const hasMax = max !== undefined && max !== null;
  const y = elementwise("clamp", operands, d, cd, (v) => {
    let r = v[0] as Exp;
    let k = 1;
    // PyTorch: min(max(x, lo), hi), NaN-propagating.
    if (hasMin) r = bin("maximum", r, v[k++] as Exp);
    if (hasMax) r = bin("minimum", r, v[k++] as Exp);
    return r;
  });
  attachGrad("ClampBackward1", tensorsOf(...operands), [y], tensorsOf(...operands), ([g], saved) => {
    const x = saved[0] as Tensor;
    let k = 1;
    const lo = hasMin ? (min instanceof Tensor ? saved[k++] : min) : null;
    const hi = hasMax ? (max instanceof Tensor ? saved[k++] : max) : null;
    let mask: Tensor | null = null;
    if (lo !== null && lo !== undefined) mask = ge(x, lo as TensorOrScalar);
    if (hi !== null && hi !== undefined)
      mask = mask ? logicalAnd(mask, le(x, hi as TensorOrScalar)) : le(x, hi as TensorOrScalar);
    const gg = g as Tensor;
    const res: (Tensor | null)[] = [where(mask as Tensor, gg, 0)];
    if (min instanceof Tensor) res.push(sumToShape(where(lt(x, min), gg, 0), min.shape));
    if (max instanceof Tensor) res.push(sumToShape(where(gt(x, max), gg, 0), max.shape));
    return res;
  });
  return y;
}
export const clip = clamp;
export const clampMin = (x: Tensor, min: TensorOrScalar): Tensor => clamp(x, min, null);
export const clampMax = (x: Tensor, max: TensorOrScalar): Tensor => clamp(x, null, max);

export function lerp(input: Tensor, end: Tensor, weight: TensorOrScalar): Tensor {
  const d = resultDtype([input, end]);
  if (!isFloating(d)) throw new DTypeError("lerp", `expected floating point tensors, got ${input.dtype} and ${end.dtype}`);
  const cd = opmath(d);
  const y = elementwise("lerp", [input, end, weight], d, cd, ([a, b, w]) => {
    const A = a as Exp;
    const B = b as Exp;
    const W = w as Exp;
    const diff = bin("sub", B, A);
    // PyTorch's lerp_vec: small = |w| < 0.5; fma(small ? w : w - 1, b - a, small ? a : b).
    const small = bin("lt", un("abs", W), c(0.5, A));
    const coeff = select(small, W, bin("sub", W, c(1, A)));
    const base = select(small, A, B);
    return A.dtype === "float32" || A.dtype === "float64" ? fma(coeff, diff, base) : bin("add", bin("mul", coeff, diff), base);
  });
  attachGrad("LerpBackward0", tensorsOf(input, end, weight), [y], tensorsOf(input, end, weight), ([g], saved) => {
    const gg = g as Tensor;
    const a = saved[0] as Tensor;
    const b = saved[1] as Tensor;
    const w = weight instanceof Tensor ? (saved[2] as Tensor) : weight;
    const oneMinusW = typeof w === "number" ? 1 - w : rsub(w, 1);
    const res: (Tensor | null)[] = [sumToShape(mul(gg, oneMinusW), input.shape), sumToShape(mul(gg, w), end.shape)];
    if (weight instanceof Tensor) res.push(sumToShape(mul(gg, sub(b, a)), weight.shape));
    return res;
  });
  return y;
}

export function maskedFill(input: Tensor, mask: Tensor, value: TensorOrScalar): Tensor {
  if (mask.dtype !== "bool") throw new DTypeError("masked_fill", `expected a bool mask, got ${mask.dtype}`);
  if (value instanceof Tensor && value.ndim !== 0)
    throw new ValueError(
      "masked_fill",
      `only supports a 0-dimensional value tensor, but got tensor with ${value.ndim} dimension(s)`,
    );
  const y = elementwise(
    "masked_fill",
    [mask, value, input],
    input.dtype,
    ["bool", opmath(input.dtype), opmath(input.dtype)],
    ([m, v, x]) => select(m as Exp, v as Exp, x as Exp),
  );
  if (y.shape.length !== input.shape.length || y.shape.some((d, i) => d !== input.shape[i]))
    throw new ValueError(
      "masked_fill",
      `mask of shape ${fmtShape(mask.shape)} must broadcast to input of shape ${fmtShape(input.shape)}`,
    );
  attachGrad("MaskedFillBackward0", tensorsOf(input, value), [y], [mask], ([g], [m]) => {
    const gg = g as Tensor;
    const res: Tensor[] = [where(m as Tensor, 0, gg)];
    if (value instanceof Tensor) res.push(sumToShape(where(m as Tensor, gg, 0), []).reshape([]));
    return res;
  });
  return y;
}

export function nanToNum(input: Tensor, nan = 0, posinf?: number | null, neginf?: number | null): Tensor {
  const fmax =
    input.dtype === "float64"
      ? Number.MAX_VALUE
      : input.dtype === "float16"
        ? 65504
        : input.dtype === "bfloat16"
          ? 3.3895313892515355e38
          : 3.4028234663852886e38;
  const pi = posinf ?? fmax;
  const ni = neginf ?? -fmax;
  if (!isFloating(input.dtype)) return clone(input);
  const y = elementwise("nan_to_num", [input], input.dtype, opmath(input.dtype), ([v]) => {
    const x = v as Exp;
    return select(
      un("isnan", x),
      c(nan, x),
      select(
        bin("eq", x, c(Number.POSITIVE_INFINITY, x)),
        c(pi, x),
        select(bin("eq", x, c(Number.NEGATIVE_INFINITY, x)), c(ni, x), x),
      ),
    );
  });
  attachGrad("NanToNumBackward0", [input], [y], [input], ([g], [x]) => [mul(g as Tensor, isfinite(x as Tensor))]);
  return y;
}

/**
 * a*b + c rounded once for float32/float64 (other dtypes: two roundings), for the places where
 * PyTorch's compiled kernels contract a multiply-add into an FMA.
 */
export function fusedMulAdd(a: TensorOrScalar, b: TensorOrScalar, c: TensorOrScalar): Tensor {
  const d = resultDtype([a, b, c]);
  const cd = opmath(d);
  const build = ([x, z, w]: Exp[]): Exp =>
    cd === "float32" || cd === "float64"
      ? fma(x as Exp, z as Exp, w as Exp)
      : bin("add", bin("mul", x as Exp, z as Exp), w as Exp);
  const y = elementwise("fma", [a, b, c], d, cd, build, undefined, d);
  attachGrad("FmaBackward0", tensorsOf(a, b, c), [y], tensorsOf(a, b), ([g], saved) => {
    const gg = g as Tensor;
    const [sa, sb] = unpack2(a, b, saved);
    const res: (Tensor | null)[] = [];
    if (a instanceof Tensor) res.push(sumToShape(mul(gg, sb), a.shape).to(a.dtype));
    if (b instanceof Tensor) res.push(sumToShape(mul(gg, sa), b.shape).to(b.dtype));
    if (c instanceof Tensor) res.push(sumToShape(gg, c.shape).to(c.dtype));
    return res;
  });
  return y;
}

export function clone(input: Tensor): Tensor {
  const y = elementwise("clone", [input], input.dtype, input.dtype, ([v]) => v as Exp);
  attachGrad("CloneBackward0", [input], [y], [], ([g]) => [g as Tensor]);
  return y;
}

// ---------------------------------------------------------------- in-place variants

const inPlaceBinary =
  (op: string, f: (a: Tensor, b: TensorOrScalar, opts?: never) => Tensor, build: (o: Record<string, unknown>) => BinaryBuild) =>
  (self: Tensor, other: TensorOrScalar, opts: Record<string, unknown> = {}): Tensor =>
    inPlace(
      op,
      self,
      (s) => (s === self ? binaryKernel(op, self, other, build(opts), "promote", self) : f(s, other, opts as never)),
      [other],
    );

export const add_ = inPlaceBinary("add_", add as never, (o) => withAlpha("add", (o.alpha as number) ?? 1));
export const sub_ = inPlaceBinary("sub_", sub as never, (o) => withAlpha("sub", (o.alpha as number) ?? 1));
export const mul_ = inPlaceBinary("mul_", mul as never, () => (x, z) => bin("mul", x, z));
export function div_(self: Tensor, other: TensorOrScalar, opts: { roundingMode?: "trunc" | "floor" | null } = {}): Tensor {
  return inPlace("div_", self, (s) => (s === self ? copyInto(self, div(self, other, opts)) : div(s, other, opts)), [other]);
}
export function pow_(self: Tensor, e: TensorOrScalar): Tensor {
  return inPlace("pow_", self, (s) => (s === self ? copyInto(self, pow(self, e)) : pow(s, e)), [e]);
}
export function clamp_(self: Tensor, min?: TensorOrScalar | null, max?: TensorOrScalar | null): Tensor {
  return inPlace("clamp_", self, (s) => (s === self ? copyInto(self, clamp(self, min, max)) : clamp(s, min, max)), [min, max]);
}
export function maskedFill_(self: Tensor, mask: Tensor, value: TensorOrScalar): Tensor {
  return inPlace(
    "masked_fill_",
    self,
    (s) => (s === self ? copyInto(self, maskedFill(self, mask, value)) : maskedFill(s, mask, value)),
    [value],
  );
}
export function fill_(self: Tensor, value: TensorOrScalar): Tensor {
  return inPlace("fill_", self, (s) => (s === self ? copyInto(self, value) : add(mul(s, 0), value)), [value]);
}
export const zero_ = (self: Tensor): Tensor => fill_(self, 0);
export function unaryInPlace(op: string, f: (x: Tensor) => Tensor): (self: Tensor) => Tensor {
  return (self) => inPlace(op, self, (s) => (s === self ? copyInto(self, f(self)) : f(s)), []);
}
export const neg_ = unaryInPlace("neg_", neg);
export const abs_ = unaryInPlace("abs_", abs);
export const exp_ = unaryInPlace("exp_", exp);
export const log_ = unaryInPlace("log_", log);
export const sqrt_ = unaryInPlace("sqrt_", sqrt);
export const relu_ = unaryInPlace("relu_", relu);
export const sigmoid_ = unaryInPlace("sigmoid_", sigmoid);
export const tanh_ = unaryInPlace("tanh_", tanh);
export const floor_ = unaryInPlace("floor_", floor);
export const round_ = unaryInPlace("round_", (x) => round(x));

// ---------------------------------------------------------------- helpers

function unpack2(a: TensorOrScalar, b: TensorOrScalar, saved: Tensor[]): [TensorOrScalar, TensorOrScalar] {
  let k = 0;
  const sa = a instanceof Tensor ? (saved[k++] as Tensor) : a;
  const sb = b instanceof Tensor ? (saved[k++] as Tensor) : b;
  return [sa, sb];
}

/** Input grads for a binary op: only tensor operands get one, reduced to their shapes. */
function gradsFor2(
  a: TensorOrScalar,
  b: TensorOrScalar,
  g: Tensor,
  ga: (g: Tensor) => Tensor,
  gb: (g: Tensor) => Tensor,
): (Tensor | null)[] {
  const out: (Tensor | null)[] = [];
  if (a instanceof Tensor) out.push(a.requiresGrad ? sumToShape(ga(g), a.shape).to(a.dtype) : null);
  if (b instanceof Tensor) out.push(b.requiresGrad ? sumToShape(gb(g), b.shape).to(b.dtype) : null);
  return out;
}

export type { Scalar };
