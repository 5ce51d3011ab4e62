// Runs op specs on a backend and on the reference, compares forward results and gradients with the
// backend's promise, and shrinks a failing case to a minimal reproducer (fast-check).
import type { DType, Tensor } from "@lockstep/core";
import * as torch from "@lockstep/core";
import fc from "fast-check";
import type { TensorDesc } from "./arbitraries.js";
import { type BackendStatus, REFERENCE_DEVICE } from "./backends.js";
import { flushSubnormals, type InputTransform, isFloatDtype, jsonNumber, transformStorage } from "./compare.js";
import { type CrossResult, compareReadbacks, type Mismatch, type Readback } from "./golden/harness.js";
import { type OpPromise, type Promises, promiseFor } from "./promise.js";
import { type FailureRecord, type OpStats, StatsBuilder } from "./report.js";

export type StartedStatus = Extract<BackendStatus, { ok: true }>;

/** One generated case: input tensors, op parameters, and the seed of the upstream gradients. */
export interface SpecCase {
  inputs: TensorDesc[];
  params: Record<string, unknown>;
  gradSeed?: number;
}

export interface RunContext {
  /** The device the case runs on. */
  device: string;
}

export interface OpSpec {
  /** Report key, e.g. "exp" or "sum.dim". */
  name: string;
  arb: fc.Arbitrary<SpecCase>;
  /** The op on device tensors (inputs already on ctx.device). */
  run: (x: Tensor[], params: Record<string, unknown>, ctx: RunContext) => unknown;
  /** Differentiate every floating output with respect to these inputs (true: all floating inputs). */
  grad?: boolean | number[];
  /** Per-backend promises against the reference (default bitwise). */
  promises?: Promises;
  /**
   * Known open bugs: backend name (or "*") → reason. The op still runs and is reported; the vitest
   * suite expects it to fail (it.fails), so a fix shows up as a test to update.
   */
  known?: Record<string, string>;
  kind?: OpStats["kind"];
}

// ---- evaluation ----

/** A host tensor on the reference holding the storage, viewed with the case's strides on `device`. */
export async function materialize(d: TensorDesc, device: string, tr?: InputTransform): Promise<Tensor> {
  const values = d.dtype === "bool" ? d.storage.map((v) => v !== 0) : d.storage;
  let host = torch.tensor(values as number[], { dtype: d.dtype, device: REFERENCE_DEVICE });
  // transforms act on the stored values (after rounding to the dtype)
  if (tr && isFloatDtype(d.dtype))
    host = torch.fromBuffer(transformStorage(d.dtype, host.dataSync(), tr), { dtype: d.dtype }).to(REFERENCE_DEVICE);
  const base = device === REFERENCE_DEVICE ? host : await torch.toAsync(host, device);
  return torch.asStrided(base, d.shape, d.strides, d.offset);
}

/** Upstream gradient values: small exact multiples of 1/4 (representable in every float dtype), fixed by a seed. */
export function gradValues(n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => ((((i * 37 + seed * 11) % 13) + 13) % 13) / 4 - 1.5);
}

export type Outcome =
  | { error: string; errorMessage: string }
  | { error?: undefined; outs: Readback[]; grads: (Readback | null)[] | null; gradError?: string };

const flat = (x: unknown): Tensor[] =>
  x instanceof torch.Tensor ? [x] : Array.isArray(x) ? x.flatMap(flat) : x && typeof x === "object" ? [] : [];

async function readback(t: Tensor): Promise<Readback> {
  return { dtype: t.dtype, shape: [...t.shape], data: (await t.data()).slice() };
}

