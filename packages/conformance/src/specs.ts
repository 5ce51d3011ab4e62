// One declaration per op (or kernel family): how to build its inputs, how to call it, and what each
// backend promises against the reference (default: bitwise, DESIGN §4 portable numerics). Together
// they reach every backend primitive (elementwise IR, reduce, scan, matmul, sort, scatter, casts,
// random fills) through the ops users call, forward and backward.
import type { DType, Tensor } from "@lockstep/core";
import * as torch from "@lockstep/core";
import fc from "fast-check";
import {
  ALL,
  broadcastPairArb,
  type Domain,
  dimArb,
  FLOATS,
  indexArb,
  NUMERIC,
  shapeArb,
  type TensorDesc,
  tensorArb,
} from "./arbitraries.js";
import { GEMM_COMPOSED, GEMM_ORDER, type Promises } from "./promise.js";
import type { OpSpec, SpecCase } from "./runner.js";

const F = torch.nn.functional;
type P = Record<string, unknown>;
const gradSeed = fc.nat(64);
/** A dtype of the list; the first (float32 in the standard lists, the dtype users train in) twice as often as the rest together. */
const dtypeArb = (ds: DType[]) =>
  ds.length > 1
    ? fc.oneof({ weight: 2, arbitrary: fc.constant(ds[0] as DType) }, { weight: 1, arbitrary: fc.constantFrom(...ds.slice(1)) })
    : fc.constantFrom(...ds);

interface Opts {
  dtypes?: DType[];
  grad?: boolean;
  domain?: Domain;
  promises?: Promises;
  maxRank?: number;
}

/** x → f(x) on any shape up to rank 6, any layout. */
function unary(name: string, f: (x: Tensor) => unknown, o: Opts = {}): OpSpec {
  return {
    name,
    arb: dtypeArb(o.dtypes ?? FLOATS).chain((dtype) =>
      shapeArb({ maxRank: o.maxRank ?? 6 }).chain((shape) =>
        fc.record({ inputs: tensorArb(shape, dtype, { domain: o.domain }).map((t) => [t]), params: fc.constant({}), gradSeed }),
      ),
    ),
    run: ([x]) => f(x as Tensor),
    grad: o.grad ?? true,
    promises: o.promises,
  };
}

/** (a, b) → f(a, b) on broadcasting shapes; sometimes b is a JS number, sometimes the dtypes differ (promotion). */
function binary(name: string, f: (a: Tensor, b: Tensor | number) => unknown, o: Opts & { scalar?: boolean } = {}): OpSpec {
  const ds = o.dtypes ?? NUMERIC;
  return {
    name,
    arb: fc
      .record({ da: dtypeArb(ds), db: dtypeArb(ds), same: fc.boolean(), shapes: broadcastPairArb({ maxRank: 5 }) })
      .chain(({ da, db, same, shapes: [sa, sb] }) =>
        fc.record({
          inputs: fc.tuple(tensorArb(sa, da, { domain: o.domain }), tensorArb(sb, same ? da : db, { domain: o.domain })),
          params:
            o.scalar === false
              ? fc.constant({})
              : fc.option(fc.constantFrom(2, -1.5, 0.5, 0, 3), { freq: 4 }).map((s) => ({ scalar: s })),
          gradSeed,
        }),
      ),
    run: ([a, b], p) => f(a as Tensor, p.scalar === null || p.scalar === undefined ? (b as Tensor) : (p.scalar as number)),
    grad: o.grad ?? true,
    promises: o.promises,
  };
}

/** A reduction over a set of dims (or all), with keepdim. */
function reduction(
  name: string,
  f: (x: Tensor, dim: number[] | null, keepdim: boolean) => unknown,
  o: Opts & { single?: boolean } = {},
): OpSpec {
  return {
    name,
    arb: dtypeArb(o.dtypes ?? FLOATS).chain((dtype) =>
      shapeArb({ maxRank: o.maxRank ?? 5, maxNumel: 128, empty: !o.single }).chain((shape) =>
        fc.record({
          inputs: tensorArb(shape, dtype, { domain: o.domain }).map((t) => [t]),
          params: fc.record({
            dim:
              shape.length === 0
                ? fc.constant(null)
                : o.single
                  ? dimArb(shape.length).map((d) => [d])
                  : fc.option(fc.subarray([...shape.keys()], { minLength: 1 }), { freq: 3 }),
            keepdim: fc.boolean(),
          }),
          gradSeed,
        }),
      ),
    ),
    run: ([x], p) => f(x as Tensor, p.dim as number[] | null, p.keepdim as boolean),
    grad: o.grad ?? true,
    promises: o.promises,
  };
}

/** Ops along one dim (softmax, scans, sort): rank ≥ 1, a dim. */
function alongDim(
  name: string,
  f: (x: Tensor, dim: number, p: P) => unknown,
  o: Opts & { params?: fc.Arbitrary<P> } = {},
): OpSpec {
  return {
    name,
    arb: dtypeArb(o.dtypes ?? FLOATS).chain((dtype) =>
      shapeArb({ minRank: 1, maxRank: o.maxRank ?? 4, maxNumel: 128 }).chain((shape) =>
        fc.record({
          inputs: tensorArb(shape, dtype, { domain: o.domain }).map((t) => [t]),
          params: fc.record({ dim: dimArb(shape.length), extra: o.params ?? fc.constant({}) }),
          gradSeed,
        }),
      ),
    ),
    run: ([x], p) => f(x as Tensor, p.dim as number, p.extra as P),
    grad: o.grad ?? true,
    promises: o.promises,
  };
}

