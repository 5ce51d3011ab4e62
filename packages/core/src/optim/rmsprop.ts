// torch.optim.RMSprop — PyTorch 1.13's single-tensor implementation (`_single_tensor_rmsprop`).

import { ValueError } from "../errors.js";
import { keep } from "../memory.js";
import { zerosLike } from "../ops/creation.js";
import { add, neg, sqrt } from "../ops/elementwise.js";
import type { Tensor } from "../tensor.js";
import { addcdiv_, addcmul, addcmul_, axpy_, scale_ } from "./kernels.js";
import { Optimizer, type ParamGroup, type Params } from "./optimizer.js";

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
  /** Accepted for PyTorch parity: PyTorch 1.13's multi-tensor implementation computes the same bits. */
  foreach?: boolean | null;
  maximize?: boolean;
  differentiable?: boolean;
}

export class RMSprop extends Optimizer {
  constructor(params: Params, opts: RMSpropOptions = {}) {
    const lr = opts.lr ?? 1e-2;
    const alpha = opts.alpha ?? 0.99;
    const eps = opts.eps ?? 1e-8;
    const weightDecay = opts.weightDecay ?? 0;
    const momentum = opts.momentum ?? 0;
    if (!(0.0 <= lr)) throw new ValueError("RMSprop", `Invalid learning rate: ${lr}`);
    if (!(0.0 <= eps)) throw new ValueError("RMSprop", `Invalid epsilon value: ${eps}`);
    if (!(0.0 <= momentum)) throw new ValueError("RMSprop", `Invalid momentum value: ${momentum}`);
    if (!(0.0 <= weightDecay)) throw new ValueError("RMSprop", `Invalid weight_decay value: ${weightDecay}`);
    if (!(0.0 <= alpha)) throw new ValueError("RMSprop", `Invalid alpha value: ${alpha}`);
    if (opts.differentiable) throw new ValueError("RMSprop", "differentiable=True is not supported by lockstep");
    super(params, {
      lr,
      momentum,
      alpha,
      eps,
      centered: opts.centered ?? false,
      weightDecay,
      foreach: opts.foreach ?? null,
      maximize: opts.maximize ?? false,
      differentiable: false,
    });
  }

  protected override _setState(): void {
    super._setState();
    for (const g of this.paramGroups) {
      g.momentum ??= 0;
      g.centered ??= false;
      if (!("foreach" in g)) g.foreach = null;
      g.maximize ??= false;
      g.differentiable ??= false;
    }
  }

  protected _updateGroup(group: ParamGroup): void {
    const lr = group.lr;
    const alpha = group.alpha as number;
    const eps = group.eps as number;
    const weightDecay = group.weightDecay as number;
    const momentum = group.momentum as number;
    const centered = group.centered as boolean;
    for (const p of group.params) {
      if (!p.grad) continue;
      const state = this._stateOf(p);
      if (Object.keys(state).length === 0) {
        state.step = 0;
        state.squareAvg = keep(zerosLike(p));
        if (momentum > 0) state.momentumBuffer = keep(zerosLike(p));
        if (centered) state.gradAvg = keep(zerosLike(p));
      }
      state.step = (state.step as number) + 1;
      let grad = group.maximize ? neg(p.grad) : p.grad;
      const squareAvg = state.squareAvg as Tensor;
      // (foreach=True adds the decay into .grad in place, as PyTorch's multi-tensor RMSprop does)
      if (weightDecay !== 0)
        grad = group.foreach === true ? grad.add_(p, { alpha: weightDecay }) : add(grad, p, { alpha: weightDecay });
      addcmul_(squareAvg.mul_(alpha), grad, grad, 1 - alpha);
      let avg: Tensor;
      if (centered) {
        const gradAvg = state.gradAvg as Tensor;
        gradAvg.mul_(alpha).add_(grad, { alpha: 1 - alpha });
        avg = addcmul(squareAvg, gradAvg, gradAvg, -1).sqrt_();
      } else avg = sqrt(squareAvg);
      avg = avg.add_(eps);
      if (momentum > 0) {
        const buf = state.momentumBuffer as Tensor;
        addcdiv_(scale_(buf, momentum), grad, avg);
        axpy_(p, buf, -lr);
      } else addcdiv_(p, grad, avg, -lr);
    }
  }
}
