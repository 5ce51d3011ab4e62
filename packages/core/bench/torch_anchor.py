"""PyTorch anchor for `pnpm bench` (packages/core/bench/reference.ts).

Run with Debian's python3 (/usr/bin/python3), which has python3-torch. Reads the workload list as
JSON from argv[1], runs each one single-threaded and prints one JSON object on stdout. Timing is
the same as the TypeScript side: warm-up runs, then the median of timed repetitions.
"""

import json
import os
import statistics
import sys
import time

import torch


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
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                name = os.path.basename(path)
                if any(k in name for k in ("blas", "mkl", "blis", "lapack")):
                    libs.add(os.path.realpath(path))
    except OSError:
        pass
    return sorted(libs)


def main():
    spec = json.loads(sys.argv[1])
    threads = int(spec.get("threads", 1))
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    results = {}
    for w in spec["workloads"]:
        kind, n, warmup, reps = w["kind"], w["n"], w["warmup"], w["reps"]
        if kind == "matmul":
            a = torch.rand(n, n, dtype=torch.float32) * 2 - 1
            b = torch.rand(n, n, dtype=torch.float32) * 2 - 1
            out = torch.empty(n, n, dtype=torch.float32)
            t, times = median_seconds(lambda: torch.matmul(a, b, out=out), warmup, reps)
            value, unit = 2 * n**3 / t / 1e9, "GFLOP/s"
        elif kind == "add":
            a = torch.rand(n, dtype=torch.float32) * 2 - 1
            b = torch.rand(n, dtype=torch.float32) * 2 - 1
            # A fresh output each call, as lockstep's functional add allocates one.
            t, times = median_seconds(lambda: torch.add(a, b), warmup, reps)
            value, unit = t / n * 1e9, "ns/element"
        elif kind == "sum":
            a = torch.rand(n, dtype=torch.float32) * 2 - 1
            t, times = median_seconds(lambda: a.sum().item(), warmup, reps)
            value, unit = n * 4 / t / 1e9, "GB/s"
        else:
            raise ValueError(f"unknown workload {kind}")
        results[w["name"]] = {
            "value": value,
            "unit": unit,
            "median_s": t,
            "reps": reps,
            "warmup": warmup,
            "times_s": times,
        }
    print(
        json.dumps(
            {
                "version": torch.__version__,
                "python": sys.version.split()[0],
                "executable": sys.executable,
                "threads": torch.get_num_threads(),
                "blas": loaded_blas(),
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
