/**
 * A whole training run of a prodml.yaml model: load its dataset, split without leakage, fit the
 * transforms on the training split only, train, evaluate on the held-out split against the
 * naive baseline and the production version, and register the version with its lineage card.
 * `prodml train`, the editor's "Train Model" and pipelines all run this.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DuckSession, sqlIdent } from '../data/duckdb';
import { badInput } from '../errors';
import { evaluatePredictions, type EvaluationReport } from '../evaluate/evaluation';
import { fitBaseline, type Baseline } from '../evaluate/baseline';
import { taskDataOf, type TaskData } from '../evaluate/metrics';
import type { InputValue } from '../evaluate/regression';
import { checkEdges, type SafenessResult } from '../evaluate/safeness';
import { transformRows } from '../features/apply';
import { fitTransforms } from '../features/fit';
import { datasetFiles, loadProjectConfig, type ModelConfig, type ProjectConfig } from '../project/config';
import { openRegistry } from '../registry';
import { importDeclaredOnnx } from '../onnx/declared';
import { VERSION } from '../project/version';
import type * as TF from '@tensorflow/tfjs';
import type { FittedTransforms } from '../features/spec';
import { loadTf, type BackendName } from './backend';
import { createTrainingTable, type TrainingData } from './data';
import { trainLinearFrom } from './linearTrainer';
import { recordLayout } from './bucketFiles';
import { edgeInputsOf } from './safenessSample';
import { bucketLayout, DEFAULT_MEMORY_BUDGET_MB, prepareStreamed, shouldStream, type StreamedData } from './streamedTraining';
import type { TrainResult } from './trainTypes';
import { designMatrix, loadTrainedOn, timeRangeOf, timesOf, trainSplitRelation } from './columnarSplit';
import { valueAt } from './columns';
import type { ModelSpec } from './model';
import { recencyWeightsOf } from './split';
import { modelArtifacts, predict, trainModel, type EpochReport, type TrainParams } from './trainer';
import { modelConfig } from '../project/workspace';

export type TrainProgress =
  | { phase: 'loading' | 'fitting' | 'evaluating' | 'registering'; message: string }
  | ({ phase: 'training' } & EpochReport)
  /** Inside a long (streamed) epoch: its rows done so far, the pace and the time left. */
  | { phase: 'epoch-rows'; message: string; epoch: number; epochs: number; rowsDone: number; rows: number; rowsPerSecond: number; etaSeconds?: number };

export interface TrainOptions {
  onProgress?: (p: TrainProgress) => void;
  signal?: AbortSignal;
  backend?: BackendName;
  /** Parameters that replace prodml.yaml's for this run (the tuner registering its best trial). */
  overrides?: { model?: Partial<ModelSpec>; training?: TrainParams };
  /** Extra entries for the card's params, e.g. the tuning study a version came from. */
  cardParams?: Record<string, unknown>;
}

export interface TrainOutcome {
  model: string;
  version: number;
  metrics: Record<string, number>;
  blessed: boolean;
  /** Scored on edge inputs before blessing (evaluate/safeness.ts). */
  safeness: SafenessResult;
  /** What computed it: a tfjs backend, or onnxruntime for a model imported from `source: {onnx}`. */
  backend: BackendName | 'onnxruntime';
  history: EpochReport[];
  /** A `source: {onnx}` model: the file, and whether this run registered it (false: unchanged since the newest version). */
  imported?: { file: string; file_hash: string; registered: boolean };
  evaluation: EvaluationReport;
  rows: { train: number; eval: number };
}

/** Training rows the safeness check draws its edge inputs from. */
const SAFENESS_ROWS = 200_000;

const KEY_METRIC = { regression: 'rmse', binary: 'auc', multiclass: 'accuracy' } as const;

