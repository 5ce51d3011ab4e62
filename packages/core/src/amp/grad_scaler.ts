// torch.amp.GradScaler: dynamic loss scaling, as PyTorch 1.13's torch.cuda.amp.GradScaler
// (torch/cuda/amp/grad_scaler.py), on every device.
//
// The scale (float32) and growth tracker (int32) are one-element tensors on the device of the first
// scaled output, as in PyTorch. The two kernels PyTorch runs on them are reproduced exactly:
// - _amp_foreach_non_finite_check_and_unscale_(grads, found_inf, inv_scale): found_inf := 1 if any
//   gradient element is inf/NaN (checked before unscaling); every gradient is multiplied in place by
//   the float32 inverse scale, in float32 for 16-bit gradients (rounded once back), in float64 for
//   float64 ones.
// - _amp_update_scale_(scale, growth_tracker, found_inf, growth, backoff, interval): on inf/NaN,
//   scale := float32(scale · backoff) (product in float64) and tracker := 0; otherwise tracker + 1,
//   and when it reaches the interval, scale := float32(scale · growth) if that is finite, tracker := 0.
// Both run as tensor ops (no readback). `step` must read found_inf to decide whether to call
// optimizer.step(): synchronously on devices with synchronous readback (the reference), or
// `await scaler.stepAsync(optimizer)` elsewhere.

import { noGrad } from "../autograd/graph.js";
import { ValueError } from "../errors.js";
import { to } from "../ops/convert.js";
import { full } from "../ops/creation.js";
import {
  add,
  copy_,
  eq,
  fill_,
  isfinite,
  logicalAnd,
  logicalNot,
  logicalOr,
  mul,
  mul_,
  ne,
  reciprocal,
  where,
} from "../ops/elementwise.js";
import { any } from "../ops/reduce.js";
import { Tensor } from "../tensor.js";

/** What GradScaler needs from an optimizer (lockstep's optim classes and PyTorch-like ones fit). */
export interface ScalableOptimizer {
  paramGroups: { params: Tensor[] }[];
  step(...args: any[]): unknown;
}

/** A nested structure of tensors (what `scale` accepts): a tensor, or arrays/iterables of them. */
export type ScaleOutputs = Tensor | Iterable<ScaleOutputs>;

export interface GradScalerOptions {
  /** initial scale factor; default 2**16 */
  initScale?: number;
  /** multiplies the scale after `growthInterval` consecutive steps without inf/NaN; default 2.0 (must be > 1) */
  growthFactor?: number;
  /** multiplies the scale after a step with inf/NaN gradients; default 0.5 (must be < 1) */
  backoffFactor?: number;
  /** default 2000 */
  growthInterval?: number;
  /** if false, `scale`/`unscale_`/`update` do nothing and `step` just calls optimizer.step(); default true */
  enabled?: boolean;
}

/** PyTorch's GradScaler.state_dict() keys. */
export interface GradScalerState {
  scale: number;
  growth_factor: number;
  backoff_factor: number;
  growth_interval: number;
  _growth_tracker: number;
}

export enum OptState {
  READY = 0,
  UNSCALED = 1,
  STEPPED = 2,
}

interface PerOptimizerState {
  stage: OptState;
  foundInfPerDevice: Map<string, Tensor>;
}
const freshState = (): PerOptimizerState => ({ stage: OptState.READY, foundInfPerDevice: new Map() });

/** Lazily serves copies of a tensor to requested devices (PyTorch's _MultiDeviceReplicator). */
class MultiDeviceReplicator {
  readonly perDevice = new Map<string, Tensor>();
  constructor(readonly master: Tensor) {}
  get(device: string): Tensor {
    let t = this.perDevice.get(device);
    if (!t) {
      t = device === this.master.device ? this.master.clone() : to(this.master, device);
      this.perDevice.set(device, t);
    }
    return t;
  }
}

