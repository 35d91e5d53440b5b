/**
 * Streamed training (train/streamedTraining.ts) against the in-memory path on the same small
 * data, the streamed path forced by a tiny training.memory_budget_mb: the same split (rows with
 * an unusable label left out, random and time splits), the same fitted transforms, the same
 * model when a batch is the whole split (the order then cannot matter: this also checks that the
 * records of bucketFiles.ts encode every transform's inputs, date parts included), the same
 * quality with mini-batches, the same model twice for a seed, Parquet files read in place, and
 * cancels (the record folder removed; training stopped between buckets).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { DuckSession } from '../../src/core/data/duckdb';
import { mulberry32 } from '../../src/core/demo/random';
import { fitTransforms } from '../../src/core/features/fit';
import type { FittedTransforms } from '../../src/core/features/spec';
import { loadProjectConfig, type ModelConfig } from '../../src/core/project/config';
import { modelConfig } from '../../src/core/project/workspace';
import { loadTf } from '../../src/core/train/backend';
import { designMatrix, loadTrainedOn, trainSplitRelation } from '../../src/core/train/columnarSplit';
import { denseRows, encodeRecords, recordLayout } from '../../src/core/train/bucketFiles';
import { createTrainingTable } from '../../src/core/train/data';
import { PILE_ROWS } from '../../src/core/train/epochOrder';
import { inMemorySource, trainLinear, trainLinearFrom } from '../../src/core/train/linearTrainer';
import { trainFromConfig, type TrainProgress } from '../../src/core/train/run';
import { prepareStreamed, shouldStream } from '../../src/core/train/streamedTraining';
import { tempDir } from '../helpers/fixtures';

const ROWS = 3000;
const TINY = 0.05; // MB: buckets of about a hundred rows

function writeWorkspace(dir: string, split: string, training: string, rows = ROWS): void {
  const r = mulberry32(5);
  const lines = ['amount,spend,ratio,color,shop,day,label'];
  const colors = ['red', 'green', 'blue', 'teal'];
  for (let i = 0; i < rows; i++) {
    const a = r() * 100 - 20;
    const amount = r() < 0.04 ? '' : a.toFixed(3);
    const spend = r() < 0.1 ? '-3' : (Math.exp(r() * 5) - 1).toFixed(4);
    const ratio = (r() * 2).toFixed(4);
    const color = r() < 0.05 ? '' : colors[Math.floor(r() * colors.length)]!;
    const shop = `s${Math.floor(r() * 9)}`;
    const day = r() < 0.02 ? '' : new Date(Date.UTC(2024, 0, 1) + Math.floor((i * 86400000) / 10)).toISOString().slice(0, 10);
    const z = -0.5 + 0.04 * (amount === '' ? 0 : a) - 0.8 * Number(ratio) + (color === 'red' ? 0.9 : 0) + (shop === 's3' ? -0.7 : 0);
    // About 2% of labels are unusable: both paths must leave the same rows out.
    const label = r() < 0.02 ? (r() < 0.5 ? '' : 'maybe') : String(Number(r() < 1 / (1 + Math.exp(-z))));
    lines.push([amount, spend, ratio, color, shop, day, label].join(','));
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
      spend: {transform: log}
      ratio: {transform: bucketize, buckets: 4}
      color: one_hot
      shop: {transform: vocabulary, oov_buckets: 2}
      day: {transform: date_parts, parts: [year, month, day_of_week, weekend]}
    split: ${split}
    model: {type: logistic}
    training: ${training}
    validation: {slices: [color]}
`,
  );
}

async function modelOf(dir: string, budget?: number): Promise<ModelConfig> {
  const project = (await loadProjectConfig(dir))!;
  const m = modelConfig(project, 'm');
  return budget === undefined ? m : { ...m, training: { ...m.training, memory_budget_mb: budget } };
}

function assertSameFit(a: FittedTransforms, b: FittedTransforms): void {
  assert.equal(a.width, b.width);
  assert.equal(a.fittedOn, b.fittedOn);
  const walk = (x: unknown, y: unknown, at: string): void => {
    if (typeof x === 'number' && typeof y === 'number') {
      // DuckDB's parallel sums may add in another order: the same statistic to 1e-12.
      assert.ok(Math.abs(x - y) <= 1e-12 * Math.max(1, Math.abs(x)), `${at}: ${x} vs ${y}`);
    } else if (x && typeof x === 'object') {
      assert.deepEqual(Object.keys(x), Object.keys(y as object), at);
      for (const k of Object.keys(x)) walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], `${at}.${k}`);
    } else assert.deepEqual(x, y, at);
  };
  walk(a, b, 'fit');
}

/** Both paths' split and fit on one workspace. */
async function bothPaths(dir: string) {
  const project = (await loadProjectConfig(dir))!;
  const m = await modelOf(dir, TINY);
  const memory = await DuckSession.open({ allowedDirectories: [dir] });
  const streamed = await DuckSession.open({ allowedDirectories: [dir] });
  try {
    const data = await loadTrainedOn(memory, project, m);
    const fitted = await fitTransforms(memory, m.features, { relation: await trainSplitRelation(memory, data.table, data.train) });
    await createTrainingTable(streamed, project, m);
    const plan = await shouldStream(streamed, m);
    const s = (await prepareStreamed(streamed, m, TINY))!;
    // The rows as the record files hold them (the eval files in the order they evaluate).
    const { train: trainRows, eval: evalRows } = await s.rowIds();
    const folder = s.folder;
    const hadFiles = fs.readdirSync(folder).length;
    s.close();
    return { data, fitted, plan, s, evalRows, trainRows, folder, hadFiles };
  } finally {
    memory.close();
    streamed.close();
  }
}

