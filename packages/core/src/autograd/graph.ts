// Reverse-mode autograd: ops record Nodes when an input requires grad and grad mode is on;
// the engine runs them in reverse topological order (ties: most recently created first, as PyTorch).
import { AutogradError } from "../errors.js";
import { keep, popScope, pushScope, Tensor } from "../tensor.js";

// ---- grad mode ----
let gradEnabled = true;
export const isGradEnabled = (): boolean => gradEnabled;
export function setGradEnabled(mode: boolean): void {
  gradEnabled = mode;
}
function withGradMode<T>(mode: boolean, fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = mode;
  try {
    const r = fn();
    if (r instanceof Promise)
      throw new AutogradError("noGrad", "the callback must be synchronous (ops are synchronous; await readback outside)");
    return r;
  } finally {
    gradEnabled = prev;
  }
}
export const noGrad = <T>(fn: () => T): T => withGradMode(false, fn);
export const enableGrad = <T>(fn: () => T): T => withGradMode(true, fn);

// ---- ops the engine needs, provided by ops/ (which depend on this module) ----
export interface GradOps {
  add(a: Tensor, b: Tensor): Tensor;
  addInPlace(a: Tensor, b: Tensor): void;
  zerosLike(t: { shape: readonly number[]; dtype: Tensor["dtype"]; device: string }): Tensor;
  onesLike(t: Tensor): Tensor;
  clone(t: Tensor): Tensor;
}
let ops: GradOps;
export const setGradOps = (o: GradOps): void => {
  ops = o;
};

export type GradHook = (grad: Tensor) => Tensor | undefined | void;
export type BackwardFn = (grads: Tensor[], saved: Tensor[]) => (Tensor | null | undefined)[];
type Edge = { node: Node; index: number } | { leaf: Tensor } | null;

interface OutMeta {
  shape: readonly number[];
  dtype: Tensor["dtype"];
  device: string;
  hooks: GradHook[];
  retained: Tensor | null;
}

/** A saved tensor: its storage is held, and its version recorded, until the node is released. */
class Saved {
  readonly version: number;
  constructor(
    readonly t: Tensor,
    readonly isOutput: boolean,
  ) {
    this.version = t._storage.version;
    t._storage.retain();
  }
  unpack(node: Node, index: number): Tensor {
    const t = this.t;
    if (t._storage.version !== this.version)
      throw new AutogradError(
        "backward",
        `one of the variables needed for gradient computation has been modified by an inplace operation: [${t.dtype} [${t.shape.join(", ")}]], which is ${this.isOutput ? "output" : "input"} ${index} of ${node.name}, is at version ${t._storage.version}; expected version ${this.version} instead`,
      );
    if (!t.isDisposed) return t;
    // The user disposed the handle (e.g. torch.tidy); the storage is still ours. The alias belongs
    // to the backward pass's scope and is disposed with its other temporaries.
    const alias = new Tensor(t._storage.retain(), t.shape, t.strides, t.offset);
    alias.requiresGrad = t.requiresGrad;
    alias.gradFn = t.gradFn;
    alias._outIndex = t._outIndex;
    return alias;
  }
  release(): void {
    this.t._storage.release();
  }
}

let seqCounter = 0;

export class Node {
  readonly seq = seqCounter++;
  /** Live holders: output tensors and consumer nodes. At zero the saved tensors are freed. */
  private refs = 0;
  readonly next: Edge[];
  readonly outs: OutMeta[];
  private fn: BackwardFn | null;
  private saved: Saved[];

  constructor(
    readonly name: string,
    inputs: readonly (Tensor | null)[],
    outputs: readonly Tensor[],
    saved: readonly Tensor[],
    fn: BackwardFn,
  ) {
    this.next = inputs.map((t): Edge => {
      if (!t?.requiresGrad) return null;
      if (!t.gradFn) return { leaf: t };
      t.gradFn._ref();
      return { node: t.gradFn, index: t._outIndex };
    });
    this.outs = outputs.map((o) => ({ shape: o.shape, dtype: o.dtype, device: o.device, hooks: [], retained: null }));
    this.saved = saved.map((s) => new Saved(s, outputs.includes(s)));
    this.fn = fn;
  }

