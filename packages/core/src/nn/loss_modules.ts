// torch.nn loss modules (torch/nn/modules/loss.py): each holds its options and calls the functional
// form in nn/loss.ts. Class weights and pos_weight are buffers, as in PyTorch (so they appear in
// state dicts under PyTorch's names and move with the module); PyTorch prints these modules
// without arguments (`CrossEntropyLoss()`), and so does lockstep.
import { ValueError } from "../errors.js";
import type { Tensor } from "../tensor.js";
import {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  cosineEmbeddingLoss,
  crossEntropy,
  huberLoss,
  klDiv,
  l1Loss,
  marginRankingLoss,
  mseLoss,
  nllLoss,
  type Reduction,
  smoothL1Loss,
  tripletMarginLoss,
} from "./loss.js";
import { Module } from "./module.js";

const REDUCTIONS = ["none", "mean", "sum"];

/** Base of the loss modules (PyTorch's _Loss): holds `reduction`. */
export class Loss<R extends string = Reduction> extends Module {
  reduction: R;
  constructor(opts: { reduction?: R } = {}, allowed: readonly string[] = REDUCTIONS) {
    super();
    const r = opts.reduction ?? ("mean" as R);
    if (!allowed.includes(r))
      throw new ValueError(
        this.constructor.name,
        `${String(r)} is not a valid value for reduction (expected one of ${allowed.join(", ")})`,
      );
    this.reduction = r;
  }
}

/** Base of the losses with per-class weights (PyTorch's _WeightedLoss): `weight` is a buffer. */
export class WeightedLoss extends Loss {
  declare weight: Tensor | null;
  constructor(weight: Tensor | null | undefined, opts: { reduction?: Reduction } = {}) {
    super(opts);
    this.registerBuffer("weight", weight ?? null);
  }
}

/** `new nn.XLoss(weight)`, `new nn.XLoss({ weight, ... })` and `new nn.XLoss(weight, { ... })` all work (PyTorch takes weight positionally). */
function splitWeight<O extends { weight?: Tensor | null }>(a?: Tensor | O | null, b?: O): [Tensor | null, O] {
  if (a && typeof a === "object" && "shape" in a) return [a as Tensor, (b ?? {}) as O];
  const o = (a ?? b ?? {}) as O;
  return [o.weight ?? null, o];
}

export class L1Loss extends Loss {
  override forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

export class MSELoss extends Loss {
  override forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

export interface NLLLossOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
}

export class NLLLoss extends WeightedLoss {
  ignoreIndex: number;
  constructor(weight?: Tensor | NLLLossOptions | null, opts?: NLLLossOptions) {
    const [w, o] = splitWeight(weight, opts);
    super(w, o);
    this.ignoreIndex = o.ignoreIndex ?? -100;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

export interface CrossEntropyLossOptions extends NLLLossOptions {
  labelSmoothing?: number;
}

export class CrossEntropyLoss extends WeightedLoss {
  ignoreIndex: number;
  labelSmoothing: number;
  constructor(weight?: Tensor | CrossEntropyLossOptions | null, opts?: CrossEntropyLossOptions) {
    const [w, o] = splitWeight(weight, opts);
    super(w, o);
    this.ignoreIndex = o.ignoreIndex ?? -100;
    this.labelSmoothing = o.labelSmoothing ?? 0;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, {
      weight: this.weight,
      ignoreIndex: this.ignoreIndex,
      reduction: this.reduction,
      labelSmoothing: this.labelSmoothing,
    });
  }
}

export interface BCELossOptions {
  weight?: Tensor | null;
  reduction?: Reduction;
}

export class BCELoss extends WeightedLoss {
  constructor(weight?: Tensor | BCELossOptions | null, opts?: BCELossOptions) {
    const [w, o] = splitWeight(weight, opts);
    super(w, o);
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

export interface BCEWithLogitsLossOptions extends BCELossOptions {
  posWeight?: Tensor | null;
}

export class BCEWithLogitsLoss extends Loss {
  declare weight: Tensor | null;
  declare pos_weight: Tensor | null;
  constructor(weight?: Tensor | BCEWithLogitsLossOptions | null, opts?: BCEWithLogitsLossOptions) {
    const [w, o] = splitWeight(weight, opts);
    super(o);
    this.registerBuffer("weight", w);
    this.registerBuffer("pos_weight", o.posWeight ?? null);
  }
  get posWeight(): Tensor | null {
    return this.pos_weight;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, {
      weight: this.weight,
      posWeight: this.pos_weight,
      reduction: this.reduction,
    });
  }
}

export class HuberLoss extends Loss {
  delta: number;
  constructor(opts: { reduction?: Reduction; delta?: number } = {}) {
    super(opts);
    this.delta = opts.delta ?? 1;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

export class SmoothL1Loss extends Loss {
  beta: number;
  constructor(opts: { reduction?: Reduction; beta?: number } = {}) {
    super(opts);
    this.beta = opts.beta ?? 1;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/** reduction "batchmean" divides the summed loss by the batch size (the KL divergence's definition); "mean" by the element count. */
export class KLDivLoss extends Loss<Reduction | "batchmean"> {
  logTarget: boolean;
  constructor(opts: { reduction?: Reduction | "batchmean"; logTarget?: boolean } = {}) {
    super(opts, [...REDUCTIONS, "batchmean"]);
    this.logTarget = opts.logTarget ?? false;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}

export interface TripletMarginLossOptions {
  margin?: number;
  p?: number;
  eps?: number;
  swap?: boolean;
  reduction?: Reduction;
}

export class TripletMarginLoss extends Loss {
  margin: number;
  p: number;
  eps: number;
  swap: boolean;
  constructor(opts: TripletMarginLossOptions = {}) {
    super(opts);
    this.margin = opts.margin ?? 1;
    this.p = opts.p ?? 2;
    this.eps = opts.eps ?? 1e-6;
    this.swap = opts.swap ?? false;
  }
  override forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return tripletMarginLoss(anchor, positive, negative, {
      margin: this.margin,
      p: this.p,
      eps: this.eps,
      swap: this.swap,
      reduction: this.reduction,
    });
  }
}

export class CosineEmbeddingLoss extends Loss {
  margin: number;
  constructor(opts: { margin?: number; reduction?: Reduction } = {}) {
    super(opts);
    this.margin = opts.margin ?? 0;
  }
  override forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return cosineEmbeddingLoss(input1, input2, target, { margin: this.margin, reduction: this.reduction });
  }
}

export class MarginRankingLoss extends Loss {
  margin: number;
  constructor(opts: { margin?: number; reduction?: Reduction } = {}) {
    super(opts);
    this.margin = opts.margin ?? 0;
  }
  override forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return marginRankingLoss(input1, input2, target, { margin: this.margin, reduction: this.reduction });
  }
}
