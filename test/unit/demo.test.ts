import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  BAD_BATCHES,
  DEMO_MARKER,
  generateNatalityRows,
  isDemoWorkspace,
  monthRange,
  NATALITY_COLUMNS,
  NATALITY_RACES,
  NEW_RACE_CATEGORY,
  quoteCsv,
  Rng,
  toCsv,
  writeDemoWorkspace,
  type DemoManifest,
  type NatalityRow,
} from '../../src/core/demo';

const YEAR = { start: new Date('2024-01-01T00:00:00Z'), end: new Date('2025-01-01T00:00:00Z') };
const rows20k = generateNatalityRows({ seed: 7, rows: 20_000, ...YEAR });

// ---------- helpers ----------

/** RFC 4180 parser (quoted fields, doubled quotes, embedded commas/newlines). */
function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(cell), (cell = '');
    else if (ch === '\n') row.push(cell), out.push(row), (row = []), (cell = '');
    else if (ch !== '\r') cell += ch;
  }
  if (cell !== '' || row.length) row.push(cell), out.push(row);
  return out;
}

async function readTable(file: string): Promise<{ header: string[]; rows: Array<Record<string, string>> }> {
  const [header = [], ...body] = parseCsv(await readFile(file, 'utf8'));
  return { header, rows: body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? '']))) };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fraction = <T>(xs: T[], p: (x: T) => boolean) => xs.filter(p).length / xs.length;

function slope(xs: number[], ys: number[]): number {
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxy / sxx;
}

async function listFiles(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(root, r)));
    else out.push(r);
  }
  return out.sort();
}

async function tmpDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'prodml-demo-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

// ---------- the generator ----------

test('random: same seed same stream; normal draws have mean 0, sd 1', () => {
  const a = new Rng(1);
  const b = new Rng(1);
  const xs = Array.from({ length: 20_000 }, () => a.normal());
  assert.deepEqual(xs.slice(0, 10), Array.from({ length: 10 }, () => b.normal()));
  assert.ok(Math.abs(mean(xs)) < 0.03);
  assert.ok(Math.abs(Math.sqrt(mean(xs.map((x) => x * x))) - 1) < 0.03);
});

test('generateNatalityRows is deterministic per seed and keeps the column order', () => {
  const opts = { seed: 123, rows: 500, ...monthRange(2024, 3) };
  const a = generateNatalityRows(opts);
  assert.deepEqual(a, generateNatalityRows(opts));
  assert.notDeepEqual(a, generateNatalityRows({ ...opts, seed: 124 }));
  assert.equal(a.length, 500);
  for (const r of a) assert.deepEqual(Object.keys(r), [...NATALITY_COLUMNS]);
  assert.equal(generateNatalityRows({ ...opts, rows: 0 }).length, 0);
  assert.throws(() => generateNatalityRows({ ...opts, start: opts.end }), RangeError);
  assert.throws(() => generateNatalityRows({ ...opts, rows: -1 }), RangeError);
});

test('values stay in their domains and follow realistic marginals', () => {
  const r = rows20k;
  for (const x of r) {
    assert.ok(Number.isInteger(x.mother_age) && x.mother_age >= 15 && x.mother_age <= 50);
    assert.ok(Number.isInteger(x.gestation_weeks) && x.gestation_weeks >= 24 && x.gestation_weeks <= 44);
    assert.ok([1, 2, 3].includes(x.plurality));
    assert.ok((NATALITY_RACES as readonly string[]).includes(x.mother_race));
    assert.match(x.event_date, /^2024-\d\d-\d\d$/);
    assert.ok(x.weight_pounds >= 1 && x.weight_pounds <= 13);
    assert.equal(Math.round(x.weight_pounds * 100) / 100, x.weight_pounds);
  }
  const age = mean(r.map((x) => x.mother_age));
  assert.ok(age > 27 && age < 30, `mean mother_age ${age}`);
  const term = fraction(r, (x) => x.gestation_weeks >= 37 && x.gestation_weeks <= 41);
  assert.ok(term > 0.75 && term < 0.92, `term fraction ${term}`);
  // left skew: the mean sits below the median
  const g = r.map((x) => x.gestation_weeks).sort((a, b) => a - b);
  assert.ok(mean(g) < g[g.length >> 1]!);
  const single = fraction(r, (x) => x.plurality === 1);
  assert.ok(single > 0.955 && single < 0.975, `singletons ${single}`);
  assert.ok(fraction(r, (x) => x.plurality === 3) < 0.006);
  const smoke = fraction(r, (x) => x.cigarette_use === true);
  assert.ok(smoke > 0.06 && smoke < 0.1, `smoking ${smoke}`);
  const alc = fraction(r, (x) => x.alcohol_use === true);
  assert.ok(alc > 0.02 && alc < 0.045, `alcohol ${alc}`);
  for (const col of ['cigarette_use', 'alcohol_use'] as const) {
    const miss = fraction(r, (x) => x[col] === null);
    assert.ok(miss > 0.008 && miss < 0.025, `${col} missing ${miss}`);
  }
  assert.ok(fraction(r, (x) => x.mother_race === 'White') > fraction(r, (x) => x.mother_race === 'Asian'));
  const months = new Set(r.map((x) => x.event_date.slice(0, 7)));
  assert.equal(months.size, 12);
  const sorted = r.map((x) => x.event_date);
  assert.deepEqual(sorted, [...sorted].sort());
});

