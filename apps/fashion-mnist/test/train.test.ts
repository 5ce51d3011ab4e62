// The trainer end to end on real Fashion-MNIST (skipped, and reported as skipped, when the Debian
// package is not installed): a short seeded run learns, and the same seed gives the same bits.
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as torch from "@lockstep/core";
import { describe, expect, it } from "vitest";
import { parseOptions } from "../src/options.js";
import { train } from "../src/train.js";

const haveData = existsSync("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");

const opts = (extra: string[]) => {
  const o = parseOptions(["--model", "mlp", "--epochs", "1", "--limit", "1280", "--quiet", ...extra]);
  if (o === "help") throw new Error("unexpected help");
  return o;
};

describe.skipIf(!haveData)("fashion-mnist trainer (real data)", () => {
  it("learns in one short epoch and reports test accuracy", async () => {
    const r = await train(opts([]));
    expect(r.testAccuracy).toBeGreaterThan(0.6); // 10 classes: chance is 0.1
    expect(Number.isFinite(r.testLoss)).toBe(true);
  });

  it("is reproducible: the same seed gives the same test loss bits, a checkpoint resumes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lockstep-fm-"));
    const a = await train(opts(["--seed", "3", "--checkpoint", join(dir, "a.ckpt")]));
    const b = await train(opts(["--seed", "3"]));
    expect(b.testLoss).toBe(a.testLoss);
    const ck = (await torch.load(join(dir, "a.ckpt"))) as Record<string, unknown>;
    expect(ck.epoch).toBe(1);
    expect(Object.keys(ck.model as object)).toEqual(["1.weight", "1.bias", "3.weight", "3.bias", "5.weight", "5.bias"]);
  });
});

describe.skipIf(!haveData)("fashion-mnist trainer: exact resume (real data)", () => {
  const small = (extra: string[]) => opts(["--limit", "640", ...extra]); // 10 steps per epoch
  /** The checkpoint's weights as hex bits, parameter by parameter. */
  const weightBits = async (file: string): Promise<Record<string, string>> => {
    const ck = (await torch.load(file)) as { model: Record<string, torch.Tensor> };
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(ck.model))
      out[k] = Buffer.from(((await v.data()) as Float32Array).buffer).toString("hex");
    return out;
  };

  it("2 epochs equal 1 epoch + resume + 1 epoch, bitwise (test loss and weights)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lockstep-fm-"));
    const straight = await train(small(["--epochs", "2", "--seed", "5", "--checkpoint", join(dir, "straight.ckpt")]));
    const first = await train(small(["--epochs", "1", "--seed", "5", "--checkpoint", join(dir, "resumed.ckpt")]));
    expect(first.steps).toBe(10);
    const ck = (await torch.load(join(dir, "resumed.ckpt"))) as Record<string, unknown>;
    expect(ck.loader).toMatchObject({ version: 1, epoch: null }); // an epoch's end: no position within it
    const resumed = await train(
      small(["--epochs", "2", "--seed", "5", "--resume", join(dir, "resumed.ckpt"), "--checkpoint", join(dir, "resumed.ckpt")]),
    );
    expect(resumed.steps).toBe(10);
    expect(Object.is(resumed.testLoss, straight.testLoss)).toBe(true);
    expect(resumed.testAccuracy).toBe(straight.testAccuracy);
    expect(await weightBits(join(dir, "resumed.ckpt"))).toEqual(await weightBits(join(dir, "straight.ckpt")));
  });

  it("stopped mid-epoch (SGD, OneCycleLR, 2 workers) and resumed, it ends with the same bits", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lockstep-fm-"));
    const args = ["--epochs", "2", "--seed", "9", "--optimizer", "sgd", "--scheduler", "onecycle", "--num-workers", "2"];
    const straight = await train(small([...args, "--checkpoint", join(dir, "straight.ckpt")]));
    const first = await train(small([...args, "--checkpoint", join(dir, "resumed.ckpt")]), { stopAfterSteps: 14 });
    expect(first).toMatchObject({ steps: 14, stopped: true });
    const ck = (await torch.load(join(dir, "resumed.ckpt"))) as Record<string, unknown>;
    expect(ck.epoch).toBe(1);
    expect(ck.loader).toMatchObject({ epoch: { numYielded: 4 } });
    const resumed = await train(
      small([...args, "--resume", join(dir, "resumed.ckpt"), "--checkpoint", join(dir, "resumed.ckpt")]),
    );
    expect(resumed).toMatchObject({ steps: 6, stopped: false });
    expect(Object.is(resumed.testLoss, straight.testLoss)).toBe(true);
    expect(await weightBits(join(dir, "resumed.ckpt"))).toEqual(await weightBits(join(dir, "straight.ckpt")));
  });
});

describe("options", () => {
  it("parses and validates the command line", () => {
    const o = opts(["--optimizer", "sgd", "--batch-size", "32"]);
    expect(o).toMatchObject({ model: "mlp", optimizer: "sgd", lr: 0.05, batchSize: 32, mode: "quiet" });
    expect(() => parseOptions(["--model", "resnet"])).toThrow(/--model must be one of mlp, cnn/);
    expect(parseOptions(["--help"])).toBe("help");
  });
});
