// Explicit memory management: dispose(), torch.tidy, Symbol.dispose (`using`), torch.memoryStats().
// Counts are compared as deltas against a snapshot taken in the same test. Every test here leaves no
// live tensors behind (the FinalizationRegistry safety net would otherwise change the counts of a
// later test when the GC runs), except the known-leak cases, which run last.
import * as torch from "@lockstep/core";
import { DisposedError, type Tensor } from "@lockstep/core";
import { describe, expect, it } from "vitest";

interface Stats {
  tensors: number;
  storages: number;
  bytes: number;
}
const cpu = (): Stats => torch.memoryStats().cpu ?? { tensors: 0, storages: 0, bytes: 0 };
const delta = (a: Stats, b: Stats): Stats => ({
  tensors: b.tensors - a.tensors,
  storages: b.storages - a.storages,
  bytes: b.bytes - a.bytes,
});
const f32 = (data: unknown, requiresGrad = false): Tensor => torch.tensor(data as number[], { dtype: "float32", requiresGrad });

/** A deterministic float32 matrix (values in [-0.5, 0.5)). */
const mat = (rows: number, cols: number, seed: number, requiresGrad = false): Tensor =>
  f32(
    Array.from({ length: rows }, (_, r) =>
      Array.from({ length: cols }, (_, c) => (((r * 31 + c * 17 + seed * 7) % 23) / 23 - 0.5) * 0.8),
    ),
    requiresGrad,
  );

describe("a training loop keeps memory flat (200 steps)", () => {
  // 2-layer MLP, cross-entropy through logSoftmax and a one-hot mask, SGD with momentum and weight decay.
  const setup = () => {
    const X = mat(8, 5, 1);
    const labels = [0, 2, 1, 2, 0, 1, 1, 0];
    const Y = f32(labels.map((l) => [0, 1, 2].map((k) => (k === l ? 1 : 0))));
    const params = [mat(5, 6, 2, true), f32([0, 0, 0, 0, 0, 0], true), mat(6, 3, 3, true), f32([0, 0, 0], true)];
    const momentum = params.map((p) => torch.zerosLike(p));
    const forward = (): Tensor => {
      const [W1, b1, W2, b2] = params as [Tensor, Tensor, Tensor, Tensor];
      const h = X.matmul(W1).add(b1).relu();
      const logits = h.matmul(W2).add(b2);
      return logits.logSoftmax(1).mul(Y).sum(1).mean().neg();
    };
    const update = (): void =>
      torch.tidy(() =>
        torch.noGrad(() => {
          params.forEach((p, i) => {
            const g = (p.grad as Tensor).add(p, { alpha: 1e-4 }); // weight decay
            (momentum[i] as Tensor).mul_(0.9).add_(g);
            p.sub_(momentum[i] as Tensor, { alpha: 0.1 });
          });
        }),
      );
    const cleanup = (): void => torch.dispose([X, Y, params, momentum]);
    return { params, forward, update, cleanup };
  };

  it("tidy around forward+backward, grads zeroed in place: counts and bytes return to the same line every step", () => {
    const start = cpu();
    const { params, forward, update, cleanup } = setup();
    const losses: number[] = [];
    const line: Stats[] = [];
    for (let step = 0; step < 200; step++) {
      const loss = torch.tidy(() => {
        const l = forward();
        l.backward();
        return l;
      });
      update();
      torch.noGrad(() => {
        for (const p of params) p.grad?.zero_();
      });
      losses.push(loss.itemSync() as number);
      loss.dispose();
      if (step % 20 === 0)
        torch.tidy(() => {
          const evalLoss = torch.noGrad(forward);
          expect(evalLoss.requiresGrad).toBe(false);
        });
      line.push(cpu());
    }
    // After the first step the grads exist; from then on the line is flat.
    for (const s of line) expect(s).toEqual(line[0]);
    expect(delta(start, line[0] as Stats).tensors).toBe(4 * 3 + 2); // params, grads, momentum + X, Y
    // the model really trained
    expect(losses[199] as number).toBeLessThan((losses[0] as number) * 0.8);
    cleanup();
    expect(cpu()).toEqual(start);
  });

  it("grads disposed every step (set to null): the line is flat from the very first step", () => {
    const { params, forward, update, cleanup } = setup();
    const before = cpu();
    for (let step = 0; step < 200; step++) {
      torch.tidy(() => {
        forward().backward();
      });
      update();
      for (const p of params) {
        p.grad?.dispose();
        p.grad = null;
      }
      expect(cpu()).toEqual(before);
    }
    cleanup();
  });
});

