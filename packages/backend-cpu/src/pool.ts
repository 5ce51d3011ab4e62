// The worker pool behind the fast CPU backend's multi-threaded kernels (main-thread side).
//
// - threads − 1 workers (torch.setNumThreads); the main thread works too. Each worker holds its own
//   ReferenceBackend (worker.ts) and runs the ordinary reference kernel on pieces of the output:
//   sub-views of the same SharedArrayBuffer-backed typed arrays.
// - A parallel op is cut into a few more pieces than threads. The main thread posts the op (kernel,
//   operand layouts, the pieces) on each started worker's own MessagePort, bumps a wake word and
//   Atomics.notify()s; then it and the workers claim pieces from one shared counter
//   (Atomics.compareExchange on (generation << 8 | next piece)) until none is left, and the main
//   thread Atomics.wait()s until every piece is complete. A worker that wakes late (a busy machine)
//   simply finds nothing left to claim — the main thread has done its share — and a stale message
//   can never claim a later op's pieces (the generation differs). Which thread runs a piece never
//   changes the bits.
// - Workers block in Atomics.wait between ops and take their messages synchronously
//   (receiveMessageOnPort), so an op costs no event-loop round trip.
// - Buffers: every storage's SharedArrayBuffer gets an id; a worker receives it once, with the
//   first op that uses it. Freed (or garbage-collected) storages' buffers are reused for new storages
//   of the same byte size, keeping their ids, up to SPARE_MAX_BYTES; beyond that workers are told to
//   drop them (the message is read with the next op).
// - Workers start lazily (first parallel-sized storage) and asynchronously; until one has loaded,
//   ops run on the main thread. They are unref'd: they never keep a process alive.
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";

// Control block (Int32 indices); hot words on their own 64-byte lines.
export const WAKE = 0;
export const CLAIM = 16;
export const COMPLETED = 32;
export const ERROR = 48;
export const READY = 64; // + worker index
const MAX_WORKERS = 256;
const GEN_MASK = 0x7fffff; // 23-bit generation above an 8-bit piece index
export const MAX_PIECES = 255;

/** An operand as sent to a worker: the buffer by id (or a small copy), its strides, trailing dims. */
export interface OperandSpec {
  /** The shared buffer's id; 0: `data` is a (small, read-only) copy sent with the op. */
  readonly id: number;
  readonly data?: unknown;
  /** The typed array's class name (Float32Array, ...), to view the shared buffer with. */
  readonly array: string;
  /** Where the storage lies in the buffer (views into the wasm heap); absent: the whole buffer. */
  readonly byteOffset?: number;
  readonly length?: number;
  readonly dtype: string;
  /** Strides of the piece's dims followed by the trailing dims' (reduced dims, a scan's last dim). */
  readonly strides: readonly number[];
  /** Trailing dims after the piece's shape (not split). */
  readonly tail: readonly number[];
}

/** A piece: its shape (the split dims) and one offset per operand. */
export interface PieceSpec {
  readonly shape: readonly number[];
  readonly offsets: readonly number[];
}

/** A parallel op: operands are [out, ...inputs]. */
export interface Job {
  readonly kind: "ew" | "red" | "scan";
  readonly e?: unknown;
  /** Per-piece expressions (kernels that read output coordinates: each piece's are shifted). */
  readonly es?: readonly unknown[];
  readonly k?: unknown;
  readonly nReduced?: number;
  readonly op?: "sum" | "prod";
  readonly operands: readonly OperandSpec[];
  readonly pieces: readonly PieceSpec[];
}

export interface Slot {
  readonly index: number;
  readonly worker: Worker;
  readonly port: MessagePort;
  /** Buffer ids this worker holds. */
  readonly known: Set<number>;
  failed: boolean;
}

let nextId = 1;
/** Ids of the SharedArrayBuffers behind the backend's storages (a recycled buffer keeps its id). */
const ids = new WeakMap<SharedArrayBuffer, number>();
/** Freed buffers by byte length, for reuse: workers already hold them, so reuse costs no message. */
const spare = new Map<number, SharedArrayBuffer[]>();
let spareBytes = 0;
/** The most bytes of freed buffers kept for reuse. */
const SPARE_MAX_BYTES = 256 * 2 ** 20;
/** A storage dropped without free() (garbage-collected): its buffer is reusable all the same. */
const collected = new FinalizationRegistry<SharedArrayBuffer>((sab) => release(sab));
let pool: Pool | null = null;

