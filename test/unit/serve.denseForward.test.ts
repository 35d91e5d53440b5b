/** The plain-JS Dense forward pass gives tfjs's predictions, for every model prodml.yaml can build. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mulberry32 } from '../../src/core/demo/random';
import { compileDenseNet } from '../../src/core/serve/denseForward';
import { loadTf } from '../../src/core/train/backend';
import { buildModel, type ModelSpec, type Task } from '../../src/core/train/model';
import { modelArtifacts, predict } from '../../src/core/train/trainer';

function randomInputs(rows: number, width: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  const x = new Float32Array(rows * width);
  // Standardized numbers and one-hot-like zeros/ones, as transforms produce.
  for (let i = 0; i < x.length; i++) x[i] = i % 3 === 0 ? (r() < 0.3 ? 1 : 0) : (r() - 0.5) * 6;
  return x;
}

const cases: { name: string; spec: ModelSpec; task: Task; classes: number }[] = [
  { name: 'dnn regression with dropout', spec: { type: 'dnn', hidden: [32, 16], dropout: 0.2 }, task: 'regression', classes: 1 },
  { name: 'linear regression', spec: { type: 'linear' }, task: 'regression', classes: 1 },
  { name: 'logistic (sigmoid)', spec: { type: 'logistic' }, task: 'binary', classes: 2 },
  { name: 'dnn binary', spec: { type: 'dnn', hidden: [24] }, task: 'binary', classes: 2 },
  { name: 'softmax multiclass', spec: { type: 'softmax' }, task: 'multiclass', classes: 4 },
  { name: 'dnn multiclass', spec: { type: 'dnn', hidden: [20, 10] }, task: 'multiclass', classes: 3 },
];

describe('denseForward', () => {
  for (const c of cases) {
    test(`${c.name}: equal to tfjs model.predict within 1e-6`, async () => {
      const { tf } = await loadTf();
      const width = 13;
      const model = buildModel(tf, c.spec, c.task, width, c.classes, 7);
      // Glorot kernels as training starts from, plus non-zero biases so their handling is checked too.
      const r = mulberry32(11);
      model.setWeights(model.getWeights().map((w) => (w.rank === 1 ? tf.tensor(Array.from({ length: w.size }, () => r() - 0.5), w.shape) : w)));
      const { modelJson, weights } = await modelArtifacts(tf, model);
      const net = compileDenseNet(modelJson, weights);
      assert.ok(net, 'an all-Dense model compiles');
      assert.equal(net.inputs, width);
      assert.equal(net.outputs, c.task === 'multiclass' ? c.classes : 1);
      const x = randomInputs(500, width, 3);
      const expected = predict(tf, model, x, width);
      const got = net.forward(x);
      assert.equal(got.length, expected.length);
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
      assert.ok(worst < 1e-6, `largest difference ${worst}`);
      // One row alone gives the same numbers as inside a batch: no batch-size effects.
      assert.deepEqual(net.forward(x.subarray(width * 42, width * 43)), got.subarray(net.outputs * 42, net.outputs * 43));
      model.dispose();
    });
  }

  test('other topologies are left to tfjs', async () => {
    const { tf } = await loadTf();
    const m = tf.sequential();
    m.add(tf.layers.dense({ units: 4, inputShape: [3], activation: 'relu' }));
    m.add(tf.layers.batchNormalization());
    m.add(tf.layers.dense({ units: 1 }));
    const { modelJson, weights } = await modelArtifacts(tf, m);
    assert.equal(compileDenseNet(modelJson, weights), undefined);
    const elu = tf.sequential();
    elu.add(tf.layers.dense({ units: 2, inputShape: [3], activation: 'elu' }));
    const a = await modelArtifacts(tf, elu);
    assert.equal(compileDenseNet(a.modelJson, a.weights), undefined);
  });
});
