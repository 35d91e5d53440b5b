/**
 * The key distribution of a request stream, computed in DuckDB: counts per key are grouped and
 * ranked there (millions of keys never come to JS); only totals and curve points come back.
 */
import crypto from 'node:crypto';
import type { DuckSession } from '../data/duckdb';
import type { CoveragePoint, KeyDistribution, RankPoint } from './types';

/** A ranked count table in the session: k (VARCHAR), c (requests), rk (1 = most requested), cum (requests of ranks ≤ rk). */
export interface KeyCounts {
  table: string;
  requests: number;
  withoutKey: number;
  keys: number;
  drop(): Promise<void>;
}

/**
 * Groups the `k` column of `keysSql` (a SELECT) into a ranked table. Ties in count are ranked by
 * key, so the head is the same on every run. A plain (not TEMP) table: batch prediction reads it
 * from a second connection.
 */
export async function countKeys(session: DuckSession, keysSql: string, signal?: AbortSignal): Promise<KeyCounts> {
  const table = `prodml_keys_${crypto.randomBytes(6).toString('hex')}`;
  await session.run(
    `CREATE TABLE ${table} AS
     WITH raw AS (${keysSql}),
          g AS (SELECT k, count(*)::BIGINT AS c FROM raw WHERE k IS NOT NULL GROUP BY k)
     SELECT k, c, row_number() OVER w AS rk, sum(c) OVER (w ROWS UNBOUNDED PRECEDING)::BIGINT AS cum
     FROM g WINDOW w AS (ORDER BY c DESC, k)`,
    { signal },
  );
  const drop = async () => {
    await session.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
  };
  try {
    const [t] = await session.rows(`SELECT count(*) AS keys, coalesce(sum(c), 0) AS requests FROM ${table}`, { signal });
    const [w] = await session.rows(`WITH raw AS (${keysSql}) SELECT count(*) FILTER (WHERE k IS NULL) AS n FROM raw`, { signal });
    return { table, keys: Number(t!['keys']), requests: Number(t!['requests']), withoutKey: Number(w!['n']), drop };
  } catch (e) {
    await drop();
    throw e;
  }
}

/** 1, …, n at about `perDecade` log-spaced steps per decade, plus `extra` (each ≤ n). */
export function logSpaced(n: number, perDecade = 24, extra: number[] = []): number[] {
  const out = new Set<number>();
  if (n < 1) return [];
  const steps = Math.max(1, Math.ceil(Math.log10(n) * perDecade));
  for (let i = 0; i <= steps; i++) out.add(Math.min(n, Math.max(1, Math.round(10 ** ((i / steps) * Math.log10(n))))));
  out.add(n);
  for (const e of extra) if (e >= 1 && e <= n) out.add(Math.floor(e));
  return [...out].sort((a, b) => a - b);
}

/** Requests needed to reach a coverage share: the threshold a cumulative count must reach. */
export function requestsFor(coverage: number, requests: number): number {
  // An ulp of 0.8 × 1000 must not make 800 requests fall short of 80%.
  return Math.ceil(coverage * requests - 1e-9 * Math.max(1, requests));
}

export async function keyDistribution(session: DuckSession, counts: KeyCounts, opts: { topK: number[]; targets: number[]; signal?: AbortSignal }): Promise<KeyDistribution> {
  const { table, requests: R, keys: N, withoutKey } = counts;
  const { signal } = opts;
  const [s] = await session.rows(
    `SELECT coalesce(sum(c * ln(c)), 0) AS clnc, count(*) FILTER (WHERE c = 1) AS singletons, coalesce(max(c), 0) AS maxc, coalesce(avg(length(k)), 0) AS meanlen FROM ${table}`,
    { signal },
  );
  const clnc = Number(s!['clnc']);
  // H = −Σ p ln p with p = c/R, rewritten so that only Σ c ln c is summed: ln R − Σ c ln c / R.
  const entropyNats = R > 0 ? Math.max(0, Math.log(R) - clnc / R) : 0;
  const entropyBits = entropyNats / Math.LN2;

  const topKs = [...new Set(opts.topK.map((k) => Math.min(Math.floor(k), N)).filter((k) => k >= 1))];
  const targets = [...new Set(opts.targets)].sort((a, b) => a - b);
  const keysForCoverage: { coverage: number; k: number }[] = [];
  for (const t of targets) {
    const [r] = await session.rows(`SELECT coalesce(min(rk), 0) AS k FROM ${table} WHERE cum >= ${requestsFor(t, R)}`, { signal });
    keysForCoverage.push({ coverage: t, k: Number(r!['k']) });
  }
  // The curve passes through every k reported, so a table size read off it is exact.
  const curveKs = logSpaced(N, 24, [...topKs, ...keysForCoverage.map((x) => x.k)]);
  const at = new Map<number, { c: number; cum: number }>();
  if (curveKs.length > 0) {
    const rows = await session.rows(`SELECT rk, c, cum FROM ${table} WHERE rk IN (${curveKs.join(', ')}) ORDER BY rk`, { signal });
    for (const r of rows) at.set(Number(r['rk']), { c: Number(r['c']), cum: Number(r['cum']) });
  }
  const cov = (k: number) => (R > 0 ? at.get(k)!.cum / R : 0);
  const curve: CoveragePoint[] = curveKs.map((k) => ({ k, coverage: cov(k) }));
  const ranks: RankPoint[] = curveKs.map((k) => ({ rank: k, count: at.get(k)!.c }));

  const zipf = zipfFit(ranks);
  return {
    requests: R,
    withoutKey,
    keys: N,
    singletons: Number(s!['singletons']),
    maxCount: Number(s!['maxc']),
    repeatShare: R > 0 ? (R - N) / R : 0,
    entropyBits,
    normalizedEntropy: N > 1 ? entropyBits / Math.log2(N) : 0,
    effectiveKeys: 2 ** entropyBits,
    topK: topKs.map((k) => ({ k, coverage: cov(k) })),
    keysForCoverage,
    ...(zipf ? { zipf } : {}),
    curve,
    ranks,
    meanKeyLength: Number(s!['meanlen']),
  };
}

/** Least squares of log10(count) on log10(rank) over log-spaced ranks with count ≥ 3. */
export function zipfFit(ranks: RankPoint[]): KeyDistribution['zipf'] {
  const pts = ranks.filter((p) => p.count >= 3).map((p) => [Math.log10(p.rank), Math.log10(p.count)] as const);
  if (pts.length < 5) return undefined;
  const maxRank = Math.max(...ranks.filter((p) => p.count >= 3).map((p) => p.rank));
  if (maxRank < 10) return undefined;
  const n = pts.length;
  const mx = pts.reduce((a, p) => a + p[0], 0) / n;
  const my = pts.reduce((a, p) => a + p[1], 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (const [x, y] of pts) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
  }
  const slope = sxy / sxx;
  const r2 = syy > 0 ? (sxy * sxy) / (sxx * syy) : 1;
  return { exponent: -slope, r2, ranks: n, maxRank };
}

/** The `limit` most requested keys, most requested first. */
export async function headKeys(session: DuckSession, counts: KeyCounts, limit: number): Promise<string[]> {
  const rows = await session.rows(`SELECT k FROM ${counts.table} WHERE rk <= ${Math.max(0, Math.floor(limit))} ORDER BY rk`);
  return rows.map((r) => String(r['k']));
}
