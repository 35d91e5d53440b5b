/**
 * Leave-one-out retraining (the course's "leave one out evaluations"): the model retrained with
 * every feature and once without each, with the same config, split, seed and backend, all scored
 * on the same held-out rows. Nothing is registered: these models exist to be compared.
 */
import type { DuckSession } from '../data/duckdb';
import { cancelled } from '../errors';
import { scalarMetrics, taskDataOf } from '../evaluate/metrics';
import { fitTransforms } from '../features/fit';
import type { ModelConfig } from '../project/config';
import { loadTf, type BackendName } from '../train/backend';
import { designMatrix, timesOf, type ColumnarSplit } from '../train/columnarSplit';
import { recencyWeightsOf } from '../train/split';
import { predict, trainModel } from '../train/trainer';

export interface RetrainResult {
  /** Every scalar metric on the held-out rows. */
  metrics: Record<string, number>;
  /** The model's outputs on the held-out rows (outputsPerRow per row), for intervals. */
  out: Float32Array;
  epochs: number;
}

/** Trains m on `features` only (a subset of its features) the way trainFromConfig does, and scores the held-out rows. */
export async function retrainWithout(
  session: DuckSession,
  m: ModelConfig,
  data: ColumnarSplit,
  /** The training split as a SQL relation (trainSplitRelation), to fit the transforms on. */
  relation: string,
  without: string | undefined,
  opts: { seed?: number; backend?: BackendName; signal?: AbortSignal; onEpoch?: (epoch: number, epochs: number) => void } = {},
): Promise<RetrainResult & { backend: BackendName }> {
  const specs = m.features.filter((f) => f.name !== without);
  const fitted = await fitTransforms(session, specs, { relation, display: m.dataset.path.join(', '), signal: opts.signal });
  const features = data.features.filter((_, k) => m.features[k]!.name !== without);
  const yOf = (idx: number[]) => Float32Array.from(idx, (i) => data.labels.y[i]!);
  const classes = data.labels.classes?.length ?? 2;
  const w = m.weighting ? recencyWeightsOf(timesOf(data.extra.get(m.weighting.column), data.train), m.weighting.half_life_days) : undefined;
  const train = { x: designMatrix(fitted, features, data.train), y: yOf(data.train), w, width: fitted.width };
  const evalData = { x: designMatrix(fitted, features, data.eval), y: yOf(data.eval), width: fitted.width };
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
