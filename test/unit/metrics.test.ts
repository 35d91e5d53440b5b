import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { mulberry32 } from '../../src/core/demo/random';
import { fitBaseline } from '../../src/core/evaluate/baseline';
import { bless } from '../../src/core/evaluate/blessing';
import { evaluatePredictions } from '../../src/core/evaluate/evaluation';
import { computeMetrics, probabilityRows, residualsByInput, type InputValue, type TaskData, type TaskEvaluation } from '../../src/core/evaluate/metrics';
import { tempDir } from '../helpers/fixtures';

// Debian's python has sklearn; the python first on PATH does not.
const PYTHON = '/usr/bin/python3';
const REFERENCE = path.join(__dirname, '../reference/metrics_reference.py');

type Ref = Record<string, unknown>;

/** Deterministic draws: uniform and Gaussian from the demo's seeded generator. */
function draws(seed: number) {
  const u = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  return { u, normal };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Some rows weigh 0 (sklearn drops them from ranking metrics), the rest 0.1–3. */
function weightsFor(n: number, seed: number): number[] {
  const { u } = draws(seed);
  return Array.from({ length: n }, () => (u() < 0.05 ? 0 : 0.1 + 2.9 * u()));
}

const REGIONS = ['north', 'south', 'east', 'west', 'island'];
/** A slice column with one tiny slice (island) and a few missing values. */
function regionsFor(n: number, seed: number): (string | null)[] {
  const { u } = draws(seed);
  return Array.from({ length: n }, (_, i) => (i < 12 ? 'island' : u() < 0.02 ? null : REGIONS[Math.floor(u() * 4)]!));
}

function regressionData(n: number, seed: number) {
  const { u, normal } = draws(seed);
  const x: (number | null)[] = [];
  const labels: number[] = [];
  const predictions: number[] = [];
  for (let i = 0; i < n; i++) {
    const xi = u() < 0.05 ? null : i === 0 ? 10 : Math.round(u() * 100) / 10; // edges hit exactly
    x.push(xi);
    const v = xi ?? 5;
    labels.push(3 + 2 * v + 1.5 * normal() + (v > 7 ? 2 : 0));
    predictions.push(3.2 + 2.1 * v + 0.3 * normal());
  }
  return { labels, predictions, x };
}

function continuousBinary(n: number, seed: number) {
  const { u, normal } = draws(seed);
  const labels: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const z = normal();
    labels.push(u() < sigmoid(1.5 * z) ? 1 : 0);
    scores.push(sigmoid(1.2 * z + 0.4 * normal()));
  }
  return { labels, scores };
}

/** Scores rounded to 2 decimals (heavy ties, many exactly on 0.5 and on bin edges) plus exact 0s and 1s. */
function tiedBinary(n: number, seed: number) {
  const { u, normal } = draws(seed);
  const labels: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < n; i++) {
    const z = normal();
    const y = u() < sigmoid(1.2 * z) ? 1 : 0;
    labels.push(y);
    const r = u();
    scores.push(r < 0.03 ? 0 : r < 0.06 ? 1 : Math.round(sigmoid(z + 0.5 * normal()) * 100) / 100);
  }
  return { labels, scores };
}

function multiclassData(n: number, seed: number, k = 4) {
  const { u, normal } = draws(seed);
  const labels: number[] = [];
  const probabilities: number[][] = [];
  const softmax = (z: number[]) => {
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  };
  for (let i = 0; i < n; i++) {
    const signal = Array.from({ length: k }, (_, j) => 0.3 * j + 1.2 * normal());
    const truth = softmax(signal);
    let c = 0;
    for (let acc = truth[0]!, r = u(); r >= acc && c < k - 1; ) acc += truth[++c]!;
    labels.push(c);
    const r = u();
    if (r < 0.01) probabilities.push(Array.from({ length: k }, () => 1 / k)); // argmax tie
    else if (r < 0.02) probabilities.push(Array.from({ length: k }, (_, j) => (j === Math.floor(u() * k) ? 1 : 0))); // exact 0s and a 1
    else probabilities.push(softmax(signal.map((s) => s + 0.6 * normal())));
  }
  return { labels, probabilities };
}

