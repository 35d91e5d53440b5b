import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeDemoWorkspace, type DemoManifest } from '../../src/core/demo/workspace';
import { NATALITY_LABEL } from '../../src/core/demo/natality';
import { DuckSession } from '../../src/core/data/duckdb';
import { openSource } from '../../src/core/data/source';
import { inferSchema } from '../../src/core/schema/infer';
import { parseSchema, schemaToYaml } from '../../src/core/schema/io';
import { validationSarif } from '../../src/core/schema/sarif';
import type { Anomaly, Schema } from '../../src/core/schema/types';
import { validateData } from '../../src/core/schema/validate';
import { tempDir } from '../helpers/fixtures';

const CLI = path.join(__dirname, '../../dist/cli.js');
const dir = tempDir('prodml-validate-');

const errorsOf = (anomalies: Anomaly[]) =>
  [...new Set(anomalies.filter((a) => a.severity === 'error').map((a) => `${a.feature}:${a.type}`))].sort();

describe('validating the demo batches against a schema inferred from data/train', () => {
  let manifest: DemoManifest;
  let session: DuckSession;
  let schema: Schema;
  const rel = (p: string) => path.join(dir, p);

  before(async () => {
    // The demo's own size: 1,500 rows a batch keeps a clean batch's drift well under 0.1.
    manifest = await writeDemoWorkspace(dir, { seed: 42 });
    session = await DuckSession.open({ allowedDirectories: [dir] });
    const inferred = await inferSchema(session, await openSource(rel('data/train/*.csv')), { label: NATALITY_LABEL });
    schema = inferred.schema;
    fs.writeFileSync(rel('train.schema.yaml'), schemaToYaml(schema, inferred.notes));
  });
  after(() => session.close());

  const validate = async (file: string, opts: { baseline?: boolean; environment?: string; max?: number } = {}) =>
    validateData(session, await openSource(rel(file)), schema, {
      ...(opts.baseline ? { baseline: await openSource(rel('data/train/*.csv')) } : {}),
      ...(opts.environment ? { environment: opts.environment } : {}),
      ...(opts.max !== undefined ? { maxRowDiagnostics: opts.max } : {}),
    });

  test('the good batch has no anomalies, against the schema and the training data', async () => {
    const plain = await validate('data/incoming/natality-2025-02.csv');
    assert.deepEqual(plain.anomalies, []);
    assert.equal(plain.rows, 1500);
    assert.deepEqual((await validate('data/incoming/natality-2025-02.csv', { baseline: true })).anomalies, []);
  });

  test('each bad batch shows exactly the anomalies its manifest expects', async () => {
    const bad = manifest.files.filter((f) => f.defect);
    assert.equal(bad.length, 5);
    for (const file of bad) {
      const defect = file.defect!;
      const expected = [...new Set(defect.expectedAnomalies.map((e) => `${e.feature}:${e.type}`))].sort();
      const distributional = defect.expectedAnomalies.some((e) => e.type === 'drift' || e.type === 'skew');
      if (!distributional) {
        // Schema checks alone: exactly the expected (feature, type) pairs, nothing else.
        assert.deepEqual(errorsOf((await validate(file.path)).anomalies), expected, file.path);
      }
      // Against the previous span every expected anomaly shows, and errors stay on the broken
      // features (the label follows them: shorter gestation means lighter babies).
      const withBaseline = errorsOf((await validate(file.path, { baseline: true })).anomalies);
      for (const e of expected) assert.ok(withBaseline.includes(e), `${file.path}: expected ${e} in ${withBaseline.join(', ')}`);
      const allowed = new Set([...defect.features, ...(distributional ? [NATALITY_LABEL] : [])]);
      for (const e of withBaseline) assert.ok(allowed.has(e.split(':')[0]!), `${file.path}: unexpected ${e}`);
      if (distributional) assert.deepEqual([...new Set(withBaseline.map((e) => e.split(':')[1]))], ['drift'], file.path);
    }
  });

  test('serving data: skew against training in SERVING; the label missing without an environment', async () => {
    assert.deepEqual((await validate('data/serving/natality-2025-01.csv', { baseline: true, environment: 'SERVING' })).anomalies, []);
    assert.deepEqual(errorsOf((await validate('data/serving/natality-2025-01.csv')).anomalies), [`${NATALITY_LABEL}:missing_column`]);
    const skew = await validate('data/incoming/shifted-distribution.csv', { baseline: true, environment: 'SERVING' });
    assert.deepEqual(errorsOf(skew.anomalies), ['gestation_weeks:skew', 'mother_age:skew']);
    assert.match(skew.anomalies[0]!.description, /^Jensen-Shannon distance between serving and training is 0\.\d\d, above 0\.10; the mean moved from 28\.\d to 3\d\.\d/);
  });

  test('a planted bad cell is reported at its exact line and column', async () => {
    const lines = fs.readFileSync(rel('data/incoming/natality-2025-02.csv'), 'utf8').split('\n');
    const race = lines[0]!.split(',').indexOf('mother_race');
    const cells = lines[699]!.split(',');
    cells[race] = 'Martian';
    lines[699] = cells.join(',');
    fs.writeFileSync(rel('data/incoming/planted.csv'), lines.join('\n'));
    const { anomalies } = await validate('data/incoming/planted.csv');
    assert.equal(anomalies.length, 1);
    assert.deepEqual(
      { ...anomalies[0]!, file: path.basename(anomalies[0]!.file!) },
      {
        feature: 'mother_race',
        type: 'out_of_domain',
        severity: 'error',
        description: "'Martian' is not in the domain of mother_race",
        value: 'Martian',
        file: 'planted.csv',
        line: 700,
        column: race + 1,
        row: 699,
      },
    );
  });

  test('a glob is one dataset: lines point into the file that holds the cell; differing headers are refused', async () => {
    fs.mkdirSync(rel('glob'));
    fs.copyFileSync(rel('data/incoming/natality-2025-02.csv'), rel('glob/a.csv'));
    fs.copyFileSync(rel('data/incoming/planted.csv'), rel('glob/b.csv'));
    const { anomalies, rows } = await validateData(session, await openSource(rel('glob/*.csv')), schema);
    assert.equal(rows, 3000);
    assert.deepEqual(anomalies.map((a) => [path.basename(a.file!), a.line, a.row, a.value]), [['b.csv', 700, 699, 'Martian']]);
    fs.copyFileSync(rel('data/incoming/missing-column.csv'), rel('glob/c.csv'));
    await assert.rejects(
      validateData(session, await openSource(rel('glob/*.csv')), schema),
      /the files of this glob must share one header, but .*c\.csv lacks gestation_weeks compared with .*a\.csv/,
    );
  });

  test('row-level anomalies are capped per feature and type, then summarized with the total', async () => {
    const { anomalies } = await validate('data/incoming/type-change.csv', { max: 5 });
    const rows = anomalies.filter((a) => a.count === undefined);
    assert.deepEqual(rows.map((a) => [a.line, a.column, a.value]), [2, 3, 4, 5, 6].map((l) => [l, 3, 'Single']));
    const summary = anomalies.find((a) => a.count !== undefined)!;
    assert.equal(summary.count, 1500);
    assert.deepEqual(summary.examples?.map((e) => e.value), ['Single', 'Twins', 'Triplets']);
    assert.match(summary.description, /^1,500 values of plurality \(100% of rows\) are not an int: 'Single' \(\d+,\d+\), 'Twins' \(\d+\), 'Triplets' \(\d+\); the first 5 are listed by line$/);
    assert.equal(anomalies.length, 6);
  });

  test('SARIF 2.1.0 points at the file, line and character column of each cell', async () => {
    const result = await validate('data/incoming/new-category.csv', { max: 3 });
    const sarif = (await validationSarif(result, { schemaFile: 'train.schema.yaml', cwd: dir })) as {
      $schema: string;
      version: string;
      runs: Array<{ tool: { driver: { name: string; rules: { id: string }[] } }; results: Array<Record<string, any>> }>;
    };
    assert.match(sarif.$schema, /sarif-2\.1\.0/);
    assert.equal(sarif.version, '2.1.0');
    const run = sarif.runs[0]!;
    assert.equal(run.tool.driver.name, 'ProdML');
    assert.equal(run.results.length, 4);
    const text = fs.readFileSync(rel('data/incoming/new-category.csv'), 'utf8').split('\n');
    for (const r of run.results) {
      assert.equal(r['ruleId'], 'out_of_domain');
      assert.equal(run.tool.driver.rules[r['ruleIndex']]!.id, 'out_of_domain');
      assert.equal(r['level'], 'error');
      assert.ok(r['message'].text.length > 0);
      const loc = r['locations'][0].physicalLocation;
      assert.equal(loc.artifactLocation.uri, 'data/incoming/new-category.csv');
      const { startLine, startColumn, endColumn } = loc.region;
      const cell = text[startLine - 1]!.slice(startColumn - 1, endColumn - 1);
      assert.equal(cell, startLine === 1 ? 'mother_race' : 'Pacific Islander', `line ${startLine}`);
    }
  });

  test('CSV quirks: quoted newlines, broken lines, lenient int casts, new columns', async () => {
    const file = rel('quirks/q.csv');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(
      file,
      [
        'id,note,city,score,extra',
        '1,"two', //           line 2: a record over two lines
        'lines",Paris,0.5,x',
        '2,plain,Oslo,0.7,y', // line 4: out of domain
        '3,"a ""q"", b",Rome,1.5,z', // line 5: out of range
        'x,ok,Rome,0.1,w', //    line 6: not an int (DuckDB reject)
        '5,ok', //               line 7: too few fields
        '7.5,ok,Paris,0.3,c', // line 8: not an int (DuckDB would round it)
        '',
      ].join('\n'),
    );
    const quirks = parseSchema(
      'features:\n  id: {type: int}\n  note: {type: string}\n  city: {type: string, domain: [Paris, Rome]}\n  score: {type: float, range: {min: 0, max: 1}}\n',
    ).schema!;
    const { anomalies, rows } = await validateData(session, await openSource(file), quirks);
    assert.equal(rows, 6);
    const at = anomalies.map((a) => `${a.feature}:${a.type}@${a.line}:${a.column ?? '-'}`);
    assert.deepEqual(at, [
      'null:parse_error@7:-',
      'id:type_mismatch@6:1',
      'id:type_mismatch@8:1',
      'city:out_of_domain@4:3',
      'score:out_of_range@5:4',
      'extra:new_column@1:5',
    ]);
    assert.equal(anomalies[0]!.description, 'the line has 2 fields but the header has 5');
    assert.equal(anomalies.at(-1)!.severity, 'warning');
  });

  test('JSON Lines: list features, value_count and lines; Parquet: rows', async () => {
    const file = rel('lists/l.jsonl');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"a":1,"tags":["x"]}\n\n{"a":20,"tags":["x","z"]}\n{"a":"q","tags":[]}\n');
    const s = parseSchema('features:\n  a: {type: int, range: {max: 10}}\n  tags: {type: string, domain: [x, y], value_count: {min: 1, max: 2}}\n').schema!;
    const { anomalies } = await validateData(session, await openSource(file), s);
    assert.deepEqual(
      anomalies.map((a) => `${a.feature}:${a.type}@${a.line}:${a.value}`),
      ['a:type_mismatch@4:q', 'a:out_of_range@3:20', 'tags:value_count@4:[]', 'tags:out_of_domain@3:[x, z]'],
    );

    const parquet = rel('lists/l.parquet');
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    await conn.run(`COPY (SELECT * FROM read_json_auto('${file}')) TO '${parquet}' (FORMAT parquet)`);
    conn.closeSync();
    db.closeSync();
    const fromParquet = await validateData(session, await openSource(parquet), s);
    assert.deepEqual(
      fromParquet.anomalies.map((a) => `${a.feature}:${a.type}@${a.line}/${a.row}:${a.value}`),
      ['a:type_mismatch@undefined/3:q', 'a:out_of_range@undefined/2:20', 'tags:value_count@undefined/3:[]', 'tags:out_of_domain@undefined/2:[x, z]'],
    );
  });
});

