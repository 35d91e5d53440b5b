/**
 * runPipeline: one run of the prodml.yaml pipeline, steps in dependency order (dag.ts). A step
 * whose inputs did not change since its last successful run, and whose outputs are still there,
 * is skipped and its outputs carried over; a failed step blocks the ones after it and leaves
 * everything in place, so a rerun resumes where this one stopped. The record is rewritten (temp
 * file + rename) at every change under the workspace's run lock: `.prodml/runs/<id>/run.json`.
 */
import os from 'node:os';
import path from 'node:path';
import { badInput, cancelled, isProdmlError } from '../errors';
import { VERSION } from '../project/version';
import { fmtNum, metricLabel } from '../report/format';
import { loadProjectConfig, type ProjectConfig } from '../project/config';
import { dependenciesMet, stepsUpTo } from './dag';
import { ingestStep } from './ingestStep';
import { parsePipeline, type PipelineConfig } from '../project/pipelineBlock';
import { promoteStep } from './promoteStep';
import { appendStepLog, closeAbandonedRuns, listRuns, newRunId, stepLogPath, withRunLock, writeRun } from './runStore';
import type { PipelineProgress, RunRecord, RunStatus, RunTrigger, StepErrorKind, StepName, StepRecord } from './runTypes';
import type { StepContext, StepDefinition, StepOutcome } from './stepTypes';
import { runTrainingUnit, trainInputs, trainUpToDate } from './trainUnit';
import { validateStep } from './validateStep';

export interface RunOptions {
  /** Run up to and including this step (default: all of them). */
  step?: StepName;
  signal?: AbortSignal;
  onProgress?: (p: PipelineProgress) => void;
  trigger?: RunTrigger;
  /**
   * Awaited as each step starts (after its inputs were hashed); throwing fails that step like any
   * error inside it. For front ends that pause between steps, and for tests.
   */
  beforeStep?: (step: StepName, record: RunRecord) => void | Promise<void>;
}

/** Relative share of a run's time, for the overall progress fraction. */
const WEIGHT: Record<StepName, number> = { ingest: 0.05, validate: 0.15, train: 0.6, evaluate: 0.1, register: 0.05, promote: 0.05 };
const GATE_TEXT: Partial<Record<RunStatus, string>> = {
  quarantined: 'validation quarantined a new batch',
  invalid_data: 'data in the dataset fails its schema',
  not_blessed: 'the version is not blessed',
};
const SIMPLE_STEPS: Partial<Record<StepName, StepDefinition>> = { ingest: ingestStep, validate: validateStep, promote: promoteStep };

/** The pipeline block of prodml.yaml with defaults, or the defaults alone when there is none. */
export async function loadPipeline(root: string): Promise<{ project: ProjectConfig; pipeline: PipelineConfig }> {
  const project = await loadProjectConfig(root);
  if (!project) throw badInput(path.join(root, 'prodml.yaml'), 'not found: the pipeline is configured in prodml.yaml at the workspace root');
  return { project, pipeline: project.pipeline ?? parsePipeline(project.file, {}, project.models) };
}

