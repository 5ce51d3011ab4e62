// torch.linalg.inv: the inverse of a batch of square float32/float64 matrices, computed on the host
// (reference backend) by LU factorisation with partial pivoting and triangular solves.
//
// Algorithm and order — exactly the computation PyTorch 1.13's CPU linalg.inv makes through
// reference LAPACK/BLAS (Debian's liblapack3/libblas3 3.11, the library Debian's PyTorch loads
// when no optimised BLAS is installed), each operation rounded to the dtype (Math.fround for
// float32), no FMA:
// - PyTorch computes inv(A) as linalg.solve(A, I). When A is contiguous (row-major) it factors Aᵀ
//   (whose column-major storage is A's row-major storage) and solves Aᵀᵀ X = I with the transposed
//   solve; otherwise it factors A and solves A X = I. Both are followed here, per batch element,
//   and that is also why a zero row of a contiguous A is reported as "diagonal element <row>".
// - Factorisation: LAPACK's xGETRF. For n ≤ 64 (its block size) that is the recursive xGETRF2:
//   split the columns at n1 = ⌊min(m, n)/2⌋, factor the left panel, swap the right columns, solve
//   A12 ← L11⁻¹A12 (xTRSM, column by column, k ascending), update A22 ← A22 − A21·A12 (xGEMM: for
//   each column j, for l ascending, C(:,j) += (−B(l,j))·A(:,l)), factor A22, swap the left columns.
//   A single column pivots on the first entry of largest magnitude (IxAMAX) and is scaled by the
//   rounded reciprocal of the pivot (xSCAL), or divided by it when it is below the underflow
//   threshold. For n > 64: the blocked right-looking loop over 64-column panels, same kernels.
// - Solve (xGETRS) on the identity. Transposed: Uᵀy = b (forward, each x_i = (b_i − Σ_{k<i}
//   U(k,i)x_k) / U(i,i), the sum accumulated left to right), then Lᵀx = y (backward, k ascending
//   from i+1), then the row interchanges in reverse. Not transposed: the interchanges, then
//   Ly = b and Ux = y column-oriented (xTRSM's axpy form: b_i −= x_k·A(i,k) as each x_k is found).
// - A pivot that is exactly zero makes the matrix singular (xGETRF's info): the first one, as
//   PyTorch reports it, raises a ValueError naming the batch element.
// With a different LAPACK under PyTorch (OpenBLAS, MKL: blocked, FMA, other orders) the results
// differ by rounding, within a few ulp times the condition number.
//
// Gradient: PyTorch's linalg_inv_ex formula, −A⁻ᵀ·(g·A⁻ᵀ) (two matmuls of the saved output),
// written with differentiable ops so higher derivatives work.
import { autocastActive, autocastOp } from "../amp/autocast.js";
import { attachGrad } from "../autograd/graph.js";
import { DeviceError, DTypeError, fmtShape, ShapeError, ValueError } from "../errors.js";
import { numel } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { empty, fromStorageArray } from "./core.js";
import { neg } from "./elementwise.js";
import { matmul } from "./linalg.js";
import { transpose } from "./views.js";

/** Rounds a float64 result to the working precision (identity for float64). */
type Round = (x: number) => number;
const ident: Round = (x) => x;

/** LAPACK's xGETRF block size for this routine (ILAENV: 64 for single and double precision). */
const NB = 64;

// Column-major matrices in a Float64Array: element (i, j) (0-based) of the matrix at `o` with
// leading dimension `ld` is a[o + i + j*ld]. Pivot indices are 1-based, as LAPACK's.

/** IxAMAX: 1-based index of the first entry of largest magnitude among a[o..o+n-1]. */
function iamax(n: number, a: Float64Array, o: number): number {
  if (n < 1) return 0;
  let best = 1;
  let max = Math.abs(a[o] as number);
  for (let i = 1; i < n; i++) {
    const v = Math.abs(a[o + i] as number);
    if (v > max) {
      best = i + 1;
      max = v;
    }
  }
  return best;
}

