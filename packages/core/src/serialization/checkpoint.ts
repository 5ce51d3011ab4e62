// torch.save / torch.load.
//
// FORMAT. `torch.save(obj, path)` writes one safetensors file (see safetensors.ts), whatever the
// file's extension. Every tensor in `obj` is one safetensors tensor, named by its path in the object
// (`"fc.weight"` for a flat state dict, `"optim.state.0.exp_avg"` when nested; `#2`, `#3`, ... on a
// clash), so any safetensors reader sees the weights. Everything else lives in the header's
// `__metadata__` string map (one file, so one atomic rename covers it all; no sidecar):
//   "format": "pt"                      (as the reference writer; tells tools the layout is PyTorch's)
//   "lockstep.version": "1"
//   "lockstep.structure": JSON of the object tree, where
//       null, booleans, strings, finite numbers (not -0)   as themselves
//       [V, ...]                                            an Array (holes load as undefined)
//       {"$o": [[key, V], ...]}                             a plain object, own enumerable string keys in order
//       {"$map": [[V, V], ...]}                             a Map (keys of any supported type)
//       {"$t": name, "grad"?: true, "param"?: true}         a Tensor (requiresGrad; nn.Parameter)
//       {"$ta": name, "type": "Float32Array"}               a Float32/Float64/Int32/BigInt64/Uint8Array
//       {"$n": "nan" | "inf" | "-inf" | "-0"}               numbers JSON cannot hold
//       {"$big": "<decimal>"}                               a bigint
//       {"$u": 1}                                           undefined
//   "lockstep.sha256": SHA-256 of the data section (hex)
//   "lockstep.header_sha256": SHA-256 of the canonical header: JSON of [sorted metadata entries
//       other than the two checksums, tensor entries [name, dtype, shape, data_offsets] sorted by name]
// `torch.load` rebuilds the exact object: tensors with their dtypes, shapes and bits (a view is saved
// as a contiguous copy of its elements; the same Tensor object reached twice is stored once and loads
// as one Tensor; distinct tensors sharing a storage load as separate storages), numbers incl. NaN,
// ±Infinity and -0, bigint, undefined, Maps, nested objects and arrays. Cycles and class instances
// other than Tensor / Map / the typed arrays above are refused with a CheckpointError naming the path.
//
// ATOMICITY. The whole file is serialised in memory first (a value that cannot be saved, or a getter
// that throws, fails before the disk is touched), then written to `<path>.tmp-<random hex>` in the
// same directory, fsynced, and renamed over `<path>` (a symlink is followed to its target); the
// directory is fsynced after the rename. On any failure the temporary file is removed and the old
// file is untouched: readers see either the old checkpoint or the new one, never a mixture.
//
// LOADING. `torch.load(path | bytes, { device })` recognises: a lockstep / safetensors file (a
// safetensors file without lockstep metadata loads as an object of its tensors, in header order); a
// PyTorch `torch.save` zip (pt.ts, through the restricted unpickler); the pre-1.6 PyTorch format
// (refused with a message). Checksums (lockstep) and CRC-32s (zip) are verified; a truncated or
// corrupt file raises CheckpointError naming the file and what is wrong.
import type { DType, TypedArray } from "../dtype.js";
import { isParameter, Parameter } from "../nn/parameter.js";
import { fromStorageArray, wrapStorageArray } from "../ops/core.js";
import { backendFor } from "../storage.js";
import { Tensor } from "../tensor.js";
import { CheckpointError } from "./errors.js";
import { isLegacyTorch, isZip, loadPt } from "./pt.js";
import { decodeSafetensors, encodeSafetensors, type RawTensor } from "./safetensors.js";

const FORMAT_VERSION = "1";
const K_VERSION = "lockstep.version";
const K_STRUCTURE = "lockstep.structure";
const K_SHA = "lockstep.sha256";
const K_HEADER_SHA = "lockstep.header_sha256";

export interface LoadOptions {
  /** Device to create tensors on (default "cpu"). */
  device?: string;
  /** PyTorch's name for `device` (a device string only). */
  mapLocation?: string;
}

// ---- typed arrays that may appear in a checkpoint outside tensors ----

