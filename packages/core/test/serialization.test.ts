// torch.save / torch.load in lockstep's own format (safetensors + a JSON structure record in
// __metadata__): exact round trips, a valid safetensors file, atomic writes (the old checkpoint
// survives any failure byte for byte), checksums, clear errors for truncated or corrupt files;
// and the restricted unpickler's opcode and global checks.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as torch from "@lockstep/core";
import { Tensor } from "@lockstep/core";
import { afterEach, describe, expect, it } from "vitest";
import { isParameter, Parameter } from "../src/nn/parameter.js";
import { _writeHooks } from "../src/serialization/checkpoint.js";
import {
  CheckpointError,
  decodeSafetensors,
  encodeSafetensors,
  load,
  save,
  toBytes,
  UnpicklingError,
} from "../src/serialization/index.js";
import { PyGlobal, toJS, unpickle } from "../src/serialization/unpickler.js";

const tmp = (): string => mkdtempSync(join(tmpdir(), "lockstep-ckpt-"));

/** Raw storage bytes of a tensor's elements in row-major order. */
const rawBytes = (t: Tensor): number[] => {
  const a = t.contiguous().dataSync();
  return Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
};

/** Deep equality that treats tensors by dtype/shape/bits, numbers with Object.is, and keeps key order. */
function expectSame(actual: unknown, exp: unknown, path = "<root>"): void {
  if (exp instanceof Tensor) {
    expect(actual, path).toBeInstanceOf(Tensor);
    const a = actual as Tensor;
    expect(a.dtype, path).toBe(exp.dtype);
    expect([...a.shape], path).toEqual([...exp.shape]);
    expect(a.requiresGrad, path).toBe(exp.requiresGrad);
    expect(isParameter(a), path).toBe(isParameter(exp));
    expect(rawBytes(a), path).toEqual(rawBytes(exp));
    return;
  }
  if (typeof exp === "number") return void expect(Object.is(actual, exp), `${path}: ${String(actual)} vs ${exp}`).toBe(true);
  if (exp === null || typeof exp !== "object") return void expect(actual, path).toBe(exp);
  if (ArrayBuffer.isView(exp)) {
    expect((actual as object).constructor, path).toBe(exp.constructor);
    expect(Array.from(actual as ArrayLike<unknown>), path).toEqual(Array.from(exp as unknown as ArrayLike<unknown>));
    return;
  }
  if (Array.isArray(exp)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, path).toBe(exp.length);
    for (let i = 0; i < exp.length; i++) expectSame((actual as unknown[])[i], exp[i], `${path}[${i}]`);
    return;
  }
  if (exp instanceof Map) {
    expect(actual, path).toBeInstanceOf(Map);
    const ak = [...(actual as Map<unknown, unknown>).entries()];
    const ek = [...exp.entries()];
    expect(ak.length, path).toBe(ek.length);
    ek.forEach(([k, v], i) => {
      expectSame(ak[i]![0], k, `${path}<key ${i}>`);
      expectSame(ak[i]![1], v, `${path}.get(${String(k)})`);
    });
    return;
  }
  expect(Object.getPrototypeOf(actual), path).toBe(Object.prototype);
  expect(Object.keys(actual as object), path).toEqual(Object.keys(exp));
  for (const k of Object.keys(exp)) expectSame((actual as any)[k], (exp as any)[k], `${path}.${k}`);
}

const f32bits = (bits: number[]): Tensor => torch.fromBuffer(new Float32Array(new Uint32Array(bits).buffer));