/** xLASWP: row interchanges k1..k2 (1-based, from ipiv[po + k − 1]) on ncols columns; forward or backward. */
function laswp(
  ncols: number,
  a: Float64Array,
  o: number,
  ld: number,
  k1: number,
  k2: number,
  ipiv: Int32Array,
  po: number,
  forward: boolean,
): void {
  const step = forward ? 1 : -1;
  for (let k = forward ? k1 : k2; forward ? k <= k2 : k >= k1; k += step) {
    const p = ipiv[po + k - 1] as number;
    if (p === k) continue;
    for (let j = 0; j < ncols; j++) {
      const x = o + k - 1 + j * ld;
      const y = o + p - 1 + j * ld;
      const t = a[x] as number;
      a[x] = a[y] as number;
      a[y] = t;
    }
  }
}

/** xTRSM('L','U','N','N'), alpha = 1: B ← U⁻¹B (column-oriented, k descending). */
function trsmUpper(
  m: number,
  n: number,
  a: Float64Array,
  ao: number,
  ld: number,
  b: Float64Array,
  bo: number,
  ldb: number,
  r: Round,
): void {
  for (let j = 0; j < n; j++) {
    const bj = bo + j * ldb;
    for (let k = m - 1; k >= 0; k--) {
      if ((b[bj + k] as number) === 0) continue;
      const bk = r((b[bj + k] as number) / (a[ao + k + k * ld] as number));
      b[bj + k] = bk;
      for (let i = 0; i < k; i++) b[bj + i] = r((b[bj + i] as number) - r(bk * (a[ao + i + k * ld] as number)));
    }
  }
}

/** xTRSM('L','L','N','U'), alpha = 1: B ← L⁻¹B, L unit lower (m×m at ao); B m×n at bo in b (may be a itself). */
function trsmLowerUnit(
  m: number,
  n: number,
  a: Float64Array,
  ao: number,
  ld: number,
  b: Float64Array,
  bo: number,
  ldb: number,
  r: Round,
): void {
  for (let j = 0; j < n; j++) {
    const bj = bo + j * ldb;
    for (let k = 0; k < m; k++) {
      const bk = b[bj + k] as number;
      if (bk === 0) continue;
      for (let i = k + 1; i < m; i++) b[bj + i] = r((b[bj + i] as number) - r(bk * (a[ao + i + k * ld] as number)));
    }
  }
}

/** xTRSM('L','U','T','N'), alpha = 1: B ← U⁻ᵀB (i ascending, dot form, k ascending). */
function trsmUpperT(
  m: number,
  n: number,
  a: Float64Array,
  ao: number,
  ld: number,
  b: Float64Array,
  bo: number,
  ldb: number,
  r: Round,
): void {
  for (let j = 0; j < n; j++) {
    const bj = bo + j * ldb;
    for (let i = 0; i < m; i++) {
      let t = b[bj + i] as number;
      for (let k = 0; k < i; k++) t = r(t - r((a[ao + k + i * ld] as number) * (b[bj + k] as number)));
      b[bj + i] = r(t / (a[ao + i + i * ld] as number));
    }
  }
}

/** xTRSM('L','L','T','U'), alpha = 1: B ← L⁻ᵀB (i descending, dot form, k ascending). */
function trsmLowerUnitT(
  m: number,
  n: number,
  a: Float64Array,
  ao: number,
  ld: number,
  b: Float64Array,
  bo: number,
  ldb: number,
  r: Round,
): void {
  for (let j = 0; j < n; j++) {
    const bj = bo + j * ldb;
    for (let i = m - 1; i >= 0; i--) {
      let t = b[bj + i] as number;
      for (let k = i + 1; k < m; k++) t = r(t - r((a[ao + k + i * ld] as number) * (b[bj + k] as number)));
      b[bj + i] = t;
    }
  }
}

/** xGEMM('N','N'), alpha = −1, beta = 1: C ← C − A·B (A m×k at ao, B k×n at bo, C m×n at co). */
function gemmSub(
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  ao: number,
  bo: number,
  co: number,
  ld: number,
  r: Round,
): void {
  for (let j = 0; j < n; j++) {
    const cj = co + j * ld;
    for (let l = 0; l < k; l++) {
      const t = -(a[bo + l + j * ld] as number);
      const al = ao + l * ld;
      for (let i = 0; i < m; i++) a[cj + i] = r((a[cj + i] as number) + r(t * (a[al + i] as number)));
    }
  }
}

