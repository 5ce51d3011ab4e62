#!/usr/bin/python3
"""Golden vectors for lockstep's nn layers and nn.init, from Debian's PyTorch 1.13.1 on CPU.

    /usr/bin/python3 tools/golden/gen_nn.py [--out test-vectors/nn] [--only FILE ...]

Files (test-vectors/nn/):

  layers.json   forward outputs and gradients of every layer with fixed weights (loaded into both
                sides), train and eval modes, several steps where state changes (BatchNorm's
                running statistics), dropout masks after a fixed torch.manual_seed
  sums.json     x.sum(0) of x = torch.randn(shape) after torch.manual_seed(seed) (inputs regenerated
                by lockstep's bit-exact randn): PyTorch's cascade order for column sums
  train.json    end-to-end SGD steps of an MLP (and one with BatchNorm1d + Dropout) after
                torch.manual_seed(seed), default init, randn inputs: logits, the loss gradient fed
                back, parameter gradients per step, the final state dict
  init.json     default initialisation: every parameter and buffer after torch.manual_seed(s) and
                the layer's constructor, plus the next torch.rand(4) (checks how many numbers the
                initialisation drew); and the nn.init functions on fixed shapes

layers.json CASE:
  {"id": "Linear/basic/0",
   "module": "Linear",                   // torch.nn.<module>
   "args": [...], "kwargs": {...},       // constructor arguments (PyTorch names; `args` positional)
   "repr": "Linear(in_features=5, ...)", // repr(module)
   "keys": [[name, [shape...], dtype], ...],  // state_dict order, shapes, dtypes
   "state": {name: T},                   // the state_dict loaded before the first step
   "train": true,                        // module.train(train)
   "steps": [STEP, ...]}
  STEP:
  {"inputs": [ARG, ...],                 // forward's positional arguments: a T, null, a nested list
                                         // (LSTM's (h0, c0)), or {"same": i} (the same tensor object
                                         // as input i: MultiheadAttention's self-attention path)
   "call_kwargs": {...},                 // forward's keyword arguments (tensors as T)
   "seed": 1234 | null,                  // torch.manual_seed(seed) right before forward (dropout)
   "out": [T | null, ...],               // the output flattened depth-first (tuples/lists)
   "grad_out": [T | null, ...],          // upstream gradient per output (null: not differentiable)
   "grads": {"input.0": T, "param:weight": T, ...},  // d(Σ out·grad_out)/d(x) for floating inputs
                                         // and every parameter (autograd.grad; missing = not reached)
   "buffers": {name: T}}                 // every buffer after the step

init.json CASE (module): {"id", "module", "args", "kwargs", "seed", "state": {name: T | BIG}, "after": T}
   BIG (tensors of more than 4096 elements): {"dtype", "shape", "sha256": hex digest of the
   contiguous little-endian bytes, "head": T of the first 64 elements (flattened)}
init.json CASE (function): {"id", "fn": "kaiming_uniform_", "shape": [...], "dtype", "args": [...],
   "kwargs": {...}, "seed", "out": T, "after": T}     // nn.init.<fn>(torch.empty(shape), *args, **kwargs)
init.json CASE (gain): {"id", "fn": "calculate_gain", "args": [...], "out": number}

Tensors: common.py's encoding (exact bits). Deterministic: inputs come from a generator seeded with
crc32("nn:<case id>"), weights from torch.manual_seed(crc32(...)) and the layer's own init, then
perturbed; PyTorch runs single-threaded.
"""

import argparse
import math
import os
import sys
import warnings

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import encode_tensor, encode_value, stable_seed, write_cases  # noqa: E402

torch.set_num_threads(1)
warnings.filterwarnings("ignore")

GEN = "tools/golden/gen_nn.py"
f32, f64, i64 = torch.float32, torch.float64, torch.int64
NAN, INF = float("nan"), float("inf")


class R:
    """Input factory for one case (its own generator)."""

    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)

    def randn(self, *shape, dtype=f32, scale=1.0):
        return (torch.randn(shape, generator=self.g, dtype=f64) * scale).to(dtype)

    def uniform(self, lo, hi, *shape, dtype=f32):
        return (torch.rand(shape, generator=self.g, dtype=f64) * (hi - lo) + lo).to(dtype)

    def randint(self, lo, hi, *shape):
        return torch.randint(lo, hi, shape, generator=self.g, dtype=i64)

    def bools(self, p, *shape):
        return torch.rand(shape, generator=self.g, dtype=f64) < p


def flatten(x):
    if isinstance(x, torch.Tensor):
        return [x]
    if x is None:
        return [None]
    if isinstance(x, (list, tuple)):
        out = []
        for v in x:
            out += flatten(v)
        return out
    raise TypeError(x)


def enc(t):
    return None if t is None else encode_tensor(t, True)


def enc_out(t):
    return None if t is None else encode_tensor(t, False)