interface Case {
  id: string;
  data: TaskData;
  threshold?: number;
  inputs?: Record<string, InputValue[]>;
}

const cases: Case[] = [];
const refs = new Map<string, Ref>();
const evaluations = new Map<string, TaskEvaluation>();

function addCase(c: Case): void {
  cases.push(c);
}

/** Worst |ours − sklearn| and relative difference per metric, reported at the end. */
const worst = new Map<string, { abs: number; rel: number; checks: number }>();

function close(metric: string, actual: number, expected: unknown, where: string): void {
  if (expected === null || expected === undefined) {
    assert.ok(Number.isNaN(actual), `${where} ${metric}: ${actual}, sklearn has no value`);
    return;
  }
  assert.equal(typeof expected, 'number', `${where} ${metric}: reference gave ${JSON.stringify(expected)}`);
  const e = expected as number;
  const abs = Math.abs(actual - e);
  const rel = e !== 0 ? abs / Math.abs(e) : abs;
  const w = worst.get(metric) ?? { abs: 0, rel: 0, checks: 0 };
  worst.set(metric, { abs: Math.max(w.abs, abs), rel: Math.max(w.rel, rel), checks: w.checks + 1 });
  // Relative 1e-9; a value near 0 (a mean residual, an R² of a baseline) is held to 1e-12 absolute.
  const ok = rel <= 1e-9 || (Math.abs(e) < 1e-3 && abs <= 1e-12);
  assert.ok(ok, `${where} ${metric}: ${actual} vs sklearn ${e} (abs ${abs}, rel ${rel})`);
}

function closeArrays(metric: string, actual: readonly number[], expected: unknown, where: string): void {
  const e = expected as (number | null)[];
  assert.equal(actual.length, e.length, `${where} ${metric}: length ${actual.length} vs ${e.length}`);
  actual.forEach((a, i) => close(metric, a, e[i], `${where}[${i}]`));
}

function caseJson(c: Case): Record<string, unknown> {
  const d = c.data;
  const base = { id: c.id, kind: d.task, y: Array.from(d.labels), w: d.weights ? Array.from(d.weights) : null };
  if (d.task === 'regression') return { ...base, pred: Array.from(d.predictions), inputs: c.inputs ?? {} };
  if (d.task === 'binary') return { ...base, score: Array.from(d.scores), threshold: c.threshold ?? 0.5, n_bins: 10 };
  return { ...base, proba: d.probabilities.map((r) => Array.from(r)) };
}

function checkAgainstReference(c: Case): void {
  const ref = refs.get(c.id)!;
  const ev = evaluations.get(c.id)!;
  for (const [metric, value] of Object.entries(ev.metrics)) close(metric, value, ref[metric], c.id);
  if (ev.task === 'regression') {
    assert.deepEqual(ev.residuals.histogram.counts, ref['hist_counts'], `${c.id} residual histogram counts`);
    closeArrays('residual histogram edges', ev.residuals.histogram.edges, ref['hist_edges'], c.id);
    closeArrays('residual quantiles', Object.values(ev.residuals.quantiles), ref['quantiles'], c.id);
  } else if (ev.task === 'binary') {
    const cal = ref['calibration'] as Record<string, number[]>;
    assert.deepEqual(
      ev.calibration.map((b) => b.count),
      cal['count'],
      `${c.id} calibration bin counts`,
    );
    closeArrays('calibration edges', ev.calibration.map((b) => b.lower), cal['lower'], c.id);
    closeArrays('calibration mean_predicted', ev.calibration.map((b) => b.mean_predicted), cal['mean_predicted'], c.id);
    closeArrays('calibration observed_rate', ev.calibration.map((b) => b.observed_rate), cal['observed_rate'], c.id);
    const sk = ref['calibration_sklearn'] as Record<string, number[]> | undefined;
    if (sk) {
      closeArrays('calibration_curve prob_pred', ev.calibration.map((b) => b.mean_predicted), sk['mean_predicted'], c.id);
      closeArrays('calibration_curve prob_true', ev.calibration.map((b) => b.observed_rate), sk['observed_rate'], c.id);
    }
  } else {
    const cm = ref['confusion_matrix'] as number[][];
    ev.confusion_matrix.forEach((row, i) => closeArrays('confusion_matrix', row, cm[i], `${c.id} row ${i}`));
  }
}

