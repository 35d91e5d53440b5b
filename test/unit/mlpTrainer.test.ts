/**
 * The DNN loop with its passes written out (train/mlpTrainer.ts) against the tfjs loop it
 * replaces (layers.apply, autodiff, weightedLoss, tf.train.adam; engine 'tfjs'): the same seeded
 * start and batches, so the learning curves and weights agree up to float rounding, for one,
 * two and three hidden layers, the three tasks, weighted rows, one-hot inputs (the compact
 * batch gather), early stopping and the best weights, cancellation, and determinism.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mulberry32 } from '../../src/core/demo/random';
import { isProdmlError } from '../../src/core/errors';
import { loadTf } from '../../src/core/train/backend';
import { gather, pack } from '../../src/core/train/mlpTrainer';
import type { Task } from '../../src/core/train/model';
import { modelArtifacts, predict, trainModel, type TrainData, type TrainParams } from '../../src/core/train/trainer';

/** 5 numeric inputs, a 0/1 flag and two one-hot blocks (3 and 4 levels): 13 inputs. */
const WIDTH = 13;

function data(rows: number, seed: number, task: Task, weighted = false): TrainData {
  const r = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const x = new Float32Array(rows * WIDTH);
  const y = new Float32Array(rows);
  const w = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    const row = x.subarray(i * WIDTH, (i + 1) * WIDTH);
    for (let j = 0; j < 5; j++) row[j] = normal();
    row[5] = r() < 0.4 ? 1 : 0;
    const a = Math.floor(r() * 3);
    const b = Math.floor(r() * 4);
    row[6 + a] = 1;
    row[9 + b] = 1;
    const z = 0.8 * row[0]! - 0.6 * row[1]! + 0.5 * row[0]! * row[2]! - 0.4 * (row[3]! ** 2 - 1) + 0.5 * row[5]! + [-0.5, 0, 0.5][a]! + 0.2 * b;
    if (task === 'binary') y[i] = r() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    else if (task === 'regression') y[i] = z + 0.3 * normal();
    else y[i] = z < -0.5 ? 0 : z < 0.5 ? 1 : 2;
    w[i] = 0.5 + r();
  }
  return { x, y, width: WIDTH, ...(weighted ? { w } : {}) };
}

async function both(task: Task, hidden: number[], params: TrainParams, weighted = false) {
  const { tf } = await loadTf();
  const train = data(3000, 1, task, weighted);
  const evalData = data(1000, 2, task, weighted);
  const opts = { task, classes: 3, model: { type: 'dnn' as const, hidden }, params, train, eval: evalData };
  const fast = await trainModel(tf, opts);
  const ref = await trainModel(tf, { ...opts, engine: 'tfjs' });
  return { tf, fast, ref, evalData, pf: predict(tf, fast.model, evalData.x, WIDTH), pr: predict(tf, ref.model, evalData.x, WIDTH) };
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, what);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  assert.ok(worst < tol, `${what}: largest difference ${worst} (tolerance ${tol})`);
}

