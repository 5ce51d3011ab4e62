// Golden-vector entries for the indexing ops (see harness.ts for OpEntry).
import type { OpTable } from "./harness.js";

export const TABLE: OpTable = {};
