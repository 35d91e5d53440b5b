/**
 * Single-row `:predict` bodies from the demo's first post-deployment month, label left out, for
 * the serving benchmarks (bench:serve, bench:reliability) to send the same requests.
 */
import fs from 'node:fs';
import path from 'node:path';

export function streamBodies(ws: string, count: number): string[] {
  const text = fs.readFileSync(path.join(ws, 'data/stream/natality-2025-03.csv'), 'utf8').trim().split('\n');
  const cols = text[0]!.split(',');
  return text.slice(1, count + 1).map((line) => {
    const cells = line.split(',');
    const row: Record<string, unknown> = {};
    cols.forEach((c, i) => {
      const v = cells[i]!;
      if (c === 'weight_pounds') return;
      row[c] = v === '' ? null : v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v;
    });
    return JSON.stringify({ instances: [row] });
  });
}
