// torch.load of `.pt` files written by Debian's PyTorch 1.13 (tools/golden/gen_checkpoints.py):
// exact bits, dtypes, shapes, strides, storage offsets and storage sharing; Python values mapped as
// documented in src/serialization/unpickler.ts; refused files refused with clear errors; corrupt and
// truncated files always raise CheckpointError (never another error, never a silent change).
import { readFileSync } from "node:fs";
import { Tensor } from "@lockstep/core";
import { describe, expect, it } from "vitest";
import { isParameter } from "../src/nn/parameter.js";
import { CheckpointError, load, UnpicklingError } from "../src/serialization/index.js";
import { ZipArchive } from "../src/serialization/pt_zip.js";

const DIR = new URL("../../../test-vectors/checkpoints/", import.meta.url);
const bytesOf = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, DIR)));
const expected = JSON.parse(readFileSync(new URL("expected.json", DIR), "utf8")) as {
  torch_version: string;
  files: Record<string, { top?: string; value?: unknown; shared?: (string | number)[][][]; error?: string }>;
};

const ITEM: Record<string, number> = { float32: 4, float64: 8, float16: 2, bfloat16: 2, int32: 4, int64: 8, uint8: 1, bool: 1 };

/** The golden hex of a whole storage: each element's bits as a big-endian hex number. */
function storageHex(t: Tensor): string {
  const s = t._storage;
  const a = s.backend.readSync!(s.buf, t.dtype, 0, s.numel);
  const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const w = ITEM[t.dtype] as number;
  let out = "";
  for (let i = 0; i < b.length; i += w)
    for (let j = w - 1; j >= 0; j--) out += (b[i + j] as number).toString(16).padStart(2, "0");
  return out;
}

type Path = (string | number)[];

/** Is a dict with these keys returned as a plain object? (The documented rule, checked against JS itself.) */
function expectPlain(keys: unknown[]): boolean {
  if (!keys.every((k) => typeof k === "string" || typeof k === "number")) return false;
  const names = keys.map(String);
  if (new Set(names).size !== names.length) return false;
  const probe: Record<string, number> = {};
  for (const n of names) probe[n] = 0;
  return Object.keys(probe).every((k, i) => k === names[i]);
}

function decodeKey(k: unknown): unknown {
  if (k !== null && typeof k === "object" && "$tuple" in k) return (k as { $tuple: unknown[] }).$tuple.map(decodeKey);
  if (k !== null && typeof k === "object" && "$int" in k) return BigInt((k as { $int: string }).$int);
  return k;
}

function check(actual: unknown, exp: unknown, path: Path, tensors: Map<string, Tensor>): void {
  const where = `at ${path.join(".") || "<root>"}`;
  if (exp === null || typeof exp !== "object") {
    if (typeof exp === "number") expect(Object.is(actual, exp), `${where}: ${String(actual)} vs ${exp}`).toBe(true);
    else expect(actual, where).toBe(exp);
    return;
  }
  if (Array.isArray(exp)) {
    expect(Array.isArray(actual), where).toBe(true);
    expect((actual as unknown[]).length, where).toBe(exp.length);
    exp.forEach((e, i) => check((actual as unknown[])[i], e, [...path, i], tensors));
    return;
  }
  const e = exp as Record<string, any>;
  if ("$tuple" in e) {
    check(actual, e.$tuple, path, tensors);
    return;
  }
  if ("$int" in e) return void expect(actual, where).toBe(BigInt(e.$int));
  if ("float" in e) {
    const v = { nan: NaN, inf: Infinity, "-inf": -Infinity, "-0": -0 }[e.float as string];
    return void expect(Object.is(actual, v), `${where}: ${String(actual)} vs ${e.float}`).toBe(true);
  }
  if ("$dict" in e) {
    const entries = e.$dict as [unknown, unknown][];
    const keys = entries.map(([k]) => decodeKey(k));
    if (expectPlain(keys)) {
      expect(actual instanceof Map, `${where}: expected a plain object`).toBe(false);
      expect(Object.keys(actual as object), where).toEqual(keys.map(String));
      entries.forEach(([k, v]) => check((actual as Record<string, unknown>)[String(k)], v, [...path, String(k)], tensors));
    } else {
      expect(actual instanceof Map, `${where}: expected a Map`).toBe(true);
      const m = actual as Map<unknown, unknown>;
      const actualKeys = [...m.keys()];
      expect(actualKeys.length, where).toBe(keys.length);
      keys.forEach((k, i) => {
        expect(actualKeys[i], where).toEqual(k);
        check(m.get(actualKeys[i]), (entries[i] as [unknown, unknown])[1], [...path, String(k)], tensors);
      });
    }
    return;
  }
  if ("storage" in e) {
    expect(actual instanceof Tensor, `${where}: expected a Tensor`).toBe(true);
    const t = actual as Tensor;
    expect(t.dtype, where).toBe(e.dtype);
    expect([...t.shape], where).toEqual(e.shape);
    expect([...t.strides], where).toEqual(e.stride);
    expect(t.offset, where).toBe(e.offset);
    expect(storageHex(t), where).toBe(e.storage);
    expect(t.requiresGrad, where).toBe(e.requires_grad);
    expect(isParameter(t), where).toBe(e.parameter);
    expect(t.device, where).toBe("cpu");
    tensors.set(path.join("."), t);
    return;
  }
  throw new Error(`unexpected golden node ${where}: ${JSON.stringify(e).slice(0, 80)}`);
}

