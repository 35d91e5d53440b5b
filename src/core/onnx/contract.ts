/**
 * The feature contract of an imported ONNX model, decided once at import (never at serving time):
 * which columns feed which graph input, and which output holds the predictions. Every mismatch
 * is a one-line error naming the file, the input and the column.
 */
import { badInput } from '../errors';
import type { OnnxBinding, OnnxValueInfo } from '../registry/types';
import type { Task } from '../train/model';
import type { OnnxModelInfo } from './modelInfo';

/** Column name → DuckDB type of the data the model is checked on. */
export type ColumnTypes = Record<string, string>;

const NUMERIC_INPUT = new Set(['float32', 'float64', 'int64']);
const isNumericColumn = (t: string) => /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|REAL|DECIMAL.*|BOOLEAN)$/i.test(t);
const isStringColumn = (t: string) => /^VARCHAR$/i.test(t);

export interface ContractRequest {
  file: string;
  /** Columns in the 2-D input's order (matrix models); for per-column models, must name its inputs. */
  features?: string[];
  /** Width each feature produces after prodml.yaml's transforms (1 when none). */
  widths?: Record<string, number>;
  columns: ColumnTypes;
  label: string;
}

export function inputBinding(info: OnnxModelInfo, req: ContractRequest): Pick<OnnxBinding, 'mode' | 'inputs'> {
  const { file, columns } = req;
  const inputs = info.inputs;
  if (inputs.length === 0) throw badInput(file, 'the graph has no inputs to feed');
  const shape = (v: OnnxValueInfo) => `[${v.shape.map((d) => d ?? '?').join(',')}]`;
  const byName = inputs.every((v) => v.name in columns);
  if (byName && (inputs.length > 1 || !req.features || (req.features.length === 1 && req.features[0] === inputs[0]!.name))) {
    if (req.features) {
      const extra = req.features.filter((f) => !inputs.some((v) => v.name === f));
      const absent = inputs.filter((v) => !req.features!.includes(v.name)).map((v) => v.name);
      if (extra.length > 0 || absent.length > 0) {
        throw badInput(file, `the feature list does not match the graph's inputs (${inputs.map((v) => v.name).join(', ')}): ${extra.length > 0 ? `no input for ${extra.join(', ')}` : `no feature for input ${absent.join(', ')}`}`);
      }
    }
    return {
      mode: 'columns',
      inputs: inputs.map((v) => {
        const col = columns[v.name]!;
        if (v.name === req.label) throw badInput(file, `input '${v.name}' is the label column; a model cannot take its own label`);
        const width = v.shape.length === 2 ? v.shape[1] : 1;
        if (v.shape.length > 2 || (typeof width === 'number' && width !== 1)) throw badInput(file, `input '${v.name}' has shape ${shape(v)}: one column feeds one value per row ([N] or [N,1])`);
        if (v.type === 'string') {
          if (!isStringColumn(col)) throw badInput(file, `input '${v.name}' is a string tensor, but column "${v.name}" holds ${col}: the data cannot feed it`);
          return { name: v.name, type: 'string' as const, columns: [v.name], rank: Math.max(1, v.shape.length) };
        }
        if (!NUMERIC_INPUT.has(v.type)) throw badInput(file, `input '${v.name}' has element type ${v.type}; ProdML feeds float32, float64, int64 or string`);
        if (!isNumericColumn(col)) throw badInput(file, `input '${v.name}' takes ${v.type}, but column "${v.name}" holds ${col}`);
        return { name: v.name, type: v.type as 'float32' | 'float64' | 'int64', columns: [v.name], rank: Math.max(1, v.shape.length) };
      }),
    };
  }
  if (inputs.length > 1) {
    const unknown = inputs.filter((v) => !(v.name in columns)).map((v) => v.name);
    throw badInput(file, `the graph has ${inputs.length} inputs and the data has no column ${unknown.map((n) => `"${n}"`).join(', ')}: with several inputs, each must be a column of the same name`);
  }
  const x = inputs[0]!;
  if (x.type === 'string') throw badInput(file, `input '${x.name}' is a string tensor ${shape(x)}: the data's columns cannot feed one string matrix (give one string input per column, named after it)`);
  if (!NUMERIC_INPUT.has(x.type)) throw badInput(file, `input '${x.name}' has element type ${x.type}; ProdML feeds float32, float64 or int64`);
  if (x.shape.length !== 2) throw badInput(file, `input '${x.name}' has shape ${shape(x)}: a single input must be 2-D [N, features]`);
  if (!req.features || req.features.length === 0) {
    throw badInput(file, `input '${x.name}' is one ${x.type} matrix ${shape(x)}: give --features c1,c2,... in its column order`);
  }
  for (const f of req.features) {
    if (!(f in columns)) throw badInput(file, `feature "${f}" is not a column of the data (columns: ${Object.keys(columns).join(', ')})`);
    if (f === req.label) throw badInput(file, `feature "${f}" is the label column`);
  }
  const width = req.features.reduce((s, f) => s + (req.widths?.[f] ?? 1), 0);
  const declared = x.shape[1];
  if (typeof declared === 'number' && declared !== width) {
    throw badInput(file, `input '${x.name}' takes ${declared} values per row, but the features give ${width} (${req.features.join(', ')})`);
  }
  for (const f of req.features) {
    if (!req.widths && !isNumericColumn(columns[f]!)) throw badInput(file, `feature "${f}" holds ${columns[f]}, but input '${x.name}' takes ${x.type} (encode it with a transform in prodml.yaml, or in the graph)`);
  }
  return { mode: 'matrix', inputs: [{ name: x.name, type: x.type as 'float32' | 'float64' | 'int64', columns: req.features, rank: 2 }] };
}

