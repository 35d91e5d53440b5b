/**
 * Data validation in the real VS Code: a bad batch of the demo opened in the editor gets its
 * anomalies in the Problems panel, and a quick fix edits the schema so that they go away.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { prepareDemoWorkspace } from '../../src/core/demo/prepare';
import { tempDir } from '../helpers/fixtures';
import { darkDocShot } from './docShots';
import { launchVSCode, type VSCodeSession } from './harness';

const ROOT = path.join(__dirname, '../..');
const VSIX = path.join(ROOT, 'prodml.vsix');
const ARTIFACTS = path.join(ROOT, 'test-artifacts/e2e-diagnostics');

describe('ProdML diagnostics in VS Code', { timeout: 600_000 }, () => {
  let vscode: VSCodeSession;
  let schemaFile: string;

  before(async () => {
    const ws = path.join(tempDir('prodml-e2e-diag-'), 'demo');
    schemaFile = (await prepareDemoWorkspace(ws, { rowsPerMonth: 300 })).schemaFile;
    vscode = await launchVSCode({ vsix: VSIX, workspace: ws, artifactsDir: ARTIFACTS });
  });
  after(async () => vscode?.close());

  async function problems(): Promise<string[]> {
    return vscode.page.$$eval('.markers-panel .monaco-list-row', (rows) => rows.map((r) => r.getAttribute('aria-label') ?? r.textContent ?? ''));
  }

  test('a batch with a new category shows its anomalies in the Problems panel', async () => {
    await vscode.openFile('data/incoming/new-category.csv');
    await vscode.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
    const deadline = Date.now() + 90_000;
    let rows: string[] = [];
    while (Date.now() < deadline) {
      rows = await problems();
      if (rows.some((r) => /Pacific Islander/.test(r))) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(rows.some((r) => /mother_race/.test(r) && /Pacific Islander/.test(r)), `Problems panel rows: ${rows.slice(0, 5).join(' | ')}`);
    await vscode.screenshot('problems-panel');
    await darkDocShot(vscode, 'problems-dark');
  });

  test('the quick fix adds the value to the schema domain and the errors go away', async () => {
    const page = vscode.page;
    // Put the cursor on the first problem, as F8 does, then open the quick fixes (Ctrl+.).
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+Home');
    await page.keyboard.press('F8');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+.');
    const item = page.locator('.action-widget .monaco-list-row', { hasText: "Add 'Pacific Islander' to the domain of mother_race" });
    await item.waitFor({ timeout: 30_000 });
    await vscode.screenshot('quick-fix-menu');
    // The preferred fix is focused; Enter applies it (a click is caught by the menu's pointer block).
    assert.match((await page.locator('.action-widget .monaco-list-row.focused').getAttribute('aria-label')) ?? '', /Add 'Pacific Islander' to the domain/);
    await page.keyboard.press('Enter');
    // The edit lands in the schema (opened in the background, unsaved); save it as a user would.
    await vscode.runCommand('File: Save All Files');
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !fs.readFileSync(schemaFile, 'utf8').includes('Pacific Islander')) await new Promise((r) => setTimeout(r, 300));
    assert.match(fs.readFileSync(schemaFile, 'utf8'), /- Pacific Islander/);
    let rows: string[] = [];
    while (Date.now() < deadline) {
      rows = await problems();
      if (!rows.some((r) => /Pacific Islander/.test(r))) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(!rows.some((r) => /Pacific Islander/.test(r)), `still: ${rows.slice(0, 3).join(' | ')}`);
    await vscode.screenshot('after-quick-fix');
  });
});
