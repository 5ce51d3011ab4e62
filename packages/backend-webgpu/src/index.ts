// @lockstep/backend-webgpu: `await initWebGPU()` registers device "webgpu" (WGSL kernels on Dawn in
// Node, navigator.gpu in browsers), and the device utilities PyTorch users know from torch.cuda.
import { type DeviceModule, DeviceUnavailableError, registerDevice, registerDeviceModule } from "@lockstep/core";
import { WebGPUBackend } from "./backend.js";
import { acquireGpu, type GpuOptions } from "./gpu.js";
import { Runtime } from "./runtime.js";
import { GpuTimer } from "./timing.js";

export { WebGPUBackend } from "./backend.js";
export type { GpuOptions } from "./gpu.js";

let state: { backend: WebGPUBackend; description: string } | null = null;
let starting: Promise<{ device: "webgpu"; description: string }> | null = null;

/**
 * Start WebGPU and register it as device "webgpu". Resolves to the adapter's description; rejects
 * with DeviceUnavailableError when there is no adapter. Calling it again returns the same device.
 */
export function initWebGPU(opts: GpuOptions = {}): Promise<{ device: "webgpu"; description: string }> {
  starting ??= (async () => {
    try {
      const gpu = await acquireGpu(opts);
      const rt = new Runtime(gpu);
      const backend = new WebGPUBackend(rt);
      if (gpu.hasTimestamps) {
        // device time for torch.profiler (core asks a backend for its DeviceTimer); configurable:
        // registerDevice wraps backends in Proxies, whose get may return a bound copy
        const timer = new GpuTimer(rt.device, () => rt.flush());
        rt.timer = timer;
        Object.defineProperty(backend, "deviceTimer", { value: () => timer, configurable: true, writable: true });
      }
      registerDevice("webgpu", backend);
      registerDeviceModule(webgpu);
      state = { backend, description: gpu.adapterInfo };
      return { device: "webgpu" as const, description: gpu.adapterInfo };
    } catch (e) {
      starting = null;
      throw e;
    }
  })();
  return starting;
}

function current(op: string): WebGPUBackend {
  if (!state) throw new DeviceUnavailableError(op, "WebGPU is not initialised: await initWebGPU() first");
  return state.backend;
}

/** Whether WebGPU can start here (starts it if needed; never throws). */
export async function isAvailable(): Promise<boolean> {
  try {
    await initWebGPU();
    return true;
  } catch {
    return false;
  }
}
/** 1 once WebGPU has started (one adapter per process), else 0. */
export const deviceCount = (): number => (state ? 1 : 0);
export const currentDevice = (): number => 0;
/** The adapter's vendor / architecture / device / description. */
export const getDeviceName = (_device = 0): string => {
  current("getDeviceName");
  return state?.description ?? "";
};
/** Wait for all queued GPU work to finish. */
export const synchronize = (): Promise<void> => current("synchronize").rt.synchronize();
/** Release pooled (free) GPU buffers to the driver. */
export const emptyCache = (): void => current("emptyCache").rt.emptyCache();
/** Bytes held by live tensors' buffers on the device (each rounded up to 16 bytes). */
export const memoryAllocated = (): number => current("memoryAllocated").rt.bytesInUse;
/** Bytes held by live buffers plus the pool. */
export const memoryReserved = (): number => {
  const rt = current("memoryReserved").rt;
  return rt.bytesInUse + rt.bytesPooled;
};

/**
 * The utilities above as one object, torch.cuda's shape (core's DeviceModule: every device has the
 * same members), e.g. `import { webgpu } from "@lockstep/backend-webgpu"; await webgpu.synchronize()`.
 */
export const webgpu: DeviceModule = {
  type: "webgpu",
  isAvailable,
  deviceCount,
  currentDevice,
  getDeviceName,
  synchronize,
  emptyCache,
  memoryAllocated,
  memoryReserved,
};