  /** @internal */
  apply(grads: Tensor[]): (Tensor | null | undefined)[] {
    if (!this.fn)
      throw new AutogradError(
        "backward",
        "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call backward() or autograd.grad(). Pass { retainGraph: true } if you need to backward through the graph a second time.",
      );
    const saved = this.saved.map((s, i) => s.unpack(this, i));
    return this.fn(grads, saved);
  }

  /** @internal */
  _ref(): void {
    this.refs++;
  }
  /** @internal a holder let go: when none is left, free what this node saved and let go of its inputs' nodes. */
  _unref(): void {
    if (--this.refs > 0) return;
    this.release();
    const next = this.next.splice(0);
    for (const e of next) if (e && "node" in e) e.node._unref();
  }

  /** @internal free saved tensors (after a backward without retainGraph). */
  release(): void {
    for (const s of this.saved) s.release();
    this.saved = [];
    this.fn = null;
  }
}

/** Whether any input takes part in autograd, given the grad mode. */
export const needsGrad = (inputs: readonly (Tensor | null | undefined)[]): boolean =>
  gradEnabled && inputs.some((t) => t?.requiresGrad === true);

/**
 * Record a backward node for `outputs` if any input requires grad. `fn` maps output grads to input
 * grads, written with differentiable ops so double backward works.
 */
export function attachGrad(
  name: string,
  inputs: readonly (Tensor | null | undefined)[],
  outputs: readonly Tensor[],
  saved: readonly Tensor[],
  fn: BackwardFn,
): void {
  if (!needsGrad(inputs)) return;
  const node = new Node(
    name,
    inputs.map((t) => t ?? null),
    outputs,
    saved,
    fn,
  );
  outputs.forEach((o, i) => {
    o.requiresGrad = true;
    o.gradFn = node;
    o._outIndex = i;
  });
}

// ---- the engine ----

interface RunOptions {
  retainGraph: boolean;
  createGraph: boolean;
  /** autograd.grad: capture grads for these tensors instead of accumulating into leaves. */
  capture?: readonly Tensor[];
}

