// torch.optim: optimizers with PyTorch 1.13's single-tensor numerics, and optim.lrScheduler.

import "../methods.js"; // the optimizers call tensor methods (add_, mul_, sqrt_, ...)

export { Adadelta, type AdadeltaOptions } from "./adadelta.js";
export { Adagrad, type AdagradOptions } from "./adagrad.js";
export { Adam, type AdamOptions, AdamW } from "./adam.js";
export * as lrScheduler from "./lr_scheduler.js";
export {
  Optimizer,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
  type Params,
  required,
} from "./optimizer.js";
export { RMSprop, type RMSpropOptions } from "./rmsprop.js";
export { SGD, type SGDOptions } from "./sgd.js";
