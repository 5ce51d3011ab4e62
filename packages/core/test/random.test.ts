// Random generators and sampling against PyTorch 1.13.1's CPU streams (test-vectors/random, written
// by tools/golden/gen_random.py): every case replays a program of draws and state reads/writes on one
// generator and compares each result bit for bit. The only outputs allowed to differ are listed in
// NOT_EXACT with the reason and a bound; the summary test prints how many elements each covers.
import { readFileSync } from "node:fs";
import type { DType, Tensor, TypedArray } from "@lockstep/core";
import * as torch from "@lockstep/core";
import { afterAll, describe, expect, it } from "vitest";
import { decodeStorage, decodeTensor, type T } from "./golden/harness.js";

interface Step {
  fn: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  out: unknown;
  out_str?: string;
  args_str?: string[];
}
interface RCase {
  id: string;
  seed: number | null;
  seed_str?: string;
  gen: "local" | "global";
  steps: Step[];
}

const FILES = ["generators", "uniform", "normal", "integers", "distributions"] as const;
const load = (f: string): { torch_version: string; cases: RCase[] } =>
  JSON.parse(readFileSync(new URL(`../../../test-vectors/random/${f}.json`, import.meta.url), "utf8"));

const isT = (x: unknown): x is T => typeof x === "object" && x !== null && "storage" in x && "dtype" in x;
const dec = (x: unknown): unknown => (isT(x) ? decodeTensor(x) : x);

/**
 * Outputs that are not bit-exact, by case-id prefix: the largest allowed difference (in units of the
 * dtype's last place) and why. Everything else must be identical.
 */
const NOT_EXACT: { prefix: string; ulp: number; why: string }[] = [];

const allowed = (id: string): number => NOT_EXACT.find((n) => id.startsWith(n.prefix))?.ulp ?? 0;

// statistics for the summary
const stats = { cases: 0, steps: 0, elements: 0, inexactElements: new Map<string, number>() };

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);
const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
function ulp(dtype: DType, a: number, b: number): number {
  if (Number.isNaN(a) && Number.isNaN(b)) return 0;
  if (dtype === "float64") {
    f64[0] = a;
    const x = i64[0] as bigint;
    f64[0] = b;
    const y = i64[0] as bigint;
    const ox = x < 0n ? -(x & 0x7fffffffffffffffn) : x;
    const oy = y < 0n ? -(y & 0x7fffffffffffffffn) : y;
    return Number(ox > oy ? ox - oy : oy - ox);
  }
  f32[0] = a;
  const x = i32[0] as number;
  f32[0] = b;
  const y = i32[0] as number;
  const ox = x < 0 ? -(x & 0x7fffffff) : x;
  const oy = y < 0 ? -(y & 0x7fffffff) : y;
  return Math.abs(ox - oy);
}

/** Compare bits; returns [number of differing elements, worst ulp] (16-bit floats: raw pattern distance). */
function diff(got: Tensor, want: T): [number, number] {
  expect(got.dtype).toBe(want.dtype);
  expect([...got.shape]).toEqual(want.shape);
  const g = got.dataSync();
  const w = decodeStorage(want);
  stats.elements += w.length;
  let n = 0;
  let worst = 0;
  const raw = (a: TypedArray, i: number): number | bigint => a[i] as number | bigint;
  for (let i = 0; i < w.length; i++) {
    const a = raw(g, i);
    const b = raw(w, i);
    if (a === b || (typeof a === "number" && Number.isNaN(a) && Number.isNaN(b as number))) continue;
    if (Object.is(a, b)) continue;
    n++;
    const d =
      want.dtype === "float32" || want.dtype === "float64"
        ? ulp(want.dtype, a as number, b as number)
        : want.dtype === "float16" || want.dtype === "bfloat16"
          ? Math.abs((a as number) - (b as number))
          : Number.POSITIVE_INFINITY;
    worst = Math.max(worst, d);
  }
  return [n, worst];
}

function makeTarget(tg: { shape: number[]; dtype: DType; layout: string }): Tensor {
  const { shape, dtype, layout } = tg;
  if (layout === "contiguous") return torch.zeros(shape, { dtype });
  if (layout === "transposed") {
    const base = torch.zeros([...shape].reverse(), { dtype });
    return base.permute(shape.map((_, i) => shape.length - 1 - i));
  }
  if (layout === "step2") {
    const last = shape[shape.length - 1] as number;
    const base = torch.zeros([...shape.slice(0, -1), last * 2], { dtype });
    return base.slice(shape.length - 1, 0, null, 2);
  }
  throw new Error(`layout ${layout}`);
}

