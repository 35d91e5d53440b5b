/**
 * The fitted transforms are the same bits on every run (exactMoments.ts): DuckDB's parallel
 * avg/stddev_pop changed their last bits between runs, and so the model a seed gives. The data
 * spans several row groups, so the scans run on both threads.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fitOnce } from '../helpers/fitOnce';

const close = (actual: number | undefined, expected: unknown, what: string, rel = 1e-12) =>
  assert.ok(Math.abs(actual! - Number(expected)) <= rel * Math.max(1, Math.abs(Number(expected))), `${what}: ${actual} against DuckDB's ${String(expected)}`);

test('fitted transforms: the same bits in four runs and in another process, and DuckDB’s own float aggregates within 1e-12', async () => {
  const runs = [];
  for (let k = 0; k < 4; k++) runs.push(await fitOnce());
  const other = execFileSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '../helpers/fitOnce.ts')], { encoding: 'utf8' });
  for (const r of runs) assert.equal(r.fitted, runs[0]!.fitted);
  assert.equal(other, runs[0]!.fitted);

  const { fitted, reference: d } = runs[0]!;
  const f = JSON.parse(fitted).features;
  close(f[0].center, d['x_mean'], 'x mean');
  close(f[0].scale, d['x_std'], 'x std');
  // One sentinel at 1e9 stretches the grid to 2^40 steps of 4.5e-4: the spread of 2020 + 3u stays right.
  close(f[1].center, d['s_mean'], 'sentinel mean', 1e-9);
  close(f[1].scale, d['s_std'], 'sentinel std', 1e-9);
  close(f[2].center, d['l_mean'], 'log mean');
  close(f[2].scale, d['l_std'], 'log std');
  close(f[2].impute, d['i_mean'], 'income mean');
  // Infinity is missing, as apply.ts imputes it: neither the range nor the mean counts it.
  close(f[3].center, d['w_min'], 'min');
  close(f[3].scale, Number(d['w_max']) - Number(d['w_min']), 'range');
  close(f[3].impute, d['w_mean'], 'finite mean');
  close(f[4].yearCenter, d['y_mean'], 'year mean');
  close(f[4].yearScale, d['y_std'], 'year std');
});
