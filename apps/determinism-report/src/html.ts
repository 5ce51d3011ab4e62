// report.html: one self-contained page (inline CSS and hand-written SVG; no script, no network):
// the summary, loss curves per backend, the divergence over steps (log scale) and the per-op ×
// backend ULP heatmap of the conformance ops.
import { type ConformanceRun, type DeterminismReport, type Num, type TrainingRun, unnum } from "./schema.js";

const COLORS = ["#1f6fb4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
/** Points drawn per series at most: plots stay small whatever the step count. */
const MAX_POINTS = 500;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (x: number) =>
  !Number.isFinite(x)
    ? String(x)
    : x === 0
      ? "0"
      : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e5
        ? String(+x.toPrecision(4))
        : x.toExponential(1);

export interface Series {
  name: string;
  /** y per step; x = index + x0. */
  y: number[];
  x0: number;
  dash?: boolean;
}

/** Reduce to ≤ MAX_POINTS points; each bucket keeps its largest value (a spike must stay visible). */
function thin(s: Series): [number, number][] {
  const n = s.y.length;
  const k = Math.max(1, Math.ceil(n / MAX_POINTS));
  const out: [number, number][] = [];
  for (let i = 0; i < n; i += k) {
    let best = i;
    for (let j = i; j < Math.min(n, i + k); j++) if ((s.y[j] as number) > (s.y[best] as number)) best = j;
    out.push([best + s.x0, s.y[best] as number]);
  }
  return out;
}

/**
 * A line plot. logY: a log axis where 0 (bitwise equal) is drawn on a floor line labelled
 * "bitwise", below the smallest non-zero value.
 */
export function linePlot(opts: { title: string; xLabel: string; yLabel: string; series: Series[]; logY?: boolean }): string {
  const W = 560;
  const LEG = 13; // legend rows below the plot, so no line hides under a name
  const H = 260 + LEG * Math.ceil(opts.series.length / 2);
  const m = { l: 62, r: 12, t: 24, b: 40 + LEG * Math.ceil(opts.series.length / 2) };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const pts = opts.series.map(thin);
  const all = pts.flat();
  const xs = all.map((p) => p[0]);
  const xMin = Math.min(...xs, 0);
  const xMax = Math.max(...xs, 1);
  const finite = all.map((p) => p[1]).filter((v) => Number.isFinite(v));
  let yMin: number;
  let yMax: number;
  let floor = 0;
  const logY = opts.logY === true;
  if (logY) {
    const pos = finite.filter((v) => v > 0);
    const lo = pos.length ? Math.min(...pos) : 1e-9;
    const hi = pos.length ? Math.max(...pos) : 1e-6;
    yMax = Math.ceil(Math.log10(hi) + 1e-9);
    floor = Math.floor(Math.log10(lo)) - 1;
    yMin = floor;
    if (yMax <= yMin + 1) yMax = yMin + 2;
  } else {
    yMin = Math.min(...finite, Number.POSITIVE_INFINITY);
    yMax = Math.max(...finite, Number.NEGATIVE_INFINITY);
    if (!Number.isFinite(yMin)) [yMin, yMax] = [0, 1];
    if (yMax === yMin) [yMin, yMax] = [yMin - 0.5, yMax + 0.5];
    const pad = (yMax - yMin) * 0.05;
    yMin -= pad;
    yMax += pad;
  }
  const tx = (x: number) => m.l + ((x - xMin) / (xMax - xMin || 1)) * pw;
  const yv = (v: number) =>
    logY ? (v > 0 && Number.isFinite(v) ? Math.log10(v) : v > 0 ? yMax : floor) : Number.isFinite(v) ? v : yMax;
  const ty = (v: number) => m.t + ph - ((Math.min(yMax, Math.max(yMin, yv(v))) - yMin) / (yMax - yMin)) * ph;
  const r = (x: number) => x.toFixed(1);
  const parts: string[] = [];
  parts.push(`<text x="${m.l}" y="15" class="t">${esc(opts.title)}</text>`);
  // axes and ticks
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" class="frame"/>`);
  // integer step ticks at a round spacing
  const span = xMax - xMin;
  const raw = span / 5;
  const mag = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  const xStep = Math.max(1, [1, 2, 5, 10].map((k) => k * mag).find((k) => k >= raw) ?? mag * 10);
  for (let x = Math.ceil(xMin / xStep) * xStep; x <= xMax; x += xStep)
    parts.push(`<text x="${r(tx(x))}" y="${m.t + ph + 14}" class="tick" text-anchor="middle">${x}</text>`);
  if (logY) {
    const step = Math.max(1, Math.ceil((yMax - yMin) / 6));
    for (let e = yMax; e > yMin; e -= step) {
      const y = ty(10 ** e);
      parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${r(y)}" y2="${r(y)}" class="grid"/>`);
      parts.push(`<text x="${m.l - 4}" y="${r(y + 3)}" class="tick" text-anchor="end">1e${e}</text>`);
    }
    const y = ty(0);
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${r(y)}" y2="${r(y)}" class="floor"/>`);
    parts.push(`<text x="${m.l - 4}" y="${r(y + 3)}" class="tick" text-anchor="end">bitwise</text>`);
  } else
    for (let i = 0; i <= 4; i++) {
      const v = yMin + ((yMax - yMin) * i) / 4;
      const y = ty(v);
      parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${r(y)}" y2="${r(y)}" class="grid"/>`);
      parts.push(`<text x="${m.l - 4}" y="${r(y + 3)}" class="tick" text-anchor="end">${fmt(v)}</text>`);
    }
  parts.push(`<text x="${m.l + pw / 2}" y="${m.t + ph + 30}" class="lab" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  parts.push(
    `<text x="12" y="${m.t + ph / 2}" class="lab" text-anchor="middle" transform="rotate(-90 12 ${m.t + ph / 2})">${esc(opts.yLabel)}</text>`,
  );
  // series: later ones dashed-over-solid would hide equal curves, so widths decrease
  opts.series.forEach((s, i) => {
    const p = pts[i] as [number, number][];
    const c = COLORS[i % COLORS.length];
    const d = p.map(([x, y]) => `${r(tx(x))},${r(ty(y))}`).join(" ");
    const w = Math.max(1, 3 - i * 0.7);
    parts.push(
      `<polyline class="series" data-series="${esc(s.name)}" data-points="${p.length}" points="${d}" stroke="${c}" stroke-width="${w.toFixed(1)}"${s.dash ? ' stroke-dasharray="5 3"' : ""}/>`,
    );
    const lx = m.l + (i % 2) * (pw / 2);
    const ly = m.t + ph + 44 + Math.floor(i / 2) * LEG;
    parts.push(
      `<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${c}" stroke-width="2"${s.dash ? ' stroke-dasharray="5 3"' : ""}/><text x="${lx + 22}" y="${ly}" class="leg" fill="${c}">${esc(s.name)}</text>`,
    );
  });
  return `<svg class="plot" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(opts.title)}">${parts.join("")}</svg>`;
}