def encode_inputs(inputs):
    """Inputs as ARGs; repeated tensor objects become {"same": i} (top-level positions)."""
    out = []
    for i, x in enumerate(inputs):
        same = next((j for j in range(i) if inputs[j] is x and isinstance(x, torch.Tensor)), None)
        if same is not None:
            out.append({"same": same})
        elif isinstance(x, (list, tuple)):
            out.append([enc(v) for v in x])
        else:
            out.append(enc(x))
    return out


def float_leaves(inputs):
    """(name, tensor) for every floating input tensor (depth-first), made to require grad."""
    out = []
    seen = set()
    for i, x in enumerate(inputs):
        items = [(f"input.{i}", x)] if not isinstance(x, (list, tuple)) else [(f"input.{i}.{j}", v) for j, v in enumerate(x)]
        for name, t in items:
            if isinstance(t, torch.Tensor) and t.is_floating_point() and id(t) not in seen:
                seen.add(id(t))
                out.append((name, t))
    return out


def perturb(m, r, norm_like):
    """Give parameters non-default values (norm weights around 1, biases around 0)."""
    with torch.no_grad():
        for name, p in m.named_parameters():
            if norm_like and name.endswith("weight") and p.dim() == 1:
                p.copy_(1 + 0.3 * r.randn(*p.shape, dtype=p.dtype))
            elif name.endswith("bias") and (p == 0).all():
                p.copy_(0.2 * r.randn(*p.shape, dtype=p.dtype))


