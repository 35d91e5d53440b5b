/**
 * The forward pass of a Sequential model made only of Dense layers (and Dropout, the identity at
 * inference), in plain JavaScript from the saved layers-format weights. tfjs spends tens of
 * microseconds of dispatch per op on every call, which dominates a single-row online request;
 * this is a few microseconds for the demo DNN. Each row is computed on its own (no batch-size
 * effects), so a row scores the same online, in a batch of a million, or alone.
 */

export type DenseActivation = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax';

export interface DenseLayer {
  inputs: number;
  units: number;
  /** Row-major [inputs, units], as Keras stores it. */
  kernel: Float32Array;
  bias?: Float32Array;
  activation: DenseActivation;
}

/**
 * A layer ready to run: its kernel transposed to [units, inputs], so each unit is one contiguous
 * dot product, and widened to float64 (exactly: every float32 is a float64), so the inner loop
 * does not convert each weight it reads.
 */
interface Prepared extends DenseLayer {
  kt: Float64Array;
  bias64?: Float64Array;
}

function prepare(layer: DenseLayer): Prepared {
  const { inputs, units, kernel } = layer;
  const kt = new Float64Array(kernel.length);
  for (let i = 0; i < inputs; i++) for (let j = 0; j < units; j++) kt[j * inputs + i] = kernel[i * units + j]!;
  return { ...layer, kt, ...(layer.bias ? { bias64: Float64Array.from(layer.bias) } : {}) };
}

export interface DenseNet {
  inputs: number;
  outputs: number;
  layers: DenseLayer[];
  /** rows × inputs → rows × outputs, row-major float32. */
  forward(x: Float32Array): Float32Array;
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype?: string;
}

interface LayerJson {
  class_name: string;
  config: { name?: string; units?: number; activation?: string; use_bias?: boolean; batch_input_shape?: (number | null)[] };
}

interface Topology {
  class_name?: string;
  config?: { layers?: LayerJson[] } | LayerJson[];
  model_config?: Topology;
}

const ACTIVATIONS = new Set<string>(['linear', 'relu', 'sigmoid', 'tanh', 'softmax']);

/**
 * The model as a DenseNet, or undefined when its topology is anything else (then tfjs scores it).
 * `modelJson` is the saved model.json text, `weights` the bytes of weights.bin.
 */
export function compileDenseNet(modelJson: string, weights: Uint8Array): DenseNet | undefined {
  const m = JSON.parse(modelJson) as { modelTopology?: Topology; weightsManifest?: { weights: WeightSpec[] }[] };
  let topo = m.modelTopology;
  if (topo?.model_config) topo = topo.model_config; // Keras' wrapped form
  if (topo?.class_name !== 'Sequential') return undefined;
  const layersJson = Array.isArray(topo.config) ? topo.config : topo.config?.layers;
  if (!layersJson || layersJson.length === 0) return undefined;
  const specs = (m.weightsManifest ?? []).flatMap((g) => g.weights);
  if (specs.some((s) => (s.dtype ?? 'float32') !== 'float32')) return undefined;

  // Weights are concatenated in manifest order; index them by name.
  const byName = new Map<string, Float32Array>();
  let offset = 0;
  const bytes = new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength);
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (offset + 4 * n > bytes.byteLength) return undefined;
    // Copy: the bytes need not be 4-aligned, and the net must outlive the caller's buffer.
    byName.set(s.name, new Float32Array(bytes.slice(offset, offset + 4 * n).buffer));
    offset += 4 * n;
  }

  const layers: DenseLayer[] = [];
  let width: number | undefined;
  for (const l of layersJson) {
    if (l.class_name === 'Dropout') continue;
    if (l.class_name !== 'Dense') return undefined;
    const { name, units, activation = 'linear', use_bias = true, batch_input_shape } = l.config;
    if (!name || !units || !ACTIVATIONS.has(activation)) return undefined;
    const kernel = byName.get(`${name}/kernel`);
    const bias = use_bias ? byName.get(`${name}/bias`) : undefined;
    const inputs = width ?? batch_input_shape?.[batch_input_shape.length - 1] ?? (kernel ? kernel.length / units : undefined);
    if (!kernel || !inputs || kernel.length !== inputs * units || (use_bias && bias?.length !== units)) return undefined;
    layers.push({ inputs, units, kernel, ...(bias ? { bias } : {}), activation: activation as DenseActivation });
    width = units;
  }
  if (layers.length === 0) return undefined;
  return denseNet(layers);
}

