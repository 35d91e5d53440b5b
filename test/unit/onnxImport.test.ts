/**
 * ONNX models made by PyTorch, scikit-learn and XGBoost (test/reference/onnx_fixtures.py) imported
 * into the registry: ProdML's predictions equal the producer's own within 1e-5, its metrics on
 * them equal sklearn.metrics within 1e-9, the card holds the file's lineage, and every bad file
 * exits 2 naming the file and the problem with nothing registered.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckSession, type Row } from '../../src/core/data/duckdb';
import { importOnnx } from '../../src/core/onnx/importOnnx';
import { openRegistry } from '../../src/core/registry';
import { loadScorer } from '../../src/core/serve/scorer';
import { tempDir } from '../helpers/fixtures';
import { onnxFixtures } from '../helpers/onnxFixtures';

const CLI = path.join(__dirname, '../../dist/cli.js');
const REFERENCE = path.join(__dirname, '../reference/metrics_reference.py');
const FEATURES = ['f1', 'f2', 'f3', 'f4'];
const fx = onnxFixtures();
const ws = tempDir('prodml-onnx-import-');
fs.copyFileSync(fx.data, path.join(ws, 'data.csv'));
let rows: Row[];

before(async () => {
  const duck = await DuckSession.open({ allowedDirectories: [ws] });
  rows = await duck.rows(`SELECT * FROM read_csv('${path.join(ws, 'data.csv')}', header = true)`);
  duck.close();
});

/** sklearn.metrics on the same scores (metrics_reference.py). */
function sklearnMetrics(c: Record<string, unknown>): Record<string, unknown> {
  const file = path.join(ws, `case-${crypto.randomBytes(4).toString('hex')}.json`);
  fs.writeFileSync(file, JSON.stringify([{ id: 'x', w: null, ...c }]));
  const r = spawnSync('/usr/bin/python3', [REFERENCE, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout)[0];
}

const CASES = [
  { fixture: 'torch_mlp', producer: 'pytorch', model: 'churn', features: FEATURES, label: 'y', task: 'binary', output: 'single' },
  { fixture: 'sklearn_logreg', producer: 'scikit-learn', model: 'churn', features: FEATURES, label: 'y', task: 'binary', output: 'probabilities' },
  { fixture: 'sklearn_logreg_zipmap', producer: 'scikit-learn', model: 'churn', features: FEATURES, label: 'y', task: 'binary', output: 'zipmap', reference: 'sklearn_logreg' },
  { fixture: 'xgb_classifier', producer: 'xgboost', model: 'churn', features: FEATURES, label: 'y', task: 'binary', output: 'probabilities' },
  { fixture: 'sklearn_multiclass', producer: 'scikit-learn', model: 'segment', label: 'segment', task: 'multiclass', output: 'probabilities' },
  { fixture: 'xgb_regressor', producer: 'xgboost', model: 'amount', features: FEATURES, label: 'amount', task: 'regression', output: 'single' },
] as const;

describe('import: predictions and metrics equal the producers\'', () => {
  for (const c of CASES) {
    test(`${c.fixture} (${c.producer}, ${c.output} output, ${c.task})`, async () => {
      const file = fx.file(`${c.fixture}.onnx`);
      const r = await importOnnx(ws, { file, model: c.model, label: c.label, dataset: 'data.csv', ...('features' in c ? { features: [...c.features] } : {}) });
      assert.equal(r.task, c.task, 'the task follows from the outputs and the label');
      assert.equal(r.onnx.binding.output.kind, c.output);
      assert.equal(r.blessed, true, JSON.stringify(r.checks));
      const v = await (await openRegistry(ws)).getVersion(c.model, r.version);
      // The lineage card.
      assert.equal(v.card.runtime, 'onnx');
      assert.equal(v.card.onnx!.file_hash, `sha256:${crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')}`);
      assert.equal(v.card.onnx!.producer_name, c.producer);
      assert.ok(v.card.onnx!.producer_version.length > 0);
      assert.ok(Object.values(v.card.onnx!.opset).every((n) => n >= 1) && (v.card.onnx!.opset[''] ?? 0) >= 13, JSON.stringify(v.card.onnx!.opset));
      assert.deepEqual(v.card.onnx!.checked_on, { dataset: 'data.csv', rows: 400 });
      assert.ok(v.card.onnx!.inputs.length >= 1 && v.card.onnx!.outputs.length >= 1);
      assert.deepEqual(fs.readFileSync(v.files['model.onnx']), fs.readFileSync(file), 'the file is kept as given');
      assert.equal(v.card.safeness?.passed, true);

      // Scored through the registry's Scorer, as serving, batch and evaluation do.
      const scorer = await loadScorer(v);
      assert.equal(scorer.engine, 'onnxruntime');
      const out = scorer.score(rows);
      scorer.dispose();
      const theirs = fx.predictions[('reference' in c ? c.reference : c.fixture) as string]!;
      const k = scorer.outputsPerRow;
      let worst = 0;
      for (let i = 0; i < rows.length; i++) {
        for (let j = 0; j < k; j++) worst = Math.max(worst, Math.abs(out[i * k + j]! - (k === 1 ? (theirs[i] as number) : (theirs[i] as number[])[j]!)));
      }
      assert.ok(worst <= 1e-5, `largest difference from the producer: ${worst}`);
      if (c.task === 'multiclass') assert.deepEqual(scorer.classes, fx.predictions.sklearn_multiclass_classes);

      // Metrics: ProdML's on these scores vs sklearn.metrics on the same scores.
      const y = rows.map((row) => row[c.label]);
      const ref =
        c.task === 'binary'
          ? sklearnMetrics({ kind: 'binary', y, score: Array.from(out), threshold: 0.5 })
          : c.task === 'regression'
            ? // ProdML holds labels as float32, as it holds predictions: the reference gets the same numbers.
              sklearnMetrics({ kind: 'regression', y: y.map((v) => Math.fround(Number(v))), pred: Array.from(out) })
            : sklearnMetrics({ kind: 'multiclass', y: y.map((s) => scorer.classes!.indexOf(String(s))), proba: rows.map((_, i) => Array.from(out.subarray(i * k, (i + 1) * k))) });
      const keys = { binary: ['accuracy', 'log_loss', 'auc', 'pr_auc', 'precision', 'recall', 'f1', 'brier'], regression: ['rmse', 'mae', 'r2', 'mean_residual'], multiclass: ['accuracy', 'log_loss', 'macro_f1'] }[c.task];
      for (const key of keys) {
        assert.ok(key in r.metrics, `metric ${key}`);
        assert.ok(Math.abs(r.metrics[key]! - (ref[key] as number)) <= 1e-9, `${key}: ProdML ${r.metrics[key]} vs sklearn ${ref[key]}`);
      }
    });
  }

  test('a per-column model binds each input to the column of its name; a single matrix takes --features in order', async () => {
    const registry = await openRegistry(ws);
    const perColumn = (await registry.getVersion('segment', 'latest')).card.onnx!.binding;
    assert.equal(perColumn.mode, 'columns');
    assert.deepEqual(perColumn.inputs.map((i) => [i.name, i.columns]), FEATURES.map((f) => [f, [f]]));
    const matrix = (await registry.getVersion('churn', 1)).card.onnx!.binding;
    assert.equal(matrix.mode, 'matrix');
    assert.deepEqual(matrix.inputs, [{ name: 'x', type: 'float32', columns: FEATURES, rank: 2 }]);
    // The same columns in another order feed the graph other numbers: predictions change.
    const r = await importOnnx(ws, { file: fx.file('torch_mlp.onnx'), model: 'shuffled', label: 'y', dataset: 'data.csv', features: ['f2', 'f1', 'f3', 'f4'] });
    const s = await loadScorer(await registry.getVersion('shuffled', r.version));
    const out = s.score(rows);
    s.dispose();
    assert.ok(Math.abs(out[0]! - (fx.predictions['torch_mlp']![0] as number)) > 1e-3);
  });

  test('an edge input that makes the output NaN: not blessed, and the card names the input', async () => {
    const r = await importOnnx(ws, { file: fx.file('torch_unsafe.onnx'), model: 'unsafe', label: 'y', dataset: 'data.csv', features: FEATURES });
    assert.equal(r.blessed, false);
    const f2 = rows.map((row) => Number(row['f2']));
    const min = Math.min(...f2);
    const max = Math.max(...f2);
    const below = Number((min - 10 * (max - min)).toPrecision(6));
    assert.equal(r.safeness.reason, `non-finite output (NaN) for f2 = ${below}`);
    const card = (await (await openRegistry(ws)).getVersion('unsafe', r.version)).card;
    assert.equal(card.blessed, false);
    assert.equal(card.safeness?.failure?.column, 'f2');
    assert.ok(Math.abs((card.safeness?.failure?.value as number) - (min - 10 * (max - min))) < 1e-9);
    assert.ok(r.metrics['auc']! > 0.9, 'it scores the data well: only the edge input fails');
  });
});

describe('import: bad input exits 2 naming the file and the problem; nothing is registered', () => {
  const prodml = (args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, 'models', 'import', ...args, '--workspace', ws, '--dataset', 'data.csv', '--label', 'y'], { cwd: ws, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const registered = () => fs.existsSync(path.join(ws, '.prodml/registry/bad'));
  const BAD: [string, string[], RegExp][] = [
    ['bad_not_onnx.onnx', ['--features', 'f1,f2,f3,f4'], /bad_not_onnx\.onnx: cannot be read as ONNX: it is not an ONNX model/],
    ['bad_truncated.onnx', ['--features', 'f1,f2,f3,f4'], /bad_truncated\.onnx: cannot be read as ONNX: it is truncated or corrupt/],
    ['bad_unsupported_op.onnx', ['--features', 'f1,f2,f3,f4'], /bad_unsupported_op\.onnx: onnxruntime cannot load it: .*FancyScore/],
    ['bad_string_input.onnx', ['--features', 'f1,f2,f3,f4'], /bad_string_input\.onnx: input 'x' is a string tensor \[N,4\]/],
    ['torch_mlp.onnx', ['--features', 'f1,f2,f3'], /torch_mlp\.onnx: input 'x' takes 4 values per row, but the features give 3 \(f1, f2, f3\)/],
    ['torch_mlp.onnx', ['--features', 'f1,f2,f3,nope'], /torch_mlp\.onnx: feature "nope" is not a column of the data/],
    ['torch_mlp.onnx', ['--features', 'f1,f2,f3,region'], /torch_mlp\.onnx: feature "region" holds VARCHAR, but input 'x' takes float32/],
    ['torch_mlp.onnx', [], /torch_mlp\.onnx: input 'x' is one float32 matrix \[N,4\]: give --features/],
    ['sklearn_multiclass.onnx', ['--features', 'f1,f2,f3'], /sklearn_multiclass\.onnx: the feature list does not match the graph's inputs \(f1, f2, f3, f4\): no feature for input f4/],
  ];
  for (const [file, args, message] of BAD) {
    test(`${file} ${args.join(' ')}`, () => {
      const r = prodml([fx.file(file), '--model', 'bad', ...args]);
      assert.equal(r.code, 2, r.stderr + r.stdout);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
      assert.equal(r.stdout, '');
      assert.equal(registered(), false);
    });
  }

  test('--json prints version, blessed, metrics and the checks with their reasons; exit 1 when not blessed', () => {
    const ok = prodml([fx.file('xgb_classifier.onnx'), '--model', 'cli', '--features', 'f1,f2,f3,f4', '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    const doc = JSON.parse(ok.stdout);
    assert.equal(doc.blessed, true);
    assert.equal(typeof doc.version, 'number');
    assert.ok(doc.metrics.auc > 0.9);
    assert.ok(doc.checks.some((c: { name: string; passed: boolean; reason: string }) => c.name === 'safeness' && c.passed && c.reason.length > 0));
    const bad = prodml([fx.file('torch_unsafe.onnx'), '--model', 'cli', '--features', 'f1,f2,f3,f4', '--json']);
    assert.equal(bad.code, 1, bad.stderr);
    assert.equal(JSON.parse(bad.stdout).blessed, false);
  });
});

after(() => undefined);
