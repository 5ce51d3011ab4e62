// lockstep's correctly rounded libm (src/math/libm.ts) against glibc 2.36 and against exact values
// (test-vectors/math/libm.json, written by tools/golden/gen_libm.py with mpmath at 400+ bits).

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { accurate, cos, exp, expm1, fma, log, log1p, pow, sin, tan } from "../src/math/libm.js";

type Family = {
  fn: string;
  family: string;
  seed?: number;
  n?: number;
  sha256?: string;
  mismatches?: [number, string, string][];
  args?: string[][];
  glibc?: string[];
  exact?: string[];
};
const vectors = JSON.parse(readFileSync(new URL("../../../test-vectors/math/libm.json", import.meta.url), "utf8")) as {
  libm: string;
  families: Family[];
};

const F = new Float64Array(1);
const U = new BigUint64Array(F.buffer);
const U32 = new Uint32Array(F.buffer);
const fromHex = (h: string): number => {
  U[0] = BigInt(`0x${h}`);
  return F[0] as number;
};
const toHex = (x: number): string => {
  if (x !== x) return "7ff8000000000000";
  F[0] = x;
  return (U[0] as bigint).toString(16).padStart(16, "0");
};

const FNS: Record<string, (...a: number[]) => number> = { pow, exp, expm1, log, log1p, sin, cos, tan, fma };

