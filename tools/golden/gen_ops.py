#!/usr/bin/python3
"""Golden vectors for lockstep's ops, computed by Debian's PyTorch 1.13.1 on CPU.

    /usr/bin/python3 tools/golden/gen_ops.py [--out test-vectors/ops] [--only GROUP ...]

Writes one JSON file per op group into test-vectors/ops/ (format: tools/golden/README.md).
Deterministic: every case draws its inputs from its own generator seeded by a hash of its id,
PyTorch runs single-threaded, and the files are written with a fixed layout.
"""

import argparse
import os
import sys
import time
import warnings

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (  # noqa: E402
    FLOAT_DTYPES,
    decode_tensor,
    encode_tensor,
    encode_value,
    stable_seed,
    write_cases,
)

torch.set_num_threads(1)
warnings.filterwarnings("ignore")
torch.use_deterministic_algorithms(False)

f16, bf16, f32, f64 = torch.float16, torch.bfloat16, torch.float32, torch.float64
i32, i64, u8, b8 = torch.int32, torch.int64, torch.uint8, torch.bool

NAN, INF = float("nan"), float("inf")
SPECIAL32 = [NAN, INF, -INF, 0.0, -0.0, 1e-40, -1e-40, 1.4e-45, 3e38, -3e38,
             1.0, -1.0, 0.5, -2.5, 100.0, -100.0, 1e-8, 88.75, -88.75, 3.1415927]
SPECIAL64 = [NAN, INF, -INF, 0.0, -0.0, 1e-310, -1e-310, 5e-324, 1e308, -1e308,
             1.0, -1.0, 0.5, -2.5, 100.0, -100.0, 1e-8, 710.0, -745.5, 3.141592653589793]
SPECIAL16 = [NAN, INF, -INF, 0.0, -0.0, 1e-7, -6e-8, 65504.0, -65504.0,
             1.0, -1.0, 0.5, -2.5, 100.0, -100.0, 11.5, 3.140625]
SPECIALBF = [NAN, INF, -INF, 0.0, -0.0, 1e-40, -1e-39, 3e38, -3e38,
             1.0, -1.0, 0.5, -2.5, 100.0, -100.0, 88.5, 3.140625]


def special_values(dtype):
    return {f32: SPECIAL32, f64: SPECIAL64, f16: SPECIAL16, bf16: SPECIALBF}[dtype]


# ----------------------------------------------------------------------------------------------
# random inputs and layouts


class Rand:
    """Input factory for one case; all draws come from a generator seeded by the case id."""

    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)

    # -- layouts: return a tensor with the same values as `t` but a different memory layout
    def lay(self, t, layout="c"):
        if layout == "c":
            return t
        if layout == "t":  # transposed: last two dims swapped in memory
            if t.dim() < 2:
                return self.lay(t, "s")
            return t.transpose(-1, -2).contiguous().transpose(-1, -2)
        if layout == "s":  # every other element of a wider buffer (step 2), nonzero padding
            if t.dim() == 0:
                return self.lay(t, "o")
            shape = list(t.shape)
            wide = shape[:-1] + [2 * shape[-1] + 1]
            base = self._filler(wide, t.dtype)
            base[..., 1::2] = t
            return base[..., 1::2]
        if layout == "o":  # storage offset 3 into a bigger buffer
            base = self._filler([t.numel() + 5], t.dtype)
            base[3:3 + t.numel()] = t.reshape(-1)
            return base[3:3 + t.numel()].view(t.shape)
        raise ValueError(layout)

    def _filler(self, shape, dtype):
        if dtype == b8:
            return torch.ones(shape, dtype=b8)
        if dtype in FLOAT_DTYPES:
            return torch.full(shape, -777.25, dtype=dtype)
        return torch.full(shape, 77, dtype=dtype)

    def expanded(self, small, shape):
        """`small` (with size-1 dims) expanded to `shape`: stride-0 view, no copy."""
        return small.expand(shape)

    # -- values
    def randn(self, shape, dtype=f32, scale=1.0, layout="c"):
        t = torch.randn(shape, generator=self.g, dtype=f64) * scale
        return self.lay(t.to(dtype), layout)

    def uniform(self, shape, lo, hi, dtype=f32, layout="c"):
        t = torch.rand(shape, generator=self.g, dtype=f64) * (hi - lo) + lo
        return self.lay(t.to(dtype), layout)

    def randint(self, lo, hi, shape, dtype=i64, layout="c"):
        t = torch.randint(lo, hi, shape, generator=self.g, dtype=i64)
        return self.lay(t.to(dtype), layout)

    def nonzero_int(self, lo, hi, shape, dtype=i64, layout="c"):
        t = torch.randint(lo, hi, shape, generator=self.g, dtype=i64)
        t = torch.where(t == 0, torch.ones_like(t), t)
        return self.lay(t.to(dtype), layout)

    def bools(self, shape, p=0.5, layout="c"):
        t = torch.rand(shape, generator=self.g, dtype=f64) < p
        return self.lay(t, layout)

    def perm(self, n):
        return torch.randperm(n, generator=self.g)

    def choice(self, n):
        return int(torch.randint(0, n, [1], generator=self.g))

    def special(self, dtype=f32, layout="c", shuffle=False):
        vals = special_values(dtype)
        t = torch.tensor(vals, dtype=f64).to(dtype)
        if shuffle:
            t = t[self.perm(len(vals))]
        return self.lay(t, layout)

    def special_grid(self, dtype=f32):
        """Every pair of special values: returns (a, b) of shape [n, n]."""
        vals = torch.tensor(special_values(dtype), dtype=f64).to(dtype)
        n = vals.numel()
        return vals.view(n, 1).expand(n, n).contiguous(), vals.view(1, n).expand(n, n).contiguous()

    def domain(self, kind, shape, dtype=f32, layout="c"):
        if kind == "any":
            return self.randn(shape, dtype, 2.0, layout)
        if kind == "pos":
            return self.uniform(shape, 0.05, 6.0, dtype, layout)
        if kind == "gt-1":
            return self.uniform(shape, -0.95, 5.0, dtype, layout)
        if kind == "small":
            return self.uniform(shape, -1.4, 1.4, dtype, layout)
        if kind == "wide":
            return self.uniform(shape, -12.0, 12.0, dtype, layout)
        raise ValueError(kind)


# ----------------------------------------------------------------------------------------------
# index items for getitem (encoded as {"slice": ...} etc.)


def encode_index_items(items):
    out = []
    for it in items:
        if isinstance(it, slice):
            out.append({"slice": [it.start, it.stop, it.step]})
        elif it is None:
            out.append({"none": True})
        elif it is Ellipsis:
            out.append({"ellipsis": True})
        elif isinstance(it, bool):
            raise ValueError("bool index items are not part of the format")
        elif isinstance(it, int):
            out.append(it)
        elif isinstance(it, torch.Tensor):
            out.append(encode_tensor(it, True))
        else:
            raise TypeError(it)
    return out


def decode_index_items(items):
    out = []
    for it in items:
        if isinstance(it, dict) and "slice" in it:
            out.append(slice(*it["slice"]))
        elif isinstance(it, dict) and "none" in it:
            out.append(None)
        elif isinstance(it, dict) and "ellipsis" in it:
            out.append(Ellipsis)
        elif isinstance(it, dict):
            out.append(decode_tensor(it))
        else:
            out.append(it)
    return out


def decode_value(v):
    if isinstance(v, dict) and "storage" in v:
        return decode_tensor(v)
    if isinstance(v, dict) and set(v) == {"float"}:
        return float(v["float"])
    if isinstance(v, list):
        return [decode_value(x) for x in v]
    return v


# ----------------------------------------------------------------------------------------------
# op resolution


def _getitem(x, items):
    return x[tuple(items)]


def resolve(op):
    if op == "getitem":
        return _getitem
    if op.startswith("Tensor."):
        name = op[len("Tensor."):]
        meth = getattr(torch.Tensor, name)
        return lambda *a, **k: meth(*a, **k)
    obj = torch
    for part in op.split("."):
        obj = getattr(obj, part)
    return obj


def _tuplify(op, args):
    """JSON lists stand for Python tuples; PyTorch takes either for sizes/dims."""
    if op == "Tensor.index_put":
        return [args[0], tuple(args[1])] + list(args[2:])
    return args


def call_op(op, args, kwargs):
    fn = resolve(op)
    return fn(*_tuplify(op, args), **kwargs)


# ----------------------------------------------------------------------------------------------
# case collection


def walk_tensors(v, acc):
    if isinstance(v, torch.Tensor):
        acc.append(v)
    elif isinstance(v, (list, tuple)):
        for x in v:
            walk_tensors(x, acc)
    elif isinstance(v, dict):
        for x in v.values():
            walk_tensors(x, acc)
    return acc


def map_tensors(v, f):
    if isinstance(v, torch.Tensor):
        return f(v)
    if isinstance(v, list):
        return [map_tensors(x, f) for x in v]
    if isinstance(v, tuple):
        return tuple(map_tensors(x, f) for x in v)
    if isinstance(v, dict):
        return {k: map_tensors(x, f) for k, x in v.items()}
    return v


def flatten_out(out):
    """Result -> (structure for JSON, list of output tensors in order)."""
    if isinstance(out, torch.Tensor):
        return out, [out]
    if isinstance(out, (tuple, list)):
        return list(out), [o for o in out if isinstance(o, torch.Tensor)]
    return out, []


class Group:
    def __init__(self, name):
        self.name = name
        self.cases = []
        self.ids = set()
        self.skipped = []
        self.no_grad = []

    def add(self, cid, op, make, kw=None, grad=True):
        """Add one case. make(r) -> args list, or (args, kwargs)."""
        if cid in self.ids:
            raise ValueError("duplicate id " + cid)
        self.ids.add(cid)
        r = Rand(stable_seed(self.name + ":" + cid))
        made = make(r) if callable(make) else make
        if isinstance(made, tuple):
            args, kwargs = made
        else:
            args, kwargs = made, {}
        kwargs = dict(kwargs)
        if kw:
            kwargs.update(kw)
        args = list(args)
        try:
            case = self._run(cid, op, args, kwargs, grad)
        except Exception as e:  # PyTorch rejects it: not a case
            self.skipped.append((cid, "%s: %s" % (type(e).__name__, str(e).splitlines()[0][:160])))
            return
        self.cases.append(case)

    def _run(self, cid, op, args, kwargs, grad):
        # encode the inputs as given (whole storage, strides, offset)
        if op == "getitem":
            enc_args = [encode_tensor(args[0], True), encode_index_items(args[1])]
        else:
            enc_args = encode_value(args)
        enc_kwargs = encode_value(kwargs)

        tensors = walk_tensors(args, []) + walk_tensors(kwargs, [])
        float_ins = [t for t in tensors if t.dtype in FLOAT_DTYPES]
        want_grad = grad and float_ins and all(t.dtype in (f32, f64) for t in float_ins)

        # leaves: detached views with the same layout (stride/offset kept)
        leaves = {}

        def mk_leaf(t):
            if want_grad and t.dtype in (f32, f64):
                leaf = t.detach().requires_grad_(True)
                leaves[id(leaf)] = leaf
                return leaf
            return t

        args_l = map_tensors(args, mk_leaf)
        kwargs_l = map_tensors(kwargs, mk_leaf)
        leaf_list = walk_tensors(args_l, []) + walk_tensors(kwargs_l, [])

        out = call_op(op, args_l, kwargs_l)
        if isinstance(out, torch.Tensor) and out.layout != torch.strided:
            raise TypeError("non-strided output")
        struct, outs = flatten_out(out)
        enc_out = encode_value(struct, False, False)

        # self-check: the decoded inputs give the same outputs bit for bit
        if op == "getitem":
            dargs = [decode_tensor(enc_args[0]), decode_index_items(enc_args[1])]
        else:
            dargs = decode_value(enc_args)
        dkwargs = {k: decode_value(v) for k, v in enc_kwargs.items()}
        if "dtype" in dkwargs and isinstance(dkwargs["dtype"], str):
            dkwargs["dtype"] = getattr(torch, dkwargs["dtype"])
        with torch.no_grad():
            out2 = call_op(op, dargs, dkwargs)
        if encode_value(flatten_out(out2)[0], False, False) != enc_out:
            raise AssertionError("self-check failed for " + cid)

        grad_out_json = None
        grads_json = [None] * len(leaf_list)
        diff = [o for o in outs if o.dtype in FLOAT_DTYPES and o.requires_grad]
        if want_grad and diff:
            gr = Rand(stable_seed(self.name + ":" + cid + "/grad_out"))
            gouts = {id(o): gr.randn(list(o.shape), o.dtype) for o in diff}
            inputs = [t for t in leaf_list if t.requires_grad]
            try:
                gs = torch.autograd.grad(diff, inputs, [gouts[id(o)] for o in diff],
                                         allow_unused=True)
            except Exception as e:
                self.no_grad.append((cid, "%s: %s" % (type(e).__name__, str(e).splitlines()[0][:160])))
            else:
                gmap = {id(t): g for t, g in zip(inputs, gs)}
                grads_json = [encode_tensor(gmap[id(t)], False) if gmap.get(id(t)) is not None
                              else None for t in leaf_list]
                if isinstance(out, torch.Tensor):
                    grad_out_json = encode_tensor(gouts[id(out)], False)
                else:
                    grad_out_json = [encode_tensor(gouts[id(o)], False)
                                     if isinstance(o, torch.Tensor) and id(o) in gouts else None
                                     for o in struct]
        return {
            "id": cid,
            "op": op,
            "args": enc_args,
            "kwargs": enc_kwargs,
            "out": enc_out,
            "grad_out": grad_out_json,
            "grads": grads_json,
        }


# ----------------------------------------------------------------------------------------------
# elementwise unary

UNARY = [
    # op, domain, extra kwargs variants
    ("neg", "any"), ("abs", "any"), ("sign", "any"), ("sqrt", "pos"), ("rsqrt", "pos"),
    ("exp", "any"), ("expm1", "any"), ("log", "pos"), ("log1p", "gt-1"), ("log2", "pos"),
    ("sin", "wide"), ("cos", "wide"), ("tan", "small"), ("tanh", "any"), ("sigmoid", "wide"),
    ("relu", "any"), ("nn.functional.gelu", "any"), ("nn.functional.silu", "any"),
    ("nn.functional.softplus", "any"), ("erf", "any"), ("floor", "any"), ("ceil", "any"),
    ("round", "any"), ("trunc", "any"), ("isnan", "any"), ("isinf", "any"),
    ("logical_not", "any"), ("nan_to_num", "any"),
]


