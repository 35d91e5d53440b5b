import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckSession } from '../../src/core/data/duckdb';
import { openSource } from '../../src/core/data/source';
import { writeDemoWorkspace } from '../../src/core/demo/workspace';
import { transformRow, transformRows } from '../../src/core/features/apply';
import { fitTransforms } from '../../src/core/features/fit';
import type { FeatureSpec, FittedTransforms } from '../../src/core/features/spec';
import { tempDir } from '../helpers/fixtures';

const ws = path.join(tempDir('prodml-transforms-'), 'demo');
let session: DuckSession;
let fitted: FittedTransforms;
let trainScan: string;

const SPECS: FeatureSpec[] = [
  { name: 'mother_age', transform: { kind: 'standardize' } },
  { name: 'gestation_weeks', transform: { kind: 'min_max' } },
  { name: 'plurality', transform: { kind: 'bucketize', buckets: 4 } },
  { name: 'weight_pounds', transform: { kind: 'log' } },
  { name: 'is_male', transform: { kind: 'identity' } },
  { name: 'mother_race', transform: { kind: 'vocabulary', max_values: 3, oov_buckets: 2 } },
  { name: 'cigarette_use', transform: { kind: 'one_hot' } },
  { name: 'event_date', transform: { kind: 'date_parts' } },
];

before(async () => {
  await writeDemoWorkspace(ws, { rowsPerMonth: 200 });
  session = await DuckSession.open({ allowedDirectories: [ws] });
  trainScan = (await openSource('data/train/*.csv', ws)).scan;
  fitted = await fitTransforms(session, SPECS, { relation: trainScan, display: 'data/train/*.csv' });
});
after(() => session.close());

describe('fitTransforms', () => {
  test('statistics match pandas/numpy on the same training files', () => {
    const script = `
import glob, json, sys
import numpy as np, pandas as pd
df = pd.concat([pd.read_csv(f, keep_default_na=False, na_values=['']) for f in sorted(glob.glob(sys.argv[1]))])
lw = np.log(df.weight_pounds + 1)
vc = df.mother_race.value_counts()
vocab = sorted(vc.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
print(json.dumps({
  "age_mean": df.mother_age.mean(), "age_std": df.mother_age.std(ddof=0),
  "gw_min": float(df.gestation_weeks.min()), "gw_max": float(df.gestation_weeks.max()),
  "plur_q": np.quantile(df.plurality, [0.25, 0.5, 0.75]).tolist(),
  "logw_mean": lw.mean(), "logw_std": lw.std(ddof=0),
  "vocab": [v for v, _ in vocab],
  "year_mean": pd.to_datetime(df.event_date).dt.year.mean(),
  "rows": len(df)}))
`;
    const ref = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, path.join(ws, 'data/train/*.csv')], { encoding: 'utf8' }));
    const f = Object.fromEntries(fitted.features.map((x) => [x.name, x]));
    const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
    assert.equal(fitted.fittedOn, ref.rows);
    const age = f['mother_age'] as { center: number; scale: number };
    close(age.center, ref.age_mean, 'mean');
    close(age.scale, ref.age_std, 'population std');
    const gw = f['gestation_weeks'] as { center: number; scale: number };
    close(gw.center, ref.gw_min, 'min');
    close(gw.scale, ref.gw_max - ref.gw_min, 'max - min');
    // Quartiles of plurality are all 1: one boundary is kept, two buckets.
    assert.deepEqual((f['plurality'] as { boundaries: number[] }).boundaries, [...new Set(ref.plur_q as number[])]);
    const lw = f['weight_pounds'] as { center: number; scale: number };
    close(lw.center, ref.logw_mean, 'log mean');
    close(lw.scale, ref.logw_std, 'log std');
    assert.deepEqual((f['mother_race'] as { values: string[] }).values, ref.vocab);
    close((f['event_date'] as { yearCenter: number }).yearCenter, ref.year_mean, 'year mean');
    assert.equal(fitted.width, fitted.features.reduce((w, x) => w + x.outputs.length, 0));
  });
});

describe('transformRow', () => {
  test('a row gives bit-identical inputs through the training path (DuckDB) and the serving path (JSON)', async () => {
    const rel = 'data/incoming/natality-2025-02.csv';
    // Training / batch path: typed rows as DuckDB returns them.
    const typed = await session.rows(`SELECT * FROM ${(await openSource(rel, ws)).scan}`);
    // Serving path: the same rows as a client's JSON body, parsed from the CSV text.
    const [header, ...lines] = fs.readFileSync(path.join(ws, rel), 'utf8').trim().split('\n');
    const names = header!.split(',');
    const json = JSON.parse(
      JSON.stringify(
        lines.map((l) =>
          Object.fromEntries(l.split(',').map((v, i) => [names[i], v === '' ? null : v === 'true' ? true : v === 'false' ? false : /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v])),
        ),
      ),
    ) as Record<string, unknown>[];
    assert.equal(typed.length, json.length);
    // transform.json is data: the saved copy must encode exactly as the fitted one.
    const saved = JSON.parse(JSON.stringify(fitted)) as FittedTransforms;
    const a = Buffer.from(transformRows(fitted, typed).buffer);
    const b = Buffer.from(transformRows(saved, json).buffer);
    assert.equal(a.length, typed.length * fitted.width * 4);
    assert.ok(a.equals(b), 'identical bytes');
    for (const row of json.slice(0, 50)) assert.ok(Buffer.from(transformRow(saved, row).buffer).equals(Buffer.from(transformRow(fitted, row).buffer)));
  });

  test('unseen and missing values, and date parts', () => {
    const outputs = fitted.features.flatMap((f) => f.outputs);
    const row = transformRow(fitted, { mother_age: null, gestation_weeks: 40, plurality: 3, weight_pounds: 'n/a', is_male: true, mother_race: 'Martian', cigarette_use: null, event_date: '2024-03-09' });
    const at = (name: string) => row[outputs.indexOf(name)];
    assert.equal(at('mother_age'), 0, 'missing -> the training mean -> 0 standardized');
    assert.equal(at('is_male'), 1);
    assert.equal(at('plurality>=1'), 1);
    // vocabulary: unseen values land in an OOV bucket; one_hot: all zeros.
    const oov = outputs.filter((o) => o.startsWith('mother_race=<oov')).map(at);
    assert.deepEqual(oov.sort(), [0, 1]);
    assert.ok(outputs.filter((o) => o.startsWith('cigarette_use=')).every((o) => at(o) === 0));
    // 2024-03-09 is a Saturday in March.
    assert.equal(at('event_date.weekend'), 1);
    assert.equal(at('event_date.day_of_week=6'), 1);
    assert.equal(at('event_date.month=3'), 1);
    assert.equal(at('event_date.hour=0'), 1);
  });
});
