/** Batch prediction on the demo: real DuckDB, a real trained model, files written and read back. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckSession, sqlString, type Row } from '../../src/core/data/duckdb';
import { openSource } from '../../src/core/data/source';
import { prepareDemoWorkspace } from '../../src/core/demo/prepare';
import { transformRows } from '../../src/core/features/apply';
import type { FittedTransforms } from '../../src/core/features/spec';
import { openRegistry, type ModelVersion } from '../../src/core/registry';
import { answer } from '../../src/core/serve/answer';
import { predictBatch } from '../../src/core/serve/batchPredict';
import { ServedModel } from '../../src/core/serve/servedModel';
import type { PredictionRecord } from '../../src/core/serve/logTypes';
import { predictionsGlob } from '../../src/core/serve/logPaths';
import { loadScorer } from '../../src/core/serve/scorer';
import { loadTf } from '../../src/core/train/backend';
import { trainFromConfig } from '../../src/core/train/run';
import { loadModel, predict } from '../../src/core/train/trainer';
import { tempDir } from '../helpers/fixtures';

const REPO = path.join(__dirname, '../..');
const ws = path.join(tempDir('prodml-batch-'), 'demo');
const MAY = 'data/stream/natality-2025-05.csv';
let session: DuckSession;
let weight: ModelVersion;
let race: ModelVersion;

// A second, multiclass model on the same data: the most likely mother_race.
const RACE_MODEL = `
  race:
    dataset: natality
    task: multiclass
    label: mother_race
    features:
      mother_age: standardize
      gestation_weeks: standardize
      plurality: one_hot
    model: {type: dnn, hidden: [8]}
    training: {epochs: 3, batch_size: 256, learning_rate: 0.01, seed: 7}
`;

before(async () => {
  await prepareDemoWorkspace(ws, { rowsPerMonth: 300 });
  // A second model under models: (the demo's pipeline block comes after it).
  const yaml = path.join(ws, 'prodml.yaml');
  fs.writeFileSync(yaml, fs.readFileSync(yaml, 'utf8').replace(/^models:\n/m, `models:${RACE_MODEL}`));
  const registry = await openRegistry(ws);
  weight = await registry.getVersion('baby_weight', (await trainFromConfig(ws, 'baby_weight')).version);
  race = await registry.getVersion('race', (await trainFromConfig(ws, 'race')).version);
  session = await DuckSession.open({ allowedDirectories: [ws] });
});

after(() => session?.close());

const abs = (rel: string) => path.join(ws, rel);
const read = (file: string, order = '') => session.rows(`SELECT * FROM ${sqlString(file)}${order}`);
const inputRows = (rel: string) => session.rows(`SELECT * FROM read_csv(${sqlString(abs(rel))}, header = true)`);

/** The saved transforms, then tfjs on the whole matrix: the reference the Scorer's plain-JS forward pass must match. */
async function evaluatePath(version: ModelVersion, rows: Row[]): Promise<Float32Array> {
  const transforms = JSON.parse(fs.readFileSync(version.files['transform.json'], 'utf8')) as FittedTransforms;
  const { tf } = await loadTf();
  const model = await loadModel(tf, fs.readFileSync(version.files['model.json'], 'utf8'), fs.readFileSync(version.files['weights.bin']));
  try {
    return predict(tf, model, transformRows(transforms, rows), transforms.width);
  } finally {
    model.dispose();
  }
}

