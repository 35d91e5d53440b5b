/**
 * Synthetic US natality rows, modelled on the classic "baby weight" lab (BigQuery
 * `publicdata.samples.natality`): predict a newborn's weight from facts known before birth.
 *
 * Every value is drawn from a seeded generator, so the same options always give the same rows.
 * The relationships a model should learn are built in (see NATALITY_EFFECTS): weight rises with
 * gestation (steeply before 37 weeks, ~0.35 lb/week near term), multiples are lighter, boys a
 * little heavier, smoking and alcohol cost weight, mother's age has a mild inverted-U effect.
 */
import { Rng } from './random';

export const NATALITY_RACES = ['White', 'Hispanic', 'Black', 'Asian', 'Other'] as const;
export type MotherRace = (typeof NATALITY_RACES)[number];

/** Column order of every natality file (the label last). */
export const NATALITY_COLUMNS = [
  'mother_age',
  'gestation_weeks',
  'plurality',
  'is_male',
  'mother_race',
  'cigarette_use',
  'alcohol_use',
  'event_date',
  'weight_pounds',
] as const;
export type NatalityColumn = (typeof NATALITY_COLUMNS)[number];

export const NATALITY_LABEL = 'weight_pounds';
export const NATALITY_TIME_COLUMN = 'event_date';

export type NatalityRow = {
  /** Integer years, 15..50. */
  mother_age: number;
  /** Integer completed weeks, 24..44. */
  gestation_weeks: number;
  /** 1 singleton, 2 twins, 3 triplets. */
  plurality: number;
  is_male: boolean;
  mother_race: string;
  /** null: not recorded (~1.5% of rows). */
  cigarette_use: boolean | null;
  /** null: not recorded (~1.5% of rows). */
  alcohol_use: boolean | null;
  /** YYYY-MM-DD (UTC). */
  event_date: string;
  /** The label: pounds, 2 decimals, within [1, 13]. */
  weight_pounds: number;
};

export interface NatalityOptions {
  seed: number;
  rows: number;
  /** event_date is uniform in [start, end), as UTC calendar dates. */
  start: Date;
  end: Date;
  /**
   * Covariate shift (for drift demos): added to the mean of mother_age (years) and of
   * gestation_weeks (weeks) before the values are bounded. The label keeps following the same
   * relationships, so only the input distribution moves.
   */
  shift?: { motherAge?: number; gestationWeeks?: number };
  /** Fraction of cigarette_use and of alcohol_use cells left unrecorded (default 0.015). */
  missingRate?: number;
}

/** The effects built into weight_pounds, in pounds (documented for tests and the README). */
export const NATALITY_EFFECTS = {
  /** Expected weight (lb) by completed gestation week of a singleton girl, no smoking or alcohol, mother aged 30 (before race effects). */
  gestationCurve: {
    24: 1.4, 25: 1.65, 26: 1.95, 27: 2.25, 28: 2.6, 29: 2.95, 30: 3.35, 31: 3.8, 32: 4.25,
    33: 4.75, 34: 5.25, 35: 5.75, 36: 6.25, 37: 6.75, 38: 7.1, 39: 7.45, 40: 7.8, 41: 8.1,
    42: 8.25, 43: 8.35, 44: 8.4,
  } as Readonly<Record<number, number>>,
  twins: -1.7,
  triplets: -3.0,
  male: 0.3,
  smoking: -0.45,
  alcohol: -0.2,
  /** Added: motherAgeQuadratic * (age - motherAgePeak)^2. */
  motherAgeQuadratic: -0.0025,
  motherAgePeak: 30,
  race: { White: 0.1, Hispanic: 0, Black: -0.3, Asian: -0.25, Other: -0.05 } as Readonly<
    Record<MotherRace, number>
  >,
  /** Gaussian noise sd at term; preterm babies get proportionally smaller effects and noise. */
  noiseSd: 1.0,
  min: 1,
  max: 13,
} as const;

const RACE_FREQUENCIES: ReadonlyArray<readonly [MotherRace, number]> = [
  ['White', 0.51],
  ['Hispanic', 0.24],
  ['Black', 0.14],
  ['Asian', 0.065],
  ['Other', 0.045],
];

const PLURALITY_FREQUENCIES: ReadonlyArray<readonly [number, number]> = [
  [1, 0.965],
  [2, 0.033],
  [3, 0.002],
];

/** Multiples are born earlier: mean shift of gestation (weeks) by plurality. */
const PLURALITY_GESTATION_SHIFT: Readonly<Record<number, number>> = { 1: 0, 2: -3.5, 3: -6.5 };

const SMOKING_RATE = 0.08;
const ALCOHOL_RATE = 0.03;
const DEFAULT_MISSING_RATE = 0.015;

