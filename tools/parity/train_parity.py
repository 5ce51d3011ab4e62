#!/usr/bin/python3
"""Training parity with PyTorch, PyTorch's side (run with Debian's python3-torch: /usr/bin/python3).

Reads what train_parity.ts wrote for one configuration (<out>/<tag>.json, .init.safetensors,
.final.safetensors), trains the same model from the same initial weights on the same batches of
real Fashion-MNIST with the same optimizer and loss, and compares:
  - the batch order: PyTorch's own DataLoader(shuffle=True, generator=manual_seed(seed)) must give
    the sample indices lockstep recorded (lockstep's RandomSampler is PyTorch's, bit for bit);
  - the first batch's input tensor (toTensor + normalize), bitwise;
  - every step's loss (relative difference) and the final weights;
  - as a control, how sensitive the run itself is to rounding: PyTorch against PyTorch with every
    nonzero gradient element moved by -1, 0 or +1 ULP (seeded) at every step — what two correct
    float32 implementations that round differently look like. Where that control also exceeds the
    tolerance, the trajectory amplifies last-bit differences past it (chaos, or a knife-edge step that
    either side of a rounding decides), and only bit-identical arithmetic can stay within it.
Prints one JSON object (and writes <out>/<tag>.report.json). Needs no pip package: the safetensors
files are parsed here (8-byte little-endian header length, JSON header, raw little-endian data).

  /usr/bin/python3 tools/parity/train_parity.py --out DIR --tag mlp-adam [--data-root DIR]
"""

import argparse
import gzip
import json
import os
import struct
import sys
import time

import torch
from torch import nn

DTYPES = {
    "F32": torch.float32,
    "F64": torch.float64,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}


def read_safetensors(path):
    """name -> tensor, from a safetensors file (header length, JSON header, data section)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        begin, end = e["data_offsets"]
        dtype = DTYPES[e["dtype"]]
        buf = bytearray(raw[base + begin : base + end])
        t = torch.frombuffer(buf, dtype=dtype) if len(buf) else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(e["shape"]).clone()
    return out


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic, n = struct.unpack(">II", raw[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", raw[8:16])
        return torch.frombuffer(bytearray(raw[16:]), dtype=torch.uint8).reshape(n, 1, rows, cols)
    if magic == 2049:
        return torch.frombuffer(bytearray(raw[8:]), dtype=torch.uint8).to(torch.int64)
    raise ValueError(f"{path}: not an IDX image/label file (magic {magic})")


def build(model):
    if model == "mlp":
        return nn.Sequential(
            nn.Flatten(),
            nn.Linear(784, 256),
            nn.ReLU(),
            nn.Linear(256, 128),
            nn.ReLU(),
            nn.Linear(128, 10),
        )
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


def torch_batch_order(n, batch_size, seed, steps):
    """The first `steps` batches of PyTorch's own shuffling DataLoader (epochs roll over)."""
    loader = torch.utils.data.DataLoader(
        range(n), batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed)
    )
    order = []
    while len(order) < steps:
        for b in loader:
            order.append(b.tolist())
            if len(order) == steps:
                break
    return order


