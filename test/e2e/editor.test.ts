/**
 * `npm run editor` as a user without VS Code meets it: the script builds the missing demo
 * workspace, installs the VSIX into code-server (the tests' cached copy), serves it on 127.0.0.1
 * and prints a URL. Chromium opens that URL and finds the ProdML views holding the demo's models.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tempDir } from '../helpers/fixtures';
import { attachVSCode, type VSCodeSession } from './harness';
import { docShot } from './docShots';

const ROOT = path.join(__dirname, '../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts/e2e-editor');

describe('npm run editor', { timeout: 600_000 }, () => {
  let vscode: VSCodeSession;
  const tmp = tempDir('prodml-e2e-editor-');
  const home = path.join(tmp, 'home');
  const ws = path.join(tmp, 'demo-workspace');
  let printed = '';

  before(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const logFile = path.join(ARTIFACTS, 'editor-script.log');
    const fd = fs.openSync(logFile, 'w');
    // Detached: the script and the code-server it starts form one process group that close() kills.
    const child = spawn(process.execPath, [path.join(ROOT, 'scripts/editor.mjs'), '--workspace', ws, '--theme', 'dark'], {
      cwd: ROOT,
      env: { ...process.env, PRODML_EDITOR_HOME: home, NODE_OPTIONS: '' },
      stdio: ['ignore', fd, fd],
      detached: true,
    });
    fs.closeSync(fd);
    child.unref();
    const deadline = Date.now() + 300_000;
    let url: URL | undefined;
    while (!url) {
      printed = fs.readFileSync(logFile, 'utf8');
      const m = /^\s+(http:\/\/127\.0\.0\.1:\d+\/\?folder=\S+)$/m.exec(printed);
      if (m) url = new URL(m[1]!);
      else if (child.exitCode !== null) assert.fail(`npm run editor exited ${child.exitCode} before printing a URL:\n${printed}`);
      else if (Date.now() > deadline) {
        process.kill(-child.pid!, 'SIGKILL');
        assert.fail(`npm run editor printed no URL within 300 s:\n${printed}`);
      } else await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(url.searchParams.get('folder'), ws);
    vscode = await attachVSCode({
      server: child,
      port: Number(url.port),
      workspace: ws,
      userDataDir: path.join(home, 'user-data'),
      extensionsDir: path.join(home, 'extensions'),
      artifactsDir: ARTIFACTS,
      logFile,
    });
  });
  after(async () => vscode?.close());

  test('builds the missing demo, prints a 127.0.0.1 URL and how to stop', () => {
    assert.match(printed, /building the demo workspace in /);
    assert.ok(fs.existsSync(path.join(ws, '.prodml/registry/baby_weight/2/card.json')), 'the demo trained and retrained baby_weight');
    assert.match(printed, /Stop it with Ctrl\+C/);
    assert.ok(fs.existsSync(path.join(home, 'extensions')), 'a dedicated extensions folder');
    assert.ok(fs.readdirSync(path.join(home, 'extensions')).some((d) => d.startsWith('prodml.prodml-')), 'the VSIX is installed there');
  });

  test('the ProdML views show the demo model, its versions and the pipeline runs', async () => {
    const page = vscode.page;
    await vscode.runCommand('Focus on Models View');
    const row = (label: RegExp) => page.locator('.pane-body .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: label }) });
    await row(/^baby_weight$/).first().waitFor({ timeout: 30_000 });
    await row(/^2 \(production\)$/).first().waitFor({ timeout: 30_000 });
    await row(/^1$/).first().waitFor({ timeout: 30_000 });
    const model = await row(/^baby_weight$/).first().innerText();
    assert.match(model, /production 2/);
    // The Runs view (below Models in the same container) lists the demo's two pipeline runs.
    const runs = page.locator('.pane-body .monaco-list-row', { hasText: /quarantined|succeeded/ });
    await runs.first().waitFor({ timeout: 30_000 });
    assert.ok((await runs.count()) >= 2, 'both demo runs are listed');
    // The workbench is dark, as asked on the command line.
    assert.ok(await page.locator('.monaco-workbench.vs-dark').count(), 'the dark theme is on');
    // The newest run (the retraining) opened to its steps, each state with its own icon.
    const newest = page.locator('.pane-body .monaco-list-row', { hasText: /succeeded/ }).first();
    for (let i = 0; i < 5 && (await newest.getAttribute('aria-expanded')) !== 'true'; i++) {
      await newest.click();
      await new Promise((r) => setTimeout(r, 300));
    }
    await row(/^promote$/).first().waitFor({ timeout: 30_000 });
  });

  test("the dashboard shows May's alerts resolved by the promotion of version 2; screenshots in dark and light", async () => {
    const page = vscode.page;
    await vscode.runCommand('ProdML: Show Monitoring Dashboard');
    const frame = await vscode.waitForWebviewText(/resolved alert/, 180_000);
    const text = await frame.locator('body').innerText();
    assert.match(text, /No active alerts/);
    assert.match(text, /production promoted from version 1 to 2/);
    assert.equal(await frame.locator('.alerts li').count(), 0, 'no active alert is listed');
    assert.deepEqual(await vscode.notifications(), [], 'nothing alerts, nothing covers the charts');
    await docShot(vscode, 'editor-dark');

    // The same views in the light theme, switched the way a user does.
    await vscode.runCommand('Preferences: Color Theme');
    await vscode.quickInput.pick(/^Light Modern/);
    await page.locator('.monaco-workbench.vs').first().waitFor({ timeout: 30_000 });
    await vscode.quickInput.waitHidden().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1000)); // webviews repaint with the new theme's colours
    await docShot(vscode, 'editor-light');
  });
});
