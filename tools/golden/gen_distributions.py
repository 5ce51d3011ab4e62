#!/usr/bin/python3
"""Golden vectors for lockstep's torch.distributions, from Debian's PyTorch 1.13.1 (CPU).

    /usr/bin/python3 tools/golden/gen_distributions.py [--out test-vectors/distributions]

One file per distribution (normal, uniform, bernoulli, categorical, exponential, laplace,
multivariate_normal) plus libm.json (the scalar functions lockstep ports to reproduce them).
lockstep's tests (packages/core/test/distributions*.test.ts) rebuild each distribution, call the
method and compare bits.

File format: {"generator", "torch_version", "cases": [CASE, ...]} (see common.write_cases), with

    CASE = {"id": "...",
            "dist": "Normal" | "Uniform" | ... ,
            "params": {name: PARAM},       # constructor arguments by PyTorch's keyword names
            "validate": true | false | null,   # validate_args (null: the default, True in 1.13)
            "method": METHOD,
            "arg": ...,                    # the method's argument (see below), or null
            "seed": int | null,            # torch.manual_seed(seed) right before the method
            "out": T | null,               # the result (contiguous); null for error cases
            "batch_shape": [...], "event_shape": [...],
            "grad_out": T | null,          # upstream gradient for out.backward(grad_out)
            "grads": {name: T},            # gradients of the tensor params (and "value") that require grad
            "error": {"type": "ValueError", "message": "..."} | absent}

PARAM = T (a tensor) or {"number": x} (a Python float; x may be {"float": "nan"}).
METHOD: "sample" / "rsample" (arg: the sample_shape list), "log_prob" / "cdf" / "icdf" (arg: T, the
value), "entropy", "perplexity", "enumerate_support" (arg: expand), the properties "mean", "mode",
"variance", "stddev", "probs", "logits", "covariance_matrix", "precision_matrix", "scale_tril",
and "init" (error cases raised by the constructor).

Samples are drawn from the global generator, as PyTorch 1.13's distributions take no generator.
Inputs come from per-case generators seeded with crc32 of the case id (adding a case never changes
another); PyTorch runs single-threaded; the output is deterministic.
"""

import argparse
import ctypes
import math
import os
import sys
import warnings

import torch
from torch import distributions as D

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import encode_float, encode_tensor, stable_seed, write_cases  # noqa: E402

torch.set_num_threads(1)
warnings.filterwarnings("ignore")

f32, f64 = torch.float32, torch.float64
GEN = "tools/golden/gen_distributions.py"


def T(t):
    return encode_tensor(t, whole_storage=False)


def enc_param(v):
    # inputs keep their layout (whole storage, strides): the LAPACK-backed paths depend on it
    if isinstance(v, torch.Tensor):
        return encode_tensor(v, whole_storage=True)
    return {"number": encode_float(float(v))}


class Gen:
    """Per-case input generator (seeded from the case id)."""

    def __init__(self, cid):
        self.g = torch.Generator().manual_seed(stable_seed(cid))

    def randn(self, *shape, dtype=f32):
        return torch.randn(*shape, generator=self.g, dtype=dtype)

    def rand(self, *shape, dtype=f32):
        return torch.rand(*shape, generator=self.g, dtype=dtype)


DISTS = {
    "Normal": D.Normal,
    "Uniform": D.Uniform,
    "Bernoulli": D.Bernoulli,
    "Categorical": D.Categorical,
    "Exponential": D.Exponential,
    "Laplace": D.Laplace,
    "MultivariateNormal": D.MultivariateNormal,
}
PROPS = {"mean", "mode", "variance", "stddev", "probs", "logits", "covariance_matrix", "precision_matrix",
         "scale_tril"}


