// torch.nn.functional: the functional forms of the layers (ops defined in ops/ and nn/).
export { adaptiveAvgPool2d, avgPool2d, conv1d, conv2d, maxPool2d } from "../ops/conv.js";
export { relu, sigmoid, silu, softplus, tanh } from "../ops/elementwise.js";
export { gelu } from "../ops/gelu.js";
export { logSoftmax, softmax } from "../ops/reduce.js";
// layers' functional forms (nn/functional_extra.ts)
export {
  batchNorm,
  bilinear,
  convTranspose1d,
  convTranspose2d,
  dropout,
  dropout1d,
  dropout2d,
  elu,
  embedding,
  generateSquareSubsequentMask,
  groupNorm,
  hardtanh,
  layerNorm,
  leakyRelu,
  linear,
  logsigmoid,
  multiHeadAttentionForward,
  normalize,
  pad,
  relu6,
  scaledDotProductAttention,
  torchColumnSums,
} from "./functional_extra.js";
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