/**
 * A zeroed SharedArrayBuffer of `bytes` bytes for a new storage (a freed one of the same size when
 * there is one: a training step allocates the same sizes every step, and a worker receiving a new
 * SharedArrayBuffer costs ~0.1 ms — far more than the message itself).
 */
export function sharedBuffer(bytes: number): SharedArrayBuffer {
  const list = spare.get(bytes);
  const reused = list?.pop();
  if (reused) {
    spareBytes -= bytes;
    new Uint8Array(reused).fill(0);
    return reused;
  }
  const sab = new SharedArrayBuffer(bytes);
  ids.set(sab, nextId++);
  return sab;
}

/** Track a storage's typed array (on a buffer from sharedBuffer) so that its buffer is reused after it. */
export function track(arr: ArrayBufferView): void {
  collected.register(arr, arr.buffer as SharedArrayBuffer, arr);
}

/** SharedArrayBuffers of the wasm heap's memory (one per growth): storages are views at offsets in them. */
const heapBuffers = new WeakSet<SharedArrayBuffer>();

/** Give a wasm heap buffer an id, so that views into it can be sent to the workers (with their offset). */
export function registerHeapBuffer(sab: SharedArrayBuffer): void {
  if (heapBuffers.has(sab)) return;
  heapBuffers.add(sab);
  ids.set(sab, nextId++);
}

/** The id of a tracked storage's buffer, or 0 (not shared, or only part of a buffer that is not the heap's). */
export function sharedId(buf: unknown): number {
  if (!ArrayBuffer.isView(buf)) return 0;
  const b = buf.buffer;
  if (!(b instanceof SharedArrayBuffer) || (buf.byteOffset !== 0 && !heapBuffers.has(b))) return 0;
  return ids.get(b) ?? 0;
}

/** The storage is freed: its buffer becomes reusable (or is dropped by the workers when too many are kept). */
export function unregisterShared(arr: object): void {
  if (sharedId(arr) === 0) return;
  if (!collected.unregister(arr)) return; // already released
  release((arr as ArrayBufferView).buffer as SharedArrayBuffer);
}

function release(sab: SharedArrayBuffer): void {
  const bytes = sab.byteLength;
  if (spareBytes + bytes <= SPARE_MAX_BYTES) {
    let list = spare.get(bytes);
    if (!list) spare.set(bytes, (list = []));
    list.push(sab);
    spareBytes += bytes;
    return;
  }
  const id = ids.get(sab);
  if (id === undefined || !pool) return;
  for (const s of pool.slots) if (s.known.delete(id)) s.port.postMessage({ unreg: id });
}