const numbers = (xs: Num[]) => xs.map(unnum);

/** Cell color of a max-ULP value: green = bitwise, yellow → red with log2 of the ULP, dark red = ∞. */
function ulpColor(u: number): string {
  if (u === 0) return "#2e9e4f";
  if (!Number.isFinite(u)) return "#5b0a0a";
  const t = Math.min(1, Math.log2(u + 1) / 24);
  const hue = 50 - 50 * t;
  return `hsl(${hue.toFixed(0)},85%,${(58 - 18 * t).toFixed(0)}%)`;
}

export function heatmap(runs: ConformanceRun[]): string {
  const cols = runs.filter((r) => r.status === "ok");
  if (cols.length === 0) return "<p>No conformance runs (all backends skipped or --no-conformance).</p>";
  const opSet = new Set<string>();
  for (const c of cols) for (const k of Object.keys(c.ops)) opSet.add(k);
  // the interesting rows first: larger worst ULP, then by name
  const worst = (op: string) => Math.max(...cols.map((c) => (c.ops[op] ? unnum(c.ops[op].maxUlp) : -1)));
  // rows bitwise in every column are listed by name under the map: the page stays small
  const green = (op: string) => cols.every((c) => !c.ops[op] || (c.ops[op].cases > 0 && c.ops[op].bitwiseFraction === 1));
  const allGreen = [...opSet].filter(green).sort();
  const ops = [...opSet].filter((op) => !green(op)).sort((a, b) => worst(b) - worst(a) || a.localeCompare(b));
  const greenList = allGreen.length
    ? `<p class="muted">Bitwise on every case in every column (${allGreen.length} ops): ${allGreen.map(esc).join(", ")}.</p>`
    : "";
  if (ops.length === 0) return `<p class="ok">Every op bitwise on every backend and mode.</p>${greenList}`;
  const cw = 92;
  const ch = 13;
  const lw = Math.min(220, 8 + 6.2 * Math.max(...ops.map((o) => o.length)));
  const top = 34;
  const W = lw + cw * cols.length + 4;
  const H = top + ch * ops.length + 4;
  const parts: string[] = [];
  cols.forEach((c, j) => {
    const x = lw + j * cw + cw / 2;
    parts.push(`<text x="${x}" y="13" class="lab" text-anchor="middle">${esc(c.backend)}</text>`);
    parts.push(`<text x="${x}" y="27" class="tick" text-anchor="middle">${esc(c.mode)}</text>`);
  });
  ops.forEach((op, i) => {
    const y = top + i * ch;
    parts.push(`<text x="${lw - 4}" y="${y + ch - 3}" class="tick" text-anchor="end">${esc(op)}</text>`);
    cols.forEach((c, j) => {
      const r = c.ops[op];
      const x = lw + j * cw;
      if (!r || r.cases === 0) {
        parts.push(
          `<rect x="${x}" y="${y}" width="${cw - 1}" height="${ch - 1}" fill="#ddd"><title>${esc(op)}: no cases</title></rect>`,
        );
        return;
      }
      const u = unnum(r.maxUlp);
      const label = u === 0 ? "0" : Number.isFinite(u) ? fmt(u) : "∞";
      const tip = `${op}, ${c.backend}/${c.mode}: ${label} ULP, ${(r.bitwiseFraction * 100).toFixed(0)}% of ${r.cases} bitwise${r.failed ? ", broke its promise" : ""}${r.knownIssue ? ` (known issue: ${r.knownIssue})` : ""}`;
      parts.push(
        `<rect class="cell" data-ulp="${esc(String(r.maxUlp))}" x="${x}" y="${y}" width="${cw - 1}" height="${ch - 1}" fill="${ulpColor(u)}"${r.failed ? ' stroke="#000" stroke-width="1.5"' : ""}><title>${esc(tip)}</title></rect>`,
      );
      if (u !== 0) parts.push(`<text x="${x + cw / 2}" y="${y + ch - 3}" class="cv" text-anchor="middle">${label}</text>`);
    });
  });
  return `<svg class="heat" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="max ULP per op and backend">${parts.join("")}</svg>${greenList}`;
}

