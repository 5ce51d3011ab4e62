#!/usr/bin/python3
"""Golden vectors for torch.linalg.inv and torch.linalg.matrix_power with negative powers,
from Debian's PyTorch 1.13.1.

    /usr/bin/python3 tools/golden/gen_linalg.py [--out test-vectors/linalg]

Writes test-vectors/linalg/inv.json in the format of tools/golden/README.md, with two additions:

  - the header records "lapack": the LAPACK library PyTorch loaded (PyTorch's CPU inverse is
    LAPACK's getrf + getrs; with Debian's reference LAPACK/BLAS 3.11 lockstep reproduces it bit
    for bit, with another LAPACK only within a rounding bound);
  - a case PyTorch rejects is kept as {"id", "op", "args", "kwargs", "error": "<message>"}
    (singular matrices: "linalg.inv: (Batch element b): The diagonal element k is zero, ...").

Cases: linalg.inv on float32/float64 matrices of several sizes (1x1 up to 65x65, past LAPACK's
64-column block), batched and broadcast-batched inputs, a transposed (non-contiguous) layout
(PyTorch factors A itself then, and Aᵀ for contiguous A), an ill-conditioned Hilbert matrix, a
pivot below the underflow threshold, singular inputs; linalg.matrix_power with n = -1 ... -7.
`grads` holds the gradient of the matrix for a random upstream gradient.

Deterministic: inputs come from a generator seeded with crc32("linalg:<case id>"), the upstream
gradient from one seeded with crc32("linalg:<case id>/grad_out"); PyTorch runs single-threaded.
"""

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import decode_tensor, encode_tensor, encode_value, stable_seed  # noqa: E402

torch.set_num_threads(1)

GEN = "tools/golden/gen_linalg.py"
f32, f64 = torch.float32, torch.float64


def lapack_library():
    """The LAPACK shared object this process loaded (after one LAPACK call)."""
    torch.linalg.inv(torch.eye(2))
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if "lapack" in path or "openblas" in path or "mkl" in path:
                libs.add(os.path.realpath(path))
    return ", ".join(sorted(libs)) or "unknown"


class R:
    """Input factory for one case."""

    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)

    def randn(self, shape, dt=f32, scale=1.0):
        return (torch.randn(shape, generator=self.g, dtype=f64) * scale).to(dt)


def resolve(op):
    return {"linalg.inv": torch.linalg.inv, "linalg.matrix_power": torch.linalg.matrix_power}[op]


class Group:
    def __init__(self):
        self.cases = []
        self.ids = set()

    def add(self, cid, op, make, grad=True):
        assert cid not in self.ids, cid
        self.ids.add(cid)
        args = make(R(stable_seed("linalg:" + cid)))
        fn = resolve(op)
        x = args[0]
        case = {"id": cid, "op": op, "args": encode_value(args), "kwargs": {}}
        try:
            with torch.no_grad():
                out = fn(*args)
        except RuntimeError as e:
            case["error"] = str(e).split("\n")[0]
            self.cases.append(case)
            return
        # self-check: the encoded input, decoded again, gives the same bits
        x2 = decode_tensor(case["args"][0])
        again = fn(x2, *args[1:])
        idt = torch.int64 if x.dtype == f64 else torch.int32
        assert torch.equal(again.reshape(-1).view(idt), out.reshape(-1).view(idt)), cid
        case["out"] = encode_tensor(out, whole_storage=False)
        if grad:
            leaf = x.detach().requires_grad_(True)
            y = fn(leaf, *args[1:])
            gr = R(stable_seed("linalg:" + cid + "/grad_out"))
            go = gr.randn(list(y.shape), y.dtype)
            (gx,) = torch.autograd.grad(y, leaf, go)
            case["grad_out"] = encode_tensor(go, whole_storage=False)
            case["grads"] = [encode_tensor(gx, whole_storage=False)] + [None] * (len(args) - 1)
        else:
            case["grad_out"] = None
            case["grads"] = [None] * len(args)
        self.cases.append(case)


def hilbert(n, dt):
    i = torch.arange(n, dtype=f64)
    return (1.0 / (i[:, None] + i[None, :] + 1.0)).to(dt)


