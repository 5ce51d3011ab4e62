// A worker of the fast CPU backend's pool (see pool.ts): runs reference kernels on pieces of
// SharedArrayBuffer-backed views. It blocks in Atomics.wait between jobs and takes its messages
// synchronously (receiveMessageOnPort), so it never returns to its event loop.
import { type DType, type ir, type ReduceKernel, ReferenceBackend, type View } from "@lockstep/core";
import { type MessagePort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { DONE, ERROR, JOB, type Job, READY, SLOT, type ViewDesc } from "./pool.js";

const { ctrl: ctrlBuf, slot, port } = workerData as { ctrl: SharedArrayBuffer; slot: number; port: MessagePort };
const ctrl = new Int32Array(ctrlBuf);
const base = slot * SLOT;
const backend = new ReferenceBackend();
const bufs = new Map<number, unknown>();

interface Message {
  readonly seq?: number;
  readonly exit?: boolean;
  readonly unreg?: number;
  readonly reg?: [number, unknown][];
  readonly job?: Job;
}

const view = (d: ViewDesc): View => {
  const buf = d.id === 0 ? d.data : bufs.get(d.id);
  if (buf === undefined) throw new Error(`unknown buffer ${d.id}`);
  return { buf, dtype: d.dtype as DType, shape: d.shape, strides: d.strides, offset: d.offset };
};

function run(job: Job): void {
  switch (job.kind) {
    case "ew":
      backend.elementwise(job.e as ir.Exp, view(job.out), job.inputs.map(view));
      return;
    case "red":
      backend.reduce(job.k as ReduceKernel, view(job.out), view(job.input), job.nReduced);
      return;
    case "scan":
      backend.scan(job.op, view(job.out), view(job.input));
      return;
  }
}

/** Take messages until the one for job `seq` (registrations and unregistrations come before it). */
function receive(seq: number): Message {
  for (;;) {
    const m = receiveMessageOnPort(port);
    if (!m) {
      Atomics.wait(ctrl, base + JOB, seq, 0.05); // posted but not queued yet: a short pause
      continue;
    }
    const msg = m.message as Message;
    if (msg.unreg !== undefined) bufs.delete(msg.unreg);
    if (msg.reg) for (const [id, b] of msg.reg) bufs.set(id, b);
    if (msg.seq === seq) return msg;
  }
}

Atomics.store(ctrl, base + READY, 1);
let last = Atomics.load(ctrl, base + JOB);
for (;;) {
  Atomics.wait(ctrl, base + JOB, last);
  const seq = Atomics.load(ctrl, base + JOB);
  if (seq === last) continue;
  const msg = receive(seq);
  if (msg.exit) break;
  try {
    run(msg.job as Job);
  } catch (err) {
    port.postMessage(err instanceof Error ? (err.stack ?? err.message) : String(err));
    Atomics.store(ctrl, base + ERROR, 1);
  }
  last = seq;
  Atomics.store(ctrl, base + DONE, seq);
  Atomics.notify(ctrl, base + DONE);
}
port.close();
