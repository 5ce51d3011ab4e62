// Convolution and pooling (torch.nn.functional.conv1d/conv2d, max_pool2d, avg_pool2d,
// adaptive_avg_pool2d), built on the backend's primitives: an IR kernel, matmul and scatter.
//
// Convolution = im2col + matmul (DESIGN §3). Every output position's input window is gathered into
// columns (zero where a tap falls on padding): for fixed windows a copy of a strided view of the
// zero-padded input, for adaptive ones an IR kernel computing offsets. Columns are laid out
// [C_in, kh, kw, B, OH, OW], so
// the weight [C_out/g, C_in/g·kh·kw] multiplies them with one matmul per group. Accumulation order,
// the same on every backend: each output element is the matmul's sequential sum, starting from 0,
// over k = (c_in, kh, kw) in row-major order of weight·column products, each product and each
// partial sum rounded to the dtype (no FMA); the bias is added after the sum. float16/bfloat16
// compute in float32 and round once at the end. PyTorch sums in its GEMM's blocked, FMA-using order
// (mkldnn for float32, OpenBLAS for float64), so convolutions differ from it by a few ULP; the
// bounds are in test/golden/table-conv.ts.
//
// The backward of im2col is col2im, an accumulation in index order: tap by tap into strided views
// where that order allows it (see col2imByTaps), otherwise the backend's sequential scatter-add. Column order decides the order of the adds into each input element:
// convolution folds in tap order (PyTorch's col2im), pooling in output order (PyTorch's pooling
// backward kernels). Every gradient is written with differentiable ops (im2col and col2im are each
// other's gradient), so double backward works.
//
// Pooling reproduces PyTorch's CPU kernels bit for bit:
// - max_pool2d: one IR kernel per output scans its window taps in row-major order and keeps the
//   first maximum, or the last NaN (PyTorch's `val > max || isnan(val)`); indices are flat per
//   plane (h·W + w, int64). The window is unrolled into the kernel, so large kernels make large
//   kernels. Backward adds each output's gradient at its index, in output order (tap by tap when
//   windows do not overlap, as each pixel then has one window).
// - avg_pool2d / adaptive_avg_pool2d: the window sum is sequential in the input dtype (a matmul of
//   the windows by ones), then divided as PyTorch does: sum / divisor, and sum / kh / kw for the
//   adaptive pool (whose 1×1 output is PyTorch's mean over H, W). Backward divides the gradient
//   the same way and adds it to each window element in output order.
import { autocastActive, autocastOp } from "../amp/autocast.js";
import { attachGrad, noGrad } from "../autograd/graph.js";
import type { View } from "../backend.js";
import { type DType, isFloating } from "../dtype.js";
import { DTypeError, fmtShape, ShapeError, ValueError } from "../errors.js";
import { bin, cast, coord, type Exp, gload, konst, load, select, un } from "../ir.js";
import { tidy } from "../memory.js";
import { contiguousStrides, numel } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { to } from "./convert.js";
import { broadcastView, copyAs, elementwise, empty, fromStorageArray, opmath, sameDevice } from "./core.js";
import { encodeValues, full, ones, zeros } from "./creation.js";
import { add, copyInto, div } from "./elementwise.js";
import { matmul } from "./linalg.js";
import { mean, sum } from "./reduce.js";
import { contiguous, expand, makeView, permute, reshape, squeeze, transpose, unsqueeze } from "./views.js";

/** A size per spatial dim, or one size for all of them (PyTorch's `int or tuple`). */
export type SpatialSize = number | readonly number[];

export interface ConvOptions {
  stride?: SpatialSize;
  /** Zero padding on both sides, "valid" (none) or "same" (output size = input size; stride 1 only). */
  padding?: SpatialSize | "same" | "valid";
  dilation?: SpatialSize;
  groups?: number;
}

export interface MaxPoolOptions {
  /** Defaults to the kernel size. */
  stride?: SpatialSize | null;
  padding?: SpatialSize;
  dilation?: SpatialSize;
  ceilMode?: boolean;
  returnIndices?: boolean;
}

