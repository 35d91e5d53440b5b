/**
 * Linear and logistic models trained by a tight loop over typed arrays: the same job as the tfjs
 * loop in trainer.ts (the same seeded initial weights from buildModel, the same Fisher-Yates batch
 * order, Adam with tfjs's defaults, the weighted loss, the eval loss after every epoch, early
 * stopping keeping the best weights), without a tensor dispatch per op: at 800k rows of 59
 * inputs an epoch is a few hundred milliseconds instead of seconds. Sums run in float64; the
 * result is written back into the tfjs model, so saving and scoring are unchanged.
 */
import type * as TF from '@tensorflow/tfjs';
import { mulberry32 } from '../demo/random';
import { cancelled } from '../errors';
import { buildModel, type ModelSpec, type Task } from './model';
import type { EpochReport, TrainData, TrainParams, TrainResult } from './trainTypes';

const EPS = 1e-7;
const BETA1 = 0.9;
const BETA2 = 0.999;
/** tfjs's Adam epsilon (backend epsilon() on float32 backends). */
const ADAM_EPS = 1e-7;
/** Let progress messages and cancellation through this often (ms). */
const YIELD_MS = 25;

/** Whether this loop trains the model: one Dense unit (linear, logistic), no dropout. */
export function isLinear(spec: ModelSpec, task: Task): boolean {
  return (spec.type === 'linear' && task === 'regression') || (spec.type === 'logistic' && task === 'binary');
}

export async function trainLinear(
  tf: typeof TF,
  opts: { task: Task; model: ModelSpec; params?: TrainParams; train: TrainData; eval: TrainData },
  onEpoch?: (r: EpochReport, model: TF.LayersModel) => void | 'stop',
  signal?: AbortSignal,
): Promise<TrainResult> {
  const p = { epochs: 20, batch_size: 256, learning_rate: 0.01, seed: 42, ...opts.params };
  const width = opts.train.width;
  const model = buildModel(tf, opts.model, opts.task, width, 2, p.seed);
  const initial = model.getWeights();
  // Parameters: the kernel's `width` weights, then the bias.
  const theta = new Float64Array(width + 1);
  theta.set(initial[0]!.dataSync());
  theta[width] = initial[1]!.dataSync()[0]!;
  const m1 = new Float64Array(width + 1);
  const m2 = new Float64Array(width + 1);
  const grad = new Float64Array(width + 1);
  let accB1 = BETA1;
  let accB2 = BETA2;
  const binary = opts.task === 'binary';
  const { x, y } = opts.train;
  const w = opts.train.w;
  const n = y.length;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const random = mulberry32(p.seed);
  const history: EpochReport[] = [];
  let best = { loss: Infinity, epoch: 0, theta: Float64Array.from(theta) };
  let stoppedEarly = false;
  const setModel = (t: Float64Array) => {
    const k = tf.tensor2d(Float32Array.from(t.subarray(0, width)), [width, 1]);
    const b = tf.tensor1d([t[width]!]);
    model.setWeights([k, b]);
    k.dispose();
    b.dispose();
  };

  for (let epoch = 1; epoch <= p.epochs; epoch++) {
    const started = performance.now();
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    const st: SgdState = { x, y, w, width, order, theta, m1, m2, grad, accB1, accB2, binary, lr: p.learning_rate, batch: p.batch_size, total: 0, weight: 0 };
    for (let start = 0; start < n; ) {
      if (signal?.aborted) throw cancelled();
      // Batches for about YIELD_MS, then progress messages and cancellation get through.
      start = sgdBatches(st, start, performance.now() + YIELD_MS);
      await new Promise((r) => setImmediate(r));
    }
    accB1 = st.accB1;
    accB2 = st.accB2;
    const total = st.total;
    const weight = st.weight;
    const evalLoss = linearLoss(theta, opts.eval, binary);
    const seconds = (performance.now() - started) / 1000;
    const report: EpochReport = { epoch, epochs: p.epochs, loss: total / (weight || 1), evalLoss, rowsPerSecond: n / seconds, etaSeconds: (p.epochs - epoch) * seconds };
    history.push(report);
    let verdict: void | 'stop' = undefined;
    if (onEpoch) {
      setModel(theta);
      verdict = onEpoch(report, model);
    }
    if (evalLoss < best.loss) best = { loss: evalLoss, epoch, theta: Float64Array.from(theta) };
    else if (p.early_stopping && epoch - best.epoch >= p.early_stopping.patience) {
      stoppedEarly = true;
      break;
    }
    if (verdict === 'stop') {
      stoppedEarly = true;
      break;
    }
    await new Promise((r) => setImmediate(r));
  }
  setModel(best.epoch > 0 ? best.theta : theta);
  return { model, history, bestEpoch: best.epoch, stoppedEarly };
}