/**
 * torch._amp_foreach_non_finite_check_and_unscale_: sets foundInf (float32, one element) to 1 if any
 * element of any grad is inf or NaN, then multiplies every grad in place by invScale (float32, one element).
 */
export function _ampForeachNonFiniteCheckAndUnscale_(grads: Tensor[], foundInf: Tensor, invScale: Tensor): void {
  if (foundInf.numel() !== 1 || foundInf.dtype !== "float32")
    throw new ValueError("_amp_foreach_non_finite_check_and_unscale_", "found_inf must be a 1-element float tensor.");
  if (invScale.numel() !== 1 || invScale.dtype !== "float32")
    throw new ValueError("_amp_foreach_non_finite_check_and_unscale_", "inv_scale must be a 1-element float tensor.");
  noGrad(() => {
    for (const g of grads) {
      const bad = any(logicalNot(isfinite(g)));
      copy_(foundInf, where(bad, 1, foundInf));
      // opmath: float32 for float32/float16/bfloat16 gradients (rounded once back), float64 for float64.
      if (g.dtype === "float32" || g.dtype === "float64") mul_(g, invScale);
      else copy_(g, mul(to(g, "float32"), invScale));
    }
  });
}

/** float32(t · factor) with the product in float64, as the CUDA kernel's `float * double`. */
function scaleBy(t: Tensor, factor: number): Tensor {
  // A product of two float32 values is exact in float64, so one float32 rounding gives the same bits.
  if (Math.fround(factor) === factor) return mul(t, factor);
  return to(mul(to(t, "float64"), factor), "float32");
}

/**
 * torch._amp_update_scale_: updates scale (float32, one element) and growthTracker (int32, one
 * element) in place from foundInf, as PyTorch's kernel. Returns scale.
 */
export function _ampUpdateScale_(
  scale: Tensor,
  growthTracker: Tensor,
  foundInf: Tensor,
  growthFactor: number,
  backoffFactor: number,
  growthInterval: number,
): Tensor {
  const op = "_amp_update_scale_";
  if (scale.numel() !== 1 || scale.dtype !== "float32")
    throw new ValueError(op, "current_scale must be a 1-element float tensor.");
  if (growthTracker.numel() !== 1 || growthTracker.dtype !== "int32")
    throw new ValueError(op, "growth_tracker must be a 1-element int tensor.");
  if (foundInf.numel() !== 1 || foundInf.dtype !== "float32")
    throw new ValueError(op, "found_inf must be a 1-element float tensor.");
  noGrad(() => {
    const found = ne(foundInf, 0); // C truthiness: NaN counts as found
    const successful = add(growthTracker, 1);
    const grow = logicalAnd(logicalNot(found), eq(successful, growthInterval));
    const grown = scaleBy(scale, growthFactor);
    const kept = where(logicalAnd(grow, isfinite(grown)), grown, scale);
    const newScale = where(found, scaleBy(scale, backoffFactor), kept);
    const newTracker = where(logicalOr(found, grow), 0, successful);
    copy_(scale, newScale);
    copy_(growthTracker, newTracker);
  });
  return scale;
}

const readNumber = (t: Tensor): number => Number(t.itemSync());

export class GradScaler {
  private _enabled: boolean;
  private _initScale = 2 ** 16;
  private _scale: Tensor | null = null;
  private _growthFactor = 2;
  private _backoffFactor = 0.5;
  private _growthInterval = 2000;
  private _initGrowthTracker = 0;
  private _growthTracker: Tensor | null = null;
  private _perOptimizerStates = new Map<ScalableOptimizer, PerOptimizerState>();

