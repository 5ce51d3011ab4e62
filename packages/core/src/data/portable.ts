// How datasets, transforms and functions reach DataLoader worker threads, and how batches come back.
//
// PyTorch pickles the dataset, collate_fn and worker_init_fn into each worker process. JavaScript
// worker threads cannot receive closures or class instances, so lockstep rebuilds them in the
// worker from a *module reference*: the URL of an ES module, the name of one of its exports, and
// structured-clonable arguments.
//
//   { module: import.meta.url, export: "MyDataset", args: [1000] }
//
// The worker `import()`s the module and
//   - constructs a class with `new X(...args)`,
//   - calls a function with `await X(...args)` when `args` is given (a factory: `normalize(mean, std)`),
//   - takes anything else (and a function without `args`) as it is.
// A dataset reference whose export is a function without `args` is called with no arguments.
//
// Arguments may hold tensors (copied), generators (their state is copied, as pickling does), plain
// data, and other portable things (nested references), so built-in datasets and transforms
// describe themselves: TensorDataset, Subset, ConcatDataset, FashionMNIST, and every transform in
// `transforms` carry a reference under the `WORKER_SPEC` symbol. A user's dataset gets one with
// `await fromModule(ref)` (import it here too, with the reference attached) or `withWorkerSpec(obj, ref)`.
//
// Batches come back as their tensors' TypedArrays, transferred (not copied) to the main thread,
// where they are wrapped without a copy (`torch.fromBuffer`).

import type { DType, TypedArray } from "../dtype.js";
import { DTypeError, ValueError } from "../errors.js";
import { fromBuffer } from "../ops/creation.js";
import { Generator } from "../random/index.js";
import { Tensor } from "../tensor.js";

/** A reference to an export of an ES module, with arguments; see the top of this file. */
export interface ModuleRef {
  /** The module's URL (`import.meta.url`, `new URL("./ds.ts", import.meta.url).href`) or an absolute path. */
  readonly module: string;
  /** The export's name (`"default"` for a default export). */
  readonly export: string;
  /** Constructor/factory arguments (structured-clonable; tensors, generators and portable objects allowed). */
  readonly args?: readonly unknown[];
}

/** The property under which an object or function says how a worker rebuilds it. */
export const WORKER_SPEC: unique symbol = Symbol.for("lockstep.data.workerSpec") as never;

/** Something that carries its module reference. */
export interface Portable {
  readonly [WORKER_SPEC]?: ModuleRef;
}

/** A module reference: `moduleRef(import.meta.url, "MyDataset", 1000)`. */
export function moduleRef(module: string | URL, exportName: string, ...args: unknown[]): ModuleRef {
  return { module: String(module), export: exportName, ...(args.length ? { args } : {}) };
}

export function isModuleRef(x: unknown): x is ModuleRef {
  return (
    typeof x === "object" &&
    x !== null &&
    typeof (x as ModuleRef).module === "string" &&
    typeof (x as ModuleRef).export === "string" &&
    ((x as ModuleRef).args === undefined || Array.isArray((x as ModuleRef).args)) &&
    !("getItem" in x)
  );
}

/** Attach a module reference to an object or function (returns it), so worker threads can rebuild it. */
export function withWorkerSpec<T extends object>(obj: T, ref: ModuleRef): T {
  Object.defineProperty(obj, WORKER_SPEC, { value: normRef(ref), configurable: true, enumerable: false, writable: true });
  return obj;
}

/** The module reference an object carries (or is), if any. */
export function workerSpecOf(x: unknown): ModuleRef | undefined {
  if (isModuleRef(x)) return x;
  if ((typeof x === "object" && x !== null) || typeof x === "function") return (x as Portable)[WORKER_SPEC];
  return undefined;
}

const normRef = (r: ModuleRef): ModuleRef => ({ ...r, module: toModuleUrl(r.module) });

function toModuleUrl(m: string): string {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(m) && !/^[a-zA-Z]:[\\/]/.test(m)) return m; // already a URL
  if (m.startsWith("/")) return `file://${m}`;
  return m; // a bare package specifier
}

/**
 * Import a module reference here (in the calling thread) and attach the reference to the result,
 * so a DataLoader with `numWorkers > 0` can rebuild it in each worker:
 *   `const ds = await fromModule<MyDataset>({ module: import.meta.url, export: "MyDataset", args: [1000] })`.
 */
