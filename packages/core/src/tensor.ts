// The Tensor handle: a strided view onto a Storage, plus autograd state. Ops live in ops/ and are
// attached as methods by methods.ts, so that each op is written once for `torch.op(x)` and `x.op()`.

import type { Node } from "./autograd/graph.js";
import type { View } from "./backend.js";
import { bf16BitsToNumber, type DType, halfBitsToNumber, type TypedArray } from "./dtype.js";
import { DeviceError, DisposedError, ValueError } from "./errors.js";
import { formatTensor } from "./format.js";
import { contiguousStrides, isContiguous, normDim, numel } from "./shape.js";
import { countTensor, type Storage } from "./storage.js";

// ---- scopes for torch.tidy ----
const scopes: Set<Tensor>[] = [];
export const pushScope = (): Set<Tensor> => {
  const s = new Set<Tensor>();
  scopes.push(s);
  return s;
};
export const popScope = (): void => {
  scopes.pop();
};
export const currentScope = (): Set<Tensor> | undefined => scopes[scopes.length - 1];
export function keep<T extends Tensor>(t: T): T {
  for (const s of scopes) s.delete(t);
  t._track();
  return t;
}

/**
 * A tensor's hold on its autograd node (nodes are reference counted, like PyTorch's shared_ptr),
 * and the storage the finalizer releases when a tracked tensor is collected without dispose().
 */
interface GradHold {
  node: Node | null;
  released: boolean;
  readonly storage: Storage;
}
const releaseHold = (h: GradHold): void => {
  if (h.released) return;
  h.released = true;
  h.node?._unref();
};

// The safety net for tensors nobody disposes. Tensors created inside a scope (torch.tidy, the
// backward pass) are disposed by it, so they are registered only when they leave every scope
// undisposed (keep(), a tidy's results at top level; see `_track`): registration is the most
// expensive part of creating a tensor.
const finalizer = new FinalizationRegistry<GradHold>((h) => {
  countTensor(h.storage.device, -1);
  h.storage.release();
  releaseHold(h);
});

export class Tensor {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
  /** @internal */ _storage: Storage;
  /** @internal */ _disposed = false;
  /** @internal registered with the finalizer (see `_track`) */ _tracked = false;

  requiresGrad = false;
  grad: Tensor | null = null;
  /** @internal */ readonly _hold: GradHold;
  /** The autograd node that produced this tensor (null for leaves). */
  get gradFn(): Node | null {
    return this._hold.node;
  }
  set gradFn(node: Node | null) {
    const h = this._hold;
    if (node === h.node) return;
    if (!h.released) node?._ref();
    const old = h.node;
    h.node = node;
    if (!h.released) old?._unref();
  }
  /** @internal which output of gradFn this tensor is */ _outIndex = 0;
  /** @internal hooks on a leaf's gradient */ _leafHooks: ((g: Tensor) => Tensor | undefined | void)[] = [];
  /** @internal the tensor this one is a view of (for in-place autograd rules) */ _base: Tensor | null = null;
  /** @internal set by retainGrad() */ _retainsGrad = false;

  /** @internal use ops (torch.empty, tensor.view, ...) to make tensors. */
  constructor(storage: Storage, shape: readonly number[], strides?: readonly number[], offset = 0) {
    this._storage = storage;
    // frozen arrays (another tensor's shape or strides) are shared rather than copied
    this.shape = Object.isFrozen(shape) && Array.isArray(shape) ? shape : Object.freeze([...shape]);
    this.strides = strides
      ? Object.isFrozen(strides) && Array.isArray(strides)
        ? strides
        : Object.freeze([...strides])
      : Object.freeze(contiguousStrides(shape));
    this.offset = offset;
    this.dtype = storage.dtype;
    countTensor(storage.device, 1);
    this._hold = { node: null, released: false, storage };
    const scope = scopes[scopes.length - 1];
    if (scope) scope.add(this);
    else this._track();
  }

  /**
   * @internal Put this tensor under the finalizer's safety net: called when it is created outside
   * every scope, or leaves its scope undisposed. Idempotent.
   */
  _track(): void {
    if (this._tracked || this._disposed) return;
    this._tracked = true;
    finalizer.register(this, this._hold, this._hold);
  }

  get device(): string {
    return this._storage.device;
  }
  get ndim(): number {
    return this.shape.length;
  }
  get isLeaf(): boolean {
    return this.gradFn === null;
  }
  get isDisposed(): boolean {
    return this._disposed;
  }
  /** In-place modification count of the underlying storage (PyTorch's `_version`). */
  get version(): number {
    return this._storage.version;
  }

