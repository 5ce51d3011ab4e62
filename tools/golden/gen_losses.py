#!/usr/bin/python3
"""Golden vectors for lockstep's losses and nn.utils gradient clipping, from Debian's PyTorch 1.13.1.

    /usr/bin/python3 tools/golden/gen_losses.py [--out test-vectors/losses] [-v]

Files (format as tools/golden/README.md; `op` is the PyTorch function, e.g.
"nn.functional.cross_entropy"):

  regression.json      mse_loss l1_loss smooth_l1_loss (beta) huber_loss (delta)
  classification.json  nll_loss cross_entropy (weight, ignore_index incl. all-ignored batches,
                       label_smoothing, probability targets, K-dim inputs [N, C, d1, ...])
  binary.json          binary_cross_entropy (weight, inputs exactly 0 and 1)
                       binary_cross_entropy_with_logits (weight, pos_weight, large logits)
  divergence.json      kl_div (log_target; reductions none/mean/sum/batchmean)
  embedding.json       triplet_margin_loss (margin, p, eps, swap) cosine_embedding_loss
                       margin_ranking_loss
  clip_grad.json       nn.utils.clip_grad_norm_ / clip_grad_value_ (see below)

Every loss case runs for float32 and float64 and each reduction. `grads` holds the gradient of
every floating tensor argument PyTorch differentiates (input, and target where PyTorch 1.13
implements it; class weights and pos_weight never), null for the others.

clip_grad.json cases:
  {"id", "op": "nn.utils.clip_grad_norm_" | "nn.utils.clip_grad_value_",
   "grads": [T | null, ...],            // each parameter's .grad before the call (null: no grad)
   "kwargs": {"max_norm", "norm_type", "error_if_nonfinite"} | {"clip_value"},
   "out": T | null,                     // the returned total norm (clip_grad_value_: null)
   "grads_after": [T | null, ...],      // each .grad after the call
   "error": null | "<PyTorch's message>"}

Deterministic: inputs come from a generator seeded with crc32("losses:<case id>"), the upstream
gradient from one seeded with crc32("losses:<case id>/grad_out").
"""

import argparse
import math
import os
import sys
import warnings

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import decode_tensor, encode_tensor, encode_value, stable_seed, write_cases  # noqa: E402

torch.set_num_threads(1)
warnings.filterwarnings("ignore")

GEN = "tools/golden/gen_losses.py"
f32, f64, i64, u8 = torch.float32, torch.float64, torch.int64, torch.uint8
DTYPES = [("f32", f32), ("f64", f64)]
REDS = ["none", "mean", "sum"]


class R:
    """Input factory for one case."""

    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)

    def randn(self, shape, dt, scale=1.0):
        return (torch.randn(shape, generator=self.g, dtype=f64) * scale).to(dt)

    def rand(self, shape, dt, lo=0.0, hi=1.0):
        return (torch.rand(shape, generator=self.g, dtype=f64) * (hi - lo) + lo).to(dt)

    def randint(self, lo, hi, shape, dt=i64):
        return torch.randint(lo, hi, shape, generator=self.g, dtype=dt)

    def signs(self, shape, dt):
        return (torch.randint(0, 2, shape, generator=self.g) * 2 - 1).to(dt)


