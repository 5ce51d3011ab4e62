#!/usr/bin/python3
"""Golden vectors for lockstep's random generators and sampling ops, from Debian's PyTorch 1.13.1 (CPU).

    /usr/bin/python3 tools/golden/gen_random.py [--out test-vectors/random]

Each case is a small program run against one generator: a list of steps (draws, state reads and
writes), each with PyTorch's exact result. lockstep's test (packages/core/test/random.test.ts)
replays the steps and compares bits.

File format: {"generator", "torch_version", "cases": [CASE, ...]} (see common.write_cases), with

    CASE = {"id": "...", "seed": <int|null>, "gen": "local" | "global", "steps": [STEP, ...]}

"seed": the generator is seeded with it first (torch.Generator().manual_seed(seed) for "local",
torch.manual_seed(seed) for "global"); the integer may exceed 2^53 (JSON readers must keep it
exact: it is also written as a decimal string in "seed_str"). STEP:

    {"fn": name, "args": [...], "kwargs": {...}, "out": T | scalar | null}

fn (the generator argument is implied):
    rand, randn (args [size], kwargs dtype), randint (args [low, high, size], kwargs dtype),
    randperm (args [n], kwargs dtype), normal (args [mean, std] where each is a number or a T,
    plus [size] when both are numbers; kwargs dtype), bernoulli (args [T] or [T, p]),
    multinomial (args [T, n, replacement]), rand_like / randn_like (args [T]),
    randint_like (args [T, low, high]), dropout (args [T, p, training]: the result),
    inplace (args [TARGET, method, margs...]: TARGET = {"shape", "dtype", "layout"} with layout
        "contiguous", "transposed" (a contiguous tensor of the reversed shape, then .t() / permute
        reversing the dims) or "step2" (every second column of a tensor twice as wide in the last dim);
        method one of uniform_ normal_ random_ bernoulli_ exponential_ cauchy_ log_normal_ geometric_,
        margs its positional arguments; "out" is the tensor after the call, written contiguous),
    get_state (out: the state bytes as a uint8 T), set_state (args [T]: load those bytes),
    manual_seed (args [seed]), initial_seed (out: the int, also "out_str"),
    seed_value (args [seed]: manual_seed then initial_seed; out the int).
"""

import argparse
import os
import sys
import warnings

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import encode_tensor, write_cases  # noqa: E402

torch.set_num_threads(1)
warnings.filterwarnings("ignore")  # randint/random_ beyond 2^24 on float32 warn (the cases are deliberate)

f16, bf16, f32, f64 = torch.float16, torch.bfloat16, torch.float32, torch.float64
i32, i64, u8, b8 = torch.int32, torch.int64, torch.uint8, torch.bool
DT = {"float32": f32, "float64": f64, "float16": f16, "bfloat16": bf16, "int32": i32, "int64": i64,
      "uint8": u8, "bool": b8}

SEEDS = [0, 1, 42, 2**32 + 5, 18446744073709551557]  # the last: 2^64 - 59
SIZES = [1, 2, 15, 16, 17, 31, 32, 33, 100]


def T(t):
    return encode_tensor(t, whole_storage=False)


def dname(dt):
    return [k for k, v in DT.items() if v == dt][0]


