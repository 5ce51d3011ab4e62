// Devices, storages and memory accounting. A Storage is a backend buffer shared by a tensor and its
// views; it is freed when its last holder (tensor handle or saved-for-backward alias) releases it.
import type { Backend } from "./backend.js";
import { type DType, ITEMSIZE } from "./dtype.js";
import { DeviceError } from "./errors.js";
import { expandPortable } from "./portable/math.js";
import { isPortableNumericsEnabled } from "./portable/mode.js";
import { wrapBackend } from "./profiler.js";
import { ReferenceBackend } from "./reference/backend.js";

const devices = new Map<string, Backend>();
const portable = { on: isPortableNumericsEnabled, exp: expandPortable };

export function registerDevice(name: string, backend: Backend): void {
  // torch.profiler sees every primitive call; portable numerics expand kernels (profiler.ts)
  devices.set(name, wrapBackend(backend, portable));
}

export function backendFor(device: string, op = "device"): Backend {
  const b = devices.get(device);
  if (!b)
    throw new DeviceError(
      op,
      `unknown device '${device}' (registered: ${[...devices.keys()].join(", ")}; import a backend package to add one)`,
    );
  return b;
}

export const registeredDevices = (): string[] => [...devices.keys()];

const reference = new ReferenceBackend();
registerDevice("cpu", reference);
registerDevice("reference", reference);

interface DeviceStats {
  tensors: number;
  storages: number;
  bytes: number;
}
const stats = new Map<string, DeviceStats>();
const statsFor = (device: string): DeviceStats => {
  let s = stats.get(device);
  if (!s) stats.set(device, (s = { tensors: 0, storages: 0, bytes: 0 }));
  return s;
};

/** Live tensor handles, storages and bytes per device. */
export function memoryStats(): Record<string, DeviceStats> {
  return Object.fromEntries([...stats].map(([k, v]) => [k, { ...v }]));
}
export const countTensor = (device: string, delta: number): void => {
  statsFor(device).tensors += delta;
};

export class Storage {
  refs = 1;
  /** Bumped by every in-place write; autograd compares it to catch changes to saved tensors. */
  version = 0;
  readonly backend: Backend;
  readonly buf: unknown;

  constructor(
    readonly device: string,
    readonly dtype: DType,
    readonly numel: number,
    buf?: unknown,
  ) {
    this.backend = backendFor(device);
    this.buf = buf ?? this.backend.alloc(dtype, numel);
    const s = statsFor(device);
    s.storages++;
    s.bytes += numel * ITEMSIZE[dtype];
  }

  retain(): this {
    this.refs++;
    return this;
  }

  release(): void {
    if (--this.refs > 0) return;
    if (this.refs < 0) return;
    this.backend.free(this.buf);
    const s = statsFor(this.device);
    s.storages--;
    s.bytes -= this.numel * ITEMSIZE[this.dtype];
  }
}
