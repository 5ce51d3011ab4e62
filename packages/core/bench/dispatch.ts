// Kernel throughput and per-op dispatch overhead of the exact reference (device "reference"), as a
// program that prints one JSON object (never a timed test). Run from packages/core:
//   npx tsx --conditions=source bench/dispatch.ts [device]
// Figures: ns/element for elementwise kernels over 1M float32, ns/element for a 16M sum and a
// column sum, and µs/op for ops on 4-element tensors (inside torch.tidy; with and without grad).
import * as torch from "@lockstep/core";

const device = process.argv[2] ?? "reference";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] as number;
}

/** Median seconds per call of `run` over `reps` batches of `inner` calls, after warm-up. */
function time(run: () => void, inner: number, reps: number): number {
  for (let i = 0; i < Math.max(2, inner); i++) run();
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) run();
    ts.push((performance.now() - t0) / 1e3 / inner);
  }
  return median(ts);
}

const result: Record<string, number> = {};
const N = 1 << 20;
torch.manualSeed(0);
const a = torch.rand([N]).to(device);
const b = torch.rand([N]).to(device);
const ew: [string, () => torch.Tensor][] = [
  ["add_1M", () => a.add(b)],
  ["mul_1M", () => a.mul(b)],
  ["add_alpha_fma_1M", () => a.add(b, { alpha: 0.5 } as never)],
  ["exp_1M", () => a.exp()],
  ["relu_1M", () => a.relu()],
];
for (const [name, f] of ew) result[`${name}_ns_per_element`] = (time(() => f().dispose(), 5, 9) / N) * 1e9;

const big = torch.rand([1 << 24]).to(device);
result.sum_16M_ns_per_element = (time(() => big.sum().dispose(), 1, 5) / (1 << 24)) * 1e9;
big.dispose();
const m = torch.rand([4096, 256]).to(device);
result.sum_dim0_4096x256_ns_per_element = (time(() => m.sum(0).dispose(), 5, 9) / (4096 * 256)) * 1e9;
result.sum_dim1_4096x256_ns_per_element = (time(() => m.sum(1).dispose(), 5, 9) / (4096 * 256)) * 1e9;

const x = torch.ones([4]).to(device);
const y = torch.ones([4]).to(device);
const w = torch.ones([4], { requiresGrad: true }).to(device);
result.add_tiny_us_per_op = time(() => torch.tidy(() => void x.add(y)), 20000, 5) * 1e6;
result.add_tiny_dispose_us_per_op = time(() => x.add(y).dispose(), 20000, 5) * 1e6;
result.mul_tiny_grad_us_per_op = time(() => torch.tidy(() => void w.mul(y)), 20000, 5) * 1e6;

for (const k of Object.keys(result)) result[k] = Number((result[k] as number).toPrecision(4));
console.log(JSON.stringify({ device, ...result }, null, 1));