class Case:
    def __init__(self, cid, seed, gen="local"):
        self.cid, self.seed, self.gen_kind = cid, seed, gen
        self.steps = []
        if gen == "local":
            self.g = torch.Generator()
            if seed is not None:
                self.g.manual_seed(seed)
        else:
            self.g = None
            if seed is not None:
                torch.manual_seed(seed)

    @property
    def kw(self):
        return {} if self.g is None else {"generator": self.g}

    def step(self, fn, args, kwargs, out, **extra):
        s = {"fn": fn, "args": args, "kwargs": kwargs, "out": out}
        s.update(extra)
        self.steps.append(s)
        return out

    # --- draws ---
    def rand(self, size, dtype=f32):
        return self.step("rand", [list(size)], {"dtype": dname(dtype)}, T(torch.rand(size, dtype=dtype, **self.kw)))

    def randn(self, size, dtype=f32):
        return self.step("randn", [list(size)], {"dtype": dname(dtype)}, T(torch.randn(size, dtype=dtype, **self.kw)))

    def randint(self, low, high, size, dtype=i64):
        r = torch.randint(low, high, size, dtype=dtype, **self.kw)
        return self.step("randint", [low, high, list(size)], {"dtype": dname(dtype)}, T(r))

    def randperm(self, n, dtype=i64):
        return self.step("randperm", [n], {"dtype": dname(dtype)}, T(torch.randperm(n, dtype=dtype, **self.kw)))

    def normal(self, mean, std, size=None, dtype=f32):
        enc = lambda v: T(v) if isinstance(v, torch.Tensor) else v  # noqa: E731
        if size is None:
            r = torch.normal(mean, std, **self.kw)
            return self.step("normal", [enc(mean), enc(std)], {}, T(r))
        r = torch.normal(mean, std, size, dtype=dtype, **self.kw)
        return self.step("normal", [mean, std, list(size)], {"dtype": dname(dtype)}, T(r))

    def bernoulli(self, x, p=None):
        if p is None:
            return self.step("bernoulli", [T(x)], {}, T(torch.bernoulli(x, **self.kw)))
        return self.step("bernoulli", [T(x), p], {}, T(torch.bernoulli(x, p, **self.kw)))

    def multinomial(self, probs, n, replacement):
        r = torch.multinomial(probs, n, replacement, **self.kw)
        # the input keeps its layout (whole storage, strides): it decides the order of the draws
        return self.step("multinomial", [encode_tensor(probs, whole_storage=True), n, replacement], {}, T(r))

    def like(self, fn, x, *a):
        f = {"rand_like": torch.rand_like, "randn_like": torch.randn_like, "randint_like": torch.randint_like}[fn]
        # *_like functions take no generator in 1.13: they draw from the global generator
        assert self.g is None
        # the input keeps its layout: the result is laid out like it and drawn in that order
        return self.step(fn, [encode_tensor(x, whole_storage=True), *a], {}, T(f(x, *a)))

    def dropout(self, x, p, training=True):
        assert self.g is None  # F.dropout has no generator argument
        return self.step("dropout", [T(x), p, training], {}, T(F.dropout(x, p, training)))

    def inplace(self, shape, dtype, layout, method, *margs):
        if layout == "contiguous":
            t = torch.zeros(shape, dtype=dtype)
        elif layout == "transposed":
            t = torch.zeros(list(reversed(shape)), dtype=dtype).permute(*reversed(range(len(shape))))
        elif layout == "step2":
            t = torch.zeros(list(shape[:-1]) + [shape[-1] * 2], dtype=dtype)[..., ::2]
        else:
            raise ValueError(layout)
        assert list(t.shape) == list(shape)
        getattr(t, method)(*margs, **self.kw)
        margs_enc = [T(a) if isinstance(a, torch.Tensor) else a for a in margs]
        target = {"shape": list(shape), "dtype": dname(dtype), "layout": layout}
        return self.step("inplace", [target, method, *margs_enc], {}, T(t))

    # --- state ---
    def get_state(self):
        st = self.g.get_state() if self.g is not None else torch.get_rng_state()
        return self.step("get_state", [], {}, T(st))

    def set_state(self, st):
        if self.g is not None:
            self.g.set_state(st)
        else:
            torch.set_rng_state(st)
        return self.step("set_state", [T(st)], {}, None)

    def manual_seed(self, s):
        if self.g is not None:
            self.g.manual_seed(s)
        else:
            torch.manual_seed(s)
        return self.step("manual_seed", [s], {}, None, args_str=[str(s)])

    def initial_seed(self):
        v = self.g.initial_seed() if self.g is not None else torch.initial_seed()
        return self.step("initial_seed", [], {}, v, out_str=str(v))

    def json(self):
        d = {"id": self.cid, "seed": self.seed, "gen": self.gen_kind, "steps": self.steps}
        if self.seed is not None:
            d["seed_str"] = str(self.seed)
        return d