export function denseNet(layers: DenseLayer[]): DenseNet {
  const inputs = layers[0]!.inputs;
  const outputs = layers[layers.length - 1]!.units;
  const widest = Math.max(...layers.map((l) => Math.max(l.inputs, l.units)));
  // Scratch rows, allocated once: forward() is synchronous, so calls never overlap.
  const scratchA = new Float32Array(widest);
  const scratchB = new Float32Array(widest);
  const acc = new Float64Array(widest);
  const terms: Terms = { at: new Int32Array(widest), value: new Float64Array(widest) };
  const prepared = layers.map(prepare);
  return {
    inputs,
    outputs,
    layers,
    forward(x) {
      const rows = x.length / inputs;
      if (!Number.isInteger(rows)) throw new Error(`denseForward: ${x.length} values is not a whole number of rows of ${inputs}`);
      const out = new Float32Array(rows * outputs);
      // Values are rounded to float32 between layers, as tfjs stores them. The first layer reads
      // its row in place: no per-row views or copies, which cost more than a small net's maths.
      for (let r = 0; r < rows; r++) {
        // Zero inputs (one-hot columns, relu outputs) are skipped: the sums add the other terms
        // in the same order, so they are the same float64 numbers, except that a skipped 0·w
        // cannot turn a -0 sum into +0. That can only show in an output that is exactly zero,
        // so such a row is computed again with every term.
        for (let pass = 0; pass < 2; pass++) {
          let src = x;
          let at = r * inputs;
          let dst = scratchA;
          for (let l = 0; l < prepared.length; l++) {
            applyDense(prepared[l]!, src, at, acc, dst, terms, pass === 0);
            src = dst;
            at = 0;
            dst = dst === scratchA ? scratchB : scratchA;
          }
          let zero = false;
          for (let j = 0; j < outputs; j++) {
            const v = src[j]!;
            out[r * outputs + j] = v;
            if (v === 0) zero = true;
          }
          if (!zero) break;
        }
      }
      return out;
    },
  };
}

/** Scratch for the terms of a row's sums: their input positions and values. */
interface Terms {
  at: Int32Array;
  value: Float64Array;
}

/**
 * out[0..units) = activation(x[at..at+inputs) · kernel + bias) for one row. With `skipZeros`,
 * the sums leave out the zero inputs (see forward()); the other terms keep their order.
 */
function applyDense(layer: Prepared, x: Float32Array, at: number, acc: Float64Array, out: Float32Array, terms: Terms, skipZeros: boolean): void {
  const { inputs, units, bias64: bias, kt } = layer;
  const { at: idx, value } = terms;
  let n = 0;
  for (let i = 0; i < inputs; i++) {
    const v = x[at + i]!;
    if (v !== 0 || !skipZeros) {
      idx[n] = i;
      value[n++] = v;
    }
  }
  // One dot product per unit over a contiguous kernel column, four units at a time: each unit's
  // sum still adds its terms in the same order (so the same float64 result), but four
  // independent sums keep the CPU busy where one would wait on each addition.
  let j = 0;
  for (; j + 4 <= units; j += 4) {
    let s0 = bias ? bias[j]! : 0;
    let s1 = bias ? bias[j + 1]! : 0;
    let s2 = bias ? bias[j + 2]! : 0;
    let s3 = bias ? bias[j + 3]! : 0;
    const c0 = j * inputs;
    const c1 = c0 + inputs;
    const c2 = c1 + inputs;
    const c3 = c2 + inputs;
    for (let k = 0; k < n; k++) {
      const i = idx[k]!;
      const xi = value[k]!;
      s0 += xi * kt[c0 + i]!;
      s1 += xi * kt[c1 + i]!;
      s2 += xi * kt[c2 + i]!;
      s3 += xi * kt[c3 + i]!;
    }
    acc[j] = s0;
    acc[j + 1] = s1;
    acc[j + 2] = s2;
    acc[j + 3] = s3;
  }
  for (; j < units; j++) {
    let sum = bias ? bias[j]! : 0;
    const col = j * inputs;
    for (let k = 0; k < n; k++) sum += value[k]! * kt[col + idx[k]!]!;
    acc[j] = sum;
  }
  activate(layer, acc, out);
}

/** out[j] = activation(acc[j]), rounded to float32. */
function activate(layer: Prepared, acc: Float64Array, out: Float32Array): void {
  const units = layer.units;
  switch (layer.activation) {
    case 'linear':
      for (let j = 0; j < units; j++) out[j] = acc[j]!;
      break;
    case 'relu':
      for (let j = 0; j < units; j++) out[j] = acc[j]! > 0 ? acc[j]! : 0;
      break;
    case 'sigmoid':
      for (let j = 0; j < units; j++) out[j] = 1 / (1 + Math.exp(-Math.fround(acc[j]!)));
      break;
    case 'tanh':
      for (let j = 0; j < units; j++) out[j] = Math.tanh(Math.fround(acc[j]!));
      break;
    case 'softmax': {
      let max = -Infinity;
      for (let j = 0; j < units; j++) max = Math.max(max, Math.fround(acc[j]!));
      let sum = 0;
      for (let j = 0; j < units; j++) {
        acc[j] = Math.exp(Math.fround(acc[j]!) - max);
        sum += acc[j]!;
      }
      for (let j = 0; j < units; j++) out[j] = acc[j]! / sum;
      break;
    }
  }
}
