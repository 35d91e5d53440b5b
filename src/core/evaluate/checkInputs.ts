/**
 * Input checks shared by the metric functions. A wrong label encoding or a NaN prediction would
 * otherwise yield a plausible-looking number, so they fail loudly with the first offending row.
 */
import { badInput } from '../errors';
import type { BinaryData, MulticlassData, RegressionData } from './types';

function fail(problem: string): never {
  throw badInput(undefined, problem);
}

function checkLength(what: string, values: ArrayLike<unknown> | undefined, n: number): void {
  if (values && values.length !== n) fail(`${what} has ${values.length} rows, the labels have ${n}`);
}

function checkWeights(weights: ArrayLike<number> | undefined, n: number): void {
  if (!weights) return;
  checkLength('sample weights', weights, n);
  let positive = false;
  for (let i = 0; i < n; i++) {
    const w = weights[i]!;
    if (!Number.isFinite(w) || w < 0) fail(`sample weight of row ${i + 1} is ${w}; weights must be finite and non-negative`);
    if (w > 0) positive = true;
  }
  if (n > 0 && !positive) fail('every sample weight is 0');
}

function checkNotEmpty(n: number): void {
  if (n === 0) fail('no rows to evaluate');
}

export function checkRegression(data: RegressionData): void {
  const n = data.labels.length;
  checkNotEmpty(n);
  checkLength('predictions', data.predictions, n);
  checkWeights(data.weights, n);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(data.labels[i]!)) fail(`label of row ${i + 1} is ${data.labels[i]}; labels must be finite numbers`);
    if (!Number.isFinite(data.predictions[i]!)) fail(`prediction of row ${i + 1} is ${data.predictions[i]}; predictions must be finite numbers`);
  }
}

export function checkBinary(data: BinaryData): void {
  const n = data.labels.length;
  checkNotEmpty(n);
  checkLength('scores', data.scores, n);
  checkWeights(data.weights, n);
  for (let i = 0; i < n; i++) {
    const y = data.labels[i]!;
    if (y !== 0 && y !== 1) fail(`label of row ${i + 1} is ${y}; binary labels must be 0 or 1`);
    const s = data.scores[i]!;
    if (!(s >= 0 && s <= 1)) fail(`score of row ${i + 1} is ${s}; scores must be probabilities in [0, 1]`);
  }
}

/** Returns K, the number of classes (the width of the probability rows). */
export function checkMulticlass(data: MulticlassData): number {
  const n = data.labels.length;
  checkNotEmpty(n);
  checkLength('probabilities', data.probabilities, n);
  checkWeights(data.weights, n);
  const k = data.probabilities[0]!.length;
  if (k < 2) fail(`probability rows have ${k} column(s); multiclass needs at least 2 classes`);
  for (let i = 0; i < n; i++) {
    const y = data.labels[i]!;
    if (!Number.isInteger(y) || y < 0 || y >= k) fail(`label of row ${i + 1} is ${y}; labels must be class indices 0..${k - 1}`);
    const row = data.probabilities[i]!;
    if (row.length !== k) fail(`probability row ${i + 1} has ${row.length} columns, row 1 has ${k}`);
    for (let j = 0; j < k; j++) {
      const p = row[j]!;
      if (!(p >= 0 && p <= 1)) fail(`probability of class ${j} in row ${i + 1} is ${p}; probabilities must be in [0, 1]`);
    }
  }
  return k;
}
