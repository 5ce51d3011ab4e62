// Several report.json files as one report (e.g. a long portable-mode run and a shorter fast-mode
// run made separately): sections are concatenated, backends merged by name, the summary rebuilt.
import { type BackendEntry, type DeterminismReport, type Rerun, SCHEMA, type TrainingRun } from "./schema.js";
import { summarize } from "./summary.js";
import { validateReport } from "./validate.js";

export class ReportSchemaError extends TypeError {
  override name = "ReportSchemaError";
}

export function mergeReports(reports: DeterminismReport[]): DeterminismReport {
  const first = reports[0];
  if (!first) throw new ReportSchemaError("mergeReports: no reports");
  for (const [i, r] of reports.entries()) {
    if (r.schema !== SCHEMA) throw new ReportSchemaError(`report ${i}: schema '${r.schema}', expected '${SCHEMA}'`);
    const errs = validateReport(r);
    if (errs.length) throw new ReportSchemaError(`report ${i}: ${errs.slice(0, 3).join("; ")}`);
  }
  const backends = new Map<string, BackendEntry>();
  for (const r of reports) for (const b of r.backends) if (!backends.has(b.name) || b.status === "ok") backends.set(b.name, b);
  const training = reports.flatMap((r) => r.training);
  const from = reports.flatMap((r, i) => r.training.map(() => i));
  const partial = {
    backends: [...backends.values()],
    conformance: reports.flatMap((r) => r.conformance),
    training,
    reruns: [...reports.flatMap((r) => r.reruns ?? []), ...findReruns(training, from)],
  };
  const starts = reports.map((r) => r.startedAt).sort();
  const ends = reports.map((r) => r.finishedAt).sort();
  return {
    ...first,
    startedAt: starts[0] as string,
    finishedAt: ends[ends.length - 1] as string,
    durationMs: reports.reduce((n, r) => n + r.durationMs, 0),
    options: {
      ...first.options,
      backends: [...backends.keys()],
      workloads: [...new Set(reports.flatMap((r) => r.options.workloads))],
      modes: [...new Set(reports.flatMap((r) => r.options.modes))],
      repeat: [...new Set(reports.flatMap((r) => r.options.repeat))],
      conformance: reports.find((r) => r.options.conformance)?.options.conformance ?? null,
    },
    ...partial,
    summary: summarize(partial),
  };
}

/** Runs that trained the same thing (workload, mode, seed, batch, data, optimizer) from different reports. */
export function findReruns(training: TrainingRun[], from: number[]): Rerun[] {
  const key = (t: TrainingRun) => JSON.stringify([t.workload, t.mode, t.seed, t.batchSize, t.data, t.optimizer, t.model]);
  const out: Rerun[] = [];
  for (let a = 0; a < training.length; a++)
    for (let b = a + 1; b < training.length; b++) {
      const ta = training[a] as TrainingRun;
      const tb = training[b] as TrainingRun;
      if (from[a] === from[b] || key(ta) !== key(tb)) continue;
      for (const la of ta.lanes) {
        if (la.id.includes("#")) continue;
        const lb = tb.lanes.find((l) => l.id === la.id);
        if (!lb) continue;
        const n = Math.min(la.hashes.length, lb.hashes.length);
        let first: number | null = null;
        for (let i = 0; i < n && first === null; i++) if (la.hashes[i] !== lb.hashes[i]) first = i;
        out.push({
          workload: ta.workload,
          mode: ta.mode,
          backend: la.backend,
          runs: [a, b],
          lanes: [la.id, lb.id],
          compared: n,
          equal: first === null,
          firstDifferentStep: first,
        });
      }
    }
  return out;
}
