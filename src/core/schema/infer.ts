/**
 * Infers a schema from a dataset's profile, the way a careful person would write one by hand:
 * domains only where the values are a small closed set, ranges a little wider than what was
 * seen, presence a little below what was seen, and a comment wherever a choice was made.
 */
import type { DuckSession } from '../data/duckdb';
import { profileDatasets, type Relation } from '../data/profile';
import type { ColumnProfile, DatasetProfile } from '../data/profileTypes';
import type { DataSource } from '../data/source';
import { badInput } from '../errors';
import { VERSION } from '../project/version';
import { fmtInt, pct } from './checks';
import type { SchemaNotes, SchemaPath } from './io';
import { SERVING, TRAINING, type FeatureSchema, type Schema } from './types';

export interface InferOptions {
  /** The label column: marked `not_in: [SERVING]`. */
  label?: string;
  /** String features with at most this many distinct values get a domain. */
  maxDomainSize?: number;
  /** Ranges are widened by this fraction of the span seen, at each end. */
  rangeMargin?: number;
  /** Threshold of the default drift and skew comparators. */
  driftThreshold?: number;
  signal?: AbortSignal;
}

export interface InferredSchema {
  schema: Schema;
  /** Comments for schemaToYaml. */
  notes: SchemaNotes;
  profile: DatasetProfile;
}

export const DEFAULT_MAX_DOMAIN_SIZE = 50;
export const DEFAULT_RANGE_MARGIN = 0.1;
export const DEFAULT_DRIFT_THRESHOLD = 0.1;

export async function inferSchema(session: DuckSession, source: DataSource | Relation, opts: InferOptions = {}): Promise<InferredSchema> {
  const maxDomain = opts.maxDomainSize ?? DEFAULT_MAX_DOMAIN_SIZE;
  // topK at the domain limit makes the top values (and their counts) the whole set of a small domain.
  const profile = await profileDatasets(session, source, undefined, { topK: maxDomain, signal: opts.signal });
  if (opts.label !== undefined && !profile.columns.some((c) => c.name === opts.label)) {
    throw badInput(source.display, `has no column "${opts.label}" to be the label; its columns are ${profile.columns.map((c) => c.name).join(', ')}`);
  }
  return { ...schemaFromProfile(profile, opts), profile };
}

