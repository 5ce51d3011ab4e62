// FashionMNIST (IDX reader, validation, the real files when installed) and the transforms
// (toTensor/normalize bits against PyTorch, errors, worker portability).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";
import * as torch from "@lockstep/core";
import { type Tensor, ValueError } from "@lockstep/core";
import { describe, expect, it } from "vitest";
import {
  DataLoader,
  DEBIAN_FASHION_MNIST_DIR,
  FashionMNIST,
  liveWorkerCount,
  readIdx,
  Subset,
  transforms,
  workerSpecOf,
} from "../src/data/index.js";
import { decodeSpec, encodeSpec } from "../src/data/portable.js";
import { decodeTensor, type T } from "./golden/harness.js";

const FILES = [
  "train-images-idx3-ubyte.gz",
  "train-labels-idx1-ubyte.gz",
  "t10k-images-idx3-ubyte.gz",
  "t10k-labels-idx1-ubyte.gz",
];
const installed = (() => {
  try {
    return FILES.every((f) => readFileSync(join(DEBIAN_FASHION_MNIST_DIR, f)).length > 0);
  } catch {
    return false;
  }
})();

// ---------------------------------------------------------------- IDX fixtures

function idx(type: number, shape: number[], data: number[]): Buffer {
  const head = Buffer.alloc(4 + 4 * shape.length);
  head.writeUInt32BE((type << 8) | shape.length, 0);
  shape.forEach((s, i) => head.writeUInt32BE(s, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

/** A tiny Fashion-MNIST-shaped dataset: 3 images of 2x2 and their labels, in a fresh directory. */
function fixture(opts: { images?: Buffer; labels?: Buffer; gzip?: boolean; prefix?: string; sub?: string } = {}): string {
  const root = mkdtempSync(join(tmpdir(), "lockstep-fmnist-"));
  const dir = opts.sub ? join(root, opts.sub) : root;
  mkdirSync(dir, { recursive: true });
  const images = opts.images ?? idx(0x08, [3, 2, 2], [0, 1, 2, 3, 10, 11, 12, 13, 250, 251, 252, 255]);
  const labels = opts.labels ?? idx(0x08, [3], [9, 0, 3]);
  const gz = opts.gzip ?? true;
  const p = opts.prefix ?? "train";
  writeFileSync(join(dir, `${p}-images-idx3-ubyte${gz ? ".gz" : ""}`), gz ? gzipSync(images) : images);
  writeFileSync(join(dir, `${p}-labels-idx1-ubyte${gz ? ".gz" : ""}`), gz ? gzipSync(labels) : labels);
  return root;
}

describe("FashionMNIST on a generated IDX fixture", () => {
  it("reads gzipped and plain IDX files, torchvision's root/FashionMNIST/raw layout too", async () => {
    for (const [gzip, sub] of [
      [true, undefined],
      [false, undefined],
      [true, "FashionMNIST/raw"],
    ] as const) {
      const ds = new FashionMNIST({ root: fixture({ gzip, sub }) });
      expect(ds.length).toBe(3);
      expect(ds.data.shape).toEqual([3, 2, 2]);
      expect(ds.data.dtype).toBe("uint8");
      expect(ds.targets.dtype).toBe("int64");
      expect(await ds.targets.tolist()).toEqual([9, 0, 3]);
      const [img, label] = ds.getItem(2);
      expect(label).toBe(3);
      expect(await img.tolist()).toEqual([
        [250, 251],
        [252, 255],
      ]);
      expect(ds.classes[label]).toBe("Dress");
    }
    const test = new FashionMNIST(fixture({ prefix: "t10k" }), { train: false });
    expect(test.train).toBe(false);
    expect(test.length).toBe(3);
  });

  it("applies transform and targetTransform", async () => {
    const ds = new FashionMNIST({
      root: fixture(),
      transform: transforms.compose([transforms.toTensor(), transforms.normalize([0.5], [0.5])]),
      targetTransform: (y: number) => y * 10,
    });
    const [x, y] = ds.getItem(0);
    expect(x.shape).toEqual([1, 2, 2]);
    expect(x.dtype).toBe("float32");
    expect(y).toBe(90);
    expect((await x.tolist()) as number[][][]).toEqual([
      [
        [-1, Math.fround((Math.fround(1 / 255) - 0.5) / 0.5)],
        [Math.fround((Math.fround(2 / 255) - 0.5) / 0.5), Math.fround((Math.fround(3 / 255) - 0.5) / 0.5)],
      ],
    ]);
  });

  it("rejects bad magic numbers, truncated and damaged files, mismatched counts and bad labels", () => {
    const bad = (o: Parameters<typeof fixture>[0]) => () => new FashionMNIST({ root: fixture(o) });
    // labels file with the images' magic (3 dims), images with a wrong type byte
    expect(bad({ labels: idx(0x08, [3, 1, 1], [1, 2, 3]) })).toThrow(/expected 1 dimensions/);
    expect(bad({ images: idx(0x0c, [3, 2, 2], []) })).toThrow(/int32 is not supported/);
    const garbage = Buffer.from([0x12, 0x34, 0x08, 0x03, 0, 0, 0, 0]);
    expect(bad({ images: garbage })).toThrow(/bad magic number 0x12340803/);
    // truncated: header says 3 images of 2x2, the data stops early
    const full = idx(0x08, [3, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(bad({ images: full.subarray(0, full.length - 5), gzip: false })).toThrow(/size mismatch.*\(truncated\)/);
    expect(bad({ images: full.subarray(0, 10), gzip: false })).toThrow(/truncated header/);
    // a gzip stream cut in the middle
    const root = fixture();
    const gz = gzipSync(full);
    writeFileSync(join(root, "train-images-idx3-ubyte.gz"), gz.subarray(0, gz.length - 12));
    expect(() => new FashionMNIST({ root })).toThrow(/cannot be decompressed.*damaged or truncated/);
    expect(bad({ labels: idx(0x08, [2], [1, 2]) })).toThrow(/3 images but 2 labels/);
    expect(bad({ labels: idx(0x08, [3], [1, 2, 12]) })).toThrow(/label 12/);
    expect(() => readIdx(new Uint8Array([0, 0]))).toThrow(/too short/);
  });

  it("says how to get the data when it is absent, and refuses download", () => {
    const empty = mkdtempSync(join(tmpdir(), "lockstep-fmnist-empty-"));
    expect(() => new FashionMNIST({ root: empty })).toThrow(ValueError);
    expect(() => new FashionMNIST({ root: empty })).toThrow(/Dataset not found[\s\S]*apt-get install dataset-fashion-mnist/);
    expect(() => new FashionMNIST({ root: empty, download: true })).toThrow(/download is not supported/);
  });

  it("reaches worker threads (files read again there) with its transforms", async () => {
    const root = fixture();
    const ds = new FashionMNIST({
      root,
      transform: transforms.compose([transforms.toTensor(), transforms.normalize(0.5, 0.25)]),
    });
    const spec = workerSpecOf(ds);
    expect(spec?.export).toBe("FashionMNIST");
    const batches = async (numWorkers: number) => {
      const out: unknown[] = [];
      for await (const [x, y] of new DataLoader(ds, { batchSize: 2, numWorkers })) out.push([await x.tolist(), await y.tolist()]);
      return out;
    };
    expect(await batches(2)).toEqual(await batches(0));
    expect(liveWorkerCount()).toBe(0);
    const lambda = new FashionMNIST({ root, transform: (x: Tensor) => x });
    expect(() => new DataLoader(lambda, { numWorkers: 1 })).toThrow(
      /the function 'transform' at dataset \(FashionMNIST argument 0\)\.transform/,
    );
  });
});

// ---------------------------------------------------------------- the real files

/** Facts about the Fashion-MNIST release computed from the files themselves (no PyTorch involved). */
const FACTS = {
  train: { n: 60000, firstLabels: [9, 0, 0, 3, 0, 2, 7, 2, 5, 5], pixelSum: 3431114169, firstImageSum: 76247, perClass: 6000 },
  test: { n: 10000, firstLabels: [9, 2, 1, 1, 6, 1, 4, 6, 5, 7], pixelSum: 573469082, firstImageSum: 33456, perClass: 1000 },
};

const why = installed ? "" : ` — SKIPPED: the files are not in ${DEBIAN_FASHION_MNIST_DIR} (bash tools/install-fashion-mnist.sh)`;
describe.skipIf(!installed)(`FashionMNIST on the real files${why}`, () => {
  for (const split of ["train", "test"] as const) {
    it(`${split}: counts, shapes, dtypes, labels and pixel checksums`, async () => {
      const f = FACTS[split];
      const ds = new FashionMNIST({ train: split === "train" });
      expect(ds.root).toBe(DEBIAN_FASHION_MNIST_DIR);
      expect(ds.length).toBe(f.n);
      expect(ds.data.shape).toEqual([f.n, 28, 28]);
      expect(ds.data.dtype).toBe("uint8");
      expect(ds.targets.shape).toEqual([f.n]);
      expect(ds.targets.dtype).toBe("int64");
      const labels = (await ds.targets.tolist()) as number[];
      expect(labels.slice(0, 10)).toEqual(f.firstLabels);
      expect(range(10).map((c) => labels.filter((l) => l === c).length)).toEqual(range(10).map(() => f.perClass));
      const pixels = ds.data.dataSync() as Uint8Array;
      let sum = 0;
      for (const v of pixels) sum += v;
      expect(sum).toBe(f.pixelSum);
      // the same sum straight from the file, without the reader
      const raw = gunzipSync(
        readFileSync(join(DEBIAN_FASHION_MNIST_DIR, `${split === "train" ? "train" : "t10k"}-images-idx3-ubyte.gz`)),
      );
      let rawSum = 0;
      for (let i = 16; i < raw.length; i++) rawSum += raw[i] as number;
      expect(rawSum).toBe(f.pixelSum);
      const [img, label] = ds.getItem(0);
      expect(img.shape).toEqual([28, 28]);
      expect(img.dtype).toBe("uint8");
      expect(label).toBe(f.firstLabels[0]);
      expect(await img.sum().item()).toBe(f.firstImageSum);
    });
  }

  it("loads batches as the trainer will (toTensor + normalize, shuffle), the same with 2 workers", async () => {
    const tf = transforms.compose([transforms.toTensor(), transforms.normalize([0.286], [0.353])]);
    const ds = new Subset(new FashionMNIST({ train: true, transform: tf }), range(640));
    const epoch = async (numWorkers: number) => {
      const g = new torch.Generator().manualSeed(0);
      const out: [number[], number[], number[]][] = [];
      for await (const [x, y] of new DataLoader(ds, { batchSize: 64, shuffle: true, generator: g, numWorkers })) {
        expect(x.shape).toEqual([64, 1, 28, 28]);
        expect(x.dtype).toBe("float32");
        expect(y.dtype).toBe("int64");
        out.push([
          Array.from(x.dataSync() as Float32Array).slice(0, 50),
          (await y.tolist()) as number[],
          [(await x.sum().item()) as number],
        ]);
      }
      return out;
    };
    const zero = await epoch(0);
    expect(zero.length).toBe(10);
    expect(await epoch(2)).toEqual(zero);
    expect(liveWorkerCount()).toBe(0);
  }, 120_000);
});

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

// ---------------------------------------------------------------- transforms

describe("transforms", () => {
  interface C {
    id: string;
    kind: string;
    mean?: number[];
    std?: number[];
    input?: T;
    out?: T;
  }
  const file = JSON.parse(
    readFileSync(fileURLToPath(new URL("../../../test-vectors/data/transforms.json", import.meta.url)), "utf8"),
  ) as { cases: C[] };
  for (const c of file.cases.filter((x) => x.kind === "toTensor" || x.kind === "normalize"))
    it(`${c.id} equals PyTorch bit for bit`, () => {
      const x = decodeTensor(c.input as T);
      const y = c.kind === "toTensor" ? transforms.toTensor()(x) : transforms.normalize(c.mean as number[], c.std as number[])(x);
      const want = decodeTensor(c.out as T);
      expect(y.shape).toEqual(want.shape);
      expect(y.dtype).toBe(want.dtype);
      expect(new Uint32Array((y.contiguous().dataSync() as Float32Array).slice().buffer)).toEqual(
        new Uint32Array((want.contiguous().dataSync() as Float32Array).slice().buffer),
      );
    });

  it("check their inputs like torchvision", () => {
    const img = torch.zeros([1, 4, 4]);
    expect(() => transforms.normalize([0.5], [0])(img)).toThrow(/std evaluated to zero/);
    expect(() => transforms.normalize([0.5], [1])(torch.zeros([4, 4]))).toThrow(/tensor image of size \(\.\.\., C, H, W\)/);
    expect(() => transforms.normalize([0.5], [1])(torch.zeros([1, 4, 4], { dtype: "int64" }))).toThrow(/float tensor/);
    expect(() => transforms.toTensor()(torch.zeros([2]))).toThrow(/2 or 3 dimensional/);
    expect(() => transforms.randomCrop(5)(img)).toThrow(/Required crop size \(5, 5\) is larger than input image size \(4, 4\)/);
    expect(() => transforms.randomCrop(2, { padding: [1, 2, 3] })(img)).toThrow(/padding must be/);
    expect(() => transforms.randomCrop(2, { paddingMode: "reflect" as never })).toThrow(/not implemented/);
  });

  it("pad (constant fill, 2- and 4-sided) and padIfNeeded", async () => {
    const img = torch.arange(1, 7).reshape([1, 2, 3]);
    const c = transforms.randomCrop([2 + 2, 3 + 4], { padding: [2, 1], fill: 9 });
    expect(await c(img).tolist()).toEqual([
      [
        [9, 9, 9, 9, 9, 9, 9],
        [9, 9, 1, 2, 3, 9, 9],
        [9, 9, 4, 5, 6, 9, 9],
        [9, 9, 9, 9, 9, 9, 9],
      ],
    ]);
    const c4 = transforms.randomCrop([3, 4], { padding: [1, 0, 0, 1] });
    expect(await c4(img).tolist()).toEqual([
      [
        [0, 1, 2, 3],
        [0, 4, 5, 6],
        [0, 0, 0, 0],
      ],
    ]);
    expect(transforms.randomCrop([2, 3], { padIfNeeded: true })(torch.zeros([1, 1, 1])).shape).toEqual([1, 2, 3]);
  });

  it("carry module references; a generator travels as its state", async () => {
    const g = new torch.Generator().manualSeed(11);
    const flip = transforms.randomHorizontalFlip(0.5, { generator: g });
    const t = transforms.compose([transforms.toTensor(), flip, transforms.randomCrop(2, { padding: 1, generator: g })]);
    expect(workerSpecOf(t)?.export).toBe("compose");
    const copy = (await decodeSpec(encodeSpec(t, "test"))) as (x: Tensor) => Tensor;
    const img = torch.arange(16, { dtype: "uint8" }).reshape([4, 4]);
    for (let i = 0; i < 5; i++) expect(await copy(img).tolist()).toEqual(await t(img).tolist());
  });
});
