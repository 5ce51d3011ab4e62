// Portable numerics: lockstep's own float32 transcendentals (src/portable/math.ts). Their promise is
// bitwise equality across backends (checked in backend-webgpu's tests); here, on the reference:
// accuracy against float64 results rounded to float32, C's special values, and the mode switch.
import { afterEach, describe, expect, it } from "vitest";
import * as torch from "../src/index.js";
import { pow as cPow, erf as erf64 } from "../src/reference/scalar.js";

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
const key = (x: number): number => {
  f32[0] = x;
  const i = i32[0] as number;
  return i < 0 ? -2147483648 - i : i;
};
/** ulp distance between float32 values; NaN only matches NaN. */
const ulp = (a: number, b: number): number =>
  Number.isNaN(a) || Number.isNaN(b)
    ? Number.isNaN(a) && Number.isNaN(b)
      ? 0
      : Number.POSITIVE_INFINITY
    : Math.abs(key(a) - key(b));

function uniform(n: number, lo: number, hi: number, seed: number): Float32Array {
  const g = new torch.Generator().manualSeed(seed);
  return torch
    .rand([n], { generator: g })
    .mul(hi - lo)
    .add(lo)
    .dataSync() as Float32Array;
}
function logUniform(n: number, lo: number, hi: number, seed: number): Float32Array {
  const g = new torch.Generator().manualSeed(seed);
  return torch
    .pow(
      2,
      torch
        .rand([n], { generator: g })
        .mul(hi - lo)
        .add(lo),
    )
    .dataSync() as Float32Array;
}

function portable(fn: (t: torch.Tensor) => torch.Tensor, xs: ArrayLike<number>): Float32Array {
  torch.usePortableNumerics(true);
  try {
    return fn(torch.tensor(Array.from(xs))).dataSync() as Float32Array;
  } finally {
    torch.usePortableNumerics(false);
  }
}

function maxUlp(fn: (t: torch.Tensor) => torch.Tensor, exact: (x: number) => number, xs: Float32Array): number {
  const y = portable(fn, xs);
  let m = 0;
  for (let i = 0; i < xs.length; i++) m = Math.max(m, ulp(y[i] as number, Math.fround(exact(xs[i] as number))));
  return m;
}

afterEach(() => torch.usePortableNumerics(false));

describe("portable float32 functions: accuracy against float64 rounded to float32", () => {
  const N = 20000;
  const cases: [string, (t: torch.Tensor) => torch.Tensor, (x: number) => number, Float32Array, number][] = [
    ["exp", (t) => t.exp(), Math.exp, uniform(N, -103, 88.7, 1), 1],
    ["log", (t) => t.log(), Math.log, logUniform(N, -149, 127, 2), 1],
    ["log1p", (t) => t.log1p(), Math.log1p, uniform(N, -0.999, 30, 3), 2],
    ["log1p near 0", (t) => t.log1p(), Math.log1p, uniform(N, -1e-3, 1e-3, 4), 2],
    ["expm1", (t) => t.expm1(), Math.expm1, uniform(N, -20, 20, 5), 3],
    ["expm1 near 0", (t) => t.expm1(), Math.expm1, uniform(N, -0.5, 0.5, 6), 3],
    ["log2", (t) => t.log2(), Math.log2, logUniform(N, -100, 100, 7), 1],
    ["tanh", (t) => t.tanh(), Math.tanh, uniform(N, -10, 10, 8), 2],
    ["sin", (t) => t.sin(), Math.sin, uniform(N, -1e4, 1e4, 9), 2],
    ["cos", (t) => t.cos(), Math.cos, uniform(N, -1e4, 1e4, 10), 2],
    ["tan", (t) => t.tan(), Math.tan, uniform(N, -3, 3, 11), 3],
    ["erf", (t) => t.erf(), erf64, uniform(N, -6, 6, 12), 2],
    ["sigmoid", (t) => t.sigmoid(), (x) => 1 / (1 + Math.exp(-x)), uniform(N, -30, 30, 13), 3],
  ];
  for (const [name, fn, exact, xs, bound] of cases)
    it(`${name}: max ${bound} ulp`, () => {
      expect(maxUlp(fn, exact, xs)).toBeLessThanOrEqual(bound);
    });

  it("atan2: max 3 ulp over quadrants and magnitudes", () => {
    const y = uniform(N, -1, 1, 17).map((v, i) => v * 2 ** ((i % 41) - 20));
    const x = uniform(N, -1, 1, 18).map((v, i) => v * 2 ** ((i % 37) - 18));
    const got = portable((t) => torch.atan2(t.narrow(0, 0, N), t.narrow(0, N, N)), [...y, ...x]);
    let m = 0;
    for (let i = 0; i < N; i++) m = Math.max(m, ulp(got[i] as number, Math.fround(Math.atan2(y[i] as number, x[i] as number))));
    expect(m).toBeLessThanOrEqual(3);
  });

  it("pow: within 16 ulp for |y·log x| ≤ 10 (it is exp(y·log|x|) in float32)", () => {
    const x = uniform(N, 0.05, 20, 14);
    const y = uniform(N, -3, 3, 15);
    const got = portable((t) => torch.pow(t.narrow(0, 0, N), t.narrow(0, N, N)), [...x, ...y]);
    let m = 0;
    for (let i = 0; i < N; i++) {
      const xi = x[i] as number;
      const yi = y[i] as number;
      if (Math.abs(yi * Math.log(xi)) <= 10) m = Math.max(m, ulp(got[i] as number, Math.fround(xi ** yi)));
    }
    expect(m).toBeLessThanOrEqual(16);
  });
});

