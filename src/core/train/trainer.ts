/**
 * The training loop. tfjs's fit() takes no sample weights, so this loop minimises a weighted
 * loss itself (recency weighting needs it), shuffles with a seeded generator (so a seed on a
 * backend gives the same model), keeps the best weights on the eval split (early stopping) and
 * reports every epoch.
 */
import type * as TF from '@tensorflow/tfjs';
import { cancelled } from '../errors';
import { epochOrderOf, isLinear, trainLinear } from './linearTrainer';
import { isPlainMlp, trainMlp } from './mlpTrainer';
import { buildModel, type ModelSpec, type Task } from './model';
import type { RecordLayout } from './bucketFiles';
import type { EpochLayout, EpochReport, TrainData, TrainParams, TrainResult } from './trainTypes';

export type { EpochLayout, EpochReport, TrainData, TrainParams, TrainResult } from './trainTypes';

const EPS = 1e-7;

export function weightedLoss(tf: typeof TF, task: Task, classes: number, pred: TF.Tensor, y: TF.Tensor, w: TF.Tensor): TF.Scalar {
  let perRow: TF.Tensor;
  if (task === 'regression') perRow = tf.square(tf.sub(pred.reshape([-1]), y));
  else if (task === 'binary') {
    const p = tf.clipByValue(pred.reshape([-1]), EPS, 1 - EPS);
    perRow = tf.neg(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p)))));
  } else {
    const p = tf.clipByValue(pred, EPS, 1);
    perRow = tf.neg(tf.sum(tf.mul(tf.oneHot(y.toInt(), classes), tf.log(p)), 1));
  }
  return tf.div(tf.sum(tf.mul(perRow, w)), tf.sum(w)) as TF.Scalar;
}

/** The rows order[start..end) copied into one batch; an element loop, not a subarray per row (that allocation was a fifth of a DNN epoch). */
function rows(data: TrainData, order: Int32Array, start: number, end: number): { x: Float32Array; y: Float32Array; w: Float32Array } {
  const n = end - start;
  const width = data.width;
  const src = data.x;
  const x = new Float32Array(n * width);
  const y = new Float32Array(n);
  const w = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const i = order[start + k]!;
    const from = i * width;
    const to = k * width;
    for (let j = 0; j < width; j++) x[to + j] = src[from + j]!;
    y[k] = data.y[i]!;
    w[k] = data.w ? data.w[i]! : 1;
  }
  return { x, y, w };
}