const good = Object.entries(expected.files).filter(([, f]) => f.error === undefined);
const bad = Object.entries(expected.files).filter(([, f]) => f.error !== undefined);

describe("torch.load of PyTorch 1.13 .pt files", () => {
  it("goldens come from Debian's PyTorch", () => {
    expect(expected.torch_version).toMatch(/^1\.13/);
    expect(good.map(([n]) => n)).toEqual(
      expect.arrayContaining(["linear.pt", "adam.pt", "dtypes.pt", "views.pt", "values.pt", "file_object.pt", "protocol4.pt"]),
    );
  });

  for (const [name, f] of good) {
    it(`${name}: exact values, layout and storage sharing`, async () => {
      const bytes = bytesOf(name);
      // the zip folder is the one the golden names (file objects get archive/)
      expect([...new ZipArchive(bytes, name).entries.keys()]).toContain(`${f.top}/data.pkl`);
      const v = await load(new URL(name, DIR).pathname);
      const tensors = new Map<string, Tensor>();
      check(v, f.value, [], tensors);
      // tensors share a storage exactly when they did in PyTorch
      const groups = new Map<unknown, string[]>();
      for (const [p, t] of tensors) groups.set(t._storage, [...(groups.get(t._storage) ?? []), p]);
      const shared = [...groups.values()].filter((g) => g.length > 1).map((g) => g.sort());
      expect(shared.sort()).toEqual((f.shared ?? []).map((g) => g.map((p) => p.join(".")).sort()).sort());
    });
  }

  it("a state dict loads into the same object shape as a lockstep state dict, with _metadata hidden", async () => {
    const sd = await load(new URL("linear.pt", DIR).pathname);
    expect(Object.keys(sd)).toEqual(["0.weight", "0.bias", "2.weight", "2.bias"]);
    expect(Object.getOwnPropertyDescriptor(sd, "_metadata")?.enumerable).toBe(false);
    // PyTorch's _metadata maps module prefixes ('', '0', '2') to {version: 1}: '' before '0' is not JS order → a Map
    const md = sd._metadata as Map<string, Record<string, unknown>>;
    expect(md instanceof Map).toBe(true);
    expect([...md.keys()]).toEqual(["", "0", "1", "2"]);
    expect(md.get("0")).toEqual({ version: 1 });
  });

  it("an Adam state dict: int keys as object keys, 0-dim float32 step tensors, param groups", async () => {
    const osd = await load(new URL("adam.pt", DIR).pathname);
    expect(Object.keys(osd.state)).toEqual(["0", "1", "2", "3"]);
    expect(osd.state[0].step.shape).toEqual([]);
    expect(osd.state[0].step.dtype).toBe("float32");
    expect(osd.state[0].step.itemSync()).toBe(2);
    expect(osd.param_groups[0].betas).toEqual([0.8, 0.995]);
    expect(osd.param_groups[0].params).toEqual([0, 1, 2, 3]);
    expect(osd.param_groups[0].foreach).toBe(null);
  });

  it("views keep PyTorch's geometry and read the right elements", async () => {
    const v = await load(new URL("views.pt", DIR).pathname);
    expect(await v.transposed.tolist()).toEqual([
      [0.5, 4.5, 8.5],
      [1.5, 5.5, 9.5],
      [2.5, 6.5, 10.5],
      [3.5, 7.5, 11.5],
    ]);
    expect(v.transposed.isContiguous()).toBe(false);
    expect(v.expanded.strides).toEqual([0, 1]);
    expect(await v.column.tolist()).toEqual([2.5, 6.5, 10.5]);
    expect(await v.sliced_step.tolist()).toEqual([1, 4, 7]);
    // shared storage is real sharing: writing through one view shows in the other
    v.row.mul_(2);
    expect(await v.base.tolist()).toEqual([
      [0.5, 1.5, 2.5, 3.5],
      [9, 11, 13, 15],
      [8.5, 9.5, 10.5, 11.5],
    ]);
  });

  it("{ device } puts every tensor there, storage sharing kept", async () => {
    const v = await load(new URL("views.pt", DIR).pathname, { device: "reference" });
    expect(v.base.device).toBe("reference");
    expect(v.row._storage).toBe(v.base._storage);
    expect(await v.transposed.tolist()).toEqual([
      [0.5, 4.5, 8.5],
      [1.5, 5.5, 9.5],
      [2.5, 6.5, 10.5],
      [3.5, 7.5, 11.5],
    ]);
    await expect(load(new URL("views.pt", DIR).pathname, { device: "nope" })).rejects.toThrow(/unknown device 'nope'/);
  });

  it("an nn.Parameter saved directly loads as a Parameter that requires grad; one object saved twice loads once", async () => {
    const v = await load(new URL("values.pt", DIR).pathname);
    expect(isParameter(v.parameter)).toBe(true);
    expect(v.parameter.requiresGrad).toBe(true);
    expect(v.same_tensor_twice[0]).toBe(v.same_tensor_twice[1]);
    expect(v.same_tensor_twice[0]).toBe(v.parameter);
  });

  it("reads from bytes as well as paths", async () => {
    const v = await load(bytesOf("file_object.pt"));
    expect(v.step).toBe(3);
    expect(await v.weight.tolist()).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });
});

