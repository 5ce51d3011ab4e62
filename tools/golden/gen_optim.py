#!/usr/bin/python3
"""Golden vectors for lockstep's torch.optim and torch.optim.lr_scheduler, from Debian's PyTorch 1.13.1.

    /usr/bin/python3 tools/golden/gen_optim.py [--out test-vectors/optim] [--only optimizers schedulers libm]

Writes test-vectors/optim/{optimizers,schedulers,libm}.json (format below). Deterministic: every case
draws its tensors from a generator seeded by a hash of its id, PyTorch runs single-threaded.

optimizers.json — trajectories over 50 steps. Each case has three float32 parameters (shapes
[5,3], [3], [4,4]) and two fixed tensors A, B per parameter; the gradient at step t (1-based) is

    grad = p * A + B * c(t, m)          c(t, m) = ((7*t + 3*m) % 11 - 5) * 0.25   (m: micro-batch)

three separately rounded float32 ops (no reduction, so every implementation gets the same bits).
`grad_mode`: "set" assigns p.grad = grad; "backward" computes loss = (p * grad.detach()).sum() and
calls backward() (grad of a sum of products: exactly `grad`); "accumulate" runs `micro` backward
calls per step after zero_grad(), so .grad = g0 + g1 (+ g2...) accumulated in place.
`skip`: parameter i gets no gradient (None) at steps t with (t + i) % 7 == 0 ("set" mode only).
Ids "<Optimizer>/large" use shapes [33,7], [70], [4,4]; "<Optimizer>/float64" float64 parameters.
CASE: {"id", "optimizer", "kwargs" (PyTorch's names), "groups" (null: one group of all params,
else a list of {"params": [indices], ...group kwargs}), "add_group" (null or {"at": step,
"group": {...}}: add_param_group before that step), "grad_mode", "micro", "skip", "steps",
"params0": [T], "A": [T], "B": [T], "record": [{"step", "params": [T]}], "state_at": step,
"state_dict_mid": SD (state dict after step `state_at`), "state_dict": SD (after the last step)}.
SD = {"state": {"0": {"step": T|int, "exp_avg": T, ..., "momentum_buffer": T|null}},
"param_groups": [{"lr": 0.001, "betas": [0.9, 0.999], ..., "foreach": null, "params": [0, 1]}]}
Tensors are T (tools/golden/README.md), written contiguous.

schedulers.json — learning rates over 100 steps. CASE: {"id", "optimizer" ("SGD"|"Adam"),
"opt_kwargs", "groups": [{"lr": ...}], "scheduler": SPEC, "steps", "metrics" (plateau only),
"epochs" (null, or the epoch argument given to each step(epoch)), "opt_step_first" (false: the
scheduler steps before the optimizer, which warns), "initial": {"lr": [...], "momentum": [...]},
"lrs": [[...] per step], "momentum": [[...] per step] (group momentum, or betas[0] for Adam; CyclicLR
and OneCycleLR only, else null),
"warnings": ["UserWarning: ..."] in order, "state_dict": the scheduler's state dict at the end
(callables left out, inf as {"float": "inf"})}. SPEC: {"type": "StepLR", "kwargs": {...}} with
lambdas named by a string id ("lambda": "pow095" etc., see LAMBDAS) and nested schedulers as SPECs.
Learning rates are JSON numbers written with Python's repr, which parse back to the same doubles.

libm.json — glibc's pow/cos/log (what Python floats use) on the arguments optimizers and schedulers
produce plus random ones, and glibc's fma on random bit patterns: {"fma": (a, b, c, result)...,
"pow": (x, y, result)..., "cos": (x, result)..., "log": ...}, each double as 16 hex digits, concatenated.
"""

import argparse
import json
import math
import os
import struct
import sys
import warnings

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import encode_float, encode_tensor, stable_seed, write_cases  # noqa: E402

torch.set_num_threads(1)

SHAPES = [[5, 3], [3], [4, 4]]
RECORD = [1, 2, 3, 5, 10, 20, 25, 30, 40, 50]


