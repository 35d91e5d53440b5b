/** The plain-JS Dense forward pass gives tfjs's predictions, for every model prodml.yaml can build. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mulberry32 } from '../../src/core/demo/random';
import { compileDenseNet, denseNet, type DenseActivation, type DenseLayer } from '../../src/core/serve/denseForward';
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

  test('bit for bit the textbook forward pass: each unit sums bias + x0·w0 + x1·w1 + ... in float64, rounded to float32 per layer', () => {
    const r = mulberry32(21);
    const layer = (inputs: number, units: number, activation: DenseActivation): DenseLayer => ({
      inputs,
      units,
      activation,
      kernel: Float32Array.from({ length: inputs * units }, () => (r() - 0.5) * 0.8),
      bias: Float32Array.from({ length: units }, () => r() - 0.5),
    });
    // Unit counts that are and are not multiples of the four units computed together.
    const nets = [[layer(16, 32, 'relu'), layer(32, 16, 'relu'), layer(16, 1, 'linear')], [layer(13, 7, 'tanh'), layer(7, 3, 'softmax')], [layer(5, 1, 'sigmoid')]];
    for (const layers of nets) {
      const x = randomInputs(2000, layers[0]!.inputs, 9);
      const got = denseNet(layers).forward(x);
      const want = textbookForward(layers, x);
      let differ = 0;
      for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) differ++;
      assert.equal(differ, 0, `${differ} of ${want.length} outputs differ`);
    }
    // Planted signed zeros: a bias of -0 and rows of zero inputs. Summing every term, -0 + 0·w is
    // +0 for w > 0; a sum that skipped the zero inputs would stay -0.
    const signed: DenseLayer = { inputs: 4, units: 3, activation: 'linear', kernel: Float32Array.from([0.5, -0.5, 0.25, 0.5, -0.5, 0.25, 0.5, -0.5, 0.25, 0.5, -0.5, 0.25]), bias: Float32Array.from([-0, -0, 0]) };
    const zeros = new Float32Array(4 * 6);
    zeros[4 * 5] = 1; // one row with an input: no zero output
    const got = denseNet([signed]).forward(zeros);
    const want = textbookForward([signed], zeros);
    assert.deepEqual(Array.from(got, (v) => (Object.is(v, -0) ? '-0' : String(v))), Array.from(want, (v) => (Object.is(v, -0) ? '-0' : String(v))));
    assert.ok(Array.from(want).some((v) => Object.is(v, 0)) && Array.from(want).some((v) => Object.is(v, -0)), 'the plant has both zeros');
  });
});

/** The definition, one unit and one term at a time, for the test to compare against. */
function textbookForward(layers: DenseLayer[], x: Float32Array): Float32Array {
  const n = x.length / layers[0]!.inputs;
  const outputs = layers[layers.length - 1]!.units;
  const out = new Float32Array(n * outputs);
  for (let row = 0; row < n; row++) {
    let a = Float32Array.from(x.subarray(row * layers[0]!.inputs, (row + 1) * layers[0]!.inputs));
    for (const l of layers) {
      const z: number[] = [];
      for (let j = 0; j < l.units; j++) {
        let sum = l.bias ? l.bias[j]! : 0;
        for (let i = 0; i < l.inputs; i++) sum += a[i]! * l.kernel[i * l.units + j]!;
        z.push(sum);
      }
      const next = new Float32Array(l.units);
      if (l.activation === 'softmax') {
        const zf = z.map((v) => Math.fround(v));
        const max = Math.max(...zf);
        const e = zf.map((v) => Math.exp(v - max));
        const total = e.reduce((s, v) => s + v, 0);
        e.forEach((v, j) => (next[j] = v / total));
      } else {
        z.forEach((v, j) => (next[j] = l.activation === 'relu' ? (v > 0 ? v : 0) : l.activation === 'sigmoid' ? 1 / (1 + Math.exp(-Math.fround(v))) : l.activation === 'tanh' ? Math.tanh(Math.fround(v)) : v));
      }
      a = next;
    }
    out.set(a, row * outputs);
  }
  return out;
}
