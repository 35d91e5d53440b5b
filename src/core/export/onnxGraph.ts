/**
 * A small builder over onnx-proto's generated protobuf classes: named nodes, constant
 * initializers and typed inputs/outputs, then one encoded ModelProto. Only what the exporter
 * needs; node names are unique and readable so a graph viewer (Netron) shows where each
 * feature's transform is.
 */
import { onnx } from 'onnx-proto';

export const DT = onnx.TensorProto.DataType;
export type ElemType = onnx.TensorProto.DataType;

type Attr = number | string | number[] | string[] | { ints: number[] } | { floats: number[] };

/** ai.onnx opset the graph declares; every op used exists there with the types used. */
export const OPSET = 17;
/** ai.onnx.ml opset (LabelEncoder with string keys and int64 values). */
export const ML_OPSET = 3;
export const ML_DOMAIN = 'ai.onnx.ml';

export class GraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly used = new Set<string>();

  /** A fresh name that starts with `hint`. */
  name(hint: string): string {
    let n = hint;
    for (let k = 1; this.used.has(n); k++) n = `${hint}_${k}`;
    this.used.add(n);
    return n;
  }

  /** Keeps `names` (the columns, the output) from being handed out for intermediate values. */
  reserve(names: readonly string[]): void {
    for (const n of names) this.used.add(n);
  }

  /** A graph input [N, ...dims] of `type`, named exactly `name` (the column; reserve it first). */
  input(name: string, type: ElemType, dims: number[]): string {
    if (this.inputs.some((i) => i.name === name)) throw new Error(`duplicate graph input ${name}`);
    this.used.add(name);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: ElemType, dims: number[]): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** A constant tensor. Numbers are stored as the type says (float32 rounds here, once). */
  constant(hint: string, type: ElemType, dims: number[], values: readonly number[] | readonly string[]): string {
    const name = this.name(hint);
    const t: onnx.ITensorProto = { name, dataType: type, dims };
    if (type === DT.FLOAT) t.floatData = values as number[];
    else if (type === DT.DOUBLE) t.doubleData = values as number[];
    else if (type === DT.INT64) t.int64Data = values as number[];
    else if (type === DT.STRING) t.stringData = (values as string[]).map((s) => new TextEncoder().encode(s));
    else throw new Error(`constant of type ${type} not supported`);
    this.initializers.push(t);
    return name;
  }

  /** Adds one node and returns the name of its (first) output. */
  op(opType: string, inputs: string[], hint: string, attrs: Record<string, Attr> = {}, domain?: string): string {
    const out = this.name(hint);
    this.nodes.push({
      opType,
      input: inputs,
      output: [out],
      name: this.name(`${hint}/${opType}`),
      ...(domain ? { domain } : {}),
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  /** A node whose outputs are named by the caller (graph outputs). */
  node(opType: string, inputs: string[], outputs: string[], hint: string, attrs: Record<string, Attr> = {}, domain?: string): void {
    this.nodes.push({ opType, input: inputs, output: outputs, name: this.name(`${hint}/${opType}`), ...(domain ? { domain } : {}), attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
  }

  /** Renames the value `from` to the graph output `to` through an Identity node. */
  alias(from: string, to: string): void {
    this.nodes.push({ opType: 'Identity', input: [from], output: [to], name: this.name(`${to}/Identity`) });
  }

  encode(graphName: string, docString: string, metadata: Record<string, string>): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'prodml',
      docString,
      opsetImport: [{ domain: '', version: OPSET }, { domain: ML_DOMAIN, version: ML_OPSET }],
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
      graph: { name: graphName, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, type: ElemType, dims: number[]): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: type, shape: { dim: [{ dimParam: 'N' }, ...dims.map((d) => ({ dimValue: d }))] } } },
  };
}

function attribute(name: string, v: Attr): onnx.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: A.INT, i: v } : { name, type: A.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return { name, type: A.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) };
    return { name, type: A.INTS, ints: v as number[] };
  }
  if ('ints' in v) return { name, type: A.INTS, ints: v.ints };
  return { name, type: A.FLOATS, floats: v.floats };
}