function trainingSection(run: TrainingRun): string {
  const loss = linePlot({
    title: `${run.workload}, ${run.mode} mode: training loss per backend`,
    xLabel: "step",
    yLabel: "loss",
    series: run.lanes.map((l, i) => ({ name: l.id, y: numbers(l.losses), x0: 1, dash: i > 0 })),
  });
  const div = linePlot({
    title: `${run.workload}, ${run.mode} mode: difference from the baseline (log)`,
    xLabel: "step",
    yLabel: "relative difference",
    logY: true,
    // a repeat against the baseline repeats what its first run shows: left out
    series: run.comparisons
      .filter((c) => !c.lane.includes("#") || c.lane.split("#")[0] === c.baseline)
      .flatMap((c) => [
        { name: `weights ${c.lane} vs ${c.baseline}`, y: numbers(c.weightRelDiff), x0: 1 },
        { name: `loss ${c.lane} vs ${c.baseline}`, y: numbers(c.lossRelDiff), x0: 1, dash: true },
      ]),
  });
  const rows = run.comparisons
    .map((c) => {
      const d = c.firstDivergence;
      const first = c.bitwise
        ? "— (bitwise at every step)"
        : d
          ? `step ${d.step}: ${esc(d.tensor)} [${d.shape.join("×")}], ${d.differing} elements, max ${fmt(unnum(d.maxUlp))} ULP, |Δ| ${fmt(unnum(d.maxAbsDiff))}${d.worst ? ` (at [${d.worst.index.join(",")}]: ${unnum(d.worst.baseline)} vs ${unnum(d.worst.value)})` : ""}`
          : `loss at step ${c.firstLossDivergence?.step}`;
      return `<tr><td>${esc(c.lane)}</td><td>${esc(c.baseline)}</td><td class="${c.bitwise ? "ok" : "bad"}">${c.bitwise ? "bitwise" : "differs"}</td><td>${c.bitwiseSteps}</td><td>${first}</td></tr>`;
    })
    .join("");
  const lanes = run.lanes
    .map(
      (l) =>
        `<tr><td>${esc(l.id)}</td><td>${esc(l.device)}</td><td>${l.seconds.toFixed(1)} s</td><td>${(run.steps / (l.seconds || 1)).toFixed(2)}</td><td><code>${esc(l.hashes.at(-1) ?? "")}</code></td></tr>`,
    )
    .join("");
  return `<section><h3>${esc(run.workload)} — ${esc(run.mode)} mode</h3>
<p>${esc(run.model)}, ${run.parameters.toLocaleString("en-US")} parameters, ${esc(run.optimizer)}, batch ${run.batchSize}, ${run.steps} steps, seed ${run.seed}; data: ${esc(run.data)}; ${(run.durationMs / 1000).toFixed(0)} s.</p>
<div class="plots">${loss}${div}</div>
<table><tr><th>lane</th><th>vs</th><th>result</th><th>equal steps (incl. init)</th><th>first divergence</th></tr>${rows}</table>
<table><tr><th>lane</th><th>device</th><th>time</th><th>steps/s</th><th>final weights hash</th></tr>${lanes}</table></section>`;
}

