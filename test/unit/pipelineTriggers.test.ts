import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { prepareDemoWorkspace } from '../../src/core/demo/prepare';
import { listRuns, QUARANTINE_DIR, runPipeline, scheduleRuns, watchLanding, type RunRecord } from '../../src/core/pipeline';
import { tempDir } from '../helpers/fixtures';

let ws: string;

before(async () => {
  ws = path.join(tempDir('prodml-triggers-'), 'demo');
  await prepareDemoWorkspace(ws, { rowsPerMonth: 200 });
  const file = path.join(ws, 'prodml.yaml');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/training: \{[^}]*\}[^\n]*/, 'training: {epochs: 4, batch_size: 256, learning_rate: 0.01, seed: 42}'));
  // The model is current before the triggers start, so a triggered run trains only if data changed.
  assert.equal((await runPipeline(ws)).status, 'succeeded');
});

/** Resolves with the first run the trigger reports, or fails after `ms`. */
function firstRun(start: (onRun: (r: RunRecord) => void, signal: AbortSignal) => Promise<void>, ms = 60_000): Promise<{ record: RunRecord; stopped: Promise<void> }> {
  const abort = new AbortController();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      abort.abort();
      reject(new Error(`no run within ${ms} ms`));
    }, ms);
    const stopped = start((record) => {
      clearTimeout(timer);
      abort.abort();
      resolve({ record, stopped });
    }, abort.signal);
    stopped.catch(reject);
  });
}

test('the watch trigger starts a run for a file dropped in the landing folder, once it stops growing', async () => {
  const landing = path.join(ws, 'data/landing');
  const bytes = fs.readFileSync(path.join(ws, 'data/incoming/missing-column.csv'));
  const noticed: string[] = [];
  const got = firstRun((onRun, signal) => watchLanding(ws, { signal, onRun, debounceMs: 300, pollMs: 200, onNotice: (f) => noticed.push(f) }));
  // Written in two parts with a pause shorter than the debounce: the run must see the whole file.
  await new Promise((r) => setTimeout(r, 100));
  const half = Math.floor(bytes.length / 2);
  fs.writeFileSync(path.join(landing, 'missing-column.csv'), bytes.subarray(0, half));
  await new Promise((r) => setTimeout(r, 100));
  fs.appendFileSync(path.join(landing, 'missing-column.csv'), bytes.subarray(half));
  const { record, stopped } = await got;
  await stopped;

  assert.equal(record.trigger, 'watch');
  assert.equal(record.status, 'quarantined', record.summary);
  assert.deepEqual(noticed, ['data/landing/missing-column.csv']);
  const ingest = record.steps.find((s) => s.name === 'ingest')!;
  assert.equal(ingest.inputs['data/landing/missing-column.csv'], `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`);
  assert.deepEqual(fs.readFileSync(path.join(ws, QUARANTINE_DIR, record.id, 'missing-column.csv')), bytes);
  assert.equal((await listRuns(ws))[0]!.id, record.id);
});

test('the schedule trigger starts runs every N hours; with nothing new every step is skipped', async () => {
  // 0.0001 h = 0.36 s.
  const { record, stopped } = await firstRun((onRun, signal) => scheduleRuns(ws, { everyHours: 0.0001, signal, onRun }));
  await stopped;
  assert.equal(record.trigger, 'schedule');
  assert.equal(record.status, 'succeeded');
  assert.ok(record.steps.every((s) => s.status === 'skipped'), record.summary);
});

test('a schedule needs a positive interval; watching needs a landing folder', async () => {
  const signal = AbortSignal.abort();
  await assert.rejects(scheduleRuns(ws, { everyHours: 0, signal, onRun: () => undefined }), /every_hours above 0/);
  const file = path.join(ws, 'prodml.yaml');
  const yaml = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, yaml.replace('ingest: {from: data/landing, to: data/train}', 'ingest: false'));
  try {
    await assert.rejects(watchLanding(ws, { signal, onRun: () => undefined }), /pipeline\.steps\.ingest is false/);
  } finally {
    fs.writeFileSync(file, yaml);
  }
});