/** Cases from an explicit arbitrary of (inputs, params). */
function custom(name: string, arb: fc.Arbitrary<{ inputs: TensorDesc[]; params: P }>, run: OpSpec["run"], o: Opts = {}): OpSpec {
  return {
    name,
    arb: fc.record({ c: arb, gradSeed }).map(({ c, gradSeed }): SpecCase => ({ ...c, gradSeed })),
    run,
    grad: o.grad ?? true,
    promises: o.promises,
  };
}

/** Open bugs on webgpu, owned by core: the spec's `known` entries (it.fails until fixed). */
const SYNC_READBACK = "core: needs synchronous readback, which webgpu has not (DeviceError)";
const t = (x: unknown) => x as Tensor;
const dimOrAll = (d: number[] | null) => (d === null ? undefined : d);

// ---- elementwise ----

const UNARY: OpSpec[] = [
  unary("neg", torch.neg, { dtypes: NUMERIC }),
  unary("abs", torch.abs, { dtypes: NUMERIC }),
  unary("sign", torch.sign, { dtypes: NUMERIC }),
  unary("square", torch.square, { dtypes: NUMERIC }),
  unary("sqrt", torch.sqrt),
  unary("rsqrt", torch.rsqrt),
  unary("reciprocal", torch.reciprocal),
  unary("exp", torch.exp),
  unary("expm1", torch.expm1),
  unary("log", torch.log),
  unary("log1p", torch.log1p),
  unary("log2", torch.log2),
  unary("sin", torch.sin),
  unary("cos", torch.cos),
  unary("tan", torch.tan),
  unary("tanh", torch.tanh),
  unary("sigmoid", torch.sigmoid),
  unary("erf", torch.erf),
  unary("relu", torch.relu),
  unary("gelu", (x) => torch.gelu(x)),
  unary("gelu.tanh", (x) => torch.gelu(x, { approximate: "tanh" } as never)),
  unary("silu", torch.silu),
  unary("softplus", (x) => torch.softplus(x)),
  unary("logsigmoid", F.logsigmoid),
  unary("elu", (x) => F.elu(x)),
  unary("leakyRelu", (x) => F.leakyRelu(x, 0.1)),
  unary("hardtanh", (x) => F.hardtanh(x)),
  unary("floor", torch.floor),
  unary("ceil", torch.ceil),
  unary("round", (x) => torch.round(x)),
  unary("trunc", torch.trunc),
  unary("nanToNum", (x) => torch.nanToNum(x)),
  unary("isnan", torch.isnan, { dtypes: ALL, grad: false }),
  unary("isinf", torch.isinf, { dtypes: ALL, grad: false }),
  unary("isfinite", torch.isfinite, { dtypes: ALL, grad: false }),
  unary("logicalNot", torch.logicalNot, { dtypes: ALL, grad: false }),
];

const BINARY: OpSpec[] = [
  binary("add", (a, b) => torch.add(a, b)),
  binary("add.alpha", (a, b) => torch.add(a, b, { alpha: 0.5 } as never), { dtypes: FLOATS }),
  binary("sub", (a, b) => torch.sub(a, b)),
  binary("mul", (a, b) => torch.mul(a, b)),
  binary("div", (a, b) => torch.div(a, b)),
  binary("div.floor", (a, b) => torch.div(a, b, { roundingMode: "floor" } as never)),
  binary("pow", (a, b) => torch.pow(a, b), { dtypes: FLOATS }),
  {
    ...binary("atan2", (a, b) => torch.atan2(a, b as Tensor), { dtypes: FLOATS, scalar: false }),
    // portable numerics computes lockstep's own atan2 (core/portable/math.ts) everywhere: bitwise
    promises: {
      "webgpu:native": {
        ulp: 1024,
        gradUlp: 1024,
        reason: "the platform's atan2 outside portable numerics (lavapipe: up to ~350 ulp; subnormal results inexact)",
      },
    },
  },
  binary("maximum", (a, b) => torch.maximum(a, b as Tensor), { scalar: false }),
  binary("minimum", (a, b) => torch.minimum(a, b as Tensor), { scalar: false }),
  binary("fmod", (a, b) => torch.fmod(a, b)),
  binary("remainder", (a, b) => torch.remainder(a, b)),
  binary("eq", (a, b) => torch.eq(a, b), { grad: false, dtypes: ALL }),
  binary("ne", (a, b) => torch.ne(a, b), { grad: false, dtypes: ALL }),
  binary("lt", (a, b) => torch.lt(a, b), { grad: false }),
  binary("le", (a, b) => torch.le(a, b), { grad: false }),
  binary("gt", (a, b) => torch.gt(a, b), { grad: false }),
  binary("ge", (a, b) => torch.ge(a, b), { grad: false }),
  binary("logicalAnd", (a, b) => torch.logicalAnd(a, b), { grad: false, dtypes: ALL }),
  binary("logicalOr", (a, b) => torch.logicalOr(a, b), { grad: false, dtypes: ALL }),
  binary("logicalXor", (a, b) => torch.logicalXor(a, b), { grad: false, dtypes: ALL }),
];

