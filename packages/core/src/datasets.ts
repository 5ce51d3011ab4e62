// torchvision.datasets: the datasets lockstep ships
export { FashionMNIST, type FashionMNISTOptions } from "./data/index.js";
