// torch.distributions.constraints: the regions parameters and samples must lie in. `check(value)`
// returns a bool tensor over the batch (the constraint's event dims reduced), as PyTorch's; the
// string forms are PyTorch's reprs, which its validation messages quote.
import { noGrad } from "../autograd/graph.js";
import { fromStorageArray } from "../ops/core.js";
import { full } from "../ops/creation.js";
import { abs, add, eq, ge, gt, isfinite, le, logicalAnd, logicalOr, lt, mul, remainder, sub } from "../ops/elementwise.js";
import { all, amin } from "../ops/reduce.js";
import { tril } from "../ops/shapecopy.js";
import { diagonal, reshape, transpose } from "../ops/views.js";
import type { Tensor } from "../tensor.js";
import { choleskyEx } from "./linalg.js";
import { pyFloat, pyFormat, sumLast } from "./utils.js";

type Bound = Tensor | number;
/** A bound as PyTorch's repr writes it: tensors via format(), numbers as Python floats. */
const fmtBound = (b: Bound): string => (typeof b === "number" ? pyFloat(b) : pyFormat(b));

/** Base class: a region that values of a distribution's parameter or support must lie in. */
export abstract class Constraint {
  /** Whether the constrained space is discrete. */
  get isDiscrete(): boolean {
    return false;
  }
  /** Number of rightmost dims that together form an event (reduced by check). */
  get eventDim(): number {
    return 0;
  }
  /** A bool tensor of sample_shape + batch_shape: whether each event satisfies the constraint. */
  abstract check(value: Tensor): Tensor;
  /** PyTorch's class name without its leading underscore ("Real", "Simplex", ...). */
  protected abstract readonly name: string;
  toString(): string {
    return `${this.name}()`;
  }
}

/** Placeholder for a constraint that depends on other parameters (never checked). */
export class Dependent extends Constraint {
  protected readonly name: string = "Dependent";
  constructor(
    private readonly discrete?: boolean,
    private readonly evDim?: number,
  ) {
    super();
  }
  override get isDiscrete(): boolean {
    return this.discrete ?? false;
  }
  override get eventDim(): number {
    return this.evDim ?? 0;
  }
  check(_value: Tensor): Tensor {
    throw new Error("Cannot determine validity of dependent constraint");
  }
}
export const isDependent = (c: Constraint): boolean => c instanceof Dependent;

