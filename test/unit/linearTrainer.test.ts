/**
 * The typed-array loop for linear and logistic models (train/linearTrainer.ts) against the tfjs
 * loop it replaces (the same seeded start, batches, Adam, weighted loss and early stopping) and
 * against scikit-learn's LogisticRegression on the same rows (eval AUC within 0.002).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { mulberry32 } from '../../src/core/demo/random';
import { scalarMetrics, taskDataOf } from '../../src/core/evaluate/metrics';
import { loadTf } from '../../src/core/train/backend';
import { predict, trainModel, type TrainData } from '../../src/core/train/trainer';
import { tempDir } from '../helpers/fixtures';

const WIDTH = 6;
const TRUE_W = [1.2, -0.8, 0.5, 0, 0.3, -1.5];

function data(rows: number, seed: number, task: 'binary' | 'regression', weighted = false): TrainData {
  const r = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const x = new Float32Array(rows * WIDTH);
  const y = new Float32Array(rows);
  const w = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    let z = -0.4;
    for (let j = 0; j < WIDTH; j++) {
      x[i * WIDTH + j] = normal();
      z += TRUE_W[j]! * x[i * WIDTH + j]!;
    }
    y[i] = task === 'binary' ? (r() < 1 / (1 + Math.exp(-z)) ? 1 : 0) : z + 0.3 * normal();
    w[i] = 0.5 + r();
  }
  return { x, y, width: WIDTH, ...(weighted ? { w } : {}) };
}

async function both(task: 'binary' | 'regression', params: object, weighted: boolean) {
  const { tf } = await loadTf();
  const train = data(4000, 1, task, weighted);
  const evalData = data(1500, 2, task);
  const model = { type: task === 'binary' ? ('logistic' as const) : ('linear' as const) };
  const fast = await trainModel(tf, { task, model, params, train, eval: evalData });
  const ref = await trainModel(tf, { task, model, params, train, eval: evalData, engine: 'tfjs' });
  const out = { fast, ref, pf: predict(tf, fast.model, evalData.x, WIDTH), pr: predict(tf, ref.model, evalData.x, WIDTH), evalData, train };
  return out;
}

describe('typed-array linear trainer', () => {
  test('logistic: the same learning curve and weights as the tfjs loop (weighted rows)', async () => {
    const { fast, ref, pf, pr } = await both('binary', { epochs: 4, batch_size: 64, learning_rate: 0.02, seed: 3 }, true);
    assert.equal(fast.history.length, 4);
    for (let e = 0; e < 4; e++) {
      assert.ok(Math.abs(fast.history[e]!.loss - ref.history[e]!.loss) < 2e-4, `epoch ${e + 1} loss ${fast.history[e]!.loss} vs ${ref.history[e]!.loss}`);
      assert.ok(Math.abs(fast.history[e]!.evalLoss - ref.history[e]!.evalLoss) < 2e-4, `epoch ${e + 1} eval loss ${fast.history[e]!.evalLoss} vs ${ref.history[e]!.evalLoss}`);
      assert.ok(fast.history[e]!.rowsPerSecond! > 0);
    }
    const kf = fast.model.getWeights()[0]!.dataSync();
    const kr = ref.model.getWeights()[0]!.dataSync();
    for (let j = 0; j < WIDTH; j++) assert.ok(Math.abs(kf[j]! - kr[j]!) < 2e-3, `weight ${j}: ${kf[j]} vs ${kr[j]}`);
    // It learnt the planted model: the weight of the feature without effect is the smallest.
    assert.ok(Math.abs(kf[3]!) < 0.1 && kf[5]! < -1 && kf[0]! > 0.9, Array.from(kf).join(', '));
    for (let i = 0; i < pf.length; i++) assert.ok(Math.abs(pf[i]! - pr[i]!) < 2e-3);
    fast.model.dispose();
    ref.model.dispose();
  });

  test('linear regression: the same model as the tfjs loop', async () => {
    const { fast, ref, pf, pr } = await both('regression', { epochs: 3, batch_size: 32, learning_rate: 0.05, seed: 9 }, false);
    for (let e = 0; e < 3; e++) assert.ok(Math.abs(fast.history[e]!.evalLoss - ref.history[e]!.evalLoss) < 1e-3 * ref.history[e]!.evalLoss + 1e-4);
    for (let i = 0; i < pf.length; i++) assert.ok(Math.abs(pf[i]! - pr[i]!) < 5e-3);
    fast.model.dispose();
    ref.model.dispose();
  });

  test('early stopping keeps the best epoch, like the tfjs loop; the same seed gives the same model', async () => {
    const { tf } = await loadTf();
    const train = data(3000, 4, 'binary');
    const evalData = data(300, 5, 'binary');
    // A learning rate this large oscillates: the eval loss rises again and patience ends the run.
    const params = { epochs: 30, batch_size: 16, learning_rate: 0.5, seed: 1, early_stopping: { patience: 2 } };
    const a = await trainModel(tf, { task: 'binary', model: { type: 'logistic' }, params, train, eval: evalData });
    const b = await trainModel(tf, { task: 'binary', model: { type: 'logistic' }, params, train, eval: evalData });
    assert.ok(a.stoppedEarly, JSON.stringify(a.history.map((h) => h.evalLoss)));
    const bestLoss = Math.min(...a.history.map((h) => h.evalLoss));
    assert.equal(a.history[a.bestEpoch - 1]!.evalLoss, bestLoss);
    assert.equal(a.history.length, a.bestEpoch + 2);
    // The model returned is the best epoch's: its eval loss is the best one.
    const p = predict(tf, a.model, evalData.x, WIDTH);
    let loss = 0;
    for (let i = 0; i < p.length; i++) {
      const q = Math.min(1 - 1e-7, Math.max(1e-7, p[i]!));
      loss -= evalData.y[i]! * Math.log(q) + (1 - evalData.y[i]!) * Math.log(1 - q);
    }
    assert.ok(Math.abs(loss / p.length - bestLoss) < 1e-5, `${loss / p.length} vs ${bestLoss}`);
    assert.deepEqual(Array.from(b.model.getWeights()[0]!.dataSync()), Array.from(a.model.getWeights()[0]!.dataSync()));
    a.model.dispose();
    b.model.dispose();
  });

  test('a cancelled run stops within the epoch', async () => {
    const { tf } = await loadTf();
    const train = data(200_000, 6, 'binary');
    const evalData = data(100, 7, 'binary');
    const ac = new AbortController();
    const t0 = performance.now();
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(trainModel(tf, { task: 'binary', model: { type: 'logistic' }, params: { epochs: 1000, batch_size: 8 }, train, eval: evalData }, undefined, ac.signal), /cancel/i);
    // Far fewer than 1000 epochs ran: the loop noticed the signal.
    assert.ok(performance.now() - t0 < 60_000);
  });

  test('eval AUC within 0.002 of scikit-learn LogisticRegression on the same rows', async () => {
    const { tf } = await loadTf();
    const train = data(20_000, 11, 'binary');
    const evalData = data(5_000, 12, 'binary');
    const r = await trainModel(tf, { task: 'binary', model: { type: 'logistic' }, params: { epochs: 5, batch_size: 256, learning_rate: 0.01, seed: 2 }, train, eval: evalData });
    const ours = (scalarMetrics(taskDataOf('binary', evalData.y, predict(tf, r.model, evalData.x, WIDTH), 2)) as { auc: number }).auc;
    r.model.dispose();
    const dir = tempDir('prodml-linear-');
    const csv = (d: TrainData) => Array.from(d.y, (y, i) => [...d.x.subarray(i * WIDTH, (i + 1) * WIDTH), y].join(',')).join('\n');
    fs.writeFileSync(path.join(dir, 'train.csv'), csv(train));
    fs.writeFileSync(path.join(dir, 'eval.csv'), csv(evalData));
    const py = `
import numpy as np, sys
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
t = np.loadtxt(sys.argv[1] + '/train.csv', delimiter=','); e = np.loadtxt(sys.argv[1] + '/eval.csv', delimiter=',')
m = LogisticRegression(max_iter=1000).fit(t[:, :-1], t[:, -1])
print(roc_auc_score(e[:, -1], m.predict_proba(e[:, :-1])[:, 1]))`;
    const out = spawnSync('/usr/bin/python3', ['-c', py, dir], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    const theirs = Number(out.stdout.trim());
    assert.ok(theirs > 0.7 && Math.abs(ours - theirs) < 0.002, `ours ${ours}, sklearn ${theirs}`);
  });
});
