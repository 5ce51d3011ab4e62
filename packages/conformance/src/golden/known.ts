// Known open bugs of a backend on the golden cases, per PyTorch op: the op still runs and is
// reported (knownIssue in the report, not counted as unexpected), and its vitest test is `it.fails`,
// so a fix shows up as a test to update. The reasons name who owns the fix ("core: ..."). An entry
// "op@file" limits the issue to that golden file.
export const GOLDEN_KNOWN: Record<string, Record<string, string>> = {
  webgpu: {
    var: "core: var/std accumulate in float32 on webgpu (no float64), the reference in float64 (1–2 ulp off)",
    std: "core: var/std accumulate in float32 on webgpu (no float64), the reference in float64 (1–2 ulp off)",
    trace: "core: trace accumulates in float32 on webgpu (no float64), the reference in float64 (1 ulp off)",
    "linalg.matrix_power": "core: linalg.inv runs on the host and needs synchronous readback",
    getitem: "core: boolean-mask indexing needs nonzero's synchronous readback",
    "Tensor.index_put": "core: boolean-mask index_put needs nonzero's synchronous readback",
    nonzero: "core: nonzero needs synchronous readback of its output size",
  },
};

/** The known issue of a golden op on a backend, in a given golden file. */
export const goldenKnownIssue = (backend: string, op: string, file: string): string | undefined =>
  GOLDEN_KNOWN[backend]?.[`${op}@${file}`] ?? GOLDEN_KNOWN[backend]?.[op];
