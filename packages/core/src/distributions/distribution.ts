// torch.distributions.Distribution: the base class. batchShape/eventShape, sample/rsample with a
// generator, logProb/cdf/icdf/entropy, the moments, and PyTorch 1.13's argument validation (on by
// default, as `Distribution._validate_args = __debug__`) with its error messages.
import { noGrad } from "../autograd/graph.js";
import { LockstepError, ValueError } from "../errors.js";
import { exp, sqrt } from "../ops/elementwise.js";
import { all } from "../ops/reduce.js";
import type { Generator } from "../random/generator.js";
import { Tensor } from "../tensor.js";
import { type Constraint, isDependent } from "./constraints.js";
import { checkShape, pyFormat, pySize, pyTuple } from "./utils.js";

/** A method a distribution does not have (PyTorch raises NotImplementedError). */
export class NotImplementedError extends LockstepError {}

export interface DistributionOptions {
  /** Check parameters and values against the constraints (default: Distribution's default, true). */
  validateArgs?: boolean | null;
}
export interface SampleOptions {
  /** The generator to draw from (default: the default generator of the parameters' device). */
  generator?: Generator | null;
}

/** `sample(shape, opts)`, `sample(opts)` or `sample()`. */
export function sampleArgs(op: string, a?: number[] | SampleOptions, b?: SampleOptions): [number[], SampleOptions] {
  if (a !== undefined && a !== null && !Array.isArray(a)) return [[], a];
  return [checkShape(op, a ?? []), b ?? {}];
}

let defaultValidate = true;

export abstract class Distribution {
  /** Whether rsample() is implemented (reparameterised, differentiable samples). */
  get hasRsample(): boolean {
    return false;
  }
  /** Whether enumerateSupport() is implemented. */
  get hasEnumerateSupport(): boolean {
    return false;
  }

  protected _batchShape: number[] = [];
  protected _eventShape: number[] = [];
  protected _validateArgs = defaultValidate;

  /** Distribution.set_default_validate_args(value). */
  static setDefaultValidateArgs(value: boolean): void {
    if (value !== true && value !== false)
      throw new ValueError("Distribution.set_default_validate_args", "value must be a boolean");
    defaultValidate = value;
  }
  /** The current default of validateArgs. */
  static get defaultValidateArgs(): boolean {
    return defaultValidate;
  }

  /**
   * Distribution.__init__: set the shapes and, when validating, check every parameter that has a
   * (non-dependent) constraint and has been materialised. Subclasses call it once their
   * parameters are set (TypeScript cannot assign fields before super()).
   */
  protected _init(batchShape: readonly number[], eventShape: readonly number[] = [], validateArgs?: boolean | null): void {
    this._batchShape = [...batchShape];
    this._eventShape = [...eventShape];
    if (validateArgs !== undefined && validateArgs !== null) this._validateArgs = validateArgs;
    if (!this._validateArgs) return;
    for (const [param, constraint] of Object.entries(this.argConstraints)) {
      if (isDependent(constraint)) continue;
      const value = this._param(param);
      if (value === undefined) continue; // a lazily constructed parameter not computed yet
      const valid = noGrad(() => constraint.check(value));
      if (!all(valid).itemSync())
        throw new ValueError(
          this.constructor.name,
          `Expected parameter ${param} (Tensor of shape ${pyTuple(value.shape)}) of distribution ${this.repr()} to satisfy the constraint ${constraint}, but found invalid values:\n${pyFormat(value)}`,
        );
    }
  }

  /** The value of a parameter if it exists now (lazy parameters: only once computed). */
  protected _param(name: string): Tensor | undefined {
    const v = (this as unknown as Record<string, unknown>)[`_${name}`];
    return v instanceof Tensor ? v : undefined;
  }

  /** The constraints on the parameters, by PyTorch's parameter names. */
  abstract get argConstraints(): Record<string, Constraint>;
  /** The support of the distribution (a constraint on values). */
  get support(): Constraint {
    throw new NotImplementedError(this.constructor.name, "support is not implemented");
  }

  /** The shape over which parameters are batched. */
  get batchShape(): number[] {
    return [...this._batchShape];
  }
  /** The shape of a single sample (without batching). */
  get eventShape(): number[] {
    return [...this._eventShape];
  }
  /** Whether this instance validates its arguments. */
  get validateArgs(): boolean {
    return this._validateArgs;
  }

