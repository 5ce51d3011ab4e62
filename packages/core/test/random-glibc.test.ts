// The glibc ports (src/random/glibc_math.ts) and the exact fma against glibc 2.36's libm
// (test-vectors/random/libm.json, written by tools/golden/gen_random.py --only libm on an FMA CPU).
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cos, exp, fma, log, logf, sin, sincos, sincosfTo, tan } from "../src/random/glibc_math.js";

interface LibmCase {
  id: string;
  fn: string;
  glibc: string;
  variant: string;
  x: string;
  y?: string;
  sin?: string;
  cos?: string;
  sin_alone?: string;
  cos_alone?: string;
}
const file: { cases: LibmCase[] } = JSON.parse(
  readFileSync(new URL("../../../test-vectors/random/libm.json", import.meta.url), "utf8"),
);

function floats(hex: string): Float32Array {
  const n = hex.length / 8;
  const u = new Uint32Array(n);
  for (let i = 0; i < n; i++) u[i] = Number.parseInt(hex.slice(8 * i, 8 * i + 8), 16);
  return new Float32Array(u.buffer);
}

const SCF = new Float64Array(2);

function doubles(hex: string): Float64Array {
  const n = hex.length / 16;
  const u = new BigUint64Array(n);
  for (let i = 0; i < n; i++) u[i] = BigInt(`0x${hex.slice(16 * i, 16 * i + 16)}`);
  return new Float64Array(u.buffer);
}

const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

function mismatches(x: Float64Array | Float32Array, want: Float64Array | Float32Array, f: (v: number) => number): string[] {
  const bad: string[] = [];
  for (let i = 0; i < x.length; i++) {
    const g = f(x[i] as number);
    if (!same(g, want[i] as number)) bad.push(`x=${x[i]}: ${g}, glibc ${want[i]}`);
  }
  return bad;
}

describe("glibc 2.36 libm functions, bit for bit (libm.json)", () => {
  for (const c of file.cases) {
    const float = c.fn.endsWith("f");
    it(`${c.fn} (${c.x.length / (float ? 8 : 16)} inputs, glibc ${c.glibc} ${c.variant} variant)`, () => {
      expect(c.variant).toBe("fma");
      if (float) {
        const xf = floats(c.x);
        if (c.fn === "logf") expect(mismatches(xf, floats(c.y as string), logf)).toEqual([]);
        else {
          const sinOf = (v: number) => {
            sincosfTo(v, SCF);
            return SCF[0] as number;
          };
          const cosOf = (v: number) => {
            sincosfTo(v, SCF);
            return SCF[1] as number;
          };
          expect(mismatches(xf, floats(c.sin as string), sinOf)).toEqual([]);
          expect(mismatches(xf, floats(c.cos as string), cosOf)).toEqual([]);
        }
        return;
      }
      const x = doubles(c.x);
      if (c.fn === "sincos") {
        expect(mismatches(x, doubles(c.sin as string), (v) => sincos(v)[0])).toEqual([]);
        expect(mismatches(x, doubles(c.cos as string), (v) => sincos(v)[1])).toEqual([]);
        expect(mismatches(x, doubles(c.sin_alone as string), sin)).toEqual([]);
        expect(mismatches(x, doubles(c.cos_alone as string), cos)).toEqual([]);
      } else {
        const f = c.fn === "log" ? log : c.fn === "tan" ? tan : exp;
        expect(mismatches(x, doubles(c.y as string), f)).toEqual([]);
      }
    });
  }

  it("special values", () => {
    expect(log(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(log(-1)).toBeNaN();
    expect(log(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(log(1)).toBe(0);
    expect(exp(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(exp(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(exp(1000)).toBe(Number.POSITIVE_INFINITY);
    expect(exp(-1000)).toBe(0);
    expect(sincos(Number.NaN)[0]).toBeNaN();
    expect(sincos(-0)).toEqual([-0, 1]);
  });
});

/** Exact a*b + c for doubles, rounded once (nearest-even) through BigInt: the reference for fma. */
function exactFma(a: number, b: number, c: number): number {
  const dec = (x: number): [bigint, number] => {
    const buf = new DataView(new ArrayBuffer(8));
    buf.setFloat64(0, x);
    const bits = buf.getBigUint64(0);
    const e = Number((bits >> 52n) & 0x7ffn);
    let m = bits & ((1n << 52n) - 1n);
    if (e !== 0) m |= 1n << 52n;
    const sign = bits >> 63n ? -1n : 1n;
    return [sign * m, (e === 0 ? 1 : e) - 1075];
  };
  const [ma, ea] = dec(a);
  const [mb, eb] = dec(b);
  const [mc, ec] = dec(c);
  const e = Math.min(ea + eb, ec);
  const sum = ma * mb * 2n ** BigInt(ea + eb - e) + mc * 2n ** BigInt(ec - e);
  if (sum === 0n) return a * b + c;
  const neg = sum < 0n;
  let m = neg ? -sum : sum;
  let ee = e;
  const len = m.toString(2).length;
  let shift = len - 53;
  if (ee + shift < -1074) shift = -1074 - ee;
  if (shift > 0) {
    const s = BigInt(shift);
    const rem = m & ((1n << s) - 1n);
    const half = 1n << (s - 1n);
    m >>= s;
    ee += shift;
    if (rem > half || (rem === half && (m & 1n) === 1n)) m += 1n;
  }
  let v = Number(m);
  v =
    ee >= 0
      ? v * 2 ** Math.min(ee, 1000) * 2 ** Math.max(ee - 1000, 0)
      : v * 2 ** Math.max(ee, -1000) * 2 ** Math.min(ee + 1000, 0);
  return neg ? -v : v;
}

describe("fma (exact fused multiply-add for doubles)", () => {
  it("equals the exact once-rounded result on random and adversarial operands", () => {
    const dbl = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e300, max: 1e300 });
    fc.assert(
      fc.property(dbl, dbl, dbl, (a, b, c) => {
        const want = exactFma(a, b, c);
        const got = fma(a, b, c);
        return Number.isFinite(want) ? Object.is(got, want) : true;
      }),
      { numRuns: 20000 },
    );
    // ties: a*b + c exactly halfway between two doubles, with a sticky bit beyond
    const cases: [number, number, number][] = [
      [1 + 2 ** -52, 1 + 2 ** -52, -1],
      [1 + 2 ** -27, 1 - 2 ** -27, -1],
      [2 ** 27 + 1, 2 ** 27 - 1, 0.5],
      [0.1, 10, -1],
      [1e-300, 1e-10, 1e-310],
      [3, 1 / 3, -1],
      [2 ** -1000, 2 ** -60, 2 ** -1074],
    ];
    for (const [a, b, c] of cases) expect(fma(a, b, c)).toBe(exactFma(a, b, c));
  });
  it("handles special values as IEEE fusedMultiplyAdd", () => {
    expect(fma(Number.POSITIVE_INFINITY, 0, 1)).toBeNaN();
    expect(fma(1, 1, Number.NaN)).toBeNaN();
    expect(fma(1e308, 2, -1e308)).toBe(1e308); // the product overflows, the sum does not
    expect(Object.is(fma(-0, 1, 0), 0)).toBe(true);
    expect(Object.is(fma(-0, 1, -0), -0)).toBe(true);
  });
});
