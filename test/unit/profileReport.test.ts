/**
 * The HTML profile report of a comparison: per-column drift measures that are the validator's own
 * (and scipy's, from the rows), discrete integers drawn as bars, one type label per column.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { DuckSession } from '../../src/core/data/duckdb';
import { openSource } from '../../src/core/data/source';
import type { ProfileResult } from '../../src/core/data/profileTypes';
import { mulberry32 } from '../../src/core/demo/random';
import { profile, writeProfileHtml } from '../../src/core/ops/profile';
import { openWorkspace } from '../../src/core/project/workspace';
import { isDiscrete, MAX_DISCRETE_VALUES, profileCharts } from '../../src/core/report/profileCharts';
import { profileDrift } from '../../src/core/report/profileDrift';
import { profileHtml, renderSvg } from '../../src/core/report/profileHtml';
import { vegaLite } from '../../src/core/report/vegaSpec';
import { inferSchema } from '../../src/core/schema/infer';
import { validateData } from '../../src/core/schema/validate';
import { tempDir } from '../helpers/fixtures';

const PYTHON = '/usr/bin/python3';
const REFERENCE = path.join(__dirname, '../reference/profile_drift_reference.py');

/**
 * Planted: income (float) and color (string) drift between the files, height (float), shape
 * (string) and kids (int, 0..3) do not; visits (int, 0..~60) has too many values to be discrete.
 */
