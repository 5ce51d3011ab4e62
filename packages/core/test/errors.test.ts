// Typed errors (each names the op, the shapes/dtypes/devices involved and what would be valid), and
// a fast-check fuzz test: random op chains over random shapes (0-sized, broadcastable or not),
// dtypes, layouts and arguments either return well-formed tensors (checked against small oracles)
// or throw a torch.LockstepError — never a plain TypeError/RangeError, a crash or a hang.
import * as torch from "@lockstep/core";
import {
  AutogradError,
  DeviceError,
  DTypeError,
  IndexError,
  LockstepError,
  ShapeError,
  type Tensor,
  ValueError,
} from "@lockstep/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/** The error thrown by fn (fails the test if nothing is thrown). */
const caught = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  return expect.fail("expected an error");
};
/** fn throws an instance of `cls` whose message matches every pattern, with `op` set. */
const expectTyped = (fn: () => unknown, cls: new (...a: never[]) => LockstepError, op: string, ...patterns: RegExp[]): void => {
  const e = caught(fn);
  expect(e).toBeInstanceOf(cls);
  expect(e).toBeInstanceOf(LockstepError);
  expect(e).toBeInstanceOf(Error);
  expect(e.name).toBe(cls.name);
  expect((e as LockstepError).op).toBe(op);
  expect(e.message.startsWith(`${op}: `)).toBe(true);
  for (const p of patterns) expect(e.message).toMatch(p);
};

describe("shape errors", () => {
  it("broadcasting mismatch names the op and both shapes", () => {
    const a = torch.zeros([2, 3]);
    const b = torch.zeros([4]);
    expectTyped(() => a.add(b), ShapeError, "add", /\[2, 3\]/, /\[4\]/, /must match or be 1/);
    expectTyped(() => torch.mul(a, torch.zeros([3, 3])), ShapeError, "mul", /\[2, 3\]/, /\[3, 3\]/);
    expectTyped(() => torch.maximum(a, b), ShapeError, "maximum", /\[2, 3\]/, /\[4\]/);
    expectTyped(() => torch.where(torch.ones([2, 3]).gt(0), a, b), ShapeError, "where", /\[4\]/);
    expectTyped(() => a.eq(torch.zeros([2, 2])), ShapeError, "eq");
  });

  it("an in-place op cannot change the shape of its output", () => {
    expectTyped(() => torch.zeros([3]).add_(torch.zeros([2, 3])), ShapeError, "add_", /\[3\]/, /\[2, 3\]/);
  });

  it("matmul inner-size mismatch names both shapes", () => {
    expectTyped(
      () => torch.zeros([2, 3]).matmul(torch.zeros([4, 5])),
      ShapeError,
      "matmul",
      /2x3 and 4x5/,
      /\[2, 3\]/,
      /\[4, 5\]/,
    );
    expectTyped(() => torch.zeros([2, 3]).mm(torch.zeros([2, 3])), ShapeError, "mm", /2x3 and 2x3/);
    expectTyped(() => torch.zeros([2, 2, 3]).bmm(torch.zeros([3, 3, 2])), ShapeError, "bmm", /\[2, 2, 3\]/, /\[3, 3, 2\]/);
    expectTyped(() => torch.zeros([3]).dot(torch.zeros([4])), ShapeError, "dot", /\[3\]/, /\[4\]/);
    expectTyped(() => torch.zeros([2, 3]).mv(torch.zeros([2])), ShapeError, "matmul");
    expectTyped(() => torch.zeros([2, 2, 3]).matmul(torch.zeros([3, 3, 1])), ShapeError, "matmul", /cannot be broadcast/);
    expectTyped(() => torch.zeros([]).matmul(torch.zeros([2])), ShapeError, "matmul", /at least 1D/);
  });

  it("view of non-viewable strides says to use reshape", () => {
    const x = torch.zeros([2, 3]).t();
    expectTyped(() => x.view([6]), ShapeError, "view", /\[3, 2\]/, /stride \[1, 3\]/, /reshape/);
    expect(x.reshape([6]).shape).toEqual([6]);
  });

  it("view/reshape/expand/cat/stack size errors", () => {
    expectTyped(() => torch.zeros([2, 3]).view([4, 2]), ShapeError, "view", /\[4, 2\]/, /size 6/);
    expectTyped(() => torch.zeros([2, 3]).reshape([-1, -1]), ShapeError, "reshape", /only one dimension can be inferred/);
    expectTyped(() => torch.zeros([2, 3]).expand([4, 3]), ShapeError, "expand", /\(4\)/, /\(2\)/);
    expectTyped(() => torch.cat([torch.zeros([2, 3]), torch.zeros([2, 4])]), ShapeError, "cat", /\[2, 3\]/, /\[2, 4\]/);
    expectTyped(() => torch.stack([torch.zeros([2]), torch.zeros([3])]), ShapeError, "stack", /\[2\]/, /\[3\]/);
    expectTyped(() => torch.zeros([4]).split([1, 2]), ShapeError, "split", /sum to/);
    expectTyped(() => torch.zeros([2]).tril(), ShapeError, "tril", /at least 2 dimensions/);
    expectTyped(
      () =>
        torch
          .zeros([2, 3])
          .trace()
          .add(torch.zeros([2, 2, 2]).trace()),
      ShapeError,
      "trace",
    );
    expectTyped(() => torch.zeros([2, 3]).matrixPower(2), ShapeError, "matrix_power", /square/);
    expectTyped(() => torch.zeros([2, 3]).permute([0]), ShapeError, "permute");
  });

  it("zeros/ones refuse negative or fractional sizes; torch.tensor refuses ragged lists", () => {
    expectTyped(() => torch.zeros([2, -1]), ShapeError, "zeros", /non-negative integers/);
    expectTyped(() => torch.ones([1.5]), ShapeError, "ones");
    expectTyped(() => torch.tensor([[1, 2], [3]] as number[][]), ShapeError, "tensor", /length 2/);
  });
});

