// torch.optim.Optimizer: parameter groups, per-parameter state, zeroGrad, stateDict/loadStateDict.
// Semantics follow PyTorch 1.13's torch/optim/optimizer.py; option names are camelCased in
// TypeScript (`weightDecay`) and written in PyTorch's snake_case inside state dicts
// (`weight_decay`), so that state dicts interchange with PyTorch checkpoints.

import { enableGrad, noGrad } from "../autograd/graph.js";
import { ValueError } from "../errors.js";
import { keep, tidy } from "../memory.js";
import { to } from "../ops/convert.js";
import { clone } from "../ops/elementwise.js";
import { Tensor } from "../tensor.js";

/** Marks an option that has no default (PyTorch's `required`), e.g. SGD's `lr`. */
export const required: unique symbol = Symbol("required");

/** A parameter group as given to a constructor or `addParamGroup`: tensors plus per-group options. */
export interface ParamGroupInput {
  params: Tensor | Iterable<Tensor>;
  [option: string]: unknown;
}

/** A parameter group as the optimizer holds it (`optimizer.paramGroups[i]`). */
export interface ParamGroup {
  params: Tensor[];
  lr: number;
  [option: string]: unknown;
}

/** What optimizers accept: an iterable of tensors, or an iterable of parameter groups. */
export type Params = Iterable<Tensor> | Iterable<ParamGroupInput>;

/** Per-parameter optimizer state (camelCase keys: `momentumBuffer`, `expAvg`, `step`, ...). */
export type ParamState = Record<string, unknown>;

/** PyTorch's state-dict layout: state keyed by parameter index, groups with `params` as indices. */
export interface OptimizerStateDict {
  state: Record<number, Record<string, unknown>>;
  param_groups: Record<string, unknown>[];
}

export const camelToSnake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
export const snakeToCamel = (k: string): string => k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

function deepCopyValue(v: unknown): unknown {
  if (v instanceof Tensor) return keep(noGrad(() => clone(v)));
  if (Array.isArray(v)) return v.map(deepCopyValue);
  if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype)
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, deepCopyValue(x)]));
  return v;
}

function emitWarning(message: string): void {
  const p = (globalThis as { process?: { emitWarning?: (m: string, t: string) => void } }).process;
  if (p?.emitWarning) p.emitWarning(message, "UserWarning");
  else console.warn(`UserWarning: ${message}`);
}

export { emitWarning as _emitWarning };

export abstract class Optimizer {
  /** Default options (camelCase), used where a parameter group does not set its own. */
  readonly defaults: Record<string, unknown>;
  /** Per-parameter state, keyed by the parameter tensor (PyTorch's `optimizer.state`). */
  state: Map<Tensor, ParamState> = new Map();
  paramGroups: ParamGroup[] = [];
  /** @internal counts step() calls since a scheduler attached (PyTorch's `_step_count`). */
  _stepCount = 0;

