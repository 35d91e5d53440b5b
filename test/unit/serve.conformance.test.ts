/**
 * `prodml serve` held against TF Serving's REST API document (tensorflow_serving/g3doc/api_rest.md),
 * one describe per part of it, over real HTTP against really trained models. Every number is
 * compared with the version's own Scorer (the producer's predictions for the same rows).
 *
 * Models: baby_weight (regression, with a schema snapshot, versions 1 and 2, production = 1);
 * on a dataset with no schema file: sex (binary, label is_male), race (multiclass, label
 * mother_race) and gest (regression with one input, gestation_weeks).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openRegistry } from '../../src/core/registry';
import { loadScorer, predictionValue, type Scorer } from '../../src/core/serve/scorer';
import { answer } from '../../src/core/serve/answer';
import { ServedModel } from '../../src/core/serve/servedModel';
import { startServer, type RunningServer } from '../../src/core/serve/server';
import { trainFromConfig } from '../../src/core/train/run';
import { logRecords, MODEL, servingWorkspace, setYaml, streamRows } from '../helpers/serveFixtures';

let ws: string;
let server: RunningServer;
const scorers = new Map<string, Scorer>();

const EXTRA_MODELS = `
  sex:
    dataset: raw
    task: binary
    label: is_male
    features: {mother_age: standardize, gestation_weeks: standardize, plurality: one_hot, mother_race: vocabulary, cigarette_use: one_hot}
    model: {type: dnn, hidden: [8]}
    training: {epochs: 3, batch_size: 256, learning_rate: 0.01, seed: 7}
  race:
    dataset: raw
    task: multiclass
    label: mother_race
    features: {mother_age: standardize, gestation_weeks: standardize}
    model: {type: dnn, hidden: [8]}
    training: {epochs: 3, batch_size: 256, learning_rate: 0.01, seed: 7}
  gest:
    dataset: raw
    task: regression
    label: weight_pounds
    features: {gestation_weeks: standardize}
    model: {type: dnn, hidden: [4]}
    training: {epochs: 3, batch_size: 256, learning_rate: 0.01, seed: 7}
`;

before(async () => {
  ws = await servingWorkspace({ versions: 2, promote: 1 });
  setYaml(ws, (y) => y.replace('\nmodels:\n', '\n  raw:\n    path: data/train/*.csv\n    label: weight_pounds\n\nmodels:\n').replace('\n# prodml run:', `${EXTRA_MODELS}\n# prodml run:`));
  for (const m of ['sex', 'race', 'gest']) await trainFromConfig(ws, m, {});
  const registry = await openRegistry(ws);
  for (const [key, m, v] of [[`${MODEL}:1`, MODEL, 1], [`${MODEL}:2`, MODEL, 2], ['sex', 'sex', 1], ['race', 'race', 1], ['gest', 'gest', 1]] as const) {
    scorers.set(key, await loadScorer(await registry.getVersion(m, v)));
  }
  server = await startServer({ root: ws, port: 0, logFlushMs: 1 });
});
after(async () => {
  await server?.close();
  for (const s of scorers.values()) s.dispose();
});

async function post(path: string, body: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${server.url}/v1/models/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

async function get(path: string): Promise<{ status: number; body: any }> {
  const r = await fetch(`${server.url}/v1/models/${path}`);
  return { status: r.status, body: await r.json() };
}

/** The Scorer's predictions for rows, as the API answers them (a number, or {class: p}). */
function expected(key: string, rows: Record<string, unknown>[]): unknown[] {
  const s = scorers.get(key)!;
  const out = s.score(rows);
  return rows.map((_, i) => predictionValue(s, out, i));
}

/** The inputs of a row that a model reads. */
function pick(row: Record<string, unknown>, names: string[]): Record<string, unknown> {
  return Object.fromEntries(names.map((n) => [n, row[n]]));
}

const SEX_INPUTS = ['mother_age', 'gestation_weeks', 'plurality', 'mother_race', 'cigarette_use'];

describe('errors: {"error": <message>} with TF Serving\'s status codes', () => {
  test('not found is 404, a bad request 400, each with a string error', async () => {
    const cases: [Promise<{ status: number; body: any }>, number][] = [
      [post('nope:predict', { instances: [{}] }), 404],
      [get('nope'), 404],
      [get(`${MODEL}/versions/9`), 404],
      [post(`${MODEL}:predict`, '{"instances": ['), 400],
      [post(`${MODEL}:predict`, { rows: [] }), 400],
      [post(`${MODEL}:explain`, { instances: [] }), 400],
    ];
    for (const [p, status] of cases) {
      const r = await p;
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(typeof r.body.error, 'string');
      assert.ok(r.body.error.length > 10);
    }
  });
});

