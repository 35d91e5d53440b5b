/**
 * The per-feature checks of a batch against its schema: presence, type, domain, range and value
 * count, all counted in one aggregate query over the batch, then the first offending rows of
 * each (feature, check) fetched with their row ids; plus DuckDB's rejects of a CSV read with the
 * schema's types (cast failures and broken lines). Findings are turned into anomalies by
 * validate.ts, which also caps them.
 */
import { fmtPct } from '../report/format';
import type { DuckSession } from '../data/duckdb';
import { sqlIdent, sqlString } from '../data/duckdb';
import { featureTypeOf } from '../data/profile';
import { listElementType, typedValue, type Batch, type BatchFile } from './loadBatch';
import { splitCsvLine } from './lineIndex';
import type { Anomaly, AnomalyExample, AnomalyType, FeatureSchema, Severity } from './types';

/** One offending cell or line. */
export interface RowFinding {
  file: Pick<BatchFile, 'path' | 'display'>;
  line?: number;
  row?: number;
  column?: number;
  value?: string;
  description: string;
}

/** All offending cells of one (feature, anomaly type): a total, the first few, the common values. */
export interface FindingGroup {
  feature: string | null;
  type: AnomalyType;
  severity: Severity;
  total: number;
  findings: RowFinding[];
  /** Says what the whole group means, for the summary anomaly. */
  summary: string;
  examples?: AnomalyExample[];
  value?: number;
  threshold?: number;
}

export interface CheckResult {
  /** Column-level anomalies (low presence, a column of the wrong type). */
  anomalies: Anomaly[];
  groups: FindingGroup[];
}

type Kind = 'type' | 'domain' | 'range' | 'count';
const KIND_TYPE: Record<Kind, AnomalyType> = { type: 'type_mismatch', domain: 'out_of_domain', range: 'out_of_range', count: 'value_count' };

interface Plan {
  name: string;
  f: FeatureSchema;
  ident: string;
  column: number;
  /** SQL of the value as the schema's type (a list for list features); undefined when the column's type cannot be one. */
  typed?: string;
  conditions: Partial<Record<Kind, string>>;
}

const EXAMPLES = 10;

export async function featureChecks(session: DuckSession, batch: Batch, features: [string, FeatureSchema][], maxRows: number): Promise<CheckResult> {
  const anomalies: Anomaly[] = [];
  const plans: Plan[] = [];
  for (const [name, f] of features) {
    const col = batch.column(name);
    if (!col) continue;
    const plan = planFeature(batch, name, f, col.index, col.duckdbType);
    if (plan.typed === undefined) {
      anomalies.push({
        feature: name,
        type: 'type_mismatch',
        severity: 'error',
        description: `${name} holds ${col.duckdbType} values in the data; the schema says ${f.type}`,
        value: col.duckdbType,
        ...headerAt(batch, col.index),
      });
    }
    plans.push(plan);
  }
  if (plans.length === 0 || batch.rows === 0) return { anomalies, groups: [] };

  const select: string[] = [];
  plans.forEach((p, i) => {
    select.push(`count(${p.ident}) AS p${i}`);
    if (p.typed !== undefined && p.conditions.domain) select.push(`count(${p.typed}) AS t${i}`);
    for (const [kind, cond] of Object.entries(p.conditions)) select.push(`count_if(${cond}) AS ${kind}${i}`);
  });
  const counts = (await session.rows(`SELECT ${select.join(',\n  ')} FROM ${batch.raw}`))[0] ?? {};

  const groups: FindingGroup[] = [];
  for (const [i, p] of plans.entries()) {
    const present = Number(counts[`p${i}`] ?? 0);
    const minFraction = p.f.presence?.min_fraction;
    if (minFraction !== undefined && present / batch.rows < minFraction) {
      const fraction = present / batch.rows;
      anomalies.push({
        feature: p.name,
        type: 'low_presence',
        // An error like drift: min_fraction is a stated limit, and missing values silently
        // become imputed defaults downstream.
        severity: 'error',
        description: `${p.name} has a value in ${pct(fraction)} of rows, below the ${pct(minFraction)} the schema requires (${fmtInt(batch.rows - present)} of ${fmtInt(batch.rows)} missing)`,
        value: fraction,
        threshold: minFraction,
        ...headerAt(batch, p.column),
      });
    }
    for (const [kind, cond] of Object.entries(p.conditions) as [Kind, string][]) {
      const total = Number(counts[`${kind}${i}`] ?? 0);
      if (total === 0) continue;
      groups.push(await rowGroup(session, batch, p, kind, cond, total, Number(counts[`t${i}`] ?? 0), maxRows));
    }
  }
  return { anomalies, groups };
}