class Group:
    def __init__(self, name):
        self.name = name
        self.cases = []
        self.ids = set()
        self.skipped = []

    def add(self, cid, op, make, grad_args=None):
        """make(r) -> (args, kwargs). grad_args: indices of args to differentiate (default: every
        floating tensor arg PyTorch can differentiate, found by trying)."""
        if cid in self.ids:
            raise ValueError("duplicate id " + cid)
        self.ids.add(cid)
        r = R(stable_seed("losses:" + cid))
        args, kwargs = make(r)
        try:
            self.cases.append(self._run(cid, op, list(args), dict(kwargs), grad_args))
        except Exception as e:  # noqa: BLE001 - PyTorch rejected it: not a case
            self.skipped.append((cid, "%s: %s" % (type(e).__name__, str(e).splitlines()[0][:200])))

    def _run(self, cid, op, args, kwargs, grad_args):
        fn = resolve(op)
        enc_args = encode_value(args)
        enc_kwargs = encode_value(kwargs)
        floats = [i for i, a in enumerate(args) if isinstance(a, torch.Tensor) and a.is_floating_point()]
        tries = [grad_args] if grad_args is not None else [floats, floats[:1], []]
        last = None
        for want in tries:
            leaves = [a.detach().requires_grad_(True) if i in want else a for i, a in enumerate(args)]
            try:
                out = fn(*leaves, **kwargs)
                outs = [out]
                if want:
                    go = R(stable_seed("losses:" + cid + "/grad_out")).randn(list(out.shape), out.dtype)
                    gs = torch.autograd.grad(outs, [leaves[i] for i in want], [go], allow_unused=True)
                break
            except RuntimeError as e:
                last = e
                if "differentiable" not in str(e) and "not implemented" not in str(e):
                    raise
        else:
            raise last
        # self-check: decoded inputs give the same output bits
        dargs = [decode_tensor(a) if isinstance(a, dict) and "storage" in a else a for a in enc_args]
        dkw = {k: decode_tensor(v) if isinstance(v, dict) and "storage" in v else v for k, v in enc_kwargs.items()}
        dkw = {k: (decode_float(v) if isinstance(v, dict) and "float" in v else v) for k, v in dkw.items()}
        with torch.no_grad():
            out2 = fn(*dargs, **dkw)
        if encode_tensor(out2, False) != encode_tensor(out, False):
            raise AssertionError("self-check failed for " + cid)
        grads = [None] * len(args)
        if want:
            for i, g in zip(want, gs):
                grads[i] = encode_tensor(g, False) if g is not None else None
        tensor_args = [i for i, a in enumerate(args) if isinstance(a, torch.Tensor)]
        return {
            "id": cid,
            "op": op,
            "args": enc_args,
            "kwargs": enc_kwargs,
            "out": encode_tensor(out, False),
            "grad_out": encode_tensor(go, False) if want else None,
            # one entry per tensor argument in args (kwargs tensors: weights, never differentiated)
            "grads": [grads[i] for i in tensor_args] + [None for v in kwargs.values() if isinstance(v, torch.Tensor)],
        }


def decode_float(v):
    return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}[v["float"]]


def resolve(op):
    obj = torch
    for part in op.split("."):
        obj = getattr(obj, part)
    return obj


def red_kw(red, extra=None):
    kw = {} if red == "mean" else {"reduction": red}
    if extra:
        kw.update(extra)
    return kw


# ---------------------------------------------------------------------------------------------- regression

def gen_regression():
    g = Group("regression")
    # shapes: small, 2-D, 37/45 elements (the AVX2 vector loop plus a scalar tail), 0-dim
    shapes = [("1d", [7]), ("2d", [3, 5]), ("tail", [45]), ("3d", [2, 3, 4]), ("scalar", [])]
    for op, variants in [
        ("nn.functional.mse_loss", [("", {})]),
        ("nn.functional.l1_loss", [("", {})]),
        ("nn.functional.smooth_l1_loss", [("", {}), ("beta0.5/", {"beta": 0.5}), ("beta2.5/", {"beta": 2.5}),
                                          ("beta0/", {"beta": 0})]),
        ("nn.functional.huber_loss", [("", {}), ("delta0.5/", {"delta": 0.5}), ("delta2.5/", {"delta": 2.5})]),
    ]:
        short = op.split(".")[-1]
        for vname, extra in variants:
            for dn, dt in DTYPES:
                for red in REDS:
                    for sn, shape in shapes:
                        g.add("%s/%s%s/%s/%s" % (short, vname, dn, red, sn), op,
                              lambda r, shape=shape, dt=dt, red=red, extra=extra:
                              ([r.randn(shape, dt, 1.5), r.randn(shape, dt, 1.5)], red_kw(red, extra)))
                    # a transposed (non-contiguous) input
                    g.add("%s/%s%s/%s/transposed" % (short, vname, dn, red), op,
                          lambda r, dt=dt, red=red, extra=extra:
                          ([r.randn([5, 3], dt, 1.5).t(), r.randn([3, 5], dt, 1.5)], red_kw(red, extra)))
                    # broadcast target (PyTorch warns, then broadcasts)
                    g.add("%s/%s%s/%s/broadcast" % (short, vname, dn, red), op,
                          lambda r, dt=dt, red=red, extra=extra:
                          ([r.randn([3, 4], dt, 1.5), r.randn([4], dt, 1.5)], red_kw(red, extra)))
        # differences exactly at the thresholds (|x - y| == beta / delta) and zero
        for dn, dt in DTYPES:
            for red in REDS:
                def edge(r, dt=dt, red=red, short=short):
                    t = torch.tensor([0.0, 0.5, -0.5, 1.0, -1.0, 2.5, -2.5, 0.25, 3.0, 0.0], dtype=dt)
                    y = torch.zeros(10, dtype=dt)
                    extra = {}
                    if short == "smooth_l1_loss":
                        extra = {"beta": 0.5}
                    if short == "huber_loss":
                        extra = {"delta": 0.5}
                    return [t, y], red_kw(red, extra)
                g.add("%s/edges/%s/%s" % (short, dn, red), op, edge)
    return g