export function runBackward(roots: readonly Tensor[], rootGrads: readonly Tensor[], opt: RunOptions): (Tensor | null)[] {
  const captureLeaves = new Map<Tensor, number>();
  const captureNodes = new Map<string, number>();
  const captured: (Tensor | null)[] = (opt.capture ?? []).map(() => null);
  opt.capture?.forEach((t, i) => {
    if (!t.requiresGrad) throw new AutogradError("autograd.grad", `input ${i} does not require grad`);
    if (t.gradFn) captureNodes.set(`${t.gradFn.seq}:${t._outIndex}`, i);
    else captureLeaves.set(t, i);
  });
  const capturing = opt.capture !== undefined;
  const sum = (a: Tensor | null, b: Tensor): Tensor => (a ? ops.add(a, b) : b);

  const deliverLeaf = (leaf: Tensor, g: Tensor): void => {
    for (const h of leaf._leafHooks) {
      const r = h(g);
      if (r instanceof Tensor) g = r;
    }
    const ci = captureLeaves.get(leaf);
    if (ci !== undefined) {
      captured[ci] = sum(captured[ci] ?? null, g);
      return;
    }
    if (capturing) return;
    if (!leaf.grad) {
      // The incoming grad may be shared (a root grad, a view such as sum's expanded grad, or a
      // tensor another node still has to consume): .grad gets its own contiguous copy, which
      // later accumulations may modify in place (PyTorch's AccumulateGrad clones unless it owns it).
      leaf.grad = keep(opt.createGraph ? g : ops.clone(g));
    } else if (opt.createGraph) leaf.grad = keep(ops.add(leaf.grad, g));
    else ops.addInPlace(leaf.grad, g);
  };

  // Every temporary gradient the engine makes is disposed at the end; results are kept.
  const scope = pushScope();
  try {
    return withGradMode(opt.createGraph, () => runNodes());
  } finally {
    popScope();
    for (const c of captured)
      if (c) {
        scope.delete(c);
        c._track();
      }
    for (const t of scope) if (!t.isDisposed) t.dispose();
  }

  function runNodes(): (Tensor | null)[] {
    // Count, for each node, the edges that reach it from the roots.
    const deps = new Map<Node, number>();
    const stack: Node[] = [];
    for (const r of roots) {
      if (!r.gradFn || deps.has(r.gradFn)) continue;
      deps.set(r.gradFn, 0);
      stack.push(r.gradFn);
    }
    while (stack.length) {
      const n = stack.pop() as Node;
      for (const e of n.next) {
        if (!e || !("node" in e)) continue;
        const seen = deps.has(e.node);
        deps.set(e.node, (deps.get(e.node) ?? 0) + 1);
        if (!seen) stack.push(e.node);
      }
    }
    const buffers = new Map<Node, (Tensor | null)[]>();
    const ready: Node[] = [];
    roots.forEach((r, i) => {
      const g = rootGrads[i] as Tensor;
      if (!r.requiresGrad)
        throw new AutogradError("backward", `element ${i} of tensors does not require grad and does not have a grad_fn`);
      if (!r.gradFn) return deliverLeaf(r, g);
      const buf = buffers.get(r.gradFn) ?? r.gradFn.outs.map(() => null);
      buf[r._outIndex] = sum(buf[r._outIndex] ?? null, g);
      buffers.set(r.gradFn, buf);
    });
    for (const [n, d] of deps) if (d === 0) ready.push(n);

    while (ready.length) {
      // Most recently created node first among the ready ones.
      let bi = 0;
      for (let i = 1; i < ready.length; i++) if ((ready[i] as Node).seq > (ready[bi] as Node).seq) bi = i;
      const node = ready.splice(bi, 1)[0] as Node;
      const buf = buffers.get(node) ?? node.outs.map(() => null);
      buffers.delete(node);
      const grads = node.outs.map((m, i) => {
        let g = buf[i] ?? null;
        if (g) {
          for (const h of m.hooks) {
            const r = h(g);
            if (r instanceof Tensor) g = r;
          }
          if (m.retained)
            m.retained.grad = keep(m.retained.grad ? ops.add(m.retained.grad, g) : opt.createGraph ? g : ops.clone(g));
          const ci = captureNodes.get(`${node.seq}:${i}`);
          if (ci !== undefined) captured[ci] = sum(captured[ci] ?? null, g);
        }
        return g ?? ops.zerosLike(m);
      });
      const inGrads = node.apply(grads);
      node.next.forEach((e, j) => {
        const g = inGrads[j];
        if (!e) return;
        if ("leaf" in e) {
          if (g) deliverLeaf(e.leaf, g);
          return;
        }
        if (g) {
          const b = buffers.get(e.node) ?? e.node.outs.map(() => null);
          b[e.index] = sum(b[e.index] ?? null, g);
          buffers.set(e.node, b);
        }
        const left = (deps.get(e.node) as number) - 1;
        deps.set(e.node, left);
        if (left === 0) ready.push(e.node);
      });
      if (!opt.retainGraph) node.release();
    }
    return captured.map((c) => (c ? keep(c) : null));
  }
}

/** Register a hook on a non-leaf tensor's gradient (leaves keep theirs on the tensor). */
export function addNodeHook(t: Tensor, hook: GradHook): void {
  (t.gradFn as Node).outs[t._outIndex]?.hooks.push(hook);
}
export function retainNodeGrad(t: Tensor): void {
  const m = (t.gradFn as Node).outs[t._outIndex];
  if (m) m.retained = t;
}