/** Run a case on a device and read back everything (errors become an outcome too: they must match). */
export async function evaluate(spec: OpSpec, c: SpecCase, device: string, tr?: InputTransform): Promise<Outcome> {
  const created: Tensor[] = [];
  try {
    const inputs: Tensor[] = [];
    // abs: the magnitudes against which a reordered sum's error is bounded (floating inputs only;
    // indices and masks stay as they are)
    for (const d of c.inputs) inputs.push(await materialize(d, device, tr));
    created.push(...inputs);
    const which = spec.grad === true ? inputs.map((_, i) => i) : Array.isArray(spec.grad) ? spec.grad : ([] as number[]);
    const leaves = inputs.map((t, i) => (which.includes(i) && isFloatDtype(t.dtype) ? t.detach().requiresGrad_(true) : t));
    created.push(...leaves);
    const wrt = leaves.filter((t) => t.requiresGrad);
    let res: unknown;
    try {
      res = spec.run(leaves, c.params, { device });
    } catch (e) {
      return errorOutcome(e);
    }
    const outs = flat(res);
    created.push(...outs);
    const outRb: Readback[] = [];
    for (const o of outs) outRb.push(await readback(o));
    if (wrt.length === 0) return { outs: outRb, grads: null };
    const roots = outs.filter((o) => o.requiresGrad && isFloatDtype(o.dtype));
    if (roots.length === 0) return { outs: outRb, grads: null };
    try {
      const gradOutputs: Tensor[] = [];
      for (const [k, r] of roots.entries()) {
        const vals = gradValues(r.numel(), (c.gradSeed ?? 0) + k).map((v) => (tr?.abs ? Math.abs(v) : v));
        const host = torch.tensor(vals, { dtype: r.dtype, device: REFERENCE_DEVICE }).reshape([...r.shape]);
        gradOutputs.push(device === REFERENCE_DEVICE ? host : await torch.toAsync(host, device));
      }
      created.push(...gradOutputs);
      const g = torch.autograd.grad(roots, wrt, { gradOutputs, allowUnused: true });
      const grads: (Readback | null)[] = [];
      for (const gi of g) {
        if (gi) created.push(gi);
        grads.push(gi ? await readback(gi) : null);
      }
      return { outs: outRb, grads };
    } catch (e) {
      const err = errorOutcome(e);
      return { outs: outRb, grads: null, gradError: `${err.error}: ${err.errorMessage}` };
    }
  } catch (e) {
    return errorOutcome(e);
  } finally {
    for (const t of created) if (!t.isDisposed) t.dispose();
  }
}

const errorOutcome = (e: unknown): { error: string; errorMessage: string } => ({
  error: (e as Error)?.name ?? "Error",
  errorMessage: String((e as Error)?.message ?? e).split("\n")[0] ?? "",
});

/** Compare a backend's outcome with the reference's under a promise. */
export function compareOutcomes(ref: Outcome, got: Outcome, p: OpPromise, mag?: Outcome): CrossResult {
  const r: CrossResult = { mismatches: [], maxUlp: 0, bitwise: true };
  // Every input of a case is on one device, so a DeviceError is a device-plumbing bug (in core or the
  // backend) even when both sides raise it: it is never an agreement.
  for (const [side, o] of [
    ["reference", ref],
    ["backend", got],
  ] as const) {
    const msg =
      o.error === "DeviceError"
        ? o.errorMessage
        : o.error === undefined && o.gradError?.startsWith("DeviceError")
          ? o.gradError
          : null;
    if (msg !== null) r.mismatches.push({ what: side, detail: `device plumbing: ${msg}`, expected: "no DeviceError", got: msg });
  }
  if (r.mismatches.length) return { ...r, maxUlp: Number.POSITIVE_INFINITY, bitwise: false };
  if (ref.error !== undefined || got.error !== undefined) {
    const refMsg = ref.error !== undefined ? ref.errorMessage : "";
    const gotMsg = got.error !== undefined ? got.errorMessage : "";
    // An error is a result too: the backend must raise the same error class as the reference.
    if (ref.error !== got.error) {
      r.bitwise = false;
      r.maxUlp = Number.POSITIVE_INFINITY;
      r.mismatches.push({
        what: "error",
        detail:
          ref.error !== undefined
            ? got.error !== undefined
              ? `raised ${got.error} (${gotMsg}), reference raised ${ref.error}`
              : `returned a result, reference raised ${ref.error} (${refMsg})`
            : `raised ${got.error}: ${gotMsg}`,
        expected: ref.error ?? "a result",
        got: got.error ?? "a result",
      });
    }
    return r;
  }
  if (ref.outs.length !== got.outs.length) {
    r.mismatches.push({ what: "out", detail: `${got.outs.length} outputs, reference ${ref.outs.length}` });
    return { ...r, maxUlp: Number.POSITIVE_INFINITY, bitwise: false };
  }
  const m = mag && mag.error === undefined ? mag : null;
  const sum = (x: Readback | null | undefined) => (p.reorderedSum && m ? { mag: x ?? null, k: p.reorderedSum } : undefined);
  const close = p.atol !== undefined || p.rtol !== undefined ? { atol: p.atol ?? 0, rtol: p.rtol ?? 0 } : undefined;
  ref.outs.forEach((o, i) => compareReadbacks(`out[${i}]`, o, got.outs[i] ?? null, p.ulp, r, sum(m?.outs[i]), close));
  if (got.gradError !== ref.gradError) {
    r.bitwise = false;
    r.maxUlp = Number.POSITIVE_INFINITY;
    r.mismatches.push({ what: "grad", detail: `backward: ${got.gradError ?? "ran"}, reference: ${ref.gradError ?? "ran"}` });
  }
  (ref.grads ?? []).forEach((g, i) =>
    compareReadbacks(`grad[${i}]`, g, got.grads?.[i] ?? null, p.gradUlp ?? p.ulp, r, sum(m?.grads?.[i]), close),
  );
  return r;
}

