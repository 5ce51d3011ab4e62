#!/usr/bin/env node
// pnpm determinism-report --backends reference,webgpu --workload mlp|cnn|all --steps N --out dir
// Writes <out>/report.json and <out>/report.html. Exit status: 0 written, 64 bad arguments,
// 66 Fashion-MNIST not installed (use --data synthetic, or bash tools/install-fashion-mnist.sh).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { BACKENDS } from "./backends.js";
import { renderHtml } from "./html.js";
import { mergeReports } from "./merge.js";
import { type ReportOptions, runReport } from "./report.js";
import type { DeterminismReport, Mode } from "./schema.js";
import { DEFAULT_DATA_ROOT, fashionMnist, haveFashionMnist, synthetic, WORKLOADS, type WorkloadName } from "./workloads.js";

const USAGE = `usage: pnpm determinism-report [options]
  --backends LIST        comma-separated, first = baseline: ${BACKENDS.join(", ")} (default: reference,webgpu,cpu)
  --workload W           mlp | cnn | tiny | all (= mlp,cnn) (default: all)
  --steps N|W=N,...      training steps per run, or per workload (mlp=300,cnn=30) (default: an MLP epoch, 200 CNN steps, 20 tiny)
  --modes LIST           fast,portable (default: both)
  --repeat LIST|none     backends trained a second time, for run-to-run determinism (default: the second backend)
  --batch-size N         (default: 64)
  --seed N               model initialisation and data order (default: 0)
  --lr X                 Adam's learning rate (default: 1e-3)
  --data fashion-mnist|synthetic   (default: fashion-mnist; synthetic: random 28×28 images)
  --data-root DIR        (default: ${DEFAULT_DATA_ROOT})
  --limit N              train on the first N samples only
  --conformance-runs N   cases per op spec (default: 10)
  --conformance-ops RE   only conformance ops matching RE
  --no-golden            leave out the PyTorch golden cases
  --no-conformance       training only
  --out DIR              (default: determinism-report)
  --from A.json[,B.json] run nothing: merge these reports and write <out>/report.json and report.html
  --help`;

class UsageError extends Error {
  override name = "UsageError";
}

function parse(argv: string[]): { opts: ReportOptions; out: string } | { from: string[]; out: string } | "help" {
  const { values: v } = parseArgs({
    args: argv.filter((a) => a !== "--"),
    options: {
      backends: { type: "string", default: "reference,webgpu,cpu" },
      workload: { type: "string", default: "all" },
      steps: { type: "string" },
      modes: { type: "string", default: "fast,portable" },
      repeat: { type: "string" },
      "batch-size": { type: "string", default: "64" },
      seed: { type: "string", default: "0" },
      lr: { type: "string", default: "1e-3" },
      data: { type: "string", default: "fashion-mnist" },
      "data-root": { type: "string", default: DEFAULT_DATA_ROOT },
      limit: { type: "string" },
      "conformance-runs": { type: "string", default: "10" },
      "conformance-ops": { type: "string" },
      "no-golden": { type: "boolean", default: false },
      "no-conformance": { type: "boolean", default: false },
      out: { type: "string", default: "determinism-report" },
      from: { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (v.help) return "help";
  if (v.from) return { from: v.from.split(","), out: v.out };
  const int = (name: string, s: string | undefined, min: number): number => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} takes an integer ≥ ${min} (got '${s}')`);
    return n;
  };
  const perWorkload = (s: string): Partial<Record<WorkloadName, number>> =>
    Object.fromEntries(
      list(s).map((kv) => {
        const [w, n] = kv.split("=");
        if (!WORKLOADS.includes(w as WorkloadName)) throw new UsageError(`--steps: unknown workload '${w}'`);
        return [w, int("steps", n, 1)];
      }),
    );
  const list = (s: string) =>
    s
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean);
  const backends = list(v.backends);
  for (const b of backends)
    if (!BACKENDS.includes(b)) throw new UsageError(`unknown backend '${b}' (known: ${BACKENDS.join(", ")})`);
  if (backends.length === 0) throw new UsageError("--backends names no backend");
  const workloads = (v.workload === "all" ? ["mlp", "cnn"] : list(v.workload)) as WorkloadName[];
  for (const w of workloads) if (!WORKLOADS.includes(w)) throw new UsageError(`unknown workload '${w}' (mlp, cnn, tiny, all)`);
  const modes = list(v.modes) as Mode[];
  for (const m of modes) if (m !== "fast" && m !== "portable") throw new UsageError(`unknown mode '${m}' (fast, portable)`);
  const repeat = v.repeat === undefined ? backends.slice(1, 2) : v.repeat === "none" ? [] : list(v.repeat);
  const seed = int("seed", v.seed, 0);
  const limit = v.limit === undefined ? undefined : int("limit", v.limit, 1);
  if (v.data !== "fashion-mnist" && v.data !== "synthetic")
    throw new UsageError(`--data is fashion-mnist or synthetic (got '${v.data}')`);
  if (v.data === "fashion-mnist" && !haveFashionMnist(v["data-root"])) {
    console.error(`Fashion-MNIST is not in ${v["data-root"]}: run bash tools/install-fashion-mnist.sh, or use --data synthetic`);
    process.exit(66);
  }
  const lr = Number(v.lr);
  if (!(lr > 0)) throw new UsageError(`--lr takes a positive number (got '${v.lr}')`);
  const data = v.data === "synthetic" ? synthetic(limit ?? 2048, 28, seed) : fashionMnist(v["data-root"], limit);
  return {
    out: v.out,
    opts: {
      backends,
      workloads,
      modes,
      steps: v.steps === undefined ? null : v.steps.includes("=") ? perWorkload(v.steps) : int("steps", v.steps, 1),
      batchSize: int("batch-size", v["batch-size"], 1),
      seed,
      lr,
      repeat,
      data,
      dataKind: v.data,
      conformance: v["no-conformance"]
        ? null
        : {
            runs: int("conformance-runs", v["conformance-runs"], 1),
            seed: 20_260_101,
            ...(v["conformance-ops"] ? { ops: v["conformance-ops"] } : {}),
            golden: !v["no-golden"],
          },
      log: (line) => process.stderr.write(`${line}\n`),
    },
  };
}

let parsed: ReturnType<typeof parse>;
try {
  parsed = parse(process.argv.slice(2));
} catch (e) {
  console.error(`${(e as Error).message}\n${USAGE}`);
  process.exit(64);
}
if (parsed === "help") {
  console.log(USAGE);
  process.exit(0);
}
// the script runs in the package directory; resolve against where the user called pnpm
const dir = resolve(process.env.INIT_CWD ?? process.cwd(), parsed.out);
mkdirSync(dir, { recursive: true });
const write = (r: DeterminismReport) => {
  writeFileSync(resolve(dir, "report.json"), `${JSON.stringify(r, null, 1)}\n`);
  writeFileSync(resolve(dir, "report.html"), renderHtml(r));
};
const report =
  "from" in parsed
    ? mergeReports(parsed.from.map((f) => JSON.parse(readFileSync(resolve(process.env.INIT_CWD ?? process.cwd(), f), "utf8"))))
    : await runReport({ ...parsed.opts, onPartial: write });
write(report);
console.log(report.summary.join("\n"));
console.log(`written: ${resolve(dir, "report.json")}, ${resolve(dir, "report.html")}`);
// Dawn's instance keeps the event loop alive
process.exit(0);