describe("files torch.load refuses", () => {
  it("every refused golden is listed", () => {
    expect(bad.map(([n]) => n).sort()).toEqual(["int8.pt", "legacy.pt", "malicious_eval.pt", "malicious_os_system.pt"]);
  });

  it("malicious pickles (GLOBAL os system, builtins eval) are rejected before anything runs", async () => {
    for (const [name, what] of [
      ["malicious_os_system.pt", "GLOBAL 'os system'"],
      ["malicious_eval.pt", "GLOBAL 'builtins eval'"],
    ] as const) {
      const p = new URL(name, DIR).pathname;
      const err = await load(p).catch((e) => e);
      expect(err).toBeInstanceOf(UnpicklingError);
      expect(err).toBeInstanceOf(CheckpointError);
      expect(err.message).toContain(what);
      expect(err.message).toContain("not on the allow-list");
      expect(err.message).toContain(p);
      expect(err.file).toBe(p);
    }
  });

  it("int8 (CharStorage) is named as an unsupported dtype", async () => {
    await expect(load(new URL("int8.pt", DIR).pathname)).rejects.toThrow(
      /torch\.CharStorage \(int8\), which is not a lockstep dtype/,
    );
  });

  it("the legacy (pre-1.6) format is recognised and refused with advice", async () => {
    const err = await load(new URL("legacy.pt", DIR).pathname).catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toMatch(/legacy \(pre-1\.6, non-zip\)/);
  });
});

