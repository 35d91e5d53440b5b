import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { isProdmlError } from '../../src/core/errors';
import { openRegistry, parseModelRef, type Registry } from '../../src/core/registry';
import { aliasAtTime, servedStack } from '../../src/core/registry/aliases';
import { tempDir } from '../helpers/fixtures';
import { assertRegistryConsistent, fakeCard, fakeVersion } from '../helpers/registryFixtures';

// One temp root (one exit hook) for the many workspaces below.
const root = tempDir('prodml-registry-');
const workspace = () => fs.mkdtempSync(path.join(root, 'ws-'));

async function fresh(): Promise<Registry> {
  return openRegistry(workspace());
}

async function save(r: Registry, model: string, card: Parameters<typeof fakeVersion>[1] = {}, bytes = 64): Promise<number> {
  const v = fakeVersion(Buffer.alloc(bytes, Math.floor(Math.random() * 256)), card);
  return r.saveVersion(model, v.files, v.card);
}

/** A ProdmlError (CLI exit 2) whose message matches. */
async function rejectsWith(p: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isProdmlError(e), `a ProdmlError, got ${String(e)}`);
    assert.match(e.message, message);
    return true;
  });
}

const range = (min: string, max: string) => ({
  datasets: [{ path: 'data/events.csv', content_hash: 'sha256:1', rows: 100 }],
  rows: 100,
  time_column: 'ts',
  time_range: { min, max },
});