/** An outcome with the subnormals of the `flush` dtypes in its results set to zero (sign kept). */
export function flushOutcome(o: Outcome, flush: readonly DType[] | undefined): Outcome {
  if (!flush || o.error !== undefined) return o;
  const f = (rb: Readback | null): Readback | null =>
    rb && flush.includes(rb.dtype) ? { ...rb, data: flushSubnormals(rb.dtype, rb.data) } : rb;
  return { ...o, outs: o.outs.map((x) => f(x) as Readback), grads: o.grads?.map(f) ?? null };
}

// ---- one case on a backend ----

export type CaseResult =
  | { status: "ok"; maxUlp: number; bitwise: boolean }
  | { status: "unsupported" }
  | { status: "fail"; maxUlp: number; bitwise: boolean; mismatch: Mismatch };

/** Dtypes a case uses (inputs; and dtype parameters such as casts' targets). */
function caseDtypes(c: SpecCase): DType[] {
  const ds = c.inputs.map((d) => d.dtype);
  const walk = (v: unknown): void => {
    if (typeof v === "string" && v in DTYPE_SET) ds.push(v as DType);
    else if (v && typeof v === "object") for (const x of Object.values(v)) walk(x);
  };
  walk(c.params);
  return ds;
}
const DTYPE_SET: Record<string, true> = {
  float32: true,
  float64: true,
  float16: true,
  bfloat16: true,
  int32: true,
  int64: true,
  uint8: true,
  bool: true,
};

export async function runCase(spec: OpSpec, c: SpecCase, b: StartedStatus, p: OpPromise): Promise<CaseResult> {
  const unsupported = caseDtypes(c).find((d) => b.unsupportedDtypes.includes(d));
  if (unsupported) {
    // A declared-unsupported dtype must be refused with DTypeError, not computed wrongly.
    const e = await dtypeRefusal(unsupported, b.device);
    if (e) return { status: "fail", maxUlp: Number.POSITIVE_INFINITY, bitwise: false, mismatch: e };
    return { status: "unsupported" };
  }
  // a backend that flushes subnormals is compared with the reference on flushed inputs, both results flushed
  const flush = b.flushesSubnormals.length ? b.flushesSubnormals : undefined;
  const ref = flushOutcome(await evaluate(spec, c, REFERENCE_DEVICE, flush && { flush }), flush);
  const got = flushOutcome(await evaluate(spec, c, b.device), flush);
  const mag = p.reorderedSum ? await evaluate(spec, c, REFERENCE_DEVICE, { abs: true, flush }) : undefined;
  const r = compareOutcomes(ref, got, p, mag);
  const m = r.mismatches[0];
  return m
    ? { status: "fail", maxUlp: r.maxUlp, bitwise: r.bitwise, mismatch: m }
    : { status: "ok", maxUlp: r.maxUlp, bitwise: r.bitwise };
}

