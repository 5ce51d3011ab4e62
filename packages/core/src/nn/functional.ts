// torch.nn.functional: the functional forms of the layers (ops defined in ops/ and nn/).
export { adaptiveAvgPool2d, avgPool2d, conv1d, conv2d, maxPool2d } from "../ops/conv.js";
export { relu, sigmoid, silu, softplus, tanh } from "../ops/elementwise.js";
export { gelu } from "../ops/gelu.js";
export { logSoftmax, softmax } from "../ops/reduce.js";
// losses (nn/loss.ts)
export {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  cosineEmbeddingLoss,
  crossEntropy,
  huberLoss,
  klDiv,
  l1Loss,
  marginRankingLoss,
  mseLoss,
  nllLoss,
  smoothL1Loss,
  tripletMarginLoss,
} from "./loss.js";
