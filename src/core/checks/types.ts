/** What the adaptable-system checks report: feature value against cost, and leakage findings. JSON-serialisable. */
import type { MetricDirection } from '../evaluate/types';
import type { UnivariateMeasure } from './univariate';

/** A place in prodml.yaml (1-based line and column) the editor can put a diagnostic on. */
export interface YamlLocation {
  file: string;
  line: number;
  column: number;
  /** The key path, e.g. ['models', 'baby_weight', 'features', 'mother_age']. */
  path: string[];
}

export interface CheckProgress {
  /** 0..1 of the whole check. */
  fraction: number;
  phase: string;
}

export interface FeatureCostReport {
  /** Share of training-split rows where the feature is missing (null or empty). */
  missing_rate: number;
  missing: number;
  rows: number;
  /** The dataset the feature is read from, with its files. */
  dataset: string;
  files: string[];
  /** From prodml.yaml `cost:` / `source:` on the feature, when given. */
  cost?: number;
  source?: string;
}

export interface PermutationImportance {
  /** Mean drop of the metric when the feature's values are shuffled, read in the metric's direction (positive: the model needs it). */
  mean: number;
  /** Sample standard deviation over the repeats (the shuffles' noise only). */
  sd: number;
  /** The drop of each repeat. */
  repeats: number[];
  /** 95% paired-bootstrap interval over the held-out rows of the drop (averaged over the repeats). */
  ci_low: number;
  ci_high: number;
}

export interface LeaveOneOut {
  /** The metric of a model retrained without the feature (the first seed). */
  metric: number;
  /** How much worse the model retrained without it is than the one retrained with every feature, in the metric's direction (positive: the feature helps), averaged over the seeds. */
  drop: number;
  /** The drop with each training seed. */
  seeds: number[];
  /** 95% bootstrap interval over the held-out rows of the seed-averaged drop. */
  ci_low: number;
  ci_high: number;
}

export type FeatureVerdict = 'worth its cost' | 'not worth its cost' | "can't tell with this much data";

export interface FeatureImportance {
  feature: string;
  /** The permutation drop (= permutation.mean). */
  importance: number;
  /** Its 95% interval (= permutation.ci_low / ci_high). */
  ci_low: number;
  ci_high: number;
  /** worth its cost: the interval lies above the threshold; not worth its cost: below it; otherwise can't tell. */
  verdict: FeatureVerdict;
  /** When undecided: about how many held-out rows would make the interval clear the threshold. */
  rows_to_decide?: number;
  permutation: PermutationImportance;
  leave_one_out?: LeaveOneOut;
  /** The correlated group this feature was also shuffled with, when it has one. */
  group?: string;
  cost: FeatureCostReport;
  /** One sentence on what the numbers say. */
  note: string;
  location?: YamlLocation;
}

/** Correlated inputs shuffled together: one of them alone understates what they carry between them. */
export interface GroupImportance {
  name: string;
  features: string[];
  /** Smallest absolute Pearson correlation that joined them (on the held-out rows). */
  min_correlation: number;
  importance: number;
  ci_low: number;
  ci_high: number;
  verdict: FeatureVerdict;
  rows_to_decide?: number;
}

export interface ImportanceReport {
  model: string;
  version: number;
  /** The model's key metric, and which way is better. */
  metric: string;
  direction: MetricDirection;
  /** The metric on the held-out rows, unpermuted. */
  base: number;
  rows: number;
  data: string;
  repeats: number;
  /** Bootstrap resamples behind each interval. */
  bootstrap: number;
  seed: number;
  /** The drop a feature must clear to be worth its cost: min_importance_share · |base|. */
  threshold: number;
  /** Most important first. */
  features: FeatureImportance[];
  /** Correlated inputs shuffled together (|r| at or above `correlation`). One-hot and vocabulary outputs need no group: their raw column is shuffled whole. */
  groups: GroupImportance[];
  correlation: number;
  /** Present when leave-one-out retraining ran: the metric of the model retrained with every feature (first seed), and the seeds. */
  leave_one_out?: { full: number; backend: string; epochs: number; seeds: number[] };
  notes: string[];
}

export type LeakageKind =
  | 'near_perfect_feature'
  | 'collapses_under_split'
  | 'known_after_event'
  | 'strong_feature'
  | 'random_split_with_time'
  | 'duplicates'
  | 'straddling_groups'
  /** Not a leak: a feature-value verdict other than "worth its cost", put on the feature's entry like the leakage findings. */
  | 'feature_value';

