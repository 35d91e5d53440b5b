/**
 * The sparse scorer of single-layer models (serve/linearColumns.ts) against the dense path it
 * replaces (transformColumns + denseForward): the same float32 bits on every row, for sigmoid,
 * linear, tanh and softmax outputs over every covered transform, with planted rows whose sum is
 * a signed zero (where skipping a one-hot zero would turn +0 into -0) and rows out of the domain,
 * missing, imputed or in an OOV bucket. Models with a hidden layer or date parts are not covered.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TypedColumn } from '../../src/core/data/duckdb';
import { fnv1a, mulberry32 } from '../../src/core/demo/random';
import { transformColumns } from '../../src/core/features/applyColumns';
import type { FittedFeature, FittedTransforms } from '../../src/core/features/spec';
import { denseNet, type DenseActivation } from '../../src/core/serve/denseForward';
import { compileLinearColumns } from '../../src/core/serve/linearColumns';

const ROWS = 5000;
const features: FittedFeature[] = [
  { name: 'a', kind: 'standardize', center: 1.5, scale: 2.25, impute: 1.5, outputs: ['a'] },
  { name: 'color', kind: 'one_hot', values: ['red', 'green', 'blue'], oovBuckets: 0, outputs: ['color=red', 'color=green', 'color=blue'] },
  { name: 'b', kind: 'log', offset: 1, center: Math.log(2), scale: 1.3, impute: 2, outputs: ['b'] },
  { name: 'c', kind: 'bucketize', boundaries: [-1, 0, 1], impute: 0, outputs: ['c0', 'c1', 'c2', 'c3'] },
  { name: 'shop', kind: 'vocabulary', values: ['s0', 's1'], oovBuckets: 2, outputs: ['s0', 's1', 'oov0', 'oov1'] },
  { name: 'd', kind: 'min_max', center: -3, scale: 6, impute: 0, outputs: ['d'] },
];
const transforms: FittedTransforms = { version: 1, features, width: 14, fittedOn: 100 };

/** Columns with planted rows: 0..9 have every encoded input 0 and no one-hot slot taken, so the sum is the bias alone. */
function columns(): TypedColumn[] {
  const r = mulberry32(7);
  const num = (f: (i: number) => number) => ({ kind: 'number' as const, values: Float64Array.from({ length: ROWS }, (_, i) => f(i)) });
  const cat = (dict: string[], p: number) => ({ kind: 'category' as const, dictionary: dict, codes: Int32Array.from({ length: ROWS }, (_, i) => (i < 10 || r() < p ? -1 : Math.floor(r() * dict.length))) });
  return [
    num((i) => (i < 10 ? 1.5 : r() < 0.05 ? Number.NaN : r() * 8 - 2)),
    cat(['red', 'green', 'blue', 'violet'], 0.05),
    num((i) => (i < 10 ? 1 : r() < 0.05 ? -5 : r() * 10)),
    num((i) => (i < 10 ? Number.NaN : r() * 4 - 2)),
    cat(['s0', 's1', 'x', 'y', 'zz'], 0.05),
    num((i) => (i < 10 ? -3 : r() * 6 - 3)),
  ];
}

function net(units: number, activation: DenseActivation, bias: number | undefined, seed: number) {
  const r = mulberry32(seed);
  const kernel = Float32Array.from({ length: 14 * units }, () => r() * 2 - 1);
  // The planted rows' terms: numbers encoded +0 times a negative weight (-0), c imputed to 0
  // (bucket 2, slot 7) and a missing shop (its OOV slot) weighing -0, so a -0 bias stays -0;
  // the dense path then adds the +0 of red's positive weight times the one-hot 0.
  const set = (slot: number, w: number) => {
    for (let u = 0; u < units; u++) kernel[slot * units + u] = w;
  };
  for (const slot of [0, 4, 13]) set(slot, -0.5);
  set(1, 0.5);
  set(7, -0);
  set(9 + 2 + (fnv1a('') % 2), -0);
  return denseNet([{ inputs: 14, units, kernel, ...(bias !== undefined ? { bias: new Float32Array(units).fill(bias) } : {}), activation }]);
}

describe('linear models scored from columns without the design matrix', () => {
  const cases: [string, number, DenseActivation, number | undefined][] = [
    ['logistic', 1, 'sigmoid', 0.25],
    ['linear regression, bias -0 (planted signed zeros)', 1, 'linear', -0],
    ['linear regression without bias', 1, 'linear', undefined],
    ['tanh, bias -0', 1, 'tanh', -0],
    ['softmax over 3 classes', 3, 'softmax', 0.1],
  ];
  for (const [name, units, activation, bias] of cases) {
    test(`${name}: the dense path's bits on every row`, () => {
      const n = net(units, activation, bias, units * 11 + 3);
      const cols = columns();
      const sparse = compileLinearColumns(n, transforms);
      assert.ok(sparse);
      const got = sparse(cols, ROWS);
      const want = n.forward(transformColumns(transforms, cols, 0, ROWS));
      assert.equal(got.length, want.length);
      assert.deepEqual(new Uint32Array(got.buffer), new Uint32Array(want.buffer));
      if (bias !== undefined && Object.is(bias, -0)) {
        // The planted rows: the dense sum adds +0 one-hot terms to -0, so it is +0, not -0.
        for (let i = 0; i < 10; i++) assert.ok(Object.is(want[i], 0), `row ${i}: ${want[i]}`);
      }
    });
  }

  test('a hidden layer or date parts: no sparse scorer', () => {
    const r = mulberry32(1);
    const hidden = denseNet([
      { inputs: 14, units: 4, kernel: Float32Array.from({ length: 56 }, () => r()), activation: 'relu' },
      { inputs: 4, units: 1, kernel: Float32Array.from({ length: 4 }, () => r()), activation: 'sigmoid' },
    ]);
    assert.equal(compileLinearColumns(hidden, transforms), undefined);
    const dated: FittedTransforms = { version: 1, features: [{ name: 't', kind: 'date_parts', parts: ['year'], yearCenter: 2020, yearScale: 2, outputs: ['t_year'] }], width: 1, fittedOn: 1 };
    assert.equal(compileLinearColumns(denseNet([{ inputs: 1, units: 1, kernel: new Float32Array([1]), activation: 'sigmoid' }]), dated), undefined);
  });
});