describe('predictBatch', () => {
  test('predictions are the Scorer\'s and evaluation\'s, bit for bit, with the keys in input order', async () => {
    const out = abs('out/may.parquet');
    const r = await predictBatch(session, weight, await openSource(MAY, ws), out);
    assert.equal(r.rows, 300);
    assert.equal(r.output, out);
    assert.deepEqual(r.columns, ['birth_id', 'event_date', 'weight_pounds', 'prediction']);
    const got = await read(out);
    const rows = await inputRows(MAY);
    assert.deepEqual(Object.keys(got[0]!), r.columns);
    assert.deepEqual(got.map((g) => g['birth_id']), rows.map((x) => x['birth_id']));
    assert.deepEqual(got.map((g) => g['weight_pounds']), rows.map((x) => x['weight_pounds']));
    const scorer = await loadScorer(weight);
    const expected = scorer.score(rows);
    const engine = (scorer as { engine?: string }).engine ?? 'tfjs';
    scorer.dispose();
    const predictions = Float32Array.from(got, (g) => g['prediction'] as number);
    assert.deepEqual(predictions, expected);
    const evaluated = await evaluatePath(weight, rows);
    if (engine === 'tfjs') {
      assert.deepEqual(predictions, evaluated);
    } else {
      // The Scorer's plain-JS forward pass sums in another order than tfjs: an ulp or so apart.
      predictions.forEach((p, i) => assert.ok(Math.abs(p - evaluated[i]!) <= 1e-6 * Math.abs(evaluated[i]!), `row ${i}: ${p} vs ${evaluated[i]}`));
    }
    // A prediction is a plausible weight in pounds, not a scaled number.
    assert.ok(predictions.every((p) => p > 1 && p < 14), String(predictions.slice(0, 5)));
  });

  test('Parquet, CSV and JSON Lines hold the same rows and predictions', async () => {
    const source = await openSource(MAY, ws);
    const base = await read(abs('out/may.parquet')).catch(async () => {
      await predictBatch(session, weight, source, abs('out/may.parquet'));
      return read(abs('out/may.parquet'));
    });
    for (const ext of ['csv', 'jsonl']) {
      const file = abs(`out/may.${ext}`);
      await predictBatch(session, weight, source, file);
      const got = await read(file);
      assert.equal(got.length, base.length, ext);
      got.forEach((g, i) => {
        assert.equal(g['birth_id'], base[i]!['birth_id'], `${ext} row ${i}`);
        // Text carries the float32 in its shortest form: reading it back as float32 gives the same bits.
        assert.equal(Math.fround(Number(g['prediction'])), base[i]!['prediction'], `${ext} row ${i}`);
      });
    }
    assert.match(fs.readFileSync(abs('out/may.csv'), 'utf8').split('\n')[0]!, /^birth_id,event_date,weight_pounds,prediction$/);
    assert.deepEqual(Object.keys(JSON.parse(fs.readFileSync(abs('out/may.jsonl'), 'utf8').split('\n')[0]!)), ['birth_id', 'event_date', 'weight_pounds', 'prediction']);
  });

  test('many small chunks and Parquet parts give the same file as one chunk, with progress along the way', async () => {
    const source = await openSource('data/stream/*.csv', ws);
    const one = await predictBatch(session, weight, source, abs('out/all-one.parquet'), { chunkRows: 100_000 });
    const progress: [number, number][] = [];
    const many = await predictBatch(session, weight, source, abs('out/all-many.parquet'), { chunkRows: 37, partRows: 250, onProgress: (d, t) => progress.push([d, t]) });
    assert.equal(one.rows, 1200);
    assert.equal(many.rows, 1200);
    assert.deepEqual(await read(abs('out/all-many.parquet')), await read(abs('out/all-one.parquet')));
    // Rows come out in file order, and the file order of the glob is sorted.
    const ids = (await read(abs('out/all-many.parquet'))).map((r) => r['birth_id'] as string);
    assert.deepEqual(ids, [...ids].sort());
    assert.ok(progress.length >= 4, `${progress.length} progress reports`);
    assert.ok(progress.every(([, t]) => t === 1200));
    assert.ok(progress.every(([d], i) => i === 0 || d > progress[i - 1]![0]));
    assert.equal(progress.at(-1)![0], 1200);
    // Nothing is left beside the output: no temp file, no parts folder.
    assert.deepEqual(fs.readdirSync(abs('out')).filter((f) => f.startsWith('.')), []);
  });

  test('multiclass: the most probable class, then one probability column per class', async () => {
    const out = abs('out/race.parquet');
    const r = await predictBatch(session, race, await openSource(MAY, ws), out, { keys: ['birth_id'], chunkRows: 64 });
    const classes = race.card.params['classes'] as string[];
    assert.deepEqual(r.columns, ['birth_id', 'prediction', ...classes.map((c) => `p_${c}`)]);
    const got = await read(out);
    const scorer = await loadScorer(race);
    const expected = scorer.score(await inputRows(MAY));
    scorer.dispose();
    const k = classes.length;
    got.forEach((g, i) => {
      const p = classes.map((c) => g[`p_${c}`] as number);
      assert.deepEqual(Float32Array.from(p), expected.subarray(i * k, (i + 1) * k), `row ${i}`);
      assert.equal(g['prediction'], classes[p.indexOf(Math.max(...p))]);
      assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    });
  });

  test('keys restrict the copied columns; a model input can be kept too', async () => {
    const r = await predictBatch(session, weight, await openSource(MAY, ws), abs('out/keys.csv'), { keys: ['birth_id', 'mother_age'] });
    assert.deepEqual(r.columns, ['birth_id', 'mother_age', 'prediction']);
    const got = await read(abs('out/keys.csv'));
    assert.deepEqual(got.map((g) => g['mother_age']), (await inputRows(MAY)).map((x) => x['mother_age']));
  });

  test('--log writes one batch PredictionRecord per row, whole, matching the output', async () => {
    const r = await predictBatch(session, weight, await openSource(MAY, ws), abs('out/logged.parquet'), { log: { root: ws }, chunkRows: 50 });
    assert.ok(r.logged && fs.existsSync(r.logged));
    assert.match(path.basename(r.logged), /^predictions-\d{4}-\d{2}-\d{2}-batch-.*\.jsonl$/);
    const lines = fs.readFileSync(r.logged, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as PredictionRecord);
    const out = await read(abs('out/logged.parquet'));
    assert.equal(lines.length, 300);
    assert.equal(new Set(lines.map((l) => l.request_id)).size, 300);
    lines.forEach((l, i) => {
      assert.equal(l.route, 'batch');
      assert.equal(l.model, 'baby_weight');
      assert.equal(l.version, weight.version);
      assert.equal(l.key, out[i]!['birth_id']);
      assert.equal(l.inputs['birth_id'], l.key);
      // Dates are logged the way a request sends them.
      assert.match(String(l.inputs['event_date']), /^2025-05-\d{2}$/);
      assert.equal(Math.fround(l.prediction as number), out[i]!['prediction']);
    });
    // DuckDB reads the log with the glob the monitor uses.
    const n = await session.rows(`SELECT count(*) AS n FROM read_json(${sqlString(predictionsGlob(ws, 'baby_weight'))}, format = 'newline_delimited', ignore_errors = true) WHERE route = 'batch'`);
    assert.ok((n[0]!['n'] as number) >= 300);
  });

  test('cancelling stops the run, leaves the previous output as it was and nothing half-written', async () => {
    const out = abs('out/cancel.parquet');
    fs.writeFileSync(out, 'previous');
    const abort = new AbortController();
    let reports = 0;
    await assert.rejects(
      predictBatch(session, weight, await openSource('data/stream/*.csv', ws), out, {
        chunkRows: 20,
        partRows: 100,
        signal: abort.signal,
        log: { root: ws },
        onProgress: () => {
          if (++reports === 3) abort.abort();
        },
      }),
      /Cancelled/,
    );
    assert.equal(reports, 3);
    assert.equal(fs.readFileSync(out, 'utf8'), 'previous');
    assert.deepEqual(fs.readdirSync(abs('out')).filter((f) => f.startsWith('.')), []);
    assert.deepEqual(fs.readdirSync(path.dirname(predictionsGlob(ws, 'baby_weight'))).filter((f) => f.startsWith('.')), []);
    // The session is still usable afterwards.
    assert.equal((await session.rows('SELECT 42 AS x'))[0]!['x'], 42);
  });

  test('bad input is refused with the file, the column and the rule', async () => {
    const may = await openSource(MAY, ws);
    await assert.rejects(predictBatch(session, weight, await openSource('data/incoming/missing-column.csv', ws), abs('out/x.csv')), /missing-column\.csv: has no column "gestation_weeks", which baby_weight:\d+ takes as input/);
    await assert.rejects(predictBatch(session, weight, may, abs('out/x.xlsx')), /x\.xlsx: unknown output type "\.xlsx"; name the output \.parquet, \.csv or \.jsonl/);
    await assert.rejects(predictBatch(session, weight, may, abs(MAY)), /natality-2025-05\.csv: is the input \(data\/stream\/natality-2025-05\.csv\); write the predictions to another file/);
    await assert.rejects(predictBatch(session, weight, await openSource('data/stream/*.csv', ws), abs('data/stream/natality-2025-07.csv')), /is the input \(data\/stream\/\*\.csv\)/);
    await assert.rejects(predictBatch(session, weight, may, abs('out/x.csv'), { keys: ['birth_id', 'nope'] }), /natality-2025-05\.csv: has no column "nope" to keep as a key/);
    fs.writeFileSync(abs('out/clash.csv'), 'prediction,mother_age,gestation_weeks,plurality,is_male,mother_race,cigarette_use,alcohol_use\n1,30,39,1,true,White,false,false\n');
    await assert.rejects(predictBatch(session, weight, await openSource('out/clash.csv', ws), abs('out/x.csv')), /clash\.csv: has a column "prediction", which the output needs for the predictions/);
    fs.writeFileSync(abs('out/empty.csv'), 'mother_age,gestation_weeks,plurality,is_male,mother_race,cigarette_use,alcohol_use\n');
    await assert.rejects(predictBatch(session, weight, await openSource('out/empty.csv', ws), abs('out/x.csv')), /empty\.csv: has no rows to predict/);
    assert.ok(!fs.existsSync(abs('out/x.csv')));
  });
});

