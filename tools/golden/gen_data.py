#!/usr/bin/python3
"""Generate test-vectors/data/*.json: goldens for torch.utils.data (samplers, DataLoader orders,
worker seeding) and for the random transforms, from Debian's PyTorch.

Run with Debian's interpreter: /usr/bin/python3 tools/golden/gen_data.py [--out DIR]

Files:
  samplers.json    RandomSampler (with/without replacement, num_samples, with and without a
                   generator), SubsetRandomSampler, WeightedRandomSampler, random_split (lengths
                   and fractions, explicit and default generator).
  loader.json      DataLoader(shuffle=True, generator=...) orders over several seeds, sizes,
                   batch sizes and drop_last, 2 epochs each, with each epoch's base seed.
  workers.json     num_workers=2 (and 3): which worker made each batch, the global-generator
                   draws made inside workers (torch.manual_seed(base_seed + worker_id)), the
                   seed_worker recipe (a generator seeded with torch.initial_seed() % 2**32 in
                   worker_init_fn), persistent workers over 2 epochs, an IterableDataset.
  transforms.json  RandomHorizontalFlip / RandomCrop as torchvision 0.14 draws them
                   (torch.rand(1) < p; i then j from torch.randint(0, n, (1,))), with a generator,
                   plus ToTensor/Normalize bits.

int64 values that may exceed 2**53 (base seeds, initial seeds, next draws) are decimal strings.
"next_int64" is one int64 random_() drawn from the generator after the case ran: it checks that
the case consumed exactly PyTorch's number of draws (e.g. the randperm(n)[:0] RandomSampler draws
at the end of every pass).
"""
import argparse
import json
import os
import sys

import torch
from torch.utils.data import (BatchSampler, DataLoader, Dataset, IterableDataset, RandomSampler,
                              SubsetRandomSampler, WeightedRandomSampler, get_worker_info,
                              random_split)

sys.path.insert(0, os.path.dirname(__file__))
from common import encode_tensor, write_cases  # noqa: E402

GEN = "tools/golden/gen_data.py"
torch.set_num_threads(1)


def gen(seed):
    return torch.Generator().manual_seed(seed)


def next_int64(g=None):
    return str(torch.empty((), dtype=torch.int64).random_(generator=g).item())


def to_plain(x):
    """Batches (tensors, lists, dicts, strings) to JSON values."""
    if isinstance(x, torch.Tensor):
        return x.tolist()
    if isinstance(x, (list, tuple)):
        return [to_plain(v) for v in x]
    if isinstance(x, dict):
        return {k: to_plain(v) for k, v in x.items()}
    return x