const TYPED: Record<string, { dtype: DType; make: (b: ArrayBuffer) => TypedArray }> = {
  Float32Array: { dtype: "float32", make: (b) => new Float32Array(b) },
  Float64Array: { dtype: "float64", make: (b) => new Float64Array(b) },
  Int32Array: { dtype: "int32", make: (b) => new Int32Array(b) },
  BigInt64Array: { dtype: "int64", make: (b) => new BigInt64Array(b) },
  Uint8Array: { dtype: "uint8", make: (b) => new Uint8Array(b) },
};

function bytesOf(a: TypedArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}

function pathString(path: readonly (string | number)[]): string {
  return path.length ? path.map(String).join(".") : "<root>";
}

// ---- encoding ----

async function encodeObject(obj: unknown, file: string): Promise<{ structure: unknown; tensors: RawTensor[] }> {
  const tensors: RawTensor[] = [];
  const names = new Set<string>();
  const tensorNames = new Map<Tensor, string>();
  const active = new Set<object>();
  const fail = (path: readonly (string | number)[], m: string): never => {
    throw new CheckpointError("torch.save", file, `cannot save the value at ${pathString(path)}: ${m}`);
  };
  const nameFor = (path: readonly (string | number)[]): string => {
    const base = path.length ? path.map(String).join(".") : "tensor";
    let name = base === "__metadata__" ? "__metadata__#1" : base;
    for (let i = 2; names.has(name); i++) name = `${base}#${i}`;
    names.add(name);
    return name;
  };

  const enc = async (x: unknown, path: (string | number)[]): Promise<unknown> => {
    switch (typeof x) {
      case "string":
      case "boolean":
        return x;
      case "number":
        if (Number.isNaN(x)) return { $n: "nan" };
        if (x === Infinity) return { $n: "inf" };
        if (x === -Infinity) return { $n: "-inf" };
        if (Object.is(x, -0)) return { $n: "-0" };
        return x;
      case "bigint":
        return { $big: x.toString() };
      case "undefined":
        return { $u: 1 };
      case "function":
      case "symbol":
        return fail(path, `a ${typeof x} cannot be saved`);
    }
    if (x === null) return null;
    const o = x as object;
    if (o instanceof Tensor) {
      let name = tensorNames.get(o);
      if (name === undefined) {
        if (o.isDisposed) fail(path, "the tensor was disposed");
        name = nameFor(path);
        tensorNames.set(o, name);
        const data = await o.data();
        tensors.push({ name, dtype: o.dtype, shape: [...o.shape], bytes: bytesOf(data) });
      }
      const r: Record<string, unknown> = { $t: name };
      if (o.requiresGrad) r.grad = true;
      if (isParameter(o)) r.param = true;
      return r;
    }
    if (ArrayBuffer.isView(o)) {
      const type = o.constructor.name;
      const spec = TYPED[type];
      if (!spec || Object.getPrototypeOf(o) !== (globalThis as Record<string, any>)[type]?.prototype)
        return fail(path, `a ${type} cannot be saved (supported typed arrays: ${Object.keys(TYPED).join(", ")})`);
      const a = o as TypedArray;
      const name = nameFor(path);
      tensors.push({ name, dtype: spec.dtype, shape: [a.length], bytes: bytesOf(a) });
      return { $ta: name, type };
    }
    if (active.has(o)) return fail(path, "the object contains itself (cycles cannot be saved)");
    active.add(o);
    try {
      if (Array.isArray(o)) {
        const out: unknown[] = [];
        for (let i = 0; i < o.length; i++) out.push(await enc(o[i], [...path, i]));
        return out;
      }
      if (o instanceof Map) {
        const out: unknown[] = [];
        let i = 0;
        for (const [k, v] of o) {
          const kp = typeof k === "string" || typeof k === "number" ? k : `<key ${i}>`;
          out.push([await enc(k, [...path, kp, "<key>"]), await enc(v, [...path, kp])]);
          i++;
        }
        return { $map: out };
      }
      const proto = Object.getPrototypeOf(o);
      if (proto !== Object.prototype && proto !== null)
        return fail(
          path,
          `a ${o.constructor?.name ?? "class instance"} cannot be saved (only plain objects, arrays, Maps, Tensors, typed arrays, numbers, bigints, strings, booleans, null and undefined)`,
        );
      const out: unknown[] = [];
      for (const k of Object.keys(o)) out.push([k, await enc((o as Record<string, unknown>)[k], [...path, k])]);
      return { $o: out };
    } finally {
      active.delete(o);
    }
  };
  const structure = await enc(obj, []);
  return { structure, tensors };
}

