/**
 * Static serving end to end on the demo model: requests with repeating keys build a log, `prodml
 * predict --static` writes the precomputed table, the server answers head keys from it (same
 * float32 as the Scorer, x-prodml-static: hit) and the tail through the model, and a swap to
 * another version never uses the old version's table.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { adviseServing, staticManifestPath, staticTablePath, writeStaticTable } from '../../src/core/advise';
import { DuckSession } from '../../src/core/data/duckdb';
import { openSource } from '../../src/core/data/source';
import { openRegistry, type Registry } from '../../src/core/registry';
import { loadScorer } from '../../src/core/serve/scorer';
import { startServer, type RunningServer, type ServerEvent } from '../../src/core/serve/server';
import { logRecords, MODEL, predict, servingWorkspace, setServing, streamRows } from '../helpers/serveFixtures';

let ws: string;
let registry: Registry;
let session: DuckSession;
let march: string;
let rows: Record<string, unknown>[];

/** What a version's Scorer says for these rows, as JSON numbers. */
async function scored(version: number, batch: Record<string, unknown>[]): Promise<number[]> {
  const scorer = await loadScorer(await registry.getVersion(MODEL, version));
  try {
    return Array.from(scorer.score(batch));
  } finally {
    scorer.dispose();
  }
}

async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.fail(`timed out waiting for ${what}`);
}

before(async () => {
  ws = await servingWorkspace({ versions: 2, promote: 1 });
  setServing(ws, '{key: birth_id}');
  registry = await openRegistry(ws);
  march = path.join(ws, 'data/stream/natality-2025-03.csv');
  rows = streamRows(ws, '2025-03', 60);
  session = await DuckSession.open({ allowedDirectories: [ws] });
  // Peaked traffic: the row at rank i is requested 40 / (i + 1) times (a Zipf head), rows 30-59 never.
  const server = await startServer({ root: ws, port: 0, pollMs: 20, logFlushMs: 1 });
  try {
    for (let i = 0; i < 30; i++) {
      const times = Math.max(1, Math.round(40 / (i + 1)));
      for (let t = 0; t < times; t++) assert.equal((await predict(server.url, [rows[i]])).status, 200);
    }
  } finally {
    await server.close();
  }
});
after(() => session?.close());