describe("dtype errors", () => {
  it("mean/var/std of integer tensors", () => {
    expectTyped(() => torch.tensor([1, 2, 3]).mean(), DTypeError, "mean", /int64/, /floating point/);
    expectTyped(() => torch.tensor([1, 2, 3], { dtype: "int32" }).var(), DTypeError, "var", /int32/);
    expectTyped(() => torch.tensor([true]).std(), DTypeError, "std", /bool/);
    // ...but an explicit float dtype is valid, as in PyTorch.
    expect(torch.tensor([1, 2, 3]).mean(undefined, false, { dtype: "float64" }).itemSync()).toBe(2);
  });

  it("requires grad on integer tensors", () => {
    expectTyped(() => torch.tensor([1, 2], { requiresGrad: true }), DTypeError, "tensor", /int64/, /floating point/);
    expectTyped(() => torch.zeros([2], { dtype: "int32", requiresGrad: true }), DTypeError, "tensor", /int32/);
    const e = caught(() => torch.tensor([1, 2]).requiresGrad_());
    expect(e).toBeInstanceOf(LockstepError);
    expect(e.message).toMatch(/int64/);
  });

  // INCONSISTENCY (src/ops/convert.ts requiresGrad_): the same mistake is a DTypeError through
  // torch.tensor({ requiresGrad: true }) but a ValueError through requiresGrad_().
  it("requiresGrad_() on an integer tensor is a DTypeError too", () => {
    expect(() => torch.tensor([1, 2]).requiresGrad_()).toThrow(DTypeError);
  });

  it("other dtype errors name the op and the dtypes", () => {
    expectTyped(
      () => torch.zeros([2, 2]).matmul(torch.zeros([2, 2], { dtype: "float64" })),
      DTypeError,
      "matmul",
      /float32/,
      /float64/,
    );
    expectTyped(() => torch.where(torch.tensor([1, 0]), torch.zeros([2]), 1), DTypeError, "where", /bool/, /int64/);
    expectTyped(() => torch.zeros([2]).maskedFill(torch.tensor([1, 0]), 1), DTypeError, "masked_fill", /bool/);
    expectTyped(() => torch.tensor([true]).sub(torch.tensor([false])), DTypeError, "sub", /bool/);
    expectTyped(() => torch.tensor([1]).add(torch.tensor([1]), { alpha: 0.5 }), DTypeError, "add", /alpha/);
    expectTyped(() => torch.tensor([1, 2]).add_(0.5), DTypeError, "add_", /float32/, /int64/);
    expectTyped(() => torch.tensor([1, 2]).lerp(torch.tensor([1, 2]), 0.5), DTypeError, "lerp");
    expectTyped(() => torch.zeros([2]).add("1" as unknown as number), DTypeError, "add", /string/);
    expectTyped(() => torch.tensor(["a"] as unknown as number[]), DTypeError, "tensor", /string/);
    expectTyped(
      () => torch.autograd.gradcheck((a) => a, [torch.zeros([1], { requiresGrad: true })]),
      DTypeError,
      "gradcheck",
      /float64/,
    );
  });
});

describe("index errors", () => {
  it("dims out of range say which range is valid", () => {
    const x = torch.zeros([2, 3]);
    expectTyped(() => x.sum(2), IndexError, "sum", /dim 2/, /\[-2, 1\]/);
    expectTyped(() => x.softmax(-3), IndexError, "softmax", /\[-2, 1\]/);
    expectTyped(() => x.transpose(0, 5), IndexError, "transpose");
    expectTyped(() => x.unsqueeze(4), IndexError, "unsqueeze", /\[-3, 2\]/);
    expectTyped(() => x.squeeze(2), IndexError, "squeeze");
    expectTyped(() => x.cumsum(2), IndexError, "cumsum");
    expectTyped(() => x.size(2), IndexError, "size");
    expectTyped(() => x.flatten(1, 0), IndexError, "flatten");
    expectTyped(() => x.permute([0, 0]), IndexError, "permute", /repeated/);
    expectTyped(() => x.sum([0, 0]), IndexError, "sum", /multiple times/);
    expectTyped(() => x.diagonal(0, 1, 1), IndexError, "diagonal");
    expectTyped(() => torch.cat([x, x], 2), IndexError, "cat");
  });

  it("indices out of range name the index and the size", () => {
    const x = torch.zeros([2, 3]);
    expectTyped(() => x.select(1, 3), IndexError, "select", /index 3/, /size 3/);
    expectTyped(() => x.select(0, -3), IndexError, "select");
    expectTyped(() => x.narrow(1, 2, 2), IndexError, "narrow", /exceeds dimension size \(3\)/);
    expectTyped(() => x.asStrided([2, 2], [3, 2], 3), IndexError, "as_strided", /storage/);
    expectTyped(() => torch.zeros([0, 3]).amax(0), IndexError, "amax", /non-zero size/);
    expectTyped(() => torch.zeros([0]).max(), IndexError, "max");
    expectTyped(() => torch.zeros([0]).argmax(), IndexError, "argmax");
  });
});

