// torch.profiler for every backend: per-op call counts, total and self time, memory, device time
// where the backend can time its kernels (WebGPU timestamp queries, CUDA events), and
// keyAverages().table() laid out like PyTorch's.
//
// How ops are seen: every registered backend is wrapped by `withProfiler` (where storage.ts wraps
// backends), which records its primitives (alloc, free, write, read, elementwise, reduce, scan,
// matmul, sort, scatter) while a profile is active and costs one flag test otherwise. An op names
// the primitive call it is about to make with `noteOp` (ops/core.ts's `elementwise`,
// determinism.ts's `kernelFor`); calls nobody named show the primitive's name. User ranges
// (`recordFunction`) nest: their total time includes the events inside them, self time excludes it.
//
// Memory: an allocation is charged to the next primitive on the same backend (ops allocate their
// output, then run the kernel that fills it), a free to the innermost open event; what no event
// takes is shown as "[memory]", as PyTorch does.
import type { Backend, ReduceKernel, View } from "./backend.js";
import { type DType, ITEMSIZE } from "./dtype.js";
import { ValueError } from "./errors.js";
import type { Exp } from "./ir.js";

// ---- the hook ops call ----

let active: Profile | null = null;
let label: string | null = null;

/** Whether a profile is recording (for callers that build range names: skip the work otherwise). */
export const isProfiling = (): boolean => active !== null;

/** Names the backend primitive the calling op runs next (a no-op unless a profile is active). */
export function noteOp(op: string): void {
  if (active) label = op;
}

// ---- device timers: optional members of a backend ----

/** Implemented by backends that can time kernels on the device. */
export interface DeviceTimer {
  /** Begin timing; false when the device cannot (no timestamp queries). */
  start(): boolean;
  /** Work the backend records from now on belongs to event `id`, until the next call (null: to none). */
  attribute(id: number | null): void;
  /** End timing; resolves to the device time of each event id, in microseconds. */
  stop(): Promise<Map<number, number>>;
}
/** A backend with a device timer exposes it as `deviceTimer()`. */
export interface TimedBackend {
  deviceTimer?(): DeviceTimer | null;
}

// ---- events ----

export interface FunctionEvent {
  readonly id: number;
  readonly name: string;
  /** "range" for recordFunction, else the primitive that ran ("elementwise", "matmul", "alloc"...). */
  readonly kind: string;
  /** The backend's name ("reference", "webgpu", ...); "" for ranges. */
  readonly backend: string;
  /** Whether the backend computes on the host (its memory is CPU memory). */
  readonly host: boolean;
  readonly startUs: number;
  endUs: number;
  /** Host time of this event and everything inside it, in microseconds. */
  cpuTimeTotal: number;
  /** Host time minus that of the events inside it. */
  selfCpuTimeTotal: number;
  /** Device time of this event's own kernels (null when not measured). */
  selfDeviceTimeTotal: number | null;
  deviceTimeTotal: number | null;
  /** Bytes allocated minus freed by this event itself (host and device memory separately). */
  selfCpuMemoryUsage: number;
  selfDeviceMemoryUsage: number;
  cpuMemoryUsage: number;
  deviceMemoryUsage: number;
  /** Shapes of the primitive's tensor arguments (with recordShapes). */
  readonly inputShapes: readonly (readonly number[])[];
  readonly parent: FunctionEvent | null;
  readonly children: FunctionEvent[];
}

export const ProfilerActivity = { CPU: "cpu", CUDA: "cuda", WEBGPU: "webgpu" } as const;

export interface ProfileOptions {
  /** Backends whose kernels to time on the device, by name (host time is always recorded). Default: every backend with a timer. */
  activities?: readonly string[];
  /** Track allocations and frees per event (PyTorch's profile_memory). Default true. */
  profileMemory?: boolean;
  /** Record the shapes of each primitive's tensor arguments (PyTorch's record_shapes). */
  recordShapes?: boolean;
}

const WRAPPED = Symbol("lockstep.profiler.wrapped");
const PRIMITIVES = new Set(["write", "read", "elementwise", "reduce", "scan", "matmul", "sort", "scatter"]);
const now = (): number => performance.now() * 1000;

/** What a profile keeps per backend it has seen. */
interface BackendState {
  timer: DeviceTimer | null;
  pending: number; // bytes allocated, not yet charged to a primitive
}