export async function trainFromConfig(root: string, modelName: string | undefined, opts: TrainOptions = {}): Promise<TrainOutcome> {
  const project = await loadProjectConfig(root);
  if (!project) throw badInput(path.join(root, 'prodml.yaml'), 'not found: training is configured in prodml.yaml at the workspace root');
  const picked = modelConfig(project, modelName);
  if (picked.source) {
    // A model trained elsewhere: its "training" is importing the file (onnx/declared.ts).
    const d = await importDeclaredOnnx(root, { ...picked, source: picked.source }, opts);
    const r = d.result;
    return {
      model: r.model,
      version: r.version,
      metrics: r.metrics,
      blessed: r.blessed,
      safeness: r.safeness,
      backend: 'onnxruntime',
      history: [],
      evaluation: r.evaluation,
      rows: { train: 0, eval: r.rows },
      imported: { file: picked.source.onnx, file_hash: d.file_hash, registered: d.registered },
    };
  }
  const m: ModelConfig = opts.overrides ? { ...picked, model: { ...picked.model, ...opts.overrides.model }, training: { ...picked.training, ...opts.overrides.training } } : picked;
  const say = (phase: 'loading' | 'fitting' | 'evaluating' | 'registering', message: string) => opts.onProgress?.({ phase, message });
  const seed = m.training.seed ?? 42;

  const budgetMb = m.training.memory_budget_mb ?? DEFAULT_MEMORY_BUDGET_MB;
  // Data large for the budget: DuckDB gets a quarter of it and past that spills the training
  // table to disk instead of growing the process. Small files keep DuckDB's default (a cap of a
  // few hundred MB can fail reading many CSV files at once: their buffers alone take that much).
  const fileBytes = m.dataset.url ? Infinity : (await datasetFiles(root, { ...project, datasets: [m.dataset] })).reduce((a, f) => a + (fs.statSync(f, { throwIfNoEntry: false })?.size ?? 0), 0);
  const session = await DuckSession.open({ allowedDirectories: [root], ...(fileBytes > (budgetMb * 2 ** 20) / 16 ? { memoryLimitMb: Math.max(256, budgetMb / 4) } : {}) });
  let streamed: StreamedData | undefined;
  try {
    say('loading', `Reading ${m.dataset.path.join(', ')}`);
    const files = await createTrainingTable(session, project, m, opts.signal);
    const plan = await shouldStream(session, m, opts.signal);
    streamed = plan.stream ? await prepareStreamed(session, m, budgetMb, opts.signal, SAFENESS_ROWS, (message) => say('loading', message)) : undefined;
    const { tf, backend } = await loadTf(opts.backend);
    const classes = m.task === 'multiclass' ? 0 : 2;
    let core: TrainedCore;
    if (streamed) {
      say(
        'fitting',
        `Streaming ${streamed.trainRows.toLocaleString('en-US')} training rows from DuckDB in ${streamed.buckets} shuffled buckets of about ${streamed.bucketRows.toLocaleString('en-US')} rows, laid out once as records in ${streamed.folder} (the data takes about ${Math.round(plan.estimateMb)} MB in memory, over training.memory_budget_mb ${budgetMb})`,
      );
      const result = await trainLinearFrom(tf, { task: m.task, model: m.model, params: m.training, source: streamed.source }, (r) => opts.onProgress?.({ phase: 'training', ...r }), opts.signal, rowsProgress(streamed.trainRows, m.training.epochs ?? 20, opts.onProgress));
      say('evaluating', `Evaluating on ${streamed.evalRows.toLocaleString('en-US')} held-out rows`);
      const columns = [...(m.validation.slices ?? []), ...(m.task === 'regression' ? m.features.map((f) => f.name) : [])];
      const width = streamed.fitted.width;
      const scored = await streamed.evaluate((x) => predict(tf, result.model, x, width), columns, opts.signal);
      core = {
        fitted: streamed.fitted,
        result,
        taskData: taskDataOf(m.task, scored.y, scored.out, classes),
        baseline: streamed.baseline(),
        column: (name) => (scored.columns.get(name) ?? []) as InputValue[],
        trainRelation: streamed.trainRelation,
        rows: { train: streamed.trainRows, eval: streamed.evalRows },
        timeRange: streamed.timeRange,
      };
    } else {
      if (plan.stream) say('loading', `The ${m.split.kind} split column's type cannot be cut in SQL: training in memory`);
      core = await trainInMemory(session, project, m, files, tf, opts);
    }
    const { fitted, result, taskData } = core;
    const registry = await openRegistry(root);
    const production = await registry.getVersion(m.name, '@production').then((v) => v.card.metrics, () => undefined);
    const evaluation = evaluatePredictions(taskData, {
      baseline: core.baseline,
      slices: Object.fromEntries((m.validation.slices ?? []).map((s) => [s, core.column(s)])),
      inputs: m.task === 'regression' ? Object.fromEntries(m.features.map((f) => [f.name, core.column(f.name)])) : undefined,
      validation: { thresholds: m.validation.thresholds, max_regression: m.validation.max_regression },
      production,
    });
    const metrics = Object.fromEntries(Object.entries(evaluation.overall.metrics).filter(([, v]) => Number.isFinite(v))) as Record<string, number>;
    // Safeness: edge inputs from the training rows through the same transforms and model.
    // Its edge inputs come from raw training values, read back from DuckDB for this check alone:
    // the first SAFENESS_ROWS training rows (all of them on small data), so that 10M rows do not
    // become 10M row objects (that exhausted the heap).
    const names = m.features.map((f) => f.name);
    const sample = await edgeInputsOf(session, `SELECT ${names.map(sqlIdent).join(', ')} FROM ${core.trainRelation} ORDER BY __row LIMIT ${SAFENESS_ROWS}`, names, opts.signal);
    const safeness = checkEdges((rows) => predict(tf, result.model, transformRows(fitted, rows), fitted.width), m.task === 'multiclass' ? classes : 1, sample.base, sample.edges);
    const blessed = (evaluation.blessing?.blessed ?? true) && safeness.passed;

    say('registering', `Registering ${m.name}`);
    const artifacts = await modelArtifacts(tf, result.model);
    result.model.dispose();
    const schemaText = m.dataset.schema ? await fs.promises.readFile(path.resolve(root, m.dataset.schema), 'utf8').catch(() => '') : '';
    const { dataset, ...modelSection } = m;
    const params = { model: m.model, training: m.training, split: m.split, weighting: m.weighting, classes: core.classes, best_epoch: result.bestEpoch, stopped_early: result.stoppedEarly, ...opts.cardParams };
    const version = await registry.saveVersion(
      m.name,
      { 'model.json': artifacts.modelJson, 'weights.bin': new Uint8Array(artifacts.weights), 'transform.json': JSON.stringify(fitted, null, 2), 'schema.yaml': schemaText },
      {
        backend,
        config_hash: `sha256:${crypto.createHash('sha256').update(JSON.stringify({ ...modelSection, dataset: dataset.name })).digest('hex')}`,
        task: m.task,
        label: m.label,
        features: m.features.map((f) => f.name),
        params,
        metrics,
        key_metric: KEY_METRIC[m.task] in metrics ? KEY_METRIC[m.task] : undefined,
        blessed,
        safeness,
        tool_version: VERSION,
        training_data: { datasets: files, rows: core.rows.train, time_column: m.dataset.time_column, time_range: core.timeRange },
      },
    );
    return { model: m.name, version, metrics, blessed, safeness, backend, history: result.history, evaluation, rows: core.rows };
  } finally {
    streamed?.close();
    session.close();
  }
}

