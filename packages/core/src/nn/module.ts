// nn.Module: parameters, buffers and submodules registered by assignment (as PyTorch's
// __setattr__), state dicts, hooks, train/eval, and PyTorch's printout.
import { noGrad } from "../autograd/graph.js";
import type { DType } from "../dtype.js";
import { ShapeError, ValueError } from "../errors.js";
import { Tensor } from "../tensor.js";
import { isParameter, Parameter } from "./parameter.js";

export type ForwardHook = (module: Module, input: unknown[], output: unknown) => unknown;
export type ForwardPreHook = (module: Module, input: unknown[]) => unknown[] | undefined | void;
export interface HookHandle {
  remove(): void;
}
export type StateDict = Record<string, Tensor>;
export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** A Module's own bookkeeping fields (not parameters, buffers or submodules). */
export const MODULE_BOOKKEEPING: readonly string[] = [
  "_parameters",
  "_buffers",
  "_modules",
  "_nonPersistent",
  "_forwardHooks",
  "_forwardPreHooks",
];
const INTERNAL = new Set([...MODULE_BOOKKEEPING, "training"]);

export class Module {
  training = true;
  /** @internal */ readonly _parameters = new Map<string, Tensor | null>();
  /** @internal */ readonly _buffers = new Map<string, Tensor | null>();
  /** @internal */ readonly _modules = new Map<string, Module | null>();
  /** @internal */ readonly _nonPersistent = new Set<string>();
  /** @internal */ readonly _forwardHooks: ForwardHook[] = [];
  /** @internal */ readonly _forwardPreHooks: ForwardPreHook[] = [];

  constructor() {
    // Assigning a Parameter or Module to an attribute registers it, as in PyTorch; class fields
    // arrive through defineProperty, plain assignments through set.
    const register = (target: Module, key: string | symbol, value: unknown): void => {
      if (typeof key !== "string" || INTERNAL.has(key)) return;
      if (isParameter(value)) {
        target._buffers.delete(key);
        target._modules.delete(key);
        target._parameters.set(key, value as Tensor);
      } else if (value instanceof Module) {
        target._parameters.delete(key);
        target._buffers.delete(key);
        target._modules.set(key, value);
      } else if (target._parameters.has(key)) {
        if (value !== null && value !== undefined)
          throw new ValueError("Module", `cannot assign a non-Parameter to parameter '${key}' (wrap it in nn.Parameter)`);
        target._parameters.set(key, null);
      } else if (target._buffers.has(key)) {
        if (value !== null && value !== undefined && !(value instanceof Tensor))
          throw new ValueError("Module", `cannot assign ${typeof value} to buffer '${key}' (expected a Tensor or null)`);
        target._buffers.set(key, (value as Tensor | null | undefined) ?? null);
      } else if (target._modules.has(key)) {
        target._modules.set(key, null);
      }
    };
    const proxy = new Proxy(this, {
      set(target, key, value, receiver) {
        register(target, key, value);
        return Reflect.set(target, key, value, receiver);
      },
      defineProperty(target, key, desc) {
        if ("value" in desc) register(target, key, desc.value);
        return Reflect.defineProperty(target, key, desc);
      },
    });
    // Calling module.forward(...) goes through hooks: wrap the subclass's forward per instance.
    const forward = (this as unknown as { forward: (...a: unknown[]) => unknown }).forward;
    Object.defineProperty(this, "forward", {
      value: (...args: unknown[]) => proxy._call(forward, args),
      writable: true,
      configurable: true,
      enumerable: false,
    });
    // biome-ignore lint/correctness/noConstructorReturn: registering attributes needs the proxy
    return proxy;
  }

  /** The computation; subclasses override it. */
  forward(..._args: unknown[]): unknown {
    throw new ValueError(this.constructor.name, `Module [${this.constructor.name}] is missing the required "forward" function`);
  }

  /** @internal run pre-hooks, forward, hooks. */
  _call(forward: (...a: unknown[]) => unknown, args: unknown[]): unknown {
    let input = args;
    for (const h of this._forwardPreHooks) {
      const r = h(this, input);
      if (r !== undefined) input = Array.isArray(r) ? r : [r];
    }
    let out = forward.apply(this, input);
    for (const h of this._forwardHooks) {
      const r = h(this, input, out);
      if (r !== undefined) out = r;
    }
    return out;
  }