test('weight follows the built-in relationships', () => {
  const single = rows20k.filter((x) => x.plurality === 1);
  const s = slope(
    single.map((x) => x.gestation_weeks),
    single.map((x) => x.weight_pounds),
  );
  assert.ok(s > 0.3 && s < 0.55, `slope over all singletons ${s}`);
  const term = single.filter((x) => x.gestation_weeks >= 37 && x.gestation_weeks <= 41);
  const st = slope(
    term.map((x) => x.gestation_weeks),
    term.map((x) => x.weight_pounds),
  );
  assert.ok(st > 0.25 && st < 0.45, `slope near term ${st}`);
  const pre = single.filter((x) => x.gestation_weeks >= 30 && x.gestation_weeks <= 36);
  const sp = slope(
    pre.map((x) => x.gestation_weeks),
    pre.map((x) => x.weight_pounds),
  );
  assert.ok(sp > st, `preterm slope ${sp} steeper than term ${st}`);

  const w = (p: (x: NatalityRow) => boolean, among: NatalityRow[] = rows20k) =>
    mean(among.filter(p).map((x) => x.weight_pounds));
  const singletonW = w((x) => x.plurality === 1);
  const twinW = w((x) => x.plurality === 2);
  assert.ok(singletonW - twinW > 1, `twins ${twinW} vs singletons ${singletonW}`);
  assert.ok(w((x) => x.plurality === 3) < twinW);
  // conditional effects among term singletons
  assert.ok(w((x) => x.cigarette_use === false, term) - w((x) => x.cigarette_use === true, term) > 0.25);
  const maleGap = w((x) => x.is_male, term) - w((x) => !x.is_male, term);
  assert.ok(maleGap > 0.15 && maleGap < 0.45, `male gap ${maleGap}`);
  const mid = w((x) => x.mother_age >= 26 && x.mother_age <= 34, term);
  assert.ok(mid > w((x) => x.mother_age <= 19, term), 'young mothers: lighter babies');
  assert.ok(mid > w((x) => x.mother_age >= 42, term), 'older mothers: lighter babies');
  const termMean = mean(term.map((x) => x.weight_pounds));
  const sd = Math.sqrt(mean(term.map((x) => (x.weight_pounds - termMean) ** 2)));
  assert.ok(sd > 0.9 && sd < 1.4, `term sd ${sd}`);
});

test('CSV writer quotes per RFC 4180 and writes missing as empty cells', () => {
  assert.equal(quoteCsv('plain'), 'plain');
  assert.equal(quoteCsv('a,b'), '"a,b"');
  assert.equal(quoteCsv('say "hi"'), '"say ""hi"""');
  assert.equal(quoteCsv('two\nlines'), '"two\nlines"');
  assert.equal(quoteCsv(''), '""');
  const text = toCsv(['s', 'b', 'n', 'm'], [
    { s: 'x, "y"', b: true, n: 1.5, m: null },
    { s: 'z', b: false, n: 2, m: undefined },
  ]);
  assert.equal(text, 's,b,n,m\n"x, ""y""",true,1.5,\nz,false,2,\n');
  assert.deepEqual(parseCsv(text)[1], ['x, "y"', 'true', '1.5', '']);
});

// ---------- the workspace ----------