describe('static serving', () => {
  test('--top N: the table holds the N most requested keys, scored by the same Scorer', async () => {
    const v1 = await registry.getVersion(MODEL, 1);
    const r = await writeStaticTable(session, ws, v1, await openSource(march), { top: 5 });
    assert.equal(r.file, staticTablePath(ws, MODEL, 1));
    assert.equal(r.rows, 5);
    assert.deepEqual(r.head, { from: 'top', requested: 5 });
    assert.equal(r.missingKeys, 0);
    const table = await session.rows(`SELECT birth_id, prediction FROM read_parquet('${r.file}') ORDER BY birth_id`);
    const head = rows.slice(0, 5);
    const expected = await scored(1, head);
    const byKey = new Map(head.map((row, i) => [String(row['birth_id']), expected[i]!]));
    assert.deepEqual(table.map((t) => String(t['birth_id'])).sort(), [...byKey.keys()].sort());
    for (const t of table) assert.equal(t['prediction'], byKey.get(String(t['birth_id'])), 'bit-identical float32');
    const manifest = JSON.parse(fs.readFileSync(staticManifestPath(r.file), 'utf8'));
    assert.equal(manifest.model, MODEL);
    assert.equal(manifest.version, 1);
    assert.equal(manifest.key, 'birth_id');
    assert.match(manifest.sha256, /^[0-9a-f]{64}$/);
  });

  test('without --top the advice decides: 30 repeating keys → static, every key of the input', async () => {
    const advice = await adviseServing(session, ws, MODEL);
    assert.equal(advice.recommendation, 'static');
    assert.equal(advice.distribution.keys, 30);
    const v1 = await registry.getVersion(MODEL, 1);
    const out = path.join(ws, 'all-keys.parquet');
    const r = await writeStaticTable(session, ws, v1, await openSource(march), { output: out });
    assert.deepEqual(r.head, { from: 'all' });
    const n = Number((await session.rows(`SELECT count(DISTINCT birth_id) AS n FROM read_csv('${march}')`))[0]!['n']);
    assert.equal(r.rows, n);
  });

  test('the server answers head keys from the table (hit) and the tail through the model (miss); logged as static', async () => {
    const events: ServerEvent[] = [];
    const server = await startServer({ root: ws, port: 0, pollMs: 20, logFlushMs: 1, onEvent: (e) => events.push(e) });
    try {
      const v1 = await scored(1, rows.slice(0, 40));
      const hit = await predict(server.url, [rows[0]]);
      assert.equal(hit.status, 200);
      assert.equal(hit.headers.get('x-prodml-static'), 'hit');
      assert.equal(hit.headers.get('x-model-version'), '1');
      assert.deepEqual(hit.body.predictions, [v1[0]]);
      const miss = await predict(server.url, [rows[35]]);
      assert.equal(miss.headers.get('x-prodml-static'), 'miss');
      assert.deepEqual(miss.body.predictions, [v1[35]]);
      // A mixed request: hits from the table, misses scored, in request order.
      const mixed = await predict(server.url, [rows[36], rows[1], rows[37], rows[4]]);
      assert.equal(mixed.headers.get('x-prodml-static'), 'partial');
      assert.equal(mixed.headers.get('x-prodml-static-hits'), '2/4');
      assert.deepEqual(mixed.body.predictions, [v1[36], v1[1], v1[37], v1[4]]);
      // A hit is still checked like any instance.
      const bad = await predict(server.url, [{ ...rows[0], mother_age: 'old' }]);
      assert.equal(bad.status, 400);
      const meta = await (await fetch(`${server.url}/v1/models/${MODEL}/metadata`)).json();
      assert.deepEqual(meta.prodml.static, { keys: 5, file: path.join('.prodml', 'static', MODEL, '1.parquet') });
      assert.deepEqual(events.filter((e) => e.event === 'error'), [], 'no table problem reported');
    } finally {
      await server.close();
    }
    const logged = logRecords(ws).slice(-6);
    const head = new Set(rows.slice(0, 5).map((r) => String(r['birth_id'])));
    assert.deepEqual(logged.map((r) => r.static === true).filter(Boolean).length, 3);
    for (const r of logged) assert.equal(r.static === true, head.has(r.key), `${r.key} logged ${r.static ? 'static' : 'scored'}`);
    assert.ok(logged.every((r) => r.route === 'primary' && r.version === 1));
  });

  test("a swap to another version stops using the old table; the new version's table is picked up when built", async () => {
    const events: ServerEvent[] = [];
    const server = await startServer({ root: ws, port: 0, pollMs: 20, logFlushMs: 1, onEvent: (e) => events.push(e) });
    try {
      assert.equal((await predict(server.url, [rows[0]])).headers.get('x-prodml-static'), 'hit');
      await registry.promote(MODEL, 2, 'production', 'static test');
      await until(() => events.some((e) => e.event === 'swapped'), 'the swap');
      const v2 = await scored(2, rows.slice(0, 5));
      const after = await predict(server.url, [rows[0]]);
      assert.equal(after.headers.get('x-model-version'), '2');
      assert.equal(after.headers.get('x-prodml-static'), null, 'version 2 has no table: answered by its model');
      assert.deepEqual(after.body.predictions, [v2[0]]);
      const v1 = await scored(1, rows.slice(0, 1));
      assert.notEqual(v2[0], v1[0], 'the versions differ, so an old-table answer would show');

      // A copy of version 1's table named for version 2 is refused (its manifest says version 1).
      fs.copyFileSync(staticTablePath(ws, MODEL, 1), staticTablePath(ws, MODEL, 2));
      fs.copyFileSync(staticManifestPath(staticTablePath(ws, MODEL, 1)), staticManifestPath(staticTablePath(ws, MODEL, 2)));
      await until(() => events.some((e) => e.event === 'error'), 'the refusal');
      const refused = events.find((e) => e.event === 'error');
      assert.match(refused!.event === 'error' ? refused!.message : '', /static table of version 2 not used: .*was built for baby_weight:1, not baby_weight:2/);
      assert.equal((await predict(server.url, [rows[0]])).headers.get('x-prodml-static'), null);

      // Building version 2's own table while serving: picked up, answers with version 2's values.
      const cli = spawnSync(process.execPath, ['--import', 'tsx', path.resolve('src/cli/main.ts'), 'predict', `${MODEL}:2`, '--static', '--input', march, '--top', '3', '--workspace', ws, '--json'], { encoding: 'utf8' });
      assert.equal(cli.status, 0, cli.stderr);
      const out = JSON.parse(cli.stdout);
      assert.equal(out.rows, 3);
      assert.equal(out.version, 2);
      await until(async () => (await predict(server.url, [rows[0]])).headers.get('x-prodml-static') === 'hit', "version 2's table");
      const hit = await predict(server.url, [rows[0], rows[4]]);
      assert.equal(hit.headers.get('x-prodml-static-hits'), '1/2');
      assert.deepEqual(hit.body.predictions, [v2[0], v2[4]]);
    } finally {
      await server.close();
    }
  });

  test('keys that never repeat are advised dynamic; a bad --top or a missing --output is exit 2', async () => {
    const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.resolve('src/cli/main.ts'), ...args, '--workspace', ws], { encoding: 'utf8' });
    // The April month's birth_ids are each requested once: no key repeats.
    const april = path.join(ws, 'data/stream/natality-2025-04.csv');
    const dyn = cli(['advise', 'serving', '--data', april, '--key', 'birth_id', '--json']);
    assert.equal(dyn.status, 0, dyn.stderr);
    assert.equal(JSON.parse(dyn.stdout).recommendation, 'dynamic');
    const bad = cli(['predict', MODEL, '--static', '--input', march, '--top', '0']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--top must be a positive whole number/);
    const noOut = cli(['predict', MODEL, '--input', march]);
    assert.equal(noOut.status, 2);
    assert.match(noOut.stderr, /--output/);
  });
});
