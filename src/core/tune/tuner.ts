/**
 * `prodml tune`: random search with asynchronous successive halving over a model's
 * hyperparameters, every trial trained by the real trainer in this process (the extension calls
 * it in its engine process, off the extension host). Each finished trial is appended to the
 * study's trials.jsonl, so a rerun (or a larger budget) continues the study and never retrains
 * a finished trial.
 */
import path from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { badInput, cancelled, isProdmlError } from '../errors';
import { scalarMetrics, taskDataOf } from '../evaluate/metrics';
import { loadProjectConfig, type ModelConfig } from '../project/config';
import { withModelLock } from '../registry/lock';
import { loadTf, type BackendName } from '../train/backend';
import { modelConfig } from '../project/workspace';
import { predict, trainModel } from '../train/trainer';
import { lossOf, rungEpochs, rungValue, Rungs } from './halving';
import { resolveTuneSettings } from './settings';
import { applyParams, sampleParams, trainParams, type TrialParams } from './space';
import { appendTrial, fingerprintOf, readStudy, readTrials, studyDir, studyIdOf, writeStudy } from './study';
import { loadTuningData, type TuningData } from './trialData';
import type { StudyRecord, TrialEpoch, TrialRecord, TuneProgress, TuneResult, TuneSettings, TuneStopReason } from './types';

export interface TuneOptions {
  signal?: AbortSignal;
  /** Each trial as it finishes (trained by this call). */
  onTrial?: (trial: TrialRecord) => void;
  onProgress?: (p: TuneProgress) => void;
  /** Override the tune block's budget: the study's size in trials, this run's minutes. */
  trials?: number;
  minutes?: number;
  /** Resume or name a study; default: the id derived from the model, its settings and its data. */
  study?: string;
  backend?: BackendName;
}

export async function tuneModel(root: string, modelName: string | undefined, opts: TuneOptions = {}): Promise<TuneResult> {
  const started = Date.now();
  const project = await loadProjectConfig(root);
  if (!project) throw badInput(path.join(root, 'prodml.yaml'), 'not found: tuning is configured in prodml.yaml at the workspace root');
  const m = modelConfig(project, modelName);
  const settings = resolveTuneSettings(project.file, m, m.tune, { trials: opts.trials, minutes: opts.minutes });
  const say = (fraction: number, phase: string, extra: Partial<TuneProgress> = {}) => opts.onProgress?.({ fraction: Math.min(1, fraction), phase, ...extra });

  say(0, `Reading ${m.dataset.path.join(', ')}`);
  const data = await loadTuningData(project, m, settings.validation_fraction, opts.signal);
  const { trials: _trials, minutes: _minutes, ...shaping } = settings;
  const rungs = rungEpochs(settings.halving.min_epochs, settings.halving.reduction_factor, settings.max_epochs);
  const fingerprint = fingerprintOf({ model: modelSection(m), settings: shaping, data: data.files });
  const id = opts.study ?? studyIdOf(fingerprint);
  const dir = studyDir(root, m.name, id);

  const run = async (): Promise<TuneResult> => {
    const existing = await readStudy(dir);
    if (existing && existing.fingerprint !== fingerprint) {
      throw badInput(path.join(dir, 'study.json'), `study ${id} was run with other settings or data (its model section, tune block or data files changed); run \`prodml tune\` without --study to start a study for the current ones`);
    }
    const study: StudyRecord = existing ?? {
      study: id,
      model: m.name,
      created_at: new Date().toISOString(),
      settings: shaping,
      rungs,
      fingerprint,
      data: { files: data.files, train_rows: data.train.y.length, validation_rows: data.validation.y.length },
      task: m.task,
    };
    if (!existing) await writeStudy(dir, study);

    const done = await readTrials(dir);
    const halving = new Rungs(rungs, settings.direction, settings.halving.reduction_factor);
    for (const t of [...done.values()].sort((a, b) => a.trial - b.trial)) halving.replay(t);

    const { tf } = await loadTf(opts.backend);
    let trained = 0;
    let stopReason: TuneStopReason = 'trials';
    const deadline = settings.minutes !== undefined ? started + settings.minutes * 60_000 : Infinity;
    const fractionAt = (finished: number, epochFraction = 0) =>
      Math.max((finished + epochFraction) / settings.trials, settings.minutes !== undefined ? (Date.now() - started) / (settings.minutes * 60_000) : 0);

    for (let i = 0; i < settings.trials; i++) {
      if (done.has(i)) continue;
      if (opts.signal?.aborted) throw cancelled();
      if (Date.now() >= deadline) {
        stopReason = 'minutes';
        break;
      }
      const params: TrialParams = i === 0 && settings.include_default ? {} : sampleParams(settings.space, settings.seed, i);
      const finishedBefore = done.size;
      const record = await runTrial(tf, m, settings, data, halving, i, params, {
        signal: opts.signal,
        deadline,
        onEpoch: (epoch, metric) =>
          say(fractionAt(finishedBefore, epoch / settings.max_epochs), `Trial ${i + 1}/${settings.trials}: epoch ${epoch}/${settings.max_epochs}, ${settings.metric} ${metric === null ? '—' : metric.toPrecision(4)}`, { trial: i, epoch }),
      });
      if (record === 'out of time') {
        stopReason = 'minutes';
        break;
      }
      await appendTrial(dir, record);
      done.set(i, record);
      trained++;
      opts.onTrial?.(record);
      say(fractionAt(done.size), `Trial ${i + 1}/${settings.trials} ${record.status}: ${settings.metric} ${record.metric === null ? '—' : record.metric.toPrecision(4)}`, { trial: i });
    }
    say(1, 'Done');
    return resultOf(study, dir, [...done.values()], { trained, stop_reason: stopReason, seconds: (Date.now() - started) / 1000 });
  };

  try {
    // One tuner per study at a time: two would train the same trials and both append them.
    return await withModelLock(dir, `tuning ${m.name}`, run, 2000);
  } catch (e) {
    if (isProdmlError(e) && e.kind === 'bad_input' && /is locked by/.test(e.message)) {
      throw badInput(undefined, `tuning study ${id} of ${m.name} is running in another process: ${e.message.replace(/^model '[^']*' /, '')}`);
    }
    throw e;
  }
}

