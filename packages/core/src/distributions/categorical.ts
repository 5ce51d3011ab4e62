// torch.distributions.Categorical, op for op as PyTorch 1.13 writes it (categorical.py).
import { noGrad } from "../autograd/graph.js";
import { ValueError } from "../errors.js";
import { arange, full } from "../ops/creation.js";
import { clamp, neg } from "../ops/elementwise.js";
import { gather } from "../ops/indexing.js";
import { argmax } from "../ops/reduce.js";
import { reshape, slice, squeeze, t, unsqueeze, view } from "../ops/views.js";
import { multinomial } from "../random/sampling.js";
import { broadcastShapes } from "../shape.js";
import { Tensor } from "../tensor.js";
import * as constraints from "./constraints.js";
import { Distribution, type DistributionOptions, type SampleOptions, sampleArgs } from "./distribution.js";
import { bdiv, bmul, bsub, expandTo, finfo, logitsToProbs, logsumexpLast, probsToLogits, sumLast } from "./utils.js";

export interface CategoricalOptions extends DistributionOptions {
  probs?: Tensor | null;
  logits?: Tensor | null;
}
const isOptions = (x: unknown): x is CategoricalOptions =>
  x !== null && typeof x === "object" && !(x instanceof Tensor) && !Array.isArray(x);

/**
 * The categorical distribution over {0, ..., K−1}, K = the last dim of `probs` (relative
 * probabilities, normalised to sum to 1) or `logits` (unnormalised log-probabilities).
 */
export class Categorical extends Distribution {
  protected _probs: Tensor | undefined;
  protected _logits: Tensor | undefined;
  protected _paramT: Tensor;
  protected _numEvents: number;

  /** `new Categorical(probs)`, `new Categorical(null, logits)`, or `new Categorical({ probs | logits, validateArgs })`. */
  constructor(probs?: Tensor | null | CategoricalOptions, logits?: Tensor | null, opts: DistributionOptions = {}) {
    super();
    if (isOptions(probs)) {
      opts = probs;
      logits = probs.logits;
      probs = probs.probs;
    }
    const p = probs ?? null;
    const l = logits ?? null;
    if ((p === null) === (l === null))
      throw new ValueError("Categorical", "Either `probs` or `logits` must be specified, but not both.");
    if (p !== null) {
      if (p.ndim < 1) throw new ValueError("Categorical", "`probs` parameter must be at least one-dimensional.");
      this._probs = bdiv(p, sumLast(p, true));
    } else {
      const lg = l as Tensor;
      if (lg.ndim < 1) throw new ValueError("Categorical", "`logits` parameter must be at least one-dimensional.");
      this._logits = bsub(lg, logsumexpLast(lg, true));
    }
    this._paramT = (this._probs ?? this._logits) as Tensor;
    this._numEvents = this._paramT.shape[this._paramT.ndim - 1] as number;
    const batch = this._paramT.ndim > 1 ? this._paramT.shape.slice(0, -1) : [];
    this._init(batch, [], opts.validateArgs);
  }

  get argConstraints(): Record<string, constraints.Constraint> {
    return { probs: constraints.simplex, logits: constraints.realVector };
  }
  override get support(): constraints.Constraint {
    return constraints.integerInterval(0, this._numEvents - 1);
  }
  override get hasEnumerateSupport(): boolean {
    return true;
  }

  /** Normalised event probabilities (softmax(logits) when constructed from logits; computed once). */
  get probs(): Tensor {
    if (!this._probs) this._probs = logitsToProbs(this._logits as Tensor);
    return this._probs;
  }
  /** Normalised log-probabilities (log of the clamped probs when constructed from probs; computed once). */
  get logits(): Tensor {
    if (!this._logits) this._logits = probsToLogits(this._probs as Tensor);
    return this._logits;
  }
  get paramShape(): number[] {
    return [...this._paramT.shape];
  }

  /** nan (the mean of a categorical is undefined), of batch shape. */
  override get mean(): Tensor {
    return full(this._extendedShape(), Number.NaN, { dtype: this.probs.dtype, device: this.probs.device });
  }
  override get variance(): Tensor {
    return full(this._extendedShape(), Number.NaN, { dtype: this.probs.dtype, device: this.probs.device });
  }
  /** argmax of probs. */
  override get mode(): Tensor {
    return argmax(this.probs, -1);
  }

  override expand(batchShape: number[]): Categorical {
    const n = Object.create(Categorical.prototype) as Categorical;
    const paramShape = [...batchShape, this._numEvents];
    if (this._probs) n._probs = expandTo(this._probs, paramShape);
    if (this._logits) n._logits = expandTo(this._logits, paramShape);
    n._paramT = (this._probs ? n._probs : n._logits) as Tensor;
    n._numEvents = this._numEvents;
    n._batchShape = [...batchShape];
    n._eventShape = [];
    n._validateArgs = this._validateArgs;
    return n;
  }

  /** multinomial(probs as [-1, K], sampleShape.numel(), true).T reshaped to sampleShape + batchShape. */
  override sample(sampleShape?: number[] | SampleOptions, opts?: SampleOptions): Tensor {
    const [s, o] = sampleArgs("Categorical.sample", sampleShape, opts);
    return noGrad(() => {
      const probs2d = reshape(this.probs, [-1, this._numEvents]);
      const n = s.reduce((a, b) => a * b, 1);
      const samples2d = t(multinomial(probs2d, n, true, { generator: o.generator }));
      return reshape(samples2d, this._extendedShape(s));
    });
  }

  /** logits gathered at value (value.long(), broadcast with the batch). */
  override logProb(value: Tensor): Tensor {
    if (this._validateArgs) this._validateSample(value);
    const v = unsqueeze(value.to("int64"), -1);
    const logits = this.logits;
    const shape = broadcastShapes("Categorical.log_prob", v.shape, logits.shape);
    const vb = slice(v.expand(shape), -1, 0, 1);
    return squeeze(gather(expandTo(logits, shape), -1, vb), -1);
  }

  /** −Σ logits.clamp(min = finfo.min) · probs over the events. */
  override entropy(): Tensor {
    const minReal = finfo(this.logits.dtype).min;
    const logits = clamp(this.logits, minReal);
    return neg(sumLast(bmul(logits, this.probs)));
  }

  /** 0..K−1 (int64), shaped (K, 1, ...) and expanded over the batch. */
  override enumerateSupport(expand = true): Tensor {
    const values = view(arange(this._numEvents, { dtype: "int64", device: this._paramT.device }), [
      -1,
      ...this._batchShape.map(() => 1),
    ]);
    return expand ? values.expand([-1, ...this._batchShape]) : values;
  }
}
