// User-facing autograd: tensor.backward, torch.autograd.grad, hooks, gradcheck.
import { AutogradError, DTypeError } from "../errors.js";
import { Tensor } from "../tensor.js";
import { addNodeHook, type GradHook, noGrad, retainNodeGrad, runBackward } from "./graph.js";

let onesLike: (t: Tensor) => Tensor;
/** Wired by ops/index.ts. */
export function setApiOps(o: { onesLike: (t: Tensor) => Tensor }): void {
  onesLike = o.onesLike;
}

function implicitGrad(op: string, t: Tensor): Tensor {
  if (t.numel() !== 1)
    throw new AutogradError(
      op,
      `grad can be implicitly created only for scalar outputs (got shape [${t.shape.join(", ")}]); pass a gradient`,
    );
  return onesLike(t);
}

export function backward(
  t: Tensor,
  gradient?: Tensor | null,
  opts: { retainGraph?: boolean; createGraph?: boolean; inputs?: Tensor[] } = {},
): void {
  t._check("backward");
  if (!t.requiresGrad)
    throw new AutogradError("backward", "element 0 of tensors does not require grad and does not have a grad_fn");
  const g = gradient ?? implicitGrad("backward", t);
  if (g.shape.length !== t.shape.length || g.shape.some((d, i) => d !== t.shape[i]))
    throw new AutogradError(
      "backward",
      `gradient has shape [${g.shape.join(", ")}] but the tensor has shape [${t.shape.join(", ")}]`,
    );
  const createGraph = opts.createGraph ?? false;
  if (opts.inputs) {
    const grads = runBackward([t], [g], { retainGraph: opts.retainGraph ?? createGraph, createGraph, capture: opts.inputs });
    noGrad(() =>
      opts.inputs?.forEach((x, i) => {
        const gi = grads[i];
        if (gi) x.grad = x.grad ? x.grad.add(gi) : gi;
      }),
    );
    return;
  }
  runBackward([t], [g], { retainGraph: opts.retainGraph ?? createGraph, createGraph });
  if (!gradient && !createGraph) g.dispose(); // the implicit ones(); .grad holds its own copy
}

/** torch.autograd.grad: gradients of outputs w.r.t. inputs, without touching .grad. */
export function grad(
  outputs: Tensor | Tensor[],
  inputs: Tensor | Tensor[],
  opts: {
    gradOutputs?: Tensor | (Tensor | null)[] | null;
    retainGraph?: boolean;
    createGraph?: boolean;
    allowUnused?: boolean;
  } = {},
): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const ins = Array.isArray(inputs) ? inputs : [inputs];
  const gos =
    opts.gradOutputs === undefined || opts.gradOutputs === null
      ? []
      : Array.isArray(opts.gradOutputs)
        ? opts.gradOutputs
        : [opts.gradOutputs];
  const rootGrads = outs.map((o, i) => gos[i] ?? implicitGrad("autograd.grad", o));
  const createGraph = opts.createGraph ?? false;
  const res = runBackward(outs, rootGrads, { retainGraph: opts.retainGraph ?? createGraph, createGraph, capture: ins });
  if (!createGraph) rootGrads.forEach((g, i) => (gos[i] ? undefined : g.dispose()));
  res.forEach((r, i) => {
    if (!r && !opts.allowUnused)
      throw new AutogradError(
        "autograd.grad",
        `One of the differentiated Tensors (input ${i}) appears to not have been used in the graph. Set allowUnused: true if this is the desired behavior.`,
      );
  });
  return res;
}

export function retainGrad(t: Tensor): void {
  if (!t.requiresGrad) throw new AutogradError("retain_grad", "can't retain_grad on Tensor that has requires_grad=False");
  if (t.isLeaf) return;
  t._retainsGrad = true;
  retainNodeGrad(t);
}

/** Register a hook called with the gradient; returning a tensor replaces it. Returns a remover. */
export function registerHook(t: Tensor, hook: GradHook): { remove(): void } {
  if (!t.requiresGrad)
    throw new AutogradError("register_hook", "cannot register a hook on a tensor that doesn't require gradient");
  let list: GradHook[];
  if (t.isLeaf) list = t._leafHooks;
  else {
    addNodeHook(t, hook);
    const node = t.gradFn;
    list = node?.outs[t._outIndex]?.hooks ?? [];
    return { remove: () => void list.splice(list.indexOf(hook), 1) };
  }
  list.push(hook);
  return { remove: () => void list.splice(list.indexOf(hook), 1) };
}

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Throw on failure (default) or return false. */
  raiseException?: boolean;
}

/**
 * Compare autograd's gradients with central finite differences, in float64 on a device with
 * synchronous readback (the reference), as torch.autograd.gradcheck.
 */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): boolean {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-3;
  for (const x of inputs)
    if (x.requiresGrad && x.dtype !== "float64")
      throw new DTypeError(
        "gradcheck",
        `inputs requiring grad must be float64 (got ${x.dtype}); precision in lower dtypes is not enough for finite differences`,
      );
  const evalFlat = (): Float64Array => noGrad(() => Float64Array.from(fn(...inputs).dataSync() as Float64Array));
  const out = fn(...inputs);
  const nOut = out.numel();
  const fail = (msg: string): boolean => {
    if (opts.raiseException === false) return false;
    throw new AutogradError("gradcheck", msg);
  };
  for (let xi = 0; xi < inputs.length; xi++) {
    const x = inputs[xi] as Tensor;
    if (!x.requiresGrad) continue;
    const data = x._storage.buf as Float64Array;
    const n = x.numel();
    // numerical Jacobian column by column
    const numJ = new Float64Array(n * nOut);
    const flatIdx = contiguousOffsets(x);
    for (let i = 0; i < n; i++) {
      const at = flatIdx[i] as number;
      const orig = data[at] as number;
      data[at] = orig + eps;
      const plus = evalFlat();
      data[at] = orig - eps;
      const minus = evalFlat();
      data[at] = orig;
      for (let o = 0; o < nOut; o++) numJ[o * n + i] = ((plus[o] as number) - (minus[o] as number)) / (2 * eps);
    }
    // analytical Jacobian row by row
    for (let o = 0; o < nOut; o++) {
      const go = noGrad(() => onesLike(out).mul(0).reshape([-1]));
      (go._storage.buf as Float64Array)[o] = 1;
      const y = fn(...inputs);
      const [g] = grad([y], [x], { gradOutputs: [go.reshape([...y.shape])], allowUnused: true });
      const ga = g ? Float64Array.from(g.dataSync() as Float64Array) : new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const a = ga[i] as number;
        const b = numJ[o * n + i] as number;
        if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b)))
          return fail(
            `Jacobian mismatch for output ${o} with respect to input ${xi}, element ${i}: numerical ${b}, analytical ${a}`,
          );
      }
    }
  }
  return true;
}

/** Storage offsets of a tensor's elements in row-major order. */
function contiguousOffsets(x: Tensor): number[] {
  const out: number[] = [];
  const idx = new Array<number>(x.ndim).fill(0);
  const n = x.numel();
  for (let k = 0; k < n; k++) {
    let off = x.offset;
    for (let d = 0; d < x.ndim; d++) off += (idx[d] as number) * (x.strides[d] as number);
    out.push(off);
    for (let d = x.ndim - 1; d >= 0; d--) {
      idx[d] = (idx[d] as number) + 1;
      if ((idx[d] as number) < (x.shape[d] as number)) break;
      idx[d] = 0;
    }
  }
  return out;
}

export { Tensor };
