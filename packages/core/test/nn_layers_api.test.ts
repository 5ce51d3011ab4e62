// nn layers: behaviour beyond the goldens — printouts of whole models, state-dict interchange,
// deepcopy, skipInit, train/eval semantics, options, errors, gradients (float64 gradcheck).
import type { Tensor } from "@lockstep/core";
import * as torch from "@lockstep/core";
import { describe, expect, it } from "vitest";

const { nn } = torch;
const F = nn.functional;
const f64 = { dtype: "float64" as const };
const randn64 = (...shape: number[]): Tensor => torch.randn(shape, f64).requiresGrad_(true);
/** A tensor's values as nested arrays (synchronous readback on the reference). */
const L = (t: Tensor | null | undefined): unknown => {
  if (!t) return t;
  const d = Array.from(t.contiguous().dataSync() as ArrayLike<number | bigint>, (v) => (typeof v === "bigint" ? Number(v) : v));
  const build = (dim: number, off: number): unknown => {
    if (dim === t.ndim) return d[off];
    const inner = t.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: t.shape[dim] as number }, (_, i) => build(dim + 1, off + i * inner));
  };
  return build(0, 0);
};

describe("printouts equal PyTorch's", () => {
  it("a CNN", () => {
    const m = new nn.Sequential(
      new nn.Conv2d(1, 32, 3, { padding: 1 }),
      new nn.BatchNorm2d(32),
      new nn.ReLU(true),
      new nn.MaxPool2d(2),
      new nn.Dropout2d(0.25),
      new nn.Flatten(),
      new nn.Linear(6272, 10),
      new nn.LogSoftmax(1),
    );
    expect(String(m)).toBe(`Sequential(
  (0): Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
  (1): BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
  (2): ReLU(inplace=True)
  (3): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
  (4): Dropout2d(p=0.25, inplace=False)
  (5): Flatten(start_dim=1, end_dim=-1)
  (6): Linear(in_features=6272, out_features=10, bias=True)
  (7): LogSoftmax(dim=1)
)`);
  });

  it("recurrent and embedding layers", () => {
    expect(String(new nn.LSTM(10, 20, { numLayers: 2, batchFirst: true, dropout: 0.5, bidirectional: true }))).toBe(
      "LSTM(10, 20, num_layers=2, batch_first=True, dropout=0.5, bidirectional=True)",
    );
    const d = new nn.ModuleDict({
      emb: new nn.Embedding(100, 16, { paddingIdx: 0, maxNorm: 1.0 }),
      gru: new nn.GRU(16, 32, { bias: false }),
      act: new nn.LeakyReLU(0.2, true),
    });
    expect(String(d)).toBe(`ModuleDict(
  (emb): Embedding(100, 16, padding_idx=0, max_norm=1.0)
  (gru): GRU(16, 32, bias=False)
  (act): LeakyReLU(negative_slope=0.2, inplace=True)
)`);
  });

  it("every option that shows in extra_repr", () => {
    const m = new nn.Sequential(
      new nn.ELU(0.5),
      new nn.Hardtanh(-2.0, 2.0),
      new nn.Softplus(2, 10),
      new nn.GELU("tanh"),
      new nn.SiLU(),
      new nn.Unflatten(1, [2, 5]),
      new nn.GroupNorm(2, 4, { eps: 1e-3 }),
      new nn.LayerNorm([4, 5], { elementwiseAffine: false }),
      new nn.AvgPool2d(3, { stride: 1, padding: 1 }),
      new nn.AdaptiveAvgPool2d([null, 7]),
      new nn.ConvTranspose2d(4, 2, [3, 2], { stride: 2, padding: 1, outputPadding: 1, groups: 2, bias: false, dilation: 2 }),
      new nn.Conv1d(2, 4, 5, { padding: "same", paddingMode: "reflect" }),
      new nn.BatchNorm1d(4, { momentum: null, affine: false }),
      new nn.RNN(3, 4, { nonlinearity: "relu" }),
      new nn.Bilinear(2, 3, 4, { bias: false }),
      new nn.Identity(),
      new nn.Softmax(-1),
      new nn.Tanh(),
      new nn.Sigmoid(),
      new nn.ReLU6(),
    );
    expect(String(m)).toBe(`Sequential(
  (0): ELU(alpha=0.5)
  (1): Hardtanh(min_val=-2.0, max_val=2.0)
  (2): Softplus(beta=2, threshold=10)
  (3): GELU(approximate='tanh')
  (4): SiLU()
  (5): Unflatten(dim=1, unflattened_size=(2, 5))
  (6): GroupNorm(2, 4, eps=0.001, affine=True)
  (7): LayerNorm((4, 5), eps=1e-05, elementwise_affine=False)
  (8): AvgPool2d(kernel_size=3, stride=1, padding=1)
  (9): AdaptiveAvgPool2d(output_size=(None, 7))
  (10): ConvTranspose2d(4, 2, kernel_size=(3, 2), stride=(2, 2), padding=(1, 1), dilation=(2, 2), output_padding=(1, 1), groups=2, bias=False)
  (11): Conv1d(2, 4, kernel_size=(5,), stride=(1,), padding=same, padding_mode=reflect)
  (12): BatchNorm1d(4, eps=1e-05, momentum=None, affine=False, track_running_stats=True)
  (13): RNN(3, 4)
  (14): Bilinear(in1_features=2, in2_features=3, out_features=4, bias=False)
  (15): Identity()
  (16): Softmax(dim=-1)
  (17): Tanh()
  (18): Sigmoid()
  (19): ReLU6()
)`);
  });
});

