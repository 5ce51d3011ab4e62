// torch.useDeterministicAlgorithms: the reference is deterministic everywhere; a backend that
// declares a primitive nondeterministic makes ops using it raise (or warn once with warnOnly).

import * as torch from "@lockstep/core";
import { afterEach, describe, expect, it, vi } from "vitest";

/** The reference, but declaring its scatter (accumulation) primitive nondeterministic, like atomics on a GPU. */
class AtomicScatterBackend extends torch.ReferenceBackend {
  override readonly name = "atomic-scatter";
  override isDeterministic(p: "reduce" | "scan" | "matmul" | "sort" | "scatter"): boolean {
    return p !== "scatter";
  }
}
torch.registerDevice("atomic", new AtomicScatterBackend());

afterEach(() => torch.useDeterministicAlgorithms(false));

const inputs = (device: string) => ({
  x: torch.zeros([4], { device }),
  index: torch.tensor([0, 2, 2], { device }),
  src: torch.tensor([1, 2, 3], { dtype: "float32", device }),
});

describe("useDeterministicAlgorithms", () => {
  it("is off by default and reports its mode", () => {
    expect(torch.areDeterministicAlgorithmsEnabled()).toBe(false);
    torch.useDeterministicAlgorithms(true, { warnOnly: true });
    expect(torch.areDeterministicAlgorithmsEnabled()).toBe(true);
    expect(torch.isDeterministicAlgorithmsWarnOnlyEnabled()).toBe(true);
  });

  it("raises NondeterministicError naming the op and backend for a nondeterministic kernel", () => {
    const { x, index, src } = inputs("atomic");
    expect(Array.from(x.indexAdd(0, index, src).dataSync() as Float32Array)).toEqual([1, 0, 5, 0]); // allowed when off
    torch.useDeterministicAlgorithms(true);
    let err: unknown;
    try {
      x.indexAdd(0, index, src);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(torch.NondeterministicError);
    expect(String((err as Error).message)).toMatch(/atomic-scatter/);
    expect(String((err as Error).message)).toMatch(/scatter/);
  });

  it("leaves deterministic kernels of the same backend alone", () => {
    torch.useDeterministicAlgorithms(true);
    const a = torch.tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: "float32", device: "atomic" },
    );
    expect(Array.from(a.matmul(a).sum(1).dataSync() as Float32Array)).toEqual([17, 37]);
  });

  it("the reference backend is deterministic for every primitive", () => {
    torch.useDeterministicAlgorithms(true);
    const { x, index, src } = inputs("cpu");
    expect(Array.from(x.indexAdd(0, index, src).dataSync() as Float32Array)).toEqual([1, 0, 5, 0]);
    expect(Array.from(src.sort(0, true)[0].dataSync() as Float32Array)).toEqual([3, 2, 1]);
    expect(Array.from(src.cumsum(0).dataSync() as Float32Array)).toEqual([1, 3, 6]);
  });

  it("warnOnly warns once per op and backend instead of raising", () => {
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    torch.useDeterministicAlgorithms(true, { warnOnly: true });
    const { x, index, src } = inputs("atomic");
    const a = x.indexAdd(0, index, src);
    x.indexAdd(0, index, src);
    expect(Array.from(a.dataSync() as Float32Array)).toEqual([1, 0, 5, 0]);
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });
});
