/**
 * A registered version ready to score rows: its saved transforms and its model, loaded once.
 * Online serving, batch prediction and evaluation all score through here, so the same row gives
 * the same prediction wherever it is scored.
 */
import fs from 'node:fs/promises';
import type * as TF from '@tensorflow/tfjs';
import { badInput } from '../errors';
import type { TypedColumn } from '../data/duckdb';
import { transformRows } from '../features/apply';
import { transformColumns } from '../features/applyColumns';
import type { FittedTransforms } from '../features/spec';
import type { ModelVersion } from '../registry/types';
import { loadTf } from '../train/backend';
import type { Task } from '../train/model';
import { loadModel, predict } from '../train/trainer';
import { loadOnnxScorer } from '../onnx/scorer';
import { compileDenseNet } from './denseForward';
import { compileLinearColumns } from './linearColumns';

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
  /** The same predictions from typed columns (one per input, in `inputs` order, read as readFor says): batch scoring without row objects. */
  scoreColumns?(columns: readonly TypedColumn[], rows: number): Float32Array;
  dispose(): void;
  /** What computes the forward pass: plain JS for all-Dense models (denseForward.ts), tfjs, or onnxruntime (imported ONNX). */
  engine?: 'dense-js' | 'tfjs' | 'onnxruntime';
}

export async function loadScorer(version: ModelVersion): Promise<Scorer> {
  const card = version.card;
  if (card.runtime === 'onnx') return { model: version.model, version: version.version, engine: 'onnxruntime', ...(await loadOnnxScorer(version)) };
  const task = card.task as Task | undefined;
  if (!task) throw badInput(version.dir, 'card.json names no task; this version cannot score rows');
  const transforms = JSON.parse(await fs.readFile(version.files['transform.json'], 'utf8')) as FittedTransforms;
  const classes = (card.params['classes'] as string[] | undefined) ?? undefined;
  const modelJson = await fs.readFile(version.files['model.json'], 'utf8');
  const weights = await fs.readFile(version.files['weights.bin']);
  const outputsPerRow = task === 'multiclass' ? (classes?.length ?? 2) : 1;
  const base = { model: version.model, version: version.version, task, classes, inputs: transforms.features.map((f) => f.name), outputsPerRow, transforms };
  // All-Dense models (every model prodml.yaml can ask for) skip tfjs: its per-op dispatch costs
  // more than the whole forward pass of a single row. Same weights, same float32 results (~1e-7).
  const net = compileDenseNet(modelJson, weights);
  if (net && net.inputs === transforms.width && net.outputs === outputsPerRow) {
    // A linear model scores columns without the design matrix (linearColumns.ts): same bits.
    const linear = compileLinearColumns(net, transforms);
    return {
      ...base,
      engine: 'dense-js',
      score(rows) {
        if (rows.length === 0) return new Float32Array(0);
        return net.forward(transformRows(transforms, rows));
      },
      scoreColumns(columns, rows) {
        if (rows === 0) return new Float32Array(0);
        return linear ? linear(columns, rows) : net.forward(transformColumns(transforms, columns, 0, rows));
      },
      dispose() {},
    };
  }
  const { tf } = await loadTf();
  const model: TF.LayersModel = await loadModel(tf, modelJson, weights);
  return {
    ...base,
    engine: 'tfjs',
    score(rows) {
      if (rows.length === 0) return new Float32Array(0);
      return predict(tf, model, transformRows(transforms, rows), transforms.width);
    },
    scoreColumns(columns, rows) {
      if (rows === 0) return new Float32Array(0);
      return predict(tf, model, transformColumns(transforms, columns, 0, rows), transforms.width);
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
