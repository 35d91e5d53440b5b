/**
 * `prodml models import <file.onnx>`: a model trained elsewhere becomes a registry version like
 * any other. The file is read (ModelProto) and loaded (onnxruntime), its feature contract is
 * checked against the data, it is scored on the dataset, evaluated and blessed with the same code
 * as a trained version (thresholds, no regression against production, safeness on edge inputs),
 * and only then registered. Any problem is a ProdmlError naming the file; nothing is registered.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DuckSession, type Row } from '../data/duckdb';
import { openSource } from '../data/source';
import { badInput, cancelled } from '../errors';
import { fitBaseline } from '../evaluate/baseline';
import type { BlessingCheck } from '../evaluate/blessing';
import { evaluatePredictions, type EvaluationReport } from '../evaluate/evaluation';
import { taskDataOf } from '../evaluate/metrics';
import { checkSafeness, type SafenessResult } from '../evaluate/safeness';
import { fitTransforms } from '../features/fit';
import type { FeatureSpec } from '../features/spec';
import { dbImportMemoryLimitMb, dbLineage, importIntoDuck } from '../data/dbImport';
import { openDbSource } from '../data/dbSource';
import { dbSpecOf } from '../data/dataset';
import { datasetFiles, loadProjectConfig, type DatasetConfig, type ModelConfig } from '../project/config';
import { openRegistry } from '../registry';
import type { OnnxBinding, OnnxCard } from '../registry/types';
import { inferSchema } from '../schema/infer';
import { schemaToYaml } from '../schema/io';
import { encodeLabels } from '../train/data';
import type { Task } from '../train/model';
import { inputBinding, outputBinding, type ColumnTypes } from './contract';
import { modelInfo, withoutZipMap, type OnnxModelInfo } from './modelInfo';
import { OnnxSession } from './runtime';
import { onnxScore } from './scorer';

export interface ImportOnnxRequest {
  /** The .onnx file (relative to the workspace root when not absolute). */
  file: string;
  model: string;
  /** Columns in the order of a single 2-D input; for one input per column, their names. */
  features?: string[];
  task?: Task;
  label?: string;
  /** A prodml.yaml dataset name or a data file to evaluate on. */
  dataset?: string;
}

export interface ImportOnnxResult {
  model: string;
  version: number;
  blessed: boolean;
  metrics: Record<string, number>;
  key_metric?: string;
  /** The blessing checks (thresholds, no regression against production) and the safeness check. */
  checks: { name: string; passed: boolean; reason: string }[];
  safeness: SafenessResult;
  task: Task;
  runtime: 'onnx';
  producer: string;
  onnx: OnnxCard;
  rows: number;
  evaluation: EvaluationReport;
}

const KEY_METRIC = { regression: 'rmse', binary: 'auc', multiclass: 'accuracy' } as const;

export interface ImportOnnxOptions {
  signal?: AbortSignal;
  progress?: (message: string) => void;
  /** Evaluate and check as an import would, but register nothing: the file is already this version. */
  existing?: number;
}

