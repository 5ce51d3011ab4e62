// torch.optim.SGD — PyTorch 1.13's single-tensor implementation (`_single_tensor_sgd`), op by op.

import { ValueError } from "../errors.js";
import { keep } from "../memory.js";
import { add, clone, neg } from "../ops/elementwise.js";
import type { Tensor } from "../tensor.js";
import { axpy, axpy_, scale_ } from "./kernels.js";
import { Optimizer, type ParamGroup, type Params, required } from "./optimizer.js";

export interface SGDOptions {
  /** Learning rate (required here or in every parameter group). */
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
  /** Accepted for PyTorch parity: PyTorch 1.13's multi-tensor implementation computes the same bits. */
  foreach?: boolean | null;
  differentiable?: boolean;
}

export class SGD extends Optimizer {
  constructor(params: Params, opts: SGDOptions = {}) {
    const lr = opts.lr ?? required;
    const momentum = opts.momentum ?? 0;
    const dampening = opts.dampening ?? 0;
    const weightDecay = opts.weightDecay ?? 0;
    const nesterov = opts.nesterov ?? false;
    if (lr !== required && lr < 0.0) throw new ValueError("SGD", `Invalid learning rate: ${lr}`);
    if (momentum < 0.0) throw new ValueError("SGD", `Invalid momentum value: ${momentum}`);
    if (weightDecay < 0.0) throw new ValueError("SGD", `Invalid weight_decay value: ${weightDecay}`);
    if (opts.differentiable) throw new ValueError("SGD", "differentiable=True is not supported by lockstep");
    if (nesterov && (momentum <= 0 || dampening !== 0))
      throw new ValueError("SGD", "Nesterov momentum requires a momentum and zero dampening");
    super(params, {
      lr,
      momentum,
      dampening,
      weightDecay,
      nesterov,
      maximize: opts.maximize ?? false,
      foreach: opts.foreach ?? null,
      differentiable: false,
    });
  }

  protected override _setState(): void {
    super._setState();
    for (const g of this.paramGroups) {
      g.nesterov ??= false;
      g.maximize ??= false;
      if (!("foreach" in g)) g.foreach = null;
      g.differentiable ??= false;
    }
  }

  protected _updateGroup(group: ParamGroup): void {
    const weightDecay = group.weightDecay as number;
    const momentum = group.momentum as number;
    const dampening = group.dampening as number;
    const nesterov = group.nesterov as boolean;
    const maximize = group.maximize as boolean;
    const lr = group.lr;
    for (const p of group.params) {
      if (!p.grad) continue;
      const state = this._stateOf(p);
      let buf = (state.momentumBuffer ?? null) as Tensor | null;
      let dp: Tensor = maximize ? neg(p.grad) : p.grad;
      if (weightDecay !== 0) dp = add(dp, p, { alpha: weightDecay });
      if (momentum !== 0) {
        if (buf === null) buf = keep(clone(dp));
        else axpy_(scale_(buf, momentum), dp, 1 - dampening);
        // (foreach=True adds in place, into .grad itself when there is no decay or maximize, as PyTorch's multi-tensor SGD)
        if (nesterov) dp = group.foreach === true ? axpy_(dp, buf, momentum) : axpy(dp, buf, momentum);
        else dp = buf;
      }
      axpy_(p, dp, -lr);
      state.momentumBuffer = buf;
    }
  }
}