function planFeature(batch: Batch, name: string, f: FeatureSchema, column: number, rawType: string): Plan {
  const ident = sqlIdent(name);
  const elem = listElementType(rawType);
  const conditions: Partial<Record<Kind, string>> = {};
  let typed: string | undefined;
  if (elem !== undefined) {
    const x = typedValue('x', elem, f.type);
    typed = x === undefined ? undefined : `list_transform(${ident}, x -> ${x})`;
    if (typed) {
      if (elem === 'VARCHAR' || elem === 'JSON') conditions.type = `coalesce(list_bool_or(list_transform(${ident}, x -> x IS NOT NULL AND (${x}) IS NULL)), false)`;
      const any = (pred: string) => `coalesce(list_bool_or(list_transform(${typed}, x -> ${pred})), false)`;
      if (f.type === 'string' && f.domain) conditions.domain = any(notInDomain('x', f.domain));
      if (f.range && (f.type === 'int' || f.type === 'float')) conditions.range = any(outOfRange('x', f.range));
    }
    if (f.value_count) conditions.count = `${ident} IS NOT NULL AND ${outOfRange(`len(${ident})`, f.value_count)}`;
    return { name, f, ident, column, typed, conditions };
  }
  typed = typedValue(ident, rawType, f.type);
  if (typed === undefined) return { name, f, ident, column, conditions };
  if (!batch.textual) {
    const raw = featureTypeOf(rawType);
    const lossy = rawType === 'VARCHAR' || rawType === 'JSON' || (f.type === 'int' && raw === 'float') || (f.type === 'bool' && raw === 'int');
    if (lossy) conditions.type = `${ident} IS NOT NULL AND (${typed}) IS NULL`;
  } else if (batch.castInSql.has(name)) {
    conditions.type = `${ident} IS NOT NULL AND (${typed}) IS NULL`;
  } else if (f.type === 'int') {
    // DuckDB's CSV reader rounds '1.5' into a BIGINT instead of rejecting it; catch what it let through.
    conditions.type = `${ident} IS NOT NULL AND NOT regexp_full_match(trim(${ident}), '[+-]?[0-9]+') AND TRY_CAST(trim(${ident}) AS BIGINT) IS NOT NULL`;
  }
  if (f.type === 'string' && f.domain) conditions.domain = `(${typed}) IS NOT NULL AND ${notInDomain(`(${typed})`, f.domain)}`;
  if (f.range && (f.type === 'int' || f.type === 'float')) conditions.range = `(${typed}) IS NOT NULL AND ${outOfRange(`(${typed})`, f.range)}`;
  if (f.value_count) conditions.count = `${ident} IS NOT NULL AND ${outOfRange('1', f.value_count)}`;
  return { name, f, ident, column, typed, conditions };
}

function notInDomain(x: string, domain: string[]): string {
  return domain.length === 0 ? 'true' : `${x} NOT IN (${domain.map(sqlString).join(', ')})`;
}

function outOfRange(x: string, r: { min?: number; max?: number }): string {
  const parts: string[] = [];
  if (r.min !== undefined) parts.push(`${x} < ${r.min}`);
  if (r.max !== undefined) parts.push(`${x} > ${r.max}`);
  return parts.length ? `(${parts.join(' OR ')})` : 'false';
}

