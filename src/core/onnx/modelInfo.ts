/**
 * What an ONNX file says about itself, read from its ModelProto (onnx-proto): producer, opsets,
 * the graph's inputs and outputs, the class labels of a classifier. Also the one rewrite ProdML
 * makes before scoring: onnxruntime-node returns tensors only, so a ZipMap (scikit-learn's
 * converter default: a sequence of {class: probability} maps) is cut off and its input tensor,
 * the same probabilities in the same class order, becomes the output.
 */
import crypto from 'node:crypto';
import { onnx } from 'onnx-proto';
import { badInput } from '../errors';
import type { OnnxSignature, OnnxValueInfo } from '../registry/types';

export interface OnnxModelInfo extends OnnxSignature {
  /** Output name → class labels, from the classifier or ZipMap node that writes it. */
  classLabels: Map<string, string[]>;
  /** A ZipMap output → the probability tensor it was made from. */
  zipmaps: Map<string, string>;
  /** The graph's metadata_props (a ProdML export writes `prodml.*` keys). */
  metadata: Record<string, string>;
}

const ELEM_TYPES: Record<number, string> = { 1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64' };

/** Decodes the file; a file that is not a whole ModelProto is refused, naming the file. */
export function decodeModel(file: string, bytes: Uint8Array): onnx.ModelProto {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    // A ModelProto starts with ir_version (field 1, varint): tag byte 0x08.
    const why = bytes[0] === 0x08 ? 'it is truncated or corrupt' : 'it is not an ONNX model';
    throw badInput(file, `cannot be read as ONNX: ${why} (protobuf: ${(e as Error).message})`);
  }
  if (!model.graph || (model.graph.node ?? []).length === 0 || Number(model.irVersion) <= 0) {
    throw badInput(file, 'cannot be read as ONNX: it is not an ONNX model (no graph with nodes and no IR version)');
  }
  return model;
}

export function modelInfo(file: string, bytes: Uint8Array): OnnxModelInfo {
  const model = decodeModel(file, bytes);
  const graph = graphOf(model);
  const initializers = new Set(graph.initializer.map((t) => t.name));
  const classLabels = new Map<string, string[]>();
  const zipmaps = new Map<string, string>();
  for (const node of graph.node) {
    const labels = classLabelsOf(node);
    if (!labels) continue;
    if (node.opType === 'ZipMap') {
      zipmaps.set(node.output[0]!, node.input[0]!);
      classLabels.set(node.output[0]!, labels);
    } else {
      // A classifier's outputs: label, then the scores in class-label order.
      for (const out of node.output) classLabels.set(out, labels);
    }
  }
  // Scores that flow through a Normalizer/Identity/Cast keep their class order.
  for (const node of graph.node) {
    if (['Normalizer', 'Identity', 'Cast'].includes(node.opType ?? '') && classLabels.has(node.input[0]!)) classLabels.set(node.output[0]!, classLabels.get(node.input[0]!)!);
  }
  for (const [zip, from] of zipmaps) if (!classLabels.has(from)) classLabels.set(from, classLabels.get(zip)!);
  const opset: Record<string, number> = {};
  for (const o of model.opsetImport) opset[o.domain ?? ''] = Number(o.version);
  return {
    file_hash: `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`,
    producer_name: model.producerName ?? '',
    producer_version: model.producerVersion ?? '',
    ir_version: Number(model.irVersion),
    opset,
    // Older exporters list initializers among the inputs; they are not fed.
    inputs: graph.input.filter((v) => !initializers.has(v.name)).map(valueInfo),
    outputs: graph.output.map(valueInfo),
    classLabels,
    zipmaps,
    metadata: Object.fromEntries((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? ''])),
  };
}

/** The model with its ZipMap outputs replaced by their probability tensors (unchanged when it has none). */
export function withoutZipMap(file: string, bytes: Uint8Array): Uint8Array {
  const model = decodeModel(file, bytes);
  const graph = graphOf(model);
  const zips = graph.node.filter((n) => n.opType === 'ZipMap');
  if (zips.length === 0) return bytes;
  for (const zip of zips) {
    const at = graph.output.findIndex((o) => o.name === zip.output[0]);
    if (at >= 0) {
      graph.output[at] = onnx.ValueInfoProto.create({
        name: zip.input[0]!,
        type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: 'N' }, {}] } } },
      });
    }
  }
  graph.node = graph.node.filter((n) => n.opType !== 'ZipMap');
  return onnx.ModelProto.encode(model).finish();
}

/** Decoded messages hold arrays for every repeated field; the generated interfaces say optional. */
interface Graph {
  node: Node[];
  input: onnx.IValueInfoProto[];
  output: onnx.IValueInfoProto[];
  initializer: onnx.ITensorProto[];
}
type Node = onnx.INodeProto & { input: string[]; output: string[]; opType: string };

function graphOf(model: onnx.ModelProto): Graph {
  const g = model.graph;
  return {
    node: (g?.node ?? []).map((n) => ({ ...n, input: n.input ?? [], output: n.output ?? [], opType: n.opType ?? '' })),
    input: g?.input ?? [],
    output: g?.output ?? [],
    initializer: g?.initializer ?? [],
  };
}

function valueInfo(v: onnx.IValueInfoProto): OnnxValueInfo {
  return { name: v.name ?? '', type: typeName(v.type), shape: (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0 ? Number(d.dimValue) : null)) };
}

function typeName(t: onnx.ITypeProto | null | undefined): string {
  if (!t) return 'unknown';
  if (t.tensorType) return ELEM_TYPES[t.tensorType.elemType ?? 0] ?? `type ${t.tensorType.elemType}`;
  if (t.sequenceType) return `seq(${typeName(t.sequenceType.elemType)})`;
  if (t.mapType) return `map(${ELEM_TYPES[t.mapType.keyType ?? 0] ?? '?'},${typeName(t.mapType.valueType)})`;
  return 'unknown';
}

function classLabelsOf(node: onnx.INodeProto): string[] | undefined {
  for (const a of node.attribute ?? []) {
    if (a.name === 'classlabels_strings' && a.strings && a.strings.length > 0) return a.strings.map((s) => Buffer.from(s).toString('utf8'));
    if ((a.name === 'classlabels_ints' || a.name === 'classlabels_int64s') && a.ints && a.ints.length > 0) return a.ints.map((i) => String(i));
  }
  return undefined;
}