describe("device errors", () => {
  const ref = torch.zeros([1])._storage.backend;

  it("an unknown device lists the registered ones", () => {
    expectTyped(() => torch.zeros([2], { device: "nope" }), DeviceError, "device", /'nope'/, /cpu/, /reference/);
    expectTyped(() => torch.zeros([2]).to("nope"), DeviceError, "to", /'nope'/);
  });

  it("tensors on different devices cannot be combined (a second device name for the reference backend)", () => {
    torch.registerDevice("other", ref);
    expect(torch.registeredDevices()).toContain("other");
    const a = torch.ones([2], { device: "other" });
    const b = torch.ones([2]);
    expect(a.device).toBe("other");
    expectTyped(() => a.add(b), DeviceError, "add", /other/, /cpu/, /\.to\(/);
    expectTyped(() => b.mul(a), DeviceError, "mul", /cpu/, /other/);
    expectTyped(() => a.matmul(b), DeviceError, "matmul", /other/, /cpu/);
    expectTyped(() => torch.where(b.gt(0), a, b), DeviceError, "where");
    // Moving one side makes it valid; a JS scalar is device-free.
    expect(Array.from(a.to("cpu").add(b).dataSync() as Float32Array)).toEqual([2, 2]);
    expect(a.add(1).device).toBe("other");
    expect(String(a)).toMatch(/device='other'/);
  });

  // Ops that build their output outside `elementwise` must check devices too (PyTorch: RuntimeError
  // "Expected all tensors to be on the same device").
  it("cat/stack of tensors on different devices is a DeviceError", () => {
    torch.registerDevice("other", ref);
    const a = torch.ones([2], { device: "other" });
    const b = torch.ones([2]);
    expect(() => torch.cat([a, b])).toThrow(DeviceError);
    expect(() => torch.stack([b, a])).toThrow(DeviceError);
  });
});

describe("value and autograd errors", () => {
  it("item() on a multi-element tensor says how many elements it has", async () => {
    expectTyped(() => torch.zeros([3]).itemSync(), ValueError, "item", /3 elements/, /exactly 1/);
    expectTyped(() => torch.zeros([0]).itemSync(), ValueError, "item", /0 elements/);
    await expect(torch.zeros([2, 2]).item()).rejects.toBeInstanceOf(ValueError);
    expect(torch.zeros([1, 1, 1]).add(7).itemSync()).toBe(7);
  });

  it("option values out of their domain", () => {
    expectTyped(() => torch.zeros([2]).chunk(0), ValueError, "chunk", /positive/);
    expectTyped(() => torch.zeros([2]).slice(0, 0, 2, 0), ValueError, "slice", /positive/);
    expectTyped(() => torch.zeros([2]).clamp(), ValueError, "clamp", /at least one/);
    expectTyped(() => torch.gelu(torch.zeros([2]), { approximate: "fast" as "tanh" }), ValueError, "gelu", /'none' or 'tanh'/);
    expectTyped(() => torch.div(torch.zeros([2]), 2, { roundingMode: "ceil" as "floor" }), ValueError, "div", /trunc/);
    expectTyped(() => torch.tensor([4]).div(torch.tensor([0]), { roundingMode: "floor" }), ValueError, "div", /division by zero/);
    expectTyped(() => torch.tensor([4]).pow(-1), ValueError, "pow", /negative integer powers/);
    expectTyped(() => torch.arange(0, 10, 0), ValueError, "arange", /nonzero/);
    expectTyped(() => torch.cat([]), ValueError, "cat", /non-empty/);
  });

  it("autograd misuse", () => {
    expectTyped(() => torch.zeros([2]).sum().backward(), AutogradError, "backward", /does not require grad/);
    const x = torch.zeros([2], { requiresGrad: true });
    expectTyped(() => x.add_(1), AutogradError, "add_", /leaf Variable/);
    expectTyped(() => x.mul(2).backward(), AutogradError, "backward", /scalar outputs/, /\[2\]/);
  });

  // NOT TYPED (src/dtype.ts setDefaultDtype, src/memory.ts tidy): plain TypeErrors.
  it("setDefaultDtype with an unsupported dtype throws a LockstepError (got a plain TypeError)", () => {
    expect(() => torch.setDefaultDtype("int32")).toThrow(LockstepError);
  });
  it("tidy with an async callback throws a LockstepError (got a plain TypeError)", () => {
    expect(() => torch.tidy((() => Promise.resolve(1)) as unknown as () => number)).toThrow(LockstepError);
  });
});

// ---- bugs found by the fuzz test, as minimal reproducers (each marked it.fails until fixed) ----
describe("known non-typed errors and silent wrong results", () => {
  // src/ops/creation.ts encodeValues: BigInt(Math.trunc(NaN)) throws a plain RangeError.
  // PyTorch casts (torch.tensor([nan], dtype=torch.int64) → tensor([-9223372036854775808])); either a
  // value or a typed error is acceptable, a RangeError is not.
  it("torch.tensor([NaN | ±Infinity], { dtype: 'int64' }) does not throw a plain RangeError", () => {
    for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])
      try {
        torch.tensor([v], { dtype: "int64" });
      } catch (e) {
        expect(e).toBeInstanceOf(LockstepError);
      }
  });
  it("torch.full([2], NaN, { dtype: 'int64' }) does not throw a plain RangeError", () => {
    try {
      torch.full([2], Number.NaN, { dtype: "int64" });
    } catch (e) {
      expect(e).toBeInstanceOf(LockstepError);
    }
  });
  // src/ops/elementwise.ts maskedFill: the float value reaches a BigInt conversion for int64 inputs.
  // PyTorch: tensor([3, -3]).masked_fill(mask, 0.5) → tensor([0, -3]).
  it("maskedFill of an int64 tensor with a fractional value casts it (PyTorch: tensor([0, -3]))", () => {
    const y = torch.tensor([3, -3]).maskedFill(torch.tensor([true, false]), 0.5);
    expect(Array.from(y.dataSync(), Number)).toEqual([0, -3]);
  });
  // src/ops/views.ts narrow/select/slice, src/ops/shapecopy.ts roll, src/ops/views.ts asStrided:
  // fractional starts/indices/steps/shifts and negative strides are not validated; the view then
  // reads outside the storage or between elements (undefined → NaN / 0). PyTorch raises TypeError
  // for non-integers and "as_strided: Negative strides are not supported".
  const nonIntegerArgs: [string, () => Tensor][] = [
    ["narrow(0, 0.5, 2)", () => torch.arange(4, { dtype: "float32" }).narrow(0, 0.5, 2)],
    ["select(0, 1.5)", () => torch.arange(4, { dtype: "float32" }).select(0, 1.5)],
    ["slice(0, 0, 4, 1.5)", () => torch.arange(4, { dtype: "float32" }).slice(0, 0, 4, 1.5)],
    ["slice(0, 0.5)", () => torch.arange(4, { dtype: "float32" }).slice(0, 0.5)],
    ["roll(1.5, 0)", () => torch.arange(4, { dtype: "float32" }).roll(1.5, 0)],
    ["asStrided([2], [-1])", () => torch.arange(4, { dtype: "float32" }).asStrided([2], [-1])],
    ["asStrided([2], [1.5])", () => torch.arange(4, { dtype: "float32" }).asStrided([2], [1.5])],
  ];
  for (const [name, f] of nonIntegerArgs)
    it(`${name} throws a LockstepError instead of reading between/outside elements`, () => {
      expect(f).toThrow(LockstepError);
    });
  // src/ops/creation.ts full: the fill value reaches BigInt() for int64 (PyTorch truncates:
  // torch.full([2], 0.5, dtype=torch.int64) → tensor([0, 0])).
  it("full([2], 0.5, { dtype: 'int64' }) truncates like PyTorch (no plain RangeError)", () => {
    expect(Array.from(torch.full([2], 0.5, { dtype: "int64" }).dataSync(), Number)).toEqual([0, 0]);
  });
  // src/ops/creation.ts eye: sizes are not validated. eye(-1) returns shape [-1, -1] with numel 1;
  // eye(2, -3) throws a plain RangeError (Invalid typed array length). PyTorch: "n must be greater
  // or equal to 0, got -1".
  it("eye(-1) is a typed error", () => {
    expect(() => torch.eye(-1)).toThrow(LockstepError);
  });
  it("eye(2, -3) is a typed error", () => {
    expect(() => torch.eye(2, -3)).toThrow(LockstepError);
  });
  // src/ops/creation.ts arange: a NaN step gives shape [NaN] (printing it then throws a RangeError
  // from formatTensor); an int64 arange whose step truncates to 0 (step 0.5) gives a RangeError
  // (Invalid typed array length: Infinity); an empty arange with a negative step has shape [-0].
  it("arange(0, 3, NaN) is a typed error", () => {
    expect(() => torch.arange(0, 3, Number.NaN)).toThrow(LockstepError);
  });
  it("arange(0, 3, 0.5, { dtype: 'int64' }) is a typed error (or a valid tensor), not a RangeError", () => {
    try {
      torch.arange(0, 3, 0.5, { dtype: "int64" });
    } catch (e) {
      expect(e).toBeInstanceOf(LockstepError);
    }
  });
  it("arange(1, 1, -5) has shape [0], not [-0]", () => {
    expect(torch.arange(1, 1, -5).shape).toEqual([0]);
  });
  // src/ops/views.ts narrow/slice/select: normDim accepts dim 0 of a 0-dim tensor (as reductions
  // do), then shape[0] is undefined: narrow/slice return shape [NaN], select a NaN offset (readback
  // returns 0 elements for numel 1). PyTorch: "narrow() cannot be applied to a 0-dim tensor".
  const zeroDim: [string, () => Tensor][] = [
    ["narrow", () => torch.tensor(3).narrow(0, 0, 1)],
    ["slice", () => torch.tensor(3).slice(0)],
    ["select", () => torch.tensor(3).select(0, 0)],
  ];
  for (const [name, f] of zeroDim)
    it(`${name} of a 0-dim tensor is an IndexError`, () => {
      expect(f).toThrow(IndexError);
    });
  // src/ops/views.ts asStrided: negative sizes are accepted (shape [-1]).
  it("asStrided with a negative size is a typed error", () => {
    expect(() => torch.zeros([4]).asStrided([-1], [1])).toThrow(LockstepError);
  });
  // src/ops/shapecopy.ts repeat: negative repeats are not validated: on a size-0 dim the result has
  // shape [-0]; otherwise the error comes from 'view' ("invalid size [-2]") instead of naming repeat.
  it("repeat with a negative count is a typed error naming repeat", () => {
    expect(() => torch.zeros([0]).repeat(-1)).toThrow(LockstepError);
    expect(() => torch.zeros([2]).repeat(-1)).toThrow(/^repeat: /);
  });
  // src/ops/elementwise.ts pow/fmod/remainder/div(floor): with only bool operands the op reaches the
  // reference renderer, which throws a plain Error ("reference: no rendering of binary pow for bool").
  // PyTorch: RuntimeError "... not implemented for 'Bool'" → a DTypeError here.
  const boolOps: [string, () => Tensor][] = [
    ["pow", () => torch.tensor([true]).pow(torch.tensor([true]))],
    ["fmod", () => torch.tensor([true]).fmod(torch.tensor([true]))],
    ["remainder", () => torch.tensor([true]).remainder(torch.tensor([true]))],
    ["div floor", () => torch.tensor([true]).div(torch.tensor([true]), { roundingMode: "floor" })],
  ];
  for (const [name, f] of boolOps)
    it(`${name} of bool tensors is a DTypeError`, () => {
      expect(f).toThrow(DTypeError);
    });
  // src/ops/elementwise.ts neg: PyTorch refuses "Negation, the `-` operator, on a bool tensor".
  it("neg of a bool tensor is a DTypeError", () => {
    expect(() => torch.tensor([true]).neg()).toThrow(DTypeError);
  });
  // src/ops/elementwise.ts pow: the "Integers to negative integer powers" check covers scalar
  // exponents only; PyTorch raises for integer tensor exponents too.
  it("pow(int tensor, negative int tensor) is a ValueError", () => {
    expect(() => torch.tensor([2]).pow(torch.tensor([-1]))).toThrow(ValueError);
  });
});

