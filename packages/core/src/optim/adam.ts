// torch.optim.Adam and torch.optim.AdamW — PyTorch 1.13's single-tensor implementations
// (`_single_tensor_adam`, `_single_tensor_adamw`, capturable=False), op by op. The bias corrections
// are Python floats: `beta ** step` is glibc's pow (see libm.ts), `math.sqrt` is correctly rounded.

import { ValueError } from "../errors.js";
import { bin, type Exp, fma, un } from "../ir.js";
import { keep } from "../memory.js";
import { elementwise, fromStorageArray } from "../ops/core.js";
import { encodeValues, full, zerosLike } from "../ops/creation.js";
import { add, neg, sqrt } from "../ops/elementwise.js";
import type { Tensor } from "../tensor.js";
import { addcdiv_, addcmul_, axpy_, divScalar, maximumInto, scale_ } from "./kernels.js";
import { pow } from "./libm.js";
import { Optimizer, type ParamGroup, type ParamState, type Params } from "./optimizer.js";

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
  /** Accepted for PyTorch parity: PyTorch 1.13's multi-tensor implementation computes the same bits. */
  foreach?: boolean | null;
  capturable?: boolean;
  differentiable?: boolean;
  fused?: boolean;
}

function validate(name: string, lr: number, betas: [number, number], eps: number, weightDecay: number, o: AdamOptions): void {
  if (!(0.0 <= lr)) throw new ValueError(name, `Invalid learning rate: ${lr}`);
  if (!(0.0 <= eps)) throw new ValueError(name, `Invalid epsilon value: ${eps}`);
  if (!(0.0 <= betas[0] && betas[0] < 1.0)) throw new ValueError(name, `Invalid beta parameter at index 0: ${betas[0]}`);
  if (!(0.0 <= betas[1] && betas[1] < 1.0)) throw new ValueError(name, `Invalid beta parameter at index 1: ${betas[1]}`);
  if (!(0.0 <= weightDecay)) throw new ValueError(name, `Invalid weight_decay value: ${weightDecay}`);
  if (o.capturable) throw new ValueError(name, "capturable=True (CUDA graphs) is not supported by lockstep");
  if (o.differentiable) throw new ValueError(name, "differentiable=True is not supported by lockstep");
  if (o.fused) throw new ValueError(name, "fused=True (the CUDA fused kernel) is not supported by lockstep");
}

/** `step` is a 0-dim float32 CPU tensor in PyTorch 1.13 (older checkpoints hold a number). */
function stepTensorsOf(opt: Optimizer): void {
  for (const s of opt.state.values()) if (typeof s.step === "number") s.step = keep(full([], s.step, { dtype: "float32" }));
}

function initState(state: ParamState, p: Tensor, amsgrad: boolean): void {
  state.step = keep(full([], 0, { dtype: "float32" }));
  state.expAvg = keep(zerosLike(p));
  state.expAvgSq = keep(zerosLike(p));
  if (amsgrad) state.maxExpAvgSq = keep(zerosLike(p));
}

/**
 * adamUpdate without amsgrad for float32/float64 (whose ops compute in the dtype itself, so that
 * nothing is rounded between them): the same IR operations in the same order as the op-by-op path,
 * fused into three kernels — exp_avg, exp_avg_sq, then the parameter with its denominator inline —
 * instead of eight, with the seven scalars in one small tensor (one host write instead of six).
 */
function adamUpdateFused(
  p: Tensor,
  grad: Tensor,
  expAvg: Tensor,
  expAvgSq: Tensor,
  betas: [number, number],
  eps: number,
  stepSize: number,
  biasCorrection2Sqrt: number,
): void {
  const d = p.dtype;
  const [beta1, beta2] = betas;
  const c = fromStorageArray(
    encodeValues(d, [beta1, 1 - beta1, beta2, 1 - beta2, biasCorrection2Sqrt, eps, -stepSize]),
    [7],
    d,
    p.device,
  );
  const k = (i: number): Tensor => c.select(0, i);
  // exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1): scale_ then axpy_ (fma(grad, α, ·))
  elementwise(
    "adam_exp_avg",
    [expAvg, grad, k(0), k(1)],
    d,
    d,
    ([m, g, b1, a1]) => fma(g as Exp, a1 as Exp, bin("mul", m as Exp, b1 as Exp)),
    expAvg,
  );
  // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2): fma(value·grad, grad, ·)
  elementwise(
    "adam_exp_avg_sq",
    [expAvgSq, grad, k(2), k(3)],
    d,
    d,
    ([v, g, b2, a2]) => fma(bin("mul", a2 as Exp, g as Exp), g as Exp, bin("mul", v as Exp, b2 as Exp)),
    expAvgSq,
  );
  // denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps); param.addcdiv_(exp_avg, denom, value=-step_size)
  elementwise(
    "adam_param",
    [p, expAvg, expAvgSq, k(4), k(5), k(6)],
    d,
    d,
    ([x, m, v, bc2, e, nss]) => {
      const denom = bin("add", bin("div", un("sqrt", v as Exp), bc2 as Exp), e as Exp);
      return bin("add", x as Exp, bin("div", bin("mul", nss as Exp, m as Exp), denom));
    },
    p,
  );
}