describe('streamed training past the memory budget', () => {
  test('records: dense inputs and one-hot slots give back the design matrix; a group that is not one-hot is an error', () => {
    const fitted: FittedTransforms = {
      version: 1,
      width: 5,
      fittedOn: 3,
      features: [
        { name: 'a', kind: 'standardize', center: 0, scale: 1, impute: 0, outputs: ['a'] },
        { name: 'c', kind: 'one_hot', values: ['x', 'y', 'z'], oovBuckets: 0, outputs: ['c_x', 'c_y', 'c_z'] },
        { name: 'b', kind: 'log', offset: 1, center: 0, scale: 1, impute: 0, outputs: ['b'] },
      ],
    };
    const layout = recordLayout(fitted);
    assert.deepEqual([...layout.denseCols], [0, 4]);
    assert.deepEqual(layout.groups, [{ at: 1, size: 3 }]);
    // Row 2 has no category (all zeros): its slot is the always-zero parameter past the bias.
    const x = Float32Array.from([0.25, 0, 1, 0, -3, -1.5, 1, 0, 0, 2, 7, 0, 0, 0, 0.125]);
    const buf = new ArrayBuffer(3 * layout.stride * 4);
    const out = { f32: new Float32Array(buf), i32: new Int32Array(buf) };
    for (let i = 0; i < 3; i++) encodeRecords(layout, x, i, i % 2, 100 + i, out, i * layout.stride);
    assert.deepEqual([...out.i32.filter((_, k) => k % layout.stride === 0)], [100, 101, 102]);
    assert.deepEqual([...out.i32.filter((_, k) => k % layout.stride === layout.stride - 1)], [2, 1, 6]);
    assert.deepEqual(denseRows({ rows: 3, ...out, layout }, 0, 3), x);
    assert.throws(() => encodeRecords(layout, Float32Array.from([0, 0.5, 0, 0, 0]), 0, 1, 7, out, 0), /not one-hot in row 7/);
    assert.throws(() => encodeRecords(layout, Float32Array.from([0, 1, 1, 0, 0]), 0, 1, 8, out, 0), /not one-hot in row 8/);
  });

  for (const split of ['{kind: random, eval_fraction: 0.25}', '{kind: time, eval_fraction: 0.2}']) {
    test(`${split}: the same training and eval rows and the same fitted transforms as in memory`, async () => {
      const dir = tempDir();
      writeWorkspace(dir, split, '{epochs: 2, seed: 7}');
      const { data, fitted, plan, s, evalRows, trainRows, folder, hadFiles } = await bothPaths(dir);
      assert.equal(plan.stream, true);
      assert.ok(s.buckets > 10, `${s.buckets} buckets`);
      assert.ok(data.train.length + data.eval.length < ROWS, 'rows with unusable labels are left out');
      assert.deepEqual(trainRows, data.train);
      assert.deepEqual(evalRows, data.eval);
      assert.equal(s.trainRows, data.train.length);
      assert.equal(s.evalRows, data.eval.length);
      assertSameFit(fitted, s.fitted);
      // One file per bucket and per eval part, removed by close().
      assert.ok(hadFiles > s.buckets, `${hadFiles} files`);
      assert.equal(fs.existsSync(folder), false);
    });
  }

  // The in-memory trainer visits the rows in the streamed layout's order (epochOrder.ts), so the
  // batches are the same ones: one batch per epoch; mini-batches across many small buckets; and
  // buckets past PILE_ROWS rows, each shuffled through several piles.
  const cases = [
    { name: 'one batch per epoch', rows: ROWS, batch: ROWS, bucketRows: 0 },
    { name: 'mini-batches of 16 over buckets of about a hundred rows', rows: ROWS, batch: 16, bucketRows: 0 },
    { name: 'mini-batches of 64 over buckets of several piles', rows: 60_000, batch: 64, bucketRows: 1.5 * PILE_ROWS },
  ];
  for (const c of cases) {
    test(`${c.name}: the same losses and weights as the in-memory trainer`, async () => {
      const dir = tempDir();
      // The seed is the model's: the streamed layout's buckets and every epoch's order come from it.
      writeWorkspace(dir, '{kind: random}', '{seed: 3}', c.rows);
      const project = (await loadProjectConfig(dir))!;
      const m = await modelOf(dir, TINY);
      const { tf } = await loadTf();
      const params = { epochs: 4, batch_size: c.batch, learning_rate: 0.05, seed: 3 };
      const memory = await DuckSession.open({ allowedDirectories: [dir] });
      const data = await loadTrainedOn(memory, project, m);
      const fitted = await fitTransforms(memory, m.features, { relation: await trainSplitRelation(memory, data.table, data.train) });
      const yOf = (idx: number[]) => Float32Array.from(idx, (i) => data.labels.y[i]!);
      memory.close();
      const session = await DuckSession.open({ allowedDirectories: [dir] });
      await createTrainingTable(session, project, m);
      // A budget for buckets of c.bucketRows rows (bucketLayout's arithmetic), or TINY.
      const budget = c.bucketRows ? (c.bucketRows * 16 * (recordLayout(fitted).stride * 4 + 8)) / 2 ** 20 : TINY;
      const s = (await prepareStreamed(session, m, budget))!;
      // Several buckets, each of several rows: the order is not the trivial one.
      assert.ok(s.buckets >= (c.bucketRows ? 2 : 3), `${s.buckets} buckets`);
      if (c.bucketRows) assert.ok(s.trainRows / s.buckets > PILE_ROWS, `${s.trainRows} rows in ${s.buckets} buckets`);
      const streamed = await trainLinearFrom(tf, { task: 'binary', model: m.model, params, source: s.source });
      s.close();
      session.close();
      const [kb, bb] = streamed.model.getWeights().map((t) => t.dataSync());
      // In memory: dense rows, and the same rows as records (the streamed path's loop).
      let ka: Float32Array | Int32Array | Uint8Array | undefined;
      for (const records of [undefined, recordLayout(fitted)]) {
        const inMemory = await trainLinear(tf, {
          task: 'binary',
          model: m.model,
          params,
          train: { x: designMatrix(fitted, data.features, data.train), y: yOf(data.train), width: fitted.width },
          eval: { x: designMatrix(fitted, data.features, data.eval), y: yOf(data.eval), width: fitted.width },
          layout: { rowNumbers: data.train, buckets: s.buckets },
          records,
        });
        const how = records ? 'records' : 'dense';
        if (records) {
          // The records path is the one taken (a one-hot group with another value would train dense).
          const src = inMemorySource({ x: designMatrix(fitted, data.features, data.train), y: yOf(data.train), width: fitted.width }, { x: new Float32Array(0), y: new Float32Array(0), width: fitted.width }, 3, undefined, records);
          for await (const block of src.blocks(1)) assert.ok('records' in block && block.records.rows === data.train.length);
        }
        for (let e = 0; e < 4; e++) {
          assert.ok(Math.abs(inMemory.history[e]!.loss - streamed.history[e]!.loss) < 1e-9, `${how}: epoch ${e + 1} loss`);
          assert.ok(Math.abs(inMemory.history[e]!.evalLoss - streamed.history[e]!.evalLoss) < 1e-9, `${how}: epoch ${e + 1} eval loss`);
        }
        const [k, b] = inMemory.model.getWeights().map((t) => t.dataSync());
        for (let j = 0; j < k!.length; j++) assert.ok(Math.abs(k![j]! - kb![j]!) < 1e-6, `${how}: weight ${j}: ${k![j]} vs ${kb![j]}`);
        assert.ok(Math.abs(b![0]! - bb![0]!) < 1e-6);
        ka = k;
      }
      // The weights moved from their start: the comparison is not of two untrained models.
      assert.ok(Math.max(...Array.from(ka!, Math.abs)) > 0.2);
    });
  }

  test('mini-batches: the same eval rows, AUC and baseline as in memory; the same model twice for a seed', async () => {
    const dir = tempDir();
    writeWorkspace(dir, '{kind: random}', `{epochs: 6, batch_size: 32, learning_rate: 0.02, seed: 11, memory_budget_mb: ${TINY}}`);
    const messages: string[] = [];
    const a = await trainFromConfig(dir, 'm', { onProgress: (p) => p.phase !== 'training' && messages.push(p.message) });
    assert.ok(messages.some((t) => /Streaming \d[\d,]* training rows from DuckDB in \d+ shuffled buckets/.test(t)), messages.join("\n"));
    const b = await trainFromConfig(dir, 'm');
    fs.writeFileSync(path.join(dir, 'prodml.yaml'), fs.readFileSync(path.join(dir, 'prodml.yaml'), 'utf8').replace(`memory_budget_mb: ${TINY}`, 'memory_budget_mb: 1024'));
    const c = await trainFromConfig(dir, 'm');
    // Deterministic for a seed: the same history and metrics, run after run.
    assert.deepEqual(b.history.map((h) => [h.loss, h.evalLoss]), a.history.map((h) => [h.loss, h.evalLoss]));
    assert.deepEqual(b.metrics, a.metrics);
    // In memory: the same rows evaluated, the same baseline, and a model as good to 0.01 AUC.
    assert.deepEqual(a.rows, c.rows);
    assert.deepEqual(a.evaluation.baseline, c.evaluation.baseline);
    assert.ok(Math.abs(a.metrics['auc']! - c.metrics['auc']!) < 0.01, `AUC streamed ${a.metrics['auc']} vs in memory ${c.metrics['auc']}`);
    assert.ok(a.metrics["auc"]! > 0.7, `AUC ${a.metrics["auc"]}`);
    // Batches of 32 at this rate move the eval loss by about 0.01 from epoch to epoch on either path: the best epochs agree.
    const best = (h: { evalLoss: number }[]) => Math.min(...h.map((e) => e.evalLoss));
    assert.ok(Math.abs(best(a.history) - best(c.history)) < 0.005, `best eval loss ${best(a.history)} vs ${best(c.history)}`);
    // The slices cover the same eval rows.
    assert.deepEqual(
      a.evaluation.slices[0]!.slices.map((v) => [v.value, v.rows]),
      c.evaluation.slices[0]!.slices.map((v) => [v.value, v.rows]),
    );
  });

  test('two Parquet files (read in place, rows numbered across files): the same rows and fit as the CSV', async () => {
    const dir = tempDir();
    writeWorkspace(dir, '{kind: time, eval_fraction: 0.2}', '{epochs: 2, seed: 7}');
    const csv = await bothPaths(dir);
    // The same rows split into two Parquet files, in order (the glob sorts a-rows before b-rows).
    const session = await DuckSession.open({ allowedDirectories: [dir] });
    const rows = `read_csv('${path.join(dir, 'data', 'rows.csv')}', header = true)`;
    await session.run(`CREATE TABLE r AS SELECT * FROM ${rows}`);
    await session.run(`COPY (SELECT * FROM r WHERE rowid < 1234 ORDER BY rowid) TO '${path.join(dir, 'data', 'a-rows.parquet')}' (FORMAT parquet)`);
    await session.run(`COPY (SELECT * FROM r WHERE rowid >= 1234 ORDER BY rowid) TO '${path.join(dir, 'data', 'b-rows.parquet')}' (FORMAT parquet)`);
    session.close();
    fs.rmSync(path.join(dir, 'data', 'rows.csv'));
    fs.writeFileSync(path.join(dir, 'prodml.yaml'), fs.readFileSync(path.join(dir, 'prodml.yaml'), 'utf8').replace('data/*.csv', 'data/*.parquet'));
    const pq = await bothPaths(dir);
    assert.equal(pq.data.train.length + pq.data.eval.length, csv.data.train.length + csv.data.eval.length);
    assert.deepEqual(pq.trainRows, csv.trainRows);
    assert.deepEqual(pq.evalRows, csv.evalRows);
    assert.deepEqual(pq.trainRows, pq.data.train);
    assertSameFit(pq.fitted, csv.fitted);
  });

  test('a cancel as a streamed run starts training: rejected, and its record folder removed', async () => {
    const dir = tempDir();
    writeWorkspace(dir, '{kind: random}', `{epochs: 5, seed: 1, memory_budget_mb: ${TINY}}`);
    const ac = new AbortController();
    let folder: string | undefined;
    await assert.rejects(
      trainFromConfig(dir, 'm', {
        signal: ac.signal,
        onProgress: (p) => {
          const m = p.phase === 'fitting' ? / in (\S*prodml-train-\S+) / .exec(p.message) : null;
          if (!m) return;
          folder = m[1];
          assert.ok(fs.readdirSync(folder!).length > 0, 'the records are on disk while training');
          ac.abort();
        },
      }),
      /cancel/i,
    );
    assert.ok(folder, 'the progress names the records folder');
    assert.equal(fs.existsSync(folder!), false);
  });

  test('a cancel during a streamed epoch stops training before the next epoch', async () => {
    const dir = tempDir();
    writeWorkspace(dir, '{kind: random}', `{epochs: 50, batch_size: 16, seed: 1, memory_budget_mb: ${TINY}}`);
    const ac = new AbortController();
    const epochs: TrainProgress[] = [];
    await assert.rejects(
      trainFromConfig(dir, 'm', {
        signal: ac.signal,
        onProgress: (p) => {
          if (p.phase !== 'training') return;
          epochs.push(p);
          ac.abort();
        },
      }),
      /cancel/i,
    );
    assert.equal(epochs.length, 1);
  });
});