describe('the hot path in front of fastify answers as fastify does', () => {
  /** One POST over raw HTTP: with a content-length (answered by the server's hot path) or chunked (always fastify's route). */
  function raw(path: string, body: string, chunked: boolean, requestId?: string): Promise<{ status: number; body: unknown; headers: Record<string, unknown> }> {
    const u = new URL(server.url);
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { 'content-type': 'application/json', ...(requestId ? { 'x-request-id': requestId } : {}) };
      if (!chunked) headers['content-length'] = Buffer.byteLength(body);
      const req = http.request({ host: u.hostname, port: u.port, path: `/v1/models/${path}`, method: 'POST', headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text), headers: { type: res.headers['content-type'], version: res.headers['x-model-version'], id: res.headers['x-request-id'] } }));
      });
      req.on('error', reject);
      if (chunked) {
        req.write(body.slice(0, Math.floor(body.length / 2)));
        req.end(body.slice(Math.floor(body.length / 2)));
      } else req.end(body);
    });
  }

  test('the same status, body and headers for answers and refusals, with the client\'s request id kept', async () => {
    const rows = streamRows(ws, '2025-03', 3);
    const cases: [string, string][] = [
      [`${MODEL}:predict`, JSON.stringify({ instances: rows })],
      [`${MODEL}:predict`, JSON.stringify({ inputs: Object.fromEntries(Object.keys(rows[0]!).map((k) => [k, rows.map((r) => r[k])])) })],
      [`${MODEL}:regress`, JSON.stringify({ examples: rows })],
      ['sex:classify', JSON.stringify({ examples: [pick(rows[0]!, SEX_INPUTS)] })],
      ['race:predict', JSON.stringify({ instances: [{ mother_age: 30, gestation_weeks: 39 }] })],
      [`${MODEL}:predict`, '{"instances": ['],
      [`${MODEL}:predict`, ''],
      [`${MODEL}:predict`, '{"instances": [{"mother_age": NaN}]}'],
      [`${MODEL}:predict`, JSON.stringify({ instances: [{ ...rows[0], mother_age: 'lots' }] })],
      [`${MODEL}:predict`, JSON.stringify({ instances: [{ ...rows[0], shoe_size: 9 }] })],
      ['gest:predict', `{"instances": [${'['.repeat(40)}${']'.repeat(40)}]}`.padEnd(3000, ' ')],
      [`${MODEL}:classify`, JSON.stringify({ examples: rows })],
    ];
    const byStatus = async () => ((await (await fetch(`${server.url}/metrics`)).json()) as { requests: { by_status: Record<string, number> } }).requests.by_status;
    const before = await byStatus();
    for (const [path, body] of cases) {
      const fast = await raw(path, body, false, 'client-id.7');
      const routed = await raw(path, body, true, 'client-id.7');
      assert.deepEqual(fast, routed, `${path} ${body.slice(0, 80)}`);
      assert.equal(fast.headers['id'], 'client-id.7');
      assert.equal(fast.headers['type'], 'application/json; charset=utf-8');
    }
    // Each answer, on either path, counted once in /metrics: 5 answered and 7 refused, twice each.
    const after = await byStatus();
    assert.equal((after['200'] ?? 0) - (before['200'] ?? 0), 10);
    assert.equal((after['400'] ?? 0) - (before['400'] ?? 0), 14);
  });
});

describe('model status API', () => {
  test('GET /v1/models/<m>[/versions/<v>|/labels/<l>] gives model_version_status', async () => {
    const ok = (v: string) => ({ version: v, state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } });
    assert.deepEqual((await get(MODEL)).body, { model_version_status: [ok('1')] });
    assert.deepEqual((await get(`${MODEL}/versions/2`)).body, { model_version_status: [ok('2')] });
    assert.deepEqual((await get(`${MODEL}/labels/production`)).body, { model_version_status: [ok('1')] });
    assert.equal((await get(`${MODEL}/labels/nope`)).status, 404);
  });
});

