import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import * as ops from '../core/ops';
import type { MonitorReport, WindowReport } from '../core/ops/types';
import { activeAlerts, fmtNum } from '../core/ops/format';
import { action, EXIT, withCancel, workspaceOf, workspaceOption } from './run';

export function registerMonitorCommand(program: Command): void {
  workspaceOption(
    program
    .command('monitor')
    .description('Windows over the prediction log: traffic, metrics once labels exist, drift against the training data, alerts (exit 1 when any alert fires)')
    .argument('[model]', 'the model to monitor (default: the only one)')
    .option('--since <date>', 'only instances from this date or instant on')
    .option('--json', 'print the monitoring report as one JSON document'),
  ).action(action(monitorCommand));
}

export async function monitorCommand(name: string | undefined, opts: { since?: string; workspace?: string; json?: boolean }): Promise<number> {
  const ws = await workspaceOf(opts);
  const report = await withCancel({ bar: false }, (ctx) => ops.monitor(ws, { ...(name !== undefined ? { model: name } : {}), ...(opts.since !== undefined ? { since: opts.since } : {}) }, ctx));
  if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else process.stdout.write(monitorText(report));
  // Alerts a rollback or a fixed version resolved no longer page anyone.
  return activeAlerts(report.alerts).length > 0 ? EXIT.failed : EXIT.ok;
}

export function monitorText(r: MonitorReport): string {
  const windowKind = typeof r.window === 'string' ? `${r.window} of ${r.time_column}` : `${r.window.requests.toLocaleString('en-US')} requests`;
  const lines: string[] = [];
  lines.push(`${r.model}: ${r.windows.length} windows (${windowKind}), ${r.log.served.toLocaleString('en-US')} served instances, ${r.log.labelled.toLocaleString('en-US')} labelled${r.log.shadow > 0 ? `, ${r.log.shadow.toLocaleString('en-US')} in shadow` : ''}`);
  for (const b of r.baselines) lines.push(`drift against version ${b.version}'s training data (${b.rows.toLocaleString('en-US')} rows; thresholds from ${b.reference})`);
  if (r.log.skipped_lines > 0) lines.push(`(${r.log.skipped_lines} log lines were not whole records and were skipped)`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  if (r.windows.length === 0) {
    lines.push('', `No predictions logged yet in ${r.log.dir}.`);
    return lines.join('\n') + '\n';
  }
  const metricNames = keyMetrics(r);
  const header = ['window', 'served', 'versions', 'labelled', ...metricNames, 'most drifted (value / threshold)', 'alerts'];
  const rows = r.windows.map((w) => [
    w.window,
    w.count.toLocaleString('en-US'),
    w.versions.map((v) => `v${v.version}`).join(' '),
    w.labelled.toLocaleString('en-US'),
    ...metricNames.map((m) => (w.metrics?.[m] === undefined || w.metrics[m] === null ? '-' : fmtNum(w.metrics[m]!))),
    worstDrift(w),
    alertCell(r, w),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const left = new Set([0, 2, header.length - 2]);
  const fmtRow = (row: string[]) => row.map((c, i) => (left.has(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  lines.push('', fmtRow(header), ...rows.map(fmtRow));
  for (const m of r.markers.filter((x) => x.window)) lines.push(`  | ${m.window}: ${m.description}`);
  lines.push('');
  const active = activeAlerts(r.alerts);
  const resolved = r.alerts.filter((a) => a.status === 'resolved');
  if (active.length === 0) lines.push(resolved.length ? 'No active alerts.' : 'No alerts.');
  else {
    lines.push(`${active.length} alert${active.length === 1 ? '' : 's'}:`);
    for (const a of active) lines.push(`  ✗ ${a.message}`);
  }
  if (resolved.length) {
    lines.push(`${resolved.length} resolved alert${resolved.length === 1 ? '' : 's'} (version ${[...new Set(resolved.map((a) => a.version))].join(', ')} no longer serves):`);
    for (const a of resolved) lines.push(`  ✓ ${a.message} Resolved: ${a.resolved!.description}.`);
  }
  return lines.join('\n') + '\n';
}

/** How many alerts a window has, and how many of them a version change resolved. */
function alertCell(r: MonitorReport, w: WindowReport): string {
  const mine = r.alerts.filter((a) => a.window === w.window);
  const resolved = mine.filter((a) => a.status === 'resolved').length;
  if (mine.length === 0) return '';
  return resolved === mine.length ? `${mine.length} resolved` : resolved ? `${mine.length - resolved} (+${resolved} resolved)` : String(mine.length);
}

function keyMetrics(r: MonitorReport): string[] {
  const all = r.task === 'regression' ? ['rmse', 'mae'] : r.task === 'binary' ? ['auc', 'log_loss'] : r.task === 'multiclass' ? ['accuracy', 'log_loss'] : [];
  return r.windows.some((w) => w.metrics) ? all : [];
}

function worstDrift(w: WindowReport): string {
  let best: { ratio: number; text: string } | undefined;
  for (const d of w.drift) {
    if (d.value === null || !(d.threshold > 0)) continue;
    const ratio = d.value / d.threshold;
    if (!best || ratio > best.ratio) best = { ratio, text: `${d.feature}${d.statistic === 'missing_rate' ? ' missing' : ''} ${fmtNum(d.value)} / ${fmtNum(d.threshold)}${d.alert ? ' !' : ''}` };
  }
  return best?.text ?? '-';
}
