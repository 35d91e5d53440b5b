/**
 * "ProdML: Train Model" in the real VS Code: training runs in the engine process, the webview
 * draws the loss curves as epochs arrive, then shows the evaluation and the blessing verdict.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { prepareDemoWorkspace } from '../../src/core/demo/prepare';
import { tempDir } from '../helpers/fixtures';
import { launchVSCode, type VSCodeSession } from './harness';

const ROOT = path.join(__dirname, '../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts/e2e-train');

describe('ProdML training in VS Code', { timeout: 600_000 }, () => {
  let vscode: VSCodeSession;
  const ws = path.join(tempDir('prodml-e2e-train-'), 'demo');

  before(async () => {
    await prepareDemoWorkspace(ws, { rowsPerMonth: 300 });
    vscode = await launchVSCode({ vsix: path.join(ROOT, 'prodml.vsix'), workspace: ws, artifactsDir: ARTIFACTS });
  });
  after(async () => vscode?.close());

  test('"ProdML: Train Model" trains, charts the loss and registers a blessed version', async () => {
    await vscode.runCommand('ProdML: Train Model');
    const frame = await vscode.waitForWebviewText(/baby_weight:1 (blessed|not blessed)/, 240_000);
    const text = await frame.locator('body').innerText();
    assert.match(text, /baby_weight:1 blessed/);
    assert.match(text, /rmse/);
    assert.match(text, /✓ rmse [\d.]+ is below the maximum 1\.30/);
    // Two loss curves (training and evaluation) with a point per epoch.
    const lines = await frame.locator('.chart svg .mark-line path').count();
    assert.equal(lines, 2);
    await vscode.screenshot('train-webview');
    await vscode.waitForNotification(/trained baby_weight:1, blessed/);
    assert.ok(fs.existsSync(path.join(ws, '.prodml/registry/baby_weight/1/card.json')));
  });
});
