// torch.utils.data against PyTorch 1.13 (test-vectors/data, from tools/golden/gen_data.py): sampler
// and DataLoader orders, base seeds, worker seeding and batch order, random transforms; and the
// worker-thread behaviour (same batches as numWorkers 0, errors with the worker's stack, clean shutdown).
//
// The main-thread goldens run twice:
// - with lockstep's generators (src/random: torch.Generator, bit-exact MT19937);
// - with a small MT19937 written here (PyTorch's CPU draws: 32-bit `random()`, `random64()` high
//   word first, randperm's swap shuffle, randint's modulo, rand's 24 bits), which checks the data
//   utilities' own logic (what is drawn, from which generator, when) independently of them. It has
//   no multinomial, so WeightedRandomSampler runs only with lockstep's generators. Worker threads
//   always draw from lockstep's generators (seeded baseSeed + id).
//
// This file is also the module the worker threads import to rebuild the fixture datasets below
// (`{ module: import.meta.url, export: "Draws" }`); vitest is imported only outside workers.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { workerData } from "node:worker_threads";
import {
  DataLoader,
  DataLoaderError,
  Dataset,
  fromModule,
  getWorkerInfo,
  IterableDataset,
  liveWorkerCount,
  RandomSampler,
  randomSplit,
  SubsetRandomSampler,
  TensorDataset,
  transforms,
  WeightedRandomSampler,
} from "../src/data/index.js";
import { _setRandomSource, type GeneratorLike, type RandomSource, rng, torchRandom } from "../src/data/random.js";
import { ValueError } from "../src/errors.js";
import * as torch from "../src/index.js";
import type { Tensor } from "../src/tensor.js";

const IN_DATA_WORKER = (workerData as Record<string, unknown> | null)?.["lockstep:data-worker"] === true;
const HERE = import.meta.url;

// ---------------------------------------------------------------- a test-local MT19937

export class MT implements GeneratorLike {
  private readonly mt = new Uint32Array(624);
  private idx = 624;
  private seed = 67280421310721n;
  constructor() {
    this.manualSeed(67280421310721n);
  }
  manualSeed(seed: number | bigint): this {
    this.seed = BigInt(seed);
    this.mt[0] = Number(BigInt.asUintN(32, this.seed));
    for (let j = 1; j < 624; j++) {
      const p = (this.mt[j - 1] as number) ^ ((this.mt[j - 1] as number) >>> 30);
      this.mt[j] = (Math.imul(1812433253, p) + j) >>> 0;
    }
    this.idx = 624;
    return this;
  }
  initialSeed(): bigint {
    return this.seed;
  }
  random(): number {
    const mt = this.mt;
    if (this.idx >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = ((mt[k] as number) & 0x80000000) | ((mt[(k + 1) % 624] as number) & 0x7fffffff);
        mt[k] = (mt[(k + 397) % 624] as number) ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.idx = 0;
    }
    let y = mt[this.idx++] as number;
    y ^= y >>> 11;
    y = (y ^ ((y << 7) & 0x9d2c5680)) >>> 0;
    y = (y ^ ((y << 15) & 0xefc60000)) >>> 0;
    return (y ^ (y >>> 18)) >>> 0;
  }
  random64(): bigint {
    const hi = BigInt(this.random());
    return (hi << 32n) | BigInt(this.random());
  }
}

const mtGlobal = new MT();
const mtOf = (g?: GeneratorLike): MT => (g ?? mtGlobal) as MT;
export const mtSource: RandomSource = {
  int64: (g) => mtOf(g).random64() % (1n << 63n),
  randperm(n, g) {
    const r = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < n - 1; i++) {
      const z = mtOf(g).random() % (n - i);
      [r[i], r[z + i]] = [r[z + i] as number, r[i] as number];
    }
    return r;
  },
  randint: (low, high, count, g) => Array.from({ length: count }, () => low + (mtOf(g).random() % (high - low))),
  multinomial() {
    throw new Error("the test MT19937 has no multinomial");
  },
  rand: (g) => (mtOf(g).random() & 0xffffff) / 2 ** 24,
  manualSeed: (s) => void mtGlobal.manualSeed(s),
  initialSeed: () => mtGlobal.initialSeed(),
  newGenerator: () => new MT(),
};