def layer_case(cid, ctor, args, kwargs, make_inputs, train=True, steps=1, call_kwargs=None,
               dropout_seed=False, norm_like=False, dtype=None, post=None):
    seed = stable_seed("nn:" + cid)
    r = R(seed)
    torch.manual_seed(seed)
    m = ctor(*args, **kwargs)
    perturb(m, r, norm_like)
    if post:
        post(m, r)
    m.train(train)
    state = {k: enc(v) for k, v in m.state_dict().items()}
    case = {
        "id": cid,
        "module": ctor.__name__,
        "args": encode_value(args, strict_floats=False),
        "kwargs": encode_value(kwargs, strict_floats=False),
        "repr": repr(m),
        "keys": [[k, list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in m.state_dict().items()],
        "state": state,
        "train": train,
        "steps": [],
    }
    params = list(m.named_parameters())
    for s in range(steps):
        inputs = make_inputs(r)
        ck = call_kwargs(r) if callable(call_kwargs) else (call_kwargs or {})
        leaves = float_leaves(inputs)
        for _, t in leaves:
            t.requires_grad_(True)
        dseed = stable_seed(f"nn:{cid}/dropout/{s}") if dropout_seed else None
        if dseed is not None:
            torch.manual_seed(dseed)
        out = m(*inputs, **ck)
        outs = flatten(out)
        gr = R(stable_seed(f"nn:{cid}/grad_out/{s}"))
        grad_out = [gr.randn(*o.shape, dtype=o.dtype) if (o is not None and o.requires_grad) else None for o in outs]
        roots = [(o, g) for o, g in zip(outs, grad_out) if g is not None]
        wrt = [t for _, t in leaves] + [p for _, p in params]
        names = [n for n, _ in leaves] + ["param:" + n for n, _ in params]
        grads = {}
        if roots and wrt:
            gs = torch.autograd.grad([o for o, _ in roots], wrt, [g for _, g in roots], allow_unused=True)
            for n, g in zip(names, gs):
                if g is not None:
                    grads[n] = enc_out(g)
        case["steps"].append({
            "inputs": encode_inputs(inputs),
            "call_kwargs": {k: (enc(v) if isinstance(v, torch.Tensor) else encode_value(v)) for k, v in ck.items()},
            "seed": dseed,
            "out": [enc_out(o) for o in outs],
            "grad_out": [enc_out(g) for g in grad_out],
            "grads": grads,
            "buffers": {k: enc_out(b) for k, b in m.named_buffers()},
        })
    return case


# ----------------------------------------------------------------------------------------------
# layers


def layer_cases():
    C = []
    add = C.append

    # -- structural
    add(layer_case("Identity/0", nn.Identity, [], {}, lambda r: [r.randn(2, 3)]))
    add(layer_case("Flatten/default/0", nn.Flatten, [], {}, lambda r: [r.randn(2, 3, 2, 2)]))
    add(layer_case("Flatten/dims/0", nn.Flatten, [0, 2], {}, lambda r: [r.randn(2, 3, 2, 2)]))
    add(layer_case("Unflatten/0", nn.Unflatten, [1, (2, 3)], {}, lambda r: [r.randn(4, 6)]))

    # -- linear
    add(layer_case("Linear/basic/0", nn.Linear, [5, 3], {}, lambda r: [r.randn(4, 5)]))
    add(layer_case("Linear/nobias/0", nn.Linear, [5, 3], {"bias": False}, lambda r: [r.randn(4, 5)]))
    add(layer_case("Linear/3d/0", nn.Linear, [6, 4], {}, lambda r: [r.randn(2, 3, 6)]))
    add(layer_case("Linear/1d/0", nn.Linear, [6, 4], {}, lambda r: [r.randn(6)]))
    add(layer_case("Linear/batch1/0", nn.Linear, [7, 5], {}, lambda r: [r.randn(1, 7)]))
    add(layer_case("Linear/out1/0", nn.Linear, [7, 1], {}, lambda r: [r.randn(5, 7)]))
    add(layer_case("Linear/large/0", nn.Linear, [33, 17], {}, lambda r: [r.randn(40, 33)]))
    add(layer_case("Linear/f64/0", nn.Linear, [5, 3], {"dtype": f64}, lambda r: [r.randn(4, 5, dtype=f64)]))
    add(layer_case("Bilinear/0", nn.Bilinear, [3, 4, 2], {}, lambda r: [r.randn(5, 3), r.randn(5, 4)]))
    add(layer_case("Bilinear/nobias/0", nn.Bilinear, [3, 2, 4], {"bias": False}, lambda r: [r.randn(2, 3, 3), r.randn(2, 3, 2)]))

    # -- convolution
    add(layer_case("Conv1d/0", nn.Conv1d, [2, 3, 3], {"stride": 2, "padding": 1}, lambda r: [r.randn(2, 2, 9)]))
    add(layer_case("Conv2d/basic/0", nn.Conv2d, [2, 4, 3], {"padding": 1}, lambda r: [r.randn(2, 2, 6, 5)]))
    add(layer_case("Conv2d/groups/0", nn.Conv2d, [4, 6, (3, 2)], {"groups": 2, "stride": (2, 1), "dilation": (1, 2), "bias": False},
                   lambda r: [r.randn(2, 4, 7, 6)]))
    add(layer_case("Conv2d/same/0", nn.Conv2d, [3, 2, 4], {"padding": "same"}, lambda r: [r.randn(1, 3, 6, 6)]))
    for mode in ["reflect", "replicate", "circular"]:
        add(layer_case(f"Conv2d/{mode}/0", nn.Conv2d, [2, 3, 3], {"padding": (1, 2), "padding_mode": mode}, lambda r: [r.randn(2, 2, 5, 6)]))
    add(layer_case("Conv2d/unbatched/0", nn.Conv2d, [2, 3, 2], {}, lambda r: [r.randn(2, 4, 4)]))
    add(layer_case("ConvTranspose2d/basic/0", nn.ConvTranspose2d, [3, 2, 3], {"stride": 2, "padding": 1, "output_padding": 1},
                   lambda r: [r.randn(2, 3, 4, 3)]))
    add(layer_case("ConvTranspose2d/groups/0", nn.ConvTranspose2d, [4, 6, (2, 3)], {"groups": 2, "dilation": (2, 1), "bias": False},
                   lambda r: [r.randn(1, 4, 3, 4)]))
    add(layer_case("ConvTranspose2d/pad/0", nn.ConvTranspose2d, [2, 2, 3], {"stride": (1, 3), "padding": (2, 1)},
                   lambda r: [r.randn(2, 2, 5, 4)]))
    add(layer_case("ConvTranspose1d/0", nn.ConvTranspose1d, [2, 3, 4], {"stride": 3, "padding": 1}, lambda r: [r.randn(2, 2, 5)]))

    # -- pooling
    add(layer_case("MaxPool2d/0", nn.MaxPool2d, [2], {}, lambda r: [r.randn(2, 3, 6, 5)]))
    add(layer_case("MaxPool2d/opts/0", nn.MaxPool2d, [3], {"stride": 2, "padding": 1, "ceil_mode": True}, lambda r: [r.randn(1, 2, 7, 6)]))
    add(layer_case("MaxPool2d/indices/0", nn.MaxPool2d, [(2, 3)], {"return_indices": True}, lambda r: [r.randn(1, 2, 4, 6)]))
    add(layer_case("AvgPool2d/0", nn.AvgPool2d, [2], {}, lambda r: [r.randn(2, 3, 6, 4)]))
    add(layer_case("AvgPool2d/opts/0", nn.AvgPool2d, [3], {"stride": 2, "padding": 1, "count_include_pad": False}, lambda r: [r.randn(1, 2, 7, 6)]))
    add(layer_case("AdaptiveAvgPool2d/0", nn.AdaptiveAvgPool2d, [(3, 2)], {}, lambda r: [r.randn(2, 2, 7, 5)]))
    add(layer_case("AdaptiveAvgPool2d/1/0", nn.AdaptiveAvgPool2d, [1], {}, lambda r: [r.randn(2, 3, 4, 4)]))

    # -- normalisation
    add(layer_case("BatchNorm1d/2d/0", nn.BatchNorm1d, [4], {}, lambda r: [r.randn(6, 4, scale=2.0)], steps=3, norm_like=True))
    add(layer_case("BatchNorm1d/3d/0", nn.BatchNorm1d, [3], {}, lambda r: [r.randn(4, 3, 5)], steps=3, norm_like=True))
    add(layer_case("BatchNorm1d/eval/0", nn.BatchNorm1d, [4], {}, lambda r: [r.randn(6, 4)], train=False, norm_like=True,
                   post=lambda m, r: (m.running_mean.copy_(r.randn(4) * 0.3), m.running_var.copy_(r.uniform(0.5, 2.0, 4)))))
    add(layer_case("BatchNorm2d/0", nn.BatchNorm2d, [3], {}, lambda r: [r.randn(2, 3, 4, 5, scale=1.5)], steps=3, norm_like=True))
    add(layer_case("BatchNorm2d/big/0", nn.BatchNorm2d, [2], {}, lambda r: [r.randn(8, 2, 9, 7)], steps=2, norm_like=True))
    add(layer_case("BatchNorm2d/momentum_none/0", nn.BatchNorm2d, [2], {"momentum": None}, lambda r: [r.randn(3, 2, 3, 3)], steps=3, norm_like=True))
    add(layer_case("BatchNorm2d/noaffine/0", nn.BatchNorm2d, [2], {"affine": False, "momentum": 0.3}, lambda r: [r.randn(2, 2, 3, 4)], steps=2))
    add(layer_case("BatchNorm2d/notrack/0", nn.BatchNorm2d, [2], {"track_running_stats": False}, lambda r: [r.randn(2, 2, 3, 4)], steps=2, norm_like=True))
    add(layer_case("BatchNorm2d/notrack_eval/0", nn.BatchNorm2d, [2], {"track_running_stats": False}, lambda r: [r.randn(2, 2, 3, 4)], train=False, norm_like=True))
    add(layer_case("BatchNorm2d/eval/0", nn.BatchNorm2d, [3], {"eps": 1e-3}, lambda r: [r.randn(2, 3, 4, 4)], train=False, norm_like=True,
                   post=lambda m, r: (m.running_mean.copy_(r.randn(3) * 0.3), m.running_var.copy_(r.uniform(0.5, 2.0, 3)))))
    add(layer_case("BatchNorm2d/f64/0", nn.BatchNorm2d, [2], {"dtype": f64}, lambda r: [r.randn(2, 2, 3, 3, dtype=f64)], steps=2, norm_like=True))
    add(layer_case("LayerNorm/0", nn.LayerNorm, [6], {}, lambda r: [r.randn(3, 6, scale=2.0)], norm_like=True))
    add(layer_case("LayerNorm/2d/0", nn.LayerNorm, [(3, 4)], {"eps": 1e-3}, lambda r: [r.randn(2, 3, 4)], norm_like=True))
    add(layer_case("LayerNorm/big/0", nn.LayerNorm, [40], {}, lambda r: [r.randn(5, 40)], norm_like=True))
    add(layer_case("LayerNorm/noaffine/0", nn.LayerNorm, [5], {"elementwise_affine": False}, lambda r: [r.randn(2, 3, 5)]))
    add(layer_case("GroupNorm/0", nn.GroupNorm, [2, 4], {}, lambda r: [r.randn(3, 4, 5)], norm_like=True))
    add(layer_case("GroupNorm/4d/0", nn.GroupNorm, [3, 6], {"eps": 1e-4}, lambda r: [r.randn(2, 6, 3, 3)], norm_like=True))
    add(layer_case("GroupNorm/noaffine/0", nn.GroupNorm, [1, 3], {"affine": False}, lambda r: [r.randn(2, 3, 4)]))

    # -- dropout
    add(layer_case("Dropout/train/0", nn.Dropout, [0.3], {}, lambda r: [r.randn(4, 7)], dropout_seed=True, steps=2))
    add(layer_case("Dropout/train_big/0", nn.Dropout, [0.5], {}, lambda r: [r.randn(3, 40)], dropout_seed=True))
    add(layer_case("Dropout/eval/0", nn.Dropout, [0.3], {}, lambda r: [r.randn(4, 7)], train=False))
    add(layer_case("Dropout2d/train/0", nn.Dropout2d, [0.4], {}, lambda r: [r.randn(3, 5, 2, 3)], dropout_seed=True))
    add(layer_case("Dropout1d/train/0", nn.Dropout1d, [0.4], {}, lambda r: [r.randn(3, 5, 4)], dropout_seed=True))

    # -- embedding
    add(layer_case("Embedding/0", nn.Embedding, [10, 4], {}, lambda r: [torch.tensor([[1, 2, 4, 5], [4, 3, 2, 9]])]))
    add(layer_case("Embedding/padding/0", nn.Embedding, [10, 3], {"padding_idx": 0},
                   lambda r: [torch.tensor([[0, 2, 0, 5], [2, 2, 2, 9]])]))
    add(layer_case("Embedding/padding_neg/0", nn.Embedding, [6, 3], {"padding_idx": -1}, lambda r: [torch.tensor([5, 1, 5, 0, 1])]))
    add(layer_case("Embedding/freq/0", nn.Embedding, [5, 2], {"scale_grad_by_freq": True}, lambda r: [torch.tensor([1, 3, 1, 1, 4, 3])]))
    add(layer_case("Embedding/maxnorm/0", nn.Embedding, [6, 3], {"max_norm": 1.5}, lambda r: [torch.tensor([[0, 2], [5, 2]])]))

    # -- recurrent
    add(layer_case("RNN/tanh/0", nn.RNN, [3, 4], {}, lambda r: [r.randn(5, 2, 3)]))
    add(layer_case("RNN/relu_h0/0", nn.RNN, [3, 4], {"nonlinearity": "relu", "num_layers": 2},
                   lambda r: [r.randn(4, 2, 3), r.randn(2, 2, 4)]))
    add(layer_case("RNN/bidir_bf/0", nn.RNN, [3, 2], {"bidirectional": True, "batch_first": True, "bias": False},
                   lambda r: [r.randn(2, 4, 3)]))
    add(layer_case("RNN/unbatched/0", nn.RNN, [3, 4], {}, lambda r: [r.randn(5, 3), r.randn(1, 4)]))
    add(layer_case("LSTM/0", nn.LSTM, [3, 4], {}, lambda r: [r.randn(5, 2, 3)]))
    add(layer_case("LSTM/deep/0", nn.LSTM, [3, 5], {"num_layers": 2, "bidirectional": True},
                   lambda r: [r.randn(4, 3, 3), (r.randn(4, 3, 5), r.randn(4, 3, 5))]))
    add(layer_case("LSTM/proj_bf/0", nn.LSTM, [4, 6], {"proj_size": 3, "batch_first": True}, lambda r: [r.randn(2, 5, 4)]))
    add(layer_case("LSTM/dropout/0", nn.LSTM, [3, 4], {"num_layers": 3, "dropout": 0.4}, lambda r: [r.randn(4, 2, 3)], dropout_seed=True))
    add(layer_case("GRU/0", nn.GRU, [3, 4], {}, lambda r: [r.randn(5, 2, 3)]))
    add(layer_case("GRU/deep/0", nn.GRU, [2, 3], {"num_layers": 2, "bidirectional": True, "batch_first": True},
                   lambda r: [r.randn(3, 4, 2), r.randn(4, 3, 3)]))

    # -- attention
    def self_attn(shape):
        def make(r):
            x = r.randn(*shape)
            return [x, x, x]
        return make

    add(layer_case("MultiheadAttention/self/0", nn.MultiheadAttention, [8, 2], {}, self_attn((3, 2, 8)), train=False))
    add(layer_case("MultiheadAttention/self_bf/0", nn.MultiheadAttention, [8, 4], {"batch_first": True}, self_attn((2, 5, 8)), train=False))
    add(layer_case("MultiheadAttention/masks/0", nn.MultiheadAttention, [6, 3], {}, self_attn((4, 2, 6)), train=False,
                   call_kwargs=lambda r: {"attn_mask": torch.triu(torch.ones(4, 4, dtype=torch.bool), 1),
                                          "key_padding_mask": torch.tensor([[False, False, False, True], [False, False, False, False]])}))
    add(layer_case("MultiheadAttention/floatmask/0", nn.MultiheadAttention, [4, 2], {}, self_attn((3, 2, 4)), train=False,
                   call_kwargs=lambda r: {"attn_mask": r.randn(4, 3, 3), "need_weights": True, "average_attn_weights": False}))
    add(layer_case("MultiheadAttention/crossattn/0", nn.MultiheadAttention, [6, 2], {}, lambda r: [r.randn(3, 2, 6), r.randn(5, 2, 6), r.randn(5, 2, 6)],
                   train=False))
    add(layer_case("MultiheadAttention/kv_same/0", nn.MultiheadAttention, [6, 2], {},
                   lambda r: (lambda kv: [r.randn(3, 2, 6), kv, kv])(r.randn(4, 2, 6)), train=False))
    add(layer_case("MultiheadAttention/kvdim/0", nn.MultiheadAttention, [6, 3], {"kdim": 4, "vdim": 5, "add_bias_kv": True, "add_zero_attn": True},
                   lambda r: [r.randn(3, 2, 6), r.randn(4, 2, 4), r.randn(4, 2, 5)], train=False,
                   call_kwargs=lambda r: {"key_padding_mask": torch.tensor([[False, True, False, False], [False, False, False, False]])}))
    add(layer_case("MultiheadAttention/unbatched/0", nn.MultiheadAttention, [4, 1], {"bias": False}, self_attn((3, 4)), train=False,
                   call_kwargs={"need_weights": False}))
    add(layer_case("MultiheadAttention/dropout/0", nn.MultiheadAttention, [8, 2], {"dropout": 0.3}, self_attn((4, 2, 8)), train=True,
                   dropout_seed=True))

    add(layer_case("TransformerEncoderLayer/0", nn.TransformerEncoderLayer, [8, 2], {"dim_feedforward": 16, "dropout": 0.0},
                   lambda r: [r.randn(4, 2, 8)], norm_like=True))
    add(layer_case("TransformerEncoderLayer/causal/0", nn.TransformerEncoderLayer, [8, 2],
                   {"dim_feedforward": 12, "dropout": 0.0, "batch_first": True, "activation": "gelu"},
                   lambda r: [r.randn(2, 5, 8)], norm_like=True,
                   call_kwargs=lambda r: {"src_mask": torch.triu(torch.full((5, 5), float("-inf")), diagonal=1),
                                          "src_key_padding_mask": torch.tensor([[False] * 5, [False, False, False, True, True]])}))
    add(layer_case("TransformerEncoderLayer/normfirst/0", nn.TransformerEncoderLayer, [6, 3], {"dim_feedforward": 10, "dropout": 0.0, "norm_first": True},
                   lambda r: [r.randn(3, 2, 6)], norm_like=True, train=False))
    add(layer_case("TransformerEncoderLayer/dropout/0", nn.TransformerEncoderLayer, [8, 2], {"dim_feedforward": 16, "dropout": 0.2},
                   lambda r: [r.randn(3, 2, 8)], norm_like=True, dropout_seed=True))
    add(layer_case("TransformerEncoder/0", lambda **k: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0), 2,
                                                                              norm=nn.LayerNorm(8)),
                   [], {}, lambda r: [r.randn(5, 2, 8)], norm_like=True,
                   call_kwargs=lambda r: {"mask": torch.triu(torch.full((5, 5), float("-inf")), diagonal=1)}))
    C[-1]["module"] = "TransformerEncoder"
    C[-1]["args"] = [{"layer": {"d_model": 8, "nhead": 2, "dim_feedforward": 16, "dropout": 0.0}}, 2]
    C[-1]["kwargs"] = {"norm": {"LayerNorm": 8}}

    # -- activations (special values included)
    special = [NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1e-40, -1e-40, 3.0, -3.0, 6.0, 7.0, -25.0, 25.0, 1e-6, -1e-6, 0.7, -0.7]
    def act(r):
        return [torch.cat([torch.tensor(special, dtype=f32), r.randn(20, scale=3.0)]).reshape(1, 41)]
    for cid, ctor, args in [
        ("ReLU", nn.ReLU, []),
        ("LeakyReLU", nn.LeakyReLU, []),
        ("LeakyReLU/slope", nn.LeakyReLU, [0.2]),
        ("ELU", nn.ELU, []),
        ("ELU/alpha", nn.ELU, [0.7]),
        ("GELU", nn.GELU, []),
        ("GELU/tanh", nn.GELU, ["tanh"]),
        ("SiLU", nn.SiLU, []),
        ("Tanh", nn.Tanh, []),
        ("Sigmoid", nn.Sigmoid, []),
        ("Softplus", nn.Softplus, []),
        ("Softplus/beta", nn.Softplus, [2, 5]),
        ("Hardtanh", nn.Hardtanh, []),
        ("Hardtanh/range", nn.Hardtanh, [-0.5, 0.7]),
        ("ReLU6", nn.ReLU6, []),
        ("LogSigmoid", nn.LogSigmoid, []),
    ]:
        add(layer_case(f"{cid}/0", ctor, args, {}, act))
    add(layer_case("Softmax/0", nn.Softmax, [1], {}, lambda r: [r.randn(3, 5, scale=2.0)]))
    add(layer_case("Softmax/dim0/0", nn.Softmax, [0], {}, lambda r: [r.randn(3, 5, scale=2.0)]))
    add(layer_case("LogSoftmax/0", nn.LogSoftmax, [-1], {}, lambda r: [r.randn(2, 3, 4)]))
    return C


