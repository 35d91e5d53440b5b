/**
 * The shapes evaluation reads and writes. Metric names are snake_case because they are what
 * prodml.yaml thresholds, model cards and `--json` output name.
 */

export type Task = 'regression' | 'binary' | 'multiclass';

/**
 * Row-aligned arrays. Weights follow scikit-learn's `sample_weight`: every sum over rows becomes
 * a weighted sum, every mean a weighted mean; a zero weight drops the row from ranking metrics.
 */
export interface RegressionData {
  labels: ArrayLike<number>;
  predictions: ArrayLike<number>;
  weights?: ArrayLike<number>;
}

/** Labels 0/1; scores are the predicted probability of class 1, in [0, 1]. */
export interface BinaryData {
  labels: ArrayLike<number>;
  scores: ArrayLike<number>;
  weights?: ArrayLike<number>;
}

/** Labels are class indices 0..K-1; `probabilities[i]` is row i's K class probabilities. */
export interface MulticlassData {
  labels: ArrayLike<number>;
  probabilities: ReadonlyArray<ArrayLike<number>>;
  weights?: ArrayLike<number>;
}

/**
 * NaN marks a metric the data cannot define (e.g. ROC AUC with one class); JSON turns it into null.
 * Type aliases rather than interfaces so that they are assignable to MetricValues.
 */
export type RegressionMetrics = {
  rmse: number;
  mae: number;
  r2: number;
  mean_residual: number;
};

export type BinaryMetrics = {
  accuracy: number;
  log_loss: number;
  auc: number;
  pr_auc: number;
  precision: number;
  recall: number;
  f1: number;
  brier: number;
};

export type MulticlassMetrics = {
  accuracy: number;
  log_loss: number;
  macro_f1: number;
};

export type MetricName = keyof RegressionMetrics | keyof BinaryMetrics | keyof MulticlassMetrics;

/** Metrics as stored (model cards, production versions): JSON may have turned NaN into null. */
export type MetricValues = Partial<Record<string, number | null>>;

/** `zero`: best at 0 in either direction (a bias), compared by magnitude. */
export type MetricDirection = 'lower' | 'higher' | 'zero';

export const METRIC_DIRECTIONS: Record<MetricName, MetricDirection> = {
  rmse: 'lower',
  mae: 'lower',
  log_loss: 'lower',
  brier: 'lower',
  mean_residual: 'zero',
  r2: 'higher',
  accuracy: 'higher',
  auc: 'higher',
  pr_auc: 'higher',
  precision: 'higher',
  recall: 'higher',
  f1: 'higher',
  macro_f1: 'higher',
};

export function isMetricName(name: string): name is MetricName {
  return Object.prototype.hasOwnProperty.call(METRIC_DIRECTIONS, name);
}

/** The profile's histogram shape: bins [edges[i], edges[i+1]), the last one closed (numpy.histogram). */
export type { Histogram } from '../data/profileTypes';
