import { loadStudyResult, registerBestTrial as registerBest, tuneModel, type RegisteredTrial } from '../tune';
import type { TrialRecord, TuneResult } from '../tune/types';
import { requireProject, type Workspace } from '../project/workspace';
import type { OpContext } from './context';
import { trainProgress } from './train';

export interface TuneRequest {
  model?: string;
  /** The study's size in trials (overrides the tune block). */
  trials?: number;
  /** This run's budget in minutes. */
  minutes?: number;
  /** Resume or name a study. */
  study?: string;
  /** Each trial as it finishes. */
  onTrial?: (trial: TrialRecord) => void;
}

export type { RegisteredTrial, TrialRecord, TuneResult };

/** Random search with successive halving over the model's `tune:` block; resumable. */
export function tune(ws: Workspace, req: TuneRequest, ctx: OpContext = {}): Promise<TuneResult> {
  requireProject(ws, 'tuning');
  return tuneModel(ws.root, req.model, {
    signal: ctx.signal,
    ...(req.trials !== undefined ? { trials: req.trials } : {}),
    ...(req.minutes !== undefined ? { minutes: req.minutes } : {}),
    ...(req.study !== undefined ? { study: req.study } : {}),
    onProgress: (p) => ctx.progress?.({ fraction: p.fraction, phase: p.phase }),
    ...(req.onTrial ? { onTrial: req.onTrial } : {}),
  });
}

/** A study as it stands on disk (the newest of the model's, unless named). */
export function studyResult(ws: Workspace, req: { model: string; study?: string }): Promise<TuneResult> {
  return loadStudyResult(ws.root, req.model, req.study);
}

/** Retrains the best trial on the whole training split and points `candidate` at it when blessed. */
export function registerBestTrial(ws: Workspace, req: { model: string; study?: string }, ctx: OpContext = {}): Promise<RegisteredTrial> {
  return registerBest(ws.root, req.model, req.study, { signal: ctx.signal, onProgress: ctx.progress ? (p) => ctx.progress!(trainProgress(p)) : undefined });
}