def sid(s):
    return {2**32 + 5: "2p32p5", 18446744073709551557: "2p64m59"}.get(s, str(s))


# ----------------------------------------------------------------------------------------------


def gen_generators():
    cases = []
    for s in SEEDS + [-1, -(2**63), 2**63]:
        c = Case("seed/%s" % s, s)
        c.initial_seed()
        c.get_state()
        c.rand([3])
        c.get_state()
        cases.append(c)
    for s in [0, 7, 2**32 + 5]:
        c = Case("global/%s" % sid(s), s, gen="global")
        c.initial_seed()
        c.rand([5])
        c.get_state()
        cases.append(c)
    # default-constructed generator (default_rng_seed_val)
    c = Case("default_constructed", None)
    c.initial_seed()
    c.rand([4])
    c.get_state()
    cases.append(c)
    # state crossing the 624-word refill boundary, and round trips through set_state
    for s in [0, 42]:
        c = Case("roundtrip/%s" % s, s)
        c.rand([620], f32)
        st = c.g.get_state()
        c.get_state()
        c.rand([10], f32)
        c.randn([3], f64)  # leaves a cached normal
        st2 = c.g.get_state()
        c.get_state()
        c.set_state(st)
        c.rand([10], f32)
        c.set_state(st2)
        c.randn([1], f64)  # uses the cached value restored from the state
        c.rand([2], f64)
        c.get_state()
        cases.append(c)
    # a legacy (5048-byte) state with normal_is_valid: PyTorch recomputes rho * sin(2 pi x)
    c = Case("legacy_state", 3)
    c.rand([7])
    st = c.g.get_state()[:5048].clone()
    raw = st.numpy().view("u1")
    import numpy as np
    raw[5016:5024] = np.frombuffer(np.float64(0.3718).tobytes(), dtype="u1")   # normal_x
    raw[5032:5040] = np.frombuffer(np.float64(1.25).tobytes(), dtype="u1")     # normal_rho
    raw[5040:5044] = np.frombuffer(np.int32(1).tobytes(), dtype="u1")          # normal_is_valid
    c.set_state(st)
    c.randn([2], f64)
    c.get_state()
    cases.append(c)
    # manual_seed resets the cached normal
    c = Case("manual_seed_clears_cache", 5)
    c.randn([1], f64)
    c.get_state()
    c.manual_seed(5)
    c.get_state()
    c.randn([2], f64)
    cases.append(c)
    return cases


def gen_uniform():
    cases = []
    for s in SEEDS:
        for n in SIZES:
            for dt in (f32, f64):
                c = Case("rand/%s/%s/n%d" % (dname(dt), sid(s), n), s)
                c.rand([n], dt)
                cases.append(c)
        for dt in (f16, bf16):
            c = Case("rand/%s/%s" % (dname(dt), sid(s)), s)
            c.rand([33], dt)
            cases.append(c)
    c = Case("rand/shape", 11)
    c.rand([3, 4, 5])
    c.rand([0, 3])
    c.rand([])
    cases.append(c)
    for dt in (f32, f64, f16, bf16):
        for (a, b) in [(-1, 2), (0.25, 7.5), (-3.5, -3.25), (1e-3, 1e3)]:
            for layout in ("contiguous", "transposed", "step2"):
                c = Case("uniform_/%s/%s_%s/%s" % (dname(dt), a, b, layout), 9)
                c.inplace([6, 7], dt, layout, "uniform_", a, b)
                cases.append(c)
    c = Case("rand_like/global", 4, gen="global")
    c.like("rand_like", torch.zeros(2, 3, dtype=f64))
    c.like("rand_like", torch.zeros(5))
    c.like("rand_like", torch.zeros(4, 6).t())
    c.like("rand_like", torch.zeros(4, 6)[:, ::2])  # not dense: contiguous result
    cases.append(c)
    return cases


