#!/usr/bin/python3
"""Generate test-vectors/print.json: goldens for tensor printing (repr of a tensor).

Run with Debian's PyTorch: /usr/bin/python3 tools/golden/gen_print.py

Each case records the tensor's elements in row-major order, its shape and dtype, the
extra suffixes PyTorch appended (device / grad_fn / requires_grad, as rendered by
PyTorch), the print options in force, and repr(tensor) as printed by PyTorch.
"""
import json
import math
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test-vectors", "print.json")

DTYPE_NAMES = {
    torch.float32: "float32",
    torch.float64: "float64",
    torch.float16: "float16",
    torch.bfloat16: "bfloat16",
    torch.int32: "int32",
    torch.int64: "int64",
    torch.uint8: "uint8",
    torch.bool: "bool",
}

# JSON option names (TypeScript FormatOptions) -> torch.set_printoptions keywords.
OPT_KEYS = {
    "precision": "precision",
    "threshold": "threshold",
    "edgeitems": "edgeitems",
    "linewidth": "linewidth",
    "sciMode": "sci_mode",
}


def encode_value(v, dtype):
    """Encode one element so that JSON round-trips it exactly."""
    if dtype.is_floating_point:
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if v == 0 and math.copysign(1.0, v) < 0:
            return "-0"
        return v
    if dtype == torch.bool:
        return bool(v)
    if abs(v) > 2**53:
        return str(v)
    return v


def suffixes_of(t):
    """The autograd suffix PyTorch prints for t (device suffixes are added by the caller)."""
    if t.grad_fn is not None:
        return ["grad_fn=<{}>".format(type(t.grad_fn).__name__)]
    if t.requires_grad:
        return ["requires_grad=True"]
    return []


cases = []


def case(t, opts=None, extra_suffixes=()):
    opts = opts or {}
    torch.set_printoptions(**{OPT_KEYS[k]: v for k, v in opts.items()})
    try:
        expected = repr(t)
    finally:
        # profile="default" restores the numeric options; sci_mode resets to None.
        torch.set_printoptions(profile="default")
    data = t.detach()
    flat = data.reshape(-1)
    if data.dtype.is_floating_point:
        flat = flat.double()  # float16 / bfloat16 / float32 are exact in float64
    values = [encode_value(v, data.dtype) for v in flat.tolist()]
    suffixes = list(extra_suffixes) + suffixes_of(t)
    for s in suffixes:
        assert s in expected, (s, expected)
    cases.append(
        {
            "values": values,
            "shape": list(data.shape),
            "dtype": DTYPE_NAMES[data.dtype],
            "suffixes": suffixes,
            "opts": opts,
            "expected": expected,
        }
    )


def T(values, dtype=torch.float32):
    return torch.tensor(values, dtype=dtype)


nan, inf = float("nan"), float("inf")
f32, f64, f16, bf16 = torch.float32, torch.float64, torch.float16, torch.bfloat16
i32, i64, u8, b8 = torch.int32, torch.int64, torch.uint8, torch.bool

torch.manual_seed(0)

# --- 0-dim -----------------------------------------------------------------
for v in [1.5, 3.0, -0.0, 0.0, nan, inf, -inf, 1e10, 1e-5, -2.25, 123456.789, 0.1]:
    case(T(v))
case(T(0.1, f64))
case(T(1.0 / 3.0, f64))
case(T(2.0, f64))
case(T(0.1, f16))
case(T(65504.0, f16))
case(T(0.1, bf16))
case(T(3.0, bf16))
case(T(7, i64))
case(T(-7, i32))
case(T(200, u8))
case(T(True, b8))
case(T(False, b8))
case(T(2**62, i64))

