/**
 * Columnar loading (typed columns, transforms column-wise) against the row path it replaces:
 * the same split, the same labels, the same design matrix bit for bit, and so the same model.
 * The data plants what coercion must agree on: missing numbers, numbers in a text column,
 * booleans, big integers, a log feature with non-positive values, unseen and missing
 * categories (one_hot and vocabulary with OOV buckets), numeric categories, dates and times.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { DuckSession } from '../../src/core/data/duckdb';
import { mulberry32 } from '../../src/core/demo/random';
import { transformRows } from '../../src/core/features/apply';
import { fitTransforms } from '../../src/core/features/fit';
import { loadProjectConfig } from '../../src/core/project/config';
import { modelConfig } from '../../src/core/project/workspace';
import { loadTf } from '../../src/core/train/backend';
import { designMatrix, loadTrainedOn, trainSplitRelation } from '../../src/core/train/columnarSplit';
import { loadSplit } from '../helpers/rowSplit';
import { predict, trainModel } from '../../src/core/train/trainer';
import { tempDir } from '../helpers/fixtures';

const ROWS = 700;

function writeWorkspace(dir: string, split: string): void {
  const r = mulberry32(11);
  const lines = ['amount,text_num,flag,big,spend,color,shop,day,stamp,code,label'];
  const colors = ['red', 'green', 'blue', 'teal'];
  for (let i = 0; i < ROWS; i++) {
    const amount = r() < 0.05 ? '' : (r() * 100 - 20).toFixed(3);
    const textNum = r() < 0.05 ? 'n/a' : r() < 0.05 ? '' : (r() * 10).toFixed(2);
    const flag = r() < 0.5 ? 'true' : 'false';
    const big = String(9007199254740000 + Math.floor(r() * 5000));
    const spend = r() < 0.1 ? '-3' : (Math.exp(r() * 5) - 1).toFixed(4);
    // Rows after 500 bring a colour the training rows may not have seen.
    const color = r() < 0.06 ? '' : i > 500 && r() < 0.2 ? 'violet' : colors[Math.floor(r() * colors.length)]!;
    const shop = r() < 0.04 ? '' : `s${Math.floor(r() * 12)}`;
    const day = r() < 0.03 ? '' : new Date(Date.UTC(2024, 0, 1) + i * 86400000 / 3).toISOString().slice(0, 10);
    const stamp = new Date(Date.UTC(2024, 2, 1) + Math.floor(r() * 1e9)).toISOString().replace('T', ' ').slice(0, 19);
    const code = String(Math.floor(r() * 5));
    const label = r() < 0.02 ? '' : String(Number(r() < 0.3 + (Number(amount || 0) > 40 ? 0.4 : 0)));
    lines.push([amount, textNum, flag, big, spend, color, shop, day, stamp, code, label].join(','));
  }
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'data', 'rows.csv'), lines.join('\n') + '\n');
  fs.writeFileSync(
    path.join(dir, 'prodml.yaml'),
    `datasets:
  rows:
    path: data/*.csv
    label: label
    time_column: day
models:
  m:
    dataset: rows
    task: binary
    features:
      amount: standardize
      text_num: min_max
      flag: identity
      big: standardize
      spend: {transform: log}
      color: one_hot
      shop: {transform: vocabulary, max_values: 6, oov_buckets: 3}
      code: one_hot
      stamp: date_parts
      day: {transform: bucketize, buckets: 3}
    split: ${split}
    weighting: {column: day, half_life_days: 60}
    model: {type: logistic}
    training: {epochs: 3, batch_size: 64, learning_rate: 0.05, seed: 5}
`,
  );
}

for (const split of ['{kind: random, eval_fraction: 0.25}', '{kind: time, eval_fraction: 0.2}', '{kind: group, column: shop, eval_fraction: 0.3}']) {
  describe(`columnar loading against the row path, split ${split}`, () => {
    test('the same split, labels and design matrix bit for bit, and the same trained model', async () => {
      const dir = tempDir('prodml-columnar-');
      writeWorkspace(dir, split);
      const project = (await loadProjectConfig(dir))!;
      const m = modelConfig(project, 'm');
      const session = await DuckSession.open({ allowedDirectories: [dir] });
      try {
        const old = await loadSplit(session, project, m);
        const neu = await loadTrainedOn(session, project, m);
        assert.equal(neu.rows, old.rows.length);
        assert.deepEqual(neu.train, old.train);
        assert.deepEqual(neu.eval, old.eval);
        assert.ok(old.eval.length > 20 && old.train.length > 300, `${old.train.length} / ${old.eval.length}`);
        assert.deepEqual(Buffer.from(neu.labels.y.buffer), Buffer.from(old.y.buffer));
        // Rows without a label are planted, and both paths leave them out.
        assert.ok(old.train.length + old.eval.length < ROWS);

        const fitted = await fitTransforms(session, m.features, { relation: await trainSplitRelation(session, neu.table, neu.train) });
        const width = fitted.width;
        for (const idx of [neu.train, neu.eval]) {
          const rowX = transformRows(fitted, idx.map((i) => old.rows[i]!));
          const colX = designMatrix(fitted, neu.features, idx);
          assert.equal(colX.length, idx.length * width);
          const differ = rowX.findIndex((v, k) => !Object.is(v, colX[k]));
          assert.equal(differ, -1, differ < 0 ? '' : `row ${Math.floor(differ / width)}, input ${fitted.features.flatMap((f) => f.outputs)[differ % width]}: ${rowX[differ]} vs ${colX[differ]}`);
        }
        // The planted cases reached the matrix: an OOV slot and an unseen one_hot value (all zeros) in eval.
        const evalX = designMatrix(fitted, neu.features, neu.eval);
        const names = fitted.features.flatMap((f) => f.outputs);
        const oov = names.findIndex((n) => n.startsWith('shop=<oov'));
        const hits = (slot: number) => neu.eval.filter((_, r) => evalX[r * width + slot] === 1).length;
        assert.ok(oov >= 0 && hits(oov) + hits(oov + 1) + hits(oov + 2) > 0, 'some eval rows fall in an OOV bucket');

        const { tf } = await loadTf();
        const yOf = (idx: number[]) => Float32Array.from(idx, (i) => neu.labels.y[i]!);
        const run = async (x: Float32Array, ex: Float32Array) => {
          const r = await trainModel(tf, { task: 'binary', model: { type: 'dnn', hidden: [4] }, params: m.training, train: { x, y: yOf(neu.train), width }, eval: { x: ex, y: yOf(neu.eval), width } });
          const p = predict(tf, r.model, ex, width);
          r.model.dispose();
          return p;
        };
        const a = await run(transformRows(fitted, neu.train.map((i) => old.rows[i]!)), transformRows(fitted, neu.eval.map((i) => old.rows[i]!)));
        const b = await run(designMatrix(fitted, neu.features, neu.train), evalX);
        assert.deepEqual(Buffer.from(b.buffer), Buffer.from(a.buffer));
      } finally {
        session.close();
      }
    });
  });
}
