/**
 * The prediction log's records: one JSON line per scored instance under
 * `.prodml/logs/<model>/predictions-YYYY-MM-DD-<n>.jsonl`, and labels that arrive later under
 * `.prodml/logs/<model>/labels/labels-<time>-<pid>.jsonl`. Readers use DuckDB with a glob:
 *   SELECT * FROM read_json('.prodml/logs/baby_weight/predictions-*.jsonl', format='newline_delimited', ignore_errors=true)
 * (ignore_errors: a kill mid-append can leave one torn last line, which is skipped, never fatal).
 */

export type Route = 'primary' | 'canary' | 'shadow' | 'batch';

export interface PredictionRecord {
  /**
   * `<request id>-<instance index>`: unique per scored instance and route. A shadow record has
   * the id of the served record it shadows, so a label joins to both.
   */
  request_id: string;
  /** ISO 8601 time the request was received. */
  time: string;
  model: string;
  version: number;
  route: Route;
  /** The instance's key column value, when the model's serving config names one. */
  key?: string;
  /** The instance as sent (every field, including ones the model does not read). */
  inputs: Record<string, unknown>;
  /** Regression: the value; binary: P(class 1); multiclass: {class: probability}. */
  prediction: number | Record<string, number>;
  /**
   * Set when the client pinned the version (`/versions/<v>:predict` → "versions/3",
   * `/labels/<alias>:predict` → "labels/candidate"); route is then 'primary'. Monitoring of what
   * production served may want to leave these out.
   */
  pinned?: string;
  /**
   * True when the prediction came from the version's precomputed static table (`prodml predict
   * --static`, advise/staticTable.ts) instead of the model; the value is the same float32.
   */
  static?: boolean;
  /**
   * Categorical inputs whose value the model did not see in training: the model's OOV rule
   * answered them (one_hot: all zeros; vocabulary: a hashed OOV bucket).
   */
  oov?: string[];
}

export interface LabelRecord {
  /** Joins to PredictionRecord.request_id, or `key` joins to PredictionRecord.key. */
  request_id?: string;
  key?: string;
  label: number | string | boolean;
  /** When the label was added. */
  time: string;
}

export const LOGS_DIR = 'logs';
export const PREDICTIONS_PREFIX = 'predictions-';
export const LABELS_DIR = 'labels';
