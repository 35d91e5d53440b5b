/**
 * Validation of a dataset that lives in a database, pushed down: the same anomaly types as a
 * file's validation, counted by one aggregate query in the source engine (plus one small GROUP BY
 * per failing check for its most common offending values). Rows never leave the database, so
 * row-level anomalies become one per (feature, type) with the total count and examples instead
 * of a line each.
 */
import type { EngineColumn } from '../data/engine';
import { featureTypeOf, type Relation } from '../data/profile';
import { cancelled, isProdmlError } from '../errors';
import { article, examplesText, fmtInt, pct, rangeText, valueCountText } from './checks';
import { relationDistributionChecks } from './drift';
import { isExpected, sortAnomalies } from './validate';
import { SERVING, type Anomaly, type AnomalyExample, type AnomalyType, type Environment, type FeatureSchema, type Schema, type ValidationResult } from './types';

export interface RelationValidateOptions {
  baseline?: Relation;
  environment?: Environment;
  signal?: AbortSignal;
}

type Kind = 'type' | 'domain' | 'range' | 'count';
const KIND_TYPE: Record<Kind, AnomalyType> = { type: 'type_mismatch', domain: 'out_of_domain', range: 'out_of_range', count: 'value_count' };
const EXAMPLES = 10;

interface Plan {
  name: string;
  f: FeatureSchema;
  ident: string;
  conditions: Partial<Record<Kind, string>>;
}

export async function validateRelation(rel: Relation, schema: Schema, opts: RelationValidateOptions = {}): Promise<ValidationResult> {
  const started = performance.now();
  const q = { signal: opts.signal };
  const d = rel.engine.dialect;
  const env = opts.environment;
  const run = async (sql: string) => {
    try {
      return await rel.engine.rows(sql, q);
    } catch (e) {
      if (opts.signal?.aborted) throw cancelled();
      if (isProdmlError(e)) throw e;
      throw await rel.explain(e);
    }
  };
  let columns: EngineColumn[];
  try {
    columns = await rel.engine.describe(rel.from, q);
  } catch (e) {
    if (isProdmlError(e)) throw e;
    throw await rel.explain(e);
  }
  const byName = new Map(columns.map((c) => [c.name, c]));
  const checked = Object.entries(schema.features).filter(([, f]) => isExpected(schema, f, env));
  const anomalies: Anomaly[] = [];

  for (const [name, f] of checked) {
    if (byName.has(name)) continue;
    anomalies.push({ feature: name, type: 'missing_column', severity: 'error', description: `${name} is missing: the schema expects ${article(f.type)} column named ${name}${env ? ` in ${env}` : ''}` });
  }
  for (const c of columns) {
    if (c.name in schema.features) continue;
    const type = featureTypeOf(c.duckdbType);
    anomalies.push({
      feature: c.name,
      type: 'new_column',
      severity: 'warning',
      description: `${c.name} is a column the schema does not know (its values read as ${type}); add it to the schema if it is meant to be there`,
      value: type,
    });
  }

  const plans: Plan[] = [];
  for (const [name, f] of checked) {
    const col = byName.get(name);
    if (!col) continue;
    const ident = d.ident(name);
    const have = featureTypeOf(col.duckdbType);
    const conditions: Partial<Record<Kind, string>> = {};
    const compatible = have === f.type || f.type === 'string' || (f.type === 'float' && have === 'int') || (f.type === 'int' && have === 'float') || (f.type === 'bool' && have === 'int');
    if (!compatible) {
      anomalies.push({ feature: name, type: 'type_mismatch', severity: 'error', description: `${name} holds ${col.nativeType} values in the database; the schema says ${f.type}`, value: col.nativeType });
    } else {
      // Values a file's validation would reject cell by cell: 20.5 as an int, 2 as a bool.
      if (f.type === 'int' && have === 'float') conditions.type = `${ident} IS NOT NULL AND ${ident} <> floor(${ident})`;
      if (f.type === 'bool' && have === 'int') conditions.type = `${ident} IS NOT NULL AND ${ident} NOT IN (0, 1)`;
      const text = col.duckdbType === 'VARCHAR' ? ident : d.toText(ident);
      if (f.type === 'string' && f.domain) conditions.domain = `${ident} IS NOT NULL AND ${f.domain.length === 0 ? '1 = 1' : `${text} NOT IN (${f.domain.map(d.string).join(', ')})`}`;
      if (f.range && (f.type === 'int' || f.type === 'float') && (have === 'int' || have === 'float')) {
        const parts = [f.range.min !== undefined ? `${ident} < ${f.range.min}` : '', f.range.max !== undefined ? `${ident} > ${f.range.max}` : ''].filter(Boolean);
        if (parts.length > 0) conditions.range = `${ident} IS NOT NULL AND (${parts.join(' OR ')})`;
      }
      const vc = f.value_count;
      if (vc && ((vc.min !== undefined && 1 < vc.min) || (vc.max !== undefined && 1 > vc.max))) conditions.count = `${ident} IS NOT NULL`;
    }
    plans.push({ name, f, ident, conditions });
  }

  const select = ['count(*) AS n_rows'];
  plans.forEach((p, i) => {
    select.push(`count(${p.ident}) AS p${i}`);
    for (const [kind, cond] of Object.entries(p.conditions)) select.push(`${d.countIf(cond)} AS ${kind}${i}`);
  });
  const counts = (await run(`SELECT ${select.join(',\n  ')} FROM ${rel.from}`))[0] ?? {};
  const rows = Number(counts['n_rows'] ?? 0);

  const { min, max } = schema.num_examples ?? {};
  if (min !== undefined && rows < min) anomalies.push({ feature: null, type: 'num_examples', severity: 'error', description: `the batch has ${fmtInt(rows)} rows, fewer than the ${fmtInt(min)} the schema requires`, value: rows, threshold: min });
  if (max !== undefined && rows > max) anomalies.push({ feature: null, type: 'num_examples', severity: 'error', description: `the batch has ${fmtInt(rows)} rows, more than the ${fmtInt(max)} the schema allows`, value: rows, threshold: max });

  for (const [i, p] of plans.entries()) {
    if (rows === 0) break;
    const present = Number(counts[`p${i}`] ?? 0);
    const minFraction = p.f.presence?.min_fraction;
    if (minFraction !== undefined && present / rows < minFraction) {
      anomalies.push({
        feature: p.name,
        type: 'low_presence',
        severity: 'error',
        description: `${p.name} has a value in ${pct(present / rows)} of rows, below the ${pct(minFraction)} the schema requires (${fmtInt(rows - present)} of ${fmtInt(rows)} missing)`,
        value: present / rows,
        threshold: minFraction,
      });
    }
    for (const [kind, cond] of Object.entries(p.conditions) as [Kind, string][]) {
      const total = Number(counts[`${kind}${i}`] ?? 0);
      if (total === 0) continue;
      const text = d.toText(p.ident);
      const common = await run(`SELECT ${text} AS prodml_v, count(*) AS prodml_n FROM ${rel.from} WHERE ${cond} GROUP BY ${text} ORDER BY prodml_n DESC, prodml_v ${d.limit(EXAMPLES)}`);
      const examples: AnomalyExample[] = common.map((r) => ({ value: String(r['prodml_v']), count: Number(r['prodml_n']) }));
      anomalies.push(groupAnomaly(p, kind, total, present, rows, examples));
    }
  }

  if (opts.baseline && rows > 0) {
    const check = env === SERVING ? 'skew' : 'drift';
    anomalies.push(...(await relationDistributionChecks(opts.baseline, rel, checked, check, q)));
  }
  return {
    source: rel.display,
    rows,
    ...(env ? { environment: env } : {}),
    ...(opts.baseline ? { baseline: opts.baseline.display } : {}),
    anomalies: sortAnomalies(anomalies, schema, { column: () => undefined }),
    elapsedMs: Math.round(performance.now() - started),
  };
}