test('writeDemoWorkspace: files, row counts, defects, determinism', async (t) => {
  const dirA = await tmpDir(t);
  const dirB = await tmpDir(t);
  const dirC = await tmpDir(t);
  const [a, b, c] = await Promise.all([
    writeDemoWorkspace(dirA, { seed: 5 }),
    writeDemoWorkspace(dirB, { seed: 5 }),
    writeDemoWorkspace(dirC, { seed: 6, rowsPerMonth: 300 }),
  ]);

  // file list
  const files = await listFiles(dirA);
  const expected = [
    DEMO_MARKER,
    'README.md',
    'data/incoming/missing-column.csv',
    'data/incoming/natality-2025-02.csv',
    'data/incoming/new-category.csv',
    'data/incoming/polluted-label.csv',
    'data/incoming/shifted-distribution.csv',
    'data/incoming/type-change.csv',
    'data/serving/natality-2025-01.csv',
    ...['03', '04', '05', '06'].map((m) => `data/stream/natality-2025-${m}.csv`),
    ...Array.from({ length: 12 }, (_, i) => `data/train/natality-2024-${String(i + 1).padStart(2, '0')}.csv`),
    'prodml.yaml',
  ].sort();
  assert.deepEqual(files, expected);
  assert.deepEqual(a.files.map((f) => f.path).sort(), expected);
  assert.equal(a.dir, path.resolve(dirA));
  assert.ok(await isDemoWorkspace(dirA));

  // byte-identical for the same seed; different for another seed
  for (const f of files) {
    const [x, y] = await Promise.all([readFile(path.join(dirA, f)), readFile(path.join(dirB, f))]);
    assert.ok(x.equals(y), `${f} differs between two runs with the same seed`);
  }
  const trainA = await readFile(path.join(dirA, 'data/train/natality-2024-01.csv'), 'utf8');
  assert.notEqual(trainA, await readFile(path.join(dirC, 'data/train/natality-2024-01.csv'), 'utf8'));
  assert.deepEqual({ ...a, dir: '' }, { ...b, dir: '' });

  // row counts in the manifest match the files
  for (const m of [a, c] as DemoManifest[]) {
    const root = m.dir;
    for (const f of m.files.filter((x) => x.rows !== undefined)) {
      const { header, rows } = await readTable(path.join(root, f.path));
      assert.equal(rows.length, f.rows, f.path);
      assert.equal(rows.length, m.rowsPerMonth, f.path);
      assert.deepEqual(header, f.columns, f.path);
    }
  }
  const marker = JSON.parse(await readFile(path.join(dirA, DEMO_MARKER), 'utf8'));
  assert.equal(marker.seed, 5);
  assert.equal(marker.files.length, a.files.length);

  // training batch: full header, booleans as true/false, missing as empty, dates in its month
  const train = await readTable(path.join(dirA, 'data/train/natality-2024-01.csv'));
  assert.deepEqual(train.header, [...NATALITY_COLUMNS]);
  assert.ok(train.rows.every((r) => ['true', 'false'].includes(r.is_male!)));
  assert.ok(train.rows.every((r) => ['true', 'false', ''].includes(r.cigarette_use!)));
  assert.ok(train.rows.some((r) => r.cigarette_use === ''), 'some cigarette_use cells are missing');
  assert.ok(train.rows.every((r) => r.event_date!.startsWith('2024-01-')));
  const dec = await readTable(path.join(dirA, 'data/train/natality-2024-12.csv'));
  assert.ok(dec.rows.every((r) => r.event_date!.startsWith('2024-12-')));

  // serving: no label
  const serving = await readTable(path.join(dirA, 'data/serving/natality-2025-01.csv'));
  assert.deepEqual(serving.header, NATALITY_COLUMNS.filter((c) => c !== 'weight_pounds'));

  // each bad batch has its defect; the good one does not
  const inc = (name: string) => readTable(path.join(dirA, 'data/incoming', name));
  const good = await inc('natality-2025-02.csv');
  assert.deepEqual(good.header, [...NATALITY_COLUMNS]);
  assert.ok(good.rows.every((r) => (NATALITY_RACES as readonly string[]).includes(r.mother_race!)));
  assert.ok(good.rows.every((r) => /^[123]$/.test(r.plurality!)));
  assert.ok(good.rows.every((r) => Number(r.weight_pounds) >= 1 && Number(r.weight_pounds) <= 13));

  const newCat = await inc('new-category.csv');
  const newShare = fraction(newCat.rows, (r) => r.mother_race === NEW_RACE_CATEGORY);
  assert.ok(newShare > 0.1 && newShare < 0.2, `new category share ${newShare}`);

  const missing = await inc('missing-column.csv');
  assert.ok(!missing.header.includes('gestation_weeks'));
  assert.equal(missing.header.length, NATALITY_COLUMNS.length - 1);

  const typeChange = await inc('type-change.csv');
  assert.ok(typeChange.rows.every((r) => ['Single', 'Twins', 'Triplets'].includes(r.plurality!)));
  assert.ok(typeChange.rows.some((r) => r.plurality === 'Twins'));

  const shifted = await inc('shifted-distribution.csv');
  const colMean = (t: typeof good, c: string) => mean(t.rows.map((r) => Number(r[c])));
  const ageShift = colMean(shifted, 'mother_age') - colMean(good, 'mother_age');
  const gestShift = colMean(shifted, 'gestation_weeks') - colMean(good, 'gestation_weeks');
  assert.ok(ageShift > 7 && ageShift < 11, `age shift ${ageShift}`);
  assert.ok(gestShift < -1.5 && gestShift > -2.6, `gestation shift ${gestShift}`);

  const polluted = await inc('polluted-label.csv');
  const grams = fraction(polluted.rows, (r) => Number(r.weight_pounds) > 13);
  assert.ok(grams > 0.33 && grams < 0.47, `grams share ${grams}`);
  assert.ok(polluted.rows.some((r) => Number(r.weight_pounds) > 1000));
  assert.ok(polluted.rows.some((r) => r.weight_pounds === '0'));

  // the manifest names each defect
  const defects = a.files.filter((f) => f.defect).map((f) => [path.basename(f.path), f.defect!.kind]);
  assert.deepEqual(defects, BAD_BATCHES.map((s) => [s.file, s.defect.kind]));
  assert.deepEqual(
    a.files.find((f) => f.path.endsWith('missing-column.csv'))!.defect!.expectedAnomalies,
    [{ feature: 'gestation_weeks', type: 'missing_column' }],
  );

  // config + readme
  const yaml = await readFile(path.join(dirA, 'prodml.yaml'), 'utf8');
  assert.match(yaml, /path: data\/train\/\*\.csv/);
  assert.match(yaml, /label: weight_pounds/);
  assert.match(yaml, /time_column: event_date/);
  const readme = await readFile(path.join(dirA, 'README.md'), 'utf8');
  for (const f of a.files.filter((x) => x.rows !== undefined)) assert.ok(readme.includes(f.path), f.path);
});