const TERNARY: OpSpec[] = [
  custom(
    "where",
    fc.record({ dtype: dtypeArb(NUMERIC), shapes: broadcastPairArb({ maxRank: 4 }) }).chain(({ dtype, shapes: [a, b] }) =>
      fc.record({
        inputs: fc.tuple(tensorArb(a, "bool"), tensorArb(b, dtype), tensorArb(a, dtype)).map((x) => [...x]),
        params: fc.constant({}),
      }),
    ),
    ([c, a, b]) => torch.where(t(c), t(a), t(b)),
  ),
  custom(
    "lerp",
    fc
      .record({ dtype: dtypeArb(["float32", "float64"]), shapes: broadcastPairArb({ maxRank: 4 }) })
      .chain(({ dtype, shapes: [a, b] }) =>
        fc.record({
          inputs: fc.tuple(tensorArb(a, dtype), tensorArb(b, dtype)).map((x) => [...x]),
          params: fc.record({ w: fc.constantFrom(0.25, 0.5, 0.75, 2) }),
        }),
      ),
    ([a, b], p) => torch.lerp(t(a), t(b), p.w as number),
  ),
  custom(
    "clamp",
    fc.record({ dtype: dtypeArb(NUMERIC), shape: shapeArb({ maxRank: 5 }) }).chain(({ dtype, shape }) =>
      fc.record({
        inputs: tensorArb(shape, dtype).map((x) => [x]),
        params: fc.record({ min: fc.option(fc.constantFrom(-1, 0, -2.5)), max: fc.option(fc.constantFrom(1, 3, 0.5)) }),
      }),
    ),
    ([x], p) => torch.clamp(t(x), p.min as number, p.max as number),
  ),
  custom(
    "maskedFill",
    fc.record({ dtype: dtypeArb(NUMERIC), shapes: broadcastPairArb({ maxRank: 4 }) }).chain(({ dtype, shapes: [a, b] }) =>
      fc.record({
        // the mask broadcasts to the input, not the other way round
        inputs: fc.tuple(tensorArb(broadcast(a, b), dtype), tensorArb(b, "bool")).map((x) => [...x]),
        params: fc.record({ v: fc.constantFrom(0, -1, 2.5, Number.NaN) }),
      }),
    ),
    ([x, m], p) => torch.maskedFill(t(x), t(m), p.v as number),
  ),
];

// ---- reductions and scans ----

/** Promise for sums: every backend uses the reference's fixed pairwise tree (DESIGN §4), so bitwise. */
const REDUCTIONS: OpSpec[] = [
  reduction("sum", (x, d, k) => torch.sum(x, dimOrAll(d) as never, k), { dtypes: [...FLOATS, "int32", "int64", "bool"] }),
  reduction("mean", (x, d, k) => torch.mean(x, dimOrAll(d) as never, k)),
  {
    ...reduction("prod", (x, d, k) => (d === null ? torch.prod(x) : torch.prod(x, d[0] as number, k)), {
      dtypes: NUMERIC,
      single: false,
    }),
  },
  reduction("amax", (x, d, k) => torch.amax(x, dimOrAll(d) as never, k), { dtypes: NUMERIC }),
  reduction("amin", (x, d, k) => torch.amin(x, dimOrAll(d) as never, k), { dtypes: NUMERIC }),
  reduction("argmax", (x, d, k) => torch.argmax(x, d?.[0] as never, k), { dtypes: NUMERIC, single: true, grad: false }),
  reduction("argmin", (x, d, k) => torch.argmin(x, d?.[0] as never, k), { dtypes: NUMERIC, single: true, grad: false }),
  reduction("max.dim", (x, d, k) => torch.max(x, d?.[0] as number, k), { dtypes: NUMERIC, single: true }),
  reduction("min.dim", (x, d, k) => torch.min(x, d?.[0] as number, k), { dtypes: NUMERIC, single: true }),
  {
    ...reduction("var", (x, d, k) => torch.var_(x, dimOrAll(d) as never, { keepdim: k })),
    known: { webgpu: "core: var accumulates in float32 on webgpu (no float64), the reference in float64 (1–2 ulp off)" },
  },
  {
    ...reduction("std", (x, d, k) => torch.std(x, dimOrAll(d) as never, { keepdim: k, correction: 0 })),
    known: { webgpu: "core: std accumulates in float32 on webgpu (no float64), the reference in float64 (1 ulp off)" },
  },
  reduction("norm", (x, d, k) => torch.norm(x, 2, dimOrAll(d) as never, k)),
  reduction("norm.p3", (x, d, k) => torch.norm(x, 3, dimOrAll(d) as never, k)),
  reduction("logsumexp", (x, d, k) => torch.logsumexp(x, (d ?? [...x.shape.keys()]) as never, k)),
  reduction("all", (x, d, k) => torch.all(x, d?.[0] as never, k), { dtypes: ALL, grad: false, single: true }),
  reduction("any", (x, d, k) => torch.any(x, d?.[0] as never, k), { dtypes: ALL, grad: false, single: true }),
  reduction("countNonzero", (x, d) => torch.countNonzero(x, dimOrAll(d) as never), { dtypes: ALL, grad: false }),
  alongDim("softmax", (x, d) => torch.softmax(x, d)),
  alongDim("logSoftmax", (x, d) => torch.logSoftmax(x, d)),
  alongDim("cumsum", (x, d) => torch.cumsum(x, d), { dtypes: NUMERIC }),
  alongDim("cumprod", (x, d) => torch.cumprod(x, d), { dtypes: NUMERIC }),
];