/**
 * The output that holds the predictions, following what the producers write: scikit-learn's
 * label + probabilities (or ZipMap), a single [N]/[N,1] float, or [N,k] scores.
 */
export function outputBinding(info: OnnxModelInfo, file: string, task: Task | undefined): { output: OnnxBinding['output']; classes?: string[]; task: Task } {
  const floats = info.outputs.filter((o) => o.type === 'float32' || o.type === 'float64');
  const zip = info.outputs.find((o) => info.zipmaps.has(o.name));
  const width = (o: OnnxValueInfo) => (o.shape.length <= 1 ? 1 : o.shape[1]);
  let output: OnnxBinding['output'];
  let classes: string[] | undefined;
  if (zip) {
    classes = info.classLabels.get(zip.name);
    output = { name: info.zipmaps.get(zip.name)!, kind: 'zipmap', width: classes?.length ?? 0 };
  } else {
    const labelled = floats.find((o) => info.classLabels.has(o.name) && o.shape.length === 2);
    const chosen = labelled ?? floats.find((o) => o.shape.length <= 2);
    if (!chosen) {
      throw badInput(file, `no output holds the predictions: ProdML reads a float tensor [N], [N,1] or [N,k] (outputs: ${info.outputs.map((o) => `${o.name} ${o.type}`).join(', ')})`);
    }
    classes = info.classLabels.get(chosen.name);
    const w = width(chosen);
    const k = typeof w === 'number' ? w : (classes?.length ?? null);
    if (k === null) throw badInput(file, `output '${chosen.name}' has an unknown number of columns and no class labels`);
    output = { name: chosen.name, kind: k === 1 ? 'single' : 'probabilities', width: k };
  }
  if (output.kind !== 'single' && classes && classes.length !== output.width) {
    throw badInput(file, `output '${output.name}' has ${output.width} columns but the classifier names ${classes.length} classes`);
  }
  const inferred: Task = output.kind === 'single' ? (task ?? 'regression') : output.width === 2 ? 'binary' : 'multiclass';
  const t = task ?? inferred;
  if (t === 'regression' && output.kind !== 'single') throw badInput(file, `task regression needs one value per row, but output '${output.name}' has ${output.width} columns`);
  if (t === 'multiclass' && output.kind === 'single') throw badInput(file, `task multiclass needs one probability per class, but output '${output.name}' has one value per row`);
  if (t === 'binary' && output.width > 2) throw badInput(file, `task binary needs P(class 1) or two class probabilities, but output '${output.name}' has ${output.width} columns`);
  if (t === 'multiclass' && !classes) classes = Array.from({ length: output.width }, (_, i) => String(i));
  return { output, ...(classes ? { classes } : {}), task: t };
}
