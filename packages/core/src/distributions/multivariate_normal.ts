// torch.distributions.MultivariateNormal, op for op as PyTorch 1.13 writes it
// (multivariate_normal.py): everything goes through the lower Cholesky factor L of the
// covariance; samples are loc + L·eps (a matmul, sequential over k as the reference BLAS), log_prob
// uses the batched triangular solve of _batch_mahalanobis, including its reshapes and permutes, so
// that the sums and their gradients group the same values in the same order.
import { ValueError } from "../errors.js";
import { torchColumnSums } from "../nn/functional_extra.js";
import { eye } from "../ops/creation.js";
import { add, log, mul, pow } from "../ops/elementwise.js";
import { matmul } from "../ops/linalg.js";
import { flip, stack } from "../ops/shapecopy.js";
import { contiguous, diagonal, permute, reshape, select, squeeze, transpose, unsqueeze } from "../ops/views.js";
import { broadcastShapes } from "../shape.js";
import { Tensor } from "../tensor.js";
import * as constraints from "./constraints.js";
import { Distribution, type DistributionOptions, type SampleOptions, sampleArgs } from "./distribution.js";
import { cholesky, choleskyInverse, solveTriangular } from "./linalg.js";
import { standardNormal } from "./normal.js";
import { badd, broadcastShapesPy, bsub, expandTo, sumLast } from "./utils.js";

const LOG_2PI = Math.log(2 * Math.PI);

const mT = (x: Tensor): Tensor => transpose(x, -2, -1);
/** Whether PyTorch holds this matrix batch column-major (its LAPACK outputs are F-contiguous). */
const isFContig = (x: Tensor): boolean => !x.isContiguous() && mT(x).isContiguous();

/**
 * _batch_mv(bmat, bvec): matmul(bmat, bvec.unsqueeze(-1)).squeeze(-1), structured as PyTorch's
 * matmul runs it: a single matrix folds the vectors into one mm (so L's gradient sums over all
 * vectors sequentially, inside the gemm); a batch of matrices is expanded and multiplied with bmm
 * (its gradient is reduced over the broadcast dims afterwards, as sum_to_size).
 */
function batchMv(bmat: Tensor, bvec: Tensor): Tensor {
  const n = bmat.shape[bmat.ndim - 1] as number;
  if (bmat.ndim === 2)
    return reshape(matmul(reshape(bvec, [-1, n]), mT(bmat)), [...bvec.shape.slice(0, -1), bmat.shape[0] as number]);
  const batch = broadcastShapes("matmul", bmat.shape.slice(0, -2), bvec.shape.slice(0, -1));
  const m = expandTo(bmat, [...batch, ...bmat.shape.slice(-2)]);
  const v = expandTo(unsqueeze(bvec, -1), [...batch, n, 1]);
  return squeeze(matmul(m, v), -1);
}

/** Σ over dim −2 of a batch of matrices in PyTorch's order for its memory layout. */
function sumRowsOfSquares(X: Tensor): Tensor {
  // X = solve_triangular(...) is F-contiguous in PyTorch: each column (dim −2) is contiguous, so
  // X.pow(2).sum(−2) is an inner reduction over contiguous memory.
  return sumLast(mT(pow(X, 2)));
}

/**
 * _batch_mahalanobis(bL, bx): the squared Mahalanobis distance xᵀ(LLᵀ)⁻¹x for a factor bL, with
 * PyTorch's reshape/permute so that one triangular solve serves all vectors that share an L.
 */
function batchMahalanobis(bL: Tensor, bx: Tensor): Tensor {
  const n = bx.shape[bx.ndim - 1] as number;
  const bxBatchShape = bx.shape.slice(0, -1);
  const bxBatchDims = bxBatchShape.length;
  const bLBatchDims = bL.ndim - 2;
  const outerBatchDims = bxBatchDims - bLBatchDims;
  const oldBatchDims = outerBatchDims + bLBatchDims;
  const newBatchDims = outerBatchDims + 2 * bLBatchDims;
  const bxNewShape = bx.shape.slice(0, outerBatchDims);
  bL.shape.slice(0, -2).forEach((sL, i) => {
    const sx = bx.shape[outerBatchDims + i] as number;
    bxNewShape.push(Math.floor(sx / sL), sL);
  });
  bxNewShape.push(n);
  let x = reshape(bx, bxNewShape);
  const permuteDims: number[] = [];
  for (let i = 0; i < outerBatchDims; i++) permuteDims.push(i);
  for (let i = outerBatchDims; i < newBatchDims; i += 2) permuteDims.push(i);
  for (let i = outerBatchDims + 1; i < newBatchDims; i += 2) permuteDims.push(i);
  permuteDims.push(newBatchDims);
  x = permute(x, permuteDims);

  const flatL = reshape(bL, [-1, n, n]);
  const flatX = reshape(x, [-1, flatL.shape[0] as number, n]);
  const flatXSwap = permute(flatX, [1, 2, 0]);
  const mSwap = sumRowsOfSquares(solveTriangular(flatL, flatXSwap, false, true));
  const M = transpose(mSwap, 0, 1);

  const permutedM = reshape(M, x.shape.slice(0, -1));
  const permuteInv: number[] = [];
  for (let i = 0; i < outerBatchDims; i++) permuteInv.push(i);
  for (let i = 0; i < bLBatchDims; i++) permuteInv.push(outerBatchDims + i, oldBatchDims + i);
  const reshapedM = permute(permutedM, permuteInv);
  return reshape(reshapedM, bxBatchShape);
}