describe('prodml predict (CLI, from source)', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/cli/main.ts'), ...args, '--workspace', ws], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });

  test('scores a glob to JSON Lines and prints one JSON document', () => {
    const out = abs('out/cli.jsonl');
    const r = cli('predict', `baby_weight:${weight.version}`, '--input', abs('data/stream/*.csv'), '--output', out, '--keys', 'birth_id', '--json');
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.rows, 1200);
    assert.deepEqual(doc.columns, ['birth_id', 'prediction']);
    assert.equal(fs.readFileSync(out, 'utf8').trimEnd().split('\n').length, 1200);
  });

  test('exit 2 with a one-line message for bad input', () => {
    const r = cli('predict', 'baby_weight', '--input', abs(MAY), '--output', abs('out/x.txt'));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^prodml: .*x\.txt: unknown output type "\.txt"/m);
  });

  test('a value the model cannot read: exit 2 naming the line, the column and the rule', () => {
    const [header, ...lines] = fs.readFileSync(abs(MAY), 'utf8').trim().split('\n');
    const at = header!.split(',').indexOf('mother_age');
    const cells = lines[2]!.split(',');
    cells[at] = 'lots';
    fs.mkdirSync(abs('out'), { recursive: true });
    // The column is text now: lines 2 and 3 ("29", ...) are read as numbers; line 4 is refused.
    fs.writeFileSync(abs('out/lots.csv'), [header, lines[0], lines[1], cells.join(','), lines[3]].join('\n') + '\n');
    const r = cli('predict', `baby_weight:${weight.version}`, '--input', abs('out/lots.csv'), '--output', abs('out/lots-pred.csv'));
    assert.equal(r.status, 2, r.stderr);
    // The version's schema snapshot types mother_age (int), as online serving reads it.
    assert.match(r.stderr, /^prodml: .*lots\.csv: line 4, column "mother_age": expected an int \(schema type int\), got the string "lots"$/m);
    assert.ok(!fs.existsSync(abs('out/lots-pred.csv')));
  });
});