/** xGETRF2 (recursive LU with partial pivoting) of the m×n matrix at `o`; returns info (0 or the 1-based first zero pivot). */
function getrf2(
  m: number,
  n: number,
  a: Float64Array,
  o: number,
  ld: number,
  ipiv: Int32Array,
  po: number,
  r: Round,
  sfmin: number,
): number {
  if (m === 0 || n === 0) return 0;
  if (m === 1) {
    ipiv[po] = 1;
    return (a[o] as number) === 0 ? 1 : 0;
  }
  if (n === 1) {
    const i = iamax(m, a, o);
    ipiv[po] = i;
    if ((a[o + i - 1] as number) === 0) return 1;
    if (i !== 1) {
      const t = a[o] as number;
      a[o] = a[o + i - 1] as number;
      a[o + i - 1] = t;
    }
    const p = a[o] as number;
    if (Math.abs(p) >= sfmin) {
      const rp = r(1 / p);
      for (let k = 1; k < m; k++) a[o + k] = r(rp * (a[o + k] as number));
    } else for (let k = 1; k < m; k++) a[o + k] = r((a[o + k] as number) / p);
    return 0;
  }
  const mn = Math.min(m, n);
  const n1 = Math.floor(mn / 2);
  const n2 = n - n1;
  let info = getrf2(m, n1, a, o, ld, ipiv, po, r, sfmin);
  laswp(n2, a, o + n1 * ld, ld, 1, n1, ipiv, po, true);
  trsmLowerUnit(n1, n2, a, o, ld, a, o + n1 * ld, ld, r);
  gemmSub(m - n1, n2, n1, a, o + n1, o + n1 * ld, o + n1 + n1 * ld, ld, r);
  const info2 = getrf2(m - n1, n2, a, o + n1 + n1 * ld, ld, ipiv, po + n1, r, sfmin);
  if (info === 0 && info2 > 0) info = info2 + n1;
  for (let i = n1; i < mn; i++) ipiv[po + i] = (ipiv[po + i] as number) + n1;
  laswp(n1, a, o, ld, n1 + 1, mn, ipiv, po, true);
  return info;
}

/** xGETRF of the n×n matrix at `o` (ld = n): recursive below the block size, blocked above it. */
function getrf(n: number, a: Float64Array, o: number, ipiv: Int32Array, r: Round, sfmin: number): number {
  if (NB >= n) return getrf2(n, n, a, o, n, ipiv, 0, r, sfmin);
  let info = 0;
  for (let j = 1; j <= n; j += NB) {
    const jb = Math.min(n - j + 1, NB);
    const d = o + (j - 1) + (j - 1) * n; // A(j, j)
    const info2 = getrf2(n - j + 1, jb, a, d, n, ipiv, j - 1, r, sfmin);
    if (info === 0 && info2 > 0) info = info2 + j - 1;
    for (let i = j; i <= Math.min(n, j + jb - 1); i++) ipiv[i - 1] = j - 1 + (ipiv[i - 1] as number);
    laswp(j - 1, a, o, n, j, j + jb - 1, ipiv, 0, true);
    if (j + jb <= n) {
      const right = o + (j + jb - 1) * n; // A(1, j+jb)
      laswp(n - j - jb + 1, a, right, n, j, j + jb - 1, ipiv, 0, true);
      trsmLowerUnit(jb, n - j - jb + 1, a, d, n, a, d + jb * n, n, r);
      gemmSub(n - j - jb + 1, n - j - jb + 1, jb, a, d + jb, d + jb * n, d + jb + jb * n, n, r);
    }
  }
  return info;
}

/**
 * Invert the n×n matrix whose column-major storage is `lu` (overwritten by its LU factors) into
 * `x` (column-major); `transposed`: solve with the factors of the transpose (xGETRS 'T').
 */