class File:
    def __init__(self, name):
        self.name = name
        self.cases = []
        self.ids = set()

    def _base(self, cid, dist, params, validate, method, arg):
        assert cid not in self.ids, cid
        self.ids.add(cid)
        enc_arg = arg
        if isinstance(arg, torch.Tensor):
            enc_arg = encode_tensor(arg, whole_storage=True)
        return {"id": cid, "dist": dist, "params": {k: enc_param(v) for k, v in params.items()},
                "validate": validate, "method": method, "arg": enc_arg}

    def case(self, cid, dist, params, method, arg=None, seed=None, validate=None, grad=True, grad_params=None):
        """Run `method` on a fresh distribution; record out and (if grad) gradients."""
        c = self._base(cid, dist, params, validate, method, arg)
        # fresh leaves so that gradients can be taken
        leaves = {}
        kw = {}
        for k, v in params.items():
            if isinstance(v, torch.Tensor):
                v = v.detach().clone()
                if grad and v.is_floating_point() and (grad_params is None or k in grad_params):
                    v.requires_grad_(True)
                    leaves[k] = v
            kw[k] = v
        if validate is not None:
            kw["validate_args"] = validate
        value = None
        if isinstance(arg, torch.Tensor):
            value = arg.detach().clone()
            if grad and value.is_floating_point() and method in ("log_prob", "cdf", "icdf"):
                value.requires_grad_(True)
                leaves["value"] = value
        d = DISTS[dist](**kw)
        if seed is not None:
            torch.manual_seed(seed)
        if method in ("sample", "rsample"):
            out = getattr(d, method)(torch.Size(arg))
        elif method in ("log_prob", "cdf", "icdf"):
            out = getattr(d, method)(value)
        elif method in ("entropy", "perplexity"):
            out = getattr(d, method)()
        elif method == "enumerate_support":
            out = d.enumerate_support(arg)
        elif method in PROPS:
            out = getattr(d, method)
        else:
            raise ValueError(method)
        c["seed"] = seed
        c["out"] = T(out)
        c["batch_shape"] = list(d.batch_shape)
        c["event_shape"] = list(d.event_shape)
        c["grad_out"] = None
        c["grads"] = {}
        if grad and out.requires_grad and leaves:
            gg = torch.Generator().manual_seed(stable_seed(cid + "/grad_out"))
            go = torch.randn(out.shape, generator=gg, dtype=out.dtype)
            names = list(leaves)
            grads = torch.autograd.grad(out, [leaves[n] for n in names], go, allow_unused=True)
            c["grad_out"] = T(go)
            c["grads"] = {n: T(g) for n, g in zip(names, grads) if g is not None}
        self.cases.append(c)
        return out

    def error(self, cid, dist, params, method="init", arg=None, validate=None):
        c = self._base(cid, dist, params, validate, method, arg)
        kw = dict(params)
        if validate is not None:
            kw["validate_args"] = validate
        try:
            d = DISTS[dist](**kw)
            if method in ("log_prob", "cdf", "icdf"):
                getattr(d, method)(arg)
            elif method in ("sample", "rsample"):
                getattr(d, method)(torch.Size(arg))
            elif method in ("entropy",):
                d.entropy()
            elif method in PROPS:
                getattr(d, method)
            elif method != "init":
                raise AssertionError(method)
        except Exception as e:  # noqa: BLE001
            name = type(e).__name__
            if name == "_LinAlgError" or name == "LinAlgError":
                name = "LinAlgError"
            c["error"] = {"type": name, "message": str(e)}
        else:
            raise AssertionError("no error for " + cid)
        c["seed"] = None
        c["out"] = None
        self.cases.append(c)


# ---------------------------------------------------------------------------------------------

SAMPLE_SEEDS = [0, 1, 42]


