"""PyTorch anchor for `pnpm bench` in packages/backend-cpu (bench/cpu.ts).

Run with Debian's python3 (/usr/bin/python3, python3-torch). A spec is a JSON object (every key
optional; bench/common.ts has the values):
{"threads": T, "matmul": [{"n", "warmup", "reps"}], "train": [{"name", "warmup", "steps", "reps"}],
 "elementwise": [{"op": "add"|"exp", "n", "warmup", "reps"}], "sum": {"n", "warmup", "reps"} | null,
 "overhead": {"size", "ops", "warmup", "reps"} | null}
`torch_cpu.py SPEC` runs it and prints one JSON object. `torch_cpu.py --serve THREADS` (what
bench/cpu.ts uses, so that each workload is timed next to lockstep's and tfjs's on a shared machine)
prints an info line, then answers each spec line on stdin with one JSON line. Timing matches the TypeScript side: warm-up, then the
median of timed repetitions; training figures are steps per second over `steps` consecutive steps;
elementwise ops allocate a fresh output each call (the functional op, as lockstep's and tfjs's do);
sum reads the scalar back with .item(); overhead is a loop of tiny adds whose results are freed by
refcount.
"""

import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn


def median_seconds(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter_ns()
        fn()
        times.append((time.perf_counter_ns() - t0) / 1e9)
    return statistics.median(times), times


def loaded_blas():
    """Shared libraries providing BLAS in this process (Debian picks them via alternatives)."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                name = os.path.basename(parts[-1]) if len(parts) >= 6 else ""
                if any(k in name for k in ("blas", "mkl", "blis", "lapack", "dnnl", "gomp")):
                    libs.add(os.path.realpath(parts[-1]))
    except OSError:
        pass
    return sorted(libs)


def mlp():
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))


def cnn():
    # apps/fashion-mnist's "2 Conv + pooling" model
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
    )


def train_case(name):
    if name == "mlp":
        model = mlp()
        x = torch.randn(64, 784)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    else:
        model = cnn()
        x = torch.randn(64, 1, 28, 28)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    y = torch.randint(0, 10, (64,))

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def uniform(n, seed):
    """Values in [-1, 1); the TypeScript side uses its own xorshift data of the same range."""
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, generator=g) * 2 - 1


def run(spec):
    """Time the workloads in `spec`; the result has the same keys."""
    out = {}
    if spec.get("matmul"):
        out["matmul"] = {}
        for w in spec["matmul"]:
            n = w["n"]
            a = torch.rand(n, n) * 2 - 1
            b = torch.rand(n, n) * 2 - 1
            res = torch.empty(n, n)
            t, times = median_seconds(lambda a=a, b=b, res=res: torch.matmul(a, b, out=res), w["warmup"], w["reps"])
            out["matmul"][str(n)] = {"gflops": 2 * n**3 / t / 1e9, "median_s": t, "times_s": times}
    if spec.get("train"):
        out["train"] = {}
        for w in spec["train"]:
            torch.manual_seed(0)
            step = train_case(w["name"])
            steps = w["steps"]

            def many(step=step, steps=steps):
                for _ in range(steps):
                    step()

            t, times = median_seconds(many, w["warmup"], w["reps"])
            out["train"][w["name"]] = {"steps_per_s": steps / t, "median_s": t, "times_s": times}
    if spec.get("elementwise"):
        out["elementwise"] = {}
        for w in spec["elementwise"]:
            n = w["n"]
            a, b = uniform(n, 1), uniform(n, 2)
            fn = (lambda a=a, b=b: torch.add(a, b)) if w["op"] == "add" else (lambda a=a: torch.exp(a))
            t, times = median_seconds(fn, w["warmup"], w["reps"])
            out["elementwise"][w["op"]] = {"ns_per_element": t / n * 1e9, "median_s": t, "times_s": times}
    if spec.get("sum"):
        w = spec["sum"]
        a = uniform(w["n"], 3)
        t, times = median_seconds(lambda: torch.sum(a).item(), w["warmup"], w["reps"])
        out["sum"] = {"ns_per_element": t / w["n"] * 1e9, "median_s": t, "times_s": times}
    if spec.get("overhead"):
        w = spec["overhead"]
        a = torch.arange(1, w["size"] + 1, dtype=torch.float32)
        b = torch.arange(5, w["size"] + 5, dtype=torch.float32)
        ops = w["ops"]

        def loop():
            for _ in range(ops):
                torch.add(a, b)

        t, times = median_seconds(loop, w["warmup"], w["reps"])
        out["overhead"] = {"us_per_op": t / ops * 1e6, "median_s": t, "times_s": times}
    return out


def info():
    return {
        "version": torch.__version__,
        "executable": sys.executable,
        "threads": torch.get_num_threads(),
        "blas": loaded_blas(),
    }


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "--serve":
        torch.set_num_threads(int(sys.argv[2]))
        torch.manual_seed(0)
        print(json.dumps(info()), flush=True)
        for line in sys.stdin:
            if line.strip():
                print(json.dumps(run(json.loads(line))), flush=True)
        return
    spec = json.loads(sys.argv[1])
    torch.set_num_threads(int(spec.get("threads", 1)))
    torch.manual_seed(0)
    print(json.dumps({**info(), **run(spec)}))


if __name__ == "__main__":
    main()