  constructor(opts: GradScalerOptions = {}) {
    const { initScale = 2 ** 16, growthFactor = 2, backoffFactor = 0.5, growthInterval = 2000, enabled = true } = opts;
    this._enabled = enabled;
    if (enabled) {
      if (!(growthFactor > 1)) throw new ValueError("GradScaler", `The growth factor must be > 1.0, got ${growthFactor}`);
      if (!(backoffFactor < 1)) throw new ValueError("GradScaler", `The backoff factor must be < 1.0, got ${backoffFactor}`);
      this._initScale = initScale;
      this._growthFactor = growthFactor;
      this._backoffFactor = backoffFactor;
      this._growthInterval = growthInterval;
    }
  }

  private stateFor(optimizer: ScalableOptimizer): PerOptimizerState {
    let s = this._perOptimizerStates.get(optimizer);
    if (!s) this._perOptimizerStates.set(optimizer, (s = freshState()));
    return s;
  }

  private checkScaleGrowthTracker(funcname: string): [Tensor, Tensor] {
    const fix = "This may indicate your script did not use scaler.scale(loss or outputs) earlier in the iteration.";
    if (!this._scale) throw new ValueError(funcname, `Attempted ${funcname} but _scale is None.  ${fix}`);
    if (!this._growthTracker) throw new ValueError(funcname, `Attempted ${funcname} but _growth_tracker is None.  ${fix}`);
    return [this._scale, this._growthTracker];
  }

  private lazyInitScaleGrowthTracker(device: string): void {
    this._scale = full([1], this._initScale, { dtype: "float32", device });
    this._growthTracker = full([1], this._initGrowthTracker, { dtype: "int32", device });
  }

  /** Multiplies a tensor, or a nested array/iterable of tensors, by the scale factor (returns the same structure). */
  scale(outputs: Tensor): Tensor;
  scale(outputs: Tensor[]): Tensor[];
  scale(outputs: ScaleOutputs): ScaleOutputs;
  scale(outputs: ScaleOutputs): ScaleOutputs {
    if (!this._enabled) return outputs;
    if (outputs instanceof Tensor) {
      if (!this._scale) this.lazyInitScaleGrowthTracker(outputs.device);
      const s = this._scale as Tensor;
      return mul(outputs, s.device === outputs.device ? s : to(s, outputs.device));
    }
    let stash: MultiDeviceReplicator | null = null;
    const applyScale = (val: unknown): ScaleOutputs => {
      if (val instanceof Tensor) {
        if (!stash) {
          if (!this._scale) this.lazyInitScaleGrowthTracker(val.device);
          stash = new MultiDeviceReplicator(this._scale as Tensor);
        }
        return mul(val, stash.get(val.device));
      }
      if (Array.isArray(val)) return val.map(applyScale);
      if (val !== null && typeof val === "object" && Symbol.iterator in val) {
        const it = val as Iterable<unknown>;
        // Like Python's map(): a lazy iterable for iterables that are not arrays.
        return {
          *[Symbol.iterator]() {
            for (const v of it) yield applyScale(v);
          },
        };
      }
      throw new ValueError("GradScaler.scale", "outputs must be a Tensor or an iterable of Tensors");
    };
    return applyScale(outputs);
  }

  private unscaleGrads(
    optimizer: ScalableOptimizer,
    invScale: Tensor,
    foundInf: Tensor,
    allowFp16: boolean,
  ): Map<string, Tensor> {
    const perDeviceInvScale = new MultiDeviceReplicator(invScale);
    const perDeviceFoundInf = new MultiDeviceReplicator(foundInf);
    // grads grouped by device, then dtype, in first-seen order (as PyTorch's defaultdicts)
    const groups = new Map<string, Map<string, Tensor[]>>();
    for (const group of optimizer.paramGroups)
      for (const param of group.params) {
        const g = param.grad;
        if (!g) continue;
        if (!allowFp16 && g.dtype === "float16")
          throw new ValueError("GradScaler.unscale_", "Attempting to unscale FP16 gradients.");
        let byDtype = groups.get(g.device);
        if (!byDtype) groups.set(g.device, (byDtype = new Map()));
        let list = byDtype.get(g.dtype);
        if (!list) byDtype.set(g.dtype, (list = []));
        list.push(g);
      }
    for (const [device, byDtype] of groups)
      for (const grads of byDtype.values())
        _ampForeachNonFiniteCheckAndUnscale_(grads, perDeviceFoundInf.get(device), perDeviceInvScale.get(device));
    return perDeviceFoundInf.perDevice;
  }