// ---- matmul family ----

const mat = (m: number, n: number, dtype: DType) =>
  tensorArb([m, n], dtype, { layouts: ["contiguous", "transposed", "sliced", "expanded"] });
const small = fc.integer({ min: 0, max: 6 });
const MM_DTYPES: DType[] = ["float32", "float64", "float16", "bfloat16"];
const LINALG: OpSpec[] = [
  custom(
    "mm",
    fc
      .record({ m: small, k: small, n: small, dtype: dtypeArb(MM_DTYPES) })
      .chain(({ m, k, n, dtype }) =>
        fc.record({ inputs: fc.tuple(mat(m, k, dtype), mat(k, n, dtype)).map((x) => [...x]), params: fc.constant({}) }),
      ),
    ([a, b]) => torch.mm(t(a), t(b)),
  ),
  custom(
    "bmm",
    fc
      .record({ b: fc.integer({ min: 0, max: 3 }), m: small, k: small, n: small, dtype: dtypeArb(["float32", "float64"]) })
      .chain(({ b, m, k, n, dtype }) =>
        fc.record({
          inputs: fc.tuple(tensorArb([b, m, k], dtype), tensorArb([b, k, n], dtype)).map((x) => [...x]),
          params: fc.constant({}),
        }),
      ),
    ([a, b]) => torch.bmm(t(a), t(b)),
  ),
  custom(
    "matmul.broadcast",
    fc
      .record({
        batch: broadcastPairArb({ maxRank: 3, maxNumel: 8 }),
        m: small,
        k: small,
        n: small,
        vecA: fc.boolean(),
        vecB: fc.boolean(),
      })
      .chain(({ batch: [ba, bb], m, k, n, vecA, vecB }) =>
        fc.record({
          inputs: fc
            .tuple(tensorArb(vecA ? [k] : [...ba, m, k], "float32"), tensorArb(vecB ? [k] : [...bb, k, n], "float32"))
            .map((x) => [...x]),
          params: fc.constant({}),
        }),
      ),
    ([a, b]) => torch.matmul(t(a), t(b)),
  ),
  custom(
    "mv",
    fc.record({ m: small, k: small }).chain(({ m, k }) =>
      fc.record({
        inputs: fc.tuple(mat(m, k, "float32"), tensorArb([k], "float32")).map((x) => [...x]),
        params: fc.constant({}),
      }),
    ),
    ([a, v]) => torch.mv(t(a), t(v)),
  ),
  custom(
    "dot",
    fc
      .record({ k: fc.integer({ min: 0, max: 40 }), dtype: dtypeArb(["float32", "float64"]) })
      .chain(({ k, dtype }) =>
        fc.record({ inputs: fc.tuple(tensorArb([k], dtype), tensorArb([k], dtype)).map((x) => [...x]), params: fc.constant({}) }),
      ),
    ([a, b]) => torch.dot(t(a), t(b)),
  ),
  custom(
    "outer",
    fc.record({ m: small, n: small }).chain(({ m, n }) =>
      fc.record({
        inputs: fc.tuple(tensorArb([m], "float32"), tensorArb([n], "float32")).map((x) => [...x]),
        params: fc.constant({}),
      }),
    ),
    ([a, b]) => torch.outer(t(a), t(b)),
  ),
  custom(
    "linear",
    fc.record({ b: small, i: small, o: small, bias: fc.boolean() }).chain(({ b, i, o, bias }) =>
      fc.record({
        inputs: fc
          .tuple(tensorArb([b, i], "float32"), tensorArb([o, i], "float32"), tensorArb([o], "float32"))
          .map((x) => [...x]),
        params: fc.constant({ bias }),
      }),
    ),
    ([x, w, b], p) => F.linear(t(x), t(w), p.bias ? t(b) : null),
  ),
];

// ---- sort ----

const SORT: OpSpec[] = [
  alongDim("sort", (x, d, p) => torch.sort(x, d, p.descending as boolean, { stable: true }), {
    dtypes: NUMERIC,
    params: fc.record({ descending: fc.boolean() }),
  }),
  alongDim("argsort", (x, d, p) => torch.argsort(x, d, p.descending as boolean, { stable: true }), {
    dtypes: NUMERIC,
    grad: false,
    params: fc.record({ descending: fc.boolean() }),
  }),
  alongDim(
    "topk",
    (x, d, p) => torch.topk(x, Math.min(p.k as number, x.shape[d < 0 ? x.ndim + d : d] as number), d, p.largest as boolean),
    {
      dtypes: ["float32", "float64", "int32", "int64"],
      params: fc.record({ k: fc.integer({ min: 0, max: 4 }), largest: fc.boolean() }),
    },
  ),
];

