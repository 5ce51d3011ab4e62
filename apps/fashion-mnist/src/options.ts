// Command-line options of the Fashion-MNIST trainer.
import { parseArgs } from "node:util";

export interface Options {
  model: "mlp" | "cnn";
  epochs: number;
  batchSize: number;
  optimizer: "sgd" | "adam" | "adamw";
  lr: number;
  momentum: number;
  weightDecay: number;
  scheduler: "none" | "step" | "cosine" | "onecycle";
  seed: number;
  device: string;
  /** torch.setNumThreads (the BLAS pool of the "cpu" backend); undefined: all cores. */
  threads?: number;
  dataRoot?: string;
  limit?: number;
  numWorkers: number;
  checkpoint?: string;
  resume?: string;
  mode: "bar" | "quiet" | "jsonl";
}

export const USAGE = `Train an MLP or a CNN on Fashion-MNIST with lockstep.

  --model mlp|cnn          784-256-128-10 MLP, or 2 conv + pooling (default: mlp)
  --epochs N               (default: 5)
  --batch-size N           (default: 64)
  --optimizer sgd|adam|adamw   (default: adam)
  --lr X                   (default: 1e-3 for adam/adamw, 0.05 for sgd)
  --momentum X             SGD momentum (default: 0.9)
  --weight-decay X         (default: 0)
  --scheduler none|step|cosine|onecycle   (default: none)
  --seed N                 (default: 0)
  --device NAME            cpu: matmul on OpenBLAS when installed, else the reference's (default);
                           reference: the exact, bitwise-portable backend (slow)
  --threads N              threads for the cpu backend's BLAS (default: all cores)
  --data-root DIR          where the IDX .gz files are (default: Debian's dataset-fashion-mnist location)
  --limit N                train on the first N samples only (quick runs)
  --num-workers N          DataLoader worker threads (default: 0)
  --checkpoint FILE        save model, optimizer, scheduler, generators and loader position after every
                           epoch (atomically); --resume continues with the same bits
  --resume FILE            continue from a checkpoint
  --quiet                  only the final summary
  --jsonl                  one JSON object per line (for machines)
  --help
`;

export function parseOptions(argv: string[]): Options | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: "string", default: "mlp" },
      epochs: { type: "string", default: "5" },
      "batch-size": { type: "string", default: "64" },
      optimizer: { type: "string", default: "adam" },
      lr: { type: "string" },
      momentum: { type: "string", default: "0.9" },
      "weight-decay": { type: "string", default: "0" },
      scheduler: { type: "string", default: "none" },
      seed: { type: "string", default: "0" },
      device: { type: "string", default: "cpu" },
      threads: { type: "string" },
      "data-root": { type: "string" },
      limit: { type: "string" },
      "num-workers": { type: "string", default: "0" },
      checkpoint: { type: "string" },
      resume: { type: "string" },
      quiet: { type: "boolean", default: false },
      jsonl: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) return "help";
  const oneOf = <T extends string>(name: string, v: string, allowed: readonly T[]): T => {
    if (!(allowed as readonly string[]).includes(v))
      throw new Error(`--${name} must be one of ${allowed.join(", ")} (got '${v}')`);
    return v as T;
  };
  const num = (name: string, v: string, integer = false): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < 0)
      throw new Error(`--${name} must be a non-negative ${integer ? "integer" : "number"} (got '${v}')`);
    return n;
  };
  const optimizer = oneOf("optimizer", values.optimizer as string, ["sgd", "adam", "adamw"] as const);
  return {
    model: oneOf("model", values.model as string, ["mlp", "cnn"] as const),
    epochs: num("epochs", values.epochs as string, true),
    batchSize: num("batch-size", values["batch-size"] as string, true),
    optimizer,
    lr: values.lr !== undefined ? num("lr", values.lr) : optimizer === "sgd" ? 0.05 : 1e-3,
    momentum: num("momentum", values.momentum as string),
    weightDecay: num("weight-decay", values["weight-decay"] as string),
    scheduler: oneOf("scheduler", values.scheduler as string, ["none", "step", "cosine", "onecycle"] as const),
    seed: num("seed", values.seed as string, true),
    device: values.device as string,
    threads: values.threads !== undefined ? Math.max(1, num("threads", values.threads, true)) : undefined,
    dataRoot: values["data-root"],
    limit: values.limit !== undefined ? num("limit", values.limit, true) : undefined,
    numWorkers: num("num-workers", values["num-workers"] as string, true),
    checkpoint: values.checkpoint,
    resume: values.resume,
    mode: values.jsonl ? "jsonl" : values.quiet ? "quiet" : "bar",
  };
}