function invertOne(n: number, lu: Float64Array, x: Float64Array, transposed: boolean, r: Round, sfmin: number): number {
  const ipiv = new Int32Array(n);
  const info = getrf(n, lu, 0, ipiv, r, sfmin);
  if (info > 0) return info;
  x.fill(0);
  for (let i = 0; i < n; i++) x[i + i * n] = 1;
  if (transposed) {
    trsmUpperT(n, n, lu, 0, n, x, 0, n, r);
    trsmLowerUnitT(n, n, lu, 0, n, x, 0, n, r);
    laswp(n, x, 0, n, 1, n, ipiv, 0, false);
  } else {
    laswp(n, x, 0, n, 1, n, ipiv, 0, true);
    trsmLowerUnit(n, n, lu, 0, n, x, 0, n, r);
    trsmUpper(n, n, lu, 0, n, x, 0, n, r);
  }
  return 0;
}

const PYTORCH_NAME: Record<string, string> = { float16: "Half", bfloat16: "BFloat16" };

/**
 * torch.linalg.inv(A): the inverse of each square matrix in A [..., n, n] (float32 or float64).
 * Raises ValueError when a matrix is singular (an exactly zero pivot), naming the batch element.
 */
export function inv(A: Tensor): Tensor {
  if (autocastActive()) return autocastOp("linalg_inv", inv, A);
  const op = "linalg.inv";
  A._check(op);
  if (A.ndim < 2) throw new ShapeError(op, `The input tensor A must have at least 2 dimensions, got ${fmtShape(A.shape)}.`);
  const n = A.shape[A.ndim - 1] as number;
  const m = A.shape[A.ndim - 2] as number;
  if (m !== n)
    throw new ShapeError(
      op,
      `A must be batches of square matrices, but they are ${m} by ${n} matrices (shape ${fmtShape(A.shape)})`,
    );
  if (A.dtype === "float16" || A.dtype === "bfloat16")
    throw new DTypeError(
      op,
      `Low precision dtypes not supported. Got ${A.dtype} (${PYTORCH_NAME[A.dtype]}); use float32 or float64`,
    );
  if (A.dtype !== "float32" && A.dtype !== "float64")
    throw new DTypeError(op, `Expected a floating point tensor as input. Got ${A.dtype}; use float32 or float64`);
  if (!A._storage.backend.readSync)
    throw new DeviceError(
      op,
      `runs on the host and needs synchronous readback; device '${A.device}' has none (use the "cpu" device)`,
    );
  const f32 = A.dtype === "float32";
  const r: Round = f32 ? Math.fround : ident;
  const sfmin = f32 ? 2 ** -126 : 2 ** -1022; // xLAMCH('S')
  const total = numel(A.shape);
  if (total === 0) return withGrad(A, empty(A.shape, A.dtype, A.device));
  const src = A.dataSync(); // row-major elements of A
  const res = f32 ? new Float32Array(total) : new Float64Array(total);
  const transposed = A.isContiguous(); // PyTorch factors Aᵀ when A is contiguous
  const nn = n * n;
  const lu = new Float64Array(nn);
  const x = new Float64Array(nn);
  for (let b = 0; b < total / nn; b++) {
    const base = b * nn;
    // Column-major storage of the matrix LAPACK factors: Aᵀ's is A's row-major storage; A's is its transpose.
    if (transposed) for (let k = 0; k < nn; k++) lu[k] = src[base + k] as number;
    else for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) lu[i + j * n] = src[base + i * n + j] as number;
    const info = invertOne(n, lu, x, transposed, r, sfmin);
    if (info > 0) {
      const which = A.ndim > 2 ? `(Batch element ${b}): ` : "";
      throw new ValueError(
        op,
        `${which}The diagonal element ${info} is zero, the inversion could not be completed because the input matrix is singular.`,
      );
    }
    // x is A⁻¹ in column-major order
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) res[base + i * n + j] = x[i + j * n] as number;
  }
  return withGrad(A, fromStorageArray(res, A.shape, A.dtype, A.device));
}

function withGrad(A: Tensor, y: Tensor): Tensor {
  attachGrad("LinalgInvExBackward0", [A], [y], [y], ([g], [sy]) => {
    const yT = transpose(sy as Tensor, -2, -1);
    return [neg(matmul(yT, matmul(g as Tensor, yT)))];
  });
  return y;
}

/** torch.inverse: an alias of linalg.inv. */
export const inverse = inv;
