/** Label consistency: conflicting labels among identical inputs counted exactly as a pandas groupby counts them; near-duplicates; the noise estimate; the CLI. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { labelConsistency } from '../../src/core/checks';
import { labelsPage } from '../../src/core/report/checksPages';
import { Rng } from '../../src/core/demo/random';
import { prepareDemoWorkspace } from '../../src/core/demo/prepare';
import { tempDir } from '../helpers/fixtures';

const REPO = path.join(__dirname, '../..');
const PYTHON = '/usr/bin/python3';
const base = tempDir('prodml-labels-');

function workspace(dir: string, header: string[], rows: (string | number)[][], features: string): void {
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'data/rows.csv'), [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n');
  fs.writeFileSync(
    path.join(dir, 'prodml.yaml'),
    `datasets:\n  rows:\n    path: data/rows.csv\n    label: label\nmodels:\n  m:\n    dataset: rows\n    task: binary\n    features:\n${features}\n    split: {kind: random, eval_fraction: 0.2}\n`,
  );
}

/** pandas: groups of identical (a, b, c) with more than one label, their rows, each group's lines (data row + 2), and pair disagreement. */
const PANDAS = `
import json, sys
import pandas as pd
df = pd.read_csv(sys.argv[1])
df["line"] = df.index + 2
g = df.groupby(["a", "b", "c"])
n = g["label"].transform("nunique")
bad = df[n > 1]
groups = sorted(sorted(x["line"].tolist()) for _, x in bad.groupby(["a", "b", "c"]))
sizes = g.size()
pairs = int((sizes * (sizes - 1) // 2).sum())
same = df.groupby(["a", "b", "c", "label"]).size()
agree = int((same * (same - 1) // 2).sum())
print(json.dumps({"groups": int(bad.groupby(["a", "b", "c"]).ngroups), "rows": int(len(bad)), "lines": groups, "pairs": pairs, "differ": pairs - agree}))
`;