// ---- checksums ----

async function sha256(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const d = await globalThis.crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

function canonicalHeader(
  metadata: Readonly<Record<string, string>>,
  entries: readonly { name: string; dtype: DType; shape: number[]; offsets: [number, number] }[],
): string {
  const meta = Object.entries(metadata)
    .filter(([k]) => k !== K_SHA && k !== K_HEADER_SHA)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const ts = [...entries]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((e) => [e.name, e.dtype, e.shape, e.offsets]);
  return JSON.stringify([meta, ts]);
}

/** Serialise `obj` to the bytes `torch.save` writes. */
export async function toBytes(obj: unknown, file = "<bytes>"): Promise<Uint8Array> {
  const { structure, tensors } = await encodeObject(obj, file);
  // The checksums are fixed-width hex: lay the file out with placeholders, then patch them in place.
  const placeholder = "0".repeat(64);
  const metadata: Record<string, string> = {
    format: "pt",
    [K_VERSION]: FORMAT_VERSION,
    [K_STRUCTURE]: JSON.stringify(structure),
    [K_SHA]: placeholder,
    [K_HEADER_SHA]: placeholder,
  };
  const out = encodeSafetensors(tensors, metadata);
  const { entries, data } = decodeSafetensors(out, file, "torch.save");
  const patch = (key: string, value: string): void => {
    const header = new TextDecoder().decode(out.subarray(8, out.length - data.length));
    const at = header.indexOf(`${JSON.stringify(key)}:"${placeholder}"`);
    if (at < 0) throw new Error(`internal: placeholder for ${key} not found`);
    // byte position = UTF-8 length of the header text before the value
    const byteAt = new TextEncoder().encode(header.slice(0, at)).length + JSON.stringify(key).length + 2;
    out.set(new TextEncoder().encode(value), 8 + byteAt);
  };
  patch(K_SHA, await sha256(data));
  patch(K_HEADER_SHA, await sha256(canonicalHeader(metadata, entries)));
  return out;
}

// ---- atomic write ----

/**
 * @internal Fault injection for tests: `afterChunk` runs after each chunk of the temporary file is
 * written, `beforeRename` once the temporary file is complete and synced.
 */
export const _writeHooks: {
  chunkBytes: number;
  afterChunk?: (written: number, tmpPath: string) => void | Promise<void>;
  beforeRename?: (tmpPath: string) => void | Promise<void>;
} = { chunkBytes: 8 << 20 };

function randomHex(n: number): string {
  const b = globalThis.crypto.getRandomValues(new Uint8Array(n));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Write `bytes` to `path` atomically: temp file in the same directory, fsync, rename, fsync the directory. */
export async function writeFileAtomic(path: string, bytes: Uint8Array, op = "torch.save"): Promise<void> {
  const fs = await import("node:fs/promises");
  const { dirname } = await import("node:path");
  let target = path;
  let mode: number | undefined;
  try {
    target = await fs.realpath(path);
    mode = (await fs.stat(target)).mode & 0o7777;
  } catch {
    // a new file
  }
  const tmp = `${target}.tmp-${randomHex(8)}`;
  let fh: Awaited<ReturnType<typeof fs.open>> | undefined;
  let created = false;
  try {
    fh = await fs.open(tmp, "wx", 0o666);
    created = true;
    if (mode !== undefined) await fh.chmod(mode);
    let off = 0;
    while (off < bytes.length) {
      const n = Math.min(_writeHooks.chunkBytes, bytes.length - off);
      const { bytesWritten } = await fh.write(bytes, off, n);
      off += bytesWritten;
      await _writeHooks.afterChunk?.(off, tmp);
    }
    await fh.sync();
    await fh.close();
    fh = undefined;
    await _writeHooks.beforeRename?.(tmp);
    await fs.rename(tmp, target);
  } catch (e) {
    await fh?.close().catch(() => {});
    if (created) await fs.rm(tmp, { force: true }).catch(() => {});
    throw new CheckpointError(
      op,
      path,
      `writing failed (${(e as Error)?.message ?? e}); the previous file, if any, is unchanged`,
      { cause: e },
    );
  }
  try {
    const d = await fs.open(dirname(target), "r");
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // directories cannot be fsynced on every platform; the rename itself is atomic
  }
}

/**
 * torch.save: write `obj` (tensors, numbers, strings, booleans, null, undefined, bigint, and nested
 * plain objects, arrays and Maps of them) to `path` as safetensors, atomically, with checksums.
 */
export async function save(obj: unknown, path: string): Promise<void> {
  if (typeof path !== "string")
    throw new CheckpointError("torch.save", String(path), "expected a file path (use torch.serialization.toBytes for bytes)");
  const bytes = await toBytes(obj, path);
  await writeFileAtomic(path, bytes);
}

// ---- loading ----

function decodeStructure(
  s: unknown,
  tensors: ReadonlyMap<string, () => Tensor>,
  typed: ReadonlyMap<string, (type: string) => TypedArray>,
  fail: (m: string) => never,
): unknown {
  const dec = (x: unknown): unknown => {
    if (x === null || typeof x !== "object") return x;
    if (Array.isArray(x)) return x.map(dec);
    const o = x as Record<string, unknown>;
    if ("$o" in o) {
      const out = {};
      for (const [k, v] of o.$o as [string, unknown][])
        Object.defineProperty(out, k, { value: dec(v), enumerable: true, writable: true, configurable: true });
      return out;
    }
    if ("$map" in o) return new Map((o.$map as [unknown, unknown][]).map(([k, v]) => [dec(k), dec(v)]));
    if ("$t" in o) {
      const make = tensors.get(o.$t as string);
      if (!make) return fail(`structure names a tensor '${o.$t}' that the file does not hold`);
      let t = make();
      if (o.param) t = new Parameter(t, o.grad === true);
      else if (o.grad) t.requiresGrad = true;
      return t;
    }
    if ("$ta" in o) {
      const make = typed.get(o.$ta as string);
      if (!make) return fail(`structure names an array '${o.$ta}' that the file does not hold`);
      return make(o.type as string);
    }
    if ("$n" in o) {
      const v = { nan: NaN, inf: Infinity, "-inf": -Infinity, "-0": -0 }[o.$n as string];
      return v ?? fail(`unknown number tag ${JSON.stringify(o.$n)}`);
    }
    if ("$big" in o) return BigInt(o.$big as string);
    if ("$u" in o) return undefined;
    return fail(`unknown structure node ${JSON.stringify(Object.keys(o))}`);
  };
  return dec(s);
}

async function loadSafetensors(bytes: Uint8Array, file: string, device: string): Promise<unknown> {
  const fail = (m: string): never => {
    throw new CheckpointError("torch.load", file, m);
  };
  const { entries, metadata, data } = decodeSafetensors(bytes, file);
  const arrays = new Map<string, { dtype: DType; shape: number[]; buf: ArrayBuffer }>();
  for (const e of entries) {
    const buf = data.slice(e.offsets[0], e.offsets[1]).buffer;
    if (e.dtype === "bool" && new Uint8Array(buf).some((v) => v > 1))
      fail(`tensor '${e.name}' holds a bool that is neither 0 nor 1`);
    arrays.set(e.name, { dtype: e.dtype, shape: e.shape, buf });
  }
  const makeArray = (dtype: DType, buf: ArrayBuffer): TypedArray => {
    switch (dtype) {
      case "float32":
        return new Float32Array(buf);
      case "float64":
        return new Float64Array(buf);
      case "float16":
      case "bfloat16":
        return new Uint16Array(buf);
      case "int32":
        return new Int32Array(buf);
      case "int64":
        return new BigInt64Array(buf);
      default:
        return new Uint8Array(buf);
    }
  };
  const tensorOf = (name: string): Tensor => {
    const a = arrays.get(name)!;
    const arr = makeArray(a.dtype, a.buf);
    return device === "cpu" ? wrapStorageArray(arr, a.shape, a.dtype) : fromStorageArray(arr, a.shape, a.dtype, device);
  };

  // Any "lockstep.*" key makes it a lockstep checkpoint, so a corrupted key cannot turn one into a
  // plain (unchecked) safetensors file.
  if (!metadata || !Object.keys(metadata).some((k) => k.startsWith("lockstep"))) {
    // A plain safetensors file: its tensors by name.
    const out = {};
    for (const e of entries)
      Object.defineProperty(out, e.name, { value: tensorOf(e.name), enumerable: true, writable: true, configurable: true });
    return out;
  }
  if (metadata[K_VERSION] === undefined) fail("the format version is missing from the header (corrupt)");
  if (metadata[K_VERSION] !== FORMAT_VERSION)
    fail(
      `lockstep checkpoint format version ${JSON.stringify(metadata[K_VERSION])} is not supported (this reader: ${FORMAT_VERSION})`,
    );
  const sha = metadata[K_SHA];
  const headerSha = metadata[K_HEADER_SHA];
  if (!sha || !headerSha) fail("the checksums are missing from the header (corrupt)");
  const got = await sha256(data);
  if (got !== sha) fail(`the data section fails its SHA-256 check (stored ${sha}, computed ${got}): the file is corrupt`);
  const gotHeader = await sha256(canonicalHeader(metadata, entries));
  if (gotHeader !== headerSha)
    fail(`the header fails its SHA-256 check (stored ${headerSha}, computed ${gotHeader}): the file is corrupt`);
  if (metadata[K_STRUCTURE] === undefined) fail("the object structure record is missing from the header (corrupt)");
  let structure: unknown;
  try {
    structure = JSON.parse(metadata[K_STRUCTURE] as string);
  } catch (e) {
    fail(`the object structure is not valid JSON (${(e as Error).message})`);
  }
  // The same name reached twice is the same Tensor object (it was one when saved).
  const made = new Map<string, Tensor>();
  const tensors = new Map<string, () => Tensor>();
  for (const e of entries)
    tensors.set(e.name, () => {
      let t = made.get(e.name);
      if (!t) made.set(e.name, (t = tensorOf(e.name)));
      return t;
    });
  const typed = new Map<string, (type: string) => TypedArray>();
  for (const e of entries)
    typed.set(e.name, (type) => {
      const spec = TYPED[type];
      const a = arrays.get(e.name)!;
      if (!spec || spec.dtype !== a.dtype) return fail(`array '${e.name}' cannot be a ${type}`);
      return spec.make(a.buf.slice(0));
    });
  try {
    return decodeStructure(structure, tensors, typed, fail);
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    return fail(`the object structure record is malformed (${(e as Error).message})`);
  }
}

/**
 * torch.load: read a checkpoint written by `torch.save` (lockstep's safetensors format), any
 * safetensors file, or a PyTorch `.pt` file (zip + pickle, through the restricted unpickler).
 */
export async function load<T = any>(f: string | Uint8Array | ArrayBuffer, opts: LoadOptions = {}): Promise<T> {
  const device = opts.device ?? opts.mapLocation ?? "cpu";
  backendFor(device, "torch.load");
  let bytes: Uint8Array;
  let file: string;
  if (typeof f === "string") {
    file = f;
    const fs = await import("node:fs/promises");
    try {
      const b = await fs.readFile(f);
      bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (e) {
      throw new CheckpointError("torch.load", f, `cannot be read (${(e as Error).message})`, { cause: e });
    }
  } else if (f instanceof Uint8Array || f instanceof ArrayBuffer) {
    file = "<bytes>";
    bytes = f instanceof Uint8Array ? f : new Uint8Array(f);
  } else {
    throw new CheckpointError("torch.load", String(f), "expected a file path, a Uint8Array or an ArrayBuffer");
  }
  if (isZip(bytes)) return loadPt(bytes, file, { device }) as T;
  if (isLegacyTorch(bytes))
    throw new CheckpointError(
      "torch.load",
      file,
      "this is PyTorch's legacy (pre-1.6, non-zip) torch.save format, which lockstep does not read; re-save it in PyTorch with torch.save(obj, path) (the default zip format)",
    );
  if (bytes.length > 8 && bytes[8] !== 0x7b /* '{' */)
    throw new CheckpointError(
      "torch.load",
      file,
      `not a checkpoint (or its first bytes are corrupt): neither safetensors (a JSON header at byte 8) nor a torch.save zip (starts with ${Array.from(
        bytes.subarray(0, 4),
        (b) => b.toString(16).padStart(2, "0"),
      ).join(" ")})`,
    );
  return (await loadSafetensors(bytes, file, device)) as T;
}
