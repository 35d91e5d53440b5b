/** A fit of transforms on a table planted for test/unit/fitDeterminism.test.ts; run as a script, it prints the fit. */
import { DuckSession } from '../../src/core/data/duckdb';
import { fitTransforms } from '../../src/core/features/fit';
import type { FeatureSpec } from '../../src/core/features/spec';

const ROWS = 600_000;
// Values from hashes of the row number: the same table in every process, whatever the threads do.
const u = (salt: number) => `((hash(i * 7919 + ${salt}) % 1000000007) / 1000000007.0)`;
const TABLE = `CREATE TEMP TABLE d AS SELECT
  sqrt(-2 * ln(${u(1)} + 1e-12)) * cos(2 * pi() * ${u(2)}) AS x,
  CASE WHEN i = 77 THEN 1e9 ELSE 2020 + 3 * ${u(3)} END AS sentinel,
  exp(10 + 0.6 * ${u(4)}) AS income,
  CASE WHEN i % 1000 = 0 THEN 'inf'::DOUBLE ELSE ${u(5)} * 100 - 50 END AS with_inf,
  TIMESTAMP '2001-01-01' + to_days(CAST(floor(${u(6)} * 9000) AS INTEGER)) AS seen
FROM range(${ROWS}) t(i)`;
const SPECS: FeatureSpec[] = [
  { name: 'x', transform: { kind: 'standardize' } },
  { name: 'sentinel', transform: { kind: 'standardize' } },
  { name: 'income', transform: { kind: 'log' } },
  { name: 'with_inf', transform: { kind: 'min_max' } },
  { name: 'seen', transform: { kind: 'date_parts', parts: ['year'] } },
] as FeatureSpec[];

export async function fitOnce(): Promise<{ fitted: string; reference: Record<string, unknown> }> {
  const session = await DuckSession.open({ allowedDirectories: [process.cwd()] });
  try {
    await session.run(TABLE);
    const fitted = await fitTransforms(session, SPECS, { relation: 'd' });
    const [reference] = await session.rows(`SELECT avg(x) AS x_mean, stddev_pop(x) AS x_std, avg(sentinel) AS s_mean, stddev_pop(sentinel) AS s_std,
      avg(ln(income + 1)) AS l_mean, stddev_pop(ln(income + 1)) AS l_std, avg(income) AS i_mean,
      min(with_inf) FILTER (WHERE isfinite(with_inf)) AS w_min, max(with_inf) FILTER (WHERE isfinite(with_inf)) AS w_max, avg(with_inf) FILTER (WHERE isfinite(with_inf)) AS w_mean,
      avg(year(seen)) AS y_mean, stddev_pop(year(seen)) AS y_std FROM d`);
    return { fitted: JSON.stringify(fitted), reference: reference! };
  } finally {
    session.close();
  }
}

if (process.argv[1]?.endsWith('fitOnce.ts')) void fitOnce().then((r) => process.stdout.write(r.fitted));