describe('model metadata API', () => {
  test('model_spec and metadata.signature_def.signature_def.serving_default with inputs and outputs; extras under prodml', async () => {
    const r = await get(`${MODEL}/metadata`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.model_spec, { name: MODEL, signature_name: '', version: '1' });
    const sig = r.body.metadata.signature_def.signature_def.serving_default;
    assert.equal(sig.method_name, 'tensorflow/serving/predict');
    const batch = { dim: [{ size: '-1', name: '' }], unknown_rank: false };
    // dtypes from the schema snapshot: ints, bools, strings.
    assert.deepEqual(sig.inputs.mother_age, { dtype: 'DT_INT64', tensor_shape: batch, name: 'mother_age' });
    assert.equal(sig.inputs.is_male.dtype, 'DT_BOOL');
    assert.equal(sig.inputs.mother_race.dtype, 'DT_STRING');
    assert.deepEqual(Object.keys(sig.inputs), scorers.get(`${MODEL}:1`)!.inputs);
    assert.deepEqual(sig.outputs, { prediction: { dtype: 'DT_FLOAT', tensor_shape: batch, name: 'prediction' } });
    assert.equal(r.body.prodml.task, 'regression');
    assert.equal(r.body.prodml.alias, 'production');
    assert.deepEqual(r.body.prodml.contract.mother_race, { type: 'string', from: 'schema', required: true, nullable: false, domain: 5, oov: 'hashed' });
    assert.ok(!('task' in r.body.metadata), 'ProdML facts stay out of TF Serving\'s keys');
  });

  test('pinned metadata (versions/<v>, labels/<l>), and a model without a schema typed from transform.json', async () => {
    assert.equal((await get(`${MODEL}/versions/2/metadata`)).body.model_spec.version, '2');
    assert.equal((await get(`${MODEL}/labels/production/metadata`)).body.model_spec.version, '1');
    const race = await get('race/metadata');
    const sig = race.body.metadata.signature_def.signature_def.serving_default;
    assert.equal(sig.inputs.mother_age.dtype, 'DT_INT64');
    assert.equal(race.body.prodml.contract.mother_age.from, 'transform.json');
    // A multiclass model: one named output per class, in the order of its probabilities.
    assert.deepEqual(Object.keys(sig.outputs), race.body.prodml.classes);
    assert.deepEqual(race.body.prodml.classes, ['Asian', 'Black', 'Hispanic', 'Other', 'White']);
  });
});

