import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { openRegistry } from '../../src/core/registry';
import { tempDir } from '../helpers/fixtures';
import { fakeVersion } from '../helpers/registryFixtures';

// The built CLI, as users run it. Rebuilt when the registry sources are newer than the bundle.
const ROOT = path.join(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli.js');
const workspace = tempDir('prodml-registry-cli-');

function prodml(args: string[], cwd = workspace) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(args: string[]) {
  const r = prodml([...args, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  return JSON.parse(r.stdout);
}

function fails(args: string[], message: RegExp) {
  const r = prodml(args);
  assert.equal(r.code, 2, `exit 2 for ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, message);
  assert.equal(r.stdout, '');
}

const days = (iso: string) => ({ datasets: [{ path: 'data/events.csv', content_hash: 'sha256:e1', rows: 5000 }], rows: 4000, time_column: 'ts', time_range: { min: '2024-01-01T00:00:00Z', max: iso } });

before(async () => {
  // Like the other CLI tests, this runs the bundle `npm test` builds first.
  assert.ok(fs.existsSync(CLI), `${CLI} is built (npm run build)`);
  const r = await openRegistry(workspace);
  const ends = ['2024-03-31T00:00:00Z', '2024-04-30T00:00:00Z', '2024-05-31T00:00:00Z'];
  for (const [i, end] of ends.entries()) {
    const v = fakeVersion(Buffer.alloc(256, i), { metrics: { auc: [0.8, 0.81, 0.82][i]!, logloss: 0.4 }, blessed: i !== 1, training_data: days(end) });
    await r.saveVersion('churn', v.files, v.card);
  }
  const p = fakeVersion(Buffer.alloc(8), { metrics: { rmse: 12.5 }, key_metric: 'rmse' });
  await r.saveVersion('price', p.files, p.card);
});

describe('prodml models', () => {
  test('list --json: every model with versions[] (version, aliases, metrics, created_at)', () => {
    const doc = json(['models', 'list']);
    assert.deepEqual(doc.models.map((m: { model: string }) => m.model), ['churn', 'price']);
    const v = doc.models[0].versions[0];
    for (const key of ['version', 'aliases', 'metrics', 'created_at', 'blessed']) assert.ok(key in v, `has ${key}`);
    assert.deepEqual(doc.models[0].versions.map((x: { version: number }) => x.version), [3, 2, 1]);
  });

  test('promote, list, show, rollback and gc, as text and JSON', () => {
    let r = prodml(['models', 'promote', 'churn:1']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'churn: production (unset) → 1\n');
    assert.equal(prodml(['models', 'promote', 'churn:3', '--reason', 'better auc']).stdout, 'churn: production 1 → 3 (better auc)\n');
    assert.deepEqual(json(['models', 'promote', 'churn:2', '--alias', 'candidate']), { model: 'churn', alias: 'candidate', from: null, to: 2, changed: true, reason: '' });
    assert.equal(prodml(['models', 'promote', 'churn:3']).stdout, 'churn: production is already version 3; nothing changed\n');

    const list = json(['models', 'list', 'churn']);
    assert.equal(list.model, 'churn');
    assert.deepEqual(list.aliases, { candidate: 2, production: 3 });
    assert.deepEqual(
      list.versions.map((v: { version: number; aliases: string[]; metrics: { auc: number } }) => [v.version, v.aliases, v.metrics.auc]),
      [
        [3, ['production'], 0.82],
        [2, ['candidate'], 0.81],
        [1, [], 0.8],
      ],
    );
    r = prodml(['models', 'list', 'churn']);
    assert.equal(r.code, 0);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], 'churn: 3 versions; candidate → 2, production → 3');
    assert.match(lines[2]!, /^\s+VERSION\s+ALIASES\s+AUC\s+BLESSED\s+AGE\s+DATA UNTIL\s+USER$/);
    assert.match(lines[3]!, /^\s+3\s+production\s+0\.82\s+yes\s+\d+ s\s+2024-05-31\s+\S+$/);
    assert.match(lines[4]!, /^\s+2\s+candidate\s+0\.81\s+no\s/);
    assert.match(prodml(['models', 'list']).stdout, /MODEL\s+VERSIONS\s+LATEST\s+PRODUCTION\s+OTHER ALIASES\n\s+churn\s+3\s+3\s+3\s+candidate → 2\n\s+price\s+1\s+1\s+-\n/);

    const shown = json(['models', 'show', 'churn@production']);
    assert.equal(shown.version, 3);
    assert.equal(shown.card.training_data.time_range.max, '2024-05-31T00:00:00Z');
    assert.ok(fs.existsSync(shown.files['weights.bin']));
    r = prodml(['models', 'show', 'churn:2']);
    assert.match(r.stdout, /^churn:2 {2}\(candidate\)\n/);
    assert.match(r.stdout, /metrics {3}auc 0\.81 \(key\), logloss 0\.4/);
    assert.match(r.stdout, /data {6}4,000 training rows, ts 2024-01-01T00:00:00Z \.\. 2024-04-30T00:00:00Z/);

    assert.match(prodml(['models', 'rollback', 'churn']).stdout, /^churn: production 3 → 1 \(rollback from version 3 to the previous production version 1\)\n$/);
    const before = json(['models', 'rollback', 'churn', '--before', '2024-05-01']);
    assert.deepEqual([before.from, before.to], [1, 2]);
    assert.deepEqual(json(['models', 'rollback', 'churn', '--to', '3', '--reason', 'fixed']), { model: 'churn', alias: 'production', from: 2, to: 3, changed: true, reason: 'fixed' });

    const dry = json(['models', 'gc', 'churn', '--keep', '1', '--dry-run']);
    assert.deepEqual([dry.deleted, dry.dry_run], [[1], true]);
    r = prodml(['models', 'gc', 'churn', '--keep', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'churn: deleted 1 version: 1\nkept:\n  3: one of the 1 newest; alias production\n  2: alias candidate\n');
    assert.deepEqual(json(['models', 'list', 'churn']).versions.map((v: { version: number }) => v.version), [3, 2]);

    assert.equal(prodml(['models', 'promote', 'churn@candidate']).stdout, 'churn: production 3 → 2\n', 'promotes what candidate points at');
  });

  test('--workspace from another folder; found upward like git; an empty registry is not an error, no workspace is', () => {
    const elsewhere = tempDir();
    const r = prodml(['models', 'show', 'price:latest', '--workspace', workspace], elsewhere);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^price:1\n/);
    // From a folder inside the workspace, without --workspace: the nearest folder upward holding .prodml/.
    fs.mkdirSync(path.join(workspace, 'notebooks', 'deep'), { recursive: true });
    const inside = prodml(['models', 'show', 'price:latest'], path.join(workspace, 'notebooks', 'deep'));
    assert.equal(inside.code, 0, inside.stderr);
    assert.match(inside.stdout, /^price:1\n/);
    // No workspace anywhere upward: exit 2, saying where it looked.
    const none = prodml(['models', 'list'], elsewhere);
    assert.equal(none.code, 2);
    assert.equal(none.stdout, '');
    assert.match(none.stderr, /^prodml: no ProdML workspace here: no prodml\.yaml \(or \.prodml\/\) in .*prodml-.*; run inside one, pass --workspace <dir>/);
    // A workspace whose registry is still empty lists nothing, successfully.
    fs.mkdirSync(path.join(elsewhere, '.prodml'));
    const empty = prodml(['models', 'list'], elsewhere);
    assert.equal(empty.code, 0, empty.stderr);
    assert.match(empty.stdout, /^No models in .*\.prodml\/registry yet\.\n$/);
    assert.deepEqual(JSON.parse(prodml(['models', 'list', '--json'], elsewhere).stdout), { models: [] });
  });

  test('bad input: exit 2 and a one-line message naming the model, version or alias', () => {
    fails(['models', 'list', 'nope'], /^prodml: no model 'nope' in .* \(models: churn, price\)\n$/);
    fails(['models', 'show', 'churn:9'], /^prodml: model 'churn': version 9 does not exist \(versions: 2-3\)\n$/);
    fails(['models', 'show', 'churn@staging'], /^prodml: model 'churn' has no alias 'staging' \(aliases: candidate → 2, production → 2\)\n$/);
    fails(['models', 'show', 'churn'], /'churn' names no version: write churn:<version>, churn:latest or churn@<alias>/);
    fails(['models', 'promote', 'churn:1'], /model 'churn' has no version 1; cannot make it production \(versions: 2-3\)/);
    fails(['models', 'rollback', 'price'], /model 'price' has no production version to roll back/);
    fails(['models', 'rollback', 'churn', '--before', '2024-01-01'], /no version trained only on data before 2024-01-01T00:00:00.000Z/);
    fails(['models', 'rollback', 'churn', '--to', '2', '--before', '2024-05-01'], /give --to or --before, not both/);
    fails(['models', 'rollback', 'churn', '--before', 'yesterday'], /Give an ISO 8601 date or time/);
    fails(['models', 'gc', 'churn', '--keep', '0'], /Give a whole number, 1 or more/);
    fails(['models', 'show', 'churn:1', '--workspace', path.join(workspace, 'missing')], /missing: is not a folder/);
    fails(['models', 'frobnicate'], /unknown command 'frobnicate'/);
  });
});
