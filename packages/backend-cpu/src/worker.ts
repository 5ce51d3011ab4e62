// A worker of the fast CPU backend's pool (see pool.ts): claims pieces of parallel ops and runs the
// reference kernels on them, on SharedArrayBuffer-backed views. It blocks in Atomics.wait between
// ops and takes its messages synchronously (receiveMessageOnPort): it never returns to its event loop.

import { type MessagePort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { ReferenceBackend } from "@lockstep/core";
import { runPiece } from "./parallel.js";
import { claim, complete, ERROR, type Job, READY, WAKE } from "./pool.js";

const { ctrl: ctrlBuf, slot, port } = workerData as { ctrl: SharedArrayBuffer; slot: number; port: MessagePort };
const ctrl = new Int32Array(ctrlBuf);
const backend = new ReferenceBackend();
const known = new Map<number, SharedArrayBuffer>();

interface Message {
  readonly exit?: boolean;
  readonly unreg?: number;
  readonly reg?: [number, SharedArrayBuffer][];
  readonly gen?: number;
  readonly job?: Job;
}

function work(gen: number, job: Job): void {
  const count = job.pieces.length;
  let bufs: unknown[] | null = null;
  for (let j = claim(ctrl, gen, count); j >= 0; j = claim(ctrl, gen, count)) {
    try {
      bufs ??= job.operands.map((o) => {
        if (o.id === 0) return o.data;
        const b = known.get(o.id);
        if (b === undefined) throw new Error(`unknown buffer ${o.id}`);
        const C = (globalThis as unknown as Record<string, new (b: SharedArrayBuffer, at?: number, n?: number) => unknown>)[
          o.array
        ]!;
        return o.length === undefined ? new C(b) : new C(b, o.byteOffset, o.length);
      });
      runPiece(backend, job, bufs, j);
    } catch (err) {
      port.postMessage(err instanceof Error ? (err.stack ?? err.message) : String(err));
      Atomics.store(ctrl, ERROR, slot + 1);
    }
    complete(ctrl, count);
  }
}

Atomics.store(ctrl, READY + slot, 1);
let wake = Atomics.load(ctrl, WAKE);
for (let exit = false; !exit; ) {
  Atomics.wait(ctrl, WAKE, wake);
  wake = Atomics.load(ctrl, WAKE);
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
    const msg = m.message as Message;
    if (msg.unreg !== undefined) known.delete(msg.unreg);
    if (msg.reg) for (const [id, b] of msg.reg) known.set(id, b);
    if (msg.job) work(msg.gen as number, msg.job);
    if (msg.exit) exit = true;
  }
}
port.close();