describe('batch predict: NaN and infinities follow the online rule', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/cli/main.ts'), ...args, '--workspace', ws], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
  test('NaN or inf in a CSV, NaN in JSON Lines: exit 2 naming the line and the column, as :predict refuses them', () => {
    const [header, ...lines] = fs.readFileSync(abs(MAY), 'utf8').trim().split('\n');
    const cols = header!.split(',');
    const at = cols.indexOf('gestation_weeks');
    fs.mkdirSync(abs('out'), { recursive: true });
    const planted = (value: string) => lines.slice(0, 5).map((l, i) => (i === 2 ? Object.assign(l.split(','), { [at]: value }).join(',') : l));
    for (const [name, value, shown] of [['nan', 'NaN', 'NaN'], ['inf', 'inf', 'Infinity'], ['minus-inf', '-Infinity', '-Infinity']] as const) {
      fs.writeFileSync(abs(`out/${name}.csv`), [header, ...planted(value)].join('\n') + '\n');
      const r = cli('predict', `baby_weight:${weight.version}`, '--input', abs(`out/${name}.csv`), '--output', abs(`out/${name}-pred.csv`));
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`^prodml: .*${name}\\.csv: line 4, column "gestation_weeks": ${shown} is not a usable value \\(NaN, Infinity and -Infinity are refused; send null for an unknown value\\)$`, 'm'));
      assert.ok(!fs.existsSync(abs(`out/${name}-pred.csv`)));
    }
    // JSON Lines with TF Serving's bare NaN token: line 3 is the third record.
    const records = lines.slice(0, 5).map((l) => {
      const cells = l.split(',');
      return `{${cols.map((c, i) => `${JSON.stringify(c)}: ${c === 'gestation_weeks' && l === lines[2] ? 'NaN' : /^\d+(\.\d+)?$/.test(cells[i]!) && c !== 'birth_id' ? cells[i] : cells[i] === 'true' || cells[i] === 'false' ? cells[i] : JSON.stringify(cells[i])}`).join(', ')}}`;
    });
    fs.writeFileSync(abs('out/nan.jsonl'), records.join('\n') + '\n');
    const j = cli('predict', `baby_weight:${weight.version}`, '--input', abs('out/nan.jsonl'), '--output', abs('out/nan-jsonl-pred.csv'));
    assert.equal(j.status, 2, j.stderr);
    assert.match(j.stderr, /^prodml: .*nan\.jsonl: line 3, column "gestation_weeks": NaN is not a usable value/m);
  });
});

