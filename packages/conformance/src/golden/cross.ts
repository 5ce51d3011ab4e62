// The golden cases as conformance cases: on the reference they are compared with PyTorch (with the
// table's stated bounds); on any other backend with the reference (with the backend's promise).
import type { DType } from "@lockstep/core";
import * as torch from "@lockstep/core";
import type { BackendStatus } from "../backends.js";
import { REFERENCE_DEVICE } from "../backends.js";
import { flushSubnormals } from "../compare.js";
import { describePromise, promiseFor } from "../promise.js";
import { type OpStats, StatsBuilder } from "../report.js";
import {
  type Case,
  compareEvaluated,
  compareWithGolden,
  decodeStorage,
  type Evaluated,
  evaluateCase,
  GOLDEN_FILES,
  isT,
  loadCases,
  type Mismatch,
  type Readback,
  type T,
} from "./harness.js";
import { goldenKnownIssue } from "./known.js";
import { GOLDEN_TABLE } from "./table.js";

const goldenReadback = (t: unknown): Readback | null =>
  isT(t) ? { dtype: t.dtype, shape: t.shape, data: decodeStorage(t as T) } : null;

/** The golden's own results as an evaluation (for ULP statistics of the reference against PyTorch). */
function goldenEvaluated(c: Case, ref: Evaluated): Evaluated {
  if (!isT(c.out) && !Array.isArray(c.out)) return { ...ref, scalar: c.out };
  const outs = (Array.isArray(c.out) ? c.out : [c.out]).map(goldenReadback);
  const grads = ref.grads ? (c.grads ?? []).map(goldenReadback) : null;
  return { outs, grads, inputAbs: 0, gradOutAbs: 0 };
}

const hasTensorArgs = (c: Case): boolean => JSON.stringify(c.args).includes('"storage"');
const errorLine = (e: unknown) => `${(e as Error)?.name ?? "Error"}: ${String((e as Error)?.message ?? e).split("\n")[0]}`;

/** PyTorch's results are its native numerics: compare with the reference outside portable mode. */
async function nativeNumerics<R>(f: () => Promise<R>): Promise<R> {
  const was = torch.isPortableNumericsEnabled();
  torch.usePortableNumerics(false);
  try {
    return await f();
  } finally {
    torch.usePortableNumerics(was);
  }
}

function flushEvaluated(e: Evaluated, flush: readonly DType[] | undefined): Evaluated {
  if (!flush) return e;
  const f = (rb: Readback | null): Readback | null =>
    rb && flush.includes(rb.dtype) ? { ...rb, data: flushSubnormals(rb.dtype, rb.data) } : rb;
  return { ...e, outs: e.outs.map(f), grads: e.grads?.map(f) ?? null };
}

/** Failing golden cases listed per op. */
const MAX_LISTED = 5;

export interface GoldenOptions {
  files?: string[];
  /** Only ops whose name matches. */
  ops?: RegExp;
}

/** Run the golden cases on a started backend; per op statistics keyed `golden:<op>`. */
export async function runGoldenOnBackend(
  b: Extract<BackendStatus, { ok: true }>,
  opts: GoldenOptions = {},
): Promise<Record<string, OpStats>> {
  const vsPyTorch = b.device === REFERENCE_DEVICE;
  // a backend that flushes subnormals is compared with the reference on flushed inputs, both results flushed
  const flush = b.flushesSubnormals.length ? b.flushesSubnormals : undefined;
  const stats = new Map<string, StatsBuilder>();
  for (const file of opts.files ?? GOLDEN_FILES)
    for (const c of loadCases(file).cases) {
      const entry = GOLDEN_TABLE[c.op];
      if (!entry || (opts.ops && !opts.ops.test(c.op))) continue;
      if (vsPyTorch && entry.known?.[c.id]) continue; // a documented PyTorch difference, reported as skipped by the suite
      if (!vsPyTorch && !hasTensorArgs(c)) continue; // creation ops without a device argument run on "cpu" either way
      const promise = promiseFor(entry.backends, b.name, torch.isPortableNumericsEnabled());
      const key = `golden:${c.op}`;
      let s = stats.get(key);
      if (!s) {
        const text = vsPyTorch
          ? entry.ulp || entry.gradUlp || entry.sumTol || entry.atol
            ? `vs PyTorch: ≤ ${entry.ulp ?? 0} ulp${entry.gradUlp ? ` (grad ≤ ${entry.gradUlp})` : ""}${entry.sumTol ? `, reordered-sum bound ${entry.sumTol}·eps·Σ|x|` : ""}${entry.atol ? `, atol ${entry.atol}` : ""}: ${entry.reason ?? ""}`
            : "vs PyTorch: bitwise"
          : describePromise(promise);
        stats.set(key, (s = new StatsBuilder("golden", text)));
      }
      if (!vsPyTorch) s.knownIssue ??= goldenKnownIssue(b.name, c.op, file);
      // the first few failing cases of an op are listed; the count is in the stats' cases/bitwise numbers
      const fail = (m: Mismatch) =>
        s.failures.length < MAX_LISTED &&
        s.failures.push({
          reproducer: { goldenCase: c.id, file },
          expected: m.expected ?? null,
          got: m.got ?? null,
          detail: `${c.id} ${m.what}: ${m.detail}`,
        });
      if (b.unsupportedDtypes.length && JSON.stringify(c).match(new RegExp(`"dtype":"(${b.unsupportedDtypes.join("|")})"`))) {
        s.unsupported++;
        continue;
      }
      let ref: Evaluated;
      try {
        // against PyTorch on "cpu", as users run it and as the golden suite does; against another
        // backend on "reference", which no backend takes over
        ref = vsPyTorch
          ? await nativeNumerics(() => evaluateCase(c, entry, "cpu"))
          : flushEvaluated(await evaluateCase(c, entry, REFERENCE_DEVICE, flush && { flush }), flush);
      } catch (e) {
        if (vsPyTorch) {
          s.add(Number.POSITIVE_INFINITY, false);
          fail({ what: "reference", detail: `threw ${errorLine(e)}` });
        } else {
          // the reference cannot run it on its device: a core bug the op specs report; nothing to compare
          s.referenceErrors++;
          s.referenceErrorSample ??= `${c.id}: ${errorLine(e)}`;
        }
        continue;
      }
      if (vsPyTorch) {
        const stat = compareEvaluated(goldenEvaluated(c, ref), ref, { ulp: Number.POSITIVE_INFINITY });
        s.add(stat.maxUlp, stat.bitwise);
        const bad = compareWithGolden(c, entry, ref);
        if (bad[0]) fail(bad[0]);
        continue;
      }
      let got: Evaluated;
      try {
        got = flushEvaluated(await evaluateCase(c, entry, b.device), flush);
      } catch (e) {
        s.add(Number.POSITIVE_INFINITY, false);
        fail({ what: "backend", detail: `threw ${errorLine(e)}`, got: errorLine(e) });
        continue;
      }
      const mag = promise.reorderedSum ? await evaluateCase(c, entry, REFERENCE_DEVICE, { abs: true, flush }) : undefined;
      const r = compareEvaluated(ref, got, promise, mag);
      s.add(r.maxUlp, r.bitwise);
      if (r.mismatches[0]) fail(r.mismatches[0]);
    }
  return Object.fromEntries([...stats].map(([k, v]) => [k, v.build()]));
}