describe('classify and regress API', () => {
  test(':regress takes examples and answers result, one value per example', async () => {
    const rows = streamRows(ws, '2025-03', 5);
    const r = await post(`${MODEL}:regress`, { examples: rows });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { result: expected(`${MODEL}:1`, rows) });
    const pinned = await post(`${MODEL}/versions/2:regress`, { signature_name: 'serving_default', examples: rows });
    assert.deepEqual(pinned.body.result, expected(`${MODEL}:2`, rows));
  });

  test(':classify answers [label, score] pairs per example; context is shared by every example', async () => {
    const rows = streamRows(ws, '2025-03', 4).map((r) => pick(r, SEX_INPUTS));
    const r = await post('sex:classify', { context: { cigarette_use: false }, examples: rows.map(({ cigarette_use: _, ...rest }) => rest) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const p = expected('sex', rows.map((x) => ({ ...x, cigarette_use: false }))) as number[];
    assert.deepEqual(r.body.result, p.map((x) => [['0', 1 - x], ['1', x]]));
    const race = streamRows(ws, '2025-03', 3).map((x) => pick(x, ['mother_age', 'gestation_weeks']));
    const m = await post('race:classify', { examples: race });
    const probs = expected('race', race) as Record<string, number>[];
    assert.deepEqual(m.body.result, probs.map((x) => Object.entries(x)));
    assert.equal(m.body.result[0].length, 5);
  });

  test('a verb the task does not have, and a field in both context and an example, are 400', async () => {
    const rows = streamRows(ws, '2025-03', 2);
    const c = await post(`${MODEL}:classify`, { examples: rows });
    assert.equal(c.status, 400);
    assert.match(c.body.error, /^:classify needs a classification model; baby_weight is a regression model/);
    const g = await post('sex:regress', { examples: [pick(rows[0]!, SEX_INPUTS)] });
    assert.equal(g.status, 400);
    assert.match(g.body.error, /^:regress needs a regression model; sex is a binary classifier/);
    const both = await post('sex:classify', { context: { plurality: 1 }, examples: [pick(rows[0]!, SEX_INPUTS)] });
    assert.equal(both.status, 400);
    assert.match(both.body.error, /^examples\[0\]\.plurality: the field is also in "context"/);
    const none = await post('sex:classify', { instances: [pick(rows[0]!, SEX_INPUTS)] });
    assert.equal(none.status, 400);
    assert.match(none.body.error, /the body of :classify must be a JSON object \{"examples"/);
  });
});

describe('predict API, row format ("instances")', () => {
  test('a list of objects answers predictions in order', async () => {
    const rows = streamRows(ws, '2025-03', 6);
    const r = await post(`${MODEL}:predict`, { instances: rows });
    assert.deepEqual(r.body, { predictions: expected(`${MODEL}:1`, rows) });
  });

  test('a list of values for a single-input model, as TF Serving\'s {"instances": [1.0, 2.0, 5.0]}', async () => {
    const weeks = [36, 39, 41];
    const r = await post('gest:predict', { instances: weeks });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.predictions, expected('gest', weeks.map((w) => ({ gestation_weeks: w }))));
    // A model with several inputs needs objects: a bare value names no input.
    const multi = await post(`${MODEL}:predict`, { instances: [39] });
    assert.equal(multi.status, 400);
    assert.equal(multi.body.rule, 'not_object');
  });

  test('a multiclass model has one named output per class: a list of objects', async () => {
    const rows = streamRows(ws, '2025-03', 2).map((x) => pick(x, ['mother_age', 'gestation_weeks']));
    const r = await post('race:predict', { instances: rows });
    assert.deepEqual(r.body.predictions, expected('race', rows));
    assert.deepEqual(Object.keys(r.body.predictions[0]), ['Asian', 'Black', 'Hispanic', 'Other', 'White']);
  });
});

describe('predict API, columnar format ("inputs")', () => {
  test('a dict of lists answers "outputs", the same numbers as the row format', async () => {
    const rows = streamRows(ws, '2025-03', 5);
    const inputs = Object.fromEntries(Object.keys(rows[0]!).map((k) => [k, rows.map((r) => r[k])]));
    const r = await post(`${MODEL}:predict`, { inputs });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { outputs: expected(`${MODEL}:1`, rows) });
  });

  test('a single list for a single-input model; a multiclass model answers a dict of lists', async () => {
    const r = await post('gest:predict', { inputs: [37, 40] });
    assert.deepEqual(r.body, { outputs: expected('gest', [{ gestation_weeks: 37 }, { gestation_weeks: 40 }]) });
    const rows = streamRows(ws, '2025-03', 3).map((x) => pick(x, ['mother_age', 'gestation_weeks']));
    const m = await post('race:predict', { inputs: { mother_age: rows.map((x) => x['mother_age']), gestation_weeks: rows.map((x) => x['gestation_weeks']) } });
    const probs = expected('race', rows) as Record<string, number>[];
    assert.deepEqual(m.body.outputs, Object.fromEntries(Object.keys(probs[0]!).map((c) => [c, probs.map((p) => p[c])])));
  });

  test('lists of different lengths, both formats at once, a list for a multi-input model: 400', async () => {
    const lengths = await post(`${MODEL}:predict`, { inputs: { mother_age: [30, 31], gestation_weeks: [39] } });
    assert.equal(lengths.status, 400);
    assert.match(lengths.body.error, /^inputs\.gestation_weeks: has 1 values but inputs\.mother_age has 2; every input needs one value per row$/);
    const both = await post('gest:predict', { instances: [39], inputs: [39] });
    assert.equal(both.status, 400);
    assert.match(both.body.error, /has both "instances" \(row format\) and "inputs" \(columnar format\)/);
    const list = await post(`${MODEL}:predict`, { inputs: [1, 2] });
    assert.equal(list.status, 400);
    assert.match(list.body.error, /^"inputs" must be an object of lists, one per input .*the model reads 7 inputs/);
    const [row] = streamRows(ws, '2025-03', 1);
    const bad = await post(`${MODEL}:predict`, { inputs: Object.fromEntries(Object.entries({ ...row, mother_age: 'lots' }).map(([k, v]) => [k, [v]])) });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /^inputs\.mother_age\[0\]: expected an int/);
  });
});