/**
 * `b`, recording its primitives into the active profile. Wrapping twice is a no-op. Installed on
 * every backend where devices are registered (storage.ts), so that no backend can be missed.
 */
export function withProfiler<B extends Backend>(b: B): B {
  if ((b as unknown as Record<symbol, unknown>)[WRAPPED]) return b;
  // one stable function per primitive that decides at call time (outer wrappers may cache it)
  const stable = new Map<PropertyKey, unknown>();
  return new Proxy(b, {
    get(target, prop) {
      if (prop === WRAPPED) return true;
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== "function") return v;
      let f = stable.get(prop);
      if (!f) {
        const name = prop as string;
        const recorded = PRIMITIVES.has(name) || name === "alloc" || name === "free";
        f = recorded
          ? (...args: unknown[]) => {
              const fn = Reflect.get(target, prop, target) as (...a: unknown[]) => unknown;
              return active ? active.call(target, name, fn, args) : fn.apply(target, args);
            }
          : (...args: unknown[]) => (Reflect.get(target, prop, target) as (...a: unknown[]) => unknown).apply(target, args);
        stable.set(prop, f);
      }
      return f;
    },
  });
}

/**
 * `b` as registered devices hold it: torch.profiler records its primitives while a profile is
 * active, and its elementwise and reduce kernels are expanded while portable numerics are on
 * (`expand`: portable/mode.ts). The same behaviour as `withProfiler(withPortableNumerics(b))`,
 * without Proxies: an object whose prototype is `b`, with an own forwarding method for every method
 * `b` has (called on `b`, looked up on each call, so later replacements are seen) and forwarding
 * accessors for `b`'s accessors. Other properties read through the prototype.
 */
export function wrapBackend<B extends Backend>(b: B, expand: { on(): boolean; exp(e: Exp): Exp }): B {
  if ((b as unknown as Record<symbol, unknown>)[WRAPPED]) return b;
  const t = b as unknown as Record<PropertyKey, (...a: unknown[]) => unknown>;
  const w = Object.create(b) as Record<PropertyKey, unknown>;
  const own = (k: PropertyKey, value: unknown) =>
    Object.defineProperty(w, k, { value, writable: true, configurable: true, enumerable: false });
  own(WRAPPED, true);
  const keys = new Set<PropertyKey>();
  for (let o: object | null = b; o && o !== Object.prototype; o = Object.getPrototypeOf(o))
    for (const k of Reflect.ownKeys(o)) if (k !== "constructor" && k !== WRAPPED) keys.add(k);
  for (const k of keys) {
    let d: PropertyDescriptor | undefined;
    for (let o: object | null = b; o && !d; o = Object.getPrototypeOf(o)) d = Object.getOwnPropertyDescriptor(o, k);
    if (!d) continue;
    if (d.get || d.set) {
      Object.defineProperty(w, k, {
        get: () => Reflect.get(b, k, b),
        set: (v: unknown) => Reflect.set(b, k, v, b),
        configurable: true,
        enumerable: false,
      });
      continue;
    }
    if (typeof d.value !== "function") continue; // data: read through the prototype
    const name = k as string;
    if (k === "elementwise") {
      const run = (e: Exp, out: View, ins: readonly View[]): unknown =>
        (b as Backend).elementwise(expand.on() ? expand.exp(e) : e, out, ins);
      own(k, (e: Exp, out: View, ins: readonly View[]) =>
        active ? active.call(b, name, run as (...a: unknown[]) => unknown, [e, out, ins]) : run(e, out, ins),
      );
    } else if (k === "reduce") {
      const run = (r: ReduceKernel, out: View, input: View, nReduced: number): unknown =>
        (b as Backend).reduce(
          expand.on() ? { op: r.op, map: expand.exp(r.map), post: expand.exp(r.post) } : r,
          out,
          input,
          nReduced,
        );
      own(k, (r: ReduceKernel, out: View, input: View, nReduced: number) =>
        active
          ? active.call(b, name, run as (...a: unknown[]) => unknown, [r, out, input, nReduced])
          : run(r, out, input, nReduced),
      );
    } else if (k === "alloc") {
      own(k, (dtype: DType, numel: number) =>
        active ? active.call(b, name, t[k] as (...a: unknown[]) => unknown, [dtype, numel]) : (b as Backend).alloc(dtype, numel),
      );
    } else if (k === "free") {
      own(k, (buf: unknown) =>
        active ? active.call(b, name, t[k] as (...a: unknown[]) => unknown, [buf]) : (b as Backend).free(buf),
      );
    } else if (PRIMITIVES.has(name)) {
      own(k, (...args: unknown[]) => {
        const fn = t[k] as (...a: unknown[]) => unknown;
        return active ? active.call(b, name, fn, args) : fn.apply(b, args);
      });
    } else {
      own(k, (...args: unknown[]) => (t[k] as (...a: unknown[]) => unknown).apply(b, args));
    }
  }
  return w as unknown as B;
}