def gen_normal(f):
    for dt in (f32, f64):
        dn = "f32" if dt == f32 else "f64"
        configs = [
            ("scalar", lambda g: {"loc": 0.5, "scale": 2.5}),
            ("b3", lambda g: {"loc": g.randn(3, dtype=dt), "scale": g.rand(3, dtype=dt) + 0.5}),
            ("b2x1_3", lambda g: {"loc": g.randn(2, 1, dtype=dt), "scale": g.rand(3, dtype=dt) + 0.5}),
            ("b4x5", lambda g: {"loc": g.randn(4, 5, dtype=dt), "scale": g.rand(4, 5, dtype=dt) + 0.1}),
            ("mixed", lambda g: {"loc": g.randn(3, dtype=dt), "scale": 1.5}),
        ]
        if dt == f64:
            configs = configs[1:3]
        for name, mk in configs:
            for method in ("sample", "rsample"):
                for shape in ([], [5], [2, 3], [6], [40]):
                    for seed in SAMPLE_SEEDS if shape in ([5], [6]) else SAMPLE_SEEDS[:1]:
                        cid = f"normal/{method}/{dn}/{name}/n{shape}/s{seed}"
                        f.case(cid, "Normal", mk(Gen(cid)), method, shape, seed=seed)
            for method in ("log_prob", "cdf"):
                cid = f"normal/{method}/{dn}/{name}"
                g = Gen(cid)
                p = mk(g)
                v = g.randn(4, 1, 1, dtype=dt) * 2 if name == "b2x1_3" else g.randn(7, *torch.broadcast_shapes(
                    *(x.shape for x in p.values() if isinstance(x, torch.Tensor))), dtype=dt) * 2
                f.case(cid, "Normal", p, method, v)
            cid = f"normal/icdf/{dn}/{name}"
            g = Gen(cid)
            p = mk(g)
            shape = torch.broadcast_shapes(*(x.shape for x in p.values() if isinstance(x, torch.Tensor)))
            f.case(cid, "Normal", p, "icdf", g.rand(6, *shape, dtype=dt) * 0.998 + 0.001)
            for method in ("entropy", "mean", "variance", "stddev", "mode", "perplexity"):
                cid = f"normal/{method}/{dn}/{name}"
                f.case(cid, "Normal", mk(Gen(cid)), method)
    # icdf over the whole range (both erfinv branches, tails)
    cid = "normal/icdf/f32/range"
    u = torch.cat([torch.linspace(0.0005, 0.9995, 401), torch.tensor([1e-6, 1e-3, 0.15, 0.85, 0.999, 1 - 1e-6])])
    f.case(cid, "Normal", {"loc": torch.tensor(0.25), "scale": torch.tensor(1.5)}, "icdf", u)
    cid = "normal/icdf/f32/edges"
    f.case(cid, "Normal", {"loc": torch.tensor(0.0), "scale": torch.tensor(1.0)}, "icdf",
           torch.tensor([0.0, 1.0, 0.5]), validate=False, grad=False)
    # log_prob with special values, validation off
    f.case("normal/log_prob/f32/special", "Normal", {"loc": torch.tensor([0.0, 1.0, -2.0]), "scale": torch.tensor([1.0, 1e-3, 30.0])},
           "log_prob", torch.tensor([[0.0, 1.0, -2.0], [float("inf"), -float("inf"), 1e30]]), validate=False, grad=False)
    # errors
    f.error("normal/error/scale0", "Normal", {"loc": torch.tensor([0.0, 1.0]), "scale": torch.tensor([1.0, 0.0])})
    f.error("normal/error/scale_neg_scalar", "Normal", {"loc": 0.0, "scale": -1.0})
    f.error("normal/error/loc_nan", "Normal", {"loc": torch.tensor([float("nan")]), "scale": torch.tensor([1.0])})
    f.error("normal/error/value_nan", "Normal", {"loc": torch.tensor([0.0, 1.0]), "scale": torch.tensor([1.0, 2.0])},
            "log_prob", torch.tensor([0.5, float("nan")]))
    f.error("normal/error/value_shape", "Normal", {"loc": torch.zeros(3), "scale": torch.ones(3)}, "log_prob",
            torch.zeros(2))
    f.error("normal/error/value_shape_cdf", "Normal", {"loc": torch.zeros(2, 3), "scale": torch.ones(2, 3)}, "cdf",
            torch.zeros(4, 3))
    f.error("normal/error/broadcast", "Normal", {"loc": torch.zeros(2), "scale": torch.ones(3)})
    # validate_args=False accepts the bad parameter
    f.case("normal/novalidate/log_prob", "Normal", {"loc": torch.tensor([0.0, 1.0]), "scale": torch.tensor([1.0, -1.0])},
           "log_prob", torch.tensor([0.5, 0.5]), validate=False, grad=False)


