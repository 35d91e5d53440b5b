/**
 * Train/eval splits that do not leak: random (by a seeded hash of the row, stable across runs),
 * by time (everything before a cut-off trains, everything after evaluates), or by group (every
 * row of a group lands on the same side: the course's "split by author").
 */
import { badInput } from '../errors';
import { fmix32, fnv1a } from '../demo/random';
import { toCategory, toDate } from '../features/apply';

export type SplitSpec =
  | { kind: 'random'; eval_fraction?: number }
  | { kind: 'time'; column: string; eval_fraction?: number }
  | { kind: 'group'; column: string; eval_fraction?: number };

export interface Split {
  train: number[];
  eval: number[];
}

const DEFAULT_EVAL = 0.2;

/**
 * A deterministic fraction in [0, 1) for a key and seed. FNV-1a alone maps neighbouring keys
 * ("7:41", "7:42") to neighbouring values, so a random split would hold out runs of adjacent rows;
 * the finalizer spreads every bit.
 */
export function unit(key: string, seed: number): number {
  return fmix32(fnv1a(`${seed}:${key}`)) / 4294967296;
}

export function splitRows(rows: readonly Record<string, unknown>[], spec: SplitSpec, seed: number): Split {
  if (spec.kind === 'random') return splitBy(rows.length, spec, seed, () => null);
  if (spec.kind === 'group') return splitBy(rows.length, spec, seed, (i) => toCategory(rows[i]![spec.column]) ?? '');
  return splitBy(rows.length, spec, seed, (i) => toDate(rows[i]![spec.column])?.getTime() ?? Number.NaN);
}

/**
 * The split of `n` rows, reading the split column through `valueAt`: the group label ('' when
 * missing) for a group split, the time in ms (NaN when missing) for a time split. Row and
 * columnar loading both split here, so they hold out the same rows.
 */
export function splitBy(n: number, spec: SplitSpec, seed: number, valueAt: (i: number) => string | number | null): Split {
  const frac = spec.eval_fraction ?? DEFAULT_EVAL;
  if (!(frac > 0 && frac < 1)) throw badInput(undefined, `split.eval_fraction must be between 0 and 1 (got ${frac})`);
  const train: number[] = [];
  const evalRows: number[] = [];
  if (spec.kind === 'random') {
    for (let i = 0; i < n; i++) (unit(String(i), seed) < frac ? evalRows : train).push(i);
  } else if (spec.kind === 'group') {
    for (let i = 0; i < n; i++) (unit(String(valueAt(i)), seed) < frac ? evalRows : train).push(i);
  } else {
    const times = Array.from({ length: n }, (_, i) => valueAt(i) as number);
    const known = times.filter((t) => !Number.isNaN(t)).sort((a, b) => a - b);
    if (known.length === 0) throw badInput(undefined, `split by time: column "${spec.column}" has no dates`);
    // The cut-off is a time, not a row count, so rows sharing a timestamp stay together.
    const cut = known[Math.floor(known.length * (1 - frac))] ?? known[known.length - 1]!;
    times.forEach((t, i) => (Number.isNaN(t) || t < cut ? train : evalRows).push(i));
  }
  if (train.length === 0 || evalRows.length === 0) {
    throw badInput(undefined, `the ${spec.kind} split left ${train.length === 0 ? 'no training' : 'no evaluation'} rows (${n} rows in all)`);
  }
  return { train, eval: evalRows };
}

/**
 * Recency weights: a row `half_life_days` older than the newest weighs half as much, so a
 * dynamic model follows the recent data without forgetting the rest.
 */
export function recencyWeights(rows: readonly Record<string, unknown>[], column: string, halfLifeDays: number): Float32Array {
  return recencyWeightsOf(rows.map((r) => toDate(r[column])?.getTime() ?? Number.NaN), halfLifeDays);
}

/** recencyWeights from the rows' times in ms (NaN when unknown). */
export function recencyWeightsOf(times: ArrayLike<number>, halfLifeDays: number): Float32Array {
  if (!(halfLifeDays > 0)) throw badInput(undefined, `weighting.half_life_days must be positive (got ${halfLifeDays})`);
  // A loop, not Math.max(...times): spreading a million arguments overflows the stack.
  let newest = -Infinity;
  for (let i = 0; i < times.length; i++) if (times[i]! > newest) newest = times[i]!;
  const day = 86_400_000;
  return Float32Array.from(times, (t) => (Number.isNaN(t) ? 1 : Math.pow(0.5, (newest - t) / (halfLifeDays * day))));
}
