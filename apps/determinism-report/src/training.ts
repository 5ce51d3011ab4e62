// Training in lockstep: the same model (initialised once on the reference, then copied to each
// device), the same batches (drawn once on the host, fed to every lane), step by step on every lane;
// after each step every lane's weights are read back, hashed and compared with the first lane's.
// Interleaving the lanes means one pass over the data, and a divergence is found as it happens.
import type { Tensor } from "@lockstep/core";
import * as torch from "@lockstep/core";
import { diffTensors, hashAll, hashTensor, relativeDiff, type TensorSnapshot, unflatten } from "./compare.js";
import { type Comparison, type Lane, type Mode, num, type TrainingRun } from "./schema.js";

export interface LaneSpec {
  id: string;
  backend: string;
  device: string;
}

export interface TrainSpec {
  workload: string;
  mode: Mode;
  modelName: string;
  model: () => torch.nn.Module;
  /** Host batches (on the reference device); iterated again from the start when exhausted (the next epoch). */
  batches: () => AsyncIterable<[Tensor, Tensor]>;
  data: string;
  steps: number;
  batchSize: number;
  seed: number;
  lr: number;
  lanes: LaneSpec[];
  /** [lane, baseline] pairs compared besides every lane against lanes[0] (a repeat against its first run). */
  extraComparisons?: [string, string][];
  onStep?: (step: number, laneId: string, loss: number, seconds: number) => void;
  /** Test hook: runs on a lane's model after its update of `step` (e.g. to inject a difference). */
  afterStep?: (laneId: string, step: number, model: torch.nn.Module) => void;
}

interface LaneState {
  spec: LaneSpec;
  model: torch.nn.Module;
  opt: torch.optim.Optimizer;
  lane: Lane;
  snap: TensorSnapshot[];
}

async function snapshot(model: torch.nn.Module): Promise<TensorSnapshot[]> {
  const out: TensorSnapshot[] = [];
  for (const [name, p] of model.namedParameters()) {
    const d = await p.data();
    if (!(d instanceof Float32Array)) throw new TypeError(`parameter ${name} is ${p.dtype}; the report compares float32 weights`);
    out.push({ name, shape: [...p.shape], data: d.slice() }); // a copy: the reference's data() may alias its storage
  }
  return out;
}

/** Compares one lane with its baseline step by step (fed snapshots in step order). */
export class Tracker {
  readonly c: Comparison;
  constructor(lane: string, baseline: string) {
    this.c = {
      lane,
      baseline,
      bitwise: true,
      bitwiseSteps: 0,
      firstDivergence: null,
      firstLossDivergence: null,
      lossRelDiff: [],
      weightRelDiff: [],
      weightMaxUlp: [],
    };
  }

  /** Step 0 is the initial weights (no loss); step k ≥ 1 comes with its loss. */
  add(
    step: number,
    base: { snap: TensorSnapshot[]; hashes: string[]; loss?: number },
    got: { snap: TensorSnapshot[]; hashes: string[]; loss?: number },
  ): void {
    const c = this.c;
    if (step > 0) {
      const bl = base.loss as number;
      const gl = got.loss as number;
      const lossSame = Object.is(bl, gl) || (Number.isNaN(bl) && Number.isNaN(gl));
      if (!lossSame && !c.firstLossDivergence) c.firstLossDivergence = { step, baseline: num(bl), value: num(gl) };
      if (!lossSame) c.bitwise = false;
      c.lossRelDiff.push(num(relativeDiff(gl, bl)));
    }
    let rel = 0;
    let ulp = 0;
    const differing: string[] = [];
    let first: { i: number; d: ReturnType<typeof diffTensors> } | null = null;
    for (let i = 0; i < base.snap.length; i++) {
      if (base.hashes[i] === got.hashes[i]) continue;
      const b = base.snap[i] as TensorSnapshot;
      const d = diffTensors(b.data, (got.snap[i] as TensorSnapshot).data);
      if (d.differing === 0) continue; // a hash collision is not a difference (never seen; 64-bit)
      differing.push(b.name);
      first ??= { i, d };
      rel = Math.max(rel, d.relDiff);
      ulp = Math.max(ulp, d.maxUlp);
    }
    if (step > 0) {
      c.weightRelDiff.push(num(rel));
      c.weightMaxUlp.push(num(ulp));
    }
    if (differing.length === 0) {
      if (c.firstDivergence === null) c.bitwiseSteps = step + 1;
      return;
    }
    c.bitwise = false;
    if (c.firstDivergence || !first) return;
    const t = base.snap[first.i] as TensorSnapshot;
    const w = first.d.worst;
    c.firstDivergence = {
      step,
      tensor: t.name,
      shape: t.shape,
      maxAbsDiff: num(first.d.maxAbsDiff),
      maxUlp: num(first.d.maxUlp),
      differing: first.d.differing,
      worst: w ? { index: unflatten(w.index, t.shape), baseline: num(w.baseline), value: num(w.value) } : null,
      tensors: differing,
    };
  }
}