export function generateNatalityRows(opts: NatalityOptions): NatalityRow[] {
  const { rows, start, end } = opts;
  if (!Number.isInteger(rows) || rows < 0) {
    throw new RangeError(`rows must be a non-negative integer, got ${rows}`);
  }
  if (!Number.isFinite(opts.seed)) throw new RangeError(`seed must be a finite number, got ${opts.seed}`);
  const t0 = start.getTime();
  const t1 = end.getTime();
  if (!Number.isFinite(t0) || !Number.isFinite(t1) || t1 <= t0) {
    throw new RangeError(`need a valid date range with start < end, got ${String(start)} .. ${String(end)}`);
  }
  const ageShift = opts.shift?.motherAge ?? 0;
  const gestShift = opts.shift?.gestationWeeks ?? 0;
  const missingRate = opts.missingRate ?? DEFAULT_MISSING_RATE;

  const rng = new Rng(opts.seed);
  const out: NatalityRow[] = [];
  for (let i = 0; i < rows; i++) {
    const mother_age = drawMotherAge(rng, ageShift);
    const plurality = rng.weighted(PLURALITY_FREQUENCIES);
    const gestation_weeks = drawGestationWeeks(rng, (PLURALITY_GESTATION_SHIFT[plurality] ?? 0) + gestShift);
    const is_male = rng.bernoulli(0.512);
    const mother_race = rng.weighted(RACE_FREQUENCIES);
    const smokes = rng.bernoulli(SMOKING_RATE);
    const drinks = rng.bernoulli(ALCOHOL_RATE);
    // Missingness is independent of the true value (MCAR): the effect on weight stays.
    const cigarette_use = rng.bernoulli(missingRate) ? null : smokes;
    const alcohol_use = rng.bernoulli(missingRate) ? null : drinks;
    const event_date = new Date(t0 + Math.floor(rng.uniform() * (t1 - t0))).toISOString().slice(0, 10);
    const weight_pounds = drawWeight(rng, {
      mother_age,
      gestation_weeks,
      plurality,
      is_male,
      mother_race,
      smokes,
      drinks,
    });
    out.push({
      mother_age,
      gestation_weeks,
      plurality,
      is_male,
      mother_race,
      cigarette_use,
      alcohol_use,
      event_date,
      weight_pounds,
    });
  }
  // Exports arrive in date order; sort is stable, so equal dates keep generation order.
  out.sort((a, b) => (a.event_date < b.event_date ? -1 : a.event_date > b.event_date ? 1 : 0));
  return out;
}

/** The dates (UTC midnight) bounding calendar month `month` (1-12) of `year`: [start, end). */
export function monthRange(year: number, month: number): { start: Date; end: Date } {
  return { start: new Date(Date.UTC(year, month - 1, 1)), end: new Date(Date.UTC(year, month, 1)) };
}

/** Right-skewed around 28-29 (US births), integer, 15..50. */
function drawMotherAge(rng: Rng, shift: number): number {
  return boundedInt(15, 50, () => {
    const z = rng.normal();
    return 28.3 + shift + 5.6 * z + 0.6 * (z * z - 1); // the z^2 term adds right skew, mean unchanged
  });
}

/** Left-skewed: most births at 37-41 weeks, a tail of preterm births. Integer, 24..44. */
function drawGestationWeeks(rng: Rng, shift: number): number {
  return boundedInt(24, 44, () => {
    const u = rng.uniform();
    let weeks: number;
    if (u < 0.88) weeks = rng.normal(39.2, 1.15); // term
    else if (u < 0.98) weeks = rng.normal(34.5, 1.5); // moderately preterm
    else weeks = rng.between(24, 32); // very preterm
    return weeks + shift;
  });
}

/** Rounds draws until one lands in [min, max]; clamps after a few misses (extreme shifts). */
function boundedInt(min: number, max: number, draw: () => number): number {
  let v = Math.round(draw());
  for (let tries = 0; tries < 20 && (v < min || v > max); tries++) v = Math.round(draw());
  return Math.min(max, Math.max(min, v));
}

interface WeightInputs {
  mother_age: number;
  gestation_weeks: number;
  plurality: number;
  is_male: boolean;
  mother_race: string;
  smokes: boolean;
  drinks: boolean;
}

function drawWeight(rng: Rng, x: WeightInputs): number {
  const e = NATALITY_EFFECTS;
  const base = gestationCurve(x.gestation_weeks);
  // Effects and noise shrink with the baby: a 1.5 lb preemie cannot lose 1.7 lb for being a twin.
  const scale = Math.min(1, Math.max(0.3, base / gestationCurve(39)));
  let effects = 0;
  if (x.plurality === 2) effects += e.twins;
  else if (x.plurality >= 3) effects += e.triplets;
  if (x.is_male) effects += e.male;
  if (x.smokes) effects += e.smoking;
  if (x.drinks) effects += e.alcohol;
  effects += e.motherAgeQuadratic * (x.mother_age - e.motherAgePeak) ** 2;
  effects += (e.race as Record<string, number>)[x.mother_race] ?? 0;
  const weight = base + scale * effects + rng.normal(0, e.noiseSd * scale);
  return Math.round(Math.min(e.max, Math.max(e.min, weight)) * 100) / 100;
}

function gestationCurve(weeks: number): number {
  const curve = NATALITY_EFFECTS.gestationCurve;
  const w = Math.min(44, Math.max(24, Math.round(weeks)));
  return curve[w]!;
}
