import type { Command } from 'commander';
import * as ops from '../core/ops';
import type { ColumnProfile, ProfileResult } from '../core/ops/types';
import { fmtInt, fmtNum, fmtPct } from '../core/ops/format';
import { action, withCancel, workspaceOf, workspaceOption } from './run';

export interface ProfileCommandOptions {
  workspace?: string;
  compare?: string;
  json?: boolean;
  html?: string;
}

export function registerProfileCommand(program: Command): void {
  workspaceOption(
    program
      .command('profile')
      .description('Profile a dataset (CSV, TSV, Parquet, JSON, JSON Lines, or a glob of them)')
      .argument('<data>', 'data file or glob, or a dataset name from prodml.yaml (a database dataset is profiled in place)')
      .option('--compare <data>', 'a second dataset to overlay, e.g. serving vs training')
      .option('--json', 'print the profile as one JSON document')
      .option('--html <out.html>', 'write a self-contained HTML report'),
  ).action(action(profileCommand));
}

export async function profileCommand(data: string, opts: ProfileCommandOptions): Promise<number> {
  const ws = await workspaceOf(opts, false);
  const result = await withCancel(opts, (ctx) => ops.profile(ws, { data, ...(opts.compare ? { compare: opts.compare } : {}) }, ctx));
  if (opts.html) {
    const out = await ops.writeProfileHtml(ws, result, opts.html);
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

/** The terminal summary: one line per column, flagged columns called out, moves vs --compare. */
export function profileText(r: ProfileResult): string {
  const lines: string[] = [];
  const describe = (label: string, d: { rows: number; columns: unknown[]; elapsedMs: number }) =>
    `${label}: ${fmtInt(d.rows)} rows, ${d.columns.length} columns (${(d.elapsedMs / 1000).toFixed(2)} s)`;
  lines.push(describe(r.source, r));
  if (r.compare) lines.push(describe(`compared with ${r.compare.source}`, r.compare));
  const w = Math.max(6, ...r.columns.map((c) => c.name.length));
  lines.push('', `${'column'.padEnd(w)}  ${'type'.padEnd(9)} ${'missing'.padStart(8)} ${'distinct'.padStart(9)}  summary`);
  for (const c of r.columns) {
    lines.push(`${c.name.padEnd(w)}  ${c.type.padEnd(9)} ${fmtPct(c.missing / (r.rows || 1)).padStart(8)} ${((c.distinctExact ? '' : '≈') + fmtInt(c.distinct)).padStart(9)}  ${summary(c)}`);
    for (const warn of c.warnings) lines.push(`${''.padEnd(w)}  ⚠ ${warn.message}`);
    const other = r.compare?.columns.find((o) => o.name === c.name);
    if (r.compare && !other) lines.push(`${''.padEnd(w)}  ⚠ missing from ${r.compare.source}`);
    if (other) {
      const move = movement(c, other);
      if (move) lines.push(`${''.padEnd(w)}  → compare: ${move}`);
    }
  }
  if (r.compare) {
    for (const c of r.compare.columns) {
      if (!r.columns.some((o) => o.name === c.name)) lines.push(`${c.name.padEnd(w)}  only in ${r.compare.source}: ${c.type}, ${summary(c)}`);
    }
  }
  return lines.join('\n') + '\n';
}

function summary(c: ColumnProfile): string {
  if (c.type === 'string' || c.type === 'bool') {
    return (c.top ?? []).slice(0, 3).map((t) => `${t.value} ${fmtPct(t.count / (c.count || 1))}`).join(', ');
  }
  if (c.type === 'timestamp') return `${String(c.min ?? '').slice(0, 10)} .. ${String(c.max ?? '').slice(0, 10)}`;
  return `mean ${fmtNum(c.mean)}, min ${fmtNum(c.min as number)}, median ${fmtNum(c.quantiles?.p50 as number)}, max ${fmtNum(c.max as number)}`;
}

/** How the compared column differs, in the terms a person checks first; undefined if it barely moved. */
function movement(base: ColumnProfile, other: ColumnProfile): string | undefined {
  if (other.type !== base.type) return `type ${base.type} → ${other.type}`;
  const parts: string[] = [];
  const missA = base.missing / (base.count + base.missing || 1);
  const missB = other.missing / (other.count + other.missing || 1);
  if (Math.abs(missB - missA) >= 0.02) parts.push(`missing ${fmtPct(missA)} → ${fmtPct(missB)}`);
  if ((base.type === 'int' || base.type === 'float') && base.mean != null && other.mean != null) {
    const sd = base.std || 1;
    const shift = (other.mean - base.mean) / sd;
    if (Math.abs(shift) >= 0.1) parts.push(`mean ${fmtNum(base.mean)} → ${fmtNum(other.mean)} (${shift > 0 ? '+' : ''}${shift.toFixed(2)} sd)`);
  }
  if (base.type === 'string' || base.type === 'bool') {
    const share = (c: ColumnProfile, v: string) => (c.top?.find((t) => t.value === v)?.count ?? 0) / (c.count || 1);
    const values = new Set([...(base.top ?? []), ...(other.top ?? [])].map((t) => t.value));
    let most: { v: string; d: number } | undefined;
    for (const v of values) {
      const d = share(other, v) - share(base, v);
      if (!most || Math.abs(d) > Math.abs(most.d)) most = { v, d };
    }
    if (most && Math.abs(most.d) >= 0.02) parts.push(`"${most.v}" ${fmtPct(share(base, most.v))} → ${fmtPct(share(other, most.v))}`);
  }
  return parts.length ? parts.join('; ') : undefined;
}
