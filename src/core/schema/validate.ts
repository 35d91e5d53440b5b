/**
 * Validates a batch of data against its schema: every anomaly type of the DESIGN.md table, each
 * placed at the file, line and column a person (or the Problems panel, or SARIF) should look at.
 */
import type { DuckSession } from '../data/duckdb';
import type { DataSource } from '../data/source';
import { cancelled } from '../errors';
import { sqlIdent } from '../data/duckdb';
import { Batch, csvReadTypes, typedValue, type BatchColumn } from './loadBatch';
import { featureChecks, fmtInt, headerAt, rejectChecks, type FindingGroup } from './checks';
import { distributionChecks } from './drift';
import { ANOMALY_TYPES, SERVING, type Anomaly, type Environment, type FeatureSchema, type FeatureType, type Schema, type ValidationResult } from './types';

export interface ValidateOptions {
  /** The previous span (drift), or the training data when `environment` is SERVING (skew). */
  baseline?: DataSource;
  environment?: Environment;
  /** Row-level anomalies listed one by one per (feature, type) before one summary stands for the rest. */
  maxRowDiagnostics?: number;
  /** Parquet is checked where it lies (default); false copies its rows into DuckDB's memory first, as other formats are. */
  inPlace?: boolean;
  signal?: AbortSignal;
}

export const DEFAULT_MAX_ROW_DIAGNOSTICS = 100;

export async function validateData(session: DuckSession, source: DataSource, schema: Schema, opts: ValidateOptions = {}): Promise<ValidationResult> {
  const started = performance.now();
  const max = Math.max(0, opts.maxRowDiagnostics ?? DEFAULT_MAX_ROW_DIAGNOSTICS);
  const env = opts.environment;
  const checked = Object.entries(schema.features).filter(([, f]) => isExpected(schema, f, env));
  const checkedNames = new Set(checked.map(([n]) => n));
  const q = { signal: opts.signal };

  const data = await Batch.load(session, source, csvReadTypes(schema, (n) => checkedNames.has(n)), { ...q, ...(opts.inPlace === false ? { inPlace: false } : {}) });
  let baseline: Batch | undefined;
  try {
    const anomalies: Anomaly[] = [...(await columnSetAnomalies(session, data, schema, checked, env)), ...numExamples(data, schema)];
    const { anomalies: columnLevel, groups } = await featureChecks(session, data, checked, max);
    anomalies.push(...columnLevel);
    const all = await rejectChecks(session, data, new Map(checked), groups, max);
    anomalies.push(...all.flatMap((g) => groupAnomalies(g, data)));
    if (opts.baseline) {
      if (opts.signal?.aborted) throw cancelled();
      baseline = await Batch.load(session, opts.baseline, new Map(), { ...q, rejects: false, ...(opts.inPlace === false ? { inPlace: false } : {}) });
      // Serving data against training data is skew; a batch against the previous span is drift.
      const check = env === SERVING ? 'skew' : 'drift';
      anomalies.push(...(await distributionChecks(session, data, baseline, checked, check, q)));
    }
    return {
      source: source.display,
      rows: data.rows,
      ...(env ? { environment: env } : {}),
      ...(opts.baseline ? { baseline: opts.baseline.display } : {}),
      anomalies: sortAnomalies(anomalies, schema, data),
      elapsedMs: Math.round(performance.now() - started),
    };
  } finally {
    await data.dispose();
    await baseline?.dispose();
  }
}

/**
 * Whether a feature is checked in `env`: deprecated ones never are; with no environment every
 * other feature is; otherwise `environments` or (default_environments minus `not_in`) decide.
 */
export function isExpected(schema: Schema, f: FeatureSchema, env: Environment | undefined): boolean {
  if (f.deprecated) return false;
  if (env === undefined) return true;
  if (f.environments) return f.environments.includes(env);
  if (schema.default_environments && !schema.default_environments.includes(env)) return false;
  return !(f.not_in ?? []).includes(env);
}