def gen_unary():
    g = Group("elementwise_unary")
    for op, dom in UNARY:
        g.add(op + "/f32/0", op, lambda r, dom=dom: [r.domain(dom, [3, 4])])
        g.add(op + "/f32/1", op, lambda r, dom=dom: [r.domain(dom, [5])])
        g.add(op + "/f32_special/0", op, lambda r: [r.special(f32)])
        g.add(op + "/f32_transposed/0", op, lambda r, dom=dom: [r.domain(dom, [4, 3], layout="t")])
        g.add(op + "/f32_stepped/0", op, lambda r, dom=dom: [r.domain(dom, [2, 3, 4], layout="s")])
        g.add(op + "/f32_offset/0", op, lambda r, dom=dom: [r.domain(dom, [2, 3], layout="o")])
        g.add(op + "/f32_expanded/0", op,
              lambda r, dom=dom: [r.expanded(r.domain(dom, [3, 1]), [3, 4])])
        g.add(op + "/f32_empty/0", op, lambda r: [r.randn([0, 3])])
        g.add(op + "/f32_scalar/0", op, lambda r, dom=dom: [r.domain(dom, [])])
        g.add(op + "/f32_large/0", op, lambda r, dom=dom: [r.domain(dom, [13, 15])])
        g.add(op + "/f64/0", op, lambda r, dom=dom: [r.domain(dom, [3, 4], f64)])
        g.add(op + "/f64_special/0", op, lambda r: [r.special(f64)])
        g.add(op + "/f16/0", op, lambda r, dom=dom: [r.domain(dom, [19], f16)])
        g.add(op + "/f16_special/0", op, lambda r: [r.special(f16)])
        g.add(op + "/bf16/0", op, lambda r, dom=dom: [r.domain(dom, [19], bf16)])
        g.add(op + "/bf16_special/0", op, lambda r: [r.special(bf16)])
        g.add(op + "/int32/0", op, lambda r: [r.randint(-5, 9, [3, 4], i32)])
        g.add(op + "/int64/0", op, lambda r: [r.randint(-5, 9, [7], i64)])
        g.add(op + "/uint8/0", op, lambda r: [r.randint(0, 256, [7], u8)])
        g.add(op + "/bool/0", op, lambda r: [r.bools([6])])

    # kwargs variants
    for approx in ["none", "tanh"]:
        for name, mk in [("f32", lambda r: [r.randn([3, 5], scale=3.0)]),
                         ("f32_special", lambda r: [r.special(f32)]),
                         ("f64", lambda r: [r.randn([4, 3], f64, 3.0)]),
                         ("bf16", lambda r: [r.randn([9], bf16, 3.0)]),
                         ("f32_large", lambda r: [r.randn([200], scale=4.0)])]:
            g.add("nn.functional.gelu/approx_%s/%s" % (approx, name), "nn.functional.gelu", mk,
                  kw={"approximate": approx})
    for i, (beta, thr) in enumerate([(2, 20), (0.5, 5), (1, 2), (3.5, 0.75)]):
        g.add("nn.functional.softplus/beta_thr/%d" % i, "nn.functional.softplus",
              lambda r: [r.randn([4, 5], scale=4.0)], kw={"beta": beta, "threshold": thr})
        g.add("nn.functional.softplus/beta_thr_special/%d" % i, "nn.functional.softplus",
              lambda r: [r.special(f32)], kw={"beta": beta, "threshold": thr})
        g.add("nn.functional.softplus/beta_thr_f64/%d" % i, "nn.functional.softplus",
              lambda r: [r.randn([6], f64, 4.0)], kw={"beta": beta, "threshold": thr})
    # round half to even, decimals
    g.add("round/halves/0", "round",
          lambda r: [torch.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49999997, -0.0, 4.5e6 + 0.5])])
    g.add("round/halves_f64/0", "round",
          lambda r: [torch.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49999999999999994, -0.0],
                                  dtype=f64)])
    for d in [1, 2, -1, 0]:
        g.add("round/decimals_%d/0" % d, "round", lambda r: [r.randn([3, 4], scale=30.0)],
              kw={"decimals": d})
        g.add("round/decimals_%d/f64" % d, "round", lambda r: [r.randn([6], f64, 30.0)],
              kw={"decimals": d})
    g.add("relu/neg_zero/0", "relu", lambda r: [torch.tensor([-0.0, 0.0, -1e-40, 1e-40, -1.0])])
    # nan_to_num options
    for i, kw in enumerate([{"nan": 0.5}, {"nan": 0.5, "posinf": 100.5, "neginf": -100.5},
                            {"posinf": 1000, "neginf": -1000}, {"nan": -1.5, "neginf": 0}]):
        g.add("nan_to_num/kw/%d" % i, "nan_to_num", lambda r: [r.special(f32)], kw=kw)
        g.add("nan_to_num/kw_f64/%d" % i, "nan_to_num", lambda r: [r.special(f64)], kw=kw)
        g.add("nan_to_num/kw_f16/%d" % i, "nan_to_num", lambda r: [r.special(f16)], kw=kw)
    g.add("nan_to_num/positional/0", "nan_to_num", lambda r: [r.special(f32), 0.25, 1.5, -2.5])

    # clamp with scalar bounds
    clamp_cases = [
        ("minmax", lambda r: [r.randn([4, 5]), -0.5, 0.5]),
        ("min_only", lambda r: ([r.randn([4, 5])], {"min": -0.25})),
        ("max_only", lambda r: ([r.randn([4, 5])], {"max": 0.25})),
        ("none_min", lambda r: [r.randn([4, 5]), None, 0.75]),
        ("min_gt_max", lambda r: [r.randn([4, 5]), 0.5, -0.5]),
        ("special", lambda r: [r.special(f32), -1.5, 2.5]),
        ("nan_bound", lambda r: [r.randn([6]), NAN, 0.5]),
        ("inf_bounds", lambda r: [r.special(f32), -INF, INF]),
        ("ties", lambda r: [torch.tensor([-1.0, -0.5, 0.0, 0.5, 1.0, 1.5]), -0.5, 1]),
        ("f64", lambda r: [r.randn([3, 4], f64), -0.5, 0.75]),
        ("transposed", lambda r: [r.randn([3, 4], layout="t"), -0.5, 0.75]),
        ("int32", lambda r: [r.randint(-10, 10, [3, 4], i32), -3, 4]),
        ("int64_float_bounds", lambda r: [r.randint(-10, 10, [3, 4], i64), -3.5, 4.5]),
        ("uint8", lambda r: [r.randint(0, 256, [8], u8), 10, 200]),
        ("f16", lambda r: [r.randn([9], f16), -0.5, 0.75]),
        ("bf16", lambda r: [r.randn([9], bf16), -0.5, 0.75]),
        ("empty", lambda r: [r.randn([0, 2]), -0.5, 0.5]),
        ("scalar", lambda r: [r.randn([]), -0.5, 0.5]),
        # tensor bounds (broadcast)
        ("tensor_bounds", lambda r: [r.randn([3, 4]), r.randn([4], scale=0.5) - 0.5,
                                     r.randn([3, 1], scale=0.5) + 0.5]),
        ("tensor_min_only", lambda r: ([r.randn([3, 4])], {"min": r.randn([3, 4])})),
        ("tensor_max_only", lambda r: ([r.randn([3, 4])], {"max": r.randn([4])})),
        ("tensor_ties", lambda r: [torch.tensor([-1.0, 0.0, 1.0, 2.0]), torch.tensor([-1.0, -1.0, 1.0, 0.0]),
                                   torch.tensor([0.0, 0.0, 1.0, 2.0])]),
        ("tensor_nan", lambda r: [r.special(f32), torch.full([20], -1.0), torch.tensor([1.0] * 19 + [NAN])]),
        ("tensor_int32", lambda r: [r.randint(-10, 10, [3, 4], i32), r.randint(-5, 0, [4], i32),
                                    r.randint(0, 5, [3, 1], i32)]),
    ]
    for name, mk in clamp_cases:
        g.add("clamp/%s/0" % name, "clamp", mk)
    return g


# ----------------------------------------------------------------------------------------------
# elementwise binary / ternary and type promotion

BINARY = [
    # op, kind of b ("any", "nonzero"), int ok
    ("add", "any"), ("sub", "any"), ("mul", "any"), ("div", "nonzero"), ("pow", "pow"),
    ("maximum", "any"), ("minimum", "any"), ("fmod", "nonzero"), ("remainder", "nonzero"),
    ("eq", "any"), ("ne", "any"), ("lt", "any"), ("le", "any"), ("gt", "any"), ("ge", "any"),
    ("logical_and", "any"), ("logical_or", "any"), ("logical_xor", "any"),
]


def bin_a(r, op, shape, dtype=f32, layout="c"):
    if op == "pow":
        return r.uniform(shape, 0.1, 3.0, dtype, layout)
    if op in ("logical_and", "logical_or", "logical_xor"):
        # some exact zeros so both truth values appear
        t = r.randn(shape, dtype)
        return r.lay(torch.where(r.bools(shape), t, torch.zeros_like(t)), layout)
    if op in ("eq", "ne", "lt", "le", "gt", "ge", "maximum", "minimum"):
        # a small grid of values so ties happen
        return r.lay((r.randint(-3, 4, shape).to(f64) * 0.5).to(dtype), layout)
    return r.randn(shape, dtype, 2.0, layout)


def bin_b(r, op, shape, dtype=f32, layout="c"):
    if op == "pow":
        return r.uniform(shape, -2.0, 3.0, dtype, layout)
    if op in ("div", "fmod", "remainder"):
        t = r.uniform(shape, 0.25, 3.0, dtype)
        sign = r.bools(shape).to(dtype) * 2 - 1
        return r.lay(t * sign, layout)
    return bin_a(r, op, shape, dtype, layout)


def int_a(r, op, shape, dtype):
    if op == "pow":
        return r.randint(-3, 6, shape, dtype)
    if dtype == u8:
        return r.randint(0, 256, shape, dtype)
    return r.randint(-20, 21, shape, dtype)


def int_b(r, op, shape, dtype):
    if op == "pow":
        return r.randint(0, 5, shape, dtype)
    if op in ("div", "fmod", "remainder"):
        if dtype == u8:
            return r.randint(1, 256, shape, dtype)
        return r.nonzero_int(-6, 7, shape, dtype)
    return int_a(r, op, shape, dtype)


