/**
 * The serving advisor on generated key streams with known distributions: the metrics against a
 * direct computation (and numpy/scipy), the recommendation for each shape, the log as a source,
 * the charts rendered, and the CLI.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { adviseServing, type ServingAdvice } from '../../src/core/advise';
import { requestsFor } from '../../src/core/advise/keyStats';
import { DuckSession } from '../../src/core/data/duckdb';
import { openSource } from '../../src/core/data/source';
import { mulberry32 } from '../../src/core/demo/random';
import { adviceCharts } from '../../src/core/report/adviceCharts';
import { renderSvg } from '../../src/core/report/profileHtml';
import { tempDir } from '../helpers/fixtures';

let dir: string;
let session: DuckSession;

before(async () => {
  dir = tempDir('prodml-advise-');
  session = await DuckSession.open({ allowedDirectories: [dir] });
});
after(() => session?.close());

/** `count` draws from a Zipf law with exponent `s` over keys u0…u(n−1) (s = 0: uniform). */
function zipfKeys(n: number, s: number, count: number, seed: number): string[] {
  const cum = new Float64Array(n);
  let t = 0;
  for (let i = 0; i < n; i++) cum[i] = t += 1 / (i + 1) ** s;
  const r = mulberry32(seed);
  const out: string[] = new Array(count);
  for (let j = 0; j < count; j++) {
    const u = r() * t;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (cum[m]! < u) lo = m + 1;
      else hi = m;
    }
    out[j] = `u${lo}`;
  }
  return out;
}

function writeKeys(name: string, keys: string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, 'user_id,amount\n' + keys.map((k, i) => `${k},${i % 7}`).join('\n') + '\n');
  return file;
}

/** The metrics computed directly from the keys, the way the definitions read. */
function direct(keys: string[]) {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map((e) => e[1]);
  const R = keys.length;
  const cum: number[] = [];
  sorted.reduce((a, c, i) => (cum[i] = a + c), 0);
  const entropy = -sorted.reduce((a, c) => a + (c / R) * Math.log2(c / R), 0);
  const coverage = (k: number) => cum[Math.min(k, sorted.length) - 1]! / R;
  const keysFor = (t: number) => cum.findIndex((c) => c >= requestsFor(t, R)) + 1;
  return { counts: sorted, keys: sorted.length, entropy, coverage, keysFor, singletons: sorted.filter((c) => c === 1).length };
}

async function adviseFile(file: string, thresholds = {}): Promise<ServingAdvice> {
  return adviseServing(session, dir, 'recs', { data: await openSource(file), key: 'user_id', thresholds });
}

function checkAgainstDirect(a: ServingAdvice, keys: string[]): void {
  const d = direct(keys);
  const m = a.distribution;
  assert.equal(m.requests, keys.length);
  assert.equal(m.keys, d.keys);
  assert.equal(m.singletons, d.singletons);
  assert.equal(m.maxCount, d.counts[0]);
  assert.equal(m.repeatShare, (keys.length - d.keys) / keys.length);
  assert.ok(Math.abs(m.entropyBits - d.entropy) < 1e-9, `${m.entropyBits} vs ${d.entropy}`);
  assert.ok(Math.abs(m.normalizedEntropy - d.entropy / Math.log2(d.keys)) < 1e-9);
  for (const p of m.topK) assert.equal(p.coverage, d.coverage(p.k), `top ${p.k}`);
  for (const p of m.curve) assert.equal(p.coverage, d.coverage(p.k), `curve at ${p.k}`);
  for (const p of m.ranks) assert.equal(p.count, d.counts[p.rank - 1], `rank ${p.rank}`);
  for (const p of m.keysForCoverage) assert.equal(p.k, d.keysFor(p.coverage), `keys for ${p.coverage}`);
}