/** mulberry32 and the argument families of gen_libm.py (identical IEEE double arithmetic). */
class Mulberry32 {
  constructor(private a: number) {}
  next(): number {
    this.a = (this.a + 0x6d2b79f5) | 0;
    let t = Math.imul(this.a ^ (this.a >>> 15), 1 | this.a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  }
  u53(): number {
    const a = this.next() >>> 5;
    const b = this.next() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }
  bits(): number {
    U32[1] = this.next();
    U32[0] = this.next();
    return F[0] as number;
  }
}

/** x · 2^k by exact doublings (no library pow in the argument generator). */
function scale2(x: number, k: number): number {
  for (; k > 0; k--) x *= 2;
  for (; k < 0; k++) x *= 0.5;
  return x;
}

const BETAS = [0.9, 0.99, 0.999, 0.9999];
function generator(family: string, n: number): (r: Mulberry32, i: number) => number[] {
  switch (family) {
    case "beta**step": {
      const per = n / BETAS.length;
      return (_r, i) => [BETAS[Math.floor(i / per)] as number, (i % per) + 1];
    }
    case "u**(60(v-0.5))":
      return (r) => [r.u53(), (r.u53() - 0.5) * 60];
    case "(0.5+u)*2**k**(4(v-0.5))":
      return (r) => [scale2(0.5 + r.u53(), (r.next() % 201) - 100), (r.u53() - 0.5) * 4];
    case "int**int":
      return (_r, i) => [Math.floor(i / 121) - 50, (i % 121) - 60];
    case "pi*k/T": {
      const pairs: [number, number][] = [];
      for (let T = 1; pairs.length < n; T++) for (let k = 0; k <= T; k++) pairs.push([k, T]);
      return (_r, i) => {
        const [k, T] = pairs[i >> 1] as [number, number];
        return [i % 2 === 0 ? (Math.PI * k) / T : Math.PI * (k / T)];
      };
    }
    case "2pi*u":
      return (r) => [2 * Math.PI * r.u53()];
    case "2e6(u-0.5)":
      return (r) => [(r.u53() - 0.5) * 2e6];
    case "bits":
      return (r, _i) => [r.bits()];
    case "pi(u-0.5)":
      return (r) => [Math.PI * (r.u53() - 0.5)];
    case "u":
      return (r) => [r.u53()];
    case "1-u":
      return (r) => [1 - r.u53()];
    case "-u":
      return (r) => [-r.u53()];
    case "1400(u-0.5)":
      return (r) => [(r.u53() - 0.5) * 1400];
    case "20(u-0.5)":
      return (r) => [(r.u53() - 0.5) * 20];
    case "2(u-0.5)":
      return (r) => [(r.u53() - 0.5) * 2];
    case "cancel":
      return (r) => {
        const a = (r.u53() - 0.5) * 4;
        const b = (r.u53() - 0.5) * 4;
        return [a, b, -(a * b) * (1 + (r.u53() - 0.5) * 2 ** -40)];
      };
    default:
      throw new Error(`unknown family ${family}`);
  }
}
/** Runs one family: every result equals glibc's, except where glibc is not correctly rounded. */
function runFamily(f: Family): { n: number; glibcWrong: number; bad: string[] } {
  const n = f.n as number;
  const gen = generator(f.family, n);
  const fn = FNS[f.fn] as (...a: number[]) => number;
  const r = new Mulberry32(f.seed as number);
  const mism = new Map((f.mismatches ?? []).map(([i, g, e]) => [i, [g, e]] as const));
  const out = new Float64Array(n);
  const bad: string[] = [];
  for (let i = 0; i < n; i++) {
    let args = gen(r, i);
    if (f.fn === "fma" && f.family === "bits") args = [args[0] as number, r.bits(), r.bits()];
    const got = fn(...args);
    const m = mism.get(i);
    if (m !== undefined) {
      if (toHex(got) !== m[1]) bad.push(`${f.fn}(${args.map(toHex)}) = ${toHex(got)}, exact ${m[1]}`);
      out[i] = fromHex(m[0]); // glibc's value back, for the hash
    } else out[i] = got !== got ? fromHex("7ff8000000000000") : got;
  }
  const digest = createHash("sha256").update(new Uint8Array(out.buffer)).digest("hex");
  if (digest !== f.sha256) bad.push(`${f.fn} ${f.family}: results differ from glibc outside the listed indices`);
  return { n, glibcWrong: mism.size, bad };
}

describe("correctly rounded libm vs glibc 2.36 and exact values", () => {
  for (const f of vectors.families.filter((v) => v.family !== "edge")) {
    it(`${f.fn} on ${f.family} (${f.n} arguments; glibc not correctly rounded on ${f.mismatches?.length})`, () => {
      const { bad } = runFamily(f);
      expect(bad).toEqual([]);
    });
  }
  it("glibc's pow, exp, log, sin, cos, tan are correctly rounded on all but a fraction of a percent of these arguments", () => {
    for (const f of vectors.families.filter((v) => v.family !== "edge")) {
      const rate = (f.mismatches?.length as number) / (f.n as number);
      const limit = f.fn === "log1p" || f.fn === "expm1" ? 0.1 : 0.004; // fdlibm-derived log1p/expm1
      expect(rate, `${f.fn} ${f.family}`).toBeLessThan(limit);
    }
  });
  it("special and edge arguments (C99 special cases, exact and halfway powers, extreme reductions)", () => {
    const bad: string[] = [];
    for (const f of vectors.families.filter((v) => v.family === "edge")) {
      const fn = FNS[f.fn] as (...a: number[]) => number;
      (f.args as string[][]).forEach((a, i) => {
        const got = toHex(fn(...a.map(fromHex)));
        if (got !== (f.exact as string[])[i]) bad.push(`${f.fn}(${a}) = ${got}, exact ${(f.exact as string[])[i]}`);
      });
    }
    expect(bad).toEqual([]);
  });
});

describe("special values", () => {
  it("pow follows C99 F.9.4.4", () => {
    const inf = Number.POSITIVE_INFINITY;
    expect(pow(Number.NaN, 0)).toBe(1);
    expect(pow(1, Number.NaN)).toBe(1);
    expect(pow(-1, inf)).toBe(1);
    expect(pow(-1, -inf)).toBe(1);
    expect(pow(0.5, inf)).toBe(0);
    expect(pow(0.5, -inf)).toBe(inf);
    expect(pow(2, -inf)).toBe(0);
    expect(Object.is(pow(-0, 3), -0)).toBe(true);
    expect(Object.is(pow(-0, 2), 0)).toBe(true);
    expect(pow(-0, -3)).toBe(-inf);
    expect(pow(-0, -2)).toBe(inf);
    expect(pow(0, -0.5)).toBe(inf);
    expect(Object.is(pow(-inf, -3), -0)).toBe(true);
    expect(pow(-inf, 3)).toBe(-inf);
    expect(pow(-inf, 2)).toBe(inf);
    expect(pow(inf, -1)).toBe(0);
    expect(pow(-8, 1 / 3)).toBeNaN();
    expect(pow(-2, 3)).toBe(-8);
    expect(pow(-2, -1)).toBe(-0.5);
    expect(pow(2, 1024)).toBe(inf);
    expect(pow(2, -1075)).toBe(0); // exactly halfway to the smallest subnormal: ties to even
    expect(pow(2, -1074)).toBe(5e-324);
    expect(pow(0.5, 1074.5)).toBe(5e-324); // 2^-1074.5 is above the halfway point 2^-1075
    expect(pow(3, 34)).toBe(16677181699666568); // 3^34 = 16677181699666569 is halfway: ties to even
    expect(pow(9, 1.5)).toBe(27);
    expect(pow(2 ** 1000, 0.001)).toBe(2);
  });
  it("exp, expm1, log, log1p at the ends of their ranges", () => {
    expect(exp(709.782712893384)).toBe(1.7976931348622732e308);
    expect(exp(709.7827128933841)).toBe(Number.POSITIVE_INFINITY);
    expect(exp(-745.1332191019411)).toBe(5e-324);
    expect(exp(-745.1332191019412)).toBe(0);
    expect(exp(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(exp(-1e-300)).toBe(1);
    expect(expm1(Number.NEGATIVE_INFINITY)).toBe(-1);
    expect(Object.is(expm1(-0), -0)).toBe(true);
    expect(expm1(1e-300)).toBe(1e-300);
    expect(log(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(log(-1)).toBeNaN();
    expect(log(5e-324)).toBe(-744.4400719213812);
    expect(Object.is(log(1), 0)).toBe(true);
    expect(log1p(-1)).toBe(Number.NEGATIVE_INFINITY);
    expect(Object.is(log1p(-0), -0)).toBe(true);
    expect(log1p(5e-324)).toBe(5e-324);
    expect(log1p(-2)).toBeNaN();
  });
  it("sin, cos, tan", () => {
    expect(Object.is(sin(-0), -0)).toBe(true);
    expect(Object.is(tan(-0), -0)).toBe(true);
    expect(cos(-0)).toBe(1);
    expect(sin(Number.POSITIVE_INFINITY)).toBeNaN();
    expect(cos(Number.NEGATIVE_INFINITY)).toBeNaN();
    expect(tan(Number.NaN)).toBeNaN();
    expect(sin(Math.PI)).toBe(1.2246467991473532e-16);
    expect(cos(Math.PI / 2)).toBe(6.123233995736766e-17);
    expect(tan(Math.PI / 2)).toBe(16331239353195370);
    expect(sin(1e22)).toBe(-0.8522008497671888); // the classic argument-reduction test
  });
});

describe("fast paths agree with the BigInt (Ziv) evaluations", () => {
  const finite = (lo: number, hi: number) => fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true });
  const same = (a: number, b: number) => Object.is(a, b);
  it("log, log1p, exp, expm1", () => {
    fc.assert(
      fc.property(finite(1e-300, 1e300), (x) => same(log(x), accurate.log(x))),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(finite(-0.999, 1e10), (x) => x === 0 || Math.abs(x) < 2 ** -54 || same(log1p(x), accurate.log1p(x))),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(finite(-745, 709), (x) => Math.abs(x) < 2 ** -54 || same(exp(x), accurate.exp(x))),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(finite(-38, 709), (x) => Math.abs(x) < 2 ** -54 || same(expm1(x), accurate.expm1(x))),
      { numRuns: 3000 },
    );
  });
  it("pow, sin, cos, tan", () => {
    fc.assert(
      fc.property(finite(1e-5, 1e5), finite(-50, 50), (x, y) => x === 1 || y === 0 || same(pow(x, y), accurate.pow(x, y))),
      { numRuns: 3000 },
    );
    for (const [f, g] of [
      [sin, accurate.sin],
      [cos, accurate.cos],
      [tan, accurate.tan],
    ] as const) {
      fc.assert(
        fc.property(finite(-1e300, 1e300), (x) => Math.abs(x) < 2 ** -26 || same(f(x), g(x))),
        { numRuns: 2000 },
      );
    }
  });
});

describe("fma", () => {
  const d = fc.double({ noNaN: true, noDefaultInfinity: true });
  it("equals the exact BigInt fused result on arbitrary doubles and on heavy cancellation", () => {
    fc.assert(
      fc.property(d, d, d, (a, b, c) => Object.is(fma(a, b, c), accurate.fma(a, b, c)) || (a * b === 0 && c === 0)),
      { numRuns: 20000 },
    );
    const m = fc.double({ min: -1e6, max: 1e6, noNaN: true });
    fc.assert(
      fc.property(m, m, fc.double({ min: -1, max: 1, noNaN: true }), (a, b, t) => {
        const c = -(a * b) * (1 + t * 2 ** -40);
        return a * b === 0 || Object.is(fma(a, b, c), accurate.fma(a, b, c));
      }),
      { numRuns: 20000 },
    );
  });
  it("halfway cases and signed zeros", () => {
    expect(fma(1 + 2 ** -52, 1 - 2 ** -53, -1)).toBe(2 ** -53 - 2 ** -105);
    expect(fma(1 + 2 ** -52, 1 + 2 ** -52, 0)).toBe(1 + 2 ** -51);
    expect(Object.is(fma(1, 1, -1), 0)).toBe(true);
    expect(Object.is(fma(-0, 1, -0), -0)).toBe(true);
    expect(Object.is(fma(-0, 1, 0), 0)).toBe(true);
    expect(fma(0, Number.POSITIVE_INFINITY, 1)).toBeNaN();
    expect(fma(1e308, 10, Number.NEGATIVE_INFINITY)).toBe(Number.NEGATIVE_INFINITY);
    expect(fma(2 ** 600, 2 ** 424, -(2 ** 1023))).toBe(2 ** 1023);
    expect(fma(2 ** -600, 2 ** -500, 5e-324)).toBe(5e-324);
  });
});
