/** Canary (a sticky share of keys to the candidate) and shadow (scored and logged, never returned). */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { openRegistry } from '../../src/core/registry';
import { keyPosition, routesToCanary } from '../../src/core/serve/routing';
import { loadScorer, type Scorer } from '../../src/core/serve/scorer';
import { startServer, type ServerEvent } from '../../src/core/serve/server';
import { logRecords, MODEL, predict, servingWorkspace, setServing, streamRows } from '../helpers/serveFixtures';

let ws: string;
let v1: Scorer;
let v2: Scorer;
let rows: Record<string, unknown>[];

before(async () => {
  ws = await servingWorkspace({ versions: 2, promote: 1 });
  const registry = await openRegistry(ws);
  await registry.promote(MODEL, 2, 'candidate');
  v1 = await loadScorer(await registry.getVersion(MODEL, 1));
  v2 = await loadScorer(await registry.getVersion(MODEL, 2));
  rows = ['2025-03', '2025-04', '2025-05', '2025-06'].flatMap((m) => streamRows(ws, m));
});

describe('canary', () => {
  test('the key hash spreads keys evenly', () => {
    // 20,000 keys shaped like the demo's birth ids: each tenth of [0, 1) gets 10% ± 0.7%.
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 20_000; i++) counts[Math.floor(keyPosition(`B2025${String(1 + (i % 12)).padStart(2, '0')}-${String(i).padStart(5, '0')}`) * 10)]++;
    for (const c of counts) assert.ok(Math.abs(c / 20_000 - 0.1) < 0.007, JSON.stringify(counts));
    assert.equal(routesToCanary('anything', 0), false);
    assert.equal(routesToCanary('anything', 100), true);
  });

  test('30% of keys go to the candidate, the same keys every time, with its predictions', async () => {
    setServing(ws, '{key: birth_id, canary: {alias: candidate, percent: 30}}');
    const events: ServerEvent[] = [];
    const s = await startServer({ root: ws, port: 0, onEvent: (e) => events.push(e) });
    const seen = new Map<string, string>();
    try {
      assert.deepEqual(events[0], { event: 'listening', url: s.url, models: [{ model: MODEL, version: 1, alias: 'production', canary: { version: 2, alias: 'candidate', percent: 30 } }] });
      // Batches of 40: each instance is routed on its own key.
      for (let i = 0; i < rows.length; i += 40) {
        const batch = rows.slice(i, i + 40);
        const r = await predict(s.url, batch);
        assert.equal(r.status, 200);
        const versions = r.headers.get('x-model-version')!.split(',');
        const p1 = v1.score(batch);
        const p2 = v2.score(batch);
        batch.forEach((row, j) => {
          const v = versions.length === 1 ? versions[0]! : versions[j]!;
          seen.set(row['birth_id'] as string, v);
          assert.equal(r.body.predictions[j], v === '2' ? p2[j] : p1[j]);
        });
      }
      const share = [...seen.values()].filter((v) => v === '2').length / seen.size;
      // 800 keys: the binomial standard deviation of the share is 1.6%; allow 4.5 of them.
      assert.ok(Math.abs(share - 0.3) < 0.07, `canary share ${share}`);
      for (const [key, v] of seen) assert.equal(v, routesToCanary(key, 30) ? '2' : '1', key);
      // Sticky: one at a time and in another order, every key sees the version it saw before.
      for (const row of [...rows].reverse().slice(0, 150)) {
        const r = await predict(s.url, [row]);
        assert.equal(r.headers.get('x-model-version'), seen.get(row['birth_id'] as string));
      }
      // Without a key, the request id decides: a client's id sticks too.
      const noKey = { ...rows[0]! };
      delete noKey['birth_id'];
      const byId = new Set<string>();
      for (let i = 0; i < 5; i++) byId.add((await predict(s.url, [noKey], { headers: { 'x-request-id': 'user-7' } })).headers.get('x-model-version')!);
      assert.equal(byId.size, 1);
      const status = await (await fetch(`${s.url}/v1/models/${MODEL}`)).json();
      assert.deepEqual(status.model_version_status.map((x: { version: string }) => x.version), ['2', '1']);
    } finally {
      await s.close();
    }
    const logged = logRecords(ws).filter((r) => r.key !== undefined);
    const canary = logged.filter((r) => r.route === 'canary');
    assert.ok(canary.length > 0 && canary.every((r) => r.version === 2 && routesToCanary(r.key, 30)));
    assert.ok(logged.filter((r) => r.route === 'primary').every((r) => r.version === 1 && !routesToCanary(r.key, 30)));
  });
});

describe('shadow', () => {
  test('the candidate scores every request; its predictions are logged, never returned', async () => {
    setServing(ws, '{key: birth_id, shadow: {alias: candidate}}');
    const before = logRecords(ws).length;
    const s = await startServer({ root: ws, port: 0 });
    const batch = rows.slice(0, 30);
    try {
      for (let i = 0; i < batch.length; i += 10) {
        const r = await predict(s.url, batch.slice(i, i + 10), { headers: { 'x-request-id': `shadowed-${i}` } });
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('x-model-version'), '1');
        assert.deepEqual(r.body.predictions, Array.from(v1.score(batch.slice(i, i + 10))));
      }
    } finally {
      await s.close(); // waits for shadow scoring and writes the log
    }
    const recs = logRecords(ws).slice(before);
    const primary = recs.filter((r) => r.route === 'primary');
    const shadow = recs.filter((r) => r.route === 'shadow');
    assert.equal(primary.length, 30);
    assert.equal(shadow.length, 30);
    const p2 = v2.score(batch);
    for (const sh of shadow) {
      assert.equal(sh.version, 2);
      const twin = primary.find((p) => p.request_id === sh.request_id);
      assert.ok(twin, `a served record for ${sh.request_id}`);
      assert.deepEqual(sh.inputs, twin.inputs);
      const j = batch.findIndex((b) => b['birth_id'] === sh.key);
      assert.equal(sh.prediction, p2[j]);
      assert.notEqual(sh.prediction, twin.prediction);
    }
  });
});
