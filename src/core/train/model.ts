/** The model architectures prodml.yaml can ask for, built with tfjs layers and seeded initializers. */
import type * as TF from '@tensorflow/tfjs';
import { badInput } from '../errors';

export type Task = 'regression' | 'binary' | 'multiclass';

export interface ModelSpec {
  /** linear (regression), logistic (binary), softmax (multiclass): no hidden layers; dnn: hidden layers. */
  type: 'linear' | 'logistic' | 'softmax' | 'dnn';
  hidden?: number[];
  dropout?: number;
}

export function buildModel(tf: typeof TF, spec: ModelSpec, task: Task, inputs: number, classes: number, seed: number): TF.LayersModel {
  const hidden = spec.type === 'dnn' ? (spec.hidden ?? [32, 16]) : [];
  if (spec.type === 'linear' && task !== 'regression') throw badInput(undefined, `model type "linear" is for regression; use "logistic" or "dnn" for a ${task} task`);
  if (spec.type === 'logistic' && task !== 'binary') throw badInput(undefined, `model type "logistic" is for binary tasks; this task is ${task}`);
  if (spec.type === 'softmax' && task !== 'multiclass') throw badInput(undefined, `model type "softmax" is for multiclass tasks; this task is ${task}`);
  const model = tf.sequential();
  let layer = 0;
  const init = () => tf.initializers.glorotUniform({ seed: seed + 1000 * layer++ });
  hidden.forEach((units, i) => {
    model.add(tf.layers.dense({ units, activation: 'relu', kernelInitializer: init(), ...(i === 0 ? { inputShape: [inputs] } : {}) }));
    if (spec.dropout && spec.dropout > 0) model.add(tf.layers.dropout({ rate: spec.dropout, seed: seed + i }));
  });
  const units = task === 'multiclass' ? classes : 1;
  const activation = task === 'regression' ? 'linear' : task === 'binary' ? 'sigmoid' : 'softmax';
  model.add(tf.layers.dense({ units, activation, kernelInitializer: init(), ...(hidden.length === 0 ? { inputShape: [inputs] } : {}) }));
  return model;
}