describe('labelConsistency', () => {
  test('counts conflicting groups, their rows and lines exactly as pandas groupby does, and estimates the flip rate', async () => {
    const dir = path.join(base, 'exact');
    const rng = new Rng(3);
    const rows: (string | number)[][] = [];
    for (let i = 0; i < 1500; i++) {
      const a = rng.int(0, 4);
      const b = ['x', 'y', 'z'][rng.int(0, 2)]!;
      const c = rng.int(0, 19) / 2;
      // The label is a function of the inputs, flipped 10% of the time.
      const clean = a + (b === 'y' ? 1 : 0) + c / 5 > 3 ? 1 : 0;
      rows.push([a, b, c, rng.bernoulli(0.1) ? 1 - clean : clean]);
    }
    workspace(dir, ['a', 'b', 'c', 'label'], rows, '      a: one_hot\n      b: one_hot\n      c: standardize');
    const r = await labelConsistency(dir, undefined);
    const py = spawnSync(PYTHON, ['-c', PANDAS, path.join(dir, 'data/rows.csv')], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    const ref = JSON.parse(py.stdout) as { groups: number; rows: number; lines: number[][]; pairs: number; differ: number };
    assert.ok(ref.groups > 20, `pandas finds ${ref.groups} groups`);
    assert.equal(r.groups, ref.groups);
    assert.equal(r.rows, ref.rows);
    assert.equal(r.rows_checked, 1500);
    assert.deepEqual(r.conflicts.map((c) => c.lines.map((l) => l.line!)).sort((p, q) => p[0]! - q[0]!), ref.lines.sort((p, q) => p[0]! - q[0]!));
    for (const c of r.conflicts) {
      assert.equal(c.lines[0]!.file, 'data/rows.csv');
      assert.ok(new Set(c.labels).size > 1);
      assert.equal(c.labels.length, c.lines.length);
      const line = fs.readFileSync(path.join(dir, 'data/rows.csv'), 'utf8').split('\n')[c.lines[0]!.line! - 1]!;
      assert.ok(line.endsWith(`,${c.labels[0]}`), `${line} ends with label ${c.labels[0]}`);
    }
    assert.equal(r.noise.pairs, ref.pairs);
    assert.ok(Math.abs(r.noise.disagreement! - ref.differ / ref.pairs) < 1e-12);
    // Planted: a 10% flip rate. 2ε(1−ε) inverted recovers it within sampling error.
    assert.ok(Math.abs(r.noise.label_noise! - 0.1) < 0.02, `estimated flip rate ${r.noise.label_noise}`);
    assert.match(r.transforms, /fitted now/);
    // The editor's Problems entries: one per conflicting row, at its line, naming its label and its twins' lines.
    const page = labelsPage(r);
    assert.equal(page.findings.length, ref.rows);
    const first = ref.lines[0]!;
    const f = page.findings.find((x) => x.line === first[0])!;
    assert.equal(f.file, 'data/rows.csv');
    assert.equal(f.severity, 'warning');
    assert.ok(f.message.includes(`line${first.length > 2 ? 's' : ''} ${first.slice(1, 6).join(', ')}`), f.message);
    assert.match(page.sections[0]!.title, new RegExp(`^${ref.groups} groups of identical inputs with conflicting labels \\(${ref.rows} rows\\)`));
  });

  test('finds planted near-duplicates with conflicting labels that exact grouping misses', async () => {
    const dir = path.join(base, 'near');
    const rng = new Rng(8);
    const rows: (string | number)[][] = [];
    for (let i = 0; i < 800; i++) rows.push([rng.uniform().toFixed(6), rng.uniform().toFixed(6), rng.bernoulli(0.5) ? 1 : 0]);
    const planted = 10;
    for (let p = 0; p < planted; p++) {
      const [d, e, l] = rows[p * 50]!;
      rows.push([(Number(d) + 0.000004).toFixed(6), e!, 1 - Number(l)]);
    }
    workspace(dir, ['d', 'e', 'label'], rows, '      d: standardize\n      e: standardize');
    const r = await labelConsistency(dir, undefined, { tolerance: 0.001 });
    assert.equal(r.groups, 0, 'no two rows are identical');
    assert.equal(r.near_duplicates.groups, planted);
    assert.equal(r.near_duplicates.rows, 2 * planted);
    const lines = r.near_duplicates.conflicts.map((c) => c.lines.map((l) => l.line));
    for (let p = 0; p < planted; p++) assert.ok(lines.some((g) => g.includes(p * 50 + 2) && g.includes(800 + p + 2)), `pair ${p}`);
  });

  test('regression (the demo): identical inputs differ by the noise the generator put there; one planted outlier is the one conflict', async () => {
    const dir = path.join(base, 'demo');
    await prepareDemoWorkspace(dir, { rowsPerMonth: 300 });
    const file = path.join(dir, 'data/train/natality-2024-03.csv');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const header = lines[0]!.split(',');
    const w = header.indexOf('weight_pounds');
    const before = await labelConsistency(dir, 'baby_weight');
    assert.equal(before.groups, 0, 'births with the same inputs differ by noise, not by conflict');
    // The generator's noise is 1 lb at term (less for preterm babies): the spread within identical inputs is about that.
    assert.ok(before.noise.within_sd! > 0.85 && before.noise.within_sd! < 1.05, `within sd ${before.noise.within_sd}`);
    // Plant: one term singleton's weight + 6 lb, on a row whose inputs repeat.
    const key = (l: string) => l.split(',').filter((_, i) => i !== w && header[i] !== 'event_date').join(',');
    const counts = new Map<string, number>();
    for (const l of lines.slice(1)) counts.set(key(l), (counts.get(key(l)) ?? 0) + 1);
    const at = lines.findIndex((l, i) => i > 0 && l !== '' && (counts.get(key(l)) ?? 0) >= 2);
    const cells = lines[at]!.split(',');
    cells[w] = (Number(cells[w]) + 6).toFixed(2);
    lines[at] = cells.join(',');
    fs.writeFileSync(file, lines.join('\n'));
    const after = await labelConsistency(dir, 'baby_weight');
    assert.equal(after.groups, 1);
    assert.ok(after.conflicts[0]!.lines.some((l) => l.file === 'data/train/natality-2024-03.csv' && l.line === at + 1));
    assert.equal(after.rows, after.conflicts[0]!.lines.length);
    // In the editor only the planted row is a Problems entry: its twins differ by ordinary noise.
    const page = labelsPage(after);
    assert.deepEqual(
      page.findings.map((f) => [f.file, f.line]),
      [['data/train/natality-2024-03.csv', at + 1]],
    );
    assert.match(page.findings[0]!.message, /with a conflicting label: this row is labelled \d+\.\d+, \d\.\d+ from the median/);
  });

  test('CLI: --json has groups, rows and conflicts[] with lines and labels; exit 1 on conflicts; bad tolerance is exit 2', () => {
    const dir = path.join(base, 'exact');
    const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/cli/main.ts'), 'check', 'labels', ...args, '--workspace', dir], { cwd: REPO, encoding: 'utf8' });
    const json = run(['--json']);
    assert.equal(json.status, 1, json.stderr);
    const doc = JSON.parse(json.stdout) as { groups: number; rows: number; conflicts: { lines: { line: number }[]; labels: string[] }[] };
    assert.ok(doc.groups > 0 && doc.rows > doc.groups);
    assert.equal(doc.conflicts.length, doc.groups);
    assert.ok(doc.conflicts.every((c) => c.lines.length === c.labels.length && c.lines.every((l) => l.line >= 2)));
    const text = run([]);
    assert.equal(text.status, 1);
    assert.match(text.stdout, /groups? of identical inputs with conflicting labels/);
    assert.match(text.stdout, /data\/rows\.csv:\d+/);
    const bad = run(['--tolerance', '-1']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--tolerance/);
  });
});
