// The two models of the Fashion-MNIST benchmark table (zalandoresearch/fashion-mnist):
// "MLPClassifier 256-128" and "2 Conv + pooling".
import * as torch from "@lockstep/core";

const { nn } = torch;

/** 784-256-128-10 with ReLU. */
export function mlp(): torch.nn.Module {
  return new nn.Sequential(
    new nn.Flatten(),
    new nn.Linear(784, 256),
    new nn.ReLU(),
    new nn.Linear(256, 128),
    new nn.ReLU(),
    new nn.Linear(128, 10),
  );
}

/** Two 3×3 conv layers (32, 64 channels), each with ReLU and 2×2 max pooling, then 128 hidden units. */
export function cnn(): torch.nn.Module {
  return new nn.Sequential(
    new nn.Conv2d(1, 32, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(64 * 7 * 7, 128),
    new nn.ReLU(),
    new nn.Linear(128, 10),
  );
}

/** Test accuracy reported for these architectures in the Fashion-MNIST benchmark. */
export const BENCHMARK = {
  mlp: { name: "MLP 256-128-100", accuracy: 0.8833 },
  cnn: { name: "2 Conv+pooling", accuracy: 0.916 },
} as const;
