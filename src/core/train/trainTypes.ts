/** What a trainer takes and gives back: shared by the tfjs loop (trainer.ts) and the typed-array loop (linearTrainer.ts). */
import type * as TF from '@tensorflow/tfjs';

export interface TrainParams {
  epochs?: number;
  batch_size?: number;
  learning_rate?: number;
  /** Stop when the eval loss has not improved for this many epochs; the best weights are kept. */
  early_stopping?: { patience: number };
  seed?: number;
  /**
   * Memory the training data may take (MB, default 1024): past it, linear and logistic models
   * stream shuffled buckets from DuckDB each epoch instead of holding the data (streamedTraining.ts).
   */
  memory_budget_mb?: number;
}

/**
 * The streamed layout whose epoch order in-memory training reproduces (epochOrder.ts): each
 * training row's row number, and the bucket count. Without one: one bucket, in position order.
 */
export interface EpochLayout {
  rowNumbers: ArrayLike<number>;
  buckets: number;
}

export interface TrainData {
  /** Row-major inputs, rows × width (from transformRows). */
  x: Float32Array;
  /** Labels: the value (regression), 0/1 (binary) or the class index (multiclass). */
  y: Float32Array;
  /** Per-row weights; all 1 when absent. */
  w?: Float32Array;
  width: number;
}

export interface EpochReport {
  epoch: number;
  epochs: number;
  loss: number;
  evalLoss: number;
  /** Seconds of this epoch spent on the eval loss (a pass over the eval split the training pass itself does not need). */
  evalSeconds?: number;
  /** Training rows per second in this epoch, and the time the remaining epochs would take at that pace. */
  rowsPerSecond?: number;
  etaSeconds?: number;
}

export interface TrainResult {
  model: TF.LayersModel;
  history: EpochReport[];
  bestEpoch: number;
  stoppedEarly: boolean;
}
