/**
 * Schema fixes for data anomalies: the "this change is intended" answers a quick fix offers.
 * Each edits the schema YAML through the yaml Document model, so comments and layout survive.
 */
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import type { Anomaly } from './types';

export type SchemaFix =
  | { kind: 'add_to_domain'; feature: string; values: string[] }
  | { kind: 'widen_range'; feature: string; min?: number; max?: number }
  | { kind: 'lower_min_fraction'; feature: string; minFraction: number }
  | { kind: 'deprecate'; feature: string }
  | { kind: 'add_feature'; feature: string; type: string };

export function fixTitle(f: SchemaFix): string {
  switch (f.kind) {
    case 'add_to_domain':
      return `Add ${f.values.map((v) => `'${v}'`).join(', ')} to the domain of ${f.feature}`;
    case 'widen_range':
      return `Widen the range of ${f.feature} to ${[f.min !== undefined ? `min ${f.min}` : '', f.max !== undefined ? `max ${f.max}` : ''].filter(Boolean).join(' and ')}`;
    case 'lower_min_fraction':
      return `Lower presence.min_fraction of ${f.feature} to ${f.minFraction}`;
    case 'deprecate':
      return `Mark ${f.feature} deprecated (stop checking it)`;
    case 'add_feature':
      return `Accept the new column ${f.feature} (add it to the schema as ${f.type})`;
  }
}

/** The fixes that would make an anomaly go away, most specific first. */
export function fixesFor(a: Anomaly): SchemaFix[] {
  const feature = a.feature;
  if (!feature) return [];
  const fixes: SchemaFix[] = [];
  const examples = (a.examples ?? []).map((e) => e.value);
  switch (a.type) {
    case 'out_of_domain': {
      const values = examples.length > 0 ? examples : typeof a.value === 'string' ? [a.value] : [];
      if (values.length > 0) fixes.push({ kind: 'add_to_domain', feature, values });
      break;
    }
    case 'out_of_range': {
      const nums = [...examples, a.value].map((v) => Number(v)).filter((v) => Number.isFinite(v));
      if (nums.length > 0) {
        const lo = Math.min(...nums);
        const hi = Math.max(...nums);
        fixes.push({ kind: 'widen_range', feature, ...(a.threshold !== undefined && lo < a.threshold ? { min: lo } : {}), ...(a.threshold === undefined || hi > a.threshold ? { max: hi } : {}) });
      }
      break;
    }
    case 'low_presence':
      if (typeof a.value === 'number') fixes.push({ kind: 'lower_min_fraction', feature, minFraction: Math.floor(a.value * 100) / 100 });
      break;
    case 'new_column':
      fixes.push({ kind: 'add_feature', feature, type: typeof a.value === 'string' && /^(int|float|string|bool|timestamp)$/.test(a.value) ? a.value : 'string' });
      return fixes;
  }
  fixes.push({ kind: 'deprecate', feature });
  return fixes;
}

/** The schema text with the fix applied. */
export function applyFix(schemaText: string, fix: SchemaFix): string {
  const doc = parseDocument(schemaText);
  const at = ['features', fix.feature];
  switch (fix.kind) {
    case 'add_to_domain': {
      const seq = doc.getIn([...at, 'domain'], true);
      if (isSeq(seq)) {
        const have = new Set(seq.items.map((i) => String((i as { value?: unknown }).value ?? i)));
        for (const v of fix.values) if (!have.has(v)) seq.add(doc.createNode(v));
      } else doc.setIn([...at, 'domain'], fix.values);
      break;
    }
    case 'widen_range':
      if (fix.min !== undefined) doc.setIn([...at, 'range', 'min'], fix.min);
      if (fix.max !== undefined) doc.setIn([...at, 'range', 'max'], fix.max);
      break;
    case 'lower_min_fraction':
      doc.setIn([...at, 'presence', 'min_fraction'], fix.minFraction);
      break;
    case 'deprecate':
      doc.setIn([...at, 'deprecated'], true);
      break;
    case 'add_feature':
      ensureFeatures(doc);
      doc.setIn(at, doc.createNode({ type: fix.type }));
      break;
  }
  return doc.toString();
}

function ensureFeatures(doc: Document): void {
  if (!isMap(doc.get('features', true))) doc.set('features', doc.createNode({}));
}