describe("portable float32 functions: special values", () => {
  const inf = Number.POSITIVE_INFINITY;
  const specials = [0, -0, 1, -1, 0.5, -0.5, 2, -2, 3, -3, inf, -inf, Number.NaN, 1e-40, -1e-40, 3e38, -3e38];
  const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
  const check = (name: string, fn: (t: torch.Tensor) => torch.Tensor, expected: (x: number) => number, xs = specials) =>
    it(name, () => {
      const got = portable(fn, xs);
      xs.forEach((x, i) => {
        expect(same(got[i] as number, Math.fround(expected(Math.fround(x)))), `${name}(${x}) = ${got[i]}`).toBe(true);
      });
    });
  check(
    "exp",
    (t) => t.exp(),
    (x) => (Math.abs(x) < 1e-30 ? 1 : x === 3e38 || x === inf ? inf : x < -1e30 ? 0 : Math.exp(x)),
    [0, -0, inf, -inf, Number.NaN, 1e-40, 3e38, -3e38, 88.8, -110],
  );
  check("log", (t) => t.log(), Math.log, [0, -0, 1, -1, inf, -inf, Number.NaN, 1e-40, 3e38]);
  check("log1p", (t) => t.log1p(), Math.log1p, [0, -0, -1, -2, inf, -inf, Number.NaN]);
  check("expm1", (t) => t.expm1(), Math.expm1, [0, -0, inf, -inf, Number.NaN, -100]);
  check("tanh", (t) => t.tanh(), Math.tanh, [0, -0, inf, -inf, Number.NaN, 20, -20, 1e-40]);
  check("sin", (t) => t.sin(), Math.sin, [0, -0, inf, -inf, Number.NaN, 1e-40, -1e-40]);
  check("cos", (t) => t.cos(), Math.cos, [0, -0, inf, -inf, Number.NaN]);
  check("erf", (t) => t.erf(), erf64, [0, -0, inf, -inf, Number.NaN, 20, -20]);
  it("atan2 follows C's special cases", () => {
    const xs: number[] = [];
    const ys: number[] = [];
    for (const y of specials)
      for (const x of specials) {
        ys.push(y);
        xs.push(x);
      }
    const got = portable((t) => torch.atan2(t.narrow(0, 0, ys.length), t.narrow(0, ys.length, ys.length)), [...ys, ...xs]);
    ys.forEach((y, i) => {
      const want = Math.fround(Math.atan2(Math.fround(y), Math.fround(xs[i] as number)));
      expect(ulp(got[i] as number, want), `atan2(${y}, ${xs[i]})`).toBeLessThanOrEqual(want === 0 || Number.isNaN(want) ? 0 : 3);
    });
  });
  it("pow follows C's special cases", () => {
    const xs: number[] = [];
    const ys: number[] = [];
    for (const x of specials)
      for (const y of specials) {
        xs.push(x);
        ys.push(y);
      }
    const got = portable((t) => torch.pow(t.narrow(0, 0, xs.length), t.narrow(0, xs.length, xs.length)), [...xs, ...ys]);
    xs.forEach((x, i) => {
      const y = ys[i] as number;
      const want = Math.fround(cPow(Math.fround(x), Math.fround(y)));
      const g = got[i] as number;
      // finite non-special results may differ by rounding; the cases here are all exact in C
      if (Number.isFinite(want) && want !== 0 && Math.abs(want) !== 1 && Math.abs(want) !== 0.5 && Math.abs(want) !== 2)
        expect(ulp(g, want), `pow(${x}, ${y})`).toBeLessThanOrEqual(16);
      else expect(same(g, want), `pow(${x}, ${y}) = ${g}, C gives ${want}`).toBe(true);
    });
  });
});

describe("usePortableNumerics", () => {
  it("switches the functions on and off; float64 keeps the platform's functions", () => {
    const x = torch.tensor(Array.from(uniform(2000, -10, 10, 16)));
    const native = x.exp().dataSync() as Float32Array;
    expect(torch.isPortableNumericsEnabled()).toBe(false);
    torch.usePortableNumerics(true);
    expect(torch.isPortableNumericsEnabled()).toBe(true);
    const mine = x.exp().dataSync() as Float32Array;
    const x64 = x.to("float64");
    const mine64 = x64.exp().dataSync() as Float64Array;
    torch.usePortableNumerics(false);
    expect(Array.from(x.exp().dataSync() as Float32Array)).toEqual(Array.from(native));
    let differ = 0;
    for (let i = 0; i < native.length; i++) {
      expect(ulp(mine[i] as number, native[i] as number)).toBeLessThanOrEqual(1);
      if (mine[i] !== native[i]) differ++;
    }
    expect(differ).toBeGreaterThan(0); // really a different implementation
    expect(Array.from(mine64)).toEqual(Array.from(x64.exp().dataSync() as Float64Array));
  });
});
