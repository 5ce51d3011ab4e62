// torch.optim.lr_scheduler (PyTorch 1.13) as optim.lrScheduler. Learning rates are JS doubles
// computed with PyTorch's formulas in PyTorch's order — the recursive ("chainable") forms where
// get_lr() uses them, the closed forms where step(epoch) does — so every value equals the Python
// float PyTorch computes. Python's `**`, math.cos and math.log are glibc's, ported in libm.ts.
//
// Constructors take PyTorch's arguments either positionally, in PyTorch's order, or as one options
// object with camelCased names: `new StepLR(opt, 30, 0.1)` or `new StepLR(opt, { stepSize: 30, gamma: 0.1 })`.
// State dicts use PyTorch's attribute names (`last_epoch`, `base_lrs`, `T_max`, ...).

import { ValueError } from "../errors.js";
import { Tensor } from "../tensor.js";
import { cos, pyLog, pyPow } from "./libm.js";
import { type Optimizer, type ParamGroup, snakeToCamel, _emitWarning as warn } from "./optimizer.js";

const EPOCH_DEPRECATION_WARNING =
  "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where possible. " +
  "Please use `scheduler.step()` to step the scheduler. During the deprecation, if epoch is different from None, " +
  "the closed form is used instead of the new chainable form, where available. Please open an issue if you are " +
  "unable to replicate your use case: https://github.com/pytorch/pytorch/issues/new/choose.";
const GET_LAST_LR_WARNING = "To get the last learning rate computed by the scheduler, please use `get_last_lr()`.";

const isPlainObject = (x: unknown): x is Record<string, unknown> =>
  x !== null && typeof x === "object" && !Array.isArray(x) && Object.getPrototypeOf(x) === Object.prototype;

/** Positional arguments (PyTorch's order) or one options object → options. */
function options<T>(args: unknown[], names: readonly (keyof T & string)[]): Partial<T> {
  if (args.length === 1 && isPlainObject(args[0])) return args[0] as Partial<T>;
  const o: Record<string, unknown> = {};
  names.forEach((n, i) => {
    if (args[i] !== undefined) o[n] = args[i];
  });
  return o as Partial<T>;
}

/** JS property name → PyTorch attribute name in state dicts. */
const SPECIAL_KEYS: Record<string, string> = { TMax: "T_max", T0: "T_0", TI: "T_i", TMult: "T_mult", TCur: "T_cur" };
const PY_TO_JS: Record<string, string> = Object.fromEntries(Object.entries(SPECIAL_KEYS).map(([k, v]) => [v, k]));
const toPyKey = (k: string): string => SPECIAL_KEYS[k] ?? k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const toJsKey = (k: string): string => PY_TO_JS[k] ?? (k.startsWith("_") ? `_${snakeToCamel(k.slice(1))}` : snakeToCamel(k));

/** Python's int ** int for small non-negative exponents (exact). */
function ipow(b: number, n: number): number {
  let r = 1;
  for (let i = 0; i < n; i++) r *= b;
  return r;
}