def gen_binary():
    g = Group("elementwise_binary")
    for op, kind in BINARY:
        g.add(op + "/f32/0", op, lambda r, op=op: [bin_a(r, op, [3, 4]), bin_b(r, op, [3, 4])])
        g.add(op + "/f32/1", op, lambda r, op=op: [bin_a(r, op, [2, 3, 2]), bin_b(r, op, [2, 3, 2])])
        g.add(op + "/broadcast/0", op, lambda r, op=op: [bin_a(r, op, [3, 1]), bin_b(r, op, [1, 4])])
        g.add(op + "/broadcast/1", op, lambda r, op=op: [bin_a(r, op, [2, 3, 4]), bin_b(r, op, [4])])
        g.add(op + "/broadcast/2", op, lambda r, op=op: [bin_a(r, op, [5]), bin_b(r, op, [2, 1, 5])])
        g.add(op + "/special_grid/0", op, lambda r: list(r.special_grid(f32)))
        g.add(op + "/special_grid_f64/0", op, lambda r: list(r.special_grid(f64)))
        g.add(op + "/transposed/0", op,
              lambda r, op=op: [bin_a(r, op, [4, 3], layout="t"), bin_b(r, op, [4, 3])])
        g.add(op + "/stepped_expanded/0", op,
              lambda r, op=op: [bin_a(r, op, [3, 4], layout="s"),
                                r.expanded(bin_b(r, op, [1, 4]), [3, 4])])
        g.add(op + "/offset/0", op,
              lambda r, op=op: [bin_a(r, op, [2, 3], layout="o"), bin_b(r, op, [2, 3], layout="s")])
        g.add(op + "/empty/0", op, lambda r, op=op: [bin_a(r, op, [0, 3]), bin_b(r, op, [3])])
        g.add(op + "/scalar_tensors/0", op, lambda r, op=op: [bin_a(r, op, []), bin_b(r, op, [])])
        g.add(op + "/zero_dim_tensor/0", op, lambda r, op=op: [bin_a(r, op, [3, 2]), bin_b(r, op, [])])
        g.add(op + "/large/0", op, lambda r, op=op: [bin_a(r, op, [13, 15]), bin_b(r, op, [13, 15])])
        g.add(op + "/f64/0", op, lambda r, op=op: [bin_a(r, op, [3, 4], f64), bin_b(r, op, [3, 4], f64)])
        g.add(op + "/f16/0", op, lambda r, op=op: [bin_a(r, op, [17], f16), bin_b(r, op, [17], f16)])
        g.add(op + "/bf16/0", op, lambda r, op=op: [bin_a(r, op, [17], bf16), bin_b(r, op, [17], bf16)])
        g.add(op + "/f16_special_grid/0", op, lambda r: list(r.special_grid(f16)))
        g.add(op + "/bf16_special_grid/0", op, lambda r: list(r.special_grid(bf16)))
        for dt, dn in [(i32, "int32"), (i64, "int64"), (u8, "uint8")]:
            g.add(op + "/%s/0" % dn, op,
                  lambda r, op=op, dt=dt: [int_a(r, op, [3, 4], dt), int_b(r, op, [3, 4], dt)])
        g.add(op + "/bool/0", op, lambda r: [r.bools([8]), r.bools([8])])
        # python scalar as the second operand
        if op == "pow":
            scal = [2, 3, 0.5, -1, -0.5, 0, 1, 2.5, -2]
        elif op in ("div", "fmod", "remainder"):
            scal = [2.5, -1.5, 3, -2, 0.3]
        else:
            scal = [2.5, -1.5, 3, 0, 0.1]
        for i, s in enumerate(scal):
            g.add(op + "/scalar_other/%d" % i, op, lambda r, op=op, s=s: [bin_a(r, op, [3, 4]), s])
        g.add(op + "/scalar_other_special/0", op, lambda r, s=scal[0]: [r.special(f32), s])
        g.add(op + "/scalar_other_int32/0", op,
              lambda r, op=op, s=scal[2]: [int_a(r, op, [3, 4], i32), s])
        g.add(op + "/scalar_other_float_on_int/0", op,
              lambda r, op=op: [int_a(r, op, [3, 4], i32), 2.5])
        g.add(op + "/scalar_other_special_value/0", op, lambda r, op=op: [bin_a(r, op, [4]), NAN])
        g.add(op + "/scalar_other_special_value/1", op, lambda r, op=op: [bin_a(r, op, [4]), INF])
        g.add(op + "/scalar_other_special_value/2", op, lambda r, op=op: [bin_a(r, op, [4]), -INF])

    # alpha
    for op in ("add", "sub"):
        for i, alpha in enumerate([2, -1, 0.5, -3.25, 0.1, 1e-3]):
            g.add("%s/alpha/%d" % (op, i), op, lambda r: [r.randn([3, 4]), r.randn([3, 4])],
                  kw={"alpha": alpha})
        g.add("%s/alpha_broadcast/0" % op, op, lambda r: [r.randn([3, 1]), r.randn([4])],
              kw={"alpha": 0.7})
        g.add("%s/alpha_f64/0" % op, op, lambda r: [r.randn([5], f64), r.randn([5], f64)],
              kw={"alpha": 0.7})
        g.add("%s/alpha_large/0" % op, op, lambda r: [r.randn([200]), r.randn([200])],
              kw={"alpha": 0.3})
        g.add("%s/alpha_int/0" % op, op, lambda r: [r.randint(-9, 9, [6], i32), r.randint(-9, 9, [6], i32)],
              kw={"alpha": 3})
        g.add("%s/alpha_scalar_other/0" % op, op, lambda r: [r.randn([6]), 1.5], kw={"alpha": 0.3})
        g.add("%s/alpha_special/0" % op, op, lambda r: list(r.special_grid(f32)), kw={"alpha": 0.3})
        g.add("%s/alpha_f16/0" % op, op, lambda r: [r.randn([9], f16), r.randn([9], f16)],
              kw={"alpha": 0.3})
        g.add("%s/alpha_bf16/0" % op, op, lambda r: [r.randn([9], bf16), r.randn([9], bf16)],
              kw={"alpha": 0.3})
    # div rounding modes
    for mode in ["trunc", "floor"]:
        g.add("div/%s/f32/0" % mode, "div", lambda r: [r.randn([3, 4], scale=5.0), bin_b(r, "div", [3, 4])],
              kw={"rounding_mode": mode})
        g.add("div/%s/special_grid/0" % mode, "div", lambda r: list(r.special_grid(f32)),
              kw={"rounding_mode": mode})
        g.add("div/%s/f64/0" % mode, "div", lambda r: [r.randn([3, 4], f64, 5.0), bin_b(r, "div", [3, 4], f64)],
              kw={"rounding_mode": mode})
        g.add("div/%s/broadcast/0" % mode, "div",
              lambda r: [r.randn([3, 1], scale=5.0), bin_b(r, "div", [4])], kw={"rounding_mode": mode})
        g.add("div/%s/scalar/0" % mode, "div", lambda r: [r.randn([3, 4], scale=5.0), -1.5],
              kw={"rounding_mode": mode})
        for dt, dn in [(i32, "int32"), (i64, "int64"), (u8, "uint8")]:
            g.add("div/%s/%s/0" % (mode, dn), "div",
                  lambda r, dt=dt: [int_a(r, "div", [3, 4], dt), int_b(r, "div", [3, 4], dt)],
                  kw={"rounding_mode": mode})
        g.add("div/%s/int_scalar/0" % mode, "div", lambda r: [r.randint(-20, 20, [6], i64), 3],
              kw={"rounding_mode": mode})
        g.add("div/%s/f16/0" % mode, "div", lambda r: [r.randn([9], f16, 5.0), bin_b(r, "div", [9], f16)],
              kw={"rounding_mode": mode})
        g.add("div/%s/bf16/0" % mode, "div", lambda r: [r.randn([9], bf16, 5.0), bin_b(r, "div", [9], bf16)],
              kw={"rounding_mode": mode})
        g.add("div/%s/zero_divisor/0" % mode, "div",
              lambda r: [torch.tensor([1.0, -1.0, 0.0, -0.0, NAN, INF]), torch.tensor([0.0, 0.0, 0.0, -0.0, 0.0, -0.0])],
              kw={"rounding_mode": mode})
    g.add("div/none/explicit/0", "div", lambda r: [r.randn([3, 4]), bin_b(r, "div", [3, 4])],
          kw={"rounding_mode": None})
    # pow: scalar base, negative base with fractional exponent, int tensors
    for i, s in enumerate([2.5, 2, 0.5, -1.5, 0]):
        g.add("pow/scalar_self/%d" % i, "pow", lambda r, s=s: [s, r.uniform([3, 4], -2.0, 3.0)])
    g.add("pow/scalar_self_int_tensor/0", "pow", lambda r: [2, r.randint(0, 8, [6], i64)])
    g.add("pow/scalar_self_special/0", "pow", lambda r: [2.5, r.special(f32)])
    g.add("pow/negative_base/0", "pow", lambda r: [r.randn([3, 4], scale=2.0), r.uniform([3, 4], -2.0, 3.0)])
    g.add("pow/negative_base_int_exp/0", "pow",
          lambda r: [r.randn([3, 4], scale=2.0), r.randint(-3, 4, [3, 4]).to(f32)])
    g.add("pow/zero_base/0", "pow",
          lambda r: [torch.tensor([0.0, -0.0, 0.0, -0.0, 0.0, 0.0]), torch.tensor([2.0, 2.0, -1.0, -1.0, 0.0, 0.5])])
    for i, s in enumerate([2, 0.5, -1, 3]):
        g.add("pow/scalar_exp_negative_base/%d" % i, "pow", lambda r, s=s: [r.randn([8], scale=2.0), s])
    # maximum/minimum NaN and gradient ties are covered by the grids above; torch.max(a, b) too
    g.add("max/binary/0", "max", lambda r: [bin_a(r, "maximum", [3, 4]), bin_a(r, "maximum", [3, 4])])
    g.add("min/binary/0", "min", lambda r: [bin_a(r, "minimum", [3, 4]), bin_a(r, "minimum", [4])])
    # comparisons: mixed int/float, scalar on either side
    for op in ("eq", "ne", "lt", "le", "gt", "ge"):
        g.add(op + "/int_vs_float/0", op,
              lambda r: [r.randint(-3, 4, [3, 4], i32), (r.randint(-6, 7, [3, 4]).to(f32) * 0.5)])
        g.add(op + "/f16_vs_bf16/0", op, lambda r: [r.randn([10], f16), r.randn([10], bf16)])
        g.add(op + "/int_vs_scalar_float/0", op, lambda r: [r.randint(-3, 4, [8], i64), 0.5])
        g.add(op + "/bool_vs_int/0", op, lambda r: [r.bools([8]), r.randint(-1, 3, [8], i32)])

    # where
    wh = [
        ("f32", lambda r: [r.bools([3, 4]), r.randn([3, 4]), r.randn([3, 4])]),
        ("broadcast", lambda r: [r.bools([3, 1]), r.randn([4]), r.randn([2, 3, 4])]),
        ("cond_broadcast", lambda r: [r.bools([2, 3, 4]), r.randn([3, 4]), r.randn([1])]),
        ("noncontig", lambda r: [r.bools([4, 3], layout="t"), r.randn([4, 3], layout="s"),
                                 r.expanded(r.randn([4, 1]), [4, 3])]),
        ("scalar_other", lambda r: [r.bools([3, 4]), r.randn([3, 4]), 0.5]),
        ("scalar_self", lambda r: [r.bools([3, 4]), -1.5, r.randn([3, 4])]),
        ("scalar_int_other", lambda r: [r.bools([3, 4]), r.randn([3, 4]), 0]),
        ("special", lambda r: [r.bools([20]), r.special(f32), r.special(f32, shuffle=True)]),
        ("f64", lambda r: [r.bools([5]), r.randn([5], f64), r.randn([5], f64)]),
        ("int", lambda r: [r.bools([6]), r.randint(-9, 9, [6], i32), r.randint(-9, 9, [6], i32)]),
        ("empty", lambda r: [r.bools([0, 3]), r.randn([0, 3]), r.randn([3])]),
        ("zero_dim", lambda r: [r.bools([]), r.randn([3]), r.randn([])]),
        ("f16", lambda r: [r.bools([6]), r.randn([6], f16), r.randn([6], f16)]),
        ("bf16", lambda r: [r.bools([6]), r.randn([6], bf16), r.randn([6], bf16)]),
        ("uint8_cond", lambda r: [r.bools([6]).to(u8), r.randn([6]), r.randn([6])]),
        ("large", lambda r: [r.bools([13, 15]), r.randn([13, 15]), r.randn([13, 15])]),
    ]
    for name, mk in wh:
        g.add("where/%s/0" % name, "where", mk)

    # masked_fill
    mf = [
        ("scalar", lambda r: [r.randn([3, 4]), r.bools([3, 4]), 2.5]),
        ("scalar_int_value", lambda r: [r.randn([3, 4]), r.bools([3, 4]), -3]),
        ("broadcast_mask", lambda r: [r.randn([2, 3, 4]), r.bools([3, 1]), -1.5]),
        ("tensor_value", lambda r: [r.randn([3, 4]), r.bools([4]), r.randn([])]),
        ("special_value", lambda r: [r.randn([3, 4]), r.bools([3, 4]), -INF]),
        ("nan_value", lambda r: [r.randn([3, 4]), r.bools([3, 4]), NAN]),
        ("noncontig", lambda r: [r.randn([4, 3], layout="t"), r.bools([4, 3], layout="s"), 0.25]),
        ("f64", lambda r: [r.randn([5], f64), r.bools([5]), 0.1]),
        ("int", lambda r: [r.randint(-9, 9, [6], i64), r.bools([6]), 7]),
        ("bool", lambda r: [r.bools([6]), r.bools([6]), True]),
        ("f16", lambda r: [r.randn([6], f16), r.bools([6]), 0.1]),
        ("bf16", lambda r: [r.randn([6], bf16), r.bools([6]), 0.1]),
        ("empty", lambda r: [r.randn([0, 4]), r.bools([0, 4]), 0.5]),
    ]
    for name, mk in mf:
        g.add("Tensor.masked_fill/%s/0" % name, "Tensor.masked_fill", mk)

    # lerp
    lp = [
        ("scalar_weight", lambda r: [r.randn([3, 4]), r.randn([3, 4]), 0.3]),
        ("scalar_weight_big", lambda r: [r.randn([3, 4]), r.randn([3, 4]), 0.75]),
        ("scalar_weight_outside", lambda r: [r.randn([3, 4]), r.randn([3, 4]), -1.5]),
        ("tensor_weight", lambda r: [r.randn([3, 4]), r.randn([3, 4]), r.uniform([3, 4], 0.0, 1.0)]),
        ("broadcast", lambda r: [r.randn([3, 1]), r.randn([4]), r.uniform([3, 4], 0.0, 1.0)]),
        ("broadcast_weight", lambda r: [r.randn([3, 4]), r.randn([3, 4]), r.uniform([4], 0.0, 1.0)]),
        ("special", lambda r: [r.special(f32), r.special(f32, shuffle=True), 0.25]),
        ("special_weight", lambda r: [r.randn([20]), r.randn([20]), r.special(f32)]),
        ("noncontig", lambda r: [r.randn([4, 3], layout="t"), r.randn([4, 3], layout="s"), 0.6]),
        ("f64", lambda r: [r.randn([5], f64), r.randn([5], f64), 0.3]),
        ("f64_tensor_weight", lambda r: [r.randn([5], f64), r.randn([5], f64), r.uniform([5], 0.0, 1.0, f64)]),
        ("f16", lambda r: [r.randn([6], f16), r.randn([6], f16), 0.3]),
        ("bf16", lambda r: [r.randn([6], bf16), r.randn([6], bf16), 0.3]),
        ("large", lambda r: [r.randn([200]), r.randn([200]), r.uniform([200], -0.5, 1.5)]),
        ("empty", lambda r: [r.randn([0]), r.randn([0]), 0.5]),
    ]
    for name, mk in lp:
        g.add("lerp/%s/0" % name, "lerp", mk)

    # type promotion
    promo_pairs = [
        ("int32_float32", lambda r: [r.randint(-9, 9, [3, 4], i32), r.randn([3, 4])]),
        ("float32_int32", lambda r: [r.randn([3, 4]), r.randint(1, 9, [3, 4], i32)]),
        ("int64_float16", lambda r: [r.randint(-9, 9, [6], i64), r.randn([6], f16)]),
        ("bool_int32", lambda r: [r.bools([6]), r.nonzero_int(-9, 9, [6], i32)]),
        ("bool_float32", lambda r: [r.bools([6]), r.randn([6])]),
        ("float16_bfloat16", lambda r: [r.randn([6], f16), r.randn([6], bf16)]),
        ("uint8_int32", lambda r: [r.randint(0, 256, [6], u8), r.nonzero_int(-300, 300, [6], i32)]),
        ("uint8_int64", lambda r: [r.randint(0, 256, [6], u8), r.nonzero_int(-300, 300, [6], i64)]),
        ("int32_int64", lambda r: [r.randint(-9, 9, [6], i32), r.nonzero_int(-9, 9, [6], i64)]),
        ("float32_float64", lambda r: [r.randn([6]), r.randn([6], f64)]),
        ("float16_float32", lambda r: [r.randn([6], f16), r.randn([6])]),
        ("bfloat16_float64", lambda r: [r.randn([6], bf16), r.randn([6], f64)]),
        ("int32_pyfloat", lambda r: [r.randint(-9, 9, [6], i32), 2.5]),
        ("int64_pyint", lambda r: [r.randint(-9, 9, [6], i64), 3]),
        ("uint8_pyint_wrap", lambda r: [r.randint(0, 256, [6], u8), 200]),
        ("float16_pyfloat", lambda r: [r.randn([6], f16), 0.1]),
        ("bfloat16_pyfloat", lambda r: [r.randn([6], bf16), 0.1]),
        ("bool_pyint", lambda r: [r.bools([6]), 2]),
        ("bool_pyfloat", lambda r: [r.bools([6]), 1.5]),
        ("bool_pybool", lambda r: [r.bools([6]), True]),
        ("float16_zerodim_float32", lambda r: [r.randn([6], f16), r.randn([])]),
        ("int32_zerodim_float64", lambda r: [r.randint(-9, 9, [6], i32), r.randn([], f64)]),
        ("zerodim_int64_float16", lambda r: [r.randint(1, 9, [], i64), r.randn([6], f16)]),
        ("int32_zerodim_int64", lambda r: [r.randint(-9, 9, [6], i32), r.randint(1, 9, [], i64)]),
        ("float32_zerodim_float64", lambda r: [r.randn([6]), r.randn([], f64)]),
        ("zerodim_float64_zerodim_int32", lambda r: [r.randn([], f64), r.randint(1, 9, [], i32)]),
        ("uint8_zerodim_int64", lambda r: [r.randint(0, 256, [6], u8), r.randint(1, 9, [], i64)]),
        ("int32_overflow", lambda r: [torch.tensor([2147483647, -2147483648, 2000000000], dtype=i32),
                                      torch.tensor([1, -1, 2000000000], dtype=i32)]),
        ("bfloat16_broadcast_float16", lambda r: [r.randn([3, 1], bf16), r.randn([4], f16)]),
    ]
    for op in ("add", "sub", "mul", "div", "eq", "lt", "maximum"):
        for name, mk in promo_pairs:
            if op == "sub" and "bool" in name:
                continue  # sub with bool tensors is an error in PyTorch
            g.add("promo/%s/%s" % (op, name), op, mk)
    for name, mk in [("int32_float32", lambda r: [r.bools([6]), r.randint(-9, 9, [6], i32), r.randn([6])]),
                     ("float16_bfloat16", lambda r: [r.bools([6]), r.randn([6], f16), r.randn([6], bf16)]),
                     ("uint8_int64", lambda r: [r.bools([6]), r.randint(0, 256, [6], u8), r.randint(-9, 9, [6], i64)]),
                     ("float16_pyfloat", lambda r: [r.bools([6]), r.randn([6], f16), 0.1]),
                     ("int32_pyfloat", lambda r: [r.bools([6]), r.randint(-9, 9, [6], i32), 2.5]),
                     ("int64_pyint", lambda r: [r.bools([6]), r.randint(-9, 9, [6], i64), 3]),
                     ("float32_zerodim_float64", lambda r: [r.bools([6]), r.randn([6]), r.randn([], f64)])]:
        g.add("promo/where/%s" % name, "where", mk)
    # float16 / bfloat16 arithmetic chains are just the ops above in those dtypes; add a few sizes
    for op in ("add", "mul", "div", "sub"):
        for dt, dn in [(f16, "float16"), (bf16, "bfloat16")]:
            g.add("promo/%s/%s_large" % (op, dn), op,
                  lambda r, dt=dt, op=op: [r.randn([200], dt, 3.0), bin_b(r, "div", [200], dt)])
    return g


# ----------------------------------------------------------------------------------------------
# reductions