def enc(t):
    return encode_tensor(t, whole_storage=False)


def enc_value(v):
    if isinstance(v, torch.Tensor):
        return enc(v)
    if isinstance(v, float):
        return encode_float(v)
    if isinstance(v, (list, tuple)):
        return [enc_value(x) for x in v]
    if isinstance(v, dict):
        return {str(k): enc_value(x) for k, x in v.items()}
    if v is None or isinstance(v, (bool, int, str)):
        return v
    raise TypeError("cannot encode %r" % (v,))


def enc_state_dict(sd):
    return {"state": {str(k): enc_value(v) for k, v in sd["state"].items()},
            "param_groups": [enc_value(g) for g in sd["param_groups"]]}


# ----------------------------------------------------------------------------------------------
# optimizers


def coeff(t, m):
    return ((7 * t + 3 * m) % 11 - 5) * 0.25


def grad_of(p, a, b, t, m):
    return p.detach() * a + b * coeff(t, m)


def optimizer_case(cid, name, kwargs, groups=None, add_group=None, grad_mode="set", micro=1, skip=False,
                   steps=50, state_at=25, shapes=SHAPES, dtype=torch.float32):
    g = torch.Generator().manual_seed(stable_seed("optim:" + cid))
    params0 = [torch.randn(s, generator=g, dtype=dtype) for s in shapes]
    A = [torch.rand(s, generator=g, dtype=dtype) * 0.5 + 0.25 for s in shapes]
    B = [torch.randn(s, generator=g, dtype=dtype) for s in shapes]
    params = [p.clone().requires_grad_(True) for p in params0]
    cls = getattr(torch.optim, name)
    if groups is None:
        initial = params if add_group is None else [params[i] for i in range(3) if i not in add_group["group"]["params"]]
        opt = cls(initial, **kwargs)
    else:
        opt = cls([dict(gr, params=[params[i] for i in gr["params"]]) for gr in groups], **kwargs)
    record = []
    mid = None
    for t in range(1, steps + 1):
        if add_group is not None and add_group["at"] == t:
            gr = add_group["group"]
            opt.add_param_group(dict(gr, params=[params[i] for i in gr["params"]]))
        if grad_mode == "set":
            for i, p in enumerate(params):
                p.grad = None if (skip and (t + i) % 7 == 0) else grad_of(p, A[i], B[i], t, 0)
        else:
            opt.zero_grad()
            for m in range(micro):
                loss = sum((p * grad_of(p, A[i], B[i], t, m)).sum() for i, p in enumerate(params))
                loss.backward()
        opt.step()
        if t in RECORD:
            record.append({"step": t, "params": [enc(p) for p in params]})
        if t == state_at:
            mid = enc_state_dict(opt.state_dict())
    return {
        "id": cid, "optimizer": name, "kwargs": enc_value(kwargs), "groups": groups, "add_group": add_group,
        "grad_mode": grad_mode, "micro": micro, "skip": skip, "steps": steps,
        "params0": [enc(p) for p in params0], "A": [enc(a) for a in A], "B": [enc(b) for b in B],
        "record": record, "state_at": state_at, "state_dict_mid": mid,
        "state_dict": enc_state_dict(opt.state_dict()),
    }