function bytesOf(buf: unknown, known: WeakMap<object, number>): number {
  if (buf === null || typeof buf !== "object") return 0;
  const k = known.get(buf);
  if (k !== undefined) return k;
  if (ArrayBuffer.isView(buf)) return buf.byteLength;
  const s = buf as { dtype?: unknown; numel?: unknown };
  if (typeof s.numel === "number" && typeof s.dtype === "string" && s.dtype in ITEMSIZE)
    return s.numel * ITEMSIZE[s.dtype as DType];
  return 0;
}

function shapesOf(args: readonly unknown[]): number[][] {
  const out: number[][] = [];
  const visit = (a: unknown): void => {
    if (Array.isArray(a)) for (const x of a) visit(x);
    else if (a && typeof a === "object" && Array.isArray((a as { shape?: unknown }).shape))
      out.push([...((a as { shape: number[] }).shape as number[])]);
  };
  for (const a of args) visit(a);
  return out;
}

/** torch.profiler.profile: `const prof = new profile(); prof.start(); ...; await prof.stop()`, or `await using`. */
export class Profile {
  private readonly all: FunctionEvent[] = [];
  private readonly stack: FunctionEvent[] = [];
  private readonly backends = new Map<Backend, BackendState>();
  private readonly sizes = new WeakMap<object, number>();
  private memoryEvent: FunctionEvent | null = null;
  private nextId = 0;
  private running = false;
  private stopped = false;
  private deviceTimed = new Set<string>();

  constructor(private readonly opts: ProfileOptions = {}) {}

  /** Start recording (only one profile can be active). */
  start(): this {
    if (active) throw new ValueError("profiler.profile", "another profile is already active; stop it first");
    if (this.stopped) throw new ValueError("profiler.profile", "a profile records once; create a new one");
    active = this;
    label = null;
    this.running = true;
    return this;
  }

  /** Stop recording; resolves once device times (if any) have been read back. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopped = true;
    active = null;
    label = null;
    while (this.stack.length > 0) this.end(this.stack[this.stack.length - 1] as FunctionEvent);
    const times = new Map<number, number>();
    for (const [b, st] of this.backends) {
      if (st.pending !== 0) this.chargeMemory(this.memory(), b, st.pending);
      if (!st.timer) continue;
      st.timer.attribute(null);
      for (const [id, us] of await st.timer.stop()) times.set(id, (times.get(id) ?? 0) + us);
    }
    this.finish(times);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /**
   * The events in Chrome's trace format (chrome://tracing, Perfetto), as PyTorch's
   * export_chrome_trace writes them: one complete event per op or range, host times in µs.
   */
  chromeTrace(): { traceEvents: Record<string, unknown>[]; displayTimeUnit: string } {
    if (this.running) throw new ValueError("chromeTrace", "the profile is still running; await prof.stop() first");
    const t0 = this.all[0]?.startUs ?? 0;
    const traceEvents = this.all
      .filter((e) => e.kind !== "memory")
      .map((e) => ({
        name: e.name,
        cat: e.kind === "range" ? "user_annotation" : "cpu_op",
        ph: "X",
        ts: e.startUs - t0,
        dur: e.cpuTimeTotal,
        pid: 0,
        tid: e.kind === "read" ? 1 : 0, // readbacks are asynchronous: a track of their own
        args: {
          ...(e.backend ? { backend: e.backend } : {}),
          ...(e.inputShapes.length ? { "Input Dims": e.inputShapes } : {}),
          ...(e.selfDeviceTimeTotal !== null ? { "device time (us)": e.selfDeviceTimeTotal } : {}),
        },
      }));
    return { traceEvents, displayTimeUnit: "ms" };
  }

