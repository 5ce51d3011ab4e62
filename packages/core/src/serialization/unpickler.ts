// A restricted unpickler: it understands the pickle opcodes that `torch.save` state dicts use and
// nothing else. It never imports or calls anything by name: a GLOBAL is looked up in an allow-list
// the caller supplies (pt.ts: OrderedDict, the tensor-rebuild functions, storage classes), REDUCE
// only calls what that allow-list returned, and every other opcode or name is an UnpicklingError
// that names it. Python values map to JS as follows:
//   int → number when it is a safe integer, else bigint;  float → number;  str → string;
//   bytes → Uint8Array;  True/False → boolean;  None → null;  tuple and list → Array;
//   dict and OrderedDict → a plain object when its keys are all str or int, distinct after
//   String(), and JS's own key order (integer-like keys first, ascending) equals the dict's order;
//   otherwise a Map with the original keys (so no key, type or order is lost silently). int keys of
//   such an object become their decimal strings (`state[0]` still works). Attributes set by BUILD
//   (a state dict's `_metadata`) become non-enumerable properties of the object or Map.
import { UnpicklingError } from "./errors.js";

/** A Python dict / OrderedDict while unpickling (converted by `toJS` once the stream is read). */
export class PyDict {
  readonly entries: [unknown, unknown][] = [];
  readonly attrs = new Map<string, unknown>();
  constructor(readonly ordered: boolean) {}
}

/** An allow-listed global: a marker value (a storage class) or a callable that REDUCE may apply. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly call?: (args: unknown[], ctx: { fail(message: string): never }) => unknown,
  ) {}
  toString(): string {
    return `${this.module}.${this.name}`;
  }
}

export interface UnpickleOptions {
  /** The file named in errors. */
  file: string;
  op?: string;
  /** The allow-list: a PyGlobal for an accepted name, undefined for anything else. */
  findGlobal(module: string, name: string): PyGlobal | undefined;
  /** BINPERSID: resolve a persistent id (PyTorch: a storage). */
  persistentLoad?(pid: unknown, ctx: { fail(message: string): never }): unknown;
}

/** Opcode names, for messages about opcodes we refuse. */
const OPCODE_NAMES = new Map<number, string>(
  "28:MARK 2e:STOP 30:POP 31:POP_MARK 32:DUP 46:FLOAT 49:INT 4a:BININT 4b:BININT1 4c:LONG 4d:BININT2 4e:NONE 50:PERSID 51:BINPERSID 52:REDUCE 53:STRING 54:BINSTRING 55:SHORT_BINSTRING 56:UNICODE 58:BINUNICODE 61:APPEND 62:BUILD 63:GLOBAL 64:DICT 7d:EMPTY_DICT 65:APPENDS 67:GET 68:BINGET 69:INST 6a:LONG_BINGET 6c:LIST 5d:EMPTY_LIST 6f:OBJ 70:PUT 71:BINPUT 72:LONG_BINPUT 73:SETITEM 74:TUPLE 29:EMPTY_TUPLE 75:SETITEMS 47:BINFLOAT 80:PROTO 81:NEWOBJ 82:EXT1 83:EXT2 84:EXT4 85:TUPLE1 86:TUPLE2 87:TUPLE3 88:NEWTRUE 89:NEWFALSE 8a:LONG1 8b:LONG4 42:BINBYTES 43:SHORT_BINBYTES 8c:SHORT_BINUNICODE 8d:BINUNICODE8 8e:BINBYTES8 8f:EMPTY_SET 90:ADDITEMS 91:FROZENSET 92:NEWOBJ_EX 93:STACK_GLOBAL 94:MEMOIZE 95:FRAME 96:BYTEARRAY8 97:NEXT_BUFFER 98:READONLY_BUFFER"
    .split(" ")
    .map((e) => [Number.parseInt(e.slice(0, 2), 16), e.slice(3)] as [number, string]),
);

