/**
 * The alert lifecycle, through the real server, registry and CLI: version 1 serves a clean month;
 * version 2 is promoted and serves the drifted month (May), which alerts and makes `prodml
 * monitor` exit 1; production is rolled back to version 1, which resolves May's alert (it
 * belongs to version 2); version 1 serves a clean month after the rollback and the monitor
 * exits 0. The dashboard lists the alert as resolved, with when and by which action, and the
 * Problems panel no longer gets it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { MonitorReport } from '../../src/core/monitor';
import { openRegistry } from '../../src/core/registry';
import { startServer } from '../../src/core/serve/server';
import { monitorPage } from '../../src/core/report/monitorPage';
import { MODEL, predict, servingWorkspace, streamRows } from '../helpers/serveFixtures';

const MAIN = path.join(__dirname, '../../src/cli/main.ts');

function monitor(ws: string): { status: number | null; report: MonitorReport; text: string } {
  const run = (json: boolean) =>
    spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'monitor', MODEL, '--workspace', ws, ...(json ? ['--json'] : [])], {
      cwd: path.join(__dirname, '../..'),
      encoding: 'utf8',
      timeout: 120_000,
    });
  const json = run(true);
  assert.ok(json.status === 0 || json.status === 1, `monitor exited ${json.status}: ${json.stderr}`);
  const text = run(false);
  assert.equal(text.status, json.status);
  return { status: json.status, report: JSON.parse(json.stdout) as MonitorReport, text: text.stdout };
}

/** Serves a month of the demo stream with whatever production is, through the real server. */
async function serveMonth(ws: string, month: string): Promise<void> {
  const server = await startServer({ root: ws, port: 0 });
  try {
    const rows = streamRows(ws, month);
    for (let i = 0; i < rows.length; i += 100) assert.equal((await predict(server.url, rows.slice(i, i + 100))).status, 200);
  } finally {
    await server.close();
  }
}

test('an alert belongs to the version that served it: rolled back, it is resolved, and clean windows exit 0', { timeout: 300_000 }, async () => {
  const ws = await servingWorkspace({ versions: 2, rowsPerMonth: 500, promote: 1 });
  const registry = await openRegistry(ws);

  await serveMonth(ws, '2025-03');
  let m = monitor(ws);
  assert.equal(m.status, 0, m.text);
  assert.deepEqual(m.report.alerts, []);

  await registry.promote(MODEL, 2, 'production', 'a new version');
  await serveMonth(ws, '2025-05');
  m = monitor(ws);
  assert.equal(m.status, 1, m.text);
  const may = m.report.alerts.filter((a) => a.window === '2025-05');
  assert.ok(may.length >= 2, m.text);
  assert.deepEqual([...new Set(m.report.alerts.map((a) => a.window))], ['2025-05']);
  assert.ok(may.every((a) => a.version === 2 && a.status === 'active' && a.resolved === undefined));
  assert.deepEqual(monitorPage(m.report, undefined).alerts.length, m.report.alerts.length, 'active alerts go to the Problems panel');

  const change = await registry.rollback(MODEL);
  assert.equal(change.to, 1);
  const rolledBackAt = JSON.parse(fs.readFileSync(path.join(ws, '.prodml/registry', MODEL, 'aliases.json'), 'utf8')).production;
  assert.equal(rolledBackAt, 1);

  await serveMonth(ws, '2025-06');
  m = monitor(ws);
  assert.equal(m.status, 0, m.text);
  assert.deepEqual(m.report.windows.map((w) => [w.window, w.versions.map((v) => v.version)]), [['2025-03', [1]], ['2025-05', [2]], ['2025-06', [1]]]);
  // The June window of version 1 is clean; May's alerts stay in the report, resolved by the rollback.
  assert.ok(m.report.windows.find((w) => w.window === '2025-06')!.drift.every((d) => !d.alert));
  const resolved = m.report.alerts;
  assert.equal(resolved.length, may.length);
  const history = await registry.history(MODEL);
  const rollback = history.at(-1)!;
  assert.equal(rollback.action, 'rollback');
  for (const a of resolved) {
    assert.equal(a.window, '2025-05');
    assert.equal(a.status, 'resolved');
    assert.deepEqual({ at: a.resolved!.at, action: a.resolved!.action, from: a.resolved!.from, to: a.resolved!.to }, { at: rollback.at, action: 'rollback', from: 2, to: 1 });
  }
  assert.match(m.text, /No active alerts\./);
  assert.match(m.text, /resolved alerts? \(version 2 no longer serves\)/);
  assert.match(m.text, /Resolved: production rolled back from version 2 to 1 on \d{4}-\d\d-\d\d \d\d:\d\d UTC/);

  // The dashboard shows them as resolved, when and by what; the Problems panel gets none.
  const page = monitorPage(m.report, undefined);
  assert.equal(page.alerts.length, 0);
  assert.equal(page.sections[0]!.title, 'No active alerts');
  const table = page.sections.find((s) => /resolved alert/.test(s.title))!.table!;
  assert.deepEqual(table.columns, ['window', 'version', 'alert', 'resolved', 'by']);
  assert.equal(table.rows.length, may.length);
  assert.deepEqual(table.rows.map((r) => [r[0], r[1], r[3]]), may.map(() => ['2025-05', 2, `${rollback.at.slice(0, 16).replace('T', ' ')} UTC`]));
  assert.match(String(table.rows[0]![4]), /^production rolled back from version 2 to 1/);
});

test('promoting a fixed version resolves the alerts of the version it replaces; a new alert of the serving version stays active', { timeout: 300_000 }, async () => {
  const ws = await servingWorkspace({ versions: 2, rowsPerMonth: 500, promote: 1 });
  const registry = await openRegistry(ws);
  await serveMonth(ws, '2025-05');
  assert.equal(monitor(ws).status, 1);
  await registry.promote(MODEL, 2, 'production', 'retrained');
  let m = monitor(ws);
  assert.equal(m.status, 0, m.text);
  assert.ok(m.report.alerts.length > 0 && m.report.alerts.every((a) => a.version === 1 && a.resolved?.action === 'promote' && a.resolved.to === 2));
  // Version 2 now serves a drifted window of its own (June's rows with May's mothers): that alert is active.
  const server = await startServer({ root: ws, port: 0 });
  try {
    const drifted = streamRows(ws, '2025-05').map((r) => ({ ...r, event_date: String(r['event_date']).replace('2025-05', '2025-06') }));
    for (let i = 0; i < drifted.length; i += 100) assert.equal((await predict(server.url, drifted.slice(i, i + 100))).status, 200);
  } finally {
    await server.close();
  }
  m = monitor(ws);
  assert.equal(m.status, 1, m.text);
  const june = m.report.alerts.filter((a) => a.window === '2025-06');
  assert.ok(june.length > 0 && june.every((a) => a.version === 2 && a.status === 'active'));
});
