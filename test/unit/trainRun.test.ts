/** A whole training run from prodml.yaml, through the core function and the built CLI. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { prepareDemoWorkspace } from '../../src/core/demo/prepare';
import { openRegistry } from '../../src/core/registry';
import { trainFromConfig } from '../../src/core/train/run';
import { tempDir } from '../helpers/fixtures';

const CLI = path.join(__dirname, '../../dist/cli.js');
const ws = path.join(tempDir('prodml-trainrun-'), 'demo');

before(async () => {
  await prepareDemoWorkspace(ws, { rowsPerMonth: 300 });
});

describe('trainFromConfig on the demo', () => {
  test('trains, beats the baseline, evaluates slices and registers a version with its lineage', async () => {
    const phases: string[] = [];
    const o = await trainFromConfig(ws, 'baby_weight', { onProgress: (p) => phases.push(p.phase) });
    assert.equal(o.version, 1);
    assert.ok(o.metrics['rmse']! < 0.8 * o.evaluation.baseline.metrics['rmse' as keyof typeof o.evaluation.baseline.metrics]!, JSON.stringify(o.evaluation.comparison));
    assert.deepEqual([...new Set(phases)], ['loading', 'fitting', 'training', 'evaluating', 'registering']);
    assert.deepEqual(o.evaluation.slices.map((s) => s.column), ['plurality', 'cigarette_use']);
    assert.ok(o.blessed);

    const v = await (await openRegistry(ws)).getVersion('baby_weight', '1');
    assert.equal(v.card.backend, o.backend);
    assert.equal(v.card.training_data.datasets.length, 12);
    assert.match(v.card.training_data.datasets[0]!.content_hash, /^sha256:[0-9a-f]{64}$/);
    // A time split: the training data ends before the evaluation months.
    assert.ok(v.card.training_data.time_range!.max < '2024-11-01', v.card.training_data.time_range!.max);
    const transform = JSON.parse(fs.readFileSync(v.files['transform.json'], 'utf8'));
    assert.equal(transform.fittedOn, o.rows.train);
    assert.match(fs.readFileSync(v.files['schema.yaml'], 'utf8'), /^features:/m);
  });

  test('the CLI exits 1 for a version that is not blessed, and still registers it', () => {
    const yaml = path.join(ws, 'prodml.yaml');
    fs.writeFileSync(yaml, fs.readFileSync(yaml, 'utf8').replace('thresholds: {rmse: {max: 1.3}}', 'thresholds: {rmse: {max: 0.1}}'));
    const r = spawnSync(process.execPath, [CLI, 'train', '--json'], { cwd: ws, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 1, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.model, 'baby_weight');
    assert.equal(doc.version, 2);
    assert.equal(doc.blessed, false);
    assert.ok(doc.metrics.rmse > 0.1);
    const list = spawnSync(process.execPath, [CLI, 'models', 'list', 'baby_weight', '--json'], { cwd: ws, encoding: 'utf8' });
    assert.equal(list.status, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout).versions.map((v: { version: number }) => v.version).sort(), [1, 2]);
  });

  test('prodml evaluate scores a registered version on new data with its saved transforms', () => {
    const r = spawnSync(process.execPath, [CLI, 'evaluate', 'baby_weight:1', '--data', 'data/incoming/natality-2025-02.csv', '--slice', 'plurality', '--json'], { cwd: ws, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.version, 1);
    assert.equal(doc.rows, 300);
    assert.ok(doc.metrics.rmse < doc.baseline.rmse, `${doc.metrics.rmse} vs baseline ${doc.baseline.rmse}`);
    assert.deepEqual(doc.slices[0].slices.map((s: { value: string }) => s.value).sort(), ['1', '2', '3'].slice(0, doc.slices[0].slices.length));
    // A polluted label (grams, zeros) shows as a far worse RMSE than on clean data.
    const bad = spawnSync(process.execPath, [CLI, 'evaluate', 'baby_weight:1', '--data', 'data/incoming/polluted-label.csv', '--json'], { cwd: ws, encoding: 'utf8', timeout: 120_000 });
    assert.ok(JSON.parse(bad.stdout).metrics.rmse > 100 * doc.metrics.rmse);
    // A batch without one of the model's inputs is refused, not silently imputed.
    const missing = spawnSync(process.execPath, [CLI, 'evaluate', 'baby_weight:1', '--data', 'data/incoming/missing-column.csv'], { cwd: ws, encoding: 'utf8', timeout: 120_000 });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /missing-column\.csv: has no column "gestation_weeks", which baby_weight:1 takes as input/);
  });

  test('a model that does not exist is a clear error (exit 2)', () => {
    const r = spawnSync(process.execPath, [CLI, 'train', 'nope'], { cwd: ws, encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /prodml\.yaml: has no model "nope" \(models: baby_weight\)/);
  });
});
