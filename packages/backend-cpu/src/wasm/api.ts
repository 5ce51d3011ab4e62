// The slice of the WebAssembly JS API the kernels use, typed here: the project's TypeScript libs
// (ES2023 + node, no DOM) do not declare WebAssembly's classes.

export interface WasmMemory {
  /** A SharedArrayBuffer for shared memories; replaced (not detached) by grow. */
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface WasmApi {
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: Record<string, Record<string, unknown>>) => WasmInstance;
}

export const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
