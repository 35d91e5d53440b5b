/** Promotion and rollback swap the served version under concurrent load without a failed request. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { openRegistry, type Registry } from '../../src/core/registry';
import { startServer, type RunningServer, type ServerEvent } from '../../src/core/serve/server';
import { logRecords, MODEL, predict, servingWorkspace, streamRows } from '../helpers/serveFixtures';

let ws: string;
let registry: Registry;
let server: RunningServer;
const events: ServerEvent[] = [];

before(async () => {
  ws = await servingWorkspace({ versions: 2, promote: 1 });
  registry = await openRegistry(ws);
  server = await startServer({ root: ws, port: 0, pollMs: 20, onEvent: (e) => events.push(e) });
});
after(async () => {
  await server?.close();
});

async function swapEvent(count: number): Promise<void> {
  for (let i = 0; i < 2000 && events.filter((e) => e.event === 'swapped').length < count; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(events.filter((e) => e.event === 'swapped').length, count, 'the server saw the change');
}

describe('hot swap', () => {
  test('10 promotions and rollbacks under 8 concurrent clients: zero failed requests, every answer logged', async () => {
    const rows = streamRows(ws, '2025-03', 40);
    const statuses = new Map<number, number>();
    const versionsSeen = new Map<string, number>();
    let stop = false;
    let ok = 0;
    const client = async (c: number) => {
      for (let i = 0; !stop; i++) {
        const row = rows[(c * 7 + i) % rows.length]!;
        const r = await predict(server.url, [row]).catch((e: Error) => ({ status: -1, body: { error: e.message }, headers: new Headers() }));
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 200) ok++;
        const v = r.headers.get('x-model-version') ?? 'none';
        versionsSeen.set(v, (versionsSeen.get(v) ?? 0) + 1);
      }
    };
    const clients = Array.from({ length: 8 }, (_, c) => client(c));
    // Alternate promote v2 / roll back to v1, waiting each time until the server has swapped,
    // with requests in flight all along.
    for (let k = 1; k <= 10; k++) {
      const before = ok;
      if (k % 2 === 1) await registry.promote(MODEL, 2, 'production', 'swap test');
      else await registry.rollback(MODEL, { reason: 'swap test' });
      await swapEvent(k);
      while (ok < before + 20) await new Promise((r) => setTimeout(r, 2)); // some load on each version
    }
    stop = true;
    await Promise.all(clients);
    assert.deepEqual([...statuses.keys()], [200], JSON.stringify([...statuses]));
    assert.ok(ok >= 200, `${ok} requests`);
    assert.deepEqual([...versionsSeen.keys()].sort(), ['1', '2']);
    const swaps = events.filter((e) => e.event === 'swapped');
    assert.deepEqual(swaps.map((e) => e.event === 'swapped' && [e.from, e.to]), Array.from({ length: 10 }, (_, k) => (k % 2 === 0 ? [1, 2] : [2, 1])));
    assert.deepEqual(swaps[0], { event: 'swapped', model: MODEL, route: 'primary', alias: 'production', from: 1, to: 2 });
    // After the last rollback, version 1 answers.
    const last = await predict(server.url, rows.slice(0, 1));
    assert.equal(last.headers.get('x-model-version'), '1');
    assert.equal(server.metrics().swaps[MODEL], 10);

    // Every answered request is in the log, with the version that answered it.
    await server.close();
    const logged = logRecords(ws);
    assert.equal(logged.length, ok + 1);
    assert.equal(server.metrics().log.dropped, 0);
    const byVersion = (v: number) => logged.filter((r) => r.version === v).length;
    assert.equal(byVersion(1) + byVersion(2), logged.length);
    assert.equal(byVersion(2), versionsSeen.get('2'));
  });

  test('a version that cannot load is reported and the old one keeps serving', async () => {
    const v1 = await registry.getVersion(MODEL, 1);
    const broken = await registry.saveVersion(
      MODEL,
      { 'model.json': '{"modelTopology": ', 'weights.bin': { path: v1.files['weights.bin'] }, 'transform.json': { path: v1.files['transform.json'] }, 'schema.yaml': { path: v1.files['schema.yaml'] } },
      { backend: 'cpu', config_hash: 'x', task: 'regression', params: {}, metrics: {}, training_data: { datasets: [], rows: 0 } },
    );
    const errors: ServerEvent[] = [];
    const s = await startServer({ root: ws, port: 0, pollMs: 20, onEvent: (e) => errors.push(e) });
    try {
      await registry.promote(MODEL, broken, 'production');
      for (let i = 0; i < 400 && !errors.some((e) => e.event === 'error'); i++) await new Promise((r) => setTimeout(r, 5));
      const err = errors.find((e) => e.event === 'error');
      assert.ok(err && err.event === 'error', 'an error event');
      assert.match(err.message, new RegExp(`cannot load version ${broken} for primary: .*; still serving version 1`));
      const r = await predict(s.url, streamRows(ws, '2025-03', 2));
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-model-version'), '1');
      // Fixed by a rollback: no swap was needed, version 1 never stopped.
      await registry.rollback(MODEL, { to: 1 });
      assert.equal((await predict(s.url, streamRows(ws, '2025-03', 1))).headers.get('x-model-version'), '1');
    } finally {
      await s.close();
    }
    assert.ok(fs.existsSync(v1.dir));
  });
});