def gen_reductions():
    g = Group("reductions")

    def dim_variants(op, extra_pos=(), int_ok=True, multi=True, dim_none=True, kwargs_only=None):
        """Standard sweep: full, each dim, keepdim, negative dim, multiple dims, dim=None."""
        e = list(extra_pos)
        g.add(op + "/full/0", op, lambda r: [r.randn([3, 4])] + e, kw=kwargs_only)
        g.add(op + "/full_1d/0", op, lambda r: [r.randn([7])] + e, kw=kwargs_only)
        g.add(op + "/full_scalar/0", op, lambda r: [r.randn([])] + e, kw=kwargs_only)
        g.add(op + "/full_large/0", op, lambda r: [r.randn([32, 48])] + e, kw=kwargs_only)
        g.add(op + "/full_large_odd/0", op, lambda r: [r.randn([37, 29])] + e, kw=kwargs_only)
        g.add(op + "/full_transposed/0", op, lambda r: [r.randn([5, 6], layout="t")] + e, kw=kwargs_only)
        g.add(op + "/full_special/0", op, lambda r: [r.special(f32)] + e, kw=kwargs_only)
        g.add(op + "/full_f64/0", op, lambda r: [r.randn([4, 5], f64)] + e, kw=kwargs_only)
        g.add(op + "/full_f64_large/0", op, lambda r: [r.randn([1000], f64)] + e, kw=kwargs_only)
        g.add(op + "/full_f16/0", op, lambda r: [r.randn([3, 7], f16)] + e, kw=kwargs_only)
        g.add(op + "/full_bf16/0", op, lambda r: [r.randn([3, 7], bf16)] + e, kw=kwargs_only)
        g.add(op + "/full_empty/0", op, lambda r: [r.randn([0, 3])] + e, kw=kwargs_only)
        if int_ok:
            g.add(op + "/full_int32/0", op, lambda r: [r.randint(-5, 6, [3, 4], i32)] + e, kw=kwargs_only)
            g.add(op + "/full_int64/0", op, lambda r: [r.randint(-5, 6, [3, 4], i64)] + e, kw=kwargs_only)
            g.add(op + "/full_uint8/0", op, lambda r: [r.randint(0, 256, [9], u8)] + e, kw=kwargs_only)
            g.add(op + "/full_bool/0", op, lambda r: [r.bools([9])] + e, kw=kwargs_only)
        for d in [0, 1, 2, -1]:
            g.add(op + "/dim%d/0" % d, op, lambda r, d=d: [r.randn([2, 3, 4]), d] + e, kw=kwargs_only)
            g.add(op + "/dim%d_keepdim/0" % d, op, lambda r, d=d: [r.randn([2, 3, 4]), d, True] + e,
                  kw=kwargs_only)
        g.add(op + "/dim_keepdim_kw/0", op, lambda r: ([r.randn([3, 5]), 1] + e, {"keepdim": True}),
              kw=kwargs_only)
        g.add(op + "/dim_large/0", op, lambda r: [r.randn([6, 130]), 1] + e, kw=kwargs_only)
        g.add(op + "/dim_large/1", op, lambda r: [r.randn([130, 6]), 0] + e, kw=kwargs_only)
        g.add(op + "/dim_noncontig/0", op, lambda r: [r.randn([4, 5], layout="t"), 1] + e, kw=kwargs_only)
        g.add(op + "/dim_noncontig/1", op, lambda r: [r.randn([3, 4, 5], layout="s"), 0] + e, kw=kwargs_only)
        g.add(op + "/dim_expanded/0", op,
              lambda r: [r.expanded(r.randn([3, 1]), [3, 4]), 1] + e, kw=kwargs_only)
        g.add(op + "/dim_expanded/1", op,
              lambda r: [r.expanded(r.randn([3, 1]), [3, 4]), 0] + e, kw=kwargs_only)
        g.add(op + "/dim_special/0", op, lambda r: [r.special(f32).view(4, 5), 1] + e, kw=kwargs_only)
        g.add(op + "/dim_special/1", op, lambda r: [r.special(f32).view(4, 5), 0] + e, kw=kwargs_only)
        g.add(op + "/dim_f64/0", op, lambda r: [r.randn([3, 4], f64), 0] + e, kw=kwargs_only)
        g.add(op + "/dim_f16/0", op, lambda r: [r.randn([3, 4], f16), 1] + e, kw=kwargs_only)
        g.add(op + "/dim_bf16/0", op, lambda r: [r.randn([3, 4], bf16), 1] + e, kw=kwargs_only)
        g.add(op + "/dim_empty/0", op, lambda r: [r.randn([0, 3]), 1] + e, kw=kwargs_only)
        g.add(op + "/dim_empty/1", op, lambda r: [r.randn([0, 3]), 0] + e, kw=kwargs_only)
        g.add(op + "/dim_scalar/0", op, lambda r: [r.randn([]), 0] + e, kw=kwargs_only)
        if int_ok:
            g.add(op + "/dim_int32/0", op, lambda r: [r.randint(-5, 6, [3, 4], i32), 1] + e,
                  kw=kwargs_only)
            g.add(op + "/dim_int64/0", op, lambda r: [r.randint(-5, 6, [3, 4], i64), 0] + e,
                  kw=kwargs_only)
        if multi:
            g.add(op + "/dims/0", op, lambda r: [r.randn([2, 3, 4]), [0, 2]] + e, kw=kwargs_only)
            g.add(op + "/dims_keepdim/0", op, lambda r: [r.randn([2, 3, 4]), [0, 2], True] + e,
                  kw=kwargs_only)
            g.add(op + "/dims/1", op, lambda r: [r.randn([2, 3, 4]), [-1, 1]] + e, kw=kwargs_only)
            g.add(op + "/dims_all/0", op, lambda r: [r.randn([2, 3, 4]), [0, 1, 2]] + e, kw=kwargs_only)
            g.add(op + "/dims_empty_list/0", op, lambda r: [r.randn([2, 3]), []] + e, kw=kwargs_only)
            g.add(op + "/dims_noncontig/0", op, lambda r: [r.randn([3, 4, 5], layout="t"), [0, 2]] + e,
                  kw=kwargs_only)
        if dim_none:
            g.add(op + "/dim_none/0", op, lambda r: [r.randn([3, 4]), None] + e, kw=kwargs_only)
            g.add(op + "/dim_none_keepdim/0", op, lambda r: [r.randn([3, 4]), None, True] + e,
                  kw=kwargs_only)

    dim_variants("sum")
    g.add("sum/dtype_kw/0", "sum", lambda r: [r.randn([3, 4])], kw={"dtype": f64})
    g.add("sum/dtype_kw_int/0", "sum", lambda r: [r.randint(-9, 9, [3, 4], i32), 1], kw={"dtype": i32})
    g.add("sum/dtype_kw_f16/0", "sum", lambda r: [r.randn([30], f16)], kw={"dtype": f32})
    g.add("sum/large_4096/0", "sum", lambda r: [r.randn([4096])])
    g.add("sum/large_4096_dim/0", "sum", lambda r: [r.randn([64, 64]), 0])
    g.add("sum/cancellation/0", "sum", lambda r: [torch.tensor([1e8, 1.0, -1e8, 1.0, 3e38, 3e38, -3e38])])
    dim_variants("mean", int_ok=False)
    g.add("mean/dtype_kw/0", "mean", lambda r: [r.randn([3, 4])], kw={"dtype": f64})
    g.add("mean/int_dtype_kw/0", "mean", lambda r: [r.randint(-9, 9, [3, 4], i32)], kw={"dtype": f32})
    g.add("mean/large_4096/0", "mean", lambda r: [r.randn([4096])])
    # prod takes a single dim
    for name, mk in [
        ("full", lambda r: [r.uniform([3, 4], 0.5, 1.6)]),
        ("full_special", lambda r: [r.special(f32)]),
        ("full_large", lambda r: [r.uniform([200], 0.8, 1.25)]),
        ("full_with_zero", lambda r: [torch.tensor([1.5, 0.0, -2.0, 3.0])]),
        ("full_with_two_zeros", lambda r: [torch.tensor([1.5, 0.0, -2.0, 0.0])]),
        ("full_f64", lambda r: [r.uniform([3, 4], 0.5, 1.6, f64)]),
        ("full_int32", lambda r: [r.randint(-3, 4, [6], i32)]),
        ("full_int64", lambda r: [r.randint(-3, 4, [6], i64)]),
        ("full_bool", lambda r: [r.bools([6], 0.8)]),
        ("full_empty", lambda r: [r.randn([0])]),
        ("full_f16", lambda r: [r.uniform([9], 0.5, 1.6, f16)]),
        ("full_bf16", lambda r: [r.uniform([9], 0.5, 1.6, bf16)]),
        ("dim0", lambda r: [r.uniform([3, 4], 0.5, 1.6), 0]),
        ("dim1_keepdim", lambda r: [r.uniform([3, 4], 0.5, 1.6), 1, True]),
        ("dim_neg", lambda r: [r.uniform([2, 3, 4], 0.5, 1.6), -2]),
        ("dim_zeros", lambda r: [torch.tensor([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0], [1.0, 2.0, 3.0]]), 1]),
        ("dim_noncontig", lambda r: [r.uniform([4, 5], 0.5, 1.6, layout="t"), 1]),
        ("dim_int32", lambda r: [r.randint(-3, 4, [3, 4], i32), 1]),
        ("dim_dtype", lambda r: [r.uniform([3, 4], 0.5, 1.6), 1], ),
        ("dim_empty", lambda r: [r.randn([0, 3]), 0]),
        ("full_dtype_kw", lambda r: ([r.randint(-3, 4, [6], i32)], {"dtype": f32})),
    ]:
        g.add("prod/%s/0" % name, "prod", mk)

    # max / min: full, with dim (values, indices), binary done in elementwise_binary
    for op in ("max", "min"):
        for name, mk in [
            ("full", lambda r: [r.randn([3, 4])]),
            ("full_ties", lambda r: [torch.tensor([1.0, 3.0, 3.0, -1.0])]),
            ("full_nan", lambda r: [torch.tensor([1.0, NAN, 3.0, -1.0])]),
            ("full_special", lambda r: [r.special(f32)]),
            ("full_large", lambda r: [r.randn([37, 29])]),
            ("full_noncontig", lambda r: [r.randn([4, 5], layout="t")]),
            ("full_f64", lambda r: [r.randn([4, 5], f64)]),
            ("full_f16", lambda r: [r.randn([9], f16)]),
            ("full_bf16", lambda r: [r.randn([9], bf16)]),
            ("full_int32", lambda r: [r.randint(-9, 9, [3, 4], i32)]),
            ("full_uint8", lambda r: [r.randint(0, 256, [9], u8)]),
            ("full_bool", lambda r: [r.bools([9])]),
            ("full_scalar", lambda r: [r.randn([])]),
            ("dim0", lambda r: [r.randn([3, 4]), 0]),
            ("dim1", lambda r: [r.randn([3, 4]), 1]),
            ("dim1_keepdim", lambda r: [r.randn([3, 4]), 1, True]),
            ("dim_neg", lambda r: [r.randn([2, 3, 4]), -2]),
            ("dim_keepdim_kw", lambda r: ([r.randn([2, 3, 4]), 2], {"keepdim": True})),
            ("dim_ties", lambda r: [torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [-1.0, -5.0, -5.0]]), 1]),
            ("dim_nan", lambda r: [torch.tensor([[1.0, NAN, 3.0, NAN], [2.0, 2.0, INF, -INF]]), 1]),
            ("dim_special", lambda r: [r.special(f32).view(4, 5), 0]),
            ("dim_noncontig", lambda r: [r.randn([4, 5], layout="t"), 1]),
            ("dim_expanded", lambda r: [r.expanded(r.randn([1, 4]), [3, 4]), 0]),
            ("dim_large", lambda r: [r.randn([6, 130]), 1]),
            ("dim_f64", lambda r: [r.randn([3, 4], f64), 1]),
            ("dim_f16", lambda r: [r.randn([3, 4], f16), 1]),
            ("dim_bf16", lambda r: [r.randn([3, 4], bf16), 0]),
            ("dim_int64", lambda r: [r.randint(-3, 3, [3, 4], i64), 1]),
            ("dim_bool", lambda r: [r.bools([3, 4]), 1]),
            ("dim_scalar", lambda r: [r.randn([]), 0]),
            ("dim_empty_other", lambda r: [r.randn([0, 3]), 1]),
        ]:
            g.add("%s/%s/0" % (op, name), op, mk)
    for op in ("amax", "amin"):
        dim_variants(op, dim_none=False)
        g.add(op + "/ties_grad/0", op, lambda r: [torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]), 1])
        g.add(op + "/ties_grad_full/0", op, lambda r: [torch.tensor([[1.0, 3.0, 3.0], [3.0, 2.0, -2.0]])])
        g.add(op + "/nan/0", op, lambda r: [torch.tensor([[1.0, NAN, 3.0], [2.0, 2.0, INF]]), 1])
    for op in ("argmax", "argmin"):
        for name, mk in [
            ("full", lambda r: [r.randn([3, 4])]),
            ("full_ties", lambda r: [torch.tensor([1.0, 3.0, 3.0, -1.0, -1.0])]),
            ("full_nan", lambda r: [torch.tensor([1.0, NAN, 3.0, NAN, -1.0])]),
            ("full_special", lambda r: [r.special(f32)]),
            ("full_large", lambda r: [r.randn([37, 29])]),
            ("full_noncontig", lambda r: [r.randn([4, 5], layout="t")]),
            ("full_int32", lambda r: [r.randint(-9, 9, [3, 4], i32)]),
            ("full_f16", lambda r: [r.randn([9], f16)]),
            ("full_bf16", lambda r: [r.randn([9], bf16)]),
            ("full_f64", lambda r: [r.randn([9], f64)]),
            ("full_scalar", lambda r: [r.randn([])]),
            ("dim0", lambda r: [r.randn([3, 4]), 0]),
            ("dim1", lambda r: [r.randn([3, 4]), 1]),
            ("dim_keepdim", lambda r: [r.randn([3, 4]), 1, True]),
            ("dim_none_keepdim", lambda r: [r.randn([3, 4]), None, True]),
            ("dim_ties", lambda r: [torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]), 1]),
            ("dim_nan", lambda r: [torch.tensor([[1.0, NAN, 3.0, NAN], [2.0, 2.0, INF, -INF]]), 1]),
            ("dim_noncontig", lambda r: [r.randn([4, 5], layout="t"), 0]),
            ("dim_int64", lambda r: [r.randint(-3, 3, [3, 4], i64), 1]),
            ("dim_uint8", lambda r: [r.randint(0, 256, [3, 4], u8), 0]),
            ("dim_large", lambda r: [r.randn([6, 130]), 1]),
            ("dim_empty_other", lambda r: [r.randn([0, 3]), 1]),
        ]:
            g.add("%s/%s/0" % (op, name), op, mk)

    # var / std: unbiased positional or kwarg, correction= (needs dim in 1.13)
    for op in ("var", "std"):
        for name, mk in [
            ("full", lambda r: [r.randn([3, 4])]),
            ("full_unbiased_false", lambda r: [r.randn([3, 4]), False]),
            ("full_unbiased_kw", lambda r: ([r.randn([3, 4])], {"unbiased": False})),
            ("full_large", lambda r: [r.randn([32, 48])]),
            ("full_special", lambda r: [r.special(f32)]),
            ("full_one_element", lambda r: [r.randn([1])]),
            ("full_one_element_biased", lambda r: [r.randn([1]), False]),
            ("full_constant", lambda r: [torch.full([5], 0.1)]),
            ("full_f64", lambda r: [r.randn([4, 5], f64)]),
            ("full_f16", lambda r: [r.randn([9], f16)]),
            ("full_bf16", lambda r: [r.randn([9], bf16)]),
            ("full_noncontig", lambda r: [r.randn([4, 5], layout="t")]),
            ("full_empty", lambda r: [r.randn([0])]),
            ("full_scalar", lambda r: [r.randn([])]),
            ("dim0", lambda r: [r.randn([3, 4]), 0]),
            ("dim1_biased", lambda r: [r.randn([3, 4]), 1, False]),
            ("dim1_keepdim", lambda r: [r.randn([3, 4]), 1, True, True]),
            ("dim_kw", lambda r: ([r.randn([3, 4])], {"dim": 1, "unbiased": False, "keepdim": True})),
            ("dims", lambda r: [r.randn([2, 3, 4]), [0, 2]]),
            ("dims_keepdim", lambda r: [r.randn([2, 3, 4]), [0, 2], True, True]),
            ("dim_none", lambda r: [r.randn([3, 4]), None]),
            ("dim_none_keepdim", lambda r: [r.randn([3, 4]), None, False, True]),
            ("dim_large", lambda r: [r.randn([6, 130]), 1]),
            ("dim_noncontig", lambda r: [r.randn([4, 5], layout="s"), 0]),
            ("dim_expanded", lambda r: [r.expanded(r.randn([1, 4]), [3, 4]), 0]),
            ("dim_f64", lambda r: [r.randn([3, 4], f64), 1]),
            ("dim_f16", lambda r: [r.randn([3, 4], f16), 1]),
            ("dim_size1", lambda r: [r.randn([3, 1]), 1]),
            ("correction0", lambda r: ([r.randn([3, 4]), 1], {"correction": 0})),
            ("correction1", lambda r: ([r.randn([3, 4]), 1], {"correction": 1})),
            ("correction2", lambda r: ([r.randn([3, 4]), 1], {"correction": 2})),
            ("correction2_keepdim", lambda r: ([r.randn([3, 4]), [0, 1]], {"correction": 2, "keepdim": True})),
            ("correction_dim_none", lambda r: ([r.randn([3, 4]), None], {"correction": 0})),
            ("correction_too_big", lambda r: ([r.randn([3, 4]), 1], {"correction": 4})),
            ("correction_no_dim", lambda r: ([r.randn([3, 4])], {"correction": 0})),
        ]:
            g.add("%s/%s/0" % (op, name), op, mk)

    # norm
    for name, mk in [
        ("default", lambda r: [r.randn([3, 4])]),
        ("p2", lambda r: [r.randn([3, 4]), 2]),
        ("p1", lambda r: [r.randn([3, 4]), 1]),
        ("pinf", lambda r: [r.randn([3, 4]), INF]),
        ("pneginf", lambda r: [r.randn([3, 4]), -INF]),
        ("p0", lambda r: [torch.tensor([0.0, 1.5, -2.0, 0.0, 3.0]), 0]),
        ("p3", lambda r: [r.randn([3, 4]), 3]),
        ("p0_5", lambda r: [r.uniform([3, 4], 0.1, 2.0), 0.5]),
        ("fro", lambda r: [r.randn([3, 4]), "fro"]),
        ("fro_dims", lambda r: [r.randn([2, 3, 4]), "fro", [1, 2]]),
        ("p2_dim", lambda r: [r.randn([3, 4]), 2, 1]),
        ("p2_dim_keepdim", lambda r: [r.randn([3, 4]), 2, 1, True]),
        ("p1_dim", lambda r: [r.randn([3, 4]), 1, 0]),
        ("pinf_dim", lambda r: [r.randn([3, 4]), INF, 1]),
        ("p2_dims", lambda r: [r.randn([2, 3, 4]), 2, [0, 2]]),
        ("p2_kw", lambda r: ([r.randn([3, 4])], {"p": 2, "dim": 1, "keepdim": True})),
        ("zeros_grad", lambda r: [torch.zeros([4]), 2]),
        ("zeros_grad_p1", lambda r: [torch.tensor([0.0, 1.0, -2.0, 0.0]), 1]),
        ("zeros_grad_pinf_ties", lambda r: [torch.tensor([0.0, 2.0, -2.0, 1.0]), INF]),
        ("special", lambda r: [r.special(f32)]),
        ("huge", lambda r: [torch.tensor([3e38, 3e38, 1.0])]),
        ("tiny", lambda r: [torch.tensor([1e-30, 2e-30, -1e-40])]),
        ("large", lambda r: [r.randn([32, 48])]),
        ("large_dim", lambda r: [r.randn([6, 130]), 2, 1]),
        ("noncontig", lambda r: [r.randn([4, 5], layout="t"), 2, 1]),
        ("f64", lambda r: [r.randn([3, 4], f64)]),
        ("f64_pinf", lambda r: [r.randn([3, 4], f64), INF, 0]),
        ("f16", lambda r: [r.randn([9], f16)]),
        ("bf16", lambda r: [r.randn([9], bf16)]),
        ("empty", lambda r: [r.randn([0])]),
        ("scalar", lambda r: [r.randn([])]),
        ("dtype_kw", lambda r: ([r.randn([3, 4]), 2], {"dtype": f64})),
    ]:
        g.add("norm/%s/0" % name, "norm", mk)

    # logsumexp (dim is required in 1.13)
    for name, mk in [
        ("dim1", lambda r: [r.randn([3, 4]), 1]),
        ("dim0_keepdim", lambda r: [r.randn([3, 4]), 0, True]),
        ("dims", lambda r: [r.randn([2, 3, 4]), [0, 2]]),
        ("dim_neg", lambda r: [r.randn([2, 3, 4]), -1]),
        ("big_values", lambda r: [r.randn([3, 4], scale=100.0), 1]),
        ("with_inf", lambda r: [torch.tensor([[-INF, 1.0, 2.0], [-INF, -INF, -INF], [INF, 1.0, 0.0], [NAN, 1.0, 0.0]]), 1]),
        ("special", lambda r: [r.special(f32).view(4, 5), 1]),
        ("large", lambda r: [r.randn([6, 130]), 1]),
        ("noncontig", lambda r: [r.randn([4, 5], layout="t"), 1]),
        ("f64", lambda r: [r.randn([3, 4], f64), 1]),
        ("f16", lambda r: [r.randn([3, 4], f16), 1]),
        ("bf16", lambda r: [r.randn([3, 4], bf16), 1]),
        ("int", lambda r: [r.randint(-3, 4, [3, 4], i64), 1]),
        ("empty", lambda r: [r.randn([0, 3]), 0]),
        ("empty_other", lambda r: [r.randn([0, 3]), 1]),
        ("scalar", lambda r: [r.randn([]), 0]),
    ]:
        g.add("logsumexp/%s/0" % name, "logsumexp", mk)

    # all / any
    for op in ("all", "any"):
        for name, mk in [
            ("bool_full", lambda r: [r.bools([3, 4], 0.8)]),
            ("bool_full_true", lambda r: [torch.ones([5], dtype=b8)]),
            ("bool_full_false", lambda r: [torch.zeros([5], dtype=b8)]),
            ("bool_dim", lambda r: [r.bools([3, 4], 0.7), 1]),
            ("bool_dim_keepdim", lambda r: [r.bools([3, 4], 0.3), 0, True]),
            ("float", lambda r: [torch.tensor([1.0, 0.0, -0.0, NAN, 2.0])]),
            ("float_dim", lambda r: [torch.tensor([[1.0, 0.0], [NAN, 2.0], [-0.0, 0.0]]), 1]),
            ("int", lambda r: [r.randint(0, 3, [3, 4], i32), 0]),
            ("uint8", lambda r: [r.randint(0, 2, [3, 4], u8)]),
            ("uint8_dim", lambda r: [r.randint(0, 3, [3, 4], u8), 1]),
            ("noncontig", lambda r: [r.bools([4, 5], 0.8, layout="t"), 1]),
            ("empty", lambda r: [torch.zeros([0], dtype=b8)]),
            ("empty_dim", lambda r: [torch.zeros([0, 3], dtype=b8), 0]),
            ("large", lambda r: [r.bools([200], 0.99)]),
        ]:
            g.add("%s/%s/0" % (op, name), op, mk)

    # cumsum / cumprod
    for op in ("cumsum", "cumprod"):
        val = (lambda r, s, dt=f32, layout="c": r.randn(s, dt, 1.0, layout)) if op == "cumsum" else \
              (lambda r, s, dt=f32, layout="c": r.uniform(s, 0.6, 1.5, dt, layout))
        for name, mk in [
            ("dim0", lambda r: [val(r, [3, 4]), 0]),
            ("dim1", lambda r: [val(r, [3, 4]), 1]),
            ("dim_neg", lambda r: [val(r, [2, 3, 4]), -2]),
            ("1d", lambda r: [val(r, [10]), 0]),
            ("large", lambda r: [val(r, [300]), 0]),
            ("large_2d", lambda r: [val(r, [16, 64]), 1]),
            ("noncontig", lambda r: [val(r, [4, 5], layout="t"), 1]),
            ("stepped", lambda r: [val(r, [3, 5], layout="s"), 1]),
            ("expanded", lambda r: [r.expanded(val(r, [1, 4]), [3, 4]), 0]),
            ("special", lambda r: [r.special(f32), 0]),
            ("with_zeros", lambda r: [torch.tensor([1.5, 2.0, 0.0, 3.0, 0.0, 2.0]), 0]),
            ("f64", lambda r: [val(r, [3, 4], f64), 1]),
            ("f16", lambda r: [val(r, [9], f16), 0]),
            ("bf16", lambda r: [val(r, [9], bf16), 0]),
            ("int32", lambda r: [r.randint(-3, 4, [3, 4], i32), 1]),
            ("int64", lambda r: [r.randint(-3, 4, [6], i64), 0]),
            ("uint8", lambda r: [r.randint(0, 256, [6], u8), 0]),
            ("bool", lambda r: [r.bools([6]), 0]),
            ("dtype_kw", lambda r: ([val(r, [6]), 0], {"dtype": f64})),
            ("int_dtype_kw", lambda r: ([r.randint(-3, 4, [6], i32), 0], {"dtype": i32})),
            ("empty", lambda r: [r.randn([0, 3]), 0]),
            ("scalar", lambda r: [r.randn([]), 0]),
        ]:
            g.add("%s/%s/0" % (op, name), op, mk)

    # softmax / log_softmax
    for op in ("softmax", "log_softmax"):
        for name, mk in [
            ("dim1", lambda r: [r.randn([3, 4]), 1]),
            ("dim0", lambda r: [r.randn([3, 4]), 0]),
            ("dim_neg", lambda r: [r.randn([2, 3, 4]), -1]),
            ("dim_middle", lambda r: [r.randn([2, 3, 4]), 1]),
            ("big_values", lambda r: [r.randn([3, 4], scale=100.0), 1]),
            ("with_inf", lambda r: [torch.tensor([[-INF, 1.0, 2.0], [-INF, -INF, -INF], [INF, 1.0, 0.0], [NAN, 1.0, 0.0]]), 1]),
            ("special", lambda r: [r.special(f32).view(4, 5), 1]),
            ("large", lambda r: [r.randn([4, 150]), 1]),
            ("large_dim0", lambda r: [r.randn([150, 4]), 0]),
            ("noncontig", lambda r: [r.randn([4, 5], layout="t"), 1]),
            ("stepped", lambda r: [r.randn([3, 5], layout="s"), 1]),
            ("expanded", lambda r: [r.expanded(r.randn([1, 4]), [3, 4]), 1]),
            ("f64", lambda r: [r.randn([3, 4], f64), 1]),
            ("f16", lambda r: [r.randn([3, 4], f16), 1]),
            ("bf16", lambda r: [r.randn([3, 4], bf16), 1]),
            ("dtype_kw", lambda r: ([r.randn([3, 4]), 1], {"dtype": f64})),
            ("empty", lambda r: [r.randn([0, 3]), 1]),
            ("scalar", lambda r: [r.randn([]), 0]),
            ("size1", lambda r: [r.randn([3, 1]), 1]),
        ]:
            g.add("%s/%s/0" % (op, name), op, mk)
        g.add("nn.functional.%s/dim1/0" % op, "nn.functional." + op, lambda r: [r.randn([3, 4]), 1])
    return g