describe("state dicts", () => {
  it("round-trip between two models and refuse mismatches", () => {
    torch.manualSeed(1);
    const a = new nn.Sequential(new nn.Linear(4, 3), new nn.BatchNorm1d(3), new nn.LSTM(3, 2));
    const b = new nn.Sequential(new nn.Linear(4, 3), new nn.BatchNorm1d(3), new nn.LSTM(3, 2));
    expect(Object.keys(a.stateDict())).toEqual([
      "0.weight",
      "0.bias",
      "1.weight",
      "1.bias",
      "1.running_mean",
      "1.running_var",
      "1.num_batches_tracked",
      "2.weight_ih_l0",
      "2.weight_hh_l0",
      "2.bias_ih_l0",
      "2.bias_hh_l0",
    ]);
    b.loadStateDict(a.stateDict());
    for (const [k, v] of Object.entries(a.stateDict())) expect(L(b.stateDict()[k])).toEqual(L(v));
    const wrong = new nn.Sequential(new nn.Linear(4, 5));
    expect(() => wrong.loadStateDict(a.stateDict())).toThrow(/Unexpected key|size mismatch/);
  });

  it("num_batches_tracked is an int64 scalar buffer; camelCase getters alias the PyTorch names", () => {
    const bn = new nn.BatchNorm2d(3);
    expect(bn.numBatchesTracked?.dtype).toBe("int64");
    expect(bn.numBatchesTracked?.shape).toEqual([]);
    expect(bn.runningMean).toBe(bn.running_mean);
    bn.forward(torch.randn([2, 3, 2, 2]));
    bn.forward(torch.randn([2, 3, 2, 2]));
    expect(bn.numBatchesTracked?.itemSync()).toBe(2);
    bn.eval();
    const before = L(bn.runningMean);
    bn.forward(torch.randn([2, 3, 2, 2]));
    expect(L(bn.runningMean)).toEqual(before);
    expect(bn.numBatchesTracked?.itemSync()).toBe(2);
  });

  it("MultiheadAttention keeps PyTorch's parameter names (separate projections, bias_k/bias_v)", () => {
    const m = new nn.MultiheadAttention(6, 3, { kdim: 4, vdim: 5, addBiasKv: true });
    expect(Object.entries(m.stateDict()).map(([k, v]) => [k, v.shape])).toEqual([
      ["q_proj_weight", [6, 6]],
      ["k_proj_weight", [6, 4]],
      ["v_proj_weight", [6, 5]],
      ["in_proj_bias", [18]],
      ["bias_k", [1, 1, 6]],
      ["bias_v", [1, 1, 6]],
      ["out_proj.weight", [6, 6]],
      ["out_proj.bias", [6]],
    ]);
  });
});

