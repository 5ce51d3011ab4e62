// torch.autocast: regions in which chosen ops run in a lower-precision float type (bfloat16 on the
// CPU, float16 on GPUs) and others in float32, exactly as PyTorch 1.13's Autocast dispatch keys do.
//
// How it works (PyTorch's design, aten/src/ATen/autocast_mode.{h,cpp}, torch/amp/autocast_mode.py):
// - Per device type there is an "enabled" flag and a lower-precision dtype; one nesting counter and
//   one cast cache are shared. A region (`torch.autocast(...)`) saves the flags, sets them, bumps the
//   nesting counter, and on exit restores them; leaving the outermost region clears the cache.
// - Every op PyTorch lists has a cast policy per device type (the tables below). An op that is hooked
//   calls `autocastOp(name, fn, ...args)` first: when autocast is on for the device type of its
//   tensors, the floating (not float64) tensor arguments on that device are cast per the policy and
//   the op runs with autocast switched off for that device type (PyTorch's ExcludeDispatchKeyGuard),
//   so ops it calls internally are not autocast again. Ops not in the tables pass through (they still
//   run with autocast off inside, as a PyTorch kernel would).
// - Casts are ordinary `to()` calls, so autograd flows back through them (ToCopyBackward0).
// - Cache (PyTorch's cached_cast): casts to the lower-precision type of float32 leaves that require
//   grad and are not views (model weights) are kept until the outermost region exits, so a weight
//   used by several ops in one forward pass is cast once. Like PyTorch, the cache ignores in-place
//   updates of the weight and grad mode at the time of the cast. (lockstep cannot tell a detach() of
//   a slice from a slice, so such a leaf is not cached where PyTorch would cache it: same values.)
//
// Device types: "cpu" (devices "cpu" and "reference") uses PyTorch's AutocastCPU lists and defaults
// to bfloat16; "cuda" uses the Autocast (CUDA) lists and defaults to float16. "webgpu" is lockstep's
// own: it uses the CUDA lists and defaults to float16. As in PyTorch 1.13, CPU autocast accepts only
// bfloat16: another dtype warns when the region is made and raises when it is entered.

import { type DType, isFloating } from "../dtype.js";
import { DTypeError, ValueError } from "../errors.js";
import { isParameter } from "../nn/parameter.js";
import { to } from "../ops/convert.js";
import { registeredDevices } from "../storage.js";
import { Tensor } from "../tensor.js";

// ------------------------------------------------------------------------------------------------
// Op lists, transcribed from PyTorch 1.13.1 (aten/src/ATen/autocast_mode.cpp, the
// TORCH_LIBRARY_IMPL(aten, AutocastCPU, m) and TORCH_LIBRARY_IMPL(aten, Autocast, m) blocks).
// Names are ATen schema names ("op" or "op.overload"). Membership was checked against the
// registrations of Debian's 1.13.1 build (torch._C._dispatch_get_registrations_for_dispatch_key),
// recorded in test-vectors/amp/autocast_lists.json; see tools/golden/gen_amp.py.

export type CastPolicy =
  /** cast every eligible tensor argument to the region's lower-precision dtype */
  | "lower_precision_fp"
  /** cast every eligible tensor argument to float32 */
  | "fp32"
  /** ops with an optional dtype argument: if the first argument is eligible and no dtype was given, run with dtype float32 */
  | "fp32_set_opt_dtype"
  /** norm: if the first argument is eligible, run with dtype float32 (PyTorch appends the dtype argument) */
  | "fp32_append_dtype"
  /** run in the widest floating type among the eligible arguments (float32 over the lower-precision dtype) */
  | "promote"
  /** refuses to run inside an autocast region (binary_cross_entropy on CUDA) */
  | "banned";

/** AutocastCPU, lower_precision_fp. */
export const CPU_LOWER_PRECISION_FP: readonly string[] = [
  "conv1d",
  "conv1d.padding",
  "conv2d",
  "conv2d.padding",
  "conv3d",
  "conv3d.padding",
  "bmm",
  "mm",
  "baddbmm",
  "addmm",
  "addbmm",
  "linear",
  "_convolution.deprecated",
  "matmul",
  "conv_tbc",
];