def gen_normal():
    cases = []
    for s in SEEDS:
        for n in SIZES + [1000]:
            for dt in (f32, f64):
                c = Case("randn/%s/%s/n%d" % (dname(dt), sid(s), n), s)
                c.randn([n], dt)
                cases.append(c)
        for dt in (f16, bf16):
            for n in (7, 16, 33, 100):
                c = Case("randn/%s/%s/n%d" % (dname(dt), sid(s), n), s)
                c.randn([n], dt)
                cases.append(c)
    # long runs: many draws, to count any glibc / AVX emulation differences
    for dt in (f32, f64):
        c = Case("randn/%s/long" % dname(dt), 20231)
        for n in (4096, 4099, 20000):
            c.randn([n], dt)
        cases.append(c)
        c = Case("randn/%s/scalar_path_long" % dname(dt), 77)
        for _ in range(200):
            c.randn([15], dt)
        cases.append(c)
    # the cached second Box-Muller value interleaved with other draws
    for dt in (f32, f64):
        c = Case("randn/%s/interleave" % dname(dt), 123)
        c.randn([1], dt)
        c.get_state()
        c.rand([3])
        c.randn([1], dt)
        c.randn([3], dt)
        c.randn([16], dt)  # the 16-wide path neither uses nor clears the cache
        c.get_state()
        c.randn([1], dt)
        c.randint(0, 10, [2])
        c.randn([5], dt)
        c.get_state()
        cases.append(c)
    # normal_ with mean/std, layouts (non-contiguous takes the scalar path)
    for dt in (f32, f64, f16, bf16):
        for (m, sd) in [(0.5, 2.5), (-3.0, 0.1), (1e3, 1.5), (0, 1)]:
            for shape, layout in [([20], "contiguous"), ([4, 5], "transposed"), ([5, 4], "step2"), ([3, 3], "contiguous")]:
                c = Case("normal_/%s/%s_%s/%s/%s" % (dname(dt), m, sd, "x".join(map(str, shape)), layout), 31)
                c.inplace(shape, dt, layout, "normal_", m, sd)
                cases.append(c)
    # torch.normal overloads
    g = torch.Generator().manual_seed(5)
    mean32 = torch.randn(3, 6, generator=g)
    std32 = torch.rand(3, 6, generator=g) * 2
    mean64 = mean32.double() * 3
    std64 = std32.double()
    for dt, mean, std in [(f32, mean32, std32), (f64, mean64, std64)]:
        c = Case("normal/overloads/%s" % dname(dt), 8)
        c.normal(mean, 0.7)
        c.normal(mean, 1)
        c.normal(1.5, std)
        c.normal(mean, std)
        c.normal(mean[:1], std)  # broadcast
        c.normal(0.25, 3.5, [4, 5], dt)
        c.normal(-1, 2, [40], dt)
        cases.append(c)
    c = Case("randn_like/global", 6, gen="global")
    c.like("randn_like", torch.zeros(4, 5))
    c.like("randn_like", torch.zeros(33, dtype=f64))
    c.like("randn_like", torch.zeros(5, 7).t())  # 35 elements, not contiguous: the scalar path
    c.like("randn_like", torch.zeros(2, 3, 4).permute(2, 0, 1))
    cases.append(c)
    return cases


