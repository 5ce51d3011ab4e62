// Every golden op entry, by PyTorch op name.
import type { OpTable } from "./harness.js";
import { TABLE as CONV } from "./table-conv.js";
import { TABLE as CORE } from "./table-core.js";
import { TABLE as INDEXING } from "./table-indexing.js";

export const GOLDEN_TABLE: OpTable = { ...CORE, ...INDEXING, ...CONV };