/** AutocastCPU, fp32. */
export const CPU_FP32: readonly string[] = [
  "conv_transpose1d",
  "conv_transpose2d.input",
  "conv_transpose3d.input",
  "avg_pool3d",
  "binary_cross_entropy",
  "grid_sampler",
  "polar",
  "prod",
  "prod.dim_int",
  "prod.dim_Dimname",
  "quantile",
  "quantile.scalar",
  "nanquantile",
  "nanquantile.scalar",
  "stft",
  "stft.center",
  "cdist",
  "grid_sampler_2d",
  "_grid_sampler_2d_cpu_fallback",
  "grid_sampler_3d",
  "trace",
  "view_as_complex",
  "cholesky",
  "cholesky_inverse",
  "cholesky_solve",
  "inverse",
  "lu_solve",
  "orgqr",
  "ormqr",
  "pinverse",
  "max_pool3d",
  "max_unpool2d",
  "max_unpool3d",
  "adaptive_avg_pool3d",
  "reflection_pad1d",
  "reflection_pad2d",
  "replication_pad1d",
  "replication_pad2d",
  "replication_pad3d",
  "mse_loss",
  "cosine_embedding_loss",
  "nll_loss",
  "nll_loss2d",
  "hinge_embedding_loss",
  "poisson_nll_loss",
  "smooth_l1_loss",
  "cross_entropy_loss",
  "l1_loss",
  "huber_loss",
  "margin_ranking_loss",
  "soft_margin_loss",
  "triplet_margin_loss",
  "multi_margin_loss",
  "ctc_loss.IntList",
  "ctc_loss.Tensor",
  "kl_div",
  "multilabel_margin_loss",
  "binary_cross_entropy_with_logits",
  "fft_fft",
  "fft_ifft",
  "fft_fft2",
  "fft_ifft2",
  "fft_fftn",
  "fft_ifftn",
  "fft_rfft",
  "fft_irfft",
  "fft_rfft2",
  "fft_irfft2",
  "fft_rfftn",
  "fft_irfftn",
  "fft_hfft",
  "fft_ihfft",
  "linalg_cond",
  "linalg_cond.p_str",
  "linalg_matrix_rank",
  "linalg_matrix_rank.tol_tensor",
  "linalg_matrix_rank.atol_rtol_tensor",
  "linalg_matrix_rank.atol_rtol_float",
  "linalg_solve",
  "linalg_cholesky",
  "linalg_svdvals",
  "linalg_eigvals",
  "linalg_eigvalsh",
  "linalg_inv",
  "linalg_householder_product",
  "linalg_tensorinv",
  "linalg_tensorsolve",
  "fake_quantize_per_tensor_affine",
  "geqrf",
  "_lu_with_info",
  "qr",
  "svd",
  "symeig",
  "triangular_solve",
  "fractional_max_pool2d",
  "fractional_max_pool3d",
  "adaptive_max_pool3d",
  "multilabel_margin_loss_forward",
  "linalg_qr",
  "linalg_cholesky_ex",
  "linalg_svd",
  "linalg_eig",
  "linalg_eigh",
  "linalg_lstsq",
  "linalg_inv_ex",
  "linalg_matrix_norm",
  "linalg_matrix_norm.str_ord",
];

/** AutocastCPU, promote. */
export const CPU_PROMOTE: readonly string[] = ["stack", "cat", "index_copy", "index_copy.dimname"];

/** Autocast (CUDA), lower_precision_fp. */
export const CUDA_LOWER_PRECISION_FP: readonly string[] = [
  "_convolution.deprecated",
  "_convolution",
  "conv1d",
  "conv2d",
  "conv3d",
  "conv_tbc",
  "conv_transpose1d",
  "conv_transpose2d.input",
  "conv_transpose3d.input",
  "convolution",
  "cudnn_convolution",
  "cudnn_convolution_transpose",
  "prelu",
  "addmm",
  "addmv",
  "addr",
  "matmul",
  "einsum",
  "mm",
  "mv",
  "linear",
  "addbmm",
  "baddbmm",
  "bmm",
  "chain_matmul",
  "linalg_multi_dot",
  "_thnn_fused_lstm_cell",
  "_thnn_fused_gru_cell",
  "lstm_cell",
  "gru_cell",
  "rnn_tanh_cell",
  "rnn_relu_cell",
];