export async function fromModule<T = unknown>(ref: ModuleRef): Promise<T> {
  const r = normRef(ref);
  const v = await resolveRef(r, "dataset");
  if ((typeof v === "object" && v !== null) || typeof v === "function") {
    if (!(v as Portable)[WORKER_SPEC]) withWorkerSpec(v as object, r);
  }
  return v as T;
}

// ---------------------------------------------------------------- encoding for the trip

const K_TENSOR = "__lockstep_tensor__";
const K_REF = "__lockstep_ref__";
const K_GEN = "__lockstep_generator__";
const K_MAP = "__lockstep_map__";
const K_UNDEF = "__lockstep_undefined__";

/** Raised when a value cannot be rebuilt in a worker; `path` says where in the value it sits. */
export class NotPortableError extends ValueError {
  constructor(
    op: string,
    readonly path: string,
    what: string,
  ) {
    super(
      op,
      `${what} at ${path} cannot be sent to a worker thread (worker threads cannot receive closures or class ` +
        "instances). Give it a module reference: export it from a module and pass " +
        '`await fromModule({ module: import.meta.url, export: "Name", args: [...] })` (or attach one with ' +
        "`withWorkerSpec(obj, { module, export, args })`); see DataLoader's numWorkers documentation.",
    );
  }
}

const isPlainObject = (x: object): boolean => {
  const p = Object.getPrototypeOf(x);
  return p === Object.prototype || p === null;
};

const describe = (x: unknown): string => {
  if (typeof x === "function") return `the function ${x.name ? `'${x.name}'` : "(anonymous)"}`;
  const c = (x as object)?.constructor?.name;
  return c ? `a ${c} object` : "an object";
};

/**
 * Encode a value for a worker's constructor arguments: tensors are copied, generators become their
 * state, portable objects become nested references. Throws NotPortableError otherwise.
 */
export function encodeSpec(x: unknown, op: string, path = "value", gens = new Map<object, number>()): unknown {
  if (x === undefined) return { [K_UNDEF]: 1 };
  if (x === null || typeof x !== "object") {
    if (typeof x === "function") {
      const s = (x as Portable)[WORKER_SPEC];
      if (s) return encodeRef(s, op, path, gens);
      throw new NotPortableError(op, path, describe(x));
    }
    if (typeof x === "symbol") throw new NotPortableError(op, path, "a symbol");
    return x;
  }
  if (x instanceof Tensor) return encodeTensorCopy(x);
  if (ArrayBuffer.isView(x) || x instanceof ArrayBuffer || x instanceof Date || x instanceof RegExp) return x;
  const own = (x as Portable)[WORKER_SPEC];
  if (own) return encodeRef(own, op, path, gens);
  if (isModuleRef(x)) return encodeRef(x, op, path, gens);
  if (isGeneratorLike(x)) {
    if (typeof x.getState !== "function") throw new NotPortableError(op, path, "a generator without getState()");
    // one generator used in several places stays one generator (as pickling keeps shared objects)
    const seen = gens.get(x);
    if (seen !== undefined) return { [K_GEN]: seen };
    gens.set(x, gens.size);
    return { [K_GEN]: gens.size - 1, state: encodeSpec(x.getState(), op, `${path}.getState()`, gens) };
  }
  if (Array.isArray(x)) return x.map((v, i) => encodeSpec(v, op, `${path}[${i}]`, gens));
  if (x instanceof Map)
    return {
      [K_MAP]: [...x].map(([k, v], i) => [
        encodeSpec(k, op, `${path}.key${i}`, gens),
        encodeSpec(v, op, `${path}.get(${String(k)})`, gens),
      ]),
    };
  if (isPlainObject(x)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) out[k] = encodeSpec(v, op, `${path}.${k}`, gens);
    return out;
  }
  throw new NotPortableError(op, path, describe(x));
}

function encodeRef(r: ModuleRef, op: string, path: string, gens: Map<object, number>): unknown {
  return {
    [K_REF]: {
      module: toModuleUrl(r.module),
      export: r.export,
      args:
        r.args === undefined ? undefined : r.args.map((a, i) => encodeSpec(a, op, `${path} (${r.export} argument ${i})`, gens)),
    },
  };
}

