/**
 * Reading and writing `*.schema.yaml`. Reading reports every problem at its line and key (the
 * language server shows the same issues in the file); writing lays the schema out for people,
 * with comments where inference made a choice, and never replaces a file half way or by accident.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Document, type Node, type Pair, type YAMLMap } from 'yaml';
import jsonSchema from '../../../schemas/schema.schema.json';
import { badInput } from '../errors';
import type { FeatureSchema, Schema } from './types';

export type SchemaPath = (string | number)[];

/** A problem in a schema file, positioned for an editor (1-based lines and columns, 0-based offsets). */
export interface SchemaIssue {
  severity: 'error' | 'warning';
  message: string;
  /** The key path, e.g. ['features', 'mother_age', 'range', 'min']. */
  path: SchemaPath;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  offset: number;
  endOffset: number;
}

export interface ParsedSchema {
  /** Set when there are no error-severity issues. */
  schema?: Schema;
  issues: SchemaIssue[];
}

const validators = new Map<object, ReturnType<Ajv['compile']>>();
function validatorFor(schema: object): ReturnType<Ajv['compile']> {
  let v = validators.get(schema);
  // verbose: errors carry their parent schema, which lists the keys a misspelt one could be.
  if (!v) validators.set(schema, (v = new Ajv({ allErrors: true, verbose: true, strict: false }).compile(schema)));
  return v;
}

/**
 * YAML text checked against a JSON Schema: syntax errors, then schema violations, each at its
 * line and key. `value` is set when both pass. Used for *.schema.yaml and prodml.yaml alike.
 */
export function checkYaml(text: string, against: object, what = 'file'): { value?: unknown; issues: SchemaIssue[]; doc: Document; lines: LineCounter } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number, endOffset: number) => position(lines, offset, endOffset);
  const issues: SchemaIssue[] = doc.errors.map((e) => ({
    severity: 'error' as const,
    message: e.message.split('\n')[0] ?? e.message,
    path: [],
    ...at(e.pos[0], e.pos[1]),
  }));
  if (issues.length > 0) return { issues, doc, lines };
  if (doc.contents === null) return { issues: [{ severity: 'error', message: `the ${what} is empty`, path: [], ...at(0, 0) }], doc, lines };
  const value: unknown = doc.toJS();
  const check = validatorFor(against);
  if (!check(value)) {
    for (const e of check.errors ?? []) issues.push(ajvIssue(doc, lines, e));
    return { issues: dedupe(issues), doc, lines };
  }
  return { value, issues, doc, lines };
}

/** Parses schema text: YAML syntax, then the JSON Schema, then rules JSON Schema cannot say. */
export function parseSchema(text: string): ParsedSchema {
  if (text.trim() === '') return { issues: [{ severity: 'error', message: 'the schema is empty; it needs at least a "features" map', path: [], line: 1, column: 1, endLine: 1, endColumn: 1, offset: 0, endOffset: 0 }] };
  const { value, issues, doc, lines } = checkYaml(text, jsonSchema, 'schema');
  if (value === undefined) return { issues };
  const at = (offset: number, endOffset: number) => position(lines, offset, endOffset);
  const schema = value as Schema;
  for (const s of semanticIssues(schema)) {
    const [offset, endOffset] = spanOf(doc, s.path, s.onKey ?? false);
    issues.push({ severity: s.severity, message: `${dotted(s.path)}: ${s.message}`, path: s.path, ...at(offset, endOffset) });
  }
  return issues.some((i) => i.severity === 'error') ? { issues } : { schema, issues };
}

/** Reads a schema file; a ProdmlError (exit 2) lists each problem as `file:line:column: message`. */
export async function readSchema(file: string): Promise<Schema> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw badInput(file, code === 'ENOENT' ? 'schema file not found' : code === 'EISDIR' ? 'is a directory, not a schema file' : `cannot read: ${(e as Error).message}`);
  }
  const { schema, issues } = parseSchema(text);
  const errors = issues.filter((i) => i.severity === 'error');
  if (!schema || errors.length > 0) {
    const shown = errors.slice(0, 10).map((i) => `${file}:${i.line}:${i.column}: ${i.message}`);
    if (errors.length > shown.length) shown.push(`... and ${errors.length - shown.length} more`);
    throw badInput(undefined, `invalid schema ${file}:\n  ${shown.join('\n  ')}`);
  }
  return schema;
}

/**
 * Where a key path sits in schema text (1-based line and column of the key, or of the nearest
 * parent that exists): what a diagnostic about a feature points at when the data has no lines.
 */
