// `torch.utils`: wired into the torch namespace as `export * as utils from "./data/utils.js"`.
export * as data from "./index.js";