/** One anomaly standing for every offending row of a (feature, check), worded like a file's summary. */
function groupAnomaly(p: Plan, kind: Kind, total: number, present: number, rows: number, examples: AnomalyExample[]): Anomaly {
  const shown = examplesText(examples);
  const share = pct(total / rows);
  const base = { feature: p.name, type: KIND_TYPE[kind], count: total, examples };
  switch (kind) {
    case 'type':
      return { ...base, severity: 'error', description: `${fmtInt(total)} values of ${p.name} (${share} of rows) are not ${article(p.f.type)}: ${shown}` };
    case 'domain': {
      const mass = present > 0 ? 1 - total / present : 0;
      const minMass = p.f.min_domain_mass ?? 1;
      const severity = mass < minMass ? 'error' : 'warning';
      return {
        ...base,
        severity,
        value: mass,
        threshold: minMass,
        description:
          `${fmtInt(total)} values of ${p.name} (${share} of rows) are not in its domain: ${shown}` +
          (minMass < 1 ? `; ${pct(mass)} of values are in the domain, ${severity === 'error' ? 'below' : 'within'} min_domain_mass ${pct(minMass)}` : ''),
      };
    }
    case 'range':
      return { ...base, severity: 'error', description: `${fmtInt(total)} values of ${p.name} (${share} of rows) are outside ${rangeText(p.f.range!)}: ${shown}` };
    case 'count':
      return { ...base, severity: 'error', description: `${fmtInt(total)} rows of ${p.name} hold ${valueCountText(p.f.value_count!)}` };
  }
}
