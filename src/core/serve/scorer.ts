/**
 * A registered version ready to score rows: its saved transforms and its model, loaded once.
 * Online serving, batch prediction and evaluation all score through here, so the same row gives
 * the same prediction wherever it is scored.
 */
import fs from 'node:fs/promises';
import type * as TF from '@tensorflow/tfjs';
import { badInput } from '../errors';
import { transformRows } from '../features/apply';
import type { FittedTransforms } from '../features/spec';
import type { ModelVersion } from '../registry/types';
import { loadTf } from '../train/backend';
import type { Task } from '../train/model';
import { loadModel, predict } from '../train/trainer';

export interface Scorer {
  model: string;
  version: number;
  task: Task;
  /** Class names for multiclass (probabilities come in this order); binary scores are P(class 1). */
  classes?: string[];
  /** The raw input columns the model reads (before transforms). */
  inputs: string[];
  /** Outputs per row: 1 for regression and binary, the number of classes for multiclass. */
  outputsPerRow: number;
  transforms: FittedTransforms;
  /** Row-major predictions: rows × outputsPerRow. */
  score(rows: readonly Record<string, unknown>[]): Float32Array;
  dispose(): void;
}

export async function loadScorer(version: ModelVersion): Promise<Scorer> {
  const card = version.card;
  const task = card.task as Task | undefined;
  if (!task) throw badInput(version.dir, 'card.json names no task; this version cannot score rows');
  const transforms = JSON.parse(await fs.readFile(version.files['transform.json'], 'utf8')) as FittedTransforms;
  const classes = (card.params['classes'] as string[] | undefined) ?? undefined;
  const { tf } = await loadTf();
  const model: TF.LayersModel = await loadModel(tf, await fs.readFile(version.files['model.json'], 'utf8'), await fs.readFile(version.files['weights.bin']));
  const outputsPerRow = task === 'multiclass' ? (classes?.length ?? 2) : 1;
  return {
    model: version.model,
    version: version.version,
    task,
    classes,
    inputs: transforms.features.map((f) => f.name),
    outputsPerRow,
    transforms,
    score(rows) {
      if (rows.length === 0) return new Float32Array(0);
      return predict(tf, model, transformRows(transforms, rows), transforms.width);
    },
    dispose() {
      model.dispose();
    },
  };
}

/** A row's prediction as JSON: a number, or {class: probability} for multiclass. */
export function predictionValue(scorer: Pick<Scorer, 'task' | 'classes' | 'outputsPerRow'>, out: Float32Array, row: number): number | Record<string, number> {
  if (scorer.task !== 'multiclass') return out[row]!;
  const k = scorer.outputsPerRow;
  const names = scorer.classes ?? Array.from({ length: k }, (_, i) => String(i));
  return Object.fromEntries(names.map((c, j) => [c, out[row * k + j]!]));
}
