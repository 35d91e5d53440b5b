/**
 * Checks a :predict body against the served version's schema in the SERVING environment and
 * the model's inputs. Only what makes a request unanswerable or wrong is refused: a missing
 * field the schema requires in every example or the model reads, a value of the wrong type, a
 * body that is not `{"instances": [objects]}`. Values out of range or domain are answered and
 * logged: they are drift, which monitoring should see, not hide behind 400s. Extra fields pass.
 */
import { toDate } from '../features/apply';
import { SERVING, type FeatureSchema, type FeatureType, type Schema } from '../schema/types';
import { isExpected } from '../schema/validate';

export type InstanceRule = 'bad_body' | 'empty_instances' | 'not_object' | 'missing_field' | 'wrong_type';

export interface InstanceProblem {
  /** Index in `instances`, absent when the body as a whole is wrong. */
  instance?: number;
  field?: string;
  rule: InstanceRule;
  message: string;
}

interface FieldRule {
  name: string;
  /** Absent for a model input the schema does not describe: then any scalar goes. */
  type?: FeatureType;
  /** Must be present (absent is refused). */
  required: boolean;
  /** Must be present and not null (the schema's presence.min_fraction is 1). */
  nonNull: boolean;
  why: string;
  list: boolean;
}

export interface InstanceChecker {
  /** The instances of a `{"instances": [...]}` body, or what is wrong with the body as a whole. */
  body(body: unknown): Record<string, unknown>[] | InstanceProblem;
  /** What is wrong with instance `i`, if anything. */
  instance(row: unknown, i: number): InstanceProblem | undefined;
}

export function isProblem(x: unknown): x is InstanceProblem {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && 'rule' in x;
}

/** A checker for one version: its schema snapshot (if any) and the raw inputs its transforms read. */
export function instanceChecker(schema: Schema | undefined, inputs: readonly string[]): InstanceChecker {
  const rules = fieldRules(schema, inputs);
  return {
    body(body) {
      if (!body || typeof body !== 'object' || Array.isArray(body) || !Array.isArray((body as { instances?: unknown }).instances)) {
        return { rule: 'bad_body', message: 'the body must be a JSON object {"instances": [{...}, ...]} with one object per row to score' };
      }
      const instances = (body as { instances: unknown[] }).instances;
      if (instances.length === 0) return { rule: 'empty_instances', message: '"instances" is empty: send at least one row to score' };
      return instances as Record<string, unknown>[];
    },
    instance(inst, i) {
      if (!inst || typeof inst !== 'object' || Array.isArray(inst)) {
        return { instance: i, rule: 'not_object', message: `instances[${i}]: must be an object of field values (got ${describe(inst)})` };
      }
      const row = inst as Record<string, unknown>;
      for (const r of rules) {
        const v = row[r.name];
        if (v === undefined || v === null) {
          if (r.nonNull || (v === undefined && r.required)) {
            return { instance: i, field: r.name, rule: 'missing_field', message: `instances[${i}]: missing required field "${r.name}" (${r.why})${v === null ? '; it is null' : ''}` };
          }
          continue;
        }
        const bad = typeProblem(r, v);
        if (bad) return { instance: i, field: r.name, rule: 'wrong_type', message: `instances[${i}].${r.name}: ${bad}` };
      }
      return undefined;
    },
  };
}

function fieldRules(schema: Schema | undefined, inputs: readonly string[]): FieldRule[] {
  const rules = new Map<string, FieldRule>();
  for (const [name, f] of Object.entries(schema?.features ?? {})) {
    if (!isExpected(schema!, f, SERVING)) continue;
    const always = (f.presence?.min_fraction ?? 0) >= 1;
    rules.set(name, { name, type: f.type, required: always, nonNull: always, why: 'the schema expects it in every SERVING example: presence.min_fraction 1', list: isList(f) });
  }
  for (const name of inputs) {
    const r = rules.get(name);
    // An input may be null when the schema allows gaps (the transform imputes), never absent.
    if (r) rules.set(name, { ...r, required: true, why: r.nonNull ? r.why : 'the model reads it; send null for an unknown value' });
    else rules.set(name, { name, required: true, nonNull: false, why: 'the model reads it; send null for an unknown value', list: false });
  }
  return [...rules.values()];
}

function isList(f: FeatureSchema): boolean {
  return f.value_count !== undefined && (f.value_count.max === undefined || f.value_count.max > 1);
}

const ARTICLE: Record<FeatureType, string> = { int: 'an int', float: 'a float', string: 'a string', bool: 'a bool (true or false)', timestamp: 'a timestamp (ISO 8601 date or time string)' };

function typeProblem(r: FieldRule, v: unknown): string | undefined {
  if (Array.isArray(v)) {
    if (!r.list) return `expected ${r.type ? ARTICLE[r.type] : 'a single value'}, got a list`;
    for (const x of v) {
      const p = x === null ? undefined : scalarProblem(r.type, x);
      if (p) return `list value ${p}`;
    }
    return undefined;
  }
  return scalarProblem(r.type, v);
}

function scalarProblem(type: FeatureType | undefined, v: unknown): string | undefined {
  const want = type ? ARTICLE[type] : 'a number, string or bool';
  const got = `expected ${want} (schema type ${type ?? 'any scalar'}), got ${describe(v)}`;
  switch (type) {
    case undefined:
      return typeof v === 'object' ? got : undefined;
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) ? undefined : got;
    case 'float':
      return typeof v === 'number' && Number.isFinite(v) ? undefined : got;
    case 'bool':
      return typeof v === 'boolean' ? undefined : got;
    case 'string':
      return typeof v === 'string' ? undefined : got;
    case 'timestamp':
      return (typeof v === 'string' || typeof v === 'number') && toDate(v) !== null ? undefined : got;
  }
}

function describe(v: unknown): string {
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