# ---------------------------------------------------------------- samplers.json
def samplers():
    cases = []
    seeds = [0, 1, 42, 2**32 + 5, 987654321]
    for n in [1, 2, 5, 10, 100]:
        for s in seeds:
            g = gen(s)
            out = list(RandomSampler(range(n), generator=g))
            cases.append({"id": "RandomSampler/n%d/seed%d" % (n, s), "kind": "RandomSampler", "n": n,
                          "replacement": False, "num_samples": None, "generator_seed": str(s),
                          "out": out, "next_int64": next_int64(g)})
    # num_samples other than n, without replacement: whole permutations, then a prefix of one
    for n, k in [(5, 12), (5, 10), (7, 3), (4, 4)]:
        for s in [0, 7]:
            g = gen(s)
            out = list(RandomSampler(range(n), num_samples=k, generator=g))
            cases.append({"id": "RandomSampler/n%d/k%d/seed%d" % (n, k, s), "kind": "RandomSampler", "n": n,
                          "replacement": False, "num_samples": k, "generator_seed": str(s),
                          "out": out, "next_int64": next_int64(g)})
    # with replacement: randint in chunks of 32
    for n, k in [(10, None), (10, 5), (3, 32), (1000, 33), (7, 70)]:
        for s in [0, 3]:
            g = gen(s)
            out = list(RandomSampler(range(n), replacement=True, num_samples=k, generator=g))
            cases.append({"id": "RandomSampler/replacement/n%d/k%s/seed%d" % (n, k, s), "kind": "RandomSampler",
                          "n": n, "replacement": True, "num_samples": k, "generator_seed": str(s),
                          "out": out, "next_int64": next_int64(g)})
    # no generator: a fresh generator seeded from one int64 draw of the global generator
    for n, repl in [(10, False), (6, True)]:
        for s in [0, 5]:
            torch.manual_seed(s)
            out = list(RandomSampler(range(n), replacement=repl))
            cases.append({"id": "RandomSampler/global/n%d/repl%d/seed%d" % (n, repl, s), "kind": "RandomSampler",
                          "n": n, "replacement": repl, "num_samples": None, "generator_seed": None,
                          "global_seed": str(s), "out": out, "next_int64": next_int64()})
    for idx in [[10, 20, 30, 40, 50, 5, 7], [3], list(range(100, 140))]:
        for s in [0, 11]:
            g = gen(s)
            out = list(SubsetRandomSampler(idx, generator=g))
            cases.append({"id": "SubsetRandomSampler/len%d/seed%d" % (len(idx), s), "kind": "SubsetRandomSampler",
                          "indices": idx, "generator_seed": str(s), "out": out, "next_int64": next_int64(g)})
    weights = [[0.1, 0.9, 0.4, 0.7, 3.0, 0.6], [0.9, 0.4, 0.05, 0.2, 0.3, 0.1], [1, 2, 3, 4]]
    for w in weights:
        for k, repl in [(5, True), (20, True), (1, True), (4, False), (1, False)]:
            if not repl and k > sum(1 for v in w if v > 0):
                continue
            for s in [0, 9]:
                g = gen(s)
                out = list(WeightedRandomSampler(w, k, replacement=repl, generator=g))
                cases.append({"id": "WeightedRandomSampler/%s/k%d/repl%d/seed%d" % ("_".join(map(str, w)), k, repl, s),
                              "kind": "WeightedRandomSampler", "weights": w, "num_samples": k, "replacement": repl,
                              "generator_seed": str(s), "out": out, "next_int64": next_int64(g)})
    splits = [(10, [3, 7]), (30, [0.3, 0.3, 0.4]), (11, [0.5, 0.5]), (10, [0.1, 0.2, 0.3, 0.4]),
              (7, [0.25, 0.25, 0.5]), (5, [5, 0]), (12, [4, 4, 4])]
    for n, lengths in splits:
        for s in [0, 42]:
            g = gen(s)
            parts = random_split(range(n), lengths, generator=g)
            cases.append({"id": "random_split/n%d/%s/seed%d" % (n, "_".join(map(str, lengths)), s),
                          "kind": "random_split", "n": n, "lengths": lengths, "generator_seed": str(s),
                          "out": [list(p.indices) for p in parts], "next_int64": next_int64(g)})
    for s in [0, 3]:
        torch.manual_seed(s)
        parts = random_split(range(9), [0.5, 0.5])
        cases.append({"id": "random_split/global/seed%d" % s, "kind": "random_split", "n": 9, "lengths": [0.5, 0.5],
                      "generator_seed": None, "global_seed": str(s), "out": [list(p.indices) for p in parts],
                      "next_int64": next_int64()})
    return cases


