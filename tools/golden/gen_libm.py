"""glibc's double pow/exp/expm1/log/log1p/sin/cos/tan/fma against correctly rounded values.

    /usr/bin/python3 tools/golden/gen_libm.py [--out test-vectors/math] [--scale 1]

Writes test-vectors/math/libm.json for packages/core/test/libm.test.ts (lockstep's correctly rounded
libm, src/math/libm.ts). Debian's libm (glibc 2.36, through ctypes: the same functions Python's
math module and PyTorch's CPU kernels call) is evaluated on argument families that PyTorch and
Python reach — beta ** step bias corrections, cos(pi * k / T) schedules, log/sin/cos of uniform
draws (Box–Muller), tan(pi * (u - 0.5)) (Cauchy), log1p(-u) — plus wide random and edge arguments.
The exact values come from mpmath at 400+ bits, rounded to nearest-even (also in the subnormal
range).

Arguments are not stored: they are regenerated on both sides from a 32-bit generator (mulberry32)
and IEEE double arithmetic that JavaScript and Python evaluate identically (see FAMILIES). Each
family stores {"fn", "family", "n", "sha256", "mismatches": [[i, glibc, exact], ...]}: `sha256` is
the hash of glibc's n results (float64 little-endian bytes, NaNs written as 7ff8000000000000), and
`mismatches` lists every index where glibc is not correctly rounded, with glibc's and the exact
result (16 hex digits each). A correctly rounded implementation reproduces the hash once it puts
glibc's values back at those indices. Families "edge" store their arguments explicitly:
{"fn", "family": "edge", "args": [[hex, ...], ...], "glibc": [hex...], "exact": [hex...]} where
"exact" is the C99/IEEE value for special cases (NaN, infinities, zeros, exact powers).
"""

import argparse
import ctypes
import hashlib
import json
import math
import os
import struct

import mpmath

libm = ctypes.CDLL("libm.so.6")
for _n in ("pow", "exp", "expm1", "log", "log1p", "sin", "cos", "tan", "fma"):
    getattr(libm, _n).restype = ctypes.c_double
    getattr(libm, _n).argtypes = [ctypes.c_double] * {"pow": 2, "fma": 3}.get(_n, 1)

M32 = 0xFFFFFFFF


def imul(a, b):
    return ((a & M32) * (b & M32)) & M32


class Mulberry32:
    """mulberry32, as in the TypeScript test: 32-bit outputs, u53() a double in [0, 1)."""

    def __init__(self, seed):
        self.a = seed & M32

    def next(self):
        self.a = (self.a + 0x6D2B79F5) & M32
        t = self.a
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & M32
        return (t ^ (t >> 14)) & M32

    def u53(self):
        a = self.next() >> 5
        b = self.next() >> 6
        return (a * 67108864.0 + b) / 9007199254740992.0

    def bits(self):
        hi = self.next()
        lo = self.next()
        return struct.unpack("<d", struct.pack("<Q", (hi << 32) | lo))[0]


def h(x):
    if x != x:
        return "7ff8000000000000"
    return struct.pack(">d", x).hex()


def tofloat(v):
    """The double nearest to the mpf v (ties to even), also in the subnormal range."""
    if v != 0 and abs(v) < mpmath.mpf(2) ** -1022:
        with mpmath.workprec(2100):
            n = mpmath.nint(v * mpmath.mpf(2) ** 1074)
        return math.ldexp(float(n), -1074) if n != 0 else math.copysign(0.0, float(v))
    return float(v)


MP = {
    "log": mpmath.log, "log1p": mpmath.log1p, "exp": mpmath.exp, "expm1": mpmath.expm1,
    "sin": mpmath.sin, "cos": mpmath.cos, "tan": mpmath.tan, "pow": mpmath.power,
}


def exact(fn, args, glibc):
    """The correctly rounded result; special cases (non-finite or zero in/out) take glibc's value."""
    if fn == "fma":
        return glibc  # hardware fma: exact by construction
    if not all(math.isfinite(a) for a in args) or not math.isfinite(glibc) or glibc == 0 or glibc != glibc:
        return glibc
    if fn == "pow" and args[0] < 0:
        s = -1.0 if (args[1] % 2 == 1) else 1.0
        return s * exact("pow", (-args[0], args[1]), abs(glibc))
    prec = 500 + (abs(math.frexp(args[-1])[1]) if fn in ("sin", "cos", "tan") else 0)
    with mpmath.workprec(prec):
        v = MP[fn](*[mpmath.mpf(a) for a in args])
    return tofloat(v)


