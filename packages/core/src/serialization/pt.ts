// Reading `.pt` files written by PyTorch's `torch.save` (the zip format, PyTorch ≥ 1.6): a folder
// named after the file's stem (`archive/` when saved to a file object) holding `data.pkl` (pickle,
// protocol 2), `data/<key>` (one record per storage, raw little-endian elements) and `version`.
// `data.pkl` goes through the restricted unpickler with this allow-list and nothing else:
//   collections.OrderedDict                      → a dict (see unpickler.ts for the JS mapping)
//   torch._utils._rebuild_tensor_v2              → a Tensor over the storage (views share it)
//   torch._utils._rebuild_parameter(_with_state) → an nn.Parameter
//   torch.{Float,Double,Half,BFloat16,Long,Int,Byte,Bool}Storage → storage classes for persistent ids
//   (Short/Char/Complex storages are recognised only to say that lockstep has no such dtype.)
// Tensors keep PyTorch's exact layout: storage offset, strides (stride 0 for expanded tensors,
// permuted for transposed ones), and tensors that shared a storage in PyTorch share one here.
import type { DType, TypedArray } from "../dtype.js";
import { ITEMSIZE, isFloating } from "../dtype.js";
import { Parameter } from "../nn/parameter.js";
import { numel } from "../shape.js";
import { backendFor, Storage } from "../storage.js";
import { Tensor } from "../tensor.js";
import { CheckpointError } from "./errors.js";
import { ZipArchive } from "./pt_zip.js";
import { PyDict, PyGlobal, toJS, unpickle } from "./unpickler.js";

const STORAGE_DTYPES: Record<string, DType | string> = {
  FloatStorage: "float32",
  DoubleStorage: "float64",
  HalfStorage: "float16",
  BFloat16Storage: "bfloat16",
  LongStorage: "int64",
  IntStorage: "int32",
  ByteStorage: "uint8",
  BoolStorage: "bool",
  // recognised, not supported
  ShortStorage: "int16",
  CharStorage: "int8",
  ComplexFloatStorage: "complex64",
  ComplexDoubleStorage: "complex128",
};
const SUPPORTED = new Set<string>(["float32", "float64", "float16", "bfloat16", "int64", "int32", "uint8", "bool"]);

class StorageClass extends PyGlobal {
  constructor(
    name: string,
    readonly dtype: string,
  ) {
    super("torch", name);
  }
}

/** One `data/<key>` record, turned into a Storage on first use. */
class StorageRef {
  storage: Storage | undefined;
  constructor(
    readonly key: string,
    readonly dtype: DType,
    readonly numel: number,
    readonly array: TypedArray,
  ) {}
}

export interface PtLoadOptions {
  device?: string;
  op?: string;
}

/** Is this a zip archive (PK\x03\x04), as `torch.save` writes? */
export const isZip = (b: Uint8Array): boolean =>
  b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;

/** The pre-1.6 `torch.save` format starts with a pickled magic number (PROTO 2, LONG1 0x1950a86a20f9469cfc6c). */
export const isLegacyTorch = (b: Uint8Array): boolean =>
  b.length >= 4 && b[0] === 0x80 && b[1] === 0x02 && b[2] === 0x8a && b[3] === 0x0a;

function storageArray(dtype: DType, bytes: Uint8Array): TypedArray {
  const buf = new ArrayBuffer(bytes.length);
  new Uint8Array(buf).set(bytes);
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
    case "uint8":
    case "bool":
      return new Uint8Array(buf);
  }
}

const isInt = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x);
const isSizes = (x: unknown): x is number[] => Array.isArray(x) && x.every((v) => isInt(v) && v >= 0);

