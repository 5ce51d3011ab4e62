// The WebGPU runtime under the backend: pooled storage buffers, pipelines cached by WGSL source,
// and a command encoder that batches dispatches (in one compute pass) until a readback, a large
// host write (which must be ordered after the work already recorded) or SUBMIT_EVERY forces a
// submit. Per-dispatch parameters and small host writes go through two arenas that are uploaded
// once per batch, just before its submit (see `arena`).
import type { GpuHandle } from "./gpu.js";
import type { GpuTimer } from "./timing.js";

// GPUBufferUsage / GPUMapMode values, spelled out so that Node needs no globals from Dawn.
const STORAGE = 0x80;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const MAP_READ = 0x1;
const MAP_MODE_READ = 0x1;

export const WORKGROUP = 256;
export const MAX_GROUPS_X = 32768;
/** Submit after this many recorded dispatches even without a readback, to bound queued work. */
const SUBMIT_EVERY = 256;

export interface Binding {
  readonly buffer: GPUBuffer;
  readonly writable: boolean;
}

/** Bytes of the parameter arena: the parameter words of every dispatch recorded in one batch. */
const ARENA_BYTES = 1 << 16;
/** A dispatch's parameter window: its words, then padding, then 1.0f in the last word. */
const PARAM_WINDOW = 256;
const ONE = 0x3f800000;
/** Cached bind groups before the cache starts over (each holds its buffers alive). */
const MAX_BIND_GROUPS = 4096;
/** Host writes up to this many bytes go through the upload arena instead of submitting first. */
const SMALL_WRITE = 1 << 16;
/** Bytes of the upload arena (small host writes of one batch). */
const UPLOAD_BYTES = 1 << 18;

export class Runtime {
  readonly device: GPUDevice;
  private encoder: GPUCommandEncoder | null = null;
  /** The compute pass dispatches are recorded into; ended before any copy or clear. */
  private pass: GPUComputePassEncoder | null = null;
  /** torch.profiler's device timer; while it runs, every dispatch gets a timed pass of its own. */
  timer: GpuTimer | null = null;
  private recorded = 0;
  private readonly transient: GPUBuffer[] = [];
  private readonly pipelines = new Map<string, Map<string, GPUComputePipeline>>();
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly ids = new WeakMap<GPUBuffer, number>();
  private nextId = 0;
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private readonly pool = new Map<number, GPUBuffer[]>();
  /**
   * Reused buffers handed out by `alloc` that still owe their zero fill, with the bytes asked for.
   * The fill is recorded just before the buffer's first use, unless that use writes all those bytes
   * without reading them (most kernel outputs, full host writes): then no clear is recorded at all,
   * and the compute pass stays open.
   */
  private readonly unzeroed = new Map<GPUBuffer, number>();
  /** The pipeline last set in the open compute pass (setPipeline is skipped when it repeats). */
  private passPipeline: GPUComputePipeline | null = null;
  /**
   * Parameter words of the batch being recorded, uploaded with one writeBuffer just before the
   * batch is submitted. Queue operations run in order, so that write lands after every earlier
   * batch has finished with the arena and before this batch reads it: one arena serves all batches.
   */
  private readonly arena: GPUBuffer;
  private readonly arenaWords = new Uint32Array(ARENA_BYTES / 4);
  private arenaUsed = 0;
  /** Small host writes of the batch: copied from here to their buffers by recorded commands (same ordering as `arena`). */
  private readonly upload: GPUBuffer;
  private readonly uploadBytes = new Uint8Array(UPLOAD_BYTES);
  private uploadUsed = 0;
  private readonly align: number;
  /** Bytes held by live buffers and by the pool. */
  bytesInUse = 0;
  bytesPooled = 0;
  dispatches = 0;
  /**
   * A CPU implementation of WebGPU (lavapipe, SwiftShader): caches stand in for workgroup memory
   * and barriers are costly, so kernels that have a variant without them choose it here.
   */
  cpuAdapter: boolean;
  /**
   * Whether long scatters use the sorted parallel path. On CPU adapters one invocation walking the
   * updates in order is faster than sorting them (no parallel hardware to win back the sort's cost).
   */
  parallelScatter: boolean;