OPTIMIZER_CONFIGS = {
    "SGD": [
        {"lr": 0.1},
        {"lr": 0.05, "momentum": 0.9},
        {"lr": 0.03, "momentum": 0.9, "dampening": 0.1},
        {"lr": 0.02, "momentum": 0.9, "nesterov": True},
        {"lr": 0.1, "weight_decay": 0.01},
        {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.05, "maximize": True},
        {"lr": 0.07, "momentum": 0.5, "dampening": 0.5, "weight_decay": 0.1},
        {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.003},
    ],
    "Adam": [
        {},
        {"lr": 0.01, "betas": (0.8, 0.99)},
        {"lr": 0.01, "amsgrad": True},
        {"lr": 0.003, "weight_decay": 0.1},
        {"lr": 0.01, "maximize": True},
        {"lr": 0.02, "amsgrad": True, "weight_decay": 0.05, "maximize": True, "eps": 1e-6},
        {"lr": 0.1, "eps": 1e-3, "betas": (0.5, 0.9)},
    ],
    "AdamW": [
        {},
        {"lr": 0.01, "amsgrad": True},
        {"lr": 0.01, "weight_decay": 0.1},
        {"lr": 0.005, "maximize": True, "betas": (0.85, 0.995)},
        {"lr": 0.02, "amsgrad": True, "weight_decay": 0.0, "eps": 1e-7},
    ],
    "RMSprop": [
        {},
        {"lr": 0.005, "centered": True},
        {"lr": 0.001, "momentum": 0.9},
        {"lr": 0.001, "momentum": 0.8, "centered": True},
        {"lr": 0.01, "weight_decay": 0.1},
        {"lr": 0.003, "alpha": 0.9, "eps": 1e-6},
        {"lr": 0.002, "maximize": True, "momentum": 0.5},
    ],
    "Adagrad": [
        {},
        {"lr": 0.05, "lr_decay": 0.01},
        {"lr": 0.02, "initial_accumulator_value": 0.1},
        {"lr": 0.03, "eps": 1e-6, "weight_decay": 0.1},
        {"lr": 0.01, "maximize": True},
    ],
    "Adadelta": [
        {},
        {"rho": 0.95},
        {"lr": 0.5, "eps": 1e-5},
        {"lr": 2.0, "weight_decay": 0.1},
        {"maximize": True, "rho": 0.8},
    ],
}

SKIP_CONFIGS = {
    "SGD": {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01},
    "Adam": {"lr": 0.01, "amsgrad": True},
    "AdamW": {"lr": 0.01},
    "RMSprop": {"lr": 0.003, "momentum": 0.9, "centered": True},
    "Adagrad": {"lr": 0.05, "lr_decay": 0.001},
    "Adadelta": {"lr": 1.0},
}


