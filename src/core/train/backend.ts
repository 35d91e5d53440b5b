/**
 * TensorFlow.js with the fastest backend that loads here: tfjs-node (native libtensorflow, an
 * optional dependency that cannot install offline), else WebAssembly, else plain JavaScript.
 * The saved model format is the same whichever ran; the model card records which one did.
 */
import type * as TF from '@tensorflow/tfjs';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

let loaded: Promise<{ tf: typeof TF; backend: BackendName }> | undefined;

export function loadTf(prefer?: BackendName): Promise<{ tf: typeof TF; backend: BackendName }> {
  loaded ??= (async () => {
    // Loaded on first use: tfjs is large and most ProdML work never trains.
    let tf: typeof TF;
    if (prefer !== 'wasm' && prefer !== 'cpu') {
      try {
        tf = require('@tensorflow/tfjs-node') as typeof TF;
        await tf.ready();
        return { tf, backend: 'tensorflow' as const };
      } catch {
        /* not installed: fall through */
      }
    }
    tf = require('@tensorflow/tfjs') as typeof TF;
    if (prefer !== 'cpu') {
      try {
        require('@tensorflow/tfjs-backend-wasm');
        if (await tf.setBackend('wasm')) {
          await tf.ready();
          transposeBeforeMatMul(tf);
          return { tf, backend: 'wasm' as const };
        }
      } catch {
        /* no wasm: fall through */
      }
    }
    await tf.setBackend('cpu');
    await tf.ready();
    return { tf, backend: 'cpu' as const };
  })();
  return loaded;
}

/**
 * tfjs-backend-wasm 4.x multiplies transposed operands in a generic loop, 4-10x slower than its
 * XNNPACK path (4.5 ms against 0.4 ms for the 2048×59 weight gradient of a Dense layer), and
 * every Dense layer's backward pass asks for Aᵀ·B and B·Wᵀ. Transposing the operand first
 * computes the same product (rounded in another order) at a fraction of the cost.
 */
const MIN_OUTER_TO_TRANSPOSE = 8;

function transposeBeforeMatMul(tf: typeof TF): void {
  const kernel = tf.getKernel('BatchMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!kernel || !transpose) return;
  const original = kernel.kernelFunc;
  type Info = TF.TensorInfo;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({
    ...kernel,
    kernelFunc: (args) => {
      const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
      if (!transposeA && !transposeB) return original(args);
      const backend = args.backend as TF.KernelBackend;
      const temporary: Info[] = [];
      const flip = (x: Info): Info => {
        const perm = x.shape.map((_, i) => i);
        [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1]!, perm[perm.length - 2]!];
        const t = transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as Info;
        temporary.push(t);
        return t;
      };
      const { a, b } = args.inputs as { a: Info; b: Info };
      // The generic loop's cost grows with the other operand's outer size; below a few columns
      // (a logistic model's single output) copying the big operand would cost more than it saves.
      const outerA = transposeA ? a.shape[a.shape.length - 1]! : a.shape[a.shape.length - 2]!;
      const outerB = transposeB ? b.shape[b.shape.length - 2]! : b.shape[b.shape.length - 1]!;
      const flipA = transposeA && outerB >= MIN_OUTER_TO_TRANSPOSE;
      const flipB = transposeB && outerA >= MIN_OUTER_TO_TRANSPOSE;
      if (!flipA && !flipB) return original(args);
      try {
        return original({ ...args, inputs: { a: flipA ? flip(a) : a, b: flipB ? flip(b) : b }, attrs: { ...args.attrs, transposeA: transposeA && !flipA, transposeB: transposeB && !flipB } });
      } finally {
        for (const t of temporary) backend.disposeData(t.dataId);
      }
    },
  });
}