def gen_uniform(f):
    for dt in (f32, f64):
        dn = "f32" if dt == f32 else "f64"
        configs = [
            ("scalar", lambda g: {"low": -1.5, "high": 2.25}),
            ("b3", lambda g: {"low": g.randn(3, dtype=dt), "high": g.randn(3, dtype=dt).abs() + 3}),
            ("b2x1_3", lambda g: {"low": g.randn(2, 1, dtype=dt) - 3, "high": g.rand(3, dtype=dt) + 0.5}),
        ]
        if dt == f64:
            configs = configs[1:]
        for name, mk in configs:
            for method in ("sample", "rsample"):
                for shape in ([], [5], [4, 5]):
                    for seed in SAMPLE_SEEDS if shape == [5] else SAMPLE_SEEDS[:1]:
                        cid = f"uniform/{method}/{dn}/{name}/n{shape}/s{seed}"
                        f.case(cid, "Uniform", mk(Gen(cid)), method, shape, seed=seed)
            for method in ("log_prob", "cdf", "icdf"):
                cid = f"uniform/{method}/{dn}/{name}"
                g = Gen(cid)
                p = mk(g)
                shape = torch.broadcast_shapes(*(x.shape for x in p.values() if isinstance(x, torch.Tensor)))
                if method == "icdf":
                    v = g.rand(5, *shape, dtype=dt)
                else:
                    lo = p["low"] if isinstance(p["low"], torch.Tensor) else torch.tensor(p["low"], dtype=dt)
                    hi = p["high"] if isinstance(p["high"], torch.Tensor) else torch.tensor(p["high"], dtype=dt)
                    v = lo + g.rand(5, *shape, dtype=dt) * (hi - lo)
                f.case(cid, "Uniform", p, method, v)
            for method in ("entropy", "mean", "variance", "stddev"):
                cid = f"uniform/{method}/{dn}/{name}"
                f.case(cid, "Uniform", mk(Gen(cid)), method)
    # outside the support without validation: log_prob -inf, cdf clamped
    p = {"low": torch.tensor([0.0, -1.0]), "high": torch.tensor([1.0, 2.0])}
    v = torch.tensor([[-0.5, 2.5], [1.0, -1.0], [0.0, 2.0]])
    f.case("uniform/log_prob/outside", "Uniform", p, "log_prob", v, validate=False, grad=False)
    f.case("uniform/cdf/outside", "Uniform", p, "cdf", v, validate=False, grad=False)
    f.error("uniform/error/low_ge_high", "Uniform", {"low": torch.tensor([0.0, 1.0]), "high": torch.tensor([1.0, 1.0])})
    f.error("uniform/error/scalar", "Uniform", {"low": 2.0, "high": 1.0})
    f.error("uniform/error/value_outside", "Uniform", p, "log_prob", torch.tensor([0.5, 2.5]))
    f.error("uniform/error/value_outside_cdf", "Uniform", p, "cdf", torch.tensor([-0.5, 0.5]))


def gen_bernoulli(f):
    for dt in (f32, f64):
        dn = "f32" if dt == f32 else "f64"
        configs = [
            ("probs_scalar", lambda g: {"probs": 0.3}),
            ("probs_b5", lambda g: {"probs": g.rand(5, dtype=dt)}),
            ("probs_b2x3", lambda g: {"probs": torch.cat([g.rand(2, 2, dtype=dt), torch.tensor([[0.0], [1.0]], dtype=dt)], 1)}),
            ("logits_b4", lambda g: {"logits": g.randn(4, dtype=dt) * 3}),
            ("logits_scalar", lambda g: {"logits": -0.75}),
        ]
        if dt == f64:
            configs = [configs[1], configs[3]]
        for name, mk in configs:
            for shape in ([], [7], [3, 4], [20]):
                for seed in SAMPLE_SEEDS if shape == [7] else SAMPLE_SEEDS[:1]:
                    cid = f"bernoulli/sample/{dn}/{name}/n{shape}/s{seed}"
                    f.case(cid, "Bernoulli", mk(Gen(cid)), "sample", shape, seed=seed)
            cid = f"bernoulli/log_prob/{dn}/{name}"
            g = Gen(cid)
            p = mk(g)
            par = next(iter(p.values()))
            shape = par.shape if isinstance(par, torch.Tensor) else ()
            v = (g.rand(3, *shape, dtype=dt) < 0.5).to(dt)
            f.case(cid, "Bernoulli", p, "log_prob", v, grad_params=list(p))
            for method in ("entropy", "mean", "variance", "probs", "logits", "mode", "perplexity"):
                cid = f"bernoulli/{method}/{dn}/{name}"
                f.case(cid, "Bernoulli", mk(Gen(cid)), method)
            cid = f"bernoulli/enumerate_support/{dn}/{name}"
            f.case(cid, "Bernoulli", mk(Gen(cid)), "enumerate_support", True, grad=False)
            cid = f"bernoulli/enumerate_support_noexpand/{dn}/{name}"
            f.case(cid, "Bernoulli", mk(Gen(cid)), "enumerate_support", False, grad=False)
    f.error("bernoulli/error/both", "Bernoulli", {"probs": torch.tensor([0.5]), "logits": torch.tensor([0.0])})
    f.error("bernoulli/error/neither", "Bernoulli", {})
    f.error("bernoulli/error/probs_gt1", "Bernoulli", {"probs": torch.tensor([0.5, 1.5])})
    f.error("bernoulli/error/probs_neg_scalar", "Bernoulli", {"probs": -0.25})
    f.error("bernoulli/error/logits_nan", "Bernoulli", {"logits": torch.tensor([0.0, float("nan")])})
    f.error("bernoulli/error/value", "Bernoulli", {"probs": torch.tensor([0.5, 0.5])}, "log_prob", torch.tensor([0.0, 0.5]))