// ---- the cases: realistic sizes, with and without weights, plus edge cases -------------------

const reg = regressionData(50_000, 1);
const regCities = regionsFor(50_000, 2);
for (const weighted of [false, true]) {
  const id = `regression${weighted ? ' weighted' : ''}`;
  addCase({ id, data: { task: 'regression', ...reg, weights: weighted ? weightsFor(50_000, 3) : undefined }, inputs: { x: reg.x, region: regCities } });
}
const cont = continuousBinary(100_000, 4);
const tied = tiedBinary(50_000, 5);
for (const weighted of [false, true]) {
  const sfx = weighted ? ' weighted' : '';
  addCase({ id: `binary continuous${sfx}`, data: { task: 'binary', ...cont, weights: weighted ? weightsFor(100_000, 6) : undefined } });
  addCase({ id: `binary ties and 0/1 scores${sfx}`, data: { task: 'binary', ...tied, weights: weighted ? weightsFor(50_000, 7) : undefined } });
  addCase({ id: `binary ties at threshold 0.3${sfx}`, threshold: 0.3, data: { task: 'binary', ...tied, weights: weighted ? weightsFor(50_000, 7) : undefined } });
}
const multi = multiclassData(30_000, 8);
for (const weighted of [false, true]) {
  addCase({ id: `multiclass K=4${weighted ? ' weighted' : ''}`, data: { task: 'multiclass', ...multi, weights: weighted ? weightsFor(30_000, 9) : undefined } });
}
// Edge cases: one class (no ROC AUC), nothing predicted positive, constant scores, a class that
// occurs nowhere (left out of macro F1), constant labels (R² conventions).
addCase({ id: 'binary all negative', data: { task: 'binary', labels: [0, 0, 0, 0, 0], scores: [0.1, 0.7, 0.7, 0.2, 1] } });
addCase({ id: 'binary all positive weighted', data: { task: 'binary', labels: [1, 1, 1], scores: [0.2, 0.9, 0.4], weights: [1, 2, 0.5] } });
addCase({ id: 'binary none predicted positive', data: { task: 'binary', labels: [0, 1, 0, 1], scores: [0.1, 0.2, 0.3, 0.4] } });
addCase({ id: 'binary constant score', data: { task: 'binary', labels: [0, 1, 1, 0, 1], scores: [0.5, 0.5, 0.5, 0.5, 0.5] } });
addCase({
  id: 'multiclass absent class',
  data: { task: 'multiclass', labels: [0, 1, 2, 1, 0, 2], probabilities: [[0.7, 0.1, 0.2, 0], [0.2, 0.5, 0.3, 0], [0.1, 0.1, 0.8, 0], [0.6, 0.3, 0.1, 0], [0.3, 0.3, 0.4, 0], [0, 0, 1, 0]] },
});
addCase({ id: 'regression constant label, exact', data: { task: 'regression', labels: [2, 2, 2], predictions: [2, 2, 2] } });
addCase({ id: 'regression constant label, off', data: { task: 'regression', labels: [2, 2, 2], predictions: [2, 2.5, 1] } });