# ---------------------------------------------------------------------------------------------- classification

def gen_classification():
    g = Group("classification")
    ce, nll = "nn.functional.cross_entropy", "nn.functional.nll_loss"
    for dn, dt in DTYPES:
        for red in REDS:
            for op in [ce, nll]:
                short = op.split(".")[-1]

                def inp(r, shape, dt=dt, op=op):
                    x = r.randn(shape, dt, 2.0)
                    if op == nll:  # log-probabilities
                        x = torch.log_softmax(x, 1 if len(shape) > 1 else 0)
                    return x

                base = "%s/%s/%s" % (short, dn, red)
                g.add(base + "/2d", op, lambda r, inp=inp: ([inp(r, [6, 5]), r.randint(0, 5, [6])], red_kw(red)))
                g.add(base + "/2d_large", op,
                      lambda r, inp=inp: ([inp(r, [37, 11]), r.randint(0, 11, [37])], red_kw(red)))
                g.add(base + "/1d", op, lambda r, inp=inp: ([inp(r, [7]), r.randint(0, 7, [])], red_kw(red)))
                g.add(base + "/weight", op,
                      lambda r, inp=inp: ([inp(r, [6, 5]), r.randint(0, 5, [6])],
                                          red_kw(red, {"weight": r.rand([5], dt, 0.2, 2.0)})))
                g.add(base + "/weight_1d", op,
                      lambda r, inp=inp: ([inp(r, [7]), r.randint(0, 7, [])],
                                          red_kw(red, {"weight": r.rand([7], dt, 0.2, 2.0)})))
                g.add(base + "/weight_large", op,
                      lambda r, inp=inp: ([inp(r, [37, 11]), r.randint(0, 11, [37])],
                                          red_kw(red, {"weight": r.rand([11], dt, 0.2, 2.0)})))

                def ignored(r, inp=inp, custom=False, weight=False, all_ignored=False):
                    t = r.randint(0, 5, [8])
                    ii = 2 if custom else -100
                    if all_ignored:
                        t = torch.full([8], ii, dtype=i64)
                    else:
                        t[1] = ii
                        t[5] = ii
                    kw = {} if not custom else {"ignore_index": ii}
                    if weight:
                        kw["weight"] = r.rand([5], dt, 0.2, 2.0)
                    return [inp(r, [8, 5]), t], red_kw(red, kw)

                g.add(base + "/ignore", op, ignored)
                g.add(base + "/ignore_custom", op, lambda r, ignored=ignored: ignored(r, custom=True))
                g.add(base + "/ignore_weight", op, lambda r, ignored=ignored: ignored(r, weight=True))
                g.add(base + "/all_ignored", op, lambda r, ignored=ignored: ignored(r, all_ignored=True))
                g.add(base + "/all_ignored_weight", op,
                      lambda r, ignored=ignored: ignored(r, all_ignored=True, weight=True))
                g.add(base + "/1d_ignored", op,
                      lambda r, inp=inp: ([inp(r, [4]), torch.tensor(1)], red_kw(red, {"ignore_index": 1})))
                # K-dimensional: [N, C, d1], [N, C, d1, d2], [N, C, d1, d2, d3]
                for kn, shape in [("k1", [2, 4, 3]), ("k2", [2, 3, 4, 5]), ("k3", [2, 3, 2, 3, 2])]:
                    tshape = [shape[0]] + shape[2:]
                    g.add(base + "/" + kn, op,
                          lambda r, inp=inp, shape=shape, tshape=tshape:
                          ([inp(r, shape), r.randint(0, shape[1], tshape)], red_kw(red)))
                    g.add(base + "/" + kn + "_weight_ignore", op,
                          lambda r, inp=inp, shape=shape, tshape=tshape:
                          ([inp(r, shape), torch.where(r.rand(tshape, f64) < 0.25, torch.tensor(0),
                                                       r.randint(0, shape[1], tshape) + 0)],
                           red_kw(red, {"weight": r.rand([shape[1]], dt, 0.2, 2.0), "ignore_index": 0})))
                g.add(base + "/uint8_target", op,
                      lambda r, inp=inp: ([inp(r, [6, 5]), r.randint(0, 5, [6], u8)], red_kw(red)))
            # cross_entropy only: label smoothing, probability targets
            base = "cross_entropy/%s/%s" % (dn, red)
            for ls in [0.1, 0.25]:
                g.add(base + "/ls%s" % ls, ce,
                      lambda r, ls=ls: ([r.randn([6, 5], dt, 2.0), r.randint(0, 5, [6])],
                                        red_kw(red, {"label_smoothing": ls})))
                g.add(base + "/ls%s_weight" % ls, ce,
                      lambda r, ls=ls: ([r.randn([6, 5], dt, 2.0), r.randint(0, 5, [6])],
                                        red_kw(red, {"label_smoothing": ls, "weight": r.rand([5], dt, 0.2, 2.0)})))
                g.add(base + "/ls%s_ignore" % ls, ce,
                      lambda r, ls=ls: ([r.randn([6, 5], dt, 2.0), torch.tensor([0, 3, -100, 4, -100, 1])],
                                        red_kw(red, {"label_smoothing": ls})))
                g.add(base + "/ls%s_ignore_weight" % ls, ce,
                      lambda r, ls=ls: ([r.randn([6, 5], dt, 2.0), torch.tensor([0, 3, -100, 4, -100, 1])],
                                        red_kw(red, {"label_smoothing": ls, "weight": r.rand([5], dt, 0.2, 2.0)})))
                g.add(base + "/ls%s_all_ignored" % ls, ce,
                      lambda r, ls=ls: ([r.randn([3, 5], dt, 2.0), torch.full([3], -100)],
                                        red_kw(red, {"label_smoothing": ls})))
                g.add(base + "/ls%s_1d" % ls, ce,
                      lambda r, ls=ls: ([r.randn([5], dt, 2.0), torch.tensor(3)], red_kw(red, {"label_smoothing": ls})))
                g.add(base + "/ls%s_k2" % ls, ce,
                      lambda r, ls=ls: ([r.randn([2, 3, 4, 5], dt, 2.0), r.randint(0, 3, [2, 4, 5])],
                                        red_kw(red, {"label_smoothing": ls, "weight": r.rand([3], dt, 0.2, 2.0)})))

            def probs(r, shape, dim=1):
                return torch.softmax(r.randn(shape, f64, 2.0), dim).to(dt)

            g.add(base + "/prob", ce, lambda r: ([r.randn([6, 5], dt, 2.0), probs(r, [6, 5])], red_kw(red)))
            g.add(base + "/prob_weight", ce,
                  lambda r: ([r.randn([6, 5], dt, 2.0), probs(r, [6, 5])],
                             red_kw(red, {"weight": r.rand([5], dt, 0.2, 2.0)})))
            g.add(base + "/prob_ls", ce,
                  lambda r: ([r.randn([6, 5], dt, 2.0), probs(r, [6, 5])], red_kw(red, {"label_smoothing": 0.2})))
            g.add(base + "/prob_ls_weight", ce,
                  lambda r: ([r.randn([6, 5], dt, 2.0), probs(r, [6, 5])],
                             red_kw(red, {"label_smoothing": 0.2, "weight": r.rand([5], dt, 0.2, 2.0)})))
            g.add(base + "/prob_1d", ce, lambda r: ([r.randn([5], dt, 2.0), probs(r, [5], 0)], red_kw(red)))
            g.add(base + "/prob_k2", ce,
                  lambda r: ([r.randn([2, 3, 4, 2], dt, 2.0), probs(r, [2, 3, 4, 2])], red_kw(red)))
    return g


