// RNN, LSTM, GRU (torch.nn.modules.rnn): multi-layer, batchFirst, bidirectional, LSTM projections.
// Parameters are registered in PyTorch's order and names (weight_ih_l{k}{_reverse}, weight_hh_…,
// bias_ih_…, bias_hh_…, weight_hr_…), every one drawn from U(−1/√hidden, 1/√hidden) in that order.
//
// The computation is PyTorch's CPU path (aten/src/ATen/native/RNN.cpp) op for op: the input
// projection of a whole layer first (linear over all time steps), then per step
//   RNN:  h' = tanh|relu(W_hh·h + b_hh + x_t)
//   LSTM: gates = (W_hh·h + b_hh) + x_t; i, f, o = σ(·), g = tanh(·); c' = f·c + i·g; h' = o·tanh(c') (·W_hrᵀ)
//   GRU:  r = σ(hr + xr), z = σ(hz + xz), n = tanh(xn + hn·r), h' = (h − n)·z + n
// the reverse direction running over the reversed sequence, and dropout between layers in training.
import { ShapeError, ValueError } from "../../errors.js";
import { zeros } from "../../ops/creation.js";
import { add, mul, relu, sigmoid, sub, tanh } from "../../ops/elementwise.js";
import { matmul } from "../../ops/linalg.js";
import { cat, stack } from "../../ops/shapecopy.js";
import { squeeze, transpose, unbind, unsqueeze } from "../../ops/views.js";
import type { Tensor } from "../../tensor.js";
import { dropout, linear } from "../functional_extra.js";
import * as init from "../init.js";
import { Module } from "../module.js";
import { emptyParam, type FactoryOptions, pyBool, pyFloat } from "./util.js";

type Mode = "RNN_TANH" | "RNN_RELU" | "LSTM" | "GRU";

export interface RNNOptions extends FactoryOptions {
  numLayers?: number;
  bias?: boolean;
  batchFirst?: boolean;
  dropout?: number;
  bidirectional?: boolean;
}
export interface RNNTanhOptions extends RNNOptions {
  nonlinearity?: "tanh" | "relu";
}
export interface LSTMOptions extends RNNOptions {
  projSize?: number;
}

interface CellParams {
  wIh: Tensor;
  wHh: Tensor;
  bIh: Tensor | null;
  bHh: Tensor | null;
  wHr: Tensor | null;
}

abstract class RNNBase extends Module {
  readonly mode: Mode;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly projSize: number;
  /** Parameter names in registration order (PyTorch's _flat_weights_names). */
  readonly flatWeightsNames: string[];

  constructor(mode: Mode, inputSize: number, hiddenSize: number, o: LSTMOptions) {
    super();
    const name = mode === "LSTM" ? "LSTM" : mode === "GRU" ? "GRU" : "RNN";
    this.mode = mode;
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = o.numLayers ?? 1;
    this.bias = o.bias ?? true;
    this.batchFirst = o.batchFirst ?? false;
    this.dropout = o.dropout ?? 0;
    this.bidirectional = o.bidirectional ?? false;
    this.projSize = o.projSize ?? 0;
    if (!(this.dropout >= 0 && this.dropout <= 1))
      throw new ValueError(
        name,
        "dropout should be a number in range [0, 1] representing the probability of an element being zeroed",
      );
    if (!Number.isInteger(hiddenSize) || hiddenSize <= 0) throw new ValueError(name, "hidden_size must be greater than zero");
    if (!Number.isInteger(this.numLayers) || this.numLayers <= 0)
      throw new ValueError(name, "num_layers must be greater than zero");
    if (this.projSize < 0) throw new ValueError(name, "proj_size should be a positive integer or zero to disable projections");
    if (this.projSize >= hiddenSize) throw new ValueError(name, "proj_size has to be smaller than hidden_size");
    if (this.projSize > 0 && mode !== "LSTM")
      throw new ValueError(name, "proj_size argument is only supported for LSTM, not RNN or GRU");
    const gateSize = mode === "LSTM" ? 4 * hiddenSize : mode === "GRU" ? 3 * hiddenSize : hiddenSize;
    const dirs = this.bidirectional ? 2 : 1;
    const realHidden = this.projSize > 0 ? this.projSize : hiddenSize;
    this.flatWeightsNames = [];
    for (let layer = 0; layer < this.numLayers; layer++)
      for (let d = 0; d < dirs; d++) {
        const layerInput = layer === 0 ? inputSize : realHidden * dirs;
        const sfx = `_l${layer}${d === 1 ? "_reverse" : ""}`;
        const params: [string, number[]][] = [
          [`weight_ih${sfx}`, [gateSize, layerInput]],
          [`weight_hh${sfx}`, [gateSize, realHidden]],
        ];
        if (this.bias) params.push([`bias_ih${sfx}`, [gateSize]], [`bias_hh${sfx}`, [gateSize]]);
        if (this.projSize > 0) params.push([`weight_hr${sfx}`, [this.projSize, hiddenSize]]);
        for (const [n, shape] of params) {
          this.registerParameter(n, emptyParam(shape, o));
          this.flatWeightsNames.push(n);
        }
      }
    this.resetParameters();
  }

