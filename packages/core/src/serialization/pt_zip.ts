// A reader for the zip archives `torch.save` writes (PyTorch ≥ 1.6): stored (uncompressed) entries,
// sizes and CRC-32 taken from the central directory (local headers use data descriptors, flag
// 0x0808), zip64 records understood. Every entry read is checked against its CRC-32, which PyTorch
// itself does not do, so a flipped bit in a tensor's bytes is an error rather than a silent change.
import { CheckpointError } from "./errors.js";

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (the zip / zlib polynomial). */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = (CRC_TABLE[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface ZipEntry {
  readonly name: string;
  readonly size: number;
  readonly crc32: number;
  /** Offset of the entry's data in the archive. */
  readonly dataOffset: number;
}

const hex8 = (x: number): string => `0x${x.toString(16).padStart(8, "0")}`;

export class ZipArchive {
  readonly entries: ReadonlyMap<string, ZipEntry>;

  constructor(
    private readonly bytes: Uint8Array,
    readonly file: string,
    private readonly op = "torch.load",
  ) {
    this.entries = this.readDirectory();
  }

  private fail(message: string): never {
    throw new CheckpointError(this.op, this.file, message);
  }

  private readDirectory(): Map<string, ZipEntry> {
    const b = this.bytes;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const len = b.length;
    const u16 = (o: number) => dv.getUint16(o, true);
    const u32 = (o: number) => dv.getUint32(o, true);
    const u64 = (o: number, what: string): number => {
      const v = dv.getBigUint64(o, true);
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`zip ${what} ${v} is out of range (corrupt file)`);
      return Number(v);
    };
    // End of central directory: 22 bytes + a comment of up to 65535 bytes, at the very end.
    let eocd = -1;
    for (let p = len - 22; p >= Math.max(0, len - 22 - 65535); p--) {
      if (u32(p) === 0x06054b50) {
        eocd = p;
        break;
      }
    }
    if (eocd < 0)
      this.fail(
        `not a complete zip archive: no end-of-central-directory record in its ${len} bytes (the file is truncated or not a torch.save file)`,
      );
    let count = u16(eocd + 10);
    let cdSize = u32(eocd + 12);
    let cdOffset = u32(eocd + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const loc = eocd - 20;
      if (loc < 0 || u32(loc) !== 0x07064b50) this.fail("zip64 archive without a zip64 end-of-central-directory locator");
      const z = u64(loc + 8, "zip64 record offset");
      if (z + 56 > len || u32(z) !== 0x06064b50) this.fail("zip64 end-of-central-directory record missing or corrupt");
      count = u64(z + 32, "entry count");
      cdSize = u64(z + 40, "central directory size");
      cdOffset = u64(z + 48, "central directory offset");
    }
    if (cdOffset + cdSize > eocd)
      this.fail(`central directory (${cdSize} bytes at ${cdOffset}) lies outside the file (truncated or corrupt)`);
    const entries = new Map<string, ZipEntry>();
    const dec = new TextDecoder("utf-8", { fatal: true });
    let p = cdOffset;
    for (let i = 0; i < count; i++) {
      if (p + 46 > len || u32(p) !== 0x02014b50) this.fail(`central directory entry ${i} is missing or corrupt (offset ${p})`);
      const flags = u16(p + 8);
      const method = u16(p + 10);
      const crc = u32(p + 16);
      let compSize = u32(p + 20);
      let size = u32(p + 24);
      const nameLen = u16(p + 28);
      const extraLen = u16(p + 30);
      const commentLen = u16(p + 32);
      let local = u32(p + 42);
      if (p + 46 + nameLen + extraLen + commentLen > len) this.fail(`central directory entry ${i} runs past the end of the file`);
      let name: string;
      try {
        name = dec.decode(b.subarray(p + 46, p + 46 + nameLen));
      } catch {
        this.fail(`central directory entry ${i} has a name that is not UTF-8`);
      }
      // zip64 extended information: the fields that overflowed, in this order.
      let e = p + 46 + nameLen;
      const extraEnd = e + extraLen;
      while (e + 4 <= extraEnd) {
        const id = u16(e);
        const sz = u16(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          if (size === 0xffffffff) {
            size = u64(q, "entry size");
            q += 8;
          }
          if (compSize === 0xffffffff) {
            compSize = u64(q, "entry size");
            q += 8;
          }
          if (local === 0xffffffff) local = u64(q, "entry offset");
        }
        e += 4 + sz;
      }
      if (flags & 1) this.fail(`entry '${name}' is encrypted`);
      if (method !== 0)
        this.fail(`entry '${name}' is compressed (method ${method}); torch.save stores entries uncompressed (method 0)`);
      if (compSize !== size) this.fail(`entry '${name}' has compressed size ${compSize} but size ${size}`);
      if (local + 30 > len || u32(local) !== 0x04034b50)
        this.fail(`entry '${name}': local header missing at offset ${local} (truncated or corrupt)`);
      const dataOffset = local + 30 + u16(local + 26) + u16(local + 28);
      const cdName = b.subarray(p + 46, p + 46 + nameLen);
      const localName = b.subarray(local + 30, Math.min(len, local + 30 + nameLen));
      if (u16(local + 26) !== nameLen || localName.length !== nameLen || localName.some((c, k) => c !== cdName[k]))
        this.fail(`entry '${name}': local header names a different file (corrupt)`);
      if (dataOffset + size > len)
        this.fail(
          `entry '${name}' needs bytes ${dataOffset}..${dataOffset + size} but the file has ${len} (the file is truncated)`,
        );
      if (entries.has(name)) this.fail(`entry '${name}' appears twice`);
      entries.set(name, { name, size, crc32: crc, dataOffset });
      p += 46 + nameLen + extraLen + commentLen;
    }
    return entries;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** An entry's bytes (a view into the archive), after checking its CRC-32. */
  read(name: string): Uint8Array {
    const e = this.entries.get(name);
    if (!e) this.fail(`record '${name}' is missing`);
    const data = this.bytes.subarray(e.dataOffset, e.dataOffset + e.size);
    const c = crc32(data);
    if (c !== e.crc32)
      this.fail(`record '${name}' fails its CRC-32 check (stored ${hex8(e.crc32)}, computed ${hex8(c)}): the file is corrupt`);
    return data;
  }
}
