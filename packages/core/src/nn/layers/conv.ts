// Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d (torch.nn.modules.conv).
import { ValueError } from "../../errors.js";
import { conv1d, conv2d } from "../../ops/conv.js";
import type { Tensor } from "../../tensor.js";
import { convTranspose1d, convTranspose2d, type PadMode, pad } from "../functional_extra.js";
import * as init from "../init.js";
import { Module } from "../module.js";
import { emptyParam, type FactoryOptions, ntuple, pyVal } from "./util.js";

export type PaddingMode = "zeros" | "reflect" | "replicate" | "circular";

export interface ConvOptions extends FactoryOptions {
  stride?: number | number[];
  padding?: number | number[] | "same" | "valid";
  dilation?: number | number[];
  groups?: number;
  bias?: boolean;
  paddingMode?: PaddingMode;
}

export interface ConvTransposeOptions extends FactoryOptions {
  stride?: number | number[];
  padding?: number | number[];
  outputPadding?: number | number[];
  groups?: number;
  bias?: boolean;
  dilation?: number | number[];
  paddingMode?: "zeros";
}

/** PyTorch's _ConvNd: the parameters, their initialisation and the printout. */
abstract class ConvNd extends Module {
  declare weight: Tensor;
  declare bias: Tensor | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | "same" | "valid";
  readonly dilation: number[];
  readonly transposed: boolean;
  readonly outputPadding: number[];
  readonly groups: number;
  readonly paddingMode: PaddingMode;
  /** F.pad's list for padding modes other than zeros: per dim from the last, (left, right). */
  protected readonly reversedPaddingRepeatedTwice: number[];

  constructor(
    name: string,
    n: number,
    inChannels: number,
    outChannels: number,
    kernelSize: number | number[],
    o: ConvOptions & { outputPadding?: number | number[] },
    transposed: boolean,
  ) {
    super();
    const groups = o.groups ?? 1;
    if (!Number.isInteger(groups) || groups <= 0) throw new ValueError(name, "groups must be a positive integer");
    if (inChannels % groups !== 0) throw new ValueError(name, "in_channels must be divisible by groups");
    if (outChannels % groups !== 0) throw new ValueError(name, "out_channels must be divisible by groups");
    const paddingMode = o.paddingMode ?? "zeros";
    if (!["zeros", "reflect", "replicate", "circular"].includes(paddingMode))
      throw new ValueError(
        name,
        `padding_mode must be one of zeros, reflect, replicate, circular, but got padding_mode='${paddingMode}'`,
      );
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = ntuple(name, kernelSize, n);
    this.stride = ntuple(name, o.stride ?? 1, n);
    const padding = o.padding ?? 0;
    if (typeof padding === "string") {
      if (padding !== "same" && padding !== "valid")
        throw new ValueError(name, `Invalid padding string '${padding}', should be one of ['valid', 'same']`);
      if (padding === "same" && this.stride.some((s) => s !== 1))
        throw new ValueError(name, "padding='same' is not supported for strided convolutions");
      this.padding = padding;
    } else this.padding = ntuple(name, padding, n);
    this.dilation = ntuple(name, o.dilation ?? 1, n);
    this.transposed = transposed;
    this.outputPadding = ntuple(name, o.outputPadding ?? 0, n);
    this.groups = groups;
    this.paddingMode = paddingMode;
    const rp: number[] = [];
    for (let i = n - 1; i >= 0; i--) {
      if (this.padding === "same") {
        const total = (this.dilation[i] as number) * ((this.kernelSize[i] as number) - 1);
        const left = Math.floor(total / 2);
        rp.push(left, total - left);
      } else if (this.padding === "valid") rp.push(0, 0);
      else rp.push(this.padding[i] as number, this.padding[i] as number);
    }
    this.reversedPaddingRepeatedTwice = rp;
    const wshape = transposed
      ? [inChannels, outChannels / groups, ...this.kernelSize]
      : [outChannels, inChannels / groups, ...this.kernelSize];
    this.weight = emptyParam(wshape, o);
    if (o.bias ?? true) this.bias = emptyParam([outChannels], o);
    else this.registerParameter("bias", null);
    this.resetParameters();
  }

