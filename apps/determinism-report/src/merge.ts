// Several report.json files as one report (e.g. a long portable-mode run and a shorter fast-mode
// run made separately): sections are concatenated, backends merged by name, the summary rebuilt.
import { type BackendEntry, type DeterminismReport, SCHEMA } from "./schema.js";
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
  const partial = {
    backends: [...backends.values()],
    conformance: reports.flatMap((r) => r.conformance),
    training: reports.flatMap((r) => r.training),
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