// ---- indexing ----

/** x of shape S (rank ≥ 1), a dim, and an index tensor along it. */
const gatherArb = (dtype: DType) =>
  shapeArb({ minRank: 1, maxRank: 4, empty: false }).chain((shape) =>
    dimArb(shape.length).chain((dim) => {
      const d = dim < 0 ? dim + shape.length : dim;
      const n = shape[d] as number;
      const idxShape = shape.map((s, i) => (i === d ? 3 : s));
      return fc.record({
        inputs: fc.tuple(tensorArb(shape, dtype), indexArb(idxShape, 0, n - 1), tensorArb(idxShape, dtype)).map((x) => [...x]),
        params: fc.constant({ dim }),
      });
    }),
  );
const INDEXING: OpSpec[] = [
  custom("gather", dtypeArb(NUMERIC).chain(gatherArb), ([x, i], p) => torch.gather(t(x), p.dim as number, t(i))),
  custom("scatter", dtypeArb(NUMERIC).chain(gatherArb), ([x, i, s], p) => torch.scatter(t(x), p.dim as number, t(i), t(s)), {
    grad: false,
  }),
  custom("scatterAdd", dtypeArb(["float32", "float64", "int64"]).chain(gatherArb), ([x, i, s], p) =>
    torch.scatterAdd(t(x), p.dim as number, t(i), t(s)),
  ),
  custom(
    "indexSelect",
    fc
      .record({
        dtype: dtypeArb(NUMERIC),
        shape: shapeArb({ minRank: 1, maxRank: 4, empty: false }),
        k: fc.integer({ min: 0, max: 5 }),
      })
      .chain(({ dtype, shape, k }) =>
        dimArb(shape.length).chain((dim) =>
          fc.record({
            inputs: fc.tuple(tensorArb(shape, dtype), indexArb([k], 0, (shape.at(dim) as number) - 1)).map((x) => [...x]),
            params: fc.constant({ dim }),
          }),
        ),
      ),
    ([x, i], p) => torch.indexSelect(t(x), p.dim as number, t(i)),
  ),
  custom(
    "indexAdd",
    fc
      .record({ shape: shapeArb({ minRank: 1, maxRank: 3, empty: false }), k: fc.integer({ min: 0, max: 5 }) })
      .chain(({ shape, k }) => {
        const src = [k, ...shape.slice(1)];
        return fc.record({
          inputs: fc
            .tuple(tensorArb(shape, "float32"), indexArb([k], 0, (shape[0] as number) - 1), tensorArb(src, "float32"))
            .map((x) => [...x]),
          params: fc.record({ alpha: fc.constantFrom(1, 2, -0.5) }),
        });
      }),
    ([x, i, s], p) => torch.indexAdd(t(x), 0, t(i), t(s), { alpha: p.alpha as number }),
  ),
  custom(
    "indexPut.accumulate",
    fc
      .record({ shape: shapeArb({ minRank: 1, maxRank: 3, empty: false }), k: fc.integer({ min: 0, max: 6 }) })
      .chain(({ shape, k }) =>
        fc.record({
          inputs: fc
            .tuple(
              tensorArb(shape, "float32"),
              indexArb([k], 0, (shape[0] as number) - 1),
              tensorArb([k, ...shape.slice(1)], "float32"),
            )
            .map((x) => [...x]),
          params: fc.record({ accumulate: fc.boolean() }),
        }),
      ),
    ([x, i, v], p) => torch.indexPut(t(x), [t(i)], t(v), p.accumulate as boolean),
    { grad: false },
  ),
  custom(
    "index.advanced",
    fc
      .record({ shape: shapeArb({ minRank: 2, maxRank: 4, empty: false }), k: fc.integer({ min: 0, max: 5 }) })
      .chain(({ shape, k }) =>
        fc.record({
          inputs: fc.tuple(tensorArb(shape, "float32"), indexArb([k], 0, (shape[1] as number) - 1)).map((x) => [...x]),
          params: fc.constant({}),
        }),
      ),
    ([x, i]) => torch.index(t(x), [{ start: null, stop: null, step: null } as never, t(i)]),
  ),
  {
    ...unary("nonzero", (x) => torch.nonzero(x), { dtypes: ["float32", "int32", "bool"], grad: false, maxRank: 4 }),
    known: { webgpu: `${SYNC_READBACK} (nonzero's output size)` },
  },
];

// ---- shape and data movement ----

