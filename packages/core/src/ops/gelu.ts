// GELU, written the way PyTorch 1.13's vectorised x86 CPU kernels compute it, so float32 results
// match: the exact form uses the Abramowitz–Stegun erf approximation of Vectorized<float>::erf
// (with its FMAs); multiply-adds that GCC contracts in the kernels are FMAs here too. float64 uses
// an accurate erf (PyTorch: SLEEF erf). PyTorch's scalar tail loop (the last n mod 16 elements of a
// contiguous run) and its non-contiguous path use std::erf instead; lockstep applies the
// vectorised formula everywhere, so its results do not depend on memory layout.
import { attachGrad } from "../autograd/graph.js";
import { isFloating } from "../dtype.js";
import { DTypeError, ValueError } from "../errors.js";
import { bin, cast, type Exp, fma, konst, select, un } from "../ir.js";
import type { Tensor } from "../tensor.js";
import { elementwise, opmath } from "./core.js";
import { add, exp, mul, sub, tanh } from "./elementwise.js";

const ALPHA = Math.SQRT1_2;
const BETA_PDF = (2 / Math.sqrt(Math.PI)) * Math.SQRT1_2 * 0.5; // M_2_SQRTPI * M_SQRT1_2 * 0.5
const BETA_TANH = Math.SQRT2 * (2 / Math.sqrt(Math.PI)) * 0.5; // M_SQRT2 * M_2_SQRTPI * 0.5
const KAPPA = 0.044715;
const AS = { p: 0.3275911, p1: 0.254829592, p2: -0.284496736, p3: 1.421413741, p4: -1.453152027, p5: 1.061405429 };

const c = (v: number, like: Exp): Exp => konst(v, like.dtype);
const mulE = (a: Exp, b: Exp): Exp => bin("mul", a, b);
const addE = (a: Exp, b: Exp): Exp => bin("add", a, b);
/** fma where the compute dtype has one (float32/float64), else multiply then add. */
const fmaE = (a: Exp, b: Exp, d: Exp): Exp =>
  a.dtype === "float32" || a.dtype === "float64" ? fma(a, b, d) : addE(mulE(a, b), d);

/** Vectorized<float>::erf: sign(x) · (1 − r(t)·t·exp(−x²)), t = 1/(1 + p|x|). float64: accurate erf. */
function erfVec(x: Exp): Exp {
  if (x.dtype === "float64") return un("erf", x);
  const ax = un("abs", x);
  const t = bin("div", c(1, x), fmaE(c(AS.p, x), ax, c(1, x)));
  let r = fmaE(c(AS.p5, x), t, c(AS.p4, x));
  r = fmaE(r, t, c(AS.p3, x));
  r = fmaE(r, t, c(AS.p2, x));
  r = fmaE(r, t, c(AS.p1, x));
  const e = un("neg", un("exp", un("neg", mulE(x, x))));
  const mag = fmaE(mulE(e, t), r, c(1, x));
  // the sign bit of x (1/x < 0 also catches -0)
  const negative = bin("or", bin("lt", x, c(0, x)), bin("lt", bin("div", c(1, x), x), c(0, x)));
  return select(negative, un("neg", mag), mag);
}

const cdf = (x: Exp): Exp => mulE(c(0.5, x), addE(c(1, x), erfVec(mulE(x, c(ALPHA, x)))));
const pdf = (x: Exp): Exp => mulE(c(BETA_PDF, x), un("exp", mulE(mulE(x, x), c(-0.5, x))));
const tanhInner = (x: Exp): Exp => mulE(c(BETA_TANH, x), fmaE(c(KAPPA, x), mulE(mulE(x, x), x), x));

function checkInput(x: Tensor, approximate: string): void {
  if (approximate !== "none" && approximate !== "tanh")
    throw new ValueError("gelu", `approximate must be 'none' or 'tanh', got '${approximate}'`);
  if (!isFloating(x.dtype)) throw new DTypeError("gelu", `expected a floating point tensor, got ${x.dtype}`);
}

export function gelu(x: Tensor, opts: { approximate?: "none" | "tanh" } = {}): Tensor {
  const approx = opts.approximate ?? "none";
  checkInput(x, approx);
  const y = elementwise("gelu", [x], x.dtype, opmath(x.dtype), ([v]) => {
    const e = v as Exp;
    if (approx === "none") return mulE(mulE(e, c(0.5, e)), addE(c(1, e), erfVec(mulE(e, c(ALPHA, e)))));
    return mulE(mulE(c(0.5, e), e), addE(c(1, e), un("tanh", tanhInner(e))));
  });
  attachGrad("GeluBackward0", [x], [y], [x], ([g], [sx]) => [geluBackward(g as Tensor, sx as Tensor, approx)]);
  return y;
}

/** PyTorch's gelu_backward kernel; differentiable (its own gradient uses the exact derivatives). */
function geluBackward(g: Tensor, x: Tensor, approx: "none" | "tanh"): Tensor {
  const cd = opmath(x.dtype);
  const dydx = (e: Exp): Exp => {
    if (approx === "none") return fmaE(e, pdf(e), cdf(e));
    const xsq = mulE(e, e);
    const th = un("tanh", tanhInner(e));
    const left = mulE(c(0.5, e), e);
    const leftDerivative = mulE(c(0.5, e), addE(c(1, e), th));
    const tanhDerivative = fmaE(un("neg", th), th, c(1, e));
    const innerDerivative = mulE(c(BETA_TANH, e), fmaE(mulE(c(3, e), c(KAPPA, e)), xsq, c(1, e)));
    return fmaE(mulE(left, tanhDerivative), innerDerivative, leftDerivative);
  };
  const out = elementwise("gelu_backward", [g, x], x.dtype, cd, ([gv, xv]) => mulE(gv as Exp, dydx(xv as Exp)));
  attachGrad("GeluBackwardBackward0", [g, x], [out], [g, x], ([gg], [sg, sx]) => {
    const xx = sx as Tensor;
    // d/dg = gelu'(x); d/dx = g · gelu''(x), from the exact formulas of each form
    const d1 = elementwise("gelu_grad", [xx], xx.dtype, cd, ([xv]) => cast(dydx(xv as Exp), cd));
    let d2: Tensor;
    if (approx === "none") {
      // pdf(x) · (2 − x²)
      d2 = mul(mul(exp(mul(mul(xx, xx), -0.5)), BETA_PDF), sub(2, mul(xx, xx)));
    } else {
      // t = tanh(u), u = β(x + κx³): (1 − t²)·u' + ½x·(1 − t²)·(u'' − 2t·u'²)
      const u = mul(add(xx, mul(mul(mul(xx, xx), xx), KAPPA)), BETA_TANH);
      const t = tanh(u);
      const sech2 = sub(1, mul(t, t));
      const du = mul(add(mul(mul(xx, xx), 3 * KAPPA), 1), BETA_TANH);
      const ddu = mul(xx, 6 * BETA_TANH * KAPPA);
      d2 = add(mul(sech2, du), mul(mul(mul(xx, 0.5), sech2), sub(ddu, mul(mul(t, 2), mul(du, du)))));
    }
    return [mul(gg as Tensor, d1), mul(mul(gg as Tensor, sg as Tensor), d2)];
  });
  return out;
}
