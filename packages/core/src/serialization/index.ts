// torch.save / torch.load and torch.serialization. Formats and guarantees: see checkpoint.ts (lockstep's
// safetensors checkpoints), pt.ts (PyTorch `.pt` files) and unpickler.ts (the restricted unpickler).
export { type LoadOptions, load, save, toBytes, writeFileAtomic } from "./checkpoint.js";
export { CheckpointError, UnpicklingError } from "./errors.js";
export { loadPt } from "./pt.js";
export { crc32 } from "./pt_zip.js";
export {
  type DecodedSafetensors,
  decodeSafetensors,
  encodeSafetensors,
  type RawTensor,
  SAFETENSORS_DTYPES,
  type SafetensorsEntry,
} from "./safetensors.js";
