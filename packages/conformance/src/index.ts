// @lockstep/conformance: one suite, parameterised by backend (see README.md).
export * from "./arbitraries.js";
export * from "./backends.js";
export { PHILOX_SPECS, runDeterminismChecks, runDtypeChecks } from "./checks.js";
export * from "./compare.js";
export { runGoldenOnBackend } from "./golden/cross.js";
export { interpret, PROGRAM_SPEC, type Step } from "./program.js";
export * from "./promise.js";
export * from "./report.js";
export * from "./runner.js";
export { SPECS } from "./specs.js";
export * from "./suite.js";
