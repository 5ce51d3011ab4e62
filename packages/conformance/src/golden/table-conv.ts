// Golden-vector entries for the conv ops (see harness.ts for OpEntry).
import type { Tensor } from "@lockstep/core";
import * as torch from "@lockstep/core";
import type { OpTable } from "./harness.js";

const { adaptiveAvgPool2d, avgPool2d, conv1d, conv2d, maxPool2d } = torch.nn.functional;
const { einsum } = torch;
type ConvOptions = NonNullable<Parameters<typeof conv2d>[3]>;

type Conv = typeof conv2d;

/** conv(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1): trailing positionals become options. */
const convEntry = (conv: Conv) => (args: unknown[], kw: Record<string, unknown>) => {
  const [input, weight, bias, stride, padding, dilation, groups] = args as [Tensor, Tensor, Tensor | null, ...unknown[]];
  const positional = { stride, padding, dilation, groups };
  const opts = Object.fromEntries(Object.entries({ ...positional, ...kw }).filter(([, v]) => v !== undefined));
  return conv(input, weight, bias ?? null, opts as ConvOptions);
};

/** pool(input, kernel_size, stride, padding, ...) with PyTorch's positional order after the kernel size. */
const poolArgs = (names: string[], args: unknown[], kw: Record<string, unknown>) => {
  const [input, kernel, ...rest] = args;
  const positional = Object.fromEntries(names.map((n, i) => [n, rest[i]]).filter(([, v]) => v !== undefined));
  const { kernelSize, ...opts } = { ...positional, ...kw };
  return { input: input as Tensor, kernel: (kernel ?? kernelSize) as number | number[], opts };
};

/**
 * Convolutions are sums of C_in/g·kh·kw products: lockstep adds them in the matmul primitive's
 * sequential order without FMA; PyTorch in mkldnn's (float32) or OpenBLAS's (float64) blocked FMA
 * order. Under cancellation the ULP distance of such a sum is unbounded, so the bound is the
 * reordered-sum error relative to the inputs' magnitude (harness `sumTol`); the smallest value
 * that holds for every case: conv1d 0.25, conv2d 0.5 (bias gradients are sums over batch and
 * positions in the reference's pairwise order; weight gradients sums over batch and positions).
 */
const CONV_REASON =
  "summation order: reference = sequential matmul over (c_in, kh, kw) without FMA, PyTorch = mkldnn/OpenBLAS blocked FMA order; gradients are reordered sums too";

export const TABLE: OpTable = {
  "nn.functional.conv1d": { run: convEntry(conv1d), sumTol: 0.25, reason: CONV_REASON },
  "nn.functional.conv2d": { run: convEntry(conv2d), sumTol: 0.5, reason: CONV_REASON },
  "nn.functional.max_pool2d": {
    run: (args, kw) => {
      const { input, kernel, opts } = poolArgs(["stride", "padding", "dilation", "ceilMode", "returnIndices"], args, kw);
      return maxPool2d(input, kernel, opts);
    },
  },
  "nn.functional.avg_pool2d": {
    run: (args, kw) => {
      const { input, kernel, opts } = poolArgs(["stride", "padding", "ceilMode", "countIncludePad", "divisorOverride"], args, kw);
      return avgPool2d(input, kernel, opts);
    },
  },
  "nn.functional.adaptive_avg_pool2d": {
    run: ([input, size]) => adaptiveAvgPool2d(input as Tensor, size as number | (number | null)[]),
    // Only the 1×1 output differs: PyTorch computes it as mean(H, W), whose sum lockstep reduces in
    // its pairwise tree and PyTorch in its vectorised cascade. Every other case is bitwise.
    sumTol: 0.125,
    reason: "a 1×1 output is mean over H, W: summation order differs (reference: pairwise tree; PyTorch: vectorised cascade)",
  },
  einsum: {
    run: ([equation, ...operands]) => einsum(equation as string, ...(operands as Tensor[])),
    // Forward bitwise on every case; the gradient of a broadcast operand (i,j->ij) is a sum over the
    // broadcast dim, in the reference's pairwise order vs PyTorch's sequential one.
    gradUlp: 1,
    reason: "gradients of broadcast operands are sums over the broadcast dims in the reference's pairwise order",
  },
};