export async function importOnnx(root: string, req: ImportOnnxRequest, ctx: ImportOnnxOptions = {}): Promise<ImportOnnxResult> {
  const say = (m: string) => ctx.progress?.(m);
  const file = req.file;
  const abs = path.resolve(root, file);
  const registry = await openRegistry(root);
  registry.modelDir(req.model); // a bad model name fails before any work
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fs.promises.readFile(abs));
  } catch (e) {
    throw badInput(file, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `cannot read: ${(e as Error).message}`);
  }
  if (bytes.length === 0) throw badInput(file, 'cannot be read as ONNX: the file is empty');
  say(`Reading ${file}`);
  const info = modelInfo(file, bytes);
  const session = new OnnxSession(file, withoutZipMap(file, bytes));
  let project: Awaited<ReturnType<typeof loadProjectConfig>>;
  let declared: ModelConfig | undefined;
  let dataset: ResolvedDataset;
  let duck: DuckSession;
  try {
    project = await loadProjectConfig(root);
    declared = project?.models.find((m) => m.name === req.model);
    dataset = await resolveDataset(root, req.dataset, declared, project?.datasets ?? []);
    // A database dataset is imported into DuckDB: capped, it spills to disk instead of growing the process.
    const cap = dataset.config?.url ? { memoryLimitMb: dbImportMemoryLimitMb(declared?.training.memory_budget_mb) } : {};
    duck = await DuckSession.open({ allowedDirectories: [root, path.dirname(path.resolve(root, req.dataset ?? '.'))], ...cap });
  } catch (e) {
    session.dispose();
    throw e;
  }
  try {
    say(`Reading ${dataset.display}`);
    const data = await loadRows(duck, root, dataset, ctx.signal);
    const label = req.label ?? declared?.label ?? dataset.config?.label;
    if (!label) throw badInput(file, 'give --label: the column of the data the model predicts');
    if (!(label in data.columns)) throw badInput(dataset.display, `has no label column "${label}" (columns: ${Object.keys(data.columns).join(', ')})`);

    // prodml.yaml's transforms of this model run before the graph when the model is declared there.
    const specs: FeatureSpec[] | undefined = !req.features && declared ? declared.features : undefined;
    const features = req.features ?? specs?.map((f) => f.name);
    const widths = specs ? await transformWidths(duck, specs, data.table, ctx.signal) : undefined;
    const inputs = inputBinding(info, { file, features, widths, columns: data.columns, label });
    const given = req.task ?? declared?.task;
    const out = outputBinding(info, file, given);
    let task = out.task;
    const binding: OnnxBinding = { ...inputs, output: out.output, ...(out.classes ? { classes: out.classes } : {}), ...(imputesItself(info, specs) ? { missing: 'nan' as const } : {}) };
    const numeric = inputs.inputs.filter((i) => i.type !== 'string').flatMap((i) => i.columns);
    const fitSpecs = specs ?? numeric.map((name) => ({ name, transform: { kind: 'identity' as const } }));
    const transforms = await fitTransforms(duck, fitSpecs.filter((s) => numeric.includes(s.name)), { relation: data.table, display: dataset.display, signal: ctx.signal });
    if (ctx.signal?.aborted) throw cancelled();

    // One value per row and no task given: a probability of class 1 when the label is 0/1 and the
    // values lie in [0, 1], else a regression.
    if (!given && out.output.kind === 'single' && binaryLabel(data.rows, label)) {
      const s = scoreOrRefuse(file, onnxScore(session, binding, transforms, 'regression'), data.rows);
      if (s.every((v) => v >= 0 && v <= 1)) task = 'binary';
    }

    // Labels in the model's own class order.
    const classes = out.classes;
    const y = task === 'multiclass' ? Float32Array.from(data.rows, (r) => (r[label] === null || r[label] === undefined ? Number.NaN : classes!.indexOf(String(r[label])))) : encodeLabels(data.rows, label, task).y;
    const strange = data.rows.map((r) => r[label]).find((v, i) => v !== null && v !== undefined && task === 'multiclass' && y[i] === -1);
    if (strange !== undefined) throw badInput(file, `the data's label "${label}" has the value ${JSON.stringify(strange)}, which is not one of the model's classes (${classes!.join(', ')})`);
    const keep = data.rows.map((_, i) => i).filter((i) => Number.isFinite(y[i]!));
    if (keep.length === 0) throw badInput(dataset.display, `has no rows with a usable ${task} label in "${label}"`);
    const rows = keep.map((i) => data.rows[i]!);
    const ky = Float32Array.from(keep, (i) => y[i]!);

    say(`Scoring ${rows.length.toLocaleString('en-US')} rows with onnxruntime`);
    const score = onnxScore(session, binding, transforms, task);
    const scores = scoreOrRefuse(file, score, rows);
    if (task === 'binary') {
      const bad = scores.find((s) => !(s >= 0 && s <= 1));
      if (bad !== undefined && scores.every((s) => Number.isFinite(s))) {
        throw badInput(file, `task binary reads output '${binding.output.name}' as P(class 1), but it gives ${bad} (outside [0, 1]); give --task regression for a score that is not a probability`);
      }
    }
    const k = task === 'multiclass' ? binding.output.width : 2;
    const production = await registry.getVersion(req.model, '@production').then((v) => v.card.metrics, () => undefined);
    const evaluation = evaluatePredictions(taskDataOf(task, ky, scores, k), {
      baseline: fitBaseline(task, ky, undefined, task === 'multiclass' ? k : undefined),
      validation: declared ? { thresholds: declared.validation.thresholds, max_regression: declared.validation.max_regression } : undefined,
      production,
    });
    const metrics = Object.fromEntries(Object.entries(evaluation.overall.metrics).filter(([, v]) => Number.isFinite(v))) as Record<string, number>;
    say('Scoring edge inputs');
    const safeness = checkSafeness(score, task === 'multiclass' ? k : 1, rows, [...new Set(binding.inputs.flatMap((i) => i.columns))]);
    const blessed = (evaluation.blessing?.blessed ?? true) && safeness.passed;

    const onnxCard: OnnxCard = {
      file: path.basename(file),
      file_hash: info.file_hash,
      producer_name: info.producer_name,
      producer_version: info.producer_version,
      ir_version: info.ir_version,
      opset: info.opset,
      inputs: info.inputs,
      outputs: info.outputs,
      binding,
      checked_on: { dataset: dataset.display, rows: rows.length },
    };
    // The dataset's schema, or one inferred from the data it was checked on: serving checks
    // requests against the version's own snapshot.
    const schemaText = dataset.config?.schema
      ? await fs.promises.readFile(path.resolve(root, dataset.config.schema), 'utf8').catch(() => '')
      : await inferSchema(duck, { path: data.table, display: dataset.display, format: 'csv', scan: data.table }, { label, signal: ctx.signal }).then(
          // Only the model's inputs and its label: other columns of the data are not its business.
          (s) => schemaToYaml({ ...s.schema, features: Object.fromEntries(Object.entries(s.schema.features).filter(([name]) => name === label || binding.inputs.some((i) => i.columns.includes(name)))) }, s.notes),
          () => '',
        );
    if (ctx.existing === undefined) say(`Registering ${req.model}`);
    const version = ctx.existing ?? await registry.saveVersion(
      req.model,
      { 'model.onnx': bytes, 'transform.json': JSON.stringify(transforms, null, 2), 'schema.yaml': schemaText },
      {
        backend: 'onnxruntime',
        runtime: 'onnx',
        onnx: onnxCard,
        config_hash: `sha256:${crypto.createHash('sha256').update(JSON.stringify({ file_hash: info.file_hash, binding, task, label, transforms: fitSpecs })).digest('hex')}`,
        task,
        label,
        features: [...new Set(binding.inputs.flatMap((i) => i.columns))],
        params: { imported_from: file, ...(task === 'multiclass' ? { classes } : {}) },
        metrics,
        key_metric: KEY_METRIC[task] in metrics ? KEY_METRIC[task] : undefined,
        blessed,
        safeness,
        // The data it was checked on, not trained on: ProdML cannot know an imported model's
        // training data, so `rollback --before` never picks it by date.
        training_data: { datasets: data.files, rows: 0 },
      },
    );
    const checks = [
      ...(evaluation.blessing?.checks ?? []).map((c: BlessingCheck) => ({ name: `${c.metric} ${c.kind.replace('_', ' ')}`, passed: c.passed, reason: c.description })),
      { name: 'safeness', passed: safeness.passed, reason: safeness.reason },
    ];
    const producer = `${info.producer_name} ${info.producer_version}`.trim();
    return { model: req.model, version, blessed, metrics, key_metric: KEY_METRIC[task] in metrics ? KEY_METRIC[task] : undefined, checks, safeness, task, runtime: 'onnx', producer, onnx: onnxCard, rows: rows.length, evaluation };
  } finally {
    duck.close();
    session.dispose();
  }
}

