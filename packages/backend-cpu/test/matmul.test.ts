// matmul on the fast CPU backend against the exact reference.
//
// Bound (float32 and float64): |cpu − reference| ≤ 2·K·u·(|A|·|B|) elementwise, u the unit roundoff
// (2^-24, 2^-53). Each of the two is within γ_K·(|A|·|B|) of the exact product (γ_K = K·u/(1−K·u),
// the classical bound for any summation order, FMA or not), so they are within 2·γ_K of each other;
// at these K, 2·γ_K < 2.01·K·u. Small integers are exact in every order: there they are bitwise equal.
import * as torch from "@lockstep/core";
import { ReferenceBackend, type Tensor, type View } from "@lockstep/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cpuBackend, cpuBackendInfo, FastCpuBackend, initCpu } from "../src/index.js";
import { absProduct, rng, unitRoundoff, values, worstRatio } from "./helpers.js";

beforeAll(() => {
  initCpu();
});
afterAll(() => {
  torch.setNumThreads(2);
});

const mT = (x: Tensor) => x.transpose(-2, -1);

/** cpu vs reference within 2.01·K·u·(|A|·|B|); returns the worst ratio to that bound. */
function compare(a: Tensor, b: Tensor): number {
  const y = torch.matmul(a, b);
  const r = torch.matmul(a.to("reference"), b.to("reference"));
  expect(y.device).toBe("cpu");
  expect(y.shape).toEqual(r.shape);
  expect(y.dtype).toBe(a.dtype);
  const K = a.shape[a.ndim - 1] as number;
  return worstRatio(values(y), values(r), absProduct(a, b), 2.01 * K * unitRoundoff(a.dtype));
}

