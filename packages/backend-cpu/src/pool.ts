// The worker pool behind the fast CPU backend's multi-threaded kernels (main-thread side).
//
// - threads − 1 workers (torch.setNumThreads; the main thread takes a share of every parallel op).
//   Each worker holds its own ReferenceBackend (worker.ts) and runs the ordinary reference kernel on
//   its piece of the output: a sub-view of the same SharedArrayBuffer-backed typed arrays.
// - Signalling: one shared Int32Array, a 64-byte slot per worker (job sequence, done sequence,
//   ready flag, error flag). The main thread posts the piece's description on the worker's own
//   MessagePort, bumps the job sequence and Atomics.notify()s; the worker, blocked in Atomics.wait,
//   takes the message synchronously with receiveMessageOnPort (it never returns to its event loop),
//   runs it, stores the done sequence and notifies; the main thread, after its own piece, waits in
//   Atomics.wait for each worker it used.
// - Buffers: every SharedArrayBuffer-backed storage gets an id; a worker receives the typed array
//   (sharing the memory) once, with the first job that uses it, and forgets it when the storage is
//   freed or garbage-collected (the unregister message rides along with the next job).
// - Workers start lazily (first parallel-sized storage) and asynchronously; until one has loaded,
//   ops run on the main thread — which thread runs which piece never changes the bits.
// - Workers are unref'd: they never keep a process alive.
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";

/** Int32 slots per worker in the control block (64 bytes: one cache line each). */
export const SLOT = 16;
export const JOB = 0;
export const DONE = 1;
export const READY = 2;
export const ERROR = 3;
const MAX_WORKERS = 256;

/** A view as sent to a worker: the buffer by id. */
export interface ViewDesc {
  /** The registered shared buffer's id; 0: `data` is a (small) copy sent with the job. */
  readonly id: number;
  readonly data?: unknown;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

export type Job =
  | { readonly kind: "ew"; readonly e: unknown; readonly out: ViewDesc; readonly inputs: readonly ViewDesc[] }
  | { readonly kind: "red"; readonly k: unknown; readonly out: ViewDesc; readonly input: ViewDesc; readonly nReduced: number }
  | { readonly kind: "scan"; readonly op: "sum" | "prod"; readonly out: ViewDesc; readonly input: ViewDesc };

export interface Slot {
  readonly index: number;
  readonly worker: Worker;
  readonly port: MessagePort;
  /** Buffer ids this worker holds. */
  readonly known: Set<number>;
  seq: number;
  failed: boolean;
}

let nextId = 1;
const ids = new WeakMap<object, number>();
const arrays = new Map<number, WeakRef<object>>();
const collected = new FinalizationRegistry<number>((id) => forget(id));
let pool: Pool | null = null;

/** Give a SharedArrayBuffer-backed typed array an id, so that workers can be told to use it. */
export function registerShared(arr: object): void {
  const id = nextId++;
  ids.set(arr, id);
  arrays.set(id, new WeakRef(arr));
  collected.register(arr, id, arr);
}

/** The id of a registered shared array, or 0. */
export const sharedId = (buf: unknown): number => (typeof buf === "object" && buf !== null ? (ids.get(buf) ?? 0) : 0);

/** The storage is freed: workers drop it (with their next message). */
export function unregisterShared(arr: object): void {
  const id = ids.get(arr);
  if (id === undefined) return;
  ids.delete(arr);
  collected.unregister(arr);
  forget(id);
}

function forget(id: number): void {
  arrays.delete(id);
  if (!pool) return;
  for (const s of pool.slots) if (s.known.delete(id)) s.port.postMessage({ unreg: id });
}

function spawnWorker(index: number, ctrl: SharedArrayBuffer): { worker: Worker; port: MessagePort } {
  const { port1, port2 } = new MessageChannel();
  const here = import.meta.url;
  const workerData = { ctrl, slot: index, port: port2 };
  const opts = { workerData, transferList: [port2], stdout: false, stderr: false };
  let worker: Worker;
  if (/\.[cm]?ts$/.test(new URL(here).pathname)) {
    // From source (tsx, vitest): load worker.ts through tsx's loader (a worker does not inherit
    // the main thread's loader hooks in Node 20), with the "source" export condition so that
    // @lockstep/core resolves to its sources too.
    const api = pathToFileURL(
      createRequire(here)
        .resolve("tsx/esm/api")
        .replace(/\.cjs$/, ".mjs"),
    ).href;
    const url = new URL("./worker.ts", here).href;
    const boot = `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(url)}, ${JSON.stringify(url)}))`;
    worker = new Worker(boot, { ...opts, eval: true, execArgv: ["--conditions=source"] });
  } else worker = new Worker(new URL("./worker.js", here), opts);
  worker.unref();
  port1.unref();
  return { worker, port: port1 };
}

export class Pool {
  readonly ctrlBuf = new SharedArrayBuffer(MAX_WORKERS * SLOT * 4);
  readonly ctrl = new Int32Array(this.ctrlBuf);
  slots: Slot[] = [];
  #warned = false;