async function rowGroup(
  session: DuckSession,
  batch: Batch,
  p: Plan,
  kind: Kind,
  cond: string,
  total: number,
  typedCount: number,
  maxRows: number,
): Promise<FindingGroup> {
  const rawType = batch.column(p.name)?.duckdbType;
  const text = rawType === 'JSON' ? `coalesce(${p.ident} ->> '$', ${p.ident}::VARCHAR)` : `${p.ident}::VARCHAR`;
  const firstRows = await session.rows(`SELECT rowid AS rid, ${text} AS v FROM ${batch.raw} WHERE ${cond} ORDER BY rowid LIMIT ${maxRows}`);
  const common = await session.rows(commonValuesSql(batch, p, rawType, text, cond));
  const findings: RowFinding[] = [];
  for (const r of firstRows) {
    const at = await rowAt(batch, Number(r['rid']));
    if (!at) continue;
    const value = String(r['v']);
    findings.push({ ...at, column: p.column, value, description: cellDescription(p, kind, value) });
  }
  const examples: AnomalyExample[] = [];
  for (const r of common) {
    const at = await rowAt(batch, Number(r['rid']));
    examples.push({ value: String(r['v']), count: Number(r['n']), ...(at?.line !== undefined ? { line: at.line } : {}), ...(at?.row !== undefined ? { row: at.row } : {}) });
  }
  const shown = examplesText(examples);
  const share = pct(total / batch.rows);
  let severity: Severity = 'error';
  let summary: string;
  let value: number | undefined;
  let threshold: number | undefined;
  switch (kind) {
    case 'type':
      summary = `${fmtInt(total)} values of ${p.name} (${share} of rows) are not ${article(p.f.type)}: ${shown}`;
      break;
    case 'domain': {
      const mass = typedCount > 0 ? 1 - total / typedCount : 0;
      const minMass = p.f.min_domain_mass ?? 1;
      // Values outside the domain are errors only when they take more mass than the schema allows.
      severity = mass < minMass ? 'error' : 'warning';
      value = mass;
      threshold = minMass;
      summary =
        `${fmtInt(total)} values of ${p.name} (${share} of rows) are not in its domain: ${shown}` +
        (minMass < 1 ? `; ${pct(mass)} of values are in the domain, ${severity === 'error' ? 'below' : 'within'} min_domain_mass ${pct(minMass)}` : '');
      break;
    }
    case 'range':
      summary = `${fmtInt(total)} values of ${p.name} (${share} of rows) are outside ${rangeText(p.f.range!)}: ${shown}`;
      break;
    case 'count':
      summary = `${fmtInt(total)} rows of ${p.name} hold ${valueCountText(p.f.value_count!)}`;
      break;
  }
  return { feature: p.name, type: KIND_TYPE[kind], severity, total, findings, summary, examples, value, threshold };
}

/**
 * The most common offending values, as text. A scalar column is grouped by its own values, not
 * their text: at 100M rows of distinct values, fixed-width keys spill to disk where strings ran
 * DuckDB out of memory. Distinct values have distinct texts, except 0 and -0, which group
 * together but print apart: zeros are grouped by their text as well.
 */
function commonValuesSql(batch: Batch, p: Plan, rawType: string | undefined, text: string, cond: string): string {
  const byText = `SELECT ${text} AS v, count(*) AS n, min(rowid) AS rid FROM ${batch.raw} WHERE ${cond} GROUP BY 1 ORDER BY n DESC, v LIMIT ${EXAMPLES}`;
  if (rawType === undefined || rawType === 'JSON' || rawType === 'VARCHAR' || rawType.endsWith('[]') || /^(STRUCT|MAP|UNION)/.test(rawType)) return byText;
  const float = /^(FLOAT|DOUBLE|REAL|DECIMAL)/.test(rawType);
  const zero = float ? `, CASE WHEN ${p.ident} = 0 THEN ${p.ident}::VARCHAR END` : ', NULL';
  return (
    `SELECT coalesce(z, x::VARCHAR) AS v, n, rid FROM (SELECT ${p.ident} AS x${zero} AS z, count(*) AS n, min(rowid) AS rid FROM ${batch.raw} WHERE ${cond} GROUP BY ALL) ` +
    `ORDER BY n DESC, v LIMIT ${EXAMPLES}`
  );
}