  /** Write chromeTrace() as JSON to `path` (Node only), as PyTorch's export_chrome_trace. */
  async exportChromeTrace(path: string): Promise<void> {
    const mod = "node:fs/promises"; // a variable keeps browser bundlers from resolving it
    const fs = (await import(mod)) as { writeFile(p: string, d: string): Promise<void> };
    await fs.writeFile(path, JSON.stringify(this.chromeTrace()));
  }

  /** Every recorded event, in start order. */
  events(): readonly FunctionEvent[] {
    return this.all;
  }

  /** Events grouped by name (and input shapes with groupByInputShape), as PyTorch's key_averages(). */
  keyAverages(opts: { groupByInputShape?: boolean } = {}): EventList {
    if (this.running) throw new ValueError("keyAverages", "the profile is still running; await prof.stop() first");
    const groups = new Map<string, FunctionEventAvg>();
    for (const e of this.all) {
      const key = opts.groupByInputShape ? `${e.name}\u0000${JSON.stringify(e.inputShapes)}` : e.name;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = new FunctionEventAvg(e.name, opts.groupByInputShape ? e.inputShapes : [])));
      g.add(e);
    }
    return new EventList([...groups.values()], this.deviceTimed);
  }

  // ---- recording ----

  /** Open an event (ranges, and synchronous primitives). */
  begin(
    name: string,
    kind: string,
    backend: Backend | null,
    shapes: number[][] = [],
    parent: FunctionEvent | null = this.stack[this.stack.length - 1] ?? null,
  ): FunctionEvent {
    const e: FunctionEvent = {
      id: this.nextId++,
      name,
      kind,
      backend: backend?.name ?? "",
      host: backend ? backend.readSync !== undefined : true,
      startUs: now(),
      endUs: Number.NaN,
      cpuTimeTotal: 0,
      selfCpuTimeTotal: 0,
      selfDeviceTimeTotal: null,
      deviceTimeTotal: null,
      selfCpuMemoryUsage: 0,
      selfDeviceMemoryUsage: 0,
      cpuMemoryUsage: 0,
      deviceMemoryUsage: 0,
      inputShapes: shapes,
      parent,
      children: [],
    };
    parent?.children.push(e);
    this.all.push(e);
    return e;
  }

  push(e: FunctionEvent): void {
    this.stack.push(e);
  }

  end(e: FunctionEvent): void {
    e.endUs = now();
    const i = this.stack.lastIndexOf(e);
    if (i >= 0) this.stack.length = i; // closes ranges left open inside it too
  }

  private memory(): FunctionEvent {
    if (!this.memoryEvent) {
      this.memoryEvent = this.begin("[memory]", "memory", null, [], null);
      this.memoryEvent.endUs = this.memoryEvent.startUs;
    }
    return this.memoryEvent;
  }

  private chargeMemory(e: FunctionEvent, backend: Backend, bytes: number): void {
    if (this.opts.profileMemory === false || bytes === 0) return;
    if (backend.readSync !== undefined) e.selfCpuMemoryUsage += bytes;
    else e.selfDeviceMemoryUsage += bytes;
  }

  private state(b: Backend): BackendState {
    let st = this.backends.get(b);
    if (!st) {
      const want = this.opts.activities;
      const timer = !want || want.includes(b.name) ? ((b as TimedBackend).deviceTimer?.() ?? null) : null;
      st = { timer: timer?.start() ? timer : null, pending: 0 };
      if (st.timer) this.deviceTimed.add(b.name);
      this.backends.set(b, st);
    }
    return st;
  }

  /** A primitive (or alloc/free) of backend `b` called through withProfiler. */
  call(b: Backend, prim: string, fn: (...a: unknown[]) => unknown, args: unknown[]): unknown {
    const st = this.state(b);
    if (prim === "alloc") {
      const buf = fn.apply(b, args);
      const bytes = (args[1] as number) * ITEMSIZE[args[0] as DType];
      if (buf !== null && typeof buf === "object") this.sizes.set(buf, bytes);
      st.pending += bytes;
      return buf;
    }
    if (prim === "free") {
      const bytes = bytesOf(args[0], this.sizes);
      fn.apply(b, args);
      this.chargeMemory(this.stack[this.stack.length - 1] ?? this.memory(), b, -bytes);
      return undefined;
    }
    const name = label ?? prim;
    label = null;
    const e = this.begin(name, prim, b, this.opts.recordShapes ? shapesOf(args) : []);
    this.chargeMemory(e, b, st.pending);
    st.pending = 0;
    st.timer?.attribute(e.id);
    if (prim === "read") {
      // asynchronous: not on the stack (other events may run before it settles)
      return (fn.apply(b, args) as Promise<unknown>).finally(() => {
        e.endUs = now();
      });
    }
    this.push(e);
    try {
      return fn.apply(b, args);
    } finally {
      st.timer?.attribute(this.enclosingPrimitive());
      this.end(e);
    }
  }

  /** The primitive event still open below the top of the stack (a primitive inside a primitive). */
  private enclosingPrimitive(): number | null {
    for (let i = this.stack.length - 2; i >= 0; i--)
      if ((this.stack[i] as FunctionEvent).kind !== "range") return this.stack[i]?.id ?? null;
    return null;
  }

  /** Totals: self/total times and memory, bottom-up. */
  private finish(deviceUs: Map<number, number>): void {
    for (let i = this.all.length - 1; i >= 0; i--) {
      const e = this.all[i] as FunctionEvent;
      if (Number.isNaN(e.endUs)) e.endUs = now();
      e.cpuTimeTotal = e.endUs - e.startUs;
      const d = deviceUs.get(e.id);
      const timed = this.deviceTimed.has(e.backend);
      e.selfDeviceTimeTotal = d ?? (timed ? 0 : null);
      let childCpu = 0;
      let childDev: number | null = null;
      e.cpuMemoryUsage = e.selfCpuMemoryUsage;
      e.deviceMemoryUsage = e.selfDeviceMemoryUsage;
      for (const c of e.children) {
        childCpu += c.cpuTimeTotal;
        if (c.deviceTimeTotal !== null) childDev = (childDev ?? 0) + c.deviceTimeTotal;
        e.cpuMemoryUsage += c.cpuMemoryUsage;
        e.deviceMemoryUsage += c.deviceMemoryUsage;
      }
      e.selfCpuTimeTotal = Math.max(0, e.cpuTimeTotal - childCpu);
      if (e.selfDeviceTimeTotal === null && childDev !== null) e.selfDeviceTimeTotal = 0; // a range over device work
      e.deviceTimeTotal =
        e.selfDeviceTimeTotal === null && childDev === null ? null : (e.selfDeviceTimeTotal ?? 0) + (childDev ?? 0);
    }
  }
}