def build():
    g = Group()
    inv = "linalg.inv"
    # shapes and dtypes
    for n in [1, 2, 3, 4, 5, 8, 17]:
        g.add("%s/f32_%d/0" % (inv, n), inv, lambda r, n=n: [r.randn([n, n])])
    for n in [2, 3, 6, 12]:
        g.add("%s/f64_%d/0" % (inv, n), inv, lambda r, n=n: [r.randn([n, n], f64)])
    g.add(inv + "/f32_65_blocked/0", inv, lambda r: [r.randn([65, 65])], grad=False)
    g.add(inv + "/f64_70_blocked/0", inv, lambda r: [r.randn([70, 70], f64)], grad=False)
    # batches
    g.add(inv + "/f32_batched/0", inv, lambda r: [r.randn([3, 4, 4])])
    g.add(inv + "/f64_batched_2d/0", inv, lambda r: [r.randn([2, 2, 3, 3], f64)])
    g.add(inv + "/f32_expanded_batch/0", inv, lambda r: [r.randn([1, 3, 3]).expand(2, 3, 3)])
    # layouts: transposed (non-contiguous: PyTorch factors A itself), a column slice
    g.add(inv + "/f32_transposed/0", inv, lambda r: [r.randn([5, 5]).mT])
    g.add(inv + "/f64_transposed/0", inv, lambda r: [r.randn([4, 4], f64).mT])
    g.add(inv + "/f32_sliced/0", inv, lambda r: [r.randn([4, 6])[:, 1:5]])
    # pivoting: zeros on the diagonal, a permutation, an ill-conditioned matrix
    g.add(inv + "/f32_zero_diag/0", inv,
          lambda r: [torch.tensor([[0.0, 2.0, 1.0], [3.0, 0.0, -1.0], [1.0, 1.0, 0.0]])])
    g.add(inv + "/f64_permutation/0", inv, lambda r: [torch.eye(4, dtype=f64)[[2, 0, 3, 1]]])
    g.add(inv + "/f64_hilbert6/0", inv, lambda r: [hilbert(6, f64)])
    g.add(inv + "/f32_hilbert4/0", inv, lambda r: [hilbert(4, f32)])
    # a pivot below the underflow threshold (LAPACK divides instead of scaling by the reciprocal)
    g.add(inv + "/f64_tiny_pivot/0", inv,
          lambda r: [torch.tensor([[3e-309, 1e-309, 0.0], [1.0, 2.0, 0.5], [0.25, -1.0, 3.0]], dtype=f64)],
          grad=False)
    g.add(inv + "/f32_tiny_pivot/0", inv,
          lambda r: [torch.tensor([[0.5, 3e-39, 0.25], [-0.75, 1e-39, 2.0], [1.0, 2e-39, -1.5]])],
          grad=False)
    # empty
    g.add(inv + "/f32_empty/0", inv, lambda r: [r.randn([0, 3, 3])], grad=False)
    # singular: PyTorch raises, naming the batch element and the zero pivot of LU(Aᵀ)
    sing = [
        ("rank1", lambda r: [torch.tensor([[1.0, 2.0], [2.0, 4.0]])]),
        ("zeros", lambda r: [torch.zeros(3, 3)]),
        ("zero_row0", lambda r: [torch.tensor([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])]),
        ("zero_row1", lambda r: [torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [4.0, 5.0, 6.0]])]),
        ("zero_col", lambda r: [torch.tensor([[1.0, 0.0, 3.0], [2.0, 0.0, 5.0], [4.0, 0.0, 6.0]], dtype=f64)]),
        ("dependent_rows", lambda r: [torch.tensor([[2.0, 1.0, 1.0], [4.0, 2.0, 2.0], [1.0, 1.0, 1.0]])]),
        ("batched", lambda r: [torch.stack([torch.eye(2), torch.tensor([[1.0, 2.0], [2.0, 4.0]])])]),
        ("transposed_zero_row", lambda r: [torch.tensor([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).mT]),
        ("ints_1to9", lambda r: [torch.arange(1.0, 10.0).reshape(3, 3)]),
        ("ints_1to9_f64", lambda r: [torch.arange(1.0, 10.0, dtype=f64).reshape(3, 3)]),
    ]
    for name, mk in sing:
        g.add("%s/singular_%s/0" % (inv, name), inv, mk, grad=False)

    mp = "linalg.matrix_power"
    for n in [-1, -2, -3, -4, -5, -6, -7]:
        g.add("%s/f32_n%d/0" % (mp, -n), mp,
              lambda r, n=n: [r.randn([3, 3], scale=0.5) + torch.eye(3), n])
    g.add(mp + "/f64_n5/0", mp, lambda r: [r.randn([4, 4], f64, 0.5) + torch.eye(4, dtype=f64), -5])
    g.add(mp + "/f32_batched_n6/0", mp, lambda r: [r.randn([2, 3, 3], scale=0.5) + torch.eye(3), -6])
    g.add(mp + "/f32_transposed_n2/0", mp, lambda r: [(r.randn([3, 3], scale=0.5) + torch.eye(3)).mT, -2])
    g.add(mp + "/singular/0", mp, lambda r: [torch.tensor([[1.0, 2.0], [2.0, 4.0]]), -2], grad=False)
    return g.cases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "test-vectors", "linalg"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    cases = build()
    head = json.dumps({"generator": GEN, "torch_version": torch.__version__, "lapack": lapack_library()},
                      separators=(",", ":"))
    path = os.path.join(a.out, "inv.json")
    with open(path, "w") as f:
        f.write(head[:-1])
        f.write(',"cases":[\n')
        f.write(",\n".join(json.dumps(c, separators=(",", ":"), allow_nan=False) for c in cases))
        f.write("\n]}\n")
    print("%s: %d cases (%d errors)" % (os.path.normpath(path), len(cases), sum("error" in c for c in cases)))


if __name__ == "__main__":
    main()
