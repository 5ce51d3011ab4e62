// MultiheadAttention, TransformerEncoderLayer, TransformerEncoder (torch.nn.modules.activation /
// transformer), PyTorch 1.13's math path. Initialisation order is PyTorch's: MultiheadAttention
// draws out_proj's Linear init, then xavier_uniform_ for in_proj_weight, then zeroes both biases;
// TransformerEncoderLayer constructs self_attn, linear1, dropout, linear2, norm1, norm2, dropout1,
// dropout2 in that order; TransformerEncoder deep-copies its layer (all copies equal, no draws).
import { ValueError } from "../../errors.js";
import { add, relu } from "../../ops/elementwise.js";
import { gelu } from "../../ops/gelu.js";
import { transpose } from "../../ops/views.js";
import { Tensor } from "../../tensor.js";
import { ModuleList } from "../containers.js";
import { generateSquareSubsequentMask, multiHeadAttentionForward } from "../functional_extra.js";
import * as init from "../init.js";
import { Module } from "../module.js";
import { Dropout } from "./dropout.js";
import { Linear, NonDynamicallyQuantizableLinear } from "./linear.js";
import { LayerNorm } from "./normalization.js";
import { deepcopy, emptyParam, type FactoryOptions } from "./util.js";

export interface MultiheadAttentionOptions extends FactoryOptions {
  dropout?: number;
  bias?: boolean;
  addBiasKv?: boolean;
  addZeroAttn?: boolean;
  kdim?: number | null;
  vdim?: number | null;
  batchFirst?: boolean;
}

export interface MhaCallOptions {
  keyPaddingMask?: Tensor | null;
  needWeights?: boolean;
  attnMask?: Tensor | null;
  averageAttnWeights?: boolean;
}

export class MultiheadAttention extends Module {
  declare in_proj_weight: Tensor | null;
  declare q_proj_weight: Tensor | null;
  declare k_proj_weight: Tensor | null;
  declare v_proj_weight: Tensor | null;
  declare in_proj_bias: Tensor | null;
  declare out_proj: NonDynamicallyQuantizableLinear;
  declare bias_k: Tensor | null;
  declare bias_v: Tensor | null;
  readonly embedDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly qkvSameEmbedDim: boolean;
  readonly numHeads: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly headDim: number;
  readonly addZeroAttn: boolean;

  constructor(embedDim: number, numHeads: number, opts: MultiheadAttentionOptions = {}) {
    super();
    this.embedDim = embedDim;
    this.kdim = opts.kdim ?? embedDim;
    this.vdim = opts.vdim ?? embedDim;
    this.qkvSameEmbedDim = this.kdim === embedDim && this.vdim === embedDim;
    this.numHeads = numHeads;
    this.dropout = opts.dropout ?? 0;
    this.batchFirst = opts.batchFirst ?? false;
    this.headDim = Math.floor(embedDim / numHeads);
    if (this.headDim * numHeads !== embedDim)
      throw new ValueError("MultiheadAttention", "embed_dim must be divisible by num_heads");
    if (!this.qkvSameEmbedDim) {
      this.q_proj_weight = emptyParam([embedDim, embedDim], opts);
      this.k_proj_weight = emptyParam([embedDim, this.kdim], opts);
      this.v_proj_weight = emptyParam([embedDim, this.vdim], opts);
      this.registerParameter("in_proj_weight", null);
    } else {
      this.in_proj_weight = emptyParam([3 * embedDim, embedDim], opts);
      this.registerParameter("q_proj_weight", null);
      this.registerParameter("k_proj_weight", null);
      this.registerParameter("v_proj_weight", null);
    }
    if (opts.bias ?? true) this.in_proj_bias = emptyParam([3 * embedDim], opts);
    else this.registerParameter("in_proj_bias", null);
    this.out_proj = new NonDynamicallyQuantizableLinear(embedDim, embedDim, {
      bias: opts.bias ?? true,
      dtype: opts.dtype,
      device: opts.device,
    });
    if (opts.addBiasKv) {
      this.bias_k = emptyParam([1, 1, embedDim], opts);
      this.bias_v = emptyParam([1, 1, embedDim], opts);
    } else {
      this.bias_k = null;
      this.bias_v = null;
    }
    this.addZeroAttn = opts.addZeroAttn ?? false;
    this.resetParameters();
  }

