// Finding a WebGPU adapter and device: `navigator.gpu` in browsers, Dawn (npm `webgpu`) in Node.
// Dawn's GPU object must stay referenced for as long as the device is used: if it is collected,
// the process crashes (DESIGN §6), so it is kept in the returned handle.
import { DeviceUnavailableError } from "@lockstep/core";

export interface GpuHandle {
  readonly device: GPUDevice;
  readonly adapterInfo: string;
  readonly hasF16: boolean;
  readonly hasTimestamps: boolean;
  /** Dawn's GPU object (Node only), referenced so it is not collected. */
  readonly keepAlive: unknown;
}

export interface GpuOptions {
  powerPreference?: GPUPowerPreference;
  /** Node only: Dawn options passed to `create()`, e.g. ["backend=vulkan"]. */
  dawnOptions?: string[];
}

async function gpuEntryPoint(opts: GpuOptions): Promise<{ gpu: GPU; keepAlive: unknown; where: string }> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return { gpu: nav.gpu, keepAlive: null, where: "navigator.gpu" };
  const isNode = typeof process !== "undefined" && !!process.versions?.node;
  if (!isNode)
    throw new DeviceUnavailableError("webgpu", "this browser has no navigator.gpu (WebGPU is disabled or unsupported)");
  let dawn: { create(options: string[]): GPU };
  try {
    const name = "webgpu"; // a variable keeps bundlers from pulling Dawn into browser builds
    dawn = (await import(name)) as typeof dawn;
  } catch (e) {
    throw new DeviceUnavailableError(
      "webgpu",
      `the npm package 'webgpu' (Dawn for Node) could not be loaded: ${(e as Error).message}`,
    );
  }
  const gpu = dawn.create(opts.dawnOptions ?? []);
  return { gpu, keepAlive: gpu, where: "Dawn (npm webgpu)" };
}

export async function acquireGpu(opts: GpuOptions = {}): Promise<GpuHandle> {
  const { gpu, keepAlive, where } = await gpuEntryPoint(opts);
  const adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference });
  if (!adapter)
    throw new DeviceUnavailableError(
      "webgpu",
      keepAlive
        ? `${where} found no adapter. Without a GPU, install a software one: 'bash tools/install-webgpu-adapter.sh' and export VK_ICD_FILENAMES to the manifest it prints`
        : // a browser: what helps there is a flag, not a driver install
          `${where} found no adapter (WebGPU is blocked or disabled here; without a GPU, Chromium exposes its software adapter when started with --enable-unsafe-webgpu)`,
    );
  const hasF16 = adapter.features.has("shader-f16");
  const hasTimestamps = adapter.features.has("timestamp-query");
  const want = [
    "maxStorageBuffersPerShaderStage",
    "maxStorageBufferBindingSize",
    "maxBufferSize",
    "maxComputeWorkgroupStorageSize",
  ] as const;
  const requiredLimits: Record<string, number> = {};
  for (const k of want) requiredLimits[k] = adapter.limits[k];
  const device = await adapter.requestDevice({
    requiredFeatures: [...(hasF16 ? ["shader-f16" as const] : []), ...(hasTimestamps ? ["timestamp-query" as const] : [])],
    requiredLimits,
  });
  const info = adapter.info;
  const adapterInfo =
    [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(" / ") || "unknown adapter";
  return { device, adapterInfo, hasF16, hasTimestamps, keepAlive };
}
