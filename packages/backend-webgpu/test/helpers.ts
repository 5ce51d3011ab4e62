// Shared by the WebGPU tests: start the device once per test file; tests skip with the reason
// (never pass) when no adapter is available.
import { initWebGPU } from "../src/index.js";

const started = await initWebGPU().then(
  (r) => r,
  (e: Error) => e,
);
/** Why the WebGPU tests of a file are skipped, or null when the device started. */
export const unavailable: string | null = started instanceof Error ? `skipped: ${started.message}` : null;
/** The adapter's description, for test titles. */
export const adapterName: string = started instanceof Error ? (unavailable as string) : started.description;
