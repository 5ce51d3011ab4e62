// torchvision.datasets.FashionMNIST over the IDX files (gzipped or not), read with node's zlib.
//
// Where the files are looked for, in order: `<root>/FashionMNIST/raw` (torchvision's layout),
// `<root>/raw`, `<root>`; without `root`: $FASHION_MNIST_DIR, then Debian's `dataset-fashion-mnist`
// package (/usr/share/datasets/fashion-mnist). `bash tools/install-fashion-mnist.sh` installs it.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { ValueError } from "../errors.js";
import { fromBuffer } from "../ops/creation.js";
import type { Tensor } from "../tensor.js";
import { Dataset } from "./dataset.js";
import { type ModuleRef, type Portable, WORKER_SPEC } from "./portable.js";

/** Debian's `dataset-fashion-mnist` puts the four .gz files here. */
export const DEBIAN_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

const HOW_TO_GET =
  "Install Debian's dataset-fashion-mnist package (`bash tools/install-fashion-mnist.sh`, or " +
  `\`apt-get install dataset-fashion-mnist\`, which puts the files in ${DEBIAN_FASHION_MNIST_DIR}), or download ` +
  "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz " +
  "from https://github.com/zalandoresearch/fashion-mnist and pass their directory as `root`.";

/** IDX element types (the third byte of the magic number). */
const IDX_TYPES: Record<number, string> = { 8: "uint8", 9: "int8", 11: "int16", 12: "int32", 13: "float32", 14: "float64" };

export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

/**
 * Parse an IDX file (gzipped when it starts with the gzip magic). Only unsigned-byte data (type
 * 0x08, what MNIST-style datasets use) is accepted; the header and the size are checked.
 */
export function readIdx(bytes: Uint8Array, file = "IDX data", expectDims?: number): IdxArray {
  let raw = bytes;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      raw = gunzipSync(bytes);
    } catch (e) {
      throw new ValueError(
        "FashionMNIST",
        `${file}: cannot be decompressed (${(e as Error).message}); the file is damaged or truncated. ${HOW_TO_GET}`,
      );
    }
  }
  if (raw.length < 4) throw new ValueError("FashionMNIST", `${file}: too short for an IDX header (${raw.length} bytes)`);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const magic = dv.getUint32(0, false);
  const type = (magic >>> 8) & 0xff;
  const ndim = magic & 0xff;
  if (magic >>> 16 !== 0 || !(type in IDX_TYPES) || ndim === 0)
    throw new ValueError(
      "FashionMNIST",
      `${file}: bad magic number 0x${magic.toString(16).padStart(8, "0")} (an IDX file starts with 0x0000, a type byte and the number of dimensions; ` +
        "images are 0x00000803, labels 0x00000801)",
    );
  if (type !== 0x08) throw new ValueError("FashionMNIST", `${file}: IDX type ${IDX_TYPES[type]} is not supported (only uint8)`);
  if (expectDims !== undefined && ndim !== expectDims)
    throw new ValueError(
      "FashionMNIST",
      `${file}: expected ${expectDims} dimensions (magic 0x0000080${expectDims}), got ${ndim} (magic 0x${magic.toString(16).padStart(8, "0")})`,
    );
  const header = 4 + 4 * ndim;
  if (raw.length < header)
    throw new ValueError("FashionMNIST", `${file}: truncated header (${raw.length} bytes, need ${header})`);
  const shape = Array.from({ length: ndim }, (_, i) => dv.getUint32(4 + 4 * i, false));
  const n = shape.reduce((a, b) => a * b, 1);
  if (raw.length !== header + n)
    throw new ValueError(
      "FashionMNIST",
      `${file}: size mismatch: the header says [${shape.join(", ")}] (${header + n} bytes), the file has ${raw.length} bytes` +
        (raw.length < header + n ? " (truncated)" : ""),
    );
  // Own buffer of exactly the data (so it can be wrapped without a copy, and transferred).
  return { shape, data: new Uint8Array(raw.subarray(header, header + n)) };
}

export interface FashionMNISTOptions<I = Tensor, L = number> {
  /** Directory with the IDX files (see the file comment for where else they are looked for). */
  root?: string;
  /** The 60 000 training images (default) or the 10 000 test images. */
  train?: boolean;
  /** Applied to each image (a uint8 tensor [28, 28]); use `transforms` (they reach worker threads). */
  transform?: ((img: Tensor) => I) | null;
  /** Applied to each label (a number 0–9). */
  targetTransform?: ((label: number) => L) | null;
  /** Not supported (no network): must be false. */
  download?: boolean;
}

