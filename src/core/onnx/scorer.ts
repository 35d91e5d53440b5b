/**
 * The Scorer of an imported ONNX version: the version's saved transforms turn rows into the
 * numbers its contract (card.onnx.binding) feeds the graph, onnxruntime computes the outputs, and
 * the chosen output becomes the same row-major scores a tfjs version gives (P(class 1) for
 * binary, class probabilities for multiclass, the value for regression).
 */
import fs from 'node:fs/promises';
import { badInput } from '../errors';
import { toCategory, toNumber, transformRows } from '../features/apply';
import type { FittedTransforms } from '../features/spec';
import type { OnnxBinding, ModelVersion } from '../registry/types';
import type { Task } from '../train/model';
import { withoutZipMap } from './modelInfo';
import { OnnxSession, ortMessage, type OrtTensor } from './runtime';

/** What serve/scorer.ts needs to make a Scorer of an ONNX version (its interface lives there). */
export interface OnnxScorerParts {
  task: Task;
  classes?: string[];
  inputs: string[];
  outputsPerRow: number;
  transforms: FittedTransforms;
  score(rows: readonly Record<string, unknown>[]): Float32Array;
  dispose(): void;
}

export async function loadOnnxScorer(version: ModelVersion): Promise<OnnxScorerParts> {
  const card = version.card;
  const binding = card.onnx?.binding;
  const task = card.task as Task | undefined;
  if (!binding || !task) throw badInput(version.dir, 'card.json has no ONNX binding or task; this version cannot score rows');
  const transforms = JSON.parse(await fs.readFile(version.files['transform.json'], 'utf8')) as FittedTransforms;
  const file = version.files['model.onnx'];
  const session = new OnnxSession(file, withoutZipMap(file, await fs.readFile(file)));
  const classes = (card.params['classes'] as string[] | undefined) ?? binding.classes;
  const outputsPerRow = task === 'multiclass' ? binding.output.width : 1;
  const score = onnxScore(session, binding, transforms, task);
  return {
    task,
    ...(task === 'multiclass' ? { classes } : {}),
    inputs: [...new Set(binding.inputs.flatMap((i) => i.columns))],
    outputsPerRow,
    transforms,
    score(rows) {
      if (rows.length === 0) return new Float32Array(0);
      return score(rows);
    },
    dispose() {
      session.dispose();
    },
  };
}

/** rows → scores through the session; exported for the import, which scores before registering. */
export function onnxScore(session: OnnxSession, binding: OnnxBinding, transforms: FittedTransforms, task: Task): (rows: readonly Record<string, unknown>[]) => Float32Array {
  const offsets = new Map<string, number>();
  let at = 0;
  for (const f of transforms.features) {
    offsets.set(f.name, at);
    at += f.outputs.length;
  }
  const width = transforms.width;
  const k = binding.output.width;
  const positive = task === 'binary' && k === 2 ? positiveIndex(binding.classes) : 0;
  return (rows) => {
    const n = rows.length;
    const x = transformRows(transforms, rows);
    if (binding.missing === 'nan') feedMissingAsNaN(x, rows, transforms, offsets);
    const feeds: Record<string, OrtTensor> = {};
    for (const input of binding.inputs) {
      if (input.type === 'string') {
        const col = input.columns[0]!;
        feeds[input.name] = session.tensor('string', rows.map((r) => toCategory(r[col]) ?? ''), input.rank === 1 ? [n] : [n, 1]);
        continue;
      }
      let values: Float32Array;
      if (binding.mode === 'matrix') values = x;
      else {
        const o = offsets.get(input.columns[0]!)!;
        values = Float32Array.from({ length: n }, (_, i) => x[i * width + o]!);
      }
      const w = binding.mode === 'matrix' ? width : 1;
      const dims = input.rank === 1 ? [n] : [n, w];
      const data = input.type === 'float32' ? values : input.type === 'float64' ? Float64Array.from(values) : BigInt64Array.from(values, (v) => BigInt(Math.round(Number.isFinite(v) ? v : 0)));
      feeds[input.name] = session.tensor(input.type, data, dims);
    }
    let result: Record<string, OrtTensor>;
    try {
      result = session.run(feeds, [binding.output.name]);
    } catch (e) {
      throw new Error(`onnxruntime failed to score ${n} row${n === 1 ? '' : 's'}: ${ortMessage(e)}`);
    }
    const out = result[binding.output.name]!;
    const data = out.data as ArrayLike<number>;
    if (data.length !== n * k) throw new Error(`output '${binding.output.name}' has ${data.length} values for ${n} rows; expected ${n * k}`);
    if (task === 'multiclass') return data instanceof Float32Array ? data.slice() : Float32Array.from(data);
    if (k === 1) return Float32Array.from(data);
    return Float32Array.from({ length: n }, (_, i) => data[i * k + positive]!);
  };
}

/** Puts NaN where an identity-fed number is missing, for a graph that imputes it itself. */
function feedMissingAsNaN(x: Float32Array, rows: readonly Record<string, unknown>[], transforms: FittedTransforms, offsets: Map<string, number>): void {
  const width = transforms.width;
  for (const f of transforms.features) {
    if (f.kind !== 'identity') continue;
    const o = offsets.get(f.name)!;
    for (let i = 0; i < rows.length; i++) if (toNumber(rows[i]![f.name]) === null) x[i * width + o] = Number.NaN;
  }
}

/** The column of class 1 in a two-class output: the class labelled 1 or true, else the second. */
function positiveIndex(classes: string[] | undefined): number {
  const i = classes?.findIndex((c) => c === '1' || c.toLowerCase() === 'true') ?? -1;
  return i >= 0 ? i : 1;
}
