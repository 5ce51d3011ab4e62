#!/usr/bin/python3
"""Golden vectors for lockstep's torch.autocast and torch.amp.GradScaler, from PyTorch 1.13 on CPU.

Run with Debian's Python (it has python3-torch 1.13.1):

    /usr/bin/python3 tools/golden/gen_amp.py [--out test-vectors/amp]

Writes
  autocast_lists.json  the ops registered for the AutocastCPU and AutocastCUDA dispatch keys in this
                       build (torch._C._dispatch_get_registrations_for_dispatch_key), against which
                       lockstep's transcribed op lists are checked.
  autocast_cpu.json    ops run inside torch.autocast("cpu", dtype=torch.bfloat16): inputs, output
                       (dtype and bits) and, for some, the gradients of float32 inputs; plus a small
                       CNN's forward intermediates, loss and parameter gradients.
  grad_scaler.json     training loops with dynamic loss scaling, including skipped steps.

GradScaler: PyTorch 1.13 has it only as torch.cuda.amp.GradScaler, which disables itself without
CUDA, and its two kernels (_amp_foreach_non_finite_check_and_unscale_, _amp_update_scale_) have no
CPU implementation in this build. The loops below therefore run PyTorch's own GradScaler code
(step/unscale_/update/state_dict, unchanged) with three CUDA-only pieces replaced: the is_cuda
asserts in scale() and _unscale_grads_ (rewritten without them), and the two kernels, reimplemented
here with the CUDA kernels' arithmetic (aten/src/ATen/native/cuda/AmpKernels.cu, 1.13):
  * non_finite_check_and_unscale: found_inf = 1 if any element is inf/NaN (checked before scaling);
    each element := (inv_scale == 1 ? val : val * inv_scale) computed in opmath (float32 for
    float32/float16/bfloat16 grads, float64 for float64) and rounded once to the grad's dtype.
  * update_scale: if found_inf: scale = float(scale * backoff) (float * double in double), tracker = 0;
    else successful = tracker + 1; if successful == interval: new = float(scale * growth), kept only if
    finite, tracker = 0; else tracker = successful.
"""

import argparse
import json
import os
import sys
import warnings
from collections import defaultdict

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import encode_tensor, encode_value, stable_seed  # noqa: E402

GENERATOR = "tools/golden/gen_amp.py"
BF16 = torch.bfloat16


def enc(t):
    return encode_tensor(t, whole_storage=False)


def header():
    return {"generator": GENERATOR, "torch_version": torch.__version__}


def write_json(path, obj, case_key="cases"):
    """Compact JSON, one case per line (like common.write_cases), with extra top-level keys."""
    cases = obj.pop(case_key, None)
    head = json.dumps(obj, separators=(",", ":"))
    with open(path, "w") as f:
        if cases is None:
            f.write(head + "\n")
            return
        f.write(head[:-1])
        f.write(',"%s":[\n' % case_key)
        f.write(",\n".join(json.dumps(c, separators=(",", ":"), allow_nan=False) for c in cases))
        f.write("\n]}\n")


# ---------------------------------------------------------------------------------------------
# autocast_lists.json


def gen_lists():
    out = header()
    out["registrations"] = {
        key: sorted(n[len("aten::"):] for n in torch._C._dispatch_get_registrations_for_dispatch_key(key)
                    if n.startswith("aten::"))
        for key in ("AutocastCPU", "AutocastCUDA")
    }
    return out


# ---------------------------------------------------------------------------------------------
# autocast_cpu.json


def rnd(g, *shape, dtype=torch.float32, scale=1.0):
    return (torch.randn(*shape, generator=g) * scale).to(dtype)


