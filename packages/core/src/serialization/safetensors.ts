// The safetensors container (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON header (padded with spaces to a multiple of 8), then the tensors'
// bytes, little-endian, row-major, back to back with no gaps. Each header entry is
// `"name": {"dtype", "shape", "data_offsets": [begin, end]}` (offsets into the data section);
// the optional `"__metadata__"` entry is a string → string map. The reader validates everything a
// truncated or corrupt file could get wrong: header size, JSON, dtypes, shapes against byte counts,
// offsets in range and covering the data section exactly (no holes, no overlap, nothing after).
import { type DType, ITEMSIZE } from "../dtype.js";
import { numel } from "../shape.js";
import { CheckpointError } from "./errors.js";

export const SAFETENSORS_DTYPES: Readonly<Record<DType, string>> = {
  float32: "F32",
  float64: "F64",
  float16: "F16",
  bfloat16: "BF16",
  int32: "I32",
  int64: "I64",
  uint8: "U8",
  bool: "BOOL",
};
const FROM_SAFETENSORS = new Map<string, DType>(Object.entries(SAFETENSORS_DTYPES).map(([d, s]) => [s, d as DType]));

/** A tensor's bytes as stored: contiguous, little-endian. */
export interface RawTensor {
  name: string;
  dtype: DType;
  shape: number[];
  bytes: Uint8Array;
}

/** The most bytes a header may have (as the reference implementation: 100 MB). */
const MAX_HEADER = 100_000_000;

/** Lay out tensors and metadata as a safetensors file. Tensors are placed widest dtype first, so each is aligned. */
export function encodeSafetensors(tensors: readonly RawTensor[], metadata?: Readonly<Record<string, string>>): Uint8Array {
  const order = tensors
    .map((t, i) => [t, i] as const)
    .sort(([a, i], [b, j]) => ITEMSIZE[b.dtype] - ITEMSIZE[a.dtype] || i - j)
    .map(([t]) => t);
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let off = 0;
  for (const t of order) {
    if (t.name === "__metadata__" || Object.hasOwn(header, t.name)) throw new Error(`duplicate tensor name '${t.name}'`);
    if (t.bytes.length !== numel(t.shape) * ITEMSIZE[t.dtype])
      throw new Error(`tensor '${t.name}' has ${t.bytes.length} bytes for shape [${t.shape}] of ${t.dtype}`);
    Object.defineProperty(header, t.name, {
      value: { dtype: SAFETENSORS_DTYPES[t.dtype], shape: t.shape, data_offsets: [off, off + t.bytes.length] },
      enumerable: true,
    });
    off += t.bytes.length;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + padded + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  let p = 8 + padded;
  for (const t of order) {
    out.set(t.bytes, p);
    p += t.bytes.length;
  }
  return out;
}

export interface SafetensorsEntry {
  name: string;
  dtype: DType;
  shape: number[];
  /** [begin, end) in the data section. */
  offsets: [number, number];
}

export interface DecodedSafetensors {
  /** Tensors in header order. */
  entries: SafetensorsEntry[];
  metadata: Record<string, string> | undefined;
  /** The data section (a view into the input). */
  data: Uint8Array;
}

const isCount = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;

/** Parse and validate a safetensors file. Throws CheckpointError naming `file` and the problem. */
export function decodeSafetensors(bytes: Uint8Array, file: string, op = "torch.load"): DecodedSafetensors {
  const fail = (m: string): never => {
    throw new CheckpointError(op, file, m);
  };
  if (bytes.length < 8)
    fail(
      bytes.length === 0 ? "the file is empty (truncated?)" : `only ${bytes.length} bytes, too short for a header (truncated)`,
    );
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER)) fail(`header length ${n64} is implausible (corrupt, or not a safetensors file)`);
  const n = Number(n64);
  if (8 + n > bytes.length)
    fail(`header needs ${n} bytes but the file has only ${bytes.length - 8} after the length (truncated)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail(`header is not valid JSON (${(e as Error).message}): the file is corrupt`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) fail("header is not a JSON object (corrupt)");
  const data = bytes.subarray(8 + n);
  let metadata: Record<string, string> | undefined;
  const entries: SafetensorsEntry[] = [];
  for (const [name, e] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (e === null || typeof e !== "object" || Array.isArray(e)) fail("__metadata__ is not an object");
      for (const v of Object.values(e as object)) if (typeof v !== "string") fail("__metadata__ values must be strings");
      metadata = e as Record<string, string>;
      continue;
    }
    const bad = (m: string): never => fail(`tensor '${name}': ${m}`);
    if (e === null || typeof e !== "object") bad("header entry is not an object");
    const { dtype, shape, data_offsets: offs } = e as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dt = typeof dtype === "string" ? FROM_SAFETENSORS.get(dtype) : undefined;
    if (!dt) bad(`dtype ${JSON.stringify(dtype)} is not supported (lockstep reads ${[...FROM_SAFETENSORS.keys()].join(", ")})`);
    if (!Array.isArray(shape) || !shape.every(isCount)) bad(`shape ${JSON.stringify(shape)} is not a list of sizes`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isCount) || offs[0] > offs[1])
      bad(`data_offsets ${JSON.stringify(offs)} are not [begin, end]`);
    const [b, end] = offs as [number, number];
    const want = numel(shape as number[]) * ITEMSIZE[dt as DType];
    if (end - b !== want) bad(`data_offsets [${b}, ${end}] hold ${end - b} bytes, but shape [${shape}] of ${dt} needs ${want}`);
    if (end > data.length)
      bad(`data ends at byte ${end} of the data section, but the file holds only ${data.length} bytes of data (truncated)`);
    entries.push({ name, dtype: dt as DType, shape: shape as number[], offsets: [b, end] });
  }
  // The tensors must tile the data section exactly.
  const sorted = [...entries].sort((x, y) => x.offsets[0] - y.offsets[0] || x.offsets[1] - y.offsets[1]);
  let pos = 0;
  for (const e of sorted) {
    if (e.offsets[0] !== pos)
      fail(`tensor '${e.name}' starts at data byte ${e.offsets[0]}, expected ${pos} (overlapping or gapped offsets: corrupt)`);
    pos = e.offsets[1];
  }
  if (pos !== data.length) fail(`${data.length - pos} unexpected bytes after the last tensor (corrupt or concatenated file)`);
  return { entries, metadata, data };
}
