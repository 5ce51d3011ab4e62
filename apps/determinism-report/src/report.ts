// The whole report: start the backends, run the conformance ops per backend and mode, train each
// workload in lockstep per mode, and summarise.
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { type Started, startReportBackend } from "./backends.js";
import { runConformanceOps } from "./conformance.js";
import { type BackendEntry, type ConformanceRun, type DeterminismReport, type Mode, SCHEMA, type TrainingRun } from "./schema.js";
import { summarize } from "./summary.js";
import { type LaneSpec, trainInLockstep } from "./training.js";
import { type DataSource, WORKLOAD, type WorkloadName } from "./workloads.js";

export interface ReportOptions {
  backends: string[];
  workloads: WorkloadName[];
  modes: Mode[];
  /** Steps per training run, for all or per workload; null / absent: the workload's default (an MLP epoch, 200 CNN steps). */
  steps: number | null | Partial<Record<WorkloadName, number>>;
  batchSize: number;
  seed: number;
  lr: number;
  /** Backends trained twice (a second lane "name#2") to show run-to-run determinism. */
  repeat: string[];
  data: DataSource;
  dataKind: "fashion-mnist" | "synthetic";
  /** null: no conformance section. */
  conformance: { runs: number; seed: number; ops?: string; golden: boolean } | null;
  log?: (line: string) => void;
  /** Called with the report so far after each conformance and training run (a long run keeps what it has). */
  onPartial?: (r: DeterminismReport) => void;
}

export async function runReport(o: ReportOptions): Promise<DeterminismReport> {
  const started = new Date();
  const log = o.log ?? (() => {});
  const backends: BackendEntry[] = [];
  const conformance: ConformanceRun[] = [];
  const training: TrainingRun[] = [];
  const build = (): DeterminismReport => assemble(o, started, { backends, conformance, training });
  const statuses = new Map<string, Started | null>();
  for (const name of o.backends) {
    const r = await startReportBackend(name);
    backends.push(r.entry);
    statuses.set(name, r.status);
    log(r.status ? `backend ${name}: ${r.entry.description}` : `backend ${name}: SKIPPED — ${r.entry.reason}`);
  }
  if (o.conformance) {
    const c = o.conformance;
    for (const mode of o.modes)
      for (const b of backends) {
        if (b.name === "reference") continue; // the baseline every backend is compared with
        log(`conformance: ${b.name}, ${mode} mode …`);
        const r = await runConformanceOps(b.name, statuses.get(b.name) ?? null, mode, c, b.reason);
        conformance.push(r);
        o.onPartial?.(build());
        log(
          `conformance: ${b.name}, ${mode} mode: ${r.summary.bitwiseOps}/${r.summary.ops} ops bitwise (${(r.durationMs / 1000).toFixed(1)} s)`,
        );
      }
  }
  const ok = backends.filter((b) => b.status === "ok");
  if (ok.length > 0) {
    const lanes: LaneSpec[] = ok.map((b) => ({ id: b.name, backend: b.name, device: b.device as string }));
    const extra: [string, string][] = [];
    for (const name of o.repeat) {
      const b = ok.find((x) => x.name === name);
      if (!b) continue;
      lanes.push({ id: `${name}#2`, backend: name, device: b.device as string });
      extra.push([`${name}#2`, name]);
    }
    for (const w of o.workloads)
      for (const mode of o.modes) {
        const wl = WORKLOAD[w];
        const given = typeof o.steps === "number" ? o.steps : o.steps?.[w];
        const steps = given ?? wl.defaultSteps(o.batchSize, o.data.size);
        log(`training ${w}, ${mode} mode: ${steps} steps on ${lanes.map((l) => l.id).join(", ")} …`);
        let lastLog = performance.now();
        const run = await trainInLockstep({
          workload: w,
          mode,
          modelName: wl.modelName,
          model: wl.model,
          batches: o.data.loader(o.batchSize, o.seed),
          data: o.data.name,
          steps,
          batchSize: o.batchSize,
          seed: o.seed,
          lr: o.lr,
          lanes,
          // a repeat is compared with the baseline too (by being a lane), and with its first run
          extraComparisons: extra,
          onStep: (step, lane, loss) => {
            if (lane !== lanes[lanes.length - 1]?.id) return;
            if (performance.now() - lastLog < 10_000 && step !== steps) return;
            lastLog = performance.now();
            log(`  ${w} ${mode}: step ${step}/${steps}, loss ${loss.toFixed(4)}`);
          },
        });
        training.push(run);
        o.onPartial?.(build());
        for (const c of run.comparisons)
          log(
            `  ${c.lane} vs ${c.baseline}: ${c.bitwise ? `bitwise over ${run.steps} steps` : `first divergence at step ${c.firstDivergence?.step ?? c.firstLossDivergence?.step} (${c.firstDivergence?.tensor ?? "loss"})`}`,
          );
      }
  }
  return build();
}

/** Which code produced the numbers (a dirty tree is worth knowing about when reading them). */
function gitState(): DeterminismReport["environment"]["git"] {
  try {
    const run = (args: string[]) => execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    return { commit: run(["rev-parse", "HEAD"]), dirty: run(["status", "--porcelain", "--untracked-files=no"]) !== "" };
  } catch {
    return null;
  }
}

function assemble(
  o: ReportOptions,
  started: Date,
  partial: Pick<DeterminismReport, "backends" | "conformance" | "training">,
): DeterminismReport {
  const finished = new Date();
  const cpu = cpus();
  return {
    schema: SCHEMA,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: finished.getTime() - started.getTime(),
    environment: {
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      cpus: cpu.length,
      cpuModel: cpu[0]?.model ?? "unknown",
      git: gitState(),
    },
    options: {
      backends: o.backends,
      workloads: o.workloads,
      modes: o.modes,
      steps: o.steps,
      batchSize: o.batchSize,
      seed: o.seed,
      repeat: o.repeat,
      data: o.dataKind,
      conformance: o.conformance ? { ...o.conformance, ops: o.conformance.ops ?? null } : null,
    },
    ...partial,
    summary: summarize(partial),
  };
}
