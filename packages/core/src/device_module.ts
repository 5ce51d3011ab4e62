// Device utilities with one shape for every device — torch.cuda's isAvailable, deviceCount,
// getDeviceName, currentDevice, synchronize, emptyCache, memoryAllocated — reached as PyTorch's
// torch.get_device_module(device) does. A backend package registers its module when it starts;
// core registers the host devices ("cpu", "reference") itself.
import { DeviceError } from "./errors.js";
import { backendFor, memoryStats, registeredDevices } from "./storage.js";

export interface DeviceModule {
  /** The device type, as in `tensor.device`. */
  readonly type: string;
  /**
   * Whether the device can run here; never throws. Asynchronous because finding a WebGPU adapter
   * is (TypeScript flags an un-awaited promise used as a condition).
   */
  isAvailable(): Promise<boolean>;
  /** Devices of this type that lockstep can use (WebGPU: one adapter per process once started). */
  deviceCount(): number;
  currentDevice(): number;
  /** A description of the adapter, driver or host. */
  getDeviceName(device?: number): string;
  /** Resolves when all work queued on the device has finished. */
  synchronize(): Promise<void>;
  /** Return cached (pooled, currently unused) device memory to the driver. */
  emptyCache(): void;
  /** Bytes held by live tensors' storages on the device, as the device allocates them. */
  memoryAllocated(): number;
  /** Bytes held by the device's allocator: live storages plus its cache. */
  memoryReserved(): number;
}

const modules = new Map<string, DeviceModule>();

/** Called by a backend package when its device starts (replaces an earlier module of the same type). */
export function registerDeviceModule(mod: DeviceModule): void {
  modules.set(mod.type, mod);
}

/**
 * The utilities of `device` (a device name such as "webgpu"); without one, those of the most
 * recently started accelerator, or of "cpu" when none has started.
 */
export function getDeviceModule(device?: string): DeviceModule {
  if (device === undefined) {
    const accelerators = [...modules.values()].filter((m) => !HOST.has(m.type));
    return accelerators.at(-1) ?? (modules.get("cpu") as DeviceModule);
  }
  const mod = modules.get(device);
  if (!mod)
    throw new DeviceError(
      "getDeviceModule",
      `no device utilities for '${device}' (started: ${[...modules.keys()].join(", ")}; registered devices: ${registeredDevices().join(", ")}); import its backend package and await its initialisation, e.g. await initWebGPU()`,
    );
  return mod;
}

const HOST = new Set(["cpu", "reference"]);

/** A host device: memory is JS memory (the garbage collector owns any cache), work is synchronous. */
function hostModule(type: string): DeviceModule {
  const bytes = (): number => memoryStats()[type]?.bytes ?? 0;
  return {
    type,
    isAvailable: () => Promise.resolve(true),
    deviceCount: () => 1,
    currentDevice: () => 0,
    // the backend registered under this name now (a faster CPU backend may take over "cpu")
    getDeviceName: () => `${backendFor(type, "getDeviceName").name} (host CPU)`,
    synchronize: () => Promise.resolve(),
    emptyCache: () => {},
    memoryAllocated: bytes,
    memoryReserved: bytes,
  };
}

/** The host's device utilities (getDeviceModule("cpu"); torch.cpu itself is the tensor function). */
export const cpuModule: DeviceModule = hostModule("cpu");
registerDeviceModule(cpuModule);
registerDeviceModule(hostModule("reference"));
