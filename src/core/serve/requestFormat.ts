/**
 * Reads the body of a TF Serving REST request into rows, one object of field values per instance
 * (the shapes of tensorflow_serving's api_rest document):
 *   :predict   {"instances": [{...}, ...]}             row format, a list of objects
 *              {"instances": [v, ...]}                 row format, values of a single-input model
 *              {"inputs": {"f": [...], ...}}           columnar format, a dict of lists
 *              {"inputs": [v, ...]}                    columnar format, a single-input model
 *   :classify  {"examples": [{...}], "context": {...}} the context's fields go into every example
 *   :regress   the same
 * `signature_name` may be absent, "" or "serving_default" (the one signature a version has).
 */
import { describe, ROW_PLACE, type InstanceProblem, type Place } from './instanceCheck';

export type Verb = 'predict' | 'classify' | 'regress';
export const VERBS: readonly Verb[] = ['predict', 'classify', 'regress'];
export const SIGNATURE = 'serving_default';

/** Which shape the answer takes: `predictions`, `outputs` or `result`. */
export type RequestFormat = 'row' | 'columnar' | 'examples';

export interface ReadRequest {
  format: RequestFormat;
  rows: unknown[];
  place: Place;
}

const COLUMN_PLACE: Place = { row: (i) => `inputs (row ${i})`, field: (i, f) => `inputs.${f}[${i}]` };
const EXAMPLE_PLACE: Place = { row: (i) => `examples[${i}]`, field: (i, f) => `examples[${i}].${f}` };

const problem = (rule: InstanceProblem['rule'], message: string, field?: string): InstanceProblem => ({ rule, message, ...(field !== undefined ? { field } : {}) });

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * Sets a field of a row being built. `__proto__` is defined, not assigned, so that it stays a
 * field; any other name is assigned, which keeps the row a fast object (defineProperty on every
 * field makes rows that every later step reads slowly).
 */
function setField(row: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') Object.defineProperty(row, name, { value, enumerable: true, writable: true, configurable: true });
  else row[name] = value;
}

/** A row with one field. */
function single(name: string, value: unknown): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  setField(row, name, value);
  return row;
}

/** The rows of a request, or what is wrong with the body as a whole. `inputs` are the model's input names. */
export function readRequest(verb: Verb, body: unknown, inputs: readonly string[]): ReadRequest | InstanceProblem {
  if (!isObject(body)) return problem('bad_body', bodyShape(verb));
  const sig = body['signature_name'];
  if (sig !== undefined && sig !== '' && sig !== SIGNATURE) {
    return problem('bad_signature', `signature_name ${typeof sig === 'string' ? JSON.stringify(sig) : `must be a string (got ${describe(sig)})`}${typeof sig === 'string' ? ' is not a signature of this model' : ''} (signatures: ${SIGNATURE})`);
  }
  const only = inputs.length === 1 ? inputs[0]! : undefined;
  if (verb !== 'predict') return readExamples(verb, body);
  const hasInstances = 'instances' in body;
  const hasInputs = 'inputs' in body;
  if (hasInstances && hasInputs) return problem('bad_body', 'the body has both "instances" (row format) and "inputs" (columnar format); send one of them');
  if (hasInstances) {
    const list = body['instances'];
    if (!Array.isArray(list)) return problem('bad_body', bodyShape(verb));
    if (list.length === 0) return problem('empty_instances', '"instances" is empty: send at least one row to score');
    // A single-input model takes bare values, as TF Serving's {"instances": [1.0, 2.0]}.
    const rows = only === undefined ? list : list.map((v) => (isObject(v) ? v : single(only, v)));
    return { format: 'row', rows, place: ROW_PLACE };
  }
  if (hasInputs) return readColumns(body['inputs'], only, inputs);
  return problem('bad_body', bodyShape(verb));
}

function readColumns(cols: unknown, only: string | undefined, inputs: readonly string[]): ReadRequest | InstanceProblem {
  if (!isObject(cols)) {
    if (only === undefined) {
      return problem('bad_body', `"inputs" must be an object of lists, one per input ({"inputs": {"${inputs[0]}": [...], ...}}): the model reads ${inputs.length} inputs (got ${describe(cols)})`);
    }
    const values = Array.isArray(cols) ? cols : [cols];
    if (values.length === 0) return problem('empty_instances', '"inputs" is empty: send at least one row to score');
    return { format: 'columnar', rows: values.map((v) => single(only, v)), place: COLUMN_PLACE };
  }
  const names = Object.keys(cols);
  if (names.length === 0) return problem('empty_instances', '"inputs" is empty: send one list of values per input');
  let n = -1;
  for (const name of names) {
    const list = cols[name];
    if (!Array.isArray(list)) return problem('bad_body', `inputs.${name}: expected a list with one value per row, got ${describe(list)}`, name);
    if (n === -1) n = list.length;
    else if (list.length !== n) {
      return problem('bad_body', `inputs.${name}: has ${list.length} values but inputs.${names[0]} has ${n}; every input needs one value per row`, name);
    }
  }
  if (n === 0) return problem('empty_instances', '"inputs" has empty lists: send at least one row to score');
  const lists = names.map((name) => cols[name] as unknown[]);
  const rows: Record<string, unknown>[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const row: Record<string, unknown> = {};
    for (let j = 0; j < names.length; j++) setField(row, names[j]!, lists[j]![i]);
    rows[i] = row;
  }
  return { format: 'columnar', rows, place: COLUMN_PLACE };
}

function readExamples(verb: Verb, body: Record<string, unknown>): ReadRequest | InstanceProblem {
  const examples = body['examples'];
  if (!Array.isArray(examples)) return problem('bad_body', bodyShape(verb));
  if (examples.length === 0) return problem('empty_instances', '"examples" is empty: send at least one example');
  const context = body['context'];
  if (context === undefined) return { format: 'examples', rows: examples, place: EXAMPLE_PLACE };
  if (!isObject(context)) return problem('bad_body', `"context" must be an object of field values shared by every example (got ${describe(context)})`);
  const shared = Object.keys(context);
  const rows: unknown[] = new Array(examples.length);
  for (let i = 0; i < examples.length; i++) {
    const ex = examples[i];
    if (!isObject(ex)) {
      rows[i] = ex;
      continue;
    }
    const twice = shared.find((k) => Object.hasOwn(ex, k));
    if (twice !== undefined) return { rule: 'bad_body', instance: i, field: twice, message: `examples[${i}].${twice}: the field is also in "context"; a field goes in the context or in the examples, not both` };
    rows[i] = { ...context, ...ex };
  }
  return { format: 'examples', rows, place: EXAMPLE_PLACE };
}

function bodyShape(verb: Verb): string {
  return verb === 'predict'
    ? 'the body must be a JSON object {"instances": [{...}, ...]} (row format, one object per row to score) or {"inputs": {"<field>": [...], ...}} (columnar format)'
    : `the body of :${verb} must be a JSON object {"examples": [{...}, ...]}, optionally with "context": {...} (fields shared by every example)`;
}