export interface AvgPoolOptions {
  /** Defaults to the kernel size. */
  stride?: SpatialSize | null;
  padding?: SpatialSize;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

// ---------------------------------------------------------------- window geometry

/** How one spatial axis of a sliding window maps (output position, tap) to an input position. */
interface Axis {
  /** Input extent. */
  readonly size: number;
  /** Output extent. */
  readonly out: number;
  /** Taps per window (the largest window, for adaptive pooling). */
  readonly taps: number;
  readonly stride: number;
  /** Padding before the input (padding after it only shows in `out`). */
  readonly pad: number;
  readonly dilation: number;
  /** PyTorch's adaptive windows [floor(o·size/out), ceil((o+1)·size/out)) instead of stride/pad. */
  readonly adaptive: boolean;
}

interface Window {
  readonly h: Axis;
  readonly w: Axis;
}

/** An axis that does nothing: how a 1-D op runs on the 2-D kernels. */
const UNIT_AXIS: Axis = { size: 1, out: 1, taps: 1, stride: 1, pad: 0, dilation: 1, adaptive: false };

/** Adaptive window bounds in exact integer arithmetic; equal to PyTorch's float formula while o·size < 2^24. */
const adaptiveStart = (o: number, size: number, out: number): number => Math.floor((o * size) / out);
const adaptiveEnd = (o: number, size: number, out: number): number => Math.ceil(((o + 1) * size) / out);

const i32 = (v: number): Exp => konst(v, "int32");
const and = (a: Exp, b: Exp): Exp => bin("and", a, b);

/** The input position of tap `t` of output `o` along an axis, and whether it lies inside the input. */
function tapPosition(ax: Axis, o: Exp, t: Exp): { pos: Exp; valid: Exp } {
  if (ax.adaptive) {
    const scaled = bin("mul", o, i32(ax.size));
    const start = bin("div", scaled, i32(ax.out));
    const end = bin("div", bin("add", scaled, i32(ax.size + ax.out - 1)), i32(ax.out));
    const pos = bin("add", start, t);
    return { pos, valid: bin("lt", pos, end) };
  }
  const pos = bin("add", bin("mul", o, i32(ax.stride)), bin("sub", bin("mul", t, i32(ax.dilation)), i32(ax.pad)));
  return { pos, valid: and(bin("ge", pos, i32(0)), bin("lt", pos, i32(ax.size))) };
}

/**
 * Storage offset of the input element at (b, c, h, w) for a tensor with `strides` [B, C, H, W] and
 * `base` offset. Where `valid` is false the position is replaced by (b, c, 0, 0), so that every
 * read stays inside the tensor on every backend.
 */
function pixelOffset(strides: readonly number[], base: number, b: Exp, c: Exp, h: Exp, w: Exp, valid?: Exp): Exp {
  const [sb, sc, sh, sw] = strides as [number, number, number, number];
  const term = (i: Exp, s: number): Exp => bin("mul", valid ? select(valid, i, i32(0)) : i, i32(s));
  const hw = bin("add", term(h, sh), term(w, sw));
  const plane = bin("add", bin("mul", b, i32(sb)), bin("mul", c, i32(sc)));
  return bin("add", bin("add", i32(base), plane), hw);
}

// ---------------------------------------------------------------- kernels

/**
 * A new tensor of `shape` computed by `e`. `gathered` inputs are read only through gload (absolute
 * offsets, any shape); `aligned` inputs have the output's shape and are read with load. Input
 * indices: gathered first, then aligned.
 */
function runKernel(
  shape: readonly number[],
  dtype: DType,
  device: string,
  e: Exp,
  gathered: readonly Tensor[],
  aligned: readonly Tensor[] = [],
): Tensor {
  const out = empty(shape, dtype, device);
  if (out.numel() === 0) return out;
  const views = [
    ...gathered.map((t) => ({ ...t._view(), shape, strides: shape.map(() => 0) })),
    ...aligned.map((t) => broadcastView(t, shape)),
  ];
  out._storage.backend.elementwise(cast(e, dtype), out._view(), views);
  return out;
}

/** out[i] += src[i] at offsets[i] (sequential, in element order); offset `n` is a discarded slot. */
function scatterAdd(shape: readonly number[], offsets: Tensor, src: Tensor): Tensor {
  const n = numel(shape);
  const target = zeros([n + 1], { dtype: src.dtype, device: src.device });
  const values = src.isContiguous() ? src : copyAs(src);
  if (values.numel() > 0) target._storage.backend.scatter(target._view(), offsets._view(), values._view(), "add");
  const out = makeView(target, shape, contiguousStrides(shape), 0);
  if (values !== src) values.dispose();
  target.dispose();
  return out;
}

/** target += src in place, in target's dtype (no autograd). */
function addInto(target: Tensor, src: Tensor): void {
  elementwise("col2im", [target, src], target.dtype, target.dtype, ([a, b]) => bin("add", a as Exp, b as Exp), target);
}

/**
 * Column layouts (physical dim order of im2col's output):
 * - "conv" [C, kh, kw, B, OH, OW]: reshapes to [groups, K, N] for the convolution's matmul; its
 *   col2im adds each input element's contributions in tap order (PyTorch's col2im);
 * - "pool" [B, C, OH, OW, kh, kw]: reshapes to [B·C, OH·OW, K] for sequential window sums; its
 *   col2im adds in output order (PyTorch's pooling backward).
 */
type Layout = "conv" | "pool";
type ColumnDim = "b" | "c" | "i" | "j" | "oh" | "ow";
const LAYOUTS: Record<Layout, readonly ColumnDim[]> = {
  conv: ["c", "i", "j", "b", "oh", "ow"],
  pool: ["b", "c", "oh", "ow", "i", "j"],
};

function columnsShape(batch: number, channels: number, win: Window, layout: Layout): number[] {
  const extent: Record<ColumnDim, number> = {
    b: batch,
    c: channels,
    i: win.h.taps,
    j: win.w.taps,
    oh: win.h.out,
    ow: win.w.out,
  };
  return LAYOUTS[layout].map((d) => extent[d]);
}

/** For the current column element: the offset of its input pixel (per `strides`/`base`) and whether the tap is real. */
function columnSource(win: Window, layout: Layout, strides: readonly number[], base: number): { off: Exp; valid: Exp } {
  const at = (d: ColumnDim): Exp => coord(LAYOUTS[layout].indexOf(d));
  const h = tapPosition(win.h, at("oh"), at("i"));
  const w = tapPosition(win.w, at("ow"), at("j"));
  const valid = and(h.valid, w.valid);
  return { off: pixelOffset(strides, base, at("b"), at("c"), h.pos, w.pos, valid), valid };
}

// Fixed (non-adaptive) windows are strided views of the input once it is padded: column (b, c, i,
// j, oh, ow) reads padded pixel (oh·stride + i·dilation, ow·stride + j·dilation). im2col is then a
// copy of that view, and col2im adds tap (i, j)'s columns into the view of its pixels, tap after
// tap: each pixel receives its contributions in tap order, from 0, exactly the adds of the
// scatter (for "pool" columns only when windows do not overlap, so that each pixel has at most one).

/** Extent of the padded input an axis's windows read: [−pad, extent − pad). */
const paddedExtent = (ax: Axis): number => Math.max(ax.pad + ax.size, (ax.out - 1) * ax.stride + (ax.taps - 1) * ax.dilation + 1);

const fixedWindows = (win: Window): boolean => !win.h.adaptive && !win.w.adaptive;

/** x [B, C, H, W] in a new [B, C, Hp, Wp] tensor filled with `fill` around it, or x itself when nothing pads. */
function padInput(x: Tensor, win: Window, fill: number): Tensor {
  const [batch, channels, height, width] = x.shape as [number, number, number, number];
  const [hp, wp] = [paddedExtent(win.h), paddedExtent(win.w)];
  if (win.h.pad === 0 && win.w.pad === 0 && hp === height && wp === width) return x;
  const xp = full([batch, channels, hp, wp], fill, { dtype: x.dtype, device: x.device });
  copyInto(makeView(xp, x.shape, [channels * hp * wp, hp * wp, wp, 1], win.h.pad * wp + win.w.pad), x);
  return xp;
}

/** The input-sized interior of a contiguous padded tensor `xp` (padInput's inverse), disposing `xp`. */
function unpad(xp: Tensor, win: Window): Tensor {
  const [batch, channels, hp, wp] = xp.shape as [number, number, number, number];
  if (win.h.pad === 0 && win.w.pad === 0 && hp === win.h.size && wp === win.w.size) return xp;
  const inside = makeView(
    xp,
    [batch, channels, win.h.size, win.w.size],
    [channels * hp * wp, hp * wp, wp, 1],
    win.h.pad * wp + win.w.pad,
  );
  const x = copyAs(inside);
  inside.dispose();
  xp.dispose();
  return x;
}

/** The columns of a padded input `xp` as a strided view, dims in `layout` order. */
function windowView(xp: Tensor, win: Window, layout: Layout): Tensor {
  const [batch, channels] = xp.shape as [number, number];
  const [sb, sc, sh, sw] = xp.strides as [number, number, number, number];
  const step: Record<ColumnDim, number> = {
    b: sb,
    c: sc,
    i: win.h.dilation * sh,
    j: win.w.dilation * sw,
    oh: win.h.stride * sh,
    ow: win.w.stride * sw,
  };
  return makeView(
    xp,
    columnsShape(batch, channels, win, layout),
    LAYOUTS[layout].map((d) => step[d]),
    xp.offset,
  );
}

/** im2col: x [B, C, H, W] → columns in `layout`, `fill` where a tap is outside the input. Gradient: col2im. */
function im2col(x: Tensor, win: Window, fill: number, layout: Layout): Tensor {
  const [batch, channels] = x.shape as [number, number];
  let cols: Tensor;
  if (fixedWindows(win)) {
    cols = noGrad(() => {
      const xp = padInput(x, win, fill);
      const view = windowView(xp, win, layout);
      const c = copyAs(view);
      view.dispose();
      if (xp !== x) xp.dispose();
      return c;
    });
  } else {
    const src = columnSource(win, layout, x.strides, x.offset);
    const e = select(src.valid, gload(0, x.dtype, src.off), konst(fill, x.dtype));
    cols = runKernel(columnsShape(batch, channels, win, layout), x.dtype, x.device, e, [x]);
  }
  attachGrad("Im2ColBackward0", [x], [cols], [], ([g]) => [col2im(g as Tensor, batch, channels, win, layout)]);
  return cols;
}

/** Whether no two windows share a pixel along either axis. */
const disjointWindows = (win: Window): boolean =>
  [win.h, win.w].every((ax) => ax.out === 1 || ax.stride >= (ax.taps - 1) * ax.dilation + 1);

/** col2im by taps (see above): zeros, then each tap's columns added into the strided view of its pixels. */
function col2imByTaps(cols: Tensor, batch: number, channels: number, win: Window, layout: Layout): Tensor {
  return noGrad(() => {
    const [hp, wp] = [paddedExtent(win.h), paddedExtent(win.w)];
    const xp = zeros([batch, channels, hp, wp], { dtype: cols.dtype, device: cols.device });
    const at = (d: ColumnDim): number => LAYOUTS[layout].indexOf(d);
    const cs = cols.strides;
    const colStride = (d: ColumnDim): number => cs[at(d)] as number;
    const pixels = [batch, channels, win.h.out, win.w.out];
    const pixelStrides = [channels * hp * wp, hp * wp, win.h.stride * wp, win.w.stride];
    const tapStrides = [colStride("b"), colStride("c"), colStride("oh"), colStride("ow")];
    for (let i = 0; i < win.h.taps; i++)
      for (let j = 0; j < win.w.taps; j++) {
        const target = makeView(xp, pixels, pixelStrides, i * win.h.dilation * wp + j * win.w.dilation);
        const tap = makeView(cols, pixels, tapStrides, cols.offset + i * colStride("i") + j * colStride("j"));
        addInto(target, tap);
        target.dispose();
        tap.dispose();
      }
    return unpad(xp, win);
  });
}

/** col2im: columns in `layout` → [B, C, H, W], each column element added to its input pixel. Gradient: im2col. */
function col2im(cols: Tensor, batch: number, channels: number, win: Window, layout: Layout): Tensor {
  const shape = [batch, channels, win.h.size, win.w.size];
  let x: Tensor;
  if (fixedWindows(win) && (layout === "conv" || disjointWindows(win))) x = col2imByTaps(cols, batch, channels, win, layout);
  else {
    const n = numel(shape);
    const dst = columnSource(win, layout, contiguousStrides(shape), 0);
    const offsets = runKernel(cols.shape, "int32", cols.device, select(dst.valid, dst.off, i32(n)), []);
    x = scatterAdd(shape, offsets, cols);
    offsets.dispose();
  }
  attachGrad("Col2ImBackward0", [cols], [x], [], ([g]) => [im2col(g as Tensor, win, 0, layout)]);
  return x;
}

/** Per-output window sums of x [B, C, H, W] in row-major tap order, sequentially in x's dtype (a matmul by ones). */
function windowSums(x: Tensor, win: Window): Tensor {
  const [batch, channels] = x.shape as [number, number];
  const taps = win.h.taps * win.w.taps;
  return noGrad(() =>
    tidy(() => {
      const cols = im2col(x, win, 0, "pool");
      const sums = matmul(
        reshape(cols, [batch * channels, win.h.out * win.w.out, taps]),
        ones([taps, 1], { dtype: x.dtype, device: x.device }),
      );
      return reshape(sums, [batch, channels, win.h.out, win.w.out]);
    }),
  );
}

/** g [B, C, OH, OW] added to every element of its output's window, in output order: the adjoint of windowSums. */
function spreadOverWindows(g: Tensor, win: Window): Tensor {
  const [batch, channels] = g.shape as [number, number];
  const perTap = expand(reshape(g, [batch, channels, win.h.out, win.w.out, 1, 1]), columnsShape(batch, channels, win, "pool"));
  return col2im(perTap, batch, channels, win, "pool");
}

// ---------------------------------------------------------------- argument handling

/** A per-dim size list from PyTorch's `int or tuple` (a 1-element tuple applies to every dim). */
function perDim(op: string, name: string, v: SpatialSize, dims: number, min: number): number[] {
  const list = typeof v === "number" ? Array(dims).fill(v) : v.length === 1 ? Array(dims).fill(v[0]) : [...v];
  if (list.length !== dims || list.some((d) => !Number.isInteger(d)))
    throw new ValueError(op, `${name} must be an integer or a list of ${dims} integers, got ${JSON.stringify(v)}`);
  if (list.some((d) => d < min))
    throw new ValueError(op, `${name} must be ${min === 0 ? "non-negative" : "positive"}, got ${JSON.stringify(v)}`);
  return list;
}

/** View an unbatched input as a batch of one; `undo` maps a batched result back. */
function batched(op: string, x: Tensor, spatial: number): { x: Tensor; undo: (t: Tensor) => Tensor } {
  if (x.ndim !== spatial + 1 && x.ndim !== spatial + 2)
    throw new ShapeError(
      op,
      `expected a ${spatial + 1}-D (unbatched) or ${spatial + 2}-D (batched) input, but got input of size ${fmtShape(x.shape)}`,
    );
  if (x.ndim === spatial + 2) return { x, undo: (t) => t };
  return { x: unsqueeze(x, 0), undo: (t) => squeeze(t, 0) };
}

function requireSameDtype(op: string, what: string, t: Tensor, dtype: DType): void {
  if (t.dtype !== dtype)
    throw new DTypeError(op, `input type (${dtype}) and ${what} type (${t.dtype}) should be the same; convert one with .to()`);
}

// ---------------------------------------------------------------- convolution

function convolution(
  op: "conv1d" | "conv2d",
  spatial: 1 | 2,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  opts: ConvOptions,
): Tensor {
  sameDevice(op, [input, weight, bias]);
  if (!isFloating(input.dtype))
    throw new DTypeError(op, `expected a floating point input, got ${input.dtype} (shape ${fmtShape(input.shape)})`);
  requireSameDtype(op, "weight", weight, input.dtype);
  if (bias) requireSameDtype(op, "bias", bias, input.dtype);
  const { x, undo } = batched(op, input, spatial);
  if (weight.ndim !== spatial + 2)
    throw new ShapeError(
      op,
      `expected ${spatial + 2}-D weight [out_channels, in_channels / groups, ${spatial === 1 ? "kL" : "kH, kW"}], but got weight of size ${fmtShape(weight.shape)}`,
    );
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new ValueError(op, `groups must be a positive integer, got ${groups}`);
  const [outChannels, groupChannels] = weight.shape as [number, number];
  const inChannels = x.shape[1] as number;
  if (outChannels % groups !== 0)
    throw new ShapeError(
      op,
      `given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size ${fmtShape(weight.shape)}`,
    );
  if (inChannels !== groupChannels * groups)
    throw new ShapeError(
      op,
      `given groups=${groups}, weight of size ${fmtShape(weight.shape)}, expected input ${fmtShape(input.shape)} to have ${groupChannels * groups} channels, but got ${inChannels} channels instead`,
    );
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outChannels))
    throw new ShapeError(
      op,
      `given weight of size ${fmtShape(weight.shape)}, expected bias to be 1-dimensional with ${outChannels} elements, but got bias of size ${fmtShape(bias.shape)}`,
    );

  const stride = perDim(op, "stride", opts.stride ?? 1, spatial, 1);
  const dilation = perDim(op, "dilation", opts.dilation ?? 1, spatial, 1);
  const kernel = weight.shape.slice(2);
  const sizes = x.shape.slice(2);
  const reach = kernel.map((k, i) => (dilation[i] as number) * (k - 1));
  // Padding before each dim, and in total ("same" puts the odd extra on the right, as PyTorch).
  let before: number[];
  let total: number[];
  const padding = opts.padding ?? 0;
  if (padding === "same") {
    if (stride.some((s) => s !== 1)) throw new ValueError(op, "padding='same' is not supported for strided convolutions");
    before = reach.map((r) => Math.floor(r / 2));
    total = reach;
  } else if (padding === "valid") {
    before = Array(spatial).fill(0);
    total = before;
  } else {
    before = perDim(op, "padding", padding, spatial, 0);
    total = before.map((p) => 2 * p);
  }
  const padded = sizes.map((s, i) => s + (total[i] as number));
  if (padded.some((p, i) => p < (reach[i] as number) + 1))
    throw new ShapeError(
      op,
      `calculated padded input size per channel: (${padded.join(" x ")}). Kernel size: (${reach.map((r) => r + 1).join(" x ")}). Kernel size can't be greater than actual input size`,
    );
  const axes = sizes.map(
    (size, i): Axis => ({
      size,
      out: Math.floor(((padded[i] as number) - (reach[i] as number) - 1) / (stride[i] as number)) + 1,
      taps: kernel[i] as number,
      stride: stride[i] as number,
      pad: before[i] as number,
      dilation: dilation[i] as number,
      adaptive: false,
    }),
  );
  // conv1d runs as conv2d over a height-1 image.
  const win: Window = spatial === 1 ? { h: UNIT_AXIS, w: axes[0] as Axis } : { h: axes[0] as Axis, w: axes[1] as Axis };
  const x4 = spatial === 1 ? unsqueeze(x, 2) : x;
  const w4 = spatial === 1 ? unsqueeze(weight, 2) : weight;
  const y4 = conv2dOp(x4, w4, bias, win, groups);
  return undo(spatial === 1 ? squeeze(y4, 2) : y4);
}

