// Errors of torch.save / torch.load. Every message names the file and what is wrong with it.
import { LockstepError } from "../errors.js";

/** A checkpoint that cannot be written or read: truncated, corrupt, unsupported, or an I/O failure. */
export class CheckpointError extends LockstepError {
  constructor(
    op: string,
    /** The file (or "<bytes>" for in-memory data) the error is about. */
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(op, `${file === "<bytes>" ? "checkpoint bytes" : `checkpoint '${file}'`}: ${message}`);
    if (options && "cause" in options) (this as { cause?: unknown }).cause = options.cause;
  }
}

/**
 * A pickle (the `data.pkl` record of a PyTorch `.pt` file) that the restricted unpickler refuses:
 * an opcode or global outside the allow-list, or a malformed stream. Nothing in the file was run.
 */
export class UnpicklingError extends CheckpointError {}
