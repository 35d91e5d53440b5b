/**
 * A prodml.yaml model with `source: {onnx: file}`: `prodml train` imports the file when it changed
 * since the newest version, and registers nothing when it did not.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parseProjectConfig } from '../../src/core/project/config';
import { openRegistry } from '../../src/core/registry';
import { trainFromConfig } from '../../src/core/train/run';
import { tempDir } from '../helpers/fixtures';
import { onnxFixtures } from '../helpers/onnxFixtures';

const CLI = path.join(__dirname, '../../dist/cli.js');
const fx = onnxFixtures();
const ws = tempDir('prodml-onnx-declared-');
fs.copyFileSync(fx.data, path.join(ws, 'data.csv'));
fs.mkdirSync(path.join(ws, 'models'));
const YAML = `datasets:
  customers:
    path: data.csv
    label: y
models:
  risk:
    source: {onnx: models/risk.onnx}
    dataset: customers
    task: binary
    features: [f1, f2, f3, f4]
`;
fs.writeFileSync(path.join(ws, 'prodml.yaml'), YAML);

describe('models declared with source: {onnx}', () => {
  test('train imports the file when it changed, and registers nothing when it did not', async () => {
    fs.copyFileSync(fx.file('torch_mlp.onnx'), path.join(ws, 'models/risk.onnx'));
    const first = await trainFromConfig(ws, 'risk');
    assert.deepEqual([first.version, first.backend, first.imported?.registered, first.blessed], [1, 'onnxruntime', true, true]);
    const registry = await openRegistry(ws);
    const v1 = await registry.getVersion('risk', 1);
    assert.equal(v1.card.runtime, 'onnx');
    assert.deepEqual(v1.card.onnx!.binding.inputs[0]!.columns, ['f1', 'f2', 'f3', 'f4']);
    assert.equal(v1.card.label, 'y');
    const again = await trainFromConfig(ws, 'risk');
    assert.deepEqual([again.version, again.imported?.registered], [1, false]);
    assert.ok(Math.abs(again.metrics['auc']! - first.metrics['auc']!) < 1e-12);
    assert.equal((await registry.listVersions('risk')).length, 1);
    fs.copyFileSync(fx.file('xgb_classifier.onnx'), path.join(ws, 'models/risk.onnx'));
    const cli = spawnSync(process.execPath, [CLI, 'train', 'risk', '--json'], { cwd: ws, encoding: 'utf8', timeout: 120_000 });
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal(JSON.parse(cli.stdout).version, 2);
    assert.equal((await registry.getVersion('risk', 2)).card.onnx!.producer_name, 'xgboost');
  });

  test('the pipeline imports a changed file, registers and promotes it, and skips an unchanged one', () => {
    const dir = tempDir('prodml-onnx-pipeline-');
    fs.copyFileSync(fx.data, path.join(dir, 'data.csv'));
    fs.mkdirSync(path.join(dir, 'models'));
    fs.writeFileSync(path.join(dir, 'prodml.yaml'), `${YAML}pipeline:\n  model: risk\n  steps: {ingest: false}\n`);
    const run = () => {
      const r = spawnSync(process.execPath, [CLI, 'run', '--json'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 0, r.stderr);
      const record = JSON.parse(r.stdout) as { steps: { name: string; status: string; outputs: Record<string, unknown> }[] };
      return Object.fromEntries(record.steps.map((s) => [s.name, s]));
    };
    fs.copyFileSync(fx.file('torch_mlp.onnx'), path.join(dir, 'models/risk.onnx'));
    const first = run();
    assert.deepEqual([first['register']!.outputs['version'], first['promote']!.status], [1, 'ok']);
    assert.equal(first['train']!.outputs['backend'], 'onnxruntime');
    const same = run();
    assert.deepEqual(['train', 'register', 'promote'].map((s) => same[s]!.status), ['skipped', 'skipped', 'skipped']);
    fs.copyFileSync(fx.file('xgb_classifier.onnx'), path.join(dir, 'models/risk.onnx'));
    const changed = run();
    assert.deepEqual([changed['register']!.outputs['version'], changed['promote']!.outputs['version'], changed['promote']!.outputs['from']], [2, 2, 1]);
  });

  test('bad declarations name the key', async () => {
    assert.throws(() => parseProjectConfig(YAML.replace('    source: {onnx: models/risk.onnx}\n', ''), ws), /models\.risk\.features: a list of columns is for a model with source: \{onnx: <file>\}/);
    assert.throws(() => parseProjectConfig(YAML.replace('models/risk.onnx', 'models/risk.pt'), ws), /line 7: .*source\.onnx/);
    fs.writeFileSync(path.join(ws, 'prodml.yaml'), YAML.replace('models/risk.onnx', 'models/gone.onnx'));
    await assert.rejects(trainFromConfig(ws, 'risk'), /models\.risk\.source\.onnx: models\/gone\.onnx does not exist/);
    fs.writeFileSync(path.join(ws, 'prodml.yaml'), YAML);
  });
});