  resetParameters(): void {
    if (this.qkvSameEmbedDim) init.xavierUniform_(this.in_proj_weight as Tensor);
    else {
      init.xavierUniform_(this.q_proj_weight as Tensor);
      init.xavierUniform_(this.k_proj_weight as Tensor);
      init.xavierUniform_(this.v_proj_weight as Tensor);
    }
    if (this.in_proj_bias) {
      init.constant_(this.in_proj_bias, 0);
      init.constant_(this.out_proj.bias as Tensor, 0);
    }
    if (this.bias_k) init.xavierNormal_(this.bias_k);
    if (this.bias_v) init.xavierNormal_(this.bias_v);
  }

  get inProjWeight(): Tensor | null {
    return this.in_proj_weight;
  }
  get inProjBias(): Tensor | null {
    return this.in_proj_bias;
  }
  get outProj(): NonDynamicallyQuantizableLinear {
    return this.out_proj;
  }

  /** forward(query, key, value, { keyPaddingMask, needWeights = true, attnMask, averageAttnWeights = true }) → [output, weights | null]. */
  override forward(query: Tensor, key: Tensor, value: Tensor, opts: MhaCallOptions = {}): [Tensor, Tensor | null] {
    const batched = query.ndim === 3;
    let q = query;
    let k = key;
    let v = value;
    if (this.batchFirst && batched) {
      // keep the identities (self-attention takes the packed path)
      if (key === value) {
        if (query === key) q = k = v = transpose(query, 1, 0);
        else {
          q = transpose(query, 1, 0);
          k = v = transpose(key, 1, 0);
        }
      } else [q, k, v] = [query, key, value].map((t) => transpose(t, 1, 0)) as [Tensor, Tensor, Tensor];
    }
    const common = {
      training: this.training,
      keyPaddingMask: opts.keyPaddingMask ?? null,
      needWeights: opts.needWeights ?? true,
      attnMask: opts.attnMask ?? null,
      averageAttnWeights: opts.averageAttnWeights ?? true,
    };
    const [out, weights] = multiHeadAttentionForward(
      q,
      k,
      v,
      this.embedDim,
      this.numHeads,
      this.in_proj_weight,
      this.in_proj_bias,
      this.bias_k,
      this.bias_v,
      this.addZeroAttn,
      this.dropout,
      this.out_proj.weight,
      this.out_proj.bias,
      this.qkvSameEmbedDim
        ? common
        : {
            ...common,
            useSeparateProjWeight: true,
            qProjWeight: this.q_proj_weight,
            kProjWeight: this.k_proj_weight,
            vProjWeight: this.v_proj_weight,
          },
    );
    return [this.batchFirst && batched ? transpose(out, 1, 0) : out, weights];
  }
}

export type Activation = "relu" | "gelu" | ((x: Tensor) => Tensor) | Module;

export interface TransformerEncoderLayerOptions extends FactoryOptions {
  dimFeedforward?: number;
  dropout?: number;
  activation?: Activation;
  layerNormEps?: number;
  batchFirst?: boolean;
  normFirst?: boolean;
}

export interface EncoderCallOptions {
  srcMask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
  /** lockstep extension (PyTorch ≥ 2.0 has it): use a causal mask when srcMask is not given. */
  isCausal?: boolean;
}

/** forward(src, srcMask?, srcKeyPaddingMask?) or forward(src, { srcMask, srcKeyPaddingMask, isCausal }). */
function encoderArgs(
  src: Tensor,
  a?: Tensor | EncoderCallOptions | null,
  b?: Tensor | null,
  batchFirst = false,
): { mask: Tensor | null; kpm: Tensor | null } {
  const o: EncoderCallOptions =
    a instanceof Tensor || a === null || a === undefined ? { srcMask: a ?? null, srcKeyPaddingMask: b ?? null } : a;
  let mask = o.srcMask ?? null;
  if (!mask && o.isCausal) {
    const len = src.shape[src.ndim === 3 && batchFirst ? 1 : 0] as number;
    mask = generateSquareSubsequentMask(len, { dtype: src.dtype, device: src.device });
  }
  return { mask, kpm: o.srcKeyPaddingMask ?? null };
}

export class TransformerEncoderLayer extends Module {
  declare self_attn: MultiheadAttention;
  declare linear1: Linear;
  declare dropout: Dropout;
  declare linear2: Linear;
  declare norm1: LayerNorm;
  declare norm2: LayerNorm;
  declare dropout1: Dropout;
  declare dropout2: Dropout;
  readonly normFirst: boolean;
  /** PyTorch's activation_relu_or_gelu: 1 relu, 2 gelu, 0 other. */
  readonly activationReluOrGelu: 0 | 1 | 2;
  activation: ((x: Tensor) => Tensor) | Module;

