// Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict.
import { IndexError, ValueError } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { Module } from "./module.js";
import { isParameter, Parameter } from "./parameter.js";

const wrapIndex = (op: string, i: number, n: number): number => {
  if (!Number.isInteger(i) || i < -n || i >= n)
    throw new IndexError(op, `index ${i} is out of range for a container of length ${n}`);
  return i < 0 ? i + n : i;
};

export class Sequential extends Module {
  constructor(...modules: Module[] | [Record<string, Module>]) {
    super();
    const first = modules[0];
    if (modules.length === 1 && first && !(first instanceof Module)) {
      for (const [k, m] of Object.entries(first)) this.addModule(k, m);
    } else (modules as Module[]).forEach((m, i) => this.addModule(String(i), m));
  }
  override forward(input: unknown): unknown {
    let x = input;
    for (const m of this._modules.values()) if (m) x = (m as Module & { forward(x: unknown): unknown }).forward(x);
    return x;
  }
  get length(): number {
    return this._modules.size;
  }
  at(i: number): Module {
    const mods = [...this._modules.values()];
    return mods[wrapIndex("Sequential", i, mods.length)] as Module;
  }
  append(m: Module): this {
    this.addModule(String(this._modules.size), m);
    return this;
  }
  [Symbol.iterator](): Iterator<Module> {
    return ([...this._modules.values()].filter(Boolean) as Module[])[Symbol.iterator]();
  }
}

export class ModuleList extends Module {
  constructor(modules: Iterable<Module> = []) {
    super();
    for (const m of modules) this.append(m);
  }
  get length(): number {
    return this._modules.size;
  }
  at(i: number): Module {
    const mods = [...this._modules.values()];
    return mods[wrapIndex("ModuleList", i, mods.length)] as Module;
  }
  append(m: Module): this {
    this.addModule(String(this._modules.size), m);
    return this;
  }
  extend(ms: Iterable<Module>): this {
    for (const m of ms) this.append(m);
    return this;
  }
  insert(index: number, m: Module): void {
    const mods = [...this._modules.values()] as Module[];
    mods.splice(index, 0, m);
    this._modules.clear();
    mods.forEach((x, i) => this.addModule(String(i), x));
  }
  [Symbol.iterator](): Iterator<Module> {
    return ([...this._modules.values()].filter(Boolean) as Module[])[Symbol.iterator]();
  }
  override forward(): never {
    throw new ValueError("ModuleList", "ModuleList is a container; call its modules' forward instead");
  }
}

export class ModuleDict extends Module {
  constructor(modules: Record<string, Module> = {}) {
    super();
    for (const [k, m] of Object.entries(modules)) this.addModule(k, m);
  }
  get(key: string): Module | undefined {
    return this._modules.get(key) ?? undefined;
  }
  set(key: string, m: Module): void {
    this.addModule(key, m);
  }
  has(key: string): boolean {
    return this._modules.has(key);
  }
  keys(): string[] {
    return [...this._modules.keys()];
  }
  values(): Module[] {
    return [...this._modules.values()].filter(Boolean) as Module[];
  }
  entries(): [string, Module][] {
    return [...this._modules.entries()].filter(([, m]) => m) as [string, Module][];
  }
  get size(): number {
    return this._modules.size;
  }
  override forward(): never {
    throw new ValueError("ModuleDict", "ModuleDict is a container; call its modules' forward instead");
  }
}

export class ParameterList extends Module {
  constructor(params: Iterable<Tensor> = []) {
    super();
    for (const p of params) this.append(p);
  }
  get length(): number {
    return this._parameters.size;
  }
  at(i: number): Tensor {
    const ps = [...this._parameters.values()];
    return ps[wrapIndex("ParameterList", i, ps.length)] as Tensor;
  }
  append(p: Tensor): this {
    this.registerParameter(String(this._parameters.size), isParameter(p) ? p : new Parameter(p));
    return this;
  }
  [Symbol.iterator](): Iterator<Tensor> {
    return ([...this._parameters.values()].filter(Boolean) as Tensor[])[Symbol.iterator]();
  }
  override extraRepr(): string {
    return [...this._parameters.entries()]
      .map(([k, p]) => `(${k}): Parameter containing: [torch.${p?.dtype ?? "None"} of size ${p ? p.shape.join("x") : ""}]`)
      .join("\n");
  }
  override forward(): never {
    throw new ValueError("ParameterList", "ParameterList is a container and has no forward");
  }
}