export function schemaFromProfile(profile: DatasetProfile, opts: InferOptions = {}): { schema: Schema; notes: SchemaNotes } {
  const maxDomain = opts.maxDomainSize ?? DEFAULT_MAX_DOMAIN_SIZE;
  const margin = opts.rangeMargin ?? DEFAULT_RANGE_MARGIN;
  const threshold = opts.driftThreshold ?? DEFAULT_DRIFT_THRESHOLD;
  const keys: NonNullable<SchemaNotes['keys']> = [];
  const values: NonNullable<SchemaNotes['values']> = [];
  const keyNote = (path: SchemaPath, comment: string) => keys.push({ path, comment });
  const valueNote = (path: SchemaPath, comment: string) => values.push({ path, comment });

  const features: Record<string, FeatureSchema> = {};
  for (const c of profile.columns) {
    const p = ['features', c.name];
    const f: FeatureSchema = { type: c.type };
    const isLabel = c.name === opts.label;
    if (isLabel) {
      f.not_in = [SERVING];
      keyNote([...p, 'not_in'], 'the label: not known at serving time');
    }

    const seen = profile.rows > 0 ? c.count / profile.rows : 0;
    f.presence = { min_fraction: presenceFloor(seen) };
    valueNote([...p, 'presence'], seen === 1 ? 'seen: always present' : `seen: ${pct(seen)} present`);

    if (c.type === 'string') {
      const domain = domainOf(c, maxDomain);
      if (domain) {
        f.domain = domain.map((t) => t.value);
        keyNote([...p, 'domain'], `domain kept: ${domain.length} value${domain.length === 1 ? '' : 's'} cover 100% of ${fmtInt(c.count)}`);
        domain.forEach((t, i) => valueNote([...p, 'domain', i], pct(t.count / c.count)));
      } else if (c.count > 0) {
        const why = c.distinct >= 0.9 * c.count ? 'almost every value is unique (an ID or free text?)' : `more than ${maxDomain}`;
        valueNote([...p, 'type'], `no domain: ${c.distinctExact ? '' : '~'}${fmtInt(c.distinct)} distinct values, ${why}`);
      }
    }

    if ((c.type === 'int' || c.type === 'float') && typeof c.min === 'number' && typeof c.max === 'number') {
      const r = widenedRange(c.min, c.max, c.type, margin);
      f.range = { min: r.min, max: r.max };
      keyNote([...p, 'range'], `seen ${fmtNumber(c.min)} .. ${fmtNumber(c.max)}; widened ${Math.round(margin * 100)}% of that span each side${r.clamped ? ', kept above 0 like every value seen' : ''}`);
    }
    if (c.type === 'timestamp') valueNote([...p, 'type'], 'no range or drift check: new batches bring new dates');

    const measure = c.type === 'int' || c.type === 'float' ? 'jensen_shannon' : c.type === 'bool' || f.domain ? 'l_infinity' : undefined;
    if (measure) {
      f.drift = { [measure]: { threshold } };
      if (!isLabel) f.skew = { [measure]: { threshold } };
    }
    features[c.name] = f;
  }

  const schema: Schema = { num_examples: { min: 1 }, ...(opts.label ? { default_environments: [TRAINING, SERVING] } : {}), features };
  keyNote(['num_examples'], `seen ${fmtInt(profile.rows)} rows; raise min to the smallest batch you would accept`);
  const header = [
    `Schema for ${profile.source}, inferred by prodml ${VERSION} from ${fmtInt(profile.rows)} rows.`,
    'It is yours to edit: every key is explained in schemas/schema.schema.json.',
    `Check a batch with: prodml validate <data> --schema <this file>${opts.label ? ' [--environment SERVING]' : ''}`,
  ];
  return { schema, notes: { header, keys, values } };
}

/** The largest round fraction at or a little below what was seen: 98.5% present -> 0.95. */
export function presenceFloor(seen: number): number {
  if (seen >= 1) return 1;
  const steps = [0.99, 0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1];
  // The slack keeps a batch whose presence is a hair below this one's from failing.
  return steps.find((s) => s <= seen - 0.005) ?? 0;
}

/** The values of a small closed set, most frequent first; undefined when not every value is known. */
function domainOf(c: ColumnProfile, maxDomain: number): { value: string; count: number }[] | undefined {
  if (c.count === 0 || !c.top || c.distinct > maxDomain || (c.otherCount ?? 0) > 0) return undefined;
  const covered = c.top.reduce((a, t) => a + t.count, 0);
  return covered === c.count ? c.top : undefined;
}

/**
 * [min, max] widened by `margin` of the span at each end, rounded outward; a feature never seen
 * at or below zero keeps a positive lower bound (half its smallest value) so 0 stays anomalous.
 */
export function widenedRange(min: number, max: number, type: 'int' | 'float', margin: number): { min: number; max: number; clamped: boolean } {
  const span = max - min || Math.abs(max) || 1;
  const lo = min - margin * span;
  const hi = max + margin * span;
  const decimals = Math.max(0, Math.min(12, 2 - Math.floor(Math.log10(span))));
  const f = 10 ** decimals;
  const round = (x: number, dir: (v: number) => number) => (type === 'int' ? dir(x) : Number((dir(x * f) / f).toFixed(decimals)));
  let rounded = round(lo, Math.floor);
  const clamped = min > 0 && rounded <= 0;
  if (clamped) {
    rounded = round(min / 2, Math.ceil);
    if (rounded <= 0 || rounded > min) rounded = min / 2;
  }
  return { min: rounded, max: round(hi, Math.ceil), clamped };
}

function fmtNumber(x: number): string {
  return Number(x.toPrecision(6)).toString();
}
