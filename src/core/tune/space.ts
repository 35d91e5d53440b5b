/**
 * Random search's draws and what a drawn configuration means to the trainer.
 *
 * Each (trial, parameter) pair has its own seeded stream, so trial i draws the same values
 * whatever ran before it (a resumed study samples what the first run would have), and adding a
 * parameter to the space leaves the others' draws alone.
 */
import { deriveSeed, mulberry32 } from '../demo/random';
import type { ModelConfig } from '../project/config';
import type { ModelSpec } from '../train/model';
import type { TrainParams } from '../train/trainer';
import { TUNABLE_PARAMS, type ParamSpec, type ParamValue, type SearchSpace, type TrialRecord, type TunableParam } from './types';

export type TrialParams = Partial<Record<TunableParam, ParamValue>>;

/** One value of a parameter from a uniform draw u in [0, 1). */
export function drawValue(spec: ParamSpec, u: number): ParamValue {
  switch (spec.kind) {
    case 'categorical': {
      const values = spec.values!;
      return values[Math.min(values.length - 1, Math.floor(u * values.length))]!;
    }
    case 'int':
      return Math.min(spec.max!, spec.min! + Math.floor(u * (spec.max! - spec.min! + 1)));
    case 'float':
      return clampRounded(spec.min! + u * (spec.max! - spec.min!), spec);
    case 'log_float':
      return clampRounded(Math.exp(Math.log(spec.min!) + u * (Math.log(spec.max!) - Math.log(spec.min!))), spec);
  }
}

/** Six significant digits read better in tables and YAML; rounding must not leave the range. */
function clampRounded(v: number, spec: ParamSpec): number {
  return Math.min(spec.max!, Math.max(spec.min!, Number(v.toPrecision(6))));
}

export function sampleParams(space: SearchSpace, seed: number, trial: number): TrialParams {
  const out: TrialParams = {};
  for (const name of TUNABLE_PARAMS) {
    const spec = space[name];
    if (spec) out[name] = drawValue(spec, mulberry32(deriveSeed(seed, `trial:${trial}:${name}`))());
  }
  return out;
}

/** The trainer's defaults (src/core/train/trainer.ts), shown in trial records when prodml.yaml leaves them out. */
const TRAINER_DEFAULTS = { learning_rate: 0.01, batch_size: 256 };
/** buildModel's hidden layers when a dnn names none. */
const DEFAULT_HIDDEN = [32, 16];

/** prodml.yaml's model and training parameters with a trial's values in place. */
export function applyParams(m: ModelConfig, params: TrialParams, epochs: number): { model: ModelSpec; training: TrialRecord['training'] } {
  const type = (params.type as ModelSpec['type'] | undefined) ?? m.model.type;
  let model: ModelSpec = { type };
  if (type === 'dnn') {
    let hidden = (params.hidden as number[] | undefined) ?? m.model.hidden ?? DEFAULT_HIDDEN;
    if (params.layers !== undefined || params.units !== undefined) {
      const layers = (params.layers as number | undefined) ?? hidden.length;
      const units = (params.units as number | undefined) ?? hidden[0]!;
      hidden = Array.from({ length: layers }, () => units);
    }
    const dropout = (params.dropout as number | undefined) ?? m.model.dropout;
    model = { type, hidden: [...hidden], ...(dropout ? { dropout } : {}) };
  }
  const patience = (params.patience as number | undefined) ?? m.training.early_stopping?.patience;
  return {
    model,
    training: {
      learning_rate: (params.learning_rate as number | undefined) ?? m.training.learning_rate ?? TRAINER_DEFAULTS.learning_rate,
      batch_size: (params.batch_size as number | undefined) ?? m.training.batch_size ?? TRAINER_DEFAULTS.batch_size,
      epochs,
      ...(patience !== undefined ? { patience } : {}),
    },
  };
}

/** A trial's training section as the trainer takes it. */
export function trainParams(training: TrialRecord['training'], seed: number | undefined): TrainParams {
  return {
    epochs: training.epochs,
    batch_size: training.batch_size,
    learning_rate: training.learning_rate,
    ...(training.patience !== undefined ? { early_stopping: { patience: training.patience } } : {}),
    ...(seed !== undefined ? { seed } : {}),
  };
}

/** The values a trial trained with for each parameter of the space, its own or prodml.yaml's (the default trial draws none). */
export function effectiveParams(t: Pick<TrialRecord, 'model' | 'training'>, names: readonly TunableParam[]): TrialParams {
  const hidden = t.model.type === 'dnn' ? (t.model.hidden ?? DEFAULT_HIDDEN) : [];
  const all: Record<TunableParam, ParamValue | undefined> = {
    learning_rate: t.training.learning_rate,
    batch_size: t.training.batch_size,
    patience: t.training.patience,
    type: t.model.type,
    hidden,
    layers: hidden.length,
    units: hidden[0],
    dropout: t.model.dropout ?? 0,
  };
  const out: TrialParams = {};
  for (const n of names) if (all[n] !== undefined) out[n] = all[n];
  return out;
}
