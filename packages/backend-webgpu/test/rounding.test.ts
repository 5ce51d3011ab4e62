// Portable numerics' correctly rounded division and square root: the WGSL correction step must
// turn a platform result that is off by a few ulp (as WGSL allows) into the correctly rounded one.
// lavapipe divides exactly, so the test feeds the correction deliberately perturbed starting values.
import * as torch from "@lockstep/core";
import { describe, expect, it } from "vitest";
import { acquireGpu } from "../src/gpu.js";
import { ENTRY, PRELUDE, Runtime } from "../src/runtime.js";
import { libSource } from "../src/wgsl_lib.js";

const gpu = await acquireGpu().then(
  (g) => g,
  (e: Error) => e,
);

describe.skipIf(gpu instanceof Error)(
  `correctly rounded div/sqrt (${gpu instanceof Error ? gpu.message : gpu.adapterInfo})`,
  () => {
    const rt = new Runtime(gpu as Exclude<typeof gpu, Error>);
    const run = async (body: string, a: Float32Array, b: Float32Array, offsetUlps: number): Promise<Float32Array> => {
      const n = a.length;
      const src = `${PRELUDE}
@group(0) @binding(1) var<storage, read_write> B0: array<f32>;
${libSource(["div_cr", "sqrt_cr"])}
${ENTRY} {
  let i = invocation(gid, nwg);
  if (i >= P[0]) { return; }
  let a = B0[i]; let b = B0[P[0] + i];
  let k = bitcast<i32>(P[1]);
  ${body}
}`;
      const buf = rt.alloc(n * 3 * 4);
      const host = new Float32Array(n * 3);
      host.set(a, 0);
      host.set(b, n);
      rt.write(buf, 0, host);
      rt.dispatch(src, [{ buffer: buf, writable: true }], new Uint32Array([n, offsetUlps >>> 0]), n);
      const out = new Float32Array(await rt.read(buf, n * 8, n * 4));
      rt.release(buf);
      return out;
    };
    const g = new torch.Generator().manualSeed(5);
    const N = 20000;
    // magnitudes 2^±25: quotients stay inside the range the correction covers (|q| in 1e-18..1e18)
    const a = torch
      .pow(2, torch.rand([N], { generator: g }).mul(50).sub(25))
      .mul(torch.rand([N], { generator: g }).sub(0.5))
      .dataSync() as Float32Array;
    const b = torch
      .pow(2, torch.rand([N], { generator: g }).mul(50).sub(25))
      .mul(torch.rand([N], { generator: g }).sub(0.5))
      .dataSync() as Float32Array;
    const nudge = (v: string) => `bitcast<f32>(u32(i32(bitcast<u32>(${v})) + k))`;

    for (const k of [-2, -1, 1, 2])
      it(`division recovers from a start ${k} ulp off`, async () => {
        const got = await run(`B0[2u * P[0] + i] = div_fix(a, b, ${nudge("a / b")});`, a, b, k);
        const want = a.map((x, i) => Math.fround(x / (b[i] as number)));
        expect(Array.from(got)).toEqual(Array.from(want));
      });

    for (const k of [-2, -1, 1, 2])
      it(`square root recovers from a start ${k} ulp off`, async () => {
        const x = a.map(Math.abs);
        const got = await run(`B0[2u * P[0] + i] = sqrt_fix(a, ${nudge("sqrt(a)")});`, x, b, k);
        expect(Array.from(got)).toEqual(Array.from(x.map((v) => Math.fround(Math.sqrt(v)))));
      });
  },
);
