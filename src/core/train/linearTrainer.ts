/**
 * Linear and logistic models trained by a tight loop over typed arrays: the same job as the tfjs
 * loop in trainer.ts (the same seeded initial weights from buildModel, the same batch order
 * (epochOrder.ts), Adam with tfjs's defaults, the weighted loss, the eval loss after every epoch, early
 * stopping keeping the best weights), without a tensor dispatch per op: at 800k rows of 59
 * inputs an epoch is a few hundred milliseconds instead of seconds. Sums run in float64; the
 * result is written back into the tfjs model, so saving and scoring are unchanged.
 */
import type * as TF from '@tensorflow/tfjs';
import { cancelled } from '../errors';
import { encodeRecords, type RecordLayout, type Records } from './bucketFiles';
import { buildModel, type ModelSpec, type Task } from './model';
import { BestEpoch } from './bestEpoch';
import { EpochOrder } from './epochOrder';
import type { EpochLayout, EpochReport, TrainData, TrainParams, TrainResult } from './trainTypes';

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

/**
 * Where an epoch's rows come from: blocks of rows (a row-major design matrix with labels and
 * weights) and, in each, the order to visit them. In memory (one block: the whole training split
 * in epochOrder.ts's order) or streamed from DuckDB (train/streamedTraining.ts: shuffled
 * buckets, each permuted). A batch runs across block boundaries, so the blocks' sizes never
 * change which rows form a batch.
 */
export interface EpochSource {
  width: number;
  /** Training rows in an epoch. */
  rows: number;
  blocks(epoch: number, signal?: AbortSignal): AsyncIterable<EpochBlock>;
  /** The weighted mean loss of the parameters over the eval split. */
  evalLoss(theta: Float64Array, binary: boolean, signal?: AbortSignal): Promise<number>;
  /** Training is over: drop what was read ahead for another epoch. */
  done?(): void;
}

/**
 * A block of rows: a dense design matrix (in memory) or records (streamed: dense inputs and
 * one-hot slots as column indices, bucketFiles.ts), with the order to visit them in.
 */
export type EpochBlock = {
  /** The rows of the block in the order the epoch visits them. */
  order: Int32Array;
} & ({ x: Float32Array; y: Float32Array; w?: Float32Array } | { records: Records });

export async function trainLinear(
  tf: typeof TF,
  opts: { task: Task; model: ModelSpec; params?: TrainParams; train: TrainData; eval: TrainData; layout?: EpochLayout; records?: RecordLayout },
  onEpoch?: (r: EpochReport, model: TF.LayersModel) => void | 'stop',
  signal?: AbortSignal,
): Promise<TrainResult> {
  return trainLinearFrom(tf, { ...opts, source: inMemorySource(opts.train, opts.eval, opts.params?.seed ?? 42, opts.layout, opts.records) }, onEpoch, signal);
}

/**
 * The training split held in memory: one block per epoch, in epochOrder.ts's order (the streamed
 * path's, for the same layout). Given the transforms' record layout, and rows of one weight, it
 * trains on records as the streamed path does (a one-hot group is one added weight, not its
 * width of multiplies: 20 terms a row instead of 59 for bench:train's inputs).
 */
export function inMemorySource(train: TrainData, evalData: TrainData, seed: number, layout?: EpochLayout, recordsLayout?: RecordLayout): EpochSource {
  const n = train.y.length;
  const orders = epochOrderOf(n, seed, layout);
  const order = new Int32Array(n);
  const records = recordsLayout && !train.w ? asRecords(recordsLayout, train) : undefined;
  return {
    width: train.width,
    rows: n,
    async *blocks(epoch) {
      orders.permutation(epoch, order);
      yield records ? { records, order } : { x: train.x, y: train.y, w: train.w, order };
    },
    async evalLoss(theta, binary) {
      return linearLoss(theta, evalData, binary);
    },
  };
}