def op_cases():
    """(id, op, make(g) -> (args, kwargs), grads?) — inputs drawn from a per-case seeded generator."""
    c = []

    def add(cid, op, make, grads=False):
        c.append((cid, op, make, grads))

    # lower_precision_fp on CPU (float32 in, bfloat16 out)
    add("mm/large_nt/0", "mm", lambda g: ([rnd(g, 16, 32), rnd(g, 24, 32).t()], {}), True)
    add("mm/large_nn/0", "mm", lambda g: ([rnd(g, 16, 32), rnd(g, 32, 24)], {}), True)
    add("mm/small_nt/0", "mm", lambda g: ([rnd(g, 4, 8), rnd(g, 5, 8).t()], {}))
    add("mm/small_nn/0", "mm", lambda g: ([rnd(g, 4, 8), rnd(g, 8, 5)], {}))
    add("mm/bf16_in/0", "mm", lambda g: ([rnd(g, 16, 32, dtype=BF16), rnd(g, 32, 24)], {}))
    add("mm/float64/0", "mm", lambda g: ([rnd(g, 4, 8, dtype=torch.float64), rnd(g, 8, 5, dtype=torch.float64)], {}))
    add("matmul/2d/0", "matmul", lambda g: ([rnd(g, 8, 32), rnd(g, 32, 24)], {}), True)
    add("matmul/batched/0", "matmul", lambda g: ([rnd(g, 2, 8, 32), rnd(g, 32, 24)], {}), True)
    add("matmul/1d1d/0", "matmul", lambda g: ([rnd(g, 64), rnd(g, 64)], {}))
    add("matmul/2d1d/0", "matmul", lambda g: ([rnd(g, 80, 64), rnd(g, 64)], {}))
    add("bmm/large/0", "bmm", lambda g: ([rnd(g, 2, 16, 32), rnd(g, 2, 32, 24)], {}), True)
    add("bmm/small/0", "bmm", lambda g: ([rnd(g, 2, 3, 4), rnd(g, 2, 4, 5)], {}))
    add("einsum/ij_jk/0", "einsum", lambda g: (["ij,jk->ik", rnd(g, 16, 32), rnd(g, 32, 24)], {}))
    add("inner/2d/0", "inner", lambda g: ([rnd(g, 16, 32), rnd(g, 24, 32)], {}))
    add("inner/1d/0", "inner", lambda g: ([rnd(g, 64), rnd(g, 64)], {}))
    add("linalg.matrix_power/3/0", "linalg.matrix_power", lambda g: ([rnd(g, 20, 20, scale=0.3), 3], {}))
    add("nn.functional.conv1d/bias/0", "nn.functional.conv1d",
        lambda g: ([rnd(g, 2, 4, 16), rnd(g, 8, 4, 3), rnd(g, 8)], {"padding": 1}), True)
    add("nn.functional.conv2d/bias/0", "nn.functional.conv2d",
        lambda g: ([rnd(g, 2, 3, 8, 8), rnd(g, 6, 3, 3, 3), rnd(g, 6)], {"padding": 1}), True)
    add("nn.functional.conv2d/stride2/0", "nn.functional.conv2d",
        lambda g: ([rnd(g, 2, 3, 9, 9), rnd(g, 4, 3, 3, 3), None], {"stride": 2}))
    add("nn.functional.linear/2d/0", "nn.functional.linear",
        lambda g: ([rnd(g, 16, 32), rnd(g, 24, 32), rnd(g, 24)], {}), True)
    add("nn.functional.linear/3d/0", "nn.functional.linear",
        lambda g: ([rnd(g, 2, 8, 32), rnd(g, 24, 32), rnd(g, 24)], {}))
    add("nn.functional.linear/small/0", "nn.functional.linear",
        lambda g: ([rnd(g, 4, 8), rnd(g, 5, 8), rnd(g, 5)], {}))
    # not listed on CPU: float32 stays float32
    add("mv/0", "mv", lambda g: ([rnd(g, 16, 8), rnd(g, 8)], {}))
    add("dot/0", "dot", lambda g: ([rnd(g, 64), rnd(g, 64)], {}))
    add("outer/0", "outer", lambda g: ([rnd(g, 5), rnd(g, 4)], {}))
    add("nn.functional.avg_pool2d/0", "nn.functional.avg_pool2d", lambda g: ([rnd(g, 1, 2, 4, 4), 2], {}))
    add("nn.functional.adaptive_avg_pool2d/0", "nn.functional.adaptive_avg_pool2d", lambda g: ([rnd(g, 1, 2, 4, 4), 2], {}))
    # fp32 on CPU (bfloat16 in, float32 out)
    add("prod/full/0", "prod", lambda g: ([(1 + 0.2 * torch.randn(6, generator=g)).to(BF16)], {}))
    add("prod/dim/0", "prod", lambda g: ([(1 + 0.2 * torch.randn(3, 4, generator=g)).to(BF16), 1], {}))
    add("trace/0", "trace", lambda g: ([rnd(g, 5, 5, dtype=BF16)], {}))
    # not listed on CPU: bfloat16 stays bfloat16
    add("softmax/0", "softmax", lambda g: ([rnd(g, 4, 10, dtype=BF16), 1], {}))
    add("log_softmax/0", "log_softmax", lambda g: ([rnd(g, 4, 10, dtype=BF16), 1], {}))
    add("sum/0", "sum", lambda g: ([rnd(g, 4, 10, dtype=BF16), 1], {}))
    add("exp/0", "exp", lambda g: ([rnd(g, 8, dtype=BF16)], {}))
    add("relu/0", "relu", lambda g: ([rnd(g, 8, dtype=BF16)], {}))
    add("nn.functional.max_pool2d/0", "nn.functional.max_pool2d", lambda g: ([rnd(g, 1, 2, 4, 4, dtype=BF16), 2], {}))
    # promote (cat/stack) and built-in promotion
    add("cat/mixed/0", "cat", lambda g: ([[rnd(g, 3, dtype=BF16), rnd(g, 4)]], {}))
    add("stack/mixed/0", "stack", lambda g: ([[rnd(g, 3, dtype=BF16), rnd(g, 3)]], {}))
    add("cat/bf16/0", "cat", lambda g: ([[rnd(g, 3, dtype=BF16), rnd(g, 4, dtype=BF16)]], {}))
    add("add/mixed/0", "add", lambda g: ([rnd(g, 4, dtype=BF16), rnd(g, 4)], {}))
    # losses (fp32 on CPU)
    add("nn.functional.cross_entropy/0", "nn.functional.cross_entropy",
        lambda g: ([rnd(g, 4, 10, dtype=BF16), torch.randint(0, 10, (4,), generator=g)], {}))
    add("nn.functional.nll_loss/0", "nn.functional.nll_loss",
        lambda g: ([torch.log_softmax(rnd(g, 4, 10), 1).to(BF16), torch.randint(0, 10, (4,), generator=g)], {}))
    add("nn.functional.mse_loss/0", "nn.functional.mse_loss", lambda g: ([rnd(g, 4, 5, dtype=BF16), rnd(g, 4, 5, dtype=BF16)], {}))
    add("nn.functional.mse_loss/mixed/0", "nn.functional.mse_loss", lambda g: ([rnd(g, 4, 5, dtype=BF16), rnd(g, 4, 5)], {}))
    add("nn.functional.l1_loss/0", "nn.functional.l1_loss", lambda g: ([rnd(g, 4, 5, dtype=BF16), rnd(g, 4, 5, dtype=BF16)], {}))
    add("nn.functional.smooth_l1_loss/0", "nn.functional.smooth_l1_loss",
        lambda g: ([rnd(g, 4, 5, dtype=BF16), rnd(g, 4, 5, dtype=BF16)], {}))
    add("nn.functional.huber_loss/0", "nn.functional.huber_loss", lambda g: ([rnd(g, 4, 5, dtype=BF16), rnd(g, 4, 5, dtype=BF16)], {}))
    add("nn.functional.binary_cross_entropy/0", "nn.functional.binary_cross_entropy",
        lambda g: ([torch.rand(4, 5, generator=g).to(BF16), torch.rand(4, 5, generator=g).to(BF16)], {}))
    add("nn.functional.binary_cross_entropy_with_logits/0", "nn.functional.binary_cross_entropy_with_logits",
        lambda g: ([rnd(g, 4, 5, dtype=BF16), torch.rand(4, 5, generator=g).to(BF16)], {}))
    add("nn.functional.kl_div/0", "nn.functional.kl_div",
        lambda g: ([torch.log_softmax(rnd(g, 4, 5), 1).to(BF16), torch.softmax(rnd(g, 4, 5), 1).to(BF16)],
                   {"reduction": "batchmean"}))
    # unlisted nn ops keep their input dtype
    add("nn.functional.layer_norm/0", "nn.functional.layer_norm", lambda g: ([rnd(g, 4, 6, dtype=BF16), [6]], {}))
    add("nn.functional.gelu/0", "nn.functional.gelu", lambda g: ([rnd(g, 8, dtype=BF16)], {}))
    return c