/** The convolution as one autograd node (PyTorch's ConvolutionBackward0), with gradients written in differentiable ops. */
function conv2dOp(x: Tensor, w: Tensor, bias: Tensor | null, win: Window, groups: number): Tensor {
  const dtype = x.dtype;
  const cd = opmath(dtype);
  const inCompute = (t: Tensor): Tensor => to(t, cd);
  const y = noGrad(() => tidy(() => to(convForward(inCompute(x), inCompute(w), bias && inCompute(bias), win, groups), dtype)));
  attachGrad("ConvolutionBackward0", [x, w, bias], [y], [x, w], ([g], [sx, sw]) => {
    const [gx, gw, gb] = convBackward(inCompute(g as Tensor), inCompute(sx as Tensor), inCompute(sw as Tensor), win, groups, [
      x.requiresGrad,
      w.requiresGrad,
      bias?.requiresGrad === true,
    ]);
    return [gx && to(gx, dtype), gw && to(gw, dtype), gb && to(gb, dtype)];
  });
  return y;
}

/** Sizes of the convolution's matmul: per group, [C_out/g, K] @ [K, N]. */
function convDims(x: Tensor, w: Tensor, win: Window, groups: number) {
  const [batch, channels] = x.shape as [number, number];
  const outChannels = w.shape[0] as number;
  return {
    batch,
    channels,
    outChannels,
    k: (channels / groups) * win.h.taps * win.w.taps,
    n: batch * win.h.out * win.w.out,
  };
}

