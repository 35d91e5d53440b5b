/** Hover on a CSV header cell: the feature's constraints and what the last check found. */
import type { Hover } from 'vscode-languageserver/node';
import { splitCsvLine } from '../core/schema/lineIndex';
import type { Anomaly, Schema } from '../core/schema/types';
import { delimiterOf } from './diagnostics';

export function headerHover(header: string, character: number, uri: string, schema: Schema, anomalies: Anomaly[]): Hover | null {
  const delim = delimiterOf(uri);
  if (!delim) return null;
  const cells = splitCsvLine(header, delim);
  const cell = cells.find((c) => character >= c.start && character <= c.end);
  if (!cell) return null;
  const name = cell.value;
  const f = schema.features[name];
  const lines: string[] = [`**${name}**`];
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
