// Lazy zero-fill of fresh heap storages: a buffer from alloc reads as zeros even when its heap block
// was used before (reused blocks hold old bytes and are cleared only when something reads them or
// writes part of them); a kernel that overwrites a fresh output whole skips the clearing. Blocks
// under 4 KiB are cleared in alloc instead, so the lazy cases here use storages of 1024+ float32s.
// BLAS off: "cpu" is then bitwise the reference everywhere, so whole training steps can be compared.

import type { Tensor, TypedArray, View } from "@lockstep/core";
import * as torch from "@lockstep/core";
import { beforeAll, describe, expect, it } from "vitest";
import { cpuBackend, FastCpuBackend, initCpu } from "../src/index.js";
import { defaultHeap, WasmHeap } from "../src/wasm/heap.js";

const { nn, optim } = torch;
const F = nn.functional;

let backend: FastCpuBackend;
beforeAll(() => {
  initCpu({ blas: false, warn: () => {} });
  backend = cpuBackend() as FastCpuBackend;
});

const counts = () => ({ fills: backend.counters.zeroFills, skips: backend.counters.zeroSkips });
const delta = (before: { fills: number; skips: number }) => {
  const now = counts();
  return { fills: now.fills - before.fills, skips: now.skips - before.skips };
};

/** Leave NaN bytes in freed heap blocks of `n` float32 elements (the next fresh storages of that size reuse them). */
function dirty(n: number, blocks = 4): void {
  const ts = Array.from({ length: blocks }, () => torch.full([n], Number.NaN));
  for (const t of ts) t.dispose();
}

const view = (buf: unknown, shape: number[], strides: number[], offset = 0, dtype: "float32" | "int32" = "float32"): View => ({
  buf,
  dtype,
  shape,
  strides,
  offset,
});

/** Elements of a float32 buffer, read through the backend. */
const rd = (buf: unknown, offset: number, n: number): number[] =>
  Array.from(backend.readSync(buf, "float32", offset, n) as Float32Array);
const floats = (t: Tensor): number[] => Array.from(t.dataSync() as Float32Array);

const bits = (t: Tensor): number[] => Array.from(new Uint32Array((t.contiguous().dataSync() as Float32Array).slice().buffer));

describe("the heap says whether a block was used before", () => {
  it("reused is false for never-used memory and true for a block from the free list", () => {
    const h = new WasmHeap({ initialPages: 1 });
    const a = h.alloc(400);
    expect(h.reused).toBe(false);
    h.free(a);
    const b = h.alloc(400);
    expect(b).toBe(a);
    expect(h.reused).toBe(true);
    h.free(b);
    const c = h.alloc(400, true);
    expect(c).toBe(a);
    expect(h.reused).toBe(false); // zeroed on request
  });

  it("zero clears exactly the bytes asked for", () => {
    const h = new WasmHeap({ initialPages: 1 });
    const { offset, array } = h.allocArray("float32", 16) as { offset: number; array: Float32Array };
    array.fill(5);
    h.zero(offset + 8, 24);
    expect(Array.from(array)).toEqual([5, 5, 0, 0, 0, 0, 0, 0, 5, 5, 5, 5, 5, 5, 5, 5]);
  });
});