function writeCsv(file: string, rows: number, seed: number, drifted: boolean): void {
  const r = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const pick = (values: string[], shares: number[]) => {
    let u = r();
    for (let i = 0; i < values.length; i++) if ((u -= shares[i]!) < 0) return values[i]!;
    return values[values.length - 1]!;
  };
  const lines = ['income,height,color,shape,kids,visits,visit_date'];
  for (let i = 0; i < rows; i++) {
    const income = (drifted ? 62 : 50) + 10 * normal();
    const height = 170 + 8 * normal();
    const color = pick(['red', 'green', 'blue'], drifted ? [0.2, 0.3, 0.5] : [0.5, 0.3, 0.2]);
    const shape = r() < 0.02 ? '' : pick(['circle', 'square', 'star', 'hexagon'], [0.4, 0.3, 0.2, 0.1]);
    const kids = pick(['0', '1', '2', '3'], [0.3, 0.35, 0.25, 0.1]);
    const visits = Math.floor(r() * 60);
    const day = new Date(Date.UTC(2024, 0, 1) + Math.floor(r() * 200) * 86400000).toISOString().slice(0, 10);
    lines.push([income, height, color, shape, kids, visits, day].join(','));
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

describe('profile report of a comparison', () => {
  const dir = tempDir('prodml-profile-report-');
  const base = path.join(dir, 'base.csv');
  const cmp = path.join(dir, 'compare.csv');
  writeCsv(base, 4000, 1, false);
  writeCsv(cmp, 2500, 2, true);
  let result: ProfileResult;
  let html: string;

  before(async () => {
    const ws = await openWorkspace({ workspace: dir, cwd: dir });
    result = await profile(ws, { data: 'base.csv', compare: 'compare.csv' });
    html = await profileHtml(result);
  });

  test('each column gets the measure of its inferred schema; the planted drifts, and only they, are flagged', () => {
    const drift = profileDrift(result)!;
    const by = new Map(drift.rows.map((r) => [r.column, r]));
    assert.deepEqual([...by.keys()].sort(), ['color', 'height', 'income', 'kids', 'shape', 'visits'], 'every comparable column; no drift check on dates');
    for (const c of ['income', 'height', 'kids', 'visits']) assert.equal(by.get(c)!.distance.measure, 'jensen_shannon', c);
    for (const c of ['color', 'shape']) assert.equal(by.get(c)!.distance.measure, 'l_infinity', c);
    for (const r of drift.rows) assert.equal(r.distance.threshold, 0.1);
    assert.deepEqual(drift.rows.filter((r) => r.verdict === 'drifted').map((r) => r.column).sort(), ['color', 'income']);
    assert.deepEqual(drift.rows.filter((r) => r.verdict === 'within threshold').map((r) => r.column).sort(), ['height', 'kids', 'shape', 'visits']);
  });

  test('the distances equal scipy / an L-infinity by hand, computed from the CSV rows', () => {
    const drift = profileDrift(result)!;
    const numeric = ['income', 'height', 'kids', 'visits'];
    const r = spawnSync(PYTHON, [REFERENCE], { input: JSON.stringify({ base, compare: cmp, numeric, categorical: ['color', 'shape'] }), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const want = JSON.parse(r.stdout) as Record<string, number>;
    assert.equal(Object.keys(want).length, 6);
    for (const row of drift.rows) {
      const ref = want[row.column]!;
      assert.ok(Math.abs(row.distance.value - ref) <= 1e-9, `${row.column}: report ${row.distance.value} vs reference ${ref}`);
    }
    // The planted sizes: income moved 1.2 sd, color's red share fell from 50% to 20%.
    assert.ok(want['income']! > 0.3 && want['color']! > 0.25 && want['color']! < 0.35, JSON.stringify(want));
    assert.ok(want['height']! < 0.1 && want['shape']! < 0.1, JSON.stringify(want));
  });

  test('the report shows what prodml validate computes: the same anomalies, the same values', async () => {
    const session = await DuckSession.open({ allowedDirectories: [dir] });
    try {
      const train = await openSource(base);
      const { schema } = await inferSchema(session, train);
      const validated = await validateData(session, await openSource(cmp), schema, { baseline: train });
      const anomalies = validated.anomalies.filter((a) => a.type === 'drift');
      const drifted = profileDrift(result, { features: schema.features, file: 'base.schema.yaml' })!.rows.filter((r) => r.verdict === 'drifted');
      assert.deepEqual(
        anomalies.map((a) => [a.feature, a.measure, a.value]).sort(),
        drifted.map((r) => [r.column, r.distance.measure, r.distance.value]).sort(),
      );
    } finally {
      session.close();
    }
  });

  test('the HTML lists the measures with threshold and verdict, and badges each card', () => {
    const rows = [...html.matchAll(/<tr class="(drifted|ok|unmeasured)"><th>([^<]+)<\/th><td class="m">([^<]+)<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td><td class="v">([^<]+)<\/td><\/tr>/g)];
    assert.equal(rows.length, 6);
    const drift = profileDrift(result)!;
    for (const m of rows) {
      const row = drift.rows.find((r) => r.column === m[2])!;
      assert.equal(m[4], row.distance.value.toFixed(2), `${m[2]} distance printed`);
      assert.equal(m[5], '0.10');
      assert.equal(m[6], row.verdict);
      assert.equal(m[3], row.distance.measure === 'jensen_shannon' ? 'Jensen-Shannon distance' : 'L-infinity distance');
    }
    assert.match(html, /<h2>Drift: 2 of 6 columns above their threshold<\/h2>/);
    assert.match(html, /<h2>income <span class="type"[^>]*>float<\/span><span class="badge drifted"[^>]*>⚠ drifted: Jensen-Shannon distance \d\.\d\d > 0\.10<\/span>/);
    assert.match(html, /<h2>height <span class="type"[^>]*>float<\/span><span class="badge ok"[^>]*>no drift: Jensen-Shannon distance 0\.0\d ≤ 0\.10<\/span>/);
  });

  test('a workspace schema supplies the thresholds when the profiled dataset names one', async () => {
    fs.writeFileSync(path.join(dir, 'prodml.yaml'), 'datasets:\n  base:\n    path: base.csv\n    schema: base.schema.yaml\n');
    // color's drift is accepted here (0.5), height's threshold is tight enough to flag it (0.001).
    fs.writeFileSync(
      path.join(dir, 'base.schema.yaml'),
      'features:\n  color:\n    type: string\n    drift: {l_infinity: {threshold: 0.5}}\n  height:\n    type: float\n    drift: {jensen_shannon: {threshold: 0.001}}\n',
    );
    try {
      const ws = await openWorkspace({ workspace: dir, cwd: dir });
      const out = await writeProfileHtml(ws, result, 'with-schema.html');
      const page = fs.readFileSync(out, 'utf8');
      assert.match(page, /Thresholds from base\.schema\.yaml/);
      assert.match(page, /<tr class="ok"><th>color<\/th><td class="m">L-infinity distance<\/td><td>0\.\d\d<\/td><td>0\.50<\/td><td class="v">within threshold<\/td><\/tr>/);
      assert.match(page, /<tr class="drifted"><th>height<\/th><td class="m">Jensen-Shannon distance<\/td><td>0\.0\d+<\/td><td>0\.001<\/td><td class="v">drifted<\/td><\/tr>/);
      assert.doesNotMatch(page, /<th>income<\/th>/, 'a column the schema gives no comparator is not measured');
    } finally {
      fs.rmSync(path.join(dir, 'prodml.yaml'));
    }
  });

  test('a column with no values in the compared dataset is "not measured", neither drifted nor within threshold', async () => {
    const empty = path.join(dir, 'no-shapes.csv');
    const lines = fs.readFileSync(cmp, 'utf8').trim().split('\n');
    const at = lines[0]!.split(',').indexOf('shape');
    fs.writeFileSync(empty, lines.map((l, i) => (i === 0 ? l : l.split(',').map((v, j) => (j === at ? '' : v)).join(','))).join('\n') + '\n');
    const ws = await openWorkspace({ workspace: dir, cwd: dir });
    const r = await profile(ws, { data: 'base.csv', compare: 'no-shapes.csv' });
    const shape = profileDrift(r)!.rows.find((x) => x.column === 'shape')!;
    assert.equal(shape.verdict, 'not measured');
    assert.equal(shape.value, '—');
    assert.match(await profileHtml(r), /<tr class="unmeasured"><th>shape<\/th>.*<td class="v">not measured<\/td><\/tr>/);
  });

  test(`integers with at most ${MAX_DISCRETE_VALUES} distinct values are bars over their values; others stay histograms`, async () => {
    const col = (name: string) => result.columns.find((c) => c.name === name)!;
    assert.ok(isDiscrete(col('kids')));
    assert.ok(!isDiscrete(col('visits')), 'an integer with 60 values');
    assert.ok(!isDiscrete(col('income')), 'a float');
    const charts = new Map(profileCharts(result, 600).map((c) => [c.column, c.spec as unknown as { mark: { type: string }; encoding: Record<string, { type?: string; field?: string }>; data: { values: Record<string, unknown>[] } }]));
    const kids = charts.get('kids')!;
    assert.equal(kids.encoding['x']!.type, 'ordinal');
    assert.equal(kids.encoding['x2'], undefined, 'no bin ranges');
    assert.equal(kids.encoding['xOffset']!.field, 'dataset', 'the two datasets side by side');
    assert.deepEqual([...new Set(kids.data.values.map((v) => v['value']))], [0, 1, 2, 3]);
    const baseKids = kids.data.values.filter((v) => v['dataset'] === result.source);
    assert.deepEqual(baseKids.map((v) => v['count']), col('kids').histogram!.counts);
    for (const name of ['visits', 'income']) {
      assert.equal(charts.get(name)!.encoding['x']!.type, 'quantitative', name);
      assert.equal(charts.get(name)!.encoding['x2']!.field, 'end', name);
    }
    const svg = await renderSvg(vegaLite(kids as unknown as Record<string, unknown>));
    for (const v of ['0', '1', '2', '3']) assert.match(svg, new RegExp(`>${v}</text>`), `axis label ${v}`);
  });

  test('one type label per column: a DATE column reads timestamp, its storage only in the tooltip', () => {
    const heads = [...html.matchAll(/<section class="card[^"]*">\n<h2>(.*?)<\/h2>/g)].map((m) => m[1]!);
    assert.equal(heads.length, 7);
    for (const h of heads) assert.equal((h.match(/class="type"/g) ?? []).length, 1, h);
    const date = heads.find((h) => h.startsWith('visit_date '))!;
    assert.match(date, /<span class="type" title="stored as DATE">timestamp<\/span>/);
    assert.equal(date.replace(/<[^>]*>/g, '').includes('DATE'), false, date);
  });

  test('charts are drawn at the width of the card with axis text of 12 px', () => {
    const widths = [...html.matchAll(/<svg [^>]*width="(\d+)"/g)].map((m) => Number(m[1]));
    assert.equal(widths.length, 7);
    for (const w of widths) assert.ok(w >= 800, `chart ${w} px wide`);
    assert.match(html, /\.chart svg\{display:block;width:100%;height:auto\}/);
    assert.match(html, /font-size="12px"|font-size:\s*12px/);
  });
});