/** Autocast (CUDA), fp32. */
export const CUDA_FP32: readonly string[] = [
  "acos",
  "asin",
  "cosh",
  "erfinv",
  "exp",
  "expm1",
  "log",
  "log10",
  "log2",
  "log1p",
  "reciprocal",
  "rsqrt",
  "sinh",
  "tan",
  "pow.Tensor_Scalar",
  "pow.Tensor_Tensor",
  "pow.Scalar",
  "softplus",
  "layer_norm",
  "native_layer_norm",
  "group_norm",
  "frobenius_norm",
  "frobenius_norm.dim",
  "nuclear_norm",
  "nuclear_norm.dim",
  "cosine_similarity",
  "poisson_nll_loss",
  "cosine_embedding_loss",
  "nll_loss",
  "nll_loss2d",
  "hinge_embedding_loss",
  "kl_div",
  "l1_loss",
  "smooth_l1_loss",
  "huber_loss",
  "mse_loss",
  "margin_ranking_loss",
  "multilabel_margin_loss",
  "soft_margin_loss",
  "triplet_margin_loss",
  "multi_margin_loss",
  "binary_cross_entropy_with_logits",
  "dist",
  "pdist",
  "cdist",
  "renorm",
  "logsumexp",
];

/** Autocast (CUDA), fp32_set_opt_dtype. */
export const CUDA_FP32_SET_OPT_DTYPE: readonly string[] = [
  "prod",
  "prod.dim_int",
  "prod.dim_Dimname",
  "softmax.int",
  "softmax.Dimname",
  "log_softmax.int",
  "log_softmax.Dimname",
  "cumprod",
  "cumprod.dimname",
  "cumsum",
  "cumsum.dimname",
  "sum",
  "sum.dim_IntList",
  "sum.dim_DimnameList",
];

/** Autocast (CUDA), fp32_append_dtype (PyTorch redispatches to the norm overload that takes a dtype). */
export const CUDA_FP32_APPEND_DTYPE: readonly string[] = ["norm.Scalar", "norm.ScalarOpt_dim", "norm.names_ScalarOpt_dim"];

/** Autocast (CUDA), promote. */
export const CUDA_PROMOTE: readonly string[] = [
  "addcdiv",
  "addcmul",
  "atan2",
  "bilinear",
  "cross",
  "dot",
  "grid_sampler",
  "index_put",
  "tensordot",
  "scatter_add",
];

/** Autocast (CUDA), banned: raises inside a region. */
export const CUDA_BANNED: readonly string[] = ["binary_cross_entropy"];

const BANNED_MESSAGE: Record<string, string> = {
  binary_cross_entropy:
    "torch.nn.functional.binary_cross_entropy and torch.nn.BCELoss are unsafe to autocast.\n" +
    "Many models use a sigmoid layer right before the binary cross entropy layer.\n" +
    "In this case, combine the two layers using torch.nn.functional.binary_cross_entropy_with_logits\n" +
    "or torch.nn.BCEWithLogitsLoss.  binary_cross_entropy_with_logits and BCEWithLogits are\n" +
    "safe to autocast.",
};