  constructor(params: Params, defaults: Record<string, unknown>) {
    this.defaults = defaults;
    if (params instanceof Tensor)
      throw new TypeError(
        "params argument given to the optimizer should be an iterable of Tensors or dicts, but got torch.FloatTensor",
      );
    const list = [...(params as Iterable<Tensor | ParamGroupInput>)];
    if (list.length === 0) throw new ValueError("optimizer", "optimizer got an empty parameter list");
    const groups: ParamGroupInput[] = list[0] instanceof Tensor ? [{ params: list as Tensor[] }] : (list as ParamGroupInput[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** Add a parameter group (e.g. layers unfrozen during fine-tuning), with its own options. */
  addParamGroup(paramGroup: ParamGroupInput): void {
    if (paramGroup === null || typeof paramGroup !== "object" || paramGroup instanceof Tensor)
      throw new TypeError("param group must be a dict");
    const raw = paramGroup.params;
    if (raw instanceof Set)
      throw new TypeError(
        "optimizer parameters need to be organized in ordered collections, but the ordering of tensors in sets will change between runs. Please use a list instead.",
      );
    const params = raw instanceof Tensor ? [raw] : [...raw];
    for (const p of params) {
      if (!(p instanceof Tensor))
        throw new TypeError(`optimizer can only optimize Tensors, but one of the params is ${typeof p}`);
      if (!p.isLeaf && !p._retainsGrad) throw new ValueError("optimizer", "can't optimize a non-leaf Tensor");
    }
    const group: Record<string, unknown> = { ...paramGroup, params };
    for (const [name, def] of Object.entries(this.defaults)) {
      if (def === required && !(name in group))
        throw new ValueError(
          "optimizer",
          `parameter group didn't specify a value of required optimization parameter ${camelToSnake(name)}`,
        );
      if (!(name in group)) group[name] = def;
    }
    if (new Set(params).size !== params.length)
      emitWarning(
        "optimizer contains a parameter group with duplicate parameters; in future, this will cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
      );
    const seen = new Set<Tensor>();
    for (const g of this.paramGroups) for (const p of g.params) seen.add(p);
    if (params.some((p) => seen.has(p)))
      throw new ValueError("optimizer", "some parameters appear in more than one parameter group");
    this.paramGroups.push(group as ParamGroup);
  }

  /**
   * Reset the gradients of all optimized tensors. PyTorch 1.13's default (`setToNone: false`)
   * zeroes them in place; `setToNone: true` sets `.grad` to null (the optimizers then skip those
   * parameters, which differs from stepping with a zero gradient).
   */
  zeroGrad(opts: { setToNone?: boolean } = {}): void {
    const setToNone = opts.setToNone ?? false;
    for (const group of this.paramGroups)
      for (const p of group.params) {
        const g = p.grad;
        if (!g) continue;
        if (setToNone) {
          p.grad = null;
          continue;
        }
        if (g.gradFn) {
          g.gradFn = null;
          g.requiresGrad = false;
        } else g.requiresGrad = false;
        noGrad(() => g.zero_());
      }
  }

  /**
   * Perform one optimization step. `closure` re-evaluates the model and returns the loss; it runs
   * with grad mode on, and its result is returned.
   */
  step<T = unknown>(closure?: () => T): T | undefined {
    this._stepCount++;
    let loss: T | undefined;
    if (closure) loss = enableGrad(closure);
    noGrad(() =>
      tidy(() => {
        for (const group of this.paramGroups) this._updateGroup(group);
      }),
    );
    return loss;
  }

  /** @internal one group's update (PyTorch's single-tensor functional implementation). */
  protected abstract _updateGroup(group: ParamGroup): void;

  /** @internal the state of p, created empty on first access (PyTorch's defaultdict). */
  protected _stateOf(p: Tensor): ParamState {
    let s = this.state.get(p);
    if (!s) {
      s = {};
      this.state.set(p, s);
    }
    return s;
  }

  /**
   * The optimizer's state as PyTorch lays it out: `{ state: { 0: {...}, ... }, param_groups: [{ lr,
   * ..., params: [0, 1] }] }`, keys in snake_case. Tensors are the live state tensors (not copies),
   * as in PyTorch.
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    let start = 0;
    const groups = this.paramGroups.map((g) => {
      const packed: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) if (k !== "params") packed[camelToSnake(k)] = v;
      g.params.forEach((p, i) => {
        if (!index.has(p)) index.set(p, start + i);
      });
      packed.params = g.params.map((p) => index.get(p) as number);
      start += g.params.length;
      return packed;
    });
    const state: Record<number, Record<string, unknown>> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      state[i] = Object.fromEntries(Object.entries(s).map(([k, v]) => [camelToSnake(k), v]));
    }
    return { state, param_groups: groups };
  }

  /**
   * Load a state dict from `stateDict()` (lockstep's or PyTorch's, keys in snake_case). It is
   * deep-copied; floating state tensors are cast to their parameter's dtype and device, except
   * `step`.
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    const sd = stateDict as { state?: Record<string, Record<string, unknown>>; param_groups?: Record<string, unknown>[] };
    const saved = sd.param_groups ?? [];
    const groups = this.paramGroups;
    if (groups.length !== saved.length)
      throw new ValueError("loadStateDict", "loaded state dict has a different number of parameter groups");
    groups.forEach((g, i) => {
      const n = ((saved[i] as Record<string, unknown>).params as unknown[]).length;
      if (g.params.length !== n)
        throw new ValueError(
          "loadStateDict",
          "loaded state dict contains a parameter group that doesn't match the size of optimizer's group",
        );
    });
    const idMap = new Map<string, Tensor>();
    saved.forEach((sg, i) => {
      (sg.params as number[]).forEach((id, j) => idMap.set(String(id), (groups[i] as ParamGroup).params[j] as Tensor));
    });
    const castTo = (param: Tensor, value: unknown, key?: string): unknown => {
      if (value instanceof Tensor) {
        let v = keep(noGrad(() => clone(value)));
        const convert = (target: string): void => {
          const w = keep(to(v, target));
          if (w !== v) v.dispose();
          v = w;
        };
        if (key !== "step") {
          if (param.isFloatingPoint() && v.dtype !== param.dtype) convert(param.dtype);
          if (v.device !== param.device) convert(param.device);
        }
        return v;
      }
      if (Array.isArray(value)) return value.map((x) => castTo(param, x));
      if (value !== null && typeof value === "object")
        return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, x]) => [k, castTo(param, x, k)]));
      return value;
    };
    const state = new Map<Tensor, ParamState>();
    for (const [k, v] of Object.entries(sd.state ?? {})) {
      const p = idMap.get(k);
      if (!p) continue; // state not assigned to a parameter: PyTorch keeps it under its key; lockstep drops it
      const copied = castTo(p, v) as Record<string, unknown>;
      state.set(p, Object.fromEntries(Object.entries(copied).map(([kk, vv]) => [snakeToCamel(kk), vv])));
    }
    this.state = state;
    this.paramGroups = groups.map((g, i) => {
      const ng: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(saved[i] as Record<string, unknown>))
        if (k !== "params") ng[snakeToCamel(k)] = deepCopyValue(v);
      ng.params = g.params;
      return ng as ParamGroup;
    });
    this._setState();
  }

  /** @internal PyTorch's `__setstate__`: fill options missing from older state dicts. */
  protected _setState(): void {
    for (const g of this.paramGroups)
      for (const [k, v] of Object.entries(this.defaults)) if (!(k in g) && v !== required) g[k] = v;
  }

  /** PyTorch's repr: `SGD (\nParameter Group 0\n    dampening: 0\n ...)`. */
  toString(): string {
    let s = `${this.constructor.name} (`;
    this.paramGroups.forEach((g, i) => {
      s += `\nParameter Group ${i}\n`;
      for (const k of Object.keys(g)
        .filter((k) => k !== "params")
        .map(camelToSnake)
        .sort())
        s += `    ${k}: ${fmtOption(g[snakeToCamel(k)])}\n`;
    });
    return `${s})`;
  }
}

function fmtOption(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (Array.isArray(v)) return `(${v.map(fmtOption).join(", ")})`;
  return String(v);
}
