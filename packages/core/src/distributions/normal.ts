// torch.distributions.Normal, op for op as PyTorch 1.13 writes it (normal.py).
import { noGrad } from "../autograd/graph.js";
import { empty } from "../ops/core.js";
import { add, div, erf, log, mul, neg, pow, reciprocal, sub } from "../ops/elementwise.js";
import { normal, normal_ } from "../random/sampling.js";
import type { Tensor } from "../tensor.js";
import * as constraints from "./constraints.js";
import { Distribution, type DistributionOptions, type SampleOptions, sampleArgs } from "./distribution.js";
import { badd, bdiv, bmul, broadcastAll, bsub, erfinvExact, expandTo, type TensorLike } from "./utils.js";

const LOG_SQRT_2PI = Math.log(Math.sqrt(2 * Math.PI)); // math.log(math.sqrt(2 * math.pi))
const HALF_LOG_2PI_PLUS_HALF = 0.5 + 0.5 * Math.log(2 * Math.PI); // 0.5 + 0.5 * math.log(2 * math.pi)

/** _standard_normal(shape): torch.empty(shape).normal_() (randn's scalar or 16-wide path by element count). */
export function standardNormal(shape: readonly number[], like: Tensor, opts: SampleOptions): Tensor {
  return normal_(empty(shape, like.dtype, like.device), 0, 1, { generator: opts.generator });
}

/** The normal (Gaussian) distribution with mean `loc` and standard deviation `scale`. */
export class Normal extends Distribution {
  protected _loc: Tensor;
  protected _scale: Tensor;

  constructor(loc: TensorLike, scale: TensorLike, opts: DistributionOptions = {}) {
    super();
    [this._loc, this._scale] = broadcastAll("Normal", [loc, scale]);
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
  override get stddev(): Tensor {
    return this._scale;
  }
  override get variance(): Tensor {
    return pow(this.stddev, 2);
  }

  override expand(batchShape: number[]): Normal {
    const n = Object.create(Normal.prototype) as Normal;
    n._loc = expandTo(this._loc, batchShape);
    n._scale = expandTo(this._scale, batchShape);
    n._batchShape = [...batchShape];
    n._eventShape = [];
    n._validateArgs = this._validateArgs;
    return n;
  }

  /** torch.normal(loc.expand(shape), scale.expand(shape)) under no_grad. */
  override sample(sampleShape?: number[] | SampleOptions, opts?: SampleOptions): Tensor {
    const [s, o] = sampleArgs("Normal.sample", sampleShape, opts);
    const shape = this._extendedShape(s);
    return noGrad(() => normal(this._loc.expand(shape), this._scale.expand(shape), { generator: o.generator }));
  }

  /** loc + eps · scale with eps = _standard_normal(shape). */
  override rsample(sampleShape?: number[] | SampleOptions, opts?: SampleOptions): Tensor {
    const [s, o] = sampleArgs("Normal.rsample", sampleShape, opts);
    const eps = standardNormal(this._extendedShape(s), this._loc, o);
    return badd(this._loc, bmul(eps, this._scale));
  }

  /** −(value − loc)² / (2·var) − log(scale) − log(√(2π)). */
  override logProb(value: Tensor): Tensor {
    if (this._validateArgs) this._validateSample(value);
    const variance = pow(this._scale, 2);
    const logScale = log(this._scale);
    return sub(bsub(bdiv(neg(pow(bsub(value, this._loc), 2)), mul(variance, 2)), logScale), LOG_SQRT_2PI);
  }

  /** ½·(1 + erf((value − loc) · scale⁻¹ / √2)). */
  override cdf(value: Tensor): Tensor {
    if (this._validateArgs) this._validateSample(value);
    return mul(add(erf(div(bmul(bsub(value, this._loc), reciprocal(this._scale)), Math.SQRT2)), 1), 0.5);
  }

  /** loc + scale · erfinv(2·value − 1) · √2. */
  override icdf(value: Tensor): Tensor {
    return badd(this._loc, mul(bmul(this._scale, erfinvExact(sub(mul(value, 2), 1))), Math.SQRT2));
  }

  /** ½ + ½·log(2π) + log(scale). */
  override entropy(): Tensor {
    return add(log(this._scale), HALF_LOG_2PI_PLUS_HALF);
  }
}
