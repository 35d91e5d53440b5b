import fs from 'node:fs/promises';
import path from 'node:path';
import { DuckSession } from '../core/data/duckdb';
import { profileDatasets } from '../core/data/profile';
import type { ProfileResult } from '../core/data/profileTypes';
import { openSource, readRoot } from '../core/data/source';
import { profileHtml } from '../core/report/profileHtml';
import { fmtInt, fmtNum, fmtPct } from '../core/report/profileView';
import { progressBar } from './progress';

export interface ProfileCommandOptions {
  compare?: string;
  json?: boolean;
  html?: string;
}

/** Profiles `data` (and `compare`), reading only from the folders those paths name. */
export async function runProfile(data: string, opts: { compare?: string }, onProgress?: (f: number, phase: string) => void): Promise<ProfileResult> {
  const base = await openSource(data);
  const compare = opts.compare ? await openSource(opts.compare) : undefined;
  const dirs = [process.cwd(), readRoot(data), ...(opts.compare ? [readRoot(opts.compare)] : [])];
  const session = await DuckSession.open({ allowedDirectories: dirs });
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    return await profileDatasets(session, base, compare, { signal: abort.signal, onProgress });
  } finally {
    process.off('SIGINT', onSigint);
    session.close();
  }
}

export async function profileCommand(data: string, opts: ProfileCommandOptions): Promise<number> {
  const bar = progressBar(!opts.json && process.stderr.isTTY === true);
  let result: ProfileResult;
  try {
    result = await runProfile(data, opts, bar.update);
  } finally {
    bar.stop();
  }
  if (opts.html) {
    const out = path.resolve(opts.html);
    await fs.mkdir(path.dirname(out), { recursive: true });
    await fs.writeFile(out, await profileHtml(result));
    if (!opts.json) process.stdout.write(`HTML report: ${out}\n`);
    else process.stderr.write(`HTML report: ${out}\n`);
  }
  if (opts.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } else {
    process.stdout.write(profileText(result));
  }
  return 0;
}

/** The terminal summary: one line per column, flagged columns called out. */
export function profileText(r: ProfileResult): string {
  const lines: string[] = [];
  const describe = (label: string, d: { rows: number; columns: unknown[]; elapsedMs: number }) =>
    `${label}: ${fmtInt(d.rows)} rows, ${d.columns.length} columns (${(d.elapsedMs / 1000).toFixed(2)} s)`;
  lines.push(describe(r.source, r));
  if (r.compare) lines.push(describe(`compared with ${r.compare.source}`, r.compare));
  const w = Math.max(6, ...r.columns.map((c) => c.name.length));
  lines.push('', `${'column'.padEnd(w)}  ${'type'.padEnd(9)} ${'missing'.padStart(8)} ${'distinct'.padStart(9)}  summary`);
  for (const c of r.columns) {
    const summary =
      c.type === 'string' || c.type === 'bool'
        ? (c.top ?? []).slice(0, 3).map((t) => `${t.value} ${fmtPct(t.count / (c.count || 1))}`).join(', ')
        : c.type === 'timestamp'
          ? `${String(c.min ?? '').slice(0, 10)} .. ${String(c.max ?? '').slice(0, 10)}`
          : `mean ${fmtNum(c.mean)}, min ${fmtNum(c.min as number)}, median ${fmtNum(c.quantiles?.p50 as number)}, max ${fmtNum(c.max as number)}`;
    lines.push(`${c.name.padEnd(w)}  ${c.type.padEnd(9)} ${fmtPct(c.missing / (r.rows || 1)).padStart(8)} ${fmtInt(c.distinct).padStart(9)}  ${summary}`);
    for (const warn of c.warnings) lines.push(`${''.padEnd(w)}  ⚠ ${warn.message}`);
  }
  if (r.compare) {
    const names = new Set(r.columns.map((c) => c.name));
    for (const c of r.compare.columns) if (!names.has(c.name)) lines.push(`${c.name.padEnd(w)}  only in ${r.compare.source}`);
    for (const c of r.columns) if (!r.compare.columns.some((o) => o.name === c.name)) lines.push(`⚠ ${c.name} is missing from ${r.compare.source}`);
  }
  return lines.join('\n') + '\n';
}