// ---------------------------------------------------------------- fixtures (also built in workers)

let recipeGen: GeneratorLike | null = null;

/** PyTorch's seed_worker recipe, with a generator standing in for numpy/random. */
export function seedWorker(_workerId: number): void {
  recipeGen = rng().newGenerator();
  recipeGen.manualSeed(BigInt(rng().initialSeed()) % 2n ** 32n);
}

/** gen_data.py's Draws: index, worker, two draws from the global generator, one from the recipe's, the seed. */
export class Draws extends Dataset<Record<string, unknown>> {
  constructor(readonly n: number) {
    super();
  }
  get length(): number {
    return this.n;
  }
  getItem(i: number): Record<string, unknown> {
    return {
      index: i,
      worker: getWorkerInfo()?.id ?? -1,
      draw: torch.tensor(rng().randint(0, 1000000, 2), { dtype: "int64" }),
      recipe: recipeGen === null ? -1 : rng().randint(0, 1000000, 1, recipeGen)[0],
      seed: String(rng().initialSeed()),
    };
  }
}

/** gen_data.py's Stream: range(n) split between workers with getWorkerInfo. */
export class Stream extends IterableDataset<Record<string, unknown>> {
  constructor(readonly n: number) {
    super();
  }
  *[Symbol.iterator](): Iterator<Record<string, unknown>> {
    const info = getWorkerInfo();
    let [lo, hi] = [0, this.n];
    if (info) {
      const per = Math.ceil(this.n / info.numWorkers);
      [lo, hi] = [info.id * per, Math.min(this.n, (info.id + 1) * per)];
    }
    for (let i = lo; i < hi; i++) {
      yield { value: i, worker: info?.id ?? -1, draw: torch.tensor(rng().randint(0, 1000, 1), { dtype: "int64" }) };
    }
  }
}

function explodeInWorker(i: number): never {
  throw new ValueError("Exploding.getItem", `item ${i} is broken`);
}

/** Throws at one index (from a named function, to find in the stack). */
export class Exploding extends Dataset<number> {
  constructor(
    readonly n: number,
    readonly at: number,
  ) {
    super();
  }
  get length(): number {
    return this.n;
  }
  getItem(i: number): number | Promise<number> {
    if (i === this.at) explodeInWorker(i);
    return i;
  }
}

/** Ends its worker thread at one index. */
export class Exiting extends Exploding {
  override getItem(i: number): number {
    if (i === this.at) process.exit(3);
    return i;
  }
}

/** Never answers for one index. */
export class Stuck extends Exploding {
  override getItem(i: number): number | Promise<number> {
    return i === this.at ? new Promise<number>(() => undefined) : i;
  }
}

/** A collate function reached by module reference: [sum of the batch, worker id]. */
export function sumAndWorker(batch: number[]): number[] {
  return [batch.reduce((a, b) => a + b, 0), getWorkerInfo()?.id ?? -1];
}

export function failingInit(workerId: number): void {
  if (workerId === 1) throw new TypeError("init failed in worker 1");
}

/** A TensorDataset built in the worker from a seed (its constructor draws nothing random). */
export function makeTensorDataset(n: number): TensorDataset {
  const x = torch
    .arange(n * 3, { dtype: "float32" })
    .reshape([n, 3])
    .div(7);
  const y = torch.arange(n).remainder(10);
  return new TensorDataset(x, y);
}

// ---------------------------------------------------------------- the tests