export async function trainModel(
  tf: typeof TF,
  opts: { task: Task; classes?: number; model: ModelSpec; params?: TrainParams; train: TrainData; eval: TrainData; /** 'tfjs' trains every model with layers, autodiff and tf.train.adam (the reference the typed-array loop and the written-out DNN passes are tested against). */ engine?: 'auto' | 'tfjs'; layout?: EpochLayout; /** The transforms' record layout: linear models then train on records (linearTrainer.ts). */ records?: RecordLayout },
  /** Called after each epoch with the model as trained so far; returning 'stop' ends training there (the best weights are kept). */
  onEpoch?: (r: EpochReport, model: TF.LayersModel) => void | 'stop',
  signal?: AbortSignal,
): Promise<TrainResult> {
  // Linear and logistic models train in a typed-array loop (the same semantics, ~10x faster).
  if (isLinear(opts.model, opts.task) && !opts.model.dropout && opts.engine !== 'tfjs') return trainLinear(tf, opts, onEpoch, signal);
  // DNNs without dropout: the passes written out (mlpTrainer.ts), a fraction of the tfjs ops a batch.
  if (isPlainMlp(opts.model) && opts.engine !== 'tfjs') return trainMlp(tf, opts, onEpoch, signal);
  const p = { epochs: 20, batch_size: 256, learning_rate: 0.01, seed: 42, ...opts.params };
  const classes = opts.classes ?? 2;
  const model = buildModel(tf, opts.model, opts.task, opts.train.width, classes, p.seed);
  const optimizer = tf.train.adam(p.learning_rate);
  const n = opts.train.y.length;
  const orders = epochOrderOf(n, p.seed, opts.layout);
  const order = new Int32Array(n);
  const evalRows = opts.eval.y.length;
  const evalY = tf.tensor1d(opts.eval.y);
  const evalW = tf.tensor1d(opts.eval.w ?? new Float32Array(evalRows).fill(1));
  const outputs = opts.task === 'multiclass' ? classes : 1;

  const history: EpochReport[] = [];
  let best = { loss: Infinity, epoch: 0, weights: [] as TF.Tensor[] };
  let stoppedEarly = false;
  try {
    for (let epoch = 1; epoch <= p.epochs; epoch++) {
      const started = performance.now();
      // The seeded order of epochOrder.ts: the same batches in the same order every run.
      orders.permutation(epoch, order);
      let total = 0;
      let weight = 0;
      for (let start = 0; start < n; start += p.batch_size) {
        if (signal?.aborted) throw cancelled();
        const b = rows(opts.train, order, start, Math.min(n, start + p.batch_size));
        const bw = b.w.reduce((a, v) => a + v, 0);
        const loss = tf.tidy((): TF.Scalar => {
          const x = tf.tensor2d(b.x, [b.y.length, opts.train.width]);
          const y = tf.tensor1d(b.y);
          const w = tf.tensor1d(b.w);
          return optimizer.minimize(() => weightedLoss(tf, opts.task, classes, model.apply(x, { training: true }) as TF.Tensor, y, w), true)!;
        });
        total += (await loss.data())[0]! * bw;
        weight += bw;
        loss.dispose();
        // Let progress messages and cancellation through between batches.
        await new Promise((r) => setImmediate(r));
      }
      const evalStarted = performance.now();
      const evalOut = predict(tf, model, opts.eval.x, opts.eval.width);
      const evalLoss = tf.tidy(() => weightedLoss(tf, opts.task, classes, tf.tensor2d(evalOut, [evalRows, outputs]), evalY, evalW).dataSync()[0]!);
      const evalSeconds = (performance.now() - evalStarted) / 1000;
      const seconds = (performance.now() - started) / 1000;
      const report = { epoch, epochs: p.epochs, loss: total / (weight || 1), evalLoss, evalSeconds, rowsPerSecond: n / seconds, etaSeconds: (p.epochs - epoch) * seconds };
      history.push(report);
      const verdict = onEpoch?.(report, model);
      if (evalLoss < best.loss) {
        best.weights.forEach((t) => t.dispose());
        best = { loss: evalLoss, epoch, weights: model.getWeights().map((t) => t.clone()) };
      } else if (p.early_stopping && epoch - best.epoch >= p.early_stopping.patience) {
        stoppedEarly = true;
        break;
      }
      if (verdict === 'stop') {
        stoppedEarly = true;
        break;
      }
    }
    if (best.weights.length > 0) model.setWeights(best.weights);
    return { model, history, bestEpoch: best.epoch, stoppedEarly };
  } finally {
    best.weights.forEach((t) => t.dispose());
    evalY.dispose();
    evalW.dispose();
    optimizer.dispose();
  }
}

/** Rows per forward pass in predict: bounds the activations held at once, whatever the row count. */
const PREDICT_CHUNK = 16_384;

/**
 * Predictions for row-major inputs: one value per row (regression, binary) or one row of class
 * probabilities. Forward passes over chunks of the caller's array, not model.predict: its loop
 * slices 32-row batches out of one big tensor, and the wasm backend's slice copies the whole
 * tensor each time, so scoring n rows cost O(n²) (2.7 s for 20k rows of 59 inputs).
 */
export function predict(tf: typeof TF, model: TF.LayersModel, x: Float32Array, width: number): Float32Array {
  const n = x.length / width;
  const forward = (start: number, end: number) =>
    tf.tidy(() => (model.apply(tf.tensor2d(x.subarray(start * width, end * width), [end - start, width]), { training: false }) as TF.Tensor).dataSync() as Float32Array);
  if (n <= PREDICT_CHUNK) return forward(0, n);
  const first = forward(0, PREDICT_CHUNK);
  const perRow = first.length / PREDICT_CHUNK;
  const out = new Float32Array(n * perRow);
  out.set(first);
  for (let start = PREDICT_CHUNK; start < n; start += PREDICT_CHUNK) out.set(forward(start, Math.min(n, start + PREDICT_CHUNK)), start * perRow);
  return out;
}

/** The tfjs layers format (model.json + weights.bin) in memory: the file:// handler needs tfjs-node. */
export async function modelArtifacts(tf: typeof TF, model: TF.LayersModel): Promise<{ modelJson: string; weights: Buffer }> {
  let out: { modelJson: string; weights: Buffer } | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const weights = Buffer.from(a.weightData as ArrayBuffer);
      const modelJson = JSON.stringify({ format: 'layers-model', generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`, convertedBy: null, modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] });
      out = { modelJson, weights };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.length } };
    }),
  );
  return out!;
}

export async function loadModel(tf: typeof TF, modelJson: string, weights: Buffer): Promise<TF.LayersModel> {
  const m = JSON.parse(modelJson) as { modelTopology: object; weightsManifest: { weights: TF.io.WeightsManifestEntry[] }[] };
  const data = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: m.modelTopology, weightSpecs: m.weightsManifest.flatMap((g) => g.weights), weightData: data }));
}
