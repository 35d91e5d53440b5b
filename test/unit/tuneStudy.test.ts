/** Real tuning studies on the demo workspace: real DuckDB, real tfjs trials, studies on disk, the registry and the CLI. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { prepareDemoWorkspace } from '../../src/core/demo/prepare';
import { isProdmlError } from '../../src/core/errors';
import { openRegistry } from '../../src/core/registry';
import { renderSvg } from '../../src/core/report/profileHtml';
import { tuneCharts } from '../../src/core/report/tuneCharts';
import { trainFromConfig } from '../../src/core/train/run';
import { loadStudyResult, registerBestTrial, tuneModel, type TrialRecord, type TuneProgress, type TuneResult } from '../../src/core/tune';
import { Rungs, rungValue } from '../../src/core/tune/halving';
import { sampleParams } from '../../src/core/tune/space';
import { tempDir } from '../helpers/fixtures';

const REPO = path.join(__dirname, '../..');
const ws = path.join(tempDir('prodml-tune-'), 'demo');
const TRIALS = 8;
let first: TuneResult;
const progress: TuneProgress[] = [];
const announced: TrialRecord[] = [];

before(async () => {
  await prepareDemoWorkspace(ws, { rowsPerMonth: 150 });
  first = await tuneModel(ws, 'baby_weight', { trials: TRIALS, onProgress: (p) => progress.push(p), onTrial: (t) => announced.push(t) });
});

/** What a trial's record says it trained, for comparing two runs of the same study. */
const outcome = (t: TrialRecord) => ({ trial: t.trial, params: t.params, status: t.status, metric: t.metric, epochs: t.epochs.length });