function convForward(x: Tensor, w: Tensor, bias: Tensor | null, win: Window, groups: number): Tensor {
  const { batch, outChannels, k, n } = convDims(x, w, win, groups);
  const cols = reshape(im2col(x, win, 0, "conv"), [groups, k, n]);
  const perGroup = matmul(reshape(w, [groups, outChannels / groups, k]), cols);
  const y = permute(reshape(perGroup, [outChannels, batch, win.h.out, win.w.out]), [1, 0, 2, 3]);
  return bias ? add(y, reshape(bias, [1, outChannels, 1, 1])) : contiguous(y);
}

function convBackward(
  g: Tensor,
  x: Tensor,
  w: Tensor,
  win: Window,
  groups: number,
  [needX, needW, needBias]: boolean[],
): (Tensor | null)[] {
  const { batch, channels, outChannels, k, n } = convDims(x, w, win, groups);
  const gradOut = reshape(permute(g, [1, 0, 2, 3]), [groups, outChannels / groups, n]);
  const mT = (t: Tensor): Tensor => transpose(t, -2, -1);
  const gradX = needX
    ? col2im(
        reshape(matmul(mT(reshape(w, [groups, outChannels / groups, k])), gradOut), columnsShape(batch, channels, win, "conv")),
        batch,
        channels,
        win,
        "conv",
      )
    : null;
  const gradW = needW ? reshape(matmul(gradOut, mT(reshape(im2col(x, win, 0, "conv"), [groups, k, n]))), [...w.shape]) : null;
  const gradBias = needBias ? sum(g, [0, 2, 3]) : null;
  return [gradX, gradW, gradBias];
}

