/** Binary classification metrics on predicted probabilities of class 1. */
import { linspace } from './binning';
import { checkBinary } from './checkInputs';
import { curveWalk, rankingAreas } from './rankCurve';
import { CompensatedSum, weightedMeanOf } from './summation';
import type { BinaryData, BinaryMetrics } from './types';

/** Rows at or above the threshold are predicted positive: the convention of sklearn's curve thresholds. */
export const DEFAULT_THRESHOLD = 0.5;

/** numpy.finfo(float64).eps: sklearn 1.2's log_loss(eps='auto') for float64 probabilities. */
export const LOG_LOSS_EPS = 2.220446049250313e-16;

export function binaryMetrics(data: BinaryData, options: { threshold?: number } = {}): BinaryMetrics {
  checkBinary(data);
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  const counts = confusionAtThreshold(data, threshold);
  const { tp, fp, fn, tn } = counts;
  // zero_division = 0, sklearn's default: an empty denominator scores 0, never NaN.
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  const areas = rankingAreas(curveWalk(data));
  return {
    accuracy: (tp + tn) / (tp + fp + fn + tn),
    log_loss: binaryLogLoss(data),
    auc: areas.auc,
    pr_auc: areas.pr_auc,
    precision,
    recall,
    f1,
    brier: brierScore(data),
  };
}

/** Weighted confusion counts with `score >= threshold` predicted positive. */
export function confusionAtThreshold(data: BinaryData, threshold: number): { tp: number; fp: number; fn: number; tn: number } {
  const tp = new CompensatedSum();
  const fp = new CompensatedSum();
  const fn = new CompensatedSum();
  const tn = new CompensatedSum();
  for (let i = 0; i < data.labels.length; i++) {
    const w = data.weights ? data.weights[i]! : 1;
    const positive = data.scores[i]! >= threshold;
    if (data.labels[i] === 1) (positive ? tp : fn).add(w);
    else (positive ? fp : tn).add(w);
  }
  return { tp: tp.value, fp: fp.value, fn: fn.value, tn: tn.value };
}

/**
 * sklearn 1.2's log_loss: clip to [eps, 1 − eps], form the two columns (1 − p, p), renormalise
 * each row by its sum, then the weighted mean of −ln(probability of the true class).
 */
export function binaryLogLoss(data: BinaryData): number {
  const { labels, scores } = data;
  return weightedMeanOf(labels.length, (i) => {
    const p = Math.min(Math.max(scores[i]!, LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
    const q = 1 - p;
    return -Math.log((labels[i] === 1 ? p : q) / (q + p));
  }, data.weights);
}

/** sklearn's brier_score_loss: weighted mean of (label − score)². */
export function brierScore(data: BinaryData): number {
  const { labels, scores } = data;
  return weightedMeanOf(labels.length, (i) => {
    const d = labels[i]! - scores[i]!;
    return d * d;
  }, data.weights);
}

export function rocAuc(data: BinaryData): number {
  checkBinary(data);
  return rankingAreas(curveWalk(data)).auc;
}

export function averagePrecision(data: BinaryData): number {
  checkBinary(data);
  return rankingAreas(curveWalk(data)).pr_auc;
}

/** A reliability bin: scores in (lower, upper] (the first bin also holds 0). */
export interface CalibrationBin {
  lower: number;
  upper: number;
  count: number;
  /** Weighted mean score of the bin's rows. */
  mean_predicted: number;
  /** Weighted share of positive labels among the bin's rows. */
  observed_rate: number;
}

/**
 * sklearn's calibration_curve(strategy='uniform'): `bins` equal-width bins over [0, 1] with numpy's
 * edges, a score on an edge going to the lower bin (searchsorted 'left'); bins without (weighted)
 * rows are left out. sklearn has no weights here; with weights both means are weighted.
 */
export function calibrationBins(data: BinaryData, options: { bins?: number } = {}): CalibrationBin[] {
  checkBinary(data);
  const bins = options.bins ?? 10;
  const edges = linspace(0, 1, bins + 1);
  const acc = Array.from({ length: bins }, () => ({ p: new CompensatedSum(), y: new CompensatedSum(), w: new CompensatedSum(), count: 0 }));
  for (let i = 0; i < data.labels.length; i++) {
    const s = data.scores[i]!;
    // searchsorted(edges[1:-1], s, 'left') = the number of inner edges strictly below s.
    let b = Math.min(bins - 1, Math.max(0, Math.ceil(s * bins) - 1));
    while (b > 0 && edges[b]! >= s) b--;
    while (b < bins - 1 && edges[b + 1]! < s) b++;
    const w = data.weights ? data.weights[i]! : 1;
    const a = acc[b]!;
    a.p.add(w * s);
    a.y.add(w * data.labels[i]!);
    a.w.add(w);
    a.count++;
  }
  const out: CalibrationBin[] = [];
  acc.forEach((a, b) => {
    const w = a.w.value;
    if (a.count === 0 || w === 0) return;
    out.push({ lower: edges[b]!, upper: edges[b + 1]!, count: a.count, mean_predicted: a.p.value / w, observed_rate: a.y.value / w });
  });
  return out;
}