/** torch.profiler.profile (PyTorch's class name): `new profile({ recordShapes: true })`. */
export { Profile as profile };

/**
 * torch.profiler.record_function: a named range around `fn` (sync or async; the range ends when
 * its promise settles). Without `fn`, returns a handle to end it: `using _ = recordFunction("x")`.
 */
export function recordFunction<T>(name: string, fn: () => T): T;
export function recordFunction(name: string): { end(): void; [Symbol.dispose](): void };
export function recordFunction<T>(name: string, fn?: () => T): T | { end(): void; [Symbol.dispose](): void } {
  const p = active;
  const e = p?.begin(name, "range", null) ?? null;
  if (p && e) {
    label = null;
    p.push(e);
  }
  const end = (): void => {
    if (p && e && Number.isNaN(e.endUs)) p.end(e);
  };
  if (!fn) return { end, [Symbol.dispose]: end };
  let out: T;
  try {
    out = fn();
  } catch (err) {
    end();
    throw err;
  }
  if (out instanceof Promise) return out.finally(end) as T;
  end();
  return out;
}

// ---- aggregation and the table ----

export class FunctionEventAvg {
  count = 0;
  cpuTimeTotal = 0;
  selfCpuTimeTotal = 0;
  deviceTimeTotal: number | null = null;
  selfDeviceTimeTotal: number | null = null;
  cpuMemoryUsage = 0;
  selfCpuMemoryUsage = 0;
  deviceMemoryUsage = 0;
  selfDeviceMemoryUsage = 0;
  constructor(
    readonly key: string,
    readonly inputShapes: readonly (readonly number[])[],
  ) {}