describe('tuneModel on the demo', () => {
  test('trains every trial, trial 0 with prodml.yaml parameters and the rest as the seed draws them', () => {
    assert.equal(first.model, 'baby_weight');
    assert.equal(first.metric, 'rmse');
    assert.equal(first.direction, 'lower');
    assert.deepEqual(first.rungs, [1, 3, 9]); // demo: 15 epochs, min_epochs 1, eta 3
    assert.equal(first.trials.length, TRIALS);
    assert.equal(first.trained, TRIALS);
    assert.deepEqual(announced.map((t) => t.trial), [...Array(TRIALS).keys()]);
    assert.equal(first.default?.trial, 0);
    assert.deepEqual(first.trials[0]!.params, {});
    assert.deepEqual(first.trials[0]!.model, { type: 'dnn', hidden: [32, 16] });
    assert.deepEqual(first.trials[0]!.training, { learning_rate: 0.01, batch_size: 256, epochs: 15, patience: 3 });
    for (const t of first.trials.slice(1)) assert.deepEqual(t.params, sampleParams(first.space, 42, t.trial));
    // Trials train on part of the training split; the rest scores them.
    assert.ok(first.rows.train > 3 * first.rows.validation && first.rows.validation > 100, JSON.stringify(first.rows));
    assert.ok(first.best && first.best.metric! <= first.default!.metric!);
    assert.equal(progress.at(-1)!.fraction, 1);
    assert.ok(progress.every((p, i) => i === 0 || p.fraction >= progress[i - 1]!.fraction), 'progress never goes back');
  });

  test('successive halving stops the worse trials at rungs: they have fewer epochs, and each call follows the rule', () => {
    const stopped = first.trials.filter((t) => t.status === 'stopped');
    assert.ok(stopped.length >= 2, `${stopped.length} stopped`);
    for (const t of stopped) {
      assert.ok(first.rungs.includes(t.stopped_at!), `trial ${t.trial} stopped at ${t.stopped_at}`);
      assert.equal(t.epochs.length, t.stopped_at);
      assert.ok(t.epochs.length < 15);
    }
    const completed = first.trials.filter((t) => t.status === 'completed');
    assert.ok(completed.length >= 1);
    for (const t of completed) {
      // Ran to the end, or early stopping (patience 3) ended it.
      assert.ok(t.epochs.length === 15 || t.epochs.length - t.best_epoch >= 3, `trial ${t.trial}: ${t.epochs.length} epochs, best ${t.best_epoch}`);
    }
    assert.ok(Math.max(...stopped.map((t) => t.epochs.length)) < Math.max(...completed.map((t) => t.epochs.length)));

    // Replaying the records through the rule reproduces every decision.
    const rungs = new Rungs(first.rungs, 'lower', 3);
    for (const t of first.trials) {
      for (const epoch of first.rungs.filter((e) => e <= t.epochs.length)) {
        const verdict = rungs.judge(epoch, rungValue(t.epochs, epoch));
        assert.equal(verdict, t.stopped_at === epoch ? 'stop' : 'continue', `trial ${t.trial} at rung ${epoch}`);
      }
    }
  });

  test('the per-epoch metric is the rmse on the validation rows: the square root of the validation loss (unweighted MSE)', () => {
    for (const t of first.trials) {
      for (const e of t.epochs) {
        if (e.metric === null) continue;
        assert.ok(Math.abs(e.metric - Math.sqrt(e.eval_loss)) < 1e-3 * e.metric, `trial ${t.trial} epoch ${e.epoch}: ${e.metric} vs √${e.eval_loss}`);
      }
      if (t.metric !== null) assert.equal(t.metric, t.epochs[t.best_epoch - 1]!.metric);
    }
  });

  test('the study is on disk: study.json and one trials.jsonl line per trial', () => {
    assert.equal(first.dir, path.join(ws, '.prodml', 'tune', 'baby_weight', first.study));
    const study = JSON.parse(fs.readFileSync(path.join(first.dir, 'study.json'), 'utf8'));
    assert.equal(study.study, first.study);
    assert.equal(study.data.files.length, 12);
    const lines = fs.readFileSync(path.join(first.dir, 'trials.jsonl'), 'utf8').trim().split('\n');
    assert.deepEqual(lines.map((l) => JSON.parse(l).trial), [...Array(TRIALS).keys()]);
  });

  test('a rerun resumes the study: nothing is retrained; a bigger budget trains only the new trials', async () => {
    const again = await tuneModel(ws, 'baby_weight', { trials: TRIALS });
    assert.equal(again.study, first.study);
    assert.equal(again.trained, 0);
    assert.deepEqual(again.trials, first.trials);

    const more = await tuneModel(ws, 'baby_weight', { trials: TRIALS + 2 });
    assert.equal(more.trained, 2);
    assert.deepEqual(more.trials.slice(0, TRIALS), first.trials);
    assert.deepEqual(more.trials.slice(TRIALS).map((t) => t.trial), [TRIALS, TRIALS + 1]);
    assert.deepEqual((await loadStudyResult(ws, 'baby_weight', first.study)).trials, more.trials);
  });

  test('a cancelled study keeps its finished trials; the rerun trains the rest and reaches the same trials', async () => {
    // Cancel in the middle of a trial, between epochs: one that went past its first rung.
    const k = first.trials.find((t) => t.trial > 0 && t.epochs.length >= 3)!.trial;
    const abort = new AbortController();
    const finished: number[] = [];
    await assert.rejects(
      tuneModel(ws, 'baby_weight', {
        trials: TRIALS,
        study: 'cancelled',
        signal: abort.signal,
        onTrial: (t) => finished.push(t.trial),
        onProgress: (p) => (p.trial === k && p.epoch === 2 ? abort.abort() : undefined),
      }),
      (e) => isProdmlError(e) && e.kind === 'cancelled',
    );
    assert.deepEqual(finished, [...Array(k).keys()]);
    const dir = path.join(ws, '.prodml', 'tune', 'baby_weight', 'cancelled');
    assert.equal(fs.readFileSync(path.join(dir, 'trials.jsonl'), 'utf8').trim().split('\n').length, k);

    const resumed = await tuneModel(ws, 'baby_weight', { trials: TRIALS, study: 'cancelled' });
    assert.equal(resumed.trained, TRIALS - k);
    // The same seed draws the same configurations, and a seeded trainer trains them to the same results.
    assert.deepEqual(resumed.trials.map(outcome), first.trials.map(outcome));
  });

  test('a time budget ends the run: the trial it cut short is not recorded and the next run trains it', async () => {
    const timed = await tuneModel(ws, 'baby_weight', { trials: TRIALS, minutes: 0.005, study: 'timed' });
    assert.equal(timed.stop_reason, 'minutes');
    assert.ok(timed.trials.length < TRIALS, `${timed.trials.length} trials in 0.3 s`);
    const file = path.join(timed.dir, 'trials.jsonl');
    const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
    assert.equal(lines.length, timed.trials.length);
    const rest = await tuneModel(ws, 'baby_weight', { trials: TRIALS, study: 'timed' });
    assert.equal(rest.trained, TRIALS - timed.trials.length);
    assert.deepEqual(rest.trials.map(outcome), first.trials.map(outcome));
  });

  test('registerBestTrial trains the best configuration on the whole training split and points candidate at it, not production', async () => {
    const production = await trainFromConfig(ws, 'baby_weight');
    const registry = await openRegistry(ws);
    await registry.promote('baby_weight', production.version, 'production');

    const study = await loadStudyResult(ws, 'baby_weight', first.study);
    const r = await registerBestTrial(ws, 'baby_weight', first.study);
    assert.equal(r.trial.trial, study.best!.trial);
    assert.ok(r.outcome.blessed);
    assert.equal(r.alias?.alias, 'candidate');
    const candidate = await registry.getVersion('baby_weight', '@candidate');
    assert.equal(candidate.version, r.outcome.version);
    assert.equal((await registry.getVersion('baby_weight', '@production')).version, production.version);
    const params = candidate.card.params as { model: unknown; training: { learning_rate: number; batch_size: number }; tuning: { study: string; trial: number; metric: string } };
    assert.deepEqual(params.tuning, { ...params.tuning, study: first.study, trial: study.best!.trial, metric: 'rmse' });
    assert.deepEqual(params.model, study.best!.model);
    assert.equal(params.training.learning_rate, study.best!.training.learning_rate);
    assert.equal(params.training.batch_size, study.best!.training.batch_size);
    // Trained on the whole training split, as `prodml train` trains.
    assert.equal(r.outcome.rows.train, production.rows.train);
    const history = await registry.history('baby_weight');
    assert.match(history.at(-1)!.reason, new RegExp(`best trial ${study.best!.trial} of tuning study ${first.study}`));
  });

  test('the charts render: parameters against the metric, parallel coordinates, the metric per epoch with the stopped trials cut short', async () => {
    const charts = tuneCharts(first, 600);
    for (const spec of Object.values(charts)) assert.match(await renderSvg(spec), /^<svg/);
    const params = await renderSvg(charts.params);
    assert.match(params, /learning_rate \(log scale\)/);
    assert.match(params, /hidden/);
    const epochs = charts.epochs as { layer: { data: { values: { trial: number; epoch: number }[] } }[] };
    const lines = epochs.layer[1]!.data.values;
    for (const t of first.trials.filter((x) => x.status === 'stopped')) {
      assert.equal(Math.max(...lines.filter((v) => v.trial === t.trial).map((v) => v.epoch)), t.stopped_at);
    }
    assert.deepEqual(epochs.layer[0]!.data.values.map((v) => v.epoch), first.rungs);
  });
});