export function locateKey(text: string, p: SchemaPath): { line: number; column: number } | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0) return undefined;
  const [offset] = spanOf(doc, p, true);
  const pos = lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}

// ---------------------------------------------------------------------------------------------
// Positions

function position(lines: LineCounter, offset: number, endOffset: number) {
  const a = lines.linePos(offset);
  const b = lines.linePos(Math.max(offset, endOffset));
  return { line: a.line, column: a.col, endLine: b.line, endColumn: b.col, offset, endOffset: Math.max(offset, endOffset) };
}

/** The text span of the node at `p` (or of its key), falling back to the nearest existing parent. */
function spanOf(doc: Document, p: SchemaPath, onKey: boolean): [number, number] {
  for (let n = p.length; n >= 0; n--) {
    const sub = p.slice(0, n);
    const useKey = onKey || n < p.length;
    if (useKey && n > 0) {
      const key = pairOf(doc, sub)?.key;
      if (key && isNodeWithRange(key)) return [key.range[0], key.range[1]];
    }
    const node = sub.length === 0 ? doc.contents : doc.getIn(sub, true);
    if (isNodeWithRange(node)) return [node.range[0], node.range[1]];
  }
  return [0, 0];
}

function pairOf(doc: Document, p: SchemaPath): Pair | undefined {
  const parent = p.length === 1 ? doc.contents : doc.getIn(p.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  const last = p[p.length - 1];
  return (parent as YAMLMap).items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(last));
}

function isNodeWithRange(n: unknown): n is Node & { range: [number, number, number] } {
  return typeof n === 'object' && n !== null && Array.isArray((n as { range?: unknown }).range);
}

function dotted(p: SchemaPath): string {
  return p.length === 0 ? '(top level)' : p.map((s) => (typeof s === 'number' ? `[${s}]` : s)).join('.').replace(/\.\[/g, '[');
}

// ---------------------------------------------------------------------------------------------
// JSON Schema errors, said the way a person fixing the file needs them

function ajvIssue(doc: Document, lines: LineCounter, e: ErrorObject): SchemaIssue {
  const p: SchemaPath = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s, i, all) => (isSeq(doc.getIn(all.slice(0, i), true)) ? Number(s) : s));
  let target = p;
  let onKey = false;
  let message: string;
  const got = (v: unknown) => (v === undefined ? '' : ` (got ${JSON.stringify(v)})`);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const hint = closest(key, allowed);
      target = [...p, key];
      onKey = true;
      message = `unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : allowed.length ? `; allowed: ${allowed.join(', ')}` : ''}`;
      break;
    }
    case 'required':
      onKey = true;
      message = `missing required key "${(e.params as { missingProperty: string }).missingProperty}"`;
      break;
    case 'enum':
      message = `must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues).join(', ')}${got(e.data)}`;
      break;
    case 'type':
      message = `must be ${article((e.params as { type: string }).type)}${got(e.data)}`;
      break;
    case 'minimum':
    case 'maximum':
      message = `must be ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${(e.params as { limit: number }).limit}${got(e.data)}`;
      break;
    case 'pattern':
      message = `must be an upper-case environment name such as TRAINING or SERVING${got(e.data)}`;
      break;
    case 'uniqueItems':
      message = `lists a value twice (items ${(e.params as { i: number; j: number }).j + 1} and ${(e.params as { i: number }).i + 1})`;
      break;
    case 'minProperties':
      message = 'must not be empty';
      break;
    default:
      message = e.message ?? 'is invalid';
  }
  const [offset, endOffset] = spanOf(doc, target, onKey);
  return { severity: 'error', message: `${dotted(target)}: ${message}`, path: target, ...position(lines, offset, endOffset) };
}

function article(type: string): string {
  return type === 'integer' ? 'an integer' : type === 'object' ? 'a map of keys' : type === 'array' ? 'a list' : `a ${type}`;
}

