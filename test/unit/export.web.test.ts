/**
 * Web export: the static folder, served from 127.0.0.1 by a plain static server and opened in
 * Chromium (playwright-core), scores held-out rows as the ProdML server's :predict does (1e-5),
 * for binary, multiclass and regression models; the demo form works under the page's strict
 * CSP; nothing is fetched from anywhere but the folder.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DuckSession } from '../../src/core/data/duckdb';
import { exportModel, WEB_MANIFEST } from '../../src/core/export/exportModel';
import { startServer, type RunningServer } from '../../src/core/serve/server';
import { openWorkspace } from '../../src/core/project/workspace';
import { EXPORT_MODELS, exportWorkspace } from '../helpers/exportFixtures';

const CHROMIUM_BIN = process.env.PRODML_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run', '--disable-dev-shm-usage'];
const TYPES: Record<string, string> = { '.svg': 'image/svg+xml', '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm', '.onnx': 'application/octet-stream' };

let ws: string;
let heldOut: Record<string, unknown>[];
let prodml: RunningServer;
let statics: http.Server;
let origin: string;
let browser: Browser;

/** Any static host: files under `root`, nothing else. */
function staticServer(root: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const file = path.join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

before(async () => {
  ws = await exportWorkspace();
  const session = await DuckSession.open({ allowedDirectories: [ws] });
  // JSON-safe rows, as a client would send them: nulls for missing values.
  heldOut = JSON.parse(JSON.stringify(await session.rows(`SELECT age, income, visits, tenure, city, plan FROM read_csv('${path.join(ws, 'data/heldout.csv')}')`)));
  session.close();
  for (const model of Object.values(EXPORT_MODELS)) await exportModel(await workspace(), { model: `${model}:1`, format: 'web', out: `web/${model}` });
  statics = await staticServer(path.join(ws, 'web'));
  origin = `http://127.0.0.1:${(statics.address() as AddressInfo).port}`;
  prodml = await startServer({ root: ws, port: 0, logFlushMs: 1 });
  browser = await chromium.launch({ executablePath: CHROMIUM_BIN, args: CHROMIUM_ARGS, timeout: 60_000 });
});
after(async () => {
  await browser?.close();
  await prodml?.close();
  await new Promise((r) => statics?.close(r));
});

async function serverPredictions(model: string, rows: Record<string, unknown>[]): Promise<unknown[]> {
  const res = await fetch(`${prodml.url}/v1/models/${model}/versions/1:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: rows }) });
  const body = (await res.json()) as { predictions?: unknown[]; error?: string };
  assert.equal(res.status, 200, body.error);
  return body.predictions!;
}

/** A page of the export that records every request and every CSP violation. */
async function openExport(model: string): Promise<{ page: Page; requests: string[]; violations: string[]; errors: string[] }> {
  const page = await browser.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('response', (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`${origin}/${model}/index.html`);
  await page.evaluate(() => {
    (window as unknown as { violations: string[] }).violations = [];
    document.addEventListener('securitypolicyviolation', (e) => (window as unknown as { violations: string[] }).violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  return { page, requests, errors, violations: await page.evaluate(() => (window as unknown as { violations: string[] }).violations) };
}

/** The workspace as the CLI opens it from its root. */
const workspace = () => openWorkspace({ workspace: ws, cwd: ws });

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5;

describe('prodml export --format web', () => {
  test('the folder holds predict.js, the model, onnxruntime-web and the demo page; nothing else', () => {
    const files = fs.readdirSync(path.join(ws, 'web/churn')).sort();
    assert.deepEqual(files, ['app.js', 'favicon.svg', 'index.html', 'model.onnx', 'ort-wasm-simd-threaded.wasm', 'ort.wasm.bundle.min.mjs', 'predict.js', WEB_MANIFEST, 'style.css'].sort());
    const html = fs.readFileSync(path.join(ws, 'web/churn/index.html'), 'utf8');
    assert.match(html, /http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self' 'wasm-unsafe-eval'/);
    assert.doesNotMatch(html, /<script>|<style>|\sstyle=|\son[a-z]+=/, 'no inline script or style');
    // Nothing in the folder reaches for the network.
    for (const f of ['predict.js', 'app.js', 'index.html']) assert.doesNotMatch(fs.readFileSync(path.join(ws, 'web/churn', f), 'utf8'), /https?:\/\/(?!www\.w3\.org)/, f);
  });

  for (const [task, model] of Object.entries(EXPORT_MODELS)) {
    test(`${task}: predict(rows) in Chromium equals the server's :predict on every held-out row (1e-5)`, async () => {
      const { page, requests, errors } = await openExport(model);
      try {
        const got = (await page.evaluate(async (rows) => (await import('./predict.js' as string)).predict(rows), heldOut)) as unknown[];
        const want = await serverPredictions(model, heldOut);
        assert.equal(got.length, heldOut.length);
        assert.equal(want.length, heldOut.length);
        let compared = 0;
        got.forEach((g, i) => {
          const w = want[i];
          if (task === 'multiclass') {
            const gw = g as Record<string, number>;
            const ww = w as Record<string, number>;
            assert.deepEqual(Object.keys(gw).sort(), ['high', 'low', 'mid']);
            assert.deepEqual(Object.keys(gw).sort(), Object.keys(ww).sort());
            for (const c of Object.keys(ww)) assert.ok(close(gw[c]!, ww[c]!), `row ${i} class ${c}: browser ${gw[c]} vs server ${ww[c]}`), compared++;
          } else {
            assert.ok(close(g as number, w as number), `row ${i}: browser ${g} vs server ${w}`);
            compared++;
          }
        });
        assert.equal(compared, heldOut.length * (task === 'multiclass' ? 3 : 1));
        // Offline: every request went to the folder's own origin.
        assert.ok(requests.length >= 5, requests.join('\n'));
        assert.deepEqual(requests.filter((u) => !u.startsWith(`${origin}/${model}/`)), []);
        assert.ok(requests.some((u) => u.endsWith('/model.onnx')) && requests.some((u) => u.endsWith('.wasm')));
        assert.deepEqual(errors, []);
      } finally {
        await page.close();
      }
    });
  }

  test('the demo form scores the row typed into it as the server does, under the strict CSP', async () => {
    const { page, errors } = await openExport('churn');
    try {
      const row = heldOut.find((r) => r['age'] !== null && r['city'] !== null)!;
      for (const [k, v] of Object.entries(row)) await page.fill(`input[name="${k}"]`, v === null ? '' : String(v));
      await page.click('button[type="submit"]');
      await page.waitForFunction(() => /^[0-9.e-]+$/.test(document.getElementById('prediction')!.textContent ?? ''), undefined, { timeout: 30_000 });
      const shown = Number(await page.textContent('#prediction'));
      const [want] = (await serverPredictions('churn', [row])) as number[];
      assert.ok(close(shown, want!), `form ${shown} vs server ${want}`);
      assert.deepEqual(await page.evaluate(() => (window as unknown as { violations: string[] }).violations), []);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });

  test('a web export replaces an earlier one, and refuses a folder that is not one', async () => {
    const again = await exportModel(await workspace(), { model: 'churn:1', format: 'web', out: 'web/churn' });
    assert.equal(again.files.length, 9);
    fs.mkdirSync(path.join(ws, 'notes'));
    fs.writeFileSync(path.join(ws, 'notes/todo.txt'), 'keep me');
    await assert.rejects(exportModel(await workspace(), { model: 'churn:1', format: 'web', out: 'notes' }), /notes: is a folder that is not empty and holds no earlier ProdML web export/);
    assert.equal(fs.readFileSync(path.join(ws, 'notes/todo.txt'), 'utf8'), 'keep me');
    assert.deepEqual(fs.readdirSync(ws).filter((f) => f.includes('.tmp-') || f.includes('.old-')), []);
  });
});
