// torch.utils.data (and the torchvision pieces lockstep ships: datasets.FashionMNIST, transforms).
import "../methods.js"; // the Tensor methods these modules use, also when imported on their own

export { defaultCollate, defaultConvert } from "./collate.js";
export {
  DataLoader,
  DataLoaderError,
  type DataLoaderIterator,
  type DataLoaderOptions,
  type DataLoaderState,
  liveWorkerCount,
} from "./dataloader.js";
export {
  ChainDataset,
  ConcatDataset,
  Dataset,
  type DatasetLike,
  IterableDataset,
  type IterableDatasetLike,
  type MapDatasetLike,
  randomSplit,
  type Sized,
  Subset,
  TensorDataset,
} from "./dataset.js";
export { DEBIAN_FASHION_MNIST_DIR, FashionMNIST, type FashionMNISTOptions, type IdxArray, readIdx } from "./fashion_mnist.js";
export {
  fromModule,
  type ModuleRef,
  moduleRef,
  NotPortableError,
  type Portable,
  WORKER_SPEC,
  withWorkerSpec,
  workerSpecOf,
} from "./portable.js";
export type { GeneratorLike } from "./random.js";
export {
  BatchSampler,
  RandomSampler,
  type RandomSamplerOptions,
  Sampler,
  SequentialSampler,
  SubsetRandomSampler,
  WeightedRandomSampler,
} from "./sampler.js";
export * as transforms from "./transforms.js";
export { getWorkerInfo, type WorkerInfo } from "./worker_info.js";
