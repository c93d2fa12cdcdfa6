// TensorFlow ops that tfjs has no kernel for, registered as kernels of the native backend:
//   SparseSoftmaxCrossEntropyWithLogits: each row's loss and its gradient (softmax - one-hot) in
//     one op, where tfjs needs about twenty (logSumExp, a gather, a one-hot, exp, sub, mul).
//   ReluGrad: dy where x > 0, else 0. tfjs's own ReLU gradient is mul(dy, cast(step(x))), and
//     tfjs-node runs step as IsNan, Fill, Greater and two Selects over the whole [tokens, dFF] tensor.
//     On the native backend the ReLU gradient is this one op; elsewhere it stays tfjs's. They differ
//     only where x is NaN (tfjs gives NaN, ReluGrad 0), and a NaN there already made the loss NaN.
import { tf, Tensor, Tensor1D, Tensor2D } from './tf';
import { NodeBackend, typeAttr } from './native-kernels';

const SPARSE_XENT = 'SparsingSparseXent';
const RELU_GRAD = 'SparsingReluGrad';

let registered = false;

/** Registers the kernels on the 'tensorflow' backend and routes its ReLU gradient to ReluGrad (once per process). */
export function registerNativeOps(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: SPARSE_XENT, backendName: 'tensorflow',
    kernelFunc: ({ inputs: { logits, labels }, backend }) => {
      const b = backend as unknown as NodeBackend;
      return b.executeMultipleOutputs('SparseSoftmaxCrossEntropyWithLogits', [typeAttr(b, 'T', logits!.dtype), typeAttr(b, 'Tlabels', labels!.dtype)], [logits, labels], 2);
    },
  });
  tf.registerKernel({
    kernelName: RELU_GRAD, backendName: 'tensorflow',
    kernelFunc: ({ inputs: { dy, x }, backend }) => {
      const b = backend as unknown as NodeBackend;
      return b.executeSingleOutput('ReluGrad', [typeAttr(b, 'T', x!.dtype)], [dy, x]);
    },
  });
  const relu = tf.getGradient('Relu');
  if (!relu) return;
  tf.registerGradient({
    ...relu,
    gradFunc: (dy, saved, attrs) => {
      if (tf.getBackend() !== 'tensorflow') return relu.gradFunc(dy, saved, attrs);
      const [x] = saved;
      return { x: () => tf.engine().runKernel(RELU_GRAD, { dy: dy as Tensor, x }) as Tensor };
    },
  });
}

/**
 * Per-row -log softmax(logits)[label] and its gradient with respect to the logits, in one op:
 * logits [M, V], labels int32 [M] -> loss [M], gradient [M, V]. The native backend only.
 */
export function sparseSoftmaxXent(logits: Tensor2D, labels: Tensor1D): [Tensor1D, Tensor2D] {
  return tf.engine().runKernel(SPARSE_XENT, { logits, labels }) as unknown as [Tensor1D, Tensor2D];
}