function sampleState(): Record<string, unknown> {
  const w = torch.tensor(
    [
      [0.1, -0.2, 0.3],
      [1e-40, -0, 3.4e38],
    ],
    { dtype: "float32" },
  );
  const base = torch.arange(12, { dtype: "float64" }).reshape([3, 4]);
  const m = new Map<unknown, unknown>([
    [1, "one"],
    ["k", { nested: true }],
    [2n ** 70n, [1, 2]],
    [null, -0],
  ]);
  return {
    model: {
      "fc.weight": w,
      "fc.bias": torch.tensor([0.5, -1.5], { dtype: "float32", requiresGrad: true }),
      "bn.num_batches_tracked": torch.tensor(7n),
    },
    dtypes: {
      f32: f32bits([0x7fc00001, 0xff800000, 0x00000001, 0x80000000]), // NaN payload, -inf, min subnormal, -0
      f64: torch.tensor([Math.PI, -Infinity, NaN, 5e-324], { dtype: "float64" }),
      f16: torch.tensor([1, -2.5, 65504, 6e-8, NaN], { dtype: "float16" }),
      bf16: torch.tensor([1, -2.5, 3e38, 1e-40], { dtype: "bfloat16" }),
      i32: torch.tensor([0, -1, 2147483647, -2147483648], { dtype: "int32" }),
      i64: torch.tensor([0n, -1n, 2n ** 63n - 1n, -(2n ** 63n)], { dtype: "int64" }),
      u8: torch.tensor([0, 1, 255], { dtype: "uint8" }),
      bool: torch.tensor([[true, false]], { dtype: "bool" }),
      scalar: torch.tensor(2.5, { dtype: "float64" }),
      empty: torch.zeros([0, 3]),
      big: torch.arange(24, { dtype: "float32" }).reshape([2, 3, 4]),
    },
    views: { transposed: base.t(), row: base.select(0, 1), expanded: torch.tensor([1.5, 2.5]).expand([3, 2]) },
    param: new Parameter(torch.tensor([[1.25, -0.5]])),
    optim: {
      state: { 0: { step: torch.tensor(2, { dtype: "float32" }) }, 1: {} },
      param_groups: [{ lr: 0.001, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: false, foreach: null }],
    },
    numbers: [0, -0, 1.5, NaN, Infinity, -Infinity, Number.MAX_VALUE, 5e-324, 2 ** 53, -(2 ** 31)],
    bigints: [0n, -(2n ** 100n), 2n ** 64n + 1n],
    strings: ["", "héllo ✓ 🎉", '"quoted" \\ \n\t', "$t", "__metadata__"],
    misc: [true, false, null, undefined, [], {}, [[[]]]],
    map: m,
    typed: { f32: new Float32Array([1.5, NaN]), i64: new BigInt64Array([-(2n ** 63n)]), u8: new Uint8Array([1, 2, 255]) },
    tags: { $t: "not a tensor", $o: [1], $n: "nan" }, // keys that look like structure tags
    ordering: { b: 1, 10: "ten", a: 2, 2: "two" },
    ["__proto__"]: "own key",
  };
}