  dim(): number {
    return this.shape.length;
  }
  numel(): number {
    return numel(this.shape);
  }
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    return dim === undefined ? [...this.shape] : (this.shape[normDim("size", dim, this.ndim)] as number);
  }
  stride(): number[];
  stride(dim: number): number;
  stride(dim?: number): number[] | number {
    return dim === undefined ? [...this.strides] : (this.strides[normDim("stride", dim, this.ndim)] as number);
  }
  storageOffset(): number {
    return this.offset;
  }
  isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }
  isFloatingPoint(): boolean {
    return this.dtype.startsWith("float") || this.dtype === "bfloat16";
  }

  /** @internal the strided window backends operate on. */
  _view(): View {
    this._check("access");
    return { buf: this._storage.buf, dtype: this.dtype, shape: this.shape, strides: this.strides, offset: this.offset };
  }

  /** @internal */
  _check(op: string): void {
    if (this._disposed) throw new DisposedError(op, `tensor of shape [${this.shape.join(", ")}] (${this.dtype}) was disposed`);
  }

  /** @internal mark an in-place write. */
  _bumpVersion(): void {
    this._storage.version++;
  }

  /** Free this handle's hold on the storage (views and saved tensors keep theirs). Idempotent. */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    if (this._tracked) finalizer.unregister(this._hold);
    releaseHold(this._hold); // the node is kept for inspection but no longer held
    countTensor(this._storage.device, -1);
    this._storage.release();
    this.grad?.dispose();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- readback ----

  /** Elements in row-major order, in the storage type (float16/bfloat16: bit patterns; int64: BigInt64Array). */
  async data(): Promise<TypedArray> {
    this._check("data");
    const c = this.isContiguous() ? this : contiguousCopy(this);
    const out = await c._storage.backend.read(c._storage.buf, c.dtype, c.offset, c.numel());
    if (c !== this) c.dispose();
    return out;
  }

  /** Synchronous readback; only on devices that can answer at once (the reference). */
  dataSync(): TypedArray {
    this._check("dataSync");
    const b = this._storage.backend;
    if (!b.readSync) throw new DeviceError("dataSync", `device '${this.device}' has no synchronous readback; use await data()`);
    const c = this.isContiguous() ? this : contiguousCopy(this);
    const out = b.readSync(c._storage.buf, c.dtype, c.offset, c.numel());
    if (c !== this) c.dispose();
    return out;
  }

  /** Elements as JS values (numbers; booleans for bool; int64 as numbers, exact up to 2^53). */
  async values(): Promise<(number | boolean)[]> {
    return decode(this.dtype, await this.data());
  }

  async tolist(): Promise<unknown> {
    return nest(decode(this.dtype, await this.data()), this.shape);
  }

  async item(): Promise<number | boolean> {
    return this._item(await this.data());
  }

  itemSync(): number | boolean {
    return this._item(this.dataSync());
  }

  private _item(d: TypedArray): number | boolean {
    if (this.numel() !== 1)
      throw new ValueError("item", `a Tensor with ${this.numel()} elements cannot be converted to a scalar (needs exactly 1)`);
    return decode(this.dtype, d)[0] as number | boolean;
  }

  toString(): string {
    if (this._disposed) return `tensor(<disposed>, shape=[${this.shape.join(", ")}], dtype=${this.dtype})`;
    const suffixes: string[] = [];
    if (this.device !== "cpu") suffixes.push(`device='${this.device}'`);
    if (this.gradFn) suffixes.push(`grad_fn=<${this.gradFn.name}>`);
    else if (this.requiresGrad) suffixes.push("requires_grad=True");
    const b = this._storage.backend;
    if (!b.readSync) return `tensor(<on ${this.device}; await t.data()>, shape=[${this.shape.join(", ")}], dtype=${this.dtype})`;
    return formatTensor(decodeExact(this.dtype, this.dataSync()), this.shape, this.dtype, suffixes);
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** Set by ops/core.ts (which depends on Tensor) to make contiguous copies for readback. */
let contiguousCopy: (t: Tensor) => Tensor = () => {
  throw new Error("ops not loaded");
};
export const setContiguousCopy = (f: (t: Tensor) => Tensor): void => {
  contiguousCopy = f;
};

export function decode(dtype: DType, d: TypedArray): (number | boolean)[] {
  const out = new Array<number | boolean>(d.length);
  for (let i = 0; i < d.length; i++) {
    const v = d[i] as number | bigint;
    out[i] =
      dtype === "bool"
        ? v !== 0
        : dtype === "float16"
          ? halfBitsToNumber(v as number)
          : dtype === "bfloat16"
            ? bf16BitsToNumber(v as number)
            : Number(v);
  }
  return out;
}

/** Like decode but keeps int64 exact (bigint) for printing. */
function decodeExact(dtype: DType, d: TypedArray): ArrayLike<number | bigint | boolean> {
  return dtype === "int64" ? Array.from(d as BigInt64Array) : decode(dtype, d);
}

function nest(flat: unknown[], shape: readonly number[]): unknown {
  if (shape.length === 0) return flat[0];
  const [n, ...rest] = shape as [number, ...number[]];
  const step = numel(rest);
  return Array.from({ length: n }, (_, i) => nest(flat.slice(i * step, (i + 1) * step), rest));
}
