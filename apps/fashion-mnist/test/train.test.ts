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

describe("options", () => {
  it("parses and validates the command line", () => {
    const o = opts(["--optimizer", "sgd", "--batch-size", "32"]);
    expect(o).toMatchObject({ model: "mlp", optimizer: "sgd", lr: 0.05, batchSize: 32, mode: "quiet" });
    expect(() => parseOptions(["--model", "resnet"])).toThrow(/--model must be one of mlp, cnn/);
    expect(parseOptions(["--help"])).toBe("help");
  });
});