describe("torch.save → torch.load round trip", () => {
  it("restores nested state exactly: dtypes, shapes, bits, numbers, bigint, Maps, key order", async () => {
    const dir = tmp();
    const p = join(dir, "ckpt.safetensors");
    const state = sampleState();
    Object.defineProperty(state, "__proto__", { value: "own key", enumerable: true, configurable: true, writable: true });
    await save(state, p);
    const back = await load(p);
    expectSame(back, state);
    // "__proto__" came back as an own key; nothing was polluted
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(back, "__proto__")?.value).toBe("own key");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("views are saved as contiguous copies of their elements", async () => {
    const base = torch.arange(6, { dtype: "float32" }).reshape([2, 3]);
    const back = await load(await toBytes({ t: base.t(), e: torch.tensor([7, 8], { dtype: "int32" }).expand([2, 2]) }));
    expect(back.t.isContiguous()).toBe(true);
    expect([...back.t.strides]).toEqual([2, 1]);
    expect(await back.t.tolist()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    expect(await back.e.tolist()).toEqual([
      [7, 8],
      [7, 8],
    ]);
  });

  it("the same Tensor object saved twice is stored once and loads as one object", async () => {
    const t = torch.tensor([1, 2, 3], { dtype: "float32" });
    const bytes = await toBytes({ a: t, b: [t], c: torch.tensor([1, 2, 3], { dtype: "float32" }) });
    const { entries } = decodeSafetensors(bytes, "x");
    expect(entries.map((e) => e.name).sort()).toEqual(["a", "c"]);
    const back = await load(bytes);
    expect(back.b[0]).toBe(back.a);
    expect(back.c).not.toBe(back.a);
  });

  it("Parameters and requiresGrad survive; loads onto { device }", async () => {
    const back = await load(await toBytes({ p: new Parameter(torch.ones([2])), g: torch.ones([1]).requiresGrad_() }), {
      device: "reference",
    });
    expect(isParameter(back.p)).toBe(true);
    expect(back.p.requiresGrad).toBe(true);
    expect(back.g.requiresGrad).toBe(true);
    expect(back.p.device).toBe("reference");
    await expect(load(await toBytes({}), { device: "tpu" })).rejects.toThrow(/unknown device 'tpu'/);
  });

  it("top-level values of every kind", async () => {
    for (const v of [torch.tensor([1.5]), 3, NaN, -0, 5n, "s", null, undefined, true, [1, [2]], new Map([[1, 2]])])
      expectSame(await load(await toBytes(v)), v);
  });

  it("writes a valid safetensors file: aligned header, PyTorch dtype names, tensors named by path", async () => {
    const bytes = await toBytes({
      model: { "fc.weight": torch.ones([2, 3]), "fc.bias": torch.zeros([2], { dtype: "float64" }) },
      steps: [torch.tensor(1n), torch.tensor([true])],
      lr: 0.1,
    });
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header["model.fc.weight"]).toMatchObject({ dtype: "F32", shape: [2, 3] });
    expect(header["model.fc.bias"]).toMatchObject({ dtype: "F64", shape: [2] });
    expect(header["steps.0"]).toMatchObject({ dtype: "I64", shape: [] });
    expect(header["steps.1"]).toMatchObject({ dtype: "BOOL", shape: [1] });
    const md = header.__metadata__;
    expect(md.format).toBe("pt");
    expect(md["lockstep.version"]).toBe("1");
    expect(md["lockstep.sha256"]).toMatch(/^[0-9a-f]{64}$/);
    expect(md["lockstep.header_sha256"]).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(md["lockstep.structure"])).toEqual({
      $o: [
        [
          "model",
          {
            $o: [
              ["fc.weight", { $t: "model.fc.weight" }],
              ["fc.bias", { $t: "model.fc.bias" }],
            ],
          },
        ],
        ["steps", [{ $t: "steps.0" }, { $t: "steps.1" }]],
        ["lr", 0.1],
      ],
    });
    // data: widest dtypes first (aligned), little-endian, back to back
    const data = bytes.subarray(8 + n);
    const [b, e] = header["model.fc.bias"].data_offsets;
    expect(b % 8).toBe(0);
    expect(Array.from(new Float64Array(data.slice(b, e).buffer))).toEqual([0, 0]);
    expect(data.length).toBe(2 * 8 + 8 + 6 * 4 + 1);
  });

  it("reads plain safetensors files (no lockstep metadata) as an object of tensors", async () => {
    const f32 = new Float32Array([1, -2, 3.5, 0.25]);
    const bytes = encodeSafetensors(
      [
        { name: "w", dtype: "float32", shape: [2, 2], bytes: new Uint8Array(f32.buffer) },
        { name: "b", dtype: "uint8", shape: [3], bytes: new Uint8Array([1, 2, 3]) },
      ],
      { format: "pt" },
    );
    const v = await load(bytes);
    expect(Object.keys(v)).toEqual(["w", "b"]);
    expect(await v.w.tolist()).toEqual([
      [1, -2],
      [3.5, 0.25],
    ]);
    expect(v.b.dtype).toBe("uint8");
  });

  it("names collisions get #2 suffixes; names are never __metadata__", async () => {
    const bytes = await toBytes({ "a.b": torch.ones([1]), a: { b: torch.zeros([1]) }, __metadata__: torch.ones([1]) });
    const names = decodeSafetensors(bytes, "x").entries.map((e) => e.name);
    expect(names.sort()).toEqual(["__metadata__#1", "a.b", "a.b#2"]);
    const back = await load(bytes);
    expect(await back.a.b.tolist()).toEqual([0]);
    expect(await back.__metadata__.tolist()).toEqual([1]);
  });

  it("refuses values it cannot restore, naming the path", async () => {
    class Foo {}
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    const disposed = torch.ones([1]);
    disposed.dispose();
    const cases: [unknown, RegExp][] = [
      [{ a: { f: () => 1 } }, /value at a\.f: a function cannot be saved/],
      [{ a: [new Foo()] }, /value at a\.0: a Foo cannot be saved/],
      [{ d: new Date(0) }, /value at d: a Date cannot be saved/],
      [{ s: Symbol("x") }, /a symbol cannot be saved/],
      [cyc, /value at self: the object contains itself/],
      [{ u: new Uint16Array(1) }, /a Uint16Array cannot be saved/],
      [{ t: disposed }, /value at t: the tensor was disposed/],
    ];
    for (const [v, re] of cases) {
      const err = await toBytes(v).catch((e) => e);
      expect(err).toBeInstanceOf(CheckpointError);
      expect(err.message).toMatch(re);
    }
  });
});