/** The shared tail of Adam and AdamW after the decay: moments, bias corrections, update. */
function adamUpdate(p: Tensor, grad: Tensor, state: ParamState, group: ParamGroup, stepT: Tensor): void {
  const [beta1, beta2] = group.betas as [number, number];
  const lr = group.lr;
  const eps = group.eps as number;
  const expAvg = state.expAvg as Tensor;
  const expAvgSq = state.expAvgSq as Tensor;
  const step = stepT.itemSync() as number;
  const biasCorrection1 = 1 - pow(beta1, step);
  const biasCorrection2 = 1 - pow(beta2, step);
  const stepSize = lr / biasCorrection1;
  const biasCorrection2Sqrt = Math.sqrt(biasCorrection2);
  const wide = p.dtype === "float32" || p.dtype === "float64";
  if (!group.amsgrad && wide && grad.dtype === p.dtype) {
    adamUpdateFused(p, grad, expAvg, expAvgSq, [beta1, beta2], eps, stepSize, biasCorrection2Sqrt);
    return;
  }
  axpy_(scale_(expAvg, beta1), grad, 1 - beta1);
  addcmul_(scale_(expAvgSq, beta2), grad, grad, 1 - beta2);
  let denom: Tensor;
  if (group.amsgrad) {
    const maxSq = state.maxExpAvgSq as Tensor;
    maximumInto(maxSq, maxSq, expAvgSq);
    denom = divScalar(sqrt(maxSq), biasCorrection2Sqrt).add_(eps);
  } else denom = divScalar(sqrt(expAvgSq), biasCorrection2Sqrt).add_(eps);
  addcdiv_(p, expAvg, denom, -stepSize);
}

export class Adam extends Optimizer {
  constructor(params: Params, opts: AdamOptions = {}) {
    const lr = opts.lr ?? 1e-3;
    const betas = opts.betas ?? [0.9, 0.999];
    const eps = opts.eps ?? 1e-8;
    const weightDecay = opts.weightDecay ?? 0;
    validate("Adam", lr, betas, eps, weightDecay, opts);
    super(params, {
      lr,
      betas: [...betas],
      eps,
      weightDecay,
      amsgrad: opts.amsgrad ?? false,
      maximize: opts.maximize ?? false,
      foreach: opts.foreach ?? null,
      capturable: false,
      differentiable: false,
      fused: false,
    });
  }

  protected override _setState(): void {
    super._setState();
    stepTensorsOf(this);
  }

  protected _updateGroup(group: ParamGroup): void {
    const weightDecay = group.weightDecay as number;
    for (const p of group.params) {
      if (!p.grad) continue;
      const state = this._stateOf(p);
      if (Object.keys(state).length === 0) initState(state, p, group.amsgrad as boolean);
      let grad = group.maximize ? neg(p.grad) : p.grad;
      const stepT = state.step as Tensor;
      stepT.add_(1);
      // (foreach=True adds the decay into .grad in place, as PyTorch's multi-tensor Adam does)
      if (weightDecay !== 0)
        grad = group.foreach === true ? grad.add_(p, { alpha: weightDecay }) : add(grad, p, { alpha: weightDecay });
      adamUpdate(p, grad, state, group, stepT);
    }
  }
}

export class AdamW extends Optimizer {
  constructor(params: Params, opts: AdamOptions = {}) {
    const lr = opts.lr ?? 1e-3;
    const betas = opts.betas ?? [0.9, 0.999];
    const eps = opts.eps ?? 1e-8;
    const weightDecay = opts.weightDecay ?? 1e-2;
    validate("AdamW", lr, betas, eps, weightDecay, opts);
    super(params, {
      lr,
      betas: [...betas],
      eps,
      weightDecay,
      amsgrad: opts.amsgrad ?? false,
      foreach: opts.foreach ?? null,
      maximize: opts.maximize ?? false,
      capturable: false,
    });
  }

  protected override _setState(): void {
    super._setState();
    stepTensorsOf(this);
  }

  protected _updateGroup(group: ParamGroup): void {
    const weightDecay = group.weightDecay as number;
    for (const p of group.params) {
      if (!p.grad) continue;
      const state = this._stateOf(p);
      if (Object.keys(state).length === 0) initState(state, p, group.amsgrad as boolean);
      const grad = group.maximize ? neg(p.grad) : p.grad;
      const stepT = state.step as Tensor;
      stepT.add_(1);
      scale_(p, 1 - group.lr * weightDecay);
      adamUpdate(p, grad, state, group, stepT);
    }
  }
}