describe('registry: save, list, show', () => {
  test('versions are numbered from 1, stored whole, with the card completed', async () => {
    const r = await fresh();
    const src = path.join(workspace(), 'weights.bin');
    fs.writeFileSync(src, Buffer.from([1, 2, 3, 4]));
    const files = { ...fakeVersion(Buffer.alloc(1)).files, 'weights.bin': { path: src } };
    assert.equal(await r.saveVersion('churn', files, fakeCard()), 1);
    assert.equal(await save(r, 'churn'), 2);
    assert.equal(await save(r, 'churn'), 3);

    const v1 = await r.getVersion('churn', 1);
    assert.deepEqual(fs.readFileSync(v1.files['weights.bin']), Buffer.from([1, 2, 3, 4]));
    assert.equal(fs.readFileSync(v1.files['schema.yaml'], 'utf8'), files['schema.yaml']);
    assert.equal(v1.dir, path.join(r.root, 'churn', '1'));
    assert.equal(v1.card.model, 'churn');
    assert.equal(v1.card.version, 1);
    assert.equal(v1.card.blessed, false);
    assert.equal(v1.card.user, os.userInfo().username);
    assert.ok(Math.abs(Date.parse(v1.card.created_at) - Date.now()) < 60_000);
    assert.equal(typeof v1.card.tool_version, 'string');
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(v1.dir, 'card.json'), 'utf8')), v1.card);
    assert.deepEqual(fs.readdirSync(path.join(r.root, 'churn')).filter((n) => !n.startsWith('.')).sort(), ['1', '2', '3']);
  });

  test('listVersions: newest first, with aliases, metrics, created_at and blessed; listModels', async () => {
    const r = await fresh();
    await save(r, 'churn', { metrics: { auc: 0.7 } });
    await save(r, 'churn', { metrics: { auc: 0.8 }, blessed: true, training_data: range('2024-01-01', '2024-02-01T00:00:00Z') });
    await save(r, 'price', { metrics: { rmse: 3.5 }, key_metric: 'rmse' });
    await r.promote('churn', 2);
    await r.promote('churn', 2, 'candidate');
    const list = await r.listVersions('churn');
    assert.deepEqual(
      list.map((v) => [v.version, v.aliases, v.metrics.auc, v.blessed, v.key_metric]),
      [
        [2, ['candidate', 'production'], 0.8, true, 'auc'],
        [1, [], 0.7, false, 'auc'],
      ],
    );
    assert.equal(list[0]!.data_until, '2024-02-01T00:00:00Z');
    assert.ok(!Number.isNaN(Date.parse(list[0]!.created_at)));
    assert.deepEqual(await r.listModels(), [
      { model: 'churn', versions: 2, latest: 2, aliases: { candidate: 2, production: 2 } },
      { model: 'price', versions: 1, latest: 1, aliases: {} },
    ]);
  });

  test('getVersion by number, string, latest and alias', async () => {
    const r = await fresh();
    for (let i = 0; i < 3; i++) await save(r, 'm');
    await r.promote('m', 2);
    assert.equal((await r.getVersion('m', 3)).version, 3);
    assert.equal((await r.getVersion('m', '1')).version, 1);
    assert.equal((await r.getVersion('m', 'latest')).version, 3);
    const prod = await r.getVersion('m', '@production');
    assert.equal(prod.version, 2);
    assert.deepEqual(prod.aliases, ['production']);
  });

  test('errors name the model, the version or alias, and what exists', async () => {
    const r = await fresh();
    await rejectsWith(r.listVersions('churn'), /no model 'churn' in .*\.prodml\/registry \(the registry is empty\)/);
    for (let i = 0; i < 3; i++) await save(r, 'churn');
    await rejectsWith(r.getVersion('chrun', 1), /no model 'chrun' .*models: churn/);
    await rejectsWith(r.getVersion('churn', 7), /model 'churn': version 7 does not exist \(versions: 1-3\)/);
    await rejectsWith(r.getVersion('churn', '@production'), /model 'churn' has no alias 'production' \(no aliases yet; set one with: prodml models promote churn:<version>\)/);
    await rejectsWith(r.getVersion('churn', 'v2'), /'v2' is not a version/);
    await rejectsWith(r.promote('churn', 9), /model 'churn' has no version 9; cannot make it production \(versions: 1-3\)/);
    await rejectsWith(r.promote('churn', 1, 'latest'), /'latest' is not a valid alias/);
    await rejectsWith(r.saveVersion('../evil', fakeVersion(Buffer.alloc(1)).files, fakeCard()), /'..\/evil' is not a valid model name/);
    await rejectsWith(r.deleteVersion('churn', 4), /model 'churn' has no version 4 \(versions: 1-3\)/);
    assert.equal(fs.existsSync(path.join(r.root, 'chrun')), false, 'a typo creates no model directory');
  });

  test('bad cards and missing source files are refused before anything is written', async () => {
    const r = await fresh();
    const ok = fakeVersion(Buffer.alloc(8));
    await rejectsWith(r.saveVersion('m', ok.files, { ...ok.card, metrics: { auc: Number.NaN } }), /metric 'auc' must be a finite number/);
    await rejectsWith(r.saveVersion('m', ok.files, { ...ok.card, training_data: range('2024-05-01', '2024-01-01') }), /time_range starts \(2024-05-01\) after it ends/);
    await rejectsWith(r.saveVersion('m', ok.files, { ...ok.card, key_metric: 'f1' }), /key_metric 'f1' is not one of its metrics/);
    await rejectsWith(r.saveVersion('m', { ...ok.files, 'weights.bin': { path: '/nonexistent/w.bin' } }, ok.card), /\/nonexistent\/w\.bin: not found \(given as weights\.bin of model 'm'\)/);
    const left = fs.existsSync(path.join(r.root, 'm')) ? fs.readdirSync(path.join(r.root, 'm')) : [];
    assert.deepEqual(left.filter((n) => !n.startsWith('.lock')), [], 'no version, no temp dir');
    assert.equal(await save(r, 'm'), 1);
  });
});

