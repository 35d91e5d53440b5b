/**
 * The language server as an editor uses it: spawned over stdio (dist/server.js), documents opened
 * and edited through the protocol, diagnostics, code actions, hovers and completion asserted.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckSession } from '../../src/core/data/duckdb';
import { prepareDemoWorkspace } from '../../src/core/demo/prepare';
import { tempDir } from '../helpers/fixtures';
import { LspClient, type Diagnostic } from '../helpers/lspClient';

const ws = path.join(tempDir('prodml-lsp-'), 'demo');
const schemaFile = path.join(ws, 'schemas/natality.schema.yaml');
let lsp: LspClient;

const read = (rel: string) => fs.readFileSync(path.join(ws, rel), 'utf8');
const codes = (d: Diagnostic[]) => [...new Set(d.map((x) => String(x.code)))].sort();

before(async () => {
  await prepareDemoWorkspace(ws, { rowsPerMonth: 300 });
  // A Parquet dataset too: the server checks those without their being opened.
  const project = path.join(ws, 'prodml.yaml');
  fs.writeFileSync(project, fs.readFileSync(project, 'utf8').replace(/^datasets:\n/m, 'datasets:\n  archive:\n    path: data/archive/*.parquet\n    schema: schemas/natality.schema.yaml\n'));
  fs.mkdirSync(path.join(ws, 'data/archive'));
  const session = await DuckSession.open({ allowedDirectories: [ws] });
  await session.run(`COPY (SELECT * FROM read_csv('${path.join(ws, 'data/incoming/polluted-label.csv')}')) TO '${path.join(ws, 'data/archive/2025-02.parquet')}' (FORMAT parquet)`);
  session.close();
  lsp = await LspClient.start(ws);
});
after(async () => lsp?.stop());

describe('diagnostics in data files', () => {
  test('a good batch has no errors', async () => {
    const file = path.join(ws, 'data/incoming/natality-2025-02.csv');
    lsp.open(file, read('data/incoming/natality-2025-02.csv'));
    const d = await lsp.waitForDiagnostics(file);
    assert.deepEqual(d.filter((x) => x.severity === 1), [], JSON.stringify(d));
  });

  test('a new category is flagged on each offending cell, with a quick fix that edits the schema', async () => {
    const rel = 'data/incoming/new-category.csv';
    const file = path.join(ws, rel);
    const text = read(rel);
    lsp.open(file, text);
    const d = await lsp.waitForDiagnostics(file, (x) => x.some((y) => y.code === 'out_of_domain'));
    const ood = d.filter((x) => x.code === 'out_of_domain');
    const lines = text.split('\n');
    const raceCol = lines[0]!.split(',').indexOf('mother_race');
    const cells = ood.filter((x) => x.range.start.line > 0);
    assert.ok(cells.length > 0);
    for (const x of cells.slice(0, 20)) {
      const line = lines[x.range.start.line]!;
      assert.equal(line.slice(x.range.start.character, x.range.end.character), 'Pacific Islander', `diagnostic on line ${x.range.start.line + 1}`);
      assert.equal(line.slice(0, x.range.start.character).split(',').length - 1, raceCol);
    }
    assert.match(ood[0]!.message, /Pacific Islander/);

    const actions = await lsp.request<{ title: string; edit: { changes: Record<string, { newText: string }[]> } }[]>('textDocument/codeAction', {
      textDocument: { uri: lsp.uri(file) },
      range: ood[0]!.range,
      context: { diagnostics: [ood[0]] },
    });
    const add = actions.find((a) => /Add 'Pacific Islander' to the domain of mother_race/.test(a.title));
    assert.ok(add, `actions: ${actions.map((a) => a.title).join(' | ')}`);
    assert.ok(actions.some((a) => /Mark mother_race deprecated/.test(a.title)));
    const edit = add.edit.changes[lsp.uri(schemaFile)]![0]!.newText;
    assert.match(edit, /- Pacific Islander/);
    // Comments inference wrote are kept.
    assert.equal((edit.match(/#/g) ?? []).length, (fs.readFileSync(schemaFile, 'utf8').match(/#/g) ?? []).length);

    // Applying it (as the editor would) and re-checking clears the anomaly.
    fs.writeFileSync(schemaFile, edit);
    lsp.change(file, text);
    await lsp.waitForDiagnostics(file, (x) => !x.some((y) => y.code === 'out_of_domain'));
  });

  test('a missing column is reported on the header, a type change on its cells', async () => {
    const missing = path.join(ws, 'data/incoming/missing-column.csv');
    lsp.open(missing, read('data/incoming/missing-column.csv'));
    const dm = await lsp.waitForDiagnostics(missing, (x) => x.some((y) => y.code === 'missing_column'));
    const mc = dm.find((x) => x.code === 'missing_column')!;
    assert.equal(mc.range.start.line, 0);
    assert.match(mc.message, /gestation_weeks/);

    const typed = path.join(ws, 'data/incoming/type-change.csv');
    const text = read('data/incoming/type-change.csv');
    lsp.open(typed, text);
    const dt = await lsp.waitForDiagnostics(typed, (x) => x.some((y) => y.code === 'type_mismatch'));
    const cell = dt.find((x) => x.code === 'type_mismatch' && x.range.start.line > 0);
    assert.ok(cell, JSON.stringify(dt.slice(0, 3)));
    const line = text.split('\n')[cell.range.start.line]!;
    assert.match(line.slice(cell.range.start.character, cell.range.end.character), /^(Single|Twins|Triplets)$/);
  });

  test('an edit updates the diagnostics without saving', async () => {
    const rel = 'data/incoming/natality-2025-02.csv';
    const file = path.join(ws, rel);
    const lines = read(rel).split('\n');
    const header = lines[0]!.split(',');
    const row = lines[5]!.split(',');
    row[header.indexOf('mother_age')] = '250';
    lines[5] = row.join(',');
    lsp.change(file, lines.join('\n'));
    const d = await lsp.waitForDiagnostics(file, (x) => x.some((y) => y.code === 'out_of_range'));
    const oor = d.find((x) => x.code === 'out_of_range')!;
    assert.equal(oor.range.start.line, 5);
    assert.equal(lines[5]!.slice(oor.range.start.character, oor.range.end.character), '250');
    // The file on disk is untouched.
    assert.doesNotMatch(read(rel), /,250,/);
  });

  test('hover on a header cell shows the feature constraints', async () => {
    const file = path.join(ws, 'data/incoming/natality-2025-02.csv');
    const header = read('data/incoming/natality-2025-02.csv').split('\n')[0]!;
    const at = header.indexOf('mother_race') + 2;
    const hover = await lsp.request<{ contents: { value: string } } | null>('textDocument/hover', { textDocument: { uri: lsp.uri(file) }, position: { line: 0, character: at } });
    assert.ok(hover);
    assert.match(hover.contents.value, /\*\*mother_race\*\*/);
    assert.match(hover.contents.value, /domain: .*`White`/);
    // Its statistics in this file, too.
    assert.match(hover.contents.value, /300 values, 0% missing, 5 distinct/);
    assert.match(hover.contents.value, /top: `White` \d/);
  });
});