describe("dispose()", () => {
  it("frees the storage and is idempotent", () => {
    const before = cpu();
    const x = torch.zeros([4, 5]);
    expect(delta(before, cpu())).toEqual({ tensors: 1, storages: 1, bytes: 80 });
    expect(x.isDisposed).toBe(false);
    x.dispose();
    expect(x.isDisposed).toBe(true);
    expect(cpu()).toEqual(before);
    x.dispose();
    x.dispose();
    expect(cpu()).toEqual(before);
  });

  it("counts bytes per dtype", () => {
    const before = cpu();
    const ts = (["float64", "float32", "float16", "bfloat16", "int64", "int32", "uint8", "bool"] as const).map((dtype) =>
      torch.zeros([3], { dtype }),
    );
    expect(delta(before, cpu())).toEqual({ tensors: 8, storages: 8, bytes: 3 * (8 + 4 + 2 + 2 + 8 + 4 + 1 + 1) });
    torch.dispose(ts);
    expect(cpu()).toEqual(before);
  });

  it("any use after dispose throws DisposedError (metadata stays readable)", async () => {
    const before = cpu();
    const x = torch.ones([2, 3]);
    const y = torch.ones([2, 3]);
    const yt = y.t();
    x.dispose();
    const uses: [string, () => unknown][] = [
      ["add", () => x.add(1)],
      ["add (as other)", () => y.add(x)],
      ["exp", () => x.exp()],
      ["sum", () => x.sum()],
      ["max(dim)", () => x.max(1)],
      ["matmul", () => x.matmul(yt)],
      ["view", () => x.view([6])],
      ["reshape", () => x.reshape([3, 2])],
      ["t", () => x.t()],
      ["expand", () => x.expand([2, 2, 3])],
      ["detach", () => x.detach()],
      ["clone", () => x.clone()],
      ["to", () => x.to("float64")],
      ["softmax", () => x.softmax(1)],
      ["flip", () => x.flip(0)],
      ["tril", () => x.tril()],
      ["add_", () => x.add_(1)],
      ["fill_", () => x.fill_(1)],
      ["dataSync", () => x.dataSync()],
      ["itemSync", () => x.itemSync()],
      ["backward", () => x.backward()],
    ];
    for (const [name, use] of uses) expect(use, name).toThrow(DisposedError);
    await expect(x.data()).rejects.toBeInstanceOf(DisposedError);
    await expect(x.tolist()).rejects.toBeInstanceOf(DisposedError);
    expect(x.shape).toEqual([2, 3]);
    expect(x.dtype).toBe("float32");
    expect(String(x)).toMatch(/disposed/);
    torch.dispose([y, yt]);
    expect(cpu()).toEqual(before);
  });

  it("the error names the op and the tensor", () => {
    const x = torch.ones([2, 3]);
    x.dispose();
    expect(() => x.exp()).toThrow(/exp.*\[2, 3\].*disposed|disposed.*\[2, 3\]/);
  });

  it("disposing a leaf also disposes its .grad", () => {
    const before = cpu();
    const x = f32([1, 2], true);
    torch.tidy(() => x.mul(2).sum().backward());
    const g = x.grad as Tensor;
    expect(g.isDisposed).toBe(false);
    x.dispose();
    expect(g.isDisposed).toBe(true);
    expect(cpu()).toEqual(before);
  });

  it("torch.dispose walks arrays, plain objects and Maps", () => {
    const before = cpu();
    const a = torch.zeros([2]);
    const b = torch.zeros([3]);
    const c = torch.zeros([4]);
    const d = torch.zeros([5]);
    torch.dispose({ list: [a, [b]], m: new Map([["c", c]]), nested: { d }, other: 3 });
    expect([a, b, c, d].every((t) => t.isDisposed)).toBe(true);
    expect(cpu()).toEqual(before);
  });

  it("Symbol.dispose: `using` disposes at the end of the block", () => {
    const before = cpu();
    let seen: Tensor;
    {
      using t = torch.zeros([16]);
      seen = t;
      expect(delta(before, cpu())).toEqual({ tensors: 1, storages: 1, bytes: 64 });
    }
    expect(seen.isDisposed).toBe(true);
    expect(cpu()).toEqual(before);
    const u = torch.zeros([2]);
    u[Symbol.dispose]();
    expect(u.isDisposed).toBe(true);
    expect(cpu()).toEqual(before);
  });

  it("`using` disposes even when the block throws", () => {
    const before = cpu();
    let seen: Tensor | null = null;
    expect(() => {
      using t = torch.ones([3]);
      seen = t;
      throw new Error("boom");
    }).toThrow("boom");
    expect((seen as Tensor | null)?.isDisposed).toBe(true);
    expect(cpu()).toEqual(before);
  });
});