# ---------------------------------------------------------------- loader.json
class Range(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i


def loader():
    cases = []
    seeds = [0, 1, 42, 2**32 + 5, 2**40 + 3, 987654321]
    configs = [(10, 3, False), (10, 3, True), (10, 5, False), (1, 1, False), (7, 2, True), (64, 16, False),
               (100, 7, False), (1000, 64, False)]
    for n, bs, dl in configs:
        for s in seeds:
            g = gen(s)
            ld = DataLoader(Range(n), batch_size=bs, shuffle=True, drop_last=dl, generator=g)
            epochs = []
            for _ in range(2):
                it = iter(ld)
                base = it._base_seed
                batches = [b.tolist() for b in it]
                epochs.append({"base_seed": str(base), "batches": batches})
            cases.append({"id": "shuffle/n%d/bs%d/drop%d/seed%d" % (n, bs, dl, s), "n": n, "batch_size": bs,
                          "drop_last": dl, "shuffle": True, "generator_seed": str(s), "epochs": epochs,
                          "next_int64": next_int64(g)})
    # no shuffle: the base seed is still drawn from the generator
    for s in [0, 5]:
        g = gen(s)
        ld = DataLoader(Range(5), batch_size=2, shuffle=False, generator=g)
        epochs = []
        for _ in range(2):
            it = iter(ld)
            epochs.append({"base_seed": str(it._base_seed), "batches": [b.tolist() for b in it]})
        cases.append({"id": "sequential/n5/bs2/seed%d" % s, "n": 5, "batch_size": 2, "drop_last": False,
                      "shuffle": False, "generator_seed": str(s), "epochs": epochs, "next_int64": next_int64(g)})
    # breaking early: the sampler's remaining draws never happen
    for s in [0, 42]:
        g = gen(s)
        ld = DataLoader(Range(10), batch_size=3, shuffle=True, generator=g)
        it = iter(ld)
        first = next(it).tolist()
        cases.append({"id": "break_after_one/n10/bs3/seed%d" % s, "n": 10, "batch_size": 3, "drop_last": False,
                      "shuffle": True, "generator_seed": str(s), "take": 1,
                      "epochs": [{"base_seed": str(it._base_seed), "batches": [first]}], "next_int64": next_int64(g)})
    # global generator (no generator argument)
    for s in [0, 9]:
        torch.manual_seed(s)
        ld = DataLoader(Range(10), batch_size=4, shuffle=True)
        it = iter(ld)
        base = it._base_seed
        cases.append({"id": "global/n10/bs4/seed%d" % s, "n": 10, "batch_size": 4, "drop_last": False, "shuffle": True,
                      "generator_seed": None, "global_seed": str(s),
                      "epochs": [{"base_seed": str(base), "batches": [b.tolist() for b in it]}],
                      "next_int64": next_int64()})
    return cases


# ---------------------------------------------------------------- workers.json
RECIPE_GEN = None


def seed_worker(worker_id):
    # The documented recipe, with a torch.Generator standing in for numpy/random.
    global RECIPE_GEN
    worker_seed = torch.initial_seed() % 2**32
    RECIPE_GEN = torch.Generator().manual_seed(worker_seed)


class Draws(Dataset):
    """Each item: its index, the worker that made it, two draws from the worker's global generator,
    one from the recipe generator (or -1), and the worker's torch.initial_seed() as a string."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        info = get_worker_info()
        return {
            "index": i,
            "worker": -1 if info is None else info.id,
            "draw": torch.randint(0, 1000000, (2,)),
            "recipe": -1 if RECIPE_GEN is None else int(torch.randint(0, 1000000, (1,), generator=RECIPE_GEN).item()),
            "seed": str(torch.initial_seed()),
        }


class Stream(IterableDataset):
    """Yields range(n) split evenly between workers (get_worker_info), with one draw each."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            lo, hi = 0, self.n
        else:
            per = -(-self.n // info.num_workers)
            lo, hi = info.id * per, min(self.n, (info.id + 1) * per)
        for i in range(lo, hi):
            yield {"value": i, "worker": -1 if info is None else info.id, "draw": torch.randint(0, 1000, (1,))}


def run_epochs(ld, epochs):
    out = []
    for _ in range(epochs):
        it = iter(ld)
        out.append({"base_seed": str(it._base_seed), "batches": [to_plain(b) for b in it]})
    return out


def workers():
    cases = []
    for nw in [2, 3]:
        for s in [0, 42, 2**32 + 5]:
            for recipe in [False, True]:
                g = gen(s)
                ld = DataLoader(Draws(11), batch_size=2, shuffle=True, num_workers=nw, generator=g,
                                worker_init_fn=seed_worker if recipe else None)
                cases.append({"id": "draws/nw%d/seed%d/recipe%d" % (nw, s, recipe), "dataset": "Draws", "n": 11,
                              "batch_size": 2, "shuffle": True, "drop_last": False, "num_workers": nw,
                              "persistent_workers": False, "recipe": recipe, "generator_seed": str(s),
                              "epochs": run_epochs(ld, 2), "next_int64": next_int64(g)})
    for nw in [2]:
        for s in [0, 7]:
            for recipe in [False, True]:
                g = gen(s)
                ld = DataLoader(Draws(9), batch_size=2, shuffle=True, num_workers=nw, generator=g,
                                persistent_workers=True, worker_init_fn=seed_worker if recipe else None)
                epochs = run_epochs(ld, 2)
                cases.append({"id": "persistent/nw%d/seed%d/recipe%d" % (nw, s, recipe), "dataset": "Draws", "n": 9,
                              "batch_size": 2, "shuffle": True, "drop_last": False, "num_workers": nw,
                              "persistent_workers": True, "recipe": recipe, "generator_seed": str(s),
                              "epochs": epochs, "next_int64": next_int64(g)})
                del ld
    # prefetch_factor and drop_last do not change the order
    for pf in [1, 3]:
        g = gen(1)
        ld = DataLoader(Draws(10), batch_size=3, shuffle=True, drop_last=True, num_workers=2, generator=g,
                        prefetch_factor=pf)
        cases.append({"id": "draws/nw2/pf%d/drop/seed1" % pf, "dataset": "Draws", "n": 10, "batch_size": 3,
                      "shuffle": True, "drop_last": True, "num_workers": 2, "persistent_workers": False,
                      "prefetch_factor": pf, "recipe": False, "generator_seed": "1",
                      "epochs": run_epochs(ld, 1), "next_int64": next_int64(g)})
    # IterableDataset: each worker iterates its own copy; batch k comes from worker k % num_workers
    for nw, n, bs in [(2, 10, 2), (2, 7, 3), (3, 10, 2)]:
        g = gen(0)
        ld = DataLoader(Stream(n), batch_size=bs, num_workers=nw, generator=g)
        cases.append({"id": "stream/nw%d/n%d/bs%d" % (nw, n, bs), "dataset": "Stream", "n": n, "batch_size": bs,
                      "shuffle": False, "drop_last": False, "num_workers": nw, "persistent_workers": False,
                      "recipe": False, "generator_seed": "0", "epochs": run_epochs(ld, 1),
                      "next_int64": next_int64(g)})
    # Single-process reference for the same dataset (draws come from the main global generator)
    for s in [0]:
        torch.manual_seed(123)
        g = gen(s)
        ld = DataLoader(Draws(5), batch_size=2, shuffle=True, num_workers=0, generator=g)
        cases.append({"id": "draws/nw0/seed%d/global123" % s, "dataset": "Draws", "n": 5, "batch_size": 2,
                      "shuffle": True, "drop_last": False, "num_workers": 0, "persistent_workers": False,
                      "recipe": False, "generator_seed": str(s), "global_seed": "123",
                      "epochs": run_epochs(ld, 1), "next_int64": next_int64(g)})
    return cases


# ---------------------------------------------------------------- transforms.json
def hflip_params(g, p, count):
    # torchvision.transforms.RandomHorizontalFlip.forward: `if torch.rand(1) < self.p: hflip`
    return [bool(torch.rand(1, generator=g) < p) for _ in range(count)]


def crop_params(g, h, w, th, tw):
    # torchvision.transforms.RandomCrop.get_params
    if h == th and w == tw:
        return 0, 0
    i = torch.randint(0, h - th + 1, size=(1,), generator=g).item()
    j = torch.randint(0, w - tw + 1, size=(1,), generator=g).item()
    return i, j


def transforms():
    cases = []
    for s in [0, 1, 42]:
        for p in [0.5, 0.1, 0.9]:
            g = gen(s)
            cases.append({"id": "hflip/p%s/seed%d" % (p, s), "kind": "randomHorizontalFlip", "p": p,
                          "generator_seed": str(s), "flips": hflip_params(g, p, 40), "next_int64": next_int64(g)})
    img = torch.arange(2 * 5 * 6, dtype=torch.uint8).reshape(2, 5, 6)
    for s in [0, 3]:
        g = gen(s)
        flips = []
        outs = []
        for _ in range(4):
            f = bool(torch.rand(1, generator=g) < 0.5)
            flips.append(f)
            outs.append(encode_tensor(img.flip(-1) if f else img, whole_storage=False))
        cases.append({"id": "hflip/image/seed%d" % s, "kind": "randomHorizontalFlipImage", "p": 0.5,
                      "generator_seed": str(s), "input": encode_tensor(img, whole_storage=False), "flips": flips,
                      "outs": outs, "next_int64": next_int64(g)})
    for (h, w), size, pad in [((28, 28), (28, 28), 4), ((28, 28), (24, 24), 0), ((5, 6), (3, 4), 1),
                              ((5, 6), (5, 6), 0), ((32, 32), (32, 32), 4)]:
        for s in [0, 5]:
            g = gen(s)
            params = []
            for _ in range(10):
                params.append(list(crop_params(g, h + 2 * pad, w + 2 * pad, size[0], size[1])))
            cases.append({"id": "crop/%dx%d/size%dx%d/pad%d/seed%d" % (h, w, size[0], size[1], pad, s),
                          "kind": "randomCrop", "height": h, "width": w, "size": list(size), "padding": pad,
                          "generator_seed": str(s), "params": params, "next_int64": next_int64(g)})
    # a padded crop of a real image, as tensors (F.pad constant 0, then [..., i:i+h, j:j+w])
    g = gen(2)
    img = torch.arange(1, 1 + 3 * 5 * 6, dtype=torch.float32).reshape(3, 5, 6) / 7
    padded = torch.nn.functional.pad(img, [1, 1, 1, 1])
    outs = []
    params = []
    for _ in range(3):
        i, j = crop_params(g, 7, 8, 4, 4)
        params.append([i, j])
        outs.append(encode_tensor(padded[..., i:i + 4, j:j + 4], whole_storage=False))
    cases.append({"id": "crop/image/seed2", "kind": "randomCropImage", "size": [4, 4], "padding": 1,
                  "generator_seed": "2", "input": encode_tensor(img, whole_storage=False), "params": params,
                  "outs": outs, "next_int64": next_int64(g)})
    # ToTensor (uint8 HWC -> float32 CHW / 255) and Normalize ((x - mean) / std in float32)
    u8 = torch.arange(0, 256, dtype=torch.int64).remainder(256).to(torch.uint8)
    hwc = torch.cat([u8, u8.flip(0)]).reshape(8, 16, 4)  # H=8, W=16, C=4
    chw = hwc.permute(2, 0, 1).contiguous().to(torch.float32).div(255)
    cases.append({"id": "toTensor/hwc", "kind": "toTensor", "input": encode_tensor(hwc, whole_storage=False),
                  "out": encode_tensor(chw, whole_storage=False)})
    hw = u8.reshape(16, 16)
    cases.append({"id": "toTensor/hw", "kind": "toTensor", "input": encode_tensor(hw, whole_storage=False),
                  "out": encode_tensor(hw[None].to(torch.float32).div(255), whole_storage=False)})
    for mean, std in [([0.2860], [0.3530]), ([0.485, 0.456, 0.406, 0.5], [0.229, 0.224, 0.225, 0.25])]:
        x = chw[: len(mean)]
        m = torch.as_tensor(mean, dtype=torch.float32).view(-1, 1, 1)
        sd = torch.as_tensor(std, dtype=torch.float32).view(-1, 1, 1)
        y = x.clone().sub_(m).div_(sd)  # torchvision.transforms.functional.normalize
        cases.append({"id": "normalize/c%d" % len(mean), "kind": "normalize", "mean": mean, "std": std,
                      "input": encode_tensor(x, whole_storage=False), "out": encode_tensor(y, whole_storage=False)})
    return cases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "test-vectors", "data"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, fn in [("samplers", samplers), ("loader", loader), ("workers", workers), ("transforms", transforms)]:
        cases = fn()
        write_cases(os.path.join(args.out, name + ".json"), GEN, cases)
        print("%s: %d cases" % (name, len(cases)))


if __name__ == "__main__":
    main()
