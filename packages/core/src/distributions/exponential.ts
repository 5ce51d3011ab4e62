// torch.distributions.Exponential, op for op as PyTorch 1.13 writes it (exponential.py).
import { empty } from "../ops/core.js";
import { zerosLike } from "../ops/creation.js";
import { exp, log, neg, pow, reciprocal, sub } from "../ops/elementwise.js";
import { exponential_ } from "../random/sampling.js";
import type { Tensor } from "../tensor.js";
import * as constraints from "./constraints.js";
import { Distribution, type DistributionOptions, type SampleOptions, sampleArgs } from "./distribution.js";
import { bdiv, bmul, broadcastAll, bsub, expandTo, type TensorLike } from "./utils.js";

/** The exponential distribution with rate `rate` (= 1 / scale). */
export class Exponential extends Distribution {
  protected _rate: Tensor;

  constructor(rate: TensorLike, opts: DistributionOptions = {}) {
    super();
    [this._rate] = broadcastAll("Exponential", [rate]) as [Tensor];
    this._init(typeof rate === "number" ? [] : this._rate.shape, [], opts.validateArgs);
  }

  get argConstraints(): Record<string, constraints.Constraint> {
    return { rate: constraints.positive };
  }
  override get support(): constraints.Constraint {
    return constraints.nonnegative;
  }
  override get hasRsample(): boolean {
    return true;
  }
  get rate(): Tensor {
    return this._rate;
  }

  /** 1 / rate */
  override get mean(): Tensor {
    return reciprocal(this._rate);
  }
  override get mode(): Tensor {
    return zerosLike(this._rate);
  }
  /** 1 / rate */
  override get stddev(): Tensor {
    return reciprocal(this._rate);
  }
  /** rate⁻² */
  override get variance(): Tensor {
    return pow(this._rate, -2);
  }

  override expand(batchShape: number[]): Exponential {
    const n = Object.create(Exponential.prototype) as Exponential;
    n._rate = expandTo(this._rate, batchShape);
    n._batchShape = [...batchShape];
    n._eventShape = [];
    n._validateArgs = this._validateArgs;
    return n;
  }

  /** rate.new(shape).exponential_() / rate. */
  override rsample(sampleShape?: number[] | SampleOptions, opts?: SampleOptions): Tensor {
    const [s, o] = sampleArgs("Exponential.rsample", sampleShape, opts);
    const e = exponential_(empty(this._extendedShape(s), this._rate.dtype, this._rate.device), 1, {
      generator: o.generator,
    });
    return bdiv(e, this._rate);
  }

  /** log(rate) − rate · value */
  override logProb(value: Tensor): Tensor {
    if (this._validateArgs) this._validateSample(value);
    return bsub(log(this._rate), bmul(this._rate, value));
  }
  /** 1 − exp(−rate · value) */
  override cdf(value: Tensor): Tensor {
    if (this._validateArgs) this._validateSample(value);
    return sub(1, exp(bmul(neg(this._rate), value)));
  }
  /** −log(1 − value) / rate */
  override icdf(value: Tensor): Tensor {
    return bdiv(neg(log(sub(1, value))), this._rate);
  }
  /** 1 − log(rate) */
  override entropy(): Tensor {
    return sub(1, log(this._rate));
  }
}
