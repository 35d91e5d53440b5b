/** The pipeline: prodml.yaml's `pipeline:` block, the DAG runner, run records and triggers. */
export { runPipeline, loadPipeline, summarize, type RunOptions } from './runner';
export { listRuns, readRun, stepLogPath, runDir, RUNS_DIR } from './runStore';
export { watchLanding, scheduleRuns, type TriggerOptions, type WatchOptions } from './triggers';
export { stepsUpTo, topoOrder, STEP_DEPENDENCIES } from './dag';
export { QUARANTINE_DIR, type Quarantined, type QuarantineReport } from './quarantine';
export { STAGING_DIR } from './ingestStep';
export { parsePipeline, DEFAULT_LANDING, type PipelineConfig } from '../project/pipelineBlock';
export * from './runTypes';
