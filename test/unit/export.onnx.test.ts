/**
 * ONNX export: the exported graph, scored by onnxruntime-node on held-out rows, gives what
 * `prodml predict` (predictBatch, the Scorer) gives, within 1e-5, for binary, multiclass and
 * regression models reading numbers through every numeric transform and categories through
 * one_hot and vocabulary; planted missing, non-positive and unseen values included. Each export
 * is recorded on the card.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { DuckSession } from '../../src/core/data/duckdb';
import { openSource } from '../../src/core/data/source';
import { exportModel } from '../../src/core/export/exportModel';
import { onnxFeeds } from '../../src/core/export/onnxFeeds';
import { openRegistry } from '../../src/core/registry';
import { predictBatch } from '../../src/core/serve/batchPredict';
import { loadScorer } from '../../src/core/serve/scorer';
import { openWorkspace } from '../../src/core/project/workspace';
import { EXPORT_MODELS, exportWorkspace, PLANTED } from '../helpers/exportFixtures';

let ws: string;
let session: DuckSession;
let heldOut: Record<string, unknown>[];

before(async () => {
  ws = await exportWorkspace();
  session = await DuckSession.open({ allowedDirectories: [ws] });
  heldOut = await session.rows(`SELECT * FROM read_csv('${path.join(ws, 'data/heldout.csv')}')`);
});
after(() => session?.close());

/** The workspace as the CLI opens it from its root. */
const workspace = () => openWorkspace({ workspace: ws, cwd: ws });

async function scoreOnnx(file: string, rows: Record<string, unknown>[]): Promise<{ out: Float32Array; session: ort.InferenceSession }> {
  const s = await ort.InferenceSession.create(file);
  // The input types as the graph declares them, read back by onnxruntime.
  const meta = s.inputMetadata.map((m) => ({ name: m.name, type: m.isTensor && m.type === 'string' ? ('string' as const) : ('float32' as const) }));
  const feeds = Object.fromEntries(Object.entries(onnxFeeds(meta, rows)).map(([k, f]) => [k, new ort.Tensor(f.type, f.data, f.dims)]));
  const result = await s.run(feeds);
  return { out: result['prediction']!.data as Float32Array, session: s };
}

