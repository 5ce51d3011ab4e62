// @lockstep/conformance: one suite, parameterised by backend (see README.md).
export * from "./backends.js";
export * from "./compare.js";
export { runGoldenOnBackend } from "./golden/cross.js";
export * from "./promise.js";
export * from "./report.js";
