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
export { type DeviceModule, getDeviceModule, registerDeviceModule } from "./device_module.js";
export type { DType, TypedArray } from "./dtype.js";
export { floatToInt64, promoteTypes, roundToDtype, setDefaultDtype } from "./dtype.js";
export * from "./errors.js";
export { formatTensor } from "./format.js";
export * as ir from "./ir.js";
export * as linalg from "./linalg_namespace.js";
export { dispose, keep, tidy } from "./memory.js";
export * from "./ops/index.js";
export { isPortableNumericsEnabled, usePortableNumerics } from "./portable/mode.js";
export * as profiler from "./profiler.js";
export { ReferenceBackend } from "./reference/backend.js";
export { memoryStats, registerDevice, registeredDevices } from "./storage.js";
export { Tensor } from "./tensor.js";
export { getNumThreads, onNumThreadsChange, setNumThreads } from "./threads.js";

import { resultType } from "./dtype.js";
import { promotionOf } from "./ops/core.js";
import type { Tensor as T } from "./tensor.js";

/** torch.result_type */
export const resultTypeOf = (a: T | number | boolean, b: T | number | boolean) => resultType([promotionOf(a), promotionOf(b)]);
export const empty = ops.empty_;

export * as distributions from "./distributions/index.js";
export * as nn from "./nn/index.js";
export * as optim from "./optim/index.js";

// ---- random: torch.Generator, manualSeed/seed/initialSeed, get/setRngState, torch.random
// (forkRng), defaultGenerator, and the sampling functions (src/random) ----
export * from "./random/index.js";

// ---- end random ----

// mixed precision: torch.autocast, torch.amp.GradScaler
export * as amp from "./amp/index.js";
export {
  Autocast,
  autocast,
  clearAutocastCache,
  getAutocastDtype,
  isAutocastEnabled,
  setAutocastDtype,
  setAutocastEnabled,
} from "./amp/index.js";
export { transforms } from "./data/index.js";
export * as datasets from "./datasets.js";
export * as serialization from "./serialization/index.js";
// checkpoints: torch.save / torch.load (safetensors + structure record; PyTorch .pt reading)
export { CheckpointError, load, save, UnpicklingError } from "./serialization/index.js";
// torch.utils.data, and the torchvision pieces lockstep ships (datasets.FashionMNIST, transforms)
export * as utils from "./utils.js";