  constructor(dModel: number, nhead: number, opts: TransformerEncoderLayerOptions = {}) {
    super();
    const f = { dtype: opts.dtype, device: opts.device };
    const p = opts.dropout ?? 0.1;
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: p, batchFirst: opts.batchFirst ?? false, ...f });
    this.linear1 = new Linear(dModel, opts.dimFeedforward ?? 2048, f);
    this.dropout = new Dropout(p);
    this.linear2 = new Linear(opts.dimFeedforward ?? 2048, dModel, f);
    this.normFirst = opts.normFirst ?? false;
    this.norm1 = new LayerNorm(dModel, { eps: opts.layerNormEps ?? 1e-5, ...f });
    this.norm2 = new LayerNorm(dModel, { eps: opts.layerNormEps ?? 1e-5, ...f });
    this.dropout1 = new Dropout(p);
    this.dropout2 = new Dropout(p);
    let act = opts.activation ?? "relu";
    if (act === "relu") act = relu;
    else if (act === "gelu") act = (x: Tensor) => gelu(x);
    else if (typeof act === "string")
      throw new ValueError("TransformerEncoderLayer", `activation should be relu/gelu, not ${act}`);
    const name = act instanceof Module ? act.constructor.name : "";
    this.activationReluOrGelu = act === relu || name === "ReLU" ? 1 : opts.activation === "gelu" || name === "GELU" ? 2 : 0;
    this.activation = act;
  }

  private act(x: Tensor): Tensor {
    const a = this.activation;
    return a instanceof Module ? ((a as Module & { forward(x: Tensor): Tensor }).forward(x) as Tensor) : a(x);
  }

  override forward(src: Tensor, srcMask?: Tensor | EncoderCallOptions | null, srcKeyPaddingMask?: Tensor | null): Tensor {
    const { mask, kpm } = encoderArgs(src, srcMask, srcKeyPaddingMask, this.self_attn.batchFirst);
    if (kpm && kpm.dtype !== "bool" && !kpm.isFloatingPoint())
      throw new ValueError("TransformerEncoderLayer", "only bool and floating types of key_padding_mask are supported");
    let x = src;
    if (this.normFirst) {
      x = add(x, this.saBlock(this.norm1.forward(x) as Tensor, mask, kpm));
      x = add(x, this.ffBlock(this.norm2.forward(x) as Tensor));
    } else {
      x = this.norm1.forward(add(x, this.saBlock(x, mask, kpm))) as Tensor;
      x = this.norm2.forward(add(x, this.ffBlock(x))) as Tensor;
    }
    return x;
  }
  private saBlock(x: Tensor, mask: Tensor | null, kpm: Tensor | null): Tensor {
    const [y] = this.self_attn.forward(x, x, x, { attnMask: mask, keyPaddingMask: kpm, needWeights: false }) as [
      Tensor,
      Tensor | null,
    ];
    return this.dropout1.forward(y) as Tensor;
  }
  private ffBlock(x: Tensor): Tensor {
    const h = this.linear2.forward(this.dropout.forward(this.act(this.linear1.forward(x) as Tensor)) as Tensor) as Tensor;
    return this.dropout2.forward(h) as Tensor;
  }
}

export interface TransformerEncoderOptions {
  enableNestedTensor?: boolean;
  maskCheck?: boolean;
}

export class TransformerEncoder extends Module {
  declare layers: ModuleList;
  declare norm: Module | null;
  readonly numLayers: number;
  readonly enableNestedTensor: boolean;
  readonly maskCheck: boolean;
  constructor(
    encoderLayer: TransformerEncoderLayer,
    numLayers: number,
    norm?: Module | null,
    opts: TransformerEncoderOptions = {},
  ) {
    super();
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => deepcopy(encoderLayer)));
    this.numLayers = numLayers;
    this.norm = norm ?? null;
    this.enableNestedTensor = opts.enableNestedTensor ?? true;
    this.maskCheck = opts.maskCheck ?? true;
  }
  /** Transformer.generate_square_subsequent_mask: −inf above the diagonal, 0 elsewhere. */
  static generateSquareSubsequentMask(size: number, opts: FactoryOptions = {}): Tensor {
    return generateSquareSubsequentMask(size, opts);
  }
  override forward(src: Tensor, mask?: Tensor | EncoderCallOptions | null, srcKeyPaddingMask?: Tensor | null): Tensor {
    const first = this.layers.at(0) as TransformerEncoderLayer;
    const { mask: m, kpm } = encoderArgs(src, mask, srcKeyPaddingMask, first.self_attn.batchFirst);
    let out = src;
    for (const layer of this.layers) out = (layer as TransformerEncoderLayer).forward(out, m, kpm);
    if (this.norm) out = (this.norm as Module & { forward(x: Tensor): Tensor }).forward(out) as Tensor;
    return out;
  }
}