export async function runPipeline(root: string, opts: RunOptions = {}): Promise<RunRecord> {
  root = path.resolve(root);
  const { project, pipeline } = await loadPipeline(root);
  const model = project.models.find((m) => m.name === pipeline.model)!;
  const names = stepsUpTo(opts.step ?? 'promote');
  return withRunLock(root, async () => {
    await closeAbandonedRuns(root);
    const history = (await listRuns(root)).filter((r) => r.model === model.name);
    const started = new Date();
    const id = newRunId(started);
    const record: RunRecord = {
      id,
      model: model.name,
      trigger: opts.trigger ?? 'manual',
      target: names.at(-1)!,
      status: 'running',
      summary: 'running',
      started_at: started.toISOString(),
      pid: process.pid,
      host: os.hostname(),
      tool_version: VERSION,
      steps: names.map((name) => ({ name, status: 'pending', inputs: {}, outputs: {}, messages: [], log: path.relative(root, stepLogPath(root, id, name)).split(path.sep).join('/') })),
    };
    const step = (name: StepName) => record.steps.find((s) => s.name === name);
    const save = () => writeRun(root, record);
    await save();

    const totalWeight = names.reduce((a, n) => a + WEIGHT[n], 0);
    const doneWeight = (upTo: StepName) => names.slice(0, names.indexOf(upTo)).reduce((a, n) => a + WEIGHT[n], 0);
    const report = (name: StepName, fraction: number, phase: string) =>
      opts.onProgress?.({ fraction: Math.min(1, (doneWeight(name) + WEIGHT[name] * Math.max(0, Math.min(1, fraction))) / totalWeight), phase, step: name, status: step(name)!.status, run: id });

    const ctxFor = (name: StepName): StepContext => ({
      root,
      runId: id,
      project,
      model,
      pipeline,
      signal: opts.signal,
      log: (text) => appendStepLog(root, id, name, text),
      progress: (f, phase) => report(name, f, phase),
      current: (s) => step(s),
    });
    const begin = async (s: StepRecord) => {
      s.status = 'running';
      s.started_at = new Date().toISOString();
      await save();
      report(s.name, 0, `${s.name}: started`);
    };
    const finish = async (s: StepRecord, o: Pick<StepOutcome, 'status' | 'outputs' | 'messages'>) => {
      s.status = o.status;
      s.outputs = o.outputs;
      s.messages = o.messages;
      const end = new Date();
      if (s.started_at) {
        s.finished_at = end.toISOString();
        s.duration_ms = end.getTime() - Date.parse(s.started_at);
      }
      await appendStepLog(root, id, s.name, `${o.status.toUpperCase()}${o.messages.length ? `: ${o.messages.join('; ')}` : ''}`);
      await save();
      report(s.name, 1, `${s.name}: ${o.status}${o.messages[0] ? ` (${o.messages[0]})` : ''}`);
    };
    const fail = async (s: StepRecord, e: unknown) => {
      const kind: StepErrorKind = isProdmlError(e) ? (e.kind === 'cancelled' ? 'cancelled' : 'bad_input') : 'internal';
      const message = e instanceof Error ? e.message : String(e);
      s.error = { kind, message };
      if (kind === 'internal' && e instanceof Error && e.stack) await appendStepLog(root, id, s.name, e.stack);
      await finish(s, { status: 'failed', outputs: s.outputs, messages: [message] });
    };
    /** The newest earlier record of a step that succeeded (ran ok, or was itself skipped as up to date). */
    const lastGood = (name: StepName): { run: RunRecord; record: StepRecord } | undefined => {
      for (const run of history) {
        const s = run.steps.find((x) => x.name === name);
        if (s && (s.status === 'ok' || s.status === 'skipped') && !(s.status === 'skipped' && !s.reused_from && Object.keys(s.outputs).length === 0)) return { run, record: s };
      }
      return undefined;
    };
    const skipAsUpToDate = async (s: StepRecord, prev: { run: RunRecord; record: StepRecord }, why: string) => {
      s.reused_from = prev.record.reused_from ?? prev.run.id;
      await finish(s, { status: 'skipped', outputs: prev.record.outputs, messages: [why] });
    };

    let gate: RunStatus | undefined;
    let failedStep: StepRecord | undefined;
    for (const name of names) {
      const s = step(name)!;
      if (s.status !== 'pending') continue; // done as part of the training unit
      if (failedStep || gate || !dependenciesMet(name, (d) => step(d)?.status)) {
        s.status = 'blocked';
        s.messages = [`not run: ${failedStep ? `${failedStep.name} failed` : gate ? GATE_TEXT[gate] : 'a step it needs did not succeed'}`];
        await save();
        continue;
      }
      const ctx = ctxFor(name);
      try {
        if (opts.signal?.aborted) throw cancelled();
        if (name === 'train' || name === 'evaluate' || name === 'register') {
          await trainingUnit(ctx);
          continue;
        }
        const def = SIMPLE_STEPS[name]!;
        s.inputs = await def.inputs(ctx);
        const prev = lastGood(name);
        if (prev && (await def.upToDate(ctx, s.inputs, prev.record))) {
          await skipAsUpToDate(s, prev, Object.keys(s.inputs).length === 0 ? 'nothing to do' : `inputs unchanged since run ${prev.record.reused_from ?? prev.run.id}`);
          continue;
        }
        await begin(s);
        await opts.beforeStep?.(name, record);
        const learned = def.learnsFromFailed ? history.flatMap((h) => h.steps.filter((x) => x.name === name && (x.status === 'ok' || x.status === 'failed') && !x.error))[0] : undefined;
        const o = await def.run(ctx, s.inputs, learned ?? prev?.record);
        await finish(s, o);
        if (o.gate) gate = o.gate;
        else if (o.status === 'failed') failedStep = s;
      } catch (e) {
        const running = record.steps.find((x) => x.status === 'running') ?? s;
        await fail(running, e);
        failedStep = running;
      }
    }

    /** train → evaluate → register, skipped together when the last version still stands. */
    async function trainingUnit(ctx: StepContext): Promise<void> {
      const unit = (['train', 'evaluate', 'register'] as const).map((n) => step(n)!);
      const [train, evaluate, register] = unit as [StepRecord, StepRecord, StepRecord];
      train.inputs = await trainInputs(ctx);
      evaluate.inputs = { model: 'trained in this run' };
      const prevTrain = lastGood('train');
      const prevRegister = prevTrain ? prevTrain.run.steps.find((x) => x.name === 'register') : undefined;
      if (prevTrain && (await trainUpToDate(ctx, train.inputs, prevTrain.record, prevRegister))) {
        const from = prevTrain.record.reused_from ?? prevTrain.run.id;
        await skipAsUpToDate(train, prevTrain, `data, schema and config unchanged since run ${from}; ${String(prevRegister!.outputs['ref'])} still registered`);
        for (const other of [evaluate, register]) {
          const prev = prevTrain.run.steps.find((x) => x.name === other.name)!;
          other.inputs = prev.inputs;
          await skipAsUpToDate(other, { run: prevTrain.run, record: prev }, `skipped with train (run ${from})`);
        }
        return;
      }
      const out = await runTrainingUnit(ctx, {
        begin: async (n) => {
          const r = step(n)!;
          const before = unit[unit.indexOf(r) - 1];
          if (before && before.status === 'running') await finish(before, { status: 'ok', outputs: {}, messages: [] });
          if (n === 'register') register.inputs = { model: 'evaluated in this run' };
          await begin(r);
          if (n === 'train') await opts.beforeStep?.('train', record);
        },
        progress: (n, f, phase) => report(n, f, phase),
        log: (n, text) => appendStepLog(root, id, n, text),
      });
      for (const r of unit) {
        // Outputs are known only once the version is registered; times were kept as each began.
        if (r.status === 'running' || r.status === 'pending') {
          if (r.status === 'pending') r.started_at = new Date().toISOString();
          await finish(r, { status: 'ok', outputs: out[r.name as 'train'], messages: out.messages[r.name as 'train'] });
        } else {
          r.outputs = out[r.name as 'train'];
          r.messages = out.messages[r.name as 'train'];
        }
      }
      await save();
    }

    const end = new Date();
    record.finished_at = end.toISOString();
    record.duration_ms = end.getTime() - started.getTime();
    record.status = failedStep ? (failedStep.error?.kind === 'cancelled' ? 'cancelled' : 'failed') : (gate ?? 'succeeded');
    record.summary = summarize(record);
    await save();
    opts.onProgress?.({ fraction: 1, phase: record.summary, step: names.at(-1)!, status: step(names.at(-1)!)!.status, run: id });
    return record;
  });
}