  /** Mean host time per call, in microseconds. */
  get cpuTime(): number {
    return this.count ? this.cpuTimeTotal / this.count : 0;
  }
  get deviceTime(): number | null {
    return this.deviceTimeTotal === null || !this.count ? null : this.deviceTimeTotal / this.count;
  }

  add(e: FunctionEvent): void {
    // a memory-only row has no calls of its own
    if (e.kind !== "memory") this.count++;
    // nested events of the same name (a range inside a range) count their time once
    let nested = false;
    for (let q = e.parent; q; q = q.parent) if (q.name === e.name) nested = true;
    if (!nested) this.cpuTimeTotal += e.cpuTimeTotal;
    this.selfCpuTimeTotal += e.selfCpuTimeTotal;
    if (e.deviceTimeTotal !== null && !nested) this.deviceTimeTotal = (this.deviceTimeTotal ?? 0) + e.deviceTimeTotal;
    if (e.selfDeviceTimeTotal !== null) this.selfDeviceTimeTotal = (this.selfDeviceTimeTotal ?? 0) + e.selfDeviceTimeTotal;
    if (!nested) {
      this.cpuMemoryUsage += e.cpuMemoryUsage;
      this.deviceMemoryUsage += e.deviceMemoryUsage;
    }
    this.selfCpuMemoryUsage += e.selfCpuMemoryUsage;
    this.selfDeviceMemoryUsage += e.selfDeviceMemoryUsage;
  }
}

type SortKey =
  | "cpuTimeTotal"
  | "selfCpuTimeTotal"
  | "cpuTime"
  | "deviceTimeTotal"
  | "selfDeviceTimeTotal"
  | "deviceTime"
  | "cpuMemoryUsage"
  | "selfCpuMemoryUsage"
  | "deviceMemoryUsage"
  | "selfDeviceMemoryUsage"
  | "count";

export interface TableOptions {
  /** A FunctionEventAvg field (PyTorch's snake_case names, and cuda_* for device_*, are accepted too). Default: recorded order. */
  sortBy?: SortKey | string;
  /** At most this many rows. */
  rowLimit?: number;
  /** Width of the name column (PyTorch's max_name_column_width). */
  maxNameColumnWidth?: number;
}

/** PyTorch's time format: microseconds below 1 ms, then ms, then s, with three decimals. */
export function formatTime(us: number): string {
  if (Math.abs(us) >= 1e6) return `${(us / 1e6).toFixed(3)}s`;
  if (Math.abs(us) >= 1e3) return `${(us / 1e3).toFixed(3)}ms`;
  return `${us.toFixed(3)}us`;
}
/** PyTorch's memory format: b, Kb, Mb, Gb (powers of 1024). */
export function formatMemory(bytes: number): string {
  const a = Math.abs(bytes);
  if (a >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} Gb`;
  if (a >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(2)} Mb`;
  if (a >= 1024) return `${(bytes / 1024).toFixed(2)} Kb`;
  return `${bytes} b`;
}
const pct = (x: number, total: number): string => `${(total > 0 ? (100 * x) / total : 0).toFixed(2)}%`;

export class EventList extends Array<FunctionEventAvg> {
  private timedDevices: readonly string[] = [];

  constructor(items: FunctionEventAvg[] = [], deviceTimed: Set<string> = new Set()) {
    super();
    this.push(...items);
    this.timedDevices = [...deviceTimed];
  }
  static override get [Symbol.species](): ArrayConstructor {
    return Array; // map/filter give plain arrays
  }

