/** The prediction server's REST API over real HTTP on loopback: answers, refusals, status, metrics, log. */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { openRegistry } from '../../src/core/registry';
import { loadScorer } from '../../src/core/serve/scorer';
import { startServer, type RunningServer, type ServerEvent } from '../../src/core/serve/server';
import { logRecords, MODEL, predict, servingWorkspace, setServing, streamRows } from '../helpers/serveFixtures';

let ws: string;
let server: RunningServer;
const events: ServerEvent[] = [];

before(async () => {
  ws = await servingWorkspace({ versions: 2, promote: 1 });
  setServing(ws, '{key: birth_id}');
  server = await startServer({ root: ws, port: 0, onEvent: (e) => events.push(e), logFlushMs: 1 });
});
after(async () => {
  await server?.close();
});

describe('prodml serve API', () => {
  test('binds loopback on a free port and reports what it serves', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(server.port > 0);
    assert.deepEqual(events[0], { event: 'listening', url: server.url, models: [{ model: MODEL, version: 1, alias: 'production' }] });
    const health = await (await fetch(`${server.url}/healthz`)).json();
    assert.equal(health.status, 'ok');
  });

  test(':predict gives the Scorer\'s predictions for the same rows, with a request id', async () => {
    const rows = streamRows(ws, '2025-03', 25);
    const r = await predict(server.url, rows);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const scorer = await loadScorer(await (await openRegistry(ws)).getVersion(MODEL, 1));
    const expected = Array.from(scorer.score(rows));
    assert.deepEqual(r.body.predictions, expected);
    assert.ok(expected.every((p) => p > 0 && p < 15), 'pounds');
    assert.equal(r.headers.get('x-model-version'), '1');
    assert.match(r.headers.get('x-request-id')!, /^[0-9a-f]{8}-[0-9a-z]+$/);
    // A client's own id is kept.
    const mine = await predict(server.url, rows.slice(0, 1), { headers: { 'x-request-id': 'client-42' } });
    assert.equal(mine.headers.get('x-request-id'), 'client-42');
    // Every answer carries one: errors, unknown endpoints, status and metrics too.
    const others = [
      await fetch(`${server.url}/v1/models/${MODEL}:predict`, { method: 'POST', body: '{"instances": [' }),
      await fetch(`${server.url}/v1/models/nope:predict`, { method: 'POST', body: '{}' }),
      await fetch(`${server.url}/nowhere`),
      await fetch(`${server.url}/v1/models/${MODEL}`),
      await fetch(`${server.url}/v1/models/${MODEL}/metadata`, { headers: { 'x-request-id': 'client-43' } }),
      await fetch(`${server.url}/healthz`),
      await fetch(`${server.url}/metrics`),
      await fetch(`${server.url}/v1/models`),
    ];
    assert.deepEqual(others.map((o) => o.status), [400, 404, 404, 200, 200, 200, 200, 200]);
    for (const o of others) assert.match(o.headers.get('x-request-id')!, /^([0-9a-f]{8}-[0-9a-z]+|client-43)$/, o.url);
    assert.equal(others[4]!.headers.get('x-request-id'), 'client-43');
  });

  test('answers written together (one event-loop turn) reach their own clients: pipelined on one connection, and concurrent', async () => {
    const rows = streamRows(ws, '2025-03', 24);
    const expected = Array.from((await loadScorer(await (await openRegistry(ws)).getVersion(MODEL, 1))).score(rows));
    // Three requests in one write on one connection: three answers, in request order.
    const socket = net.connect(server.port, '127.0.0.1');
    const text = await new Promise<string>((resolve, reject) => {
      let got = '';
      socket.on('data', (d) => {
        got += d;
        if ((got.match(/HTTP\/1\.1 /g) ?? []).length === 3 && got.trimEnd().endsWith('}')) resolve(got);
      });
      socket.on('error', reject);
      socket.write([0, 1, 2].map((i) => {
        const body = JSON.stringify({ instances: [rows[i]] });
        return `POST /v1/models/${MODEL}:predict HTTP/1.1\r\nHost: x\r\nx-request-id: piped-${i}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
      }).join(''));
    });
    socket.destroy();
    const answers = text.split(/(?=HTTP\/1\.1 )/).map((a) => ({ id: /x-request-id: (\S+)/i.exec(a)?.[1], prediction: JSON.parse(a.slice(a.indexOf('\r\n\r\n') + 4)).predictions[0] }));
    assert.deepEqual(answers, [0, 1, 2].map((i) => ({ id: `piped-${i}`, prediction: expected[i] })));
    // Twenty-one at once on their own connections: each gets its own row's prediction.
    const concurrent = await Promise.all(rows.slice(3).map((row, i) => predict(server.url, [row], { headers: { 'x-request-id': `many-${i}` } })));
    assert.deepEqual(concurrent.map((r) => [r.status, r.headers.get('x-request-id'), r.body.predictions[0]]), expected.slice(3).map((p, i) => [200, `many-${i}`, p]));
  });

  test('curl-style bodies (no JSON content type) are read as JSON, as TF Serving does', async () => {
    const r = await fetch(`${server.url}/v1/models/${MODEL}:predict`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: JSON.stringify({ instances: streamRows(ws, '2025-03', 1) }) });
    assert.equal(r.status, 200);
    assert.equal((await r.json()).predictions.length, 1);
  });

  test('pinned routes: versions/<v> and labels/<alias>', async () => {
    const rows = streamRows(ws, '2025-03', 3);
    const v1 = await predict(server.url, rows);
    const v2 = await predict(server.url, rows, { path: `${MODEL}/versions/2:predict` });
    assert.equal(v2.status, 200);
    assert.equal(v2.headers.get('x-model-version'), '2');
    assert.notDeepEqual(v2.body.predictions, v1.body.predictions);
    const prod = await predict(server.url, rows, { path: `${MODEL}/labels/production:predict` });
    assert.deepEqual(prod.body.predictions, v1.body.predictions);
  });

  test('bad instances get 400 naming the instance, the field and the rule', async () => {
    const [row] = streamRows(ws, '2025-03', 1);
    const cases: [unknown, number | undefined, string | undefined, string, RegExp][] = [
      [{ instances: [row, { ...row, gestation_weeks: '39' }] }, 1, 'gestation_weeks', 'wrong_type', /^instances\[1\]\.gestation_weeks: expected an int \(schema type int\), got the string "39"$/],
      [{ instances: [{ ...row, mother_age: 31.5 }] }, 0, 'mother_age', 'wrong_type', /instances\[0\]\.mother_age: expected an int .*got the number 31\.5/],
      [{ instances: [{ ...row, is_male: 'yes' }] }, 0, 'is_male', 'wrong_type', /expected a bool \(true or false\).*got the string "yes"/],
      [{ instances: [{ ...row, mother_race: 3 }] }, 0, 'mother_race', 'wrong_type', /expected a string .*got the number 3/],
      [{ instances: [row, row, { ...row, plurality: undefined }] }, 2, 'plurality', 'missing_field', /^instances\[2\]: missing required field "plurality" \(the schema expects it in every SERVING example: presence\.min_fraction 1\)$/],
      [{ instances: [{ ...row, gestation_weeks: null }] }, 0, 'gestation_weeks', 'missing_field', /missing required field "gestation_weeks".*; it is null$/],
      // cigarette_use may be null (the schema allows 5% gaps, the transform imputes) but not absent: the model reads it.
      [{ instances: [{ ...row, cigarette_use: undefined }] }, 0, 'cigarette_use', 'missing_field', /missing required field "cigarette_use" \(the model reads it; send null for an unknown value\)/],
      [{ instances: [row, 'a row'] }, 1, undefined, 'not_object', /^instances\[1\]: must be an object of field values \(got the string "a row"\)$/],
      [{ instances: [] }, undefined, undefined, 'empty_instances', /"instances" is empty/],
      [{ rows: [row] }, undefined, undefined, 'bad_body', /the body must be a JSON object \{"instances": \[/],
      [[row], undefined, undefined, 'bad_body', /the body must be a JSON object/],
    ];
    for (const [body, instance, field, rule, message] of cases) {
      const r = await fetch(`${server.url}/v1/models/${MODEL}:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const doc = await r.json();
      assert.equal(r.status, 400, JSON.stringify(doc));
      assert.match(doc.error, message);
      assert.equal(doc.rule, rule);
      assert.equal(doc.instance, instance);
      assert.equal(doc.field, field);
    }
    const notJson = await fetch(`${server.url}/v1/models/${MODEL}:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"instances": [' });
    assert.equal(notJson.status, 400);
    assert.match((await notJson.json()).error, /^the body is not valid JSON \(/);
  });

  test('nulls the schema allows, the label, schema fields and out-of-range values are answered; an unknown field is refused', async () => {
    const [row] = streamRows(ws, '2025-03', 1);
    const r = await predict(server.url, [{ ...row, cigarette_use: null, weight_pounds: 7.1, event_date: '2025-03-02' }, { ...row, mother_age: 90 }], { headers: { 'x-request-id': 'extras-1' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.predictions.length, 2);
    const extra = await predict(server.url, [row, { ...row, note: 'extra' }]);
    assert.equal(extra.status, 400);
    assert.equal(extra.body.rule, 'unknown_field');
    assert.equal(extra.body.field, 'note');
    assert.match(extra.body.error, /^instances\[1\]: unknown field "note" \(the model reads mother_age, gestation_weeks, plurality, is_male, mother_race, cigarette_use, alcohol_use; also accepted: .*birth_id/);
  });

  test('a body over serving.body_limit_kb gets 413', async () => {
    const rows = Array.from({ length: 9000 }, () => streamRows(ws, '2025-03', 1)[0]);
    const r = await predict(server.url, rows);
    assert.equal(r.status, 413);
    assert.match(r.body.error, /^the body is over the 1024 KB limit \(serving\.body_limit_kb in prodml\.yaml\)/);
  });

  test('unknown model, version or alias gets 404 naming what exists', async () => {
    const rows = streamRows(ws, '2025-03', 1);
    const cases: [string, RegExp][] = [
      ['nope:predict', /^model 'nope' is not served here \(serving: baby_weight\)$/],
      [`${MODEL}/versions/9:predict`, /version 9 does not exist \(versions: 1-2\)/],
      [`${MODEL}/labels/candidate:predict`, /^model 'baby_weight' has no alias 'candidate' \(aliases: production\)$/],
    ];
    for (const [p, message] of cases) {
      const r = await predict(server.url, rows, { path: p });
      assert.equal(r.status, 404, p);
      assert.match(r.body.error, message);
    }
    assert.equal((await fetch(`${server.url}/v1/models/nope`)).status, 404);
  });

  test('status in TF Serving\'s shape, and metadata', async () => {
    const s = await (await fetch(`${server.url}/v1/models/${MODEL}`)).json();
    assert.deepEqual(s, { model_version_status: [{ version: '1', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }] });
    const v2 = await (await fetch(`${server.url}/v1/models/${MODEL}/versions/2`)).json();
    assert.equal(v2.model_version_status[0].version, '2');
    const meta = await (await fetch(`${server.url}/v1/models/${MODEL}/metadata`)).json();
    assert.equal(meta.prodml.task, 'regression');
    assert.deepEqual(meta.prodml.inputs, ['mother_age', 'gestation_weeks', 'plurality', 'is_male', 'mother_race', 'cigarette_use', 'alcohol_use']);
    assert.deepEqual(Object.keys(meta.metadata.signature_def.signature_def.serving_default.inputs), meta.prodml.inputs);
    assert.equal(meta.prodml.key, 'birth_id');
  });

  test('metrics count requests, statuses, predictions per route and version, and log lines', async () => {
    const before = await (await fetch(`${server.url}/metrics`)).json();
    await predict(server.url, streamRows(ws, '2025-04', 4));
    await predict(server.url, [{}]);
    const m = await (await fetch(`${server.url}/metrics`)).json();
    assert.equal(m.requests.total, before.requests.total + 2);
    assert.equal(m.requests.by_status['200'], before.requests.by_status['200'] + 1);
    assert.equal(m.requests.by_status['400'], before.requests.by_status['400'] + 1);
    assert.equal(m.predictions[MODEL].primary['1'], before.predictions[MODEL].primary['1'] + 4);
    assert.ok(m.predictions[MODEL].pinned['2'] >= 3);
    assert.ok(m.latency_ms.window > 0 && m.latency_ms.p50 > 0 && m.latency_ms.p99 >= m.latency_ms.p50);
    assert.equal(typeof m.requests_per_s, 'number');
    assert.equal(m.log.dropped, 0);
    assert.deepEqual(server.metrics().predictions, m.predictions);
  });

  test('every scored instance is logged with request id, time, version, route, key, all inputs and the prediction', async () => {
    const rows = streamRows(ws, '2025-05', 3);
    const r = await predict(server.url, rows, { headers: { 'x-request-id': 'logged-1' } });
    await server.close();
    const recs = logRecords(ws);
    const mine = recs.filter((x) => x.request_id.startsWith('logged-1-'));
    assert.deepEqual(mine.map((x) => x.request_id), ['logged-1-0', 'logged-1-1', 'logged-1-2']);
    mine.forEach((x, i) => {
      assert.equal(x.model, MODEL);
      assert.equal(x.version, 1);
      assert.equal(x.route, 'primary');
      assert.equal(x.key, rows[i]!['birth_id']);
      assert.deepEqual(x.inputs, rows[i]);
      assert.equal(x.prediction, r.body.predictions[i]);
      assert.ok(Math.abs(Date.parse(x.time) - Date.now()) < 60_000);
    });
    const extras = recs.filter((x) => x.request_id.startsWith('extras-1-'));
    assert.equal(extras[0].inputs.event_date, '2025-03-02');
    const pinned = recs.filter((x) => x.pinned === 'versions/2');
    assert.ok(pinned.length >= 3 && pinned.every((x) => x.version === 2 && x.route === 'primary'));
    // Refused requests are not logged; everything answered is.
    const answered = server.metrics().predictions[MODEL]!;
    const total = Object.values(answered).flatMap((byV) => Object.values(byV)).reduce((a, b) => a + b, 0);
    assert.equal(recs.length, total);
    assert.equal(server.metrics().log.written, total);
  });
});

describe('prodml serve configuration', () => {
  test('sample_rate 0 logs nothing; a model with no version is a clear error', async () => {
    setServing(ws, '{key: birth_id, log: {sample_rate: 0}}');
    const before = logRecords(ws).length;
    const s = await startServer({ root: ws, port: 0 });
    try {
      assert.equal((await predict(s.url, streamRows(ws, '2025-03', 5))).status, 200);
    } finally {
      await s.close();
    }
    assert.equal(logRecords(ws).length, before);
    await assert.rejects(startServer({ root: ws, port: 0, models: ['nope'] }), /model 'nope' has no registered version to serve \(registered: baby_weight\); train it first/);
  });
});