/** _precision_to_scale_tril(P): the Cholesky factor of P⁻¹ via the flipped factorisation. */
function precisionToScaleTril(P: Tensor): Tensor {
  const Lf = cholesky(flip(P, [-2, -1]));
  // flip keeps Lf's column-major layout in PyTorch
  const LfFlipped = mT(flip(mT(Lf), [-2, -1]));
  const LInv = transpose(LfFlipped, -2, -1);
  const Id = eye(P.shape[P.ndim - 1] as number, { dtype: P.dtype, device: P.device });
  return solveTriangular(LInv, Id, false, true);
}

export interface MultivariateNormalOptions extends DistributionOptions {
  covarianceMatrix?: Tensor | null;
  precisionMatrix?: Tensor | null;
  scaleTril?: Tensor | null;
}
const isOptions = (x: unknown): x is MultivariateNormalOptions =>
  x !== null && typeof x === "object" && !(x instanceof Tensor) && !Array.isArray(x);

/**
 * The multivariate normal distribution with mean `loc` and a positive-definite covariance given
 * as exactly one of `covarianceMatrix`, `precisionMatrix` or `scaleTril` (its lower Cholesky factor).
 */
export class MultivariateNormal extends Distribution {
  protected _loc: Tensor;
  protected _covariance_matrix: Tensor | undefined;
  protected _precision_matrix: Tensor | undefined;
  protected _scale_tril: Tensor | undefined;
  /** The Cholesky factor with its own (unbroadcast) batch shape. */
  protected _unbroadcastedScaleTril: Tensor;

  /**
   * `new MultivariateNormal(loc, covarianceMatrix)`, `(loc, null, precisionMatrix)`,
   * `(loc, null, null, scaleTril)`, or `(loc, { covarianceMatrix | precisionMatrix | scaleTril, validateArgs })`.
   */
  constructor(
    loc: Tensor,
    covarianceMatrix?: Tensor | null | MultivariateNormalOptions,
    precisionMatrix?: Tensor | null,
    scaleTril?: Tensor | null,
    opts: DistributionOptions = {},
  ) {
    super();
    if (isOptions(covarianceMatrix)) {
      opts = covarianceMatrix;
      precisionMatrix = covarianceMatrix.precisionMatrix;
      scaleTril = covarianceMatrix.scaleTril;
      covarianceMatrix = covarianceMatrix.covarianceMatrix;
    }
    const name = "MultivariateNormal";
    if (loc.ndim < 1) throw new ValueError(name, "loc must be at least one-dimensional.");
    const given = [covarianceMatrix, precisionMatrix, scaleTril].filter((m) => m !== undefined && m !== null).length;
    if (given !== 1)
      throw new ValueError(name, "Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.");
    let batchShape: number[];
    const lead = (m: Tensor) => m.shape.slice(0, -2);
    if (scaleTril) {
      if (scaleTril.ndim < 2)
        throw new ValueError(name, "scale_tril matrix must be at least two-dimensional, with optional leading batch dimensions");
      batchShape = broadcastShapesPy(name, lead(scaleTril), loc.shape.slice(0, -1));
      this._scale_tril = expandTo(scaleTril, [...batchShape, ...scaleTril.shape.slice(-2)]);
    } else if (covarianceMatrix) {
      if (covarianceMatrix.ndim < 2)
        throw new ValueError(name, "covariance_matrix must be at least two-dimensional, with optional leading batch dimensions");
      batchShape = broadcastShapesPy(name, lead(covarianceMatrix), loc.shape.slice(0, -1));
      this._covariance_matrix = expandTo(covarianceMatrix, [...batchShape, ...covarianceMatrix.shape.slice(-2)]);
    } else {
      const P = precisionMatrix as Tensor;
      if (P.ndim < 2)
        throw new ValueError(name, "precision_matrix must be at least two-dimensional, with optional leading batch dimensions");
      batchShape = broadcastShapesPy(name, lead(P), loc.shape.slice(0, -1));
      this._precision_matrix = expandTo(P, [...batchShape, ...P.shape.slice(-2)]);
    }
    this._loc = expandTo(loc, [...batchShape, loc.shape[loc.ndim - 1] as number]);
    this._init(batchShape, this._loc.shape.slice(-1), opts.validateArgs);
    if (scaleTril) this._unbroadcastedScaleTril = scaleTril;
    else if (covarianceMatrix) this._unbroadcastedScaleTril = cholesky(covarianceMatrix);
    else this._unbroadcastedScaleTril = precisionToScaleTril(precisionMatrix as Tensor);
  }

