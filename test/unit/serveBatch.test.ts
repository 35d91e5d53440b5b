/**
 * Online and batch serving give the same prediction for the same row: both go through the
 * Scorer (saved transforms + one forward pass), and evaluation does too.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DuckSession } from '../../src/core/data/duckdb';
import { openSource } from '../../src/core/data/source';
import { evaluateVersion } from '../../src/core/evaluate/evaluateVersion';
import { openRegistry } from '../../src/core/registry';
import { predictBatch } from '../../src/core/serve/batchPredict';
import { startServer, type RunningServer } from '../../src/core/serve/server';
import { MODEL, predict, servingWorkspace, streamRows } from '../helpers/serveFixtures';

let ws: string;
let server: RunningServer;
let session: DuckSession;

before(async () => {
  ws = await servingWorkspace({ versions: 1, promote: 1 });
  server = await startServer({ root: ws, port: 0, logFlushMs: 1 });
  session = await DuckSession.open({ allowedDirectories: [ws] });
});
after(async () => {
  await server?.close();
  session?.close();
});

test('a row gets the same prediction from :predict and from prodml predict, bit for bit', async () => {
  const rows = streamRows(ws, '2025-04');
  const online: number[] = [];
  for (let i = 0; i < rows.length; i += 50) {
    const r = await predict(server.url, rows.slice(i, i + 50));
    assert.equal(r.status, 200);
    online.push(...(r.body.predictions as number[]));
  }
  const version = await (await openRegistry(ws)).getVersion(MODEL, '@production');
  const out = path.join(ws, 'out/april.parquet');
  await predictBatch(session, version, await openSource('data/stream/natality-2025-04.csv', ws), out, { chunkRows: 97 });
  const batch = await session.rows(`SELECT birth_id, prediction FROM '${out}'`);
  assert.equal(batch.length, rows.length);
  assert.deepEqual(batch.map((b) => b['birth_id']), rows.map((r) => r['birth_id']));
  // JSON carries the float32 exactly; fround makes both sides the same float32.
  const differ = batch.filter((b, i) => Math.fround(b['prediction'] as number) !== Math.fround(online[i]!));
  assert.equal(differ.length, 0, `${differ.length} rows differ, e.g. ${JSON.stringify(differ[0])}`);

  // Evaluation scores through the same path: its RMSE is that of these very predictions (labels held as float32, as evaluation holds them).
  const labels = await session.rows(`SELECT weight_pounds FROM read_csv('${path.join(ws, 'data/stream/natality-2025-04.csv')}')`);
  const rmse = Math.sqrt(labels.reduce((a: number, l, i) => a + (Math.fround(l['weight_pounds'] as number) - Math.fround(online[i]!)) ** 2, 0) / labels.length);
  const report = await evaluateVersion(session, version, await openSource('data/stream/natality-2025-04.csv', ws));
  const evaluated = report.comparison.find((c) => c.metric === 'rmse')!.model;
  assert.ok(Math.abs(evaluated - rmse) < 1e-9 * rmse, `evaluate ${evaluated} vs online ${rmse}`);
});
