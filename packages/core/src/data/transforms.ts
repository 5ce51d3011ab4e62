// The torchvision.transforms lockstep ships, as functions: toTensor, normalize, compose,
// randomHorizontalFlip, randomCrop. Each carries a module reference, so datasets using them can be
// rebuilt in DataLoader worker threads. Random ones draw what torchvision 0.14 draws:
// randomHorizontalFlip one `torch.rand(1)` (flip when < p), randomCrop `torch.randint(0, h-th+1)`
// for the top, then `torch.randint(0, w-tw+1)` for the left (nothing when the size already fits) —
// from `generator` when given, else from the global generator (in a worker: seeded baseSeed + id).
import { ShapeError, ValueError } from "../errors.js";
import { tidy } from "../memory.js";
import { full, tensor } from "../ops/creation.js";
import { copyInto } from "../ops/elementwise.js";
import type { Tensor } from "../tensor.js";
import { type Portable, withWorkerSpec } from "./portable.js";
import { type GeneratorLike, rng } from "./random.js";

/** A transform: a function that also says how a worker thread rebuilds it. */
export type Transform<I = Tensor, O = Tensor> = ((x: I) => O) & Portable;

const HERE = import.meta.url;
const portable = <F extends (x: any) => any>(f: F, name: string, args: unknown[]): F & Portable =>
  withWorkerSpec(f, { module: HERE, export: name, args });

/**
 * `transforms.ToTensor()`: a uint8 image, [H, W] or [H, W, C] (HWC, as a numpy array given to
 * ToTensor), becomes float32 [C, H, W] with values x / 255 (float32 division, as PyTorch). Other
 * dtypes are only moved to CHW, as torchvision does for non-byte arrays.
 */
export function toTensor(): Transform<Tensor, Tensor> {
  return portable(
    (pic: Tensor) =>
      tidy(() => {
        if (pic.ndim !== 2 && pic.ndim !== 3)
          throw new ShapeError("toTensor", `pic should be 2 or 3 dimensional (HW or HWC), got [${pic.shape.join(", ")}]`);
        const chw = pic.ndim === 2 ? pic.unsqueeze(0) : pic.permute(2, 0, 1);
        if (pic.dtype !== "uint8") return chw.contiguous();
        return chw.to("float32").div(255);
      }),
    "toTensor",
    [],
  );
}

/**
 * `transforms.Normalize(mean, std, inplace=False)` on a float image [..., C, H, W]:
 * `(x - mean[c]) / std[c]`, mean and std taken in the image's dtype (float32), one rounding each.
 */
export function normalize(
  mean: number | readonly number[],
  std: number | readonly number[],
  inplace = false,
): Transform<Tensor, Tensor> {
  const m = typeof mean === "number" ? [mean] : [...mean];
  const s = typeof std === "number" ? [std] : [...std];
  return portable(
    (x: Tensor) =>
      tidy(() => {
        if (!x.isFloatingPoint()) throw new ValueError("normalize", `Input tensor should be a float tensor. Got ${x.dtype}.`);
        if (x.ndim < 3)
          throw new ShapeError(
            "normalize",
            `Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = [${x.shape.join(", ")}].`,
          );
        const mt = tensor(m, { dtype: x.dtype, device: x.device }).view(-1, 1, 1);
        const st = tensor(s, { dtype: x.dtype, device: x.device }).view(-1, 1, 1);
        if (st.eq(0).any().itemSync())
          throw new ValueError("normalize", `std evaluated to zero after conversion to ${x.dtype}, leading to division by zero.`);
        if (inplace) return x.sub_(mt).div_(st);
        return x.sub(mt).div(st);
      }),
    "normalize",
    [m, s, inplace],
  );
}

/** `transforms.Compose(transforms)`: applies them in order. */
export function compose(transforms: readonly ((x: any) => any)[]): Transform<any, any> {
  const ts = [...transforms];
  return portable(
    (x: unknown) => {
      let y = x;
      for (const t of ts) y = t(y);
      return y;
    },
    "compose",
    [ts],
  );
}

/** Generator option of the random transforms (torchvision draws from the global generator; lockstep lets you pass one). */
export interface RandomTransformOptions {
  generator?: GeneratorLike;
}