interface SgdState {
  x: Float32Array;
  y: Float32Array;
  w: Float32Array | undefined;
  width: number;
  order: Int32Array;
  theta: Float64Array;
  m1: Float64Array;
  m2: Float64Array;
  grad: Float64Array;
  accB1: number;
  accB2: number;
  binary: boolean;
  lr: number;
  batch: number;
  total: number;
  weight: number;
}

/**
 * Adam steps over the batches from row `from` of the shuffled order until `deadline` (ms) or the
 * epoch's end; returns where it stopped. A plain synchronous function: V8 optimises it whole.
 */
function sgdBatches(s: SgdState, from: number, deadline: number): number {
  const { x, y, w, width, order, theta, m1, m2, grad, binary, lr, batch } = s;
  const n = y.length;
  let start = from;
  while (start < n) {
    const end = Math.min(n, start + batch);
    grad.fill(0);
    let bw = 0;
    let bl = 0;
    const bias = theta[width]!;
    for (let k = start; k < end; k++) {
      const i = order[k]!;
      const row = i * width;
      let z = bias;
      for (let j = 0; j < width; j++) z += x[row + j]! * theta[j]!;
      const wi = w ? w[i]! : 1;
      const yi = y[i]!;
      let dz: number;
      if (binary) {
        const pr = 1 / (1 + Math.exp(-z));
        // The loss clips p to [EPS, 1 - EPS]; outside, its gradient is zero (as tfjs's clipByValue).
        const pc = pr < EPS ? EPS : pr > 1 - EPS ? 1 - EPS : pr;
        bl -= wi * (yi * Math.log(pc) + (1 - yi) * Math.log(1 - pc));
        dz = pr > EPS && pr < 1 - EPS ? pr - yi : 0;
      } else {
        const d = z - yi;
        bl += wi * d * d;
        dz = 2 * d;
      }
      const g = wi * dz;
      if (g !== 0) {
        for (let j = 0; j < width; j++) grad[j] = grad[j]! + g * x[row + j]!;
        grad[width] = grad[width]! + g;
      }
      bw += wi;
    }
    const scale = bw > 0 ? 1 / bw : 0;
    const c1 = 1 - s.accB1;
    const c2 = 1 - s.accB2;
    for (let j = 0; j <= width; j++) {
      const g = grad[j]! * scale;
      m1[j] = BETA1 * m1[j]! + (1 - BETA1) * g;
      m2[j] = BETA2 * m2[j]! + (1 - BETA2) * g * g;
      theta[j] = theta[j]! - (lr * (m1[j]! / c1)) / (Math.sqrt(m2[j]! / c2) + ADAM_EPS);
    }
    s.accB1 *= BETA1;
    s.accB2 *= BETA2;
    s.total += bl;
    s.weight += bw;
    start = end;
    if (performance.now() >= deadline) break;
  }
  return start;
}

/** The weighted mean loss of the parameters over some rows (the eval loss). */
export function linearLoss(theta: Float64Array, data: TrainData, binary: boolean): number {
  const { x, y, w, width } = data;
  let total = 0;
  let weight = 0;
  for (let i = 0, row = 0; i < y.length; i++, row += width) {
    let z = theta[width]!;
    for (let j = 0; j < width; j++) z += x[row + j]! * theta[j]!;
    const wi = w ? w[i]! : 1;
    if (binary) {
      // The prediction is a float32 (as the saved model gives it), then clipped as the loss does.
      const pr = Math.fround(1 / (1 + Math.exp(-z)));
      const pc = pr < EPS ? EPS : pr > 1 - EPS ? 1 - EPS : pr;
      total -= wi * (y[i]! * Math.log(pc) + (1 - y[i]!) * Math.log(1 - pc));
    } else total += wi * (z - y[i]!) ** 2;
    weight += wi;
  }
  return total / (weight || 1);
}
