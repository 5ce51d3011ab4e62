// The machine-readable conformance report (schema documented in README.md) and its summary table.
import { describePromise, type OpPromise } from "./promise.js";

export interface FailureRecord {
  /** A minimal input that breaks the promise: a shrunk spec case (see README) or a golden case id. */
  reproducer: unknown;
  /** The reference's value at the first offending element (or the reference's error). */
  expected: unknown;
  /** The backend's value there (or its error). */
  got: unknown;
  /** One line: which output or gradient, which element, how far off. */
  detail: string;
}

export interface OpStats {
  /** spec: fast-check property; golden: PyTorch golden cases; program: random op chains; check: a fixed check. */
  kind: "spec" | "golden" | "program" | "check";
  /** Cases compared (cases skipped for a declared-unsupported dtype are counted in `unsupported`). */
  cases: number;
  /** Largest ULP distance seen over outputs and gradients; "Infinity" for NaN vs number or integer differences. */
  maxUlp: number | "Infinity";
  /** Fraction of cases whose every output and gradient was bitwise equal (NaN payloads aside). */
  bitwiseFraction: number;
  /** What the backend promises for this op. */
  promise: string;
  /** Cases with a dtype the backend declares unsupported; each was checked to raise DTypeError. */
  unsupported?: number;
  /** Golden cases the reference itself raised on its device (a core bug; not compared), with one example. */
  referenceErrors?: { count: number; example: string };
  /** A known open bug (the reason), when the op is expected to fail on this backend. */
  knownIssue?: string;
  failures: FailureRecord[];
}

export interface Report {
  backend: string;
  device?: string;
  /** The adapter / implementation, as the backend describes itself. */
  description?: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Set when the backend could not start: nothing ran. */
  skipped?: string;
  options: { numRuns: number; seed: number; ops?: string; golden: boolean; portable: boolean };
  ops: Record<string, OpStats>;
  /** failedOps: every op with a failure; unexpectedFailures: those without a known issue. */
  summary: { ops: number; cases: number; failedOps: string[]; unexpectedFailures: string[]; bitwiseOps: number };
}

/** Running statistics of one op. */
export class StatsBuilder {
  cases = 0;
  bitwiseCases = 0;
  maxUlp = 0;
  unsupported = 0;
  knownIssue?: string;
  referenceErrors = 0;
  referenceErrorSample?: string;
  failures: FailureRecord[] = [];
  constructor(
    readonly kind: OpStats["kind"],
    public promise: OpPromise | string,
  ) {}
  add(maxUlp: number, bitwise: boolean): void {
    this.cases++;
    if (bitwise) this.bitwiseCases++;
    if (maxUlp > this.maxUlp) this.maxUlp = maxUlp;
  }
  build(): OpStats {
    return {
      kind: this.kind,
      cases: this.cases,
      maxUlp: this.maxUlp === Number.POSITIVE_INFINITY ? "Infinity" : this.maxUlp,
      bitwiseFraction: this.cases ? this.bitwiseCases / this.cases : 0,
      promise: typeof this.promise === "string" ? this.promise : describePromise(this.promise),
      ...(this.unsupported ? { unsupported: this.unsupported } : {}),
      ...(this.knownIssue ? { knownIssue: this.knownIssue } : {}),
      ...(this.referenceErrors
        ? { referenceErrors: { count: this.referenceErrors, example: this.referenceErrorSample ?? "" } }
        : {}),
      failures: this.failures,
    };
  }
}

export function summarize(ops: Record<string, OpStats>): Report["summary"] {
  const all = Object.entries(ops);
  return {
    ops: all.length,
    cases: all.reduce((n, [, s]) => n + s.cases, 0),
    failedOps: all.filter(([, s]) => s.failures.length > 0).map(([k]) => k),
    unexpectedFailures: all.filter(([, s]) => s.failures.length > 0 && !s.knownIssue).map(([k]) => k),
    bitwiseOps: all.filter(([, s]) => s.cases > 0 && s.bitwiseFraction === 1).length,
  };
}

/** A fixed-width text table of the report, failures first. */
export function formatTable(r: Report): string {
  const head = `backend ${r.backend}${r.description ? ` (${r.description})` : ""}${r.skipped ? "" : r.options.portable ? ", portable numerics" : ", native numerics"}`;
  if (r.skipped) return `${head}: SKIPPED — ${r.skipped}\n`;
  const rows = Object.entries(r.ops).sort(([a, x], [b, y]) => y.failures.length - x.failures.length || a.localeCompare(b));
  const w = Math.max(10, ...rows.map(([k]) => k.length));
  const lines = [head, `${"op".padEnd(w)}  ${"cases".padStart(6)}  ${"maxUlp".padStart(8)}  ${"bitwise".padStart(7)}  status`];
  for (const [k, s] of rows) {
    const status = s.failures.length ? `FAIL${s.knownIssue ? " (known issue)" : ""}` : s.cases === 0 ? "no cases" : "ok";
    const bw = `${Math.round(s.bitwiseFraction * 100)}%`;
    lines.push(`${k.padEnd(w)}  ${String(s.cases).padStart(6)}  ${String(s.maxUlp).padStart(8)}  ${bw.padStart(7)}  ${status}`);
  }
  const sum = r.summary;
  lines.push(
    `${sum.ops} ops, ${sum.cases} cases, ${sum.bitwiseOps} ops bitwise on every case, ${sum.failedOps.length} failing${sum.failedOps.length ? `: ${sum.failedOps.join(", ")}` : ""} (${(r.durationMs / 1000).toFixed(1)} s)`,
  );
  return `${lines.join("\n")}\n`;
}