describe('registry: aliases, history, rollback', () => {
  test('promote appends one history event per change; a no-op records nothing', async () => {
    const r = await fresh();
    for (let i = 0; i < 3; i++) await save(r, 'm');
    assert.deepEqual(await r.promote('m', 1, 'production', 'first'), { model: 'm', alias: 'production', from: null, to: 1, changed: true, reason: 'first' });
    assert.equal((await r.promote('m', 1)).changed, false);
    await r.promote('m', 3);
    await r.promote('m', 2, 'candidate');
    const h = await r.history('m');
    assert.deepEqual(
      h.map((e) => [e.alias, e.from, e.to, e.reason, e.action]),
      [
        ['production', null, 1, 'first', 'promote'],
        ['production', 1, 3, '', 'promote'],
        ['candidate', null, 2, '', 'promote'],
      ],
    );
    for (const e of h) {
      assert.equal(e.user, os.userInfo().username);
      assert.ok(!Number.isNaN(Date.parse(e.at)));
    }
    const lines = fs.readFileSync(path.join(r.root, 'm', 'alias-history.jsonl'), 'utf8').trim().split('\n');
    assert.equal(lines.length, 3);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(r.root, 'm', 'aliases.json'), 'utf8')), { candidate: 2, production: 3 });
  });

  test('rollback goes back along the production history; a second rollback goes further back', async () => {
    const r = await fresh();
    for (let i = 0; i < 4; i++) await save(r, 'm');
    await rejectsWith(r.rollback('m'), /model 'm' has no production version to roll back/);
    await r.promote('m', 1);
    await rejectsWith(r.rollback('m'), /nothing to roll back to; production has only ever been version 1 \(use --to <version>\)/);
    await r.promote('m', 2);
    await r.promote('m', 3);
    const back = await r.rollback('m');
    assert.deepEqual([back.from, back.to, back.changed], [3, 2, true]);
    assert.match(back.reason, /rollback from version 3 to the previous production version 2/);
    assert.equal((await r.rollback('m')).to, 1, 'not back to 3');
    await rejectsWith(r.rollback('m'), /nothing to roll back to; every other version production has served was rolled back from \(use --to <version>\)/);
    await r.promote('m', 4);
    assert.equal((await r.rollback('m')).to, 1, 'the version 4 replaced');
    assert.equal((await r.rollback('m', { to: 3, reason: 'manual' })).to, 3);
    assert.equal((await r.history('m')).at(-1)!.reason, 'manual');
    await rejectsWith(r.rollback('m', { to: 9 }), /no version 9; cannot roll back production to it/);
    await rejectsWith(r.rollback('m', { to: 1, before: new Date() }), /either to a version or to before a time, not both/);
  });

  test('rollback --before: the newest version trained only on data that ends before the date', async () => {
    const r = await fresh();
    await save(r, 'm', { training_data: range('2024-01-01T00:00:00Z', '2024-03-31T23:00:00Z') }); // 1
    await save(r, 'm', { training_data: range('2024-01-01T00:00:00Z', '2024-04-30T23:00:00Z') }); // 2
    await save(r, 'm', { training_data: range('2024-02-01T00:00:00Z', '2024-05-31T23:00:00Z') }); // 3: saw the polluted May data
    await save(r, 'm'); // 4: no time range, never chosen
    await r.promote('m', 3);
    const c = await r.rollback('m', { before: new Date('2024-05-01T00:00:00Z') });
    assert.deepEqual([c.from, c.to], [3, 2]);
    assert.match(c.reason, /newest version trained only on data before 2024-05-01T00:00:00.000Z \(its data ends 2024-04-30T23:00:00Z\)/);
    assert.equal((await r.rollback('m', { before: new Date('2024-05-01') })).changed, false);
    assert.equal((await r.rollback('m', { before: new Date('2024-04-30T23:00:00Z') })).to, 1, 'ends strictly before');
    await rejectsWith(
      r.rollback('m', { before: new Date('2024-03-01T00:00:00Z') }),
      /model 'm' has no version trained only on data before 2024-03-01T00:00:00.000Z \(training data ends at version 1: 2024-03-31T23:00:00Z, 2: .*\); 1 version has no time range in its card/,
    );
  });

  test('aliasAt answers which version served at a time', async () => {
    const r = await fresh();
    for (let i = 0; i < 3; i++) await save(r, 'm');
    const pause = () => new Promise((res) => setTimeout(res, 15));
    const t0 = new Date();
    await pause();
    await r.promote('m', 1);
    await pause();
    const t1 = new Date();
    await pause();
    await r.promote('m', 3);
    await pause();
    const t2 = new Date();
    await pause();
    await r.rollback('m');
    await pause();
    const t3 = new Date();
    assert.equal(await r.aliasAt('m', 'production', t0), undefined);
    assert.equal(await r.aliasAt('m', 'production', t1), 1);
    assert.equal(await r.aliasAt('m', 'production', t2), 3);
    assert.equal(await r.aliasAt('m', 'production', t3), 1);
    assert.equal(await r.aliasAt('m', 'candidate', t3), undefined);
    const h = await r.history('m');
    assert.equal(await r.aliasAt('m', 'production', new Date(h[1]!.at)), 3, 'an event counts from its own instant');
  });

  test('served stack and aliasAtTime on a hand-written history', () => {
    const ev = (at: string, to: number, action: 'promote' | 'rollback' = 'promote', alias = 'production') => ({ at, user: 'u', alias, from: null, to, reason: '', action });
    const h = [ev('2024-01-01T00:00:00Z', 1), ev('2024-01-02T00:00:00Z', 2), ev('2024-01-02T12:00:00Z', 7, 'promote', 'candidate'), ev('2024-01-03T00:00:00Z', 3), ev('2024-01-04T00:00:00Z', 1, 'rollback'), ev('2024-01-05T00:00:00Z', 4)];
    assert.deepEqual(servedStack(h, 'production'), [1, 4]);
    assert.deepEqual(servedStack(h, 'candidate'), [7]);
    assert.equal(aliasAtTime(h, 'production', new Date('2024-01-03T23:59:59Z')), 3);
    assert.equal(aliasAtTime(h, 'production', new Date('2023-12-31T00:00:00Z')), undefined);
  });

  test('a promotion killed between its history line and aliases.json is completed by the next change', async () => {
    const r = await fresh();
    for (let i = 0; i < 3; i++) await save(r, 'm');
    await r.promote('m', 1);
    const dir = r.modelDir('m');
    fs.appendFileSync(path.join(dir, 'alias-history.jsonl'), JSON.stringify({ at: new Date().toISOString(), user: 'u', alias: 'production', from: 1, to: 2, reason: 'killed', action: 'promote' }) + '\n');
    assert.deepEqual(await r.aliases('m'), { production: 1 }, 'readers see the last completed state');
    await r.promote('m', 3, 'candidate');
    assert.deepEqual(await r.aliases('m'), { candidate: 3, production: 2 });
    await assertRegistryConsistent(r, 'm');
  });

  test('a torn last history line is ignored and cut before the next append', async () => {
    const r = await fresh();
    for (let i = 0; i < 2; i++) await save(r, 'm');
    await r.promote('m', 1);
    const file = path.join(r.modelDir('m'), 'alias-history.jsonl');
    fs.appendFileSync(file, '{"at":"2024-01-0');
    assert.equal((await r.history('m')).length, 1);
    await r.promote('m', 2);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    assert.equal(lines.length, 3);
    assert.deepEqual(lines.slice(0, 2).map((l) => JSON.parse(l).to), [1, 2]);
  });
});