export interface LeakageFinding {
  kind: LeakageKind;
  /** error: a leak on evidence (exit 1); warning: the held-out score may flatter the model; info: strong but plausible. */
  severity: 'error' | 'warning' | 'info';
  /** The feature or group column; absent for duplicate rows and the split. */
  feature?: string;
  /** What was measured (a score, a count of rows or groups). */
  value: number;
  threshold: number;
  /** One paragraph a person understands: the evidence with its numbers, the alternative explanation, how to confirm. */
  message: string;
  /** The measurements behind the finding. */
  evidence: string;
  /** What else could explain the numbers. */
  alternative: string;
  /** How to tell for sure. */
  confirm: string;
  location?: YamlLocation;
  /** Duplicate rows or straddling groups, a few of them. */
  examples?: unknown[];
}

export interface SingleFeatureScore {
  feature: string;
  measure: UnivariateMeasure;
  /** Held-out score of the feature on its own: the better of a per-bin lookup and a linear fit, both fitted on the training split. */
  alone: number;
  /** Held-out score of a ridge fit on every other feature together (what the rest reach without it). */
  rest: number;
  /** The feature alone under a time-respecting split of the same rows, when the model's split is not one and the data has a time column. */
  alone_time_split?: number;
  /** The feature alone under a split by group, per group column checked (when the model's split is not by that group). */
  alone_group_split?: { column: string; score: number }[];
  /** Rows where the feature's `known_at` lies after the label's event time, of rows where both are known. */
  known_after_event?: { rows: number; of: number };
  /** leak: an error finding names it; strong: informational; ok. */
  verdict: 'leak' | 'strong' | 'ok';
  bins: number;
}

export interface DuplicateExample {
  values: Record<string, unknown>;
  train: { file: string; line?: number }[];
  eval: { file: string; line?: number }[];
}

export interface DuplicateReport {
  /** Held-out rows whose feature values and label equal a training row's. */
  eval_rows: number;
  /** Training rows equal (features + label) to a held-out row. */
  train_rows: number;
  /** Distinct feature+label combinations on both sides. */
  distinct: number;
  /** Of `eval_rows`, those equal to a training row in every column of the data (the same record). */
  whole_record_eval_rows: number;
  /** Columns beyond features and label that tell copies from coincidences. */
  other_columns: string[];
  examples: DuplicateExample[];
}

export interface GroupReport {
  column: string;
  /** declared: the split's group column or one named by the caller; likely: an ID-like column that repeats. */
  why: 'split' | 'declared' | 'likely';
  groups: number;
  /** Groups with rows on both sides of the split. */
  straddling: number;
  /** Held-out rows whose group also has training rows. */
  eval_rows_in_straddling: number;
  examples: { group: string; train: number; eval: number }[];
}

export interface LeakageReport {
  model: string;
  data: string;
  split: string;
  rows: { train: number; eval: number };
  /** The version scored on the held-out rows, for context, when there is one. */
  version?: number;
  model_score?: { measure: UnivariateMeasure; score: number };
  /** Held-out score of the ridge surrogate on every feature together (the yardstick of `rest`). */
  together: number;
  /** The time column checked for a time-respecting split, when there is one. */
  time_column?: string;
  single_feature: SingleFeatureScore[];
  duplicates: DuplicateReport;
  groups: GroupReport[];
  findings: LeakageFinding[];
  /** True when any finding is an error. */
  leak: boolean;
  thresholds: LeakageThresholds;
  notes: string[];
}

export interface LeakageThresholds {
  /** A single feature at or above this skill ((score − chance)/(1 − chance)) is near-perfect: AUC 0.99, R² 0.98. Default 0.98. */
  near_perfect_skill: number;
  /** At or above this skill alone, a feature is reported as strong (informational). Default 0.6. */
  strong_skill: number;
  /** A feature whose skill is at least this under the model's split... Default 0.2. */
  collapse_min_skill: number;
  /** ...and falls to this share of it or less under a time or group split has collapsed (error). Default 0.5. */
  collapse_ratio: number;
  /** Share of rows where known_at lies after the event that makes a leak (error); any row is a warning. Default 0.01. */
  known_after_share: number;
  /** Without columns that tell copies from coincidences: warn when this share of held-out rows is duplicated. Default 0.01. */
  duplicate_fraction: number;
}

export const DEFAULT_LEAKAGE_THRESHOLDS: LeakageThresholds = { near_perfect_skill: 0.98, strong_skill: 0.6, collapse_min_skill: 0.2, collapse_ratio: 0.5, known_after_share: 0.01, duplicate_fraction: 0.01 };

/** A Problems entry at a line of a data file (label conflicts). `file` is relative to the workspace root. */
export interface LineFinding {
  file: string;
  line: number;
  severity: 'error' | 'warning' | 'info';
  message: string;
}