/**
 * `torchvision.datasets.FashionMNIST(root, train=True, transform=None, target_transform=None, download=False)`.
 * Items are `[image, label]`: the image a uint8 tensor [28, 28] (torchvision gives a PIL image;
 * `transforms.toTensor()` turns either into float32 [1, 28, 28] in [0, 1]), the label a number.
 * `data` (uint8 [N, 28, 28]) and `targets` (int64 [N]) hold everything, as in torchvision.
 */
export class FashionMNIST<I = Tensor, L = number> extends Dataset<[I, L]> implements Portable {
  static readonly classes = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
  ];
  readonly classes = FashionMNIST.classes;
  readonly root: string;
  readonly train: boolean;
  readonly transform: ((img: Tensor) => I) | null;
  readonly targetTransform: ((label: number) => L) | null;
  readonly data: Tensor;
  readonly targets: Tensor;
  private readonly labels: Uint8Array;

  constructor(root?: string | FashionMNISTOptions<I, L>, opts: FashionMNISTOptions<I, L> = {}) {
    super();
    const o: FashionMNISTOptions<I, L> = typeof root === "object" && root !== null ? root : { ...opts, root: root ?? opts.root };
    if (o.download)
      throw new ValueError("FashionMNIST", `download is not supported (lockstep does not use the network). ${HOW_TO_GET}`);
    this.train = o.train ?? true;
    this.transform = o.transform ?? null;
    this.targetTransform = o.targetTransform ?? null;
    const prefix = this.train ? "train" : "t10k";
    const dir = findDir(o.root, prefix);
    this.root = dir;
    const images = readIdx(readFileSync(pick(dir, `${prefix}-images-idx3-ubyte`)), pick(dir, `${prefix}-images-idx3-ubyte`), 3);
    const labels = readIdx(readFileSync(pick(dir, `${prefix}-labels-idx1-ubyte`)), pick(dir, `${prefix}-labels-idx1-ubyte`), 1);
    if (images.shape[0] !== labels.shape[0])
      throw new ValueError("FashionMNIST", `${dir}: ${images.shape[0]} images but ${labels.shape[0]} labels`);
    for (const l of labels.data) if (l > 9) throw new ValueError("FashionMNIST", `${dir}: label ${l} is not a class index 0-9`);
    this.labels = labels.data;
    this.data = fromBuffer(images.data, { shape: images.shape, dtype: "uint8" });
    this.targets = fromBuffer(
      BigInt64Array.from(labels.data, (v) => BigInt(v)),
      { shape: [labels.data.length] },
    );
  }

  get length(): number {
    return this.labels.length;
  }

  getItem(index: number): [I, L] {
    const n = this.labels.length;
    const i = index < 0 ? index + n : index;
    if (!Number.isInteger(i) || i < 0 || i >= n)
      throw new ValueError("FashionMNIST.getItem", `index ${index} is out of range for ${n} images`);
    const img = this.data.select(0, i);
    const label = this.labels[i] as number;
    return [(this.transform ? this.transform(img) : img) as I, (this.targetTransform ? this.targetTransform(label) : label) as L];
  }

  /** Workers read the files again; transforms must carry module references (all of `transforms` do). */
  get [WORKER_SPEC](): ModuleRef {
    const o = { root: this.root, train: this.train, transform: this.transform, targetTransform: this.targetTransform };
    return { module: import.meta.url, export: "FashionMNIST", args: [o] };
  }
}

function pick(dir: string, base: string): string {
  for (const f of [`${base}.gz`, base]) if (existsSync(join(dir, f))) return join(dir, f);
  return join(dir, `${base}.gz`);
}

function findDir(root: string | undefined, prefix: string): string {
  const candidates = root
    ? [join(root, "FashionMNIST", "raw"), join(root, "raw"), root]
    : [...(process.env.FASHION_MNIST_DIR ? [process.env.FASHION_MNIST_DIR] : []), DEBIAN_FASHION_MNIST_DIR];
  const has = (d: string, f: string) => existsSync(join(d, `${f}.gz`)) || existsSync(join(d, f));
  for (const d of candidates) if (has(d, `${prefix}-images-idx3-ubyte`) && has(d, `${prefix}-labels-idx1-ubyte`)) return d;
  throw new ValueError(
    "FashionMNIST",
    `Dataset not found: no ${prefix}-images-idx3-ubyte(.gz) and ${prefix}-labels-idx1-ubyte(.gz) in ${candidates.join(", ")}. ${HOW_TO_GET}`,
  );
}