/** The parts of a model's prodml.yaml section that change what a trial learns. */
function modelSection(m: ModelConfig): unknown {
  return { dataset: m.dataset.name, task: m.task, label: m.label, features: m.features, split: m.split, weighting: m.weighting, model: m.model, training: m.training };
}

async function runTrial(
  tf: typeof TF,
  m: ModelConfig,
  settings: TuneSettings,
  data: TuningData,
  halving: Rungs,
  trial: number,
  params: TrialParams,
  opts: { signal?: AbortSignal; deadline: number; onEpoch: (epoch: number, metric: number | null) => void },
): Promise<TrialRecord | 'out of time'> {
  const t0 = Date.now();
  const { model, training } = applyParams(m, params, settings.max_epochs);
  const epochs: TrialEpoch[] = [];
  let stoppedAt: number | undefined;
  // The trainer checks its signal between batches: the caller's cancel and the time budget both end a trial through it.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  opts.signal?.addEventListener('abort', onAbort);
  const timer = Number.isFinite(opts.deadline) ? setTimeout(() => stop.abort(), Math.max(0, opts.deadline - Date.now())) : undefined;
  let seen: TF.LayersModel | undefined;
  const base = { trial, source: trial === 0 && settings.include_default ? ('default' as const) : ('random' as const), params, model, training };
  try {
    const result = await trainModel(
      tf,
      { task: data.task, classes: data.classes, model, params: trainParams(training, m.training.seed), train: data.train, eval: data.validation },
      (r, current) => {
        seen = current;
        const metric = metricOf(tf, current, data, settings.metric);
        epochs.push({ epoch: r.epoch, loss: r.loss, eval_loss: r.evalLoss, metric });
        opts.onEpoch(r.epoch, metric);
        if (!halving.isRung(r.epoch)) return undefined;
        if (halving.judge(r.epoch, rungValue(epochs, r.epoch)) === 'continue') return undefined;
        stoppedAt = r.epoch;
        return 'stop';
      },
      stop.signal,
    );
    result.model.dispose();
    seen = undefined;
    const metric = epochs.find((e) => e.epoch === result.bestEpoch)?.metric ?? null;
    const ok = metric !== null && Number.isFinite(metric);
    return {
      ...base,
      status: !ok ? 'failed' : stoppedAt !== undefined ? 'stopped' : 'completed',
      metric: ok ? metric : null,
      best_epoch: result.bestEpoch,
      epochs,
      ...(stoppedAt !== undefined ? { stopped_at: stoppedAt } : {}),
      ...(!ok ? { error: `no finite ${settings.metric} on the validation rows (the loss diverged?)` } : {}),
      seconds: (Date.now() - t0) / 1000,
      finished_at: new Date().toISOString(),
    };
  } catch (e) {
    seen?.dispose();
    if (isProdmlError(e) && e.kind === 'cancelled') {
      if (opts.signal?.aborted) throw e;
      return 'out of time';
    }
    return {
      ...base,
      status: 'failed',
      metric: null,
      best_epoch: 0,
      epochs,
      error: e instanceof Error ? e.message : String(e),
      seconds: (Date.now() - t0) / 1000,
      finished_at: new Date().toISOString(),
    };
  } finally {
    if (timer) clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** The study's metric for the model as it is now, on the validation rows; null when undefined. */
function metricOf(tf: typeof TF, model: TF.LayersModel, data: TuningData, metric: string): number | null {
  const out = predict(tf, model, data.validation.x, data.validation.width);
  const y = data.validation.y;
  const task = taskDataOf(data.task, y, out, data.classes);
  // A diverged model's NaN outputs would trip the metric functions' input checks.
  if (out.some((v) => !Number.isFinite(v))) return null;
  const v = (scalarMetrics(task) as Record<string, number>)[metric];
  return v !== undefined && Number.isFinite(v) ? v : null;
}

/** A study's trials ranked: finished ones by metric, best first; failed ones last. */
export function rankTrials(trials: readonly TrialRecord[], direction: TuneSettings['direction']): TrialRecord[] {
  const key = (t: TrialRecord) => (t.metric === null ? Infinity : lossOf(direction, t.metric));
  return [...trials].sort((a, b) => key(a) - key(b) || a.trial - b.trial);
}

export function resultOf(study: StudyRecord, dir: string, trials: TrialRecord[], run: { trained: number; stop_reason: TuneStopReason; seconds: number }): TuneResult {
  const ordered = [...trials].sort((a, b) => a.trial - b.trial);
  const best = rankTrials(ordered, study.settings.direction)[0];
  const def = ordered.find((t) => t.source === 'default');
  return {
    model: study.model,
    study: study.study,
    dir,
    metric: study.settings.metric,
    direction: study.settings.direction,
    space: study.settings.space,
    rungs: study.rungs,
    trials: ordered,
    ...(best && best.metric !== null ? { best } : {}),
    ...(def ? { default: def } : {}),
    trained: run.trained,
    stop_reason: run.stop_reason,
    rows: { train: study.data.train_rows, validation: study.data.validation_rows },
    seconds: run.seconds,
  };
}