/** Python's "{:.4e}" format. */
function fmtE4(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  const [m, e] = x.toExponential(4).split("e") as [string, string];
  const n = Number(e);
  return `${m}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
}

/** Python's bisect.bisect_right on a sorted array. */
function bisectRight(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < (a[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

type StateDict = Record<string, unknown>;

/** Fields that are not part of state dicts (besides the optimizer). */
const NOT_STATE = new Set(["optimizer"]);

/** Base class of the epoch-based schedulers (PyTorch 1.13's `_LRScheduler`). */
export abstract class LRScheduler {
  optimizer: Optimizer;
  baseLrs: number[] = [];
  lastEpoch = -1;
  verbose = false;
  /** @internal */ _stepCount = 0;
  /** @internal */ _getLrCalledWithinStep = false;
  /** @internal */ _lastLr: number[] = [];

  constructor(optimizer: Optimizer) {
    if (optimizer === null || typeof optimizer !== "object" || !("paramGroups" in optimizer))
      throw new TypeError(`${String(optimizer)} is not an Optimizer`);
    this.optimizer = optimizer;
  }

  /** @internal the body of PyTorch's `_LRScheduler.__init__` (subclasses call it last). */
  protected _attach(lastEpoch = -1, verbose = false): void {
    const groups = this.optimizer.paramGroups;
    if (lastEpoch === -1) {
      for (const g of groups) if (!("initialLr" in g)) g.initialLr = g.lr;
    } else {
      groups.forEach((g, i) => {
        if (!("initialLr" in g))
          throw new ValueError(
            this.constructor.name,
            `param 'initial_lr' is not specified in param_groups[${i}] when resuming an optimizer`,
          );
      });
    }
    this.baseLrs = groups.map((g) => g.initialLr as number);
    this.lastEpoch = lastEpoch;
    this.verbose = verbose;
    this._initialStep();
  }

  /** @internal reset step counts and take the initial step. */
  _initialStep(): void {
    this.optimizer._stepCount = 0;
    this._stepCount = 0;
    this.step();
  }

  /** The learning rates of the last step, one per parameter group. */
  getLastLr(): number[] {
    return this._lastLr;
  }

  /** The chainable form: next learning rates from the current ones (call step() instead). */
  abstract getLr(): number[];

  /** @internal PyTorch's `get_lr` warning when called outside step(). */
  protected _warnGetLr(): void {
    if (!this._getLrCalledWithinStep) warn(GET_LAST_LR_WARNING);
  }

  /** The closed form, used by step(epoch); schedulers without one return null. */
  protected _getClosedFormLr(): number[] | null {
    return null;
  }

  printLr(isVerbose: boolean, group: number, lr: number, epoch?: number): void {
    if (!isVerbose) return;
    if (epoch === undefined) console.log(`Adjusting learning rate of group ${group} to ${fmtE4(lr)}.`);
    else {
      const e = Number.isInteger(epoch) ? `${epoch < 0 ? "-" : ""}${String(Math.abs(epoch)).padStart(5, "0")}` : epoch.toFixed(2);
      console.log(`Epoch ${e}: adjusting learning rate of group ${group} to ${fmtE4(lr)}.`);
    }
  }

  step(epoch?: number): void {
    if (this._stepCount === 1 && this.optimizer._stepCount < 1)
      warn(
        "Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 and later, you should call them in the opposite order: `optimizer.step()` before `lr_scheduler.step()`.  Failure to do this will result in PyTorch skipping the first value of the learning rate schedule. See more details at https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate",
      );
    this._stepCount++;
    let values: number[];
    this._getLrCalledWithinStep = true;
    try {
      if (epoch === undefined) {
        this.lastEpoch++;
        values = this.getLr();
      } else {
        warn(EPOCH_DEPRECATION_WARNING);
        this.lastEpoch = epoch;
        values = this._getClosedFormLr() ?? this.getLr();
      }
    } finally {
      this._getLrCalledWithinStep = false;
    }
    const groups = this.optimizer.paramGroups;
    const n = Math.min(groups.length, values.length);
    for (let i = 0; i < n; i++) {
      (groups[i] as ParamGroup).lr = values[i] as number;
      this.printLr(this.verbose, i, values[i] as number, epoch);
    }
    this._lastLr = groups.map((g) => g.lr);
  }

  /** Every attribute except the optimizer, under PyTorch's names. */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [k, v] of Object.entries(this)) {
      if (NOT_STATE.has(k) || this._notState().includes(k) || v === undefined) continue;
      out[toPyKey(k)] = copyPlain(v);
    }
    return out;
  }

  loadStateDict(stateDict: StateDict): void {
    for (const [k, v] of Object.entries(stateDict)) {
      const jk = toJsKey(k);
      if (NOT_STATE.has(jk) || this._notState().includes(jk)) continue;
      (this as Record<string, unknown>)[jk] = copyPlain(v);
    }
  }

  /** @internal attributes a subclass keeps out of its state dict. */
  protected _notState(): string[] {
    return [];
  }

  /** @internal current learning rates of the groups. */
  protected _groupLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
}

function copyPlain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copyPlain);
  if (v instanceof Map) return new Map(v);
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copyPlain(x)]));
  return v;
}

type LrLambda = (epoch: number) => number;

// ---------------------------------------------------------------- LambdaLR, MultiplicativeLR

export interface LambdaLROptions {
  lrLambda: LrLambda | LrLambda[];
  lastEpoch?: number;
  verbose?: boolean;
}

function lambdasFor(optimizer: Optimizer, lrLambda: LrLambda | LrLambda[] | undefined): LrLambda[] {
  if (lrLambda === undefined) throw new ValueError("LambdaLR", "lr_lambda is required");
  const n = optimizer.paramGroups.length;
  if (!Array.isArray(lrLambda)) return Array.from({ length: n }, () => lrLambda);
  if (lrLambda.length !== n) throw new ValueError("LambdaLR", `Expected ${n} lr_lambdas, but got ${lrLambda.length}`);
  return [...lrLambda];
}

abstract class LambdaBase extends LRScheduler {
  lrLambdas: LrLambda[];
  constructor(optimizer: Optimizer, lrLambda: LrLambda | LrLambda[] | undefined) {
    super(optimizer);
    this.lrLambdas = lambdasFor(optimizer, lrLambda);
  }
  protected override _notState(): string[] {
    return ["lrLambdas"];
  }
  /** Functions are not saved (PyTorch saves only callable objects' attributes): one null per group. */
  override stateDict(): StateDict {
    const sd = super.stateDict();
    sd.lr_lambdas = this.lrLambdas.map(() => null);
    return sd;
  }
  override loadStateDict(stateDict: StateDict): void {
    const { lr_lambdas: _ignored, ...rest } = stateDict;
    super.loadStateDict(rest);
  }
}

/** lr = initial lr × lrLambda(epoch). */
export class LambdaLR extends LambdaBase {
  constructor(optimizer: Optimizer, opts: LambdaLROptions);
  constructor(optimizer: Optimizer, lrLambda: LrLambda | LrLambda[], lastEpoch?: number, verbose?: boolean);
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    const o = options<LambdaLROptions>(args, ["lrLambda", "lastEpoch", "verbose"]);
    super(optimizer, o.lrLambda);
    this._attach(o.lastEpoch, o.verbose);
  }
  getLr(): number[] {
    this._warnGetLr();
    return this.lrLambdas.map((f, i) => (this.baseLrs[i] as number) * f(this.lastEpoch));
  }
}

/** lr ← lr × lrLambda(epoch) at each step after the first. */
export class MultiplicativeLR extends LambdaBase {
  constructor(optimizer: Optimizer, opts: LambdaLROptions);
  constructor(optimizer: Optimizer, lrLambda: LrLambda | LrLambda[], lastEpoch?: number, verbose?: boolean);
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    const o = options<LambdaLROptions>(args, ["lrLambda", "lastEpoch", "verbose"]);
    super(optimizer, o.lrLambda);
    this._attach(o.lastEpoch, o.verbose);
  }
  getLr(): number[] {
    this._warnGetLr();
    if (this.lastEpoch > 0)
      return this.optimizer.paramGroups.map((g, i) => g.lr * (this.lrLambdas[i] as LrLambda)(this.lastEpoch));
    return this._groupLrs();
  }
}

// ---------------------------------------------------------------- StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR

export interface StepLROptions {
  stepSize: number;
  gamma?: number;
  lastEpoch?: number;
  verbose?: boolean;
}

/** Multiply the lr by gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;
  constructor(optimizer: Optimizer, opts: StepLROptions);
  constructor(optimizer: Optimizer, stepSize: number, gamma?: number, lastEpoch?: number, verbose?: boolean);
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    const o = options<StepLROptions>(args, ["stepSize", "gamma", "lastEpoch", "verbose"]);
    super(optimizer);
    this.stepSize = o.stepSize as number;
    this.gamma = o.gamma ?? 0.1;
    this._attach(o.lastEpoch, o.verbose);
  }
  getLr(): number[] {
    this._warnGetLr();
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this._groupLrs();
    return this.optimizer.paramGroups.map((g) => g.lr * this.gamma);
  }
  protected override _getClosedFormLr(): number[] {
    return this.baseLrs.map((b) => b * pyPow(this.gamma, Math.floor(this.lastEpoch / this.stepSize)));
  }
}

export interface MultiStepLROptions {
  milestones: number[];
  gamma?: number;
  lastEpoch?: number;
  verbose?: boolean;
}

/** Multiply the lr by gamma at each milestone (a milestone listed twice applies gamma twice). */
export class MultiStepLR extends LRScheduler {
  /** milestone → how many times it was listed (PyTorch's Counter). */
  milestones: Map<number, number>;
  gamma: number;
  constructor(optimizer: Optimizer, opts: MultiStepLROptions);
  constructor(optimizer: Optimizer, milestones: number[], gamma?: number, lastEpoch?: number, verbose?: boolean);
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    const o = options<MultiStepLROptions>(args, ["milestones", "gamma", "lastEpoch", "verbose"]);
    super(optimizer);
    this.milestones = new Map();
    for (const m of o.milestones ?? []) this.milestones.set(m, (this.milestones.get(m) ?? 0) + 1);
    this.gamma = o.gamma ?? 0.1;
    this._attach(o.lastEpoch, o.verbose);
  }
  getLr(): number[] {
    this._warnGetLr();
    const c = this.milestones.get(this.lastEpoch);
    if (c === undefined) return this._groupLrs();
    return this.optimizer.paramGroups.map((g) => g.lr * pyPow(this.gamma, c));
  }
  protected override _getClosedFormLr(): number[] {
    const sorted: number[] = [];
    for (const [m, c] of this.milestones) for (let i = 0; i < c; i++) sorted.push(m);
    sorted.sort((a, b) => a - b);
    const k = bisectRight(sorted, this.lastEpoch);
    return this.baseLrs.map((b) => b * pyPow(this.gamma, k));
  }
  /** milestones are a {milestone: count} dict, as PyTorch's Counter pickles. */
  override stateDict(): StateDict {
    const sd = super.stateDict();
    sd.milestones = Object.fromEntries(this.milestones);
    return sd;
  }
  override loadStateDict(stateDict: StateDict): void {
    super.loadStateDict(stateDict);
    const m = stateDict.milestones;
    if (m && !(m instanceof Map))
      this.milestones = new Map(Object.entries(m as Record<string, number>).map(([k, v]) => [Number(k), v]));
  }
}

export interface ConstantLROptions {
  factor?: number;
  totalIters?: number;
  lastEpoch?: number;
  verbose?: boolean;
}

/** lr × factor until totalIters, then lr. */
export class ConstantLR extends LRScheduler {
  factor: number;
  totalIters: number;
  constructor(optimizer: Optimizer, opts?: ConstantLROptions);
  constructor(optimizer: Optimizer, factor?: number, totalIters?: number, lastEpoch?: number, verbose?: boolean);
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    const o = options<ConstantLROptions>(args, ["factor", "totalIters", "lastEpoch", "verbose"]);
    const factor = o.factor ?? 1.0 / 3;
    if (factor > 1.0 || factor < 0)
      throw new ValueError("ConstantLR", "Constant multiplicative factor expected to be between 0 and 1.");
    super(optimizer);
    this.factor = factor;
    this.totalIters = o.totalIters ?? 5;
    this._attach(o.lastEpoch, o.verbose);
  }
  getLr(): number[] {
    this._warnGetLr();
    if (this.lastEpoch === 0) return this.optimizer.paramGroups.map((g) => g.lr * this.factor);
    if (this.lastEpoch > this.totalIters || this.lastEpoch !== this.totalIters) return this._groupLrs();
    return this.optimizer.paramGroups.map((g) => g.lr * (1.0 / this.factor));
  }
  protected override _getClosedFormLr(): number[] {
    return this.baseLrs.map((b) => b * (this.factor + (this.lastEpoch >= this.totalIters ? 1 : 0) * (1 - this.factor)));
  }
}

export interface LinearLROptions {
  startFactor?: number;
  endFactor?: number;
  totalIters?: number;
  lastEpoch?: number;
  verbose?: boolean;
}

/** Linear change of the multiplicative factor from startFactor to endFactor over totalIters. */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;
  constructor(optimizer: Optimizer, opts?: LinearLROptions);
  constructor(
    optimizer: Optimizer,
    startFactor?: number,
    endFactor?: number,
    totalIters?: number,
    lastEpoch?: number,
    verbose?: boolean,
  );
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    const o = options<LinearLROptions>(args, ["startFactor", "endFactor", "totalIters", "lastEpoch", "verbose"]);
    const startFactor = o.startFactor ?? 1.0 / 3;
    const endFactor = o.endFactor ?? 1.0;
    if (startFactor > 1.0 || startFactor < 0)
      throw new ValueError("LinearLR", "Starting multiplicative factor expected to be between 0 and 1.");
    if (endFactor > 1.0 || endFactor < 0)
      throw new ValueError("LinearLR", "Ending multiplicative factor expected to be between 0 and 1.");
    super(optimizer);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = o.totalIters ?? 5;
    this._attach(o.lastEpoch, o.verbose);
  }
  getLr(): number[] {
    this._warnGetLr();
    if (this.lastEpoch === 0) return this.optimizer.paramGroups.map((g) => g.lr * this.startFactor);
    if (this.lastEpoch > this.totalIters) return this._groupLrs();
    const d = this.endFactor - this.startFactor;
    return this.optimizer.paramGroups.map(
      (g) => g.lr * (1 + d / (this.totalIters * this.startFactor + (this.lastEpoch - 1) * d)),
    );
  }
  protected override _getClosedFormLr(): number[] {
    return this.baseLrs.map(
      (b) =>
        b *
        (this.startFactor + ((this.endFactor - this.startFactor) * Math.min(this.totalIters, this.lastEpoch)) / this.totalIters),
    );
  }
}

export interface ExponentialLROptions {
  gamma: number;
  lastEpoch?: number;
  verbose?: boolean;
}

/** lr ← lr × gamma every epoch. */
export class ExponentialLR extends LRScheduler {
  gamma: number;
  constructor(optimizer: Optimizer, opts: ExponentialLROptions);
  constructor(optimizer: Optimizer, gamma: number, lastEpoch?: number, verbose?: boolean);
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    const o = options<ExponentialLROptions>(args, ["gamma", "lastEpoch", "verbose"]);
    super(optimizer);
    this.gamma = o.gamma as number;
    this._attach(o.lastEpoch, o.verbose);
  }
  getLr(): number[] {
    this._warnGetLr();
    if (this.lastEpoch === 0) return this._groupLrs();
    return this.optimizer.paramGroups.map((g) => g.lr * this.gamma);
  }
  protected override _getClosedFormLr(): number[] {
    return this.baseLrs.map((b) => b * pyPow(this.gamma, this.lastEpoch));
  }
}

// ---------------------------------------------------------------- PolynomialLR, CosineAnnealingLR

export interface PolynomialLROptions {
  totalIters?: number;
  power?: number;
  lastEpoch?: number;
  verbose?: boolean;
}

/** Polynomial decay to zero over totalIters. */
export class PolynomialLR extends LRScheduler {
  totalIters: number;
  power: number;
  constructor(optimizer: Optimizer, opts?: PolynomialLROptions);
  constructor(optimizer: Optimizer, totalIters?: number, power?: number, lastEpoch?: number, verbose?: boolean);
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    const o = options<PolynomialLROptions>(args, ["totalIters", "power", "lastEpoch", "verbose"]);
    super(optimizer);
    this.totalIters = o.totalIters ?? 5;
    this.power = o.power ?? 1.0;
    this._attach(o.lastEpoch, o.verbose);
  }
  getLr(): number[] {
    this._warnGetLr();
    if (this.lastEpoch === 0 || this.lastEpoch > this.totalIters) return this._groupLrs();
    const decay = pyPow((1.0 - this.lastEpoch / this.totalIters) / (1.0 - (this.lastEpoch - 1) / this.totalIters), this.power);
    return this.optimizer.paramGroups.map((g) => g.lr * decay);
  }
  protected override _getClosedFormLr(): number[] {
    return this.baseLrs.map((b) => b * pyPow(1.0 - Math.min(this.totalIters, this.lastEpoch) / this.totalIters, this.power));
  }
}

export interface CosineAnnealingLROptions {
  TMax: number;
  etaMin?: number;
  lastEpoch?: number;
  verbose?: boolean;
}

/** Cosine annealing (recursive form; keeps oscillating after TMax, as PyTorch's). */
export class CosineAnnealingLR extends LRScheduler {
  TMax: number;
  etaMin: number;
  constructor(optimizer: Optimizer, opts: CosineAnnealingLROptions);
  constructor(optimizer: Optimizer, TMax: number, etaMin?: number, lastEpoch?: number, verbose?: boolean);
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    const o = options<CosineAnnealingLROptions>(args, ["TMax", "etaMin", "lastEpoch", "verbose"]);
    super(optimizer);
    this.TMax = o.TMax as number;
    this.etaMin = o.etaMin ?? 0;
    this._attach(o.lastEpoch, o.verbose);
  }
  getLr(): number[] {
    this._warnGetLr();
    const { lastEpoch: e, TMax: T, etaMin } = this;
    if (e === 0) return this._groupLrs();
    if (this._stepCount === 1 && e > 0)
      return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + cos((e * Math.PI) / T))) / 2);
    if ((e - 1 - T) % (2 * T) === 0)
      return this.optimizer.paramGroups.map(
        (g, i) => g.lr + (((this.baseLrs[i] as number) - etaMin) * (1 - cos(Math.PI / T))) / 2,
      );
    return this.optimizer.paramGroups.map(
      (g) => ((1 + cos((Math.PI * e) / T)) / (1 + cos((Math.PI * (e - 1)) / T))) * (g.lr - etaMin) + etaMin,
    );
  }
  protected override _getClosedFormLr(): number[] {
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + cos((Math.PI * this.lastEpoch) / this.TMax))) / 2);
  }
}

// ---------------------------------------------------------------- SequentialLR, ChainedScheduler

export interface SequentialLROptions {
  schedulers: LRScheduler[];
  milestones: number[];
  lastEpoch?: number;
  verbose?: boolean;
}

/** Run schedulers one after another, switching at the milestones. */
export class SequentialLR extends LRScheduler {
  _schedulers: LRScheduler[];
  _milestones: number[];
  constructor(optimizer: Optimizer, opts: SequentialLROptions);
  constructor(optimizer: Optimizer, schedulers: LRScheduler[], milestones: number[], lastEpoch?: number, verbose?: boolean);
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    const o = options<SequentialLROptions>(args, ["schedulers", "milestones", "lastEpoch", "verbose"]);
    super(optimizer);
    const schedulers = o.schedulers ?? [];
    const milestones = o.milestones ?? [];
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer)
        throw new ValueError(
          "SequentialLR",
          `Sequential Schedulers expects all schedulers to belong to the same optimizer, but got schedulers at index ${i} to be different than the optimizer passed in.`,
        );
    });
    if (milestones.length !== schedulers.length - 1)
      throw new ValueError(
        "SequentialLR",
        `Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers ${schedulers.length} and the number of milestones to be equal to ${milestones.length}`,
      );
    this._schedulers = schedulers;
    this._milestones = milestones;
    this.lastEpoch = (o.lastEpoch ?? -1) + 1;
    this.verbose = o.verbose ?? false;
    for (const g of optimizer.paramGroups) g.lr = g.initialLr as number;
    for (const s of schedulers) s.lastEpoch -= 1;
    (schedulers[0] as LRScheduler)._initialStep();
    this._lastLr = (schedulers[0] as LRScheduler).getLastLr();
  }
  getLr(): number[] {
    return this._lastLr;
  }
  override step(): void {
    this.lastEpoch++;
    const idx = bisectRight(this._milestones, this.lastEpoch);
    const s = this._schedulers[idx] as LRScheduler;
    if (idx > 0 && this._milestones[idx - 1] === this.lastEpoch) s.step(0);
    else s.step();
    this._lastLr = s.getLastLr();
  }
  protected override _notState(): string[] {
    // PyTorch's SequentialLR never runs _LRScheduler.__init__, so it has none of these
    return ["_schedulers", "baseLrs", "verbose", "_stepCount", "_getLrCalledWithinStep"];
  }
  override stateDict(): StateDict {
    const sd = super.stateDict();
    sd._schedulers = this._schedulers.map((s) => s.stateDict());
    return sd;
  }
  override loadStateDict(stateDict: StateDict): void {
    const { _schedulers: subs, ...rest } = stateDict;
    super.loadStateDict(rest);
    (subs as StateDict[] | undefined)?.forEach((s, i) => this._schedulers[i]?.loadStateDict(s));
  }
}

/** Step several schedulers together (their effects multiply). Takes no optimizer, as in PyTorch 1.13. */
export class ChainedScheduler {
  _schedulers: LRScheduler[];
  optimizer: Optimizer;
  /** @internal */ _lastLr: number[];
  constructor(schedulers: LRScheduler[]) {
    for (let i = 1; i < schedulers.length; i++)
      if ((schedulers[i] as LRScheduler).optimizer !== (schedulers[0] as LRScheduler).optimizer)
        throw new ValueError(
          "ChainedScheduler",
          `ChainedScheduler expects all schedulers to belong to the same optimizer, but got schedulers at index 0 and ${i} to be different`,
        );
    this._schedulers = [...schedulers];
    this.optimizer = (schedulers[0] as LRScheduler).optimizer;
    this._lastLr = (this._schedulers[this._schedulers.length - 1] as LRScheduler).optimizer.paramGroups.map((g) => g.lr);
  }
  step(): void {
    for (const s of this._schedulers) s.step();
    this._lastLr = (this._schedulers[this._schedulers.length - 1] as LRScheduler).optimizer.paramGroups.map((g) => g.lr);
  }
  getLastLr(): number[] {
    return this._lastLr;
  }
  stateDict(): StateDict {
    return { _last_lr: [...this._lastLr], _schedulers: this._schedulers.map((s) => s.stateDict()) };
  }
  loadStateDict(stateDict: StateDict): void {
    if (Array.isArray(stateDict._last_lr)) this._lastLr = [...(stateDict._last_lr as number[])];
    (stateDict._schedulers as StateDict[] | undefined)?.forEach((s, i) => this._schedulers[i]?.loadStateDict(s));
  }
}

// ---------------------------------------------------------------- ReduceLROnPlateau

export interface ReduceLROnPlateauOptions {
  mode?: "min" | "max";
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: "rel" | "abs";
  cooldown?: number;
  minLr?: number | number[];
  eps?: number;
  verbose?: boolean;
}

/** Reduce the lr when a metric has stopped improving. */
export class ReduceLROnPlateau {
  optimizer: Optimizer;
  factor: number;
  minLrs: number[];
  patience: number;
  verbose: boolean;
  cooldown: number;
  cooldownCounter = 0;
  mode: "min" | "max";
  threshold: number;
  thresholdMode: "rel" | "abs";
  best: number | null = null;
  numBadEpochs: number | null = null;
  modeWorse: number | null = null;
  eps: number;
  lastEpoch = 0;
  /** @internal */ _lastLr?: number[];

  constructor(optimizer: Optimizer, opts?: ReduceLROnPlateauOptions);
  constructor(
    optimizer: Optimizer,
    mode?: "min" | "max",
    factor?: number,
    patience?: number,
    threshold?: number,
    thresholdMode?: "rel" | "abs",
    cooldown?: number,
    minLr?: number | number[],
    eps?: number,
    verbose?: boolean,
  );
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    const o = options<ReduceLROnPlateauOptions>(args, [
      "mode",
      "factor",
      "patience",
      "threshold",
      "thresholdMode",
      "cooldown",
      "minLr",
      "eps",
      "verbose",
    ]);
    const factor = o.factor ?? 0.1;
    if (factor >= 1.0) throw new ValueError("ReduceLROnPlateau", "Factor should be < 1.0.");
    this.factor = factor;
    if (optimizer === null || typeof optimizer !== "object" || !("paramGroups" in optimizer))
      throw new TypeError(`${String(optimizer)} is not an Optimizer`);
    this.optimizer = optimizer;
    const n = optimizer.paramGroups.length;
    const minLr = o.minLr ?? 0;
    if (Array.isArray(minLr)) {
      if (minLr.length !== n) throw new ValueError("ReduceLROnPlateau", `expected ${n} min_lrs, got ${minLr.length}`);
      this.minLrs = [...minLr];
    } else this.minLrs = Array.from({ length: n }, () => minLr);
    this.patience = o.patience ?? 10;
    this.verbose = o.verbose ?? false;
    this.cooldown = o.cooldown ?? 0;
    this.mode = o.mode ?? "min";
    this.threshold = o.threshold ?? 1e-4;
    this.thresholdMode = o.thresholdMode ?? "rel";
    this.eps = o.eps ?? 1e-8;
    this._initIsBetter(this.mode, this.threshold, this.thresholdMode);
    this._reset();
  }

  private _reset(): void {
    this.best = this.modeWorse;
    this.cooldownCounter = 0;
    this.numBadEpochs = 0;
  }

  /** Take one step with this epoch's metric (a number or a 1-element tensor). */
  step(metrics: number | Tensor, epoch?: number): void {
    const current = metrics instanceof Tensor ? Number(metrics.itemSync()) : Number(metrics);
    if (epoch === undefined) epoch = this.lastEpoch + 1;
    else warn(EPOCH_DEPRECATION_WARNING);
    this.lastEpoch = epoch;
    if (this.isBetter(current, this.best as number)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else this.numBadEpochs = (this.numBadEpochs as number) + 1;
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if ((this.numBadEpochs as number) > this.patience) {
      this._reduceLr(epoch);
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this._lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  private _reduceLr(epoch: number): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      const oldLr = Number(g.lr);
      const a = oldLr * this.factor;
      const b = this.minLrs[i] as number;
      const newLr = b > a ? b : a; // Python's max(a, b)
      if (oldLr - newLr > this.eps) {
        g.lr = newLr;
        if (this.verbose) {
          const e = Number.isInteger(epoch) ? String(epoch).padStart(5, "0") : epoch.toFixed(2);
          console.log(`Epoch ${e}: reducing learning rate of group ${i} to ${fmtE4(newLr)}.`);
        }
      }
    });
  }

  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  isBetter(a: number, best: number): boolean {
    if (this.mode === "min" && this.thresholdMode === "rel") return a < best * (1 - this.threshold);
    if (this.mode === "min" && this.thresholdMode === "abs") return a < best - this.threshold;
    if (this.mode === "max" && this.thresholdMode === "rel") return a > best * (this.threshold + 1);
    return a > best + this.threshold;
  }

  private _initIsBetter(mode: string, threshold: number, thresholdMode: string): void {
    if (mode !== "min" && mode !== "max") throw new ValueError("ReduceLROnPlateau", `mode ${mode} is unknown!`);
    if (thresholdMode !== "rel" && thresholdMode !== "abs")
      throw new ValueError("ReduceLROnPlateau", `threshold mode ${thresholdMode} is unknown!`);
    this.modeWorse = mode === "min" ? Infinity : -Infinity;
    this.mode = mode;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
  }

  /**
   * The learning rates after the last step (PyTorch 1.13 has no get_last_lr here; later versions
   * do). Before the first step: the groups' current rates.
   */
  getLastLr(): number[] {
    return this._lastLr ?? this.optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [k, v] of Object.entries(this)) if (k !== "optimizer" && v !== undefined) out[toPyKey(k)] = copyPlain(v);
    return out;
  }

  loadStateDict(stateDict: StateDict): void {
    for (const [k, v] of Object.entries(stateDict)) {
      const jk = toJsKey(k);
      if (jk !== "optimizer") (this as Record<string, unknown>)[jk] = copyPlain(v);
    }
    this._initIsBetter(this.mode, this.threshold, this.thresholdMode);
  }
}

// ---------------------------------------------------------------- CyclicLR

export interface CyclicLROptions {
  baseLr: number | number[];
  maxLr: number | number[];
  stepSizeUp?: number;
  stepSizeDown?: number | null;
  mode?: "triangular" | "triangular2" | "exp_range";
  gamma?: number;
  scaleFn?: ((x: number) => number) | null;
  scaleMode?: "cycle" | "iterations";
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  lastEpoch?: number;
  verbose?: boolean;
}

function formatParam<T>(name: string, optimizer: Optimizer, param: T | T[]): T[] {
  const n = optimizer.paramGroups.length;
  if (Array.isArray(param)) {
    if (param.length !== n) throw new ValueError("lr_scheduler", `expected ${n} values for ${name}, got ${param.length}`);
    return [...param];
  }
  return Array.from({ length: n }, () => param);
}

/** Cyclical learning rates (and inverse momentum cycling), stepped every batch. */
export class CyclicLR extends LRScheduler {
  maxLrs: number[];
  totalSize: number;
  stepRatio: number;
  mode: string;
  gamma: number;
  scaleMode: "cycle" | "iterations";
  cycleMomentum: boolean;
  /** Set only with cycleMomentum, as in PyTorch. */
  baseMomentums?: number[];
  maxMomentums?: number[];
  private _scaleFnCustom: ((x: number) => number) | null;

  constructor(optimizer: Optimizer, opts: CyclicLROptions);
  constructor(
    optimizer: Optimizer,
    baseLr: number | number[],
    maxLr: number | number[],
    stepSizeUp?: number,
    stepSizeDown?: number | null,
    mode?: "triangular" | "triangular2" | "exp_range",
    gamma?: number,
    scaleFn?: ((x: number) => number) | null,
    scaleMode?: "cycle" | "iterations",
    cycleMomentum?: boolean,
    baseMomentum?: number | number[],
    maxMomentum?: number | number[],
    lastEpoch?: number,
    verbose?: boolean,
  );
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    const o = options<CyclicLROptions>(args, [
      "baseLr",
      "maxLr",
      "stepSizeUp",
      "stepSizeDown",
      "mode",
      "gamma",
      "scaleFn",
      "scaleMode",
      "cycleMomentum",
      "baseMomentum",
      "maxMomentum",
      "lastEpoch",
      "verbose",
    ]);
    super(optimizer);
    const lastEpoch = o.lastEpoch ?? -1;
    const baseLrs = formatParam("base_lr", optimizer, o.baseLr as number | number[]);
    if (lastEpoch === -1) baseLrs.forEach((lr, i) => ((optimizer.paramGroups[i] as ParamGroup).lr = lr));
    this.maxLrs = formatParam("max_lr", optimizer, o.maxLr as number | number[]);
    const up = o.stepSizeUp ?? 2000;
    const down = o.stepSizeDown ?? up;
    this.totalSize = up + down;
    this.stepRatio = up / this.totalSize;
    const mode = o.mode ?? "triangular";
    const scaleFn = o.scaleFn ?? null;
    if (!["triangular", "triangular2", "exp_range"].includes(mode) && scaleFn === null)
      throw new ValueError("CyclicLR", "mode is invalid and scale_fn is None");
    this.mode = mode;
    this.gamma = o.gamma ?? 1.0;
    this._scaleFnCustom = scaleFn;
    this.scaleMode = scaleFn === null ? (mode === "exp_range" ? "iterations" : "cycle") : (o.scaleMode ?? "cycle");
    this.cycleMomentum = o.cycleMomentum ?? true;
    if (this.cycleMomentum) {
      if (!("momentum" in optimizer.defaults))
        throw new ValueError("CyclicLR", "optimizer must support momentum with `cycle_momentum` option enabled");
      const baseMomentums = formatParam("base_momentum", optimizer, o.baseMomentum ?? 0.8);
      if (lastEpoch === -1) baseMomentums.forEach((m, i) => ((optimizer.paramGroups[i] as ParamGroup).momentum = m));
      this.baseMomentums = optimizer.paramGroups.map((g) => g.momentum as number);
      this.maxMomentums = formatParam("max_momentum", optimizer, o.maxMomentum ?? 0.9);
    }
    this._attach(lastEpoch, o.verbose);
    this.baseLrs = baseLrs;
  }

  scaleFn(x: number): number {
    if (this._scaleFnCustom !== null) return this._scaleFnCustom(x);
    if (this.mode === "triangular") return 1.0;
    if (this.mode === "triangular2") return 1 / pyPow(2.0, x - 1);
    return pyPow(this.gamma, x);
  }

  getLr(): number[] {
    this._warnGetLr();
    const cycle = Math.floor(1 + this.lastEpoch / this.totalSize);
    const x = 1 + this.lastEpoch / this.totalSize - cycle;
    const scaleFactor = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const arg = this.scaleMode === "cycle" ? cycle : this.lastEpoch;
    const lrs = this.baseLrs.map((b, i) => b + ((this.maxLrs[i] as number) - b) * scaleFactor * this.scaleFn(arg));
    if (this.cycleMomentum) {
      const momentums = (this.baseMomentums as number[]).map((bm, i) => {
        const mm = (this.maxMomentums as number[])[i] as number;
        return mm - (mm - bm) * scaleFactor * this.scaleFn(arg);
      });
      this.optimizer.paramGroups.forEach((g, i) => {
        g.momentum = momentums[i];
      });
    }
    return lrs;
  }

  protected override _notState(): string[] {
    return ["_scaleFnCustom"];
  }
  override stateDict(): StateDict {
    const sd = super.stateDict();
    sd._scale_fn_custom = null;
    return sd;
  }
}

// ---------------------------------------------------------------- CosineAnnealingWarmRestarts

export interface CosineAnnealingWarmRestartsOptions {
  T0: number;
  TMult?: number;
  etaMin?: number;
  lastEpoch?: number;
  verbose?: boolean;
}

/** SGDR: cosine annealing with warm restarts every T0 × TMult^k epochs. */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  T0: number;
  TI: number;
  TMult: number;
  etaMin: number;
  TCur: number;
  constructor(optimizer: Optimizer, opts: CosineAnnealingWarmRestartsOptions);
  constructor(optimizer: Optimizer, T0: number, TMult?: number, etaMin?: number, lastEpoch?: number, verbose?: boolean);
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    const o = options<CosineAnnealingWarmRestartsOptions>(args, ["T0", "TMult", "etaMin", "lastEpoch", "verbose"]);
    const T0 = o.T0 as number;
    const TMult = o.TMult ?? 1;
    if (!(T0 > 0) || !Number.isInteger(T0))
      throw new ValueError("CosineAnnealingWarmRestarts", `Expected positive integer T_0, but got ${T0}`);
    if (!(TMult >= 1) || !Number.isInteger(TMult))
      throw new ValueError("CosineAnnealingWarmRestarts", `Expected integer T_mult >= 1, but got ${TMult}`);
    super(optimizer);
    this.T0 = T0;
    this.TI = T0;
    this.TMult = TMult;
    this.etaMin = o.etaMin ?? 0;
    this.TCur = o.lastEpoch ?? -1;
    this._attach(o.lastEpoch, o.verbose);
  }
  getLr(): number[] {
    this._warnGetLr();
    return this.baseLrs.map((b) => this.etaMin + ((b - this.etaMin) * (1 + cos((Math.PI * this.TCur) / this.TI))) / 2);
  }
  /** With `epoch` (possibly fractional), jump there; without, advance one step. */
  override step(epoch?: number): void {
    if (epoch === undefined && this.lastEpoch < 0) epoch = 0;
    if (epoch === undefined) {
      epoch = this.lastEpoch + 1;
      this.TCur = this.TCur + 1;
      if (this.TCur >= this.TI) {
        this.TCur = this.TCur - this.TI;
        this.TI = this.TI * this.TMult;
      }
    } else {
      if (epoch < 0) throw new ValueError("CosineAnnealingWarmRestarts", `Expected non-negative epoch, but got ${epoch}`);
      if (epoch >= this.T0) {
        if (this.TMult === 1) this.TCur = epoch % this.T0;
        else {
          const n = Math.trunc(pyLog((epoch / this.T0) * (this.TMult - 1) + 1, this.TMult));
          this.TCur = epoch - (this.T0 * (ipow(this.TMult, n) - 1)) / (this.TMult - 1);
          this.TI = this.T0 * ipow(this.TMult, n);
        }
      } else {
        this.TI = this.T0;
        this.TCur = epoch;
      }
    }
    this.lastEpoch = Math.floor(epoch);
    this._getLrCalledWithinStep = true;
    let lrs: number[];
    try {
      lrs = this.getLr();
    } finally {
      this._getLrCalledWithinStep = false;
    }
    this.optimizer.paramGroups.forEach((g, i) => {
      if (i >= lrs.length) return;
      g.lr = lrs[i] as number;
      this.printLr(this.verbose, i, lrs[i] as number, epoch);
    });
    this._lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }
}

// ---------------------------------------------------------------- OneCycleLR

export interface OneCycleLROptions {
  maxLr: number | number[];
  totalSteps?: number | null;
  epochs?: number | null;
  stepsPerEpoch?: number | null;
  pctStart?: number;
  annealStrategy?: "cos" | "linear";
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
  lastEpoch?: number;
  verbose?: boolean;
}

interface Phase {
  end_step: number;
  start_lr: string;
  end_lr: string;
  start_momentum: string;
  end_momentum: string;
}

/** The 1cycle policy (Smith & Topsekar), stepped every batch. */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  _schedulePhases: Phase[];
  annealStrategy: "cos" | "linear";
  cycleMomentum: boolean;
  /** Set only with cycleMomentum, as in PyTorch. */
  useBeta1?: boolean;

  constructor(optimizer: Optimizer, opts: OneCycleLROptions);
  constructor(
    optimizer: Optimizer,
    maxLr: number | number[],
    totalSteps?: number | null,
    epochs?: number | null,
    stepsPerEpoch?: number | null,
    pctStart?: number,
    annealStrategy?: "cos" | "linear",
    cycleMomentum?: boolean,
    baseMomentum?: number | number[],
    maxMomentum?: number | number[],
    divFactor?: number,
    finalDivFactor?: number,
    threePhase?: boolean,
    lastEpoch?: number,
    verbose?: boolean,
  );
  constructor(optimizer: Optimizer, ...args: unknown[]) {
    const o = options<OneCycleLROptions>(args, [
      "maxLr",
      "totalSteps",
      "epochs",
      "stepsPerEpoch",
      "pctStart",
      "annealStrategy",
      "cycleMomentum",
      "baseMomentum",
      "maxMomentum",
      "divFactor",
      "finalDivFactor",
      "threePhase",
      "lastEpoch",
      "verbose",
    ]);
    super(optimizer);
    const totalSteps = o.totalSteps ?? null;
    const epochs = o.epochs ?? null;
    const stepsPerEpoch = o.stepsPerEpoch ?? null;
    if (totalSteps === null && epochs === null && stepsPerEpoch === null)
      throw new ValueError("OneCycleLR", "You must define either total_steps OR (epochs AND steps_per_epoch)");
    if (totalSteps !== null) {
      if (totalSteps <= 0 || !Number.isInteger(totalSteps))
        throw new ValueError("OneCycleLR", `Expected positive integer total_steps, but got ${totalSteps}`);
      this.totalSteps = totalSteps;
    } else {
      if (epochs === null || epochs <= 0 || !Number.isInteger(epochs))
        throw new ValueError("OneCycleLR", `Expected positive integer epochs, but got ${epochs}`);
      if (stepsPerEpoch === null || stepsPerEpoch <= 0 || !Number.isInteger(stepsPerEpoch))
        throw new ValueError("OneCycleLR", `Expected positive integer steps_per_epoch, but got ${stepsPerEpoch}`);
      this.totalSteps = epochs * stepsPerEpoch;
    }
    const pct = o.pctStart ?? 0.3;
    const T = this.totalSteps;
    this._schedulePhases = o.threePhase
      ? [
          {
            end_step: pct * T - 1,
            start_lr: "initial_lr",
            end_lr: "max_lr",
            start_momentum: "max_momentum",
            end_momentum: "base_momentum",
          },
          {
            end_step: 2 * pct * T - 2,
            start_lr: "max_lr",
            end_lr: "initial_lr",
            start_momentum: "base_momentum",
            end_momentum: "max_momentum",
          },
          {
            end_step: T - 1,
            start_lr: "initial_lr",
            end_lr: "min_lr",
            start_momentum: "max_momentum",
            end_momentum: "max_momentum",
          },
        ]
      : [
          {
            end_step: pct * T - 1,
            start_lr: "initial_lr",
            end_lr: "max_lr",
            start_momentum: "max_momentum",
            end_momentum: "base_momentum",
          },
          {
            end_step: T - 1,
            start_lr: "max_lr",
            end_lr: "min_lr",
            start_momentum: "base_momentum",
            end_momentum: "max_momentum",
          },
        ];
    if (pct < 0 || pct > 1 || typeof pct !== "number")
      throw new ValueError("OneCycleLR", `Expected float between 0 and 1 pct_start, but got ${pct}`);
    const strategy = o.annealStrategy ?? "cos";
    if (strategy !== "cos" && strategy !== "linear")
      throw new ValueError("OneCycleLR", `anneal_strategy must by one of 'cos' or 'linear', instead got ${strategy}`);
    this.annealStrategy = strategy;
    const lastEpoch = o.lastEpoch ?? -1;
    const maxLrs = formatParam("max_lr", optimizer, o.maxLr as number | number[]);
    const divFactor = o.divFactor ?? 25.0;
    const finalDivFactor = o.finalDivFactor ?? 1e4;
    if (lastEpoch === -1)
      optimizer.paramGroups.forEach((g, i) => {
        g.initialLr = (maxLrs[i] as number) / divFactor;
        g.maxLr = maxLrs[i];
        g.minLr = (g.initialLr as number) / finalDivFactor;
      });
    this.cycleMomentum = o.cycleMomentum ?? true;
    if (this.cycleMomentum) {
      if (!("momentum" in optimizer.defaults) && !("betas" in optimizer.defaults))
        throw new ValueError("OneCycleLR", "optimizer must support momentum with `cycle_momentum` option enabled");
      this.useBeta1 = "betas" in optimizer.defaults;
      const maxMomentums = formatParam("max_momentum", optimizer, o.maxMomentum ?? 0.95);
      const baseMomentums = formatParam("base_momentum", optimizer, o.baseMomentum ?? 0.85);
      if (lastEpoch === -1)
        optimizer.paramGroups.forEach((g, i) => {
          const m = maxMomentums[i] as number;
          if (this.useBeta1) g.betas = [m, ...(g.betas as number[]).slice(1)];
          else g.momentum = m;
          g.maxMomentum = m;
          g.baseMomentum = baseMomentums[i];
        });
    }
    this._attach(lastEpoch, o.verbose);
  }

  private _anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === "cos") {
      const cosOut = cos(Math.PI * pct) + 1;
      return end + ((start - end) / 2.0) * cosOut;
    }
    return (end - start) * pct + start;
  }

  getLr(): number[] {
    this._warnGetLr();
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps)
      throw new ValueError(
        "OneCycleLR",
        `Tried to step ${stepNum + 1} times. The specified number of total steps is ${this.totalSteps}`,
      );
    return this.optimizer.paramGroups.map((g) => {
      let startStep = 0;
      let lr = 0;
      let momentum = 0;
      const phases = this._schedulePhases;
      for (let i = 0; i < phases.length; i++) {
        const phase = phases[i] as Phase;
        const endStep = phase.end_step;
        if (stepNum <= endStep || i === phases.length - 1) {
          const pct = (stepNum - startStep) / (endStep - startStep);
          lr = this._anneal(g[snakeToCamel(phase.start_lr)] as number, g[snakeToCamel(phase.end_lr)] as number, pct);
          if (this.cycleMomentum)
            momentum = this._anneal(
              g[snakeToCamel(phase.start_momentum)] as number,
              g[snakeToCamel(phase.end_momentum)] as number,
              pct,
            );
          break;
        }
        startStep = phase.end_step;
      }
      if (this.cycleMomentum) {
        if (this.useBeta1) g.betas = [momentum, ...(g.betas as number[]).slice(1)];
        else g.momentum = momentum;
      }
      return lr;
    });
  }
}

/** PyTorch 1.13's name for the base class. */
export { LRScheduler as _LRScheduler };