describe('prodml schema infer / validate (the built CLI)', () => {
  const ws = path.join(dir, 'cli');
  const prodml = (...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ws, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  before(async () => {
    await writeDemoWorkspace(ws, { seed: 7, rowsPerMonth: 300 });
  });

  test('infer prints YAML, writes with -o, refuses to overwrite without --force', () => {
    const printed = prodml('schema', 'infer', 'data/train/*.csv', '--label', 'weight_pounds');
    assert.equal(printed.code, 0, printed.stderr);
    assert.ok(parseSchema(printed.stdout).schema, 'stdout is a valid schema');
    const written = prodml('schema', 'infer', 'data/train/*.csv', '--label', 'weight_pounds', '-o', 'train.schema.yaml');
    assert.equal(written.code, 0, written.stderr);
    assert.equal(fs.readFileSync(path.join(ws, 'train.schema.yaml'), 'utf8'), printed.stdout);
    const again = prodml('schema', 'infer', 'data/train/*.csv', '-o', 'train.schema.yaml');
    assert.equal(again.code, 2);
    assert.match(again.stderr, /train\.schema\.yaml: already exists; use --force to replace it/);
    assert.equal(prodml('schema', 'infer', 'data/train/*.csv', '--label', 'weight_pounds', '-o', 'train.schema.yaml', '--force').code, 0);
  });

  test('validate exits 0 on a clean batch, 1 on error anomalies, 2 on bad input', () => {
    const ok = prodml('validate', 'data/incoming/natality-2025-02.csv', '--schema', 'train.schema.yaml');
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /OK: no anomalies/);

    const bad = prodml('validate', 'data/incoming/new-category.csv', '--schema', 'train.schema.yaml', '--format', 'json');
    assert.equal(bad.code, 1, bad.stderr);
    const doc = JSON.parse(bad.stdout) as { anomalies: Anomaly[] };
    assert.ok(doc.anomalies.length > 0 && doc.anomalies.every((a) => a.feature === 'mother_race' && a.type === 'out_of_domain'));

    const sarif = prodml('validate', 'data/incoming/type-change.csv', '--schema', 'train.schema.yaml', '--format', 'sarif');
    assert.equal(sarif.code, 1);
    assert.equal(JSON.parse(sarif.stdout).runs[0].results[1].locations[0].physicalLocation.region.startLine, 2);

    const text = prodml('validate', 'data/incoming/missing-column.csv', '--schema', 'train.schema.yaml');
    assert.equal(text.code, 1);
    assert.match(text.stdout, /\ngestation_weeks\n {2}error {3}missing_column gestation_weeks is missing/);

    fs.writeFileSync(path.join(ws, 'broken.schema.yaml'), 'features:\n  a:\n    typ: int\n');
    const broken = prodml('validate', 'data/incoming/natality-2025-02.csv', '--schema', 'broken.schema.yaml');
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /broken\.schema\.yaml:3:5: features\.a\.typ: unknown key "typ" \(did you mean "type"\?\)/);
    assert.equal(prodml('validate', 'data/incoming/natality-2025-02.csv').code, 2, '--schema is required');
    assert.equal(prodml('validate', 'nope.csv', '--schema', 'train.schema.yaml').code, 2);
    assert.equal(prodml('validate', 'data/incoming/natality-2025-02.csv', '--schema', 'train.schema.yaml', '--environment', 'PROD').code, 2);
  });
});