describe("corrupt and truncated .pt files", () => {
  const name = "linear.pt";
  const orig = bytesOf(name);
  const zip = new ZipArchive(orig, name);

  it("a flipped bit in a tensor record fails its CRC-32 (PyTorch would load it silently)", async () => {
    const b = orig.slice();
    const e = zip.entries.get("linear/data/0")!;
    b[e.dataOffset + 3] = (b[e.dataOffset + 3] as number) ^ 0x10;
    await expect(load(b)).rejects.toThrow(/record 'linear\/data\/0' fails its CRC-32 check .* the file is corrupt/);
  });

  it("a flipped bit in data.pkl fails its CRC-32", async () => {
    const b = orig.slice();
    const e = zip.entries.get("linear/data.pkl")!;
    b[e.dataOffset + 20] = (b[e.dataOffset + 20] as number) ^ 0x01;
    await expect(load(b)).rejects.toThrow(/record 'linear\/data.pkl' fails its CRC-32 check/);
  });

  it("truncated anywhere: CheckpointError", async () => {
    for (const n of [0, 3, 4, 30, 100, 600, orig.length - 23, orig.length - 22, orig.length - 1]) {
      const err = await load(orig.subarray(0, n)).catch((e) => e);
      expect(err, `cut at ${n}`).toBeInstanceOf(CheckpointError);
    }
    const cut = await load(orig.subarray(0, orig.length - 1)).catch((e) => e);
    expect(cut.message).toMatch(/truncated/);
  });

  it("every single-byte corruption either raises CheckpointError or loads the same values", async () => {
    const good = await load(orig);
    const same = async (v: Record<string, Tensor>): Promise<boolean> => {
      if (Object.keys(v).join() !== Object.keys(good).join()) return false;
      for (const k of Object.keys(good))
        if (JSON.stringify(await v[k]!.tolist()) !== JSON.stringify(await good[k]!.tolist())) return false;
      return true;
    };
    let refused = 0;
    for (let i = 0; i < orig.length; i++) {
      const b = orig.slice();
      b[i] = (b[i] as number) ^ 0xa5;
      let v: unknown;
      try {
        v = await load(b);
      } catch (e) {
        if (!(e instanceof CheckpointError)) throw new Error(`byte ${i}: ${(e as Error).stack}`);
        refused++;
        continue;
      }
      expect(await same(v as Record<string, Tensor>), `byte ${i} changed the values without an error`).toBe(true);
    }
    // headers' unchecked fields (timestamps, versions, padding) may change harmlessly; data never silently
    expect(refused).toBeGreaterThan(orig.length / 2);
  });
});

// ---- hand-made archives for the error paths PyTorch never writes ----

import { crc32 } from "../src/serialization/index.js";

/** A zip with stored entries (what torch.save writes, minus the alignment padding). */
function zip(files: [string, Uint8Array][], opts: { method?: number } = {}): Uint8Array {
  const te = new TextEncoder();
  const parts: number[] = [];
  const central: number[] = [];
  const u16 = (n: number) => [n & 0xff, (n >> 8) & 0xff];
  const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
  for (const [name, data] of files) {
    const nb = [...te.encode(name)];
    const off = parts.length;
    const crc = crc32(data);
    const common = [
      ...u16(20),
      ...u16(0),
      ...u16(opts.method ?? 0),
      ...u16(0),
      ...u16(0),
      ...u32(crc),
      ...u32(data.length),
      ...u32(data.length),
      ...u16(nb.length),
      ...u16(0),
    ];
    parts.push(...u32(0x04034b50), ...common, ...nb);
    for (const x of data) parts.push(x);
    central.push(...u32(0x02014b50), ...u16(20), ...common, ...u16(0), ...u16(0), ...u16(0), ...u32(0), ...u32(off), ...nb);
  }
  const cdOff = parts.length;
  return new Uint8Array([
    ...parts.values(),
    ...central,
    ...u32(0x06054b50),
    ...u16(0),
    ...u16(0),
    ...u16(files.length),
    ...u16(files.length),
    ...u32(central.length),
    ...u32(cdOff),
    ...u16(0),
  ]);
}

const te = new TextEncoder();
const uni = (s: string): number[] => [0x8c, s.length, ...te.encode(s)];
const glob = (m: string, n: string): number[] => [0x63, ...te.encode(`${m}\n${n}\n`)];
/** data.pkl of one tensor: _rebuild_tensor_v2(('storage', <cls>, '0', 'cpu', numel), offset, size, stride, False, OrderedDict()). */
function tensorPickle(cls: string, numel: number, offset: number, size: number[], stride: number[]): Uint8Array {
  return new Uint8Array([
    0x80,
    0x02,
    ...glob("torch._utils", "_rebuild_tensor_v2"),
    0x28,
    0x28,
    ...uni("storage"),
    ...glob("torch", cls),
    ...uni("0"),
    ...uni("cpu"),
    0x4b,
    numel,
    0x74,
    0x51,
    0x4b,
    offset,
    0x28,
    ...size.flatMap((s) => [0x4b, s]),
    0x74,
    0x28,
    ...stride.flatMap((s) => [0x4b, s]),
    0x74,
    0x89,
    ...glob("collections", "OrderedDict"),
    0x29,
    0x52,
    0x74,
    0x52,
    0x2e,
  ]);
}
const f32 = (xs: number[]): Uint8Array => new Uint8Array(new Float32Array(xs).buffer);
const V3 = te.encode("3\n");