describe("the BLAS library", () => {
  it("is found (CI installs libopenblas0-pthread in tools/test.sh)", () => {
    const info = cpuBackendInfo();
    expect(info?.fallbackReason ?? null, "no BLAS: apt-get install libopenblas0-pthread").toBeNull();
    expect(info?.blas?.path).toMatch(/blas|Accelerate/i);
    expect(info?.backend).toMatch(/^cpu \(/);
  });

  it("follows torch.setNumThreads", () => {
    const info = cpuBackendInfo();
    if (info?.blas?.vendor !== "openblas") return expect(info?.threads).toBeNull();
    torch.setNumThreads(1);
    expect(cpuBackendInfo()?.threads).toBe(1);
    torch.setNumThreads(2);
    expect(cpuBackendInfo()?.threads).toBe(2);
  });
});

describe("how matmul reaches BLAS", () => {
  /** The backend's counters' change over `f`. */
  function counted(f: () => unknown) {
    const c = cpuBackend()?.counters as { gemm: number; packed: number; reference: number };
    const before = { ...c };
    f();
    return { gemm: c.gemm - before.gemm, packed: c.packed - before.packed, reference: c.reference - before.reference };
  }
  // made inside the tests: tensors created before initCpu() keep the reference as their backend
  let x: Tensor;
  let w: Tensor;
  beforeAll(() => {
    x = torch.randn([4, 6, 8]);
    w = torch.randn([8, 5]);
  });

  it("transposed operands and row windows: no copies (CblasTrans and lda/ldb)", () => {
    expect(counted(() => torch.matmul(mT(torch.randn([8, 6])), mT(torch.randn([5, 8]))))).toEqual({
      gemm: 1,
      packed: 0,
      reference: 0,
    });
    expect(counted(() => torch.matmul(torch.randn([6, 12]).narrow(1, 2, 8), w))).toEqual({ gemm: 1, packed: 0, reference: 0 });
    expect(counted(() => torch.matmul(x, mT(torch.randn([4, 5, 8]))))).toEqual({ gemm: 4, packed: 0, reference: 0 });
  });

  it("a batch times one shared matrix (nn.Linear on 3-D input): one GEMM of B·M rows", () => {
    expect(counted(() => torch.matmul(x, w))).toEqual({ gemm: 1, packed: 0, reference: 0 });
    expect(counted(() => torch.matmul(x, mT(torch.randn([5, 8]))))).toEqual({ gemm: 1, packed: 0, reference: 0 });
  });

  it("other strides are packed; other dtypes use the reference", () => {
    expect(counted(() => torch.matmul(torch.randn([6, 16]).slice(1, 0, null, 2), w))).toEqual({
      gemm: 1,
      packed: 1,
      reference: 0,
    });
    expect(counted(() => torch.matmul(torch.ones([2, 3], { dtype: "int32" }), torch.ones([3, 2], { dtype: "int32" })))).toEqual({
      gemm: 0,
      packed: 0,
      reference: 1,
    });
  });
});

describe.each(["float32", "float64"] as const)("%s matmul vs the reference", (dtype) => {
  const randn = (shape: number[]) => torch.randn(shape, { dtype });

  it("random shapes: plain, transposed, strided, batched", () => {
    torch.manualSeed(1);
    const r = rng(7);
    let worst = 0;
    for (let trial = 0; trial < 12; trial++) {
      const M = r(1, 70);
      const K = r(1, 90);
      const N = r(1, 70);
      const B = r(2, 4);
      const cases: [string, Tensor, Tensor][] = [
        ["plain", randn([M, K]), randn([K, N])],
        ["a transposed", mT(randn([K, M])), randn([K, N])],
        ["b transposed", randn([M, K]), mT(randn([N, K]))],
        ["both transposed", mT(randn([K, M])), mT(randn([N, K]))],
        // column stride 2: neither layout, packed
        ["a every 2nd column", randn([M, 2 * K]).slice(1, 0, null, 2), randn([K, N])],
        ["b every 2nd column", randn([M, K]), randn([K, 2 * N]).slice(1, 1, null, 2)],
        // rows further apart than their length: BLAS's lda/ldb
        ["a row window", randn([M, K + 5]).narrow(1, 3, K), randn([K + 2, N]).narrow(0, 1, K)],
        ["batched", randn([B, M, K]), randn([B, K, N])],
        ["batched, b transposed", randn([B, M, K]), mT(randn([B, N, K]))],
        ["batched, a transposed", mT(randn([B, K, M])), randn([B, K, N])],
        ["batched @ shared b (one GEMM of B·M rows)", randn([B, M, K]), randn([K, N])],
        ["batched @ shared transposed b", randn([B, M, K]), mT(randn([N, K]))],
        ["shared a @ batched", randn([M, K]), randn([B, K, N])],
        ["broadcast batch dims", randn([2, 1, M, K]), randn([1, 3, K, N])],
        ["vector @ matrix", randn([K]), randn([K, N])],
        ["matrix @ vector", randn([M, K]), randn([K])],
        ["vector @ vector", randn([K]), randn([K])],
        ["batch element view", randn([B, M, K]).select(0, 1), randn([B, K, N]).select(0, B - 1)],
      ];
      for (const [name, a, b] of cases) {
        const ratio = compare(a, b);
        expect(ratio, `${name}: [${a.shape}] @ [${b.shape}]`).toBeLessThanOrEqual(1);
        worst = Math.max(worst, ratio);
      }
    }
    // BLAS really is not the reference's sequential sum (else this test would prove nothing about bounds)...
    if (dtype === "float32") expect(worst).toBeGreaterThan(0);
  });

  it("sizes past BLAS's blocking (K > 2·GEMM_Q, M and N beyond one panel)", () => {
    torch.manualSeed(2);
    for (const [M, K, N] of [
      [300, 1100, 170],
      [64, 784, 256],
      [513, 65, 257],
    ] as const)
      expect(compare(randn([M, K]), randn([K, N])), `${M}×${K}×${N}`).toBeLessThanOrEqual(1);
  });

  it("0-sized operands and K = 0", () => {
    const cases: [number[], number[], number[]][] = [
      [
        [0, 5],
        [5, 3],
        [0, 3],
      ],
      [
        [4, 5],
        [5, 0],
        [4, 0],
      ],
      [
        [0, 4, 5],
        [0, 5, 3],
        [0, 4, 3],
      ],
      [
        [4, 0],
        [0, 3],
        [4, 3],
      ],
      [
        [2, 4, 0],
        [0, 3],
        [2, 4, 3],
      ],
    ];
    for (const [sa, sb, so] of cases) {
      const y = torch.matmul(torch.ones(sa, { dtype }), torch.ones(sb, { dtype }));
      expect(y.shape).toEqual(so);
      // an empty sum is 0 (not uninitialised memory)
      expect([...values(y)].every((v) => v === 0)).toBe(true);
    }
  });

  it("small integers: bitwise equal to the reference (exact in any order)", () => {
    torch.manualSeed(3);
    const ints = (shape: number[]) => torch.randint(-4, 5, shape).to(dtype);
    for (const [M, K, N] of [
      [17, 1000, 9],
      [64, 784, 256],
      [1, 300, 1],
      [129, 33, 65],
    ] as const) {
      const a = ints([M, K]);
      const b = ints([K, N]);
      const y = values(torch.matmul(a, b));
      const r = values(torch.matmul(a.to("reference"), b.to("reference")));
      expect(y).toEqual(r);
      // and |sum| ≤ 16·K < 2^24: exact; check one element by hand
      const av = values(a);
      const bv = values(b);
      let s = 0;
      for (let k = 0; k < K; k++) s += (av[k] as number) * (bv[k * N] as number);
      expect(y[0]).toBe(s);
    }
  });

  it("NaN and Inf propagate as in the reference", () => {
    const a = torch.tensor(
      [
        [1, Number.NaN],
        [Number.POSITIVE_INFINITY, 1],
        [1, 2],
      ],
      { dtype },
    );
    const b = torch.tensor(
      [
        [1, 0],
        [2, 3],
      ],
      { dtype },
    );
    const y = values(torch.matmul(a, b));
    const r = values(torch.matmul(a.to("reference"), b.to("reference")));
    expect([...y]).toEqual([...r]); // NaN, NaN, Inf, NaN (Inf·0), 5, 6
    expect(y[4]).toBe(5);
  });
});

describe("views the ops never produce (the backend contract allows them)", () => {
  const fast = new FastCpuBackend({ warn: () => {} });
  const ref = new ReferenceBackend();
  const view = (buf: Float32Array, shape: number[], strides: number[], offset = 0): View => ({
    buf,
    dtype: "float32",
    shape,
    strides,
    offset,
  });
  const fill = (n: number, seed: number) => {
    const r = rng(seed);
    return Float32Array.from({ length: n }, () => r(-8, 8) / 4);
  };

  it("a strided or transposed output, rows of stride 0 and an offset", () => {
    const [B, M, K, N] = [2, 5, 7, 3];
    const A = fill(200, 1);
    const Bb = fill(200, 2);
    const layouts: [string, View, View, number[], number][] = [
      // out transposed in memory (column-major per batch), a with an offset
      ["transposed out", view(A, [B, M, K], [M * K, K, 1], 9), view(Bb, [B, K, N], [K * N, N, 1]), [M * N, 1, M], 0],
      // every row of a is the same row (stride 0: a broadcast), b's columns strided by 3
      ["broadcast rows", view(A, [B, M, K], [K, 0, 1]), view(Bb, [B, K, N], [0, 3 * N, 3]), [M * N, N, 1], 0],
      // out with gaps between rows and an offset
      ["padded out", view(A, [B, M, K], [M * K, K, 1]), view(Bb, [B, K, N], [K * N, N, 1]), [M * (N + 2), N + 2, 1], 4],
    ];
    for (const [name, a, b, os, oo] of layouts) {
      const size = oo + (B - 1) * (os[0] as number) + (M - 1) * (os[1] as number) + (N - 1) * (os[2] as number) + 1;
      const o1 = new Float32Array(size).fill(Number.NaN);
      const o2 = new Float32Array(size).fill(Number.NaN);
      fast.matmul(view(o1, [B, M, N], os, oo), a, b);
      ref.matmul(view(o2, [B, M, N], os, oo), a, b);
      // quarter-integers with K = 7: exact in any order, so bitwise equal; untouched gaps stay NaN
      expect(Array.from(o1), name).toEqual(Array.from(o2));
      expect(o1.some((v) => Number.isNaN(v)) === size > B * M * N, name).toBe(true);
    }
  });

  it("K = 0 writes zeros over whatever the output held", () => {
    const o = new Float32Array(12).fill(Number.NaN);
    fast.matmul(
      view(o, [1, 3, 4], [12, 4, 1]),
      view(new Float32Array(0), [1, 3, 0], [0, 0, 1]),
      view(new Float32Array(0), [1, 0, 4], [0, 4, 1]),
    );
    expect(Array.from(o)).toEqual(new Array(12).fill(0));
  });

  it("dtypes BLAS does not cover go to the reference kernel", () => {
    torch.manualSeed(4);
    for (const dtype of ["int32", "int64", "float16", "bfloat16"] as const) {
      const a = torch.randint(-3, 4, [6, 9]).to(dtype);
      const b = torch.randint(-3, 4, [9, 4]).to(dtype);
      const y = torch.matmul(a, b);
      expect(y.dtype).toBe(dtype);
      expect(values(y.double())).toEqual(values(torch.matmul(a.to("reference"), b.to("reference")).double()));
    }
  });
});

describe("determinism", () => {
  it("isDeterministic: matmul (BLAS) and the reference's primitives", () => {
    const b = new FastCpuBackend({ warn: () => {} });
    for (const p of ["reduce", "scan", "matmul", "sort", "scatter"] as const) expect(b.isDeterministic(p)).toBe(true);
  });

  it("same inputs, same thread count: same bits, run after run", () => {
    torch.manualSeed(5);
    // 64×784×256 is the MLP's first layer; it is also a shape whose bits change with the thread count
    for (const threads of [1, 2]) {
      torch.setNumThreads(threads);
      const a = torch.randn([64, 784]);
      const b = torch.randn([784, 256]);
      const first = values(torch.matmul(a, b));
      for (let rep = 0; rep < 10; rep++) expect(values(torch.matmul(a, b))).toEqual(first);
    }
  });

  it("useDeterministicAlgorithms(true) accepts the BLAS matmul", () => {
    torch.useDeterministicAlgorithms(true);
    try {
      const y = torch.matmul(torch.ones([3, 4]), torch.ones([4, 2]));
      expect(values(y)).toEqual(new Float64Array(6).fill(4));
    } finally {
      torch.useDeterministicAlgorithms(false);
    }
  });
});