  /** The summary table PyTorch prints with prof.key_averages().table(). */
  table(opts: TableOptions = {}): string {
    const rows: FunctionEventAvg[] = [...this];
    const key = opts.sortBy ? normaliseKey(opts.sortBy) : null;
    if (key) rows.sort((a, b) => (Number(b[key] ?? 0) || 0) - (Number(a[key] ?? 0) || 0));
    const shown = opts.rowLimit !== undefined && opts.rowLimit >= 0 ? rows.slice(0, opts.rowLimit) : rows;
    const selfCpu = this.reduce((s, r) => s + r.selfCpuTimeTotal, 0);
    const dev = this.timedDevices.length > 0 ? this.timedDevices.join("/").toUpperCase() : null;
    const selfDev = this.reduce((s, r) => s + (r.selfDeviceTimeTotal ?? 0), 0);
    const hasCpuMem = this.some((r) => r.cpuMemoryUsage !== 0 || r.selfCpuMemoryUsage !== 0);
    const hasDevMem = this.some((r) => r.deviceMemoryUsage !== 0 || r.selfDeviceMemoryUsage !== 0);
    const memDev = dev ?? "Device";
    const shapes = this.some((r) => r.inputShapes.length > 0);
    const cols: [string, (r: FunctionEventAvg) => string][] = [
      ["Self CPU %", (r) => pct(r.selfCpuTimeTotal, selfCpu)],
      ["Self CPU", (r) => formatTime(r.selfCpuTimeTotal)],
      ["CPU total %", (r) => pct(r.cpuTimeTotal, selfCpu)],
      ["CPU total", (r) => formatTime(r.cpuTimeTotal)],
      ["CPU time avg", (r) => formatTime(r.cpuTime)],
    ];
    if (dev)
      cols.push(
        [`Self ${dev}`, (r) => formatTime(r.selfDeviceTimeTotal ?? 0)],
        [`Self ${dev} %`, (r) => pct(r.selfDeviceTimeTotal ?? 0, selfDev)],
        [`${dev} total`, (r) => formatTime(r.deviceTimeTotal ?? 0)],
        [`${dev} time avg`, (r) => formatTime(r.deviceTime ?? 0)],
      );
    if (hasCpuMem)
      cols.push(["CPU Mem", (r) => formatMemory(r.cpuMemoryUsage)], ["Self CPU Mem", (r) => formatMemory(r.selfCpuMemoryUsage)]);
    if (hasDevMem)
      cols.push(
        [`${memDev} Mem`, (r) => formatMemory(r.deviceMemoryUsage)],
        [`Self ${memDev} Mem`, (r) => formatMemory(r.selfDeviceMemoryUsage)],
      );
    cols.push(["# of Calls", (r) => String(r.count)]);
    const nameWidth = Math.min(opts.maxNameColumnWidth ?? 55, Math.max(4, ...shown.map((r) => r.key.length)));
    const width = 12;
    const cut = (s: string) => (s.length > nameWidth ? `${s.slice(0, nameWidth - 3)}...` : s);
    const shapeCol = (r: FunctionEventAvg) => `[${r.inputShapes.map((s) => `[${s.join(", ")}]`).join(", ")}]`;
    const line = (cells: string[], shape?: string) =>
      [cut(cells[0] as string).padStart(nameWidth), ...cells.slice(1).map((c) => c.padStart(width))].join("  ") +
      (shapes ? `  ${shape ?? ""}` : "");
    const sep = ["-".repeat(nameWidth), ...cols.map(() => "-".repeat(width))].join("  ") + (shapes ? `  ${"-".repeat(36)}` : "");
    const out = [sep, line(["Name", ...cols.map((c) => c[0])], "Input Shapes"), sep];
    for (const r of shown) out.push(line([r.key, ...cols.map((c) => c[1](r))], shapes ? shapeCol(r) : undefined));
    out.push(sep, `Self CPU time total: ${formatTime(selfCpu)}`);
    if (dev) out.push(`Self ${dev} time total: ${formatTime(selfDev)}`);
    return `${out.join("\n")}\n`;
  }
}

const KEYS: readonly SortKey[] = [
  "cpuTimeTotal",
  "selfCpuTimeTotal",
  "cpuTime",
  "deviceTimeTotal",
  "selfDeviceTimeTotal",
  "deviceTime",
  "cpuMemoryUsage",
  "selfCpuMemoryUsage",
  "deviceMemoryUsage",
  "selfDeviceMemoryUsage",
  "count",
];
function normaliseKey(k: string): SortKey {
  // PyTorch's names: cpu_time_total, self_cuda_time_total, ... (cuda = the timed device)
  const camel = k
    .replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
    .replace(/^(self)?(cuda|Cuda)/, (_, s) => (s ? "selfDevice" : "device"));
  if ((KEYS as readonly string[]).includes(camel)) return camel as SortKey;
  throw new ValueError("table", `unknown sortBy '${k}' (valid: ${KEYS.join(", ")}, or PyTorch's snake_case names)`);
}