function spawnWorker(index: number, ctrl: SharedArrayBuffer): { worker: Worker; port: MessagePort } {
  const { port1, port2 } = new MessageChannel();
  const here = import.meta.url;
  const workerData = { ctrl, slot: index, port: port2 };
  const opts = { workerData, transferList: [port2], stdout: false, stderr: false };
  let worker: Worker;
  if (/\.[cm]?ts$/.test(new URL(here).pathname)) {
    // From source (tsx, vitest): load worker.ts through tsx's loader (a worker does not inherit the
    // main thread's loader hooks in Node 20), with the "source" export condition so that
    // @lockstep/core resolves to its sources too. From dist: worker.js, plain.
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

/** Claim the next piece of op `gen` (or -1: none left, or a later op has started). */
export function claim(ctrl: Int32Array, gen: number, count: number): number {
  for (;;) {
    const w = Atomics.load(ctrl, CLAIM);
    if (w >>> 8 !== gen) return -1;
    const next = w & 0xff;
    if (next >= count) return -1;
    if (Atomics.compareExchange(ctrl, CLAIM, w, w + 1) === w) return next;
  }
}

/** A piece is done (by any thread): count it and wake the main thread at the last one. */
export function complete(ctrl: Int32Array, count: number): void {
  if (Atomics.add(ctrl, COMPLETED, 1) + 1 === count) Atomics.notify(ctrl, COMPLETED);
}

export class Pool {
  readonly ctrlBuf = new SharedArrayBuffer((READY + MAX_WORKERS) * 4);
  readonly ctrl = new Int32Array(this.ctrlBuf);
  slots: Slot[] = [];
  #gen = 0;
  #warned = false;

  /** Grow or shrink to `n` workers (new ones start loading in the background). */
  resize(n: number): void {
    n = Math.max(0, Math.min(MAX_WORKERS, n));
    while (this.slots.length > n) this.#stop(this.slots.pop() as Slot);
    while (this.slots.length < n) {
      const index = this.#freeIndex();
      const c = this.ctrl;
      Atomics.store(c, READY + index, 0);
      const { worker, port } = spawnWorker(index, this.ctrlBuf);
      const slot: Slot = { index, worker, port, known: new Set(), failed: false };
      worker.on("error", (err) => {
        slot.failed = true;
        if (!this.#warned) {
          this.#warned = true;
          process.emitWarning(`lockstep cpu backend: a worker thread failed (${err}); ops run on the other threads`, {
            code: "LOCKSTEP_CPU_WORKER",
          });
        }
      });
      worker.on("exit", () => {
        slot.failed = true;
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
    Atomics.store(this.ctrl, READY + s.index, 0);
    s.port.postMessage({ exit: true });
    Atomics.add(this.ctrl, WAKE, 1);
    Atomics.notify(this.ctrl, WAKE);
    s.port.close();
  }

  /** Workers that have loaded and can take pieces now. */
  ready(): Slot[] {
    const out: Slot[] = [];
    for (const s of this.slots) if (!s.failed && Atomics.load(this.ctrl, READY + s.index) === 1) out.push(s);
    return out;
  }

  /** Resolves once every worker has loaded (or failed). */
  async whenReady(timeoutMs = 60_000): Promise<void> {
    const t0 = Date.now();
    while (this.slots.some((s) => !s.failed && Atomics.load(this.ctrl, READY + s.index) !== 1)) {
      if (Date.now() - t0 > timeoutMs) throw new Error("lockstep cpu backend: worker threads did not start");
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /**
   * Run `job`'s pieces on `workers` and this thread (`local(j)` runs piece j here); returns when
   * every piece is complete. `bufs[i]` is operand i's buffer (sent to a worker the first time).
   */
  run(workers: readonly Slot[], job: Job, bufs: readonly unknown[], local: (piece: number) => void): void {
    const c = this.ctrl;
    const count = job.pieces.length;
    const gen = (this.#gen = (this.#gen + 1) & GEN_MASK);
    Atomics.store(c, COMPLETED, 0);
    Atomics.store(c, CLAIM, gen << 8);
    for (const s of workers) {
      let reg: [number, unknown][] | undefined;
      for (const b of bufs) {
        const id = sharedId(b);
        if (id !== 0 && !s.known.has(id)) {
          s.known.add(id);
          (reg ??= []).push([id, (b as ArrayBufferView).buffer]);
        }
      }
      s.port.postMessage({ gen, reg, job });
    }
    Atomics.add(c, WAKE, 1);
    Atomics.notify(c, WAKE);
    let error: unknown = null;
    for (let j = claim(c, gen, count); j >= 0; j = claim(c, gen, count)) {
      try {
        local(j);
      } catch (err) {
        error ??= err;
      }
      complete(c, count);
    }
    for (let done = Atomics.load(c, COMPLETED); done < count; done = Atomics.load(c, COMPLETED)) Atomics.wait(c, COMPLETED, done);
    const failedIn = Atomics.exchange(c, ERROR, 0);
    if (failedIn !== 0) {
      const s = this.slots.find((x) => x.index === failedIn - 1);
      const m = s ? receiveMessageOnPort(s.port) : undefined;
      error ??= new Error(`lockstep cpu backend: worker kernel failed: ${String(m?.message ?? "unknown error")}`);
    }
    if (error !== null) throw error;
  }

  close(): void {
    while (this.slots.length) this.#stop(this.slots.pop() as Slot);
  }
}

/** The process-wide pool, sized to `workers` (created on first use). */
export function getPool(workers: number): Pool {
  if (!pool) pool = new Pool();
  if (pool.slots.length !== workers) pool.resize(workers);
  return pool;
}

/** The pool if it exists (no workers are started). */
export const existingPool = (): Pool | null => pool;
