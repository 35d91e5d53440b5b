import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { demoProdmlYaml } from '../../src/core/demo/readme';
import { prepareDemoWorkspace } from '../../src/core/demo/prepare';
import { parseProjectConfig } from '../../src/core/project/config';
import { parsePipeline, stepsUpTo } from '../../src/core/pipeline';
import { tempDir } from '../helpers/fixtures';

const withPipeline = (block: string) => demoProdmlYaml().replace(/\npipeline:\n(  .*\n|\n)*$/, '\n') + block;

test('a minimal pipeline block gets its defaults from the model and its dataset', () => {
  const cfg = parseProjectConfig(withPipeline('pipeline: {model: baby_weight}\n'), '/ws');
  assert.deepEqual(cfg.pipeline, {
    model: 'baby_weight',
    ingest: { from: 'data/landing', to: 'data/train' },
    validate: { schema: 'schemas/natality.schema.yaml', drift: true },
    promote: { alias: 'production' },
    triggers: {},
  });
  // No block at all: the same defaults for the only model, static training (no trigger).
  const none = parseProjectConfig(withPipeline(''), '/ws');
  assert.equal(none.pipeline, undefined);
  assert.deepEqual(parsePipeline(none.file, {}, none.models), cfg.pipeline);
});

test('the demo pipeline watches data/landing; triggers and step options are parsed', () => {
  assert.deepEqual(parseProjectConfig(demoProdmlYaml(), '/ws').pipeline?.triggers, { watch: { debounce_ms: 2000, poll_ms: 2000 } });
  const cfg = parseProjectConfig(
    withPipeline('pipeline:\n  steps:\n    ingest: {from: inbox/}\n    promote: {alias: candidate}\n  triggers:\n    watch: {debounce_ms: 500}\n    schedule: {every_hours: 24}\n'),
    '/ws',
  );
  assert.deepEqual(cfg.pipeline?.ingest, { from: 'inbox', to: 'data/train' });
  assert.deepEqual(cfg.pipeline?.promote, { alias: 'candidate' });
  assert.deepEqual(cfg.pipeline?.triggers, { watch: { debounce_ms: 500, poll_ms: 2000 }, schedule: { every_hours: 24 } });
  assert.equal(parseProjectConfig(withPipeline('pipeline: {steps: {promote: false, ingest: false}}\n'), '/ws').pipeline?.promote, undefined);
});

test('a pipeline block that cannot work is a clear error naming the key', () => {
  const bad = (block: string) => () => parseProjectConfig(withPipeline(block), '/ws');
  assert.throws(bad('pipeline: {model: nope}\n'), /pipeline\.model: no model named "nope".*baby_weight/);
  assert.throws(bad('pipeline: {steps: {ingest: {from: data/train}}}\n'), /pipeline\.steps\.ingest\.from: data\/train is read by datasets\.natality\.path .*unvalidated/);
  assert.throws(bad('pipeline: {steps: {ingest: {to: data/elsewhere}}}\n'), /pipeline\.steps\.ingest\.to: .*does not read files in data\/elsewhere/);
  assert.throws(bad('pipeline: {steps: {ingest: {from: ../outside}}}\n'), /must be a folder inside the workspace/);
  assert.throws(bad('pipeline:\n  triggers:\n    schedule: {}\n'), /prodml\.yaml: line \d+: .*every_hours/);
  assert.throws(bad('pipeline: {steps: {train: {}}}\n'), /prodml\.yaml: line \d+/);
});

test('prodml run <step> runs up to that step; train and evaluate run through register', () => {
  assert.deepEqual(stepsUpTo('validate'), ['ingest', 'validate']);
  assert.deepEqual(stepsUpTo('train'), ['ingest', 'validate', 'train', 'evaluate', 'register']);
  assert.deepEqual(stepsUpTo(), ['ingest', 'validate', 'train', 'evaluate', 'register', 'promote']);
  assert.throws(() => stepsUpTo('deploy' as never), /unknown pipeline step "deploy"/);
});

const cli = (args: string[], cwd = process.cwd()) =>
  spawnSync(process.execPath, ['--import', 'tsx', path.resolve('src/cli/main.ts'), ...args], { cwd, encoding: 'utf8', timeout: 120_000 });

test('prodml run exits 1 when a batch is quarantined (--json prints the run record), 2 for bad input', async () => {
  const ws = path.join(tempDir('prodml-run-cli-'), 'demo');
  await prepareDemoWorkspace(ws, { rowsPerMonth: 200 });
  fs.mkdirSync(path.join(ws, 'data/landing'));
  fs.copyFileSync(path.join(ws, 'data/incoming/type-change.csv'), path.join(ws, 'data/landing/type-change.csv'));
  const r = cli(['run', 'validate', '--workspace', ws, '--json']);
  assert.equal(r.status, 1, r.stderr);
  const record = JSON.parse(r.stdout);
  assert.equal(record.status, 'quarantined');
  assert.deepEqual(record.steps.map((s: { name: string; status: string }) => `${s.name}:${s.status}`), ['ingest:ok', 'validate:failed']);
  assert.ok(fs.existsSync(path.join(ws, '.prodml/quarantine', record.id, 'type-change.csv.anomalies.txt')));

  const text = cli(['run', 'validate', '--workspace', ws]);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /SUCCEEDED/);
  // What the quarantining run checked is not checked again.
  assert.match(text.stdout, /validate +ok .*every file was checked before/);

  const unknown = cli(['run', 'deploy', '--workspace', ws]);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /Steps: ingest, validate, train, evaluate, register, promote/);
  const empty = cli(['run', '--workspace', tempDir('prodml-run-empty-')]);
  assert.equal(empty.status, 2);
  assert.match(empty.stderr, /prodml\.yaml: not found/);
});

test('a run whose process died mid-step reads as failed (interrupted), and the next run closes its record', async () => {
  const { readRun, runPipeline } = await import('../../src/core/pipeline');
  const ws = path.join(tempDir('prodml-run-dead-'), 'demo');
  await prepareDemoWorkspace(ws, { rowsPerMonth: 50 });
  const done = await runPipeline(ws, { step: 'validate' });
  const dead = spawnSync(process.execPath, ['-e', '']).pid;
  const id = '20000101-000000-000-dead';
  const running = { ...done, id, status: 'running', pid: dead, steps: done.steps.map((s, i) => ({ ...s, status: i === 0 ? 'ok' : 'running' })) };
  fs.mkdirSync(path.join(ws, '.prodml/runs', id));
  fs.writeFileSync(path.join(ws, '.prodml/runs', id, 'run.json'), JSON.stringify(running));
  const seen = await readRun(ws, id);
  assert.equal(seen.status, 'failed');
  assert.equal(seen.steps[1]!.error?.kind, 'interrupted');
  assert.match(seen.summary, /interrupted: process \d+ stopped before the run finished; a rerun resumes/);
  await runPipeline(ws, { step: 'validate' });
  assert.equal(JSON.parse(fs.readFileSync(path.join(ws, '.prodml/runs', id, 'run.json'), 'utf8')).status, 'failed');
});
