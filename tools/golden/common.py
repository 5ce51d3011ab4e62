"""Shared helpers for lockstep's golden-vector generators.

Run generators with Debian's Python (`/usr/bin/python3`), which has Debian's PyTorch 1.13.1.

Tensor encoding ("T"):
    {"dtype": "float32", "shape": [2, 3], "stride": [3, 1], "offset": 0, "storage": "<hex>"}

`storage` is the *whole* underlying storage of the tensor, so a non-contiguous view is
reproduced with as_strided semantics: the element at multi-index i is
storage[offset + sum(i_k * stride_k)].  Each storage element is its little-endian bit pattern
written as one big-endian hex number of width 2*itemsize (float32 1.0 -> "3f800000",
int32 -1 -> "ffffffff", bool True -> "01"), concatenated without separators.
"""

import json
import math
import zlib

import numpy as np
import torch

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
NAME_TO_DTYPE = {v: k for k, v in DTYPE_NAMES.items()}

# dtype -> (integer dtype of the same width to reinterpret the bits as, big-endian numpy dtype)
_BITS = {
    torch.float32: (torch.int32, ">u4"),
    torch.float64: (torch.int64, ">u8"),
    torch.float16: (torch.int16, ">u2"),
    torch.bfloat16: (torch.int16, ">u2"),
    torch.int32: (torch.int32, ">u4"),
    torch.int64: (torch.int64, ">u8"),
    torch.uint8: (torch.uint8, ">u1"),
    torch.bool: (torch.uint8, ">u1"),
}

FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def dtype_name(dt):
    if dt not in DTYPE_NAMES:
        raise TypeError("unsupported dtype for golden vectors: %s" % dt)
    return DTYPE_NAMES[dt]


def contiguous_strides(shape):
    """PyTorch's contiguous strides (sizes of 0 count as 1, like c10::contiguous_strides)."""
    strides = []
    acc = 1
    for s in reversed(list(shape)):
        strides.append(acc)
        acc *= max(int(s), 1)
    return list(reversed(strides))


def hex_of_flat(t):
    """Hex string of a 1-D contiguous tensor's elements (see module doc)."""
    t = t.detach()
    if t.numel() == 0:
        return ""
    int_dt, np_dt = _BITS[t.dtype]
    if t.dtype == torch.bool:
        bits = t.to(torch.uint8)
    elif t.dtype == int_dt:
        bits = t
    else:
        bits = t.view(int_dt)
    arr = bits.contiguous().numpy()
    # reinterpret as unsigned of the same width, then write big-endian
    arr = arr.view(np_dt.replace(">", "<")).astype(np_dt)
    return arr.tobytes().hex()


def _whole_storage(t):
    """The tensor's whole storage as a 1-D contiguous tensor of t.dtype."""
    st = t.storage()
    base = torch.empty(0, dtype=t.dtype)
    base.set_(st, 0, (st.size(),), (1,))
    return base


def encode_tensor(t, whole_storage=True):
    """Encode a tensor as a T dict.

    whole_storage=True: storage/stride/offset exactly as the tensor has them (inputs).
    whole_storage=False: written contiguous, offset 0, storage = exactly the elements (outputs).
    """
    t = t.detach()
    if t.layout != torch.strided:
        raise TypeError("only strided tensors can be encoded")
    if whole_storage:
        return {
            "dtype": dtype_name(t.dtype),
            "shape": list(t.shape),
            "stride": list(t.stride()),
            "offset": int(t.storage_offset()),
            "storage": hex_of_flat(_whole_storage(t)),
        }
    c = torch.empty(t.shape, dtype=t.dtype)
    c.copy_(t)
    return {
        "dtype": dtype_name(t.dtype),
        "shape": list(t.shape),
        "stride": contiguous_strides(t.shape),
        "offset": 0,
        "storage": hex_of_flat(c.reshape(-1)),
    }


def decode_tensor(d):
    """Inverse of encode_tensor (used by the self-check)."""
    dt = NAME_TO_DTYPE[d["dtype"]]
    int_dt, np_dt = _BITS[dt]
    raw = bytes.fromhex(d["storage"])
    arr = np.frombuffer(raw, dtype=np_dt).astype(np_dt.replace(">", "<"))
    if dt == torch.bool:
        flat = torch.from_numpy(arr.copy()).to(torch.bool)
    else:
        signed = {1: np.uint8, 2: np.int16, 4: np.int32, 8: np.int64}[arr.dtype.itemsize]
        flat = torch.from_numpy(arr.view(signed).copy())
        if flat.dtype != int_dt:
            flat = flat.to(int_dt)
        if dt != int_dt:
            flat = flat.view(dt)
    return torch.as_strided(flat, d["shape"], d["stride"], d["offset"])


def encode_float(x):
    """A Python float as JSON: a number, or {"float": "nan"|"inf"|"-inf"}."""
    if math.isnan(x):
        return {"float": "nan"}
    if math.isinf(x):
        return {"float": "inf" if x > 0 else "-inf"}
    return x


def encode_value(v, whole_storage=True, strict_floats=True):
    """Encode an argument / result value.

    Tensors -> T; tuples/lists -> lists; floats -> numbers (non-finite -> {"float": ...});
    dtypes -> their names; None/bool/int/str as themselves.

    strict_floats: refuse integral-valued Python floats (e.g. 2.0), since after JSON.parse they
    are indistinguishable from Python ints and PyTorch treats the two differently in type
    promotion. Generators must write ints (or non-integral floats) instead.
    """
    if isinstance(v, torch.Tensor):
        return encode_tensor(v, whole_storage)
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        if strict_floats and math.isfinite(v) and v == int(v):
            raise ValueError("integral Python float %r in args is ambiguous in JSON; use an int" % v)
        return encode_float(v)
    if isinstance(v, torch.dtype):
        return dtype_name(v)
    if isinstance(v, torch.Size):
        return [int(s) for s in v]
    if isinstance(v, (list, tuple)):
        return [encode_value(x, whole_storage, strict_floats) for x in v]
    if isinstance(v, dict):
        return {k: encode_value(x, whole_storage, strict_floats) for k, x in v.items()}
    raise TypeError("cannot encode %r" % (v,))


def stable_seed(s):
    """A seed derived from a string, stable across runs and Python versions."""
    return zlib.crc32(s.encode("utf-8")) & 0x7FFFFFFF


def write_cases(path, generator, cases):
    """Write a golden file: {"generator", "torch_version", "cases": [...]}.

    Compact JSON with one case per line (readable diffs); deterministic for identical cases.
    """
    head = json.dumps({"generator": generator, "torch_version": torch.__version__},
                      separators=(",", ":"))
    with open(path, "w") as f:
        f.write(head[:-1])
        f.write(',"cases":[\n')
        f.write(",\n".join(json.dumps(c, separators=(",", ":"), allow_nan=False) for c in cases))
        f.write("\n]}\n")