def resolve(op):
    if op.startswith("nn.functional."):
        return getattr(F, op[len("nn.functional."):])
    if op == "linalg.matrix_power":
        return torch.linalg.matrix_power
    return getattr(torch, op)


def tensors_in(x):
    if isinstance(x, torch.Tensor):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for v in x for t in tensors_in(v)]
    return []


def gen_op_case(cid, op, make, want_grads):
    g = torch.Generator().manual_seed(stable_seed("amp:" + cid))
    args, kwargs = make(g)
    f = resolve(op)
    leaves = [t for t in tensors_in(args) if t.is_floating_point()]
    if want_grads:
        for t in leaves:
            assert t.dtype == torch.float32
            t.requires_grad_(True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.autocast("cpu", dtype=BF16):
            out = f(*args, **kwargs)
    case = {"id": cid, "op": op, "args": encode_value(args), "kwargs": encode_value(kwargs), "out": enc(out)}
    if want_grads:
        gg = torch.Generator().manual_seed(stable_seed("amp:" + cid + "/grad_out"))
        grad_out = torch.randn(out.shape, generator=gg).to(out.dtype)
        grads = torch.autograd.grad(out, leaves, grad_out)
        case["grad_out"] = enc(grad_out)
        case["grads"] = [enc(x) for x in grads]
    # self-check: the run is deterministic
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.autocast("cpu", dtype=BF16):
            again = f(*[a.detach() if isinstance(a, torch.Tensor) else a for a in args], **kwargs)
    assert enc(again) == case["out"], cid
    return case


def model_case(cid, seed, use_nn):
    """A small CNN under CPU autocast: conv2d (bf16) -> relu -> max_pool2d -> x @ W.t() (bf16)
    -> + b (float32 by promotion) -> log_softmax -> NLL (mean). With use_nn, linear and cross_entropy."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(4, 1, 8, 8, generator=g)
    y = torch.randint(0, 10, (4,), generator=g)
    cw = (torch.randn(8, 1, 3, 3, generator=g) * 0.3).requires_grad_()
    cb = (torch.randn(8, generator=g) * 0.1).requires_grad_()
    lw = (torch.randn(10, 128, generator=g) * 0.1).requires_grad_()
    lb = (torch.randn(10, generator=g) * 0.1).requires_grad_()
    inter = {}
    with torch.autocast("cpu", dtype=BF16):
        h = F.conv2d(x, cw, cb, padding=1)
        inter["conv"] = h
        h = torch.relu(h)
        h = F.max_pool2d(h, 2)
        inter["pool"] = h
        h = h.reshape(4, 128)
        if use_nn:
            logits = F.linear(h, lw, lb)
            inter["logits"] = logits
            loss = F.cross_entropy(logits, y)
        else:
            z = torch.matmul(h, lw.t())
            inter["matmul"] = z
            logits = z + lb
            inter["logits"] = logits
            logp = torch.log_softmax(logits, 1)
            inter["log_softmax"] = logp
            loss = -logp.gather(1, y.reshape(4, 1)).mean()
    inter["loss"] = loss
    loss.backward()
    return {
        "id": cid,
        "use_nn": use_nn,
        "inputs": {"x": enc(x), "y": enc(y), "conv_weight": enc(cw), "conv_bias": enc(cb), "weight": enc(lw), "bias": enc(lb)},
        "intermediates": {k: enc(v) for k, v in inter.items()},
        "grads": {"conv_weight": enc(cw.grad), "conv_bias": enc(cb.grad), "weight": enc(lw.grad), "bias": enc(lb.grad)},
    }


def autocast_behaviour():
    """Facts about regions, recorded rather than assumed."""
    facts = {}
    w = torch.randn(3, 3, requires_grad=True)
    with torch.autocast("cpu"):
        facts["default_cpu_dtype"] = str(torch.get_autocast_cpu_dtype()).replace("torch.", "")
        a = torch.mm(w, w)
        with torch.autocast("cpu", enabled=False):
            facts["nested_disabled_mm_dtype"] = str(torch.mm(w, w).dtype).replace("torch.", "")
            facts["nested_disabled_is_enabled"] = torch.is_autocast_cpu_enabled()
        facts["after_nested_is_enabled"] = torch.is_autocast_cpu_enabled()
    facts["outside_is_enabled"] = torch.is_autocast_cpu_enabled()
    facts["mm_dtype"] = str(a.dtype).replace("torch.", "")
    facts["mm_grad_fn"] = type(a.grad_fn).__name__
    facts["cast_grad_fn"] = type(a.grad_fn.next_functions[0][0]).__name__
    # the weight cast is cached: both inputs of mm(w, w) are the same cast tensor
    facts["cached_same_node"] = a.grad_fn.next_functions[0][0] is a.grad_fn.next_functions[1][0]
    return facts


def gen_autocast_cpu():
    torch.set_num_threads(1)
    out = header()
    out["behaviour"] = autocast_behaviour()
    out["cases"] = [gen_op_case(*c) for c in op_cases()]
    out["models"] = [model_case("model/core_ops", stable_seed("amp:model/core_ops"), False),
                     model_case("model/nn", stable_seed("amp:model/nn"), True)]
    return out


# ---------------------------------------------------------------------------------------------
# grad_scaler.json


def amp_foreach_non_finite_check_and_unscale_(grads, found_inf, inv_scale):
    """The CUDA kernel's arithmetic, on CPU tensors."""
    inv = inv_scale.item()
    for gr in grads:
        if not bool(torch.isfinite(gr).all()):
            found_inf.fill_(1.0)
        if inv == 1.0:
            continue
        if gr.dtype == torch.float64:
            gr.mul_(inv_scale.double())
        else:
            gr.copy_((gr.float() * inv_scale).to(gr.dtype))


def amp_update_scale_(scale, growth_tracker, found_inf, growth_factor, backoff_factor, growth_interval):
    """The CUDA kernel's arithmetic (float * double in double, then float)."""
    s = float(scale.item())
    if found_inf.item():
        scale.fill_(float(np.float32(s * backoff_factor)))
        growth_tracker.fill_(0)
    else:
        successful = int(growth_tracker.item()) + 1
        if successful == growth_interval:
            with np.errstate(over="ignore"):
                new_scale = np.float32(s * growth_factor)
            if np.isfinite(new_scale):
                scale.fill_(float(new_scale))
            growth_tracker.fill_(0)
        else:
            growth_tracker.fill_(successful)
    return scale


torch._amp_foreach_non_finite_check_and_unscale_ = amp_foreach_non_finite_check_and_unscale_
torch._amp_update_scale_ = amp_update_scale_


class CPUGradScaler(torch.cuda.amp.GradScaler):
    """PyTorch 1.13's GradScaler with its CUDA-only asserts removed (everything else inherited)."""

    def __init__(self, init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            super().__init__(enabled=False)
        # the enabled branch of GradScaler.__init__
        self._enabled = True
        assert growth_factor > 1.0 and backoff_factor < 1.0
        self._init_scale = init_scale
        self._scale = None
        self._growth_factor = growth_factor
        self._backoff_factor = backoff_factor
        self._growth_interval = growth_interval
        self._init_growth_tracker = 0
        self._growth_tracker = None
        self._per_optimizer_states = defaultdict(torch.cuda.amp.grad_scaler._refresh_per_optimizer_state)

    def scale(self, outputs):
        if isinstance(outputs, torch.Tensor):
            if self._scale is None:
                self._lazy_init_scale_growth_tracker(outputs.device)
            return outputs * self._scale.to(device=outputs.device, non_blocking=True)
        return [self.scale(o) for o in outputs]

    def _unscale_grads_(self, optimizer, inv_scale, found_inf, allow_fp16):
        per_device_and_dtype_grads = defaultdict(lambda: defaultdict(list))
        with torch.no_grad():
            for group in optimizer.param_groups:
                for param in group["params"]:
                    if param.grad is None:
                        continue
                    if (not allow_fp16) and param.grad.dtype == torch.float16:
                        raise ValueError("Attempting to unscale FP16 gradients.")
                    per_device_and_dtype_grads[param.grad.device][param.grad.dtype].append(param.grad)
            found = {}
            for device, per_dtype_grads in per_device_and_dtype_grads.items():
                found[device] = found_inf.clone()
                for grads in per_dtype_grads.values():
                    torch._amp_foreach_non_finite_check_and_unscale_(grads, found[device], inv_scale.clone())
        return found


def fp16_model_loop(cid, steps, init_scale, growth_interval, lr, explicit_unscale, inject_nan_at=()):
    """y = (x.half() * w.half()).float().sum(-1) + b; loss = mean((y - t)^2) via mul. The float16 cast
    of the scaled gradient overflows to inf while the scale is too large: those steps are skipped."""
    g = torch.Generator().manual_seed(stable_seed("amp:" + cid))
    w = (torch.randint(-16, 17, (3,), generator=g).float() / 16).requires_grad_()
    b = (torch.randint(-16, 17, (1,), generator=g).float() / 16).requires_grad_()
    opt = torch.optim.SGD([w, b], lr=lr)
    scaler = CPUGradScaler(init_scale=init_scale, growth_interval=growth_interval)
    init = {"w": enc(w), "b": enc(b)}
    records = []
    for step in range(steps):
        x = torch.randint(-32, 33, (2, 3), generator=g).float() / 16
        t = torch.randint(-48, 49, (2,), generator=g).float() / 16
        if step in inject_nan_at:
            x[0, 1] = float("nan")
        opt.zero_grad(set_to_none=True)
        yv = (x.half() * w.half()).float().sum(-1) + b
        d = yv - t
        loss = (d * d).mean()
        scaled = scaler.scale(loss)
        scaled.backward()
        scaled_grads = {"w": enc(w.grad), "b": enc(b.grad)}
        if explicit_unscale:
            scaler.unscale_(opt)
        state = scaler._per_optimizer_states[id(opt)]
        ret = scaler.step(opt)
        found = sum(v.item() for v in state["found_inf_per_device"].values())
        unscaled = {"w": enc(w.grad), "b": enc(b.grad)}
        scaler.update()
        records.append({
            "x": enc(x), "t": enc(t), "loss": enc(loss), "scaled_loss": enc(scaled),
            "scaled_grads": scaled_grads, "unscaled_grads": unscaled,
            "found_inf": found, "skipped": bool(found), "step_returned_none": ret is None,
            "w": enc(w), "b": enc(b),
            "scale": enc(scaler._scale), "growth_tracker": enc(scaler._growth_tracker),
            "state_dict": scaler.state_dict(),
        })
    return {
        "id": cid, "kind": "fp16_model",
        "config": {"init_scale": init_scale, "growth_factor": 2.0, "backoff_factor": 0.5,
                   "growth_interval": growth_interval, "lr": lr, "explicit_unscale": explicit_unscale,
                   "inject_nan_at": list(inject_nan_at)},
        "init": init, "steps": records,
    }


def two_optimizer_loop(cid, steps):
    """Two optimizers, one scaler: an inf in one optimizer's gradients skips only that optimizer's
    step, and update() backs off the scale for both (found_inf is combined)."""
    g = torch.Generator().manual_seed(stable_seed("amp:" + cid))
    w1 = (torch.randint(-16, 17, (3,), generator=g).float() / 16).requires_grad_()
    w2 = (torch.randint(-16, 17, (3,), generator=g).float() / 16).requires_grad_()
    o1 = torch.optim.SGD([w1], lr=0.0625)
    o2 = torch.optim.SGD([w2], lr=0.125)
    scaler = CPUGradScaler(init_scale=1024.0, growth_interval=2)
    init = {"w1": enc(w1), "w2": enc(w2)}
    records = []
    for step in range(steps):
        x = torch.randint(-32, 33, (3,), generator=g).float() / 16
        if step in (3, 7):
            x[1] = float("inf")
        o1.zero_grad(set_to_none=True)
        o2.zero_grad(set_to_none=True)
        l1 = (w1 * x).sum()
        l2 = (w2 * w2).sum()
        s1, s2 = scaler.scale([l1, l2])
        s1.backward()
        s2.backward()
        found = []
        for o in (o1, o2):
            scaler.step(o)
            found.append(sum(v.item() for v in scaler._per_optimizer_states[id(o)]["found_inf_per_device"].values()))
        scaler.update()
        records.append({"x": enc(x), "found_inf": found, "w1": enc(w1), "w2": enc(w2),
                        "scale": enc(scaler._scale), "growth_tracker": enc(scaler._growth_tracker)})
    return {"id": cid, "kind": "two_optimizers", "init": init, "steps": records}


def kernel_cases():
    """The two kernels on edge inputs."""
    cases = []
    g = torch.Generator().manual_seed(stable_seed("amp:kernels"))
    for dt in (torch.float32, torch.float16, torch.bfloat16, torch.float64):
        grads = [torch.randn(5, generator=g).to(dt) * 1000, torch.randn(2, 3, generator=g).to(dt)]
        if dt == torch.float16:
            grads[1][0, 1] = float("inf")
        inv = torch.full((1,), float(np.float32(1 / 3000.0)))
        found = torch.zeros(1)
        before = [enc(x) for x in grads]
        amp_foreach_non_finite_check_and_unscale_(grads, found, inv)
        cases.append({"id": "unscale/%s" % str(dt).replace("torch.", ""), "grads": before, "inv_scale": enc(inv),
                      "out_grads": [enc(x) for x in grads], "found_inf": enc(found)})
    for name, (s, tr, fi, gf, bf, gi) in {
        "backoff": (65536.0, 5, 1.0, 2.0, 0.5, 2000),
        "grow": (65536.0, 1999, 0.0, 2.0, 0.5, 2000),
        "count": (65536.0, 5, 0.0, 2.0, 0.5, 2000),
        "grow_to_inf_kept": (3.0e38, 2, 0.0, 2.0, 0.5, 3),
        "odd_factors": (1000.1, 0, 0.0, 1.1, 0.3, 1),
        "odd_backoff": (1000.1, 7, 2.0, 1.1, 0.3, 10),
        "nan_found": (4.0, 1, float("nan"), 2.0, 0.5, 10),
    }.items():
        scale = torch.full((1,), s)
        tracker = torch.full((1,), tr, dtype=torch.int32)
        found = torch.full((1,), fi)
        before = (enc(scale), enc(tracker), enc(found))
        amp_update_scale_(scale, tracker, found, gf, bf, gi)
        cases.append({"id": "update/" + name, "scale": before[0], "growth_tracker": before[1], "found_inf": before[2],
                      "growth_factor": gf, "backoff_factor": bf, "growth_interval": gi,
                      "out_scale": enc(scale), "out_growth_tracker": enc(tracker)})
    return cases


def gen_grad_scaler():
    torch.set_num_threads(1)
    out = header()
    out["kernels"] = kernel_cases()
    out["cases"] = [
        fp16_model_loop("loop/fp16_overflow", 20, 65536.0, 3, 0.0625, False),
        fp16_model_loop("loop/unscale_nan", 20, 4096.0, 4, 0.125, True, inject_nan_at=(5, 11)),
        two_optimizer_loop("loop/two_optimizers", 10),
    ]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "test-vectors", "amp"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    write_json(os.path.join(a.out, "autocast_lists.json"), gen_lists())
    write_json(os.path.join(a.out, "autocast_cpu.json"), gen_autocast_cpu())
    write_json(os.path.join(a.out, "grad_scaler.json"), gen_grad_scaler())
    for f in ("autocast_lists.json", "autocast_cpu.json", "grad_scaler.json"):
        print(f, os.path.getsize(os.path.join(a.out, f)), "bytes")


if __name__ == "__main__":
    main()