/** `transforms.RandomHorizontalFlip(p=0.5)`: flips the last dim when `torch.rand(1) < p`. */
export function randomHorizontalFlip(p = 0.5, opts: RandomTransformOptions = {}): Transform<Tensor, Tensor> {
  const gen = opts.generator;
  const pf = Math.fround(p); // `rand(1) < p` compares in float32
  return portable((img: Tensor) => (rng().rand(gen) < pf ? img.flip(-1) : img), "randomHorizontalFlip", [
    p,
    gen === undefined ? {} : { generator: gen },
  ]);
}

export interface RandomCropOptions extends RandomTransformOptions {
  /** Padding added first: one number (all sides), [left/right, top/bottom] or [left, top, right, bottom]. */
  padding?: number | readonly number[] | null;
  /** Pad to the crop size when the image is smaller. */
  padIfNeeded?: boolean;
  /** The constant padding value. */
  fill?: number;
  /** Only "constant" is implemented. */
  paddingMode?: "constant";
}

/** Pad the last two dims with a constant (torchvision's F.pad, constant mode). */
function pad(img: Tensor, padding: number | readonly number[], fill: number): Tensor {
  const p = typeof padding === "number" ? [padding] : [...padding];
  const [l, t, r, b] =
    p.length === 1 ? [p[0], p[0], p[0], p[0]] : p.length === 2 ? [p[0], p[1], p[0], p[1]] : p.length === 4 ? p : [Number.NaN];
  if (![l, t, r, b].every((v) => Number.isInteger(v) && (v as number) >= 0))
    throw new ValueError(
      "randomCrop",
      `padding must be a non-negative integer or a sequence of 2 or 4 of them, got ${JSON.stringify(padding)}`,
    );
  const [left, top, right, bottom] = [l, t, r, b] as number[];
  if (left + top + right + bottom === 0) return img;
  const h = img.shape[img.ndim - 2] as number;
  const w = img.shape[img.ndim - 1] as number;
  const shape = [...img.shape.slice(0, -2), h + top + bottom, w + left + right];
  const out = full(shape, fill, { dtype: img.dtype, device: img.device });
  copyInto(out.narrow(-2, top, h).narrow(-1, left, w), img);
  return out;
}

/**
 * `transforms.RandomCrop(size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant")`
 * on an image [..., H, W]: pad, then cut a `size` window at a random top-left corner (a view).
 */
export function randomCrop(size: number | readonly [number, number], opts: RandomCropOptions = {}): Transform<Tensor, Tensor> {
  const [th, tw] = typeof size === "number" ? [size, size] : [size[0], size[1]];
  const { padding = null, padIfNeeded = false, fill = 0, paddingMode = "constant", generator } = opts;
  if (paddingMode !== "constant")
    throw new ValueError("randomCrop", `paddingMode '${paddingMode}' is not implemented (only 'constant')`);
  const f = (input: Tensor): Tensor => {
    let img = input;
    if (img.ndim < 2) throw new ShapeError("randomCrop", `expected an image [..., H, W], got [${img.shape.join(", ")}]`);
    if (padding !== null) img = pad(img, padding, fill);
    let h = img.shape[img.ndim - 2] as number;
    let w = img.shape[img.ndim - 1] as number;
    if (padIfNeeded && w < tw) img = pad(img, [tw - w, 0], fill);
    if (padIfNeeded && h < th) img = pad(img, [0, th - h], fill);
    h = img.shape[img.ndim - 2] as number;
    w = img.shape[img.ndim - 1] as number;
    if (h < th || w < tw)
      throw new ValueError("randomCrop", `Required crop size (${th}, ${tw}) is larger than input image size (${h}, ${w})`);
    if (h === th && w === tw) return img;
    const i = rng().randint(0, h - th + 1, 1, generator)[0] as number;
    const j = rng().randint(0, w - tw + 1, 1, generator)[0] as number;
    return img.narrow(-2, i, th).narrow(-1, j, tw);
  };
  const o: Record<string, unknown> = { padding, padIfNeeded, fill, paddingMode };
  if (generator !== undefined) o.generator = generator;
  return portable(f, "randomCrop", [typeof size === "number" ? size : [th, tw], o]);
}