def gen_categorical(f):
    for dt in (f32, f64):
        dn = "f32" if dt == f32 else "f64"
        configs = [
            ("probs_k4", lambda g: {"probs": g.rand(4, dtype=dt) + 0.05}),
            ("probs_b3_k5", lambda g: {"probs": torch.cat([g.rand(3, 4, dtype=dt), torch.zeros(3, 1, dtype=dt)], 1)}),
            ("probs_b2x2_k11", lambda g: {"probs": g.rand(2, 2, 11, dtype=dt)}),
            ("logits_k6", lambda g: {"logits": g.randn(6, dtype=dt) * 2}),
            ("logits_b4_k3", lambda g: {"logits": g.randn(4, 3, dtype=dt) * 2}),
            ("logits_b2_k40", lambda g: {"logits": g.randn(2, 40, dtype=dt)}),
        ]
        if dt == f64:
            configs = [configs[1], configs[4]]
        for name, mk in configs:
            for shape in ([], [7], [3, 4]):
                for seed in SAMPLE_SEEDS if shape == [7] else SAMPLE_SEEDS[:1]:
                    cid = f"categorical/sample/{dn}/{name}/n{shape}/s{seed}"
                    f.case(cid, "Categorical", mk(Gen(cid)), "sample", shape, seed=seed)
            cid = f"categorical/log_prob/{dn}/{name}"
            g = Gen(cid)
            p = mk(g)
            par = next(iter(p.values()))
            k = par.shape[-1]
            v = torch.randint(0, k, (5, *par.shape[:-1]), generator=g.g)
            if name == "probs_b3_k5":
                v = torch.clamp(v, max=k - 2)
            f.case(cid, "Categorical", p, "log_prob", v)
            cid = f"categorical/log_prob_float/{dn}/{name}"
            f.case(cid, "Categorical", p, "log_prob", v.to(dt), grad_params=list(p))
            for method in ("entropy", "mean", "variance", "probs", "logits", "mode", "perplexity"):
                cid = f"categorical/{method}/{dn}/{name}"
                f.case(cid, "Categorical", mk(Gen(cid)), method)
            for expand in (True, False):
                cid = f"categorical/enumerate_support/{dn}/{name}/{expand}"
                f.case(cid, "Categorical", mk(Gen(cid)), "enumerate_support", expand, grad=False)
    # extreme logits: the entropy's clamp at finfo.min, -inf logits
    f.case("categorical/entropy/f32/neginf", "Categorical", {"logits": torch.tensor([0.0, -float("inf"), 1.0])}, "entropy",
           grad=False)
    f.case("categorical/sample/f32/large_k", "Categorical", {"probs": Gen("large_k").rand(300) ** 4}, "sample", [50], seed=3)
    f.error("categorical/error/neg", "Categorical", {"probs": torch.tensor([0.5, -0.1, 0.6])})
    f.error("categorical/error/0dim", "Categorical", {"probs": torch.tensor(1.0)})
    f.error("categorical/error/0dim_logits", "Categorical", {"logits": torch.tensor(1.0)})
    f.error("categorical/error/both", "Categorical", {"probs": torch.tensor([0.5, 0.5]), "logits": torch.tensor([0.0, 0.0])})
    f.error("categorical/error/logits_nan", "Categorical", {"logits": torch.tensor([[0.0, float("nan")], [1.0, 2.0]])})
    f.error("categorical/error/value_range", "Categorical", {"probs": torch.tensor([0.2, 0.8])}, "log_prob",
            torch.tensor([0, 2]))
    f.error("categorical/error/value_frac", "Categorical", {"probs": torch.tensor([0.2, 0.8])}, "log_prob",
            torch.tensor([0.5]))
    f.error("categorical/error/value_shape", "Categorical", {"probs": torch.rand(3, 4) + 0.1}, "log_prob",
            torch.tensor([0, 1]))


def gen_exponential(f):
    for dt in (f32, f64):
        dn = "f32" if dt == f32 else "f64"
        configs = [
            ("scalar", lambda g: {"rate": 1.75}),
            ("b4", lambda g: {"rate": g.rand(4, dtype=dt) * 3 + 0.2}),
            ("b2x3", lambda g: {"rate": g.rand(2, 3, dtype=dt) + 0.5}),
        ]
        if dt == f64:
            configs = configs[1:2]
        for name, mk in configs:
            for method in ("sample", "rsample"):
                for shape in ([], [5], [3, 4]):
                    for seed in SAMPLE_SEEDS if shape == [5] else SAMPLE_SEEDS[:1]:
                        cid = f"exponential/{method}/{dn}/{name}/n{shape}/s{seed}"
                        f.case(cid, "Exponential", mk(Gen(cid)), method, shape, seed=seed)
            for method in ("log_prob", "cdf", "icdf"):
                cid = f"exponential/{method}/{dn}/{name}"
                g = Gen(cid)
                p = mk(g)
                shape = p["rate"].shape if isinstance(p["rate"], torch.Tensor) else ()
                v = g.rand(5, *shape, dtype=dt) * (0.999 if method == "icdf" else 4)
                f.case(cid, "Exponential", p, method, v)
            for method in ("entropy", "mean", "variance", "stddev", "mode"):
                cid = f"exponential/{method}/{dn}/{name}"
                f.case(cid, "Exponential", mk(Gen(cid)), method)
    f.error("exponential/error/rate0", "Exponential", {"rate": torch.tensor([1.0, 0.0])})
    f.error("exponential/error/rate_neg", "Exponential", {"rate": -2.0})
    f.error("exponential/error/value_neg", "Exponential", {"rate": torch.tensor([1.0, 2.0])}, "log_prob",
            torch.tensor([0.5, -0.5]))