// Slices: each slice's metrics also go to sklearn as a case of their own.
const tiedWeights = weightsFor(50_000, 7);
const tiedRegions = regionsFor(50_000, 10);
const multiRegions = regionsFor(30_000, 11);
const sliceCases: { id: string; data: TaskData; column: (string | null)[] }[] = [
  { id: 'binary slices', data: { task: 'binary', ...tied, weights: tiedWeights }, column: tiedRegions },
  { id: 'multiclass slices', data: { task: 'multiclass', ...multi }, column: multiRegions },
];
function subsetOf(data: TaskData, keep: (i: number) => boolean): TaskData {
  const rows = Array.from(data.labels, (_, i) => i).filter(keep);
  const pick = (a: ArrayLike<number>) => rows.map((i) => a[i]!);
  const weights = data.weights ? pick(data.weights) : undefined;
  if (data.task === 'regression') return { task: 'regression', labels: pick(data.labels), predictions: pick(data.predictions), weights };
  if (data.task === 'binary') return { task: 'binary', labels: pick(data.labels), scores: pick(data.scores), weights };
  return { task: 'multiclass', labels: pick(data.labels), probabilities: rows.map((i) => data.probabilities[i]!), weights };
}
for (const s of sliceCases) {
  for (const value of [...REGIONS, null]) addCase({ id: `${s.id} region=${value}`, data: subsetOf(s.data, (i) => s.column[i] === value) });
}

// Baselines fitted on "training" labels, scored on the evaluation rows; sklearn sees the constants.
const regTrain = regressionData(20_000, 12);
const binTrain = tiedBinary(20_000, 13);
const multiTrain = multiclassData(20_000, 14);
const baselines = {
  regression: fitBaseline('regression', regTrain.labels),
  binary: fitBaseline('binary', binTrain.labels),
  multiclass: fitBaseline('multiclass', multiTrain.labels, undefined, 4),
};
const regressionBaselineMean = baselines.regression.task === 'regression' ? baselines.regression.mean : NaN;
const binaryBaseRate = baselines.binary.task === 'binary' ? baselines.binary.positive_rate : NaN;
const priors = baselines.multiclass.task === 'multiclass' ? baselines.multiclass.priors : [];
addCase({ id: 'regression baseline', data: { task: 'regression', labels: reg.labels, predictions: reg.labels.map(() => regressionBaselineMean) } });
addCase({ id: 'binary baseline', data: { task: 'binary', labels: tied.labels, scores: tied.labels.map(() => binaryBaseRate), weights: tiedWeights } });
addCase({ id: 'multiclass baseline', data: { task: 'multiclass', labels: multi.labels, probabilities: multi.labels.map(() => priors) } });

