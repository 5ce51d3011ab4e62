"""Write small `torch.save` checkpoints (and what they contain) for lockstep's `.pt` reader.

Run with Debian's PyTorch:  /usr/bin/python3 tools/golden/gen_checkpoints.py [--out DIR]

Writes test-vectors/checkpoints/<name>.pt and expected.json:

    {"generator", "torch_version", "files": {"<name>.pt": {"top": "<zip folder>", "value": V} |
                                                          {"error": "<what the reader must reject>"}}}

V (what `torch.load` returns, with Python's types kept so the reader's mapping can be checked):
    tensor        -> T of tools/golden/common.py (whole storage, exact stride/offset) plus
                     "requires_grad" and "parameter" (saved as nn.Parameter)
    dict          -> {"$dict": [[K, V], ...], "ordered": bool}   (insertion order, keys encoded as V)
    tuple         -> {"$tuple": [V, ...]};  list -> [V, ...]
    int           -> a JSON number when |x| < 2**53 (a safe integer), else {"$int": "<decimal>"}
    float         -> a JSON number, or {"float": "nan"|"inf"|"-inf"|"-0"}
    str/bool/None -> themselves
Storages shared between tensors are listed under "shared": [[path, path], ...] (paths of keys).

The files are deterministic: seeded models, fixed inputs, PyTorch single-threaded. Zip entries
are written by PyTorch itself, except the malicious files, which are hand-made pickles put in a
zip with Python's zipfile (stored, same folder layout as torch.save).
"""

import argparse
import collections
import io
import json
import math
import os
import struct
import zipfile

import torch

from common import encode_tensor

torch.set_num_threads(1)

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "..", "test-vectors", "checkpoints")


def enc(v):
    if isinstance(v, torch.Tensor):
        d = encode_tensor(v, whole_storage=True)
        d["requires_grad"] = bool(v.requires_grad)
        d["parameter"] = isinstance(v, torch.nn.Parameter)
        return d
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return v if abs(v) < 2**53 else {"$int": str(v)}
    if isinstance(v, float):
        if math.isnan(v):
            return {"float": "nan"}
        if math.isinf(v):
            return {"float": "inf" if v > 0 else "-inf"}
        if v == 0 and math.copysign(1, v) < 0:
            return {"float": "-0"}
        return v
    if isinstance(v, tuple):
        return {"$tuple": [enc(x) for x in v]}
    if isinstance(v, list):
        return [enc(x) for x in v]
    if isinstance(v, dict):
        return {"$dict": [[enc(k), enc(x)] for k, x in v.items()],
                "ordered": isinstance(v, collections.OrderedDict)}
    raise TypeError("cannot encode %r" % (v,))


def tensors_by_path(v, path=()):
    if isinstance(v, torch.Tensor):
        yield path, v
    elif isinstance(v, dict):
        for k, x in v.items():
            yield from tensors_by_path(x, path + (k,))
    elif isinstance(v, (list, tuple)):
        for i, x in enumerate(v):
            yield from tensors_by_path(x, path + (i,))


def shared_storages(v):
    groups = collections.OrderedDict()
    for p, t in tensors_by_path(v):
        groups.setdefault(t.storage().data_ptr(), []).append(list(p))
    return [g for g in groups.values() if len(g) > 1]


# ---- the checkpoints ----

def model_and_adam():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    opt = torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.995))
    x = torch.linspace(-1, 1, 20).reshape(5, 4)
    for _ in range(2):
        opt.zero_grad()
        model(x).pow(2).sum().backward()
        opt.step()
    return model.state_dict(), opt.state_dict()


def every_dtype():
    f = [1.0, -0.0, float("nan"), float("inf"), -float("inf"), 1e-40, 3.140625, -65504.0]
    return {
        "float32": torch.tensor(f, dtype=torch.float32),
        "float64": torch.tensor(f + [1e-310, 0.1], dtype=torch.float64),
        "float16": torch.tensor(f[:5] + [6e-8, 65504.0], dtype=torch.float16),
        "bfloat16": torch.tensor(f + [3e38], dtype=torch.bfloat16),
        "int32": torch.tensor([0, 1, -1, 2**31 - 1, -2**31], dtype=torch.int32),
        "int64": torch.tensor([0, -1, 2**53 + 1, 2**63 - 1, -2**63], dtype=torch.int64),
        "uint8": torch.tensor([0, 1, 127, 128, 255], dtype=torch.uint8),
        "bool": torch.tensor([[True, False], [False, True]]),
        "matrix": torch.arange(24, dtype=torch.float32).reshape(2, 3, 4) / 7,
    }


def views():
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4) + 0.5
    small = torch.tensor([1.25, -2.5, 3.75])
    return collections.OrderedDict([
        ("base", base),
        ("row", base[1]),                      # shares base's storage, offset 4
        ("column", base[:, 2]),                # stride 4, offset 2
        ("transposed", base.t()),              # non-contiguous, same storage
        ("expanded", small.expand(4, 3)),      # stride 0
        ("sliced_step", torch.arange(10, dtype=torch.int64)[1::3]),  # offset 1, stride 3
        ("scalar", torch.tensor(2.5, dtype=torch.float64)),
        ("empty", torch.zeros(0, 3)),
    ])


