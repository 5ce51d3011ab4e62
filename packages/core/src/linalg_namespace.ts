// torch.linalg: the linear-algebra functions lockstep has, under PyTorch's torch.linalg names.

export { matmul, matrixPower } from "./ops/linalg.js";
export { inv } from "./ops/linalg_inv.js";