if (!IN_DATA_WORKER) {
  const { afterAll, beforeAll, describe, expect, it } = await import("vitest");

  interface GoldenFile<C> {
    generator: string;
    torch_version: string;
    cases: C[];
  }
  const load = <C>(name: string): GoldenFile<C> =>
    JSON.parse(readFileSync(fileURLToPath(new URL(`../../../test-vectors/data/${name}.json`, HERE)), "utf8"));

  const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

  /** Batches to JSON values, as gen_data.py's to_plain does. */
  async function plain(x: unknown): Promise<unknown> {
    if (x instanceof torch.Tensor) return (x as Tensor).tolist();
    if (Array.isArray(x)) return Promise.all(x.map(plain));
    if (x !== null && typeof x === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(x)) out[k] = await plain(v);
      return out;
    }
    return x;
  }

  const SOURCES = [
    { name: "lockstep's generators", source: torchRandom, multinomial: true },
    { name: "the test MT19937", source: mtSource, multinomial: false },
  ];

  for (const S of SOURCES) {
    describe(`goldens with ${S.name}`, () => {
      let prev: RandomSource;
      beforeAll(() => {
        prev = _setRandomSource(S.source);
      });
      afterAll(() => {
        _setRandomSource(prev);
      });
      const gen = (seed: string | null): GeneratorLike | undefined => {
        if (seed === null) return undefined;
        const g = S.source.newGenerator();
        g.manualSeed(BigInt(seed));
        return g;
      };

      describe("samplers.json", () => {
        interface C {
          id: string;
          kind: string;
          n?: number;
          replacement?: boolean;
          num_samples?: number | null;
          indices?: number[];
          weights?: number[];
          lengths?: number[];
          generator_seed: string | null;
          global_seed?: string;
          out: number[] | number[][];
          next_int64: string;
        }
        const file = load<C>("samplers");
        // the test MT19937 has no multinomial: WeightedRandomSampler is checked with lockstep's generators only
        for (const c of file.cases.filter((x) => S.multinomial || x.kind !== "WeightedRandomSampler")) {
          it(c.id, () => {
            if (c.global_seed !== undefined) S.source.manualSeed(BigInt(c.global_seed));
            const g = gen(c.generator_seed);
            let out: unknown;
            if (c.kind === "RandomSampler")
              out = [
                ...new RandomSampler(range(c.n as number), {
                  replacement: c.replacement,
                  numSamples: c.num_samples,
                  generator: g,
                }),
              ];
            else if (c.kind === "SubsetRandomSampler") out = [...new SubsetRandomSampler(c.indices as number[], g)];
            else if (c.kind === "WeightedRandomSampler")
              out = [...new WeightedRandomSampler(c.weights as number[], c.num_samples as number, c.replacement, g)];
            else out = randomSplit(range(c.n as number), c.lengths as number[], g).map((s) => [...s.indices]);
            expect(out).toEqual(c.out);
            expect(String(S.source.int64(g))).toBe(c.next_int64);
          });
        }
      });

      describe("loader.json", () => {
        interface C {
          id: string;
          n: number;
          batch_size: number;
          drop_last: boolean;
          shuffle: boolean;
          generator_seed: string | null;
          global_seed?: string;
          take?: number;
          epochs: { base_seed: string; batches: number[][] }[];
          next_int64: string;
        }
        const file = load<C>("loader");
        it("was generated by PyTorch 1.13", () => {
          expect(file.torch_version).toMatch(/^1\.13/);
          expect(file.cases[0]?.epochs[0]?.batches.flat()).toEqual([3, 7, 5, 2, 0, 8, 1, 6, 9, 4]);
        });
        for (const c of file.cases)
          it(c.id, async () => {
            if (c.global_seed !== undefined) S.source.manualSeed(BigInt(c.global_seed));
            const g = gen(c.generator_seed);
            const ld = new DataLoader(range(c.n), {
              batchSize: c.batch_size,
              shuffle: c.shuffle,
              dropLast: c.drop_last,
              generator: g,
            });
            if (c.take === undefined) expect(ld.length).toBe(c.epochs[0]?.batches.length ?? 0);
            for (const e of c.epochs) {
              const it = ld.iter();
              const batches: unknown[] = [];
              for (;;) {
                if (c.take !== undefined && batches.length === c.take) {
                  await it.return();
                  break;
                }
                const r = await it.next();
                if (r.done) break;
                batches.push(await (r.value as Tensor).tolist());
              }
              expect(String(it.baseSeed)).toBe(e.base_seed);
              expect(batches).toEqual(e.batches);
            }
            expect(String(S.source.int64(g))).toBe(c.next_int64);
          });
      });

      describe("transforms.json (random)", () => {
        interface C {
          id: string;
          kind: string;
          p?: number;
          generator_seed: string;
          flips?: boolean[];
          params?: number[][];
          height?: number;
          width?: number;
          size?: number[];
          padding?: number;
          input?: import("./golden/harness.js").T;
          outs?: import("./golden/harness.js").T[];
          next_int64: string;
        }
        const file = load<C>("transforms");
        for (const c of file.cases.filter((x) => x.kind.startsWith("random")))
          it(c.id, async () => {
            const { decodeTensor } = await import("./golden/harness.js");
            const g = gen(c.generator_seed) as GeneratorLike;
            if (c.kind === "randomHorizontalFlip") {
              const marker = torch.tensor([[1, 2]]);
              const flip = transforms.randomHorizontalFlip(c.p, { generator: g });
              const flips = (c.flips as boolean[]).map(() => flip(marker) !== marker);
              expect(flips).toEqual(c.flips);
            } else if (c.kind === "randomHorizontalFlipImage") {
              const img = decodeTensor(c.input as never);
              const flip = transforms.randomHorizontalFlip(c.p, { generator: g });
              for (const want of c.outs ?? []) expect(await flip(img).tolist()).toEqual(await decodeTensor(want).tolist());
            } else if (c.kind === "randomCrop") {
              // a tensor whose values are their own (row, col), so the crop shows where it was cut
              const [h, w, pad] = [c.height as number, c.width as number, c.padding as number];
              const img = torch
                .arange(h * w)
                .reshape([h, w])
                .add(1);
              const crop = transforms.randomCrop(c.size as [number, number], { padding: pad, generator: g });
              for (const [i, j] of c.params as number[][]) {
                const out = crop(img);
                const first = (await out.tolist()) as number[][];
                const [ty, tx] = [i as number, j as number];
                // the top-left output element is padded pixel (ty, tx): 0 in the padding, else row*w+col+1
                const [r, col] = [ty - pad, tx - pad];
                const want = r >= 0 && r < h && col >= 0 && col < w ? r * w + col + 1 : 0;
                expect(first[0]?.[0]).toBe(want);
                expect(out.shape).toEqual(c.size);
              }
            } else if (c.kind === "randomCropImage") {
              const img = decodeTensor(c.input as never);
              const crop = transforms.randomCrop(c.size as [number, number], { padding: c.padding, generator: g });
              for (const want of c.outs ?? []) expect(await crop(img).tolist()).toEqual(await decodeTensor(want).tolist());
            }
            expect(String(S.source.int64(g))).toBe(c.next_int64);
          });
      });
    });
  }

  // ---------------------------------------------------------------- workers.json

  interface WC {
    id: string;
    dataset: "Draws" | "Stream";
    n: number;
    batch_size: number;
    shuffle: boolean;
    drop_last: boolean;
    num_workers: number;
    persistent_workers: boolean;
    prefetch_factor?: number;
    recipe: boolean;
    generator_seed: string;
    global_seed?: string;
    epochs: { base_seed: string; batches: Record<string, unknown>[] }[];
    next_int64: string;
  }

  async function runWorkerCase(c: WC): Promise<void> {
    const source = torchRandom;
    if (c.global_seed !== undefined) source.manualSeed(BigInt(c.global_seed));
    const g = source.newGenerator();
    g.manualSeed(BigInt(c.generator_seed));
    const ds = await fromModule<Dataset<unknown>>({ module: HERE, export: c.dataset, args: [c.n] });
    const ld = new DataLoader(ds as never, {
      batchSize: c.batch_size,
      ...(c.dataset === "Draws" ? { shuffle: c.shuffle } : {}),
      dropLast: c.drop_last,
      numWorkers: c.num_workers,
      generator: g,
      persistentWorkers: c.persistent_workers,
      ...(c.prefetch_factor !== undefined ? { prefetchFactor: c.prefetch_factor } : {}),
      ...(c.recipe ? { workerInitFn: { module: HERE, export: "seedWorker" } } : {}),
    });
    try {
      for (const e of c.epochs) {
        const it = ld.iter();
        const got: unknown[] = [];
        for await (const b of it) got.push(await plain(b));
        expect(String(it.baseSeed)).toBe(e.base_seed);
        expect(got).toEqual(e.batches);
      }
      expect(String(source.int64(g))).toBe(c.next_int64);
    } finally {
      await ld.shutdown();
    }
    expect(liveWorkerCount()).toBe(0);
  }

  const workerGoldens = load<WC>("workers");
  describe("workers.json (draws inside workers from lockstep's generators)", () => {
    for (const c of workerGoldens.cases) it(c.id, () => runWorkerCase(c), 120_000);
  });

  // ---------------------------------------------------------------- worker behaviour

  describe("worker threads", () => {
    let prev: RandomSource;
    beforeAll(() => {
      prev = _setRandomSource(torchRandom);
    });
    afterAll(() => {
      _setRandomSource(prev);
    });

    async function epochData(ld: DataLoader): Promise<unknown[]> {
      const out: unknown[] = [];
      for await (const [x, y] of ld) out.push([x.dtype, x.shape, await x.tolist(), y.dtype, await y.tolist()]);
      return out;
    }

    it("numWorkers: 2 gives the batches of numWorkers: 0 for the same generator seed (2 epochs, persistent too)", async () => {
      const ds = makeTensorDataset(23);
      const make = (numWorkers: number, persistentWorkers = false) => {
        const g = rng().newGenerator();
        g.manualSeed(3n);
        return new DataLoader(ds, { batchSize: 4, shuffle: true, generator: g, numWorkers, persistentWorkers });
      };
      const ref = make(0);
      const want = [await epochData(ref), await epochData(ref)];
      expect((want[0] as unknown[]).length).toBe(6);
      expect(want[0]).not.toEqual(want[1]);
      const par = make(2);
      expect([await epochData(par), await epochData(par)]).toEqual(want);
      // persistent workers: epoch 2 draws no base seed (as in PyTorch), so only epoch 1 matches
      // numWorkers 0; epoch 2 is checked against PyTorch in workers.json
      const pers = make(2, true);
      try {
        expect(await epochData(pers)).toEqual(want[0]);
        expect(liveWorkerCount()).toBe(2);
        expect((await epochData(pers)).length).toBe(6);
      } finally {
        await pers.shutdown();
      }
      expect(liveWorkerCount()).toBe(0);
      // a dataset built in the worker by a factory, and a collateFn reached by reference
      const fromFactory = await fromModule<TensorDataset>({ module: HERE, export: "makeTensorDataset", args: [23] });
      const g = rng().newGenerator();
      g.manualSeed(3n);
      expect(await epochData(new DataLoader(fromFactory, { batchSize: 4, shuffle: true, generator: g, numWorkers: 2 }))).toEqual(
        want[0],
      );
      const sums = new DataLoader(await fromModule({ module: HERE, export: "Exploding", args: [10, -1] }), {
        batchSize: 3,
        numWorkers: 2,
        collateFn: { module: HERE, export: "sumAndWorker" },
      });
      const got: unknown[] = [];
      for await (const b of sums) got.push(b);
      expect(got).toEqual([
        [3, 0],
        [12, 1],
        [21, 0],
        [9, 1],
      ]);
    });

    it("an exception in a worker reaches the loop with the worker's stack, and the workers are stopped", async () => {
      const ds = await fromModule({ module: HERE, export: "Exploding", args: [12, 5] });
      const ld = new DataLoader(ds as Dataset<number>, { batchSize: 2, numWorkers: 2 });
      const seen: number[][] = [];
      let err: unknown;
      try {
        for await (const b of ld) seen.push((await (b as Tensor).tolist()) as number[]);
      } catch (e) {
        err = e;
      }
      expect(seen).toEqual([
        [0, 1],
        [2, 3],
      ]);
      expect(err).toBeInstanceOf(ValueError);
      const e = err as Error & { workerId: number };
      expect(e.workerId).toBe(0);
      expect(e.message).toContain("Caught ValueError in DataLoader worker 0");
      expect(e.message).toContain("Exploding.getItem: item 5 is broken");
      expect(e.stack).toContain("explodeInWorker");
      expect(e.stack).toContain("data-golden.test.ts");
      expect(liveWorkerCount()).toBe(0);
    });

    it("breaking out of the loop early stops the workers", async () => {
      const ld = new DataLoader(makeTensorDataset(40), { batchSize: 2, numWorkers: 2 });
      let n = 0;
      for await (const _ of ld) {
        if (++n === 2) break;
      }
      expect(n).toBe(2);
      expect(liveWorkerCount()).toBe(0);
    });

    it("a worker that exits, hangs, or fails in workerInitFn gives a clear error", async () => {
      const exiting = new DataLoader((await fromModule({ module: HERE, export: "Exiting", args: [8, 3] })) as Dataset<number>, {
        batchSize: 1,
        numWorkers: 2,
      });
      const drain = async (ld: DataLoader) => {
        for await (const _ of ld);
      };
      await expect(drain(exiting)).rejects.toThrow(/DataLoader worker 1 exited unexpectedly \(exit code 3\)/);
      const stuck = new DataLoader((await fromModule({ module: HERE, export: "Stuck", args: [8, 0] })) as Dataset<number>, {
        batchSize: 1,
        numWorkers: 1,
        timeout: 1.5,
      });
      const stuckErr = (await drain(stuck).catch((e: unknown) => e)) as Error;
      expect(stuckErr).toBeInstanceOf(DataLoaderError);
      expect(stuckErr.message).toMatch(/DataLoader timed out after 1.5 seconds/);
      const init = new DataLoader(makeTensorDataset(8), {
        batchSize: 1,
        numWorkers: 2,
        workerInitFn: { module: HERE, export: "failingInit" },
      });
      const got: unknown[] = [];
      await expect(
        (async () => {
          for await (const b of init) got.push(b);
        })(),
      ).rejects.toThrow(/Caught TypeError in DataLoader worker 1[\s\S]*init failed in worker 1/);
      expect(got.length).toBe(1);
      await expect(fromModule({ module: HERE, export: "NoSuchExport" })).rejects.toThrow(/has no export 'NoSuchExport'/);
      expect(liveWorkerCount()).toBe(0);
    });

    it("persistent workers do not keep the process alive at exit", () => {
      const dir = mkdtempSync(join(tmpdir(), "lockstep-data-"));
      const script = join(dir, "exit.mts");
      const dataIndex = fileURLToPath(new URL("../src/data/index.ts", HERE));
      const core = fileURLToPath(new URL("../src/index.ts", HERE));
      writeFileSync(
        script,
        `import * as torch from ${JSON.stringify(core)};
import { DataLoader, TensorDataset, liveWorkerCount } from ${JSON.stringify(dataIndex)};
const ds = new TensorDataset(torch.arange(10));
const ld = new DataLoader(ds, { batchSize: 3, numWorkers: 2, persistentWorkers: true });
let n = 0;
for await (const b of ld) n += b[0].shape[0];
console.log("items", n, "live", liveWorkerCount());
`,
      );
      const t0 = Date.now();
      const r = spawnSync(process.execPath, ["--import", "tsx", "--conditions=source", script], {
        cwd: fileURLToPath(new URL("..", HERE)),
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(r.stderr).not.toMatch(/Error/);
      expect(r.stdout).toContain("items 10 live 2");
      expect(r.status).toBe(0);
      expect(Date.now() - t0).toBeLessThan(60_000);
    });
  });
}