/** One line for notifications and the terminal. */
export function summarize(r: RunRecord): string {
  const s = (n: StepName) => r.steps.find((x) => x.name === n);
  const failed = r.steps.find((x) => x.status === 'failed' && x.error);
  if (r.status === 'cancelled') return `cancelled during ${failed?.name ?? 'the run'}; a rerun resumes`;
  if (r.status === 'failed') return `${failed?.name ?? 'a step'} failed: ${failed?.error?.message ?? 'see its log'}; a rerun resumes`;
  const val = s('validate');
  const quarantined = (val?.outputs['quarantined'] as { file: string }[] | undefined) ?? [];
  const admitted = (val?.status === 'ok' || val?.status === 'failed' ? (val.outputs['admitted'] as unknown[] | undefined) : undefined) ?? [];
  if (r.status === 'quarantined') {
    return `quarantined ${quarantined.map((q) => path.basename(q.file)).join(', ')}${admitted.length ? `; admitted ${admitted.length} good batch${admitted.length === 1 ? '' : 'es'}` : ''}; training did not run`;
  }
  if (r.status === 'invalid_data') return `data already in the dataset fails its schema (${((val?.outputs['invalid'] as { file: string }[]) ?? []).map((i) => i.file).join(', ')}); training did not run`;
  const reg = s('register');
  const ev = s('evaluate');
  const ref = reg?.outputs['ref'] as string | undefined;
  if (r.status === 'not_blessed') return `${ref} is not blessed: registered, not promoted`;
  if (r.steps.every((x) => x.status === 'skipped')) return `nothing changed: every step skipped${ref ? ` (${ref} stands)` : ''}`;
  const parts: string[] = [];
  if (admitted.length) parts.push(`ingested ${admitted.length} batch${admitted.length === 1 ? '' : 'es'}`);
  else if (val?.status === 'ok') parts.push('the dataset passes validation');
  if (reg?.status === 'ok') {
    const metrics = ev?.outputs['metrics'] as Record<string, number> | undefined;
    const key = metrics ? Object.keys(metrics)[0] : undefined;
    parts.push(`registered ${ref}${key ? ` (${metricLabel(key)} ${fmtNum(metrics![key]!)})` : ''}, ${ev?.outputs['blessed'] ? 'blessed' : 'not blessed'}`);
  } else if (ref) parts.push(`${ref} unchanged`);
  const pro = s('promote');
  if (pro?.status === 'ok') parts.push(`promoted to ${String(pro.outputs['alias'])}`);
  return parts.join('; ') || 'done';
}