# ----------------------------------------------------------------------------------------------
# init


BIG = 4096


def enc_state(t):
    """Init goldens: exact bits; tensors above BIG elements as the SHA-256 of their little-endian
    contiguous bytes plus their first 64 elements (keeps the files small)."""
    if t.numel() <= BIG:
        return enc_out(t)
    import hashlib
    c = t.detach().contiguous()
    return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
            "sha256": hashlib.sha256(c.numpy().tobytes()).hexdigest(), "head": enc_out(c.reshape(-1)[:64])}


def module_init(cid, ctor, args, kwargs, seed, name=None):
    torch.manual_seed(seed)
    m = ctor(*args, **kwargs)
    after = torch.rand(4)
    return {
        "id": cid,
        "module": name or ctor.__name__,
        "args": encode_value(args, strict_floats=False),
        "kwargs": encode_value(kwargs, strict_floats=False),
        "seed": seed,
        "state": {k: enc_state(v) for k, v in m.state_dict().items()},
        "after": enc_out(after),
    }


def fn_init(cid, fn, shape, args, kwargs, seed, dtype=f32):
    torch.manual_seed(seed)
    t = torch.empty(shape, dtype=dtype)
    getattr(nn.init, fn)(t, *args, **kwargs)
    after = torch.rand(4)
    return {"id": cid, "fn": fn, "shape": list(shape), "dtype": str(dtype).replace("torch.", ""),
            "args": encode_value(args, strict_floats=False), "kwargs": encode_value(kwargs, strict_floats=False), "seed": seed,
            "out": enc_out(t), "after": enc_out(after)}


