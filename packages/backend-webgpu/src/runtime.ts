// The WebGPU runtime under the backend: pooled storage buffers, pipelines cached by WGSL source,
// and a command encoder that batches dispatches until a readback (or a host write, which must be
// ordered after the work already recorded) forces a submit.
import type { GpuHandle } from "./gpu.js";

// GPUBufferUsage / GPUMapMode values, spelled out so that Node needs no globals from Dawn.
const STORAGE = 0x80;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const MAP_READ = 0x1;
const MAP_MODE_READ = 0x1;

export const WORKGROUP = 256;
const MAX_GROUPS_X = 32768;
/** Submit after this many recorded dispatches even without a readback, to bound queued work. */
const SUBMIT_EVERY = 256;

export interface Binding {
  readonly buffer: GPUBuffer;
  readonly writable: boolean;
}

export class Runtime {
  readonly device: GPUDevice;
  private encoder: GPUCommandEncoder | null = null;
  private recorded = 0;
  private readonly transient: GPUBuffer[] = [];
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private readonly pool = new Map<number, GPUBuffer[]>();
  /** Bytes held by live buffers and by the pool. */
  bytesInUse = 0;
  bytesPooled = 0;
  dispatches = 0;

  constructor(readonly gpu: GpuHandle) {
    this.device = gpu.device;
  }

  /** A storage buffer of at least `bytes` (rounded to 16; pooled by size), zero-filled. */
  alloc(bytes: number): GPUBuffer {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    const free = this.pool.get(size);
    const reused = free?.pop();
    this.bytesInUse += size;
    if (reused) {
      this.bytesPooled -= size;
      this.enc().clearBuffer(reused);
      return reused;
    }
    return this.device.createBuffer({ size, usage: STORAGE | COPY_SRC | COPY_DST });
  }

  release(buf: GPUBuffer): void {
    const list = this.pool.get(buf.size) ?? [];
    list.push(buf);
    this.pool.set(buf.size, list);
    this.bytesInUse -= buf.size;
    this.bytesPooled += buf.size;
  }

  /** Destroy pooled buffers (torch.cuda.empty_cache's analogue). */
  emptyCache(): void {
    this.flush();
    for (const list of this.pool.values()) for (const b of list) b.destroy();
    this.pool.clear();
    this.bytesPooled = 0;
  }

  write(buf: GPUBuffer, byteOffset: number, data: ArrayBufferView): void {
    this.flush(); // queue writes run before any unsubmitted commands: submit those first
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const padded = bytes.byteLength % 4 === 0 ? bytes : copyPadded(bytes);
    this.device.queue.writeBuffer(buf, byteOffset, padded);
  }

  async read(buf: GPUBuffer, byteOffset: number, byteLength: number): Promise<ArrayBuffer> {
    const start = byteOffset - (byteOffset % 4);
    const size = Math.ceil((byteOffset + byteLength - start) / 4) * 4;
    if (size === 0) return new ArrayBuffer(0);
    const staging = this.device.createBuffer({ size, usage: MAP_READ | COPY_DST });
    this.enc().copyBufferToBuffer(buf, start, staging, 0, size);
    this.flush();
    await staging.mapAsync(MAP_MODE_READ);
    const out = staging.getMappedRange().slice(byteOffset - start, byteOffset - start + byteLength);
    staging.unmap();
    staging.destroy();
    return out;
  }

  private enc(): GPUCommandEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    return this.encoder;
  }

  /** Submit recorded work. */
  flush(): void {
    if (!this.encoder) return;
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.recorded = 0;
    for (const b of this.transient) b.destroy(); // freed by the driver once the submitted work is done
    this.transient.length = 0;
  }

  /** Wait until all submitted work has finished. */
  async synchronize(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
  }

  private layout(writable: readonly boolean[]): GPUBindGroupLayout {
    const key = writable.map((w) => (w ? "w" : "r")).join("");
    let l = this.layouts.get(key);
    if (!l) {
      l = this.device.createBindGroupLayout({
        entries: [
          { binding: 0, visibility: 4 /* COMPUTE */, buffer: { type: "read-only-storage" } },
          ...writable.map((w, i) => ({
            binding: i + 1,
            visibility: 4,
            buffer: { type: (w ? "storage" : "read-only-storage") as GPUBufferBindingType },
          })),
        ],
      });
      this.layouts.set(key, l);
    }
    return l;
  }

  private pipeline(source: string, layout: GPUBindGroupLayout, key: string): GPUComputePipeline {
    const k = `${key}\n${source}`;
    let p = this.pipelines.get(k);
    if (!p) {
      const module = this.device.createShaderModule({ code: source });
      p = this.device.createComputePipeline({
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: "main" },
      });
      this.pipelines.set(k, p);
    }
    return p;
  }

  /**
   * Run `source` (entry point `main`, @workgroup_size(WORKGROUP)) over `threads` invocations.
   * Binding 0 is the parameter words `params`; bindings 1.. are `buffers`. The kernel computes its
   * invocation index with `invocation(gid, nwg)` (see PRELUDE) and must bounds-check it.
   */
  dispatch(source: string, buffers: readonly Binding[], params: Uint32Array, threads: number): void {
    if (threads <= 0) return;
    const writable = buffers.map((b) => b.writable);
    const layout = this.layout(writable);
    const pipeline = this.pipeline(source, layout, writable.join());
    // the last word is 1.0f: kernels multiply by it (`one()`) where the driver's compiler must not
    // simplify algebraically (error-free transformations such as two-sum)
    const words = params.length + 1;
    const pbuf = this.device.createBuffer({ size: Math.ceil((words * 4) / 16) * 16, usage: STORAGE, mappedAtCreation: true });
    const mapped = new Uint32Array(pbuf.getMappedRange());
    mapped.set(params);
    mapped[params.length] = 0x3f800000;
    pbuf.unmap();
    this.transient.push(pbuf);
    const bind = this.device.createBindGroup({
      layout,
      entries: [
        { binding: 0, resource: { buffer: pbuf, size: words * 4 } },
        ...buffers.map((b, i) => ({ binding: i + 1, resource: { buffer: b.buffer } })),
      ],
    });
    const groups = Math.ceil(threads / WORKGROUP);
    const x = Math.min(groups, MAX_GROUPS_X);
    const y = Math.ceil(groups / x);
    const pass = this.enc().beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(x, y);
    pass.end();
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