// ---------------------------------------------------------------------------------------------
// Fuzz: random op chains.

const DTYPES = ["float32", "float64", "float16", "bfloat16", "int32", "int64", "uint8", "bool"] as const;
type DT = (typeof DTYPES)[number];
const isFloatDt = (d: string): boolean => d.startsWith("float") || d === "bfloat16";

interface Knobs {
  /** small ints for dims, indices, sizes, shifts (−5..5) */
  i: number[];
  /** a size list for view/reshape/expand/repeat/asStrided (−1..4) */
  shape: number[];
  /** scalar operand: ints, floats, special values, booleans */
  s: number | boolean;
  dt: DT;
  flag: boolean;
}

const numelOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
/** JS broadcasting of two shapes, or null when they do not broadcast. */
const broadcast = (a: readonly number[], b: readonly number[]): number[] | null => {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(x === 1 ? y : x);
  }
  return out;
};
/** Element values as float64 numbers (decoding float16/bfloat16/int64/bool through a cast). */
const valuesOf = (t: Tensor): number[] => Array.from(t.to("float64").dataSync() as Float64Array);

type OpFn = (a: Tensor, b: Tensor, k: Knobs) => unknown;
interface OpSpec {
  f: OpFn;
  /** output values are a subset of the input's (plus 0 for the masking ops) — data movement only */
  moves?: "a" | "ab" | "a0";
  /** binary elementwise op: the result has the broadcast shape, and a non-broadcastable pair is a ShapeError */
  bcast?: boolean;
  /** exact float64 oracle for elementwise ops: value from the two broadcast inputs */
  exact?: (x: number, y: number) => number;
}

