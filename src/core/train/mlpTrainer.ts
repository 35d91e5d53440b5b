/**
 * The DNN training loop (dense ReLU layers, no dropout) with its passes written out. In wasm:
 * the hidden layers' matMuls forward and their weight and input gradients backward (about 15
 * tfjs calls a batch for two hidden layers). In typed arrays: the last hidden layer's ReLU, the
 * output layer, the loss and its gradient with respect to the logits (sigmoid/softmax and
 * cross-entropy fused: p - y), and Adam over the ~2.5k weights. Through layers.apply, autodiff
 * and tf.train.adam the same step took about 120 tfjs ops a batch, whose dispatch cost about as
 * much as the arithmetic. Batches are gathered from packed rows (see Packed).
 *
 * The same semantics as the generic loop (trainer.ts): the same initial weights (buildModel),
 * the weighted loss sum(w·loss)/sum(w), Adam with tfjs's defaults, the seeded shuffle, the best
 * weights on the eval loss, early stopping. The model is a tfjs layers model as before.
 */
import type * as TF from '@tensorflow/tfjs';
import { cancelled } from '../errors';
import { BestEpoch } from './bestEpoch';
import { epochOrderOf } from './linearTrainer';
import { buildModel, type ModelSpec, type Task } from './model';
import type { EpochLayout, EpochReport, TrainData, TrainParams, TrainResult } from './trainTypes';

const EPS = 1e-7;
/** tf.train.adam's defaults (epsilon is the float32 backends' epsilon()). */
const BETA1 = 0.9;
const BETA2 = 0.999;
const ADAM_EPSILON = 1e-7;
/** Rows per forward pass of the eval loss. */
const EVAL_CHUNK = 16_384;
/** Longest run of batches without letting progress messages and an abort through. */
const YIELD_MS = 50;

/**
 * A float32 tensor's values where they lie: a view of tfjs-wasm's heap (valid until the next
 * tfjs call: use it at once), else a copy. dataSync copies into a fresh buffer each time, ~400 KB
 * a batch here: the copies and their garbage collection showed in the profile.
 */
function read(tf: typeof TF, t: TF.Tensor): Float32Array {
  const backend = tf.backend() as unknown as { dataIdMap?: { get(id: object): { memoryOffset?: number } | undefined }; wasm?: { HEAPF32?: Float32Array } };
  const offset = backend.dataIdMap?.get(t.dataId)?.memoryOffset;
  const heap = backend.wasm?.HEAPF32;
  if (t.dtype === 'float32' && heap && typeof offset === 'number' && offset % 4 === 0) return heap.subarray(offset / 4, offset / 4 + t.size);
  return t.dataSync() as Float32Array;
}

export function isPlainMlp(spec: ModelSpec): boolean {
  return spec.type === 'dnn' && !(spec.dropout && spec.dropout > 0);
}

interface Layer {
  inputs: number;
  units: number;
  /** Row-major [inputs, units], as the tfjs Dense kernel. */
  w: Float32Array;
  b: Float32Array;
}

/** Adam's moments for one weight array, updated in place as tf.train.adam does. */
class AdamSlot {
  m: Float64Array;
  v: Float64Array;
  constructor(size: number) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }
  apply(value: Float32Array, grad: Float32Array, lr: number, c1: number, c2: number): void {
    const { m, v } = this;
    for (let i = 0; i < value.length; i++) {
      const g = grad[i]!;
      const mi = BETA1 * m[i]! + (1 - BETA1) * g;
      const vi = BETA2 * v[i]! + (1 - BETA2) * g * g;
      m[i] = mi;
      v[i] = vi;
      value[i] = value[i]! - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + ADAM_EPSILON);
    }
  }
}

/**
 * Per-row loss (summed with the weights) and, when dz is given, its gradient with respect to the
 * logits scaled by w/sum(w): binary cross-entropy on a sigmoid, softmax cross-entropy, squared
 * error. The loss clips probabilities to [1e-7, 1 - 1e-7] as weightedLoss does; the gradient is
 * the exact p - y (clipping would zero it on confident rows).
 */