def gen_optimizers():
    cases = []
    for name, configs in OPTIMIZER_CONFIGS.items():
        for k, kw in enumerate(configs):
            cases.append(optimizer_case("%s/%d" % (name, k), name, kw))
    for name, kw in SKIP_CONFIGS.items():
        cases.append(optimizer_case("%s/skip" % name, name, kw, skip=True))
    # bigger tensors (PyTorch's vectorised loop plus its scalar tail) and float64 parameters
    for name, kw in [("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
                     ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.01}), ("AdamW", {"lr": 0.01}),
                     ("RMSprop", {"lr": 0.003, "momentum": 0.9, "centered": True}),
                     ("Adagrad", {"lr": 0.05, "lr_decay": 0.01}), ("Adadelta", {"lr": 1.0, "weight_decay": 0.01})]:
        cases.append(optimizer_case("%s/large" % name, name, kw, shapes=[[33, 7], [70], [4, 4]]))
        cases.append(optimizer_case("%s/float64" % name, name, kw, dtype=torch.float64))
    # foreach=True (PyTorch's multi-tensor implementations): the same bits, except Adagrad with lr_decay
    for name, kw in [("SGD", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01}), ("Adam", {"lr": 0.01, "amsgrad": True}),
                     ("AdamW", {"lr": 0.01}), ("RMSprop", {"lr": 0.003, "momentum": 0.9, "centered": True}),
                     ("Adagrad", {"lr": 0.05, "lr_decay": 0.01}), ("Adagrad", {"lr": 0.05, "lr_decay": 0.003,
                                                                             "weight_decay": 0.1}),
                     ("Adagrad", {"lr": 0.05, "lr_decay": 0.01, "maximize": True}),
                     ("Adadelta", {"lr": 1.0, "weight_decay": 0.01})]:
        k = sum(1 for c in cases if c["id"].startswith("%s/foreach" % name))
        cases.append(optimizer_case("%s/foreach%d" % (name, k), name, dict(kw, foreach=True), skip=True))
    # parameter groups with their own options
    cases.append(optimizer_case("SGD/groups", "SGD", {"lr": 0.01, "momentum": 0.9}, groups=[
        {"params": [0, 2], "lr": 0.1}, {"params": [1], "momentum": 0.0, "weight_decay": 0.01}]))
    cases.append(optimizer_case("Adam/groups", "Adam", {"lr": 0.001}, groups=[
        {"params": [1, 0], "lr": 0.01, "betas": (0.8, 0.95)}, {"params": [2], "amsgrad": True}]))
    cases.append(optimizer_case("RMSprop/groups", "RMSprop", {"lr": 0.001}, groups=[
        {"params": [0], "centered": True}, {"params": [1, 2], "momentum": 0.9, "lr": 0.003}]))
    # add_param_group part-way
    cases.append(optimizer_case("SGD/add_group", "SGD", {"lr": 0.05, "momentum": 0.9},
                                add_group={"at": 20, "group": {"params": [2], "lr": 0.01}}))
    cases.append(optimizer_case("Adam/add_group", "Adam", {"lr": 0.01},
                                add_group={"at": 10, "group": {"params": [1], "lr": 0.003, "amsgrad": True}}))
    # (Adagrad + add_param_group fails in PyTorch 1.13: its state is made in __init__, KeyError 'sum')
    cases.append(optimizer_case("RMSprop/add_group", "RMSprop", {"lr": 0.003},
                                add_group={"at": 15, "group": {"params": [0], "momentum": 0.5}}))
    # gradients through autograd, zero_grad, accumulation over micro-batches
    for name, kw in [("SGD", {"lr": 0.05, "momentum": 0.9}), ("Adam", {"lr": 0.01}), ("AdamW", {"lr": 0.01}),
                     ("RMSprop", {"lr": 0.001, "centered": True}), ("Adagrad", {"lr": 0.05}),
                     ("Adadelta", {"lr": 1.0})]:
        cases.append(optimizer_case("%s/backward" % name, name, kw, grad_mode="backward"))
        cases.append(optimizer_case("%s/accumulate" % name, name, kw, grad_mode="accumulate", micro=3))
    return cases


# ----------------------------------------------------------------------------------------------
# schedulers

LS = torch.optim.lr_scheduler

LAMBDAS = {
    "pow095": lambda e: 0.95 ** e,
    "inv1": lambda e: 1 / (e + 1),
    "const097": lambda e: 0.97,
    "every10": lambda e: 0.9 if e % 10 == 0 else 1.0,
    "scale_inv": lambda x: 1.0 / (1.0 + x),
    "scale_pow": lambda x: 0.99 ** x,
}


def build_scheduler(opt, spec):
    kw = dict(spec.get("kwargs", {}))
    for k in ("lr_lambda", "scale_fn"):
        if k in kw:
            v = kw[k]
            kw[k] = [LAMBDAS[x] for x in v] if isinstance(v, list) else LAMBDAS[v]
    if "schedulers" in kw:
        kw["schedulers"] = [build_scheduler(opt, s) for s in kw["schedulers"]]
    cls = getattr(LS, spec["type"])
    if spec["type"] == "ChainedScheduler":
        return cls(**kw)
    return cls(opt, **kw)


def sched_state(sd):
    out = {}
    for k, v in sd.items():
        if callable(v) or k in ("_scale_fn_ref", "anneal_func"):
            continue
        if k == "_schedulers":
            out[k] = [sched_state(s) for s in v]
        elif k == "milestones" and isinstance(v, dict):
            out[k] = {str(m): c for m, c in v.items()}
        else:
            out[k] = enc_value(v)
    return out


def momenta(opt):
    return [g["betas"][0] if "betas" in g else g.get("momentum") for g in opt.param_groups]


