/**
 * A model's `tune:` block made whole: defaults filled in (the model's key metric and its
 * direction, a search space that suits the model type) and every range and value checked, so a
 * bad space is a clear message naming the field before any trial trains.
 */
import { badInput } from '../errors';
import { METRIC_DIRECTIONS, isMetricName, type MetricName } from '../evaluate/types';
import type { ModelConfig } from '../project/config';
import type { ModelSpec, Task } from '../train/model';
import { TUNABLE_PARAMS, type ParamKind, type ParamSpec, type ParamValue, type SearchSpace, type TunableParam, type TuneBlock, type TuneSettings } from './types';

/** The metric a study optimises unless told otherwise: what `prodml train` reports first. */
export const KEY_METRIC: Record<Task, MetricName> = { regression: 'rmse', binary: 'auc', multiclass: 'accuracy' };

export const TASK_METRICS: Record<Task, readonly MetricName[]> = {
  regression: ['rmse', 'mae', 'r2', 'mean_residual'],
  binary: ['auc', 'pr_auc', 'log_loss', 'accuracy', 'precision', 'recall', 'f1', 'brier'],
  multiclass: ['accuracy', 'macro_f1', 'log_loss'],
};

const DEFAULT_TRIALS = 20;
/** With only a time budget, the study runs until the time is up. */
const TRIALS_WHEN_TIMED = 1000;

const MODEL_TYPES: Record<Task, readonly ModelSpec['type'][]> = { regression: ['linear', 'dnn'], binary: ['logistic', 'dnn'], multiclass: ['softmax', 'dnn'] };

interface ParamRule {
  kinds: readonly ParamKind[];
  /** Why a value is not allowed, or undefined when it is. */
  invalid: (v: ParamValue) => string | undefined;
  dnnOnly?: boolean;
}

const positive = (v: ParamValue) => (typeof v === 'number' && v > 0 ? undefined : 'must be a number above 0');
const positiveInt = (v: ParamValue) => (typeof v === 'number' && Number.isInteger(v) && v >= 1 ? undefined : 'must be a whole number of at least 1');

function rules(task: Task): Record<TunableParam, ParamRule> {
  return {
    learning_rate: { kinds: ['float', 'log_float', 'categorical'], invalid: positive },
    batch_size: { kinds: ['int', 'categorical'], invalid: positiveInt },
    patience: { kinds: ['int', 'categorical'], invalid: positiveInt },
    type: { kinds: ['categorical'], invalid: (v) => (MODEL_TYPES[task].includes(v as ModelSpec['type']) ? undefined : `must be one of ${MODEL_TYPES[task].join(', ')} for a ${task} model`) },
    hidden: {
      kinds: ['categorical'],
      dnnOnly: true,
      invalid: (v) => (Array.isArray(v) && v.length > 0 && v.every((u) => Number.isInteger(u) && u >= 1) ? undefined : 'must be a list of layer sizes, e.g. [32, 16]'),
    },
    layers: { kinds: ['int', 'categorical'], invalid: positiveInt, dnnOnly: true },
    units: { kinds: ['int', 'categorical'], invalid: positiveInt, dnnOnly: true },
    dropout: { kinds: ['float', 'categorical'], invalid: (v) => (typeof v === 'number' && v >= 0 && v < 1 ? undefined : 'must be at least 0 and below 1'), dnnOnly: true },
  };
}

/** A space that suits the model when prodml.yaml gives none: Adam's step size and batch size, plus width and dropout for a DNN. */
export function defaultSpace(model: ModelSpec): SearchSpace {
  const space: SearchSpace = {
    learning_rate: { kind: 'log_float', min: 0.0003, max: 0.1 },
    batch_size: { kind: 'categorical', values: [32, 64, 128, 256, 512] },
  };
  if (model.type === 'dnn') {
    space.hidden = { kind: 'categorical', values: [[16], [32], [64], [32, 16], [64, 32], [128, 64]] };
    space.dropout = { kind: 'float', min: 0, max: 0.3 };
  }
  return space;
}

