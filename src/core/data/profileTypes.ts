/** The profile of a dataset: the `prodml profile --json` contract (DESIGN.md), also sent to webviews. */

/** The feature types of *.schema.yaml. */
export type FeatureType = 'int' | 'float' | 'string' | 'bool' | 'timestamp';

export const QUANTILE_KEYS = ['p01', 'p05', 'p25', 'p50', 'p75', 'p95', 'p99'] as const;
export type QuantileKey = (typeof QUANTILE_KEYS)[number];
export const QUANTILE_LEVELS: Record<QuantileKey, number> = {
  p01: 0.01,
  p05: 0.05,
  p25: 0.25,
  p50: 0.5,
  p75: 0.75,
  p95: 0.95,
  p99: 0.99,
};

export type WarningCode = 'all_missing' | 'mostly_missing' | 'constant' | 'dominant_value' | 'high_cardinality';

export interface ColumnWarning {
  code: WarningCode;
  message: string;
}

/** Bins are [edges[i], edges[i+1]), the last one closed. Timestamps are in epoch milliseconds. */
export interface Histogram {
  edges: number[];
  counts: number[];
}

export interface TopValue {
  value: string;
  count: number;
}

export interface ColumnProfile {
  name: string;
  type: FeatureType;
  /** DuckDB's type for the column, e.g. BIGINT, VARCHAR, DATE. */
  duckdbType: string;
  /** Non-missing values. */
  count: number;
  missing: number;
  /** Distinct non-missing values: exact up to about 10,000, a HyperLogLog estimate beyond (distinctExact false). */
  distinct: number;
  distinctExact: boolean;
  /** Numeric and bool (fraction true) columns. */
  mean?: number | null;
  std?: number | null;
  /** Numbers for int/float, ISO strings for timestamps. */
  min?: number | string | null;
  max?: number | string | null;
  /** From a reservoir sample (exact while the column has no more values than the sample). */
  quantiles?: Partial<Record<QuantileKey, number | string>>;
  histogram?: Histogram;
  /** String and bool columns: the most frequent values with exact counts. */
  top?: TopValue[];
  /** Non-missing values outside `top`. */
  otherCount?: number;
  warnings: ColumnWarning[];
}

export interface DatasetProfile {
  source: string;
  format: string;
  rows: number;
  columns: ColumnProfile[];
  elapsedMs: number;
}

export interface ProfileResult extends DatasetProfile {
  /** The second dataset of "Compare with...", binned on the same edges. */
  compare?: DatasetProfile;
}