async function columnSetAnomalies(session: DuckSession, data: Batch, schema: Schema, checked: [string, FeatureSchema][], env: Environment | undefined): Promise<Anomaly[]> {
  const out: Anomaly[] = [];
  for (const [name, f] of checked) {
    if (data.column(name)) continue;
    out.push({
      feature: name,
      type: 'missing_column',
      severity: 'error',
      description:
        `${name} is missing: the schema expects ${f.type === 'int' ? 'an' : 'a'} ${f.type} column named ${name}${env ? ` in ${env}` : ''}` +
        (!env && f.not_in?.length ? ` (it is not_in ${f.not_in.join(', ')}: if this is ${f.not_in[0]} data, pass --environment ${f.not_in[0]})` : ''),
      ...headerAt(data),
    });
  }
  const unknown = data.columns.filter((c) => !(c.name in schema.features));
  const types = await guessTypes(session, data, unknown);
  for (const col of unknown) {
    const type = types.get(col.name) ?? 'string';
    out.push({
      feature: col.name,
      type: 'new_column',
      severity: 'warning',
      description: `${col.name} is a column the schema does not know (its values read as ${type}); add it to the schema if it is meant to be there`,
      // The type a quick fix "accept the new column" would give the feature.
      value: type,
      ...headerAt(data, col.index),
    });
  }
  return out;
}

/** The narrowest schema type every value of each column reads as. */
async function guessTypes(session: DuckSession, data: Batch, cols: BatchColumn[]): Promise<Map<string, FeatureType>> {
  const out = new Map<string, FeatureType>();
  if (cols.length === 0 || data.rows === 0) return out;
  const candidates: FeatureType[] = ['int', 'float', 'bool', 'timestamp'];
  const select = cols.flatMap((c, i) =>
    candidates.map((t) => {
      const typed = typedValue(sqlIdent(c.name), c.duckdbType, t);
      return `${typed ? `count_if(${sqlIdent(c.name)} IS NOT NULL AND (${typed}) IS NULL) = 0 AND count(${sqlIdent(c.name)}) > 0` : 'false'} AS c${i}_${t}`;
    }),
  );
  const row = (await session.rows(`SELECT ${select.join(', ')} FROM ${data.raw}`))[0] ?? {};
  cols.forEach((c, i) => out.set(c.name, candidates.find((t) => row[`c${i}_${t}`] === true) ?? 'string'));
  return out;
}

function numExamples(data: Batch, schema: Schema): Anomaly[] {
  const { min, max } = schema.num_examples ?? {};
  const n = data.rows;
  const anomaly = (description: string, threshold: number): Anomaly => ({
    feature: null,
    type: 'num_examples',
    severity: 'error',
    description,
    value: n,
    threshold,
    ...headerAt(data),
  });
  if (min !== undefined && n < min) return [anomaly(`the batch has ${fmtInt(n)} rows, fewer than the ${fmtInt(min)} the schema requires`, min)];
  if (max !== undefined && n > max) return [anomaly(`the batch has ${fmtInt(n)} rows, more than the ${fmtInt(max)} the schema allows`, max)];
  return [];
}

/** The first findings one by one, then, if there were more, one summary with the total. */
function groupAnomalies(g: FindingGroup, data: Batch): Anomaly[] {
  const out: Anomaly[] = g.findings.map((f) => ({
    feature: g.feature,
    type: g.type,
    severity: g.severity,
    description: f.description,
    ...(f.value !== undefined ? { value: f.value } : {}),
    file: f.file.display,
    ...(f.line !== undefined ? { line: f.line } : {}),
    ...(f.column !== undefined ? { column: f.column } : {}),
    ...(f.row !== undefined ? { row: f.row } : {}),
  }));
  if (g.total > g.findings.length) {
    out.push({
      feature: g.feature,
      type: g.type,
      severity: g.severity,
      description: `${g.summary}${g.findings.length > 0 ? `; the first ${g.findings.length} are listed by line` : ''}`,
      ...(g.value !== undefined ? { value: g.value } : {}),
      ...(g.threshold !== undefined ? { threshold: g.threshold } : {}),
      count: g.total,
      ...(g.examples?.length ? { examples: g.examples } : {}),
      ...headerAt(data, g.feature ? data.column(g.feature)?.index : undefined),
    });
  }
  return out;
}

/** Dataset-level first, then features in schema order (new columns last), then by type and line. */
export function sortAnomalies(anomalies: Anomaly[], schema: Schema, data: Pick<Batch, 'column'>): Anomaly[] {
  const order = new Map(Object.keys(schema.features).map((n, i) => [n, i]));
  const rank = (a: Anomaly) => (a.feature === null ? -1 : (order.get(a.feature) ?? order.size + (data.column(a.feature)?.index ?? 0)));
  return anomalies
    .map((a, i) => ({ a, i }))
    .sort(
      (x, y) =>
        rank(x.a) - rank(y.a) ||
        ANOMALY_TYPES.indexOf(x.a.type) - ANOMALY_TYPES.indexOf(y.a.type) ||
        (x.a.line ?? 0) - (y.a.line ?? 0) ||
        (x.a.column ?? 0) - (y.a.column ?? 0) ||
        x.i - y.i,
    )
    .map(({ a }) => a);
}