interface GeneratorShape {
  manualSeed(s: number | bigint): unknown;
  initialSeed(): unknown;
  getState?(): unknown;
  setState?(s: unknown): unknown;
}
const isGeneratorLike = (x: object): x is GeneratorShape =>
  typeof (x as GeneratorShape).manualSeed === "function" && typeof (x as GeneratorShape).initialSeed === "function";

/** A generator rebuilt from its state: a copy, as pickling one gives each PyTorch worker. */
const makeGenerator = (state: unknown): Generator => new Generator().setState(state as Tensor);

/**
 * Decode constructor arguments in a worker (imports nested references). `role` applies to a
 * reference at the top level ("dataset": a function export without args is called as a factory).
 */
export async function decodeSpec(
  x: unknown,
  role: "dataset" | "function" | "nested" = "nested",
  gens = new Map<number, Generator>(),
): Promise<unknown> {
  if (x === null || typeof x !== "object") return x;
  if (ArrayBuffer.isView(x) || x instanceof ArrayBuffer || x instanceof Date || x instanceof RegExp) return x;
  if (Array.isArray(x)) {
    const out: unknown[] = [];
    for (const v of x) out.push(await decodeSpec(v, "nested", gens));
    return out;
  }
  const o = x as Record<string, unknown>;
  if (K_UNDEF in o) return undefined;
  if (K_TENSOR in o) return decodeTensor(o[K_TENSOR] as EncodedTensor);
  if (K_REF in o) {
    const r = o[K_REF] as { module: string; export: string; args?: unknown[] };
    const args = r.args === undefined ? undefined : ((await decodeSpec(r.args, "nested", gens)) as unknown[]);
    return resolveRef({ module: r.module, export: r.export, args }, role, true);
  }
  if (K_GEN in o) {
    const id = o[K_GEN] as number;
    let g = gens.get(id);
    if (g === undefined) gens.set(id, (g = makeGenerator(await decodeSpec(o.state, "nested", gens))));
    return g;
  }
  if (K_MAP in o) {
    const m = new Map();
    for (const [k, v] of o[K_MAP] as [unknown, unknown][])
      m.set(await decodeSpec(k, "nested", gens), await decodeSpec(v, "nested", gens));
    return m;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = await decodeSpec(v, "nested", gens);
  return out;
}

const isClass = (f: unknown): boolean => typeof f === "function" && /^class[\s{]/.test(Function.prototype.toString.call(f));

/**
 * Import and build a module reference (args already decoded). role "dataset": a function export
 * without args is called as a factory; "function": it is taken as it is.
 */
export async function resolveRef(r: ModuleRef, role: "dataset" | "function" | "nested", attach = false): Promise<unknown> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(r.module)) as Record<string, unknown>;
  } catch (e) {
    const err = new ValueError("DataLoader", `could not import module '${r.module}': ${(e as Error)?.message ?? e}`);
    (err as Error & { cause?: unknown }).cause = e;
    throw err;
  }
  if (!(r.export in mod))
    throw new ValueError(
      "DataLoader",
      `module '${r.module}' has no export '${r.export}' (exports: ${Object.keys(mod).join(", ") || "none"})`,
    );
  const x = mod[r.export];
  const args = (r.args ?? []) as unknown[];
  let v: unknown;
  if (isClass(x)) v = new (x as new (...a: unknown[]) => unknown)(...args);
  else if (typeof x === "function" && (r.args !== undefined || role === "dataset"))
    v = await (x as (...a: unknown[]) => unknown)(...args);
  else v = x;
  if (attach && ((typeof v === "object" && v !== null) || typeof v === "function") && !(v as Portable)[WORKER_SPEC])
    withWorkerSpec(v as object, r);
  return v;
}

// ---------------------------------------------------------------- tensors across threads

