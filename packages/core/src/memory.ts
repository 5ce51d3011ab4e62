// torch.tidy and friends: explicit lifetime for tensors (GPU memory is invisible to JS's GC).
import { ValueError } from "./errors.js";
import { currentScope, keep, popScope, pushScope, Tensor } from "./tensor.js";

function collect(x: unknown, into: Set<Tensor>, seen?: Set<unknown>): void {
  if (x instanceof Tensor) {
    into.add(x);
    if (x.grad) into.add(x.grad);
    return;
  }
  if (x === null || typeof x !== "object") return;
  seen ??= new Set<unknown>();
  if (seen.has(x)) return;
  seen.add(x);
  if (Array.isArray(x)) for (const v of x) collect(v, into, seen);
  else if (x instanceof Map) for (const v of x.values()) collect(v, into, seen);
  else if (Object.getPrototypeOf(x) === Object.prototype) for (const v of Object.values(x)) collect(v, into, seen);
}

/** Run fn; dispose every tensor created inside that is not part of its (synchronous) result. */
export function tidy<T>(fn: () => T): T {
  const scope = pushScope();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    popScope();
    for (const t of scope) t.dispose();
    throw e;
  }
  popScope();
  if (result instanceof Promise) {
    for (const t of scope) t.dispose();
    throw new ValueError("tidy", "fn must be synchronous (ops are synchronous; await readback outside tidy)");
  }
  const kept = new Set<Tensor>();
  if (result !== undefined && result !== null) collect(result, kept);
  const parent = currentScope();
  for (const t of scope) {
    if (!kept.has(t)) t.dispose();
    else if (parent)
      parent.add(t); // results belong to the enclosing scope
    else t._track(); // or to nobody: the finalizer's safety net
  }
  return result;
}

/** Dispose tensors found in a value (tensor, array, plain object, Map). */
export function dispose(x: unknown): void {
  const ts = new Set<Tensor>();
  collect(x, ts);
  for (const t of ts) t.dispose();
}

export { keep };
