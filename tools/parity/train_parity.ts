// Training parity with PyTorch, lockstep's side: train the Fashion-MNIST trainer's model (the MLP
// or the CNN of apps/fashion-mnist/src/models.ts) on real Fashion-MNIST with the trainer's data
// pipeline (toTensor + normalize(0.286, 0.353), shuffled by a seeded generator, batches of 64) and
// record what train_parity.py needs to do the same in PyTorch and what it compares:
//   <out>/<tag>.init.safetensors   the initial weights (torch.save: safetensors) and the first batch's input
//   <out>/<tag>.final.safetensors  the weights after the last step
//   <out>/<tag>.json               the configuration, each step's sample indices and loss (float32 bits too)
// Run from the repository root:
//   npx tsx --conditions=source tools/parity/train_parity.ts --model mlp --optimizer adam --steps 200 --out DIR
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { cnn, mlp } from "../../apps/fashion-mnist/src/models.js";
import type { Tensor } from "../../packages/core/src/index.js";
import * as torch from "../../packages/core/src/index.js";

const { nn, optim } = torch;
const { data } = torch.utils;

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "mlp" },
    optimizer: { type: "string", default: "adam" },
    steps: { type: "string", default: "200" },
    "batch-size": { type: "string", default: "64" },
    seed: { type: "string", default: "0" },
    "max-seconds": { type: "string" },
    "data-root": { type: "string" },
    out: { type: "string", default: "parity-out" },
  },
});
const model = values.model as string;
const optimizer = values.optimizer as string;
if (model !== "mlp" && model !== "cnn") throw new Error(`--model must be mlp or cnn, got ${model}`);
if (optimizer !== "adam" && optimizer !== "sgd") throw new Error(`--optimizer must be adam or sgd, got ${optimizer}`);
const steps = Number(values.steps);
const batchSize = Number(values["batch-size"]);
const seed = Number(values.seed);
const maxSeconds = values["max-seconds"] !== undefined ? Number(values["max-seconds"]) : Number.POSITIVE_INFINITY;
const out = values.out as string;
mkdirSync(out, { recursive: true });
const tag = `${model}-${optimizer}`;

// the trainer's hyper-parameters (apps/fashion-mnist/src/options.ts defaults)
const lr = optimizer === "sgd" ? 0.05 : 1e-3;
const momentum = 0.9;

/** The training set as the trainer loads it, each sample with its index (to record the batch order). */
class Indexed extends data.Dataset<[Tensor, number, number]> {
  constructor(readonly base: torch.datasets.FashionMNIST) {
    super();
  }
  get length(): number {
    return this.base.length;
  }
  async getItem(i: number): Promise<[Tensor, number, number]> {
    const [x, y] = (await this.base.getItem(i)) as [Tensor, number];
    return [x, y, i];
  }
}

const T = torch.transforms;
const trainSet = new torch.datasets.FashionMNIST({
  root: values["data-root"],
  train: true,
  transform: T.compose([T.toTensor(), T.normalize([0.286], [0.353])]),
});

torch.manualSeed(seed);
const net = model === "mlp" ? mlp() : cnn();
const opt = optimizer === "sgd" ? new optim.SGD(net.parameters(), { lr, momentum }) : new optim.Adam(net.parameters(), { lr });
const init: Record<string, Tensor> = {};
for (const [k, v] of Object.entries(net.stateDict())) init[k] = (v as Tensor).clone();

const loader = new data.DataLoader<[Tensor, Tensor, Tensor]>(new Indexed(trainSet), {
  batchSize,
  shuffle: true,
  generator: new torch.Generator().manualSeed(seed),
});

const losses: number[] = [];
const lossBits: string[] = [];
const indices: number[][] = [];
const seconds: number[] = [];
let firstInput: Tensor | null = null;
const started = performance.now();
let step = 0;
outer: for (;;) {
  for await (const [x, y, idx] of loader) {
    if (step >= steps || (performance.now() - started) / 1000 > maxSeconds) break outer;
    const t0 = performance.now();
    if (firstInput === null) firstInput = x.clone();
    indices.push((await idx.tolist()) as number[]);
    const loss = torch.tidy(() => {
      opt.zeroGrad();
      const l = nn.functional.crossEntropy(net.forward(x) as Tensor, y);
      l.backward();
      opt.step();
      return l.itemSync() as number;
    });
    torch.dispose([x, y, idx]);
    losses.push(loss);
    const b = new DataView(new ArrayBuffer(4));
    b.setFloat32(0, loss);
    lossBits.push(b.getUint32(0).toString(16).padStart(8, "0"));
    seconds.push((performance.now() - t0) / 1000);
    step++;
  }
}

await torch.save({ ...init, "input.batch0": firstInput as Tensor }, join(out, `${tag}.init.safetensors`));
await torch.save(net.stateDict(), join(out, `${tag}.final.safetensors`));
const report = {
  model,
  optimizer,
  lr,
  momentum: optimizer === "sgd" ? momentum : null,
  batchSize,
  seed,
  normalize: { mean: 0.286, std: 0.353 },
  steps: losses.length,
  stateDictKeys: Object.keys(init),
  secondsPerStep: seconds.reduce((a, s) => a + s, 0) / Math.max(1, seconds.length),
  indices,
  losses,
  lossBits,
};
writeFileSync(join(out, `${tag}.json`), JSON.stringify(report));
process.stdout.write(
  `${tag}: ${losses.length} steps, ${report.secondsPerStep.toFixed(3)} s/step, loss ${losses[0]?.toFixed(4)} -> ${losses.at(-1)?.toFixed(4)}\n`,
);