  constructor(readonly gpu: GpuHandle) {
    this.device = gpu.device;
    const forced = typeof process !== "undefined" ? process.env?.LOCKSTEP_WEBGPU_CPU_ADAPTER : undefined;
    this.cpuAdapter = forced ? forced === "1" : /llvmpipe|lavapipe|swiftshader|software/i.test(gpu.adapterInfo);
    const scatter = typeof process !== "undefined" ? process.env?.LOCKSTEP_WEBGPU_PARALLEL_SCATTER : undefined;
    this.parallelScatter = scatter ? scatter === "1" : !this.cpuAdapter;
    this.align = Math.max(16, this.device.limits.minStorageBufferOffsetAlignment);
    this.arena = this.device.createBuffer({ size: ARENA_BYTES, usage: STORAGE | COPY_DST });
    this.upload = this.device.createBuffer({ size: UPLOAD_BYTES, usage: COPY_SRC | COPY_DST });
  }

  /** A storage buffer of at least `bytes` (rounded to 16; pooled by size), zero-filled. */
  alloc(bytes: number): GPUBuffer {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    const free = this.pool.get(size);
    const reused = free?.pop();
    this.bytesInUse += size;
    if (reused) {
      this.bytesPooled -= size;
      this.unzeroed.set(reused, bytes);
      return reused;
    }
    return this.device.createBuffer({ size, usage: STORAGE | COPY_SRC | COPY_DST });
  }

  /** Record the zero fill `alloc` owes `buf`, if any (before a use that may read it). */
  private zeroFill(buf: GPUBuffer): void {
    if (this.unzeroed.delete(buf)) this.enc().clearBuffer(buf);
  }

  /**
   * A pooled buffer for a kernel's intermediate results, not zero-filled: the kernels that use one
   * write every word they read. Give it back with `release` once its last use is recorded (later
   * work that reuses it runs after that use: one queue, in order).
   */
  scratch(bytes: number): GPUBuffer {
    const size = Math.max(16, Math.ceil(bytes / 256) * 256); // coarse sizes: more reuse
    const reused = this.pool.get(size)?.pop();
    this.bytesInUse += size;
    if (reused) {
      this.bytesPooled -= size;
      return reused;
    }
    return this.device.createBuffer({ size, usage: STORAGE | COPY_SRC | COPY_DST });
  }

  release(buf: GPUBuffer): void {
    this.unzeroed.delete(buf); // its contents no longer matter
    const list = this.pool.get(buf.size) ?? [];
    list.push(buf);
    this.pool.set(buf.size, list);
    this.bytesInUse -= buf.size;
    this.bytesPooled += buf.size;
  }

  /** Destroy pooled buffers (torch.cuda.empty_cache's analogue). */
  emptyCache(): void {
    this.flush();
    this.bindGroups.clear(); // they reference the buffers about to go
    for (const list of this.pool.values()) for (const b of list) b.destroy();
    this.pool.clear();
    this.bytesPooled = 0;
  }

  write(buf: GPUBuffer, byteOffset: number, data: ArrayBufferView): void {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const padded = bytes.byteLength % 4 === 0 ? bytes : copyPadded(bytes);
    if (padded.byteLength === 0) return;
    const owed = this.unzeroed.get(buf);
    if (owed !== undefined) {
      if (byteOffset === 0 && padded.byteLength >= owed) this.unzeroed.delete(buf);
      else this.zeroFill(buf);
    }
    if (padded.byteLength <= SMALL_WRITE) {
      // small writes (scalars, optimizer constants) are recorded as a copy from the upload arena,
      // in order with the commands around them: no submit and no allocation per write
      if (this.uploadUsed + padded.byteLength > UPLOAD_BYTES) this.flush();
      const at = this.uploadUsed;
      this.uploadBytes.set(padded, at);
      this.uploadUsed = at + padded.byteLength; // a multiple of 4, as copies require
      this.enc().copyBufferToBuffer(this.upload, at, buf, byteOffset, padded.byteLength);
      return;
    }
    this.flush(); // queue writes run before any unsubmitted commands: submit those first
    this.device.queue.writeBuffer(buf, byteOffset, padded);
  }