/** Train every lane `spec.steps` steps in lockstep and compare them. */
export async function trainInLockstep(spec: TrainSpec): Promise<TrainingRun> {
  const t0 = performance.now();
  torch.usePortableNumerics(spec.mode === "portable");
  try {
    // one initialisation, on the reference; every lane starts from these bits
    torch.manualSeed(spec.seed);
    const master = spec.model().to("reference");
    const init = master.stateDict();
    const lanes: LaneState[] = [];
    for (const l of spec.lanes) {
      const model = spec.model().to("reference");
      model.loadStateDict(init);
      model.to(l.device);
      const opt = new torch.optim.Adam(model.parameters(), { lr: spec.lr });
      lanes.push({
        spec: l,
        model,
        opt,
        snap: [],
        lane: { id: l.id, backend: l.backend, device: l.device, losses: [], hashes: [], finalTensorHashes: {}, seconds: 0 },
      });
    }
    const parameters = master.parameters().reduce((n, p) => n + p.numel(), 0);
    const pairs: [string, string][] = [
      ...spec.lanes.slice(1).map((l): [string, string] => [l.id, (spec.lanes[0] as LaneSpec).id]),
      ...(spec.extraComparisons ?? []),
    ];
    const byId = new Map(lanes.map((l) => [l.spec.id, l]));
    const trackers = pairs.map(([a, b]) => ({ t: new Tracker(a, b), lane: byId.get(a), base: byId.get(b) }));
    for (const tr of trackers)
      if (!tr.lane || !tr.base) throw new RangeError(`comparison ${tr.t.c.lane} vs ${tr.t.c.baseline}: no such lane`);

    const state = new Map<string, { snap: TensorSnapshot[]; hashes: string[]; loss?: number }>();
    const record = async (ls: LaneState, loss?: number) => {
      const snap = await snapshot(ls.model);
      const hashes = snap.map((s) => hashTensor(s.data));
      ls.lane.hashes.push(hashAll(snap, hashes));
      state.set(ls.spec.id, { snap, hashes, loss });
    };
    const compare = (step: number) => {
      for (const { t, lane, base } of trackers)
        t.add(step, state.get(base?.spec.id as string) as never, state.get(lane?.spec.id as string) as never);
    };
    for (const ls of lanes) await record(ls);
    compare(0);

    let step = 0;
    while (step < spec.steps) {
      let any = false;
      for await (const [x, y] of spec.batches()) {
        any = true;
        step++;
        for (const ls of lanes) {
          const s0 = performance.now();
          const loss = torch.tidy(() => {
            const xb = x.to(ls.spec.device);
            const yb = y.to(ls.spec.device);
            ls.opt.zeroGrad();
            const l = torch.nn.functional.crossEntropy(ls.model.forward(xb) as Tensor, yb);
            l.backward();
            ls.opt.step();
            return l;
          });
          const value = Number(await loss.item());
          loss.dispose();
          spec.afterStep?.(ls.spec.id, step, ls.model);
          ls.lane.losses.push(num(value));
          await record(ls, value);
          const dt = (performance.now() - s0) / 1000;
          ls.lane.seconds += dt;
          spec.onStep?.(step, ls.spec.id, value, dt);
        }
        torch.dispose([x, y]);
        compare(step);
        if (step >= spec.steps) break;
      }
      if (!any) throw new RangeError(`workload ${spec.workload}: the data source yielded no batches`);
    }
    for (const ls of lanes) {
      const st = state.get(ls.spec.id);
      for (const [i, s] of (st?.snap ?? []).entries()) ls.lane.finalTensorHashes[s.name] = st?.hashes[i] as string;
      ls.lane.seconds = Math.round(ls.lane.seconds * 1000) / 1000;
      for (const p of ls.model.parameters()) p.dispose();
    }
    return {
      workload: spec.workload,
      mode: spec.mode,
      data: spec.data,
      model: spec.modelName,
      parameters,
      optimizer: `Adam(lr=${spec.lr})`,
      batchSize: spec.batchSize,
      steps: step,
      seed: spec.seed,
      lanes: lanes.map((l) => l.lane),
      comparisons: trackers.map((t) => t.t.c),
      durationMs: Math.round(performance.now() - t0),
    };
  } finally {
    torch.usePortableNumerics(false);
  }
}
