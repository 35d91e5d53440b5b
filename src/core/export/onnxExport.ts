/**
 * One ONNX graph for a registered version: its fitted transforms (transform.json) as ONNX ops,
 * then its Dense network. Each column is one graph input [N,1] named as the column (float32 for
 * numbers, string for categories), so any onnxruntime scores raw rows exactly as ProdML does,
 * with no transform code of its own to drift from ours.
 *
 * Transforms mirror features/apply.ts operation by operation, missing values included: numeric
 * transforms run in float64 and are cast to float32 once, as apply.ts fills a Float32Array. A
 * number is missing when NaN or infinite (apply.ts's toNumber: null); a category when it is the
 * empty string (toCategory: null).
 */
import fs from 'node:fs/promises';
import { badInput } from '../errors';
import type { FittedFeature, FittedTransforms } from '../features/spec';
import type { ModelVersion } from '../registry/types';
import { compileDenseNet, type DenseLayer } from '../serve/denseForward';
import { DT, GraphBuilder, ML_DOMAIN } from './onnxGraph';

/** The graph's one output: P(class 1) [N,1] for binary, class probabilities [N,K] for multiclass, the value [N,1] for regression. */
export const ONNX_OUTPUT = 'prediction';
/** Multiclass only: the most probable class name [N]. */
export const ONNX_LABEL = 'label';

export interface OnnxInput {
  name: string;
  type: 'float32' | 'string';
}

export interface OnnxExport {
  bytes: Uint8Array;
  inputs: OnnxInput[];
  output: string;
  task: string;
  classes?: string[];
}

/** Builds the ONNX model of a registered version; a transform ONNX cannot express is a bad-input error naming it. */
export async function buildOnnx(version: ModelVersion): Promise<OnnxExport> {
  const where = `${version.model}:${version.version}`;
  const task = version.card.task;
  if (task !== 'binary' && task !== 'multiclass' && task !== 'regression') throw badInput(version.dir, `card.json names no task a ProdML network has (${JSON.stringify(task)}); cannot export ${where}`);
  // A version imported from ONNX (or damaged) has no tfjs network to translate.
  const read = (file: string) =>
    fs.readFile(file).catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'ENOENT' ? badInput(file, `not found: ${where} has no network ProdML trained (model.json + weights.bin), so there is nothing to export`) : e;
    });
  const transforms = JSON.parse((await read(version.files['transform.json'])).toString('utf8')) as FittedTransforms;
  const net = compileDenseNet((await read(version.files['model.json'])).toString('utf8'), await read(version.files['weights.bin']));
  if (!net) throw badInput(version.files['model.json'], `${where} is not a stack of Dense layers (relu, sigmoid, tanh, softmax or linear); only such networks export to ONNX`);
  if (net.inputs !== transforms.width) throw badInput(version.files['model.json'], `${where}: the network takes ${net.inputs} inputs but transform.json produces ${transforms.width}`);
  const classes = task === 'multiclass' ? ((version.card.params['classes'] as string[] | undefined) ?? Array.from({ length: net.outputs }, (_, i) => String(i))) : undefined;

  if (transforms.features.some((f) => f.name === ONNX_OUTPUT || (classes && f.name === ONNX_LABEL))) {
    throw badInput(version.files['transform.json'], `${where} reads a column named "${transforms.features.find((f) => f.name === ONNX_OUTPUT || f.name === ONNX_LABEL)!.name}", the name of an output of the exported graph; rename the column to export it`);
  }
  const g = new GraphBuilder();
  g.reserve([...transforms.features.map((f) => f.name), ONNX_OUTPUT, ONNX_LABEL]);
  const inputs: OnnxInput[] = [];
  const parts: string[] = [];
  for (const f of transforms.features) {
    const { input, encoded } = encodeFeature(g, f, where);
    inputs.push(input);
    if (encoded) parts.push(encoded);
  }
  if (parts.length === 0) throw badInput(version.files['transform.json'], `${where} has no model inputs to export`);
  const x = parts.length === 1 ? parts[0]! : g.op('Concat', parts, 'features', { axis: 1 });
  const y = dense(g, x, net.layers);
  g.output(ONNX_OUTPUT, DT.FLOAT, [net.outputs]);
  if (classes) {
    // The class names travel in the graph the way scikit-learn's converters write them: an
    // ai.onnx.ml classifier's classlabels_strings, with the predicted class as a second output.
    // An identity LinearClassifier passes the probabilities through unchanged (x·1 + 0).
    const k = classes.length;
    const identity = Array.from({ length: k * k }, (_, i) => (Math.floor(i / k) === i % k ? 1 : 0));
    g.node('LinearClassifier', [y], [ONNX_LABEL, ONNX_OUTPUT], 'classes', { coefficients: { floats: identity }, intercepts: { floats: new Array<number>(k).fill(0) }, classlabels_strings: classes, post_transform: 'NONE', multi_class: 0 }, ML_DOMAIN);
    g.output(ONNX_LABEL, DT.STRING, []);
  } else g.alias(y, ONNX_OUTPUT);

  const bytes = g.encode(version.model, `ProdML ${where} (${task}): fitted transforms and network in one graph`, {
    'prodml.model': version.model,
    'prodml.version': String(version.version),
    'prodml.task': task,
    ...(version.card.label ? { 'prodml.label': version.card.label } : {}),
    ...(classes ? { 'prodml.classes': JSON.stringify(classes) } : {}),
    'prodml.inputs': JSON.stringify(inputs),
  });
  return { bytes, inputs, output: ONNX_OUTPUT, task, ...(classes ? { classes } : {}) };
}

