/**
 * Evaluation metrics for regression, binary and multiclass models, each matching scikit-learn 1.2
 * (Debian bookworm's python3-sklearn) on the same float64 inputs to 1e-9 (test/unit/metrics.test.ts).
 *
 * Notation: yᵢ label, ŷᵢ prediction, pᵢ score (probability of class 1), wᵢ sample weight (1 when
 * none is given: sklearn's `sample_weight`), W = Σ wᵢ, rᵢ = yᵢ − ŷᵢ the residual.
 *
 * Regression
 *   rmse           √(Σ wᵢ rᵢ² / W)                          mean_squared_error(squared=False)
 *   mae            Σ wᵢ |rᵢ| / W                            mean_absolute_error
 *   r2             1 − Σ wᵢ rᵢ² / Σ wᵢ (yᵢ − ȳ_w)²          r2_score (force_finite: 1 if no error,
 *                                                           0 if constant y with error, NaN if n < 2)
 *   mean_residual  Σ wᵢ rᵢ / W  (> 0: predictions too low)  numpy.average(y − ŷ, weights=w)
 *   residuals      histogram of rᵢ (20 equal bins, row counts) numpy.histogram;
 *                  quantiles p01…p99 over rows             numpy.quantile (linear)
 *   by input       per bin of an input (10 equal-width bins, numpy.histogram_bin_edges; or per
 *                  category, top 20 + "(other)"; "(missing)"): row count and Σ wᵢ rᵢ / Σ wᵢ
 *
 * Binary (predicted class: pᵢ ≥ threshold, default 0.5)
 *   accuracy       weight of correct predictions / W        accuracy_score
 *   log_loss       −Σ wᵢ ln q_{i,yᵢ} / W with p clipped to [ε, 1 − ε], ε = 2.22e-16 (float64 eps:
 *                  sklearn 1.2's eps='auto'), q = (1 − p, p) / ((1 − p) + p)   log_loss
 *   auc            trapezoid area under (0,0) and (FPR, TPR) at each distinct score, tied scores
 *                  forming one step (so a tie counts ½)     roc_auc_score; NaN with one class
 *   pr_auc         average precision Σₙ (Rₙ − Rₙ₋₁) Pₙ over distinct scores, highest first, R₋₁ = 0
 *                  (a step sum, not a trapezoid)            average_precision_score; 0 with no positive
 *   precision      TP / (TP + FP), 0 when nothing is predicted positive   precision_score(zero_division=0)
 *   recall         TP / (TP + FN), 0 when no label is positive           recall_score(zero_division=0)
 *   f1             2PR / (P + R), 0 when P + R = 0                       f1_score(zero_division=0)
 *                  (TP, FP, FN are weighted counts at the threshold)
 *   brier          Σ wᵢ (yᵢ − pᵢ)² / W                       brier_score_loss
 *   calibration    10 equal bins over [0, 1], a score on an edge in the lower bin, empty bins left
 *                  out: row count, mean score, positive rate (weighted means when weighted)
 *                                                           calibration_curve(strategy='uniform')
 *
 * Multiclass (probability rows over K classes; predicted class: argmax, lowest index on ties)
 *   accuracy       weight of correct predictions / W        accuracy_score
 *   log_loss       as binary on the K columns, each clipped then the row renormalised   log_loss
 *   macro_f1       unweighted mean of per-class F1 over the classes present among labels or
 *                  predictions (zero_division=0)           f1_score(average='macro')
 *   confusion      matrix[true][predicted] of weights, K×K  confusion_matrix(labels=0..K-1)
 *
 * Sums are Neumaier-compensated, so results do not drift with row count; ranking sorts once
 * (O(n log n)). NaN marks a metric the data cannot define; JSON writes it as null.
 */
import { binaryMetrics, calibrationBins, DEFAULT_THRESHOLD, type CalibrationBin } from './binary';
import { confusionMatrix, multiclassMetrics, probabilityRows } from './multiclass';
import { regressionMetrics, residualDistribution, type ResidualDistribution } from './regression';
import { totalWeight } from './summation';
import type { BinaryData, BinaryMetrics, MulticlassData, MulticlassMetrics, RegressionData, RegressionMetrics } from './types';

export type TaskData =
  | ({ task: 'regression' } & RegressionData)
  | ({ task: 'binary' } & BinaryData)
  | ({ task: 'multiclass' } & MulticlassData);

/** A model's row-major outputs as the metrics take them: values, P(class 1), or a probability row per class. */
export function taskDataOf(task: TaskData['task'], labels: ArrayLike<number>, out: Float32Array | Float64Array, classes: number): TaskData {
  if (task === 'regression') return { task, labels, predictions: out };
  if (task === 'binary') return { task, labels, scores: out };
  return { task, labels, probabilities: probabilityRows(out, classes) };
}

export interface MetricOptions {
  /** Binary: scores at or above it are predicted positive. Default 0.5. */
  threshold?: number;
  /** Binary reliability bins. Default 10. */
  calibrationBins?: number;
  /** Regression residual histogram bins. Default 20. */
  residualBins?: number;
}

interface Counted {
  rows: number;
  /** Σ wᵢ: the row count when unweighted. */
  weight: number;
}

export type TaskEvaluation =
  | ({ task: 'regression'; metrics: RegressionMetrics; residuals: ResidualDistribution } & Counted)
  | ({ task: 'binary'; threshold: number; metrics: BinaryMetrics; calibration: CalibrationBin[] } & Counted)
  | ({ task: 'multiclass'; metrics: MulticlassMetrics; confusion_matrix: number[][] } & Counted);

export type ScalarMetrics = RegressionMetrics | BinaryMetrics | MulticlassMetrics;

/** The scalar metrics of a task: what thresholds, baselines and model cards use. */
export function scalarMetrics(data: TaskData, options: MetricOptions = {}): ScalarMetrics {
  switch (data.task) {
    case 'regression':
      return regressionMetrics(data);
    case 'binary':
      return binaryMetrics(data, { threshold: options.threshold });
    case 'multiclass':
      return multiclassMetrics(data);
  }
}

/** Every metric of the task, with its distributions (residuals, calibration, confusion matrix). */
export function computeMetrics(data: TaskData, options: MetricOptions = {}): TaskEvaluation {
  const rows = data.labels.length;
  const weight = totalWeight(rows, data.weights);
  switch (data.task) {
    case 'regression':
      return { task: 'regression', rows, weight, metrics: regressionMetrics(data), residuals: residualDistribution(data, { bins: options.residualBins }) };
    case 'binary': {
      const threshold = options.threshold ?? DEFAULT_THRESHOLD;
      return { task: 'binary', rows, weight, threshold, metrics: binaryMetrics(data, { threshold }), calibration: calibrationBins(data, { bins: options.calibrationBins }) };
    }
    case 'multiclass':
      return { task: 'multiclass', rows, weight, metrics: multiclassMetrics(data), confusion_matrix: confusionMatrix(data) };
  }
}

export { binaryMetrics, calibrationBins, rocAuc, averagePrecision, binaryLogLoss, brierScore, confusionAtThreshold, DEFAULT_THRESHOLD, LOG_LOSS_EPS } from './binary';
export type { CalibrationBin } from './binary';
export { multiclassMetrics, multiclassLogLoss, confusionMatrix, predictedClasses, probabilityRows } from './multiclass';
export { regressionMetrics, residualDistribution, residualsByInput } from './regression';
export type { ResidualDistribution, InputResiduals, InputResidualBin, InputValue, ResidualsByInputOptions } from './regression';
export * from './types';