function outputLoss(task: Task, outputs: number, z: Float32Array | Float64Array, y: Float32Array, w: Float32Array | undefined, rowOffset: number, n: number, dz?: Float32Array, totalWeight = 1): number {
  let sum = 0;
  if (task === 'multiclass') {
    for (let i = 0; i < n; i++) {
      const wi = w ? w[rowOffset + i]! : 1;
      const yi = y[rowOffset + i]!;
      let max = -Infinity;
      for (let k = 0; k < outputs; k++) max = Math.max(max, z[i * outputs + k]!);
      let denom = 0;
      for (let k = 0; k < outputs; k++) denom += Math.exp(z[i * outputs + k]! - max);
      const py = Math.exp(z[i * outputs + yi]! - max) / denom;
      sum -= wi * Math.log(Math.min(1, Math.max(EPS, py)));
      if (dz) {
        const scale = wi / totalWeight;
        for (let k = 0; k < outputs; k++) dz[i * outputs + k] = scale * (Math.exp(z[i * outputs + k]! - max) / denom - (k === yi ? 1 : 0));
      }
    }
  } else if (task === 'binary') {
    for (let i = 0; i < n; i++) {
      const wi = w ? w[rowOffset + i]! : 1;
      const yi = y[rowOffset + i]!;
      const p = 1 / (1 + Math.exp(-z[i]!));
      const q = Math.min(1 - EPS, Math.max(EPS, p));
      // One logarithm for a 0/1 label (the other term is 0).
      sum -= wi * ((yi !== 0 ? yi * Math.log(q) : 0) + (yi !== 1 ? (1 - yi) * Math.log(1 - q) : 0));
      if (dz) dz[i] = (wi / totalWeight) * (p - yi);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const wi = w ? w[rowOffset + i]! : 1;
      const r = z[i]! - y[rowOffset + i]!;
      sum += wi * r * r;
      if (dz) dz[i] = (wi / totalWeight) * 2 * r;
    }
  }
  return sum;
}

