// Exact resume (DESIGN.md §4): a run trained 2N steps straight through equals, bit for bit, a run
// trained N steps, checkpointed (model, optimizer, scheduler, generators, global RNG, DataLoader
// position) with torch.save, and resumed for N more steps in a fresh Node process
// (fixtures/resume-continue.ts). Also: the DataLoader's stateDict/loadStateDict on its own — a
// resumed iterator yields exactly the remaining batches and leaves every generator where an
// uninterrupted run leaves it, at any point of an epoch, with and without workers.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import type { Tensor } from "../src/index.js";
import * as torch from "../src/index.js";
import { build, checkpoint, type ResumeConfig, restore, train, weightBits } from "./fixtures/resume-common.js";

const { data } = torch.utils;
const run = promisify(execFile);
const PKG = fileURLToPath(new URL("..", import.meta.url));
const CONTINUE = fileURLToPath(new URL("./fixtures/resume-continue.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "lockstep-resume-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const N = 10; // 7 batches per epoch: the checkpoint falls after batch 3 of epoch 2

describe("exact resume in a fresh process", () => {
  const configs: [string, ResumeConfig][] = [
    ["loader with its own generator", { loaderGenerator: true, numWorkers: 0, totalSteps: 2 * N }],
    ["loader drawing from the global generator", { loaderGenerator: false, numWorkers: 0, totalSteps: 2 * N }],
    ["two worker threads", { loaderGenerator: true, numWorkers: 2, totalSteps: 2 * N }],
  ];
  for (const [name, cfg] of configs) {
    it(`${name}: N steps + save + resume N steps equals 2N steps, bitwise`, async () => {
      const seed = 7;
      const straight = build(seed, cfg);
      const allLosses = await train(straight, 0, 2 * N);
      const expected = await weightBits(straight.model);
      await straight.loader.shutdown();

      const first = build(seed, cfg);
      const firstLosses = await train(first, 0, N);
      expect(firstLosses).toEqual(allLosses.slice(0, N));
      const tag = name.replace(/\W+/g, "-");
      const ck = join(dir, `${tag}.ckpt`);
      await torch.save(checkpoint(first, N), ck);
      await first.loader.shutdown();

      const weightsOut = join(dir, `${tag}.weights`);
      const lossesOut = join(dir, `${tag}.losses.json`);
      await run(
        process.execPath,
        ["--import", "tsx", CONTINUE, JSON.stringify({ seed, ...cfg }), ck, String(2 * N), weightsOut, lossesOut],
        { cwd: PKG },
      );
      const resumedLosses = JSON.parse(readFileSync(lossesOut, "utf8")) as number[];
      expect(resumedLosses).toEqual(allLosses.slice(N)); // every step's loss, exactly
      const final = (await torch.load(weightsOut)) as Record<string, Tensor>;
      const got: Record<string, string> = {};
      for (const [k, v] of Object.entries(final)) {
        const a = (await v.data()) as Float32Array;
        got[k] = Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("hex");
      }
      expect(Object.keys(got)).toEqual(Object.keys(expected));
      for (const k of Object.keys(expected)) expect(got[k], k).toBe(expected[k]);
    });
  }

  it("without the loader position the resumed run differs (the position is what makes it exact)", async () => {
    const cfg: ResumeConfig = { loaderGenerator: true, numWorkers: 0, totalSteps: 2 * N };
    const straight = build(3, cfg);
    await train(straight, 0, 2 * N);
    const expected = await weightBits(straight.model);
    const first = build(3, cfg);
    await train(first, 0, N);
    const ck = join(dir, "control.ckpt");
    await torch.save(checkpoint(first, N), ck);
    const saved = (await torch.load(ck)) as Record<string, unknown>;

    const exact = build(3, cfg);
    await train(exact, restore(exact, saved), 2 * N);
    expect(await weightBits(exact.model)).toEqual(expected);

    const naive = build(3, cfg);
    await train(naive, restore(naive, saved, { loader: false }), 2 * N);
    expect(await weightBits(naive.model)).not.toEqual(expected);
  });
});

// ---------------------------------------------------------------- the DataLoader on its own

/** Each batch's sample ids, plus one draw from each generator after every batch (what the training loop would draw). */
async function consume(
  loader: torch.utils.data.DataLoader<[Tensor]>,
  gens: torch.Generator[],
  maxBatches = Number.POSITIVE_INFINITY,
): Promise<number[][]> {
  const out: number[][] = [];
  if (maxBatches <= 0) return out;
  for await (const b of loader) {
    out.push([
      ...((await b[0].tolist()) as number[]),
      ...gens.map((g) => torch.randint(0, 1 << 30, [1], { generator: g }).itemSync() as number),
    ]);
    if (out.length >= maxBatches) break;
  }
  return out;
}

const stateBits = async (g: torch.Generator): Promise<string> =>
  Buffer.from((await g.getState().data()) as Uint8Array).toString("hex");

interface LoaderCase {
  name: string;
  n: number;
  opts: (g: torch.Generator | undefined) => torch.utils.data.DataLoaderOptions<[Tensor]>;
  loaderGen: boolean;
}

const range = (n: number) => torch.arange(n);
const CASES: LoaderCase[] = [
  {
    name: "shuffle, own generator, last batch short",
    n: 22,
    loaderGen: true,
    opts: (g) => ({ batchSize: 4, shuffle: true, generator: g }),
  },
  {
    name: "shuffle, own generator, whole batches",
    n: 20,
    loaderGen: true,
    opts: (g) => ({ batchSize: 4, shuffle: true, generator: g }),
  },
  { name: "shuffle, global generator", n: 22, loaderGen: false, opts: () => ({ batchSize: 4, shuffle: true }) },
  {
    name: "shuffle, dropLast",
    n: 22,
    loaderGen: true,
    opts: (g) => ({ batchSize: 4, shuffle: true, dropLast: true, generator: g }),
  },
  {
    name: "a RandomSampler with replacement and its own generator",
    n: 22,
    loaderGen: false,
    opts: () => ({
      batchSize: 3,
      sampler: new data.RandomSampler(
        { length: 22 },
        { replacement: true, numSamples: 40, generator: new torch.Generator().manualSeed(99) },
      ),
    }),
  },
  { name: "sequential", n: 10, loaderGen: false, opts: () => ({ batchSize: 3 }) },
];

describe("DataLoader.stateDict / loadStateDict", () => {
  for (const c of CASES) {
    it(`${c.name}: resuming after any batch of epoch 2 continues exactly`, async () => {
      const make = () => {
        const g = c.loaderGen ? new torch.Generator().manualSeed(5) : undefined;
        const loader = new data.DataLoader<[Tensor]>(
          new data.TensorDataset(range(c.n)),
          c.opts(g),
        ) as unknown as torch.utils.data.DataLoader<[Tensor]>;
        return { g, loader, sampler: loader.sampler as { generator?: torch.Generator } | null };
      };
      const side = () => new torch.Generator().manualSeed(11); // stands in for other code drawing between batches
      // straight: 3 epochs
      torch.manualSeed(1);
      const s = make();
      const ss = side();
      const straight: number[][][] = [];
      for (let e = 0; e < 3; e++) straight.push(await consume(s.loader, [ss, torch.defaultGenerator]));
      const finalGlobal = Buffer.from(torch.getRngState().dataSync() as Uint8Array).toString("hex");
      const perEpoch = straight[0]?.length as number;
      for (let k = 0; k <= perEpoch; k++) {
        torch.manualSeed(1);
        const a = make();
        const as = side();
        const e1 = await consume(a.loader, [as, torch.defaultGenerator]);
        const head = await consume(a.loader, [as, torch.defaultGenerator], k);
        const state = a.loader.stateDict();
        const rng = torch.getRngState();
        const sideState = as.getState();
        // a fresh loader (and side generator, global generator) restored from the state
        torch.manualSeed(12345); // scramble: the state must not depend on what happened here
        const b = make();
        const bs = side().setState(sideState);
        torch.setRngState(rng);
        b.loader.loadStateDict(state);
        const tail = await consume(b.loader, [bs, torch.defaultGenerator]);
        const e3 = await consume(b.loader, [bs, torch.defaultGenerator]);
        expect([e1, [...head, ...tail], e3], `resumed after batch ${k}`).toEqual(straight);
        expect(Buffer.from(torch.getRngState().dataSync() as Uint8Array).toString("hex")).toBe(finalGlobal);
        if (s.g && b.g) expect(await stateBits(b.g)).toBe(await stateBits(s.g));
      }
    });
  }

  it("between epochs: a loop that ran to its end saves no position, and a fresh loader starts the next epoch", async () => {
    const g = new torch.Generator().manualSeed(0);
    const loader = new data.DataLoader<[Tensor]>(new data.TensorDataset(range(10)), {
      batchSize: 4,
      shuffle: true,
      generator: g,
    });
    expect(loader.stateDict()).toMatchObject({ version: 1, baseSeed: null, epoch: null });
    await consume(loader as never, []);
    const st = loader.stateDict();
    expect(st.epoch).toBeNull();
    expect(st.generators).toHaveLength(1);
    const next = await consume(loader as never, []);
    const g2 = new torch.Generator().manualSeed(77);
    const fresh = new data.DataLoader<[Tensor]>(new data.TensorDataset(range(10)), {
      batchSize: 4,
      shuffle: true,
      generator: g2,
    });
    fresh.loadStateDict(st); // also sets g2 to the saved generator state
    expect(await consume(fresh as never, [])).toEqual(next);
    expect(await stateBits(g2)).toBe(await stateBits(g));
  });

  it("a resumed epoch that is saved again resumes again", async () => {
    const make = () =>
      new data.DataLoader<[Tensor]>(new data.TensorDataset(range(30)), {
        batchSize: 4,
        shuffle: true,
        generator: new torch.Generator().manualSeed(3),
      }) as unknown as torch.utils.data.DataLoader<[Tensor]>;
    const straight = await consume(make(), []);
    const a = make();
    const p1 = await consume(a, [], 2);
    const b = make();
    b.loadStateDict(a.stateDict());
    const p2 = await consume(b, [], 3);
    const c = make();
    c.loadStateDict(b.stateDict());
    expect(c.stateDict().epoch).toMatchObject({ numYielded: 5 });
    const p3 = await consume(c, []);
    expect([...p1, ...p2, ...p3]).toEqual(straight);
  });

  it("with worker threads (and persistent workers), the batches, worker seeds and generators continue exactly", async () => {
    for (const [persistentWorkers, ks] of [
      [false, [4, 9]],
      [true, [0, 4]],
    ] as const) {
      const make = () => {
        const g = new torch.Generator().manualSeed(8);
        const loader = new data.DataLoader<[Tensor]>(new data.TensorDataset(range(26)), {
          batchSize: 3,
          shuffle: true,
          numWorkers: 2,
          persistentWorkers,
          generator: g,
        }) as unknown as torch.utils.data.DataLoader<[Tensor]>;
        return { g, loader };
      };
      torch.manualSeed(2);
      const s = make();
      const straight = [await consume(s.loader, [torch.defaultGenerator]), await consume(s.loader, [torch.defaultGenerator])];
      const straightSeed = s.loader.stateDict().baseSeed;
      const straightGen = await stateBits(s.g);
      await s.loader.shutdown();
      for (const k of ks) {
        torch.manualSeed(2);
        const a = make();
        const e1 = await consume(a.loader, [torch.defaultGenerator]);
        const head = await consume(a.loader, [torch.defaultGenerator], k);
        const st = a.loader.stateDict();
        const rng = torch.getRngState();
        await a.loader.shutdown();
        torch.manualSeed(999);
        const b = make();
        torch.setRngState(rng);
        b.loader.loadStateDict(st);
        const tail = await consume(b.loader, [torch.defaultGenerator]);
        expect([e1, [...head, ...tail]], `persistent=${persistentWorkers}, resumed after batch ${k}`).toEqual(straight);
        expect(await stateBits(b.g)).toBe(straightGen);
        if (persistentWorkers) expect(b.loader.stateDict().baseSeed).toBe(straightSeed);
        await b.loader.shutdown();
      }
    }
  });

  it("refuses a state from a differently built loader, and an iterable dataset mid-epoch", async () => {
    const withGen = new data.DataLoader(new data.TensorDataset(range(8)), {
      batchSize: 2,
      shuffle: true,
      generator: new torch.Generator(),
    });
    const noGen = new data.DataLoader(new data.TensorDataset(range(8)), { batchSize: 2, shuffle: true });
    expect(() => noGen.loadStateDict(withGen.stateDict())).toThrow(/generator state\(s\)/);
    expect(() => noGen.loadStateDict({ version: 2 } as never)).toThrow(/version 1/);
    class Count extends data.IterableDataset<number> {
      *[Symbol.iterator]() {
        for (let i = 0; i < 6; i++) yield i;
      }
    }
    const it = new data.DataLoader(new Count(), { batchSize: 2 });
    for await (const _ of it) break;
    expect(() => new data.DataLoader(new Count(), { batchSize: 2 }).loadStateDict(it.stateDict())).toThrow(/iterable-style/);
  });
});
