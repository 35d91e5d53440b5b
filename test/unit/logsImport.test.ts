/**
 * Predictions logged by another serving system: `prodml logs import` appends them to the model's
 * prediction log once (the same file twice adds nothing; known ids are skipped), and monitoring
 * then reports their traffic, accuracy over time and drift.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { DuckSession, type Row } from '../../src/core/data/duckdb';
import { monitorModel } from '../../src/core/monitor';
import { importOnnx } from '../../src/core/onnx/importOnnx';
import { openRegistry } from '../../src/core/registry';
import { importLogs } from '../../src/core/serve/importLogs';
import { tempDir } from '../helpers/fixtures';
import { onnxFixtures } from '../helpers/onnxFixtures';
import { logRecords } from '../helpers/serveFixtures';

const CLI = path.join(__dirname, '../../dist/cli.js');
const fx = onnxFixtures();
const ws = tempDir('prodml-logs-import-');
fs.copyFileSync(fx.data, path.join(ws, 'data.csv'));
const torch = fx.predictions['torch_mlp'] as number[];
let rows: Row[];
let version: number;

/** What the other system logged: when, the inputs, its prediction, the outcome, a request id. */
function writeLog(file: string, from: number, to: number): void {
  const lines = ['request,served_at,f1,f2,f3,f4,region,score,outcome'];
  for (let i = from; i < to; i++) {
    const r = rows[i]!;
    lines.push([`r${i}`, (r['t'] as Date).toISOString(), r['f1'], r['f2'], r['f3'], r['f4'], r['region'], torch[i], r['y']].join(','));
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

before(async () => {
  const duck = await DuckSession.open({ allowedDirectories: [ws] });
  rows = await duck.rows(`SELECT * FROM read_csv('${path.join(ws, 'data.csv')}', header = true)`);
  duck.close();
  // The model the other system serves, imported and promoted: its card gives the task and the data drift is measured against.
  version = (await importOnnx(ws, { file: fx.file('torch_mlp.onnx'), model: 'external', dataset: 'data.csv', features: ['f1', 'f2', 'f3', 'f4'], label: 'y' })).version;
  await (await openRegistry(ws)).promote('external', version, 'production');
  writeLog(path.join(ws, 'served.csv'), 0, 300);
  writeLog(path.join(ws, 'served-later.csv'), 200, 400);
});

describe('logs import', () => {
  test('appends every row once: the same file again adds nothing', async () => {
    const req = { file: 'served.csv', model: 'external', timeColumn: 'served_at', predictionColumn: 'score', labelColumn: 'outcome', idColumn: 'request' };
    const first = await importLogs(ws, req);
    assert.deepEqual({ rows: first.rows, added: first.added, labels: first.labels, version: first.version }, { rows: 300, added: 300, labels: 300, version });
    const again = await importLogs(ws, req);
    assert.equal(again.added, 0);
    assert.equal(logRecords(ws, 'external').length, 300);
    // Another file overlapping by 100 ids: only the 100 new rows are added.
    const later = await importLogs(ws, { ...req, file: 'served-later.csv' });
    assert.deepEqual([later.added, later.skipped], [100, 100]);
    const logged = logRecords(ws, 'external');
    assert.equal(logged.length, 400);
    assert.equal(new Set(logged.map((l) => l.request_id)).size, 400);
    const r7 = logged.find((l) => l.request_id === 'ext-r7');
    assert.ok(Math.abs(r7.prediction - torch[7]!) < 1e-12);
    assert.equal(r7.time, (rows[7]!['t'] as Date).toISOString());
    assert.equal(r7.version, version);
    assert.deepEqual(Object.keys(r7.inputs).sort(), ['f1', 'f2', 'f3', 'f4', 'region', 'served_at']);
  });

  test('monitoring reports the imported traffic and accuracy per day, from the joined labels', async () => {
    const duck = await DuckSession.open({ allowedDirectories: [ws] });
    try {
      const report = await monitorModel(duck, ws, 'external');
      assert.equal(report.windows.reduce((s, w) => s + w.count, 0), 400);
      assert.equal(report.windows.length, 100, 'four predictions a day for 100 days');
      const day = report.windows.find((w) => w.window.startsWith('2025-01-10'))!;
      assert.ok(day, report.windows.map((w) => w.window).slice(0, 12).join(', '));
      assert.equal(day.labelled, 4);
      // Accuracy of that day by hand: rows 36-39 are 2025-01-10.
      const idx = [36, 37, 38, 39];
      const accuracy = idx.filter((i) => (torch[i]! >= 0.5 ? 1 : 0) === Number(rows[i]!['y'])).length / 4;
      assert.equal(day.metrics?.['accuracy'], accuracy);
      assert.deepEqual(day.versions, [{ version, count: 4 }]);
    } finally {
      duck.close();
    }
  });

  test('bad input exits 2 naming the file and the column; nothing is added', () => {
    const before = logRecords(ws, 'external').length;
    const cli = (args: string[]) => spawnSync(process.execPath, [CLI, 'logs', 'import', ...args, '--workspace', ws], { cwd: ws, encoding: 'utf8' });
    const noColumn = cli(['served.csv', '--model', 'external', '--time-column', 'when', '--prediction-column', 'score']);
    assert.equal(noColumn.status, 2);
    assert.match(noColumn.stderr, /served\.csv: has no time column "when" \(columns: request, served_at/);
    fs.writeFileSync(path.join(ws, 'bad-time.csv'), 'served_at,score\n2025-01-01T00:00:00Z,0.5\nyesterday,0.4\n');
    const badTime = cli(['bad-time.csv', '--model', 'external', '--time-column', 'served_at', '--prediction-column', 'score']);
    assert.equal(badTime.status, 2);
    assert.match(badTime.stderr, /bad-time\.csv: row 2: served_at "yesterday" is not a date or time/);
    assert.equal(logRecords(ws, 'external').length, before);
    const ok = cli(['served.csv', '--model', 'external', '--time-column', 'served_at', '--prediction-column', 'score', '--json']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).added, 0);
  });
});
