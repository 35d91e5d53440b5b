/** Labels that arrive later, joined to the prediction log by key or request id (real DuckDB, a real model). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckSession, sqlString } from '../../src/core/data/duckdb';
import { openSource } from '../../src/core/data/source';
import { prepareDemoWorkspace } from '../../src/core/demo/prepare';
import { openRegistry } from '../../src/core/registry';
import { predictBatch } from '../../src/core/serve/batchPredict';
import { addLabels } from '../../src/core/serve/labels';
import { labelsGlob, predictionsGlob } from '../../src/core/serve/logPaths';
import type { LabelRecord, PredictionRecord } from '../../src/core/serve/logTypes';
import { trainFromConfig } from '../../src/core/train/run';
import { tempDir } from '../helpers/fixtures';

const REPO = path.join(__dirname, '../..');
const ws = path.join(tempDir('prodml-labels-'), 'demo');
const APRIL = 'data/stream/natality-2025-04.csv';
let session: DuckSession;
let logged: PredictionRecord[];

const abs = (rel: string) => path.join(ws, rel);
const readLabels = (file: string) => fs.readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as LabelRecord);
const csvRows = (rel: string) => session.rows(`SELECT * FROM read_csv(${sqlString(abs(rel))}, header = true)`);

before(async () => {
  await prepareDemoWorkspace(ws, { rowsPerMonth: 300 });
  const { version } = await trainFromConfig(ws, 'baby_weight');
  session = await DuckSession.open({ allowedDirectories: [ws] });
  // April's requests were scored and logged (keyed by birth_id); their weights come later.
  const v = await (await openRegistry(ws)).getVersion('baby_weight', version);
  const r = await predictBatch(session, v, await openSource(APRIL, ws), abs('out/april.parquet'), { log: { root: ws } });
  logged = fs.readFileSync(r.logged!, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as PredictionRecord);
  fs.mkdirSync(abs('labels'), { recursive: true });
});

after(() => session?.close());

describe('addLabels', () => {
  test('labels by the serving key: every April weight joins its logged prediction', async () => {
    const r = await addLabels(ws, 'baby_weight', abs(APRIL), { session });
    assert.deepEqual({ ...r, file: undefined }, { added: 300, matched: 300, unmatched: 0, skipped: 0, joinedBy: 'birth_id', file: undefined });
    assert.equal(path.dirname(r.file), path.dirname(labelsGlob(ws, 'baby_weight')));
    assert.match(path.basename(r.file), new RegExp(`^labels-\\d{8}T\\d{9}Z-${process.pid}\\.jsonl$`));
    const records = readLabels(r.file);
    const rows = await csvRows(APRIL);
    assert.equal(records.length, 300);
    records.forEach((rec, i) => {
      // Exactly the LabelRecord fields, in its order.
      assert.deepEqual(Object.keys(rec), ['key', 'label', 'time']);
      assert.equal(rec.key, rows[i]!['birth_id']);
      assert.equal(rec.label, rows[i]!['weight_pounds']);
      assert.ok(!Number.isNaN(Date.parse(rec.time)));
    });
    // Monitoring's join: DuckDB over both globs.
    const joined = await session.rows(
      `SELECT count(*) AS n FROM read_json(${sqlString(labelsGlob(ws, 'baby_weight'))}, format = 'newline_delimited') l
       JOIN read_json(${sqlString(predictionsGlob(ws, 'baby_weight'))}, format = 'newline_delimited', ignore_errors = true) p ON l.key = p.key`,
    );
    assert.equal(joined[0]!['n'], 300);
  });

  test('labels for requests never logged are added and counted as unmatched; rows without id or label are skipped', async () => {
    const april = await csvRows(APRIL);
    const lines = ['birth_id,weight_pounds'];
    for (const r of april.slice(0, 10)) lines.push(`${r['birth_id']},${r['weight_pounds']}`);
    for (let i = 0; i < 5; i++) lines.push(`B209901-0000${i},7.5`);
    lines.push(`${april[10]!['birth_id']},`, `,6.1`);
    fs.writeFileSync(abs('labels/mixed.csv'), lines.join('\n') + '\n');
    const r = await addLabels(ws, 'baby_weight', abs('labels/mixed.csv'), { session });
    assert.equal(r.added, 15);
    assert.equal(r.matched, 10);
    assert.equal(r.unmatched, 5);
    assert.equal(r.skipped, 2);
    assert.equal(readLabels(r.file).length, 15);
    // June was never scored: nothing joins yet.
    const june = await addLabels(ws, 'baby_weight', abs('data/stream/natality-2025-06.csv'), { session });
    assert.deepEqual([june.added, june.matched, june.unmatched], [300, 0, 300]);
  });

  test('a request_id column joins to the very prediction, from Parquet too', async () => {
    const picked = logged.slice(0, 20);
    const rows = [...picked.map((p, i) => `('${p.request_id}', ${5 + i / 10})`), `('batch-unknown-0', 7.0)`, `('batch-unknown-1', 8.0)`, `('batch-unknown-2', 9.0)`];
    await session.run(`COPY (SELECT * FROM (VALUES ${rows.join(', ')}) t(request_id, weight_pounds)) TO ${sqlString(abs('labels/by-request.parquet'))} (FORMAT parquet)`);
    const r = await addLabels(ws, 'baby_weight', abs('labels/by-request.parquet'), { session });
    assert.equal(r.joinedBy, 'request_id');
    assert.deepEqual([r.added, r.matched, r.unmatched], [23, 20, 3]);
    const records = readLabels(r.file);
    assert.deepEqual(Object.keys(records[0]!), ['request_id', 'label', 'time']);
    assert.equal(records[0]!.request_id, picked[0]!.request_id);
    assert.equal(records[1]!.label, 5.1);
  });

  test('--key and --label name other columns; a JSON Lines file works', async () => {
    const april = (await csvRows(APRIL)).slice(0, 4);
    fs.writeFileSync(abs('labels/renamed.jsonl'), april.map((r) => JSON.stringify({ id: r['birth_id'], weight: r['weight_pounds'] })).join('\n') + '\n');
    const r = await addLabels(ws, 'baby_weight', abs('labels/renamed.jsonl'), { session, key: 'id', label: 'weight' });
    assert.deepEqual([r.joinedBy, r.added, r.matched], ['id', 4, 4]);
  });

  test('a torn last line in the prediction log is skipped, not fatal', async () => {
    const file = path.join(path.dirname(predictionsGlob(ws, 'baby_weight')), 'predictions-2025-04-30-9.jsonl');
    fs.writeFileSync(file, JSON.stringify({ ...logged[0]!, request_id: 'x-0', key: 'B209901-00001' }) + '\n' + '{"request_id":"x-1","key":"B2099');
    try {
      fs.writeFileSync(abs('labels/one.csv'), 'birth_id,weight_pounds\nB209901-00001,7.1\n');
      const r = await addLabels(ws, 'baby_weight', abs('labels/one.csv'), { session });
      assert.deepEqual([r.added, r.matched], [1, 1]);
    } finally {
      fs.rmSync(file);
    }
  });

  test('two label files added at once never replace each other', async () => {
    const [a, b] = await Promise.all([
      addLabels(ws, 'baby_weight', abs(APRIL), { session: await session.connect() }),
      addLabels(ws, 'baby_weight', abs(APRIL), { session: await session.connect() }),
    ]);
    assert.notEqual(a.file, b.file);
    assert.equal(readLabels(a.file).length, 300);
    assert.equal(readLabels(b.file).length, 300);
    assert.deepEqual(fs.readdirSync(path.dirname(a.file)).filter((f) => !f.startsWith('labels-')), []);
  });

  test('bad input names the file, the column and the rule', async () => {
    fs.writeFileSync(abs('labels/no-label.csv'), 'birth_id,weight\nB202504-00001,7\n');
    await assert.rejects(addLabels(ws, 'baby_weight', abs('labels/no-label.csv'), { session }), /no-label\.csv: has no label column "weight_pounds" \(columns: birth_id, weight\)/);
    fs.writeFileSync(abs('labels/no-key.csv'), 'id,weight_pounds\n1,7\n');
    await assert.rejects(addLabels(ws, 'baby_weight', abs('labels/no-key.csv'), { session }), /no-key\.csv: has neither a request_id column nor the key column "birth_id" \(models\.baby_weight\.serving\.key\)/);
    await assert.rejects(addLabels(ws, 'baby_weight', abs('labels/no-key.csv'), { session, key: 'nope' }), /no-key\.csv: has no key column "nope"/);
    fs.writeFileSync(abs('labels/text.csv'), 'birth_id,weight_pounds\nB202504-00001,heavy\n');
    await assert.rejects(addLabels(ws, 'baby_weight', abs('labels/text.csv'), { session }), /text\.csv: label column "weight_pounds" holds VARCHAR values; baby_weight is a regression model, so its labels must be numbers/);
    fs.writeFileSync(abs('labels/empty.csv'), 'birth_id,weight_pounds\nB202504-00001,\n');
    await assert.rejects(addLabels(ws, 'baby_weight', abs('labels/empty.csv'), { session }), /empty\.csv: has no row with both a birth_id and a weight_pounds \(1 rows\)/);
    await assert.rejects(addLabels(ws, 'nope', abs(APRIL), { session }), /prodml\.yaml: has no model "nope" \(models: baby_weight\)/);
    await assert.rejects(addLabels(ws, 'baby_weight', abs('labels/missing.csv'), { session }), /missing\.csv: file not found/);
  });
});

describe('prodml labels add (CLI, from source)', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/cli/main.ts'), ...args, '--workspace', ws], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });

  test('prints the counts as one JSON document', () => {
    const r = cli('labels', 'add', abs(APRIL), '--model', 'baby_weight', '--json');
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual([doc.model, doc.added, doc.matched, doc.unmatched, doc.joinedBy], ['baby_weight', 300, 300, 0, 'birth_id']);
    assert.match(doc.file, /^\.prodml\/logs\/baby_weight\/labels\/labels-.*\.jsonl$/);
  });

  test('exit 2 with a one-line message for bad input', () => {
    const r = cli('labels', 'add', abs('data/stream/natality-2025-04.csv'), '--model', 'baby_weight', '--label', 'nope');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^prodml: .*natality-2025-04\.csv: has no label column "nope"/m);
  });
});