function scoreOrRefuse(file: string, score: (rows: readonly Row[]) => Float32Array, rows: readonly Row[]): Float32Array {
  try {
    return score(rows);
  } catch (e) {
    throw badInput(file, (e as Error).message);
  }
}

function binaryLabel(rows: readonly Row[], label: string): boolean {
  return rows.every((r) => [null, undefined, 0, 1, '0', '1', true, false, 'true', 'false'].includes(r[label] as never));
}

interface ResolvedDataset {
  display: string;
  files: string[];
  config?: DatasetConfig;
}

async function resolveDataset(root: string, given: string | undefined, declared: ModelConfig | undefined, datasets: DatasetConfig[]): Promise<ResolvedDataset> {
  const named = given ? datasets.find((d) => d.name === given) : declared?.dataset;
  if (named?.url) return { display: named.name, files: [], config: named };
  if (named) {
    const files = await datasetFiles(root, { root, file: '', datasets: [named], models: [], serving: { host: '', port: 0, body_limit_kb: 0 } });
    if (files.length === 0) throw badInput(path.join(root, 'prodml.yaml'), `datasets.${named.name}.path matches no files (${named.path.join(', ')})`);
    return { display: named.name, files, config: named };
  }
  if (!given) throw badInput(undefined, `give --dataset: a dataset of prodml.yaml${datasets.length > 0 ? ` (${datasets.map((d) => d.name).join(', ')})` : ''} or a data file, to check the model on`);
  const src = await openSource(given, root);
  return { display: given, files: [src.path] };
}

