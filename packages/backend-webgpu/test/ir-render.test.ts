// Cases the WGSL rendering of core's IR got wrong (found by the conformance suite), each compared
// bitwise with the reference: float16 subnormals, NaN in comparisons and bool conversion, bool
// ordering, signed zeros (sign, floor division, abs's gradient), atan2's special cases, int64 division.
import * as torch from "@lockstep/core";
import { afterAll, describe, expect, it } from "vitest";
import { adapterName, unavailable } from "./helpers.js";

/**
 * Bit patterns of a float tensor (float16/bfloat16: their storage words), ints as strings; every
 * NaN as "nan" (a NaN's sign and payload are not part of the promise).
 */
async function bits(t: torch.Tensor): Promise<string[]> {
  const d = await t.data();
  if (d instanceof Float32Array)
    return Array.from(new Uint32Array(d.buffer, d.byteOffset, d.length), (b, i) => (Number.isNaN(d[i]) ? "nan" : b.toString(16)));
  const nan = t.dtype === "float16" ? 0x7c00 : t.dtype === "bfloat16" ? 0x7f80 : Number.POSITIVE_INFINITY;
  return Array.from(d as ArrayLike<number | bigint>, (v) => ((Number(v) & 0x7fff) > nan ? "nan" : String(v)));
}

/** The same op on the reference and on webgpu (inputs copied there), compared bit for bit. */
async function same(f: (...xs: torch.Tensor[]) => torch.Tensor, ...xs: torch.Tensor[]): Promise<string[]> {
  const want = await bits(f(...xs));
  expect(await bits(f(...xs.map((x) => x.to("webgpu"))))).toEqual(want);
  return want;
}

const SPECIAL = [0, -0, 1, -1, 2.5, -3, Infinity, -Infinity, NaN];

