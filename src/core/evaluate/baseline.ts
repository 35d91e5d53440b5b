/**
 * Naive baselines: what a model that ignores every input would score. They are fitted on the
 * training labels (a baseline fitted on the evaluation labels would flatter itself) and then scored
 * with the very same metric functions as the model.
 */
import { badInput } from '../errors';
import { CompensatedSum, weightedMean } from './summation';
import type { Task } from './types';

/**
 * regression: predict the training mean; binary: score every row with the training positive rate;
 * multiclass: the training class priors as probabilities (so the predicted class is the majority).
 */
export type Baseline =
  | { task: 'regression'; mean: number }
  | { task: 'binary'; positive_rate: number }
  | { task: 'multiclass'; priors: number[] };

/** The baseline fitted on training labels (optionally weighted, as training was). */
export function fitBaseline(task: Task, labels: ArrayLike<number>, weights?: ArrayLike<number>, classes?: number): Baseline {
  if (labels.length === 0) throw badInput(undefined, 'no training labels to fit the baseline on');
  if (task === 'regression') return { task, mean: weightedMean(labels, weights) };
  if (task === 'binary') {
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] !== 0 && labels[i] !== 1) throw badInput(undefined, `training label of row ${i + 1} is ${labels[i]}; binary labels must be 0 or 1`);
    }
    return { task, positive_rate: weightedMean(labels, weights) };
  }
  let k = classes ?? 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (!Number.isInteger(y) || y < 0) throw badInput(undefined, `training label of row ${i + 1} is ${y}; multiclass labels must be class indices`);
    k = Math.max(k, y + 1);
  }
  const mass = Array.from({ length: k }, () => new CompensatedSum());
  const total = new CompensatedSum();
  for (let i = 0; i < labels.length; i++) {
    const w = weights ? weights[i]! : 1;
    mass[labels[i]!]!.add(w);
    total.add(w);
  }
  return { task, priors: mass.map((m) => m.value / total.value) };
}

export function baselineDescription(b: Baseline): string {
  if (b.task === 'regression') return `predict the training mean ${Number(b.mean.toPrecision(4))}`;
  if (b.task === 'binary') return `score every row with the training positive rate ${Number(b.positive_rate.toPrecision(4))}`;
  const majority = b.priors.indexOf(Math.max(...b.priors));
  return `predict the majority class ${majority} with the training class priors as probabilities`;
}

/** The baseline's predictions for n rows, in the shape the task's metrics read. */
export function regressionBaselinePredictions(b: Extract<Baseline, { task: 'regression' }>, n: number): Float64Array {
  return new Float64Array(n).fill(b.mean);
}

export function binaryBaselineScores(b: Extract<Baseline, { task: 'binary' }>, n: number): Float64Array {
  return new Float64Array(n).fill(b.positive_rate);
}

export function multiclassBaselineProbabilities(b: Extract<Baseline, { task: 'multiclass' }>, n: number, classes: number): number[][] {
  if (b.priors.length > classes) throw badInput(undefined, `the baseline has ${b.priors.length} classes, the model ${classes}`);
  const row = Array.from({ length: classes }, (_, j) => b.priors[j] ?? 0);
  return Array.from({ length: n }, () => row);
}