# --- 1-D ---------------------------------------------------------------------
case(torch.arange(10))
case(torch.arange(10.0))
case(torch.arange(-5, 5))
case(torch.randn(5))
case(torch.randn(20))
case(torch.randn(100))
case(torch.linspace(0, 1, 11))
case(-torch.rand(7))
case(T([1.0, 1e10]))
case(T([1e-5, 1.0]))
case(T([1.0, 1001.0]))
case(T([1.0, 1000.0]))
case(T([1e8]))
case(T([1e9]))
case(T([123456789.0]))
case(T([0.1, 1e8]))
case(T([1.5, 1000.0]))
case(T([1.5, 1500.0]))
case(T([0.0001, 0.1]))
case(T([0.00011, 0.1]))
case(T([-1.5, 10.25, 100.125]))
case(T([9.99996, 0.99995, 99999.5]))
case(T([0.03125, 0.5, 2.5]))
case(T([1.0, 2.0, 3.0]))
case(T([-1.0, -20.0, 300.0]))
case(T([0.0, 0.0]))
case(T([-0.0, 0.0]))
case(T([-0.0, 1.5]))
case(T([-0.0, 1.0]))
case(T([-0.0, 1e-5]))
case(T([-1e-5, 1.0]))
case(T([nan, inf, -inf, 1.5]))
case(T([nan, 1.0, 2.0]))
case(T([nan, inf]))
case(T([nan, -inf, 0.0]))
case(T([-inf, 1.0, 1e10]))
case(T([nan, 1e-5, 1.0]))
case(T([3.4028234663852886e38, 1.0]))
case(T([1.401298464324817e-45, 1.0]))
case(T([1e-40, -1e-38]))
case(T([1e300, 1e-300], f64))
case(T([5e-324, 1.0], f64))
case(T([1.0, 2.0, 3.0], f64))
case(T([0.1, 0.2, 0.30000000000000004], f64))
case(torch.randn(6, dtype=f64))
case(T([1e20, 1.0], f64))
case(torch.randn(5).half())
case(T([65504.0, 1e-4, -0.5], f16))
case(T([0.1, 0.2, inf], f16))
case(T([1.0, 2.0], f16))
case(torch.randn(5).bfloat16())
case(T([1e30, 1.0], bf16))
case(T([0.1, -3.0, 1e-3], bf16))
case(T([-2**31, 2**31 - 1, 0], i32))
case(T([1, -22, 333], i32))
case(T([2**62, -2**63, 1], i64))
case(T([9007199254740993, -9007199254740993], i64))
case(T([0, 255, 7], u8))
case(T([True, False, True], b8))
case(T([True, True], b8))
case(torch.arange(40))
case(torch.arange(100, dtype=i32) * 1000)

# --- 2-D, 3-D, 4-D -------------------------------------------------------------
case(torch.randn(3, 4))
case(torch.arange(12).reshape(3, 4))
case(torch.eye(3))
case(torch.randn(2, 20))
case(torch.randn(10, 10) * 1000)
case(torch.randn(4, 3) * 1e-5)
case(T([[1.0, nan], [-inf, -0.0]]))
case(torch.randint(-100, 100, (3, 5), dtype=i32))
case(torch.rand(3, 3) > 0.5)
case(torch.randint(0, 256, (4, 4), dtype=u8))
case(torch.randn(4, 4, dtype=f64))
case(torch.randn(3, 3).half())
case(torch.randn(3, 3).bfloat16())
case(torch.randn(2, 3, 4))
case(torch.arange(24.0).reshape(2, 3, 4))
case(torch.randn(2, 2, 2, 2))
case(torch.arange(16).reshape(2, 2, 2, 2))
case(torch.randn(1, 1, 1, 3))
case(torch.randn(2, 1, 3, 1))
case(torch.randn(3, 2, 12))

# --- summarized (numel > threshold) -------------------------------------------
case(torch.arange(2000))
case(torch.randn(2000))
case(torch.randn(1001))
case(torch.randn(50, 50))
case(torch.randn(3, 1000))
case(torch.randn(1000, 3))
case(torch.zeros(2000))
case(torch.randn(10, 10, 20))
case(torch.randn(4, 5, 6, 10))
case(torch.arange(2000.0) * 1e6)
case(torch.randint(0, 2**40, (2000,)))
case(torch.rand(2000) > 0.5)
case(torch.randn(2000, dtype=f64))
case(torch.randn(2000).half())
# Only the printed (edge) elements decide the format: the huge middle value must not force sci mode.
mid = torch.ones(2000)
mid[1000] = 1e12
case(mid)

# --- empty -------------------------------------------------------------------
case(torch.zeros(0))
case(torch.zeros(0, 3))
case(torch.zeros(2, 0, 4))
case(torch.zeros(0, dtype=i64))
case(torch.zeros(0, 2, dtype=b8))
case(torch.zeros(0, dtype=f64))
case(torch.zeros(0, dtype=f16))
case(torch.zeros(0, dtype=u8))
case(torch.zeros(3, 0, requires_grad=True))

# --- autograd suffixes ---------------------------------------------------------
x = torch.randn(3, requires_grad=True)
case(x)
case(x * 2)
case(x + 1)
case(x.sum())
case(x.mean())
case(x.exp())
case(torch.randn(2, 3, requires_grad=True) @ torch.randn(3, 2))
case(x.double())
case(torch.randn(3, dtype=f64, requires_grad=True))
case(torch.randn(3, dtype=f64, requires_grad=True) * 3)
case(torch.randn(20, requires_grad=True))
case(torch.randn(8, requires_grad=True) * 2)  # one line of 8 wide elements: suffix wraps
case(torch.randn(7, requires_grad=True) * 2)
case(torch.randn(6, requires_grad=True) * 2)
case(torch.randn(2000, requires_grad=True))
case(torch.randn(4, 4, requires_grad=True).relu())
case(torch.randn(5, requires_grad=True) * 2, opts={"linewidth": 40})

