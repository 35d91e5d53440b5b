/**
 * prodml.yaml, the project file at the workspace root. This module reads its `datasets:` section:
 * which files belong to a dataset, the schema that governs them, the environment they come from
 * and the baseline they are compared with (drift: the previous span; skew: training data).
 */
import fs from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import projectJsonSchema from '../../../schemas/prodml.schema.json';
import { badInput } from '../errors';
import type { FeatureSpec, TransformSpec } from '../features/spec';
import { checkYaml } from '../schema/io';
import { parsePipeline, type PipelineConfig, type RawPipeline } from './pipelineBlock';
import type { ModelSpec, Task } from '../train/model';
import type { SplitSpec } from '../train/split';
import type { TrainParams } from '../train/trainer';
import type { TuneBlock } from '../tune/types';

export const PROJECT_FILE = 'prodml.yaml';

export interface DatasetConfig {
  name: string;
  /** Globs relative to the workspace root. */
  path: string[];
  /** Schema file relative to the workspace root. */
  schema?: string;
  /** TRAINING (default) or SERVING. */
  environment?: string;
  /** Data to compare with: drift for training-like data, skew when `environment` is SERVING. */
  baseline?: string;
  label?: string;
  time_column?: string;
  /** A database dataset: postgresql://, sqlite:/// or clickhouse:// (then `path` is empty), with `table` or `query`. */
  url?: string;
  table?: string;
  query?: string;
  /** Seconds. */
  connect_timeout?: number;
  query_timeout?: number;
}

export interface ModelConfig {
  name: string;
  dataset: DatasetConfig;
  task: Task;
  label: string;
  /** A model trained elsewhere: `prodml train` imports this ONNX file (path relative to the root) when it changes. */
  source?: { onnx: string };
  features: FeatureSpec[];
  split: SplitSpec;
  weighting?: { half_life_days: number; column: string };
  model: ModelSpec;
  training: TrainParams;
  validation: {
    thresholds?: Record<string, { min?: number; max?: number }>;
    max_regression?: Record<string, number>;
    slices?: string[];
  };
  serving: ModelServingConfig;
  monitoring: MonitoringConfig;
  /** Per-feature `cost:` / `source:` annotations (models.<m>.features.<f>), when any is given: what a feature costs to keep. */
  feature_costs?: Record<string, FeatureCost>;
  /** Per-feature `known_at:` (models.<m>.features.<f>): the column holding when the feature's value becomes known, checked against the label's event time. */
  feature_known_at?: Record<string, string>;
  /** models.<name>.tune as written; src/core/tune/settings.ts fills in its defaults. */
  tune?: TuneBlock;
}

/** What keeping a feature costs: a number in the team's own unit (e.g. dollars a month) and the upstream system it comes from. */
export interface FeatureCost {
  cost?: number;
  source?: string;
}

/** models.<name>.serving with defaults filled in. */
export interface ModelServingConfig {
  alias: string;
  key?: string;
  canary?: { alias: string; percent: number };
  shadow?: { alias: string };
  log: { sample_rate: number; max_file_mb: number };
}

export type MonitorWindow = 'hour' | 'day' | 'week' | 'month' | { requests: number };

/** models.<name>.monitoring with defaults filled in. */
export interface MonitoringConfig {
  window: MonitorWindow;
  time_column?: string;
  drift: { threshold: number; calibrate: boolean };
  thresholds: Record<string, { min?: number; max?: number }>;
}

/** The top-level serving block with defaults filled in. */
export interface ServerConfig {
  host: string;
  port: number;
  body_limit_kb: number;
}

export const DEFAULT_SERVER: ServerConfig = { host: '127.0.0.1', port: 8501, body_limit_kb: 1024 };

export interface ProjectConfig {
  root: string;
  file: string;
  datasets: DatasetConfig[];
  models: ModelConfig[];
  serving: ServerConfig;
  /** The `pipeline:` block with defaults filled in; absent when prodml.yaml has none. */
  pipeline?: PipelineConfig;
}

/** Reads `<root>/prodml.yaml`; undefined when there is none. Throws a ProdmlError naming the problem. */
export async function loadProjectConfig(root: string): Promise<ProjectConfig | undefined> {
  const file = path.join(root, PROJECT_FILE);
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  return parseProjectConfig(text, root);
}