describe("construction", () => {
  it("deepcopy copies parameters and buffers, keeps sharing, draws no random numbers", () => {
    torch.manualSeed(3);
    const lin = new nn.Linear(3, 3);
    const seq = new nn.Sequential(lin, new nn.BatchNorm1d(3), lin);
    const state = torch.getRngState();
    const copy = nn.deepcopy(seq);
    expect(L(torch.getRngState())).toEqual(L(state));
    expect(String(copy)).toBe(String(seq));
    expect(copy.parameters().length).toBe(seq.parameters().length);
    expect((copy.at(0) as InstanceType<typeof nn.Linear>).weight).toBe((copy.at(2) as InstanceType<typeof nn.Linear>).weight);
    expect((copy.at(0) as InstanceType<typeof nn.Linear>).weight).not.toBe(lin.weight);
    torch.noGrad(() => (copy.at(0) as InstanceType<typeof nn.Linear>).weight.fill_(0));
    expect(lin.weight.abs().sum().itemSync()).toBeGreaterThan(0);
    const x = torch.randn([2, 3]);
    expect(() => copy.forward(x)).not.toThrow();
  });

  it("TransformerEncoder's layers are equal deep copies", () => {
    torch.manualSeed(0);
    const enc = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16 }), 3);
    const sd = enc.stateDict();
    for (const k of Object.keys(sd).filter((k) => k.startsWith("layers.0.")))
      for (const i of [1, 2]) expect(L(sd[k.replace("layers.0.", `layers.${i}.`)])).toEqual(L(sd[k]));
    expect(enc.layers.at(0)).not.toBe(enc.layers.at(1));
  });

  it("skipInit constructs without drawing; constant initialisers still run", () => {
    torch.manualSeed(5);
    const state = torch.getRngState();
    const m = nn.init.skipInit(() => new nn.Sequential(new nn.Linear(4, 3), new nn.LayerNorm(3)));
    expect(L(torch.getRngState())).toEqual(L(state));
    expect((m.at(0) as InstanceType<typeof nn.Linear>).weight.abs().sum().itemSync()).toBe(0);
    expect(L((m.at(1) as InstanceType<typeof nn.LayerNorm>).weight)).toEqual([1, 1, 1]);
  });

  it("initialisers take a generator and leave the global stream alone", () => {
    torch.manualSeed(9);
    const before = torch.getRngState();
    const t = torch.empty([3, 4]);
    nn.init.kaimingUniform_(t, Math.sqrt(5), { generator: new torch.Generator().manualSeed(9) });
    expect(L(torch.getRngState())).toEqual(L(before));
    torch.manualSeed(9);
    const u = torch.empty([3, 4]);
    nn.init.kaimingUniform_(u, Math.sqrt(5));
    expect(L(t)).toEqual(L(u));
  });

  it("calculateGain and fans", () => {
    expect(nn.init.calculateGain("leaky_relu", 0)).toBe(Math.SQRT2);
    expect(nn.init.calculateGain("tanh")).toBe(5 / 3);
    expect(() => nn.init.calculateGain("swish")).toThrow(/Unsupported nonlinearity/);
    expect(nn.init.calculateFanInAndFanOut(torch.empty([8, 4, 3, 3]))).toEqual([36, 72]);
    expect(() => nn.init.calculateFanInAndFanOut(torch.empty([5]))).toThrow(/fewer than 2 dimensions/);
  });

  it("orthogonal_ gives orthonormal rows or columns", () => {
    torch.manualSeed(0);
    const w = nn.init.orthogonal_(torch.empty([4, 9]));
    const wwT = w.matmul(w.t());
    const eye = torch.eye(4);
    expect(wwT.sub(eye).abs().max().itemSync()).toBeLessThan(1e-6);
  });
});