/** torch.nn.functional.conv1d: input [B, C_in, L] or [C_in, L], weight [C_out, C_in / groups, kL]. */
export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvOptions = {}): Tensor {
  if (autocastActive()) return autocastOp("conv1d", conv1d, input, weight, bias, opts);
  return convolution("conv1d", 1, input, weight, bias ?? null, opts);
}

/** torch.nn.functional.conv2d: input [B, C_in, H, W] or [C_in, H, W], weight [C_out, C_in / groups, kH, kW]. */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvOptions = {}): Tensor {
  if (autocastActive()) return autocastOp("conv2d", conv2d, input, weight, bias, opts);
  return convolution("conv2d", 2, input, weight, bias ?? null, opts);
}

// ---------------------------------------------------------------- pooling

/** PyTorch's pooling_output_shape: with ceil_mode, the last window must start inside the input or its left padding. */
function pooledSize(size: number, kernel: number, pad: number, stride: number, dilation: number, ceilMode: boolean): number {
  const span = size + 2 * pad - dilation * (kernel - 1) - 1;
  let out = Math.floor((span + (ceilMode ? stride - 1 : 0)) / stride) + 1;
  if (ceilMode && (out - 1) * stride >= size + pad) out--;
  return out;
}

function poolWindow(
  op: string,
  x: Tensor,
  kernelSize: SpatialSize,
  opts: { stride?: SpatialSize | null; padding?: SpatialSize; dilation?: SpatialSize; ceilMode?: boolean },
): Window {
  const kernel = perDim(op, "kernel_size", kernelSize, 2, 1);
  const strideArg = opts.stride;
  const stride =
    strideArg === undefined || strideArg === null || (Array.isArray(strideArg) && strideArg.length === 0)
      ? kernel
      : perDim(op, "stride", strideArg, 2, 1);
  const pad = perDim(op, "padding", opts.padding ?? 0, 2, 0);
  const dilation = perDim(op, "dilation", opts.dilation ?? 1, 2, 1);
  if (pad.some((p, i) => p > Math.floor((kernel[i] as number) / 2)))
    throw new ValueError(
      op,
      `pad should be at most half of kernel size, but got padding=${fmtShape(pad)} and kernel_size=${fmtShape(kernel)}`,
    );
  const sizes = x.shape.slice(2) as [number, number];
  const axes = sizes.map(
    (size, i): Axis => ({
      size,
      out: pooledSize(
        size,
        kernel[i] as number,
        pad[i] as number,
        stride[i] as number,
        dilation[i] as number,
        opts.ceilMode ?? false,
      ),
      taps: kernel[i] as number,
      stride: stride[i] as number,
      pad: pad[i] as number,
      dilation: dilation[i] as number,
      adaptive: false,
    }),
  ) as [Axis, Axis];
  if (axes.some((a) => a.out < 1))
    throw new ShapeError(
      op,
      `given input size ${fmtShape(x.shape.slice(1))}, the calculated output size ${fmtShape([x.shape[1] as number, ...axes.map((a) => a.out)])} is too small (kernel_size=${fmtShape(kernel)}, stride=${fmtShape(stride)}, padding=${fmtShape(pad)}, dilation=${fmtShape(dilation)})`,
    );
  return { h: axes[0], w: axes[1] };
}

