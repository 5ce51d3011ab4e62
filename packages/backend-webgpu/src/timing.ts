// Device time for torch.profiler from WebGPU timestamp queries (the adapter's "timestamp-query"
// feature). WebGPU timestamps exist only at compute-pass boundaries, so while a timer runs the
// runtime gives each dispatch a pass of its own and asks `passTimestamps()` for its writes; the
// queries are resolved into a buffer just before each submit (`beforeSubmit`) and read back when
// the profile stops. Each pass's time goes to the profiler event current when it was recorded.
// Implements core's DeviceTimer (torch.profiler) structurally.

// GPUBufferUsage / GPUMapMode values, spelled out so that Node needs no globals from Dawn.
const QUERY_RESOLVE = 0x200;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const MAP_READ = 0x1;
const MAP_MODE_READ = 0x1;
/** Queries per query set (WebGPU's limit is 4096): 2 per timed pass. */
const CAPACITY = 4096;

interface Batch {
  readonly readback: GPUBuffer;
  readonly resolve: GPUBuffer;
  /** The event id of each timed pass, in query-pair order. */
  readonly ids: readonly (number | null)[];
}

export class GpuTimer {
  private querySet: GPUQuerySet | null = null;
  private running = false;
  private current: number | null = null;
  private ids: (number | null)[] = [];
  private batches: Batch[] = [];
  /** Passes recorded while the query set was full (their time is unknown). */
  untimed = 0;

  /** `flush` submits the runtime's recorded work (which calls `beforeSubmit`). */
  constructor(
    private readonly device: GPUDevice,
    private readonly flush: () => void,
  ) {}

  /** Begin timing; false when the device was created without "timestamp-query". */
  start(): boolean {
    if (!this.device.features.has("timestamp-query")) return false;
    this.flush(); // work recorded before the profile is not timed
    this.querySet ??= this.device.createQuerySet({ type: "timestamp", count: CAPACITY });
    this.running = true;
    this.ids = [];
    this.batches = [];
    this.untimed = 0;
    this.current = null;
    return true;
  }

  /** Dispatches recorded from now on belong to profiler event `id` (null: to none). */
  attribute(id: number | null): void {
    this.current = id;
  }

  /** Whether the runtime should give each dispatch its own timed pass. */
  get active(): boolean {
    return this.running;
  }

  /** For the runtime: the timestamp writes of the next compute pass (undefined: leave it untimed). */
  passTimestamps(): GPUComputePassTimestampWrites | undefined {
    if (!this.running || !this.querySet) return undefined;
    if (this.ids.length * 2 + 2 > CAPACITY) {
      this.untimed++;
      return undefined;
    }
    const at = this.ids.length * 2;
    this.ids.push(this.current);
    return { querySet: this.querySet, beginningOfPassWriteIndex: at, endOfPassWriteIndex: at + 1 };
  }

  /** For the runtime: called with the encoder about to be finished and submitted. */
  beforeSubmit(encoder: GPUCommandEncoder): void {
    if (!this.querySet || this.ids.length === 0) return;
    const bytes = this.ids.length * 2 * 8;
    const resolve = this.device.createBuffer({ size: bytes, usage: QUERY_RESOLVE | COPY_SRC });
    const readback = this.device.createBuffer({ size: bytes, usage: MAP_READ | COPY_DST });
    encoder.resolveQuerySet(this.querySet, 0, this.ids.length * 2, resolve, 0);
    encoder.copyBufferToBuffer(resolve, 0, readback, 0, bytes);
    this.batches.push({ readback, resolve, ids: this.ids });
    this.ids = [];
  }

  /** End timing: microseconds of device time per event id. */
  async stop(): Promise<Map<number, number>> {
    this.flush();
    this.running = false;
    this.current = null;
    const out = new Map<number, number>();
    for (const b of this.batches) {
      await b.readback.mapAsync(MAP_MODE_READ);
      const t = new BigUint64Array(b.readback.getMappedRange());
      b.ids.forEach((id, i) => {
        if (id === null) return;
        const begin = t[2 * i] as bigint;
        const end = t[2 * i + 1] as bigint;
        // a pass the driver did not time reads 0 (and a clock that went backwards, nothing)
        const ns = end > begin ? Number(end - begin) : 0;
        out.set(id, (out.get(id) ?? 0) + ns / 1000);
      });
      b.readback.unmap();
      b.readback.destroy();
      b.resolve.destroy();
    }
    this.batches = [];
    return out;
  }
}