/** Policy tables keyed by schema name and by base name (every overload of an op shares its policy). */
function table(lists: [CastPolicy, readonly string[]][]): Map<string, CastPolicy> {
  const m = new Map<string, CastPolicy>();
  for (const [policy, names] of lists)
    for (const n of names) {
      m.set(n, policy);
      m.set(n.split(".")[0] as string, policy);
    }
  return m;
}
const CPU_TABLE = table([
  ["lower_precision_fp", CPU_LOWER_PRECISION_FP],
  ["fp32", CPU_FP32],
  ["promote", CPU_PROMOTE],
]);
const CUDA_TABLE = table([
  ["lower_precision_fp", CUDA_LOWER_PRECISION_FP],
  ["fp32", CUDA_FP32],
  ["fp32_set_opt_dtype", CUDA_FP32_SET_OPT_DTYPE],
  ["fp32_append_dtype", CUDA_FP32_APPEND_DTYPE],
  ["promote", CUDA_PROMOTE],
  ["banned", CUDA_BANNED],
]);

export type AutocastDeviceType = "cpu" | "cuda" | "webgpu";
const DEVICE_TYPES: readonly AutocastDeviceType[] = ["cpu", "cuda", "webgpu"];

/** The cast policy of an op (ATen name, with or without overload) for a device type; undefined if unlisted. */
export function castPolicy(deviceType: AutocastDeviceType, op: string): CastPolicy | undefined {
  return (deviceType === "cpu" ? CPU_TABLE : CUDA_TABLE).get(op);
}

/** The autocast device type of a device name: "cpu"/"reference" → "cpu", "cuda:1" → "cuda". */
export function deviceTypeOf(device: string): string {
  const base = device.split(":")[0] as string;
  return base === "reference" ? "cpu" : base;
}

function checkDeviceType(op: string, deviceType: string): AutocastDeviceType {
  const dt = deviceTypeOf(deviceType);
  if (!(DEVICE_TYPES as readonly string[]).includes(dt))
    throw new ValueError(op, `User specified autocast device_type must be 'cuda', 'cpu' or 'webgpu', got '${deviceType}'`);
  return dt as AutocastDeviceType;
}

// ------------------------------------------------------------------------------------------------
// State (PyTorch keeps it thread-local; JS has one thread per realm).

interface DeviceState {
  enabled: boolean;
  dtype: DType;
}
const state: Record<AutocastDeviceType, DeviceState> = {
  cpu: { enabled: false, dtype: "bfloat16" },
  cuda: { enabled: false, dtype: "float16" },
  webgpu: { enabled: false, dtype: "float16" },
};
let active = false;
let nesting = 0;
let cacheEnabled = true;
const castCache = new Map<Tensor, Tensor>();

const refreshActive = (): void => {
  active = state.cpu.enabled || state.cuda.enabled || state.webgpu.enabled;
};

/** Cheap check for op hooks: is autocast on for any device type? */
export const autocastActive = (): boolean => active;

/**
 * torch.is_autocast_enabled: with no argument, CUDA's flag (PyTorch 1.13's meaning); with a device
 * type, that device type's flag (PyTorch 2's `torch.is_autocast_enabled(device_type)`).
 */