before(() => {
  const dir = tempDir('prodml-metrics-');
  const file = path.join(dir, 'cases.json');
  fs.writeFileSync(file, JSON.stringify(cases.map(caseJson)));
  const r = spawnSync(PYTHON, [REFERENCE, file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Ref[];
  cases.forEach((c, i) => {
    refs.set(c.id, out[i]!);
    evaluations.set(c.id, computeMetrics(c.data, { threshold: c.threshold }));
  });
});

describe('metrics match scikit-learn 1.2 on the same predictions', () => {
  for (const c of cases) test(c.id, () => checkAgainstReference(c));

  test('residuals by input (numeric bins and categories, with missing values) match numpy/pandas', () => {
    for (const c of cases.filter((c) => c.inputs)) {
      const ref = refs.get(c.id)!['inputs'] as Record<string, Record<string, unknown>[]>;
      for (const [name, values] of Object.entries(c.inputs!)) {
        const ours = residualsByInput(c.data as Extract<TaskData, { task: 'regression' }>, name, values);
        const theirs = [...ref[name]!];
        if (ours.kind === 'categorical') theirs.sort((a, b) => (b['count'] as number) - (a['count'] as number) || String(a['label']).localeCompare(String(b['label'])));
        const missingLast = (bins: Record<string, unknown>[]) => [...bins.filter((b) => b['label'] !== '(missing)'), ...bins.filter((b) => b['label'] === '(missing)')];
        const expected = missingLast(theirs);
        assert.equal(ours.bins.length, expected.length, `${c.id} ${name}: bins`);
        ours.bins.forEach((bin, i) => {
          const e = expected[i]!;
          const where = `${c.id} ${name} bin ${bin.label}`;
          assert.equal(bin.count, e['count'], `${where}: count`);
          if (e['label'] !== undefined) assert.equal(bin.label, e['label'], where);
          if (e['lower'] !== undefined) {
            close('input bin edges', bin.lower!, e['lower'], where);
            close('input bin edges', bin.upper!, e['upper'], where);
          }
          if (bin.count > 0) close('input bin mean_residual', bin.mean_residual, e['mean_residual'], where);
        });
      }
    }
  });
});

describe('slices', () => {
  for (const s of sliceCases) {
    test(`${s.id}: every metric per slice value equals the metrics of that subset`, () => {
      const report = evaluatePredictions(s.data, { slices: { region: s.column }, minSliceRows: 30 });
      const [column] = report.slices;
      assert.equal(column!.column, 'region');
      assert.deepEqual(report.overall, computeMetrics(s.data));
      assert.equal(column!.slices.reduce((a, x) => a + x.rows, 0), s.data.labels.length, 'every row is in one slice');
      for (const slice of column!.slices) {
        const id = `${s.id} region=${slice.value}`;
        const subset = cases.find((c) => c.id === id)!;
        assert.equal(slice.rows, subset.data.labels.length, `${id}: rows`);
        assert.equal(slice.small, slice.rows < 30, `${id}: small flag`);
        assert.deepEqual(slice.evaluation, computeMetrics(subset.data), `${id}: same as evaluating the subset alone`);
        checkAgainstReference(subset);
      }
      const island = column!.slices.find((x) => x.value === 'island')!;
      assert.ok(island.small && island.rows === 12, 'the 12-row slice is reported and flagged');
      assert.equal(column!.slices[column!.slices.length - 1]!.value, 'island', 'largest slices first');
      assert.ok(column!.slices.some((x) => x.value === null), 'rows without a value form their own slice');
    });
  }
});

describe('naive baselines', () => {
  test('regression predicts the training mean', () => {
    const report = evaluatePredictions({ task: 'regression', ...reg }, { baseline: baselines.regression });
    assert.equal(report.baseline.fitted_on, 'training');
    const ref = refs.get('regression baseline')!;
    for (const row of report.comparison) {
      close(row.metric, row.baseline, ref[row.metric], 'regression baseline');
      assert.equal(row.model, report.overall.metrics[row.metric as keyof typeof report.overall.metrics]);
    }
    assert.ok(report.comparison.find((r) => r.metric === 'rmse')!.model < report.comparison.find((r) => r.metric === 'rmse')!.baseline);
  });

  test('binary scores every row with the training base rate', () => {
    const report = evaluatePredictions({ task: 'binary', ...tied, weights: tiedWeights }, { baseline: baselines.binary });
    const ref = refs.get('binary baseline')!;
    for (const row of report.comparison) close(row.metric, row.baseline, ref[row.metric], 'binary baseline');
    const b = report.baseline.metrics as Record<string, number>;
    assert.equal(b['auc'], 0.5, 'a constant score ranks nothing');
    // The weighted positive rate of the evaluation rows is the precision of predicting all positive.
    let wp = 0;
    let wt = 0;
    tied.labels.forEach((y, i) => ((wp += y * tiedWeights[i]!), (wt += tiedWeights[i]!)));
    close('baseline pr_auc = positive rate', b['pr_auc']!, wp / wt, 'binary baseline');
  });

  test('multiclass predicts the majority class with the training priors', () => {
    const report = evaluatePredictions({ task: 'multiclass', ...multi }, { baseline: baselines.multiclass });
    const ref = refs.get('multiclass baseline')!;
    for (const row of report.comparison) close(row.metric, row.baseline, ref[row.metric], 'multiclass baseline');
    const majority = priors.indexOf(Math.max(...priors));
    const share = multi.labels.filter((y) => y === majority).length / multi.labels.length;
    close('baseline accuracy = majority share', (report.baseline.metrics as Record<string, number>)['accuracy']!, share, 'multiclass baseline');
    assert.match(report.baseline.description, new RegExp(`majority class ${majority}`));
  });

  test('without a training baseline, it is fitted on the evaluation labels and says so', () => {
    const report = evaluatePredictions({ task: 'regression', labels: [1, 2, 3, 4], predictions: [1, 2, 3, 5] });
    assert.equal(report.baseline.fitted_on, 'evaluation');
    assert.deepEqual(report.baseline.spec, { task: 'regression', mean: 2.5 });
    assert.equal((report.baseline.metrics as Record<string, number>)['r2'], 0);
  });
});

describe('blessing', () => {
  const metrics = { rmse: 1.31, mae: 0.9, r2: 0.8, mean_residual: -0.05 };

  test('value thresholds pass and fail with a sentence each', () => {
    const b = bless(metrics, { thresholds: { rmse: { max: 1.2 }, r2: { min: 0.7, max: 1 } } });
    assert.equal(b.blessed, false);
    assert.deepEqual(
      b.checks.map((c) => [c.metric, c.kind, c.passed, c.description]),
      [
        ['rmse', 'max', false, 'RMSE 1.31 is above the maximum 1.20'],
        ['r2', 'min', true, 'R² 0.800 is above the minimum 0.700'],
        ['r2', 'max', true, 'R² 0.800 is below the maximum 1.00'],
      ],
    );
    assert.equal(bless(metrics, { thresholds: { rmse: { max: 1.31 } } }).blessed, true, 'bounds are inclusive');
    const near = bless({ auc: 0.69996 }, { thresholds: { auc: { min: 0.7 } } }).checks[0]!;
    assert.equal(near.description, 'AUC 0.69996 is below the minimum 0.70000', 'digits grow until the numbers differ');
  });

  test('regression against production respects each metric direction', () => {
    const lower = bless({ rmse: 1.3 }, { max_regression: { rmse: 0.05 } }, { rmse: 1.2 });
    assert.equal(lower.blessed, false, 'rmse up 8.3% with 5% allowed');
    assert.equal(lower.checks[0]!.description, "RMSE 1.30 is 8.33% worse than production's 1.20, more than the allowed 5%");
    assert.equal(lower.checks[0]!.baseline, 1.2);
    assert.equal(bless({ rmse: 1.25 }, { max_regression: { rmse: 0.05 } }, { rmse: 1.2 }).blessed, true, 'rmse up 4.2%');
    assert.equal(bless({ rmse: 0.9 }, { max_regression: { rmse: 0 } }, { rmse: 1.2 }).blessed, true, 'lower rmse is better');

    const higher = bless({ auc: 0.78 }, { max_regression: { auc: { absolute: 0.01 } } }, { auc: 0.8 });
    assert.equal(higher.blessed, false);
    assert.equal(higher.checks[0]!.description, "AUC 0.780 is 0.02 worse than production's 0.800, more than the allowed 0.01");
    assert.equal(bless({ auc: 0.795 }, { max_regression: { auc: { absolute: 0.01 } } }, { auc: 0.8 }).blessed, true);
    const better = bless({ auc: 0.9 }, { max_regression: { auc: { absolute: 0 } } }, { auc: 0.8 });
    assert.equal(better.blessed, true, 'higher auc is better');
    assert.equal(better.checks[0]!.description, "AUC 0.900 is better than production's 0.800");

    const both = bless({ log_loss: 0.52 }, { max_regression: { log_loss: { absolute: 0.05, relative: 0.02 } } }, { log_loss: 0.5 });
    assert.deepEqual(both.checks.map((c) => c.passed), [true, false], 'absolute and relative must both hold');
    assert.equal(both.blessed, false);

    const bias = bless({ mean_residual: 0.3 }, { max_regression: { mean_residual: { absolute: 0.1 } } }, { mean_residual: -0.1 });
    assert.equal(bias.blessed, false, 'a bias is judged by its magnitude');
    assert.equal(bless({ mean_residual: -0.05 }, { max_regression: { mean_residual: { absolute: 0 } } }, { mean_residual: 0.1 }).blessed, true);
  });

  test('no production version: regression checks are skipped and say why; undefined metrics fail', () => {
    const first = bless({ rmse: 1.3 }, { max_regression: { rmse: 0.05 } });
    assert.equal(first.blessed, true);
    assert.deepEqual([first.checks[0]!.skipped, first.checks[0]!.description], [true, 'RMSE not compared: there is no production version yet']);
    const oneClass = bless({ auc: NaN, accuracy: 1 }, { thresholds: { auc: { min: 0.5 } } });
    assert.equal(oneClass.blessed, false);
    assert.match(oneClass.checks[0]!.description, /auc is undefined/);
    const typo = bless({ rmse: 1 }, { thresholds: { rsme: { max: 2 } } });
    assert.equal(typo.blessed, false, 'a misspelt metric never blesses');
    assert.match(typo.checks[0]!.description, /rsme is not a metric of this model \(its metrics: rmse\)/);
  });

  test('evaluatePredictions blesses on its own metrics', () => {
    const data: TaskData = { task: 'binary', ...cont };
    const auc = (computeMetrics(data).metrics as Record<string, number>)['auc']!;
    const pass = evaluatePredictions(data, { validation: { thresholds: { auc: { min: auc - 0.01 } } }, production: { auc: auc + 0.001 } });
    assert.equal(pass.blessing!.blessed, true);
    const fail = evaluatePredictions(data, { validation: { thresholds: { auc: { min: 0.5 } }, max_regression: { auc: { absolute: 0.001 } } }, production: { auc: auc + 0.01 } });
    assert.equal(fail.blessing!.blessed, false);
    assert.deepEqual(fail.blessing!.checks.map((c) => c.passed), [true, false]);
  });
});

describe('inputs', () => {
  test('bad labels, scores, weights and lengths are refused with the row', () => {
    const refuse = (data: TaskData, message: RegExp) => assert.throws(() => computeMetrics(data), (e: Error) => e.name === 'ProdmlError' && message.test(e.message));
    refuse({ task: 'binary', labels: [0, 2], scores: [0.1, 0.2] }, /label of row 2 is 2; binary labels must be 0 or 1/);
    refuse({ task: 'binary', labels: [0, 1], scores: [0.1, 1.2] }, /score of row 2 is 1.2/);
    refuse({ task: 'regression', labels: [1, 2], predictions: [1, NaN] }, /prediction of row 2 is NaN/);
    refuse({ task: 'regression', labels: [1, 2], predictions: [1, 2], weights: [1, -1] }, /sample weight of row 2 is -1/);
    refuse({ task: 'regression', labels: [1, 2], predictions: [1] }, /predictions has 1 rows, the labels have 2/);
    refuse({ task: 'multiclass', labels: [0, 3], probabilities: [[0.5, 0.5, 0], [0.2, 0.3, 0.5]] }, /labels must be class indices 0..2/);
  });

  test('a flat tfjs-style probability buffer reads as rows', () => {
    const flat = Float64Array.from(multi.probabilities.slice(0, 500).flat());
    const fromFlat = computeMetrics({ task: 'multiclass', labels: multi.labels.slice(0, 500), probabilities: probabilityRows(flat, 4) });
    assert.deepEqual(fromFlat, computeMetrics({ task: 'multiclass', labels: multi.labels.slice(0, 500), probabilities: multi.probabilities.slice(0, 500) }));
  });

  test('a metric the data cannot define is NaN, written as null in JSON', () => {
    const ev = computeMetrics({ task: 'binary', labels: [1, 1], scores: [0.2, 0.9] });
    assert.ok(Number.isNaN((ev.metrics as Record<string, number>)['auc']));
    assert.equal(JSON.parse(JSON.stringify(ev.metrics))['auc'], null);
  });
});

describe('accuracy report', () => {
  test('largest differences from sklearn per metric', (t) => {
    assert.ok(worst.size > 0);
    for (const [metric, w] of [...worst.entries()].sort()) {
      t.diagnostic(`${metric.padEnd(34)} max abs ${w.abs.toExponential(2)}  max rel ${w.rel.toExponential(2)}  (${w.checks} values)`);
    }
  });
});
