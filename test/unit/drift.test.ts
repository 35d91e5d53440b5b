import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeDemoWorkspace } from '../../src/core/demo/workspace';
import { DuckSession } from '../../src/core/data/duckdb';
import { profileDatasets } from '../../src/core/data/profile';
import { openSource } from '../../src/core/data/source';
import { inferSchema } from '../../src/core/schema/infer';
import { jensenShannonDistance, lInfinityDistance, populationStabilityIndex } from '../../src/core/schema/stats';
import { validateData } from '../../src/core/schema/validate';
import { mulberry32 as rng } from '../../src/core/demo/random';
import { tempDir } from '../helpers/fixtures';

// Debian's python has scipy; the python first on PATH does not.
const PYTHON = '/usr/bin/python3';
const REFERENCE = path.join(__dirname, '../reference/drift_reference.py');

interface Reference {
  js: number;
  linf: number;
  linf_index: number;
  psi: number;
}

function reference(pairs: { p: number[]; q: number[] }[]): Reference[] {
  const r = spawnSync(PYTHON, [REFERENCE], { input: JSON.stringify(pairs), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Reference[];
}

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= 1e-9, `${what}: ${actual} vs scipy ${expected} (diff ${Math.abs(actual - expected)})`);

describe('drift statistics match scipy/numpy on the same bins', () => {
  test('random histograms, with empty bins, equal and disjoint supports', () => {
    const r = rng(11);
    const pairs: { p: number[]; q: number[] }[] = [];
    for (let i = 0; i < 200; i++) {
      const k = 2 + Math.floor(r() * 40);
      const sparse = r() < 0.3;
      const draw = () => Array.from({ length: k }, () => (sparse && r() < 0.4 ? 0 : Math.floor(r() * 1000)));
      let p = draw();
      let q = draw();
      if (p.every((x) => x === 0)) p = p.map((_, j) => (j === 0 ? 1 : 0));
      if (q.every((x) => x === 0)) q = q.map((_, j) => (j === k - 1 ? 1 : 0));
      pairs.push({ p, q });
    }
    pairs.push({ p: [5, 5, 5], q: [1, 1, 1] }, { p: [1, 0, 0], q: [0, 0, 7] }, { p: [0.2, 0.3, 0.5], q: [0.5, 0.3, 0.2] });
    const ref = reference(pairs);
    pairs.forEach(({ p, q }, i) => {
      const want = ref[i]!;
      close(jensenShannonDistance(p, q), want.js, `JS #${i}`);
      const linf = lInfinityDistance(p, q);
      close(linf.distance, want.linf, `L-inf #${i}`);
      assert.equal(linf.index, want.linf_index, `L-inf argmax #${i}`);
      close(populationStabilityIndex(p, q), want.psi, `PSI #${i}`);
    });
    assert.equal(jensenShannonDistance([5, 5, 5], [1, 1, 1]), 0);
    close(jensenShannonDistance([1, 0, 0], [0, 0, 7]), 1, 'disjoint supports are at distance 1 in base 2');
  });

  test('bins must be shared', () => {
    assert.throws(() => jensenShannonDistance([1, 2], [1, 2, 3]), /share bins/);
    assert.throws(() => lInfinityDistance([], []), /no bins/);
  });

  describe('on the demo: the drift reported is scipy on the profile bins', () => {
    const dir = tempDir('prodml-drift-');
    let session: DuckSession;
    before(async () => {
      await writeDemoWorkspace(dir, { seed: 42 });
      session = await DuckSession.open({ allowedDirectories: [dir] });
    });
    after(() => session.close());

    test('mother_age and gestation_weeks of the shifted batch', async () => {
      const train = await openSource(path.join(dir, 'data/train/*.csv'));
      const shifted = await openSource(path.join(dir, 'data/incoming/shifted-distribution.csv'));
      const { schema } = await inferSchema(session, train, { label: 'weight_pounds' });
      const result = await validateData(session, shifted, schema, { baseline: train });
      const profile = await profileDatasets(session, train, shifted);
      for (const name of ['mother_age', 'gestation_weeks']) {
        const anomaly = result.anomalies.find((a) => a.feature === name && a.type === 'drift');
        assert.ok(anomaly, `drift on ${name}`);
        const p = profile.columns.find((c) => c.name === name)!.histogram!.counts;
        const q = profile.compare!.columns.find((c) => c.name === name)!.histogram!.counts;
        close(anomaly.value as number, reference([{ p, q }])[0]!.js, `${name} JS distance`);
        assert.equal(anomaly.measure, 'jensen_shannon');
        assert.equal(anomaly.threshold, 0.1);
      }
    });
  });
});
