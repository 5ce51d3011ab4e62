// Divergence detection: a one-ULP change injected into one weight at a known step is found at that
// step, in that tensor, at that element — and lanes left alone stay bitwise equal.
import * as torch from "@lockstep/core";
import { describe, expect, it } from "vitest";
import { diffTensors, hashTensor, ulpDistance, unflatten } from "../src/compare.js";
import { Tracker, trainInLockstep } from "../src/training.js";
import { synthetic, WORKLOAD } from "../src/workloads.js";

/** The next float32 above x. */
function nextUp(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  u[0] = x >= 0 ? (u[0] as number) + 1 : (u[0] as number) - 1;
  return f[0] as number;
}

describe("comparing weights", () => {
  it("measures ULP distance across zero and between neighbours", () => {
    expect(ulpDistance(1, nextUp(1))).toBe(1);
    expect(ulpDistance(-0, 0)).toBe(0);
    expect(ulpDistance(1e-45, -1e-45)).toBe(2); // the two smallest subnormals straddle ±0
    expect(ulpDistance(Number.NaN, 1)).toBe(Number.POSITIVE_INFINITY);
    expect(ulpDistance(Number.NaN, Number.NaN)).toBe(0);
  });
  it("diffs two tensors: differing elements, the worst one, |Δ| and the relative difference", () => {
    const a = new Float32Array([1, 2, -4, 0.5]);
    const b = a.slice();
    b[2] = nextUp(nextUp(-4)); // 2 ULP (towards zero)
    const d = diffTensors(a, b);
    expect(d.differing).toBe(1);
    expect(d.maxUlp).toBe(2);
    expect(d.worst).toEqual({ index: 2, baseline: -4, value: b[2] });
    expect(d.maxAbsDiff).toBe(2 * 2 ** -22);
    expect(d.relDiff).toBe((2 * 2 ** -22) / 4);
    expect(hashTensor(a)).not.toBe(hashTensor(b));
    expect(hashTensor(a)).toBe(hashTensor(a.slice()));
    expect(unflatten(1234, [256, 784])).toEqual([1, 450]);
  });
  it("a tracker names the first step and the first tensor that differ", () => {
    const snap = (w: number[], bias: number[]) => [
      { name: "w", shape: [2], data: new Float32Array(w) },
      { name: "b", shape: [2], data: new Float32Array(bias) },
    ];
    const state = (s: ReturnType<typeof snap>, loss?: number) => ({ snap: s, hashes: s.map((t) => hashTensor(t.data)), loss });
    const t = new Tracker("x", "ref");
    t.add(0, state(snap([1, 2], [3, 4])), state(snap([1, 2], [3, 4])));
    t.add(1, state(snap([1, 2], [3, 4]), 0.5), state(snap([1, 2], [3, 4]), 0.5));
    t.add(2, state(snap([1, 2], [3, 4]), 0.25), state(snap([1, 2], [3, nextUp(4)]), 0.25));
    t.add(3, state(snap([1, 2], [3, 4]), 0.125), state(snap([nextUp(1), 2], [3, nextUp(4)]), 0.2));
    const c = t.c;
    expect(c.bitwise).toBe(false);
    expect(c.bitwiseSteps).toBe(2);
    expect(c.firstDivergence).toMatchObject({ step: 2, tensor: "b", maxUlp: 1, differing: 1, tensors: ["b"] });
    expect(c.firstDivergence?.worst).toEqual({ index: [1], baseline: 4, value: nextUp(4) });
    expect(c.firstLossDivergence).toEqual({ step: 3, baseline: 0.125, value: 0.2 });
    expect(c.lossRelDiff).toEqual([0, 0, (0.2 - 0.125) / 0.125]);
    expect(c.weightRelDiff).toEqual([0, 2 ** -21 / 4, 2 ** -23]); // max over tensors of max|Δ|/max|baseline|
    expect(c.weightMaxUlp).toEqual([0, 1, 1]);
  });
});

describe("training in lockstep on the reference", () => {
  it("finds a one-ULP change injected into one weight at the right step, tensor and element", async () => {
    const data = synthetic(96, 28, 5);
    const INJECT = { lane: "reference#3", step: 3, tensor: "3.bias", element: 7 };
    const run = await trainInLockstep({
      workload: "tiny",
      mode: "portable",
      modelName: WORKLOAD.tiny.modelName,
      model: WORKLOAD.tiny.model,
      batches: data.loader(16, 1),
      data: data.name,
      steps: 8, // past the 6 batches of an epoch: the loader goes round again
      batchSize: 16,
      seed: 1,
      lr: 1e-2,
      lanes: [
        { id: "reference", backend: "reference", device: "reference" },
        { id: "reference#2", backend: "reference", device: "reference" },
        { id: "reference#3", backend: "reference", device: "reference" },
      ],
      afterStep: (lane, step, model) => {
        if (lane !== INJECT.lane || step !== INJECT.step) return;
        const p = model.namedParameters().find(([n]) => n === INJECT.tensor)?.[1] as torch.Tensor;
        const v = Array.from(p.dataSync() as Float32Array);
        v[INJECT.element] = nextUp(v[INJECT.element] as number);
        torch.noGrad(() => p.copy_(torch.tensor(v, { device: "reference" })));
      },
    });
    expect(run.steps).toBe(8);
    const [same, injected] = run.comparisons;
    expect(same?.lane).toBe("reference#2");
    expect(same?.bitwise).toBe(true); // run-to-run on the reference
    expect(same?.bitwiseSteps).toBe(9);
    expect(run.lanes[1]?.hashes).toEqual(run.lanes[0]?.hashes);
    expect(injected?.lane).toBe("reference#3");
    expect(injected?.bitwise).toBe(false);
    expect(injected?.bitwiseSteps).toBe(3); // the initial weights and steps 1, 2
    expect(injected?.firstDivergence).toMatchObject({
      step: 3,
      tensor: "3.bias",
      shape: [10],
      maxUlp: 1,
      differing: 1,
      tensors: ["3.bias"],
      worst: { index: [7] },
    });
    expect(injected?.weightRelDiff.slice(0, 2)).toEqual([0, 0]);
    expect(injected?.weightRelDiff[2]).toBeGreaterThan(0);
    expect(injected?.lossRelDiff.slice(0, 3)).toEqual([0, 0, 0]); // step 3's loss came before the change
    expect(run.lanes[2]?.hashes.slice(0, 3)).toEqual(run.lanes[0]?.hashes.slice(0, 3));
    expect(run.lanes[2]?.hashes[3]).not.toBe(run.lanes[0]?.hashes[3]);
  });
});