/** null when creating a tensor of `dtype` on the device raises DTypeError, else the mismatch. */
export async function dtypeRefusal(dtype: DType, device: string): Promise<Mismatch | null> {
  try {
    const t = await torch.toAsync(torch.zeros([2], { dtype, device: REFERENCE_DEVICE }), device);
    t.dispose();
    return {
      what: "dtype",
      detail: `the backend declares ${dtype} unsupported but accepted it`,
      expected: "DTypeError",
      got: "a tensor",
    };
  } catch (e) {
    if (e instanceof torch.DTypeError) return null;
    return {
      what: "dtype",
      detail: `unsupported ${dtype} raised ${(e as Error).name}, expected DTypeError`,
      expected: "DTypeError",
      got: (e as Error).name,
    };
  }
}

// ---- a spec on a backend ----

export interface RunOptions {
  numRuns: number;
  seed: number;
}

/** JSON-safe form of a case (NaN, ±Infinity and −0 as strings). */
export function caseToJson(spec: OpSpec, c: SpecCase): Record<string, unknown> {
  return {
    op: spec.name,
    inputs: c.inputs.map((d) => ({ ...d, storage: d.storage.map(jsonNumber) })),
    params: c.params,
    ...(c.gradSeed !== undefined ? { gradSeed: c.gradSeed } : {}),
  };
}

export const knownIssue = (spec: OpSpec, backend: string): string | undefined => spec.known?.[backend] ?? spec.known?.["*"];

export async function runSpec(spec: OpSpec, b: StartedStatus, opts: RunOptions): Promise<OpStats> {
  const promise = promiseFor(spec.promises, b.name, torch.isPortableNumericsEnabled());
  const stats = new StatsBuilder(spec.kind ?? "spec", promise);
  stats.knownIssue = knownIssue(spec, b.name);
  const cases = fc.sample(spec.arb, { numRuns: opts.numRuns, seed: opts.seed });
  let failing = 0;
  let first: { c: SpecCase; r: Extract<CaseResult, { status: "fail" }> } | null = null;
  for (const c of cases) {
    const r = await runCase(spec, c, b, promise);
    if (r.status === "unsupported") {
      stats.unsupported++;
      continue;
    }
    stats.add(r.maxUlp, r.bitwise);
    if (r.status === "fail") {
      failing++;
      first ??= { c, r };
    }
  }
  if (first) stats.failures.push(await shrink(spec, b, promise, opts, first, failing, stats.cases));
  return stats.build();
}

/** fast-check replays the same seed and shrinks the first failing case to a minimal one. */
async function shrink(
  spec: OpSpec,
  b: StartedStatus,
  promise: OpPromise,
  opts: RunOptions,
  first: { c: SpecCase; r: Extract<CaseResult, { status: "fail" }> },
  failing: number,
  total: number,
): Promise<FailureRecord> {
  let best = first;
  const details = await fc.check(
    fc.asyncProperty(spec.arb, async (c) => {
      const r = await runCase(spec, c, b, promise);
      return r.status !== "fail";
    }),
    { numRuns: opts.numRuns, seed: opts.seed, maxSkipsPerRun: 0 },
  );
  const shrunk = details.counterexample?.[0] as SpecCase | undefined;
  if (shrunk) {
    const r = await runCase(spec, shrunk, b, promise);
    if (r.status === "fail") best = { c: shrunk, r };
  }
  const m = best.r.mismatch;
  return {
    reproducer: { ...caseToJson(spec, best.c), seed: opts.seed, shrunk: best !== first },
    expected: m.expected ?? null,
    got: m.got ?? null,
    detail: `${failing} of ${total} cases broke the promise; minimal: ${m.what}: ${m.detail}`,
  };
}