# ---------------------------------------------------------------------------------------------- binary

def gen_binary():
    g = Group("binary")
    bce, bcel = "nn.functional.binary_cross_entropy", "nn.functional.binary_cross_entropy_with_logits"
    for dn, dt in DTYPES:
        for red in REDS:
            base = "binary_cross_entropy/%s/%s" % (dn, red)
            for sn, shape in [("2d", [4, 5]), ("tail", [45]), ("scalar", [])]:
                g.add(base + "/" + sn, bce,
                      lambda r, shape=shape: ([r.rand(shape, dt, 0.02, 0.98), r.rand(shape, dt)], red_kw(red)))
            g.add(base + "/weight", bce,
                  lambda r: ([r.rand([4, 5], dt, 0.02, 0.98), r.rand([4, 5], dt)],
                             red_kw(red, {"weight": r.rand([5], dt, 0.2, 2.0)})))
            g.add(base + "/weight_full", bce,
                  lambda r: ([r.rand([4, 5], dt, 0.02, 0.98), r.rand([4, 5], dt)],
                             red_kw(red, {"weight": r.rand([4, 5], dt, 0.2, 2.0)})))
            g.add(base + "/hard_targets", bce,
                  lambda r: ([r.rand([4, 5], dt, 0.02, 0.98), r.randint(0, 2, [4, 5]).to(dt)], red_kw(red)))

            def edges(r):
                x = torch.tensor([0.0, 1.0, 0.0, 1.0, 1e-30, 1 - 2 ** -24, 0.5, 1e-45 if dt == f32 else 5e-324],
                                 dtype=dt)
                y = torch.tensor([0.0, 1.0, 1.0, 0.0, 0.5, 0.25, 0.5, 1.0], dtype=dt)
                return [x, y], red_kw(red)

            g.add(base + "/edges", bce, edges)
            base = "binary_cross_entropy_with_logits/%s/%s" % (dn, red)
            for sn, shape in [("2d", [4, 5]), ("tail", [45]), ("scalar", [])]:
                g.add(base + "/" + sn, bcel,
                      lambda r, shape=shape: ([r.randn(shape, dt, 3.0), r.rand(shape, dt)], red_kw(red)))
            g.add(base + "/weight", bcel,
                  lambda r: ([r.randn([4, 5], dt, 3.0), r.rand([4, 5], dt)],
                             red_kw(red, {"weight": r.rand([5], dt, 0.2, 2.0)})))
            g.add(base + "/pos_weight", bcel,
                  lambda r: ([r.randn([4, 5], dt, 3.0), r.rand([4, 5], dt)],
                             red_kw(red, {"pos_weight": r.rand([5], dt, 0.2, 3.0)})))
            g.add(base + "/weight_pos_weight", bcel,
                  lambda r: ([r.randn([4, 5], dt, 3.0), r.randint(0, 2, [4, 5]).to(dt)],
                             red_kw(red, {"weight": r.rand([4, 1], dt, 0.2, 2.0),
                                          "pos_weight": r.rand([5], dt, 0.2, 3.0)})))

            def big(r):
                x = torch.tensor([100.0, -100.0, 50.5, -50.5, 0.0, 20.25, -20.25, 1e-3], dtype=dt)
                return [x, r.rand([8], dt)], red_kw(red)

            g.add(base + "/large_logits", bcel, big)
            g.add(base + "/large_logits_pos_weight", bcel,
                  lambda r: (big(r)[0], red_kw(red, {"pos_weight": r.rand([8], dt, 0.2, 3.0)})))
    return g


