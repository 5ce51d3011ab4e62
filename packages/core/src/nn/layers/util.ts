// Shared pieces of the layers: factory options, Python-style value printing for extraRepr (so
// module printouts equal PyTorch's), and deepcopy of modules (TransformerEncoder's clones).
import { noGrad } from "../../autograd/graph.js";
import type { DType } from "../../dtype.js";
import { ValueError } from "../../errors.js";
import { empty_ } from "../../ops/creation.js";
import type { Tensor } from "../../tensor.js";
import { MODULE_BOOKKEEPING, Module } from "../module.js";
import { Parameter } from "../parameter.js";

/** PyTorch's factory_kwargs. */
export interface FactoryOptions {
  dtype?: DType;
  device?: string;
}

/** An uninitialised parameter tensor (torch.empty), as layers create theirs before reset_parameters. */
export function emptyParam(shape: number[], f: FactoryOptions = {}): Tensor {
  return new Parameter(empty_(shape, { dtype: f.dtype ?? "float32", device: f.device }));
}

/** Python's repr of a float: shortest round-trip digits, exponent form below 1e-4 or from 1e16. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mant, expStr] = x.toExponential().split("e") as [string, string];
  const exp = Number(expStr);
  const neg = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  const sign = neg ? "-" : "";
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
  const frac = digits.slice(exp + 1);
  return `${sign}${intPart}.${frac || "0"}`;
}

/** An int as Python prints it, or a float when it is not integral (for arguments PyTorch types as int but users may pass floats). */
export const pyNum = (x: number): string => (Number.isInteger(x) ? String(x) : pyFloat(x));
export const pyBool = (b: boolean): string => (b ? "True" : "False");
/** A value as Python's str.format prints it: numbers as ints, arrays as tuples, null as None, strings bare. */
export function pyVal(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (typeof v === "boolean") return pyBool(v);
  if (typeof v === "number") return pyNum(v);
  if (Array.isArray(v)) return v.length === 1 ? `(${pyVal(v[0])},)` : `(${v.map(pyVal).join(", ")})`;
  return String(v);
}
/** Python's repr of a string ('none'). */
export const pyStr = (s: string): string => `'${s}'`;

/** PyTorch's _single/_pair: a number repeated n times, or the given list. */
export function ntuple(name: string, v: number | readonly number[], n: number): number[] {
  if (typeof v === "number") return Array(n).fill(v);
  if (v.length !== n) throw new ValueError(name, `expected an int or a list of ${n} ints, got ${JSON.stringify(v)}`);
  return [...v];
}

const INTERNAL = new Set([...MODULE_BOOKKEEPING, "forward"]);

/**
 * copy.deepcopy for modules: the same class with copies of every parameter and buffer (shared
 * tensors stay shared in the copy), submodules copied recursively, plain attributes copied
 * shallowly. Draws no random numbers (unlike constructing a new module).
 */
export function deepcopy<M extends Module>(module: M): M {
  return noGrad(() => copyModule(module, new Map(), new Map()));
}

function copyModule<M extends Module>(m: M, mods: Map<Module, Module>, tensors: Map<Tensor, Tensor>): M {
  const seen = mods.get(m);
  if (seen) return seen as M;
  const copy = Reflect.construct(Module, [], m.constructor) as M;
  mods.set(m, copy);
  const registered = new Set<string>([...m._parameters.keys(), ...m._buffers.keys(), ...m._modules.keys()]);
  const src = m as unknown as Record<string, unknown>;
  const dst = copy as unknown as Record<string, unknown>;
  for (const key of Object.keys(m)) {
    if (INTERNAL.has(key) || registered.has(key)) continue;
    const v = src[key];
    dst[key] = Array.isArray(v) ? [...v] : v;
  }
  const copyTensor = (t: Tensor, param: boolean): Tensor => {
    const done = tensors.get(t);
    if (done) return done;
    const c = param ? new Parameter(t.detach().clone(), t.requiresGrad) : t.clone();
    tensors.set(t, c);
    return c;
  };
  for (const [n, p] of m._parameters) copy.registerParameter(n, p ? copyTensor(p, true) : null);
  for (const [n, b] of m._buffers) copy.registerBuffer(n, b ? copyTensor(b, false) : null, !m._nonPersistent.has(n));
  for (const [n, c] of m._modules) copy.addModule(n, c ? copyModule(c, mods, tensors) : null);
  copy._forwardHooks.push(...m._forwardHooks);
  copy._forwardPreHooks.push(...m._forwardPreHooks);
  copy.training = m.training;
  return copy;
}
