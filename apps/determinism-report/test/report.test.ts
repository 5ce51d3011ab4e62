// A tiny report end to end (tiny MLP, synthetic data, a few steps, three conformance ops): report.json
// has the documented schema and the values it should, and report.html renders in headless Chromium
// without console errors, with data in every plot.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { renderHtml } from "../src/html.js";
import { mergeReports } from "../src/merge.js";
import { runReport } from "../src/report.js";
import { type DeterminismReport, SCHEMA } from "../src/schema.js";
import { validateReport } from "../src/validate.js";
import { synthetic } from "../src/workloads.js";
import { browserMissing, renderInChromium } from "./chromium.js";

const STEPS = 6;
let report: DeterminismReport;
/** Sections (conformance and training runs) in the partial reports written along the way. */
const partials: number[] = [];

beforeAll(async () => {
  report = await runReport({
    backends: ["reference", "webgpu", "cpu"],
    workloads: ["tiny"],
    modes: ["fast", "portable"],
    steps: STEPS,
    batchSize: 16,
    seed: 2,
    lr: 1e-2,
    repeat: ["webgpu", "cpu"],
    data: synthetic(64, 28, 2),
    dataKind: "synthetic",
    conformance: { runs: 3, seed: 7, ops: "^(exp|tanh|add)$", golden: false },
    onPartial: (r) => partials.push(r.conformance.length + r.training.length),
  });
}, 600_000);

describe("report.json", () => {
  it("has the documented schema", () => {
    expect(validateReport(report)).toEqual([]);
    expect(report.schema).toBe(SCHEMA);
    // round trip through JSON (non-finite numbers are strings) keeps it valid
    expect(validateReport(JSON.parse(JSON.stringify(report)))).toEqual([]);
    expect(validateReport({ ...report, training: [{ ...report.training[0], steps: STEPS + 1 }] })).not.toEqual([]);
  });

  it("is handed over after every section, so a long run keeps what it has", () => {
    const sections = report.conformance.length + report.training.length;
    expect(partials).toEqual(Array.from({ length: sections }, (_, i) => i + 1));
  });

  it("trains every started backend from the same bits on the same batches", () => {
    const ok = report.backends.filter((b) => b.status === "ok").map((b) => b.name);
    expect(ok).toContain("reference");
    expect(report.training.map((t) => `${t.workload}/${t.mode}`)).toEqual(["tiny/fast", "tiny/portable"]);
    for (const t of report.training) {
      expect(t.steps).toBe(STEPS);
      expect(t.parameters).toBe(784 * 16 + 16 + 16 * 10 + 10);
      const ids = t.lanes.map((l) => l.id);
      expect(ids).toEqual([...ok, ...["webgpu", "cpu"].filter((b) => ok.includes(b)).map((b) => `${b}#2`)]);
      // one initialisation, copied: every lane starts from the same weights
      expect(new Set(t.lanes.map((l) => l.hashes[0])).size).toBe(1);
      const ref = t.lanes[0];
      expect(ref?.losses[0]).toBeCloseTo(Math.log(10), 0); // an untrained 10-way classifier
      // repeats are bitwise equal to their first run (run-to-run determinism)
      for (const c of t.comparisons.filter((c) => c.lane === `${c.baseline}#2`))
        expect(c.bitwise, `${c.lane} ${t.mode}`).toBe(true);
    }
  });

  it("portable mode: webgpu equals the reference bit for bit (when it starts)", (ctx) => {
    const gpu = report.backends.find((b) => b.name === "webgpu");
    if (gpu?.status !== "ok") ctx.skip(`webgpu skipped: ${gpu?.reason}`);
    const portable = report.training.find((t) => t.mode === "portable");
    const c = portable?.comparisons.find((c) => c.lane === "webgpu" && c.baseline === "reference");
    expect(c?.bitwise).toBe(true);
    expect(c?.bitwiseSteps).toBe(STEPS + 1);
    expect(c?.weightMaxUlp).toEqual(new Array(STEPS).fill(0));
    expect(
      report.summary.some((s) => s.startsWith(`portable mode, tiny (${STEPS} steps): reference and webgpu bitwise equal`)),
    ).toBe(true);
    const conf = report.conformance.find((r) => r.backend === "webgpu" && r.mode === "portable");
    expect(Object.keys(conf?.ops ?? {}).sort()).toEqual(["add", "exp", "tanh"]);
    expect(conf?.ops.exp).toMatchObject({ cases: 3, maxUlp: 0, bitwiseFraction: 1 });
  });

  it("the fast CPU backend (OpenBLAS) is reported as differing, with where it first did", (ctx) => {
    const cpu = report.backends.find((b) => b.name === "cpu");
    if (cpu?.status !== "ok") ctx.skip(`cpu skipped: ${cpu?.reason}`);
    const c = report.training[0]?.comparisons.find((c) => c.lane === "cpu" && c.baseline === "reference");
    // sgemm sums in another order: the weights differ after the first update
    expect(c?.bitwise).toBe(false);
    expect(c?.firstDivergence?.step).toBe(1);
    expect(typeof c?.firstDivergence?.maxUlp === "number" && c.firstDivergence.maxUlp > 0).toBe(true);
  });

  it("merges with another report into one valid report", () => {
    const m = mergeReports([report, report]);
    expect(validateReport(m)).toEqual([]);
    expect(m.training.length).toBe(2 * report.training.length);
    // the same training in two reports is a run-to-run check across processes, lane by lane
    const lanes = report.training.reduce((n, t) => n + t.lanes.filter((l) => !l.id.includes("#")).length, 0);
    expect(m.reruns?.length).toBe(lanes);
    for (const x of m.reruns ?? []) expect(x).toMatchObject({ equal: true, compared: STEPS + 1, firstDifferentStep: null });
    expect(m.summary.filter((s) => s.includes("run-to-run across processes")).length).toBe(lanes);
  });
});