describe('serving advice on known distributions', () => {
  test('uniform over 50 keys: static, every key precomputed, entropy log2(50)', async () => {
    const keys = zipfKeys(50, 0, 20_000, 1);
    const a = await adviseFile(writeKeys('uniform-few.csv', keys));
    checkAgainstDirect(a, keys);
    assert.equal(a.recommendation, 'static');
    assert.equal(a.distribution.keys, 50);
    assert.deepEqual(a.table, { keys: 50, coverage: 1, memoryBytes: a.table.memoryBytes });
    assert.ok(a.distribution.normalizedEntropy > 0.99);
    assert.ok(a.distribution.effectiveKeys > 49 && a.distribution.effectiveKeys <= 50);
    assert.match(a.reasoning, /^Static serving: precompute all 50 keys\./);
    assert.deepEqual(a.distribution.topK.map((p) => p.k), [10, 50], 'k above the cardinality is capped');
    assert.equal(a.distribution.topK[1]!.coverage, 1);
  });

  test('Zipf s = 1.1 over 5M keys, 1M requests: hybrid with the k that covers 80%', async () => {
    const keys = zipfKeys(5_000_000, 1.1, 1_000_000, 2);
    const a = await adviseFile(writeKeys('zipf.csv', keys));
    checkAgainstDirect(a, keys);
    const d = direct(keys);
    assert.equal(a.recommendation, 'hybrid');
    assert.ok(a.distribution.keys > 100_000, `${a.distribution.keys} keys: more than a static table may hold`);
    assert.equal(a.table.keys, d.keysFor(0.8));
    assert.ok(a.table.coverage >= 0.8 && d.coverage(a.table.keys - 1) < 0.8, 'the fewest keys reaching 80%');
    assert.ok(a.table.keys / a.distribution.keys <= 0.1);
    assert.ok(Math.abs(a.distribution.zipf!.exponent - 1.1) < 0.05, `Zipf exponent ${a.distribution.zipf!.exponent}`);
    assert.ok(a.distribution.zipf!.r2 > 0.99);
    assert.match(a.reasoning, new RegExp(`^Hybrid serving: precompute the ${a.table.keys.toLocaleString('en-US')} most requested keys`));
    // The memory estimate follows its documented formula: 56 + key bytes (rounded to 8) + 16 per output.
    assert.equal(a.table.memoryBytes, Math.round(a.table.keys * (56 + Math.ceil(a.distribution.meanKeyLength / 8) * 8 + 16)));
    // The same stream with a stricter target needs more keys; a looser budget makes it static.
    // 90% takes 40% of all keys: no peaked head left, so dynamic.
    const strict = await adviseFile(path.join(dir, 'zipf.csv'), { targetCoverage: 0.9 });
    assert.equal(strict.distribution.keysForCoverage.find((p) => p.coverage === 0.9)!.k, d.keysFor(0.9));
    assert.equal(strict.recommendation, 'dynamic');
    assert.match(strict.reasoning, /covering 90% of requests takes 4\d(\.\d)?% of all keys/);
    const roomy = await adviseFile(path.join(dir, 'zipf.csv'), { staticMaxKeys: 1_000_000 });
    assert.equal(roomy.recommendation, 'static');
  });

  test('uniform over 10M keys: dynamic, keys rarely repeat', async () => {
    const keys = zipfKeys(10_000_000, 0, 200_000, 3);
    const a = await adviseFile(writeKeys('uniform-huge.csv', keys));
    checkAgainstDirect(a, keys);
    assert.equal(a.recommendation, 'dynamic');
    assert.deepEqual(a.table, { keys: 0, coverage: 0, memoryBytes: 0 });
    assert.ok(a.distribution.repeatShare < 0.02);
    assert.ok(a.distribution.normalizedEntropy > 0.999);
    assert.match(a.reasoning, /^Dynamic serving: .*ask for a key asked before \(below 50%\)/);
  });

  test('a peaked head over a long tail: hybrid with exactly the head', async () => {
    // 100 hot keys share 90% of 100,000 requests; the other 10% are spread over 1M cold keys.
    const r = mulberry32(4);
    const keys = Array.from({ length: 100_000 }, () => (r() < 0.9 ? `hot${Math.floor(r() * 100)}` : `cold${Math.floor(r() * 1_000_000)}`));
    const a = await adviseFile(writeKeys('head-tail.csv', keys), { staticMaxKeys: 5000 });
    checkAgainstDirect(a, keys);
    assert.equal(a.recommendation, 'hybrid');
    assert.ok(a.table.keys <= 100, `${a.table.keys} keys cover 80%: all from the hot head`);
    assert.ok(a.distribution.keysForCoverage.find((p) => p.coverage === 0.95)!.k > 100);
  });

  test('entropy and coverage agree with numpy/scipy', async () => {
    const keys = zipfKeys(20_000, 0.9, 50_000, 5);
    const file = writeKeys('numpy.csv', keys);
    const a = await adviseFile(file);
    const py = spawnSync('/usr/bin/python3', ['-c', `
import json, sys, numpy as np, scipy.stats as st
keys = np.loadtxt(sys.argv[1], delimiter=',', skiprows=1, usecols=0, dtype=str)
_, counts = np.unique(keys, return_counts=True)
c = np.sort(counts)[::-1]
cum = np.cumsum(c) / c.sum()
print(json.dumps({"H": float(st.entropy(counts, base=2)), "n": int(len(c)), "top": {str(k): float(cum[min(k, len(c)) - 1]) for k in [10, 100, 1000, 10000]},
  "k80": int(np.argmax(cum >= 0.8 - 1e-12) + 1)}))
`, file], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    const ref = JSON.parse(py.stdout) as { H: number; n: number; top: Record<string, number>; k80: number };
    assert.ok(Math.abs(a.distribution.entropyBits - ref.H) < 1e-9, `${a.distribution.entropyBits} vs scipy ${ref.H}`);
    assert.equal(a.distribution.keys, ref.n);
    for (const p of a.distribution.topK) assert.ok(Math.abs(p.coverage - ref.top[String(p.k)]!) < 1e-12);
    assert.equal(a.distribution.keysForCoverage.find((p) => p.coverage === 0.8)!.k, ref.k80);
  });

  test('charts: coverage curve with the recommended table marked, rank-frequency log-log; both render', async () => {
    const a = await adviseFile(path.join(dir, 'head-tail.csv'), { staticMaxKeys: 5000 });
    const charts = adviceCharts(a, 500);
    const cov = JSON.stringify(charts.coverage);
    assert.match(cov, /"type":"log"/);
    assert.ok(cov.includes(`"k":${a.table.keys}`), 'the recommended k is marked');
    assert.match(JSON.stringify(charts.rankFrequency), /"scale":\{"type":"log"\}.*"scale":\{"type":"log"\}/);
    for (const spec of [charts.coverage, charts.rankFrequency]) {
      const svg = await renderSvg(spec);
      assert.match(svg, /^<svg/);
      assert.ok(svg.length > 2000);
    }
    assert.match(await renderSvg(charts.coverage), /hybrid: \d+ keys/);
    const zipf = await adviseFile(path.join(dir, 'zipf.csv'));
    assert.match(await renderSvg(adviceCharts(zipf, 500).rankFrequency), /Zipf|path/);
  });
});

describe('serving advice from the prediction log', () => {
  let ws: string;
  const lines: string[] = [];
  before(() => {
    ws = path.join(dir, 'ws');
    const logs = path.join(ws, '.prodml/logs/recs');
    fs.mkdirSync(logs, { recursive: true });
    fs.writeFileSync(path.join(ws, 'prodml.yaml'), 'datasets:\n  x: {path: data/*.csv}\nmodels:\n  recs:\n    dataset: x\n    label: y\n    task: regression\n    features: {user_id: identity}\n    serving: {key: user_id}\n');
    const keys = zipfKeys(100, 1.2, 3000, 6);
    keys.forEach((k, i) => {
      const route = i % 10 === 0 ? 'canary' : 'primary';
      lines.push(JSON.stringify({ request_id: `r${i}-0`, time: '2025-03-01T00:00:00.000Z', model: 'recs', version: 1, route, ...(i % 3 === 0 ? {} : { key: k }), inputs: { user_id: k, region: `r${i % 4}` }, prediction: 1 }));
      // Shadow duplicates and batch rows are not requests: they must not count.
      if (i % 5 === 0) lines.push(JSON.stringify({ request_id: `r${i}-0`, time: '2025-03-01T00:00:00.000Z', model: 'recs', version: 2, route: 'shadow', key: k, inputs: { user_id: k }, prediction: 2 }));
    });
    for (let i = 0; i < 500; i++) lines.push(JSON.stringify({ request_id: `b${i}`, time: '2025-03-01T00:00:00.000Z', model: 'recs', version: 1, route: 'batch', key: 'u0', inputs: { user_id: 'u0' }, prediction: 1 }));
    fs.writeFileSync(path.join(logs, 'predictions-2025-03-01-0.jsonl'), lines.join('\n') + '\n{"request_id": "torn');
    fs.writeFileSync(path.join(ws, 'keys.txt'), keys.join('\n'));
  });

  test('primary and canary requests count (key from the record, else from the inputs); shadow, batch and a torn line do not', async () => {
    const keys = fs.readFileSync(path.join(ws, 'keys.txt'), 'utf8').split('\n');
    const a = await adviseServing(session, ws, 'recs');
    assert.deepEqual(a.source, { kind: 'log', path: '.prodml/logs/recs', key: 'user_id', field: 'key', routes: ['primary', 'canary'] });
    checkAgainstDirect(a, keys);
    assert.equal(a.recommendation, 'static');
    // Inputs differ between requests of the same key (region varies): a caveat says so.
    assert.ok(a.caveats.some((c) => /came with different fields on different requests/.test(c)), a.caveats.join('\n'));
  });

  test('--key names an input field; a log without keys is a clear error', async () => {
    const a = await adviseServing(session, ws, 'recs', { key: 'region' });
    assert.equal(a.distribution.keys, 4);
    assert.equal(a.source.kind === 'log' && a.source.field, 'inputs');
    fs.writeFileSync(path.join(ws, 'prodml.yaml'), 'datasets:\n  x: {path: data/*.csv}\nmodels:\n  recs:\n    dataset: x\n    label: y\n    task: regression\n    features: {user_id: identity}\n');
    await assert.rejects(adviseServing(session, ws, 'recs'), /its records carry no key: set models\.recs\.serving\.key/);
    await assert.rejects(adviseServing(session, ws, 'other'), /has no prediction log of other/);
    await assert.rejects(adviseServing(session, ws, 'recs', { key: 'nope' }), /no primary or canary request with a "nope" key/);
    await assert.rejects(adviseServing(session, ws, 'recs', { key: 'user_id', thresholds: { targetCoverage: 1.5 } }), /targetCoverage must be a share in \(0, 1\]/);
  });

  test('prodml advise serving: text and --json, exit 2 on bad input', () => {
    const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.resolve('src/cli/main.ts'), ...args], { encoding: 'utf8' });
    const json = cli(['advise', 'serving', 'recs', '--key', 'user_id', '--json', '--workspace', ws]);
    assert.equal(json.status, 0, json.stderr);
    const a = JSON.parse(json.stdout) as ServingAdvice;
    assert.equal(a.recommendation, 'static');
    const text = cli(['advise', 'serving', '--data', path.join(dir, 'head-tail.csv'), '--key', 'user_id', '--static-max-keys', '5000', '--workspace', ws]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^recs: HYBRID serving \(precompute \d+ keys → 8\d(\.\d)?% of requests/);
    assert.match(text.stdout, /top-k coverage {2}top 10: /);
    assert.match(text.stdout, /Build the table: prodml predict recs --static/);
    const bad = cli(['advise', 'serving', 'recs', '--data', path.join(dir, 'head-tail.csv'), '--key', 'nope', '--workspace', ws]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /head-tail\.csv: has no key column "nope"/);
  });
});