def init_cases():
    C = []
    add = C.append
    add(module_init("Linear/0", nn.Linear, [5, 3], {}, 0))
    add(module_init("Linear/big/0", nn.Linear, [784, 32], {}, 1))
    add(module_init("Linear/nobias/0", nn.Linear, [20, 7], {"bias": False}, 2))
    add(module_init("Linear/f64/0", nn.Linear, [6, 4], {"dtype": f64}, 3))
    add(module_init("Bilinear/0", nn.Bilinear, [3, 4, 2], {}, 4))
    add(module_init("Conv1d/0", nn.Conv1d, [2, 3, 3], {}, 5))
    add(module_init("Conv2d/0", nn.Conv2d, [1, 32, 3], {}, 6))
    add(module_init("Conv2d/groups/0", nn.Conv2d, [4, 6, (3, 2)], {"groups": 2, "bias": False}, 7))
    add(module_init("ConvTranspose2d/0", nn.ConvTranspose2d, [3, 4, 3], {"stride": 2}, 8))
    add(module_init("BatchNorm2d/0", nn.BatchNorm2d, [4], {}, 9))
    add(module_init("BatchNorm1d/notrack/0", nn.BatchNorm1d, [3], {"track_running_stats": False, "affine": False}, 9))
    add(module_init("LayerNorm/0", nn.LayerNorm, [(2, 3)], {}, 10))
    add(module_init("GroupNorm/0", nn.GroupNorm, [2, 4], {}, 10))
    add(module_init("Embedding/0", nn.Embedding, [10, 4], {"padding_idx": 2}, 11))
    add(module_init("Embedding/big/0", nn.Embedding, [50, 8], {}, 12))
    add(module_init("RNN/0", nn.RNN, [3, 4], {"num_layers": 2}, 13))
    add(module_init("LSTM/0", nn.LSTM, [3, 5], {"num_layers": 2, "bidirectional": True}, 14))
    add(module_init("LSTM/proj/0", nn.LSTM, [4, 6], {"proj_size": 2}, 15))
    add(module_init("GRU/0", nn.GRU, [3, 4], {"bias": False}, 16))
    add(module_init("MultiheadAttention/0", nn.MultiheadAttention, [8, 2], {}, 17))
    add(module_init("MultiheadAttention/kvdim/0", nn.MultiheadAttention, [6, 3], {"kdim": 4, "vdim": 5, "add_bias_kv": True}, 18))
    add(module_init("TransformerEncoderLayer/0", nn.TransformerEncoderLayer, [8, 2], {"dim_feedforward": 16}, 19))
    c = module_init("TransformerEncoder/0", lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16), 2,
                                                                       norm=nn.LayerNorm(8)), [], {}, 20, name="TransformerEncoder")
    c["args"] = [{"layer": {"d_model": 8, "nhead": 2, "dim_feedforward": 16}}, 2]
    c["kwargs"] = {"norm": {"LayerNorm": 8}}
    add(c)
    c = module_init("Sequential/mlp/0", lambda: nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)), [], {}, 0, name="Sequential")
    c["args"] = [["Linear", 784, 256], ["ReLU"], ["Linear", 256, 10]]
    add(c)

    add(fn_init("uniform_/0", "uniform_", [5, 7], [-0.5, 2.0], {}, 30))
    add(fn_init("normal_/0", "normal_", [6, 5], [0.5, 2.5], {}, 31))
    add(fn_init("normal_/small/0", "normal_", [3, 4], [], {}, 31))
    add(fn_init("constant_/0", "constant_", [2, 3], [0.25], {}, 32))
    add(fn_init("xavier_uniform_/0", "xavier_uniform_", [7, 9], [], {"gain": 1.5}, 33))
    add(fn_init("xavier_normal_/0", "xavier_normal_", [4, 3, 2, 2], [], {}, 34))
    add(fn_init("kaiming_uniform_/0", "kaiming_uniform_", [6, 4, 3], [], {"mode": "fan_out", "nonlinearity": "relu"}, 35))
    add(fn_init("kaiming_uniform_/a/0", "kaiming_uniform_", [6, 4], [0.1], {}, 35))
    add(fn_init("kaiming_normal_/0", "kaiming_normal_", [8, 5], [], {"nonlinearity": "relu"}, 36))
    add(fn_init("kaiming_normal_/f64/0", "kaiming_normal_", [8, 5], [], {}, 36, dtype=f64))
    add(fn_init("orthogonal_/tall/0", "orthogonal_", [6, 4], [], {}, 37))
    add(fn_init("orthogonal_/wide/0", "orthogonal_", [3, 7], [], {"gain": 2.0 + 0.5}, 38))
    add(fn_init("orthogonal_/square/0", "orthogonal_", [16, 16], [], {}, 39))
    add(fn_init("orthogonal_/3d/0", "orthogonal_", [4, 3, 2], [], {}, 40))
    add(fn_init("orthogonal_/f64/0", "orthogonal_", [5, 5], [], {}, 41, dtype=f64))
    add(fn_init("trunc_normal_/0", "trunc_normal_", [40, 50], [], {}, 44))
    add(fn_init("trunc_normal_/args/0", "trunc_normal_", [30, 20], [0.5, 0.25, 0.1, 0.9], {}, 45))
    add(fn_init("trunc_normal_/f64/0", "trunc_normal_", [20, 20], [], {"std": 0.02}, 46, dtype=f64))
    add(fn_init("eye_/0", "eye_", [3, 5], [], {}, 42))
    add(fn_init("dirac_/0", "dirac_", [4, 2, 3, 3], [], {}, 43))
    add(fn_init("dirac_/groups/0", "dirac_", [6, 2, 3], [2], {}, 43))
    for args in [["linear"], ["conv2d"], ["sigmoid"], ["tanh"], ["relu"], ["leaky_relu"], ["leaky_relu", 0.2], ["leaky_relu", math.sqrt(5)], ["selu"]]:
        add({"id": f"calculate_gain/{'/'.join(str(a) for a in args)}", "fn": "calculate_gain", "args": encode_value(args, strict_floats=False),
             "out": nn.init.calculate_gain(*args)})
    return C


