/**
 * The run record: `.prodml/runs/<run-id>/run.json`, what `prodml run --json` prints and what the
 * editor's Runs view shows. Plain JSON, snake_case like the registry's files.
 */

export const PIPELINE_STEPS = ['ingest', 'validate', 'train', 'evaluate', 'register', 'promote'] as const;
export type StepName = (typeof PIPELINE_STEPS)[number];

/** ok: ran and succeeded; skipped: inputs unchanged (or nothing to do); blocked: not run because an earlier step failed, or a gate held it. */
export type StepStatus = 'pending' | 'running' | 'ok' | 'skipped' | 'failed' | 'blocked';

/**
 * succeeded: every step ok or skipped; quarantined: a new batch failed validation and was moved
 * aside; invalid_data: a file already in the dataset fails its schema; not_blessed: the new
 * version is registered but not promoted; failed: a step threw; cancelled: stopped on request.
 */
export type RunStatus = 'running' | 'succeeded' | 'quarantined' | 'invalid_data' | 'not_blessed' | 'failed' | 'cancelled';

export type RunTrigger = 'manual' | 'watch' | 'schedule';

export type StepErrorKind = 'bad_input' | 'cancelled' | 'internal' | 'interrupted';

export interface StepRecord {
  name: StepName;
  status: StepStatus;
  started_at?: string;
  finished_at?: string;
  duration_ms?: number;
  /** What the step read: a workspace-relative file, `schema:<file>`, `config:<section>`, … → `sha256:<hex>` or a value. */
  inputs: Record<string, string>;
  /** What it produced; for a skipped step, the outputs of the run it reused. */
  outputs: Record<string, unknown>;
  /** One line each, for people. */
  messages: string[];
  /** Skipped: the run whose outputs still stand. */
  reused_from?: string;
  error?: { kind: StepErrorKind; message: string };
  /** The step's log, relative to the workspace root. */
  log: string;
}

export interface RunRecord {
  id: string;
  model: string;
  trigger: RunTrigger;
  /** The last step asked for (`prodml run <step>`); promote for a whole run. */
  target: StepName;
  status: RunStatus;
  /** One line: what the run did. */
  summary: string;
  started_at: string;
  finished_at?: string;
  duration_ms?: number;
  pid: number;
  host: string;
  tool_version: string;
  steps: StepRecord[];
}

/** What the runner reports while it works: overall fraction 0..1 and a line of text. */
export interface PipelineProgress {
  fraction: number;
  phase: string;
  step: StepName;
  status: StepStatus;
  run: string;
}

/** Exit code of `prodml run` for a finished run: 0 ok, 1 a gate stopped it, 2 bad input, 3 a bug. */
export function runExitCode(r: RunRecord): number {
  if (r.status === 'succeeded') return 0;
  if (r.status === 'failed') return r.steps.some((s) => s.error?.kind === 'bad_input') ? 2 : r.steps.some((s) => s.error?.kind === 'internal') ? 3 : 1;
  return 1;
}
