/**
 * monitorModel over a synthetic prediction log (written per src/core/serve/logTypes.ts, with a
 * torn last line) scored by a tiny trained model: windows, the label join, metrics against
 * scikit-learn, drift flagged for a shifted window only, calibrated thresholds, and the CLI's
 * exit codes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckSession } from '../../src/core/data/duckdb';
import { mulberry32 } from '../../src/core/demo/random';
import { monitorModel, type MonitorReport } from '../../src/core/monitor';
import { openRegistry } from '../../src/core/registry';
import { loadScorer, predictionValue } from '../../src/core/serve/scorer';
import type { LabelRecord, PredictionRecord } from '../../src/core/serve/logTypes';
import { trainFromConfig } from '../../src/core/train/run';
import { tempDir } from '../helpers/fixtures';

const ROOT = path.join(__dirname, '../..');
const ws = path.join(tempDir('prodml-monitor-'), 'ws');
const logs = path.join(ws, '.prodml/logs/m');
const rand = mulberry32(11);
const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const CATS = ['a', 'b', 'c'];

function rowsOf(n: number, shift = 0): { x: number; c: string }[] {
  return Array.from({ length: n }, () => ({ x: Math.round((normal() + shift) * 1000) / 1000, c: CATS[Math.floor(rand() * 3)]! }));
}
const truth = (r: { x: number; c: string }) => 2 * r.x + (r.c === 'b' ? 1 : 0) + 0.3 * normal();

const yaml = (monitoring: string) => `datasets:
  d:
    path: data/train*.csv
    label: y
models:
  m:
    dataset: d
    task: regression
    features:
      x: standardize
      c: one_hot
    model: {type: linear}
    training: {epochs: 30, batch_size: 64, learning_rate: 0.05, seed: 1}
    serving: {key: id}
    monitoring:
${monitoring}
`;

/** What was logged, to check the report against. */
const logged: { day: string; y?: number; p: number }[] = [];
let session: DuckSession;

async function setup(): Promise<void> {
  fs.mkdirSync(path.join(ws, 'data'), { recursive: true });
  const train = rowsOf(2000);
  fs.writeFileSync(path.join(ws, 'data/train.csv'), 'x,c,y\n' + train.map((r) => `${r.x},${r.c},${truth(r).toFixed(3)}`).join('\n') + '\n');
  fs.writeFileSync(path.join(ws, 'prodml.yaml'), yaml('      window: day\n      thresholds: {rmse: {max: 5}}'));
  await trainFromConfig(ws, 'm');
  await (await openRegistry(ws)).promote('m', 1);
  const scorer = await loadScorer(await (await openRegistry(ws)).getVersion('m', 1));

  fs.mkdirSync(path.join(logs, 'labels'), { recursive: true });
  const predictions: string[][] = [[], []];
  const labels: LabelRecord[] = [];
  const day = (d: number, i: number) => `2025-03-0${d}T${String(8 + Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00.000Z`;
  // Day 1: labels by request id; day 2: by key, some corrected later; day 3: x shifted, no labels.
  for (const d of [1, 2, 3]) {
    const rows = rowsOf(200, d === 3 ? 1.5 : 0);
    const out = scorer.score(rows);
    rows.forEach((r, i) => {
      const rec: PredictionRecord = { request_id: `q${d}-${i}-0`, time: day(d, i), model: 'm', version: 1, route: 'primary', key: `id-${d}-${i}`, inputs: { id: `id-${d}-${i}`, ...r }, prediction: predictionValue(scorer, out, i) };
      predictions[d === 3 ? 1 : 0]!.push(JSON.stringify(rec));
      const y = Math.round(truth(r) * 1000) / 1000;
      if (d === 1) labels.push({ request_id: rec.request_id, label: y, time: '2025-04-01T00:00:00Z' });
      if (d === 2) {
        // A wrong label first, then the right one later: the latest wins.
        if (i < 20) labels.push({ key: rec.key!, label: 999, time: '2025-04-01T00:00:00Z' });
        labels.push({ key: rec.key!, label: y, time: '2025-04-02T00:00:00Z' });
      }
      logged.push({ day: `2025-03-0${d}`, p: rec.prediction as number, ...(d < 3 ? { y } : {}) });
    });
    // The candidate scores day 1 in shadow: logged, never counted as served.
    if (d === 1) rows.slice(0, 50).forEach((r, i) => predictions[0]!.push(JSON.stringify({ request_id: `q1-${i}-0`, time: day(1, i), model: 'm', version: 1, route: 'shadow', inputs: r, prediction: out[i]! + 0.5 })));
  }
  fs.writeFileSync(path.join(logs, 'predictions-2025-03-01-0.jsonl'), predictions[0]!.join('\n') + '\n');
  // A kill mid-append leaves a torn last line.
  fs.writeFileSync(path.join(logs, 'predictions-2025-03-03-0.jsonl'), predictions[1]!.join('\n') + '\n' + predictions[1]![0]!.slice(0, 57));
  fs.writeFileSync(path.join(logs, 'labels/labels-1.jsonl'), labels.map((l) => JSON.stringify(l)).join('\n') + '\n');
  scorer.dispose();
  session = await DuckSession.open({ allowedDirectories: [ws] });
}

