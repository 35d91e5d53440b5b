/**
 * The tuner's shapes: the `tune:` block of a prodml.yaml model, a study's settings with defaults
 * filled in, and what a study records per trial. Field names are snake_case because they are
 * written to `.prodml/tune/` and printed by `prodml tune --json` as is.
 */
import type { MetricDirection } from '../evaluate/types';
import type { ModelSpec, Task } from '../train/model';

export type ParamKind = 'float' | 'log_float' | 'int' | 'categorical';

/** A hyperparameter value: a number, a model type, or hidden layer sizes. */
export type ParamValue = number | string | number[];

/** How one hyperparameter is drawn: uniformly in [min, max] (log-uniformly for log_float), or one of `values`. */
export interface ParamSpec {
  kind: ParamKind;
  min?: number;
  max?: number;
  values?: ParamValue[];
}

/** The parameters of the trainer (src/core/train) a search space may name. */
export const TUNABLE_PARAMS = ['learning_rate', 'batch_size', 'patience', 'type', 'hidden', 'layers', 'units', 'dropout'] as const;
export type TunableParam = (typeof TUNABLE_PARAMS)[number];

export type SearchSpace = Partial<Record<TunableParam, ParamSpec>>;

/** models.<name>.tune as written in prodml.yaml; every field is optional. */
export interface TuneBlock {
  metric?: string;
  trials?: number;
  minutes?: number;
  seed?: number;
  max_epochs?: number;
  halving?: { min_epochs?: number; reduction_factor?: number };
  validation_fraction?: number;
  include_default?: boolean;
  space?: SearchSpace;
}

/** A study's settings with defaults filled in. */
export interface TuneSettings {
  metric: string;
  direction: MetricDirection;
  /** The study's size in trials (counting trials of earlier runs). */
  trials: number;
  /** Wall-clock budget of one run, when set. */
  minutes?: number;
  seed: number;
  /** Epochs of a trial that is never stopped: the largest rung. */
  max_epochs: number;
  halving: { min_epochs: number; reduction_factor: number };
  /** Share of the training split held out to score trials; the model's own evaluation split is never seen. */
  validation_fraction: number;
  /** Trial 0 trains prodml.yaml's own parameters, so the study shows what tuning gained. */
  include_default: boolean;
  space: SearchSpace;
}

export interface TrialEpoch {
  epoch: number;
  loss: number;
  eval_loss: number;
  /** The study's metric on the validation rows after this epoch; null when undefined (NaN). */
  metric: number | null;
}

/**
 * completed: ran to max_epochs or converged (early-stopping patience);
 * stopped: successive halving cut it at a rung; failed: it produced no finite metric.
 */
export type TrialStatus = 'completed' | 'stopped' | 'failed';

/** One line of trials.jsonl. */
export interface TrialRecord {
  trial: number;
  source: 'default' | 'random';
  params: Partial<Record<TunableParam, ParamValue>>;
  /** The model and training parameters the trial trained with (prodml.yaml's, with `params` applied). */
  model: ModelSpec;
  training: { learning_rate: number; batch_size: number; epochs: number; patience?: number };
  status: TrialStatus;
  /** The metric of the weights the trial keeps (its lowest validation loss); null when failed. */
  metric: number | null;
  best_epoch: number;
  epochs: TrialEpoch[];
  /** The rung epoch at which successive halving stopped it. */
  stopped_at?: number;
  error?: string;
  seconds: number;
  finished_at: string;
}

/** study.json: what identifies a study and what it was run with. */
export interface StudyRecord {
  study: string;
  model: string;
  created_at: string;
  settings: Omit<TuneSettings, 'trials' | 'minutes'>;
  /** Rung epochs: a trial reaching one is compared with the others that reached it. */
  rungs: number[];
  /** sha256 of the model's prodml.yaml section, the settings that shape trials, and the data. */
  fingerprint: string;
  data: { files: { path: string; content_hash: string }[]; train_rows: number; validation_rows: number };
  task: Task;
}

export type TuneStopReason = 'trials' | 'minutes';

export interface TuneResult {
  model: string;
  study: string;
  /** The study's folder: `.prodml/tune/<model>/<study>`. */
  dir: string;
  metric: string;
  direction: MetricDirection;
  space: SearchSpace;
  rungs: number[];
  /** Every finished trial of the study, in trial order. */
  trials: TrialRecord[];
  /** The trial with the best metric, if any finished with one. */
  best?: TrialRecord;
  /** Trial 0 when the study includes prodml.yaml's own parameters. */
  default?: TrialRecord;
  /** Trials trained by this call (the rest were read back from an earlier run). */
  trained: number;
  stop_reason: TuneStopReason;
  rows: { train: number; validation: number };
  seconds: number;
}

export type TuneProgress = {
  /** 0..1 over the run's budget (trials, or minutes when that ends sooner). */
  fraction: number;
  phase: string;
  trial?: number;
  epoch?: number;
};
