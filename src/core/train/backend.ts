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