export async function trainMlp(
  tf: typeof TF,
  opts: { task: Task; classes?: number; model: ModelSpec; params?: TrainParams; train: TrainData; eval: TrainData; layout?: EpochLayout },
  onEpoch?: (r: EpochReport, model: TF.LayersModel) => void | 'stop',
  signal?: AbortSignal,
): Promise<TrainResult> {
  const p = { epochs: 20, batch_size: 256, learning_rate: 0.01, seed: 42, ...opts.params };
  const classes = opts.classes ?? 2;
  const task = opts.task;
  const width = opts.train.width;
  const outputs = task === 'multiclass' ? classes : 1;
  // The initial weights of the generic loop: the same seeded initializers.
  const model = buildModel(tf, opts.model, task, width, classes, p.seed);
  const initial = model.getWeights(); // the variables themselves: read, not disposed
  const layers: Layer[] = [];
  for (let i = 0; i < initial.length; i += 2) {
    const [inputs, units] = initial[i]!.shape as [number, number];
    layers.push({ inputs, units, w: initial[i]!.dataSync() as Float32Array, b: initial[i + 1]!.dataSync() as Float32Array });
  }
  const slots = layers.flatMap((l) => [new AdamSlot(l.w.length), new AdamSlot(l.b.length)]);
  const n = opts.train.y.length;
  const orders = epochOrderOf(n, p.seed, opts.layout);
  const order = new Int32Array(n);
  const batch = Math.min(n, p.batch_size);
  const packed = pack(opts.train);
  // The batch's inputs with a column of ones (the first layer's bias rides in its matMul), as
  // rows (the forward pass) and transposed (the first layer's weight gradient, Xᵀ·D).
  const w1 = width + 1;
  const batchX = new Float32Array(batch * w1);
  const batchXT = new Float32Array(w1 * batch);
  const batchY = new Float32Array(batch);
  const batchW = opts.train.w ? new Float32Array(batch) : undefined;
  // The last hidden layer's activation and the output layer run in JavaScript: a 16 × 1 matMul
  // costs more to dispatch to wasm than to do.
  const hiddenCount = layers.length - 1;
  const lastHidden = layers[hiddenCount - 1]!;
  const output = layers[hiddenCount]!;
  const units = lastHidden.units;
  const aLast = new Float32Array(batch * units);
  const dLast = new Float32Array(batch * units);
  const below = hiddenCount > 1 ? layers[hiddenCount - 2]!.units : 0;
  const belowT = new Float32Array(below * batch);
  const z = new Float64Array(batch * outputs);
  const dz = new Float32Array(batch * outputs);
  const grads = layers.map((l) => ({ w: new Float32Array(l.w.length), b: new Float32Array(l.b.length) }));
  const acc = new Float64Array(units * outputs + outputs + units);
  // With one hidden layer its bias rides in the first matMul (the column of ones).
  const noBias = new Float32Array(units);
  // The first layer's kernel with its bias as one more input row: [width+1 × units].
  const first = layers[0]!;
  const w1Bias = new Float32Array(w1 * first.units);
  let adamStep = 0;

  /**
   * One Adam step on the rows in the batch buffers; returns sum(w·loss) and sum(w). Activations
   * stay in row layout, so the forward matMuls' second operand is a small kernel (XNNPACK packs
   * the second operand on every call); no matMul of the two-hidden-layer path has a transposed
   * operand (tfjs-wasm multiplies those in a slow generic loop): Xᵀ and the hidden Aᵀ are
   * written in JavaScript instead.
   */
  const step = (rows: number): [number, number] => {
    let totalWeight = rows;
    if (batchW) {
      totalWeight = 0;
      for (let i = 0; i < rows; i++) totalWeight += batchW[i]!;
    }
    let lossSum = 0;
    w1Bias.set(first.w);
    w1Bias.set(first.b, width * first.units);
    tf.tidy(() => {
      // Forward: the hidden layers' activations [rows × units], the last one's pre-activation to JavaScript.
      const acts: TF.Tensor2D[] = [];
      let h = tf.matMul(tf.tensor2d(batchX.subarray(0, rows * w1), [rows, w1]), tf.tensor2d(w1Bias, [w1, first.units]));
      for (let l = 1; l < hiddenCount; l++) {
        const a = tf.relu(h) as TF.Tensor2D;
        acts.push(a);
        h = tf.matMul(a, tf.tensor2d(layers[l]!.w, [layers[l]!.inputs, layers[l]!.units]));
        if (l < hiddenCount - 1) h = tf.add(h, tf.tensor1d(layers[l]!.b));
      }
      headForward(read(tf, h), hiddenCount > 1 ? lastHidden.b : noBias, rows, units, aLast, output.w, output.b, outputs, z);
      lossSum = outputLoss(task, outputs, z, batchY, batchW, 0, rows, dz, totalWeight || 1);
      outputBackward(aLast, dz, rows, units, output.w, outputs, grads[hiddenCount]!, dLast, grads[hiddenCount - 1]!.b, acc);
      // Backward through the hidden layers in wasm.
      let d: TF.Tensor2D = tf.tensor2d(dLast.subarray(0, rows * units), [rows, units]);
      for (let l = hiddenCount - 1; l >= 1; l--) {
        const a = acts[l - 1]!;
        const layer = layers[l]!;
        if (l === hiddenCount - 1) {
          // The last hidden layer's weight gradient: Aᵀ transposed here, as the first layer's Xᵀ.
          transposeInto(read(tf, a), rows, layer.inputs, belowT);
          grads[l]!.w.set(read(tf, tf.matMul(tf.tensor2d(belowT.subarray(0, layer.inputs * rows), [layer.inputs, rows]), d)));
        } else {
          // Middle layers (three or more hidden): tfjs's transposed products, slower but rare.
          grads[l]!.w.set(tf.matMul(a, d, true, false).dataSync());
          grads[l]!.b.set(tf.sum(d, 0).dataSync());
        }
        // Through the ReLU: its derivative is 1 where the activation is positive, else 0 (as tfjs's).
        d = tf.mul(tf.matMul(d, tf.tensor2d(transposed(layer), [layer.units, layer.inputs])), tf.step(a));
      }
      // The first layer: [width+1 × units], its last row the bias gradient.
      const g1 = read(tf, tf.matMul(tf.tensor2d(batchXT.subarray(0, w1 * rows), [w1, rows]), d));
      grads[0]!.w.set(g1.subarray(0, width * first.units));
      grads[0]!.b.set(g1.subarray(width * first.units));
    });
    adamStep++;
    const c1 = 1 - BETA1 ** adamStep;
    const c2 = 1 - BETA2 ** adamStep;
    layers.forEach((l, i) => {
      slots[2 * i]!.apply(l.w, grads[i]!.w, p.learning_rate, c1, c2);
      slots[2 * i + 1]!.apply(l.b, grads[i]!.b, p.learning_rate, c1, c2);
    });
    return [lossSum, totalWeight];
  };

  /** The forward pass over rows of x in row layout (the eval loss), returning the logits. */
  const forward = (x: TF.Tensor2D, ws: TF.Tensor2D[], bs: TF.Tensor1D[]): TF.Tensor2D => {
    let a = x;
    for (let l = 0; l < layers.length; l++) a = tf.fused.matMul({ a, b: ws[l]!, bias: bs[l]!, activation: l === layers.length - 1 ? 'linear' : 'relu' }) as TF.Tensor2D;
    return a;
  };
  const weightTensors = () => ({ ws: layers.map((l) => tf.tensor2d(l.w, [l.inputs, l.units])), bs: layers.map((l) => tf.tensor1d(l.b)) });

  const evalRows = opts.eval.y.length;
  const evalLossOf = (): number => {
    let sum = 0;
    const weights = tf.tidy(() => weightTensors());
    try {
      for (let start = 0; start < evalRows; start += EVAL_CHUNK) {
        const end = Math.min(evalRows, start + EVAL_CHUNK);
        tf.tidy(() => {
          const z = forward(tf.tensor2d(opts.eval.x.subarray(start * width, end * width), [end - start, width]), weights.ws, weights.bs);
          sum += outputLoss(task, outputs, read(tf, z), opts.eval.y, opts.eval.w, start, end - start);
        });
      }
    } finally {
      tf.dispose([...weights.ws, ...weights.bs]);
    }
    let total = evalRows;
    if (opts.eval.w) {
      total = 0;
      for (let i = 0; i < evalRows; i++) total += opts.eval.w[i]!;
    }
    return sum / (total || 1);
  };
  const setModelWeights = (from: Layer[]) => {
    const tensors = tf.tidy(() => from.flatMap((l) => [tf.tensor2d(l.w, [l.inputs, l.units]), tf.tensor1d(l.b)]));
    model.setWeights(tensors);
    tf.dispose(tensors);
  };
  const copy = (from: Layer[]): Layer[] => from.map((l) => ({ ...l, w: l.w.slice(), b: l.b.slice() }));

  const history: EpochReport[] = [];
  const best = new BestEpoch<Layer[]>(p.early_stopping?.patience);
  for (let epoch = 1; epoch <= p.epochs; epoch++) {
    const started = performance.now();
    // The seeded order of epochOrder.ts, as the generic loop visits the rows.
    orders.permutation(epoch, order);
    let total = 0;
    let weight = 0;
    let yielded = performance.now();
    // The gather's early reads' sum, kept so the compiler cannot drop them.
    let sink = 0;
    for (let start = 0; start < n; start += p.batch_size) {
      if (signal?.aborted) throw cancelled();
      const rows = Math.min(n, start + p.batch_size) - start;
      sink += gather(packed, order, start, rows, batchX, batchXT, batchY, batchW);
      const [l, w] = step(rows);
      total += l;
      weight += w;
      // Let progress messages and cancellation through now and then, not after every batch.
      if (performance.now() - yielded > YIELD_MS) {
        await new Promise((r) => setImmediate(r));
        yielded = performance.now();
      }
    }
    if (Number.isNaN(sink)) sink = 0;
    const evalStarted = performance.now();
    const evalLoss = evalLossOf();
    const evalSeconds = (performance.now() - evalStarted) / 1000;
    const seconds = (performance.now() - started) / 1000;
    const report = { epoch, epochs: p.epochs, loss: total / (weight || 1), evalLoss, evalSeconds, rowsPerSecond: n / seconds, etaSeconds: (p.epochs - epoch) * seconds };
    history.push(report);
    setModelWeights(layers);
    const verdict = onEpoch?.(report, model);
    if (best.after(epoch, evalLoss, () => copy(layers), verdict)) break;
    await new Promise((r) => setImmediate(r));
  }
  if (best.weights) setModelWeights(best.weights);
  return { model, history, bestEpoch: best.epoch, stoppedEarly: best.stoppedEarly };
}

