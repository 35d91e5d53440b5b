import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { toCsv } from '../../src/core/demo/csv';
import { generateNatalityRows, monthRange, NATALITY_COLUMNS } from '../../src/core/demo/natality';
import { prepareDemoWorkspace } from '../../src/core/demo/prepare';
import { listRuns, QUARANTINE_DIR, readRun, runPipeline, stepLogPath, STAGING_DIR, type RunRecord } from '../../src/core/pipeline';
import { runExitCode } from '../../src/core/pipeline/runTypes';
import { openRegistry } from '../../src/core/registry';
import { tempDir } from '../helpers/fixtures';

// The demo at its default size (1,500 rows a month): the good February batch passes the schema's
// drift thresholds only with that many rows. Few epochs keep a training run to seconds.
let ws: string;
const MODEL = 'baby_weight';

before(async () => {
  ws = path.join(tempDir('prodml-pipeline-'), 'demo');
  await prepareDemoWorkspace(ws);
  const file = path.join(ws, 'prodml.yaml');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/training: \{[^}]*\}[^\n]*/, 'training: {epochs: 4, batch_size: 256, learning_rate: 0.01, seed: 42}'));
});

const statuses = (r: RunRecord) => Object.fromEntries(r.steps.map((s) => [s.name, s.status]));
const land = (name: string, from = path.join(ws, 'data/incoming', name)) => {
  fs.mkdirSync(path.join(ws, 'data/landing'), { recursive: true });
  fs.copyFileSync(from, path.join(ws, 'data/landing', name));
};
/** A clean labelled month the demo does not ship, so it is new content. */
const freshBatch = (year: number, month: number): string => {
  const file = path.join(tempDir('prodml-batch-'), `natality-${year}-${String(month).padStart(2, '0')}.csv`);
  fs.writeFileSync(file, toCsv(NATALITY_COLUMNS, generateNatalityRows({ seed: 1000 + month, rows: 1500, ...monthRange(year, month) })));
  return file;
};

test('a run on the demo validates the dataset, trains, registers and promotes a blessed version', async () => {
  const fractions: number[] = [];
  const r = await runPipeline(ws, { onProgress: (p) => fractions.push(p.fraction) });
  assert.equal(r.status, 'succeeded', r.summary);
  assert.deepEqual(statuses(r), { ingest: 'skipped', validate: 'ok', train: 'ok', evaluate: 'ok', register: 'ok', promote: 'ok' });
  assert.equal(runExitCode(r), 0);
  const reg = r.steps.find((s) => s.name === 'register')!;
  assert.equal(reg.outputs['version'], 1);
  assert.equal(r.steps.find((s) => s.name === 'evaluate')!.outputs['blessed'], true);
  assert.equal((await (await openRegistry(ws)).aliases(MODEL))['production'], 1);

  // Inputs are content hashes of the data, the schema and the model's config section.
  const train = r.steps.find((s) => s.name === 'train')!;
  assert.match(train.inputs['data/train/natality-2024-01.csv']!, /^sha256:[0-9a-f]{64}$/);
  assert.match(train.inputs['schema:schemas/natality.schema.yaml']!, /^sha256:/);
  assert.match(train.inputs['config:models.baby_weight']!, /^sha256:/);
  assert.equal(Object.keys(train.inputs).filter((k) => k.startsWith('data/train/')).length, 12);

  // The record on disk is the one returned, and every step that ran has a log.
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(ws, '.prodml/runs', r.id, 'run.json'), 'utf8')), r);
  assert.deepEqual(await readRun(ws, r.id), r);
  for (const s of r.steps.filter((x) => x.status === 'ok')) {
    assert.ok(fs.existsSync(stepLogPath(ws, r.id, s.name)), s.name);
    assert.equal(path.join(ws, s.log), stepLogPath(ws, r.id, s.name));
  }
  assert.match(fs.readFileSync(stepLogPath(ws, r.id, 'train'), 'utf8'), /epoch 4\/4: loss/);
  for (const s of r.steps.filter((x) => x.status === 'ok')) assert.ok(s.duration_ms! >= 0 && s.started_at && s.finished_at);
  assert.ok(fractions.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= fractions[i - 1]! - 1e-9)), 'progress never goes back');
  assert.equal(fractions.at(-1), 1);
});

