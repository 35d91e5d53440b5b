/**
 * train, evaluate and register: one call of trainFromConfig (the same path as `prodml train`),
 * recorded as three steps with their own times and outputs. They run as a unit because the
 * trained weights live in memory until they are registered.
 */
import path from 'node:path';
import { openRegistry } from '../registry';
import { trainFromConfig, type TrainOutcome, type TrainProgress } from '../train/run';
import { fileHash, sameInputs, valueHash } from './hashing';
import type { StepContext } from './stepTypes';
import type { StepRecord } from './runTypes';
import { modelDataHashes } from './validateStep';

/** The training data (by content), the schema snapshot the version keeps, and the model's config section. */
export async function trainInputs(ctx: StepContext): Promise<Record<string, string>> {
  const m = ctx.model;
  const out: Record<string, string> = { ...(await modelDataHashes(ctx)) };
  if (m.dataset.schema) out[`schema:${m.dataset.schema}`] = await fileHash(path.resolve(ctx.root, m.dataset.schema)).catch(() => 'missing');
  // A model trained elsewhere: a new file is a new version.
  if (m.source) out[`onnx:${m.source.onnx}`] = await fileHash(path.resolve(ctx.root, m.source.onnx)).catch(() => 'missing');
  out[`config:models.${m.name}`] = valueHash(m);
  return out;
}

/** Same inputs as the last version trained, and that version is still in the registry. */
export async function trainUpToDate(ctx: StepContext, inputs: Record<string, string>, previousTrain: StepRecord, previousRegister: StepRecord | undefined): Promise<boolean> {
  if (!sameInputs(inputs, previousTrain.inputs)) return false;
  const version = previousRegister?.outputs['version'];
  if (typeof version !== 'number') return false;
  const registry = await openRegistry(ctx.root);
  return registry.getVersion(ctx.model.name, version).then(
    () => true,
    () => false,
  );
}

export interface UnitHooks {
  /** A step of the unit starts; the previous one (if any) finished ok at that moment. */
  begin(step: 'train' | 'evaluate' | 'register'): Promise<void>;
  progress(step: 'train' | 'evaluate' | 'register', fraction: number, phase: string): void;
  log(step: 'train' | 'evaluate' | 'register', text: string): Promise<void>;
}

export interface UnitOutputs {
  train: Record<string, unknown>;
  evaluate: Record<string, unknown>;
  register: Record<string, unknown>;
  messages: { train: string[]; evaluate: string[]; register: string[] };
}

/** Runs the unit; on failure, the step that was running is the one that failed (hooks were told which). */
export async function runTrainingUnit(ctx: StepContext, hooks: UnitHooks): Promise<UnitOutputs> {
  let phase: 'train' | 'evaluate' | 'register' = 'train';
  let queue = Promise.resolve();
  const later = (fn: () => Promise<void>) => {
    queue = queue.then(fn, fn);
  };
  await hooks.begin('train');
  const onProgress = (p: TrainProgress) => {
    if (p.phase === 'training') {
      hooks.progress('train', p.epoch / p.epochs, `Training ${ctx.model.name}: epoch ${p.epoch}/${p.epochs}`);
      later(() => hooks.log('train', `epoch ${p.epoch}/${p.epochs}: loss ${fmt(p.loss)}, eval loss ${fmt(p.evalLoss)}`));
      return;
    }
    if (p.phase === 'epoch-rows') {
      hooks.progress('train', (p.epoch - 1 + p.rowsDone / p.rows) / p.epochs, `Training ${ctx.model.name}: ${p.message}`);
      return;
    }
    const next = p.phase === 'evaluating' ? 'evaluate' : p.phase === 'registering' ? 'register' : phase;
    const begins = next !== phase;
    phase = next;
    // In order with the record updates, so progress never runs ahead of the step it names.
    later(async () => {
      if (begins) await hooks.begin(next);
      hooks.progress(next, 0, p.message);
      await hooks.log(next, p.message);
    });
  };
  let outcome: TrainOutcome;
  try {
    outcome = await trainFromConfig(ctx.root, ctx.model.name, { signal: ctx.signal, onProgress });
  } finally {
    await queue;
  }
  const ref = `${outcome.model}:${outcome.version}`;
  const failed = (outcome.evaluation.blessing?.checks ?? []).filter((c) => !c.passed).map((c) => c.description);
  const key = Object.keys(outcome.metrics)[0];
  await hooks.log('evaluate', (outcome.evaluation.blessing?.checks ?? []).map((c) => `${c.passed ? 'passed' : 'FAILED'}: ${c.description}`).join('\n') || 'no blessing checks configured');
  await hooks.log('register', `registered ${ref}${outcome.blessed ? ' (blessed)' : ' (NOT blessed)'}`);
  return {
    train: { backend: outcome.backend, epochs: outcome.history.length, rows: outcome.rows, final_loss: outcome.history.at(-1)?.loss ?? null },
    evaluate: {
      metrics: outcome.metrics,
      baseline_metrics: outcome.evaluation.baseline.metrics,
      blessed: outcome.blessed,
      checks: (outcome.evaluation.blessing?.checks ?? []).map((c) => ({ metric: c.metric, passed: c.passed, description: c.description })),
    },
    register: { model: outcome.model, version: outcome.version, ref, blessed: outcome.blessed, ...(failed.length ? { failed_checks: failed } : {}) },
    messages: {
      train: [`trained on ${outcome.rows.train.toLocaleString('en-US')} rows for ${outcome.history.length} epochs (${outcome.backend})`],
      evaluate: [
        `${key ? `${key} ${fmt(outcome.metrics[key]!)} on ${outcome.rows.eval.toLocaleString('en-US')} held-out rows; ` : ''}${outcome.blessed ? 'blessed' : `not blessed: ${failed.join('; ')}`}`,
      ],
      register: [`registered ${ref}`],
    },
  };
}

function fmt(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4);
}