/**
 * Progress inside a long epoch (at most about once a second): rows done, rows/s and the time
 * left for the whole training at this epoch's pace.
 */
function rowsProgress(rows: number, epochs: number, onProgress: TrainOptions['onProgress']): ((epoch: number, done: number, rowsPerSecond: number) => void) | undefined {
  if (!onProgress) return undefined;
  let last = performance.now();
  let current = 0;
  return (epoch, done, rowsPerSecond) => {
    // The first report of an epoch waits a second into it, so that its pace is measured.
    if (epoch !== current) {
      current = epoch;
      last = performance.now();
    }
    if (performance.now() - last < 1000 || done >= rows) return;
    last = performance.now();
    const etaSeconds = rowsPerSecond > 0 ? (rows - done + (epochs - epoch) * rows) / rowsPerSecond : undefined;
    const eta = etaSeconds !== undefined ? ` · ETA ${Math.ceil(etaSeconds)} s` : '';
    onProgress({
      phase: 'epoch-rows',
      epoch,
      epochs,
      rowsDone: done,
      rows,
      rowsPerSecond,
      etaSeconds,
      message: `Epoch ${epoch}/${epochs}: ${Math.floor((100 * done) / rows)}% of ${rows.toLocaleString('en-US')} rows · ${Math.round(rowsPerSecond).toLocaleString('en-US')} rows/s${eta}`,
    });
  };
}

