// Loads PyTorch golden vectors (test-vectors/ops, see tools/golden/README.md) and runs them on any device:
// the reference against PyTorch (bit for bit or within a stated bound), any backend against the reference.
import { readFileSync } from "node:fs";
import type { DType, Tensor, TypedArray } from "@lockstep/core";
import * as torch from "@lockstep/core";
import { REFERENCE_DEVICE } from "../backends.js";
import { diffArrays, elementValue, type InputTransform, isFloatDtype, jsonNumber, transformStorage, ulpAt } from "../compare.js";
import { BITWISE, type OpPromise, type Promises } from "../promise.js";

export interface T {
  dtype: DType;
  shape: number[];
  stride: number[];
  offset: number;
  storage: string;
}
export interface Case {
  id: string;
  op: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  out: unknown;
  grad_out: unknown;
  grads: (T | null)[];
}

export const isT = (x: unknown): x is T => typeof x === "object" && x !== null && "storage" in x && "dtype" in x;

const WIDTH: Record<DType, number> = { float32: 8, float64: 16, float16: 4, bfloat16: 4, int32: 8, int64: 16, uint8: 2, bool: 2 };

export function decodeStorage(t: T): TypedArray {
  const w = WIDTH[t.dtype];
  const n = t.storage.length / w;
  const hex = (i: number) => t.storage.slice(i * w, (i + 1) * w);
  switch (t.dtype) {
    case "float32": {
      const u = new Uint32Array(n);
      for (let i = 0; i < n; i++) u[i] = Number.parseInt(hex(i), 16);
      return new Float32Array(u.buffer);
    }
    case "float64": {
      const u = new BigUint64Array(n);
      for (let i = 0; i < n; i++) u[i] = BigInt(`0x${hex(i)}`);
      return new Float64Array(u.buffer);
    }
    case "int64": {
      const u = new BigUint64Array(n);
      for (let i = 0; i < n; i++) u[i] = BigInt(`0x${hex(i)}`);
      return new BigInt64Array(u.buffer);
    }
    case "int32": {
      const u = new Uint32Array(n);
      for (let i = 0; i < n; i++) u[i] = Number.parseInt(hex(i), 16);
      return new Int32Array(u.buffer);
    }
    case "float16":
    case "bfloat16": {
      const u = new Uint16Array(n);
      for (let i = 0; i < n; i++) u[i] = Number.parseInt(hex(i), 16);
      return u;
    }
    case "uint8":
    case "bool": {
      const u = new Uint8Array(n);
      for (let i = 0; i < n; i++) u[i] = Number.parseInt(hex(i), 16);
      return u;
    }
  }
}

/** A tensor with exactly PyTorch's layout (as_strided over the stored storage) on `device`, as a leaf. */
export async function decodeTensor(t: T, device: string, tr?: InputTransform): Promise<Tensor> {
  const host = torch.fromBuffer(transformStorage(t.dtype, decodeStorage(t), tr), { dtype: t.dtype });
  const base = isReferenceDevice(device) ? host.to(device) : await torch.toAsync(host, device);
  return torch.asStrided(base, t.shape, t.stride, t.offset).detach();
}

const isReferenceDevice = (d: string) => d === "cpu" || d === REFERENCE_DEVICE;

export async function decodeArg(a: unknown, device: string, tr?: InputTransform): Promise<unknown> {
  if (isT(a)) return decodeTensor(a, device, tr);
  if (Array.isArray(a)) return Promise.all(a.map((x) => decodeArg(x, device, tr)));
  if (a && typeof a === "object") {
    const o = a as Record<string, unknown>;
    if ("float" in o)
      return o.float === "nan" ? Number.NaN : o.float === "inf" ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    if ("slice" in o) {
      const [start, stop, step] = o.slice as (number | null)[];
      return { start, stop, step };
    }
    if ("none" in o) return null;
    if ("ellipsis" in o) return "...";
  }
  return a;
}

/** snake_case kwargs → lockstep's camelCase options. */
export const camel = async (kw: Record<string, unknown>, device: string): Promise<Record<string, unknown>> =>
  Object.fromEntries(
    await Promise.all(
      Object.entries(kw).map(async ([k, v]) => [
        k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()),
        await decodeArg(v, device),
      ]),
    ),
  );

// ---- op table ----

export interface OpEntry {
  /** Call lockstep with decoded args/kwargs (kwargs already camelCased). */
  run: (args: unknown[], kw: Record<string, unknown>) => unknown;
  /** Forward ULP bound (0 = bitwise) and the reason when not 0. */
  ulp?: number;
  /** Gradient ULP bound. */
  gradUlp?: number;
  /** Also accept |got - want| <= atol (forward and gradients). */
  atol?: number;
  /**
   * For results that are sums: also accept |got - want| <= sumTol · eps(dtype) · Σ|x| over the
   * case's floating inputs (and upstream gradient), the standard error bound of a reordered sum,
   * which ULP distance overstates under cancellation.
   */
  sumTol?: number;
  reason?: string;
  /** Cases whose documented platform difference is not worth emulating: id → reason (reported as skipped). */
  known?: Record<string, string>;
  /** What each backend promises against the reference on these cases (default: bitwise). */
  backends?: Promises;
}
export type OpTable = Record<string, OpEntry>;