/**
 * The training rows packed for the shuffled gather, which waits on memory, not arithmetic: a
 * 59-input row of floats spans four cache lines and its label a fifth. Packed, a row holds its
 * non-0/1 inputs as floats, its 0/1 inputs (one-hot levels, flags) as bits, then its label and
 * weight: 20 words for the benchmark's 16 numeric and 43 one-hot inputs. Expanding it gives the
 * same floats, so training is unchanged to the bit.
 */
export interface Packed {
  width: number;
  stride: number;
  /** Input positions of the float fields, then of the bits (bit b of word k is binary[32k + b]). */
  dense: Uint32Array;
  binary: Uint32Array;
  words: number;
  weighted: boolean;
  f: Float32Array;
  u: Int32Array;
}

export function pack(data: TrainData): Packed {
  const { width, x } = data;
  const n = data.y.length;
  // The bits of the floats: +0 and 1 compare as integers (-0 is not 0 here: its bits must come back).
  const xi = new Int32Array(x.buffer, x.byteOffset, x.length);
  const ONE = 0x3f800000;
  // The 0/1 columns are guessed from the first row and the packing starts over without a
  // column that proves otherwise (rare: one-hot and flag columns hold only 0 and 1).
  let binaryGuess = [...Array(width).keys()].filter((j) => n > 0 && (xi[j] === 0 || xi[j] === ONE));
  for (;;) {
    const binary = Uint32Array.from(binaryGuess);
    const dense = Uint32Array.from([...Array(width).keys()].filter((j) => !binaryGuess.includes(j)));
    const words = Math.ceil(binary.length / 32);
    const weighted = data.w !== undefined;
    const stride = dense.length + words + 1 + (weighted ? 1 : 0);
    const f = new Float32Array(n * stride);
    // Int32, not Uint32: a word with bit 31 set would leave the small-integer fast path.
    const u = new Int32Array(f.buffer);
    const failed = packRows(data, xi, dense, binary, words, stride, f, u);
    if (failed < 0) return { width, stride, dense, binary, words, weighted, f, u };
    binaryGuess = binaryGuess.filter((j) => j !== failed);
  }
}