describe('signature_name', () => {
  test('absent, "" and "serving_default" answer; another name is 400 naming the signatures', async () => {
    const rows = streamRows(ws, '2025-03', 2);
    for (const signature_name of [undefined, '', 'serving_default']) {
      const r = await post(`${MODEL}:predict`, { signature_name, instances: rows });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    const r = await post(`${MODEL}:predict`, { signature_name: 'tensorflow/serving/regress', instances: rows });
    assert.equal(r.status, 400);
    assert.equal(r.body.rule, 'bad_signature');
    assert.match(r.body.error, /^signature_name "tensorflow\/serving\/regress" is not a signature of this model \(signatures: serving_default\)$/);
  });
});

describe('JSON conformance: NaN and Infinity tokens', () => {
  test('are read, then refused by name (the one rule: only null means unknown)', async () => {
    const [row] = streamRows(ws, '2025-03', 1);
    for (const token of ['NaN', 'Infinity', '-Infinity']) {
      const text = JSON.stringify({ instances: [{ ...row, mother_age: 0 }] }).replace('"mother_age":0', `"mother_age":${token}`);
      const r = await post(`${MODEL}:predict`, text);
      assert.equal(r.status, 400, token);
      assert.equal(r.body.rule, 'non_finite');
      assert.equal(r.body.field, 'mother_age');
      assert.equal(r.body.error, `instances[0].mother_age: ${token} is not a usable value (NaN, Infinity and -Infinity are refused; send null for an unknown value)`);
    }
    // Inside a string the token is just text: a category the model never saw.
    const text = JSON.stringify({ instances: [{ ...row, mother_race: 'NaN Infinity' }] });
    assert.equal((await post(`${MODEL}:predict`, text)).status, 200);
  });
});

describe('pinned versions and labels keep working for every verb', () => {
  test('versions/<v> and labels/<l> on :predict and :regress', async () => {
    const rows = streamRows(ws, '2025-03', 3);
    assert.deepEqual((await post(`${MODEL}/versions/2:predict`, { instances: rows })).body.predictions, expected(`${MODEL}:2`, rows));
    assert.deepEqual((await post(`${MODEL}/labels/production:predict`, { inputs: Object.fromEntries(Object.keys(rows[0]!).map((k) => [k, rows.map((r) => r[k])])) })).body.outputs, expected(`${MODEL}:1`, rows));
    assert.deepEqual((await post(`${MODEL}/labels/production:regress`, { examples: rows })).body.result, expected(`${MODEL}:1`, rows));
    assert.equal((await post(`${MODEL}/versions/7:predict`, { instances: rows })).status, 404);
  });
});

describe('strict inputs from the model\'s own contract (transform.json), with no schema file', () => {
  test('a string in a numeric input, an unknown field, a missing input: 400 naming the field and the rule', async () => {
    const [full] = streamRows(ws, '2025-03', 1);
    const row = pick(full!, SEX_INPUTS);
    const cases: [Record<string, unknown>, string, string, RegExp][] = [
      [{ ...row, mother_age: 'lots' }, 'mother_age', 'wrong_type', /^instances\[0\]\.mother_age: expected an int \(input type int in transform\.json\), got the string "lots"$/],
      [{ ...row, gestation_weeks: '39' }, 'gestation_weeks', 'wrong_type', /got the string "39"$/],
      [{ ...row, plurality: [1] }, 'plurality', 'wrong_type', /expected an int .*got a list$/],
      [{ ...row, cigarette_use: 'no' }, 'cigarette_use', 'wrong_type', /expected a bool \(true or false\) \(input type bool in transform\.json\), got the string "no"$/],
      [{ ...row, f_unknown: 1 }, 'f_unknown', 'unknown_field', /^instances\[0\]: unknown field "f_unknown" \(the model reads mother_age, gestation_weeks, plurality, mother_race, cigarette_use; also accepted: is_male\)$/],
      [{ ...row, mother_age: undefined }, 'mother_age', 'missing_field', /^instances\[0\]: missing required field "mother_age" \(the model reads it; send null for an unknown value\)$/],
    ];
    for (const [inst, field, rule, message] of cases) {
      const r = await post('sex:predict', { instances: [inst] });
      assert.equal(r.status, 400, JSON.stringify(inst));
      assert.equal(r.body.field, field);
      assert.equal(r.body.rule, rule);
      assert.match(r.body.error, message);
    }
    // __proto__ is a field name like any other: unknown, never a prototype.
    const proto = await post('sex:predict', `{"instances": [${JSON.stringify(row).slice(0, -1)}, "__proto__": {"mother_age": 1}}]}`);
    assert.equal(proto.status, 400);
    assert.equal(proto.body.field, '__proto__');
  });

  test('null is an unknown value: answered with the training imputation, as the Scorer does', async () => {
    const row = pick(streamRows(ws, '2025-03', 1)[0]!, SEX_INPUTS);
    const rows = [{ ...row, mother_age: null }, { ...row, mother_race: null }];
    const r = await post('sex:predict', { instances: rows });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.predictions, expected('sex', rows));
  });

  test('an out-of-domain category follows the model\'s OOV rule and is counted in /metrics and the log', async () => {
    const row = pick(streamRows(ws, '2025-03', 1)[0]!, SEX_INPUTS);
    const before = await (await fetch(`${server.url}/metrics`)).json();
    // plurality is one_hot (unseen: all zeros); mother_race is a vocabulary (unseen: its OOV bucket).
    const rows = [{ ...row, plurality: 9 }, { ...row, mother_race: 'Martian' }, { ...row, mother_race: 'Venusian', plurality: 9 }, row];
    const r = await fetch(`${server.url}/v1/models/sex:predict`, { method: 'POST', headers: { 'x-request-id': 'oov-1' }, body: JSON.stringify({ instances: rows }) });
    assert.equal(r.status, 200);
    assert.deepEqual((await r.json()).predictions, expected('sex', rows));
    const m = await (await fetch(`${server.url}/metrics`)).json();
    const was = before.out_of_domain.sex ?? {};
    assert.equal(m.out_of_domain.sex.plurality - (was.plurality ?? 0), 2);
    assert.equal(m.out_of_domain.sex.mother_race - (was.mother_race ?? 0), 2);
    await new Promise((res) => setTimeout(res, 50));
    const recs = logRecords(ws, 'sex').filter((x) => x.request_id.startsWith('oov-1-'));
    assert.deepEqual(recs.map((x) => x.oov), [['plurality'], ['mother_race'], ['plurality', 'mother_race'], undefined]);
  });
});