# ---------------------------------------------------------------------------------------------- divergence

def gen_divergence():
    g = Group("divergence")
    op = "nn.functional.kl_div"
    for dn, dt in DTYPES:
        for red in ["none", "mean", "sum", "batchmean"]:
            for lt in [False, True]:
                base = "kl_div/%s/%s/%s" % (dn, red, "log_target" if lt else "prob_target")

                def mk(r, shape, zeros=False, lt=lt, red=red):
                    x = torch.log_softmax(r.randn(shape, f64, 1.5), -1).to(dt)
                    t = torch.softmax(r.randn(shape, f64, 1.5), -1)
                    if zeros:
                        t[..., 0] = 0
                    t = t.log().to(dt) if lt else t.to(dt)
                    kw = {"reduction": red}
                    if lt:
                        kw["log_target"] = True
                    return [x, t], kw

                g.add(base + "/2d", op, lambda r, mk=mk: mk(r, [4, 5]))
                g.add(base + "/3d", op, lambda r, mk=mk: mk(r, [2, 3, 4]))
                g.add(base + "/zeros", op, lambda r, mk=mk: mk(r, [3, 4], zeros=True))
                g.add(base + "/1d", op, lambda r, mk=mk: mk(r, [6]))
                g.add(base + "/scalar", op, lambda r, mk=mk: mk(r, []))
    return g