describe('DNN trainer with written-out passes', () => {
  for (const [task, hidden, weighted] of [
    ['binary', [16, 8], true],
    ['binary', [12], false],
    ['regression', [10, 6, 4], true],
    ['multiclass', [16, 8], false],
  ] as [Task, number[], boolean][]) {
    test(`${task}, hidden [${hidden.join(', ')}]${weighted ? ', weighted rows' : ''}: the learning curve, weights and predictions of the tfjs loop`, async () => {
      const { fast, ref, pf, pr } = await both(task, hidden, { epochs: 4, batch_size: 128, learning_rate: 0.01, seed: 7 }, weighted);
      assert.equal(fast.history.length, 4);
      assert.equal(fast.bestEpoch, ref.bestEpoch);
      for (let e = 0; e < 4; e++) {
        const [f, r] = [fast.history[e]!, ref.history[e]!];
        assert.ok(Math.abs(f.loss - r.loss) < 1e-4 * Math.max(1, r.loss), `epoch ${e + 1} loss ${f.loss} vs ${r.loss}`);
        assert.ok(Math.abs(f.evalLoss - r.evalLoss) < 1e-4 * Math.max(1, r.evalLoss), `epoch ${e + 1} eval loss ${f.evalLoss} vs ${r.evalLoss}`);
      }
      assert.ok(fast.history[0]!.loss > fast.history[3]!.loss, 'the training loss falls');
      const wf = fast.model.getWeights();
      const wr = ref.model.getWeights();
      assert.equal(wf.length, 2 * (hidden.length + 1));
      wf.forEach((t, i) => {
        assert.deepEqual(t.shape, wr[i]!.shape);
        close(t.dataSync(), wr[i]!.dataSync(), 5e-3, `weights ${i}`);
      });
      // Rounding differs (Adam's moments in float64 here, float32 in tf.train.adam) and Adam
      // amplifies it where a gradient is near zero: a few 1e-3 after 4 epochs; a wrong gradient
      // or bias term would be off by far more.
      close(pf, pr, 5e-3, 'eval predictions');
    });
  }

  test('early stopping keeps the best epoch, the same as the tfjs loop; a seed gives the same bytes twice', async () => {
    const params: TrainParams = { epochs: 30, batch_size: 64, learning_rate: 0.01, seed: 11, early_stopping: { patience: 2 } };
    const { tf, fast, ref, evalData } = await both('binary', [32, 16], params);
    assert.ok(fast.stoppedEarly, '3000 rows overfit before 30 epochs');
    assert.equal(fast.bestEpoch, ref.bestEpoch);
    assert.equal(fast.history.length, ref.history.length);
    assert.equal(fast.history.length, fast.bestEpoch + 2);
    const best = fast.history[fast.bestEpoch - 1]!.evalLoss;
    assert.ok(fast.history.every((h) => h.evalLoss >= best));
    // The model holds the best epoch's weights: its eval loss is that epoch's.
    const p = predict(tf, fast.model, evalData.x, WIDTH);
    let loss = 0;
    p.forEach((q, i) => {
      const c = Math.min(1 - 1e-7, Math.max(1e-7, q));
      loss -= evalData.y[i]! * Math.log(c) + (1 - evalData.y[i]!) * Math.log(1 - c);
    });
    assert.ok(Math.abs(loss / p.length - best) < 1e-5, `${loss / p.length} vs ${best}`);
    const again = await trainModel(tf, { task: 'binary', model: { type: 'dnn', hidden: [32, 16] }, params, train: data(3000, 1, 'binary'), eval: evalData });
    assert.ok((await modelArtifacts(tf, fast.model)).weights.equals((await modelArtifacts(tf, again.model)).weights), 'same seed, same weights');
  });

  test('packed rows expand to the same bits: floats, 0/1 columns as bits, -0, a column 0/1 only at first', () => {
    const width = 40;
    const rows = 300;
    const r = mulberry32(5);
    const x = new Float32Array(rows * width);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < width; j++) x[i * width + j] = j < 3 ? r() - 0.5 : r() < 0.3 ? 1 : 0;
      x[i * width + 3] = i === 0 ? 1 : r() < 0.5 ? 0 : 2.5; // 0/1 in the first row only: packing starts over
      x[i * width + 4] = i === 7 ? -0 : 0; // -0 must come back as -0
    }
    const y = Float32Array.from({ length: rows }, () => r());
    const w = Float32Array.from({ length: rows }, () => r());
    const p = pack({ x, y, w, width });
    assert.deepEqual([...p.dense], [0, 1, 2, 3, 4]);
    assert.equal(p.binary.length, 35);
    assert.equal(p.words, 2);
    const order = Int32Array.from({ length: rows }, (_, i) => (i * 7919) % rows);
    const n = 100;
    const bx = new Float32Array(n * (width + 1));
    const bxT = new Float32Array((width + 1) * n).fill(NaN);
    const by = new Float32Array(n);
    const bw = new Float32Array(n);
    gather(p, order, 50, n, bx, bxT, by, bw);
    for (let k = 0; k < n; k++) {
      const i = order[50 + k]!;
      for (let j = 0; j <= width; j++) {
        const want = j === width ? 1 : x[i * width + j]!;
        assert.ok(Object.is(bx[k * (width + 1) + j], want), `row ${k} input ${j}: ${bx[k * (width + 1) + j]} vs ${want}`);
        assert.ok(Object.is(bxT[j * n + k], want), `transposed row ${k} input ${j}`);
      }
      assert.equal(by[k], y[i]);
      assert.equal(bw[k], w[i]);
    }
  });

  test('an abort stops training between batches; a stop verdict ends it after the epoch', async () => {
    const { tf } = await loadTf();
    const train = data(20_000, 3, 'binary');
    const evalData = data(500, 4, 'binary');
    const abort = new AbortController();
    let epochs = 0;
    const started = trainModel(tf, { task: 'binary', model: { type: 'dnn', hidden: [16, 8] }, params: { epochs: 50, batch_size: 32 }, train, eval: evalData }, () => void epochs++, abort.signal);
    setTimeout(() => abort.abort(), 50);
    await assert.rejects(started, (e: unknown) => isProdmlError(e) && e.kind === 'cancelled');
    assert.ok(epochs < 50);
    const stopped = await trainModel(tf, { task: 'binary', model: { type: 'dnn', hidden: [16, 8] }, params: { epochs: 50, batch_size: 256 }, train, eval: evalData }, (r) => (r.epoch === 2 ? 'stop' : undefined));
    assert.equal(stopped.history.length, 2);
    assert.ok(stopped.stoppedEarly);
  });
});