# --- print options -------------------------------------------------------------
case(torch.randn(5), opts={"precision": 2})
case(torch.randn(5), opts={"precision": 0})
case(T([0.5, 1.5, 2.5, 0.25]), opts={"precision": 0})
case(T([0.125, 0.375]), opts={"precision": 2})
case(torch.randn(5, dtype=f64), opts={"precision": 8})
case(torch.randn(5, dtype=f64), opts={"precision": 12})
case(torch.randn(5), opts={"sciMode": True})
case(T([1.0, 2.0, 3.0]), opts={"sciMode": True})
case(T([0.0, 0.0]), opts={"sciMode": True})
case(T([0.0, nan]), opts={"sciMode": True})
case(T([1.25e5, 0.5]), opts={"sciMode": True, "precision": 1})
case(T([1e-10, 1.0]), opts={"sciMode": False})
case(T([1e20, 1.0], f64), opts={"sciMode": False})
case(T([1e20, 1.5], f64), opts={"sciMode": False})
case(T([1e10, 1.0]), opts={"sciMode": False})
case(torch.arange(5), opts={"sciMode": True})
case(torch.randn(12), opts={"linewidth": 40})
case(torch.randn(4, 6), opts={"linewidth": 40})
case(torch.randn(2000), opts={"linewidth": 40})
case(torch.randn(3), opts={"linewidth": 10})
case(torch.arange(20), opts={"threshold": 10})
case(torch.arange(20), opts={"threshold": 10, "edgeitems": 2})
case(torch.randn(8, 8), opts={"threshold": 10, "edgeitems": 1})
case(torch.randn(5, 6, 7), opts={"threshold": 50, "edgeitems": 2})
case(torch.arange(6), opts={"threshold": 5})  # summarized but size == 2 * edgeitems: nothing elided
case(torch.randn(40, 40), opts={"threshold": 10000})
case(torch.randn(2000), opts={"precision": 2, "sciMode": True, "linewidth": 60})

# --- rounding ties and random magnitudes --------------------------------------------
# Exact binary ties: Python rounds them to even.
case(T([1.03125, 100.0]), opts={"sciMode": True})
case(T([1.03125, 2.15625, 100.0]))
case(T([1e10, 1.0]), opts={"precision": 0})
case(T([2.5e10, 1.5]), opts={"precision": 0})
case(T([0.5, 1.5, 2.5, 3.5], f64), opts={"precision": 0, "sciMode": False})
gen = torch.Generator().manual_seed(1234)
for k in range(40):
    n = int(torch.randint(1, 30, (1,), generator=gen))
    scale = 10.0 ** float(torch.empty(()).uniform_(-12, 12, generator=gen))
    dtype = [f32, f64, f16, bf16][k % 4]
    vals = torch.randn(n, generator=gen, dtype=f64) * scale
    if k % 5 == 0:
        vals = vals.round()
    case(vals.to(dtype), opts={"precision": [4, 4, 2, 6][k % 4]})

# --- device suffix ---------------------------------------------------------------
# Only CPU exists here; PyTorch prints device='...' whenever the tensor's device type
# differs from the default device, so report a different default to exercise that path
# (device first, then dtype, then autograd suffixes) with PyTorch's own printing code.
real_default_device = torch._C._get_default_device
torch._C._get_default_device = lambda: "elsewhere"
try:
    device = ["device='cpu'"]
    case(torch.randn(3), extra_suffixes=device)
    case(torch.randn(3, dtype=f64, requires_grad=True) * 2, extra_suffixes=device)
    case(torch.zeros(0, 2, dtype=i64), extra_suffixes=device)
    case(torch.randn(7, requires_grad=True), extra_suffixes=device)
finally:
    torch._C._get_default_device = real_default_device

os.makedirs(os.path.dirname(OUT), exist_ok=True)
header = {"generator": "tools/golden/gen_print.py", "torch": torch.__version__}
with open(OUT, "w") as f:
    # One case per line keeps the file diffable without indenting thousands of values.
    f.write(json.dumps(header, allow_nan=False)[:-1] + ', "cases": [\n')
    f.write(",\n".join(json.dumps(c, allow_nan=False) for c in cases))
    f.write("\n]}\n")
print("wrote {} cases to {}".format(len(cases), os.path.normpath(OUT)))