describe.skipIf(unavailable)(`IR rendered to WGSL (${adapterName})`, () => {
  torch.usePortableNumerics(true);
  afterAll(() => torch.usePortableNumerics(false));

  it("float16 subnormals are read and written exactly", async () => {
    // every subnormal class: the smallest, the largest, one in between, negative ones
    const hb = [0x0001, 0x0002, 0x0155, 0x03ff, 0x8001, 0x83ff, 0x0400, 0x0000, 0x8000];
    const h = torch.tensor(new Uint16Array(hb) as unknown as number[], { dtype: "float16" });
    const f = await same((x) => x.to("float32"), h);
    expect(f.slice(0, 2)).toEqual(["33800000", "34000000"]); // 2^-24, 2^-23
    // f32 → float16: the round trip and values that round into the subnormal range
    const vals = torch.tensor([5.960464477539063e-8, 2.9802322387695312e-8, 2.98e-8, 3e-5, -6.097555160522461e-5, 1e-9]);
    expect(await same((x) => x.to("float16"), vals)).toEqual(["1", "0", "0", "503", "33791", "0"]);
    expect(await same((x) => x.to("float16").to("float32"), h.to("float32"))).toEqual(f);
  });

  it("comparisons are IEEE with NaN (only ne is true) and NaN converts to true", async () => {
    const a = torch.tensor(SPECIAL.flatMap((x) => SPECIAL.map(() => x)));
    const b = torch.tensor(SPECIAL.flatMap(() => SPECIAL));
    const ops = [torch.eq, torch.ne, torch.lt, torch.le, torch.gt, torch.ge, torch.logicalAnd, torch.logicalOr, torch.logicalXor];
    for (const op of ops) await same((x, y) => op(x, y), a, b);
    expect((await same((x, y) => torch.ne(x, y), a, b)).at(-1)).toBe("1"); // NaN != NaN
    expect(await same((x) => x.to("bool"), torch.tensor([NaN, -0, 0, 1e-45]))).toEqual(["1", "0", "0", "1"]);
    await same((x) => torch.logicalNot(x), a);
  });

  it("bools are ordered as 0 < 1", async () => {
    const a = torch.tensor([false, false, true, true]);
    const b = torch.tensor([false, true, false, true]);
    expect(await same((x, y) => torch.lt(x, y), a, b)).toEqual(["0", "1", "0", "0"]);
    expect(await same((x, y) => torch.le(x, y), a, b)).toEqual(["1", "1", "0", "1"]);
    expect(await same((x, y) => torch.gt(x, y), a, b)).toEqual(["0", "0", "1", "0"]);
    expect(await same((x, y) => torch.ge(x, y), a, b)).toEqual(["1", "0", "1", "1"]);
  });

  it("sign gives +0 for ±0 and NaN, in every float dtype; abs's gradient at ±0 is +0", async () => {
    for (const dtype of ["float32", "float16", "bfloat16"] as const) {
      const x = torch.tensor([0, -0, NaN, 3, -2, 1e-7], { dtype });
      await same((t) => torch.sign(t), x);
      const grad = (t: torch.Tensor) => {
        const leaf = t.detach().requiresGrad_(true);
        const [g] = torch.autograd.grad(leaf.abs(), leaf, { gradOutputs: torch.onesLike(leaf) });
        return g as torch.Tensor;
      };
      await same(grad, x.narrow(0, 0, 2));
    }
    expect(await same((t) => torch.sign(t), torch.tensor([-0, NaN]))).toEqual(["0", "0"]);
  });

  it("floor division keeps the sign of a zero quotient", async () => {
    for (const dtype of ["float32", "float16"] as const) {
      const a = torch.tensor([0, -0, 1, -1, 5, -5, 0, 1e-30, -1e-30], { dtype });
      const b = torch.tensor([3, 3, -3, 3, -3, 3, -0, 1e30, 1e30], { dtype });
      await same((x, y) => torch.div(x, y, { roundingMode: "floor" }), a, b);
    }
    const q = await same((x, y) => torch.div(x, y, { roundingMode: "floor" }), torch.tensor([-0, 0]), torch.tensor([3, -3]));
    expect(q).toEqual(["80000000", "80000000"]);
  });

  it("atan2 follows C on zeros and infinities", async () => {
    const sp = [0, -0, Infinity, -Infinity, NaN, 2];
    const y = torch.tensor(sp.flatMap((v) => sp.map(() => v)));
    const x = torch.tensor(sp.flatMap(() => sp));
    // only where a special case decides: the general case is the platform's atan2 (not bitwise)
    const decided = (_: string, i: number) => sp[Math.floor(i / sp.length)] !== 2 || sp[i % sp.length] !== 2;
    const want = (await bits(torch.atan2(y, x))).filter(decided);
    expect((await bits(torch.atan2(y.to("webgpu"), x.to("webgpu")))).filter(decided)).toEqual(want);
    expect(want.slice(0, 2)).toEqual(["0", "40490fdb"]); // atan2(+0, +0) = +0, atan2(+0, -0) = π
  });

  it("int64 division, fmod, remainder and floor division match BigInt", async () => {
    const v = [
      -(2n ** 63n),
      2n ** 63n - 1n,
      -1n,
      1n,
      7n,
      -7n,
      0n,
      2n ** 40n + 12345n,
      -(2n ** 35n) - 99n,
      2n ** 32n,
      2n ** 32n - 1n,
    ];
    const as = v.flatMap((a) => v.filter((b) => b !== 0n).map(() => a));
    const bs = v.flatMap(() => v.filter((b) => b !== 0n));
    const a = torch.tensor(new BigInt64Array(as) as unknown as number[], { dtype: "int64" });
    const b = torch.tensor(new BigInt64Array(bs) as unknown as number[], { dtype: "int64" });
    const q = await same((x, y) => torch.div(x, y, { roundingMode: "trunc" }), a, b);
    expect(q[bs.indexOf(-1n)]).toBe(String(-(2n ** 63n))); // INT64_MIN / -1 wraps
    await same((x, y) => torch.div(x, y, { roundingMode: "floor" }), a, b);
    await same((x, y) => torch.fmod(x, y), a, b);
    await same((x, y) => torch.remainder(x, y), a, b);
  });

  it("integer pow wraps like the reference's", async () => {
    const base = [0, 1, -1, 2, -3, 7, 46341, -2];
    const exp = [0, 1, 2, 3, 31, 32, 63]; // core raises for negative integer exponents
    const a = base.flatMap((x) => exp.map(() => x));
    const b = base.flatMap(() => exp);
    const p32 = await same((x, y) => torch.pow(x, y), torch.tensor(a, { dtype: "int32" }), torch.tensor(b, { dtype: "int32" }));
    expect(p32[a.length - exp.length + 4]).toBe(String(-(2 ** 31))); // (-2)^31 = INT32_MIN
    await same((x, y) => torch.pow(x, y), torch.tensor(a, { dtype: "int64" }), torch.tensor(b, { dtype: "int64" }));
    const u = (v: number[]) =>
      torch.tensor(
        v.map((x) => Math.abs(x) & 255),
        { dtype: "uint8" },
      );
    await same((x, y) => torch.pow(x, y), u(a), u(b));
  });

  it("add/sub with alpha (an emulated fma) keeps the sign of a product that underflows to zero", async () => {
    const a = torch.tensor([0, -0, 0, -0, 1e-45, 0]);
    const b = torch.tensor([1e-45, 1e-45, -1e-45, -1e-45, 1e-45, 0]);
    const r = await same((x, y) => torch.sub(x, y, { alpha: 0.3 }), a, b);
    expect(r.slice(0, 4)).toEqual(["80000000", "80000000", "0", "0"]);
    await same((x, y) => torch.add(x, y, { alpha: 0.3 }), a, b);
  });

  it("the emulated fma (add with alpha) is exact for huge and tiny operands wherever the result is normal", async () => {
    // random signs and exponents over f32's range, 24-bit significands: sums that round
    const g = new torch.Generator().manualSeed(11);
    const wide = (n: number, lo: number, hi: number) =>
      torch
        .pow(
          2,
          torch
            .rand([n], { generator: g })
            .mul(hi - lo)
            .add(lo)
            .floor(),
        )
        .mul(torch.rand([n], { generator: g }).add(1))
        .mul(torch.rand([n], { generator: g }).lt(0.5).to("float32").mul(2).sub(1));
    const c = wide(4000, -140, 127);
    // huge operands and products (the old emulation added the rounded product above 1e18)
    const b = wide(4000, -10, 127);
    for (const alpha of [1.7e10, -3.3e-20, 0.3, 6.1e30]) await same((x, y) => torch.add(x, y, { alpha }), c, b);
    // a sum that overflows is ±inf (not NaN from the error terms)
    expect(
      await same(
        (x, y) => torch.add(x, y, { alpha: 0.9 }),
        torch.tensor([3e38, -3e38], { dtype: "float32" }),
        torch.tensor([3e38, -3e38], { dtype: "float32" }),
      ),
    ).toEqual(["7f800000", "ff800000"]);
    // tiny products and addends: exact wherever the result is normal (subnormal results are a known limit)
    const tc = wide(8000, -149, -20);
    const tb = wide(8000, -149, 0);
    for (const alpha of [1.7e-10, -3.3e-20, 0.3]) {
      const normal = (v: string) => v === "0" || v === "80000000" || (Number.parseInt(v, 16) & 0x7f800000) !== 0;
      const want = await bits(torch.add(tc, tb, { alpha }));
      const got = await bits(torch.add(tc.to("webgpu"), tb.to("webgpu"), { alpha }));
      expect(got.filter((_, i) => normal(want[i] as string))).toEqual(want.filter((v) => normal(v)));
    }
  });
});