/** The feature's graph input and its encoded [N, outputs] float32 value (none when it has no outputs). */
function encodeFeature(g: GraphBuilder, f: FittedFeature, where: string): { input: OnnxInput; encoded?: string } {
  const id = f.name.replace(/[^A-Za-z0-9_]/g, '_');
  switch (f.kind) {
    case 'identity':
    case 'standardize':
    case 'min_max': {
      const v = imputed(g, f.name, id, f.impute);
      return { input: { name: f.name, type: 'float32' }, encoded: toFloat(g, scaled(g, v, id, f.center, f.scale), id) };
    }
    case 'log': {
      const x = g.op('Cast', [g.input(f.name, DT.FLOAT, [1])], `${id}/f64`, { to: DT.DOUBLE });
      const offset = g.constant(`${id}/offset`, DT.DOUBLE, [], [f.offset]);
      const shifted = g.op('Add', [x, offset], `${id}/shifted`);
      // apply.ts: x when present and x + offset > 0, else the training mean (NaN fails Greater).
      const usable = g.op('And', [g.op('Not', [g.op('IsInf', [x], `${id}/inf`)], `${id}/finite`), g.op('Greater', [shifted, g.constant(`${id}/zero`, DT.DOUBLE, [], [0])], `${id}/positive`)], `${id}/usable`);
      const v = g.op('Where', [usable, x, g.constant(`${id}/impute`, DT.DOUBLE, [], [f.impute])], `${id}/imputed`);
      const logged = g.op('Log', [g.op('Add', [v, offset], `${id}/plus_offset`)], `${id}/log`);
      return { input: { name: f.name, type: 'float32' }, encoded: toFloat(g, scaled(g, logged, id, f.center, f.scale), id) };
    }
    case 'bucketize': {
      const v = imputed(g, f.name, id, f.impute);
      const n = f.boundaries.length;
      // The bucket is how many (sorted) boundaries are <= x: apply.ts's while loop.
      let bucket: string;
      if (n === 0) bucket = g.op('Cast', [g.op('Mul', [v, g.constant(`${id}/zero`, DT.DOUBLE, [], [0])], `${id}/zeros`)], `${id}/bucket`, { to: DT.INT64 });
      else {
        const ge = g.op('GreaterOrEqual', [v, g.constant(`${id}/boundaries`, DT.DOUBLE, [n], f.boundaries)], `${id}/ge`);
        bucket = g.op('ReduceSum', [g.op('Cast', [ge], `${id}/ge_i64`, { to: DT.INT64 }), g.constant(`${id}/axis`, DT.INT64, [1], [1])], `${id}/bucket`, { keepdims: 1 });
      }
      return { input: { name: f.name, type: 'float32' }, encoded: oneHot(g, bucket, n + 1, id) };
    }
    case 'one_hot':
    case 'vocabulary': {
      if (f.oovBuckets > 1) {
        throw badInput(undefined, `${where}: feature "${f.name}" uses vocabulary with oov_buckets: ${f.oovBuckets}, which hashes unseen values (FNV-1a) into buckets; ONNX has no string hash, so it cannot be exported (use oov_buckets: 1 or one_hot)`);
      }
      const s = g.input(f.name, DT.STRING, [1]);
      const width = f.values.length + f.oovBuckets;
      if (width === 0) return { input: { name: f.name, type: 'string' } };
      // Unseen and missing ('') values take the default: the OOV slot, or -1 (no slot: all zeros) for one_hot.
      const keys = f.values.length > 0 ? f.values : ['\u0000prodml:no-values'];
      const codes = f.values.length > 0 ? f.values.map((_, i) => i) : [f.values.length];
      const idx = g.op('LabelEncoder', [s], `${id}/index`, { keys_strings: keys, values_int64s: { ints: codes }, default_int64: f.oovBuckets > 0 ? f.values.length : -1 }, ML_DOMAIN);
      return { input: { name: f.name, type: 'string' }, encoded: oneHot(g, idx, width, id) };
    }
    case 'date_parts':
      throw badInput(undefined, `${where}: feature "${f.name}" uses date_parts, which ONNX cannot express from a date column (no date parsing or calendar ops); it cannot be exported to ONNX`);
  }
}

