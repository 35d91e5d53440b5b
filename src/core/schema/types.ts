/**
 * The schema a dataset is held to (`*.schema.yaml`, TFDV-like) and the anomalies validation
 * reports against it. Key names are the YAML keys, so the file, this model and the JSON Schema
 * in schemas/schema.schema.json read the same.
 */
import type { FeatureType } from '../data/profileTypes';

export type { FeatureType };
export const FEATURE_TYPES: readonly FeatureType[] = ['int', 'float', 'string', 'bool', 'timestamp'];

/** Environments are free-form names; these two are the ones ProdML itself uses. */
export const TRAINING = 'TRAINING';
export const SERVING = 'SERVING';
export type Environment = string;

export interface Threshold {
  /** The distance above which the comparison is an anomaly. */
  threshold: number;
}

export const DISTANCE_MEASURES = ['jensen_shannon', 'l_infinity', 'psi'] as const;
export type DistanceMeasure = (typeof DISTANCE_MEASURES)[number];

/** How to compare a feature's distribution with another dataset's (drift or skew). */
export type Comparator = Partial<Record<DistanceMeasure, Threshold>>;

export interface FeatureSchema {
  type: FeatureType;
  description?: string;
  presence?: { min_fraction?: number };
  /** Values per example, for list-valued features (JSON, Parquet). */
  value_count?: { min?: number; max?: number };
  /** The allowed string values. */
  domain?: string[];
  /** Allowed numeric interval, both ends inclusive. */
  range?: { min?: number; max?: number };
  /** The fraction of values that must come from `domain` (default 1: every value). */
  min_domain_mass?: number;
  /** Compared with the previous span (`--baseline`). */
  drift?: Comparator;
  /** Compared between training (`--baseline`) and serving (`--environment SERVING`). */
  skew?: Comparator;
  /** Only expected in these environments. */
  environments?: Environment[];
  /** Expected everywhere except these environments (e.g. the label is `not_in: [SERVING]`). */
  not_in?: Environment[];
  /** Kept for the record, never checked. */
  deprecated?: boolean;
}

export interface Schema {
  num_examples?: { min?: number; max?: number };
  default_environments?: Environment[];
  features: Record<string, FeatureSchema>;
}

export const ANOMALY_TYPES = [
  'drift',
  'skew',
  'missing_column',
  'new_column',
  'type_mismatch',
  'low_presence',
  'value_count',
  'out_of_domain',
  'out_of_range',
  'num_examples',
  'parse_error',
] as const;
export type AnomalyType = (typeof ANOMALY_TYPES)[number];

export type Severity = 'error' | 'warning';

/** One distinct offending value behind an aggregated anomaly. */
export interface AnomalyExample {
  value: string;
  count: number;
  /** Where it first occurs. */
  line?: number;
  row?: number;
}

export interface Anomaly {
  /** The feature (column) at fault; null for dataset-level problems (num_examples, a broken line). */
  feature: string | null;
  type: AnomalyType;
  severity: Severity;
  /** One line a person understands. */
  description: string;
  /** What was measured: a distance, a fraction, a count, or the offending cell's text. */
  value?: number | string;
  threshold?: number;
  /** For drift and skew: the distance measured. */
  measure?: DistanceMeasure;
  /** The data file `line` refers to, as the user named it (a glob reads several). */
  file?: string;
  /**
   * 1-based file line, header included (CSV/TSV: the line where the record starts; JSON Lines:
   * the line of the record). Column-level anomalies of a CSV point at the header, line 1.
   */
  line?: number;
  /** 1-based index of the cell's column (not a character offset). */
  column?: number;
  /** 1-based data row, for formats without lines (Parquet, JSON arrays) and alongside `line`. */
  row?: number;
  /** Aggregated anomalies: how many cells or rows in all. */
  count?: number;
  /** Aggregated anomalies: the most frequent offending values. */
  examples?: AnomalyExample[];
}

export interface ValidationResult {
  source: string;
  rows: number;
  environment?: Environment;
  baseline?: string;
  anomalies: Anomaly[];
  elapsedMs: number;
}

/** What gates a CI job: exit 1 when true. */
export function hasErrors(anomalies: readonly Anomaly[]): boolean {
  return anomalies.some((a) => a.severity === 'error');
}

/** Findings on a data row (a cell or a line), as opposed to a column, a summary or the dataset. */
export function isRowLevel(a: Anomaly): boolean {
  return a.count === undefined && (a.row !== undefined || (a.line ?? 0) > 1);
}
