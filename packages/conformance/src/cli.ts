#!/usr/bin/env node
// pnpm conformance --backend <name> [--json out.json] [--ops pattern] [--runs N] [--seed N] [--no-golden] [--native]
// Prints a summary table and optionally writes the JSON report. Exit status: 0 every promise kept
// (known issues aside), 1 some op broke its promise, 2 the backend was skipped (could not start), 64 bad arguments.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { backendNames } from "./backends.js";
import { formatTable } from "./report.js";
import { DEFAULT_RUNS, DEFAULT_SEED, runConformance } from "./suite.js";

const USAGE = `usage: pnpm conformance --backend <${backendNames().join("|")}> [--json out.json] [--ops regex] [--runs N] [--seed N] [--no-golden] [--native] [--quiet]`;

function parse(argv: string[]) {
  const o = {
    backend: "reference",
    json: "",
    ops: "",
    runs: DEFAULT_RUNS * 4,
    seed: DEFAULT_SEED,
    golden: true,
    portable: true,
    quiet: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const [flag, inline] = a.includes("=") ? (a.split(/=(.*)/s) as [string, string]) : [a, undefined];
    const value = () => inline ?? argv[++i] ?? "";
    if (flag === "--backend") o.backend = value();
    else if (flag === "--json") o.json = value();
    else if (flag === "--ops") o.ops = value();
    else if (flag === "--runs") o.runs = Number(value());
    else if (flag === "--seed") o.seed = Number(value());
    else if (flag === "--no-golden") o.golden = false;
    else if (flag === "--native") o.portable = false;
    else if (flag === "--quiet") o.quiet = true;
    else if (flag === "--help" || flag === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else if (flag === "--") continue;
    else {
      console.error(`unknown argument '${a}'\n${USAGE}`);
      process.exit(64);
    }
  }
  if (!Number.isInteger(o.runs) || o.runs < 1 || !Number.isInteger(o.seed)) {
    console.error(`--runs and --seed take integers\n${USAGE}`);
    process.exit(64);
  }
  return o;
}

const o = parse(process.argv.slice(2));
const report = await runConformance(o.backend, {
  numRuns: o.runs,
  seed: o.seed,
  ops: o.ops || undefined,
  golden: o.golden,
  portable: o.portable,
  onOp: o.quiet ? undefined : (k, s) => process.stderr.write(`${s.failures.length ? "✗" : "✓"} ${k} (${s.cases})\n`),
});
process.stdout.write(formatTable(report));
if (o.json) {
  // the script runs in the package directory; resolve against where the user called pnpm
  const path = resolve(process.env.INIT_CWD ?? process.cwd(), o.json);
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`report written to ${path}`);
}
process.exit(report.skipped ? 2 : report.summary.unexpectedFailures.length ? 1 : 0);