const SHAPE: OpSpec[] = [
  unary("contiguous", (x) => x.contiguous(), { dtypes: ALL }),
  alongDim("flip", (x, d) => torch.flip(x, [d]), { dtypes: ALL }),
  alongDim("roll", (x, d, p) => torch.roll(x, p.shift as number, d), {
    dtypes: NUMERIC,
    params: fc.record({ shift: fc.integer({ min: -4, max: 4 }) }),
  }),
  alongDim("narrow", (x, d) => x.narrow(d, 0, Math.min(2, x.shape.at(d) as number)), { dtypes: NUMERIC }),
  custom(
    "tril/triu",
    dtypeArb(NUMERIC).chain((dtype) =>
      shapeArb({ minRank: 2, maxRank: 4 }).chain((shape) =>
        fc.record({
          inputs: tensorArb(shape, dtype).map((x) => [x]),
          params: fc.record({ k: fc.integer({ min: -2, max: 2 }), upper: fc.boolean() }),
        }),
      ),
    ),
    ([x], p) => (p.upper ? torch.triu(t(x), p.k as number) : torch.tril(t(x), p.k as number)),
  ),
  custom(
    "cat",
    fc
      .record({ dtype: dtypeArb(NUMERIC), shape: shapeArb({ minRank: 1, maxRank: 4 }), n: fc.integer({ min: 1, max: 3 }) })
      .chain(({ dtype, shape, n }) =>
        dimArb(shape.length).chain((dim) =>
          fc.record({ inputs: fc.array(tensorArb(shape, dtype), { minLength: n, maxLength: n }), params: fc.constant({ dim }) }),
        ),
      ),
    (xs, p) => torch.cat(xs, p.dim as number),
  ),
  custom(
    "stack",
    fc
      .record({ dtype: dtypeArb(NUMERIC), shape: shapeArb({ maxRank: 4 }), n: fc.integer({ min: 1, max: 3 }) })
      .chain(({ dtype, shape, n }) =>
        fc.record({
          inputs: fc.array(tensorArb(shape, dtype), { minLength: n, maxLength: n }),
          params: fc.record({ dim: fc.integer({ min: 0, max: shape.length }) }),
        }),
      ),
    (xs, p) => torch.stack(xs, p.dim as number),
  ),
  custom(
    "repeat",
    fc.record({ dtype: dtypeArb(NUMERIC), shape: shapeArb({ maxRank: 3, maxNumel: 24 }) }).chain(({ dtype, shape }) =>
      fc.record({
        inputs: tensorArb(shape, dtype).map((x) => [x]),
        params: fc.record({
          reps: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: shape.length, maxLength: shape.length + 1 }),
        }),
      }),
    ),
    ([x], p) => t(x).repeat(...(p.reps as number[])),
  ),
  custom(
    "expand.contiguous",
    fc
      .record({ dtype: dtypeArb(NUMERIC), shapes: broadcastPairArb({ maxRank: 4 }) })
      .chain(({ dtype, shapes: [a, b] }) =>
        fc.record({ inputs: tensorArb(b, dtype).map((x) => [x]), params: fc.constant({ to: broadcast(a, b) }) }),
      ),
    ([x], p) =>
      t(x)
        .expand(...(p.to as number[]))
        .contiguous(),
  ),
  custom(
    "diag",
    fc.record({ dtype: dtypeArb(NUMERIC), m: small, n: small, vec: fc.boolean() }).chain(({ dtype, m, n, vec }) =>
      fc.record({
        inputs: tensorArb(vec ? [m] : [m, n], dtype).map((x) => [x]),
        params: fc.record({ k: fc.integer({ min: -2, max: 2 }) }),
      }),
    ),
    ([x], p) => torch.diag(t(x), p.k as number),
  ),
];

function broadcast(a: number[], b: number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    return x === 1 ? y : x;
  });
}

// ---- casts ----

const CASTS: OpSpec[] = [
  custom(
    "to(dtype)",
    fc
      .record({ from: dtypeArb(ALL), to: dtypeArb(ALL), shape: shapeArb({ maxRank: 4 }) })
      .chain(({ from, to, shape }) => fc.record({ inputs: tensorArb(shape, from).map((x) => [x]), params: fc.constant({ to }) })),
    ([x], p) => t(x).to(p.to as DType),
  ),
];

// ---- convolution and pooling ----