export function isAutocastEnabled(deviceType: string = "cuda"): boolean {
  return state[checkDeviceType("is_autocast_enabled", deviceType)].enabled;
}
/** torch.set_autocast_enabled(enabled) sets CUDA's flag; setAutocastEnabled(deviceType, enabled) any device type's. */
export function setAutocastEnabled(enabled: boolean): void;
export function setAutocastEnabled(deviceType: string, enabled: boolean): void;
export function setAutocastEnabled(a: boolean | string, b?: boolean): void {
  const [dt, on] = typeof a === "boolean" ? ["cuda", a] : [a, Boolean(b)];
  state[checkDeviceType("set_autocast_enabled", dt)].enabled = on;
  refreshActive();
}
/** The lower-precision dtype autocast uses on a device type (bfloat16 on "cpu", float16 on "cuda"/"webgpu" by default). */
export function getAutocastDtype(deviceType: string): DType {
  return state[checkDeviceType("get_autocast_dtype", deviceType)].dtype;
}
export function setAutocastDtype(deviceType: string, dtype: DType): void {
  const dt = checkDeviceType("set_autocast_dtype", deviceType);
  if (dt === "cpu" && dtype !== "bfloat16")
    throw new DTypeError("set_autocast_cpu_dtype", "Currently, AutocastCPU only support Bfloat16 as the autocast_cpu_dtype");
  if (dtype !== "float16" && dtype !== "bfloat16")
    throw new DTypeError("set_autocast_dtype", `the lower-precision dtype must be float16 or bfloat16, got ${dtype}`);
  state[dt].dtype = dtype;
}
export const isAutocastCpuEnabled = (): boolean => state.cpu.enabled;
export const setAutocastCpuEnabled = (enabled: boolean): void => setAutocastEnabled("cpu", enabled);
export const getAutocastCpuDtype = (): DType => state.cpu.dtype;
export const setAutocastCpuDtype = (dtype: DType): void => setAutocastDtype("cpu", dtype);
export const getAutocastGpuDtype = (): DType => state.cuda.dtype;
export const setAutocastGpuDtype = (dtype: DType): void => setAutocastDtype("cuda", dtype);
export const isAutocastCacheEnabled = (): boolean => cacheEnabled;
export function setAutocastCacheEnabled(enabled: boolean): void {
  cacheEnabled = enabled;
}
export const autocastIncrementNesting = (): number => ++nesting;
export const autocastDecrementNesting = (): number => --nesting;
/** torch.clear_autocast_cache: drops (and disposes) the cached weight casts. */
export function clearAutocastCache(): void {
  for (const t of castCache.values()) t.dispose();
  castCache.clear();
}
/** Number of casts held in the cache (for tests and memory accounting). */
export const autocastCacheSize = (): number => castCache.size;

// ------------------------------------------------------------------------------------------------
// Regions

export interface AutocastOptions {
  /** lower-precision dtype; default: the device type's current autocast dtype */
  dtype?: DType;
  /** default true */
  enabled?: boolean;
  /** cache weight casts inside the region; default: the current setting (true unless changed) */
  cacheEnabled?: boolean;
}

/**
 * An autocast region (torch.autocast). Use `torch.autocast(deviceType, opts, fn)`, or keep the object:
 * `const ac = torch.autocast("cpu"); ac.run(fn)`, `ac.enter(); ...; ac.exit()`, or
 * `using _ = torch.autocast("cpu").enter()`.
 */
export class Autocast {
  readonly deviceType: AutocastDeviceType;
  readonly fastDtype: DType;
  readonly enabled: boolean;
  readonly cacheEnabled: boolean;
  private saved: { enabled: boolean; dtype: DType; cacheEnabled: boolean }[] = [];

  constructor(deviceType: string, opts: AutocastOptions = {}) {
    const dt = checkDeviceType("autocast", deviceType);
    this.deviceType = dt;
    let enabled = opts.enabled ?? true;
    if (enabled && dt === "cuda" && !registeredDevices().some((d) => deviceTypeOf(d) === "cuda")) {
      console.warn("User provided device_type of 'cuda', but CUDA is not available. Disabling");
      enabled = false;
    }
    const fast = opts.dtype ?? state[dt].dtype;
    if (dt === "cpu" && fast !== "bfloat16") {
      console.warn(
        "In CPU autocast, but the target dtype is not supported. Disabling autocast.\nCPU Autocast only supports dtype of torch.bfloat16 currently.",
      );
      enabled = false;
    } else if (fast !== "float16" && fast !== "bfloat16") {
      throw new DTypeError("autocast", `the lower-precision dtype must be float16 or bfloat16, got ${fast}`);
    }
    this.fastDtype = fast;
    this.cacheEnabled = opts.cacheEnabled ?? cacheEnabled;
    this.enabled = enabled;
  }

  /** __enter__: returns this, so `using _ = torch.autocast("cpu").enter()` exits at the end of the block. */
  enter(): this {
    // PyTorch 1.13 warns in the constructor, then torch.set_autocast_cpu_dtype refuses in __enter__.
    if (this.deviceType === "cpu" && this.fastDtype !== "bfloat16")
      throw new DTypeError("set_autocast_cpu_dtype", "Currently, AutocastCPU only support Bfloat16 as the autocast_cpu_dtype");
    const s = state[this.deviceType];
    this.saved.push({ enabled: s.enabled, dtype: s.dtype, cacheEnabled });
    s.enabled = this.enabled;
    s.dtype = this.fastDtype;
    refreshActive();
    autocastIncrementNesting();
    cacheEnabled = this.cacheEnabled;
    return this;
  }