const METHOD: Record<string, string> = { log_normal_: "logNormal_" };

function runCase(c: RCase): { mismatches: string[] } {
  const mismatches: string[] = [];
  let gen: torch.Generator;
  const seed = c.seed_str !== undefined ? BigInt(c.seed_str) : null;
  if (c.gen === "local") {
    gen = new torch.Generator();
    if (seed !== null) gen.manualSeed(seed);
  } else {
    if (seed !== null) torch.manualSeed(seed);
    gen = torch.defaultGenerator;
  }
  const G = c.gen === "local" ? { generator: gen } : {};
  const tol = allowed(c.id);
  stats.cases++;
  c.steps.forEach((s, k) => {
    stats.steps++;
    const a = s.args.map(dec);
    const dtype = s.kwargs.dtype as DType | undefined;
    let got: unknown;
    switch (s.fn) {
      case "rand":
        got = torch.rand(a[0] as number[], { dtype, ...G });
        break;
      case "randn":
        got = torch.randn(a[0] as number[], { dtype, ...G });
        break;
      case "randint":
        got = torch.randint(a[0] as number, a[1] as number, a[2] as number[], { dtype, ...G });
        break;
      case "randperm":
        got = torch.randperm(a[0] as number, { dtype, ...G });
        break;
      case "normal":
        got =
          a.length === 3
            ? torch.normal(a[0] as number, a[1] as number, a[2] as number[], { dtype, ...G })
            : typeof a[0] === "number"
              ? torch.normal(a[0], a[1] as Tensor, G)
              : torch.normal(a[0] as Tensor, a[1] as Tensor | number, G);
        break;
      case "bernoulli":
        got = a.length === 2 ? torch.bernoulli(a[0] as Tensor, a[1] as number, G) : torch.bernoulli(a[0] as Tensor, G);
        break;
      case "multinomial":
        got = torch.multinomial(a[0] as Tensor, a[1] as number, a[2] as boolean, G);
        break;
      case "rand_like":
        got = torch.randLike(a[0] as Tensor);
        break;
      case "randn_like":
        got = torch.randnLike(a[0] as Tensor);
        break;
      case "randint_like":
        got =
          a.length === 3
            ? torch.randintLike(a[0] as Tensor, a[1] as number, a[2] as number)
            : torch.randintLike(a[0] as Tensor, a[1] as number);
        break;
      case "dropout":
        got = torch.dropout(a[0] as Tensor, a[1] as number, a[2] as boolean);
        break;
      case "inplace": {
        const t = makeTarget(s.args[0] as never);
        const name = METHOD[a[1] as string] ?? (a[1] as string);
        const margs = a
          .slice(2)
          .map((v) => (typeof v === "number" && Number.isInteger(v) && Math.abs(v) > 2 ** 53 ? BigInt(v) : v));
        (t as unknown as Record<string, (...x: unknown[]) => Tensor>)[name]!(...margs, G);
        got = t;
        break;
      }
      case "get_state":
        got = gen.getState();
        break;
      case "set_state":
        gen.setState(a[0] as Tensor);
        return;
      case "manual_seed":
        gen.manualSeed(BigInt((s.args_str as string[])[0] as string));
        return;
      case "initial_seed":
        expect(String(gen.initialSeed()), `${c.id} step ${k} initial_seed`).toBe(s.out_str);
        return;
      default:
        throw new Error(`unknown fn ${s.fn}`);
    }
    const [n, worst] = diff(got as Tensor, s.out as T);
    if (n > 0) {
      if (worst <= tol) stats.inexactElements.set(c.id, (stats.inexactElements.get(c.id) ?? 0) + n);
      else mismatches.push(`${c.id} step ${k} (${s.fn}): ${n} elements differ, worst ${worst} ulp (allowed ${tol})`);
    }
  });
  return { mismatches };
}

for (const f of FILES) {
  const file = load(f);
  describe(`random goldens: ${f} (${file.cases.length} cases, PyTorch ${file.torch_version})`, () => {
    for (const c of file.cases) {
      it(c.id, () => {
        const { mismatches } = runCase(c);
        if (mismatches.length > 0) throw new Error(mismatches.join("\n"));
      });
    }
  });
}

afterAll(() => {
  const inexact = [...stats.inexactElements.entries()];
  console.log(
    `random goldens: ${stats.cases} cases, ${stats.steps} steps, ${stats.elements} elements compared; ` +
      `not bit-exact (within the stated bound): ${inexact.reduce((s, [, n]) => s + n, 0)} elements` +
      (inexact.length ? ` in ${inexact.map(([id, n]) => `${id}: ${n}`).join(", ")}` : ""),
  );
});
