// torch.distributions.Bernoulli, op for op as PyTorch 1.13 writes it (bernoulli.py).
import { noGrad } from "../autograd/graph.js";
import { ValueError } from "../errors.js";
import { binaryCrossEntropyWithLogits } from "../nn/loss.js";
import { arange } from "../ops/creation.js";
import { eq, ge, mul, neg, sub, where } from "../ops/elementwise.js";
import { view } from "../ops/views.js";
import { bernoulli } from "../random/sampling.js";
import { Tensor } from "../tensor.js";
import * as constraints from "./constraints.js";
import { Distribution, type DistributionOptions, type SampleOptions, sampleArgs } from "./distribution.js";
import { bcast, broadcastAll, expandTo, logitsToProbs, probsToLogits, type TensorLike } from "./utils.js";

export interface BernoulliOptions extends DistributionOptions {
  probs?: TensorLike | null;
  logits?: TensorLike | null;
}

const isOptions = (x: unknown): x is BernoulliOptions =>
  x !== null && typeof x === "object" && !(x instanceof Tensor) && !Array.isArray(x);

/** The Bernoulli distribution on {0, 1}, parameterised by `probs` or `logits` (log-odds), not both. */
export class Bernoulli extends Distribution {
  protected _probs: Tensor | undefined;
  protected _logits: Tensor | undefined;
  protected _paramT: Tensor;

  /** `new Bernoulli(probs)`, `new Bernoulli(null, logits)`, or `new Bernoulli({ probs | logits, validateArgs })`. */
  constructor(probs?: TensorLike | null | BernoulliOptions, logits?: TensorLike | null, opts: DistributionOptions = {}) {
    super();
    if (isOptions(probs)) {
      opts = probs;
      logits = probs.logits;
      probs = probs.probs;
    }
    const p = probs ?? null;
    const l = logits ?? null;
    if ((p === null) === (l === null))
      throw new ValueError("Bernoulli", "Either `probs` or `logits` must be specified, but not both.");
    const isScalar = typeof (p ?? l) === "number";
    if (p !== null) [this._probs] = broadcastAll("Bernoulli", [p]) as [Tensor];
    else [this._logits] = broadcastAll("Bernoulli", [l as TensorLike]) as [Tensor];
    this._paramT = (this._probs ?? this._logits) as Tensor;
    this._init(isScalar ? [] : this._paramT.shape, [], opts.validateArgs);
  }

  get argConstraints(): Record<string, constraints.Constraint> {
    return { probs: constraints.unitInterval, logits: constraints.real };
  }
  override get support(): constraints.Constraint {
    return constraints.boolean;
  }
  override get hasEnumerateSupport(): boolean {
    return true;
  }

  /** Probabilities of 1 (sigmoid(logits) when constructed from logits; computed once). */
  get probs(): Tensor {
    if (!this._probs) this._probs = logitsToProbs(this._logits as Tensor, true);
    return this._probs;
  }
  /** Log-odds (log(p) − log1p(−p) of the clamped probs when constructed from probs; computed once). */
  get logits(): Tensor {
    if (!this._logits) this._logits = probsToLogits(this._probs as Tensor, true);
    return this._logits;
  }
  get paramShape(): number[] {
    return [...this._paramT.shape];
  }

  override get mean(): Tensor {
    return this.probs;
  }
  /** 1 where probs > ½, 0 where below, nan at exactly ½. */
  override get mode(): Tensor {
    const p = this.probs;
    return where(eq(p, 0.5), Number.NaN, ge(p, 0.5).to(p.dtype));
  }
  /** probs · (1 − probs) */
  override get variance(): Tensor {
    return mul(this.probs, sub(1, this.probs));
  }

  override expand(batchShape: number[]): Bernoulli {
    const n = Object.create(Bernoulli.prototype) as Bernoulli;
    if (this._probs) n._probs = expandTo(this._probs, batchShape);
    if (this._logits) n._logits = expandTo(this._logits, batchShape);
    n._paramT = (this._probs ? n._probs : n._logits) as Tensor;
    n._batchShape = [...batchShape];
    n._eventShape = [];
    n._validateArgs = this._validateArgs;
    return n;
  }

  /** torch.bernoulli(probs.expand(shape)) under no_grad. */
  override sample(sampleShape?: number[] | SampleOptions, opts?: SampleOptions): Tensor {
    const [s, o] = sampleArgs("Bernoulli.sample", sampleShape, opts);
    const shape = this._extendedShape(s);
    return noGrad(() => bernoulli(this.probs.expand(shape), { generator: o.generator }));
  }

  /** −binary_cross_entropy_with_logits(logits, value, reduction='none'), both broadcast. */
  override logProb(value: Tensor): Tensor {
    if (this._validateArgs) this._validateSample(value);
    const [l, v] = bcast("Bernoulli.log_prob", this.logits, value);
    return neg(binaryCrossEntropyWithLogits(l, v, { reduction: "none" }));
  }

  /** binary_cross_entropy_with_logits(logits, probs, reduction='none'). */
  override entropy(): Tensor {
    return binaryCrossEntropyWithLogits(this.logits, this.probs, { reduction: "none" });
  }

  /** [0, 1] in the parameter's dtype, shaped (2, 1, ...) and expanded over the batch. */
  override enumerateSupport(expand = true): Tensor {
    const values = view(arange(2, { dtype: this._paramT.dtype, device: this._paramT.device }), [
      -1,
      ...this._batchShape.map(() => 1),
    ]);
    return expand ? values.expand([-1, ...this._batchShape]) : values;
  }
}
