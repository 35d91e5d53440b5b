/** Comparing two registered versions: deltas, directions, slices, the held-out split, charts, CLI. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckSession } from '../../src/core/data/duckdb';
import { openSource } from '../../src/core/data/source';
import { prepareDemoWorkspace } from '../../src/core/demo/prepare';
import { betterOf, compareVersions, heldOutSource, type VersionComparison } from '../../src/core/evaluate/compareVersions';
import { evaluateVersion } from '../../src/core/evaluate/evaluateVersion';
import { loadProjectConfig } from '../../src/core/project/config';
import { openRegistry } from '../../src/core/registry';
import type { ModelVersion } from '../../src/core/registry/types';
import { compareMetricsChart, compareSliceDeltaChart } from '../../src/core/report/compareCharts';
import { renderSvg } from '../../src/core/report/profileHtml';
import { trainFromConfig, type TrainOutcome } from '../../src/core/train/run';
import { tempDir } from '../helpers/fixtures';

const REPO = path.join(__dirname, '../..');
const ws = path.join(tempDir('prodml-compare-'), 'demo');
const NEW_MONTH = 'data/incoming/natality-2025-02.csv';
let v1: ModelVersion;
let v2: ModelVersion;
let trained: TrainOutcome[];
let session: DuckSession;

before(async () => {
  await prepareDemoWorkspace(ws, { rowsPerMonth: 200 });
  const yaml = path.join(ws, 'prodml.yaml');
  const first = await trainFromConfig(ws, 'baby_weight');
  // The second version: a linear model trained briefly, so most metrics differ from the DNN's.
  const text = fs.readFileSync(yaml, 'utf8');
  const changed = text.replace('model: {type: dnn, hidden: [32, 16]}', 'model: {type: linear}').replace('epochs: 15', 'epochs: 3');
  assert.notEqual(changed, text, 'the demo prodml.yaml has the model line this test edits');
  fs.writeFileSync(yaml, changed);
  const second = await trainFromConfig(ws, 'baby_weight');
  trained = [first, second];
  const registry = await openRegistry(ws);
  v1 = await registry.getVersion('baby_weight', 1);
  v2 = await registry.getVersion('baby_weight', 2);
  session = await DuckSession.open({ allowedDirectories: [ws] });
});

after(() => session?.close());

describe('compareVersions', () => {
  test('deltas are the difference of two evaluateVersion runs on the same data, overall and per slice', async () => {
    const data = await openSource(NEW_MONTH, ws);
    const c = await compareVersions(session, v1, v2, data, { slices: ['plurality', 'cigarette_use'] });
    const e1 = await evaluateVersion(session, v1, data, { slices: ['plurality', 'cigarette_use'] });
    const e2 = await evaluateVersion(session, v2, data, { slices: ['plurality', 'cigarette_use'] });
    assert.equal(c.rows, e1.rows);
    assert.deepEqual(
      c.metrics.map((m) => m.metric),
      Object.keys(e1.overall.metrics),
    );
    for (const m of c.metrics) {
      const a = (e1.overall.metrics as Record<string, number>)[m.metric]!;
      const b = (e2.overall.metrics as Record<string, number>)[m.metric]!;
      assert.equal(m.a, a, m.metric);
      assert.equal(m.b, b, m.metric);
      assert.equal(m.delta, b - a, m.metric);
    }
    assert.ok(c.metrics.some((m) => m.delta !== 0), 'two different models score differently');
    assert.equal(c.key_metric, 'rmse', "the cards' key metric");
    const rmse = c.metrics.find((m) => m.metric === 'rmse')!;
    assert.equal(rmse.direction, 'lower');
    assert.equal(rmse.better, rmse.b < rmse.a ? 'b' : 'a');
    const r2 = c.metrics.find((m) => m.metric === 'r2')!;
    assert.equal(r2.direction, 'higher');
    assert.equal(r2.better, r2.b > r2.a ? 'b' : 'a');
    // RMSE and R² are computed from the same squared errors: whichever wins one wins the other.
    assert.equal(rmse.better, r2.better);
    const bias = c.metrics.find((m) => m.metric === 'mean_residual')!;
    assert.equal(bias.better, Math.abs(bias.b) < Math.abs(bias.a) ? 'b' : 'a');

    const plurality = c.slices.filter((s) => s.slice === 'plurality');
    assert.deepEqual(
      plurality.map((s) => [s.value, s.rows]),
      e1.slices[0]!.slices.map((s) => [s.value, s.rows]),
    );
    for (const s of c.slices) {
      const col = e1.slices.findIndex((x) => x.column === s.slice);
      const s1 = e1.slices[col]!.slices.find((x) => x.value === s.value)!;
      const s2 = e2.slices[col]!.slices.find((x) => x.value === s.value)!;
      const m = s.metrics.find((x) => x.metric === 'rmse')!;
      const rmseOf = (x: typeof s1) => (x.evaluation!.metrics as Record<string, number>)['rmse']!;
      assert.equal(m.delta, rmseOf(s2) - rmseOf(s1));
      assert.equal(s.small, s1.small);
    }
  });

  test('better reads each metric in its own direction', () => {
    assert.equal(betterOf('rmse', 1.2, 1.1), 'b');
    assert.equal(betterOf('log_loss', 0.3, 0.4), 'a');
    assert.equal(betterOf('auc', 0.8, 0.85), 'b');
    assert.equal(betterOf('accuracy', 0.9, 0.8), 'a');
    assert.equal(betterOf('mean_residual', -0.05, 0.1), 'a');
    assert.equal(betterOf('mean_residual', 0.2, -0.1), 'b');
    assert.equal(betterOf('mean_residual', 0.1, -0.1), 'same');
    assert.equal(betterOf('f1', 0.5, 0.5), 'same');
    assert.equal(betterOf('auc', Number.NaN, 0.7), 'same');
  });

  test('versions of different models are refused', async () => {
    const other = { ...v2, model: 'other_model' };
    await assert.rejects(compareVersions(session, v1, other, await openSource(NEW_MONTH, ws)), /compare two versions of one model/);
  });

  test("the held-out split is the training run's: the same rows and the same metrics as the lineage card", async () => {
    const project = (await loadProjectConfig(ws))!;
    const m = project.models.find((x) => x.name === 'baby_weight')!;
    const held = await heldOutSource(session, project, m, [v1, v2]);
    assert.equal(held.rows, trained[1]!.rows.eval);
    assert.deepEqual(held.notes, []);
    assert.match(held.source.display, /held-out split of data\/train\/\*\.csv \(by time on event_date, 20%, seed 42\)/);
    const c = await compareVersions(session, v1, v2, held.source);
    assert.equal(c.rows, trained[0]!.rows.eval);
    // Scored from the saved files on the reproduced rows, each version gets the metrics it was
    // registered with, to float32 precision (the model's outputs are float32).
    for (const [side, v] of [['a', v1], ['b', v2]] as const) {
      for (const [metric, value] of Object.entries(v.card.metrics)) {
        const got = (c[side].report.overall.metrics as Record<string, number>)[metric]!;
        assert.ok(Math.abs(got - value) <= 1e-6 * Math.max(1, Math.abs(value)), `${v.model}:${v.version} ${metric}: ${got} vs card ${value}`);
      }
    }
  });
});

describe('compare charts', () => {
  let c: VersionComparison;
  before(async () => {
    c = await compareVersions(session, v1, v2, await openSource(NEW_MONTH, ws), { slices: ['plurality'] });
  });

  test('metrics as bars, a row and an axis per metric, a bar per version and finite metric', async () => {
    const spec = compareMetricsChart(c, 400) as { data: { values: { metric: string; version: string; value: number }[] } };
    const finite = c.metrics.filter((m) => Number.isFinite(m.a)).length + c.metrics.filter((m) => Number.isFinite(m.b)).length;
    assert.equal(spec.data.values.length, finite);
    assert.deepEqual([...new Set(spec.data.values.map((v) => v.version))], ['baby_weight:1', 'baby_weight:2']);
    const svg = await renderSvg(compareMetricsChart(c, 400));
    assert.match(svg, /^<svg/);
    for (const m of ['RMSE', 'MAE', 'R²']) assert.ok(svg.includes(`>${m}<`), `${m} labelled in the SVG`);
    // One axis per metric: RMSE (pounds) and R² (a fraction) never share a scale.
    assert.deepEqual((compareMetricsChart(c, 400) as { resolve?: unknown }).resolve, { scale: { x: 'independent' } });
  });

  test('per-slice deltas, coloured by which version is better', async () => {
    const spec = compareSliceDeltaChart(c, 'rmse', 400) as { data: { values: { slice: string; delta: number; outcome: string }[] } };
    const plurality = c.slices.filter((s) => s.slice === 'plurality');
    assert.deepEqual(
      spec.data.values.map((v) => v.slice),
      plurality.map((s) => `plurality = ${s.value}`),
    );
    for (const [i, v] of spec.data.values.entries()) {
      const m = plurality[i]!.metrics.find((x) => x.metric === 'rmse')!;
      assert.equal(v.delta, m.delta);
      assert.equal(v.outcome, v.delta < 0 ? 'better' : v.delta > 0 ? 'worse' : 'same');
    }
    const svg = await renderSvg(compareSliceDeltaChart(c, 'rmse', 400));
    assert.match(svg, /^<svg/);
    assert.ok(svg.includes('plurality = 1'));
  });
});

describe('prodml models compare', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/cli/main.ts'), 'models', 'compare', ...args, '--workspace', ws], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });

  test('--json on the held-out split by default, with the deltas and slices of prodml.yaml', () => {
    const r = cli('baby_weight', '1', 'latest', '--json');
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.a.version, 1);
    assert.equal(doc.b.version, 2);
    assert.equal(doc.rows, trained[0]!.rows.eval);
    assert.match(doc.data, /held-out split/);
    const rmse = doc.metrics.find((m: { metric: string }) => m.metric === 'rmse');
    assert.equal(rmse.delta, rmse.b - rmse.a);
    assert.ok(Math.abs(rmse.a - v1.card.metrics['rmse']!) < 1e-6);
    assert.deepEqual([...new Set(doc.slices.map((s: { slice: string }) => s.slice))], ['plurality', 'cigarette_use']);
  });

  test('text with --data: a table of metrics, the better version, and per-slice deltas', () => {
    const r = cli('baby_weight', '2', '1', '--data', path.join(ws, NEW_MONTH), '--slice', 'plurality');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^baby_weight:2 vs baby_weight:1 on .*natality-2025-02\.csv: 200 rows\n/);
    assert.match(r.stdout, /METRIC\s+V2\s+V1\s+DELTA \(1 - 2\)\s+BETTER/);
    assert.match(r.stdout, /\n {2}rmse\s+\S+\s+\S+\s+[+-]?\S+\s+(1|2|=)\n/);
    assert.match(r.stdout, /by plurality:/);
  });

  test('an unknown version is a clear error (exit 2)', () => {
    const r = cli('baby_weight', '1', '9');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /9/);
  });
});