# ---- argument families: (fn, family, n, generator(rng, i) -> args). Keep in sync with libm.test.ts.

BETAS = (0.9, 0.99, 0.999, 0.9999)


def fam_pow_beta(n):
    per = n // len(BETAS)
    return lambda r, i: (BETAS[i // per], float(i % per + 1))


def fam_cos_sched(n):
    # cos(pi * k / T) (CosineAnnealing: math.pi * t / T, left to right) and cos(pi * (k / T))
    # (OneCycleLR's pct), T = 1..., k = 0..T
    pairs = []
    T = 1
    while len(pairs) < n:
        for k in range(T + 1):
            pairs.append((k, T))
        T += 1
    return lambda r, i: ((math.pi * pairs[i // 2][0] / pairs[i // 2][1]) if i % 2 == 0 else math.pi * (pairs[i // 2][0] / pairs[i // 2][1]),)


FAMILIES = [
    ("pow", "beta**step", 200000, None),
    ("pow", "u**(60(v-0.5))", 20000, lambda r, i: (r.u53(), (r.u53() - 0.5) * 60)),
    ("pow", "(0.5+u)*2**k**(4(v-0.5))", 10000, lambda r, i: (math.ldexp(0.5 + r.u53(), r.next() % 201 - 100), (r.u53() - 0.5) * 4)),
    ("pow", "int**int", 12221, lambda r, i: (float(i // 121 - 50), float(i % 121 - 60))),
    ("cos", "pi*k/T", 80000, None),
    ("cos", "2pi*u", 50000, lambda r, i: (2.0 * math.pi * r.u53(),)),
    ("sin", "2pi*u", 50000, lambda r, i: (2.0 * math.pi * r.u53(),)),
    ("cos", "2e6(u-0.5)", 10000, lambda r, i: ((r.u53() - 0.5) * 2e6,)),
    ("sin", "bits", 10000, lambda r, i: (r.bits(),)),
    ("tan", "pi(u-0.5)", 20000, lambda r, i: (math.pi * (r.u53() - 0.5),)),
    ("tan", "bits", 5000, lambda r, i: (r.bits(),)),
    ("log", "u", 50000, lambda r, i: (r.u53(),)),
    ("log", "1-u", 20000, lambda r, i: (1.0 - r.u53(),)),
    ("log", "bits", 10000, lambda r, i: (r.bits(),)),
    ("log1p", "-u", 10000, lambda r, i: (-r.u53(),)),
    ("log1p", "bits", 5000, lambda r, i: (r.bits(),)),
    ("exp", "1400(u-0.5)", 20000, lambda r, i: ((r.u53() - 0.5) * 1400,)),
    ("exp", "20(u-0.5)", 20000, lambda r, i: ((r.u53() - 0.5) * 20,)),
    ("expm1", "2(u-0.5)", 10000, lambda r, i: ((r.u53() - 0.5) * 2,)),
    ("fma", "bits", 20000, lambda r, i: (r.bits(), r.bits(), r.bits())),
    ("fma", "cancel", 20000, None),
]


def fma_cancel(r, i):
    a = (r.u53() - 0.5) * 4
    b = (r.u53() - 0.5) * 4
    return (a, b, -(a * b) * (1 + (r.u53() - 0.5) * 2.0 ** -40))


EDGE = {
    "pow": [(3.0, 34.0), (3.0, 35.0), (9.0, 1.5), (2.0, -1074.0), (2.0, -1075.0), (0.5, 1075.0), (2.0, 1023.0),
            (2.0, 1024.0), (-2.0, 3.0), (-2.0, 0.5), (-1.0, math.inf), (0.0, -1.0), (-0.0, -1.0), (-0.0, 3.0),
            (-0.0, 2.0), (math.inf, -2.0), (-math.inf, 3.0), (-math.inf, -3.0), (0.5, math.inf), (2.0, -math.inf),
            (math.nan, 0.0), (1.0, math.nan), (1.0000000000000002, 1e300), (5e-324, 0.5), (1e-310, 1e-3),
            (10.0, 308.0), (10.0, -323.0), (10.0, -324.0), (7.0, 1.0 / 3.0), (-8.0, 1.0 / 3.0)],
    "exp": [(0.0,), (-0.0,), (1e-300,), (-1e-300,), (709.782712893384,), (709.7827128933841,), (-745.1332191019411,),
            (-745.1332191019412,), (-708.3964185322641,), (-708.4,), (math.inf,), (-math.inf,), (math.nan,),
            (2.0 ** -54,), (-(2.0 ** -54),), (1.0,), (-1.0,)],
    "expm1": [(0.0,), (-0.0,), (1e-300,), (-1e-300,), (709.782712893384,), (-40.0,), (-38.0,), (math.inf,),
              (-math.inf,), (math.nan,), (1e-10,), (2.0 ** -54,), (1.0,)],
    "log": [(1.0,), (0.0,), (-0.0,), (-1.0,), (5e-324,), (2.2250738585072014e-308,), (1.7976931348623157e308,),
            (math.inf,), (math.nan,), (1.0000000000000002,), (0.9999999999999999,), (2.0,), (0.5,)],
    "log1p": [(0.0,), (-0.0,), (-1.0,), (-2.0,), (5e-324,), (-5e-324,), (1e-300,), (math.inf,), (math.nan,),
              (-0.9999999999999999,), (1.7976931348623157e308,), (2.0 ** -54,), (-(2.0 ** -54),)],
    "sin": [(0.0,), (-0.0,), (5e-324,), (1e-300,), (math.pi,), (math.pi / 2,), (1e22,), (1.7976931348623157e308,),
            (math.inf,), (math.nan,), (6381956970095103.0 * 2.0 ** 797,), (2.0 ** -26,), (2.0 ** -27,)],
    "cos": [(0.0,), (-0.0,), (5e-324,), (math.pi,), (math.pi / 2,), (1e22,), (1.7976931348623157e308,), (math.inf,),
            (math.nan,), (6381956970095103.0 * 2.0 ** 797,), (2.0 ** -27,), (2.0 ** -26,)],
    "tan": [(0.0,), (-0.0,), (5e-324,), (math.pi / 2,), (-math.pi / 2,), (1e22,), (1.7976931348623157e308,),
            (math.inf,), (math.nan,), (2.0 ** -27,), (2.0 ** -26,)],
    "fma": [(1.0 + 2.0 ** -52, 1.0 - 2.0 ** -53, -1.0), (1e308, 10.0, -math.inf), (2.0 ** 600, 2.0 ** 424, -(2.0 ** 1023)),
            (2.0 ** -600, 2.0 ** -500, 5e-324), (0.0, math.inf, 1.0), (-0.0, 1.0, 0.0), (-0.0, 1.0, -0.0),
            (1.0, 1.0, -1.0), (2.0 ** -1000, -(2.0 ** -100), 0.0)],
}


def call(fn, args):
    return getattr(libm, fn)(*args)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "test-vectors", "math"))
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every family size (local checks)")
    a = ap.parse_args()
    out = []
    for seed, (fn, fam, n0, gen) in enumerate(FAMILIES):
        n = int(n0 * a.scale)
        if fam == "beta**step":
            n -= n % len(BETAS)
            gen = fam_pow_beta(n)
        elif fam == "pi*k/T":
            gen = fam_cos_sched(n)
        elif fam == "cancel":
            gen = fma_cancel
        elif fam == "int**int":
            n = n0
        r = Mulberry32(0x5EED0000 + seed)
        digest = hashlib.sha256()
        mism = []
        for i in range(n):
            args = gen(r, i)
            g = call(fn, args)
            digest.update(struct.pack("<d", g) if g == g else bytes.fromhex("000000000000f87f"))
            e = exact(fn, args, g)
            if h(e) != h(g):
                mism.append([i, h(g), h(e)])
        out.append({"fn": fn, "family": fam, "seed": 0x5EED0000 + seed, "n": n, "sha256": digest.hexdigest(),
                    "mismatches": mism})
        print(f"{fn:6s} {fam:28s} n={n:8d} glibc not correctly rounded: {len(mism)}", flush=True)
    for fn, cases in EDGE.items():
        g = [call(fn, c) for c in cases]
        out.append({"fn": fn, "family": "edge", "args": [[h(x) for x in c] for c in cases], "glibc": [h(x) for x in g],
                    "exact": [h(exact(fn, c, x)) for c, x in zip(cases, g)]})
    os.makedirs(a.out, exist_ok=True)
    doc = {"generator": "tools/golden/gen_libm.py", "libm": "glibc " + os.confstr("CS_GNU_LIBC_VERSION").split()[-1],
           "families": out}
    with open(os.path.join(a.out, "libm.json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