/** Flatten a nested result into tensors in order. */
export function flatTensors(x: unknown): (Tensor | null)[] {
  if (x instanceof torch.Tensor) return [x];
  if (Array.isArray(x)) return x.flatMap(flatTensors);
  return [null];
}

/** Tensors among decoded args in depth-first order (the order goldens list grads in). */
export function argTensors(args: unknown[], kw: Record<string, unknown>): Tensor[] {
  const out: Tensor[] = [];
  const walk = (x: unknown) => {
    if (x instanceof torch.Tensor) out.push(x);
    else if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === "object" && !(x instanceof torch.Tensor)) for (const v of Object.values(x)) walk(v);
  };
  args.forEach(walk);
  Object.values(kw).forEach(walk);
  return out;
}

export function loadCases(file: string): { cases: Case[]; torch_version: string } {
  const url = new URL(`../../../../test-vectors/ops/${file}`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8"));
}

/** The golden files, in the order they are reported. */
export const GOLDEN_FILES = [
  "creation.json",
  "elementwise_unary.json",
  "elementwise_binary.json",
  "reductions.json",
  "views.json",
  "linalg.json",
  "indexing.json",
  "sort.json",
  "conv_pool.json",
];

// ---- evaluation on a device ----

/** A result read back to the host. */
export interface Readback {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

/** One golden case evaluated on one device: results and gradients read back. */
export interface Evaluated {
  /** The result when the op returns a plain value instead of tensors. */
  scalar?: unknown;
  outs: (Readback | null)[];
  /** Per golden gradient slot (null where the golden has none); null when the case checks no gradient. */
  grads: (Readback | null)[] | null;
  /** Set when no output requires grad although the golden has gradients. */
  gradError?: string;
  /** Σ|x| over the finite elements of the floating (float32/float64) inputs, and of the upstream gradients. */
  inputAbs: number;
  gradOutAbs: number;
}

async function readback(t: Tensor): Promise<Readback> {
  // slice(): a backend's read may hand out a view of memory it reuses
  return { dtype: t.dtype, shape: [...t.shape], data: (await t.data()).slice() };
}

async function absSum(ts: Tensor[]): Promise<number> {
  let total = 0;
  for (const t of ts)
    if (t.dtype === "float32" || t.dtype === "float64")
      for (const v of (await t.detach().data()) as Float32Array) if (Number.isFinite(v)) total += Math.abs(v);
  return total;
}

/** Run a golden case on `device` (inputs placed there with PyTorch's exact layouts; backward there too). */
export async function evaluateCase(c: Case, entry: OpEntry, device: string, tr?: InputTransform): Promise<Evaluated> {
  const args = (await decodeArg(c.args, device, tr)) as unknown[];
  const kw = await camel(c.kwargs, device);
  const inputs = argTensors(args, kw);
  const wantGrads = c.grads ?? [];
  inputs.forEach((t, i) => {
    if (wantGrads[i]) t.requiresGrad_(true);
  });
  const inputAbs = await absSum(inputs);
  const res = entry.run(args, kw);
  if (!isT(c.out) && !Array.isArray(c.out))
    return { scalar: res instanceof torch.Tensor ? await res.item() : res, outs: [], grads: null, inputAbs, gradOutAbs: 0 };
  const outs = flatTensors(res);
  const outRb = await Promise.all(outs.map((o) => (o ? readback(o) : null)));
  const base = { outs: outRb, inputAbs, gradOutAbs: 0 };
  if (!c.grad_out || wantGrads.every((g) => !g)) return { ...base, grads: null };
  const gradOuts = (Array.isArray(c.grad_out) ? c.grad_out : [c.grad_out]) as (T | null)[];
  const roots: Tensor[] = [];
  const rootGrads: Tensor[] = [];
  for (const [i, go] of gradOuts.entries()) {
    const o = outs[i];
    if (go && o?.requiresGrad) {
      roots.push(o);
      rootGrads.push(await decodeTensor(go, device, tr));
    }
  }
  if (roots.length === 0) return { ...base, grads: null, gradError: "no output requires grad" };
  const need = inputs.filter((_, i) => wantGrads[i]);
  const g = torch.autograd.grad(roots, need, { gradOutputs: rootGrads, allowUnused: true });
  let k = 0;
  const grads: (Readback | null)[] = [];
  for (const w of wantGrads) {
    if (!w) {
      grads.push(null);
      continue;
    }
    const gi = g[k++];
    grads.push(gi ? await readback(gi) : null);
  }
  return { ...base, grads, gradOutAbs: await absSum(rootGrads) };
}

export interface Mismatch {
  what: string;
  detail: string;
  /** The first offending element: the expected (reference or golden) and the obtained value. */
  expected?: number | string;
  got?: number | string;
}

const epsOf = (dtype: DType): number =>
  dtype === "float64" ? 2 ** -53 : dtype === "float32" ? 2 ** -24 : dtype === "bfloat16" ? 2 ** -8 : 2 ** -11;
const show = (v: number) => (Object.is(v, -0) ? "-0" : String(v));

/** Compare a readback with a golden T: ulp = 0 means bitwise (NaN payloads aside), absTol also accepts |got − want| ≤ absTol. */
export function compareToGolden(what: string, got: Readback, want: T, ulp: number, absTol = 0): Mismatch | null {
  if (got.dtype !== want.dtype) return { what, detail: `dtype ${got.dtype}, expected ${want.dtype}` };
  if (got.shape.length !== want.shape.length || got.shape.some((d, i) => d !== want.shape[i]))
    return { what, detail: `shape [${got.shape}], expected [${want.shape}]` };
  const w = decodeStorage(want);
  if (!isFloatDtype(want.dtype)) {
    for (let i = 0; i < w.length; i++)
      if (got.data[i] !== w[i]) return { what, detail: `element ${i}: ${got.data[i]}, expected ${w[i]}` };
    return null;
  }
  let worst = 0;
  let at = -1;
  for (let i = 0; i < w.length; i++) {
    let d = diffArrays(want.dtype, got.data.subarray(i, i + 1) as TypedArray, w.subarray(i, i + 1) as TypedArray).maxUlp;
    if (d > ulp && Math.abs(elementValue(want.dtype, got.data, i) - elementValue(want.dtype, w, i)) <= absTol) d = 0;
    if (d > worst) {
      worst = d;
      at = i;
    }
  }
  if (worst <= ulp) return null;
  const a = elementValue(want.dtype, got.data, at);
  const b = elementValue(want.dtype, w, at);
  return { what, detail: `element ${at}: ${show(a)}, expected ${show(b)} (${worst} ulp > ${ulp} allowed)` };
}

/** Compare a reference evaluation with the PyTorch golden, with the entry's stated bounds. */
export function compareWithGolden(c: Case, entry: OpEntry, ev: Evaluated): Mismatch[] {
  const absTolFor = (dtype: DType): number => (entry.sumTol ? entry.sumTol * epsOf(dtype) * ev.inputAbs : (entry.atol ?? 0));
  const gradOutTol = (dtype: DType): number =>
    entry.sumTol ? entry.sumTol * (dtype === "float64" ? 2 ** -53 : 2 ** -24) * ev.gradOutAbs : (entry.atol ?? 0);
  if (!isT(c.out) && !Array.isArray(c.out))
    return ev.scalar === c.out ? [] : [{ what: "out", detail: `${String(ev.scalar)}, expected ${String(c.out)}` }];
  const out: Mismatch[] = [];
  const wantOuts = Array.isArray(c.out) ? (c.out as unknown[]) : [c.out];
  if (ev.outs.length !== wantOuts.length)
    return [{ what: "out", detail: `${ev.outs.length} outputs, expected ${wantOuts.length}` }];
  wantOuts.forEach((w, i) => {
    const g = ev.outs[i];
    if (isT(w) && g) {
      const m = compareToGolden(`out[${i}]`, g, w, entry.ulp ?? 0, absTolFor(w.dtype));
      if (m) out.push(m);
    }
  });
  if (ev.gradError) out.push({ what: "grad", detail: ev.gradError });
  if (!ev.grads) return out;
  ev.grads.forEach((g, i) => {
    const w = c.grads[i];
    if (!w) return;
    if (!g) {
      out.push({ what: `grad[${i}]`, detail: "no gradient" });
      return;
    }
    const m = compareToGolden(`grad[${i}]`, g, w, entry.gradUlp ?? entry.ulp ?? 0, absTolFor(w.dtype) + gradOutTol(w.dtype));
    if (m) out.push(m);
  });
  return out;
}

/** The outcome of one case on a backend against the reference. */
export interface CrossResult {
  mismatches: Mismatch[];
  /** Largest ULP distance over outputs and gradients (Infinity for NaN vs number or integer differences). */
  maxUlp: number;
  /** Every output and gradient bitwise equal (NaN payloads aside). */
  bitwise: boolean;
}

/** Compare two readbacks with a bound; accumulates into `r`. */
export function compareReadbacks(
  what: string,
  ref: Readback | null,
  got: Readback | null,
  bound: number,
  r: CrossResult,
  /** For reordered sums: per-element magnitudes (the op on |inputs|) and the factor k of k·eps·magnitude. */
  sum?: { mag: Readback | null; k: number },
  /** Also accept |got − ref| ≤ atol + rtol·|ref| (torch.testing.assert_close's rule). */
  close?: { atol: number; rtol: number },
): void {
  if (!ref || !got) {
    if (ref !== got) {
      r.mismatches.push({ what, detail: got ? "unexpected result" : "missing result" });
      r.bitwise = false;
      r.maxUlp = Number.POSITIVE_INFINITY;
    }
    return;
  }
  if (ref.dtype !== got.dtype || ref.shape.join() !== got.shape.join()) {
    r.mismatches.push({ what, detail: `${got.dtype}[${got.shape}], expected ${ref.dtype}[${ref.shape}]` });
    r.bitwise = false;
    r.maxUlp = Number.POSITIVE_INFINITY;
    return;
  }
  const d = diffArrays(ref.dtype, ref.data, got.data);
  if (d.differing) r.bitwise = false;
  r.maxUlp = Math.max(r.maxUlp, d.maxUlp);
  if (d.maxUlp <= bound) return;
  // the worst element beyond the promise (elements within the reordered-sum bound are accepted)
  const mag = sum?.mag && sum.mag.data.length === ref.data.length ? sum.mag : null;
  const tolAt = (i: number) => (mag && sum ? sum.k * epsOf(ref.dtype) * Math.abs(elementValue(ref.dtype, mag.data, i)) : 0);
  let worst = -1;
  let worstUlp = 0;
  let violations = 0;
  for (let i = 0; i < ref.data.length; i++) {
    const u = ulpAt(ref.dtype, ref.data, got.data, i);
    if (u <= bound) continue;
    // a magnitude that overflowed leaves the bound vacuous (Inf vs NaN is then a matter of order); a NaN one does not
    if (mag && tolAt(i) === Number.POSITIVE_INFINITY) continue;
    const delta = Math.abs(elementValue(ref.dtype, got.data, i) - elementValue(ref.dtype, ref.data, i));
    if (mag && delta <= tolAt(i)) continue;
    if (close && delta <= close.atol + close.rtol * Math.abs(elementValue(ref.dtype, ref.data, i))) continue;
    violations++;
    if (u > worstUlp) {
      worstUlp = u;
      worst = i;
    }
  }
  if (worst < 0) return;
  const gv = elementValue(ref.dtype, got.data, worst);
  const rv = elementValue(ref.dtype, ref.data, worst);
  const sumText =
    (mag ? ` and |Δ| = ${Math.abs(gv - rv)} > ${sum?.k}·eps·${Math.abs(elementValue(ref.dtype, mag.data, worst))}` : "") +
    (close ? ` and |Δ| > ${close.atol} + ${close.rtol}·|ref|` : "");
  r.mismatches.push({
    what,
    expected: jsonNumber(rv),
    got: jsonNumber(gv),
    detail: `element ${worst}: ${show(gv)}, reference ${show(rv)} (${worstUlp} ulp > ${bound} promised${sumText}; ${violations} of ${ref.data.length} elements break it)`,
  });
}

/** A backend's evaluation against the reference's, with the backend's promise. */
export function compareEvaluated(ref: Evaluated, got: Evaluated, promise: OpPromise = BITWISE, mag?: Evaluated): CrossResult {
  const r: CrossResult = { mismatches: [], maxUlp: 0, bitwise: true };
  if (ref.scalar !== undefined || got.scalar !== undefined) {
    if (!Object.is(ref.scalar, got.scalar))
      r.mismatches.push({ what: "out", detail: `${String(got.scalar)}, reference ${String(ref.scalar)}` });
    return r;
  }
  if (ref.outs.length !== got.outs.length)
    return {
      mismatches: [{ what: "out", detail: `${got.outs.length} outputs, reference ${ref.outs.length}` }],
      maxUlp: Infinity,
      bitwise: false,
    };
  const sum = (x: Readback | null | undefined) =>
    promise.reorderedSum && mag ? { mag: x ?? null, k: promise.reorderedSum } : undefined;
  const close =
    promise.atol !== undefined || promise.rtol !== undefined ? { atol: promise.atol ?? 0, rtol: promise.rtol ?? 0 } : undefined;
  ref.outs.forEach((o, i) => compareReadbacks(`out[${i}]`, o, got.outs[i] ?? null, promise.ulp, r, sum(mag?.outs[i]), close));
  if (got.gradError && !ref.gradError) r.mismatches.push({ what: "grad", detail: got.gradError });
  (ref.grads ?? []).forEach((g, i) =>
    compareReadbacks(`grad[${i}]`, g, got.grads?.[i] ?? null, promise.gradUlp ?? promise.ulp, r, sum(mag?.grads?.[i]), close),
  );
  return r;
}