  resetParameters(): void {
    const stdv = this.hiddenSize > 0 ? 1.0 / Math.sqrt(this.hiddenSize) : 0;
    for (const w of this.parameters()) init.uniform_(w, -stdv, stdv);
  }

  /** The parameter tensors in _flat_weights order. */
  get allWeights(): Tensor[][] {
    const per = this.bias ? 4 : 2;
    const n = per + (this.projSize > 0 ? 1 : 0);
    const out: Tensor[][] = [];
    for (let i = 0; i < this.flatWeightsNames.length; i += n)
      out.push(this.flatWeightsNames.slice(i, i + n).map((k) => this._parameters.get(k) as Tensor));
    return out;
  }

  private cellParams(layer: number, d: number): CellParams {
    const sfx = `_l${layer}${d === 1 ? "_reverse" : ""}`;
    const p = (n: string): Tensor | null => this._parameters.get(n + sfx) ?? null;
    return {
      wIh: p("weight_ih") as Tensor,
      wHh: p("weight_hh") as Tensor,
      bIh: p("bias_ih"),
      bHh: p("bias_hh"),
      wHr: p("weight_hr"),
    };
  }

  /** One step of the cell; `xw` is the precomputed input projection W_ih·x + b_ih. */
  private step(p: CellParams, xw: Tensor, h: Tensor, c: Tensor | null): [Tensor, Tensor | null] {
    const hw = linear(h, p.wHh, p.bHh);
    switch (this.mode) {
      case "RNN_TANH":
        return [tanh(add(hw, xw)), null];
      case "RNN_RELU":
        return [relu(add(hw, xw)), null];
      case "LSTM": {
        const [gi, gf, gg, go] = add(hw, xw).chunk(4, 1) as [Tensor, Tensor, Tensor, Tensor];
        const i = sigmoid(gi);
        const f = sigmoid(gf);
        const g = tanh(gg);
        const o = sigmoid(go);
        const cy = add(mul(f, c as Tensor), mul(i, g));
        let hy = mul(o, tanh(cy));
        if (p.wHr) hy = matmul(hy, transpose(p.wHr, 0, 1));
        return [hy, cy];
      }
      case "GRU": {
        const [ir, iz, inn] = xw.chunk(3, 1) as [Tensor, Tensor, Tensor];
        const [hr, hz, hn] = hw.chunk(3, 1) as [Tensor, Tensor, Tensor];
        const r = sigmoid(add(hr, ir));
        const z = sigmoid(add(hz, iz));
        const n = tanh(add(inn, mul(hn, r)));
        return [add(mul(sub(h, n), z), n), null];
      }
    }
  }