/** `prodml predict`'s numbers for the held-out file: the prediction (binary, regression) or p_<class> columns. */
async function batchPredictions(ref: { model: string; version: number }, classes?: string[]): Promise<number[]> {
  const version = await (await openRegistry(ws)).getVersion(ref.model, ref.version);
  const out = path.join(ws, `out/${ref.model}.jsonl`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.rmSync(out, { force: true });
  await predictBatch(session, version, await openSource('data/heldout.csv', ws), out);
  const lines = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  return classes ? lines.flatMap((l) => classes.map((c) => l[`p_${c}`]!)) : lines.map((l) => l['prediction']!);
}

describe('prodml export --format onnx', () => {
  for (const [task, model] of Object.entries(EXPORT_MODELS)) {
    test(`${task}: onnxruntime-node scores held-out rows as prodml predict does (1e-5)`, async () => {
      const file = path.join(ws, `exports/${model}.onnx`);
      const r = await exportModel(await workspace(), { model: `${model}:1`, format: 'onnx', out: `exports/${model}.onnx` });
      assert.equal(r.path, file);
      assert.equal(r.version, 1);
      // One input per column, named as the column, float32 for numbers and string for categories.
      assert.deepEqual(r.inputs, [
        { name: 'age', type: 'float32' },
        { name: 'income', type: 'float32' },
        { name: 'visits', type: 'float32' },
        { name: 'tenure', type: 'float32' },
        { name: 'city', type: 'string' },
        { name: 'plan', type: 'string' },
      ]);
      const { out, session: s } = await scoreOnnx(file, heldOut);
      assert.deepEqual(s.inputMetadata.map((m) => [m.name, m.isTensor && m.type, m.isTensor && m.shape]), r.inputs.map((i) => [i.name, i.type, ['N', 1]]));
      // Multiclass also names its classes the way scikit-learn's converters do (a classifier's labels) and outputs the most probable one.
      assert.deepEqual([...s.outputNames], task === 'multiclass' ? ['prediction', 'label'] : ['prediction']);

      const expected = await batchPredictions({ model, version: 1 }, r.classes);
      const k = task === 'multiclass' ? 3 : 1;
      assert.equal(r.classes?.length ?? 1, k);
      assert.equal(expected.length, heldOut.length * k);
      assert.equal(out.length, expected.length);
      const off = expected.map((e, i) => ({ i, d: Math.abs(e - out[i]!) })).filter((x) => !(x.d <= 1e-5));
      assert.equal(off.length, 0, `${off.length} of ${expected.length} outputs differ by more than 1e-5, e.g. row ${Math.floor((off[0]?.i ?? 0) / k)}: ${JSON.stringify(off[0])}`);
      if (task === 'multiclass') {
        for (let i = 0; i < heldOut.length; i++) assert.ok(Math.abs(out[3 * i]! + out[3 * i + 1]! + out[3 * i + 2]! - 1) < 1e-5);
        // The label output is prodml predict's class for every row.
        const labels = (await s.run(Object.fromEntries(Object.entries(onnxFeeds(r.inputs, heldOut)).map(([k, f]) => [k, new ort.Tensor(f.type, f.data, f.dims)]))))['label']!.data as string[];
        const predicted = await session.rows(`SELECT prediction FROM read_json('${path.join(ws, `out/${model}.jsonl`)}')`);
        assert.deepEqual(labels, predicted.map((p) => p['prediction']));
      }
      // The predictions vary: a graph that ignored its inputs would not pass by luck.
      assert.ok(new Set(Array.from(out, (v) => v.toFixed(4))).size > heldOut.length / 4);

      // The card records the export: format, the file's sha256, where, when.
      const card = (await (await openRegistry(ws)).getVersion(model, 1)).card;
      const rec = card.exports?.at(-1);
      assert.equal(rec?.format, 'onnx');
      assert.equal(rec?.sha256, `sha256:${createHash('sha256').update(fs.readFileSync(file)).digest('hex')}`);
      assert.equal(rec?.path, file);
      assert.ok(Date.now() - Date.parse(rec!.at) < 10 * 60_000);
    });
  }

  test('the planted held-out cases are there, and each scores as the Scorer scores it', async () => {
    assert.deepEqual(PLANTED, { missingAge: 20, unseenCity: 20, missingCity: 20, logNonPositive: 20, unseenPlan: 20 });
    assert.equal(heldOut.filter((r) => r['age'] === null).length, 20);
    assert.equal(heldOut.filter((r) => r['city'] === null).length, 20);
    assert.equal(heldOut.filter((r) => r['city'] === 'Toulouse').length, 20);
    assert.equal(heldOut.filter((r) => r['plan'] === 'enterprise').length, 20);
    assert.equal(heldOut.filter((r) => (r['income'] as number) <= -1).length, 20);
  });

  test('JSON rows as the server receives them (strings, booleans, NaN-like, ±Infinity, absent keys) score as the Scorer scores them', async () => {
    const file = path.join(ws, 'exports/churn-json.onnx');
    await exportModel(await workspace(), { model: 'churn:1', format: 'onnx', out: file });
    const rows: Record<string, unknown>[] = [
      { age: '41.5', income: '30000', visits: 3, tenure: 2.5, city: 'Paris', plan: 'pro' },
      { age: ' 60 ', income: 0, visits: '12', tenure: '9.99', city: 'Brest', plan: 'basic' },
      { age: 'n/a', income: -0.5, visits: true, tenure: -3, city: '', plan: '' },
      { age: Infinity, income: -Infinity, visits: false, tenure: 1e9, city: 'lyon', plan: 'PRO' },
      { income: null, tenure: 4, city: null },
      { age: 30, income: 1e6, visits: 29, tenure: 0, city: 'Lille', plan: 'plus' },
    ];
    const { out } = await scoreOnnx(file, rows);
    const want = (await loadScorer(await (await openRegistry(ws)).getVersion('churn', 1))).score(rows);
    assert.equal(out.length, rows.length);
    rows.forEach((_, i) => assert.ok(Math.abs(out[i]! - want[i]!) <= 1e-5, `row ${i}: onnx ${out[i]} vs scorer ${want[i]}`));
  });

  test('the card keeps every export when several run at once (written under the registry lock)', async () => {
    const registry = await openRegistry(ws);
    const before = (await registry.getVersion('spend', 1)).card.exports?.length ?? 0;
    const w = await workspace();
    await Promise.all([1, 2, 3].map((i) => exportModel(w, { model: 'spend:1', format: 'onnx', out: `exports/spend-${i}.onnx` })));
    const card = (await registry.getVersion('spend', 1)).card;
    assert.equal(card.exports!.length, before + 3);
    assert.deepEqual(card.exports!.slice(-3).map((e) => path.basename(e.path)).sort(), ['spend-1.onnx', 'spend-2.onnx', 'spend-3.onnx']);
    // The rest of the card is untouched.
    assert.equal(card.model, 'spend');
    assert.ok(card.metrics['rmse']! > 0);
  });

  test('a transform ONNX cannot express is a clear error naming the feature and the transform; nothing is written', async () => {
    await assert.rejects(exportModel(await workspace(), { model: 'hashed:1', format: 'onnx', out: 'exports/hashed.onnx' }), /hashed:1: feature "plan" uses vocabulary with oov_buckets: 3.*cannot be exported/);
    await assert.rejects(exportModel(await workspace(), { model: 'dated:1', format: 'onnx', out: 'exports/dated.onnx' }), /dated:1: feature "joined" uses date_parts.*cannot be exported to ONNX/);
    assert.ok(!fs.existsSync(path.join(ws, 'exports/hashed.onnx')));
    assert.ok(!fs.existsSync(path.join(ws, 'exports/dated.onnx')));
    assert.equal((await (await openRegistry(ws)).getVersion('hashed', 1)).card.exports, undefined);
  });

  test('bad requests are clear errors', async () => {
    await assert.rejects(exportModel(await workspace(), { model: 'churn:1', format: 'pmml', out: 'x' }), /--format pmml: give onnx or web/);
    await assert.rejects(exportModel(await workspace(), { model: 'churn:9', format: 'onnx', out: 'x.onnx' }), /model 'churn': version 9 does not exist/);
    await assert.rejects(exportModel(await workspace(), { model: 'nope:1', format: 'onnx', out: 'x.onnx' }), /no model 'nope'/);
    await assert.rejects(exportModel(await workspace(), { model: 'churn:1', format: 'onnx', out: 'data' }), /data: is a folder; --format onnx writes one file/);
    // A version without a network ProdML trained.
    const copy = path.join(ws, '.prodml/registry/churn_copy/1');
    fs.cpSync(path.join(ws, '.prodml/registry/churn/1'), copy, { recursive: true });
    fs.rmSync(path.join(copy, 'model.json'));
    await assert.rejects(exportModel(await workspace(), { model: 'churn_copy:1', format: 'onnx', out: 'x.onnx' }), /churn_copy\/1\/model\.json: not found: churn_copy:1 has no network ProdML trained/);
    // A bare name: the production alias, else the newest version (with a note saying so).
    const r = await exportModel(await workspace(), { model: 'churn', format: 'onnx', out: 'exports/bare.onnx' });
    assert.equal(r.version, 1);
    assert.match(r.note ?? '', /no "production" alias yet; using the latest version, churn:1/);
  });
});

describe('prodml export (CLI)', () => {
  const CLI = path.join(__dirname, '../../dist/cli.js');
  const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: ws, encoding: 'utf8', timeout: 120_000 });

  test('exports the file that scores as prodml predict does; bad input exits 2 with one clear line', async () => {
    const r = run(['export', 'segment:1', '--format', 'onnx', '--out', 'cli/segment.onnx', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.path, path.join(ws, 'cli/segment.onnx'));
    assert.deepEqual(doc.classes, ['high', 'low', 'mid']);
    const p = run(['predict', 'segment:1', '--input', 'data/heldout.csv', '--output', 'cli/segment.csv']);
    assert.equal(p.status, 0, p.stderr);
    const predicted = await session.rows(`SELECT p_high, p_low, p_mid FROM read_csv('${path.join(ws, 'cli/segment.csv')}')`);
    const { out } = await scoreOnnx(doc.path, heldOut);
    assert.equal(predicted.length, heldOut.length);
    predicted.forEach((row, i) => ['p_high', 'p_low', 'p_mid'].forEach((c, j) => assert.ok(Math.abs((row[c] as number) - out[3 * i + j]!) <= 1e-5, `row ${i} ${c}: predict ${row[c]} vs onnx ${out[3 * i + j]}`)));

    for (const [args, message] of [
      [['export', 'segment:1', '--format', 'pmml', '--out', 'x'], /^prodml: --format pmml: give onnx or web\n$/],
      [['export', 'segment:5', '--format', 'onnx', '--out', 'x.onnx'], /^prodml: model 'segment': version 5 does not exist \(versions: 1\)\n$/],
      [['export', 'dated:1', '--format', 'web', '--out', 'web-dated'], /^prodml: dated:1: feature "joined" uses date_parts/],
      [['export', 'segment:1', '--out', 'x.onnx'], /required option '--format <format>' not specified/],
    ] as const) {
      const bad = run([...args]);
      assert.equal(bad.status, 2, `${args.join(' ')}: ${bad.stderr}`);
      assert.match(bad.stderr, message);
      assert.equal(bad.stdout, '');
    }
    assert.ok(!fs.existsSync(path.join(ws, 'web-dated')));
  });
});