describe('hostile bodies', () => {
  test('deep nesting is 400, never a crash; the server answers after it', async () => {
    const deep = `{"instances": [${'['.repeat(100_000)}${']'.repeat(100_000)}]}`;
    const r = await post('gest:predict', deep);
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'the body nests deeper than 32 levels of lists and objects; no request to this API does');
    const deepObj = `{"instances": [{"gestation_weeks": ${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}]}`;
    assert.equal((await post('gest:predict', deepObj)).status, 400);
    // Nesting within the limit parses, and the value is refused by type.
    const some = await post('gest:predict', `{"instances": [{"gestation_weeks": ${'['.repeat(20)}1${']'.repeat(20)}}]}`);
    assert.equal(some.status, 400);
    assert.equal(some.body.rule, 'wrong_type');
    // Brackets inside strings are text, not nesting.
    assert.equal((await post(`${MODEL}:predict`, { instances: [{ ...streamRows(ws, '2025-03', 1)[0], mother_race: '['.repeat(100) }] })).status, 200);
    assert.equal((await post('gest:predict', { instances: [39] })).status, 200);
  });
});

describe('hostile bodies: a million instances sent chunked', () => {
  test('413 with {"error"} as soon as the body passes the limit, readable by the client still sending; the server\'s memory stays flat', async () => {
    // `prodml serve` in a process of its own, so that its memory is its own.
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../src/cli/main.ts'), 'serve', '--workspace', ws, '--port', '0', '--json'], { cwd: path.join(__dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const url = new URL(await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!).url);
        });
        child.once('exit', (code) => reject(new Error(`prodml serve exited with ${code}`)));
      }));
      const row = JSON.stringify(streamRows(ws, '2025-03', 1)[0]);
      const normal = () => fetch(`${url.origin}/v1/models/${MODEL}:predict`, { method: 'POST', body: `{"instances": [${row}]}` });
      for (let i = 0; i < 20; i++) assert.equal((await normal()).status, 200);
      const peak = () => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024;
      const peakBefore = peak();

      // A raw socket: Transfer-Encoding chunked, no Content-Length, the whole million sent while the
      // answer is read as it comes (as a client that streams its body does).
      const TOTAL = 1_000_000;
      const PER_CHUNK = 1000;
      const r = await new Promise<{ response: string; sentAtResponse: number; sent: number; completed: boolean }>((resolve) => {
        const socket = net.connect(Number(url.port), url.hostname);
        let response = '';
        let sent = 0;
        let sentAtResponse = -1;
        let i = 0;
        const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
        const write = (text: string) => {
          sent += text.length;
          return socket.write(text);
        };
        const finish = (completed: boolean) => resolve({ response, sentAtResponse, sent, completed });
        socket.on('data', (d) => {
          if (sentAtResponse < 0) sentAtResponse = sent;
          response += d;
        });
        socket.on('error', () => undefined); // cut off after the discard window: the answer is already read
        socket.on('close', () => finish(false));
        write(`POST /v1/models/${MODEL}:predict HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
        write(chunk('{"instances": ['));
        // One chunk per turn of the event loop, so that the answer is read while sending.
        const pump = () => {
          if (i < TOTAL) {
            const rows: string[] = [];
            for (let k = 0; k < PER_CHUNK; k++, i++) rows.push(row);
            if (write(chunk(`${i > PER_CHUNK ? ',' : ''}${rows.join(',')}`))) setImmediate(pump);
            else socket.once('drain', pump);
            return;
          }
          write(`${chunk(']}')}0\r\n\r\n`);
          // The connection was kept: the same socket answers the next request.
          const next = `{"instances": [${row}]}`;
          socket.write(`POST /v1/models/${MODEL}:predict HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(next)}\r\nConnection: close\r\n\r\n${next}`);
          socket.once('end', () => finish(true));
        };
        pump();
      });
      const [head, body] = r.response.split('\r\n\r\n');
      assert.match(head!, /^HTTP\/1\.1 413 /);
      assert.doesNotMatch(head!, /connection: close/i);
      assert.deepEqual(JSON.parse(body!.slice(0, Number(/content-length: (\d+)/i.exec(head!)![1]))), { error: 'the body is over the 1024 KB limit (serving.body_limit_kb in prodml.yaml); send fewer instances per request' });
      // The answer came while the client was still sending, not after the 190 MB.
      assert.ok(r.sentAtResponse > 1024 * 1024 && r.sentAtResponse < r.sent / 4, `answered after ${r.sentAtResponse} of ${r.sent} bytes`);
      if (r.completed) assert.match(r.response, /HTTP\/1\.1 413 [^]*HTTP\/1\.1 200 /);
      // The rest was read and dropped as it came: the server's peak memory grew by far less than the body.
      const grew = peak() - peakBefore;
      assert.ok(grew < 96, `server peak RSS grew by ${grew.toFixed(0)} MB while receiving ${(r.sent / 2 ** 20).toFixed(0)} MB`);
      assert.equal((await normal()).status, 200);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('answer(): the :predict handler as a pure function', () => {
  test('the same versions and body give the same answer, with the log lines returned, not written', async () => {
    const registry = await openRegistry(ws);
    const model = new ServedModel(MODEL, { alias: 'production', key: 'birth_id', log: { sample_rate: 1, max_file_mb: 64 } }, registry, () => undefined);
    await model.start();
    try {
      const rows = streamRows(ws, '2025-04', 3);
      const view = { name: MODEL, config: model.config, deployment: model.deployment };
      const req = { verb: 'predict' as const, body: { instances: rows }, requestId: 'pure', receivedAt: Date.UTC(2025, 3, 1) };
      const linesBefore = logRecords(ws).length;
      const a = answer(view, req, () => 0);
      assert.deepEqual(answer(view, req, () => 0), a);
      assert.equal(a.status, 200);
      assert.deepEqual(a.body, { predictions: expected(`${MODEL}:1`, rows) });
      assert.deepEqual(a.headers, { 'x-model-version': '1' });
      assert.equal(a.day, '2025-04-01');
      assert.deepEqual(a.lines.map((l) => JSON.parse(String(l)).request_id), ['pure-0', 'pure-1', 'pure-2']);
      assert.deepEqual(a.counts, [{ route: 'primary', version: 1, n: 3 }]);
      assert.equal(logRecords(ws).length, linesBefore, 'answer() writes nothing');
      const bad = answer(view, { ...req, body: { instances: [{ ...rows[0], mother_age: 'lots' }] } });
      assert.equal(bad.status, 400);
      assert.equal((bad.body as { rule: string }).rule, 'wrong_type');
      assert.deepEqual(bad.lines, []);
    } finally {
      await model.close();
    }
  });
});
