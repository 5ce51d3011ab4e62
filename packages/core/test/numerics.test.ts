// The reference's numerics contract (README "Numerics"): each float32 operation rounded once, the
// documented fixed orders for reductions and matmul, exact FMA, 16-bit float rounding, integer wrap.

import * as torch from "@lockstep/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fma64, fmaf } from "../src/reference/scalar.js";

const f32 = (xs: number[]) => torch.tensor(xs, { dtype: "float32" });
const vals = (t: torch.Tensor) => Array.from(t.dataSync() as Float32Array);

/** Exact a*b + c (doubles), rounded once to `bits` significant bits, nearest-even, via BigInt. */
function exactFma(a: number, b: number, c: number, bits: 24 | 53): number {
  const dec = (x: number): [bigint, number] => {
    if (x === 0) return [0n, 0];
    let e = 0;
    let m = x;
    while (!Number.isInteger(m)) {
      m *= 2;
      e--;
    }
    return [BigInt(m), e];
  };
  const [ma, ea] = dec(a);
  const [mb, eb] = dec(b);
  const [mc, ec] = dec(c);
  const ep = ea + eb;
  const e = Math.min(ep, ec);
  const sum = ma * mb * 2n ** BigInt(ep - e) + mc * 2n ** BigInt(ec - e);
  if (sum === 0n) return a * b + c; // signed zero as IEEE gives it
  const neg = sum < 0n;
  let m = neg ? -sum : sum;
  let ee = e;
  const len = m.toString(2).length;
  if (len > bits) {
    const shift = BigInt(len - bits);
    const rem = m & ((1n << shift) - 1n);
    const half = 1n << (shift - 1n);
    m >>= shift;
    ee += Number(shift);
    if (rem > half || (rem === half && (m & 1n) === 1n)) m += 1n;
  }
  const v = Number(m) * 2 ** ee; // m has at most `bits`+1 bits: exact
  return neg ? -v : v;
}

describe("fixed reduction order (pairwise tree of adjacent elements)", () => {
  it("sum combines ((x0+x1)+(x2+x3)), not left to right", () => {
    // left to right: ((1e8 + 1) + -1e8) + 1 = 1 in float32 (1e8+1 rounds to 1e8): 0 + 1 = 1
    // pairwise: (1e8 + 1) + (-1e8 + 1) = 1e8 + -1e8 = 0
    expect(vals(f32([1e8, 1, -1e8, 1]).sum().reshape([1]))).toEqual([0]);
  });
  it("an odd last element is carried up a level", () => {
    // [a,b,c]: (a+b) + c ; [a,b,c,d,e]: ((a+b)+(c+d)) + e
    const x = [2 ** 24, 1, 1, 1, 1];
    const tree = Math.fround(Math.fround(Math.fround(x[0]! + x[1]!) + Math.fround(x[2]! + x[3]!)) + x[4]!);
    expect(vals(f32(x).sum().reshape([1]))).toEqual([tree]);
  });
  it("is the same for a dim reduction and for non-contiguous input", () => {
    const base = f32([1e8, 5, 1, 7, -1e8, 3, 1, 2]).reshape([4, 2]);
    const rows = vals(base.t().sum(1));
    expect(rows).toEqual([vals(f32([1e8, 1, -1e8, 1]).sum().reshape([1]))[0], vals(f32([5, 7, 3, 2]).sum().reshape([1]))[0]]);
  });
});

describe("fixed matmul order (sequential over k, no FMA)", () => {
  it("accumulates left to right with each product and sum rounded", () => {
    const a = f32([1e8, 1, -1e8, 1]).reshape([1, 4]);
    const b = f32([1, 1, 1, 1]).reshape([4, 1]);
    // ((1e8 + 1) - 1e8) + 1 = 0 + 1 = 1 sequentially (pairwise would give 0)
    expect(vals(torch.matmul(a, b).reshape([1]))).toEqual([1]);
  });
  it("rounds the product before adding (no contraction)", () => {
    const x = 1 + 2 ** -12;
    const a = f32([x, 1]).reshape([1, 2]);
    const b = f32([x, -Math.fround(x * x)]).reshape([2, 1]);
    // fround(x*x) - fround(x*x) = 0 exactly; an FMA would leave the low bits 2^-24
    expect(vals(torch.matmul(a, b).reshape([1]))).toEqual([0]);
  });
});

