// The linear algebra MultivariateNormal needs and core does not have: Cholesky factorisation and
// triangular solves, with PyTorch 1.13's derivative formulas.
//
// Values follow what Debian's PyTorch computes: it calls the reference LAPACK/BLAS (liblapack3 /
// libblas3 3.11, no FMA), so the factorisation is SPOTRF — SPOTRF2's recursion for n ≤ 64 (split
// n/2: factor A11, STRSM for A21 with the reciprocal of each pivot, SSYRK for A22, factor A22),
// the blocked loop with NB = 64 above — and a left triangular solve is STRSM's column sweep
// (x_k = b_k / a_kk, then b_i −= x_k·a_ik), every product and sum rounded once. The kernels below
// run those loops in the tensor's precision (float32 via Math.fround, float64 natively).
import { attachGrad, noGrad } from "../autograd/graph.js";
import { LockstepError, ShapeError } from "../errors.js";
import { fromStorageArray } from "../ops/core.js";
import { add, mul, neg } from "../ops/elementwise.js";
import { matmul } from "../ops/linalg.js";
import { tril, triu } from "../ops/shapecopy.js";
import { contiguous, expand, transpose } from "../ops/views.js";
import { broadcastShapes } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { sumTo } from "./utils.js";

/** torch.linalg.LinAlgError: a factorisation or solve that cannot be completed. */
export class LinAlgError extends LockstepError {}

type Rd = (x: number) => number;
const id: Rd = (x) => x;
const rdOf = (dtype: string): Rd => (dtype === "float32" ? Math.fround : id);

const mT = (x: Tensor): Tensor => transpose(x, -2, -1);

