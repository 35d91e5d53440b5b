/** The tuner's pure parts: the tune block's defaults and checks, sampling, and successive halving's calls. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseProjectConfig, type ModelConfig } from '../../src/core/project/config';
import { applyParams, drawValue, effectiveParams, sampleParams } from '../../src/core/tune/space';
import { lossOf, quantile, rungEpochs, rungValue, Rungs } from '../../src/core/tune/halving';
import { resolveTuneSettings } from '../../src/core/tune/settings';
import type { SearchSpace, TrialRecord } from '../../src/core/tune/types';

const YAML = `datasets:
  d: {path: x.csv, label: y}
models:
  m:
    dataset: d
    task: regression
    features: {a: standardize}
    model: {type: dnn, hidden: [32, 16]}
    training: {epochs: 12, learning_rate: 0.01, early_stopping: {patience: 3}, seed: 7}
`;

function model(tune = ''): ModelConfig {
  return parseProjectConfig(YAML + tune, '/w').models[0]!;
}

const SPACE: SearchSpace = {
  learning_rate: { kind: 'log_float', min: 0.0001, max: 0.1 },
  batch_size: { kind: 'categorical', values: [32, 64, 128] },
  units: { kind: 'int', min: 4, max: 9 },
  dropout: { kind: 'float', min: 0.1, max: 0.4 },
};

describe('tune settings', () => {
  test('without a tune block: the key metric and its direction, the model epochs, a space for a dnn', () => {
    const s = resolveTuneSettings('/w/prodml.yaml', model(), undefined);
    assert.equal(s.metric, 'rmse');
    assert.equal(s.direction, 'lower');
    assert.equal(s.trials, 20);
    assert.equal(s.seed, 7);
    assert.equal(s.max_epochs, 12);
    assert.deepEqual(s.halving, { min_epochs: 1, reduction_factor: 3 });
    assert.deepEqual(Object.keys(s.space).sort(), ['batch_size', 'dropout', 'hidden', 'learning_rate']);
  });

  test('a tune block is parsed from prodml.yaml and a --trials/--minutes budget overrides it', () => {
    const m = model('    tune:\n      metric: r2\n      trials: 7\n      minutes: 3\n      halving: {min_epochs: 2, reduction_factor: 2}\n      space:\n        learning_rate: {kind: log_float, min: 0.001, max: 0.1}\n');
    const s = resolveTuneSettings('/w/prodml.yaml', m, m.tune);
    assert.equal(s.metric, 'r2');
    assert.equal(s.direction, 'higher');
    assert.equal(s.trials, 7);
    assert.equal(s.minutes, 3);
    assert.deepEqual(s.halving, { min_epochs: 2, reduction_factor: 2 });
    assert.deepEqual(Object.keys(s.space), ['learning_rate']);
    assert.equal(resolveTuneSettings('/w/prodml.yaml', m, m.tune, { trials: 30 }).trials, 30);
    // Only a time budget: trials run until the time is up.
    assert.ok(resolveTuneSettings('/w/prodml.yaml', m, { minutes: 1 }).trials >= 1000);
  });

  test('a bad space is a clear message naming the field and the rule', () => {
    const bad = (tune: string, re: RegExp) => {
      assert.throws(() => {
        const m = model(tune);
        resolveTuneSettings('/w/prodml.yaml', m, m.tune);
      }, re);
    };
    bad('    tune: {metric: auc}\n', /prodml\.yaml: models\.m\.tune\.metric: "auc" is not a regression metric/);
    bad('    tune:\n      space: {learning_rate: {kind: log_float, min: 0, max: 0.1}}\n', /models\.m\.tune\.space\.learning_rate\.min: a log_float range must start above 0/);
    bad('    tune:\n      space: {batch_size: {kind: float, min: 8, max: 64}}\n', /line 11: models\.m\.tune\.space\.batch_size\.kind: must be one of int, categorical \(got "float"\)/);
    bad('    tune:\n      space: {dropout: {kind: float, min: 0.5, max: 0.1}}\n', /space\.dropout: min \(0\.5\) is above max \(0\.1\)/);
    bad('    tune:\n      space: {hidden: {kind: categorical, values: [[32], 16]}}\n', /space\.hidden\.values\[1\]: 16 must be a list of layer sizes/);
    bad('    tune:\n      space: {type: {kind: categorical, values: [linear, logistic]}}\n', /space\.type\.values\[1\]: "logistic" must be one of linear, dnn for a regression model/);
    bad('    tune:\n      halving: {min_epochs: 20}\n', /halving\.min_epochs: must be a whole number from 1 to max_epochs \(12\)/);
    // The JSON Schema catches unknown parameters and kinds when prodml.yaml is read.
    assert.throws(() => model('    tune:\n      space: {lr: {kind: float, min: 0, max: 1}}\n'), /line 11: models\.m\.tune\.space\.lr: unknown key "lr"/);
    assert.throws(() => model('    tune:\n      space: {learning_rate: {kind: normal, min: 0, max: 1}}\n'), /tune\.space\.learning_rate\.kind: must be one of float, log_float, int, categorical/);
  });

  test('dnn-only parameters on a linear model are refused unless the type is searched too', () => {
    const linear = parseProjectConfig(YAML.replace('model: {type: dnn, hidden: [32, 16]}', 'model: {type: linear}'), '/w').models[0]!;
    assert.throws(() => resolveTuneSettings('/w/prodml.yaml', linear, { space: { dropout: { kind: 'float', min: 0, max: 0.3 } } }), /space\.dropout: applies to dnn models only; this model is linear/);
    const s = resolveTuneSettings('/w/prodml.yaml', linear, { space: { type: { kind: 'categorical', values: ['linear', 'dnn'] }, dropout: { kind: 'float', min: 0, max: 0.3 } } });
    assert.deepEqual(Object.keys(s.space), ['type', 'dropout']);
    // A linear model's default space has no dnn parameters.
    assert.deepEqual(Object.keys(resolveTuneSettings('/w/prodml.yaml', linear, undefined).space).sort(), ['batch_size', 'learning_rate']);
  });
});

describe('sampling', () => {
  test('every kind stays inside its bounds and covers them', () => {
    const seen = { lr: [] as number[], batch: new Set<number>(), units: new Set<number>(), dropout: [] as number[] };
    for (let i = 0; i < 2000; i++) {
      const p = sampleParams(SPACE, 11, i);
      const lr = p.learning_rate as number;
      assert.ok(lr >= 0.0001 && lr <= 0.1, String(lr));
      seen.lr.push(lr);
      seen.batch.add(p.batch_size as number);
      const units = p.units as number;
      assert.ok(Number.isInteger(units) && units >= 4 && units <= 9, String(units));
      seen.units.add(units);
      const d = p.dropout as number;
      assert.ok(d >= 0.1 && d <= 0.4, String(d));
      seen.dropout.push(d);
    }
    assert.deepEqual([...seen.batch].sort((a, b) => a - b), [32, 64, 128]);
    // int: both ends included.
    assert.deepEqual([...seen.units].sort((a, b) => a - b), [4, 5, 6, 7, 8, 9]);
    // log_float is uniform in log space: the mean log lies midway between the bounds' logs,
    // and as many draws fall in each decade (3 decades: 667 each, binomial sd ≈ 21).
    const meanLog = seen.lr.reduce((a, v) => a + Math.log10(v), 0) / seen.lr.length;
    assert.ok(Math.abs(meanLog - -2.5) < 0.06, `mean log10 ${meanLog}`);
    for (const [lo, hi] of [[1e-4, 1e-3], [1e-3, 1e-2], [1e-2, 1e-1]]) {
      const n = seen.lr.filter((v) => v >= lo! && v < hi!).length;
      assert.ok(Math.abs(n - 2000 / 3) < 80, `${n} draws in [${lo}, ${hi})`);
    }
    // float is uniform: mean midway, a quarter of draws in each quarter of the range.
    const meanD = seen.dropout.reduce((a, v) => a + v, 0) / seen.dropout.length;
    assert.ok(Math.abs(meanD - 0.25) < 0.01, String(meanD));
  });

  test('draws at the ends of [0, 1) map to the bounds', () => {
    assert.equal(drawValue({ kind: 'int', min: 4, max: 9 }, 0), 4);
    assert.equal(drawValue({ kind: 'int', min: 4, max: 9 }, 0.999999), 9);
    assert.equal(drawValue({ kind: 'log_float', min: 0.001, max: 0.1 }, 0), 0.001);
    assert.ok((drawValue({ kind: 'log_float', min: 0.001, max: 0.1 }, 0.5) as number) - 0.01 < 1e-9);
    assert.deepEqual(drawValue({ kind: 'categorical', values: [[16], [32, 16]] }, 0.7), [32, 16]);
  });

  test('the same seed draws the same configurations, trial by trial, whatever ran before', () => {
    const a = Array.from({ length: 10 }, (_, i) => sampleParams(SPACE, 5, i));
    const b = Array.from({ length: 10 }, (_, i) => sampleParams(SPACE, 5, i)).reverse().reverse();
    assert.deepEqual(a, b);
    assert.deepEqual(sampleParams(SPACE, 5, 7), a[7]);
    assert.notDeepEqual(sampleParams(SPACE, 6, 7), a[7]);
    // Adding a parameter leaves the other parameters' draws as they were.
    const wider = sampleParams({ ...SPACE, patience: { kind: 'int', min: 1, max: 5 } }, 5, 7);
    assert.equal(wider.learning_rate, a[7]!.learning_rate);
    assert.equal(wider.units, a[7]!.units);
  });

  test("a trial's values replace prodml.yaml's; the rest are kept", () => {
    const m = model();
    const t = applyParams(m, { learning_rate: 0.003, units: 8, layers: 3, dropout: 0.2 }, 12);
    assert.deepEqual(t.model, { type: 'dnn', hidden: [8, 8, 8], dropout: 0.2 });
    assert.deepEqual(t.training, { learning_rate: 0.003, batch_size: 256, epochs: 12, patience: 3 });
    const d = applyParams(m, {}, 12);
    assert.deepEqual(d.model, { type: 'dnn', hidden: [32, 16] });
    assert.deepEqual(effectiveParams(d, ['learning_rate', 'hidden', 'dropout', 'units']), { learning_rate: 0.01, hidden: [32, 16], dropout: 0, units: 32 });
    assert.deepEqual(applyParams(m, { type: 'linear', dropout: 0.2 }, 12).model, { type: 'linear' });
  });
});

describe('successive halving', () => {
  test('rungs sit at min_epochs · eta^k below max_epochs', () => {
    assert.deepEqual(rungEpochs(1, 3, 15), [1, 3, 9]);
    assert.deepEqual(rungEpochs(2, 2, 20), [2, 4, 8, 16]);
    assert.deepEqual(rungEpochs(1, 3, 1), []);
    assert.deepEqual(rungEpochs(1, 2.5, 20), [1, 3, 8]);
  });

  test('a trial goes on only within the top 1/eta of the trials that reached the rung before it', () => {
    const r = new Rungs([1, 3], 'lower', 3);
    assert.equal(r.judge(1, 1.0), 'continue'); // first: nothing to compare with
    assert.equal(r.judge(1, 2.0), 'stop'); // worse than the only one before
    assert.equal(r.judge(1, 0.9), 'continue');
    // Before it: 1.0, 2.0, 0.9 → the 1/3 quantile (numpy linear) is 0.9 + (1.0 - 0.9) · 2/3 ≈ 0.967.
    assert.equal(r.judge(1, 0.96), 'continue');
    // Now 0.9, 0.96, 1.0, 2.0 → the 1/3 quantile is 0.96.
    assert.equal(r.judge(1, 0.97), 'stop');
    assert.equal(r.judge(2, 5), 'continue'); // not a rung
    assert.equal(r.judge(1, null), 'stop');
    assert.deepEqual(r.counts(), [{ epoch: 1, trials: 5 }, { epoch: 3, trials: 0 }]);

    // Higher is better: the same calls mirrored.
    const h = new Rungs([1], 'higher', 3);
    assert.equal(h.judge(1, 0.7), 'continue');
    assert.equal(h.judge(1, 0.6), 'stop');
    assert.equal(h.judge(1, 0.8), 'continue');
    assert.equal(lossOf('zero', -0.3), 0.3);
    assert.equal(quantile([1, 2, 3, 4], 1 / 3), 2);
  });

  test("a rung's value is the metric of the weights with the lowest loss so far; replay rebuilds the rungs", () => {
    const epochs = [
      { epoch: 1, loss: 2, eval_loss: 1.5, metric: 1.3 },
      { epoch: 2, loss: 1, eval_loss: 1.1, metric: 1.1 },
      { epoch: 3, loss: 1, eval_loss: 1.2, metric: 1.2 },
    ];
    assert.equal(rungValue(epochs, 1), 1.3);
    assert.equal(rungValue(epochs, 3), 1.1);
    assert.equal(rungValue(epochs, 4), null);
    assert.equal(rungValue([{ epoch: 1, eval_loss: NaN, metric: null }, ...epochs.slice(1)], 2), 1.1);

    const trial = { epochs } as TrialRecord;
    const r = new Rungs([1, 3], 'lower', 3);
    r.replay(trial);
    assert.deepEqual(r.counts(), [{ epoch: 1, trials: 1 }, { epoch: 3, trials: 1 }]);
    assert.equal(r.judge(3, 1.2), 'stop');
  });
});