const i = (k: Knobs, n: number): number => k.i[n] as number;
const OPS: Record<string, OpSpec> = {
  // binary elementwise
  add: { f: (a, b) => a.add(b), bcast: true, exact: (x, y) => x + y },
  sub: { f: (a, b) => a.sub(b), exact: (x, y) => x - y },
  mul: { f: (a, b) => a.mul(b), bcast: true, exact: (x, y) => x * y },
  div: { f: (a, b) => a.div(b), exact: (x, y) => x / y },
  "div floor": { f: (a, b) => a.div(b, { roundingMode: "floor" }) },
  "add alpha": { f: (a, b, k) => torch.add(a, b, { alpha: typeof k.s === "number" ? k.s : 2 }) },
  pow: { f: (a, b) => a.pow(b) },
  maximum: {
    f: (a, b) => torch.maximum(a, b),
    bcast: true,
    exact: (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? Number.NaN : Math.max(x, y)),
  },
  minimum: { f: (a, b) => torch.minimum(a, b) },
  fmod: { f: (a, b) => torch.fmod(a, b) },
  remainder: { f: (a, b) => torch.remainder(a, b) },
  atan2: { f: (a, b) => torch.atan2(a, b) },
  eq: { f: (a, b) => a.eq(b), bcast: true },
  lt: { f: (a, b) => a.lt(b) },
  logicalAnd: { f: (a, b) => a.logicalAnd(b) },
  where: { f: (a, b) => torch.where(b.ne(0), a, b) },
  lerp: { f: (a, b, k) => torch.lerp(a, b, typeof k.s === "number" ? k.s : 0.5) },
  // with a scalar
  "add scalar": { f: (a, _b, k) => a.add(k.s) },
  "mul scalar": { f: (a, _b, k) => a.mul(k.s) },
  "div scalar": { f: (a, _b, k) => a.div(k.s) },
  "pow scalar": { f: (a, _b, k) => a.pow(k.s) },
  "scalar pow": { f: (a, _b, k) => torch.pow(k.s, a) },
  clamp: { f: (a, _b, k) => a.clamp(i(k, 0), k.flag ? null : i(k, 1)) },
  "clamp tensor": { f: (a, b) => a.clamp(b) },
  maskedFill: { f: (a, b, k) => a.maskedFill(b.ne(0), k.s) },
  nanToNum: { f: (a) => a.nanToNum() },
  // unary
  neg: { f: (a) => a.neg(), exact: (x) => -x },
  abs: { f: (a) => a.abs(), exact: (x) => Math.abs(x) },
  exp: { f: (a) => a.exp() },
  log: { f: (a) => a.log() },
  sqrt: { f: (a) => a.sqrt() },
  sigmoid: { f: (a) => a.sigmoid() },
  tanh: { f: (a) => a.tanh() },
  relu: { f: (a) => a.relu() },
  gelu: { f: (a, _b, k) => torch.gelu(a, { approximate: k.flag ? "tanh" : "none" }) },
  floor: { f: (a) => a.floor() },
  round: { f: (a) => a.round() },
  sign: { f: (a) => a.sign() },
  reciprocal: { f: (a) => a.reciprocal() },
  erf: { f: (a) => a.erf() },
  isnan: { f: (a) => a.isnan() },
  logicalNot: { f: (a) => a.logicalNot() },
  // reductions and scans
  sum: { f: (a, _b, k) => (k.flag ? a.sum() : a.sum(i(k, 0), i(k, 1) > 0)) },
  mean: { f: (a, _b, k) => a.mean(k.flag ? undefined : i(k, 0)) },
  prod: { f: (a, _b, k) => a.prod(k.flag ? undefined : i(k, 0)) },
  amax: { f: (a, _b, k) => a.amax([i(k, 0), i(k, 1)]) },
  argmax: { f: (a, _b, k) => a.argmax(k.flag ? undefined : i(k, 0)) },
  "max dim": { f: (a, _b, k) => a.max(i(k, 0), k.flag) },
  min: { f: (a) => a.min() },
  var: { f: (a, _b, k) => a.var(i(k, 0), { correction: Math.abs(i(k, 1)) }) },
  std: { f: (a) => a.std() },
  norm: { f: (a, _b, k) => a.norm([1, 2, Number.POSITIVE_INFINITY, 0, 3][Math.abs(i(k, 0)) % 5] as number) },
  logsumexp: { f: (a, _b, k) => a.logsumexp(i(k, 0)) },
  cumsum: { f: (a, _b, k) => a.cumsum(i(k, 0)) },
  cumprod: { f: (a, _b, k) => a.cumprod(i(k, 0)) },
  softmax: { f: (a, _b, k) => a.softmax(i(k, 0)) },
  logSoftmax: { f: (a, _b, k) => a.logSoftmax(i(k, 0)) },
  any: { f: (a, _b, k) => a.any(k.flag ? undefined : i(k, 0)) },
  countNonzero: { f: (a) => a.countNonzero() },
  // views
  view: { f: (a, _b, k) => a.view(k.shape), moves: "a" },
  reshape: { f: (a, _b, k) => a.reshape(k.shape), moves: "a" },
  permute: { f: (a, _b, k) => a.permute(k.i.slice(0, a.ndim).map((d) => d % Math.max(a.ndim, 1))), moves: "a" },
  transpose: { f: (a, _b, k) => a.transpose(i(k, 0), i(k, 1)), moves: "a" },
  t: { f: (a) => a.t(), moves: "a" },
  squeeze: { f: (a, _b, k) => (k.flag ? a.squeeze() : a.squeeze(i(k, 0))), moves: "a" },
  unsqueeze: { f: (a, _b, k) => a.unsqueeze(i(k, 0)), moves: "a" },
  expand: { f: (a, _b, k) => a.expand(k.shape), moves: "a" },
  narrow: { f: (a, _b, k) => a.narrow(i(k, 0), i(k, 1), i(k, 2)), moves: "a" },
  select: { f: (a, _b, k) => a.select(i(k, 0), i(k, 1)), moves: "a" },
  slice: { f: (a, _b, k) => a.slice(i(k, 0), i(k, 1), k.flag ? null : i(k, 2), i(k, 3)), moves: "a" },
  flatten: { f: (a, _b, k) => a.flatten(i(k, 0), i(k, 1)), moves: "a" },
  unflatten: { f: (a, _b, k) => a.unflatten(i(k, 0), k.shape), moves: "a" },
  chunk: { f: (a, _b, k) => a.chunk(i(k, 0), i(k, 1)), moves: "a" },
  split: { f: (a, _b, k) => (k.flag ? a.split(i(k, 0), i(k, 1)) : a.split(k.shape, i(k, 1))), moves: "a" },
  unbind: { f: (a, _b, k) => a.unbind(i(k, 0)), moves: "a" },
  movedim: { f: (a, _b, k) => a.movedim(i(k, 0), i(k, 1)), moves: "a" },
  diagonal: { f: (a, _b, k) => a.diagonal(i(k, 0), i(k, 1), i(k, 2)), moves: "a" },
  // (as_strided reads the storage, not the view's elements: no data-movement oracle)
  asStrided: { f: (a, _b, k) => a.asStrided(k.shape, k.i.slice(0, k.shape.length).map(Math.abs), Math.abs(i(k, 5))) },
  detach: { f: (a) => a.detach(), moves: "a" },
  contiguous: { f: (a) => a.contiguous(), moves: "a" },
  // copies
  cat: { f: (a, b, k) => torch.cat([a, b], i(k, 0)), moves: "ab" },
  stack: { f: (a, b, k) => torch.stack([a, b], i(k, 0)), moves: "ab" },
  flip: { f: (a, _b, k) => a.flip(k.flag ? [i(k, 0), i(k, 1)] : i(k, 0)), moves: "a" },
  roll: { f: (a, _b, k) => (k.flag ? a.roll(i(k, 0)) : a.roll(i(k, 0), i(k, 1))), moves: "a" },
  repeat: { f: (a, _b, k) => a.repeat(k.shape), moves: "a" },
  tril: { f: (a, _b, k) => a.tril(i(k, 0)), moves: "a0" },
  triu: { f: (a, _b, k) => a.triu(i(k, 0)), moves: "a0" },
  diag: { f: (a, _b, k) => torch.diag(a, i(k, 0)), moves: "a0" },
  diagEmbed: { f: (a, _b, k) => torch.diagEmbed(a, i(k, 0), i(k, 1), i(k, 2)), moves: "a0" },
  // linear algebra
  matmul: { f: (a, b) => a.matmul(b) },
  mm: { f: (a, b) => a.mm(b) },
  bmm: { f: (a, b) => a.bmm(b) },
  dot: { f: (a, b) => a.dot(b) },
  outer: { f: (a, b) => a.outer(b) },
  trace: { f: (a) => a.trace() },
  matrixPower: { f: (a, _b, k) => a.matrixPower(Math.abs(i(k, 0))) },
  // creation from random arguments
  zeros: { f: (_a, _b, k) => torch.zeros(k.shape, { dtype: k.dt }) },
  full: { f: (_a, _b, k) => torch.full(k.shape, k.s, { dtype: k.dt }) },
  tensor: { f: (_a, _b, k) => torch.tensor([k.s, i(k, 0)] as number[], { dtype: k.dt }) },
  arange: { f: (_a, _b, k) => torch.arange(i(k, 0), i(k, 1), k.flag ? i(k, 2) : (k.s as number), { dtype: k.dt }) },
  linspace: { f: (_a, _b, k) => torch.linspace(i(k, 0), k.s as number, i(k, 2), { dtype: k.dt }) },
  eye: { f: (_a, _b, k) => torch.eye(i(k, 0), k.flag ? i(k, 1) : { dtype: k.dt }) },
  // conversions, in-place ops on copies, readback
  to: { f: (a, _b, k) => a.to(k.dt) },
  "add_ (on a clone)": { f: (a, b) => a.clone().add_(b) },
  "mul_ scalar (on a clone)": { f: (a, _b, k) => a.clone().mul_(k.s) },
  "copy_ (on a clone)": { f: (a, b) => a.clone().copy_(b) },
  "clamp_ (on a clone)": { f: (a, _b, k) => a.clone().clamp_(i(k, 0), i(k, 1)) },
  itemSync: { f: (a) => a.itemSync() },
  "String()": { f: (a) => String(a) },
};
const OP_NAMES = Object.keys(OPS);