# ----------------------------------------------------------------------------------------------
# views and indexing


def gen_views():
    g = Group("views")
    V = [
        ("Tensor.view", [
            ("basic", lambda r: [r.randn([3, 4]), [4, 3]]),
            ("infer", lambda r: [r.randn([2, 3, 4]), [-1, 4]]),
            ("varargs", lambda r: [r.randn([2, 6]), 3, 4]),
            ("flatten", lambda r: [r.randn([2, 3]), -1]),
            ("to_scalar", lambda r: [r.randn([1]), []]),
            ("from_scalar", lambda r: [r.randn([]), [1, 1]]),
            ("empty", lambda r: [r.randn([0, 4]), [2, 0, 2]]),
            ("offset", lambda r: [r.randn([2, 3], layout="o"), [3, 2]]),
            ("split_dim_of_noncontig", lambda r: [r.randn([4, 6], layout="t"), [2, 2, 6]]),
            ("int", lambda r: [r.randint(0, 9, [6], i64), [2, 3]]),
        ]),
        ("reshape", [
            ("basic", lambda r: [r.randn([3, 4]), [4, 3]]),
            ("infer", lambda r: [r.randn([2, 3, 4]), [-1]]),
            ("noncontig_copy", lambda r: [r.randn([3, 4], layout="t"), [12]]),
            ("stepped", lambda r: [r.randn([3, 4], layout="s"), [2, 6]]),
            ("expanded", lambda r: [r.expanded(r.randn([3, 1]), [3, 4]), [4, 3]]),
            ("empty", lambda r: [r.randn([0, 3]), [3, 0]]),
            ("scalar", lambda r: [r.randn([]), [1]]),
            ("bool", lambda r: [r.bools([6]), [3, 2]]),
        ]),
        ("permute", [
            ("3d", lambda r: [r.randn([2, 3, 4]), [2, 0, 1]]),
            ("neg", lambda r: [r.randn([2, 3, 4]), [-1, -3, -2]]),
            ("2d", lambda r: [r.randn([3, 4]), [1, 0]]),
            ("noncontig", lambda r: [r.randn([3, 4, 2], layout="s"), [1, 2, 0]]),
            ("empty", lambda r: [r.randn([0, 3, 2]), [2, 0, 1]]),
            ("f64", lambda r: [r.randn([2, 3], f64), [1, 0]]),
        ]),
        ("transpose", [
            ("2d", lambda r: [r.randn([3, 4]), 0, 1]),
            ("3d", lambda r: [r.randn([2, 3, 4]), 0, 2]),
            ("neg", lambda r: [r.randn([2, 3, 4]), -1, -2]),
            ("same", lambda r: [r.randn([2, 3]), 1, 1]),
            ("noncontig", lambda r: [r.randn([3, 4], layout="t"), 0, 1]),
            ("int", lambda r: [r.randint(0, 9, [2, 3], i32), 0, 1]),
        ]),
        ("t", [
            ("2d", lambda r: [r.randn([3, 4])]),
            ("1d", lambda r: [r.randn([4])]),
            ("0d", lambda r: [r.randn([])]),
            ("stepped", lambda r: [r.randn([3, 4], layout="s")]),
        ]),
        ("squeeze", [
            ("all", lambda r: [r.randn([1, 3, 1, 4])]),
            ("dim", lambda r: [r.randn([1, 3, 1, 4]), 2]),
            ("dim_not_one", lambda r: [r.randn([1, 3, 1, 4]), 1]),
            ("neg", lambda r: [r.randn([3, 1]), -1]),
            ("scalar", lambda r: [r.randn([])]),
            ("all_ones", lambda r: [r.randn([1, 1])]),
            ("empty", lambda r: [r.randn([0, 1, 2]), 1]),
        ]),
        ("unsqueeze", [
            ("front", lambda r: [r.randn([3, 4]), 0]),
            ("middle", lambda r: [r.randn([3, 4]), 1]),
            ("end", lambda r: [r.randn([3, 4]), 2]),
            ("neg", lambda r: [r.randn([3, 4]), -1]),
            ("scalar", lambda r: [r.randn([]), 0]),
            ("noncontig", lambda r: [r.randn([3, 4], layout="t"), 1]),
        ]),
        ("Tensor.expand", [
            ("basic", lambda r: [r.randn([3, 1]), [3, 4]]),
            ("new_dims", lambda r: [r.randn([3, 1]), [2, 3, 5]]),
            ("minus_one", lambda r: [r.randn([3, 1]), [-1, 4]]),
            ("varargs", lambda r: [r.randn([1, 4]), 3, 4]),
            ("scalar", lambda r: [r.randn([]), [2, 3]]),
            ("zero", lambda r: [r.randn([1, 3]), [0, 3]]),
            ("noncontig", lambda r: [r.randn([3, 1], layout="s"), [3, 2]]),
            ("int", lambda r: [r.randint(0, 9, [1, 3], i64), [2, 3]]),
        ]),
        ("narrow", [
            ("dim0", lambda r: [r.randn([5, 3]), 0, 1, 3]),
            ("dim1", lambda r: [r.randn([3, 5]), 1, 2, 2]),
            ("neg_dim", lambda r: [r.randn([3, 5]), -1, 0, 1]),
            ("neg_start", lambda r: [r.randn([3, 5]), 1, -3, 2]),
            ("zero_len", lambda r: [r.randn([3, 5]), 1, 2, 0]),
            ("noncontig", lambda r: [r.randn([4, 5], layout="t"), 0, 1, 2]),
        ]),
        ("flatten", [
            ("all", lambda r: [r.randn([2, 3, 4])]),
            ("range", lambda r: [r.randn([2, 3, 4, 2]), 1, 2]),
            ("start", lambda r: [r.randn([2, 3, 4]), 1]),
            ("neg", lambda r: [r.randn([2, 3, 4]), 0, -2]),
            ("scalar", lambda r: [r.randn([])]),
            ("noncontig", lambda r: [r.randn([3, 4], layout="t")]),
            ("empty", lambda r: [r.randn([2, 0, 3]), 1]),
        ]),
        ("unflatten", [
            ("basic", lambda r: [r.randn([2, 12]), 1, [3, 4]]),
            ("infer", lambda r: [r.randn([2, 12]), 1, [-1, 2]]),
            ("dim0", lambda r: [r.randn([6, 2]), 0, [2, 3]]),
            ("neg", lambda r: [r.randn([2, 6]), -1, [3, 2]]),
        ]),
        ("Tensor.contiguous", [
            ("transposed", lambda r: [r.randn([3, 4], layout="t")]),
            ("stepped", lambda r: [r.randn([3, 4], layout="s")]),
            ("expanded", lambda r: [r.expanded(r.randn([1, 4]), [3, 4])]),
            ("already", lambda r: [r.randn([3, 4])]),
            ("offset", lambda r: [r.randn([3, 4], layout="o")]),
        ]),
        ("clone", [
            ("basic", lambda r: [r.randn([3, 4])]),
            ("transposed", lambda r: [r.randn([3, 4], layout="t")]),
            ("special", lambda r: [r.special(f32)]),
            ("int", lambda r: [r.randint(-9, 9, [5], i32)]),
            ("bf16", lambda r: [r.randn([5], bf16)]),
            ("empty", lambda r: [r.randn([0])]),
        ]),
        ("chunk", [
            ("even", lambda r: [r.randn([6, 2]), 3]),
            ("uneven", lambda r: [r.randn([7, 2]), 3]),
            ("fewer", lambda r: [r.randn([5, 2]), 4]),
            ("dim1", lambda r: [r.randn([2, 5]), 2, 1]),
            ("more_than_size", lambda r: [r.randn([2, 3]), 5, 1]),
            ("noncontig", lambda r: [r.randn([4, 6], layout="t"), 2, 1]),
        ]),
        ("split", [
            ("int", lambda r: [r.randn([7, 2]), 3]),
            ("int_dim1", lambda r: [r.randn([2, 5]), 2, 1]),
            ("list", lambda r: [r.randn([6, 2]), [1, 2, 3]]),
            ("list_dim1", lambda r: [r.randn([2, 6]), [4, 0, 2], 1]),
            ("int_bigger", lambda r: [r.randn([3, 2]), 5]),
            ("noncontig", lambda r: [r.randn([4, 6], layout="t"), [2, 4], 1]),
        ]),
        ("unbind", [
            ("dim0", lambda r: [r.randn([3, 4])]),
            ("dim1", lambda r: [r.randn([3, 4]), 1]),
            ("neg", lambda r: [r.randn([2, 3, 2]), -1]),
            ("noncontig", lambda r: [r.randn([3, 4], layout="t"), 0]),
        ]),
    ]
    for op, cases in V:
        for name, mk in cases:
            g.add("%s/%s/0" % (op, name), op, mk)

    return g


# ----------------------------------------------------------------------------------------------
# linalg, shape manipulation, gather/scatter, sort