  /** __exit__: restores the previous state; leaving the outermost region clears the cast cache. */
  exit(): void {
    const prev = this.saved.pop();
    if (!prev) throw new ValueError("autocast", "exit() without a matching enter()");
    if (autocastDecrementNesting() === 0) clearAutocastCache();
    const s = state[this.deviceType];
    s.enabled = prev.enabled;
    s.dtype = prev.dtype;
    refreshActive();
    cacheEnabled = prev.cacheEnabled;
  }

  [Symbol.dispose](): void {
    this.exit();
  }

  /**
   * Run fn inside the region and return its result. fn should be synchronous (ops are); if it returns
   * a promise, the region stays open until the promise settles, and anything else that runs
   * meanwhile runs inside it too (the state is global, like PyTorch's thread-local state).
   */
  run<R>(fn: () => R): R {
    this.enter();
    let r: R;
    try {
      r = fn();
    } catch (e) {
      this.exit();
      throw e;
    }
    if (r instanceof Promise) return r.finally(() => this.exit()) as R;
    this.exit();
    return r;
  }
}

/**
 * torch.autocast(deviceType, { dtype, enabled, cacheEnabled }, fn): runs fn in an autocast region and
 * returns its result. Without fn, returns the region object (`.run(fn)`, `.enter()`/`.exit()`, `using`).
 */
export function autocast<R>(deviceType: string, opts: AutocastOptions, fn: () => R): R;
export function autocast<R>(deviceType: string, fn: () => R): R;
export function autocast(deviceType: string, opts?: AutocastOptions): Autocast;
export function autocast<R>(deviceType: string, a?: AutocastOptions | (() => R), b?: () => R): R | Autocast {
  const opts = typeof a === "function" ? {} : (a ?? {});
  const fn = typeof a === "function" ? a : b;
  const region = new Autocast(deviceType, opts);
  return fn ? region.run(fn) : region;
}

// ------------------------------------------------------------------------------------------------
// The op hook

const isPlainObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && Object.getPrototypeOf(x) === Object.prototype;

/** First tensor among the arguments (inside arrays and option objects too). */
function firstTensor(args: readonly unknown[]): Tensor | undefined {
  for (const a of args) {
    if (a instanceof Tensor) return a;
    if (Array.isArray(a)) {
      const t = firstTensor(a);
      if (t) return t;
    } else if (isPlainObject(a)) {
      const t = firstTensor(Object.values(a));
      if (t) return t;
    }
  }
  return undefined;
}

/** PyTorch's is_eligible: a defined floating tensor on the region's device type, not float64. */
const eligible = (t: Tensor, dt: AutocastDeviceType): boolean =>
  isFloating(t.dtype) && t.dtype !== "float64" && deviceTypeOf(t.device) === dt;

/**
 * PyTorch's Tensor.is_view() for a leaf. lockstep records a base for detach() too (PyTorch's detach is
 * not a view), so a tensor that aliases its whole base, and every nn.Parameter, count as non-views.
 */
function isView(t: Tensor): boolean {
  const b = t._base;
  if (!b || isParameter(t as unknown)) return false;
  const sameLayout =
    t.offset === b.offset &&
    t.shape.length === b.shape.length &&
    t.shape.every((d, i) => d === b.shape[i] && t.strides[i] === b.strides[i]);
  return !sameLayout;
}

/** PyTorch's cached_cast. */
function cachedCast(t: Tensor, toType: DType, dt: AutocastDeviceType): Tensor {
  if (!eligible(t, dt) || t.dtype === toType) return t;
  const canTryCache =
    toType === state[dt].dtype && t.dtype === "float32" && t.requiresGrad && t.isLeaf && !isView(t) && cacheEnabled;
  if (!canTryCache) return to(t, toType);
  const hit = castCache.get(t);
  if (hit && !hit.isDisposed) return hit;
  const c = to(t, toType);
  castCache.set(t, c);
  return c;
}

