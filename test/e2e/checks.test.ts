/**
 * The adaptable-system checks and the tuner in the real VS Code: feature value is charted with its
 * intervals beside cost (undecided or costly features as Problems entries on prodml.yaml), the
 * leakage report spares the demo's main predictor, a planted label conflict lands on its line of
 * the data file, and a tuning study's trials are shown as they finish, its best trial registered
 * as the candidate in one click.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { prepareDemoWorkspace } from '../../src/core/demo/prepare';
import { tempDir } from '../helpers/fixtures';
import { docShot } from './docShots';
import { launchVSCode, type VSCodeSession } from './harness';

const ROOT = path.join(__dirname, '../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts/e2e-checks');

describe('ProdML checks and tuner in VS Code', { timeout: 900_000 }, () => {
  let vscode: VSCodeSession;
  const ws = path.join(tempDir('prodml-e2e-checks-'), 'demo');
  const planted = { line: 0 };

  before(async () => {
    await prepareDemoWorkspace(ws, { rowsPerMonth: 300 });
    const yaml = path.join(ws, 'prodml.yaml');
    // A small tuning study, so the test stays short.
    fs.writeFileSync(
      yaml,
      fs.readFileSync(yaml, 'utf8').replace('    split: {kind: time', '    tune: {trials: 5, seed: 3}\n    split: {kind: time'),
    );
    // A planted label conflict: one birth's weight + 6 lb, on a row whose inputs repeat in its file.
    const file = path.join(ws, 'data/train/natality-2024-03.csv');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const header = lines[0]!.split(',');
    const w = header.indexOf('weight_pounds');
    const key = (l: string) => l.split(',').filter((_, i) => i !== w && header[i] !== 'event_date').join(',');
    const counts = new Map<string, number>();
    for (const l of lines.slice(1)) counts.set(key(l), (counts.get(key(l)) ?? 0) + 1);
    const at = lines.findIndex((l, i) => i > 0 && l !== '' && (counts.get(key(l)) ?? 0) >= 2);
    const cells = lines[at]!.split(',');
    cells[w] = (Number(cells[w]) + 6).toFixed(2);
    lines[at] = cells.join(',');
    fs.writeFileSync(file, lines.join('\n'));
    planted.line = at + 1;
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'train', 'baby_weight'], { cwd: ws, encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 0, r.stderr);
    vscode = await launchVSCode({ vsix: path.join(ROOT, 'prodml.vsix'), workspace: ws, artifactsDir: ARTIFACTS });
  });
  after(async () => vscode?.close());

  /** The Problems panel's rows (aria labels), polled until one matches. */
  async function problems(match: RegExp): Promise<string[]> {
    await vscode.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
    const deadline = Date.now() + 30_000;
    let rows: string[] = [];
    while (Date.now() < deadline) {
      rows = await vscode.page.$$eval('.markers-panel .monaco-list-row', (r) => r.map((x) => x.getAttribute('aria-label') ?? x.textContent ?? ''));
      if (rows.some((r) => match.test(r))) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    return rows;
  }

  test('Show Feature Value charts each feature with its 95% interval and a verdict the interval allows', async () => {
    await vscode.runCommand('ProdML: Show Feature Value (Importance vs Cost)');
    const frame = await vscode.waitForWebviewText(/Per feature/, 240_000);
    const text = await frame.locator('body').innerText();
    assert.match(text, /Feature value: baby_weight/);
    assert.match(text, /95% low/);
    assert.match(text, /95% high/);
    assert.match(text, /A verdict only where the interval allows it/);
    const rows = await frame.locator('table.grid tbody tr th').allInnerTexts();
    assert.equal(rows[0], 'gestation_weeks', `features by importance: ${rows.join(', ')}`);
    const gestation = await frame.locator('table.grid tbody tr', { hasText: 'gestation_weeks' }).first().innerText();
    assert.match(gestation, /worth its cost/);
    const cig = await frame.locator('table.grid tbody tr', { hasText: 'cigarette_use' }).first().innerText();
    assert.doesNotMatch(cig, /not worth its cost/);
    // The chart's error bars are the intervals.
    assert.ok((await frame.locator('.chart svg').count()) >= 1);
    assert.ok((await frame.locator('.chart svg [aria-roledescription="errorbar"], .chart svg g.mark-rule').count()) >= 1);
    await vscode.screenshot('feature-value');
    // Features without a "worth its cost" verdict are Problems entries on prodml.yaml, with their interval.
    const entries = await problems(/95% interval/);
    assert.ok(entries.some((r) => /95% interval/.test(r)), `Problems: ${entries.slice(0, 5).join(' | ')}`);
  });

  test('Check Features for Leakage reports each feature alone and the rest together; gestation_weeks is not a leak', async () => {
    await vscode.runCommand('ProdML: Check Features for Leakage');
    const frame = await vscode.waitForWebviewText(/Each feature alone, and the rest without it/, 240_000);
    const text = await frame.locator('body').innerText();
    assert.match(text, /Leakage: baby_weight/);
    assert.match(text, /the rest together/);
    const gestation = await frame.locator('table.grid tbody tr', { hasText: 'gestation_weeks' }).first().innerText();
    assert.doesNotMatch(gestation, /leak/);
    // At most an informational note on the main predictor, never a leak.
    const alerts = await frame.locator('.alerts li').allInnerTexts();
    assert.ok(alerts.filter((a) => a.includes('gestation_weeks')).every((a) => /Strong predictors are often the point/.test(a)), alerts.join(' | '));
    await vscode.screenshot('leakage');
  });

  test('Check Label Consistency puts the planted conflict on its line of the data file', async () => {
    await vscode.runCommand('ProdML: Check Label Consistency');
    const frame = await vscode.waitForWebviewText(/groups? of identical inputs with conflicting labels/, 240_000);
    const text = await frame.locator('body').innerText();
    assert.match(text, /^1 group of identical inputs with conflicting labels/m);
    await vscode.screenshot('labels');
    const entries = await problems(/conflicting label/);
    assert.ok(
      entries.some((r) => /conflicting label/.test(r) && r.includes(`line ${planted.line}`)),
      `expected the conflict at line ${planted.line}: ${entries.slice(0, 5).join(' | ')}`,
    );
  });

  test('Tune Hyperparameters shows the trials and registers the best as the candidate', async () => {
    await vscode.runCommand('ProdML: Tune Hyperparameters');
    // The page redraws as trials finish; the study's note comes when all five have.
    const frame = await vscode.waitForWebviewText(/study \S+, 5 trials \(5 trained now\)/, 600_000);
    const text = await frame.locator('body').innerText();
    assert.match(text, /Best: trial \d+/);
    assert.match(text, /Register Trial \d+ as Candidate/);
    assert.ok((await frame.locator('.chart svg').count()) >= 3, 'epochs, params and parallel charts');
    // Nothing covers the trials: no toast (the leakage summary went to the status bar), and the
    // Problems panel the earlier checks opened is hidden for the picture.
    assert.deepEqual(await vscode.notifications(), []);
    await vscode.runCommand('View: Hide Panel');
    await vscode.page.locator('.markers-panel').first().waitFor({ state: 'hidden', timeout: 10_000 });
    await docShot(vscode, 'tune');
    await frame.locator('vscode-button', { hasText: /Register Trial \d+ as Candidate/ }).click();
    // The outcome is written in the panel and the status bar: a toast would cover the trial charts.
    const after = await vscode.waitForWebviewText(/registered as baby_weight:2/, 300_000);
    assert.equal(await after.locator('vscode-button', { hasText: /Register Trial/ }).count(), 0, 'a registered trial is not offered again');
    await vscode.page.locator('.statusbar-item', { hasText: /registered as baby_weight:2/ }).first().waitFor({ timeout: 30_000 });
    assert.deepEqual(await vscode.notifications(), []);
    await vscode.screenshot('tune-registered');
    const aliases = JSON.parse(fs.readFileSync(path.join(ws, '.prodml/registry/baby_weight/aliases.json'), 'utf8'));
    assert.equal(aliases.production, undefined);
    assert.ok(aliases.candidate === 2 || aliases.candidate === undefined, JSON.stringify(aliases));
  });
});
