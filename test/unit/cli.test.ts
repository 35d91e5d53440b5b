import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { tempDir, writeMixedCsv } from '../helpers/fixtures';

// The built CLI, as users run it (`npm test` builds first).
const CLI = path.join(__dirname, '../../dist/cli.js');
const dir = tempDir('prodml-cli-');

function prodml(args: string[], cwd = dir) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('prodml profile', () => {
  const data = path.join(dir, 'train.csv');
  const serving = path.join(dir, 'serving.csv');
  writeMixedCsv(data, 3000, 1);
  writeMixedCsv(serving, 1000, 2);

  test('--json prints exactly one JSON document with the DESIGN.md shape', () => {
    const r = prodml(['profile', 'train.csv', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.rows, 3000);
    assert.equal(doc.columns.length, 9);
    const income = doc.columns.find((c: { name: string }) => c.name === 'income');
    for (const key of ['name', 'type', 'count', 'missing', 'distinct', 'mean', 'std', 'min', 'max', 'quantiles', 'histogram']) {
      assert.ok(key in income, `numeric column has ${key}`);
    }
    assert.deepEqual(Object.keys(income.quantiles), ['p01', 'p05', 'p25', 'p50', 'p75', 'p95', 'p99']);
    assert.equal(income.histogram.edges.length, income.histogram.counts.length + 1);
    const city = doc.columns.find((c: { name: string }) => c.name === 'city');
    assert.ok(Array.isArray(city.top) && city.top[0].value && city.top[0].count > 0);
  });

  test('--compare --html writes one self-contained report with a chart per column', () => {
    const out = path.join(dir, 'reports', 'profile.html');
    const r = prodml(['profile', 'train.csv', '--compare', 'serving.csv', '--html', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /train\.csv: 3,000 rows, 9 columns/);
    assert.match(r.stdout, /compared with serving\.csv: 1,000 rows/);
    const html = fs.readFileSync(out, 'utf8');
    assert.equal((html.match(/<section class="card/g) ?? []).length, 9);
    assert.equal((html.match(/<svg /g) ?? []).length, 9, 'one SVG chart per column');
    assert.ok(!/<script/i.test(html), 'no scripts');
    assert.ok(!/(src|href)="https?:/i.test(html), 'nothing loaded from the network');
    // Both datasets are drawn: the compared one in its own colour.
    assert.ok(html.includes('#f58518'));
  });

  const bad: [string, string, (file: string) => void, RegExp][] = [
    ['a missing file', 'missing.csv', () => undefined, /missing\.csv: file not found/],
    ['a directory', 'adir.csv', (f) => fs.mkdirSync(f), /adir\.csv: is a directory/],
    ['an empty file', 'empty.csv', (f) => fs.writeFileSync(f, ''), /empty\.csv: is empty/],
    ['a header only', 'header.csv', (f) => fs.writeFileSync(f, 'a,b,c\n'), /header\.csv: has a header but no data rows/],
    ['ragged rows', 'ragged.csv', (f) => fs.writeFileSync(f, 'a,b\n1,2\n1,2,3\n'), /ragged\.csv: line 3 has 3 fields/],
    ['a binary file named .csv', 'bin.csv', (f) => fs.writeFileSync(f, Buffer.from([0x50, 0x4b, 3, 4, 0, 0, 8, 0])), /bin\.csv: looks like a binary file/],
    ['Latin-1 text', 'latin.csv', (f) => fs.writeFileSync(f, Buffer.from('a\nS\xe3o\n', 'latin1')), /latin\.csv: is not valid UTF-8/],
  ];
  for (const [what, name, make, expected] of bad) {
    test(`${what}: exit 2 and a one-line message naming the file`, () => {
      make(path.join(dir, name));
      const r = prodml(['profile', name]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, expected);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line, no stack trace: ${r.stderr}`);
      assert.equal(r.stdout, '');
    });
  }

  test('usage errors exit 2', () => {
    assert.equal(prodml(['profile']).code, 2);
    assert.equal(prodml(['no-such-command']).code, 2);
    assert.equal(prodml(['--help']).code, 0);
  });
});

describe('prodml demo', () => {
  test('generates the workspace and the HTML report, and says how to open them', () => {
    const ws = path.join(dir, 'demo-ws');
    const r = prodml(['demo', ws]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fs.existsSync(path.join(ws, 'data/train/natality-2024-01.csv')));
    const report = path.join(ws, '.prodml/reports/profile.html');
    // The next steps name the report as a path that works from where the demo ran.
    const shown = /The HTML profile report:\s+(\S+)/.exec(r.stdout)?.[1];
    assert.ok(shown, r.stdout);
    assert.equal(path.resolve(dir, shown), report);
    assert.ok(fs.existsSync(report));
    assert.match(r.stdout, /code .*demo-ws/);
    // Each bad batch fails validation for its own defect; the good ones pass.
    assert.match(r.stdout, /new-category\.csv\s+FAILED\s+.*out_of_domain \(mother_race\)/);
    assert.match(r.stdout, /missing-column\.csv\s+FAILED\s+missing_column \(gestation_weeks\)/);
    assert.match(r.stdout, /type-change\.csv\s+FAILED\s+type_mismatch \(plurality\)/);
    assert.match(r.stdout, /natality-2025-02\.csv\s+ok\s+no anomalies/);
    assert.match(r.stdout, /serving\/natality-2025-01\.csv\s+ok/);
    assert.ok(fs.existsSync(path.join(ws, 'schemas/natality.schema.yaml')));
    assert.match(r.stdout, /baby_weight:1: RMSE [\d.]+ lb on [\d,]+ held-out rows \(predicting the mean: [\d.]+\)/);
    assert.match(r.stdout, /blessed and promoted to production/);
    const html = fs.readFileSync(report, 'utf8');
    assert.equal((html.match(/<svg /g) ?? []).length, 9);
    // The report's drift verdicts use the demo schema's thresholds: the shifted batch's mothers are older, born earlier.
    assert.match(html, /Thresholds from schemas\/natality\.schema\.yaml/);
    for (const c of ['mother_age', 'gestation_weeks']) assert.match(html, new RegExp(`<tr class="drifted"><th>${c}</th>`));
    for (const c of ['is_male', 'mother_race', 'plurality']) assert.match(html, new RegExp(`<tr class="ok"><th>${c}</th>`));
  });

  test('refuses to write into a folder that is not a demo workspace', () => {
    const mine = path.join(dir, 'mine');
    fs.mkdirSync(mine);
    fs.writeFileSync(path.join(mine, 'notes.txt'), 'precious');
    const r = prodml(['demo', mine]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /mine/);
    assert.equal(fs.readFileSync(path.join(mine, 'notes.txt'), 'utf8'), 'precious');
  });
});
