// Dropout, Dropout1d, Dropout2d (torch.nn.modules.dropout): identity in eval mode; in training a
// mask from the random module (bernoulli_(1 − p), one draw per element or per channel), scaled by 1/(1 − p).
import { ValueError } from "../../errors.js";
import type { Tensor } from "../../tensor.js";
import { dropout, dropout1d, dropout2d } from "../functional_extra.js";
import { Module } from "../module.js";
import { pyBool, pyFloat } from "./util.js";

export interface DropoutOptions {
  p?: number;
  inplace?: boolean;
}

abstract class DropoutNd extends Module {
  readonly p: number;
  readonly inplace: boolean;
  constructor(p: number | DropoutOptions = 0.5, inplace = false) {
    super();
    const o = typeof p === "object" ? p : { p, inplace };
    const prob = o.p ?? 0.5;
    if (!(prob >= 0 && prob <= 1))
      throw new ValueError(this.constructor.name, `dropout probability has to be between 0 and 1, but got ${prob}`);
    this.p = prob;
    this.inplace = o.inplace ?? false;
  }
  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=${pyBool(this.inplace)}`;
  }
}

export class Dropout extends DropoutNd {
  override forward(input: Tensor): Tensor {
    return dropout(input, this.p, this.training, this.inplace);
  }
}
export class Dropout1d extends DropoutNd {
  override forward(input: Tensor): Tensor {
    return dropout1d(input, this.p, this.training, this.inplace);
  }
}
export class Dropout2d extends DropoutNd {
  override forward(input: Tensor): Tensor {
    return dropout2d(input, this.p, this.training, this.inplace);
  }
}
