/**
 * The ranking metrics' curve walk (evaluate/rankCurve.ts): the unweighted merge of separately
 * sorted positive and negative scores, the weighted index order, and the one-score shortcut,
 * each against scikit-learn's roc_auc_score and average_precision_score on planted data, and the
 * two paths against each other to the last bit.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { mulberry32 } from '../../src/core/demo/random';
import { averagePrecision, computeMetrics, rocAuc, type BinaryData } from '../../src/core/evaluate/metrics';
import { curveWalk } from '../../src/core/evaluate/rankCurve';
import { tempDir } from '../helpers/fixtures';

const PYTHON = '/usr/bin/python3';

const SKLEARN = `
import json, sys
import numpy as np
from sklearn.metrics import roc_auc_score, average_precision_score
out = []
for c in json.load(open(sys.argv[1])):
    y, s, w = np.array(c['y']), np.array(c['s'], dtype=np.float64), (np.array(c['w']) if c['w'] is not None else None)
    auc = roc_auc_score(y, s, sample_weight=w) if len(set(y[w > 0] if w is not None else y)) == 2 else None
    out.append({'auc': auc, 'ap': float(average_precision_score(y, s, sample_weight=w))})
print(json.dumps(out))
`;

interface Planted {
  id: string;
  data: BinaryData;
}

/** Float32 scores as a model gives them, with a share of exact ties at a few values (0, 0.5, 1, 0.25). */
function planted(n: number, seed: number): { labels: Float32Array; scores: Float32Array } {
  const u = mulberry32(seed);
  const labels = new Float32Array(n);
  const scores = new Float32Array(n);
  const tied = [0, 0.5, 1, 0.25];
  for (let i = 0; i < n; i++) {
    const z = 4 * u() - 2;
    labels[i] = u() < 1 / (1 + Math.exp(-1.5 * z)) ? 1 : 0;
    scores[i] = u() < 0.1 ? tied[i % 4]! : 1 / (1 + Math.exp(-(z + u() - 0.5)));
  }
  return { labels, scores };
}

const cases: Planted[] = [];
const f32 = planted(40_000, 3);
cases.push({ id: 'float32 scores with ties (pos/neg merge)', data: f32 });
cases.push({ id: 'float64 scores rounded to 3 decimals', data: { labels: Array.from(f32.labels), scores: Array.from(f32.scores, (s) => Math.round(s * 1000) / 1000) } });
const wu = mulberry32(9);
cases.push({ id: 'weighted, some weights 0 (index order)', data: { ...f32, weights: Float64Array.from(f32.scores, (_, i) => (i % 11 === 0 ? 0 : 0.1 + 2.9 * wu())) } });
cases.push({ id: 'one score for every row (the baseline)', data: { labels: f32.labels, scores: new Float64Array(f32.labels.length).fill(0.4506) } });
cases.push({ id: 'signed zeros tie with zeros', data: { labels: [1, 0, 1, 0, 1, 0, 0], scores: [0, -0, -0, 0, 0.5, 0.5, 0.75] } });
cases.push({ id: 'no positive row', data: { labels: [0, 0, 0], scores: [0.1, 0.3, 0.3] } });

function sklearn(): { auc: number | null; ap: number }[] {
  const json = JSON.stringify(cases.map((c) => ({ y: Array.from(c.data.labels), s: Array.from(c.data.scores), w: c.data.weights ? Array.from(c.data.weights) : null })));
  const file = path.join(tempDir('prodml-rankcurve-'), 'cases.json');
  fs.writeFileSync(file, json);
  const r = spawnSync(PYTHON, ['-c', SKLEARN, file], { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe('ranking metrics walk the curve without holding it', () => {
  const refs = sklearn();
  cases.forEach((c, k) => {
    test(`${c.id}: roc_auc_score and average_precision_score`, () => {
      const ref = refs[k]!;
      const auc = rocAuc(c.data);
      if (ref.auc === null) assert.ok(Number.isNaN(auc), `${auc}: sklearn has no AUC with one class`);
      else assert.ok(Math.abs(auc - ref.auc) <= 1e-9 * ref.auc, `auc ${auc} vs sklearn ${ref.auc}`);
      const ap = averagePrecision(c.data);
      assert.ok(Math.abs(ap - ref.ap) <= 1e-9 * Math.max(ref.ap, 1e-3), `average precision ${ap} vs sklearn ${ref.ap}`);
    });
  });

  test('the merge of sorted positives and negatives gives the index order\'s points, bit for bit', () => {
    // Weights of 1 take the weighted path (an index order sorted with a comparator, compensated sums).
    const ones = new Float64Array(f32.labels.length).fill(1);
    const points = (d: BinaryData) => {
      const p: number[] = [];
      curveWalk(d).forEach((fps, tps, threshold) => p.push(fps, tps, threshold));
      return p;
    };
    const merged = points(f32);
    assert.deepEqual(merged, points({ ...f32, weights: ones }));
    // One point per distinct score (the planted ties collapse), counted from the top.
    assert.equal(merged.length / 3, new Set(f32.scores).size);
    assert.deepEqual(merged.slice(-3, -1), [f32.labels.length - f32.labels.reduce((a, y) => a + y, 0), f32.labels.reduce((a, y) => a + y, 0)]);
    assert.deepEqual(computeMetrics({ task: 'binary', ...f32 }).metrics, computeMetrics({ task: 'binary', ...f32, weights: ones }).metrics);
  });
});