def gen_laplace(f):
    for dt in (f32, f64):
        dn = "f32" if dt == f32 else "f64"
        configs = [
            ("scalar", lambda g: {"loc": -0.5, "scale": 1.25}),
            ("b3", lambda g: {"loc": g.randn(3, dtype=dt), "scale": g.rand(3, dtype=dt) + 0.5}),
            ("b2x1_4", lambda g: {"loc": g.randn(2, 1, dtype=dt), "scale": g.rand(4, dtype=dt) + 0.25}),
        ]
        if dt == f64:
            configs = configs[1:2]
        for name, mk in configs:
            for method in ("sample", "rsample"):
                for shape in ([], [5], [3, 7], [200]):
                    for seed in SAMPLE_SEEDS if shape == [5] else SAMPLE_SEEDS[:1]:
                        cid = f"laplace/{method}/{dn}/{name}/n{shape}/s{seed}"
                        f.case(cid, "Laplace", mk(Gen(cid)), method, shape, seed=seed)
            for method in ("log_prob", "cdf", "icdf"):
                cid = f"laplace/{method}/{dn}/{name}"
                g = Gen(cid)
                p = mk(g)
                shape = torch.broadcast_shapes(*(x.shape for x in p.values() if isinstance(x, torch.Tensor)))
                v = g.rand(6, *shape, dtype=dt) * 0.998 + 0.001 if method == "icdf" else g.randn(6, *shape, dtype=dt) * 2
                f.case(cid, "Laplace", p, method, v)
            for method in ("entropy", "mean", "variance", "stddev", "mode"):
                cid = f"laplace/{method}/{dn}/{name}"
                f.case(cid, "Laplace", mk(Gen(cid)), method)
    f.error("laplace/error/scale0", "Laplace", {"loc": torch.tensor([0.0]), "scale": torch.tensor([0.0])})
    f.error("laplace/error/value_inf_ok_nan_bad", "Laplace", {"loc": torch.tensor([0.0]), "scale": torch.tensor([1.0])},
            "log_prob", torch.tensor([float("nan")]))


def spd(g, n, batch=(), dt=f32):
    a = g.randn(*batch, n, n, dtype=dt)
    return a @ a.mT + n * torch.eye(n, dtype=dt)