def scheduler_case(cid, spec, optimizer="SGD", groups=None, opt_kwargs=None, steps=100, metrics=None,
                   epochs=None, opt_step_first=True):
    groups = groups or [{"lr": 0.1}, {"lr": 0.05}]
    opt_kwargs = opt_kwargs if opt_kwargs is not None else ({"momentum": 0.9} if optimizer == "SGD" else {})
    params = [torch.zeros(2, requires_grad=True) for _ in groups]
    opt = getattr(torch.optim, optimizer)([dict(gr, params=[p]) for gr, p in zip(groups, params)], **opt_kwargs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sched = build_scheduler(opt, spec)
        initial = {"lr": [g["lr"] for g in opt.param_groups], "momentum": momenta(opt)}
        lrs, moms = [], []
        for t in range(steps):
            if opt_step_first:
                opt.step()
            if metrics is not None:
                sched.step(metrics[t])
            elif epochs is not None:
                sched.step(epochs[t])
            else:
                sched.step()
            if not opt_step_first:
                opt.step()
            lrs.append([g["lr"] for g in opt.param_groups])
            moms.append(momenta(opt))
    warns = ["%s: %s" % (w.category.__name__, w.message) for w in caught]
    return {
        "id": cid, "optimizer": optimizer, "opt_kwargs": opt_kwargs, "groups": groups, "scheduler": spec,
        "steps": steps, "metrics": metrics, "epochs": epochs, "opt_step_first": opt_step_first,
        "initial": initial, "lrs": lrs, "momentum": moms if spec["type"] in ("CyclicLR", "OneCycleLR") else None,
        "warnings": warns,
        "state_dict": sched_state(sched.state_dict()),
    }


def plateau_metrics(sign=1.0):
    out = []
    for t in range(100):
        base = 1.0 / (1.0 + 0.1 * min(t, 25)) + ((t * 37) % 11) * 1e-4
        out.append(sign * base)
    return out


def gen_schedulers():
    S = scheduler_case
    c = []
    c.append(S("StepLR/0", {"type": "StepLR", "kwargs": {"step_size": 7, "gamma": 0.5}}))
    c.append(S("StepLR/1", {"type": "StepLR", "kwargs": {"step_size": 3, "gamma": 0.3}}))
    c.append(S("StepLR/2", {"type": "StepLR", "kwargs": {"step_size": 10}}))
    c.append(S("StepLR/epochs", {"type": "StepLR", "kwargs": {"step_size": 4, "gamma": 0.7}},
               epochs=[(t * 3) % 41 for t in range(100)]))
    c.append(S("StepLR/before_opt", {"type": "StepLR", "kwargs": {"step_size": 5, "gamma": 0.5}},
               opt_step_first=False))
    c.append(S("MultiStepLR/0", {"type": "MultiStepLR", "kwargs": {"milestones": [10, 25, 25, 60], "gamma": 0.3}}))
    c.append(S("MultiStepLR/1", {"type": "MultiStepLR", "kwargs": {"milestones": [5, 50]}}))
    c.append(S("MultiStepLR/epochs", {"type": "MultiStepLR", "kwargs": {"milestones": [3, 9, 9, 20], "gamma": 0.6}},
               epochs=[(t * 7) % 31 for t in range(100)]))
    c.append(S("ExponentialLR/0", {"type": "ExponentialLR", "kwargs": {"gamma": 0.97}}))
    c.append(S("ExponentialLR/1", {"type": "ExponentialLR", "kwargs": {"gamma": 0.9}}))
    c.append(S("ExponentialLR/epochs", {"type": "ExponentialLR", "kwargs": {"gamma": 0.93}},
               epochs=[(t * 5) % 97 for t in range(100)]))
    c.append(S("CosineAnnealingLR/0", {"type": "CosineAnnealingLR", "kwargs": {"T_max": 30}}))
    c.append(S("CosineAnnealingLR/1", {"type": "CosineAnnealingLR", "kwargs": {"T_max": 17, "eta_min": 0.001}}))
    c.append(S("CosineAnnealingLR/2", {"type": "CosineAnnealingLR", "kwargs": {"T_max": 100, "eta_min": 0.01}}))
    c.append(S("CosineAnnealingLR/3", {"type": "CosineAnnealingLR", "kwargs": {"T_max": 7}}))
    c.append(S("CosineAnnealingLR/epochs", {"type": "CosineAnnealingLR", "kwargs": {"T_max": 20, "eta_min": 0.002}},
               epochs=[(t * 3) % 50 for t in range(100)]))
    c.append(S("CosineAnnealingWarmRestarts/0", {"type": "CosineAnnealingWarmRestarts", "kwargs": {"T_0": 10}}))
    c.append(S("CosineAnnealingWarmRestarts/1",
               {"type": "CosineAnnealingWarmRestarts", "kwargs": {"T_0": 5, "T_mult": 2, "eta_min": 1e-4}}))
    c.append(S("CosineAnnealingWarmRestarts/2", {"type": "CosineAnnealingWarmRestarts", "kwargs": {"T_0": 3, "T_mult": 3}}))
    c.append(S("CosineAnnealingWarmRestarts/epochs",
               {"type": "CosineAnnealingWarmRestarts", "kwargs": {"T_0": 4, "T_mult": 2, "eta_min": 0.001}},
               epochs=[t / 7.0 for t in range(100)]))
    c.append(S("CosineAnnealingWarmRestarts/epochs1",
               {"type": "CosineAnnealingWarmRestarts", "kwargs": {"T_0": 6}},
               epochs=[t * 0.3 for t in range(100)]))
    for k, (mode, tmode, extra, sign) in enumerate([
            ("min", "rel", {}, 1.0),
            ("min", "abs", {"threshold": 0.01}, 1.0),
            ("max", "rel", {"factor": 0.5, "patience": 3}, -1.0),
            ("max", "abs", {"threshold": 0.001, "patience": 2}, -1.0),
            ("min", "rel", {"patience": 2, "cooldown": 3, "min_lr": [0.01, 0.003], "factor": 0.5}, 1.0),
            ("min", "rel", {"patience": 1, "factor": 0.3, "min_lr": 0.004, "eps": 1e-3}, 1.0)]):
        kw = dict(extra, mode=mode, threshold_mode=tmode)
        c.append(S("ReduceLROnPlateau/%d" % k, {"type": "ReduceLROnPlateau", "kwargs": kw},
                   metrics=plateau_metrics(sign if mode == "min" else -sign)))
    c.append(S("CyclicLR/triangular", {"type": "CyclicLR", "kwargs": {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 10}}))
    c.append(S("CyclicLR/triangular2", {"type": "CyclicLR", "kwargs": {
        "base_lr": [0.01, 0.001], "max_lr": [0.1, 0.05], "step_size_up": 5, "step_size_down": 15,
        "mode": "triangular2", "base_momentum": 0.85, "max_momentum": 0.95}}))
    c.append(S("CyclicLR/exp_range", {"type": "CyclicLR", "kwargs": {
        "base_lr": 0.001, "max_lr": 0.01, "step_size_up": 8, "mode": "exp_range", "gamma": 0.99}}))
    c.append(S("CyclicLR/no_momentum", {"type": "CyclicLR", "kwargs": {
        "base_lr": 0.02, "max_lr": 0.2, "step_size_up": 7, "cycle_momentum": False}},
        optimizer="Adam", opt_kwargs={}))
    c.append(S("CyclicLR/scale_fn", {"type": "CyclicLR", "kwargs": {
        "base_lr": 0.01, "max_lr": 0.1, "step_size_up": 6, "scale_fn": "scale_inv", "scale_mode": "cycle"}}))
    c.append(S("CyclicLR/scale_fn_iter", {"type": "CyclicLR", "kwargs": {
        "base_lr": 0.01, "max_lr": 0.1, "step_size_up": 6, "step_size_down": 4, "scale_fn": "scale_pow",
        "scale_mode": "iterations"}}))
    c.append(S("OneCycleLR/cos", {"type": "OneCycleLR", "kwargs": {"max_lr": 0.1, "total_steps": 100}}))
    c.append(S("OneCycleLR/linear", {"type": "OneCycleLR", "kwargs": {
        "max_lr": [0.1, 0.05], "total_steps": 100, "anneal_strategy": "linear", "pct_start": 0.25}}))
    c.append(S("OneCycleLR/three_phase", {"type": "OneCycleLR", "kwargs": {
        "max_lr": 0.2, "total_steps": 100, "three_phase": True, "div_factor": 10.0, "final_div_factor": 100.0}}))
    c.append(S("OneCycleLR/adam", {"type": "OneCycleLR", "kwargs": {
        "max_lr": 0.01, "epochs": 10, "steps_per_epoch": 10, "base_momentum": 0.8, "max_momentum": 0.9}},
        optimizer="Adam", opt_kwargs={}))
    c.append(S("OneCycleLR/no_momentum", {"type": "OneCycleLR", "kwargs": {
        "max_lr": 0.3, "total_steps": 120, "cycle_momentum": False, "pct_start": 0.4}}))
    c.append(S("LinearLR/0", {"type": "LinearLR", "kwargs": {"start_factor": 0.25, "total_iters": 8}}))
    c.append(S("LinearLR/1", {"type": "LinearLR", "kwargs": {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 30}}))
    c.append(S("LinearLR/2", {"type": "LinearLR", "kwargs": {}}))
    c.append(S("LinearLR/epochs", {"type": "LinearLR", "kwargs": {"start_factor": 0.1, "total_iters": 12}},
               epochs=[(t * 3) % 20 for t in range(100)]))
    c.append(S("ConstantLR/0", {"type": "ConstantLR", "kwargs": {"factor": 0.5, "total_iters": 4}}))
    c.append(S("ConstantLR/1", {"type": "ConstantLR", "kwargs": {}}))
    c.append(S("ConstantLR/epochs", {"type": "ConstantLR", "kwargs": {"factor": 0.3, "total_iters": 6}},
               epochs=[(t * 3) % 11 for t in range(100)]))
    c.append(S("LambdaLR/0", {"type": "LambdaLR", "kwargs": {"lr_lambda": "pow095"}}))
    c.append(S("LambdaLR/1", {"type": "LambdaLR", "kwargs": {"lr_lambda": ["inv1", "pow095"]}}))
    c.append(S("MultiplicativeLR/0", {"type": "MultiplicativeLR", "kwargs": {"lr_lambda": "const097"}}))
    c.append(S("MultiplicativeLR/1", {"type": "MultiplicativeLR", "kwargs": {"lr_lambda": ["every10", "const097"]}}))
    c.append(S("PolynomialLR/0", {"type": "PolynomialLR", "kwargs": {"total_iters": 30, "power": 2.0}}))
    c.append(S("PolynomialLR/1", {"type": "PolynomialLR", "kwargs": {"total_iters": 50, "power": 0.5}}))
    c.append(S("PolynomialLR/2", {"type": "PolynomialLR", "kwargs": {}}))
    c.append(S("PolynomialLR/epochs", {"type": "PolynomialLR", "kwargs": {"total_iters": 40, "power": 1.5}},
               epochs=[(t * 7) % 45 for t in range(100)]))
    c.append(S("SequentialLR/0", {"type": "SequentialLR", "kwargs": {"schedulers": [
        {"type": "LinearLR", "kwargs": {"start_factor": 0.1, "total_iters": 5}},
        {"type": "CosineAnnealingLR", "kwargs": {"T_max": 40}}], "milestones": [5]}}))
    c.append(S("SequentialLR/1", {"type": "SequentialLR", "kwargs": {"schedulers": [
        {"type": "ConstantLR", "kwargs": {"factor": 0.5, "total_iters": 3}},
        {"type": "ExponentialLR", "kwargs": {"gamma": 0.9}},
        {"type": "StepLR", "kwargs": {"step_size": 10, "gamma": 0.5}}], "milestones": [10, 40]}}))
    c.append(S("ChainedScheduler/0", {"type": "ChainedScheduler", "kwargs": {"schedulers": [
        {"type": "ConstantLR", "kwargs": {"factor": 0.1, "total_iters": 2}},
        {"type": "ExponentialLR", "kwargs": {"gamma": 0.9}}]}}))
    c.append(S("ChainedScheduler/1", {"type": "ChainedScheduler", "kwargs": {"schedulers": [
        {"type": "LinearLR", "kwargs": {"start_factor": 0.5, "total_iters": 10}},
        {"type": "StepLR", "kwargs": {"step_size": 15, "gamma": 0.5}},
        {"type": "CosineAnnealingLR", "kwargs": {"T_max": 25, "eta_min": 0.001}}]}}))
    return c


# ----------------------------------------------------------------------------------------------
# libm


def h(x):
    return struct.pack(">d", x).hex()


def gen_libm():
    g = torch.Generator().manual_seed(stable_seed("optim:libm"))
    u = torch.rand(6000, dtype=torch.float64, generator=g).tolist()
    pow_cases, cos_cases, log_cases = [], [], []
    for beta in (0.9, 0.999, 0.99, 0.95, 0.8, 0.5, 0.97):
        for s in range(1, 201):
            pow_cases.append((beta, float(s)))
    for i in range(500):
        pow_cases.append((u[i], float(int(u[i + 1000] * 1e5) + 1)))
        pow_cases.append((math.exp((u[i + 2000] - 0.5) * 40), (u[i + 3000] - 0.5) * 20))
    for T in (7, 17, 30, 100):
        for t in range(0, 200):
            cos_cases.append(math.pi * t / T)
            cos_cases.append(t * math.pi / T)
    for i in range(1000):
        cos_cases.append((u[i] - 0.5) * 8)
        cos_cases.append((u[i + 2000] - 0.5) * 2e6)
    for i in range(1, 501):
        log_cases.append(float(i))
    for i in range(1000):
        log_cases.append(1 + (u[i] - 0.5) * 0.2)
        log_cases.append(math.exp((u[i + 2000] - 0.5) * 1400))
    # fma (libm's, through ctypes): random bit patterns (subnormals, huge, inf, nan) and cancellations
    import ctypes
    libm = ctypes.CDLL("libm.so.6")
    libm.fma.restype = ctypes.c_double
    libm.fma.argtypes = [ctypes.c_double] * 3
    bits = torch.randint(0, 2 ** 62, (3 * 1500,), generator=g).tolist()
    sign = torch.randint(0, 2, (3 * 1500,), generator=g).tolist()
    fma_cases = []
    for i in range(1500):
        a, b, c = (struct.unpack(">d", struct.pack(">Q", bits[3 * i + j] | (sign[3 * i + j] << 63)))[0] for j in range(3))
        fma_cases.append((a, b, c))
    for i in range(500):
        a, b = (u[i] - 0.5) * 4, (u[i + 2000] - 0.5) * 4
        fma_cases.append((a, b, -(a * b) * (1 + (u[i + 4000] - 0.5) * 1e-10)))
    return {
        "fma": "".join(h(a) + h(b) + h(c) + h(libm.fma(a, b, c)) for a, b, c in fma_cases),
        "pow": "".join(h(x) + h(y) + h(x ** y) for x, y in pow_cases),
        "cos": "".join(h(x) + h(math.cos(x)) for x in cos_cases),
        "log": "".join(h(x) + h(math.log(x)) for x in log_cases),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                                  "test-vectors", "optim"))
    ap.add_argument("--only", nargs="*", default=["optimizers", "schedulers", "libm"])
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    me = "tools/golden/gen_optim.py"
    if "optimizers" in a.only:
        write_cases(os.path.join(a.out, "optimizers.json"), me, gen_optimizers())
    if "schedulers" in a.only:
        write_cases(os.path.join(a.out, "schedulers.json"), me, gen_schedulers())
    if "libm" in a.only:
        d = gen_libm()
        with open(os.path.join(a.out, "libm.json"), "w") as f:
            json.dump({"generator": me, "torch_version": torch.__version__, **d}, f, separators=(",", ":"))
            f.write("\n")


if __name__ == "__main__":
    main()