  /**
   * Divides ("unscales") the optimizer's gradients by the scale, in place, and records whether any was
   * inf/NaN. Optional before `step` (e.g. to clip unscaled gradients); at most once per optimizer per step.
   */
  unscale_(optimizer: ScalableOptimizer): void {
    if (!this._enabled) return;
    this.checkScaleGrowthTracker("unscale_");
    const st = this.stateFor(optimizer);
    if (st.stage === OptState.UNSCALED)
      throw new ValueError("unscale_", "unscale_() has already been called on this optimizer since the last update().");
    if (st.stage === OptState.STEPPED) throw new ValueError("unscale_", "unscale_() is being called after step().");
    const scale = this._scale as Tensor;
    // inv_scale = self._scale.double().reciprocal().float()
    const invScale = noGrad(() => to(reciprocal(to(scale, "float64")), "float32"));
    const foundInf = full([1], 0, { dtype: "float32", device: scale.device });
    st.foundInfPerDevice = this.unscaleGrads(optimizer, invScale, foundInf, false);
    st.stage = OptState.UNSCALED;
  }

  private prepareStep(optimizer: ScalableOptimizer): PerOptimizerState {
    this.checkScaleGrowthTracker("step");
    const st = this.stateFor(optimizer);
    if (st.stage === OptState.STEPPED) throw new ValueError("step", "step() has already been called since the last update().");
    if (st.stage === OptState.READY) this.unscale_(optimizer);
    if (st.foundInfPerDevice.size === 0) throw new ValueError("step", "No inf checks were recorded for this optimizer.");
    return st;
  }

  /**
   * Unscales the gradients (unless `unscale_` was called), then calls `optimizer.step(...args)` unless
   * a gradient was inf/NaN. Returns what optimizer.step returned, or undefined when the step was skipped.
   * Needs synchronous readback (the reference backend); elsewhere use `await stepAsync(...)`.
   */
  step(optimizer: ScalableOptimizer, ...args: unknown[]): unknown {
    if (!this._enabled) return optimizer.step(...args);
    const st = this.prepareStep(optimizer);
    let found = 0;
    for (const v of st.foundInfPerDevice.values()) found += readNumber(v);
    const ret = found ? undefined : optimizer.step(...args);
    st.stage = OptState.STEPPED;
    return ret;
  }

  /** `step` for devices whose readback is asynchronous. */
  async stepAsync(optimizer: ScalableOptimizer, ...args: unknown[]): Promise<unknown> {
    if (!this._enabled) return optimizer.step(...args);
    const st = this.prepareStep(optimizer);
    let found = 0;
    for (const v of st.foundInfPerDevice.values()) found += Number(await v.item());
    const ret = found ? undefined : optimizer.step(...args);
    st.stage = OptState.STEPPED;
    return ret;
  }

  /**
   * Updates the scale: backoff if any optimizer step this iteration saw inf/NaN, growth after
   * `growthInterval` clean steps. `newScale` (a number, or a one-element float32 tensor) sets it instead.
   */
  update(newScale?: number | Tensor): void {
    if (!this._enabled) return;
    const [scale, tracker] = this.checkScaleGrowthTracker("update");
    if (newScale !== undefined) {
      if (typeof newScale === "number") fill_(scale, newScale);
      else {
        const reason = "new_scale should be a float or a 1-element float32 tensor with requires_grad=False.";
        if (newScale.dtype !== "float32" || newScale.numel() !== 1 || newScale.requiresGrad)
          throw new ValueError("update", reason);
        noGrad(() => copy_(scale, newScale.reshape([1])));
      }
    } else {
      const foundInfs: Tensor[] = [];
      for (const st of this._perOptimizerStates.values())
        for (const f of st.foundInfPerDevice.values()) foundInfs.push(f.device === scale.device ? f : to(f, scale.device));
      if (foundInfs.length === 0) throw new ValueError("update", "No inf checks were recorded prior to update.");
      let combined = foundInfs[0] as Tensor;
      for (let i = 1; i < foundInfs.length; i++) combined = add(combined, foundInfs[i] as Tensor);
      _ampUpdateScale_(scale, tracker, combined, this._growthFactor, this._backoffFactor, this._growthInterval);
    }
    this._perOptimizerStates = new Map();
  }