const CONV: OpSpec[] = [
  custom(
    "conv2d",
    fc
      .record({
        n: fc.integer({ min: 0, max: 2 }),
        g: fc.integer({ min: 1, max: 2 }),
        cin: fc.integer({ min: 1, max: 2 }),
        cout: fc.integer({ min: 1, max: 2 }),
        h: fc.integer({ min: 1, max: 6 }),
        w: fc.integer({ min: 1, max: 6 }),
        kh: fc.integer({ min: 1, max: 3 }),
        kw: fc.integer({ min: 1, max: 3 }),
        stride: fc.integer({ min: 1, max: 2 }),
        padding: fc.integer({ min: 0, max: 1 }),
        dilation: fc.integer({ min: 1, max: 2 }),
        bias: fc.boolean(),
      })
      .filter((c) => c.h + 2 * c.padding >= c.dilation * (c.kh - 1) + 1 && c.w + 2 * c.padding >= c.dilation * (c.kw - 1) + 1)
      .chain((c) =>
        fc.record({
          inputs: fc
            .tuple(
              tensorArb([c.n, c.cin * c.g, c.h, c.w], "float32"),
              tensorArb([c.cout * c.g, c.cin, c.kh, c.kw], "float32"),
              tensorArb([c.cout * c.g], "float32"),
            )
            .map((x) => [...x]),
          params: fc.constant({ stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.g, bias: c.bias }),
        }),
      ),
    ([x, w, b], p) =>
      F.conv2d(t(x), t(w), p.bias ? t(b) : null, {
        stride: p.stride,
        padding: p.padding,
        dilation: p.dilation,
        groups: p.groups,
      } as never),
  ),
  custom(
    "conv1d",
    fc
      .record({
        n: fc.integer({ min: 1, max: 2 }),
        cin: fc.integer({ min: 1, max: 3 }),
        cout: fc.integer({ min: 1, max: 3 }),
        l: fc.integer({ min: 3, max: 8 }),
        k: fc.integer({ min: 1, max: 3 }),
      })
      .chain((c) =>
        fc.record({
          inputs: fc
            .tuple(tensorArb([c.n, c.cin, c.l], "float32"), tensorArb([c.cout, c.cin, c.k], "float32"))
            .map((x) => [...x]),
          params: fc.record({ padding: fc.integer({ min: 0, max: 1 }), stride: fc.integer({ min: 1, max: 2 }) }),
        }),
      ),
    ([x, w], p) => F.conv1d(t(x), t(w), null, { stride: p.stride, padding: p.padding } as never),
  ),
  custom(
    "maxPool2d",
    fc
      .record({
        n: fc.integer({ min: 1, max: 2 }),
        c: fc.integer({ min: 1, max: 2 }),
        h: fc.integer({ min: 2, max: 6 }),
        w: fc.integer({ min: 2, max: 6 }),
      })
      .chain((s) =>
        fc.record({
          inputs: tensorArb([s.n, s.c, s.h, s.w], "float32").map((x) => [x]),
          params: fc.record({
            k: fc.integer({ min: 1, max: 2 }),
            stride: fc.integer({ min: 1, max: 2 }),
            ceilMode: fc.boolean(),
          }),
        }),
      ),
    ([x], p) => F.maxPool2d(t(x), p.k as number, { stride: p.stride, ceilMode: p.ceilMode } as never),
  ),
  custom(
    "avgPool2d",
    fc
      .record({
        n: fc.integer({ min: 1, max: 2 }),
        c: fc.integer({ min: 1, max: 2 }),
        h: fc.integer({ min: 2, max: 6 }),
        w: fc.integer({ min: 2, max: 6 }),
      })
      .chain((s) =>
        fc.record({
          inputs: tensorArb([s.n, s.c, s.h, s.w], "float32").map((x) => [x]),
          params: fc.record({ k: fc.integer({ min: 1, max: 2 }), padding: fc.integer({ min: 0, max: 1 }) }),
        }),
      ),
    ([x], p) =>
      F.avgPool2d(t(x), p.k as number, { padding: Math.min(p.padding as number, Math.floor((p.k as number) / 2)) } as never),
  ),
  custom(
    "adaptiveAvgPool2d",
    fc
      .record({
        h: fc.integer({ min: 1, max: 6 }),
        w: fc.integer({ min: 1, max: 6 }),
        oh: fc.integer({ min: 1, max: 4 }),
        ow: fc.integer({ min: 1, max: 4 }),
      })
      .chain((s) =>
        fc.record({
          inputs: tensorArb([1, 2, s.h, s.w], "float32").map((x) => [x]),
          params: fc.constant({ size: [s.oh, s.ow] }),
        }),
      ),
    ([x], p) => F.adaptiveAvgPool2d(t(x), p.size as number[]),
  ),
];

// ---- nn building blocks ----

