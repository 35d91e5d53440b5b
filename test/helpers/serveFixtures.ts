/**
 * A demo workspace with trained, registered baby_weight versions for the serving tests: small
 * months and few epochs so it builds in seconds. Version n is trained with seed 40 + n, so
 * versions give different predictions for the same row.
 */
import fs from 'node:fs';
import path from 'node:path';
import { prepareDemoWorkspace } from '../../src/core/demo/prepare';
import { openRegistry } from '../../src/core/registry';
import { trainFromConfig } from '../../src/core/train/run';
import { tempDir } from './fixtures';

export const MODEL = 'baby_weight';

export async function servingWorkspace(opts: { versions: number; rowsPerMonth?: number; promote?: number }): Promise<string> {
  const ws = path.join(tempDir('prodml-serve-'), 'demo');
  await prepareDemoWorkspace(ws, { rowsPerMonth: opts.rowsPerMonth ?? 200 });
  for (let v = 1; v <= opts.versions; v++) {
    setYaml(ws, (y) => y.replace(/training: \{[^}]*\}[^\n]*/, `training: {epochs: 4, batch_size: 256, learning_rate: 0.01, seed: ${40 + v}}`));
    await trainFromConfig(ws, MODEL, {});
  }
  if (opts.promote) await (await openRegistry(ws)).promote(MODEL, opts.promote, 'production');
  return ws;
}

/** Rewrites prodml.yaml, e.g. to change the model's serving block. */
export function setYaml(ws: string, edit: (yaml: string) => string): void {
  const file = path.join(ws, 'prodml.yaml');
  fs.writeFileSync(file, edit(fs.readFileSync(file, 'utf8')));
}

/** Sets models.baby_weight.serving to the given YAML flow mapping, e.g. `{key: birth_id, canary: {alias: candidate, percent: 30}}`. */
export function setServing(ws: string, flow: string): void {
  setYaml(ws, (y) => y.replace(/\n    serving:\n(      [^\n]*\n)+/, `\n    serving: ${flow}\n`).replace(/\n    serving: \{[^\n]*\}\n/, `\n    serving: ${flow}\n`));
}

/** Rows of a demo stream month (post-deployment, with birth_id keys and labels), typed as JSON clients send them. */
export function streamRows(ws: string, month = '2025-03', limit = Infinity): Record<string, unknown>[] {
  const [header, ...lines] = fs.readFileSync(path.join(ws, `data/stream/natality-${month}.csv`), 'utf8').trim().split('\n');
  const cols = header!.split(',');
  return lines.slice(0, limit).map((line) => {
    const cells = line.split(',');
    const row: Record<string, unknown> = {};
    cols.forEach((c, i) => {
      const v = cells[i]!;
      if (c === 'weight_pounds') return; // the label is not sent at serving time
      row[c] = v === '' ? null : v === 'true' ? true : v === 'false' ? false : /^-?\d+(\.\d+)?$/.test(v) && c !== 'birth_id' ? Number(v) : v;
    });
    return row;
  });
}

/** POSTs `{"instances": rows}` and returns status, headers and the parsed body. */
export async function predict(url: string, rows: unknown[], opts: { path?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const r = await fetch(`${url}/v1/models/${opts.path ?? `${MODEL}:predict`}`, { method: 'POST', headers: { 'content-type': 'application/json', ...opts.headers }, body: JSON.stringify({ instances: rows }) });
  return { status: r.status, body: await r.json(), headers: r.headers };
}

/** The model's prediction log lines, parsed (torn lines skipped). */
export function logRecords(ws: string, model = MODEL): any[] {
  const dir = path.join(ws, '.prodml/logs', model);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => /^predictions-.*\.jsonl$/.test(f))
    .sort()
    .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
}
