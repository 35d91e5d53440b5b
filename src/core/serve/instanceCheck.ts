/**
 * Checks instances against the served version's own input contract: transform.json (each input's
 * column type, recorded when the transforms were fitted, and its categorical domain) and the
 * schema snapshot when the version has one. A request that the model would silently misread is
 * refused, as TF Serving refuses it: a wrong type, an unknown field, a missing required field, a
 * NaN or infinite number. Values out of range are answered (they are drift, for monitoring to
 * see); a category out of the model's domain follows the model's OOV rule and is reported by
 * `oov()` so that it can be counted. Only `null` means "unknown value".
 */
import { toCategory, toDate } from '../features/apply';
import type { FittedFeature, FittedTransforms, InputType } from '../features/spec';
import { SERVING, type FeatureSchema, type Schema } from '../schema/types';
import { isExpected } from '../schema/validate';

export type InstanceRule =
  | 'bad_body'
  | 'bad_signature'
  | 'wrong_verb'
  | 'empty_instances'
  | 'not_object'
  | 'missing_field'
  | 'wrong_type'
  | 'unknown_field'
  | 'non_finite';

export interface InstanceProblem {
  /** Index of the instance (row), absent when the body as a whole is wrong. */
  instance?: number;
  field?: string;
  rule: InstanceRule;
  message: string;
}

/** How a message names instance `i` and its fields: `instances[3].age`, `inputs.age[3]`, `line 5, column "age"`. */
export interface Place {
  row(i: number): string;
  field(i: number, name: string): string;
}

export const ROW_PLACE: Place = { row: (i) => `instances[${i}]`, field: (i, f) => `instances[${i}].${f}` };

/** What a value must be: a recorded or schema type, else what the transform's kind reads. */
export type ValueKind = InputType | 'number' | 'category';

export interface FieldRule {
  name: string;
  kind: ValueKind;
  /** Where the kind comes from, for messages. */
  source: 'schema' | 'transform.json' | 'transform';
  required: boolean;
  /** Must be present and not null (the schema's presence.min_fraction is 1). */
  nonNull: boolean;
  why: string;
  list: boolean;
  /** A model input (else a schema feature the model does not read). */
  input: boolean;
  /** Categorical inputs: the values the model knows, and what it does with others. */
  domain?: { values: ReadonlySet<string>; oov: 'all_zeros' | 'hashed' };
}

export interface InstanceOptions {
  place?: Place;
  /** Refuse unknown fields (default: as the checker was built). A canary or shadow version reads what the primary accepted. */
  unknownFields?: boolean;
  /** Fields known besides this version's own (the canary's, while a canary serves beside it). */
  alsoKnown?: ReadonlySet<string>;
}

export interface InstanceChecker {
  readonly fields: readonly FieldRule[];
  /** Every field an instance may hold. */
  readonly known: ReadonlySet<string>;
  /** What is wrong with instance `i`, if anything. */
  instance(row: unknown, i: number, opts?: InstanceOptions): InstanceProblem | undefined;
  /** The categorical inputs of a checked row whose value is outside the model's domain. */
  oov(row: Record<string, unknown>): string[] | undefined;
}

export interface CheckerOptions {
  /** The version's schema snapshot, when it has one. */
  schema?: Schema;
  transforms: FittedTransforms;
  /** Fields accepted besides the inputs and the schema's (the serving key). */
  extra?: readonly string[];
  /** Refuse fields the model and schema do not know (online serving); a batch file passes them through. */
  unknownFields?: boolean;
  /** Values come from a data file: numeric text ("39") and "true"/"false" count as numbers and bools. */
  fromText?: boolean;
}

export function isProblem(x: unknown): x is InstanceProblem {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && 'rule' in x && 'message' in x;
}

export function instanceChecker(opts: CheckerOptions): InstanceChecker {
  const fields = fieldRules(opts.schema, opts.transforms);
  const known = new Set([...fields.map((f) => f.name), ...(opts.extra ?? [])]);
  const categorical = fields.filter((f) => f.domain);
  const ownOnly = fields.map((f) => f.name in Object.prototype);
  const refuseUnknown = opts.unknownFields ?? true;
  const fromText = opts.fromText ?? false;
  const knownList = () => {
    const inputs = fields.filter((f) => f.input).map((f) => f.name);
    const others = [...known].filter((n) => !inputs.includes(n));
    return `the model reads ${inputs.join(', ')}${others.length ? `; also accepted: ${others.join(', ')}` : ''}`;
  };
  return {
    fields,
    known,
    instance(inst, i, { place = ROW_PLACE, unknownFields = refuseUnknown, alsoKnown } = {}) {
      if (!inst || typeof inst !== 'object' || Array.isArray(inst)) {
        return { instance: i, rule: 'not_object', message: `${place.row(i)}: must be an object of field values (got ${describe(inst)})` };
      }
      const row = inst as Record<string, unknown>;
      if (unknownFields) {
        // for-in walks a parsed object's own keys without building an array; inherited enumerable
        // keys cannot occur (a JSON object's prototype is Object.prototype).
        for (const k in row) {
          if (!known.has(k) && !alsoKnown?.has(k)) return { instance: i, field: k, rule: 'unknown_field', message: `${place.row(i)}: unknown field ${JSON.stringify(k)} (${knownList()})` };
        }
      }
      for (let f = 0; f < fields.length; f++) {
        const r = fields[f]!;
        // A name Object.prototype also has ("constructor") is read only when the row holds it itself.
        const v = ownOnly[f] && !Object.hasOwn(row, r.name) ? undefined : row[r.name];
        if (v === undefined || v === null) {
          if (r.nonNull || (v === undefined && r.required)) {
            return { instance: i, field: r.name, rule: 'missing_field', message: `${place.row(i)}: missing required field "${r.name}" (${r.why})${v === null ? '; it is null' : ''}` };
          }
          continue;
        }
        if (typeof v === 'number' && !Number.isFinite(v)) {
          return { instance: i, field: r.name, rule: 'non_finite', message: `${place.field(i, r.name)}: ${v} is not a usable value (NaN, Infinity and -Infinity are refused; send null for an unknown value)` };
        }
        const bad = typeProblem(r, v, fromText);
        if (bad) return { instance: i, field: r.name, rule: 'wrong_type', message: `${place.field(i, r.name)}: ${bad}` };
      }
      return undefined;
    },
    oov(row) {
      let out: string[] | undefined;
      for (const f of categorical) {
        const c = toCategory(row[f.name]);
        if (c !== null && !f.domain!.values.has(c)) (out ??= []).push(f.name);
      }
      return out;
    },
  };
}