function cellDescription(p: Plan, kind: Kind, value: string): string {
  switch (kind) {
    case 'type':
      return `${quote(value)} is not ${article(p.f.type)} (${p.name})`;
    case 'domain':
      return `${quote(value)} is not in the domain of ${p.name}`;
    case 'range':
      return `${value} is outside ${rangeText(p.f.range!)} for ${p.name}`;
    case 'count':
      return `${p.name} is ${value}; the schema expects ${valueCountText(p.f.value_count!)}`;
  }
}

async function rowAt(batch: Batch, rowid: number): Promise<{ file: BatchFile; line?: number; row: number } | undefined> {
  const at = batch.locateRow(rowid);
  if (!at) return undefined;
  const line = await batch.lineOfRow(at.file, at.k);
  return { file: at.file, row: at.k + 1, ...(line !== undefined ? { line } : {}) };
}

/** A column-level anomaly of a CSV points at the column's header cell. */
export function headerAt(batch: Batch, column?: number): Pick<Anomaly, 'file' | 'line' | 'column'> {
  if (!batch.headerFile) return {};
  return { file: batch.headerFile.display, line: 1, ...(column !== undefined ? { column } : {}) };
}

// ---------------------------------------------------------------------------------------------
// DuckDB's rejects of the typed CSV read

const STRUCTURAL: Record<string, string> = {
  'MISSING COLUMNS': 'fields',
  'TOO MANY COLUMNS': 'fields',
  'UNQUOTED VALUE': 'a quote that is not closed or is followed by other text',
  'INVALID ENCODING': 'bytes that are not valid UTF-8',
  'INVALID UNICODE': 'bytes that are not valid UTF-8',
  'LINE SIZE OVER MAXIMUM': 'a line longer than the reader accepts',
};

/**
 * Cast failures become type_mismatch on their feature (merged with the groups `featureChecks`
 * found for the same feature); broken lines become one parse_error per line.
 */
