// Embedding (torch.nn.modules.sparse): weight ~ N(0, 1), then the padding row zeroed.
import { noGrad } from "../../autograd/graph.js";
import { ShapeError, ValueError } from "../../errors.js";
import type { Tensor } from "../../tensor.js";
import { embedding, type EmbeddingOptions as FEmbeddingOptions } from "../functional_extra.js";
import * as init from "../init.js";
import { Module } from "../module.js";
import { Parameter } from "../parameter.js";
import { emptyParam, type FactoryOptions, pyBool, pyFloat } from "./util.js";

export interface EmbeddingOptions extends FactoryOptions {
  paddingIdx?: number | null;
  maxNorm?: number | null;
  normType?: number;
  scaleGradByFreq?: boolean;
  sparse?: boolean;
  /** Use this tensor as the weight (no initialisation, as PyTorch's _weight). */
  _weight?: Tensor | null;
}

export class Embedding extends Module {
  declare weight: Tensor;
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  readonly maxNorm: number | null;
  readonly normType: number;
  readonly scaleGradByFreq: boolean;
  readonly sparse: boolean;
  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    let pad = opts.paddingIdx ?? null;
    if (pad !== null) {
      if (pad >= numEmbeddings || pad < -numEmbeddings)
        throw new ValueError("Embedding", "Padding_idx must be within num_embeddings");
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
    this.maxNorm = opts.maxNorm ?? null;
    this.normType = opts.normType ?? 2;
    this.scaleGradByFreq = opts.scaleGradByFreq ?? false;
    this.sparse = opts.sparse ?? false;
    if (opts._weight) {
      if (opts._weight.ndim !== 2 || opts._weight.shape[0] !== numEmbeddings || opts._weight.shape[1] !== embeddingDim)
        throw new ShapeError("Embedding", "Shape of weight does not match num_embeddings and embedding_dim");
      this.weight = new Parameter(opts._weight);
    } else {
      this.weight = emptyParam([numEmbeddings, embeddingDim], opts);
      this.resetParameters();
    }
  }
  resetParameters(): void {
    init.normal_(this.weight);
    this.fillPaddingIdxWithZero();
  }
  private fillPaddingIdxWithZero(): void {
    if (this.paddingIdx !== null) noGrad(() => this.weight.narrow(0, this.paddingIdx as number, 1).fill_(0));
  }
  /** Embedding.from_pretrained: the given weights, frozen unless freeze is false. */
  static fromPretrained(
    embeddings: Tensor,
    opts: Omit<EmbeddingOptions, "_weight" | "dtype" | "device"> & { freeze?: boolean } = {},
  ): Embedding {
    if (embeddings.ndim !== 2)
      throw new ShapeError("Embedding.from_pretrained", "Embeddings parameter is expected to be 2-dimensional");
    const [rows, cols] = embeddings.shape as [number, number];
    const e = new Embedding(rows, cols, { ...opts, _weight: embeddings });
    e.weight.requiresGrad_(!(opts.freeze ?? true));
    return e;
  }
  override forward(input: Tensor): Tensor {
    const o: FEmbeddingOptions = {
      paddingIdx: this.paddingIdx,
      maxNorm: this.maxNorm,
      normType: this.normType,
      scaleGradByFreq: this.scaleGradByFreq,
      sparse: this.sparse,
    };
    return embedding(input, this.weight, o);
  }
  override extraRepr(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.paddingIdx !== null) s += `, padding_idx=${this.paddingIdx}`;
    if (this.maxNorm !== null) s += `, max_norm=${pyFloat(this.maxNorm)}`;
    if (this.normType !== 2) s += `, norm_type=${pyFloat(this.normType)}`;
    if (this.scaleGradByFreq) s += `, scale_grad_by_freq=${pyBool(this.scaleGradByFreq)}`;
    if (this.sparse) s += ", sparse=True";
    return s;
  }
}