describe('registry: gc and delete', () => {
  test('gc keeps the N newest, aliased versions and the previous production version', async () => {
    const r = await fresh();
    for (let i = 0; i < 7; i++) await save(r, 'm');
    await r.promote('m', 1);
    await r.promote('m', 2);
    await r.promote('m', 6, 'candidate');
    const dry = await r.gc('m', 2, { dryRun: true });
    assert.deepEqual(dry.deleted, [5, 4, 3]);
    assert.equal((await r.listVersions('m')).length, 7, 'a dry run deletes nothing');
    const res = await r.gc('m', 2);
    assert.deepEqual(res.deleted, [5, 4, 3]);
    assert.deepEqual(res.kept, [
      { version: 7, why: 'one of the 2 newest' },
      { version: 6, why: 'one of the 2 newest; alias candidate' },
      { version: 2, why: 'alias production' },
      { version: 1, why: 'previous production version' },
    ]);
    assert.deepEqual((await r.listVersions('m')).map((v) => v.version), [7, 6, 2, 1]);
    assert.equal((await r.rollback('m')).to, 1, 'rollback still works after gc');
    assert.equal(await save(r, 'm'), 8, 'numbers are not reused');
    await rejectsWith(r.gc('m', 0), /keep must be a whole number from 1/);
  });

  test('deleteVersion refuses aliased versions; a deleted newest number is not handed out again', async () => {
    const r = await fresh();
    for (let i = 0; i < 3; i++) await save(r, 'm');
    await r.promote('m', 2);
    await r.promote('m', 2, 'candidate');
    await rejectsWith(r.deleteVersion('m', 2), /model 'm': version 2 is candidate and production; point those aliases at another version before deleting it/);
    await r.deleteVersion('m', 3);
    await rejectsWith(r.getVersion('m', 3), /version 3 does not exist \(versions: 1-2\)/);
    assert.equal(await save(r, 'm'), 4);
  });

  test('left-overs of killed writers are invisible and tidied by the next change', async () => {
    const r = await fresh();
    await save(r, 'm');
    const dir = r.modelDir('m');
    fs.mkdirSync(path.join(dir, '.tmp-2-999999-dead'));
    fs.writeFileSync(path.join(dir, '.tmp-2-999999-dead', 'weights.bin'), 'half');
    fs.mkdirSync(path.join(dir, '.trash-1-dead'));
    fs.writeFileSync(path.join(dir, 'aliases.json.123456'), '{"production":');
    assert.deepEqual((await r.listVersions('m')).map((v) => v.version), [1]);
    assert.equal(await save(r, 'm'), 2);
    assert.deepEqual(fs.readdirSync(dir).filter((n) => !['1', '2', '.last-version'].includes(n)), []);
  });
});