def gen_integers():
    cases = []
    for s in SEEDS:
        c = Case("randint/%s" % sid(s), s)
        c.randint(0, 10, [17])
        c.randint(-5, 5, [16])
        c.randint(0, 2**32, [5])
        c.randint(0, 2**32 + 1, [5])
        c.randint(-(2**62), 2**62, [5])
        c.randint(3, 4, [3])
        c.randint(0, 100, [8], i32)
        c.randint(0, 2**31 - 1, [4], i32)
        c.randint(0, 256, [6], u8)
        c.randint(0, 2, [6], b8)
        c.randint(0, 1000, [6], f32)
        c.randint(0, 2**40, [4], f32)
        c.randint(0, 2**40, [4], f64)
        c.randint(-7, 9, [5], f16)
        c.randint(-7, 9, [5], bf16)
        cases.append(c)
        c = Case("randperm/%s" % sid(s), s)
        for n in (0, 1, 2, 10, 17, 100, 1000):
            c.randperm(n)
        c.randperm(30, i32)
        c.randperm(30, f32)
        c.randperm(30, f64)
        cases.append(c)
    for dt in (i64, i32, u8, b8, f32, f64, f16, bf16):
        for layout in ("contiguous", "transposed"):
            c = Case("random_/%s/%s" % (dname(dt), layout), 17)
            c.inplace([3, 5], dt, layout, "random_")
            if dt == b8:
                c.inplace([3, 5], dt, layout, "random_", 2)
                c.inplace([3, 5], dt, layout, "random_", 0, 2)
            elif dt == u8:
                c.inplace([3, 5], dt, layout, "random_", 200)
                c.inplace([3, 5], dt, layout, "random_", 3, 9)
                c.inplace([3, 5], dt, layout, "random_", 7, None)
            else:
                c.inplace([3, 5], dt, layout, "random_", 100)
                c.inplace([3, 5], dt, layout, "random_", -50, 50)
                c.inplace([3, 5], dt, layout, "random_", 5, None)
            if dt in (i64, f32, f64, bf16):
                c.inplace([3, 5], dt, layout, "random_", -(2**63), None)
            if dt in (i64, f64, f32):
                c.inplace([3, 5], dt, layout, "random_", -(2**40), 2**40)
            cases.append(c)
    c = Case("randint_like/global", 13, gen="global")
    c.like("randint_like", torch.zeros(3, 4), 10)
    c.like("randint_like", torch.zeros(6, dtype=i64), -3, 3)
    c.like("randint_like", torch.zeros(3, 5).t(), 100)
    cases.append(c)
    return cases


def gen_distributions():
    cases = []
    g = torch.Generator().manual_seed(99)
    p32 = torch.rand(4, 9, generator=g)
    p64 = p32.double()
    for s in SEEDS[:3]:
        c = Case("bernoulli/%s" % sid(s), s)
        c.bernoulli(p32)
        c.bernoulli(p64)
        c.bernoulli(p32, 0.3)
        c.bernoulli(torch.zeros(17, dtype=f64), 0.75)
        c.inplace([5, 6], f32, "contiguous", "bernoulli_", 0.4)
        c.inplace([5, 6], f32, "transposed", "bernoulli_", 0.4)
        c.inplace([5, 6], i64, "contiguous", "bernoulli_", 0.5)
        c.inplace([5, 6], b8, "contiguous", "bernoulli_", 0.5)
        c.inplace([4, 9], f32, "contiguous", "bernoulli_", p32)
        c.inplace([4, 9], f64, "contiguous", "bernoulli_", p64)
        c.inplace([4, 9], f32, "contiguous", "bernoulli_", p32[:1])  # broadcast p
        cases.append(c)
    for s in (0, 42):
        c = Case("dropout/%s" % sid(s), s, gen="global")
        x = torch.linspace(-3, 3, 60).reshape(6, 10)
        c.dropout(x, 0.5)
        c.dropout(x, 0.1)
        c.dropout(x, 0.9)
        c.dropout(x.double(), 0.3)
        c.dropout(x, 0.5, False)
        c.dropout(x, 1.0)
        cases.append(c)
    probs1 = torch.tensor([0.1, 0.0, 0.3, 0.6, 0.05, 0.2, 0.01, 0.4])
    probs2 = torch.rand(3, 10, generator=g) + 0.01
    for s in SEEDS[:3]:
        for dt in (f32, f64):
            c = Case("multinomial/%s/%s" % (dname(dt), sid(s)), s)
            c.multinomial(probs1.to(dt), 1, True)
            c.multinomial(probs1.to(dt), 20, True)
            c.multinomial(probs2.to(dt), 7, True)
            c.multinomial(probs1.to(dt), 1, False)
            c.multinomial(probs1.to(dt), 5, False)
            c.multinomial(probs2.to(dt), 4, False)
            c.multinomial(probs2.to(dt), 1, False)
            cases.append(c)
    c = Case("multinomial/bfloat16", 3)
    c.multinomial(probs1.to(bf16), 30, True)
    c.multinomial(probs2.to(bf16), 9, True)
    c.multinomial(probs2.to(bf16), 4, False)
    cases.append(c)
    c = Case("multinomial/float32/transposed", 21)
    c.multinomial(probs2.t().contiguous().t(), 3, False)  # non-contiguous probabilities
    c.multinomial(probs2.t().contiguous().t(), 3, True)
    cases.append(c)
    for dt in (f32, f64, f16, bf16):
        for s in SEEDS[:3]:
            c = Case("exponential_/%s/%s" % (dname(dt), sid(s)), s)
            c.inplace([40], dt, "contiguous", "exponential_")
            c.inplace([5, 7], dt, "transposed", "exponential_", 2.5)
            c.inplace([5, 7], dt, "contiguous", "exponential_", 0.3)
            cases.append(c)
            c = Case("cauchy_/%s/%s" % (dname(dt), sid(s)), s)
            c.inplace([40], dt, "contiguous", "cauchy_")
            c.inplace([5, 7], dt, "transposed", "cauchy_", -1.5, 0.25)
            cases.append(c)
            c = Case("log_normal_/%s/%s" % (dname(dt), sid(s)), s)
            c.inplace([40], dt, "contiguous", "log_normal_")
            c.inplace([5, 7], dt, "transposed", "log_normal_", 0.5, 0.75)
            c.randn([1], f64)  # the shared cached normal
            cases.append(c)
    for dt in (f32, f64, i64, i32):
        for s in SEEDS[:3]:
            c = Case("geometric_/%s/%s" % (dname(dt), sid(s)), s)
            c.inplace([40], dt, "contiguous", "geometric_", 0.3)
            c.inplace([5, 7], dt, "transposed", "geometric_", 0.05)
            c.inplace([10], dt, "contiguous", "geometric_", 0.999)
            cases.append(c)
    return cases