function fieldRules(schema: Schema | undefined, transforms: FittedTransforms): FieldRule[] {
  const rules = new Map<string, FieldRule>();
  for (const [name, f] of Object.entries(schema?.features ?? {})) {
    if (f.deprecated) continue;
    const always = isExpected(schema!, f, SERVING) && (f.presence?.min_fraction ?? 0) >= 1;
    rules.set(name, { name, kind: f.type, source: 'schema', required: always, nonNull: always, why: 'the schema expects it in every SERVING example: presence.min_fraction 1', list: isList(f), input: false });
  }
  for (const f of transforms.features) {
    const r = rules.get(f.name);
    const domain = f.kind === 'one_hot' || f.kind === 'vocabulary' ? { values: new Set(f.values), oov: f.oovBuckets > 0 ? ('hashed' as const) : ('all_zeros' as const) } : undefined;
    const base = { ...(domain ? { domain } : {}), input: true, required: true };
    // An input may be null when the schema allows gaps (the transform imputes), never absent.
    if (r) rules.set(f.name, { ...r, ...base, why: r.nonNull ? r.why : 'the model reads it; send null for an unknown value' });
    else rules.set(f.name, { name: f.name, kind: f.type ?? kindOf(f), source: f.type ? 'transform.json' : 'transform', nonNull: false, why: 'the model reads it; send null for an unknown value', list: false, ...base });
  }
  return [...rules.values()];
}

/** What a transform reads, for transform.json written before input types were recorded. */
function kindOf(f: FittedFeature): ValueKind {
  switch (f.kind) {
    case 'one_hot':
    case 'vocabulary':
      return 'category';
    case 'date_parts':
      return 'timestamp';
    default:
      return 'number';
  }
}

function isList(f: FeatureSchema): boolean {
  return f.value_count !== undefined && (f.value_count.max === undefined || f.value_count.max > 1);
}

const ARTICLE: Record<ValueKind, string> = {
  int: 'an int',
  float: 'a float',
  string: 'a string',
  bool: 'a bool (true or false)',
  timestamp: 'a timestamp (ISO 8601 date or time string)',
  number: 'a number',
  category: 'a category (string, number or bool)',
};

function sourceOf(r: FieldRule): string {
  return r.source === 'schema' ? `schema type ${r.kind}` : r.source === 'transform.json' ? `input type ${r.kind} in transform.json` : `its transform reads ${r.kind === 'number' ? 'numbers' : r.kind === 'category' ? 'categories' : 'dates'}`;
}

function typeProblem(r: FieldRule, v: unknown, fromText: boolean): string | undefined {
  if (Array.isArray(v)) {
    if (!r.list) return `expected ${ARTICLE[r.kind]} (${sourceOf(r)}), got a list`;
    for (const x of v) {
      const p = x === null ? undefined : scalarProblem(r, x, fromText);
      if (p) return `list value ${p}`;
    }
    return undefined;
  }
  return scalarProblem(r, v, fromText);
}

const NUMERIC_TEXT = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

function scalarProblem(r: FieldRule, v: unknown, fromText: boolean): string | undefined {
  return scalarFits(r.kind, v, fromText) ? undefined : `expected ${ARTICLE[r.kind]} (${sourceOf(r)}), got ${describe(v)}`;
}

let lastTimestamp: string | undefined;

function scalarFits(kind: ValueKind, v: unknown, fromText: boolean): boolean {
  if (typeof v === 'bigint') v = Number(v);
  if (fromText && typeof v === 'string') {
    // A CSV column DuckDB could not type as a whole: each cell is judged by its text.
    if (kind === 'int' || kind === 'float' || kind === 'number') v = NUMERIC_TEXT.test(v) ? Number(v) : v;
    else if (kind === 'bool') v = v === 'true' ? true : v === 'false' ? false : v;
  }
  switch (kind) {
    case 'int':
      return typeof v === 'number' && Number.isInteger(v);
    case 'float':
      return typeof v === 'number';
    case 'number':
      return typeof v === 'number' || typeof v === 'boolean';
    case 'bool':
      return typeof v === 'boolean';
    case 'string':
      return typeof v === 'string';
    case 'category':
      return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
    case 'timestamp':
      if (typeof v === 'string' && v === lastTimestamp) return true;
      if (!((typeof v === 'string' || typeof v === 'number' || v instanceof Date) && toDate(v) !== null)) return false;
      // Requests in a row tend to carry the same date: remember the last good one (parsing a date is the costliest check).
      if (typeof v === 'string') lastTimestamp = v;
      return true;
  }
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  switch (typeof v) {
    case 'string':
      return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
    case 'number':
      return `the number ${v}`;
    case 'boolean':
      return `the bool ${v}`;
    case 'object':
      return 'an object';
    default:
      return typeof v;
  }
}
