/**
 * Batch prediction checked and scored as typed columns (serve/columnCheck.ts + Scorer.scoreColumns)
 * against the row path (the instance check and Scorer.score on row objects): the same predictions
 * bit for bit, the same out-of-domain counts, and for a bad value the same one-line message
 * naming the line or row, the column and the rule. The row path runs when a log is asked for.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckSession, sqlString } from '../../src/core/data/duckdb';
import { mulberry32 } from '../../src/core/demo/random';
import { openSource } from '../../src/core/data/source';
import { openRegistry, type ModelVersion } from '../../src/core/registry';
import { predictBatch } from '../../src/core/serve/batchPredict';
import { loadScorer } from '../../src/core/serve/scorer';
import { trainFromConfig } from '../../src/core/train/run';
import { tempDir } from '../helpers/fixtures';

const ROWS = 6000;
const ws = tempDir('prodml-batchcols-');
let session: DuckSession;
let version: ModelVersion;

function csv(rows: number, seed: number, edit?: (i: number, cells: string[]) => void): string {
  const r = mulberry32(seed);
  const colors = ['red', 'green', 'blue'];
  const lines = ['id,amount,items,color,shop,label'];
  for (let i = 0; i < rows; i++) {
    const amount = r() < 0.05 ? '' : (r() * 50 - 10).toFixed(3);
    const items = String(Math.floor(r() * 7));
    // Rows past the training file's bring colours and shops the model has not seen.
    const color = r() < 0.04 ? '' : seed !== 1 && r() < 0.1 ? 'violet' : colors[Math.floor(r() * 3)]!;
    const shop = `s${Math.floor(r() * (seed === 1 ? 6 : 8))}`;
    const label = String(Number(r() < 1 / (1 + Math.exp(-(0.05 * Number(amount || 0) - 0.3 * Number(items) + (color === 'red' ? 1 : 0))))));
    const cells = [String(i), amount, items, color, shop, label];
    edit?.(i, cells);
    lines.push(cells.join(','));
  }
  return lines.join('\n') + '\n';
}

before(async () => {
  fs.mkdirSync(path.join(ws, 'data'), { recursive: true });
  fs.writeFileSync(path.join(ws, 'data', 'train.csv'), csv(3000, 1));
  fs.writeFileSync(
    path.join(ws, 'prodml.yaml'),
    `datasets:
  d:
    path: data/train.csv
    label: label
models:
  m:
    dataset: d
    task: binary
    features:
      amount: standardize
      items: standardize
      color: one_hot
      shop: {transform: vocabulary, oov_buckets: 2}
    model: {type: logistic}
    training: {epochs: 3, seed: 2}
`,
  );
  const registry = await openRegistry(ws);
  version = await registry.getVersion('m', (await trainFromConfig(ws, 'm')).version);
  fs.mkdirSync(path.join(ws, 'in'), { recursive: true });
  fs.writeFileSync(path.join(ws, 'in', 'new.csv'), csv(ROWS, 2));
  session = await DuckSession.open({ allowedDirectories: [ws] });
  await session.run(`COPY (SELECT * FROM read_csv(${sqlString(path.join(ws, 'in', 'new.csv'))}, header = true)) TO ${sqlString(path.join(ws, 'in', 'new.parquet'))} (FORMAT parquet)`);
});

after(() => session?.close());

const predictions = async (file: string) => (await session.rows(`SELECT prediction FROM ${sqlString(file)}`)).map((r) => r['prediction'] as number);

describe('batch prediction as typed columns', () => {
  for (const input of ['in/new.csv', 'in/new.parquet']) {
    test(`${input}: the row path's predictions bit for bit, and the Scorer's`, async () => {
      const src = await openSource(input, ws);
      const cols = await predictBatch(session, version, src, path.join(ws, 'out', `${path.basename(input)}.cols.parquet`), { keys: ['id'] });
      const rows = await predictBatch(session, version, src, path.join(ws, 'out', `${path.basename(input)}.rows.parquet`), { keys: ['id'], log: { root: ws } });
      assert.equal(cols.checkedAs, 'columns');
      assert.equal(rows.checkedAs, 'rows');
      assert.equal(cols.rows, ROWS);
      assert.ok((cols.outOfDomain['color'] ?? 0) > 100 && (cols.outOfDomain['shop'] ?? 0) > 100, JSON.stringify(cols.outOfDomain));
      assert.deepEqual(cols.outOfDomain, rows.outOfDomain);
      const a = Float32Array.from(await predictions(cols.output));
      const b = Float32Array.from(await predictions(rows.output));
      assert.deepEqual(a, b);
      const scorer = await loadScorer(version);
      const expected = scorer.score(await session.rows(`SELECT * FROM ${src.scan}`));
      scorer.dispose();
      assert.deepEqual(a, expected);
      const ids = (await session.rows(`SELECT id FROM ${sqlString(cols.output)}`)).map((r) => Number(r['id']));
      assert.deepEqual(ids, Array.from({ length: ROWS }, (_, i) => i));
    });
  }

  test('every kept column, Parquet parts and CSV output: the same file as the row path', async () => {
    const src = await openSource('in/new.parquet', ws);
    const opts = { partRows: 1000 };
    const cols = await predictBatch(session, version, src, path.join(ws, 'out', 'all.cols.csv'), opts);
    const rows = await predictBatch(session, version, src, path.join(ws, 'out', 'all.rows.csv'), { ...opts, log: { root: ws } });
    assert.equal(cols.checkedAs, 'columns');
    assert.deepEqual(cols.columns, ['id', 'label', 'prediction']);
    assert.deepEqual(cols.columns, rows.columns);
    assert.equal(fs.readFileSync(cols.output, 'utf8'), fs.readFileSync(rows.output, 'utf8'));
  });

  test('a bad value deep in the file: the row check\'s message, naming the line and column', async () => {
    // items 2.5 on data line 4500 (file line 4502): DuckDB reads the column as DOUBLE; the model's input is an int.
    fs.writeFileSync(path.join(ws, 'in', 'frac.csv'), csv(ROWS, 2, (i, c) => i === 4500 && (c[2] = '2.5')));
    const message = async (log: boolean) => {
      const src = await openSource('in/frac.csv', ws);
      const e = await predictBatch(session, version, src, path.join(ws, 'out', `frac-${log}.csv`), log ? { log: { root: ws } } : {}).then(
        () => undefined,
        (x: Error) => x.message,
      );
      return e;
    };
    const cols = await message(false);
    assert.match(cols ?? '', /frac\.csv: line 4502, column "items": expected an int \(input type int in transform\.json\), got the number 2\.5$/);
    assert.equal(cols, await message(true));
    assert.ok(!fs.existsSync(path.join(ws, 'out', 'frac-false.csv')));
  });

  test('a NaN in a Parquet DOUBLE column is refused by row number', async () => {
    const file = path.join(ws, 'in', 'nan.parquet');
    await session.run(
      `COPY (SELECT * REPLACE (CASE WHEN id = 5000 THEN 'NaN'::DOUBLE ELSE amount END AS amount) FROM read_parquet(${sqlString(path.join(ws, 'in', 'new.parquet'))})) TO ${sqlString(file)} (FORMAT parquet)`,
    );
    await assert.rejects(predictBatch(session, version, await openSource('in/nan.parquet', ws), path.join(ws, 'out', 'nan.csv')), /nan\.parquet: row 5001, column "amount": NaN is not a usable value/);
  });
});