def python_values():
    p = torch.nn.Parameter(torch.tensor([[0.5, -1.5]]))
    return {
        "ints": [0, 1, -1, 255, 256, 65535, 65536, -2**31, 2**31, 2**53, 2**53 + 1, -2**63, 2**64 + 5],
        "floats": [0.1, -0.0, float("nan"), float("inf"), -float("inf"), 1e-310, 1.0, 2.5e300],
        "strings": ["", "héllo ✓ 🎉", "a" * 300],
        "flags": (True, False, None),
        "tuples": ((), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)),
        "nested": {"a": [{"b": {"c": [1, [2, [3]]]}}], "empty_list": [], "empty_dict": {}},
        "int_keys": {0: "zero", 1: "one", 10: "ten"},
        "unordered_int_keys": {2: "two", 1: "one"},
        "tuple_keys": {(1, 2): "pair", "s": "str"},
        "mixed_keys": {"x": 1, 3: "three"},
        "parameter": p,
        "same_tensor_twice": [p, p],
        "long_list": list(range(1200)),   # > 1000 items: APPENDS in several batches, LONG_BINPUT
    }


def save_to_file_object(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def handmade_zip(folder, pickle_bytes):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in (("data.pkl", pickle_bytes), ("version", b"3\n")):
            z.writestr(zipfile.ZipInfo(folder + "/" + name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


# PROTO 2; GLOBAL 'os system'; BINPUT 0; BINUNICODE 'echo pwned'; TUPLE1; REDUCE; STOP
OS_SYSTEM = (b"\x80\x02cos\nsystem\nq\x00X" + struct.pack("<I", 10) + b"echo pwned\x85q\x01R."
             )
# A state dict whose tensor is rebuilt by a callable that is not on the allow-list
# (torch._utils._rebuild_tensor, the pre-1.6 layout, is refused like any other name).
EVAL = (b"\x80\x02}q\x00X\x01\x00\x00\x00xq\x01cbuiltins\neval\nq\x02X\x04\x00\x00\x001+1q\x03\x85Rs.")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    files = collections.OrderedDict()

    def put(name, data, value=None, error=None, top=None):
        with open(os.path.join(args.out, name), "wb") as f:
            f.write(data)
        if error is not None:
            files[name] = {"error": error}
            return
        # self-check: PyTorch reads back what we describe
        back = torch.load(io.BytesIO(data))
        assert json.dumps(enc(back), allow_nan=False) == json.dumps(enc(value), allow_nan=False), name
        files[name] = {"top": top, "value": enc(value), "shared": shared_storages(value)}

    def saved(name, obj):
        return saved_with(name, obj)

    def saved_with(name, obj, **kw):
        path = os.path.join(args.out, name)
        torch.save(obj, path, **kw)
        with open(path, "rb") as f:
            return f.read()

    sd, osd = model_and_adam()
    put("linear.pt", saved("linear.pt", sd), sd, top="linear")
    put("adam.pt", saved("adam.pt", osd), osd, top="adam")
    put("dtypes.pt", saved("dtypes.pt", every_dtype()), every_dtype(), top="dtypes")
    v = views()
    put("views.pt", saved("views.pt", v), v, top="views")
    pv = python_values()
    put("values.pt", saved("values.pt", pv), pv, top="values")
    p4 = collections.OrderedDict([("w", torch.tensor([[1.5, -2.0]])), ("n", 2**40), ("s", "x" * 300)])
    put("protocol4.pt", saved_with("protocol4.pt", p4, pickle_protocol=4), p4, top="protocol4")
    fo = {"weight": torch.tensor([[1.0, 2.0], [3.0, 4.0]]), "step": 3}
    put("file_object.pt", save_to_file_object(fo), fo, top="archive")

    # what lockstep must refuse, with a clear message
    put("int8.pt", saved("int8.pt", {"q": torch.tensor([-1, 2], dtype=torch.int8)}),
        error="CharStorage (int8) is not a lockstep dtype")
    legacy = io.BytesIO()
    # no tensors: the legacy format names storages by id(), which would change between runs
    torch.save({"w": [1.5, 2]}, legacy, _use_new_zipfile_serialization=False)
    put("legacy.pt", legacy.getvalue(), error="legacy (pre-1.6, non-zip) torch.save format")
    put("malicious_os_system.pt", handmade_zip("malicious_os_system", OS_SYSTEM),
        error="GLOBAL 'os system' is not on the allow-list")
    put("malicious_eval.pt", handmade_zip("malicious_eval", EVAL),
        error="GLOBAL 'builtins eval' is not on the allow-list")

    out = {"generator": "tools/golden/gen_checkpoints.py", "torch_version": torch.__version__, "files": files}
    with open(os.path.join(args.out, "expected.json"), "w") as f:
        json.dump(out, f, indent=1, allow_nan=False)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(args.out, n)) for n in files)
    print("wrote %d checkpoints (%d bytes) to %s" % (len(files), total, os.path.relpath(args.out)))


if __name__ == "__main__":
    main()