export function parseProjectConfig(text: string, root: string): ProjectConfig {
  const file = path.join(root, PROJECT_FILE);
  const checked = checkYaml(text, projectJsonSchema, PROJECT_FILE);
  const first = checked.issues.find((i) => i.severity === 'error');
  if (first) {
    const where = first.path.length > 0 ? `${first.path.join('.')}: ` : '';
    throw badInput(file, `line ${first.line}: ${first.message.startsWith(where) ? first.message : where + first.message}`);
  }
  const raw = (checked.value ?? {}) as { datasets?: Record<string, Record<string, unknown>>; models?: Record<string, RawModel>; serving?: Partial<ServerConfig>; pipeline?: RawPipeline };
  const datasets: DatasetConfig[] = Object.entries(raw.datasets ?? {}).map(([name, d]) => {
    const str = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : undefined);
    const num = (k: string) => (typeof d[k] === 'number' ? { [k]: d[k] as number } : {});
    if ((d['path'] === undefined) === (d['url'] === undefined)) throw badInput(file, `datasets.${name}: give path: (files) or url: (a database), one of them`);
    if (d['url'] !== undefined && (d['table'] === undefined) === (d['query'] === undefined)) throw badInput(file, `datasets.${name}: a url: dataset needs table: or query: (one of them)`);
    if (d['url'] === undefined && (d['table'] !== undefined || d['query'] !== undefined)) throw badInput(file, `datasets.${name}: table: and query: go with url:, not path:`);
    return {
      name,
      path: d['path'] === undefined ? [] : Array.isArray(d['path']) ? (d['path'] as string[]) : [d['path'] as string],
      schema: str('schema'),
      environment: str('environment'),
      baseline: str('baseline'),
      label: str('label'),
      time_column: str('time_column'),
      ...(str('url') !== undefined ? { url: str('url') } : {}),
      ...(str('table') !== undefined ? { table: str('table') } : {}),
      ...(str('query') !== undefined ? { query: str('query') } : {}),
      ...num('connect_timeout'),
      ...num('query_timeout'),
    };
  });
  const models = Object.entries(raw.models ?? {}).map(([name, m]) => modelConfig(file, name, m, datasets));
  const pipeline = raw.pipeline ? { pipeline: parsePipeline(file, raw.pipeline, models) } : {};
  return { root, file, datasets, models, serving: { ...DEFAULT_SERVER, ...(raw.serving ?? {}) }, ...pipeline };
}

interface RawModel {
  dataset: string;
  task: Task;
  label?: string;
  /** A list only with `source: {onnx}`: the columns in the order of the graph's input, as they are. */
  features: Record<string, string | ({ transform: string } & Record<string, unknown>)> | string[];
  source?: { onnx: string };
  split?: SplitSpec;
  weighting?: { half_life_days: number; column?: string };
  model?: ModelSpec;
  training?: TrainParams;
  validation?: ModelConfig['validation'];
  serving?: Partial<Omit<ModelServingConfig, 'canary' | 'shadow' | 'log'>> & { canary?: { alias?: string; percent: number }; shadow?: { alias?: string }; log?: Partial<ModelServingConfig['log']> };
  monitoring?: Partial<Omit<MonitoringConfig, 'drift'>> & { drift?: Partial<MonitoringConfig['drift']> };
  tune?: TuneBlock;
}

