// What is trained: the Fashion-MNIST trainer's models (apps/fashion-mnist) on the real data, or a
// synthetic stand-in of the same shape for quick runs and tests. Batches come from one seeded
// DataLoader on the host, so their order and bits are the same for every lane.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Tensor } from "@lockstep/core";
import * as torch from "@lockstep/core";
import { cnn, mlp } from "@lockstep/fashion-mnist/models";

export const WORKLOADS = ["mlp", "cnn", "tiny"] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

export const DEFAULT_DATA_ROOT = "/usr/share/datasets/fashion-mnist";

export interface Workload {
  name: WorkloadName;
  modelName: string;
  model: () => torch.nn.Module;
  /** Default step count: an MLP epoch (938 batches of 64), 200 CNN steps (the targets). */
  defaultSteps: (batchSize: number, trainSize: number) => number;
}

/** A small MLP on the same 28×28 inputs, for tests and quick runs; GELU brings in erf (a transcendental). */
function tiny(): torch.nn.Module {
  const { nn } = torch;
  return new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 16), new nn.GELU(), new nn.Linear(16, 10));
}

export const WORKLOAD: Record<WorkloadName, Workload> = {
  mlp: { name: "mlp", modelName: "MLP 784-256-128-10 (ReLU)", model: mlp, defaultSteps: (b, n) => Math.ceil(n / b) },
  cnn: { name: "cnn", modelName: "CNN 2×(conv3×3+ReLU+maxpool 2) + 128 + 10", model: cnn, defaultSteps: () => 200 },
  tiny: { name: "tiny", modelName: "MLP 784-16-10 (GELU)", model: tiny, defaultSteps: () => 20 },
};

export interface DataSource {
  name: string;
  /** Training samples (an epoch is ceil(size / batchSize) steps). */
  size: number;
  /** A seeded loader whose generator carries on across epochs (as a trainer's does). */
  loader: (batchSize: number, seed: number) => () => AsyncIterable<[Tensor, Tensor]>;
}

export const haveFashionMnist = (root = DEFAULT_DATA_ROOT): boolean => existsSync(join(root, "train-images-idx3-ubyte.gz"));

/** Fashion-MNIST's training set normalised as the trainer does (mean 0.286, std 0.353). */
export function fashionMnist(root = DEFAULT_DATA_ROOT, limit?: number): DataSource {
  const T = torch.transforms;
  const full = new torch.datasets.FashionMNIST({
    root,
    train: true,
    transform: T.compose([T.toTensor(), T.normalize([0.286], [0.353])]),
  }) as torch.utils.data.Dataset<[Tensor, number]>;
  const n = limit === undefined ? full.length : Math.min(limit, full.length);
  const ds =
    n === full.length
      ? full
      : new torch.utils.data.Subset(
          full,
          Array.from({ length: n }, (_, i) => i),
        );
  return {
    name: limit === undefined ? "Fashion-MNIST train (60,000)" : `Fashion-MNIST train (first ${n})`,
    size: n,
    loader: loaderOf(ds),
  };
}

/** Random images (N(0,1), 1×side×side) with random labels, fixed by the seed: a quick run's data. */
export function synthetic(size: number, side: number, seed: number): DataSource {
  const g = new torch.Generator().manualSeed(seed);
  const x = torch.randn([size, 1, side, side], { generator: g, device: "reference" });
  const y = torch.randint(0, 10, [size], { generator: g, device: "reference" });
  const ds = new torch.utils.data.TensorDataset(x, y) as unknown as torch.utils.data.Dataset<[Tensor, Tensor]>;
  return { name: `synthetic ${size}×1×${side}×${side} (seed ${seed})`, size, loader: loaderOf(ds) };
}

function loaderOf<T>(ds: torch.utils.data.Dataset<T>): DataSource["loader"] {
  return (batchSize, seed) => {
    const loader = new torch.utils.data.DataLoader(ds, {
      batchSize,
      shuffle: true,
      generator: new torch.Generator().manualSeed(seed),
    });
    return () => loader as unknown as AsyncIterable<[Tensor, Tensor]>;
  };
}