/** Fills the packed rows; returns -1, or the first guessed 0/1 column holding another value. */
function packRows(data: TrainData, xi: Int32Array, dense: Uint32Array, binary: Uint32Array, words: number, stride: number, f: Float32Array, u: Int32Array): number {
  const { width, x, y, w } = data;
  const n = y.length;
  const nd = dense.length;
  const nb = binary.length;
  for (let i = 0; i < n; i++) {
    const row = i * stride;
    const from = i * width;
    for (let d = 0; d < nd; d++) f[row + d] = x[from + dense[d]!]!;
    let word = 0;
    for (let b = 0; b < nb; b++) {
      const v = xi[from + binary[b]!]!;
      if (v === 0x3f800000) word |= 1 << (b & 31);
      else if (v !== 0) return binary[b]!;
      if ((b & 31) === 31 || b === nb - 1) {
        u[row + nd + (b >>> 5)] = word;
        word = 0;
      }
    }
    f[row + nd + words] = y[i]!;
    if (w) f[row + nd + words + 1] = w[i]!;
  }
  return -1;
}

/**
 * The rows order[start..start+rows) expanded into the batch, as rows (x) and transposed (xT),
 * with a 1 after each row (the first layer's bias input). Writing the transpose here touches
 * only the nonzero inputs (a one-hot row has few); transposing the batch after costs more.
 */
export function gather(p: Packed, order: Int32Array, start: number, rows: number, x: Float32Array, xT: Float32Array, y: Float32Array, w: Float32Array | undefined): number {
  const { width, stride, dense, binary, words, f, u } = p;
  const w1 = width + 1;
  const nd = dense.length;
  x.fill(0, 0, rows * w1);
  xT.fill(0, 0, width * rows);
  xT.fill(1, width * rows, w1 * rows);
  // First touch every row's first and last word in a tight loop: the loads are independent, so
  // the CPU keeps many cache misses in flight; the expansion below then reads from cache.
  let ahead = 0;
  for (let k = 0; k < rows; k++) {
    const row = order[start + k]! * stride;
    ahead += f[row]! + f[row + stride - 1]!;
  }
  for (let k = 0; k < rows; k++) {
    const row = order[start + k]! * stride;
    const to = k * w1;
    for (let d = 0; d < nd; d++) {
      const v = f[row + d]!;
      x[to + dense[d]!] = v;
      xT[dense[d]! * rows + k] = v;
    }
    for (let wd = 0; wd < words; wd++) {
      let bits = u[row + nd + wd]!;
      while (bits !== 0) {
        const low = bits & -bits;
        const j = binary[wd * 32 + 31 - Math.clz32(low)]!;
        x[to + j] = 1;
        xT[j * rows + k] = 1;
        bits ^= low;
      }
    }
    x[to + width] = 1;
    y[k] = f[row + nd + words]!;
    if (w) w[k] = f[row + nd + words + 1]!;
  }
  return ahead;
}