describe("backend buffers read as zeros after a dirty block is reused", () => {
  const N = 2048;
  const fresh = (n = N): Float32Array => {
    // write non-zero, free, allocate the same size: the same block, with the old bytes underneath
    const old = backend.alloc("float32", n) as Float32Array;
    backend.write(old, "float32", new Float32Array(n).fill(7));
    const at = old.byteOffset;
    backend.free(old);
    const buf = backend.alloc("float32", n) as Float32Array;
    expect(buf.byteOffset).toBe(at);
    return buf;
  };

  it("readSync and read", async () => {
    const a = fresh();
    const before = counts();
    expect(rd(a, 0, N)).toEqual(new Array(N).fill(0));
    expect(delta(before).fills).toBe(1);
    backend.free(a);
    const b = fresh();
    expect(Array.from((await backend.read(b, "float32", 10, 5)) as Float32Array)).toEqual([0, 0, 0, 0, 0]);
    backend.free(b);
  });

  it("a write of part of the buffer leaves zeros after it; a write of all of it skips the fill", () => {
    const a = fresh();
    let before = counts();
    backend.write(a, "float32", new Float32Array([1, 2, 3]));
    expect(delta(before)).toEqual({ fills: 1, skips: 0 });
    expect(rd(a, 0, 5)).toEqual([1, 2, 3, 0, 0]);
    backend.free(a);
    const b = fresh();
    before = counts();
    backend.write(b, "float32", new Float32Array(N).fill(2));
    expect(delta(before)).toEqual({ fills: 0, skips: 1 });
    expect(rd(b, 0, N).every((x) => x === 2)).toBe(true);
    backend.free(b);
  });

  it("scatter into a fresh buffer", () => {
    const t = fresh();
    const offs = backend.alloc("int64", 2) as BigInt64Array;
    offs.set([3n, 500n]);
    const src = backend.alloc("float32", 2) as Float32Array;
    backend.write(src, "float32", new Float32Array([4, 5]));
    const before = counts();
    backend.scatter(view(t, [N], [1]), { ...view(offs, [2], [1]), dtype: "int64" }, view(src, [2], [1]), "add");
    expect(delta(before).fills).toBe(1);
    const got = rd(t, 0, N);
    expect(got[3]).toBe(4);
    expect(got[500]).toBe(5);
    expect(got.reduce((s, x) => s + x, 0)).toBe(9);
    backend.free(t);
    backend.free(src);
  });

  it("an elementwise kernel writing a strided part of the output", () => {
    const t = fresh();
    const before = counts();
    // every other element of the first 100 = 1
    backend.elementwise(torch.ir.konst(1, "float32"), view(t, [50], [2]), []);
    expect(delta(before)).toEqual({ fills: 1, skips: 0 });
    const got = rd(t, 0, N);
    for (let i = 0; i < N; i++) expect(got[i]).toBe(i < 100 && i % 2 === 0 ? 1 : 0);
    backend.free(t);
  });

  it("an output covered whole in another order (a transposed view) skips the fill", () => {
    const t = fresh(N);
    const before = counts();
    backend.elementwise(torch.ir.konst(3, "float32"), view(t, [64, 32], [1, 64]), []);
    expect(delta(before)).toEqual({ fills: 0, skips: 1 });
    expect(rd(t, 0, N)).toEqual(new Array(N).fill(3));
    backend.free(t);
  });

  it("overlapping or offset views of the whole length still fill", () => {
    for (const [shape, strides, offset] of [
      [[4, 512], [256, 1], 0],
      [[2048], [1], 1],
      [[4, 512], [512, 0], 0],
    ] as [number[], number[], number][]) {
      const t = fresh(2048 + offset);
      const before = counts();
      backend.elementwise(torch.ir.konst(1, "float32"), view(t, shape, strides, offset), []);
      expect(delta(before), `${shape} ${strides} ${offset}`).toEqual({ fills: 1, skips: 0 });
      backend.free(t);
    }
  });

  it("an input that is also the (fresh) output is filled before the kernel reads it", () => {
    const t = fresh();
    const v = view(t, [N], [1]);
    backend.elementwise(torch.ir.bin("add", torch.ir.load(0, "float32"), torch.ir.konst(1, "float32")), v, [v]);
    expect(rd(t, 0, N).every((x) => x === 1)).toBe(true);
    backend.free(t);
  });

  it("a small reused block is cleared in alloc (no pending mark)", () => {
    const old = backend.alloc("float32", 16) as Float32Array;
    backend.write(old, "float32", new Float32Array(16).fill(7));
    const at = old.byteOffset;
    backend.free(old);
    const before = counts();
    const buf = backend.alloc("float32", 16);
    expect((buf as Float32Array).byteOffset).toBe(at);
    expect(rd(buf, 0, 16)).toEqual(new Array(16).fill(0));
    expect(delta(before)).toEqual({ fills: 0, skips: 0 });
    backend.free(buf);
  });

  it("a pending buffer from one backend instance is filled by another (they share the heap)", () => {
    const t = fresh();
    const other = new FastCpuBackend({ blas: false, warn: () => {} });
    expect(Array.from(other.readSync(t, "float32", 0, 4) as Float32Array)).toEqual([0, 0, 0, 0]);
    other.dispose();
    backend.free(t);
  });
});

describe("which storages are on the heap", () => {
  it("a heap storage is recognised by any instance; plain arrays (and views at byte 0) are not", () => {
    const heap = defaultHeap();
    const other = new FastCpuBackend({ blas: false, warn: () => {} });
    const buf = backend.alloc("float32", 64) as Float32Array;
    expect(heap.owns(buf)).toBe(true);
    const live = heap.stats().live;
    other.free(buf); // back to the heap, though another instance allocated it
    expect(heap.stats().live).toBe(live - 1);
    other.dispose();
    const plain = backend.alloc("float64", 8) as Float64Array;
    expect(heap.owns(plain)).toBe(false);
    backend.free(plain);
    expect(heap.owns(new Float32Array(new ArrayBuffer(64), 16, 4))).toBe(false);
    expect(heap.owns(new Float32Array(heap.buffer as SharedArrayBuffer, 0, 4))).toBe(false);
  });
});

