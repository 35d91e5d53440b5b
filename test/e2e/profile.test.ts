/**
 * End to end in the real VS Code (code-server 4.100.3) driven as a user would: the palette, the
 * quick pick, the profile webview, "Compare with...", and the error notification of bad input.
 * Screenshots land in test-artifacts/e2e/.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { writeDemoWorkspace } from '../../src/core/demo/workspace';
import { tempDir } from '../helpers/fixtures';
import { darkDocShot, docShot } from './docShots';
import { launchVSCode, type VSCodeSession } from './harness';

const ROOT = path.join(__dirname, '../..');
const VSIX = path.join(ROOT, 'prodml.vsix');
const ARTIFACTS = path.join(ROOT, 'test-artifacts/e2e');
const COLUMNS = ['mother_age', 'gestation_weeks', 'plurality', 'is_male', 'mother_race', 'cigarette_use', 'alcohol_use', 'event_date', 'weight_pounds'];

describe('ProdML in VS Code', { timeout: 600_000 }, () => {
  let vscode: VSCodeSession;
  const ws = path.join(tempDir('prodml-e2e-'), 'demo');

  before(async () => {
    assert.ok(fs.existsSync(VSIX), `${VSIX} exists (npm run package builds it)`);
    await writeDemoWorkspace(ws, { seed: 42, rowsPerMonth: 400 });
    fs.mkdirSync(path.join(ws, 'bad'));
    fs.writeFileSync(path.join(ws, 'bad/ragged.csv'), 'a,b\n1,2\n3,4,5\n6,7\n');
    vscode = await launchVSCode({ vsix: VSIX, workspace: ws, artifactsDir: ARTIFACTS });
  });
  after(async () => vscode?.close());

  /** Cards of the profile webview: name and whether a rendered chart (SVG with marks) is inside. */
  async function cards(frame: Frame) {
    return frame.$$eval('section.card', (els) =>
      els.map((el) => ({
        name: el.getAttribute('data-column'),
        chart: el.querySelectorAll('.chart svg .mark-rect path, .chart svg g.mark-rect path').length > 0,
      })),
    );
  }

  test('"ProdML: Profile Dataset" from the palette shows a chart for every column', async () => {
    await vscode.runCommand('ProdML: Profile Dataset');
    await vscode.quickInput.waitVisible();
    await vscode.quickInput.fill('natality-2024-03');
    await vscode.quickInput.pick('data/train/natality-2024-03.csv');
    const frame = await vscode.waitForWebviewSelector('section.card .chart svg', 120_000);
    // Every card renders its chart asynchronously; wait for the last one.
    await frame.waitForFunction((n) => document.querySelectorAll('section.card .chart svg').length === n, COLUMNS.length, { timeout: 60_000 });
    const got = await cards(frame);
    assert.deepEqual(got.map((c) => c.name), COLUMNS);
    for (const c of got) assert.ok(c.chart, `${c.name} has a chart with bars`);
    const text = await frame.locator('body').innerText();
    assert.match(text, /data\/train\/natality-2024-03\.csv · 400 rows · 9 columns/);
    assert.match(text, /mean\s+\d/);
    await vscode.screenshot('profile-webview');
  });

  test('"Compare with..." overlays a shifted batch on the same charts', async () => {
    const frame = await vscode.waitForWebviewSelector('section.card .chart svg');
    await frame.locator('vscode-button', { hasText: 'Compare with...' }).click();
    await vscode.quickInput.waitVisible();
    await vscode.quickInput.fill('shifted');
    await vscode.quickInput.pick('data/incoming/shifted-distribution.csv');
    const compared = await vscode.waitForWebviewText(/shifted-distribution\.csv · 400 rows/, 120_000);
    await compared.waitForFunction((n) => document.querySelectorAll('section.card .chart svg').length === n, COLUMNS.length, { timeout: 60_000 });
    const text = await compared.locator('body').innerText();
    assert.match(text, /base\s+compare/);
    // The shifted batch's mothers are older: its mean age is shown next to the base mean.
    const age = await compared.locator('section.card[data-column="mother_age"] tr', { hasText: 'mean' }).innerText();
    const [base, cmp] = age.split(/\s+/).slice(1).map(Number);
    assert.ok(cmp! > base! + 5, `mean mother_age ${base} -> ${cmp}`);
    await docShot(vscode, 'profile-compare');
    await darkDocShot(vscode, 'profile-dark');
  });

  test('"ProdML: Infer Schema" writes the schema beside the data, asks for the label, and never replaces one silently', async () => {
    await vscode.runCommand('ProdML: Infer Schema');
    await vscode.quickInput.waitVisible();
    await vscode.quickInput.fill('natality-2024-05');
    await vscode.quickInput.pick('data/train/natality-2024-05.csv');
    await vscode.quickInput.waitVisible();
    await vscode.quickInput.fill('weight');
    await vscode.quickInput.pick('weight_pounds');
    await vscode.waitForActiveTab('natality-2024-05.schema.yaml', 60_000);
    const schemaFile = path.join(ws, 'data/train/natality-2024-05.schema.yaml');
    const written = fs.readFileSync(schemaFile, 'utf8');
    assert.match(written, /^features:/m);
    assert.match(written, /weight_pounds:[\s\S]*not_in:\s*\n?\s*-?\s*\[?SERVING/);
    await vscode.screenshot('infer-schema');

    // Again: the existing schema is not replaced unless the user says so.
    fs.appendFileSync(schemaFile, '# my edit\n');
    await vscode.runCommand('ProdML: Infer Schema');
    await vscode.quickInput.waitVisible();
    await vscode.quickInput.fill('natality-2024-05');
    await vscode.quickInput.pick('data/train/natality-2024-05.csv');
    await vscode.quickInput.waitVisible();
    await vscode.quickInput.pick('(no label)');
    const dialog = vscode.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 30_000 });
    assert.match(await dialog.innerText(), /natality-2024-05\.schema\.yaml already exists\. Replace it\?/);
    await dialog.locator('.monaco-button', { hasText: 'Cancel' }).click();
    assert.match(fs.readFileSync(schemaFile, 'utf8'), /# my edit\n$/);
  });

  test('bad input is an error notification naming the file, not a stack trace', async () => {
    await vscode.runCommand('ProdML: Profile Dataset');
    await vscode.quickInput.waitVisible();
    await vscode.quickInput.fill('ragged');
    await vscode.quickInput.pick('bad/ragged.csv');
    const message = await vscode.waitForNotification(/ProdML: bad\/ragged\.csv/, 60_000);
    assert.match(message, /ragged\.csv: line 3 has 3 fields but the header \(line 1\) has 2/);
    assert.doesNotMatch(message, /\bat .*\.js:\d+/);
    const details = await vscode.notificationDetails();
    assert.ok(details.some((n) => n.severity === 'error' && /ragged/.test(n.message)));
    // The panel says so too, instead of staying blank.
    const panel = await vscode.waitForWebviewSelector('[role="alert"]');
    assert.match(await panel.locator('[role="alert"]').innerText(), /bad\/ragged\.csv: line 3 has 3 fields/);
    await vscode.screenshot('profile-bad-input');
  });
});
