// The pointwise ops PyTorch's optimizers use that core does not have yet (`addcmul_`, `addcdiv_`),
// written as IR kernels with PyTorch 1.13's x86 numerics (measured against Debian's build):
//   addcmul(self, t1, t2, value) = fma(value·t1, t2, self)   (value·t1 rounded, then one fused op)
//   addcdiv(self, t1, t2, value) = self + (value·t1) / t2    (three roundings, nothing fused)
// `value` is converted to the tensor's dtype first (c10::Scalar::to<scalar_t>), as PyTorch does.
// No autograd: optimizers run these under noGrad on leaves and state tensors.
//
// Scalars that change from step to step (learning rates from schedulers, Adam's step size and bias
// correction) enter the kernels as 0-dim tensor operands rather than IR constants: the value is the
// same (the scalar rounded to the tensor's dtype), but the compiled kernel is reused instead of a
// new one being compiled for every new constant.

import { type DType, isFloating } from "../dtype.js";
import { DTypeError } from "../errors.js";
import { bin, type Exp, fma } from "../ir.js";
import { elementwise, fromStorageArray, opmath } from "../ops/core.js";
import { encodeValues } from "../ops/creation.js";
import { add, add_ } from "../ops/elementwise.js";
import type { Tensor } from "../tensor.js";

function check(op: string, self: Tensor): DType {
  if (!isFloating(self.dtype)) throw new DTypeError(op, `expected a floating point tensor, got ${self.dtype}`);
  return opmath(self.dtype);
}

const fused = (cd: DType): boolean => cd === "float32" || cd === "float64";

/**
 * v rounded to t's dtype, as a 0-dim tensor on t's device (a kernel operand, not a baked constant),
 * written from the host so that no fill kernel is compiled for it either.
 */
export const scalarOf = (v: number, t: Tensor): Tensor => fromStorageArray(encodeValues(t.dtype, [v]), [], t.dtype, t.device);

function addcmulExp(cd: DType): (v: Exp[]) => Exp {
  return ([s, a, b, value]) => {
    const va = bin("mul", value as Exp, a as Exp);
    return fused(cd) ? fma(va, b as Exp, s as Exp) : bin("add", s as Exp, bin("mul", va, b as Exp));
  };
}

const addcdivExp = ([s, a, b, value]: Exp[]): Exp =>
  bin("add", s as Exp, bin("div", bin("mul", value as Exp, a as Exp), b as Exp));

/** self += value * t1 * t2, in place (PyTorch's Tensor.addcmul_). */
export function addcmul_(self: Tensor, t1: Tensor, t2: Tensor, value = 1): Tensor {
  const cd = check("addcmul_", self);
  return elementwise("addcmul_", [self, t1, t2, scalarOf(value, self)], self.dtype, cd, addcmulExp(cd), self);
}

/** self + value * t1 * t2 (PyTorch's Tensor.addcmul), no autograd. */
export function addcmul(self: Tensor, t1: Tensor, t2: Tensor, value = 1): Tensor {
  const cd = check("addcmul", self);
  return elementwise("addcmul", [self, t1, t2, scalarOf(value, self)], self.dtype, cd, addcmulExp(cd));
}

/** self += value * t1 / t2, in place (PyTorch's Tensor.addcdiv_). */
export function addcdiv_(self: Tensor, t1: Tensor, t2: Tensor, value = 1): Tensor {
  const cd = check("addcdiv_", self);
  return elementwise("addcdiv_", [self, t1, t2, scalarOf(value, self)], self.dtype, cd, addcdivExp, self);
}

/** self += alpha * other in place: PyTorch's add_(other, alpha=α) = fma(other, α, self) on x86. */
export function axpy_(self: Tensor, other: Tensor, alpha: number): Tensor {
  const cd = check("add_", self);
  if (!fused(cd) || other.dtype !== self.dtype) return add_(self, other, { alpha });
  return elementwise(
    "add_",
    [self, other, scalarOf(alpha, self)],
    self.dtype,
    cd,
    ([s, o, a]) => fma(o as Exp, a as Exp, s as Exp),
    self,
  );
}

/** self + alpha * other, out of place (PyTorch's add(other, alpha=α) = fma(other, α, self) on x86). */
export function axpy(self: Tensor, other: Tensor, alpha: number): Tensor {
  const cd = check("add", self);
  if (!fused(cd) || other.dtype !== self.dtype) return add(self, other, { alpha });
  return elementwise("add", [self, other, scalarOf(alpha, self)], self.dtype, cd, ([s, o, a]) =>
    fma(o as Exp, a as Exp, s as Exp),
  );
}

/** self *= v in place (PyTorch's mul_ with a Python float: v rounded to the tensor's dtype). */
export function scale_(self: Tensor, v: number): Tensor {
  const cd = check("mul_", self);
  return elementwise("mul_", [self, scalarOf(v, self)], self.dtype, cd, ([s, a]) => bin("mul", s as Exp, a as Exp), self);
}

/** x / v (PyTorch's division by a Python float: by v rounded to the tensor's dtype). */
export function divScalar(x: Tensor, v: number): Tensor {
  const cd = check("div", x);
  return elementwise("div", [x, scalarOf(v, x)], x.dtype, cd, ([s, a]) => bin("div", s as Exp, a as Exp));
}

/** dst = maximum(a, b) (NaN-propagating), written into dst (PyTorch's torch.maximum(..., out=dst)). */
export function maximumInto(dst: Tensor, a: Tensor, b: Tensor): Tensor {
  const cd = opmath(dst.dtype);
  return elementwise("maximum", [a, b], dst.dtype, cd, ([x, y]) => bin("maximum", x as Exp, y as Exp), dst);
}
