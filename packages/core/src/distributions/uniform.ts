// torch.distributions.Uniform, op for op as PyTorch 1.13 writes it (uniform.py).
import { noGrad } from "../autograd/graph.js";
import { ValueError } from "../errors.js";
import { add, clamp, div, gt, le, log, lt, mul, pow, sub } from "../ops/elementwise.js";
import { all } from "../ops/reduce.js";
import { rand } from "../random/sampling.js";
import type { Tensor } from "../tensor.js";
import * as constraints from "./constraints.js";
import { Distribution, type DistributionOptions, type SampleOptions, sampleArgs } from "./distribution.js";
import { badd, bdiv, bmul, broadcastAll, bsub, expandTo, type TensorLike } from "./utils.js";

/** The uniform distribution on the half-open interval [low, high). */
export class Uniform extends Distribution {
  protected _low: Tensor;
  protected _high: Tensor;

  constructor(low: TensorLike, high: TensorLike, opts: DistributionOptions = {}) {
    super();
    [this._low, this._high] = broadcastAll("Uniform", [low, high]);
    const batch = typeof low === "number" && typeof high === "number" ? [] : this._low.shape;
    this._init(batch, [], opts.validateArgs);
    if (this._validateArgs && !noGrad(() => all(lt(this._low, this._high)).itemSync()))
      throw new ValueError("Uniform", "Uniform is not defined when low>= high");
  }

  get argConstraints(): Record<string, constraints.Constraint> {
    return { low: constraints.dependentProperty(false, 0), high: constraints.dependentProperty(false, 0) };
  }
  override get support(): constraints.Constraint {
    return constraints.interval(this._low, this._high);
  }
  override get hasRsample(): boolean {
    return true;
  }
  get low(): Tensor {
    return this._low;
  }
  get high(): Tensor {
    return this._high;
  }

  /** (high + low) / 2 */
  override get mean(): Tensor {
    return div(add(this._high, this._low), 2);
  }
  /** nan · high */
  override get mode(): Tensor {
    return mul(this._high, Number.NaN);
  }
  /** (high − low) / 12^½ */
  override get stddev(): Tensor {
    return div(sub(this._high, this._low), 12 ** 0.5);
  }
  /** (high − low)² / 12 */
  override get variance(): Tensor {
    return div(pow(sub(this._high, this._low), 2), 12);
  }

  override expand(batchShape: number[]): Uniform {
    const n = Object.create(Uniform.prototype) as Uniform;
    n._low = expandTo(this._low, batchShape);
    n._high = expandTo(this._high, batchShape);
    n._batchShape = [...batchShape];
    n._eventShape = [];
    n._validateArgs = this._validateArgs;
    return n;
  }

  /** low + rand(shape) · (high − low). */
  override rsample(sampleShape?: number[] | SampleOptions, opts?: SampleOptions): Tensor {
    const [s, o] = sampleArgs("Uniform.rsample", sampleShape, opts);
    const shape = this._extendedShape(s);
    const r = rand(shape, { dtype: this._low.dtype, device: this._low.device, generator: o.generator });
    return badd(this._low, bmul(r, sub(this._high, this._low)));
  }

  /** log(1[low ≤ value] · 1[value < high]) − log(high − low). */
  override logProb(value: Tensor): Tensor {
    if (this._validateArgs) this._validateSample(value);
    const lb = le(this._low, value).to(this._low.dtype);
    const ub = gt(this._high, value).to(this._low.dtype);
    return bsub(log(mul(lb, ub)), log(sub(this._high, this._low)));
  }

  /** ((value − low) / (high − low)).clamp(0, 1). */
  override cdf(value: Tensor): Tensor {
    if (this._validateArgs) this._validateSample(value);
    return clamp(bdiv(bsub(value, this._low), sub(this._high, this._low)), 0, 1);
  }

  /** value · (high − low) + low. */
  override icdf(value: Tensor): Tensor {
    return badd(bmul(value, sub(this._high, this._low)), this._low);
  }

  /** log(high − low). */
  override entropy(): Tensor {
    return log(sub(this._high, this._low));
  }
}