/** dst [cols × rows] = src [rows × cols]ᵀ, in blocks of 16 rows so each write fills a cache line. */
function transposeInto(src: Float32Array, rows: number, cols: number, dst: Float32Array): void {
  for (let r0 = 0; r0 < rows; r0 += 16) {
    const r1 = Math.min(rows, r0 + 16);
    for (let c = 0; c < cols; c++) {
      const base = c * rows;
      for (let r = r0; r < r1; r++) dst[base + r] = src[r * cols + c]!;
    }
  }
}

/** A kernel [inputs × units] transposed to [units × inputs]. */
function transposed(l: Layer): Float32Array {
  const out = new Float32Array(l.units * l.inputs);
  transposeInto(l.w, l.inputs, l.units, out);
  return out;
}

/** The last hidden layer's activation a = relu(pre + bias) [rows × units] and the output layer's z = a · w + b [rows × outputs], in one pass. */
function headForward(pre: Float32Array, bias: Float32Array, rows: number, units: number, a: Float32Array, w: Float32Array, b: Float32Array, outputs: number, z: Float64Array): void {
  if (outputs === 1) {
    // The common case (binary, regression) without the loops over outputs.
    const b0 = b[0]!;
    for (let i = 0; i < rows; i++) {
      const at = i * units;
      let zi = b0;
      for (let k = 0; k < units; k++) {
        const p = Math.fround(pre[at + k]! + bias[k]!);
        const v = (p + Math.abs(p)) * 0.5;
        a[at + k] = v;
        zi += v * w[k]!;
      }
      z[i] = zi;
    }
    return;
  }
  for (let i = 0; i < rows; i++) {
    const at = i * units;
    for (let o = 0; o < outputs; o++) z[i * outputs + o] = b[o]!;
    for (let k = 0; k < units; k++) {
      const p = Math.fround(pre[at + k]! + bias[k]!);
      // relu without a branch (the sign is a coin flip, and mispredictions cost 3x here); exact.
      const v = (p + Math.abs(p)) * 0.5;
      a[at + k] = v;
      for (let o = 0; o < outputs; o++) z[i * outputs + o]! += v * w[k * outputs + o]!;
    }
  }
}

/**
 * The output layer's gradients (w: aᵀ·dz, b: Σ dz), the gradient into the last hidden layer
 * through its ReLU (dLast), and that layer's bias gradient; sums in acc (float64).
 */
function outputBackward(a: Float32Array, dz: Float32Array, rows: number, units: number, w: Float32Array, outputs: number, g: { w: Float32Array; b: Float32Array }, dLast: Float32Array, gbLast: Float32Array, acc: Float64Array): void {
  const bits = new Int32Array(a.buffer, a.byteOffset, a.length);
  // acc: [0, units·outputs) output weights, then outputs biases, then units last-layer biases.
  const ob = units * outputs;
  const lb = ob + outputs;
  acc.fill(0);
  if (outputs === 1) {
    for (let i = 0; i < rows; i++) {
      const at = i * units;
      const d = dz[i]!;
      acc[ob]! += d;
      for (let k = 0; k < units; k++) {
        const bk = bits[at + k]!;
        acc[k]! += a[at + k]! * d;
        const s = w[k]! * d * ((bk | -bk) >>> 31);
        dLast[at + k] = s;
        acc[lb + k]! += Math.fround(s);
      }
    }
  } else {
    for (let i = 0; i < rows; i++) {
      const at = i * units;
      for (let o = 0; o < outputs; o++) acc[ob + o]! += dz[i * outputs + o]!;
      for (let k = 0; k < units; k++) {
        const ak = a[at + k]!;
        let s = 0;
        for (let o = 0; o < outputs; o++) {
          const d = dz[i * outputs + o]!;
          acc[k * outputs + o]! += ak * d;
          s += w[k * outputs + o]! * d;
        }
        // Through the ReLU: its derivative is 1 where the activation is positive, else 0 (as tfjs's);
        // a ≥ 0, so a > 0 is a nonzero bit pattern: (b | -b) >>> 31, without a branch.
        const bk = bits[at + k]!;
        s *= (bk | -bk) >>> 31;
        dLast[at + k] = s;
        acc[lb + k]! += Math.fround(s);
      }
    }
  }
  for (let j = 0; j < ob; j++) g.w[j] = acc[j]!;
  for (let o = 0; o < outputs; o++) g.b[o] = acc[ob + o]!;
  for (let k = 0; k < units; k++) gbLast[k] = acc[lb + k]!;
}