/** What either path (in memory, streamed) hands to evaluation, the safeness check and the registry. */
interface TrainedCore {
  fitted: FittedTransforms;
  result: TrainResult;
  taskData: TaskData;
  baseline: Baseline;
  /** An eval column's values in eval-row order (slices, residual inputs). */
  column: (name: string) => InputValue[];
  /** A SQL relation of the training rows with __row. */
  trainRelation: string;
  rows: { train: number; eval: number };
  timeRange?: { min: string; max: string };
  classes?: string[];
}

/** The training data held in memory as typed columns (loadTrainedOn), trained by trainModel. */
async function trainInMemory(session: DuckSession, project: ProjectConfig, m: ModelConfig, files: TrainingData['files'], tf: typeof TF, opts: TrainOptions): Promise<TrainedCore> {
  const say = (phase: 'loading' | 'fitting' | 'evaluating', message: string) => opts.onProgress?.({ phase, message });
  const data = await loadTrainedOn(session, project, m, opts.signal, files);
  const labels = data.labels;
  const trainIdx = data.train;
  const evalIdx = data.eval;

  say('fitting', `Fitting ${m.features.length} transforms on ${trainIdx.length.toLocaleString('en-US')} training rows`);
  const trainRelation = await trainSplitRelation(session, data.table, trainIdx);
  const fitted = await fitTransforms(session, m.features, {
    relation: trainRelation,
    display: m.dataset.path.join(', '),
    signal: opts.signal,
  });
  const yOf = (idx: number[]) => Float32Array.from(idx, (i) => labels.y[i]!);
  const classes = labels.classes?.length ?? 2;
  const weightTimes = m.weighting ? data.extra.get(m.weighting.column) : undefined;
  const train = {
    x: designMatrix(fitted, data.features, trainIdx),
    y: yOf(trainIdx),
    w: m.weighting ? recencyWeightsOf(timesOf(weightTimes, trainIdx), m.weighting.half_life_days) : undefined,
    width: fitted.width,
  };
  const evalData = { x: designMatrix(fitted, data.features, evalIdx), y: yOf(evalIdx), width: fitted.width };

  // The epochs visit the rows in the order streaming them under the same budget would: crossing
  // the budget changes where the rows are read from, not the model a seed gives.
  const records = recordLayout(fitted);
  const { buckets } = bucketLayout(m.training.memory_budget_mb ?? DEFAULT_MEMORY_BUDGET_MB, records, trainIdx.length);
  const result = await trainModel(
    tf,
    { task: m.task, classes, model: m.model, params: m.training, train, eval: evalData, layout: { rowNumbers: trainIdx, buckets }, records },
    (r) => opts.onProgress?.({ phase: 'training', ...r }),
    opts.signal,
  );

  say('evaluating', `Evaluating on ${evalIdx.length.toLocaleString('en-US')} held-out rows`);
  const out = predict(tf, result.model, evalData.x, evalData.width);
  const column = (name: string) => {
    const c = data.extra.get(name) ?? data.features[m.features.findIndex((f) => f.name === name)];
    return c ? evalIdx.map((i) => valueAt(c, i)) : evalIdx.map(() => null);
  };
  return {
    fitted,
    result,
    taskData: taskDataOf(m.task, evalData.y, out, classes),
    baseline: fitBaseline(m.task, train.y, train.w, m.task === 'multiclass' ? classes : undefined),
    column,
    trainRelation,
    rows: { train: trainIdx.length, eval: evalIdx.length },
    timeRange: timeRangeOf(m.dataset.time_column ? timesOf(data.extra.get(m.dataset.time_column), trainIdx) : undefined),
    classes: labels.classes,
  };
}