/** The rows as records (row numbers are positions), or undefined when a one-hot group holds another value than 0 or 1: those train dense. */
function asRecords(layout: RecordLayout, train: TrainData): Records | undefined {
  const n = train.y.length;
  const f32 = new Float32Array(n * layout.stride);
  const out = { f32, i32: new Int32Array(f32.buffer) };
  try {
    for (let i = 0; i < n; i++) encodeRecords(layout, train.x, i, train.y[i]!, i, out, i * layout.stride);
  } catch {
    return undefined;
  }
  return { rows: n, ...out, layout };
}

/** The epoch orders of `n` training positions: the layout's, or one bucket with positions as row numbers. */
export function epochOrderOf(n: number, seed: number, layout?: EpochLayout): EpochOrder {
  if (layout && layout.rowNumbers.length !== n) throw new Error(`epoch layout: ${layout.rowNumbers.length} row numbers for ${n} training rows`);
  if (layout) return new EpochOrder(layout.rowNumbers, seed, layout.buckets);
  const positions = new Int32Array(n);
  for (let i = 0; i < n; i++) positions[i] = i;
  return new EpochOrder(positions, seed, 1);
}

export async function trainLinearFrom(
  tf: typeof TF,
  opts: { task: Task; model: ModelSpec; params?: TrainParams; source: EpochSource },
  onEpoch?: (r: EpochReport, model: TF.LayersModel) => void | 'stop',
  signal?: AbortSignal,
  /** Called between batches with the rows done in this epoch (for a progress bar inside long epochs). */
  onRows?: (epoch: number, rowsDone: number, rowsPerSecond: number) => void,
): Promise<TrainResult> {
  const p = { epochs: 20, batch_size: 256, learning_rate: 0.01, seed: 42, ...opts.params };
  const { source } = opts;
  const width = source.width;
  const model = buildModel(tf, opts.model, opts.task, width, 2, p.seed);
  const initial = model.getWeights();
  // Parameters: the kernel's `width` weights, then the bias, then a slot that stays 0 (a
  // record's one-hot group with no column set points at it: bucketFiles.ts).
  const theta = new Float64Array(width + 2);
  theta.set(initial[0]!.dataSync());
  theta[width] = initial[1]!.dataSync()[0]!;
  const binary = opts.task === 'binary';
  const st = newSgdState(width, theta, binary, p.learning_rate, p.batch_size);
  const n = source.rows;
  const history: EpochReport[] = [];
  const best = new BestEpoch<Float64Array>(p.early_stopping?.patience);
  const setModel = (t: Float64Array) => {
    const k = tf.tensor2d(Float32Array.from(t.subarray(0, width)), [width, 1]);
    const b = tf.tensor1d([t[width]!]);
    model.setWeights([k, b]);
    k.dispose();
    b.dispose();
  };

  for (let epoch = 1; epoch <= p.epochs; epoch++) {
    const started = performance.now();
    st.total = 0;
    st.weight = 0;
    let done = 0;
    for await (const block of source.blocks(epoch, signal)) {
      const m = block.order.length;
      for (let start = 0; start < m; ) {
        if (signal?.aborted) throw cancelled();
        // Batches for about YIELD_MS, then progress messages and cancellation get through.
        const next = 'records' in block ? sgdRecords(st, block.records, block.order, start, performance.now() + YIELD_MS) : sgdRows(st, block, start, performance.now() + YIELD_MS);
        done += next - start;
        start = next;
        onRows?.(epoch, done, done / ((performance.now() - started) / 1000));
        await new Promise((r) => setImmediate(r));
      }
    }
    // The epoch's last, partial batch.
    if (st.count > 0) adamStep(st);
    const evalStarted = performance.now();
    const evalLoss = await source.evalLoss(theta, binary, signal);
    const evalSeconds = (performance.now() - evalStarted) / 1000;
    const seconds = (performance.now() - started) / 1000;
    const report: EpochReport = { epoch, epochs: p.epochs, loss: st.total / (st.weight || 1), evalLoss, evalSeconds, rowsPerSecond: n / seconds, etaSeconds: (p.epochs - epoch) * seconds };
    history.push(report);
    let verdict: void | 'stop' = undefined;
    if (onEpoch) {
      setModel(theta);
      verdict = onEpoch(report, model);
    }
    if (best.after(epoch, evalLoss, () => Float64Array.from(theta), verdict)) break;
    await new Promise((r) => setImmediate(r));
  }
  source.done?.();
  setModel(best.weights ?? theta);
  return { model, history, bestEpoch: best.epoch, stoppedEarly: best.stoppedEarly };
}