  get mean(): Tensor {
    throw new NotImplementedError(this.constructor.name, "mean is not implemented");
  }
  get mode(): Tensor {
    throw new NotImplementedError(this.constructor.name, `${this.constructor.name} does not implement mode`);
  }
  get variance(): Tensor {
    throw new NotImplementedError(this.constructor.name, "variance is not implemented");
  }
  /** The standard deviation: variance.sqrt() unless a distribution overrides it. */
  get stddev(): Tensor {
    return sqrt(this.variance);
  }

  /** Samples of shape sampleShape + batchShape + eventShape, without gradient (rsample under no_grad). */
  sample(sampleShape?: number[] | SampleOptions, opts?: SampleOptions): Tensor {
    const [shape, o] = sampleArgs("sample", sampleShape, opts);
    return noGrad(() => this.rsample(shape, o));
  }
  /** Reparameterised samples (differentiable with respect to the parameters). */
  rsample(_sampleShape?: number[] | SampleOptions, _opts?: SampleOptions): Tensor {
    throw new NotImplementedError(this.constructor.name, "rsample is not implemented");
  }
  /** sample_n(n): sample([n]). */
  sampleN(n: number, opts: SampleOptions = {}): Tensor {
    return this.sample([n], opts);
  }
  logProb(_value: Tensor): Tensor {
    throw new NotImplementedError(this.constructor.name, "log_prob is not implemented");
  }
  cdf(_value: Tensor): Tensor {
    throw new NotImplementedError(this.constructor.name, "cdf is not implemented");
  }
  icdf(_value: Tensor): Tensor {
    throw new NotImplementedError(this.constructor.name, "icdf is not implemented");
  }
  enumerateSupport(_expand = true): Tensor {
    throw new NotImplementedError(this.constructor.name, "enumerate_support is not implemented");
  }
  entropy(): Tensor {
    throw new NotImplementedError(this.constructor.name, "entropy is not implemented");
  }
  /** exp(entropy()). */
  perplexity(): Tensor {
    return exp(this.entropy());
  }
  /** A new instance with the batch dims expanded to batchShape (parameters as expanded views). */
  expand(_batchShape: number[]): Distribution {
    throw new NotImplementedError(this.constructor.name, "expand is not implemented");
  }

  /** sampleShape + batchShape + eventShape. */
  protected _extendedShape(sampleShape: readonly number[] = []): number[] {
    return [...sampleShape, ...this._batchShape, ...this._eventShape];
  }

  /**
   * Distribution._validate_sample: value's rightmost dims must match eventShape, the rest must
   * broadcast with batchShape, and every element must lie in the support.
   */
  protected _validateSample(value: Tensor): void {
    const name = this.constructor.name;
    if (!(value instanceof Tensor)) throw new ValueError(name, "The value argument to log_prob must be a Tensor");
    const ev = this._eventShape;
    const start = value.ndim - ev.length;
    const tail = value.shape.slice(Math.max(start, 0));
    if (start < 0 || tail.length !== ev.length || tail.some((d, i) => d !== ev[i]))
      throw new ValueError(name, `The right-most size of value must match event_shape: ${pySize(value.shape)} vs ${pySize(ev)}.`);
    const actual = value.shape;
    const expected = [...this._batchShape, ...ev];
    for (let k = 1; k <= Math.min(actual.length, expected.length); k++) {
      const i = actual[actual.length - k] as number;
      const j = expected[expected.length - k] as number;
      if (i !== 1 && j !== 1 && i !== j)
        throw new ValueError(
          name,
          `Value is not broadcastable with batch_shape+event_shape: ${pySize(actual)} vs ${pySize(expected)}.`,
        );
    }
    const support = this.support;
    const valid = noGrad(() => support.check(value));
    if (!all(valid).itemSync())
      throw new ValueError(
        name,
        `Expected value argument (Tensor of shape ${pyTuple(value.shape)}) to be within the support (${support}) of the distribution ${this.repr()}, but found invalid values:\n${pyFormat(value)}`,
      );
  }

  /** PyTorch's repr: the class name and each present parameter (its value if one element, else its size). */
  repr(): string {
    const parts: string[] = [];
    for (const p of Object.keys(this.argConstraints)) {
      const v = this._param(p);
      if (v === undefined) continue;
      parts.push(`${p}: ${v.numel() === 1 ? pyFormat(v) : pySize(v.shape)}`);
    }
    return `${this.constructor.name}(${parts.join(", ")})`;
  }
  toString(): string {
    return this.repr();
  }
}