def f32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--tag", required=True)
    ap.add_argument("--data-root", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--tolerance", type=float, default=1e-5)
    ap.add_argument("--no-control", action="store_true", help="skip the one-ULP sensitivity control run")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    prefix = os.path.join(args.out, args.tag)
    with open(prefix + ".json") as f:
        ls = json.load(f)
    init = read_safetensors(prefix + ".init.safetensors")
    final_ls = read_safetensors(prefix + ".final.safetensors")
    steps = ls["steps"]

    images = read_idx(os.path.join(args.data_root, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(args.data_root, "train-labels-idx1-ubyte.gz"))
    mean = torch.tensor([ls["normalize"]["mean"]], dtype=torch.float32).view(-1, 1, 1)
    std = torch.tensor([ls["normalize"]["std"]], dtype=torch.float32).view(-1, 1, 1)

    def batch(idx):
        i = torch.tensor(idx, dtype=torch.int64)
        # torchvision: ToTensor (uint8 -> float32, / 255), Normalize (sub mean, div std), per sample
        x = images[i].to(torch.float32).div(255)
        x = x.sub(mean).div(std)
        return x, labels[i]

    order_matches = torch_batch_order(len(labels), ls["batchSize"], ls["seed"], steps) == ls["indices"]

    x0, _ = batch(ls["indices"][0])
    input_bitwise = bool(torch.equal(x0.view(torch.int32), init["input.batch0"].view(torch.int32)))

    def train(noise_seed=None):
        model = build(ls["model"])
        state = {k: init[k].clone() for k in ls["stateDictKeys"]}
        noise = torch.Generator().manual_seed(noise_seed) if noise_seed is not None else None
        model.load_state_dict(state, strict=True)
        model.train()
        if ls["optimizer"] == "sgd":
            opt = torch.optim.SGD(model.parameters(), lr=ls["lr"], momentum=ls["momentum"])
        else:
            opt = torch.optim.Adam(model.parameters(), lr=ls["lr"])
        losses = []
        for idx in ls["indices"]:
            x, y = batch(idx)
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            if noise is not None:  # the control: each gradient element -1, 0 or +1 ULP
                for p in model.parameters():
                    ulps = torch.randint(-1, 2, p.grad.shape, generator=noise, dtype=torch.int32)
                    p.grad.view(torch.int32).add_(ulps * (p.grad != 0))
            opt.step()
            losses.append(loss.item())
        return model, losses

    t0 = time.perf_counter()
    model, losses = train()
    seconds = time.perf_counter() - t0
    control = None
    if not args.no_control:
        _, perturbed = train(noise_seed=0)
        crel = [abs(a - b) / abs(b) for a, b in zip(perturbed, losses)]
        control = {
            "maxRelLossDiff": max(crel) if crel else None,
            "firstStepOverTolerance": next((i for i, r in enumerate(crel) if r > args.tolerance), None),
        }

    rel = [abs(a - b) / abs(b) for a, b in zip(ls["losses"], losses)]
    worst = max(range(len(rel)), key=lambda i: rel[i]) if rel else None
    equal_bits = sum(1 for a, b in zip(ls["losses"], losses) if f32_bits(a) == f32_bits(b))
    first_diff = next((i for i, (a, b) in enumerate(zip(ls["losses"], losses)) if f32_bits(a) != f32_bits(b)), None)
    weights = {}
    for k, v in model.state_dict().items():
        d = (final_ls[k] - v).abs()
        weights[k] = {
            "maxAbs": d.max().item(),
            "maxRel": (d / v.abs().clamp_min(1e-30)).max().item(),
            "bitwise": bool(torch.equal(final_ls[k].view(torch.int32), v.view(torch.int32))),
        }
    report = {
        "config": args.tag,
        "steps": steps,
        "batchOrderMatchesPyTorchDataLoader": order_matches,
        "firstBatchInputBitwise": input_bitwise,
        "maxRelLossDiff": max(rel) if rel else None,
        "maxRelLossDiffStep": worst,
        "firstStepOverTolerance": next((i for i, r in enumerate(rel) if r > args.tolerance), None),
        "meanRelLossDiff": sum(rel) / len(rel) if rel else None,
        "lossesBitwiseEqual": equal_bits,
        "firstStepLossBitsDiffer": first_diff,
        "firstLoss": {"lockstep": ls["losses"][0], "pytorch": losses[0]} if losses else None,
        "lastLoss": {"lockstep": ls["losses"][-1], "pytorch": losses[-1]} if losses else None,
        "finalWeightsMaxAbsDiff": max((w["maxAbs"] for w in weights.values()), default=None),
        "finalWeightsBitwise": all(w["bitwise"] for w in weights.values()),
        "pytorchUlpNoiseControl": control,
        "secondsPerStep": {"lockstep": ls["secondsPerStep"], "pytorch": seconds / max(1, steps)},
        "torch": torch.__version__,
        "torchThreads": torch.get_num_threads(),
    }
    with open(prefix + ".report.json", "w") as f:
        json.dump({**report, "relLossDiffs": rel}, f, indent=1)
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
