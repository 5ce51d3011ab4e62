// Typed errors. Each message names the op, what it got, and what would be valid.

export class LockstepError extends Error {
  constructor(
    readonly op: string,
    message: string,
  ) {
    super(`${op}: ${message}`);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit together (broadcasting, matmul inner sizes, view sizes, ...). */
export class ShapeError extends LockstepError {}
/** A dtype the op does not accept, or an unsafe cast. */
export class DTypeError extends LockstepError {}
/** Tensors on different devices, or an unknown device. */
export class DeviceError extends LockstepError {}
/** A backend or adapter that could not start. */
export class DeviceUnavailableError extends LockstepError {}
/** An index or dim out of range. */
export class IndexError extends LockstepError {}
/** A value out of the op's domain (negative size, bad option, ...). */
export class ValueError extends LockstepError {}
/** Autograd misuse: backward through a freed graph, in-place change of a saved tensor, ... */
export class AutogradError extends LockstepError {}
/** Use of a tensor after dispose(). */
export class DisposedError extends LockstepError {}
/** A nondeterministic kernel was requested while torch.useDeterministicAlgorithms(true) is on. */
export class NondeterministicError extends LockstepError {}

export const fmtShape = (s: readonly number[]): string => `[${s.join(", ")}]`;