describe("atomic writes", () => {
  afterEach(() => {
    _writeHooks.chunkBytes = 8 << 20;
    _writeHooks.afterChunk = undefined;
    _writeHooks.beforeRename = undefined;
  });

  async function withOld(): Promise<{ dir: string; p: string; old: Buffer }> {
    const dir = tmp();
    const p = join(dir, "model.ckpt");
    await save({ w: torch.arange(100, { dtype: "float32" }), note: "old" }, p);
    return { dir, p, old: readFileSync(p) };
  }
  const intact = async (dir: string, p: string, old: Buffer): Promise<void> => {
    expect(readFileSync(p).equals(old)).toBe(true);
    expect(readdirSync(dir)).toEqual(["model.ckpt"]); // no temporary file left behind
    expect((await load(p)).note).toBe("old");
  };

  it("a value whose serialisation throws leaves the old file byte-identical", async () => {
    const { dir, p, old } = await withOld();
    const evil = {
      w: torch.ones([1000]),
      get boom(): never {
        throw new Error("getter exploded");
      },
    };
    await expect(save(evil, p)).rejects.toThrow("getter exploded");
    await expect(save({ f: () => 0 }, p)).rejects.toBeInstanceOf(CheckpointError);
    await intact(dir, p, old);
  });

  it("a failure in the middle of writing leaves the old file byte-identical and removes the partial file", async () => {
    const { dir, p, old } = await withOld();
    _writeHooks.chunkBytes = 64;
    let partial = -1;
    _writeHooks.afterChunk = (written, tmpPath) => {
      if (written >= 128) {
        partial = statSync(tmpPath).size;
        expect(tmpPath.startsWith(`${p}.tmp-`)).toBe(true);
        throw new Error("disk full (simulated)");
      }
    };
    const err = await save({ w: torch.ones([1000]), note: "new" }, p).catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toMatch(/writing failed \(disk full \(simulated\)\); the previous file, if any, is unchanged/);
    expect(err.message).toContain(p);
    expect(partial).toBe(128);
    await intact(dir, p, old);
  });

  it("a failure after the temp file is complete, before the rename, also leaves the old file", async () => {
    const { dir, p, old } = await withOld();
    _writeHooks.beforeRename = () => {
      throw new Error("killed before rename");
    };
    await expect(save({ note: "new" }, p)).rejects.toThrow(/killed before rename/);
    await intact(dir, p, old);
  });

  it("a temp file left by a crashed writer does not affect loading or the next save", async () => {
    const { dir, p } = await withOld();
    writeFileSync(`${p}.tmp-deadbeef`, "half a checkpoint");
    expect((await load(p)).note).toBe("old");
    await save({ note: "new" }, p);
    expect((await load(p)).note).toBe("new");
    expect(readdirSync(dir).sort()).toEqual(["model.ckpt", "model.ckpt.tmp-deadbeef"]);
  });

  it("unwritable targets raise CheckpointError and create nothing", async () => {
    const dir = tmp();
    await expect(save({ a: 1 }, join(dir, "missing", "x.ckpt"))).rejects.toThrow(CheckpointError);
    mkdirSync(join(dir, "adir"));
    await expect(save({ a: 1 }, join(dir, "adir"))).rejects.toThrow(/writing failed/);
    expect(readdirSync(dir)).toEqual(["adir"]);
    expect(readdirSync(join(dir, "adir"))).toEqual([]);
  });

  it("overwriting keeps the file's permissions and writes through a symlink", async () => {
    const { dir, p } = await withOld();
    chmodSync(p, 0o600);
    await save({ note: "new" }, p);
    expect(statSync(p).mode & 0o777).toBe(0o600);
    const link = join(dir, "latest");
    symlinkSync(p, link);
    await save({ note: "via link" }, link);
    expect((await load(p)).note).toBe("via link");
    expect(readdirSync(dir).sort()).toEqual(["latest", "model.ckpt"]);
  });
});