  registerParameter(name: string, param: Tensor | null): void {
    if (name.includes(".")) throw new ValueError("register_parameter", `parameter name can't contain "." (got '${name}')`);
    if (param !== null && !isParameter(param))
      throw new ValueError("register_parameter", `cannot assign a plain Tensor as parameter '${name}' (wrap it in nn.Parameter)`);
    (this as unknown as Record<string, unknown>)[name] = param;
    this._parameters.set(name, param);
  }

  registerBuffer(name: string, tensor: Tensor | null, persistent = true): void {
    if (name.includes(".")) throw new ValueError("register_buffer", `buffer name can't contain "." (got '${name}')`);
    this._buffers.set(name, tensor);
    if (persistent) this._nonPersistent.delete(name);
    else this._nonPersistent.add(name);
    (this as unknown as Record<string, unknown>)[name] = tensor;
  }

  addModule(name: string, module: Module | null): void {
    if (name.includes(".")) throw new ValueError("add_module", `module name can't contain "." (got '${name}')`);
    this._modules.set(name, module);
    (this as unknown as Record<string, unknown>)[name] = module;
  }
  registerModule(name: string, module: Module | null): void {
    this.addModule(name, module);
  }

  // ---- traversal ----

  *namedModules(prefix = "", memo = new Set<Module>()): Generator<[string, Module]> {
    if (memo.has(this)) return;
    memo.add(this);
    yield [prefix, this];
    for (const [name, m] of this._modules) if (m) yield* m.namedModules(prefix ? `${prefix}.${name}` : name, memo);
  }
  modules(): Module[] {
    return [...this.namedModules()].map(([, m]) => m);
  }
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    for (const [n, m] of this._modules) {
      if (!m || seen.has(m)) continue;
      seen.add(m);
      out.push([n, m]);
    }
    return out;
  }
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  namedParameters(prefix = "", recurse = true): [string, Tensor][] {
    return this.namedMembers((m) => m._parameters, prefix, recurse);
  }
  parameters(recurse = true): Tensor[] {
    return this.namedParameters("", recurse).map(([, p]) => p);
  }
  namedBuffers(prefix = "", recurse = true): [string, Tensor][] {
    return this.namedMembers((m) => m._buffers, prefix, recurse);
  }
  buffers(recurse = true): Tensor[] {
    return this.namedBuffers("", recurse).map(([, b]) => b);
  }

  private namedMembers(get: (m: Module) => Map<string, Tensor | null>, prefix: string, recurse: boolean): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const mods = recurse ? [...this.namedModules(prefix)] : ([[prefix, this]] as [string, Module][]);
    for (const [mp, m] of mods)
      for (const [n, t] of get(m)) {
        if (!t || seen.has(t)) continue;
        seen.add(t);
        out.push([mp ? `${mp}.${n}` : n, t]);
      }
    return out;
  }

  // ---- modes and bulk changes ----

  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  eval(): this {
    return this.train(false);
  }
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad_(requiresGrad);
    return this;
  }
  /** PyTorch 1.13's default zeroes the gradients in place (setToNone: false). */
  zeroGrad(opts: { setToNone?: boolean } = {}): void {
    for (const p of this.parameters()) {
      if (!p.grad) continue;
      if (opts.setToNone) p.grad = null;
      else {
        if (p.grad.gradFn) p.grad = p.grad.detach();
        else p.grad.requiresGrad_(false);
        p.grad.zero_();
      }
    }
  }
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  /** Move/cast parameters and buffers in place (floating dtypes only for dtype casts, as PyTorch). */
  to(target: DType | string | { dtype?: DType; device?: string }): this {
    const convert = (t: Tensor): Tensor => {
      const tgt = typeof target === "string" ? target : target;
      if (typeof tgt !== "string" && tgt.dtype && !t.isFloatingPoint()) return tgt.device ? t.to({ device: tgt.device }) : t;
      if (
        typeof tgt === "string" &&
        !t.isFloatingPoint() &&
        !tgt.includes(":") &&
        ["float32", "float64", "float16", "bfloat16"].includes(tgt)
      )
        return t;
      return t.to(tgt as never);
    };
    noGrad(() => {
      for (const m of this.modules()) {
        for (const [n, p] of m._parameters) {
          if (!p) continue;
          const q = convert(p);
          if (q !== p) {
            const np = new Parameter(q, p.requiresGrad);
            if (p.grad) np.grad = convert(p.grad);
            (m as unknown as Record<string, unknown>)[n] = np;
          }
        }
        for (const [n, b] of m._buffers) if (b) (m as unknown as Record<string, unknown>)[n] = convert(b);
      }
    });
    return this;
  }

  // ---- state dicts ----

  /** Parameters and persistent buffers by dotted name (detached, sharing storage), as PyTorch. */
  stateDict(opts: { prefix?: string; keepVars?: boolean } = {}): StateDict {
    const out: StateDict = {};
    for (const [mp, m] of this.namedModules(opts.prefix?.replace(/\.$/, "") ?? "")) {
      const p = mp ? `${mp}.` : "";
      for (const [n, t] of m._parameters) if (t) out[p + n] = opts.keepVars ? t : t.detach();
      for (const [n, t] of m._buffers) if (t && !m._nonPersistent.has(n)) out[p + n] = opts.keepVars ? t : t.detach();
    }
    return out;
  }

  /** Copy values in (no graph). strict: missing or unexpected keys raise, as PyTorch. */
  loadStateDict(state: StateDict | Map<string, Tensor>, strict = true): LoadResult {
    const sd = state instanceof Map ? Object.fromEntries(state) : state;
    const own = this.stateDict({ keepVars: true });
    const missingKeys = Object.keys(own).filter((k) => !(k in sd));
    const unexpectedKeys = Object.keys(sd).filter((k) => !(k in own));
    const errors: string[] = [];
    for (const [k, dst] of Object.entries(own)) {
      const src = sd[k];
      if (!src) continue;
      if (!(src instanceof Tensor))
        errors.push(`While copying the parameter named "${k}", expected a Tensor, got ${typeof src}.`);
      else if (src.shape.length !== dst.shape.length || src.shape.some((d, i) => d !== dst.shape[i]))
        errors.push(
          `size mismatch for ${k}: copying a param with shape [${src.shape.join(", ")}] from checkpoint, the shape in current model is [${dst.shape.join(", ")}].`,
        );
    }
    if (strict) {
      if (unexpectedKeys.length)
        errors.unshift(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(", ")}.`);
      if (missingKeys.length) errors.unshift(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(", ")}.`);
    }
    if (errors.length)
      throw new ShapeError(
        "load_state_dict",
        `Error(s) in loading state_dict for ${this.constructor.name}:\n\t${errors.join("\n\t")}`,
      );
    noGrad(() => {
      for (const [k, dst] of Object.entries(own)) {
        const src = sd[k];
        if (src) dst.copy_(src);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- hooks ----

  registerForwardHook(hook: ForwardHook): HookHandle {
    this._forwardHooks.push(hook);
    return { remove: () => void this._forwardHooks.splice(this._forwardHooks.indexOf(hook), 1) };
  }
  registerForwardPreHook(hook: ForwardPreHook): HookHandle {
    this._forwardPreHooks.push(hook);
    return { remove: () => void this._forwardPreHooks.splice(this._forwardPreHooks.indexOf(hook), 1) };
  }

  // ---- printing ----

  /** The text inside the parentheses of this module's line (layers override it). */
  extraRepr(): string {
    return "";
  }

  /** PyTorch's module printout. */
  toString(): string {
    const lines: string[] = [];
    const extra = this.extraRepr();
    if (extra) lines.push(...extra.split("\n"));
    for (const [name, m] of this._modules) {
      const child = (m ? m.toString() : "None").split("\n");
      const indented = [child[0], ...child.slice(1).map((l) => `  ${l}`)].join("\n");
      lines.push(`(${name}): ${indented}`);
    }
    const name = this.constructor.name;
    if (lines.length === 0) return `${name}()`;
    if (this._modules.size === 0 && lines.length === 1) return `${name}(${lines[0]})`;
    return `${name}(\n  ${lines.join("\n  ")}\n)`;
  }
}