def sum_cases():
    """Column sums x.sum(0) of x = torch.randn(shape) after torch.manual_seed(seed): PyTorch's
    cascade order for contiguous outer-dim sums (the bias gradient of Linear)."""
    C = []
    for i, (shape, dtype) in enumerate([((4, 3), f32), ((40, 17), f32), ((300, 40), f32), ((1000, 70), f32), ((4100, 33), f32),
                                        ((20000, 5), f32), ((70000, 2), f32), ((600000, 1), f32), ((3000, 65), f32),
                                        ((300, 17), f64), ((5000, 3), f64), ((2000, 9), f64), ((5, 1), f32), ((7, 1), f32),
                                        ((13, 1), f32), ((100, 1), f32), ((3, 1), f64), ((11, 1), f64), ((6, 2), f32), ((2, 9), f32)]):
        seed = 100 + i
        torch.manual_seed(seed)
        x = torch.randn(shape, dtype=dtype)
        C.append({"id": f"sum0/{shape[0]}x{shape[1]}/{str(dtype).replace('torch.', '')}", "seed": seed, "shape": list(shape),
                  "dtype": str(dtype).replace("torch.", ""), "out": enc_out(x.sum(0))})
    return C


def train_cases():
    """A few training steps end to end: torch.manual_seed(seed); the model's default init; then per
    step x = torch.randn([B, 1, 28, 28]), y = torch.randint(0, 10, [B]); logits = model(x); the loss
    is cross_entropy, but what is fed back is its gradient dlogits (recorded), so the check covers
    the layers alone; then SGD(lr, momentum).step(). Per step: logits, dlogits, every parameter's
    gradient, the loss (informative); at the end the state dict. Tensors in the BIG encoding."""
    C = []
    def mlp():
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    def mlp_bn():
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 10))
    for cid, make, arch, seed, batch, steps in [("mlp/0", mlp, "mlp", 0, 64, 3), ("mlp_bn_dropout/0", mlp_bn, "mlp_bn", 1, 32, 3)]:
        torch.manual_seed(seed)
        m = make()
        opt = torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9)
        recs = []
        for _ in range(steps):
            x = torch.randn(batch, 1, 28, 28)
            y = torch.randint(0, 10, (batch,))
            opt.zero_grad()
            logits = m(x)
            loss = torch.nn.functional.cross_entropy(logits, y)
            (dlogits,) = torch.autograd.grad(loss, [logits], retain_graph=True)
            logits.backward(dlogits)
            recs.append({"logits": enc_state(logits.detach()), "dlogits": enc_state(dlogits), "loss": enc_out(loss.detach()),
                         "grads": {n: enc_state(p.grad) for n, p in m.named_parameters()}})
            opt.step()
        C.append({"id": cid, "arch": arch, "seed": seed, "batch": batch, "lr": 0.05, "momentum": 0.9,
                  "steps": recs, "state": {k: enc_state(v) for k, v in m.state_dict().items()}})
    return C


FILES = {"layers": layer_cases, "init": init_cases, "sums": sum_cases, "train": train_cases}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test-vectors", "nn"))
    ap.add_argument("--only", nargs="*")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name, fn in FILES.items():
        if a.only and name not in a.only:
            continue
        cases = fn()
        write_cases(os.path.join(a.out, name + ".json"), GEN, cases)
        print(f"{name}.json: {len(cases)} cases")


if __name__ == "__main__":
    main()