def gen_linalg():
    g = Group("linalg")
    mats = [
        ("mm", [
            ("basic", lambda r: [r.randn([3, 4]), r.randn([4, 5])]),
            ("vector_like", lambda r: [r.randn([1, 4]), r.randn([4, 1])]),
            ("transposed", lambda r: [r.randn([3, 4], layout="t"), r.randn([4, 5], layout="t")]),
            ("stepped", lambda r: [r.randn([3, 4], layout="s"), r.randn([4, 2])]),
            ("expanded", lambda r: [r.expanded(r.randn([3, 1]), [3, 4]), r.randn([4, 2])]),
            ("large", lambda r: [r.randn([64, 64]), r.randn([64, 64])]),
            ("tall", lambda r: [r.randn([100, 7]), r.randn([7, 3])]),
            ("long_k", lambda r: [r.randn([2, 500]), r.randn([500, 3])]),
            ("empty_k", lambda r: [r.randn([3, 0]), r.randn([0, 4])]),
            ("empty_m", lambda r: [r.randn([0, 3]), r.randn([3, 4])]),
            ("special", lambda r: [r.special(f32).view(4, 5), r.randn([5, 3])]),
            ("f64", lambda r: [r.randn([3, 4], f64), r.randn([4, 5], f64)]),
            ("bf16", lambda r: [r.randn([3, 4], bf16), r.randn([4, 5], bf16)]),
            ("f16", lambda r: [r.randn([3, 4], f16), r.randn([4, 5], f16)]),
            ("int64", lambda r: [r.randint(-5, 5, [3, 4]), r.randint(-5, 5, [4, 2])]),
            ("int32", lambda r: [r.randint(-5, 5, [3, 4], i32), r.randint(-5, 5, [4, 2], i32)]),
        ]),
        ("bmm", [
            ("basic", lambda r: [r.randn([2, 3, 4]), r.randn([2, 4, 5])]),
            ("transposed", lambda r: [r.randn([2, 3, 4], layout="t"), r.randn([2, 4, 5])]),
            ("batch_expanded", lambda r: [r.expanded(r.randn([1, 3, 4]), [3, 3, 4]), r.randn([3, 4, 2])]),
            ("large", lambda r: [r.randn([4, 16, 32]), r.randn([4, 32, 16])]),
            ("empty_batch", lambda r: [r.randn([0, 3, 4]), r.randn([0, 4, 5])]),
            ("empty_k", lambda r: [r.randn([2, 3, 0]), r.randn([2, 0, 5])]),
            ("f64", lambda r: [r.randn([2, 3, 4], f64), r.randn([2, 4, 2], f64)]),
            ("int64", lambda r: [r.randint(-5, 5, [2, 3, 4]), r.randint(-5, 5, [2, 4, 2])]),
        ]),
        ("matmul", [
            ("1d_1d", lambda r: [r.randn([5]), r.randn([5])]),
            ("1d_2d", lambda r: [r.randn([4]), r.randn([4, 3])]),
            ("2d_1d", lambda r: [r.randn([3, 4]), r.randn([4])]),
            ("2d_2d", lambda r: [r.randn([3, 4]), r.randn([4, 5])]),
            ("3d_3d", lambda r: [r.randn([2, 3, 4]), r.randn([2, 4, 5])]),
            ("3d_2d", lambda r: [r.randn([2, 3, 4]), r.randn([4, 5])]),
            ("2d_3d", lambda r: [r.randn([3, 4]), r.randn([2, 4, 5])]),
            ("3d_1d", lambda r: [r.randn([2, 3, 4]), r.randn([4])]),
            ("1d_3d", lambda r: [r.randn([4]), r.randn([2, 4, 3])]),
            ("broadcast_batch", lambda r: [r.randn([2, 1, 3, 4]), r.randn([5, 4, 2])]),
            ("broadcast_batch_4d", lambda r: [r.randn([1, 3, 2, 4]), r.randn([2, 1, 4, 3])]),
            ("transposed", lambda r: [r.randn([2, 3, 4], layout="t"), r.randn([4, 5], layout="t")]),
            ("expanded", lambda r: [r.expanded(r.randn([1, 3, 4]), [2, 3, 4]), r.randn([4, 2])]),
            ("large", lambda r: [r.randn([64, 64]), r.randn([64, 64])]),
            ("large_batched", lambda r: [r.randn([8, 16, 32]), r.randn([32, 8])]),
            ("empty", lambda r: [r.randn([0, 4]), r.randn([4, 3])]),
            ("empty_k", lambda r: [r.randn([2, 0]), r.randn([0, 3])]),
            ("f64", lambda r: [r.randn([2, 3, 4], f64), r.randn([4], f64)]),
            ("int64", lambda r: [r.randint(-5, 5, [3, 4]), r.randint(-5, 5, [4])]),
            ("bf16", lambda r: [r.randn([3, 4], bf16), r.randn([4, 2], bf16)]),
        ]),
        ("mv", [
            ("basic", lambda r: [r.randn([3, 4]), r.randn([4])]),
            ("transposed", lambda r: [r.randn([3, 4], layout="t"), r.randn([4], layout="s")]),
            ("large", lambda r: [r.randn([64, 64]), r.randn([64])]),
            ("empty", lambda r: [r.randn([3, 0]), r.randn([0])]),
            ("f64", lambda r: [r.randn([3, 4], f64), r.randn([4], f64)]),
            ("int64", lambda r: [r.randint(-5, 5, [3, 4]), r.randint(-5, 5, [4])]),
        ]),
        ("dot", [
            ("basic", lambda r: [r.randn([5]), r.randn([5])]),
            ("stepped", lambda r: [r.randn([7], layout="s"), r.randn([7])]),
            ("large", lambda r: [r.randn([1000]), r.randn([1000])]),
            ("large_4096", lambda r: [r.randn([4096]), r.randn([4096])]),
            ("empty", lambda r: [r.randn([0]), r.randn([0])]),
            ("special", lambda r: [r.special(f32), r.randn([20])]),
            ("f64", lambda r: [r.randn([5], f64), r.randn([5], f64)]),
            ("int64", lambda r: [r.randint(-5, 5, [5]), r.randint(-5, 5, [5])]),
            ("int32", lambda r: [r.randint(-5, 5, [5], i32), r.randint(-5, 5, [5], i32)]),
            ("bf16", lambda r: [r.randn([9], bf16), r.randn([9], bf16)]),
        ]),
        ("outer", [
            ("basic", lambda r: [r.randn([3]), r.randn([4])]),
            ("stepped", lambda r: [r.randn([3], layout="s"), r.randn([4])]),
            ("empty", lambda r: [r.randn([0]), r.randn([4])]),
            ("special", lambda r: [r.special(f32), torch.tensor([0.0, -1.0, INF])]),
            ("int", lambda r: [r.randint(-5, 5, [3]), r.randint(-5, 5, [2])]),
            ("promo", lambda r: [r.randint(-5, 5, [3], i32), r.randn([2])]),
        ]),
        ("trace", [
            ("square", lambda r: [r.randn([4, 4])]),
            ("wide", lambda r: [r.randn([3, 5])]),
            ("tall", lambda r: [r.randn([5, 3])]),
            ("transposed", lambda r: [r.randn([4, 4], layout="t")]),
            ("int32", lambda r: [r.randint(-5, 5, [3, 3], i32)]),
            ("f64", lambda r: [r.randn([3, 3], f64)]),
            ("empty", lambda r: [r.randn([0, 3])]),
        ]),
        ("linalg.matrix_power", [
            ("n0", lambda r: [r.randn([3, 3]), 0]),
            ("n1", lambda r: [r.randn([3, 3]), 1]),
            ("n2", lambda r: [r.randn([3, 3]), 2]),
            ("n3", lambda r: [r.randn([3, 3]), 3]),
            ("n5", lambda r: [r.randn([3, 3], scale=0.5), 5]),
            ("n6_batched", lambda r: [r.randn([2, 3, 3], scale=0.5), 6]),
            ("n_neg1", lambda r: [r.randn([3, 3]) + 3 * torch.eye(3), -1]),
            ("f64", lambda r: [r.randn([3, 3], f64), 3]),
            ("int64", lambda r: [r.randint(-3, 4, [3, 3]), 3]),
            ("transposed", lambda r: [r.randn([3, 3], layout="t"), 2]),
        ]),
    ]
    for op, cases in mats:
        for name, mk in cases:
            g.add("%s/%s/0" % (op, name), op, mk)

    eins = [
        ("ij,jk->ik", lambda r: [r.randn([3, 4]), r.randn([4, 5])]),
        ("bij,bjk->bik", lambda r: [r.randn([2, 3, 4]), r.randn([2, 4, 5])]),
        ("ii->i", lambda r: [r.randn([4, 4])]),
        ("ii", lambda r: [r.randn([4, 4])]),
        ("ij->ji", lambda r: [r.randn([3, 4])]),
        ("i,i->", lambda r: [r.randn([6]), r.randn([6])]),
        ("bhqd,bhkd->bhqk", lambda r: [r.randn([2, 2, 3, 4]), r.randn([2, 2, 5, 4])]),
        ("ij->", lambda r: [r.randn([3, 4])]),
        ("ij->j", lambda r: [r.randn([3, 4])]),
        ("i,j->ij", lambda r: [r.randn([3]), r.randn([4])]),
        ("ij,ij->ij", lambda r: [r.randn([3, 4]), r.randn([3, 4])]),
        ("...ij,...jk->...ik", lambda r: [r.randn([2, 3, 4]), r.randn([2, 4, 2])]),
        ("bij,jk->bik", lambda r: [r.randn([2, 3, 4]), r.randn([4, 2])]),
        ("ij,kj->ik", lambda r: [r.randn([3, 4], layout="t"), r.randn([2, 4])]),
        ("ijk->kji", lambda r: [r.randn([2, 3, 4])]),
    ]
    for i, (eq, mk) in enumerate(eins):
        g.add("einsum/%s/0" % eq, "einsum", lambda r, eq=eq, mk=mk: [eq] + mk(r))
    g.add("einsum/ij,jk->ik/f64", "einsum", lambda r: ["ij,jk->ik", r.randn([3, 4], f64), r.randn([4, 2], f64)])
    g.add("einsum/bhqd,bhkd->bhqk/large", "einsum",
          lambda r: ["bhqd,bhkd->bhqk", r.randn([2, 4, 8, 16]), r.randn([2, 4, 8, 16])])
    g.add("einsum/ij,jk->ik/list_operands", "einsum",
          lambda r: ["ij,jk->ik", [r.randn([3, 4]), r.randn([4, 2])]])
    g.add("einsum/ij,jk->ik/int", "einsum",
          lambda r: ["ij,jk->ik", r.randint(-4, 4, [3, 4]), r.randint(-4, 4, [4, 2])])

    # cat / stack
    for name, mk in [
        ("dim0", lambda r: [[r.randn([2, 3]), r.randn([4, 3])]]),
        ("dim1", lambda r: [[r.randn([2, 3]), r.randn([2, 1]), r.randn([2, 2])], 1]),
        ("neg_dim", lambda r: [[r.randn([2, 3, 2]), r.randn([2, 3, 1])], -1]),
        ("single", lambda r: [[r.randn([2, 3])]]),
        ("with_empty", lambda r: [[r.randn([2, 3]), r.randn([0, 3]), r.randn([1, 3])]]),
        ("legacy_empty_1d", lambda r: [[r.randn([2, 3]), r.randn([0])]]),
        ("noncontig", lambda r: [[r.randn([2, 3], layout="t"), r.randn([2, 3], layout="s"),
                                  r.expanded(r.randn([1, 3]), [2, 3])], 0]),
        ("promo", lambda r: [[r.randint(-5, 5, [2], i32), r.randn([3]), r.randn([1], f64)]]),
        ("promo_f16_bf16", lambda r: [[r.randn([2], f16), r.randn([3], bf16)]]),
        ("int", lambda r: [[r.randint(-5, 5, [2], i64), r.randint(-5, 5, [3], i64)]]),
        ("bool", lambda r: [[r.bools([2]), r.bools([3])]]),
        ("f64", lambda r: [[r.randn([2, 2], f64), r.randn([2, 2], f64)], 1]),
    ]:
        g.add("cat/%s/0" % name, "cat", mk)
    for name, mk in [
        ("dim0", lambda r: [[r.randn([2, 3]), r.randn([2, 3])]]),
        ("dim1", lambda r: [[r.randn([2, 3]), r.randn([2, 3]), r.randn([2, 3])], 1]),
        ("dim_last", lambda r: [[r.randn([2, 3]), r.randn([2, 3])], 2]),
        ("neg_dim", lambda r: [[r.randn([2, 3]), r.randn([2, 3])], -1]),
        ("scalars", lambda r: [[r.randn([]), r.randn([]), r.randn([])]]),
        ("noncontig", lambda r: [[r.randn([2, 3], layout="t"), r.randn([2, 3], layout="s")], 1]),
        ("empty", lambda r: [[r.randn([0, 3]), r.randn([0, 3])]]),
        ("promo", lambda r: [[r.randint(-5, 5, [3], i32), r.randn([3])]]),
        ("int", lambda r: [[r.randint(-5, 5, [3], i64), r.randint(-5, 5, [3], i64)]]),
    ]:
        g.add("stack/%s/0" % name, "stack", mk)

    # repeat, flip, roll, tril, triu, diag, diag_embed
    for name, mk in [
        ("basic", lambda r: [r.randn([2, 3]), [2, 2]]),
        ("more_dims", lambda r: [r.randn([2, 3]), [2, 1, 3]]),
        ("varargs", lambda r: [r.randn([3]), 2, 2]),
        ("ones", lambda r: [r.randn([2, 3]), [1, 1]]),
        ("zero", lambda r: [r.randn([2, 3]), [0, 2]]),
        ("noncontig", lambda r: [r.randn([2, 3], layout="t"), [2, 1]]),
        ("scalar", lambda r: [r.randn([]), [3]]),
        ("int", lambda r: [r.randint(-5, 5, [3], i32), [2]]),
    ]:
        g.add("Tensor.repeat/%s/0" % name, "Tensor.repeat", mk)
    for name, mk in [
        ("dim0", lambda r: [r.randn([3, 4]), [0]]),
        ("dim1", lambda r: [r.randn([3, 4]), [1]]),
        ("both", lambda r: [r.randn([3, 4]), [0, 1]]),
        ("neg", lambda r: [r.randn([2, 3, 4]), [-1, 0]]),
        ("noncontig", lambda r: [r.randn([3, 4], layout="t"), [1]]),
        ("empty_dims", lambda r: [r.randn([3]), []]),
        ("int", lambda r: [r.randint(-5, 5, [5], i64), [0]]),
        ("bool", lambda r: [r.bools([5]), [0]]),
    ]:
        g.add("flip/%s/0" % name, "flip", mk)
    for name, mk in [
        ("flat", lambda r: [r.randn([3, 4]), 5]),
        ("flat_neg", lambda r: [r.randn([3, 4]), -2]),
        ("dim0", lambda r: [r.randn([3, 4]), 1, 0]),
        ("dim1", lambda r: [r.randn([3, 4]), -1, 1]),
        ("multi", lambda r: [r.randn([3, 4]), [1, 2], [0, 1]]),
        ("big_shift", lambda r: [r.randn([5]), 13, 0]),
        ("noncontig", lambda r: [r.randn([3, 4], layout="t"), 2, 1]),
        ("zero", lambda r: [r.randn([4]), 0]),
        ("int", lambda r: [r.randint(-5, 5, [5], i64), 2]),
    ]:
        g.add("roll/%s/0" % name, "roll", mk)
    for op in ("tril", "triu"):
        for name, mk in [
            ("square", lambda r: [r.randn([4, 4])]),
            ("wide", lambda r: [r.randn([3, 5])]),
            ("tall", lambda r: [r.randn([5, 3])]),
            ("k1", lambda r: [r.randn([4, 4]), 1]),
            ("k_neg1", lambda r: [r.randn([4, 4]), -1]),
            ("k_big", lambda r: [r.randn([3, 4]), 10]),
            ("k_small", lambda r: [r.randn([3, 4]), -10]),
            ("batched", lambda r: [r.randn([2, 3, 3])]),
            ("noncontig", lambda r: [r.randn([3, 4], layout="t"), 1]),
            ("special", lambda r: [r.special(f32).view(4, 5)]),
            ("int", lambda r: [r.randint(-5, 5, [3, 3], i32)]),
            ("bool", lambda r: [r.bools([3, 3])]),
            ("empty", lambda r: [r.randn([0, 3])]),
        ]:
            g.add("%s/%s/0" % (op, name), op, mk)
    for name, mk in [
        ("1d", lambda r: [r.randn([3])]),
        ("1d_k1", lambda r: [r.randn([3]), 1]),
        ("1d_k_neg2", lambda r: [r.randn([3]), -2]),
        ("2d", lambda r: [r.randn([3, 4])]),
        ("2d_k1", lambda r: [r.randn([3, 4]), 1]),
        ("2d_k_neg1", lambda r: [r.randn([3, 4]), -1]),
        ("2d_k_out", lambda r: [r.randn([3, 4]), 5]),
        ("2d_noncontig", lambda r: [r.randn([4, 4], layout="t"), 1]),
        ("1d_int", lambda r: [r.randint(-5, 5, [3], i64)]),
        ("1d_empty", lambda r: [r.randn([0])]),
    ]:
        g.add("diag/%s/0" % name, "diag", mk)
    for name, mk in [
        ("1d", lambda r: [r.randn([3])]),
        ("batched", lambda r: [r.randn([2, 3])]),
        ("offset", lambda r: [r.randn([2, 3]), 1]),
        ("offset_neg", lambda r: [r.randn([2, 3]), -2]),
        ("dims", lambda r: [r.randn([2, 3]), 0, 0, 2]),
        ("dims_neg", lambda r: [r.randn([2, 3]), 1, -1, 0]),
        ("int", lambda r: [r.randint(-5, 5, [3], i32)]),
    ]:
        g.add("diag_embed/%s/0" % name, "diag_embed", mk)

    return g


# ----------------------------------------------------------------------------------------------
# indexing: getitem, gather/scatter, index_* ops, nonzero