  resetParameters(): void {
    init.kaimingUniform_(this.weight, Math.sqrt(5));
    if (this.bias) {
      const [fanIn] = init.calculateFanInAndFanOut(this.weight);
      if (fanIn !== 0) {
        const bound = 1 / Math.sqrt(fanIn);
        init.uniform_(this.bias, -bound, bound);
      }
    }
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pyVal(this.kernelSize)}, stride=${pyVal(this.stride)}`;
    if (typeof this.padding === "string" || this.padding.some((p) => p !== 0)) s += `, padding=${pyVal(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${pyVal(this.dilation)}`;
    if (this.outputPadding.some((p) => p !== 0)) s += `, output_padding=${pyVal(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ", bias=False";
    if (this.paddingMode !== "zeros") s += `, padding_mode=${this.paddingMode}`;
    return s;
  }

  protected convForward(conv: typeof conv2d, input: Tensor): Tensor {
    if (this.paddingMode !== "zeros") {
      const mode: PadMode = this.paddingMode;
      return conv(pad(input, this.reversedPaddingRepeatedTwice, mode), this.weight, this.bias, {
        stride: this.stride,
        padding: 0,
        dilation: this.dilation,
        groups: this.groups,
      });
    }
    return conv(input, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }
}

/** 1-D convolution over [N, C_in, L] (or [C_in, L]). */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], opts: ConvOptions = {}) {
    super("Conv1d", 1, inChannels, outChannels, kernelSize, opts, false);
  }
  override forward(input: Tensor): Tensor {
    return this.convForward(conv1d, input);
  }
}

/** 2-D convolution over [N, C_in, H, W] (or [C_in, H, W]). */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], opts: ConvOptions = {}) {
    super("Conv2d", 2, inChannels, outChannels, kernelSize, opts, false);
  }
  override forward(input: Tensor): Tensor {
    return this.convForward(conv2d, input);
  }
}

abstract class ConvTransposeNd extends ConvNd {
  constructor(name: string, n: number, inC: number, outC: number, k: number | number[], o: ConvTransposeOptions) {
    if ((o.paddingMode ?? "zeros") !== "zeros") throw new ValueError(name, `Only "zeros" padding mode is supported for ${name}`);
    super(name, n, inC, outC, k, o, true);
  }
  /** PyTorch's _output_padding: the output_padding that makes the output outputSize (spatial dims, or with batch/channels). */
  protected outputPaddingFor(input: Tensor, outputSize: number[] | null | undefined, n: number): number[] {
    if (!outputSize) return this.outputPadding;
    const hasBatch = input.ndim === n + 2;
    let size = [...outputSize];
    if (size.length === n + (hasBatch ? 2 : 1)) size = size.slice(hasBatch ? 2 : 1);
    if (size.length !== n)
      throw new ValueError(
        "ConvTranspose",
        `output_size must have ${n} or ${n + (hasBatch ? 2 : 1)} elements (got ${size.length})`,
      );
    const pad = this.padding as number[];
    return size.map((want, d) => {
      const inSize = input.shape[input.ndim - n + d] as number;
      const min =
        (inSize - 1) * (this.stride[d] as number) -
        2 * (pad[d] as number) +
        (this.dilation[d] as number) * ((this.kernelSize[d] as number) - 1) +
        1;
      const max = min + (this.stride[d] as number) - 1;
      if (want < min || want > max)
        throw new ValueError(
          "ConvTranspose",
          `requested an output size of ${JSON.stringify(size)}, but valid sizes range from ${min} to ${max} (for an input of ${JSON.stringify(input.shape.slice(-n))})`,
        );
      return want - min;
    });
  }
}

/** Transposed 1-D convolution; weight [C_in, C_out / groups, kL]. */
export class ConvTranspose1d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], opts: ConvTransposeOptions = {}) {
    super("ConvTranspose1d", 1, inChannels, outChannels, kernelSize, opts);
  }
  override forward(input: Tensor, outputSize?: number[] | null): Tensor {
    return convTranspose1d(input, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding as number[],
      outputPadding: this.outputPaddingFor(input, outputSize, 1),
      groups: this.groups,
      dilation: this.dilation,
    });
  }
}

/** Transposed 2-D convolution; weight [C_in, C_out / groups, kH, kW]. */
export class ConvTranspose2d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | number[], opts: ConvTransposeOptions = {}) {
    super("ConvTranspose2d", 2, inChannels, outChannels, kernelSize, opts);
  }
  override forward(input: Tensor, outputSize?: number[] | null): Tensor {
    return convTranspose2d(input, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding as number[],
      outputPadding: this.outputPaddingFor(input, outputSize, 2),
      groups: this.groups,
      dilation: this.dilation,
    });
  }
}