export async function rejectChecks(session: DuckSession, batch: Batch, schemaTypes: Map<string, FeatureSchema>, groups: FindingGroup[], maxRows: number): Promise<FindingGroup[]> {
  const t = batch.rejects;
  if (!t) return groups;
  const from = `${t.errors} e JOIN ${t.scans} s USING (scan_id, file_id)`;
  const out = [...groups];

  const casts = await session.rows(`SELECT column_name AS c, count(*) AS n FROM ${t.errors} WHERE error_type = 'CAST' GROUP BY 1 ORDER BY 1`);
  for (const c of casts) {
    const name = String(c['c']);
    const f = schemaTypes.get(name);
    const col = batch.column(name);
    if (!f || !col) continue;
    const rows = await session.rows(
      `SELECT s.file_path AS f, e.line, e.column_idx AS col, e.csv_line AS text FROM ${from} WHERE e.error_type = 'CAST' AND e.column_name = ${sqlString(name)} ORDER BY e.file_id, e.line LIMIT ${maxRows}`,
    );
    const findings: RowFinding[] = [];
    for (const r of rows) {
      const file = batch.fileOf(String(r['f'])) ?? { path: String(r['f']), display: String(r['f']) };
      const column = Number(r['col']);
      const value = splitCsvLine(String(r['text'] ?? '').replace(/^[\r\n]+/, ''), batch.delimiter!)[column - 1]?.value ?? '';
      findings.push({ file, line: await batch.lineOfReject(file.path, Number(r['line'])), column, value, description: `${quote(value)} is not ${article(f.type)} (${name})` });
    }
    const n = Number(c['n']);
    const existing = out.find((g) => g.feature === name && g.type === 'type_mismatch');
    if (existing) {
      existing.total += n;
      existing.findings = [...existing.findings, ...findings].sort((a, b) => (a.line ?? 0) - (b.line ?? 0)).slice(0, maxRows);
      existing.summary = existing.summary.replace(/^[\d,]+ values/, `${fmtInt(existing.total)} values`);
    } else {
      const examples = await castExamples(session, batch, name, f);
      out.push({
        feature: name,
        type: 'type_mismatch',
        severity: 'error',
        total: n,
        findings,
        summary: `${fmtInt(n)} values of ${name} (${pct(n / Math.max(1, batch.rows))} of rows) are not ${article(f.type)}: ${examplesText(examples)}`,
        examples,
      });
    }
  }
  const broken = await session.rows(
    `SELECT s.file_path AS f, e.line, min(e.column_idx) AS col, list(DISTINCT e.error_type) AS kinds, any_value(e.csv_line) AS text, count(*) OVER () AS total
     FROM ${from} WHERE e.error_type <> 'CAST' GROUP BY ALL ORDER BY s.file_path, e.line LIMIT ${maxRows}`,
  );
  if (broken.length > 0) {
    const findings: RowFinding[] = [];
    for (const r of broken) {
      const file = batch.fileOf(String(r['f'])) ?? { path: String(r['f']), display: String(r['f']) };
      const kinds = (r['kinds'] as string[]).map(String);
      const fields = splitCsvLine(String(r['text'] ?? '').replace(/^[\r\n]+/, ''), batch.delimiter!).length;
      const description = kinds.some((k) => STRUCTURAL[k] === 'fields')
        ? `the line has ${fields} fields but the header has ${batch.columns.length}`
        : `the line has ${kinds.map((k) => STRUCTURAL[k] ?? k.toLowerCase()).join(' and ')}`;
      const fieldLevel = kinds.every((k) => STRUCTURAL[k] !== 'fields');
      findings.push({ file, line: await batch.lineOfReject(file.path, Number(r['line'])), ...(fieldLevel ? { column: Number(r['col']) } : {}), description });
    }
    const total = Number(broken[0]!['total']);
    out.push({ feature: null, type: 'parse_error', severity: 'error', total, findings, summary: `${fmtInt(total)} lines could not be parsed` });
  }
  return out;
}

/** The most common cells behind a column's cast failures, from the text the checks read. */
async function castExamples(session: DuckSession, batch: Batch, name: string, f: FeatureSchema): Promise<AnomalyExample[]> {
  const ident = sqlIdent(name);
  const typed = typedValue(ident, 'VARCHAR', f.type)!;
  const rows = await session.rows(
    `SELECT ${ident} AS v, count(*) AS n FROM ${batch.raw} WHERE ${ident} IS NOT NULL AND (${typed}) IS NULL GROUP BY 1 ORDER BY n DESC, v LIMIT ${EXAMPLES}`,
  );
  return rows.map((r) => ({ value: String(r['v']), count: Number(r['n']) }));
}

// ---------------------------------------------------------------------------------------------

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function pct(x: number): string {
  return fmtPct(x);
}

export function quote(v: string): string {
  return `'${v.length > 60 ? `${v.slice(0, 57)}...` : v}'`;
}

export function examplesText(examples: AnomalyExample[]): string {
  return examples.slice(0, 3).map((e) => `${quote(e.value)} (${fmtInt(e.count)})`).join(', ') + (examples.length > 3 ? ', ...' : '');
}

export function article(type: string): string {
  return type === 'int' ? 'an int' : `a ${type}`;
}

export function rangeText(r: { min?: number; max?: number }): string {
  if (r.min !== undefined && r.max !== undefined) return `the range ${r.min} .. ${r.max}`;
  return r.min !== undefined ? `the range (at least ${r.min})` : `the range (at most ${r.max})`;
}

export function valueCountText(r: { min?: number; max?: number }): string {
  if (r.min !== undefined && r.max !== undefined) return r.min === r.max ? `exactly ${r.min} values` : `${r.min} to ${r.max} values`;
  return r.min !== undefined ? `at least ${r.min} values` : `at most ${r.max} values`;
}
