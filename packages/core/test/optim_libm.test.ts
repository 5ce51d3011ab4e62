// The glibc ports that make Python-float arithmetic in optimizers and schedulers bit-exact:
// pow, cos, log against Debian's libm (test-vectors/optim/libm.json), and the exact double fma.

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cos, fma64, log, pow, pyLog, pyPow } from "../src/optim/libm.js";

const golden = JSON.parse(readFileSync(new URL("../../../test-vectors/optim/libm.json", import.meta.url), "utf8")) as {
  torch_version: string;
  fma: string;
  pow: string;
  cos: string;
  log: string;
};

function doubles(hex: string): Float64Array {
  const n = hex.length / 16;
  const out = new Float64Array(n);
  const u = new BigUint64Array(out.buffer);
  for (let i = 0; i < n; i++) u[i] = BigInt(`0x${hex.slice(16 * i, 16 * i + 16)}`);
  return out;
}

function mismatches(values: Float64Array, arity: number, f: (...a: number[]) => number): string[] {
  const bad: string[] = [];
  for (let i = 0; i < values.length; i += arity + 1) {
    const args = Array.from(values.subarray(i, i + arity));
    const want = values[i + arity] as number;
    const got = f(...args);
    if (!Object.is(got, want)) bad.push(`f(${args.join(", ")}) = ${got}, expected ${want}`);
  }
  return bad;
}

describe("glibc 2.36 libm ports equal Debian's libm bit for bit", () => {
  it("pow (Python's float **): bias corrections beta**step and random arguments", () => {
    const v = doubles(golden.pow);
    expect(v.length / 3).toBeGreaterThan(2000);
    expect(mismatches(v, 2, pow)).toEqual([]);
    expect(mismatches(v, 2, pyPow)).toEqual([]);
  });
  it("cos (math.cos): schedule arguments pi*t/T and random arguments", () => {
    const v = doubles(golden.cos);
    expect(mismatches(v, 1, cos)).toEqual([]);
  });
  it("log (math.log)", () => {
    const v = doubles(golden.log);
    expect(mismatches(v, 1, log)).toEqual([]);
  });
  it("fma (the exact double fused multiply-add they are built on), incl. subnormals, overflow, inf, nan", () => {
    const v = doubles(golden.fma);
    const bad = mismatches(v, 3, fma64).filter((m) => !/NaN, expected NaN$/.test(m));
    expect(bad).toEqual([]);
  });
  it("V8's Math functions do differ on these arguments (why the ports exist)", () => {
    const p = doubles(golden.pow);
    let differ = 0;
    for (let i = 0; i < p.length; i += 3) if ((p[i] as number) ** (p[i + 1] as number) !== p[i + 2]) differ++;
    const c = doubles(golden.cos);
    for (let i = 0; i < c.length; i += 2) if (Math.cos(c[i] as number) !== c[i + 1]) differ++;
    expect(differ).toBeGreaterThan(0);
  });
});

describe("Python float semantics", () => {
  it("pyPow special cases", () => {
    expect(pyPow(0.5, 0)).toBe(1);
    expect(pyPow(Number.NaN, 0)).toBe(1);
    expect(pyPow(1, Number.NaN)).toBe(1);
    expect(pyPow(-2, 3)).toBe(-8);
    expect(pyPow(-2, 2)).toBe(4);
    expect(pyPow(2, -1)).toBe(0.5);
    expect(pyPow(0.5, Number.POSITIVE_INFINITY)).toBe(0);
    expect(() => pyPow(0, -1)).toThrow(/ZeroDivisionError/);
    expect(() => pyPow(-2, 0.5)).toThrow(/complex/);
    expect(() => pyPow(10, 400)).toThrow(/OverflowError/);
  });
  it("pyLog with a base divides two glibc logs", () => {
    expect(pyLog(8, 2)).toBe(log(8) / log(2));
    expect(() => pyLog(0)).toThrow(/math domain error/);
    expect(() => pyLog(-1)).toThrow(/math domain error/);
  });
});

/** a*b + c rounded once (round to nearest even), by exact BigInt arithmetic. */
function exactFma(a: number, b: number, c: number): number {
  const dec = (x: number): [bigint, number] => {
    if (x === 0) return [0n, 0];
    let e = 0;
    let m = x;
    while (!Number.isInteger(m)) {
      m *= 2;
      e--;
    }
    while (Math.abs(m) > 2 ** 53) {
      m /= 2;
      e++;
    }
    return [BigInt(m), e];
  };
  const [ma, ea] = dec(a);
  const [mb, eb] = dec(b);
  const [mc, ec] = dec(c);
  const ep = ea + eb;
  const e = Math.min(ep, ec);
  const sum = ma * mb * 2n ** BigInt(ep - e) + mc * 2n ** BigInt(ec - e);
  if (sum === 0n) return a * b + c;
  const neg = sum < 0n;
  let m = neg ? -sum : sum;
  let ee = e;
  const len = m.toString(2).length;
  if (len > 53) {
    const shift = BigInt(len - 53);
    const rem = m & ((1n << shift) - 1n);
    const half = 1n << (shift - 1n);
    m >>= shift;
    ee += Number(shift);
    if (rem > half || (rem === half && (m & 1n) === 1n)) m += 1n;
  }
  const v = Number(m) * 2 ** ee;
  return neg ? -v : v;
}

describe("fma64", () => {
  it("is exactly rounded (moderate exponents, incl. cancellation and halfway cases)", () => {
    // (results stay normal: the BigInt reference above does not round into the subnormal range)
    const d = fc
      .double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true })
      .filter((x) => x === 0 || Math.abs(x) > 1e-100);
    fc.assert(
      fc.property(d, d, d, (a, b, c) => Object.is(fma64(a, b, c), exactFma(a, b, c))),
      { numRuns: 20000 },
    );
    fc.assert(
      fc.property(d, d, fc.double({ min: -1, max: 1, noNaN: true }), (a, b, r) => {
        const c = -(a * b) * (1 + r * 2 ** -40); // heavy cancellation
        return Object.is(fma64(a, b, c), exactFma(a, b, c));
      }),
      { numRuns: 20000 },
    );
  });
  it("handles the double-rounding tie a naive a*b+c in float64 gets wrong", () => {
    // (1 + 2^-52)(1 - 2^-53) = 1 + 2^-53 - 2^-105: fma(.., .., -1) keeps the tail
    expect(fma64(1 + 2 ** -52, 1 - 2 ** -53, -1)).toBe(2 ** -53 - 2 ** -105);
    expect(fma64(1e308, 10, -Number.POSITIVE_INFINITY)).toBe(Number.NEGATIVE_INFINITY);
    expect(fma64(2 ** 600, 2 ** 500, -(2 ** 1023))).toBe(Number.POSITIVE_INFINITY); // 2^1100 - 2^1023 overflows
    expect(fma64(2 ** 600, 2 ** 423, -(2 ** 1023))).toBe(0);
    expect(fma64(2 ** 600, 2 ** 424, -(2 ** 1023))).toBe(2 ** 1023); // a*b overflows as a double, the fused sum does not
  });
});