def gen_mvn(f):
    for dt in (f32, f64):
        dn = "f32" if dt == f32 else "f64"
        configs = [
            ("tril_n3", lambda g: {"loc": g.randn(3, dtype=dt), "scale_tril": torch.linalg.cholesky(spd(g, 3, dt=dt))}),
            ("cov_n4", lambda g: {"loc": g.randn(4, dtype=dt), "covariance_matrix": spd(g, 4, dt=dt)}),
            ("prec_n3", lambda g: {"loc": g.randn(3, dtype=dt), "precision_matrix": spd(g, 3, dt=dt)}),
            ("cov_b2_n5", lambda g: {"loc": g.randn(2, 5, dtype=dt), "covariance_matrix": spd(g, 5, (2,), dt=dt)}),
            ("tril_locb3_n2", lambda g: {"loc": g.randn(3, 2, dtype=dt), "scale_tril": torch.linalg.cholesky(spd(g, 2, dt=dt))}),
            ("cov_b2x1_n3_locb4", lambda g: {"loc": g.randn(4, 3, dtype=dt), "covariance_matrix": spd(g, 3, (2, 1), dt=dt)}),
            ("cov_n20", lambda g: {"loc": g.randn(20, dtype=dt), "covariance_matrix": spd(g, 20, dt=dt)}),
        ]
        if dt == f64:
            configs = [configs[0], configs[1], configs[3]]
        for name, mk in configs:
            for method in ("sample", "rsample"):
                for shape in ([], [6], [2, 3]):
                    for seed in SAMPLE_SEEDS if shape == [6] else SAMPLE_SEEDS[:1]:
                        cid = f"mvn/{method}/{dn}/{name}/n{shape}/s{seed}"
                        f.case(cid, "MultivariateNormal", mk(Gen(cid)), method, shape, seed=seed)
            cid = f"mvn/log_prob/{dn}/{name}"
            g = Gen(cid)
            p = mk(g)
            n = p["loc"].shape[-1]
            bshape = torch.broadcast_shapes(p["loc"].shape[:-1], next(v for k, v in p.items() if k != "loc").shape[:-2])
            f.case(cid, "MultivariateNormal", p, "log_prob", g.randn(5, *bshape, n, dtype=dt) * 2)
            cid = f"mvn/log_prob_bcast/{dn}/{name}"
            g = Gen(cid)
            p = mk(g)
            f.case(cid, "MultivariateNormal", p, "log_prob", g.randn(n, dtype=dt))
            for method in ("entropy", "mean", "variance", "mode", "scale_tril", "covariance_matrix", "precision_matrix"):
                cid = f"mvn/{method}/{dn}/{name}"
                f.case(cid, "MultivariateNormal", mk(Gen(cid)), method)
    # the blocked Cholesky (n > 64)
    cid = "mvn/sample/f32/cov_n70"
    g = Gen(cid)
    f.case(cid, "MultivariateNormal", {"loc": g.randn(70), "covariance_matrix": spd(g, 70)}, "rsample", [2], seed=0)
    cid = "mvn/scale_tril/f32/cov_n70"
    g = Gen(cid)
    f.case(cid, "MultivariateNormal", {"loc": g.randn(70), "covariance_matrix": spd(g, 70)}, "scale_tril", grad=False)
    cid = "mvn/precision_matrix/f32/cov_n70"
    g = Gen(cid)
    f.case(cid, "MultivariateNormal", {"loc": g.randn(70), "covariance_matrix": spd(g, 70)}, "precision_matrix", grad=False)
    cid = "mvn/log_prob/f32/prec_n70"
    g = Gen(cid)
    f.case(cid, "MultivariateNormal", {"loc": g.randn(70), "precision_matrix": spd(g, 70)}, "log_prob", g.randn(3, 70),
           grad=False)
    # errors
    I = torch.eye(2)
    f.error("mvn/error/loc0", "MultivariateNormal", {"loc": torch.tensor(0.0), "covariance_matrix": I})
    f.error("mvn/error/none", "MultivariateNormal", {"loc": torch.zeros(2)})
    f.error("mvn/error/two", "MultivariateNormal", {"loc": torch.zeros(2), "covariance_matrix": I, "scale_tril": I})
    f.error("mvn/error/cov1d", "MultivariateNormal", {"loc": torch.zeros(2), "covariance_matrix": torch.ones(2)})
    f.error("mvn/error/tril1d", "MultivariateNormal", {"loc": torch.zeros(2), "scale_tril": torch.ones(2)})
    f.error("mvn/error/prec1d", "MultivariateNormal", {"loc": torch.zeros(2), "precision_matrix": torch.ones(2)})
    f.error("mvn/error/not_pd", "MultivariateNormal", {"loc": torch.zeros(2), "covariance_matrix": torch.tensor([[1.0, 2.0], [2.0, 1.0]])})
    f.error("mvn/error/not_sym", "MultivariateNormal", {"loc": torch.zeros(2), "covariance_matrix": torch.tensor([[1.0, 0.5], [0.0, 1.0]])})
    f.error("mvn/error/not_pd_novalidate", "MultivariateNormal",
            {"loc": torch.zeros(3), "covariance_matrix": torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 2.0], [0.0, 2.0, 1.0]])},
            validate=False)
    f.error("mvn/error/tril_upper", "MultivariateNormal", {"loc": torch.zeros(2), "scale_tril": torch.tensor([[1.0, 0.5], [0.0, 1.0]])})
    f.error("mvn/error/tril_diag", "MultivariateNormal", {"loc": torch.zeros(2), "scale_tril": torch.tensor([[1.0, 0.0], [0.5, -1.0]])})
    f.error("mvn/error/batch", "MultivariateNormal", {"loc": torch.zeros(3, 2), "covariance_matrix": torch.eye(2).expand(2, 2, 2)})
    f.error("mvn/error/value_event", "MultivariateNormal", {"loc": torch.zeros(2), "covariance_matrix": I}, "log_prob",
            torch.zeros(3))
    f.error("mvn/error/value_nan", "MultivariateNormal", {"loc": torch.zeros(2), "covariance_matrix": I}, "log_prob",
            torch.tensor([0.0, float("nan")]))