/** Constrains to the extended real line [-inf, inf] (false for NaN). */
export class Real extends Constraint {
  protected readonly name: string = "Real";
  check(value: Tensor): Tensor {
    return eq(value, value);
  }
}
/** (lowerBound, inf] */
export class GreaterThan extends Constraint {
  protected readonly name: string = "GreaterThan";
  constructor(readonly lowerBound: Bound) {
    super();
  }
  check(value: Tensor): Tensor {
    return lt(this.lowerBound, value);
  }
  override toString(): string {
    return `GreaterThan(lower_bound=${fmtBound(this.lowerBound)})`;
  }
}
/** [lowerBound, inf) */
export class GreaterThanEq extends Constraint {
  protected readonly name: string = "GreaterThanEq";
  constructor(readonly lowerBound: Bound) {
    super();
  }
  check(value: Tensor): Tensor {
    return le(this.lowerBound, value);
  }
  override toString(): string {
    return `GreaterThanEq(lower_bound=${fmtBound(this.lowerBound)})`;
  }
}
/** [-inf, upperBound) */
export class LessThan extends Constraint {
  protected readonly name: string = "LessThan";
  constructor(readonly upperBound: Bound) {
    super();
  }
  check(value: Tensor): Tensor {
    return lt(value, this.upperBound);
  }
  override toString(): string {
    return `LessThan(upper_bound=${fmtBound(this.upperBound)})`;
  }
}
/** [lowerBound, upperBound] */
export class Interval extends Constraint {
  protected readonly name: string = "Interval";
  constructor(
    readonly lowerBound: Bound,
    readonly upperBound: Bound,
  ) {
    super();
  }
  check(value: Tensor): Tensor {
    return logicalAnd(le(this.lowerBound, value), le(value, this.upperBound));
  }
  override toString(): string {
    return `Interval(lower_bound=${fmtBound(this.lowerBound)}, upper_bound=${fmtBound(this.upperBound)})`;
  }
}
/** [lowerBound, upperBound) */
export class HalfOpenInterval extends Constraint {
  protected readonly name: string = "HalfOpenInterval";
  constructor(
    readonly lowerBound: Bound,
    readonly upperBound: Bound,
  ) {
    super();
  }
  check(value: Tensor): Tensor {
    return logicalAnd(le(this.lowerBound, value), lt(value, this.upperBound));
  }
  override toString(): string {
    return `HalfOpenInterval(lower_bound=${fmtBound(this.lowerBound)}, upper_bound=${fmtBound(this.upperBound)})`;
  }
}
/** The integers in [lowerBound, upperBound]. */
export class IntegerInterval extends Constraint {
  protected readonly name: string = "IntegerInterval";
  constructor(
    readonly lowerBound: number,
    readonly upperBound: number,
  ) {
    super();
  }
  override get isDiscrete(): boolean {
    return true;
  }
  check(value: Tensor): Tensor {
    return logicalAnd(logicalAnd(eq(remainder(value, 1), 0), le(this.lowerBound, value)), le(value, this.upperBound));
  }
  override toString(): string {
    return `IntegerInterval(lower_bound=${this.lowerBound}, upper_bound=${this.upperBound})`;
  }
}
/** The integers ≥ lowerBound. */
export class IntegerGreaterThan extends Constraint {
  protected readonly name: string = "IntegerGreaterThan";
  constructor(readonly lowerBound: number) {
    super();
  }
  override get isDiscrete(): boolean {
    return true;
  }
  check(value: Tensor): Tensor {
    return logicalAnd(eq(remainder(value, 1), 0), ge(value, this.lowerBound));
  }
  override toString(): string {
    return `IntegerGreaterThan(lower_bound=${this.lowerBound})`;
  }
}
/** {0, 1} */
export class BooleanConstraint extends Constraint {
  protected readonly name: string = "Boolean";
  override get isDiscrete(): boolean {
    return true;
  }
  check(value: Tensor): Tensor {
    return logicalOr(eq(value, 0), eq(value, 1));
  }
}
/** Non-negative vectors summing to 1 (within 1e-6) along the last dim. */
export class Simplex extends Constraint {
  protected readonly name: string = "Simplex";
  override get eventDim(): number {
    return 1;
  }
  check(value: Tensor): Tensor {
    return logicalAnd(all(ge(value, 0), -1), lt(abs(sub(sumLast(value), 1)), 1e-6));
  }
}
/** Reinterprets `reinterpretedBatchNdims` batch dims of a base constraint as event dims. */
export class IndependentConstraint extends Constraint {
  protected readonly name: string = "IndependentConstraint";
  constructor(
    readonly baseConstraint: Constraint,
    readonly reinterpretedBatchNdims: number,
  ) {
    super();
  }
  override get isDiscrete(): boolean {
    return this.baseConstraint.isDiscrete;
  }
  override get eventDim(): number {
    return this.baseConstraint.eventDim + this.reinterpretedBatchNdims;
  }
  check(value: Tensor): Tensor {
    let result = this.baseConstraint.check(value);
    const k = this.reinterpretedBatchNdims;
    if (result.ndim < k) throw new Error(`Expected value.dim() >= ${this.eventDim} but got ${value.ndim}`);
    result = reshape(result, [...result.shape.slice(0, result.ndim - k), -1]);
    return all(result, -1);
  }
  override toString(): string {
    return `IndependentConstraint(${this.baseConstraint}, ${this.reinterpretedBatchNdims})`;
  }
}

const lowerTriangular = (value: Tensor): Tensor =>
  amin(reshape(eq(tril(value), value), [...value.shape.slice(0, -2), -1]).to("uint8"), -1).to("bool");