# ---------------------------------------------------------------------------------------------- embedding

def gen_embedding():
    g = Group("embedding")
    trip = "nn.functional.triplet_margin_loss"
    cos = "nn.functional.cosine_embedding_loss"
    mr = "nn.functional.margin_ranking_loss"
    for dn, dt in DTYPES:
        for red in REDS:
            base = "triplet_margin_loss/%s/%s" % (dn, red)
            variants = [("default", {}), ("margin0.5", {"margin": 0.5}), ("p1", {"p": 1}), ("p3", {"p": 3}),
                        ("p1.5", {"p": 1.5}), ("swap", {"swap": True}), ("eps1e-3", {"eps": 1e-3}),
                        ("margin2.5_swap_p1", {"margin": 2.5, "swap": True, "p": 1})]
            for vn, extra in variants:
                g.add(base + "/" + vn, trip,
                      lambda r, extra=extra: ([r.randn([5, 4], dt), r.randn([5, 4], dt), r.randn([5, 4], dt)],
                                              red_kw(red, extra)))
            g.add(base + "/1d", trip,
                  lambda r: ([r.randn([6], dt), r.randn([6], dt), r.randn([6], dt)], red_kw(red, {"swap": True})))
            g.add(base + "/identical", trip,
                  lambda r: ((lambda a: [a, a.clone(), r.randn([3, 4], dt)])(r.randn([3, 4], dt)), red_kw(red)))
            g.add(base + "/wide", trip,
                  lambda r: ([r.randn([4, 19], dt), r.randn([4, 19], dt), r.randn([4, 19], dt)], red_kw(red)))

            base = "cosine_embedding_loss/%s/%s" % (dn, red)
            for vn, extra in [("default", {}), ("margin0.3", {"margin": 0.3}), ("margin-0.2", {"margin": -0.2})]:
                g.add(base + "/" + vn, cos,
                      lambda r, extra=extra: ([r.randn([6, 4], dt), r.randn([6, 4], dt), r.signs([6], dt)],
                                              red_kw(red, extra)))
            g.add(base + "/int_target", cos,
                  lambda r: ([r.randn([6, 4], dt), r.randn([6, 4], dt), r.signs([6], i64)], red_kw(red)))
            g.add(base + "/1d", cos,
                  lambda r: ([r.randn([5], dt), r.randn([5], dt), torch.tensor(-1, dtype=dt)], red_kw(red, {"margin": -0.5})))
            g.add(base + "/wide", cos,
                  lambda r: ([r.randn([3, 21], dt), r.randn([3, 21], dt), r.signs([3], dt)], red_kw(red)))

            base = "margin_ranking_loss/%s/%s" % (dn, red)
            for vn, extra in [("default", {}), ("margin0.5", {"margin": 0.5})]:
                g.add(base + "/" + vn, mr,
                      lambda r, extra=extra: ([r.randn([7], dt), r.randn([7], dt), r.signs([7], dt)],
                                              red_kw(red, extra)))
            g.add(base + "/2d", mr,
                  lambda r: ([r.randn([3, 4], dt), r.randn([3, 4], dt), r.signs([3, 4], dt)], red_kw(red, {"margin": 0.25})))
    return g


# ---------------------------------------------------------------------------------------------- clip_grad