/**
 * A pooling input as [B, C, H, W] (an unbatched [C, H, W] as a batch of one). PyTorch's pooling
 * kernels take unbatched inputs natively, so the 4-D alias is made outside autograd and each pool
 * records its node on the input itself (recordPool).
 */
function pooledInput(op: string, input: Tensor, ok: (d: DType) => boolean, what: string): Tensor {
  if (!ok(input.dtype)) throw new DTypeError(op, `expected ${what} input, got ${input.dtype} (shape ${fmtShape(input.shape)})`);
  const { x } = noGrad(() => batched(op, input, 2));
  if (x.shape.slice(1).some((d) => d === 0))
    throw new ShapeError(
      op,
      `expected an input with non-zero channel and spatial sizes, but got input of size ${fmtShape(input.shape)}`,
    );
  return x;
}

/**
 * Give a pool's 4-D result `y4` the input's rank and record the pool's autograd node on `input`;
 * `backward` maps the 4-D output gradient to the 4-D input gradient with differentiable ops.
 */
function recordPool(
  name: string,
  input: Tensor,
  y4: Tensor,
  saved: Tensor[],
  backward: (g4: Tensor, saved: Tensor[]) => Tensor,
): Tensor {
  const unbatched = input.ndim === 3;
  const y = unbatched ? makeView(y4, y4.shape.slice(1), y4.strides.slice(1), y4.offset) : y4;
  attachGrad(name, [input], [y], saved, ([g], s) => {
    const gx = backward(unbatched ? unsqueeze(g as Tensor, 0) : (g as Tensor), s);
    return [unbatched ? squeeze(gx, 0) : gx];
  });
  return y;
}

/** Per-plane flat index (h·W + w, int64) of each window's maximum: the first maximum, or the last NaN. */
function maxIndices(x: Tensor, win: Window): Tensor {
  const shape = [x.shape[0] as number, x.shape[1] as number, win.h.out, win.w.out];
  const cd = opmath(x.dtype);
  const [b, c, oh, ow] = [coord(0), coord(1), coord(2), coord(3)];
  let best = konst(Number.NEGATIVE_INFINITY, cd);
  let index = i32(-1);
  for (let i = 0; i < win.h.taps; i++)
    for (let j = 0; j < win.w.taps; j++) {
      const h = tapPosition(win.h, oh, i32(i));
      const w = tapPosition(win.w, ow, i32(j));
      const valid = and(h.valid, w.valid);
      const v = cast(gload(0, x.dtype, pixelOffset(x.strides, x.offset, b, c, h.pos, w.pos, valid)), cd);
      const take = and(valid, bin("or", bin("lt", index, i32(0)), bin("or", bin("gt", v, best), un("isnan", v))));
      best = select(take, v, best);
      index = select(take, bin("add", bin("mul", h.pos, i32(win.w.size)), w.pos), index);
    }
  return runKernel(shape, "int64", x.device, cast(index, "int64"), [x]);
}

/** Whether tap (i, j) of the current output's fixed window lies inside the input. */
function tapInside(win: Window, i: number, j: number): Exp {
  // unpadded windows never leave the input: no bounds test
  const unpadded = win.h.pad === 0 && win.w.pad === 0 && paddedExtent(win.h) === win.h.size && paddedExtent(win.w) === win.w.size;
  if (unpadded) return konst(true, "bool");
  return and(tapPosition(win.h, coord(2), i32(i)).valid, tapPosition(win.w, coord(3), i32(j)).valid);
}

/** The flat plane index (h·W + w, int64) of each output's tap, from its row-major tap number. */
function tapsToIndices(tap: Tensor, win: Window): Tensor {
  const t = load(0, "int32");
  const ti = bin("div", t, i32(win.w.taps));
  const tj = bin("sub", t, bin("mul", ti, i32(win.w.taps)));
  const h = tapPosition(win.h, coord(2), ti).pos;
  const w = tapPosition(win.w, coord(3), tj).pos;
  return runKernel(tap.shape, "int64", tap.device, cast(bin("add", bin("mul", h, i32(win.w.size)), w), "int64"), [], [tap]);
}

/** The tap views [B, C, OH, OW] of a padded input, in row-major tap order. */
function tapViews(xp: Tensor, win: Window): View[] {
  const [sb, sc, sh, sw] = xp.strides as [number, number, number, number];
  const shape = [xp.shape[0] as number, xp.shape[1] as number, win.h.out, win.w.out];
  const strides = [sb, sc, win.h.stride * sh, win.w.stride * sw];
  const views: View[] = [];
  for (let i = 0; i < win.h.taps; i++)
    for (let j = 0; j < win.w.taps; j++)
      views.push({ ...xp._view(), shape, strides, offset: xp.offset + i * win.h.dilation * sh + j * win.w.dilation * sw });
  return views;
}

/**
 * max_pool2d's window scan over fixed windows, reading each tap from a strided view of the padded
 * input (no per-element offsets): `result` picks what to store from the scan's final maximum and
 * its row-major tap number (int32: the int64 plane index is derived only where it is asked for).
 */
