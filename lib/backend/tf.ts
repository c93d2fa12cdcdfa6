// The one place the project imports TensorFlow.js from, so every module shares one tfjs-core instance.
import * as tf from '@tensorflow/tfjs';
export { tf };
export type { Tensor, Tensor1D, Tensor2D, Tensor3D, Scalar, Variable } from '@tensorflow/tfjs';
