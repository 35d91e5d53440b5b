/**
 * Minimal RFC 4180 CSV writer: header row, comma separated, `\n` line ends, a final newline.
 * Cells: null/undefined -> empty (missing); booleans -> true/false; numbers -> shortest
 * round-trip text; strings quoted when they hold a comma, quote, CR or LF, when they have
 * leading/trailing spaces, or when empty (`""`, so an empty string is not read as missing).
 */

export type CsvCell = string | number | boolean | null | undefined;

export function toCsv<T extends object>(columns: readonly string[], rows: Iterable<T>): string {
  const lines: string[] = [columns.map(quoteCsv).join(',')];
  for (const row of rows) {
    const r = row as Record<string, unknown>;
    lines.push(columns.map((c) => formatCell(r[c], c)).join(','));
  }
  return lines.join('\n') + '\n';
}

export function formatCell(value: unknown, column = '?'): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`column ${column}: cannot write ${value} to CSV`);
    return String(value);
  }
  if (typeof value === 'string') return quoteCsv(value);
  throw new TypeError(`column ${column}: cannot write a ${typeof value} to CSV`);
}

export function quoteCsv(s: string): string {
  if (s === '' || /[",\r\n]/.test(s) || s.trim() !== s) return `"${s.replace(/"/g, '""')}"`;
  return s;
}