def gen_indexing():
    g = Group("indexing")
    # getitem
    gi = [
        ("int", lambda r: [r.randn([3, 4]), [1]]),
        ("neg_int", lambda r: [r.randn([3, 4]), [-1]]),
        ("two_ints", lambda r: [r.randn([3, 4]), [2, -3]]),
        ("slice", lambda r: [r.randn([5, 4]), [slice(1, 4, None)]]),
        ("slice_step", lambda r: [r.randn([7, 4]), [slice(None, None, 2)]]),
        ("slice_step3_offset", lambda r: [r.randn([9, 2]), [slice(1, 8, 3)]]),
        ("slice_neg", lambda r: [r.randn([6]), [slice(-4, -1, None)]]),
        ("slice_out_of_range", lambda r: [r.randn([6]), [slice(2, 100, None)]]),
        ("slice_empty", lambda r: [r.randn([6]), [slice(4, 2, None)]]),
        ("slice_both_dims", lambda r: [r.randn([5, 6]), [slice(1, None, 2), slice(None, -1, 3)]]),
        ("int_and_slice", lambda r: [r.randn([3, 5]), [1, slice(None, None, 2)]]),
        ("none", lambda r: [r.randn([3, 4]), [None]]),
        ("none_middle", lambda r: [r.randn([3, 4]), [slice(None), None, slice(None)]]),
        ("ellipsis", lambda r: [r.randn([2, 3, 4]), [Ellipsis, 1]]),
        ("ellipsis_none", lambda r: [r.randn([2, 3, 4]), [0, Ellipsis, None]]),
        ("ellipsis_slice", lambda r: [r.randn([2, 3, 4]), [Ellipsis, slice(None, None, 2)]]),
        ("int_tensor", lambda r: [r.randn([5, 3]), [torch.tensor([0, 3, 3, -1])]]),
        ("int_tensor_2d", lambda r: [r.randn([5, 3]), [torch.tensor([[0, 1], [4, 4]])]]),
        ("int_tensor_dim1", lambda r: [r.randn([3, 5]), [slice(None), torch.tensor([4, 0, 2])]]),
        ("int_tensors_broadcast", lambda r: [r.randn([4, 5]), [torch.tensor([[0], [3]]), torch.tensor([1, 2, 4])]]),
        ("int_tensors_separated", lambda r: [r.randn([3, 4, 5]), [torch.tensor([0, 2]), slice(None), torch.tensor([1, 4])]]),
        ("int_tensor_and_int", lambda r: [r.randn([3, 4, 5]), [1, slice(None), torch.tensor([1, 4, 0])]]),
        ("int_tensor_int32", lambda r: [r.randn([5]), [torch.tensor([4, 1], dtype=i32)]]),
        ("int_tensor_empty", lambda r: [r.randn([5, 2]), [torch.zeros([0], dtype=i64)]]),
        ("bool_mask", lambda r: [r.randn([3, 4]), [r.bools([3, 4])]]),
        ("bool_mask_rows", lambda r: [r.randn([4, 3]), [torch.tensor([True, False, True, True])]]),
        ("bool_mask_dim1", lambda r: [r.randn([3, 4]), [slice(None), torch.tensor([False, True, False, True])]]),
        ("bool_mask_all_false", lambda r: [r.randn([3]), [torch.zeros([3], dtype=b8)]]),
        ("uint8_mask_as_int", lambda r: [r.randn([4]), [torch.tensor([1, 0, 2], dtype=i64)]]),
        ("noncontig_source", lambda r: [r.randn([4, 5], layout="t"), [slice(1, None, 2), torch.tensor([0, 2])]]),
        ("expanded_source", lambda r: [r.expanded(r.randn([1, 5]), [3, 5]), [torch.tensor([2, 0]), slice(None, None, 2)]]),
        ("scalar_source_none", lambda r: [r.randn([]), [None]]),
        ("scalar_source_ellipsis", lambda r: [r.randn([]), [Ellipsis]]),
        ("f64", lambda r: [r.randn([3, 4], f64), [slice(None, None, -1 + 3), 1]]),
        ("int_source", lambda r: [r.randint(0, 9, [3, 4], i32), [torch.tensor([2, 0]), slice(1, 3)]]),
        ("dup_index_grad", lambda r: [r.randn([4]), [torch.tensor([1, 1, 1, 3])]]),
    ]
    for name, mk in gi:
        g.add("getitem/%s/0" % name, "getitem", mk)

    # gather / scatter / index ops
    for name, mk in [
        ("dim0", lambda r: [r.randn([3, 4]), 0, r.randint(0, 3, [2, 4])]),
        ("dim1", lambda r: [r.randn([3, 4]), 1, r.randint(0, 4, [3, 6])]),
        ("smaller_index", lambda r: [r.randn([3, 4]), 1, r.randint(0, 4, [2, 2])]),
        ("neg_dim", lambda r: [r.randn([2, 3, 4]), -1, r.randint(0, 4, [2, 3, 2])]),
        ("noncontig", lambda r: [r.randn([3, 4], layout="t"), 1, r.randint(0, 4, [3, 2], layout="s")]),
        ("dup_grad", lambda r: [r.randn([4]), 0, torch.tensor([1, 1, 3, 1])]),
        ("empty", lambda r: [r.randn([3, 4]), 1, torch.zeros([3, 0], dtype=i64)]),
        ("int", lambda r: [r.randint(-9, 9, [3, 4], i32), 1, r.randint(0, 4, [3, 2])]),
        ("f64", lambda r: [r.randn([3, 4], f64), 0, r.randint(0, 3, [2, 4])]),
        ("sparse_grad_kw", lambda r: ([r.randn([3, 4]), 1, r.randint(0, 4, [3, 2])], {"sparse_grad": False})),
    ]:
        g.add("gather/%s/0" % name, "gather", mk)

    def uniq_idx(r, rows, n, k):
        """index of shape [rows, k] with distinct values in [0, n) per row (scatter without dups)."""
        return torch.stack([r.perm(n)[:k] for _ in range(rows)])

    for name, mk in [
        ("dim1_src", lambda r: [r.randn([3, 5]), 1, uniq_idx(r, 3, 5, 3), r.randn([3, 3])]),
        ("dim0_src", lambda r: [r.randn([4, 2]), 0, uniq_idx(r, 2, 4, 3).t().contiguous(), r.randn([3, 2])]),
        ("src_bigger", lambda r: [r.randn([3, 5]), 1, uniq_idx(r, 3, 5, 2), r.randn([4, 6])]),
        ("value", lambda r: [r.randn([3, 5]), 1, uniq_idx(r, 3, 5, 2), 2.5]),
        ("value_kw", lambda r: ([r.randn([3, 5]), 1, uniq_idx(r, 3, 5, 2)], {"value": -1.5})),
        ("reduce_add", lambda r: ([r.randn([3, 5]), 1, r.randint(0, 5, [3, 4]), r.randn([3, 4])], {"reduce": "add"})),
        ("reduce_multiply", lambda r: ([r.randn([3, 5]), 1, r.randint(0, 5, [3, 4]), r.randn([3, 4])],
                                       {"reduce": "multiply"})),
        ("noncontig", lambda r: [r.randn([5, 3], layout="t"), 0, uniq_idx(r, 3, 5, 2).t().contiguous(),
                                 r.randn([2, 3], layout="s")]),
        ("int", lambda r: [r.randint(-9, 9, [3, 5], i64), 1, uniq_idx(r, 3, 5, 2), r.randint(-9, 9, [3, 2], i64)]),
        ("f64", lambda r: [r.randn([3, 5], f64), 1, uniq_idx(r, 3, 5, 3), r.randn([3, 3], f64)]),
        ("empty_index", lambda r: [r.randn([3, 5]), 1, torch.zeros([3, 0], dtype=i64), r.randn([3, 0])]),
    ]:
        g.add("scatter/%s/0" % name, "scatter", mk)
    for name, mk in [
        ("dim1", lambda r: [r.randn([3, 5]), 1, r.randint(0, 5, [3, 6]), r.randn([3, 6])]),
        ("dim0", lambda r: [r.randn([4, 2]), 0, r.randint(0, 4, [7, 2]), r.randn([7, 2])]),
        ("all_same", lambda r: [torch.zeros([3]), 0, torch.tensor([1, 1, 1, 1, 1]), r.randn([5])]),
        ("src_bigger", lambda r: [r.randn([3, 5]), 1, r.randint(0, 5, [2, 3]), r.randn([4, 6])]),
        ("noncontig", lambda r: [r.randn([5, 3], layout="t"), 1, r.randint(0, 3, [5, 4]), r.randn([5, 4], layout="s")]),
        ("int", lambda r: [r.randint(-9, 9, [3, 5], i32), 1, r.randint(0, 5, [3, 6]), r.randint(-9, 9, [3, 6], i32)]),
        ("f64", lambda r: [r.randn([3, 5], f64), 1, r.randint(0, 5, [3, 6]), r.randn([3, 6], f64)]),
        ("large", lambda r: [torch.zeros([10]), 0, r.randint(0, 10, [200]), r.randn([200])]),
    ]:
        g.add("scatter_add/%s/0" % name, "scatter_add", mk)
    for name, mk in [
        ("dim0", lambda r: [r.randn([5, 3]), 0, torch.tensor([4, 0, 0, 2])]),
        ("dim1", lambda r: [r.randn([3, 5]), 1, torch.tensor([1, 3])]),
        ("neg_dim", lambda r: [r.randn([2, 3, 4]), -1, torch.tensor([3, 2, 1, 0])]),
        ("int32_index", lambda r: [r.randn([5]), 0, torch.tensor([4, 1], dtype=i32)]),
        ("scalar_index", lambda r: [r.randn([5, 2]), 0, torch.tensor(3)]),
        ("empty", lambda r: [r.randn([5, 2]), 0, torch.zeros([0], dtype=i64)]),
        ("noncontig", lambda r: [r.randn([4, 5], layout="t"), 1, torch.tensor([0, 4, 2])]),
        ("int", lambda r: [r.randint(-9, 9, [4, 3], i32), 0, torch.tensor([3, 1])]),
        ("bool", lambda r: [r.bools([4, 3]), 0, torch.tensor([3, 1])]),
        ("scalar_source", lambda r: [r.randn([]), 0, torch.tensor([0, 0])]),
    ]:
        g.add("index_select/%s/0" % name, "index_select", mk)
    for name, mk in [
        ("dim0", lambda r: [r.randn([5, 3]), 0, torch.tensor([4, 0, 2]), r.randn([3, 3])]),
        ("dim0_dups", lambda r: [r.randn([5, 3]), 0, torch.tensor([4, 0, 0, 4, 4]), r.randn([5, 3])]),
        ("dim1", lambda r: [r.randn([3, 5]), 1, torch.tensor([1, 3, 1]), r.randn([3, 3])]),
        ("alpha", lambda r: ([r.randn([5, 3]), 0, torch.tensor([4, 0, 0]), r.randn([3, 3])], {"alpha": 0.5})),
        ("alpha_int", lambda r: ([r.randn([5, 3]), 0, torch.tensor([4, 0, 0]), r.randn([3, 3])], {"alpha": -2})),
        ("noncontig", lambda r: [r.randn([5, 3], layout="t"), 0, torch.tensor([4, 1]), r.randn([2, 3], layout="s")]),
        ("int", lambda r: [r.randint(-9, 9, [5, 3], i64), 0, torch.tensor([4, 1, 4]), r.randint(-9, 9, [3, 3], i64)]),
        ("f64", lambda r: [r.randn([5, 3], f64), 0, torch.tensor([4, 1, 4]), r.randn([3, 3], f64)]),
        ("empty", lambda r: [r.randn([5, 3]), 0, torch.zeros([0], dtype=i64), r.randn([0, 3])]),
    ]:
        g.add("index_add/%s/0" % name, "index_add", mk)
    for name, mk in [
        ("rows", lambda r: [r.randn([5, 3]), [torch.tensor([4, 0, 2])], r.randn([3, 3]), False]),
        ("rows_broadcast_value", lambda r: [r.randn([5, 3]), [torch.tensor([4, 0])], r.randn([3]), False]),
        ("scalar_value", lambda r: [r.randn([5, 3]), [torch.tensor([1, 3])], torch.tensor(2.5), False]),
        ("elements", lambda r: [r.randn([4, 5]), [torch.tensor([0, 3, 1]), torch.tensor([4, 0, 1])], r.randn([3]), False]),
        ("bool_mask", lambda r: [r.randn([3, 4]), [torch.tensor([True, False, True])], r.randn([4]), False]),
        ("accumulate", lambda r: [r.randn([5, 3]), [torch.tensor([4, 0, 0, 4, 4])], r.randn([5, 3]), True]),
        ("accumulate_elements", lambda r: [r.randn([4, 5]), [torch.tensor([0, 0, 1]), torch.tensor([2, 2, 1])], r.randn([3]), True]),
        ("accumulate_no_dups", lambda r: [r.randn([5]), [torch.tensor([3, 1])], r.randn([2]), True]),
        ("accumulate_scalar", lambda r: [r.randn([5]), [torch.tensor([3, 3, 3])], torch.tensor(0.25), True]),
        ("default_accumulate", lambda r: [r.randn([5]), [torch.tensor([3, 1])], r.randn([2])]),
        ("noncontig", lambda r: [r.randn([4, 5], layout="t"), [torch.tensor([3, 1])], r.randn([2, 5], layout="s"), True]),
        ("int", lambda r: [r.randint(-9, 9, [5], i64), [torch.tensor([0, 0, 2])], r.randint(-9, 9, [3], i64), True]),
        ("f64", lambda r: [r.randn([5], f64), [torch.tensor([0, 0, 2])], r.randn([3], f64), True]),
        ("empty_index", lambda r: [r.randn([5]), [torch.zeros([0], dtype=i64)], r.randn([0]), False]),
    ]:
        g.add("Tensor.index_put/%s/0" % name, "Tensor.index_put", mk)
    for name, mk in [
        ("float", lambda r: [torch.tensor([[0.0, 1.5, -0.0], [NAN, 0.0, 2.0]])]),
        ("bool", lambda r: [r.bools([3, 4])]),
        ("1d", lambda r: [r.randint(0, 2, [8], i64)]),
        ("3d", lambda r: [r.bools([2, 3, 2])]),
        ("none", lambda r: [torch.zeros([3, 2])]),
        ("scalar", lambda r: [torch.tensor(1.5)]),
        ("scalar_zero", lambda r: [torch.tensor(0.0)]),
        ("noncontig", lambda r: [r.bools([4, 3], layout="t")]),
        ("empty", lambda r: [torch.zeros([0, 2])]),
        ("uint8", lambda r: [r.randint(0, 3, [6], u8)]),
    ]:
        g.add("nonzero/%s/0" % name, "nonzero", mk, grad=False)
    return g


def gen_sort():
    g = Group("sort")
    for name, mk in [
        ("default", lambda r: [r.randn([3, 5])]),
        ("dim0", lambda r: ([r.randn([4, 3])], {"dim": 0})),
        ("descending", lambda r: ([r.randn([3, 5])], {"descending": True})),
        ("stable", lambda r: ([torch.tensor([2.0, 1.0, 2.0, 1.0, 0.0, 2.0, 1.0])], {"stable": True})),
        ("stable_descending", lambda r: ([torch.tensor([2.0, 1.0, 2.0, 1.0, 0.0, 2.0, 1.0])],
                                         {"stable": True, "descending": True})),
        ("stable_dim0", lambda r: ([r.randint(0, 3, [8, 3]).to(f32)], {"stable": True, "dim": 0})),
        ("positional", lambda r: [r.randn([3, 5]), 1, True]),
        ("special", lambda r: ([r.special(f32, shuffle=True)], {"stable": True})),
        ("special_descending", lambda r: ([r.special(f32, shuffle=True)], {"stable": True, "descending": True})),
        ("nan_multi", lambda r: ([torch.tensor([NAN, 1.0, -NAN, -INF, 0.0, NAN, -0.0])], {"stable": True})),
        ("large", lambda r: [r.randn([300])]),
        ("large_2d", lambda r: [r.randn([8, 100]), 1]),
        ("noncontig", lambda r: [r.randn([4, 5], layout="t"), 0]),
        ("stepped", lambda r: [r.randn([3, 6], layout="s")]),
        ("expanded", lambda r: ([r.expanded(r.randn([1, 4]), [3, 4])], {"stable": True, "dim": 0})),
        ("f64", lambda r: [r.randn([3, 5], f64)]),
        ("f16", lambda r: [r.randn([9], f16)]),
        ("bf16", lambda r: ([r.randn([9], bf16)], {"stable": True})),
        ("int32", lambda r: ([r.randint(-9, 9, [12], i32)], {"stable": True})),
        ("int64_desc", lambda r: ([r.randint(-9, 9, [3, 6], i64)], {"stable": True, "descending": True})),
        ("uint8", lambda r: ([r.randint(0, 256, [12], u8)], {"stable": True})),
        ("bool", lambda r: ([r.bools([12])], {"stable": True})),
        ("empty", lambda r: [r.randn([0])]),
        ("empty_2d", lambda r: [r.randn([3, 0])]),
        ("scalar", lambda r: [r.randn([])]),
    ]:
        g.add("sort/%s/0" % name, "sort", mk)
    for name, mk in [
        ("default", lambda r: [r.randn([3, 5])]),
        ("dim0", lambda r: [r.randn([4, 3]), 0]),
        ("descending", lambda r: [r.randn([3, 5]), 1, True]),
        ("descending_kw", lambda r: ([r.randn([3, 5])], {"descending": True})),
        ("stable_ties", lambda r: ([torch.tensor([2.0, 1.0, 2.0, 1.0, 0.0, 2.0, 1.0])], {"stable": True})),
        ("special", lambda r: ([r.special(f32, shuffle=True)], {"stable": True})),
        ("large", lambda r: [r.randn([300])]),
        ("noncontig", lambda r: [r.randn([4, 5], layout="t"), 1]),
        ("int64", lambda r: ([r.randint(-9, 9, [10], i64)], {"stable": True})),
        ("f64", lambda r: [r.randn([7], f64)]),
        ("empty", lambda r: [r.randn([0])]),
    ]:
        g.add("argsort/%s/0" % name, "argsort", mk)
    for name, mk in [
        ("largest", lambda r: [r.randn([3, 6]), 2]),
        ("smallest", lambda r: [r.randn([3, 6]), 2, -1, False]),
        ("dim0", lambda r: [r.randn([6, 3]), 3, 0]),
        ("kw", lambda r: ([r.randn([3, 6]), 3], {"dim": 1, "largest": False, "sorted": True})),
        ("k_all", lambda r: [r.randn([5]), 5]),
        ("k_zero", lambda r: [r.randn([5]), 0]),
        ("k1", lambda r: [r.randn([4, 5]), 1]),
        ("large", lambda r: [r.randn([300]), 10]),
        ("large_2d", lambda r: [r.randn([4, 100]), 7, 1, False]),
        # the special values without -0.0 / -1e-40 / 1.4e-45 (ties with 0.0 make topk's choice unspecified)
        ("special", lambda r: [r.special(f32)[torch.tensor([0, 1, 2, 3, 5, 8, 9, 10, 12, 14, 16, 17])][r.perm(12)], 5]),
        ("nan_largest", lambda r: [torch.tensor([1.0, NAN, 3.0, -INF, 2.0]), 2]),
        ("nan_smallest", lambda r: [torch.tensor([1.0, NAN, 3.0, -INF, 2.0]), 4, 0, False]),
        ("noncontig", lambda r: [r.randn([5, 4], layout="t"), 2, 0]),
        ("f64", lambda r: [r.randn([8], f64), 3]),
        ("f16", lambda r: [r.randn([8], f16), 3]),
        ("bf16", lambda r: [r.randn([8], bf16), 3]),
        ("int64", lambda r: [r.perm(10) - 5, 4]),
        ("int32_smallest", lambda r: [(r.perm(10) - 5).to(i32), 4, 0, False]),
        ("scalar", lambda r: [r.randn([]), 1]),
    ]:
        g.add("topk/%s/0" % name, "topk", mk)
    return g


# ----------------------------------------------------------------------------------------------
# conv / pool