describe('batch predict: the online input contract', () => {
  test('unseen categories are scored by the OOV rule and counted; extra columns pass through', async () => {
    const [header, ...lines] = fs.readFileSync(abs(MAY), 'utf8').trim().split('\n');
    const race = header!.split(',').indexOf('mother_race');
    const edited = lines.slice(0, 6).map((l, i) => {
      const c = l.split(',');
      if (i === 1 || i === 4) c[race] = 'Martian';
      return c.join(',');
    });
    fs.mkdirSync(abs('out'), { recursive: true });
    fs.writeFileSync(abs('out/oov.csv'), [`${header},extra`, ...edited.map((l) => `${l},x`)].join('\n') + '\n');
    const src = await openSource(abs('out/oov.csv'));
    const r = await predictBatch(session, weight, src, abs('out/oov-pred.csv'));
    assert.equal(r.rows, 6);
    assert.deepEqual(r.outOfDomain, { mother_race: 2 });
    assert.ok(r.columns.includes('extra'), 'extra columns are keys, not errors');
    const out = await read(abs('out/oov-pred.csv'));
    const scorer = await loadScorer(weight);
    const rows = await inputRows('out/oov.csv');
    // CSV holds the float32s in their shortest decimal form.
    assert.deepEqual(out.map((x) => Math.fround(Number(x['prediction']))), Array.from(scorer.score(rows)));
    scorer.dispose();
  });

  test('an input the schema snapshot wants in every example is refused when null, as online serving refuses it', async () => {
    const [header, ...lines] = fs.readFileSync(abs(MAY), 'utf8').trim().split('\n');
    const cols = header!.split(',');
    const edited = lines.slice(0, 5).map((l, i) => {
      const c = l.split(',');
      if (i === 3) c[cols.indexOf('gestation_weeks')] = '';
      return c.join(',');
    });
    fs.mkdirSync(abs('out'), { recursive: true });
    fs.writeFileSync(abs('out/gap.csv'), [header, ...edited].join('\n') + '\n');
    // Online: the same row, with the version's schema snapshot (presence.min_fraction 1), is a 400.
    const registry = await openRegistry(ws);
    const served = new ServedModel('baby_weight', { alias: 'production', log: { sample_rate: 1, max_file_mb: 64 } }, registry, () => undefined);
    await served.start();
    const full = (await inputRows('out/gap.csv'))[3]!;
    const scorer = await loadScorer(weight);
    const row = Object.fromEntries(scorer.inputs.map((n) => [n, full[n] ?? null]));
    scorer.dispose();
    const online = answer({ name: 'baby_weight', config: served.config, deployment: served.deployment }, { verb: 'predict', body: { instances: [row] }, requestId: 'r', receivedAt: Date.now(), pinned: { lv: await served.pinned({ version: weight.version }), as: 'v' } });
    await served.close();
    assert.equal(online.status, 400);
    assert.match(JSON.stringify(online.body), /missing required field \\"gestation_weeks\\".*presence\.min_fraction 1.*it is null/);
    // Batch: the same rule, naming the file and its line (the header is line 1).
    await assert.rejects(predictBatch(session, weight, await openSource(abs('out/gap.csv')), abs('out/gap-pred.csv')), (e: Error) => {
      assert.match(e.message, /gap\.csv: line 5: missing required field "gestation_weeks" \(the schema expects it in every SERVING example: presence\.min_fraction 1\); it is null/);
      return true;
    });
    assert.ok(!fs.existsSync(abs('out/gap-pred.csv')));
  });
});
