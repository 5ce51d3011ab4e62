// The training loop: seeded data order and initialisation, progress, per-epoch evaluation and
// atomic checkpoints that resume to the same bits. A checkpoint holds the model, optimizer,
// scheduler, the loader's generator, the global generator (dropout, the test loader's base seeds)
// and the DataLoader's position, so a run stopped mid-epoch (`stopAfterSteps`, or an abort signal)
// and resumed with `--resume` continues with exactly the batches, and the bits, it would have had.

import type { Tensor } from "@lockstep/core";
import * as torch from "@lockstep/core";
import { setupDevice } from "./device.js";
import { BENCHMARK, cnn, mlp } from "./models.js";
import type { Options } from "./options.js";
import { Progress } from "./progress.js";

const { nn, optim } = torch;
const { data } = torch.utils;

export interface TrainResult {
  testAccuracy: number;
  testLoss: number;
  epochs: number;
  seconds: number;
  samplesPerSecond: number;
  /** Steps (batches) trained in this call. */
  steps: number;
  /** The run stopped before its last epoch (stopAfterSteps or the signal); its checkpoint resumes it. */
  stopped: boolean;
}

/** Stopping a run early, at a step boundary (the checkpoint, if any, is written there). */
export interface TrainControl {
  /** Stop after this many steps of this call (mid-epoch is fine: the checkpoint records the position). */
  stopAfterSteps?: number;
  /** Stop after the step in progress when this is aborted (e.g. from a SIGINT handler). */
  signal?: AbortSignal;
}

/** The running totals of an epoch in progress (saved with a mid-epoch checkpoint). */
interface EpochTotals {
  step: number;
  lossSum: number;
  correct: number;
  count: number;
}

/** Fashion-MNIST as float tensors normalised with the training set's mean and std. */
function dataset(train: boolean, opts: Options): torch.utils.data.Dataset<[Tensor, number]> {
  const T = torch.transforms;
  const transform = T.compose([T.toTensor(), T.normalize([0.286], [0.353])]);
  const ds = new torch.datasets.FashionMNIST({ root: opts.dataRoot, train, transform });
  if (train && opts.limit !== undefined)
    return new data.Subset(
      ds,
      Array.from({ length: Math.min(opts.limit, ds.length) }, (_, i) => i),
    );
  return ds as torch.utils.data.Dataset<[Tensor, number]>;
}

function makeOptimizer(params: Tensor[], opts: Options): torch.optim.Optimizer {
  if (opts.optimizer === "sgd")
    return new optim.SGD(params, { lr: opts.lr, momentum: opts.momentum, weightDecay: opts.weightDecay });
  if (opts.optimizer === "adamw") return new optim.AdamW(params, { lr: opts.lr, weightDecay: opts.weightDecay || 1e-2 });
  return new optim.Adam(params, { lr: opts.lr, weightDecay: opts.weightDecay });
}

function makeScheduler(opt: torch.optim.Optimizer, opts: Options, stepsPerEpoch: number) {
  switch (opts.scheduler) {
    case "step":
      return {
        perBatch: false,
        s: new optim.lrScheduler.StepLR(opt, { stepSize: Math.max(1, Math.floor(opts.epochs / 3)), gamma: 0.1 }),
      };
    case "cosine":
      return { perBatch: false, s: new optim.lrScheduler.CosineAnnealingLR(opt, { TMax: opts.epochs }) };
    case "onecycle":
      return {
        perBatch: true,
        s: new optim.lrScheduler.OneCycleLR(opt, { maxLr: opts.lr * 10, totalSteps: opts.epochs * stepsPerEpoch }),
      };
    default:
      return null;
  }
}

/** Mean loss and accuracy over a loader, without gradients. */
async function evaluate(model: torch.nn.Module, loader: torch.utils.data.DataLoader<[Tensor, Tensor]>, device: string) {
  model.eval();
  let loss = 0;
  let correct = 0;
  let n = 0;
  for await (const [x, y] of loader) {
    torch.tidy(() =>
      torch.noGrad(() => {
        const xb = x.to(device);
        const yb = y.to(device);
        const logits = model.forward(xb) as Tensor;
        loss += nn.functional.crossEntropy(logits, yb, { reduction: "sum" }).itemSync() as number;
        correct += logits.argmax(1).eq(yb).sum().itemSync() as number;
        n += yb.shape[0] as number;
      }),
    );
    torch.dispose([x, y]);
  }
  model.train();
  return { loss: loss / n, accuracy: correct / n };
}