/** Validate a result: well-formed shape/strides/dtype, and readable data of the right length. */
function checkTensor(t: Tensor, where: string): void {
  expect(Array.isArray(t.shape), where).toBe(true);
  for (const d of t.shape)
    expect(Number.isInteger(d) && d >= 0 && !Object.is(d, -0), `${where}: shape ${JSON.stringify(t.shape)}`).toBe(true);
  expect(t.strides.length, where).toBe(t.shape.length);
  for (const s of t.strides) expect(Number.isInteger(s), `${where}: strides ${JSON.stringify(t.strides)}`).toBe(true);
  expect(DTYPES as readonly string[], where).toContain(t.dtype);
  expect(t.numel(), where).toBe(numelOf(t.shape));
  expect(t.dataSync().length, where).toBe(t.numel());
  expect(t.isDisposed, where).toBe(false);
}

/** Compare a result with the small oracles of its op (shape for broadcasting ops, exact float64 values, data movement). */
function checkOracles(spec: OpSpec, name: string, a: Tensor, b: Tensor, out: unknown, where: string): void {
  const outs = (Array.isArray(out) ? out : [out]).filter((o): o is Tensor => o instanceof torch.Tensor);
  if (spec.bcast) {
    const want = broadcast(a.shape, b.shape);
    expect(want, `${where}: ${name} accepted shapes that do not broadcast`).not.toBeNull();
    expect([...(outs[0] as Tensor).shape], where).toEqual(want);
  }
  if (spec.exact && a.dtype === "float64" && (name.startsWith("neg") || name === "abs" || b.dtype === "float64")) {
    const o = outs[0] as Tensor;
    const av = valuesOf(a.expand(o.shape.length ? [...o.shape] : []).contiguous());
    const bv = spec.exact.length > 1 ? valuesOf(b.expand([...o.shape]).contiguous()) : av;
    const got = valuesOf(o);
    got.forEach((g, j) => {
      const w = spec.exact?.(av[j] as number, bv[j] as number) as number;
      if (!Object.is(g, w) && !(Number.isNaN(g) && Number.isNaN(w)) && !(g === 0 && w === 0))
        expect.fail(`${where}: ${name} element ${j}: got ${g}, want ${w}`);
    });
  }
  if (spec.moves) {
    const allowed = new Set(valuesOf(a));
    if (spec.moves === "ab") {
      if (a.dtype !== b.dtype) return; // promotion changes values
      for (const v of valuesOf(b)) allowed.add(v);
    }
    if (spec.moves === "a0") allowed.add(0);
    for (const o of outs)
      for (const v of valuesOf(o))
        if (!allowed.has(v)) expect.fail(`${where}: ${name} produced ${v}, which is not an element of its input`);
  }
}

