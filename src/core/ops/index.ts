/**
 * The only door to the engine: one function per user-facing operation, each
 * `(ws, request, { signal, progress }) => Promise<result>`. The CLI, the engine process behind the
 * extension and the language server call these and nothing deeper.
 */
export type { OpContext, OpProgress, Operation } from './context';
export { profile, writeProfileHtml, columns, type ProfileRequest } from './profile';
export { inferSchema, type InferSchemaRequest, type InferSchemaResult } from './schema';
export { validate, validationSarif, type ValidateRequest } from './validate';
export { train, trainProgress, type TrainRequest, type TrainOutcome } from './train';
export { evaluate, type EvaluateRequest, type EvaluateResult } from './evaluate';
export { listModels, listVersions, modelSummaries, showVersion, promote, rollback, deleteVersion, gc, type ModelListing, type PromoteRequest, type RollbackRequest } from './registry';
export { compare, comparisonSummary, type CompareRequest, type CompareResult } from './compare';
export { predict, staticTable, type PredictRequest, type PredictResult, type StaticTableRequest, type StaticTableResult } from './predict';
export { serve, type ServeRequest, type RunningServer, type ServerEvent } from './serve';
export { addLabels, type AddLabelsRequest } from './labels';
export { monitor, projectText, type MonitorRequest, type MonitorReport } from './monitor';
export { leakage, importance, labelConsistency, modelAndVersion, type LeakageRequest, type ImportanceRequest, type LabelConsistencyRequest, type ImportanceReport, type LabelReport, type LeakageReport } from './checks';
export { tune, studyResult, registerBestTrial, type TuneRequest, type TuneResult, type RegisteredTrial, type TrialRecord } from './tune';
export { adviseServing, type AdviseRequest, type ServingAdvice } from './advise';
export { runs, readRun, stepLogPath } from './runs';
export { runPipeline, pipelineInfo, watchPipeline, type PipelineInfo, type PipelineProgress, type RunRecord, type StepName, type WatchRequest } from './pipeline';
export { knownModels } from './knownModels';
export { importModel, importPredictionLogs, type ImportModelRequest, type ImportModelResult, type ImportLogsRequest, type ImportLogsResult } from './importModel';
export { demo, type DemoRequest, type DemoResult } from './demo';
