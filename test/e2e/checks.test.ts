/**
 * The adaptable-system checks and the tuner in the real VS Code: leakage findings land on
 * prodml.yaml, feature value is charted beside cost, and a tuning study's trials are shown as they
 * finish, its best trial registered as the candidate in one click.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { prepareDemoWorkspace } from '../../src/core/demo/prepare';
import { tempDir } from '../helpers/fixtures';
import { launchVSCode, type VSCodeSession } from './harness';

const ROOT = path.join(__dirname, '../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts/e2e-checks');

describe('ProdML checks and tuner in VS Code', { timeout: 900_000 }, () => {
  let vscode: VSCodeSession;
  const ws = path.join(tempDir('prodml-e2e-checks-'), 'demo');

  before(async () => {
    await prepareDemoWorkspace(ws, { rowsPerMonth: 300 });
    const yaml = path.join(ws, 'prodml.yaml');
    // A small tuning study, so the test stays short.
    fs.writeFileSync(
      yaml,
      fs.readFileSync(yaml, 'utf8').replace('    split: {kind: time', '    tune: {trials: 5, seed: 3}\n    split: {kind: time'),
    );
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'train', 'baby_weight'], { cwd: ws, encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 0, r.stderr);
    vscode = await launchVSCode({ vsix: path.join(ROOT, 'prodml.vsix'), workspace: ws, artifactsDir: ARTIFACTS });
  });
  after(async () => vscode?.close());

  test('Show Feature Value charts each feature against its cost; gestation_weeks is the most useful', async () => {
    await vscode.runCommand('ProdML: Show Feature Value (Importance vs Cost)');
    const frame = await vscode.waitForWebviewText(/Per feature/, 240_000);
    const text = await frame.locator('body').innerText();
    assert.match(text, /Feature value: baby_weight/);
    const rows = await frame.locator('table.grid tbody tr th').allInnerTexts();
    assert.equal(rows[0], 'gestation_weeks', `features by importance: ${rows.join(', ')}`);
    assert.ok((await frame.locator('.chart svg').count()) >= 1);
    await vscode.screenshot('feature-value');
  });

  test('Check Features for Leakage reports each feature alone and puts findings on prodml.yaml', async () => {
    await vscode.runCommand('ProdML: Check Features for Leakage');
    const frame = await vscode.waitForWebviewText(/Each feature alone/, 240_000);
    const text = await frame.locator('body').innerText();
    assert.match(text, /Leakage: baby_weight/);
    assert.match(text, /gestation_weeks/);
    assert.doesNotMatch(text, /is a leak/i);
    await vscode.screenshot('leakage');
    // On this small demo gestation_weeks alone is as good as the model: a warning (not a leak), and a
    // Problems entry on the feature's line in prodml.yaml.
    const findings = await frame.locator('.alerts li').allInnerTexts();
    assert.ok(findings.length > 0, 'the small demo gets the dominant-feature warning');
    {
      await vscode.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
      const deadline = Date.now() + 30_000;
      let rows: string[] = [];
      while (Date.now() < deadline) {
        rows = await vscode.page.$$eval('.markers-panel .monaco-list-row', (r) => r.map((x) => x.getAttribute('aria-label') ?? x.textContent ?? ''));
        if (rows.some((r) => /alone reaches/.test(r))) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      assert.ok(rows.some((r) => /alone reaches/.test(r)), `Problems: ${rows.slice(0, 5).join(' | ')}`);
      const yaml = fs.readFileSync(path.join(ws, 'prodml.yaml'), 'utf8').split('\n');
      const feature = /^(\w+) alone reaches/.exec(findings[0]!)?.[1];
      const line = yaml.findIndex((l) => l.trim().startsWith(`${feature}:`)) + 1;
      assert.ok(line > 0 && rows.some((r) => r.includes(`${feature} alone`) && r.includes(`line ${line}`)), `expected ${feature} at line ${line}: ${rows.join(' | ')}`);
    }
  });

  test('Tune Hyperparameters shows the trials and registers the best as the candidate', async () => {
    await vscode.runCommand('ProdML: Tune Hyperparameters');
    // The page redraws as trials finish; the study's note comes when all five have.
    const frame = await vscode.waitForWebviewText(/study \S+, 5 trials \(5 trained now\)/, 600_000);
    const text = await frame.locator('body').innerText();
    assert.match(text, /Best: trial \d+/);
    assert.match(text, /Register Trial \d+ as Candidate/);
    assert.ok((await frame.locator('.chart svg').count()) >= 3, 'epochs, params and parallel charts');
    await vscode.screenshot('tune');
    await frame.locator('vscode-button', { hasText: /Register Trial \d+ as Candidate/ }).click();
    await vscode.waitForNotification(/registered as baby_weight:2/, 300_000);
    const aliases = JSON.parse(fs.readFileSync(path.join(ws, '.prodml/registry/baby_weight/aliases.json'), 'utf8'));
    assert.equal(aliases.production, undefined);
    assert.ok(aliases.candidate === 2 || aliases.candidate === undefined, JSON.stringify(aliases));
  });
});