describe("corrupt and truncated lockstep checkpoints", () => {
  const state = { w: torch.tensor([[1.5, -2.5, 3.25]]), lr: 0.01, name: "run-1", step: 12n };
  let good: Uint8Array;
  const getGood = async (): Promise<Uint8Array> => (good ??= await toBytes(state));

  it("errors name the file and what is wrong", async () => {
    const dir = tmp();
    const p = join(dir, "c.ckpt");
    const b = await getGood();
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(0), /the file is empty/],
      [b.subarray(0, 5), /only 5 bytes, too short for a header \(truncated\)/],
      [b.subarray(0, 40), /header needs \d+ bytes but the file has only 32 after the length \(truncated\)/],
      [b.subarray(0, b.length - 1), /holds only 11 bytes of data \(truncated\)/],
      [new Uint8Array([...b, 0, 0]), /2 unexpected bytes after the last tensor/],
    ];
    for (const [bytes, re] of cases) {
      writeFileSync(p, bytes);
      const err = await load(p).catch((e) => e);
      expect(err, String(re)).toBeInstanceOf(CheckpointError);
      expect(err.message).toMatch(re);
      expect(err.message).toContain(`checkpoint '${p}'`);
      expect(err.file).toBe(p);
    }
    await expect(load(join(dir, "nope.ckpt"))).rejects.toThrow(/nope\.ckpt': cannot be read \(ENOENT/);
    writeFileSync(p, "just some text, not a checkpoint");
    await expect(load(p)).rejects.toThrow(/not a checkpoint/);
  });

  it("a flipped bit in the tensor data fails the SHA-256 check", async () => {
    const b = (await getGood()).slice();
    b[b.length - 5] = (b[b.length - 5] as number) ^ 0x01;
    await expect(load(b)).rejects.toThrow(/data section fails its SHA-256 check .* the file is corrupt/);
  });

  it("a changed number in the structure record fails the header check", async () => {
    const b = (await getGood()).slice();
    const text = new TextDecoder().decode(b);
    const at = text.indexOf('\\"lr\\",0.01');
    expect(at).toBeGreaterThan(0);
    b[at + 11] = "2".charCodeAt(0); // 0.01 → 0.02, still valid JSON
    await expect(load(b)).rejects.toThrow(/header fails its SHA-256 check/);
  });

  it("truncation at every length raises CheckpointError", async () => {
    const b = await getGood();
    for (let n = 0; n < b.length; n++) {
      const err = await load(b.subarray(0, n)).catch((e) => e);
      expect(err instanceof CheckpointError, `cut at ${n}: ${err}`).toBe(true);
    }
  });

  it("every single-byte corruption raises CheckpointError or loads the identical state", async () => {
    const b = await getGood();
    let refused = 0;
    for (let i = 0; i < b.length; i++) {
      for (const x of [0x01, 0x80]) {
        const c = b.slice();
        c[i] = (c[i] as number) ^ x;
        let v: unknown;
        try {
          v = await load(c);
        } catch (e) {
          if (!(e instanceof CheckpointError)) throw new Error(`byte ${i} ^ ${x}: ${(e as Error).stack}`);
          refused++;
          continue;
        }
        expectSame(v, state, `byte ${i} ^ ${x}`); // e.g. padding whitespace
      }
    }
    expect(refused).toBeGreaterThan(b.length * 1.9);
  });
});

// ---- the restricted unpickler, opcode by opcode ----

const enc = new TextEncoder();
const u32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const uni = (s: string): number[] => {
  const b = enc.encode(s);
  return [0x58, ...u32(b.length), ...b];
};
const glob = (m: string, n: string): number[] => [0x63, ...enc.encode(`${m}\n${n}\n`)];
const P2 = [0x80, 0x02];
const STOP = 0x2e;
const allowNothing = { file: "t.pkl", findGlobal: () => undefined };
const run = (bytes: number[], opts: Parameters<typeof unpickle>[1] = allowNothing): unknown =>
  toJS(unpickle(new Uint8Array(bytes), opts));

