// torch.distributions.Laplace, op for op as PyTorch 1.13 writes it (laplace.py). Samples use the
// fused uniform_(eps − 1, 1) draw and SLEEF's vectorised log1p, so they equal PyTorch's bit for bit.

import { empty } from "../ops/core.js";
import { abs, add, expm1, log, mul, neg, pow, sign, sub } from "../ops/elementwise.js";
import { uniform_ } from "../random/sampling.js";
import type { Tensor } from "../tensor.js";
import * as constraints from "./constraints.js";
import { Distribution, type DistributionOptions, type SampleOptions, sampleArgs } from "./distribution.js";
import { bdiv, bmul, broadcastAll, bsub, expandTo, finfo, log1pExact, type TensorLike } from "./utils.js";

/** The Laplace distribution with location `loc` and scale `scale`. */
export class Laplace extends Distribution {
  protected _loc: Tensor;
  protected _scale: Tensor;

  constructor(loc: TensorLike, scale: TensorLike, opts: DistributionOptions = {}) {
    super();
    [this._loc, this._scale] = broadcastAll("Laplace", [loc, scale]);
    const batch = typeof loc === "number" && typeof scale === "number" ? [] : this._loc.shape;
    this._init(batch, [], opts.validateArgs);
  }

  get argConstraints(): Record<string, constraints.Constraint> {
    return { loc: constraints.real, scale: constraints.positive };
  }
  override get support(): constraints.Constraint {
    return constraints.real;
  }
  override get hasRsample(): boolean {
    return true;
  }
  get loc(): Tensor {
    return this._loc;
  }
  get scale(): Tensor {
    return this._scale;
  }

  override get mean(): Tensor {
    return this._loc;
  }
  override get mode(): Tensor {
    return this._loc;
  }
  /** 2 · scale² */
  override get variance(): Tensor {
    return mul(pow(this._scale, 2), 2);
  }
  /** √2 · scale */
  override get stddev(): Tensor {
    return mul(this._scale, 2 ** 0.5);
  }

  override expand(batchShape: number[]): Laplace {
    const n = Object.create(Laplace.prototype) as Laplace;
    n._loc = expandTo(this._loc, batchShape);
    n._scale = expandTo(this._scale, batchShape);
    n._batchShape = [...batchShape];
    n._eventShape = [];
    n._validateArgs = this._validateArgs;
    return n;
  }

  /** u = uniform_(eps − 1, 1); loc − scale · sign(u) · log1p(−|u|). */
  override rsample(sampleShape?: number[] | SampleOptions, opts?: SampleOptions): Tensor {
    const [s, o] = sampleArgs("Laplace.rsample", sampleShape, opts);
    const eps = finfo(this._loc.dtype).eps;
    const u = uniform_(empty(this._extendedShape(s), this._loc.dtype, this._loc.device), eps - 1, 1, {
      generator: o.generator,
    });
    return bsub(this._loc, bmul(bmul(this._scale, sign(u)), log1pExact(neg(abs(u)))));
  }

  /** −log(2·scale) − |value − loc| / scale */
  override logProb(value: Tensor): Tensor {
    if (this._validateArgs) this._validateSample(value);
    return bsub(neg(log(mul(this._scale, 2))), bdiv(abs(bsub(value, this._loc)), this._scale));
  }
  /** ½ − ½ · sign(value − loc) · expm1(−|value − loc| / scale) */
  override cdf(value: Tensor): Tensor {
    if (this._validateArgs) this._validateSample(value);
    const s = mul(sign(bsub(value, this._loc)), 0.5);
    return sub(0.5, mul(s, expm1(bdiv(neg(abs(bsub(value, this._loc))), this._scale))));
  }
  /** loc − scale · sign(value − ½) · log1p(−2·|value − ½|) */
  override icdf(value: Tensor): Tensor {
    const term = sub(value, 0.5);
    return bsub(this._loc, bmul(bmul(this._scale, sign(term)), log1pExact(mul(abs(term), -2))));
  }
  /** 1 + log(2·scale) */
  override entropy(): Tensor {
    return add(log(mul(this._scale, 2)), 1);
  }
}
