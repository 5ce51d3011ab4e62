// The pointwise ops PyTorch's optimizers use that core does not have yet (`addcmul_`, `addcdiv_`),
// written as IR kernels with PyTorch 1.13's x86 numerics (measured against Debian's build):
//   addcmul(self, t1, t2, value) = fma(value·t1, t2, self)   (value·t1 rounded, then one fused op)
//   addcdiv(self, t1, t2, value) = self + (value·t1) / t2    (three roundings, nothing fused)
// `value` is converted to the tensor's dtype first (c10::Scalar::to<scalar_t>), as PyTorch does.
// No autograd: optimizers run these under noGrad on leaves and state tensors.

import { type DType, isFloating } from "../dtype.js";
import { DTypeError } from "../errors.js";
import { bin, cast, type Exp, fma, konst } from "../ir.js";
import { elementwise, opmath } from "../ops/core.js";
import type { Tensor } from "../tensor.js";

function check(op: string, self: Tensor): DType {
  if (!isFloating(self.dtype)) throw new DTypeError(op, `expected a floating point tensor, got ${self.dtype}`);
  return opmath(self.dtype);
}

const scalar = (v: number, self: Tensor, cd: DType): Exp => cast(konst(v, self.dtype), cd);

function addcmulExp(self: Tensor, cd: DType, value: number): (v: Exp[]) => Exp {
  return ([s, a, b]) => {
    const va = bin("mul", scalar(value, self, cd), a as Exp);
    return cd === "float32" || cd === "float64" ? fma(va, b as Exp, s as Exp) : bin("add", s as Exp, bin("mul", va, b as Exp));
  };
}

function addcdivExp(self: Tensor, cd: DType, value: number): (v: Exp[]) => Exp {
  return ([s, a, b]) => bin("add", s as Exp, bin("div", bin("mul", scalar(value, self, cd), a as Exp), b as Exp));
}

/** self += value * t1 * t2, in place (PyTorch's Tensor.addcmul_). */
export function addcmul_(self: Tensor, t1: Tensor, t2: Tensor, value = 1): Tensor {
  const cd = check("addcmul_", self);
  return elementwise("addcmul_", [self, t1, t2], self.dtype, cd, addcmulExp(self, cd, value), self);
}

/** self + value * t1 * t2 (PyTorch's Tensor.addcmul), no autograd. */
export function addcmul(self: Tensor, t1: Tensor, t2: Tensor, value = 1): Tensor {
  const cd = check("addcmul", self);
  return elementwise("addcmul", [self, t1, t2], self.dtype, cd, addcmulExp(self, cd, value));
}

/** self += value * t1 / t2, in place (PyTorch's Tensor.addcdiv_). */
export function addcdiv_(self: Tensor, t1: Tensor, t2: Tensor, value = 1): Tensor {
  const cd = check("addcdiv_", self);
  return elementwise("addcdiv_", [self, t1, t2], self.dtype, cd, addcdivExp(self, cd, value), self);
}

/** dst = maximum(a, b) (NaN-propagating), written into dst (PyTorch's torch.maximum(..., out=dst)). */
export function maximumInto(dst: Tensor, a: Tensor, b: Tensor): Tensor {
  const cd = opmath(dst.dtype);
  return elementwise("maximum", [a, b], dst.dtype, cd, ([x, y]) => bin("maximum", x as Exp, y as Exp), dst);
}
