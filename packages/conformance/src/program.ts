// Random op programs: chains of unary, binary and along-dim ops over a few inputs of one shape,
// compared whole (final value and the gradients of every input) between a backend and the reference.
// A failing program shrinks to fewer steps and simpler inputs.
import type { Tensor } from "@lockstep/core";
import * as torch from "@lockstep/core";
import fc from "fast-check";
import { shapeArb, tensorArb } from "./arbitraries.js";
import type { OpSpec } from "./runner.js";

type Un = (x: Tensor) => Tensor;
type Bin = (a: Tensor, b: Tensor) => Tensor;
type Dim = (x: Tensor, dim: number) => Tensor;

const UNARY: Record<string, Un> = {
  exp: torch.exp,
  tanh: torch.tanh,
  sigmoid: torch.sigmoid,
  relu: torch.relu,
  neg: torch.neg,
  abs: torch.abs,
  sqrtAbs: (x) => torch.sqrt(torch.abs(x)),
  log1pAbs: (x) => torch.log1p(torch.abs(x)),
  sin: torch.sin,
  square: torch.square,
  gelu: (x) => torch.gelu(x),
  softplus: (x) => torch.softplus(x),
  scale: (x) => torch.mul(x, 0.375),
};
const BINARY: Record<string, Bin> = {
  add: (a, b) => torch.add(a, b),
  sub: (a, b) => torch.sub(a, b),
  mul: (a, b) => torch.mul(a, b),
  div: (a, b) => torch.div(a, b),
  maximum: (a, b) => torch.maximum(a, b),
  minimum: (a, b) => torch.minimum(a, b),
  select: (a, b) => torch.where(torch.gt(a, b), a, b),
};
// shapes stay broadcastable to the inputs' shape: keepdim reductions and shape-preserving ops only
const ALONG: Record<string, Dim> = {
  sum: (x, d) => torch.sum(x, d, true),
  mean: (x, d) => torch.mean(x, d, true),
  amax: (x, d) => torch.amax(x, d, true),
  logsumexp: (x, d) => torch.logsumexp(x, d, true),
  softmax: (x, d) => torch.softmax(x, d),
  logSoftmax: (x, d) => torch.logSoftmax(x, d),
  cumsum: (x, d) => torch.cumsum(x, d),
  flip: (x, d) => torch.flip(x, [d]),
};

export interface Step {
  op: string;
  /** Operands: indices into the values so far (taken modulo their count). */
  a: number;
  b: number;
  dim: number;
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  op: fc.constantFrom(...Object.keys(UNARY), ...Object.keys(BINARY), ...Object.keys(ALONG)),
  a: fc.nat(7),
  b: fc.nat(7),
  dim: fc.nat(3),
});

/** Interpret a program: each step appends a value; the result is the last one. */
export function interpret(inputs: Tensor[], steps: Step[]): Tensor {
  const vals = [...inputs];
  const rank = inputs[0]?.ndim ?? 0;
  for (const s of steps) {
    const a = vals[s.a % vals.length] as Tensor;
    const b = vals[s.b % vals.length] as Tensor;
    const u = UNARY[s.op];
    const bin = BINARY[s.op];
    const al = ALONG[s.op];
    if (u) vals.push(u(a));
    else if (bin) vals.push(bin(a, b));
    else if (al) vals.push(rank === 0 ? a : al(a, s.dim % rank));
  }
  return vals[vals.length - 1] as Tensor;
}

export const PROGRAM_SPEC: OpSpec = {
  name: "program",
  kind: "program",
  arb: fc
    .record({ shape: shapeArb({ minRank: 1, maxRank: 3, maxNumel: 32, empty: false }), n: fc.integer({ min: 1, max: 3 }) })
    .chain(({ shape, n }) =>
      fc.record({
        inputs: fc.array(tensorArb(shape, "float32", { domain: "finite" }), { minLength: n, maxLength: n }),
        params: fc.record({ steps: fc.array(stepArb, { minLength: 1, maxLength: 8 }) }),
        gradSeed: fc.nat(64),
      }),
    ),
  run: (x, p) => interpret(x, p.steps as Step[]),
  grad: true,
};