function reruns(r: DeterminismReport): string {
  if (!r.reruns?.length) return "";
  const rows = r.reruns
    .map(
      (x) =>
        `<tr><td>${esc(x.workload)}</td><td>${esc(x.mode)}</td><td>${esc(x.backend)}</td><td>${x.compared - 1}</td><td class="${x.equal ? "ok" : "bad"}">${x.equal ? "same hashes" : `differ from step ${x.firstDifferentStep}`}</td></tr>`,
    )
    .join("");
  return `<h3>Run-to-run across processes</h3><p class="muted">The same training (workload, mode, seed, batches) in separate runs of the report, merged with --from: weight hashes step by step.</p><table><tr><th>workload</th><th>mode</th><th>backend</th><th>steps compared</th><th>result</th></tr>${rows}</table>`;
}

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:20px auto;max-width:1180px;color:#222;padding:0 12px}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;margin-top:28px}h3{font-size:15px}
.summary{background:#f3f7f3;border:1px solid #cdc;padding:8px 14px 8px 28px}.summary li{margin:3px 0}
table{border-collapse:collapse;margin:6px 0 12px}td,th{border:1px solid #ccc;padding:2px 7px;font-size:12.5px;text-align:left}
.ok{color:#17702f;font-weight:600}.bad{color:#b00;font-weight:600}.muted{color:#666;font-size:12px}
.plots{display:flex;flex-wrap:wrap;gap:10px}svg text{font-family:system-ui,sans-serif}
.t{font-size:12.5px;font-weight:600}.tick{font-size:10px;fill:#444}.lab{font-size:11px}.leg{font-size:10.5px;font-weight:600}.cv{font-size:9px;fill:#fff}
.frame{fill:none;stroke:#999}.grid{stroke:#eee}.floor{stroke:#2e9e4f;stroke-dasharray:2 2}polyline{fill:none;stroke-linejoin:round}`;

export function renderHtml(r: DeterminismReport): string {
  const backends = r.backends
    .map(
      (b) =>
        `<tr><td>${esc(b.name)}</td><td>${b.status === "ok" ? `<span class="ok">ok</span>` : `<span class="bad">skipped</span>`}</td><td>${esc(b.device ?? "")}</td><td>${esc(b.description ?? b.reason ?? "")}</td></tr>`,
    )
    .join("");
  const conf = r.conformance
    .map(
      (c) =>
        `<tr><td>${esc(c.backend)}</td><td>${esc(c.mode)}</td><td>${c.status === "ok" ? `${c.summary.bitwiseOps} / ${c.summary.ops}` : esc(`skipped: ${c.reason}`)}</td><td>${c.summary.worst ? `${esc(c.summary.worst.op)} (${fmt(unnum(c.summary.worst.maxUlp))} ULP)` : "—"}</td><td>${esc(c.summary.failedOps.join(", ") || "—")}</td><td>${(c.durationMs / 1000).toFixed(0)} s</td></tr>`,
    )
    .join("");
  const e = r.environment;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lockstep determinism report</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${CSS}</style></head><body>
<h1>lockstep determinism report</h1>
<p class="muted">${esc(r.startedAt)} · ${(r.durationMs / 1000 / 60).toFixed(1)} min · Node ${esc(e.node)}, ${esc(e.platform)}/${esc(e.arch)}, ${e.cpus} × ${esc(e.cpuModel)} · ${e.git ? `commit ${esc(e.git.commit.slice(0, 10))}${e.git.dirty ? " (uncommitted changes)" : ""}` : "no git"} · schema ${esc(r.schema)}</p>
<ul class="summary">${r.summary.map((s) => `<li>${esc(s)}</li>`).join("") || "<li>nothing ran</li>"}</ul>
<h2>Backends</h2><table><tr><th>backend</th><th>status</th><th>device</th><th>description / reason</th></tr>${backends}</table>
<h2>Training in lockstep</h2>
<p class="muted">Every lane starts from the same weights (initialised on the reference, copied to the device) and sees the same batches (one seeded DataLoader on the host). After each step all weights are read back and hashed (SHA-256 per parameter); the first lane is the baseline. A lane named <code>x#2</code> is a second, independent run on the same backend. Relative differences: loss |a−b|/|b|; weights max over parameters of max|Δ|/max|baseline|; 0 (bitwise) sits on the dashed floor line.</p>
${r.training.map(trainingSection).join("\n") || "<p>No training runs.</p>"}
${reruns(r)}
<h2>Conformance ops: max ULP against the reference</h2>
<p class="muted">Each backend against the reference in the same mode (fast: the platform's own transcendentals; portable: lockstep's). Green = bitwise on every case; yellow → red: max ULP (log scale); dark red: ∞ (NaN vs number, or an integer/error mismatch); black outline: the backend broke its declared promise; grey: no cases.</p>
${r.conformance.length ? `<table><tr><th>backend</th><th>mode</th><th>bitwise ops</th><th>worst</th><th>broke promise</th><th>time</th></tr>${conf}</table>` : ""}
${heatmap(r.conformance)}
</body></html>
`;
}
