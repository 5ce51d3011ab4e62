// torch.nn
export { ModuleDict, ModuleList, ParameterList, Sequential } from "./containers.js";
export * as functional from "./functional.js";
export { type ForwardHook, type ForwardPreHook, type HookHandle, type LoadResult, Module, type StateDict } from "./module.js";
export { isParameter, Parameter } from "./parameter.js";
