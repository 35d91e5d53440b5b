/**
 * Batches that went wrong the ways production data does. Each is a month of natality rows
 * with one defect, described well enough that a test or a walkthrough can check ProdML
 * finds it (`expectedAnomalies` uses the anomaly types of the design's six data checks).
 */
import type { CsvCell } from './csv';
import { generateNatalityRows, NATALITY_COLUMNS, type NatalityRow } from './natality';
import { deriveSeed, Rng } from './random';

export type AnomalyType =
  | 'drift'
  | 'skew'
  | 'missing_column'
  | 'new_column'
  | 'type_mismatch'
  | 'low_presence'
  | 'value_count'
  | 'out_of_domain'
  | 'out_of_range'
  | 'num_examples'
  | 'parse_error';

export type DemoDefectKind =
  | 'new_category'
  | 'missing_column'
  | 'type_change'
  | 'distribution_shift'
  | 'polluted_label';

export interface DemoDefect {
  kind: DemoDefectKind;
  /** The column(s) that went wrong. */
  features: string[];
  /** One sentence a person understands. */
  description: string;
  /** What validating this batch against the training schema should report (at least). */
  expectedAnomalies: Array<{ feature: string; type: AnomalyType }>;
}

export interface Batch {
  columns: string[];
  rows: Array<Record<string, CsvCell>>;
}

export interface BatchRequest {
  seed: number;
  rows: number;
  start: Date;
  end: Date;
}

export interface BadBatchSpec {
  /** File name under data/incoming/. */
  file: string;
  defect: DemoDefect;
  make(req: BatchRequest): Batch;
}

export const NEW_RACE_CATEGORY = 'Pacific Islander';
export const NEW_CATEGORY_FRACTION = 0.15;
export const GRAMS_FRACTION = 0.4;
export const ZERO_LABEL_FRACTION = 0.03;
export const AGE_SHIFT_YEARS = 9;
export const GESTATION_SHIFT_WEEKS = -2;
const GRAMS_PER_POUND = 453.59237;
const PLURALITY_WORDS: Readonly<Record<number, string>> = { 1: 'Single', 2: 'Twins', 3: 'Triplets' };

const allColumns = (): string[] => [...NATALITY_COLUMNS];

/** Rows of a good batch plus a generator for the defect's own random choices. */
function base(req: BatchRequest, shift?: { motherAge?: number; gestationWeeks?: number }) {
  const rows = generateNatalityRows({ ...req, shift });
  return { rows, rng: new Rng(deriveSeed(req.seed, 'defect')) };
}

export const BAD_BATCHES: readonly BadBatchSpec[] = [
  {
    file: 'new-category.csv',
    defect: {
      kind: 'new_category',
      features: ['mother_race'],
      description: `mother_race has a category never seen in training ('${NEW_RACE_CATEGORY}', ~${pct(NEW_CATEGORY_FRACTION)} of rows): an upstream form added an option.`,
      expectedAnomalies: [{ feature: 'mother_race', type: 'out_of_domain' }],
    },
    make(req) {
      const { rows, rng } = base(req);
      for (const r of rows) if (rng.bernoulli(NEW_CATEGORY_FRACTION)) r.mother_race = NEW_RACE_CATEGORY;
      return { columns: allColumns(), rows: asCells(rows) };
    },
  },
  {
    file: 'missing-column.csv',
    defect: {
      kind: 'missing_column',
      features: ['gestation_weeks'],
      description: 'gestation_weeks is missing from the file: an export query dropped the column.',
      expectedAnomalies: [{ feature: 'gestation_weeks', type: 'missing_column' }],
    },
    make(req) {
      const { rows } = base(req);
      const columns = allColumns().filter((c) => c !== 'gestation_weeks');
      return { columns, rows: asCells(rows) };
    },
  },
  {
    file: 'type-change.csv',
    defect: {
      kind: 'type_change',
      features: ['plurality'],
      description: `plurality is written as words (${Object.values(PLURALITY_WORDS).join('/')}) instead of the integers 1/2/3: a new upstream encoder.`,
      expectedAnomalies: [{ feature: 'plurality', type: 'type_mismatch' }],
    },
    make(req) {
      const { rows } = base(req);
      const cells = asCells(rows).map((r) => ({ ...r, plurality: PLURALITY_WORDS[r.plurality as number] ?? null }));
      return { columns: allColumns(), rows: cells };
    },
  },
  {
    file: 'shifted-distribution.csv',
    defect: {
      kind: 'distribution_shift',
      features: ['mother_age', 'gestation_weeks'],
      description: `mother_age is ~${AGE_SHIFT_YEARS} years older and gestation_weeks ~${-GESTATION_SHIFT_WEEKS} weeks shorter on average: the batch came from a single fertility clinic, not the population.`,
      expectedAnomalies: [
        { feature: 'mother_age', type: 'drift' },
        { feature: 'gestation_weeks', type: 'drift' },
      ],
    },
    make(req) {
      const { rows } = base(req, { motherAge: AGE_SHIFT_YEARS, gestationWeeks: GESTATION_SHIFT_WEEKS });
      return { columns: allColumns(), rows: asCells(rows) };
    },
  },
  {
    file: 'polluted-label.csv',
    defect: {
      kind: 'polluted_label',
      features: ['weight_pounds'],
      description: `weight_pounds holds grams for ~${pct(GRAMS_FRACTION)} of rows and 0 for ~${pct(ZERO_LABEL_FRACTION)}: one hospital switched units, another sends 0 for "unknown".`,
      expectedAnomalies: [{ feature: 'weight_pounds', type: 'out_of_range' }],
    },
    make(req) {
      const { rows, rng } = base(req);
      for (const r of rows) {
        const u = rng.uniform();
        if (u < GRAMS_FRACTION) r.weight_pounds = Math.round(r.weight_pounds * GRAMS_PER_POUND);
        else if (u < GRAMS_FRACTION + ZERO_LABEL_FRACTION) r.weight_pounds = 0;
      }
      return { columns: allColumns(), rows: asCells(rows) };
    },
  },
];

function asCells(rows: NatalityRow[]): Array<Record<string, CsvCell>> {
  return rows.map((r) => ({ ...r }));
}

function pct(f: number): string {
  return `${Math.round(f * 100)}%`;
}