describe("modes and options", () => {
  it("Dropout is the identity in eval mode and scales kept elements by 1/(1−p) in training", () => {
    const d = new nn.Dropout(0.25);
    const x = torch.ones([1000]);
    d.eval();
    expect(d.forward(x)).toBe(x);
    d.train();
    torch.manualSeed(0);
    const y = d.forward(x) as Tensor;
    const vals = new Set(Array.from(y.dataSync() as Float32Array));
    expect([...vals].sort()).toEqual([0, Math.fround(1 / 0.75)]);
  });

  it("MultiheadAttention: batchFirst transposes, needWeights false returns null, weights per head", () => {
    torch.manualSeed(0);
    const m = new nn.MultiheadAttention(4, 2, { batchFirst: true });
    m.eval();
    const x = torch.randn([3, 5, 4]);
    const [out, w] = m.forward(x, x, x);
    expect(out.shape).toEqual([3, 5, 4]);
    expect(w?.shape).toEqual([3, 5, 5]);
    const [, none] = m.forward(x, x, x, { needWeights: false });
    expect(none).toBeNull();
    const [, perHead] = m.forward(x, x, x, { averageAttnWeights: false });
    expect(perHead?.shape).toEqual([3, 2, 5, 5]);
  });

  it("TransformerEncoderLayer: isCausal equals an explicit causal mask; a causal mask hides the future", () => {
    torch.manualSeed(0);
    const layer = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, batchFirst: true });
    const x = torch.randn([2, 5, 8]);
    const mask = nn.TransformerEncoder.generateSquareSubsequentMask(5);
    expect((L(mask) as number[][])[0]).toEqual([0, -Infinity, -Infinity, -Infinity, -Infinity]);
    const a = layer.forward(x, mask);
    const b = layer.forward(x, { isCausal: true });
    expect(L(a)).toEqual(L(b));
    // changing the last position does not change the first outputs
    const x2 = x.clone();
    torch.noGrad(() => x2.narrow(1, 4, 1).fill_(3));
    const c = layer.forward(x2, { isCausal: true });
    expect(L(c.narrow(1, 0, 4))).toEqual(L(a.narrow(1, 0, 4)));
  });

  it("ConvTranspose2d takes an outputSize", () => {
    const m = new nn.ConvTranspose2d(2, 3, 3, { stride: 2, padding: 1 });
    const x = torch.randn([1, 2, 4, 4]);
    expect((m.forward(x) as Tensor).shape).toEqual([1, 3, 7, 7]);
    expect((m.forward(x, [8, 8]) as Tensor).shape).toEqual([1, 3, 8, 8]);
    expect(() => m.forward(x, [10, 10])).toThrow(/valid sizes range from 7 to 8/);
  });

  it("LSTM/GRU/RNN shapes: batchFirst, bidirectional, projections, unbatched", () => {
    const lstm = new nn.LSTM(3, 6, { numLayers: 2, bidirectional: true, batchFirst: true, projSize: 2 });
    const [out, [h, c]] = lstm.forward(torch.randn([4, 5, 3]));
    expect(out.shape).toEqual([4, 5, 4]);
    expect(h.shape).toEqual([4, 4, 2]);
    expect(c.shape).toEqual([4, 4, 6]);
    const gru = new nn.GRU(3, 4);
    const [o2, h2] = gru.forward(torch.randn([7, 3]));
    expect(o2.shape).toEqual([7, 4]);
    expect(h2.shape).toEqual([1, 4]);
    expect(() => gru.forward(torch.randn([7, 2, 5]))).toThrow(/input_size/);
  });

  it("MaxPool2d returns indices when asked; Embedding.fromPretrained freezes", () => {
    const [y, i] = new nn.MaxPool2d(2, { returnIndices: true }).forward(
      torch.arange(16, { dtype: "float32" }).reshape([1, 1, 4, 4]),
    ) as [Tensor, Tensor];
    expect(L(y)).toEqual([
      [
        [
          [5, 7],
          [13, 15],
        ],
      ],
    ]);
    expect(L(i)).toEqual([
      [
        [
          [5, 7],
          [13, 15],
        ],
      ],
    ]);
    const e = nn.Embedding.fromPretrained(
      torch.tensor(
        [
          [1, 2],
          [3, 4],
        ],
        { dtype: "float32" },
      ),
    );
    expect(e.weight.requiresGrad).toBe(false);
    expect(L(e.forward(torch.tensor([1, 0])))).toEqual([
      [3, 4],
      [1, 2],
    ]);
  });
});

