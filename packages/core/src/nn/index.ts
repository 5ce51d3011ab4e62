// torch.nn
export { ModuleDict, ModuleList, ParameterList, Sequential } from "./containers.js";
export * as functional from "./functional.js";
// layers, nn.init (nn/layers, nn/init.ts)
export * as init from "./init.js";
export * from "./layers/activation.js";
export * from "./layers/attention.js";
export * from "./layers/conv.js";
export * from "./layers/dropout.js";
export * from "./layers/embedding.js";
export * from "./layers/linear.js";
export * from "./layers/normalization.js";
export * from "./layers/pooling.js";
export * from "./layers/rnn.js";
export { deepcopy } from "./layers/util.js";
// losses and nn.utils (nn/loss_modules.ts, nn/utils.ts)
export {
  BCELoss,
  BCEWithLogitsLoss,
  CosineEmbeddingLoss,
  CrossEntropyLoss,
  HuberLoss,
  KLDivLoss,
  L1Loss,
  Loss,
  MarginRankingLoss,
  MSELoss,
  NLLLoss,
  SmoothL1Loss,
  TripletMarginLoss,
  WeightedLoss,
} from "./loss_modules.js";
export { type ForwardHook, type ForwardPreHook, type HookHandle, type LoadResult, Module, type StateDict } from "./module.js";
export { isParameter, Parameter } from "./parameter.js";
export * as utils from "./utils.js";
