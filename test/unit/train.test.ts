import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import type * as TF from '@tensorflow/tfjs';
import { DuckSession } from '../../src/core/data/duckdb';
import { openSource } from '../../src/core/data/source';
import { mulberry32 } from '../../src/core/demo/random';
import { writeDemoWorkspace } from '../../src/core/demo/workspace';
import { transformRows } from '../../src/core/features/apply';
import { fitTransforms } from '../../src/core/features/fit';
import type { FeatureSpec } from '../../src/core/features/spec';
import { isProdmlError } from '../../src/core/errors';
import { loadTf } from '../../src/core/train/backend';
import { recencyWeights, splitRows } from '../../src/core/train/split';
import { loadModel, modelArtifacts, predict, trainModel, weightedLoss, type TrainData } from '../../src/core/train/trainer';
import { tempDir } from '../helpers/fixtures';

let tf: typeof TF;
let backend: string;
before(async () => ({ tf, backend } = await loadTf()));

describe('splits and weights', () => {
  const rows = Array.from({ length: 5000 }, (_, i) => ({ id: i, author: `a${i % 97}`, day: new Date(Date.UTC(2024, 0, 1) + (i % 365) * 86_400_000).toISOString().slice(0, 10) }));

  test('a group never straddles train and eval', () => {
    const s = splitRows(rows, { kind: 'group', column: 'author', eval_fraction: 0.2 }, 7);
    const trainGroups = new Set(s.train.map((i) => rows[i]!.author));
    assert.ok(s.eval.every((i) => !trainGroups.has(rows[i]!.author)));
    assert.equal(s.train.length + s.eval.length, rows.length);
  });

  test('a time split trains on the past and evaluates on the future', () => {
    const s = splitRows(rows, { kind: 'time', column: 'day', eval_fraction: 0.25 }, 7);
    const lastTrain = Math.max(...s.train.map((i) => Date.parse(rows[i]!.day)));
    const firstEval = Math.min(...s.eval.map((i) => Date.parse(rows[i]!.day)));
    assert.ok(lastTrain < firstEval);
    assert.ok(Math.abs(s.eval.length / rows.length - 0.25) < 0.01);
  });

  test('a random split is the same for the same seed and near its fraction', () => {
    const a = splitRows(rows, { kind: 'random', eval_fraction: 0.2 }, 3);
    assert.deepEqual(splitRows(rows, { kind: 'random', eval_fraction: 0.2 }, 3), a);
    assert.notDeepEqual(splitRows(rows, { kind: 'random', eval_fraction: 0.2 }, 4).eval, a.eval);
    assert.ok(Math.abs(a.eval.length / rows.length - 0.2) < 0.03);
  });

  test('recency weights halve every half-life', () => {
    const w = recencyWeights([{ t: '2024-03-31' }, { t: '2024-03-01' }, { t: '2024-01-31' }], 't', 30);
    assert.equal(w[0], 1);
    assert.ok(Math.abs(w[1]! - 0.5) < 1e-6);
    assert.ok(Math.abs(w[2]! - Math.pow(0.5, 60 / 30)) < 1e-6);
  });
});

