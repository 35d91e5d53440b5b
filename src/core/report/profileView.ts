import type { ColumnProfile, ColumnWarning, DatasetProfile, ProfileResult } from '../data/profileTypes';
import { QUANTILE_KEYS } from '../data/profileTypes';
import { profileCharts } from './profileCharts';
import { fmtInt, fmtPct as formatPct, fmtValue } from './format';
import { specJson } from './vegaSpec';

/** What a profile card shows, computed once for the webview and the HTML report alike. */
export interface ProfileView {
  title: string;
  datasets: { label: string; rows: string; columns: number; elapsed: string }[];
  columns: ColumnView[];
}

export interface ColumnView {
  name: string;
  type: string;
  duckdbType: string;
  warnings: ColumnWarning[];
  /** Warnings of the compared dataset's column, or that it lacks the column. */
  compareWarnings: ColumnWarning[];
  stats: { label: string; values: string[] }[];
  /** A Vega-Lite spec as JSON. */
  spec: Record<string, unknown>;
}
// ProfileView must stay assignable to the webview contract (src/protocol/profileMessages.ts).

export function profileView(result: ProfileResult, chartWidth: number | 'container' = 'container', chartHeight?: number): ProfileView {
  const sets: DatasetProfile[] = result.compare ? [result, result.compare] : [result];
  const charts = profileCharts(result, chartWidth, chartHeight);
  return {
    title: result.compare ? `${result.source} vs ${result.compare.source}` : result.source,
    datasets: sets.map((d) => ({
      label: d.source,
      rows: d.rows.toLocaleString('en-US'),
      columns: d.columns.length,
      elapsed: `${(d.elapsedMs / 1000).toFixed(2)} s`,
    })),
    columns: result.columns.map((col, i) => {
      const other = result.compare?.columns.find((c) => c.name === col.name);
      const cols = result.compare ? [col, other] : [col];
      const compareWarnings: ColumnWarning[] = [];
      if (result.compare && !other) compareWarnings.push({ code: 'all_missing', message: `Missing from ${result.compare.source}` });
      if (other) compareWarnings.push(...other.warnings);
      if (other && other.type !== col.type) {
        compareWarnings.push({ code: 'constant', message: `Type is ${other.type} in ${result.compare!.source}, ${col.type} here` });
      }
      return {
        name: col.name,
        type: col.type,
        duckdbType: col.duckdbType,
        warnings: col.warnings,
        compareWarnings,
        stats: statRows(cols, sets.map((d) => d.rows)),
        spec: specJson(charts[i]!.spec),
      };
    }),
  };
}

function statRows(cols: (ColumnProfile | undefined)[], rows: number[]): { label: string; values: string[] }[] {
  const out: { label: string; values: string[] }[] = [];
  const add = (label: string, f: (c: ColumnProfile, rows: number) => string | undefined) => {
    const values = cols.map((c, i) => (c ? (f(c, rows[i] ?? 0) ?? '') : '—'));
    if (values.some((v) => v !== '' && v !== '—')) out.push({ label, values });
  };
  add('count', (c) => fmtInt(c.count));
  add('missing', (c, n) => `${fmtInt(c.missing)} (${fmtPct(n ? c.missing / n : 0)})`);
  add('distinct', (c) => `${c.distinctExact ? '' : '≈'}${fmtInt(c.distinct)}`);
  add('mean', (c) => (c.type === 'bool' ? fmtPct(c.mean) + ' true' : fmtNum(c.mean)));
  add('std', (c) => fmtNum(c.std));
  add('min', (c) => fmtAny(c.min));
  for (const k of QUANTILE_KEYS) add(k, (c) => fmtAny(c.quantiles?.[k]));
  add('max', (c) => fmtAny(c.max));
  add('top', (c) => (c.type === 'string' && c.top?.[0] ? `${c.top[0].value} (${fmtInt(c.top[0].count)})` : undefined));
  return out;
}

export { fmtInt } from './format';

/** The one number format (format.ts); integers whole; no value is a blank cell. */
export function fmtNum(x: number | null | undefined): string {
  if (x === null || x === undefined) return '';
  return fmtValue(x);
}

export function fmtPct(x: number | null | undefined): string {
  if (x === null || x === undefined) return '';
  return formatPct(x);
}

function fmtAny(x: number | string | null | undefined): string {
  if (typeof x === 'string') return x.endsWith('T00:00:00.000Z') ? x.slice(0, 10) : x.replace('.000Z', 'Z');
  return fmtNum(x);
}