describe("through torch", () => {
  const M = 2000;
  it("torch.empty, zeros and partial writes give zeros on reused blocks", () => {
    dirty(M);
    expect(floats(torch.empty([M]))).toEqual(new Array(M).fill(0));
    dirty(M);
    expect(floats(torch.zeros([M]))).toEqual(new Array(M).fill(0));
    dirty(M);
    const t = torch.empty([10, M / 10]);
    t.narrow(0, 2, 3).fill_(1);
    const got = floats(t);
    for (let i = 0; i < M; i++) expect(got[i]).toBe(i >= M / 5 && i < M / 2 ? 1 : 0);
    dirty(M);
    const u = torch.empty([M]);
    u.add_(2);
    expect(floats(u).every((x) => x === 2)).toBe(true);
  });

  it("int32, uint8 and bool storages too", () => {
    for (const dtype of ["int32", "uint8", "bool"] as const) {
      const old = torch.ones([4444], { dtype });
      old.dispose();
      expect(Array.from(torch.empty([4444], { dtype }).dataSync() as TypedArray, Number)).toEqual(new Array(4444).fill(0));
    }
  });

  it("empty then index_put_ (set and accumulate) keeps zeros elsewhere", () => {
    dirty(1024);
    const t = torch.empty([1024]);
    t.indexPut_([torch.tensor([5, 9], { dtype: "int64" })], torch.tensor([1.5, 2.5]), true);
    const got = floats(t);
    for (let i = 0; i < 1024; i++) expect(got[i]).toBe(i === 5 ? 1.5 : i === 9 ? 2.5 : 0);
    dirty(1024);
    const s = torch.empty([32, 32]);
    s.indexPut_([torch.tensor([1, 31], { dtype: "int64" })], torch.tensor(4, { dtype: "float32" }));
    const g2 = floats(s);
    for (let i = 0; i < 1024; i++) expect(g2[i]).toBe((i >= 32 && i < 64) || i >= 992 ? 4 : 0);
  });

  it("a.add(b) on a fresh, reused output skips the fill", () => {
    const n = 4096;
    const a = torch.rand([n]);
    const b = torch.rand([n]);
    const want = bits(a.to("reference").add(b.to("reference")));
    dirty(n, 1);
    const before = counts();
    const c = a.add(b);
    expect(delta(before)).toEqual({ fills: 0, skips: 1 });
    expect(bits(c)).toEqual(want);
  });

  it("sum, cumsum, sort, matmul into fresh reused outputs equal the reference", () => {
    torch.manualSeed(3);
    const x = torch.randn([32, 64]);
    const y = torch.randn([64, 32]);
    const xr = x.to("reference");
    const yr = y.to("reference");
    const cases: [string, (a: Tensor, b: Tensor) => Tensor][] = [
      ["sum", (a) => a.reshape([2048, 1]).sum(1)],
      ["cumsum", (a) => a.cumsum(1)],
      ["sort", (a) => a.sort(1)[0]],
      ["matmul", (a, b) => a.matmul(b)],
      ["softmax", (a) => a.softmax(1)],
    ];
    for (const [name, f] of cases) {
      for (const size of [1024, 2048]) dirty(size, 2);
      const before = counts();
      expect(bits(f(x, y)), name).toEqual(bits(f(xr, yr)));
      expect(delta(before).skips, name).toBeGreaterThan(0);
    }
  });
});

describe("a small training run with a dirty heap", () => {
  it("is bitwise the reference's", () => {
    const train = (device: string) => {
      torch.manualSeed(0);
      const model = new nn.Sequential(new nn.Linear(64, 128), new nn.ReLU(), new nn.Linear(128, 16)).to(device);
      const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
      const x = torch.randn([32, 64]).to(device);
      const y = torch.randint(0, 16, [32]).to(device);
      const losses: number[][] = [];
      for (let step = 0; step < 4; step++) {
        // leave NaNs in blocks of the sizes the step allocates
        if (device === "cpu") for (const n of [1024, 2048, 4096, 8192]) dirty(n, 3);
        opt.zeroGrad();
        const loss = F.crossEntropy(model.forward(x) as Tensor, y);
        loss.backward();
        opt.step();
        losses.push(bits(loss));
      }
      return { losses, params: model.parameters().map((p) => bits(p.detach())) };
    };
    const before = counts();
    const fast = train("cpu");
    const d = delta(before);
    const ref = train("reference");
    expect(fast.losses).toEqual(ref.losses);
    expect(fast.params).toEqual(ref.params);
    expect(d.skips).toBeGreaterThan(d.fills);
  });
});
