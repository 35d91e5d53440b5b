/**
 * The answer bodies of TF Serving's REST API, from one prediction per instance:
 *   row format      {"predictions": [p, ...]}        p: a number, or {class: probability} (multiclass)
 *   columnar format {"outputs": [p, ...]}            or {"outputs": {class: [probability, ...]}} (multiclass)
 *   :classify       {"result": [[[label, score], ...], ...]}
 *   :regress        {"result": [value, ...]}
 * A multiclass model has one named output per class; any other model has one unnamed output.
 */
import type { Task } from '../train/model';
import type { InstanceProblem } from './instanceCheck';
import type { RequestFormat, Verb } from './requestFormat';

export type Prediction = number | Record<string, number>;

export interface Shaped {
  status: number;
  body: unknown;
  /** JSON.stringify(body), when shapeAnswer wrote it already (numbersJson). */
  text?: string;
}

/** The output names and labels of a model: its classes, or 0/1 for a binary model that names none. */
export function outputNames(task: Task, classes: readonly string[] | undefined): string[] {
  if (task === 'multiclass') return [...(classes ?? [])];
  if (task === 'binary') return classes && classes.length === 2 ? [...classes] : ['0', '1'];
  return [];
}

export function shapeAnswer(verb: Verb, format: RequestFormat, task: Task, classes: readonly string[] | undefined, predictions: Prediction[]): Shaped {
  if (verb === 'regress') return numbers('result', predictions);
  if (verb === 'classify') {
    const labels = outputNames(task, classes);
    const result = predictions.map((p) => (typeof p === 'number' ? [[labels[0]!, 1 - p], [labels[1]!, p]] : Object.entries(p)));
    return { status: 200, body: { result } };
  }
  if (format !== 'columnar') return task === 'multiclass' ? { status: 200, body: { predictions } } : numbers('predictions', predictions);
  if (task !== 'multiclass') return numbers('outputs', predictions);
  const outputs: Record<string, number[]> = {};
  for (const c of Object.keys((predictions[0] as Record<string, number> | undefined) ?? {})) outputs[c] = predictions.map((p) => (p as Record<string, number>)[c]!);
  return { status: 200, body: { outputs } };
}

/** {key: predictions} for one number per instance, with its text. */
function numbers(key: 'predictions' | 'outputs' | 'result', predictions: Prediction[]): Shaped {
  const text = numbersJson(key, predictions);
  return { status: 200, body: { [key]: predictions }, ...(text !== undefined ? { text } : {}) };
}

/**
 * JSON.stringify({[key]: values}) for a list of numbers (undefined for anything else), written
 * with String(), as JSON writes a finite number: V8 caches String()'s text of a number, and the
 * prediction log writes the same numbers again a moment later (answer.ts's record()).
 */
export function numbersJson(key: string, values: readonly unknown[]): string | undefined {
  let text = `{"${key}":[`;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number') return undefined;
    text += `${i > 0 ? ',' : ''}${numberJson(v)}`;
  }
  return `${text}]}`;
}

/** A number as JSON writes it: its shortest text, null when not finite. */
export function numberJson(v: number): string {
  return Number.isFinite(v) ? String(v) : 'null';
}

/** TF Serving's error body, with ProdML's rule, instance and field beside `error` for programs. */
export function errorAnswer(status: number, p: InstanceProblem): Shaped {
  return { status, body: { error: p.message, rule: p.rule, ...(p.instance !== undefined ? { instance: p.instance } : {}), ...(p.field !== undefined ? { field: p.field } : {}) } };
}

/** The 400 for a verb the model's task does not have (TF Serving: the signature's method does not match). */
export function verbMismatch(verb: Verb, model: string, task: Task): InstanceProblem | undefined {
  if (verb === 'classify' && task === 'regression') return { rule: 'wrong_verb', message: `:classify needs a classification model; ${model} is a regression model: use :regress or :predict` };
  if (verb === 'regress' && task !== 'regression') return { rule: 'wrong_verb', message: `:regress needs a regression model; ${model} is a ${task} classifier: use :classify or :predict` };
  return undefined;
}
