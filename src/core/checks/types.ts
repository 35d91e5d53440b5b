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
  /** Sample standard deviation over the repeats. */
  sd: number;
  /** The drop of each repeat. */
  repeats: number[];
}

export interface LeaveOneOut {
  /** The metric of a model retrained without the feature. */
  metric: number;
  /** How much worse that model is than the one retrained with every feature, in the metric's direction (positive: the feature helps). */
  drop: number;
}

export interface FeatureImportance {
  feature: string;
  permutation: PermutationImportance;
  leave_one_out?: LeaveOneOut;
  cost: FeatureCostReport;
  /** The permutation drop is within noise of zero: the model would do as well without it. */
  within_noise: boolean;
  /** Within noise while it has a cost (missing values, an annotated cost or upstream source): a dependency not worth keeping. */
  not_worth_it: boolean;
  /** One sentence on what the numbers say. */
  note: string;
  location?: YamlLocation;
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
  seed: number;
  /** Drops at or below this are "within noise": max(2·sd, min_importance). */
  min_importance: number;
  /** Most important first. */
  features: FeatureImportance[];
  /** Present when leave-one-out retraining ran: the metric of the model retrained with every feature. */
  leave_one_out?: { full: number; backend: string; epochs: number };
  notes: string[];
}

export type LeakageKind = 'single_feature_power' | 'dominant_feature' | 'duplicates' | 'straddling_groups';

export interface LeakageFinding {
  kind: LeakageKind;
  /** error: a leak (exit 1); warning: look at it. */
  severity: 'error' | 'warning';
  /** The feature or group column; absent for duplicate rows. */
  feature?: string;
  /** What was measured (a score, a count of rows or groups). */
  value: number;
  threshold: number;
  /** One sentence a person understands. */
  message: string;
  location?: YamlLocation;
  /** Duplicate rows or straddling groups, a few of them. */
  examples?: unknown[];
}

export interface SingleFeatureScore {
  feature: string;
  measure: UnivariateMeasure;
  score: number;
  /** (score − chance) / (1 − chance): 0 knows nothing, 1 predicts the label perfectly. */
  skill: number;
  /** skill ÷ the full model's skill, when a version was scored. */
  share_of_model?: number;
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
  /** The version whose score the single-feature scores are compared with, when there is one. */
  version?: number;
  model_score?: { measure: UnivariateMeasure; score: number; skill: number };
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
  /** A single feature scoring this skill or more on its own is a leak (error). Default 0.9. */
  single_feature_skill: number;
  /** A single feature with this share of the full model's skill or more is suspect (warning). Default 0.95. */
  share_of_model: number;
  /** ...when its own skill is at least this. Default 0.3. */
  dominant_min_skill: number;
  /** Without columns that tell copies from coincidences: warn when this share of held-out rows is duplicated. Default 0.01. */
  duplicate_fraction: number;
}

export const DEFAULT_LEAKAGE_THRESHOLDS: LeakageThresholds = { single_feature_skill: 0.9, share_of_model: 0.95, dominant_min_skill: 0.3, duplicate_fraction: 0.01 };