def gen_conv_pool():
    g = Group("conv_pool")
    for name, mk in [
        ("basic", lambda r: [r.randn([2, 3, 10]), r.randn([4, 3, 3]), r.randn([4])]),
        ("no_bias", lambda r: [r.randn([2, 3, 10]), r.randn([4, 3, 3])]),
        ("stride", lambda r: ([r.randn([1, 2, 11]), r.randn([3, 2, 3]), r.randn([3])], {"stride": 2})),
        ("padding", lambda r: ([r.randn([1, 2, 7]), r.randn([3, 2, 3]), r.randn([3])], {"padding": 2})),
        ("same", lambda r: ([r.randn([1, 2, 7]), r.randn([3, 2, 4]), r.randn([3])], {"padding": "same"})),
        ("same_dilation", lambda r: ([r.randn([1, 2, 9]), r.randn([3, 2, 3])], {"padding": "same", "dilation": 2})),
        ("valid", lambda r: ([r.randn([1, 2, 7]), r.randn([3, 2, 3])], {"padding": "valid"})),
        ("dilation", lambda r: ([r.randn([1, 2, 12]), r.randn([3, 2, 3]), r.randn([3])], {"dilation": 3})),
        ("groups", lambda r: ([r.randn([2, 4, 8]), r.randn([6, 2, 3]), r.randn([6])], {"groups": 2})),
        ("depthwise", lambda r: ([r.randn([2, 3, 8]), r.randn([3, 1, 3]), r.randn([3])], {"groups": 3})),
        ("positional", lambda r: [r.randn([1, 2, 9]), r.randn([2, 2, 2]), r.randn([2]), 2, 1, 2, 1]),
        ("unbatched", lambda r: [r.randn([3, 10]), r.randn([4, 3, 3]), r.randn([4])]),
        ("noncontig", lambda r: [r.randn([2, 3, 10], layout="t"), r.randn([4, 3, 3], layout="s"), r.randn([4], layout="s")]),
        ("kernel1", lambda r: [r.randn([2, 3, 5]), r.randn([4, 3, 1])]),
        ("f64", lambda r: ([r.randn([2, 3, 10], f64), r.randn([4, 3, 3], f64), r.randn([4], f64)], {"padding": 1})),
        ("bf16", lambda r: [r.randn([1, 2, 6], bf16), r.randn([2, 2, 3], bf16)]),
    ]:
        g.add("nn.functional.conv1d/%s/0" % name, "nn.functional.conv1d", mk)
    for name, mk in [
        ("basic", lambda r: [r.randn([2, 3, 6, 6]), r.randn([4, 3, 3, 3]), r.randn([4])]),
        ("no_bias", lambda r: [r.randn([1, 2, 5, 5]), r.randn([3, 2, 3, 3])]),
        ("stride", lambda r: ([r.randn([1, 2, 7, 7]), r.randn([3, 2, 3, 3]), r.randn([3])], {"stride": 2})),
        ("stride_tuple", lambda r: ([r.randn([1, 2, 7, 8]), r.randn([3, 2, 3, 2]), r.randn([3])], {"stride": [2, 3]})),
        ("padding", lambda r: ([r.randn([1, 2, 5, 5]), r.randn([3, 2, 3, 3]), r.randn([3])], {"padding": 1})),
        ("padding_tuple", lambda r: ([r.randn([1, 2, 5, 4]), r.randn([3, 2, 3, 3])], {"padding": [2, 0]})),
        ("same", lambda r: ([r.randn([1, 2, 6, 5]), r.randn([3, 2, 3, 3]), r.randn([3])], {"padding": "same"})),
        ("same_even_kernel", lambda r: ([r.randn([1, 2, 6, 5]), r.randn([3, 2, 4, 2]), r.randn([3])], {"padding": "same"})),
        ("same_dilation", lambda r: ([r.randn([1, 2, 7, 7]), r.randn([2, 2, 3, 3])], {"padding": "same", "dilation": 2})),
        ("valid", lambda r: ([r.randn([1, 2, 6, 6]), r.randn([3, 2, 3, 3]), r.randn([3])], {"padding": "valid"})),
        ("dilation", lambda r: ([r.randn([1, 2, 8, 8]), r.randn([3, 2, 3, 3]), r.randn([3])], {"dilation": 2})),
        ("dilation_tuple", lambda r: ([r.randn([1, 2, 8, 8]), r.randn([3, 2, 2, 2])], {"dilation": [1, 3]})),
        ("groups", lambda r: ([r.randn([2, 4, 5, 5]), r.randn([6, 2, 3, 3]), r.randn([6])], {"groups": 2})),
        ("depthwise", lambda r: ([r.randn([1, 3, 5, 5]), r.randn([6, 1, 3, 3]), r.randn([6])], {"groups": 3})),
        ("all_params", lambda r: ([r.randn([2, 4, 9, 9]), r.randn([4, 2, 3, 3]), r.randn([4])],
                                  {"stride": 2, "padding": 1, "dilation": 2, "groups": 2})),
        ("positional", lambda r: [r.randn([1, 2, 7, 7]), r.randn([2, 2, 3, 3]), r.randn([2]), 2, 1, 1, 1]),
        ("unbatched", lambda r: [r.randn([3, 6, 6]), r.randn([4, 3, 3, 3]), r.randn([4])]),
        ("noncontig_input", lambda r: [r.randn([2, 3, 6, 6], layout="t"), r.randn([4, 3, 3, 3]), r.randn([4])]),
        ("channels_last", lambda r: [r.randn([2, 3, 5, 5]).contiguous(memory_format=torch.channels_last),
                                     r.randn([4, 3, 3, 3]), r.randn([4])]),
        ("stepped_weight", lambda r: [r.randn([1, 2, 5, 5]), r.randn([3, 2, 3, 3], layout="s"), r.randn([3])]),
        ("kernel1", lambda r: [r.randn([2, 3, 4, 4]), r.randn([5, 3, 1, 1]), r.randn([5])]),
        ("large", lambda r: ([r.randn([2, 4, 12, 12]), r.randn([8, 4, 3, 3]), r.randn([8])], {"padding": 1})),
        ("f64", lambda r: ([r.randn([1, 2, 5, 5], f64), r.randn([3, 2, 3, 3], f64), r.randn([3], f64)], {"padding": 1})),
        ("bf16", lambda r: [r.randn([1, 2, 5, 5], bf16), r.randn([2, 2, 3, 3], bf16)]),
        ("special", lambda r: [r.special(f32).view(1, 1, 4, 5), r.randn([1, 1, 2, 2])]),
    ]:
        g.add("nn.functional.conv2d/%s/0" % name, "nn.functional.conv2d", mk)
    for name, mk in [
        ("k2", lambda r: [r.randn([2, 3, 6, 6]), 2]),
        ("k3_s1", lambda r: [r.randn([1, 2, 5, 5]), 3, 1]),
        ("k3_s2_p1", lambda r: [r.randn([1, 2, 7, 7]), 3, 2, 1]),
        ("tuple", lambda r: ([r.randn([1, 2, 6, 7]), [2, 3]], {"stride": [2, 2]})),
        ("dilation", lambda r: ([r.randn([1, 2, 8, 8]), 2], {"dilation": 2, "stride": 1})),
        ("ceil_mode", lambda r: ([r.randn([1, 2, 7, 7]), 2], {"ceil_mode": True})),
        ("ceil_mode_pad", lambda r: ([r.randn([1, 2, 6, 6]), 3, 2, 1], {"ceil_mode": True})),
        ("return_indices", lambda r: ([r.randn([2, 2, 6, 6]), 2], {"return_indices": True})),
        ("return_indices_overlap", lambda r: ([r.randn([1, 2, 7, 7]), 3, 2, 1], {"return_indices": True})),
        ("ties", lambda r: ([torch.tensor([[[[1.0, 1.0, 2.0, 2.0], [1.0, 0.0, 2.0, 2.0],
                                               [0.0, 0.0, 3.0, 1.0], [0.0, 0.0, 1.0, 3.0]]]])], {"kernel_size": 2, "return_indices": True})),
        ("nan", lambda r: ([torch.tensor([[[[1.0, NAN, 2.0, 2.0], [1.0, 0.0, 2.0, -INF],
                                              [-INF, -INF, 3.0, 1.0], [-INF, -INF, 1.0, NAN]]]])], {"kernel_size": 2, "return_indices": True})),
        ("unbatched", lambda r: [r.randn([2, 6, 6]), 2]),
        ("noncontig", lambda r: [r.randn([1, 2, 6, 6], layout="t"), 2]),
        ("channels_last", lambda r: [r.randn([2, 3, 4, 4]).contiguous(memory_format=torch.channels_last), 2]),
        ("f64", lambda r: [r.randn([1, 2, 6, 6], f64), 2]),
        ("bf16", lambda r: [r.randn([1, 2, 6, 6], bf16), 2]),
        ("int", lambda r: [r.randint(-9, 9, [1, 2, 4, 4], i64), 2]),
    ]:
        g.add("nn.functional.max_pool2d/%s/0" % name, "nn.functional.max_pool2d", mk)
    for name, mk in [
        ("k2", lambda r: [r.randn([2, 3, 6, 6]), 2]),
        ("k3_s1", lambda r: [r.randn([1, 2, 5, 5]), 3, 1]),
        ("k3_s2_p1", lambda r: [r.randn([1, 2, 7, 7]), 3, 2, 1]),
        ("k3_s2_p1_exclude_pad", lambda r: ([r.randn([1, 2, 7, 7]), 3, 2, 1], {"count_include_pad": False})),
        ("ceil_mode", lambda r: ([r.randn([1, 2, 7, 7]), 2], {"ceil_mode": True})),
        ("ceil_mode_pad", lambda r: ([r.randn([1, 2, 6, 6]), 3, 2, 1], {"ceil_mode": True})),
        ("ceil_mode_pad_exclude", lambda r: ([r.randn([1, 2, 6, 6]), 3, 2, 1], {"ceil_mode": True, "count_include_pad": False})),
        ("tuple", lambda r: ([r.randn([1, 2, 6, 7]), [2, 3]], {"stride": [1, 2], "padding": [1, 0]})),
        ("divisor_override", lambda r: ([r.randn([1, 2, 6, 6]), 2], {"divisor_override": 3})),
        ("unbatched", lambda r: [r.randn([2, 6, 6]), 2]),
        ("noncontig", lambda r: [r.randn([1, 2, 6, 6], layout="t"), 2]),
        ("channels_last", lambda r: [r.randn([2, 3, 4, 4]).contiguous(memory_format=torch.channels_last), 2]),
        ("special", lambda r: [r.special(f32).view(1, 1, 4, 5), 2]),
        ("f64", lambda r: [r.randn([1, 2, 6, 6], f64), 2]),
        ("bf16", lambda r: [r.randn([1, 2, 6, 6], bf16), 2]),
        ("int", lambda r: [r.randint(-9, 9, [1, 2, 4, 4], i64), 2]),
    ]:
        g.add("nn.functional.avg_pool2d/%s/0" % name, "nn.functional.avg_pool2d", mk)
    for name, mk in [
        ("divisible", lambda r: [r.randn([2, 3, 6, 6]), 3]),
        ("non_divisible", lambda r: [r.randn([1, 2, 7, 5]), [3, 2]]),
        ("upsample", lambda r: [r.randn([1, 2, 3, 3]), [5, 4]]),
        ("one", lambda r: [r.randn([2, 3, 5, 4]), 1]),
        ("none_dim", lambda r: [r.randn([1, 2, 7, 5]), [None, 3]]),
        ("unbatched", lambda r: [r.randn([2, 7, 7]), 3]),
        ("noncontig", lambda r: [r.randn([1, 2, 6, 6], layout="t"), 4]),
        ("channels_last", lambda r: [r.randn([2, 3, 5, 5]).contiguous(memory_format=torch.channels_last), 2]),
        ("f64", lambda r: [r.randn([1, 2, 6, 6], f64), 4]),
        ("bf16", lambda r: [r.randn([1, 2, 6, 6], bf16), 4]),
    ]:
        g.add("nn.functional.adaptive_avg_pool2d/%s/0" % name, "nn.functional.adaptive_avg_pool2d", mk)
    return g


# ----------------------------------------------------------------------------------------------
# creation


def gen_creation():
    g = Group("creation")
    for name, args, kw in [
        ("end", [5], {}),
        ("start_end", [2, 7], {}),
        ("step", [1, 10, 3], {}),
        ("neg_step", [10, 1, -3], {}),
        ("empty", [3, 3], {}),
        ("zero_end", [0], {}),
        ("float_step", [0, 1, 0.1], {}),
        ("float_start", [0.5, 3], {}),
        ("float_all", [-1.5, 2.5, 0.25], {}),
        ("float_neg_step", [1.5, -1.3, -0.3], {}),
        ("float_end", [2.5], {}),
        ("float_inexact", [0, 0.9, 0.3], {}),
        ("float_large", [0, 100, 0.7], {}),
        ("dtype_f64", [0, 1, 0.1], {"dtype": f64}),
        ("dtype_f32_int_args", [5], {"dtype": f32}),
        ("dtype_f16", [0, 2.5, 0.25], {"dtype": f16}),
        ("dtype_bf16", [0, 10, 0.5], {"dtype": bf16}),
        ("dtype_int32", [1, 10, 2], {"dtype": i32}),
        ("dtype_int64_float_args", [0.5, 5.5, 1.5], {"dtype": i64}),
        ("dtype_uint8", [0, 10, 3], {"dtype": u8}),
    ]:
        g.add("arange/%s/0" % name, "arange", args, kw=kw, grad=False)
    for name, args, kw in [
        ("basic", [0, 1, 5], {}),
        ("float", [-1.5, 2.5, 7], {}),
        ("one", [3, 7, 1], {}),
        ("zero", [3, 7, 0], {}),
        ("two", [-2, 2, 2], {}),
        ("descending", [2.5, -1.5, 9], {}),
        ("many", [0, 1, 100], {}),
        ("many_odd", [-3.7, 11.3, 101], {}),
        ("f64", [0, 1, 11], {"dtype": f64}),
        ("f16", [0, 1, 11], {"dtype": f16}),
        ("bf16", [0, 1, 11], {"dtype": bf16}),
        ("int64", [0, 10, 4], {"dtype": i64}),
        ("int32_neg", [-10, 10, 7], {"dtype": i32}),
        ("steps_kw", [0, 1], {"steps": 6}),
    ]:
        g.add("linspace/%s/0" % name, "linspace", args, kw=kw, grad=False)
    for name, args, kw in [
        ("square", [3], {}),
        ("rect", [2, 4], {}),
        ("tall", [4, 2], {}),
        ("zero", [0], {}),
        ("int64", [3], {"dtype": i64}),
        ("bool", [2, 3], {"dtype": b8}),
        ("f64", [3], {"dtype": f64}),
    ]:
        g.add("eye/%s/0" % name, "eye", args, kw=kw, grad=False)
    for name, args, kw in [
        ("float", [[2, 3], 2.5], {}),
        ("int", [[2, 3], 7], {}),
        ("bool", [[3], True], {}),
        ("nan", [[2], NAN], {}),
        ("neg_inf", [[2], -INF], {}),
        ("dtype_f64", [[2, 2], 0.1], {"dtype": f64}),
        ("dtype_f16", [[3], 0.1], {"dtype": f16}),
        ("dtype_bf16", [[3], 0.1], {"dtype": bf16}),
        ("dtype_int32", [[3], -4], {"dtype": i32}),
        ("dtype_f32_int_value", [[3], 5], {"dtype": f32}),
        ("scalar", [[], 1.5], {}),
        ("empty", [[0, 3], 1.5], {}),
    ]:
        g.add("full/%s/0" % name, "full", args, kw=kw, grad=False)
    for op in ("zeros", "ones"):
        for name, args, kw in [
            ("list", [[2, 3]], {}),
            ("varargs", [2, 3], {}),
            ("scalar", [[]], {}),
            ("empty", [[0, 2]], {}),
            ("f64", [[3]], {"dtype": f64}),
            ("f16", [[3]], {"dtype": f16}),
            ("bf16", [[3]], {"dtype": bf16}),
            ("int32", [[3]], {"dtype": i32}),
            ("int64", [[2, 2]], {"dtype": i64}),
            ("uint8", [[3]], {"dtype": u8}),
            ("bool", [[3]], {"dtype": b8}),
        ]:
            g.add("%s/%s/0" % (op, name), op, args, kw=kw, grad=False)
    return g


GROUPS = {
    "elementwise_unary": gen_unary,
    "elementwise_binary": gen_binary,
    "reductions": gen_reductions,
    "views": gen_views,
    "indexing": gen_indexing,
    "linalg": gen_linalg,
    "sort": gen_sort,
    "conv_pool": gen_conv_pool,
    "creation": gen_creation,
}


def write_group(path, g):
    write_cases(path, "tools/golden/gen_ops.py", g.cases)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "..", "test-vectors", "ops"))
    ap.add_argument("--only", nargs="*", choices=sorted(GROUPS))
    ap.add_argument("-v", "--verbose", action="store_true", help="list skipped cases")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name in a.only or GROUPS:
        t0 = time.time()
        g = GROUPS[name]()
        path = os.path.join(a.out, name + ".json")
        write_group(path, g)
        print("%-20s %4d cases  %4d skipped (PyTorch rejects)  %3d without grads (backward fails)  "
              "%7.1f KiB  %.1fs" % (name, len(g.cases), len(g.skipped), len(g.no_grad),
                                     os.path.getsize(path) / 1024, time.time() - t0))
        if a.verbose:
            for cid, why in g.skipped:
                print("   skip   %s  -- %s" % (cid, why))
            for cid, why in g.no_grad:
                print("   nograd %s  -- %s" % (cid, why))


if __name__ == "__main__":
    main()
