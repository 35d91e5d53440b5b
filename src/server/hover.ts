/** Hover on a CSV header cell: the feature's constraints and what the last check found. */
import type { Hover } from 'vscode-languageserver/node';
import { splitCsvLine } from '../core/ops/language';
import type { ColumnProfile } from '../core/ops/language';
import { fmtInt, fmtNum, fmtPct } from '../core/ops/language';
import type { Anomaly, Schema } from '../core/ops/language';
import { delimiterOf } from './diagnostics';

/** The column under `character` in the header line, if any. */
export function headerCell(header: string, character: number, uri: string): { name: string; start: number; end: number } | undefined {
  const delim = delimiterOf(uri);
  if (!delim) return undefined;
  const cell = splitCsvLine(header, delim).find((c) => character >= c.start && character <= c.end);
  return cell ? { name: cell.value, start: cell.start, end: cell.end } : undefined;
}

/** What the column holds, in one or two lines. */
function statsLines(c: ColumnProfile, rows: number): string[] {
  const out = [`${fmtInt(c.count)} values, ${fmtPct(rows ? c.missing / rows : 0)} missing, ${c.distinctExact ? '' : '≈'}${fmtInt(c.distinct)} distinct`];
  if (c.type === 'int' || c.type === 'float') out.push(`mean ${fmtNum(c.mean)}, std ${fmtNum(c.std)}, min ${fmtNum(c.min as number)}, median ${fmtNum(c.quantiles?.p50 as number)}, max ${fmtNum(c.max as number)}`);
  else if (c.type === 'timestamp') out.push(`${String(c.min).slice(0, 10)} .. ${String(c.max).slice(0, 10)}`);
  else if (c.top?.length) out.push(`top: ${c.top.slice(0, 3).map((t) => `\`${t.value}\` ${fmtPct(t.count / (c.count || 1))}`).join(', ')}`);
  return out;
}

export function headerHover(header: string, character: number, uri: string, schema: Schema, anomalies: Anomaly[], profile?: { rows: number; columns: ColumnProfile[] }): Hover | null {
  const cell = headerCell(header, character, uri);
  if (!cell) return null;
  const name = cell.name;
  const f = schema.features[name];
  const lines: string[] = [`**${name}**`];
  const col = profile?.columns.find((c) => c.name === name);
  if (col) lines.push('', ...statsLines(col, profile!.rows));
  if (!f) lines.push('', 'Not in the schema.');
  else {
    lines.push('', `type: \`${f.type}\`${f.deprecated ? ' (deprecated: not checked)' : ''}`);
    if (f.presence?.min_fraction !== undefined) lines.push(`present in at least ${(f.presence.min_fraction * 100).toFixed(0)}% of rows`);
    if (f.domain) lines.push(`domain: ${f.domain.map((v) => `\`${v}\``).join(', ')}`);
    if (f.range) lines.push(`range: ${f.range.min ?? '−∞'} .. ${f.range.max ?? '∞'}`);
    if (f.not_in) lines.push(`not in: ${f.not_in.join(', ')}`);
    if (f.drift) lines.push(`drift: ${Object.entries(f.drift).map(([m, t]) => `${m} ≤ ${t?.threshold}`).join(', ')}`);
    if (f.skew) lines.push(`skew: ${Object.entries(f.skew).map(([m, t]) => `${m} ≤ ${t?.threshold}`).join(', ')}`);
  }
  const mine = anomalies.filter((a) => a.feature === name);
  if (mine.length > 0) lines.push('', `**${mine.length} finding${mine.length > 1 ? 's' : ''}**`, ...mine.slice(0, 5).map((a) => `- ${a.description}`));
  return {
    contents: { kind: 'markdown', value: lines.join('  \n') },
    range: { start: { line: 0, character: cell.start }, end: { line: 0, character: cell.end } },
  };
}
