// torch.distributions: Normal, Uniform, Bernoulli, Categorical, Exponential, Laplace and
// MultivariateNormal, with PyTorch 1.13's sampling (bit for bit through lockstep's generators),
// log_prob/cdf/icdf/entropy/moments formulas and argument validation.

export { Bernoulli, type BernoulliOptions } from "./bernoulli.js";
export { Categorical, type CategoricalOptions } from "./categorical.js";
export * as constraints from "./constraints.js";
export { Constraint } from "./constraints.js";
export {
  Distribution,
  type DistributionOptions,
  NotImplementedError,
  type SampleOptions,
} from "./distribution.js";
export { Exponential } from "./exponential.js";
export { Laplace } from "./laplace.js";
export { LinAlgError } from "./linalg.js";
export { MultivariateNormal, type MultivariateNormalOptions } from "./multivariate_normal.js";
export { Normal } from "./normal.js";
export { Uniform } from "./uniform.js";