function hostMatrix(x: Tensor): Float64Array {
  const d = noGrad(() => x.detach()).dataSync() as Float32Array | Float64Array;
  return Float64Array.from(d);
}
function fromHost(a: Float64Array, shape: readonly number[], like: Tensor): Tensor {
  const out = like.dtype === "float32" ? Float32Array.from(a) : a;
  return fromStorageArray(out, shape, like.dtype, like.device);
}
function checkSquare(op: string, A: Tensor): number {
  if (A.ndim < 2)
    throw new ShapeError(op, `The input tensor A must have at least 2 dimensions (got shape [${A.shape.join(", ")}])`);
  const n = A.shape[A.ndim - 1] as number;
  if (A.shape[A.ndim - 2] !== n)
    throw new ShapeError(op, `A must be batches of square matrices, but they are ${A.shape[A.ndim - 2]} by ${n} matrices`);
  if (A.dtype !== "float32" && A.dtype !== "float64")
    throw new LinAlgError(op, `Low precision dtypes not supported. Got ${A.dtype}`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Cholesky (SPOTRF, lower)

/** A(i, j) of the matrix at offset o (row-major, leading dimension ld). */
const at = (o: number, ld: number, i: number, j: number): number => o + i * ld + j;

/** SPOTRF2 on the n×n block at (r0, r0); returns 0 or the (1-based) order of the failing minor. */
function potrf2(a: Float64Array, o: number, ld: number, r0: number, n: number, rd: Rd): number {
  if (n === 1) {
    const v = a[at(o, ld, r0, r0)] as number;
    if (!(v > 0)) return 1;
    a[at(o, ld, r0, r0)] = rd(Math.sqrt(v));
    return 0;
  }
  const n1 = n >> 1;
  const n2 = n - n1;
  const info1 = potrf2(a, o, ld, r0, n1, rd);
  if (info1) return info1;
  // STRSM('R', 'L', 'T', 'N', n2, n1, 1, A11, A21): A21 := A21 · inv(A11ᵀ)
  trsmRLT(a, o, ld, r0, r0 + n1, r0, n2, n1, rd);
  // SSYRK('L', 'N', n2, n1, -1, A21, 1, A22)
  syrkLN(a, o, ld, r0 + n1, r0, r0 + n1, n2, n1, rd);
  const info2 = potrf2(a, o, ld, r0 + n1, n2, rd);
  return info2 ? info2 + n1 : 0;
}

/**
 * STRSM('R', 'L', 'T', 'N', m, n, 1, A, B) with A the n×n lower block at (ar, ar) and B the m×n
 * block at (br, bc): B := B · inv(Aᵀ).
 */
function trsmRLT(a: Float64Array, o: number, ld: number, ar: number, br: number, bc: number, m: number, n: number, rd: Rd): void {
  for (let k = 0; k < n; k++) {
    const temp = rd(1 / (a[at(o, ld, ar + k, ar + k)] as number));
    for (let i = 0; i < m; i++) {
      const p = at(o, ld, br + i, bc + k);
      a[p] = rd(temp * (a[p] as number));
    }
    for (let j = k + 1; j < n; j++) {
      const ajk = a[at(o, ld, ar + j, ar + k)] as number;
      if (ajk !== 0)
        for (let i = 0; i < m; i++) {
          const p = at(o, ld, br + i, bc + j);
          a[p] = rd((a[p] as number) - rd(ajk * (a[at(o, ld, br + i, bc + k)] as number)));
        }
    }
  }
}

/** SSYRK('L', 'N', n, k, -1, A, 1, C): C (n×n at (cr, cr)) −= A·Aᵀ (A the n×k block at (ar, ac)), lower part. */
function syrkLN(a: Float64Array, o: number, ld: number, ar: number, ac: number, cr: number, n: number, k: number, rd: Rd): void {
  for (let j = 0; j < n; j++)
    for (let l = 0; l < k; l++) {
      const ajl = a[at(o, ld, ar + j, ac + l)] as number;
      if (ajl !== 0) {
        const temp = -ajl;
        for (let i = j; i < n; i++) {
          const p = at(o, ld, cr + i, cr + j);
          a[p] = rd((a[p] as number) + rd(temp * (a[at(o, ld, ar + i, ac + l)] as number)));
        }
      }
    }
}

/** SGEMM('N', 'T', m, n, k, -1, A, B, 1, C): C (m×n at (cr, cc)) −= A (m×k at (ar, ac)) · Bᵀ (B n×k at (brr, bcc)). */
function gemmNTminus(
  a: Float64Array,
  o: number,
  ld: number,
  ar: number,
  ac: number,
  brr: number,
  bcc: number,
  cr: number,
  cc: number,
  m: number,
  n: number,
  k: number,
  rd: Rd,
): void {
  for (let j = 0; j < n; j++)
    for (let l = 0; l < k; l++) {
      const temp = -(a[at(o, ld, brr + j, bcc + l)] as number);
      for (let i = 0; i < m; i++) {
        const p = at(o, ld, cr + i, cc + j);
        a[p] = rd((a[p] as number) + rd(temp * (a[at(o, ld, ar + i, ac + l)] as number)));
      }
    }
}

/** SPOTRF('L'): SPOTRF2 for n ≤ 64, else the blocked right-looking loop with NB = 64. */
function potrf(a: Float64Array, o: number, n: number, rd: Rd): number {
  const NB = 64;
  if (n <= NB) return potrf2(a, o, n, 0, n, rd);
  for (let j = 0; j < n; j += NB) {
    const jb = Math.min(NB, n - j);
    syrkLN(a, o, n, j, 0, j, jb, j, rd);
    const info = potrf2(a, o, n, j, jb, rd);
    if (info) return info + j;
    if (j + jb < n) {
      gemmNTminus(a, o, n, j + jb, 0, j, 0, j + jb, j, n - j - jb, jb, j, rd);
      trsmRLT(a, o, n, j, j + jb, j, n - j - jb, jb, rd);
    }
  }
  return 0;
}

/** linalg.cholesky_ex without autograd: L (the strict upper part zeroed) and info per matrix. */
export function choleskyEx(A: Tensor): { L: Tensor; info: number[] } {
  const n = checkSquare("linalg.cholesky", A);
  const a = hostMatrix(A);
  const rd = rdOf(A.dtype);
  const count = n === 0 ? 0 : a.length / (n * n);
  const info: number[] = [];
  for (let b = 0; b < count; b++) {
    const o = b * n * n;
    info.push(potrf(a, o, n, rd));
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[o + i * n + j] = 0;
  }
  return { L: fContiguous(a, A.shape, A), info };
}

/** torch.linalg.cholesky (lower), differentiable (PyTorch's cholesky_backward). */
export function cholesky(A: Tensor): Tensor {
  const { L, info } = choleskyEx(A);
  const bad = info.findIndex((v) => v !== 0);
  if (bad >= 0) {
    const batch = A.ndim > 2 ? `(Batch element ${bad}): ` : "";
    throw new LinAlgError(
      "linalg.cholesky",
      `${batch}The factorization could not be completed because the input is not positive-definite (the leading minor of order ${info[bad]} is not positive-definite).`,
    );
  }
  attachGrad("LinalgCholeskyExBackward0", [A], [L], [L], ([g], [sL]) => [choleskyBackward(g as Tensor, sL as Tensor)]);
  return L;
}

/** PyTorch's cholesky_backward (lower): gA = L⁻ᴴ · ½(Φ + Φᴴ off the diagonal) · L⁻¹ with Φ = tril(Lᴴ gL). */
export function choleskyBackward(gL: Tensor, L: Tensor): Tensor {
  let gA = tril(matmul(mT(L), gL));
  gA = mul(add(gA, mT(tril(gA, -1))), 0.5);
  gA = solveTriangular(mT(L), gA, true, true);
  return solveTriangular(L, gA, false, false);
}

// ---------------------------------------------------------------------------------------------
// cholesky_inverse (SPOTRI = STRTRI + SLAUUM, lower)

/** STRTI2('L', 'N'): the inverse of the lower triangular n×n matrix at o (leading dim ld), in place. */
function trti2Lower(a: Float64Array, o: number, ld: number, n: number, rd: Rd): void {
  const A = (i: number, j: number): number => o + i * ld + j;
  for (let j = n - 1; j >= 0; j--) {
    a[A(j, j)] = rd(1 / (a[A(j, j)] as number));
    const ajj = -(a[A(j, j)] as number);
    if (j < n - 1) {
      // STRMV('L', 'N', 'N', n-j-1, A(j+1, j+1), x = A(j+1:, j)): x := A22·x
      const x = (k: number): number => A(j + 1 + k, j);
      const m = n - j - 1;
      const a22 = (r: number, c: number): number => a[A(j + 1 + r, j + 1 + c)] as number;
      for (let jj = m - 1; jj >= 0; jj--) {
        const xj = a[x(jj)] as number;
        if (xj !== 0) {
          for (let i = m - 1; i > jj; i--) a[x(i)] = rd((a[x(i)] as number) + rd(xj * a22(i, jj)));
          a[x(jj)] = rd((a[x(jj)] as number) * a22(jj, jj));
        }
      }
      // SSCAL(n-j-1, -A(j, j), x)
      for (let k = 0; k < m; k++) a[x(k)] = rd(ajj * (a[x(k)] as number));
    }
  }
}

/** STRTRI('L', 'N'): STRTI2 for n ≤ 64, else the blocked loop (NB = 64) from the last block column. */
function trtriLower(a: Float64Array, o: number, n: number, rd: Rd): void {
  const NB = 64;
  if (n <= NB) {
    trti2Lower(a, o, n, n, rd);
    return;
  }
  const A = (i: number, j: number): number => o + i * n + j;
  for (let j = Math.floor((n - 1) / NB) * NB; j >= 0; j -= NB) {
    const jb = Math.min(NB, n - j);
    const m = n - j - jb;
    if (m > 0) {
      // STRMM('L', 'L', 'N', 'N', m, jb, 1, A(j+jb, j+jb), B = A(j+jb, j))
      for (let c = 0; c < jb; c++)
        for (let k = m - 1; k >= 0; k--) {
          const bk = a[A(j + jb + k, j + c)] as number;
          if (bk !== 0) {
            a[A(j + jb + k, j + c)] = rd(bk * (a[A(j + jb + k, j + jb + k)] as number));
            for (let i = k + 1; i < m; i++) {
              const p = A(j + jb + i, j + c);
              a[p] = rd((a[p] as number) + rd(bk * (a[A(j + jb + i, j + jb + k)] as number)));
            }
          }
        }
      // STRSM('R', 'L', 'N', 'N', m, jb, -1, A(j, j), B = A(j+jb, j))
      for (let c = jb - 1; c >= 0; c--) {
        for (let i = 0; i < m; i++) a[A(j + jb + i, j + c)] = -(a[A(j + jb + i, j + c)] as number);
        for (let k = c + 1; k < jb; k++) {
          const akc = a[A(j + k, j + c)] as number;
          if (akc !== 0)
            for (let i = 0; i < m; i++) {
              const p = A(j + jb + i, j + c);
              a[p] = rd((a[p] as number) - rd(akc * (a[A(j + jb + i, j + k)] as number)));
            }
        }
        const t = rd(1 / (a[A(j + c, j + c)] as number));
        for (let i = 0; i < m; i++) {
          const p = A(j + jb + i, j + c);
          a[p] = rd(t * (a[p] as number));
        }
      }
    }
    trti2Lower(a, A(j, j), n, jb, rd);
  }
}

/** SLAUU2('L'): A := Lᵀ·L for the lower triangle of the n×n block at o (leading dim ld), in place. */
function lauu2Lower(a: Float64Array, o: number, ld: number, n: number, rd: Rd): void {
  const A = (i: number, j: number): number => o + i * ld + j;
  for (let i = 0; i < n; i++) {
    const aii = a[A(i, i)] as number;
    if (i < n - 1) {
      // SDOT(n-i, A(i:, i), A(i:, i))
      let d = 0;
      for (let k = i; k < n; k++) d = rd(d + rd((a[A(k, i)] as number) * (a[A(k, i)] as number)));
      a[A(i, i)] = d;
      // SGEMV('T', n-i-1, i, 1, A(i+1:, 0:i), x = A(i+1:, i), beta = aii, y = A(i, 0:i))
      if (aii !== 1) for (let j = 0; j < i; j++) a[A(i, j)] = rd(aii * (a[A(i, j)] as number));
      for (let j = 0; j < i; j++) {
        let t = 0;
        for (let k = i + 1; k < n; k++) t = rd(t + rd((a[A(k, j)] as number) * (a[A(k, i)] as number)));
        a[A(i, j)] = rd((a[A(i, j)] as number) + t);
      }
    } else for (let j = 0; j <= i; j++) a[A(i, j)] = rd(aii * (a[A(i, j)] as number));
  }
}

/** SLAUUM('L'): SLAUU2 for n ≤ 64, else the blocked loop (NB = 64). */
function lauumLower(a: Float64Array, o: number, n: number, rd: Rd): void {
  const NB = 64;
  if (n <= NB) {
    lauu2Lower(a, o, n, n, rd);
    return;
  }
  const A = (i: number, j: number): number => o + i * n + j;
  for (let i = 0; i < n; i += NB) {
    const ib = Math.min(NB, n - i);
    // STRMM('L', 'L', 'T', 'N', ib, i, 1, A(i, i), B = A(i, 0))
    for (let c = 0; c < i; c++)
      for (let r = 0; r < ib; r++) {
        let t = rd((a[A(i + r, c)] as number) * (a[A(i + r, i + r)] as number));
        for (let k = r + 1; k < ib; k++) t = rd(t + rd((a[A(i + k, i + r)] as number) * (a[A(i + k, c)] as number)));
        a[A(i + r, c)] = t;
      }
    lauu2Lower(a, A(i, i), n, ib, rd);
    const k = n - i - ib;
    if (k > 0) {
      // SGEMM('T', 'N', ib, i, k, 1, A(i+ib, i), A(i+ib, 0), 1, C = A(i, 0))
      for (let c = 0; c < i; c++)
        for (let r = 0; r < ib; r++) {
          let t = 0;
          for (let l = 0; l < k; l++) t = rd(t + rd((a[A(i + ib + l, i + r)] as number) * (a[A(i + ib + l, c)] as number)));
          a[A(i + r, c)] = rd(t + (a[A(i + r, c)] as number));
        }
      // SSYRK('L', 'T', ib, k, 1, A(i+ib, i), 1, C = A(i, i))
      for (let c = 0; c < ib; c++)
        for (let r = c; r < ib; r++) {
          let t = 0;
          for (let l = 0; l < k; l++) t = rd(t + rd((a[A(i + ib + l, i + r)] as number) * (a[A(i + ib + l, i + c)] as number)));
          a[A(i + r, i + c)] = rd(t + (a[A(i + r, i + c)] as number));
        }
    }
  }
}

/**
 * torch.cholesky_inverse(L): (L·Lᵀ)⁻¹ from the lower factor, as SPOTRI computes it (the inverse
 * of L, then Lᵀ·L of it; blocked with NB = 64 above n = 64, as LAPACK), made symmetric from its lower triangle;
 * differentiable (PyTorch's cholesky_inverse_backward).
 */
export function choleskyInverse(L: Tensor): Tensor {
  const n = checkSquare("cholesky_inverse", L);
  const a = hostMatrix(L);
  const rd = rdOf(L.dtype);
  const count = n === 0 ? 0 : a.length / (n * n);
  for (let b = 0; b < count; b++) {
    const o = b * n * n;
    trtriLower(a, o, n, rd);
    lauumLower(a, o, n, rd);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[o + i * n + j] = a[o + j * n + i] as number;
  }
  const inv = fContiguous(a, L.shape, L);
  attachGrad("CholeskyInverseBackward0", [L], [inv], [L, inv], ([g], [sL, sInv]) => {
    const gg = g as Tensor;
    let common = add(gg, mT(gg));
    common = matmul(sInv as Tensor, matmul(common, sInv as Tensor));
    return [neg(matmul(common, sL as Tensor))];
  });
  return inv;
}

// ---------------------------------------------------------------------------------------------
// triangular solves (STRSM, non-unit diagonal, alpha = 1)

/**
 * Reference STRSM (3.11) on logical column-major accessors: op(A) X = B (side 'L') or X op(A) = B
 * (side 'R'), op(A) = A or Aᵀ, A upper or lower; B (m×n) is overwritten by X.
 */
function strsm(
  left: boolean,
  upper: boolean,
  trans: boolean,
  m: number,
  n: number,
  A: (i: number, j: number) => number,
  b: Float64Array,
  B: (i: number, j: number) => number, // index of B(i, j) in b
  rd: Rd,
): void {
  const g = (i: number, j: number): number => b[B(i, j)] as number;
  const s = (i: number, j: number, v: number): void => {
    b[B(i, j)] = v;
  };
  if (left) {
    if (!trans) {
      if (upper) {
        for (let j = 0; j < n; j++)
          for (let k = m - 1; k >= 0; k--)
            if (g(k, j) !== 0) {
              s(k, j, rd(g(k, j) / A(k, k)));
              for (let i = 0; i < k; i++) s(i, j, rd(g(i, j) - rd(g(k, j) * A(i, k))));
            }
      } else {
        for (let j = 0; j < n; j++)
          for (let k = 0; k < m; k++)
            if (g(k, j) !== 0) {
              s(k, j, rd(g(k, j) / A(k, k)));
              for (let i = k + 1; i < m; i++) s(i, j, rd(g(i, j) - rd(g(k, j) * A(i, k))));
            }
      }
    } else if (upper) {
      for (let j = 0; j < n; j++)
        for (let i = 0; i < m; i++) {
          let t = g(i, j);
          for (let k = 0; k < i; k++) t = rd(t - rd(A(k, i) * g(k, j)));
          s(i, j, rd(t / A(i, i)));
        }
    } else {
      for (let j = 0; j < n; j++)
        for (let i = m - 1; i >= 0; i--) {
          let t = g(i, j);
          for (let k = i + 1; k < m; k++) t = rd(t - rd(A(k, i) * g(k, j)));
          s(i, j, rd(t / A(i, i)));
        }
    }
    return;
  }
  if (!trans) {
    const js = upper ? [...Array(n).keys()] : [...Array(n).keys()].reverse();
    for (const j of js) {
      const ks = upper ? [...Array(j).keys()] : Array.from({ length: n - j - 1 }, (_, t) => j + 1 + t);
      for (const k of ks) {
        const akj = A(k, j);
        if (akj !== 0) for (let i = 0; i < m; i++) s(i, j, rd(g(i, j) - rd(akj * g(i, k))));
      }
      const t = rd(1 / A(j, j));
      for (let i = 0; i < m; i++) s(i, j, rd(t * g(i, j)));
    }
    return;
  }
  const ks = upper ? [...Array(n).keys()].reverse() : [...Array(n).keys()];
  for (const k of ks) {
    const t = rd(1 / A(k, k));
    for (let i = 0; i < m; i++) s(i, k, rd(t * g(i, k)));
    const js = upper ? [...Array(k).keys()] : Array.from({ length: n - k - 1 }, (_, q) => k + 1 + q);
    for (const j of js) {
      const ajk = A(j, k);
      if (ajk !== 0) for (let i = 0; i < m; i++) s(i, j, rd(g(i, j) - rd(ajk * g(i, k))));
    }
  }
}

/**
 * A tensor holding `a` (row-major logical [..., r, c]) laid out column-major in its last two dims,
 * as the LAPACK-backed ops of PyTorch return their results (F-contiguous).
 */
function fContiguous(a: Float64Array, shape: readonly number[], like: Tensor): Tensor {
  const r = shape[shape.length - 2] as number;
  const c = shape[shape.length - 1] as number;
  const t = new Float64Array(a.length);
  const mat = r * c;
  for (let o = 0; o < a.length; o += mat)
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[o + j * r + i] = a[o + i * c + j] as number;
  const base = fromHost(t, [...shape.slice(0, -2), c, r], like);
  return mT(base);
}

/**
 * torch.linalg.solve_triangular(A, B, upper, left): A X = B (left) or X A = B, batch dims
 * broadcast; differentiable with PyTorch's formula (gB = solve(Aᴴ, g), gA = −tri(gB Xᴴ) or −tri(Xᴴ gB)).
 *
 * Like PyTorch, the result is F-contiguous, and the BLAS call depends on A's layout: an
 * F-contiguous (or broadcast, or strided) A is solved as is (STRSM side, uplo, 'N'), a
 * C-contiguous A as the transpose of an F-contiguous matrix (STRSM side, !uplo, 'T'); the two
 * differ in the order of the subtractions.
 */
export function solveTriangular(A: Tensor, B: Tensor, upper: boolean, left = true): Tensor {
  const op = "linalg.solve_triangular";
  const n = checkSquare(op, A);
  if (B.ndim < 2)
    throw new ShapeError(op, `The input tensor B must have at least 2 dimensions (got shape [${B.shape.join(", ")}])`);
  const bRows = B.shape[B.ndim - 2] as number;
  const bCols = B.shape[B.ndim - 1] as number;
  if ((left ? bRows : bCols) !== n)
    throw new ShapeError(
      op,
      `Incompatible shapes of A and B for the equation ${left ? "AX = B" : "XA = B"} (${A.shape.slice(-2).join("x")} and ${B.shape.slice(-2).join("x")})`,
    );
  const batch = broadcastShapes(op, A.shape.slice(0, -2), B.shape.slice(0, -2));
  const aView = noGrad(() => expand(A.detach(), [...batch, n, n]));
  const cLayout = aView.isContiguous();
  const a = hostMatrix(noGrad(() => contiguous(aView)));
  const b = hostMatrix(noGrad(() => contiguous(expand(B.detach(), [...batch, bRows, bCols]))));
  const rd = rdOf(B.dtype);
  const count = batch.reduce((x, y) => x * y, 1);
  for (let q = 0; q < count; q++) {
    const oa = q * n * n;
    const ob = q * bRows * bCols;
    // C layout: LAPACK sees the stored matrix Aᵀ (F-contiguous), with the opposite triangle and 'T'
    const Aacc = cLayout
      ? (i: number, j: number) => a[oa + j * n + i] as number
      : (i: number, j: number) => a[oa + i * n + j] as number;
    strsm(left, cLayout ? !upper : upper, cLayout, bRows, bCols, Aacc, b, (i, j) => ob + i * bCols + j, rd);
  }
  const X = fContiguous(b, [...batch, bRows, bCols], B);
  attachGrad("LinalgSolveTriangularBackward0", [A, B], [X], [A, X], ([g], [sA, sX]) => {
    const gg = g as Tensor;
    const AA = sA as Tensor;
    const XX = sX as Tensor;
    const gB = solveTriangular(mT(AA), gg, !upper, left);
    let gA: Tensor | null = null;
    if (A.requiresGrad) {
      const p = left ? matmul(gB, mT(XX)) : matmul(mT(XX), gB);
      gA = sumTo(neg(upper ? triu(p) : tril(p)), A.shape);
    }
    return [gA, B.requiresGrad ? sumTo(gB, B.shape) : null];
  });
  return X;
}
