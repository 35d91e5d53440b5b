/**
 * Feature transforms: what prodml.yaml asks for (TransformSpec) and what fitting them on the
 * training split produces (FittedTransforms, saved with the model as transform.json). Fitted
 * transforms are plain data, so training, evaluation, batch prediction and online serving all
 * apply the very same numbers through the very same function (apply.ts).
 */

export type DatePart = 'year' | 'month' | 'day_of_week' | 'weekend' | 'hour';
export const DATE_PARTS: readonly DatePart[] = ['year', 'month', 'day_of_week', 'weekend', 'hour'];

export type TransformSpec =
  /** The number as it is (booleans as 0/1); missing values become the training mean. */
  | { kind: 'identity' }
  /** (x - mean) / std of the training split. */
  | { kind: 'standardize' }
  /** (x - min) / (max - min) of the training split; values outside are not clipped. */
  | { kind: 'min_max' }
  /** ln(x + offset), then standardized; offset defaults to 1 (so 0 stays finite). */
  | { kind: 'log'; offset?: number }
  /** One-hot bucket of x: explicit boundaries, or `buckets` quantile buckets of the training split. */
  | { kind: 'bucketize'; boundaries?: number[]; buckets?: number }
  /** One slot per value seen in training (the most frequent `max_values`); unseen values: all zeros. */
  | { kind: 'one_hot'; max_values?: number }
  /** Like one_hot, plus `oov_buckets` slots that unseen values hash into. */
  | { kind: 'vocabulary'; max_values?: number; oov_buckets?: number }
  /** Parts of a date or timestamp, as in BigQuery ML: year standardized, the others one-hot or 0/1. */
  | { kind: 'date_parts'; parts?: DatePart[] };

export interface FeatureSpec {
  name: string;
  transform: TransformSpec;
}

/**
 * The type of the column a feature was fitted on (DuckDB's type, mapped as profiling maps it): the
 * input contract serving checks requests against. Absent in transform.json written before it was
 * recorded; then the transform's kind says what it reads (numbers, categories or dates).
 */
export type InputType = 'int' | 'float' | 'string' | 'bool' | 'timestamp';

/** One fitted feature: its parameters and the names of the model inputs it produces, in order. */
export type FittedFeature = { type?: InputType } & (
  | { name: string; kind: 'identity' | 'standardize' | 'min_max'; center: number; scale: number; impute: number; outputs: string[] }
  | { name: string; kind: 'log'; offset: number; center: number; scale: number; impute: number; outputs: string[] }
  | { name: string; kind: 'bucketize'; boundaries: number[]; impute: number; outputs: string[] }
  | { name: string; kind: 'one_hot' | 'vocabulary'; values: string[]; oovBuckets: number; outputs: string[] }
  | { name: string; kind: 'date_parts'; parts: DatePart[]; yearCenter: number; yearScale: number; outputs: string[] }
);

export interface FittedTransforms {
  /** Format version of transform.json. */
  version: 1;
  features: FittedFeature[];
  /** Total model inputs: the sum of every feature's outputs. */
  width: number;
  /** Rows of the training split the transforms were fitted on. */
  fittedOn: number;
}
