// The backends the suite knows. Each entry starts its backend and names the device it registered;
// a backend that cannot start (package missing, no adapter, init throwing or hanging) is reported as
// skipped with the reason — never run, never passed.
import type { DType } from "@lockstep/core";
import * as torch from "@lockstep/core";

/** What a started backend tells the suite. */
export interface StartedBackend {
  /** The torch device name its tensors live on. */
  device: string;
  /** Human-readable adapter / implementation description (goes into the report). */
  description: string;
  /**
   * Dtypes the backend does not implement (e.g. float64 on WebGPU). Creating a tensor of such a dtype
   * on the device must raise DTypeError; the suite checks that and skips those cases.
   */
  unsupportedDtypes?: DType[];
  /**
   * Float dtypes whose subnormal values the backend flushes to zero (sign kept), in inputs and
   * results — a platform property measured, not emulated (DESIGN §4). The suite then compares with
   * the reference evaluated on flushed inputs, both results flushed.
   */
  flushesSubnormals?: DType[];
}

export interface BackendEntry {
  name: string;
  init(): Promise<StartedBackend>;
}

export type BackendStatus =
  | ({ name: string; ok: true; unsupportedDtypes: DType[]; flushesSubnormals: DType[] } & Omit<
      StartedBackend,
      "unsupportedDtypes" | "flushesSubnormals"
    >)
  | { name: string; ok: false; reason: string };

/** The device every backend is compared against. "reference" never changes (DESIGN §2), unlike "cpu". */
export const REFERENCE_DEVICE = "reference";

const registry = new Map<string, BackendEntry>();
const started = new Map<string, Promise<BackendStatus>>();

export function registerBackend(entry: BackendEntry): void {
  registry.set(entry.name, entry);
  started.delete(entry.name);
}
export const backendNames = (): string[] => [...registry.keys()];

/**
 * Import a package whose name is only known at run time: the variable specifier keeps the type
 * checker (and bundlers) from requiring the package to exist.
 */
async function importOptional(specifier: string): Promise<Record<string, unknown>> {
  return (await import(/* @vite-ignore */ specifier)) as Record<string, unknown>;
}

/** Call the first of `names` that the module exports as a function. */
async function callInit(mod: Record<string, unknown>, pkg: string, names: string[]): Promise<StartedBackend> {
  for (const n of names) {
    const f = mod[n];
    if (typeof f === "function") {
      const r = (await f()) as Partial<StartedBackend> | undefined;
      if (!r || typeof r.device !== "string")
        throw new Error(`${pkg}.${n}() returned ${JSON.stringify(r)}, expected { device, description }`);
      return {
        device: r.device,
        description: String(r.description ?? pkg),
        unsupportedDtypes: r.unsupportedDtypes,
        flushesSubnormals: r.flushesSubnormals,
      };
    }
  }
  throw new Error(`${pkg} exports none of ${names.join(", ")}`);
}

registerBackend({
  name: "reference",
  init: async () => ({ device: REFERENCE_DEVICE, description: "lockstep exact CPU reference (TypeScript, @lockstep/core)" }),
});
registerBackend({
  name: "webgpu",
  init: async () => {
    const r = await callInit(await importOptional("@lockstep/backend-webgpu"), "@lockstep/backend-webgpu", ["initWebGPU"]);
    // WGSL has no f64 (the backend raises DTypeError for it) until initWebGPU reports its own list
    return { ...r, unsupportedDtypes: r.unsupportedDtypes ?? ["float64"] };
  },
});
registerBackend({
  name: "cpu-fast",
  // initCpu() makes device "cpu" the fast backend and returns { backend, blas, threads, ... } (no device
  // name); the comparison baseline stays on "reference".
  init: async () => {
    const mod = await importOptional("@lockstep/backend-cpu");
    if (typeof mod.initCpu !== "function") throw new Error("@lockstep/backend-cpu does not export initCpu");
    const info = (await mod.initCpu()) as Record<string, unknown> | undefined;
    const device = typeof info?.device === "string" ? info.device : "cpu";
    const blas = info?.blas as { path?: string } | undefined;
    const threads = info?.threads !== undefined ? `${info.threads} threads` : null;
    const parts = [info?.backend ?? "@lockstep/backend-cpu", blas?.path, threads, info?.fallbackReason];
    return { device, description: parts.filter(Boolean).join(", ") };
  },
});

/** How long a backend may take to start before it is reported as skipped. */
export const INIT_TIMEOUT_MS = 60_000;

/** Start a backend once (cached); failures become a skipped status with the reason. */
export function startBackend(name: string): Promise<BackendStatus> {
  let p = started.get(name);
  if (!p) {
    p = start(name);
    started.set(name, p);
  }
  return p;
}

async function start(name: string): Promise<BackendStatus> {
  const entry = registry.get(name);
  if (!entry) return { name, ok: false, reason: `unknown backend '${name}' (known: ${backendNames().join(", ")})` };
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`init did not finish within ${INIT_TIMEOUT_MS / 1000} s`)), INIT_TIMEOUT_MS);
      timer.unref?.();
    });
    const r = await Promise.race([entry.init(), timeout]);
    if (!torch.registeredDevices().includes(r.device))
      return { name, ok: false, reason: `init returned device '${r.device}', which is not registered with torch.registerDevice` };
    return {
      name,
      ok: true,
      device: r.device,
      description: r.description,
      unsupportedDtypes: r.unsupportedDtypes ?? [],
      flushesSubnormals: r.flushesSubnormals ?? [],
    };
  } catch (e) {
    const err = e as Error;
    const kind = err?.name && err.name !== "Error" ? `${err.name}: ` : "";
    return { name, ok: false, reason: `${kind}${String(err?.message ?? e).split("\n")[0]}` };
  } finally {
    clearTimeout(timer);
  }
}