function scanTaps(x: Tensor, win: Window, dtype: DType, result: (scan: { best: Exp; index: Exp }) => Exp): Tensor {
  const cd = opmath(x.dtype);
  const xp = padInput(x, win, 0);
  let best = konst(Number.NEGATIVE_INFINITY, cd);
  let index = i32(-1);
  let t = 0;
  for (let i = 0; i < win.h.taps; i++)
    for (let j = 0; j < win.w.taps; j++, t++) {
      const v = cast(load(t, x.dtype), cd);
      const take = and(tapInside(win, i, j), bin("or", bin("lt", index, i32(0)), bin("or", bin("gt", v, best), un("isnan", v))));
      best = select(take, v, best);
      index = select(take, i32(t), index);
    }
  const out = empty([x.shape[0] as number, x.shape[1] as number, win.h.out, win.w.out], dtype, x.device);
  if (out.numel() > 0) out._storage.backend.elementwise(cast(result({ best, index }), dtype), out._view(), tapViews(xp, win));
  if (xp !== x) xp.dispose();
  return out;
}

/**
 * The gradient of max_pool2d over fixed windows that do not overlap: zeros, then for each tap, the
 * outputs whose maximum is that tap add their gradient to its pixel (each pixel has at most one
 * window, so these are exactly the scatter's adds).
 */
function maxPoolGradByTaps(g: Tensor, tap: Tensor, win: Window, shape: readonly number[]): Tensor {
  return noGrad(() => {
    const [batch, channels] = shape as [number, number];
    const [hp, wp] = [paddedExtent(win.h), paddedExtent(win.w)];
    const gp = zeros([batch, channels, hp, wp], { dtype: g.dtype, device: g.device });
    const targets = tapViews(gp, win);
    const pixels = targets[0]?.shape ?? [];
    const gv = broadcastView(g, pixels);
    const tv = broadcastView(tap, pixels);
    for (let t = 0; t < targets.length; t++) {
      // the scan only takes taps inside the input, so tap t's pixel is real wherever it was taken
      const mine = bin("eq", load(2, "int32"), i32(t));
      const e = bin("add", load(0, g.dtype), select(mine, load(1, g.dtype), konst(0, g.dtype)));
      const target = targets[t] as View;
      if (g.numel() > 0) gp._storage.backend.elementwise(e, target, [target, gv, tv]);
    }
    return unpad(gp, win);
  });
}

/** out[b, c, ...] = x[b, c] at flat plane index idx[b, c, ...]. Gradient: putIntoPlanes. */
function takeFromPlanes(x: Tensor, idx: Tensor): Tensor {
  const width = x.shape[3] as number;
  const flat = cast(load(1, "int64"), "int32");
  const h = bin("div", flat, i32(width));
  const w = bin("sub", flat, bin("mul", h, i32(width)));
  const off = pixelOffset(x.strides, x.offset, coord(0), coord(1), h, w);
  const y = runKernel(idx.shape, x.dtype, x.device, gload(0, x.dtype, off), [x], [idx]);
  attachGrad("MaxPool2DWithIndicesBackward0", [x], [y], [idx], ([g], [si]) => [
    putIntoPlanes(g as Tensor, si as Tensor, x.shape),
  ]);
  return y;
}

/** Zeros of `shape` [B, C, H, W] with g[b, c, ...] added at flat plane index idx[b, c, ...], in g's order. Gradient: takeFromPlanes. */
function putIntoPlanes(g: Tensor, idx: Tensor, shape: readonly number[]): Tensor {
  const [, channels, height, width] = shape as [number, number, number, number];
  const plane = bin("add", bin("mul", coord(0), i32(channels)), coord(1));
  const off = bin("add", bin("mul", plane, i32(height * width)), cast(load(0, "int64"), "int32"));
  const offsets = runKernel(idx.shape, "int32", g.device, off, [], [idx]);
  const x = scatterAdd(shape, offsets, g);
  offsets.dispose();
  attachGrad("MaxPool2DWithIndicesBackwardBackward0", [g], [x], [idx], ([gg], [si]) => [
    takeFromPlanes(gg as Tensor, si as Tensor),
  ]);
  return x;
}

/** torch.nn.functional.max_pool2d. With returnIndices, also the int64 flat per-plane index of each maximum. */
export function maxPool2d(input: Tensor, kernelSize: SpatialSize, opts?: MaxPoolOptions & { returnIndices?: false }): Tensor;
export function maxPool2d(
  input: Tensor,
  kernelSize: SpatialSize,
  opts: MaxPoolOptions & { returnIndices: true },
): [Tensor, Tensor];
export function maxPool2d(input: Tensor, kernelSize: SpatialSize, opts?: MaxPoolOptions): Tensor | [Tensor, Tensor];
export function maxPool2d(input: Tensor, kernelSize: SpatialSize, opts: MaxPoolOptions = {}): Tensor | [Tensor, Tensor] {
  const op = "max_pool2d";
  const x = pooledInput(op, input, isFloating, "a floating point");
  const win = poolWindow(op, x, kernelSize, opts);
  const unbatch = (t: Tensor): Tensor => (input.ndim === 3 ? makeView(t, t.shape.slice(1), t.strides.slice(1), t.offset) : t);
  if (!fixedWindows(win)) {
    const idx = maxIndices(x, win);
    const y = recordPool(
      "MaxPool2DWithIndicesBackward0",
      input,
      noGrad(() => takeFromPlanes(x, idx)),
      [idx],
      (g, [si]) => putIntoPlanes(g, si as Tensor, x.shape),
    );
    return opts.returnIndices ? [y, unbatch(idx)] : y;
  }
  const tap = noGrad(() => scanTaps(x, win, "int32", (scan) => scan.index));
  const values = noGrad(() => scanTaps(x, win, x.dtype, (scan) => cast(scan.best, x.dtype)));
  const y = recordPool("MaxPool2DWithIndicesBackward0", input, values, [tap], (g, [st]) => {
    const taps = st as Tensor;
    if (!disjointWindows(win))
      return putIntoPlanes(
        g,
        noGrad(() => tapsToIndices(taps, win)),
        x.shape,
      );
    const gx = maxPoolGradByTaps(g, taps, win, x.shape);
    // the gradient of the by-taps gradient is takeFromPlanes, as putIntoPlanes's (double backward)
    attachGrad("MaxPool2DWithIndicesBackwardBackward0", [g], [gx], [taps], ([gg], [sj]) => [
      takeFromPlanes(
        gg as Tensor,
        noGrad(() => tapsToIndices(sj as Tensor, win)),
      ),
    ]);
    return gx;
  });
  if (!opts.returnIndices) return y;
  return [y, unbatch(noGrad(() => tapsToIndices(tap, win)))];
}

