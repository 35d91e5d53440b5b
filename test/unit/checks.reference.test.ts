/**
 * The checks against references on real data (sklearn's breast cancer table): permutation
 * importance against sklearn.inspection.permutation_importance on the same model and held-out
 * rows; and the leakage check finds a planted leak (the label plus noise) while sparing the 30
 * real measurements, strong as many of them are.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { featureImportance, leakageCheck, type ImportanceReport } from '../../src/core/checks';
import { splitRows } from '../../src/core/train/split';
import { trainFromConfig } from '../../src/core/train/run';
import { tempDir } from '../helpers/fixtures';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(__dirname, '../reference/breast_cancer_reference.py');
const base = tempDir('prodml-bc-');
const clean = path.join(base, 'clean');
const leaky = path.join(base, 'leaky');

function python(args: string[]): string {
  const r = spawnSync(PYTHON, [SCRIPT, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** Spearman's rank correlation (average ranks for ties). */
function spearman(a: number[], b: number[]): number {
  const rank = (x: number[]) => {
    const order = x.map((v, i) => [v, i] as const).sort((p, q) => p[0] - q[0]);
    const r = new Array<number>(x.length);
    for (let i = 0; i < order.length; ) {
      let j = i;
      while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
      for (let k = i; k <= j; k++) r[order[k]![1]] = (i + j) / 2 + 1;
      i = j + 1;
    }
    return r;
  };
  const [ra, rb] = [rank(a), rank(b)];
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const [ma, mb] = [mean(ra), mean(rb)];
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i]! - ma) * (rb[i]! - mb);
    da += (ra[i]! - ma) ** 2;
    db += (rb[i]! - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}

let report: ImportanceReport;
let sk: { features: Record<string, [number, number]>; auc: number };

before(async () => {
  python(['write', clean]);
  python(['write', leaky, '--leak']);
  await trainFromConfig(clean, 'tumour');
  report = await featureImportance(clean, 'tumour', { repeats: 10 });
  const evalRows = splitRows(
    Array.from({ length: 569 }, () => ({})),
    { kind: 'random', eval_fraction: 0.3 },
    1,
  ).eval;
  assert.equal(report.rows, evalRows.length);
  const rowsFile = path.join(base, 'eval-rows.json');
  fs.writeFileSync(rowsFile, JSON.stringify(evalRows));
  sk = JSON.parse(python(['importance', clean, 'tumour', rowsFile])) as typeof sk;
});

describe('feature importance against sklearn on the breast cancer table', () => {
  test('the same model scores the same held-out AUC in both', () => {
    assert.ok(Math.abs(report.base - sk.auc) < 1e-4, `prodml ${report.base} vs sklearn ${sk.auc}`);
  });

  test('rankings agree (Spearman ≥ 0.85) and sklearn’s mean lies in prodml’s 95% interval for nearly every feature', (t) => {
    const names = report.features.map((f) => f.feature);
    assert.equal(names.length, 30);
    const rho = spearman(
      report.features.map((f) => f.importance),
      names.map((n) => sk.features[n]![0]),
    );
    assert.ok(rho >= 0.85, `Spearman ${rho}`);
    t.diagnostic(`Spearman ${rho.toFixed(3)} over ${names.length} features`);
    const outside = report.features.filter((f) => {
      const m = sk.features[f.feature]![0];
      return m < f.ci_low - 1e-9 || m > f.ci_high + 1e-9;
    });
    // A 95% interval misses now and then: at most 2 of 30.
    t.diagnostic(`sklearn's mean outside prodml's interval: ${outside.length} of 30`);
    assert.ok(outside.length <= 2, `outside: ${outside.map((f) => `${f.feature} ${sk.features[f.feature]![0]} ∉ [${f.ci_low}, ${f.ci_high}]`).join('; ')}`);
    // The intervals are not vacuous: the widest is a small share of the base AUC's room.
    assert.ok(Math.max(...report.features.map((f) => f.ci_high - f.ci_low)) < 0.2);
  });

  test('the size/shape measurements that move together are also shuffled as groups', () => {
    const group = report.groups.find((g) => g.features.includes('mean_radius'));
    assert.ok(group, `groups: ${report.groups.map((g) => g.name).join(' | ')}`);
    assert.ok(group.features.includes('mean_perimeter'));
    assert.ok(group.min_correlation >= report.correlation);
    assert.equal(report.features.find((f) => f.feature === 'mean_radius')!.group, group.name);
  });
});

describe('leakage on the breast cancer table with a planted leak', () => {
  test('the label plus noise is the only error; the 30 real measurements are at most informational', async () => {
    const r = await leakageCheck(leaky, 'tumour');
    const errors = r.findings.filter((f) => f.severity === 'error');
    assert.deepEqual(
      errors.map((f) => [f.feature, f.kind]),
      [['label_echo', 'near_perfect_feature']],
    );
    assert.equal(r.leak, true);
    const echo = r.single_feature.find((s) => s.feature === 'label_echo')!;
    assert.ok(echo.alone >= 0.99 && echo.rest < echo.alone, `echo ${echo.alone} vs rest ${echo.rest}`);
    const real = r.single_feature.filter((s) => s.feature !== 'label_echo');
    assert.equal(real.length, 30);
    for (const s of real) assert.notEqual(s.verdict, 'leak', s.feature);
    // They are strong (radius, perimeter, area, concave points predict malignancy alone): said so, as information.
    const strong = r.findings.filter((f) => f.kind === 'strong_feature');
    assert.ok(strong.length >= 5 && strong.every((f) => f.severity === 'info'), `strong: ${strong.map((f) => f.feature).join(', ')}`);
    assert.ok(strong.some((f) => f.feature === 'worst_perimeter' || f.feature === 'worst_radius'));
    assert.ok(!r.findings.some((f) => f.kind === 'random_split_with_time'), 'no time column here');
  });
});
