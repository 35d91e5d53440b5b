import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { writeDemoWorkspace } from '../../src/core/demo/workspace';
import { governingSchema, loadProjectConfig, parseProjectConfig } from '../../src/core/pipeline/config';
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
  assert.throws(() => parseProjectConfig('datasets:\n  x:\n    path: 3\n', '/w'), /\/w\/prodml\.yaml: datasets\.x\.path must be a glob/);
  assert.throws(() => parseProjectConfig('datasets: [\n', '/w'), /\/w\/prodml\.yaml: invalid YAML/);
});