async function loadRows(duck: DuckSession, root: string, dataset: ResolvedDataset, signal?: AbortSignal): Promise<{ rows: Row[]; columns: ColumnTypes; files: { path: string; content_hash: string; rows: number }[]; table: string }> {
  const scans: string[] = [];
  const files: { path: string; content_hash: string; rows: number }[] = [];
  // A database dataset: streamed into DuckDB in chunks, its fingerprint computed in its engine.
  if (dataset.config?.url) {
    const opened = await openDbSource(dbSpecOf(dataset.config), root, { signal });
    try {
      const lineage = await dbLineage(opened, signal);
      const imported = await importIntoDuck(duck, opened, 'prodml_import_db', { signal });
      files.push({ path: `${lineage.url} (${lineage.table !== undefined ? `table ${lineage.table}` : `query ${lineage.query}`})`, content_hash: lineage.content_hash, rows: lineage.rows });
      scans.push(`SELECT * FROM ${imported.table}`);
    } finally {
      await opened.close();
    }
  }
  for (const f of dataset.files) {
    const src = await openSource(f, root);
    const [count] = await duck.rows(`SELECT count(*) AS n FROM ${src.scan}`, { signal });
    const content = await fs.promises.readFile(f);
    files.push({ path: path.relative(root, f) || f, content_hash: `sha256:${crypto.createHash('sha256').update(content).digest('hex')}`, rows: Number(count?.['n'] ?? 0) });
    scans.push(`SELECT * FROM ${src.scan}`);
  }
  const table = 'prodml_import_rows';
  await duck.run(`CREATE OR REPLACE TEMP TABLE ${table} AS ${scans.join(' UNION ALL BY NAME ')}`, { signal });
  const described = await duck.rows(`DESCRIBE ${table}`);
  const columns = Object.fromEntries(described.map((d) => [String(d['column_name']), String(d['column_type'])]));
  const rows = await duck.rows(`SELECT * FROM ${table}`, { signal });
  if (rows.length === 0) throw badInput(dataset.display, 'has no rows to check the model on');
  return { rows, columns, files, table };
}

/**
 * A graph exported by ProdML carries its transforms, imputation included (`prodml.inputs` in its
 * metadata); fed raw numbers, it must see a missing one as NaN to impute its own training mean.
 * Not when prodml.yaml's transforms run before it: they impute first.
 */
function imputesItself(info: OnnxModelInfo, specs: FeatureSpec[] | undefined): boolean {
  return !specs && 'prodml.inputs' in info.metadata;
}

/** How many values each prodml.yaml transform gives (a one-hot of 5 values gives 5), fitted on the data. */
async function transformWidths(duck: DuckSession, specs: FeatureSpec[], table: string, signal?: AbortSignal): Promise<Record<string, number>> {
  const fitted = await fitTransforms(duck, specs, { relation: table, signal });
  return Object.fromEntries(fitted.features.map((f) => [f.name, f.outputs.length]));
}