test('a second run with nothing changed skips every step and registers nothing', async () => {
  const [first] = await listRuns(ws);
  const r = await runPipeline(ws);
  assert.equal(r.status, 'succeeded');
  assert.ok(r.steps.every((s) => s.status === 'skipped'), JSON.stringify(statuses(r)));
  for (const name of ['validate', 'train', 'evaluate', 'register'] as const) assert.equal(r.steps.find((s) => s.name === name)!.reused_from, first!.id, name);
  assert.equal(r.steps.find((s) => s.name === 'register')!.outputs['version'], 1);
  assert.deepEqual((await (await openRegistry(ws)).listVersions(MODEL)).map((v) => v.version), [1]);
  assert.deepEqual((await listRuns(ws)).map((x) => x.id), [r.id, first!.id]);
});

test('a bad batch dropped in the landing folder is quarantined with its report, and nothing trains', async () => {
  const original = fs.readFileSync(path.join(ws, 'data/incoming/missing-column.csv'));
  land('missing-column.csv');
  const r = await runPipeline(ws);
  assert.equal(r.status, 'quarantined', r.summary);
  assert.equal(runExitCode(r), 1);
  assert.deepEqual(statuses(r), { ingest: 'ok', validate: 'failed', train: 'blocked', evaluate: 'blocked', register: 'blocked', promote: 'blocked' });

  // Moved, never deleted: out of the landing folder and staging, byte for byte in quarantine.
  const kept = path.join(ws, QUARANTINE_DIR, r.id, 'missing-column.csv');
  assert.deepEqual(fs.readFileSync(kept), original);
  assert.equal(fs.existsSync(path.join(ws, 'data/landing/missing-column.csv')), false);
  assert.deepEqual(fs.readdirSync(path.join(ws, STAGING_DIR)), []);
  assert.equal(fs.existsSync(path.join(ws, 'data/train/missing-column.csv')), false);
  const report = JSON.parse(fs.readFileSync(`${kept}.anomalies.json`, 'utf8'));
  assert.equal(report.file, 'data/landing/missing-column.csv');
  assert.equal(report.run, r.id);
  assert.ok(report.anomalies.some((a: any) => a.type === 'missing_column' && a.feature === 'gestation_weeks' && a.severity === 'error'));
  assert.match(fs.readFileSync(`${kept}.anomalies.txt`, 'utf8'), /missing_column +gestation_weeks/);
  const q = r.steps.find((s) => s.name === 'validate')!.outputs['quarantined'] as any[];
  assert.deepEqual(q.map((x) => x.to), [`.prodml/quarantine/${r.id}/missing-column.csv`]);
  assert.deepEqual((await (await openRegistry(ws)).listVersions(MODEL)).map((v) => v.version), [1]);
});

test('a good batch is ingested into the dataset and produces a new blessed, promoted version', async () => {
  land('natality-2025-02.csv');
  const r = await runPipeline(ws);
  assert.equal(r.status, 'succeeded', r.summary);
  assert.deepEqual(statuses(r), { ingest: 'ok', validate: 'ok', train: 'ok', evaluate: 'ok', register: 'ok', promote: 'ok' });
  assert.deepEqual(fs.readFileSync(path.join(ws, 'data/train/natality-2025-02.csv')), fs.readFileSync(path.join(ws, 'data/incoming/natality-2025-02.csv')));
  const train = r.steps.find((s) => s.name === 'train')!;
  assert.ok(train.inputs['data/train/natality-2025-02.csv'], 'the new batch is a training input');
  assert.equal(r.steps.find((s) => s.name === 'register')!.outputs['version'], 2);
  assert.equal(r.steps.find((s) => s.name === 'evaluate')!.outputs['blessed'], true);
  assert.equal((await (await openRegistry(ws)).aliases(MODEL))['production'], 2);
  const card = (await (await openRegistry(ws)).getVersion(MODEL, 2)).card;
  assert.ok(card.training_data.datasets.some((d) => d.path.endsWith('natality-2025-02.csv')));

  // The same file dropped again is a duplicate: quarantined, never counted twice.
  land('natality-2025-02.csv');
  const again = await runPipeline(ws);
  assert.equal(again.status, 'quarantined');
  assert.match((again.steps.find((s) => s.name === 'validate')!.outputs['quarantined'] as any[])[0].reason, /identical to data\/train\/natality-2025-02\.csv/);
});

