/**
 * The rows trials train and are scored on. The model's own split is made exactly as
 * `prodml train` makes it; its evaluation part is then set aside unseen, and the tuner holds out
 * a validation part of the training split, made the same way (the latest rows for a time split,
 * whole groups for a group split). Choosing hyperparameters on the evaluation rows would make
 * the registered version's held-out metric optimistic; this way it stays an honest test.
 */
import { DuckSession } from '../data/duckdb';
import { deriveSeed } from '../demo/random';
import { transformRows } from '../features/apply';
import { fitTransforms } from '../features/fit';
import type { ModelConfig, ProjectConfig } from '../project/config';
import { encodeLabels, loadTrainingData } from '../train/data';
import { recencyWeights, splitRows } from '../train/split';
import type { TrainData } from '../train/trainer';
import type { Task } from '../train/model';

export interface TuningData {
  task: Task;
  /** Multiclass: the class count; 2 otherwise. */
  classes: number;
  train: TrainData;
  validation: TrainData;
  files: { path: string; content_hash: string }[];
}

const SPLIT_TABLE = 'prodml_tune_train_rows';

export async function loadTuningData(project: ProjectConfig, m: ModelConfig, validationFraction: number, signal?: AbortSignal): Promise<TuningData> {
  const seed = m.training.seed ?? 42;
  const session = await DuckSession.open({ allowedDirectories: [project.root] });
  try {
    const data = await loadTrainingData(session, project, m, signal);
    const labels = encodeLabels(data.rows, m.label, m.task);
    const kept = data.rows.map((_, i) => i).filter((i) => Number.isFinite(labels.y[i]!));
    // The same split `prodml train` makes (same rows, same seed): its eval part is never used here.
    const outer = splitRows(kept.map((i) => data.rows[i]!), m.split, seed);
    const trainIdx = outer.train.map((i) => kept[i]!);
    // A seed of its own: a group split with the outer seed would send no group to validation.
    const inner = splitRows(trainIdx.map((i) => data.rows[i]!), { ...m.split, eval_fraction: validationFraction }, deriveSeed(seed, 'tune-validation'));
    const fitIdx = inner.train.map((i) => trainIdx[i]!);
    const validIdx = inner.eval.map((i) => trainIdx[i]!);

    await session.run(`CREATE OR REPLACE TEMP TABLE ${SPLIT_TABLE} (__row INTEGER)`, { signal });
    for (let i = 0; i < fitIdx.length; i += 5000) {
      await session.run(`INSERT INTO ${SPLIT_TABLE} VALUES ${fitIdx.slice(i, i + 5000).map((r) => `(${r})`).join(',')}`, { signal });
    }
    // Transforms are fitted on the rows trials train on, so validation rows leak nothing into them.
    const fitted = await fitTransforms(session, m.features, {
      relation: `(SELECT t.* FROM ${data.table} t SEMI JOIN ${SPLIT_TABLE} s ON t.__row = s.__row)`,
      display: m.dataset.path.join(', '),
      signal,
    });
    const rowsOf = (idx: number[]) => idx.map((i) => data.rows[i]!);
    const fitRows = rowsOf(fitIdx);
    const validRows = rowsOf(validIdx);
    return {
      task: m.task,
      classes: labels.classes?.length ?? 2,
      train: {
        x: transformRows(fitted, fitRows),
        y: Float32Array.from(fitIdx, (i) => labels.y[i]!),
        ...(m.weighting ? { w: recencyWeights(fitRows, m.weighting.column, m.weighting.half_life_days) } : {}),
        width: fitted.width,
      },
      validation: { x: transformRows(fitted, validRows), y: Float32Array.from(validIdx, (i) => labels.y[i]!), width: fitted.width },
      files: data.files.map((f) => ({ path: f.path, content_hash: f.content_hash })),
    };
  } finally {
    session.close();
  }
}