def gen_clip():
    cases = []
    ids = set()

    def add(cid, op, make):
        assert cid not in ids
        ids.add(cid)
        r = R(stable_seed("losses:" + cid))
        grads, kwargs = make(r)
        params = []
        for gr in grads:
            p = torch.zeros(gr.shape if gr is not None else [2], dtype=gr.dtype if gr is not None else f32,
                            requires_grad=True)
            p.grad = None if gr is None else gr.clone()
            params.append(p)
        err = None
        out = None
        try:
            out = resolve(op)(params, **kwargs)
        except RuntimeError as e:
            err = str(e)
        cases.append({
            "id": cid, "op": op,
            "grads": [None if gr is None else encode_tensor(gr) for gr in grads],
            "kwargs": encode_value(kwargs),
            "out": None if out is None else encode_tensor(out, False),
            "grads_after": [None if p.grad is None else encode_tensor(p.grad, False) for p in params],
            "error": err,
        })

    norm = "nn.utils.clip_grad_norm_"
    for dn, dt in DTYPES:
        shapes = [[3, 4], [5], [2, 3, 2], []]
        for nt_name, nt in [("2", 2), ("1", 1), ("inf", math.inf), ("3", 3), ("0.5", 0.5), ("1.5", 1.5)]:
            for mn_name, mn in [("clip", 0.75), ("noclip", 1000000)]:
                add("clip_grad_norm_/%s/norm%s/%s" % (dn, nt_name, mn_name), norm,
                    lambda r, nt=nt, mn=mn: ([r.randn(s, dt, 2.0) for s in shapes], {"max_norm": mn, "norm_type": nt}))
        add("clip_grad_norm_/%s/one_param" % dn, norm,
            lambda r: ([r.randn([4, 3], dt)], {"max_norm": 0.5}))
        add("clip_grad_norm_/%s/large" % dn, norm,
            lambda r: ([r.randn([50, 37], dt), r.randn([129], dt)], {"max_norm": 2.5}))
        add("clip_grad_norm_/%s/some_none" % dn, norm,
            lambda r: ([r.randn([3], dt), None, r.randn([2, 2], dt)], {"max_norm": 0.5, "norm_type": 1}))
        add("clip_grad_norm_/%s/zero_grads" % dn, norm,
            lambda r: ([torch.zeros([3], dtype=dt), torch.zeros([2], dtype=dt)], {"max_norm": 0.5}))

        def nonfinite(r, v):
            a = r.randn([3, 2], dt)
            a[1, 0] = v
            return [a, r.randn([4], dt)]

        for vn, v in [("inf", math.inf), ("-inf", -math.inf), ("nan", math.nan)]:
            for nt_name, nt in [("2", 2), ("inf", math.inf), ("1", 1)]:
                add("clip_grad_norm_/%s/nonfinite_%s/norm%s" % (dn, vn, nt_name), norm,
                    lambda r, v=v, nt=nt: (nonfinite(r, v), {"max_norm": 1, "norm_type": nt}))
            add("clip_grad_norm_/%s/nonfinite_%s/error" % (dn, vn), norm,
                lambda r, v=v: (nonfinite(r, v), {"max_norm": 1, "error_if_nonfinite": True}))
        val = "nn.utils.clip_grad_value_"
        add("clip_grad_value_/%s/0.5" % dn, val, lambda r: ([r.randn([3, 4], dt), r.randn([5], dt)], {"clip_value": 0.5}))
        add("clip_grad_value_/%s/int" % dn, val, lambda r: ([r.randn([3, 4], dt, 3.0)], {"clip_value": 1}))
        add("clip_grad_value_/%s/some_none" % dn, val,
            lambda r: ([None, r.randn([6], dt, 3.0)], {"clip_value": 0.25}))
    return cases


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "..", "test-vectors", "losses"))
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    total = 0
    for gen in [gen_regression, gen_classification, gen_binary, gen_divergence, gen_embedding]:
        g = gen()
        write_cases(os.path.join(a.out, g.name + ".json"), GEN, g.cases)
        total += len(g.cases)
        print("%s: %d cases, %d rejected by PyTorch" % (g.name, len(g.cases), len(g.skipped)))
        if a.v:
            for cid, why in g.skipped:
                print("  skipped %s: %s" % (cid, why))
    clip = gen_clip()
    write_cases(os.path.join(a.out, "clip_grad.json"), GEN, clip)
    print("clip_grad: %d cases" % len(clip))
    print("total: %d" % (total + len(clip)))


if __name__ == "__main__":
    main()
