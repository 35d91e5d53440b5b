/** The monitor's pure parts: windows, drift statistics against scipy, calibration against numpy. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { sharedBinning } from '../../src/core/data/profile';
import { mulberry32 } from '../../src/core/demo/random';
import { calibrateStatistic, calibrateUpper, referenceStatistics } from '../../src/core/monitor/calibrate';
import { compareFeature, summarizeBaseline, withoutWindow } from '../../src/core/monitor/driftStats';
import { sampledWindows, timeWindowOf } from '../../src/core/monitor/windows';

const python = (code: string, input: unknown) => {
  const r = spawnSync('/usr/bin/python3', ['-c', code], { input: JSON.stringify(input), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
};

describe('windows', () => {
  test('hour, day, ISO week and month of an instant, in UTC', () => {
    const t = new Date('2025-01-01T23:30:00Z');
    assert.deepEqual(timeWindowOf(t, 'hour'), { id: '2025-01-01 23:00', start: '2025-01-01T23:00:00.000Z', end: '2025-01-02T00:00:00.000Z' });
    assert.equal(timeWindowOf(t, 'day').id, '2025-01-01');
    // 2025-01-01 is a Wednesday in ISO week 1 of 2025, which starts Monday 2024-12-30.
    assert.deepEqual(timeWindowOf(t, 'week'), { id: '2025-W01', start: '2024-12-30T00:00:00.000Z', end: '2025-01-06T00:00:00.000Z' });
    assert.equal(timeWindowOf(new Date('2021-01-03T00:00:00Z'), 'week').id, '2020-W53');
    assert.deepEqual(timeWindowOf(new Date('2024-02-29T12:00:00Z'), 'month'), { id: '2024-02', start: '2024-02-01T00:00:00.000Z', end: '2024-03-01T00:00:00.000Z' });
  });

  test('sampled reference windows are reproducible samples without replacement', () => {
    const a = sampledWindows(1000, 100, 5, 3);
    assert.deepEqual(a, sampledWindows(1000, 100, 5, 3));
    for (const w of a) {
      assert.equal(new Set(w).size, 100);
      assert.ok(w.every((i) => i >= 0 && i < 1000));
    }
  });
});

describe('drift statistics', () => {
  const rand = mulberry32(5);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

  test('Jensen-Shannon on validation binning equals scipy on the same bins; missing values apart', () => {
    const base = Array.from({ length: 3000 }, () => (rand() < 0.05 ? null : 10 + 3 * normal()));
    const cur = Array.from({ length: 400 }, () => (rand() < 0.2 ? null : 11 + 3 * normal()));
    const c = compareFeature(summarizeBaseline('x', base), cur);
    const present = (v: (number | null)[]) => v.filter((x): x is number => x !== null);
    const b = sharedBinning([
      { min: Math.min(...present(base)), max: Math.max(...present(base)), int: false },
      { min: Math.min(...present(cur)), max: Math.max(...present(cur)), int: false },
    ])!;
    const want = python(
      'import json,sys,numpy as np; from scipy.spatial.distance import jensenshannon; d=json.load(sys.stdin); e=d["lo"]+d["w"]*np.arange(d["k"]+1); f=lambda v: np.clip(np.floor((np.array(v)-d["lo"])*(1/d["w"])),0,d["k"]-1).astype(int); h=lambda v: np.bincount(f(v),minlength=d["k"]); print(json.dumps(float(jensenshannon(h(d["b"]),h(d["c"]),base=2))))',
      { lo: b.lo, w: b.width, k: b.bins, b: present(base), c: present(cur) },
    );
    assert.ok(Math.abs(c.value - want) < 1e-12, `${c.value} vs scipy ${want}`);
    assert.equal(c.statistic, 'jensen_shannon');
    assert.ok(Math.abs(c.missing_rate - (c.current_missing - c.baseline_missing)) < 1e-15);
    assert.ok(c.current_missing > 0.1 && c.baseline_missing < 0.1);
  });

  test('categories: L-infinity, and the share of values the baseline never had', () => {
    const base = summarizeBaseline('c', [...Array(60).fill('a'), ...Array(40).fill('b')]);
    const c = compareFeature(base, [...Array(50).fill('a'), ...Array(40).fill('b'), ...Array(10).fill('new')]);
    assert.equal(c.statistic, 'l_infinity');
    assert.ok(Math.abs(c.value - 0.1) < 1e-12);
    assert.ok(Math.abs(c.new_values! - 0.1) < 1e-12);
    assert.match(c.moved, /"a" \(60% in training, 50% now\)|"new"/);
  });

  test('withoutWindow leaves the baseline as if the window had never been in it', () => {
    const values = Array.from({ length: 500 }, (_, i) => (i % 50 === 0 ? null : Math.round(normal() * 100) / 100));
    const window = values.slice(100, 200);
    const rest = [...values.slice(0, 100), ...values.slice(200)];
    const a = withoutWindow(summarizeBaseline('x', values), window);
    const b = summarizeBaseline('x', rest);
    assert.deepEqual(Array.from(a.sorted!), Array.from(b.sorted!));
    assert.equal(a.missing, b.missing);
    assert.equal(a.rows, b.rows);
    assert.equal(compareFeature(a, window).value, compareFeature(b, window).value);
  });

  test('linear scale: mean + 3 population sd (numpy.std), floored, and needs 3 windows', () => {
    const v = [0.031, 0.042, 0.028, 0.05, 0.037, 0.044];
    const want = python('import json,sys,numpy as np; v=np.array(json.load(sys.stdin)); print(json.dumps(float(v.mean()+3*v.std())))', v);
    assert.ok(Math.abs(calibrateUpper(v)!.threshold - want) < 1e-15);
    assert.equal(calibrateUpper([0, 0, 0], 0.002)!.threshold, 0.002);
    assert.equal(calibrateUpper([0.1, 0.2]), undefined);
    const base = summarizeBaseline('x', Array.from({ length: 2000 }, () => normal()));
    const windows = sampledWindows(2000, 200, 20).map((w) => w.map((i) => base.sorted![i]));
    const stats = referenceStatistics(base, windows);
    assert.equal(stats.distance.length, 20);
    assert.ok(stats.distance.every((d) => d > 0 && d < 0.3));
  });

  test('log scale: exp(mean + 3 sd of ln v) (numpy), linear when a value is zero', () => {
    const v = [0.031, 0.042, 0.028, 0.05, 0.037, 0.044, 0.09];
    const want = python('import json,sys,numpy as np; v=np.log(np.array(json.load(sys.stdin))); print(json.dumps([float(np.exp(v.mean()+3*v.std())), float(v.mean()), float(v.std())]))', v);
    const c = calibrateUpper(v, 0, 'log')!;
    assert.equal(c.scale, 'log');
    assert.ok(Math.abs(c.threshold - want[0]) < 1e-15 && Math.abs(c.scaled_mean! - want[1]) < 1e-15 && Math.abs(c.scaled_std! - want[2]) < 1e-15);
    // Right skew: the log-scale threshold lies above the raw mean + 3 sd.
    assert.ok(c.threshold > calibrateUpper(v)!.threshold);
    assert.equal(calibrateUpper(v, 0.5, 'log')!.threshold, 0.5);
    const withZero = calibrateUpper([0, ...v], 0, 'log')!;
    assert.equal(withZero.scale, 'linear');
    assert.equal(withZero.threshold, calibrateUpper([0, ...v])!.threshold);
  });

  test('square-root scale for a rise in a share: (mean + 3 sd of sqrt(rise + offset))^2 - offset (numpy)', () => {
    const rise = [-0.004, 0.002, 0.006, -0.02, 0.0, 0.012, -0.008];
    const offset = 0.02;
    const want = python('import json,sys,numpy as np; d=json.load(sys.stdin); s=np.sqrt(np.maximum(0, np.array(d["v"])+d["o"])); print(json.dumps(float((s.mean()+3*s.std())**2-d["o"])))', { v: rise, o: offset });
    const c = calibrateUpper(rise, 0, 'sqrt', offset)!;
    assert.equal(c.scale, 'sqrt');
    assert.equal(c.offset, offset);
    assert.ok(Math.abs(c.threshold - want) < 1e-15, `${c.threshold} vs numpy ${want}`);
    assert.ok(Math.abs(c.threshold - ((c.scaled_mean! + 3 * c.scaled_std!) ** 2 - offset)) < 1e-15);
  });

  test('binomial missing counts: the square-root threshold keeps the tail near P(Z > 3), the raw one does not', () => {
    // 500-row windows with 2% missing: the rise's exact binomial distribution, as many reference windows.
    const n = 500;
    const p = 0.02;
    const pmf = python('import json,sys; from scipy.stats import binom; print(json.dumps([float(binom.pmf(k, 500, 0.02)) for k in range(60)]))', null) as number[];
    const rise: number[] = [];
    pmf.forEach((q, k) => {
      for (let i = 0; i < Math.round(q * 100_000); i++) rise.push(k / n - p);
    });
    const tail = (t: number) => pmf.reduce((a, q, k) => a + (k / n - p > t ? q : 0), 0);
    assert.ok(tail(calibrateUpper(rise)!.threshold) > 0.003, 'raw mean + 3 sd leaves 0.3% above it');
    assert.ok(tail(calibrateUpper(rise, 0, 'sqrt', p)!.threshold) < 0.00135);
  });

  test('the monitor calibrates distances on the log scale and shares of rows on the square-root scale', () => {
    const base = summarizeBaseline('c', ['a', 'b', null, 'a', 'c', 'a', 'b', 'a', null, 'c']);
    assert.equal(calibrateStatistic('l_infinity', [0.1, 0.2, 0.15], 0, base)!.scale, 'log');
    assert.equal(calibrateStatistic('jensen_shannon', [0.1, 0.2, 0.15], 0, base)!.scale, 'log');
    const missing = calibrateStatistic('missing_rate', [0.01, -0.02, 0.03], 0, base)!;
    assert.equal(missing.scale, 'sqrt');
    assert.equal(missing.offset, 0.2, "the baseline's missing share");
    assert.equal(calibrateStatistic('new_values', [0, 0, 0.01], 0.01, base)!.scale, 'sqrt');
    assert.equal(calibrateStatistic('new_values', [0, 0, 0], 0.01, base)!.threshold, 0.01);
  });
});
