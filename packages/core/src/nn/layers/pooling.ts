// MaxPool2d, AvgPool2d, AdaptiveAvgPool2d (torch.nn.modules.pooling).
import { attachGrad, noGrad } from "../../autograd/graph.js";
import { adaptiveAvgPool2d, avgPool2d, maxPool2d } from "../../ops/conv.js";
import type { Tensor } from "../../tensor.js";
import { torchRowSums } from "../functional_extra.js";
import { Module } from "../module.js";
import { pyBool, pyVal } from "./util.js";

type Size = number | number[];

export interface MaxPool2dOptions {
  /** Defaults to kernelSize. */
  stride?: Size | null;
  padding?: Size;
  dilation?: Size;
  returnIndices?: boolean;
  ceilMode?: boolean;
}

export class MaxPool2d extends Module {
  readonly kernelSize: Size;
  readonly stride: Size;
  readonly padding: Size;
  readonly dilation: Size;
  readonly returnIndices: boolean;
  readonly ceilMode: boolean;
  constructor(kernelSize: Size, opts: MaxPool2dOptions = {}) {
    super();
    this.kernelSize = kernelSize;
    this.stride = opts.stride ?? kernelSize;
    this.padding = opts.padding ?? 0;
    this.dilation = opts.dilation ?? 1;
    this.returnIndices = opts.returnIndices ?? false;
    this.ceilMode = opts.ceilMode ?? false;
  }
  override forward(input: Tensor): Tensor | [Tensor, Tensor] {
    return maxPool2d(input, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      ceilMode: this.ceilMode,
      returnIndices: this.returnIndices,
    });
  }
  override extraRepr(): string {
    return `kernel_size=${pyVal(this.kernelSize)}, stride=${pyVal(this.stride)}, padding=${pyVal(this.padding)}, dilation=${pyVal(this.dilation)}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

export interface AvgPool2dOptions {
  stride?: Size | null;
  padding?: Size;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

export class AvgPool2d extends Module {
  readonly kernelSize: Size;
  readonly stride: Size;
  readonly padding: Size;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;
  constructor(kernelSize: Size, opts: AvgPool2dOptions = {}) {
    super();
    this.kernelSize = kernelSize;
    this.stride = opts.stride ?? kernelSize;
    this.padding = opts.padding ?? 0;
    this.ceilMode = opts.ceilMode ?? false;
    this.countIncludePad = opts.countIncludePad ?? true;
    this.divisorOverride = opts.divisorOverride ?? null;
  }
  override forward(input: Tensor): Tensor {
    return avgPool2d(input, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      divisorOverride: this.divisorOverride,
    });
  }
  override extraRepr(): string {
    return `kernel_size=${pyVal(this.kernelSize)}, stride=${pyVal(this.stride)}, padding=${pyVal(this.padding)}`;
  }
}

/**
 * A 1×1 adaptive average pool as PyTorch computes it: the mean over H, W — the sum in PyTorch's
 * cascade order for contiguous rows (torchRowSums), divided by H·W. Its gradient is g / (H·W) everywhere.
 */
function globalAvgPool(input: Tensor): Tensor {
  const unbatched = input.ndim === 3;
  const x = unbatched ? input.unsqueeze(0) : input;
  if (x.ndim !== 4) return adaptiveAvgPool2d(input, 1);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const count = h * w;
  const y4 = noGrad(() =>
    torchRowSums(x.reshape([n * c, count]))
      .div(count)
      .reshape([n, c, 1, 1]),
  );
  const y = unbatched ? y4.squeeze(0) : y4;
  attachGrad("MeanBackward1", [input], [y], [], ([g]) => [(g as Tensor).expand([...input.shape]).div(count)]);
  return y;
}

export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: number | (number | null)[];
  constructor(outputSize: number | (number | null)[]) {
    super();
    this.outputSize = outputSize;
  }
  override forward(input: Tensor): Tensor {
    const o = this.outputSize;
    const global = o === 1 || (Array.isArray(o) && o.length === 2 && o[0] === 1 && o[1] === 1);
    return global && (input.dtype === "float32" || input.dtype === "float64")
      ? globalAvgPool(input)
      : adaptiveAvgPool2d(input, o);
  }
  override extraRepr(): string {
    return `output_size=${pyVal(this.outputSize)}`;
  }
}
