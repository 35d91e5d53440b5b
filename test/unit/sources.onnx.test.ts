/**
 * A model trained elsewhere (ONNX) checked on a database dataset: the same rows in a SQLite table
 * (streamed into DuckDB) and in a CSV file give the same metrics, and the card records the
 * dataset by name with the rows the database holds.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { DuckSession, type Row } from '../../src/core/data/duckdb';
import { importOnnx } from '../../src/core/onnx/importOnnx';
import { openRegistry } from '../../src/core/registry';
import { tempDir } from '../helpers/fixtures';
import { onnxFixtures } from '../helpers/onnxFixtures';

const fx = onnxFixtures();
const ws = tempDir('prodml-sources-onnx-');
let rows: Row[];

before(async () => {
  fs.copyFileSync(fx.data, path.join(ws, 'data.csv'));
  const duck = await DuckSession.open({ allowedDirectories: [ws] });
  rows = await duck.rows(`SELECT * FROM read_csv('${path.join(ws, 'data.csv')}', header = true)`);
  duck.close();
  const Database = require('better-sqlite3') as typeof import('better-sqlite3');
  const db = new Database(path.join(ws, 'data.db'));
  db.exec('CREATE TABLE rows (t TIMESTAMP, f1 REAL, f2 REAL, f3 REAL, f4 REAL, region TEXT, y INTEGER, segment TEXT, amount REAL)');
  const ins = db.prepare('INSERT INTO rows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const iso = (v: unknown) => (v instanceof Date ? v.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '') : String(v));
  db.transaction(() => {
    for (const r of rows) ins.run(iso(r['t']), r['f1'], r['f2'], r['f3'], r['f4'], r['region'], Number(r['y']), r['segment'], r['amount']);
  })();
  db.close();
  fs.writeFileSync(path.join(ws, 'prodml.yaml'), 'datasets:\n  churn_db:\n    url: sqlite:///data.db\n    table: rows\n');
});

test('ONNX import checked on a SQLite dataset: the same metrics as on the same rows in a CSV', async () => {
  const file = fx.file('xgb_regressor.onnx');
  const features = ['f1', 'f2', 'f3', 'f4'];
  const fromDb = await importOnnx(ws, { file, model: 'amount_db', label: 'amount', dataset: 'churn_db', features });
  const fromCsv = await importOnnx(ws, { file, model: 'amount_csv', label: 'amount', dataset: 'data.csv', features });
  assert.equal(fromDb.task, 'regression');
  assert.ok(Object.keys(fromDb.metrics).length >= 2);
  for (const [k, v] of Object.entries(fromCsv.metrics)) assert.ok(Math.abs(fromDb.metrics[k]! - v) <= 1e-9 * Math.max(1, Math.abs(v)), `${k}: ${fromDb.metrics[k]} vs ${v}`);
  const card = (await (await openRegistry(ws)).getVersion('amount_db', fromDb.version)).card;
  assert.deepEqual(card.onnx!.checked_on, { dataset: 'churn_db', rows: rows.length });
  const [d] = card.training_data.datasets;
  assert.equal(d!.path, 'sqlite:///data.db (table rows)');
  assert.equal(d!.rows, rows.length);
  assert.match(d!.content_hash, /^sha256:[0-9a-f]{64}$/);
});