describe('schema files', () => {
  test('JSON Schema and semantic errors are reported at the key', async () => {
    const file = path.join(ws, 'schemas/broken.schema.yaml');
    lsp.open(file, ['features:', '  age:', '    type: int', '    drift:', '      jensen_shannon:', '        threshold: 3', ''].join('\n'), 'yaml');
    const d = await lsp.waitForDiagnostics(file, (x) => x.length > 0);
    assert.equal(d[0]!.range.start.line, 5);
    assert.match(d[0]!.message, /threshold: must be at most 1 \(got 3\)/);

    const file2 = path.join(ws, 'schemas/minmax.schema.yaml');
    lsp.open(file2, ['features:', '  age:', '    type: int', '    range:', '      min: 90', '      max: 10', ''].join('\n'), 'yaml');
    const d2 = await lsp.waitForDiagnostics(file2, (x) => x.length > 0);
    assert.ok(d2[0]!.range.start.line >= 3 && d2[0]!.range.start.line <= 5, JSON.stringify(d2));
    assert.match(d2[0]!.message, /min/);
  });

  test('YAML syntax errors are positioned', async () => {
    const file = path.join(ws, 'schemas/syntax.schema.yaml');
    lsp.open(file, 'features:\n  age:\n    type: [int\n', 'yaml');
    const d = await lsp.waitForDiagnostics(file, (x) => x.length > 0);
    assert.equal(d[0]!.severity, 1);
  });

  test('hover explains a key and completion offers the feature keys', async () => {
    const file = path.join(ws, 'schemas/edit.schema.yaml');
    lsp.open(file, 'features:\n  age:\n    type: int\n    \n', 'yaml');
    const hover = await lsp.request<{ contents: { value: string } } | null>('textDocument/hover', { textDocument: { uri: lsp.uri(file) }, position: { line: 2, character: 5 } });
    assert.match(hover?.contents.value ?? '', /features\.age\.type/);
    const items = await lsp.request<{ label: string }[]>('textDocument/completion', { textDocument: { uri: lsp.uri(file) }, position: { line: 3, character: 4 } });
    const labels = items.map((i) => i.label);
    for (const k of ['presence', 'domain', 'range', 'drift', 'skew', 'not_in', 'deprecated']) assert.ok(labels.includes(k), `${k} in ${labels.join(',')}`);
  });
});