export async function train(opts: Options, control: TrainControl = {}): Promise<TrainResult> {
  const progress = new Progress(opts.mode);
  // before any tensor exists: a tensor keeps the backend its device had when it was made
  const backend = setupDevice(opts.device, opts.threads);
  progress.banner(`device ${backend}`);
  torch.manualSeed(opts.seed);
  const model = (opts.model === "mlp" ? mlp() : cnn()).to(opts.device);
  const trainSet = dataset(true, opts);
  const testSet = dataset(false, opts);
  const generator = new torch.Generator().manualSeed(opts.seed);
  const loader = new data.DataLoader(trainSet, {
    batchSize: opts.batchSize,
    shuffle: true,
    generator,
    numWorkers: opts.numWorkers,
  });
  const testLoader = new data.DataLoader(testSet, { batchSize: 1000 });
  const optimizer = makeOptimizer(model.parameters(), opts);
  const stepsPerEpoch = loader.length;
  const sched = makeScheduler(optimizer, opts, stepsPerEpoch);
  let startEpoch = 0;
  let resumedTotals: EpochTotals | null = null;
  if (opts.resume) {
    const ck = (await torch.load(opts.resume)) as Record<string, unknown>;
    model.loadStateDict(ck.model as torch.nn.StateDict);
    optimizer.loadStateDict(ck.optimizer as never);
    if (sched && ck.scheduler) sched.s.loadStateDict(ck.scheduler as never);
    generator.setState(ck.generator as Tensor);
    torch.setRngState(ck.rng as Tensor);
    // the loader position (absent in checkpoints written before it was saved: those are epoch ends)
    if (ck.loader) loader.loadStateDict(ck.loader as never);
    startEpoch = ck.epoch as number;
    resumedTotals = (ck.inEpoch as EpochTotals | null | undefined) ?? null;
  }
  const save = async (epoch: number, inEpoch: EpochTotals | null) => {
    if (!opts.checkpoint) return;
    await torch.save(
      {
        model: model.stateDict(),
        optimizer: optimizer.stateDict(),
        scheduler: sched?.s.stateDict() ?? null,
        generator: generator.getState(),
        rng: torch.getRngState(),
        loader: loader.stateDict(),
        epoch, // epochs completed
        inEpoch, // the epoch in progress (null at an epoch's end)
        options: { ...opts },
      },
      opts.checkpoint,
    );
  };
  let steps = 0;
  let stopped = false;
  const shouldStop = () =>
    (control.stopAfterSteps !== undefined && steps >= control.stopAfterSteps) || control.signal?.aborted === true;
  progress.event("start", { ...opts, backend, parameters: model.parameters().reduce((a, p) => a + p.numel(), 0), stepsPerEpoch });
  const started = performance.now();
  let seen = 0;
  let last = { loss: Number.NaN, accuracy: Number.NaN };
  for (let epoch = startEpoch; epoch < opts.epochs && !stopped; epoch++) {
    const t0 = performance.now();
    let { step, lossSum, correct, count } = resumedTotals ?? { step: 0, lossSum: 0, correct: 0, count: 0 };
    resumedTotals = null;
    for await (const [x, y] of loader) {
      const [loss, right] = torch.tidy(() => {
        const xb = x.to(opts.device);
        const yb = y.to(opts.device);
        optimizer.zeroGrad();
        const logits = model.forward(xb) as Tensor;
        const l = nn.functional.crossEntropy(logits, yb);
        l.backward();
        optimizer.step();
        return [l.itemSync() as number, logits.argmax(1).eq(yb).sum().itemSync() as number];
      });
      if (sched?.perBatch) sched.s.step();
      torch.dispose([x, y]);
      const b = y.shape[0] as number;
      step++;
      steps++;
      count += b;
      seen += b;
      lossSum += loss * b;
      correct += right;
      progress.step({
        epoch: epoch + 1,
        epochs: opts.epochs,
        step,
        steps: stepsPerEpoch,
        loss,
        accuracy: correct / count,
        samplesPerSecond: count / ((performance.now() - t0) / 1000),
      });
      // after an epoch's last batch the loop runs on to its end (the sampler's end-of-epoch draws)
      if (step < stepsPerEpoch && shouldStop()) {
        stopped = true;
        break;
      }
    }
    if (stopped) {
      await save(epoch, { step, lossSum, correct, count }); // mid-epoch: the loader saves its position
      break;
    }
    if (sched && !sched.perBatch) sched.s.step();
    last = await evaluate(model, testLoader, opts.device);
    const seconds = (performance.now() - t0) / 1000;
    progress.epoch({
      epoch: epoch + 1,
      trainLoss: lossSum / count,
      trainAccuracy: correct / count,
      testLoss: last.loss,
      testAccuracy: last.accuracy,
      seconds,
      samplesPerSecond: count / seconds,
    });
    await save(epoch + 1, null);
    if (shouldStop()) stopped = epoch + 1 < opts.epochs;
  }
  const seconds = (performance.now() - started) / 1000;
  const bench = BENCHMARK[opts.model];
  const result = {
    testAccuracy: last.accuracy,
    testLoss: last.loss,
    epochs: opts.epochs,
    seconds,
    samplesPerSecond: seen / seconds,
    steps,
    stopped,
  };
  const lines = stopped
    ? [
        `stopped after ${steps} step(s) (${seconds.toFixed(1)} s)${opts.checkpoint ? `; continue with --resume ${opts.checkpoint}` : " (no --checkpoint given: nothing saved)"}`,
      ]
    : [
        `test accuracy ${result.testAccuracy.toFixed(4)} after ${opts.epochs} epoch(s) of ${opts.model} on ${opts.device} (${seconds.toFixed(1)} s, ${result.samplesPerSecond.toFixed(0)} samples/s)`,
        `backend: ${backend}`,
        `Fashion-MNIST benchmark, ${bench.name}: ${bench.accuracy}`,
      ];
  progress.summary(lines, { ...result, backend, benchmark: bench });
  return result;
}
