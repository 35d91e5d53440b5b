import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { writeDemoWorkspace } from '../../src/core/demo/workspace';
import { governingSchema, loadProjectConfig, parseProjectConfig } from '../../src/core/project/config';
import { tempDir } from '../helpers/fixtures';

test('the demo prodml.yaml maps each data folder to its schema, environment and baseline', async () => {
  const ws = path.join(tempDir('prodml-config-'), 'demo');
  await writeDemoWorkspace(ws, { rowsPerMonth: 20 });
  const cfg = await loadProjectConfig(ws);
  assert.deepEqual(cfg?.datasets.map((d) => d.name), ['natality', 'incoming', 'serving']);

  const train = await governingSchema(path.join(ws, 'data/train/natality-2024-05.csv'), ws);
  assert.equal(train?.schemaFile, path.join(ws, 'schemas/natality.schema.yaml'));
  assert.equal(train?.environment, undefined);
  const serving = await governingSchema(path.join(ws, 'data/serving/natality-2025-01.csv'), ws);
  assert.equal(serving?.environment, 'SERVING');
  assert.equal(serving?.baseline, path.join(ws, 'data/train/*.csv'));
  const incoming = await governingSchema(path.join(ws, 'data/incoming/new-category.csv'), ws);
  assert.equal(incoming?.dataset?.name, 'incoming');
  assert.equal(await governingSchema(path.join(ws, 'elsewhere/x.csv'), ws), undefined);

  // A schema beside the file wins over prodml.yaml.
  const beside = path.join(ws, 'data/incoming/new-category.schema.yaml');
  fs.writeFileSync(beside, 'features: {}\n');
  assert.equal((await governingSchema(path.join(ws, 'data/incoming/new-category.csv'), ws))?.schemaFile, beside);
});

test('a malformed prodml.yaml names the file and the field', () => {
  assert.throws(() => parseProjectConfig('datasets:\n  x:\n    path: 3\n', '/w'), /\/w\/prodml\.yaml: line 3: datasets\.x\.path: must be a string \(got 3\)/);
  assert.throws(() => parseProjectConfig('datasets: [\n', '/w'), /\/w\/prodml\.yaml: line \d+: /);
  assert.throws(
    () => parseProjectConfig('datasets:\n  d:\n    path: x.csv\nmodels:\n  m:\n    dataset: nope\n    task: regression\n    features: {a: standardize}\n', '/w'),
    /models\.m\.dataset: no dataset named "nope"/,
  );
});

test('a model entry gets its defaults and its transforms normalised', () => {
  const cfg = parseProjectConfig(
    [
      'datasets:',
      '  d: {path: x.csv, label: y, time_column: t}',
      'models:',
      '  m:',
      '    dataset: d',
      '    task: regression',
      '    features:',
      '      a: standardize',
      '      b: {transform: vocabulary, max_values: 5}',
      '    split: {kind: time}',
      '    weighting: {half_life_days: 30}',
      '',
    ].join('\n'),
    '/w',
  );
  const m = cfg.models[0]!;
  assert.equal(m.label, 'y');
  assert.deepEqual(m.features, [
    { name: 'a', transform: { kind: 'standardize' } },
    { name: 'b', transform: { kind: 'vocabulary', max_values: 5 } },
  ]);
  assert.deepEqual(m.split, { kind: 'time', column: 't' });
  assert.deepEqual(m.weighting, { half_life_days: 30, column: 't' });
  assert.deepEqual(m.model, { type: 'linear' });
});
