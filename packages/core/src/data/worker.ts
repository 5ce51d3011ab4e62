// The entry of a DataLoader worker thread (PyTorch's `_worker_loop`).
//
// Start-up: rebuild the dataset, collateFn and workerInitFn from their module references; then
// `torch.manualSeed(baseSeed + id)`, set getWorkerInfo(), run `workerInitFn(id)`. A failure there
// is reported on the first task, as PyTorch does. Then tasks are handled one at a time, in the
// order they arrive: fetch, collate, send the batch back with its tensors' buffers transferred.
import { parentPort, workerData } from "node:worker_threads";
// The whole torch namespace, as in the main thread: Tensor methods, devices, autograd wiring.
import "../index.js";
import { defaultCollate, defaultConvert } from "./collate.js";
import { type CollateFn, createFetcher, type Fetcher, type FetchIndex, StopFetch } from "./fetch.js";
import { decodeSpec, encodePayload } from "./portable.js";
import { torchRandom } from "./random.js";
import { _setWorkerInfo } from "./worker_info.js";

interface Init {
  workerId: number;
  numWorkers: number;
  baseSeed: bigint;
  kind: "map" | "iterable";
  dataset: unknown;
  collate: unknown;
  initFn: unknown;
  autoCollation: boolean;
  dropLast: boolean;
}

type ToWorker =
  | { type: "task"; epoch: number; idx: number; index: FetchIndex }
  | { type: "resume"; epoch: number }
  | { type: "stop" };

function serializeError(e: unknown): { name: string; message: string; stack?: string; op?: string } {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack, op: (e as Error & { op?: string }).op };
  return { name: "Error", message: String(e) };
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error("lockstep data worker: not started as a worker thread");
  const d = workerData as Init;
  let initError: unknown = null;
  let dataset: unknown;
  let collate: CollateFn = defaultCollate;
  let fetcher: Fetcher | null = null;
  const makeFetcher = () => createFetcher(d.kind, dataset, d.autoCollation, collate, d.dropLast);
  try {
    const gens = new Map(); // generators shared between the three stay shared
    dataset = await decodeSpec(d.dataset, "dataset", gens);
    if (d.collate === "convert") collate = defaultConvert;
    else if (d.collate !== "default") collate = (await decodeSpec(d.collate, "function", gens)) as CollateFn;
    const initFn = d.initFn === null ? null : ((await decodeSpec(d.initFn, "function", gens)) as (id: number) => unknown);
    const seed = d.baseSeed + BigInt(d.workerId);
    torchRandom.manualSeed(seed);
    _setWorkerInfo({ id: d.workerId, numWorkers: d.numWorkers, seed, dataset });
    if (initFn) await initFn(d.workerId);
    fetcher = makeFetcher();
  } catch (e) {
    initError = e;
  }

  let iterationEnd = false;
  const handle = async (m: ToWorker): Promise<void> => {
    if (m.type === "stop") {
      port.close();
      return;
    }
    if (m.type === "resume") {
      iterationEnd = false;
      if (initError === null) fetcher = makeFetcher();
      port.postMessage({ type: "resumed", epoch: m.epoch });
      return;
    }
    if (iterationEnd) return;
    try {
      if (initError !== null || fetcher === null) throw initError;
      const data = await fetcher.fetch(m.index);
      const transfer: ArrayBuffer[] = [];
      const payload = encodePayload(data, transfer);
      port.postMessage({ type: "data", epoch: m.epoch, idx: m.idx, payload }, transfer);
    } catch (e) {
      if (e instanceof StopFetch && d.kind === "iterable") {
        iterationEnd = true;
        port.postMessage({ type: "end", epoch: m.epoch, idx: m.idx, workerId: d.workerId });
      } else port.postMessage({ type: "error", epoch: m.epoch, idx: m.idx, error: serializeError(e) });
    }
  };
  let chain: Promise<void> = Promise.resolve();
  port.on("message", (m: ToWorker) => {
    chain = chain.then(() => handle(m));
  });
}

void main();