describe("views share storage", () => {
  it("views add tensor handles but no storage or bytes", () => {
    const before = cpu();
    const x = torch.zeros([4, 6]);
    const afterBase = cpu();
    const views = [
      x.view([24]),
      x.reshape([6, 4]),
      x.t(),
      x.transpose(0, 1),
      x.permute([1, 0]),
      x.narrow(1, 1, 3),
      x.select(0, 2),
      x.slice(1, 0, 6, 2),
      x.unsqueeze(0),
      x.expand([3, 4, 6]),
      x.diagonal(),
      x.detach(),
      ...x.chunk(2, 1),
    ];
    const d = delta(afterBase, cpu());
    expect(d).toEqual({ tensors: views.length, storages: 0, bytes: 0 });
    for (const v of views) expect(v._storage).toBe(x._storage);
    // A copy (contiguous of a transpose) does allocate.
    const copy = torch.tidy(() => x.t().contiguous());
    expect(copy._storage).not.toBe(x._storage);
    expect(delta(afterBase, cpu()).storages).toBe(1);
    torch.dispose([views, copy]);
    x.dispose();
    expect(cpu()).toEqual(before);
  });

  it("the storage lives while any view lives, and is freed with the last one", () => {
    const before = cpu();
    const x = torch.arange(12, { dtype: "float32" });
    const v = torch.tidy(() => x.view([3, 4]).select(1, 2));
    x.dispose();
    expect(delta(before, cpu())).toEqual({ tensors: 1, storages: 1, bytes: 48 });
    expect(Array.from(v.dataSync() as Float32Array)).toEqual([2, 6, 10]);
    v.dispose();
    expect(cpu()).toEqual(before);
  });

  it("tidy returning a view keeps the shared storage and frees only the handles", () => {
    const before = cpu();
    const v = torch.tidy(() => torch.arange(6, { dtype: "float32" }).mul(2).view([2, 3]).t());
    expect(delta(before, cpu())).toEqual({ tensors: 1, storages: 1, bytes: 24 });
    expect(Array.from(v.dataSync() as Float32Array)).toEqual([0, 6, 2, 8, 4, 10]);
    v.dispose();
    expect(cpu()).toEqual(before);
  });

  it("readback of non-contiguous views leaves no temporaries", async () => {
    const x = torch.arange(6, { dtype: "float32" }).view([2, 3]);
    const t = x.t();
    const before = cpu();
    t.dataSync();
    await t.data();
    await t.tolist();
    String(t);
    const s = t.select(0, 1).select(0, 1);
    expect(await s.item()).toBe(4);
    expect(delta(before, cpu())).toEqual({ tensors: 2, storages: 0, bytes: 0 }); // the two select views
    torch.dispose([x, t, s]);
  });
});