interface SgdState {
  width: number;
  theta: Float64Array;
  m1: Float64Array;
  m2: Float64Array;
  grad: Float64Array;
  accB1: number;
  accB2: number;
  binary: boolean;
  lr: number;
  batch: number;
  /** The batch in progress: its rows so far, their weight and loss. */
  count: number;
  bw: number;
  bl: number;
  /** The epoch's loss and weight so far. */
  total: number;
  weight: number;
}

function newSgdState(width: number, theta: Float64Array, binary: boolean, lr: number, batch: number): SgdState {
  const z = () => new Float64Array(width + 2);
  return { width, theta, m1: z(), m2: z(), grad: z(), accB1: BETA1, accB2: BETA2, binary, lr, batch, count: 0, bw: 0, bl: 0, total: 0, weight: 0 };
}

/**
 * Rows of a block from position `from` of its order, an Adam step whenever a batch is complete,
 * until `deadline` (ms, checked after each step) or the block's end; returns where it stopped.
 * A plain synchronous function over locals: V8 optimises it whole.
 */
function sgdRows(s: SgdState, block: { x: Float32Array; y: Float32Array; w?: Float32Array; order: Int32Array }, from: number, deadline: number): number {
  const { width, theta, grad, binary, batch } = s;
  const { x, y, w, order } = block;
  const m = order.length;
  let count = s.count;
  let bw = s.bw;
  let bl = s.bl;
  let bias = theta[width]!;
  let k = from;
  while (k < m) {
    const i = order[k++]!;
    const row = i * width;
    let z = bias;
    for (let j = 0; j < width; j++) z += x[row + j]! * theta[j]!;
    const wi = w === undefined ? 1 : w[i]!;
    const yi = y[i]!;
    let dz: number;
    if (binary) {
      const pr = 1 / (1 + Math.exp(-z));
      // The loss clips p to [EPS, 1 - EPS]; outside, its gradient is zero (as tfjs's clipByValue).
      const pc = pr < EPS ? EPS : pr > 1 - EPS ? 1 - EPS : pr;
      // One logarithm for a 0/1 label: the other term is exactly zero.
      bl -= wi * (yi === 1 ? Math.log(pc) : yi === 0 ? Math.log(1 - pc) : yi * Math.log(pc) + (1 - yi) * Math.log(1 - pc));
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
    if (++count === batch) {
      s.bw = bw;
      s.bl = bl;
      adamStep(s);
      count = 0;
      bw = 0;
      bl = 0;
      bias = theta[width]!;
      if (performance.now() >= deadline) break;
    }
  }
  s.count = count;
  s.bw = bw;
  s.bl = bl;
  return k;
}

/**
 * sgdRows over records: the dense inputs multiplied, each one-hot group one parameter added
 * (20 terms a row instead of 59 for bench:scale's rows). Every row weighs 1.
 */
function sgdRecords(s: SgdState, r: Records, order: Int32Array, from: number, deadline: number): number {
  const { width, theta, grad, binary, batch } = s;
  const { f32, i32 } = r;
  const { stride, denseCols } = r.layout;
  const D = denseCols.length;
  const G = r.layout.groups.length;
  const m = order.length;
  let count = s.count;
  let bw = s.bw;
  let bl = s.bl;
  let bias = theta[width]!;
  let k = from;
  while (k < m) {
    const at = order[k++]! * stride;
    const xs = at + 2;
    const cs = xs + D;
    let z = bias;
    for (let d = 0; d < D; d++) z += f32[xs + d]! * theta[denseCols[d]!]!;
    for (let g = 0; g < G; g++) z += theta[i32[cs + g]!]!;
    const yi = f32[at + 1]!;
    let dz: number;
    if (binary) {
      const pr = 1 / (1 + Math.exp(-z));
      const pc = pr < EPS ? EPS : pr > 1 - EPS ? 1 - EPS : pr;
      bl -= yi === 1 ? Math.log(pc) : yi === 0 ? Math.log(1 - pc) : yi * Math.log(pc) + (1 - yi) * Math.log(1 - pc);
      dz = pr > EPS && pr < 1 - EPS ? pr - yi : 0;
    } else {
      const d = z - yi;
      bl += d * d;
      dz = 2 * d;
    }
    if (dz !== 0) {
      for (let d = 0; d < D; d++) {
        const j = denseCols[d]!;
        grad[j] = grad[j]! + dz * f32[xs + d]!;
      }
      for (let g = 0; g < G; g++) {
        const j = i32[cs + g]!;
        grad[j] = grad[j]! + dz;
      }
      grad[width] = grad[width]! + dz;
    }
    bw += 1;
    if (++count === batch) {
      s.bw = bw;
      s.bl = bl;
      adamStep(s);
      count = 0;
      bw = 0;
      bl = 0;
      bias = theta[width]!;
      if (performance.now() >= deadline) break;
    }
  }
  s.count = count;
  s.bw = bw;
  s.bl = bl;
  return k;
}

/** One Adam step on the batch gathered in `s` (the mean gradient over its weight); resets the gradient. */
function adamStep(s: SgdState): void {
  const { width, theta, m1, m2, grad, lr } = s;
  const scale = s.bw > 0 ? 1 / s.bw : 0;
  const c1 = 1 - s.accB1;
  const c2 = 1 - s.accB2;
  for (let j = 0; j <= width; j++) {
    const g = grad[j]! * scale;
    m1[j] = BETA1 * m1[j]! + (1 - BETA1) * g;
    m2[j] = BETA2 * m2[j]! + (1 - BETA2) * g * g;
    theta[j] = theta[j]! - (lr * (m1[j]! / c1)) / (Math.sqrt(m2[j]! / c2) + ADAM_EPS);
    grad[j] = 0;
  }
  // The always-zero slot (records' "no column") gathers gradient that is never applied.
  grad[width + 1] = 0;
  s.accB1 *= BETA1;
  s.accB2 *= BETA2;
  s.total += s.bl;
  s.weight += s.bw;
  s.count = 0;
  s.bw = 0;
  s.bl = 0;
}

/** The weighted mean loss of the parameters over some rows (the eval loss). */
export function linearLoss(theta: Float64Array, data: TrainData, binary: boolean): number {
  const s = { total: 0, weight: 0 };
  addLinearLoss(s, theta, data, binary);
  return s.total / (s.weight || 1);
}

/** Adds the loss and weight of some rows to running sums (an eval split read in blocks sums as one). */
export function addLinearLoss(sums: { total: number; weight: number }, theta: Float64Array, data: TrainData, binary: boolean): void {
  const { x, y, w, width } = data;
  let total = sums.total;
  let weight = sums.weight;
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
  sums.total = total;
  sums.weight = weight;
}

/** addLinearLoss over records (the streamed eval split). */
export function addRecordsLoss(sums: { total: number; weight: number }, theta: Float64Array, r: Records, binary: boolean): void {
  const { f32, i32, rows } = r;
  const { stride, denseCols, width } = r.layout;
  const D = denseCols.length;
  const G = r.layout.groups.length;
  let total = sums.total;
  for (let i = 0, at = 0; i < rows; i++, at += stride) {
    const xs = at + 2;
    const cs = xs + D;
    let z = theta[width]!;
    for (let d = 0; d < D; d++) z += f32[xs + d]! * theta[denseCols[d]!]!;
    for (let g = 0; g < G; g++) z += theta[i32[cs + g]!] ?? 0;
    const yi = f32[at + 1]!;
    if (binary) {
      const pr = Math.fround(1 / (1 + Math.exp(-z)));
      const pc = pr < EPS ? EPS : pr > 1 - EPS ? 1 - EPS : pr;
      total -= yi * Math.log(pc) + (1 - yi) * Math.log(1 - pc);
    } else total += (z - yi) ** 2;
  }
  sums.total = total;
  sums.weight += rows;
}
