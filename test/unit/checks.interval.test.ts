/** The statistics under the checks, against numpy: percentile intervals, bootstrap resamples, the verdict rule, and the ridge surrogate behind "the rest together". */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { bootstrapWeights, percentileInterval, verdictOf } from '../../src/core/checks/interval';
import { linearSurrogate } from '../../src/core/checks/surrogate';
import { Rng } from '../../src/core/demo/random';
import type { FittedTransforms } from '../../src/core/features/spec';

const PYTHON = '/usr/bin/python3';

function numpy(code: string, input: unknown): unknown {
  const r = spawnSync(PYTHON, ['-c', `import json, sys\nimport numpy as np\nd = json.load(sys.stdin)\n${code}`], { input: JSON.stringify(input), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe('intervals', () => {
  test('percentileInterval is numpy.percentile (linear) at 2.5 and 97.5', () => {
    const rng = new Rng(1);
    const xs = Array.from({ length: 137 }, () => rng.normal(0, 1));
    const ref = numpy('print(json.dumps(np.percentile(d, [2.5, 97.5]).tolist()))', xs) as [number, number];
    const [lo, hi] = percentileInterval(xs);
    assert.ok(Math.abs(lo - ref[0]) < 1e-12 && Math.abs(hi - ref[1]) < 1e-12, `${lo},${hi} vs ${ref}`);
  });

  test('bootstrap resamples are multinomial counts of n rows, seeded', () => {
    const w = bootstrapWeights(50, 20, 7);
    assert.equal(w.length, 20);
    for (const r of w) assert.equal(
      r.reduce((a, b) => a + b, 0),
      50,
    );
    assert.deepEqual(bootstrapWeights(50, 20, 7), w);
    // Each row is drawn with probability 1/n per draw: about 1 − 1/e of the rows appear.
    const seen = w.map((r) => r.filter((c) => c > 0).length / 50);
    const mean = seen.reduce((a, b) => a + b, 0) / seen.length;
    assert.ok(Math.abs(mean - (1 - Math.exp(-1))) < 0.06, `share of rows drawn ${mean}`);
  });

  test('a verdict only when the interval clears the threshold; undecided says how many rows would decide', () => {
    assert.deepEqual(verdictOf(0.05, 0.02, 0.08, 0.01, 1000), { verdict: 'worth its cost' });
    assert.deepEqual(verdictOf(0.001, -0.002, 0.004, 0.01, 1000), { verdict: 'not worth its cost' });
    // Half-width 0.02, 0.01 from the threshold: the width must halve, so four times the rows.
    assert.deepEqual(verdictOf(0.02, 0.0, 0.04, 0.01, 1000), { verdict: "can't tell with this much data", rows_to_decide: 4000 });
    assert.deepEqual(verdictOf(0.01, 0.0, 0.02, 0.01, 1000), { verdict: "can't tell with this much data" });
  });
});

describe('linearSurrogate', () => {
  test('held-out R² of every feature and of each leave-one-out subset matches numpy least squares', () => {
    const rng = new Rng(4);
    const n = 400;
    const m = 150;
    const gen = (k: number) =>
      Array.from({ length: k }, () => {
        const a = rng.normal(0, 1);
        const b = rng.normal(0, 2) + 0.5 * a;
        const c = rng.normal(0, 1);
        return { x: [a, b, c], y: 1 + 2 * a - 0.7 * b + 0.1 * c + rng.normal(0, 1) };
      });
    const train = gen(n);
    const evalRows = gen(m);
    const t: FittedTransforms = {
      version: 1,
      width: 3,
      fittedOn: n,
      features: ['a', 'b', 'c'].map((name) => ({ name, kind: 'identity' as const, center: 0, scale: 1, impute: 0, outputs: [name] })),
    };
    const flat = (rows: typeof train) => Float32Array.from(rows.flatMap((r) => r.x));
    const s = linearSurrogate(
      t,
      'regression',
      flat(train),
      flat(evalRows),
      train.map((r) => r.y),
      evalRows.map((r) => r.y),
    );
    const subsets = [[0, 1, 2], [1, 2], [0, 2], [0, 1], [0]];
    const ref = numpy(
      `
xt = np.array(d["xt"], dtype=np.float32).astype(float); yt = np.array(d["yt"], dtype=np.float32).astype(float)
xe = np.array(d["xe"], dtype=np.float32).astype(float); ye = np.array(d["ye"], dtype=np.float32).astype(float)
out = []
for cols in d["subsets"]:
    A = np.column_stack([np.ones(len(yt)), xt[:, cols]])
    beta = np.linalg.lstsq(A, yt, rcond=None)[0]
    p = np.column_stack([np.ones(len(ye)), xe[:, cols]]) @ beta
    out.append(1 - ((ye - p) ** 2).sum() / ((ye - ye.mean()) ** 2).sum())
print(json.dumps(out))`,
      { xt: train.map((r) => r.x), yt: train.map((r) => r.y), xe: evalRows.map((r) => r.x), ye: evalRows.map((r) => r.y), subsets },
    ) as number[];
    subsets.forEach((cols, i) => {
      const got = s.score(cols.map((c) => ['a', 'b', 'c'][c]!));
      assert.ok(Math.abs(got - ref[i]!) < 1e-4, `${cols}: ${got} vs numpy ${ref[i]}`);
    });
  });
});
