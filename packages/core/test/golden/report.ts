// Developer tool: `npx tsx --conditions=source test/golden/report.ts [opPrefix]` prints every failing
// golden case with its first mismatch (the vitest suite is the gate; this is for reading).
import { loadCases, type OpTable, runCase } from "./harness.js";
import { TABLE as CONV } from "./table-conv.js";
import { TABLE as CORE } from "./table-core.js";
import { TABLE as INDEXING } from "./table-indexing.js";

const TABLE: OpTable = { ...CORE, ...INDEXING, ...CONV };
const filter = process.argv[2] ?? "";
const files = [
  "creation",
  "elementwise_unary",
  "elementwise_binary",
  "reductions",
  "views",
  "linalg",
  "indexing",
  "sort",
  "conv_pool",
];
let pass = 0;
let fail = 0;
let skip = 0;
for (const f of files) {
  for (const c of loadCases(`${f}.json`).cases) {
    if (!c.id.startsWith(filter)) continue;
    const e = TABLE[c.op];
    if (!e || e.known?.[c.id]) {
      skip++;
      continue;
    }
    let msg: string[];
    try {
      msg = runCase(c, e).map((m) => `${m.what}: ${m.detail}`);
    } catch (err) {
      msg = [`threw ${(err as Error).message.split("\n")[0]}`];
    }
    if (msg.length) {
      fail++;
      console.log(`${c.id}: ${msg.join(" | ").slice(0, 300)}`);
    } else pass++;
  }
}
console.log(`${pass} passed, ${fail} failed, ${skip} skipped`);