describe("memory", () => {
  it("a training step inside tidy leaves no tensors behind (BatchNorm, LayerNorm, Dropout, LSTM, attention)", () => {
    torch.manualSeed(0);
    const m = new nn.Sequential(
      new nn.Linear(6, 8),
      new nn.BatchNorm1d(8),
      new nn.ReLU(),
      new nn.Dropout(0.2),
      new nn.LayerNorm(8),
    );
    const attn = new nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true });
    const lstm = new nn.LSTM(8, 4);
    const params = [...m.parameters(), ...attn.parameters(), ...lstm.parameters()];
    const opt = new torch.optim.SGD(params, { lr: 0.01, momentum: 0.9 });
    const step = () =>
      torch.tidy(() => {
        opt.zeroGrad();
        const h = m.forward(torch.randn([12, 6])) as Tensor;
        const a = attn.forward(h.reshape([3, 4, 8]));
        const [o] = lstm.forward(a);
        o.sum().backward();
        opt.step();
      });
    step();
    const live = () => torch.memoryStats().cpu?.tensors ?? 0;
    const before = live();
    for (let i = 0; i < 3; i++) step();
    expect(live()).toBe(before);
  });
});

describe("errors name the op and the shapes", () => {
  it("linear, conv, embedding, layer_norm, batch_norm", () => {
    expect(() => new nn.Linear(4, 2).forward(torch.randn([3, 5]))).toThrow(
      /mat1 and mat2 shapes cannot be multiplied \(3x5 and 4x2\)/,
    );
    expect(() => new nn.Conv2d(3, 4, 3).forward(torch.randn([1, 2, 5, 5]))).toThrow(/expected input .* to have 3 channels/);
    expect(() => new nn.Embedding(5, 2).forward(torch.tensor([0.5]))).toThrow(/Long, Int/);
    expect(() => new nn.LayerNorm(4).forward(torch.randn([2, 5]))).toThrow(/normalized_shape/);
    expect(() => new nn.BatchNorm2d(3).forward(torch.randn([2, 3, 4]))).toThrow(/expected 4D input/);
    expect(() => new nn.BatchNorm1d(3).forward(torch.randn([1, 3]))).toThrow(/more than 1 value per channel/);
    expect(() => new nn.MultiheadAttention(5, 2)).toThrow(/divisible by num_heads/);
    expect(() => new nn.Dropout(1.5)).toThrow(/between 0 and 1/);
  });
});

describe("functional ops", () => {
  it("pad: constant (incl. negative), reflect, replicate, circular", () => {
    const x = torch.arange(1, 5, { dtype: "float32" }).reshape([1, 4]);
    expect(L(F.pad(x, [2, 1]))).toEqual([[0, 0, 1, 2, 3, 4, 0]]);
    expect(L(F.pad(x, [1, -2], "constant", 9))).toEqual([[9, 1, 2]]);
    expect(L(F.pad(x, [2, 2], "reflect"))).toEqual([[3, 2, 1, 2, 3, 4, 3, 2]]);
    expect(L(F.pad(x, [2, 1], "replicate"))).toEqual([[1, 1, 1, 2, 3, 4, 4]]);
    expect(L(F.pad(x, [1, 2], "circular"))).toEqual([[4, 1, 2, 3, 4, 1, 2]]);
    expect(() => F.pad(x, [4, 0], "reflect")).toThrow(/less than the corresponding input dimension/);
  });

  it("scaledDotProductAttention: causal equals an explicit mask; a bool mask selects (PyTorch 2.x semantics)", () => {
    torch.manualSeed(0);
    const [q, k, v] = [torch.randn([2, 4, 3]), torch.randn([2, 4, 3]), torch.randn([2, 4, 3])];
    const causal = F.scaledDotProductAttention(q, k, v, { isCausal: true });
    const allowed = torch.ones([4, 4], { dtype: "bool" }).tril();
    expect(L(F.scaledDotProductAttention(q, k, v, { attnMask: allowed }))).toEqual(L(causal));
    expect(L(causal.narrow(1, 0, 1))).toEqual(L(v.narrow(1, 0, 1)));
  });
});