describe("hand-made .pt archives", () => {
  it("the helper makes archives the reader accepts", async () => {
    const t = await load(
      zip([
        ["m/data.pkl", tensorPickle("FloatStorage", 4, 1, [2], [2])],
        ["m/data/0", f32([0, 1, 2, 3])],
        ["m/version", V3],
      ]),
    );
    expect([...t.strides]).toEqual([2]);
    expect(await t.tolist()).toEqual([1, 3]);
  });

  const cases: [string, () => Uint8Array, RegExp][] = [
    ["no data.pkl", () => zip([["m/version", V3]]), /no '<folder>\/data.pkl' record/],
    [
      "compressed entry",
      () => zip([["m/data.pkl", new Uint8Array([0x80, 0x02, 0x4e, 0x2e])]], { method: 8 }),
      /is compressed \(method 8\)/,
    ],
    [
      "missing storage record",
      () => zip([["m/data.pkl", tensorPickle("FloatStorage", 4, 0, [4], [1])]]),
      /record 'm\/data\/0' is missing/,
    ],
    [
      "storage record of the wrong size",
      () =>
        zip([
          ["m/data.pkl", tensorPickle("FloatStorage", 4, 0, [4], [1])],
          ["m/data/0", f32([1, 2, 3])],
        ]),
      /has 12 bytes, but 4 float32 elements need 16/,
    ],
    [
      "tensor reaching past its storage",
      () =>
        zip([
          ["m/data.pkl", tensorPickle("FloatStorage", 4, 1, [2], [3])],
          ["m/data/0", f32([1, 2, 3, 4])],
        ]),
      /reaches element 4 of storage '0', which has 4/,
    ],
    [
      "bool that is not 0 or 1",
      () =>
        zip([
          ["m/data.pkl", tensorPickle("BoolStorage", 2, 0, [2], [1])],
          ["m/data/0", new Uint8Array([1, 2])],
        ]),
      /holds a bool that is neither 0 nor 1/,
    ],
    [
      "big-endian archive",
      () =>
        zip([
          ["m/data.pkl", new Uint8Array([0x80, 0x02, 0x4e, 0x2e])],
          ["m/byteorder", te.encode("big")],
        ]),
      /byte order 'big'/,
    ],
    [
      "ShortStorage",
      () =>
        zip([
          ["m/data.pkl", tensorPickle("ShortStorage", 1, 0, [1], [1])],
          ["m/data/0", new Uint8Array(2)],
        ]),
      /torch\.ShortStorage \(int16\), which is not a lockstep dtype/,
    ],
    [
      "a bare storage as a value",
      () =>
        zip([
          [
            "m/data.pkl",
            new Uint8Array([
              0x80,
              0x02,
              0x28,
              ...uni("storage"),
              ...glob("torch", "FloatStorage"),
              ...uni("0"),
              ...uni("cpu"),
              0x4b,
              1,
              0x74,
              0x51,
              0x2e,
            ]),
          ],
          ["m/data/0", f32([1])],
        ]),
      /a bare storage \('0'\) is not supported/,
    ],
    [
      "a global as a value",
      () => zip([["m/data.pkl", new Uint8Array([0x80, 0x02, ...glob("collections", "OrderedDict"), 0x2e])]]),
      /the global 'collections.OrderedDict' is not a value/,
    ],
    [
      "lists nested 200,000 deep",
      () =>
        zip([
          ["m/data.pkl", new Uint8Array([0x80, 0x02].concat(new Array(200000).fill(0x5d), new Array(199999).fill(0x61), [0x2e]))],
        ]),
      /data.pkl could not be converted/,
    ],
  ];
  for (const [what, make, re] of cases)
    it(`${what}: CheckpointError`, async () => {
      const err = await load(make()).catch((e) => e);
      expect(err).toBeInstanceOf(CheckpointError);
      expect(err.message).toMatch(re);
    });
});