describe('registry: lock', () => {
  const holdLock = (dir: string, owner?: object, ageMs = 0) => {
    const lock = path.join(dir, '.lock');
    fs.mkdirSync(lock);
    // Without an owner record: a lock some other program made, judged by its mtime alone.
    fs.writeFileSync(path.join(lock, owner ? 'owner.json' : 'other'), JSON.stringify(owner ?? {}));
    const t = new Date(Date.now() - ageMs);
    fs.utimesSync(lock, t, t);
  };

  test('a lock left by a dead process is broken at once; a live holder makes others wait, then give up with its pid', async () => {
    const r = await openRegistry(workspace(), { lockWaitMs: 400 });
    await save(r, 'm');
    const dir = r.modelDir('m');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    holdLock(dir, { pid: Number(dead.stdout), host: os.hostname(), token: 'dead', since: new Date().toISOString(), doing: 'saving a version' });
    // lockWaitMs 400 is far below the 10 s staleness: this succeeds only if the dead lock is broken at once.
    await r.promote('m', 1);
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.startsWith('.lock')), [], 'no lock left behind');

    holdLock(dir, { pid: process.ppid, host: os.hostname(), token: 'live', since: '2024-01-01T00:00:00Z', doing: 'saving a version' });
    await rejectsWith(r.promote('m', 1, 'candidate'), new RegExp(`model 'm' is locked by pid ${process.ppid} on .* \\(saving a version, since 2024-01-01T00:00:00Z\\); gave up after 0\\.4 s`));
    assert.deepEqual(await r.aliases('m'), { production: 1 });
    fs.rmSync(path.join(dir, '.lock'), { recursive: true });
  });

  test('a lock nobody refreshed for 10 s is taken over, whoever made it', async () => {
    const r = await openRegistry(workspace(), { lockWaitMs: 400 });
    await save(r, 'm');
    const dir = r.modelDir('m');
    holdLock(dir, undefined, 2_000);
    await rejectsWith(r.promote('m', 1), /model 'm' is locked by another process/);
    fs.rmSync(path.join(dir, '.lock'), { recursive: true });
    holdLock(dir, { pid: process.ppid, host: 'elsewhere', token: 't', since: '', doing: '' }, 11_000);
    await r.promote('m', 1);
    assert.deepEqual(await r.aliases('m'), { production: 1 });
  });

  test('changes from one process are serialised too', async () => {
    const r = await fresh();
    for (let i = 0; i < 4; i++) await save(r, 'm');
    const changes = await Promise.all(Array.from({ length: 20 }, (_, i) => r.promote('m', (i % 4) + 1, 'production', `p${i}`)));
    const { history } = await assertRegistryConsistent(r, 'm');
    assert.equal(history.length, changes.filter((c) => c.changed).length);
    assert.deepEqual(await r.aliases('m'), { production: history.at(-1)!.to });
  });
});

describe('model references', () => {
  test('parseModelRef', () => {
    assert.deepEqual(parseModelRef('churn:3'), { model: 'churn', ref: 3 });
    assert.deepEqual(parseModelRef('churn:latest'), { model: 'churn', ref: 'latest' });
    assert.deepEqual(parseModelRef('churn@production'), { model: 'churn', ref: '@production' });
    assert.deepEqual(parseModelRef('churn', '@production'), { model: 'churn', ref: '@production' });
    assert.throws(() => parseModelRef('churn'), /'churn' names no version: write churn:<version>, churn:latest or churn@<alias>/);
    assert.throws(() => parseModelRef('churn:x'), /'x' is not a version/);
    assert.throws(() => parseModelRef('churn:0'), /'0' is not a version/);
    assert.throws(() => parseModelRef('a/b:1'), /not a valid model name/);
  });
});
