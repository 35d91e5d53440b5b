/** The one number and metric-name format every ProdML surface uses (src/core/report/format.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fmtNum, fmtPct, fmtValue, metricLabel, spansDecades } from '../../src/core/report/format';
import { lossChart } from '../../src/core/report/trainCharts';

test('numbers: 3 significant digits, separators, no exponents, near zero is 0', () => {
  const cases: [number, string][] = [
    [-4.442e-6, '0'],
    [0.9645, '0.965'],
    [1.5329, '1.53'],
    [28.215, '28.2'],
    [-0.5, '-0.5'],
    [1234.5, '1,230'],
    [123456, '123,000'],
    [0.000123, '0.000123'],
    [0.0921, '0.0921'],
    [0, '0'],
  ];
  for (const [x, want] of cases) assert.equal(fmtNum(x), want, String(x));
  assert.equal(fmtNum(null), '—');
  assert.equal(fmtNum(Number.NaN), '—');
  assert.equal(fmtValue(12000), '12,000');
  assert.equal(fmtValue(0.12345), '0.123');
});

test('percentages: 3 significant digits; a share below 1 never reads 100%', () => {
  assert.equal(fmtPct(0.1234), '12.3%');
  assert.equal(fmtPct(0.5), '50%');
  assert.equal(fmtPct(0.9996), '99.96%');
  assert.equal(fmtPct(0.99999), '99.999%');
  assert.equal(fmtPct(1), '100%');
  assert.equal(fmtPct(1e-8), '0%');
});

test('metric names as people write them', () => {
  assert.deepEqual(['rmse', 'mae', 'r2', 'log_loss', 'auc', 'roc_auc', 'pr_auc', 'macro_f1', 'some_new_metric'].map(metricLabel), [
    'RMSE', 'MAE', 'R²', 'log loss', 'AUC', 'ROC AUC', 'PR AUC', 'macro F1', 'some new metric',
  ]);
});

test('a log axis only when the values span a decade', () => {
  assert.equal(spansDecades([1.2, 1.0, 0.9]), false);
  assert.equal(spansDecades([5, 0.4]), true);
  assert.equal(spansDecades([5, 0, 0.4]), false);
  const y = (epochs: { epoch: number; loss: number; evalLoss: number }[]) => (lossChart(epochs) as { encoding: { y: { scale: { type?: string } } } }).encoding.y.scale.type;
  assert.equal(y([{ epoch: 1, loss: 1.2, evalLoss: 1.25 }, { epoch: 2, loss: 0.9, evalLoss: 0.95 }]), undefined);
  assert.equal(y([{ epoch: 1, loss: 40, evalLoss: 41 }, { epoch: 2, loss: 0.9, evalLoss: 0.95 }]), 'log');
});