// ---- arbitraries ----
const dimArb = fc.integer({ min: 0, max: 4 });
const shapeArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant<number[]>([]) },
  { weight: 6, arbitrary: fc.array(dimArb, { minLength: 1, maxLength: 4 }) },
);
const scalarArb = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(0.5, -2.5, 1e-3, 1e30, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0),
  fc.boolean(),
);
const knobsArb: fc.Arbitrary<Knobs> = fc.record({
  i: fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 6, maxLength: 6 }),
  shape: fc.array(fc.integer({ min: -1, max: 4 }), { minLength: 0, maxLength: 4 }),
  s: scalarArb,
  dt: fc.constantFrom(...DTYPES),
  flag: fc.boolean(),
});
/** Element values: small integers, and for float dtypes also fractions and special values. */
const valueArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -4, max: 4 }) },
  { weight: 3, arbitrary: fc.double({ min: -8, max: 8, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0) },
);
interface TensorSpec {
  shape: number[];
  dtype: DT;
  values: number[];
  /** 0: contiguous; 1: a permuted (non-contiguous) view; 2: every other element of a wider tensor */
  layout: number;
}
const tensorArb = (shape: fc.Arbitrary<number[]>): fc.Arbitrary<TensorSpec> =>
  fc
    .record({ shape, dtype: fc.constantFrom(...DTYPES), layout: fc.integer({ min: 0, max: 2 }) })
    .chain((r) =>
      fc.array(valueArb, { minLength: numelOf(r.shape), maxLength: numelOf(r.shape) }).map((values) => ({ ...r, values })),
    );