after(() => session?.close());

describe('monitorModel on a synthetic log', () => {
  let report: MonitorReport;
  before(async () => {
    await setup();
    report = await monitorModel(session, ws, 'm');
  });

  test('cuts day windows of served instances, keeps shadow apart and skips the torn line', () => {
    assert.deepEqual(
      report.windows.map((w) => [w.window, w.count, w.labelled]),
      [
        ['2025-03-01', 200, 200],
        ['2025-03-02', 200, 200],
        ['2025-03-03', 200, 0],
      ],
    );
    assert.equal(report.log.skipped_lines, 1);
    assert.equal(report.log.shadow, 50);
    assert.deepEqual(report.shadow.map((s) => [s.version, s.count, s.windows.map((w) => w.window)]), [[1, 50, ['2025-03-01']]]);
    assert.equal(report.windows[0]!.start, '2025-03-01T00:00:00.000Z');
    assert.equal(report.windows[0]!.end, '2025-03-02T00:00:00.000Z');
  });

  test('joins labels by request id and by key, the latest label winning', () => {
    // The shadow instances carry their primary's request id, so its label joins to them too.
    assert.equal(report.log.labels.by_request_id, 250);
    assert.deepEqual(report.shadow[0]!.windows.map((w) => w.labelled), [50]);
    assert.equal(report.log.labels.by_key, 200);
    assert.equal(report.log.labels.read, 200 + 220);
    // Had the wrong labels (999) won, day 2's RMSE would be in the hundreds.
    assert.ok(report.windows[1]!.metrics!['rmse']! < 1, JSON.stringify(report.windows[1]!.metrics));
  });

  test('metrics per window match scikit-learn on the logged predictions and joined labels', () => {
    for (const w of report.windows.slice(0, 2)) {
      const rows = logged.filter((l) => l.day === w.window);
      const py = spawnSync('/usr/bin/python3', ['-c', 'import json,sys; from sklearn.metrics import mean_squared_error as mse, mean_absolute_error as mae, r2_score as r2; d=json.load(sys.stdin); y=d["y"]; p=d["p"]; print(json.dumps({"rmse": mse(y,p)**0.5, "mae": mae(y,p), "r2": r2(y,p), "mean_residual": sum(a-b for a,b in zip(y,p))/len(y)}))'], {
        input: JSON.stringify({ y: rows.map((r) => r.y), p: rows.map((r) => r.p) }),
        encoding: 'utf8',
      });
      assert.equal(py.status, 0, py.stderr);
      const want = JSON.parse(py.stdout) as Record<string, number>;
      for (const [k, v] of Object.entries(want)) assert.ok(Math.abs(w.metrics![k]! - v) < 1e-9, `${w.window} ${k}: ${w.metrics![k]} vs sklearn ${v}`);
    }
    assert.equal(report.windows[2]!.metrics, undefined);
  });

  test('flags the shifted window on x (calibrated threshold), and no clean window', () => {
    const x = report.thresholds.find((t) => t.feature === 'x' && t.statistic === 'jensen_shannon')!;
    assert.equal(x.kind, 'calibrated');
    assert.equal(x.reference!.windows, 100);
    // A distance: threshold = exp(mean + 3σ of its logarithm); a missing share: (mean + 3σ of its root)² − baseline share.
    assert.equal(x.reference!.scale, 'log');
    assert.equal(x.max, Math.max(x.reference!.floor!, Math.exp(x.reference!.scaled_mean! + 3 * x.reference!.scaled_std!)));
    const xMissing = report.thresholds.find((t) => t.feature === 'x' && t.statistic === 'missing_rate')!;
    assert.equal(xMissing.reference!.scale, 'sqrt');
    assert.equal(xMissing.max, Math.max(xMissing.reference!.floor!, (xMissing.reference!.scaled_mean! + 3 * xMissing.reference!.scaled_std!) ** 2 - xMissing.reference!.offset!));
    assert.deepEqual(
      report.alerts.map((a) => [a.window, a.feature ?? a.metric, a.statistic]).filter(([, f]) => f === 'x'),
      [['2025-03-03', 'x', 'jensen_shannon']],
    );
    assert.ok(report.alerts.every((a) => a.window === '2025-03-03'), JSON.stringify(report.alerts.map((a) => a.message)));
    const alert = report.alerts.find((a) => a.feature === 'x')!;
    assert.equal(alert.kind, 'calibrated');
    assert.ok(alert.value > alert.threshold);
    assert.match(alert.message, /^2025-03-03: x drifted from the training data of version 1: Jensen-Shannon distance [\d.]+ is above the calibrated threshold [\d.]+ \(mean \+ 3σ on the log scale over 100 windows of the training data\); the mean moved from -?[\d.]+ to [\d.]+ \(\+1\.\d sd\)\.$/);
    // The categorical input has its own statistics and did not move.
    assert.ok(report.windows[2]!.drift.some((d) => d.feature === 'c' && d.statistic === 'l_infinity' && !d.alert));
  });

  test('puts the promotion on the time axis from the registry history', () => {
    const m = report.markers.find((x) => x.source === 'registry')!;
    assert.equal(m.action, 'promote');
    assert.equal(m.to, 1);
    assert.equal(m.alias, 'production');
  });

  test('a fixed threshold applies when calibration is off, and a metric threshold alerts', async () => {
    fs.writeFileSync(path.join(ws, 'prodml.yaml'), yaml('      window: day\n      drift: {calibrate: false, threshold: 0.3}\n      thresholds: {rmse: {max: 0.2}}'));
    try {
      const r = await monitorModel(session, ws, 'm');
      assert.ok(r.thresholds.filter((t) => t.feature).every((t) => t.kind === 'fixed' && t.max === 0.3));
      const rmse = r.alerts.filter((a) => a.metric === 'rmse');
      assert.deepEqual(rmse.map((a) => [a.window, a.kind, a.threshold]), [
        ['2025-03-01', 'fixed', 0.2],
        ['2025-03-02', 'fixed', 0.2],
      ]);
      assert.match(rmse[0]!.message, /^2025-03-01: rmse is [\d.]+ on 200 labelled predictions, above the fixed threshold 0\.2 \(monitoring\.thresholds\.rmse\.max\)\.$/);
      assert.ok(r.alerts.some((a) => a.window === '2025-03-03' && a.feature === 'x' && a.kind === 'fixed'));
    } finally {
      fs.writeFileSync(path.join(ws, 'prodml.yaml'), yaml('      window: day\n      thresholds: {rmse: {max: 5}}'));
    }
  });

  test('{requests: N} windows chunk the served instances in time order', async () => {
    const r = await monitorModel(session, ws, 'm', { window: { requests: 150 } });
    assert.deepEqual(r.windows.map((w) => [w.window, w.count]), [
      ['#1', 150],
      ['#2', 150],
      ['#3', 150],
      ['#4', 150],
    ]);
  });

  test('prodml monitor exits 1 when an alert fires, 0 when none, 2 for a model it does not know', () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'monitor', ...args, '--workspace', ws], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    const all = cli('m');
    assert.equal(all.status, 1, all.stderr);
    assert.match(all.stdout, /2025-03-03 .* !/);
    assert.match(all.stdout, /✗ 2025-03-03: x drifted/);
    const json = cli('--json');
    assert.equal(json.status, 1, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout).windows.map((w: { window: string }) => w.window), ['2025-03-01', '2025-03-02', '2025-03-03']);
    // Only the clean days: no alert, exit 0.
    fs.renameSync(path.join(logs, 'predictions-2025-03-03-0.jsonl'), path.join(ws, 'day3.jsonl'));
    try {
      const clean = cli('m');
      assert.equal(clean.status, 0, clean.stdout + clean.stderr);
      assert.match(clean.stdout, /No alerts\./);
    } finally {
      fs.renameSync(path.join(ws, 'day3.jsonl'), path.join(logs, 'predictions-2025-03-03-0.jsonl'));
    }
    const since = cli('m', '--since', 'yesterday-ish');
    assert.equal(since.status, 2);
    const bad = cli('nope');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /prodml\.yaml: has no model "nope" to monitor \(models: m\)/);
  });
});