describe("gradients (float64 gradcheck)", () => {
  const check = (fn: (...xs: Tensor[]) => Tensor, ...inputs: Tensor[]) =>
    expect(torch.autograd.gradcheck(fn, inputs, { atol: 1e-6, rtol: 1e-4 })).toBe(true);

  it("linear, bilinear", () => {
    check((x, w, b) => F.linear(x, w, b), randn64(3, 4), randn64(2, 4), randn64(2));
    check((x, w, b) => F.linear(x, w, b), randn64(2, 3, 4), randn64(2, 4), randn64(2));
    check((a, b, w, c) => F.bilinear(a, b, w, c), randn64(3, 2), randn64(3, 4), randn64(5, 2, 4), randn64(5));
  });

  it("batch_norm in training ([N, C] and [N, C, H, W]) and evaluation", () => {
    check((x, w, b) => F.batchNorm(x, null, null, w, b, true), randn64(5, 3), randn64(3), randn64(3));
    check((x, w, b) => F.batchNorm(x, null, null, w, b, true), randn64(2, 3, 4, 3), randn64(3), randn64(3));
    const rm = torch.randn([3], f64);
    const rv = torch.rand([3], f64).add(0.5);
    check((x, w, b) => F.batchNorm(x, rm, rv, w, b, false), randn64(2, 3, 5), randn64(3), randn64(3));
  });

  it("layer_norm, group_norm", () => {
    check((x, w, b) => F.layerNorm(x, [4], w, b), randn64(3, 4), randn64(4), randn64(4));
    check((x, w, b) => F.groupNorm(x, 2, w, b), randn64(2, 4, 3), randn64(4), randn64(4));
  });

  it("leaky_relu, elu, hardtanh, logsigmoid", () => {
    const x = () => torch.tensor([-1.5, -0.3, 0.2, 0.9, 1.7], f64).requiresGrad_(true);
    check((t) => F.leakyRelu(t, 0.1), x());
    check((t) => F.elu(t, 0.7), x());
    check((t) => F.hardtanh(t, -1, 1), x());
    check((t) => F.logsigmoid(t), x());
  });

  it("embedding (the padding row gets no gradient, as PyTorch: not the numerical one)", () => {
    const w = randn64(5, 3);
    const idx = torch.tensor([
      [0, 2],
      [4, 2],
    ]);
    check((t) => F.embedding(idx, t), w);
    const [g] = torch.autograd.grad([F.embedding(idx, w, { paddingIdx: 2 }).sum()], [w]);
    expect(L(g?.select(0, 2))).toEqual([0, 0, 0]);
  });

  it("conv_transpose2d, pad (reflect)", () => {
    check(
      (x, w, b) => F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }),
      randn64(1, 2, 3, 3),
      randn64(2, 3, 3, 3),
      randn64(3),
    );
    check((x) => F.pad(x, [2, 1, 1, 1], "reflect"), randn64(1, 1, 3, 4));
  });

  it("multi-head attention", () => {
    const m = new nn.MultiheadAttention(4, 2, f64);
    m.eval();
    check((x) => m.forward(x, x, x)[0], randn64(3, 2, 4));
  });
});