# ---------------------------------------------------------------------------------------------
# scalar functions lockstep ports: SLEEF's vectorised log1p (Laplace samples), glibc's erff/expf
# (erfinv, Normal.icdf), checked element by element against PyTorch / libm.

def gen_libm(f):
    libm = ctypes.CDLL("libm.so.6")
    for fn in ("erff", "expf", "logf"):
        getattr(libm, fn).restype = ctypes.c_float
        getattr(libm, fn).argtypes = [ctypes.c_float]
    libm.erf.restype = ctypes.c_double
    libm.erf.argtypes = [ctypes.c_double]
    g = torch.Generator().manual_seed(stable_seed("libm"))

    def add(cid, fn, x, y):
        f.cases.append({"id": cid, "fn": fn, "x": T(x), "out": T(y)})

    # log1p on the Laplace range [-1+eps, 0], plus a general spread (float32 and float64)
    u = torch.empty(8000).uniform_(-1, 0, generator=g)
    wide = torch.cat([torch.randn(5000, generator=g) * 10, torch.rand(3000, generator=g) * 1e-6,
                      torch.exp(torch.randn(3000, generator=g) * 20),
                      torch.tensor([0.0, -0.0, -1.0, -1 + 2 ** -24, 1e-38, 1e-45, 3e38, float("inf"), -2.0,
                                    float("nan"), 1e38, 1.1e38])])
    for name, x in (("laplace", u), ("wide", wide)):
        add(f"log1p/f32/{name}", "log1p", x, torch.log1p(x))
        xd = x.double() if name == "wide" else torch.empty(8000, dtype=f64).uniform_(-1, 0, generator=g)
        add(f"log1p/f64/{name}", "log1p", xd, torch.log1p(xd))
    # erfinv (float32 and float64) over (-1, 1) and the tails
    e = torch.cat([torch.rand(8000, generator=g) * 2 - 1, 1 - torch.rand(2000, generator=g) * 1e-3,
                   -1 + torch.rand(2000, generator=g) * 1e-3, torch.tensor([0.0, -0.0, 0.7, -0.7, 1.0, -1.0, 1.5])])
    add("erfinv/f32", "erfinv", e, torch.erfinv(e))
    ed = e.double()
    add("erfinv/f64", "erfinv", ed, torch.erfinv(ed))
    # glibc's float functions (the ones calc_erfinv<float> calls)
    xs = torch.cat([torch.randn(8000, generator=g) * 3, torch.rand(2000, generator=g) * 12 - 6,
                    torch.tensor([0.0, -0.0, 0.84375, 1.25, 2.857, 6.0, -6.0, 1e-30, 88.5, -103.5, float("inf"),
                                  -float("inf"), float("nan")])])
    for fn in ("erff", "expf"):
        ys = torch.tensor([getattr(libm, fn)(float(v)) for v in xs.tolist()], dtype=f32)
        add(f"glibc/{fn}", fn, xs, ys)
    xd = torch.cat([torch.randn(8000, generator=g, dtype=f64) * 3, torch.rand(2000, generator=g, dtype=f64) * 12 - 6,
                    torch.tensor([0.0, -0.0, 0.84375, 1.25, 2.857142857, 6.0, -6.0, 1e-30, 1e-310, float("inf"), float("nan")],
                                 dtype=f64)])
    add("glibc/erf", "erf", xd, torch.tensor([libm.erf(v) for v in xd.tolist()], dtype=f64))
    ls = torch.cat([torch.rand(5000, generator=g), torch.exp(torch.randn(5000, generator=g) * 10)])
    add("glibc/logf", "logf", ls, torch.tensor([libm.logf(float(v)) for v in ls.tolist()], dtype=f32))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "test-vectors", "distributions"))
    ap.add_argument("--only", nargs="*")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    groups = [("normal", gen_normal), ("uniform", gen_uniform), ("bernoulli", gen_bernoulli),
              ("categorical", gen_categorical), ("exponential", gen_exponential), ("laplace", gen_laplace),
              ("multivariate_normal", gen_mvn), ("libm", gen_libm)]
    for name, fn in groups:
        if a.only and name not in a.only:
            continue
        f = File(name)
        fn(f)
        write_cases(os.path.join(a.out, name + ".json"), GEN, f.cases)
        print(f"{name}: {len(f.cases)} cases", file=sys.stderr)


if __name__ == "__main__":
    main()