test('a step that throws leaves a failed record with everything in place; the rerun resumes', async () => {
  land('natality-2025-03.csv', freshBatch(2025, 3));
  const crashed = await runPipeline(ws, {
    beforeStep: (step) => {
      if (step === 'train') throw new Error('simulated crash in train');
    },
  });
  assert.equal(crashed.status, 'failed');
  assert.equal(runExitCode(crashed), 3);
  assert.deepEqual(statuses(crashed), { ingest: 'ok', validate: 'ok', train: 'failed', evaluate: 'blocked', register: 'blocked', promote: 'blocked' });
  assert.deepEqual(crashed.steps.find((s) => s.name === 'train')!.error, { kind: 'internal', message: 'simulated crash in train' });
  assert.match(fs.readFileSync(stepLogPath(ws, crashed.id, 'train'), 'utf8'), /simulated crash in train/);
  assert.equal((await readRun(ws, crashed.id)).status, 'failed');
  assert.ok(fs.existsSync(path.join(ws, 'data/train/natality-2025-03.csv')), 'the admitted batch stays');
  assert.equal((await (await openRegistry(ws)).aliases(MODEL))['production'], 2);

  const rerun = await runPipeline(ws);
  assert.equal(rerun.status, 'succeeded', rerun.summary);
  assert.deepEqual(statuses(rerun), { ingest: 'skipped', validate: 'skipped', train: 'ok', evaluate: 'ok', register: 'ok', promote: 'ok' });
  assert.equal(rerun.steps.find((s) => s.name === 'validate')!.reused_from, crashed.id);
  assert.equal(rerun.steps.find((s) => s.name === 'register')!.outputs['version'], 3);
});

test('prodml run validate stops after validation; an unblessed version is registered but never promoted', async () => {
  land('natality-2025-04.csv', freshBatch(2025, 4));
  const partial = await runPipeline(ws, { step: 'validate' });
  assert.deepEqual(partial.steps.map((s) => s.name), ['ingest', 'validate']);
  assert.equal(partial.target, 'validate');
  assert.equal(partial.status, 'succeeded');

  // A threshold no model meets: the new version is judged and kept, production stays.
  const file = path.join(ws, 'prodml.yaml');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('thresholds: {rmse: {max: 1.3}}', 'thresholds: {rmse: {max: 0.1}}'));
  const r = await runPipeline(ws);
  assert.equal(r.status, 'not_blessed', r.summary);
  assert.equal(runExitCode(r), 1);
  assert.deepEqual(statuses(r), { ingest: 'skipped', validate: 'skipped', train: 'ok', evaluate: 'ok', register: 'ok', promote: 'blocked' });
  assert.equal(r.steps.find((s) => s.name === 'evaluate')!.outputs['blessed'], false);
  const registry = await openRegistry(ws);
  assert.equal((await registry.getVersion(MODEL, 4)).card.blessed, false);
  assert.equal((await registry.aliases(MODEL))['production'], 3);
  assert.match(r.steps.find((s) => s.name === 'promote')!.messages[0]!, /baby_weight:4 is not blessed .*RMSE.*: registered, not promoted to production/);
});