  /** Grow or shrink to `n` workers (new ones start loading in the background). */
  resize(n: number): void {
    n = Math.max(0, Math.min(MAX_WORKERS, n));
    while (this.slots.length > n) this.#stop(this.slots.pop() as Slot);
    while (this.slots.length < n) {
      const index = this.#freeIndex();
      const c = this.ctrl;
      for (const f of [JOB, DONE, READY, ERROR]) Atomics.store(c, index * SLOT + f, 0);
      const { worker, port } = spawnWorker(index, this.ctrlBuf);
      const slot: Slot = { index, worker, port, known: new Set(), seq: 0, failed: false };
      worker.on("error", (err) => {
        slot.failed = true;
        Atomics.store(c, index * SLOT + READY, 0);
        if (!this.#warned) {
          this.#warned = true;
          process.emitWarning(`lockstep cpu backend: a worker thread failed (${err}); its share runs on the main thread`, {
            code: "LOCKSTEP_CPU_WORKER",
          });
        }
      });
      worker.on("exit", () => {
        slot.failed = true;
        Atomics.store(c, index * SLOT + READY, 0);
      });
      this.slots.push(slot);
    }
  }

  #freeIndex(): number {
    const used = new Set(this.slots.map((s) => s.index));
    for (let i = 0; ; i++) if (!used.has(i)) return i;
  }

  #stop(s: Slot): void {
    s.failed = true;
    Atomics.store(this.ctrl, s.index * SLOT + READY, 0);
    s.port.postMessage({ seq: ++s.seq, exit: true });
    Atomics.store(this.ctrl, s.index * SLOT + JOB, s.seq);
    Atomics.notify(this.ctrl, s.index * SLOT + JOB);
    s.port.close();
  }

  /** Workers that have loaded and can take a job now. */
  ready(): Slot[] {
    const out: Slot[] = [];
    for (const s of this.slots) if (!s.failed && Atomics.load(this.ctrl, s.index * SLOT + READY) === 1) out.push(s);
    return out;
  }

  /** Resolves once every worker has loaded (or failed). */
  async whenReady(timeoutMs = 60_000): Promise<void> {
    const t0 = Date.now();
    while (this.slots.some((s) => !s.failed && Atomics.load(this.ctrl, s.index * SLOT + READY) !== 1)) {
      if (Date.now() - t0 > timeoutMs) throw new Error("lockstep cpu backend: worker threads did not start");
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Hand `jobs[i]` to `workers[i]` (buffers each job uses are sent first where new to it). */
  post(workers: readonly Slot[], jobs: readonly Job[], bufs: readonly (readonly unknown[])[]): void {
    const c = this.ctrl;
    for (let i = 0; i < jobs.length; i++) {
      const s = workers[i] as Slot;
      const reg: [number, unknown][] = [];
      for (const b of bufs[i] as readonly unknown[]) {
        const id = sharedId(b);
        if (id !== 0 && !s.known.has(id)) {
          s.known.add(id);
          reg.push([id, b]);
        }
      }
      s.port.postMessage({ seq: ++s.seq, reg: reg.length ? reg : undefined, job: jobs[i] });
      Atomics.store(c, s.index * SLOT + JOB, s.seq);
      Atomics.notify(c, s.index * SLOT + JOB);
    }
  }

  /** Block until `workers` have finished the jobs post() gave them; rethrow a worker's error. */
  wait(workers: readonly Slot[]): void {
    const c = this.ctrl;
    let error: string | null = null;
    for (const s of workers) {
      const at = s.index * SLOT + DONE;
      for (;;) {
        const v = Atomics.load(c, at);
        if (v === s.seq) break;
        Atomics.wait(c, at, v);
      }
      if (Atomics.load(c, s.index * SLOT + ERROR) === 1) {
        Atomics.store(c, s.index * SLOT + ERROR, 0);
        const m = receiveMessageOnPort(s.port);
        error ??= String(m?.message ?? "unknown error");
      }
    }
    if (error !== null) throw new Error(`lockstep cpu backend: worker kernel failed: ${error}`);
  }

  close(): void {
    while (this.slots.length) this.#stop(this.slots.pop() as Slot);
  }
}

/** The process-wide pool (created on first use, sized threads − 1). */
export function getPool(workers: number): Pool {
  if (!pool) pool = new Pool();
  if (pool.slots.length !== workers) pool.resize(workers);
  return pool;
}

/** The pool if it exists (no workers are started). */
export const existingPool = (): Pool | null => pool;
