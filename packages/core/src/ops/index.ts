// All tensor ops, and the wiring of late-bound dependencies between op modules.
import { setApiOps } from "../autograd/api.js";
import { setGradOps } from "../autograd/graph.js";
import { onesLike, zeros } from "./creation.js";
import { add, add_, clone, copyInto } from "./elementwise.js";
import { scatterAdd } from "./indexing.js";
import { setScatterAdd } from "./reduce.js";

setGradOps({
  add,
  addInPlace: (a, b) => void add_(a, b),
  zerosLike: (m) => zeros([...m.shape], { dtype: m.dtype, device: m.device }),
  onesLike: (t) => onesLike(t),
  clone,
});
setApiOps({ onesLike: (t) => onesLike(t) });
setScatterAdd(scatterAdd);

export * from "./conv.js";
export * from "./convert.js";
export * from "./creation.js";
export * from "./einsum.js";
export * from "./elementwise.js";
export * from "./gelu.js";
export * from "./indexing.js";
export * from "./linalg.js";
export * from "./linalg_inv.js";
export * from "./reduce.js";
export * from "./shapecopy.js";
export * from "./views.js";
export { copyInto };
