/** The leakage check: a planted leaky feature is caught, copies across the split are counted exactly, the clean demo passes. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { leakageCheck } from '../../src/core/checks';
import { prepareDemoWorkspace } from '../../src/core/demo/prepare';
import { LEAKY_DATA, writeLeakyWorkspace, type LeakyWorkspace } from '../../src/core/demo/leakyHospital';
import { scoreOf, univariateScore } from '../../src/core/checks/univariate';
import { splitRows } from '../../src/core/train/split';
import { trainFromConfig } from '../../src/core/train/run';
import { tempDir } from '../helpers/fixtures';
import { HONEST, PLANTED, writePlantedLeaks } from '../helpers/plantedLeaks';

const REPO = path.join(__dirname, '../..');
const base = tempDir('prodml-leak-');
const leakyDir = path.join(base, 'leaky');
const demoDir = path.join(base, 'demo');
let leaky: LeakyWorkspace;

function cli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/cli/main.ts'), ...args], { cwd: REPO, encoding: 'utf8' });
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.trimStart().startsWith(needle)) + 1;

before(async () => {
  leaky = await writeLeakyWorkspace(leakyDir, { rows: 3000, copies: 40 });
  await trainFromConfig(leakyDir, undefined);
  await prepareDemoWorkspace(demoDir, { rowsPerMonth: 200 });
  await trainFromConfig(demoDir, 'baby_weight');
});

describe('leakageCheck', () => {
  test('catches the planted leaky hospital, at its entry in prodml.yaml, with its evidence, and no honest feature', async () => {
    const r = await leakageCheck(leakyDir, undefined);
    assert.equal(r.leak, true);
    const power = r.findings.filter((f) => f.kind === 'near_perfect_feature');
    assert.deepEqual(
      power.map((f) => f.feature),
      ['hospital'],
    );
    const f = power[0]!;
    assert.equal(f.severity, 'error');
    const hospital = r.single_feature.find((s) => s.feature === 'hospital')!;
    assert.equal(hospital.measure, 'auc');
    assert.equal(hospital.verdict, 'leak');
    assert.ok(hospital.alone >= 0.99 && f.value === hospital.alone && f.threshold === 0.99, `hospital alone: AUC ${hospital.alone}`);
    assert.ok(hospital.rest < hospital.alone - 0.1, `the rest reach ${hospital.rest}`);
    for (const s of r.single_feature.filter((x) => x.feature !== 'hospital')) {
      assert.equal(s.verdict, 'ok', s.feature);
      assert.ok(s.alone < 0.75, `${s.feature} alone: ${s.alone}`);
    }
    const yaml = fs.readFileSync(path.join(leakyDir, 'prodml.yaml'), 'utf8');
    assert.equal(f.location?.line, lineOf(yaml, 'hospital:'));
    assert.deepEqual(f.location?.path, ['models', 'severity', 'features', 'hospital']);
    assert.match(f.evidence, /hospital alone predicts severe with ROC AUC 0\.99\d on 807 held-out rows .* the other 5 features reach together \(ROC AUC 0\.\d{3}/);
    assert.match(f.alternative, /genuine/);
    assert.match(f.confirm, /known_at/);
    assert.equal(f.message, `${f.evidence} ${f.alternative} ${f.confirm}`);
    // The report's columns are different measurements: no two of them agree on every feature.
    const columns = [r.single_feature.map((s) => s.alone), r.single_feature.map((s) => s.rest), r.single_feature.map((s) => s.alone_time_split), r.single_feature.map((s) => s.alone_group_split?.[0]?.score)];
    for (let a = 0; a < columns.length; a++) for (let b = a + 1; b < columns.length; b++) assert.notDeepEqual(columns[a], columns[b], `columns ${a} and ${b}`);
    // A time column under a random split: a warning at the split's line.
    const timeWarning = r.findings.find((x) => x.kind === 'random_split_with_time')!;
    assert.equal(timeWarning.severity, 'warning');
    assert.equal(timeWarning.feature, 'visit_date');
    assert.equal(timeWarning.location?.line, lineOf(yaml, 'split:'));
  });

  test('counts copies across the split exactly, and points at their lines', async () => {
    const r = await leakageCheck(leakyDir, undefined);
    // The truth, independently: where the split put each planted original and its copy.
    const lines = fs.readFileSync(path.join(leakyDir, LEAKY_DATA), 'utf8').trimEnd().split('\n');
    const rows = lines.slice(1).map(() => ({}));
    const split = splitRows(rows, { kind: 'random', eval_fraction: 0.25 }, 7);
    const inEval = new Set(split.eval);
    const across = leaky.copies.filter(([a, b]) => inEval.has(a) !== inEval.has(b)).length;
    assert.ok(across > 0, 'some copies straddle the split');
    assert.equal(r.duplicates.eval_rows, across);
    assert.equal(r.duplicates.train_rows, across);
    assert.equal(r.duplicates.whole_record_eval_rows, across);
    assert.equal(r.duplicates.distinct, across);
    const finding = r.findings.find((x) => x.kind === 'duplicates')!;
    assert.equal(finding.severity, 'error');
    assert.equal(finding.value, across);
    for (const ex of r.duplicates.examples) {
      const [t, e] = [ex.train[0]!, ex.eval[0]!];
      assert.equal(t.file, LEAKY_DATA);
      assert.equal(lines[t.line! - 1], lines[e.line! - 1], 'the example lines are the same record');
      assert.ok(lines[e.line! - 1]!.includes(`,${String(ex.values['age'])},`), 'the example values are that line');
    }
  });

  test('the clean version of the same data has no leaky feature and no copies', async () => {
    const dir = path.join(base, 'clean');
    await writeLeakyWorkspace(dir, { rows: 3000, leaky: false });
    const r = await leakageCheck(dir, undefined);
    assert.ok(r.notes.some((n) => /No registered version/.test(n)), 'without a version single features are judged alone');
    assert.equal(r.model_score, undefined);
    assert.equal(r.duplicates.eval_rows, 0);
    assert.deepEqual(
      r.findings.filter((f) => f.severity === 'error'),
      [],
    );
    assert.equal(r.leak, false);
    // patient_id repeats (~3 visits each) and a random split straddles it: a warning, not a leak.
    const g = r.groups.find((x) => x.column === 'patient_id')!;
    assert.equal(g.why, 'likely');
    assert.ok(g.straddling > 0);
    assert.ok(r.findings.some((f) => f.kind === 'straddling_groups' && f.severity === 'warning'));
    // Without the leak, hospital is just another feature.
    assert.equal(r.single_feature.find((s) => s.feature === 'hospital')!.verdict, 'ok');
  });

  test('a group split never straddles: none reported', async () => {
    const dir = path.join(base, 'grouped');
    await writeLeakyWorkspace(dir, { rows: 1500, leaky: false });
    const yaml = path.join(dir, 'prodml.yaml');
    fs.writeFileSync(yaml, fs.readFileSync(yaml, 'utf8').replace('split: {kind: random, eval_fraction: 0.25}', 'split: {kind: group, column: patient_id, eval_fraction: 0.25}'));
    const r = await leakageCheck(dir, undefined);
    const g = r.groups.find((x) => x.column === 'patient_id')!;
    assert.equal(g.why, 'split');
    assert.ok(g.groups > 100);
    assert.equal(g.straddling, 0);
    assert.ok(!r.findings.some((f) => f.kind === 'straddling_groups'));
  });

  test('passes the clean demo model', async () => {
    const r = await leakageCheck(demoDir, 'baby_weight');
    assert.equal(r.leak, false);
    assert.deepEqual(
      r.findings.filter((f) => f.severity === 'error'),
      [],
    );
    assert.equal(r.version, 1);
    assert.equal(r.model_score?.measure, 'r2');
    // Chance repeats of a coarse feature space are counted but are not the same records (event_date differs).
    assert.equal(r.duplicates.whole_record_eval_rows, 0);
    assert.deepEqual(r.duplicates.other_columns, ['event_date']);
    const top = [...r.single_feature].sort((a, b) => b.alone - a.alone)[0]!;
    assert.equal(top.feature, 'gestation_weeks');
    // The main, legitimate predictor is strong, not a leak; the split is already by time.
    assert.ok(top.alone > 0.4 && top.alone < 0.98, `gestation_weeks alone: R² ${top.alone}`);
    assert.notEqual(top.verdict, 'leak');
    assert.ok(!r.findings.some((f) => f.feature === 'gestation_weeks' && f.severity !== 'info'));
    assert.ok(!r.findings.some((f) => f.kind === 'random_split_with_time'));
  });

  test('CLI: exit 1 on the leak, 0 on the demo, --json is one document', () => {
    const bad = cli(['check', 'leakage', '--workspace', leakyDir]);
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stdout, /✗ prodml\.yaml:\d+: hospital alone predicts severe/);
    assert.match(bad.stdout, /feature +auc alone +the rest together/);
    const good = cli(['check', 'leakage', 'baby_weight', '--workspace', demoDir, '--json']);
    assert.equal(good.status, 0, good.stderr);
    const doc = JSON.parse(good.stdout) as { leak: boolean; single_feature: unknown[] };
    assert.equal(doc.leak, false);
    assert.equal(doc.single_feature.length, 7);
    const unknown = cli(['check', 'leakage', 'nope', '--workspace', demoDir]);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /has no model "nope"/);
  });
});

describe('planted leaks', () => {
  test('label + noise, a post-outcome timestamp, a time leak under a random split and a group leak are found; honest predictors are not', async () => {
    const dir = path.join(base, 'planted');
    writePlantedLeaks(dir);
    const r = await leakageCheck(dir, undefined);
    const yaml = fs.readFileSync(path.join(dir, 'prodml.yaml'), 'utf8');
    const errorsOf = (feature: string) => r.findings.filter((f) => f.feature === feature && f.severity === 'error');
    assert.deepEqual(
      errorsOf(PLANTED.echo).map((f) => f.kind),
      ['near_perfect_feature'],
    );
    const late = errorsOf(PLANTED.late).find((f) => f.kind === 'known_after_event')!;
    assert.equal(late.value, 1, 'every discharge is after the event');
    assert.deepEqual(r.single_feature.find((s) => s.feature === PLANTED.late)!.known_after_event, { rows: 4000, of: 4000 });
    assert.equal(late.location?.line, lineOf(yaml, 'discharge_code:'));
    const time = errorsOf(PLANTED.time).find((f) => f.kind === 'collapses_under_split')!;
    assert.match(time.evidence, /under a time split on event_date/);
    const t = r.single_feature.find((s) => s.feature === PLANTED.time)!;
    assert.ok(t.alone_time_split! < 0.05 && t.alone > 0.15, `batch_no: ${t.alone} → ${t.alone_time_split}`);
    const group = errorsOf(PLANTED.group).find((f) => f.kind === 'collapses_under_split')!;
    assert.match(group.evidence, /under a split by patient_id/);
    assert.equal(group.location?.line, lineOf(yaml, 'patient_code:'));
    for (const h of HONEST) {
      assert.deepEqual(errorsOf(h), [], h);
      assert.equal(r.single_feature.find((s) => s.feature === h)!.verdict, 'ok', h);
    }
    const split = r.findings.find((f) => f.kind === 'random_split_with_time')!;
    assert.equal(split.location?.line, lineOf(yaml, 'split:'));
    assert.match(split.confirm, /kind: time, column: event_date/);
    assert.ok(r.findings.some((f) => f.kind === 'straddling_groups' && f.feature === 'patient_id' && f.location?.line === lineOf(yaml, 'split:')));
  });

  test('the same data split by time: the time leak is no longer measurable, the others still are', async () => {
    const dir = path.join(base, 'planted-time');
    writePlantedLeaks(dir, { split: '{kind: time, eval_fraction: 0.25}' });
    const r = await leakageCheck(dir, undefined);
    assert.ok(!r.findings.some((f) => f.kind === 'random_split_with_time'));
    assert.equal(r.single_feature[0]!.alone_time_split, undefined);
    assert.ok(r.findings.some((f) => f.feature === PLANTED.echo && f.severity === 'error'));
    assert.ok(r.findings.some((f) => f.feature === PLANTED.late && f.kind === 'known_after_event'));
  });

  test('known_at needs a time column to compare with: exit 2 naming the field', () => {
    const dir = path.join(base, 'planted-no-time');
    writePlantedLeaks(dir, { rows: 300 });
    const yaml = path.join(dir, 'prodml.yaml');
    fs.writeFileSync(yaml, fs.readFileSync(yaml, 'utf8').replace('    time_column: event_date\n', ''));
    const r = cli(['check', 'leakage', '--workspace', dir]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /models\.outcome\.features\.discharge_code\.known_at: .*time_column/);
  });
});

describe('univariateScore', () => {
  test('a per-category mean fitted on train, the training mean for unseen categories, R² on eval', () => {
    const rows = [{ c: 'a' }, { c: 'a' }, { c: 'b' }, { c: 'a' }, { c: 'b' }, { c: 'z' }];
    const y = [1, 3, 10, 2, 12, 5];
    const u = univariateScore({ name: 'c', transform: { kind: 'one_hot' } }, 'regression', (i) => rows[i]!.c, y, [0, 1, 2], [3, 4, 5]);
    // Predictions: a → 2, b → 10, z (unseen) → (1 + 3 + 10) / 3.
    const pred = [2, 10, 14 / 3];
    const labels = [2, 12, 5];
    const mean = 19 / 3;
    const r2 = 1 - labels.reduce((a, l, i) => a + (l - pred[i]!) ** 2, 0) / labels.reduce((a, l) => a + (l - mean) ** 2, 0);
    assert.ok(Math.abs(u.score - r2) < 1e-12, `${u.score} vs ${r2}`);
    assert.equal(u.bins, 2);
    assert.equal(scoreOf('accuracy', Float64Array.from([0, 1, 2]), [0, 1, 1]), 2 / 3);
  });
});
