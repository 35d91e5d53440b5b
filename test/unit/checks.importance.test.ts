/** Feature value against cost: permutation importance on the demo (plus a pure-noise feature), leave-one-out, the chart, the CLI. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { featureImportance, permutationImportance, type ImportanceReport } from '../../src/core/checks';
import { DuckSession } from '../../src/core/data/duckdb';
import { loadProjectConfig } from '../../src/core/project/config';
import { modelConfig } from '../../src/core/project/workspace';
import { loadScorer } from '../../src/core/serve/scorer';
import { loadCheckData, transformInputs } from '../../src/core/checks/datasetColumns';
import { prepareDemoWorkspace } from '../../src/core/demo/prepare';
import { Rng } from '../../src/core/demo/random';
import { openRegistry } from '../../src/core/registry';
import { importanceChart } from '../../src/core/report/importanceCharts';
import { renderSvg } from '../../src/core/report/profileHtml';
import { trainFromConfig } from '../../src/core/train/run';
import { tempDir } from '../helpers/fixtures';

const REPO = path.join(__dirname, '../..');
const ws = path.join(tempDir('prodml-importance-'), 'demo');
let report: ImportanceReport;

/** The demo with a `noise` column (standard normal, seeded) in every training file and among the model's features. */
async function demoWithNoise(dir: string): Promise<void> {
  // 300 rows a month hold out ~700 rows: enough for the noise feature's interval to clear the threshold.
  await prepareDemoWorkspace(dir, { rowsPerMonth: 300 });
  const rng = new Rng(99);
  const trainDir = path.join(dir, 'data/train');
  for (const f of fs.readdirSync(trainDir).filter((x) => x.endsWith('.csv'))) {
    const [header, ...rows] = fs.readFileSync(path.join(trainDir, f), 'utf8').trimEnd().split('\n');
    fs.writeFileSync(path.join(trainDir, f), [`${header},noise`, ...rows.map((r) => `${r},${rng.normal().toFixed(4)}`)].join('\n') + '\n');
  }
  const yaml = path.join(dir, 'prodml.yaml');
  const text = fs.readFileSync(yaml, 'utf8');
  const changed = text.replace('      alcohol_use: one_hot\n', '      alcohol_use: one_hot\n      noise: {transform: standardize, source: a vendor feed, cost: 250}\n');
  assert.notEqual(changed, text, 'the demo prodml.yaml lists alcohol_use as this test expects');
  fs.writeFileSync(yaml, changed);
}

before(async () => {
  await demoWithNoise(ws);
  await trainFromConfig(ws, 'baby_weight');
  const phases: number[] = [];
  report = await featureImportance(ws, 'baby_weight', { leaveOneOut: true, looSeeds: 2, onProgress: (p) => phases.push(p.fraction) });
  assert.ok(phases.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= phases[i - 1]! - 1e-12)), 'progress only moves forward within 0..1');
  assert.equal(phases.at(-1), 1);
});

