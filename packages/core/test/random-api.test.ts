// torch.Generator / global seeding API, argument forms and errors, dropout, and the Philox generator
// (known answers, the counter-based properties its spec promises).
import * as torch from "@lockstep/core";
import { describe, expect, it } from "vitest";
import { log256, sincos256 } from "../src/random/avx_math.js";
import { philox4x32 } from "../src/random/philox.js";

const bits32 = (t: torch.Tensor): string[] =>
  Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer), (v) => v.toString(16).padStart(8, "0"));
const bits64 = (t: torch.Tensor): string[] =>
  Array.from(new BigUint64Array((t.dataSync() as Float64Array).slice().buffer), (v) => v.toString(16).padStart(16, "0"));
const philox = (seed: number | bigint = 0) => new torch.Generator({ algorithm: "philox" }).manualSeed(seed);

describe("torch.Generator (mt19937)", () => {
  it("manualSeed returns the generator; the stream uses seed mod 2^32, initialSeed the full value", () => {
    const g = new torch.Generator();
    expect(g.manualSeed(2 ** 32 + 5)).toBe(g);
    expect(g.initialSeed()).toBe(4294967301);
    const a = torch.rand([4], { generator: g });
    const b = torch.rand([4], { generator: new torch.Generator().manualSeed(5) });
    expect(bits32(a)).toEqual(bits32(b));
    expect(new torch.Generator().manualSeed(2n ** 64n - 59n).initialSeed()).toBe(2n ** 64n - 59n);
    expect(new torch.Generator().manualSeed(-1).initialSeed()).toBe(2n ** 64n - 1n);
    expect(new torch.Generator().initialSeed()).toBe(67280421310721);
    expect(g.device).toBe("cpu");
    expect(g.algorithm).toBe("mt19937");
  });
  it("rejects seeds PyTorch rejects", () => {
    const g = new torch.Generator();
    expect(() => g.manualSeed(0.5)).toThrow(torch.ValueError);
    expect(() => g.manualSeed(2n ** 64n)).toThrow(/out of range/);
    expect(() => g.manualSeed(-(2n ** 63n) - 1n)).toThrow(torch.ValueError);
  });
  it("seed() reseeds nondeterministically and reports the seed", () => {
    const g = new torch.Generator();
    const s = g.seed();
    expect(Number.isSafeInteger(s)).toBe(true);
    expect(g.initialSeed()).toBe(s);
    expect(bits32(torch.rand([3], { generator: g }))).toEqual(
      bits32(torch.rand([3], { generator: new torch.Generator().manualSeed(s) })),
    );
  });
  it("getState is PyTorch's 5056-byte uint8 state; setState restores draws and the cached normal", () => {
    const g = new torch.Generator().manualSeed(3);
    torch.randn([1], { dtype: "float64", generator: g }); // leaves a cached Box–Muller value
    const st = g.getState();
    expect(st.dtype).toBe("uint8");
    expect([...st.shape]).toEqual([5056]);
    const a = [bits64(torch.randn([1], { dtype: "float64", generator: g })), bits32(torch.rand([5], { generator: g }))];
    g.setState(st);
    const b = [bits64(torch.randn([1], { dtype: "float64", generator: g })), bits32(torch.rand([5], { generator: g }))];
    expect(b).toEqual(a);
    expect(() => g.setState(torch.zeros([5056]))).toThrow(torch.DTypeError);
    expect(() => g.setState(torch.zeros([100], { dtype: "uint8" }))).toThrow(/size/);
    const bad = new Uint8Array(st.dataSync() as Uint8Array);
    bad.fill(0, 8, 12); // left = 0 is not a valid engine state
    expect(() => g.setState(torch.tensor(bad, { dtype: "uint8" }))).toThrow(/Invalid mt19937 state/);
  });
});