  /** Runs the stack on x [T, B, in] with h0 [L·D, B, H] (c0 for LSTM). */
  protected runStack(x: Tensor, h0: Tensor, c0: Tensor | null): [Tensor, Tensor, Tensor | null] {
    const dirs = this.bidirectional ? 2 : 1;
    const hs = unbind(h0, 0);
    const cs = c0 ? unbind(c0, 0) : null;
    const hn: Tensor[] = [];
    const cn: Tensor[] = [];
    let layerInput = x;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < dirs; d++) {
        const p = this.cellParams(layer, d);
        const xw = unbind(linear(layerInput, p.wIh, p.bIh), 0);
        if (d === 1) xw.reverse();
        let h = hs[layer * dirs + d] as Tensor;
        let c = cs ? (cs[layer * dirs + d] as Tensor) : null;
        const steps: Tensor[] = [];
        for (const xt of xw) {
          [h, c] = this.step(p, xt, h, c);
          steps.push(h);
        }
        if (d === 1) steps.reverse();
        outs.push(stack(steps, 0));
        hn.push(h);
        if (c) cn.push(c);
      }
      let out = dirs === 1 ? (outs[0] as Tensor) : cat(outs, (outs[0] as Tensor).ndim - 1);
      if (this.dropout !== 0 && this.training && layer < this.numLayers - 1) out = dropout(out, this.dropout, true);
      layerInput = out;
    }
    return [layerInput, stack(hn, 0), cs ? stack(cn, 0) : null];
  }

  protected prepare(input: Tensor, name: string): { x: Tensor; batched: boolean; batch: number } {
    if (input.ndim !== 2 && input.ndim !== 3)
      throw new ShapeError(name, `${name}: Expected input to be 2-D or 3-D but received ${input.ndim}-D tensor`);
    const batched = input.ndim === 3;
    let x = batched ? input : unsqueeze(input, this.batchFirst ? 0 : 1);
    if (this.batchFirst) x = transpose(x, 0, 1);
    if (x.shape[2] !== this.inputSize)
      throw new ShapeError(name, `input.size(-1) must be equal to input_size. Expected ${this.inputSize}, got ${x.shape[2]}`);
    return { x, batched, batch: x.shape[1] as number };
  }

  protected finishOutput(out: Tensor, batched: boolean): Tensor {
    const o = this.batchFirst ? transpose(out, 0, 1) : out;
    return batched ? o : squeeze(o, this.batchFirst ? 0 : 1);
  }

  protected hidden(
    given: Tensor | null | undefined,
    batched: boolean,
    batch: number,
    size: number,
    like: Tensor,
    what: string,
  ): Tensor {
    const dirs = this.bidirectional ? 2 : 1;
    const want = [this.numLayers * dirs, batch, size];
    if (!given) return zeros(want, { dtype: like.dtype, device: like.device });
    if (!batched && given.ndim !== 2)
      throw new ShapeError(what, `For unbatched 2-D input, ${what} should also be 2-D but got ${given.ndim}-D tensor`);
    if (batched && given.ndim !== 3)
      throw new ShapeError(what, `For batched 3-D input, ${what} should also be 3-D but got ${given.ndim}-D tensor`);
    const h = batched ? given : unsqueeze(given, 1);
    if (h.shape.length !== 3 || h.shape.some((s, i) => s !== want[i]))
      throw new ShapeError(what, `Expected hidden size (${want.join(", ")}), got [${h.shape.join(", ")}]`);
    return h;
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.projSize !== 0) s += `, proj_size=${this.projSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (this.bias !== true) s += `, bias=${pyBool(this.bias)}`;
    if (this.batchFirst !== false) s += `, batch_first=${pyBool(this.batchFirst)}`;
    if (this.dropout !== 0) s += `, dropout=${pyFloat(this.dropout)}`;
    if (this.bidirectional !== false) s += `, bidirectional=${pyBool(this.bidirectional)}`;
    return s;
  }
}

/** Elman RNN with tanh (default) or relu: forward(input, h0?) → [output, h_n]. */
export class RNN extends RNNBase {
  readonly nonlinearity: "tanh" | "relu";
  constructor(inputSize: number, hiddenSize: number, opts: RNNTanhOptions = {}) {
    const nl = opts.nonlinearity ?? "tanh";
    if (nl !== "tanh" && nl !== "relu")
      throw new ValueError("RNN", `Unknown nonlinearity '${nl}'. Select from 'tanh' or 'relu'.`);
    super(nl === "tanh" ? "RNN_TANH" : "RNN_RELU", inputSize, hiddenSize, opts);
    this.nonlinearity = nl;
  }
  override forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor] {
    const { x, batched, batch } = this.prepare(input, "RNN");
    const h0 = this.hidden(hx, batched, batch, this.hiddenSize, x, "hx");
    const [out, hn] = this.runStack(x, h0, null);
    return [this.finishOutput(out, batched), batched ? hn : squeeze(hn, 1)];
  }
}

/** LSTM: forward(input, [h0, c0]?) → [output, [h_n, c_n]]. */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: LSTMOptions = {}) {
    super("LSTM", inputSize, hiddenSize, opts);
  }
  override forward(input: Tensor, hx?: [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]] {
    const { x, batched, batch } = this.prepare(input, "LSTM");
    const real = this.projSize > 0 ? this.projSize : this.hiddenSize;
    const h0 = this.hidden(hx?.[0], batched, batch, real, x, "h0");
    const c0 = this.hidden(hx?.[1], batched, batch, this.hiddenSize, x, "c0");
    const [out, hn, cn] = this.runStack(x, h0, c0);
    const un = (t: Tensor): Tensor => (batched ? t : squeeze(t, 1));
    return [this.finishOutput(out, batched), [un(hn), un(cn as Tensor)]];
  }
}

/** GRU: forward(input, h0?) → [output, h_n]. */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    super("GRU", inputSize, hiddenSize, opts);
  }
  override forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor] {
    const { x, batched, batch } = this.prepare(input, "GRU");
    const h0 = this.hidden(hx, batched, batch, this.hiddenSize, x, "hx");
    const [out, hn] = this.runStack(x, h0, null);
    return [this.finishOutput(out, batched), batched ? hn : squeeze(hn, 1)];
  }
}
