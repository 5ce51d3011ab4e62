// Developer tool: `npx tsx --conditions=source src/golden/report.ts [opPrefix]` (in packages/conformance)
// prints every failing golden case with its first mismatch (the vitest suite is the gate; this is for reading).
import { compareWithGolden, evaluateCase, GOLDEN_FILES, loadCases } from "./harness.js";
import { GOLDEN_TABLE } from "./table.js";

const filter = process.argv[2] ?? "";
let pass = 0;
let fail = 0;
let skip = 0;
for (const f of GOLDEN_FILES) {
  for (const c of loadCases(f).cases) {
    if (!c.id.startsWith(filter)) continue;
    const e = GOLDEN_TABLE[c.op];
    if (!e || e.known?.[c.id]) {
      skip++;
      continue;
    }
    let msg: string[];
    try {
      msg = compareWithGolden(c, e, await evaluateCase(c, e, "cpu")).map((m) => `${m.what}: ${m.detail}`);
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
