/** What a step implementation sees and returns; the runner (runner.ts) does the bookkeeping. */
import type { ModelConfig, ProjectConfig } from '../project/config';
import type { PipelineConfig } from '../project/pipelineBlock';
import type { RunStatus, StepName, StepRecord } from './runTypes';

export interface StepContext {
  root: string;
  runId: string;
  project: ProjectConfig;
  model: ModelConfig;
  pipeline: PipelineConfig;
  signal?: AbortSignal;
  /** A line in the step's log. */
  log(text: string): Promise<void>;
  /** Progress within the step, 0..1. */
  progress(fraction: number, phase: string): void;
  /** This run's record of an earlier step. */
  current(step: StepName): StepRecord | undefined;
}

export interface StepOutcome {
  status: 'ok' | 'skipped' | 'failed' | 'blocked';
  outputs: Record<string, unknown>;
  messages: string[];
  /** A gate that held the run: what the run's status becomes. */
  gate?: Extract<RunStatus, 'quarantined' | 'invalid_data' | 'not_blessed'>;
}

export interface StepDefinition {
  /** What the step reads, each with its content hash (or value). */
  inputs(ctx: StepContext): Promise<Record<string, string>>;
  /**
   * Whether the last successful record of this step still stands for these inputs: by default
   * the same inputs; steps add "and its outputs are still there".
   */
  upToDate(ctx: StepContext, inputs: Record<string, string>, previous: StepRecord): Promise<boolean>;
  /**
   * `previous` is the last successful record, or with `learnsFromFailed` the last record that
   * ran at all (validation keeps what it checked even when a gate failed the step).
   */
  run(ctx: StepContext, inputs: Record<string, string>, previous: StepRecord | undefined): Promise<StepOutcome>;
  learnsFromFailed?: boolean;
}