/** A model entry with its defaults filled in and its references checked. */
function modelConfig(file: string, name: string, m: RawModel, datasets: DatasetConfig[]): ModelConfig {
  const at = `models.${name}`;
  const dataset = datasets.find((d) => d.name === m.dataset);
  if (!dataset) throw badInput(file, `${at}.dataset: no dataset named "${m.dataset}" under datasets (there are: ${datasets.map((d) => d.name).join(', ') || 'none'})`);
  const label = m.label ?? dataset.label;
  if (!label) throw badInput(file, `${at}.label: give the column to predict (or a label on datasets.${dataset.name})`);
  if (Array.isArray(m.features)) {
    if (!m.source) throw badInput(file, `${at}.features: a list of columns is for a model with source: {onnx: <file>}; give each feature its transform`);
    if (m.features.includes(label)) throw badInput(file, `${at}.features: the label ${label} cannot also be a feature`);
  } else if (label in m.features) throw badInput(file, `${at}.features.${label}: the label cannot also be a feature`);
  const featureCosts: Record<string, FeatureCost> = {};
  const knownAt: Record<string, string> = {};
  const declared = Array.isArray(m.features) ? Object.fromEntries(m.features.map((f) => [f, 'identity'])) : m.features;
  const features: FeatureSpec[] = Object.entries(declared).map(([feature, t]) => {
    if (typeof t === 'string') return { name: feature, transform: { kind: t } as TransformSpec };
    // cost and source describe the feature, not its transform: they stay out of transform.json.
    const { transform, cost, source, known_at: knownAtColumn, ...options } = t;
    if (typeof cost === 'number' || typeof source === 'string') featureCosts[feature] = { ...(typeof cost === 'number' ? { cost } : {}), ...(typeof source === 'string' ? { source } : {}) };
    if (typeof knownAtColumn === 'string') knownAt[feature] = knownAtColumn;
    return { name: feature, transform: { kind: transform, ...options } as TransformSpec };
  });
  const time = m.weighting?.column ?? dataset.time_column;
  if (m.weighting && !time) throw badInput(file, `${at}.weighting.column: give the time column (or a time_column on datasets.${dataset.name})`);
  const split = m.split ?? { kind: 'random' as const };
  if (split.kind !== 'random' && !('column' in split && split.column)) {
    const column = split.kind === 'time' ? dataset.time_column : undefined;
    if (!column) throw badInput(file, `${at}.split.column: a ${split.kind} split needs the ${split.kind === 'time' ? 'time' : 'group'} column`);
    (split as { column: string }).column = column;
  }
  const defaultModel: ModelSpec = { type: m.task === 'regression' ? 'linear' : m.task === 'binary' ? 'logistic' : 'softmax' };
  return {
    name,
    dataset,
    task: m.task,
    label,
    features,
    split,
    ...(m.source ? { source: { onnx: m.source.onnx } } : {}),
    ...(m.weighting ? { weighting: { half_life_days: m.weighting.half_life_days, column: time! } } : {}),
    model: m.model ?? defaultModel,
    training: m.training ?? {},
    validation: m.validation ?? {},
    ...(Object.keys(featureCosts).length > 0 ? { feature_costs: featureCosts } : {}),
    ...(Object.keys(knownAt).length > 0 ? { feature_known_at: knownAt } : {}),
    serving: {
      alias: m.serving?.alias ?? 'production',
      ...(m.serving?.key ? { key: m.serving.key } : {}),
      ...(m.serving?.canary ? { canary: { alias: m.serving.canary.alias ?? 'candidate', percent: m.serving.canary.percent } } : {}),
      ...(m.serving?.shadow ? { shadow: { alias: m.serving.shadow.alias ?? 'candidate' } } : {}),
      log: { sample_rate: m.serving?.log?.sample_rate ?? 1, max_file_mb: m.serving?.log?.max_file_mb ?? 64 },
    },
    monitoring: {
      window: m.monitoring?.window ?? 'day',
      ...(m.monitoring?.time_column ? { time_column: m.monitoring.time_column } : {}),
      drift: { threshold: m.monitoring?.drift?.threshold ?? 0.1, calibrate: m.monitoring?.drift?.calibrate ?? true },
      thresholds: m.monitoring?.thresholds ?? {},
    },
    ...(m.tune ? { tune: m.tune } : {}),
  };
}

export interface Governance {
  schemaFile: string;
  dataset?: DatasetConfig;
  environment?: string;
  /** Absolute glob of the baseline data. */
  baseline?: string;
}

/**
 * The schema that governs a data file: `x.schema.yaml` beside `x.csv`, else the schema of the
 * prodml.yaml dataset whose path matches the file.
 */
export async function governingSchema(dataFile: string, root: string | undefined, config?: ProjectConfig): Promise<Governance | undefined> {
  const beside = path.join(path.dirname(dataFile), `${path.basename(dataFile).replace(/\.[^.]+$/, '')}.schema.yaml`);
  if (fs.existsSync(beside)) return { schemaFile: beside };
  if (!root) return undefined;
  const cfg = config ?? (await loadProjectConfig(root));
  const rel = path.relative(root, dataFile).split(path.sep).join('/');
  for (const d of cfg?.datasets ?? []) {
    if (!d.schema || !d.path.some((g) => picomatch.isMatch(rel, g.replace(/^\.\//, '')))) continue;
    return {
      schemaFile: path.resolve(root, d.schema),
      dataset: d,
      environment: d.environment,
      baseline: d.baseline ? path.resolve(root, d.baseline) : undefined,
    };
  }
  return undefined;
}

/** The files of every dataset (matching `only`), found by walking each glob's fixed directory. */
export async function datasetFiles(root: string, config: ProjectConfig | undefined, only: RegExp = /./): Promise<string[]> {
  const out = new Set<string>();
  for (const d of config?.datasets ?? []) {
    for (const glob of d.path) {
      const pattern = glob.replace(/^\.\//, '');
      const fixed = pattern.split('/').filter((_, i, parts) => !parts.slice(0, i + 1).some((p) => /[*?[{]/.test(p)));
      // A plain file path: its directory is what to walk.
      if (fixed.length === pattern.split('/').length) fixed.pop();
      const isMatch = picomatch(pattern);
      for (const file of await walk(path.join(root, ...fixed), 6)) {
        const rel = path.relative(root, file).split(path.sep).join('/');
        if (only.test(file) && isMatch(rel)) out.add(file);
      }
    }
  }
  return [...out].sort();
}

async function walk(dir: string, depth: number): Promise<string[]> {
  const entries = await fs.promises.readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isFile()) files.push(p);
    else if (e.isDirectory() && depth > 0 && !e.name.startsWith('.') && e.name !== 'node_modules') files.push(...(await walk(p, depth - 1)));
  }
  return files;
}
