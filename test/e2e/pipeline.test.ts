/**
 * The pipeline in the real VS Code: a new batch lands, "ProdML: Run Pipeline" ingests, validates,
 * trains, evaluates, registers and promotes, and the run shows in the Runs tree with each step's
 * log one click away; a bad batch is quarantined and stops the run before training.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { prepareDemoWorkspace } from '../../src/core/demo/prepare';
import { tempDir } from '../helpers/fixtures';
import { launchVSCode, type VSCodeSession } from './harness';

const ROOT = path.join(__dirname, '../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts/e2e-pipeline');

describe('ProdML pipeline in VS Code', { timeout: 900_000 }, () => {
  let vscode: VSCodeSession;
  const ws = path.join(tempDir('prodml-e2e-pipeline-'), 'demo');
  const land = (file: string) => {
    fs.mkdirSync(path.join(ws, 'data/landing'), { recursive: true });
    fs.copyFileSync(path.join(ws, 'data/incoming', file), path.join(ws, 'data/landing', file));
  };

  before(async () => {
    await prepareDemoWorkspace(ws, { rowsPerMonth: 300 });
    vscode = await launchVSCode({ vsix: path.join(ROOT, 'prodml.vsix'), workspace: ws, artifactsDir: ARTIFACTS });
  });
  after(async () => vscode?.close());

  const row = (label: RegExp) => vscode.page.locator('.pane-body .monaco-list-row').filter({ has: vscode.page.locator('.label-name', { hasText: label }) });

  test('a good batch lands; Run Pipeline trains and promotes; the run is in the Runs tree with its logs', async () => {
    land('natality-2025-02.csv');
    await vscode.runCommand('ProdML: Run Pipeline');
    await vscode.waitForNotification(/ProdML pipeline: .*baby_weight:1/, 300_000);
    assert.ok(fs.existsSync(path.join(ws, 'data/train/natality-2025-02.csv')), 'the batch was ingested into the training data');
    assert.equal(JSON.parse(fs.readFileSync(path.join(ws, '.prodml/registry/baby_weight/aliases.json'), 'utf8')).production, 1);

    await vscode.runCommand('Focus on Runs View');
    const run = row(/baby_weight$/).first();
    await run.waitFor({ timeout: 30_000 });
    assert.match((await run.innerText()).replace(/\s+/g, ' '), /succeeded/);
    await run.click();
    for (const step of ['ingest', 'validate', 'train', 'evaluate', 'register', 'promote']) await row(new RegExp(`^${step}$`)).first().waitFor({ timeout: 30_000 });
    await row(/^train$/).first().click();
    await vscode.waitForActiveTab(/train\.log/, 30_000);
    await vscode.screenshot('runs-tree');
  });

  test('a bad batch is quarantined with its anomaly report and stops the run before training', async () => {
    land('missing-column.csv');
    await vscode.runCommand('ProdML: Run Pipeline');
    await vscode.waitForNotification(/ProdML pipeline: .*quarantin/i, 300_000);
    assert.ok(!fs.existsSync(path.join(ws, 'data/landing/missing-column.csv')), 'moved out of the landing folder');
    const quarantined = fs.readdirSync(path.join(ws, '.prodml/quarantine'), { recursive: true }).map(String);
    assert.ok(quarantined.some((f) => f.endsWith('missing-column.csv')), quarantined.join(', '));
    assert.ok(!fs.existsSync(path.join(ws, '.prodml/registry/baby_weight/2')), 'no version was trained from it');
    await vscode.runCommand('Focus on Runs View');
    await row(/baby_weight$/).filter({ hasText: /quarantined/ }).first().waitFor({ timeout: 30_000 });
    await vscode.screenshot('runs-tree-quarantined');
  });
});
