// Every golden op entry, by PyTorch op name.
import { GEMM_ORDER } from "../promise.js";
import type { OpTable } from "./harness.js";
import { TABLE as CONV } from "./table-conv.js";
import { TABLE as CORE } from "./table-core.js";
import { TABLE as INDEXING } from "./table-indexing.js";

const ALL: OpTable = { ...CORE, ...INDEXING, ...CONV };

/** Sums of products: on backends that use a tuned GEMM, the promise is GEMM_ORDER (promise.ts). */
const GEMM_OPS = [
  "mm",
  "bmm",
  "matmul",
  "mv",
  "dot",
  "linalg.matrix_power",
  "einsum",
  "nn.functional.conv1d",
  "nn.functional.conv2d",
];

export const GOLDEN_TABLE: OpTable = Object.fromEntries(
  Object.entries(ALL).map(([k, e]) => [k, GEMM_OPS.includes(k) ? { ...e, backends: { ...GEMM_ORDER, ...e.backends } } : e]),
);
