// @lockstep/core: the `torch` namespace.
import "./methods.js";
import * as ops from "./ops/index.js";

export * as autograd from "./autograd/api.js";
export { enableGrad, isGradEnabled, noGrad, setGradEnabled } from "./autograd/graph.js";
export type { Backend, ReduceKernel, View } from "./backend.js";
export {
  areDeterministicAlgorithmsEnabled,
  isDeterministicAlgorithmsWarnOnlyEnabled,
  useDeterministicAlgorithms,
} from "./determinism.js";
export type { DType, TypedArray } from "./dtype.js";
export { promoteTypes, setDefaultDtype } from "./dtype.js";
export * from "./errors.js";
export { formatTensor } from "./format.js";
export * as ir from "./ir.js";
export { dispose, keep, tidy } from "./memory.js";
export * from "./ops/index.js";
export { ReferenceBackend } from "./reference/backend.js";
export { memoryStats, registerDevice, registeredDevices } from "./storage.js";
export { Tensor } from "./tensor.js";

import { resultType } from "./dtype.js";
import { promotionOf } from "./ops/core.js";
import type { Tensor as T } from "./tensor.js";

/** torch.result_type */
export const resultTypeOf = (a: T | number | boolean, b: T | number | boolean) => resultType([promotionOf(a), promotionOf(b)]);
export const empty = ops.empty_;

/** torch.nn.functional (the parts that live in core today). */
export const nn = {
  functional: {
    relu: ops.relu,
    gelu: ops.gelu,
    silu: ops.silu,
    softplus: ops.softplus,
    sigmoid: ops.sigmoid,
    tanh: ops.tanh,
    softmax: ops.softmax,
    logSoftmax: ops.logSoftmax,
    conv1d: ops.conv1d,
    conv2d: ops.conv2d,
    maxPool2d: ops.maxPool2d,
    avgPool2d: ops.avgPool2d,
    adaptiveAvgPool2d: ops.adaptiveAvgPool2d,
  },
};