describe("torch.tidy", () => {
  it("frees intermediates and keeps the returned tensor", () => {
    const before = cpu();
    const y = torch.tidy(() => {
      const a = torch.ones([10]);
      const b = a.mul(3).add(1).exp();
      return b.sum();
    });
    expect(y.isDisposed).toBe(false);
    expect(y.itemSync()).toBeCloseTo(10 * Math.exp(4), 1);
    expect(delta(before, cpu())).toEqual({ tensors: 1, storages: 1, bytes: 4 });
    y.dispose();
    expect(cpu()).toEqual(before);
  });

  it("keeps every tensor in a returned array, object or Map, and returns non-tensors as is", () => {
    const before = cpu();
    const r = torch.tidy(() => {
      const a = torch.ones([2]);
      const b = a.add(1);
      a.mul(5); // dropped
      return { list: [a, b], m: new Map([["c", b.mul(2)]]), n: 42 };
    });
    expect(r.n).toBe(42);
    expect(delta(before, cpu()).tensors).toBe(3);
    expect(Array.from((r.m.get("c") as Tensor).dataSync() as Float32Array)).toEqual([4, 4]);
    torch.dispose(r);
    expect(cpu()).toEqual(before);
    expect(torch.tidy(() => 7)).toBe(7);
  });

  it("does not touch tensors created outside the scope", () => {
    const outside = torch.ones([3]);
    const before = cpu();
    torch.tidy(() => {
      outside.add(1);
      outside.add_(1);
    });
    expect(outside.isDisposed).toBe(false);
    expect(Array.from(outside.dataSync() as Float32Array)).toEqual([2, 2, 2]);
    expect(cpu()).toEqual(before);
    outside.dispose();
  });

  it("nests: an inner result belongs to the outer scope, which frees it unless returned", () => {
    const before = cpu();
    let inner: Tensor | null = null;
    const outer = torch.tidy(() => {
      inner = torch.tidy(() => torch.ones([4]).mul(2));
      const kept = torch.tidy(() => torch.ones([4]).mul(3));
      expect((inner as Tensor).isDisposed).toBe(false);
      return kept.add(inner as Tensor);
    });
    expect((inner as Tensor | null)?.isDisposed).toBe(true);
    expect(Array.from(outer.dataSync() as Float32Array)).toEqual([5, 5, 5, 5]);
    expect(delta(before, cpu()).tensors).toBe(1);
    outer.dispose();
    expect(cpu()).toEqual(before);
  });

  it("torch.keep protects a tensor from the scope", () => {
    const before = cpu();
    let kept: Tensor | null = null;
    torch.tidy(() => {
      kept = torch.keep(torch.ones([2]).mul(4));
      torch.ones([3]);
    });
    expect((kept as Tensor | null)?.isDisposed).toBe(false);
    expect(delta(before, cpu()).tensors).toBe(1);
    (kept as Tensor | null)?.dispose();
    expect(cpu()).toEqual(before);
  });

  it("a returned tensor keeps its .grad (the grad is not disposed with the scope)", () => {
    const before = cpu();
    const x = torch.tidy(() => {
      const p = f32([1, 2], true);
      p.mul(p).sum().backward();
      return p;
    });
    expect(Array.from((x.grad as Tensor).dataSync() as Float32Array)).toEqual([2, 4]);
    x.dispose();
    expect(cpu()).toEqual(before);
  });

  it("per device: tensors on 'reference' are counted apart from 'cpu'", () => {
    const beforeCpu = cpu();
    const beforeRef = torch.memoryStats().reference ?? { tensors: 0, storages: 0, bytes: 0 };
    const r = torch.tidy(() => torch.ones([5], { device: "reference", dtype: "float64" }).mul(2));
    expect(r.device).toBe("reference");
    const ref = torch.memoryStats().reference as Stats;
    expect(delta(beforeRef, ref)).toEqual({ tensors: 1, storages: 1, bytes: 40 });
    expect(cpu()).toEqual(beforeCpu);
    const c = r.to("cpu");
    expect(delta(beforeCpu, cpu())).toEqual({ tensors: 1, storages: 1, bytes: 40 });
    torch.dispose([r, c]);
    expect(torch.memoryStats().reference).toEqual(beforeRef);
    expect(cpu()).toEqual(beforeCpu);
  });
});

