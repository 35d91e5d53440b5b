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
import { darkDocShot, docShot } from './docShots';
import { launchVSCode, type VSCodeSession } from './harness';

const ROOT = path.join(__dirname, '../..');

/** Relative luminance (0 black .. 1 white) of a #rrggbb colour. */
function luminance(hex: string | null): number {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex ?? '');
  if (!m) return NaN;
  const [r, g, b] = m.slice(1).map((x) => parseInt(x, 16) / 255);
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}
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
    // While the curves draw nothing sits on them: progress is in the panel (with its Cancel) and the status bar.
    await vscode.waitForWebviewText(/Epoch \d+\/\d+|baby_weight:1 (blessed|not blessed)/, 240_000);
    assert.deepEqual(await vscode.notifications(), [], 'no toast over the loss curves while training');
    await vscode.screenshot('train-running');
    const frame = await vscode.waitForWebviewText(/baby_weight:1 (blessed|not blessed)/, 240_000);
    const text = await frame.locator('body').innerText();
    assert.match(text, /baby_weight:1 blessed/);
    assert.match(text, /RMSE/);
    assert.match(text, /✓ RMSE [\d.]+ is below the maximum 1\.30/);
    // Two loss curves (training and evaluation) with a point per epoch.
    const lines = await frame.locator('.chart svg .mark-line path').count();
    assert.equal(lines, 2);
    await vscode.screenshot('train-webview');
    // The verdict goes to the status bar while the panel is in view: a toast would cover its charts.
    await vscode.page.locator('.statusbar-item', { hasText: /trained baby_weight:1, blessed/ }).first().waitFor({ timeout: 30_000 });
    assert.deepEqual(await vscode.notifications(), []);
    assert.ok(fs.existsSync(path.join(ws, '.prodml/registry/baby_weight/1/card.json')));
    // The chart redraws in the new theme's colours: axis labels light on dark.
    const labelFill = () => frame.locator('.chart svg .role-axis-label text').first().getAttribute('fill');
    const light = await labelFill();
    await darkDocShot(vscode, 'train-dark', async () => {
      const dark = await labelFill();
      assert.ok(luminance(dark) > 0.5 && luminance(light) < 0.5, `axis labels ${light} in light, ${dark} in dark`);
    });
  });

  test('the Models view lists versions; promote and roll back from it move the status bar', async () => {
    const page = vscode.page;
    await vscode.runCommand('Focus on Models View');
    // A tree row by its label (the description, e.g. "rmse 1.05 · blessed", is a separate element).
    const row = (label: RegExp) => page.locator('.pane-body .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: label }) });
    await row(/^1$/).first().waitFor({ timeout: 30_000 });
    const status = page.locator('.statusbar-item', { hasText: /baby_weight:\d/ });

    /** Clicks a row's inline action until `shown` holds: the tree redraws as the registry changes on disk, and a click can land mid-redraw. */
    const clickAction = async (r: ReturnType<typeof row>, action: string, shown: () => Promise<boolean>) => {
      for (let i = 0; i < 5; i++) {
        await r.hover();
        await r.locator(`.action-label[aria-label="${action}"]`).click();
        const deadline = Date.now() + 3_000;
        while (Date.now() < deadline) {
          if (await shown()) return;
          await new Promise((res) => setTimeout(res, 200));
        }
      }
    };
    const promote = async (version: number, blessed: boolean) => {
      const r = row(new RegExp(`^${version}( \\(.*\\))?$`)).first();
      const dialog = page.locator('.monaco-dialog-box', { hasText: `baby_weight:${version} is not blessed` });
      const done = status.filter({ hasText: `baby_weight:${version}` });
      await clickAction(r, 'Promote to Production', async () => (await dialog.isVisible()) || (await done.isVisible()));
      if (!blessed) {
        // Promoting a version that failed its checks asks first, in a modal dialog.
        await dialog.waitFor({ timeout: 30_000 });
        await vscode.screenshot('promote-unblessed');
        // The safe answer comes first and is the default; promoting takes a deliberate click.
        const focused = (await dialog.locator('.monaco-button:focus').innerText({ timeout: 5_000 })).trim();
        assert.match(focused, /^Keep Production at \d+$/);
        await dialog.locator('.monaco-button', { hasText: `Promote ${version} Anyway` }).click();
      }
      await status.filter({ hasText: `baby_weight:${version}` }).waitFor({ timeout: 30_000 });
    };
    await promote(1, true);
    // A second version, a linear model this time, trained from the palette, appears in the tree; promote it too.
    const yaml = path.join(ws, 'prodml.yaml');
    fs.writeFileSync(yaml, fs.readFileSync(yaml, 'utf8').replace('model: {type: dnn, hidden: [32, 16]}', 'model: {type: linear}'));
    await vscode.runCommand('ProdML: Train Model');
    const trained = await vscode.waitForWebviewText(/baby_weight:2 (blessed|not blessed)/, 240_000);
    const blessed2 = !/baby_weight:2 not blessed/.test(await trained.locator('body').innerText());
    await vscode.runCommand('Focus on Models View');
    await row(/^2$/).first().waitFor({ timeout: 30_000 });
    await promote(2, blessed2);
    await row(/^2 \(production\)$/).first().waitFor({ timeout: 30_000 });
    await vscode.screenshot('models-view');

    // Roll back: production returns to version 1, as the alias history says.
    const model = row(/^baby_weight$/).first();
    await clickAction(model, 'Roll Back Production...', () => vscode.quickInput.isVisible());
    await vscode.quickInput.pick('To the previous production version');
    await status.filter({ hasText: 'baby_weight:1' }).waitFor({ timeout: 30_000 });
    // The tree follows at once: version 1 is production again, version 2 no longer.
    await row(/^1 \(production\)$/).first().waitFor({ timeout: 5_000 });
    assert.equal(await row(/^2 \(production\)$/).count(), 0);
    const aliases = JSON.parse(fs.readFileSync(path.join(ws, '.prodml/registry/baby_weight/aliases.json'), 'utf8'));
    assert.equal(aliases.production, 1);
    await docShot(vscode, 'train-and-models');

    // Compare the two versions: both evaluated on the held-out rows, metrics and slices side by side.
    const v2 = row(/^2( \(.*\))?$/).first();
    await clickAction(v2, 'Compare With Another Version...', () => vscode.quickInput.isVisible());
    await vscode.quickInput.pick('1');
    const frame = await vscode.waitForWebviewText(/better on \d+ metrics? and worse on \d+/, 180_000);
    const text = await frame.locator('body').innerText();
    assert.match(text, /Compare baby_weight: 1 vs 2/);
    assert.match(text, /RMSE/);
    assert.match(text, /Per slice: RMSE/);
    assert.match(text, /plurality = 2/);
    // A DNN and a linear model differ: the table says which is better on each metric.
    assert.doesNotMatch(text, /better on 0 metrics and worse on 0/);
    assert.ok((await frame.locator('.chart svg').count()) >= 2, 'both comparison charts render');
    await vscode.screenshot('compare-versions');
  });
});