describe("global random state", () => {
  it("manualSeed returns torch.defaultGenerator; initialSeed, get/setRngState", () => {
    expect(torch.manualSeed(7)).toBe(torch.defaultGenerator);
    expect(torch.initialSeed()).toBe(7);
    const st = torch.getRngState();
    const a = bits32(torch.rand([6]));
    torch.setRngState(st);
    expect(bits32(torch.rand([6]))).toEqual(a);
    expect(torch.random.initialSeed()).toBe(7);
  });
  it("torch.seed reseeds and returns the seed", () => {
    const s = torch.seed();
    expect(torch.initialSeed()).toBe(s);
  });
  it("forkRng restores the global state after fn (returning, throwing, async)", async () => {
    torch.manualSeed(11);
    const ref = bits32(torch.rand([3]));
    torch.manualSeed(11);
    const inside = torch.random.forkRng(() => bits32(torch.rand([3])));
    expect(inside).toEqual(ref);
    expect(bits32(torch.rand([3]))).toEqual(ref); // restored: the same draws again
    torch.manualSeed(11);
    expect(() =>
      torch.random.forkRng(() => {
        torch.rand([100]);
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(bits32(torch.rand([3]))).toEqual(ref);
    torch.manualSeed(11);
    await torch.random.forkRng(async () => {
      await Promise.resolve();
      torch.rand([50]);
    });
    expect(bits32(torch.rand([3]))).toEqual(ref);
    torch.manualSeed(11);
    torch.random.forkRng(() => torch.rand([9]), { enabled: false });
    expect(bits32(torch.rand([3]))).not.toEqual(ref);
  });
});

describe("sampling argument forms and errors", () => {
  it("sizes as an array or varargs, the default dtype, *Like", () => {
    torch.manualSeed(0);
    const a = torch.rand(2, 3);
    torch.manualSeed(0);
    const b = torch.rand([2, 3]);
    expect([...a.shape]).toEqual([2, 3]);
    expect(bits32(a)).toEqual(bits32(b));
    expect(bits32(b).slice(0, 4)).toEqual(["3efe1558", "3f44aa2f", "3db533a8", "3e073300"]);
    expect(torch.randn(4, { dtype: "float64" }).dtype).toBe("float64");
    expect(torch.randLike(a).shape).toEqual(a.shape);
    expect(torch.randintLike(a, 5).dtype).toBe("float32");
    expect(torch.randint(10, [3]).dtype).toBe("int64");
    expect([...torch.randint(-2, 2, [2, 2]).shape]).toEqual([2, 2]);
    expect([...torch.randperm(0).shape]).toEqual([0]);
    expect(torch.rand([2], { requiresGrad: true }).requiresGrad).toBe(true);
  });
  it("errors name the op and what is valid", () => {
    expect(() => torch.rand([2], { dtype: "int64" })).toThrow(torch.DTypeError);
    expect(() => torch.zeros([3], { dtype: "int64" }).normal_()).toThrow(/normal_/);
    expect(() => torch.zeros([3]).uniform_(2, 1)).toThrow(/from=2 > to=1/);
    expect(() => torch.zeros([3]).random_(5, 5)).toThrow(/less than 'to'/);
    expect(() => torch.zeros([3]).bernoulli_(1.5)).toThrow(/\[0, 1\]/);
    expect(() => torch.multinomial(torch.tensor([0.5, 0.5]), 3)).toThrow(/without replacement/);
    expect(() => torch.normal(0, -1, [2])).toThrow(/std >= 0/);
    expect(() => torch.zeros([2, 1]).expand([2, 3]).uniform_()).toThrow(/single memory location/);
    const webgpuGen = new torch.Generator({ device: "webgpu" });
    expect(webgpuGen.algorithm).toBe("philox");
    expect(() => torch.rand([2], { generator: webgpuGen })).toThrow(
      /Expected a 'cpu' device type for generator but found 'webgpu'/,
    );
    expect(() => new torch.Generator({ device: "webgpu", algorithm: "mt19937" })).toThrow(torch.DeviceError);
  });
  it("in-place methods take the options object in place of omitted arguments", () => {
    const g1 = new torch.Generator().manualSeed(4);
    const g2 = new torch.Generator().manualSeed(4);
    const a = torch.zeros([5]).exponential_({ generator: g1 });
    const b = torch.zeros([5]).exponential_(1, { generator: g2 });
    expect(bits32(a)).toEqual(bits32(b));
    expect(bits32(torch.zeros([3]).normal_({ generator: g1 }))).toEqual(
      bits32(torch.zeros([3]).normal_(0, 1, { generator: g2 })),
    );
    const t = torch.zeros([4]);
    const v = t.version;
    expect(t.uniform_()).toBe(t);
    expect(t.version).toBeGreaterThan(v);
  });
});

describe("dropout", () => {
  it("returns the input itself when not training or p = 0; zeros for p = 1", () => {
    const x = torch.ones([4]);
    expect(torch.dropout(x, 0.5, false)).toBe(x);
    expect(torch.dropout(x, 0)).toBe(x);
    expect(Array.from(torch.dropout(x, 1).dataSync() as Float32Array)).toEqual([0, 0, 0, 0]);
  });
  it("keeps each element with probability 1-p, scales by 1/(1-p), and backpropagates through the mask", () => {
    const x = torch.ones([1000], { requiresGrad: true });
    torch.manualSeed(1);
    const y = torch.dropout(x, 0.25);
    const vals = Array.from(y.dataSync() as Float32Array);
    const scale = Math.fround(1 / Math.fround(0.75));
    expect(vals.every((v) => v === 0 || v === scale)).toBe(true);
    const kept = vals.filter((v) => v !== 0).length;
    expect(kept).toBeGreaterThan(700);
    expect(kept).toBeLessThan(800);
    y.sum().backward();
    expect(Array.from(x.grad!.dataSync() as Float32Array)).toEqual(vals);
  });
});

describe("Philox4x32-10", () => {
  it("matches the Random123 known-answer vectors", () => {
    const out = new Uint32Array(4);
    const hex = () => Array.from(out, (v) => v.toString(16).padStart(8, "0"));
    philox4x32(0, 0, 0, 0, 0, 0, out);
    expect(hex()).toEqual(["6627e8d5", "e169c58d", "bc57ac4c", "9b00dbd8"]);
    const m = 0xffffffff;
    philox4x32(m, m, m, m, m, m, out);
    expect(hex()).toEqual(["408f276d", "41c83b0e", "a20bc7c6", "6d5451fd"]);
    philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, out);
    expect(hex()).toEqual(["d16cfe09", "94fdcceb", "5001e420", "24126ea1"]);
  });

  it("lockstep's draws: known answers for seed 0 (for other implementations of the spec)", () => {
    const g = philox(0);
    expect(bits32(torch.rand([4], { generator: g }))).toEqual(["3e1fa354", "3f64cca4", "3f7aa329", "3f10ef29"]);
    expect(bits32(torch.randn([4], { generator: g }))).toEqual(["bf401b39", "3e58b067", "bf47a927", "3f828889"]);
    expect(bits64(torch.rand([2], { dtype: "float64", generator: g }))).toEqual(["3fad677b68267590", "3fe30eff2299a390"]);
    expect(bits64(torch.randn([2], { dtype: "float64", generator: g }))).toEqual(["3fe992416699a035", "3ffd3368ab9bdfde"]);
    expect(Array.from(torch.randint(0, 1000, [4], { generator: g }).dataSync() as BigInt64Array)).toEqual([
      553n,
      490n,
      775n,
      853n,
    ]);
    expect(Array.from(torch.randperm(8, { generator: g }).dataSync() as BigInt64Array).map(Number)).toEqual([
      4, 0, 1, 6, 7, 3, 2, 5,
    ]);
    const st = g.getState();
    expect(Array.from(st.dataSync() as Uint8Array)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("follows the spec's formulas (recomputed here from the block function)", () => {
    const seed = 0x1234_5678_9abcn;
    const g = philox(seed);
    g.manualSeed(seed);
    const w = new Uint32Array(4);
    const k0 = Number(seed & 0xffffffffn);
    const k1 = Number(seed >> 32n);
    const u = torch.rand([50], { generator: g }).dataSync() as Float32Array; // offset 0
    const n = torch.randn([50], { generator: g }).dataSync() as Float32Array; // offset 1
    const fr = Math.fround;
    for (let i = 0; i < 50; i++) {
      philox4x32(i, 0, 0, 0, k0, k1, w);
      expect(u[i]).toBe(((w[0] as number) & 0xffffff) / 2 ** 24);
      philox4x32(i, 0, 1, 0, k0, k1, w);
      const u1 = ((w[0] as number) & 0xffffff) / 2 ** 24;
      const u2 = ((w[1] as number) & 0xffffff) / 2 ** 24;
      const r = fr(Math.sqrt(fr(-2 * log256(fr(1 - u1), false))));
      const c = sincos256(fr(fr(2 * Math.PI) * u2), false)[1];
      expect(n[i]).toBe(fr(fr(fr(r * c) * 1) + 0));
    }
  });

  it("element i depends only on (seed, offset, i): prefixes, layouts and sizes agree", () => {
    for (const dtype of ["float32", "float64", "float16", "bfloat16"] as const) {
      for (const f of [torch.rand, torch.randn]) {
        const big = f([100], { dtype, generator: philox(9) }).dataSync();
        for (const k of [1, 15, 16, 17, 33]) {
          const small = f([k], { dtype, generator: philox(9) }).dataSync();
          expect(Array.from(small as ArrayLike<number>)).toEqual(Array.from(big.slice(0, k) as ArrayLike<number>));
        }
      }
    }
    const ints = torch.randint(0, 2 ** 40, [30], { generator: philox(2) }).dataSync();
    expect(Array.from(torch.randint(0, 2 ** 40, [7], { generator: philox(2) }).dataSync() as BigInt64Array)).toEqual(
      Array.from((ints as BigInt64Array).slice(0, 7)),
    );
    // an in-place draw on a transposed view gives each logical element the same value as a contiguous one
    const a = torch.zeros([4, 5]).normal_(0, 1, { generator: philox(5) });
    const b = torch
      .zeros([5, 4])
      .t()
      .normal_(0, 1, { generator: philox(5) });
    expect(bits32(b.contiguous())).toEqual(bits32(a));
    // bernoulli / exponential / dropout masks: prefix property
    const p = torch.bernoulli(torch.full([64], 0.3, { dtype: "float64" }), { generator: philox(1) }).dataSync();
    const p8 = torch.bernoulli(torch.full([8], 0.3, { dtype: "float64" }), { generator: philox(1) }).dataSync();
    expect(Array.from(p8 as Float64Array)).toEqual(Array.from((p as Float64Array).slice(0, 8)));
  });

  it("each draw advances the offset by one; states round-trip; mt19937 states are refused", () => {
    const g = philox(3);
    const a = bits32(torch.rand([4], { generator: g }));
    const b = bits32(torch.rand([4], { generator: g }));
    expect(a).not.toEqual(b);
    const st = g.getState();
    expect(Array.from((st.dataSync() as Uint8Array).slice(8))).toEqual([2, 0, 0, 0, 0, 0, 0, 0]);
    const c = bits32(torch.randn([4], { generator: g }));
    g.setState(st);
    expect(bits32(torch.randn([4], { generator: g }))).toEqual(c);
    expect(() => g.setState(new torch.Generator().getState())).toThrow(/Philox state/);
    expect(g.initialSeed()).toBe(3);
    g.manualSeed(3);
    expect(bits32(torch.rand([4], { generator: g }))).toEqual(a);
  });
});
