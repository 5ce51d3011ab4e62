// torch.optim.Adagrad — PyTorch 1.13's single-tensor implementation (`_single_tensor_adagrad`,
// dense gradients). State is created at construction, as in PyTorch.

import { ValueError } from "../errors.js";
import { keep } from "../memory.js";
import { to } from "../ops/convert.js";
import { full, fullLike } from "../ops/creation.js";
import { add, div, mul, neg, reciprocal, sqrt, sub } from "../ops/elementwise.js";
import type { Tensor } from "../tensor.js";
import { addcdiv_, addcmul_, scale_ } from "./kernels.js";
import { Optimizer, type ParamGroup, type Params } from "./optimizer.js";

export interface AdagradOptions {
  lr?: number;
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
  /** true: PyTorch's multi-tensor implementation's numerics (they differ when lrDecay ≠ 0). */
  foreach?: boolean | null;
  maximize?: boolean;
}

export class Adagrad extends Optimizer {
  constructor(params: Params, opts: AdagradOptions = {}) {
    const lr = opts.lr ?? 1e-2;
    const lrDecay = opts.lrDecay ?? 0;
    const weightDecay = opts.weightDecay ?? 0;
    const initialAccumulatorValue = opts.initialAccumulatorValue ?? 0;
    const eps = opts.eps ?? 1e-10;
    if (!(0.0 <= lr)) throw new ValueError("Adagrad", `Invalid learning rate: ${lr}`);
    if (!(0.0 <= lrDecay)) throw new ValueError("Adagrad", `Invalid lr_decay value: ${lrDecay}`);
    if (!(0.0 <= weightDecay)) throw new ValueError("Adagrad", `Invalid weight_decay value: ${weightDecay}`);
    if (!(0.0 <= initialAccumulatorValue))
      throw new ValueError("Adagrad", `Invalid initial_accumulator_value value: ${initialAccumulatorValue}`);
    if (!(0.0 <= eps)) throw new ValueError("Adagrad", `Invalid epsilon value: ${eps}`);
    super(params, {
      lr,
      lrDecay,
      eps,
      weightDecay,
      initialAccumulatorValue,
      foreach: opts.foreach ?? null,
      maximize: opts.maximize ?? false,
    });
    for (const group of this.paramGroups)
      for (const p of group.params) {
        const state = this._stateOf(p);
        state.step = keep(full([], 0, { dtype: "float32" }));
        state.sum = keep(fullLike(p, group.initialAccumulatorValue as number));
      }
  }

  protected override _setState(): void {
    super._setState();
    for (const g of this.paramGroups) {
      if (!("foreach" in g)) g.foreach = null;
      g.maximize ??= false;
    }
    for (const s of this.state.values()) if (typeof s.step === "number") s.step = keep(full([], s.step, { dtype: "float32" }));
  }

  protected _updateGroup(group: ParamGroup): void {
    const lr = group.lr;
    const weightDecay = group.weightDecay as number;
    const lrDecay = group.lrDecay as number;
    const eps = group.eps as number;
    if (group.foreach === true) {
      this._updateGroupForeach(group);
      return;
    }
    for (const p of group.params) {
      if (!p.grad) continue;
      const state = this._stateOf(p);
      if (!state.sum)
        throw new ValueError(
          "Adagrad",
          "KeyError: 'sum' — Adagrad creates its state when it is constructed, so parameters added later with addParamGroup have none (PyTorch 1.13 fails the same way); construct a new Adagrad instead",
        );
      const stateSum = state.sum as Tensor;
      const stepT = state.step as Tensor;
      stepT.add_(1);
      const step = stepT.itemSync() as number;
      let grad = group.maximize ? neg(p.grad) : p.grad;
      if (weightDecay !== 0) grad = add(grad, p, { alpha: weightDecay });
      const clr = lr / (1 + (step - 1) * lrDecay);
      addcmul_(stateSum, grad, grad, 1);
      const std = sqrt(stateSum).add_(eps);
      addcdiv_(p, grad, std, -clr);
    }
  }

  /**
   * PyTorch's `_multi_tensor_adagrad` (foreach=True), whose numerics differ when lrDecay ≠ 0: the
   * decayed rate is computed from the float32 `step` tensor (`-lr / (1 + (step - 1) * lr_decay)` =
   * reciprocal(...) * -lr in float32). With weightDecay it also adds the decay into `.grad` in place,
   * as PyTorch 1.13 does.
   */
  private _updateGroupForeach(group: ParamGroup): void {
    const { lr } = group;
    const weightDecay = group.weightDecay as number;
    const lrDecay = group.lrDecay as number;
    const eps = group.eps as number;
    for (const p of group.params) {
      if (!p.grad) continue;
      const state = this._stateOf(p);
      if (!state.sum) throw new ValueError("Adagrad", "KeyError: 'sum' (state is created at construction)");
      const grad = group.maximize ? neg(p.grad) : p.grad;
      const stepT = (state.step as Tensor).add_(1);
      if (weightDecay !== 0) grad.add_(p, { alpha: weightDecay });
      const minusClr = scale_(reciprocal(add(mul(sub(stepT, 1), lrDecay), 1)), -lr);
      addcmul_(state.sum as Tensor, grad, grad, 1);
      const std = add(sqrt(state.sum as Tensor), eps);
      // (step lives on the CPU, as in PyTorch; the factor joins the gradient's device)
      p.add_(div(mul(grad, minusClr.device === grad.device ? minusClr : to(minusClr, grad.device)), std));
    }
  }
}