  /** The scale tensor itself (PyTorch's _get_scale_async), or null before the first `scale`. */
  _getScaleAsync(): Tensor | null {
    return this._scale;
  }

  /** The current scale as a number (1.0 when disabled). Reads the device synchronously. */
  getScale(): number {
    if (!this._enabled) return 1.0;
    return this._scale ? readNumber(this._scale) : this._initScale;
  }
  getGrowthFactor(): number {
    return this._growthFactor;
  }
  setGrowthFactor(newFactor: number): void {
    this._growthFactor = newFactor;
  }
  getBackoffFactor(): number {
    return this._backoffFactor;
  }
  setBackoffFactor(newFactor: number): void {
    this._backoffFactor = newFactor;
  }
  getGrowthInterval(): number {
    return this._growthInterval;
  }
  setGrowthInterval(newInterval: number): void {
    this._growthInterval = newInterval;
  }
  /** Consecutive unskipped steps since the last growth or backoff. */
  _getGrowthTracker(): number {
    if (!this._enabled) return 0;
    return this._growthTracker ? readNumber(this._growthTracker) : this._initGrowthTracker;
  }
  isEnabled(): boolean {
    return this._enabled;
  }

  /** PyTorch's state_dict(): { scale, growth_factor, backoff_factor, growth_interval, _growth_tracker }, or {} when disabled. */
  stateDict(): GradScalerState | Record<string, never> {
    if (!this._enabled) return {};
    return {
      scale: this.getScale(),
      growth_factor: this._growthFactor,
      backoff_factor: this._backoffFactor,
      growth_interval: this._growthInterval,
      _growth_tracker: this._getGrowthTracker(),
    };
  }

  loadStateDict(stateDict: GradScalerState | Record<string, never>): void {
    if (!this._enabled) return;
    const sd = stateDict as Partial<GradScalerState>;
    if (Object.keys(sd).length === 0)
      throw new ValueError(
        "load_state_dict",
        "The source state dict is empty, possibly because it was saved from a disabled instance of GradScaler.",
      );
    this._initScale = sd.scale as number;
    if (this._scale) fill_(this._scale, sd.scale as number);
    this._growthFactor = sd.growth_factor as number;
    this._backoffFactor = sd.backoff_factor as number;
    this._growthInterval = sd.growth_interval as number;
    this._initGrowthTracker = sd._growth_tracker as number;
    if (this._growthTracker) fill_(this._growthTracker, sd._growth_tracker as number);
  }

  /**
   * Checks the optimizer's gradients for inf/NaN without unscaling them (PyTorch's
   * _check_inf_per_device, for optimizers that handle scaling themselves). Returns found_inf per device.
   */
  _checkInfPerDevice(optimizer: ScalableOptimizer): Map<string, Tensor> {
    const [scale] = this.checkScaleGrowthTracker("_check_inf_per_device");
    const dummyInvScale = full([1], 1, { dtype: "float32", device: scale.device });
    const foundInf = full([1], 0, { dtype: "float32", device: scale.device });
    const st = this.stateFor(optimizer);
    st.foundInfPerDevice = this.unscaleGrads(optimizer, dummyInvScale, foundInf, true);
    return st.foundInfPerDevice;
  }
}
