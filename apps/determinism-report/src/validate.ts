// A check of report.json against the documented schema (README.md): every field, its type, and the
// invariants that tie them together (one loss per step, one hash per step plus the initial weights).
// Returns the problems found (empty: valid). Used by the tests and before merging reports.
import { SCHEMA } from "./schema.js";

type Json = unknown;
const isObj = (x: Json): x is Record<string, Json> => typeof x === "object" && x !== null && !Array.isArray(x);
const isNum = (x: Json) => typeof x === "number" || x === "Infinity" || x === "-Infinity" || x === "NaN";
const isStr = (x: Json) => typeof x === "string";
const isInt = (x: Json) => Number.isInteger(x) && (x as number) >= 0;
const isHash = (x: Json) => typeof x === "string" && /^[0-9a-f]{16}$/.test(x);

export function validateReport(r: Json): string[] {
  const errs: string[] = [];
  const need = (ok: boolean, path: string, what: string) => {
    if (!ok) errs.push(`${path}: expected ${what}`);
  };
  const arr = (x: Json, path: string, each: (v: Json, p: string) => void) => {
    if (!Array.isArray(x)) return need(false, path, "an array");
    x.forEach((v, i) => each(v, `${path}[${i}]`));
  };
  if (!isObj(r)) return ["report: expected an object"];
  need(r.schema === SCHEMA, "schema", JSON.stringify(SCHEMA));
  for (const k of ["startedAt", "finishedAt"]) need(isStr(r[k]) && !Number.isNaN(Date.parse(r[k] as string)), k, "an ISO date");
  need(isInt(r.durationMs), "durationMs", "an integer ≥ 0");
  const env = r.environment;
  need(
    isObj(env) &&
      isStr(env.node) &&
      isStr(env.platform) &&
      isStr(env.arch) &&
      isInt(env.cpus) &&
      isStr(env.cpuModel) &&
      (env.git === null || (isObj(env.git) && isStr(env.git.commit) && typeof env.git.dirty === "boolean")),
    "environment",
    "{ node, platform, arch, cpus, cpuModel, git }",
  );
  const o = r.options;
  if (!isObj(o)) need(false, "options", "an object");
  else {
    for (const k of ["backends", "workloads", "modes", "repeat"])
      arr(o[k], `options.${k}`, (v, p) => need(isStr(v), p, "a string"));
    need(
      o.steps === null || isInt(o.steps) || (isObj(o.steps) && Object.values(o.steps).every(isInt)),
      "options.steps",
      "an integer, null, or workload → integer",
    );
    need(isInt(o.batchSize) && isInt(o.seed), "options.batchSize/seed", "integers");
    need(o.data === "fashion-mnist" || o.data === "synthetic", "options.data", "fashion-mnist | synthetic");
    const c = o.conformance;
    need(
      c === null ||
        (isObj(c) && isInt(c.runs) && isInt(c.seed) && (c.ops === null || isStr(c.ops)) && typeof c.golden === "boolean"),
      "options.conformance",
      "null or { runs, seed, ops, golden }",
    );
  }
  arr(r.backends, "backends", (b, p) => {
    if (!isObj(b)) return need(false, p, "an object");
    need(isStr(b.name), `${p}.name`, "a string");
    need(
      b.status === "ok" ? isStr(b.device) && isStr(b.description) : b.status === "skipped" && isStr(b.reason),
      p,
      "ok with device and description, or skipped with a reason",
    );
  });
  arr(r.conformance, "conformance", (c, p) => {
    if (!isObj(c)) return need(false, p, "an object");
    need(isStr(c.backend), `${p}.backend`, "a string");
    need(c.mode === "fast" || c.mode === "portable", `${p}.mode`, "fast | portable");
    need(c.status === "ok" || (c.status === "skipped" && isStr(c.reason)), `${p}.status`, "ok, or skipped with a reason");
    need(isInt(c.durationMs), `${p}.durationMs`, "an integer");
    if (!isObj(c.ops)) return need(false, `${p}.ops`, "an object");
    for (const [k, v] of Object.entries(c.ops))
      need(
        isObj(v) &&
          isInt(v.cases) &&
          isNum(v.maxUlp) &&
          typeof v.bitwiseFraction === "number" &&
          v.bitwiseFraction >= 0 &&
          v.bitwiseFraction <= 1 &&
          typeof v.failed === "boolean",
        `${p}.ops.${k}`,
        "{ cases, maxUlp, bitwiseFraction ∈ [0,1], failed }",
      );
    const s = c.summary;
    need(
      isObj(s) &&
        isInt(s.ops) &&
        isInt(s.cases) &&
        isInt(s.bitwiseOps) &&
        Array.isArray(s.failedOps) &&
        (s.worst === null || (isObj(s.worst) && isStr(s.worst.op) && isNum(s.worst.maxUlp))),
      `${p}.summary`,
      "{ ops, cases, bitwiseOps, failedOps, worst }",
    );
  });
  arr(r.training, "training", (t, p) => {
    if (!isObj(t)) return need(false, p, "an object");
    need(t.mode === "fast" || t.mode === "portable", `${p}.mode`, "fast | portable");
    for (const k of ["workload", "data", "model", "optimizer"]) need(isStr(t[k]), `${p}.${k}`, "a string");
    for (const k of ["parameters", "batchSize", "steps", "seed", "durationMs"]) need(isInt(t[k]), `${p}.${k}`, "an integer");
    const steps = t.steps as number;
    const ids = new Set<string>();
    arr(t.lanes, `${p}.lanes`, (l, q) => {
      if (!isObj(l)) return need(false, q, "an object");
      for (const k of ["id", "backend", "device"]) need(isStr(l[k]), `${q}.${k}`, "a string");
      ids.add(l.id as string);
      need(Array.isArray(l.losses) && l.losses.length === steps && l.losses.every(isNum), `${q}.losses`, `${steps} numbers`);
      need(
        Array.isArray(l.hashes) && l.hashes.length === steps + 1 && l.hashes.every(isHash),
        `${q}.hashes`,
        `${steps + 1} 16-hex-digit hashes`,
      );
      need(
        isObj(l.finalTensorHashes) && Object.values(l.finalTensorHashes).every(isHash),
        `${q}.finalTensorHashes`,
        "name → hash",
      );
      need(typeof l.seconds === "number" && l.seconds >= 0, `${q}.seconds`, "a number ≥ 0");
    });
    arr(t.comparisons, `${p}.comparisons`, (c, q) => {
      if (!isObj(c)) return need(false, q, "an object");
      need(ids.has(c.lane as string) && ids.has(c.baseline as string), `${q}.lane/baseline`, "lane ids");
      need(
        typeof c.bitwise === "boolean" && isInt(c.bitwiseSteps) && (c.bitwiseSteps as number) <= steps + 1,
        `${q}.bitwise/bitwiseSteps`,
        "a boolean and an integer ≤ steps + 1",
      );
      for (const k of ["lossRelDiff", "weightRelDiff", "weightMaxUlp"])
        need(
          Array.isArray(c[k]) && (c[k] as Json[]).length === steps && (c[k] as Json[]).every(isNum),
          `${q}.${k}`,
          `${steps} numbers`,
        );
      const d = c.firstDivergence;
      need(
        d === null ||
          (isObj(d) &&
            isInt(d.step) &&
            isStr(d.tensor) &&
            Array.isArray(d.shape) &&
            isNum(d.maxAbsDiff) &&
            isNum(d.maxUlp) &&
            isInt(d.differing) &&
            Array.isArray(d.tensors) &&
            (d.worst === null ||
              (isObj(d.worst) && Array.isArray(d.worst.index) && isNum(d.worst.baseline) && isNum(d.worst.value)))),
        `${q}.firstDivergence`,
        "null or { step, tensor, shape, maxAbsDiff, maxUlp, differing, worst, tensors }",
      );
      const ld = c.firstLossDivergence;
      need(
        ld === null || (isObj(ld) && isInt(ld.step) && isNum(ld.baseline) && isNum(ld.value)),
        `${q}.firstLossDivergence`,
        "null or { step, baseline, value }",
      );
      need(c.bitwise === (d === null && ld === null), `${q}.bitwise`, "true exactly when nothing diverged");
      need(
        d === null ? c.bitwiseSteps === steps + 1 : isObj(d) && c.bitwiseSteps === d.step,
        `${q}.bitwiseSteps`,
        "the first divergent step (steps + 1 when none)",
      );
    });
  });
  if (r.reruns !== undefined)
    arr(r.reruns, "reruns", (x, p) =>
      need(
        isObj(x) &&
          isStr(x.workload) &&
          (x.mode === "fast" || x.mode === "portable") &&
          isStr(x.backend) &&
          Array.isArray(x.runs) &&
          Array.isArray(x.lanes) &&
          isInt(x.compared) &&
          typeof x.equal === "boolean" &&
          (x.firstDifferentStep === null || isInt(x.firstDifferentStep)),
        p,
        "{ workload, mode, backend, runs, lanes, compared, equal, firstDifferentStep }",
      ),
    );
  arr(r.summary, "summary", (s, p) => need(isStr(s) && (s as string).length > 0, p, "a sentence"));
  return errs;
}