describe('prodml tune (CLI from source)', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/cli/main.ts'), 'tune', ...args, '--workspace', ws], { cwd: REPO, encoding: 'utf8', timeout: 300_000 });

  test('--json resumes the study and prints it; the text output ranks the trials and shows the best configuration', () => {
    const r = cli('baby_weight', '--trials', String(TRIALS + 2), '--json');
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as TuneResult;
    assert.equal(doc.study, first.study);
    assert.equal(doc.trained, 0);
    assert.equal(doc.trials.length, TRIALS + 2);
    assert.equal(doc.best!.trial, (doc.trials.slice().sort((a, b) => (a.metric ?? Infinity) - (b.metric ?? Infinity)))[0]!.trial);

    const text = cli('--trials', String(TRIALS + 2));
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /rank\s+trial\s+status\s+rmse\s+epochs\s+learning_rate\s+batch_size\s+hidden\s+dropout/);
    assert.match(text.stdout, new RegExp(`Best: trial ${doc.best!.trial}, rmse`));
    assert.match(text.stdout, /^ {4}model: \{type: dnn, hidden: \[\d+(, \d+)*\]/m);
    assert.match(text.stdout, /stopped@\d/);
  });

  test('bad usage is exit 2 with a clear message', () => {
    const trials = cli('--trials', '0');
    assert.equal(trials.status, 2);
    assert.match(trials.stderr, /option '--trials <n>' argument '0' is invalid\. Give a whole number of trials, 1 or more \(got 0\)\./);
    const model = cli('nope');
    assert.equal(model.status, 2);
    assert.match(model.stderr, /prodml\.yaml: has no model "nope" \(models: baby_weight\)/);
  });
});