  get argConstraints(): Record<string, constraints.Constraint> {
    return {
      loc: constraints.realVector,
      covariance_matrix: constraints.positiveDefinite,
      precision_matrix: constraints.positiveDefinite,
      scale_tril: constraints.lowerCholesky,
    };
  }
  override get support(): constraints.Constraint {
    return constraints.realVector;
  }
  override get hasRsample(): boolean {
    return true;
  }

  get loc(): Tensor {
    return this._loc;
  }
  private get _matShape(): number[] {
    return [...this._batchShape, ...this._eventShape, ...this._eventShape];
  }
  /** The lower Cholesky factor of the covariance, expanded to the batch shape. */
  get scaleTril(): Tensor {
    if (!this._scale_tril) this._scale_tril = expandTo(this._unbroadcastedScaleTril, this._matShape);
    return this._scale_tril;
  }
  /** L·Lᵀ, expanded to the batch shape. */
  get covarianceMatrix(): Tensor {
    if (!this._covariance_matrix) {
      const L = this._unbroadcastedScaleTril;
      this._covariance_matrix = expandTo(matmul(L, mT(L)), this._matShape);
    }
    return this._covariance_matrix;
  }
  /** (L·Lᵀ)⁻¹ (cholesky_inverse of L), expanded to the batch shape. */
  get precisionMatrix(): Tensor {
    if (!this._precision_matrix) {
      this._precision_matrix = expandTo(choleskyInverse(this._unbroadcastedScaleTril), this._matShape);
    }
    return this._precision_matrix;
  }

  override get mean(): Tensor {
    return this._loc;
  }
  override get mode(): Tensor {
    return this._loc;
  }
  /** Σ_j L_ij², expanded to batch + event shape. */
  override get variance(): Tensor {
    const L = this._unbroadcastedScaleTril;
    const sq = pow(L, 2);
    let v: Tensor;
    if (isFContig(L)) {
      // PyTorch's L is column-major: the sum over j runs across the stored columns (an outer
      // reduction, vectorised over i)
      const n = L.shape[L.ndim - 1] as number;
      const lead = L.shape.slice(0, -2);
      const cols = reshape(contiguous(mT(sq)), [-1, n, n]);
      const parts = Array.from({ length: cols.shape[0] as number }, (_, b) => torchColumnSums(select(cols, 0, b)));
      v = reshape(stack(parts, 0), [...lead, n]);
    } else v = sumLast(sq);
    return expandTo(v, [...this._batchShape, ...this._eventShape]);
  }

  override expand(batchShape: number[]): MultivariateNormal {
    const n = Object.create(MultivariateNormal.prototype) as MultivariateNormal;
    const locShape = [...batchShape, ...this._eventShape];
    const covShape = [...batchShape, ...this._eventShape, ...this._eventShape];
    n._loc = expandTo(this._loc, locShape);
    n._unbroadcastedScaleTril = this._unbroadcastedScaleTril;
    if (this._covariance_matrix) n._covariance_matrix = expandTo(this._covariance_matrix, covShape);
    if (this._scale_tril) n._scale_tril = expandTo(this._scale_tril, covShape);
    if (this._precision_matrix) n._precision_matrix = expandTo(this._precision_matrix, covShape);
    n._batchShape = [...batchShape];
    n._eventShape = [...this._eventShape];
    n._validateArgs = this._validateArgs;
    return n;
  }

  /** loc + L·eps with eps = _standard_normal(shape). */
  override rsample(sampleShape?: number[] | SampleOptions, opts?: SampleOptions): Tensor {
    const [s, o] = sampleArgs("MultivariateNormal.rsample", sampleShape, opts);
    const eps = standardNormal(this._extendedShape(s), this._loc, o);
    return badd(this._loc, batchMv(this._unbroadcastedScaleTril, eps));
  }

  /** −½·(k·log(2π) + M) − Σ log diag(L), M the squared Mahalanobis distance. */
  override logProb(value: Tensor): Tensor {
    if (this._validateArgs) this._validateSample(value);
    const diff = bsub(value, this._loc);
    const M = batchMahalanobis(this._unbroadcastedScaleTril, diff);
    const halfLogDet = this._halfLogDet();
    return bsub(mul(add(M, (this._eventShape[0] as number) * LOG_2PI), -0.5), halfLogDet);
  }

  /** ½·k·(1 + log(2π)) + Σ log diag(L), expanded to the batch shape. */
  override entropy(): Tensor {
    const H = add(this._halfLogDet(), 0.5 * (this._eventShape[0] as number) * (1.0 + LOG_2PI));
    return this._batchShape.length === 0 ? H : expandTo(H, this._batchShape);
  }

  private _halfLogDet(): Tensor {
    return sumLast(log(diagonal(this._unbroadcastedScaleTril, 0, -2, -1)));
  }
}