describe("fused multiply-add", () => {
  it("fmaf is a single rounding of the exact a*b+c (random float32 triples, incl. ties)", () => {
    // normal range only: the BigInt reference below does not model subnormal results
    const fl = fc
      .float({ noNaN: true, noDefaultInfinity: true, min: Math.fround(-1e18), max: Math.fround(1e18) })
      .filter((x) => x === 0 || Math.abs(x) > 1e-12);
    fc.assert(
      fc.property(fl, fl, fl, (a, b, c) => {
        const r = fmaf(a, b, c);
        const want = exactFma(a, b, c, 24);
        return Object.is(r, want) || (r === 0 && want === 0);
      }),
      { numRuns: 3000 },
    );
    // a constructed halfway case: a*b + c lands exactly between two floats before the tiny term
    const a = 1 + 2 ** -23;
    const b = 1 + 2 ** -23;
    expect(fmaf(a, b, -1)).toBe(exactFma(a, b, -1, 24));
  });
  it("add(a, b, alpha) is fma(b, alpha, a) on float32, as PyTorch's x86 build", () => {
    const a = f32([1]);
    const b = f32([1 + 2 ** -23]);
    const alpha = 1 + 2 ** -23;
    const want = fmaf(b.dataSync()[0] as number, Math.fround(alpha), 1);
    expect(vals(torch.add(a, b, { alpha }))).toEqual([want]);
  });
  it("fma64 matches the exact result on random doubles", () => {
    const d = fc
      .double({ noNaN: true, noDefaultInfinity: true, min: -1e100, max: 1e100 })
      .filter((x) => x === 0 || Math.abs(x) > 1e-100);
    fc.assert(
      fc.property(d, d, d, (a, b, c) => fma64(a, b, c) === exactFma(a, b, c, 53)),
      { numRuns: 2000 },
    );
  });
});

describe("one rounding per float32 operation", () => {
  it("elementwise chains round after every op", () => {
    const x = f32([0.1, 0.7, 1e-3]);
    const y = x.mul(3).add(0.2).div(7);
    const want = [0.1, 0.7, 1e-3].map((v) => Math.fround(Math.fround(Math.fround(Math.fround(v) * 3) + Math.fround(0.2)) / 7));
    expect(vals(y)).toEqual(want);
  });
  it("float16 and bfloat16 round once per op from float32", () => {
    const h = torch.tensor([1, 2, 3], { dtype: "float16" }).div(3);
    expect(h.values).toBeDefined();
    const b = torch.tensor([1, 2, 3], { dtype: "bfloat16" }).div(3);
    const h16 = Array.from(h.dataSync() as Uint16Array);
    const b16 = Array.from(b.dataSync() as Uint16Array);
    // 1/3 in half: 0x3555; 2/3: 0x3955; 1: 0x3c00. bfloat16 1/3: 0x3eab; 2/3: 0x3f2b; 1: 0x3f80
    expect(h16).toEqual([0x3555, 0x3955, 0x3c00]);
    expect(b16).toEqual([0x3eab, 0x3f2b, 0x3f80]);
  });
});

describe("integers", () => {
  it("int32 wraps on overflow and int32 sums give int64", () => {
    const x = torch.tensor([2147483647, 1], { dtype: "int32" });
    expect(Array.from(x.add(1).dataSync() as Int32Array)).toEqual([-2147483648, 2]);
    const s = x.sum();
    expect(s.dtype).toBe("int64");
    expect((s.dataSync() as BigInt64Array)[0]).toBe(2147483648n);
  });
  it("int64 is exact beyond 2^53 and wraps at 2^63", () => {
    const big = torch.tensor(new BigInt64Array([9007199254740993n, 9223372036854775807n]));
    expect(Array.from(big.add(1).dataSync() as BigInt64Array)).toEqual([9007199254740994n, -9223372036854775808n]);
  });
  it("floor/trunc division of ints follows PyTorch", () => {
    const a = torch.tensor([7, -7, 7, -7], { dtype: "int64" });
    const b = torch.tensor([2, 2, -2, -2], { dtype: "int64" });
    expect(Array.from(torch.div(a, b, { roundingMode: "floor" }).dataSync() as BigInt64Array)).toEqual([3n, -4n, -4n, 3n]);
    expect(Array.from(torch.div(a, b, { roundingMode: "trunc" }).dataSync() as BigInt64Array)).toEqual([3n, -3n, -3n, 3n]);
    expect(Array.from(torch.remainder(a, b).dataSync() as BigInt64Array)).toEqual([1n, 1n, -1n, -1n]);
    expect(() => torch.div(a, torch.zerosLike(b), { roundingMode: "floor" })).toThrow(torch.ValueError);
  });
});

describe("printing goes through PyTorch's format", () => {
  it("prints tensors, grads and dtypes like PyTorch", () => {
    const x = torch.tensor([[1, 2]], { dtype: "float32", requiresGrad: true });
    expect(String(x)).toBe("tensor([[1., 2.]], requires_grad=True)");
    expect(String(x.mul(2))).toBe("tensor([[2., 4.]], grad_fn=<MulBackward0>)");
    expect(String(torch.arange(3))).toBe("tensor([0, 1, 2])");
    expect(String(torch.tensor([0.5], { dtype: "float64" }))).toBe("tensor([0.5000], dtype=torch.float64)");
    expect(String(torch.tensor([true, false]))).toBe("tensor([ True, False])");
  });
});
