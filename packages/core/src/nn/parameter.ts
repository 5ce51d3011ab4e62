// nn.Parameter: a leaf tensor marked as a module parameter. `new nn.Parameter(t)` returns a Tensor
// (sharing t's storage, detached from its graph), and `x instanceof nn.Parameter` recognises it.
import { Tensor } from "../tensor.js";

const PARAM = Symbol("lockstep.parameter");

export const isParameter = (x: unknown): x is Tensor =>
  x instanceof Tensor && (x as unknown as Record<symbol, boolean>)[PARAM] === true;

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the constructor returns a Tensor
export class Parameter {
  constructor(data: Tensor, requiresGrad = true) {
    const p = data.detach();
    if (requiresGrad) p.requiresGrad_(true);
    (p as unknown as Record<symbol, boolean>)[PARAM] = true;
    // biome-ignore lint/correctness/noConstructorReturn: a Parameter is a Tensor, as in PyTorch
    return p as unknown as Parameter;
  }
  static [Symbol.hasInstance](x: unknown): boolean {
    return isParameter(x);
  }
}

// A Parameter is a Tensor to the type checker too.
export interface Parameter extends Tensor {}