/** Applies `f` to every tensor argument (inside arrays and one level of option objects). */
function mapTensors(args: readonly unknown[], f: (t: Tensor) => Tensor): unknown[] {
  return args.map((a) => {
    if (a instanceof Tensor) return f(a);
    if (Array.isArray(a)) return a.some((x) => x instanceof Tensor) ? a.map((x) => (x instanceof Tensor ? f(x) : x)) : a;
    if (isPlainObject(a) && Object.values(a).some((x) => x instanceof Tensor))
      return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v instanceof Tensor ? f(v) : v]));
    return a;
  });
}

function forEachTensor(args: readonly unknown[], f: (t: Tensor) => void): void {
  mapTensors(args, (t) => {
    f(t);
    return t;
  });
}

/** The arguments an op receives inside an autocast region of device type `dt` (policy applied). */
function castArgs(op: string, dt: AutocastDeviceType, policy: CastPolicy, args: readonly unknown[]): unknown[] {
  const lower = state[dt].dtype;
  switch (policy) {
    case "lower_precision_fp":
      return mapTensors(args, (t) => cachedCast(t, lower, dt));
    case "fp32":
      return mapTensors(args, (t) => cachedCast(t, "float32", dt));
    case "promote": {
      // PyTorch's promote_type/prioritize: float32 wins over the lower-precision type; float64 is ignored.
      let toType: DType = lower;
      forEachTensor(args, (t) => {
        if (!eligible(t, dt)) return;
        if (t.dtype === "float32") toType = "float32";
        else if (t.dtype !== lower)
          throw new DTypeError(op, `Unexpected floating ScalarType in at::autocast::prioritize: ${t.dtype} with ${lower}`);
      });
      return mapTensors(args, (t) => cachedCast(t, toType, dt));
    }
    case "fp32_set_opt_dtype": {
      const first = args[0];
      if (!(first instanceof Tensor) || !eligible(first, dt)) return [...args];
      // lockstep passes the optional dtype in the trailing options object.
      const last = args[args.length - 1];
      if (isPlainObject(last)) return last.dtype == null ? [...args.slice(0, -1), { ...last, dtype: "float32" }] : [...args];
      return [...args, { dtype: "float32" }];
    }
    case "fp32_append_dtype": {
      // norm(x, ..., dtype=float32) computes in float32 from x converted to float32: same as norm(x.float()).
      const first = args[0];
      if (!(first instanceof Tensor) || !eligible(first, dt)) return [...args];
      return [to(first, "float32"), ...args.slice(1)];
    }
    case "banned":
      throw new DTypeError(op, BANNED_MESSAGE[op] ?? `${op} is unsafe to autocast`);
  }
}

/**
 * The hook each autocast-aware op calls first:
 *
 *     if (autocastActive()) return autocastOp("matmul", matmul, a, b);
 *
 * `op` is the ATen name. If autocast is on for the device type of the op's tensors, the arguments are
 * cast per the op's policy for that device type, and `fn` runs with autocast off for that device type
 * (so it does not recurse, and ops it calls internally are not autocast), as PyTorch's Autocast kernels do.
 * Otherwise `fn` runs unchanged.
 */
export function autocastOp<A extends unknown[], R>(op: string, fn: (...args: A) => R, ...args: A): R {
  const t = firstTensor(args);
  const dt = t && (deviceTypeOf(t.device) as AutocastDeviceType);
  const s = dt && state[dt];
  if (!s?.enabled) {
    // Autocast is on only for other device types: run the op past its hook.
    const prev = active;
    active = false;
    try {
      return fn(...args);
    } finally {
      active = prev;
    }
  }
  const policy = castPolicy(dt as AutocastDeviceType, op);
  const newArgs = (policy ? castArgs(op, dt as AutocastDeviceType, policy, args) : args) as A;
  s.enabled = false;
  refreshActive();
  try {
    return fn(...newArgs);
  } finally {
    s.enabled = true;
    refreshActive();
  }
}
