/** Multiclass metrics on rows of class probabilities. */
import { LOG_LOSS_EPS } from './binary';
import { checkMulticlass } from './checkInputs';
import { CompensatedSum, weightedMean } from './summation';
import type { MulticlassData, MulticlassMetrics } from './types';

/** Rows over a flat row-major buffer (a tfjs softmax output of shape [n, classes]), without copying. */
export function probabilityRows(flat: Float32Array | Float64Array, classes: number): Array<Float32Array | Float64Array> {
  const rows = flat.length / classes;
  return Array.from({ length: rows }, (_, i) => flat.subarray(i * classes, (i + 1) * classes));
}

/** The predicted class: the most probable, the lowest index on a tie (numpy.argmax). */
export function predictedClasses(probabilities: ReadonlyArray<ArrayLike<number>>): Int32Array {
  const out = new Int32Array(probabilities.length);
  probabilities.forEach((row, i) => {
    let best = 0;
    for (let j = 1; j < row.length; j++) if (row[j]! > row[best]!) best = j;
    out[i] = best;
  });
  return out;
}

/** Weighted counts: `matrix[true][predicted]`, sklearn's confusion_matrix with labels 0..K-1. */
export function confusionMatrix(data: MulticlassData): number[][] {
  const k = checkMulticlass(data);
  return confusionFrom(data, predictedClasses(data.probabilities), k).map((row) => row.map((c) => c.value));
}

function confusionFrom(data: MulticlassData, predicted: Int32Array, k: number): CompensatedSum[][] {
  const m = Array.from({ length: k }, () => Array.from({ length: k }, () => new CompensatedSum()));
  for (let i = 0; i < predicted.length; i++) m[data.labels[i]!]![predicted[i]!]!.add(data.weights ? data.weights[i]! : 1);
  return m;
}

export function multiclassMetrics(data: MulticlassData): MulticlassMetrics {
  const k = checkMulticlass(data);
  const predicted = predictedClasses(data.probabilities);
  const cm = confusionFrom(data, predicted, k).map((row) => row.map((c) => c.value));
  const correct = new CompensatedSum();
  const total = new CompensatedSum();
  for (let t = 0; t < k; t++) {
    for (let p = 0; p < k; p++) {
      total.add(cm[t]![p]!);
      if (t === p) correct.add(cm[t]![p]!);
    }
  }
  return { accuracy: correct.value / total.value, log_loss: multiclassLogLoss(data), macro_f1: macroF1(cm, data, predicted) };
}

/**
 * sklearn's f1_score(average='macro') with its default labels: the unweighted mean of per-class
 * F1 over the classes that occur among the labels or the predictions (a class absent from both is
 * not averaged in). Empty denominators score 0 (zero_division = 0).
 */
function macroF1(cm: number[][], data: MulticlassData, predicted: Int32Array): number {
  const k = cm.length;
  const present = new Uint8Array(k);
  for (let i = 0; i < predicted.length; i++) {
    present[data.labels[i]!] = 1;
    present[predicted[i]!] = 1;
  }
  const scores: number[] = [];
  for (let c = 0; c < k; c++) {
    if (!present[c]) continue;
    const predictedTotal = new CompensatedSum();
    const trueTotal = new CompensatedSum();
    for (let j = 0; j < k; j++) {
      predictedTotal.add(cm[j]![c]!);
      trueTotal.add(cm[c]![j]!);
    }
    const tp = cm[c]![c]!;
    const precision = predictedTotal.value !== 0 ? tp / predictedTotal.value : 0;
    const recall = trueTotal.value !== 0 ? tp / trueTotal.value : 0;
    scores.push(precision + recall !== 0 ? (2 * precision * recall) / (precision + recall) : 0);
  }
  return weightedMean(scores);
}

/** sklearn 1.2's log_loss: clip each probability to [eps, 1 − eps], renormalise rows, weighted mean of −ln p(true class). */
export function multiclassLogLoss(data: MulticlassData): number {
  const n = data.labels.length;
  const loss = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = data.probabilities[i]!;
    let rowSum = 0;
    let truth = 0;
    for (let j = 0; j < row.length; j++) {
      const p = Math.min(Math.max(row[j]!, LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
      rowSum += p;
      if (j === data.labels[i]) truth = p;
    }
    loss[i] = -Math.log(truth / rowSum);
  }
  return weightedMean(loss, data.weights);
}