// ---- known leaks (run last: their unreachable tensors may later be finalized by the GC) ----
describe("known leaks", () => {
  it("saved-for-backward tensors survive a tidy: backward after it gives the right gradient", () => {
    const x = f32([0.5, 1, 1.5], true);
    const before = cpu();
    const loss = torch.tidy(() => x.exp().mul(x.sin()).tanh().sum());
    const afterForward = delta(before, cpu());
    // Only `loss` is a live handle, but the saved intermediates' storages are held by the graph.
    expect(afterForward.tensors).toBe(1);
    expect(afterForward.storages).toBeGreaterThan(1);
    torch.tidy(() => loss.backward(undefined, { retainGraph: true }));
    // d/dx tanh(eˣ sin x) = (1 − tanh²)(eˣ sin x + eˣ cos x)
    const want = [0.5, 1, 1.5].map((v) => {
      const u = Math.exp(v) * Math.sin(v);
      return (1 - Math.tanh(u) ** 2) * (u + Math.exp(v) * Math.cos(v));
    });
    Array.from((x.grad as Tensor).dataSync() as Float32Array).forEach((g, i) => expect(g).toBeCloseTo(want[i] as number, 5));
    // retainGraph: the saved storages are still there for a second backward, which accumulates.
    expect(delta(before, cpu()).storages).toBeGreaterThanOrEqual(afterForward.storages + 1);
    torch.tidy(() => loss.backward());
    Array.from((x.grad as Tensor).dataSync() as Float32Array).forEach((g, i) =>
      expect(g).toBeCloseTo(2 * (want[i] as number), 5),
    );
    torch.dispose([loss, x]);
  });

  it("saved-for-backward storages are freed by the backward that releases the graph", () => {
    const x = f32([0.5, 1, 1.5], true);
    const before = cpu();
    const loss = torch.tidy(() => x.exp().mul(x.sin()).tanh().sum());
    torch.tidy(() => loss.backward(undefined, { retainGraph: true }));
    torch.tidy(() => loss.backward());
    expect(delta(before, cpu())).toEqual({ tensors: 2, storages: 2, bytes: 4 + 12 }); // loss and x.grad
  });

  it("backward() outside a tidy frees its own temporaries", () => {
    const x = f32([0.5, 1, 1.5], true);
    torch.tidy(() => x.mul(1).sum().backward()); // create x.grad first
    const before = cpu();
    const loss = torch.tidy(() => x.exp().mul(x.sin()).tanh().sum());
    loss.backward();
    loss.dispose();
    expect(cpu()).toEqual(before);
  });

  it("a graph whose outputs are disposed without backward releases its saved tensors", () => {
    const x = f32([0.5, 1, 1.5], true);
    const before = cpu();
    for (let i = 0; i < 5; i++) torch.tidy(() => x.exp().mul(x).sum().itemSync());
    expect(cpu()).toEqual(before);
  });

  it("tidy frees the intermediates of a callback that throws", () => {
    const before = cpu();
    expect(() =>
      torch.tidy(() => {
        torch.ones([3]).add(1);
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(cpu()).toEqual(before);
  });

  it("an op that throws DisposedError allocates nothing (cat, cumsum)", () => {
    const x = torch.ones([2, 3]);
    x.dispose();
    const before = cpu();
    expect(() => torch.cat([x, x])).toThrow(DisposedError);
    expect(() => x.cumsum(1)).toThrow(DisposedError);
    expect(cpu()).toEqual(before);
  });
});