/** The allowed key a typo most likely meant (edit distance at most 2). */
function closest(key: string, allowed: string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const a of allowed) {
    const d = editDistance(key.toLowerCase(), a);
    if (d < bestD) [best, bestD] = [a, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

function dedupe(issues: SchemaIssue[]): SchemaIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.offset}:${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// Rules JSON Schema cannot say

interface SemanticIssue {
  severity: 'error' | 'warning';
  path: SchemaPath;
  message: string;
  onKey?: boolean;
}

function semanticIssues(schema: Schema): SemanticIssue[] {
  const out: SemanticIssue[] = [];
  const minMax = (p: SchemaPath, v: { min?: number; max?: number } | undefined) => {
    if (v?.min !== undefined && v.max !== undefined && v.min > v.max) {
      out.push({ severity: 'error', path: [...p, 'min'], message: `min (${v.min}) is greater than max (${v.max})` });
    }
  };
  minMax(['num_examples'], schema.num_examples);
  const envs = new Set(schema.default_environments ?? []);
  for (const [name, f] of Object.entries(schema.features)) {
    const p = ['features', name];
    minMax([...p, 'range'], f.range);
    minMax([...p, 'value_count'], f.value_count);
    if (f.domain && f.type !== 'string') {
      out.push({ severity: 'error', path: [...p, 'domain'], onKey: true, message: `a domain lists string values, but this feature is ${f.type}${f.type === 'int' || f.type === 'float' ? '; use range' : ''}` });
    }
    if (f.range && f.type !== 'int' && f.type !== 'float') {
      out.push({ severity: 'error', path: [...p, 'range'], onKey: true, message: `a range bounds numbers, but this feature is ${f.type}${f.type === 'string' ? '; use domain' : ''}` });
    }
    if (f.min_domain_mass !== undefined && !f.domain) {
      out.push({ severity: 'warning', path: [...p, 'min_domain_mass'], onKey: true, message: 'has no effect without a domain' });
    }
    if (f.environments && f.not_in) {
      out.push({ severity: 'error', path: [...p, 'not_in'], onKey: true, message: 'give either environments or not_in, not both' });
    }
    for (const key of ['environments', 'not_in'] as const) {
      (f[key] ?? []).forEach((env, i) => {
        if (envs.size > 0 && !envs.has(env)) {
          out.push({ severity: 'warning', path: [...p, key, i], message: `"${env}" is not in default_environments (${[...envs].join(', ')})` });
        }
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Comments a writer attaches: file header lines, and one comment per key path. */
export interface SchemaNotes {
  header?: string[];
  /** Shown after the key, e.g. `range: # widened 10% ...`. */
  keys?: Array<{ path: SchemaPath; comment: string }>;
  /** Shown after a value on its line, e.g. `- White # 51%`. */
  values?: Array<{ path: SchemaPath; comment: string }>;
}

const FEATURE_KEY_ORDER: (keyof FeatureSchema)[] = [
  'type', 'description', 'deprecated', 'environments', 'not_in', 'presence', 'value_count',
  'domain', 'min_domain_mass', 'range', 'drift', 'skew',
];

/** The schema as YAML a person can read: fixed key order, thresholds inline, domains one value a line. */
export function schemaToYaml(schema: Schema, notes: SchemaNotes = {}): string {
  const ordered: Record<string, unknown> = {};
  if (schema.num_examples) ordered['num_examples'] = schema.num_examples;
  if (schema.default_environments) ordered['default_environments'] = schema.default_environments;
  const features: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(schema.features)) {
    const o: Record<string, unknown> = {};
    for (const k of FEATURE_KEY_ORDER) if (f[k] !== undefined) o[k] = f[k];
    features[name] = o;
  }
  ordered['features'] = features;

  const doc = new Document(ordered);
  if (notes.header?.length) doc.commentBefore = notes.header.map((l) => ` ${l}`).join('\n');
  const flow = (n: unknown) => {
    if (isMap(n) || isSeq(n)) n.flow = true;
  };
  flow(doc.getIn(['default_environments'], true));
  for (const [name, f] of Object.entries(schema.features)) {
    for (const key of ['environments', 'not_in', 'range', 'value_count', 'presence'] as const) flow(doc.getIn(['features', name, key], true));
    for (const key of ['drift', 'skew'] as const) {
      for (const m of Object.keys(f[key] ?? {})) flow(doc.getIn(['features', name, key, m], true));
    }
  }
  for (const { path: p, comment } of notes.keys ?? []) {
    const pair = pairOf(doc, p);
    // After a flow value on the same line: a comment after the key would push the value down.
    const target = (isMap(pair?.value) || isSeq(pair?.value)) && pair.value.flow ? pair.value : pair?.key;
    if (isScalar(target) || isMap(target) || isSeq(target)) target.comment = ` ${comment}`;
  }
  for (const { path: p, comment } of notes.values ?? []) {
    const node = doc.getIn(p, true);
    if (isScalar(node) || isMap(node) || isSeq(node)) node.comment = ` ${comment}`;
  }
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
