/**
 * Round trip: an exported ONNX file imported back with `prodml models import` scores as the
 * version it came from (1e-5) on the held-out rows, for binary, multiclass and regression.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckSession } from '../../src/core/data/duckdb';
import { openRegistry } from '../../src/core/registry';
import { loadScorer } from '../../src/core/serve/scorer';
import { EXPORT_MODELS, exportWorkspace } from '../helpers/exportFixtures';

const CLI = path.join(__dirname, '../../dist/cli.js');
const LABELS = { binary: 'churned', multiclass: 'segment', regression: 'spend' } as const;
const NUMBERS = ['age', 'income', 'visits', 'tenure'];

let ws: string;
let heldOut: Record<string, unknown>[];
const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: ws, encoding: 'utf8', timeout: 180_000 });

before(async () => {
  ws = await exportWorkspace();
  const session = await DuckSession.open({ allowedDirectories: [ws] });
  heldOut = await session.rows(`SELECT * FROM read_csv('${path.join(ws, 'data/heldout.csv')}')`);
  session.close();
});

/** Predictions of the original and of the imported version, row-major. */
async function both(task: keyof typeof EXPORT_MODELS, rows: Record<string, unknown>[]): Promise<{ original: Float32Array; imported: Float32Array; k: number }> {
  const model = EXPORT_MODELS[task];
  const registry = await openRegistry(ws);
  const original = await loadScorer(await registry.getVersion(model, 1));
  const imported = await loadScorer(await registry.getVersion(`${model}_rt`, 1));
  try {
    assert.equal(imported.task, task);
    assert.deepEqual(imported.classes, original.classes);
    return { original: original.score(rows), imported: imported.score(rows), k: original.outputsPerRow };
  } finally {
    original.dispose();
    imported.dispose();
  }
}

describe('export, then prodml models import', () => {
  for (const task of Object.keys(EXPORT_MODELS) as (keyof typeof EXPORT_MODELS)[]) {
    test(`${task}: the imported version scores every held-out row with all its numbers as the original does`, async () => {
      const model = EXPORT_MODELS[task];
      const e = run(['export', `${model}:1`, '--format', 'onnx', '--out', `rt/${model}.onnx`]);
      assert.equal(e.status, 0, e.stderr);
      const i = run(['models', 'import', `rt/${model}.onnx`, '--model', `${model}_rt`, '--label', LABELS[task], '--dataset', 'data/heldout.csv', '--task', task, '--json']);
      assert.ok(i.status === 0 || i.status === 1, i.stderr);
      assert.equal(JSON.parse(i.stdout).version, 1);
      // Unseen and missing categories, and non-positive values under log, included.
      const rows = heldOut.filter((r) => NUMBERS.every((c) => r[c] !== null));
      assert.equal(rows.length, heldOut.length - 20);
      const { original, imported, k } = await both(task, rows);
      assert.equal(imported.length, rows.length * k);
      const off = Array.from(original).map((v, j) => Math.abs(v - imported[j]!)).filter((d) => !(d <= 1e-5));
      assert.equal(off.length, 0, `${off.length} of ${original.length} outputs differ by more than 1e-5 (largest ${Math.max(...off)})`);
    });
  }

  test('rows with a missing number score the same too: the graph imputes its own training mean', async () => {
    const rows = heldOut.filter((r) => NUMBERS.some((c) => r[c] === null));
    assert.equal(rows.length, 20);
    const { original, imported } = await both('binary', rows);
    Array.from(original).forEach((v, j) => assert.ok(Math.abs(v - imported[j]!) <= 1e-5, `row ${j}: original ${v} vs imported ${imported[j]}`));
  });
});