  async read(buf: GPUBuffer, byteOffset: number, byteLength: number): Promise<ArrayBuffer> {
    const start = byteOffset - (byteOffset % 4);
    const size = Math.ceil((byteOffset + byteLength - start) / 4) * 4;
    if (size === 0) return new ArrayBuffer(0);
    this.zeroFill(buf);
    const staging = this.device.createBuffer({ size, usage: MAP_READ | COPY_DST });
    this.enc().copyBufferToBuffer(buf, start, staging, 0, size);
    this.flush();
    await staging.mapAsync(MAP_MODE_READ);
    const out = staging.getMappedRange().slice(byteOffset - start, byteOffset - start + byteLength);
    staging.unmap();
    staging.destroy();
    return out;
  }

  /** The command encoder, outside any compute pass (for copies and clears). */
  private enc(): GPUCommandEncoder {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
      this.passPipeline = null;
    }
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    return this.encoder;
  }

  private computePass(): GPUComputePassEncoder {
    // timestamps exist only at pass boundaries: one pass per dispatch while timing (enc() ends the open one)
    if (this.timer?.active) {
      this.passPipeline = null;
      return (this.pass = this.enc().beginComputePass({ timestampWrites: this.timer.passTimestamps() }));
    }
    if (!this.pass) this.pass = this.enc().beginComputePass();
    return this.pass;
  }

  /** Submit recorded work. */
  flush(): void {
    if (!this.encoder) return;
    if (this.pass) {
      this.pass.end();
      this.pass = null;
      this.passPipeline = null;
    }
    this.timer?.beforeSubmit(this.encoder);
    if (this.arenaUsed > 0) this.device.queue.writeBuffer(this.arena, 0, this.arenaWords, 0, this.arenaUsed / 4);
    if (this.uploadUsed > 0) this.device.queue.writeBuffer(this.upload, 0, this.uploadBytes, 0, this.uploadUsed);
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.recorded = 0;
    this.arenaUsed = 0;
    this.uploadUsed = 0;
    for (const b of this.transient) b.destroy(); // freed by the driver once the submitted work is done
    this.transient.length = 0;
  }

  /** Wait until all submitted work has finished. */
  async synchronize(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
  }

  /** The bind group layout for buffers' access ("r"/"w" per binding after the parameters). */
  private layout(key: string): GPUBindGroupLayout {
    let l = this.layouts.get(key);
    if (!l) {
      l = this.device.createBindGroupLayout({
        entries: [
          { binding: 0, visibility: 4 /* COMPUTE */, buffer: { type: "read-only-storage", hasDynamicOffset: true } },
          ...Array.from(key, (w, i) => ({
            binding: i + 1,
            visibility: 4,
            buffer: { type: (w === "w" ? "storage" : "read-only-storage") as GPUBufferBindingType },
          })),
        ],
      });
      this.layouts.set(key, l);
    }
    return l;
  }

  private pipeline(source: string, layout: GPUBindGroupLayout, key: string): GPUComputePipeline {
    // two levels: no per-dispatch concatenation (and re-hashing) of the whole source
    let byKey = this.pipelines.get(source);
    if (!byKey) {
      byKey = new Map();
      this.pipelines.set(source, byKey);
    }
    let p = byKey.get(key);
    if (!p) {
      const module = this.device.createShaderModule({ code: source });
      p = this.device.createComputePipeline({
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: "main" },
      });
      byKey.set(key, p);
    }
    return p;
  }

  private bufferId(b: GPUBuffer): number {
    let id = this.ids.get(b);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(b, id);
    }
    return id;
  }

  /**
   * Bind groups are cached by (layout, parameter window size, buffers): training loops bind the same
   * pooled buffers step after step. The parameter window's place in the arena is a dynamic offset.
   */
  private bindGroup(
    layoutKey: string,
    layout: GPUBindGroupLayout,
    pbuf: GPUBuffer,
    psize: number,
    buffers: readonly Binding[],
  ): GPUBindGroup {
    let key = `${layoutKey}|${this.bufferId(pbuf)}:${psize}|`;
    for (const b of buffers) key += `${this.bufferId(b.buffer)},`;
    let bg = this.bindGroups.get(key);
    if (!bg) {
      if (this.bindGroups.size >= MAX_BIND_GROUPS) this.bindGroups.clear();
      bg = this.device.createBindGroup({
        layout,
        entries: [
          { binding: 0, resource: { buffer: pbuf, offset: 0, size: psize } },
          ...buffers.map((b, i) => ({ binding: i + 1, resource: { buffer: b.buffer } })),
        ],
      });
      this.bindGroups.set(key, bg);
    }
    return bg;
  }

  /**
   * Place a dispatch's parameter words in the arena: a window of PARAM_WINDOW bytes (or a multiple)
   * whose last word is 1.0f, read by `one()` (kernels multiply by it where the driver's compiler
   * must not simplify algebraically, e.g. two-sum). Returns the buffer, offset and window size.
   */
  private params(params: Uint32Array): { buffer: GPUBuffer; offset: number; size: number } {
    const size = Math.ceil(((params.length + 1) * 4) / PARAM_WINDOW) * PARAM_WINDOW;
    if (size > ARENA_BYTES / 4) {
      // too big to share the arena: a buffer of its own, destroyed after the submit
      const pbuf = this.device.createBuffer({ size, usage: STORAGE, mappedAtCreation: true });
      const mapped = new Uint32Array(pbuf.getMappedRange());
      mapped.set(params);
      mapped[size / 4 - 1] = ONE;
      pbuf.unmap();
      this.transient.push(pbuf);
      return { buffer: pbuf, offset: 0, size };
    }
    if (this.arenaUsed + size > ARENA_BYTES) this.flush();
    const offset = this.arenaUsed;
    this.arenaWords.set(params, offset / 4);
    this.arenaWords[(offset + size) / 4 - 1] = ONE;
    this.arenaUsed = Math.ceil((offset + size) / this.align) * this.align;
    return { buffer: this.arena, offset, size };
  }

  /**
   * Run `source` (entry point `main`, @workgroup_size(WORKGROUP)) over `threads` invocations.
   * Binding 0 is the parameter words `params`; bindings 1.. are `buffers`. The kernel computes its
   * invocation index with `invocation(gid, nwg)` (see PRELUDE) and must bounds-check it.
   * `overwritten`: buffers the kernel writes in full (every byte `alloc` was asked for) and never
   * reads, so that a zero fill they owe can be skipped.
   */
  dispatch(
    source: string,
    buffers: readonly Binding[],
    params: Uint32Array,
    threads: number,
    overwritten?: readonly GPUBuffer[],
  ): void {
    if (threads <= 0) return;
    const groups = Math.ceil(threads / WORKGROUP);
    const x = Math.min(groups, MAX_GROUPS_X);
    this.dispatchGroups(source, buffers, params, [x, Math.ceil(groups / x), 1], overwritten);
  }

  /** Run `source` over an explicit grid of workgroups (kernels with their own workgroup size and layout). */
  dispatchGroups(
    source: string,
    buffers: readonly Binding[],
    params: Uint32Array,
    groups: readonly [number, number, number],
    overwritten?: readonly GPUBuffer[],
  ): void {
    if (groups[0] <= 0 || groups[1] <= 0 || groups[2] <= 0) return;
    let layoutKey = "";
    for (const b of buffers) {
      layoutKey += b.writable ? "w" : "r";
      if (this.unzeroed.size > 0 && this.unzeroed.has(b.buffer)) {
        if (overwritten?.includes(b.buffer)) this.unzeroed.delete(b.buffer);
        else this.zeroFill(b.buffer);
      }
    }
    const layout = this.layout(layoutKey);
    const pipeline = this.pipeline(source, layout, layoutKey);
    const p = this.params(params);
    const bind = this.bindGroup(layoutKey, layout, p.buffer, p.size, buffers);
    const pass = this.computePass();
    if (this.passPipeline !== pipeline) {
      pass.setPipeline(pipeline);
      this.passPipeline = pipeline;
    }
    pass.setBindGroup(0, bind, [p.offset]);
    pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    this.dispatches++;
    if (++this.recorded >= SUBMIT_EVERY) this.flush();
  }
}

function copyPadded(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(b.byteLength / 4) * 4);
  out.set(b);
  return out;
}

/** WGSL every kernel starts with: the parameter words and the flat invocation index. */
export const PRELUDE = `@group(0) @binding(0) var<storage, read> P: array<u32>;
fn invocation(gid: vec3<u32>, nwg: vec3<u32>) -> u32 { return gid.y * nwg.x * ${WORKGROUP}u + gid.x; }
// 1.0, unknown to the shader compiler: x * one() keeps it from rewriting (a + b) - a into b.
fn one() -> f32 { return bitcast<f32>(P[arrayLength(&P) - 1u]); }`;

export const ENTRY = `@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>)`;