/** The second operand: the first's shape with some dims set to 1 or dropped (broadcastable), or independent. */
const pairArb = tensorArb(shapeArb).chain((a) =>
  fc
    .oneof(
      fc.constant(a.shape),
      fc
        .array(fc.boolean(), { minLength: a.shape.length, maxLength: a.shape.length })
        .map((ones) => a.shape.map((d, j) => (ones[j] ? 1 : d))),
      fc.integer({ min: 0, max: a.shape.length }).map((drop) => a.shape.slice(drop)),
      shapeArb,
    )
    .chain((bShape) => tensorArb(fc.constant(bShape)).map((b) => ({ a, b }))),
);

/** Build the tensor a spec describes (values cast into the dtype through float64, as PyTorch's .to()). */
function build(spec: TensorSpec): Tensor {
  const ints = !isFloatDt(spec.dtype);
  const vals = spec.values.map((v) => (ints ? (Number.isFinite(v) ? Math.trunc(v) : 0) : v));
  const base = torch.tensor(vals, { dtype: "float64" });
  const n = spec.shape.length;
  if (spec.layout === 1 && n >= 2) {
    const perm = [...Array(n).keys()].reverse();
    return base
      .reshape(perm.map((p) => spec.shape[p] as number))
      .to(spec.dtype)
      .permute(perm);
  }
  if (spec.layout === 2 && n >= 1) {
    const wide = torch.stack([base, base.mul(0)], 1).reshape([...spec.shape.slice(0, -1), (spec.shape[n - 1] as number) * 2]);
    return wide.to(spec.dtype).slice(n - 1, 0, null, 2);
  }
  return base.reshape(spec.shape).to(spec.dtype);
}

const describeSpec = (t: TensorSpec): string => `${t.dtype}${JSON.stringify(t.shape)}(layout ${t.layout})`;

/**
 * Known bugs the fuzz test still finds, excluded by name so that the property checks everything
 * else (each one has an it.fails reproducer above or is listed in the report). Returns the reason
 * when an error/result matches a known bug.
 */
function knownBug(_op: string, _a: Tensor, _b: Tensor, _k: Knobs, _err: unknown): string | null {
  // Every bug this fuzz test found has been fixed; keep the hook for new findings.
  return null;
}

describe("fuzz: random op chains never fail with untyped errors", () => {
  const seed = Number(process.env.FUZZ_SEED ?? 20240611);
  const runs = Number(process.env.FUZZ_RUNS ?? 600);

  it(`${runs} runs of up to 4 random ops (seed ${seed})`, () => {
    const hits = new Map<string, number>();
    fc.assert(
      fc.property(
        pairArb,
        fc.array(fc.record({ op: fc.constantFrom(...OP_NAMES), k: knobsArb }), { minLength: 1, maxLength: 4 }),
        ({ a: aSpec, b: bSpec }, steps) => {
          torch.tidy(() => {
            let a = build(aSpec);
            const b = build(bSpec);
            checkTensor(a, `input ${describeSpec(aSpec)}`);
            for (const { op, k } of steps) {
              const spec = OPS[op] as OpSpec;
              const where = `${op} on ${a.dtype}${JSON.stringify(a.shape)} with ${b.dtype}${JSON.stringify(b.shape)}, knobs ${JSON.stringify(k)}`;
              let out: unknown;
              try {
                out = spec.f(a, b, k);
              } catch (e) {
                if (knownBug(op, a, b, k, e)) continue;
                if (!(e instanceof LockstepError))
                  expect.fail(`${where}: untyped ${(e as Error)?.name}: ${(e as Error)?.message}`);
                if (spec.bcast && broadcast(a.shape, b.shape) === null && !(e instanceof ShapeError))
                  expect.fail(`${where}: non-broadcastable shapes gave ${(e as Error).name} instead of ShapeError`);
                hits.set(e.name, (hits.get(e.name) ?? 0) + 1);
                continue;
              }
              if (knownBug(op, a, b, k, undefined)) continue;
              hits.set("ok", (hits.get("ok") ?? 0) + 1);
              const results = Array.isArray(out) ? out : [out];
              for (const r of results) {
                if (r instanceof torch.Tensor) checkTensor(r, where);
                else if (op === "itemSync") expect(["number", "boolean"], where).toContain(typeof r);
                else if (op === "String()") expect(typeof r, where).toBe("string");
                else expect.fail(`${where}: returned ${String(r)}`);
              }
              checkOracles(spec, op, a, b, out, where);
              const next = results[0];
              if (next instanceof torch.Tensor && next.numel() <= 4096) a = next;
            }
          });
        },
      ),
      { numRuns: runs, seed },
    );
    // The run exercised both paths: results and typed errors.
    expect(hits.get("ok") ?? 0).toBeGreaterThan(runs / 2);
    expect([...hits.keys()].filter((n) => n !== "ok").length).toBeGreaterThanOrEqual(3);
  });
});