/** Parse a pickle with the restricted opcode set. Returns raw values (PyDicts inside); see toJS. */
export function unpickle(data: Uint8Array, opts: UnpickleOptions): unknown {
  const op = opts.op ?? "torch.load";
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  let pos = 0;
  let at = 0; // offset of the opcode being executed, for messages
  const fail = (message: string): never => {
    throw new UnpicklingError(op, opts.file, `data.pkl at byte ${at}: ${message}`);
  };
  const ctx = { fail };
  const need = (n: number): number => {
    if (n < 0 || pos + n > data.length) fail(`truncated pickle (needs ${n} more bytes, ${data.length - pos} left)`);
    const p = pos;
    pos += n;
    return p;
  };
  const u8 = (): number => data[need(1)] as number;
  const u16 = (): number => dv.getUint16(need(2), true);
  const i32 = (): number => dv.getInt32(need(4), true);
  const u32 = (): number => dv.getUint32(need(4), true);
  const u64 = (): number => {
    const v = dv.getBigUint64(need(8), true);
    if (v > BigInt(data.length)) fail(`length ${v} exceeds the pickle's size`);
    return Number(v);
  };
  const str = (n: number): string => {
    const p = need(n);
    try {
      return utf8.decode(data.subarray(p, p + n));
    } catch {
      return fail("string is not valid UTF-8");
    }
  };
  const line = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) fail("truncated pickle (unterminated GLOBAL name)");
    const s = String.fromCharCode(...data.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const long = (n: number): number | bigint => {
    const p = need(n);
    if (n === 0) return 0;
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[p + i] as number);
    if ((data[p + n - 1] as number) & 0x80) v -= 1n << BigInt(8 * n);
    return pyInt(v);
  };

  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= (marks[marks.length - 1] as number)))
      fail("stack underflow (malformed pickle)");
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= (marks[marks.length - 1] as number)))
      fail("stack underflow (malformed pickle)");
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail("no MARK on the stack (malformed pickle)");
    return stack.splice(m as number);
  };
  const put = (i: number): void => {
    memo.set(i, top());
  };
  const get = (i: number): void => {
    if (!memo.has(i)) fail(`memo entry ${i} was never stored`);
    stack.push(memo.get(i));
  };
  const asList = (x: unknown, what: string): unknown[] => {
    if (!Array.isArray(x)) fail(`${what} on a ${describe(x)}, expected a list`);
    return x as unknown[];
  };
  const asDict = (x: unknown, what: string): PyDict => {
    if (!(x instanceof PyDict)) fail(`${what} on a ${describe(x)}, expected a dict`);
    return x as PyDict;
  };
  const global = (module: string, name: string): void => {
    const g = opts.findGlobal(module, name);
    if (!g)
      fail(
        `GLOBAL '${module} ${name}' is not on the allow-list of the restricted unpickler (only tensors, storages and containers are loaded; nothing in the file is imported or run)`,
      );
    stack.push(g);
  };

  for (;;) {
    at = pos;
    const code = u8();
    switch (code) {
      case 0x80: // PROTO
        if (u8() > 5) fail("pickle protocol newer than 5");
        break;
      case 0x95: // FRAME: only a length prefix for the following opcodes
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length) fail(`STOP with ${stack.length} values on the stack (malformed pickle)`);
        return stack[0];
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        if (marks.length && stack.length === marks[marks.length - 1]) marks.pop();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(long(u8()));
        break;
      case 0x8b: {
        // LONG4
        const n = i32();
        if (n < 0) fail("LONG4 with a negative length");
        stack.push(long(n));
        break;
      }
      case 0x47: // BINFLOAT (big-endian double)
        stack.push(dv.getFloat64(need(8), false));
        break;
      case 0x58: // BINUNICODE
        stack.push(str(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(str(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(str(u64()));
        break;
      case 0x42: // BINBYTES
      case 0x43: // SHORT_BINBYTES
      case 0x8e: {
        // BINBYTES8
        const n = code === 0x42 ? u32() : code === 0x43 ? u8() : u64();
        const p = need(n);
        stack.push(data.slice(p, p + n));
        break;
      }
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict(false));
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        asList(top(), "APPEND").push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        asList(top(), "APPENDS").push(...items);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        asDict(top(), "SETITEM").entries.push([k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        if (items.length % 2) fail("SETITEMS with an odd number of items");
        const d = asDict(top(), "SETITEMS");
        for (let i = 0; i < items.length; i += 2) d.entries.push([items[i], items[i + 1]]);
        break;
      }
      case 0x71: // BINPUT
        put(u8());
        break;
      case 0x72: // LONG_BINPUT
        put(u32());
        break;
      case 0x94: // MEMOIZE
        put(memo.size);
        break;
      case 0x68: // BINGET
        get(u8());
        break;
      case 0x6a: // LONG_BINGET
        get(u32());
        break;
      case 0x63: {
        // GLOBAL
        const module = line();
        global(module, line());
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") fail("STACK_GLOBAL needs two strings");
        global(module as string, name as string);
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        if (!(fn instanceof PyGlobal) || !fn.call) fail(`REDUCE on ${describe(fn)}, which is not an allow-listed callable`);
        if (!Array.isArray(args)) fail(`REDUCE with ${describe(args)} as arguments, expected a tuple`);
        stack.push((fn as PyGlobal).call!(args as unknown[], ctx));
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) fail("BINPERSID (persistent id) is not accepted here");
        stack.push(opts.persistentLoad!(pid, ctx));
        break;
      }
      case 0x62: {
        // BUILD: only setting attributes on a dict (a state dict's `_metadata`)
        let state = pop();
        const obj = top();
        if (!(obj instanceof PyDict)) fail(`BUILD on ${describe(obj)}; only dict attributes (such as _metadata) are accepted`);
        if (Array.isArray(state) && state.length === 2 && state[1] === null) state = state[0];
        if (!(state instanceof PyDict)) fail(`BUILD with ${describe(state)} as state, expected a dict of attributes`);
        for (const [k, v] of (state as PyDict).entries) {
          if (typeof k !== "string") fail(`BUILD with a ${describe(k)} attribute name`);
          (obj as PyDict).attrs.set(k as string, v);
        }
        break;
      }
      default:
        fail(
          `opcode ${OPCODE_NAMES.get(code) ?? "<unknown>"} (0x${code.toString(16).padStart(2, "0")}) is not accepted by the restricted unpickler (only tensor-rebuild and container opcodes are)`,
        );
    }
  }
}

function pyInt(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function describe(x: unknown): string {
  if (x === null) return "None";
  if (x instanceof PyDict) return "dict";
  if (x instanceof PyGlobal) return `global '${x.module} ${x.name}'`;
  if (Array.isArray(x)) return "tuple/list";
  if (typeof x === "object") return (x as object).constructor?.name ?? "object";
  return typeof x;
}

const defineValue = (o: object, k: PropertyKey, value: unknown, enumerable: boolean): void => {
  Object.defineProperty(o, k, { value, enumerable, writable: true, configurable: true });
};

/**
 * Convert the raw unpickled value to plain JS (see the module header): PyDicts become objects or
 * Maps; shared and cyclic references stay shared. `leaf` may reject other raw values.
 */
export function toJS(raw: unknown, leaf: (x: unknown) => unknown = (x) => x): unknown {
  const done = new Map<object, unknown>();
  const conv = (x: unknown): unknown => {
    if (x === null || typeof x !== "object") return x;
    const seen = done.get(x);
    if (seen !== undefined) return seen;
    if (Array.isArray(x)) {
      const out: unknown[] = new Array(x.length);
      done.set(x, out);
      for (let i = 0; i < x.length; i++) out[i] = conv(x[i]);
      return out;
    }
    if (x instanceof PyDict) {
      const names = x.entries.map(([k]) => (typeof k === "string" ? k : typeof k === "number" ? String(k) : undefined));
      const plain =
        names.every((n) => n !== undefined) &&
        new Set(names).size === names.length &&
        sameOrder(names as string[], objectKeyOrder(names as string[]));
      let out: object;
      if (plain) {
        out = {};
        done.set(x, out);
        x.entries.forEach(([, v], i) => defineValue(out, names[i] as string, conv(v), true));
      } else {
        const m = new Map<unknown, unknown>();
        out = m;
        done.set(x, out);
        for (const [k, v] of x.entries) m.set(conv(k), conv(v));
      }
      for (const [k, v] of x.attrs) if (!Object.hasOwn(out, k)) defineValue(out, k, conv(v), false);
      return out;
    }
    return leaf(x);
  };
  return conv(raw);
}

const isArrayIndex = (k: string): boolean => /^(0|[1-9]\d*)$/.test(k) && Number(k) < 2 ** 32 - 1;

/** The order JS gives these own keys: array indices ascending, then the others in insertion order. */
function objectKeyOrder(keys: string[]): string[] {
  const idx = keys.filter(isArrayIndex).sort((a, b) => Number(a) - Number(b));
  return [...idx, ...keys.filter((k) => !isArrayIndex(k))];
}
const sameOrder = (a: string[], b: string[]): boolean => a.every((k, i) => k === b[i]);