/** A [rows, cols] tensor of per-output divisors in `dtype`. */
function divisorTensor(values: number[], shape: number[], dtype: DType, device: string): Tensor {
  return fromStorageArray(encodeValues(dtype, values), shape, dtype, device);
}

/** torch.nn.functional.avg_pool2d: window sum (sequential, row-major) divided by the window count or divisorOverride. */
export function avgPool2d(input: Tensor, kernelSize: SpatialSize, opts: AvgPoolOptions = {}): Tensor {
  // not on autocast's lists: runs in the input dtype, its inner matmul untouched by autocast
  if (autocastActive()) return autocastOp("avg_pool2d", avgPool2d, input, kernelSize, opts);
  const op = "avg_pool2d";
  const x = pooledInput(op, input, (d) => isFloating(d) || d === "int64", "a floating point or int64");
  const win = poolWindow(op, x, kernelSize, { ...opts, dilation: 1 });
  const override = opts.divisorOverride ?? null;
  if (override !== null && (!Number.isInteger(override) || override === 0))
    throw new ValueError(op, `divisor_override must be a non-zero integer, got ${override}`);
  // PyTorch's divide factor: the window clipped to the padded input, or to the input itself.
  const countIncludePad = opts.countIncludePad ?? true;
  const count = (ax: Axis, o: number): number => {
    const start = o * ax.stride - ax.pad;
    const end = Math.min(start + ax.taps, ax.size + ax.pad);
    return countIncludePad ? end - start : Math.min(end, ax.size) - Math.max(start, 0);
  };
  const divisors: number[] = [];
  for (let oh = 0; oh < win.h.out; oh++)
    for (let ow = 0; ow < win.w.out; ow++) divisors.push(override ?? Math.max(count(win.h, oh) * count(win.w, ow), 1));
  const integral = x.dtype === "int64";
  const cd = opmath(x.dtype);
  const divisor = divisorTensor(divisors, [win.h.out, win.w.out], cd, x.device);
  // Integer pooling truncates the quotient (C++ integer division).
  const divide = (t: Tensor): Tensor => (integral ? div(t, divisor, { roundingMode: "trunc" }) : div(t, divisor));
  const y = noGrad(() => tidy(() => to(divide(windowSums(to(x, cd), win)), x.dtype)));
  return recordPool("AvgPool2DBackward0", input, y, [], (g) => to(spreadOverWindows(divide(to(g, cd)), win), x.dtype));
}

/** torch.nn.functional.adaptive_avg_pool2d: outputSize is a number or [h, w], null keeping that input size. */
export function adaptiveAvgPool2d(input: Tensor, outputSize: number | readonly (number | null)[]): Tensor {
  if (autocastActive()) return autocastOp("adaptive_avg_pool2d", adaptiveAvgPool2d, input, outputSize);
  const op = "adaptive_avg_pool2d";
  const x = pooledInput(op, input, isFloating, "a floating point");
  const sizes = x.shape.slice(2) as [number, number];
  const requested = typeof outputSize === "number" ? [outputSize, outputSize] : [...outputSize];
  if (requested.length !== 2)
    throw new ValueError(op, `output_size must be a number or a list of 2 (number or null), got ${JSON.stringify(outputSize)}`);
  const [outH, outW] = requested.map((s, i) => s ?? sizes[i]) as [number, number];
  if (![outH, outW].every((s) => Number.isInteger(s) && s >= 1))
    throw new ValueError(op, `output_size must be positive integers, got ${JSON.stringify(outputSize)}`);
  // PyTorch computes a 1×1 output as the mean over H and W.
  if (outH === 1 && outW === 1) return mean(input, [-2, -1], true);
  const axis = (size: number, out: number): Axis => {
    let taps = 0;
    for (let o = 0; o < out; o++) taps = Math.max(taps, adaptiveEnd(o, size, out) - adaptiveStart(o, size, out));
    return { size, out, taps, stride: 0, pad: 0, dilation: 1, adaptive: true };
  };
  const win: Window = { h: axis(sizes[0], outH), w: axis(sizes[1], outW) };
  const cd = opmath(x.dtype);
  const extents = (size: number, out: number): number[] =>
    Array.from({ length: out }, (_, o) => adaptiveEnd(o, size, out) - adaptiveStart(o, size, out));
  const rows = divisorTensor(extents(sizes[0], outH), [outH, 1], cd, x.device);
  const cols = divisorTensor(extents(sizes[1], outW), [1, outW], cd, x.device);
  // sum / kh / kw, as PyTorch's kernel (two roundings, in that order), forward and backward.
  const divide = (t: Tensor): Tensor => div(div(t, rows), cols);
  const y = noGrad(() => tidy(() => to(divide(windowSums(to(x, cd), win)), x.dtype)));
  return recordPool("AdaptiveAvgPool2DBackward0", input, y, [], (g) => to(spreadOverWindows(divide(to(g, cd)), win), x.dtype));
}