const missing = browserMissing();
describe(`report.html in headless Chromium (${missing ? `skipped: ${missing}; bash tools/browser-smoke.sh --install-only installs it` : "/usr/bin/chromium"})`, () => {
  it.skipIf(missing !== null)("renders without console errors or requests, and its plots hold the data", async () => {
    const html = renderHtml(report);
    expect(html.length).toBeLessThan(200_000);
    const shot = join(mkdtempSync(join(tmpdir(), "lockstep-report-")), "report.png");
    const r = await renderInChromium(html, shot);
    expect(r.problems).toEqual([]);
    expect(r.requests).toEqual([]); // self-contained
    expect(r.summary).toEqual(report.summary);
    // per training run: a loss plot (one series per lane) and a divergence plot (loss and weights per comparison)
    expect(r.plots.length).toBe(2 * report.training.length);
    for (const [i, t] of report.training.entries()) {
      const loss = r.plots[2 * i];
      const div = r.plots[2 * i + 1];
      expect(loss?.series.map((s) => s.name)).toEqual(t.lanes.map((l) => l.id));
      expect(div?.series.length).toBeGreaterThanOrEqual(2);
      for (const s of [...(loss?.series ?? []), ...(div?.series ?? [])]) expect(s.points, s.name).toBe(STEPS);
    }
    // the heatmap has a row for every op that is not bitwise everywhere (fast mode's exp on webgpu, at least)
    const okConf = report.conformance.filter((c) => c.status === "ok");
    const rows = ["add", "exp", "tanh"].filter((op) => okConf.some((c) => c.ops[op] && c.ops[op].bitwiseFraction < 1));
    expect(r.cells).toBe(rows.length * okConf.length);
    if (okConf.some((c) => c.backend === "webgpu")) expect(r.cells).toBeGreaterThan(0);
  });
});