describe('training with tfjs', () => {
  test('the weighted loss weighs a row like repeating it', () => {
    const pred = tf.tensor1d([0.9, 0.2]);
    const y = tf.tensor1d([1, 1]);
    const weighted = weightedLoss(tf, 'binary', 2, pred, y, tf.tensor1d([2, 1])).dataSync()[0]!;
    const repeated = weightedLoss(tf, 'binary', 2, tf.tensor1d([0.9, 0.9, 0.2]), tf.tensor1d([1, 1, 1]), tf.tensor1d([1, 1, 1])).dataSync()[0]!;
    assert.ok(Math.abs(weighted - repeated) < 1e-6, `${weighted} vs ${repeated}`);
  });

  test('a regression on the demo data learns, is deterministic for a seed, and saves and loads exactly', async () => {
    const ws = path.join(tempDir('prodml-train-'), 'demo');
    await writeDemoWorkspace(ws, { rowsPerMonth: 250 });
    const session = await DuckSession.open({ allowedDirectories: [ws] });
    const scan = (await openSource('data/train/*.csv', ws)).scan;
    const all = await session.rows(`SELECT * FROM ${scan}`);
    const split = splitRows(all, { kind: 'time', column: 'event_date' }, 1);
    await session.run(`CREATE TEMP TABLE train_rows AS SELECT * FROM (SELECT *, row_number() OVER () - 1 AS i FROM ${scan}) WHERE i IN (${split.train.join(',')})`);
    const specs: FeatureSpec[] = [
      { name: 'mother_age', transform: { kind: 'standardize' } },
      { name: 'gestation_weeks', transform: { kind: 'standardize' } },
      { name: 'plurality', transform: { kind: 'one_hot' } },
      { name: 'is_male', transform: { kind: 'identity' } },
      { name: 'mother_race', transform: { kind: 'vocabulary', max_values: 10 } },
      { name: 'cigarette_use', transform: { kind: 'one_hot' } },
    ];
    const fitted = await fitTransforms(session, specs, { relation: 'train_rows' });
    session.close();
    const data = (idx: number[]): TrainData => {
      const part = idx.map((i) => all[i]!);
      return { x: transformRows(fitted, part), y: Float32Array.from(part, (r) => Number(r['weight_pounds'])), width: fitted.width };
    };
    const train = data(split.train);
    const evalData = data(split.eval);
    const run = () => trainModel(tf, { task: 'regression', model: { type: 'dnn', hidden: [16] }, params: { epochs: 12, batch_size: 128, learning_rate: 0.02, seed: 5 }, train, eval: evalData });

    const a = await run();
    const rmse = Math.sqrt(a.history[a.bestEpoch - 1]!.evalLoss);
    const mean = train.y.reduce((s, v) => s + v, 0) / train.y.length;
    const baseline = Math.sqrt(evalData.y.reduce((s, v) => s + (v - mean) ** 2, 0) / evalData.y.length);
    assert.ok(rmse < 0.8 * baseline, `eval RMSE ${rmse.toFixed(3)} vs predicting the mean ${baseline.toFixed(3)} on ${backend}`);
    assert.ok(a.history[0]!.loss > a.history.at(-1)!.loss, 'training loss falls');

    const b = await run();
    const wa = (await modelArtifacts(tf, a.model)).weights;
    assert.ok(wa.equals((await modelArtifacts(tf, b.model)).weights), `same seed, same weights on ${backend}`);

    const saved = await modelArtifacts(tf, a.model);
    const loaded = await loadModel(tf, saved.modelJson, saved.weights);
    const p1 = predict(tf, a.model, evalData.x, evalData.width);
    const p2 = predict(tf, loaded, evalData.x, evalData.width);
    assert.ok(Buffer.from(p1.buffer).equals(Buffer.from(p2.buffer)), 'identical predictions after save and load');
  });

  test('binary and multiclass models learn separable data; an abort stops training', async () => {
    const r = mulberry32(9);
    const n = 2000;
    const x = Float32Array.from({ length: n * 2 }, () => r() * 2 - 1);
    const yb = Float32Array.from({ length: n }, (_, i) => (x[2 * i]! + x[2 * i + 1]! > 0 ? 1 : 0));
    const ym = Float32Array.from({ length: n }, (_, i) => (x[2 * i]! < -0.33 ? 0 : x[2 * i]! < 0.33 ? 1 : 2));
    const half = (y: Float32Array, from: number, to: number): TrainData => ({ x: x.slice(from * 2, to * 2), y: y.slice(from, to), width: 2 });
    const bin = await trainModel(tf, { task: 'binary', model: { type: 'logistic' }, params: { epochs: 15, learning_rate: 0.1, batch_size: 64 }, train: half(yb, 0, 1500), eval: half(yb, 1500, n) });
    const pb = predict(tf, bin.model, x.slice(3000), 2);
    const acc = pb.reduce((s, p, i) => s + ((p > 0.5 ? 1 : 0) === yb[1500 + i] ? 1 : 0), 0) / 500;
    assert.ok(acc > 0.95, `binary accuracy ${acc}`);
    const multi = await trainModel(tf, { task: 'multiclass', classes: 3, model: { type: 'dnn', hidden: [16] }, params: { epochs: 20, learning_rate: 0.05, batch_size: 64 }, train: half(ym, 0, 1500), eval: half(ym, 1500, n) });
    const pm = predict(tf, multi.model, x.slice(3000), 2);
    let right = 0;
    for (let i = 0; i < 500; i++) {
      const row = Array.from(pm.slice(i * 3, i * 3 + 3));
      if (row.indexOf(Math.max(...row)) === ym[1500 + i]) right++;
    }
    assert.ok(right / 500 > 0.9, `multiclass accuracy ${right / 500}`);

    const abort = new AbortController();
    await assert.rejects(
      trainModel(tf, { task: 'binary', model: { type: 'logistic' }, params: { epochs: 50 }, train: half(yb, 0, 1500), eval: half(yb, 1500, n) }, () => abort.abort(), abort.signal),
      (e: unknown) => isProdmlError(e) && e.kind === 'cancelled',
    );
  });
});
