/**
 * Leave-one-out retraining (the course's "leave one out evaluations"): the model retrained with
 * every feature and once without each, with the same config, split, seed and backend, all scored
 * on the same held-out rows. Nothing is registered: these models exist to be compared.
 */
import type { DuckSession } from '../data/duckdb';
import { cancelled } from '../errors';
import { scalarMetrics, taskDataOf } from '../evaluate/metrics';
import { transformRows } from '../features/apply';
import { fitTransforms } from '../features/fit';
import type { ModelConfig } from '../project/config';
import { loadTf, type BackendName } from '../train/backend';
import { recencyWeights } from '../train/split';
import { predict, trainModel } from '../train/trainer';
import type { SplitData } from '../train/splitData';

export interface RetrainResult {
  /** Every scalar metric on the held-out rows. */
  metrics: Record<string, number>;
  /** The model's outputs on the held-out rows (outputsPerRow per row), for intervals. */
  out: Float32Array;
  epochs: number;
}

const TRAIN_SPLIT_TABLE = 'prodml_check_train_split';

/** Registers the training split's rows as a table fitTransforms can read (once per check). */
export async function stageTrainSplit(session: DuckSession, data: SplitData, signal?: AbortSignal): Promise<string> {
  await session.run(`CREATE OR REPLACE TEMP TABLE ${TRAIN_SPLIT_TABLE} (__row INTEGER)`, { signal });
  for (let i = 0; i < data.train.length; i += 5000) {
    await session.run(`INSERT INTO ${TRAIN_SPLIT_TABLE} VALUES ${data.train.slice(i, i + 5000).map((r) => `(${r})`).join(',')}`, { signal });
  }
  return `(SELECT t.* FROM ${data.table} t SEMI JOIN ${TRAIN_SPLIT_TABLE} s ON t.__row = s.__row)`;
}

/** Trains m on `features` only (a subset of its features) the way trainFromConfig does, and scores the held-out rows. */
export async function retrainWithout(
  session: DuckSession,
  m: ModelConfig,
  data: SplitData,
  relation: string,
  without: string | undefined,
  opts: { seed?: number; backend?: BackendName; signal?: AbortSignal; onEpoch?: (epoch: number, epochs: number) => void } = {},
): Promise<RetrainResult & { backend: BackendName }> {
  const specs = m.features.filter((f) => f.name !== without);
  const fitted = await fitTransforms(session, specs, { relation, display: m.dataset.path.join(', '), signal: opts.signal });
  const pick = (idx: number[]) => idx.map((i) => data.rows[i]!);
  const trainRows = pick(data.train);
  const evalRows = pick(data.eval);
  const yOf = (idx: number[]) => Float32Array.from(idx, (i) => data.y[i]!);
  const classes = data.classes?.length ?? 2;
  const train = { x: transformRows(fitted, trainRows), y: yOf(data.train), w: m.weighting ? recencyWeights(trainRows, m.weighting.column, m.weighting.half_life_days) : undefined, width: fitted.width };
  const evalData = { x: transformRows(fitted, evalRows), y: yOf(data.eval), width: fitted.width };
  const { tf, backend } = await loadTf(opts.backend);
  if (opts.signal?.aborted) throw cancelled();
  const result = await trainModel(tf, { task: m.task, classes, model: m.model, params: opts.seed === undefined ? m.training : { ...m.training, seed: opts.seed }, train, eval: evalData }, (r) => opts.onEpoch?.(r.epoch, r.epochs), opts.signal);
  try {
    const out = predict(tf, result.model, evalData.x, evalData.width);
    const taskData = taskDataOf(m.task, evalData.y, out, classes);
    const metrics = Object.fromEntries(Object.entries(scalarMetrics(taskData)).filter(([, v]) => Number.isFinite(v))) as Record<string, number>;
    return { metrics, out, epochs: result.history.length, backend };
  } finally {
    result.model.dispose();
  }
}
