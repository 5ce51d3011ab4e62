// torch.nn.utils: gradient clipping and parameter/vector conversion, as PyTorch 1.13's
// torch/nn/utils/clip_grad.py and convert_parameters.py.
import { noGrad } from "../autograd/graph.js";
import { DeviceError, DTypeError, ShapeError, ValueError } from "../errors.js";
import { scalarTensor } from "../ops/creation.js";
import { abs, add, clamp, copyInto, isfinite, mul, mul_, reciprocal } from "../ops/elementwise.js";
import { amax, norm } from "../ops/reduce.js";
import { cat, stack } from "../ops/shapecopy.js";
import { narrow, reshape } from "../ops/views.js";
import { Tensor } from "../tensor.js";

type Params = Tensor | Iterable<Tensor>;
const listOf = (op: string, parameters: Params): Tensor[] => {
  const list = parameters instanceof Tensor ? [parameters] : [...parameters];
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new DTypeError(op, `parameters[${i}] must be a Tensor, got ${typeof p}`);
  });
  return list;
};
const normTypeOf = (op: string, t: number | "inf"): number => {
  const v = t === "inf" ? Number.POSITIVE_INFINITY : Number(t);
  if (Number.isNaN(v)) throw new ValueError(op, `norm_type must be a number or 'inf', got ${String(t)}`);
  return v;
};

/**
 * nn.utils.clip_grad_norm_: scales every gradient in place by min(maxNorm / (total + 1e-6), 1),
 * where total is the normType-norm of the per-parameter gradient norms (as if all gradients were
 * one vector). Returns the total norm (a 0-dim tensor). As PyTorch 1.13: the coefficient is
 * computed as reciprocal(total + 1e-6) · maxNorm (Python's `float / tensor`), the gradients are
 * always multiplied (also by exactly 1.0), and a non-finite total is used as it is (an infinite
 * gradient gives total inf, coefficient 0 and NaN where the gradient was infinite) unless
 * `errorIfNonfinite` asks for an error.
 */
export function clipGradNorm_(
  parameters: Params,
  maxNorm: number,
  normType: number | "inf" = 2,
  opts: { errorIfNonfinite?: boolean } = {},
): Tensor {
  const op = "clip_grad_norm_";
  const grads = listOf(op, parameters)
    .map((p) => p.grad)
    .filter((g): g is Tensor => g !== null && g !== undefined);
  const p = normTypeOf(op, normType);
  if (grads.length === 0) return scalarTensor(0, { dtype: "float32" });
  const device = (grads[0] as Tensor).device;
  for (const g of grads)
    if (g.device !== device)
      throw new DeviceError(
        op,
        `expected every gradient on ${device}, found one on ${g.device} (PyTorch moves norms to the first gradient's device; lockstep asks you to)`,
      );
  return noGrad(() => {
    let total: Tensor;
    if (p === Number.POSITIVE_INFINITY) {
      const norms = grads.map((g) => amax(abs(g)));
      total = norms.length === 1 ? (norms[0] as Tensor) : amax(stack(norms));
    } else {
      total = norm(stack(grads.map((g) => norm(g, p))), p);
    }
    if (opts.errorIfNonfinite) {
      if (!total._storage.backend.readSync)
        throw new DeviceError(
          op,
          `errorIfNonfinite needs the total norm on the host synchronously, which the ${device} backend cannot give; check isfinite(total) yourself after awaiting it`,
        );
      if (!(isfinite(total).itemSync() as boolean))
        throw new ValueError(
          op,
          `The total norm of order ${p === Number.POSITIVE_INFINITY ? "inf" : p} for gradients from \`parameters\` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set \`errorIfNonfinite: false\``,
        );
    }
    const coef = mul(reciprocal(add(total, 1e-6)), maxNorm);
    const clamped = clamp(coef, null, 1.0);
    for (const g of grads) mul_(g, clamped);
    return total;
  });
}

/** nn.utils.clip_grad_value_: clamps every gradient in place to [−clipValue, clipValue]. */
export function clipGradValue_(parameters: Params, clipValue: number): void {
  const op = "clip_grad_value_";
  const v = Number(clipValue);
  noGrad(() => {
    for (const p of listOf(op, parameters)) if (p.grad) copyInto(p.grad, clamp(p.grad, -v, v));
  });
}

/** nn.utils.parameters_to_vector: the parameters flattened and concatenated (one tensor, with autograd). */
export function parametersToVector(parameters: Iterable<Tensor>): Tensor {
  const op = "parameters_to_vector";
  const list = listOf(op, parameters);
  if (list.length === 0) throw new ValueError(op, "expected at least one parameter (torch.cat of an empty list)");
  const device = (list[0] as Tensor).device;
  for (const p of list)
    if (p.device !== device)
      throw new DeviceError(op, "Found two parameters on different devices, this is currently not supported.");
  return cat(list.map((p) => reshape(p, [-1])));
}

/**
 * nn.utils.vector_to_parameters: copies consecutive slices of `vec` into the parameters, in place.
 * (PyTorch rebinds `param.data` to views of `vec`, so the parameters then share vec's storage;
 * lockstep tensors cannot change storage, so the values are copied: same values, no aliasing.)
 */
export function vectorToParameters(vec: Tensor, parameters: Iterable<Tensor>): void {
  const op = "vector_to_parameters";
  if (!(vec instanceof Tensor)) throw new DTypeError(op, `expected torch.Tensor, but got: ${typeof vec}`);
  const list = listOf(op, parameters);
  const total = list.reduce((s, p) => s + p.numel(), 0);
  if (vec.ndim !== 1 || vec.numel() < total)
    throw new ShapeError(
      op,
      `expected a 1-D vector of at least ${total} elements (the parameters' total), got shape [${vec.shape.join(", ")}]`,
    );
  noGrad(() => {
    let pointer = 0;
    for (const p of list) {
      if (p.device !== vec.device)
        throw new DeviceError(op, "Found two parameters on different devices, this is currently not supported.");
      const n = p.numel();
      copyInto(p, reshape(narrow(vec, 0, pointer, n), [...p.shape]));
      pointer += n;
    }
  });
}
