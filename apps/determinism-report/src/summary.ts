// The report's plain-language summary: one sentence per finding, the training results first.
import type { Comparison, ConformanceRun, DeterminismReport, Num, TrainingRun } from "./schema.js";

const fmtNum = (x: Num): string =>
  typeof x !== "number"
    ? x
    : x === 0
      ? "0"
      : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4
        ? String(+x.toPrecision(4))
        : x.toExponential(2);
const ulp = (x: Num) => `${fmtNum(x)} ULP`;
const steps = (n: number) => `${n.toLocaleString("en-US")} step${n === 1 ? "" : "s"}`;
const last = (xs: Num[]): Num => xs[xs.length - 1] ?? 0;

function comparisonSentence(run: TrainingRun, c: Comparison): string {
  const what = `${run.mode} mode, ${run.workload} (${steps(run.steps)})`;
  // a repeat ("webgpu#2") against its own first run is the run-to-run check
  const repeat = c.lane.split("#")[0] === c.baseline;
  const finalHash = run.lanes.find((l) => l.id === c.lane)?.hashes.at(-1) ?? "";
  if (c.bitwise)
    return repeat
      ? `${what}: run-to-run, ${c.lane} repeats ${c.baseline} bit for bit (final weights hash ${finalHash}).`
      : `${what}: ${c.baseline} and ${c.lane} bitwise equal at every step, losses and weights (final weights hash ${finalHash}).`;
  const d = c.firstDivergence;
  const where = d
    ? `first differs at step ${d.step} in ${d.tensor} [${d.shape.join("×")}] (${d.differing} element${d.differing === 1 ? "" : "s"}, max ${ulp(d.maxUlp)}, |Δ| ${fmtNum(d.maxAbsDiff)})`
    : `losses first differ at step ${c.firstLossDivergence?.step} (weights equal)`;
  const lossStep =
    c.firstLossDivergence && d && c.firstLossDivergence.step <= d.step
      ? `; loss first differs at step ${c.firstLossDivergence.step}`
      : "";
  return `${what}: ${c.lane} vs ${c.baseline} ${where}${lossStep}; after the last step weights are ${fmtNum(last(c.weightRelDiff))} apart (relative, max ${ulp(last(c.weightMaxUlp))}), ${last(c.lossRelDiff) === 0 ? "the last loss equal" : `the last loss ${fmtNum(last(c.lossRelDiff))} (relative)`}.`;
}

function conformanceSentence(r: ConformanceRun): string {
  if (r.status === "skipped") return `${r.mode} mode, conformance: ${r.backend} skipped (${r.reason}).`;
  const s = r.summary;
  const known = s.failedOps.filter((k) => r.ops[k]?.knownIssue);
  const failed = s.failedOps.length
    ? `; broke its promise on ${s.failedOps.length}: ${s.failedOps.slice(0, 6).join(", ")}${s.failedOps.length > 6 ? ", …" : ""}${known.length ? ` (known issue${known.length > 1 ? "s" : ""}: ${known.join(", ")})` : ""}`
    : "";
  if (s.bitwiseOps === s.ops)
    return `${r.mode} mode, conformance: ${r.backend} bitwise equal to the reference on all ${s.ops} ops (${s.cases} cases)${failed}.`;
  // the largest finite distances say how far off; ∞ (errors, NaN vs number, integers) is counted apart
  const finite = Object.entries(r.ops)
    .filter(([, o]) => typeof o.maxUlp === "number" && o.maxUlp > 0)
    .sort(([, a], [, b]) => (b.maxUlp as number) - (a.maxUlp as number));
  const inf = Object.values(r.ops).filter((o) => o.maxUlp === "Infinity").length;
  const worst =
    (finite.length
      ? `; largest ULP: ${finite
          .slice(0, 5)
          .map(([k, o]) => `${k} ${fmtNum(o.maxUlp)}`)
          .join(", ")}`
      : "") + (inf ? `; ${inf} op${inf > 1 ? "s" : ""} with ∞ (an error, NaN or integer mismatch)` : "");
  return `${r.mode} mode, conformance: ${r.backend} bitwise on ${s.bitwiseOps} of ${s.ops} ops${worst}${failed}.`;
}

export function summarize(r: Pick<DeterminismReport, "backends" | "conformance" | "training" | "reruns">): string[] {
  const out: string[] = [];
  const order = (m: string) => (m === "portable" ? 0 : 1);
  const runs = [...r.training].sort((a, b) => order(a.mode) - order(b.mode));
  for (const run of runs)
    for (const c of run.comparisons) {
      // a repeat against the baseline says nothing its first run does not
      if (c.lane.includes("#") && c.lane.split("#")[0] !== c.baseline) continue;
      out.push(comparisonSentence(run, c));
    }
  for (const x of r.reruns ?? [])
    out.push(
      x.equal
        ? `${x.mode} mode, ${x.workload}: run-to-run across processes, ${x.backend} gives the same weights hash at all ${x.compared - 1} steps both runs made.`
        : `${x.mode} mode, ${x.workload}: run-to-run across processes, ${x.backend}'s weights first differ at step ${x.firstDifferentStep}.`,
    );
  for (const c of [...r.conformance].sort((a, b) => order(a.mode) - order(b.mode))) out.push(conformanceSentence(c));
  for (const b of r.backends) if (b.status === "skipped") out.push(`${b.name}: skipped — ${b.reason}`);
  return out;
}