describe("restricted unpickler", () => {
  it("builds containers and scalars (protocol 2 and 4 opcodes)", () => {
    const bytes = [
      ...P2,
      0x7d, // EMPTY_DICT
      0x28, // MARK
      ...uni("i"),
      0x4a,
      ...u32(-5 >>> 0), // BININT -5
      ...uni("f"),
      0x47,
      0x40,
      0x09,
      0x21,
      0xfb,
      0x54,
      0x44,
      0x2d,
      0x18, // BINFLOAT pi (big-endian)
      ...uni("big"),
      0x8a,
      0x09,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0x80,
      0xff, // LONG1 -2**63
      ...uni("l4"),
      0x8b,
      ...u32(2),
      0x01,
      0x01, // LONG4 257
      ...uni("list"),
      0x5d,
      0x71,
      0x01,
      0x28,
      0x4b,
      0x01,
      0x4d,
      0x00,
      0x01,
      0x65, // [1, 256] (BINPUT 1, APPENDS)
      ...uni("again"),
      0x68,
      0x01, // BINGET 1
      ...uni("t"),
      0x88,
      0x89,
      0x4e,
      0x87, // (True, False, None)
      0x8c,
      0x01,
      0x62, // SHORT_BINUNICODE "b"
      0x43,
      0x02,
      0xde,
      0xad, // SHORT_BINBYTES
      0x75, // SETITEMS
      0x32,
      0x30, // DUP, POP
      0x28,
      0x4b,
      0x07,
      0x31, // MARK 7 POP_MARK
      STOP,
    ];
    const v = run(bytes) as Record<string, unknown>;
    expect(v.i).toBe(-5);
    expect(v.f).toBe(Math.PI);
    expect(v.big).toBe(-(2n ** 63n));
    expect(v.l4).toBe(257);
    expect(v.list).toEqual([1, 256]);
    expect(v.again).toBe(v.list);
    expect(v.t).toEqual([true, false, null]);
    expect(v.b).toEqual(new Uint8Array([0xde, 0xad]));
    // protocol 4: FRAME, SHORT_BINUNICODE, MEMOIZE, EMPTY_LIST, APPEND
    const p4 = [0x80, 0x04, 0x95, ...u32(7), 0, 0, 0, 0, 0x5d, 0x94, 0x8c, 0x01, 0x78, 0x94, 0x61, 0x68, 0x00, 0x86, STOP];
    const w = run(p4) as unknown[];
    expect(w[0]).toEqual(["x"]);
    expect(w[1]).toBe(w[0]);
  });

  it("maps dicts to objects when JS keeps their order, else to Maps", () => {
    const dict = (...kv: number[][]): number[] => [...P2, 0x7d, 0x28, ...kv.flat(), 0x75, STOP];
    expect(run(dict(uni("b"), [0x4b, 1], uni("a"), [0x4b, 2]))).toEqual({ b: 1, a: 2 });
    expect(run(dict([0x4b, 0], uni("x"), [0x4b, 1], uni("y")))).toEqual({ 0: "x", 1: "y" });
    const m = run(dict([0x4b, 2], uni("x"), [0x4b, 1], uni("y"))); // {2: .., 1: ..}: JS would reorder
    expect(m).toEqual(
      new Map<unknown, unknown>([
        [2, "x"],
        [1, "y"],
      ]),
    );
    expect(run(dict([0x4b, 1], uni("int"), uni("1"), uni("str")))).toBeInstanceOf(Map); // 1 and "1" collide
    expect(run(dict([0x88], uni("bool key")))).toBeInstanceOf(Map);
    const proto = run(dict(uni("__proto__"), [0x4b, 1])) as Record<string, unknown>;
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(proto, "__proto__")?.value).toBe(1);
  });

  it("refuses opcodes outside the allow-list, naming them", () => {
    const cases: [number[], string][] = [
      [[...P2, 0x69, ...enc.encode("os\nsystem\n"), STOP], "INST"],
      [[...P2, 0x6f, STOP], "OBJ"],
      [[...P2, 0x29, 0x29, 0x81, STOP], "NEWOBJ"],
      [[...P2, 0x82, 0x01, STOP], "EXT1"],
      [[...P2, 0x53, ...enc.encode("'x'\n"), STOP], "STRING"],
      [[...P2, 0x49, ...enc.encode("1\n"), STOP], "INT"],
      [[...P2, 0x50, ...enc.encode("pid\n"), STOP], "PERSID"],
      [[...P2, 0x8f, STOP], "EMPTY_SET"],
      [[...P2, 0x92, STOP], "NEWOBJ_EX"],
      [[...P2, 0xff, STOP], "<unknown> (0xff)"],
    ];
    for (const [bytes, name] of cases) {
      const err = (() => {
        try {
          run(bytes);
        } catch (e) {
          return e;
        }
      })() as Error;
      expect(err, name).toBeInstanceOf(UnpicklingError);
      expect(err.message).toContain(`opcode ${name}`);
      expect(err.message).toContain("t.pkl");
    }
  });

  it("refuses globals outside the allow-list and REDUCE/BUILD on anything else", () => {
    const allowMarker = {
      file: "t.pkl",
      findGlobal: (m: string, n: string) => (m === "torch" && n === "FloatStorage" ? new PyGlobal(m, n) : undefined),
    };
    expect(() => run([...P2, ...glob("posix", "system"), STOP])).toThrow(/GLOBAL 'posix system' is not on the allow-list/);
    expect(() => run([...P2, 0x8c, 2, ...enc.encode("os"), 0x8c, 6, ...enc.encode("system"), 0x93, STOP])).toThrow(
      /GLOBAL 'os system' is not on the allow-list/,
    );
    expect(() => run([...P2, ...glob("torch", "FloatStorage"), 0x29, 0x52, STOP], allowMarker)).toThrow(
      /REDUCE on global 'torch FloatStorage', which is not an allow-listed callable/,
    );
    expect(() => run([...P2, 0x4b, 1, 0x29, 0x52, STOP])).toThrow(/REDUCE on number/);
    expect(() => run([...P2, 0x5d, 0x7d, 0x62, STOP])).toThrow(/BUILD on tuple\/list/);
    expect(() => run([...P2, 0x29, 0x51, STOP])).toThrow(/BINPERSID .* is not accepted here/);
  });

  it("malformed streams are errors, not crashes", () => {
    const cases: [number[], RegExp][] = [
      [[...P2, 0x58, ...u32(100), 0x61], /truncated pickle/],
      [[...P2, 0x4e], /truncated pickle/],
      [[...P2, 0x61, STOP], /stack underflow/],
      [[...P2, 0x28, 0x61, STOP], /stack underflow/],
      [[...P2, 0x74, STOP], /no MARK/],
      [[...P2, 0x68, 0x05, STOP], /memo entry 5 was never stored/],
      [[...P2, 0x4e, 0x4e, STOP], /STOP with 2 values/],
      [[...P2, 0x4e, 0x4e, 0x61, STOP], /APPEND on a None, expected a list/],
      [[...P2, 0x8c, 0x02, 0xc3, 0x28, STOP], /not valid UTF-8/],
      [[0x80, 0x09, STOP], /protocol newer than 5/],
    ];
    for (const [bytes, re] of cases) expect(() => run(bytes), String(re)).toThrow(re);
  });
});