interface EncodedTensor {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

function hostData(t: Tensor): TypedArray {
  if (!t._storage.backend.readSync)
    throw new DTypeError("DataLoader", `cannot send a tensor on device '${t.device}' between threads; use CPU tensors`);
  return t.dataSync();
}

function encodeTensorCopy(t: Tensor): unknown {
  return { [K_TENSOR]: { dtype: t.dtype, shape: [...t.shape], data: hostData(t) } satisfies EncodedTensor };
}

function decodeTensor(e: EncodedTensor): Tensor {
  return fromBuffer(e.data, { shape: e.shape, dtype: e.dtype });
}

/** Tensors made by defaultCollate: nobody else holds them, so their buffers can be moved, not copied. */
export const freshTensors = new WeakSet<Tensor>();

/**
 * Encode a batch for postMessage. Tensor data goes in the transfer list: a fresh collated tensor's
 * own buffer is moved (the worker's handle is disposed), any other tensor's data is copied once.
 */
export function encodePayload(x: unknown, transfer: ArrayBuffer[], memo = new Map<object, unknown>()): unknown {
  if (x === undefined) return { [K_UNDEF]: 1 };
  if (x === null || typeof x !== "object") {
    if (typeof x === "function") throw new NotPortableError("DataLoader worker", "batch", describe(x));
    return x;
  }
  // an object met twice is encoded once (structured clone then keeps the sharing, and cycles)
  if (memo.has(x)) return memo.get(x);
  if (x instanceof Tensor) {
    let data: TypedArray;
    const buf = x._storage.buf as TypedArray;
    const whole =
      freshTensors.has(x) &&
      x._storage.refs === 1 &&
      ArrayBuffer.isView(buf) &&
      x.isContiguous() &&
      x.offset === 0 &&
      buf.length === x.numel() &&
      buf.byteOffset === 0 &&
      buf.buffer.byteLength === buf.byteLength &&
      !(buf.buffer instanceof SharedArrayBuffer);
    if (whole) {
      data = buf;
      x.dispose();
    } else data = hostData(x);
    if (!(data.buffer instanceof SharedArrayBuffer) && !transfer.includes(data.buffer as ArrayBuffer))
      transfer.push(data.buffer as ArrayBuffer);
    const enc = { [K_TENSOR]: { dtype: x.dtype, shape: [...x.shape], data } satisfies EncodedTensor };
    memo.set(x, enc);
    return enc;
  }
  if (ArrayBuffer.isView(x) || x instanceof ArrayBuffer || x instanceof Date || x instanceof RegExp) return x;
  if (Array.isArray(x)) {
    const out: unknown[] = [];
    memo.set(x, out);
    for (const v of x) out.push(encodePayload(v, transfer, memo));
    return out;
  }
  if (x instanceof Map) {
    const entries: unknown[] = [];
    const out = { [K_MAP]: entries };
    memo.set(x, out);
    for (const [k, v] of x) entries.push([encodePayload(k, transfer, memo), encodePayload(v, transfer, memo)]);
    return out;
  }
  if (isPlainObject(x)) {
    const out: Record<string, unknown> = {};
    memo.set(x, out);
    for (const [k, v] of Object.entries(x)) out[k] = encodePayload(v, transfer, memo);
    return out;
  }
  return x; // other objects: structured clone (a plain copy without its prototype)
}

/** Inverse of encodePayload, in the main thread (synchronous: batches contain no references). */
export function decodePayload(x: unknown, memo = new Map<object, unknown>()): unknown {
  if (x === null || typeof x !== "object") return x;
  if (ArrayBuffer.isView(x) || x instanceof ArrayBuffer || x instanceof Date || x instanceof RegExp) return x;
  if (memo.has(x)) return memo.get(x);
  if (Array.isArray(x)) {
    const out: unknown[] = [];
    memo.set(x, out);
    for (const v of x) out.push(decodePayload(v, memo));
    return out;
  }
  const o = x as Record<string, unknown>;
  if (K_UNDEF in o) return undefined;
  if (K_TENSOR in o) {
    const t = decodeTensor(o[K_TENSOR] as EncodedTensor);
    memo.set(x, t);
    return t;
  }
  if (K_MAP in o) {
    const m = new Map();
    memo.set(x, m);
    for (const [k, v] of o[K_MAP] as [unknown, unknown][]) m.set(decodePayload(k, memo), decodePayload(v, memo));
    return m;
  }
  if (!isPlainObject(o)) return o;
  const out: Record<string, unknown> = {};
  memo.set(x, out);
  for (const [k, v] of Object.entries(o)) out[k] = decodePayload(v, memo);
  return out;
}
