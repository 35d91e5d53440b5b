import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AliasEvent, CardInput, Registry, VersionFiles } from '../../src/core/registry';

export const sha256 = (data: Uint8Array | string) => 'sha256:' + createHash('sha256').update(data).digest('hex');

/** Version files whose weights carry their own checksum in the card (params.weights_sha256), so a test can tell a whole version from a torn one. */
export function fakeVersion(weights: Uint8Array, card: Partial<CardInput> = {}): { files: VersionFiles; card: CardInput } {
  const files: VersionFiles = {
    'model.json': JSON.stringify({ format: 'layers-model', modelTopology: {}, weightsManifest: [{ paths: ['weights.bin'], weights: [] }] }),
    'weights.bin': weights,
    'transform.json': JSON.stringify({ features: [{ name: 'x', kind: 'standardize', mean: 0, std: 1 }] }),
    'schema.yaml': 'features:\n  x:\n    type: float\n',
  };
  return { files, card: fakeCard({ ...card, params: { ...card.params, weights_sha256: sha256(weights) } }) };
}

export function fakeCard(over: Partial<CardInput> = {}): CardInput {
  return {
    backend: 'cpu',
    config_hash: 'sha256:c0nf1g',
    task: 'binary',
    label: 'y',
    params: { epochs: 3 },
    metrics: { auc: 0.81, logloss: 0.42 },
    key_metric: 'auc',
    training_data: { datasets: [{ path: 'data/train.csv', content_hash: 'sha256:da7a', rows: 1000 }], rows: 800 },
    ...over,
  };
}

/** The registry's promises as seen from outside, with no lock taken: what a reader may observe at any moment. */
export async function assertRegistryConsistent(registry: Registry, model: string, checked = new Set<number>()): Promise<{ versions: number[]; history: AliasEvent[] }> {
  const dir = registry.modelDir(model);
  const listed = await registry.listVersions(model);
  const versions = listed.map((v) => v.version);
  for (const v of versions) {
    const got = await registry.getVersion(model, v);
    for (const f of Object.values(got.files)) assert.ok(fs.statSync(f).isFile(), `${f} exists`);
    if (checked.has(v)) continue;
    const expected = got.card.params.weights_sha256;
    assert.equal(sha256(fs.readFileSync(got.files['weights.bin'])), expected, `version ${v}: weights.bin is whole`);
    checked.add(v);
  }
  const aliasesFile = path.join(dir, 'aliases.json');
  const aliases = fs.existsSync(aliasesFile) ? (JSON.parse(fs.readFileSync(aliasesFile, 'utf8')) as Record<string, number>) : {};
  for (const [alias, v] of Object.entries(aliases)) assert.ok(versions.includes(v), `alias ${alias} points at listed version ${v} (listed: ${versions})`);
  const history = await registry.history(model);
  for (const [alias] of Object.entries(aliases)) {
    const events = history.filter((e) => e.alias === alias);
    events.forEach((e, i) => assert.equal(e.from, i === 0 ? null : events[i - 1]!.to, `${alias} history is one chain`));
  }
  return { versions, history };
}
