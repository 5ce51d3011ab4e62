// WebAssembly SIMD kernels for the fast CPU backend (not wired into FastCpuBackend yet).
export { compileElementwise, type InputLayout, type WasmKernel } from "./compile.js";
export { defaultHeap, dtypeBytes, type HeapArray, type HeapOptions, WasmHeap } from "./heap.js";
export { compileSumLastDim, type WasmSumKernel } from "./reduce.js";
export { wasmElementwise, wasmReduce } from "./run.js";