/** Lower-triangular square matrices. */
export class LowerTriangular extends Constraint {
  protected readonly name: string = "LowerTriangular";
  override get eventDim(): number {
    return 2;
  }
  check(value: Tensor): Tensor {
    return lowerTriangular(value);
  }
}
/** Lower-triangular square matrices with a positive diagonal. */
export class LowerCholesky extends Constraint {
  protected readonly name: string = "LowerCholesky";
  override get eventDim(): number {
    return 2;
  }
  check(value: Tensor): Tensor {
    const posDiag = amin(gt(diagonal(value, 0, -2, -1), 0).to("uint8"), -1).to("bool");
    return logicalAnd(lowerTriangular(value), posDiag);
  }
}
/** Square matrices. */
export class Square extends Constraint {
  protected readonly name: string = "Square";
  override get eventDim(): number {
    return 2;
  }
  check(value: Tensor): Tensor {
    return full(value.shape.slice(0, -2), value.shape[value.ndim - 2] === value.shape[value.ndim - 1], {
      dtype: "bool",
      device: value.device,
    });
  }
}
/** Symmetric square matrices (torch.isclose(value, value.mT, atol=1e-6)). */
export class Symmetric extends Square {
  protected override readonly name: string = "Symmetric";
  override check(value: Tensor): Tensor {
    const sq = super.check(value);
    if (!all(sq).itemSync()) return sq;
    const t = transpose(value, -2, -1);
    // isclose(a, b, rtol=1e-5, atol=1e-6): a == b, or both finite and |a - b| <= atol + rtol·|b|
    const close = logicalOr(
      eq(value, t),
      logicalAnd(logicalAnd(isfinite(value), isfinite(t)), le(abs(sub(value, t)), add(mul(abs(t), 1e-5), 1e-6))),
    );
    return all(all(close, -2), -1);
  }
}
/** Positive-definite matrices: symmetric, and the Cholesky factorisation succeeds. */
export class PositiveDefinite extends Symmetric {
  protected override readonly name: string = "PositiveDefinite";
  override check(value: Tensor): Tensor {
    const sym = super.check(value);
    if (!all(sym).itemSync()) return sym;
    const { info } = noGrad(() => choleskyEx(value));
    const ok = new Uint8Array(info.map((i) => (i === 0 ? 1 : 0)));
    return fromStorageArray(ok, value.shape.slice(0, -2), "bool", value.device);
  }
}

// ---- the public instances (torch.distributions.constraints.*) ----
export const dependent = new Dependent();
export const dependentProperty = (isDiscrete = false, eventDim = 0): Dependent => new Dependent(isDiscrete, eventDim);
export const independent = (c: Constraint, n: number): IndependentConstraint => new IndependentConstraint(c, n);
export const boolean = new BooleanConstraint();
export const nonnegativeInteger = new IntegerGreaterThan(0);
export const positiveInteger = new IntegerGreaterThan(1);
export const integerInterval = (lo: number, hi: number): IntegerInterval => new IntegerInterval(lo, hi);
export const real = new Real();
export const realVector = independent(real, 1);
export const positive = new GreaterThan(0.0);
export const nonnegative = new GreaterThanEq(0.0);
export const greaterThan = (lb: Bound): GreaterThan => new GreaterThan(lb);
export const greaterThanEq = (lb: Bound): GreaterThanEq => new GreaterThanEq(lb);
export const lessThan = (ub: Bound): LessThan => new LessThan(ub);
export const unitInterval = new Interval(0.0, 1.0);
export const interval = (lo: Bound, hi: Bound): Interval => new Interval(lo, hi);
export const halfOpenInterval = (lo: Bound, hi: Bound): HalfOpenInterval => new HalfOpenInterval(lo, hi);
export const simplex = new Simplex();
export const lowerTriangularC = new LowerTriangular();
export const lowerCholesky = new LowerCholesky();
export const square = new Square();
export const symmetric = new Symmetric();
export const positiveDefinite = new PositiveDefinite();
