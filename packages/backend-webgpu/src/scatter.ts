// Parallel scatter that keeps the contract's order: the positions i are stably sorted by their
// target offset (the bitonic sort of sort.ts, on (offset, i) — equal offsets keep index order), so
// each target's updates form one run of the sorted list, in index order. One invocation per run
// (the run's first position) then applies them sequentially: "add" adds them one after the other,
// each sum rounded to the target's dtype as the sequential kernel does; "set" stores the last.
import type { DType, View } from "@lockstep/core";
import type { GpuStorage } from "./backend.js";
import { rawLoad, rawStore } from "./kernels.js";
import { PRELUDE, type Runtime, WORKGROUP } from "./runtime.js";
import { canSortBitonic, sortBitonic } from "./sort.js";
import { fromStorage, isFloat, newContext, storageType } from "./wgsl.js";
import { libSource } from "./wgsl_lib.js";

/** Scatters of at least this many updates use the sorted path (below: the sequential kernel). */
export const SCATTER_PARALLEL_MIN = 4096;

export function canScatterInParallel(target: View, offsets: View, src: View): boolean {
  const n = offsets.shape.reduce((a, b) => a * b, 1);
  if (n < SCATTER_PARALLEL_MIN || n > 2 ** 24) return false;
  if (target.buf === offsets.buf || target.buf === src.buf) return false;
  const flat = { ...offsets, shape: [n], strides: [1] };
  return canSortBitonic(fakeView(null, offsets.dtype, n), fakeView(undefined, "int64", n), flat);
}

function fakeView(buf: unknown, dtype: DType, n: number): View {
  return { buf, dtype, shape: [n], strides: [1], offset: 0 };
}

const cache = new Map<string, string>();

/** Params: [n, offsets off, src off]. Bindings: 1 target (w), 2 offsets, 3 src, 4 sorted positions (int64 words). */
function runSource(target: View, offsets: View, src: View, mode: "set" | "add"): string {
  const ctx = newContext({
    param: () => "0u",
    load: () => "0u",
    gload: () => "0u",
    coord: () => "0",
    acc: "acc",
  });
  const d = target.dtype;
  const off = (i: string) => (offsets.dtype === "int64" ? `OFF[2u * (P[1] + ${i})]` : `u32(OFF[P[1] + ${i}])`);
  // B0 = target, B2 = src (names rawLoad/rawStore use)
  let apply: string;
  if (mode === "add") {
    const s = fromStorage(d, rawLoad(2, d, "P[2] + i"), ctx);
    const t = fromStorage(d, rawLoad(0, d, "o"), ctx);
    let v: string;
    if (isFloat(d))
      v = `(${t} + ${s})`; // 16-bit floats: rounded by the store, each step
    else if (d === "int64") {
      ctx.lib.add("i64_add");
      v = `i64_add(${t}, ${s})`;
    } else if (d === "bool") v = `(${t} || ${s})`;
    else if (d === "uint8") v = `((${t} + ${s}) & 255u)`;
    else v = `(${t} + ${s})`;
    apply = `for (var q = p; q < end; q++) { let i = SORTED[2u * q]; ${rawStore(0, d, "o", v, ctx)} }`;
  } else {
    // the last update wins; stored words move unchanged (NaN payloads), as the reference does
    apply =
      d === "int64"
        ? "let i = SORTED[2u * (end - 1u)]; B0[2u * o] = B2[2u * (P[2] + i)]; B0[2u * o + 1u] = B2[2u * (P[2] + i) + 1u];"
        : "let i = SORTED[2u * (end - 1u)]; B0[o] = B2[P[2] + i];";
  }
  return `${PRELUDE}
@group(0) @binding(1) var<storage, read_write> B0: array<${storageType(d)}>;
@group(0) @binding(2) var<storage, read> OFF: array<${storageType(offsets.dtype)}>;
@group(0) @binding(3) var<storage, read> B2: array<${storageType(src.dtype)}>;
@group(0) @binding(4) var<storage, read> SORTED: array<u32>;
${libSource(ctx.lib)}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let p = invocation(gid, nwg);
  let n = P[0];
  if (p >= n) { return; }
  let o = ${off("SORTED[2u * p]")};
  // only the first position of each run works
  if (p > 0u && ${off("SORTED[2u * (p - 1u)]")} == o) { return; }
  var end = p + 1u;
  loop { if (end >= n || ${off("SORTED[2u * end]")} != o) { break; } end = end + 1u; }
  ${apply}
}`;
}

export function scatterParallel(rt: Runtime, target: View, offsets: View, src: View, mode: "set" | "add"): void {
  const n = offsets.shape.reduce((a, b) => a * b, 1);
  const sortedVals = rt.scratch(n * 8);
  const sortedIdx = rt.scratch(n * 8);
  const flat: View = { ...offsets, shape: [n], strides: [1] };
  sortBitonic(
    rt,
    fakeView({ buffer: sortedVals, dtype: offsets.dtype, numel: n } satisfies GpuStorage, offsets.dtype, n),
    fakeView({ buffer: sortedIdx, dtype: "int64", numel: n } satisfies GpuStorage, "int64", n),
    flat,
    false,
  );
  rt.release(sortedVals);
  const key = `${mode}|${target.dtype}|${offsets.dtype}|${src.dtype}`;
  let source = cache.get(key);
  if (!source) {
    source = runSource(target, offsets, src, mode);
    cache.set(key, source);
  }
  rt.dispatch(
    source,
    [
      { buffer: (target.buf as GpuStorage).buffer, writable: true },
      { buffer: (offsets.buf as GpuStorage).buffer, writable: false },
      { buffer: (src.buf as GpuStorage).buffer, writable: false },
      { buffer: sortedIdx, writable: false },
    ],
    Uint32Array.from([n, offsets.offset, src.offset], (x) => x >>> 0),
    n,
  );
  rt.release(sortedIdx);
}
