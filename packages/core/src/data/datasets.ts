// `torchvision.datasets` (the part lockstep ships): `export * as datasets from "./data/datasets.js"`.
export { DEBIAN_FASHION_MNIST_DIR, FashionMNIST, type FashionMNISTOptions, readIdx } from "./fashion_mnist.js";
