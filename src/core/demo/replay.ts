/**
 * Replays the demo's months after deployment (data/stream/*.csv) against a running prediction
 * server, as its clients would: JSON instances without the label, a few births per request.
 */
import fs from 'node:fs/promises';
import { NATALITY_LABEL } from './natality';

/** A demo CSV's rows as request instances, typed as a JSON client sends them, the label left out. */
export async function streamInstances(file: string): Promise<Record<string, unknown>[]> {
  const [header, ...lines] = (await fs.readFile(file, 'utf8')).trim().split('\n');
  const cols = header!.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    const row: Record<string, unknown> = {};
    cols.forEach((c, i) => {
      if (c === NATALITY_LABEL) return;
      const v = cells[i] ?? '';
      row[c] = v === '' ? null : v === 'true' ? true : v === 'false' ? false : c !== 'birth_id' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
    });
    return row;
  });
}

/** Sends every row of `file` to `<url>/v1/models/<model>:predict`; returns how many were answered. */
export async function replayFile(url: string, model: string, file: string, opts: { perRequest?: number; signal?: AbortSignal } = {}): Promise<number> {
  const rows = await streamInstances(file);
  const per = opts.perRequest ?? 25;
  let answered = 0;
  for (let i = 0; i < rows.length; i += per) {
    const res = await fetch(`${url}/v1/models/${encodeURIComponent(model)}:predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: rows.slice(i, i + per) }),
      signal: opts.signal,
    });
    if (!res.ok) throw new Error(`${url} answered ${res.status} for rows ${i + 1}-${Math.min(rows.length, i + per)} of ${file}: ${await res.text()}`);
    answered += ((await res.json()) as { predictions: unknown[] }).predictions.length;
  }
  return answered;
}