def gen_libm():
    """glibc's double log/sin/cos/sincos/exp/tan (the functions PyTorch's float64 draws call), on
    inputs drawn like the random kernels' arguments plus wide ranges. On an x86-64 CPU with FMA,
    glibc 2.36 runs its *_fma variants; that is recorded per case (the results depend on it)."""
    import ctypes
    import ctypes.util
    import platform

    import numpy as np

    libm = ctypes.CDLL(ctypes.util.find_library("m"))
    for f in ("log", "sin", "cos", "exp", "tan"):
        getattr(libm, f).restype = ctypes.c_double
        getattr(libm, f).argtypes = [ctypes.c_double]
    libm.sincos.argtypes = [ctypes.c_double, ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_double)]
    libm.logf.restype = ctypes.c_float
    libm.logf.argtypes = [ctypes.c_float]
    libm.sincosf.argtypes = [ctypes.c_float, ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_float)]
    gnu_get_libc_version = ctypes.CDLL(None).gnu_get_libc_version
    gnu_get_libc_version.restype = ctypes.c_char_p
    glibc = gnu_get_libc_version().decode()
    flags = open("/proc/cpuinfo").read().split("flags")[1].split("\n")[0].split() if platform.system() == "Linux" else []
    variant = "fma" if "fma" in flags and "avx2" in flags else "sse2"
    rng = np.random.default_rng(20240611)
    N = 1500

    def u53(n):
        return rng.integers(0, 2**53, n, dtype=np.int64).astype(np.float64) * 2.0**-53

    def hexs(a):
        return np.asarray(a, dtype=np.float64).astype(">f8").tobytes().hex()

    inputs = {
        "log": np.concatenate([1 - u53(N), u53(N), 1 - u53(N) * 2.0**-4, 1 + (u53(N) - 0.5) * 0.2,
                               np.exp(rng.uniform(-700, 700, N)), [1.0, 0.5, 2.0, 1e-310, 5e-324, 0.9375, 1.064697265625]]),
        "sincos": np.concatenate([2 * np.pi * u53(N), rng.uniform(-10, 10, N), rng.uniform(0.8, 2.5, N),
                                  rng.uniform(-1e6, 1e6, N), rng.uniform(-0.2, 0.2, N), [0.0, 1e-9, np.pi, 2 * np.pi]]),
        "exp": np.concatenate([rng.normal(0, 1, N), rng.uniform(-745, 709, N), rng.normal(0, 3, N),
                               rng.uniform(-746, -700, N), [0.0, 1e-300, -1e-300, 709.7, -745.1]]),
        "tan": np.concatenate([np.pi * (u53(N) - 0.5), rng.uniform(-0.8, 0.8, N), rng.uniform(-25, 25, N),
                               rng.uniform(-1e8, 1e8, N), [0.0, 1e-9, -1e-9, 0.0608, 0.787, 1.5707963267948966]]),
    }
    cases = []
    for fn, x in inputs.items():
        x = np.asarray(x, dtype=np.float64)
        if fn == "sincos":
            s, c = ctypes.c_double(), ctypes.c_double()
            ys, yc, y1, y2 = [], [], [], []
            for v in x:
                libm.sincos(float(v), ctypes.byref(s), ctypes.byref(c))
                ys.append(s.value)
                yc.append(c.value)
                y1.append(libm.sin(float(v)))
                y2.append(libm.cos(float(v)))
            cases.append({"id": "libm/sincos", "fn": "sincos", "glibc": glibc, "variant": variant, "x": hexs(x),
                          "sin": hexs(ys), "cos": hexs(yc), "sin_alone": hexs(y1), "cos_alone": hexs(y2)})
        else:
            f = getattr(libm, fn)
            cases.append({"id": "libm/" + fn, "fn": fn, "glibc": glibc, "variant": variant, "x": hexs(x),
                          "y": hexs([f(float(v)) for v in x])})

    # float logf / sincosf (float16/bfloat16 normal_fill): every argument those kernels can pass
    # (1 - k/2^d and 2*pi*k/2^d rounded to the 16-bit type), plus random floats; float32 hex
    def hexf(a):
        return np.asarray(a, dtype=np.float32).astype(">f4").tobytes().hex()

    def r16(a, dt):
        return torch.tensor(np.asarray(a, dtype=np.float32)).to(dt).float().numpy()

    k11 = np.arange(2048) / 2048.0
    k8 = np.arange(256) / 256.0
    xs = np.concatenate([r16(1 - k11, f16), r16(1 - k8, bf16), rng.uniform(0, 1, N).astype(np.float32),
                         np.abs(rng.normal(0, 100, N)).astype(np.float32) + np.float32(1e-30)])
    cases.append({"id": "libm/logf", "fn": "logf", "glibc": glibc, "variant": variant, "x": hexf(xs),
                  "y": hexf([libm.logf(float(v)) for v in xs])})
    th = np.concatenate([r16((np.float32(2 * np.pi) * k11.astype(np.float32)), f16),
                         r16((np.float32(2 * np.pi) * k8.astype(np.float32)), bf16),
                         rng.uniform(-120, 120, N).astype(np.float32), rng.uniform(-0.8, 0.8, N).astype(np.float32)])
    s32, c32 = ctypes.c_float(), ctypes.c_float()
    ys, yc = [], []
    for v in th:
        libm.sincosf(float(v), ctypes.byref(s32), ctypes.byref(c32))
        ys.append(s32.value)
        yc.append(c32.value)
    cases.append({"id": "libm/sincosf", "fn": "sincosf", "glibc": glibc, "variant": variant, "x": hexf(th),
                  "sin": hexf(ys), "cos": hexf(yc)})
    return cases


GROUPS = {
    "generators": gen_generators,
    "uniform": gen_uniform,
    "normal": gen_normal,
    "integers": gen_integers,
    "distributions": gen_distributions,
    "libm": gen_libm,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                                  "test-vectors", "random"))
    ap.add_argument("--only", nargs="*")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name, fn in GROUPS.items():
        if a.only and name not in a.only:
            continue
        cases = [c if isinstance(c, dict) else c.json() for c in fn()]
        ids = [c["id"] for c in cases]
        assert len(ids) == len(set(ids)), "duplicate ids in %s" % name
        write_cases(os.path.join(a.out, name + ".json"), "tools/golden/gen_random.py", cases)
        print("%s: %d cases" % (name, len(cases)))


if __name__ == "__main__":
    main()