test('writeDemoWorkspace refuses a non-empty directory that is not a demo, and regenerates a demo', async (t) => {
  const root = await tmpDir(t);

  const user = path.join(root, 'my-project');
  await mkdir(user);
  await writeFile(path.join(user, 'prodml.yaml'), 'mine\n');
  await assert.rejects(writeDemoWorkspace(user, { rowsPerMonth: 10 }), (e: Error) => {
    assert.ok(e.message.includes(user), e.message);
    return true;
  });
  assert.deepEqual(await readdir(user), ['prodml.yaml']);
  assert.equal(await readFile(path.join(user, 'prodml.yaml'), 'utf8'), 'mine\n');

  const file = path.join(root, 'a-file');
  await writeFile(file, 'x');
  await assert.rejects(writeDemoWorkspace(file, { rowsPerMonth: 10 }), (e: Error) => e.message.includes(file));

  // a new (nested) directory is created; a demo directory is rewritten in place
  const demo = path.join(root, 'nested', 'demo');
  const first = await writeDemoWorkspace(demo, { rowsPerMonth: 10, seed: 1 });
  await writeFile(path.join(demo, 'notes.txt'), 'kept');
  const second = await writeDemoWorkspace(demo, { rowsPerMonth: 20, seed: 1 });
  assert.equal(first.files.length, second.files.length);
  assert.equal((await readTable(path.join(demo, 'data/train/natality-2024-05.csv'))).rows.length, 20);
  assert.equal(await readFile(path.join(demo, 'notes.txt'), 'utf8'), 'kept');

  // an empty existing directory is fine
  const empty = path.join(root, 'empty');
  await mkdir(empty);
  await writeDemoWorkspace(empty, { rowsPerMonth: 5 });
  assert.ok(await isDemoWorkspace(empty));

  await assert.rejects(writeDemoWorkspace(path.join(root, 'x'), { rowsPerMonth: 0 }));
  await assert.rejects(writeDemoWorkspace(path.join(root, 'y'), { seed: 1.5 }));
});
