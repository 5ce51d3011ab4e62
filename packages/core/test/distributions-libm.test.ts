// The scalar functions the distributions port to reproduce PyTorch 1.13 bit for bit, checked element
// by element against PyTorch and glibc (test-vectors/distributions/libm.json): SLEEF's vectorised
// log1p (float and double; torch.log1p on x86, Laplace samples and icdf), PyTorch's calc_erfinv
// (torch.erfinv, Normal.icdf) and the glibc functions it calls (erff, expf, erf). All must be exact.
import { readFileSync } from "node:fs";
import * as torch from "@lockstep/core";
import { describe, expect, it } from "vitest";
import { erfinv, erfinvf, glibcErf, glibcErff, glibcExpf, sleefLog1p, sleefLog1pf } from "../src/distributions/libm.js";
import { erfinvExact, log1pExact } from "../src/distributions/utils.js";
import { decodeStorage, decodeTensor, type T } from "./golden/harness.js";

interface LCase {
  id: string;
  fn: string;
  x: T;
  out: T;
}
const data: { cases: LCase[] } = JSON.parse(
  readFileSync(new URL("../../../test-vectors/distributions/libm.json", import.meta.url), "utf8"),
);

const same = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

describe("distributions libm ports vs PyTorch / glibc", () => {
  for (const c of data.cases) {
    if (c.fn === "logf") continue; // glibc logf is the random module's port (random-glibc.test.ts)
    it(`${c.id}: every element bit-exact`, () => {
      const f32 = c.x.dtype === "float32";
      const fn = {
        log1p: f32 ? sleefLog1pf : sleefLog1p,
        erfinv: f32 ? erfinvf : erfinv,
        erff: glibcErff,
        expf: glibcExpf,
        erf: glibcErf,
      }[c.fn] as (v: number) => number;
      const x = decodeStorage(c.x);
      const y = decodeStorage(c.out);
      const bad: string[] = [];
      for (let i = 0; i < x.length; i++) {
        const got = fn(x[i] as number);
        if (!same(f32 ? Math.fround(got) : got, y[i] as number)) bad.push(`${x[i]} → ${got}, expected ${y[i]}`);
      }
      expect(bad.slice(0, 5), `${bad.length} of ${x.length} differ`).toEqual([]);
    });
  }

  it("tensor-level log1p / erfinv equal torch.log1p / torch.erfinv on whole tensors", () => {
    for (const c of data.cases.filter((k) => k.fn === "log1p" || k.fn === "erfinv")) {
      const x = decodeTensor(c.x);
      const y = c.fn === "log1p" ? log1pExact(x) : erfinvExact(x);
      const want = decodeStorage(c.out);
      const got = y.dataSync();
      let bad = 0;
      for (let i = 0; i < want.length; i++) if (!same(got[i] as number, want[i] as number)) bad++;
      expect(bad, c.id).toBe(0);
    }
  });

  it("log1pExact and erfinvExact have PyTorch's derivatives (float64 gradcheck)", () => {
    const x = torch.tensor([-0.9, -0.3, 0.0, 0.4, 2.5], { dtype: "float64", requiresGrad: true });
    expect(torch.autograd.gradcheck((t) => log1pExact(t), [x])).toBe(true);
    const y = torch.tensor([-0.95, -0.5, 0.1, 0.69, 0.71, 0.9], { dtype: "float64", requiresGrad: true });
    expect(torch.autograd.gradcheck((t) => erfinvExact(t), [y])).toBe(true);
  });
});