export function resolveTuneSettings(file: string, m: ModelConfig, block: TuneBlock | undefined, budget: { trials?: number; minutes?: number } = {}): TuneSettings {
  const at = `models.${m.name}.tune`;
  const t = block ?? {};
  const fail = (field: string, problem: string) => badInput(file, `${at}${field ? `.${field}` : ''}: ${problem}`);

  const metric = t.metric ?? KEY_METRIC[m.task];
  if (!isMetricName(metric) || !TASK_METRICS[m.task].includes(metric)) throw fail('metric', `"${metric}" is not a ${m.task} metric (one of ${TASK_METRICS[m.task].join(', ')})`);

  const minutes = budget.minutes ?? t.minutes;
  if (minutes !== undefined && !(minutes > 0)) throw fail('minutes', `must be above 0 (got ${minutes})`);
  const trials = budget.trials ?? t.trials ?? (minutes !== undefined ? TRIALS_WHEN_TIMED : DEFAULT_TRIALS);
  if (!Number.isInteger(trials) || trials < 1) throw fail('trials', `must be a whole number of at least 1 (got ${trials})`);

  const max_epochs = t.max_epochs ?? m.training.epochs ?? 20;
  if (!Number.isInteger(max_epochs) || max_epochs < 1) throw fail('max_epochs', `must be a whole number of at least 1 (got ${max_epochs})`);
  const min_epochs = t.halving?.min_epochs ?? 1;
  if (!Number.isInteger(min_epochs) || min_epochs < 1 || min_epochs > max_epochs) throw fail('halving.min_epochs', `must be a whole number from 1 to max_epochs (${max_epochs}); got ${min_epochs}`);
  const reduction_factor = t.halving?.reduction_factor ?? 3;
  if (!(reduction_factor >= 2)) throw fail('halving.reduction_factor', `must be at least 2 (got ${reduction_factor})`);
  const validation_fraction = t.validation_fraction ?? 0.2;
  if (!(validation_fraction > 0 && validation_fraction < 1)) throw fail('validation_fraction', `must be between 0 and 1 (got ${validation_fraction})`);
  const seed = t.seed ?? m.training.seed ?? 42;
  if (!Number.isInteger(seed)) throw fail('seed', `must be a whole number (got ${seed})`);

  const space = t.space && Object.keys(t.space).length > 0 ? t.space : defaultSpace(m.model);
  checkSpace(space, m, (field, problem) => fail(`space.${field}`, problem));

  return {
    metric,
    direction: METRIC_DIRECTIONS[metric],
    trials,
    ...(minutes !== undefined ? { minutes } : {}),
    seed,
    max_epochs,
    halving: { min_epochs, reduction_factor },
    validation_fraction,
    include_default: t.include_default ?? true,
    space,
  };
}

function checkSpace(space: SearchSpace, m: ModelConfig, fail: (field: string, problem: string) => Error): void {
  const byName = rules(m.task);
  const canBeDnn = m.model.type === 'dnn' || (space.type?.values ?? []).includes('dnn');
  for (const [name, spec] of Object.entries(space) as [string, ParamSpec][]) {
    if (!(TUNABLE_PARAMS as readonly string[]).includes(name)) throw fail(name, `is not a parameter the trainer takes (one of ${TUNABLE_PARAMS.join(', ')})`);
    const rule = byName[name as TunableParam];
    if (!rule.kinds.includes(spec.kind)) throw fail(`${name}.kind`, `${name} can be ${rule.kinds.join(' or ')}, not ${spec.kind}`);
    if (rule.dnnOnly && !canBeDnn) throw fail(name, `applies to dnn models only; this model is ${m.model.type} (add type: {kind: categorical, values: [${m.model.type}, dnn]} to search over both)`);
    if (spec.kind === 'categorical') {
      if (!Array.isArray(spec.values) || spec.values.length === 0) throw fail(`${name}.values`, 'a categorical parameter needs a non-empty list of values');
      spec.values.forEach((v, i) => {
        const why = rule.invalid(v);
        if (why) throw fail(`${name}.values[${i}]`, `${JSON.stringify(v)} ${why}`);
      });
      continue;
    }
    if (typeof spec.min !== 'number' || typeof spec.max !== 'number') throw fail(name, `a ${spec.kind} parameter needs min and max`);
    if (spec.min > spec.max) throw fail(name, `min (${spec.min}) is above max (${spec.max})`);
    if (spec.kind === 'log_float' && !(spec.min > 0)) throw fail(`${name}.min`, `a log_float range must start above 0 (got ${spec.min})`);
    if (spec.kind === 'int' && !(Number.isInteger(spec.min) && Number.isInteger(spec.max))) throw fail(name, `an int range needs whole-number bounds (got ${spec.min}..${spec.max})`);
    for (const [bound, v] of [['min', spec.min], ['max', spec.max]] as const) {
      const why = rule.invalid(v);
      if (why) throw fail(`${name}.${bound}`, `${v} ${why}`);
    }
  }
  if (space.hidden && (space.layers || space.units)) throw fail('hidden', 'give either hidden (whole layer lists) or layers/units, not both');
}
