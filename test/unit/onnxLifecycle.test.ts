/**
 * An imported ONNX version lives the whole life of a trained one, through the same code: blessing
 * against production, evaluate, compare with a native version, serve (hot swap, canary, the
 * prediction log), batch prediction, monitoring, rollback and gc.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckSession, type Row } from '../../src/core/data/duckdb';
import { openSource } from '../../src/core/data/source';
import { compareVersions } from '../../src/core/evaluate/compareVersions';
import { evaluateVersion } from '../../src/core/evaluate/evaluateVersion';
import { monitorModel } from '../../src/core/monitor';
import { importOnnx } from '../../src/core/onnx/importOnnx';
import { openRegistry, type Registry } from '../../src/core/registry';
import { predictBatch } from '../../src/core/serve/batch';
import { startServer, type RunningServer, type ServerEvent } from '../../src/core/serve/server';
import { trainFromConfig } from '../../src/core/train/run';
import { tempDir } from '../helpers/fixtures';
import { onnxFixtures } from '../helpers/onnxFixtures';
import { logRecords } from '../helpers/serveFixtures';

const fx = onnxFixtures();
const FEATURES = ['f1', 'f2', 'f3', 'f4'];
const ws = tempDir('prodml-onnx-life-');
fs.copyFileSync(fx.data, path.join(ws, 'data.csv'));
fs.writeFileSync(
  path.join(ws, 'prodml.yaml'),
  `datasets:
  customers:
    path: data.csv
    label: y
    time_column: t
models:
  churn:
    dataset: customers
    task: binary
    label: y
    features:
      f1: standardize
      f2: standardize
      f3: standardize
      f4: standardize
    training: {epochs: 20, batch_size: 32, learning_rate: 0.05, seed: 3}
    validation:
      max_regression: {auc: 0.02}
    serving:
      canary: {alias: candidate, percent: 50}
`,
);
let registry: Registry;
let duck: DuckSession;
let rows: Row[];
let native: number;
let torch: number;
const torchPred = fx.predictions['torch_mlp'] as number[];

before(async () => {
  registry = await openRegistry(ws);
  duck = await DuckSession.open({ allowedDirectories: [ws] });
  rows = await duck.rows(`SELECT * FROM read_csv('${path.join(ws, 'data.csv')}', header = true)`);
  native = (await trainFromConfig(ws, 'churn')).version;
  await registry.promote('churn', native, 'production');
});
after(() => duck?.close());

describe('an imported version through the lifecycle', () => {
  test('blessing: the no-regression check against the production version, as for a trained one', async () => {
    const prod = (await registry.getVersion('churn', '@production')).card.metrics['auc']!;
    // --features: the graph standardizes itself, so prodml.yaml's transforms do not run before it.
    const r = await importOnnx(ws, { file: fx.file('torch_mlp.onnx'), model: 'churn', dataset: 'customers', features: FEATURES });
    torch = r.version;
    const check = r.checks.find((c) => c.name === 'auc relative regression');
    assert.ok(check, JSON.stringify(r.checks));
    assert.equal(check.passed, r.metrics['auc']! >= prod * 0.98);
    assert.match(check.reason, /production's/);
    assert.equal(r.blessed, check.passed);

    // A worse model against a better production one is refused with the reason.
    const xgb = await importOnnx(ws, { file: fx.file('xgb_classifier.onnx'), model: 'churn', dataset: 'customers', features: FEATURES });
    await registry.promote('churn', xgb.version, 'production');
    const lr = await importOnnx(ws, { file: fx.file('sklearn_logreg.onnx'), model: 'churn', dataset: 'customers', features: FEATURES });
    const refused = lr.checks.find((c) => c.name === 'auc relative regression')!;
    assert.equal(lr.metrics['auc']! < xgb.metrics['auc']! * 0.98, true, `logreg ${lr.metrics['auc']} vs xgb ${xgb.metrics['auc']}`);
    assert.equal(refused.passed, false);
    assert.match(refused.reason, /worse than production's .*more than the allowed 2%/);
    assert.equal(lr.blessed, false);
    assert.equal((await registry.getVersion('churn', lr.version)).card.blessed, false);
    await registry.rollback('churn', { to: native, reason: 'back to the native version for the next tests' });
  });

  test('evaluate and compare an ONNX version with the native one on the same data', async () => {
    const source = await openSource(path.join(ws, 'data.csv'));
    const onnx = await registry.getVersion('churn', torch);
    const report = await evaluateVersion(duck, onnx, source);
    assert.equal(report.rows, 400);
    const imported = onnx.card.metrics;
    for (const m of ['auc', 'log_loss', 'accuracy']) assert.ok(Math.abs((report.overall.metrics as Record<string, number>)[m]! - imported[m]!) < 1e-12, m);
    const c = await compareVersions(duck, await registry.getVersion('churn', native), onnx, source);
    const auc = c.metrics.find((m) => m.metric === 'auc')!;
    assert.ok(Math.abs(auc.b - imported['auc']!) < 1e-12);
    assert.ok(Number.isFinite(auc.a) && Math.abs(auc.delta - (auc.b - auc.a)) < 1e-12);
  });

  test('batch prediction writes the producer\'s predictions', async () => {
    const out = path.join(ws, 'scored.csv');
    const r = await predictBatch(duck, await registry.getVersion('churn', torch), await openSource(path.join(ws, 'data.csv')), out);
    assert.equal(r.rows, 400);
    const scored = await duck.rows(`SELECT prediction FROM read_csv('${out}', header = true)`);
    const worst = Math.max(...scored.map((s, i) => Math.abs(Number(s['prediction']) - torchPred[i]!)));
    assert.ok(worst <= 1e-5, `worst ${worst}`);
  });

  describe('serving', () => {
    let server: RunningServer;
    const events: ServerEvent[] = [];
    const instances = () => rows.slice(0, 20).map((r) => ({ t: (r['t'] as Date).toISOString(), f1: r['f1'], f2: r['f2'], f3: r['f3'], f4: r['f4'], region: r['region'] }));
    const post = async (body: unknown, at = 'churn:predict') => {
      const res = await fetch(`${server.url}/v1/models/${at}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as { predictions: number[]; error?: string }, version: res.headers.get('x-model-version') };
    };
    const swaps = async (n: number) => {
      for (let i = 0; i < 2000 && events.filter((e) => e.event === 'swapped').length < n; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(events.filter((e) => e.event === 'swapped').length, n);
    };
    before(async () => {
      await registry.promote('churn', torch, 'production');
      server = await startServer({ root: ws, port: 0, pollMs: 20, logFlushMs: 1, onEvent: (e) => events.push(e) });
    });
    after(async () => server?.close());

    test('the ONNX version answers :predict with the producer\'s predictions, and logs them', async () => {
      const r = await post({ instances: instances() });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.version, String(torch));
      r.body.predictions.forEach((p, i) => assert.ok(Math.abs(p - torchPred[i]!) <= 1e-5, `row ${i}: ${p} vs ${torchPred[i]}`));
      const meta = (await (await fetch(`${server.url}/v1/models/churn/metadata`)).json()) as { metadata: { inputs: string[]; task: string } };
      assert.deepEqual(meta.metadata.inputs, FEATURES);
      assert.equal(meta.metadata.task, 'binary');
      const bad = await post({ instances: [{ f1: 'abc', f2: 1, f3: 1, f4: 1 }] });
      assert.equal(bad.status, 400);
      for (let i = 0; i < 50 && logRecords(ws, 'churn').length < 20; i++) await new Promise((res) => setTimeout(res, 20));
      const logged = logRecords(ws, 'churn');
      assert.equal(logged.filter((l) => l.version === torch && l.route === 'primary').length, 20);
    });

    test('hot swap to the native version and back by rollback; a canary splits between them', async () => {
      await registry.promote('churn', native, 'production');
      await swaps(1);
      assert.equal((await post({ instances: instances() })).version, String(native));
      await registry.rollback('churn', { reason: 'back to the ONNX version' });
      await swaps(2);
      const back = await post({ instances: instances() });
      assert.equal(back.version, String(torch));
      assert.ok(Math.abs(back.body.predictions[0]! - torchPred[0]!) <= 1e-5);
      await registry.promote('churn', native, 'candidate');
      await swaps(3);
      const seen = new Set<string>();
      for (let i = 0; i < 40 && seen.size < 2; i++) seen.add((await post({ instances: instances().slice(i % 20, (i % 20) + 1) })).version ?? '');
      assert.deepEqual([...seen].sort(), [String(Math.min(native, torch)), String(Math.max(native, torch))]);
    });
  });

  test('monitoring reads the log the ONNX version wrote', async () => {
    const report = await monitorModel(duck, ws, 'churn');
    const served = report.windows.flatMap((w) => w.versions).filter((v) => v.version === torch);
    assert.ok(served.reduce((s, v) => s + v.count, 0) >= 40, JSON.stringify(report.windows.map((w) => w.versions)));
  });

  test('gc keeps aliased versions and deletes the others, ONNX or native', async () => {
    const before = (await registry.listVersions('churn')).map((v) => v.version);
    const r = await registry.gc('churn', 1);
    const kept = r.kept.map((k) => k.version);
    assert.ok(kept.includes(torch) && kept.includes(native), JSON.stringify(r));
    assert.ok(r.deleted.length > 0);
    for (const v of r.deleted) assert.equal(fs.existsSync(path.join(ws, '.prodml/registry/churn', String(v))), false);
    assert.deepEqual([...kept, ...r.deleted].sort(), before.sort());
    const listed = await registry.listVersions('churn');
    assert.equal(listed.find((v) => v.version === torch)?.runtime, 'onnx');
    assert.equal(listed.find((v) => v.version === torch)?.producer, 'pytorch 1.13.0');
    assert.equal(listed.find((v) => v.version === native)?.runtime, 'tfjs');
  });
});