/** The column as float64 [N,1], NaN and ±Infinity replaced by the training mean (apply.ts: toNumber ?? impute). */
function imputed(g: GraphBuilder, name: string, id: string, impute: number): string {
  const x = g.op('Cast', [g.input(name, DT.FLOAT, [1])], `${id}/f64`, { to: DT.DOUBLE });
  const missing = g.op('Or', [g.op('IsNaN', [x], `${id}/nan`), g.op('IsInf', [x], `${id}/inf`)], `${id}/missing`);
  return g.op('Where', [missing, g.constant(`${id}/impute`, DT.DOUBLE, [], [impute]), x], `${id}/imputed`);
}

function scaled(g: GraphBuilder, v: string, id: string, center: number, scale: number): string {
  const centered = g.op('Sub', [v, g.constant(`${id}/center`, DT.DOUBLE, [], [center])], `${id}/centered`);
  return g.op('Div', [centered, g.constant(`${id}/scale`, DT.DOUBLE, [], [scale])], `${id}/scaled`);
}

function toFloat(g: GraphBuilder, v: string, id: string): string {
  return g.op('Cast', [v], `${id}/encoded`, { to: DT.FLOAT });
}

/** int64 [N,1] index → float32 [N,width] with a 1 at the index (none when out of range). */
function oneHot(g: GraphBuilder, idx: string, width: number, id: string): string {
  const slots = g.constant(`${id}/slots`, DT.INT64, [width], Array.from({ length: width }, (_, i) => i));
  return g.op('Cast', [g.op('Equal', [idx, slots], `${id}/hot`)], `${id}/encoded`, { to: DT.FLOAT });
}

/** The Dense stack: MatMul + Add, then the layer's activation (Softmax over the last axis). */
function dense(g: GraphBuilder, x: string, layers: DenseLayer[]): string {
  let a = x;
  layers.forEach((l, i) => {
    const id = `dense_${i}`;
    let z = g.op('MatMul', [a, g.constant(`${id}/kernel`, DT.FLOAT, [l.inputs, l.units], Array.from(l.kernel))], `${id}/matmul`);
    if (l.bias) z = g.op('Add', [z, g.constant(`${id}/bias`, DT.FLOAT, [l.units], Array.from(l.bias))], `${id}/add`);
    const act = { linear: undefined, relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh', softmax: 'Softmax' }[l.activation];
    a = act ? g.op(act, [z], `${id}/${l.activation}`, act === 'Softmax' ? { axis: -1 } : {}) : z;
  });
  return a;
}
