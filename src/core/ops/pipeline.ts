import { loadPipeline, runPipeline as run, scheduleRuns, watchLanding } from '../pipeline';
import type { PipelineProgress, RunRecord, StepName } from '../pipeline/runTypes';
import type { Workspace } from '../project/workspace';
import type { OpContext } from './context';

export type { PipelineProgress, RunRecord, StepName };

/** Runs the prodml.yaml pipeline up to a step; each run is recorded in `.prodml/runs/`. */
export function runPipeline(ws: Workspace, req: { step?: StepName; trigger?: 'manual' }, ctx: OpContext<PipelineProgress> = {}): Promise<RunRecord> {
  return run(ws.root, { ...(req.step ? { step: req.step } : {}), trigger: req.trigger ?? 'manual', signal: ctx.signal, onProgress: ctx.progress });
}

export interface PipelineInfo {
  model: string;
  landing: string | null;
  watch: boolean;
  everyHours: number | null;
}

/** What the pipeline trains and what starts it. */
export async function pipelineInfo(ws: Workspace): Promise<PipelineInfo> {
  const { pipeline } = await loadPipeline(ws.root);
  return { model: pipeline.model, landing: pipeline.ingest?.from ?? null, watch: pipeline.triggers.watch !== undefined, everyHours: pipeline.triggers.schedule?.every_hours ?? null };
}

export interface WatchRequest {
  onRun: (r: RunRecord) => void;
  onError: (e: Error) => void;
  /** Announces what is being watched before it starts. */
  onStart?: (what: string[]) => void;
}

/** The pipeline's triggers: a run per batch dropped in the landing folder, and on the schedule; until `ctx.signal`. */
export async function watchPipeline(ws: Workspace, req: WatchRequest, ctx: { signal: AbortSignal }): Promise<void> {
  const { pipeline } = await loadPipeline(ws.root);
  const { watch, schedule } = pipeline.triggers;
  const tasks: Promise<void>[] = [];
  const what: string[] = [];
  // With no trigger configured, watching itself asks for the push trigger.
  if (watch || !schedule) {
    tasks.push(watchLanding(ws.root, { signal: ctx.signal, onRun: req.onRun, onError: req.onError }));
    what.push(`watching ${pipeline.ingest?.from ?? '(no landing folder)'}/ for new batches`);
  }
  if (schedule) {
    tasks.push(scheduleRuns(ws.root, { everyHours: schedule.every_hours, signal: ctx.signal, onRun: req.onRun, onError: req.onError }));
    what.push(`a run every ${schedule.every_hours} h`);
  }
  req.onStart?.(what);
  await Promise.all(tasks);
}