describe('files that are not opened as text', () => {
  test('a Parquet file of a dataset gets file-level diagnostics', async () => {
    const file = path.join(ws, 'data/archive/2025-02.parquet');
    const d = await lsp.waitForDiagnostics(file, (x) => x.some((y) => y.code === 'out_of_range'));
    const oor = d.find((x) => x.code === 'out_of_range')!;
    assert.deepEqual(oor.range.start, { line: 0, character: 0 });
    assert.match(oor.message, /weight_pounds/);
  });
});

describe('prodml.yaml', () => {
  test('unknown keys are flagged against its JSON Schema, and keys have hovers and completion', async () => {
    const file = path.join(ws, 'sub/prodml.yaml');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const text = ['datasets:', '  natality:', '    path: data/*.csv', '    shema: x.schema.yaml', '    ', ''].join('\n');
    lsp.open(file, text, 'yaml');
    const d = await lsp.waitForDiagnostics(file, (x) => x.length > 0);
    assert.equal(d[0]!.range.start.line, 3);
    assert.match(d[0]!.message, /unknown key "shema" \(did you mean "schema"\?\)/);
    const hover = await lsp.request<{ contents: { value: string } } | null>('textDocument/hover', { textDocument: { uri: lsp.uri(file) }, position: { line: 2, character: 5 } });
    assert.match(hover?.contents.value ?? '', /datasets\.natality\.path/);
    const items = await lsp.request<{ label: string }[]>('textDocument/completion', { textDocument: { uri: lsp.uri(file) }, position: { line: 4, character: 4 } });
    assert.deepEqual(items.map((i) => i.label).sort(), ['baseline', 'connect_timeout', 'environment', 'label', 'path', 'query', 'query_timeout', 'schema', 'table', 'time_column', 'url']);
  });

  test('a label that is not a feature and a schema that does not exist are flagged at their lines', async () => {
    const file = path.join(ws, 'prodml.yaml');
    const text = ['datasets:', '  natality:', '    path: data/train/*.csv', '    schema: schemas/natality.schema.yaml', '    label: weight_kg', '  other:', '    path: x/*.csv', '    schema: schemas/nope.schema.yaml', ''].join('\n');
    lsp.open(file, text, 'yaml');
    const d = await lsp.waitForDiagnostics(file, (x) => x.length >= 2);
    const byLine = Object.fromEntries(d.map((x) => [x.range.start.line, x.message]));
    assert.match(byLine[4] ?? '', /label: "weight_kg" is not a feature of schemas\/natality\.schema\.yaml/);
    assert.match(byLine[7] ?? '', /schemas\/nope\.schema\.yaml does not exist/);
  });

  test("a model's ONNX file that does not exist is flagged on its path, in flow and block style", async () => {
    const file = path.join(ws, 'onnx/prodml.yaml');
    fs.mkdirSync(path.join(ws, 'onnx/models'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'onnx/models/here.onnx'), '');
    const model = (name: string, source: string[]) => [`  ${name}:`, '    dataset: d', '    label: y', '    task: binary', ...source, '    features: [a]'];
    const text = ['datasets:', '  d:', '    path: d.csv', 'models:', ...model('gone', ['    source: {onnx: models/gone.onnx}']), ...model('block', ['    source:', '      onnx: models/missing.onnx']), ...model('here', ['    source: {onnx: models/here.onnx}']), ''].join('\n');
    lsp.open(file, text, 'yaml');
    const d = await lsp.waitForDiagnostics(file, (x) => x.length >= 2);
    assert.deepEqual(d.map((x) => [x.range.start.line, x.range.start.character]).sort(), [[15, 12], [8, 19]], d.map((x) => x.message).join(" | "));
    assert.match(d.find((x) => x.range.start.line === 8)!.message, /models\.gone\.source\.onnx: models\/gone\.onnx does not exist/);
    assert.match(d.find((x) => x.range.start.line === 15)!.message, /models\.block\.source\.onnx: models\/missing\.onnx does not exist/);
  });
});