/** Load a `torch.save` zip checkpoint from its bytes. */
export function loadPt(bytes: Uint8Array, file: string, opts: PtLoadOptions = {}): unknown {
  const op = opts.op ?? "torch.load";
  const device = opts.device ?? "cpu";
  backendFor(device, op);
  const fail = (m: string): never => {
    throw new CheckpointError(op, file, m);
  };
  const zip = new ZipArchive(bytes, file, op);
  const pkls = [...zip.entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkls.length !== 1)
    fail(
      pkls.length === 0
        ? "no '<folder>/data.pkl' record: a zip archive, but not one written by torch.save"
        : `several data.pkl records (${pkls.join(", ")})`,
    );
  const pkl = pkls[0] as string;
  const prefix = pkl.slice(0, -"data.pkl".length);
  for (const bo of [`${prefix}byteorder`, `${prefix}.data/byteorder`]) {
    if (!zip.has(bo)) continue;
    const order = new TextDecoder().decode(zip.read(bo)).trim();
    if (order !== "little") fail(`saved with byte order '${order}'; only little-endian checkpoints are supported`);
  }

  const refs = new Map<string, StorageRef>();
  const persistentLoad = (pid: unknown, ctx: { fail(m: string): never }): unknown => {
    if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== "storage")
      ctx.fail(`persistent id ${JSON.stringify(String(pid))} is not ('storage', type, key, location, numel)`);
    const [, cls, key, location, n] = pid as [string, unknown, unknown, unknown, unknown];
    if (!(cls instanceof StorageClass)) return ctx.fail("persistent id without a storage class");
    if (typeof key !== "string" || typeof location !== "string" || !isInt(n) || n < 0)
      return ctx.fail("malformed storage persistent id");
    if (!SUPPORTED.has(cls.dtype))
      return fail(
        `storage '${key}' is a torch.${cls.name} (${cls.dtype}), which is not a lockstep dtype (supported: ${[...SUPPORTED].join(", ")}); convert it in PyTorch before saving`,
      );
    const dtype = cls.dtype as DType;
    const old = refs.get(key);
    if (old) {
      if (old.dtype !== dtype || old.numel !== n) ctx.fail(`storage '${key}' is used with two different types or sizes`);
      return old;
    }
    const rec = `${prefix}data/${key}`;
    const data = zip.read(rec);
    if (data.length !== n * ITEMSIZE[dtype])
      fail(`record '${rec}' has ${data.length} bytes, but ${n} ${dtype} elements need ${n * ITEMSIZE[dtype]} (corrupt)`);
    const arr = storageArray(dtype, data);
    if (dtype === "bool" && (arr as Uint8Array).some((v) => v > 1)) fail(`record '${rec}' holds a bool that is neither 0 nor 1`);
    const ref = new StorageRef(key, dtype, n, arr);
    refs.set(key, ref);
    return ref;
  };

  const rebuildTensor = (args: unknown[], ctx: { fail(m: string): never }): Tensor => {
    if (args.length < 6 || args.length > 7) ctx.fail(`_rebuild_tensor_v2 takes 6 or 7 arguments, got ${args.length}`);
    const [ref, offset, size, stride, requiresGrad, hooks, metadata] = args;
    if (!(ref instanceof StorageRef)) return ctx.fail("_rebuild_tensor_v2 without a storage");
    if (!isInt(offset) || offset < 0 || !isSizes(size) || !isSizes(stride) || size.length !== stride.length)
      return ctx.fail(`_rebuild_tensor_v2 with malformed geometry (offset ${offset}, size ${size}, stride ${stride})`);
    if (typeof requiresGrad !== "boolean") return ctx.fail("_rebuild_tensor_v2: requires_grad is not a bool");
    if (!(hooks instanceof PyDict) || hooks.entries.length) return ctx.fail("tensors with backward hooks are not supported");
    if (metadata !== undefined && metadata !== null && !(metadata instanceof PyDict && metadata.entries.length === 0))
      return ctx.fail("tensor metadata (Python attributes on a tensor) is not supported");
    if (numel(size) > 0) {
      const last = size.reduce((acc, s, i) => acc + (s - 1) * (stride[i] as number), offset);
      if (last >= ref.numel)
        fail(
          `a tensor of size [${size}], stride [${stride}], offset ${offset} reaches element ${last} of storage '${ref.key}', which has ${ref.numel} (corrupt)`,
        );
    }
    if (requiresGrad && !isFloating(ref.dtype)) ctx.fail(`a ${ref.dtype} tensor cannot require gradients`);
    let storage = ref.storage;
    if (storage) storage.retain();
    else {
      storage =
        device === "cpu" ? new Storage("cpu", ref.dtype, ref.numel, ref.array) : new Storage(device, ref.dtype, ref.numel);
      if (device !== "cpu") storage.backend.write(storage.buf, ref.dtype, ref.array);
      ref.storage = storage;
    }
    const t = new Tensor(storage, size, stride, offset);
    if (requiresGrad) t.requiresGrad = true;
    return t;
  };

  const rebuildParameter = (args: unknown[], ctx: { fail(m: string): never }): Tensor => {
    const [data, requiresGrad, hooks, state] = args;
    if (!(data instanceof Tensor) || typeof requiresGrad !== "boolean") return ctx.fail("_rebuild_parameter with bad arguments");
    if (!(hooks instanceof PyDict) || hooks.entries.length) return ctx.fail("parameters with backward hooks are not supported");
    if (args.length === 4 && !(state === null || (state instanceof PyDict && state.entries.length === 0)))
      return ctx.fail("parameters with Python attributes are not supported");
    return new Parameter(data, requiresGrad);
  };

  const findGlobal = (module: string, name: string): PyGlobal | undefined => {
    if (module === "collections" && name === "OrderedDict")
      return new PyGlobal(module, name, (args, ctx) => {
        const d = new PyDict(true);
        if (args.length === 0) return d;
        if (args.length > 1 || !Array.isArray(args[0])) return ctx.fail("OrderedDict(...) with unexpected arguments");
        for (const kv of args[0] as unknown[]) {
          if (!Array.isArray(kv) || kv.length !== 2) ctx.fail("OrderedDict items must be pairs");
          d.entries.push([(kv as unknown[])[0], (kv as unknown[])[1]]);
        }
        return d;
      });
    if (module === "torch._utils" && name === "_rebuild_tensor_v2") return new PyGlobal(module, name, rebuildTensor);
    if (module === "torch._utils" && (name === "_rebuild_parameter" || name === "_rebuild_parameter_with_state"))
      return new PyGlobal(module, name, (args, ctx) => {
        if (args.length !== (name === "_rebuild_parameter" ? 3 : 4)) ctx.fail(`${name} with ${args.length} arguments`);
        return rebuildParameter(args, ctx);
      });
    if (module === "torch" && Object.hasOwn(STORAGE_DTYPES, name)) return new StorageClass(name, STORAGE_DTYPES[name] as string);
    return undefined;
  };

  const raw = unpickle(zip.read(pkl), { file, op, findGlobal, persistentLoad });
  // Storages no tensor used are dropped; globals and storages are not values a state dict may hold.
  try {
    return toJS(raw, (x) => {
      if (x instanceof Tensor || x instanceof Uint8Array) return x;
      if (x instanceof StorageRef) return fail(`a bare storage ('${x.key}') is not supported; save tensors instead`);
      if (x instanceof PyGlobal) return fail(`the global '${x.module}.${x.name}' is not a value lockstep can return`);
      return fail(`unexpected value of type ${(x as object).constructor?.name}`);
    });
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    return fail(`data.pkl could not be converted (${(e as Error).message})`);
  }
}