describe("crafted files (valid checksums, hostile content)", () => {
  /** Re-checksum a lockstep file whose structure record was replaced. */
  async function withStructure(structure: string): Promise<Uint8Array> {
    const { entries, metadata } = decodeSafetensors(await toBytes({ w: torch.ones([1]) }), "x");
    const md: Record<string, string> = { ...metadata!, "lockstep.structure": structure };
    const tensors = entries.map((e) => ({
      name: e.name,
      dtype: e.dtype,
      shape: e.shape,
      bytes: new Uint8Array([0, 0, 128, 63]),
    }));
    const draft = decodeSafetensors(encodeSafetensors(tensors, md), "x");
    const hex = async (b: Uint8Array | string) =>
      Array.from(
        new Uint8Array(await crypto.subtle.digest("SHA-256", typeof b === "string" ? new TextEncoder().encode(b) : b)),
        (x) => x.toString(16).padStart(2, "0"),
      ).join("");
    md["lockstep.sha256"] = await hex(draft.data);
    const meta = Object.entries(md)
      .filter(([k]) => k !== "lockstep.sha256" && k !== "lockstep.header_sha256")
      .sort(([a], [b]) => (a < b ? -1 : 1));
    md["lockstep.header_sha256"] = await hex(
      JSON.stringify([meta, draft.entries.map((e) => [e.name, e.dtype, e.shape, e.offsets])]),
    );
    return encodeSafetensors(tensors, md);
  }

  it("a well-formed crafted structure loads (the checksum helper above is right)", async () => {
    const v = await load(await withStructure('{"$o":[["w",{"$t":"w"}],["x",1]]}'));
    expect(v.x).toBe(1);
    expect(await v.w.tolist()).toEqual([1]);
  });

  it("malformed structure records raise CheckpointError", async () => {
    for (const s of [
      '{"$o":5}',
      '{"$big":"abc"}',
      '{"$t":"missing"}',
      '{"$what":1}',
      '{"$n":"nope"}',
      "[".repeat(20000) + "]".repeat(20000),
      "not json",
    ]) {
      const err = await load(await withStructure(s)).catch((e) => e);
      expect(err, s.slice(0, 20)).toBeInstanceOf(CheckpointError);
    }
  });
});
