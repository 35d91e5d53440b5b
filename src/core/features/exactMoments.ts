/**
 * Mean and population standard deviation whose value does not depend on the order DuckDB's
 * threads meet the rows. `avg` and `stddev_pop` add doubles in whatever order the parallel
 * partial aggregates combine, so the last bits of a fitted scale changed from one process to the
 * next, and with them the model a seed gives. Here every value is quantized on a grid fixed by
 * the column's range (2^40 steps from the midrange to either end) and summed as integers: integer
 * sums are exact, so any order gives the same sums and the same moments. A square (up to 2^80)
 * is summed in three BIGINT parts, q = a·2^20 + b: DuckDB adds BIGINTs into a HUGEINT
 * accumulator about four times faster than it multiplies HUGEINTs.
 *
 * The grid costs at most range / 2^41 per value (a relative 5e-13 of the range), far below what
 * a transform can tell. Values that are not finite are not counted, as the transforms impute
 * them (apply.ts).
 */
const STEPS = 2 ** 40;
/** The bits of b in q = a·2^HALF + b: each part's square stays within 2^40, a BIGINT. */
const HALF = 20;

export interface MomentRange {
  lo: number | null;
  hi: number | null;
}

export interface Moments {
  /** Finite values counted. */
  n: number;
  mean: number | null;
  std: number | null;
}

const finite = (e: string) => `isfinite(${e})`;
const double = (v: number) => `CAST('${v}' AS DOUBLE)`;

/** The first pass: the range of `e` over its finite values, as `<key>_lo` and `<key>_hi`. */
export function rangeSelect(e: string, key: string): string[] {
  return [`min(${e}) FILTER (WHERE ${finite(e)}) AS ${key}_lo`, `max(${e}) FILTER (WHERE ${finite(e)}) AS ${key}_hi`];
}

export function rangeOf(row: Record<string, unknown>, key: string): MomentRange {
  const at = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return { lo: at(row[`${key}_lo`]), hi: at(row[`${key}_hi`]) };
}

function grid(range: MomentRange): { center: number; step: number } | undefined {
  if (range.lo === null || range.hi === null) return undefined;
  const center = range.lo / 2 + range.hi / 2;
  const half = range.hi / 2 - range.lo / 2;
  return { center, step: half > 0 ? half / STEPS : 1 };
}

/**
 * The second pass, in two parts: `inner` quantizes `e` once per row (NULL where not finite), in
 * a subquery over the relation; `outer` sums the integers and the parts of their squares.
 */
export function momentSelect(e: string, key: string, range: MomentRange): { inner: string; outer: string[] } | undefined {
  const g = grid(range);
  if (!g) return undefined;
  const q = `${key}_q`;
  const a = `(${q} >> ${HALF})`;
  const b = `(${q} & ${2 ** HALF - 1})`;
  const sum = (v: string, name: string) => `CAST(sum(${v}) AS VARCHAR) AS ${key}_${name}`;
  return {
    inner: `CASE WHEN ${finite(e)} THEN CAST(round((${e} - ${double(g.center)}) / ${double(g.step)}) AS BIGINT) END AS ${q}`,
    outer: [`count(${q}) AS ${key}_n`, sum(q, 's1'), sum(`${a} * ${a}`, 'aa'), sum(`${a} * ${b}`, 'ab'), sum(`${b} * ${b}`, 'bb')],
  };
}

export function momentsOf(row: Record<string, unknown>, key: string, range: MomentRange): Moments {
  const g = grid(range);
  const n = g ? Number(row[`${key}_n`] ?? 0) : 0;
  if (!g || n === 0) return { n: 0, mean: null, std: null };
  const s1 = BigInt(String(row[`${key}_s1`]));
  const part = (name: string) => BigInt(String(row[`${key}_${name}`]));
  const s2 = (part('aa') << BigInt(2 * HALF)) + (part('ab') << BigInt(HALF + 1)) + part('bb');
  const bn = BigInt(n);
  // n² var = n·Σq² − (Σq)², exact in integers: no cancellation however far the mean sits from the midrange.
  const spread = bn * s2 - s1 * s1;
  return {
    n,
    mean: g.center + (Number(s1) / n) * g.step,
    std: Math.sqrt(Number(spread) / Number(bn * bn)) * g.step,
  };
}
