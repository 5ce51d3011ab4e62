// torch.optim.Adadelta — PyTorch 1.13's single-tensor implementation (`_single_tensor_adadelta`).

import { ValueError } from "../errors.js";
import { keep } from "../memory.js";
import { zerosLike } from "../ops/creation.js";
import { add, neg } from "../ops/elementwise.js";
import type { Tensor } from "../tensor.js";
import { addcmul_, axpy_ } from "./kernels.js";
import { Optimizer, type ParamGroup, type Params } from "./optimizer.js";

export interface AdadeltaOptions {
  lr?: number;
  rho?: number;
  eps?: number;
  weightDecay?: number;
  /** Accepted for PyTorch parity: PyTorch 1.13's multi-tensor implementation computes the same bits. */
  foreach?: boolean | null;
  maximize?: boolean;
}

export class Adadelta extends Optimizer {
  constructor(params: Params, opts: AdadeltaOptions = {}) {
    const lr = opts.lr ?? 1.0;
    const rho = opts.rho ?? 0.9;
    const eps = opts.eps ?? 1e-6;
    const weightDecay = opts.weightDecay ?? 0;
    if (!(0.0 <= lr)) throw new ValueError("Adadelta", `Invalid learning rate: ${lr}`);
    if (!(0.0 <= rho && rho <= 1.0)) throw new ValueError("Adadelta", `Invalid rho value: ${rho}`);
    if (!(0.0 <= eps)) throw new ValueError("Adadelta", `Invalid epsilon value: ${eps}`);
    if (!(0.0 <= weightDecay)) throw new ValueError("Adadelta", `Invalid weight_decay value: ${weightDecay}`);
    super(params, { lr, rho, eps, weightDecay, maximize: opts.maximize ?? false, foreach: opts.foreach ?? null });
  }

  protected override _setState(): void {
    super._setState();
    for (const g of this.paramGroups) {
      if (!("foreach" in g)) g.foreach = null;
      g.maximize ??= false;
    }
  }

  protected _updateGroup(group: ParamGroup): void {
    const lr = group.lr;
    const rho = group.rho as number;
    const eps = group.eps as number;
    const weightDecay = group.weightDecay as number;
    for (const p of group.params) {
      if (!p.grad) continue;
      const state = this._stateOf(p);
      if (Object.keys(state).length === 0) {
        state.step = 0;
        state.squareAvg = keep(zerosLike(p));
        state.accDelta = keep(zerosLike(p));
      }
      state.step = (state.step as number) + 1;
      const squareAvg = state.squareAvg as Tensor;
      const accDelta = state.accDelta as Tensor;
      let grad = group.maximize ? neg(p.grad) : p.grad;
      // (foreach=True adds the decay into .grad in place, as PyTorch's multi-tensor Adadelta does)
      if (weightDecay !== 0)
        grad = group.foreach === true ? grad.add_(p, { alpha: weightDecay }) : add(grad, p, { alpha: weightDecay });
      addcmul_(squareAvg.mul_(rho), grad, grad, 1 - rho);
      const std = add(squareAvg, eps).sqrt_();
      const delta = add(accDelta, eps).sqrt_().div_(std).mul_(grad);
      addcmul_(accDelta.mul_(rho), delta, delta, 1 - rho);
      axpy_(p, delta, -lr);
    }
  }
}