describe('featureImportance', () => {
  test('ranks gestation_weeks first; the pure-noise feature is not worth its cost, cigarette_use is not called worthless', () => {
    assert.equal(report.metric, 'rmse');
    assert.equal(report.direction, 'lower');
    assert.equal(report.features[0]!.feature, 'gestation_weeks');
    const top = report.features[0]!.permutation;
    assert.ok(top.mean > 10 * top.sd && top.mean > 0.3, `gestation_weeks: ${top.mean} ± ${top.sd}`);
    const noise = report.features.find((f) => f.feature === 'noise')!;
    assert.ok(Math.abs(noise.permutation.mean) < top.mean / 50, `noise: ${noise.permutation.mean}`);
    assert.equal(noise.verdict, 'not worth its cost');
    assert.ok(noise.ci_high < report.threshold && noise.ci_low <= noise.importance && noise.importance <= noise.ci_high, `noise: ${noise.importance} [${noise.ci_low}, ${noise.ci_high}] vs ${report.threshold}`);
    assert.equal(report.features[0]!.verdict, 'worth its cost');
    // The generator gives smoking a real −0.45 lb effect: never "not worth its cost" on this much data.
    const cig = report.features.find((f) => f.feature === 'cigarette_use')!;
    assert.notEqual(cig.verdict, 'not worth its cost', cig.note);
    assert.ok(cig.ci_high > report.threshold, `cigarette_use: [${cig.ci_low}, ${cig.ci_high}]`);
    if (cig.verdict === "can't tell with this much data") assert.ok(cig.rows_to_decide! > report.rows, cig.note);
    // The JSON per feature: feature, importance, ci_low, ci_high, verdict.
    for (const f of report.features) {
      assert.equal(f.importance, f.permutation.mean);
      assert.ok(f.ci_low <= f.ci_high);
      assert.ok(['worth its cost', 'not worth its cost', "can't tell with this much data"].includes(f.verdict));
      const decided = f.ci_low > report.threshold || f.ci_high < report.threshold;
      assert.equal(decided, f.verdict !== "can't tell with this much data", f.feature);
    }
    assert.equal(noise.cost.cost, 250);
    assert.equal(noise.cost.source, 'a vendor feed');
    assert.match(noise.note, /not worth its cost/);
    const yaml = fs.readFileSync(path.join(ws, 'prodml.yaml'), 'utf8');
    assert.equal(noise.location?.line, yaml.split('\n').findIndex((l) => l.trimStart().startsWith('noise:')) + 1);
    // Each repeat's drop is kept; mean and sd are theirs.
    for (const f of report.features) {
      const d = f.permutation.repeats;
      assert.equal(d.length, report.repeats);
      const mean = d.reduce((a, b) => a + b, 0) / d.length;
      assert.ok(Math.abs(mean - f.permutation.mean) < 1e-12);
    }
  });

  test('missing rates are those of the training split', () => {
    const cig = report.features.find((f) => f.feature === 'cigarette_use')!.cost;
    assert.ok(cig.missing > 0 && cig.missing_rate === cig.missing / cig.rows);
    assert.equal(report.features.find((f) => f.feature === 'gestation_weeks')!.cost.missing, 0);
    assert.deepEqual(
      cig.files.map((f) => f.split('/')[1]),
      cig.files.map(() => 'train'),
    );
  });

  test('the same seed gives the same importances', async () => {
    const again = await featureImportance(ws, 'baby_weight', { version: 1 });
    assert.deepEqual(
      again.features.map((f) => [f.feature, f.permutation.repeats]),
      report.features.map((f) => [f.feature, f.permutation.repeats]),
    );
  });

  test('shuffles through typed columns give the same drops as through row objects', async () => {
    const project = (await loadProjectConfig(ws))!;
    const m = modelConfig(project, 'baby_weight');
    const version = await (await openRegistry(ws)).getVersion('baby_weight', 1);
    const session = await DuckSession.open({ allowedDirectories: [ws] });
    const scorer = await loadScorer(version);
    try {
      const split = await loadCheckData(session, project, m);
      const data = { labels: split.labels, eval: split.eval, inputs: await transformInputs(session, split, m, scorer.transforms) };
      assert.ok(scorer.scoreColumns, 'the demo model scores typed columns');
      const opts = { repeats: 3, seed: 5, groups: [{ features: ['is_male', 'plurality'], min_correlation: 0.5 }] };
      const columns = permutationImportance(scorer, version, m, data, opts);
      const rows = permutationImportance({ ...scorer, scoreColumns: undefined }, version, m, data, opts);
      assert.equal(columns.base, rows.base);
      assert.deepEqual(columns.features, rows.features);
      assert.deepEqual(columns.groups, rows.groups);
      // Not a comparison of nothing: shuffling the strongest input costs something.
      assert.ok(Math.max(...Object.values(columns.features).map((f) => f.mean)) > 0.05);
    } finally {
      session.close();
      scorer.dispose();
    }
  });

  test('leave-one-out retrains with every feature exactly as training did, and without each', async () => {
    const v = await (await openRegistry(ws)).getVersion('baby_weight', 1);
    assert.ok(report.leave_one_out);
    // Same config, split, seed and backend: the full retrain reproduces the registered version's metric.
    assert.ok(Math.abs(report.leave_one_out.full - v.card.metrics['rmse']!) < 1e-6, `${report.leave_one_out.full} vs ${v.card.metrics['rmse']}`);
    for (const f of report.features) assert.ok(f.leave_one_out && Number.isFinite(f.leave_one_out.metric), f.feature);
    const byDrop = [...report.features].sort((a, b) => b.leave_one_out!.drop - a.leave_one_out!.drop);
    assert.equal(byDrop[0]!.feature, 'gestation_weeks');
    assert.ok(byDrop[0]!.leave_one_out!.drop > 0.2);
    const noise = report.features.find((f) => f.feature === 'noise')!;
    assert.ok(Math.abs(noise.leave_one_out!.drop) < 0.05, `without noise: ${noise.leave_one_out!.drop}`);
    // Intervals across the seeds and the held-out rows: gestation's lies wholly above zero, noise's contains it.
    assert.deepEqual(report.leave_one_out.seeds, [42, 43]);
    const g = byDrop[0]!.leave_one_out!;
    assert.equal(g.seeds.length, 2);
    assert.ok(Math.abs(g.drop - (g.seeds[0]! + g.seeds[1]!) / 2) < 1e-12);
    assert.ok(g.ci_low > 0, `gestation_weeks retrained-without interval [${g.ci_low}, ${g.ci_high}]`);
    assert.ok(noise.leave_one_out!.ci_low < 0.01 && noise.leave_one_out!.ci_high > -0.01, `noise: [${noise.leave_one_out!.ci_low}, ${noise.leave_one_out!.ci_high}]`);
  });

  test('the chart renders: bars, error bars, leave-one-out marks and cost', async () => {
    const svg = await renderSvg(importanceChart(report));
    assert.match(svg, /^<svg/);
    for (const f of report.features) assert.ok(svg.includes(f.feature), f.feature);
    assert.ok(svg.includes('missing rate'));
    assert.ok(svg.includes('cost 250'));
  });

  test('CLI: table, --json, exit 0; a missing version or alias is exit 2', () => {
    const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/cli/main.ts'), 'check', 'importance', ...args, '--workspace', ws], { cwd: REPO, encoding: 'utf8' });
    const text = run(['baby_weight', '--repeats', '2']);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /gestation_weeks/);
    assert.match(text.stdout, /! prodml\.yaml:\d+: Shuffling noise/);
    assert.match(text.stdout, /feature +importance +95% interval/);
    const json = run(['--json', '--repeats', '2']);
    assert.equal(json.status, 0, json.stderr);
    assert.equal((JSON.parse(json.stdout) as ImportanceReport).features.length, 8);
    const bad = run(['baby_weight:9']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /baby_weight/);
    const pinned = run(['baby_weight@nope']);
    assert.equal(pinned.status, 2);
  });
});