const NN: OpSpec[] = [
  custom(
    "layerNorm",
    fc.record({ b: small, d: fc.integer({ min: 1, max: 8 }) }).chain(({ b, d }) =>
      fc.record({
        inputs: fc.tuple(tensorArb([b, d], "float32"), tensorArb([d], "float32"), tensorArb([d], "float32")).map((x) => [...x]),
        params: fc.constant({}),
      }),
    ),
    ([x, w, b]) => F.layerNorm(t(x), [t(x).shape[1] as number], t(w), t(b)),
  ),
  custom(
    "crossEntropy",
    fc.record({ b: fc.integer({ min: 1, max: 6 }), c: fc.integer({ min: 1, max: 6 }) }).chain(({ b, c }) =>
      fc.record({
        inputs: fc.tuple(tensorArb([b, c], "float32", { domain: "finite" }), indexArb([b], 0, c - 1)).map((x) => [...x]),
        params: fc.record({ reduction: fc.constantFrom("mean", "sum", "none"), smoothing: fc.constantFrom(0, 0.1) }),
      }),
    ),
    ([x, y], p) => F.crossEntropy(t(x), t(y), { reduction: p.reduction, labelSmoothing: p.smoothing } as never),
    { grad: true },
  ),
  custom(
    "mlp.crossEntropy",
    // autograd through a small network on the device: linear → relu → linear → cross entropy, every
    // parameter's gradient compared
    fc
      .record({
        b: fc.integer({ min: 1, max: 5 }),
        i: fc.integer({ min: 1, max: 6 }),
        h: fc.integer({ min: 1, max: 8 }),
        c: fc.integer({ min: 1, max: 4 }),
      })
      .chain(({ b, i, h, c }) =>
        fc.record({
          inputs: fc
            .tuple(
              tensorArb([b, i], "float32", { domain: "plain" }),
              indexArb([b], 0, c - 1),
              tensorArb([h, i], "float32", { domain: "plain" }),
              tensorArb([h], "float32", { domain: "plain" }),
              tensorArb([c, h], "float32", { domain: "plain" }),
              tensorArb([c], "float32", { domain: "plain" }),
            )
            .map((x) => [...x]),
          params: fc.constant({}),
        }),
      ),
    ([x, y, w1, b1, w2, b2]) => F.crossEntropy(F.linear(torch.relu(F.linear(t(x), t(w1), t(b1))), t(w2), t(b2)), t(y)),
  ),
  custom(
    "mseLoss",
    shapeArb({ maxRank: 3 }).chain((shape) =>
      fc.record({
        inputs: fc.tuple(tensorArb(shape, "float32"), tensorArb(shape, "float32")).map((x) => [...x]),
        params: fc.record({ reduction: fc.constantFrom("mean", "sum", "none") }),
      }),
    ),
    ([a, b], p) => F.mseLoss(t(a), t(b), { reduction: p.reduction } as never),
  ),
  custom(
    "embedding",
    fc
      .record({ v: fc.integer({ min: 1, max: 6 }), d: fc.integer({ min: 1, max: 4 }), k: fc.integer({ min: 0, max: 6 }) })
      .chain(({ v, d, k }) =>
        fc.record({
          inputs: fc.tuple(indexArb([k], 0, v - 1), tensorArb([v, d], "float32")).map((x) => [...x]),
          params: fc.constant({}),
        }),
      ),
    ([i, w]) => F.embedding(t(i), t(w)),
  ),
];

// ---- creation on the device ----

const CREATION: OpSpec[] = [
  custom(
    "arange",
    fc
      .record({
        start: fc.integer({ min: -5, max: 5 }),
        n: fc.integer({ min: 0, max: 20 }),
        step: fc.constantFrom(1, 2, 0.5, -0.25, 0.1),
        dtype: dtypeArb(NUMERIC),
      })
      .map((p) => ({
        inputs: [],
        params: p,
      })),
    (_, p, ctx) =>
      torch.arange(p.start as number, (p.start as number) + (p.n as number) * (p.step as number), p.step as number, {
        dtype: p.dtype as DType,
        device: ctx.device,
      }),
    { grad: false },
  ),
  custom(
    "linspace",
    fc
      .record({
        a: fc.double({ min: -10, max: 10, noNaN: true }),
        b: fc.double({ min: -10, max: 10, noNaN: true }),
        n: fc.integer({ min: 0, max: 20 }),
        dtype: dtypeArb(FLOATS),
      })
      .map((p) => ({
        inputs: [],
        params: p,
      })),
    (_, p, ctx) => torch.linspace(p.a as number, p.b as number, p.n as number, { dtype: p.dtype as DType, device: ctx.device }),
    { grad: false },
  ),
  custom(
    "eye/full/zeros/ones",
    fc
      .record({
        n: small,
        m: small,
        v: fc.constantFrom(0, -0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 3e38),
        dtype: dtypeArb(FLOATS),
      })
      .map((p) => ({
        inputs: [],
        params: p,
      })),
    (_, p, ctx) => {
      const o = { dtype: p.dtype as DType, device: ctx.device };
      return [
        torch.eye(p.n as number, p.m as number, o),
        torch.full([p.n as number, p.m as number], p.v as number, o),
        torch.zeros([p.n as number], o),
        torch.ones([p.m as number], o),
      ];
    },
    { grad: false },
  ),
];

const ALL_OPS: OpSpec[] = [
  ...UNARY,
  ...BINARY,
  ...TERNARY,
  ...REDUCTIONS,
  ...LINALG,
  ...SORT,
  ...INDEXING,
  ...SHAPE,
  ...CASTS,
  ...CONV,
  ...NN,
  ...CREATION,
];

/** Sums of products: the fast CPU backend hands them to BLAS, whose order is promised as GEMM_ORDER. */
const GEMM_SPECS = new Set(["mm", "bmm", "matmul.broadcast", "mv", "dot", "linear", "conv1d", "conv2d"]);
/** Networks of such ops: GEMM_COMPOSED. */
const COMPOSED_SPECS = new Set(["mlp.crossEntropy"]);

export const SPECS: OpSpec[] = ALL_OPS.map((s) =>
  GEMM_SPECS.has(s.name)
    ? { ...s, promises: { ...GEMM_ORDER, ...s.promises } }
    : COMPOSED_SPECS.has(s.name)
      ? { ...s, promises: { ...GEMM_COMPOSED, ...s.promises } }
      : s,
);

/** Guard against accidental duplicates (the report is keyed by name). */
const seen = new Set<string>();
for (const s of SPECS) {
  if (seen.has(s.name)) throw new Error(`duplicate spec ${s.name}`);
  seen.add(s.name);
}
