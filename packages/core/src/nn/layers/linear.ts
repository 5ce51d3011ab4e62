// Identity, Linear, Bilinear, Flatten, Unflatten (torch.nn.modules.linear / flatten).
import { ValueError } from "../../errors.js";
import { flatten, unflatten } from "../../ops/views.js";
import type { Tensor } from "../../tensor.js";
import { bilinear, linear } from "../functional_extra.js";
import * as init from "../init.js";
import { Module } from "../module.js";
import { emptyParam, type FactoryOptions, pyBool, pyVal } from "./util.js";

/** A placeholder that returns its input (arguments are accepted and ignored, as PyTorch). */
export class Identity extends Module {
  constructor(..._args: unknown[]) {
    super();
  }
  override forward(input: Tensor): Tensor {
    return input;
  }
}

export interface LinearOptions extends FactoryOptions {
  bias?: boolean;
}

/** y = x·Wᵀ + b. weight [out, in] ~ kaiming_uniform(a = √5), bias ~ U(−1/√in, 1/√in), drawn in that order. */
export class Linear extends Module {
  declare weight: Tensor;
  declare bias: Tensor | null;
  readonly inFeatures: number;
  readonly outFeatures: number;
  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    if (!Number.isInteger(inFeatures) || !Number.isInteger(outFeatures) || inFeatures < 0 || outFeatures < 0)
      throw new ValueError(
        "Linear",
        `in_features and out_features must be non-negative integers, got ${inFeatures}, ${outFeatures}`,
      );
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = emptyParam([outFeatures, inFeatures], opts);
    if (opts.bias ?? true) this.bias = emptyParam([outFeatures], opts);
    else this.registerParameter("bias", null);
    this.resetParameters();
  }
  resetParameters(): void {
    init.kaimingUniform_(this.weight, Math.sqrt(5));
    if (this.bias) {
      const [fanIn] = init.calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      init.uniform_(this.bias, -bound, bound);
    }
  }
  override forward(input: Tensor): Tensor {
    return linear(input, this.weight, this.bias);
  }
  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}

/** MultiheadAttention's out_proj (PyTorch names the class for its quantisation rules; it is a Linear). */
export class NonDynamicallyQuantizableLinear extends Linear {}

/** y = x1ᵀ·W·x2 + b. weight [out, in1, in2] and bias ~ U(−1/√in1, 1/√in1). */
export class Bilinear extends Module {
  declare weight: Tensor;
  declare bias: Tensor | null;
  readonly in1Features: number;
  readonly in2Features: number;
  readonly outFeatures: number;
  constructor(in1Features: number, in2Features: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    this.in1Features = in1Features;
    this.in2Features = in2Features;
    this.outFeatures = outFeatures;
    this.weight = emptyParam([outFeatures, in1Features, in2Features], opts);
    if (opts.bias ?? true) this.bias = emptyParam([outFeatures], opts);
    else this.registerParameter("bias", null);
    this.resetParameters();
  }
  resetParameters(): void {
    const bound = 1 / Math.sqrt(this.weight.shape[1] as number);
    init.uniform_(this.weight, -bound, bound);
    if (this.bias) init.uniform_(this.bias, -bound, bound);
  }
  override forward(input1: Tensor, input2: Tensor): Tensor {
    return bilinear(input1, input2, this.weight, this.bias);
  }
  override extraRepr(): string {
    return `in1_features=${this.in1Features}, in2_features=${this.in2Features}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}

/** Flattens dims startDim..endDim (default 1..−1). */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;
  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = startDim;
    this.endDim = endDim;
  }
  override forward(input: Tensor): Tensor {
    return flatten(input, this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/** Splits dim into unflattenedSize. */
export class Unflatten extends Module {
  readonly dim: number;
  readonly unflattenedSize: number[];
  constructor(dim: number, unflattenedSize: number[]) {
    super();
    if (!Array.isArray(unflattenedSize) || unflattenedSize.some((s) => !Number.isInteger(s)))
      throw new ValueError("Unflatten", `unflattened_size must be a list of ints, got ${JSON.stringify(unflattenedSize)}`);
    this.dim = dim;
    this.unflattenedSize = [...unflattenedSize];
  }
  override forward(input: Tensor): Tensor {
    return unflatten(input, this.dim, this.unflattenedSize);
  }
  override extraRepr(): string {
    return `dim=${this.dim}, unflattened_size=${pyVal(this.unflattenedSize)}`;
  }
}
