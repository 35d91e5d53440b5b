/**
 * A single-Dense-layer model (logistic, linear, softmax regression) scored straight from typed
 * columns, without the dense design matrix: a numeric slot adds x·w, a one-hot slot adds its
 * weight (an index into the kernel), and a zero slot adds nothing. Each row's sum still takes its
 * non-zero terms in slot order, in float64, from the same float32-rounded inputs as
 * transformColumns + denseForward, so the bits are theirs. Adding a zero can only turn a -0 sum
 * into +0, which changes a linear or tanh output's bits: rows whose sum is zero are rescored
 * through the dense path (test/unit/batchColumns.test.ts plants them).
 */
import type { CategoryColumn, TypedColumn } from '../data/duckdb';
import { categorySlots, transformColumns } from '../features/applyColumns';
import type { FittedFeature, FittedTransforms } from '../features/spec';
import type { DenseNet } from './denseForward';

export type ColumnScorer = (columns: readonly TypedColumn[], rows: number) => Float32Array;

const SPARSE_KINDS = new Set<FittedFeature['kind']>(['identity', 'standardize', 'min_max', 'log', 'one_hot', 'vocabulary', 'bucketize']);

/** The sparse scorer of `net` over `t`'s columns, or undefined when the net has hidden layers or a feature is not covered. */
export function compileLinearColumns(net: DenseNet, t: FittedTransforms): ColumnScorer | undefined {
  if (net.layers.length !== 1 || net.inputs !== t.width) return undefined;
  if (!t.features.every((f) => SPARSE_KINDS.has(f.kind))) return undefined;
  const layer = net.layers[0]!;
  const { units, kernel, bias, activation } = layer;
  const inputs = layer.inputs;
  // Per unit, the kernel column as a contiguous Float64Array: kt[u][slot].
  const kt = Array.from({ length: units }, (_, u) => Float64Array.from({ length: inputs }, (_, i) => kernel[i * units + u]!));
  const zeroSignMatters = activation === 'linear' || activation === 'tanh';

  return (columns, rows) => {
    const acc = Array.from({ length: units }, (_, u) => new Float64Array(rows).fill(bias ? bias[u]! : 0));
    let at = 0;
    t.features.forEach((f, j) => {
      at += addFeature(f, columns[j]!, rows, at, kt, acc);
    });
    const out = new Float32Array(rows * units);
    const scratch = new Float64Array(units);
    for (let r = 0; r < rows; r++) activate(activation, acc, r, units, out, r * units, scratch);
    if (zeroSignMatters) {
      for (let r = 0; r < rows; r++) {
        let zero = false;
        for (let u = 0; u < units; u++) if (acc[u]![r] === 0) zero = true;
        if (!zero) continue;
        out.set(net.forward(transformColumns(t, columns, r, r + 1)), r * units);
      }
    }
    return out;
  };
}

/** Adds feature `f`'s terms (slots from `at`) to every row's sums; returns its width. */
function addFeature(f: FittedFeature, col: TypedColumn, rows: number, at: number, kt: Float64Array[], acc: Float64Array[]): number {
  const units = kt.length;
  switch (f.kind) {
    case 'identity':
    case 'standardize':
    case 'min_max':
    case 'log': {
      if (col.kind !== 'number') throw new Error(`feature "${f.name}" needs a number column, got ${col.kind}`);
      const v = col.values;
      const { center, scale, impute } = f;
      const offset = f.kind === 'log' ? f.offset : 0;
      // The encoded value is rounded to float32 (Math.fround) as the design matrix stores it.
      for (let u = 0; u < units; u++) {
        const w = kt[u]![at]!;
        const a = acc[u]!;
        if (f.kind === 'log') {
          for (let i = 0; i < rows; i++) {
            const x = v[i]!;
            const y = x === x && x + offset > 0 ? x : impute;
            a[i] = a[i]! + Math.fround((Math.log(y + offset) - center) / scale) * w;
          }
        } else {
          for (let i = 0; i < rows; i++) {
            const x = v[i]!;
            a[i] = a[i]! + Math.fround(((x === x ? x : impute) - center) / scale) * w;
          }
        }
      }
      return 1;
    }
    case 'bucketize': {
      if (col.kind !== 'number') throw new Error(`feature "${f.name}" needs a number column, got ${col.kind}`);
      const v = col.values;
      const bounds = f.boundaries;
      for (let i = 0; i < rows; i++) {
        const x = v[i] === v[i] ? v[i]! : f.impute;
        let b = 0;
        while (b < bounds.length && x >= bounds[b]!) b++;
        for (let u = 0; u < units; u++) {
          const a = acc[u]!;
          a[i] = a[i]! + kt[u]![at + b]!;
        }
      }
      return bounds.length + 1;
    }
    case 'one_hot':
    case 'vocabulary': {
      if (col.kind !== 'category') throw new Error(`feature "${f.name}" needs a category column, got ${col.kind}`);
      const c = col as CategoryColumn;
      const { slots, missing } = categorySlots(f, c.dictionary);
      for (let u = 0; u < units; u++) {
        const a = acc[u]!;
        const k = kt[u]!;
        // The weight each dictionary entry adds (NaN marks "adds nothing": no slot).
        const wOf = Float64Array.from(slots, (s) => (s >= 0 ? k[at + s]! : Number.NaN));
        const wMissing = missing >= 0 ? k[at + missing]! : Number.NaN;
        const codes = c.codes;
        for (let i = 0; i < rows; i++) {
          const code = codes[i]!;
          const w = code < 0 ? wMissing : wOf[code]!;
          if (w === w) a[i] = a[i]! + w;
        }
      }
      return f.values.length + f.oovBuckets;
    }
    case 'date_parts':
      throw new Error('date_parts is scored through the dense path');
  }
}

/** The activation of row `r`'s sums, as denseForward.applyDense computes it, into out[o..o+units). */
function activate(activation: DenseNet['layers'][number]['activation'], acc: Float64Array[], r: number, units: number, out: Float32Array, o: number, e: Float64Array): void {
  switch (activation) {
    case 'linear':
      for (let u = 0; u < units; u++) out[o + u] = acc[u]![r]!;
      return;
    case 'relu':
      for (let u = 0; u < units; u++) out[o + u] = acc[u]![r]! > 0 ? acc[u]![r]! : 0;
      return;
    case 'sigmoid':
      for (let u = 0; u < units; u++) out[o + u] = 1 / (1 + Math.exp(-Math.fround(acc[u]![r]!)));
      return;
    case 'tanh':
      for (let u = 0; u < units; u++) out[o + u] = Math.tanh(Math.fround(acc[u]![r]!));
      return;
    case 'softmax': {
      let max = -Infinity;
      for (let u = 0; u < units; u++) max = Math.max(max, Math.fround(acc[u]![r]!));
      let sum = 0;
      for (let u = 0; u < units; u++) {
        e[u] = Math.exp(Math.fround(acc[u]![r]!) - max);
        sum += e[u]!;
      }
      for (let u = 0; u < units; u++) out[o + u] = e[u]! / sum;
      return;
    }
  }
}
