// Activation layers (torch.nn.modules.activation): ReLU, LeakyReLU, ELU, GELU, SiLU, Tanh,
// Sigmoid, Softmax, LogSoftmax, Softplus, Hardtanh, ReLU6, LogSigmoid.
import { ValueError } from "../../errors.js";
import { relu, relu_, sigmoid, silu, softplus, tanh } from "../../ops/elementwise.js";
import { gelu } from "../../ops/gelu.js";
import { logSoftmax, softmax } from "../../ops/reduce.js";
import type { Tensor } from "../../tensor.js";
import { elu, hardtanh, leakyRelu, logsigmoid } from "../functional_extra.js";
import { Module } from "../module.js";
import { pyFloat, pyNum, pyStr, pyVal } from "./util.js";

const inplaceStr = (inplace: boolean): string => (inplace ? ", inplace=True" : "");

export class ReLU extends Module {
  readonly inplace: boolean;
  constructor(inplace = false) {
    super();
    this.inplace = inplace;
  }
  override forward(input: Tensor): Tensor {
    return this.inplace ? relu_(input) : relu(input);
  }
  override extraRepr(): string {
    return this.inplace ? "inplace=True" : "";
  }
}

export class LeakyReLU extends Module {
  readonly negativeSlope: number;
  readonly inplace: boolean;
  constructor(negativeSlope = 0.01, inplace = false) {
    super();
    this.negativeSlope = negativeSlope;
    this.inplace = inplace;
  }
  override forward(input: Tensor): Tensor {
    return leakyRelu(input, this.negativeSlope, this.inplace);
  }
  override extraRepr(): string {
    return `negative_slope=${pyFloat(this.negativeSlope)}${inplaceStr(this.inplace)}`;
  }
}

export class ELU extends Module {
  readonly alpha: number;
  readonly inplace: boolean;
  constructor(alpha = 1.0, inplace = false) {
    super();
    this.alpha = alpha;
    this.inplace = inplace;
  }
  override forward(input: Tensor): Tensor {
    return elu(input, this.alpha, this.inplace);
  }
  override extraRepr(): string {
    return `alpha=${pyFloat(this.alpha)}${inplaceStr(this.inplace)}`;
  }
}

export class GELU extends Module {
  readonly approximate: "none" | "tanh";
  constructor(approximate: "none" | "tanh" | { approximate?: "none" | "tanh" } = "none") {
    super();
    const a = typeof approximate === "object" ? (approximate.approximate ?? "none") : approximate;
    if (a !== "none" && a !== "tanh")
      throw new ValueError("GELU", `approximate argument must be either none or tanh, got '${a}'`);
    this.approximate = a;
  }
  override forward(input: Tensor): Tensor {
    return gelu(input, { approximate: this.approximate });
  }
  override extraRepr(): string {
    return `approximate=${pyStr(this.approximate)}`;
  }
}

export class SiLU extends Module {
  readonly inplace: boolean;
  constructor(inplace = false) {
    super();
    this.inplace = inplace;
  }
  override forward(input: Tensor): Tensor {
    const y = silu(input);
    return this.inplace ? input.copy_(y) : y;
  }
  override extraRepr(): string {
    return this.inplace ? "inplace=True" : "";
  }
}

export class Tanh extends Module {
  override forward(input: Tensor): Tensor {
    return tanh(input);
  }
}

export class Sigmoid extends Module {
  override forward(input: Tensor): Tensor {
    return sigmoid(input);
  }
}

export class LogSigmoid extends Module {
  override forward(input: Tensor): Tensor {
    return logsigmoid(input);
  }
}

/** PyTorch's _get_softmax_dim for dim=None (legacy implicit dim). */
const implicitDim = (ndim: number): number => (ndim === 0 || ndim === 1 || ndim === 3 ? 0 : 1);

export class Softmax extends Module {
  readonly dim: number | null;
  constructor(dim: number | null = null) {
    super();
    this.dim = dim;
  }
  override forward(input: Tensor): Tensor {
    return softmax(input, this.dim ?? implicitDim(input.ndim));
  }
  override extraRepr(): string {
    return `dim=${pyVal(this.dim)}`;
  }
}

export class LogSoftmax extends Module {
  readonly dim: number | null;
  constructor(dim: number | null = null) {
    super();
    this.dim = dim;
  }
  override forward(input: Tensor): Tensor {
    return logSoftmax(input, this.dim ?? implicitDim(input.ndim));
  }
  override extraRepr(): string {
    return `dim=${pyVal(this.dim)}`;
  }
}

export class Softplus extends Module {
  readonly beta: number;
  readonly threshold: number;
  constructor(beta = 1, threshold = 20) {
    super();
    this.beta = beta;
    this.threshold = threshold;
  }
  override forward(input: Tensor): Tensor {
    return softplus(input, { beta: this.beta, threshold: this.threshold });
  }
  override extraRepr(): string {
    return `beta=${pyNum(this.beta)}, threshold=${pyNum(this.threshold)}`;
  }
}

export class Hardtanh extends Module {
  readonly minVal: number;
  readonly maxVal: number;
  readonly inplace: boolean;
  constructor(minVal = -1.0, maxVal = 1.0, inplace = false) {
    super();
    if (maxVal <= minVal) throw new ValueError("Hardtanh", `max_val (${maxVal}) must be greater than min_val (${minVal})`);
    this.minVal = minVal;
    this.maxVal = maxVal;
    this.inplace = inplace;
  }
  override forward(input: Tensor): Tensor {
    return hardtanh(input, this.minVal, this.maxVal, this.inplace);
  }
  override extraRepr(): string {
    return `min_val=${pyFloat(this.minVal)}, max_val=${pyFloat(this.maxVal)}${inplaceStr(this.inplace)}`;
  }
}

/** ReLU6 = Hardtanh(0, 6); PyTorch prints it as ReLU6() (or ReLU6(inplace=True)). */
export class ReLU6 extends Hardtanh {
  constructor(inplace = false) {
    super(0, 6, inplace);
  }
  override extraRepr(): string {
    return this.inplace ? "inplace=True" : "";
  }
}
