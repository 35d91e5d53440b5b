/**
 * A quick linear surrogate for "what do these features reach together?": ridge regression on the
 * model's transforms of any subset of the features, fitted on the training split, scored on the
 * held-out split with the same measure as the single-feature lookup (R², ROC AUC of the linear
 * score, accuracy of the argmax over one-vs-rest fits). One Gram matrix serves every subset, so
 * "the rest without f" costs one small solve per feature instead of a training run.
 */
import type { FittedTransforms } from '../features/spec';
import type { Task } from '../train/model';
import { scoreOf } from './univariate';

/** Relative ridge penalty: keeps one-hot blocks (collinear with the intercept) solvable without shrinking real signal. */
const RIDGE = 1e-4;

export interface Surrogate {
  /** The held-out score of a ridge fit on the given features (by name); NaN for an empty set. */
  score(features: readonly string[]): number;
}

export function linearSurrogate(t: FittedTransforms, task: Task, xTrain: Float32Array, xEval: Float32Array, yTrain: ArrayLike<number>, yEval: ArrayLike<number>, classes = 2): Surrogate {
  const w = t.width;
  const n = yTrain.length;
  const k = task === 'multiclass' ? classes : 1;
  const target = (y: number, j: number) => (task === 'multiclass' ? (y === j ? 1 : 0) : y);
  const mx = new Float64Array(w);
  const my = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < w; c++) mx[c]! += xTrain[i * w + c]!;
    for (let j = 0; j < k; j++) my[j]! += target(yTrain[i]!, j);
  }
  for (let c = 0; c < w; c++) mx[c]! /= n;
  for (let j = 0; j < k; j++) my[j]! /= n;
  const gram = new Float64Array(w * w);
  const xty = new Float64Array(w * k);
  const row = new Float64Array(w);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < w; c++) row[c] = xTrain[i * w + c]! - mx[c]!;
    for (let a = 0; a < w; a++) {
      const ra = row[a]!;
      if (ra === 0) continue;
      for (let b = a; b < w; b++) gram[a * w + b]! += ra * row[b]!;
      for (let j = 0; j < k; j++) xty[a * k + j]! += ra * (target(yTrain[i]!, j) - my[j]!);
    }
  }
  for (let a = 0; a < w; a++) for (let b = 0; b < a; b++) gram[a * w + b] = gram[b * w + a]!;
  const columnsOf = new Map<string, number[]>();
  let at = 0;
  for (const f of t.features) {
    columnsOf.set(
      f.name,
      f.outputs.map((_, i) => at + i),
    );
    at += f.outputs.length;
  }
  const labels = Float64Array.from(yEval);
  const m = yEval.length;
  return {
    score(features) {
      const cols = features.flatMap((f) => columnsOf.get(f) ?? []);
      if (cols.length === 0) return Number.NaN;
      const p = cols.length;
      const a = new Float64Array(p * p);
      let trace = 0;
      for (let i = 0; i < p; i++) trace += gram[cols[i]! * w + cols[i]!]!;
      const lambda = RIDGE * (trace / p) + 1e-9;
      for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) a[i * p + j] = gram[cols[i]! * w + cols[j]!]! + (i === j ? lambda : 0);
      const chol = cholesky(a, p);
      const pred = new Float64Array(m * k);
      for (let j = 0; j < k; j++) {
        const beta = solveCholesky(
          chol,
          p,
          Float64Array.from(cols, (c) => xty[c * k + j]!),
        );
        for (let r = 0; r < m; r++) {
          let s = my[j]!;
          for (let i = 0; i < p; i++) s += (xEval[r * w + cols[i]!]! - mx[cols[i]!]!) * beta[i]!;
          pred[r * k + j] = s;
        }
      }
      if (task === 'regression') return scoreOf('r2', labels, pred);
      if (task === 'binary') return scoreOf('auc', labels, toUnitRanks(pred));
      const argmax = Float64Array.from({ length: m }, (_, r) => {
        let best = 0;
        for (let j = 1; j < k; j++) if (pred[r * k + j]! > pred[r * k + best]!) best = j;
        return best;
      });
      return scoreOf('accuracy', labels, argmax);
    },
  };
}

/** Lower-triangular L with A = L·Lᵀ (A symmetric positive definite, p×p row-major). */
function cholesky(a: Float64Array, p: number): Float64Array {
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * p + j]!;
      for (let q = 0; q < j; q++) s -= l[i * p + q]! * l[j * p + q]!;
      l[i * p + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / l[j * p + j]!;
    }
  }
  return l;
}

function solveCholesky(l: Float64Array, p: number, b: Float64Array): Float64Array {
  const z = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i]!;
    for (let q = 0; q < i; q++) s -= l[i * p + q]! * z[q]!;
    z[i] = s / l[i * p + i]!;
  }
  const x = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let q = i + 1; q < p; q++) s -= l[q * p + i]! * x[q]!;
    x[i] = s / l[i * p + i]!;
  }
  return x;
}

/** Scores mapped into (0, 1) by rank, ties kept: ROC AUC reads only their order, and rocAuc wants probabilities. */
function toUnitRanks(x: Float64Array): Float64Array {
  const order = Array.from(x.keys()).sort((a, b) => x[a]! - x[b]!);
  const out = new Float64Array(x.length);
  let rank = 0;
  for (let i = 0; i < order.length; i++) {
    if (i > 0 && x[order[i]!]! !== x[order[i - 1]!]!) rank = i;
    out[order[i]!] = (rank + 1) / (x.length + 1);
  }
  return out;
}
